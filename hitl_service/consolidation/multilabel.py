"""Multi-label classification: one binary Dawid-Skene per label, all labels in one batched EM."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .classes import ClassAnnotations, Method, consolidate_classes


@dataclass(frozen=True)
class MultiLabelResult:
    """Per item and label: chosen or not, and the confidence in that decision (GT's confidence-map)."""

    chosen: np.ndarray          # (n_items, K) bool
    confidence: np.ndarray      # (n_items, K) float in [0, 1]
    method: Method
    worker_accuracy: np.ndarray  # (n_workers, K) estimated accuracy on each label's yes/no


def consolidate_multilabel(item, worker, chosen: np.ndarray, *, n_items: int, n_workers: int,
                           method: Method | None = None) -> MultiLabelResult:
    """Consolidate multi-label answers: label j of item i is a yes/no question answered per reviewer."""
    item = np.asarray(item, dtype=np.int64)
    worker = np.asarray(worker, dtype=np.int64)
    chosen = np.asarray(chosen, dtype=bool)
    if chosen.ndim != 2 or chosen.shape[0] != len(item):
        raise ValueError("chosen must have shape (n_answers, n_classes)")
    k = chosen.shape[1]
    # Label j's questions become items j*n_items + i and its reviewers workers j*n_workers + w: one
    # binary EM over the stacked batch estimates every label's confusions independently.
    offsets = np.arange(k, dtype=np.int64)
    stacked = ClassAnnotations(
        item=(offsets[None, :] * n_items + item[:, None]).ravel(),
        worker=(offsets[None, :] * n_workers + worker[:, None]).ravel(),
        label=chosen.astype(np.int64).ravel(),
        n_items=n_items * k, n_workers=n_workers * k, n_classes=2)
    result = consolidate_classes(stacked, method=method)
    return MultiLabelResult(chosen=result.label.reshape(k, n_items).T.astype(bool),
                            confidence=result.confidence.reshape(k, n_items).T.copy(),
                            method=result.method,
                            worker_accuracy=result.worker_accuracy.reshape(k, n_workers).T.copy())
