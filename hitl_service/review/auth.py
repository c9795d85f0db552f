"""Reviewer authentication for the review pages and JSON API: session cookie (+CSRF) or HTTP Basic."""

from __future__ import annotations

import functools
import hmac
import secrets

from flask import g, request, session

from hitl_service.errors import ForbiddenError, ReviewerAuthError
from hitl_service.extensions import current_ctx
from hitl_service.services import reviewers

CSRF_HEADER = "X-CSRF-Token"


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
        record = reviewers.authenticate_repeated(ctx, auth.username or "", auth.password or "")
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
