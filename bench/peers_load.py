"""P1 load generator, one process per side: ``python -m bench.peers_load SIDE config.json result.json``.

Both sides are driven by the same client (``bench.httpclient.Conn``, one keep-alive connection, one
request at a time) so that the figures differ only by the server. SIDE is ``ours`` (hitl-service:
SigV4-signed StartHumanLoop and ListHumanLoops, the review JSON API's claim + submit) or ``ls``
(Label Studio's REST API with a legacy API token).
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from pathlib import Path

from bench.httpclient import Conn
from bench.loadgen import ReviewClient, _signed_start, _signer
from bench.signer import canonical_query, raw_request

ROUTE_TIMEOUT_S = 300


async def _timed(conn: Conn, raw: bytes, what: str, ok=(200, 201)) -> tuple[float, bytes]:
    s = time.perf_counter()
    status, _, body = await conn.request(raw)
    elapsed = (time.perf_counter() - s) * 1000
    if status not in ok:
        raise RuntimeError(f"{what}: HTTP {status} {body[:300]!r}")
    return elapsed, body


async def ours(cfg: dict) -> dict:
    out: dict = {}
    signer = _signer(cfg)
    conn = Conn("127.0.0.1", cfg["port"])
    reqs = [_signed_start(signer, f"{cfg['prefix']}-{i}", cfg["flow_arn"], cfg["content"])
            for i in range(cfg["create"])]
    t0 = time.perf_counter()
    out["create"] = [(await _timed(conn, r, "StartHumanLoop"))[0] for r in reqs]
    out["create_s"] = time.perf_counter() - t0
    rc = ReviewClient(cfg["port"])
    await rc.login(*cfg["bot"])
    # untimed: the worker routes the new loops onto the team's queue in the background; claims are
    # measured once every created loop is claimable, as they would be for a reviewer arriving later
    t_route = time.perf_counter()
    while (waiting := await rc.waiting(cfg["team"])) < cfg["create"]:
        if time.perf_counter() - t_route > ROUTE_TIMEOUT_S:
            raise RuntimeError(f"only {waiting} of {cfg['create']} loops routed after {ROUTE_TIMEOUT_S} s")
        await asyncio.sleep(0.05)
    out["route_wait_s"] = time.perf_counter() - t_route
    pairs = []
    for _ in range(cfg["pairs"]):
        s = time.perf_counter()
        token = await rc.claim()
        if token is None:
            raise RuntimeError("claim: queue is empty")
        await rc.submit(token)
        pairs.append((time.perf_counter() - s) * 1000)
    out["pairs"] = pairs
    return out


async def _pages(port: int, make_raw, n: int, what: str) -> tuple[list[float], bytes]:
    """``n`` sequential GETs of one page (a fresh request from ``make_raw`` each time); times and last body."""
    conn = Conn("127.0.0.1", port)
    times, body = [], b""
    for _ in range(n):
        elapsed, body = await _timed(conn, make_raw(), what)
        times.append(elapsed)
    return times, body


async def ours_list(cfg: dict) -> dict:
    signer = _signer(cfg)
    q = canonical_query({"FlowDefinitionArn": cfg["flow_arn"], "MaxResults": "100", "NextToken": cfg["token"]})
    times, body = await _pages(
        cfg["port"], lambda: raw_request("GET", f"/human-loops?{q}", signer.sign("GET", "/human-loops", query=q)),
        cfg["lists"], "ListHumanLoops")
    return {"list": times, "items": len(json.loads(body)["HumanLoopSummaries"])}


def _ls_headers(cfg: dict) -> dict:
    return {"Host": f"127.0.0.1:{cfg['port']}", "Authorization": f"Token {cfg['token']}",
            "Content-Type": "application/json"}


async def ls(cfg: dict) -> dict:
    out: dict = {}
    h = _ls_headers(cfg)
    conn = Conn("127.0.0.1", cfg["port"])
    pid = cfg["project"]
    data = {"text": cfg["text"]}
    reqs = [raw_request("POST", "/api/tasks", h, json.dumps({"project": pid, "data": dict(data, n=i)}).encode())
            for i in range(cfg["create"])]
    t0 = time.perf_counter()
    out["create"] = [(await _timed(conn, r, "create task"))[0] for r in reqs]
    out["create_s"] = time.perf_counter() - t0
    answer = {"result": [{"from_name": "label", "to_name": "text", "type": "choices",
                          "value": {"choices": ["ok"]}}]}
    pairs = []
    for _ in range(cfg["pairs"]):
        s = time.perf_counter()
        _, body = await _timed(conn, raw_request("GET", f"/api/projects/{pid}/next", h), "next task")
        task = json.loads(body)
        await _timed(conn, raw_request("POST", f"/api/tasks/{task['id']}/annotations", h,
                                       json.dumps(answer).encode()), "annotation")
        pairs.append((time.perf_counter() - s) * 1000)
    out["pairs"] = pairs
    return out


async def ls_bulk(cfg: dict) -> dict:
    """One import request of `bulk` tasks; returns its wall time."""
    h = _ls_headers(cfg)
    conn = Conn("127.0.0.1", cfg["port"])
    body = json.dumps([{"data": {"text": cfg["text"], "n": i}} for i in range(cfg["bulk"])]).encode()
    elapsed, resp = await _timed(conn, raw_request("POST", f"/api/projects/{cfg['project']}/import", h, body),
                                 "import")
    return {"bulk_ms": elapsed, "response": json.loads(resp)}


async def ls_list(cfg: dict) -> dict:
    h = _ls_headers(cfg)
    target = f"/api/tasks?project={cfg['project']}&page={cfg['page']}&page_size=100"
    times, body = await _pages(cfg["port"], lambda: raw_request("GET", target, h), cfg["lists"], "task list")
    payload = json.loads(body)
    items = payload.get("tasks", payload.get("results", payload)) if isinstance(payload, dict) else payload
    return {"list": times, "items": len(items)}


MODES = {"ours": ours, "ours-list": ours_list, "ls": ls, "ls-bulk": ls_bulk, "ls-list": ls_list}


def main() -> int:
    mode, cfg_path, out_path = sys.argv[1:4]
    cfg = json.loads(Path(cfg_path).read_text())
    Path(out_path).write_text(json.dumps(asyncio.run(MODES[mode](cfg))))
    return 0


if __name__ == "__main__":
    sys.exit(main())
