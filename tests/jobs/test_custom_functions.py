"""Custom pre- and post-annotation functions, hosted by a small Invoke API server over real HTTP."""

from __future__ import annotations

import json
from collections import Counter
from urllib.parse import urlsplit

import pytest

from tests.conftest import make_settings, wait_until
from tests.jobs.conftest import s3_client
from tests.jobs.helpers import Bot, categories_doc, job_request
from tests.jobs.invoke_server import InvokeServer
from tests.jobs.test_e2e import BUCKET, DATE, finished, read_lines, s3  # noqa: F401 - s3 is a fixture
from tests.support import resources as R

PRE = "arn:aws:lambda:us-east-1:111122223333:function:gt-pre"
POST = "arn:aws:lambda:us-east-1:111122223333:function:gt-post"


@pytest.fixture
def functions(moto_server):
    server = InvokeServer().start()
    reader = s3_client(moto_server.url)

    def pre(event):
        line = event["dataObject"]
        if line["source"] == "explode":
            raise ValueError("cannot pre-process this one")
        return {"taskInput": {"shout": line["source"].upper(), "labels": ["yes", "no"]},
                "isHumanAnnotationRequired": "false" if line["source"] == "skip me" else "true"}

    def post(event):
        parts = urlsplit(event["payload"]["s3Uri"])
        request = json.loads(reader.get_object(Bucket=parts.netloc, Key=parts.path.lstrip("/"))["Body"].read())
        out = []
        for item in request:
            votes = Counter(json.loads(a["annotationData"]["content"])["choice"] for a in item["annotations"])
            out.append({"datasetObjectId": item["datasetObjectId"],
                        "consolidatedAnnotation": {"content": {event["labelAttributeName"]: {
                            "choice": votes.most_common(1)[0][0], "votes": len(item["annotations"]),
                            "workers": sorted(a["workerId"] for a in item["annotations"])}}}})
        return out

    server.functions["gt-pre"] = pre
    server.functions["gt-post"] = post
    yield server
    server.stop()


def test_custom_pre_and_post_functions_run_with_gt_events(sm, service, s3, moto_server, functions, worker_factory,
                                                          tmp_path):
    settings = make_settings(service.settings.redis_url, str(tmp_path), output_backend="s3",
                             s3_endpoint_url=moto_server.url, s3_region="us-east-1", s3_access_key_id="testing",
                             s3_secret_access_key="testing", reaper_interval_seconds=0.3)
    worker_factory(settings, beat=True, extra_env={"HITL_LAMBDA_ENDPOINT_URL": functions.url,
                                                   "HITL_LAMBDA_ATTEMPTS": "2", "HITL_LAMBDA_BACKOFF_SECONDS": "0.05"})
    group = R.unique("custom")
    team_arn, ui_arn = R.create_team(sm, groups=(group,))[1], R.create_ui(sm)[1]
    sources = ["hello", "skip me", "explode", "world"]
    s3.put_object(Bucket=BUCKET, Key="in/custom.manifest",
                  Body="\n".join(json.dumps({"source": s, "n": i}) for i, s in enumerate(sources)).encode())
    name = R.unique("custom-job")
    req = job_request(name, team_arn, ui_arn, manifest=f"s3://{BUCKET}/in/custom.manifest", categories=None,
                      output=f"s3://{BUCKET}/custom-out", attribute="answer", workers=2, pre=PRE, post=POST)
    job_arn = sm.create_labeling_job(**req)["LabelingJobArn"]
    bots = [Bot(service, R.unique("cbot"), [group]) for _ in range(2)]
    shown = []

    def answer(task):
        shown.append(task["input"])
        return {"choice": "yes" if task["input"]["shout"] == "HELLO" else "no"}

    def everyone_works():
        for bot in bots:
            bot.work(answer)
        return finished(sm, name)

    d = wait_until(everyone_works, timeout=90, interval=0.2, message="the custom job to finish")
    assert d["LabelingJobStatus"] == "Completed", d.get("FailureReason")
    # the pre function's taskInput is what reviewers see; "skip me" never reaches them
    assert sorted(x["shout"] for x in shown) == ["HELLO", "HELLO", "WORLD", "WORLD"]
    assert d["LabelCounters"]["HumanLabeled"] == 2
    assert d["LabelCounters"]["FailedNonRetryableError"] == 1
    pre_events = [e for n, e in functions.calls if n == "gt-pre"]
    assert {e["version"] for e in pre_events} == {"2018-10-16"}
    assert {e["labelingJobArn"] for e in pre_events} == {job_arn}
    assert sorted(e["dataObject"]["source"] for e in pre_events if e["dataObject"]["source"] != "explode") == \
        ["hello", "skip me", "world"]
    post_events = [e for n, e in functions.calls if n == "gt-post"]
    assert post_events and all(e["labelAttributeName"] == "answer" for e in post_events)
    assert all(e["payload"]["s3Uri"].startswith(f"s3://{BUCKET}/custom-out/{name}/annotations/consolidated-annotation/"
                                                "consolidation-request/iteration-1/") for e in post_events)
    lines = read_lines(s3, f"custom-out/{name}/manifests/output/output.manifest")
    by_source = {x["source"]: x for x in lines}
    assert by_source["hello"]["answer"]["choice"] == "yes" and by_source["hello"]["answer"]["votes"] == 2
    assert by_source["world"]["answer"]["choice"] == "no"
    meta = by_source["hello"]["answer-metadata"]
    assert meta["type"] == "groundtruth/custom" and meta["job-name"] == f"labeling-job/{name}"
    assert meta["human-annotated"] == "yes" and DATE.match(meta["creation-date"])
    assert "answer" not in by_source["skip me"]
    assert "cannot pre-process" in by_source["explode"]["answer-metadata"]["failure-reason"]
