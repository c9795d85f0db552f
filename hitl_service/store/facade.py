"""The Store: the only object in the service that talks to Redis, built once per process."""

from __future__ import annotations

from hitl_service.store.base import Scripts
from hitl_service.store.events import EventStore
from hitl_service.store.jobs import JobStore
from hitl_service.store.loops import LoopStore
from hitl_service.store.outboxes import OutboxStore
from hitl_service.store.queues import QueueStore
from hitl_service.store.resources import ResourceStore
from hitl_service.store.reviewers import ReviewerStore
from hitl_service.store.stats import StatsStore


class Store:
    """All reads and writes of service state, one part per concept; shared by threads."""

    def __init__(self, client):
        self.client = client
        scripts = Scripts(client)
        self.resources = ResourceStore(client, scripts)
        self.loops = LoopStore(client, scripts, self.resources)
        self.queues = QueueStore(client, scripts)
        self.events = EventStore(client, scripts)
        self.outboxes = OutboxStore(client, scripts)
        self.reviewers = ReviewerStore(client, scripts)
        self.stats = StatsStore(client, scripts)
        self.jobs = JobStore(client, scripts)

    def ping(self) -> bool:
        """True when Redis answers (raises the client's error otherwise)."""
        return bool(self.client.ping())

    def work_teams(self) -> list[str]:
        return self.resources.work_teams()
