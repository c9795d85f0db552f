"""The audit trail in Redis: an append-only stream, trimmed to a bounded length."""

from __future__ import annotations

import dataclasses

from hitl_service.store import keys
from hitl_service.store.base import Part

LEASE_MARK_TTL_MS = 86_400_000
FIELDS = ("ts_ms", "actor", "role", "action", "target", "source_ip", "outcome", "detail")


@dataclasses.dataclass(frozen=True)
class AuditEntry:
    """One record: who (actor, role) did what (action on target, outcome) when and from where."""

    id: str
    ts_ms: int
    actor: str
    role: str
    action: str
    target: str
    source_ip: str
    outcome: str
    detail: str

    def as_dict(self) -> dict:
        return dataclasses.asdict(self)


@dataclasses.dataclass(frozen=True)
class AuditPage:
    entries: list[AuditEntry]
    next_id: str | None


def _entry(entry_id: str, fields: dict) -> AuditEntry:
    return AuditEntry(id=entry_id, ts_ms=int(fields.get("ts_ms", 0)),
                      **{f: fields.get(f, "") for f in FIELDS if f != "ts_ms"})


@dataclasses.dataclass(frozen=True)
class LeaseRef:
    """A lease that was due to expire when read: who held which loop."""

    lease_id: str
    worker: str
    loop: str
    team: str


@dataclasses.dataclass(frozen=True)
class JobLeaseRef:
    """A lease on a labeling job's object that was due to expire when read: who held which object."""

    lease_id: str
    worker: str
    job: str
    object_id: int


class AuditStore(Part):
    """Appends to and reads the audit stream."""

    def append(self, max_len: int, **fields) -> str:
        """Add one record, keeping about ``max_len``; returns its stream id."""
        flat: list = []
        for name in FIELDS:
            flat += [name, str(fields.get(name, ""))]
        return self.scripts.wf_audit(keys=[keys.audit_log()], args=[max_len, *flat])

    def read(self, *, after_id: str = "-", limit: int = 1000, newest_first: bool = False) -> AuditPage:
        """Up to ``limit`` entries after ``after_id`` (oldest first), or the newest ones."""
        if newest_first:
            rows = self.r.xrevrange(keys.audit_log(), "+", "-", count=limit)
            return AuditPage([_entry(i, f) for i, f in rows], None)
        start = "-" if after_id == "-" else f"({after_id}"
        rows = self.r.xrange(keys.audit_log(), start, "+", count=limit + 1)
        entries = [_entry(i, f) for i, f in rows[:limit]]
        return AuditPage(entries, entries[-1].id if len(rows) > limit else None)

    def length(self) -> int:
        return self.r.xlen(keys.audit_log())

    def due_leases(self, teams: list[str], now_ms: int, limit: int) -> list[LeaseRef]:
        """Leases of ``teams`` whose end has passed (about to be reaped), with their holder and loop."""
        pipe = self.r.pipeline(transaction=False)
        for t in teams:
            pipe.zrangebyscore(keys.team_leases(t), "-inf", now_ms - 1, start=0, num=limit)
        due = [(t, i) for t, ids in zip(teams, pipe.execute()) for i in ids]
        if not due:
            return []
        pipe = self.r.pipeline(transaction=False)
        for t, lease_id in due:
            pipe.hmget(keys.lease(t, lease_id), ("worker", "item"))
        return [LeaseRef(i, w, keys.member_name(m), t) for (t, i), (w, m) in zip(due, pipe.execute()) if w and m]

    def expired(self, leases: list[LeaseRef]) -> list[LeaseRef]:
        """Which of these leases the scripts marked as expired (rather than extended or submitted) and
        nobody reported yet."""
        if not leases:
            return []
        pipe = self.r.pipeline(transaction=False)
        for ref in leases:
            pipe.get(keys.lease_ended(ref.team, ref.lease_id))
        expired = [ref for ref, v in zip(leases, pipe.execute()) if v == "expired"]
        if not expired:
            return []
        return self._first_reports(expired, [keys.lease_audited(ref.team, ref.lease_id) for ref in expired])

    def _first_reports(self, refs: list, markers: list[str]) -> list:
        """The refs whose marker this call set first (the reaper and a claim may both see one expiry)."""
        pipe = self.r.pipeline(transaction=False)
        for key in markers:
            pipe.set(key, 1, nx=True, px=LEASE_MARK_TTL_MS)
        return [ref for ref, first in zip(refs, pipe.execute()) if first]

    def due_job_leases(self, name: str, now_ms: int, limit: int) -> list[JobLeaseRef]:
        """Leases of the job ``name`` whose end has passed (about to be given back), with holder and object."""
        due = self.r.zrangebyscore(keys.job_part(name, "leases"), "-inf", now_ms - 1, start=0, num=limit)
        if not due:
            return []
        infos = self.r.hmget(keys.job_part(name, "leaseinfo"), due)
        # leaseinfo is "<object id>|<worker>|<accepted>|<deadline>" (job_claim.lua)
        return [JobLeaseRef(i, info.split("|")[1], name, int(info.split("|")[0]))
                for i, info in zip(due, infos) if info]

    def job_leases_ended(self, leases: list[JobLeaseRef]) -> list[JobLeaseRef]:
        """Which of these overdue leases are gone now and nobody reported yet.

        A lease whose end has passed can only end as an expiry (the lease and submit scripts give it
        back as 'expired' too), so gone means expired.
        """
        if not leases:
            return []
        pipe = self.r.pipeline(transaction=False)
        for ref in leases:
            pipe.hexists(keys.job_part(ref.job, "leaseinfo"), ref.lease_id)
        gone = [ref for ref, live in zip(leases, pipe.execute()) if not live]
        if not gone:
            return []
        return self._first_reports(gone, [keys.job_lease_audited(ref.job, ref.lease_id) for ref in gone])
