"""An A2I flow's answer quality, recorded as its loops complete and summarized off every request path.

Finishing a loop adds its answers to the flow's capped window (one script in the team's slot, which
also marks the flow for a refresh); the periodic refresh (beat task ``hitl.refresh_flow_quality``)
rebuilds the summary of each marked flow from its window with the same report as labeling jobs. The
console, ``hitl console`` and ``/metrics`` only read the summaries.

Each distinct answer (answerContent as canonical JSON) is one class, so classification tasks get real
agreement numbers and free-text tasks show that reviewers rarely write the same thing.
"""

from __future__ import annotations

import hashlib
import json
import logging

from hitl_service.domain.states import LoopStatus
from hitl_service.domain.timefmt import now_ms
from hitl_service.jobs.quality import summarize
from hitl_service.services.context import ServiceContext

log = logging.getLogger(__name__)

WINDOW = 1000          # completed loops per flow whose answers the summary covers
MAX_VALUE = 200        # longer canonical answers are kept as a digest: agreement only compares for equality
REFRESH_BATCH = 100    # flows of one team a refresh rebuilds before it moves on


def answer_row(answers: list[dict]) -> str | None:
    """The loop's answers as ``[[workerId, answer], ...]`` (None without answers)."""
    pairs = []
    for a in answers:
        value = json.dumps(a.get("answerContent"), sort_keys=True, separators=(",", ":"))
        if len(value) > MAX_VALUE:
            value = "sha1:" + hashlib.sha1(value.encode()).hexdigest()
        pairs.append([a.get("workerId", ""), value])
    return json.dumps(pairs, separators=(",", ":")) if pairs else None


def record_loop(ctx: ServiceContext, loop: dict, answers: list[dict]) -> None:
    """After a loop Completed: add its answers to its flow's window. Never fails the finish."""
    if loop.get("target") != LoopStatus.COMPLETED or not loop.get("flow_id"):
        return
    try:
        row = answer_row(answers)
        if row is not None:
            ctx.store.quality.add_flow_loop(loop["team"], loop["flow_id"], loop["name"], row, now_ms(), WINDOW)
    except Exception:  # noqa: BLE001 - the output is what the customer waits for; the numbers are for the console
        log.exception("flow quality not recorded loop=%s", loop.get("name"))


def refresh(ctx: ServiceContext) -> int:
    """Rebuild the summary of every flow whose window changed since its last summary; how many were rebuilt."""
    done = 0
    for team in ctx.store.work_teams():
        while True:
            flow_ids = ctx.store.quality.take_dirty_flows(team, REFRESH_BATCH)
            for flow_id in flow_ids:
                try:
                    summary = summarize(ctx.store.quality.flow_window(team, flow_id), now_ms())
                    if summary is not None:
                        ctx.store.quality.save_flow(team, flow_id, summary)
                        done += 1
                except Exception:  # noqa: BLE001 - given back: the next refresh tries it again
                    ctx.store.quality.mark_flow_dirty(team, flow_id)
                    log.exception("flow quality not refreshed team=%s flow_id=%s", team, flow_id)
                    return done
            if len(flow_ids) < REFRESH_BATCH:
                break
    return done
