"""Browser fixture shared by the review tests: Debian's Chromium driven by Playwright."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect, sync_playwright

from tests.review.crowd_harness import launch_chromium

# the 2-core machine may be busy with Celery workers and other tests; real failures still fail
expect.set_options(timeout=15_000)


@pytest.fixture(scope="module")
def browser():
    with sync_playwright() as p:
        b = launch_chromium(p)
        yield b
        b.close()
