"""A private RabbitMQ node on free local ports (its own Erlang port mapper, data and cookie)."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
import uuid
from pathlib import Path

from tests.support.procs import free_port

SBIN = "/usr/lib/rabbitmq/bin"


class RabbitMQ:
    """``rabbitmq-server`` with nothing shared with other nodes on the machine."""

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="hitl-rabbitmq-")
        self.port = free_port()
        self.node = f"hitl{uuid.uuid4().hex[:8]}@localhost"
        d = Path(self.dir)
        (d / "enabled_plugins").write_text("[].\n")
        (d / "rabbitmq.conf").write_text(f"listeners.tcp.default = {self.port}\nloopback_users = none\n")
        self.env = dict(os.environ, HOME=self.dir, RABBITMQ_NODENAME=self.node, RABBITMQ_NODE_PORT=str(self.port),
                        RABBITMQ_DIST_PORT=str(free_port()), ERL_EPMD_PORT=str(free_port()),
                        RABBITMQ_MNESIA_BASE=str(d / "mnesia"), RABBITMQ_LOG_BASE=str(d / "log"),
                        RABBITMQ_ENABLED_PLUGINS_FILE=str(d / "enabled_plugins"),
                        RABBITMQ_CONFIG_FILE=str(d / "rabbitmq"), RABBITMQ_PID_FILE=str(d / "pid"))
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"amqp://guest:guest@127.0.0.1:{self.port}//"

    def ctl(self, *args: str, timeout: float = 60) -> subprocess.CompletedProcess:
        return subprocess.run([f"{SBIN}/rabbitmqctl", "-n", self.node, *args], env=self.env, capture_output=True,
                              text=True, timeout=timeout)

    def start(self, timeout: float = 120) -> "RabbitMQ":
        self.proc = subprocess.Popen([f"{SBIN}/rabbitmq-server"], env=self.env, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL, start_new_session=True)
        deadline = time.monotonic() + timeout
        while self.ctl("await_startup", timeout=timeout).returncode != 0:
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("rabbitmq-server did not start")
            time.sleep(1)
        return self

    def queue_types(self) -> dict[str, str]:
        out = self.ctl("list_queues", "name", "type", "--quiet", "--no-table-headers").stdout
        return dict(line.split("\t")[:2] for line in out.splitlines() if "\t" in line)

    def cleanup(self) -> None:
        self.ctl("stop", timeout=60)
        if self.proc is not None:
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, 9)
        # the node started its own port mapper (on ERL_EPMD_PORT), which outlives it: stop that too
        subprocess.run(["epmd", "-port", self.env["ERL_EPMD_PORT"], "-kill"], env=self.env, capture_output=True,
                       timeout=30)
        shutil.rmtree(self.dir, ignore_errors=True)
