"""Keeps the processes ``hitl run`` starts alive: a child that exits is started again, with backoff."""

from __future__ import annotations

import dataclasses
import logging
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
    for child in reversed(children):
        if child.proc is not None and child.proc.poll() is None:
            child.proc.terminate()
    for child in reversed(children):
        if child.proc is None:
            continue
        try:
            child.proc.wait(15)
        except subprocess.TimeoutExpired:
            child.proc.kill()
