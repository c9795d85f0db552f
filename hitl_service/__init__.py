"""hitl-service: a self-hosted human review service that speaks Amazon A2I's API."""

from __future__ import annotations

import logging

from flask import Flask

from hitl_service.config import Settings

__all__ = ["create_app"]


def configure_logging(level: str) -> None:
    root = logging.getLogger()
    if not any(getattr(h, "_hitl", False) for h in root.handlers):
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
        handler._hitl = True
        root.addHandler(handler)
    root.setLevel(level)


def create_app(config: Settings | None = None, dispatcher=None) -> Flask:
    """Build the WSGI app: runtime API, control plane, review pages, metrics and health."""
    from hitl_service.api import common, control, runtime
    from hitl_service.api.sessions import ApiAwareSessionInterface
    from hitl_service.extensions import services
    from hitl_service.ops import bp as ops_bp
    from hitl_service.review.views import bp as review_bp
    from hitl_service.services.context import build_context
    from hitl_service.workforce import views as workforce_views

    settings = config or Settings.from_env()
    configure_logging(settings.log_level)
    app = Flask(__name__)
    app.config.update(
        SECRET_KEY=settings.secret_key,
        MAX_CONTENT_LENGTH=8 * 1024 * 1024,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        # a session cookie sent over plain http could be stolen on the way: Secure whenever the
        # public URL is https, without a separate setting
        SESSION_COOKIE_SECURE=settings.session_cookie_secure or settings.public_url.lower().startswith("https://"),
        SESSION_COOKIE_NAME="hitl_session",
        TESTING=settings.testing,
    )
    if dispatcher is None:
        from workers.dispatch import CeleryDispatcher

        dispatcher = CeleryDispatcher(settings)
    ctx = build_context(settings, dispatcher)
    app.session_interface = ApiAwareSessionInterface()
    services.init_app(app, ctx)
    app.before_request(common.begin_request)
    app.after_request(common.finish_request)
    app.register_blueprint(runtime.bp)
    app.register_blueprint(control.bp)
    app.register_blueprint(review_bp)
    app.register_blueprint(ops_bp)
    workforce_views.init_app(app)
    from hitl_service.console import sources
    from hitl_service.jobs.console import job_progress

    sources.register(app, job_progress)  # labeling jobs' progress rows on the console
    return app
