"""What every part of the store shares: the client and its registered scripts."""

from __future__ import annotations

import redis

from hitl_service.store import keys, luafiles


class Scripts:
    """The store's Lua scripts registered on one client, each loaded on first use."""

    def __init__(self, client):
        self._client = client
        self._loaded: dict = {}

    def __getattr__(self, name: str):
        if name.startswith("_"):
            raise AttributeError(name)
        script = self._loaded.get(name)
        if script is None:
            script = self._loaded[name] = luafiles.register(self._client, name)
        return script


class Part:
    """One concept's share of the store (loops, queues, resources ...) on the shared client."""

    def __init__(self, client, scripts: Scripts, min_replicas: int = 0, wait_timeout_ms: int = 1000):
        from redis.cluster import RedisCluster

        self.r = client
        self.scripts = scripts
        self.min_replicas = min_replicas
        self.wait_timeout_ms = wait_timeout_ms
        # a cluster client pipelines plain commands but not scripts
        self.clustered = isinstance(client, RedisCluster)

    def durable(self, script, keys: list[str], args: list):
        """Run a script whose success the caller acknowledges to a client (a start, an answer): with
        ``min_replicas``, only once that many replicas have the write (WAIT on the same connection),
        so a failover to a replica cannot lose it."""
        if self.min_replicas <= 0 or self.clustered:
            return script(keys=keys, args=args)
        from hitl_service.store.client import NotReplicated

        pipe = self.r.pipeline(transaction=False)
        script(keys=keys, args=args, client=pipe)
        pipe.wait(self.min_replicas, self.wait_timeout_ms)
        try:
            reply, acked = pipe.execute()
        except redis.ResponseError as exc:
            # the connection's server was demoted to a replica during a failover (between the script and
            # the WAIT): the write is not confirmed, which the client may retry, like a missing ack
            if "WAIT cannot be used with replica" in str(exc):
                raise NotReplicated(f"the server became a replica during the write: {exc}") from None
            raise
        if acked < self.min_replicas:
            raise NotReplicated(f"write reached {acked} of {self.min_replicas} replicas in {self.wait_timeout_ms} ms")
        return reply

    def work_teams(self) -> list[str]:
        """Every team whose slot may hold work (the sweeps visit each)."""
        return sorted(self.r.smembers(keys.WORK_TEAMS))

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
