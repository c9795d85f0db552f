"""Segmentation masks: weighted per-pixel vote, smoothing, per-image and per-class confidence."""
import numpy as np
import pytest

from hitl_service.consolidation.masks import consolidate_mask


def square(h=10, w=10, value=1, box=(2, 7, 2, 7)):
    m = np.zeros((h, w), np.uint8)
    m[box[0]:box[1], box[2]:box[3]] = value
    return m


def test_unanimous_masks_are_kept_exactly_with_full_confidence():
    masks = np.stack([square()] * 3)
    result = consolidate_mask(masks, n_classes=3)
    assert np.array_equal(result.mask, square())
    assert result.confidence == pytest.approx(1.0)
    assert result.class_confidence.tolist() == pytest.approx([1.0, 1.0, 0.0])


def test_majority_per_pixel_and_lone_dissent():
    a, b = square(), square()
    c = square(box=(2, 7, 2, 9))                  # one reviewer paints two extra columns
    result = consolidate_mask(np.stack([a, b, c]), n_classes=2)
    assert np.array_equal(result.mask, a)
    assert result.class_confidence[1] == pytest.approx(1.0)
    assert result.class_confidence[0] < 1.0
    assert 0.9 < result.confidence < 1.0


def test_smoothing_settles_a_two_way_tie_by_the_neighbourhood():
    a = square()
    b = square()
    b[4, 4] = 0                                   # a hole only one of two reviewers left
    result = consolidate_mask(np.stack([a, b]), n_classes=2)
    assert result.mask[4, 4] == 1


def test_reliability_weights_decide():
    good, bad = square(value=1), square(value=2)
    masks = np.stack([good, bad, bad])
    assert consolidate_mask(masks, n_classes=3).mask[4, 4] == 2
    weighted = consolidate_mask(masks, n_classes=3, worker_weight=np.array([0.9, 0.2, 0.2]))
    assert weighted.mask[4, 4] == 1


def test_single_mask_has_zero_confidence_and_bad_input_is_rejected():
    result = consolidate_mask(square()[None], n_classes=2)
    assert result.confidence == 0.0 and np.array_equal(result.mask, square())
    with pytest.raises(ValueError, match="class ids"):
        consolidate_mask(np.stack([square(value=5)] * 2), n_classes=3)


def test_reviewer_order_changes_nothing():
    rng = np.random.default_rng(3)
    masks = rng.integers(0, 3, size=(4, 12, 9)).astype(np.uint8)
    weights = rng.random(4)
    x = consolidate_mask(masks, n_classes=3, worker_weight=weights)
    perm = rng.permutation(4)
    y = consolidate_mask(masks[perm], n_classes=3, worker_weight=weights[perm])
    assert np.array_equal(x.mask, y.mask) and x.confidence == pytest.approx(y.confidence)
