"""The request side of automated labeling: validate LabelingJobAlgorithmsConfig at CreateLabelingJob."""

from __future__ import annotations

from hitl_service.errors import ValidationError
from hitl_service.jobs.autolabel.algorithms import AlgorithmError, algorithm_for


def check_request(ctx, req: dict, functions) -> str:
    """The algorithm a job asks for ('' when it asks for none); ValidationError naming the field otherwise."""
    config = req.get("LabelingJobAlgorithmsConfig")
    if config is None:
        return ""
    try:
        algo = algorithm_for(config["LabelingJobAlgorithmSpecificationArn"], functions.task_type,
                             ctx.settings.region)
    except AlgorithmError as exc:
        raise ValidationError(str(exc)) from None
    for field in ("InitialActiveLearningModelArn", "LabelingJobResourceConfig"):
        if field in config:
            raise ValidationError(f"LabelingJobAlgorithmsConfig.{field}: not supported by this service "
                                  "(models stay inside the job)")
    if functions.pre.custom or functions.post.custom:
        raise ValidationError("LabelingJobAlgorithmsConfig: automated labeling needs Ground Truth's built-in "
                              "PRE-/ACS- functions for the task type")
    return algo.value
