"""Image tools without a pointer where one is not essential: pick, move and delete shapes with keys."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.review.conftest import WIDE


def test_bounding_box_pick_and_move_with_keys(open_task):
    t = open_task("bounding_box.html")
    fl = t.fl
    fl.locator("crowd-bounding-box[image-loaded]").wait_for()
    img = fl.locator("crowd-bounding-box .simg")
    img.scroll_into_view_if_needed()
    t.settle()
    b = img.bounding_box()
    sx = b["width"] / WIDE[0]
    m = t.page.mouse
    m.move(b["x"] + 100 * sx, b["y"] + 100 * sx)
    m.down()
    m.move(b["x"] + 300 * sx, b["y"] + 250 * sx, steps=5)
    m.up()
    before = t.frame.evaluate("() => document.querySelector('crowd-bounding-box').value.boundingBoxes")
    layer = fl.locator("crowd-bounding-box .slayer")
    layer.press("Escape")                       # nothing selected ...
    layer.press("n")                            # ... N picks the first box
    expect(fl.locator("crowd-bounding-box .bbox.sel")).to_have_count(1)
    for _ in range(3):
        layer.press("ArrowRight")
    layer.press("Shift+ArrowDown")
    t.click_submit()
    boxes = t.wait_answer()["annotatedResult"]["boundingBoxes"]
    assert len(before) == len(boxes) == 2
    # the first box (the initial Truck) moved 3 px right and 10 px down; the drawn one did not move
    assert (boxes[0]["left"], boxes[0]["top"]) == (before[0]["left"] + 3, before[0]["top"] + 10)
    assert boxes[1] == before[1]


def test_list_button_selects_and_delete_key_removes(open_task):
    t = open_task("keypoint.html")
    fl = t.fl
    fl.locator("crowd-keypoint[image-loaded]").wait_for()
    img = fl.locator("crowd-keypoint .simg")
    img.scroll_into_view_if_needed()
    t.settle()
    b = img.bounding_box()
    t.page.mouse.click(b["x"] + b["width"] / 3, b["y"] + b["height"] / 3)
    t.page.mouse.click(b["x"] + 2 * b["width"] / 3, b["y"] + b["height"] / 3)
    rows = fl.locator("crowd-keypoint .item .itext")
    expect(rows).to_have_count(2)
    rows.first.focus()
    t.page.keyboard.press("Enter")              # selects it and puts the focus on the image
    expect(fl.locator("crowd-keypoint .slayer")).to_be_focused()
    t.page.keyboard.press("Delete")
    expect(rows).to_have_count(1)
