"""Routing: loops started through boto3 reach their workteam's queue through a real Celery worker,
exactly once, even when the worker is SIGKILLed mid-batch or the broker loses the messages."""

from __future__ import annotations

import concurrent.futures
import dataclasses
import json
import os
import re
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
import redis
import requests
from prometheus_client.parser import text_string_to_metric_families

from hitl_service.store import keys
from tests.conftest import ROOT, wait_until
from tests.support import resources as R

# these tests exercise the route outbox and its drain task: starts do not route inline here
pytestmark = pytest.mark.usefixtures("deferred_routing")


ROUTE_LOG = re.compile(r"route loop=(\S+) outcome=(\w+)")


def start_many(service, flow_arn: str, names: list[str], threads: int = 8) -> None:
    def run(chunk: list[str]) -> None:
        a2i = service.client("sagemaker-a2i-runtime")
        for name in chunk:
            a2i.start_human_loop(HumanLoopName=name, FlowDefinitionArn=flow_arn,
                                 HumanLoopInput={"InputContent": json.dumps({"n": name})})

    with concurrent.futures.ThreadPoolExecutor(threads) as pool:
        list(pool.map(run, [names[i::threads] for i in range(threads)]))


def metric_samples(service) -> dict:
    text = requests.get(f"{service.url}/metrics", timeout=10).text
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}


def depth_metric(service, team: str) -> float:
    return metric_samples(service)[("hitl_queue_depth", (("workteam", team),))]


def hitl(service, *args: str) -> subprocess.CompletedProcess:
    s = service.settings
    env = dict(os.environ, HITL_REDIS_URL=s.redis_url, HITL_BROKER_URL=s.broker_url, HITL_REGION=s.region,
               HITL_ACCOUNT_ID=s.account_id, HITL_DATA_DIR=s.data_dir, HITL_LOG_LEVEL="WARNING")
    return subprocess.run([sys.executable, "-m", "hitl_service.cli", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=60)


def queues_table(service) -> dict[str, int]:
    """`hitl queues` output as {workteam: waiting}."""
    out = hitl(service, "queues")
    assert out.returncode == 0, out.stderr
    lines = out.stdout.strip().splitlines()
    assert lines[0].split() == ["workteam", "waiting", "oldest"]
    return {line.split()[0]: int(line.split()[1]) for line in lines[1:]}


ROUTE_TASKS = (b"hitl.route_pending_loops", b"hitl.route_loop")


def broker_route_messages(service) -> int:
    """Routing messages still waiting in, or held unacknowledged by, the broker."""
    b = redis.Redis.from_url(service.settings.broker_url)
    try:
        waiting = sum(1 for m in b.lrange("hitl", 0, -1) if any(t in m for t in ROUTE_TASKS))
        held = sum(1 for m in b.hvals("unacked") if any(t in m for t in ROUTE_TASKS))
        return waiting + held
    finally:
        b.close()


def route_outcomes(*logs: str) -> Counter:
    """(loop, outcome) counts from the workers' "route loop=... outcome=..." log lines."""
    return Counter(ROUTE_LOG.findall("\n".join(logs)))


def full_log(worker) -> str:
    return Path(worker.logdir, "worker.log").read_text(errors="replace")


def assert_routed_exactly_once(service, team: str, names: list[str], task_count: int) -> None:
    store = service.ctx.store
    rows = store.loops.get_many_in(team, names, ("routed", "queued", "created_ms", "status"))
    scores = [store.client.zscore(keys.queue(team), keys.loop_member(name)) for name in names]
    for name, row, score in zip(names, rows, scores):
        assert row["status"] == "InProgress", (name, row)
        assert row["routed"] == "1" and int(row["queued"]) == task_count, (name, row)
        assert score == int(row["created_ms"]), (name, score)
    assert store.client.zcard(keys.queue(team)) == len(names)
    assert int(store.client.hget(keys.team_stats(team), "queued")) == len(names) * task_count
    assert store.stats.read().route_backlog == 0
    assert depth_metric(service, team) == len(names) * task_count


def test_loops_started_through_boto3_are_routed_and_visible_in_metrics_and_cli(service, sm, a2i, worker_factory):
    team, team_arn = R.create_team(sm)
    idle_team, _ = R.create_team(sm)
    _, flow_arn = R.create_flow(sm, team_arn=team_arn, task_count=3)
    names = [f"routed-{i}" for i in range(5)]
    start_many(service, flow_arn, names, threads=2)
    # stored, but nobody has routed them yet
    assert depth_metric(service, team) == 0
    assert metric_samples(service)[("hitl_route_backlog", ())] == 5
    assert queues_table(service) == {team: 0, idle_team: 0}

    worker_factory(service.settings, beat=True)
    wait_until(lambda: depth_metric(service, team) == 15, message="15 assignments waiting")
    assert metric_samples(service)[("hitl_route_backlog", ())] == 0
    assert_routed_exactly_once(service, team, names, 3)
    assert queues_table(service) == {team: 15, idle_team: 0}
    out = hitl(service, "queues").stdout
    row = next(line for line in out.splitlines() if line.startswith(team + " "))
    assert re.search(r"\d+\.\ds$", row), row  # age of the oldest waiting loop
    assert [line.split()[2] for line in out.splitlines() if line.startswith(idle_team + " ")] == ["-"]


def test_worker_sigkilled_mid_routing_still_routes_each_loop_exactly_once(service, sm, worker_factory):
    team, team_arn = R.create_team(sm)
    _, flow_arn = R.create_flow(sm, team_arn=team_arn, task_count=2)
    names = [f"kill-{i:04d}" for i in range(400)]
    start_many(service, flow_arn, names)  # no worker yet: the loops wait in the route outbox
    store = service.ctx.store
    assert store.stats.read().route_backlog == len(names)
    # one drain message serves every start that arrives while it is pending
    assert 1 <= broker_route_messages(service) < len(names)

    # a batch of one loop per script call makes the drain slow enough to be killed half-way
    slow = dataclasses.replace(service.settings, route_batch_size=1)
    doomed = worker_factory(slow, beat=True, concurrency=1)
    wait_until(lambda: store.client.zcard(keys.queue(team)) > 2, interval=0.005, message="routing under way")
    doomed.kill()
    killed_at = time.time()
    routed_before_kill = store.client.zcard(keys.queue(team))
    assert 0 < routed_before_kill < len(names), "the worker was not killed in the middle of routing"
    held = unacked_route_task_ids(service)
    assert held, "the dead worker held no unacknowledged route message"

    # let the dead worker's message pass the broker's visibility timeout, so that the new worker
    # gets it again (besides the outbox sweep asking for a drain of loops still not routed)
    time.sleep(max(0.0, killed_at + service.settings.broker_visibility_timeout + 0.5 - time.time()))
    survivor = worker_factory(service.settings, beat=True, concurrency=4)
    wait_until(lambda: store.stats.read().route_backlog == 0 and broker_route_messages(service) == 0,
               timeout=60, interval=0.1, message="every route message handled")
    assert_routed_exactly_once(service, team, names, 2)
    survivor_log = full_log(survivor)
    for task_id in held:  # Celery delivered the dead worker's message again
        assert f"Task hitl.route_pending_loops[{task_id}] received" in survivor_log
    outcomes = route_outcomes(full_log(doomed), survivor_log)
    assert all(outcomes[(name, "routed")] <= 1 for name in names)  # a kill can cut the last log line

    # a late duplicate of every per-loop routing message (what a redelivery racing the original
    # amounts to) changes nothing
    for name in names:
        service.ctx.dispatcher.route(name)
    wait_until(lambda: broker_route_messages(service) == 0, timeout=60, interval=0.1,
               message="duplicates handled")
    wait_until(lambda: sum(n for (_, o), n in route_outcomes(full_log(survivor)).items() if o == "already")
               >= len(names), timeout=20, message="duplicates logged")
    assert_routed_exactly_once(service, team, names, 2)
    outcomes = route_outcomes(full_log(doomed), full_log(survivor))
    assert all(outcomes[(name, "routed")] <= 1 for name in names)  # a kill can cut the last log line


def unacked_route_task_ids(service) -> list[str]:
    b = redis.Redis.from_url(service.settings.broker_url)
    try:
        return [json.loads(m)[0]["headers"]["id"] for m in b.hvals("unacked")
                if any(t in m for t in ROUTE_TASKS)]
    finally:
        b.close()


def test_route_messages_lost_by_the_broker_are_recovered_by_the_outbox_sweep(service, sm, worker_factory):
    team, team_arn = R.create_team(sm)
    _, flow_arn = R.create_flow(sm, team_arn=team_arn, task_count=1)
    names = [f"lost-{i}" for i in range(30)]
    start_many(service, flow_arn, names, threads=4)
    b = redis.Redis.from_url(service.settings.broker_url)
    assert b.delete("hitl") == 1  # the broker lost every message
    b.close()
    worker = worker_factory(service.settings, beat=True)
    wait_until(lambda: service.ctx.store.stats.read().route_backlog == 0 and broker_route_messages(service) == 0,
               timeout=30, message="outbox sweep routed the loops")
    assert_routed_exactly_once(service, team, names, 1)
    assert all(route_outcomes(full_log(worker))[(n, "routed")] == 1 for n in names)
