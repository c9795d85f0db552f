"""Semantic segmentation masks: reliability-weighted per-pixel vote with neighbourhood smoothing."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import ndimage

SMOOTHING = 3             # side of the square neighbourhood whose votes each pixel shares
NEIGHBOUR_WEIGHT = 0.5    # neighbourhood votes count half: they settle ties and lone dissent, never erode


@dataclass(frozen=True)
class MaskResult:
    """The consolidated mask and how much the reviewers agreed on it."""

    mask: np.ndarray             # (H, W) uint8 class ids
    confidence: float            # mean winning vote share over the image; 0.0 with one reviewer
    class_confidence: np.ndarray  # (n_classes,) mean winning share over that class's pixels (0 if absent)


def consolidate_mask(masks: np.ndarray, *, n_classes: int,
                     worker_weight: np.ndarray | None = None) -> MaskResult:
    """Consolidate one image's masks (n_workers, H, W) of class ids, 0 being background."""
    masks = np.asarray(masks)
    if masks.ndim != 3 or masks.shape[0] == 0:
        raise ValueError("masks must have shape (n_workers, H, W) with at least one mask")
    if masks.min() < 0 or masks.max() >= n_classes:
        raise ValueError(f"mask values must be class ids 0..{n_classes - 1}")
    n = masks.shape[0]
    weight = np.ones(n) if worker_weight is None else np.asarray(worker_weight, dtype=np.float64)
    if weight.shape != (n,):
        raise ValueError("worker_weight must have one weight per mask")
    weight = np.maximum(weight, 1e-6)
    # (n_classes, H, W) vote maps: one weighted bincount over the flattened (class, pixel) codes
    h, w = masks.shape[1:]
    codes = masks.reshape(n, -1).astype(np.int64) * (h * w) + np.arange(h * w)
    votes = np.bincount(codes.ravel(), weights=np.repeat(weight, h * w),
                        minlength=n_classes * h * w).reshape(n_classes, h, w)
    smoothed = votes + NEIGHBOUR_WEIGHT * ndimage.uniform_filter(votes, size=(1, SMOOTHING, SMOOTHING),
                                                                 mode="nearest")
    mask = np.argmax(smoothed, axis=0)
    # confidence is the reviewers' own agreement on the chosen class at each pixel
    winning = np.take_along_axis(votes, mask[None], axis=0)[0] / weight.sum()
    if n == 1:
        return MaskResult(mask=mask.astype(np.uint8), confidence=0.0, class_confidence=np.zeros(n_classes))
    per_class = np.bincount(mask.ravel(), weights=winning.ravel(), minlength=n_classes)
    pixels = np.bincount(mask.ravel(), minlength=n_classes)
    class_conf = np.divide(per_class, pixels, out=np.zeros(n_classes), where=pixels > 0)
    return MaskResult(mask=mask.astype(np.uint8), confidence=float(np.clip(winning.mean(), 0, 1)),
                      class_confidence=np.clip(class_conf, 0.0, 1.0))
