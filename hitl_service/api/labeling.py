"""SageMaker Ground Truth operations on the control plane (merged into control.OPERATIONS)."""

from __future__ import annotations

from hitl_service.jobs import listing, service
from schemas.labeling import dump_labeling_job, dump_labeling_job_for_workteam, dump_labeling_job_summary


def create_labeling_job(ctx, req):
    return service.create_labeling_job(ctx, req)


def describe_labeling_job(ctx, req):
    return dump_labeling_job(service.get_labeling_job(ctx, req["LabelingJobName"]))


def list_labeling_jobs(ctx, req):
    rows, token = listing.list_labeling_jobs(ctx, req)
    body = {"LabelingJobSummaryList": [dump_labeling_job_summary(r) for r in rows]}
    if token:
        body["NextToken"] = token
    return body


def stop_labeling_job(ctx, req):
    service.stop_labeling_job(ctx, req["LabelingJobName"])
    return {}


def list_labeling_jobs_for_workteam(ctx, req):
    rows, token = listing.list_labeling_jobs_for_workteam(ctx, req)
    body = {"LabelingJobSummaryList": [dump_labeling_job_for_workteam(r, ctx.settings.account_id) for r in rows]}
    if token:
        body["NextToken"] = token
    return body


OPERATIONS = {
    "CreateLabelingJob": create_labeling_job,
    "DescribeLabelingJob": describe_labeling_job,
    "ListLabelingJobs": list_labeling_jobs,
    "StopLabelingJob": stop_labeling_job,
    "ListLabelingJobsForWorkteam": list_labeling_jobs_for_workteam,
}
