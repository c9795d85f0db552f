"""Required classifier answers and elements that bring their own form, in a sandboxed frame in Chromium."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.review.crowd_harness import TaskPage

MESSAGES = {
    "classifier.html": ("crowd-classifier", "Please choose a category."),
    "image_classifier.html": ("crowd-image-classifier", "Please choose a category."),
    "classifier_multi_select.html": ("crowd-classifier-multi-select", "Please choose at least one category."),
    "image_classifier_multi_select.html": ("crowd-image-classifier-multi-select",
                                           "Please choose at least one category."),
}


def no_answer(t: TaskPage) -> None:
    t.settle()
    assert t.answers() == []


@pytest.mark.parametrize("template", sorted(MESSAGES))
def test_classifier_with_nothing_chosen_blocks_submit(open_task, template):
    tag, message = MESSAGES[template]
    t = open_task(template)
    t.fl.locator(f"{tag} .cat").evaluate_all("bs => bs.forEach(b => b.getAttribute('aria-checked') === 'true' && b.click())")
    t.click_submit()
    invalid = t.wait_message("crowd-form-invalid")
    assert [e["message"] for e in invalid["errors"]] == [message]
    expect(t.fl.locator(f"{tag} .err")).to_have_text(message)
    expect(t.fl.locator("crowd-form .banner")).to_contain_text(message)
    no_answer(t)
    t.screenshot(f"required-{tag}.png")
    # choosing one lifts the block
    t.fl.locator(f"{tag} .cat").first.click()
    expect(t.fl.locator(f"{tag} .err")).to_be_hidden()
    t.click_submit()
    answer = t.wait_answer()
    value = next(iter(answer.values()))
    assert value.get("label") or value.get("labels")


def test_exclusion_category_counts_as_an_answer(open_task):
    t = open_task("image_classifier_multi_select.html")
    t.fl.get_by_role("checkbox", name="Nothing recognisable").click()
    t.click_submit()
    assert next(iter(t.wait_answer().values()))["labels"] == ["Nothing recognisable"]


def test_standalone_entity_annotation_brings_its_own_form(open_task):
    t = open_task("standalone_entity.html")
    host = t.fl.locator("crowd-entity-annotation")
    # the element's own form shows a Submit button and holds what the template appended to .form
    submit = host.locator("crowd-form").get_by_role("button", name="Submit")
    expect(submit).to_be_visible()
    expect(host.get_by_text("There are no key phrases")).to_be_visible()
    submit.click()
    expect(host.get_by_text("Please annotate", exact=False)).to_have_count(0)  # not required: it submits
    assert t.wait_answer() == {"keyphrases": {"entities": []}, "noPhrases": {"none": False},
                               "checkedBy": "template-listener", "review": {"review": False}, "other": {"other": False}}


def test_standalone_entity_annotation_answer_through_the_parent_button(open_task):
    t = open_task("standalone_entity.html")
    fl, mouse = t.fl, t.page.mouse
    seg = fl.locator("crowd-entity-annotation .seg").first
    box = seg.bounding_box()
    # double-click the first word, "Battery"
    mouse.dblclick(box["x"] + 20, box["y"] + box["height"] / 2)
    expect(fl.locator("crowd-entity-annotation .etag")).to_have_count(1)
    fl.get_by_text("There are no key phrases").click()
    fl.get_by_role("radio", name="A product review").click()
    expect(fl.get_by_role("radio", name="A product review")).to_have_attribute("aria-checked", "true")
    expect(fl.get_by_role("radio", name="Key phrase")).to_be_visible()   # longDisplayName shown
    t.screenshot("standalone-entity-annotation.png")
    t.request_submit()   # what the review page's Submit button sends
    assert t.wait_answer() == {"keyphrases": {"entities": [{"label": "keyphrase", "startOffset": 0, "endOffset": 7}]},
                               "noPhrases": {"none": True}, "checkedBy": "template-listener",
                               "review": {"review": True}, "other": {"other": False}}


@pytest.mark.parametrize("attr", ["defer", "async"])
def test_loader_with_defer_or_async_still_brings_every_part(open_task, attr):
    t = open_task(f"""<script {attr} src="https://assets.crowd.aws/crowd-html-elements.js"></script>
<crowd-form><crowd-semantic-segmentation name="seg" src="__BASE__/files/small.png" labels="['A']">
</crowd-semantic-segmentation></crowd-form>
<script>document.addEventListener('all-crowd-elements-ready', function () {{ document.body.dataset.ready = '1'; }});</script>""")
    t.frame.wait_for_function("() => document.body.dataset.ready === '1'")
    assert t.frame.evaluate("() => ['crowd-semantic-segmentation', 'crowd-text-ranking', 'crowd-video-object-tracking',"
                            " 'crowd-textract-analyze-document'].every(n => !!customElements.get(n))")
    t.fl.locator("crowd-semantic-segmentation[image-loaded]").wait_for()
