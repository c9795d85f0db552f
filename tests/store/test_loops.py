"""start_loop, route_items, stop_loop, expire_item, finish_item, finalize_failed, delete_loop."""

from __future__ import annotations

import hashlib

from hitl_service.domain.states import (
    CloseOutcome, DeleteOutcome, FinishOutcome, RouteOutcome, StartOutcome, StopOutcome)
from hitl_service.store import keys
from hitl_service.store.loops import StartRequest
from tests.store.conftest import make_flow


def req(name="l", flow="f", input="{}", sha="s1", **kw):
    return StartRequest(name=name, flow=flow, input=input, input_sha=sha, classifiers=kw.get("classifiers", ""),
                        activation=kw.get("activation", ""), conditions_sha1=kw.get("conditions_sha1", ""))


def test_start_creates_once_and_recognises_repeats(store):
    make_flow(store)
    first = store.loops.start(req(), now=1000, wake_ttl_ms=5000)
    assert first.outcome is StartOutcome.CREATED and first.wake_router
    second = store.loops.start(req("l2"), now=1001, wake_ttl_ms=5000)
    assert second.outcome is StartOutcome.CREATED and not second.wake_router   # a drain is already asked for
    assert store.loops.start(req(), now=1002, wake_ttl_ms=5000).outcome is StartOutcome.EXISTS
    # another input under the same name (a short input is compared by itself, a long one by its digest)
    assert store.loops.start(req(input='{"a":1}', sha="other"), now=1003, wake_ttl_ms=5000).outcome is StartOutcome.CONFLICT
    loop = store.loops.get("l")
    assert loop["status"] == "InProgress" and loop["team"] == "t" and loop["kind"] == "loop"
    assert loop["created_ms"] == "1000" and loop["task_count"] == "2"
    assert store.loops.get("l", ("status", "created_ms")) == {"status": "InProgress", "created_ms": "1000", "name": "l"}
    assert store.loops.get("nope") is None
    assert store.stats.read().loops == {"InProgress": 2}
    assert store.stats.read().route_backlog == 2


def test_start_refuses_missing_inactive_and_unevaluated_flows(store):
    assert store.loops.start(req(flow="nope"), now=1, wake_ttl_ms=5000).outcome is StartOutcome.NO_FLOW
    conditions = '{"Conditions": []}'
    make_flow(store, conditions=conditions)
    result = store.loops.start(req(), now=1, wake_ttl_ms=5000)
    assert result.outcome is StartOutcome.EVALUATE and result.conditions == conditions
    sha1 = hashlib.sha1(conditions.encode()).hexdigest()
    assert store.loops.start(req(conditions_sha1=sha1), now=1, wake_ttl_ms=5000).outcome is StartOutcome.CREATED
    store.resources.begin_delete_flow("f", 2)
    refused = store.loops.start(req("l2", conditions_sha1=sha1), now=3, wake_ttl_ms=5000)
    assert refused.outcome is StartOutcome.FLOW_STATUS and refused.flow_status == "Deleting"


def test_a_loop_name_is_unique_across_teams(store):
    make_flow(store, "f1", team="t1")
    make_flow(store, "f2", team="t2", ui="u2")
    assert store.loops.start(req(flow="f1"), now=1, wake_ttl_ms=5000).outcome is StartOutcome.CREATED
    assert store.loops.start(req(flow="f2"), now=2, wake_ttl_ms=5000).outcome is StartOutcome.CONFLICT
    store.loops.stop("l", 3)
    assert store.loops.delete("l").outcome is DeleteOutcome.DELETED
    assert store.loops.start(req(flow="f2"), now=4, wake_ttl_ms=5000).outcome is StartOutcome.CREATED
    assert store.loops.get("l")["team"] == "t2"


def test_a_remembered_flow_location_is_checked_by_the_script(store):
    make_flow(store, "f", team="t1")
    assert store.loops.start(req("a"), now=1, wake_ttl_ms=5000).outcome is StartOutcome.CREATED
    # the flow is deleted and re-created on another team behind this store's back
    store.resources.begin_delete_flow("f", 2)
    store.loops.stop("a", 2)
    store.resources.finish_delete_flow("f", "id-f-1")
    other = type(store)(store.client)
    make_flow(other, "f", team="t2", ui="u2", created_ms=7)
    store.resources._flow_locations["f"] = type(store.resources.locate_flow("f"))("t1", "id-f-1")
    assert store.loops.start(req("b"), now=8, wake_ttl_ms=5000).outcome is StartOutcome.CREATED
    assert store.loops.get("b")["team"] == "t2"


def test_route_puts_task_count_assignments_on_the_queue_once(store):
    make_flow(store)
    store.loops.start(req("a"), now=10, wake_ttl_ms=5000)
    store.loops.start(req("b"), now=20, wake_ttl_ms=5000)
    assert store.loops.route("a") is RouteOutcome.ROUTED
    assert store.loops.route("a") is RouteOutcome.ALREADY
    assert store.loops.route("nope") is RouteOutcome.MISSING
    assert store.loops.route_pending("t", 10) == [("loop:b", RouteOutcome.ROUTED)]
    assert store.loops.route_pending("t", 10) == []
    assert store.client.zrange(keys.queue("t"), 0, -1, withscores=True) == [("loop:a", 10.0), ("loop:b", 20.0)]
    assert store.client.hget(keys.team_stats("t"), "queued") == "4"
    assert not store.client.exists(keys.route_awake("t"))   # the drain emptied the outbox: the flag is down
    store.loops.start(req("c"), now=30, wake_ttl_ms=5000)
    store.loops.stop("c", 31)
    assert store.loops.route_pending("t", 10) == [("loop:c", RouteOutcome.CLOSED)]


def test_stop_without_leases_finishes_at_once_and_withdraws_the_queue(store):
    make_flow(store)
    store.loops.start(req(), now=10, wake_ttl_ms=5000)
    store.loops.route("l")
    assert store.loops.stop("nope", 11).outcome is StopOutcome.MISSING
    result = store.loops.stop("l", 11)
    assert result.outcome is StopOutcome.FINISHED and result.status == "Stopped"
    assert store.loops.stop("l", 12).outcome is StopOutcome.ALREADY
    assert store.client.zcard(keys.queue("t")) == 0
    assert store.client.hget(keys.team_stats("t"), "queued") == "0"
    assert store.client.zrange(keys.outbox_events("t"), 0, -1) == ["loop:l"]
    assert store.stats.read().loops == {"InProgress": 0, "Stopping": 0, "Stopped": 1}


def test_expiry_fails_an_open_loop_and_ignores_others(store):
    make_flow(store, lifetime=1)
    store.loops.start(req("a"), now=0, wake_ttl_ms=5000)
    store.loops.start(req("b"), now=500, wake_ttl_ms=5000)
    assert store.loops.expire_due("t", 999, 10, "too late") == {}
    assert store.loops.expire_due("t", 1000, 10, "too late") == {"loop:a": CloseOutcome.FINISHED}
    a = store.loops.get("a")
    assert (a["status"], a["failure_code"], a["failure_reason"]) == ("Failed", "Expired", "too late")
    assert store.loops.expire_due("t", 1000, 10, "too late") == {}
    assert store.loops.get("b")["status"] == "InProgress"


def answered_once(store):
    """A TaskCount-1 loop ``l`` answered once at t=30 (so closed and waiting for finalize)."""
    make_flow(store, task_count=1)
    store.loops.start(req(), now=10, wake_ttl_ms=5000)
    store.loops.route("l")
    claim = store.queues.claim("w", ["t"], now=20, window_ms=1000, max_scan=10)
    return store.queues.submit(claim.lease.lease_id, "w", now=30, answer_json='{"x":1}')


def test_finish_after_the_output_is_written(store):
    done = answered_once(store)
    assert done.closed.outcome is CloseOutcome.FINALIZE
    assert store.stats.read().outputs_pending == 1 and store.stats.read().oldest_pending_ms == 30
    assert store.loops.finish("t", "l", "s3://b/k", 31) is FinishOutcome.FINISHED
    # a repeated finalize (redelivered task) changes nothing but clearing what is left
    assert store.loops.finish("t", "l", "s3://b/other", 32) is FinishOutcome.ALREADY
    assert store.loops.get("l")["output_uri"] == "s3://b/k"
    assert store.loops.finish("t", "missing", "", 33) is FinishOutcome.MISSING
    assert store.stats.read().outputs_pending == 0
    assert store.loops.get("l")["status"] == "Completed"


def test_a_failed_output_write_is_counted_and_rescheduled(store):
    answered_once(store)
    assert store.loops.finalize_attempts("t", "l") == 0
    assert store.loops.finalize_failed("t", "l", 5000) == 1
    assert store.loops.finalize_failed("t", "l", 9000) == 2
    assert store.client.zscore(keys.outbox_finalize("t"), "loop:l") == 9000
    assert store.stats.read().counters["output_write_failures"] == 2
    assert store.loops.finish("t", "l", "s3://b/k", 40) is FinishOutcome.FINISHED
    loop = store.loops.get("l")
    assert (loop["status"], loop["output_uri"], loop["finished_ms"]) == ("Completed", "s3://b/k", "40")
    assert store.loops.finalize_attempts("t", "l") == 0
    assert store.loops.answers("l") == [{"x": 1}]


def test_delete_only_finished_loops_and_keep_an_undelivered_event(store):
    make_flow(store, task_count=1)
    store.loops.start(req(), now=10, wake_ttl_ms=5000)
    store.loops.route("l")
    claim = store.queues.claim("w", ["t"], now=20, window_ms=1000, max_scan=10)
    refused = store.loops.delete("l")
    assert refused.outcome is DeleteOutcome.ACTIVE and refused.status == "InProgress"
    store.queues.submit(claim.lease.lease_id, "w", now=30, answer_json="{}")
    store.loops.finish("t", "l", "s3://b/k", 31)
    assert store.loops.delete("l").outcome is DeleteOutcome.DELETED
    assert store.loops.delete("l").outcome is DeleteOutcome.MISSING
    assert store.loops.get("l") is None and store.client.get(keys.loop_ref("l")) is None
    snapshot = store.client.hgetall(keys.deleted_loop_event("t", "l"))
    assert snapshot["status"] == "Completed" and "input" not in snapshot
    # the worker's worked-on set forgot the loop: a new loop of the same name reaches them again
    assert not store.client.sismember(keys.worked("t", "w"), "loop:l")
    store.loops.start(req(), now=40, wake_ttl_ms=5000)
    store.loops.route("l")
    assert store.queues.claim("w", ["t"], now=50, window_ms=1000, max_scan=10).lease.name == "l"


def test_a_large_input_keeps_the_loop_record_compact(store):
    """A 4 KB InputContent is stored beside the loop: its hash stays listpack-encoded (memory per loop
    does not grow with the input) and every read of the whole record still has the input."""
    make_flow(store)
    content = '{"taskObject":"' + "x" * (4000 - 17) + '"}'
    assert store.loops.start(req(input=content), now=10, wake_ttl_ms=5000).outcome is StartOutcome.CREATED
    store.loops.route("l")
    assert store.client.object("encoding", keys.loop("t", "l")) == "listpack"
    assert store.loops.get("l")["input"] == content
    assert store.loops.get("l", ("status", "input")) == {"status": "InProgress", "input": content, "name": "l"}
    assert store.loops.get("l", ("status",)) == {"status": "InProgress", "name": "l"}
    assert store.loops.start(req("small", input='{"a":1}'), now=11, wake_ttl_ms=5000).outcome is StartOutcome.CREATED
    assert store.loops.get("small")["input"] == '{"a":1}'
    store.loops.stop("l", 20)
    assert store.loops.delete("l").outcome is DeleteOutcome.DELETED
    assert not store.client.exists(keys.loop_input("t", "l"))   # the input went with the record


def test_finalize_take_skips_failed_writes_and_lowers_the_wake_flag_only_when_nothing_is_left(store):
    out = keys.outbox_finalize("t", "loop")
    store.client.zadd(out, {"loop:a": 10, "loop:b": 20, "loop:c": 30})
    assert store.loops.wake_finalize("t", 5000) is True
    assert store.loops.wake_finalize("t", 5000) is False      # a drain is already asked for
    store.loops.finalize_failed("t", "b", 5)                   # b waits out its backoff for the sweep
    assert store.loops.take_finalize("t", 100, 1) == ["a"]
    assert store.client.zscore(out, "loop:a") == 100           # re-scored: the sweep waits a grace period
    assert store.loops.take_finalize("t", 101, 10) == ["c", "a"]
    assert store.client.exists(keys.finalize_awake("t"))       # something was taken: the flag stays up
    store.client.zrem(out, "loop:a", "loop:c")                 # (finish_item.lua does this)
    assert store.loops.take_finalize("t", 102, 10) == []
    assert not store.client.exists(keys.finalize_awake("t"))   # only b, which failed, is left: the flag is down
    assert store.loops.wake_finalize("t", 5000) is True


def test_a_start_that_routes_now_puts_its_assignments_on_the_queue_in_the_same_step(store):
    make_flow(store)
    first = store.loops.start(req("a"), now=10, wake_ttl_ms=5000, route_now=True)
    assert first.outcome is StartOutcome.CREATED and not first.wake_router   # no drain is asked for
    assert store.client.zrange(keys.queue("t"), 0, -1, withscores=True) == [("loop:a", 10.0)]
    assert store.loops.get("a", ("routed", "queued", "status")) == {"routed": "1", "queued": "2", "status": "InProgress",
                                                                 "name": "a"}
    assert store.stats.read().route_backlog == 0 and not store.client.exists(keys.route_awake("t"))
    # a repeat is recognised and routes nothing twice; the drain finds nothing left to do
    assert store.loops.start(req("a"), now=11, wake_ttl_ms=5000, route_now=True).outcome is StartOutcome.EXISTS
    assert store.loops.route("a") is RouteOutcome.ALREADY
    assert store.loops.route_pending("t", 10) == []
    assert store.client.hget(keys.team_stats("t"), "queued") == "2"
