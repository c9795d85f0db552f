"""Bounding boxes: known answers, the keep rule, optimal assignment, permutation invariance."""
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
from scipy.optimize import linear_sum_assignment

from hitl_service.consolidation.boxes import BoxAnswer, consolidate_boxes, iou


def answer(item, worker, *boxes_and_labels):
    boxes = np.array([b for b, _ in boxes_and_labels], dtype=float).reshape(-1, 4)
    labels = np.array([lab for _, lab in boxes_and_labels], dtype=np.int64)
    return BoxAnswer(item=item, worker=worker, boxes=boxes, labels=labels)


def test_three_reviewers_known_answer():
    answers = [
        answer(0, 0, ([0, 0, 10, 10], 1), ([50, 50, 20, 20], 2)),
        answer(0, 1, ([2, 0, 10, 10], 1), ([50, 52, 20, 20], 3)),
        answer(0, 2, ([1, 0, 10, 10], 1), ([50, 54, 20, 20], 2), ([90, 90, 5, 5], 0)),
    ]
    [result] = consolidate_boxes(answers, n_items=1)
    assert result.n_workers == 3
    assert np.allclose(result.boxes, [[1, 0, 10, 10], [50, 52, 20, 20]])
    assert result.labels.tolist() == [1, 2]           # the [90,90] box only one of three drew is dropped
    assert 0.8 < result.confidence[0] <= 1.0
    assert result.confidence[1] < result.confidence[0]  # label disagreement lowers it


def test_two_reviewers_keep_a_box_one_drew_with_low_confidence():
    answers = [answer(0, 0, ([0, 0, 10, 10], 1), ([40, 40, 10, 10], 1)), answer(0, 1, ([0, 0, 10, 10], 1))]
    [result] = consolidate_boxes(answers, n_items=1)
    assert len(result.boxes) == 2
    assert result.confidence.tolist() == pytest.approx([1.0, 0.5])


def test_single_reviewer_boxes_kept_at_zero_confidence_and_empty_items():
    answers = [answer(1, 4, ([0, 0, 3, 3], 0), ([5, 5, 3, 3], 1))]
    results = consolidate_boxes(answers, n_items=3)
    assert [len(r.boxes) for r in results] == [0, 2, 0]
    assert results[1].confidence.tolist() == [0.0, 0.0]
    assert results[0].n_workers == 0 and results[1].n_workers == 1


def test_reliability_weights_decide_what_is_kept_and_labels():
    answers = [answer(0, 0, ([0, 0, 10, 10], 1)), answer(0, 1, ([0, 0, 10, 10], 2)), answer(0, 2)]
    # reviewer 2 drew nothing; with equal weights the box holds 2/3 and is kept with label 1 (tie -> lowest)
    [equal] = consolidate_boxes(answers, n_items=1)
    assert equal.labels.tolist() == [1]
    [weighted] = consolidate_boxes(answers, n_items=1, worker_weight=np.array([0.1, 0.9, 0.1]))
    assert weighted.labels.tolist() == [2]
    [dropped] = consolidate_boxes(answers, n_items=1, worker_weight=np.array([0.1, 0.1, 0.9]))
    assert len(dropped.boxes) == 0


def test_competing_matches_use_the_optimal_assignment():
    # A1 overlaps B0 and B1 (IoU 2/3 each); greedy taking A1-B0 would leave A0 and B1 unmatched
    a = answer(0, 0, ([0, 0, 10, 10], 0), ([4, 0, 10, 10], 0))
    b = answer(0, 1, ([2, 0, 10, 10], 0), ([6, 0, 10, 10], 0))
    [result] = consolidate_boxes([a, b], n_items=1, iou_threshold=0.5)
    assert np.allclose(result.boxes, [[1, 0, 10, 10], [5, 0, 10, 10]])
    assert result.confidence.min() > 0.5


def test_iou_matches_definition():
    a = np.array([[0, 0, 10, 10], [0, 0, 10, 10], [0, 0, 2, 2]], float)
    b = np.array([[5, 0, 10, 10], [20, 20, 1, 1], [0, 0, 2, 2]], float)
    assert iou(a, b).tolist() == pytest.approx([50 / 150, 0.0, 1.0])


boxes_strategy = st.lists(st.tuples(st.integers(0, 40), st.integers(0, 40), st.integers(1, 20),
                                    st.integers(1, 20), st.integers(0, 2)), min_size=0, max_size=5)


@settings(max_examples=40, deadline=None)
@given(st.lists(boxes_strategy, min_size=2, max_size=4), st.randoms(use_true_random=False))
def test_order_of_answers_and_boxes_changes_nothing(per_worker, rnd):
    answers = [answer(0, w, *[((x, y, bw, bh), lab) for x, y, bw, bh, lab in boxes])
               for w, boxes in enumerate(per_worker)]
    shuffled = []
    for a in answers:
        idx = list(range(len(a.labels)))
        rnd.shuffle(idx)
        shuffled.append(BoxAnswer(a.item, a.worker, a.boxes[idx], a.labels[idx]))
    rnd.shuffle(shuffled)
    [x] = consolidate_boxes(answers, n_items=1)
    [y] = consolidate_boxes(shuffled, n_items=1)
    assert np.allclose(x.boxes, y.boxes) and x.labels.tolist() == y.labels.tolist()
    assert np.allclose(x.confidence, y.confidence)
    assert ((0 <= x.confidence) & (x.confidence <= 1)).all()


@settings(max_examples=40, deadline=None)
@given(boxes_strategy, boxes_strategy)
def test_two_reviewer_matching_is_optimal(first, second):
    # the number of boxes both drew equals the size of scipy's optimal matching above the threshold
    a = answer(0, 0, *[((x, y, w, h), 0) for x, y, w, h, _ in first])
    b = answer(0, 1, *[((x, y, w, h), 0) for x, y, w, h, _ in second])
    [result] = consolidate_boxes([a, b], n_items=1, iou_threshold=0.5)
    if len(a.boxes) and len(b.boxes):
        m = iou(np.repeat(a.boxes, len(b.boxes), 0), np.tile(b.boxes, (len(a.boxes), 1))).reshape(
            len(a.boxes), len(b.boxes))
        m = np.where(m >= 0.5, m, 0)
        r, c = linear_sum_assignment(m, maximize=True)
        matched = int((m[r, c] > 0).sum())
    else:
        matched = 0
    both = int(np.isclose(result.confidence, result.confidence.max()).sum()) if matched else 0
    # kept boxes = all groups (two reviewers: share 1/2 is kept); matched groups merge two boxes
    assert len(result.boxes) == len(a.boxes) + len(b.boxes) - matched
    assert both >= (1 if matched else 0)


def test_identical_boxes_with_different_labels_come_out_the_same_in_any_order():
    # found by hypothesis: one reviewer drew the same box twice with two labels, another agreed with one
    first = [answer(0, 0), answer(0, 1, ((0, 0, 4, 4), 0), ((0, 0, 4, 4), 1)), answer(0, 2, ((0, 0, 4, 4), 1))]
    second = [answer(0, 2, ((0, 0, 4, 4), 1)), answer(0, 1, ((0, 0, 4, 4), 1), ((0, 0, 4, 4), 0)), answer(0, 0)]
    [x] = consolidate_boxes(first, n_items=1)
    [y] = consolidate_boxes(second, n_items=1)
    assert x.labels.tolist() == y.labels.tolist()
    assert np.allclose(x.boxes, y.boxes) and np.allclose(x.confidence, y.confidence)
    # the agreeing pair is grouped by its shared label
    assert 1 in x.labels.tolist() and x.confidence[x.labels.tolist().index(1)] > 0
