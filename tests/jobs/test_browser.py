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
    wait_until(lambda: sm.describe_labeling_job(LabelingJobName="browser-job")["LabelingJobStatus"] == "InProgress",
               message="the job to start")
    reviewers.add_reviewer(service.ctx, "jo", "correct-horse", ["browser-raters"])
    login(page, service, "jo", "correct-horse")
    page.get_by_role("button", name="Start working").click()

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
