"""Failing a loop whose output.json can never be written (a permanent finalize error)."""

from __future__ import annotations

import enum

from hitl_service.store import keys
from hitl_service.store.base import Part


class FailOutcome(enum.StrEnum):
    FAILED = "failed"      # the loop is now Failed with the given code and reason
    MISSING = "missing"    # no such loop (deleted meanwhile)
    OPEN = "open"          # the loop is not closing; nothing to fail
    TERMINAL = "terminal"  # it already finished (another finalize won)


class OutputFailures(Part):
    """The store side of a finalize that can never succeed."""

    def fail_loop(self, team: str, name: str, code: str, reason: str, now_ms: int) -> FailOutcome:
        """Make a closed loop Failed with ``code``/``reason`` and queue its status-change event."""
        raw = self.scripts.loop_fail_output(keys=[*keys.team_keys(team), keys.loop(team, name), keys.finalize_attempts(team)],
                         args=[keys.loop_member(name), code, reason[:1024], now_ms])
        return FailOutcome(raw)
