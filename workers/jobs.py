"""Celery tasks of labeling jobs. Each takes a job name, re-reads state, and is safe to run twice."""

from __future__ import annotations

import logging

from hitl_service.jobs import work
from workers.celery_app import app
from workers.runtime import context

log = logging.getLogger(__name__)


@app.task(name="hitl.jobs.work", acks_late=True)
def job_work(job_name: str) -> str:
    """Ingest, expire, consolidate and finish whatever is due for one job."""
    try:
        ctx = context()
        return work.run(ctx, job_name, ctx.storage)
    except Exception:  # noqa: BLE001 - the job stays active; the next tick runs it again
        log.exception("labeling job work failed job=%s (retried by the next tick)", job_name)
        return "retry-scheduled"


@app.task(name="hitl.jobs.tick", acks_late=True)
def jobs_tick() -> int:
    """Beat: wake every active job (lease reaping, lifetime expiry, a lost work message)."""
    ctx = context()
    names = ctx.store.jobs.active_names()
    for name in names:
        ctx.dispatcher.job_work(name)
    return len(names)
