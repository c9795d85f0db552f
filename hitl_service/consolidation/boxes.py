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
from .regions import flatten_answers, kept_groups, split_by_item, stack_columns, weighted_mean


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
                           lambda answers: stack_columns([a.boxes for a in answers], 4, np.float64))
    boxes = flat.values
    if np.any(boxes[:, 2:] < 0):
        raise ValueError("box width and height must not be negative")
    regions = Regions(owner=flat.owner, label=flat.labels, answer_item=flat.answer_item,
                      answer_weight=flat.answer_weight)
    corners = _Corners(boxes)
    groups = group_regions(regions, corners.iou, iou_threshold)
    n_groups = len(groups.item)
    weight = flat.answer_weight[flat.owner]
    fused = weighted_mean(groups.group, boxes, weight, n_groups)
    fit = weighted_mean(groups.group, iou(boxes, fused[groups.group])[:, None], weight, n_groups)[:, 0]
    confidence = np.clip(np.where(groups.single_reviewer, 0.0, groups.share * groups.label_share * fit), 0, 1)
    keep = kept_groups(groups)
    # a total order (position, size, label, confidence) so the output never depends on input order
    order = np.lexsort((confidence, groups.label, fused[:, 3], fused[:, 2], fused[:, 1], fused[:, 0], groups.item))
    order = order[keep[order]]
    reviewers = np.bincount(flat.answer_item, minlength=n_items)
    return [ItemBoxes(boxes=b, labels=lab, confidence=c, n_workers=n)
            for (b, lab, c), n in zip(split_by_item(groups.item[order], n_items, fused[order],
                                                    groups.label[order], confidence[order]),
                                      reviewers.tolist())]


class _Corners:
    """Boxes as separate corner columns, so pairwise IoU gathers 1-D arrays (cache friendly)."""

    def __init__(self, boxes):
        self.x0, self.y0 = boxes[:, 0].copy(), boxes[:, 1].copy()
        self.x1, self.y1 = self.x0 + boxes[:, 2], self.y0 + boxes[:, 3]
        self.area = boxes[:, 2] * boxes[:, 3]

    def iou(self, ia, ib):
        """IoU of boxes ia[k] and ib[k]."""
        ix = np.minimum(self.x1[ia], self.x1[ib])
        ix -= np.maximum(self.x0[ia], self.x0[ib])
        iy = np.minimum(self.y1[ia], self.y1[ib])
        iy -= np.maximum(self.y0[ia], self.y0[ib])
        np.clip(ix, 0, None, out=ix)
        np.clip(iy, 0, None, out=iy)
        ix *= iy
        union = self.area[ia] + self.area[ib] - ix
        return np.divide(ix, union, out=np.zeros(len(ix)), where=union > 0)


def iou(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Row-wise intersection over union of (n, 4) left, top, width, height boxes."""
    n = len(a)
    return _Corners(np.concatenate([a, b])).iou(np.arange(n), np.arange(n, 2 * n))
