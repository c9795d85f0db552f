"""One round of automated labeling: train on human labels, pick the threshold, label the sure objects.

Pure numpy/scikit-learn over index arrays; the Celery worker and the A1 benchmark both drive it.
"""

from __future__ import annotations

import dataclasses

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import StandardScaler
from statsmodels.stats.proportion import proportion_confint

TARGET_ACCURACY = 0.95
MIN_SUPPORT = 30         # a threshold is only trusted when this many validation objects lie above it
CONFIDENCE_LEVEL = 0.2   # alpha of the two-sided Wilson interval: its 90% one-sided lower bound must reach the target


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

    def summary(self) -> dict:
        """The round as written beside the output and shown by `hitl jobs describe`."""
        return {"round": self.round, "train": self.n_train, "validation": self.n_validation,
                "validation-accuracy": round(self.validation_accuracy, 4),
                "threshold": None if self.threshold is None else round(self.threshold, 4),
                "threshold-accuracy": round(self.threshold_accuracy, 4),
                "machine-labeled": int(self.machine_ids.size), "coverage": round(self.coverage, 4),
                "left-for-humans": int(self.informative_order.size)}


def _model(features, dense: bool):
    # liblinear-free lbfgs multinomial logistic regression: probabilities good enough to rank by,
    # and the threshold is chosen on held-out data anyway
    clf = LogisticRegression(max_iter=2000, C=4.0 if dense else 10.0)
    return clf


def choose_threshold(confidence: np.ndarray, correct: np.ndarray, target: float = TARGET_ACCURACY,
                     min_support: int = MIN_SUPPORT, alpha: float = CONFIDENCE_LEVEL) -> tuple[float | None, float]:
    """The lowest confidence at which validation accuracy above it still reaches the target; (threshold, accuracy).

    Accuracy is judged by the lower end of a Wilson interval so that a threshold resting on few
    validation objects is not trusted; None when no threshold qualifies.
    """
    order = np.argsort(-confidence, kind="stable")
    conf, ok = confidence[order], correct[order].astype(np.int64)
    hits = np.cumsum(ok)
    best: tuple[float | None, float] = (None, 0.0)
    for k in range(min_support, conf.size + 1):
        if k < conf.size and conf[k] == conf[k - 1]:
            continue  # a threshold takes every object with that confidence, so cut between values only
        low, _ = proportion_confint(int(hits[k - 1]), k, alpha=alpha, method="wilson")
        if low >= target:
            best = (float(conf[k - 1]), float(hits[k - 1] / k))
    return best


def run_round(number: int, features, train_ids: np.ndarray, train_labels: np.ndarray,
              val_ids: np.ndarray, val_labels: np.ndarray, pool_ids: np.ndarray,
              target: float = TARGET_ACCURACY) -> RoundResult:
    """Train on the human labels, choose the threshold on validation, label the pool's sure objects."""
    dense = isinstance(features, np.ndarray)
    x_train = features[train_ids]
    scaler = StandardScaler(with_mean=dense).fit(x_train) if dense else None
    prep = (lambda x: scaler.transform(x)) if scaler else (lambda x: x)  # noqa: E731
    clf = _model(features, dense).fit(prep(x_train), train_labels)
    p_val = clf.predict_proba(prep(features[val_ids]))
    pred_val = clf.classes_[p_val.argmax(1)]
    correct = pred_val == val_labels
    threshold, acc_at = choose_threshold(p_val.max(1), correct, target)
    empty = np.zeros(0, dtype=np.int64)
    if pool_ids.size == 0:
        return RoundResult(number, train_ids.size, val_ids.size, float(correct.mean()), threshold, acc_at,
                           empty, empty, np.zeros(0), 0.0, empty)
    p_pool = clf.predict_proba(prep(features[pool_ids]))
    conf = p_pool.max(1)
    sure = conf >= threshold if threshold is not None else np.zeros(conf.size, dtype=bool)
    top2 = np.sort(p_pool, axis=1)[:, -2:] if p_pool.shape[1] > 1 else np.hstack([np.zeros_like(conf)[:, None], p_pool])
    margin = top2[:, 1] - top2[:, 0]
    rest = np.flatnonzero(~sure)
    order = pool_ids[rest[np.argsort(margin[rest], kind="stable")]]
    return RoundResult(number, train_ids.size, val_ids.size, float(correct.mean()), threshold, acc_at,
                       pool_ids[sure], clf.classes_[p_pool[sure].argmax(1)], conf[sure],
                       float(sure.mean()), order)
