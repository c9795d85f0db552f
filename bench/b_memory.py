"""B6: Redis memory per loop with a 200-byte InputContent."""

from __future__ import annotations

from bench import harness as h
from bench.fill import context_for
from bench.report import Result, Row, stat
from hitl_service.services import loops
from hitl_service.store import keys

METHOD = """
**What:** Redis memory per human loop that is started and routed (waiting in its team's queue, the
state a loop spends most of its life in), with a 200-byte InputContent. Each repeat starts {n:,} loops
with the service's own StartHumanLoop code (`services.loops.start_human_loop`, which runs the
`START_HUMAN_LOOP` script) and routes them with `ENQUEUE_ASSIGNMENTS` (the per-loop body of the route drain), on a
fresh redis-server with the shipped `deploy/redis.conf` (its memory settings) but persistence off; the figure is the `INFO memory` `used_memory` delta divided by the number of loops. This
includes the loop hash, its entries in the flow index, the expiry index and the team queue, and the
main dictionary's share.
**Baseline:** the size of the InputContent itself (200 bytes); target: at most 1 KiB above it.
"""


def run_b6(cfg: dict, shared: dict) -> Result:
    n, reps = cfg["loops"], cfg["repeats"]
    res = Result("B6", "Redis memory per loop (200-byte InputContent)", METHOD.format(n=n))
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
        content = h.input_content(200)
        req = {"FlowDefinitionArn": ctx.arns.flow_definition(flow["flow"]), "HumanLoopInput": {"InputContent": content}}
        per_loop, sample_key = [], None
        for rep in range(reps):
            r.execute_command("MEMORY", "PURGE")
            before = r.info("memory")["used_memory"]
            for start in range(0, n, 1000):
                names = [f"m{rep}-{i}" for i in range(start, min(n, start + 1000))]
                for name in names:  # the service's own StartHumanLoop code, one loop at a time
                    loops.start_human_loop(ctx, dict(req, HumanLoopName=name))
                # the route drain's own script, a batch at a time (as hitl.route_pending_loops runs it)
                while ctx.store.loops.route_pending(flow["team"], 1000):
                    pass
            after = r.info("memory")["used_memory"]
            per_loop.append((after - before) / n)
            sample_key = keys.loop(flow["team"], f"m{rep}-0")
        if r.zcard(keys.outbox_route(flow["team"])) != 0 or \
                int(r.hget(keys.team_stats(flow["team"]), "queued") or 0) != n * reps:
            raise RuntimeError("loops were not all routed")
        st = stat(per_loop)
        over = stat([x - len(content) for x in per_loop])
        res.rows.append(Row("memory per started+routed loop", st.fmt(" B", 0), f"{len(content)} B (InputContent)",
                            stat([x / len(content) for x in per_loop]).fmt("×", 1), "≤ InputContent + 1,024 B",
                            over.median <= 1024, f"{over.fmt(' B', 0)} above the InputContent"))
        usage = r.memory_usage(sample_key, samples=0)
        enc = r.object("encoding", sample_key)
        fields = r.hlen(sample_key)
        res.details.append(f"One loop hash (`MEMORY USAGE`): {usage} B, {fields} fields, encoding `{enc}`; "
                           f"the rest is index entries (flow index, expiry, queue) and the keyspace dictionary.")
        cfg_max = r.config_get("hash-max-listpack-value").get("hash-max-listpack-value")
        longest = max((len(v) for v in r.hvals(sample_key)), default=0)
        fits = "every value fits, so the loop hash stays a listpack" if longest <= int(cfg_max) else \
            f"the longest value ({longest} B) is longer, so the loop hash is a hashtable"
        res.details.append(f"Redis `hash-max-listpack-value` is {cfg_max} (as set by the shipped deploy/redis.conf); "
                           f"{fits}.")
        res.details.append(f"{reps} repeats × {n:,} loops.")
        shared["b6_hash_bytes"] = usage
    finally:
        for p in reversed(procs):
            p.stop()
    return res
