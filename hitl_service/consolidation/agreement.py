"""Agreement metrics per batch (Krippendorff's alpha, Fleiss' kappa) and per reviewer."""
from __future__ import annotations

from dataclasses import dataclass

import krippendorff
import numpy as np
from statsmodels.stats.inter_rater import fleiss_kappa

from .classes import ClassAnnotations, ClassResult


@dataclass(frozen=True)
class BatchAgreement:
    """Chance-corrected agreement of a batch; None where the batch has too little overlap."""

    krippendorff_alpha: float | None   # nominal, over every item with at least two answers
    fleiss_kappa: float | None         # over the items with the most common answer count (>= 2)
    fleiss_items: int                  # how many items the kappa used
    fleiss_raters: int                 # the answer count of those items


@dataclass(frozen=True)
class WorkerAgreement:
    """Per reviewer (index = worker): answers, agreement with the consensus, estimated accuracy."""

    answers: np.ndarray                # (n_workers,) answers in the batch
    agreement: np.ndarray              # (n_workers,) share of answers on shared items equal to the consensus
    accuracy: np.ndarray               # (n_workers,) the model's estimated accuracy


def vote_table(ann: ClassAnnotations) -> np.ndarray:
    """(n_items, n_classes) answer counts."""
    return np.bincount(ann.item * ann.n_classes + ann.label,
                       minlength=ann.n_items * ann.n_classes).reshape(ann.n_items, ann.n_classes)


def batch_agreement(ann: ClassAnnotations) -> BatchAgreement:
    """Nominal Krippendorff's alpha (krippendorff) and Fleiss' kappa (statsmodels) for a batch."""
    table = vote_table(ann)
    per_item = table.sum(axis=1)
    shared = table[per_item >= 2]
    alpha = None
    if len(shared) and np.count_nonzero(shared.sum(axis=0)) >= 2:
        alpha = float(krippendorff.alpha(value_counts=shared, level_of_measurement="nominal"))
    kappa, n_kappa, raters = None, 0, 0
    if len(shared):
        # statsmodels' kappa needs the same number of answers per item: use the most common count
        raters = int(np.bincount(per_item[per_item >= 2]).argmax())
        rows = table[per_item == raters]
        n_kappa = len(rows)
        if np.count_nonzero(rows.sum(axis=0)) >= 2:
            kappa = float(fleiss_kappa(rows, method="fleiss"))
    return BatchAgreement(krippendorff_alpha=alpha, fleiss_kappa=kappa, fleiss_items=n_kappa,
                          fleiss_raters=raters)


def worker_agreement(ann: ClassAnnotations, result: ClassResult) -> WorkerAgreement:
    """Each reviewer's agreement with the consolidated labels on items someone else also answered."""
    answers = np.bincount(ann.worker, minlength=ann.n_workers)
    shared = np.bincount(ann.item, minlength=ann.n_items)[ann.item] >= 2
    hits = (ann.label == result.label[ann.item]) & shared
    on_shared = np.bincount(ann.worker, weights=shared, minlength=ann.n_workers)
    agree = np.bincount(ann.worker, weights=hits, minlength=ann.n_workers)
    agreement = np.divide(agree, on_shared, out=np.full(ann.n_workers, np.nan), where=on_shared > 0)
    return WorkerAgreement(answers=answers, agreement=agreement, accuracy=result.worker_accuracy)
