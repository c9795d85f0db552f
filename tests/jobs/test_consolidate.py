"""Built-in consolidation of a batch of objects into GT's label values and metadata fields."""

from __future__ import annotations

from hitl_service.domain.labeling import TaskType
from hitl_service.jobs.consolidate import ObjectAnswers, consolidate_builtin


def answers(*contents):
    return [{"workerId": f"w{i}", "answerContent": c} for i, c in enumerate(contents)]


def test_single_label_classes_take_the_majority_and_skip_unknown_labels():
    batch = [ObjectAnswers(10, answers(*[{"c": {"label": x}} for x in ("dog", "dog", "cat")])),
             ObjectAnswers(11, answers({"c": {"label": "cat"}})),
             ObjectAnswers(12, answers({"c": {"label": "not-a-class"}}))]
    got = consolidate_builtin(TaskType.IMAGE_CLASSIFICATION, batch, ("cat", "dog"))
    assert [g.object_id for g in got] == [10, 11, 12]
    assert got[0].value == 1 and got[0].meta["class-name"] == "dog" and 0.5 < got[0].meta["confidence"] <= 1
    assert got[1].value == 0 and got[1].meta == {"class-name": "cat", "confidence": 0.0}  # one answer: 0, as GT
    assert got[2].value is None


def test_multilabel_writes_class_and_confidence_maps():
    pick = lambda *xs: {"m": {"labels": list(xs)}}  # noqa: E731
    batch = [ObjectAnswers(0, answers(pick("joy", "surprise"), pick("joy"), pick("joy", "surprise")))]
    got = consolidate_builtin(TaskType.TEXT_CLASSIFICATION_MULTILABEL, batch, ("joy", "anger", "surprise"))[0]
    assert got.value == [0, 2]
    assert got.meta["class-map"] == {"0": "joy", "2": "surprise"}
    assert set(got.meta["confidence-map"]) == {"0", "2"}


def test_named_entities_become_gt_text_span_annotations():
    span = lambda s, e, label: {"entities": [{"label": label, "startOffset": s, "endOffset": e}]}  # noqa: E731
    batch = [ObjectAnswers(3, answers({"crowd-entity-annotation": span(0, 5, "PER")},
                                      {"crowd-entity-annotation": span(0, 5, "PER")}))]
    got = consolidate_builtin(TaskType.NAMED_ENTITY_RECOGNITION, batch, ("PER", "ORG"))[0]
    assert got.value == {"annotations": {"entities": [{"label": "PER", "startOffset": 0, "endOffset": 5}],
                                         "labels": [{"label": "PER"}, {"label": "ORG"}]}}
    assert len(got.meta["entities"]) == 1 and 0 <= got.meta["entities"][0]["confidence"] <= 1


def test_boxes_without_any_answer_are_reported_as_unusable():
    batch = [ObjectAnswers(0, answers({"annotatedResult": {"boundingBoxes": [], "inputImageProperties":
                                                           {"width": 10, "height": 10}}})),
             ObjectAnswers(1, answers({"something": "else"}))]
    got = consolidate_builtin(TaskType.BOUNDING_BOX, batch, ("dog",))
    assert got[0].value == {"image_size": [{"width": 10, "height": 10, "depth": 3}], "annotations": []}
    assert got[1].value is None


def _png(ids, colors):
    import base64
    import io

    import numpy as np
    from PIL import Image

    palette = {0: (255, 255, 255), 1: (255, 127, 14), 2: (31, 119, 180)}
    rgb = np.zeros(ids.shape + (3,), np.uint8)
    for k, c in palette.items():
        rgb[ids == k] = c
    buf = io.BytesIO()
    Image.fromarray(rgb, "RGB").save(buf, format="PNG")
    return {"crowd-semantic-segmentation": {
        "labeledImage": {"pngImageData": base64.b64encode(buf.getvalue()).decode()},
        "labelMappings": colors, "inputImageProperties": {"width": ids.shape[1], "height": ids.shape[0]}}}


def test_segmentation_masks_vote_per_pixel_into_a_png_and_internal_color_map():
    import io

    import numpy as np
    from PIL import Image

    colors = {"road": {"color": "#ff7f0e"}, "car": {"color": "#1f77b4"}}
    base = np.zeros((12, 16), np.uint8)
    base[6:, :] = 1          # road on the lower half
    base[2:5, 3:8] = 2       # a car
    other = base.copy()
    other[0, 0] = 2          # one reviewer's stray pixel
    batch = [ObjectAnswers(5, answers(_png(base, colors), _png(base, colors), _png(other, colors)))]
    got = consolidate_builtin(TaskType.SEMANTIC_SEGMENTATION, batch, ("road", "car"))[0]
    decoded = np.asarray(Image.open(io.BytesIO(got.png)).convert("RGB"))
    assert decoded.shape == (12, 16, 3)
    assert tuple(decoded[8, 8]) == (255, 127, 14) and tuple(decoded[3, 4]) == (31, 119, 180)
    assert tuple(decoded[0, 0]) == (255, 255, 255)  # outvoted
    cmap = got.meta["internal-color-map"]
    assert cmap["0"]["class-name"] == "BACKGROUND" and cmap["0"]["hex-color"] == "#ffffff"
    assert cmap["1"] == {"class-name": "road", "hex-color": "#ff7f0e", "confidence": cmap["1"]["confidence"]}
    assert cmap["2"]["class-name"] == "car" and 0 < cmap["2"]["confidence"] <= 1
