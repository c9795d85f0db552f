"""Inner parts that AWS's public templates reach into through an element's shadow root."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

TWO_TIER = """<script src="https://assets.crowd.aws/crowd-html-elements.js"></script>
<crowd-form>
  <crowd-classifier name="quality" categories="['placeholder']" header="How good is the answer?">
    <classification-target>The answer to the question.</classification-target>
  </crowd-classifier>
  <reasons-box></reasons-box>
</crowd-form>
<script>
  var FOLLOW_UP = {Good: ['Clear', 'Complete'], Bad: ['Wrong', 'Rude']};
  document.addEventListener('all-crowd-elements-ready', function () {
    var classifier = document.querySelector('crowd-classifier');
    var picker = classifier.shadowRoot.querySelector('.annotation-area .category-picker-wrapper');
    var card = document.createElement('div');
    card.id = 'follow-up';
    picker.insertAdjacentElement('afterend', card);
    classifier.categories = ['Good', 'Bad'];
    var box = document.querySelector('reasons-box');
    classifier.addEventListener('change', function (e) {
      card.textContent = 'Why? ';
      box.textContent = '';
      FOLLOW_UP[e.target.value].forEach(function (reason) {
        var shown = document.createElement('label');
        var cb = document.createElement('input');
        cb.type = 'checkbox';
        var hidden = document.createElement('input');
        hidden.type = 'checkbox'; hidden.name = 'reasons'; hidden.value = reason; hidden.hidden = true;
        cb.addEventListener('change', function () { hidden.checked = cb.checked; });
        shown.append(cb, reason);
        card.append(shown);
        box.append(hidden);
      });
    });
  });
</script>"""

OVERLAY = """<script src="https://assets.crowd.aws/crowd-html-elements.js"></script>
<crowd-form>
  <crowd-bounding-box name="boxes" src="__BASE__/files/wide.png" header="Box the wrong segments" labels="['Wrong']">
  </crowd-bounding-box>
</crowd-form>
<script>
  window.overlayRect = function () {
    var canvas = document.querySelector('crowd-bounding-box').shadowRoot.querySelector('canvas.upper-canvas');
    var r = canvas.getBoundingClientRect();
    return [r.left, r.top, r.width, r.height];
  };
</script>"""

WIDE_INSTRUCTIONS = """<script src="https://assets.crowd.aws/crowd-html-elements.js"></script>
<crowd-form>
  <crowd-classifier-multi-select name="tags" categories="['a', 'b']" header="Tags">
    <short-instructions>Short.</short-instructions>
    <full-instructions header="Full">Long instructions.</full-instructions>
  </crowd-classifier-multi-select>
</crowd-form>
<script>
  document.addEventListener('all-crowd-elements-ready', function () {
    var el = document.querySelector('crowd-classifier-multi-select');
    el.shadowRoot.querySelector('.awsui-app-layout__navigation').style.width = '400px';
    el.shadowRoot.querySelector('.awsui-modal-dialog').style.maxWidth = '90%';
  });
</script>"""


def test_two_tier_classifier_reaches_the_category_picker(open_task):
    t = open_task(TWO_TIER)
    fl = t.fl
    expect(fl.locator("crowd-classifier .cat")).to_have_count(2)       # categories set by property
    fl.get_by_role("radio", name="Good").click()
    expect(fl.locator("#follow-up")).to_contain_text("Why? ClearComplete")
    fl.locator("#follow-up").get_by_text("Complete").click()
    t.click_submit()
    assert t.wait_answer() == {"quality": {"label": "Good"}, "reasons": {"Clear": False, "Complete": True}}


def test_bounding_box_upper_canvas_covers_the_image(open_task):
    t = open_task(OVERLAY)
    t.fl.locator("crowd-bounding-box[image-loaded]").wait_for()
    t.settle()
    left, top, width, height = t.frame.evaluate("() => window.overlayRect()")
    img = t.frame.evaluate("() => { const r = document.querySelector('crowd-bounding-box').shadowRoot"
                           ".querySelector('.simg').getBoundingClientRect(); return [r.left, r.top, r.width, r.height]; }")
    assert [left, top, width, height] == pytest.approx(img, abs=1)
    assert width > 100


def test_instructions_pane_and_modal_can_be_resized(open_task):
    t = open_task(WIDE_INSTRUCTIONS)
    fl = t.fl
    expect(fl.locator("crowd-classifier-multi-select .side")).to_have_css("width", "400px")
    fl.get_by_role("button", name="View full instructions").click()
    expect(fl.get_by_role("dialog")).to_have_css("max-width", "90%")


GROWING_LABELS = """<script src="https://assets.crowd.aws/crowd-html-elements.js"></script>
<crowd-form>
  <crowd-bounding-box name="people" src="__BASE__/files/wide.png" header="Box each person" labels="['PERSON #1']">
  </crowd-bounding-box>
  <button type="button" id="more" onclick="var a = document.querySelector('crowd-bounding-box');
    a.labels = a.labels.concat(['PERSON #' + (a.labels.length + 1)]);">Another person</button>
</crowd-form>"""


def test_template_grows_the_label_list(open_task):
    t = open_task(GROWING_LABELS)
    fl = t.fl
    fl.get_by_role("button", name="Another person").click()
    expect(fl.get_by_role("radio", name="PERSON #2")).to_be_visible()
    assert t.frame.evaluate("() => document.querySelector('crowd-bounding-box').labels") == ["PERSON #1", "PERSON #2"]
