"""Built-in consolidation: a batch of objects' answers to GT's label values, through hitl_service.consolidation."""

from __future__ import annotations

import dataclasses

import numpy as np

from hitl_service.consolidation.overlap import region_confidence
from hitl_service.domain.labeling import TaskType



@dataclasses.dataclass(frozen=True)
class ObjectAnswers:
    """The answers one object received, in submission order."""

    object_id: int
    answers: list[dict]   # each has answerContent and workerId
    line: dict | None = None   # the input line (audit jobs compare answers with its earlier label)


@dataclasses.dataclass(frozen=True)
class Consolidated:
    """The label value and the per-type metadata fields for one object (``None`` value: no usable answer).

    ``png`` is set for segmentation: the consolidated mask, written to the output and the value
    then becomes its ``s3://`` URI. ``confidence`` is the lowest confidence of any part of the label
    (docs/consolidation.md, "Adaptive overlap").
    """

    object_id: int
    value: object
    meta: dict
    png: bytes | None = None
    confidence: float | None = None   # the object's one confidence (adaptive overlap decides on it)


# GT draws the background white; the classes keep the colours the reviewers' tool used
BACKGROUND = "#ffffff"
DEFAULT_COLORS = ("#2ca02c", "#1f77b4", "#ff7f0e", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
                  "#bcbd22", "#17becf")


def _find(content: dict, key: str):
    """The first value in an answer (any element name) that carries ``key``."""
    if isinstance(content, dict):
        if key in content:
            return content
        for v in content.values():
            if isinstance(v, dict) and key in v:
                return v
    return None


def _r(x: float) -> float:
    return round(float(x), 2)


def _workers(batch: list[ObjectAnswers]) -> dict[str, int]:
    ids: dict[str, int] = {}
    for obj in batch:
        for a in obj.answers:
            ids.setdefault(a["workerId"], len(ids))
    return ids


def _answer_rows(batch: list[ObjectAnswers], pick) -> tuple[np.ndarray, np.ndarray, list, int]:
    """(item, worker, values, n_workers) over every answer for which ``pick(answerContent)`` is not None."""
    workers = _workers(batch)
    item, worker, values = [], [], []
    for i, obj in enumerate(batch):
        for a in obj.answers:
            value = pick(a["answerContent"])
            if value is not None:
                item.append(i)
                worker.append(workers[a["workerId"]])
                values.append(value)
    return np.asarray(item, np.int64), np.asarray(worker, np.int64), values, len(workers)


def _classes(batch: list[ObjectAnswers], labels: tuple[str, ...]) -> list[Consolidated]:
    from hitl_service.consolidation.classes import ClassAnnotations, consolidate_classes

    def pick(content):
        chosen = _find(content, "label")
        return labels.index(chosen["label"]) if chosen and chosen["label"] in labels else None

    item, worker, label, n_workers = _answer_rows(batch, pick)
    if not len(item):
        return [Consolidated(o.object_id, None, {}) for o in batch]
    ann = ClassAnnotations(item=item, worker=worker, label=np.asarray(label, np.int64), n_items=len(batch),
                           n_workers=n_workers, n_classes=len(labels))
    result = consolidate_classes(ann)
    answered = set(item.tolist())
    out = []
    for i, obj in enumerate(batch):
        if i not in answered:
            out.append(Consolidated(obj.object_id, None, {}))
            continue
        k = int(result.label[i])
        out.append(Consolidated(obj.object_id, k, {"class-name": labels[k], "confidence": _r(result.confidence[i])},
                                confidence=float(result.confidence[i])))
    return out


def _multilabel(batch: list[ObjectAnswers], labels: tuple[str, ...]) -> list[Consolidated]:
    from hitl_service.consolidation.multilabel import consolidate_multilabel

    def pick(content):
        chosen = _find(content, "labels")
        if chosen is None:
            return None
        row = np.zeros(len(labels), bool)
        row[[labels.index(name) for name in chosen["labels"] or [] if name in labels]] = True
        return row

    item, worker, rows, n_workers = _answer_rows(batch, pick)
    if not len(item):
        return [Consolidated(o.object_id, None, {}) for o in batch]
    result = consolidate_multilabel(item, worker, np.vstack(rows), n_items=len(batch), n_workers=n_workers)
    answered = set(item.tolist())
    out = []
    for i, obj in enumerate(batch):
        if i not in answered:
            out.append(Consolidated(obj.object_id, None, {}))
            continue
        picked = [int(k) for k in np.flatnonzero(result.chosen[i])]
        out.append(Consolidated(obj.object_id, picked, {
            "class-map": {str(k): labels[k] for k in picked},
            "confidence-map": {str(k): _r(result.confidence[i][k]) for k in picked},
        }, confidence=float(np.min(result.confidence[i]))))
    return out


def _boxes(batch: list[ObjectAnswers], labels: tuple[str, ...]) -> list[Consolidated]:
    from hitl_service.consolidation.boxes import BoxAnswer, consolidate_boxes

    workers = _workers(batch)
    answers, sizes, counts = [], {}, {}
    for i, obj in enumerate(batch):
        for a in obj.answers:
            found = _find(a["answerContent"], "boundingBoxes")
            if found is None:
                continue
            props = found.get("inputImageProperties") or {}
            if props:
                sizes.setdefault(i, props)
            kept = [b for b in found["boundingBoxes"] or [] if b.get("label") in labels]
            counts.setdefault(i, []).append(len(kept))
            boxes = np.asarray([[b["left"], b["top"], b["width"], b["height"]] for b in kept], float).reshape(-1, 4)
            answers.append(BoxAnswer(item=i, worker=workers[a["workerId"]], boxes=boxes,
                                     labels=np.asarray([labels.index(b["label"]) for b in kept], np.int64)))
    results = consolidate_boxes(answers, n_items=len(batch)) if answers else [None] * len(batch)
    answered = {a.item for a in answers}
    out = []
    for i, obj in enumerate(batch):
        res = results[i]
        if i not in answered or res is None:
            out.append(Consolidated(obj.object_id, None, {}))
            continue
        size = sizes.get(i, {})
        annotations = [{"class_id": int(c), "left": int(round(b[0])), "top": int(round(b[1])),
                        "width": int(round(b[2])), "height": int(round(b[3]))}
                       for b, c in zip(res.boxes, res.labels)]
        value = {"image_size": [{"width": int(size.get("width", 0)), "height": int(size.get("height", 0)),
                                 "depth": 3}],
                 "annotations": annotations}
        used = sorted({int(c) for c in res.labels})
        out.append(Consolidated(obj.object_id, value, {
            "objects": [{"confidence": _r(c)} for c in res.confidence],
            "class-map": {str(k): labels[k] for k in used},
        }, confidence=region_confidence(res.confidence, counts[i])))
    return out


def _spans(batch: list[ObjectAnswers], labels: tuple[str, ...]) -> list[Consolidated]:
    from hitl_service.consolidation.spans import SpanAnswer, consolidate_spans

    workers = _workers(batch)
    answers, counts = [], {}
    for i, obj in enumerate(batch):
        for a in obj.answers:
            found = _find(a["answerContent"], "entities")
            if found is None:
                continue
            kept = [e for e in found["entities"] or [] if e.get("label") in labels]
            counts.setdefault(i, []).append(len(kept))
            answers.append(SpanAnswer(item=i, worker=workers[a["workerId"]],
                                      starts=np.asarray([e["startOffset"] for e in kept], np.int64),
                                      ends=np.asarray([e["endOffset"] for e in kept], np.int64),
                                      labels=np.asarray([labels.index(e["label"]) for e in kept], np.int64)))
    results = consolidate_spans(answers, n_items=len(batch)) if answers else [None] * len(batch)
    answered = {a.item for a in answers}
    out = []
    for i, obj in enumerate(batch):
        res = results[i]
        if i not in answered or res is None:
            out.append(Consolidated(obj.object_id, None, {}))
            continue
        entities = [{"label": labels[int(k)], "startOffset": int(s), "endOffset": int(e)}
                    for s, e, k in zip(res.starts, res.ends, res.labels)]
        value = {"annotations": {"entities": entities, "labels": [{"label": name} for name in labels]}}
        out.append(Consolidated(obj.object_id, value, {"entities": [{"confidence": _r(c)} for c in res.confidence]},
                                confidence=region_confidence(res.confidence, counts[i])))
    return out


def _hex_rgb(color: str) -> tuple[int, int, int]:
    c = color.lstrip("#")
    return int(c[0:2], 16), int(c[2:4], 16), int(c[4:6], 16)


def _decode_mask(found: dict, labels: tuple[str, ...]) -> tuple[np.ndarray, dict[str, str]] | None:
    """Class ids (0 background, k+1 for labels[k]) of a crowd-semantic-segmentation answer's PNG."""
    import base64
    import io

    from PIL import Image, UnidentifiedImageError

    try:
        data = base64.b64decode((found.get("labeledImage") or {}).get("pngImageData") or "")
        rgb = np.asarray(Image.open(io.BytesIO(data)).convert("RGB"), dtype=np.int64)
    except (ValueError, UnidentifiedImageError, OSError):
        return None
    packed = (rgb[..., 0] << 16) | (rgb[..., 1] << 8) | rgb[..., 2]
    ids = np.zeros(packed.shape, np.uint8)
    colors = {}
    for name, mapping in (found.get("labelMappings") or {}).items():
        if name in labels and isinstance(mapping, dict) and mapping.get("color"):
            r, g, b = _hex_rgb(mapping["color"])
            ids[packed == ((r << 16) | (g << 8) | b)] = labels.index(name) + 1
            colors[name] = mapping["color"]
    return ids, colors


def _masks(batch: list[ObjectAnswers], labels: tuple[str, ...]) -> list[Consolidated]:
    import io

    from PIL import Image

    from hitl_service.consolidation.masks import consolidate_mask

    out = []
    for obj in batch:
        decoded, colors = [], {}
        for a in obj.answers:
            found = _find(a["answerContent"], "labeledImage")
            got = _decode_mask(found, labels) if found else None
            if got is not None:
                decoded.append(got[0])
                colors.update(got[1])
        shapes = {m.shape for m in decoded}
        if not decoded or len(shapes) != 1:
            out.append(Consolidated(obj.object_id, None, {}))
            continue
        res = consolidate_mask(np.stack(decoded), n_classes=len(labels) + 1)
        palette = [BACKGROUND] + [colors.get(n, DEFAULT_COLORS[i % len(DEFAULT_COLORS)]) for i, n in enumerate(labels)]
        rgb = np.zeros(res.mask.shape + (3,), np.uint8)
        for k, color in enumerate(palette):
            rgb[res.mask == k] = _hex_rgb(color)
        buf = io.BytesIO()
        Image.fromarray(rgb, "RGB").save(buf, format="PNG")
        present = sorted({int(k) for k in np.unique(res.mask)})
        color_map = {str(k): {"class-name": "BACKGROUND" if k == 0 else labels[k - 1], "hex-color": palette[k],
                              "confidence": _r(res.class_confidence[k])} for k in present}
        out.append(Consolidated(obj.object_id, "", {"internal-color-map": color_map}, png=buf.getvalue(),
                                confidence=float(res.confidence)))
    return out


def consolidate_builtin(task_type: TaskType, batch: list[ObjectAnswers], labels: tuple[str, ...],
                        audit: str | None = None) -> list[Consolidated]:
    """Consolidate a batch of objects of one job with the built-in method for its task type."""
    from hitl_service.jobs import audit as audit_jobs

    if task_type in (TaskType.VERIFICATION_BOUNDING_BOX, TaskType.VERIFICATION_SEMANTIC_SEGMENTATION):
        return audit_jobs.verification(batch, _classes(batch, labels))
    if task_type is TaskType.ADJUSTMENT_BOUNDING_BOX:
        return audit_jobs.adjustment(task_type, batch, _boxes(batch, labels), audit)
    if task_type is TaskType.ADJUSTMENT_SEMANTIC_SEGMENTATION:
        return audit_jobs.adjustment(task_type, batch, _masks(batch, labels), audit)
    if task_type in (TaskType.IMAGE_CLASSIFICATION, TaskType.TEXT_CLASSIFICATION):
        return _classes(batch, labels)
    if task_type in (TaskType.IMAGE_CLASSIFICATION_MULTILABEL, TaskType.TEXT_CLASSIFICATION_MULTILABEL):
        return _multilabel(batch, labels)
    if task_type is TaskType.BOUNDING_BOX:
        return _boxes(batch, labels)
    if task_type is TaskType.NAMED_ENTITY_RECOGNITION:
        return _spans(batch, labels)
    if task_type is TaskType.SEMANTIC_SEGMENTATION:
        return _masks(batch, labels)
    raise ValueError(f"no built-in consolidation for {task_type.value}")
