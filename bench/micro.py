"""In-process micro-benchmarks, run in their own process: ``python -m bench.micro b8|b9 config.json out.json``.

B8: SigV4 verification cost per request, through the Flask app (WSGI call, no HTTP server) with and
    without the signature check, and verify_sigv4 alone.
B9: server-side rendering of the largest task template of the test set, and of an empty template.
"""

from __future__ import annotations

import gc
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# the sample order the test suite renders order_review.liquid.html with
ORDER_INPUT_FILE = ROOT / "tests" / "review" / "templates" / "liquid" / "order_review.input.json"


def _pct(values, q):
    v = sorted(values)
    k = (len(v) - 1) * q / 100
    lo = int(k)
    hi = min(lo + 1, len(v) - 1)
    return v[lo] + (v[hi] - v[lo]) * (k - lo)


class _NoDispatch:
    """Sends nothing, whatever the service asks for."""

    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        return lambda *args, **kwargs: None


def b8(cfg: dict) -> dict:
    from werkzeug.datastructures import EnvironHeaders
    from werkzeug.test import EnvironBuilder

    import hitl_service.api.runtime as runtime
    from bench.signer import Signer
    from hitl_service import create_app
    from hitl_service.api.sigv4 import SignedRequest, verify_sigv4
    from hitl_service.config import Settings

    settings = Settings(redis_url=cfg["redis_url"], access_keys={cfg["akid"]: cfg["secret"]}, region="us-east-1",
                        account_id="123456789012", secret_key="bench", log_level="WARNING")
    app = create_app(settings, dispatcher=_NoDispatch())
    host = "127.0.0.1:8080"
    signer = Signer(cfg["akid"], cfg["secret"], host)
    original = runtime.check_signature
    seq = iter(range(10**9))

    def environs(n: int, signed: bool) -> list[dict]:
        out = []
        for _ in range(n):
            name = f"b8-{next(seq)}"
            body = json.dumps({"HumanLoopName": name, "FlowDefinitionArn": cfg["flow_arn"],
                               "HumanLoopInput": {"InputContent": cfg["content"]}}, separators=(",", ":")).encode()
            headers = {"User-Agent": "Boto3/1.40 md/Botocore#1.40 ua/2.1 os/linux lang/python#3.11",
                       "amz-sdk-invocation-id": "00000000-0000-0000-0000-000000000000",
                       "amz-sdk-request": "attempt=1", "Content-Type": "application/json"}
            # the unsigned request carries the same headers (the check is switched off, not fed garbage)
            headers.update(signer.sign("POST", "/human-loops", body=body))
            env = EnvironBuilder(path="/human-loops", method="POST", headers=headers, data=body,
                                 base_url=f"http://{host}").get_environ()
            env["RAW_URI"] = "/human-loops"
            out.append(env)
        return out

    status_seen = {}

    def start_response(status, headers, exc_info=None):
        status_seen[status] = status_seen.get(status, 0) + 1

    def run(envs: list[dict]) -> list[float]:
        times = []
        for env in envs:
            t = time.perf_counter_ns()
            it = app(env, start_response)
            b"".join(it)
            if hasattr(it, "close"):
                it.close()
            times.append((time.perf_counter_ns() - t) / 1000)
        return times

    def set_signed(signed: bool) -> None:
        runtime.check_signature = original if signed else (lambda settings: cfg["akid"])

    # warm-up
    for signed in (True, False):
        set_signed(signed)
        run(environs(200, signed))
    # signed and unsigned requests alternate one by one (ABBA order), so both see the same machine
    blocks = {"signed": [], "unsigned": []}
    gc.disable()
    try:
        for rnd in range(cfg["rounds"]):
            envs = environs(cfg["n"] * 2, True)
            times = {True: [], False: []}
            for i, env in enumerate(envs):
                signed = (i % 4) in (0, 3)
                set_signed(signed)
                times[signed].extend(run([env]))
            blocks["signed"].append(times[True])
            blocks["unsigned"].append(times[False])
            gc.collect()
    finally:
        gc.enable()
        set_signed(True)
    # verify_sigv4 alone, on the same kind of request
    env = environs(1, True)[0]
    body = env["wsgi.input"].read()
    req = SignedRequest(method="POST", url=f"http://{host}/human-loops", headers=EnvironHeaders(env), body=body)
    secrets = {cfg["akid"]: cfg["secret"]}
    direct = []
    for _ in range(cfg["rounds"]):
        ts = []
        for _ in range(cfg["n"]):
            t = time.perf_counter_ns()
            verify_sigv4(req, secrets, max_skew_seconds=300, service="sagemaker")
            ts.append((time.perf_counter_ns() - t) / 1000)
        direct.append(ts)
    return {"signed": blocks["signed"], "unsigned": blocks["unsigned"], "direct": direct, "statuses": status_seen}


def b9(cfg: dict) -> dict:
    from hitl_service.review.liquid import render_task, rewrite_crowd_script

    tdir = ROOT / "tests" / "review" / "templates" / "liquid"
    files = sorted(tdir.glob("*.liquid.html"), key=lambda p: p.stat().st_size, reverse=True)
    src = files[0].read_text()
    input_json = ORDER_INPUT_FILE.read_text() if files[0].name == "order_review.liquid.html" else "{}"

    def grant(url: str) -> str:
        return url.replace("s3://scans/", "https://scans.s3.amazonaws.com/") + "?X-Amz-Signature=abc&X-Amz-Expires=3600"

    html = render_task(src, json.loads(input_json), grant_read_access=grant)
    render_task("", json.loads("{}"))

    def full():
        return render_task(src, json.loads(input_json), grant_read_access=grant)

    def empty():
        return render_task("", json.loads("{}"))

    def with_rewrite():
        return rewrite_crowd_script(render_task(src, json.loads(input_json), grant_read_access=grant),
                                    "/review/static/crowd-html-elements.js")

    out = {"template": files[0].name, "template_bytes": files[0].stat().st_size, "html_bytes": len(html),
           "full": [], "empty": [], "rewrite": []}
    for rnd in range(cfg["rounds"]):
        for key, fn in (("full", full), ("empty", empty), ("rewrite", with_rewrite)):
            ts = []
            for _ in range(cfg["n"]):
                t = time.perf_counter_ns()
                fn()
                ts.append((time.perf_counter_ns() - t) / 1e6)
            out[key].append(ts)
    return out


def main() -> int:
    which, cfg_path, out_path = sys.argv[1:4]
    cfg = json.loads(Path(cfg_path).read_text())
    result = {"b8": b8, "b9": b9}[which](cfg)
    Path(out_path).write_text(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
