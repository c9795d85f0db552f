"""What every part of the store shares: the client and its registered scripts."""

from __future__ import annotations

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

    def __init__(self, client, scripts: Scripts):
        from redis.cluster import RedisCluster

        self.r = client
        self.scripts = scripts
        # a cluster client pipelines plain commands but not scripts
        self.clustered = isinstance(client, RedisCluster)

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
