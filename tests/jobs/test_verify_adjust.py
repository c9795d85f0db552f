"""Verification and adjustment jobs chained on an earlier job's output manifest: boto3, a Celery worker,
moto S3, bot reviewers over HTTP; and the create-time checks GT documents for them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from botocore.exceptions import ClientError
from playwright.sync_api import expect

from hitl_service.domain.labeling import TaskType
from tests.conftest import wait_until
from tests.jobs.helpers import Bot, job_request
from tests.jobs.test_e2e import BUCKET, DATE, finished, job_worker, read_lines, s3  # noqa: F401 - fixtures
from tests.jobs.test_browser import open_first_task, page  # noqa: F401 - the Chromium page fixture
from tests.review.conftest import browser  # noqa: F401 - the shared Chromium fixture
from tests.support import resources as R


def cats(*labels: str, audit: str | None = None) -> bytes:
    doc = {"document-version": "2018-11-28", "labels": [{"label": x} for x in labels]}
    if audit:
        doc["auditLabelAttributeName"] = audit
    return json.dumps(doc).encode()


def output_of(job: str) -> str:
    """Where ``run`` puts a job's output manifest: the next job's input."""
    return f"s3://{BUCKET}/audit/{job}/manifests/output/output.manifest"


def run(sm, s3, name: str, team_arn: str, ui_arn: str, *, manifest: str, task_type: TaskType, attribute: str,
        categories: bytes, bots: list[Bot], answer_for, workers: int = 1) -> tuple[dict, list[dict]]:
    """Create a job on ``manifest``, let the bots answer everything, return (describe, output lines)."""
    s3.put_object(Bucket=BUCKET, Key=f"in/{name}-cats.json", Body=categories)
    sm.create_labeling_job(**job_request(name, team_arn, ui_arn, task_type=task_type, manifest=manifest,
                                         categories=f"s3://{BUCKET}/in/{name}-cats.json",
                                         output=f"s3://{BUCKET}/audit", attribute=attribute, workers=workers))

    def work():
        for i, bot in enumerate(bots):
            bot.work(lambda task, i=i: answer_for(i, task))
        return finished(sm, name)

    d = wait_until(work, timeout=90, interval=0.2, message=f"job {name} to finish")
    assert d["LabelingJobStatus"] == "Completed", d.get("FailureReason")
    uri = d["LabelingJobOutput"]["OutputDatasetS3Uri"]
    return d, read_lines(s3, uri.split(f"{BUCKET}/", 1)[1])


def test_classify_then_verify_keeps_both_labels_and_writes_worker_feedback(sm, service, s3, job_worker):
    group = R.unique("verifiers")
    team_arn, ui_arn = R.create_team(sm, groups=(group,))[1], R.create_ui(sm)[1]
    images = ["cat-1.jpg", "dog-2.jpg", "cat-3.jpg"]
    s3.put_object(Bucket=BUCKET, Key="in/pets-img.manifest",
                  Body="\n".join(json.dumps({"source-ref": f"s3://{BUCKET}/img/{i}", "n": n})
                                 for n, i in enumerate(images)).encode())
    first, second = R.unique("species"), R.unique("species-check")
    labeller = Bot(service, R.unique("labeller"), [group])
    # the labeller calls every image a cat: one of three labels is wrong
    _, lines1 = run(sm, s3, first, team_arn, ui_arn, manifest=f"s3://{BUCKET}/in/pets-img.manifest",
                    task_type=TaskType.IMAGE_CLASSIFICATION, attribute="species", categories=cats("cat", "dog"),
                    bots=[labeller], answer_for=lambda i, t: {"crowd-image-classifier": {"label": "cat"}})
    assert [x["species-metadata"]["class-name"] for x in lines1] == ["cat", "cat", "cat"]

    seen = []

    def verify(i, task):
        ti = task["input"]
        # the earlier label is what the reviewer is shown, and GT's manifestLine carries the whole line
        assert ti["overlay"] == {"classification": {"label": "cat"}} and ti["initialValue"] == "cat"
        assert ti["manifestLine"]["species-metadata"]["class-name"] == "cat"
        assert ti["auditLabelAttributeName"] == "species" and ti["labels"] == ["correct", "incorrect"]
        seen.append(ti["taskObject"])
        wrong = "dog" in ti["taskObject"]
        answer = {"label": "incorrect" if wrong else "correct"}
        if wrong:
            answer["workerComment"] = f"reviewer {i}: this is a dog"
        return {"crowd-image-classifier": answer}

    verifiers = [Bot(service, R.unique("verifier"), [group]) for _ in range(2)]
    d, lines = run(sm, s3, second, team_arn, ui_arn, manifest=output_of(first), task_type=TaskType.VERIFICATION_BOUNDING_BOX,
                   attribute="species-check", categories=cats("correct", "incorrect", audit="species"),
                   bots=verifiers, answer_for=verify, workers=2)
    assert len(seen) == 6 and d["LabelCounters"]["HumanLabeled"] == 3
    assert [x["n"] for x in lines] == [0, 1, 2]
    for line in lines:
        assert line["species"] == 0 and line["species-metadata"]["job-name"] == f"labeling-job/{first}"
        meta = line["species-check-metadata"]
        wrong = "dog" in line["source-ref"]
        assert line["species-check"] == ("1" if wrong else "0")
        assert meta["class-name"] == ("incorrect" if wrong else "correct")
        assert meta["type"] == "groundtruth/label-verification"
        assert meta["job-name"] == f"labeling-job/{second}" and meta["human-annotated"] == "yes"
        assert DATE.match(meta["creation-date"]) and 0 < meta["confidence"] <= 1
        if wrong:
            assert sorted(c["comment"] for c in meta["worker-feedback"]) == \
                ["reviewer 0: this is a dog", "reviewer 1: this is a dog"]
            assert list(meta)[-1] == "worker-feedback"
        else:
            assert "worker-feedback" not in meta   # GT leaves the field out when nobody commented


def test_boxes_then_adjust_marks_adjusted_and_unadjusted(sm, service, s3, job_worker):
    group = R.unique("adjusters")
    team_arn, ui_arn = R.create_team(sm, groups=(group,))[1], R.create_ui(sm)[1]
    s3.put_object(Bucket=BUCKET, Key="in/street.manifest",
                  Body="\n".join(json.dumps({"source-ref": f"s3://{BUCKET}/img/street-{n}.jpg"}) for n in range(2)).encode())
    first, second = R.unique("vehicles"), R.unique("vehicles-fixed")
    drawn = [{"label": "car", "left": 10, "top": 20, "width": 100, "height": 50},
             {"label": "bike", "left": 200, "top": 40, "width": 30, "height": 60}]
    size = {"width": 400, "height": 300}
    drawer = Bot(service, R.unique("drawer"), [group])
    _, lines1 = run(sm, s3, first, team_arn, ui_arn, manifest=f"s3://{BUCKET}/in/street.manifest",
                    task_type=TaskType.BOUNDING_BOX, attribute="vehicles", categories=cats("car", "bike"),
                    bots=[drawer], answer_for=lambda i, t: {"boxes": {"boundingBoxes": drawn,
                                                                       "inputImageProperties": size}})
    assert lines1[0]["vehicles-metadata"]["class-map"] == {"0": "car", "1": "bike"}

    def adjust(i, task):
        ti = task["input"]
        assert ti["initialValue"] == drawn   # the earlier boxes, in crowd-bounding-box's initial-value shape
        assert ti["overlay"]["boundingBox"]["value"] == drawn
        if ti["taskObject"].endswith("street-1.jpg"):
            moved = [dict(drawn[0], left=14, width=90), drawn[1]]
            return {"boxes": {"boundingBoxes": moved, "inputImageProperties": size, "initialValueModified": True}}
        # an API answer without the element's flag: compared with the earlier boxes (same boxes, other order)
        return {"boxes": {"boundingBoxes": drawn[::-1], "inputImageProperties": size}}

    _, lines = run(sm, s3, second, team_arn, ui_arn, manifest=output_of(first),
                   task_type=TaskType.ADJUSTMENT_BOUNDING_BOX, attribute="vehicles-fixed",
                   categories=cats("car", "bike", audit="vehicles"), bots=[Bot(service, R.unique("fixer"), [group])],
                   answer_for=adjust)
    for line in lines:
        assert line["vehicles"] == lines1[0]["vehicles"] and "vehicles-metadata" in line
        meta = line["vehicles-fixed-metadata"]
        assert meta["type"] == "groundtruth/object-detection" and meta["job-name"] == f"labeling-job/{second}"
        assert meta["class-map"] == {"0": "car", "1": "bike"} and meta["human-annotated"] == "yes"
    by_image = {x["source-ref"].rsplit("/", 1)[1]: x for x in lines}
    assert by_image["street-0.jpg"]["vehicles-fixed-metadata"]["adjustment-status"] == "unadjusted"
    assert by_image["street-1.jpg"]["vehicles-fixed-metadata"]["adjustment-status"] == "adjusted"
    car = [a for a in by_image["street-1.jpg"]["vehicles-fixed"]["annotations"] if a["class_id"] == 0][0]
    assert (car["left"], car["width"]) == (14, 90)


def _mask(width_painted: int) -> str:
    import base64
    import io

    from PIL import Image

    img = Image.new("RGBA", (8, 8), (0, 0, 0, 0))
    for x in range(width_painted):
        for y in range(8):
            img.putpixel((x, y), (0x2c, 0xa0, 0x2c, 255))
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    return base64.b64encode(buf.getvalue()).decode()


def test_masks_then_adjust_start_from_the_earlier_mask(sm, service, s3, job_worker):
    group = R.unique("maskers")
    team_arn, ui_arn = R.create_team(sm, groups=(group,))[1], R.create_ui(sm)[1]
    s3.put_object(Bucket=BUCKET, Key="in/fields.manifest",
                  Body="\n".join(json.dumps({"source-ref": f"s3://{BUCKET}/img/field-{n}.png"}) for n in range(2)).encode())
    first, second = R.unique("crop"), R.unique("crop-fixed")
    mappings = {"crop": {"color": "#2ca02c"}}

    def paint(width, **extra):
        return {"seg": {"labeledImage": {"pngImageData": _mask(width)}, "labelMappings": mappings,
                        "inputImageProperties": {"width": 8, "height": 8}, **extra}}

    _, lines1 = run(sm, s3, first, team_arn, ui_arn, manifest=f"s3://{BUCKET}/in/fields.manifest",
                    task_type=TaskType.SEMANTIC_SEGMENTATION, attribute="crop-ref", categories=cats("crop"),
                    bots=[Bot(service, R.unique("painter"), [group])], answer_for=lambda i, t: paint(4))
    earlier = {x["source-ref"]: x["crop-ref"] for x in lines1}

    def adjust(i, task):
        ti = task["input"]
        assert ti["initialValue"] == {"src": earlier[ti["taskObject"]], "labelMappings": mappings}
        if ti["taskObject"].endswith("field-1.png"):
            return paint(6, initialValueModified=True)
        return paint(4, initialValueModified=False)

    _, lines = run(sm, s3, second, team_arn, ui_arn, manifest=output_of(first),
                   task_type=TaskType.ADJUSTMENT_SEMANTIC_SEGMENTATION, attribute="crop-fixed-ref",
                   categories=cats("crop", audit="crop-ref"), bots=[Bot(service, R.unique("repainter"), [group])],
                   answer_for=adjust)
    by_image = {x["source-ref"].rsplit("/", 1)[1]: x for x in lines}
    for name, status in (("field-0.png", "unadjusted"), ("field-1.png", "adjusted")):
        line = by_image[name]
        meta = line["crop-fixed-ref-metadata"]
        assert line["crop-ref"] == earlier[line["source-ref"]]   # the earlier mask stays
        assert line["crop-fixed-ref"].startswith(f"s3://{BUCKET}/audit/{second}/annotations/consolidated-annotation/output/")
        assert meta["adjustment-status"] == status and meta["type"] == "groundtruth/semantic-segmentation"
        assert meta["internal-color-map"]["1"]["class-name"] == "crop"


# ---- create-time checks (the service reads the category file and the manifest's start) ---------


@pytest.fixture
def local(service):
    """A bucket in the service's own storage (local backend), so CreateLabelingJob can read it."""
    bucket = R.unique("audit-local")
    root = Path(service.settings.data_dir, "s3", bucket)
    root.mkdir(parents=True)
    return bucket, root


def _refused(sm, req) -> str:
    with pytest.raises(ClientError) as err:
        sm.create_labeling_job(**req)
    e = err.value.response["Error"]
    assert e["Code"] == "ValidationException", e
    return e["Message"]


def test_audit_jobs_are_refused_without_a_usable_earlier_label(sm, local):
    bucket, root = local
    team_arn, ui_arn = R.create_team(sm)[1], R.create_ui(sm)[1]
    earlier = {"source-ref": f"s3://{bucket}/a.jpg", "boxes": {"annotations": []},
               "boxes-metadata": {"type": "groundtruth/object-detection", "class-map": {}}}
    (root / "in.manifest").write_text(json.dumps(earlier) + "\n")
    (root / "plain.manifest").write_text(json.dumps({"source-ref": f"s3://{bucket}/a.jpg"}) + "\n")
    (root / "no-audit.json").write_bytes(cats("good", "bad"))
    (root / "audit.json").write_bytes(cats("good", "bad", audit="boxes"))

    def req(attribute="boxes-check", categories="audit.json", manifest="in.manifest",
            task_type=TaskType.VERIFICATION_BOUNDING_BOX):
        return job_request(R.unique("audit"), team_arn, ui_arn, task_type=task_type, attribute=attribute,
                           manifest=f"s3://{bucket}/{manifest}", categories=f"s3://{bucket}/{categories}",
                           output=f"s3://{bucket}/out")

    msg = _refused(sm, req(categories="no-audit.json"))
    assert msg.startswith("LabelCategoryConfigS3Uri: auditLabelAttributeName is required for a VerificationBoundingBox job")
    assert "LabelAttributeName boxes must differ from auditLabelAttributeName" in _refused(sm, req(attribute="boxes"))
    msg = _refused(sm, req(manifest="plain.manifest"))
    assert msg.startswith("InputConfig.DataSource.S3DataSource.ManifestS3Uri: line 1 has no 'boxes' label")
    # GT: a segmentation adjustment's attribute ends in -ref, a segmentation verification's must not
    assert "may end with '-ref' only" in _refused(sm, req(attribute="check-ref",
                                                          task_type=TaskType.VERIFICATION_SEMANTIC_SEGMENTATION))
    assert "must end with '-ref'" in _refused(sm, req(attribute="mask",
                                                      task_type=TaskType.ADJUSTMENT_SEMANTIC_SEGMENTATION))
    msg = _refused(sm, req(task_type=TaskType.ADJUSTMENT_SEMANTIC_SEGMENTATION, attribute="mask-ref"))
    assert "line 1 its 'boxes' label is of type 'groundtruth/object-detection'" in msg
    # all good: created
    assert sm.create_labeling_job(**req())["LabelingJobArn"]


def test_auto_labeling_a_small_manifest_is_refused_at_create(sm, local):
    bucket, root = local
    team_arn, ui_arn = R.create_team(sm)[1], R.create_ui(sm)[1]
    (root / "small.manifest").write_text("".join(json.dumps({"source": f"text {i}"}) + "\n" for i in range(40)))
    (root / "cats.json").write_bytes(cats("Positive", "Negative"))
    r = job_request(R.unique("al-small"), team_arn, ui_arn, manifest=f"s3://{bucket}/small.manifest",
                    categories=f"s3://{bucket}/cats.json", output=f"s3://{bucket}/out")
    r["LabelingJobAlgorithmsConfig"] = {"LabelingJobAlgorithmSpecificationArn":
                                        "arn:aws:sagemaker:us-east-1:027400017018:labeling-job-algorithm-specification/"
                                        "text-classification"}
    msg = _refused(sm, r)
    assert msg == ("InputConfig.DataSource.S3DataSource.ManifestS3Uri: automated data labeling "
                   "(LabelingJobAlgorithmsConfig) needs at least 1250 data objects, the manifest has 40")


# ---- in Chromium: what the reviewer sees and what is stored ------------------------------------

ADJUST_TEMPLATE = """<script src="https://assets.crowd.aws/crowd-html-elements.js"></script>
<crowd-form>
  <crowd-bounding-box name="boxes" src="{{ task.input.taskObject | grant_read_access }}"
                      header="{{ task.input.header }}" labels="{{ task.input.labels | to_json | escape }}"
                      initial-value="{{ task.input.initialValue | to_json | escape }}">
    <short-instructions>Fix the boxes</short-instructions>
  </crowd-bounding-box>
</crowd-form>
"""

VERIFY_TEMPLATE = """<script src="https://assets.crowd.aws/crowd-html-elements.js"></script>
<crowd-form>
  <crowd-image-classifier name="verdict" src="{{ task.input.taskObject | grant_read_access }}"
                          header="{{ task.input.header }}" categories="{{ task.input.labels | to_json | escape }}"
                          overlay="{{ task.input.overlay | to_json | escape }}">
    <short-instructions>Is the label right?</short-instructions>
    <worker-comment header="What is wrong?"></worker-comment>
  </crowd-image-classifier>
</crowd-form>
"""

EARLIER_BOXES = [{"class_id": 0, "left": 40, "top": 30, "width": 200, "height": 100},
                 {"class_id": 1, "left": 260, "top": 150, "width": 80, "height": 120}]


def _browser_job(service, sm, worker_factory, local, *, template, task_type, attribute, labels, lines, group):
    """A job on the service's local storage whose manifest is ``lines`` (an earlier job's output)."""
    from PIL import Image

    from tests.conftest import make_settings

    # the worker reads the manifest from, and the page serves the image out of, the service's data dir
    worker_factory(make_settings(service.settings.redis_url, service.settings.data_dir,
                                 reaper_interval_seconds=0.3), beat=True)
    bucket, data = local
    Image.new("RGB", (400, 300), "lightsteelblue").save(data / "street.png")
    image = {"source-ref": f"s3://{bucket}/street.png"}
    (data / "in.manifest").write_text("".join(json.dumps({**line, **image}) + "\n" for line in lines))
    (data / "cats.json").write_bytes(cats(*labels, audit="vehicles"))
    team_arn = R.create_team(sm, groups=[group])[1]
    ui_arn = R.create_ui(sm, template=template)[1]
    name = R.unique("audit-job")
    sm.create_labeling_job(**job_request(name, team_arn, ui_arn, task_type=task_type, attribute=attribute,
                                         manifest=f"s3://{bucket}/in.manifest", categories=f"s3://{bucket}/cats.json",
                                         output=f"s3://{bucket}/out", workers=1))
    return name, data


def _completed_lines(sm, name, data) -> list[dict]:
    wait_until(lambda: sm.describe_labeling_job(LabelingJobName=name)["LabelingJobStatus"] == "Completed",
               message=f"{name} to complete")
    out = data / "out" / name / "manifests" / "output" / "output.manifest"
    return [json.loads(x) for x in out.read_text().splitlines()]


def test_reviewer_adjusts_pre_drawn_boxes_in_the_browser(service, sm, worker_factory, page, local):
    earlier = {"vehicles": {"image_size": [{"width": 400, "height": 300, "depth": 3}], "annotations": EARLIER_BOXES},
               "vehicles-metadata": {"type": "groundtruth/object-detection", "class-map": {"0": "car", "1": "bike"},
                                     "job-name": "labeling-job/boxes", "human-annotated": "yes"}}
    name, data = _browser_job(service, sm, worker_factory, local, template=ADJUST_TEMPLATE,
                              task_type=TaskType.ADJUSTMENT_BOUNDING_BOX, attribute="fixed", labels=("car", "bike"),
                              lines=[dict(earlier, n=0), dict(earlier, n=1)], group="box-fixers")
    open_first_task(page, service, sm, name, "fixer", "box-fixers")
    fl = page.frame_locator("#task-frame")
    want = [{"label": "car", "left": 40, "top": 30, "width": 200, "height": 100},
            {"label": "bike", "left": 260, "top": 150, "width": 80, "height": 120}]

    # object 0: the earlier boxes are drawn; the reviewer moves the car box 20 px right
    fl.locator("crowd-bounding-box[image-loaded]").wait_for()
    expect(fl.locator("crowd-bounding-box .bbox")).to_have_count(2)
    element = fl.locator("crowd-bounding-box")
    assert element.evaluate("e => e.value.boundingBoxes") == want
    img = fl.locator("crowd-bounding-box .simg")
    img.scroll_into_view_if_needed()
    box = img.bounding_box()
    sx, sy = box["width"] / 400, box["height"] / 300
    x0, y0 = box["x"] + 140 * sx, box["y"] + 80 * sy
    page.mouse.move(x0, y0)
    page.mouse.down()
    page.mouse.move(x0 + 10 * sx, y0, steps=3)
    page.mouse.move(x0 + 20 * sx, y0, steps=3)
    page.mouse.up()
    moved = element.evaluate("e => e.value")
    assert moved["initialValueModified"] is True and abs(moved["boundingBoxes"][0]["left"] - 60) <= 2
    page.get_by_role("button", name="Submit").click()

    # object 1 (a fresh frame): the reviewer finds the boxes right and submits them as they are
    def fresh_and_unchanged():
        try:
            return fl.locator("crowd-bounding-box[image-loaded]").evaluate(
                "e => e.value.initialValueModified === false && e.value.boundingBoxes.length", timeout=1000) == 2
        except Exception:  # noqa: BLE001 - the old frame is going away
            return False
    wait_until(fresh_and_unchanged, message="the second object's pre-drawn boxes")
    expect(fl.locator("crowd-bounding-box .bbox")).to_have_count(2)
    page.get_by_role("button", name="Submit").click()
    expect(page.get_by_text("All done: no more tasks are waiting.")).to_be_visible()

    lines = sorted(_completed_lines(sm, name, data), key=lambda x: x["fixed-metadata"]["adjustment-status"])
    assert [x["fixed-metadata"]["adjustment-status"] for x in lines] == ["adjusted", "unadjusted"]
    for line in lines:
        assert line["vehicles"]["annotations"] == EARLIER_BOXES   # the earlier label stays
        assert line["fixed-metadata"]["type"] == "groundtruth/object-detection"
    car = [a for a in lines[0]["fixed"]["annotations"] if a["class_id"] == 0][0]
    assert abs(car["left"] - 60) <= 2 and car["top"] == 30
    assert sorted((a["class_id"], a["left"]) for a in lines[1]["fixed"]["annotations"]) == [(0, 40), (1, 260)]


def test_reviewer_verifies_an_earlier_label_drawn_on_the_image_in_the_browser(service, sm, worker_factory, page,
                                                                             local):
    # one earlier classification and one earlier box label (the same attribute) to verify
    classified = {"vehicles": 0, "vehicles-metadata": {"type": "groundtruth/image-classification", "class-name": "car"}}
    boxed = {"vehicles": {"image_size": [{"width": 400, "height": 300, "depth": 3}], "annotations": EARLIER_BOXES[:1]},
             "vehicles-metadata": {"type": "groundtruth/object-detection", "class-map": {"0": "car"}}}
    name, data = _browser_job(service, sm, worker_factory, local, template=VERIFY_TEMPLATE,
                              task_type=TaskType.VERIFICATION_BOUNDING_BOX, attribute="check",
                              labels=("correct", "incorrect"), lines=[dict(classified, n=0), dict(boxed, n=1)],
                              group="checkers")
    open_first_task(page, service, sm, name, "checker", "checkers")
    fl = page.frame_locator("#task-frame")
    answers = {}
    ovl = fl.locator("crowd-image-classifier svg.ovl")
    expect(ovl.locator("g")).to_have_count(1)
    order = ["class", "box"] if fl.locator("crowd-image-classifier .ovl-class").count() else ["box", "class"]
    for kind in order:
        # wait for this object's frame (the previous one shows the other kind)
        expect(fl.locator(f"crowd-image-classifier .ovl-{kind}")).to_have_count(1)
        if kind == "class":
            # the earlier class is written across the image
            expect(fl.locator("crowd-image-classifier .ovl-class text")).to_have_text("car")
            fl.get_by_role("radio", name="correct", exact=True).click()
            answers[0] = "correct"
        else:
            # the earlier box is drawn where the earlier job put it
            rect = fl.locator("crowd-image-classifier .ovl-box[data-label=car] rect")
            assert [rect.get_attribute(k) for k in ("x", "y", "width", "height")] == ["40", "30", "200", "100"]
            fl.get_by_role("radio", name="incorrect", exact=True).click()
            fl.get_by_role("button", name="Add a comment").click()
            fl.get_by_role("textbox", name="What is wrong?").fill("The box misses the car's front")
            answers[1] = "incorrect"
        page.get_by_role("button", name="Submit").click()
    expect(page.get_by_text("All done: no more tasks are waiting.")).to_be_visible()

    lines = sorted(_completed_lines(sm, name, data), key=lambda x: x["n"])
    assert [x["check-metadata"]["class-name"] for x in lines] == [answers[0], answers[1]]
    assert [x["check"] for x in lines] == ["0", "1"]
    assert "worker-feedback" not in lines[0]["check-metadata"]
    assert lines[1]["check-metadata"]["worker-feedback"] == [{"comment": "The box misses the car's front"}]
    assert lines[1]["check-metadata"]["type"] == "groundtruth/label-verification"
    assert lines[0]["vehicles-metadata"]["class-name"] == "car"   # the earlier label stays


# ---- the docs walkthrough runs as printed ------------------------------------------------------


def test_docs_walkthrough_chains_boxes_verify_adjust(service, worker_factory, tmp_path, monkeypatch, capsys):
    import re

    from tests.conftest import ACCESS_KEY, ROOT, SECRET_KEY, make_settings

    worker_factory(make_settings(service.settings.redis_url, str(tmp_path / "var" / "data"),
                                 reaper_interval_seconds=0.3), beat=True)
    text = (ROOT / "docs" / "verify-adjust-autolabel.md").read_text()
    code = re.search(r"## Walkthrough: boxes.*?```python\n(.*?)```", text, re.S).group(1)
    code = code.replace('"http://127.0.0.1:8080', '"' + service.url)
    code = code.replace('aws_access_key_id="AKIA..."', f"aws_access_key_id={ACCESS_KEY!r}")
    code = code.replace('aws_secret_access_key="..."', f"aws_secret_access_key={SECRET_KEY!r}")
    Bot(service, "auditor1", ["auditors"], password="bot-password-2")
    monkeypatch.chdir(tmp_path)
    exec(compile(code, "verify-adjust-autolabel.md", "exec"), {})
    printed = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    assert [x["source-ref"] for x in printed] == ["s3://gt-audit/street-1.png", "s3://gt-audit/street-2.png"]
    for line, left in zip(printed, (80, 120)):
        assert line["vehicles"]["annotations"][0]["left"] == 40
        assert line["vehicles-check-metadata"]["worker-feedback"] == [{"comment": f"the car starts at x={left}"}]
        assert line["vehicles-fixed"]["annotations"][0]["left"] == left
        assert line["vehicles-fixed-metadata"]["adjustment-status"] == "adjusted"
    shown = json.loads(re.search(r"## Walkthrough: boxes.*?```json\n(.*?)\n```", text, re.S).group(1))
    assert set(shown) == set(printed[0])
    for key in ("vehicles-metadata", "vehicles-check-metadata", "vehicles-fixed-metadata"):
        assert set(shown[key]) == set(printed[0][key])
