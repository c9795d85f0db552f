"""B2: StartHumanLoop -> assignment claimable, against a Celery round trip of an empty task."""

from __future__ import annotations

import json
import time
from pathlib import Path

from bench import harness as h
from hitl_service.store import keys
from bench.report import Result, Row, ratios, stat

METHOD = """
**What:** time from writing a signed `StartHumanLoop` request on the socket to the moment its
assignment is on the team queue (claimable), at light load and at 500 starts/s. Everything as
shipped: gunicorn, `celery worker --concurrency 4` (prefork) and beat, Redis with `deploy/redis.conf`.
The worker is started as `celery -A bench.celery_probe worker ...`: the shipped app plus one extra
task for the baseline.
**How it is observed:** the benchmark's Redis has `notify-keyspace-events Eh`; an observer process
(`bench/observer.py`) subscribed to HSET key-events stamps each loop key's HSETs with
`time.monotonic_ns()` (CLOCK_MONOTONIC, shared by all processes). The 2nd HSET of the loop key
(`keys.loop(team, name)`) is the one the figure uses. As shipped since issue 17 the start script
routes the loop itself (`HITL_ROUTE_INLINE`), so both HSETs come from the start script, which also
ZADDs the assignment to the queue: the loop is claimable when that script has run. With routing
inline off, the 2nd is the route drain's `route_items.lua` script (`hitl.route_pending_loops`, a
batch of up to `HITL_ROUTE_BATCH_SIZE` loops per call).
**Load:** `bench/loadgen.py http-rate`, an asyncio client with 32 keep-alive connections that sends
pre-signed requests on a fixed schedule (open loop) and records when each was written.
**Baseline:** the Celery round trip of an empty task: `send_task('bench.ping')` from a separate process
on the same schedule, to the same worker, whose task body is one HSET seen by the same observer.
"""


def _settle(r, broker, timeout: float = 60.0, team: str = "") -> None:
    t0 = time.monotonic()
    while time.monotonic() - t0 < timeout:
        if r.zcard(keys.outbox_route(team)) == 0 and broker.llen("hitl") == 0:
            break
        time.sleep(0.05)
    time.sleep(0.3)


def run_b2(cfg: dict, shared: dict) -> Result:
    res = Result("B2", "StartHumanLoop → assignment claimable (p50, p99)", METHOD)
    redis = h.Redis("shipped")
    procs = [redis]
    try:
        r, broker = redis.client(0), redis.client(1)
        r.config_set("notify-keyspace-events", "Eh")
        env = h.service_env(redis.url(0), 0)
        svc = h.Gunicorn(env)
        procs.append(svc)
        worker = h.CeleryWorker(env, app="bench.celery_probe")
        procs.append(worker)
        procs.append(h.CeleryBeat(env))
        flow = h.create_flow(svc.url, "bench-b2")
        d = h.tmpdir("observer")
        out, ready = str(Path(d, "seen.json")), str(Path(d, "ready"))
        obs = h.Proc("observer", [h.PY, "-m", "bench.observer", redis.url(0), out, ready])
        procs.append(obs)
        t0 = time.monotonic()
        while not Path(ready).exists():
            if time.monotonic() - t0 > 20 or not obs.alive():
                raise RuntimeError("observer did not start:\n" + obs.output())
            time.sleep(0.05)
        content = h.input_content(200)
        common = {"port": svc.port, "akid": h.ACCESS_KEY, "secret": h.SECRET_KEY, "flow_arn": flow["flow_arn"],
                  "content": content, "connections": 32}
        cel = {"redis_url": redis.url(0), "broker_url": redis.url(1)}
        loads = [("light", cfg["light_rate"], cfg["light_count"]), ("500/s", cfg["heavy_rate"], cfg["heavy_count"])]
        # warm-up: connections, imports, worker processes
        h.run_loadgen("http-rate", dict(common, prefix="warm", count=20, rate=20), 60)
        h.run_loadgen("celery-rate", dict(cel, prefix="warm", count=20, rate=20), 60)
        _settle(r, broker, team=flow["team"])
        runs = []  # (load, kind, prefix, result)
        for rep in range(cfg["repeats"]):
            for load, rate, count in loads:
                order = ("base", "svc") if rep % 2 == 0 else ("svc", "base")
                for kind in order:
                    prefix = f"r{rep}-{load[0]}-{kind}"
                    timeout = count / rate + 120
                    if kind == "svc":
                        out_r = h.run_loadgen("http-rate", dict(common, prefix=prefix, count=count, rate=rate), timeout)
                    else:
                        out_r = h.run_loadgen("celery-rate", dict(cel, prefix=prefix, count=count, rate=rate), timeout)
                    _settle(r, broker, team=flow["team"])
                    runs.append((rep, load, kind, out_r))
        obs.stop()
        seen = json.loads(Path(out).read_text())
        lat: dict = {}
        lost: dict = {}
        achieved: dict = {}
        statuses: dict = {}
        for rep, load, kind, out_r in runs:
            vals = []
            miss = 0
            for name, t_send in out_r["sent"].items():
                times = seen.get(keys.loop(flow["team"], name) if kind == "svc" else f"bench:ping:{name}")
                idx = 1 if kind == "svc" else 0
                if not times or len(times) <= idx:
                    miss += 1
                    continue
                vals.append((times[idx] - t_send) / 1e6)
            lat.setdefault((load, kind), []).append(vals)
            lost[(load, kind)] = lost.get((load, kind), 0) + miss
            achieved.setdefault((load, kind), []).append(out_r["achieved_rate"])
            for k, v in out_r.get("statuses", {}).items():
                statuses[k] = statuses.get(k, 0) + v
        for load, rate, _ in loads:
            sv, bv = lat[(load, "svc")], lat[(load, "base")]
            reached = stat(achieved[(load, "svc")]).median >= 0.95 * rate
            note = "" if reached else (f"the start rate reached only {stat(achieved[(load, 'svc')]).fmt('/s')} of "
                                       f"{rate}/s: latency is from the moment a request was written, so the "
                                       f"figure understates what a 500/s client would see")
            s50, b50 = [h.percentile(v, 50) for v in sv], [h.percentile(v, 50) for v in bv]
            s99, b99 = [h.percentile(v, 99) for v in sv], [h.percentile(v, 99) for v in bv]
            p50, p99 = stat(s50), stat(s99)
            res.rows.append(Row(f"{load}: p50 start → claimable", p50.fmt(" ms"), stat(b50).fmt(" ms"),
                                ratios(s50, b50).fmt("", 2), "p50 ≤ 5 ms", p50.median <= 5 and reached, note))
            res.rows.append(Row(f"{load}: p99 start → claimable", p99.fmt(" ms"), stat(b99).fmt(" ms"),
                                ratios(s99, b99).fmt("", 2), "p99 ≤ 25 ms", p99.median <= 25 and reached, note))
            res.details.append(
                f"{load}: {len(sv)} repeats × {len(sv[0]) if sv else 0} loops; achieved start rate "
                f"{stat(achieved[(load, 'svc')]).fmt('/s')}, ping rate {stat(achieved[(load, 'base')]).fmt('/s')}; "
                f"not observed: {lost[(load, 'svc')]} loops, {lost[(load, 'base')]} pings.")
        res.details.append(f"HTTP statuses of the starts: {statuses}.")
    finally:
        for p in reversed(procs):
            p.stop()
    return res
