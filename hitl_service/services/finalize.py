"""Finishing a loop: write output.json (when there are answers), then make the status terminal."""

from __future__ import annotations

import json
import logging
import random

from hitl_service.domain.timefmt import now_ms, utc_from_ms
from hitl_service.services.context import ServiceContext
from hitl_service.domain.states import FinishOutcome

log = logging.getLogger(__name__)

MAX_BACKOFF_SECONDS = 300.0


def backoff_seconds(attempt: int, cap: float = MAX_BACKOFF_SECONDS) -> float:
    """Exponential backoff with jitter (between half and all of ``min(cap, 2**attempt)`` seconds).

    The cap (Settings.finalize_backoff_max_seconds / webhook_backoff_max_seconds, 5 minutes by
    default) bounds how long a recovered outage can go unnoticed.
    """
    ceiling = min(max(float(cap), 0.001), 2.0 ** min(attempt, 30))
    return random.uniform(ceiling / 2, ceiling)


def write_loop_output(ctx: ServiceContext, loop: dict, storage) -> str:
    """Write the loop's output.json (same bytes on every attempt) and return its s3:// URI."""
    from hitl_service.output.document import build_output_document, output_key, output_uri

    answers = ctx.store.loops.answers(loop["name"], loop["team"])
    bucket, key = output_key(loop["output_path"], loop["flow"], loop["name"], utc_from_ms(int(loop["created_ms"])))
    activation = json.loads(loop["activation"]) if loop.get("activation") else None
    body = build_output_document(flow_definition_arn=ctx.arns.flow_definition(loop["flow"]), loop_name=loop["name"],
                                 input_content=loop["input"], answers=answers, activation_results=activation)
    storage.put(bucket, key, body)
    return output_uri(bucket, key)


def finalize_loop(ctx: ServiceContext, name: str, storage) -> str:
    """Idempotently finish a closing loop; on a storage failure reschedule it and re-raise."""
    loop = ctx.store.loops.get(name)
    if loop is None:
        team = ctx.store.loops.team_of(name)
        if team:
            ctx.store.loops.drop_finalize_entry(team, name)
        return FinishOutcome.MISSING
    team = loop["team"]
    if not loop.get("target"):
        return FinishOutcome.OPEN
    if loop["status"] == loop["target"]:
        return ctx.store.loops.finish(team, name, "", now_ms())  # 'already': clears the outbox
    uri = ""
    if int(loop.get("answers") or 0) > 0:
        try:
            uri = write_loop_output(ctx, loop, storage)
        except Exception as exc:
            # the outbox sweep hands out entries whose score is older than the grace period, so
            # the score that makes the sweep retry `delay` seconds from now lies `grace` before it
            grace_ms = int(ctx.settings.outbox_grace_seconds * 1000)
            attempt = ctx.store.loops.finalize_attempts(team, name) + 1
            delay = backoff_seconds(attempt, ctx.settings.finalize_backoff_max_seconds)
            ctx.store.loops.finalize_failed(team, name, now_ms() + int(delay * 1000) - grace_ms)
            log.warning("output write failed loop=%s attempt=%s retry_in=%.1fs error=%s", name, attempt, delay, exc)
            raise
    outcome = ctx.store.loops.finish(team, name, uri, now_ms())
    log.info("loop finished loop=%s status=%s output=%s outcome=%s", name, loop["target"], uri or "-", outcome)
    return outcome
