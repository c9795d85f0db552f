"""Built-in pre-annotation: the ``taskInput`` a Ground Truth PRE-<Type> function builds for one object."""

from __future__ import annotations

from hitl_service.domain.labeling import TaskType
from hitl_service.jobs.categories import LabelCategories
from hitl_service.jobs.manifest import DataObject

# task types whose object is an image reference (shown through a signed URL), not inline text
IMAGE_TYPES = frozenset({
    TaskType.IMAGE_CLASSIFICATION, TaskType.IMAGE_CLASSIFICATION_MULTILABEL, TaskType.BOUNDING_BOX,
    TaskType.SEMANTIC_SEGMENTATION, TaskType.VERIFICATION_BOUNDING_BOX, TaskType.ADJUSTMENT_BOUNDING_BOX,
    TaskType.VERIFICATION_SEMANTIC_SEGMENTATION, TaskType.ADJUSTMENT_SEMANTIC_SEGMENTATION,
})
TEXT_TYPES = frozenset({TaskType.TEXT_CLASSIFICATION, TaskType.TEXT_CLASSIFICATION_MULTILABEL,
                        TaskType.NAMED_ENTITY_RECOGNITION})


class PreprocessError(ValueError):
    """The object does not fit the task type (an image job given inline text, or the reverse)."""


def check_fits(task_type: TaskType, obj: DataObject) -> None:
    """PreprocessError unless the object has what its task type shows (an image URI or text)."""
    if task_type in IMAGE_TYPES and obj.source_ref is None:
        raise PreprocessError("an image task needs a 'source-ref' (an S3 URI of the image)")
    if task_type in TEXT_TYPES and obj.source is None:
        raise PreprocessError("a text task needs a 'source' (the text itself)")


def data_object_payload(obj: DataObject) -> dict:
    """The ``dataObject`` GT hands a pre-annotation function: the manifest line as it is."""
    return obj.line


def builtin_task_input(task_type: TaskType, obj: DataObject, categories: LabelCategories | None,
                       *, title: str, label_attribute: str | None = None) -> dict:
    """``taskInput`` for a built-in task type, keyed as GT's built-in templates read it."""
    check_fits(task_type, obj)
    task_input: dict = {"taskObject": obj.source_ref if task_type in IMAGE_TYPES else obj.source}
    if categories is not None:
        task_input["labels"] = list(categories.labels)
        task_input["shortInstruction"] = categories.short_instruction
        task_input["fullInstruction"] = categories.full_instruction
    task_input["header"] = title
    if task_type in (TaskType.VERIFICATION_BOUNDING_BOX, TaskType.ADJUSTMENT_BOUNDING_BOX,
                     TaskType.VERIFICATION_SEMANTIC_SEGMENTATION, TaskType.ADJUSTMENT_SEMANTIC_SEGMENTATION):
        # verification/adjustment jobs show the earlier job's label: the attribute named by the
        # category file's auditLabelAttributeName, else the job's own attribute name
        audit = (categories.document.get("auditLabelAttributeName") if categories else None) or label_attribute
        if audit:
            task_input["initialValue"] = obj.line.get(audit)
            task_input["initialValueMetadata"] = obj.line.get(f"{audit}-metadata")
    return task_input
