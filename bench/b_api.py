"""B1 (StartHumanLoop throughput and latency) and B3 (sustained started-and-routed loops/s)."""

from __future__ import annotations

from hitl_service.store import keys

import time
from pathlib import Path

from bench import harness as h
from bench.report import Result, Row, ratios, stat
from bench.signer import Signer

B1_METHOD = """
**What:** `StartHumanLoop` requests/s and latency with 32 keep-alive connections against the API as
shipped (`gunicorn --worker-class gthread --workers 2 --threads 8`, no gunicorn access log, the command
in `hitl_service/launcher.py`, bound to 127.0.0.1), Redis with the shipped `deploy/redis.conf` (AOF
everysec), log level INFO (the per-request line is DEBUG since issue 17), and the Celery worker and beat
running exactly as shipped, as in production, on the same 2 cores. Since issue 17 the start script
routes the loop itself (`HITL_ROUTE_INLINE`, on by default), so a start publishes nothing and the
worker only runs beat's sweeps; with it off, the start that finds no drain under way publishes one
`hitl.route_pending_loops` task. The CPU column counts the API's processes only.
**Baseline:** a bare Flask endpoint (`bench/baseline_app.py`) under the same gunicorn command that
parses the same JSON body and does one Redis pipeline (HSET + ZADD).
**Load:** `wrk -t1 -c32` with `bench/wrk_pool.lua`. SigV4 signatures cover the date and the body, and
every loop needs a unique name, so right before each run Python signs a pool of unique requests
(`bench/signer.py`, checked against the service's verifier first) and wrk sends each exactly once
(the pool is sized from a warm-up run at 2x the expected count; `wrapped` > 0 would mean requests were
repeated). Baseline and service runs alternate; each repeat is one baseline run and one service run.
"""

B3_METHOD = """
**What:** loops started *and* routed per second, sustained, with everything on the same 2 cores: the
API (as in B1), the Celery worker and beat exactly as shipped (`celery worker --concurrency 4`, prefork,
`--loglevel INFO`), redis-server (shipped config) and the load generator (`wrk -t1 -c32`, pre-signed
pool as in B1). A sampler reads `hitl:stats:queued` (assignments routed onto the team queue; TaskCount
is 1 and nobody claims) and the route backlog `ZCARD hitl:outbox:route` (stored but not yet routed,
the `hitl_route_backlog` metric; it stays empty as shipped, where the start script routes the loop
itself and the drain is only the fallback) every 0.5 s. The rate is routed assignments over the run after a
2 s warm-up; "backlog does not grow" is the least-squares slope of the backlog over the same window,
required to be under 2 % of the start rate. After the load stops the drain time of the backlog is
recorded.
**Baseline:** B1's baseline (bare Flask endpoint, same gunicorn command, `wrk -c32`), measured in this
run (reused from B1 when B1 ran).
"""


def _pool(signer: Signer, flow_arn: str, prefix: str, count: int, content: str) -> str:
    path = str(Path(h.tmpdir("pool"), "pool"))
    names = [f"{prefix}-{i}" for i in range(count)]
    h.presign_pool(path, signer, flow_arn, names, content, threads=1)
    return path


def _check_signed(gun: h.Gunicorn, signer: Signer, flow_arn: str, content: str, name: str) -> None:
    """One request with the bench signer must be accepted (the pool would be useless otherwise)."""
    import urllib.request

    body = h.start_body(name, flow_arn, content)
    headers = signer.sign("POST", "/human-loops", body=body)
    req = urllib.request.Request(f"{gun.url}/human-loops", data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            assert r.status == 200, r.status
    except urllib.error.HTTPError as exc:
        raise RuntimeError(f"signed StartHumanLoop refused: {exc.code} {exc.read()[:300]!r}") from None


class ApiPair:
    """The store (one Redis, shipped config, or a cluster) + the service's gunicorn + the baseline gunicorn
    (on a database of the single Redis; none with a cluster store), and a flow."""

    def __init__(self, with_workers: bool = False, engine: str = "single"):
        self.engine = h.store_engine(engine)
        self.redis = getattr(self.engine, "redis", None)
        self.svc = self.base = self.worker = self.beat = None
        try:
            env = h.service_env(self.engine.url, 0, **self.engine.env())
            self.svc = h.Gunicorn(env)
            if self.redis is not None:
                benv = h.service_env(self.redis.url(2), 0)
                self.base = h.Gunicorn(benv, app="bench.baseline_app:app", name="gunicorn-baseline")
                self.sign_base = Signer(h.ACCESS_KEY, h.SECRET_KEY, self.base.host)
            self.flow = h.create_flow(self.svc.url, "bench-api")
            self.content = h.input_content(200)
            self.sign_svc = Signer(h.ACCESS_KEY, h.SECRET_KEY, self.svc.host)
            _check_signed(self.svc, self.sign_svc, self.flow["flow_arn"], self.content, "signer-check")
            self.env = env
            if with_workers:
                self.worker = h.CeleryWorker(env)
                self.beat = h.CeleryBeat(env)
        except BaseException:
            self.stop()
            raise
        self.seq = 0

    def wrk(self, which: str, duration: float, expected_rps: float, connections: int = 32) -> h.WrkResult:
        gun, signer = (self.svc, self.sign_svc) if which == "svc" else (self.base, self.sign_base)
        self.seq += 1
        count = int(max(1000, expected_rps * duration * 2))
        pool = _pool(signer, self.flow["flow_arn"], f"{which}-{self.seq}", count, self.content)
        groups = {"api": gun.proc, **self.engine.groups()}
        if self.worker is not None:
            groups.update({"worker": self.worker.proc, "beat": self.beat.proc})
        meter = h.CpuMeter(groups).start()
        res = h.run_wrk(gun.url, pool, connections=connections, duration=duration)
        res.cpu = meter.stop()
        res.cpu["wrk"] = res.cpu.pop("reaped children (load generator)")
        for p in Path(pool).parent.glob("pool.*"):
            p.unlink()
        return res

    def stop(self) -> None:
        for p in (self.beat, self.worker, self.base, self.svc, self.engine):
            if p is not None:
                p.stop()


def baseline_runs(pair: ApiPair, repeats: int, duration: float) -> list[h.WrkResult]:
    warm = pair.wrk("base", min(2.0, duration), 3000)
    return [pair.wrk("base", duration, max(warm.rps, 500)) for _ in range(repeats)]


def run_b1(cfg: dict, shared: dict) -> Result:
    res = Result("B1", "StartHumanLoop throughput and latency, 32 connections", B1_METHOD)
    pair = ApiPair(with_workers=True)
    try:
        dur, reps = cfg["duration"], cfg["repeats"]
        warm_b = pair.wrk("base", min(2.0, dur), 3000)
        warm_s = pair.wrk("svc", min(2.0, dur), 3000)
        base_runs, svc_runs = [], []
        for i in range(reps):
            order = ("base", "svc") if i % 2 == 0 else ("svc", "base")
            for which in order:
                if which == "base":
                    base_runs.append(pair.wrk("base", dur, max(warm_b.rps, 500)))
                else:
                    svc_runs.append(pair.wrk("svc", dur, max(warm_s.rps, 500)))
        shared["b1_baseline_rps"] = [r.rps for r in base_runs]
        s_rps, b_rps = [r.rps for r in svc_runs], [r.rps for r in base_runs]
        s_p99, b_p99 = [r.p99_ms for r in svc_runs], [r.p99_ms for r in base_runs]
        r_rps = ratios(s_rps, b_rps)
        res.rows.append(Row("requests/s (32 connections)", stat(s_rps).fmt(" req/s"), stat(b_rps).fmt(" req/s"),
                            r_rps.fmt("", 2), "ratio ≥ 0.7", r_rps.median >= 0.7))
        p99 = stat(s_p99)
        res.rows.append(Row("p99 latency", p99.fmt(" ms"), stat(b_p99).fmt(" ms"), ratios(s_p99, b_p99).fmt("", 2),
                            "p99 ≤ 50 ms", p99.median <= 50))
        res.rows.append(Row("p50 latency", stat([r.p50_ms for r in svc_runs]).fmt(" ms"),
                            stat([r.p50_ms for r in base_runs]).fmt(" ms"),
                            ratios([r.p50_ms for r in svc_runs], [r.p50_ms for r in base_runs]).fmt("", 2), "–", None))
        s_cpu = [1000 * r.cpu["api"] / max(1, r.requests) for r in svc_runs]
        b_cpu = [1000 * r.cpu["api"] / max(1, r.requests) for r in base_runs]
        res.rows.append(Row("gunicorn CPU per request", stat(s_cpu).fmt(" ms"), stat(b_cpu).fmt(" ms"),
                            ratios(s_cpu, b_cpu).fmt("", 2), "–", None,
                            "user+system CPU of the gunicorn processes / requests: hardly affected by other load"))
        errs = sum(r.non2xx + r.errors.get("timeout", 0) + r.errors.get("connect", 0) for r in svc_runs)
        wrapped = sum(r.wrapped for r in svc_runs + base_runs)
        res.details.append(f"{reps} repeats × {dur:.0f} s per side; service requests {sum(r.requests for r in svc_runs):,}, "
                           f"errors/non-2xx {errs}; pool wrap-arounds {wrapped}.")
        res.details.append("Per run (service): " + ", ".join(f"{r.rps:,.0f} req/s p99 {r.p99_ms:.1f} ms"
                                                            for r in svc_runs) + ".")
        res.details.append("Per run (baseline): " + ", ".join(f"{r.rps:,.0f} req/s p99 {r.p99_ms:.1f} ms"
                                                             for r in base_runs) + ".")
    finally:
        pair.stop()
    return res


def run_b3(cfg: dict, shared: dict) -> Result:
    res = Result("B3", "Sustained started-and-routed loops/s (API + workers + load on 2 cores)", B3_METHOD)
    pair = ApiPair(with_workers=True)
    try:
        dur, reps = cfg["duration"], cfg["repeats"]
        if shared.get("b1_baseline_rps"):
            base_rps = shared["b1_baseline_rps"]
            res.details.append("Baseline taken from B1 in this run.")
        else:
            base_rps = [r.rps for r in baseline_runs(pair, reps, min(dur, cfg.get("baseline_duration", dur)))]
        warm_rps = b3_warm(pair, dur)
        runs = [b3_once(pair, dur, warm_rps) for _ in range(reps)]
        rates = [r["rate"] for r in runs]
        rr = stat(rates)
        res.rows.append(Row("started-and-routed loops/s", rr.fmt(" loops/s"), stat(base_rps).fmt(" req/s"),
                            ratios(rates, base_rps).fmt("", 2), "≥ 1,200 loops/s", rr.median >= 1200))
        res.rows.append(b3_backlog_row(runs))
        res.details.append(cpu_breakdown([r["cpu"] for r in runs], "started loop"))
        res.details.append(f"{reps} repeats × {dur:.0f} s. StartHumanLoop rate during the runs: "
                           f"{stat([r['start_rate'] for r in runs]).fmt(' req/s')}, "
                           f"wrk p99 {stat([r['p99'] for r in runs]).fmt(' ms')}.")
    finally:
        pair.stop()
    return res


def _b3_sampler(pair: ApiPair):
    r = pair.engine.client()
    broker = pair.engine.broker_client()
    team = pair.flow["team"]

    def sample():
        # both keys carry the team's hash tag: one pipeline, also on a cluster
        pipe = r.pipeline(transaction=False)
        pipe.hget(keys.team_stats(team), "queued")
        pipe.zcard(keys.outbox_route(team))
        routed, backlog = pipe.execute()
        return int(routed or 0), int(backlog), broker.llen("hitl")

    return sample


def b3_warm(pair: ApiPair, dur: float) -> float:
    """An untimed warm-up run (sizes the request pool); returns its request rate once the backlog drained."""
    warm = pair.wrk("svc", min(3.0, dur), 2000)
    _drain(_b3_sampler(pair), 60)
    return warm.rps


def b3_once(pair: ApiPair, dur: float, warm_rps: float) -> dict:
    """One measured B3 run: routed rate after a 2 s warm-up, backlog slope and drain time, CPU per loop."""
    sample = _b3_sampler(pair)
    s = h.Sampler(sample, 0.5)
    s.start()
    w = pair.wrk("svc", dur, max(warm_rps, 300))
    samples = s.stop()
    drain_s = _drain(sample, 120)
    t0 = samples[0][0] + 2.0
    window = [(t, v) for t, v in samples if t >= t0]
    if len(window) < 2:
        window = samples
    routed_rate = (window[-1][1][0] - window[0][1][0]) / max(1e-6, window[-1][0] - window[0][0])
    cpu = dict(w.cpu)
    cpu["loops"] = w.requests - w.non2xx
    return {"rate": routed_rate, "slope": h.slope([(t, v[1]) for t, v in window]), "drain": drain_s,
            "start_rate": w.rps, "backlog_max": max(v[1] for _, v in samples), "p99": w.p99_ms, "cpu": cpu}


def b3_backlog_row(runs: list[dict]) -> Row:
    """'route backlog growth': met when no run's backlog grew faster than 2 % of its start rate."""
    slopes = [r["slope"] for r in runs]
    grows = [r["slope"] > max(5.0, 0.02 * r["start_rate"]) for r in runs]
    return Row("route backlog growth", stat(slopes).fmt(" loops/s"), "–", "–",
               "does not grow (slope < 2 % of start rate)", not any(grows),
               f"max backlog {max(r['backlog_max'] for r in runs):,.0f}; drained in "
               f"{stat([r['drain'] for r in runs]).fmt(' s')} after load")


def _drain(sample, timeout: float) -> float:
    """Seconds until the route backlog is empty (or timeout)."""
    t0 = time.monotonic()
    while time.monotonic() - t0 < timeout:
        _, backlog, _ = sample()
        if backlog == 0:
            return time.monotonic() - t0
        time.sleep(0.1)
    return float("inf")


def cpu_breakdown(runs: list[dict], unit: str) -> str:
    """'CPU per loop: api 3.1 ms, worker 2.0 ms, ...' (median over runs), and the share of the 2 cores used."""
    keys = [k for k in runs[0] if k not in ("wall", "loops")]
    parts = []
    for k in keys:
        per = stat([1000 * r[k] / max(1, r["loops"]) for r in runs])
        parts.append(f"{k} {per.fmt(' ms')}")
    total = stat([1000 * sum(r[k] for k in keys) / max(1, r["loops"]) for r in runs])
    busy = stat([sum(r[k] for k in keys) / r["wall"] for r in runs])
    return (f"CPU time per {unit} (user+system, from /proc): " + ", ".join(parts) + f"; total {total.fmt(' ms')}. "
            f"These processes kept {busy.fmt(' cores', 2)} busy of the machine's 2 "
            f"(the rest went to other users of the machine or was idle).")
