"""Processes and measurement helpers shared by the benchmarks.

Everything a benchmark starts (redis-server on a free port, gunicorn, Celery worker and beat, moto,
load generators) is registered here and stopped by ``stop_all`` (also at exit and on SIGINT/SIGTERM).
Processes are started in their own session and stopped by their own process-group id only.
"""

from __future__ import annotations

import atexit
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import redis

# the same process helpers the test suite uses (free port, waiting for a listener)
from tests.support.procs import free_port, wait_for_port  # noqa: F401 - re-exported for bench modules

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable
ACCESS_KEY = "AKIDBENCHHITL000001"
SECRET_KEY = "bench-secret-key-for-hitl-service-00000"
REGION = "us-east-1"
ACCOUNT = "123456789012"
ROLE = "arn:aws:iam::123456789012:role/hitl-bench"

_started: list["Proc"] = []
_tmpdirs: list[str] = []
_lock = threading.Lock()


def log(msg: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def tmpdir(prefix: str) -> str:
    d = tempfile.mkdtemp(prefix=f"hitl-bench-{prefix}-")
    _tmpdirs.append(d)
    return d


class Proc:
    """A child process in its own process group, with its output in a log file."""

    def __init__(self, name: str, argv: list[str], env: dict | None = None, cwd: Path = ROOT):
        self.name = name
        self.logdir = tmpdir(name)
        self.logpath = Path(self.logdir, f"{name}.log")
        self._log = open(self.logpath, "ab")
        self.stopped = False
        self.proc = subprocess.Popen(argv, cwd=cwd, env=env or dict(os.environ), stdout=self._log,
                                     stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)
        with _lock:
            _started.append(self)

    @property
    def pid(self) -> int:
        return self.proc.pid

    def alive(self) -> bool:
        return self.proc.poll() is None

    def output(self, tail: int = 4000) -> str:
        try:
            return self.logpath.read_text(errors="replace")[-tail:]
        except OSError:
            return ""

    def stop(self, timeout: float = 15.0) -> None:
        if self.stopped:
            return
        self.stopped = True
        # signal our own process group (the child was started in a new session), by id
        try:
            os.killpg(self.proc.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            pass
        # whatever of the group is still there (a worker that ignored SIGTERM, an orphaned child)
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            try:
                os.killpg(self.proc.pid, 0)
            except ProcessLookupError:
                break
            time.sleep(0.1)
        else:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        if self.proc.poll() is None:
            self.proc.wait(10)
        self._log.close()
        with _lock:
            if self in _started:
                _started.remove(self)


def stop_all() -> None:
    for p in reversed(list(_started)):
        try:
            p.stop(timeout=10)
        except Exception:  # noqa: BLE001 - best effort at shutdown
            pass
    for d in list(_tmpdirs):
        shutil.rmtree(d, ignore_errors=True)
        _tmpdirs.remove(d)


def _on_signal(signum, _frame):
    stop_all()
    raise SystemExit(128 + signum)


atexit.register(stop_all)


def install_signal_handlers() -> None:
    signal.signal(signal.SIGTERM, _on_signal)
    signal.signal(signal.SIGINT, _on_signal)


# ---- redis ------------------------------------------------------------------------------------------


class Redis:
    """A private redis-server: ``shipped`` uses deploy/redis.conf (AOF everysec), ``volatile`` no persistence."""

    def __init__(self, mode: str = "shipped", extra: list[str] | None = None):
        self.port = free_port()
        self.dir = tmpdir("redis")
        binary = shutil.which("redis-server")
        if binary is None:
            raise RuntimeError("redis-server is not installed (make bench installs it)")
        argv = [binary]
        if mode == "shipped":
            argv.append(str(ROOT / "deploy" / "redis.conf"))
        else:
            argv += ["--appendonly", "no", "--save", ""]
        argv += ["--port", str(self.port), "--bind", "127.0.0.1", "--dir", self.dir, "--loglevel", "warning",
                 "--databases", "16"]
        argv += extra or []
        self.mode = mode
        self.proc = Proc("redis", argv)
        wait_for_port(self.port, timeout=30, proc=self.proc.proc)
        c = self.client()
        deadline = time.monotonic() + 20
        while True:
            try:
                c.ping()
                break
            except redis.BusyLoadingError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)

    def url(self, db: int = 0) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"

    def client(self, db: int = 0, decode: bool = True) -> redis.Redis:
        return redis.Redis(host="127.0.0.1", port=self.port, db=db, decode_responses=decode)

    def stop(self) -> None:
        self.proc.stop()


class SingleStore:
    """One redis-server (shipped config) holding the store (db 0) and Celery's broker (db 1), as shipped."""

    label = "one Redis"

    def __init__(self):
        self.redis = Redis("shipped")
        self.url = self.redis.url(0)

    def env(self) -> dict:
        return {}  # the broker defaults to the next database of the same server

    def client(self) -> redis.Redis:
        return self.redis.client(0)

    def broker_client(self) -> redis.Redis:
        return self.redis.client(1)

    def groups(self) -> dict[str, "Proc"]:
        return {"redis": self.redis.proc}

    def stop(self) -> None:
        self.redis.stop()


class ClusterStore:
    """A Redis Cluster of ``masters`` redis-servers (shipped config plus ``--cluster-enabled yes``, joined by
    ``redis-cli --cluster create``) holding the store, and one plain redis-server as Celery's broker (a
    cluster cannot be a broker; docs/operations.md names RabbitMQ for production, a Redis keeps the
    broker side equal to the single-Redis set-up here)."""

    label = "Redis Cluster"

    def __init__(self, masters: int = 3):
        self.nodes: list[Redis] = []
        self.broker = None
        try:
            for _ in range(masters):
                # the cluster bus defaults to port + 10000, which may be taken: name a free one
                self.nodes.append(Redis("shipped", extra=[
                    "--cluster-enabled", "yes", "--cluster-port", str(free_port()),
                    "--cluster-config-file", "nodes.conf", "--cluster-node-timeout", "5000"]))
            subprocess.run(["redis-cli", "--cluster", "create", *[f"127.0.0.1:{n.port}" for n in self.nodes],
                           "--cluster-replicas", "0", "--cluster-yes"], check=True, capture_output=True, timeout=120)
            deadline = time.monotonic() + 60
            while not all(self._ok(n) for n in self.nodes):
                if time.monotonic() > deadline:
                    raise TimeoutError("the Redis Cluster did not reach cluster_state:ok")
                time.sleep(0.2)
            self.broker = Redis("shipped")
        except BaseException:
            self.stop()
            raise
        self.url = f"redis+cluster://127.0.0.1:{self.nodes[0].port}"

    @staticmethod
    def _ok(node: Redis) -> bool:
        info = node.client().execute_command("CLUSTER INFO")
        return (info.get("cluster_state") == "ok") if isinstance(info, dict) else "cluster_state:ok" in info

    def env(self) -> dict:
        return {"HITL_BROKER_URL": self.broker.url(0)}

    def client(self):
        from hitl_service.store.client import connect_url

        return connect_url(self.url)

    def broker_client(self) -> redis.Redis:
        return self.broker.client(0)

    def groups(self) -> dict[str, "Proc"]:
        out = {f"redis-{i + 1}": n.proc for i, n in enumerate(self.nodes)}
        if self.broker is not None:
            out["broker redis"] = self.broker.proc
        return out

    def keys_per_node(self) -> list[int]:
        """Keys held by each master (one team's work lives on one master: its hash tag's slot)."""
        return [n.client().dbsize() for n in self.nodes]

    def stop(self) -> None:
        for n in ([self.broker] if self.broker is not None else []) + list(reversed(self.nodes)):
            n.stop()


def store_engine(kind: str):
    """``single`` (one Redis, as shipped) or ``cluster`` (three masters + a broker Redis)."""
    return {"single": SingleStore, "cluster": ClusterStore}[kind]()


# ---- the service's processes --------------------------------------------------------------------------


def service_env(redis_url: str, port: int, data_dir: str | None = None, **extra: str) -> dict:
    env = dict(os.environ)
    for k in [k for k in env if k.startswith("HITL_")]:
        del env[k]
    env.update({
        "HITL_REDIS_URL": redis_url,
        "HITL_ACCESS_KEYS": f"{ACCESS_KEY}:{SECRET_KEY}",
        "HITL_SECRET_KEY": "bench-flask-secret",
        "HITL_PUBLIC_URL": f"http://127.0.0.1:{port}",
        "HITL_REGION": REGION,
        "HITL_ACCOUNT_ID": ACCOUNT,
        "HITL_DATA_DIR": data_dir or tmpdir("data"),
    })
    env.update(extra)
    return env


def shipped_commands(port: int, state_dir: str) -> dict[str, list[str]]:
    from hitl_service.launcher import process_commands

    cmds = process_commands(port, python=PY, state_dir=state_dir)
    # load comes from 127.0.0.1 only: bind there instead of 0.0.0.0 (nothing else changes)
    cmds["api"] = [a.replace("0.0.0.0:", "127.0.0.1:") for a in cmds["api"]]
    return cmds


def wait_http(url: str, proc: Proc, timeout: float) -> None:
    """Until ``url`` answers 200; fails early if ``proc`` died."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(url, timeout=5) as r:
                if r.status == 200:
                    return
        except Exception:  # noqa: BLE001 - not up yet
            if time.monotonic() > deadline or not proc.alive():
                raise RuntimeError(f"{proc.name} did not come up:\n" + proc.output())
            time.sleep(0.1)


class Gunicorn:
    """The API exactly as `make run` starts it (gthread, 2 workers x 8 threads, no gunicorn access log)."""

    def __init__(self, env: dict, app: str = "hitl_service.wsgi:app", name: str = "gunicorn",
                 access_log: bool | None = None):
        self.port = free_port()
        env = dict(env)
        env["HITL_PUBLIC_URL"] = f"http://127.0.0.1:{self.port}"
        argv = shipped_commands(self.port, tmpdir("state"))["api"]
        argv[-1] = app
        if access_log is not None and ("--access-logfile" in argv) != access_log:
            # experiments only; the benchmarks run the shipped command (which no longer has an access log)
            if access_log:
                argv[-1:-1] = ["--access-logfile", "-"]
            else:
                i = argv.index("--access-logfile")
                del argv[i:i + 2]
        self.argv = argv
        self.proc = Proc(name, argv, env)
        wait_for_port(self.port, timeout=30, proc=self.proc.proc)
        # generous: on a loaded 2-core machine (a CI run beside other work) workers boot slowly
        wait_http(f"{self.url}/healthz", self.proc, 90)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def host(self) -> str:
        return f"127.0.0.1:{self.port}"

    def worker_pids(self) -> list[int]:
        out = subprocess.run(["pgrep", "-P", str(self.proc.pid)], capture_output=True, text=True).stdout
        return [int(x) for x in out.split()]

    def stop(self) -> None:
        self.proc.stop()


class CeleryWorker:
    """`celery worker` exactly as shipped (prefork, concurrency 4); ``app`` may add bench-only tasks."""

    def __init__(self, env: dict, app: str = "workers.celery_app", extra: list[str] | None = None,
                 loglevel: str | None = None):
        argv = shipped_commands(0, tmpdir("state"))["worker"]
        argv[argv.index("-A") + 1] = app
        if loglevel:  # experiments only
            argv[argv.index("--loglevel") + 1] = loglevel
        argv += extra or []
        self.proc = Proc("celery-worker", argv, env)
        deadline = time.monotonic() + 60
        marker = b"ready." if not loglevel or loglevel.upper() in ("INFO", "DEBUG") else None
        if marker is None:  # a quieter log level does not print "ready."; wait for the broker connection instead
            time.sleep(3)
        while marker is not None and marker not in self.proc.logpath.read_bytes():
            if not self.proc.alive():
                raise RuntimeError("celery worker exited:\n" + self.proc.output())
            if time.monotonic() > deadline:
                raise TimeoutError("celery worker did not become ready:\n" + self.proc.output())
            time.sleep(0.1)

    def stop(self) -> None:
        self.proc.stop()


class CeleryBeat:
    def __init__(self, env: dict):
        state = tmpdir("beat")
        argv = shipped_commands(0, state)["beat"]
        self.proc = Proc("celery-beat", argv, env)

    def stop(self) -> None:
        self.proc.stop()


class Moto:
    def __init__(self):
        self.port = free_port()
        exe = shutil.which("moto_server", path=str(Path(PY).parent)) or shutil.which("moto_server")
        self.proc = Proc("moto", [exe, "-H", "127.0.0.1", "-p", str(self.port)])
        wait_for_port(self.port, timeout=60, proc=self.proc.proc)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def stop(self) -> None:
        self.proc.stop()


# ---- boto3 set-up helpers ---------------------------------------------------------------------------------


def boto(service: str, url: str):
    import boto3
    from botocore.config import Config

    return boto3.client(service, endpoint_url=url, region_name=REGION, aws_access_key_id=ACCESS_KEY,
                        aws_secret_access_key=SECRET_KEY, config=Config(retries={"max_attempts": 2}))


TEMPLATE = """<script src="https://assets.crowd.aws/crowd-html-elements.js"></script>
<crowd-form>
  <p>{{ task.input.taskObject }}</p>
  <crowd-input name="answer" label="Answer" required></crowd-input>
</crowd-form>
"""


def create_flow(url: str, name: str, *, groups=("bots",), task_count: int = 1,
                output: str = "s3://bench-output/results") -> dict:
    """Workteam, task UI and flow definition through the control-plane API, as a user would."""
    sm = boto("sagemaker", url)
    team_arn = sm.create_workteam(WorkteamName=f"{name}-team", Description="bench",
                                  MemberDefinitions=[{"OidcMemberDefinition": {"Groups": list(groups)}}])["WorkteamArn"]
    ui_arn = sm.create_human_task_ui(HumanTaskUiName=f"{name}-ui", UiTemplate={"Content": TEMPLATE})["HumanTaskUiArn"]
    flow_arn = sm.create_flow_definition(
        FlowDefinitionName=name, RoleArn=ROLE, OutputConfig={"S3OutputPath": output},
        HumanLoopConfig={"WorkteamArn": team_arn, "HumanTaskUiArn": ui_arn, "TaskCount": task_count,
                         "TaskTitle": "bench", "TaskDescription": "bench task"})["FlowDefinitionArn"]
    return {"flow": name, "flow_arn": flow_arn, "team": f"{name}-team", "team_arn": team_arn}


def input_content(size: int = 200) -> str:
    """A JSON document of exactly ``size`` bytes (the InputContent of every benchmark loop)."""
    base = '{"taskObject":"'
    text = base + "x" * (size - len(base) - 2) + '"}'
    assert len(text) == size
    return text


def start_body(name: str, flow_arn: str, content: str) -> bytes:
    return json.dumps({"HumanLoopName": name, "FlowDefinitionArn": flow_arn,
                       "HumanLoopInput": {"InputContent": content}}, separators=(",", ":")).encode()


def service_context(redis_url: str):
    """An in-process ServiceContext on the benchmark Redis (for set-up only: reviewers, flow ids)."""
    from hitl_service.config import Settings
    from hitl_service.domain.names import ArnFactory
    from hitl_service.services.context import ServiceContext
    from hitl_service.store.client import connect_url
    from hitl_service.store.redis_store import Store

    # nothing is dispatched from here (NoDispatch), so no broker is named (a cluster store requires one)
    settings = Settings(redis_url=redis_url, access_keys={ACCESS_KEY: SECRET_KEY}, region=REGION,
                        account_id=ACCOUNT, broker_url="memory://")
    return ServiceContext(settings=settings, store=Store(connect_url(redis_url)),
                          arns=ArnFactory(REGION, ACCOUNT), dispatcher=NoDispatch())


class NoDispatch:
    """A dispatcher that sends nothing, whatever the service asks for (route, finalize, ...)."""

    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        return lambda *args, **kwargs: None


def add_bots(redis_url: str, team_group: str, count: int, prefix: str = "bot") -> list[tuple[str, str]]:
    from hitl_service.services import reviewers

    ctx = service_context(redis_url)
    out = []
    for i in range(count):
        name, pw = f"{prefix}-{i}", f"password-{prefix}-{i}"
        reviewers.add_reviewer(ctx, name, pw, [team_group])
        out.append((name, pw))
    return out


# ---- load generators ----------------------------------------------------------------------------------------


def run_loadgen(mode: str, config: dict, timeout: float, module: str = "bench.loadgen") -> dict:
    """Run ``python -m bench.loadgen MODE`` in its own process; returns its JSON result."""
    d = tmpdir("loadgen")
    cfg, out = Path(d, "config.json"), Path(d, "result.json")
    cfg.write_text(json.dumps(config))
    proc = Proc(f"loadgen-{mode}", [PY, "-m", module, mode, str(cfg), str(out)])
    try:
        proc.proc.wait(timeout)
    except subprocess.TimeoutExpired:
        proc.stop()
        raise TimeoutError(f"load generator {mode} did not finish in {timeout}s:\n{proc.output()}")
    proc.stop()
    if proc.proc.returncode != 0 or not out.exists():
        raise RuntimeError(f"load generator {mode} failed ({proc.proc.returncode}):\n{proc.output()}")
    result = json.loads(out.read_text())
    shutil.rmtree(d, ignore_errors=True)
    return result


def presign_pool(path_prefix: str, signer, flow_arn: str, names: list[str], content: str, threads: int) -> None:
    """Write pre-signed StartHumanLoop requests for wrk: one file per wrk thread, a request a line."""
    files = [open(f"{path_prefix}.{t}", "w") for t in range(threads)]
    try:
        for i, name in enumerate(names):
            body = start_body(name, flow_arn, content)
            h = signer.sign("POST", "/human-loops", body=body)
            files[i % threads].write(f"{h['X-Amz-Date']}\t{h['Authorization']}\t{body.decode()}\n")
    finally:
        for f in files:
            f.close()


@dataclass
class WrkResult:
    requests: int
    duration_s: float
    rps: float
    p50_ms: float
    p90_ms: float
    p99_ms: float
    max_ms: float
    errors: dict
    wrapped: int
    non2xx: int = 0
    cpu: dict = field(default_factory=dict)

    def as_dict(self) -> dict:
        return self.__dict__.copy()


def run_wrk(url: str, pool_prefix: str, *, connections: int, duration: float, threads: int = 1,
            timeout: str = "5s") -> WrkResult:
    """wrk -c N against POST /human-loops with the pre-signed pool (bench/wrk_pool.lua)."""
    argv = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{max(1, int(round(duration)))}s", "--timeout", timeout,
            "-s", str(ROOT / "bench" / "wrk_pool.lua"), f"{url}/human-loops", "--", pool_prefix]
    out = subprocess.run(argv, capture_output=True, text=True, timeout=duration + 60)
    line = next((x for x in out.stdout.splitlines() if x.startswith("BENCHJSON ")), None)
    if line is None:
        raise RuntimeError(f"wrk failed:\n{out.stdout}\n{out.stderr}")
    d = json.loads(line[len("BENCHJSON "):])
    secs = d["duration_us"] / 1e6
    errors = {k[7:]: v for k, v in d.items() if k.startswith("errors_")}
    return WrkResult(requests=d["requests"], duration_s=secs, rps=(d["requests"] - errors.get("status", 0)) / secs,
                     p50_ms=d["p50_us"] / 1000, p90_ms=d["p90_us"] / 1000, p99_ms=d["p99_us"] / 1000,
                     max_ms=d["max_us"] / 1000, errors=errors, wrapped=d["wrapped"], non2xx=errors.get("status", 0))


# ---- sampling, statistics, machine ------------------------------------------------------------------------


class Sampler(threading.Thread):
    """Calls ``fn()`` every ``interval`` seconds and keeps (monotonic time, value) pairs."""

    def __init__(self, fn, interval: float = 0.5):
        super().__init__(daemon=True)
        self.fn, self.interval = fn, interval
        self.samples: list[tuple[float, object]] = []
        self._halt = threading.Event()

    def run(self) -> None:
        while not self._halt.is_set():
            try:
                self.samples.append((time.monotonic(), self.fn()))
            except Exception:  # noqa: BLE001 - a missed sample is not fatal
                pass
            self._halt.wait(self.interval)

    def stop(self) -> list[tuple[float, object]]:
        self._halt.set()
        self.join(5)
        return self.samples


def percentile(values, q: float) -> float:
    if not values:
        return float("nan")
    v = sorted(values)
    k = (len(v) - 1) * q / 100
    lo = int(k)
    hi = min(lo + 1, len(v) - 1)
    return v[lo] + (v[hi] - v[lo]) * (k - lo)


def slope(points: list[tuple[float, float]]) -> float:
    """Least-squares slope of y over x."""
    if len(points) < 2:
        return 0.0
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    mx, my = statistics.fmean(xs), statistics.fmean(ys)
    den = sum((x - mx) ** 2 for x in xs)
    return sum((x - mx) * (y - my) for x, y in points) / den if den else 0.0


@dataclass
class Machine:
    nproc: int
    cpu: str
    mem_gib: float
    python: str
    redis: str
    commit: str
    date: str
    load_before: tuple = ()
    loads: list = field(default_factory=list)


def machine_info() -> Machine:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = 0.0
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                mem = int(line.split()[1]) / 1024 / 1024
    except OSError:
        pass
    try:
        commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True).stdout.strip()
        dirty = [line for line in subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=ROOT,
                                                 capture_output=True, text=True).stdout.splitlines()
                 if line.strip() and not line.endswith("docs/benchmarks.md")]  # the report itself
        if dirty:
            names = ", ".join(line[3:] for line in dirty[:8]) + (" …" if len(dirty) > 8 else "")
            commit += f" plus uncommitted changes to {len(dirty)} tracked files: {names}"
    except OSError:
        commit = "unknown"
    rv = subprocess.run(["redis-server", "--version"], capture_output=True, text=True).stdout.strip()
    return Machine(nproc=os.cpu_count() or 0, cpu=cpu, mem_gib=round(mem, 1), python=sys.version.split()[0],
                   redis=rv.split(" v=")[1].split()[0] if " v=" in rv else rv, commit=commit or "unknown",
                   date=time.strftime("%Y-%m-%d %H:%M:%S %Z"), load_before=os.getloadavg())


# ---- CPU accounting -----------------------------------------------------------------------------------------


def group_cpu(groups: dict[str, "Proc"]) -> dict[str, float]:
    """CPU seconds (user + system) used so far by the live processes of each Proc's process group."""
    ticks = os.sysconf("SC_CLK_TCK")
    by_pgid = {p.proc.pid: name for name, p in groups.items()}
    out = {name: 0.0 for name in groups}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            data = Path(f"/proc/{d}/stat").read_text()
        except OSError:
            continue
        rest = data[data.rfind(")") + 2:].split()
        name = by_pgid.get(int(rest[2]))
        if name is not None:
            out[name] += (int(rest[11]) + int(rest[12])) / ticks
    return out


class CpuMeter:
    """CPU seconds used between start() and stop() by each process group, and by reaped children (wrk)."""

    def __init__(self, groups: dict[str, "Proc"]):
        self.groups = groups

    def start(self) -> "CpuMeter":
        import resource

        self._c0 = resource.getrusage(resource.RUSAGE_CHILDREN)
        self._g0 = group_cpu(self.groups)
        self._t0 = time.monotonic()
        return self

    def stop(self) -> dict[str, float]:
        import resource

        g1 = group_cpu(self.groups)
        c1 = resource.getrusage(resource.RUSAGE_CHILDREN)
        out = {k: g1[k] - self._g0[k] for k in g1}
        out["reaped children (load generator)"] = (c1.ru_utime + c1.ru_stime) - (self._c0.ru_utime + self._c0.ru_stime)
        out["wall"] = time.monotonic() - self._t0
        return out


# ---- a benchmark that writes one marked block of the report --------------------------------------------------


def block_main(argv, *, prog: str, description: str, block: str, full: dict, quick: dict, run, render) -> int:
    """``main`` of a benchmark with its own block in docs/benchmarks.md: ``--quick``, ``--out``; runs
    ``run(cfg)``, stops everything it started, writes ``render(result, cfg, machine, quick, seconds)``."""
    import argparse

    from bench.report import write_block

    p = argparse.ArgumentParser(prog=prog, description=description)
    p.add_argument("--quick", action="store_true", help="tiny sizes and durations (smoke run)")
    p.add_argument("--out", default="docs/benchmarks.md", help="report file to put the block into")
    args = p.parse_args(argv)
    os.chdir(ROOT)
    install_signal_handlers()
    cfg = quick if args.quick else full
    machine = machine_info()
    t0 = time.monotonic()
    try:
        result = run(cfg)
    finally:
        stop_all()
    text = render(result, cfg, machine, args.quick, time.monotonic() - t0)
    write_block(args.out, block, text)
    log(f"wrote the {block} block into {args.out}")
    print(text)
    return 0
