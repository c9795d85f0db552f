"""What every service function needs: settings, the store, ARN builder and a task dispatcher."""

from __future__ import annotations

import dataclasses
import logging
from typing import Protocol

from hitl_service.config import Settings
from hitl_service.domain.names import ArnFactory
from hitl_service.store.facade import Store

log = logging.getLogger(__name__)


class Dispatcher(Protocol):
    """Hands background work to Celery; called only after the state the task needs is stored."""

    def route(self, loop_name: str) -> None: ...

    def route_pending(self) -> None: ...

    def finalize(self, loop_name: str) -> None: ...

    def finalize_pending(self, team: str) -> None: ...

    def retire_flow(self, flow_name: str, flow_id: str) -> None: ...

    def deliver_events(self) -> None: ...

    def job_work(self, job_name: str) -> None: ...


@dataclasses.dataclass
class ServiceContext:
    """Built once per process (create_app, the worker's context, the CLI) and passed down."""

    settings: Settings
    store: Store
    arns: ArnFactory
    dispatcher: Dispatcher
    storage: object = None    # the output storage backend (hitl_service.output.storage.OutputStorage)


def build_context(settings: Settings, dispatcher: Dispatcher, store: Store | None = None) -> ServiceContext:
    """The composition root shared by the app, the worker and the CLI: store, storage, ARNs."""
    from hitl_service.output.storage import storage_from_settings
    from hitl_service.store.client import connect_url

    if store is None:
        store = Store(connect_url(settings.redis_url), min_replicas=settings.redis_min_replicas,
                      wait_timeout_ms=settings.redis_wait_timeout_ms)
    secret = settings.secret_key

    def signer(bucket: str, key: str, expires_in: int) -> str:
        from hitl_service.review.views import sign_file_url

        return sign_file_url(secret, bucket, key, expires_in)

    return ServiceContext(settings=settings, store=store, arns=ArnFactory(settings.region, settings.account_id),
                          dispatcher=dispatcher, storage=storage_from_settings(settings, local_url_signer=signer))


def dispatch_safely(action, *args) -> None:
    """Enqueue a task; if the broker is down, the outbox sweeper on beat will enqueue it later."""
    try:
        action(*args)
    except Exception as exc:  # noqa: BLE001 - any broker failure is recoverable through the outbox
        log.warning("dispatch deferred to outbox sweep action=%s args=%s error=%s", getattr(action, "__name__", action), args, exc)
