"""claim_pick, claim_item, extend_lease, release_lease, submit_answer and reap_lease."""

from __future__ import annotations

from hitl_service.domain.states import ClaimOutcome, CloseOutcome, LeaseOutcome, StopOutcome
from hitl_service.store import keys
from hitl_service.store.loops import StartRequest
from tests.store.conftest import make_flow

WINDOW = 1000


def start(store, name, now, flow="f"):
    store.loops.start(StartRequest(name, flow, "{}", "s", "", "", ""), now=now, wake_ttl_ms=5000)
    store.loops.route(name)


def claim(store, worker, now, teams=("t",)):
    return store.queues.claim(worker, list(teams), now=now, window_ms=WINDOW, max_scan=50)


def test_claims_take_the_oldest_item_and_never_the_same_one_twice(store):
    make_flow(store, task_count=2)
    start(store, "old", 10)
    start(store, "new", 20)
    a = claim(store, "w1", 100)
    assert a.outcome is ClaimOutcome.CLAIMED and a.lease.name == "old" and a.lease.team == "t"
    assert a.lease.lease_id.startswith("t.") and a.lease.expires_ms == 100 + WINDOW
    assert a.lease.deadline_ms == 100 + 60_000
    assert claim(store, "w1", 101).lease.name == "new"     # old is still queued, but w1 worked on it
    assert claim(store, "w2", 102).lease.name == "old"
    assert claim(store, "w1", 103).outcome is ClaimOutcome.EMPTY
    assert claim(store, "w2", 104).lease.name == "new"
    assert claim(store, "w3", 105).outcome is ClaimOutcome.EMPTY
    assert store.client.hget(keys.team_stats("t"), "queued") == "0"
    assert store.stats.read().leases == 4 and store.stats.read().counters["claims"] == 4
    held = store.queues.worker_lease_ids("w1", ["t"])
    assert len(held) == 2 and a.lease.lease_id in held


def test_a_claim_over_several_teams_takes_the_oldest_of_all(store):
    make_flow(store, "f1", team="t1", task_count=1)
    make_flow(store, "f2", team="t2", ui="u2", task_count=1)
    start(store, "b", 20, flow="f1")
    start(store, "a", 10, flow="f2")
    assert claim(store, "w", 100, ("t1", "t2")).lease.name == "a"
    assert claim(store, "w", 101, ("t1", "t2")).lease.name == "b"
    assert claim(store, "w", 102, ("t1", "t2")).outcome is ClaimOutcome.EMPTY
    assert [row[:2] for row in store.queues.overview(["t1", "t2"])] == [("t1", 0), ("t2", 0)]


def test_heartbeat_extends_up_to_the_deadline(store):
    make_flow(store, task_count=1, time_limit=2)
    start(store, "l", 10)
    lease = claim(store, "w", 100).lease
    ok = store.queues.extend(lease.lease_id, "w", now=900, window_ms=WINDOW)
    assert ok.outcome is LeaseOutcome.OK and ok.expires_ms == 1900 and ok.deadline_ms == 2100
    assert store.queues.extend(lease.lease_id, "w", now=1800, window_ms=WINDOW).expires_ms == 2100
    assert store.queues.extend(lease.lease_id, "x", now=1800, window_ms=WINDOW).outcome is LeaseOutcome.NOT_YOURS
    assert store.queues.extend("t.nope", "w", now=1800, window_ms=WINDOW).outcome is LeaseOutcome.NO_LEASE
    assert store.queues.extend("malformed", "w", now=1800, window_ms=WINDOW).outcome is LeaseOutcome.NO_LEASE


def test_an_expired_lease_goes_back_to_the_queue_and_says_so(store):
    make_flow(store, task_count=1)
    start(store, "l", 10)
    lease = claim(store, "w", 100).lease
    late = store.queues.extend(lease.lease_id, "w", now=100 + WINDOW + 1, window_ms=WINDOW)
    assert late.outcome is LeaseOutcome.EXPIRED
    assert store.queues.get_lease(lease.lease_id) is None
    assert store.queues.lease_expired_marker(lease.lease_id)
    assert store.stats.read().counters["lease_expiries"] == 1
    assert store.client.zrange(keys.queue("t"), 0, -1) == ["loop:l"]
    assert claim(store, "w2", 2000).lease.name == "l"


def test_reaping_overdue_leases(store):
    make_flow(store, task_count=1)
    start(store, "l", 10)
    lease = claim(store, "w", 100).lease
    assert not store.queues.has_overdue_leases("t", 100 + WINDOW)
    assert store.queues.has_overdue_leases("t", 100 + WINDOW + 1)
    assert store.queues.reap("t", 100 + WINDOW + 1, 10) == []
    assert store.queues.get_lease(lease.lease_id) is None
    assert store.loops.get("l", ("queued", "leases")) == {"status": "InProgress", "queued": "1", "leases": "0",
                                                          "name": "l"}
    # a claim reaps on its way too
    lease2 = claim(store, "w2", 2000).lease
    again = claim(store, "w3", 2000 + WINDOW + 1)
    assert again.outcome is ClaimOutcome.CLAIMED and again.lease.name == "l"
    assert store.queues.get_lease(lease2.lease_id) is None


def test_release_hands_the_assignment_back(store):
    make_flow(store, task_count=1)
    start(store, "l", 10)
    lease = claim(store, "w", 100).lease
    assert store.queues.release(lease.lease_id, "x", now=110).outcome is LeaseOutcome.NOT_YOURS
    released = store.queues.release(lease.lease_id, "w", now=110)
    assert released.outcome is LeaseOutcome.OK and released.closed is None
    assert store.queues.release(lease.lease_id, "w", now=111).outcome is LeaseOutcome.NO_LEASE
    assert store.stats.read().counters["releases"] == 1
    assert store.client.zrange(keys.queue("t"), 0, -1) == ["loop:l"]
    assert claim(store, "w2", 121).lease.name == "l"     # (tests/store/test_release.py: who gets it when)


def test_submits_close_the_item_after_task_count_answers(store):
    make_flow(store, task_count=2)
    start(store, "l", 10)
    a, b = claim(store, "w1", 100).lease, claim(store, "w2", 101).lease
    first = store.queues.submit(a.lease_id, "w1", now=200, answer_json='{"n":1}')
    assert first.outcome is LeaseOutcome.OK and first.closed is None and first.member == "loop:l"
    assert store.queues.submit(a.lease_id, "w1", now=201, answer_json="{}").outcome is LeaseOutcome.NO_LEASE
    assert store.queues.submit(b.lease_id, "w1", now=201, answer_json="{}").outcome is LeaseOutcome.NOT_YOURS
    last = store.queues.submit(b.lease_id, "w2", now=202, answer_json='{"n":2}')
    assert last.closed.outcome is CloseOutcome.FINALIZE and last.closed.name == "l" and last.closed.kind == "loop"
    assert store.loops.answers("l") == [{"n": 1}, {"n": 2}]
    assert store.client.zrange(keys.outbox_finalize("t"), 0, -1) == ["loop:l"]
    assert store.stats.read().counters["submits"] == 2


def test_a_stop_waits_for_held_leases_and_the_last_answer_closes_it(store):
    make_flow(store, task_count=3)
    start(store, "l", 10)
    a, b = claim(store, "w1", 100).lease, claim(store, "w2", 101).lease
    stop = store.loops.stop("l", 150)
    assert stop.outcome is StopOutcome.STOPPING and stop.status == "Stopping"
    assert claim(store, "w3", 151).outcome is ClaimOutcome.EMPTY
    assert store.queues.submit(a.lease_id, "w1", now=200, answer_json="{}").closed is None
    released = store.queues.release(b.lease_id, "w2", now=201)
    assert released.closed.outcome is CloseOutcome.FINALIZE and released.closed.name == "l"
    assert store.loops.get("l", ("target",))["target"] == "Stopped"


def test_a_lease_on_a_closed_loop_is_told_its_status(store):
    make_flow(store, task_count=1, lifetime=1)
    start(store, "l", 0)
    lease = claim(store, "w", 100).lease
    assert store.loops.expire_due("t", 1000, 10, "late") == {"loop:l": CloseOutcome.FINISHED}
    beat = store.queues.extend(lease.lease_id, "w", now=1001, window_ms=WINDOW)
    assert beat.outcome is LeaseOutcome.CLOSED and beat.status == "Failed"
    refused = store.queues.submit(lease.lease_id, "w", now=1002, answer_json="{}")
    assert refused.outcome is LeaseOutcome.CLOSED and refused.status == "Failed"
    assert store.queues.get_lease(lease.lease_id) is None
