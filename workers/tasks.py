"""Celery tasks. Each takes names, re-reads state, and is safe to run twice."""

from __future__ import annotations

import concurrent.futures
import functools
import logging

from hitl_service.domain.timefmt import now_ms
from hitl_service.services import finalize as finalize_service
from hitl_service.services import finalize_drain
from hitl_service.services import resources
from hitl_service.domain.states import CloseOutcome, ItemKind
from hitl_service.services.loops import EXPIRED_REASON
from hitl_service.services.review import hand_over_closed
from hitl_service.store import keys
from hitl_service.workforce import audit
from workers.celery_app import app
from workers.runtime import context

log = logging.getLogger(__name__)

@app.task(name="hitl.route_loop", acks_late=True)
def route_loop(loop_name: str) -> str:
    """Put the loop's TaskCount assignments on its workteam's queue (once)."""
    outcome = context().store.loops.route(loop_name)
    log.info("route loop=%s outcome=%s", loop_name, outcome)
    return outcome


MAX_ROUTE_BATCHES = 50


@app.task(name="hitl.route_pending_loops", acks_late=True)
def route_pending_loops() -> int:
    """Route every loop waiting in the teams' route outboxes, a batch per script call."""
    ctx = context()
    batch = max(1, ctx.settings.route_batch_size)
    total = 0
    more = False
    for team in ctx.store.work_teams():
        for _ in range(MAX_ROUTE_BATCHES):
            out = ctx.store.loops.route_pending(team, batch)
            for member, outcome in out:
                log.info("route loop=%s outcome=%s", keys.member_name(member), outcome)
            total += len(out)
            if not out:
                # only an empty batch brought the wake flag down: starts that arrived during a partial
                # batch saw it up, sent no drain, and are still waiting for this one
                break
        else:
            more = True
    if more:
        # more keep arriving: continue in a fresh message so other tasks get a turn
        ctx.dispatcher.route_pending()
    return total


@app.task(name="hitl.finalize_loop", acks_late=True)
def finalize_loop(loop_name: str) -> str:
    """Write output.json then mark the loop terminal; failures are rescheduled through the outbox."""
    ctx = context()
    try:
        outcome = finalize_service.finalize_loop(ctx, loop_name, ctx.storage)
    except Exception:  # noqa: BLE001 - rescheduled in the outbox with backoff; the sweep re-enqueues it
        return "retry-scheduled"
    if outcome in ("finished", "failed") and has_webhooks(ctx, loop_name):
        ctx.dispatcher.deliver_events()
    return outcome


@app.task(name="hitl.finalize_pending_loops", acks_late=True)
def finalize_pending_loops(team: str) -> int:
    """Finalize the loops waiting in the team's finalize outbox, a batch at a time with concurrent writes."""
    ctx = context()
    threads = max(1, ctx.settings.finalize_write_threads)
    with concurrent.futures.ThreadPoolExecutor(max_workers=threads, thread_name_prefix="finalize") as pool:
        result = finalize_drain.drain_team(ctx, team, ctx.storage, pool)
    if result.taken:
        log.info("finalize drain team=%s taken=%s finished=%s more=%s", team, result.taken, result.finished,
                 result.more)
    if result.finished:
        # one delivery task per batch run; events of loops without webhooks are dropped by it
        ctx.dispatcher.deliver_events()
    if result.more:
        ctx.dispatcher.finalize_pending(team)
    return result.taken


def has_webhooks(ctx, loop_name: str) -> bool:
    """Whether a finished loop's event goes anywhere (else the sweep just drops it from the outbox)."""
    if ctx.settings.webhook_urls:
        return True
    team = ctx.store.loops.team_of(loop_name)
    return bool(team) and ctx.store.loops.webhooks(team, loop_name) != "[]"


@app.task(name="hitl.retire_flow", acks_late=True)
def retire_flow(flow_name: str, flow_id: str) -> str:
    """Stop a Deleting flow's loops, then remove the flow."""
    return resources.retire_flow_definition(context(), flow_name, flow_id)


@app.task(name="hitl.reap_expired_leases")
def reap_expired_leases() -> int:
    """Hand expired leases' assignments back to their queues."""
    ctx = context()
    total = 0
    for team in ctx.store.work_teams():
        while ctx.store.queues.has_overdue_leases(team, now_ms()):
            closed = audit.reaping(ctx, [team], functools.partial(ctx.store.queues.reap, team, now_ms(), 200))
            hand_over_closed(ctx, closed)
            total += len(closed)
    return total


@app.task(name="hitl.expire_due_loops")
def expire_due_loops() -> int:
    """Fail loops whose TaskAvailabilityLifetimeInSeconds has passed (Expired)."""
    ctx = context()
    count = 0
    for team in ctx.store.work_teams():
        while True:
            closed = ctx.store.loops.expire_due(team, now_ms(), 200, EXPIRED_REASON)
            for member, outcome in closed.items():
                if outcome is CloseOutcome.FINALIZE and keys.member_kind(member) == ItemKind.LOOP:
                    finalize_drain.request_finalize(ctx, team)
            count += sum(1 for o in closed.values() if o is CloseOutcome.FINALIZE)
            escalated = [m for m, o in closed.items() if o is CloseOutcome.ESCALATED]
            if escalated:
                log.info("lifetime ended, escalated team=%s loops=%s", team, len(escalated))
            if len(closed) < 200:
                break
    if count:
        ctx.dispatcher.deliver_events()
    return count


@app.task(name="hitl.sweep_outboxes")
def sweep_outboxes() -> dict:
    """Re-enqueue routing and finalizing whose task never ran (lost message, dead worker, broker down)."""
    ctx = context()
    grace = int(ctx.settings.outbox_grace_seconds * 1000)
    swept = ctx.store.outboxes.sweep(now_ms(), grace)
    if swept.route_teams:
        ctx.dispatcher.route_pending()
    for _team, member in swept.finalize:
        ctx.dispatcher.finalize(keys.member_name(member))
    # flows marked Deleting whose retire_flow task never ran
    for flow_name, flow_id in swept.retire:
        ctx.dispatcher.retire_flow(flow_name, flow_id)
    if ctx.store.events.any_pending():
        ctx.dispatcher.deliver_events()
    if swept.route_teams or swept.finalize or swept.retire:
        log.info("outbox sweep route=%s finalize=%s retire=%s", len(swept.route_teams), len(swept.finalize),
                 len(swept.retire))
    return {"route": len(swept.route_teams), "finalize": len(swept.finalize), "retire": len(swept.retire)}


@app.task(name="hitl.refresh_flow_quality")
def refresh_flow_quality() -> int:
    """Rebuild the quality summary of each flow whose loops completed since its last summary."""
    from hitl_service.services import flow_quality

    done = flow_quality.refresh(context())
    if done:
        log.info("flow quality refreshed flows=%s", done)
    return done


@app.task(name="hitl.deliver_events", acks_late=True)
def deliver_events() -> int:
    """Deliver pending status-change events to webhook endpoints."""
    from hitl_service.services.events import deliver_pending_events

    return deliver_pending_events(context())
