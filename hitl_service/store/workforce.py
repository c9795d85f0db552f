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
class WorkforcePage:
    records: list[WorkforceRecord]
    has_more: bool


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
