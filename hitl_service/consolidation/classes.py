"""Single-label classification: Dawid-Skene EM, one-coin Dawid-Skene and majority vote over a batch.

Every step works on whole arrays: the batch becomes one sparse (item x worker*class) count matrix,
the E-step is one sparse-dense product with the log confusion table and the M-step is one product
of its transpose with the posteriors, so the cost per EM round is O(annotations x classes) in C.
"""
from __future__ import annotations

import enum
import logging
from dataclasses import dataclass

import numpy as np
from scipy import sparse

log = logging.getLogger(__name__)

# Method-selection rule (docs/consolidation.md): "support" is the median, over the batch's answers,
# of how many answers (this batch + stored history) their reviewer has. Full confusions need a few
# answers per confusion cell, one-coin needs a few per reviewer; below that only the vote is sound.
FULL_DS_ANSWERS_PER_CELL = 2
ONE_COIN_ANSWERS_PER_CLASS = 2
# Strength (in pseudo-answers per true class) of the pull of each reviewer's confusion row towards
# the pooled crowd row: a reviewer with few answers looks like the average reviewer, not like a
# perfect one, which is what keeps posteriors calibrated under log-normal activity.
SHRINKAGE = 15.0
MAX_ITERATIONS = 100
TOLERANCE = 1e-3   # max change of any posterior; tighter changed no label or ECE digit at 10k-1M


class Method(enum.Enum):
    """How a batch was consolidated."""

    MAJORITY_VOTE = "majority-vote"
    ONE_COIN_DAWID_SKENE = "one-coin-dawid-skene"
    DAWID_SKENE = "dawid-skene"


@dataclass(frozen=True)
class ClassAnnotations:
    """A batch of single-label answers, one row per answer."""

    item: np.ndarray
    worker: np.ndarray
    label: np.ndarray
    n_items: int
    n_workers: int
    n_classes: int

    def __post_init__(self):
        n = len(self.item)
        if len(self.worker) != n or len(self.label) != n:
            raise ValueError("item, worker and label must have the same length")
        for name, arr, bound in (("item", self.item, self.n_items), ("worker", self.worker, self.n_workers),
                                 ("label", self.label, self.n_classes)):
            if n and (np.min(arr) < 0 or np.max(arr) >= bound):
                raise ValueError(f"{name} index out of range 0..{bound - 1}")


@dataclass(frozen=True)
class ClassResult:
    """Consolidated labels, their confidence and what was learnt about each reviewer."""

    label: np.ndarray
    confidence: np.ndarray
    posterior: np.ndarray
    method: Method
    confusion_counts: np.ndarray
    worker_accuracy: np.ndarray


def consolidate_classes(ann: ClassAnnotations, *, prior_counts: np.ndarray | None = None,
                        gold: dict[int, int] | None = None, method: Method | None = None) -> ClassResult:
    """Consolidate a batch of single-label answers (method chosen by `choose_method` unless given)."""
    k, w = ann.n_classes, ann.n_workers
    prior = np.zeros((w, k, k)) if prior_counts is None else np.asarray(prior_counts, dtype=np.float64)
    if prior.shape != (w, k, k):
        raise ValueError(f"prior_counts must have shape ({w}, {k}, {k})")
    gold_items, gold_labels = _gold_arrays(gold, ann)
    chosen = method or choose_method(ann, prior)
    counts = _count_matrix(ann)
    if chosen is Method.MAJORITY_VOTE:
        posterior, theta, pi = _majority_vote(ann, counts, prior)
    else:
        posterior, theta, pi = _em(ann, counts, prior, gold_items, gold_labels,
                                   one_coin=chosen is Method.ONE_COIN_DAWID_SKENE)
    posterior[gold_items] = np.eye(k)[gold_labels]
    label = _argmax(posterior)
    answers = np.bincount(ann.item, minlength=ann.n_items)
    confidence = np.where(answers > 1, posterior[np.arange(ann.n_items), label], 0.0)
    confidence[gold_items] = 1.0
    batch_counts = _expected_counts(counts, posterior, w, k)
    accuracy = np.einsum("k,wkk->w", pi, theta)
    log.debug("consolidated method=%s items=%d answers=%d workers=%d", chosen.value, ann.n_items,
              len(ann.item), w)
    return ClassResult(label=label, confidence=np.clip(confidence, 0.0, 1.0), posterior=posterior,
                       method=chosen, confusion_counts=batch_counts, worker_accuracy=accuracy)


def choose_method(ann: ClassAnnotations, prior_counts: np.ndarray | None = None) -> Method:
    """Pick the richest model the batch (plus stored history) can support; see module constants."""
    if len(ann.item) == 0:
        return Method.MAJORITY_VOTE
    evidence = np.bincount(ann.worker, minlength=ann.n_workers).astype(np.float64)
    if prior_counts is not None:
        evidence += np.asarray(prior_counts).sum(axis=(1, 2))
    support = float(np.median(evidence[ann.worker]))
    overlapped = int(np.count_nonzero(np.bincount(ann.item, minlength=ann.n_items) > 1))
    k = ann.n_classes
    if overlapped == 0 and prior_counts is None:
        return Method.MAJORITY_VOTE
    if support >= FULL_DS_ANSWERS_PER_CELL * k * k:
        return Method.DAWID_SKENE
    if support >= ONE_COIN_ANSWERS_PER_CLASS * k:
        return Method.ONE_COIN_DAWID_SKENE
    return Method.MAJORITY_VOTE


def _gold_arrays(gold, ann):
    if not gold:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    items = np.fromiter(gold.keys(), np.int64, len(gold))
    labels = np.fromiter(gold.values(), np.int64, len(gold))
    if items.min() < 0 or items.max() >= ann.n_items or labels.min() < 0 or labels.max() >= ann.n_classes:
        raise ValueError("gold item or label out of range")
    return items, labels


def _count_matrix(ann: ClassAnnotations) -> sparse.csr_matrix:
    """(n_items, n_workers*n_classes) counts; column w*K+l counts worker w answering l."""
    codes = ann.worker.astype(np.int64) * ann.n_classes + ann.label
    ones = np.ones(len(codes), dtype=np.float64)
    return sparse.csr_matrix((ones, (ann.item, codes)), shape=(ann.n_items, ann.n_workers * ann.n_classes))


def _expected_counts(counts, posterior, w, k):
    """Expected (worker, true, answered) counts given the posteriors: one sparse product."""
    by_code = counts.T @ posterior                    # (w*k answered, k true)
    return by_code.reshape(w, k, k).transpose(0, 2, 1).copy()


def _argmax(posterior):
    # Ties go to the lowest class index, which makes the result independent of answer order.
    return np.argmax(posterior, axis=1).astype(np.int64)


def _majority_vote(ann, counts, prior):
    k = ann.n_classes
    votes = (counts @ np.tile(np.eye(k), (ann.n_workers, 1)))  # (items, k)
    totals = votes.sum(axis=1, keepdims=True)
    posterior = np.divide(votes, totals, out=np.full_like(votes, 1.0 / k), where=totals > 0)
    theta, pi = _confusions(_expected_counts(counts, posterior, ann.n_workers, k) + prior,
                            posterior.sum(axis=0), one_coin=True)
    return posterior, theta, pi


def _confusions(counts, class_mass, *, one_coin):
    """Smoothed confusion tables theta[w, true, answered] and class prior from expected counts."""
    w, k, _ = counts.shape
    pooled = counts.sum(axis=0) + 1.0
    pooled /= pooled.sum(axis=1, keepdims=True)
    if one_coin:
        right = np.trace(counts, axis1=1, axis2=2)
        total = counts.sum(axis=(1, 2))
        pooled_acc = float(np.trace(pooled) / k)
        acc = (right + SHRINKAGE * pooled_acc) / (total + SHRINKAGE)
        acc = np.clip(acc, 1e-6, 1 - 1e-6)
        theta = np.repeat(((1 - acc) / (k - 1))[:, None, None], k, axis=1).repeat(k, axis=2)
        idx = np.arange(k)
        theta[:, idx, idx] = acc[:, None]
    else:
        smoothed = counts + SHRINKAGE * pooled[None, :, :]
        theta = smoothed / smoothed.sum(axis=2, keepdims=True)
    pi = class_mass + 1.0
    return theta, pi / pi.sum()


def _em(ann, counts, prior, gold_items, gold_labels, *, one_coin):
    k, w = ann.n_classes, ann.n_workers
    counts_t = counts.T.tocsr()
    posterior, _, _ = _majority_vote(ann, counts, prior)
    posterior[gold_items] = np.eye(k)[gold_labels]
    # The loop keeps posteriors class-major, (k, n_items): reductions over classes then run along
    # long contiguous rows instead of along rows of k numbers, several times faster in numpy.
    post = np.ascontiguousarray(posterior.T)
    gold_block = np.eye(k)[:, gold_labels]
    for iteration in range(MAX_ITERATIONS):
        theta, pi = _confusions(_expected_from(counts_t, post, prior, w, k), post.sum(axis=1), one_coin=one_coin)
        # log theta laid out as (w*k answered, k true) so that one product gives every item's score
        log_table = np.log(theta).transpose(0, 2, 1).reshape(w * k, k)
        scores = np.ascontiguousarray((counts @ log_table).T)
        scores += np.log(pi)[:, None]
        scores -= scores.max(axis=0)
        np.exp(scores, out=scores)
        scores /= scores.sum(axis=0)
        scores[:, gold_items] = gold_block
        change = float(np.max(np.abs(scores - post))) if scores.size else 0.0
        post = scores
        if change < TOLERANCE:
            break
    log.debug("em iterations=%d one_coin=%s", iteration + 1, one_coin)
    theta, pi = _confusions(_expected_from(counts_t, post, prior, w, k), post.sum(axis=1), one_coin=one_coin)
    return np.ascontiguousarray(post.T), theta, pi


def _expected_from(counts_t, post, prior, w, k):
    """Expected (worker, true, answered) counts from class-major posteriors, plus stored history."""
    return (counts_t @ post.T).reshape(w, k, k).transpose(0, 2, 1) + prior
