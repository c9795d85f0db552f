"""Browser fixture shared by the review tests: Debian's Chromium driven by Playwright."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect, sync_playwright

from tests.review.crowd_harness import HarnessServer, TaskPage, launch_chromium, load_template

# the 2-core machine may be busy with Celery workers and other tests; real failures still fail
expect.set_options(timeout=15_000)


@pytest.fixture(scope="module")
def browser():
    with sync_playwright() as p:
        b = launch_chromium(p)
        yield b
        b.close()


WIDE = (1600, 800)   # shown scaled down
SMALL = (200, 100)   # shown scaled up


@pytest.fixture(scope="module")
def server():
    """The template harness (crowd_harness.HarnessServer) with two test images."""
    s = HarnessServer()
    s.add_png("wide.png", *WIDE)
    s.add_png("small.png", *SMALL)
    yield s
    s.close()


@pytest.fixture(scope="module")
def context(browser):
    ctx = browser.new_context(viewport={"width": 1200, "height": 860})
    yield ctx
    ctx.close()


@pytest.fixture
def open_task(context, server):
    """Open a template (file name under templates/elements or HTML) in the harness; fails on page errors."""
    pages, errors = [], []

    def _open(template: str, mode: str = "srcdoc") -> TaskPage:
        html = load_template(template) if template.endswith(".html") and "<" not in template else template
        page = context.new_page()
        page.set_default_timeout(10_000)
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        pages.append(page)
        return TaskPage(page, server).open(server.add_task(html, mode))

    yield _open
    for p in pages:
        p.close()
    assert errors == [], f"JavaScript errors in the task page: {errors}"
