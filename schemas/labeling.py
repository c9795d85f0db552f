"""Output schemas of the labeling-job operations (json protocol: epoch-second timestamps)."""

from __future__ import annotations

from marshmallow import Schema, fields

from hitl_service.domain.labeling import LabelingJobStatus
from schemas.control import EpochSeconds


def label_counters(job: dict) -> dict:
    """LabelCounters: every ingested object is labelled, failed or still unlabelled."""
    total = int(job.get("total") or 0)
    human = int(job.get("human_labeled") or 0)
    failed = int(job.get("failed") or 0)
    machine = int(job.get("machine_labeled") or 0)
    return {"TotalLabeled": human + machine, "HumanLabeled": human, "MachineLabeled": machine,
            "FailedNonRetryableError": failed, "Unlabeled": max(0, total - human - machine - failed)}


def _job_output(job: dict):
    if job.get("output_uri"):
        return {"OutputDatasetS3Uri": job["output_uri"]}
    return None


def _doc(key):
    return fields.Function(lambda j: j["doc"].get(key))


class LabelingJobSchema(Schema):
    LabelingJobStatus = fields.String(attribute="status")
    LabelCounters = fields.Function(label_counters)
    FailureReason = fields.String(attribute="failure_reason")
    CreationTime = EpochSeconds(attribute="created_ms")
    LastModifiedTime = EpochSeconds(attribute="modified_ms")
    JobReferenceCode = fields.String(attribute="reference_code")
    LabelingJobName = fields.String(attribute="name")
    LabelingJobArn = fields.String(attribute="arn")
    LabelAttributeName = _doc("LabelAttributeName")
    InputConfig = _doc("InputConfig")
    OutputConfig = _doc("OutputConfig")
    RoleArn = _doc("RoleArn")
    LabelCategoryConfigS3Uri = _doc("LabelCategoryConfigS3Uri")
    StoppingConditions = _doc("StoppingConditions")
    HumanTaskConfig = _doc("HumanTaskConfig")
    Tags = _doc("Tags")
    LabelingJobAlgorithmsConfig = _doc("LabelingJobAlgorithmsConfig")
    LabelingJobOutput = fields.Function(_job_output)


class LabelingJobSummarySchema(Schema):
    LabelingJobName = fields.String(attribute="name")
    LabelingJobArn = fields.String(attribute="arn")
    CreationTime = EpochSeconds(attribute="created_ms")
    LastModifiedTime = EpochSeconds(attribute="modified_ms")
    LabelingJobStatus = fields.String(attribute="status")
    LabelCounters = fields.Function(label_counters)
    WorkteamArn = fields.String(attribute="team_arn")
    PreHumanTaskLambdaArn = fields.String(attribute="pre_arn")
    AnnotationConsolidationLambdaArn = fields.String(attribute="post_arn")
    FailureReason = fields.String(attribute="failure_reason")
    LabelingJobOutput = fields.Function(_job_output)
    InputConfig = fields.Function(lambda j: {"DataSource": {"S3DataSource": {"ManifestS3Uri": j["manifest_uri"]}}})


def _team_counters(job: dict) -> dict:
    c = label_counters(job)
    pending = c["Unlabeled"] if not LabelingJobStatus(job["status"]).terminal else 0
    return {"HumanLabeled": c["HumanLabeled"], "PendingHuman": pending, "Total": int(job.get("total") or 0)}


def _team_summary(account_id: str):
    class LabelingJobForWorkteamSummarySchema(Schema):
        LabelingJobName = fields.String(attribute="name")
        JobReferenceCode = fields.String(attribute="reference_code")
        WorkRequesterAccountId = fields.Constant(account_id)
        CreationTime = EpochSeconds(attribute="created_ms")
        LabelCounters = fields.Function(_team_counters)
        NumberOfHumanWorkersPerDataObject = fields.Function(lambda j: int(j["workers_per_object"]))

    return LabelingJobForWorkteamSummarySchema()


def _clean(doc: dict) -> dict:
    return {k: v for k, v in doc.items() if v not in (None, "")}


_job, _summary = LabelingJobSchema(), LabelingJobSummarySchema()


def dump_labeling_job(job: dict) -> dict:
    return _clean(_job.dump(job))


def dump_labeling_job_summary(job: dict) -> dict:
    return _clean(_summary.dump(job))


def dump_labeling_job_for_workteam(job: dict, account_id: str) -> dict:
    return _clean(_team_summary(account_id).dump(job))
