"""Workforce pages: OIDC sign-in (redirect and callback) and the source-IP rule for people's pages."""

from __future__ import annotations

import logging

from flask import Blueprint, Response, redirect, render_template_string, request, session, url_for
from markupsafe import escape

from hitl_service.domain.timefmt import now_ms
from hitl_service.errors import HitlError
from hitl_service.extensions import current_ctx
from hitl_service.review.auth import login_session
from hitl_service.services import reviewers
from hitl_service.store.workforce import WriteResult
from hitl_service.workforce import audit, netaccess, oidc, service
from hitl_service.workforce.roles import role_of

log = logging.getLogger(__name__)

bp = Blueprint("workforce", __name__, url_prefix="/review/oidc")

# pages that people (not API clients) reach: the workforce's SourceIpConfig applies to them
GUARDED_PREFIXES = ("/review", "/console")
PENDING_KEY = "oidc_pending"

ERROR_PAGE = """{% extends "review/base.html" %}{% block title %}Sign-in failed{% endblock %}
{% block content %}<section class="card narrow"><h1>Sign-in failed</h1>
<p class="alert error" role="alert" id="sign-in-error">{{ message }}</p>
<p><a href="{{ url_for('workforce.login') }}">Try again</a> · <a href="{{ url_for('review.login') }}">Local account</a></p>
</section>{% endblock %}"""


def init_app(app) -> None:
    """Register the sign-in routes and the source-IP rule (called once by create_app)."""
    netaccess.check_cidrs(current_settings(app).trusted_proxies, "HITL_TRUSTED_PROXIES")
    from hitl_service.console.views import bp as console_bp

    app.register_blueprint(bp)
    app.register_blueprint(console_bp)
    app.before_request(enforce_source_ip)
    app.context_processor(lambda: {"oidc_sign_in_enabled": lambda: oidc_enabled(current_ctx())})


def current_settings(app):
    return app.extensions["hitl"].settings


def oidc_enabled(ctx) -> bool:
    """Whether the login page should offer the IdP (a workforce with OidcConfig exists)."""
    record = service.active_workforce(ctx)
    return record is not None and "OidcConfig" in record.doc


def enforce_source_ip():
    """Refuse people's pages to callers outside the workforce's CIDRs (API calls are SigV4-signed instead)."""
    if not request.path.startswith(GUARDED_PREFIXES) or request.path.startswith("/review/static/"):
        return None
    ctx = current_ctx()
    cidrs = service.allowed_cidrs(service.active_workforce(ctx))
    if not cidrs:
        return None
    address = audit.source_ip(ctx)
    if netaccess.allowed(address, cidrs):
        return None
    log.warning("source ip refused ip=%s path=%s", address, request.path)
    return Response(f"Access from {escape(address)} is not allowed by this workforce's SourceIpConfig.\n",
                    status=403, content_type="text/plain; charset=utf-8")


def _redirect_uri(ctx) -> str:
    return f"{ctx.settings.public_url}{url_for('workforce.callback')}"


def _oidc(ctx):
    try:
        settings = service.oidc_settings(ctx, service.active_workforce(ctx))
    except ValueError as exc:  # the secret was sealed with another key (HITL_WORKFORCE_SECRET_KEY changed)
        log.error("workforce secret unreadable error=%s", exc)
        raise oidc.SignInError("The workforce's client secret cannot be read with this service's key; an admin "
                               "must send UpdateWorkforce with the OidcConfig again") from None
    if settings is None:
        raise oidc.SignInError("This service has no OIDC workforce; create one with CreateWorkforce(OidcConfig=...)")
    return settings


def _failed(ctx, message: str, actor: str = ""):
    audit.record(ctx, "sign_in", actor=actor, outcome="failed", detail={"reason": message[:300], "method": "oidc"})
    return render_template_string(ERROR_PAGE, message=message), 401


@bp.get("/login")
def login():
    """Send the browser to the IdP's authorization endpoint (code flow with PKCE)."""
    ctx = current_ctx()
    try:
        url, pending = oidc.begin(_oidc(ctx), _redirect_uri(ctx))
    except HitlError as exc:
        return _failed(ctx, exc.message)
    session[PENDING_KEY] = pending.as_dict()
    return redirect(url)


@bp.get("/callback")
def callback():
    """Finish the sign-in: verify what the IdP sent, refresh the reviewer's groups, start a session."""
    ctx = current_ctx()
    pending = session.pop(PENDING_KEY, None)
    try:
        settings = _oidc(ctx)
        identity = oidc.finish(settings, _redirect_uri(ctx), request.args.to_dict(), pending,
                               verify=ctx.settings.oidc_ca_bundle or True, leeway=ctx.settings.oidc_clock_skew_seconds)
    except HitlError as exc:
        return _failed(ctx, exc.message)
    name = oidc.reviewer_name(identity.issuer, identity.sub)
    outcome = ctx.store.workforces.upsert_oidc_reviewer(
        name=name, worker_id=oidc.worker_id(identity.issuer, identity.sub), issuer=identity.issuer,
        sub=identity.sub, groups=identity.groups, display_name=identity.name, now_ms=now_ms())
    if outcome is WriteResult.TAKEN:
        return _failed(ctx, "This identity collides with a local reviewer name; ask an admin", identity.sub)
    record = reviewers.get_reviewer(ctx, name)
    login_session(record)
    audit.record(ctx, "sign_in", actor=record["worker_id"], role=role_of(ctx.settings, record).value,
                 detail={"method": "oidc", "issuer": identity.issuer, "sub": identity.sub, "groups": identity.groups})
    log.info("oidc sign-in worker=%s issuer=%s groups=%s", record["worker_id"], identity.issuer, ",".join(identity.groups))
    return redirect(url_for("review.queue"))


@bp.post("/logout")
def logout():
    """End the session here, then at the IdP (its LogoutEndpoint), coming back to the login page."""
    from urllib.parse import urlencode

    from hitl_service.review.auth import check_csrf

    ctx = current_ctx()
    check_csrf(request.form.get("csrf_token"))
    session.clear()
    settings = service.oidc_settings(ctx, service.active_workforce(ctx))
    if settings is None:
        return redirect(url_for("review.login"))
    back = f"{ctx.settings.public_url}{url_for('review.login')}"
    query = urlencode({"client_id": settings.client_id, "post_logout_redirect_uri": back})
    separator = "&" if "?" in settings.logout_endpoint else "?"
    return redirect(f"{settings.logout_endpoint}{separator}{query}")
