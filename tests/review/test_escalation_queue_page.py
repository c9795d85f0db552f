"""The review pages for a member of an escalation workteam (hitl:escalation-workteam), over HTTP: an
escalated loop's assignment lives in the first team's slot but is the escalation team's work, so the queue
page counts it under that team, "Work on this team" takes it, and the task held is found again under it."""

from __future__ import annotations

import re

import requests

from hitl_service.services import reviewers
from hitl_service.store import keys
from tests.api.test_reviewer_security import form_login
from tests.conftest import wait_until
from tests.consolidation.test_escalation_flow_e2e import escalation_tags
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


def test_an_escalated_loop_shows_and_is_worked_under_the_escalation_team(service, sm, a2i, worker_factory,
                                                                         tmp_path):
    worker_factory(worker_settings(service, tmp_path), beat=True)
    expert_group, first_group = R.unique("experts"), R.unique("crowd")
    experts, experts_arn = R.create_team(sm, groups=(expert_group,))
    first, first_arn = R.create_team(sm, groups=(first_group,))
    _, flow_arn = R.create_flow(sm, team_arn=first_arn, task_count=2, lifetime=3600, tags=escalation_tags(experts_arn))
    expert_name, crowd_name = R.unique("expert"), R.unique("crowd")
    reviewers.add_reviewer(service.ctx, expert_name, "correct-horse", [expert_group])
    reviewers.add_reviewer(service.ctx, crowd_name, "correct-horse", [first_group])
    expert, crowd = requests.Session(), requests.Session()
    assert form_login(service, expert, expert_name, "correct-horse").status_code == 302
    assert form_login(service, crowd, crowd_name, "correct-horse").status_code == 302

    loop = start_loop(a2i, flow_arn, {"text": "nobody answered in time"})
    client = service.ctx.store.client
    wait_until(lambda: client.zcard(keys.queue(first)) == 1, message="the loop routed")
    assert queue_page(service, crowd)[0] == {first: 2}
    client.zadd(keys.expiry(first), {keys.loop_member(loop): 1})     # its lifetime ends, as time would
    wait_until(lambda: queue_page(service, expert)[0] == {experts: 1}, message="the loop on the experts' page")
    waiting, enabled, csrf, _ = queue_page(service, expert)
    assert enabled == {experts: True}
    assert queue_page(service, crowd)[0] == {first: 0}                # not the first team's work any more

    task_url = work_on(service, expert, experts, csrf)
    assert "/review/task/" in task_url
    page = expert.get(f"{service.url}{task_url}" if task_url.startswith("/") else task_url, timeout=10)
    assert page.status_code == 200 and "Review this" in page.text
    # the task is held: the queue page lists it, and working on the team again opens the same task
    waiting, _, csrf, html = queue_page(service, expert)
    assert waiting == {experts: 0} and loop in html
    assert work_on(service, expert, experts, csrf) == task_url
