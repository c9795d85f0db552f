"""``python -m bench.peers`` (``make bench-peers``): hitl-service side by side with Label Studio (P1).

Label Studio is installed in its own virtualenv (``var/peers-venv``, never a dependency of the
service), initialised on SQLite in a temporary directory, and served by gunicorn on a free 127.0.0.1
port with the same worker settings as our API. Both sides are measured in the same run by the same
client (``bench/peers_load.py``: one keep-alive connection, one request at a time). The result is a
block of docs/benchmarks.md between ``<!-- peers:begin -->`` and ``<!-- peers:end -->``, which
``make bench`` keeps.
"""

from __future__ import annotations

import os
import secrets
import shutil
import subprocess
import sys
import urllib.request
from pathlib import Path

from bench import g_ingest
from bench import harness as h
from bench.fill import Filler
from bench.report import md_table, ratios, stat

LS_VERSION = "1.23.2"
VENV = h.ROOT / "var" / "peers-venv"
LABEL_CONFIG = ('<View><Text name="text" value="$text"/><Choices name="label" toName="text">'
                '<Choice value="ok"/><Choice value="bad"/></Choices></View>')
FULL = {"create": 300, "pairs": 100, "lists": 50, "bulk": 10_000, "list_size": 10_000, "repeats": 2}
INGEST_BATCH = 5000  # HITL_JOB_INGEST_BATCH's default
QUICK = {"create": 40, "pairs": 20, "lists": 10, "bulk": 2_000, "list_size": 2_000, "repeats": 1}


def ensure_label_studio() -> Path:
    """Label Studio in its own venv (created on first use; ~3 min, pip from PyPI)."""
    py = VENV / "bin" / "python"
    stamp = VENV / f".label-studio-{LS_VERSION}"
    if not stamp.exists():
        h.log(f"installing label-studio {LS_VERSION} into {VENV} (once)")
        if not py.exists():
            subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
        subprocess.run([str(py), "-m", "pip", "install", "-q", f"label-studio=={LS_VERSION}", "gunicorn"],
                       check=True)
        stamp.touch()
    return py


class LabelStudio:
    """Label Studio on SQLite, served by gunicorn (gthread, 2 workers x 8 threads) on 127.0.0.1."""

    def __init__(self, py: Path):
        self.port = h.free_port()
        pkg = subprocess.run([str(py), "-c", "import label_studio, os; print(os.path.dirname(label_studio.__file__))"],
                             capture_output=True, text=True, check=True).stdout.strip()
        self.data = h.tmpdir("label-studio")
        # migrating a fresh SQLite database takes minutes on a busy 2-core machine: do it once, keep the
        # migrated data directory (with its API user) under var/ and start every run from a copy
        template = VENV.parent / f"peers-ls-data-{LS_VERSION}"
        if not (template / "token").exists():
            shutil.rmtree(template, ignore_errors=True)
            template.mkdir(parents=True)
            token = secrets.token_hex(20)
            init = subprocess.run([str(py), "-m", "label_studio.server", "init", "bench", "--username",
                                   "bench@localhost", "--password", "bench-password-0", "--user-token", token,
                                   "--quiet", "--label-config", self._config_file(template),
                                   "--data-dir", str(template)],
                                  env=self._env(template), capture_output=True, text=True, timeout=1200)
            if init.returncode != 0:
                raise RuntimeError(f"label-studio init failed:\n{init.stdout[-3000:]}\n{init.stderr[-3000:]}")
            (template / "token").write_text(token)
        shutil.copytree(template, self.data, dirs_exist_ok=True)
        self.token = (template / "token").read_text().strip()
        self.env = self._env(Path(self.data))
        argv = [str(py), "-m", "gunicorn", "--bind", f"127.0.0.1:{self.port}", "--worker-class", "gthread",
                "--workers", "2", "--threads", "8", "--pythonpath", pkg, "label_studio.core.wsgi:application"]
        self.proc = h.Proc("label-studio", argv, self.env)
        h.wait_http(f"http://127.0.0.1:{self.port}/health", self.proc, 180)

    @staticmethod
    def _env(data: Path) -> dict:
        return dict(os.environ, LABEL_STUDIO_BASE_DATA_DIR=str(data), LABEL_STUDIO_ENABLE_LEGACY_API_TOKEN="true",
                    DJANGO_SETTINGS_MODULE="label_studio.core.settings.label_studio", DEBUG="false",
                    LOG_LEVEL="WARNING", LABEL_STUDIO_DISABLE_SIGNUP_WITHOUT_LINK="true", SENTRY_DSN="",
                    FRONTEND_SENTRY_DSN="", COLLECT_ANALYTICS="false")

    @staticmethod
    def _config_file(where: Path) -> str:
        path = where / "config.xml"
        path.write_text(LABEL_CONFIG)
        return str(path)

    def api(self, method: str, path: str, payload=None) -> dict:
        import json

        req = urllib.request.Request(f"http://127.0.0.1:{self.port}{path}", method=method,
                                     data=json.dumps(payload).encode() if payload is not None else None,
                                     headers={"Authorization": f"Token {self.token}", "Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=600) as r:
            return json.loads(r.read() or b"{}")

    def project(self, title: str) -> int:
        return self.api("POST", "/api/projects", {"title": title, "label_config": LABEL_CONFIG})["id"]

    def stop(self) -> None:
        self.proc.stop()


def _ours_setup():
    redis = h.Redis("shipped")
    env = h.service_env(redis.url(0), 0)
    gun = h.Gunicorn(env)
    worker, beat = h.CeleryWorker(env), h.CeleryBeat(env)
    return redis, gun, worker, beat


def _ours_list_token(redis, flow: dict) -> str:
    from hitl_service.domain.pagination import encode_token
    from hitl_service.store import keys

    c = redis.client(0)
    flow_id = c.hget(keys.flow(flow["team"], flow["flow"]), "id")
    idx = keys.flow_loops(flow["team"], flow_id)
    n = c.zcard(idx)
    member = c.zrange(idx, n - 1 - (n // 2 - 1), n - 1 - (n // 2 - 1))[0]  # the middle page, descending
    return encode_token(flow_id, member), n


def run(cfg: dict) -> dict:
    py = ensure_label_studio()
    text = "x" * 180  # Label Studio task data {"text": ...}: about our 200-byte InputContent
    content = h.input_content(200)
    res: dict = {"ours": [], "ls": [], "ours_list": [], "ls_list": [], "ls_bulk": [], "ours_bulk": []}
    redis, gun, worker, beat = _ours_setup()
    ls = LabelStudio(py)
    try:
        bots = h.add_bots(redis.url(0), "bots", 1)
        ingest_dir = h.tmpdir("g1")
        bucket = g_ingest.prepare_bucket(ingest_dir)
        for rep in range(cfg["repeats"]):
            flow = h.create_flow(gun.url, f"peers-{rep}")
            pid = ls.project(f"peers-{rep}")
            sides = [("ours", "ours"), ("ls", "ls")] if rep % 2 == 0 else [("ls", "ls"), ("ours", "ours")]
            for side, mode in sides:
                if side == "ours":
                    out = h.run_loadgen(mode, {"port": gun.port, "akid": h.ACCESS_KEY, "secret": h.SECRET_KEY,
                                               "flow_arn": flow["flow_arn"], "team": flow["team"], "content": content,
                                               "prefix": f"p1-{rep}",
                                               "create": cfg["create"], "pairs": cfg["pairs"], "bot": bots[0]},
                                        1800, module="bench.peers_load")
                else:
                    out = h.run_loadgen(mode, {"port": ls.port, "token": ls.token, "project": pid, "text": text,
                                               "create": cfg["create"], "pairs": cfg["pairs"]},
                                        1800, module="bench.peers_load")
                res[side].append(out)
            # bulk: Label Studio's import of a JSON list; ours: a labeling job's manifest ingest (G1's code),
            # the same number of objects with the same text, on the same Redis, sides alternating
            bulk_pid = ls.project(f"peers-bulk-{rep}")
            name = f"p1-g1-{rep}"
            g_ingest.write_manifest(bucket / f"{name}.manifest", cfg["bulk"], text=text)
            for side in (("ls", "ours") if rep % 2 == 0 else ("ours", "ls")):
                if side == "ls":
                    res["ls_bulk"].append(h.run_loadgen(
                        "ls-bulk", {"port": ls.port, "token": ls.token, "project": bulk_pid, "text": text,
                                    "bulk": cfg["bulk"]}, 1800, module="bench.peers_load"))
                else:
                    res["ours_bulk"].append(g_ingest.run_one(redis.url(0), ingest_dir, name, INGEST_BATCH))
        # list pages at list_size tasks: LS's bulk project, ours filled with the bulk loader of B4/B5
        lflow = h.create_flow(gun.url, "peers-list")
        filler = Filler(redis.client(0), "peers-list", content, prefix="peers-list")
        filler.layout_check()
        filler.load(cfg["list_size"] - 2)
        token, n_ours = _ours_list_token(redis, lflow)
        page = cfg["list_size"] // 200 + 1  # the middle page of list_size tasks, 100 a page
        for rep in range(cfg["repeats"]):
            res["ours_list"].append(h.run_loadgen("ours-list", {
                "port": gun.port, "akid": h.ACCESS_KEY, "secret": h.SECRET_KEY, "flow_arn": lflow["flow_arn"],
                "token": token, "lists": cfg["lists"]}, 600, module="bench.peers_load"))
            res["ls_list"].append(h.run_loadgen("ls-list", {
                "port": ls.port, "token": ls.token, "project": bulk_pid, "page": page, "lists": cfg["lists"]},
                600, module="bench.peers_load"))
        res["n_ours_list"] = n_ours
    finally:
        ls.stop()
        for p in (beat, worker, gun, redis):
            p.stop()
    return res


def render(res: dict, cfg: dict, machine, quick: bool, seconds: float) -> str:
    def p50(runs, key):
        return [h.percentile(r[key], 50) for r in runs]

    def rate(runs, key, secs):
        return [len(r[key]) / r[secs] for r in runs]

    rows = []
    o_c, l_c = p50(res["ours"], "create"), p50(res["ls"], "create")
    o_r = [len(r["create"]) / r["create_s"] for r in res["ours"]]
    l_r = [len(r["create"]) / r["create_s"] for r in res["ls"]]
    rows.append(("task creation, one per request (ours: StartHumanLoop, SigV4; LS: POST /api/tasks)",
                 f"{stat(o_r).fmt(' /s')}, p50 {stat(o_c).fmt(' ms')}", f"{stat(l_r).fmt(' /s')}, p50 {stat(l_c).fmt(' ms')}",
                 ratios(o_r, l_r).fmt("×", 1)))
    bulk = [cfg["bulk"] / (r["bulk_ms"] / 1000) for r in res["ls_bulk"]]
    ours_bulk = [r["objects"] / r["seconds"] for r in res["ours_bulk"]]
    rows.append((f"bulk creation of {cfg['bulk']:,} tasks (ours: labeling-job manifest ingest, G1; "
                 "LS: POST /api/projects/<id>/import)", stat(ours_bulk).fmt(" objects/s"),
                 stat(bulk).fmt(" tasks/s"), ratios(ours_bulk, bulk).fmt("×", 1)))
    o_p, l_p = p50(res["ours"], "pairs"), p50(res["ls"], "pairs")
    rows.append(("next task + annotation (ours: claim + submit, review JSON API; LS: GET next + POST annotation): p50",
                 stat(o_p).fmt(" ms"), stat(l_p).fmt(" ms"), ratios(l_p, o_p).fmt("×", 1)))
    o_l, l_l = p50(res["ours_list"], "list"), p50(res["ls_list"], "list")
    rows.append((f"list page of 100 in the middle of {cfg['list_size']:,} tasks (ours: ListHumanLoops; LS: GET /api/tasks): p50",
                 stat(o_l).fmt(" ms"), stat(l_l).fmt(" ms"), ratios(l_l, o_l).fmt("×", 1)))
    out = ["<!-- peers:begin -->", "## P1 — side by side with Label Studio (`make bench-peers`)", ""]
    out.append(f"Run {machine.date} on commit `{machine.commit}`, {machine.nproc} × {machine.cpu}, load average "
               f"before {machine.load_before[0]:.2f}; {'quick mode (tiny sizes; not meaningful)' if quick else 'full'}; "
               f"took {seconds:.0f} s.")
    out.append("")
    out.append(f"**How:** Label Studio {LS_VERSION} (pip, its own venv `var/peers-venv`, never a dependency of the "
               "service) on SQLite — its single-machine default — served by gunicorn with the same worker settings as "
               "our API (gthread, 2 workers × 8 threads), on 127.0.0.1; hitl-service as shipped (gunicorn, Celery "
               "worker and beat, Redis with `deploy/redis.conf`). Both driven in the same run by the same client "
               "(`bench/peers_load.py`, one keep-alive connection, one request at a time, sides alternating per "
               f"repeat): {cfg['create']:,} creations, {cfg['pairs']:,} next+annotate pairs, {cfg['lists']:,} list "
               f"requests per repeat, {cfg['repeats']} repeats. Ratio = how many times faster ours is (rate ours/LS, "
               "latency LS/ours).")
    out.append("")
    out.extend(md_table(["operation", "hitl-service", "Label Studio", "ours faster by"], rows))
    out.append("")
    out.append(f"- p99: creation ours {stat([h.percentile(r['create'], 99) for r in res['ours']]).fmt(' ms')}, "
               f"LS {stat([h.percentile(r['create'], 99) for r in res['ls']]).fmt(' ms')}; next+annotate ours "
               f"{stat([h.percentile(r['pairs'], 99) for r in res['ours']]).fmt(' ms')}, LS "
               f"{stat([h.percentile(r['pairs'], 99) for r in res['ls']]).fmt(' ms')}.")
    out.append(f"- The list rows returned {res['ours_list'][0]['items']} (ours, flow of {res['n_ours_list']:,} loops) "
               f"and {res['ls_list'][0]['items']} (LS) items per page.")
    out.append(f"- Bulk: LS's figure is the wall time of one import request carrying a JSON list of {cfg['bulk']:,} "
               "tasks (upload, parse, insert into SQLite); ours is the ingest step of a labeling job reading a "
               f"JSON Lines manifest of {cfg['bulk']:,} lines with the same text from the local output backend and "
               f"storing them as pending data objects in Redis (`bench/g_ingest.py`'s child process, batches of "
               f"{INGEST_BATCH:,}; job creation not timed). "
               + "Objects ingested: " + ", ".join(f"{r['objects']:,}" for r in res["ours_bulk"])
               + "; LS tasks imported: " + ", ".join(str(r["response"].get("task_count", "?")) for r in res["ls_bulk"])
               + ".")
    route = [r["route_wait_s"] for r in res["ours"] if "route_wait_s" in r]
    if route:
        out.append(f"- Before the claim + submit pairs (untimed), the client waited {stat(route).fmt(' s')} until "
                   f"all {cfg['create']:,} new loops were routed onto the team's queue (GET /review/api/queues).")
    out.append("- Not like for like: Label Studio's task creation stores a task row in SQLite; ours also signs "
               "(SigV4), validates against the botocore model, and queues the loop for routing. LS's annotation "
               "has no lease; ours leases the assignment and writes the answer atomically (Lua).")
    out.append("<!-- peers:end -->")
    return "\n".join(out) + "\n"


def main(argv=None) -> int:
    """``make bench-peers``: run P1 (installing Label Studio once) and write the peers block."""
    return h.block_main(argv, prog="python -m bench.peers", description=__doc__, block="peers", full=FULL,
                        quick=QUICK, run=run, render=render)


if __name__ == "__main__":
    sys.exit(main())
