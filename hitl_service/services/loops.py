"""Human loop operations: start, describe, list, stop, delete."""

from __future__ import annotations

import base64
import hashlib
import json
import logging

from hitl_service.domain.conditions import parse_conditions
from hitl_service.domain.names import name_from_arn
from hitl_service.domain.strictjson import strict_loads
from hitl_service.domain.pagination import decode_token, encode_token
from hitl_service.domain.timefmt import now_ms, to_ms, utc_from_ms
from hitl_service.errors import ConflictError, NotFoundError, ValidationError
from hitl_service.services.context import ServiceContext, dispatch_safely
from hitl_service.services.finalize_drain import request_finalize
from hitl_service.domain.states import DeleteOutcome, LoopStatus, StartOutcome, StopOutcome
from hitl_service.store import keys
from hitl_service.store.loops import StartRequest

log = logging.getLogger(__name__)

# deep enough for any real task input, shallow enough that output.json can always be written
MAX_INPUT_DEPTH = 500
EXPIRED_REASON = "The human loop expired: TaskAvailabilityLifetimeInSeconds passed before TaskCount answers were submitted."


def _flow_name_for(ctx: ServiceContext, arn: str) -> str | None:
    name = name_from_arn(arn, "flow-definition")
    if name is None or ctx.arns.flow_definition(name) != arn:
        return None
    return name


def start_human_loop(ctx: ServiceContext, req: dict) -> dict:
    """Store a new loop (or recognise an identical retry) and hand it to the router.

    A flow with activation conditions evaluates them against InputContent first (synchronously,
    before anything is stored), and the response carries ``HumanLoopActivationOutput``:

    ``{"HumanLoopActivationReason": {"ConditionsMatched": bool},
    "HumanLoopActivationConditionsEvaluationResults": "<JSON string: the conditions, each node with
    EvaluationResult>", "Reasons": ["<one line per true top-level condition>"]}``

    When no condition holds, no loop is created and no name is claimed: the response has no
    HumanLoopArn (boto3 ignores the unmodeled member, so its caller sees ``{}`` plus metadata).
    The same request always evaluates the same way (Sampling hashes the InputContent), so a
    repeat of a non-activated request is again not activated. When a condition holds, the loop
    starts as usual, its output.json gets ``humanTaskActivationConditionResults``, and an
    identical repeat returns the same HumanLoopArn and the same activation output. Flows without
    conditions answer exactly as before: ``{"HumanLoopArn": ...}``.
    """
    name = req["HumanLoopName"]
    flow_arn = req["FlowDefinitionArn"]
    content = req["HumanLoopInput"]["InputContent"]
    try:
        strict_loads(content, max_depth=MAX_INPUT_DEPTH)
    except ValueError as exc:
        raise ValidationError(
            "Value at 'humanLoopInput.inputContent' failed to satisfy constraint: HumanLoopInput.InputContent "
            f"must be a serialized JSON document that can be written back as JSON: {exc}") from None
    classifiers = req.get("DataAttributes", {}).get("ContentClassifiers")
    classifiers_key = json.dumps(sorted(set(classifiers))) if classifiers is not None else ""
    flow_name = _flow_name_for(ctx, flow_arn)
    if flow_name is None:
        raise ValidationError(f"FlowDefinitionArn {flow_arn} does not name a flow definition of this service")
    # compared on a repeated start; base64 keeps the stored digest short
    input_sha = base64.b64encode(hashlib.sha256(content.encode("utf-8", "surrogatepass")).digest()).decode()
    arn = ctx.arns.human_loop(name)
    activation_output = None
    activation = ""
    conditions_sha1 = ""
    # A flow without conditions costs one script call. With conditions, the script hands them back
    # (it refuses to start a loop whose caller did not evaluate the flow's current conditions), they
    # are evaluated here (parse_conditions is cached per definition), and the call is repeated.
    for _ in range(3):
        result = ctx.store.loops.start(
            StartRequest(name=name, flow=flow_name, input=content, input_sha=input_sha, classifiers=classifiers_key,
                         activation=activation, conditions_sha1=conditions_sha1),
            now=now_ms(), wake_ttl_ms=ctx.settings.route_wake_ttl_ms, route_now=ctx.settings.route_inline)
        if result.outcome is not StartOutcome.EVALUATE:
            break
        raw_conditions = result.conditions
        evaluation = parse_conditions(raw_conditions).evaluate(content)
        activation = json.dumps(evaluation.results, separators=(",", ":"), ensure_ascii=False)
        conditions_sha1 = hashlib.sha1(raw_conditions.encode("utf-8", "surrogatepass")).hexdigest()
        activation_output = {
            "HumanLoopActivationReason": {"ConditionsMatched": evaluation.activated},
            "HumanLoopActivationConditionsEvaluationResults": activation,
            "Reasons": evaluation.reasons,
        }
        if not evaluation.activated:
            log.info("loop not activated loop=%s flow=%s", name, flow_name)
            return {"HumanLoopActivationOutput": activation_output}
    else:
        raise ConflictError(f"Flow definition {flow_name} changed while the loop was being started; retry")
    kind = result.outcome
    if kind is StartOutcome.NO_FLOW:
        raise ValidationError(f"FlowDefinitionArn {flow_arn} does not exist")
    if kind is StartOutcome.FLOW_STATUS:
        raise ValidationError(
            f"Flow definition {flow_name} is {result.flow_status}; human loops can only start on an Active flow definition")
    if kind is StartOutcome.CONFLICT:
        raise ConflictError(
            f"A human loop named {name} already exists with different input; HumanLoopName must be unique")
    if kind is StartOutcome.RETRY:
        raise ConflictError(f"Flow definition {flow_name} changed while the loop was being started; retry")
    if kind is StartOutcome.CREATED:
        log.debug("loop started loop=%s flow=%s", name, flow_name)
        if result.wake_router:
            dispatch_safely(ctx.dispatcher.route_pending)
    else:
        log.info("loop start repeated loop=%s flow=%s", name, flow_name)
    response = {"HumanLoopArn": arn}
    if activation_output is not None:
        response["HumanLoopActivationOutput"] = activation_output
    return response


DESCRIBE_FIELDS = ("name", "status", "created_ms", "flow", "failure_code", "failure_reason", "output_uri",
                   "output_path")
# a loop that ends this way without answers never gets an output.json, so it reports no OutputS3Uri
_ENDED_WITHOUT_OUTPUT = (LoopStatus.STOPPED, LoopStatus.FAILED)


def expected_output_uri(loop: dict) -> str | None:
    """The s3:// URI the loop's output.json has or will have (A2I reports it from the start).

    The key depends only on the flow's S3OutputPath, the flow and loop names and the creation
    time, so it is known while the loop is InProgress; a loop that was Stopped or Failed before
    any output was written reports none.
    """
    from hitl_service.output.document import output_key, output_uri

    if loop.get("output_uri"):
        return loop["output_uri"]
    if loop.get("status") in _ENDED_WITHOUT_OUTPUT or not loop.get("output_path"):
        return None
    try:
        bucket, key = output_key(loop["output_path"], loop["flow"], loop["name"], utc_from_ms(int(loop["created_ms"])))
    except ValueError:
        return None
    return output_uri(bucket, key)


def with_arns(ctx: ServiceContext, loop: dict) -> dict:
    """Add the loop's ARN and its flow's ARN, which follow from the names and are not stored."""
    loop["arn"] = ctx.arns.human_loop(loop["name"])
    loop["flow_arn"] = ctx.arns.flow_definition(loop["flow"])
    return loop


def flow_task_info(ctx: ServiceContext, loop: dict) -> dict:
    """Title, description and task UI of the loop's flow (empty if the flow is gone or was replaced)."""
    found = ctx.store.resources.flow_task_fields(loop["flow"], loop.get("flow_id") or "")
    if found is None:
        return {"title": "", "description": "", "ui": None}
    return dict(found)


def describe_human_loop(ctx: ServiceContext, name: str) -> dict:
    """The loop's status record, as DescribeHumanLoop returns it."""
    loop = ctx.store.loops.get(name, DESCRIBE_FIELDS)
    if loop is None:
        raise NotFoundError(f"Human loop {name} does not exist")
    loop["output_uri"] = expected_output_uri(loop)
    return with_arns(ctx, loop)


def list_human_loops(ctx: ServiceContext, req: dict) -> tuple[list[dict], str | None]:
    """One page of a flow's loops ordered by creation time."""
    flow_name = _flow_name_for(ctx, req["FlowDefinitionArn"])
    loc = ctx.store.resources.locate_flow(flow_name, fresh=True) if flow_name else None
    if loc is None:
        raise NotFoundError(f"Flow definition {req['FlowDefinitionArn']} does not exist")
    flow_id = loc.flow_id
    after = decode_token(req["NextToken"], flow_id) if req.get("NextToken") else None
    limit = req.get("MaxResults", 100)
    min_ms = to_ms(req["CreationTimeAfter"]) if req.get("CreationTimeAfter") else None
    max_ms = to_ms(req["CreationTimeBefore"]) if req.get("CreationTimeBefore") else None
    members, more = ctx.store.resources.flow_loops_page(
        loc.team, flow_id, descending=req.get("SortOrder", "Descending") == "Descending",
        after_member=after, min_ms=min_ms, max_ms=max_ms, limit=limit,
    )
    names = [keys.member_name(m) for m in members]
    loops = [
        with_arns(ctx, loop) for loop in ctx.store.loops.get_many_in(
            loc.team, names, ("name", "status", "created_ms", "failure_reason", "flow"))
        if loop is not None
    ]
    token = encode_token(flow_id, members[-1]) if more and members else None
    return loops, token


def stop_human_loop(ctx: ServiceContext, name: str) -> None:
    """Withdraw a loop's queued work; it is Stopped at once or Stopping until held leases end."""
    result = ctx.store.loops.stop(name, now_ms())
    kind = result.outcome
    if kind is StopOutcome.MISSING:
        raise NotFoundError(f"Human loop {name} does not exist")
    if kind is StopOutcome.TERMINAL:
        raise ValidationError(f"Human loop {name} is {result.status}; only an InProgress loop can be stopped")
    if kind is StopOutcome.FINALIZE:
        team = ctx.store.loops.team_of(name)
        if team:   # else deleted meanwhile: nothing left to finish
            request_finalize(ctx, team)
    if kind in (StopOutcome.FINISHED, StopOutcome.FINALIZE, StopOutcome.STOPPING):
        log.info("loop stop requested loop=%s outcome=%s", name, kind)
    if kind is StopOutcome.FINISHED:
        dispatch_safely(ctx.dispatcher.deliver_events)


def delete_human_loop(ctx: ServiceContext, name: str) -> None:
    """Delete a finished loop's record (never its output); the name becomes free."""
    result = ctx.store.loops.delete(name)
    if result.outcome is DeleteOutcome.MISSING:
        raise NotFoundError(f"Human loop {name} does not exist")
    if result.outcome is not DeleteOutcome.DELETED:
        raise ValidationError(
            f"Human loop {name} is {result.status}; stop it first (only Completed, Failed or Stopped loops can be deleted)")
    log.info("loop deleted loop=%s", name)
