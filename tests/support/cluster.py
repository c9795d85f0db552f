"""A real three-master Redis Cluster on free local ports, started and torn down by a test fixture."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import redis

from tests.support.procs import free_port, wait_for_port


class RedisCluster:
    """Three ``redis-server --cluster-enabled yes`` processes joined with ``redis-cli --cluster create``."""

    def __init__(self, masters: int = 3):
        self.ports = [free_port() for _ in range(masters)]
        # the cluster bus defaults to port + 10000, which may not exist or be free: name one
        self.bus_ports = [free_port() for _ in range(masters)]
        self.dir = tempfile.mkdtemp(prefix="hitl-cluster-")
        self.procs: list[subprocess.Popen] = []

    @property
    def url(self) -> str:
        """What HITL_REDIS_URL names for this cluster (any node finds the others)."""
        return f"redis+cluster://127.0.0.1:{self.ports[0]}"

    def start(self) -> "RedisCluster":
        binary = shutil.which("redis-server")
        for port, bus in zip(self.ports, self.bus_ports):
            d = Path(self.dir, str(port))
            d.mkdir()
            self.procs.append(subprocess.Popen(
                [binary, "--port", str(port), "--bind", "127.0.0.1", "--dir", str(d), "--cluster-enabled", "yes",
                 "--cluster-port", str(bus),
                 "--cluster-config-file", "nodes.conf", "--cluster-node-timeout", "2000", "--appendonly", "no",
                 "--save", "", "--protected-mode", "no", "--loglevel", "warning"],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        for port, proc in zip(self.ports, self.procs):
            wait_for_port(port, proc=proc)
        subprocess.run(["redis-cli", "--cluster", "create", *[f"127.0.0.1:{p}" for p in self.ports],
                        "--cluster-replicas", "0", "--cluster-yes"], check=True, capture_output=True, timeout=60)
        deadline = time.monotonic() + 30
        while not all(self._ok(p) for p in self.ports):
            if time.monotonic() > deadline:
                raise TimeoutError("the Redis Cluster did not reach cluster_state:ok")
            time.sleep(0.1)
        return self

    def _ok(self, port: int) -> bool:
        c = redis.Redis(port=port, decode_responses=True)
        try:
            info = c.execute_command("CLUSTER INFO")
            if isinstance(info, dict):
                return info.get("cluster_state") == "ok"
            return "cluster_state:ok" in info
        finally:
            c.close()

    def flush(self) -> None:
        for port in self.ports:
            c = redis.Redis(port=port)
            c.flushall()
            c.close()

    def keys_per_node(self) -> list[int]:
        """How many keys each master holds (the layout spreads work across them)."""
        out = []
        for port in self.ports:
            c = redis.Redis(port=port)
            out.append(c.dbsize())
            c.close()
        return out

    def cleanup(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                proc.terminate()
        for proc in self.procs:
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
        shutil.rmtree(self.dir, ignore_errors=True)
