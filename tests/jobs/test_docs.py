"""The boto3 walkthrough of docs/labeling-jobs.md runs as printed against the service and a worker."""

from __future__ import annotations

import json
import re

from tests.conftest import ACCESS_KEY, ROOT, SECRET_KEY, make_settings, wait_until
from tests.jobs.helpers import Bot


def walkthrough() -> str:
    text = (ROOT / "docs" / "labeling-jobs.md").read_text()
    return re.search(r"## Walkthrough.*?```python\n(.*?)```", text, re.S).group(1)


def test_walkthrough_labels_the_reviews(service, worker_factory, tmp_path, monkeypatch):
    worker_factory(make_settings(service.settings.redis_url, str(tmp_path / "var" / "data"),
                                 reaper_interval_seconds=0.3), beat=True)
    code = walkthrough()
    code = code.replace('"http://127.0.0.1:8080"', repr(service.url))
    code = code.replace('aws_access_key_id="AKIA..."', f"aws_access_key_id={ACCESS_KEY!r}")
    code = code.replace('aws_secret_access_key="..."', f"aws_secret_access_key={SECRET_KEY!r}")
    monkeypatch.chdir(tmp_path)
    exec(compile(code, "labeling-jobs.md", "exec"), {})
    bots = [Bot(service, name, ["labelers"]) for name in ("alice", "bob", "carol")]
    sm = service.client("sagemaker")

    def done():
        for bot in bots:
            bot.work(lambda t: {"crowd-classifier": {"label": "Negative" if "Cold" in t["input"]["taskObject"]
                                                      else "Positive"}})
        d = sm.describe_labeling_job(LabelingJobName="review-sentiment")
        return d if d["LabelingJobStatus"] == "Completed" else None

    d = wait_until(done, timeout=60, interval=0.2, message="the walkthrough job to complete")
    assert d["LabelingJobOutput"]["OutputDatasetS3Uri"] == \
        "s3://gt-data/out/review-sentiment/manifests/output/output.manifest"
    out = tmp_path / "var/data/s3/gt-data/out/review-sentiment/manifests/output/output.manifest"
    lines = [json.loads(x) for x in out.read_text().splitlines()]
    assert [x["sentiment-metadata"]["class-name"] for x in lines] == ["Positive", "Negative", "Positive"]
    assert lines[0]["review-id"] == 0 and lines[0]["sentiment"] == 0
    printed = json.loads(re.search(r"```json\n(.*?)\n```", (ROOT / "docs/labeling-jobs.md").read_text(), re.S).group(1))
    assert set(printed) == set(lines[0]) and set(printed["sentiment-metadata"]) == set(lines[0]["sentiment-metadata"])
