"""`hitl run` (what `make run` starts), as an operator runs it: loopback by default, a warning for a
Redis without AOF, quiet routine sweeps, and Ctrl-C or SIGTERM stopping everything within 10 s."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

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
    with socket.socket() as s:
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


def stop_within_limit(proc: subprocess.Popen, port: int, sig: int, group: bool) -> float:
    """Send ``sig`` and require the command gone and its port free within STOP_SECONDS."""
    started = time.monotonic()
    if group:
        os.killpg(proc.pid, sig)  # what a terminal's Ctrl-C does: the signal reaches the whole group
    else:
        proc.send_signal(sig)
    try:
        proc.wait(STOP_SECONDS)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        raise AssertionError(f"hitl run still running {STOP_SECONDS} s after signal {sig}") from None
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
