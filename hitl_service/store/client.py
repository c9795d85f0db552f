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
    """The client ``HITL_REDIS_URL`` asks for: ``redis://`` (one server), ``redis+cluster://`` or
    ``redis+sentinel://host:port,.../<master>/<db>``."""
    from hitl_service.store import sentinel

    if url.startswith("redis+cluster://"):
        return connect_cluster("redis://" + url[len("redis+cluster://"):])
    if sentinel.is_sentinel_url(url):
        return sentinel.connect(url, **_common())
    return connect(url)


class NotReplicated(redis.ConnectionError):
    """A write was not confirmed by enough replicas in time (it may still be there: retry)."""


def _unavailable_errors() -> tuple:
    from redis.exceptions import ClusterDownError, ReadOnlyError, TryAgainError

    return (redis.ConnectionError, redis.TimeoutError, ReadOnlyError, ClusterDownError, TryAgainError)


def is_unavailable(exc: BaseException) -> bool:
    """Whether ``exc`` means Redis is briefly unreachable (down, failing over, loading): a retryable 503."""
    return isinstance(exc, _unavailable_errors())


def answers(url: str) -> bool:
    """Whether a Redis server answers at ``url`` (a quick probe, used before starting one)."""
    try:
        return bool(redis.Redis.from_url(url, socket_connect_timeout=1).ping())
    except Exception:  # noqa: BLE001 - any failure means "nothing usable answers"
        return False



def runs_without_aof(url: str) -> bool:
    """Whether the Redis at ``url`` answers with ``appendonly no`` (a crash would lose recent state);
    False when it cannot be asked (CONFIG renamed or forbidden, or nothing answers)."""
    try:
        client = redis.Redis.from_url(url, socket_connect_timeout=1, decode_responses=True)
        return client.config_get("appendonly").get("appendonly") == "no"
    except Exception:  # noqa: BLE001 - then nothing can be said
        return False
