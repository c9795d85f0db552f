"""Verification and adjustment jobs: what GT adds to a consolidated label (worker-feedback, adjustment-status).

The votes themselves come from the base consolidation (jobs/consolidate.py): verification is a
classification over the category file's labels, adjustment is the base task type's consolidation
of the edited boxes or masks. This module adds the fields GT documents for the two job kinds.
"""

from __future__ import annotations

import dataclasses

from hitl_service.domain.labeling import TaskType
from hitl_service.jobs.preprocess import BOXES, PreprocessError, earlier_label

ADJUSTED, UNADJUSTED = "adjusted", "unadjusted"


def _comments(answers: list[dict]) -> list[dict]:
    """``worker-feedback``: every reviewer's non-empty comment (any element's ``workerComment``)."""
    out = []
    for a in answers:
        content = a.get("answerContent")
        values = [content] + list(content.values()) if isinstance(content, dict) else []
        for v in values:
            if isinstance(v, dict) and isinstance(v.get("workerComment"), str) and v["workerComment"].strip():
                out.append({"comment": v["workerComment"].strip()})
                break
    return out


def verification(batch, results) -> list:
    """The verification vote as GT writes it: the class index as a string, plus ``worker-feedback``."""
    out = []
    for obj, res in zip(batch, results):
        if res.value is None:
            out.append(res)
            continue
        meta = dict(res.meta)
        feedback = _comments(obj.answers)
        if feedback:
            meta["worker-feedback"] = feedback
        out.append(dataclasses.replace(res, value=str(res.value), meta=meta))
    return out


def _box_key(boxes) -> list[tuple]:
    coords = ("left", "top", "width", "height")
    return sorted((str(b.get("label")), *(int(round(float(b.get(k) or 0))) for k in coords))
                  for b in boxes if isinstance(b, dict))


def _changed(answer: dict, kind: str, before: list[tuple] | None) -> bool:
    """Whether one reviewer changed the earlier label: the element's own flag, else a comparison of boxes."""
    content = answer.get("answerContent")
    for v in ([content] + list(content.values())) if isinstance(content, dict) else []:
        if isinstance(v, dict) and isinstance(v.get("initialValueModified"), bool):
            return v["initialValueModified"]
    if kind == BOXES and before is not None:
        for v in ([content] + list(content.values())) if isinstance(content, dict) else []:
            if isinstance(v, dict) and isinstance(v.get("boundingBoxes"), list):
                try:
                    return _box_key(v["boundingBoxes"]) != before
                except (TypeError, ValueError):
                    return True   # boxes that are not numbers are not the earlier ones
    # a mask answer without the element's flag cannot be compared without reading the earlier PNG
    return True


def adjustment(task_type: TaskType, batch, results, audit: str | None) -> list:
    """``adjustment-status``: ``adjusted`` when any reviewer changed the earlier label, else ``unadjusted``."""
    out = []
    for obj, res in zip(batch, results):
        if res.value is None:
            out.append(res)
            continue
        try:
            earlier = earlier_label(task_type, obj.line or {}, audit)
            kind, before = earlier.kind, _box_key(earlier.boxes) if earlier.kind == BOXES else None
        except PreprocessError:
            kind, before = "", None
        status = ADJUSTED if any(_changed(a, kind, before) for a in obj.answers) else UNADJUSTED
        out.append(dataclasses.replace(res, meta={**res.meta, "adjustment-status": status}))
    return out
