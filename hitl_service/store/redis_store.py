"""Redis persistence for loops, flow definitions, task UIs, workteams and leases."""

from __future__ import annotations

import json
import logging

import redis

from hitl_service.store import keys
from hitl_service.store.scripts import Scripts

log = logging.getLogger(__name__)

# errors that mean "Redis cannot answer right now" (down, restarting, loading, failing over), as
# opposed to a bug: callers turn them into a retryable ServiceUnavailable
UNAVAILABLE_ERRORS = (redis.ConnectionError, redis.TimeoutError, redis.exceptions.ReadOnlyError)


def connect(url: str) -> redis.Redis:
    """A redis-py client for ``url`` that returns str and retries a dropped connection once."""
    from redis.backoff import ExponentialBackoff
    from redis.retry import Retry

    return redis.Redis.from_url(
        url,
        decode_responses=True,
        health_check_interval=30,
        socket_keepalive=True,
        retry=Retry(ExponentialBackoff(cap=1.0, base=0.05), 3),
        retry_on_error=[redis.ConnectionError, redis.TimeoutError],
    )


class Store:
    """All reads and writes of service state; one per process, shared by threads."""

    def __init__(self, client: redis.Redis):
        self.r = client
        self.scripts = Scripts(client)

    # ---- generic lex-ordered listings -------------------------------------------------------

    def page(self, index_key: str, *, descending: bool, after_member: str | None,
             min_ms: int | None, max_ms: int | None, limit: int) -> tuple[list[str], bool]:
        """One page of an index ordered by (creation ms, name): members and whether more follow."""
        lo = f"[{min_ms:013d}" if min_ms is not None else "-"
        hi = f"({max_ms:013d}" if max_ms is not None else "+"
        if descending:
            if after_member is not None:
                hi = f"({after_member}"
            members = self.r.zrevrangebylex(index_key, hi, lo, start=0, num=limit + 1)
        else:
            if after_member is not None:
                lo = f"({after_member}"
            members = self.r.zrangebylex(index_key, lo, hi, start=0, num=limit + 1)
        return members[:limit], len(members) > limit

    # ---- loops ------------------------------------------------------------------------------

    @staticmethod
    def _stored_fields(fields: tuple[str, ...]) -> tuple[str, ...]:
        # the name is the key's own, not a stored field; `status` is always set, so it tells existence
        return ("status",) + tuple(f for f in fields if f not in ("name", "status"))

    def get_loop(self, name: str, fields: tuple[str, ...] | None = None) -> dict | None:
        """The loop's record (or the named fields of it) with its ``name``; None if there is no such loop."""
        if fields:
            stored = self._stored_fields(fields)
            values = self.r.hmget(keys.loop(name), stored)
            if values[0] is None:
                return None
            data = dict(zip(stored, values))
        else:
            data = self.r.hgetall(keys.loop(name))
            if not data:
                return None
        data["name"] = name
        return data

    def get_loops(self, names: list[str], fields: tuple[str, ...]) -> list[dict | None]:
        stored = self._stored_fields(fields)
        pipe = self.r.pipeline(transaction=False)
        for n in names:
            pipe.hmget(keys.loop(n), stored)
        out = []
        for name, values in zip(names, pipe.execute()):
            out.append(None if values[0] is None else dict(zip(stored, values), name=name))
        return out

    def loop_answers(self, name: str) -> list[dict]:
        return [json.loads(a) for a in self.r.lrange(keys.loop_answers(name), 0, -1)]

    # ---- flows, UIs, teams ------------------------------------------------------------------

    def members(self, key: str) -> set[str]:
        """The members of a set (a UI's or a team's flows)."""
        return self.r.smembers(key)

    def get_hash(self, key: str) -> dict | None:
        data = self.r.hgetall(key)
        return data or None

    def stats(self) -> dict:
        pipe = self.r.pipeline(transaction=False)
        pipe.hgetall(keys.LOOP_STATS)
        pipe.hgetall(keys.QUEUE_DEPTH)
        pipe.hgetall(keys.COUNTERS)
        pipe.zcard(keys.LEASES)
        pipe.zcard(keys.OUTBOX_FINALIZE)
        pipe.zrange(keys.FINALIZE_PENDING_SINCE, 0, 0, withscores=True)
        pipe.zcard(keys.OUTBOX_ROUTE)
        loops, depth, counters, leases, pending, oldest_pending, route_backlog = pipe.execute()
        return {
            "loops": {k: int(v) for k, v in loops.items()},
            "queued": {k: int(v) for k, v in depth.items()},
            "counters": {k: int(v) for k, v in counters.items()},
            "leases": leases,
            "outputs_pending": pending,
            "oldest_pending_ms": int(oldest_pending[0][1]) if oldest_pending else None,
            "route_backlog": route_backlog,
        }
