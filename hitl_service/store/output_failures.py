"""Failing a loop whose output.json can never be written (a permanent finalize error)."""

from __future__ import annotations

import enum

import redis

from hitl_service.store import keys, luafiles


class FailOutcome(enum.Enum):
    FAILED = "failed"      # the loop is now Failed with the given code and reason
    MISSING = "missing"    # no such loop (deleted meanwhile)
    OPEN = "open"          # the loop is not closing; nothing to fail
    TERMINAL = "terminal"  # it already finished (another finalize won)


class OutputFailures:
    """The store side of a finalize that can never succeed."""

    def __init__(self, client: redis.Redis):
        self._fail = luafiles.register(client, "loop_fail_output")

    def fail_loop(self, name: str, code: str, reason: str, now_ms: int) -> FailOutcome:
        """Mark a closing loop Failed with ``code``/``reason`` and queue its status-change event."""
        raw = self._fail(keys=[keys.loop(name), keys.OUTBOX_FINALIZE, keys.FINALIZE_PENDING_SINCE, keys.EXPIRY,
                               keys.OUTBOX_EVENTS, keys.LOOP_STATS],
                         args=[name, code, reason[:1024], now_ms])
        return FailOutcome(raw)
