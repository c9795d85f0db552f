"""Profile the API's hot paths in one process: ``python -m bench.profile_paths [start|e2e] [N]``.

The Flask app is called through WSGI (no HTTP server), as B8 does, on a private redis-server with the
shipped config; the loops are routed by the store's route drain in between. Prints cProfile's top
functions (cumulative and own time), CPU per request, and the Redis commands each request costs
(INFO commandstats before and after). A developer tool for issue 17, not part of ``make bench``.
"""

from __future__ import annotations

import cProfile
import io
import os
import json
import pstats
import sys
import time

from werkzeug.test import EnvironBuilder

from bench import harness as h
from bench.signer import Signer


def _calls(r) -> dict[str, int]:
    return {k: v["calls"] for k, v in r.info("commandstats").items()}


def _delta(before: dict, after: dict) -> dict:
    return {k: after[k] - before.get(k, 0) for k in after if after[k] - before.get(k, 0)}


class _Off:
    def enable(self):
        pass

    def disable(self):
        pass


class Client:
    """Calls the WSGI app directly and keeps the reviewer's cookie."""

    def __init__(self, app, host: str):
        self.app, self.host, self.cookie, self.status = app, host, None, None

    def call(self, method: str, path: str, body: bytes = b"", headers: dict | None = None) -> bytes:
        headers = dict(headers or {})
        if self.cookie:
            headers["Cookie"] = self.cookie
        env = EnvironBuilder(path=path, method=method, headers=headers, data=body,
                             base_url=f"http://{self.host}").get_environ()
        env["RAW_URI"] = path
        seen = {}

        def start_response(status, hdrs, exc_info=None):
            seen["status"], seen["headers"] = status, hdrs

        it = self.app(env, start_response)
        out = b"".join(it)
        if hasattr(it, "close"):
            it.close()
        self.status = seen["status"]
        for k, v in seen["headers"]:
            if k.lower() == "set-cookie":
                self.cookie = v.split(";", 1)[0]
        return out


def main() -> int:
    what = sys.argv[1] if len(sys.argv) > 1 else "start"
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 2000
    redis = h.Redis("shipped")
    try:
        g = h.Gunicorn(h.service_env(redis.url(0), 0))
        try:
            flow = h.create_flow(g.url, "prof")
        finally:
            g.stop()
        bots = h.add_bots(redis.url(0), "bots", 1)

        from hitl_service import create_app
        from hitl_service.config import Settings

        settings = Settings(redis_url=redis.url(0), access_keys={h.ACCESS_KEY: h.SECRET_KEY}, region=h.REGION,
                            account_id=h.ACCOUNT, secret_key="bench-flask-secret", log_level="INFO",
                            broker_url="memory://")
        app = create_app(settings, dispatcher=h.NoDispatch())
        ctx = h.service_context(redis.url(0))
        host = "127.0.0.1:8080"
        signer = Signer(h.ACCESS_KEY, h.SECRET_KEY, host)
        content = h.input_content(200)
        r = redis.client(0)
        seq = iter(range(10**9))

        def start_env_args():
            name = f"p-{next(seq)}"
            body = h.start_body(name, flow["flow_arn"], content)
            headers = {"Content-Type": "application/json"}
            headers.update(signer.sign("POST", "/human-loops", body=body))
            return body, headers

        api = Client(app, host)
        bot = Client(app, host)
        user, pw = bots[0]
        out = json.loads(bot.call("POST", "/review/api/login", json.dumps({"username": user, "password": pw}).encode(),
                                  {"Content-Type": "application/json", "Origin": f"http://{host}"}))
        csrf = {"X-CSRF-Token": out["csrfToken"], "Content-Type": "application/json", "Origin": f"http://{host}"}

        def route_all():
            team = flow["team"]
            while ctx.store.loops.route_pending(team, 200):
                pass

        def one_start():
            body, headers = start_env_args()
            api.call("POST", "/human-loops", body, headers)
            assert api.status.startswith("200"), api.status

        def one_claim_submit():
            a = json.loads(bot.call("POST", "/review/api/assignments/claim", b"{}", csrf))["assignment"]
            assert a, "empty claim"
            bot.call("POST", f"/review/api/assignments/{a['token']}/submit",
                     json.dumps({"answerContent": {"answer": "ok"}}).encode(), csrf)
            assert bot.status.startswith("200"), bot.status

        # warm-up
        for _ in range(200):
            one_start()
        route_all()
        for _ in range(200):
            one_claim_submit()

        phases = [("start", one_start, None)]
        if what == "e2e":
            phases.append(("claim+submit", one_claim_submit, route_all))
        for label, fn, before in phases:
            if before is None and label == "start":
                pass
            if before:
                # enough loops routed for n claims
                for _ in range(n):
                    one_start()
                before()
            c0 = _calls(r)
            # PROFILE=0: no cProfile (for a sampling profiler such as py-spy attached from outside)
            prof = cProfile.Profile(time.process_time) if os.environ.get("PROFILE", "1") == "1" else _Off()
            t0, p0 = time.perf_counter(), time.process_time()
            prof.enable()
            for _ in range(n):
                fn()
            prof.disable()
            t1, p1 = time.perf_counter(), time.process_time()
            calls = _delta(c0, _calls(r))
            calls.pop("cmdstat_info", None)
            print(f"\n=== {label}: {n} requests, CPU {1000 * (p1 - p0) / n:.3f} ms/request (with profiler), "
                  f"wall {1000 * (t1 - t0) / n:.3f} ms")
            print("redis commands per request:", {k.replace("cmdstat_", ""): round(v / n, 2) for k, v in sorted(calls.items())})
            if isinstance(prof, cProfile.Profile):
                s = io.StringIO()
                st = pstats.Stats(prof, stream=s)
                st.sort_stats("tottime").print_stats(35)
                st.sort_stats("cumulative").print_stats(60)
                print(s.getvalue())
            # without the profiler
            p0 = time.process_time()
            if before:
                for _ in range(n):
                    one_start()
                before()
                p0 = time.process_time()
            for _ in range(n):
                fn()
            print(f"=== {label}: CPU {1000 * (time.process_time() - p0) / n:.3f} ms/request without profiler")
    finally:
        redis.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
