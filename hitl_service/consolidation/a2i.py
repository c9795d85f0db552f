"""A2I's opt-in `consolidatedAnswer`: one answerContent merged from a loop's humanAnswers.

Each top-level field of answerContent is consolidated by its shape (the shapes crowd-html-elements
submit), and the merged field keeps that shape, so a client reads `consolidatedAnswer.answerContent`
exactly like one human answer:

| field value in every answer | kind | merged by |
|---|---|---|
| `{"label": str}` (crowd-classifier) | single label | `consolidate_classes` |
| `{"labels": [str]}` (multi-select) | multi-label | `consolidate_multilabel` |
| `{"boundingBoxes": [{label, left, top, width, height}]}` | boxes | `consolidate_boxes` |
| `{option: bool}` with one true option (radio group) | single label | `consolidate_classes` |
| `{option: bool}` otherwise (checkboxes, `{"on": true}`) | multi-label | `consolidate_multilabel` |
| bool | single label | `consolidate_classes` |
| number | number | `consolidate_numbers` (median) |
| str | text | `consolidate_text` |

A field missing from some answers, or with mixed shapes, is left out (never guessed). The confidence
of each field goes into `confidence` (a number, or a list per box / per label name for boxes and
multi-label maps).
"""
from __future__ import annotations

import numbers

import numpy as np

from .boxes import BoxAnswer, consolidate_boxes
from .classes import ClassAnnotations, Method, consolidate_classes
from .multilabel import consolidate_multilabel
from .text import consolidate_numbers, consolidate_text, normalise

_BOX_KEYS = ("left", "top", "width", "height")


def consolidate_answer_contents(contents: list[dict], *, prior_method: Method | None = None) -> dict | None:
    """Merge the answerContent dicts of one loop; None when there is no answer."""
    if not contents:
        return None
    merged, confidence, methods = {}, {}, set()
    keys = sorted(set.intersection(*(set(c) for c in contents)))
    for key in keys:
        outcome = _merge_field([c[key] for c in contents], prior_method)
        if outcome is None:
            continue
        merged[key], confidence[key], method = outcome
        methods.add(method)
    method = "mixed" if len(methods) > 1 else (methods.pop() if methods else None)
    return {"answerContent": merged, "confidence": confidence, "method": method, "answers": len(contents)}


def _kind(value):
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, numbers.Real):
        return "number"
    if isinstance(value, str):
        return "text"
    if isinstance(value, dict):
        if set(value) == {"label"} and isinstance(value["label"], str):
            return "label"
        if set(value) == {"labels"} and isinstance(value["labels"], list):
            return "labels"
        if "boundingBoxes" in value and isinstance(value["boundingBoxes"], list):
            return "boxes"
        if value and all(isinstance(v, bool) for v in value.values()):
            return "options"
    return None


def _merge_field(values, prior_method):
    kinds = {_kind(v) for v in values}
    if len(kinds) != 1 or None in kinds:
        return None
    kind = kinds.pop()
    if kind == "text":
        result = consolidate_text(values)
        return result.text, round(result.confidence, 4), "most-similar-text"
    if kind == "number":
        result = consolidate_numbers([float(v) for v in values])
        value = int(result.value) if all(isinstance(v, int) for v in values) and result.value.is_integer() \
            else result.value
        return value, round(result.confidence, 4), "median"
    if kind == "bool":
        label, conf, method = _single_label([str(v).lower() for v in values], prior_method)
        return label == "true", conf, method
    if kind == "label":
        label, conf, method = _single_label([v["label"] for v in values], prior_method)
        return {"label": label}, conf, method
    if kind == "options":
        if all(sum(v.values()) == 1 for v in values) and len({frozenset(v) for v in values}) == 1:
            picked = [next(k for k, on in v.items() if on) for v in values]
            label, conf, method = _single_label(picked, prior_method)
            return {k: k == label for k in sorted(values[0])}, conf, method
        names = sorted(set().union(*values))
        chosen, conf, method = _multi_label([[n for n in names if v.get(n)] for v in values], names)
        return {n: bool(c) for n, c in zip(names, chosen)}, dict(zip(names, conf)), method
    if kind == "labels":
        names = sorted({lab for v in values for lab in v["labels"]})
        chosen, conf, method = _multi_label([v["labels"] for v in values], names)
        picked = [n for n, c in zip(names, chosen) if c]
        return {"labels": picked}, {n: c for n, c in zip(names, conf)}, method
    return _merge_boxes(values)


def _single_label(labels, prior_method):
    names = sorted(set(labels))
    index = {n: i for i, n in enumerate(names)}
    n = len(labels)
    ann = ClassAnnotations(item=np.zeros(n, np.int64), worker=np.arange(n, dtype=np.int64),
                           label=np.array([index[x] for x in labels], np.int64), n_items=1, n_workers=n,
                           n_classes=len(names))
    result = consolidate_classes(ann, method=prior_method)
    return names[int(result.label[0])], round(float(result.confidence[0]), 4), result.method.value


def _multi_label(picks, names):
    n = len(picks)
    chosen = np.array([[name in set(p) for name in names] for p in picks], bool).reshape(n, len(names))
    result = consolidate_multilabel(np.zeros(n, np.int64), np.arange(n), chosen, n_items=1, n_workers=n)
    return (result.chosen[0].tolist(), [round(float(c), 4) for c in result.confidence[0]],
            result.method.value)


def _merge_boxes(values):
    try:
        rows = [[[float(b[k]) for k in _BOX_KEYS] for b in v["boundingBoxes"]] for v in values]
        labels = [[str(b.get("label", "")) for b in v["boundingBoxes"]] for v in values]
    except (KeyError, TypeError, ValueError):
        return None
    names = sorted({lab for ls in labels for lab in ls})
    index = {n: i for i, n in enumerate(names)}
    answers = [BoxAnswer(item=0, worker=w, boxes=np.array(r, float).reshape(-1, 4),
                         labels=np.array([index[x] for x in ls], np.int64))
               for w, (r, ls) in enumerate(zip(rows, labels))]
    [result] = consolidate_boxes(answers, n_items=1)
    boxes = [{"label": names[int(lab)], **{k: round(float(x), 2) for k, x in zip(_BOX_KEYS, box)}}
             for box, lab in zip(result.boxes, result.labels)]
    merged = {k: v for k, v in values[0].items() if k != "boundingBoxes"}
    merged["boundingBoxes"] = boxes
    return merged, [round(float(c), 4) for c in result.confidence], "iou-matching"


def loop_quality_report(loop_name: str, answers: list[dict], merged: dict) -> dict:
    """The per-loop quality report written beside output.json: per field and per reviewer agreement.

    A reviewer agrees on a field when their value equals the consolidated one (text compared without
    case and whitespace differences); box fields have no single-value agreement and report null.
    """
    fields = merged["answerContent"]
    reviewers = []
    for answer in answers:                     # one row per reviewer of one loop (1-3 for A2I)
        content = answer.get("answerContent") or {}
        agrees = {key: _agrees(content.get(key), value) for key, value in fields.items()}
        known = [v for v in agrees.values() if v is not None]
        reviewers.append({"workerId": answer.get("workerId"), "agreesWith": agrees,
                          "agreement": round(sum(known) / len(known), 4) if known else None})
    return {"version": 1, "humanLoopName": loop_name, "answers": len(answers), "method": merged["method"],
            "confidence": merged["confidence"], "reviewers": reviewers}


def _agrees(given, merged_value):
    if given is None:
        return False
    if isinstance(merged_value, dict) and "boundingBoxes" in merged_value:
        return None
    if isinstance(given, str) and isinstance(merged_value, str):
        return normalise(given) == normalise(merged_value)
    if isinstance(merged_value, dict) and "labels" in merged_value and isinstance(given, dict):
        return sorted(given.get("labels", [])) == sorted(merged_value["labels"])
    if isinstance(merged_value, dict) and isinstance(given, dict) and all(
            isinstance(v, bool) for v in merged_value.values()):
        return {k: bool(given.get(k)) for k in merged_value} == merged_value
    return given == merged_value


CONSOLIDATE_TAG = "hitl:consolidate"
QUALITY_REPORT_NAME = "quality-report.json"


def consolidation_tag_value(tags: list[dict]) -> bool:
    """The flow's opt-in (`hitl:consolidate` = `true` or `false`, default false); ValueError otherwise."""
    value = next((t.get("Value") for t in tags or [] if t.get("Key") == CONSOLIDATE_TAG), None)
    if value is None:
        return False
    if value.strip().lower() not in ("true", "false"):
        raise ValueError(f"Tag {CONSOLIDATE_TAG} must be true or false")
    return value.strip().lower() == "true"


def loop_consolidation(loop_name: str, answers: list[dict], *,
                       task_count: int) -> tuple[dict | None, dict | None]:
    """(consolidatedAnswer, quality report) for a finishing loop of a flow that opted in; (None, None)
    when the flow asks for one reviewer (TaskCount 1) or there is no answer."""
    if task_count <= 1 or not answers:
        return None, None
    merged = consolidate_answer_contents([a.get("answerContent") or {} for a in answers])
    return merged, loop_quality_report(loop_name, answers, merged)
