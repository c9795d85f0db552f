"""Objects created once per process and bound to the app in create_app()."""

from __future__ import annotations

from hitl_service.services.context import ServiceContext


class Services:
    """Holds the ServiceContext for the app (set by create_app, read by handlers)."""

    def __init__(self):
        self.ctx: ServiceContext | None = None

    def init_app(self, app, ctx: ServiceContext) -> None:
        self.ctx = ctx
        app.extensions["hitl"] = ctx


services = Services()


def current_ctx() -> ServiceContext:
    from flask import current_app

    return current_app.extensions["hitl"]
