"""`hitl run` (what `make run` starts), as an operator runs it: loopback by default, a warning for a
Redis without AOF, quiet routine sweeps, and Ctrl-C or SIGTERM stopping everything within 10 s."""

from __future__ import annotations

import os
import random
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import requests

from hitl_service.launcher import process_commands
from tests.support.procs import RedisServer, free_port

STOP_SECONDS = 10


@pytest.fixture(scope="module")
def plain_redis():
    server = RedisServer(appendonly=False).start()
    yield server
    server.cleanup()


def listening_addresses(port: int) -> set[str]:
    """Local addresses with a socket listening on ``port`` (from /proc/net/tcp, state 0A)."""
    found = set()
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        local, state = line.split()[1], line.split()[3]
        addr, _, hexport = local.partition(":")
        if state == "0A" and int(hexport, 16) == port:
            found.add(socket.inet_ntoa(bytes.fromhex(addr)[::-1]))
    return found


def port_is_free(port: int) -> bool:
    """Nothing listens on ``port`` and a new server could bind it (as gunicorn does, with SO_REUSEADDR:
    connections the old one closed may linger in TIME_WAIT for a minute, which does not hold the port)."""
    if listening_addresses(port):
        return False
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def start_run(redis_url: str, root: Path) -> tuple[subprocess.Popen, int, Path]:
    port = free_port()
    log = root / "run.log"
    env = dict(os.environ, HITL_REDIS_URL=redis_url, HITL_REAPER_INTERVAL_SECONDS="0.5", PYTHONUNBUFFERED="1")
    env.pop("HITL_BIND_HOST", None)
    proc = subprocess.Popen([sys.executable, "-m", "hitl_service.cli", "run", "--port", str(port)], cwd=root,
                            env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT, start_new_session=True)
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        assert proc.poll() is None, log.read_text()
        try:
            if requests.get(f"http://127.0.0.1:{port}/healthz", timeout=2).status_code == 200:
                return proc, port, log
        except requests.RequestException:
            pass  # not listening yet, or a worker still booting
        time.sleep(0.3)
    os.killpg(proc.pid, signal.SIGKILL)
    raise AssertionError("hitl run did not come up:\n" + log.read_text()[-3000:])


def stop_within_limit(proc: subprocess.Popen, port: int, sig: int | None, group: bool) -> float:
    """Send ``sig`` and require the command gone and its port free within STOP_SECONDS."""
    started = time.monotonic()
    if sig is None:
        pass  # the caller has signalled already
    elif group:
        os.killpg(proc.pid, sig)  # what a terminal's Ctrl-C does: the signal reaches the whole group
    else:
        proc.send_signal(sig)
    try:
        proc.wait(STOP_SECONDS)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        raise AssertionError(f"still running {STOP_SECONDS} s after signal {sig or 'SIGINT+SIGTERM'}") from None
    elapsed = time.monotonic() - started
    assert port_is_free(port), f"port {port} still bound after hitl run exited"
    return elapsed


def test_run_listens_on_loopback_warns_about_aof_keeps_sweeps_quiet_and_stops_on_ctrl_c(plain_redis, tmp_path):
    proc, port, log = start_run(plain_redis.url, tmp_path)
    assert listening_addresses(port) == {"127.0.0.1"}
    time.sleep(2)  # beat fires its sweeps every 0.5 s meanwhile
    stop_within_limit(proc, port, signal.SIGINT, group=True)
    text = log.read_text()
    assert "WARNING: the Redis at" in text and "appendonly" in text
    assert "API listening on 127.0.0.1:" in text
    # beat sent its sweeps every 0.5 s, and the worker ran them: none of that is at INFO
    assert "Sending due task" not in text and "hitl.reap_expired_leases[" not in text
    assert "[tasks]" in text  # (the worker's banner, listing the tasks, is still there)


def test_run_stops_on_sigterm_to_the_launcher(plain_redis, tmp_path):
    proc, port, _ = start_run(plain_redis.url, tmp_path)
    stop_within_limit(proc, port, signal.SIGTERM, group=False)


class Client(threading.Thread):
    """Keeps requests going to the API (new connections, keep-alive ones, ones cut short) until told to stop.

    A stop signal then lands while workers hand connections to their thread pools, which is where a
    gthread worker told to quit at once deadlocks in its own signal handler (docs/operations.md).
    """

    def __init__(self, port: int):
        super().__init__(daemon=True)
        self.url = f"http://127.0.0.1:{port}/healthz"
        self.done = threading.Event()

    def run(self):
        session = requests.Session()
        while not self.done.is_set():
            try:
                (session.get if random.random() < 0.5 else requests.get)(self.url, timeout=1)
            except requests.RequestException:
                session = requests.Session()  # the server is going away: that is the point

    def stop(self):
        self.done.set()
        self.join(5)


def start_api(redis_url: str, root: Path) -> tuple[subprocess.Popen, int]:
    """The API process exactly as `hitl run` and docker-compose start it, serving /healthz."""
    port = free_port()
    env = dict(os.environ, HITL_REDIS_URL=redis_url, HITL_ACCESS_KEYS="AKIATESTSTOP:secret-for-stop-tests",
               HITL_SECRET_KEY="s" * 32, HITL_DATA_DIR=str(root / "data"))
    argv = process_commands(port, python=sys.executable, host="127.0.0.1")["api"]
    proc = subprocess.Popen(argv, cwd=root, env=env, start_new_session=True, stdout=(root / "api.log").open("ab"),
                            stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert proc.poll() is None, (root / "api.log").read_text()[-3000:]
        try:
            if requests.get(f"http://127.0.0.1:{port}/healthz", timeout=2).status_code == 200:
                return proc, port
        except requests.RequestException:
            pass
        time.sleep(0.2)
    os.killpg(proc.pid, signal.SIGKILL)
    raise AssertionError("the API did not come up")


def test_the_api_process_stops_within_the_limit_even_when_told_to_quit_at_once(plain_redis, tmp_path):
    """SIGINT then SIGTERM to gunicorn right after a request, the old 'master hangs' stop, ten times.

    Just after a response the worker hands the closing connection to its thread pool, the moment a
    quit signal deadlocks a gthread worker (docs/operations.md, "Stopping"): about one stop in four
    hung for 30 s here before gunicorn was given --graceful-timeout.
    """
    for _ in range(10):
        proc, port = start_api(plain_redis.url, tmp_path)
        assert requests.get(f"http://127.0.0.1:{port}/healthz", timeout=5).status_code == 200
        proc.send_signal(signal.SIGINT)
        proc.send_signal(signal.SIGTERM)
        stop_within_limit(proc, port, None, group=False)


def test_run_stops_every_time_on_ctrl_c_or_sigterm_under_traffic(plain_redis, tmp_path):
    """`hitl run` started and stopped ten times, alternating a terminal's Ctrl-C and SIGTERM."""
    for i in range(10):
        proc, port, log = start_run(plain_redis.url, tmp_path)
        client = Client(port)
        client.start()
        time.sleep(0.3)
        try:
            if i % 2:
                stop_within_limit(proc, port, signal.SIGTERM, group=False)
            else:
                stop_within_limit(proc, port, signal.SIGINT, group=True)
        finally:
            client.stop()
