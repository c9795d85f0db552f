"""Flow definitions, human task UIs and workteams (the SageMaker control plane)."""

from __future__ import annotations

import hashlib
import json
import logging
import uuid

from hitl_service.domain.names import name_from_arn
from hitl_service.domain.pagination import decode_token, encode_token
from hitl_service.domain.timefmt import now_ms, to_ms
from hitl_service.errors import NotFoundError, ResourceInUseError, ValidationError
from hitl_service.services.context import ServiceContext, dispatch_safely
from hitl_service.domain.states import OPEN, CreateOutcome, DeleteOutcome, FlowStatus, LoopStatus, RetireOutcome
from hitl_service.store import keys

log = logging.getLogger(__name__)

DEFAULT_TASK_TIME_LIMIT = 3600
DEFAULT_TASK_LIFETIME = 864_000
MAX_TASK_TIME_LIMIT = 28_800
MAX_TASK_LIFETIME = 864_000


def _page_of(ctx: ServiceContext, index_key: str, scope: str, req: dict, *, default_desc: bool = True):
    after = decode_token(req["NextToken"], scope) if req.get("NextToken") else None
    min_ms = to_ms(req["CreationTimeAfter"]) if req.get("CreationTimeAfter") else None
    max_ms = to_ms(req["CreationTimeBefore"]) if req.get("CreationTimeBefore") else None
    order = req.get("SortOrder", "Descending" if default_desc else "Ascending")
    members, more = ctx.store.resources.page(index_key, descending=order == "Descending", after_member=after,
                                   min_ms=min_ms, max_ms=max_ms, limit=req.get("MaxResults", 100))
    token = encode_token(scope, members[-1]) if more and members else None
    return [keys.member_name(m) for m in members], token


# ---- human task UIs ---------------------------------------------------------------------------


def create_human_task_ui(ctx: ServiceContext, req: dict) -> dict:
    """Store a task template after checking that it parses as Liquid."""
    from hitl_service.review.liquid import TemplateError, parse_template

    name = req["HumanTaskUiName"]
    content = req["UiTemplate"]["Content"]
    try:
        parse_template(content)
    except TemplateError as exc:
        raise ValidationError(f"UiTemplate.Content is not a valid Liquid template: {exc.message}") from None
    created = now_ms()
    arn = ctx.arns.human_task_ui(name)
    fields = {"arn": arn, "created_ms": created, "content": content,
              "sha256": hashlib.sha256(content.encode("utf-8", "surrogatepass")).hexdigest(),
              "tags": json.dumps(req.get("Tags", []))}
    outcome = ctx.store.resources.create_ui(name, created, fields)
    if outcome is CreateOutcome.EXISTS:
        raise ResourceInUseError(f"Human task UI {name} already exists")
    log.info("task ui created ui=%s", name)
    return {"HumanTaskUiArn": arn}


def get_human_task_ui(ctx: ServiceContext, name: str) -> dict:
    ui = ctx.store.resources.get_ui(name)
    if ui is None or "arn" not in ui:
        raise NotFoundError(f"Human task UI {name} does not exist")
    return ui


def list_human_task_uis(ctx: ServiceContext, req: dict) -> tuple[list[dict], str | None]:
    names, token = _page_of(ctx, keys.UIS, "uis", req)
    rows = [r for r in ctx.store.resources.ui_rows(names, ("name", "arn", "created_ms")) if r["arn"] is not None]
    return rows, token


def retire_deleting_flows(ctx: ServiceContext, flow_names) -> None:
    """Retire now the Deleting flows among ``flow_names`` (a UI's or team's flows) that nothing holds.

    A flow stays Deleting until the worker has stopped its loops; a DeleteHumanTaskUi or
    DeleteWorkteam sent right after DeleteFlowDefinition (as AWS's notebooks do) must not fail
    for that, so it does the worker's job first. A flow whose reviewers still hold tasks stays.
    """
    for flow_name in sorted(flow_names):
        flow = ctx.store.resources.get_flow(flow_name, ("status", "id"))
        if flow and flow.get("status") == FlowStatus.DELETING:
            retire_flow_definition(ctx, flow_name, flow["id"])


def delete_human_task_ui(ctx: ServiceContext, name: str) -> None:
    created_ms = int(get_human_task_ui(ctx, name)["created_ms"])
    outcome = ctx.store.resources.delete_ui(name, created_ms)
    if outcome is DeleteOutcome.IN_USE:
        retire_deleting_flows(ctx, ctx.store.resources.flows_using_ui(name))
        outcome = ctx.store.resources.delete_ui(name, created_ms)
    if outcome is DeleteOutcome.MISSING:
        raise NotFoundError(f"Human task UI {name} does not exist")
    if outcome is DeleteOutcome.IN_USE:
        raise ResourceInUseError(
            f"Human task UI {name} is used by a flow definition that is Active, or Deleting while reviewers "
            "finish tasks they already hold")
    log.info("task ui deleted ui=%s", name)


# ---- workteams --------------------------------------------------------------------------------


def _groups_of(member_definitions: list[dict]) -> list[str]:
    """The reviewer groups named by a team's MemberDefinitions (Cognito UserGroups or OIDC Groups)."""
    cognito = [m["CognitoMemberDefinition"] for m in member_definitions if "CognitoMemberDefinition" in m]
    oidc = [m["OidcMemberDefinition"] for m in member_definitions if "OidcMemberDefinition" in m]
    for i, m in enumerate(member_definitions, 1):
        if ("CognitoMemberDefinition" in m) == ("OidcMemberDefinition" in m):
            raise ValidationError(
                f"memberDefinitions.{i}.member must contain exactly one of CognitoMemberDefinition or OidcMemberDefinition")
    if cognito and oidc:
        raise ValidationError("MemberDefinitions cannot mix CognitoMemberDefinition and OidcMemberDefinition")
    if cognito:
        pools = {(c["UserPool"], c["ClientId"]) for c in cognito}
        if len(pools) > 1:
            raise ValidationError("All CognitoMemberDefinition entries must use the same UserPool and ClientId")
        return sorted({c["UserGroup"] for c in cognito})
    groups: list[str] = []
    for o in oidc:
        if "Groups" not in o:
            raise ValidationError("OidcMemberDefinition.Groups is required")
        groups.extend(o["Groups"])
    return sorted(set(groups))


def _team_missing(name: str) -> ValidationError:
    # AWS reports a missing work team as a ValidationException (DescribeWorkteam models no errors).
    return ValidationError(f"The work team '{name}' does not exist.")


def create_workteam(ctx: ServiceContext, req: dict) -> dict:
    """Create a private workteam whose reviewer groups come from its MemberDefinitions."""
    name = req["WorkteamName"]
    groups = _groups_of(req["MemberDefinitions"])
    created = now_ms()
    arn = ctx.arns.workteam(name)
    doc = {k: req[k] for k in ("MemberDefinitions", "Description", "NotificationConfiguration",
                               "WorkerAccessConfiguration") if k in req}
    doc["WorkforceName"] = req.get("WorkforceName", "default")
    fields = {"arn": arn, "created_ms": created, "updated_ms": created, "doc": json.dumps(doc),
              "tags": json.dumps(req.get("Tags", []))}
    outcome = ctx.store.resources.create_team(name, created, groups, fields)
    if outcome is CreateOutcome.EXISTS:
        raise ResourceInUseError(f"Workteam {name} already exists")
    log.info("workteam created team=%s groups=%s", name, ",".join(groups))
    return {"WorkteamArn": arn}


def get_workteam(ctx: ServiceContext, name: str) -> dict:
    team = ctx.store.resources.get_team(name)
    if team is None or "arn" not in team:
        raise _team_missing(name)
    team["doc"] = json.loads(team["doc"])
    team["groups"] = json.loads(team["groups"])
    return team


def update_workteam(ctx: ServiceContext, req: dict) -> dict:
    name = req["WorkteamName"]
    team = get_workteam(ctx, name)
    doc = team["doc"]
    for k in ("MemberDefinitions", "Description", "NotificationConfiguration", "WorkerAccessConfiguration"):
        if k in req:
            doc[k] = req[k]
    new_groups = _groups_of(doc["MemberDefinitions"])
    outcome = ctx.store.resources.update_team(name, json.dumps(doc), new_groups, now_ms())
    if outcome is CreateOutcome.MISSING:
        raise _team_missing(name)
    log.info("workteam updated team=%s groups=%s", name, ",".join(new_groups))
    return get_workteam(ctx, name)


def list_workteams(ctx: ServiceContext, req: dict) -> tuple[list[dict], str | None]:
    by_name = req.get("SortBy") == "Name"
    descending = req.get("SortOrder", "Descending") == "Descending"
    index = keys.TEAMS_BY_NAME if by_name else keys.TEAMS
    scope = f"teams:{'Name' if by_name else 'CreateDate'}:{'Descending' if descending else 'Ascending'}"
    after = decode_token(req["NextToken"], scope) if req.get("NextToken") else None
    limit = req.get("MaxResults", 100)
    needle = req.get("NameContains")
    picked: list[str] = []
    more = False
    cursor = after
    # teams are few (AWS allows 25 per account), so a NameContains filter may walk the index
    while True:
        members, has_more = ctx.store.resources.page(index, descending=descending, after_member=cursor,
                                           min_ms=None, max_ms=None, limit=limit)
        for m in members:
            name = m if by_name else keys.member_name(m)
            if needle is None or needle in name:
                if len(picked) == limit:
                    more = True
                    break
                picked.append(m)
        if more or not has_more or not members:
            break
        cursor = members[-1]
    names = [m if by_name else keys.member_name(m) for m in picked]
    teams = []
    for n in names:
        try:
            teams.append(get_workteam(ctx, n))
        except ValidationError:
            continue
    token = encode_token(scope, picked[-1]) if more and picked else None
    return teams, token


def delete_workteam(ctx: ServiceContext, name: str) -> None:
    team = get_workteam(ctx, name)
    outcome = ctx.store.resources.delete_team(name, int(team["created_ms"]))
    if outcome is DeleteOutcome.IN_USE:
        retire_deleting_flows(ctx, ctx.store.resources.flows_of_team(name))
        outcome = ctx.store.resources.delete_team(name, int(team["created_ms"]))
    if outcome is DeleteOutcome.MISSING:
        raise _team_missing(name)
    if outcome is DeleteOutcome.IN_USE:
        raise ResourceInUseError(f"Workteam {name} is used by an active flow definition")
    log.info("workteam deleted team=%s", name)


# ---- flow definitions -------------------------------------------------------------------------

WEBHOOK_URL_TAG = "hitl:webhook-url"
WEBHOOK_SECRET_TAG = "hitl:webhook-secret"


def webhooks_from_tags(tags: list[dict]) -> list[dict]:
    """Webhook endpoints a flow names through tags (boto3 cannot send fields the model lacks).

    ``hitl:webhook-url`` (or ``hitl:webhook-url-2`` ...) holds an endpoint URL and
    ``hitl:webhook-secret`` (or ``hitl:webhook-secret-2`` ...) the signing secret for it.
    """
    by_key = {t["Key"]: t["Value"] for t in tags}
    hooks = []
    for key, url in sorted(by_key.items()):
        if key == WEBHOOK_URL_TAG or key.startswith(WEBHOOK_URL_TAG + "-"):
            suffix = key[len(WEBHOOK_URL_TAG):]
            if not url.startswith(("http://", "https://")):
                raise ValidationError(f"Tag {key} must be an http(s) URL")
            hooks.append({"url": url, "secret": by_key.get(WEBHOOK_SECRET_TAG + suffix, "")})
    return hooks


def _consolidate_tag(tags: list[dict]) -> str:
    """The hitl:consolidate opt-in as the flow field finalize reads ("true" or "false")."""
    from hitl_service.consolidation.a2i import consolidation_tag_value

    try:
        return "true" if consolidation_tag_value(tags) else "false"
    except ValueError as exc:
        raise ValidationError(str(exc)) from None


def _overlap_fields(ctx: ServiceContext, tags: list[dict], task_count: int, workteam_arn: str) -> dict:
    """The flow fields of adaptive overlap (hitl:initial-workers, hitl:target-confidence) and escalation
    (hitl:escalation-workteam); {} when off."""
    from hitl_service.consolidation.overlap import escalation_team_from_tags, overlap_from_tags

    def exists(arn: str) -> bool:
        team = name_from_arn(arn, "workteam")
        return bool(team) and ctx.arns.workteam(team) == arn and ctx.store.resources.get_team(team) is not None

    try:
        overlap = overlap_from_tags(tags, task_count, "HumanLoopConfig.TaskCount")
        escalation = escalation_team_from_tags(tags, overlap, workteam_arn, exists)
    except ValueError as exc:
        raise ValidationError(str(exc)) from None
    if overlap is None:
        return {}
    fields = {"initial_workers": overlap.initial, "target_confidence": repr(overlap.target)}
    if escalation:
        fields["escalation_team"] = name_from_arn(escalation, "workteam")
    return fields


def create_flow_definition(ctx: ServiceContext, req: dict) -> dict:
    """Create an Active flow definition bound to an existing workteam and task UI."""
    name = req["FlowDefinitionName"]
    hlc = req.get("HumanLoopConfig")
    if hlc is None:
        raise ValidationError(
            "HumanLoopConfig is required: this service has no AWS-managed workforce to fall back on")
    team_name = name_from_arn(hlc["WorkteamArn"], "workteam")
    if team_name is None or ctx.arns.workteam(team_name) != hlc["WorkteamArn"]:
        raise ValidationError(f"HumanLoopConfig.WorkteamArn {hlc['WorkteamArn']} is not a workteam of this service")
    ui_name = name_from_arn(hlc["HumanTaskUiArn"], "human-task-ui")
    if ui_name is None or ctx.arns.human_task_ui(ui_name) != hlc["HumanTaskUiArn"]:
        raise ValidationError(f"HumanLoopConfig.HumanTaskUiArn {hlc['HumanTaskUiArn']} is not a task UI of this service")
    time_limit = hlc.get("TaskTimeLimitInSeconds", DEFAULT_TASK_TIME_LIMIT)
    lifetime = hlc.get("TaskAvailabilityLifetimeInSeconds", DEFAULT_TASK_LIFETIME)
    if time_limit > MAX_TASK_TIME_LIMIT:
        raise ValidationError(
            f"Value {time_limit} at 'humanLoopConfig.taskTimeLimitInSeconds' failed to satisfy constraint: "
            f"Member must have value less than or equal to {MAX_TASK_TIME_LIMIT}")
    if lifetime > MAX_TASK_LIFETIME:
        raise ValidationError(
            f"Value {lifetime} at 'humanLoopConfig.taskAvailabilityLifetimeInSeconds' failed to satisfy constraint: "
            f"Member must have value less than or equal to {MAX_TASK_LIFETIME}")
    conditions = ""
    activation = req.get("HumanLoopActivationConfig")
    if activation:
        conditions = activation["HumanLoopActivationConditionsConfig"]["HumanLoopActivationConditions"]
        from hitl_service.domain.conditions import parse_conditions

        parse_conditions(conditions)
    consolidate = _consolidate_tag(req.get("Tags", []))
    overlap = _overlap_fields(ctx, req.get("Tags", []), hlc["TaskCount"], hlc["WorkteamArn"])
    created = now_ms()
    arn = ctx.arns.flow_definition(name)
    doc = {k: req[k] for k in ("OutputConfig", "RoleArn", "HumanLoopRequestSource", "HumanLoopActivationConfig",
                               "HumanLoopConfig", "Tags") if k in req}
    fields = {
        "name": name, "arn": arn, "id": uuid.uuid4().hex, "status": FlowStatus.ACTIVE, "created_ms": created,
        "team": team_name, "ui": ui_name, "task_count": hlc["TaskCount"], "time_limit": time_limit,
        "lifetime": lifetime, "output_path": req["OutputConfig"]["S3OutputPath"], "title": hlc["TaskTitle"],
        "description": hlc["TaskDescription"], "doc": json.dumps(doc), "conditions": conditions,
        "webhooks": json.dumps(webhooks_from_tags(req.get("Tags", []))), "consolidate": consolidate,
        **overlap,
    }
    outcome = ctx.store.resources.create_flow(name, team_name, ui_name, created, fields)
    if outcome is CreateOutcome.EXISTS:
        raise ResourceInUseError(f"Flow definition {name} already exists")
    if outcome is CreateOutcome.NO_TEAM:
        raise ValidationError(f"HumanLoopConfig.WorkteamArn: workteam {team_name} does not exist")
    if outcome is CreateOutcome.NO_UI:
        raise ValidationError(f"HumanLoopConfig.HumanTaskUiArn: human task UI {ui_name} does not exist")
    log.info("flow created flow=%s team=%s ui=%s", name, team_name, ui_name)
    return {"FlowDefinitionArn": arn}


def get_flow_definition(ctx: ServiceContext, name: str) -> dict:
    flow = ctx.store.resources.get_flow(name)
    if flow is None or "arn" not in flow:
        raise NotFoundError(f"Flow definition {name} does not exist")
    flow["doc"] = json.loads(flow["doc"])
    return flow


def list_flow_definitions(ctx: ServiceContext, req: dict) -> tuple[list[dict], str | None]:
    names, token = _page_of(ctx, keys.FLOWS, "flows", req)
    rows = [r for r in ctx.store.resources.flow_rows(names, ("name", "arn", "status", "created_ms"))
            if r["arn"] is not None]
    return rows, token


def delete_flow_definition(ctx: ServiceContext, name: str) -> None:
    """Mark the flow Deleting; a worker stops its loops and then removes it."""
    result = ctx.store.resources.begin_delete_flow(name, now_ms())
    if result.outcome is DeleteOutcome.MISSING:
        raise NotFoundError(f"Flow definition {name} does not exist")
    if result.outcome is DeleteOutcome.IN_USE:
        raise ResourceInUseError(f"Flow definition {name} is {result.detail}; only an Active flow definition can be deleted")
    log.info("flow deleting flow=%s", name)
    dispatch_safely(ctx.dispatcher.retire_flow, name, result.detail)


def _retired(outcome: DeleteOutcome) -> RetireOutcome:
    return {DeleteOutcome.DELETED: RetireOutcome.DELETED, DeleteOutcome.MISSING: RetireOutcome.GONE}.get(
        outcome, RetireOutcome.STATUS)


def retire_flow_definition(ctx: ServiceContext, name: str, flow_id: str, batch: int = 500) -> str:
    """Stop every in-progress loop of a Deleting flow; remove the flow once none is still Stopping.

    Like A2I, tasks a reviewer already holds may finish: while any loop is Stopping the flow stays
    Deleting (its task UI must still render), and the retire outbox sends this task again later.
    Safe to run any number of times.
    """
    from hitl_service.services.loops import stop_human_loop

    team = ctx.store.resources.get_flow(name, ("team",))
    if team is None:
        return _retired(ctx.store.resources.finish_delete_flow(name, flow_id))
    team = team["team"]
    cursor = None
    still_open = 0
    while True:
        members, more = ctx.store.resources.flow_loops_page(team, flow_id, descending=False, after_member=cursor,
                                                            min_ms=None, max_ms=None, limit=batch)
        names = [keys.member_name(m) for m in members]
        for loop, row in zip(names, ctx.store.loops.get_many_in(team, names, ("status",))):
            if row is None:
                continue
            if row["status"] == LoopStatus.IN_PROGRESS:
                try:
                    stop_human_loop(ctx, loop)
                except (NotFoundError, ValidationError):
                    continue  # finished or deleted meanwhile
                row = ctx.store.loops.get_in(team, loop, ("status",)) or {"status": LoopStatus.STOPPED}
            if row["status"] in OPEN:
                still_open += 1
        if not more:
            break
        cursor = members[-1]
    if still_open:
        log.info("flow retire waiting flow=%s open_loops=%s", name, still_open)
        return RetireOutcome.WAITING
    outcome = _retired(ctx.store.resources.finish_delete_flow(name, flow_id))
    log.info("flow retired flow=%s outcome=%s", name, outcome)
    return outcome
