"""Per-process state for tasks: the ServiceContext built lazily from the Celery app's settings."""

from __future__ import annotations

from hitl_service.domain.names import ArnFactory
from hitl_service.services.context import ServiceContext
from hitl_service.store.redis_store import Store, connect

_ctx: ServiceContext | None = None


def context() -> ServiceContext:
    global _ctx
    if _ctx is None:
        from workers.celery_app import app
        from workers.dispatch import CeleryDispatcher

        settings = app.hitl_settings
        _ctx = ServiceContext(settings=settings, store=Store(connect(settings.redis_url)),
                              arns=ArnFactory(settings.region, settings.account_id),
                              dispatcher=CeleryDispatcher(settings, app=app))
    return _ctx


def reset() -> None:
    global _ctx
    _ctx = None
