"""Reviewer authentication for the review pages and JSON API: session cookie (+CSRF) or HTTP Basic."""

from __future__ import annotations

import functools
import hashlib
import hmac
import logging
import math
import secrets
from urllib.parse import urlsplit

from flask import g, request, session

from hitl_service.domain.timefmt import now_ms
from hitl_service.errors import ForbiddenError, HitlError, ReviewerAuthError, TooManyAttemptsError, UnsupportedLoginRequestError
from hitl_service.extensions import current_ctx
from hitl_service.services import reviewers
from hitl_service.store import keys
from hitl_service.store.throttle import ThrottlePolicy

log = logging.getLogger(__name__)

CSRF_HEADER = "X-CSRF-Token"
MAX_LOCK_SECONDS = 900.0
FAILURE_WINDOW_SECONDS = 900.0
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def _policies(settings) -> tuple[ThrottlePolicy, ThrottlePolicy]:
    base = settings.login_lockout_seconds
    return (ThrottlePolicy(settings.login_max_failures_per_account, base, MAX_LOCK_SECONDS, FAILURE_WINDOW_SECONDS),
            ThrottlePolicy(settings.login_max_failures_per_address, base, MAX_LOCK_SECONDS, FAILURE_WINDOW_SECONDS))


def client_address() -> str:
    """The address failures are counted against (the peer; a proxy in front must be trusted via
    werkzeug's ProxyFix for this to be the real client)."""
    return request.remote_addr or "-"


def throttled_login(ctx, name: str, verify, *, via: str) -> dict:
    """Run ``verify()`` (returns the reviewer record or raises ReviewerAuthError) under sign-in
    throttling, for any sign-in method (form, JSON, HTTP Basic; an OIDC callback may use it too).

    Too many recent failures for the name or from the client's address raise TooManyAttemptsError
    (429, with Retry-After) without checking the password; a failure counts against both; a success
    clears the name's count. Locks of one name or address never block others. Every attempt is logged.
    """
    throttle = ctx.store.throttle
    account_policy, address_policy = _policies(ctx.settings)
    address = client_address()
    subjects = ((keys.login_failures_account(_subject(name)), account_policy),
                (keys.login_failures_address(address), address_policy))
    now = now_ms()
    before = [throttle.state(key, now) for key, _ in subjects]
    for state in before:
        if state.locked:
            log.warning("login refused (throttled) name=%s address=%s via=%s retry_after_ms=%s", name, address, via,
                        state.retry_after_ms)
            raise _too_many(state.retry_after_ms)
    try:
        record = verify()
    except ReviewerAuthError:
        states = [throttle.record_failure(key, policy, now) for key, policy in subjects]
        log.warning("login failed name=%s address=%s via=%s failures_account=%s failures_address=%s", name, address,
                    via, states[0].failures, states[1].failures)
        raise
    if before[0].failures:
        throttle.clear(subjects[0][0])
    log.info("login ok name=%s worker=%s address=%s via=%s", name, record["worker_id"], address, via)
    return record


def _subject(name: str) -> str:
    # one counter per name however it is spelled or padded: lower case, valid UTF-8, bounded length
    text = name.lower().encode("utf-8", "replace").decode("utf-8")
    return text if len(text) <= 128 else "sha256:" + hashlib.sha256(text.encode()).hexdigest()


def _too_many(retry_after_ms: int) -> TooManyAttemptsError:
    seconds = max(1, math.ceil(retry_after_ms / 1000))
    return TooManyAttemptsError(f"Too many failed sign-ins; try again in {seconds} s", seconds)


def check_login_request(kind: str) -> None:
    """Refuse a sign-in request another site could make a browser send (login CSRF).

    ``kind`` is "form" or "json": the body must be that content type (a cross-site page can send a
    form or text/plain without asking, but not application/json), and an Origin header, which
    browsers add to every POST, must be this service's own origin.
    """
    media = request.mimetype or ""
    allowed = FORM_TYPES if kind == "form" else ("application/json",)
    if media not in allowed:
        raise UnsupportedLoginRequestError(f"Sign-in requests must be sent as {' or '.join(allowed)}")
    origin = request.headers.get("Origin")
    if origin is not None and origin.rstrip("/") not in _own_origins():
        log.warning("login refused (foreign origin) origin=%s address=%s", origin[:200], client_address())
        raise ForbiddenError("Sign-in requests from another site are refused")


def _own_origins() -> set[str]:
    public = urlsplit(current_ctx().settings.public_url)
    return {f"{public.scheme}://{public.netloc}", request.host_url.rstrip("/")}


def login_session(record: dict) -> str:
    """Start a session for the reviewer; returns its CSRF token."""
    session.clear()
    session["reviewer"] = record["name"]
    session["worker_id"] = record["worker_id"]
    session["csrf"] = secrets.token_urlsafe(24)
    session.permanent = False
    return session["csrf"]


def csrf_token() -> str:
    if "csrf" not in session:
        session["csrf"] = secrets.token_urlsafe(24)
    return session["csrf"]


def check_csrf(token: str | None) -> None:
    expected = session.get("csrf")
    if not expected or not token or not hmac.compare_digest(expected, token):
        raise ForbiddenError("Missing or wrong CSRF token; reload the page and try again")


def current_reviewer(required: bool = True) -> dict | None:
    """The signed-in reviewer (session or Basic auth); CSRF is enforced for cookie-authenticated writes."""
    if "reviewer_record" in g:
        return g.reviewer_record
    ctx = current_ctx()
    record = None
    auth = request.authorization
    if auth is not None and auth.type == "basic":
        username, password = auth.username or "", auth.password or ""
        try:
            record = throttled_login(ctx, username, lambda: reviewers.authenticate_repeated(ctx, username, password),
                                     via="basic")
        except TooManyAttemptsError:
            raise  # refused by the throttle without checking: not an attempt, so nothing floods the trail
        except HitlError as exc:
            # every request is a Basic sign-in: failures are audited (the throttle bounds how many can
            # arrive); a success shows as the action the request makes
            from hitl_service.workforce import audit

            audit.sign_in(ctx, username, None, exc.message, method="basic")
            raise
    elif session.get("reviewer"):
        record = reviewers.get_reviewer(ctx, session["reviewer"])
        if record is None or record["worker_id"] != session.get("worker_id"):
            session.clear()
            record = None
        elif request.method not in ("GET", "HEAD", "OPTIONS"):
            check_csrf(request.headers.get(CSRF_HEADER) or request.form.get("csrf_token"))
    if record is None and required:
        raise ReviewerAuthError("Sign in first (session cookie from /review/login, or HTTP Basic credentials)")
    g.reviewer_record = record
    return record


def reviewer_required(view):
    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        current_reviewer(required=True)
        return view(*args, **kwargs)

    return wrapper
