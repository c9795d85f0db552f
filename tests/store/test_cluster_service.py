"""The whole service on the three-master Redis Cluster: two API processes' worth of apps, a worker,
loops on three teams answered by reviewers and finalized; the work spreads over the masters."""

from __future__ import annotations

import json

import pytest

from tests.conftest import Service, make_settings, wait_until
from tests.support import resources as R
from tests.workers.conftest import Reviewer


@pytest.mark.timeout(300)
def test_service_runs_on_the_cluster(redis_cluster, redis_server, tmp_path, worker_factory):
    redis_cluster.flush()
    redis_server.flush()
    # the store on the cluster; Celery's broker on a plain Redis (a cluster cannot be a broker)
    broker = redis_server.url.rsplit("/", 1)[0] + "/7"
    settings = make_settings(redis_cluster.url, str(tmp_path), broker_url=broker)
    api1, api2 = Service(settings), Service(settings)
    try:
        sm, a2i = api1.client("sagemaker"), api2.client("sagemaker-a2i-runtime")
        flows = []
        for i in range(3):
            _, team_arn = R.create_team(sm, groups=("cluster-reviewers",))
            flows.append(R.create_flow(sm, team_arn=team_arn, task_count=2)[1])
        worker_factory(settings, beat=True, concurrency=2)
        names = [f"c-{i}" for i in range(12)]
        for i, n in enumerate(names):
            a2i.start_human_loop(HumanLoopName=n, FlowDefinitionArn=flows[i % 3],
                                 HumanLoopInput={"InputContent": json.dumps({"n": n})})
        ann, bob = Reviewer(api1, "c-ann", ("cluster-reviewers",)), Reviewer(api2, "c-bob", ("cluster-reviewers",))
        for reviewer in (ann, bob):
            done = 0
            while done < len(names):
                a = wait_until(reviewer.claim, timeout=60, interval=0.1, message=f"work for {reviewer.name}")
                reviewer.submit(a["token"], {"by": reviewer.name})
                done += 1
            assert reviewer.claim() is None        # each reviewer answers each loop once
        wait_until(lambda: all(a2i.describe_human_loop(HumanLoopName=n)["HumanLoopStatus"] == "Completed"
                               for n in names), timeout=120, interval=0.3, message="loops finalized on the cluster")
        for n in names:
            workers = [a["workerId"] for a in api1.ctx.store.loops.answers(n)]
            assert sorted(workers) == sorted([ann.worker_id, bob.worker_id])
        assert api1.ctx.store.stats.read().loops.get("Completed") == len(names)
        assert sum(1 for n in redis_cluster.keys_per_node() if n > 0) >= 2   # spread over masters
    finally:
        api1.stop()
        api2.stop()
