"""A job task's lease ends after TaskTimeLimitInSeconds: the assignment goes back to the queue."""

from __future__ import annotations

import json

from tests.conftest import wait_until
from tests.jobs.helpers import Bot
from tests.jobs.test_e2e import BUCKET, finished, job_worker, read_lines, s3, start_text_job  # noqa: F401
from tests.support import resources as R


def test_an_abandoned_task_returns_after_its_time_limit_and_another_reviewer_finishes_it(sm, service, s3,  # noqa: F811
                                                                                          job_worker):  # noqa: F811
    # the model's smallest time limit: the test waits it out for real, as a reviewer would
    name, group = start_text_job(sm, s3, "abandon", 1, workers=2, TaskTimeLimitInSeconds=30)
    quitter, steady, late = (Bot(service, R.unique(n), [group]) for n in ("quitter", "steady", "late"))
    wait_until(lambda: sm.describe_labeling_job(LabelingJobName=name)["LabelingJobStatus"] == "InProgress",
               timeout=30, message="the job to start")
    abandoned = quitter.claim()
    assert abandoned is not None
    assert steady.work(lambda t: {"crowd-classifier": {"label": "B"}}) == 1
    # both assignments are out (one answered, one held by the quitter): nothing for a third reviewer yet
    assert late.claim() is None
    assert sm.describe_labeling_job(LabelingJobName=name)["LabelCounters"]["HumanLabeled"] == 0

    task = wait_until(late.claim, timeout=90, interval=1, message="the abandoned assignment to come back")
    assert task["token"] != abandoned["token"]
    resp = late.submit(task["token"], {"crowd-classifier": {"label": "B"}})
    assert resp.status_code == 200, resp.text
    # the quitter comes back too late: the answer is refused, with the reason
    resp = quitter.submit(abandoned["token"], {"crowd-classifier": {"label": "A"}})
    assert resp.status_code in (409, 410), resp.text
    assert "lease" in resp.text.lower()
    assert quitter.claim() is None  # a reviewer is never offered an object twice

    d = wait_until(lambda: finished(sm, name), timeout=30, message="the job to complete")
    assert d["LabelingJobStatus"] == "Completed"
    assert d["LabelCounters"] == {"TotalLabeled": 1, "HumanLabeled": 1, "MachineLabeled": 0,
                                  "FailedNonRetryableError": 0, "Unlabeled": 0}
    [line] = read_lines(s3, f"out/{name}/manifests/output/output.manifest")
    assert line["sentiment-metadata"]["class-name"] == "B"
    listed = s3.list_objects_v2(Bucket=BUCKET, Prefix=f"out/{name}/annotations/worker-response/")["Contents"]
    [response] = [o["Key"] for o in listed]
    answers = json.loads(s3.get_object(Bucket=BUCKET, Key=response)["Body"].read())["answers"]
    assert sorted(a["workerId"] for a in answers) == sorted([steady.worker_id, late.worker_id])
