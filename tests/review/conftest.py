"""Browser fixture shared by the review tests: Debian's Chromium driven by Playwright."""

from __future__ import annotations

import pytest
from playwright.sync_api import sync_playwright

from tests.review.crowd_harness import launch_chromium


@pytest.fixture(scope="module")
def browser():
    with sync_playwright() as p:
        b = launch_chromium(p)
        yield b
        b.close()
