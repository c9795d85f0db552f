"""The whole OIDC sign-in in Chromium: login page, the IdP's page, the redirect back, the queue."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.review.conftest import browser  # noqa: F401 - the review tests' Chromium fixture
from tests.review.crowd_harness import ARTIFACTS_DIR
from tests.support.resources import create_team


def test_team_signs_in_through_the_idp_in_chromium(wf_service, wf_sm, idp, browser):
    wf_sm.create_workforce(WorkforceName="acme", OidcConfig=idp.oidc_config(),
                           SourceIpConfig={"Cidrs": ["127.0.0.0/8"]})
    team, _ = create_team(wf_sm, name="support-tier1", groups=["support"])
    create_team(wf_sm, name="finance-audit", groups=["finance"])
    idp.add_user("alice", sub="00u-alice", groups=["support"], name="Alice Example")

    # the IdP's certificate comes from the tests' own CA, which Chromium does not know
    context = browser.new_context(ignore_https_errors=True, viewport={"width": 1000, "height": 700})
    page = context.new_page()
    page.goto(f"{wf_service.url}/review/login")
    page.click("#oidc-sign-in")
    expect(page.locator("h1")).to_have_text("Test identity provider")
    assert page.url.startswith(idp.issuer + "/authorize")
    page.click("#user-alice")
    expect(page.locator("h1")).to_have_text("Your queues")
    assert page.url == f"{wf_service.url}/review/queue"
    # group claims decide what she sees: her team, not the finance team
    expect(page.locator("table.queues")).to_contain_text(team)
    expect(page.locator("table.queues")).not_to_contain_text("finance-audit")
    expect(page.locator(".who")).to_contain_text("Alice Example")
    ARTIFACTS_DIR.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS_DIR / "workforce-oidc-queue.png"), full_page=True)
    context.close()
