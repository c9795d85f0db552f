"""A replica-confirmed write (a start, an answer) whose server turns into a replica mid-write is refused
as retryable (503), never a 500: the sentinel drill once hit it between the script and its WAIT."""

from __future__ import annotations

import pytest

from hitl_service.store.base import Part, Scripts
from hitl_service.store.client import NotReplicated, is_unavailable
from tests.conftest import wait_until
from tests.support.procs import RedisServer


def test_a_write_whose_server_became_a_replica_is_a_retryable_refusal():
    primary, demoted = RedisServer(appendonly=False).start(), RedisServer(appendonly=False).start()
    try:
        client = demoted.client()
        client.replicaof("127.0.0.1", primary.port)
        wait_until(lambda: client.info("replication")["role"] == "slave", message="the server to be a replica")
        part = Part(client, Scripts(client), min_replicas=1)
        # a script a replica accepts (it writes nothing), then the WAIT that a replica refuses
        script = client.register_script("return redis.call('GET', KEYS[1])")
        with pytest.raises(NotReplicated) as refused:
            part.durable(script, keys=["k"], args=[])
        assert is_unavailable(refused.value)
    finally:
        primary.cleanup()
        demoted.cleanup()
