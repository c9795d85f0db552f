"""Reviewer queues end to end: boto3 starts loops, a real Celery worker (with beat) routes, expires,
reaps and finalizes them, and reviewers work them through the review JSON API over real HTTP."""

from __future__ import annotations

import concurrent.futures
import itertools
import json
import threading
import time
from collections import Counter, defaultdict
from datetime import datetime
from pathlib import Path

import pytest
import redis
import requests
from prometheus_client.parser import text_string_to_metric_families

from hitl_service.services.reviewers import add_reviewer
from hitl_service.store import keys
from tests.conftest import Service, make_settings, wait_until
from tests.support import resources as R

PASSWORD = "correct-horse-battery"
_names = itertools.count()


# ---- helpers -----------------------------------------------------------------------------------


class Reviewer:
    """One reviewer with its own requests.Session, signed in through POST /review/api/login."""

    def __init__(self, service: Service, groups=("reviewers",), name: str | None = None):
        self.base = f"{service.url}/review/api"
        self.name = name or f"rev-{next(_names)}"
        self.view = add_reviewer(service.ctx, self.name, PASSWORD, list(groups))
        self.http = requests.Session()
        resp = self.http.post(f"{self.base}/login", json={"username": self.name, "password": PASSWORD}, timeout=10)
        assert resp.status_code == 200, resp.text
        body = resp.json()
        self.worker_id = body["workerId"]
        assert self.worker_id == self.view["workerId"]
        self.http.headers["X-CSRF-Token"] = body["csrfToken"]

    def get(self, path: str) -> requests.Response:
        return self.http.get(self.base + path, timeout=10)

    def post(self, path: str, body: dict | None = None) -> requests.Response:
        return self.http.post(self.base + path, json=body if body is not None else {}, timeout=10)

    def claim(self) -> dict | None:
        resp = self.post("/assignments/claim")
        assert resp.status_code == 200, resp.text
        return resp.json()["assignment"]

    def claim_wait(self, loop_name: str | None = None, timeout: float = 20) -> dict:
        assignment = wait_until(self.claim, timeout=timeout, interval=0.05, message=f"an assignment for {self.name}")
        if loop_name is not None:
            assert assignment["humanLoopName"] == loop_name
        return assignment

    def heartbeat(self, token: str) -> requests.Response:
        return self.post(f"/assignments/{token}/heartbeat")

    def release(self, token: str) -> requests.Response:
        return self.post(f"/assignments/{token}/release")

    def submit(self, token: str, answer: dict | None = None) -> requests.Response:
        return self.post(f"/assignments/{token}/submit", {"answerContent": answer or {"answer": self.name}})


def start(a2i, flow_arn: str, name: str, content: dict | None = None) -> str:
    a2i.start_human_loop(HumanLoopName=name, FlowDefinitionArn=flow_arn,
                         HumanLoopInput={"InputContent": json.dumps(content or {"text": name})})
    return name


def team_and_flow(sm, groups=("reviewers",), **flow_kw) -> tuple[str, str, str]:
    """A fresh team whose members are ``groups`` and a flow on it: (team name, flow name, flow arn)."""
    team, team_arn = R.create_team(sm, groups=groups)
    flow, flow_arn = R.create_flow(sm, team_arn=team_arn, **flow_kw)
    return team, flow, flow_arn


def routed(service: Service, name: str) -> bool:
    return (service.ctx.store.loops.get(name, ("routed",)) or {}).get("routed") == "1"


def scrape(service: Service) -> dict[tuple[str, tuple], float]:
    """Every sample of GET /metrics keyed by (sample name, sorted labels)."""
    resp = requests.get(f"{service.url}/metrics", timeout=10)
    assert resp.status_code == 200
    out = {}
    for family in text_string_to_metric_families(resp.text):
        for s in family.samples:
            out[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return out


def queue_depth(service: Service, team: str) -> float:
    return scrape(service)[("hitl_queue_depth", (("workteam", team),))]


def output_document(service: Service, uri: str) -> dict:
    assert uri.startswith("s3://")
    bucket, _, key = uri[len("s3://"):].partition("/")
    return json.loads(Path(service.settings.data_dir, "s3", bucket, key).read_bytes())


def parse_iso(value: str) -> datetime:
    return datetime.strptime(value, "%Y-%m-%dT%H:%M:%S.%fZ")


def assert_lease_not_held(resp: requests.Response, *words: str) -> dict:
    assert resp.status_code == 409, resp.text
    body = resp.json()
    assert body["__type"] == "LeaseNotHeld"
    assert "lease" in body["Message"].lower()
    for w in words:
        assert w.lower() in body["Message"].lower(), body["Message"]
    return body


def describe(a2i, name: str) -> dict:
    return a2i.describe_human_loop(HumanLoopName=name)


# ---- fixtures ----------------------------------------------------------------------------------


@pytest.fixture
def lease_service(redis_server, tmp_path, worker_factory):
    """make(seconds): a service (on a flushed Redis) whose leases last ``seconds`` without a
    heartbeat, with a worker (and beat) for it."""
    made: list[Service] = []

    def make(seconds: int) -> Service:
        redis_server.flush()
        svc = Service(make_settings(redis_server.url, str(tmp_path), lease_heartbeat_seconds=seconds))
        made.append(svc)
        worker_factory(svc.settings, beat=True)
        return svc

    yield make
    for svc in made:
        svc.stop()


@pytest.fixture
def short_lease(lease_service):
    """Leases that last 1 s without a heartbeat."""
    return lease_service(1)


# ---- throughput and exclusivity ----------------------------------------------------------------


@pytest.mark.timeout(900)  # about a minute on an idle 2-CPU machine; a loaded one needs more
def test_twenty_reviewers_work_a_thousand_loops_with_task_count_three(service, sm, worker_factory):
    loops, task_count, n_reviewers = 1000, 3, 20
    worker_factory(service.settings, beat=True, concurrency=8)
    team, flow, flow_arn = team_and_flow(sm, groups=("bulk",), task_count=task_count)
    with concurrent.futures.ThreadPoolExecutor(4) as pool:  # argon2 hashing is memory-hard: a few at a time
        reviewers = list(pool.map(lambda i: Reviewer(service, groups=("bulk",), name=f"bulk-rev-{i}"),
                                  range(n_reviewers)))
    names = [f"bulk-{i:04d}" for i in range(loops)]
    store = service.ctx.store
    started_all = threading.Event()
    lock = threading.Lock()
    claims: list[tuple[str, str, str, float]] = []  # (loop, worker, token, claimed at)
    submits: dict[str, float] = {}  # token -> submitted at
    failures: list[str] = []
    empty = [0]

    def starter(chunk: list[str]) -> None:
        a2i = service.client("sagemaker-a2i-runtime")
        for name in chunk:
            start(a2i, flow_arn, name, {"n": name})

    def work(rev: Reviewer) -> None:
        idle = 0.02
        try:
            while True:
                a = rev.claim()
                if a is None:
                    drained = (started_all.is_set() and store.stats.read().route_backlog == 0
                               and int(store.client.hget(keys.team_stats(team), "queued") or 0) == 0)
                    if drained:
                        return
                    with lock:
                        empty[0] += 1
                    time.sleep(idle)  # nothing routed yet: back off instead of hammering the server
                    idle = min(idle * 2, 0.5)
                    continue
                idle = 0.02
                with lock:
                    claims.append((a["humanLoopName"], rev.worker_id, a["token"], time.monotonic()))
                resp = rev.submit(a["token"], {"answer": rev.worker_id, "loop": a["humanLoopName"]})
                with lock:
                    if resp.status_code != 200:
                        failures.append(resp.text)
                    submits[a["token"]] = time.monotonic()
        except Exception as exc:  # noqa: BLE001 - reported by the assertion below
            with lock:
                failures.append(repr(exc))

    began = time.monotonic()
    workers = [threading.Thread(target=work, args=(r,)) for r in reviewers]
    for t in workers:
        t.start()
    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        list(pool.map(starter, [names[i::8] for i in range(8)]))
    started_all.set()
    started_in = time.monotonic() - began
    for t in workers:
        t.join(600)
        assert not t.is_alive(), "reviewer thread did not finish"
    worked_in = time.monotonic() - began
    wait_until(lambda: store.stats.read().loops.get("Completed", 0) == loops, timeout=300, interval=0.2,
               message="every loop Completed")
    elapsed = time.monotonic() - began
    print(f"\n{loops} loops x TaskCount {task_count}, {n_reviewers} reviewers: all started after {started_in:.1f}s, "
          f"all answered after {worked_in:.1f}s, all Completed after {elapsed:.1f}s ({empty[0]} empty claims)")

    assert failures == []
    # exactly TaskCount claims per loop, by distinct reviewers, every one submitted
    assert len(claims) == loops * task_count
    assert len({c[2] for c in claims}) == len(claims), "a lease token was handed out twice"
    by_loop: dict[str, list[tuple]] = defaultdict(list)
    for c in claims:
        by_loop[c[0]].append(c)
    assert sorted(by_loop) == names
    for name, cs in by_loop.items():
        assert len({c[1] for c in cs}) == task_count, f"{name} went to the same reviewer twice"
        # at no moment did more reviewers hold the loop than it has assignments
        events = sorted([(c[3], 1) for c in cs] + [(submits[c[2]], -1) for c in cs])
        held = max(itertools.accumulate(e[1] for e in events))
        assert held <= task_count
    assert set(submits) == {c[2] for c in claims}
    # nothing left behind in Redis
    assert store.stats.read().leases == 0
    assert int(store.client.hget(keys.team_stats(team), "queued") or 0) == 0
    assert store.client.zcard(keys.queue(team)) == 0
    assert store.stats.read().loops.get("InProgress", 0) == 0
    # every loop Completed (a sample through boto3, all through Redis), with an output.json holding
    # TaskCount answers from TaskCount different reviewers: the ones that claimed it
    a2i = service.client("sagemaker-a2i-runtime")
    for name in names[::10]:
        d = describe(a2i, name)
        assert d["HumanLoopStatus"] == "Completed", d
        assert d["HumanLoopOutput"]["OutputS3Uri"] == store.loops.get(name, ("output_uri",))["output_uri"]
    records = store.loops.get_many_in(team, names, ("name", "status", "answers", "output_uri"))
    for name, rec in zip(names, records):
        assert rec["status"] == "Completed" and rec["answers"] == str(task_count), rec
        doc = output_document(service, rec["output_uri"])
        assert doc["humanLoopName"] == name and doc["inputContent"] == {"n": name}
        workers_of = [a["workerId"] for a in doc["humanAnswers"]]
        assert len(set(workers_of)) == len(workers_of) == task_count
        assert sorted(workers_of) == sorted(c[1] for c in by_loop[name])
        assert all(a["answerContent"] == {"answer": a["workerId"], "loop": name} for a in doc["humanAnswers"])
        assert [a["workerId"] for a in store.loops.answers(name)] == workers_of
    work_shares = Counter(c[1] for c in claims)
    assert len(work_shares) == n_reviewers  # everybody got work
    m = scrape(service)
    assert m[("hitl_claims_total", ())] == loops * task_count
    assert m[("hitl_submits_total", ())] == loops * task_count
    assert m[("hitl_loops", (("status", "Completed"),))] == loops
    assert m[("hitl_queue_depth", (("workteam", team),))] == 0


def test_a_reviewer_far_ahead_of_the_queue_head_keeps_getting_work(service, sm, a2i, worker):
    """A fast reviewer's loops stay queued until others take their other assignments; the loops
    behind them must still reach the fast reviewer, however many they are."""
    from hitl_service.services.review import MAX_SCAN

    team, _, flow_arn = team_and_flow(sm, task_count=2)
    names = [f"ahead-{i:04d}" for i in range(MAX_SCAN + 40)]

    def starter(chunk: list[str]) -> None:
        client = service.client("sagemaker-a2i-runtime")
        for name in chunk:
            start(client, flow_arn, name)

    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        list(pool.map(starter, [names[i::4] for i in range(4)]))
    store = service.ctx.store
    wait_until(lambda: int(store.client.hget(keys.team_stats(team), "queued") or 0) == 2 * len(names), timeout=60,
               message="every loop routed")
    fast, slow, other = Reviewer(service), Reviewer(service), Reviewer(service)
    # slow and other take both assignments of the oldest loop, so it leaves the queue for now
    oldest = slow.claim()
    second = other.claim()
    assert second["humanLoopName"] == oldest["humanLoopName"]
    order = []
    for _ in names[1:]:
        a = fast.claim()
        assert a is not None, f"no work for the fast reviewer after {len(order)} loops"
        order.append(a["humanLoopName"])
        assert fast.submit(a["token"]).status_code == 200
    assert sorted(order + [oldest["humanLoopName"]]) == names
    created = [int(store.loops.get(n, ("created_ms",))["created_ms"]) for n in order]
    assert created == sorted(created)  # oldest first
    assert fast.claim() is None  # what is left are the loops the fast reviewer answered
    assert queue_depth(service, team) == len(names) - 1
    # the oldest loop comes back to the head of the queue: the fast reviewer, far ahead, gets it
    assert other.release(second["token"]).status_code == 200
    assert fast.claim()["humanLoopName"] == oldest["humanLoopName"]
    # a newcomer starts from the head of the queue
    assert Reviewer(service).claim()["humanLoopName"] == order[0]


# ---- leases ------------------------------------------------------------------------------------


def test_lease_without_heartbeat_goes_to_another_reviewer_and_late_submit_is_refused(lease_service):
    # 3 s, not 1 s: bob must still hold his own lease after alice's two refused calls on a loaded machine
    svc = lease_service(3)
    sm, a2i = svc.client("sagemaker"), svc.client("sagemaker-a2i-runtime")
    _, _, flow_arn = team_and_flow(sm, task_count=1)
    name = start(a2i, flow_arn, "lapsed")
    alice, bob = Reviewer(svc), Reviewer(svc)
    first = alice.claim_wait(name)
    assert parse_iso(first["expiresAt"]) > parse_iso(first["acceptedAt"])
    # alice stops heart-beating: once the lease ends bob gets the assignment
    second = bob.claim_wait(name)
    assert second["token"] != first["token"]
    late = assert_lease_not_held(alice.submit(first["token"], {"answer": "late"}))
    assert "expired" in late["Message"]
    assert_lease_not_held(alice.heartbeat(first["token"]))
    assert bob.submit(second["token"], {"answer": "bob"}).status_code == 200
    wait_until(lambda: describe(a2i, name)["HumanLoopStatus"] == "Completed", message="loop Completed")
    answers = svc.ctx.store.loops.answers(name)
    assert [a["workerId"] for a in answers] == [bob.worker_id]
    assert svc.ctx.store.stats.read().counters["lease_expiries"] >= 1


def test_heartbeats_keep_the_lease(lease_service):
    svc = lease_service(2)
    sm, a2i = svc.client("sagemaker"), svc.client("sagemaker-a2i-runtime")
    _, _, flow_arn = team_and_flow(sm, task_count=1)
    name = start(a2i, flow_arn, "kept-alive")
    alice, bob = Reviewer(svc), Reviewer(svc)
    a = alice.claim_wait(name)
    expires = [parse_iso(a["expiresAt"])]
    until = time.monotonic() + 5  # two and a half lease windows
    while time.monotonic() < until:
        resp = alice.heartbeat(a["token"])
        assert resp.status_code == 200, resp.text
        expires.append(parse_iso(resp.json()["expiresAt"]))
        assert bob.claim() is None
        time.sleep(0.2)
    assert expires == sorted(expires) and expires[-1] > expires[0]
    assert alice.submit(a["token"]).status_code == 200
    wait_until(lambda: describe(a2i, name)["HumanLoopStatus"] == "Completed", message="loop Completed")


def test_heartbeat_never_extends_past_the_task_time_limit(lease_service, redis_server, tmp_path):
    svc = lease_service(2)
    sm, a2i = svc.client("sagemaker"), svc.client("sagemaker-a2i-runtime")
    _, _, flow_arn = team_and_flow(sm, task_count=1, time_limit=30)
    name = start(a2i, flow_arn, "capped")
    alice = Reviewer(svc)
    a = alice.claim_wait(name)
    accepted, deadline = parse_iso(a["acceptedAt"]), parse_iso(a["deadlineAt"])
    assert (deadline - accepted).total_seconds() == 30
    assert (parse_iso(a["expiresAt"]) - accepted).total_seconds() == 2  # the heartbeat window
    hb = alice.heartbeat(a["token"]).json()
    assert parse_iso(hb["deadlineAt"]) == deadline
    assert parse_iso(a["expiresAt"]) <= parse_iso(hb["expiresAt"]) <= deadline
    assert alice.submit(a["token"]).status_code == 200

    # a heartbeat window longer than the time limit: the lease ends at the deadline and stays there
    wide = Service(make_settings(redis_server.url, str(tmp_path), lease_heartbeat_seconds=3600))
    try:
        b = Reviewer(wide)
        start(a2i, flow_arn, "capped-2")
        assignment = b.claim_wait("capped-2")
        assert assignment["expiresAt"] == assignment["deadlineAt"]
        assert (parse_iso(assignment["deadlineAt"]) - parse_iso(assignment["acceptedAt"])).total_seconds() == 30
        for _ in range(3):
            resp = requests.post(f"{wide.url}/review/api/assignments/{assignment['token']}/heartbeat",
                                 auth=(b.name, PASSWORD), timeout=10)
            assert resp.status_code == 200, resp.text
            assert resp.json() == {"expiresAt": assignment["deadlineAt"], "deadlineAt": assignment["deadlineAt"]}
        lease = svc.ctx.store.queues.get_lease(assignment["token"])
        assert lease.expires_ms == lease.deadline_ms == lease.accepted_ms + 30_000
    finally:
        wide.stop()


def test_release_hands_the_assignment_back_at_once_and_to_others_first(service, sm, a2i, worker):
    svc = service
    team, _, flow_arn = team_and_flow(sm, task_count=1)
    name = start(a2i, flow_arn, "handed-back")
    alice, bob = Reviewer(svc), Reviewer(svc)
    a = alice.claim_wait(name)
    assert queue_depth(svc, team) == 0
    assert alice.release(a["token"]).json() == {"released": True}
    assert queue_depth(svc, team) == 1
    b = bob.claim()  # no waiting: it is back on the queue right away, and bob is not the releaser
    assert b is not None and b["humanLoopName"] == name
    assert_lease_not_held(alice.release(a["token"]))
    assert_lease_not_held(alice.submit(a["token"]))
    assert bob.submit(b["token"]).status_code == 200
    wait_until(lambda: describe(a2i, name)["HumanLoopStatus"] == "Completed", message="loop Completed")
    assert [x["workerId"] for x in svc.ctx.store.loops.answers(name)] == [bob.worker_id]
    assert scrape(svc)[("hitl_releases_total", ())] == 1


def test_a_lease_on_a_deleted_loop_never_touches_a_new_loop_with_the_same_name(lease_service):
    svc = lease_service(3)
    sm, a2i = svc.client("sagemaker"), svc.client("sagemaker-a2i-runtime")
    team, team_arn = R.create_team(sm)
    _, short_flow = R.create_flow(sm, team_arn=team_arn, task_count=1, lifetime=2)
    _, long_flow = R.create_flow(sm, team_arn=team_arn, task_count=1)
    alice, bob = Reviewer(svc), Reviewer(svc)
    start(a2i, short_flow, "reused")
    old = alice.claim_wait("reused")
    # alice keeps her lease alive while the loop expires under her, then it is deleted and restarted
    while describe(a2i, "reused")["HumanLoopStatus"] != "Failed":
        alice.heartbeat(old["token"])
        time.sleep(0.2)
    a2i.delete_human_loop(HumanLoopName="reused")
    start(a2i, long_flow, "reused", {"text": "second life"})
    wait_until(lambda: routed(svc, "reused"), message="new loop routed")
    assert_lease_not_held(alice.heartbeat(old["token"]), "deleted")
    resp = alice.get(f"/assignments/{old['token']}")
    assert resp.status_code == 409 and "second life" not in resp.text
    assert alice.get("/assignments").json() == {"assignments": []}
    # her old lease runs out: nothing goes back to the new loop's queue
    wait_until(lambda: svc.ctx.store.queues.get_lease(old["token"]) is None, message="old lease reaped")
    loop = svc.ctx.store.loops.get("reused", ("queued", "leases", "answers"))
    assert {k: loop[k] for k in ("queued", "leases", "answers")} == {"queued": "1", "leases": "0", "answers": "0"}
    assert queue_depth(svc, team) == 1
    assert_lease_not_held(alice.submit(old["token"]))
    new = bob.claim()
    assert new["humanLoopName"] == "reused" and bob.claim() is None
    assert bob.submit(new["token"], {"answer": "bob"}).status_code == 200
    wait_until(lambda: describe(a2i, "reused")["HumanLoopStatus"] == "Completed", message="new loop Completed")
    assert [a["workerId"] for a in svc.ctx.store.loops.answers("reused")] == [bob.worker_id]


# ---- loop lifecycle with work out ---------------------------------------------------------------


def test_expired_loop_fails_withdraws_queued_work_and_keeps_answers(service, sm, a2i, worker):
    team, _, flow_arn = team_and_flow(sm, task_count=2, lifetime=2)
    alice, bob, carol = Reviewer(service), Reviewer(service), Reviewer(service)
    answered = start(a2i, flow_arn, "expires-with-answer")
    untouched = start(a2i, flow_arn, "expires-untouched")
    a = alice.claim_wait(answered)
    held = bob.claim()  # bob holds the second assignment when the loop expires
    assert held["humanLoopName"] == answered
    assert alice.submit(a["token"], {"answer": "only one"}).status_code == 200
    for name in (answered, untouched):
        wait_until(lambda: describe(a2i, name)["HumanLoopStatus"] == "Failed", timeout=20,
                   message=f"{name} Failed")
    d = describe(a2i, answered)
    assert d["FailureCode"] == "Expired" and "TaskAvailabilityLifetimeInSeconds" in d["FailureReason"]
    doc = output_document(service, d["HumanLoopOutput"]["OutputS3Uri"])
    assert [x["workerId"] for x in doc["humanAnswers"]] == [alice.worker_id]
    assert doc["humanAnswers"][0]["answerContent"] == {"answer": "only one"}
    d2 = describe(a2i, untouched)
    assert d2["FailureCode"] == "Expired" and "HumanLoopOutput" not in d2
    assert queue_depth(service, team) == 0
    assert service.ctx.store.client.zcard(keys.queue(team)) == 0
    assert carol.claim() is None
    assert_lease_not_held(bob.submit(held["token"]), "Failed")
    assert len(service.ctx.store.loops.answers(answered)) == 1


def test_stop_without_a_lease_out_is_immediate(service, sm, a2i, worker):
    team, _, flow_arn = team_and_flow(sm, task_count=2)
    name = start(a2i, flow_arn, "stop-now")
    wait_until(lambda: routed(service, name), message="loop routed")
    assert queue_depth(service, team) == 2
    a2i.stop_human_loop(HumanLoopName=name)
    assert describe(a2i, name)["HumanLoopStatus"] == "Stopped"
    assert queue_depth(service, team) == 0
    assert Reviewer(service).claim() is None
    assert "HumanLoopOutput" not in describe(a2i, name)


def test_stop_with_a_lease_out_waits_for_the_holder(service, sm, a2i, worker):
    team, _, flow_arn = team_and_flow(sm, task_count=3)
    name = start(a2i, flow_arn, "stop-later")
    alice, bob = Reviewer(service), Reviewer(service)
    a = alice.claim_wait(name)
    assert queue_depth(service, team) == 2
    a2i.stop_human_loop(HumanLoopName=name)
    assert describe(a2i, name)["HumanLoopStatus"] == "Stopping"
    assert queue_depth(service, team) == 0
    assert bob.claim() is None  # the stopped loop's queued assignments are gone
    a2i.stop_human_loop(HumanLoopName=name)  # stopping twice is fine
    assert alice.heartbeat(a["token"]).status_code == 200
    assert alice.submit(a["token"], {"answer": "in time"}).status_code == 200
    wait_until(lambda: describe(a2i, name)["HumanLoopStatus"] == "Stopped", message="loop Stopped")
    d = describe(a2i, name)
    doc = output_document(service, d["HumanLoopOutput"]["OutputS3Uri"])
    assert [x["answerContent"] for x in doc["humanAnswers"]] == [{"answer": "in time"}]


def test_stop_of_a_single_assignment_loop_ends_stopped_not_completed(service, sm, a2i, worker):
    _, _, flow_arn = team_and_flow(sm, task_count=1)
    name = start(a2i, flow_arn, "stop-single")
    alice = Reviewer(service)
    a = alice.claim_wait(name)
    a2i.stop_human_loop(HumanLoopName=name)
    assert describe(a2i, name)["HumanLoopStatus"] == "Stopping"
    assert alice.submit(a["token"]).status_code == 200
    wait_until(lambda: describe(a2i, name)["HumanLoopStatus"] == "Stopped", message="loop Stopped")
    assert "OutputS3Uri" in describe(a2i, name)["HumanLoopOutput"]


def test_stopping_loop_whose_lease_lapses_becomes_stopped(short_lease):
    svc = short_lease
    sm, a2i = svc.client("sagemaker"), svc.client("sagemaker-a2i-runtime")
    team, _, flow_arn = team_and_flow(sm, task_count=2)
    name = start(a2i, flow_arn, "stop-lapsed")
    alice, bob = Reviewer(svc), Reviewer(svc)
    a = alice.claim_wait(name)
    a2i.stop_human_loop(HumanLoopName=name)
    assert describe(a2i, name)["HumanLoopStatus"] == "Stopping"
    # alice walks away: the reaper ends her lease and nothing goes back to the queue
    wait_until(lambda: describe(a2i, name)["HumanLoopStatus"] == "Stopped", message="loop Stopped")
    assert bob.claim() is None and queue_depth(svc, team) == 0
    assert_lease_not_held(alice.submit(a["token"]))
    assert "HumanLoopOutput" not in describe(a2i, name)


def test_delete_flow_definition_stops_its_loops_then_removes_it(service, sm, a2i, worker):
    team, flow, flow_arn = team_and_flow(sm, task_count=2)
    names = [start(a2i, flow_arn, f"doomed-{i}") for i in range(5)]
    alice, bob = Reviewer(service), Reviewer(service)
    held = alice.claim_wait()
    for name in names:
        wait_until(lambda: routed(service, name), message=f"{name} routed")
    sm.delete_flow_definition(FlowDefinitionName=flow)
    with pytest.raises(a2i.exceptions.ValidationException):
        start(a2i, flow_arn, "too-late")

    def statuses() -> dict[str, str]:
        return {n: describe(a2i, n)["HumanLoopStatus"] for n in names}

    wait_until(lambda: "InProgress" not in statuses().values(), message="every loop stopping or stopped")
    now = statuses()
    assert now.pop(held["humanLoopName"]) == "Stopping"  # alice still holds a lease
    assert set(now.values()) == {"Stopped"}
    assert queue_depth(service, team) == 0
    assert bob.claim() is None
    # a held task may finish, so the flow stays Deleting and its task UI stays in use meanwhile
    assert sm.describe_flow_definition(FlowDefinitionName=flow)["FlowDefinitionStatus"] == "Deleting"
    ui_name = sm.describe_flow_definition(FlowDefinitionName=flow)["HumanLoopConfig"]["HumanTaskUiArn"].rsplit("/", 1)[1]
    with pytest.raises(sm.exceptions.ResourceInUse):
        sm.delete_human_task_ui(HumanTaskUiName=ui_name)
    assert alice.submit(held["token"], {"answer": "last"}).status_code == 200
    wait_until(lambda: describe(a2i, held["humanLoopName"])["HumanLoopStatus"] == "Stopped",
               message="held loop Stopped")
    wait_until(lambda: _flow_gone(sm, flow), message="flow definition removed")
    d = describe(a2i, held["humanLoopName"])
    assert output_document(service, d["HumanLoopOutput"]["OutputS3Uri"])["humanAnswers"][0]["answerContent"] == \
        {"answer": "last"}
    with pytest.raises(sm.exceptions.ResourceNotFound):
        sm.describe_flow_definition(FlowDefinitionName=flow)
    # the name is free again
    R.create_flow(sm, name=flow)


def test_delete_flow_definition_survives_a_lost_retire_message(service, sm, a2i, worker_factory):
    team, flow, flow_arn = team_and_flow(sm, task_count=1)
    names = [start(a2i, flow_arn, f"orphan-{i}") for i in range(3)]
    sm.delete_flow_definition(FlowDefinitionName=flow)  # no worker runs yet
    broker = redis.Redis.from_url(service.settings.broker_url)
    assert broker.delete("hitl") == 1  # the broker lost the route and retire messages
    broker.close()
    worker_factory(service.settings, beat=True)
    wait_until(lambda: _flow_gone(sm, flow), message="flow definition removed by the outbox sweep")
    assert {describe(a2i, n)["HumanLoopStatus"] for n in names} == {"Stopped"}
    assert service.ctx.store.client.zcard(keys.outbox_retire(team)) == 0


def _flow_gone(sm, flow: str) -> bool:
    try:
        sm.describe_flow_definition(FlowDefinitionName=flow)
    except sm.exceptions.ResourceNotFound:
        return True
    return False


# ---- who sees what -----------------------------------------------------------------------------


def test_reviewer_outside_the_team_never_receives_its_assignments(service, sm, a2i, worker):
    team, _, flow_arn = team_and_flow(sm, groups=("insiders",), task_count=2)
    other_team, _, other_flow = team_and_flow(sm, groups=("outsiders",), task_count=1)
    name = start(a2i, flow_arn, "private-work")
    wait_until(lambda: routed(service, name), message="loop routed")
    insider, outsider = Reviewer(service, groups=("insiders",)), Reviewer(service, groups=("outsiders",))
    assert outsider.claim() is None
    resp = outsider.post("/assignments/claim", {"workteam": team})
    assert resp.status_code == 404 and team in resp.json()["Message"]
    teams = [q["workteam"] for q in outsider.get("/queues").json()["queues"]]
    assert team not in teams and other_team in teams
    assert outsider.get("/me").json()["workteams"] == [other_team]

    a = insider.claim_wait(name)
    token = a["token"]
    resp = outsider.get(f"/assignments/{token}")
    assert resp.status_code == 409 and resp.json()["__type"] == "LeaseNotHeld"
    assert "private-work" not in resp.text and "input" not in resp.json()
    for action in ("heartbeat", "release", "submit"):
        assert_lease_not_held(outsider.post(f"/assignments/{token}/{action}", {"answerContent": {"x": 1}}))
    assert outsider.get("/assignments").json() == {"assignments": []}
    assert outsider.claim() is None  # the second assignment is still waiting, but not for the outsider
    assert queue_depth(service, team) == 1
    # the insider still holds it; the outsider's attempts changed nothing
    mine = insider.get(f"/assignments/{token}").json()
    assert mine["humanLoopName"] == name and mine["input"] == {"text": name}
    assert [x["token"] for x in insider.get("/assignments").json()["assignments"]] == [token]
    assert insider.submit(token).status_code == 200
    # and the outsider's own team's work does come to them
    own = start(a2i, other_flow, "outsider-work")
    assert outsider.claim_wait(own)["workteam"] == other_team


def test_review_api_requires_sign_in_and_csrf(service, sm, a2i, worker):
    _, _, flow_arn = team_and_flow(sm, task_count=1)
    name = start(a2i, flow_arn, "auth-checks")
    wait_until(lambda: routed(service, name), message="loop routed")
    base = f"{service.url}/review/api"
    assert requests.post(f"{base}/assignments/claim", json={}, timeout=10).status_code == 401
    rev = Reviewer(service)
    no_csrf = requests.Session()
    no_csrf.cookies.update(rev.http.cookies)
    resp = no_csrf.post(f"{base}/assignments/claim", json={}, timeout=10)
    assert resp.status_code == 403 and resp.json()["__type"] == "Forbidden"
    bad = requests.post(f"{base}/login", json={"username": rev.name, "password": "wrong-password"}, timeout=10)
    assert bad.status_code == 401
    # HTTP Basic needs no CSRF token
    resp = requests.post(f"{base}/assignments/claim", json={}, auth=(rev.name, PASSWORD), timeout=10)
    assert resp.status_code == 200 and resp.json()["assignment"]["humanLoopName"] == name


# ---- metrics -----------------------------------------------------------------------------------


def test_metrics_counters_move(lease_service):
    svc = lease_service(2)
    sm, a2i = svc.client("sagemaker"), svc.client("sagemaker-a2i-runtime")
    team, _, flow_arn = team_and_flow(sm, task_count=1)
    before = scrape(svc)
    assert before[("hitl_claims_total", ())] == 0
    assert before[("hitl_claim_latency_seconds_count", ())] == 0
    names = [start(a2i, flow_arn, f"metered-{i}") for i in range(3)]
    for n in names:
        wait_until(lambda: routed(svc, n), message=f"{n} routed")
    assert queue_depth(svc, team) == 3
    alice, bob = Reviewer(svc), Reviewer(svc)
    a = alice.claim()
    assert alice.submit(a["token"]).status_code == 200
    lapsed = bob.claim()  # never heart-beaten
    wait_until(lambda: scrape(svc)[("hitl_lease_expiries_total", ())] >= 1, message="lease expiry counted")
    assert_lease_not_held(bob.submit(lapsed["token"]))
    m = scrape(svc)
    assert m[("hitl_claims_total", ())] == 2
    assert m[("hitl_submits_total", ())] == 1
    assert m[("hitl_lease_expiries_total", ())] == 1
    assert m[("hitl_claim_latency_seconds_count", ())] >= 2
    assert m[("hitl_claim_latency_seconds_bucket", (("le", "+Inf"),))] == m[("hitl_claim_latency_seconds_count", ())]
    assert m[("hitl_claim_latency_seconds_sum", ())] > 0
    assert m[("hitl_queue_depth", (("workteam", team),))] == 2
    assert m[("hitl_leases_out", ())] == 0
    wait_until(lambda: scrape(svc)[("hitl_loops", (("status", "Completed"),))] == 1, message="Completed counted")
