"""Clock and timestamp formats: ISO-8601 with milliseconds (runtime API), epoch seconds (control plane)."""

from __future__ import annotations

import time
from datetime import datetime, timezone


def now_ms() -> int:
    """Wall-clock time in integer milliseconds since the epoch."""
    return time.time_ns() // 1_000_000


def iso_ms(ms: int) -> str:
    """``2020-02-24T21:05:23.449Z`` for an epoch-milliseconds value."""
    dt = datetime.fromtimestamp(ms / 1000, tz=timezone.utc)
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{ms % 1000:03d}Z"


def epoch_seconds(ms: int) -> float:
    """Epoch seconds (float) for the control plane's JSON timestamps."""
    return ms / 1000


def to_ms(dt: datetime) -> int:
    """Epoch milliseconds of an aware datetime (naive ones are taken as UTC)."""
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=timezone.utc)
    return int(round(dt.timestamp() * 1000))


def utc_from_ms(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, tz=timezone.utc)
