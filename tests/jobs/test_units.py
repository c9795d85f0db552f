"""The pure parts of labeling jobs: task types, manifests, categories, taskInput, Lambda calls, layout."""

from __future__ import annotations

import json

import pytest

from hitl_service.domain.labeling import TaskType
from hitl_service.errors import ValidationError
from hitl_service.jobs import categories, lambdas, manifest, output, preprocess, tasktypes
from hitl_service.output.storage import LocalDirectoryStorage, OutputNotFoundError
from tests.jobs.invoke_server import InvokeServer


# ---- task types ---------------------------------------------------------------------------------


@pytest.mark.parametrize("region", sorted(tasktypes.BUILTIN_ACCOUNTS))
def test_every_published_region_selects_the_builtin_type(region):
    for t in TaskType:
        if t is TaskType.CUSTOM:
            continue
        f = tasktypes.job_functions(tasktypes.builtin_arn("PRE", t, region), tasktypes.builtin_arn("ACS", t, region))
        assert f.task_type is t and not f.pre.custom and not f.post.custom


def test_other_accounts_are_custom_functions_and_pre_acs_mixups_are_refused():
    f = tasktypes.job_functions("arn:aws:lambda:us-east-1:111122223333:function:PRE-TextMultiClass",
                                "arn:aws:lambda:us-east-1:111122223333:function:ACS-TextMultiClass")
    assert f.task_type is TaskType.CUSTOM and f.pre.custom and f.post.custom
    # a built-in PRE with a custom consolidation keeps the built-in type
    f = tasktypes.job_functions(tasktypes.builtin_arn("PRE", TaskType.BOUNDING_BOX),
                                "arn:aws:lambda:us-east-1:111122223333:function:mine")
    assert f.task_type is TaskType.BOUNDING_BOX and f.post.custom
    # an ACS- ARN given as the pre-annotation function
    with pytest.raises(ValidationError, match="PreHumanTaskLambdaArn"):
        tasktypes.job_functions(tasktypes.builtin_arn("ACS", TaskType.BOUNDING_BOX),
                                tasktypes.builtin_arn("ACS", TaskType.BOUNDING_BOX))
    # a built-in account in the wrong region is somebody's own function
    assert tasktypes.classify_function("arn:aws:lambda:us-west-2:432418664414:function:PRE-BoundingBox",
                                       "PRE", "f").custom


def test_label_attribute_rules():
    tasktypes.check_label_attribute_name("mask-ref", TaskType.SEMANTIC_SEGMENTATION)
    tasktypes.check_label_attribute_name("label", TaskType.CUSTOM)
    for name, t in [("x-metadata", TaskType.CUSTOM), ("x-ref", TaskType.CUSTOM), ("x", TaskType.SEMANTIC_SEGMENTATION),
                    ("x-ref", TaskType.TEXT_CLASSIFICATION)]:
        with pytest.raises(ValidationError, match="LabelAttributeName"):
            tasktypes.check_label_attribute_name(name, t)


# ---- manifests ----------------------------------------------------------------------------------


def test_manifest_lines_are_streamed_and_bad_ones_counted_and_named(tmp_path):
    storage = LocalDirectoryStorage(tmp_path)
    lines = [
        json.dumps({"source": "good one", "id": 7}),
        "",
        "{not json",
        json.dumps({"source-ref": "s3://b/img.jpg", "earlier": {"k": 1}}),
        json.dumps(["a list"]),
        json.dumps({"other": 1}),
        json.dumps({"source": "both", "source-ref": "s3://b/x"}),
        json.dumps({"source": "last"}),
    ]
    storage.put("in", "data/input.manifest", ("\n".join(lines) + "\n").encode())
    parsed = list(manifest.read_manifest(storage, "s3://in/data/input.manifest"))
    good = [p for p in parsed if isinstance(p, manifest.DataObject)]
    bad = [p for p in parsed if isinstance(p, manifest.BadLine)]
    assert [g.index for g in good] == [0, 3, 7]
    assert good[1].line["earlier"] == {"k": 1} and good[1].source_ref == "s3://b/img.jpg"
    assert [b.number for b in bad] == [3, 5, 6, 7]
    text = manifest.describe_bad_lines(bad, len(bad))
    assert "3 (not JSON" in text and "6 (has neither" in text
    with pytest.raises(OutputNotFoundError):
        list(manifest.read_manifest(storage, "s3://in/missing.manifest"))
    with pytest.raises(ValueError):
        manifest.split_uri("s3://bucket-only")


def test_manifest_streams_from_s3_through_moto(moto_s3):
    storage, client = moto_s3
    client.create_bucket(Bucket="manifests")
    body = "".join(json.dumps({"source": f"line {i}"}) + "\r\n" for i in range(5000))
    client.put_object(Bucket="manifests", Key="m.jsonl", Body=body.encode())
    got = list(manifest.read_manifest(storage, "s3://manifests/m.jsonl"))
    assert len(got) == 5000 and got[4999].line == {"source": "line 4999"} and got[4999].index == 4999


# ---- categories ---------------------------------------------------------------------------------


def test_category_file_in_ground_truth_format():
    doc = {"document-version": "2018-11-28", "labels": [{"label": "Positive"}, {"label": "Negative"}],
           "instructions": {"shortInstruction": "Pick one", "fullInstruction": "<p>Read it</p>"}}
    cats = categories.parse_categories(json.dumps(doc).encode(), TaskType.TEXT_CLASSIFICATION)
    assert cats.labels == ("Positive", "Negative") and cats.short_instruction == "Pick one"
    for broken, fragment in [(b"nope", "not JSON"), (json.dumps({"labels": []}).encode(), "document-version"),
                             (json.dumps({"document-version": "2018-11-28", "labels": [{"label": "a"}, {"label": "a"}]}).encode(), "more than once"),
                             (json.dumps({"document-version": "2018-11-28", "labels": [{"label": "a"}]}).encode(), "at least 2")]:
        with pytest.raises(categories.CategoryConfigError, match=fragment):
            categories.parse_categories(broken, TaskType.TEXT_CLASSIFICATION)


# ---- taskInput ----------------------------------------------------------------------------------


def test_builtin_task_input_per_type():
    cats = categories.parse_categories(json.dumps({"document-version": "2018-11-28",
                                                   "labels": [{"label": "dog"}, {"label": "cat"}]}).encode(),
                                       TaskType.BOUNDING_BOX)
    img = manifest.DataObject(0, {"source-ref": "s3://b/dog.jpg"}, "")
    ti = preprocess.builtin_task_input(TaskType.BOUNDING_BOX, img, cats, title="Boxes")
    assert ti["taskObject"] == "s3://b/dog.jpg" and ti["labels"] == ["dog", "cat"] and ti["header"] == "Boxes"
    text = manifest.DataObject(1, {"source": "hello"}, "")
    assert preprocess.builtin_task_input(TaskType.TEXT_CLASSIFICATION, text, cats, title="t")["taskObject"] == "hello"
    with pytest.raises(preprocess.PreprocessError):
        preprocess.builtin_task_input(TaskType.BOUNDING_BOX, text, cats, title="t")
    with pytest.raises(preprocess.PreprocessError):
        preprocess.builtin_task_input(TaskType.NAMED_ENTITY_RECOGNITION, img, cats, title="t")
    prior = manifest.DataObject(2, {"source-ref": "s3://b/a.jpg",
                                    "boxes": {"annotations": [{"class_id": 1, "left": 1, "top": 2, "width": 3, "height": 4}]},
                                    "boxes-metadata": {"type": "groundtruth/object-detection",
                                                       "class-map": {"1": "cat"}}}, "")
    with pytest.raises(preprocess.PreprocessError, match="auditLabelAttributeName"):
        preprocess.builtin_task_input(TaskType.VERIFICATION_BOUNDING_BOX, prior, cats, title="v")
    audit = categories.LabelCategories(cats.labels, {**cats.document, "auditLabelAttributeName": "boxes"})
    ti = preprocess.builtin_task_input(TaskType.VERIFICATION_BOUNDING_BOX, prior, audit, title="v")
    box = {"label": "cat", "left": 1, "top": 2, "width": 3, "height": 4}
    assert ti["initialValue"] == [box] and ti["overlay"] == {"boundingBox": {"labels": ["cat"], "value": [box]}}
    assert ti["manifestLine"] == prior.line and ti["initialValueMetadata"]["class-map"] == {"1": "cat"}
    mask = manifest.DataObject(3, {"source-ref": "s3://b/a.jpg", "m-ref": "s3://b/m.png", "m-ref-metadata": {
        "type": "groundtruth/semantic-segmentation",
        "internal-color-map": {"0": {"class-name": "BACKGROUND", "hex-color": "#ffffff"},
                               "1": {"class-name": "cat", "hex-color": "#2ca02c"}}}}, "")
    seg = categories.LabelCategories(cats.labels, {**cats.document, "auditLabelAttributeName": "m-ref"})
    ti = preprocess.builtin_task_input(TaskType.ADJUSTMENT_SEMANTIC_SEGMENTATION, mask, seg, title="v")
    assert ti["initialValue"] == {"src": "s3://b/m.png", "labelMappings": {"cat": {"color": "#2ca02c"}}}
    with pytest.raises(preprocess.PreprocessError, match="of type 'groundtruth/semantic-segmentation'"):
        preprocess.builtin_task_input(TaskType.ADJUSTMENT_BOUNDING_BOX, mask, seg, title="v")


# ---- Lambda invocation --------------------------------------------------------------------------


@pytest.fixture
def invoke_server():
    server = InvokeServer().start()
    yield server
    server.stop()


def test_pre_annotation_event_and_answer_over_the_invoke_api(invoke_server):
    invoke_server.functions["my-pre"] = lambda e: {"taskInput": {"text": e["dataObject"]["source"].upper()},
                                                   "isHumanAnnotationRequired": "false"}
    inv = lambdas.LambdaInvoker(region="us-east-1", endpoint_url=invoke_server.url, overrides={}, sleep=lambda s: None)
    arn = "arn:aws:lambda:us-east-1:111122223333:function:my-pre"
    got = inv.pre_annotate(arn, "arn:aws:sagemaker:us-east-1:123456789012:labeling-job/j", {"source": "hi"})
    assert got == lambdas.PreAnnotation({"text": "HI"}, False)
    name, event = invoke_server.calls[-1]
    assert name == "my-pre"
    assert event == {"version": "2018-10-16", "labelingJobArn": "arn:aws:sagemaker:us-east-1:123456789012:labeling-job/j",
                     "dataObject": {"source": "hi"}}


def test_errors_are_retried_then_reported_and_overrides_pick_the_url(invoke_server):
    attempts = {"n": 0}

    def flaky(event):
        attempts["n"] += 1
        if attempts["n"] < 3:
            raise RuntimeError("cold start")
        return {"taskInput": {}, "isHumanAnnotationRequired": True}

    invoke_server.functions["flaky"] = flaky
    invoke_server.functions["broken"] = lambda e: {"no": "taskInput"}
    slept = []
    # no default endpoint: only the per-function override points at the test server
    inv = lambdas.LambdaInvoker(region="us-east-1", endpoint_url=None,
                                overrides={"arn:aws:lambda:us-east-1:111122223333:function:flaky": invoke_server.url,
                                           "broken": invoke_server.url, "dead": invoke_server.url},
                                attempts=3, sleep=slept.append)
    assert inv.pre_annotate("arn:aws:lambda:us-east-1:111122223333:function:flaky", "j", {}).human_required
    assert attempts["n"] == 3 and len(slept) == 2 and slept[1] > slept[0] / 4
    with pytest.raises(lambdas.LambdaFailed, match="taskInput"):
        inv.pre_annotate("arn:aws:lambda:us-east-1:111122223333:function:broken", "j", {})
    with pytest.raises(lambdas.LambdaFailed, match="failed 3 times"):
        inv.invoke("arn:aws:lambda:us-east-1:111122223333:function:dead", {})


def test_post_event_and_answer_shapes():
    ev = lambdas.post_event("arn:j", label_attribute="cat", label_categories=["a"], role_arn="arn:r",
                            request_uri="s3://o/req.json", output_prefix_uri="s3://o/annotations")
    assert ev["payload"] == {"s3Uri": "s3://o/req.json"} and ev["labelAttributeName"] == "cat"
    got = lambdas.parse_post_response([{"datasetObjectId": "4", "consolidatedAnnotation": {"content": {"cat": {"x": 1}}}}],
                                      "cat")
    assert got == {"4": {"x": 1}}
    with pytest.raises(ValueError, match="consolidatedAnnotation"):
        lambdas.parse_post_response([{"datasetObjectId": "4", "consolidatedAnnotation": {"content": {}}}], "cat")


# ---- output layout ------------------------------------------------------------------------------


def test_ground_truth_output_layout_and_lines():
    layout = output.JobLayout("s3://out/runs/", "my-job")
    assert layout.output_manifest == "runs/my-job/manifests/output/output.manifest"
    assert layout.worker_response(3, 0).startswith("runs/my-job/annotations/worker-response/iteration-1/3/")
    assert "consolidation-request/iteration-1/b1.json" in layout.consolidation_request("b1")
    assert "consolidation-response/iteration-1/b1.json" in layout.consolidation_response("b1")
    meta = output.metadata(TaskType.TEXT_CLASSIFICATION, "my-job", 1_540_000_000_123, **{"class-name": "Pos", "confidence": 0.9})
    assert meta == {"class-name": "Pos", "confidence": 0.9, "type": "groundtruth/text-classification",
                    "job-name": "labeling-job/my-job", "human-annotated": "yes",
                    "creation-date": "2018-10-20T01:46:40.123000"}
    line = output.output_line({"source": "x", "earlier": 1, "earlier-metadata": {}}, "sentiment", 0, meta)
    assert list(line) == ["source", "earlier", "earlier-metadata", "sentiment", "sentiment-metadata"]
    item = output.consolidation_request_item(3, {"source": "txt"}, [{"workerId": "w1", "answerContent": {"a": 1}}])
    assert item == {"datasetObjectId": "3", "dataObject": {"content": "txt"},
                    "annotations": [{"workerId": "w1", "annotationData": {"content": '{"a":1}'}}]}


# ---- CLI helpers --------------------------------------------------------------------------------


def test_manifest_filter_keeps_matching_single_and_multi_label_lines_unchanged():
    from hitl_service.jobs.cli import filter_lines

    lines = [
        json.dumps({"source-ref": "a", "species": 1, "species-metadata": {"class-name": "dog"}}).encode(),
        json.dumps({"source-ref": "b", "species": 0, "species-metadata": {"class-name": "cat"}}).encode(),
        json.dumps({"source-ref": "c", "species": [0, 1], "species-metadata": {"class-map": {"0": "cat", "1": "dog"}}}).encode(),
        json.dumps({"source-ref": "d", "species-metadata": {"failure-reason": "x"}}).encode(),
        b"", b"not json",
    ]
    assert list(filter_lines(lines, "species", "dog")) == [lines[0], lines[2]]
    assert list(filter_lines(lines, "other", "dog")) == []


def test_watch_progress_line():
    from hitl_service.jobs.cli import progress_line

    line = progress_line({"total": "10", "human_labeled": "4", "failed": "1", "status": "InProgress"}, width=10)
    assert line == "[#####.....] 4/10 labelled, 1 failed  InProgress"
