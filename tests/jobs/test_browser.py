"""A reviewer labels a text classification job's objects in Chromium, on the same page loops use."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from playwright.sync_api import expect

from hitl_service.services import reviewers
from tests.conftest import make_settings, wait_until
from tests.jobs.helpers import TEXT_TEMPLATE, categories_doc, job_request
from tests.review.conftest import browser  # noqa: F401 - the shared Chromium fixture
from tests.review.test_crowd_elements import SPAN_RECT_JS
from tests.review.test_review_page import login
from tests.support import resources as R


@pytest.fixture
def page(browser):  # noqa: F811
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    pg = context.new_page()
    yield pg
    context.close()


def open_first_task(page, service, sm, job: str, reviewer: str, group: str) -> None:
    """Once the job is running, sign a new reviewer of ``group`` in and press Start working."""
    wait_until(lambda: sm.describe_labeling_job(LabelingJobName=job)["LabelingJobStatus"] == "InProgress",
               message="the job to start")
    reviewers.add_reviewer(service.ctx, reviewer, "correct-horse", [group])
    login(page, service, reviewer, "correct-horse")
    page.get_by_role("button", name="Start working").click()


def test_reviewer_labels_job_objects_in_the_browser(service, sm, worker_factory, tmp_path, page):
    worker_factory(make_settings(service.settings.redis_url, str(tmp_path), reaper_interval_seconds=0.3), beat=True)
    data = Path(tmp_path, "s3", "gt-browser")
    data.mkdir(parents=True)
    (data / "in.manifest").write_text("\n".join(json.dumps({"source": t}) for t in ["Great pasta", "Rude waiter"]))
    (data / "cats.json").write_bytes(categories_doc("Positive", "Negative", short="Judge the whole review"))
    team_arn = R.create_team(sm, groups=["browser-raters"])[1]
    ui_arn = R.create_ui(sm, template=TEXT_TEMPLATE)[1]
    sm.create_labeling_job(**job_request("browser-job", team_arn, ui_arn, manifest="s3://gt-browser/in.manifest",
                                         categories="s3://gt-browser/cats.json", output="s3://gt-browser/out",
                                         workers=1))
    open_first_task(page, service, sm, "browser-job", "jo", "browser-raters")

    expect(page.get_by_role("heading", name="Sentiment")).to_be_visible()
    expect(page.get_by_text("Pick the sentiment of the sentence")).to_be_visible()
    expect(page.get_by_text("Judge the whole review")).to_be_visible()
    expect(page.locator("#time-left")).to_contain_text("Time left")
    frame = page.frame_locator("#task-frame")
    for text, label in (("Great pasta", "Positive"), ("Rude waiter", "Negative")):
        expect(frame.get_by_text(text)).to_be_visible()
        frame.get_by_role("radio", name=label, exact=True).click()
        page.get_by_role("button", name="Submit").click()
    expect(page.get_by_text("All done: no more tasks are waiting.")).to_be_visible()

    d = wait_until(lambda: (lambda x: x if x["LabelingJobStatus"] == "Completed" else None)(
        sm.describe_labeling_job(LabelingJobName="browser-job")), message="the job to complete")
    out = Path(tmp_path, "s3", "gt-browser", "out", "browser-job", "manifests", "output", "output.manifest")
    lines = [json.loads(x) for x in out.read_text().splitlines()]
    assert [(x["source"], x["sentiment-metadata"]["class-name"]) for x in lines] == \
        [("Great pasta", "Positive"), ("Rude waiter", "Negative")]
    assert d["LabelCounters"]["HumanLabeled"] == 2


BOX_TEMPLATE = """<script src="https://assets.crowd.aws/crowd-html-elements.js"></script>
<crowd-form>
  <crowd-bounding-box name="annotatedResult" src="{{ task.input.taskObject | grant_read_access }}"
                      header="{{ task.input.header }}" labels="{{ task.input.labels | to_json | escape }}">
    <short-instructions>{{ task.input.shortInstruction }}</short-instructions>
  </crowd-bounding-box>
</crowd-form>
"""


def test_reviewer_draws_a_bounding_box_for_a_job_in_the_browser(service, sm, worker_factory, page):
    import io

    from PIL import Image

    from hitl_service.domain.labeling import TaskType

    # the worker reads the manifest from, and the page serves the image out of, the service's data dir
    worker_factory(make_settings(service.settings.redis_url, service.settings.data_dir,
                                 reaper_interval_seconds=0.3), beat=True)
    bucket = R.unique("gt-boxes")
    data = Path(service.settings.data_dir, "s3", bucket)
    data.mkdir(parents=True)
    buf = io.BytesIO()
    Image.new("RGB", (400, 300), (200, 220, 240)).save(buf, format="PNG")
    (data / "street.png").write_bytes(buf.getvalue())
    (data / "in.manifest").write_text(json.dumps({"source-ref": f"s3://{bucket}/street.png"}) + "\n")
    (data / "cats.json").write_bytes(categories_doc("car", "bike", short="Box every car"))
    team_arn = R.create_team(sm, groups=["box-drawers"])[1]
    ui_arn = R.create_ui(sm, template=BOX_TEMPLATE)[1]
    sm.create_labeling_job(**job_request("box-job", team_arn, ui_arn, task_type=TaskType.BOUNDING_BOX,
                                         attribute="vehicles", manifest=f"s3://{bucket}/in.manifest",
                                         categories=f"s3://{bucket}/cats.json", output=f"s3://{bucket}/out",
                                         workers=1))
    open_first_task(page, service, sm, "box-job", "bo", "box-drawers")
    expect(page.get_by_text("Box every car")).to_be_visible()
    fl = page.frame_locator("#task-frame")
    fl.locator("crowd-bounding-box[image-loaded]").wait_for()
    img = fl.locator("crowd-bounding-box .simg")
    img.scroll_into_view_if_needed()
    box = img.bounding_box()
    sx, sy = 400 / box["width"], 300 / box["height"]
    fl.get_by_role("radio", name="car").click()
    x0, y0 = box["x"] + 40 / sx, box["y"] + 30 / sy
    x1, y1 = box["x"] + 240 / sx, box["y"] + 130 / sy
    page.mouse.move(x0, y0)
    page.mouse.down()
    page.mouse.move((x0 + x1) / 2, (y0 + y1) / 2, steps=3)
    page.mouse.move(x1, y1, steps=3)
    page.mouse.up()
    expect(fl.locator("crowd-bounding-box .bbox")).to_have_count(1)
    page.get_by_role("button", name="Submit").click()
    expect(page.get_by_text("All done: no more tasks are waiting.")).to_be_visible()

    wait_until(lambda: sm.describe_labeling_job(LabelingJobName="box-job")["LabelingJobStatus"] == "Completed",
               message="the box job to complete")
    out = data / "out" / "box-job" / "manifests" / "output" / "output.manifest"
    line = json.loads(out.read_text())
    assert line["vehicles"]["image_size"] == [{"width": 400, "height": 300, "depth": 3}]
    [drawn] = line["vehicles"]["annotations"]
    assert drawn["class_id"] == 0
    assert abs(drawn["left"] - 40) <= 3 and abs(drawn["top"] - 30) <= 3
    assert abs(drawn["width"] - 200) <= 4 and abs(drawn["height"] - 100) <= 4
    assert line["vehicles-metadata"]["class-map"] == {"0": "car"}
    assert line["vehicles-metadata"]["type"] == "groundtruth/object-detection"


# ---- the other built-in task types: one module-scoped worker and five jobs, a reviewer per job ------
# Each job has its own workteam, so each reviewer sees exactly one task; the jobs are created and
# ingested together while the first test drives its page, which keeps the module's time low.

IMAGE_CLASS_TEMPLATE = """<script src="https://assets.crowd.aws/crowd-html-elements.js"></script>
<crowd-form>
  <crowd-image-classifier name="crowd-image-classifier" src="{{ task.input.taskObject | grant_read_access }}"
      header="{{ task.input.header }}" categories="{{ task.input.labels | to_json | escape }}">
    <short-instructions>{{ task.input.shortInstruction }}</short-instructions>
  </crowd-image-classifier>
</crowd-form>
"""

IMAGE_MULTI_TEMPLATE = """<script src="https://assets.crowd.aws/crowd-html-elements.js"></script>
<crowd-form>
  <crowd-image-classifier-multi-select name="crowd-image-classifier-multi-select"
      src="{{ task.input.taskObject | grant_read_access }}" header="{{ task.input.header }}"
      categories="{{ task.input.labels | to_json | escape }}">
    <short-instructions>{{ task.input.shortInstruction }}</short-instructions>
  </crowd-image-classifier-multi-select>
</crowd-form>
"""

TEXT_MULTI_TEMPLATE = """<script src="https://assets.crowd.aws/crowd-html-elements.js"></script>
<crowd-form>
  <crowd-classifier-multi-select name="crowd-classifier-multi-select"
      categories="{{ task.input.labels | to_json | escape }}" header="{{ task.input.header }}">
    <classification-target>{{ task.input.taskObject }}</classification-target>
    <short-instructions>{{ task.input.shortInstruction }}</short-instructions>
  </crowd-classifier-multi-select>
</crowd-form>
"""

NER_TEMPLATE = """<script src="https://assets.crowd.aws/crowd-html-elements.js"></script>
<crowd-form>
  <crowd-entity-annotation name="crowd-entity-annotation" header="{{ task.input.header }}"
      labels="{{ task.input.labels | to_json | escape }}" text="{{ task.input.taskObject | escape }}">
    <short-instructions>{{ task.input.shortInstruction }}</short-instructions>
  </crowd-entity-annotation>
</crowd-form>
"""

SEGMENTATION_TEMPLATE = """<script src="https://assets.crowd.aws/crowd-html-elements.js"></script>
<crowd-form>
  <crowd-semantic-segmentation name="crowd-semantic-segmentation" src="{{ task.input.taskObject | grant_read_access }}"
      header="{{ task.input.header }}" labels="{{ task.input.labels | to_json | escape }}">
    <short-instructions>{{ task.input.shortInstruction }}</short-instructions>
  </crowd-semantic-segmentation>
</crowd-form>
"""

NER_TEXT = "Alice Smith flew to Paris in May."
# (task type, label attribute, template, labels, source of the one object: 'image' or the text)
BUILTIN_JOBS = {
    "image-single": ("IMAGE_CLASSIFICATION", "scene", IMAGE_CLASS_TEMPLATE, ("Indoor", "Outdoor"), "image"),
    "image-multi": ("IMAGE_CLASSIFICATION_MULTILABEL", "contents", IMAGE_MULTI_TEMPLATE, ("Sky", "Car", "Tree"),
                    "image"),
    "text-multi": ("TEXT_CLASSIFICATION_MULTILABEL", "topics", TEXT_MULTI_TEMPLATE, ("Sports", "Politics", "Arts"),
                   "The council voted to fund the new stadium."),
    "ner": ("NAMED_ENTITY_RECOGNITION", "entities", NER_TEMPLATE, ("person", "location"), NER_TEXT),
    "segmentation": ("SEMANTIC_SEGMENTATION", "mask-ref", SEGMENTATION_TEMPLATE, ("Sky", "Road"), "image"),
}
IMAGE_SIZE = (200, 100)


class BuiltinJobs:
    """Five running jobs of the built-in types, each with one object and its own reviewer group."""

    def __init__(self, service, sm, bucket: str, names: dict[str, str], groups: dict[str, str]):
        self.service, self.sm, self.bucket, self.names, self.groups = service, sm, bucket, names, groups

    def output_line(self, kind: str) -> dict:
        name = self.names[kind]
        wait_until(lambda: self.sm.describe_labeling_job(LabelingJobName=name)["LabelingJobStatus"] == "Completed",
                   message=f"the {kind} job to complete")
        out = Path(self.service.settings.data_dir, "s3", self.bucket, "out", name, "manifests", "output",
                   "output.manifest")
        [line] = [json.loads(x) for x in out.read_text().splitlines()]
        return line


@pytest.fixture(scope="module")
def builtin_jobs(base_service):
    """A worker with beat on the session's service and the five jobs, started once for the module."""
    import io

    from PIL import Image

    from hitl_service.domain.labeling import TaskType
    from tests.conftest import CeleryWorker

    worker = CeleryWorker(make_settings(base_service.settings.redis_url, base_service.settings.data_dir,
                                        reaper_interval_seconds=0.3), beat=True).start()
    sm = base_service.client("sagemaker")
    bucket = R.unique("gt-types")
    data = Path(base_service.settings.data_dir, "s3", bucket)
    data.mkdir(parents=True)
    img = Image.new("RGB", IMAGE_SIZE, (90, 150, 230))
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    (data / "photo.png").write_bytes(buf.getvalue())
    names, groups = {}, {}
    for kind, (task_type, attribute, template, labels, source) in BUILTIN_JOBS.items():
        line = {"source-ref": f"s3://{bucket}/photo.png"} if source == "image" else {"source": source}
        (data / f"{kind}.manifest").write_text(json.dumps(line) + "\n")
        (data / f"{kind}-cats.json").write_bytes(categories_doc(*labels, short=f"Instructions for {kind}"))
        groups[kind] = R.unique(f"{kind}-raters")
        team_arn = R.create_team(sm, groups=[groups[kind]])[1]
        ui_arn = R.create_ui(sm, template=template)[1]
        names[kind] = R.unique(f"{kind}-job")
        sm.create_labeling_job(**job_request(
            names[kind], team_arn, ui_arn, task_type=TaskType[task_type], attribute=attribute,
            manifest=f"s3://{bucket}/{kind}.manifest", categories=f"s3://{bucket}/{kind}-cats.json",
            output=f"s3://{bucket}/out", workers=1))
    yield BuiltinJobs(base_service, sm, bucket, names, groups)
    worker.stop()


def start_builtin(page, jobs: BuiltinJobs, kind: str):
    """Sign a new reviewer of the job's group in, open the task; the task frame."""
    open_first_task(page, jobs.service, jobs.sm, jobs.names[kind], R.unique(f"{kind}-rev"), jobs.groups[kind])
    expect(page.get_by_text(f"Instructions for {kind}")).to_be_visible()
    return page.frame_locator("#task-frame")


def submit_and_finish(page) -> None:
    page.get_by_role("button", name="Submit").click()
    expect(page.get_by_text("All done: no more tasks are waiting.")).to_be_visible()


def test_image_classification_single_label_in_the_browser(builtin_jobs, page):
    frame = start_builtin(page, builtin_jobs, "image-single")
    expect(frame.locator("crowd-image-classifier img.cimg")).to_be_visible()
    frame.get_by_role("radio", name="Outdoor").click()
    submit_and_finish(page)
    line = builtin_jobs.output_line("image-single")
    assert line["scene"] == 1
    assert line["scene-metadata"]["class-name"] == "Outdoor"
    assert line["scene-metadata"]["type"] == "groundtruth/image-classification"


def test_image_classification_multi_label_in_the_browser(builtin_jobs, page):
    frame = start_builtin(page, builtin_jobs, "image-multi")
    expect(frame.locator("crowd-image-classifier-multi-select img.cimg")).to_be_visible()
    frame.get_by_role("checkbox", name="Sky").click()
    frame.get_by_role("checkbox", name="Tree").click()
    submit_and_finish(page)
    line = builtin_jobs.output_line("image-multi")
    assert sorted(line["contents"]) == [0, 2]
    assert line["contents-metadata"]["class-map"] == {"0": "Sky", "2": "Tree"}
    assert line["contents-metadata"]["type"] == "groundtruth/image-classification-multilabel"


def test_text_classification_multi_label_in_the_browser(builtin_jobs, page):
    frame = start_builtin(page, builtin_jobs, "text-multi")
    expect(frame.get_by_text("The council voted to fund the new stadium.")).to_be_visible()
    frame.get_by_role("checkbox", name="Sports").click()
    frame.get_by_role("checkbox", name="Politics").click()
    submit_and_finish(page)
    line = builtin_jobs.output_line("text-multi")
    assert sorted(line["topics"]) == [0, 1]
    assert line["topics-metadata"]["class-map"] == {"0": "Sports", "1": "Politics"}
    assert line["topics-metadata"]["type"] == "groundtruth/text-classification-multilabel"


def test_named_entity_recognition_in_the_browser(builtin_jobs, page):
    frame = start_builtin(page, builtin_jobs, "ner")
    expect(frame.locator("crowd-entity-annotation")).to_be_visible()
    frame.get_by_role("radio", name="location").click()
    start = NER_TEXT.index("Paris")
    task_frame = page.locator("#task-frame").element_handle().content_frame()
    # the word's rectangle as the element rendered it (offsets in UTF-16 units: the text is ASCII)
    word = task_frame.evaluate(SPAN_RECT_JS, [start, start + len("Paris")])
    origin = page.locator("#task-frame").bounding_box()
    page.mouse.dblclick(origin["x"] + (word["x1"] + word["x2"]) / 2, origin["y"] + word["y"])
    expect(frame.locator("crowd-entity-annotation .etag")).to_have_count(1)
    submit_and_finish(page)
    line = builtin_jobs.output_line("ner")
    assert line["entities"]["annotations"]["entities"] == [
        {"label": "location", "startOffset": start, "endOffset": start + len("Paris")}]
    assert line["entities-metadata"]["type"] == "groundtruth/text-span"


def test_semantic_segmentation_in_the_browser(builtin_jobs, page):
    import io

    from PIL import Image

    frame = start_builtin(page, builtin_jobs, "segmentation")
    frame.locator("crowd-semantic-segmentation[image-loaded]").wait_for()
    canvas = frame.locator("crowd-semantic-segmentation .segworld canvas")
    canvas.scroll_into_view_if_needed()
    box = canvas.bounding_box()

    def at(x, y):
        return box["x"] + x * box["width"] / IMAGE_SIZE[0], box["y"] + y * box["height"] / IMAGE_SIZE[1]

    # the brush with the first label (Sky), dragged across the top of the picture
    page.mouse.move(*at(20, 20))
    page.mouse.down()
    page.mouse.move(*at(100, 20), steps=5)
    page.mouse.move(*at(180, 20), steps=5)
    page.mouse.up()
    expect(frame.locator("crowd-semantic-segmentation .item")).to_have_count(1)
    submit_and_finish(page)
    line = builtin_jobs.output_line("segmentation")
    meta = line["mask-ref-metadata"]
    assert meta["type"] == "groundtruth/semantic-segmentation"
    cmap = meta["internal-color-map"]
    assert {k: v["class-name"] for k, v in cmap.items()} == {"0": "BACKGROUND", "1": "Sky"}
    sky = cmap["1"]
    bucket, key = line["mask-ref"][len("s3://"):].split("/", 1)
    mask = Image.open(io.BytesIO(Path(builtin_jobs.service.settings.data_dir, "s3", bucket, key).read_bytes()))
    assert mask.size == IMAGE_SIZE
    painted = mask.convert("RGB").getpixel((100, 20))
    assert "#%02x%02x%02x" % painted == sky["hex-color"].lower()
    assert mask.convert("RGB").getpixel((100, 90)) != painted
