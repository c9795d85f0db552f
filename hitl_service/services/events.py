"""Status-change events (A2I's EventBridge shape) delivered to webhooks at least once."""

from __future__ import annotations

import json
import logging
import time

from hitl_service.domain.timefmt import iso_ms, now_ms, utc_from_ms
from hitl_service.services.context import ServiceContext
from hitl_service.services.finalize import backoff_seconds
from hitl_service.domain.states import TERMINAL

log = logging.getLogger(__name__)

def endpoints_for(ctx: ServiceContext, loop: dict) -> list[dict]:
    """The flow's own webhook endpoints, plus the globally configured ones."""
    hooks = json.loads(loop.get("webhooks") or "[]")
    for url in ctx.settings.webhook_urls:
        hooks.append({"url": url, "secret": ctx.settings.webhook_secret or ""})
    return hooks


def loop_event_view(ctx: ServiceContext, loop: dict) -> dict:
    return {
        "name": loop["name"], "arn": ctx.arns.human_loop(loop["name"]),
        "flow_arn": ctx.arns.flow_definition(loop["flow"]), "status": loop["status"],
        "created": iso_ms(int(loop["created_ms"])), "failure_code": loop.get("failure_code") or None,
        "failure_reason": loop.get("failure_reason") or None, "output_uri": loop.get("output_uri") or None,
    }


def loop_event(ctx: ServiceContext, loop: dict) -> dict:
    """The loop's status-change event; its time is when the loop finished, so redeliveries are identical."""
    from hitl_service.output.webhooks import status_change_event

    finished = loop.get("finished_ms")
    return status_change_event(loop_event_view(ctx, loop), region=ctx.settings.region, account_id=ctx.settings.account_id,
                               event_time=utc_from_ms(int(finished)) if finished else None)


def record_delivery(ctx: ServiceContext, entry: dict) -> None:
    ctx.store.events.log(entry)


CLAIM_LEASE_MS = 60_000


EVENT_FIELDS = ("name", "flow", "status", "created_ms", "failure_code", "failure_reason", "output_uri",
                "finished_ms", "webhooks")


def deliver_pending_events(ctx: ServiceContext, limit: int = 500) -> int:
    """Deliver every due event once; failed endpoints are retried later with backoff."""
    from hitl_service.output.webhooks import WebhookDeliveryError, deliver_webhook

    events = ctx.store.events
    delivered = 0
    for ev in events.claim_due(now_ms(), CLAIM_LEASE_MS, limit):
        name = ev.name
        # a loop deleted before its event went out left a snapshot; deliver that first
        snapshot = events.snapshot(ev)
        if snapshot:
            snapshot["name"] = name
        loop = snapshot or ctx.store.loops.get_in(ev.team, name, EVENT_FIELDS)
        if not loop or loop.get("status") not in TERMINAL:
            events.done(ev)
            continue
        hooks = endpoints_for(ctx, loop)
        state = events.delivery_state(ev)
        event = loop_event(ctx, loop)
        pending_delay = None
        for hook in hooks:
            url = hook["url"]
            if state.get(url) == "done":
                continue
            attempt = int(state.get(url) or 0) + 1
            entry = {"time": iso_ms(now_ms()), "loop": name, "status": loop["status"], "url": url,
                     "attempt": attempt, "event_id": event["id"]}
            try:
                started = time.perf_counter()
                code = deliver_webhook(url, hook.get("secret") or "", event)
                entry.update(result="delivered", http_status=code, ms=round((time.perf_counter() - started) * 1000, 1))
                events.mark(ev, url, "done")
                delivered += 1
            except (WebhookDeliveryError, ValueError) as exc:
                # ValueError: a URL deliver_webhook refuses (not http/https); retried like any failure
                entry.update(result="failed", http_status=getattr(exc, "status", None), error=str(exc)[:300])
                events.mark(ev, url, str(attempt))
                delay = backoff_seconds(attempt, ctx.settings.webhook_backoff_max_seconds)
                pending_delay = delay if pending_delay is None else min(pending_delay, delay)
            record_delivery(ctx, entry)
            log.info("webhook loop=%s url=%s attempt=%s result=%s", name, url, attempt, entry["result"])
        if pending_delay is None:
            live = ctx.store.loops.get_in(ev.team, name, ("status",)) if snapshot else None
            if live and live["status"] in TERMINAL:
                # a new loop reused the name and finished too: its event is next
                events.forget_snapshot(ev)
                events.due_again(ev, now_ms())
            else:
                events.done(ev)
        else:
            events.due_again(ev, now_ms() + int(pending_delay * 1000))
    return delivered
