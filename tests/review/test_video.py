"""Video frame object tracking and detection over a frame sequence, driven by mouse and keys."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.review.crowd_harness import TaskPage, make_png

W, H = 320, 160


@pytest.fixture(scope="module", autouse=True)
def frames(server):
    # a red square that moves right from frame to frame
    for f in range(4):
        x0 = 20 + 40 * f
        server.add_file(f"f{f}.png", make_png(W, H, lambda x, y, x0=x0: (220, 40, 40) if x0 <= x < x0 + 60 and 40 <= y < 100
                                               else (235, 238, 242)), "image/png")


def stage(t: TaskPage, tag: str):
    t.fl.locator(f"{tag}[image-loaded]").wait_for()
    t.settle()
    return t.fl.locator(f"{tag} .simg").bounding_box()


def to_page(t, tag, x, y):
    b = stage(t, tag)
    return b["x"] + x * b["width"] / W, b["y"] + y * b["height"] / H


def drag(t, tag, a, b):
    m = t.page.mouse
    m.move(*to_page(t, tag, *a))
    m.down()
    m.move(*to_page(t, tag, *b), steps=6)
    m.up()


def test_tracking_copy_move_interpolate(open_task):
    tag = "crowd-video-object-tracking"
    t = open_task("video_tracking.html")
    fl = t.fl
    layer = fl.locator(f"{tag} .slayer")
    expect(fl.locator(f"{tag} .fno")).to_have_text("Frame 1 / 4")
    drag(t, tag, (20, 40), (80, 100))                       # the car on frame 1
    expect(fl.locator(f"{tag} .bbox .tag")).to_have_text(["Car:1"])
    for _ in range(3):
        layer.press("c")                                     # carry it to frames 2, 3 and 4
    expect(fl.locator(f"{tag} .fno")).to_have_text("Frame 4 / 4")
    # on the last frame the car is 120 px further right: move the box there
    drag(t, tag, (50, 70), (170, 70))
    layer.press("i")                                         # frames 2 and 3 follow in between
    layer.press("ArrowLeft")
    expect(fl.locator(f"{tag} .fno")).to_have_text("Frame 3 / 4")
    expect(fl.locator(f"{tag} .bbox.interp")).to_have_count(1)
    t.screenshot("video-tracking.png")
    layer.press("Home")
    expect(fl.locator(f"{tag} .fno")).to_have_text("Frame 1 / 4")
    t.click_submit()
    frames = t.wait_answer()["video"]["tracking-annotations"]
    assert [f["frame-no"] for f in frames] == ["0", "1", "2", "3"]   # strings, as in GT's SeqLabel.json
    assert all(set(f) == {"frame-no", "frame", "annotations"} for f in frames)
    assert [f["frame"] for f in frames] == ["f0.png", "f1.png", "f2.png", "f3.png"]
    assert all(len(f["annotations"]) == 1 for f in frames)
    anns = [f["annotations"][0] for f in frames]
    assert len({a["object-id"] for a in anns}) == 1 and {a["object-name"] for a in anns} == {"Car:1"}
    assert {a["class-id"] for a in anns} == {"0"}
    lefts = [a["left"] for a in anns]
    assert lefts[0] == pytest.approx(20, abs=2) and lefts[3] == pytest.approx(140, abs=3)
    assert lefts[1] == pytest.approx(lefts[0] + (lefts[3] - lefts[0]) / 3, abs=1)
    assert lefts[2] == pytest.approx(lefts[0] + 2 * (lefts[3] - lefts[0]) / 3, abs=1)
    assert all(a["width"] == pytest.approx(60, abs=2) and a["height"] == pytest.approx(60, abs=2) for a in anns)
    assert all(set(a) == {"height", "width", "top", "left", "class-id", "label-category-attributes",
                          "object-id", "object-name"} for a in anns)


def test_detection_boxes_per_frame_with_keyboard_navigation(open_task):
    tag = "crowd-video-object-detection"
    t = open_task("video_detection.html")
    fl = t.fl
    t.click_submit()
    expect(fl.locator(f"{tag} .err")).to_have_text("Please draw at least one box.")
    drag(t, tag, (20, 40), (80, 100))
    layer = fl.locator(f"{tag} .slayer")
    layer.press("ArrowRight")
    expect(fl.locator(f"{tag} .fno")).to_have_text("Frame 2 / 3")
    expect(fl.locator(f"{tag} .bbox")).to_have_count(0)
    drag(t, tag, (60, 40), (120, 100))
    t.click_submit()
    frames = t.wait_answer()["video"]["detection-annotations"]
    assert [len(f["annotations"]) for f in frames] == [1, 1, 0]
    assert frames[1]["annotations"][0]["left"] == pytest.approx(60, abs=2)
    assert "object-id" not in frames[0]["annotations"][0]


RECORD_JS = """async () => {
  // a 1.2 s VP8 clip of a moving square, recorded from a canvas by the browser itself
  const c = document.createElement('canvas'); c.width = 160; c.height = 90;
  const g = c.getContext('2d');
  const rec = new MediaRecorder(c.captureStream(20), {mimeType: 'video/webm;codecs=vp8'});
  const parts = [];
  rec.ondataavailable = e => parts.push(e.data);
  const done = new Promise(r => rec.onstop = r);
  rec.start();
  const t0 = performance.now();
  await new Promise(r => { (function tick() {
    const t = performance.now() - t0;
    g.fillStyle = '#eef'; g.fillRect(0, 0, 160, 90); g.fillStyle = '#d33'; g.fillRect(t / 10 % 140, 30, 20, 20);
    if (t < 1200) requestAnimationFrame(tick); else r();
  })(); });
  rec.stop(); await done;
  const buf = new Uint8Array(await new Blob(parts, {type: 'video/webm'}).arrayBuffer());
  let s = ''; for (const b of buf) s += String.fromCharCode(b);
  return btoa(s);
}"""


def test_video_clip_classification_player_and_classifier(open_task, context, server):
    import base64

    maker = context.new_page()
    try:
        clip = base64.b64decode(maker.evaluate(RECORD_JS))
    finally:
        maker.close()
    server.add_file("clip.webm", clip, "video/webm")
    t = open_task("video_clip_classification.html")
    video = t.fl.locator("#clip")
    t.frame.wait_for_function("() => document.getElementById('clip').readyState >= 1")
    # the player plays the clip inside the sandboxed frame
    video.evaluate("v => v.play()")
    t.frame.wait_for_function("() => document.getElementById('clip').currentTime > 0.1")
    t.screenshot("video-clip-classification.png")
    t.fl.locator("crowd-classifier .cat").first.focus()
    t.page.keyboard.press("2")
    t.page.keyboard.press("Control+Enter")
    assert t.wait_answer() == {"crowd-classifier": {"label": "Running"}}
