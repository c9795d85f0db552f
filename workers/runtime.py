"""Per-process state for tasks: the ServiceContext, built once per worker process."""

from __future__ import annotations

from hitl_service.services.context import ServiceContext, build_context

_ctx: ServiceContext | None = None


def context() -> ServiceContext:
    """The worker process's context (settings, store, output storage, dispatcher), built on first use."""
    global _ctx
    if _ctx is None:
        from workers.celery_app import app
        from workers.dispatch import CeleryDispatcher

        settings = app.hitl_settings
        _ctx = build_context(settings, CeleryDispatcher(settings, app=app))
    return _ctx


def reset() -> None:
    """Forget the context (a forked worker process must not share the parent's Redis sockets)."""
    global _ctx
    _ctx = None
