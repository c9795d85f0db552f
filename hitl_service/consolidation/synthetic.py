"""Seeded synthetic crowds with known truth, for tests and benchmark C1.

5 classes with a skewed prior; reviewers are 60% good, 25% mediocre, 10% spammers (uniform
answers) and 5% biased (pulled towards one favourite class); activity is log-normal; every item
gets 3-5 answers from distinct reviewers.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .classes import ClassAnnotations

CLASS_PRIOR = np.array([0.45, 0.25, 0.15, 0.10, 0.05])
KINDS = ("good", "mediocre", "spammer", "biased")
KIND_SHARES = np.array([0.60, 0.25, 0.10, 0.05])
ANSWERS_PER_WORKER = 100     # mean activity; log-normal around it
ACTIVITY_SIGMA = 1.0
OVERLAP = (3, 5)


@dataclass(frozen=True)
class SyntheticCrowd:
    """Annotations plus the truth that produced them."""

    annotations: ClassAnnotations
    truth: np.ndarray           # (n_items,) true class
    worker_kind: np.ndarray     # (n_workers,) index into KINDS
    confusion: np.ndarray       # (n_workers, K, K) true generating confusions


def make_crowd(n_annotations: int, *, seed: int, n_classes: int = 5) -> SyntheticCrowd:
    """Draw a crowd of about n_annotations answers (exactly reproducible for a given seed)."""
    rng = np.random.default_rng(seed)
    prior = _prior(n_classes)
    lo, hi = OVERLAP
    n_items = max(1, round(n_annotations / ((lo + hi) / 2)))
    n_workers = max(hi * 2, n_annotations // ANSWERS_PER_WORKER)
    kind = rng.choice(len(KINDS), size=n_workers, p=KIND_SHARES)
    confusion = _confusions(rng, kind, n_classes)
    activity = rng.lognormal(0.0, ACTIVITY_SIGMA, size=n_workers)
    truth = rng.choice(n_classes, size=n_items, p=prior)
    overlap = rng.integers(lo, hi + 1, size=n_items)
    item = np.repeat(np.arange(n_items), overlap)
    worker = _distinct_workers(rng, item, activity / activity.sum())
    cdf = np.cumsum(confusion[worker, truth[item]], axis=1)
    label = (rng.random(len(item))[:, None] > cdf[:, :-1]).sum(axis=1)
    ann = ClassAnnotations(item=item.astype(np.int64), worker=worker.astype(np.int64),
                           label=label.astype(np.int64), n_items=n_items, n_workers=n_workers,
                           n_classes=n_classes)
    return SyntheticCrowd(annotations=ann, truth=truth, worker_kind=kind, confusion=confusion)


def _prior(k):
    if k == len(CLASS_PRIOR):
        return CLASS_PRIOR
    p = 0.6 ** np.arange(k)
    return p / p.sum()


def _confusions(rng, kind, k):
    n = len(kind)
    off = rng.dirichlet(np.ones(k - 1), size=(n, k))          # how each row spreads its errors
    acc = np.select([kind == 0, kind == 1], [rng.uniform(0.80, 0.95, n), rng.uniform(0.55, 0.70, n)],
                    default=1.0 / k)
    conf = np.empty((n, k, k))
    for true in range(k):                                     # loop over classes, not answers
        others = [c for c in range(k) if c != true]
        conf[:, true, true] = acc
        conf[:, true, others] = (1 - acc)[:, None] * off[:, true, :]
    spam = kind == 2
    conf[spam] = 1.0 / k
    biased = np.flatnonzero(kind == 3)
    favourite = rng.integers(0, k, size=len(biased))
    conf[biased] = 0.1 / k
    conf[biased, :, :] += np.eye(k) * 0.5
    conf[biased, :, favourite] += 0.4
    conf /= conf.sum(axis=2, keepdims=True)
    return conf


def _distinct_workers(rng, item, p):
    """A worker per slot drawn by activity, redrawn until no item has the same worker twice."""
    worker = rng.choice(len(p), size=len(item), p=p)
    for _ in range(50):
        order = np.lexsort((worker, item))
        dup = np.zeros(len(item), bool)
        same = (item[order][1:] == item[order][:-1]) & (worker[order][1:] == worker[order][:-1])
        dup[order[1:][same]] = True
        if not dup.any():
            break
        worker[dup] = rng.choice(len(p), size=int(dup.sum()), p=p)
    return worker


def expected_calibration_error(confidence: np.ndarray, correct: np.ndarray, n_bins: int = 10) -> float:
    """ECE with equal-width bins: sum over bins of |accuracy - mean confidence| weighted by share."""
    confidence = np.asarray(confidence, dtype=np.float64)
    bins = np.minimum((confidence * n_bins).astype(np.int64), n_bins - 1)
    n = np.bincount(bins, minlength=n_bins)
    conf_sum = np.bincount(bins, weights=confidence, minlength=n_bins)
    acc_sum = np.bincount(bins, weights=np.asarray(correct, dtype=np.float64), minlength=n_bins)
    return float(np.abs(acc_sum - conf_sum).sum() / max(1, len(confidence)))
