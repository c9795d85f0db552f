"""Requests and fixtures data shared by the labeling-job tests."""

from __future__ import annotations

from hitl_service.domain.labeling import TaskType
from hitl_service.jobs.tasktypes import builtin_arn

ROLE = "arn:aws:iam::123456789012:role/GroundTruthRole"


def job_request(name: str, team_arn: str, ui_arn: str, *, task_type: TaskType = TaskType.TEXT_CLASSIFICATION,
                manifest="s3://in-bucket/input.manifest", output="s3://out-bucket/jobs",
                categories="s3://in-bucket/categories.json", attribute="sentiment", workers=3, region="us-east-1",
                pre=None, post=None, **htc_overrides) -> dict:
    htc = {
        "WorkteamArn": team_arn,
        "UiConfig": {"HumanTaskUiArn": ui_arn},
        "PreHumanTaskLambdaArn": pre or builtin_arn("PRE", task_type, region),
        "TaskTitle": "Sentiment",
        "TaskDescription": "Pick the sentiment of the sentence",
        "NumberOfHumanWorkersPerDataObject": workers,
        "TaskTimeLimitInSeconds": 300,
        "AnnotationConsolidationConfig": {"AnnotationConsolidationLambdaArn": post or builtin_arn("ACS", task_type, region)},
    }
    htc.update(htc_overrides)
    req = {
        "LabelingJobName": name,
        "LabelAttributeName": attribute,
        "InputConfig": {"DataSource": {"S3DataSource": {"ManifestS3Uri": manifest}}},
        "OutputConfig": {"S3OutputPath": output},
        "RoleArn": ROLE,
        "HumanTaskConfig": htc,
    }
    if categories:
        req["LabelCategoryConfigS3Uri"] = categories
    return req


TEXT_TEMPLATE = """<script src="https://assets.crowd.aws/crowd-html-elements.js"></script>
<crowd-form>
  <crowd-classifier name="crowd-classifier" categories="{{ task.input.labels | to_json | escape }}"
                    header="{{ task.input.header }}">
    <classification-target>{{ task.input.taskObject }}</classification-target>
    <full-instructions header="Instructions">{{ task.input.fullInstruction }}</full-instructions>
    <short-instructions>{{ task.input.shortInstruction }}</short-instructions>
  </crowd-classifier>
</crowd-form>
"""


def categories_doc(*labels: str, short="Pick the best label", full="<p>Read the whole text.</p>") -> bytes:
    import json

    return json.dumps({"document-version": "2018-11-28", "labels": [{"label": x} for x in labels],
                       "instructions": {"shortInstruction": short, "fullInstruction": full}}).encode()


class Bot:
    """A reviewer answering tasks through the reviewer JSON API that loops use too (HTTP Basic auth)."""

    def __init__(self, service, name: str, groups, password="bot-password-1"):
        import requests

        from hitl_service.services.reviewers import add_reviewer

        self.url = f"{service.url}/review/api/assignments"
        self.record = add_reviewer(service.ctx, name, password, list(groups))
        self.http = requests.Session()
        self.http.auth = (name, password)

    @property
    def worker_id(self) -> str:
        return self.record["workerId"]

    def claim(self) -> dict | None:
        resp = self.http.post(f"{self.url}/claim", json={}, timeout=10)
        assert resp.status_code == 200, resp.text
        return resp.json()["assignment"]

    def submit(self, token: str, answer: dict):
        return self.http.post(f"{self.url}/{token}/submit", json={"answerContent": answer}, timeout=10)

    def work(self, answer_for, limit: int = 1000) -> int:
        """Claim and answer until nothing is left for this reviewer; how many were answered."""
        done = 0
        while done < limit:
            task = self.claim()
            if task is None:
                return done
            resp = self.submit(task["token"], answer_for(task))
            assert resp.status_code == 200, resp.text
            done += 1
        return done
