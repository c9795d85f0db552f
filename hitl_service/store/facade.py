"""The Store: the only object in the service that talks to Redis, built once per process."""

from __future__ import annotations

from hitl_service.store.audit import AuditStore
from hitl_service.store.base import Scripts
from hitl_service.store.events import EventStore
from hitl_service.store.jobs import JobStore
from hitl_service.store.loops import LoopStore
from hitl_service.store.outboxes import OutboxStore
from hitl_service.store.output_failures import OutputFailures
from hitl_service.store.quality import QualityStore
from hitl_service.store.queues import QueueStore
from hitl_service.store.resources import ResourceStore
from hitl_service.store.reviewers import ReviewerStore
from hitl_service.store.stats import StatsStore
from hitl_service.store.throttle import LoginThrottle
from hitl_service.store.workforce import WorkforceStore, WorkReads


class Store:
    """All reads and writes of service state, one part per concept; shared by threads."""

    def __init__(self, client, *, min_replicas: int = 0, wait_timeout_ms: int = 1000):
        self.client = client
        scripts = Scripts(client)
        durability = {"min_replicas": min_replicas, "wait_timeout_ms": wait_timeout_ms}
        self.resources = ResourceStore(client, scripts)
        self.loops = LoopStore(client, scripts, self.resources, **durability)
        self.queues = QueueStore(client, scripts, **durability)
        self.events = EventStore(client, scripts)
        self.outboxes = OutboxStore(client, scripts)
        self.reviewers = ReviewerStore(client, scripts)
        self.stats = StatsStore(client, scripts)
        self.jobs = JobStore(client, scripts)
        self.throttle = LoginThrottle(client, scripts)
        self.output_failures = OutputFailures(client, scripts)
        self.workforces = WorkforceStore(client, scripts)
        self.work = WorkReads(client, scripts)
        self.audit = AuditStore(client, scripts)
        self.quality = QualityStore(client, scripts)

    def ping(self) -> bool:
        """True when Redis answers (raises the client's error otherwise)."""
        return bool(self.client.ping())

    def work_teams(self) -> list[str]:
        return self.resources.work_teams()
