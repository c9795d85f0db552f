"""A primary, two replicas and three redis-sentinel processes on free local ports.

Two replicas, so that after a failover the new primary still has one: a store that acknowledges a
write only once a replica has it (HITL_REDIS_MIN_REPLICAS=1) keeps accepting writes. Sentinel
promotes the replica with the highest replication offset, which holds every write either replica
confirmed.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import redis

from tests.support.procs import free_port, wait_for_port

MASTER = "hitlmaster"


class SentinelGroup:
    """``redis-server`` primary + two replicas watched by three ``redis-server --sentinel`` processes."""

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="hitl-sentinel-")
        self.data_ports = [free_port(), free_port(), free_port()]
        self.sentinel_ports = [free_port() for _ in range(3)]
        self.procs: dict[int, subprocess.Popen] = {}

    @property
    def url(self) -> str:
        hosts = ",".join(f"127.0.0.1:{p}" for p in self.sentinel_ports)
        return f"redis+sentinel://{hosts}/{MASTER}/0"

    def _server(self, port: int, *extra: str) -> None:
        d = Path(self.dir, str(port))
        d.mkdir(exist_ok=True)
        self.procs[port] = subprocess.Popen(
            [shutil.which("redis-server"), "--port", str(port), "--bind", "127.0.0.1", "--dir", str(d),
             "--appendonly", "yes", "--appendfsync", "always", "--save", "", "--protected-mode", "no",
             "--loglevel", "warning", *extra], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_for_port(port, proc=self.procs[port])

    def start(self) -> "SentinelGroup":
        primary, *replicas = self.data_ports
        self._server(primary)
        for replica in replicas:
            self._server(replica, "--replicaof", "127.0.0.1", str(primary))
        for port in self.sentinel_ports:
            conf = Path(self.dir, f"sentinel-{port}.conf")
            conf.write_text(f"port {port}\nbind 127.0.0.1\nprotected-mode no\ndir {self.dir}\n"
                            f"sentinel monitor {MASTER} 127.0.0.1 {primary} 2\n"
                            f"sentinel down-after-milliseconds {MASTER} 1000\n"
                            f"sentinel failover-timeout {MASTER} 5000\n"
                            f"sentinel parallel-syncs {MASTER} 1\n")
            self.procs[port] = subprocess.Popen([shutil.which("redis-server"), str(conf), "--sentinel"],
                                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            wait_for_port(port, proc=self.procs[port])
        self.wait_replicated()
        return self

    def primary_port(self) -> int:
        s = redis.Redis(port=self.sentinel_ports[0], decode_responses=True)
        try:
            return int(s.sentinel_get_master_addr_by_name(MASTER)[1])
        finally:
            s.close()

    def wait_replicated(self, timeout: float = 30.0) -> None:
        """Until both replicas are linked and every sentinel knows them."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                ok = all(self._sentinel_sees_replica(p) for p in self.sentinel_ports)
            except redis.RedisError:
                ok = False
            if ok:
                return
            time.sleep(0.2)
        raise TimeoutError("sentinels did not see a linked replica")

    def _sentinel_sees_replica(self, port: int) -> bool:
        s = redis.Redis(port=port, decode_responses=True)
        try:
            replicas = s.sentinel_slaves(MASTER)
            return sum(1 for r in replicas if r.get("master-link-status") == "ok") >= len(self.data_ports) - 1
        finally:
            s.close()

    def kill_primary(self) -> int:
        """kill -9 the current primary; returns its port."""
        port = self.primary_port()
        proc = self.procs[port]
        proc.kill()
        proc.wait(10)
        return port

    def cleanup(self) -> None:
        for proc in self.procs.values():
            if proc.poll() is None:
                proc.terminate()
        for proc in self.procs.values():
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
        shutil.rmtree(self.dir, ignore_errors=True)
