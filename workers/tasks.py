"""Celery tasks. Each takes names, re-reads state, and is safe to run twice."""

from __future__ import annotations

import logging

from hitl_service.domain.timefmt import now_ms
from hitl_service.services import finalize as finalize_service
from hitl_service.services import resources
from hitl_service.services.loops import EXPIRED_REASON
from hitl_service.store import keys
from hitl_service.workforce import audit
from workers.celery_app import app
from workers.runtime import context

log = logging.getLogger(__name__)

_storage = None


def output_storage():
    global _storage
    if _storage is None:
        from hitl_service.output.storage import storage_from_settings

        _storage = storage_from_settings(context().settings)
    return _storage


@app.task(name="hitl.route_loop", acks_late=True)
def route_loop(loop_name: str) -> str:
    """Put the loop's TaskCount assignments on its workteam's queue (once)."""
    outcome = context().store.scripts.enqueue_assignments(args=[loop_name])
    log.info("route loop=%s outcome=%s", loop_name, outcome)
    return outcome


MAX_ROUTE_BATCHES = 50


@app.task(name="hitl.route_pending_loops", acks_late=True)
def route_pending_loops() -> int:
    """Route every loop waiting in the route outbox, a batch per script call."""
    ctx = context()
    batch = max(1, ctx.settings.route_batch_size)
    total = 0
    for _ in range(MAX_ROUTE_BATCHES):
        out = ctx.store.scripts.route_pending_loops(args=[batch])
        for name, outcome in zip(out[::2], out[1::2]):
            log.info("route loop=%s outcome=%s", name, outcome)
        total += len(out) // 2
        if len(out) // 2 < batch:
            return total
    # more keep arriving: continue in a fresh message so other tasks get a turn
    ctx.dispatcher.route_pending()
    return total


@app.task(name="hitl.finalize_loop", acks_late=True)
def finalize_loop(loop_name: str) -> str:
    """Write output.json then mark the loop terminal; failures are rescheduled through the outbox."""
    ctx = context()
    try:
        outcome = finalize_service.finalize_loop(ctx, loop_name, output_storage())
    except Exception:  # noqa: BLE001 - rescheduled in the outbox with backoff; the sweep re-enqueues it
        return "retry-scheduled"
    if outcome == "finished" and has_webhooks(ctx, loop_name):
        ctx.dispatcher.deliver_events()
    return outcome


def has_webhooks(ctx, loop_name: str) -> bool:
    """Whether a finished loop's event goes anywhere (else the sweep just drops it from the outbox)."""
    if ctx.settings.webhook_urls:
        return True
    return (ctx.store.r.hget(keys.loop(loop_name), "webhooks") or "[]") != "[]"


@app.task(name="hitl.retire_flow", acks_late=True)
def retire_flow(flow_name: str, flow_id: str) -> str:
    """Stop a Deleting flow's loops, then remove the flow."""
    return resources.retire_flow_definition(context(), flow_name, flow_id)


@app.task(name="hitl.reap_expired_leases")
def reap_expired_leases() -> int:
    """Hand expired leases' assignments back to their queues."""
    ctx = context()
    total = 0
    while True:
        to_finalize = audit.reaping(ctx, lambda: ctx.store.scripts.reap_expired_leases(args=[now_ms(), 200]))
        for name in to_finalize:
            ctx.dispatcher.finalize(name)
        if not to_finalize:
            # reap_expired_leases returns only loops to finalize; check whether more leases are due
            if not ctx.store.r.zrangebyscore(keys.LEASES, "-inf", now_ms() - 1, start=0, num=1):
                break
        total += len(to_finalize)
    return total


@app.task(name="hitl.expire_due_loops")
def expire_due_loops() -> int:
    """Fail loops whose TaskAvailabilityLifetimeInSeconds has passed (Expired)."""
    ctx = context()
    count = 0
    while True:
        to_finalize = ctx.store.scripts.expire_due_loops(args=[now_ms(), 200, EXPIRED_REASON])
        for name in to_finalize:
            ctx.dispatcher.finalize(name)
        count += len(to_finalize)
        if not ctx.store.r.zrangebyscore(keys.EXPIRY, "-inf", now_ms(), start=0, num=1):
            break
    if count:
        ctx.dispatcher.deliver_events()
    return count


@app.task(name="hitl.sweep_outboxes")
def sweep_outboxes() -> dict:
    """Re-enqueue routing and finalizing whose task never ran (lost message, dead worker, broker down)."""
    ctx = context()
    grace = int(ctx.settings.outbox_grace_seconds * 1000)
    routed = ctx.store.scripts.claim_due_outbox_entries(keys=[keys.OUTBOX_ROUTE], args=[now_ms(), grace, 500])
    if routed:
        ctx.dispatcher.route_pending()
    finals = ctx.store.scripts.claim_due_outbox_entries(keys=[keys.OUTBOX_FINALIZE], args=[now_ms(), grace, 500])
    for name in finals:
        ctx.dispatcher.finalize(name)
    # flows marked Deleting whose retire_flow task never ran; members are "<flow name>|<flow id>"
    retiring = ctx.store.scripts.claim_due_outbox_entries(keys=[keys.PREFIX + "outbox:retire"],
                                                          args=[now_ms(), grace, 100])
    for member in retiring:
        flow_name, _, flow_id = member.partition("|")
        ctx.dispatcher.retire_flow(flow_name, flow_id)
    if ctx.store.r.zcard(keys.OUTBOX_EVENTS):
        ctx.dispatcher.deliver_events()
    if routed or finals or retiring:
        log.info("outbox sweep route=%s finalize=%s retire=%s", len(routed), len(finals), len(retiring))
    return {"route": len(routed), "finalize": len(finals), "retire": len(retiring)}


@app.task(name="hitl.deliver_events", acks_late=True)
def deliver_events() -> int:
    """Deliver pending status-change events to webhook endpoints."""
    from hitl_service.services.events import deliver_pending_events

    return deliver_pending_events(context())
