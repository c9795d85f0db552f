"""The elements of AWS's v2 loader (crowd-html-elements-v2.js), worked in a sandboxed frame in Chromium."""

from __future__ import annotations

from playwright.sync_api import expect

QA_TEXT = "The Amazon rainforest covers most of the Amazon basin of South America. Brazil holds 60% of it."

WORD_RECT_JS = """([sel, a, b]) => {
  const host = document.querySelector(sel);
  const node = host.shadowRoot.querySelector('.passage').firstChild;
  const r = document.createRange(); r.setStart(node, a); r.setEnd(node, b);
  const x = r.getBoundingClientRect();
  return {x: x.left + x.width / 2, y: x.top + x.height / 2};
}"""


def test_v2_loader_is_ours(open_task):
    t = open_task("text_ranking.html")
    assert t.frame.evaluate("() => !!customElements.get('crowd-text-ranking') && !!customElements.get('crowd-question-answer-generation')")


def test_text_ranking_by_keyboard_with_tie_rules(open_task):
    t = open_task("text_ranking.html")
    fl = t.fl
    expect(fl.get_by_text("Why does a mirror show you yourself?")).to_be_visible()
    expect(fl.get_by_text("Mirrors remember faces.")).to_be_visible()
    t.click_submit()
    expect(fl.locator("crowd-text-ranking .err")).to_have_text("Rank every response on \u201cClarity\u201d.")

    def rank(dim, i, value):
        sel = fl.get_by_label(f"{dim} rank of response {i}")
        sel.focus()
        sel.press(str(value))   # a select takes the option whose text starts with the typed key

    for i, v in ((1, 1), (2, 2), (3, 2)):   # Clarity allows ties
        rank("Clarity", i, v)
    for i, v in ((1, 1), (2, 1), (3, 2)):   # Accuracy does not
        rank("Accuracy", i, v)
    t.click_submit()
    expect(fl.locator("crowd-text-ranking .err")).to_have_text(
        "\u201cAccuracy\u201d does not allow ties: give each response its own rank.")
    rank("Accuracy", 2, 3)
    t.screenshot("text-ranking.png")
    t.click_submit()
    assert t.wait_answer() == {"textRanking": {"ordinalRankingDimensions": [
        {"name": "Clarity", "ranks": [1, 2, 2]}, {"name": "Accuracy", "ranks": [1, 3, 2]}]}}


def test_question_answer_generation_with_highlighted_answer_and_tags(open_task):
    t = open_task("question_answer.html")
    fl = t.fl
    qa = fl.locator("crowd-question-answer-generation")
    qa.get_by_label("Question 1", exact=True).fill("Which country?")
    t.click_submit()
    expect(qa.locator(".err")).to_have_text("The question of question 1 needs at least 3 words.")
    qa.get_by_label("Question 1", exact=True).fill("Which country holds most?")
    # highlight "Brazil" in the passage and take it as the answer
    start = QA_TEXT.index("Brazil")
    p = t.frame.evaluate(WORD_RECT_JS, ["crowd-question-answer-generation", start, start + len("Brazil")])
    ox, oy = t.frame_offset()
    t.page.mouse.dblclick(ox + p["x"], oy + p["y"])
    qa.get_by_role("button", name="Use highlighted text").click()
    expect(qa.get_by_label("Answer 1", exact=True)).to_have_value("Brazil")
    qa.get_by_label("geography").check()
    custom = qa.get_by_label("Custom tag for question 1")
    custom.fill("country")
    custom.press("Enter")
    # a second pair, typed, then removed again
    qa.get_by_role("button", name="Add a question").click()
    expect(qa.get_by_label("Question 2", exact=True)).to_be_focused()
    qa.get_by_role("button", name="Remove question 2").click()
    t.screenshot("question-answer-generation.png")
    t.click_submit()
    assert t.wait_answer() == {"qa": {"questionAnswerPairs": [{
        "question": "Which country holds most?", "answer": "Brazil", "questionTags": ["geography", "country"],
        "answerSpan": {"startOffset": start, "endOffset": start + 6}}]}}
