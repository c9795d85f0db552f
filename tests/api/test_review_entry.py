"""How a new reviewer finds and resumes work, in a real Chromium against the real service."""

from __future__ import annotations

import json
import logging

import pytest
from playwright.sync_api import expect

from hitl_service.services import reviewers
from tests.conftest import wait_until
from tests.review.conftest import browser  # noqa: F401 - the shared Chromium fixture (sets expect's timeout)
from tests.review.test_review_page import queued
from tests.support import resources as R


@pytest.fixture
def page(browser):
    context = browser.new_context()
    pg = context.new_page()
    yield pg
    context.close()


def sign_in(page, name, password):
    page.get_by_label("Reviewer name").fill(name)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()


def test_site_root_leads_to_sign_in_with_a_favicon_and_a_failed_sign_in_keeps_the_name(service, page):
    reviewers.add_reviewer(service.ctx, "nina", "correct-horse", ["raters"])
    page.goto(service.url + "/")
    expect(page.get_by_role("heading", name="Sign in to review")).to_be_visible()
    assert page.url == service.url + "/review/login"
    icon = page.locator("link[rel=icon]").get_attribute("href")
    assert page.request.get(service.url + icon).status == 200
    assert page.request.get(service.url + "/favicon.ico").headers["content-type"].startswith("image/svg+xml")

    sign_in(page, "nina", "wrong-password")
    expect(page.get_by_role("alert")).to_contain_text("wrong password")
    expect(page.get_by_label("Reviewer name")).to_have_value("nina")
    expect(page.get_by_label("Password")).to_have_value("")
    expect(page.get_by_label("Password")).to_be_focused()
    page.get_by_label("Password").fill("correct-horse")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Your queues")).to_be_visible()


def test_start_working_resumes_the_held_task_release_says_what_it_does_and_the_queue_never_says_all_done(
        service, sm, a2i, worker, page, caplog):
    caplog.set_level(logging.INFO, logger="hitl_service.services.review")
    team, team_arn = R.create_team(sm, groups=["raters"])
    _, flow_arn = R.create_flow(sm, team_arn=team_arn, task_count=2)    # two answers, from two reviewers
    reviewers.add_reviewer(service.ctx, "omar", "correct-horse", ["raters"])
    a2i.start_human_loop(HumanLoopName="held-1", FlowDefinitionArn=flow_arn,
                         HumanLoopInput={"InputContent": json.dumps({"text": "resume me"})})
    wait_until(lambda: queued(service, team) == 2, message="loop routed")

    page.goto(service.url + "/review/")
    sign_in(page, "omar", "correct-horse")
    page.get_by_role("button", name="Start working").click()
    expect(page.frame_locator("#task-frame").get_by_text("resume me")).to_be_visible()
    task_url = page.url
    page.goto(service.url + "/review/queue")
    expect(page.get_by_role("link", name="Review this (held-1)")).to_be_visible()
    page.get_by_role("button", name="Start working").click()
    expect(page.frame_locator("#task-frame").get_by_text("resume me")).to_be_visible()
    assert page.url == task_url  # the same lease, not a new claim and not "no tasks"

    page.get_by_role("button", name="Release", exact=True).click()  # opens the panel; nothing released yet
    expect(page.locator("#release-help")).to_contain_text("back in the team's queue, where other reviewers get it")
    assert queued(service, team) == 1
    page.get_by_label("Reason (optional)").fill("image does not load")
    page.get_by_role("button", name="Release task").click()
    expect(page.get_by_role("heading", name="Your queues")).to_be_visible()
    assert any("reason='image does not load'" in r.getMessage() for r in caplog.records)
    expect(page.locator(f"td.num[data-team='{team}']")).to_have_text("2")
    # no one else can take it, so omar is given the task he released again (a released task is no answer)
    page.get_by_role("button", name="Start working").click()
    expect(page.frame_locator("#task-frame").get_by_text("resume me")).to_be_visible()
    page.frame_locator("#task-frame").get_by_label("Answer").fill("fine")
    page.get_by_role("button", name="Submit").click()
    # the second answer must come from someone else: a waiting task, and a line that says why
    expect(page.get_by_role("heading", name="Your queues")).to_be_visible()
    expect(page.locator(f"td.num[data-team='{team}']")).to_have_text("1")
    status = page.get_by_role("status")
    expect(status).to_contain_text("1 task is waiting")
    expect(status).to_contain_text("already answered")
    expect(status).not_to_contain_text("All done")
    page.get_by_role("button", name="Start working").click()
    expect(page.locator(f"td.num[data-team='{team}']")).to_have_text("1")
    expect(status).to_contain_text("1 task is waiting")
    expect(status).not_to_contain_text("All done")
    expect(status).not_to_contain_text("No tasks are waiting")
    assert [a["answerContent"] for a in service.ctx.store.loops.answers("held-1")] == [{"answer": "fine"}]
