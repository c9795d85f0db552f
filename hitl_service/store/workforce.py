"""Redis persistence for workforces and for the reviewers an OIDC sign-in creates."""

from __future__ import annotations

import dataclasses
import enum
import json

import redis

from hitl_service.store import keys, luafiles


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


class WorkforceStore:
    """Typed access to workforces; one per process, created by the composition root."""

    def __init__(self, client: redis.Redis):
        self.r = client
        self._create = luafiles.register(client, "wf_create")
        self._update = luafiles.register(client, "wf_update")
        self._delete = luafiles.register(client, "wf_delete")
        self._signin = luafiles.register(client, "wf_signin")

    def create(self, name: str, doc: dict, now_ms: int, max_workforces: int) -> WriteResult:
        """Store a new workforce unless one with the name exists or the limit is reached."""
        return WriteResult(self._create(keys=[keys.workforce(name), keys.workforces()],
                                        args=[name, now_ms, json.dumps(doc, sort_keys=True), max_workforces]))

    def get(self, name: str) -> WorkforceRecord | None:
        data = self.r.hgetall(keys.workforce(name))
        if not data:
            return None
        return WorkforceRecord(name=data["name"], created_ms=int(data["created_ms"]),
                               updated_ms=int(data["updated_ms"]), doc=json.loads(data["doc"]), raw_doc=data["doc"])

    def update(self, record: WorkforceRecord, doc: dict, now_ms: int) -> WriteResult:
        """Replace the document if nobody changed it since ``record`` was read."""
        return WriteResult(self._update(keys=[keys.workforce(record.name)],
                                        args=[json.dumps(doc, sort_keys=True), now_ms, record.raw_doc]))

    def delete(self, name: str) -> WriteResult:
        return WriteResult(self._delete(keys=[keys.workforce(name), keys.workforces()], args=[name]))

    def names(self) -> list[str]:
        """Every workforce name, oldest first (there are a handful at most)."""
        return [keys.member_name(m) for m in self.r.zrange(keys.workforces(), 0, -1)]

    def all(self) -> list[WorkforceRecord]:
        return [rec for rec in (self.get(n) for n in self.names()) if rec is not None]

    def upsert_oidc_reviewer(self, *, name: str, worker_id: str, issuer: str, sub: str, groups: list[str],
                             display_name: str, now_ms: int) -> WriteResult:
        """Create or refresh the reviewer record of an IdP identity; its groups become the IdP's."""
        return WriteResult(self._signin(
            keys=[keys.reviewer(name), keys.REVIEWERS, keys.worker_reviewer(worker_id)],
            args=[name, worker_id, issuer, sub, json.dumps(sorted(set(groups))), display_name, now_ms]))


class WorkReads:
    """Read-only views of the work in progress for the console (leases by team)."""

    def __init__(self, client: redis.Redis):
        self.r = client

    def leases(self, teams: set[str] | None = None, limit: int = 1000) -> list[LeaseView]:
        """Live leases (oldest expiry first), of ``teams`` when given."""
        ids = self.r.zrange(keys.LEASES, 0, limit - 1)
        pipe = self.r.pipeline(transaction=False)
        for lease_id in ids:
            pipe.hmget(keys.lease(lease_id), "loop", "worker", "team", "accepted_ms", "expires_ms")
        out = []
        for lease_id, (loop, worker, team, accepted, expires) in zip(ids, pipe.execute()):
            if loop and (teams is None or team in teams):
                out.append(LeaseView(lease_id, loop, worker, team, int(accepted), int(expires)))
        return out

    def lease(self, lease_id: str) -> LeaseView | None:
        loop, worker, team, accepted, expires = self.r.hmget(keys.lease(lease_id), "loop", "worker", "team",
                                                             "accepted_ms", "expires_ms")
        return LeaseView(lease_id, loop, worker, team, int(accepted), int(expires)) if loop else None

    def team_names(self) -> list[str]:
        return sorted(keys.member_name(m) for m in self.r.zrange(keys.TEAMS, 0, -1))
