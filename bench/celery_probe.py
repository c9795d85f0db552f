"""``celery -A bench.celery_probe worker``: the shipped Celery app plus one empty task for B2's baseline.

``bench.ping`` does the least a task can do and still be observed: one HSET, through the same
per-process Redis client the service's tasks use. B2 watches HSETs with keyspace notifications, so the
baseline (send_task -> task ran) and the service (StartHumanLoop -> route_loop's script ran) are timed
the same way.
"""

from __future__ import annotations

from workers.celery_app import app  # noqa: F401 - the app celery -A finds
from workers.runtime import context


@app.task(name="bench.ping")
def ping(token: str) -> None:
    context().store.client.hset(f"bench:ping:{token}", "t", 1)
