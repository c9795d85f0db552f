"""Ground Truth's sample sizes for automated labeling: the minimum job size and the validation hold-out."""

from __future__ import annotations

import dataclasses
import math

import numpy as np

MIN_OBJECTS = 1250          # GT refuses auto-labeling below this many objects
LARGE_JOB = 5000            # from here GT holds out 10% for validation instead of 20%
SIZE_FIELD = "InputConfig.DataSource.S3DataSource.ManifestS3Uri"


class TooFewObjects(ValueError):
    """The manifest is too small for automated labeling; the message names the field."""


def check_size(n_objects: int) -> None:
    """Refuse a job with fewer than 1,250 objects, as GT does."""
    if n_objects < MIN_OBJECTS:
        raise TooFewObjects(f"{SIZE_FIELD}: automated data labeling (LabelingJobAlgorithmsConfig) needs at least "
                            f"{MIN_OBJECTS} data objects, the manifest has {n_objects}")


def validation_size(n_objects: int) -> int:
    """20% of the objects below 5,000, 10% from there on."""
    return math.ceil(n_objects * (0.2 if n_objects < LARGE_JOB else 0.1))


@dataclasses.dataclass(frozen=True)
class InitialPlan:
    """The first objects people label: a validation hold-out and a training sample, both random."""

    validation: np.ndarray
    train: np.ndarray
    batch_size: int        # how many objects each later round sends to people

    @property
    def human_first(self) -> np.ndarray:
        return np.concatenate([self.validation, self.train])


def initial_plan(n_objects: int, seed: int) -> InitialPlan:
    """Random validation and training samples of equal size (the training sample equals the hold-out)."""
    check_size(n_objects)
    v = validation_size(n_objects)
    order = np.random.default_rng(seed).permutation(n_objects)
    return InitialPlan(validation=np.sort(order[:v]), train=np.sort(order[v:2 * v]), batch_size=v)
