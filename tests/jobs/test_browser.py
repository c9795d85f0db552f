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
