"""Keeps the processes ``hitl run`` starts alive: a child that exits is started again, with backoff."""

from __future__ import annotations

import dataclasses
import logging
import os
import signal
import subprocess
import time
from typing import Callable

log = logging.getLogger(__name__)

# a child that ran this long before it exited is considered healthy: its next restart is immediate
STABLE_SECONDS = 60.0
MAX_BACKOFF_SECONDS = 30.0


def backoff_seconds(failures: int) -> float:
    """Wait before the next start after ``failures`` quick exits in a row: 0.5 s doubling, capped."""
    return 0.0 if failures <= 0 else min(MAX_BACKOFF_SECONDS, 0.5 * 2 ** (failures - 1))


@dataclasses.dataclass
class Child:
    """One supervised process: how to start it, and its restart state."""

    name: str
    start: Callable[[], subprocess.Popen]
    proc: subprocess.Popen | None = None
    started_at: float = 0.0
    failures: int = 0
    restarts: int = 0
    restart_at: float | None = None

    def launch(self, now: float) -> None:
        self.proc = self.start()
        self.started_at = now
        self.restart_at = None

    def check(self, now: float, notify: Callable[[str], None]) -> None:
        """Start the child again when its backoff has passed; notice when it has exited."""
        if self.restart_at is not None:
            if now >= self.restart_at:
                self.restarts += 1
                self.launch(now)
            return
        if self.proc is None or self.proc.poll() is None:
            return
        ran = now - self.started_at
        self.failures = 0 if ran >= STABLE_SECONDS else self.failures + 1
        delay = backoff_seconds(self.failures)
        notify(f"{self.name} exited with {self.proc.returncode} after {ran:.1f}s; starting it again in {delay:.1f}s")
        self.restart_at = now + delay


def supervise(children: list[Child], stopping: Callable[[], bool], notify: Callable[[str], None],
              interval: float = 0.3, clock: Callable[[], float] = time.monotonic) -> None:
    """Run until ``stopping()``: restart every child that exits, then stop them all (newest first)."""
    for child in children:
        if child.proc is None:
            child.launch(clock())
    while not stopping():
        now = clock()
        for child in children:
            child.check(now, notify)
        time.sleep(interval)
    stop_all(list(reversed(children)))


# Ctrl-C / SIGTERM: every child gets SIGTERM at once, and whatever still runs when this much time has
# passed is killed with its whole process group, so `hitl run` ends (and the port is free) within 10 s
STOP_GRACE_SECONDS = 7.0


def stop_all(children: list[Child], grace: float = STOP_GRACE_SECONDS) -> None:
    """SIGTERM every child at once; kill the process group of any still running after ``grace``.

    The children run in their own sessions (launcher.py), so a terminal's Ctrl-C reaches only
    `hitl run` and each child sees one SIGTERM, never SIGINT and SIGTERM in a row. One shared
    deadline, not one per child, bounds the whole stop.
    """
    procs = [(c.name, c.proc) for c in children if c.proc is not None]
    for _, proc in procs:
        if proc.poll() is None:
            proc.terminate()
    deadline = time.monotonic() + grace
    for name, proc in procs:
        try:
            proc.wait(max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            log.warning("child did not stop in time; killing its process group child=%s grace_s=%s", name, grace)
            try:
                os.killpg(proc.pid, signal.SIGKILL)  # its own group: gunicorn's workers go too
            except ProcessLookupError:
                proc.kill()  # a child that leads no group of its own (the Redis started here)
            proc.wait(5)
