"""An auto-labeled text job end to end: boto3, Redis, a Celery worker with beat, moto S3, bots over HTTP."""

from __future__ import annotations

import json
import numpy as np
import pytest
from botocore.exceptions import ClientError

from tests.conftest import wait_until
from tests.jobs.test_chained import hitl
from tests.jobs.helpers import TEXT_TEMPLATE, Bot, categories_doc, job_request
from tests.jobs.test_e2e import BUCKET, job_worker, read_lines, s3  # noqa: F401 - fixtures
from tests.support import resources as R

ALGO = "arn:aws:sagemaker:us-east-1:027400017018:labeling-job-algorithm-specification/{}"
GOOD = ["great", "lovely", "superb", "tasty", "friendly", "fresh", "warm", "quick"]
BAD = ["awful", "cold", "rude", "stale", "slow", "dirty", "noisy", "late"]


def _data(n: int, seed: int = 5):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    texts = [" ".join(rng.choice(BAD if c else GOOD, 3)) + f" table {i}" for i, c in enumerate(y)]
    return texts, y


def _create(sm, s3, name: str, n: int, **extra):  # noqa: F811
    group = R.unique("al-group")
    team_arn, ui_arn = R.create_team(sm, groups=(group,))[1], R.create_ui(sm, template=TEXT_TEMPLATE)[1]
    texts, y = _data(n)
    s3.put_object(Bucket=BUCKET, Key=f"in/{name}.manifest",
                  Body="\n".join(json.dumps({"source": t, "row": i}) for i, t in enumerate(texts)).encode())
    s3.put_object(Bucket=BUCKET, Key=f"in/{name}-cats.json", Body=categories_doc("Positive", "Negative"))
    req = job_request(name, team_arn, ui_arn, manifest=f"s3://{BUCKET}/in/{name}.manifest",
                      categories=f"s3://{BUCKET}/in/{name}-cats.json", output=f"s3://{BUCKET}/out", workers=1)
    req.update(extra)
    sm.create_labeling_job(**req)
    return group, texts, y


def test_unsupported_algorithms_are_refused_naming_the_field(sm, s3):  # noqa: F811
    group = R.unique("al-group")
    team_arn, ui_arn = R.create_team(sm, groups=(group,))[1], R.create_ui(sm)[1]
    req = job_request(R.unique("al-bad"), team_arn, ui_arn,
                      manifest=f"s3://{BUCKET}/in/x.manifest", categories=f"s3://{BUCKET}/in/x.json")
    req["LabelingJobAlgorithmsConfig"] = {"LabelingJobAlgorithmSpecificationArn": ALGO.format("object-detection")}
    with pytest.raises(ClientError) as err:
        sm.create_labeling_job(**req)
    e = err.value.response["Error"]
    assert e["Code"] == "ValidationException"
    assert "LabelingJobAlgorithmsConfig.LabelingJobAlgorithmSpecificationArn" in e["Message"]
    assert ALGO.format("text-classification") in e["Message"]


def test_too_small_a_manifest_fails_the_job_naming_the_field(sm, s3, job_worker):  # noqa: F811
    name = R.unique("al-small")
    _create(sm, s3, name, 40, LabelingJobAlgorithmsConfig={
        "LabelingJobAlgorithmSpecificationArn": ALGO.format("text-classification")})
    d = wait_until(lambda: (lambda d: d if d["LabelingJobStatus"] == "Failed" else None)(
        sm.describe_labeling_job(LabelingJobName=name)), timeout=60, interval=0.3, message="the job to fail")
    assert "InputConfig.DataSource.S3DataSource.ManifestS3Uri" in d["FailureReason"]
    assert "1250" in d["FailureReason"] and "40" in d["FailureReason"]


def test_text_job_people_label_a_sample_and_the_model_labels_the_rest(sm, service, s3, job_worker, moto_server):  # noqa: F811
    name = R.unique("al-text")
    n = 1250
    group, texts, y = _create(sm, s3, name, n, LabelingJobAlgorithmsConfig={
        "LabelingJobAlgorithmSpecificationArn": ALGO.format("text-classification")})
    bot = Bot(service, R.unique("al-bot"), [group])
    answered = []

    def answer(task):
        row = texts.index(task["input"]["taskObject"])
        answered.append(row)
        truth = int(y[row])
        # a reviewer who knows the truth: the 95% target is judged against human labels, so the noise
        # of 90%-accurate reviewers is measured by the A1 benchmark instead (three reviewers per object)
        label = truth
        return {"crowd-classifier": {"label": ["Positive", "Negative"][label]}}

    def work():
        bot.work(answer)
        d = sm.describe_labeling_job(LabelingJobName=name)
        return d if d["LabelingJobStatus"] in ("Completed", "Failed", "Stopped") else None

    d = wait_until(work, timeout=300, interval=0.3, message="the auto-labeled job to finish")
    assert d["LabelingJobStatus"] == "Completed", d.get("FailureReason")
    c = d["LabelCounters"]
    assert c["HumanLabeled"] == len(answered) == len(set(answered))
    rounds = json.loads(s3.get_object(Bucket=BUCKET, Key=f"out/{name}/autolabel/rounds.json")["Body"].read())
    assert c["MachineLabeled"] > 0 and c["HumanLabeled"] + c["MachineLabeled"] == n and c["Unlabeled"] == 0, rounds
    assert len(answered) >= 500          # the validation hold-out (20%) and an equal training sample first
    assert d["LabelingJobAlgorithmsConfig"]["LabelingJobAlgorithmSpecificationArn"].endswith("text-classification")
    lines = read_lines(s3, f"out/{name}/manifests/output/output.manifest")
    assert [x["row"] for x in lines] == list(range(n))
    machine = [x for x in lines if x["sentiment-metadata"]["human-annotated"] == "no"]
    assert len(machine) == c["MachineLabeled"]
    assert all(x["sentiment-metadata"]["job-name"] == f"labeling-job/{name}" for x in lines)
    right = sum(x["sentiment"] == y[x["row"]] for x in machine)
    assert right / len(machine) >= 0.95
    assert rounds[0]["threshold"] is not None and rounds[0]["validation"] == 250
    assert sum(r["machine-labeled"] for r in rounds) == c["MachineLabeled"]
    shown = hitl(service, moto_server, "jobs", "describe", name)
    assert shown.returncode == 0, shown.stderr
    assert json.loads(shown.stdout)["AutoLabelingRounds"] == rounds
