"""The queue work with RabbitMQ as the Celery broker (quorum queues), the store on Redis."""

from __future__ import annotations

import json

import pytest

from tests.conftest import Service, make_settings, wait_until
from tests.support import resources as R
from tests.support.rabbitmq import RabbitMQ
from tests.workers.conftest import Reviewer


@pytest.fixture(scope="module")
def rabbitmq():
    node = RabbitMQ().start()
    yield node
    node.cleanup()


@pytest.mark.timeout(400)
def test_loops_route_and_finalize_through_a_rabbitmq_quorum_queue(rabbitmq, redis_server, tmp_path, worker_factory):
    redis_server.flush()
    settings = make_settings(redis_server.url, str(tmp_path), broker_url=rabbitmq.url)
    svc = Service(settings)
    try:
        sm, a2i = svc.client("sagemaker"), svc.client("sagemaker-a2i-runtime")
        _, team_arn = R.create_team(sm)
        _, flow_arn = R.create_flow(sm, team_arn=team_arn, task_count=1)
        worker_factory(settings, beat=True)
        names = [f"amqp-{i}" for i in range(10)]
        for n in names:
            a2i.start_human_loop(HumanLoopName=n, FlowDefinitionArn=flow_arn,
                                 HumanLoopInput={"InputContent": json.dumps({"n": n})})
        reviewer = Reviewer(svc, "amqp-reviewer")
        answered = set()
        while len(answered) < len(names):
            a = wait_until(reviewer.claim, timeout=60, interval=0.1, message="routed through RabbitMQ")
            reviewer.submit(a["token"], {"ok": True})
            answered.add(a["humanLoopName"])
        assert answered == set(names)
        wait_until(lambda: all(a2i.describe_human_loop(HumanLoopName=n)["HumanLoopStatus"] == "Completed"
                               for n in names), timeout=90, interval=0.3, message="finalized through RabbitMQ")
        assert rabbitmq.queue_types().get("hitl") == "quorum"
    finally:
        svc.stop()
