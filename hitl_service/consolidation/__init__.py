"""Consolidation: one trusted label per item with a calibrated confidence, for every answer kind.

Pure numpy functions over whole batches (no Flask, no Redis); see docs/consolidation.md. The names
below are loaded on first use, so importing one kind (say classes) does not pull in the others'
libraries (statsmodels, scipy.ndimage).
"""
import importlib

_EXPORTS = {
    "agreement": ["BatchAgreement", "WorkerAgreement", "batch_agreement", "worker_agreement"],
    "boxes": ["BoxAnswer", "ItemBoxes", "consolidate_boxes"],
    "classes": ["ClassAnnotations", "ClassResult", "Method", "choose_method", "consolidate_classes"],
    "masks": ["MaskResult", "consolidate_mask"],
    "multilabel": ["MultiLabelResult", "consolidate_multilabel"],
    "report": ["quality_report"],
    "spans": ["ItemSpans", "SpanAnswer", "consolidate_spans"],
    "text": ["NumberResult", "TextResult", "consolidate_numbers", "consolidate_text"],
}
_MODULE_OF = {name: module for module, names in _EXPORTS.items() for name in names}
__all__ = sorted(_MODULE_OF)


def __getattr__(name):
    """Load the submodule that defines `name` on first access."""
    if name not in _MODULE_OF:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f".{_MODULE_OF[name]}", __name__), name)
