"""Adaptive overlap: the tags that turn it on, and one confidence per item that decides it.

A flow or job tagged ``hitl:initial-workers`` = k and ``hitl:target-confidence`` = t asks k reviewers
first; each time an item has all the answers it currently needs, a worker consolidates them and the
item finishes if its confidence is at least t or it has the maximum (TaskCount, or
NumberOfHumanWorkersPerDataObject), else it goes back on the queue for one more reviewer. See
docs/consolidation.md ("Adaptive overlap"). No numpy at import: the API process validates tags.
"""
from __future__ import annotations

import dataclasses
import json
from collections import Counter

INITIAL_WORKERS_TAG = "hitl:initial-workers"
TARGET_CONFIDENCE_TAG = "hitl:target-confidence"


@dataclasses.dataclass(frozen=True)
class OverlapSettings:
    """A flow's or job's adaptive overlap: start with ``initial`` answers, add one while below ``target``."""

    initial: int
    target: float


def overlap_from_tags(tags: list[dict] | None, maximum: int, maximum_field: str) -> OverlapSettings | None:
    """The adaptive overlap the tags ask for (None: no tag); ValueError naming the tag when invalid.

    Both tags or neither: one alone is refused rather than guessed.
    """
    values = {t.get("Key"): t.get("Value") for t in tags or []}
    initial, target = values.get(INITIAL_WORKERS_TAG), values.get(TARGET_CONFIDENCE_TAG)
    if initial is None and target is None:
        return None
    if initial is None or target is None:
        missing = INITIAL_WORKERS_TAG if initial is None else TARGET_CONFIDENCE_TAG
        given = TARGET_CONFIDENCE_TAG if initial is None else INITIAL_WORKERS_TAG
        raise ValueError(f"Tag {given} needs tag {missing} too (adaptive overlap takes both or neither)")
    try:
        k = int(initial.strip())
    except ValueError:
        k = 0
    if not 1 <= k <= maximum:
        raise ValueError(f"Tag {INITIAL_WORKERS_TAG} must be a whole number from 1 to {maximum_field} "
                         f"({maximum}); got {initial!r}")
    try:
        t = float(target.strip())
    except ValueError:
        t = float("nan")
    if not 0.0 < t <= 1.0:   # also false for NaN
        raise ValueError(f"Tag {TARGET_CONFIDENCE_TAG} must be a number above 0 and at most 1; got {target!r}")
    return OverlapSettings(k, t)


def identical_share(values: list) -> float:
    """The share of values equal to the most common one (compared as canonical JSON)."""
    if not values:
        return 0.0
    counts = Counter(json.dumps(v, sort_keys=True, separators=(",", ":")) for v in values)
    return counts.most_common(1)[0][1] / len(values)


def _numbers(confidence) -> list[float]:
    if isinstance(confidence, dict):
        return [float(c) for c in confidence.values()]
    if isinstance(confidence, list):
        return [float(c) for c in confidence]
    return [float(confidence)]


def loop_confidence(contents: list[dict]) -> float:
    """A loop's confidence: the lowest confidence of any part of its consolidated answer.

    Fields consolidate as for ``consolidatedAnswer`` (a2i.py), each contributing every confidence it
    has (per box, per label); a field that cannot be consolidated (missing from some answers, mixed
    or free-form shapes) or has no confidence (an empty box list) contributes the share of identical
    answers for it. Box fields also contribute the share of answers with the consolidated number of
    boxes (a lone extra box is dropped from the result, but is still a disagreement). 0.0 with one
    answer, as every confidence in this package.
    """
    if len(contents) < 2:
        return 0.0
    from hitl_service.consolidation.a2i import consolidate_answer_contents

    merged = consolidate_answer_contents(contents)
    scores: list[float] = []
    for key in sorted(set().union(*contents)):
        values = [c.get(key) for c in contents]
        confidence = merged["confidence"].get(key)
        numbers = _numbers(confidence) if confidence is not None else []
        scores.extend(numbers if numbers else [identical_share(values)])
        value = merged["answerContent"].get(key)
        if isinstance(value, dict) and isinstance(value.get("boundingBoxes"), list):
            n = len(value["boundingBoxes"])
            scores.append(sum(len(v.get("boundingBoxes") or []) == n for v in values) / len(values))
    if not scores:   # every answer is an empty object: they agree
        return 1.0
    return min(scores)


def region_confidence(object_confidences, counts: list[int]) -> float:
    """An item of boxes or spans: the lowest kept object's confidence and the share of reviewers who
    marked as many objects as were kept (lone extra objects are dropped, but they are disagreement)."""
    if len(counts) < 2:
        return 0.0
    kept = len(object_confidences)
    agree = sum(c == kept for c in counts) / len(counts)
    return min([agree, *[float(c) for c in object_confidences]])


ESCALATION_WORKTEAM_TAG = "hitl:escalation-workteam"


def escalation_team_from_tags(tags: list[dict] | None, overlap: OverlapSettings | None, first_team_arn: str,
                              team_exists) -> str | None:
    """The escalation workteam ARN the tags name (None: no tag); ValueError naming the tag when invalid.

    Rules (docs/verify-adjust-autolabel.md, "Escalation"): needs adaptive overlap (the target decides
    what "still below" means), a workteam that exists (``team_exists(arn)``) and differs from the first.
    """
    values = {t.get("Key"): t.get("Value") for t in tags or []}
    arn = values.get(ESCALATION_WORKTEAM_TAG)
    if arn is None:
        return None
    arn = arn.strip()
    if overlap is None:
        raise ValueError(f"Tag {ESCALATION_WORKTEAM_TAG} needs tags {INITIAL_WORKERS_TAG} and "
                         f"{TARGET_CONFIDENCE_TAG} (escalation follows adaptive overlap)")
    if arn == first_team_arn.strip():
        raise ValueError(f"Tag {ESCALATION_WORKTEAM_TAG} must name a workteam other than the first one ({arn})")
    if not team_exists(arn):
        raise ValueError(f"Tag {ESCALATION_WORKTEAM_TAG} names workteam {arn!r}, which does not exist")
    return arn


class Verdict:
    """What a deciding item needs next (the values decide_item.lua / job_decide.lua take)."""

    DONE = "done"
    MORE = "more"
    ESCALATE = "escalate"


def verdict(confidence: float, answers: int, maximum: int, target: float, escalation: bool) -> str:
    """Done at the target; one more reviewer below it until the maximum; then the escalation team,
    when there is one (one answer, consolidated with the rest; docs/verify-adjust-autolabel.md)."""
    if confidence >= target:
        return Verdict.DONE
    if answers < maximum:
        return Verdict.MORE
    return Verdict.ESCALATE if escalation else Verdict.DONE
