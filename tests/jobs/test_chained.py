"""Chained jobs (cats and dogs, then dog breeds) with `hitl manifests filter`, and `hitl jobs` for operators."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from tests.conftest import ROOT, wait_until
from tests.jobs.helpers import Bot, categories_doc, job_request
from tests.jobs.test_e2e import BUCKET, finished, job_worker, read_lines, s3  # noqa: F401 - fixtures
from tests.support import resources as R


def hitl(service, moto_server, *args: str) -> subprocess.CompletedProcess:
    s = service.settings
    env = dict(os.environ, HITL_REDIS_URL=s.redis_url, HITL_BROKER_URL=s.broker_url, HITL_REGION=s.region,
               HITL_ACCOUNT_ID=s.account_id, HITL_OUTPUT_BACKEND="s3", HITL_S3_ENDPOINT_URL=moto_server.url,
               HITL_S3_REGION="us-east-1", HITL_S3_ACCESS_KEY_ID="testing", HITL_S3_SECRET_ACCESS_KEY="testing")
    return subprocess.run([sys.executable, "-m", "hitl_service.cli", *args], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=60)


def run_job(sm, service, s3, group, name, manifest_key, attribute, labels, answer_for, team_arn, ui_arn):
    s3.put_object(Bucket=BUCKET, Key=f"in/{name}-cats.json", Body=categories_doc(*labels))
    sm.create_labeling_job(**job_request(name, team_arn, ui_arn, manifest=f"s3://{BUCKET}/{manifest_key}",
                                         categories=f"s3://{BUCKET}/in/{name}-cats.json", output=f"s3://{BUCKET}/chain",
                                         attribute=attribute, workers=1))
    bot = Bot(service, R.unique("chainbot"), [group])

    def work():
        bot.work(lambda t: {"crowd-classifier": {"label": answer_for(t["input"]["taskObject"])}})
        return finished(sm, name)

    d = wait_until(work, timeout=60, interval=0.2, message=f"job {name} to finish")
    assert d["LabelingJobStatus"] == "Completed", d.get("FailureReason")
    return d


def test_second_job_on_a_filtered_output_keeps_both_labels(sm, service, s3, moto_server, job_worker):
    group = R.unique("chain")
    team_arn, ui_arn = R.create_team(sm, groups=(group,))[1], R.create_ui(sm)[1]
    pets = ["dog: poodle", "cat: tabby", "dog: beagle", "cat: siamese"]
    s3.put_object(Bucket=BUCKET, Key="in/pets.manifest", Body="\n".join(json.dumps({"source": p}) for p in pets).encode())
    first = R.unique("species")
    d1 = run_job(sm, service, s3, group, first, "in/pets.manifest", "species", ("cat", "dog"),
                 lambda text: text.split(":")[0], team_arn, ui_arn)
    output1 = d1["LabelingJobOutput"]["OutputDatasetS3Uri"]

    done = hitl(service, moto_server, "manifests", "filter", output1, f"s3://{BUCKET}/in/dogs.manifest",
                "--attribute", "species", "--label", "dog")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("2 lines")
    second = R.unique("breed")
    d2 = run_job(sm, service, s3, group, second, "in/dogs.manifest", "breed", ("poodle", "beagle"),
                 lambda text: text.split(": ")[1], team_arn, ui_arn)
    lines = read_lines(s3, d2["LabelingJobOutput"]["OutputDatasetS3Uri"].split(f"{BUCKET}/", 1)[1])
    assert [x["source"] for x in lines] == ["dog: poodle", "dog: beagle"]
    for line in lines:
        assert line["species-metadata"]["class-name"] == "dog"
        assert line["species-metadata"]["job-name"] == f"labeling-job/{first}"
        assert line["breed-metadata"]["class-name"] == line["source"].split(": ")[1]
        assert line["breed-metadata"]["job-name"] == f"labeling-job/{second}"

    listed = hitl(service, moto_server, "jobs", "list", "--status", "Completed")
    assert listed.returncode == 0, listed.stderr
    assert first in listed.stdout and second in listed.stdout
    described = hitl(service, moto_server, "jobs", "describe", second)
    assert json.loads(described.stdout)["LabelCounters"]["HumanLabeled"] == 2
    watched = hitl(service, moto_server, "jobs", "watch", second, "--interval", "0.1")
    assert watched.returncode == 0 and "2/2 labelled" in watched.stdout and "Completed" in watched.stdout
