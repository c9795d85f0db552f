"""The reviewers' JSON API under /review/api/ (used by the review page, and by curl)."""

from __future__ import annotations

import json

from flask import Blueprint, request

from hitl_service.api.common import json_response
from hitl_service.errors import HitlError, InternalServerError, ValidationError
from hitl_service.extensions import current_ctx
from hitl_service.review.auth import current_reviewer, login_session, reviewer_required
from hitl_service.services import review, reviewers
from hitl_service.workforce import audit

bp = Blueprint("review_api", __name__, url_prefix="/review/api")


@bp.errorhandler(HitlError)
def render_error(exc: HitlError):
    return json_response({"__type": exc.code, "Message": exc.message}, exc.status)


@bp.errorhandler(Exception)
def render_unexpected(exc):
    from werkzeug.exceptions import HTTPException

    if isinstance(exc, HTTPException):
        return json_response({"__type": exc.name.replace(" ", ""), "Message": exc.description}, exc.code)
    import logging

    logging.getLogger(__name__).exception("review api error")
    err = InternalServerError("Internal error")
    return json_response({"__type": err.code, "Message": err.message}, err.status)


def _body() -> dict:
    raw = request.get_data(cache=True)
    if not raw:
        return {}
    try:
        data = json.loads(raw)
    except ValueError as exc:
        raise ValidationError(f"Request body is not valid JSON: {exc}") from None
    if not isinstance(data, dict):
        raise ValidationError("Request body must be a JSON object")
    return data


@bp.post("/login")
def login():
    body = _body()
    name = str(body.get("username", ""))
    try:
        record = reviewers.authenticate(current_ctx(), name, str(body.get("password", "")))
    except HitlError as exc:
        audit.sign_in(current_ctx(), name, None, exc.message)
        raise
    audit.sign_in(current_ctx(), name, record)
    token = login_session(record)
    return json_response({"workerId": record["worker_id"], "csrfToken": token})


@bp.get("/me")
@reviewer_required
def me():
    ctx = current_ctx()
    record = current_reviewer()
    view = reviewers.public_view(record)
    view["workteams"] = reviewers.teams_of(ctx, record)
    return json_response(view)


@bp.get("/queues")
@reviewer_required
def queues():
    ctx = current_ctx()
    return json_response({"queues": review.queue_overview(ctx, reviewers.teams_of(ctx, current_reviewer()))})


@bp.get("/assignments")
@reviewer_required
def assignments():
    return json_response({"assignments": review.my_assignments(current_ctx(), current_reviewer())})


@bp.post("/assignments/claim")
@reviewer_required
def claim():
    body = _body()
    team = body.get("workteam")
    if team is not None and not isinstance(team, str):
        raise ValidationError("workteam must be a string")
    assignment = review.claim_next_assignment(current_ctx(), current_reviewer(), team)
    return json_response({"assignment": assignment})


@bp.get("/assignments/<token>")
@reviewer_required
def show(token):
    ctx = current_ctx()
    lease, loop = review.get_assignment(ctx, current_reviewer(), token)
    view = review.assignment_view(ctx, token, lease, loop)
    view["input"] = json.loads(loop["input"])
    return json_response(view)


@bp.post("/assignments/<token>/heartbeat")
@reviewer_required
def heartbeat(token):
    return json_response(review.extend_lease(current_ctx(), current_reviewer(), token))


@bp.post("/assignments/<token>/release")
@reviewer_required
def release(token):
    review.release_assignment(current_ctx(), current_reviewer(), token)
    return json_response({"released": True})


@bp.post("/assignments/<token>/submit")
@reviewer_required
def submit(token):
    body = _body()
    if "answerContent" not in body:
        raise ValidationError("Body must be {\"answerContent\": {...}}")
    return json_response(review.submit_answer(current_ctx(), current_reviewer(), token, body["answerContent"]))
