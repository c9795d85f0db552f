"""What-if measurements behind the proposed fixes in docs/benchmarks.md: ``python -m bench.experiments``.

Not part of `make bench`. Each experiment changes one thing *in the benchmark's own processes*
(environment, command-line flags, a monkeypatched dispatcher in bench/exp_inline_app.py) and measures
it against the shipped configuration in the same run, alternating, like the benchmarks do.

  E1  StartHumanLoop: shipped vs. quiet logs vs. routing inside the request vs. both   (B1, B2, B3)
  E2  Celery worker throughput for an empty task: prefork/INFO (shipped), prefork/WARNING, threads  (B2, B3, B7)
  E3  Redis memory per loop with hash-max-listpack-value 512                       (B6)
"""

from __future__ import annotations

import statistics
import sys
import time

from bench import harness as h
from bench.b_api import _check_signed, _pool
from bench.signer import Signer


def e1(duration: float = 10, repeats: int = 3) -> list[str]:
    redis = h.Redis("shipped")
    procs = [redis]
    out = ["### E1: StartHumanLoop, 32 connections (wrk, as B1), gunicorn CPU per request", "",
           "| variant | req/s | p99 | gunicorn CPU/request | light-load response p50 / p99 |", "|---|---|---|---|---|"]
    try:
        variants = {}
        for i, (label, app, log_level, access) in enumerate([
                ("shipped", "hitl_service.wsgi:app", "INFO", None),
                ("logs: HITL_LOG_LEVEL=WARNING", "hitl_service.wsgi:app", "WARNING", None),
                ("route inside the request (no Celery publish)", "bench.exp_inline_app:app", "INFO", None),
                ("both", "bench.exp_inline_app:app", "WARNING", None),
                ("baseline: bare Flask endpoint", "bench.baseline_app:app", "INFO", None)]):
            env = h.service_env(redis.url(2 * i), 0, HITL_LOG_LEVEL=log_level)
            g = h.Gunicorn(env, app=app, name=f"gunicorn-e1-{i}", access_log=access)
            procs.append(g)
            variants[label] = g
        shipped = variants["shipped"]
        # one flow per database (each variant has its own db), created through the shipped API of that db
        flows = {}
        for i, (label, g) in enumerate(variants.items()):
            if label.startswith("baseline"):
                flows[label] = flows["shipped"]
                continue
            flows[label] = h.create_flow(g.url, f"e1-{i}")
            _check_signed(g, Signer(h.ACCESS_KEY, h.SECRET_KEY, g.host), flows[label]["flow_arn"],
                          h.input_content(200), f"chk-{i}")
        del shipped
        results = {k: [] for k in variants}
        seq = 0
        for rep in range(repeats):
            for label, g in variants.items():
                seq += 1
                signer = Signer(h.ACCESS_KEY, h.SECRET_KEY, g.host)
                pool = _pool(signer, flows[label]["flow_arn"], f"e{seq}", int(3000 * duration), h.input_content(200))
                meter = h.CpuMeter({"api": g.proc}).start()
                w = h.run_wrk(g.url, pool, connections=32, duration=duration)
                cpu = meter.stop()["api"]
                results[label].append((w.rps, w.p99_ms, 1000 * cpu / max(1, w.requests)))
        light = {}
        for label, g in variants.items():
            if label.startswith("baseline"):
                continue
            r = h.run_loadgen("http-rate", {"port": g.port, "akid": h.ACCESS_KEY, "secret": h.SECRET_KEY,
                                            "flow_arn": flows[label]["flow_arn"], "content": h.input_content(200),
                                            "connections": 4, "prefix": "light", "count": 200, "rate": 20}, 120)
            light[label] = (h.percentile(r["resp_ms"], 50), h.percentile(r["resp_ms"], 99))
        for label, rows in results.items():
            med = [statistics.median(x[i] for x in rows) for i in range(3)]
            lt = light.get(label)
            lts = f"{lt[0]:.1f} / {lt[1]:.1f} ms" if lt else "–"
            out.append(f"| {label} | {med[0]:,.0f} | {med[1]:.0f} ms | {med[2]:.2f} ms | {lts} |")
        out.append("")
        out.append(f"Medians of {repeats} runs × {duration:.0f} s per variant, variants interleaved.")
    finally:
        for p in reversed(procs):
            p.stop()
    return out


def e2(count: int = 3000) -> list[str]:
    out = ["### E2: Celery worker, empty task (`bench.ping`), {count} tasks sent as fast as possible".format(count=count),
           "", "| worker | tasks/s | worker CPU per task |", "|---|---|---|"]
    for label, extra, level in [("prefork, concurrency 4, --loglevel INFO (shipped)", [], None),
                                ("prefork, concurrency 4, --loglevel WARNING", [], "WARNING"),
                                ("threads pool, concurrency 8, --loglevel WARNING",
                                 ["--pool", "threads", "--concurrency", "8"], "WARNING")]:
        redis = h.Redis("shipped")
        try:
            env = h.service_env(redis.url(0), 0)
            w = h.CeleryWorker(env, app="bench.celery_probe", extra=extra, loglevel=level)
            r = redis.client(0)
            cel = {"redis_url": redis.url(0), "broker_url": redis.url(1)}
            h.run_loadgen("celery-rate", dict(cel, prefix="warm", count=20, rate=100), 60)
            t0 = time.monotonic()
            while r.dbsize() < 21 and time.monotonic() - t0 < 60:
                time.sleep(0.05)
            meter = h.CpuMeter({"worker": w.proc}).start()
            t0 = time.monotonic()
            h.run_loadgen("celery-rate", dict(cel, prefix="x", count=count, rate=100000), 120)
            while r.dbsize() < count + 21 and time.monotonic() - t0 < 300:
                time.sleep(0.05)
            elapsed = time.monotonic() - t0
            cpu = meter.stop()["worker"]
            out.append(f"| {label} | {count / elapsed:,.0f} | {1000 * cpu / count:.2f} ms |")
            w.stop()
        finally:
            redis.stop()
    out.append("")
    out.append("Rate = tasks executed / time from the first send to the last execution (sending included).")
    return out


def e3(loops: int = 20000) -> list[str]:
    from bench.b_memory import run_b6
    import bench.harness as hh

    out = ["### E3: Redis memory per loop (as B6) with `hash-max-listpack-value`", "",
           "| setting | bytes per loop | one loop hash | encoding |", "|---|---|---|---|"]
    orig = hh.Redis
    for value in (None, 512):
        class R(orig):  # noqa: N801 - a one-off subclass with the extra setting
            def __init__(self, mode="shipped", extra=None):
                super().__init__(mode, (extra or []) + (["--hash-max-listpack-value", str(value)] if value else []))
        hh.Redis = R
        try:
            shared: dict = {}
            res = run_b6({"loops": loops, "repeats": 2}, shared)
        finally:
            hh.Redis = orig
        row = res.rows[0]
        enc = next((d for d in res.details if "encoding" in d), "")
        out.append(f"| {value or '64 (default, shipped)'} | {row.value} | {shared.get('b6_hash_bytes')} B | "
                   f"{enc.split('encoding ')[-1].split(';')[0] if enc else '?'} |")
    return out


def main() -> int:
    which = sys.argv[1:] or ["E1", "E2", "E3"]
    h.install_signal_handlers()
    lines = [f"Experiments run {time.strftime('%Y-%m-%d %H:%M')} (load average {h.machine_info().load_before[0]:.1f})", ""]
    try:
        for key in which:
            h.log(f"experiment {key}")
            lines += {"E1": e1, "E2": e2, "E3": e3}[key.upper()]() + [""]
            print("\n".join(lines), flush=True)
    finally:
        h.stop_all()
    return 0


if __name__ == "__main__":
    sys.exit(main())
