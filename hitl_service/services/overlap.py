"""Adaptive overlap for human loops: the worker's decision when a loop has its required answers.

Runs in the Celery worker (from the finalize task, which the loop's last required answer and the
outbox sweep send), never on a request path. The verdict is applied by one script that checks the
loop is still deciding on exactly the answers consolidated here, so a repeated task changes nothing.
"""

from __future__ import annotations

import logging

from hitl_service.domain.states import DecideOutcome
from hitl_service.domain.timefmt import now_ms
from hitl_service.services.context import ServiceContext

log = logging.getLogger(__name__)


def decide_loop(ctx: ServiceContext, loop: dict) -> DecideOutcome:
    """Consolidate a deciding loop's answers; complete it at its target confidence or maximum, else
    ask for one more reviewer (at the maximum: the flow's escalation team, when it names one)."""
    from hitl_service.consolidation.overlap import loop_confidence, verdict

    team, name = loop["team"], loop["name"]
    answers = ctx.store.loops.answers(name, team)
    seen = int(loop["deciding"])
    if len(answers) != seen:
        # the record and the list are written by one script: a mismatch is a read that straddled it
        return DecideOutcome.STALE
    confidence = loop_confidence([a.get("answerContent") or {} for a in answers])
    target = float(loop["target_confidence"])
    # an escalated loop closes on its escalation answer (submit_answer.lua) and is not decided again
    escalation = bool(loop.get("escalation_team")) and not loop.get("stage")
    decision = verdict(confidence, seen, int(loop["task_count"]), target, escalation)
    outcome = ctx.store.loops.decide(team, name, answers=seen, verdict=decision, now=now_ms())
    log.info("adaptive overlap loop=%s answers=%s confidence=%.4f target=%s max=%s outcome=%s", name, seen,
             confidence, target, loop["task_count"], outcome)
    return outcome
