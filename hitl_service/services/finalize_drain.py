"""Finishing closed loops in batches: one drain task per burst of closes instead of a task per loop.

A close leaves the loop in its team's finalize outbox (the closing script) and then raises the team's
finalize wake flag; only the close that finds the flag down sends a drain task. The drain takes up to
``finalize_batch_size`` loops at a time and runs ``finalize_loop`` on each in a thread pool, so the
output writes (S3 puts) of a batch are in flight together; each loop is still written first and
marked terminal after, by the same exactly-once script as before. The flag comes down only in the
step that finds nothing left to take, so a close that saw it up is always taken by the running drain.
"""

from __future__ import annotations

import concurrent.futures
import dataclasses
import functools
import logging

from hitl_service.domain.states import FinishOutcome
from hitl_service.domain.timefmt import now_ms
from hitl_service.services.context import ServiceContext, dispatch_safely
from hitl_service.services.finalize import finalize_loop
from hitl_service.store.output_failures import FailOutcome

log = logging.getLogger(__name__)

# batches per task run before the rest continues in a fresh message, so other tasks get a turn
MAX_BATCHES = 50


@dataclasses.dataclass(frozen=True)
class DrainResult:
    """What one drain run did for a team."""

    taken: int          # loops handed to finalize_loop
    finished: int       # loops made terminal (Completed, Stopped, Failed)
    more: bool          # it stopped at MAX_BATCHES with the flag still up: continue in a new task


def request_finalize(ctx: ServiceContext, team: str) -> None:
    """After a loop of ``team`` entered the finalize outbox: ask for a drain unless one is asked for already."""
    if ctx.store.loops.wake_finalize(team, ctx.settings.finalize_wake_ttl_ms):
        dispatch_safely(ctx.dispatcher.finalize_pending, team)


def _finalize_one(ctx: ServiceContext, storage, name: str) -> str:
    try:
        return finalize_loop(ctx, name, storage)
    except Exception as exc:  # noqa: BLE001 - a write failure is rescheduled in the outbox (finalize_loop)
        log.debug("finalize deferred loop=%s error=%s", name, exc)
        return "retry-scheduled"


def drain_team(ctx: ServiceContext, team: str, storage, pool: concurrent.futures.Executor) -> DrainResult:
    """Finalize the team's waiting loops a batch at a time until none is left (or MAX_BATCHES)."""
    batch = max(1, ctx.settings.finalize_batch_size)
    seen: set[str] = set()
    taken = finished = 0
    for _ in range(MAX_BATCHES):
        names = [n for n in ctx.store.loops.take_finalize(team, now_ms(), batch) if n not in seen]
        if not names:
            # nothing left (the flag came down with it), or only entries this run already handled that
            # stayed in the outbox (a write error other than storage's): those wait for the sweep
            return DrainResult(taken, finished, more=False)
        seen.update(names)
        outcomes = list(pool.map(functools.partial(_finalize_one, ctx, storage), names))
        taken += len(names)
        finished += sum(1 for o in outcomes if o in (FinishOutcome.FINISHED, FailOutcome.FAILED))
    return DrainResult(taken, finished, more=True)
