"""Adaptive overlap end to end: boto3 flows and labeling jobs with the tags, bot reviewers over HTTP,
real Celery workers; plus the tag validation errors boto3 gets."""

from __future__ import annotations

import json

import botocore.exceptions
import pytest

from tests.conftest import wait_until
from tests.jobs.conftest import moto_server  # noqa: F401  (fixture)
from tests.jobs.test_e2e import BUCKET as JOB_BUCKET, job_worker, s3  # noqa: F401  (fixtures)
from tests.jobs.helpers import TEXT_TEMPLATE, Bot, categories_doc, job_request
from tests.support import resources as R
from tests.support.resources import create_flow, create_team
from tests.workers.conftest import BUCKET, start_loop, worker_settings
from tests.workers.test_output import Output, expected_key, wait_terminal


def overlap_tags(initial, target, consolidate=False):
    tags = [{"Key": "hitl:initial-workers", "Value": str(initial)},
            {"Key": "hitl:target-confidence", "Value": str(target)}]
    return tags + ([{"Key": "hitl:consolidate", "Value": "true"}] if consolidate else [])


def label(text):
    return {"category": {"label": text}}


def test_a2i_loops_stop_at_k_when_unanimous_and_add_reviewers_up_to_task_count(service, a2i, flow, reviewers,
                                                                              worker_factory, tmp_path):
    worker_factory(worker_settings(service, tmp_path, backend="local"), beat=True)
    output = Output("local", tmp_path)
    flow_name, flow_arn = flow(task_count=3, tags=overlap_tags(2, 0.9, consolidate=True))
    a, b, c, d = reviewers(4)
    agree = start_loop(a2i, flow_arn, {"n": 1})
    a.answer(wait_until, agree, label("Cat"))
    b.answer(wait_until, agree, label("Cat"))
    done = wait_terminal(a2i, agree, output)
    assert done["HumanLoopStatus"] == "Completed"
    doc = output.read(expected_key(done, flow_name, agree))
    assert len(doc["humanAnswers"]) == 2 and doc["consolidatedAnswer"]["answers"] == 2
    assert c.claim() is None                           # no third reviewer for a unanimous loop

    split = start_loop(a2i, flow_arn, {"n": 2})
    a.answer(wait_until, split, label("Cat"))
    b.answer(wait_until, split, label("Dog"))
    for _ in range(3):
        # duplicated decide messages (a redelivery, the outbox sweep) must not add more than one reviewer
        service.ctx.dispatcher.finalize(split)
    # 1 of 2 is below 0.9: the worker puts the loop back for exactly one more reviewer
    third = c.claim_wait(wait_until, split)
    assert d.claim() is None
    c.submit(third["token"], label("Cat"))
    done = wait_terminal(a2i, split, output)
    assert done["HumanLoopStatus"] == "Completed"        # TaskCount 3 is the maximum, at 0.67
    doc = output.read(expected_key(done, flow_name, split))
    assert [h["answerContent"]["category"]["label"] for h in doc["humanAnswers"]] == ["Cat", "Dog", "Cat"]
    assert doc["consolidatedAnswer"]["confidence"] == {"category": 0.6667}
    assert d.claim() is None                           # and never a fourth


def test_a2i_output_json_is_unchanged_without_the_consolidate_tag(service, a2i, flow, reviewers, worker_factory,
                                                                 tmp_path):
    worker_factory(worker_settings(service, tmp_path, backend="local"), beat=True)
    output = Output("local", tmp_path)
    flow_name, flow_arn = flow(task_count=3, tags=overlap_tags(1, 0.5))
    a, b = reviewers(2)
    name = start_loop(a2i, flow_arn, {"n": 1})
    a.answer(wait_until, name, label("Cat"))         # one answer has confidence 0: one more is asked for
    b.answer(wait_until, name, label("Cat"))
    done = wait_terminal(a2i, name, output)
    doc = output.read(expected_key(done, flow_name, name))
    assert list(doc) == ["flowDefinitionArn", "humanAnswers", "humanLoopName", "inputContent"]
    assert len(doc["humanAnswers"]) == 2


@pytest.mark.parametrize("tags, field", [
    (overlap_tags(0, 0.9), "hitl:initial-workers"),
    (overlap_tags(4, 0.9), "hitl:initial-workers"),          # above TaskCount 3
    (overlap_tags("two", 0.9), "hitl:initial-workers"),
    (overlap_tags(2, 0), "hitl:target-confidence"),
    (overlap_tags(2, 1.5), "hitl:target-confidence"),
    (overlap_tags(2, "nan"), "hitl:target-confidence"),
    (overlap_tags(2, 0.9)[:1], "hitl:target-confidence"),    # one without the other
    (overlap_tags(2, 0.9)[1:], "hitl:initial-workers"),
])
def test_bad_overlap_tags_on_a_flow_are_a_validation_exception_naming_the_tag(sm, tags, field):
    team_arn = create_team(sm)[1]
    with pytest.raises(botocore.exceptions.ClientError) as err:
        create_flow(sm, team_arn=team_arn, task_count=3, output=f"s3://{BUCKET}/x", tags=tags)
    assert err.value.response["Error"]["Code"] == "ValidationException"
    assert field in err.value.response["Error"]["Message"]


# ---- labeling jobs -----------------------------------------------------------------------------

def job_setup(sm, s3, texts, tags, workers=5):
    group = R.unique("labelers")
    team_arn = R.create_team(sm, groups=(group,))[1]
    ui_arn = R.create_ui(sm, template=TEXT_TEMPLATE)[1]
    s3.put_object(Bucket=JOB_BUCKET, Key="in/t.manifest",
                  Body="\n".join(json.dumps({"source": t}) for t in texts).encode())
    s3.put_object(Bucket=JOB_BUCKET, Key="in/cats.json", Body=categories_doc("Positive", "Negative"))
    name = R.unique("overlap")
    req = job_request(name, team_arn, ui_arn, manifest=f"s3://{JOB_BUCKET}/in/t.manifest",
                      categories=f"s3://{JOB_BUCKET}/in/cats.json", output=f"s3://{JOB_BUCKET}/out", workers=workers)
    return name, group, dict(req, Tags=tags)


def test_a_job_object_finishes_at_k_when_unanimous_and_gets_up_to_the_maximum_when_split(sm, service, s3,
                                                                                       job_worker):
    name, group, req = job_setup(sm, s3, ["agree", "split"], overlap_tags(2, 0.9))
    sm.create_labeling_job(**req)
    bots = [Bot(service, R.unique("bot"), [group]) for _ in range(6)]
    seen: dict[str, list] = {}
    split_answers = []

    def pick(bot_index):
        def answer(task):
            seen.setdefault(task["input"]["taskObject"], []).append(bot_index)
            if task["input"]["taskObject"] == "agree":
                return {"crowd-classifier": {"label": "Positive"}}
            # the split object's answers alternate, so its vote share never reaches 0.9
            split_answers.append(["Positive", "Negative"][len(split_answers) % 2])
            return {"crowd-classifier": {"label": split_answers[-1]}}
        return answer

    def everyone_works():
        for i, bot in enumerate(bots):
            bot.work(pick(i))
        d = sm.describe_labeling_job(LabelingJobName=name)
        return d if d["LabelingJobStatus"] in ("Completed", "Failed", "Stopped") else None

    d = wait_until(everyone_works, timeout=120, interval=0.2, message="the job to finish")
    assert d["LabelingJobStatus"] == "Completed", d.get("FailureReason")
    assert len(seen["agree"]) == 2                               # unanimous: done at k
    assert len(seen["split"]) == 5 and len(set(seen["split"])) == 5   # up to the maximum, distinct reviewers
    assert split_answers == ["Positive", "Negative", "Positive", "Negative", "Positive"]
    out = f"out/{name}/manifests/output/"
    lines = [json.loads(x) for x in s3.get_object(Bucket=JOB_BUCKET, Key=out + "output.manifest")["Body"]
             .read().decode().splitlines()]
    assert [x["sentiment"] for x in lines] == [0, 0]
    for line in lines:     # Ground Truth's metadata, nothing added
        assert set(line["sentiment-metadata"]) == {"class-name", "confidence", "type", "job-name",
                                                   "human-annotated", "creation-date"}
    assert [x["sentiment-metadata"]["confidence"] for x in lines] == [1.0, 0.6]
    report = json.loads(s3.get_object(Bucket=JOB_BUCKET, Key=out + "adaptive-overlap.json")["Body"].read())
    assert report["answersPerObject"] == {"2": 1, "5": 1} and report["objects"] == 2 and report["answers"] == 7
    assert (report["initialWorkers"], report["maxWorkers"], report["targetConfidence"]) == (2, 5, 0.9)
    listed = s3.list_objects_v2(Bucket=JOB_BUCKET, Prefix=f"out/{name}/annotations/worker-response/")["Contents"]
    counts = sorted(len(json.loads(s3.get_object(Bucket=JOB_BUCKET, Key=o["Key"])["Body"].read())["answers"])
                    for o in listed)
    assert counts == [2, 5]     # one worker-response file per object, written only when it is done


@pytest.mark.parametrize("tags, field", [
    (overlap_tags(6, 0.9), "hitl:initial-workers"),          # above NumberOfHumanWorkersPerDataObject 5
    (overlap_tags(2, "-0.1"), "hitl:target-confidence"),
    (overlap_tags(2, 0.9)[:1], "hitl:target-confidence"),
])
def test_bad_overlap_tags_on_a_job_are_a_validation_exception_naming_the_tag(sm, s3, tags, field):
    name, _, req = job_setup(sm, s3, ["x"], tags)
    with pytest.raises(botocore.exceptions.ClientError) as err:
        sm.create_labeling_job(**req)
    assert err.value.response["Error"]["Code"] == "ValidationException"
    assert field in err.value.response["Error"]["Message"]


def test_overlap_tags_need_a_built_in_consolidation(sm, s3):
    name, _, req = job_setup(sm, s3, ["x"], overlap_tags(2, 0.9))
    req["HumanTaskConfig"]["AnnotationConsolidationConfig"] = {
        "AnnotationConsolidationLambdaArn": "arn:aws:lambda:us-east-1:123456789012:function:my-acs"}
    with pytest.raises(botocore.exceptions.ClientError) as err:
        sm.create_labeling_job(**req)
    assert err.value.response["Error"]["Code"] == "ValidationException"
    assert "hitl:initial-workers" in err.value.response["Error"]["Message"]
