"""Ground Truth's auto-labeling algorithm ARNs: which ones this service runs, and for which task types."""

from __future__ import annotations

import enum
import re

from hitl_service.domain.labeling import TaskType

# the account Ground Truth publishes its labeling-job algorithm specifications from (every region)
ALGORITHM_ACCOUNT = "027400017018"
FIELD = "LabelingJobAlgorithmsConfig.LabelingJobAlgorithmSpecificationArn"
_ARN = re.compile(r"^arn:aws[a-z\-]*:sagemaker:([a-z0-9\-]+):(\d{12}):labeling-job-algorithm-specification/([a-z\-]+)$")


class Algorithm(str, enum.Enum):
    """An auto-labeling algorithm this service runs."""

    TEXT_CLASSIFICATION = "text-classification"
    IMAGE_CLASSIFICATION = "image-classification"


# GT's two other algorithms, named so the refusal can say what they are
UNSUPPORTED = ("object-detection", "semantic-segmentation")
TASK_TYPES = {Algorithm.TEXT_CLASSIFICATION: TaskType.TEXT_CLASSIFICATION,
              Algorithm.IMAGE_CLASSIFICATION: TaskType.IMAGE_CLASSIFICATION}


class AlgorithmError(ValueError):
    """The algorithm ARN is not one this service runs for this job; the message names the field."""


def supported_arns(region: str) -> list[str]:
    """The algorithm ARNs accepted in a region."""
    return [f"arn:aws:sagemaker:{region}:{ALGORITHM_ACCOUNT}:labeling-job-algorithm-specification/{a.value}"
            for a in Algorithm]


def algorithm_for(arn: str, task_type: TaskType, region: str) -> Algorithm:
    """The algorithm an ARN selects for a job of ``task_type``; AlgorithmError otherwise."""
    supported = " or ".join(supported_arns(region))
    m = _ARN.match(arn or "")
    if m is None or m.group(2) != ALGORITHM_ACCOUNT:
        raise AlgorithmError(f"{FIELD}: {arn!r} is not a Ground Truth algorithm; supported: {supported}")
    if m.group(1) != region:
        raise AlgorithmError(f"{FIELD}: {arn} is for region {m.group(1)}, this service runs {region}; "
                             f"supported: {supported}")
    name = m.group(3)
    if name in UNSUPPORTED:
        raise AlgorithmError(f"{FIELD}: automated labeling for {name} is not offered by this service; "
                             f"supported: {supported}")
    try:
        algo = Algorithm(name)
    except ValueError:
        raise AlgorithmError(f"{FIELD}: unknown algorithm {name!r}; supported: {supported}") from None
    if TASK_TYPES[algo] is not task_type:
        raise AlgorithmError(f"{FIELD}: {algo.value} needs a {TASK_TYPES[algo].value} job "
                             f"(PRE-{TASK_TYPES[algo].value}), this job is {task_type.value}; supported: {supported}")
    return algo
