"""The review page in a real Chromium against the real service: login, queue, task, submit."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from playwright.sync_api import expect

from hitl_service.services import reviewers
from hitl_service.store import keys
from tests.conftest import wait_until
from tests.support import resources as R

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"

SENTIMENT = """<script src="https://assets.crowd.aws/crowd-html-elements.js"></script>
<crowd-form>
  <crowd-classifier name="sentiment" categories="['-1', '0', '1']"
                    header="What sentiment does the text express?"
                    initial-value="{{ task.input.initialValue }}">
    <classification-target>{{ task.input.taskObject }}</classification-target>
    <short-instructions>-1 is negative, 0 is neutral, 1 is positive.</short-instructions>
    <full-instructions header="How to rate sentiment">
      <p>Rate the feeling of the writer, not the topic.</p>
    </full-instructions>
  </crowd-classifier>
</crowd-form>
"""

SNOOP = """<script src="https://assets.crowd.aws/crowd-html-elements.js"></script>
<crowd-form>
  <p id="target">{{ task.input.text }}</p>
  <crowd-input name="note" label="Note"></crowd-input>
</crowd-form>
<script>
  var report = {};
  try { report.cookie = document.cookie; } catch (e) { report.cookie = 'blocked:' + e.name; }
  try { report.storage = String(window.localStorage.length); } catch (e) { report.storage = 'blocked:' + e.name; }
  try { report.parentDoc = String(window.parent.document.cookie); } catch (e) { report.parentDoc = 'blocked:' + e.name; }
  fetch('/review/api/assignments/claim', {method: 'POST', credentials: 'include'})
    .then(function (r) { report.fetch = 'status:' + r.status; })
    .catch(function (e) { report.fetch = 'blocked:' + e.name; })
    .then(function () { window.parent.postMessage({type: 'snoop-report', report: report}, '*'); });
</script>
"""


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    pg = context.new_page()
    yield pg
    context.close()


def login(page, service, name, password):
    page.goto(f"{service.url}/review/")
    expect(page.get_by_role("heading", name="Sign in to review")).to_be_visible()
    page.get_by_label("Reviewer name").fill(name)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Your queues")).to_be_visible()


def queued(service, team):
    return int(service.ctx.store.client.hget(keys.team_stats(team), "queued") or 0)


def test_sentiment_review_end_to_end(service, sm, a2i, worker, page):
    team, team_arn = R.create_team(sm, groups=["raters"])
    _, ui_arn = R.create_ui(sm, template=SENTIMENT)
    _, flow_arn = R.create_flow(sm, team_arn=team_arn, ui_arn=ui_arn)
    reviewers.add_reviewer(service.ctx, "rita", "correct-horse", ["raters"])
    texts = ["It is okay", "I do not like the color & the <b>size</b>"]
    for i, text in enumerate(texts):
        a2i.start_human_loop(HumanLoopName=f"sent-{i}", FlowDefinitionArn=flow_arn,
                             HumanLoopInput={"InputContent": json.dumps({"taskObject": text, "initialValue": "0"})})
    wait_until(lambda: queued(service, team) == 2, message="both loops routed")

    login(page, service, "rita", "correct-horse")
    expect(page.locator(f"td.num[data-team='{team}']")).to_have_text("2")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "review-queue.png"))
    page.get_by_role("button", name="Start working").click()

    expect(page.get_by_role("heading", name="Review this")).to_be_visible()
    expect(page.locator("#time-left")).to_contain_text("Time left")
    frame = page.frame_locator("#task-frame")
    expect(frame.get_by_text("It is okay")).to_be_visible()
    expect(frame.get_by_role("radio", name="0", exact=True)).to_have_attribute("aria-checked", "true")  # initial-value
    frame.get_by_role("radio", name="1", exact=True).click()
    page.screenshot(path=str(ARTIFACTS / "review-task.png"))
    page.get_by_role("button", name="Submit").click()

    # the next task opens by itself; its text shows as text, markup included
    expect(frame.get_by_text("I do not like the color & the <b>size</b>")).to_be_visible()
    frame.get_by_role("radio", name="-1", exact=True).click()
    page.get_by_role("button", name="Submit").click()
    expect(page.get_by_text("All done: no more tasks are waiting.")).to_be_visible()

    for i, label in ((0, "1"), (1, "-1")):
        wait_until(lambda: a2i.describe_human_loop(HumanLoopName=f"sent-{i}")["HumanLoopStatus"] == "Completed",
                   message=f"sent-{i} completed")
        answers = service.ctx.store.loops.answers(f"sent-{i}")
        assert [a["answerContent"] for a in answers] == [{"sentiment": {"label": label}}]
        assert answers[0]["workerId"] == reviewers.get_reviewer(service.ctx, "rita")["worker_id"]


def test_required_classifier_blocks_submit_with_visible_message(service, sm, a2i, worker, page):
    template = SENTIMENT.replace('initial-value="{{ task.input.initialValue }}"', "required")
    team, team_arn = R.create_team(sm, groups=["raters"])
    _, ui_arn = R.create_ui(sm, template=template)
    _, flow_arn = R.create_flow(sm, team_arn=team_arn, ui_arn=ui_arn)
    reviewers.add_reviewer(service.ctx, "rob", "correct-horse", ["raters"])
    a2i.start_human_loop(HumanLoopName="req-1", FlowDefinitionArn=flow_arn,
                         HumanLoopInput={"InputContent": json.dumps({"taskObject": "meh"})})
    wait_until(lambda: queued(service, team) == 1, message="routed")
    login(page, service, "rob", "correct-horse")
    page.get_by_role("button", name="Start working").click()
    page.get_by_role("button", name="Submit").click()
    expect(page.locator("#task-error")).to_be_visible()
    assert service.ctx.store.loops.answers("req-1") == []
    page.frame_locator("#task-frame").get_by_role("radio", name="-1", exact=True).click()
    page.get_by_role("button", name="Submit").click()
    expect(page.get_by_text("All done")).to_be_visible()
    assert [a["answerContent"] for a in service.ctx.store.loops.answers("req-1")] == [{"sentiment": {"label": "-1"}}]


def test_release_returns_the_task_to_the_queue(service, sm, a2i, worker, page):
    team, team_arn = R.create_team(sm, groups=["raters"])
    _, ui_arn = R.create_ui(sm, template=SENTIMENT)
    _, flow_arn = R.create_flow(sm, team_arn=team_arn, ui_arn=ui_arn)
    reviewers.add_reviewer(service.ctx, "rae", "correct-horse", ["raters"])
    a2i.start_human_loop(HumanLoopName="rel-1", FlowDefinitionArn=flow_arn,
                         HumanLoopInput={"InputContent": json.dumps({"taskObject": "x"})})
    wait_until(lambda: queued(service, team) == 1, message="routed")
    login(page, service, "rae", "correct-horse")
    page.get_by_role("button", name="Start working").click()
    expect(page.get_by_role("button", name="Release", exact=True)).to_be_visible()
    assert queued(service, team) == 0
    page.get_by_role("button", name="Release", exact=True).click()
    expect(page.get_by_text("other reviewers get it first")).to_be_visible()   # says what it does, first
    page.get_by_label("Reason (optional)").fill("not my language")
    page.get_by_role("button", name="Release task").click()
    expect(page.get_by_text("Task released: it is back in the queue")).to_be_visible()
    assert queued(service, team) == 1
    expect(page.locator(f"td.num[data-team='{team}']")).to_have_text("1")


def test_a_released_task_goes_to_another_member_first_and_else_back_to_its_releaser(
        service, sm, a2i, worker, page, browser):
    team, team_arn = R.create_team(sm, groups=["raters"])
    _, ui_arn = R.create_ui(sm, template=SENTIMENT)
    _, flow_arn = R.create_flow(sm, team_arn=team_arn, ui_arn=ui_arn)
    reviewers.add_reviewer(service.ctx, "rae", "correct-horse", ["raters"])
    reviewers.add_reviewer(service.ctx, "sam", "battery-staple", ["raters"])
    for name, text in (("first", "text one"), ("second", "text two")):
        a2i.start_human_loop(HumanLoopName=name, FlowDefinitionArn=flow_arn,
                             HumanLoopInput={"InputContent": json.dumps({"taskObject": text})})
    wait_until(lambda: queued(service, team) == 2, message="both routed")
    login(page, service, "rae", "correct-horse")
    page.get_by_role("button", name="Start working").click()
    task = page.frame_locator("#task-frame")
    expect(task.get_by_text("text one")).to_be_visible()
    page.get_by_role("button", name="Release", exact=True).click()
    page.get_by_role("button", name="Release task").click()
    expect(page.get_by_role("heading", name="Your queues")).to_be_visible()
    # sam, another member, gets the released (oldest) task first
    other = browser.new_context().new_page()
    try:
        login(other, service, "sam", "battery-staple")
        other.get_by_role("button", name="Start working").click()
        expect(other.frame_locator("#task-frame").get_by_text("text one")).to_be_visible()
        other.get_by_role("button", name="Release", exact=True).click()
        other.get_by_role("button", name="Release task").click()
        expect(other.get_by_role("heading", name="Your queues")).to_be_visible()
    finally:
        other.context.close()
    # rae is given new work before the task she handed back, then that task again, and can answer it
    page.get_by_role("button", name="Start working").click()
    expect(task.get_by_text("text two")).to_be_visible()
    task.get_by_role("radio", name="1", exact=True).click()
    page.get_by_role("button", name="Submit").click()
    expect(task.get_by_text("text one")).to_be_visible()
    task.get_by_role("radio", name="0", exact=True).click()
    page.get_by_role("button", name="Submit").click()
    expect(page.get_by_text("All done")).to_be_visible()
    wait_until(lambda: a2i.describe_human_loop(HumanLoopName="first")["HumanLoopStatus"] == "Completed",
               message="first Completed")
    assert [a["answerContent"] for a in service.ctx.store.loops.answers("first")] == [{"sentiment": {"label": "0"}}]


def test_template_script_cannot_act_as_the_reviewer_and_input_script_never_runs(service, sm, a2i, worker, page):
    team, team_arn = R.create_team(sm, groups=["raters"])
    _, ui_arn = R.create_ui(sm, template=SNOOP)
    _, flow_arn = R.create_flow(sm, team_arn=team_arn, ui_arn=ui_arn, task_count=1)
    reviewers.add_reviewer(service.ctx, "sam", "correct-horse", ["raters"])
    hostile = "<img src=x onerror=\"window.parent.postMessage({type:'pwned'}, '*')\"><script>window.parent.postMessage({type:'pwned'}, '*')</script>"
    a2i.start_human_loop(HumanLoopName="snoop-1", FlowDefinitionArn=flow_arn,
                         HumanLoopInput={"InputContent": json.dumps({"text": hostile})})
    a2i.start_human_loop(HumanLoopName="snoop-2", FlowDefinitionArn=flow_arn,
                         HumanLoopInput={"InputContent": json.dumps({"text": "second"})})
    wait_until(lambda: queued(service, team) == 2, message="routed")
    login(page, service, "sam", "correct-horse")
    page.evaluate("""() => { window.__msgs = [];
        window.addEventListener('message', e => window.__msgs.push(e.data)); }""")
    page.get_by_role("button", name="Start working").click()
    page.evaluate("""() => { window.__msgs = [];
        window.addEventListener('message', e => window.__msgs.push(e.data)); }""")
    frame = page.frame_locator("#task-frame")
    expect(frame.locator("#target")).to_contain_text("<script>")  # shown as text
    page.wait_for_function("() => window.__msgs.some(m => m && m.type === 'snoop-report')")
    msgs = page.evaluate("() => window.__msgs")
    report = next(m["report"] for m in msgs if m.get("type") == "snoop-report")
    assert not any(m.get("type") == "pwned" for m in msgs if isinstance(m, dict))
    assert report["cookie"] in ("", ) or report["cookie"].startswith("blocked")
    assert "hitl_session" not in report["cookie"]
    assert report["storage"].startswith("blocked")
    assert report["parentDoc"].startswith("blocked")
    assert report["fetch"].startswith("blocked")
    # the template's fetch did not claim anything: snoop-2 is still waiting
    assert queued(service, team) == 1


def test_pages_send_a_content_security_policy(service):
    import requests

    for path in ("/review/login",):
        resp = requests.get(service.url + path)
        csp = resp.headers["Content-Security-Policy"]
        assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp
