"""Reviewer work: claim the next assignment, heartbeat, release and submit."""

from __future__ import annotations

import functools
import json
import logging
import secrets
import time

from hitl_service.domain.timefmt import iso_ms, now_ms
from hitl_service.errors import LeaseError, NotFoundError, ValidationError
from hitl_service.services.context import ServiceContext, dispatch_safely
from hitl_service.services.loops import flow_task_info
from hitl_service.services.reviewers import identity_data, teams_of
from hitl_service.store import keys
from hitl_service.workforce import audit

log = logging.getLogger(__name__)

# entries a claim looks at from the queue's head and from the reviewer's cursor (see the claim script)
MAX_SCAN = 200
CLAIM_BUCKETS_MS = (1, 2, 5, 10, 25, 50, 100, 250, 1000)
CLAIM_HISTOGRAM = keys.PREFIX + "stats:claim_ms"


def _record_claim_latency(ctx: ServiceContext, elapsed_ms: float) -> None:
    bucket = next((str(b) for b in CLAIM_BUCKETS_MS if elapsed_ms <= b), "+Inf")
    pipe = ctx.store.r.pipeline(transaction=False)
    pipe.hincrby(CLAIM_HISTOGRAM, bucket, 1)
    pipe.hincrbyfloat(CLAIM_HISTOGRAM, "sum", elapsed_ms / 1000)
    pipe.execute()


def _finalize_all(ctx: ServiceContext, names) -> None:
    for name in names:
        dispatch_safely(ctx.dispatcher.finalize, name)


def assignment_view(ctx: ServiceContext, lease_id: str, lease: dict, loop: dict) -> dict:
    task = flow_task_info(ctx, loop)
    return {
        "token": lease_id,
        "humanLoopName": loop["name"],
        "flowDefinitionArn": ctx.arns.flow_definition(loop["flow"]),
        "workteam": lease["team"],
        "taskTitle": task["title"],
        "taskDescription": task["description"],
        "acceptedAt": iso_ms(int(lease["accepted_ms"])),
        "expiresAt": iso_ms(int(lease["expires_ms"])),
        "deadlineAt": iso_ms(int(lease["deadline_ms"])),
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
    window = ctx.settings.lease_heartbeat_seconds * 1000
    for _ in range(5):
        lease_id = secrets.token_urlsafe(18)
        # the claim script hands back expired leases first; audit.reaping records those expiries
        claim = functools.partial(ctx.store.scripts.claim_next_assignment, keys=[keys.queue(t) for t in teams],
                                  args=[worker, now_ms(), window, lease_id, MAX_SCAN])
        kind, loop_name, expires, deadline, to_finalize = audit.reaping(ctx, claim, limit=20)
        _finalize_all(ctx, to_finalize)
        if kind == "retry":
            continue
        _record_claim_latency(ctx, (time.perf_counter() - started) * 1000)
        if kind == "empty":
            return None
        lease = ctx.store.r.hgetall(keys.lease(lease_id))
        loop = ctx.store.get_loop(loop_name, ("name", "flow", "flow_id"))
        log.info("claimed loop=%s worker=%s team=%s", loop_name, worker, lease.get("team"))
        audit.reviewer_action(ctx, "claim", reviewer, loop_name, detail={"workteam": lease.get("team"), "lease": lease_id})
        return assignment_view(ctx, lease_id, lease, loop)
    return None


def _lease_error(kind: str, detail: str = "") -> Exception:
    messages = {
        "nolease": "This assignment is not leased to you (it was submitted, released, or its lease ended)",
        "notyours": "This assignment is leased to another reviewer",
        "expired": ("Your lease on this assignment expired (no heartbeat in time, or the task time limit passed); "
                    "it went back to the queue and your answer was not stored"),
        "closed": f"The human loop is no longer accepting answers (it is {detail or 'closed'}); your lease has ended",
    }
    return LeaseError(messages.get(kind, kind))


def _missing_lease_error(ctx: ServiceContext, lease_id: str) -> Exception:
    """The error for a token with no live lease: "expired" when the scripts marked it so, else generic."""
    ended = ctx.store.r.get(keys.lease(lease_id) + ":ended")
    return _lease_error("expired" if ended == "expired" else "nolease")


def _raise_for(ctx: ServiceContext, lease_id: str, kind: str, detail: str = "", to_finalize: str = "") -> None:
    """Raise the LeaseError for a script's refusal (after handing a loop it closed to finalize)."""
    if to_finalize:
        _finalize_all(ctx, [to_finalize])
    if kind == "nolease":
        raise _missing_lease_error(ctx, lease_id)
    raise _lease_error(kind, detail)


def get_assignment(ctx: ServiceContext, reviewer: dict, lease_id: str) -> tuple[dict, dict]:
    """The lease (owned by this reviewer and still live) and its loop record."""
    lease = ctx.store.r.hgetall(keys.lease(lease_id))
    if not lease:
        raise _missing_lease_error(ctx, lease_id)
    if lease["worker"] != reviewer["worker_id"]:
        raise _lease_error("notyours")
    if int(lease["expires_ms"]) < now_ms():
        raise _lease_error("expired")
    loop = ctx.store.get_loop(lease["loop"])
    if loop is None or lease.get("loop_created", loop["created_ms"]) != loop["created_ms"]:
        raise _lease_error("closed", "deleted")  # (a loop with the same name may have started since)
    return lease, loop


def extend_lease(ctx: ServiceContext, reviewer: dict, lease_id: str) -> dict:
    """Heartbeat: push the lease end out by the heartbeat window, never past the task time limit."""
    result = ctx.store.scripts.extend_lease(
        args=[lease_id, reviewer["worker_id"], now_ms(), ctx.settings.lease_heartbeat_seconds * 1000])
    if result[0] != "ok":
        _raise_for(ctx, lease_id, result[0], result[1] if len(result) > 1 else "",
                   result[2] if len(result) > 2 else "")
    return {"expiresAt": iso_ms(int(result[1])), "deadlineAt": iso_ms(int(result[2]))}


def release_assignment(ctx: ServiceContext, reviewer: dict, lease_id: str) -> None:
    """Hand an assignment back to the queue at once."""
    kind, to_finalize = ctx.store.scripts.release_assignment(args=[lease_id, reviewer["worker_id"], now_ms()])
    if kind != "released":
        _raise_for(ctx, lease_id, kind, "", to_finalize)
    if to_finalize:
        _finalize_all(ctx, [to_finalize])
    log.info("released worker=%s", reviewer["worker_id"])
    audit.reviewer_action(ctx, "release", reviewer, lease_id)


def submit_answer(ctx: ServiceContext, reviewer: dict, lease_id: str, answer_content) -> dict:
    """Store the lease holder's answer; the last answer of a loop hands it to finalize."""
    if not isinstance(answer_content, dict):
        raise ValidationError("answerContent must be a JSON object (the crowd-form's answer)")
    lease = ctx.store.r.hgetall(keys.lease(lease_id))
    if not lease:
        raise _missing_lease_error(ctx, lease_id)
    if lease["worker"] != reviewer["worker_id"]:
        raise _lease_error("notyours")
    now = now_ms()
    accepted = int(lease["accepted_ms"])
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
    result = ctx.store.scripts.submit_answer(args=[lease_id, reviewer["worker_id"], now, encoded])
    if result[0] != "submitted":
        _raise_for(ctx, lease_id, result[0], result[1], result[2] if len(result) > 2 else "")
    loop_name, outcome = result[1], result[2]
    log.info("submitted loop=%s worker=%s outcome=%s", loop_name, reviewer["worker_id"], outcome or "open")
    audit.reviewer_action(ctx, "submit", reviewer, loop_name,
                          detail={"seconds": answer["timeSpentInSeconds"], "workteam": lease.get("team")})
    if outcome == "finalize":
        dispatch_safely(ctx.dispatcher.finalize, loop_name)
    elif outcome == "finished":
        dispatch_safely(ctx.dispatcher.deliver_events)
    return {"humanLoopName": loop_name, "submissionTime": answer["submissionTime"]}


def my_assignments(ctx: ServiceContext, reviewer: dict) -> list[dict]:
    ids = sorted(ctx.store.r.smembers(keys.worker_leases(reviewer["worker_id"])))
    out = []
    for lease_id in ids:
        lease = ctx.store.r.hgetall(keys.lease(lease_id))
        if not lease or int(lease["expires_ms"]) < now_ms():
            continue
        loop = ctx.store.get_loop(lease["loop"], ("name", "flow", "flow_id", "created_ms"))
        if loop and lease.get("loop_created", loop["created_ms"]) == loop["created_ms"]:
            out.append(assignment_view(ctx, lease_id, lease, loop))
    return out


def queue_overview(ctx: ServiceContext, team_names: list[str]) -> list[dict]:
    """Depth (assignments waiting) and age of the oldest waiting loop, per team."""
    pipe = ctx.store.r.pipeline(transaction=False)
    for t in team_names:
        pipe.hget(keys.QUEUE_DEPTH, t)
        pipe.zrange(keys.queue(t), 0, 0, withscores=True)
    replies = pipe.execute()
    now = now_ms()
    rows = []
    for i, t in enumerate(team_names):
        depth, head = replies[2 * i], replies[2 * i + 1]
        oldest = (now - int(head[0][1])) / 1000 if head else None
        rows.append({"workteam": t, "waiting": int(depth or 0), "oldestAgeSeconds": oldest})
    return rows
