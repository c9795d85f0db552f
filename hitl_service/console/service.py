"""What the console shows, computed from the store and the audit trail; no Flask here."""

from __future__ import annotations

import dataclasses
import json
import logging

from hitl_service.domain.timefmt import now_ms
from hitl_service.errors import ForbiddenError, LeaseError, NotFoundError
from hitl_service.services import review, reviewers
from hitl_service.domain.states import ItemKind, LeaseOutcome
from hitl_service.services.context import ServiceContext
from hitl_service.store.workforce import LeaseView
from hitl_service.workforce import audit
from hitl_service.workforce.roles import Role, role_of

log = logging.getLogger(__name__)

HOUR_MS = 3_600_000
STATUSES = ("InProgress", "Stopping", "Completed", "Failed", "Stopped")


@dataclasses.dataclass(frozen=True)
class Viewer:
    """A signed-in person looking at the console, with the teams they may see."""

    record: dict
    role: Role
    teams: frozenset[str]

    @property
    def worker_id(self) -> str:
        return self.record["worker_id"]


@dataclasses.dataclass(frozen=True)
class QueueRow:
    team: str
    waiting: int
    oldest_age_seconds: float | None
    leases_out: int


@dataclasses.dataclass(frozen=True)
class ReviewerRow:
    worker_id: str
    name: str
    submits: int
    mean_seconds: float | None
    per_hour: list[int]


@dataclasses.dataclass(frozen=True)
class Throughput:
    hours: int
    hour_labels: list[str]
    per_hour: list[int]
    reviewers: list[ReviewerRow]
    total: int
    mean_seconds: float | None


def viewer_of(ctx: ServiceContext, record: dict) -> Viewer:
    """The viewer for a reviewer record: admins see every team, others their own."""
    role = role_of(ctx.settings, record)
    teams = ctx.store.resources.team_names() if role is Role.ADMIN else reviewers.teams_of(ctx, record)
    return Viewer(record=record, role=role, teams=frozenset(teams))


def operator_viewer(ctx: ServiceContext) -> Viewer:
    """The CLI's viewer: whoever can reach Redis is an admin."""
    return Viewer(record={"worker_id": "cli", "name": "cli"}, role=Role.ADMIN,
                  teams=frozenset(ctx.store.resources.team_names()))


def require(viewer: Viewer, role: Role) -> None:
    if not viewer.role.at_least(role):
        raise ForbiddenError(f"This page needs the {role.value} role; you are a {viewer.role.value}")


def queues(ctx: ServiceContext, viewer: Viewer) -> list[QueueRow]:
    """Depth, oldest waiting age and leases out for each team the viewer may see."""
    teams = sorted(viewer.teams)
    leases = ctx.store.work.leases(teams)
    out = []
    for row in review.queue_overview(ctx, teams):
        held = sum(1 for lease in leases if lease.team == row["workteam"])
        out.append(QueueRow(row["workteam"], row["waiting"], row["oldestAgeSeconds"], held))
    return out


def loop_statuses(ctx: ServiceContext) -> dict[str, int]:
    counts = ctx.store.stats.read().loops
    return {s: max(int(counts.get(s, 0)), 0) for s in STATUSES}


def _hour_label(ms: int) -> str:
    from datetime import datetime, timezone

    return datetime.fromtimestamp(ms / 1000, tz=timezone.utc).strftime("%H:00")


def throughput(ctx: ServiceContext, viewer: Viewer, hours: int = 12) -> Throughput:
    """Submits per hour and mean time per task over the last ``hours``, per reviewer, from the audit trail."""
    now = now_ms()
    start = (now // HOUR_MS - hours + 1) * HOUR_MS
    entries = audit.query(ctx, action="submit", since_ms=start, limit=100_000)
    names = reviewer_names(ctx)
    per_hour = [0] * hours
    seconds: dict[str, list[float]] = {}
    buckets: dict[str, list[int]] = {}
    for e in entries:
        detail = json.loads(e.detail or "{}")
        if detail.get("workteam") not in viewer.teams:
            continue
        slot = min(max((e.ts_ms - start) // HOUR_MS, 0), hours - 1)
        per_hour[slot] += 1
        buckets.setdefault(e.actor, [0] * hours)[slot] += 1
        seconds.setdefault(e.actor, []).append(float(detail.get("seconds", 0)))
    rows = [ReviewerRow(worker_id=w, name=names.get(w, w), submits=sum(buckets[w]),
                        mean_seconds=sum(seconds[w]) / len(seconds[w]), per_hour=buckets[w]) for w in buckets]
    rows.sort(key=lambda r: -r.submits)
    every = [s for v in seconds.values() for s in v]
    return Throughput(hours=hours, hour_labels=[_hour_label(start + i * HOUR_MS) for i in range(hours)],
                      per_hour=per_hour, reviewers=rows, total=sum(per_hour),
                      mean_seconds=sum(every) / len(every) if every else None)


def reviewer_names(ctx: ServiceContext) -> dict[str, str]:
    """workerId -> the name people know (the IdP's name for OIDC reviewers)."""
    out = {}
    for view in reviewers.list_reviewers(ctx):
        name = view["name"]
        if name.startswith("oidc-"):
            name = (reviewers.get_reviewer(ctx, name) or {}).get("display_name") or name
        out[view["workerId"]] = name
    return out


def leases(ctx: ServiceContext, viewer: Viewer, team: str) -> list[LeaseView]:
    if team not in viewer.teams:
        raise NotFoundError(f"You do not lead workteam {team}")
    return ctx.store.work.leases([team])


def reassign(ctx: ServiceContext, viewer: Viewer, lease_id: str) -> LeaseView:
    """Take a task from its reviewer and put it back on the queue for someone else (lead of its team)."""
    require(viewer, Role.TEAM_LEAD)
    lease = ctx.store.queues.get_lease(lease_id)
    if lease is None or lease.team not in viewer.teams or lease.kind != ItemKind.LOOP:
        raise NotFoundError("No such task is held in a team you lead")
    result = ctx.store.queues.release(lease_id, lease.worker, now=now_ms())
    review.hand_over_closed(ctx, [result.closed])
    if result.outcome is not LeaseOutcome.OK:
        raise LeaseError("The task was submitted or released before it could be reassigned")
    audit.record(ctx, "reassign", actor=viewer.worker_id, role=viewer.role.value, target=lease.name,
                 detail={"from": lease.worker, "workteam": lease.team, "lease": lease_id})
    log.info("reassigned loop=%s from=%s by=%s", lease.name, lease.worker, viewer.worker_id)
    return LeaseView(lease_id, lease.name, lease.worker, lease.team, lease.accepted_ms, lease.expires_ms)


def loop_detail(ctx: ServiceContext, viewer: Viewer, name: str) -> dict:
    """A loop of the viewer's teams with the answers submitted so far (team leads read answers)."""
    require(viewer, Role.TEAM_LEAD)
    loop = ctx.store.loops.get(name, ("name", "status", "team", "flow", "created_ms", "task_count"))
    if loop is None or loop["team"] not in viewer.teams:
        raise NotFoundError(f"No loop {name} in a team you lead")
    loop["answers"] = ctx.store.loops.answers(name, loop["team"])
    return loop
