"""Redis persistence of labeling jobs: the job record, its objects and its indexes.

Every key of one job carries the hash tag ``{job:<name>}`` (keys.job*), so each script below
touches one slot; the global creation index is written in its own step.
"""

from __future__ import annotations

import enum
import json

from hitl_service.store import keys, luafiles


class CreateOutcome(enum.Enum):
    CREATED = "created"
    EXISTS = "exists"


class StopOutcome(enum.Enum):
    STOPPING = "stopping"
    MISSING = "missing"
    NOT_RUNNING = "status"


# the record fields a listing needs (summaries never read the request document)
SUMMARY_FIELDS = ("name", "arn", "status", "created_ms", "modified_ms", "team", "team_arn", "pre_arn",
                  "post_arn", "failure_reason", "output_uri", "manifest_uri", "total", "human_labeled",
                  "failed", "workers_per_object", "reference_code", "classifiers")


class JobStore:
    """Typed access to labeling-job state; one per process, shared by threads."""

    def __init__(self, client):
        self.r = client
        self._create = luafiles.register(client, "job_create")
        self._stop = luafiles.register(client, "job_stop")

    def create(self, name: str, created_ms: int, fields: dict) -> CreateOutcome:
        """Store a new job record and queue its ingestion; EXISTS if the name (any case) is taken."""
        flat = [str(x) for kv in fields.items() for x in kv]
        outcome = self._create(keys=[keys.job(name), keys.OUTBOX_JOBS], args=[created_ms, *flat])
        if outcome == CreateOutcome.CREATED.value:
            self.index(name, created_ms)
        return CreateOutcome(outcome)

    def index(self, name: str, created_ms: int) -> None:
        """Add the job to the creation-time index (idempotent; ingestion repeats it after a crash)."""
        self.r.zadd(keys.JOBS, {keys.index_member(created_ms, name): 0})

    def get(self, name: str) -> dict | None:
        """The job's record, or None."""
        data = self.r.hgetall(keys.job(name))
        return data or None

    def all_summaries(self) -> list[dict]:
        """Every job's summary fields, in creation order (listings filter and sort these)."""
        members = self.r.zrange(keys.JOBS, 0, -1)
        pipe = self.r.pipeline(transaction=False)
        for m in members:
            pipe.hmget(keys.job(keys.member_name(m)), SUMMARY_FIELDS)
        rows = []
        for values in pipe.execute():
            if values[0] is not None:
                rows.append(dict(zip(SUMMARY_FIELDS, values)))
        return rows

    def stop(self, name: str, now_ms: int) -> tuple[StopOutcome, str]:
        """Move a running job to Stopping; the outcome and the status it had."""
        kind, status = self._stop(keys=[keys.job(name), keys.OUTBOX_JOBS], args=[now_ms])
        return StopOutcome(kind), status

    @staticmethod
    def decode_doc(record: dict) -> dict:
        return json.loads(record.get("doc") or "{}")
