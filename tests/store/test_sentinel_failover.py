"""Failover drill with real redis-sentinel processes: the primary is killed under load; nothing the
service accepted is lost, requests during the switch get a retryable 503, /healthz says degraded
until the new primary answers."""

from __future__ import annotations

import json
import threading
import time

import pytest
import requests
from botocore.config import Config
from botocore.exceptions import ClientError

from tests.conftest import ACCESS_KEY, REGION, SECRET_KEY, Service, make_settings, wait_until
from tests.support import resources as R
from tests.support.sentinel import SentinelGroup
from tests.workers.conftest import Reviewer


@pytest.fixture
def sentinels():
    group = SentinelGroup().start()
    yield group
    group.cleanup()


def _status(exc: Exception) -> int:
    if isinstance(exc, ClientError):
        return exc.response["ResponseMetadata"]["HTTPStatusCode"]
    return -1


@pytest.mark.timeout(300)
def test_failover_loses_no_accepted_start_or_answer(sentinels, tmp_path, worker_factory):
    import boto3

    settings = make_settings(sentinels.url, str(tmp_path), redis_min_replicas=1)
    assert settings.broker_url.startswith("sentinel://")
    svc = Service(settings)
    stop = threading.Event()
    try:
        sm = svc.client("sagemaker")
        _, team_arn = R.create_team(sm)
        _, flow_arn = R.create_flow(sm, team_arn=team_arn, task_count=1)
        reviewer = Reviewer(svc, "failover-reviewer")
        worker_factory(settings, beat=True)
        # no client-side retries: every 503 the service answers is seen here
        a2i = boto3.client("sagemaker-a2i-runtime", endpoint_url=svc.url, region_name=REGION,
                           aws_access_key_id=ACCESS_KEY, aws_secret_access_key=SECRET_KEY,
                           config=Config(retries={"max_attempts": 1}))
        started, answered, refusals, health, lost_leases = [], {}, [], [], []

        def starter():
            i = 0
            while not stop.is_set():
                name = f"fo-{i}"
                try:
                    a2i.start_human_loop(HumanLoopName=name, FlowDefinitionArn=flow_arn,
                                         HumanLoopInput={"InputContent": json.dumps({"i": i})})
                    started.append(name)
                    i += 1
                except Exception as exc:  # noqa: BLE001 - recorded and checked below
                    refusals.append(("start", _status(exc)))
                stop.wait(0.02)

        def answerer():
            while not stop.is_set():
                try:
                    resp = reviewer.http.post(f"{svc.url}/review/api/assignments/claim", json={}, timeout=10)
                    if resp.status_code != 200:
                        refusals.append(("claim", resp.status_code))
                        continue
                    a = resp.json()["assignment"]
                    if a is None:
                        stop.wait(0.05)
                        continue
                    sub = reviewer.http.post(f"{svc.url}/review/api/assignments/{a['token']}/submit",
                                             json={"answerContent": {"for": a["humanLoopName"]}}, timeout=10)
                    if sub.status_code == 200:
                        answered[a["humanLoopName"]] = True
                    elif sub.status_code == 409 and sub.json().get("__type") == "LeaseNotHeld":
                        # a claim is not replica-confirmed (only starts and answers are): a lease taken
                        # just before the switch can be gone after it; the answer was refused, not lost,
                        # and the loop is still queued for the next claim
                        lost_leases.append(a["humanLoopName"])
                    else:
                        refusals.append(("submit", sub.status_code))
                except requests.RequestException:
                    refusals.append(("review", -1))

        def health_poll():
            while not stop.is_set():
                r = requests.get(f"{svc.url}/healthz", timeout=10)
                health.append((r.status_code, r.json().get("status")))
                stop.wait(0.1)

        threads = [threading.Thread(target=f, daemon=True) for f in (starter, answerer, health_poll)]
        for t in threads:
            t.start()
        wait_until(lambda: len(answered) >= 5, timeout=60, message="answers before the failover")
        old = sentinels.kill_primary()
        wait_until(lambda: sentinels.primary_port() != old, timeout=60, interval=0.2, message="sentinels failed over")
        n_before = len(started)
        wait_until(lambda: len(started) > n_before + 20 and health and health[-1][1] == "ok", timeout=60,
                   message="starts accepted and healthz ok on the new primary")
        stop.set()
        for t in threads:
            t.join(20)

        # the switch was visible only as retryable refusals, never as a 500
        assert all(code in (503, -1) for _, code in refusals), sorted(set(refusals))
        assert any(status == "degraded" and code == 503 for code, status in health), health
        assert health[-1] == (200, "ok")
        # every accepted start exists on the new primary, and every accepted answer is in its loop
        for name in started:
            assert svc.ctx.store.loops.get(name, ("status",)) is not None, name
        for name in answered:
            assert [a["answerContent"] for a in svc.ctx.store.loops.answers(name)] == [{"for": name}], name
        # and the work goes on: the loops started after the switch are routed by the worker
        last = started[-1]
        wait_until(lambda: (svc.ctx.store.loops.get(last, ("routed",)) or {}).get("routed") == "1", timeout=60,
                   message="a loop started after the failover routed")
    finally:
        stop.set()
        svc.stop()
