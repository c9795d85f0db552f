"""What the console shows of labeling jobs: one progress row per job (registered with console.sources)."""

from __future__ import annotations

from hitl_service.console.sources import Progress
from hitl_service.services.context import ServiceContext
from schemas.labeling import label_counters

KIND = "labeling-job"


def job_progress(ctx: ServiceContext) -> list[Progress]:
    """Per job: objects labelled or failed out of those ingested, with its status and workteam."""
    rows = []
    for job in ctx.store.jobs.all_summaries():
        counters = label_counters(job)
        done = counters["TotalLabeled"] + counters["FailedNonRetryableError"]
        rows.append(Progress(kind=KIND, name=job["name"], status=job["status"], done=done,
                             total=int(job.get("total") or 0), team=job.get("team") or ""))
    return rows
