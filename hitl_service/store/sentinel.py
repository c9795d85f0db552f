"""``redis+sentinel://`` URLs: the store and the Celery broker on a Sentinel-watched primary.

``redis+sentinel://[:password@]host:port[,host:port...]/<master name>[/<db>]`` names the Sentinel
processes (not the primary): the client asks them where the primary is, and asks again after a
connection error, so a failover needs no configuration change.
"""

from __future__ import annotations

import dataclasses
from urllib.parse import unquote

SCHEME = "redis+sentinel://"


@dataclasses.dataclass(frozen=True)
class SentinelTarget:
    sentinels: tuple[tuple[str, int], ...]
    master: str
    db: int = 0
    password: str | None = None

    def broker_url(self, db: int) -> str:
        """The kombu broker URL for the same Sentinels (kombu's ``sentinel://`` transport, one per host)."""
        auth = f":{self.password}@" if self.password else ""
        return ";".join(f"sentinel://{auth}{h}:{p}/{db}" for h, p in self.sentinels)


def is_sentinel_url(url: str) -> bool:
    return url.startswith(SCHEME)


def parse(url: str) -> SentinelTarget:
    """Parse a ``redis+sentinel://`` URL; ValueError names what is wrong."""
    if not is_sentinel_url(url):
        raise ValueError(f"not a {SCHEME} URL: {url}")
    rest = url[len(SCHEME):]
    password = None
    if "@" in rest:
        auth, rest = rest.rsplit("@", 1)
        password = unquote(auth.split(":", 1)[1] if ":" in auth else auth) or None
    hosts, _, path = rest.partition("/")
    parts = [p for p in path.split("/") if p]
    if not parts:
        raise ValueError(f"{url}: the master name is missing (redis+sentinel://host:port,.../<master name>/<db>)")
    db = int(parts[1]) if len(parts) > 1 else 0
    sentinels = []
    for item in hosts.split(","):
        host, _, port = item.strip().rpartition(":")
        if not host or not port.isdigit():
            raise ValueError(f"{url}: sentinel address {item!r} must be host:port")
        sentinels.append((host, int(port)))
    return SentinelTarget(tuple(sentinels), parts[0], db, password)


def connect(url: str, **client_kwargs):
    """A client for the current primary; it finds the new one after a failover."""
    from redis.sentinel import Sentinel

    target = parse(url)
    sentinel = Sentinel(list(target.sentinels), socket_timeout=1.0, socket_connect_timeout=1.0,
                        sentinel_kwargs={"socket_timeout": 1.0, "socket_connect_timeout": 1.0,
                                         "password": target.password})
    return sentinel.master_for(target.master, db=target.db, password=target.password, socket_timeout=5.0,
                               socket_connect_timeout=1.0, **client_kwargs)
