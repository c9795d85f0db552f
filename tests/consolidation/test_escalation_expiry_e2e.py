"""Escalation at the lifetime's end, end to end: a flow and a labeling job tagged hitl:escalation-workteam,
boto3, bot reviewers of two teams over HTTP, real Celery workers with beat, moto S3 for the job. An item
whose TaskAvailabilityLifetimeInSeconds ends with fewer answers than it needs goes to the escalation team
with a fresh lifetime; its answer completes it, a second lifetime's end closes it as every expiry does.

A lifetime of an hour is long for a test: the expiry index is moved into the past, as time would."""

from __future__ import annotations

import json

from tests.conftest import wait_until
from tests.consolidation.test_escalation_flow_e2e import escalation_tags
from tests.consolidation.test_escalation_e2e import escalation_tag
from tests.consolidation.test_overlap_e2e import job_setup, label, overlap_tags
from tests.jobs.conftest import moto_server  # noqa: F401  (fixture)
from tests.jobs.helpers import Bot
from tests.jobs.test_e2e import BUCKET as JOB_BUCKET, finished, job_worker, read_lines, s3  # noqa: F401
from tests.support import resources as R
from tests.support.resources import create_flow, create_team
from tests.workers.conftest import BUCKET, start_loop, worker_settings
from tests.workers.test_output import Output, expected_key, wait_terminal
from hitl_service.store import keys

HOUR = 3600


def end_lifetimes(client, index_key, members=None):
    """Move items' availability lifetime ends into the past (all of the index, or ``members``)."""
    for member in members if members is not None else client.zrange(index_key, 0, -1):
        client.zadd(index_key, {member: 1})


def waiting_for(reviewer, team):
    """What the reviewer's queue overview shows waiting for ``team``."""
    rows = reviewer.http.get(f"{reviewer.url}/review/api/queues", timeout=10).json()["queues"]
    return next(r["waiting"] for r in rows if r["workteam"] == team)


def describe(a2i, name):
    return a2i.describe_human_loop(HumanLoopName=name)


def test_loops_whose_lifetime_ends_short_of_answers_go_to_the_escalation_team_once(
        service, a2i, sm, reviewers, worker_factory, tmp_path):
    worker_factory(worker_settings(service, tmp_path, backend="local"), beat=True)
    output = Output("local", tmp_path)
    expert_group = R.unique("experts")
    experts, experts_arn = create_team(sm, groups=(expert_group,))
    first, first_arn = create_team(sm)
    flow_name, flow_arn = create_flow(sm, team_arn=first_arn, task_count=3, lifetime=HOUR,
                                      output=f"s3://{BUCKET}/results/a2i", tags=escalation_tags(experts_arn))
    a, b, c = reviewers(3)
    expert, = reviewers(1, groups=(expert_group,))
    client = service.ctx.store.client

    partial = start_loop(a2i, flow_arn, {"n": "partial"})
    a.answer(wait_until, partial, label("Cat"))
    held = b.claim_wait(wait_until, partial)                  # still held when the lifetime ends
    empty = start_loop(a2i, flow_arn, {"n": "empty"})
    twice = start_loop(a2i, flow_arn, {"n": "twice"})
    stopped = start_loop(a2i, flow_arn, {"n": "stopped"})
    wait_until(lambda: client.zcard(keys.queue(first)) == 3, timeout=20, message="the loops routed")
    assert waiting_for(expert, experts) == 0
    end_lifetimes(client, keys.expiry(first))
    # the expiry sweep hands all four to the escalation team: the experts' page shows them waiting there
    wait_until(lambda: waiting_for(expert, experts) == 4, timeout=20, message="four loops escalated")
    assert waiting_for(a, first) == 0
    assert {describe(a2i, n)["HumanLoopStatus"] for n in (partial, empty, twice, stopped)} == {"InProgress"}
    assert c.claim() is None                                  # never the first team again
    # the first-stage holder's answer is refused with the lease error, and nothing returns to the first team
    late = b.http.post(f"{b.url}/review/api/assignments/{held['token']}/submit",
                       json={"answerContent": label("Dog")}, timeout=10)
    assert late.status_code == 409 and "escalation workteam" in late.json()["Message"]
    assert c.claim() is None and b.claim() is None

    # the expert works the escalation team's queue by name: the task says it is that team's (the review
    # page's per-team filter and held-task list go by it)
    claimed = expert.http.post(f"{expert.url}/review/api/assignments/claim", json={"workteam": experts},
                               timeout=10).json()["assignment"]
    assert (claimed["humanLoopName"], claimed["workteam"]) == (partial, experts)
    held_list = expert.http.get(f"{expert.url}/review/api/assignments", timeout=10).json()["assignments"]
    assert [(x["humanLoopName"], x["workteam"]) for x in held_list] == [(partial, experts)]
    expert.submit(claimed["token"], label("Cat"))
    expert.answer(wait_until, empty, label("Dog"))

    done = wait_terminal(a2i, partial, output)
    assert done["HumanLoopStatus"] == "Completed"
    doc = output.read(expected_key(done, flow_name, partial))
    answers = doc["humanAnswers"]
    assert [h["workerId"] for h in answers] == [a.worker_id, expert.worker_id]
    assert [(h["workerMetadata"].get("stage"), h["workerMetadata"].get("escalationReason")) for h in answers] == [
        (None, None), ("escalation", "expired")]
    assert doc["consolidatedAnswer"]["answers"] == 2
    # zero first-stage answers: the escalation answer alone completes the loop
    done = wait_terminal(a2i, empty, output)
    assert done["HumanLoopStatus"] == "Completed"
    answers = output.read(expected_key(done, flow_name, empty))["humanAnswers"]
    assert [(h["workerId"], h["workerMetadata"]["stage"]) for h in answers] == [(expert.worker_id, "escalation")]

    # a stop during the second stage stops the loop as always
    a2i.stop_human_loop(HumanLoopName=stopped)
    wait_until(lambda: describe(a2i, stopped)["HumanLoopStatus"] == "Stopped", timeout=20, message="stopped")
    # the second stage's lifetime ends too: Failed as A2I fails an expired loop, no output without answers
    end_lifetimes(client, keys.expiry(first), [keys.loop_member(twice)])
    wait_until(lambda: describe(a2i, twice)["HumanLoopStatus"] == "Failed", timeout=20, message="twice Failed")
    d = describe(a2i, twice)
    assert d["FailureCode"] == "Expired" and "TaskAvailabilityLifetimeInSeconds" in d["FailureReason"]
    assert "HumanLoopOutput" not in d
    assert waiting_for(expert, experts) == 0 and expert.claim() is None
    for name in (partial, empty):
        assert describe(a2i, name)["HumanLoopStatus"] == "Completed"


def test_job_objects_whose_lifetime_ends_short_of_answers_go_to_the_escalation_team_once(sm, service, s3,
                                                                                        job_worker):
    expert_group = R.unique("experts")
    experts, expert_arn = R.create_team(sm, groups=(expert_group,))
    name, group, req = job_setup(sm, s3, ["half", "none", "never"], overlap_tags(2, 0.9) + escalation_tag(expert_arn),
                                 workers=3)
    req["HumanTaskConfig"]["TaskAvailabilityLifetimeInSeconds"] = HOUR
    sm.create_labeling_job(**req)
    labeler, holder, other = (Bot(service, R.unique("bot"), [group]) for _ in range(3))
    expert = Bot(service, R.unique("expert"), [expert_group])
    client = service.ctx.store.client
    wait_until(lambda: sm.describe_labeling_job(LabelingJobName=name)["LabelingJobStatus"] == "InProgress",
               timeout=30, message="the job to start")
    first = wait_until(labeler.claim, timeout=20, message="a first task")
    assert first["input"]["taskObject"] == "half"
    assert labeler.submit(first["token"], {"crowd-classifier": {"label": "Positive"}}).status_code == 200
    held = holder.claim()                                     # the second first-stage answer of "half", held
    assert held["input"]["taskObject"] == "half"

    end_lifetimes(client, keys.job_part(name, "expiry"))
    task = wait_until(expert.claim, timeout=20, interval=0.2, message="an escalated object for the expert")
    assert (task["input"]["taskObject"], task["workteam"]) == ("half", experts)
    assert other.claim() is None                              # all three went to the escalation team
    late = holder.submit(held["token"], {"crowd-classifier": {"label": "Positive"}})
    assert late.status_code == 409 and "no longer accepting answers" in late.json()["Message"]
    assert expert.submit(task["token"], {"crowd-classifier": {"label": "Negative"}}).status_code == 200
    task = expert.claim()
    assert task["input"]["taskObject"] == "none"
    assert expert.submit(task["token"], {"crowd-classifier": {"label": "Positive"}}).status_code == 200
    assert sm.describe_labeling_job(LabelingJobName=name)["LabelingJobStatus"] == "InProgress"
    # "never" is left to its second lifetime, which ends too: it fails as an unanswered object does
    end_lifetimes(client, keys.job_part(name, "expiry"))
    d = wait_until(lambda: finished(sm, name), timeout=60, interval=0.2, message="the job to finish")
    assert d["LabelingJobStatus"] == "Completed", d.get("FailureReason")
    assert d["LabelCounters"]["HumanLabeled"] == 2 and d["LabelCounters"]["FailedNonRetryableError"] == 1

    out = f"out/{name}/"
    lines = {x["source"]: x for x in read_lines(s3, out + "manifests/output/output.manifest")}
    for source in ("half", "none"):
        meta = lines[source]["sentiment-metadata"]
        assert (meta["escalated"], meta["escalation-reason"]) == ("yes", "expired")
    assert lines["none"]["sentiment-metadata"]["class-name"] == "Positive"
    assert "lifetime" in lines["never"]["sentiment-metadata"]["failure-reason"]
    listed = s3.list_objects_v2(Bucket=JOB_BUCKET, Prefix=out + "annotations/worker-response/")["Contents"]
    docs = sorted((json.loads(s3.get_object(Bucket=JOB_BUCKET, Key=o["Key"])["Body"].read()) for o in listed),
                  key=lambda doc: len(doc["answers"]))
    assert [len(doc["answers"]) for doc in docs] == [1, 2]    # each object written once
    assert [(x["workerId"], (x.get("workerMetadata") or {}).get("stage")) for x in docs[1]["answers"]] == [
        (labeler.worker_id, None), (expert.worker_id, "escalation")]
    assert [(x["workerId"], x["workerMetadata"]["stage"]) for x in docs[0]["answers"]] == [
        (expert.worker_id, "escalation")]
    report = json.loads(s3.get_object(Bucket=JOB_BUCKET, Key=out + "manifests/output/adaptive-overlap.json")
                        ["Body"].read())
    assert (report["escalated"], report["escalatedOnExpiry"]) == (2, 2)
    assert report["answersPerObject"] == {"1": 1, "2": 1}
