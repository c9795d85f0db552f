"""Multi-label: per-label binary Dawid-Skene with a per-label confidence map."""
import numpy as np

from hitl_service.consolidation.classes import Method
from hitl_service.consolidation.multilabel import consolidate_multilabel


def test_small_batch_known_answer():
    item = [0, 0, 0, 1]
    worker = [0, 1, 2, 0]
    chosen = np.array([[1, 0, 0], [1, 0, 1], [1, 1, 0], [0, 1, 0]], bool)
    result = consolidate_multilabel(item, worker, chosen, n_items=2, n_workers=3)
    assert result.method is Method.MAJORITY_VOTE
    assert result.chosen.tolist() == [[True, False, False], [False, True, False]]
    assert result.confidence[0].tolist() == [1.0, 2 / 3, 2 / 3]
    assert result.confidence[1].tolist() == [0.0, 0.0, 0.0]     # one reviewer


def test_per_label_reviewer_quality_is_learnt_separately():
    # reviewer 0 is perfect on label 0 and random on label 1; reviewer 1 the other way round;
    # reviewers 2 and 3 are decent on both. Each label's decision leans on its reliable reviewer.
    rng = np.random.default_rng(4)
    n = 400
    truth = rng.random((n, 2)) < 0.4
    rows, picks = [], []
    for w in range(4):
        noisy = rng.random((n, 2)) < 0.5
        flips = rng.random((n, 2)) < 0.15
        answer = truth ^ flips
        if w == 0:
            answer = np.column_stack([truth[:, 0], noisy[:, 1]])
        if w == 1:
            answer = np.column_stack([noisy[:, 0], truth[:, 1]])
        rows.append(np.column_stack([np.arange(n), np.full(n, w)]))
        picks.append(answer)
    rows, picks = np.concatenate(rows), np.concatenate(picks)
    result = consolidate_multilabel(rows[:, 0], rows[:, 1], picks, n_items=n, n_workers=4)
    assert result.method is Method.DAWID_SKENE
    assert (result.chosen == truth).mean() > 0.97
    assert result.worker_accuracy[0, 0] > 0.95 and result.worker_accuracy[0, 1] < 0.65
    assert result.worker_accuracy[1, 1] > 0.95 and result.worker_accuracy[1, 0] < 0.65
    assert ((0 <= result.confidence) & (result.confidence <= 1)).all()
