"""A task handed back (released, or its lease ran out) is not an answer: it goes to others first and
comes back to the same reviewer when nothing else is waiting for them."""

from __future__ import annotations

from hitl_service.domain.states import ClaimOutcome, CloseOutcome, LeaseOutcome
from hitl_service.store import keys
from tests.store.conftest import make_flow
from tests.store.test_queues import WINDOW, claim, start


def release(store, result, now):
    outcome = store.queues.release(result.lease.lease_id, result.lease.worker, now=now)
    assert outcome.outcome is LeaseOutcome.OK
    return outcome


def queued(store, team="t"):
    return int(store.client.hget(keys.team_stats(team), "queued") or 0)


def test_the_only_member_of_a_team_can_take_a_released_task_again(store):
    make_flow(store, task_count=1)
    start(store, "l", 10)
    release(store, claim(store, "solo", 100), 110)
    again = claim(store, "solo", 120)
    assert again.outcome is ClaimOutcome.CLAIMED and again.lease.name == "l"
    assert queued(store) == 0
    done = store.queues.submit(again.lease.lease_id, "solo", now=130, answer_json='{"ok":1}')
    assert done.closed.outcome is CloseOutcome.FINALIZE
    assert store.loops.answers("l") == [{"ok": 1}]
    assert claim(store, "solo", 140).outcome is ClaimOutcome.EMPTY


def test_a_released_task_goes_to_others_first_and_comes_back_last(store):
    make_flow(store, task_count=1)
    for name, created in (("a", 10), ("b", 20), ("c", 30)):
        start(store, name, created)
    release(store, claim(store, "w1", 100), 101)           # w1 hands back a, the oldest
    assert claim(store, "w2", 102).lease.name == "a"        # a is at the head for everyone else
    release(store, claim(store, "w2", 103), 104)            # w2 hands back b
    b = claim(store, "w1", 105)
    assert b.lease.name == "b"                              # w1: new work before its own hand-backs
    c = claim(store, "w2", 106)
    assert c.lease.name == "c"                              # w2 skips b (its hand-back) for c
    assert claim(store, "w2", 107).outcome is ClaimOutcome.EMPTY
    assert queued(store) == 0


def test_a_released_task_waits_behind_new_work_then_returns(store):
    make_flow(store, task_count=1)
    start(store, "old", 10)
    start(store, "new", 20)
    release(store, claim(store, "w", 100), 101)
    new = claim(store, "w", 102)
    assert new.lease.name == "new"
    store.queues.submit(new.lease.lease_id, "w", now=103, answer_json="{}")
    back = claim(store, "w", 104)
    assert back.outcome is ClaimOutcome.CLAIMED and back.lease.name == "old"


def test_with_two_assignments_a_release_never_lets_one_reviewer_answer_twice(store):
    make_flow(store, task_count=2)
    start(store, "l", 10)
    first = claim(store, "w1", 100)
    assert claim(store, "w1", 101).outcome is ClaimOutcome.EMPTY    # holds one: not the other as well
    release(store, first, 102)
    assert queued(store) == 2
    again = claim(store, "w1", 103)
    assert again.lease.name == "l" and queued(store) == 1
    assert claim(store, "w1", 104).outcome is ClaimOutcome.EMPTY
    store.queues.submit(again.lease.lease_id, "w1", now=105, answer_json='{"by":"w1"}')
    assert claim(store, "w1", 106).outcome is ClaimOutcome.EMPTY    # answered: never again
    other = claim(store, "w2", 107)
    assert other.lease.name == "l"
    release(store, other, 108)
    assert claim(store, "w1", 109).outcome is ClaimOutcome.EMPTY    # w2's hand-back is still not w1's
    back = claim(store, "w2", 110)
    last = store.queues.submit(back.lease.lease_id, "w2", now=111, answer_json='{"by":"w2"}')
    assert last.closed.outcome is CloseOutcome.FINALIZE
    assert store.loops.answers("l") == [{"by": "w1"}, {"by": "w2"}]


def test_a_new_task_in_another_team_comes_before_a_hand_back(store):
    make_flow(store, "f1", team="t1", task_count=1)
    make_flow(store, "f2", team="t2", ui="u2", task_count=1)
    start(store, "old", 10, flow="f1")
    start(store, "newer", 20, flow="f2")
    teams = ("t1", "t2")
    release(store, claim(store, "w", 100, teams), 101)
    assert claim(store, "w", 102, teams).lease.name == "newer"
    assert claim(store, "w", 103, teams).lease.name == "old"


def test_a_lease_that_ran_out_can_be_taken_again_by_its_holder(store):
    make_flow(store, task_count=1)
    start(store, "l", 10)
    claim(store, "w", 100)
    again = claim(store, "w", 100 + WINDOW + 1)    # the claim reaps the overdue lease on its way
    assert again.outcome is ClaimOutcome.CLAIMED and again.lease.name == "l"
    assert store.stats.read().counters["lease_expiries"] == 1


def test_forgetting_a_worker_drops_its_hand_backs(store):
    make_flow(store, task_count=1)
    start(store, "l", 10)
    release(store, claim(store, "w", 100), 101)
    assert store.client.zrange(keys.released("t", "w"), 0, -1) == ["loop:l"]
    store.queues.forget_worker("w")
    assert store.client.exists(keys.released("t", "w")) == 0
