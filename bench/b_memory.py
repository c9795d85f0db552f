"""B6: Redis memory per loop for InputContent of 200 B, 1 KB, 4 KB and 100 KB."""

from __future__ import annotations

import json
import random

from bench import harness as h
from bench.fill import context_for
from bench.report import Result, Row, stat
from hitl_service.services import loops
from hitl_service.store import keys
from hitl_service.store.loops import COMPRESSED

METHOD = """
**What:** Redis memory per human loop that is started and routed (waiting in its team's queue, the
state a loop spends most of its life in), for InputContent of {sizes}. Each repeat starts {n}
with the service's own StartHumanLoop code (`services.loops.start_human_loop`, which runs the
`start_loop` script, which routes the loop too since issue 17; the route drain then finds nothing left), on a
fresh redis-server with the shipped `deploy/redis.conf` (its memory settings) but persistence off; the figure is the `INFO memory` `used_memory` delta divided by the number of loops. This
includes the loop hash, its input key (inputs over 256 B), its name reservation, its entries in the flow
index, the expiry index and the team queue, and the main dictionary's share.
**Input:** a JSON document shaped like a Textract-style A2I input (key-value blocks with words, ids,
confidences and bounding boxes; seeded, so every run stores the same bytes), not a run of one repeated
character: the store compresses inputs over 256 B (zlib level 1, base64 text), so a trivially
compressible input would flatter the figure. This one compresses about 2-3x, as real JSON does.
**Baseline:** the size of the InputContent itself; target: at most 1 KiB above it at every size
(issue 17: the overhead must not grow with the input).
"""

SIZES = (200, 1_000, 4_000, 100_000)

# words of an invoice-like document: the text an A2I review of extracted form data carries
_WORDS = ("invoice total amount due date customer account number payment terms net thirty days "
          "shipping address billing street city state postal code country description quantity unit "
          "price tax subtotal discount order reference item service hours rate consulting support "
          "license annual monthly renewal contact phone email vendor purchase approved received").split()


def realistic_input(size: int) -> str:
    """A JSON document of exactly ``size`` bytes shaped like a Textract-style A2I input (seeded, so every
    run stores the same bytes): key-value blocks with text, confidences and bounding boxes."""
    rnd = random.Random(size)
    doc: dict = {"taskObject": f"s3://bench-input/documents/{rnd.randrange(10**9):09d}.png", "blocks": []}
    while len(json.dumps(doc, separators=(",", ":"))) < size:
        doc["blocks"].append({
            "id": f"{rnd.getrandbits(64):016x}", "type": rnd.choice(("KEY", "VALUE", "LINE")),
            "text": " ".join(rnd.choice(_WORDS) for _ in range(rnd.randint(1, 6))),
            "confidence": round(rnd.uniform(80, 100), 2),
            "bbox": [round(rnd.random(), 4) for _ in range(4)], "page": 1 + len(doc["blocks"]) // 40})
    while True:  # drop blocks until the document fits, then pad the last text to the exact size
        text = json.dumps(doc, separators=(",", ":"))
        if len(text) <= size - 2 or not doc["blocks"]:
            break
        doc["blocks"].pop()
    doc["note"] = ""
    short = size - len(json.dumps(doc, separators=(",", ":")))
    doc["note"] = " ".join(rnd.choice(_WORDS) for _ in range(short))[:short]
    text = json.dumps(doc, separators=(",", ":"))
    assert len(text) == size, (len(text), size)
    return text
# the 100 KB input would need 2 GB for 20,000 loops; fewer loops measure the same per-loop figure
MAX_INPUT_BYTES_PER_REPEAT = 200 * 1024 * 1024
WARM_LOOPS = 200


def _loops_for(size: int, n: int) -> int:
    return max(100, min(n, MAX_INPUT_BYTES_PER_REPEAT // size))


def run_b6(cfg: dict, shared: dict) -> Result:
    n, reps = cfg["loops"], cfg["repeats"]
    sizes = cfg.get("sizes", SIZES)
    counts = ", ".join(f"{_loops_for(s, n):,} loops at {s:,} B" for s in sizes)
    res = Result("B6", "Redis memory per loop (InputContent 200 B – 100 KB)",
                 METHOD.format(sizes=", ".join(f"{s:,} B" for s in sizes), n=counts))
    # the shipped deploy/redis.conf (its memory settings, e.g. hash-max-listpack-value, decide the
    # encoding of the loop hash) with persistence off, so no AOF buffer is counted in used_memory
    redis = h.Redis("shipped", extra=["--appendonly", "no"])
    procs = [redis]
    try:
        env = h.service_env(redis.url(0), 0)
        g = h.Gunicorn(env)
        procs.append(g)
        flow = h.create_flow(g.url, "bench-mem")
        g.stop()
        r = redis.client(0)
        ctx = context_for(redis.client(0))
        # warm-up: the first loops also create the team's queue and indexes and load the scripts (a
        # one-off cost that would otherwise be charged to the first size measured)
        warm = [f"warm-{i}" for i in range(WARM_LOOPS)]
        for name in warm:
            loops.start_human_loop(ctx, {"FlowDefinitionArn": ctx.arns.flow_definition(flow["flow"]),
                                         "HumanLoopInput": {"InputContent": realistic_input(200)},
                                         "HumanLoopName": name})
        while ctx.store.loops.route_pending(flow["team"], 1000):
            pass
        routed_total = len(warm)
        for size in sizes:
            content = realistic_input(size)
            count = _loops_for(size, n)
            req = {"FlowDefinitionArn": ctx.arns.flow_definition(flow["flow"]),
                   "HumanLoopInput": {"InputContent": content}}
            per_loop, sample_key = [], None
            for rep in range(reps):
                r.execute_command("MEMORY", "PURGE")
                before = r.info("memory")["used_memory"]
                for start in range(0, count, 1000):
                    names = [f"m{size}-{rep}-{i}" for i in range(start, min(count, start + 1000))]
                    for name in names:  # the service's own StartHumanLoop code, one loop at a time
                        loops.start_human_loop(ctx, dict(req, HumanLoopName=name))
                    # the route drain's own script, a batch at a time (a no-op as shipped: the starts routed)
                    while ctx.store.loops.route_pending(flow["team"], 1000):
                        pass
                after = r.info("memory")["used_memory"]
                per_loop.append((after - before) / count)
                sample_key = keys.loop(flow["team"], f"m{size}-{rep}-0")
            routed_total += count * reps
            if r.zcard(keys.outbox_route(flow["team"])) != 0 or \
                    int(r.hget(keys.team_stats(flow["team"]), "queued") or 0) != routed_total:
                raise RuntimeError("loops were not all routed")
            st = stat(per_loop)
            over = stat([x - len(content) for x in per_loop])
            res.rows.append(Row(f"memory per started+routed loop, {size:,} B input", st.fmt(" B", 0),
                                f"{len(content):,} B (InputContent)",
                                stat([x / len(content) for x in per_loop]).fmt("×", 2), "≤ InputContent + 1,024 B",
                                over.median <= 1024, f"{over.fmt(' B', 0)} above the InputContent"))
            usage = r.memory_usage(sample_key, samples=0)
            enc = r.object("encoding", sample_key)
            fields = r.hlen(sample_key)
            cfg_max = int(r.config_get("hash-max-listpack-value").get("hash-max-listpack-value"))
            longest = max((len(v) for v in r.hvals(sample_key)), default=0)
            fits = "every value fits the listpack limit" if longest <= cfg_max else \
                f"its longest value ({longest:,} B) exceeds `hash-max-listpack-value` {cfg_max}"
            input_key = keys.loop_input(flow["team"], f"m{size}-{reps - 1}-0")
            stored = r.get(input_key)
            where = "inline in the hash" if stored is None else (
                f"its own key, {'compressed' if stored.startswith(COMPRESSED) else 'as it is'}: "
                f"{len(stored):,} B stored, `MEMORY USAGE` {r.memory_usage(input_key, samples=0):,} B")
            res.details.append(f"{size:,} B input: one loop hash (`MEMORY USAGE`) {usage:,} B, {fields} fields, "
                               f"encoding `{enc}` ({fits}); input {where}; the rest is the name reservation, "
                               f"index entries (flow index, expiry, queue) and the keyspace dictionary.")
            if size == 200:
                shared["b6_hash_bytes"] = usage
        res.details.append(f"{reps} repeats per size; {counts}.")
    finally:
        for p in reversed(procs):
            p.stop()
    return res
