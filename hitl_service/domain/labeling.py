"""Labeling job states, task types and ARNs: pure names with no Flask or Redis."""

from __future__ import annotations

import enum


class LabelingJobStatus(str, enum.Enum):
    """LabelingJobStatus as the SageMaker model spells it."""

    INITIALIZING = "Initializing"
    IN_PROGRESS = "InProgress"
    COMPLETED = "Completed"
    FAILED = "Failed"
    STOPPING = "Stopping"
    STOPPED = "Stopped"

    @property
    def terminal(self) -> bool:
        return self in (LabelingJobStatus.COMPLETED, LabelingJobStatus.FAILED, LabelingJobStatus.STOPPED)


class ObjectState(str, enum.Enum):
    """Where one data object of a job is."""

    PENDING = "pending"          # ingested, waiting for a MaxConcurrentTaskCount slot
    OUT = "out"                  # on the workteam's queue / with reviewers
    ANSWERED = "answered"        # every answer is in, waiting for consolidation
    LABELED = "labeled"          # consolidated and written
    FAILED = "failed"            # FailedNonRetryableError (pre/post function kept failing, expired)
    SKIPPED = "skipped"          # the pre-annotation function said no human is required


class TaskType(str, enum.Enum):
    """The built-in Ground Truth task types (selected by GT's PRE-/ACS- Lambda ARNs), or custom."""

    IMAGE_CLASSIFICATION = "ImageMultiClass"
    IMAGE_CLASSIFICATION_MULTILABEL = "ImageMultiClassMultiLabel"
    BOUNDING_BOX = "BoundingBox"
    SEMANTIC_SEGMENTATION = "SemanticSegmentation"
    TEXT_CLASSIFICATION = "TextMultiClass"
    TEXT_CLASSIFICATION_MULTILABEL = "TextMultiClassMultiLabel"
    NAMED_ENTITY_RECOGNITION = "NamedEntityRecognition"
    VERIFICATION_BOUNDING_BOX = "VerificationBoundingBox"
    VERIFICATION_SEMANTIC_SEGMENTATION = "VerificationSemanticSegmentation"
    ADJUSTMENT_BOUNDING_BOX = "AdjustmentBoundingBox"
    ADJUSTMENT_SEMANTIC_SEGMENTATION = "AdjustmentSemanticSegmentation"
    CUSTOM = "Custom"

    @property
    def output_type(self) -> str:
        """The ``type`` GT writes in ``<attr>-metadata`` for this task type."""
        return _OUTPUT_TYPES[self]

    @property
    def segmentation(self) -> bool:
        return self in (TaskType.SEMANTIC_SEGMENTATION, TaskType.VERIFICATION_SEMANTIC_SEGMENTATION,
                        TaskType.ADJUSTMENT_SEMANTIC_SEGMENTATION)


_OUTPUT_TYPES = {
    TaskType.IMAGE_CLASSIFICATION: "groundtruth/image-classification",
    TaskType.IMAGE_CLASSIFICATION_MULTILABEL: "groundtruth/image-classification-multilabel",
    TaskType.BOUNDING_BOX: "groundtruth/object-detection",
    TaskType.SEMANTIC_SEGMENTATION: "groundtruth/semantic-segmentation",
    TaskType.TEXT_CLASSIFICATION: "groundtruth/text-classification",
    TaskType.TEXT_CLASSIFICATION_MULTILABEL: "groundtruth/text-classification-multilabel",
    TaskType.NAMED_ENTITY_RECOGNITION: "groundtruth/text-span",
    TaskType.VERIFICATION_BOUNDING_BOX: "groundtruth/label-verification",
    TaskType.VERIFICATION_SEMANTIC_SEGMENTATION: "groundtruth/label-verification",
    TaskType.ADJUSTMENT_BOUNDING_BOX: "groundtruth/object-detection",
    TaskType.ADJUSTMENT_SEMANTIC_SEGMENTATION: "groundtruth/semantic-segmentation",
    TaskType.CUSTOM: "groundtruth/custom",
}


# ---- what the job store's scripts report ------------------------------------------------------


class CreateOutcome(enum.Enum):
    CREATED = "created"
    EXISTS = "exists"


class StopOutcome(enum.Enum):
    STOPPING = "stopping"
    MISSING = "missing"
    NOT_RUNNING = "status"


class IngestOutcome(enum.Enum):
    OK = "ok"
    FINISH = "finish"      # nothing left but writing the output
    STALE = "stale"        # this batch was applied already (a repeated task)
    CLOSED = "closed"      # the job stopped or failed meanwhile
    MISSING = "missing"


class FinishOutcome(enum.Enum):
    COMPLETED = "Completed"
    STOPPED = "Stopped"
    FAILED = "failed"
    ALREADY = "already"
    BUSY = "busy"          # objects are still out or answered
    MISSING = "missing"


class LeaseOutcome(enum.Enum):
    OK = "ok"
    RELEASED = "released"
    NO_LEASE = "nolease"
    NOT_YOURS = "notyours"
    EXPIRED = "expired"
    CLOSED = "closed"
