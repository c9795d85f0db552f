"""The reviewers' JSON API for labeling-job tasks, under /review/api/jobs/ (same sign-in as loops)."""

from __future__ import annotations

from flask import Blueprint

from hitl_service.api.common import json_response
from hitl_service.errors import ValidationError
from hitl_service.extensions import current_ctx
from hitl_service.jobs import review
from hitl_service.review.api import _body, render_error, render_unexpected
from hitl_service.review.auth import current_reviewer, reviewer_required
from hitl_service.errors import HitlError

bp = Blueprint("job_review_api", __name__, url_prefix="/review/api/jobs")
bp.register_error_handler(HitlError, render_error)
bp.register_error_handler(Exception, render_unexpected)


@bp.post("/claim")
@reviewer_required
def claim():
    team = _body().get("workteam")
    if team is not None and not isinstance(team, str):
        raise ValidationError("workteam must be a string")
    return json_response({"assignment": review.claim(current_ctx(), current_reviewer(), team)})


@bp.get("/tasks/<token>")
@reviewer_required
def show(token):
    return json_response(review.show(current_ctx(), current_reviewer(), token))


@bp.post("/tasks/<token>/heartbeat")
@reviewer_required
def heartbeat(token):
    return json_response(review.heartbeat(current_ctx(), current_reviewer(), token))


@bp.post("/tasks/<token>/release")
@reviewer_required
def release(token):
    review.release(current_ctx(), current_reviewer(), token)
    return json_response({"released": True})


@bp.post("/tasks/<token>/submit")
@reviewer_required
def submit(token):
    body = _body()
    if "answerContent" not in body:
        raise ValidationError("Body must be {\"answerContent\": {...}}")
    return json_response(review.submit(current_ctx(), current_reviewer(), token, body["answerContent"]))
