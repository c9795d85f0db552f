"""Our Crowd HTML Elements, worked through a sandboxed iframe in real Chromium.

Each test opens one template from tests/review/templates/elements/ the way the
review page embeds it (iframe sandbox="allow-scripts allow-forms", opaque
origin), works it with the mouse and keyboard as a reviewer would, submits,
and compares the answer posted to the parent page with AWS's documented shape.
"""

from __future__ import annotations

import re

import pytest

from playwright.sync_api import expect  # noqa: E402

from tests.review.crowd_harness import TaskPage, load_template  # noqa: E402

from tests.review.conftest import SMALL, WIDE  # noqa: E402

TOL = 2              # px tolerance for geometry, in natural pixels


def approx_tree(value, tol=TOL):
    """Expected value with every number replaced by pytest.approx(number, abs=tol)."""
    if isinstance(value, dict):
        return {k: approx_tree(v, tol) for k, v in value.items()}
    if isinstance(value, list):
        return [approx_tree(v, tol) for v in value]
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return pytest.approx(value, abs=tol)
    return value


def assert_ints(value, keys=("x", "y", "left", "top", "width", "height")):
    """Geometry in the answer is whole natural pixels."""
    if isinstance(value, dict):
        for k, v in value.items():
            if k in keys:
                assert isinstance(v, int) and not isinstance(v, bool), (k, v)
            assert_ints(v, keys)
    elif isinstance(value, list):
        for v in value:
            assert_ints(v, keys)


def image_box(t: TaskPage, selector: str) -> dict:
    """Page-coordinate box of a widget's image, after it loaded and was scrolled into view."""
    t.fl.locator(selector + "[image-loaded]").wait_for()
    img = t.fl.locator(selector + " .simg")
    img.scroll_into_view_if_needed()
    t.settle()
    return img.bounding_box()


def no_answer(t: TaskPage) -> None:
    t.settle()
    assert t.answers() == []


# ---------------------------------------------------------------- classifiers

def test_classifier_click_category(open_task):
    t = open_task("classifier.html")
    fl = t.fl
    expect(fl.locator("crowd-classifier .hdr")).to_have_text("What is the sentiment of this review?")
    expect(fl.get_by_text("The battery lasts forever", exact=False)).to_be_visible()
    expect(fl.get_by_text("Choose the overall feeling of the review.")).to_be_visible()
    # full instructions open in a modal
    expect(fl.get_by_text("both strong praise", exact=False)).to_be_hidden()
    fl.get_by_role("button", name="View full instructions").click()
    expect(fl.get_by_text("both strong praise", exact=False)).to_be_visible()
    expect(fl.get_by_role("dialog")).to_contain_text("Sentiment analysis instructions")
    fl.get_by_role("button", name="Close").click()
    expect(fl.get_by_text("both strong praise", exact=False)).to_be_hidden()

    fl.get_by_role("radio", name="Positive").click()
    fl.get_by_role("radio", name="Negative").click()
    expect(fl.get_by_role("radio", name="Negative")).to_have_attribute("aria-checked", "true")
    expect(fl.get_by_role("radio", name="Positive")).to_have_attribute("aria-checked", "false")
    t.screenshot("classifier.png")
    t.click_submit()
    assert t.wait_answer() == {"sentiment": {"label": "Negative"}}


def test_classifier_keyboard_shortcut(open_task):
    t = open_task("classifier.html")
    t.fl.locator("classification-target").click()
    t.page.keyboard.press("3")
    expect(t.fl.get_by_role("radio", name="Neutral")).to_have_attribute("aria-checked", "true")
    t.click_submit()
    assert t.wait_answer() == {"sentiment": {"label": "Neutral"}}


def test_classifier_js_style_categories_initial_value_and_exclusion(open_task):
    t = open_task("classifier_js_style.html")
    fl = t.fl
    # ['Cat', 'Dog', 'Bird'] (single quotes) parsed, plus the exclusion category
    expect(fl.locator("crowd-classifier .cat .ctext")).to_have_text(["Cat", "Dog", "Bird", "None of the above"])
    expect(fl.get_by_text("says 'woof'")).to_be_visible()
    # initial-value pre-selects
    expect(fl.get_by_role("radio", name="Dog")).to_have_attribute("aria-checked", "true")
    t.request_submit()
    assert t.wait_answer() == {"category": {"label": "Dog"}}


def test_classifier_exclusion_category_label_is_its_text(open_task):
    t = open_task("classifier_js_style.html")
    t.fl.get_by_role("radio", name="None of the above").click()
    t.click_submit()
    assert t.wait_answer() == {"category": {"label": "None of the above"}}


def test_image_classifier_with_worker_comment(open_task):
    t = open_task("image_classifier.html")
    fl = t.fl
    img = fl.locator("crowd-image-classifier img.cimg")
    expect(img).to_be_visible()
    assert img.evaluate("i => [i.naturalWidth, i.naturalHeight]") == list(SMALL)
    expect(fl.get_by_text("Pick the setting of the picture.")).to_be_visible()
    fl.get_by_role("radio", name="Outdoor").click()
    fl.get_by_role("button", name="Add a comment").click()
    fl.get_by_role("textbox", name="Comment").fill("Looks like a beach")
    t.screenshot("image_classifier.png")
    t.click_submit()
    assert t.wait_answer() == {"scene": {"label": "Outdoor", "workerComment": "Looks like a beach"}}


def test_image_classifier_without_comment_has_only_label(open_task):
    t = open_task("image_classifier.html")
    t.fl.get_by_role("radio", name="Indoor").click()
    t.click_submit()
    assert t.wait_answer() == {"scene": {"label": "Indoor"}}


def test_classifier_multi_select(open_task):
    t = open_task("classifier_multi_select.html")
    fl = t.fl
    for name in ("Science", "Sports", "Politics"):
        fl.get_by_role("checkbox", name=name).click()
    fl.get_by_role("checkbox", name="Sports").click()  # untick
    t.click_submit()
    assert t.wait_answer() == {"topics": {"labels": ["Politics", "Science"]}}


def test_image_classifier_multi_select_with_exclusion(open_task):
    t = open_task("image_classifier_multi_select.html")
    fl = t.fl
    expect(fl.locator("crowd-image-classifier-multi-select img.cimg")).to_be_visible()
    fl.get_by_role("checkbox", name="Car").click()
    fl.get_by_role("checkbox", name="Sky").click()
    # the exclusion category clears the others, and picking a category clears it again
    fl.get_by_role("checkbox", name="Nothing recognisable").click()
    expect(fl.get_by_role("checkbox", name="Car")).to_have_attribute("aria-checked", "false")
    fl.get_by_role("checkbox", name="Tree").click()
    fl.get_by_role("checkbox", name="Person").click()
    expect(fl.get_by_role("checkbox", name="Nothing recognisable")).to_have_attribute("aria-checked", "false")
    t.click_submit()
    assert t.wait_answer() == {"contents": {"labels": ["Person", "Tree"]}}


# ---------------------------------------------------------------- form fields

def test_input_and_text_area(open_task):
    t = open_task("input_textarea.html")
    fl = t.fl
    fl.get_by_label("Title").fill("Blue kettle")
    fl.get_by_label("How many items are shown?").fill("3")
    notes = fl.get_by_label("Notes", exact=True)
    notes.click()
    t.page.keyboard.type("line one")
    t.page.keyboard.press("Enter")
    t.page.keyboard.type("line two")
    expect(fl.locator("crowd-text-area[name=notes] .counter")).to_have_text("17 / 200")
    t.click_submit()
    # empty inputs are omitted; number input still a string; newline kept as \n
    assert t.wait_answer() == {"title": "Blue kettle", "count": "3", "preset": "keep me",
                               "notes": "line one\nline two"}


def test_checkbox(open_task):
    t = open_task("checkbox.html")
    fl = t.fl
    fl.locator("crowd-checkbox[value=blurry]").click()
    fl.get_by_text("Too dark").click()           # clicking the label text toggles too
    # 'agree' is required: blocked until ticked
    t.click_submit()
    expect(fl.get_by_text("Please check this box.", exact=True)).to_be_visible()
    no_answer(t)
    fl.get_by_role("checkbox", name="I looked at the whole image").click()
    t.click_submit()
    assert t.wait_answer() == {"problems": {"blurry": True, "dark": False, "cropped": False},
                               "agree": {"on": True}}


def test_radio_group(open_task):
    t = open_task("radio_group.html")
    fl = t.fl
    fl.get_by_text("Technology").click()
    fl.get_by_text("Politics").click()
    fl.get_by_text("Large").click()
    expect(fl.get_by_role("radio", name="Medium")).to_have_attribute("aria-checked", "false")
    expect(fl.get_by_role("radio", name="Large")).to_have_attribute("aria-checked", "true")
    t.click_submit()
    assert t.wait_answer() == {
        "tech": {"tech": False},
        "politics": {"politics": True},
        "size": {"small": False, "medium": False, "large": True},
    }


def test_toggle_button(open_task):
    t = open_task("toggle_button.html")
    fl = t.fl
    fl.locator("crowd-toggle-button[name=contains_text]").click()
    fl.locator("crowd-toggle-button[name=quality]").click()
    expect(fl.locator("crowd-toggle-button[name=contains_text]").get_by_role("switch")).to_have_attribute("aria-checked", "true")
    t.click_submit()
    assert t.wait_answer() == {"contains_text": {"on": True}, "quality": {"good": False}}


def test_slider_keyboard(open_task):
    t = open_task("slider.html")
    fl = t.fl
    # 'brightness' is required and was never moved: blocked
    t.click_submit()
    expect(fl.get_by_text("Please move the slider to choose a value.", exact=True)).to_be_visible()
    no_answer(t)
    conf = fl.locator("crowd-slider[name=confidence] input[type=range]")
    conf.focus()
    for _ in range(3):
        t.page.keyboard.press("ArrowRight")
    expect(fl.locator("crowd-slider[name=confidence] output")).to_have_text("8")
    fl.locator("crowd-slider[name=brightness] input[type=range]").focus()
    t.page.keyboard.press("ArrowRight")
    expect(fl.get_by_text("Please move the slider to choose a value.", exact=True)).to_be_hidden()
    t.click_submit()
    answer = t.wait_answer()
    assert answer == {"confidence": 8, "brightness": -0.5}
    assert isinstance(answer["confidence"], int)


# ---------------------------------------------------------------- image annotation

def test_bounding_box_draw_move_delete(open_task):
    t = open_task("bounding_box.html")
    fl, mouse = t.fl, t.page.mouse
    box = image_box(t, "crowd-bounding-box")
    sx, sy = WIDE[0] / box["width"], WIDE[1] / box["height"]   # natural px per screen px
    assert sx > 1.2  # the wide image really is shown scaled down

    def nat(px, py):
        return (px - box["x"]) * sx, (py - box["y"]) * sy

    # draw a Car box (first label is pre-selected; click it anyway)
    fl.get_by_role("radio", name="Car").click()
    x0, y0, x1, y1 = box["x"] + 100, box["y"] + 60, box["x"] + 300, box["y"] + 210
    mouse.move(x0, y0)
    mouse.down()
    mouse.move((x0 + x1) / 2, (y0 + y1) / 2, steps=3)
    mouse.move(x1, y1, steps=3)
    mouse.up()
    (l0, t0), (l1, t1) = nat(x0, y0), nat(x1, y1)
    car = {"height": t1 - t0, "label": "Car", "left": l0, "top": t0, "width": l1 - l0}

    # move the initial Truck box by dragging its middle
    cx, cy = box["x"] + (1200 + 150) / sx, box["y"] + (500 + 50) / sy
    mouse.move(cx, cy)
    mouse.down()
    mouse.move(cx - 40, cy - 30, steps=4)
    mouse.up()
    truck = {"height": 100, "label": "Truck", "left": 1200 - 40 * sx, "top": 500 - 30 * sy, "width": 300}

    # draw another box as Truck, then delete it with the Delete key
    fl.get_by_role("radio", name="Truck").click()
    mouse.move(box["x"] + 400, box["y"] + 40)
    mouse.down()
    mouse.move(box["x"] + 500, box["y"] + 120, steps=3)
    mouse.up()
    expect(fl.locator("crowd-bounding-box .bbox")).to_have_count(3)
    t.page.keyboard.press("Delete")
    expect(fl.locator("crowd-bounding-box .bbox")).to_have_count(2)

    t.screenshot("bounding_box.png")
    t.click_submit()
    answer = t.wait_answer()
    assert answer == approx_tree({"annotatedResult": {
        "boundingBoxes": [truck, car],
        "inputImageProperties": {"height": WIDE[1], "width": WIDE[0]},
        "initialValueModified": True,  # it started from an initial-value box, which was moved
    }})
    assert_ints(answer)
    assert answer["annotatedResult"]["inputImageProperties"] == {"height": 800, "width": 1600}


def test_bounding_box_required_needs_a_box(open_task):
    html = load_template("bounding_box.html").replace(" initial-value=", " data-unused=")
    t = open_task(html)
    image_box(t, "crowd-bounding-box")
    t.click_submit()
    expect(t.fl.get_by_text("Please draw at least one box.").first).to_be_visible()
    no_answer(t)


def test_keypoint(open_task):
    t = open_task("keypoint.html")
    fl, mouse = t.fl, t.page.mouse
    box = image_box(t, "crowd-keypoint")
    sx, sy = SMALL[0] / box["width"], SMALL[1] / box["height"]
    assert sx < 0.8  # the small image really is shown scaled up

    def at(dx, dy):
        return box["x"] + dx, box["y"] + dy

    fl.get_by_role("radio", name="left eye").click()
    mouse.click(*at(60, 50))
    fl.get_by_role("radio", name="right eye").click()
    mouse.click(*at(140, 50))
    fl.get_by_role("radio", name="nose").click()
    mouse.click(*at(100, 90))
    # drag the nose a little lower
    mouse.move(*at(100, 90))
    mouse.down()
    mouse.move(*at(102, 100), steps=3)
    mouse.up()
    expect(fl.locator("crowd-keypoint .kp")).to_have_count(3)
    t.click_submit()
    answer = t.wait_answer()
    assert answer == approx_tree({"face": {
        "inputImageProperties": {"height": SMALL[1], "width": SMALL[0]},
        "keypoints": [
            {"label": "left eye", "x": 60 * sx, "y": 50 * sy},
            {"label": "right eye", "x": 140 * sx, "y": 50 * sy},
            {"label": "nose", "x": 102 * sx, "y": 100 * sy},
        ],
    }})
    assert_ints(answer)


def test_polygon(open_task):
    t = open_task("polygon.html")
    fl, mouse = t.fl, t.page.mouse
    box = image_box(t, "crowd-polygon")
    sx, sy = SMALL[0] / box["width"], SMALL[1] / box["height"]

    def click(dx, dy):
        mouse.click(box["x"] + dx, box["y"] + dy)

    def nat(pts):
        return [{"x": dx * sx, "y": dy * sy} for dx, dy in pts]

    # 1: closed by clicking the first point
    fl.get_by_role("radio", name="Lake").click()
    lake = [(20, 20), (120, 25), (110, 100)]
    for p in lake:
        click(*p)
    click(21, 21)
    # drag its second corner somewhere else
    mouse.move(box["x"] + 120, box["y"] + 25)
    mouse.down()
    mouse.move(box["x"] + 135, box["y"] + 40, steps=3)
    mouse.up()
    lake[1] = (135, 40)
    # 2: closed with Enter
    fl.get_by_role("radio", name="Field").click()
    field = [(200, 40), (300, 40), (300, 120), (200, 120)]
    for p in field:
        click(*p)
    t.page.keyboard.press("Enter")
    # 3: closed with a double-click (which adds its point)
    third = [(350, 150), (450, 150)]
    for p in third:
        click(*p)
    mouse.dblclick(box["x"] + 400, box["y"] + 220)
    third.append((400, 220))
    expect(fl.locator("crowd-polygon polygon")).to_have_count(3)
    t.screenshot("polygon.png")
    t.click_submit()
    answer = t.wait_answer()
    assert answer == approx_tree({"regions": {
        "inputImageProperties": {"height": SMALL[1], "width": SMALL[0]},
        "polygons": [
            {"label": "Lake", "vertices": nat(lake)},
            {"label": "Field", "vertices": nat(field)},
            {"label": "Field", "vertices": nat(third)},
        ],
    }})
    assert_ints(answer)


def test_polygon_unfinished_shape_blocks_submit(open_task):
    t = open_task("polygon.html")
    box = image_box(t, "crowd-polygon")
    t.page.mouse.click(box["x"] + 20, box["y"] + 20)
    t.page.mouse.click(box["x"] + 90, box["y"] + 20)
    t.click_submit()
    expect(t.fl.get_by_text("Finish the shape you are drawing", exact=False).first).to_be_visible()
    no_answer(t)


def test_line_and_polyline(open_task):
    t = open_task("line_polyline.html")
    mouse = t.page.mouse
    lb = image_box(t, "crowd-line")
    lsx, lsy = SMALL[0] / lb["width"], SMALL[1] / lb["height"]
    mouse.click(lb["x"] + 20, lb["y"] + 120)
    mouse.click(lb["x"] + 480, lb["y"] + 100)     # a line ends on its second point
    pb = image_box(t, "crowd-polyline")
    psx, psy = SMALL[0] / pb["width"], SMALL[1] / pb["height"]
    road = [(10, 10), (100, 60), (200, 40)]
    for dx, dy in road:
        mouse.click(pb["x"] + dx, pb["y"] + dy)
    mouse.dblclick(pb["x"] + 300, pb["y"] + 110)
    road.append((300, 110))
    t.click_submit()
    answer = t.wait_answer()
    size = {"height": SMALL[1], "width": SMALL[0]}
    assert answer == approx_tree({
        "horizon": {"inputImageProperties": size, "lines": [
            {"label": "horizon", "vertices": [{"x": 20 * lsx, "y": 120 * lsy}, {"x": 480 * lsx, "y": 100 * lsy}]}]},
        "road": {"inputImageProperties": size, "polylines": [
            {"label": "road", "vertices": [{"x": dx * psx, "y": dy * psy} for dx, dy in road]}]},
    })
    assert_ints(answer)


# ---------------------------------------------------------------- entity annotation

ENTITY_TEXT = "Hi 😀 there! Alice Smith flew to Paris in 2019 with her 🐶."

SPAN_RECT_JS = """([a, b]) => {
  const host = document.querySelector('crowd-entity-annotation');
  const segs = host.shadowRoot.querySelectorAll('.seg');
  const at = (off) => {
    for (const s of segs) {
      const t = s.firstChild, st = Number(s.dataset.s);
      if (t && off >= st && off <= st + t.length) return [t, off - st];
    }
    throw new Error('offset ' + off + ' not rendered');
  };
  const r = document.createRange();
  r.setStart(...at(a));
  r.setEnd(...at(b));
  const rects = Array.from(r.getClientRects()).filter(x => x.width > 0);
  const first = rects[0], last = rects[rects.length - 1];
  return {x1: first.left, x2: last.right, y: first.top + first.height / 2};
}"""


def _u16(s: str) -> int:
    return len(s.encode("utf-16-le")) // 2


def span_points(t: TaskPage, word: str) -> tuple[float, float, float]:
    """Page coordinates (x at start, x at end, y) of `word` in the entity text."""
    i = ENTITY_TEXT.index(word)
    a, b = _u16(ENTITY_TEXT[:i]), _u16(ENTITY_TEXT[:i + len(word)])
    r = t.frame.evaluate(SPAN_RECT_JS, [a, b])
    ox, oy = t.frame_offset()
    return ox + r["x1"], ox + r["x2"], oy + r["y"]


def test_entity_annotation(open_task):
    t = open_task("entity_annotation.html")
    fl, mouse = t.fl, t.page.mouse
    expect(fl.locator("crowd-entity-annotation .etag")).to_have_text(["dat \u00d7"])  # initial-value
    # a word by double-click
    fl.get_by_role("radio", name="Location").click()
    x1, x2, y = span_points(t, "Paris")
    mouse.dblclick((x1 + x2) / 2, y)
    expect(fl.locator("crowd-entity-annotation .etag")).to_have_count(2)
    # two words by dragging across them
    fl.get_by_role("radio", name="Person").click()
    x1, x2, y = span_points(t, "Alice Smith")
    mouse.move(x1 + 1, y)
    mouse.down()
    mouse.move((x1 + x2) / 2, y, steps=4)
    mouse.move(x2 - 1, y, steps=4)
    mouse.up()
    expect(fl.locator("crowd-entity-annotation .etag")).to_have_count(3)
    t.screenshot("entity_annotation.png")
    t.click_submit()

    def ent(label, word):
        start = ENTITY_TEXT.index(word)   # Python indexes code points, as AWS's offsets do
        return {"label": label, "startOffset": start, "endOffset": start + len(word)}

    assert t.wait_answer() == {"crowd-entity-annotation": {"entities": [
        ent("person", "Alice Smith"), ent("location", "Paris"), ent("date", "2019")]}}


def test_entity_annotation_remove_by_tag_and_required(open_task):
    t = open_task("entity_annotation.html")
    fl = t.fl
    fl.locator("crowd-entity-annotation .etag").click()
    expect(fl.locator("crowd-entity-annotation .etag")).to_have_count(0)
    t.click_submit()
    expect(fl.get_by_text("Please annotate at least one span of text.").first).to_be_visible()
    no_answer(t)


# ---------------------------------------------------------------- layout / display elements

def test_tabs_switch_panes_and_collect_hidden_fields(open_task):
    t = open_task("tabs.html")
    fl = t.fl
    expect(fl.get_by_label("Your initials")).to_be_visible()
    expect(fl.get_by_label("One-line summary")).to_be_hidden()
    # the required field sits in the hidden tab: submitting reveals it with its message
    t.click_submit()
    expect(fl.get_by_label("One-line summary")).to_be_visible()
    expect(fl.get_by_role("tab", name="Questions")).to_have_attribute("aria-selected", "true")
    expect(fl.locator("crowd-input[name=summary] .err")).to_have_text("This field is required.")
    no_answer(t)
    fl.get_by_label("One-line summary").fill("Quarterly numbers are up")
    fl.get_by_role("tab", name="Overview").click()
    expect(fl.get_by_label("One-line summary")).to_be_hidden()
    t.click_submit()
    assert t.wait_answer() == {"reader": "AB", "summary": "Quarterly numbers are up", "confusing": {"on": False}}


def test_display_elements_produce_no_output(open_task):
    t = open_task("display.html")
    fl = t.fl
    # crowd-instructions: summary shown, the rest in a modal
    expect(fl.get_by_text("Check whether the receipt total is legible.")).to_be_visible()
    expect(fl.get_by_text("covered by a thumb", exact=False)).to_be_hidden()
    fl.get_by_role("button", name="View instructions").click()
    dialog = fl.get_by_role("dialog")
    expect(dialog).to_be_visible()
    for text in ("Zoom in on the bottom", "Good examples", "total reads 12.50", "Bad examples", "covered by a thumb"):
        expect(fl.get_by_text(text, exact=False)).to_be_visible()   # slotted into the dialog
    t.screenshot("instructions_modal.png")
    t.page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    # alerts, dismissible
    expect(fl.get_by_text("Saved drafts are kept for 24 hours.")).to_be_visible()
    warning = fl.locator("crowd-alert[type=warning]")
    expect(warning).to_be_visible()
    warning.get_by_role("button", name="Dismiss").click()
    expect(warning).to_be_hidden()
    expect(fl.locator("crowd-alert[type=success]").get_by_role("button", name="Dismiss")).to_be_hidden()
    # card
    expect(fl.locator("crowd-card .cardh")).to_have_text("Receipt #1042")
    expect(fl.get_by_text("Store: Corner Market.")).to_be_visible()
    expect(fl.locator("crowd-badge .badge")).to_have_text("new")
    # a crowd-button without form-action does not submit; the template's own submit button means no auto button
    fl.get_by_role("button", name="Helper action").click()
    expect(fl.locator("#helper-out")).to_have_text("helper clicked")
    expect(fl.locator("crowd-form .footer")).to_be_hidden()
    no_answer(t)
    fl.get_by_label("Total as printed").fill("12.50")
    t.screenshot("display.png")
    fl.get_by_role("button", name="Submit answer").click()
    assert t.wait_answer() == {"total": "12.50"}


# ---------------------------------------------------------------- crowd-form behaviour

def test_required_fields_block_submit_with_visible_messages(open_task):
    t = open_task("required.html")
    fl = t.fl
    t.click_submit()
    banner = fl.locator("crowd-form .banner")
    expect(banner).to_be_visible()
    expect(banner).to_contain_text("Please fix the following before submitting")
    expect(fl.locator("crowd-classifier .err")).to_have_text("Please choose a category.")
    expect(fl.locator("crowd-input .err")).to_have_text("This field is required.")
    expect(fl.locator(".crowd-native-error")).to_be_visible()
    t.screenshot("required_errors.png")
    no_answer(t)
    invalid = t.wait_message("crowd-form-invalid")
    assert [e["name"] for e in invalid["errors"]] == ["label", "signer", "reference"]
    assert all(e["message"] for e in invalid["errors"])

    fl.get_by_role("radio", name="Yes").click()
    expect(fl.locator("crowd-classifier .err")).to_be_hidden()
    fl.get_by_label("Name of the signer").fill("Jane Roe")
    fl.get_by_label("Reference number").fill("R-1")
    expect(fl.locator(".crowd-native-error")).to_have_count(0)
    expect(banner).to_be_hidden()
    t.click_submit()
    assert t.wait_answer() == {"label": {"label": "Yes"}, "signer": "Jane Roe", "reference": "R-1"}


def test_plain_named_inputs_collected(open_task):
    t = open_task("plain_inputs.html", mode="url")   # served from a URL instead of srcdoc
    fl = t.fl
    fl.get_by_label("City").fill("Berlin")
    fl.get_by_label("Pages").fill("12")
    fl.get_by_label("Comment").fill("two\nlines")
    fl.get_by_label("Language").select_option("de")
    fl.get_by_label("Stamped").check()
    fl.get_by_label("Bad").check()
    expect(fl.locator("crowd-form .footer")).to_be_hidden()   # has its own <button type=submit>
    fl.get_by_role("button", name="Send").click()
    assert t.wait_answer() == {
        "city": "Berlin",
        "source": "s3://bucket/doc.pdf",
        "pages": "12",
        "comment": "two\nlines",
        "language": "de",
        "flags": {"handwritten": False, "stamped": True},
        "quality": {"good": False, "bad": True},
    }


def test_onsubmit_handler_modifies_hidden_input_before_collection(open_task):
    t = open_task("onsubmit_hidden.html")
    t.fl.get_by_label("Type a word").fill("kettle")
    t.click_submit()
    assert t.wait_answer() == {"word": "kettle", "computed": "upper:KETTLE"}


def test_prevent_default_cancels_submission(open_task):
    t = open_task("prevent_default.html")
    fl = t.fl
    fl.get_by_label("Answer").fill("42")
    t.click_submit()
    expect(fl.locator("#status")).to_have_text("Please double-check first.")
    # alert() is a no-op in a sandbox without allow-modals; the script shows it as a banner instead
    expect(fl.locator(".crowd-page-alert")).to_contain_text('Tick "I double-checked" before submitting.')
    t.wait_message("crowd-form-cancelled")
    no_answer(t)
    fl.get_by_role("button", name="I double-checked").click()
    t.click_submit()
    assert t.wait_answer() == {"answer": "42"}


def test_auto_appended_submit_button(open_task):
    t = open_task("auto_submit.html")
    fl = t.fl
    auto = fl.locator("crowd-form .footer button")
    expect(auto).to_be_visible()
    expect(auto).to_have_text("Submit")
    fl.get_by_label("Note").fill("all good")
    auto.click()
    assert t.wait_answer() == {"note": "all good"}


def test_form_submit_method(open_task):
    t = open_task("auto_submit.html")
    t.fl.get_by_label("Note").fill("via submit()")
    t.fl.get_by_role("button", name="Done (calls form.submit())").click()
    assert t.wait_answer() == {"note": "via submit()"}


def test_parent_request_submit_message(open_task):
    t = open_task("required.html")
    fl = t.fl
    t.request_submit()
    invalid = t.wait_message("crowd-form-invalid")
    assert {e["name"] for e in invalid["errors"]} == {"label", "signer", "reference"}
    expect(fl.locator("crowd-form .banner")).to_be_visible()
    no_answer(t)
    fl.get_by_role("radio", name="No").click()
    fl.get_by_label("Name of the signer").fill("J. Doe")
    fl.get_by_label("Reference number").fill("X9")
    t.request_submit()
    assert t.wait_answer() == {"label": {"label": "No"}, "signer": "J. Doe", "reference": "X9"}


def test_ready_message_and_double_click_submits_once(open_task):
    t = open_task("auto_submit.html")
    t.wait_message("crowd-form-ready")
    t.fl.locator("crowd-form .footer button").dblclick()
    t.settle()
    assert len(t.answers()) == 1


def test_script_loaded_after_markup_and_ready_event(open_task):
    t = open_task("script_at_end.html")
    fl = t.fl
    t.wait_message("crowd-form-ready")
    expect(fl.locator("crowd-classifier .hdr")).to_have_text("Which way does the arrow point?")
    fl.get_by_role("radio", name="Right").click()
    t.click_submit()
    assert t.wait_answer() == {"choice": {"label": "Right"}, "ready": "yes"}


KEYPOINT_CHECK = """
<script>
  document.querySelector('crowd-form').onsubmit = function (e) {
    var kp = document.querySelector('crowd-keypoint');
    var points = kp.value.keypoints || kp._submittableValue.keypoints;
    if (points.length < 2) {
      e.preventDefault();
      alert('Mark both eyes before submitting.');
    }
  };
</script>
"""


def test_template_script_reads_widget_value_in_onsubmit(open_task):
    t = open_task(load_template("keypoint.html") + KEYPOINT_CHECK)
    fl, mouse = t.fl, t.page.mouse
    box = image_box(t, "crowd-keypoint")
    mouse.click(box["x"] + 50, box["y"] + 40)
    t.click_submit()
    expect(fl.locator(".crowd-page-alert")).to_contain_text("Mark both eyes before submitting.")
    t.wait_message("crowd-form-cancelled")
    no_answer(t)
    fl.get_by_role("radio", name="right eye").click()
    mouse.click(box["x"] + 150, box["y"] + 40)
    t.click_submit()
    answer = t.wait_answer()
    assert [k["label"] for k in answer["face"]["keypoints"]] == ["left eye", "right eye"]


NESTED_NATIVE_FORM = """<script src="https://assets.crowd.aws/crowd-html-elements.js"></script>
<crowd-form>
  <form>
    <label>Inner <input type="text" name="inner"></label>
    <button>Go</button>
  </form>
</crowd-form>"""


def test_nested_native_form_submits_through_crowd_form(open_task):
    t = open_task(NESTED_NATIVE_FORM)
    t.fl.get_by_label("Inner").fill("value")
    t.fl.get_by_role("button", name="Go").click()   # a type-less button submits its native form
    assert t.wait_answer() == {"inner": "value"}
    assert t.frame.evaluate("location.href") == "about:srcdoc"   # the frame was not navigated


def test_image_classifier_overlay_draws_the_earlier_label_for_verification(open_task):
    t = open_task("image_classifier_overlay.html")
    fl = t.fl
    first = fl.locator("crowd-image-classifier[name=verify]")
    box = first.locator("svg.ovl g.ovl-box")
    expect(box).to_have_count(1)
    expect(box).to_have_attribute("data-label", "Dog")
    img = first.locator("img.cimg").bounding_box()
    rect = box.locator("rect").bounding_box()
    # the box sits where the earlier job put it, in the image's natural pixels scaled as shown
    scale = img["height"] / SMALL[1]
    left_edge = img["x"] + (img["width"] - SMALL[0] * scale) / 2
    assert rect["x"] == pytest.approx(left_edge + 20 * scale, abs=3 + scale)
    assert rect["y"] == pytest.approx(img["y"] + 10 * scale, abs=3 + scale)
    assert rect["width"] == pytest.approx(60 * scale, abs=4 + scale)
    assert rect["height"] == pytest.approx(40 * scale, abs=4 + scale)
    mask = fl.locator("crowd-image-classifier[name=verifymask] svg.ovl image.ovl-mask")
    expect(mask).to_have_attribute("href", re.compile(r"^data:image/png;base64,iVBOR"))
    t.screenshot("image_classifier_overlay.png")
    fl.get_by_role("radio", name="Wrong label").click()
    fl.locator("crowd-image-classifier[name=verifymask]").get_by_role("radio", name="Correct").click()
    t.click_submit()
    assert t.wait_answer() == {"verify": {"label": "Wrong label"}, "verifymask": {"label": "Correct"}}
