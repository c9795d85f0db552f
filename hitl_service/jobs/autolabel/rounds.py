"""One round of automated labeling: train on human labels, pick the threshold, label the sure objects.

Pure numpy/scikit-learn over index arrays; the Celery worker and the A1 benchmark both drive it.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import StandardScaler
from statsmodels.stats.proportion import proportion_confint

TARGET_ACCURACY = 0.95
ALPHA = 0.05             # one-sided: a chosen threshold's true accuracy is below the target with at most this chance
GRID = 20                # candidate thresholds: the confidences leaving 1/20, 2/20, ... of the validation set above


@dataclasses.dataclass(frozen=True)
class RoundResult:
    """What one round decided (indices are object positions in the job)."""

    round: int
    n_train: int
    n_validation: int
    validation_accuracy: float            # the model on the whole validation set
    threshold: float | None               # None: no confidence reaches the target accuracy
    threshold_accuracy: float             # validation accuracy at or above the threshold
    machine_ids: np.ndarray               # objects labelled by the machine this round
    machine_labels: np.ndarray
    machine_confidence: np.ndarray
    coverage: float                       # share of the unlabelled pool labelled this round
    informative_order: np.ndarray         # the rest, most informative (smallest top-2 margin) first
    validation_claimed: np.ndarray        # open validation objects at or above the threshold: closed from now on
    n_validation_open: int                # validation objects the threshold was chosen on

    def summary(self) -> dict:
        """The round as written beside the output and shown by `hitl jobs describe`."""
        return {"round": self.round, "train": self.n_train, "validation": self.n_validation,
                "validation-accuracy": round(self.validation_accuracy, 4),
                "validation-open": self.n_validation_open,
                "threshold": None if self.threshold is None else round(self.threshold, 4),
                "threshold-accuracy": round(self.threshold_accuracy, 4),
                "machine-labeled": int(self.machine_ids.size), "coverage": round(self.coverage, 4),
                "left-for-humans": int(self.informative_order.size)}


def _model(features, dense: bool):
    # liblinear-free lbfgs multinomial logistic regression: probabilities good enough to rank by,
    # and the threshold is chosen on held-out data anyway
    clf = LogisticRegression(max_iter=2000, C=4.0 if dense else 10.0)
    return clf


def lower_bound(hits: int, n: int, alpha: float = ALPHA) -> float:
    """The one-sided (1 - alpha) Clopper-Pearson lower confidence bound of an accuracy of hits/n."""
    return float(proportion_confint(hits, n, alpha=2 * alpha, method="beta")[0]) if hits else 0.0


def min_support(target: float = TARGET_ACCURACY, alpha: float = ALPHA) -> int:
    """The fewest validation objects whose bound can reach the target even when all are correct."""
    return math.ceil(math.log(alpha) / math.log(target))


def choose_threshold(confidence: np.ndarray, correct: np.ndarray, target: float = TARGET_ACCURACY,
                     alpha: float = ALPHA, grid: int = GRID) -> tuple[float | None, float]:
    """The lowest confidence whose validation accuracy provably reaches the target; (threshold, accuracy).

    Fixed-sequence testing (Learn-then-Test): candidate thresholds, fixed from the validation counts
    alone, are tested from the most confident down, each by a one-sided Clopper-Pearson bound at
    ``alpha``, stopping at the first that fails; so the chance that the chosen threshold's accuracy is
    below the target is at most ``alpha`` however many candidates were looked at. None: none passes.
    """
    order = np.argsort(-confidence, kind="stable")
    conf, ok = confidence[order], correct[order].astype(np.int64)
    hits = np.cumsum(ok)
    n, first = conf.size, min_support(target, alpha)
    step = max(1, math.ceil(n / grid))
    best: tuple[float | None, float] = (None, 0.0)
    last = 0
    for want in range(max(first, step), n + step, step):
        k = min(want, n)
        while k < n and conf[k] == conf[k - 1]:
            k += 1  # a threshold takes every object with that confidence
        if k <= last:
            continue
        last = k
        if lower_bound(int(hits[k - 1]), k, alpha) < target:
            break
        best = (float(conf[k - 1]), float(hits[k - 1] / k))
        if k == n:
            break
    return best


def run_round(number: int, features, train_ids: np.ndarray, train_labels: np.ndarray,
              val_ids: np.ndarray, val_labels: np.ndarray, pool_ids: np.ndarray,
              target: float = TARGET_ACCURACY, val_open: np.ndarray | None = None) -> RoundResult:
    """Train on the human labels, choose the threshold on validation, label the pool's sure objects.

    ``val_open`` (bool per validation object, default all) marks the validation objects that no earlier
    round's threshold would have taken: the pool has lost the objects earlier rounds labelled, so the
    threshold is judged on the validation objects that stand for what is left in it.
    """
    dense = isinstance(features, np.ndarray)
    x_train = features[train_ids]
    scaler = StandardScaler(with_mean=dense).fit(x_train) if dense else None
    prep = (lambda x: scaler.transform(x)) if scaler else (lambda x: x)  # noqa: E731
    clf = _model(features, dense).fit(prep(x_train), train_labels)
    p_val = clf.predict_proba(prep(features[val_ids]))
    pred_val = clf.classes_[p_val.argmax(1)]
    correct = pred_val == val_labels
    open_ = np.ones(val_ids.size, dtype=bool) if val_open is None else np.asarray(val_open, dtype=bool)
    threshold, acc_at = choose_threshold(p_val.max(1)[open_], correct[open_], target)
    claimed = val_ids[open_ & (p_val.max(1) >= threshold)] if threshold is not None else val_ids[:0]
    n_open = int(open_.sum())
    empty = np.zeros(0, dtype=np.int64)
    if pool_ids.size == 0:
        return RoundResult(number, train_ids.size, val_ids.size, float(correct.mean()), threshold, acc_at,
                           empty, empty, np.zeros(0), 0.0, empty, claimed, n_open)
    p_pool = clf.predict_proba(prep(features[pool_ids]))
    conf = p_pool.max(1)
    sure = conf >= threshold if threshold is not None else np.zeros(conf.size, dtype=bool)
    top2 = np.sort(p_pool, axis=1)[:, -2:] if p_pool.shape[1] > 1 else np.hstack([np.zeros_like(conf)[:, None], p_pool])
    margin = top2[:, 1] - top2[:, 0]
    rest = np.flatnonzero(~sure)
    order = pool_ids[rest[np.argsort(margin[rest], kind="stable")]]
    return RoundResult(number, train_ids.size, val_ids.size, float(correct.mean()), threshold, acc_at,
                       pool_ids[sure], clf.classes_[p_pool[sure].argmax(1)], conf[sure],
                       float(sure.mean()), order, claimed, n_open)
