"""Load generators, each run in its own process: ``python -m bench.loadgen MODE config.json result.json``.

Modes:
  http-rate    StartHumanLoop at a fixed rate (open loop); records when each request was written (B2)
  celery-rate  send_task of the empty bench task at a fixed rate (B2 baseline)
  list         ListHumanLoops pages, sequential, timed (B5)
  review       claim + submit pairs through the review API, and through the service functions (B4)
  crowd        many reviewers claiming + submitting concurrently on a TaskCount > 1 queue (B4, contention)
  e2e          StartHumanLoop plus reviewer bots that claim and submit, closed loop (B7)
  s3-put       raw boto3 put_object from N threads (B7 baseline)
  local-put    LocalDirectoryStorage.put from N threads (B7, for reference)

Times are taken with time.monotonic_ns (CLOCK_MONOTONIC, shared by every process on the machine), so
the B2 observer process can subtract them.
"""

from __future__ import annotations

import asyncio
import json
import sys
import threading
import time
from pathlib import Path

from bench.httpclient import Conn
from bench.signer import Signer, canonical_query, raw_request


def _signer(cfg: dict) -> Signer:
    return Signer(cfg["akid"], cfg["secret"], f"127.0.0.1:{cfg['port']}")


def _start_body(name: str, flow_arn: str, content: str) -> bytes:
    return json.dumps({"HumanLoopName": name, "FlowDefinitionArn": flow_arn,
                       "HumanLoopInput": {"InputContent": content}}, separators=(",", ":")).encode()


def _signed_start(signer: Signer, name: str, flow_arn: str, content: str) -> bytes:
    body = _start_body(name, flow_arn, content)
    return raw_request("POST", "/human-loops", signer.sign("POST", "/human-loops", body=body), body)


# ---- B2: fixed-rate StartHumanLoop ---------------------------------------------------------------------------


async def http_rate(cfg: dict) -> dict:
    signer = _signer(cfg)
    names = [f"{cfg['prefix']}-{i}" for i in range(cfg["count"])]
    reqs = [_signed_start(signer, n, cfg["flow_arn"], cfg["content"]) for n in names]
    pool: asyncio.Queue[Conn] = asyncio.Queue()
    for _ in range(cfg["connections"]):
        c = Conn("127.0.0.1", cfg["port"])
        await c.open()
        pool.put_nowait(c)
    sent: dict[str, int] = {}
    resp_ms: list[float] = []
    lag_ms: list[float] = []
    statuses: dict[str, int] = {}

    async def one(i: int, conn: Conn) -> None:
        def mark():
            sent[names[i]] = time.monotonic_ns()
        try:
            status, _, _ = await conn.request(reqs[i], on_sent=mark)
            statuses[str(status)] = statuses.get(str(status), 0) + 1
            resp_ms.append((time.monotonic_ns() - sent[names[i]]) / 1e6)
        except Exception as exc:  # noqa: BLE001 - counted, not fatal
            statuses[type(exc).__name__] = statuses.get(type(exc).__name__, 0) + 1
        finally:
            pool.put_nowait(conn)

    loop = asyncio.get_running_loop()
    t0 = loop.time() + 0.1
    tasks = []
    for i in range(cfg["count"]):
        due = t0 + i / cfg["rate"]
        delay = due - loop.time()
        if delay > 0:
            await asyncio.sleep(delay)
        conn = await pool.get()
        lag_ms.append((loop.time() - due) * 1000)
        tasks.append(asyncio.create_task(one(i, conn)))
    await asyncio.gather(*tasks)
    elapsed = loop.time() - t0
    return {"sent": sent, "statuses": statuses, "resp_ms": resp_ms, "lag_ms": lag_ms,
            "achieved_rate": cfg["count"] / elapsed if elapsed > 0 else 0}


def celery_rate(cfg: dict) -> dict:
    from hitl_service.config import Settings
    from workers.celery_app import make_celery

    app = make_celery(Settings(redis_url=cfg["redis_url"], broker_url=cfg["broker_url"]))
    app.send_task("bench.ping", args=["warmup"])  # connect before timing
    sent: dict[str, int] = {}
    t0 = time.monotonic() + 0.1
    lag = []
    for i in range(cfg["count"]):
        due = t0 + i / cfg["rate"]
        delay = due - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        lag.append((time.monotonic() - due) * 1000)
        token = f"{cfg['prefix']}-{i}"
        sent[token] = time.monotonic_ns()
        app.send_task("bench.ping", args=[token])
    elapsed = time.monotonic() - t0
    return {"sent": sent, "lag_ms": lag, "achieved_rate": cfg["count"] / elapsed}


# ---- B5: ListHumanLoops pages --------------------------------------------------------------------------------


async def list_pages(cfg: dict) -> dict:
    signer = _signer(cfg)
    conn = Conn("127.0.0.1", cfg["port"])
    await conn.open()
    out: dict = {}
    checks: dict = {}
    for r in range(cfg["rounds"]):
        targets = cfg["targets"] if r % 2 == 0 else list(reversed(cfg["targets"]))
        for t in targets:
            for page, token in t["pages"].items():
                params = {"FlowDefinitionArn": t["flow_arn"], "MaxResults": "100"}
                if token:
                    params["NextToken"] = token
                q = canonical_query(params)
                times = []
                for _ in range(cfg["n"]):
                    raw = raw_request("GET", f"/human-loops?{q}", signer.sign("GET", "/human-loops", query=q))
                    s = time.perf_counter()
                    status, _, body = await conn.request(raw)
                    times.append((time.perf_counter() - s) * 1000)
                    if status != 200:
                        raise RuntimeError(f"ListHumanLoops {t['label']} {page}: {status} {body[:300]!r}")
                key = f"{t['label']}/{page}"
                if key not in checks:
                    checks[key] = len(json.loads(body)["HumanLoopSummaries"])
                out.setdefault(t["label"], {}).setdefault(page, []).append(times)
    # the same pages read straight from Redis with the store's own page() and get_loops() (no HTTP)
    import redis

    from hitl_service.store.redis_store import Store

    direct: dict = {}
    fields = ("name", "status", "created_ms", "failure_reason", "flow_arn")
    for t in cfg["targets"]:
        store = Store(redis.Redis.from_url(t["redis_url"], decode_responses=True))
        for page, after in t["after"].items():
            times = []
            for _ in range(cfg["n"]):
                s = time.perf_counter()
                members, _ = store.resources.page(t["index"], descending=True, after_member=after, min_ms=None, max_ms=None,
                                        limit=100)
                store.loops.get_many_in(t["team"], [m.split(":", 1)[1] for m in members], fields)
                times.append((time.perf_counter() - s) * 1000)
            direct.setdefault(t["label"], {}).setdefault(page, []).append(times)
    return {"latency_ms": out, "page_sizes": checks, "direct_ms": direct}


# ---- B4 with contention: many reviewers at once ---------------------------------------------------------------


async def crowd(cfg: dict) -> dict:
    """Every bot claims + submits `pairs` times, all bots at once; the queue's head holds skipped loops."""
    clients = []
    for bot in cfg["bots"]:
        c = ReviewClient(cfg["port"])
        await c.login(*bot)
        clients.append(c)
    pairs: list[float] = []
    claims: list[float] = []
    empty = 0

    async def run(c: ReviewClient) -> None:
        nonlocal empty
        for _ in range(cfg["pairs"]):
            s = time.perf_counter()
            token = await c.claim()
            m = time.perf_counter()
            if token is None:
                empty += 1
                continue
            await c.submit(token)
            e = time.perf_counter()
            claims.append((m - s) * 1000)
            pairs.append((e - s) * 1000)

    t0 = time.perf_counter()
    await asyncio.gather(*(run(c) for c in clients))
    elapsed = time.perf_counter() - t0
    return {"pair": pairs, "claim": claims, "empty": empty, "elapsed": elapsed,
            "skips": _head_skips(cfg, [c.worker_id for c in clients])}


def _head_skips(cfg: dict, worker_ids: list[str]) -> list[int]:
    """Per reviewer: queue entries at the head it has already worked on (its next claim passes them over)."""
    import redis

    from hitl_service.store import keys

    r = redis.Redis.from_url(cfg["redis_url"], decode_responses=True)
    head = r.zrange(keys.queue(cfg["team"]), 0, 199)
    pipe = r.pipeline(transaction=False)
    for member in head:
        pipe.smembers(keys.item_workers(cfg["team"], member))
    workers = pipe.execute()
    out = []
    for w in worker_ids:
        n = 0
        while n < len(workers) and w in workers[n]:
            n += 1
        out.append(n)
    return out


# ---- B4: claim + submit --------------------------------------------------------------------------------------


class ReviewClient:
    def __init__(self, port: int):
        self.conn = Conn("127.0.0.1", port)
        self.cookie = ""
        self.csrf = ""
        self.worker_id = ""

    async def call(self, method: str, path: str, payload: dict | None = None) -> tuple[int, dict]:
        body = json.dumps(payload).encode() if payload is not None else b""
        headers = {"Host": "127.0.0.1", "Content-Type": "application/json"}
        if self.cookie:
            headers["Cookie"] = self.cookie
        if self.csrf:
            headers["X-CSRF-Token"] = self.csrf
        status, h, resp = await self.conn.request(raw_request(method, path, headers, body))
        for c in h.get("set-cookie", []):
            if c.startswith("hitl_session="):
                self.cookie = c.split(";", 1)[0]
        return status, (json.loads(resp) if resp else {})

    async def login(self, user: str, password: str) -> None:
        status, data = await self.call("POST", "/review/api/login", {"username": user, "password": password})
        if status != 200:
            raise RuntimeError(f"login {user}: {status} {data}")
        self.csrf, self.worker_id = data["csrfToken"], data["workerId"]

    async def claim(self) -> str | None:
        status, data = await self.call("POST", "/review/api/assignments/claim", {})
        if status != 200:
            raise RuntimeError(f"claim: {status} {data}")
        a = data.get("assignment")
        return a["token"] if a else None

    async def waiting(self, team: str) -> int:
        """Assignments waiting on ``team``'s queue (GET /review/api/queues, the reviewer's own view)."""
        status, data = await self.call("GET", "/review/api/queues")
        if status != 200:
            raise RuntimeError(f"queues: {status} {data}")
        return sum(int(q["waiting"]) for q in data["queues"] if q["workteam"] == team)

    async def submit(self, token: str) -> None:
        status, data = await self.call("POST", f"/review/api/assignments/{token}/submit",
                                       {"answerContent": {"answer": "ok", "confidence": 0.9}})
        if status != 200:
            raise RuntimeError(f"submit: {status} {data}")


async def review_pairs(cfg: dict) -> dict:
    clients = {}
    for t in cfg["targets"]:
        c = ReviewClient(t["port"])
        await c.login(*t["bot"])
        clients[t["label"]] = c
    http: dict = {}
    script: dict = {}
    for r in range(cfg["rounds"]):
        targets = cfg["targets"] if r % 2 == 0 else list(reversed(cfg["targets"]))
        for t in targets:
            c = clients[t["label"]]
            claims, submits, pairs = [], [], []
            for _ in range(cfg["pairs"]):
                s = time.perf_counter()
                token = await c.claim()
                m = time.perf_counter()
                if token is None:
                    raise RuntimeError(f"{t['label']}: queue is empty")
                await c.submit(token)
                e = time.perf_counter()
                claims.append((m - s) * 1000)
                submits.append((e - m) * 1000)
                pairs.append((e - s) * 1000)
            http.setdefault(t["label"], []).append({"claim": claims, "submit": submits, "pair": pairs})
    # the same two steps without HTTP: the service functions the handlers call, on a direct connection
    from bench.harness import service_context
    from hitl_service.services import review, reviewers

    for t in cfg["targets"]:
        ctx = service_context(t["redis_url"])
        reviewer = reviewers.get_reviewer(ctx, t["bot"][0])
        for _ in range(cfg["rounds"]):
            claims, submits = [], []
            for _ in range(cfg["pairs"]):
                s = time.perf_counter()
                assignment = review.claim_next_assignment(ctx, reviewer)
                m = time.perf_counter()
                if assignment is None:
                    raise RuntimeError(f"service claim {t['label']}: queue is empty")
                review.submit_answer(ctx, reviewer, assignment["token"], {"answer": "ok", "confidence": 0.9})
                e = time.perf_counter()
                claims.append((m - s) * 1000)
                submits.append((e - m) * 1000)
            script.setdefault(t["label"], []).append({"claim": claims, "submit": submits})
    return {"http": http, "script": script}


# ---- B7: end to end -----------------------------------------------------------------------------------------


async def e2e(cfg: dict) -> dict:
    signer = _signer(cfg)
    state = {"started": 0, "start_errors": 0, "claimed": 0, "empty": 0, "submitted": 0, "errors": 0}
    running = True
    samples = {"start": [], "claim": [], "submit": []}
    seq = iter(range(10**9))

    async def starter() -> None:
        conn = Conn("127.0.0.1", cfg["port"])
        while running:
            if state["started"] - state["submitted"] >= cfg["window"]:
                await asyncio.sleep(0.002)
                continue
            name = f"{cfg['prefix']}-{next(seq)}"
            raw = _signed_start(signer, name, cfg["flow_arn"], cfg["content"])
            s = time.perf_counter()
            status, _, body = await conn.request(raw)
            if status == 200:
                state["started"] += 1
                if len(samples["start"]) < 20000:
                    samples["start"].append((time.perf_counter() - s) * 1000)
            else:
                state["start_errors"] += 1
                if state["start_errors"] < 3:
                    print("start error", status, body[:200], file=sys.stderr)
                await asyncio.sleep(0.01)

    async def login(i: int) -> ReviewClient:
        c = ReviewClient(cfg["port"])
        if cfg.get("sessions"):  # logged in beforehand (argon2 stays out of the measured window)
            c.cookie, c.csrf, c.worker_id = cfg["sessions"][i % len(cfg["sessions"])]
        else:
            await c.login(*cfg["bots"][i % len(cfg["bots"])])
        return c

    async def bot(c: ReviewClient) -> None:
        while running:
            try:
                s = time.perf_counter()
                token = await c.claim()
                m = time.perf_counter()
                if token is None:
                    # an empty queue: back off like a person would (fast polling only burns the API's CPU)
                    state["empty"] += 1
                    await asyncio.sleep(0.05)
                    continue
                state["claimed"] += 1
                await c.submit(token)
                e = time.perf_counter()
                state["submitted"] += 1
                if len(samples["claim"]) < 20000:
                    samples["claim"].append((m - s) * 1000)
                    samples["submit"].append((e - m) * 1000)
            except Exception as exc:  # noqa: BLE001 - counted
                state["errors"] += 1
                if state["errors"] < 3:
                    print("bot error", exc, file=sys.stderr)
                await asyncio.sleep(0.01)

    # every bot logs in (argon2) before the clock starts
    clients = await asyncio.gather(*(login(i) for i in range(cfg["bot_conns"])))
    bots = [asyncio.create_task(bot(c)) for c in clients]
    t0 = time.monotonic()
    starters = [asyncio.create_task(starter()) for _ in range(cfg["starters"])]
    await asyncio.sleep(cfg["duration"])
    running = False
    await asyncio.gather(*starters, *bots, return_exceptions=True)
    return dict(state, elapsed=time.monotonic() - t0, samples=samples)


# ---- B7 baselines: raw puts ----------------------------------------------------------------------------------


def _threaded_puts(cfg: dict, make_put) -> dict:
    body = b"x" * cfg["body_size"]
    counts = [0] * cfg["threads"]
    stop = time.monotonic() + cfg["duration"]
    errors = []

    def run(t: int) -> None:
        put = make_put(t)
        i = 0
        try:
            while time.monotonic() < stop:
                put(f"raw/{t}/{i}.json", body)
                i += 1
        except Exception as exc:  # noqa: BLE001 - reported
            errors.append(repr(exc))
        counts[t] = i

    threads = [threading.Thread(target=run, args=(t,)) for t in range(cfg["threads"])]
    t0 = time.monotonic()
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    elapsed = time.monotonic() - t0
    return {"puts": sum(counts), "elapsed": elapsed, "rate": sum(counts) / elapsed, "errors": errors[:3]}


def s3_put(cfg: dict) -> dict:
    import boto3

    def make(_t):
        c = boto3.client("s3", endpoint_url=cfg["endpoint"], region_name="us-east-1",
                         aws_access_key_id="testing", aws_secret_access_key="testing")
        c.put_object(Bucket=cfg["bucket"], Key="warmup", Body=b"{}")
        return lambda key, body: c.put_object(Bucket=cfg["bucket"], Key=key, Body=body,
                                              ContentType="application/json")

    return _threaded_puts(cfg, make)


def local_put(cfg: dict) -> dict:
    from hitl_service.output.storage import LocalDirectoryStorage

    storage = LocalDirectoryStorage(cfg["data_dir"])
    return _threaded_puts(cfg, lambda _t: (lambda key, body: storage.put(cfg["bucket"], key, body)))


def main() -> int:
    mode, cfg_path, out_path = sys.argv[1:4]
    cfg = json.loads(Path(cfg_path).read_text())
    if mode == "http-rate":
        result = asyncio.run(http_rate(cfg))
    elif mode == "celery-rate":
        result = celery_rate(cfg)
    elif mode == "list":
        result = asyncio.run(list_pages(cfg))
    elif mode == "review":
        result = asyncio.run(review_pairs(cfg))
    elif mode == "crowd":
        result = asyncio.run(crowd(cfg))
    elif mode == "e2e":
        result = asyncio.run(e2e(cfg))
    elif mode == "s3-put":
        result = s3_put(cfg)
    elif mode == "local-put":
        result = local_put(cfg)
    else:
        raise SystemExit(f"unknown mode {mode}")
    Path(out_path).write_text(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
