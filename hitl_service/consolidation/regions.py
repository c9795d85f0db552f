"""Helpers shared by the region kinds (boxes, spans): flattening answers and splitting results."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from .grouping import Groups

KEEP_SHARE = 0.5


@dataclass(frozen=True)
class FlatAnswers:
    """Answers sorted by (item, worker) with their regions concatenated."""

    values: np.ndarray          # (n_regions, d) geometry
    labels: np.ndarray          # (n_regions,)
    owner: np.ndarray           # (n_regions,) answer index
    answer_item: np.ndarray     # (n_answers,)
    answer_weight: np.ndarray   # (n_answers,)


def flatten_answers(answers, n_items: int, worker_weight, geometry: Callable) -> FlatAnswers:
    """Sort answers canonically and concatenate their regions (one pass over answers, not regions)."""
    answers = sorted(answers, key=lambda a: (a.item, a.worker))
    item = np.fromiter((a.item for a in answers), np.int64, len(answers))
    worker = np.fromiter((a.worker for a in answers), np.int64, len(answers))
    if len(item) and (item.min() < 0 or item.max() >= n_items):
        raise ValueError("answer item out of range")
    geoms = [geometry(a) for a in answers]
    labels = [np.asarray(a.labels, dtype=np.int64).reshape(-1) for a in answers]
    sizes = np.fromiter((len(g) for g in geoms), np.int64, len(geoms))
    if any(len(g) != len(lab) for g, lab in zip(geoms, labels)):
        raise ValueError("each answer needs one label per region")
    if worker_weight is None:
        weight = np.ones(len(answers))
    else:
        # a tiny floor keeps a group drawn only by zero-weight reviewers well defined
        weight = np.maximum(np.asarray(worker_weight, dtype=np.float64)[worker], 1e-6)
    width = geoms[0].shape[1] if geoms else 1
    return FlatAnswers(values=np.concatenate(geoms) if geoms else np.zeros((0, width)),
                       labels=np.concatenate(labels) if labels else np.zeros(0, np.int64),
                       owner=np.repeat(np.arange(len(answers)), sizes),
                       answer_item=item, answer_weight=weight)


def weighted_mean(group, values, weight, n_groups):
    """Per group, the weight-averaged rows of values (n, d)."""
    total = np.bincount(group, weights=weight, minlength=n_groups)
    safe = np.where(total > 0, total, 1.0)
    cols = [np.bincount(group, weights=values[:, j] * weight, minlength=n_groups) / safe
            for j in range(values.shape[1])]
    return np.stack(cols, axis=1) if cols else np.zeros((n_groups, 0))


def kept_groups(groups: Groups) -> np.ndarray:
    """The documented keep rule: at least half the item's reliability drew it, or a lone reviewer."""
    return groups.single_reviewer | (groups.share >= KEEP_SHARE - 1e-9)


def split_by_item(item_of_row, n_items, *columns):
    """Split row-aligned arrays (rows sorted by item) into one tuple per item 0..n_items-1."""
    bounds = np.searchsorted(item_of_row, np.arange(1, n_items))
    parts = [np.split(col, bounds) for col in columns]
    return list(zip(*parts))
