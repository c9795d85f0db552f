"""Sign-in throttling state: failed attempts per account and per client address, in Redis so that
every API process sees the same counts."""

from __future__ import annotations

import dataclasses

from hitl_service.store import keys
from hitl_service.store.base import Part


@dataclasses.dataclass(frozen=True)
class ThrottlePolicy:
    """How many failures a subject may have before it is locked out, and for how long."""

    limit: int
    base_lock_seconds: float
    max_lock_seconds: float
    window_seconds: float


@dataclasses.dataclass(frozen=True)
class ThrottleState:
    """A subject's standing: its recent failures and how long it stays locked (0: not locked)."""

    failures: int
    retry_after_ms: int

    @property
    def locked(self) -> bool:
        return self.retry_after_ms > 0


class LoginThrottle(Part):
    """Failed sign-ins per subject key (keys.login_failures_account / login_failures_address)."""

    def state(self, key: str, now_ms: int) -> ThrottleState:
        """The subject's current standing."""
        failures, locked_until = self.r.hmget(key, ("failures", "locked_until"))
        return ThrottleState(int(failures or 0), max(0, int(locked_until or 0) - now_ms))

    def record_failure(self, key: str, policy: ThrottlePolicy, now_ms: int) -> ThrottleState:
        """Count one failure; the returned state says whether the subject is now locked."""
        failures, lock_ms = self.scripts.throttle_fail(keys=[key], args=[
            now_ms, policy.limit, int(policy.base_lock_seconds * 1000), int(policy.max_lock_seconds * 1000),
            int(policy.window_seconds * 1000)])
        return ThrottleState(int(failures), int(lock_ms))

    def clear(self, key: str) -> None:
        """Forget a subject's failures (after it signed in correctly)."""
        self.r.delete(key)


__all__ = ["LoginThrottle", "ThrottlePolicy", "ThrottleState", "keys"]
