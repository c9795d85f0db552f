"""The A2I runtime API (protocol rest-json): /human-loops."""

from __future__ import annotations

from werkzeug.exceptions import HTTPException
from flask import Blueprint, g, request

from hitl_service.api.common import JSON_MEDIA_TYPES, check_signature, error_payload, json_body, json_response, media_type
from hitl_service.errors import REST_JSON, UnsupportedMediaTypeError, ValidationError
from hitl_service.extensions import current_ctx
from hitl_service.services import loops as loop_service
from schemas.botocore_model import RUNTIME, load_input
from schemas.runtime import dump_describe_human_loop, dump_human_loop_summary

bp = Blueprint("runtime", __name__)


@bp.before_request
def authenticate():
    check_signature(current_ctx().settings)
    # a body in another format (a form, XML, text) is refused as a whole, like a rest-json service
    # behind AWS's front end does, instead of being guessed at
    if request.method == "POST" and request.content_length and media_type() not in ("", *JSON_MEDIA_TYPES):
        raise UnsupportedMediaTypeError(f"Content-Type {media_type()} is not supported; send application/json")


@bp.errorhandler(Exception)
def render_error(exc):
    if isinstance(exc, HTTPException):
        return exc
    code, status, message = error_payload(exc, REST_JSON)
    return json_response({"Message": message, "__type": code}, status,
                         headers={"x-amzn-ErrorType": code})


@bp.post("/human-loops")
def start_human_loop():
    """StartHumanLoop. On a flow with activation conditions the body also carries the unmodeled
    ``HumanLoopActivationOutput`` (see services.loops.start_human_loop), and has no HumanLoopArn
    when no condition held; boto3 drops unmodeled members, raw HTTP callers see them."""
    g.operation = "StartHumanLoop"
    req = load_input(RUNTIME, "StartHumanLoop", json_body())
    g.loop = req["HumanLoopName"]
    return json_response(loop_service.start_human_loop(current_ctx(), req))


@bp.get("/human-loops/<name>")
def describe_human_loop(name):
    g.operation = "DescribeHumanLoop"
    load_input(RUNTIME, "DescribeHumanLoop", {"HumanLoopName": name})
    return json_response(dump_describe_human_loop(loop_service.describe_human_loop(current_ctx(), name)))


_LIST_PARAMS = ("FlowDefinitionArn", "CreationTimeAfter", "CreationTimeBefore", "SortOrder", "NextToken", "MaxResults")


@bp.get("/human-loops")
def list_human_loops():
    g.operation = "ListHumanLoops"
    query = {}
    for key in request.args:
        if key not in _LIST_PARAMS:
            raise ValidationError(f"Unknown query parameter '{key}' for ListHumanLoops")
        values = request.args.getlist(key)
        if len(values) != 1:
            raise ValidationError(f"Query parameter '{key}' must appear once")
        query[key] = values[0]
    if "MaxResults" in query:
        try:
            query["MaxResults"] = int(query["MaxResults"])
        except ValueError:
            raise ValidationError(
                f"Value '{query['MaxResults']}' at 'maxResults' failed to satisfy constraint: "
                "Member must be an integer") from None
    req = load_input(RUNTIME, "ListHumanLoops", query)
    loops, token = loop_service.list_human_loops(current_ctx(), req)
    body = {"HumanLoopSummaries": [dump_human_loop_summary(loop) for loop in loops]}
    if token:
        body["NextToken"] = token
    return json_response(body)


@bp.post("/human-loops/stop")
def stop_human_loop():
    g.operation = "StopHumanLoop"
    req = load_input(RUNTIME, "StopHumanLoop", json_body())
    g.loop = req["HumanLoopName"]
    loop_service.stop_human_loop(current_ctx(), req["HumanLoopName"])
    return json_response({})


@bp.delete("/human-loops/<name>")
def delete_human_loop(name):
    g.operation = "DeleteHumanLoop"
    load_input(RUNTIME, "DeleteHumanLoop", {"HumanLoopName": name})
    loop_service.delete_human_loop(current_ctx(), name)
    return json_response({})
