"""A labeling job's quality numbers, recorded when a batch is consolidated (the answers leave Redis after).

Each consolidated object's answers go into the job's capped quality window (store/quality.py); the
summary -- Krippendorff's alpha, Fleiss' kappa, per-reviewer agreement with the consensus and
estimated accuracy -- is the consolidation package's quality report over that window, so a job of
up to ``WINDOW`` objects gets exact numbers and a bigger one the numbers of its newest objects.
"""

from __future__ import annotations

import json
import logging

import numpy as np

from hitl_service.consolidation.classes import ClassAnnotations, consolidate_classes
from hitl_service.consolidation.report import quality_report
from hitl_service.domain.labeling import TaskType
from hitl_service.domain.timefmt import now_ms
from hitl_service.services.context import ServiceContext
from hitl_service.store.quality import QualitySummary, ReviewerScore

log = logging.getLogger(__name__)

WINDOW = 2000          # objects per job whose answers the summary covers
MAX_REVIEWERS = 50     # reviewer rows kept in a summary (the most active)

SINGLE = (TaskType.IMAGE_CLASSIFICATION, TaskType.TEXT_CLASSIFICATION)
MULTI = (TaskType.IMAGE_CLASSIFICATION_MULTILABEL, TaskType.TEXT_CLASSIFICATION_MULTILABEL)


def _choice(content, key: str):
    """The value under ``key`` in an answer, at the top or one element down (``{"crowd-classifier": {...}}``)."""
    if not isinstance(content, dict):
        return None
    if key in content:
        return content[key]
    for v in content.values():
        if isinstance(v, dict) and key in v:
            return v[key]
    return None


def answer_rows(task_type: TaskType, batch) -> dict[int, str]:
    """Per object: its answers as ``[[workerId, class], ...]`` (a multi-label answer's class is its label set).

    Empty for task types without classes (boxes, spans, masks): agreement is not defined for them here.
    """
    if task_type not in SINGLE + MULTI:
        return {}
    rows = {}
    for obj in batch:
        pairs = []
        for a in obj.answers:
            if task_type in SINGLE:
                label = _choice(a.get("answerContent"), "label")
                value = label if isinstance(label, str) else None
            else:
                labels = _choice(a.get("answerContent"), "labels")
                value = "|".join(sorted(str(x) for x in labels)) if isinstance(labels, list) else None
            if value is not None:
                pairs.append([a.get("workerId", ""), value])
        if pairs:
            rows[obj.object_id] = json.dumps(pairs, separators=(",", ":"))
    return rows


def summarize(rows: list[str], updated_ms: int) -> QualitySummary | None:
    """The quality report of the window's answers, cut to a small summary; None for an empty window."""
    workers: dict[str, int] = {}
    classes: dict[str, int] = {}
    item, worker, label = [], [], []
    for i, raw in enumerate(rows):
        for w, value in json.loads(raw):
            item.append(i)
            worker.append(workers.setdefault(w, len(workers)))
            label.append(classes.setdefault(value, len(classes)))
    if not item:
        return None
    ann = ClassAnnotations(item=np.asarray(item, np.int64), worker=np.asarray(worker, np.int64),
                           label=np.asarray(label, np.int64), n_items=len(rows), n_workers=len(workers),
                           n_classes=max(len(classes), 2))
    report = quality_report(ann, consolidate_classes(ann), worker_ids=list(workers))
    ranked = sorted(report["workers"], key=lambda r: (-r["answers"], r["workerId"]))[:MAX_REVIEWERS]
    return QualitySummary(objects=report["items"], answers=report["answers"], method=report["method"],
                      krippendorff_alpha=report["agreement"]["krippendorffAlpha"],
                      fleiss_kappa=report["agreement"]["fleissKappa"], mean_confidence=report["confidence"]["mean"],
                      reviewers=tuple(ReviewerScore(worker_id=r["workerId"], answers=r["answers"],
                                                    agreement=r["agreementWithConsensus"],
                                                    accuracy=r["estimatedAccuracy"]) for r in ranked),
                      updated_ms=updated_ms)


def record(ctx: ServiceContext, name: str, task_type: TaskType, batch) -> None:
    """After a batch is consolidated: add its answers to the job's window and rewrite the job's summary.

    Never fails the consolidation: the labels are what the customer waits for, the numbers are for the console.
    """
    try:
        rows = answer_rows(task_type, batch)
        if not rows:
            return
        now = now_ms()
        ctx.store.quality.add_to_window(name, rows, now, WINDOW)
        summary = summarize(ctx.store.quality.window(name), now)
        if summary is not None:
            ctx.store.quality.save(name, summary)
            log.info("job quality job=%s objects=%s alpha=%s kappa=%s", name, summary.objects,
                     summary.krippendorff_alpha, summary.fleiss_kappa)
    except Exception:  # noqa: BLE001 - see the docstring
        log.exception("job quality not recorded job=%s", name)
