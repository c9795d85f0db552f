"""LabelCategoryConfigS3Uri in Ground Truth's format: ``document-version``, ``labels``, instructions."""

from __future__ import annotations

import dataclasses
import json

from hitl_service.domain.labeling import TaskType

# the versions GT documents for the label category file
DOCUMENT_VERSIONS = ("2018-11-28",)
MAX_LABELS = {TaskType.TEXT_CLASSIFICATION_MULTILABEL: 50, TaskType.IMAGE_CLASSIFICATION_MULTILABEL: 50}
DEFAULT_MAX_LABELS = 1000


class CategoryConfigError(ValueError):
    """The category file is not in GT's format; the message says what is wrong."""


@dataclasses.dataclass(frozen=True)
class LabelCategories:
    """The parsed file: label names in order (the class index is the position) and the raw document."""

    labels: tuple[str, ...]
    document: dict

    @property
    def short_instruction(self) -> str:
        return str(self.document.get("instructions", {}).get("shortInstruction", ""))

    @property
    def full_instruction(self) -> str:
        return str(self.document.get("instructions", {}).get("fullInstruction", ""))

    def index_of(self, label: str) -> int | None:
        try:
            return self.labels.index(label)
        except ValueError:
            return None


def parse_categories(body: bytes, task_type: TaskType) -> LabelCategories:
    """Parse and check a label category configuration file."""
    try:
        doc = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise CategoryConfigError(f"is not JSON: {exc}") from None
    if not isinstance(doc, dict):
        raise CategoryConfigError("must be a JSON object")
    version = doc.get("document-version")
    if version not in DOCUMENT_VERSIONS:
        raise CategoryConfigError(f"document-version must be one of {', '.join(DOCUMENT_VERSIONS)}, got {version!r}")
    labels = doc.get("labels")
    if not isinstance(labels, list) or not labels:
        raise CategoryConfigError("labels must be a non-empty list of {\"label\": name} objects")
    names: list[str] = []
    for i, entry in enumerate(labels):
        name = entry.get("label") if isinstance(entry, dict) else None
        if not isinstance(name, str) or not name.strip():
            raise CategoryConfigError(f"labels[{i}] must be an object with a non-empty string 'label'")
        if name in names:
            raise CategoryConfigError(f"label {name!r} appears more than once")
        names.append(name)
    limit = MAX_LABELS.get(task_type, DEFAULT_MAX_LABELS)
    if len(names) > limit:
        raise CategoryConfigError(f"has {len(names)} labels; this task type allows at most {limit}")
    if task_type in (TaskType.IMAGE_CLASSIFICATION, TaskType.TEXT_CLASSIFICATION) and len(names) < 2:
        raise CategoryConfigError("a classification job needs at least 2 labels")
    instructions = doc.get("instructions")
    if instructions is not None and not isinstance(instructions, dict):
        raise CategoryConfigError("instructions must be an object with shortInstruction/fullInstruction")
    return LabelCategories(tuple(names), doc)
