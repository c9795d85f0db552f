"""Calibration of the classification confidence on held-out synthetic crowds (ECE, 10 bins)."""
import numpy as np
import pytest

from hitl_service.consolidation.classes import Method, consolidate_classes
from hitl_service.consolidation.synthetic import KINDS, expected_calibration_error, make_crowd

# Seeds 1-3 were used while choosing the shrinkage; these are held out.
HELD_OUT = (101, 202)


@pytest.mark.parametrize("seed", HELD_OUT)
def test_ece_at_100k_annotations(seed):
    crowd = make_crowd(100_000, seed=seed)
    result = consolidate_classes(crowd.annotations)
    correct = result.label == crowd.truth
    assert result.method is Method.DAWID_SKENE
    assert expected_calibration_error(result.confidence, correct) <= 0.02
    majority = consolidate_classes(crowd.annotations, method=Method.MAJORITY_VOTE)
    assert correct.mean() > (majority.label == crowd.truth).mean() + 0.01


def test_generator_follows_the_specified_crowd():
    crowd = make_crowd(100_000, seed=7)
    ann = crowd.annotations
    assert abs(len(ann.item) - 100_000) < 1_000
    shares = np.bincount(crowd.worker_kind, minlength=len(KINDS)) / ann.n_workers
    assert shares == pytest.approx([0.60, 0.25, 0.10, 0.05], abs=0.03)
    per_item = np.bincount(ann.item, minlength=ann.n_items)
    assert per_item.min() >= 3 and per_item.max() <= 5
    pairs = ann.item * ann.n_workers + ann.worker
    assert len(np.unique(pairs)) == len(pairs)               # no reviewer answers an item twice
    prior = np.bincount(crowd.truth, minlength=5) / ann.n_items
    assert prior == pytest.approx([0.45, 0.25, 0.15, 0.10, 0.05], abs=0.01)
    activity = np.bincount(ann.worker, minlength=ann.n_workers)
    assert activity.max() > 5 * np.median(activity)           # heavy-tailed (log-normal) activity
    again = make_crowd(100_000, seed=7)
    assert np.array_equal(again.annotations.label, ann.label)


def test_ece_definition():
    assert expected_calibration_error(np.array([0.95, 0.95, 0.55, 0.55]),
                                      np.array([1, 1, 1, 0])) == pytest.approx((0.05 * 2 + 0.05 * 2) / 4)
