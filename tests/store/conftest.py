"""The store against a real redis-server and a real three-master Redis Cluster (every test runs on both)."""

from __future__ import annotations

import pytest

from hitl_service.store.client import connect, connect_url
from hitl_service.store.facade import Store
from tests.support.cluster import RedisCluster

FLOW_FIELDS = {"task_count": 2, "time_limit": 60, "lifetime": 600, "output_path": "s3://bucket/out",
               "title": "Title", "description": "Desc", "doc": "{}", "conditions": "", "webhooks": "[]"}


@pytest.fixture(scope="session")
def redis_cluster():
    cluster = RedisCluster().start()
    yield cluster
    cluster.cleanup()


@pytest.fixture(params=["redis", "cluster"])
def store(request, redis_server):
    """A Store on a flushed single Redis, or on a flushed Redis Cluster."""
    if request.param == "redis":
        redis_server.flush()
        client = connect(redis_server.url)
    else:
        cluster = request.getfixturevalue("redis_cluster")
        cluster.flush()
        client = connect_url(cluster.url)
    yield Store(client)
    client.close()


def make_flow(store: Store, flow: str = "f", team: str = "t", ui: str = "u", created_ms: int = 1, **fields) -> str:
    """A UI, a team and an Active flow on them (each created if missing); returns the flow id."""
    store.resources.create_ui(ui, created_ms, {"arn": f"arn:ui/{ui}", "created_ms": created_ms, "content": "x"})
    store.resources.create_team(team, created_ms, ["reviewers"], {"arn": f"arn:team/{team}", "created_ms": created_ms})
    flow_id = f"id-{flow}-{created_ms}"
    values = dict(FLOW_FIELDS, name=flow, arn=f"arn:flow/{flow}", id=flow_id, status="Active", created_ms=created_ms,
                  team=team, ui=ui)
    values.update(fields)
    store.resources.create_flow(flow, team, ui, created_ms, values)
    return flow_id
