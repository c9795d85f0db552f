"""Escalation when an item's lifetime ends without enough answers (hitl:escalation-workteam), in the store:
expire_item.lua for loops and job_expire.lua for labeling-job objects, on a real redis-server and a
real Redis Cluster (the ``store`` fixture runs each test on both)."""

from __future__ import annotations

import json

from hitl_service.domain.states import ClaimOutcome, CloseOutcome, LeaseOutcome, StopOutcome
from hitl_service.store import keys
from hitl_service.store.jobs import OverlapVerdict
from hitl_service.store.queues import is_escalation_token
from tests.store.conftest import make_flow
from tests.store.test_overlap import JOB, answer, item, make_job
from tests.store.test_queues import WINDOW, claim, start

MEMBER = keys.loop_member("l")


def escalating_flow(store, **fields):
    """Flow "f" of team "t" (TaskCount 3, two first reviewers, lifetime 1 s) escalating to team "x"."""
    values = dict(task_count=3, initial_workers=2, target_confidence="0.9", escalation_team="x", lifetime=1)
    values.update(fields)
    make_flow(store, **values)
    store.resources.create_team("x", 1, ["experts"], {"arn": "arn:team/x", "created_ms": 1})


def expert_claim(store, worker, now):
    return store.queues.claim(worker, ["x"], now=now, window_ms=WINDOW, max_scan=50, escalation_from=[("t", "x")])


def waiting(store, team):
    [(_, depth, _)] = store.queues.overview([team])
    return depth


def stats(store, field):
    return store.client.hget(keys.team_stats("t"), field)


# ---- loops -------------------------------------------------------------------------------------

def test_a_loop_whose_lifetime_ends_short_of_answers_goes_to_its_escalation_team_once(store):
    escalating_flow(store)
    start(store, "l", 10)                       # lifetime ends at 1010
    assert answer(store, "a", 100) == ("l", CloseOutcome.NONE)
    held = claim(store, "b", 200)               # a first-stage lease still out at the lifetime's end
    assert held.outcome is ClaimOutcome.CLAIMED
    assert store.loops.expire_due("t", 1015, 10, "expired") == {MEMBER: CloseOutcome.ESCALATED}
    # the sweep again (and a sweep that read the index before the hand-over): nothing changes
    assert store.loops.expire_due("t", 1016, 10, "expired") == {}
    late = store.loops.scripts.expire_item(keys=[*keys.team_keys("t"), keys.loop("t", "l"), keys.escalation_queue("t", "x")],
                                     args=[MEMBER, 1017, "expired"])
    assert late == ""
    loop = item(store, "l")
    assert (loop["status"], loop["target"], loop["stage"], loop["escalation_reason"]) == (
        "InProgress", "", "escalation", "expired")
    assert (loop["first_stage"], loop["required"], loop["queued"], loop["answers"]) == ("1", "2", "1", "1")
    # a fresh lifetime of the same length, from the hand-over
    assert store.client.zscore(keys.expiry("t"), MEMBER) == 2015
    assert store.client.zcard(keys.queue("t")) == 0 and store.client.zcard(keys.escalation_queue("t", "x")) == 1
    # the review pages count it under the escalation team, not the first
    assert (waiting(store, "x"), waiting(store, "t")) == (1, 0)
    assert claim(store, "c", 1020).outcome is ClaimOutcome.EMPTY
    # the first-stage holder: heartbeat and submit are refused, and the assignment is not given back
    assert store.queues.extend(held.lease.lease_id, "b", now=1021, window_ms=WINDOW).outcome is LeaseOutcome.CLOSED
    late = store.queues.submit(held.lease.lease_id, "b", now=1022, answer_json=json.dumps({"w": "b"}))
    assert (late.outcome, late.status, late.closed) == (LeaseOutcome.CLOSED, "escalated", None)
    assert store.queues.get_lease(held.lease.lease_id) is None
    assert item(store, "l")["leases"] == "0" and store.client.zcard(keys.queue("t")) == 0
    assert claim(store, "b", 1023).outcome is ClaimOutcome.EMPTY
    got = expert_claim(store, "e", 1030)
    assert got.outcome is ClaimOutcome.CLAIMED and is_escalation_token(got.lease.lease_id)
    assert waiting(store, "x") == 0 and expert_claim(store, "f", 1031).outcome is ClaimOutcome.EMPTY
    done = store.queues.submit(got.lease.lease_id, "e", now=1040, answer_json=json.dumps({"w": "e"}))
    assert done.outcome is LeaseOutcome.OK and done.closed.outcome is CloseOutcome.FINALIZE
    loop = item(store, "l")
    assert (loop["target"], loop["answers"]) == ("Completed", "2")
    assert [a["w"] for a in store.loops.answers("l", "t")] == ["a", "e"]
    assert store.client.zscore(keys.expiry("t"), MEMBER) is None
    assert store.loops.expire_due("t", 5000, 10, "expired") == {}
    assert (stats(store, "queued"), stats(store, "escalation_queued"), stats(store, "escalation_queued:x")) == (
        "0", "0", "0")


def test_zero_first_stage_answers_escalate_and_the_escalation_answer_alone_completes(store):
    escalating_flow(store)
    start(store, "l", 10)
    assert store.loops.expire_due("t", 1010, 10, "expired") == {MEMBER: CloseOutcome.ESCALATED}
    assert (item(store, "l")["required"], item(store, "l")["first_stage"]) == ("1", "0")
    got = expert_claim(store, "e", 1020)
    # released, the assignment returns to the escalation queue (and to its count)
    assert store.queues.release(got.lease.lease_id, "e", now=1021).outcome is LeaseOutcome.OK
    assert waiting(store, "x") == 1 and claim(store, "a", 1022).outcome is ClaimOutcome.EMPTY
    got = expert_claim(store, "f", 1030)
    done = store.queues.submit(got.lease.lease_id, "f", now=1040, answer_json=json.dumps({"w": "f"}))
    assert done.closed.outcome is CloseOutcome.FINALIZE
    assert (item(store, "l")["target"], item(store, "l")["answers"]) == ("Completed", "1")


def test_the_second_stages_lifetime_end_fails_the_loop_as_every_expiry_does(store):
    escalating_flow(store)
    start(store, "answered", 10)
    start(store, "empty", 20)
    assert answer(store, "a", 100) == ("answered", CloseOutcome.NONE)
    first = store.loops.expire_due("t", 1100, 10, "expired")
    assert set(first.values()) == {CloseOutcome.ESCALATED} and len(first) == 2
    assert waiting(store, "x") == 2
    second = store.loops.expire_due("t", 2100, 10, "expired")
    assert second == {keys.loop_member("answered"): CloseOutcome.FINALIZE,
                      keys.loop_member("empty"): CloseOutcome.FINISHED}
    assert (item(store, "answered")["target"], item(store, "answered")["failure_code"]) == ("Failed", "Expired")
    assert (item(store, "empty")["status"], item(store, "empty")["failure_code"]) == ("Failed", "Expired")
    assert store.client.zcard(keys.escalation_queue("t", "x")) == 0 and waiting(store, "x") == 0
    assert (stats(store, "queued"), stats(store, "escalation_queued:x")) == ("0", "0")
    assert expert_claim(store, "e", 2200).outcome is ClaimOutcome.EMPTY


def test_a_stop_during_the_second_stage_waits_for_a_stale_first_stage_lease_then_stops(store):
    escalating_flow(store)
    start(store, "l", 10)
    assert answer(store, "a", 100) == ("l", CloseOutcome.NONE)
    held = claim(store, "b", 200)
    assert store.loops.expire_due("t", 1015, 10, "expired") == {MEMBER: CloseOutcome.ESCALATED}
    assert store.loops.stop("l", 1020).outcome is StopOutcome.STOPPING      # b's lease is still out
    assert store.client.zcard(keys.escalation_queue("t", "x")) == 0 and waiting(store, "x") == 0
    late = store.queues.submit(held.lease.lease_id, "b", now=1030, answer_json=json.dumps({"w": "b"}))
    assert late.outcome is LeaseOutcome.CLOSED and late.closed.outcome is CloseOutcome.FINALIZE
    loop = item(store, "l")
    assert (loop["target"], loop["answers"], loop["leases"]) == ("Stopped", "1", "0")
    assert store.loops.expire_due("t", 9000, 10, "expired") == {}


def test_a_loop_deciding_or_of_a_flow_without_an_escalation_team_closes_at_its_lifetimes_end(store):
    escalating_flow(store, task_count=2)
    make_flow(store, flow="plain", task_count=2, initial_workers=2, target_confidence="0.9", lifetime=1)
    start(store, "deciding", 10)
    start(store, "plain", 20, flow="plain")
    for w in ("a", "b"):
        answer(store, w, 100)
    assert item(store, "deciding")["deciding"] == "2"
    assert store.loops.expire_due("t", 1100, 10, "expired") == {
        keys.loop_member("deciding"): CloseOutcome.FINALIZE, keys.loop_member("plain"): CloseOutcome.FINISHED}
    assert "stage" not in item(store, "deciding") and item(store, "deciding")["target"] == "Failed"


# ---- labeling jobs -----------------------------------------------------------------------------

def escalating_job(store, *, workers=3, initial=2, objects=1):
    make_job(store, objects, workers=workers, initial=initial)   # released at 1: lifetime ends at 600_001
    store.client.hset(keys.job(JOB), "escalation_team", "experts")


def part(store, name, field="0"):
    return store.client.hget(keys.job_part(JOB, name), field)


def test_a_job_object_whose_lifetime_ends_short_of_answers_goes_to_the_escalation_team_once(store):
    escalating_job(store)
    store.jobs.claim(JOB, "a", 10, "lease-a", WINDOW)
    assert not store.jobs.submit(JOB, "lease-a", "a", 11, {"workerId": "a"}).complete
    store.jobs.claim(JOB, "b", 599_900, "lease-b", WINDOW)        # held when the lifetime ends
    result = store.jobs.expire(JOB, 600_500)
    assert (result.expired, result.to_consolidate, result.escalated, result.finish) == (1, 0, 1, False)
    again = store.jobs.expire(JOB, 600_501)
    assert (again.expired, again.escalated) == (0, 0)
    assert (part(store, "need"), part(store, "left"), part(store, "stage")) == ("2", "1", "expired|1")
    assert store.client.zscore(keys.job_part(JOB, "expiry"), "0") == 1_200_500    # a fresh lifetime
    assert store.client.zcard(keys.job_part(JOB, "queue")) == 0
    assert store.jobs.claim(JOB, "c", 600_600, "lease-c", WINDOW) is None            # not the first team's
    # the first-stage holder: heartbeat and submit refused, nothing given back to the first team
    assert store.jobs.lease(JOB, "lease-b", "b", 600_700, window_ms=WINDOW)[0].value == "closed"
    assert store.jobs.submit(JOB, "lease-b", "b", 600_701, {"workerId": "b"}).outcome.value == "closed"
    assert store.client.zcard(keys.job_part(JOB, "queue")) == 0 and part(store, "left") == "1"
    assert store.jobs.claim(JOB, "x", 600_800, "lease-x", WINDOW, escalation=True).object_id == 0
    assert store.jobs.lease_info(JOB, "lease-x")["stage"] == "escalation"
    assert store.jobs.claim(JOB, "y", 600_801, "lease-y", WINDOW, escalation=True) is None
    assert store.jobs.submit(JOB, "lease-x", "x", 600_900, {"workerId": "x"}).complete
    [taken] = store.jobs.take_answered(JOB, 601_000, 1000, 10)
    assert ([a["workerId"] for a in taken.answers], taken.stage) == (["a", "x"], "expired|1")
    # already retired: a "more" verdict cannot send it back to the first team
    assert store.jobs.decide(JOB, 601_001, [OverlapVerdict(0, 2, True)]) == set()
    assert store.jobs.record_results(JOB, 601_002, {0: "{}"}) == (1, True)
    assert store.jobs.answers_used(JOB) == {2: 1}
    assert store.client.hget(keys.job(JOB), "escalated:expired") == "1" and part(store, "stage") is None
    assert store.jobs.expire(JOB, 9_000_000).escalated == 0


def test_a_job_objects_second_stage_lifetime_end_closes_it_with_the_answers_it_has(store):
    escalating_job(store, objects=2)
    store.jobs.claim(JOB, "a", 10, "lease-a", WINDOW)
    store.jobs.submit(JOB, "lease-a", "a", 11, {"workerId": "a"})
    assert store.jobs.expire(JOB, 600_500).escalated == 2
    # a released escalation lease goes back to the escalation queue
    got = store.jobs.claim(JOB, "x", 600_600, "lease-x", WINDOW, escalation=True)
    assert store.jobs.lease(JOB, "lease-x", "x", 600_601, release=True)[0].value == "released"
    assert store.client.zscore(keys.job_part(JOB, "escalation"), str(got.object_id)) is not None
    result = store.jobs.expire(JOB, 1_300_000)
    assert (result.expired, result.to_consolidate, result.escalated) == (2, 1, 0)
    [taken] = store.jobs.take_answered(JOB, 1_300_001, 1000, 10)
    assert [a["workerId"] for a in taken.answers] == ["a"] and taken.stage == "expired|1"
    assert store.jobs.record_results(JOB, 1_300_002, {taken.object_id: "{}"}) == (1, True)
    failed = [r for r in store.jobs.results(JOB, [0, 1]) if r.startswith("!")]
    assert len(failed) == 1 and "lifetime" in failed[0]
    assert store.client.hget(keys.job(JOB), "escalated:expired") is None
    assert store.client.hlen(keys.job_part(JOB, "stage")) == 0


def test_a_stopping_job_does_not_escalate_at_the_lifetimes_end(store):
    escalating_job(store)
    store.jobs.stop(JOB, 20)
    assert store.jobs.expire(JOB, 30).escalated == 0
    assert store.client.zcard(keys.job_part(JOB, "escalation")) == 0


def test_a_job_without_an_escalation_team_fails_an_unanswered_object_at_its_lifetimes_end(store):
    make_job(store, 1, workers=3, initial=2)
    assert store.jobs.expire(JOB, 600_500).escalated == 0
    assert store.jobs.results(JOB, [0])[0].startswith("!")


def test_a_loop_started_before_loops_kept_their_lifetime_gets_one_of_its_first_length(store):
    escalating_flow(store, lifetime=5)
    start(store, "l", 10)                                        # lifetime ends at 5010
    assert item(store, "l")["lifetime"] == "5"
    store.client.hdel(keys.loop("t", "l"), "lifetime")           # as a loop stored before this change
    assert store.loops.expire_due("t", 5100, 10, "expired") == {MEMBER: CloseOutcome.ESCALATED}
    assert store.client.zscore(keys.expiry("t"), MEMBER) == 10_100


def test_flows_of_one_team_escalating_to_different_teams_reach_only_their_own(store):
    """Team t's flow "f" escalates to x and flow "g" to y: an expert of x never gets g's loop, and back."""
    escalating_flow(store)
    make_flow(store, flow="g", task_count=3, initial_workers=2, target_confidence="0.9", escalation_team="y",
              lifetime=1)
    store.resources.create_team("y", 1, ["auditors"], {"arn": "arn:team/y", "created_ms": 1})
    start(store, "to-x", 10)
    start(store, "to-y", 20, flow="g")
    expired = store.loops.expire_due("t", 1100, 10, "expired")
    assert set(expired.values()) == {CloseOutcome.ESCALATED}
    assert store.client.zcard(keys.escalation_queue("t", "x")) == 1
    assert store.client.zcard(keys.escalation_queue("t", "y")) == 1
    assert store.queues.escalation_sources(["y"]) == [("t", "y")]
    for worker, team, loop in (("x1", "x", "to-x"), ("y1", "y", "to-y")):
        got = store.queues.claim(worker, [team], now=1200, window_ms=WINDOW, max_scan=50,
                                 escalation_from=store.queues.escalation_sources([team]))
        assert got.outcome is ClaimOutcome.CLAIMED and got.lease.name == loop
        assert store.queues.claim(f"{worker}b", [team], now=1201, window_ms=WINDOW, max_scan=50,
                                  escalation_from=store.queues.escalation_sources([team])).outcome is ClaimOutcome.EMPTY
        # given back, it returns to its own escalation team's queue
        assert store.queues.release(got.lease.lease_id, worker, now=1202).outcome is LeaseOutcome.OK
        assert store.client.zcard(keys.escalation_queue("t", team)) == 1
    # a stop takes each off its own queue
    assert store.loops.stop("to-y", 1300).status == "Stopped"     # no answers: stopped at once
    assert store.client.zcard(keys.escalation_queue("t", "y")) == 0
    assert store.client.zcard(keys.escalation_queue("t", "x")) == 1
