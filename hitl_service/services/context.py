"""What every service function needs: settings, the store, ARN builder and a task dispatcher."""

from __future__ import annotations

import dataclasses
import logging
from typing import Protocol

from hitl_service.config import Settings
from hitl_service.domain.names import ArnFactory
from hitl_service.store.redis_store import Store

log = logging.getLogger(__name__)


class Dispatcher(Protocol):
    """Hands background work to Celery; called only after the state the task needs is stored."""

    def route(self, loop_name: str) -> None: ...

    def route_pending(self) -> None: ...

    def finalize(self, loop_name: str) -> None: ...

    def retire_flow(self, flow_name: str, flow_id: str) -> None: ...

    def deliver_events(self) -> None: ...

    def job_work(self, job_name: str) -> None: ...


@dataclasses.dataclass
class ServiceContext:
    settings: Settings
    store: Store
    arns: ArnFactory
    dispatcher: Dispatcher


def dispatch_safely(action, *args) -> None:
    """Enqueue a task; if the broker is down, the outbox sweeper on beat will enqueue it later."""
    try:
        action(*args)
    except Exception as exc:  # noqa: BLE001 - any broker failure is recoverable through the outbox
        log.warning("dispatch deferred to outbox sweep action=%s args=%s error=%s", getattr(action, "__name__", action), args, exc)
