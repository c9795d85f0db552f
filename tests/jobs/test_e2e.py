"""Labeling jobs end to end: boto3 over HTTP, a real Celery worker with beat, moto as S3, bot reviewers."""

from __future__ import annotations

import json
import re
import time

import pytest

from hitl_service.domain.labeling import TaskType
from tests.conftest import make_settings, wait_until
from tests.jobs.conftest import s3_client
from tests.jobs.helpers import TEXT_TEMPLATE, Bot, categories_doc, job_request
from tests.support import resources as R

BUCKET = "gt-data"
DATE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}$")


@pytest.fixture
def s3(moto_server):
    client = s3_client(moto_server.url)
    try:
        client.create_bucket(Bucket=BUCKET)
    except client.exceptions.BucketAlreadyOwnedByYou:
        pass
    return client


@pytest.fixture
def job_worker(service, moto_server, worker_factory, tmp_path):
    settings = make_settings(service.settings.redis_url, str(tmp_path), output_backend="s3",
                             s3_endpoint_url=moto_server.url, s3_region="us-east-1", s3_access_key_id="testing",
                             s3_secret_access_key="testing", reaper_interval_seconds=0.3)
    return worker_factory(settings, beat=True)


def read_lines(s3, key: str) -> list[dict]:
    body = s3.get_object(Bucket=BUCKET, Key=key)["Body"].read().decode()
    return [json.loads(x) for x in body.splitlines() if x.strip()]


def finished(sm, name: str) -> dict | None:
    d = sm.describe_labeling_job(LabelingJobName=name)
    return d if d["LabelingJobStatus"] in ("Completed", "Stopped", "Failed") else None


def test_text_classification_job_with_three_workers_writes_ground_truths_output(sm, service, s3, job_worker):
    group = R.unique("labelers")
    team_arn = R.create_team(sm, groups=(group,))[1]
    ui_arn = R.create_ui(sm, template=TEXT_TEMPLATE)[1]
    texts = ["good food", "bad service", "good value", "awful", "good night"]
    manifest = [json.dumps({"source": t, "id": i}) for i, t in enumerate(texts)]
    manifest.insert(2, "this is not json")
    s3.put_object(Bucket=BUCKET, Key="in/text.manifest", Body="\n".join(manifest).encode())
    s3.put_object(Bucket=BUCKET, Key="in/cats.json", Body=categories_doc("Positive", "Negative"))
    name = R.unique("sentiment")
    req = job_request(name, team_arn, ui_arn, manifest=f"s3://{BUCKET}/in/text.manifest",
                      categories=f"s3://{BUCKET}/in/cats.json", output=f"s3://{BUCKET}/out", workers=3,
                      MaxConcurrentTaskCount=2)
    sm.create_labeling_job(**req)
    bots = [Bot(service, R.unique("bot"), [group]) for _ in range(3)]
    seen: dict[str, set] = {}

    def answer(bot_index):
        def pick(task):
            assert task["taskTitle"] == "Sentiment" and task["shortInstruction"] == "Pick the best label"
            assert task["input"]["labels"] == ["Positive", "Negative"]
            seen.setdefault(task["datasetObjectId"], set()).add(bot_index)
            good = task["input"]["taskObject"].startswith("good")
            # two of three bots are right; the third always says Negative
            label = "Negative" if bot_index == 2 else ("Positive" if good else "Negative")
            return {"crowd-classifier": {"label": label}}
        return pick

    def everyone_works():
        for i, bot in enumerate(bots):
            bot.work(answer(i))
        return finished(sm, name)

    d = wait_until(everyone_works, timeout=90, interval=0.2, message="the job to finish")
    assert d["LabelingJobStatus"] == "Completed", d.get("FailureReason")
    assert d["LabelCounters"] == {"TotalLabeled": 5, "HumanLabeled": 5, "MachineLabeled": 0,
                                  "FailedNonRetryableError": 0, "Unlabeled": 0}
    out_key = f"out/{name}/manifests/output/output.manifest"
    assert d["LabelingJobOutput"]["OutputDatasetS3Uri"] == f"s3://{BUCKET}/{out_key}"
    assert all(len(v) == 3 for v in seen.values()) and len(seen) == 5  # three distinct reviewers each
    lines = read_lines(s3, out_key)
    assert [x["source"] for x in lines] == texts and [x["id"] for x in lines] == list(range(5))
    for line in lines:
        want = 0 if line["source"].startswith("good") else 1
        assert line["sentiment"] == want
        meta = line["sentiment-metadata"]
        assert set(meta) == {"class-name", "confidence", "type", "job-name", "human-annotated", "creation-date"}
        assert meta["class-name"] == ["Positive", "Negative"][want]
        assert meta["type"] == "groundtruth/text-classification"
        assert meta["job-name"] == f"labeling-job/{name}"
        assert meta["human-annotated"] == "yes"
        assert DATE.match(meta["creation-date"])
        assert 0.0 <= meta["confidence"] <= 1.0
    listed = s3.list_objects_v2(Bucket=BUCKET, Prefix=f"out/{name}/")["Contents"]
    keys = [o["Key"] for o in listed]
    responses = [k for k in keys if "/annotations/worker-response/iteration-1/" in k]
    assert len(responses) == 5
    one = json.loads(s3.get_object(Bucket=BUCKET, Key=responses[0])["Body"].read())
    assert len({a["workerId"] for a in one["answers"]}) == 3
    assert any("/consolidation-request/iteration-1/" in k for k in keys)
    assert any("/consolidation-response/iteration-1/" in k for k in keys)
    assert any("/manifests/intermediate/" in k for k in keys)


def test_missing_manifest_fails_the_job_naming_the_uri(sm, s3, job_worker):
    team_arn, ui_arn = R.create_team(sm)[1], R.create_ui(sm)[1]
    s3.put_object(Bucket=BUCKET, Key="in/cats2.json", Body=categories_doc("A", "B"))
    name = R.unique("nomanifest")
    sm.create_labeling_job(**job_request(name, team_arn, ui_arn, manifest=f"s3://{BUCKET}/in/absent.manifest",
                                         categories=f"s3://{BUCKET}/in/cats2.json", output=f"s3://{BUCKET}/out"))
    d = wait_until(lambda: finished(sm, name), timeout=30, message="the job to fail")
    assert d["LabelingJobStatus"] == "Failed"
    assert f"s3://{BUCKET}/in/absent.manifest" in d["FailureReason"]


def test_manifest_without_a_valid_line_fails_and_names_the_lines(sm, s3, job_worker):
    team_arn, ui_arn = R.create_team(sm)[1], R.create_ui(sm)[1]
    s3.put_object(Bucket=BUCKET, Key="in/bad.manifest", Body=b'{"nope": 1}\nnot json\n')
    s3.put_object(Bucket=BUCKET, Key="in/cats3.json", Body=categories_doc("A", "B"))
    name = R.unique("badmanifest")
    sm.create_labeling_job(**job_request(name, team_arn, ui_arn, manifest=f"s3://{BUCKET}/in/bad.manifest",
                                         categories=f"s3://{BUCKET}/in/cats3.json", output=f"s3://{BUCKET}/out"))
    d = wait_until(lambda: finished(sm, name), timeout=30, message="the job to fail")
    assert d["LabelingJobStatus"] == "Failed"
    assert "no valid line" in d["FailureReason"] and "1 (has neither" in d["FailureReason"]
    assert "2 (not JSON" in d["FailureReason"]
