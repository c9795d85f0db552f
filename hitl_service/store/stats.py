"""Service-wide counters, summed over the teams' slots at read time."""

from __future__ import annotations

import dataclasses

from hitl_service.store import keys
from hitl_service.store.base import Part

COUNTERS = ("claims", "submits", "lease_expiries", "releases", "output_write_failures")


@dataclasses.dataclass(frozen=True)
class Stats:
    loops: dict[str, int]               # loops by status
    counters: dict[str, int]
    leases: int                         # leases out
    outputs_pending: int                # loops waiting for output.json
    oldest_pending_ms: int | None
    route_backlog: int                  # loops stored but not routed


class StatsStore(Part):
    def read(self) -> Stats:
        teams = self.work_teams()
        pipe = self.r.pipeline(transaction=False)
        for t in teams:
            pipe.hgetall(keys.team_stats(t))
            pipe.zcard(keys.team_leases(t))
            pipe.zcard(keys.outbox_finalize(t, "loop"))
            pipe.zrange(keys.pending_since(t, "loop"), 0, 0, withscores=True)
            pipe.zcard(keys.outbox_route(t))
        replies = pipe.execute()
        loops: dict[str, int] = {}
        counters = dict.fromkeys(COUNTERS, 0)
        leases = pending = backlog = 0
        oldest = None
        for i in range(len(teams)):
            stats, n_leases, n_pending, head, n_route = replies[5 * i:5 * i + 5]
            for field, value in stats.items():
                if field.startswith("loop:"):
                    loops[field[5:]] = loops.get(field[5:], 0) + int(value)
                elif field in counters:
                    counters[field] += int(value)
            leases += n_leases
            pending += n_pending
            backlog += n_route
            if head and (oldest is None or head[0][1] < oldest):
                oldest = int(head[0][1])
        return Stats(loops, counters, leases, pending, oldest, backlog)
