"""Single-label consolidation: known answers, method selection, warm start, gold, properties."""
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from hitl_service.consolidation.classes import (ClassAnnotations, Method, choose_method,
                                                consolidate_classes)
from hitl_service.consolidation.synthetic import make_crowd


def annotations(rows, n_items, n_workers, n_classes):
    item, worker, label = (np.array(col, dtype=np.int64) for col in zip(*rows))
    return ClassAnnotations(item=item, worker=worker, label=label, n_items=n_items, n_workers=n_workers,
                            n_classes=n_classes)


def test_majority_vote_known_answer():
    ann = annotations([(0, 0, 1), (0, 1, 1), (0, 2, 0), (1, 0, 2), (1, 1, 2), (1, 2, 2), (2, 1, 0)], 3, 3, 3)
    result = consolidate_classes(ann, method=Method.MAJORITY_VOTE)
    assert result.label.tolist() == [1, 2, 0]
    assert result.confidence.tolist() == pytest.approx([2 / 3, 1.0, 0.0])   # one answer: 0.0 as GT


def test_tiny_batch_picks_majority_vote():
    ann = annotations([(0, 0, 1), (0, 1, 1), (0, 2, 0)], 1, 3, 3)
    assert choose_method(ann) is Method.MAJORITY_VOTE
    assert consolidate_classes(ann).method is Method.MAJORITY_VOTE


def test_method_rule_follows_answers_per_reviewer():
    # 3 reviewers answer every item; K=3: one-coin from 2*K=6 answers each, full from 2*K*K=18
    rng = np.random.default_rng(0)

    def batch(n_items):
        rows = [(i, w, int(rng.integers(3))) for i in range(n_items) for w in range(3)]
        return annotations(rows, n_items, 3, 3)

    assert choose_method(batch(5)) is Method.MAJORITY_VOTE
    assert choose_method(batch(6)) is Method.ONE_COIN_DAWID_SKENE
    assert choose_method(batch(17)) is Method.ONE_COIN_DAWID_SKENE
    assert choose_method(batch(18)) is Method.DAWID_SKENE
    # stored history counts as evidence: the same small batch gets the full model
    history = np.full((3, 3, 3), 2.0)
    assert choose_method(batch(5), history) is Method.DAWID_SKENE


def test_dawid_skene_trusts_the_reliable_reviewers_over_the_majority():
    # reviewers 0,1 always answer the truth; 2,3,4 answer uniformly at random. Where the three
    # spammers happen to agree against the two good reviewers the vote is wrong and DS is right.
    rng = np.random.default_rng(1)
    n = 600
    truth = rng.integers(0, 3, n)
    rows = [(i, w, int(truth[i])) for i in range(n) for w in (0, 1)]
    rows += [(i, w, int(rng.integers(3))) for i in range(n) for w in (2, 3, 4)]
    ann = annotations(rows, n, 5, 3)
    ds = consolidate_classes(ann)
    mv = consolidate_classes(ann, method=Method.MAJORITY_VOTE)
    assert ds.method is Method.DAWID_SKENE
    assert (ds.label == truth).mean() == 1.0
    assert (mv.label == truth).mean() < 0.97
    assert ds.worker_accuracy[:2].min() > 0.95
    assert ds.worker_accuracy[2:].max() < 0.5


def test_spammers_get_low_estimated_accuracy():
    crowd = make_crowd(20_000, seed=11)
    result = consolidate_classes(crowd.annotations)
    answers = np.bincount(crowd.annotations.worker, minlength=crowd.annotations.n_workers)
    busy = answers >= 50
    good = busy & (crowd.worker_kind == 0)
    spam = busy & (crowd.worker_kind == 2)
    assert good.any() and spam.any()
    assert result.worker_accuracy[spam].max() < result.worker_accuracy[good].min()


def test_unanimous_answers_give_high_confidence():
    crowd = make_crowd(20_000, seed=12)
    result = consolidate_classes(crowd.annotations)
    table = np.bincount(crowd.annotations.item * 5 + crowd.annotations.label,
                        minlength=crowd.annotations.n_items * 5).reshape(-1, 5)
    unanimous = table.max(axis=1) == table.sum(axis=1)
    # unanimity among reviewers the crowd shows to be careful (no spammer or biased one among them)
    careless = np.bincount(crowd.annotations.item, weights=crowd.worker_kind[crowd.annotations.worker] >= 2,
                           minlength=crowd.annotations.n_items) > 0
    trusted = unanimous & ~careless
    assert trusted.sum() > 100
    assert result.confidence[trusted].min() > 0.9
    assert result.confidence[unanimous].mean() > 0.98
    assert result.confidence[unanimous].mean() > result.confidence[~unanimous].mean() + 0.05


def test_gold_items_anchor_labels_and_reviewers():
    # two equally sized camps disagree on every item; gold on a few items says which camp is right
    n = 60
    rows = [(i, w, 0) for i in range(n) for w in (0, 1)] + [(i, w, 1) for i in range(n) for w in (2, 3)]
    ann = annotations(rows, n, 4, 2)
    result = consolidate_classes(ann, gold={0: 1, 1: 1, 2: 1})
    assert result.label.tolist() == [1] * n
    assert result.confidence[:3].tolist() == [1.0, 1.0, 1.0]
    assert result.worker_accuracy[2:].min() > result.worker_accuracy[:2].max()


def test_warm_start_carries_reviewer_history():
    # reviewer 0 has a stored history of being right, 1 and 2 of being wrong: on a fresh 1-vs-2 split
    # the history decides; without it the vote does.
    ann = annotations([(0, 0, 2), (0, 1, 0), (0, 2, 0)], 1, 3, 3)
    history = np.zeros((3, 3, 3))
    history[0] = np.eye(3) * 100
    history[1:] = (np.ones((3, 3)) - np.eye(3)) * 50
    warm = consolidate_classes(ann, prior_counts=history)
    cold = consolidate_classes(ann)
    assert warm.method is not Method.MAJORITY_VOTE
    assert warm.label.tolist() == [2]
    assert cold.label.tolist() == [0]
    # the returned counts are this batch's only: their total is the batch's answer count
    assert warm.confusion_counts.sum() == pytest.approx(3.0)


def test_confusion_counts_accumulate_into_a_better_second_batch():
    crowd = make_crowd(40_000, seed=13)
    ann = crowd.annotations
    half = ann.item < ann.n_items // 2
    first = ClassAnnotations(ann.item[half], ann.worker[half], ann.label[half], ann.n_items // 2,
                             ann.n_workers, 5)
    rest = ~half
    second = ClassAnnotations(ann.item[rest] - ann.n_items // 2, ann.worker[rest], ann.label[rest],
                              ann.n_items - ann.n_items // 2, ann.n_workers, 5)
    truth2 = crowd.truth[ann.n_items // 2:]
    # only the second batch's first 300 items: too few for each reviewer alone
    small = second.item < 300
    tiny = ClassAnnotations(second.item[small], second.worker[small], second.label[small], 300,
                            ann.n_workers, 5)
    history = consolidate_classes(first).confusion_counts
    warm = consolidate_classes(tiny, prior_counts=history)
    cold = consolidate_classes(tiny)
    assert (warm.label == truth2[:300]).mean() >= (cold.label == truth2[:300]).mean()
    assert warm.method is Method.DAWID_SKENE


def test_rejects_out_of_range_indices():
    with pytest.raises(ValueError, match="label"):
        annotations([(0, 0, 3)], 1, 1, 3)
    ann = annotations([(0, 0, 1)], 1, 1, 3)
    with pytest.raises(ValueError, match="prior_counts"):
        consolidate_classes(ann, prior_counts=np.zeros((2, 3, 3)))
    with pytest.raises(ValueError, match="gold"):
        consolidate_classes(ann, gold={0: 7})


def test_confidence_bounds_and_items_without_answers():
    ann = annotations([(0, 0, 1), (0, 1, 1)], 3, 2, 2)
    result = consolidate_classes(ann)
    assert result.confidence.tolist()[1:] == [0.0, 0.0]
    assert 0.0 <= result.confidence.min() and result.confidence.max() <= 1.0
    assert np.allclose(result.posterior.sum(axis=1), 1.0)


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10_000), method=st.sampled_from(list(Method)))
def test_permuting_rows_reviewers_and_items_changes_nothing(seed, method):
    crowd = make_crowd(1_500, seed=seed)
    ann = crowd.annotations
    rng = np.random.default_rng(seed)
    rows = rng.permutation(len(ann.item))
    item_perm = rng.permutation(ann.n_items)       # new index of each old item
    worker_perm = rng.permutation(ann.n_workers)
    shuffled = ClassAnnotations(item=item_perm[ann.item[rows]], worker=worker_perm[ann.worker[rows]],
                                label=ann.label[rows], n_items=ann.n_items, n_workers=ann.n_workers,
                                n_classes=ann.n_classes)
    a = consolidate_classes(ann, method=method)
    b = consolidate_classes(shuffled, method=method)
    assert np.array_equal(a.label, b.label[item_perm])
    assert np.allclose(a.confidence, b.confidence[item_perm], atol=1e-9)
    assert np.allclose(a.worker_accuracy, b.worker_accuracy[worker_perm], atol=1e-9)
