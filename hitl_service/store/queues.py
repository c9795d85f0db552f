"""A team's queue of work items: claim, heartbeat, release, submit, and expired leases.

Every step runs in one team's slot. A claim over several teams picks a candidate in each team
(read-only, pipelined), then leases the oldest; a candidate taken meanwhile makes it look again.
Lease tokens are ``<team>.<random>`` so that a token alone finds its slot; a lease on a loop's
escalation stage (hitl:escalation-workteam) is ``<team>.esc.<random>``: its steps use the team's
escalation queue in place of the queue, so an assignment given back returns to that stage.
"""

from __future__ import annotations

import dataclasses
import logging
import secrets

from hitl_service.domain.states import ClaimOutcome, CloseOutcome, LeaseOutcome
from hitl_service.store import keys
from hitl_service.store.base import Part

log = logging.getLogger(__name__)

CLAIM_ATTEMPTS = 5


class NamesItem:
    """Mixin for results about one work item: ``member`` (``loop:<name>``, ``job:...``) read as kind and name."""

    member: str

    @property
    def kind(self) -> str:
        """The item's producer kind (``loop``, ``job``)."""
        return keys.member_kind(self.member)

    @property
    def name(self) -> str:
        """The item's name within its kind (for a loop: the loop name)."""
        return keys.member_name(self.member)


@dataclasses.dataclass(frozen=True)
class Lease(NamesItem):
    lease_id: str
    team: str
    member: str              # the work item (``loop:<name>`` for a human loop)
    worker: str
    accepted_ms: int
    expires_ms: int
    deadline_ms: int
    item_created: str


@dataclasses.dataclass(frozen=True)
class ClosedItem(NamesItem):
    """A work item a queue step closed: FINALIZE means its producer must now finish it."""

    team: str
    member: str
    outcome: CloseOutcome


@dataclasses.dataclass(frozen=True)
class _Pick:
    """One team's claim candidate as claim_pick read it."""

    team: str
    member: str          # '' when the team has nothing for the worker
    raw_score: str       # the queue score exactly as read (claim_item compares it)
    overdue: bool        # the team has leases past their end: reap, then look again
    handed_back: bool    # the worker gave this item back: taken only when no team has a new one
    escalate_to: str = ""   # from the team's escalation queue of this escalation team (the worker's)

    @property
    def order(self) -> tuple[bool, float]:
        return self.handed_back, float(self.raw_score)


@dataclasses.dataclass(frozen=True)
class ClaimResult:
    outcome: ClaimOutcome
    lease: Lease | None = None
    closed: tuple[ClosedItem, ...] = ()     # items that leases reaped on the way closed
    flow: str = ""                          # CLAIMED, a loop: its flow's name and the flow's id
    flow_id: str = ""


@dataclasses.dataclass(frozen=True)
class LeaseResult:
    outcome: LeaseOutcome
    status: str = ""                  # CLOSED: the status the holder is told about
    expires_ms: int = 0               # heartbeat
    deadline_ms: int = 0
    member: str = ""                  # submit: the item answered
    closed: ClosedItem | None = None  # the step closed the item (submit, or a release/expiry)


ESCALATION_TOKEN = "esc."


def is_escalation_token(lease_id: str) -> bool:
    """Whether the lease is on a loop's escalation stage (its assignment lives on an escalation queue)."""
    return lease_id.partition(".")[2].startswith(ESCALATION_TOKEN)


def escalation_team_of(lease_id: str) -> str:
    """The escalation team of an escalation lease ``<team>.esc.<escalation team>.<random>`` (team names
    have no dots, nor do url-safe tokens); '' for any other lease."""
    parts = lease_id.split(".")
    return parts[2] if len(parts) >= 4 and parts[1] + "." == ESCALATION_TOKEN else ""


def parse_token(lease_id: str) -> str | None:
    """The team of a lease token, or None for a malformed one."""
    team, dot, rest = lease_id.partition(".")
    return team if dot and team and rest else None


class QueueStore(Part):
    """Reviewer work on team queues."""

    def _lease_keys(self, team: str, lease_id: str, member: str, worker: str) -> list[str]:
        team_keys = keys.team_keys(team, keys.member_kind(member))
        if is_escalation_token(lease_id):
            team_keys[0] = keys.escalation_queue(team, escalation_team_of(lease_id))
        return [*team_keys, keys.lease(team, lease_id),
                keys.lease_ended(team, lease_id), keys.item(team, member), keys.item_answers(team, member),
                keys.worker_leases(team, worker), keys.item_workers(team, member), keys.worked(team, worker),
                keys.released(team, worker)]

    def _closed(self, team: str, member: str, outcome: str) -> ClosedItem | None:
        return ClosedItem(team, member, CloseOutcome(outcome)) if outcome else None

    # ---- claim -------------------------------------------------------------------------------

    def escalation_sources(self, teams: list[str]) -> list[tuple[str, str]]:
        """The escalation queues a member of ``teams`` reads, as (first team, escalation team): the teams
        whose flows escalate to one of ``teams``, less ``teams`` themselves (a first-stage reviewer never
        escalates to themself)."""
        if not teams:
            return []
        pipe = self.r.pipeline(transaction=False)
        for t in teams:
            pipe.smembers(keys.escalates_from(t))
        return sorted({(s, t) for t, found in zip(teams, pipe.execute()) for s in found if s not in teams})

    def claim(self, worker: str, teams: list[str], *, now: int, window_ms: int, max_scan: int,
              escalation_from: list[tuple[str, str]] = ()) -> ClaimResult:
        """Lease the oldest assignment of ``teams`` the worker neither holds nor answered.

        Items the worker handed back (released, or let the lease run out) come last: they are taken
        only when no team has anything new to the worker, so others get the first chance at them.
        ``escalation_from``: (first team, escalation team) queues the worker reads too (escalation_sources).
        """
        closed: list[ClosedItem] = []
        for _ in range(CLAIM_ATTEMPTS):
            picks = self._picks(worker, teams, escalation_from, now, max_scan)
            overdue = sorted({p.team for p in picks if p.overdue})
            if overdue:
                # expired leases give their assignments back first, then look again
                for t in overdue:
                    closed.extend(self.reap(t, now, 20))
                picks = self._picks(worker, teams, escalation_from, now, max_scan)
            found = [p for p in picks if p.member]
            if not found:
                return ClaimResult(ClaimOutcome.EMPTY, closed=tuple(closed))
            best = min(found, key=lambda p: p.order)
            team, member = best.team, best.member
            stage = f"{ESCALATION_TOKEN}{best.escalate_to}." if best.escalate_to else ""
            lease_id = f"{team}.{stage}{secrets.token_urlsafe(18)}"
            cursors = keys.escalation_cursors(team, best.escalate_to) if best.escalate_to else keys.cursors(team)
            reply = self.scripts.claim_item(
                keys=[*self._lease_keys(team, lease_id, member, worker), cursors],
                args=[member, worker, now, window_ms, lease_id, best.raw_score])
            if reply[0] == ClaimOutcome.CLAIMED:
                # built from the script's reply rather than read back (one round trip less per claim)
                _, expires, deadline, item_created, flow, flow_id = reply
                lease = Lease(lease_id, team, member, worker, now, int(expires), int(deadline), item_created)
                return ClaimResult(ClaimOutcome.CLAIMED, lease, tuple(closed), flow=flow, flow_id=flow_id)
        return ClaimResult(ClaimOutcome.RETRY, closed=tuple(closed))

    def _picks(self, worker: str, teams: list[str], escalation_from, now: int, max_scan: int) -> list[_Pick]:
        """Each team's candidate for the worker, then each escalation queue's: one round trip on one Redis."""
        sources = [(t, "") for t in teams] + list(escalation_from)

        def call(t, escalate_to, client=None):
            queue, cursors = ((keys.escalation_queue(t, escalate_to), keys.escalation_cursors(t, escalate_to))
                              if escalate_to else (keys.queue(t), keys.cursors(t)))
            return self.scripts.claim_pick(keys=[queue, cursors, keys.worked(t, worker),
                                                 keys.team_leases(t), keys.released(t, worker)],
                                           args=[worker, max_scan, now], client=client)

        if self.clustered or len(sources) == 1:
            replies = [call(t, e) for t, e in sources]
        else:
            pipe = self.r.pipeline(transaction=False)
            for t, e in sources:
                call(t, e, pipe)
            replies = pipe.execute()
        return [_Pick(t, member, raw, bool(overdue), bool(back), e)
                for (t, e), (member, raw, overdue, back) in zip(sources, replies)]

    # ---- leases ------------------------------------------------------------------------------

    def get_lease(self, lease_id: str) -> Lease | None:
        team = parse_token(lease_id)
        if team is None:
            return None
        raw = self.r.hgetall(keys.lease(team, lease_id))
        if not raw:
            return None
        return Lease(lease_id, team, raw["item"], raw["worker"], int(raw["accepted_ms"]), int(raw["expires_ms"]),
                     int(raw["deadline_ms"]), raw.get("item_created", ""))

    def lease_expired_marker(self, lease_id: str) -> bool:
        """Whether the lease ended because it expired (kept a day, so its holder can be told)."""
        team = parse_token(lease_id)
        return bool(team) and self.r.get(keys.lease_ended(team, lease_id)) == "expired"

    def _holder_step(self, lease_id: str, worker: str):
        """The lease's team and item for a step by ``worker``, or the refusal."""
        team = parse_token(lease_id)
        if team is None:
            return None, LeaseResult(LeaseOutcome.NO_LEASE)
        member, holder = self.r.hmget(keys.lease(team, lease_id), ("item", "worker"))
        if member is None:
            return None, LeaseResult(LeaseOutcome.NO_LEASE)
        if holder != worker:
            return None, LeaseResult(LeaseOutcome.NOT_YOURS)
        return (team, member), None

    def extend(self, lease_id: str, worker: str, *, now: int, window_ms: int) -> LeaseResult:
        """Heartbeat: the lease ends ``window_ms`` from now, never past the task deadline."""
        found, refusal = self._holder_step(lease_id, worker)
        if refusal:
            return refusal
        team, member = found
        reply = self.scripts.extend_lease(keys=self._lease_keys(team, lease_id, member, worker),
                                          args=[lease_id, worker, now, window_ms, member])
        outcome = LeaseOutcome(reply[0])
        if outcome is LeaseOutcome.OK:
            return LeaseResult(outcome, expires_ms=int(reply[1]), deadline_ms=int(reply[2]), member=member)
        if outcome is LeaseOutcome.EXPIRED:
            return LeaseResult(outcome, member=member, closed=self._closed(team, reply[2], "finalize" if reply[2] else ""))
        return LeaseResult(outcome, status=reply[1] if len(reply) > 1 else "", member=member)

    def release(self, lease_id: str, worker: str, *, now: int) -> LeaseResult:
        """Hand the assignment back to the queue at once."""
        found, refusal = self._holder_step(lease_id, worker)
        if refusal:
            return refusal
        team, member = found
        outcome, to_finalize = self.scripts.release_lease(keys=self._lease_keys(team, lease_id, member, worker),
                                                          args=[lease_id, worker, now, member])
        return LeaseResult(LeaseOutcome(outcome), member=member,
                           closed=self._closed(team, to_finalize, "finalize" if to_finalize else ""))

    def submit(self, lease_id: str, worker: str, *, now: int, answer_json: str, lease: Lease | None = None) -> LeaseResult:
        """Store the holder's answer; the item's last answer closes it (see LeaseResult.closed). ``lease``:
        the lease as the caller just read it (get_lease), which spares reading its holder again; the script
        checks the holder itself either way."""
        if lease is not None and lease.lease_id == lease_id and lease.worker == worker:
            team, member = lease.team, lease.member
        else:
            found, refusal = self._holder_step(lease_id, worker)
            if refusal:
                return refusal
            team, member = found
        outcome, detail, to_finalize = self.durable(
            self.scripts.submit_answer, keys=self._lease_keys(team, lease_id, member, worker),
            args=[lease_id, worker, now, answer_json, member])
        outcome = LeaseOutcome(outcome)
        if outcome is LeaseOutcome.OK:
            return LeaseResult(outcome, member=member, closed=self._closed(team, member, detail))
        if outcome in (LeaseOutcome.EXPIRED, LeaseOutcome.CLOSED):
            # (a refused first-stage answer on an escalated loop may close a stopping one)
            status = detail if outcome is LeaseOutcome.CLOSED else ""
            return LeaseResult(outcome, status=status, member=member,
                               closed=self._closed(team, to_finalize, "finalize" if to_finalize else ""))
        return LeaseResult(outcome, status=detail, member=member)

    def reap(self, team: str, now: int, limit: int) -> list[ClosedItem]:
        """Expire the team's overdue leases (their assignments go back to the queue)."""
        due = self.r.zrangebyscore(keys.team_leases(team), "-inf", now - 1, start=0, num=limit)
        closed = []
        for lease_id in due:
            member, worker = self.r.hmget(keys.lease(team, lease_id), ("item", "worker"))
            if member is None:
                self.r.zrem(keys.team_leases(team), lease_id)
                continue
            _, to_finalize = self.scripts.reap_lease(keys=self._lease_keys(team, lease_id, member, worker),
                                                     args=[lease_id, now, member])
            if to_finalize:
                closed.append(ClosedItem(team, to_finalize, CloseOutcome.FINALIZE))
        return closed

    def has_overdue_leases(self, team: str, now: int) -> bool:
        return bool(self.r.zrangebyscore(keys.team_leases(team), "-inf", now - 1, start=0, num=1))

    def worker_lease_ids(self, worker: str, teams: list[str]) -> list[str]:
        pipe = self.r.pipeline(transaction=False)
        for t in teams:
            pipe.smembers(keys.worker_leases(t, worker))
        return sorted(i for ids in pipe.execute() for i in ids)

    def forget_worker(self, worker: str) -> None:
        """Drop a removed reviewer's queue positions and worked-on sets in every team."""
        for t in self.work_teams():
            self.r.hdel(keys.cursors(t), worker)
            self.r.delete(keys.worked(t, worker), keys.released(t, worker))

    # ---- reads for pages and metrics ----------------------------------------------------------

    def overview(self, teams: list[str]) -> list[tuple[str, int, float | None]]:
        """Per team: assignments waiting for its reviewers and the queue score (creation ms) of the oldest
        item on its queue. An escalated loop's assignment (in the first team's slot) counts under its
        escalation workteam, not under the first team (two round trips)."""
        if not teams:
            return []
        pipe = self.r.pipeline(transaction=False)
        for t in teams:
            pipe.hmget(keys.team_stats(t), ("queued", "escalation_queued"))
            pipe.zrange(keys.queue(t), 0, 0, withscores=True)
            pipe.smembers(keys.escalates_from(t))
        replies = pipe.execute()
        sources = [(t, s) for i, t in enumerate(teams) for s in sorted(replies[3 * i + 2])]
        escalated = {t: 0 for t in teams}
        if sources:
            pipe = self.r.pipeline(transaction=False)
            for t, s in sources:
                pipe.hget(keys.team_stats(s), f"escalation_queued:{t}")
            for (t, _), n in zip(sources, pipe.execute()):
                escalated[t] += max(0, int(n or 0))
        rows = []
        for i, t in enumerate(teams):
            (queued, own_escalated), head = replies[3 * i], replies[3 * i + 1]
            depth = max(0, int(queued or 0) - max(0, int(own_escalated or 0))) + escalated[t]
            rows.append((t, depth, head[0][1] if head else None))
        return rows

    def record_claim_latency(self, bucket: str, seconds: float) -> None:
        pipe = self.r.pipeline(transaction=False)
        pipe.hincrby(keys.CLAIM_HISTOGRAM, bucket, 1)
        pipe.hincrbyfloat(keys.CLAIM_HISTOGRAM, "sum", seconds)
        pipe.execute()

    def claim_histogram(self) -> dict[str, str]:
        return self.r.hgetall(keys.CLAIM_HISTOGRAM)
