"""Beat's routine sweeps run every few seconds; their lines belong at DEBUG, not in the INFO log."""

from __future__ import annotations

import logging

ROUTINE_TASKS = ("hitl.reap_expired_leases", "hitl.expire_due_loops", "hitl.sweep_outboxes", "hitl.jobs.tick",
                 "hitl.refresh_flow_quality")
# the loggers Celery announces a scheduled send, a receipt and a success on
CELERY_LOGGERS = ("celery.beat", "celery.worker.strategy", "celery.app.trace")


class RoutineAtDebug(logging.Filter):
    """Turns INFO lines about routine sweeps into DEBUG lines: kept only when DEBUG is on."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno != logging.INFO:
            return True
        text = record.getMessage()
        if not any(task in text for task in ROUTINE_TASKS):
            return True
        record.levelno, record.levelname = logging.DEBUG, "DEBUG"
        return logging.getLogger().isEnabledFor(logging.DEBUG)


def install() -> None:
    """Attach the filter to Celery's loggers (idempotent)."""
    for name in CELERY_LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(f, RoutineAtDebug) for f in logger.filters):
            logger.addFilter(RoutineAtDebug())
