"""B8 (SigV4 verification cost) and B9 (task template rendering): in-process, in their own process."""

from __future__ import annotations

import statistics

from bench import harness as h
from bench.report import Result, Row, ratios, stat

B8_METHOD = """
**What:** the time SigV4 verification adds to a `StartHumanLoop` request. The Flask app is called
directly through WSGI (no HTTP server, no network, log level WARNING, a dispatcher that does nothing;
Redis is a private redis-server) with pre-built requests carrying the headers boto3 sends. Signed:
the shipped code path. **Baseline:** the same requests (unique loop names) with the runtime
blueprint's signature check replaced by a no-op in the benchmark process (nothing else changes).
Signed and unsigned requests alternate one by one (ABBA order), {n:,} of each per round,
{rounds} rounds; the added cost of a round is median(signed) − median(unsigned). `verify_sigv4` timed alone on one such request is shown for
reference (it is what the added cost should be made of).
"""

B9_METHOD = """
**What:** server-side rendering of the largest Liquid template of the test set
(`tests/review/templates/liquid/{template}`, {tbytes:,} bytes, rendering {hbytes:,} bytes of HTML) with the
input the test suite uses, the way the review frame view does it: `render_task(source,
json.loads(input), grant_read_access=...)` (the compiled template comes from the module's cache
after the first call; `grant_read_access` is a plain function here, not an S3 presigner).
**Baseline:** `render_task` of an empty template with an empty input. {rounds} rounds × {n:,} renders.
"""


def run_b8(cfg: dict, shared: dict) -> Result:
    redis = h.Redis("volatile")
    procs = [redis]
    try:
        g = h.Gunicorn(h.service_env(redis.url(0), 0))
        procs.append(g)
        flow = h.create_flow(g.url, "bench-sigv4")
        g.stop()
        out = h.run_loadgen("b8", {"redis_url": redis.url(0), "akid": h.ACCESS_KEY, "secret": h.SECRET_KEY,
                                   "flow_arn": flow["flow_arn"], "content": h.input_content(200),
                                   "rounds": cfg["rounds"], "n": cfg["n"]}, 600, module="bench.micro")
    finally:
        for p in reversed(procs):
            p.stop()
    res = Result("B8", "SigV4 verification cost per request",
                 B8_METHOD.format(n=cfg["n"], rounds=cfg["rounds"]))
    sig = [statistics.median(b) for b in out["signed"]]
    uns = [statistics.median(b) for b in out["unsigned"]]
    added = [a - b for a, b in zip(sig, uns)]
    ad = stat(added)
    res.rows.append(Row("added per request (median signed − median unsigned)", ad.fmt(" µs"), stat(uns).fmt(" µs"),
                        ratios(sig, uns).fmt("", 2), "≤ 150 µs added", ad.median <= 150,
                        f"signed request {stat(sig).fmt(' µs')}"))
    direct = [statistics.median(b) for b in out["direct"]]
    res.rows.append(Row("verify_sigv4 alone", stat(direct).fmt(" µs"), "–", "–", "–", None))
    res.details.append(f"Response statuses: {out['statuses']} (all requests must be 200).")
    return res


def run_b9(cfg: dict, shared: dict) -> Result:
    out = h.run_loadgen("b9", {"rounds": cfg["rounds"], "n": cfg["n"]}, 600, module="bench.micro")
    res = Result("B9", "Render the largest task template (server side)", B9_METHOD.format(
        template=out["template"], tbytes=out["template_bytes"], hbytes=out["html_bytes"], rounds=cfg["rounds"],
        n=cfg["n"]))
    f50 = [h.percentile(x, 50) for x in out["full"]]
    e50 = [h.percentile(x, 50) for x in out["empty"]]
    f99 = [h.percentile(x, 99) for x in out["full"]]
    e99 = [h.percentile(x, 99) for x in out["empty"]]
    p50 = stat(f50)
    res.rows.append(Row(f"render {out['template']}: p50", p50.fmt(" ms"), stat(e50).fmt(" ms"),
                        ratios(f50, e50).fmt("×", 0), "p50 ≤ 5 ms", p50.median <= 5))
    res.rows.append(Row("p99", stat(f99).fmt(" ms"), stat(e99).fmt(" ms"), ratios(f99, e99).fmt("×", 0), "–", None))
    r50 = [h.percentile(x, 50) for x in out["rewrite"]]
    res.rows.append(Row("render + rewrite_crowd_script (the frame view): p50", stat(r50).fmt(" ms"), "–", "–", "–",
                        None))
    return res
