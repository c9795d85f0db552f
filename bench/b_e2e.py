"""B7: end to end with reviewer bots, local output backend and S3 (moto server)."""

from __future__ import annotations

from hitl_service.store import keys

import time

from bench import harness as h
from bench.report import Result, Row, ratios, stat

METHOD = """
**What:** loops per second that go all the way: `StartHumanLoop` (SigV4; the start script routes the loop
onto the queue itself since issue 17) → a reviewer bot claims it through the review JSON API → submits an answer → batched finalize drain
(`finalize_pending_loops`, writes of a batch on 8 threads) writes `output.json` → the loop is
`Completed` (the status changes only after the output is written).
Everything as shipped on the same 2 cores: gunicorn, `celery worker --concurrency 4` (prefork),
beat, Redis (`deploy/redis.conf`), plus the load generator and, for S3, moto.
**Load:** one process (`bench/loadgen.py e2e`, asyncio) with {starters} starter connections and {bots}
bot connections (8 reviewer accounts, session cookies + CSRF; a bot that finds the queue empty waits
50 ms). It is a closed system: a starter waits while more than {window} loops are started but not yet
submitted, so the figure is the pipeline's capacity. The rate is the growth of `hitl:stats:loops`
`Completed` over the run after a {warm:.0f} s warm-up.
**Baseline (S3):** raw `boto3` `put_object` rate to the same moto server from 4 threads (the worker's
concurrency), {body}-byte bodies (the size of one `output.json` here), measured in the same repeat.
**Local backend:** the target is absolute (≥ 500 loops/s); the baseline column is the raw
`LocalDirectoryStorage.put` rate (4 threads, fsync + rename as the worker does), for reference.
"""


def _login(port: int, user: str, password: str) -> list[str]:
    """Log a bot in once: (session cookie, CSRF token, workerId) for the load generator."""
    import json
    import urllib.request

    req = urllib.request.Request(f"http://127.0.0.1:{port}/review/api/login", method="POST",
                                 data=json.dumps({"username": user, "password": password}).encode(),
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=30) as r:
        data = json.loads(r.read())
        cookie = next(c.split(";", 1)[0] for c in r.headers.get_all("Set-Cookie") if c.startswith("hitl_session="))
    return [cookie, data["csrfToken"], data["workerId"]]


class E2E:
    """The whole service on one store engine (``single`` as shipped, or ``cluster``), a flow and 8 bots."""

    def __init__(self, backend: str, engine: str = "single"):
        self.engine = h.store_engine(engine)
        self.procs = [self.engine]
        try:
            self._start(backend)
        except BaseException:
            self.stop()
            raise

    def _start(self, backend: str) -> None:
        self.moto = None
        self.data_dir = h.tmpdir("output")
        extra = {"HITL_OUTPUT_BACKEND": backend}
        if backend == "s3":
            self.moto = h.Moto()
            self.procs.append(self.moto)
            import boto3

            boto3.client("s3", endpoint_url=self.moto.url, region_name="us-east-1", aws_access_key_id="testing",
                         aws_secret_access_key="testing").create_bucket(Bucket="bench-output")
            extra.update({"HITL_S3_ENDPOINT_URL": self.moto.url, "HITL_S3_REGION": "us-east-1",
                          "HITL_S3_ACCESS_KEY_ID": "testing", "HITL_S3_SECRET_ACCESS_KEY": "testing"})
        env = h.service_env(self.engine.url, 0, data_dir=self.data_dir, **extra, **self.engine.env())
        self.gun = h.Gunicorn(env)
        self.procs.append(self.gun)
        self.worker = h.CeleryWorker(env)
        self.beat = h.CeleryBeat(env)
        self.procs += [self.worker, self.beat]
        self.groups = {"api": self.gun.proc, "worker": self.worker.proc, "beat": self.beat.proc,
                       **self.engine.groups()}
        if self.moto is not None:
            self.groups["moto"] = self.moto.proc
        self.flow = h.create_flow(self.gun.url, f"bench-e2e-{backend}", output="s3://bench-output/e2e")
        self.bots = h.add_bots(self.engine.url, "bots", 8)
        self.sessions = [_login(self.gun.port, u, p) for u, p in self.bots]
        self.r = self.engine.client()
        self.seq = 0
        self.done_before = 0

    def completed(self) -> int:
        return int(self.r.hget(keys.team_stats(self.flow["team"]), "loop:Completed") or 0)

    def run(self, duration: float, warm: float, starters: int, bots: int, window: int) -> dict:
        self.seq += 1
        sampler = h.Sampler(self.completed, 0.5)
        sampler.start()
        meter = h.CpuMeter(self.groups).start()
        out = h.run_loadgen("e2e", {"port": self.gun.port, "akid": h.ACCESS_KEY, "secret": h.SECRET_KEY,
                                    "flow_arn": self.flow["flow_arn"], "content": h.input_content(200),
                                    "bots": self.bots, "sessions": self.sessions, "starters": starters, "bot_conns": bots, "window": window,
                                    "duration": duration, "prefix": f"e{self.seq}"}, duration + 120)
        samples = sampler.stop()
        cpu = meter.stop()
        cpu["load generator"] = cpu.pop("reaped children (load generator)")
        cpu["loops"] = max(1, out["submitted"])
        out["finalize_backlog"] = self.r.zcard(keys.outbox_finalize(self.flow["team"]))
        out["completed_in_run"] = samples[-1][1] - samples[0][1]
        # samples before the load generator's clock started are flat; start the window at the first rise
        rise = next((i for i, (_, v) in enumerate(samples) if v > samples[0][1]), 0)
        t_first = samples[rise][0]
        window_s = [(t, v) for t, v in samples if t >= t_first + warm]
        if len(window_s) < 2:
            window_s = samples[rise:] if len(samples) - rise >= 2 else samples
        rate = (window_s[-1][1] - window_s[0][1]) / max(1e-6, window_s[-1][0] - window_s[0][0])
        # let every submitted loop get its output before the next run (loops started but never claimed
        # stay queued; the next run's bots take them first)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.r.zcard(keys.outbox_finalize(self.flow["team"])) == 0 and self.completed() >= self.done_before + out["submitted"]:
                break
            time.sleep(0.2)
        self.done_before = self.completed()
        out["rate"] = rate
        out["cpu"] = cpu
        return out

    def output_size(self) -> int:
        if self.moto is None:
            import pathlib

            files = list(pathlib.Path(self.data_dir).rglob("output.json"))
            return files[0].stat().st_size if files else 1500
        import boto3

        s3 = boto3.client("s3", endpoint_url=self.moto.url, region_name="us-east-1", aws_access_key_id="testing",
                          aws_secret_access_key="testing")
        objs = s3.list_objects_v2(Bucket="bench-output", Prefix="e2e/", MaxKeys=1).get("Contents", [])
        return objs[0]["Size"] if objs else 1500

    def stop(self) -> None:
        for p in reversed(self.procs):
            p.stop()


def run_line(label: str, o: dict) -> str:
    """One line on a B7 run: window rate, whole-run rates, what was left to finalize, errors."""
    e = o["elapsed"]
    return (f"{label} run: {o['rate']:.0f} completed/s in the window; over the whole {e:.0f} s: started "
            f"{o['started'] / e:.0f}/s, submitted {o['submitted'] / e:.0f}/s, completed {o['completed_in_run'] / e:.0f}/s; "
            f"waiting for finalize at the end: {o['finalize_backlog']}; empty claims {o['empty']}, errors "
            f"{o['errors'] + o['start_errors']}")


def run_b7(cfg: dict, shared: dict) -> Result:
    dur, warm, reps = cfg["duration"], cfg["warm"], cfg["repeats"]
    lg = dict(starters=cfg["starters"], bots=cfg["bots"], window=cfg["window"])
    res = Result("B7", "End to end with reviewer bots (local backend and S3 via moto)", "")
    body = 1500
    details = []
    # local backend
    e = E2E("local")
    try:
        e.run(min(3.0, dur), 0.5, **lg)  # warm-up
        body = e.output_size()
        local, local_put, local_cpu = [], [], []
        for _ in range(reps):
            o = e.run(dur, warm, **lg)
            local.append(o["rate"])
            local_cpu.append(o["cpu"])
            details.append(run_line("local", o))
            local_put.append(h.run_loadgen("local-put", {"data_dir": h.tmpdir("rawput"), "bucket": "raw",
                                                         "threads": 4, "duration": cfg["put_duration"],
                                                         "body_size": body}, cfg["put_duration"] + 60)["rate"])
    finally:
        e.stop()
    # S3 backend
    e = E2E("s3")
    try:
        e.run(min(3.0, dur), 0.5, **lg)
        body = e.output_size()
        s3, raw, s3_cpu = [], [], []
        for i in range(reps):
            put_cfg = {"endpoint": e.moto.url, "bucket": "bench-output", "threads": 4,
                       "duration": cfg["put_duration"], "body_size": body}
            if i % 2 == 0:
                raw.append(h.run_loadgen("s3-put", put_cfg, cfg["put_duration"] + 60)["rate"])
                o = e.run(dur, warm, **lg)
            else:
                o = e.run(dur, warm, **lg)
                raw.append(h.run_loadgen("s3-put", put_cfg, cfg["put_duration"] + 60)["rate"])
            s3.append(o["rate"])
            s3_cpu.append(o["cpu"])
            details.append(run_line("S3", o))
    finally:
        e.stop()
    res.method = METHOD.format(starters=lg["starters"], bots=lg["bots"], window=lg["window"], warm=warm, body=body)
    lr, sr = stat(local), stat(s3)
    res.rows.append(Row("local backend: completed loops/s", lr.fmt(" loops/s"),
                        stat(local_put).fmt(" puts/s (local raw)"), ratios(local, local_put).fmt("", 2),
                        "≥ 500 loops/s", lr.median >= 500, "baseline: raw LocalDirectoryStorage.put, 4 threads"))
    rr = ratios(s3, raw)
    res.rows.append(Row("S3 (moto) backend: completed loops/s", sr.fmt(" loops/s"), stat(raw).fmt(" puts/s"),
                        rr.fmt("", 2), "≥ 0.8 × raw put rate", rr.median >= 0.8))
    res.details.extend(details)
    from bench.b_api import cpu_breakdown

    res.details.append("Local backend: " + cpu_breakdown(local_cpu, "submitted loop"))
    res.details.append("S3 backend: " + cpu_breakdown(s3_cpu, "submitted loop"))
    res.details.append(f"{reps} repeats × {dur:.0f} s per backend.")
    return res
