"""Built-in pre-annotation: the ``taskInput`` a Ground Truth PRE-<Type> function builds for one object."""

from __future__ import annotations

import dataclasses

from hitl_service.domain.labeling import TaskType
from hitl_service.jobs import tasktypes
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


# the earlier label an audit job can show, by the earlier metadata's ``type``
BOXES, MASK, CLASS = "boxes", "mask", "class"
_KINDS = {"groundtruth/object-detection": BOXES, "groundtruth/semantic-segmentation": MASK,
          "groundtruth/image-classification": CLASS}
_ALLOWED = {TaskType.VERIFICATION_BOUNDING_BOX: (BOXES, MASK, CLASS),
            TaskType.VERIFICATION_SEMANTIC_SEGMENTATION: (BOXES, MASK, CLASS),
            TaskType.ADJUSTMENT_BOUNDING_BOX: (BOXES,),
            TaskType.ADJUSTMENT_SEMANTIC_SEGMENTATION: (MASK,)}


@dataclasses.dataclass(frozen=True)
class EarlierLabel:
    """An earlier job's label as the reviewer tools take it (crowd elements' initial-value/overlay shapes)."""

    kind: str
    boxes: list[dict]          # BOXES: [{label, left, top, width, height}]
    labels: list[str]          # the earlier class names, in class-id order
    mask_uri: str = ""         # MASK: the earlier PNG
    label_mappings: dict | None = None   # MASK: {name: {"color": "#rrggbb"}}
    class_name: str = ""       # CLASS


def earlier_label(task_type: TaskType, line: dict, audit: str | None) -> EarlierLabel:
    """The label named by ``audit`` on a manifest line; PreprocessError saying what is missing."""
    if not audit:
        raise PreprocessError(f"the label category file has no {tasktypes.AUDIT_FIELD} naming the label to "
                              f"{'verify' if task_type in tasktypes.VERIFICATION else 'adjust'}")
    meta = line.get(f"{audit}-metadata")
    if audit not in line or not isinstance(meta, dict):
        raise PreprocessError(f"has no '{audit}' label with '{audit}-metadata' (the {tasktypes.AUDIT_FIELD} "
                              "of the label category file)")
    kind = _KINDS.get(meta.get("type"))
    if kind not in _ALLOWED[task_type]:
        raise PreprocessError(f"its '{audit}' label is of type {meta.get('type')!r}; a {task_type.value} job "
                              f"takes {', '.join(t for t, k in _KINDS.items() if k in _ALLOWED[task_type])}")
    value = line[audit]
    if kind == CLASS:
        name = str(meta.get("class-name", value))
        return EarlierLabel(CLASS, [], [name], class_name=name)
    if kind == BOXES:
        names = {str(k): str(v) for k, v in (meta.get("class-map") or {}).items()}
        anns = value.get("annotations") if isinstance(value, dict) else None
        if not isinstance(anns, list):
            raise PreprocessError(f"its '{audit}' label has no 'annotations' list")
        boxes = [{"label": names.get(str(a.get("class_id")), str(a.get("class_id"))), "left": a.get("left", 0),
                  "top": a.get("top", 0), "width": a.get("width", 0), "height": a.get("height", 0)}
                 for a in anns if isinstance(a, dict)]
        in_order = sorted(names, key=lambda k: int(k) if k.isdigit() else 0)
        return EarlierLabel(BOXES, boxes, [names[k] for k in in_order])
    if not isinstance(value, str) or not value.startswith("s3://"):
        raise PreprocessError(f"its '{audit}' label is not the s3:// URI of a mask")
    cmap = meta.get("internal-color-map") or {}
    mappings = {str(c.get("class-name")): {"color": str(c.get("hex-color"))} for k, c in sorted(cmap.items())
                if isinstance(c, dict) and str(k) != "0"}
    return EarlierLabel(MASK, [], list(mappings), mask_uri=value, label_mappings=mappings)


def check_fits(task_type: TaskType, obj: DataObject, categories: LabelCategories | None = None) -> None:
    """PreprocessError unless the object has what its task type shows (an image URI, text, an earlier label)."""
    if task_type in IMAGE_TYPES and obj.source_ref is None:
        raise PreprocessError("an image task needs a 'source-ref' (an S3 URI of the image)")
    if task_type in TEXT_TYPES and obj.source is None:
        raise PreprocessError("a text task needs a 'source' (the text itself)")
    if task_type in tasktypes.AUDIT:
        earlier_label(task_type, obj.line, tasktypes.audit_attribute(categories.document if categories else None))


def data_object_payload(obj: DataObject) -> dict:
    """The ``dataObject`` GT hands a pre-annotation function: the manifest line as it is."""
    return obj.line


def _audit_input(task_type: TaskType, earlier: EarlierLabel) -> dict:
    """What a template needs to draw the earlier label: crowd elements' ``initial-value`` and ``overlay``."""
    if earlier.kind == BOXES:
        return {"initialValue": earlier.boxes,
                "overlay": {"boundingBox": {"labels": earlier.labels, "value": earlier.boxes}}}
    if earlier.kind == MASK:
        # templates sign the mask's URI with grant_read_access, as they do the image's
        return {"initialValue": {"src": earlier.mask_uri, "labelMappings": earlier.label_mappings},
                "overlay": {"semanticSegmentation": {"labels": earlier.labels, "labelMappings": earlier.label_mappings,
                                                     "src": earlier.mask_uri}}}
    return {"initialValue": earlier.class_name, "overlay": {"classification": {"label": earlier.class_name}}}


def builtin_task_input(task_type: TaskType, obj: DataObject, categories: LabelCategories | None,
                       *, title: str, label_attribute: str | None = None) -> dict:
    """``taskInput`` for a built-in task type, keyed as GT's built-in templates read it."""
    check_fits(task_type, obj, categories)
    task_input: dict = {"taskObject": obj.source_ref if task_type in IMAGE_TYPES else obj.source}
    if categories is not None:
        task_input["labels"] = list(categories.labels)
        task_input["shortInstruction"] = categories.short_instruction
        task_input["fullInstruction"] = categories.full_instruction
    task_input["header"] = title
    if task_type in tasktypes.AUDIT:
        # GT's audit templates read the earlier label from task.input.manifestLine.<attribute>
        audit = tasktypes.audit_attribute(categories.document if categories else None)
        task_input["manifestLine"] = obj.line
        task_input["auditLabelAttributeName"] = audit
        task_input.update(_audit_input(task_type, earlier_label(task_type, obj.line, audit)))
        task_input["initialValueMetadata"] = obj.line.get(f"{audit}-metadata")
    return task_input
