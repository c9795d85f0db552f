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
