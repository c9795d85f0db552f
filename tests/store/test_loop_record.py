"""The loop record's layout (issue 17 item 3): short field names, defaults left out, long inputs in
their own key and compressed when that pays; and loops stored in the layout before it stay readable."""

from __future__ import annotations

import base64
import hashlib
import json
import random
import zlib

from hitl_service.domain.states import DeleteOutcome, RouteOutcome, StartOutcome
from hitl_service.store import keys
from hitl_service.store.events import DueEvent
from hitl_service.store.loops import COMPRESSED, INLINE_INPUT_MAX, StartRequest
from tests.store.conftest import make_flow


def sha(text: str) -> str:
    return base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode()


def req(name: str, content: str, **kw) -> StartRequest:
    return StartRequest(name=name, flow="f", input=content, input_sha=sha(content), classifiers=kw.get("classifiers", ""),
                        activation=kw.get("activation", ""), conditions_sha1="")


def json_document(size: int) -> str:
    """A JSON InputContent of at least ``size`` characters with non-ASCII text (2-4 bytes a character)."""
    rnd = random.Random(size)
    words = ["Grüße", "日本語", "über", "naïve", "façade", "🙂", "total", "montant dû", "Ωμέγα", "ĳssel"]
    blocks = []
    while len(json.dumps(blocks, ensure_ascii=False)) < size:
        blocks.append({"id": rnd.getrandbits(48), "text": " ".join(rnd.choice(words) for _ in range(6)),
                       "confidence": round(rnd.uniform(80, 100), 2)})
    return json.dumps({"taskObject": "s3://b/doc.png", "blocks": blocks}, ensure_ascii=False)


def test_a_large_non_ascii_input_is_stored_compressed_and_read_back_exactly(store):
    make_flow(store)
    content = json_document(100_000)
    raw = content.encode("utf-8")
    assert len(raw) > 100_000 and raw != content.encode("ascii", "ignore")
    assert store.loops.start(req("big", content), now=10, wake_ttl_ms=5000).outcome is StartOutcome.CREATED
    assert store.loops.route("big") is RouteOutcome.ROUTED
    stored = store.client.get(keys.loop_input("t", "big"))
    assert stored.startswith(COMPRESSED) and len(stored) < len(raw) // 2
    assert zlib.decompress(base64.b64decode(stored[1:])) == raw
    assert store.client.object("encoding", keys.loop("t", "big")) == "listpack"
    assert store.loops.get("big")["input"] == content
    assert store.loops.get_in("t", "big", ("status", "input")) == {"status": "InProgress", "input": content,
                                                                   "name": "big"}
    # an identical repeat is the same loop, any other input under the name a conflict
    assert store.loops.start(req("big", content), now=11, wake_ttl_ms=5000).outcome is StartOutcome.EXISTS
    assert store.loops.start(req("big", content + " "), now=12, wake_ttl_ms=5000).outcome is StartOutcome.CONFLICT
    assert store.loops.start(req("big", "{}"), now=13, wake_ttl_ms=5000).outcome is StartOutcome.CONFLICT
    # a claim hands out the loop whose record carries the exact input
    claim = store.queues.claim("w", ["t"], now=20, window_ms=1000, max_scan=10)
    assert store.loops.get_in(claim.lease.team, claim.lease.name)["input"] == content


def test_an_input_that_does_not_compress_is_stored_as_it_is(store):
    make_flow(store)
    rnd = random.Random(7)
    content = json.dumps({"blob": base64.b64encode(rnd.randbytes(3000)).decode()})
    assert store.loops.start(req("noise", content), now=10, wake_ttl_ms=5000).outcome is StartOutcome.CREATED
    assert store.client.get(keys.loop_input("t", "noise")) == content
    assert store.loops.get("noise")["input"] == content
    assert store.loops.start(req("noise", content), now=11, wake_ttl_ms=5000).outcome is StartOutcome.EXISTS


def test_a_short_input_is_inline_and_compared_by_itself(store):
    make_flow(store)
    content = '{"text":"Grüße 🙂"}'
    assert len(content.encode()) <= INLINE_INPUT_MAX
    assert store.loops.start(req("small", content), now=10, wake_ttl_ms=5000).outcome is StartOutcome.CREATED
    assert not store.client.exists(keys.loop_input("t", "small"))
    assert store.loops.start(req("small", content), now=11, wake_ttl_ms=5000).outcome is StartOutcome.EXISTS
    assert store.loops.start(req("small", '{"text":"other"}'), now=12, wake_ttl_ms=5000).outcome is StartOutcome.CONFLICT
    assert store.loops.start(req("small", content, classifiers='["x"]'), now=12,
                             wake_ttl_ms=5000).outcome is StartOutcome.CONFLICT


def test_fields_at_their_default_are_left_out_and_read_back(store):
    make_flow(store, webhooks='[{"url":"http://h/x"}]')
    store.loops.start(req("l", "{}", activation='{"a":1}'), now=10, wake_ttl_ms=5000)
    stored = store.client.hgetall(keys.loop("t", "l"))
    for absent in ("kind", "team", "failure_code", "failure_reason", "output_uri", "classifiers", "input_sha", "sha"):
        assert absent not in stored, absent
    assert stored["act"] == '{"a":1}' and stored["hooks"] == '[{"url":"http://h/x"}]'
    loop = store.loops.get("l")
    assert loop["kind"] == "loop" and loop["team"] == "t" and loop["failure_code"] == "" and loop["output_uri"] == ""
    assert loop["classifiers"] == "" and loop["activation"] == '{"a":1}'
    assert loop["flow_id"] == "id-f-1" and loop["output_path"] == "s3://bucket/out"
    assert store.loops.webhooks("t", "l") == '[{"url":"http://h/x"}]'
    assert store.loops.get("l", ("flow_id", "output_path", "team", "failure_reason", "webhooks")) == {
        "status": "InProgress", "flow_id": "id-f-1", "output_path": "s3://bucket/out", "team": "t",
        "failure_reason": "", "webhooks": '[{"url":"http://h/x"}]', "name": "l"}
    assert store.loops.get_many_in("t", ["l", "nope"], ("flow_id", "activation")) == [
        {"status": "InProgress", "flow_id": "id-f-1", "activation": '{"a":1}', "name": "l"}, None]


# ---- loops stored before issue 17 (a user upgrading with loops in flight) -----------------------


def store_old_layout(store, name: str, content: str, own_key: bool) -> None:
    """A routed loop exactly as the start script before issue 17 wrote it (long names, every default)."""
    ik = keys.loop("t", name)
    if own_key:
        store.client.set(keys.loop_input("t", name), content)
    else:
        store.client.hset(ik, "input", content)
    store.client.hset(ik, mapping={
        "kind": "loop", "status": "InProgress", "created_ms": 5, "input_sha": sha(content), "classifiers": "",
        "activation": "", "flow": "f", "flow_id": "id-f-1", "team": "t", "task_count": 2, "time_limit": 60,
        "output_path": "s3://bucket/out", "webhooks": '[{"url":"http://old/hook"}]', "answers": 0, "leases": 0,
        "queued": 0, "routed": 0, "target": "", "failure_code": "", "failure_reason": "", "output_uri": ""})
    store.client.set(keys.loop_ref(name), "t")
    store.client.zadd(keys.flow_loops("t", "id-f-1"), {keys.index_member(5, name): 0})
    store.client.zadd(keys.expiry("t"), {keys.loop_member(name): 10**12})
    store.client.zadd(keys.outbox_route("t"), {keys.loop_member(name): 5})
    store.client.hincrby(keys.team_stats("t"), "loop:InProgress", 1)


def test_loops_in_the_old_layout_stay_readable_routable_and_deletable(store):
    make_flow(store)
    big = json_document(5_000)
    store_old_layout(store, "old-small", '{"a":"ü"}', own_key=False)
    store_old_layout(store, "old-big", big, own_key=True)
    assert store.loops.get("old-small")["input"] == '{"a":"ü"}'
    assert store.loops.get("old-big")["input"] == big
    loop = store.loops.get("old-big")
    assert loop["flow_id"] == "id-f-1" and loop["output_path"] == "s3://bucket/out" and loop["team"] == "t"
    assert store.loops.get_in("t", "old-small", ("flow_id", "webhooks", "input")) == {
        "status": "InProgress", "flow_id": "id-f-1", "webhooks": '[{"url":"http://old/hook"}]', "input": '{"a":"ü"}',
        "name": "old-small"}
    assert store.loops.webhooks("t", "old-big") == '[{"url":"http://old/hook"}]'
    # a repeat start recognises them (their digest is the full one), another input conflicts
    for name, content in (("old-small", '{"a":"ü"}'), ("old-big", big)):
        assert store.loops.start(req(name, content), now=6, wake_ttl_ms=5000).outcome is StartOutcome.EXISTS
        assert store.loops.start(req(name, content + " "), now=6, wake_ttl_ms=5000).outcome is StartOutcome.CONFLICT
    assert [o for _, o in store.loops.route_pending("t", 10)] == [RouteOutcome.ROUTED, RouteOutcome.ROUTED]
    claim = store.queues.claim("w", ["t"], now=20, window_ms=1000, max_scan=10)
    store.queues.submit(claim.lease.lease_id, "w", now=30, answer_json="{}")
    store.loops.stop("old-big", 31)
    store.loops.stop("old-small", 31)
    assert claim.lease.name == "old-big"   # its answer sends it to the finalize outbox, then it is finished
    store.loops.finish("t", "old-big", "s3://b/k", 32)
    assert store.loops.get("old-big")["status"] == "Stopped" and store.loops.get("old-small")["status"] == "Stopped"
    # deleted with its flow index entry and input; the event snapshot reads with the long names
    assert store.loops.delete("old-big").outcome is DeleteOutcome.DELETED
    assert not store.client.exists(keys.loop_input("t", "old-big"))
    assert store.client.zcard(keys.flow_loops("t", "id-f-1")) == 1
    snapshot = store.events.snapshot(DueEvent("t", "old-big"))
    assert snapshot["flow_id"] == "id-f-1" and snapshot["webhooks"] == '[{"url":"http://old/hook"}]'
