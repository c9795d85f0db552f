"""Text spans (named entities): Jaccard grouping, mode boundaries (lower median without a mode), voted label.

Spans are half-open character ranges [start, end). Kept spans follow the box rule (regions.KEEP_SHARE).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .grouping import Regions, group_mode, group_regions
from .regions import flatten_answers, kept_groups, split_by_item, stack_columns, weighted_mean


@dataclass(frozen=True)
class SpanAnswer:
    """One reviewer's spans for one item."""

    item: int
    worker: int
    starts: np.ndarray
    ends: np.ndarray
    labels: np.ndarray


@dataclass(frozen=True)
class ItemSpans:
    """Consolidated spans of one item, in text order."""

    starts: np.ndarray
    ends: np.ndarray
    labels: np.ndarray
    confidence: np.ndarray
    n_workers: int


def consolidate_spans(answers: list[SpanAnswer], *, n_items: int, jaccard_threshold: float = 0.5,
                      worker_weight: np.ndarray | None = None) -> list[ItemSpans]:
    """Consolidate every item's spans; result[i] belongs to item i."""
    flat = flatten_answers(answers, n_items, worker_weight, _geometry)
    spans = flat.values.astype(np.int64)
    regions = Regions(owner=flat.owner, label=flat.labels, answer_item=flat.answer_item,
                      answer_weight=flat.answer_weight)
    groups = group_regions(regions, lambda ia, ib: jaccard(spans[ia], spans[ib]), jaccard_threshold)
    n_groups = len(groups.item)
    starts = group_mode(groups.group, spans[:, 0], n_groups)
    ends = np.maximum(group_mode(groups.group, spans[:, 1], n_groups), starts + 1)
    merged = np.stack([starts, ends], axis=1)
    weight = flat.answer_weight[flat.owner]
    fit = weighted_mean(groups.group, jaccard(spans, merged[groups.group])[:, None], weight, n_groups)[:, 0]
    confidence = np.clip(np.where(groups.single_reviewer, 0.0, groups.share * groups.label_share * fit), 0, 1)
    keep = kept_groups(groups)
    order = np.lexsort((confidence, groups.label, ends, starts, groups.item))  # total order: input order never shows
    order = order[keep[order]]
    reviewers = np.bincount(flat.answer_item, minlength=n_items)
    return [ItemSpans(starts=s, ends=e, labels=lab, confidence=c, n_workers=n)
            for (s, e, lab, c), n in zip(split_by_item(groups.item[order], n_items, starts[order],
                                                       ends[order], groups.label[order], confidence[order]),
                                         reviewers.tolist())]


def _geometry(answers):
    starts, sizes = stack_columns([a.starts for a in answers], 1, np.int64)
    ends, end_sizes = stack_columns([a.ends for a in answers], 1, np.int64)
    if np.any(sizes != end_sizes) or np.any(ends <= starts):
        raise ValueError("each span needs start < end")
    return np.concatenate([starts, ends], axis=1), sizes


def jaccard(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Row-wise Jaccard overlap of (n, 2) half-open [start, end) character ranges."""
    inter = np.clip(np.minimum(a[:, 1], b[:, 1]) - np.maximum(a[:, 0], b[:, 0]), 0, None)
    union = (a[:, 1] - a[:, 0]) + (b[:, 1] - b[:, 0]) - inter
    return np.divide(inter, union, out=np.zeros(len(inter)), where=union > 0)
