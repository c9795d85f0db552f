"""The JSON quality report written beside a batch's output (a pure function of the batch)."""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .agreement import batch_agreement, worker_agreement
from .classes import ClassAnnotations, ClassResult

LOW_CONFIDENCE = 0.5
REPORT_VERSION = 1


def _num(value) -> float | None:
    """JSON-safe float: None for missing or NaN, rounded to 4 places."""
    if value is None or not np.isfinite(value):
        return None
    return round(float(value), 4)


def quality_report(ann: ClassAnnotations, result: ClassResult, *, worker_ids: Sequence[str] | None = None,
                   class_names: Sequence[str] | None = None, name: str | None = None) -> dict:
    """Build the batch's quality report: method, agreement, confidence profile, reviewers."""
    agreement = batch_agreement(ann)
    workers = worker_agreement(ann, result)
    answers = np.bincount(ann.item, minlength=ann.n_items)
    answered = answers > 0
    confidence = result.confidence[answered]
    histogram = np.bincount(np.minimum((confidence * 10).astype(np.int64), 9), minlength=10)
    ids = list(worker_ids) if worker_ids is not None else [str(i) for i in range(ann.n_workers)]
    names = list(class_names) if class_names is not None else [str(i) for i in range(ann.n_classes)]
    if len(ids) != ann.n_workers or len(names) != ann.n_classes:
        raise ValueError("worker_ids and class_names must match n_workers and n_classes")
    label_counts = np.bincount(result.label[answered], minlength=ann.n_classes)
    reviewers = [
        {"workerId": ids[w], "answers": int(workers.answers[w]),
         "agreementWithConsensus": _num(workers.agreement[w]),
         "estimatedAccuracy": _num(workers.accuracy[w])}
        for w in np.flatnonzero(workers.answers)          # one row per reviewer, not per answer
    ]
    return {
        "version": REPORT_VERSION,
        "name": name,
        "method": result.method.value,
        "items": int(answered.sum()),
        "answers": int(len(ann.item)),
        "reviewers": len(reviewers),
        "answersPerItem": _num(answers[answered].mean()) if answered.any() else None,
        "agreement": {
            "krippendorffAlpha": _num(agreement.krippendorff_alpha),
            "fleissKappa": _num(agreement.fleiss_kappa),
            "fleissItems": agreement.fleiss_items,
            "fleissRaters": agreement.fleiss_raters,
        },
        "confidence": {
            "mean": _num(confidence.mean()) if len(confidence) else None,
            "lowConfidenceThreshold": LOW_CONFIDENCE,
            "lowConfidenceItems": int(np.count_nonzero(confidence < LOW_CONFIDENCE)),
            "histogram": [int(c) for c in histogram],
        },
        "labels": {names[k]: int(label_counts[k]) for k in range(ann.n_classes)},
        "workers": reviewers,
    }
