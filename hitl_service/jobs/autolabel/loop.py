"""The whole active-learning loop over a job's objects, given a way to get human labels for some of them."""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable

import numpy as np

from hitl_service.jobs.autolabel.rounds import TARGET_ACCURACY, RoundResult, run_round
from hitl_service.jobs.autolabel.sampling import initial_plan

log = logging.getLogger(__name__)

HumanLabels = Callable[[np.ndarray], np.ndarray]   # object ids -> their consolidated human labels


@dataclasses.dataclass(frozen=True)
class LoopResult:
    """Every object's label, whether a person or the model gave it, and each round's summary."""

    labels: np.ndarray          # (n,) class index
    machine: np.ndarray         # (n,) bool: labelled by the model
    confidence: np.ndarray      # (n,) model confidence for machine labels, nan for human ones
    rounds: list[RoundResult]
    human_objects: int


def label_all(features, n_objects: int, ask_humans: HumanLabels, *, seed: int = 0, max_rounds: int = 50,
              max_human: int | None = None, target: float = TARGET_ACCURACY) -> LoopResult:
    """Rounds of: people label a batch, the model learns and labels what it is sure of, until none is left.

    ``max_human`` is MaxHumanLabeledObjectCount: once reached the loop stops and the rest stays unlabelled
    (label -1).
    """
    plan = initial_plan(n_objects, seed)
    labels = np.full(n_objects, -1, dtype=np.int64)
    machine = np.zeros(n_objects, dtype=bool)
    confidence = np.full(n_objects, np.nan)
    first = plan.human_first
    labels[first] = ask_humans(first)
    val_ids = plan.validation
    train_ids = plan.train
    val_open = np.ones(val_ids.size, dtype=bool)
    human = first.size
    rounds: list[RoundResult] = []
    for number in range(1, max_rounds + 1):
        pool = np.flatnonzero(labels < 0)
        if pool.size == 0:
            break
        res = run_round(number, features, train_ids, labels[train_ids], val_ids, labels[val_ids], pool, target,
                        val_open)
        val_open &= ~np.isin(val_ids, res.validation_claimed)
        rounds.append(res)
        labels[res.machine_ids] = res.machine_labels
        machine[res.machine_ids] = True
        confidence[res.machine_ids] = res.machine_confidence
        log.info("autolabel round=%s threshold=%s machine=%s left=%s", number, res.threshold,
                 res.machine_ids.size, res.informative_order.size)
        if res.informative_order.size == 0:
            break
        room = plan.batch_size if max_human is None else min(plan.batch_size, max_human - human)
        if room <= 0:
            break
        batch = res.informative_order[:room]
        labels[batch] = ask_humans(batch)
        human += batch.size
        train_ids = np.concatenate([train_ids, batch])
    return LoopResult(labels, machine, confidence, rounds, human)
