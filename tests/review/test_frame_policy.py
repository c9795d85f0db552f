"""The task frame's content policy and the gesture rule for template-driven submits, on the real review page."""

from __future__ import annotations

import json

import pytest
from playwright.sync_api import expect

from hitl_service.services import reviewers
from hitl_service.review.views import frame_csp
from tests.conftest import wait_until
from tests.review.test_review_page import ARTIFACTS, login, queued
from tests.support import resources as R

CDN_TEMPLATE = """<script src="https://assets.crowd.aws/crowd-html-elements.js"></script>
<link rel="stylesheet" href="https://cdn.example.test/task.css">
<script src="https://cdn.example.test/lib.js"></script>
<crowd-form>
  <p id="out">lib missing</p>
  <p id="styled">styled by the CDN sheet</p>
  <crowd-input name="note" label="Note"></crowd-input>
</crowd-form>
<script>if (window.cdnLib) document.getElementById('out').textContent = window.cdnLib();</script>
"""

SELF_SUBMIT = """<script src="https://assets.crowd.aws/crowd-html-elements.js"></script>
<crowd-form>
  <crowd-input name="note" label="Note" value="{{ task.input.note }}"></crowd-input>
  <button type="button" id="finish" onclick="document.querySelector('crowd-form').submit()">Finish</button>
</crowd-form>
<script>
  // a template that submits on its own, with no reviewer gesture
  document.addEventListener('all-crowd-elements-ready', function () { document.querySelector('crowd-form').submit(); });
</script>
"""


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    # an outside https origin, served without a network
    context.route("https://cdn.example.test/lib.js", lambda route: route.fulfill(
        status=200, content_type="text/javascript", body="window.cdnLib = function () { return 'lib loaded'; };"))
    context.route("https://cdn.example.test/task.css", lambda route: route.fulfill(
        status=200, content_type="text/css", body="#styled { color: rgb(0, 128, 0); }"))
    pg = context.new_page()
    yield pg
    context.close()


def start(service, sm, a2i, template, inputs, reviewer):
    team, team_arn = R.create_team(sm, groups=["raters"])
    _, ui_arn = R.create_ui(sm, template=template)
    _, flow_arn = R.create_flow(sm, team_arn=team_arn, ui_arn=ui_arn)
    reviewers.add_reviewer(service.ctx, reviewer, "correct-horse", ["raters"])
    for name, data in inputs.items():
        a2i.start_human_loop(HumanLoopName=name, FlowDefinitionArn=flow_arn,
                             HumanLoopInput={"InputContent": json.dumps(data)})
    wait_until(lambda: queued(service, team) == len(inputs), message="loops routed")
    return team


def test_template_loads_https_assets_and_strict_setting_refuses_them(service, sm, a2i, worker, page, monkeypatch):
    start(service, sm, a2i, CDN_TEMPLATE, {"cdn-1": {}, "cdn-2": {}}, "cora")
    login(page, service, "cora", "correct-horse")
    page.get_by_role("button", name="Start working").click()
    frame = page.frame_locator("#task-frame")
    expect(frame.locator("#out")).to_have_text("lib loaded")
    expect(frame.locator("#styled")).to_have_css("color", "rgb(0, 128, 0)")
    frame.get_by_label("Note").fill("ok")
    page.get_by_role("button", name="Submit").click()
    # the operator's strict setting: the next task's frame refuses outside assets
    monkeypatch.setattr(service.ctx.settings, "task_frame_strict_csp", True)
    expect(frame.locator("#out")).to_have_text("lib missing")
    expect(frame.locator("#styled")).not_to_have_css("color", "rgb(0, 128, 0)")
    expect(frame.get_by_label("Note")).to_be_visible()   # our own elements still work


def test_frame_policy_strict_and_relaxed(service, monkeypatch):
    relaxed = frame_csp(service.ctx)
    assert "script-src 'self' 'unsafe-inline' 'unsafe-eval' https:" in relaxed
    assert "font-src 'self' data: https:" in relaxed
    assert relaxed.startswith("sandbox allow-scripts allow-forms allow-popups;")
    assert "allow-same-origin" not in relaxed and "connect-src 'none'" in relaxed
    monkeypatch.setattr(service.ctx.settings, "task_frame_strict_csp", True)
    strict = frame_csp(service.ctx)
    assert "https:" not in strict.split("img-src")[0]
    assert "script-src 'self' 'unsafe-inline';" in strict


def test_template_may_submit_only_after_a_reviewer_gesture(service, sm, a2i, worker, page):
    start(service, sm, a2i, SELF_SUBMIT, {"self-1": {"note": "from input"}}, "gus")
    login(page, service, "gus", "correct-horse")
    page.get_by_role("button", name="Start working").click()
    # the submit the template fired by itself on load is refused
    expect(page.locator("#task-error")).to_contain_text("The task tried to submit without you")
    assert service.ctx.store.loops.answers("self-1") == []
    # the template's own button, clicked by the reviewer, submits
    page.frame_locator("#task-frame").get_by_role("button", name="Finish").click()
    expect(page.get_by_text("All done")).to_be_visible()
    assert [a["answerContent"] for a in service.ctx.store.loops.answers("self-1")] == [{"note": "from input"}]


def test_keyboard_works_from_the_moment_the_task_opens(service, sm, a2i, worker, page):
    from tests.review.test_review_page import SENTIMENT

    start(service, sm, a2i, SENTIMENT.replace('initial-value="{{ task.input.initialValue }}"', ""),
          {"keys-1": {"taskObject": "Lovely"}}, "kim")
    login(page, service, "kim", "correct-horse")
    page.get_by_role("button", name="Start working").click()
    frame = page.frame_locator("#task-frame")
    # no click anywhere: the first category has the focus, digit keys choose, Ctrl+Enter submits
    expect(frame.get_by_role("radio", name="-1", exact=True)).to_be_focused()
    page.keyboard.press("3")
    expect(frame.get_by_role("radio", name="1", exact=True)).to_have_attribute("aria-checked", "true")
    page.keyboard.press("Control+Enter")
    expect(page.get_by_text("All done")).to_be_visible()
    assert [a["answerContent"] for a in service.ctx.store.loops.answers("keys-1")] == [{"sentiment": {"label": "1"}}]


SEGMENTATION = """<script src="https://assets.crowd.aws/crowd-html-elements.js"></script>
<crowd-form>
  <crowd-semantic-segmentation name="crowd-semantic-segmentation" src="{{ task.input.taskObject }}"
      header="Paint the road" labels="['Road', 'Sky']"></crowd-semantic-segmentation>
</crowd-form>"""


def test_segmentation_parts_load_in_the_real_frame_and_the_mask_is_stored(service, sm, a2i, worker, page):
    import base64
    import io

    from PIL import Image

    from tests.review.crowd_harness import make_png

    src = "data:image/png;base64," + base64.b64encode(make_png(100, 50)).decode()
    start(service, sm, a2i, SEGMENTATION, {"seg-1": {"taskObject": src}}, "sid")
    login(page, service, "sid", "correct-horse")
    page.get_by_role("button", name="Start working").click()
    frame = page.frame_locator("#task-frame")
    frame.locator("crowd-semantic-segmentation[image-loaded]").wait_for()
    box = frame.locator("crowd-semantic-segmentation .segworld canvas").bounding_box()
    at = lambda x, y: (box["x"] + x * box["width"] / 100, box["y"] + y * box["height"] / 50)  # noqa: E731
    page.mouse.move(*at(10, 25))
    page.mouse.down()
    page.mouse.move(*at(90, 25), steps=8)
    page.mouse.up()
    page.screenshot(path=str(ARTIFACTS / "review-page-segmentation.png"))
    page.get_by_role("button", name="Submit").click()
    expect(page.get_by_text("All done")).to_be_visible()
    answer = service.ctx.store.loops.answers("seg-1")[0]["answerContent"]["crowd-semantic-segmentation"]
    road = answer["labelMappings"]["Road"]["color"]
    img = Image.open(io.BytesIO(base64.b64decode(answer["labeledImage"]["pngImageData"]))).convert("RGBA")
    assert img.size == (100, 50) and answer["inputImageProperties"] == {"height": 50, "width": 100}
    assert img.getpixel((50, 25)) == (int(road[1:3], 16), int(road[3:5], 16), int(road[5:7], 16), 255)
    assert img.getpixel((50, 5))[3] == 0
