"""Consolidation: one trusted label per item with a calibrated confidence, for every answer kind.

Pure numpy functions over whole batches (no Flask, no Redis); see docs/consolidation.md.
"""
from .agreement import BatchAgreement, WorkerAgreement, batch_agreement, worker_agreement
from .boxes import BoxAnswer, ItemBoxes, consolidate_boxes
from .classes import ClassAnnotations, ClassResult, Method, choose_method, consolidate_classes
from .masks import MaskResult, consolidate_mask
from .multilabel import MultiLabelResult, consolidate_multilabel
from .report import quality_report
from .spans import ItemSpans, SpanAnswer, consolidate_spans
from .text import NumberResult, TextResult, consolidate_numbers, consolidate_text

__all__ = [
    "BatchAgreement", "BoxAnswer", "ClassAnnotations", "ClassResult", "ItemBoxes", "ItemSpans", "MaskResult",
    "Method", "MultiLabelResult", "NumberResult", "SpanAnswer", "TextResult", "WorkerAgreement",
    "batch_agreement", "choose_method", "consolidate_boxes", "consolidate_classes", "consolidate_mask",
    "consolidate_multilabel", "consolidate_numbers", "consolidate_spans", "consolidate_text",
    "quality_report", "worker_agreement",
]
