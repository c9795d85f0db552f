"""The worker keeps routing and finalizing across Redis restarts (kill -9, then start on its AOF)."""

from __future__ import annotations

import json
import threading

import pytest

from tests.conftest import Service, make_settings, wait_until
from tests.support import resources as R
from tests.support.procs import RedisServer
from tests.workers.conftest import Reviewer

RESTARTS = 10


def _durable(server: RedisServer) -> None:
    # every acknowledged write is on disk before the kill (the test kills -9, not a clean shutdown)
    c = server.client()
    c.config_set("appendfsync", "always")
    c.close()


def _start(a2i, flow_arn: str, name: str) -> bool:
    try:
        a2i.start_human_loop(HumanLoopName=name, FlowDefinitionArn=flow_arn,
                             HumanLoopInput={"InputContent": json.dumps({"n": name})})
        return True
    except Exception:  # noqa: BLE001 - Redis is down: the start was refused, not accepted
        return False


@pytest.mark.timeout(600)
def test_worker_routes_and_finalizes_after_each_of_ten_redis_restarts(tmp_path, worker_factory):
    server = RedisServer().start()
    _durable(server)
    svc = Service(make_settings(server.url, str(tmp_path), reaper_interval_seconds=0.5, outbox_grace_seconds=1.0))
    stop = threading.Event()
    try:
        sm, a2i = svc.client("sagemaker"), svc.client("sagemaker-a2i-runtime")
        _, team_arn = R.create_team(sm)
        _, flow_arn = R.create_flow(sm, team_arn=team_arn, task_count=1)
        reviewer = Reviewer(svc, "restart-reviewer")
        worker = worker_factory(svc.settings, beat=True, pool="prefork", concurrency=2)
        accepted: list[str] = []

        def load():
            # starts keep arriving while Redis goes away and comes back: route tasks are in flight
            i = 0
            while not stop.is_set():
                name = f"load-{i}"
                if _start(a2i, flow_arn, name):
                    accepted.append(name)
                    i += 1
                stop.wait(0.05)

        threading.Thread(target=load, daemon=True).start()
        for cycle in range(RESTARTS):
            wait_until(lambda: len(accepted) > 5 * (cycle + 1), timeout=60, message="starts accepted")
            server.stop(kill=True)
            server.start()
            _durable(server)
            # every start the API accepted is routed onto the queue (none lost, none left behind) ...
            seen = list(accepted)
            wait_until(lambda: all((svc.ctx.store.loops.get(n, ("routed",)) or {}).get("routed") == "1"
                                   for n in seen), timeout=90, interval=0.3,
                       message=f"restart {cycle + 1}: accepted starts routed")
            # ... and an answer submitted now is finalized into a Completed loop
            assignment = wait_until(reviewer.claim, timeout=30, interval=0.2, message="an assignment")
            reviewer.submit(assignment["token"], {"ok": cycle})
            name = assignment["humanLoopName"]
            wait_until(lambda: a2i.describe_human_loop(HumanLoopName=name)["HumanLoopStatus"] == "Completed",
                       timeout=90, interval=0.3, message=f"restart {cycle + 1}: answered loop finalized")
            assert worker.proc.poll() is None, worker.output()[-3000:]
        assert "Unrecoverable error" not in worker.output()
    finally:
        stop.set()
        svc.stop()
        server.cleanup()
