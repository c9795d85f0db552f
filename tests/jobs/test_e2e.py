"""Labeling jobs end to end: boto3 over HTTP, a real Celery worker with beat, moto as S3, bot reviewers."""

from __future__ import annotations

import json
import re
import time

import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families

from hitl_service.domain.labeling import TaskType
from tests.conftest import make_settings, wait_until
from tests.jobs.conftest import s3_client
from tests.jobs.helpers import TEXT_TEMPLATE, Bot, categories_doc, job_request
from hitl_service.store import keys
from tests.support import resources as R
from tests.workers.conftest import WebhookReceiver

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
    return read_lines_from(s3, BUCKET, key)


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
    metrics = {(f.name, tuple(sorted(smp.labels.items()))): smp.value
               for f in text_string_to_metric_families(requests.get(f"{service.url}/metrics", timeout=10).text)
               for smp in f.samples}
    assert metrics[("hitl_labeling_job_objects", (("job", name), ("state", "labeled")))] == 5
    assert metrics[("hitl_labeling_job_objects", (("job", name), ("state", "out")))] == 0
    assert metrics[("hitl_labeling_job_answers", (("job", name),))] == 15
    assert metrics[("hitl_labeling_jobs", (("status", "Completed"),))] >= 1


def test_missing_manifest_fails_the_job_naming_the_uri_and_tells_its_webhook(sm, s3, job_worker):
    receiver = WebhookReceiver("whsec-jobs", fail_first=1).start()
    try:
        team_arn, ui_arn = R.create_team(sm)[1], R.create_ui(sm)[1]
        s3.put_object(Bucket=BUCKET, Key="in/cats2.json", Body=categories_doc("A", "B"))
        name = R.unique("nomanifest")
        req = job_request(name, team_arn, ui_arn, manifest=f"s3://{BUCKET}/in/absent.manifest",
                          categories=f"s3://{BUCKET}/in/cats2.json", output=f"s3://{BUCKET}/out")
        req["Tags"] = [{"Key": "hitl:webhook-url", "Value": receiver.url},
                       {"Key": "hitl:webhook-secret", "Value": "whsec-jobs"}]
        sm.create_labeling_job(**req)
        d = wait_until(lambda: finished(sm, name), timeout=30, message="the job to fail")
        assert d["LabelingJobStatus"] == "Failed"
        assert f"s3://{BUCKET}/in/absent.manifest" in d["FailureReason"]
        # the first delivery is refused; the event is sent again, signed, with the same id
        got = wait_until(lambda: [r for r in receiver.snapshot() if r["answered"] == 200], timeout=30,
                         message="the job's webhook")
        attempts = receiver.snapshot()
        assert len({r["id"] for r in attempts}) == 1 and got[0]["verified"]
        event = json.loads(got[0]["body"])
        assert event["detail-type"] == "SageMaker Ground Truth Labeling Job State Change"
        assert event["resources"] == [d["LabelingJobArn"]]
        assert event["detail"]["LabelingJobStatus"] == "Failed"
        assert "absent.manifest" in event["detail"]["FailureReason"]
    finally:
        receiver.stop()


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


def test_bounding_box_job_consolidates_boxes_into_gt_object_detection_lines(sm, service, s3, job_worker):
    group = R.unique("boxers")
    team_arn = R.create_team(sm, groups=(group,))[1]
    ui_arn = R.create_ui(sm)[1]
    images = [f"s3://{BUCKET}/img/{i}.jpg" for i in range(3)]
    s3.put_object(Bucket=BUCKET, Key="in/boxes.manifest",
                  Body="\n".join(json.dumps({"source-ref": u, "camera": "front"}) for u in images).encode())
    s3.put_object(Bucket=BUCKET, Key="in/box-cats.json", Body=categories_doc("dog", "cat"))
    name = R.unique("boxes")
    sm.create_labeling_job(**job_request(name, team_arn, ui_arn, task_type=TaskType.BOUNDING_BOX, attribute="animals",
                                         manifest=f"s3://{BUCKET}/in/boxes.manifest",
                                         categories=f"s3://{BUCKET}/in/box-cats.json", output=f"s3://{BUCKET}/out",
                                         workers=2))
    bots = [Bot(service, R.unique("boxbot"), [group]) for _ in range(2)]

    def draw(shift):
        def answer(task):
            assert task["input"]["taskObject"] in images and task["input"]["labels"] == ["dog", "cat"]
            return {"annotatedResult": {
                "boundingBoxes": [{"label": "dog", "left": 10 + shift, "top": 20, "width": 100, "height": 50},
                                  {"label": "cat", "left": 300, "top": 200 + shift, "width": 40, "height": 40}],
                "inputImageProperties": {"width": 640, "height": 480}}}
        return answer

    def everyone_works():
        for i, bot in enumerate(bots):
            bot.work(draw(2 * i))
        return finished(sm, name)

    d = wait_until(everyone_works, timeout=90, interval=0.2, message="the box job to finish")
    assert d["LabelingJobStatus"] == "Completed", d.get("FailureReason")
    assert d["LabelCounters"]["HumanLabeled"] == 3
    lines = read_lines(s3, f"out/{name}/manifests/output/output.manifest")
    assert [x["source-ref"] for x in lines] == images
    for line in lines:
        assert line["camera"] == "front"
        value, meta = line["animals"], line["animals-metadata"]
        assert value["image_size"] == [{"width": 640, "height": 480, "depth": 3}]
        boxes = sorted(value["annotations"], key=lambda b: b["class_id"])
        assert [b["class_id"] for b in boxes] == [0, 1]
        assert set(boxes[0]) == {"class_id", "left", "top", "width", "height"}
        assert 10 <= boxes[0]["left"] <= 12 and boxes[0]["width"] == 100
        assert meta["class-map"] == {"0": "dog", "1": "cat"}
        assert len(meta["objects"]) == 2 and all(0 <= o["confidence"] <= 1 for o in meta["objects"])
        assert meta["type"] == "groundtruth/object-detection" and meta["human-annotated"] == "yes"
        assert meta["job-name"] == f"labeling-job/{name}" and DATE.match(meta["creation-date"])


def start_text_job(sm, s3, prefix: str, n: int, *, workers: int = 1, stopping=None, **htc) -> tuple[str, str]:
    """A job over ``n`` short texts for a fresh team; (job name, reviewer group)."""
    group = R.unique(f"{prefix}-group")
    team_arn, ui_arn = R.create_team(sm, groups=(group,))[1], R.create_ui(sm)[1]
    s3.put_object(Bucket=BUCKET, Key=f"in/{prefix}.manifest",
                  Body="\n".join(json.dumps({"source": f"text {i}"}) for i in range(n)).encode())
    s3.put_object(Bucket=BUCKET, Key=f"in/{prefix}-cats.json", Body=categories_doc("A", "B"))
    name = R.unique(prefix)
    req = job_request(name, team_arn, ui_arn, manifest=f"s3://{BUCKET}/in/{prefix}.manifest",
                      categories=f"s3://{BUCKET}/in/{prefix}-cats.json", output=f"s3://{BUCKET}/out", workers=workers,
                      **htc)
    if stopping:
        req["StoppingConditions"] = stopping
    sm.create_labeling_job(**req)
    return name, group


def test_stop_writes_what_was_labelled_and_ends_stopped(sm, service, s3, job_worker):
    name, group = start_text_job(sm, s3, "stopme", 20, MaxConcurrentTaskCount=5)
    bot, other = Bot(service, R.unique("stopbot"), [group]), Bot(service, R.unique("holder"), [group])
    wait_until(lambda: sm.describe_labeling_job(LabelingJobName=name)["LabelingJobStatus"] == "InProgress",
               timeout=30, message="the job to start")
    assert bot.work(lambda t: {"crowd-classifier": {"label": "A"}}, limit=3) == 3
    held = bot.claim()
    assert held is not None
    # MaxConcurrentTaskCount objects are out at once: the one held and four more, the rest wait
    grabbed = []
    while (task := other.claim()) is not None:
        grabbed.append(task)
    assert len(grabbed) == 4
    sm.stop_labeling_job(LabelingJobName=name)
    d = wait_until(lambda: finished(sm, name), timeout=30, message="the job to stop")
    assert d["LabelingJobStatus"] == "Stopped"
    assert d["LabelCounters"]["HumanLabeled"] == 3 and d["LabelCounters"]["Unlabeled"] == 17
    # the held task ended with the job
    assert bot.submit(held["token"], {"crowd-classifier": {"label": "A"}}).status_code >= 400
    lines = read_lines(s3, f"out/{name}/manifests/output/output.manifest")
    assert len(lines) == 20
    assert sum(1 for x in lines if "sentiment" in x) == 3
    assert d["LabelingJobOutput"]["OutputDatasetS3Uri"].endswith(f"{name}/manifests/output/output.manifest")


def test_job_objects_waiting_show_in_the_reviewers_queue_counts(sm, service, s3, job_worker):
    """A running job's objects count as waiting in its team's queue (the page, `hitl queues` and /metrics share it)."""
    name, group = start_text_job(sm, s3, "counted", 4, MaxConcurrentTaskCount=4)
    bot = Bot(service, R.unique("countbot"), [group])

    def waiting() -> int:
        resp = bot.http.get(f"{service.url}/review/api/queues", timeout=10)
        assert resp.status_code == 200, resp.text
        return sum(row["waiting"] for row in resp.json()["queues"])

    wait_until(lambda: waiting() == 4, timeout=30, message="the job's four objects to wait in the team's queue")
    assert bot.work(lambda t: {"crowd-classifier": {"label": "A"}}, limit=1) == 1
    assert waiting() == 3
    d = wait_until(lambda: (bot.work(lambda t: {"crowd-classifier": {"label": "B"}}) or True) and finished(sm, name),
                   timeout=60, interval=0.2, message="the job to finish")
    assert d["LabelingJobStatus"] == "Completed" and waiting() == 0


def test_max_human_labeled_object_count_stops_handing_out_work(sm, service, s3, job_worker):
    name, group = start_text_job(sm, s3, "capped", 10, stopping={"MaxHumanLabeledObjectCount": 4})
    bot = Bot(service, R.unique("capbot"), [group])
    answered = []

    def work():
        answered.append(bot.work(lambda t: {"crowd-classifier": {"label": "B"}}))
        return finished(sm, name)

    d = wait_until(work, timeout=60, interval=0.2, message="the capped job to finish")
    assert sum(answered) == 4
    assert d["LabelingJobStatus"] == "Completed"
    assert d["LabelCounters"]["HumanLabeled"] == 4 and d["LabelCounters"]["Unlabeled"] == 6


def test_task_availability_lifetime_fails_objects_nobody_answered(sm, service, s3, job_worker, redis_server):
    name, group = start_text_job(sm, s3, "lifetime", 3, TaskAvailabilityLifetimeInSeconds=60)
    bot = Bot(service, R.unique("lifebot"), [group])
    wait_until(lambda: sm.describe_labeling_job(LabelingJobName=name)["LabelingJobStatus"] == "InProgress",
               timeout=30, message="the job to start")
    assert bot.work(lambda t: {"crowd-classifier": {"label": "A"}}, limit=1) == 1
    # a minute is long for a test: move the remaining objects' expiry into the past, as time would
    client = redis_server.client()
    expiry = keys.job_part(name, "expiry")
    for member in client.zrange(expiry, 0, -1):
        client.zadd(expiry, {member: 1})
    d = wait_until(lambda: finished(sm, name), timeout=30, message="the job to finish")
    assert d["LabelingJobStatus"] == "Completed"
    assert d["LabelCounters"]["HumanLabeled"] == 1 and d["LabelCounters"]["FailedNonRetryableError"] == 2
    lines = read_lines(s3, f"out/{name}/manifests/output/output.manifest")
    failed = [x for x in lines if "failure-reason" in x.get("sentiment-metadata", {})]
    assert len(failed) == 2 and "lifetime" in failed[0]["sentiment-metadata"]["failure-reason"]


def test_output_outage_delays_but_never_duplicates_or_loses_labels(sm, service, s3, moto_server, worker_factory,
                                                                   tmp_path):
    worker_factory(make_settings(service.settings.redis_url, str(tmp_path), output_backend="s3",
                                 s3_endpoint_url=moto_server.url, s3_region="us-east-1", s3_access_key_id="testing",
                                 s3_secret_access_key="testing", reaper_interval_seconds=0.3,
                                 finalize_backoff_max_seconds=0.5), beat=True)
    late = R.unique("late-bucket")
    group = R.unique("outage")
    team_arn, ui_arn = R.create_team(sm, groups=(group,))[1], R.create_ui(sm)[1]
    s3.put_object(Bucket=BUCKET, Key="in/outage.manifest",
                  Body="\n".join(json.dumps({"source": f"text {i}"}) for i in range(3)).encode())
    s3.put_object(Bucket=BUCKET, Key="in/outage-cats.json", Body=categories_doc("A", "B"))
    name = R.unique("outage")
    # the output bucket does not exist yet: every output write fails until it does
    sm.create_labeling_job(**job_request(name, team_arn, ui_arn, manifest=f"s3://{BUCKET}/in/outage.manifest",
                                         categories=f"s3://{BUCKET}/in/outage-cats.json", output=f"s3://{late}/out",
                                         workers=1))
    bot = Bot(service, R.unique("outbot"), [group])
    wait_until(lambda: bot.work(lambda t: {"crowd-classifier": {"label": "A"}}) or None, timeout=30,
               message="the bot to answer")
    wait_until(lambda: bot.work(lambda t: {"crowd-classifier": {"label": "A"}}) == 0 and
               sm.describe_labeling_job(LabelingJobName=name)["LabelCounters"]["Unlabeled"] == 3 and
               service.ctx.store.jobs.queued(name) == 0, timeout=30, message="every object answered")
    time.sleep(2)  # several failed consolidation attempts
    d = sm.describe_labeling_job(LabelingJobName=name)
    assert d["LabelingJobStatus"] == "InProgress" and d["LabelCounters"]["HumanLabeled"] == 0
    s3.create_bucket(Bucket=late)
    d = wait_until(lambda: finished(sm, name), timeout=60, message="the job to complete after the outage")
    assert d["LabelingJobStatus"] == "Completed" and d["LabelCounters"]["HumanLabeled"] == 3
    keys_ = [o["Key"] for o in s3.list_objects_v2(Bucket=late, Prefix=f"out/{name}/")["Contents"]]
    assert len([k for k in keys_ if "/worker-response/" in k]) == 3
    assert len([k for k in keys_ if "/consolidated-annotation/output/" in k]) == 3
    lines = read_lines_from(s3, late, f"out/{name}/manifests/output/output.manifest")
    assert [x["sentiment-metadata"]["class-name"] for x in lines] == ["A", "A", "A"]


def read_lines_from(s3, bucket: str, key: str) -> list[dict]:
    body = s3.get_object(Bucket=bucket, Key=key)["Body"].read().decode()
    return [json.loads(x) for x in body.splitlines() if x.strip()]
