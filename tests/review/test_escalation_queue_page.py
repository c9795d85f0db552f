"""The review pages for a member of an escalation workteam (hitl:escalation-workteam), over HTTP: an
escalated loop's assignment lives in the first team's slot but is the escalation team's work, so the queue
page counts it under that team, "Work on this team" takes it, and the task held is found again under it."""

from __future__ import annotations

import re

import requests
from playwright.sync_api import expect

from hitl_service.services import reviewers
from hitl_service.store import keys
from tests.api.test_reviewer_security import form_login
from tests.conftest import wait_until
from tests.consolidation.test_escalation_flow_e2e import escalation_tags
from tests.review.test_review_page import login, page  # noqa: F401  (fixture)
from tests.support import resources as R
from tests.workers.conftest import start_loop, worker_settings


def queue_page(service, session):
    """(waiting per team, the "Work on this team" button enabled per team, the CSRF token, page text)."""
    html = session.get(f"{service.url}/review/queue", timeout=10).text
    waiting = {t: int(n) for t, n in re.findall(r'<td class="num" data-team="([^"]+)">(\d+)</td>', html)}
    enabled = {t: "disabled" not in attrs for t, attrs in re.findall(
        r'name="workteam" value="([^"]+)">\s*<button type="submit"([^>]*)>Work on this team', html)}
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)
    return waiting, enabled, csrf, html


def work_on(service, session, team, csrf):
    """POST "Work on this team"; where it sends the reviewer."""
    resp = session.post(f"{service.url}/review/start", data={"csrf_token": csrf, "workteam": team},
                        allow_redirects=False, timeout=10)
    assert resp.status_code == 302
    return resp.headers["Location"]


def escalated_loop(service, sm, a2i, worker_factory, tmp_path):
    """A loop whose lifetime ended unanswered, now waiting for team "experts-N": (experts team, first team,
    loop name, expert reviewer name, first-team reviewer name); both reviewers' password is "correct-horse"."""
    worker_factory(worker_settings(service, tmp_path), beat=True)
    expert_group, first_group = R.unique("experts"), R.unique("crowd")
    experts, experts_arn = R.create_team(sm, groups=(expert_group,))
    first, first_arn = R.create_team(sm, groups=(first_group,))
    _, flow_arn = R.create_flow(sm, team_arn=first_arn, task_count=2, lifetime=3600, tags=escalation_tags(experts_arn))
    expert_name, crowd_name = R.unique("expert"), R.unique("crowd")
    reviewers.add_reviewer(service.ctx, expert_name, "correct-horse", [expert_group])
    reviewers.add_reviewer(service.ctx, crowd_name, "correct-horse", [first_group])
    loop = start_loop(a2i, flow_arn, {"text": "nobody answered in time"})
    client = service.ctx.store.client
    wait_until(lambda: client.zcard(keys.queue(first)) == 1, message="the loop routed")
    client.zadd(keys.expiry(first), {keys.loop_member(loop): 1})     # its lifetime ends, as time would
    wait_until(lambda: client.zcard(keys.escalation_queue(first, experts)) == 1, message="the loop escalated")
    return experts, first, loop, expert_name, crowd_name


def test_an_escalated_loop_shows_and_is_worked_under_the_escalation_team(service, sm, a2i, worker_factory,
                                                                         tmp_path):
    experts, first, loop, expert_name, crowd_name = escalated_loop(service, sm, a2i, worker_factory, tmp_path)
    expert, crowd = requests.Session(), requests.Session()
    assert form_login(service, expert, expert_name, "correct-horse").status_code == 302
    assert form_login(service, crowd, crowd_name, "correct-horse").status_code == 302
    waiting, enabled, csrf, _ = queue_page(service, expert)
    assert (waiting, enabled) == ({experts: 1}, {experts: True})
    assert queue_page(service, crowd)[0] == {first: 0}                # not the first team's work any more

    task_url = work_on(service, expert, experts, csrf)
    assert "/review/task/" in task_url
    page = expert.get(f"{service.url}{task_url}" if task_url.startswith("/") else task_url, timeout=10)
    assert page.status_code == 200 and "Review this" in page.text
    # the task is held: the queue page lists it, and working on the team again opens the same task
    waiting, _, csrf, html = queue_page(service, expert)
    assert waiting == {experts: 0} and loop in html
    assert work_on(service, expert, experts, csrf) == task_url


def test_in_chromium_the_expert_sees_the_escalated_task_under_their_team_and_opens_it(
        service, sm, a2i, worker_factory, tmp_path, page):
    experts, _, loop, expert_name, _ = escalated_loop(service, sm, a2i, worker_factory, tmp_path)
    login(page, service, expert_name, "correct-horse")
    count = page.locator(f"td.num[data-team='{experts}']")
    expect(count).to_have_text("1")
    page.locator("tr", has=count).get_by_role("button", name="Work on this team").click()
    expect(page.get_by_role("heading", name="Review this")).to_be_visible()
    page.goto(f"{service.url}/review/queue")
    expect(page.get_by_role("link", name=re.compile(re.escape(loop)))).to_be_visible()
    expect(count).to_have_text("0")
