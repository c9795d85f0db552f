"""The reviewers' JSON API under /review/api/ (used by the review page, and by curl)."""

from __future__ import annotations

import json

from flask import Blueprint, request

from hitl_service.api.common import as_service_error, json_response
from hitl_service.domain.strictjson import strict_loads
from hitl_service.errors import HitlError, InternalServerError, ValidationError
from hitl_service.extensions import current_ctx
from hitl_service.review.auth import check_login_request, current_reviewer, login_session, reviewer_required, throttled_login
from hitl_service.jobs import review as job_review
from hitl_service.services import review, reviewers
from hitl_service.workforce import audit

MAX_ANSWER_DEPTH = 100
MAX_RELEASE_REASON = 500

bp = Blueprint("review_api", __name__, url_prefix="/review/api")


@bp.errorhandler(HitlError)
def render_error(exc: HitlError):
    retry_after = getattr(exc, "retry_after_seconds", None)
    return json_response({"__type": exc.code, "Message": exc.message}, exc.status,
                         headers={"Retry-After": str(retry_after)} if retry_after else None)


@bp.errorhandler(Exception)
def render_unexpected(exc):
    from werkzeug.exceptions import HTTPException

    if isinstance(exc, HTTPException):
        return json_response({"__type": exc.name.replace(" ", ""), "Message": exc.description}, exc.code)
    exc = as_service_error(exc)
    if isinstance(exc, HitlError):
        return render_error(exc)
    import logging

    logging.getLogger(__name__).exception("review api error")
    err = InternalServerError("Internal error")
    return json_response({"__type": err.code, "Message": err.message}, err.status)


def _body() -> dict:
    raw = request.get_data(cache=True)
    if not raw:
        return {}
    try:
        # an answer with NaN, 1e999 or a lone surrogate could never be written to output.json
        data = strict_loads(raw, max_depth=MAX_ANSWER_DEPTH)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ValidationError(f"Request body is not valid JSON: {exc}") from None
    if not isinstance(data, dict):
        raise ValidationError("Request body must be a JSON object")
    return data


@bp.post("/login")
def login():
    check_login_request("json")
    body = _body()
    ctx = current_ctx()
    username, password = str(body.get("username", "")), str(body.get("password", ""))
    try:
        record = throttled_login(ctx, username, lambda: reviewers.authenticate(ctx, username, password), via="json")
    except HitlError as exc:
        audit.sign_in(ctx, username, None, exc.message)
        raise
    audit.sign_in(ctx, username, record)
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
    if assignment is None:  # labeling-job objects share the reviewer's queue, after waiting loops
        assignment = job_review.claim(current_ctx(), current_reviewer(), team)
    return json_response({"assignment": assignment})


@bp.get("/assignments/<token>")
@reviewer_required
def show(token):
    ctx = current_ctx()
    if job_review.is_job_token(token):
        return json_response(job_review.show(ctx, current_reviewer(), token))
    lease, loop = review.get_assignment(ctx, current_reviewer(), token)
    view = review.assignment_view(ctx, token, lease, loop)
    view["input"] = json.loads(loop["input"])
    return json_response(view)


@bp.post("/assignments/<token>/heartbeat")
@reviewer_required
def heartbeat(token):
    if job_review.is_job_token(token):
        return json_response(job_review.heartbeat(current_ctx(), current_reviewer(), token))
    return json_response(review.extend_lease(current_ctx(), current_reviewer(), token))


@bp.post("/assignments/<token>/release")
@reviewer_required
def release(token):
    reason = _body().get("reason", "")
    if not isinstance(reason, str) or len(reason) > MAX_RELEASE_REASON:
        raise ValidationError(f"reason must be a string of at most {MAX_RELEASE_REASON} characters")
    if job_review.is_job_token(token):
        job_review.release(current_ctx(), current_reviewer(), token)
        return json_response({"released": True})
    review.release_assignment(current_ctx(), current_reviewer(), token, reason=reason.strip())
    return json_response({"released": True})


@bp.post("/assignments/<token>/submit")
@reviewer_required
def submit(token):
    body = _body()
    if "answerContent" not in body:
        raise ValidationError("Body must be {\"answerContent\": {...}}")
    if job_review.is_job_token(token):
        return json_response(job_review.submit(current_ctx(), current_reviewer(), token, body["answerContent"]))
    return json_response(review.submit_answer(current_ctx(), current_reviewer(), token, body["answerContent"]))
