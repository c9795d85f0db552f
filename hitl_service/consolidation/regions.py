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
    """Sort answers canonically and concatenate their regions (one pass over answers, not regions).

    `geometry(answers)` returns the answers' regions stacked into one (n_regions, d) array and the
    number of regions of each answer.
    """
    item = np.fromiter((a.item for a in answers), np.int64, len(answers))
    worker = np.fromiter((a.worker for a in answers), np.int64, len(answers))
    if len(item) and (item.min() < 0 or item.max() >= n_items):
        raise ValueError("answer item out of range")
    order = np.lexsort((worker, item))
    if np.any(order != np.arange(len(order))):
        answers = [answers[i] for i in order]
        item, worker = item[order], worker[order]
    values, sizes = geometry(answers)
    labels = _concat([a.labels for a in answers], np.int64).reshape(-1)
    if len(labels) != len(values) or np.any(
            np.fromiter(map(len, (a.labels for a in answers)), np.int64, len(answers)) != sizes):
        raise ValueError("each answer needs one label per region")
    if worker_weight is None:
        weight = np.ones(len(answers))
    else:
        # a tiny floor keeps a group drawn only by zero-weight reviewers well defined
        weight = np.maximum(np.asarray(worker_weight, dtype=np.float64)[worker], 1e-6)
    return FlatAnswers(values=values, labels=labels, owner=np.repeat(np.arange(len(answers)), sizes),
                       answer_item=item, answer_weight=weight)


def stack_columns(arrays: list, width: int, dtype) -> tuple[np.ndarray, np.ndarray]:
    """Concatenate per-answer (m, width) arrays; return them and each answer's m."""
    sizes = np.fromiter(map(len, arrays), np.int64, len(arrays))
    values = _concat(arrays, dtype)
    if values.size != sizes.sum() * width:
        raise ValueError(f"each region needs {width} numbers")
    return values.reshape(-1, width), sizes


def _concat(arrays, dtype):
    if not arrays:
        return np.zeros(0, dtype)
    try:
        return np.concatenate(arrays).astype(dtype, copy=False)
    except ValueError:      # mixed shapes (e.g. empty lists next to (m, 4) arrays): flatten each
        return np.concatenate([np.asarray(a, dtype=dtype).reshape(-1) for a in arrays])


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
    bounds = np.searchsorted(item_of_row, np.arange(n_items + 1)).tolist()
    spans = list(zip(bounds[:-1], bounds[1:]))
    # plain slices (views): the per-item cost is a few hundred nanoseconds per column
    return list(zip(*([col[a:b] for a, b in spans] for col in columns)))
