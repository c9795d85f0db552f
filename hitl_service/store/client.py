"""Connecting to Redis: one server, Redis Cluster, or a Sentinel-watched primary."""

from __future__ import annotations

import redis
from redis.backoff import ExponentialBackoff
from redis.retry import Retry

RETRY_ERRORS = [redis.ConnectionError, redis.TimeoutError]


def _common() -> dict:
    return dict(decode_responses=True, health_check_interval=30, socket_keepalive=True,
                retry=Retry(ExponentialBackoff(cap=1.0, base=0.05), 3), retry_on_error=list(RETRY_ERRORS))


def connect(url: str):
    """A client for ``url`` that returns str and retries a dropped connection a few times."""
    return redis.Redis.from_url(url, **_common())


def connect_cluster(url: str):
    """A Redis Cluster client (``url`` names any node)."""
    from redis.cluster import RedisCluster

    return RedisCluster.from_url(url, decode_responses=True, socket_keepalive=True)


def connect_url(url: str):
    """The client ``HITL_REDIS_URL`` asks for: ``redis://`` (one server) or ``redis+cluster://``."""
    if url.startswith("redis+cluster://"):
        return connect_cluster("redis://" + url[len("redis+cluster://"):])
    return connect(url)


def answers(url: str) -> bool:
    """Whether a Redis server answers at ``url`` (a quick probe, used before starting one)."""
    try:
        return bool(redis.Redis.from_url(url, socket_connect_timeout=1).ping())
    except Exception:  # noqa: BLE001 - any failure means "nothing usable answers"
        return False
