"""Which task type a job is, from its PRE-/ACS- Lambda ARNs, as Ground Truth decides it.

AWS publishes the built-in pre-annotation (``PRE-<Type>``) and consolidation (``ACS-<Type>``)
functions from one account per region; an ARN in one of those (region, account) pairs names a
built-in type. Every other function ARN is the team's own (custom) function.
"""

from __future__ import annotations

import dataclasses
import re

from hitl_service.domain.labeling import TaskType
from hitl_service.errors import ValidationError

# region -> the account AWS publishes Ground Truth's built-in functions from (the list in the
# HumanTaskConfig.PreHumanTaskLambdaArn reference)
BUILTIN_ACCOUNTS = {
    "us-east-1": "432418664414",
    "us-east-2": "266458841044",
    "us-west-2": "081040173940",
    "ca-central-1": "918755190332",
    "eu-west-1": "568282634449",
    "eu-west-2": "487402164563",
    "eu-central-1": "203001061592",
    "ap-northeast-1": "477331159723",
    "ap-northeast-2": "845288260483",
    "ap-south-1": "565803892007",
    "ap-southeast-1": "377565633583",
    "ap-southeast-2": "454466003867",
}

# built-in ACS- types this service consolidates itself (jobs/consolidate.py)
BUILTIN_CONSOLIDATION = frozenset({
    TaskType.IMAGE_CLASSIFICATION, TaskType.TEXT_CLASSIFICATION, TaskType.IMAGE_CLASSIFICATION_MULTILABEL,
    TaskType.TEXT_CLASSIFICATION_MULTILABEL, TaskType.BOUNDING_BOX, TaskType.NAMED_ENTITY_RECOGNITION,
    TaskType.SEMANTIC_SEGMENTATION, TaskType.VERIFICATION_BOUNDING_BOX, TaskType.VERIFICATION_SEMANTIC_SEGMENTATION,
    TaskType.ADJUSTMENT_BOUNDING_BOX, TaskType.ADJUSTMENT_SEMANTIC_SEGMENTATION,
})

# audit jobs: reviewers judge (verification) or correct (adjustment) an earlier job's label
VERIFICATION = frozenset({TaskType.VERIFICATION_BOUNDING_BOX, TaskType.VERIFICATION_SEMANTIC_SEGMENTATION})
ADJUSTMENT = frozenset({TaskType.ADJUSTMENT_BOUNDING_BOX, TaskType.ADJUSTMENT_SEMANTIC_SEGMENTATION})
AUDIT = VERIFICATION | ADJUSTMENT
# GT's LabelAttributeName rule: '-ref' for segmentation and its adjustment; verification writes a class, no '-ref'
REF_ATTRIBUTE = frozenset({TaskType.SEMANTIC_SEGMENTATION, TaskType.ADJUSTMENT_SEMANTIC_SEGMENTATION})
# the field of the label category file that names the earlier job's LabelAttributeName (GT's name for it)
AUDIT_FIELD = "auditLabelAttributeName"

_FUNCTION_ARN = re.compile(r"arn:aws[a-z\-]*:lambda:([a-z0-9\-]*):([0-9]{12}):function:([^:]+)(?::.*)?")
_BY_NAME = {t.value: t for t in TaskType if t is not TaskType.CUSTOM}


@dataclasses.dataclass(frozen=True)
class FunctionRef:
    """One of the job's two functions: a built-in type or a custom function to invoke."""

    arn: str
    builtin: TaskType | None   # None: a custom function

    @property
    def custom(self) -> bool:
        return self.builtin is None


def builtin_arn(kind: str, task_type: TaskType, region: str = "us-east-1") -> str:
    """The ARN AWS publishes for a built-in function (kind 'PRE' or 'ACS') in ``region``."""
    return f"arn:aws:lambda:{region}:{BUILTIN_ACCOUNTS[region]}:function:{kind}-{task_type.value}"


def classify_function(arn: str, kind: str, field: str) -> FunctionRef:
    """A FunctionRef for ``arn``; ValidationException for an AWS-published function we do not offer."""
    m = _FUNCTION_ARN.fullmatch(arn)
    if not m:
        return FunctionRef(arn, None)
    region, account, function = m.groups()
    if BUILTIN_ACCOUNTS.get(region) != account:
        return FunctionRef(arn, None)
    prefix, _, type_name = function.partition("-")
    task_type = _BY_NAME.get(type_name)
    if prefix != kind or task_type is None:
        raise ValidationError(
            f"{field} {arn} is a Ground Truth built-in function this service does not offer "
            f"(built-in {kind} functions: {', '.join(sorted(_BY_NAME))})")
    return FunctionRef(arn, task_type)


@dataclasses.dataclass(frozen=True)
class JobFunctions:
    """The task type and the two functions of a job."""

    task_type: TaskType
    pre: FunctionRef
    post: FunctionRef


def job_functions(pre_arn: str | None, post_arn: str | None) -> JobFunctions:
    """Decide the task type from the two ARNs; built-in PRE and ACS must name the same type."""
    if not pre_arn:
        raise ValidationError("HumanTaskConfig.PreHumanTaskLambdaArn is required")
    if not post_arn:
        raise ValidationError(
            "HumanTaskConfig.AnnotationConsolidationConfig.AnnotationConsolidationLambdaArn is required")
    pre = classify_function(pre_arn, "PRE", "HumanTaskConfig.PreHumanTaskLambdaArn")
    post = classify_function(post_arn, "ACS",
                             "HumanTaskConfig.AnnotationConsolidationConfig.AnnotationConsolidationLambdaArn")
    if pre.builtin and post.builtin and pre.builtin is not post.builtin:
        raise ValidationError(
            f"PreHumanTaskLambdaArn is PRE-{pre.builtin.value} but AnnotationConsolidationLambdaArn is "
            f"ACS-{post.builtin.value}: a built-in pre-annotation and consolidation function must be of one task type")
    task_type = pre.builtin or post.builtin or TaskType.CUSTOM
    return JobFunctions(task_type, pre, post)


def check_label_attribute_name(name: str, task_type: TaskType) -> None:
    """GT's rules: never ``-metadata``; ``-ref`` exactly for segmentation and its adjustment."""
    if name.endswith("-metadata"):
        raise ValidationError(f"LabelAttributeName {name} must not end with '-metadata'")
    if task_type in REF_ATTRIBUTE and not name.endswith("-ref"):
        raise ValidationError(f"LabelAttributeName {name} must end with '-ref' for a {task_type.value} job")
    if task_type not in REF_ATTRIBUTE and name.endswith("-ref"):
        raise ValidationError(
            f"LabelAttributeName {name} may end with '-ref' only for a SemanticSegmentation or "
            "AdjustmentSemanticSegmentation job")


def audit_attribute(document: dict | None) -> str | None:
    """The earlier label an audit job shows: the category file's ``auditLabelAttributeName``."""
    value = (document or {}).get(AUDIT_FIELD)
    return value if isinstance(value, str) and value else None


def check_audit_attribute(document: dict, label_attribute: str, task_type: TaskType) -> str:
    """The earlier attribute of a verification/adjustment job; ValidationError naming what is wrong."""
    field = f"LabelCategoryConfigS3Uri: {AUDIT_FIELD}"
    value = document.get(AUDIT_FIELD)
    if value is None:
        raise ValidationError(
            f"{field} is required for a {task_type.value} job: set it to the LabelAttributeName of the earlier "
            "job whose labels the reviewers verify or adjust")
    if not isinstance(value, str) or not value.strip():
        raise ValidationError(f"{field} must be a non-empty string, got {value!r}")
    if value == label_attribute:
        raise ValidationError(
            f"LabelAttributeName {label_attribute} must differ from {AUDIT_FIELD} (the earlier job's "
            "label attribute): a verification or adjustment job writes a new label beside the earlier one")
    if value.endswith("-metadata"):
        raise ValidationError(f"{field} {value} names a metadata attribute; name the label attribute itself")
    return value
