"""The sweeps: outbox entries whose task never ran (lost message, dead worker, broker down)."""

from __future__ import annotations

import dataclasses

from hitl_service.store import keys
from hitl_service.store.base import Part


@dataclasses.dataclass(frozen=True)
class SweepResult:
    route_teams: tuple[str, ...]               # teams with loops waiting to be routed
    finalize: tuple[tuple[str, str], ...]      # (team, member) of the ``loop`` finalize outboxes
    retire: tuple[tuple[str, str], ...]        # (flow name, flow id)


class OutboxStore(Part):
    """Hands out overdue outbox entries again, in every team's slot."""

    def claim_overdue(self, outbox_key: str, now: int, grace_ms: int, limit: int) -> list[str]:
        """Entries due longer than ``grace_ms``: returned and their grace period restarted."""
        return self.scripts.claim_due(keys=[outbox_key], args=[now - grace_ms, now, limit])

    def sweep(self, now: int, grace_ms: int) -> SweepResult:
        route, finalize, retire = [], [], []
        for team in self.work_teams():
            if self.claim_overdue(keys.outbox_route(team), now, grace_ms, 500):
                route.append(team)
            finalize.extend((team, m) for m in self.claim_overdue(keys.outbox_finalize(team, "loop"), now, grace_ms, 500))
            for entry in self.claim_overdue(keys.outbox_retire(team), now, grace_ms, 100):
                flow_name, _, flow_id = entry.partition("|")
                retire.append((flow_name, flow_id))
        return SweepResult(tuple(route), tuple(finalize), tuple(retire))
