"""Semantic and instance segmentation painted with the mouse and keys; the submitted PNG decoded with Pillow."""

from __future__ import annotations

import base64
import io

from PIL import Image
from playwright.sync_api import expect

from tests.review.conftest import SMALL
from tests.review.crowd_harness import TaskPage


def opaque(hex_color: str) -> tuple[int, int, int, int]:
    return (int(hex_color[1:3], 16), int(hex_color[3:5], 16), int(hex_color[5:7], 16), 255)


class Painter:
    """Drives one segmentation widget in natural image pixels."""

    def __init__(self, t: TaskPage, tag: str):
        self.t, self.tag = t, tag
        t.fl.locator(f"{tag}[image-loaded]").wait_for()
        self.view = t.fl.locator(f"{tag} .segview")

    def box(self):
        self.t.settle()
        return self.t.fl.locator(f"{self.tag} .segworld canvas").bounding_box()

    def at(self, x, y):
        b = self.box()
        return b["x"] + x * b["width"] / SMALL[0], b["y"] + y * b["height"] / SMALL[1]

    def drag(self, *points):
        m = self.t.page.mouse
        m.move(*self.at(*points[0]))
        m.down()
        for p in points[1:]:
            m.move(*self.at(*p), steps=5)
        m.up()

    def click(self, x, y):
        self.t.page.mouse.click(*self.at(x, y))

    def key(self, k):
        self.view.press(k)


def decode(answer_part) -> Image.Image:
    data = base64.b64decode(answer_part["labeledImage"]["pngImageData"], validate=True)
    img = Image.open(io.BytesIO(data))
    assert img.format == "PNG" and img.size == SMALL
    return img.convert("RGBA")


def test_semantic_segmentation_brush_polygon_eraser_undo_autofill(open_task):
    t = open_task("semantic_segmentation.html")
    p = Painter(t, "crowd-semantic-segmentation")
    fl = t.fl
    # brush (the default tool) with label 1, Sky
    p.drag((20, 20), (80, 20))
    expect(fl.locator("crowd-semantic-segmentation .item")).to_have_count(1)
    # polygon with Tree (key 2): four corners, Enter closes and fills
    p.key("2")
    p.key("p")
    for corner in ((120, 10), (180, 10), (180, 60), (120, 60)):
        p.click(*corner)
    p.key("Enter")
    # the eraser cuts a column through the rectangle ... and Ctrl+Z brings it back
    p.key("e")
    p.drag((150, 5), (150, 65))
    before_undo = t.frame.evaluate("() => document.querySelector('crowd-semantic-segmentation').value.labeledImage.pngImageData")
    p.key("Control+z")
    # a ring of Road (key 3) with the brush, then A fills the unlabeled area it encloses
    p.key("3")
    p.key("b")
    p.drag((20, 60), (80, 60), (80, 95), (20, 95), (20, 60))
    p.key("a")
    # zoom in and out with the keys: the view scales, the mask stays aligned
    p.key("+")
    expect(fl.locator("crowd-semantic-segmentation .segstatus")).to_contain_text("zoom 125%")
    p.key("0")
    expect(fl.locator("crowd-semantic-segmentation .segstatus")).to_contain_text("zoom 100%")
    expect(fl.locator("crowd-semantic-segmentation .item")).to_have_count(3)
    t.screenshot("semantic-segmentation.png")
    t.click_submit()
    answer = t.wait_answer()["crowd-semantic-segmentation"]
    assert answer["inputImageProperties"] == {"height": SMALL[1], "width": SMALL[0]}
    colors = {k: v["color"] for k, v in answer["labelMappings"].items()}
    assert set(colors) == {"Sky", "Tree", "Road"} and len(set(colors.values())) == 3
    img = decode(answer)
    assert img.getpixel((50, 20)) == opaque(colors["Sky"])          # brushed
    assert img.getpixel((50, 35))[3] == 0                            # untouched: transparent
    assert img.getpixel((130, 30)) == opaque(colors["Tree"])         # polygon inside
    assert img.getpixel((185, 30))[3] == 0                           # polygon outside
    assert img.getpixel((150, 30)) == opaque(colors["Tree"])         # erased, then undone
    assert img.getpixel((50, 78)) == opaque(colors["Road"])          # enclosed area auto-filled
    assert img.getpixel((5, 78))[3] == 0                             # outside the ring
    # every pixel is either unlabeled or exactly one label colour (no blending at edges)
    allowed = {opaque(c) for c in colors.values()}
    assert {px for _, px in img.getcolors(maxcolors=1 << 16) if px[3]} <= allowed
    # the eraser really erased before the undo
    erased = Image.open(io.BytesIO(base64.b64decode(before_undo))).convert("RGBA")
    assert erased.getpixel((150, 30))[3] == 0


def test_semantic_segmentation_bucket_fill_and_redo(open_task):
    t = open_task("semantic_segmentation.html")
    p = Painter(t, "crowd-semantic-segmentation")
    p.key("f")
    p.click(100, 50)                         # the whole empty image takes Sky
    p.key("Control+z")
    p.key("Control+Shift+z")                 # and comes back
    t.click_submit()
    answer = t.wait_answer()["crowd-semantic-segmentation"]
    img = decode(answer)
    sky = opaque(answer["labelMappings"]["Sky"]["color"])
    assert [px for _, px in img.getcolors(maxcolors=1 << 16)] == [sky]


def test_instance_segmentation_separates_instances_of_one_label(open_task):
    t = open_task("instance_segmentation.html")
    p = Painter(t, "crowd-instance-segmentation")
    fl = t.fl
    p.drag((20, 20), (60, 20))               # Car #1
    p.key("n")
    p.drag((20, 60), (60, 60))               # Car #2
    p.key("2")
    p.drag((120, 40), (170, 40))             # Person #3
    expect(fl.locator("crowd-instance-segmentation .item")).to_have_count(3)
    t.screenshot("instance-segmentation.png")
    t.click_submit()
    answer = t.wait_answer()["annotatedResult"]
    assert answer["inputImageProperties"] == {"height": SMALL[1], "width": SMALL[0]}
    assert [i["label"] for i in answer["instances"]] == ["Car", "Car", "Person"]
    colors = [i["color"] for i in answer["instances"]]
    assert len(set(colors)) == 3
    img = decode(answer)
    assert img.getpixel((40, 20)) == opaque(colors[0])
    assert img.getpixel((40, 60)) == opaque(colors[1])
    assert img.getpixel((150, 40)) == opaque(colors[2])
    assert img.getpixel((100, 90))[3] == 0


def test_instance_segmentation_delete_an_instance_from_the_list(open_task):
    t = open_task("instance_segmentation.html")
    p = Painter(t, "crowd-instance-segmentation")
    p.drag((20, 20), (60, 20))
    p.key("n")
    p.drag((20, 60), (60, 60))
    t.fl.locator("crowd-instance-segmentation .item").first.get_by_role("button", name="Delete").click()
    t.click_submit()
    answer = t.wait_answer()["annotatedResult"]
    assert [i["label"] for i in answer["instances"]] == ["Car"]
    img = decode(answer)
    assert img.getpixel((40, 20))[3] == 0
    assert img.getpixel((40, 60)) == opaque(answer["instances"][0]["color"])


def test_painting_while_zoomed_and_panned_hits_the_right_pixels(open_task):
    t = open_task("semantic_segmentation.html")
    p = Painter(t, "crowd-semantic-segmentation")
    p.key("+")
    p.key("+")
    p.key("ArrowLeft")                       # pan: the image moves right by 40 screen px
    expect(t.fl.locator("crowd-semantic-segmentation .segstatus")).to_contain_text("zoom 156%")
    p.key("2")
    p.drag((90, 50), (110, 50))
    t.click_submit()
    answer = t.wait_answer()["crowd-semantic-segmentation"]
    img = decode(answer)
    tree = opaque(answer["labelMappings"]["Tree"]["color"])
    assert img.getpixel((100, 50)) == tree and img.getpixel((90, 50)) == tree
    assert img.getpixel((100, 60))[3] == 0 and img.getpixel((80, 50))[3] == 0


def test_initial_value_brings_a_prior_mask_and_its_colours(open_task):
    from tests.review.crowd_harness import make_png

    # a prior job's mask: the left half is Tree in the prior job's colour
    prior = make_png(*SMALL, lambda x, y: (0, 255, 0) if x < SMALL[0] // 2 else (255, 255, 255))
    html = f"""<script src="https://assets.crowd.aws/crowd-html-elements.js"></script>
<crowd-form><crowd-semantic-segmentation name="seg" src="__BASE__/files/small.png" labels="['Sky', 'Tree']"
  initial-value='{{"labelMappings": {{"Tree": {{"color": "#00ff00"}}}},
                   "src": "data:image/png;base64,{base64.b64encode(prior).decode()}"}}'>
</crowd-semantic-segmentation></crowd-form>"""
    t = open_task(html)
    t.fl.locator("crowd-semantic-segmentation[mask-loaded]").wait_for()
    expect(t.fl.locator("crowd-semantic-segmentation .item")).to_have_count(1)
    p = Painter(t, "crowd-semantic-segmentation")
    p.drag((150, 20), (180, 20))              # Sky, label 1, on the right half
    t.click_submit()
    answer = t.wait_answer()["seg"]
    assert answer["labelMappings"]["Tree"] == {"color": "#00ff00"}
    img = decode(answer)
    assert img.getpixel((10, 50)) == (0, 255, 0, 255) and img.getpixel((99, 99)) == (0, 255, 0, 255)
    assert img.getpixel((165, 20)) == opaque(answer["labelMappings"]["Sky"]["color"])
    assert img.getpixel((150, 80))[3] == 0
