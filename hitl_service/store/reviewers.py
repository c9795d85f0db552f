"""Reviewer accounts: one record per name, and the workerId -> name index."""

from __future__ import annotations

from hitl_service.store import keys
from hitl_service.store.base import Part


class ReviewerStore(Part):
    def add(self, name: str, record: dict) -> bool:
        """Store a new reviewer; False when the name is taken. The name is reserved first, then the
        record, list and workerId index are written (each step safe to repeat)."""
        if not self.r.hsetnx(keys.reviewer(name), "name", name):
            return False
        self.r.hset(keys.reviewer(name), mapping=record)
        self.r.sadd(keys.REVIEWERS, name)
        self.r.set(keys.worker_reviewer(record["worker_id"]), name)
        return True

    def get(self, name: str) -> dict | None:
        record = self.r.hgetall(keys.reviewer(name))
        return record if record.get("worker_id") else None

    def names(self) -> list[str]:
        return sorted(self.r.smembers(keys.REVIEWERS))

    def remove(self, name: str, worker_id: str) -> None:
        self.r.srem(keys.REVIEWERS, name)
        self.r.delete(keys.worker_reviewer(worker_id))
        self.r.delete(keys.reviewer(name))
