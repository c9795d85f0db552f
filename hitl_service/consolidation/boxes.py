"""Bounding boxes: IoU matching across reviewers, averaged boxes, voted labels, per-box confidence.

Kept boxes (docs/consolidation.md): a group of matched boxes is kept when the reviewers who drew it
hold at least half of the item's reviewer reliability; so with three equal reviewers a box only one
drew is dropped, with two it is kept (at low confidence), and an item with a single reviewer keeps
all of that reviewer's boxes at confidence 0.0. A reviewer who drew no box still counts in the item's
total: leaving an object out is a vote against it.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .grouping import Regions, group_regions
from .regions import flatten_answers, kept_groups, split_by_item, weighted_mean


@dataclass(frozen=True)
class BoxAnswer:
    """One reviewer's boxes for one item: (m, 4) left, top, width, height, and (m,) class ids."""

    item: int
    worker: int
    boxes: np.ndarray
    labels: np.ndarray


@dataclass(frozen=True)
class ItemBoxes:
    """Consolidated boxes of one item."""

    boxes: np.ndarray           # (m, 4) float left, top, width, height
    labels: np.ndarray          # (m,) int
    confidence: np.ndarray      # (m,) float in [0, 1]
    n_workers: int


def consolidate_boxes(answers: list[BoxAnswer], *, n_items: int, iou_threshold: float = 0.5,
                      worker_weight: np.ndarray | None = None) -> list[ItemBoxes]:
    """Consolidate every item's boxes; result[i] belongs to item i."""
    flat = flatten_answers(answers, n_items, worker_weight,
                           lambda a: np.asarray(a.boxes, dtype=np.float64).reshape(-1, 4))
    boxes = flat.values
    regions = Regions(owner=flat.owner, label=flat.labels, answer_item=flat.answer_item,
                      answer_weight=flat.answer_weight)
    groups = group_regions(regions, lambda ia, ib: iou(boxes[ia], boxes[ib]), iou_threshold)
    n_groups = len(groups.item)
    weight = flat.answer_weight[flat.owner]
    fused = weighted_mean(groups.group, boxes, weight, n_groups)
    fit = weighted_mean(groups.group, iou(boxes, fused[groups.group])[:, None], weight, n_groups)[:, 0]
    confidence = np.where(groups.single_reviewer, 0.0, groups.share * groups.label_share * fit)
    keep = kept_groups(groups)
    order = np.lexsort((fused[:, 1], fused[:, 0], groups.item))
    order = order[keep[order]]
    reviewers = np.bincount(flat.answer_item, minlength=n_items)
    return [ItemBoxes(boxes=b, labels=l, confidence=np.clip(c, 0.0, 1.0), n_workers=int(n))
            for (b, l, c), n in zip(split_by_item(groups.item[order], n_items, fused[order],
                                                  groups.label[order], confidence[order]), reviewers)]


def iou(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Row-wise intersection over union of (n, 4) left, top, width, height boxes."""
    ix = np.minimum(a[:, 0] + a[:, 2], b[:, 0] + b[:, 2]) - np.maximum(a[:, 0], b[:, 0])
    iy = np.minimum(a[:, 1] + a[:, 3], b[:, 1] + b[:, 3]) - np.maximum(a[:, 1], b[:, 1])
    inter = np.clip(ix, 0, None) * np.clip(iy, 0, None)
    union = a[:, 2] * a[:, 3] + b[:, 2] * b[:, 3] - inter
    return np.divide(inter, union, out=np.zeros(len(inter)), where=union > 0)
