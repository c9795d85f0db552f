"""Reviewer work: claim the next assignment, heartbeat, release and submit."""

from __future__ import annotations

import functools
import json
import logging
import time

from hitl_service.domain.timefmt import iso_ms, now_ms
from hitl_service.errors import LeaseError, NotFoundError, ValidationError
from hitl_service.services.context import ServiceContext, dispatch_safely
from hitl_service.services.finalize_drain import request_finalize
from hitl_service.services.loops import flow_task_info
from hitl_service.services.reviewers import identity_data, teams_of
from hitl_service.domain.states import ClaimOutcome, CloseOutcome, ItemKind, LeaseOutcome
from hitl_service.store.queues import Lease, escalation_team_of
from hitl_service.workforce import audit

log = logging.getLogger(__name__)

# entries a claim looks at from the queue's head and from the reviewer's cursor (see the claim script)
MAX_SCAN = 200
CLAIM_BUCKETS_MS = (1, 2, 5, 10, 25, 50, 100, 250, 1000)


def _record_claim_latency(ctx: ServiceContext, elapsed_ms: float) -> None:
    bucket = next((str(b) for b in CLAIM_BUCKETS_MS if elapsed_ms <= b), "+Inf")
    ctx.store.queues.record_claim_latency(bucket, elapsed_ms / 1000)


def hand_over_closed(ctx: ServiceContext, closed) -> None:
    """Tell the producer of each item a queue step closed: a loop goes to finalize (or, finished
    without answers, to event delivery); a loop with its required answers (adaptive overlap) goes
    to the same task, which decides whether it needs one more reviewer."""
    for item in closed:
        if item is None or item.kind != ItemKind.LOOP:
            continue
        if item.outcome in (CloseOutcome.FINALIZE, CloseOutcome.DECIDE):
            request_finalize(ctx, item.team)
        elif item.outcome is CloseOutcome.FINISHED:
            dispatch_safely(ctx.dispatcher.deliver_events)


# the loop fields assignment_view reads
VIEW_FIELDS = ("name", "flow", "flow_id")


def assignment_view(ctx: ServiceContext, lease_id: str, lease: Lease, loop: dict) -> dict:
    task = flow_task_info(ctx, loop)
    # an escalation lease lives in the first team's slot, but it is the escalation workteam's work: the
    # review page's per-team filter and the held-task list go by this field
    escalation_team = escalation_team_of(lease_id) or None
    team = escalation_team or lease.team
    return {
        "token": lease_id,
        "humanLoopName": loop["name"],
        "flowDefinitionArn": ctx.arns.flow_definition(loop["flow"]),
        "workteam": team,
        "taskTitle": task["title"],
        "taskDescription": task["description"],
        "acceptedAt": iso_ms(lease.accepted_ms),
        "expiresAt": iso_ms(lease.expires_ms),
        "deadlineAt": iso_ms(lease.deadline_ms),
    }


def claim_next_assignment(ctx: ServiceContext, reviewer: dict, team: str | None = None) -> dict | None:
    """Lease the oldest waiting assignment from the reviewer's teams, or None when there is none."""
    started = time.perf_counter()
    teams = teams_of(ctx, reviewer)
    if team is not None:
        if team not in teams:
            raise NotFoundError(f"You are not a member of workteam {team}")
        teams = [team]
    if not teams:
        return None
    worker = reviewer["worker_id"]
    # loops of teams whose flows escalate to one of the reviewer's teams (hitl:escalation-workteam)
    escalation_from = ctx.store.queues.escalation_sources(teams)
    claim = functools.partial(ctx.store.queues.claim, worker, teams, now=now_ms(),
                              window_ms=ctx.settings.lease_heartbeat_seconds * 1000, max_scan=MAX_SCAN,
                              escalation_from=escalation_from)
    # a claim first hands back the teams' expired leases; audit.reaping records those expiries
    result = audit.reaping(ctx, teams, claim, limit=20)
    hand_over_closed(ctx, result.closed)
    if result.outcome is ClaimOutcome.RETRY:
        return None
    _record_claim_latency(ctx, (time.perf_counter() - started) * 1000)
    if result.outcome is ClaimOutcome.EMPTY:
        return None
    lease = result.lease
    if result.flow:  # the claim script read the loop's flow (a loop stored before issue 17 may lack it)
        loop = {"name": lease.name, "flow": result.flow, "flow_id": result.flow_id}
    else:
        loop = ctx.store.loops.get_in(lease.team, lease.name, ("name", "flow", "flow_id"))
    # DEBUG, like the API's request line: the audit trail records every claim and submit, and a line per
    # request was a measurable share of the reviewer API's CPU (issue 17)
    log.debug("claimed loop=%s worker=%s team=%s", lease.name, worker, lease.team)
    audit.reviewer_action(ctx, "claim", reviewer, lease.name, detail={"workteam": lease.team, "lease": lease.lease_id})
    return assignment_view(ctx, lease.lease_id, lease, loop)


def _lease_error(kind: LeaseOutcome, detail: str = "") -> Exception:
    messages = {
        LeaseOutcome.NO_LEASE: "This assignment is not leased to you (it was submitted, released, or its lease ended)",
        LeaseOutcome.NOT_YOURS: "This assignment is leased to another reviewer",
        LeaseOutcome.EXPIRED: ("Your lease on this assignment expired (no heartbeat in time, or the task time limit "
                               "passed); it went back to the queue and your answer was not stored"),
        LeaseOutcome.CLOSED: f"The human loop is no longer accepting answers (it is {detail or 'closed'}); your lease has ended",
    }
    if kind is LeaseOutcome.CLOSED and detail == "escalated":
        return LeaseError("The human loop's availability lifetime ended while you held this assignment and "
                          "the loop went to its escalation workteam; your answer was not stored and your "
                          "lease has ended")
    return LeaseError(messages.get(kind, str(kind)))


def _missing_lease_error(ctx: ServiceContext, lease_id: str) -> Exception:
    """The error for a token with no live lease: "expired" when the scripts marked it so, else generic."""
    expired = ctx.store.queues.lease_expired_marker(lease_id)
    return _lease_error(LeaseOutcome.EXPIRED if expired else LeaseOutcome.NO_LEASE)


def _raise_for(ctx: ServiceContext, lease_id: str, result) -> None:
    """Raise the LeaseError for a refused step (after handing an item it closed to its producer)."""
    hand_over_closed(ctx, [result.closed])
    if result.outcome is LeaseOutcome.NO_LEASE:
        raise _missing_lease_error(ctx, lease_id)
    raise _lease_error(result.outcome, result.status)


def get_assignment(ctx: ServiceContext, reviewer: dict, lease_id: str) -> tuple[Lease, dict]:
    """The lease (owned by this reviewer and still live) and its loop record."""
    lease = ctx.store.queues.get_lease(lease_id)
    if lease is None:
        raise _missing_lease_error(ctx, lease_id)
    if lease.worker != reviewer["worker_id"]:
        raise _lease_error(LeaseOutcome.NOT_YOURS)
    if lease.expires_ms < now_ms():
        raise _lease_error(LeaseOutcome.EXPIRED)
    loop = ctx.store.loops.get_in(lease.team, lease.name)
    if loop is None or (lease.item_created or loop["created_ms"]) != loop["created_ms"]:
        raise _lease_error(LeaseOutcome.CLOSED, "deleted")  # (a loop with the same name may have started since)
    return lease, loop


def extend_lease(ctx: ServiceContext, reviewer: dict, lease_id: str) -> dict:
    """Heartbeat: push the lease end out by the heartbeat window, never past the task time limit."""
    result = ctx.store.queues.extend(lease_id, reviewer["worker_id"], now=now_ms(),
                                     window_ms=ctx.settings.lease_heartbeat_seconds * 1000)
    if result.outcome is not LeaseOutcome.OK:
        _raise_for(ctx, lease_id, result)
    return {"expiresAt": iso_ms(result.expires_ms), "deadlineAt": iso_ms(result.deadline_ms)}


def release_assignment(ctx: ServiceContext, reviewer: dict, lease_id: str, reason: str = "") -> None:
    """Hand an assignment back to the queue at once; the reviewer's optional reason goes to the log."""
    result = ctx.store.queues.release(lease_id, reviewer["worker_id"], now=now_ms())
    if result.outcome is not LeaseOutcome.OK:
        _raise_for(ctx, lease_id, result)
    hand_over_closed(ctx, [result.closed])
    log.info("released worker=%s lease=%s reason=%r", reviewer["worker_id"], lease_id, reason[:500])
    audit.reviewer_action(ctx, "release", reviewer, lease_id)


def submit_answer(ctx: ServiceContext, reviewer: dict, lease_id: str, answer_content) -> dict:
    """Store the lease holder's answer; the last answer of a loop hands it to finalize."""
    if not isinstance(answer_content, dict):
        raise ValidationError("answerContent must be a JSON object (the crowd-form's answer)")
    lease = ctx.store.queues.get_lease(lease_id)
    if lease is None:
        raise _missing_lease_error(ctx, lease_id)
    if lease.worker != reviewer["worker_id"]:
        raise _lease_error(LeaseOutcome.NOT_YOURS)
    now = now_ms()
    accepted = lease.accepted_ms
    answer = {
        "answerContent": answer_content,
        "acceptanceTime": iso_ms(accepted),
        "submissionTime": iso_ms(now),
        "timeSpentInSeconds": round((now - accepted) / 1000, 3),
        "workerId": reviewer["worker_id"],
        "workerMetadata": identity_data(ctx, reviewer),
    }
    encoded = json.dumps(answer, separators=(",", ":"), ensure_ascii=False)
    if len(encoded.encode()) > ctx.settings.max_answer_bytes:
        raise ValidationError(f"answerContent is larger than the {ctx.settings.max_answer_bytes}-byte limit")
    result = ctx.store.queues.submit(lease_id, reviewer["worker_id"], now=now, answer_json=encoded, lease=lease)
    if result.outcome is not LeaseOutcome.OK:
        _raise_for(ctx, lease_id, result)
    loop_name = lease.name
    outcome = result.closed.outcome if result.closed else CloseOutcome.NONE
    log.debug("submitted loop=%s worker=%s outcome=%s", loop_name, reviewer["worker_id"], outcome or "open")
    audit.reviewer_action(ctx, "submit", reviewer, loop_name,
                          detail={"seconds": answer["timeSpentInSeconds"], "workteam": lease.team})
    hand_over_closed(ctx, [result.closed])
    return {"humanLoopName": loop_name, "submissionTime": answer["submissionTime"]}


def my_assignments(ctx: ServiceContext, reviewer: dict) -> list[dict]:
    out = []
    now = now_ms()
    teams = teams_of(ctx, reviewer)
    # an escalation lease lives in the first team's slot (hitl:escalation-workteam)
    teams += sorted({first for first, _ in ctx.store.queues.escalation_sources(teams)})
    for lease_id in ctx.store.queues.worker_lease_ids(reviewer["worker_id"], teams):
        lease = ctx.store.queues.get_lease(lease_id)
        if lease is None or lease.expires_ms < now:
            continue
        loop = ctx.store.loops.get_in(lease.team, lease.name, (*VIEW_FIELDS, "created_ms"))
        if loop and (lease.item_created or loop["created_ms"]) == loop["created_ms"]:
            out.append(assignment_view(ctx, lease.lease_id, lease, loop))
    return out


def queue_overview(ctx: ServiceContext, team_names: list[str]) -> list[dict]:
    """Per team: assignments waiting (loops' and running labeling jobs' objects) and the oldest loop's age."""
    now = now_ms()
    jobs = _job_objects_waiting(ctx, set(team_names))
    return [{"workteam": t, "waiting": depth + jobs.get(t, 0),
             "oldestAgeSeconds": (now - int(head)) / 1000 if head is not None else None}
            for t, depth, head in ctx.store.queues.overview(team_names)]


def _job_objects_waiting(ctx: ServiceContext, teams: set[str]) -> dict[str, int]:
    # running jobs are few (the active set); their objects share the reviewer's queue, so they count
    waiting: dict[str, int] = {}
    for job in ctx.store.jobs.waiting(ctx.store.jobs.active_names()):
        if job.team in teams:
            waiting[job.team] = waiting.get(job.team, 0) + job.waiting
        if job.escalation_team in teams:
            waiting[job.escalation_team] = waiting.get(job.escalation_team, 0) + job.escalation_waiting
    return waiting
