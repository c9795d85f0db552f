"""The SageMaker control plane (protocol json): ``POST /`` dispatched on ``X-Amz-Target``."""

from __future__ import annotations

import hashlib
import hmac
from urllib.parse import urlsplit

from werkzeug.exceptions import HTTPException
from flask import Blueprint, abort, g, request
from flask import Response

from hitl_service.api import labeling
from hitl_service.api import workforce as workforce_api
from hitl_service.api.common import JSON_MEDIA_TYPES, check_signature, error_payload, json_body, json_response, media_type
from hitl_service.errors import JSON, UnknownOperationError
from hitl_service.extensions import current_ctx
from hitl_service.services import resources
from hitl_service.workforce import audit
from schemas.botocore_model import CONTROL, load_input
from schemas.control import (
    dump_flow_definition,
    dump_flow_definition_summary,
    dump_human_task_ui,
    dump_human_task_ui_summary,
    dump_workteam,
)

bp = Blueprint("control", __name__)

TARGET_PREFIX = "SageMaker."
CONTENT_TYPE = "application/x-amz-json-1.1"


def _template_url(ctx, name: str, sha: str) -> str:
    # a capability URL, like the presigned S3 URL AWS returns: anyone holding it can read the template
    sig = hmac.new(ctx.settings.secret_key.encode(), f"template:{name}:{sha}".encode(), hashlib.sha256).hexdigest()[:32]
    return f"{ctx.settings.public_url}/human-task-uis/{name}/template?sha={sha}&sig={sig}"


def _with_url(ctx, ui: dict) -> dict:
    ui["url"] = _template_url(ctx, ui["name"], ui["sha256"])
    return ui


def _team_view(ctx, team: dict) -> dict:
    team["workforce_arn"] = ctx.arns.workforce(team["doc"].get("WorkforceName", "default"))
    team["subdomain"] = review_subdomain(ctx.settings.public_url)
    return team


def review_subdomain(public_url: str) -> str:
    """Workteam.SubDomain: the public URL without its scheme, so ``https://`` + SubDomain (what AWS's
    notebooks print as the worker portal) is the public URL, whose ``GET /`` leads to the review page."""
    parts = urlsplit(public_url)
    return (parts.netloc + parts.path).rstrip("/")


def _listing(rows, token, key, dump):
    body = {key: [dump(r) for r in rows]}
    if token:
        body["NextToken"] = token
    return body


def create_flow_definition(ctx, req):
    return resources.create_flow_definition(ctx, req)


def describe_flow_definition(ctx, req):
    return dump_flow_definition(resources.get_flow_definition(ctx, req["FlowDefinitionName"]))


def list_flow_definitions(ctx, req):
    rows, token = resources.list_flow_definitions(ctx, req)
    return _listing(rows, token, "FlowDefinitionSummaries", dump_flow_definition_summary)


def delete_flow_definition(ctx, req):
    resources.delete_flow_definition(ctx, req["FlowDefinitionName"])
    return {}


def create_human_task_ui(ctx, req):
    return resources.create_human_task_ui(ctx, req)


def describe_human_task_ui(ctx, req):
    return dump_human_task_ui(_with_url(ctx, resources.get_human_task_ui(ctx, req["HumanTaskUiName"])))


def list_human_task_uis(ctx, req):
    rows, token = resources.list_human_task_uis(ctx, req)
    return _listing(rows, token, "HumanTaskUiSummaries", dump_human_task_ui_summary)


def delete_human_task_ui(ctx, req):
    resources.delete_human_task_ui(ctx, req["HumanTaskUiName"])
    return {}


def create_workteam(ctx, req):
    return resources.create_workteam(ctx, req)


def describe_workteam(ctx, req):
    return {"Workteam": dump_workteam(_team_view(ctx, resources.get_workteam(ctx, req["WorkteamName"])))}


def list_workteams(ctx, req):
    rows, token = resources.list_workteams(ctx, req)
    return _listing(rows, token, "Workteams", lambda t: dump_workteam(_team_view(ctx, t)))


def update_workteam(ctx, req):
    return {"Workteam": dump_workteam(_team_view(ctx, resources.update_workteam(ctx, req)))}


def delete_workteam(ctx, req):
    resources.delete_workteam(ctx, req["WorkteamName"])
    return {"Success": True}


OPERATIONS = {
    "CreateFlowDefinition": create_flow_definition,
    "DescribeFlowDefinition": describe_flow_definition,
    "ListFlowDefinitions": list_flow_definitions,
    "DeleteFlowDefinition": delete_flow_definition,
    "CreateHumanTaskUi": create_human_task_ui,
    "DescribeHumanTaskUi": describe_human_task_ui,
    "ListHumanTaskUis": list_human_task_uis,
    "DeleteHumanTaskUi": delete_human_task_ui,
    "CreateWorkteam": create_workteam,
    "DescribeWorkteam": describe_workteam,
    "ListWorkteams": list_workteams,
    "UpdateWorkteam": update_workteam,
    "DeleteWorkteam": delete_workteam,
}
OPERATIONS.update(labeling.OPERATIONS)
OPERATIONS.update(workforce_api.OPERATIONS)


@bp.errorhandler(Exception)
def render_error(exc):
    if isinstance(exc, HTTPException):
        return exc
    code, status, message = error_payload(exc, JSON)
    return json_response({"__type": code, "Message": message}, status, content_type=CONTENT_TYPE)


@bp.post("/")
def dispatch():
    target = request.headers.get("X-Amz-Target", "")
    ctx = current_ctx()
    check_signature(ctx.settings)
    op_name = target[len(TARGET_PREFIX):] if target.startswith(TARGET_PREFIX) else None
    handler = OPERATIONS.get(op_name)
    g.operation = op_name or target or "-"
    if handler is None:
        raise UnknownOperationError(f"Operation '{target}' is not supported by this service")
    if media_type() not in JSON_MEDIA_TYPES:
        # AWS's json-protocol front end does not route a request with another Content-Type to any operation
        raise UnknownOperationError(
            f"Content-Type {media_type() or '(none)'} is not supported; send {CONTENT_TYPE}")
    req = load_input(CONTROL, op_name, json_body())
    result = handler(ctx, req)
    audit.admin_change(ctx, op_name, req)
    return json_response(result, content_type=CONTENT_TYPE)


@bp.get("/human-task-uis/<name>/template")
def template_content(name):
    """The task template behind DescribeHumanTaskUi's UiTemplate.Url (a capability URL)."""
    ctx = current_ctx()
    try:
        ui = resources.get_human_task_ui(ctx, name)
    except Exception:
        abort(404)
    expected = _template_url(ctx, name, ui["sha256"]).rsplit("sig=", 1)[1]
    if request.args.get("sha") != ui["sha256"] or not hmac.compare_digest(request.args.get("sig", ""), expected):
        abort(403)
    return Response(ui["content"], content_type="text/html; charset=utf-8",
                    headers={"Content-Security-Policy": "sandbox", "X-Content-Type-Options": "nosniff"})
