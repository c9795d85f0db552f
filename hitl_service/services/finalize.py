"""Finishing a loop: write output.json (when there are answers), then make the status terminal."""

from __future__ import annotations

import dataclasses
import json
import logging
import random

from hitl_service.domain.timefmt import now_ms, utc_from_ms
from hitl_service.services import flow_quality
from hitl_service.services.context import ServiceContext
from hitl_service.domain.states import DecideOutcome, FinishOutcome
from hitl_service.output.document import output_uri
from hitl_service.store.output_failures import FailOutcome

log = logging.getLogger(__name__)

MAX_BACKOFF_SECONDS = 300.0


def backoff_seconds(attempt: int, cap: float = MAX_BACKOFF_SECONDS) -> float:
    """Exponential backoff with jitter (between half and all of ``min(cap, 2**attempt)`` seconds).

    The cap (Settings.finalize_backoff_max_seconds / webhook_backoff_max_seconds, 5 minutes by
    default) bounds how long a recovered outage can go unnoticed.
    """
    ceiling = min(max(float(cap), 0.001), 2.0 ** min(attempt, 30))
    return random.uniform(ceiling / 2, ceiling)


class UnwritableOutput(Exception):
    """The loop's output.json cannot be built from what is stored: retrying can never help."""

    def __init__(self, code: str, reason: str):
        super().__init__(reason)
        self.code = code
        self.reason = reason


@dataclasses.dataclass(frozen=True)
class LoopOutput:
    """What finalize writes for one loop: output.json, and the quality report when the flow opted in."""

    bucket: str
    key: str
    body: bytes
    report_key: str | None = None
    report_body: bytes | None = None
    answers: tuple = ()           # the answers written (the flow's quality window gets them after the finish)


def build_loop_output(ctx: ServiceContext, loop: dict) -> LoopOutput:
    """The loop's output (the same bytes on every attempt); UnwritableOutput when the stored input or
    answers cannot be serialized (a permanent error, unlike storage's)."""
    from hitl_service.output.document import build_output_document, output_key

    try:
        answers = _mark_stages(loop, ctx.store.loops.answers(loop["name"], loop["team"]))
        bucket, key = output_key(loop["output_path"], loop["flow"], loop["name"],
                                 utc_from_ms(int(loop["created_ms"])))
        activation = json.loads(loop["activation"]) if loop.get("activation") else None
        consolidated, report = _consolidation(ctx, loop, answers)
        body = build_output_document(flow_definition_arn=ctx.arns.flow_definition(loop["flow"]),
                                     loop_name=loop["name"], input_content=loop["input"], answers=answers,
                                     activation_results=activation, consolidated_answer=consolidated)
        if report is None:
            return LoopOutput(bucket, key, body, answers=tuple(answers))
        from hitl_service.consolidation.a2i import QUALITY_REPORT_NAME

        report_body = json.dumps(report, separators=(",", ":"), allow_nan=False).encode()
        return LoopOutput(bucket, key, body, key.rsplit("/", 1)[0] + "/" + QUALITY_REPORT_NAME, report_body,
                          answers=tuple(answers))
    except ValueError as exc:  # NaN/Infinity, a lone surrogate, a malformed answer or output path
        raise UnwritableOutput("ValidationError", f"The output could not be written as JSON: {exc}") from None
    except (RecursionError, TypeError) as exc:
        raise UnwritableOutput("InternalError", f"The output could not be built: {type(exc).__name__}") from None


def _mark_stages(loop: dict, answers: list[dict]) -> list[dict]:
    """An escalated loop's answers past its first stage (TaskCount, or the answers it had when its
    lifetime ended) came from its escalation workteam: their ``workerMetadata`` says ``"stage":
    "escalation"`` and why (``escalationReason``; docs/verify-adjust-autolabel.md)."""
    if loop.get("stage") != "escalation":
        return answers
    # a loop escalated before first_stage was recorded went at TaskCount
    first = int(loop.get("first_stage") or loop.get("task_count") or 1)
    mark = {"stage": "escalation", "escalationReason": loop.get("escalation_reason") or "low-confidence"}
    return [a if i < first else {**a, "workerMetadata": {**(a.get("workerMetadata") or {}), **mark}}
            for i, a in enumerate(answers)]


def _consolidation(ctx: ServiceContext, loop: dict, answers: list[dict]) -> tuple[dict | None, dict | None]:
    """(consolidatedAnswer, quality report) when the loop's flow opted in (hitl:consolidate) and TaskCount > 1."""
    task_count = int(loop.get("task_count") or 1)
    if task_count <= 1:
        return None, None       # the common case costs no extra read
    flow = ctx.store.resources.get_flow(loop["flow"], ("consolidate",)) or {}
    if flow.get("consolidate") != "true":
        return None, None
    # imported here: numpy and scipy load only in processes that consolidate
    from hitl_service.consolidation.a2i import loop_consolidation

    return loop_consolidation(loop["name"], answers, task_count=task_count)


def _fail_unwritable(ctx: ServiceContext, team: str, name: str, err: UnwritableOutput) -> FailOutcome:
    outcome = ctx.store.output_failures.fail_loop(team, name, err.code, err.reason, now_ms())
    log.error("output can never be written; loop failed loop=%s code=%s reason=%s outcome=%s", name, err.code,
              err.reason, outcome.value)
    return outcome


def finalize_loop(ctx: ServiceContext, name: str, storage) -> str:
    """Idempotently finish a closing loop (an adaptive-overlap loop with its required answers is first
    decided); on a storage failure reschedule it and re-raise; a loop whose output can never be
    written is Failed (FailureCode ValidationError or InternalError) instead."""
    loop = ctx.store.loops.get(name)
    if loop is None:
        team = ctx.store.loops.team_of(name)
        if team:
            ctx.store.loops.drop_finalize_entry(team, name)
        return FinishOutcome.MISSING
    team = loop["team"]
    if not loop.get("target") and loop.get("deciding"):
        from hitl_service.services.overlap import decide_loop

        if decide_loop(ctx, loop) is not DecideOutcome.FINALIZE:
            return FinishOutcome.OPEN     # one more reviewer, or nothing to do
        loop = ctx.store.loops.get(name)
        if loop is None:
            return FinishOutcome.MISSING
    if not loop.get("target"):
        return FinishOutcome.OPEN
    if loop["status"] == loop["target"]:
        return ctx.store.loops.finish(team, name, "", now_ms())  # 'already': clears the outbox
    uri = ""
    output = None
    if int(loop.get("answers") or 0) > 0:
        try:
            output = build_loop_output(ctx, loop)
        except UnwritableOutput as err:
            return _fail_unwritable(ctx, team, name, err)
        try:
            if output.report_key:
                # written first: an output.json that exists always has its report beside it
                storage.put(output.bucket, output.report_key, output.report_body)
            storage.put(output.bucket, output.key, output.body)
            uri = output_uri(output.bucket, output.key)
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
    if outcome == FinishOutcome.FINISHED and output is not None:
        flow_quality.record_loop(ctx, loop, list(output.answers))
    log.info("loop finished loop=%s status=%s output=%s outcome=%s", name, loop["target"], uri or "-", outcome)
    return outcome
