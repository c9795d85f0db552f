"""Escalation (tag hitl:escalation-workteam) end to end: boto3, bot reviewers over HTTP, real Celery
workers, moto S3. An object still below the target at the maximum gets one answer from a member of
the escalation team (and of no other), and its output records the stage."""

from __future__ import annotations

import json

import botocore.exceptions
import pytest

from tests.conftest import wait_until
from tests.consolidation.test_overlap_e2e import job_setup, overlap_tags
from tests.jobs.conftest import moto_server  # noqa: F401  (fixture)
from tests.jobs.test_e2e import BUCKET as JOB_BUCKET, job_worker, s3  # noqa: F401  (fixtures)
from tests.jobs.helpers import Bot
from tests.support import resources as R


def escalation_tag(arn):
    return [{"Key": "hitl:escalation-workteam", "Value": arn}]


def test_a_split_job_object_goes_to_the_escalation_team_and_a_unanimous_one_never_does(sm, service, s3,
                                                                                       job_worker):
    expert_group = R.unique("experts")
    expert_arn = R.create_team(sm, groups=(expert_group,))[1]
    name, group, req = job_setup(sm, s3, ["agree", "split"], overlap_tags(2, 0.9) + escalation_tag(expert_arn),
                                 workers=2)
    sm.create_labeling_job(**req)
    labelers = [Bot(service, R.unique("bot"), [group]) for _ in range(4)]
    experts = [Bot(service, R.unique("expert"), [expert_group]) for _ in range(2)]
    seen: dict[str, list] = {}

    def answer_as(who, labels):
        def answer(task):
            obj = task["input"]["taskObject"]
            seen.setdefault(obj, []).append(who)
            if obj == "agree":
                return {"crowd-classifier": {"label": "Positive"}}
            return {"crowd-classifier": {"label": labels[len(seen[obj]) - 1]}}
        return answer

    split_labels = ["Positive", "Negative", "Negative"]     # the expert's answer breaks the tie

    def everyone_works():
        for i, bot in enumerate(labelers):
            bot.work(answer_as(f"labeler{i}", split_labels))
        for i, bot in enumerate(experts):
            bot.work(answer_as(f"expert{i}", split_labels))
        d = sm.describe_labeling_job(LabelingJobName=name)
        return d if d["LabelingJobStatus"] in ("Completed", "Failed", "Stopped") else None

    d = wait_until(everyone_works, timeout=120, interval=0.2, message="the job to finish")
    assert d["LabelingJobStatus"] == "Completed", d.get("FailureReason")
    assert len(seen["agree"]) == 2 and all(w.startswith("labeler") for w in seen["agree"])
    assert len(seen["split"]) == 3
    assert all(w.startswith("labeler") for w in seen["split"][:2]) and seen["split"][2].startswith("expert")
    out = f"out/{name}/"
    lines = {x["source"]: x for x in (json.loads(t) for t in s3.get_object(
        Bucket=JOB_BUCKET, Key=out + "manifests/output/output.manifest")["Body"].read().decode().splitlines())}
    assert len(lines) == 2
    assert "escalated" not in lines["agree"]["sentiment-metadata"]
    assert lines["split"]["sentiment-metadata"]["escalated"] == "yes"
    assert lines["split"]["sentiment-metadata"]["class-name"] == "Negative"
    listed = s3.list_objects_v2(Bucket=JOB_BUCKET, Prefix=out + "annotations/worker-response/")["Contents"]
    docs = [json.loads(s3.get_object(Bucket=JOB_BUCKET, Key=o["Key"])["Body"].read()) for o in listed]
    assert sorted(len(doc["answers"]) for doc in docs) == [2, 3]    # each object written once
    split = next(doc for doc in docs if len(doc["answers"]) == 3)
    stages = [(a.get("workerMetadata") or {}).get("stage") for a in split["answers"]]
    assert stages == [None, None, "escalation"]
    assert split["answers"][2]["workerId"] in {b.worker_id for b in experts}
    report = json.loads(s3.get_object(Bucket=JOB_BUCKET, Key=out + "manifests/output/adaptive-overlap.json")
                        ["Body"].read())
    assert report["answersPerObject"] == {"2": 1, "3": 1} and report["escalated"] == 1
    assert report["escalationWorkteam"] == expert_arn.rsplit("/", 1)[1]


def test_escalation_tag_errors_are_a_validation_exception_naming_the_tag(sm, s3):
    other_arn = R.create_team(sm, groups=(R.unique("experts"),))[1]
    cases = []
    _, _, req = job_setup(sm, s3, ["x"], escalation_tag(other_arn), workers=2)   # no adaptive overlap
    cases.append(req)
    _, _, req = job_setup(sm, s3, ["x"], overlap_tags(2, 0.9), workers=2)        # the first team itself
    req["Tags"] = req["Tags"] + escalation_tag(req["HumanTaskConfig"]["WorkteamArn"])
    cases.append(req)
    missing = other_arn.rsplit("/", 1)[0] + "/" + R.unique("nobody")
    _, _, req = job_setup(sm, s3, ["x"], overlap_tags(2, 0.9) + escalation_tag(missing), workers=2)
    cases.append(req)
    for req in cases:
        with pytest.raises(botocore.exceptions.ClientError) as err:
            sm.create_labeling_job(**req)
        assert err.value.response["Error"]["Code"] == "ValidationException"
        assert "hitl:escalation-workteam" in err.value.response["Error"]["Message"]
