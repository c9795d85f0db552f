"""Adaptive overlap in the store: submit_answer / decide_item.lua for loops, job_submit / job_decide.lua
for labeling jobs, against real redis-servers, including reviewers and deciders racing in threads."""

from __future__ import annotations

import collections
import json
import threading
import time

import pytest

from hitl_service.domain.states import ClaimOutcome, CloseOutcome, DecideOutcome, LeaseOutcome, StopOutcome
from hitl_service.store import keys
from hitl_service.store.client import connect
from hitl_service.store.facade import Store
from hitl_service.store.jobs import OverlapVerdict
from tests.store.conftest import make_flow
from tests.store.test_queues import WINDOW, claim, start


def answer(store, worker, now):
    """One reviewer claims the next assignment and answers it; the submit's close outcome."""
    got = claim(store, worker, now)
    assert got.outcome is ClaimOutcome.CLAIMED
    done = store.queues.submit(got.lease.lease_id, worker, now=now + 1, answer_json=json.dumps({"w": worker}))
    assert done.outcome is LeaseOutcome.OK
    return got.lease.name, (done.closed.outcome if done.closed else CloseOutcome.NONE)


def item(store, name):
    return store.client.hgetall(keys.loop("t", name))


def test_a_loop_asks_its_first_reviewers_then_one_more_per_verdict_up_to_task_count(store):
    make_flow(store, task_count=3, initial_workers=2, target_confidence="0.9")
    start(store, "l", 10)
    assert item(store, "l")["queued"] == "2" and item(store, "l")["required"] == "2"
    assert answer(store, "a", 100) == ("l", CloseOutcome.NONE)
    assert answer(store, "b", 110) == ("l", CloseOutcome.DECIDE)
    # deciding: nothing is queued or leased, so no third answer can arrive before the verdict
    assert claim(store, "c", 120).outcome is ClaimOutcome.EMPTY
    assert item(store, "l")["deciding"] == "2" and item(store, "l")["target"] == ""
    assert store.client.zscore(keys.outbox_finalize("t"), keys.loop_member("l")) is not None
    assert store.loops.decide("t", "l", answers=2, verdict="more", now=130) is DecideOutcome.MORE
    assert store.loops.decide("t", "l", answers=2, verdict="more", now=131) is DecideOutcome.STALE  # a repeated task
    assert item(store, "l")["required"] == "3" and item(store, "l")["queued"] == "1"
    assert store.client.zscore(keys.outbox_finalize("t"), keys.loop_member("l")) is None
    assert claim(store, "a", 140).outcome is ClaimOutcome.EMPTY      # one more *distinct* reviewer
    # the third answer is the maximum: the loop completes without asking the worker
    assert answer(store, "c", 150) == ("l", CloseOutcome.FINALIZE)
    assert item(store, "l")["target"] == "Completed" and item(store, "l")["answers"] == "3"


def test_a_confident_verdict_completes_the_loop_at_its_first_reviewers(store):
    make_flow(store, task_count=3, initial_workers=1, target_confidence="0.5")
    start(store, "l", 10)
    assert answer(store, "a", 100) == ("l", CloseOutcome.DECIDE)
    assert store.loops.decide("t", "l", answers=1, verdict="done", now=110) is DecideOutcome.FINALIZE
    assert item(store, "l")["target"] == "Completed" and item(store, "l")["answers"] == "1"
    assert claim(store, "b", 120).outcome is ClaimOutcome.EMPTY
    assert store.loops.decide("t", "l", answers=1, verdict="more", now=111) is DecideOutcome.CLOSED


def test_a_stop_or_the_lifetime_end_while_deciding_wins_over_a_late_verdict(store):
    make_flow(store, task_count=3, initial_workers=1, target_confidence="0.5", lifetime=1)
    start(store, "stopped", 10)
    start(store, "expired", 20)
    assert answer(store, "a", 100)[1] is CloseOutcome.DECIDE
    assert answer(store, "a", 101)[1] is CloseOutcome.DECIDE
    assert store.loops.stop("stopped", 200).outcome is StopOutcome.FINALIZE
    assert store.loops.decide("t", "stopped", answers=1, verdict="more", now=210) is DecideOutcome.CLOSED
    assert store.loops.expire_due("t", 5000, 10, "expired") == {keys.loop_member("expired"): CloseOutcome.FINALIZE}
    assert store.loops.decide("t", "expired", answers=1, verdict="more", now=5010) is DecideOutcome.CLOSED
    assert item(store, "stopped")["target"] == "Stopped" and item(store, "expired")["target"] == "Failed"
    assert item(store, "stopped")["queued"] == "0" and item(store, "expired")["queued"] == "0"


def test_a_flow_without_the_tags_closes_at_task_count_as_before(store):
    make_flow(store, task_count=2)
    start(store, "l", 10)
    assert "required" not in item(store, "l")
    assert answer(store, "a", 100) == ("l", CloseOutcome.NONE)
    assert answer(store, "b", 110) == ("l", CloseOutcome.FINALIZE)


# ---- concurrency: reviewers and (duplicated) deciders in threads, one real redis-server ----------

@pytest.fixture
def plain_store(redis_server):
    redis_server.flush()
    client = connect(redis_server.url)
    yield Store(client)
    client.close()


def run_threads(targets, deadline_s=60):
    stop = threading.Event()
    errors = []

    def wrap(fn):
        def go():
            try:
                fn(stop)
            except Exception as exc:  # noqa: BLE001 - reported by the assertion below
                errors.append(exc)
                stop.set()
        return go

    threads = [threading.Thread(target=wrap(t)) for t in targets]
    for t in threads:
        t.start()
    return threads, stop, errors


def test_racing_reviewers_and_deciders_never_exceed_task_count_nor_finish_a_loop_early(plain_store):
    store = plain_store
    loops = [f"l{i}" for i in range(12)]
    make_flow(store, task_count=3, initial_workers=1, target_confidence="0.99")
    for i, name in enumerate(loops):
        start(store, name, 10 + i)
    more = collections.Counter()
    lock = threading.Lock()

    def reviewer(worker):
        def go(stop):
            while not stop.is_set():
                got = claim(store, worker, int(time.time() * 1000))
                if got.outcome is not ClaimOutcome.CLAIMED:
                    time.sleep(0.002)
                    continue
                store.queues.submit(got.lease.lease_id, worker, now=int(time.time() * 1000),
                                    answer_json=json.dumps({"w": worker}))
        return go

    def decider(stop):
        # two of these race on the same loops, as a duplicated task would: every verdict is "more"
        while not stop.is_set():
            for name in loops:
                deciding = store.client.hget(keys.loop("t", name), "deciding")
                if deciding:
                    outcome = store.loops.decide("t", name, answers=int(deciding), verdict="more",
                                                 now=int(time.time() * 1000))
                    if outcome is DecideOutcome.MORE:
                        with lock:
                            more[(name, int(deciding))] += 1

    threads, stop, errors = run_threads([reviewer(f"w{i}") for i in range(8)] + [decider, decider])
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not all(item(store, n).get("target") for n in loops):
        time.sleep(0.02)
    stop.set()
    for t in threads:
        t.join()
    assert not errors
    for name in loops:
        record = item(store, name)
        answers = store.loops.answers(name, "t")
        assert record["target"] == "Completed" and record["answers"] == "3" and len(answers) == 3
        assert len({a["w"] for a in answers}) == 3                      # three distinct reviewers
        assert record["queued"] == "0" and record["leases"] == "0"
        assert more[(name, 1)] == 1 and more[(name, 2)] == 1          # each raise applied exactly once
    assert store.client.hget(keys.team_stats("t"), "queued") == "0"


JOB = "adaptive"


def make_job(store, n_objects, *, workers=5, initial=2):
    fields = {"name": JOB, "status": "Initializing", "workers_per_object": workers, "initial_workers": initial,
              "target_confidence": "0.9", "time_limit": 60, "lifetime": 600, "max_concurrent": 1000,
              "total": 0, "out": 0, "released": 0, "seq": 0, "ingest_pos": 0, "ingest_done": 0,
              "human_labeled": 0, "failed": 0, "max_labeled": 0, "max_percent": 0}
    store.jobs.create(JOB, 1, fields)
    store.jobs.ingest(JOB, start=0, end=n_objects, now_ms=1, done=True, bad_lines=0, bad_text="",
                      objects=[(i, "{}", "", "h") for i in range(n_objects)])


def test_a_job_object_gets_more_reviewers_only_through_the_decide_script(store):
    make_job(store, 1, workers=3, initial=2)
    for w in ("a", "b"):
        c = store.jobs.claim(JOB, w, 10, f"lease-{w}", WINDOW)
        assert store.jobs.submit(JOB, f"lease-{w}", w, 11, {"workerId": w}).complete is (w == "b")
    assert store.jobs.claim(JOB, "c", 12, "lease-c", WINDOW) is None          # deciding: nothing queued
    [taken] = store.jobs.take_answered(JOB, 20, 1000, 10)
    assert store.jobs.decide(JOB, 21, [OverlapVerdict(c.object_id, 2, True)]) == {0}
    assert store.jobs.decide(JOB, 22, [OverlapVerdict(c.object_id, 2, True)]) == {0}     # repeated: no-op
    assert store.client.hget(keys.job_part(JOB, "left"), "0") == "1"
    assert store.client.hget(keys.job_part(JOB, "need"), "0") == "3"
    # its answers are kept for the next round, even if a stale batch tries to record it
    assert store.jobs.record_results(JOB, 23, {0: "{}"}) == (0, False)
    assert len(store.jobs.answers_of(JOB, 0)) == 2
    assert store.jobs.claim(JOB, "a", 30, "lease-a2", WINDOW) is None         # a reviewer answers once
    assert store.jobs.claim(JOB, "c", 31, "lease-c", WINDOW).object_id == 0
    assert store.jobs.submit(JOB, "lease-c", "c", 32, {"workerId": "c"}).complete
    [taken] = store.jobs.take_answered(JOB, 40, 1000, 10)
    assert len(taken.answers) == 3
    # at the maximum the object was retired by the submit: a "more" verdict cannot raise it further
    assert store.jobs.decide(JOB, 41, [OverlapVerdict(0, 3, True)]) == set()
    assert store.jobs.record_results(JOB, 42, {0: "{}"}) == (1, True)
    assert store.jobs.answers_used(JOB) == {3: 1}


def job_reviewer(store, worker, escalation=False):
    """A thread body: claim (from the escalation queue when ``escalation``) and answer until stopped."""
    def go(stop):
        seq = 0
        while not stop.is_set():
            seq += 1
            lease = f"{worker}-{seq}"
            got = store.jobs.claim(JOB, worker, int(time.time() * 1000), lease, 60_000, escalation=escalation)
            if got is None:
                time.sleep(0.002)
                continue
            store.jobs.submit(JOB, lease, worker, int(time.time() * 1000), {"workerId": worker})
    return go


def race_job(store, n_objects, reviewers, verdict_of, result_of):
    """Reviewer threads against two deciders (as a duplicated work task would race; the job lock
    normally keeps one) until every object is recorded; ``verdict_of(answers)`` is their verdict."""
    recorded = collections.Counter()
    lock = threading.Lock()

    def decider(stop):
        while not stop.is_set():
            taken = store.jobs.take_answered(JOB, int(time.time() * 1000), 0, 50)
            verdicts = [verdict_of(o.object_id, len(o.answers)) for o in taken]
            skip = store.jobs.decide(JOB, int(time.time() * 1000), verdicts)
            final = {o.object_id: json.dumps(result_of(o)) for o in taken if o.object_id not in skip}
            if final:
                done, _ = store.jobs.record_results(JOB, int(time.time() * 1000), final)
                with lock:
                    recorded["done"] += done

    threads, stop, errors = run_threads([*reviewers, decider, decider])
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and recorded["done"] < n_objects:
        time.sleep(0.02)
    stop.set()
    for t in threads:
        t.join()
    assert not errors


def test_racing_job_reviewers_and_deciders_never_exceed_the_maximum(plain_store):
    store = plain_store
    n_objects, maximum = 10, 4
    make_job(store, n_objects, workers=maximum, initial=1)
    # the deciders always ask for "more"
    race_job(store, n_objects, [job_reviewer(store, f"w{i}") for i in range(7)],
             lambda oid, n: OverlapVerdict(oid, n, True), lambda o: {"n": len(o.answers)})
    assert store.jobs.answers_used(JOB) == {maximum: n_objects}
    results = store.jobs.results(JOB, list(range(n_objects)))
    assert [json.loads(r)["n"] for r in results] == [maximum] * n_objects
    assert store.jobs.expire(JOB, int(time.time() * 1000), 0).finish


def deciding_job_object(store, *, lifetime=600):
    make_job(store, 1, workers=3, initial=1)
    store.client.hset(keys.job(JOB), "lifetime", lifetime)
    store.jobs.claim(JOB, "a", 10, "lease-a", WINDOW)
    assert store.jobs.submit(JOB, "lease-a", "a", 11, {"workerId": "a"}).complete


def test_a_job_object_whose_lifetime_ends_while_deciding_is_recorded_with_its_answers(store):
    deciding_job_object(store)
    # the lifetime counts from release (now=1); the verdict arrives after it ended
    assert store.jobs.expire(JOB, 700_000).to_consolidate == 1
    [taken] = store.jobs.take_answered(JOB, 700_001, 1000, 10)
    assert store.jobs.decide(JOB, 700_002, [OverlapVerdict(0, 1, True)]) == set()
    assert store.jobs.claim(JOB, "b", 700_003, "lease-b", WINDOW) is None
    assert store.jobs.record_results(JOB, 700_004, {0: "{}"}) == (1, True)
    assert store.jobs.answers_used(JOB) == {1: 1}


def test_a_job_stopped_while_an_object_is_deciding_records_it_without_more_reviewers(store):
    deciding_job_object(store)
    store.jobs.stop(JOB, 20)
    [taken] = store.jobs.take_answered(JOB, 21, 1000, 10)
    # the verdict comes before the expiry step retired it: still no more reviewers for a stopping job
    assert store.jobs.decide(JOB, 22, [OverlapVerdict(0, 1, True)]) == set()
    assert store.client.hget(keys.job_part(JOB, "left"), "0") is None
    assert store.jobs.record_results(JOB, 23, {0: "{}"}) == (1, True)


def test_an_escalated_job_object_waits_for_one_escalation_reviewer_only(store):
    make_job(store, 1, workers=2, initial=2)
    store.client.hset(keys.job(JOB), "escalation_team", "experts")
    for w in ("a", "b"):
        store.jobs.claim(JOB, w, 10, f"lease-{w}", WINDOW)
        assert store.jobs.submit(JOB, f"lease-{w}", w, 11, {"workerId": w}).complete is (w == "b")
    # at the maximum with an escalation team the object stays out for the decision
    [taken] = store.jobs.take_answered(JOB, 20, 1000, 10)
    escalate = OverlapVerdict(0, 2, False, escalate=True)
    assert store.jobs.decide(JOB, 21, [escalate]) == {0}
    assert store.jobs.decide(JOB, 22, [escalate]) == {0}          # repeated: no second assignment
    assert store.client.hget(keys.job_part(JOB, "left"), "0") == "1"
    assert store.client.hget(keys.job_part(JOB, "need"), "0") == "3"
    assert store.jobs.claim(JOB, "c", 30, "lease-c", WINDOW) is None                     # not the first team's
    assert store.jobs.claim(JOB, "x", 31, "lease-x", WINDOW, escalation=True).object_id == 0
    assert store.jobs.claim(JOB, "y", 32, "lease-y", WINDOW, escalation=True) is None    # one assignment
    store.jobs.lease(JOB, "lease-x", "x", 33, release=True)        # handed back to the escalation queue
    assert store.jobs.claim(JOB, "c", 34, "lease-c", WINDOW) is None
    assert store.jobs.claim(JOB, "y", 35, "lease-y", WINDOW, escalation=True).object_id == 0
    assert store.jobs.submit(JOB, "lease-y", "y", 36, {"workerId": "y"}).complete
    [taken] = store.jobs.take_answered(JOB, 40, 1000, 10)
    assert [a["workerId"] for a in taken.answers] == ["a", "b", "y"]
    assert store.jobs.decide(JOB, 41, [OverlapVerdict(0, 3, False)]) == set()
    assert store.jobs.record_results(JOB, 42, {0: "{}"}) == (1, True)
    assert store.jobs.answers_used(JOB) == {3: 1}


def test_a_done_verdict_at_the_maximum_records_the_object_without_escalating(store):
    make_job(store, 1, workers=2, initial=2)
    store.client.hset(keys.job(JOB), "escalation_team", "experts")
    for w in ("a", "b"):
        store.jobs.claim(JOB, w, 10, f"lease-{w}", WINDOW)
        store.jobs.submit(JOB, f"lease-{w}", w, 11, {"workerId": w})
    store.jobs.take_answered(JOB, 20, 1000, 10)
    assert store.jobs.decide(JOB, 21, [OverlapVerdict(0, 2, False)]) == set()
    assert store.jobs.claim(JOB, "x", 31, "lease-x", WINDOW, escalation=True) is None
    assert store.jobs.record_results(JOB, 42, {0: "{}"}) == (1, True)


def test_racing_first_and_escalation_reviewers_give_each_object_the_maximum_then_one_expert(plain_store):
    store = plain_store
    n_objects, maximum = 10, 3
    make_job(store, n_objects, workers=maximum, initial=1)
    store.client.hset(keys.job(JOB), "escalation_team", "experts")
    reviewers = ([job_reviewer(store, f"w{i}") for i in range(5)]
                 + [job_reviewer(store, f"x{i}", escalation=True) for i in range(2)])
    # the deciders are never satisfied: more below the maximum, then escalate
    race_job(store, n_objects, reviewers,
             lambda oid, n: OverlapVerdict(oid, n, n < maximum, escalate=n == maximum),
             lambda o: [a["workerId"] for a in o.answers])
    assert store.jobs.answers_used(JOB) == {maximum + 1: n_objects}
    for result in store.jobs.results(JOB, list(range(n_objects))):
        workers = json.loads(result)
        assert len(set(workers)) == maximum + 1
        assert all(w.startswith("w") for w in workers[:maximum]) and workers[maximum].startswith("x")
    assert store.jobs.expire(JOB, int(time.time() * 1000), 0).finish


# ---- escalation of loops (hitl:escalation-workteam) ---------------------------------------------

def test_the_escalation_hand_over_is_atomic_and_idempotent(store):
    make_flow(store, task_count=2, initial_workers=2, target_confidence="0.9", escalation_team="x")
    store.resources.create_team("x", 1, ["experts"], {"arn": "arn:team/x", "created_ms": 1})
    assert store.queues.escalation_sources(["x"]) == [("t", "x")] and store.queues.escalation_sources(["t", "x"]) == []
    start(store, "l", 10)
    assert answer(store, "a", 100) == ("l", CloseOutcome.NONE)
    # at TaskCount a loop of an escalating flow is decided by the worker, not closed
    assert answer(store, "b", 110) == ("l", CloseOutcome.DECIDE)
    assert store.loops.decide("t", "l", answers=2, verdict="escalate", now=120) is DecideOutcome.ESCALATED
    # run twice (a redelivered task): nothing changes
    assert store.loops.decide("t", "l", answers=2, verdict="escalate", now=121) is DecideOutcome.STALE
    loop = item(store, "l")
    assert (loop["stage"], loop["required"], loop["queued"]) == ("escalation", "3", "1")
    assert store.client.zcard(keys.escalation_queue("t", "x")) == 1 and store.client.zcard(keys.queue("t")) == 0
    # the first team never sees it; a reviewer of the escalation team does, once
    assert claim(store, "c", 130).outcome is ClaimOutcome.EMPTY
    got = store.queues.claim("e", ["x"], now=140, window_ms=WINDOW, max_scan=50, escalation_from=[("t", "x")])
    assert got.outcome is ClaimOutcome.CLAIMED and got.lease.team == "t" and got.lease.name == "l"
    # given back, the assignment returns to the escalation queue, not the first team's
    assert store.queues.release(got.lease.lease_id, "e", now=150).outcome is LeaseOutcome.OK
    assert store.client.zcard(keys.escalation_queue("t", "x")) == 1 and store.client.zcard(keys.queue("t")) == 0
    assert claim(store, "c", 160).outcome is ClaimOutcome.EMPTY
    got = store.queues.claim("f", ["x"], now=170, window_ms=WINDOW, max_scan=50, escalation_from=[("t", "x")])
    assert got.outcome is ClaimOutcome.CLAIMED
    done = store.queues.submit(got.lease.lease_id, "f", now=180, answer_json=json.dumps({"w": "f"}))
    assert done.outcome is LeaseOutcome.OK and done.closed.outcome is CloseOutcome.FINALIZE
    loop = item(store, "l")
    assert (loop["target"], loop["answers"]) == ("Completed", "3")
    assert store.client.zcard(keys.escalation_queue("t", "x")) == 0
    # a late verdict on the closed loop changes nothing
    assert store.loops.decide("t", "l", answers=2, verdict="escalate", now=190) is DecideOutcome.CLOSED
    assert store.queues.claim("g", ["x"], now=200, window_ms=WINDOW, max_scan=50,
                              escalation_from=[("t", "x")]).outcome is ClaimOutcome.EMPTY


def test_an_escalated_loop_that_expires_or_is_stopped_leaves_the_escalation_queue(store):
    make_flow(store, task_count=2, initial_workers=2, target_confidence="0.9", escalation_team="x", lifetime=1)
    store.resources.create_team("x", 1, ["experts"], {"arn": "arn:team/x", "created_ms": 1})
    for name, created in (("expired", 10), ("stopped", 20)):
        start(store, name, created)
    for now in (100, 101):
        assert answer(store, "a", now)[1] is CloseOutcome.NONE
        assert answer(store, "b", now + 10)[1] is CloseOutcome.DECIDE
    for name in ("expired", "stopped"):
        assert store.loops.decide("t", name, answers=2, verdict="escalate", now=150) is DecideOutcome.ESCALATED
    assert store.client.zcard(keys.escalation_queue("t", "x")) == 2
    # the lifetime's end does not wait for the second stage: closed with the first stage's answers
    assert store.loops.expire_due("t", 1015, 10, "expired") == {keys.loop_member("expired"): CloseOutcome.FINALIZE}
    assert store.loops.stop("stopped", 1016).outcome is StopOutcome.FINALIZE
    assert store.client.zcard(keys.escalation_queue("t", "x")) == 0
    assert (item(store, "expired")["target"], item(store, "expired")["answers"]) == ("Failed", "2")
    assert item(store, "stopped")["target"] == "Stopped"
    assert store.client.hget(keys.team_stats("t"), "queued") == "0"
    assert store.queues.claim("e", ["x"], now=1020, window_ms=WINDOW, max_scan=50,
                              escalation_from=[("t", "x")]).outcome is ClaimOutcome.EMPTY
