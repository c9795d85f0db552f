"""Redis persistence for workforces and for the reviewers an OIDC sign-in creates."""

from __future__ import annotations

import dataclasses
import enum
import json

from hitl_service.store import keys
from hitl_service.store.base import Part


class WriteResult(enum.Enum):
    """What a workforce write did."""

    CREATED = "created"
    UPDATED = "updated"
    DELETED = "deleted"
    EXISTS = "exists"
    LIMIT = "limit"
    MISSING = "missing"
    CHANGED = "changed"
    TAKEN = "taken"


@dataclasses.dataclass(frozen=True)
class WorkforceRecord:
    """One stored workforce; ``doc`` holds the request's fields with the client secret encrypted."""

    name: str
    created_ms: int
    updated_ms: int
    doc: dict
    raw_doc: str


@dataclasses.dataclass(frozen=True)
class LeaseView:
    """A live lease as the console shows it."""

    lease_id: str
    loop: str
    worker: str
    team: str
    accepted_ms: int
    expires_ms: int


class WorkforceStore(Part):
    """Typed access to workforces (all in the ``{wf}`` slot) and to the reviewers OIDC sign-ins create."""

    def create(self, name: str, doc: dict, now_ms: int, max_workforces: int) -> WriteResult:
        """Store a new workforce unless one with the name exists or the limit is reached."""
        return WriteResult(self.scripts.wf_create(keys=[keys.workforce(name), keys.workforces()],
                                        args=[name, now_ms, json.dumps(doc, sort_keys=True), max_workforces]))

    def get(self, name: str) -> WorkforceRecord | None:
        data = self.r.hgetall(keys.workforce(name))
        if not data:
            return None
        return WorkforceRecord(name=data["name"], created_ms=int(data["created_ms"]),
                               updated_ms=int(data["updated_ms"]), doc=json.loads(data["doc"]), raw_doc=data["doc"])

    def update(self, record: WorkforceRecord, doc: dict, now_ms: int) -> WriteResult:
        """Replace the document if nobody changed it since ``record`` was read."""
        return WriteResult(self.scripts.wf_update(keys=[keys.workforce(record.name)],
                                        args=[json.dumps(doc, sort_keys=True), now_ms, record.raw_doc]))

    def delete(self, name: str) -> WriteResult:
        return WriteResult(self.scripts.wf_delete(keys=[keys.workforce(name), keys.workforces()], args=[name]))

    def names(self) -> list[str]:
        """Every workforce name, oldest first (there are a handful at most)."""
        return [keys.member_name(m) for m in self.r.zrange(keys.workforces(), 0, -1)]

    def all(self) -> list[WorkforceRecord]:
        return [rec for rec in (self.get(n) for n in self.names()) if rec is not None]

    def upsert_oidc_reviewer(self, *, name: str, worker_id: str, issuer: str, sub: str, groups: list[str],
                             display_name: str, now_ms: int) -> WriteResult:
        """Create or refresh the reviewer record of an IdP identity; its groups become the IdP's.

        The reviewer keys live in different slots, so this is a sequence of single-key steps, each
        safe to repeat (as ReviewerStore.add): reserve the name, check it is this identity's, write."""
        record_key = keys.reviewer(name)
        created = self.r.hsetnx(record_key, "name", name)
        owner = self.r.hmget(record_key, ("issuer", "sub", "worker_id"))
        if not created and owner[0] is not None and (owner[0], owner[1]) != (issuer, sub):
            return WriteResult.TAKEN
        if not created and owner[0] is None and owner[2]:
            return WriteResult.TAKEN  # a local account holds the name
        self.r.hset(record_key, mapping={"password_hash": "", "worker_id": worker_id, "issuer": issuer, "sub": sub,
                                         "groups": json.dumps(sorted(set(groups))), "display_name": display_name,
                                         "last_signin_ms": now_ms})
        self.r.hsetnx(record_key, "created_ms", now_ms)
        self.r.sadd(keys.REVIEWERS, name)
        self.r.set(keys.worker_reviewer(worker_id), name)
        return WriteResult.CREATED if created else WriteResult.UPDATED


class WorkReads(Part):
    """Read-only views of the work in progress for the console (leases by team)."""

    def leases(self, teams: list[str], limit: int = 1000) -> list[LeaseView]:
        """Live leases of ``teams``, soonest expiry first within each team."""
        pipe = self.r.pipeline(transaction=False)
        for t in teams:
            pipe.zrange(keys.team_leases(t), 0, limit - 1)
        ids = [(t, i) for t, team_ids in zip(teams, pipe.execute()) for i in team_ids]
        pipe = self.r.pipeline(transaction=False)
        for t, lease_id in ids:
            pipe.hmget(keys.lease(t, lease_id), ("item", "worker", "accepted_ms", "expires_ms"))
        out = []
        for (t, lease_id), (member, worker, accepted, expires) in zip(ids, pipe.execute()):
            if member and keys.member_kind(member) == "loop":
                out.append(LeaseView(lease_id, keys.member_name(member), worker, t, int(accepted), int(expires)))
        return out
