"""The console in Chromium: a team lead signs in, reads the overview, and reassigns a held task."""

from __future__ import annotations

import requests
from playwright.sync_api import expect

from tests.console.test_console import PASSWORD, World, console_service  # noqa: F401 - shared fixture
from tests.review.conftest import browser  # noqa: F401 - the review tests' Chromium fixture
from tests.review.crowd_harness import ARTIFACTS_DIR


def sign_in(page, url, name):
    page.goto(f"{url}/review/login")
    page.fill("#username", name)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    expect(page.locator("h1")).to_have_text("Your queues")


def test_lead_watches_and_reassigns_in_chromium(console_service, redis_server, worker_factory, browser):  # noqa: F811
    redis_server.flush()
    w = World(console_service, worker_factory)
    ARTIFACTS_DIR.mkdir(exist_ok=True)
    context = browser.new_context(viewport={"width": 1100, "height": 900})
    page = context.new_page()
    sign_in(page, w.svc.url, "ada")
    page.goto(f"{w.svc.url}/console/")
    expect(page.locator("#queues")).to_contain_text(w.fin)
    expect(page.locator("#loop-statuses")).to_contain_text("Completed")
    expect(page.locator("#total-submits")).to_have_text("1")
    expect(page.locator("#reviewers")).to_contain_text("ada")
    expect(page).to_have_title("Overview · hitl-service")
    page.screenshot(path=str(ARTIFACTS_DIR / "console-admin-overview.png"), full_page=True)
    context.close()

    context = browser.new_context(viewport={"width": 1100, "height": 700})
    page = context.new_page()
    sign_in(page, w.svc.url, "lee")
    page.goto(f"{w.svc.url}/console/")
    expect(page.locator("#queues")).to_contain_text(w.ops)
    expect(page.locator("#queues")).not_to_contain_text(w.fin)
    page.click(f"text={w.ops}")
    expect(page.locator("#leases")).to_contain_text(w.rev_task["humanLoopName"])
    expect(page.locator("#leases")).to_contain_text("rev")
    page.screenshot(path=str(ARTIFACTS_DIR / "console-lead-team.png"), full_page=True)
    page.click("button.reassign")
    expect(page.locator("main")).to_contain_text("Nobody holds a task of this team right now.")
    page.goto(f"{w.svc.url}/console/audit")
    expect(page.locator("#console-error")).to_contain_text("admin role")
    context.close()


def test_lead_sees_a_jobs_progress_and_quality_in_chromium(console_service, redis_server, worker_factory,  # noqa: F811
                                                           browser):  # noqa: F811
    from hitl_service.services import reviewers

    from tests.conftest import wait_until
    from tests.console.jobs import OBJECTS, answer_everything, run_job

    redis_server.flush()
    svc = console_service
    reviewers.add_reviewer(svc.ctx, "boss", PASSWORD, ["labelers", "hitl-leads"])
    answer_everything(run_job(svc, worker_factory, name="browser-job"))
    quality = lambda: requests.get(f"{svc.url}/console/api/overview", auth=("boss", PASSWORD),  # noqa: E731
                                   timeout=30).json()["jobs"][0]["quality"]
    wait_until(lambda: (q := quality()) and q["objects"] == OBJECTS, timeout=60, message="the job's quality")
    ARTIFACTS_DIR.mkdir(exist_ok=True)
    context = browser.new_context(viewport={"width": 1100, "height": 900})
    page = context.new_page()
    sign_in(page, svc.url, "boss")
    page.goto(f"{svc.url}/console/")
    row = page.locator('#jobs tr[data-job="browser-job"]')
    expect(row).to_contain_text("label-team")
    expect(row).to_contain_text(f"{OBJECTS} / {OBJECTS} (100%)")
    expect(row.locator("svg.progress")).to_be_visible()
    expect(row.locator("td.alpha")).to_have_text(f"{quality()['krippendorff_alpha']:.2f}")
    reviewers_table = page.locator('table[data-job-quality="browser-job"]')
    for name in ("amy", "ben", "cy"):
        expect(reviewers_table).to_contain_text(name)
    page.locator("#jobs").scroll_into_view_if_needed()
    page.screenshot(path=str(ARTIFACTS_DIR / "console-lead-jobs.png"), full_page=True)
    context.close()
