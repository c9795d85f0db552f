"""What the console shows of labeling jobs: a progress row per job with its quality numbers
(registered with console.sources). Reads a bounded page of the newest jobs, never every job."""

from __future__ import annotations

from hitl_service.console.sources import Progress
from hitl_service.services.context import ServiceContext
from schemas.labeling import label_counters

KIND = "labeling-job"
RECENT = 200   # the newest jobs the console lists (a lead filters these by team)


def job_progress(ctx: ServiceContext, limit: int = RECENT) -> list[Progress]:
    """Per job, newest first: labelled and failed objects out of those ingested, status, team and quality."""
    jobs = ctx.store.jobs.recent_jobs(limit)
    rows = []
    for job, quality in zip(jobs, ctx.store.quality.summaries([j["name"] for j in jobs])):
        counters = label_counters(job)
        failed = counters["FailedNonRetryableError"]
        rows.append(Progress(kind=KIND, name=job["name"], status=job["status"], done=counters["TotalLabeled"] + failed,
                             total=int(job.get("total") or 0), team=job.get("team") or "", failed=failed,
                             quality=quality))
    return rows
