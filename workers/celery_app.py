"""The Celery application: its own entry point (``celery -A workers.celery_app worker``)."""

from __future__ import annotations

from celery import Celery
from celery.signals import after_setup_logger, worker_process_init

from hitl_service.config import Settings


def make_celery(settings: Settings | None = None) -> Celery:
    """A Celery app on the configured Redis broker with at-least-once task delivery."""
    settings = settings or Settings.from_env()
    if not settings.broker_is_amqp:
        from workers import broker

        broker.install()
    app = Celery("hitl", broker=settings.broker_url, include=["workers.tasks", "workers.jobs"])
    app.conf.update(
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=4,
        task_ignore_result=True,
        task_serializer="json",
        accept_content=["json"],
        broker_connection_retry_on_startup=True,
        broker_transport_options=settings.broker_transport_options(),
        # keep reconnecting to a restarted broker (the default gives up after 100 tries)
        broker_connection_max_retries=None,
        task_default_queue="hitl",
        beat_schedule={
            "reap-expired-leases": {"task": "hitl.reap_expired_leases", "schedule": settings.reaper_interval_seconds},
            "expire-due-loops": {"task": "hitl.expire_due_loops", "schedule": settings.reaper_interval_seconds},
            "sweep-outboxes": {"task": "hitl.sweep_outboxes", "schedule": settings.reaper_interval_seconds},
            "labeling-jobs-tick": {"task": "hitl.jobs.tick", "schedule": settings.reaper_interval_seconds},
            "refresh-flow-quality": {"task": "hitl.refresh_flow_quality", "schedule": settings.reaper_interval_seconds},
        },
    )
    if settings.broker_is_amqp:
        # RabbitMQ: replicated quorum queues (they need per-consumer prefetch, which Celery detects)
        app.conf.task_default_queue_type = "quorum"
        app.conf.worker_detect_quorum_queues = True
    app.hitl_settings = settings
    return app


app = make_celery()


@worker_process_init.connect
def _fresh_connections(**_):
    # a forked worker process must not share the parent's Redis sockets
    from workers import runtime

    runtime.reset()


@after_setup_logger.connect
def _routine_sweeps_at_debug(**_):
    from workers import quiet

    quiet.install()
