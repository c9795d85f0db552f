"""The audit trail: one call per action records who did what, when and from where."""

from __future__ import annotations

import json
import logging

from flask import g, has_request_context, request

from hitl_service.domain.timefmt import now_ms
from hitl_service.services.context import ServiceContext
from hitl_service.store.audit import AuditEntry, AuditStore  # noqa: F401 - AuditStore: the type of ctx.store.audit
from hitl_service.workforce import netaccess

log = logging.getLogger(__name__)


def _store(ctx: ServiceContext) -> AuditStore:
    return ctx.store.audit


def source_ip(ctx: ServiceContext) -> str:
    """The caller's address for the current request ('' outside a request, e.g. in a worker)."""
    if not has_request_context():
        return ""
    return netaccess.client_address(request.remote_addr, request.headers.get("X-Forwarded-For"),
                                    ctx.settings.trusted_proxies)


def record(ctx: ServiceContext, action: str, *, actor: str, role: str = "", target: str = "",
           outcome: str = "ok", detail: dict | str | None = None) -> None:
    """Append one audit record; a Redis failure is logged, never raised (the action itself happened)."""
    text = detail if isinstance(detail, str) else json.dumps(detail, separators=(",", ":")) if detail else ""
    try:
        _store(ctx).append(ctx.settings.audit_max_len, ts_ms=now_ms(), actor=actor, role=role, action=action, target=target,
                           source_ip=source_ip(ctx), outcome=outcome, detail=text)
    except Exception as exc:  # noqa: BLE001 - auditing must not undo or fail the audited action
        log.warning("audit write failed action=%s actor=%s error=%s", action, actor, exc)


def sign_in(ctx: ServiceContext, name: str, reviewer: dict | None, failure: str = "", method: str = "password") -> None:
    """A local-account sign-in: the reviewer on success, the name that was tried on failure."""
    if reviewer is None:
        record(ctx, "sign_in", actor=name[:128], outcome="failed", detail={"method": method, "reason": failure})
    else:
        record(ctx, "sign_in", actor=reviewer["worker_id"], detail={"method": method, "name": name})


def reviewer_action(ctx: ServiceContext, action: str, reviewer: dict, target: str = "", **kw) -> None:
    """An action of a signed-in reviewer (claim, release, submit, ...)."""
    from hitl_service.workforce.roles import role_of

    record(ctx, action, actor=reviewer.get("worker_id", ""), role=role_of(ctx.settings, reviewer).value,
           target=target, **kw)


CHANGE_PREFIXES = ("Create", "Update", "Delete", "Stop")


def admin_change(ctx: ServiceContext, operation: str, req: dict) -> None:
    """A control-plane change made with an API access key (reads and listings are not recorded)."""
    if not operation.startswith(CHANGE_PREFIXES):
        return
    target = next((str(v) for k, v in req.items() if k.endswith("Name") and isinstance(v, str)), "")
    actor = g.get("access_key", "") if has_request_context() else ""
    record(ctx, operation, actor=f"key:{actor}" if actor else "cli", role="admin", target=target)


def reaping(ctx: ServiceContext, teams: list[str], reap, limit: int = 200):
    """Run one step that may expire leases of ``teams`` (the reaper, a claim) and record each lease it
    expired (holder, loop) as ``lease_expired``; returns the step's result."""
    store = _store(ctx)
    return _record_expiries(ctx, lambda: store.due_leases(teams, now_ms(), limit), reap, store.expired,
                            lambda ref: (ref.worker, ref.loop, ref.team))


def job_object(name: str, object_id: int | str) -> str:
    """The audit target of a labeling job's data object (where a loop's records name the loop)."""
    return f"{name}/{object_id}"


def job_reaping(ctx: ServiceContext, name: str, team: str, reap, limit: int):
    """Run one step that may give back expired leases of the job ``name`` (its worker's expiry step, a
    claim) and record each one it expired (holder, object) as ``lease_expired``; returns the step's result."""
    store = _store(ctx)
    return _record_expiries(ctx, lambda: store.due_job_leases(name, now_ms(), limit), reap, store.job_leases_ended,
                            lambda ref: (ref.worker, job_object(name, ref.object_id), team))


def _record_expiries(ctx: ServiceContext, read_due, reap, ended, describe):
    """Read the overdue leases, run ``reap``, then record those ``ended`` says it expired; the step's result."""
    try:
        due = read_due()
    except Exception as exc:  # noqa: BLE001 - the step's own work must go on
        log.warning("audit read of due leases failed error=%s", exc)
        due = []
    result = reap()
    if due:
        try:
            expired = ended(due)
        except Exception as exc:  # noqa: BLE001
            log.warning("audit read of expired leases failed error=%s", exc)
            expired = []
        for ref in expired:
            worker, target, team = describe(ref)
            record(ctx, "lease_expired", actor=worker, target=target, detail={"workteam": team})
    return result


def query(ctx: ServiceContext, *, actor: str | None = None, action: str | None = None, since_ms: int | None = None,
          limit: int = 100) -> list[AuditEntry]:
    """The newest ``limit`` records matching the filters, newest first."""
    store = _store(ctx)
    out: list[AuditEntry] = []
    after = "-" if since_ms is None else f"{since_ms}-0"
    # filters run over the bounded stream in pages, oldest first, keeping the newest matches
    while True:
        page = store.read(after_id=after, limit=1000)
        for e in page.entries:
            if (actor is None or e.actor == actor) and (action is None or e.action == action):
                out.append(e)
        if page.next_id is None:
            break
        after = page.next_id
    return list(reversed(out[-limit:]))


def export_jsonl(ctx: ServiceContext, storage, bucket: str, key: str, *, since_ms: int | None = None) -> int:
    """Write the trail (from ``since_ms``) as JSON Lines to the output storage; returns the record count."""
    store = _store(ctx)
    lines: list[str] = []
    after = "-" if since_ms is None else f"{since_ms}-0"
    while True:
        page = store.read(after_id=after, limit=1000)
        lines += [json.dumps(e.as_dict(), separators=(",", ":"), ensure_ascii=False) for e in page.entries]
        if page.next_id is None:
            break
        after = page.next_id
    storage.put(bucket, key, ("\n".join(lines) + ("\n" if lines else "")).encode(), content_type="application/x-ndjson")
    log.info("audit exported bucket=%s key=%s records=%d", bucket, key, len(lines))
    return len(lines)
