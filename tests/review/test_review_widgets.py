"""A2I's built-in review widgets (Textract key-value pairs, Rekognition moderation labels) in Chromium."""

from __future__ import annotations

import html
import json

from playwright.sync_api import expect

TEXTRACT_KEY = "AWS/Textract/AnalyzeDocument/Forms/V1"
REKOGNITION_KEY = "AWS/Rekognition/DetectModerationLabels/Image/V3"


def geometry(left, top, width, height):
    return {"BoundingBox": {"Width": width, "Height": height, "Left": left, "Top": top},
            "Polygon": [{"X": left, "Y": top}, {"X": left + width, "Y": top},
                        {"X": left + width, "Y": top + height}, {"X": left, "Y": top + height}]}


# what Textract's AnalyzeDocument returns for a form with two fields
BLOCKS = [
    {"BlockType": "KEY_VALUE_SET", "Id": "k1", "EntityTypes": ["KEY"], "Confidence": 91.5,
     "Geometry": geometry(0.05, 0.1, 0.2, 0.1),
     "Relationships": [{"Type": "VALUE", "Ids": ["v1"]}, {"Type": "CHILD", "Ids": ["w1"]}]},
    {"BlockType": "KEY_VALUE_SET", "Id": "v1", "EntityTypes": ["VALUE"], "Confidence": 88.0,
     "Geometry": geometry(0.3, 0.1, 0.3, 0.1), "Relationships": [{"Type": "CHILD", "Ids": ["w2"]}]},
    {"BlockType": "WORD", "Id": "w1", "Text": "Name:"},
    {"BlockType": "WORD", "Id": "w2", "Text": "Jon"},
    {"BlockType": "KEY_VALUE_SET", "Id": "k2", "EntityTypes": ["KEY"], "Geometry": geometry(0.05, 0.5, 0.2, 0.1),
     "Relationships": [{"Type": "VALUE", "Ids": ["v2"]}, {"Type": "CHILD", "Ids": ["w3"]}]},
    {"BlockType": "KEY_VALUE_SET", "Id": "v2", "EntityTypes": ["VALUE"], "Geometry": geometry(0.3, 0.5, 0.3, 0.1),
     "Relationships": [{"Type": "CHILD", "Ids": ["w4"]}]},
    {"BlockType": "WORD", "Id": "w3", "Text": "Page"},
    {"BlockType": "WORD", "Id": "w4", "Text": "3"},
]

TEXTRACT = """<script src="https://assets.crowd.aws/crowd-html-elements.js"></script>
<crowd-form>
  <crowd-textract-analyze-document
    src="__BASE__/files/wide.png"
    initial-value="{blocks}"
    header="Review the key-value pairs listed on the right and correct them if they don't match the following document."
    no-key-edit
    no-geometry-edit
    keys="[{{importantFormKey: 'Date', importantFormKeyAliases: ['date']}}]"
    block-types="['KEY_VALUE_SET']"
  >
    <short-instructions header="Instructions"><p>Correct the values.</p></short-instructions>
    <full-instructions header="Instructions"></full-instructions>
  </crowd-textract-analyze-document>
</crowd-form>
""".replace("{blocks}", html.escape(json.dumps(BLOCKS), quote=True))

REKOGNITION = """<script src="https://assets.crowd.aws/crowd-html-elements.js"></script>
<crowd-form>
  <crowd-rekognition-detect-moderation-labels
    categories='[
        {
          name: "Weapons",
          parentName: "Violence",
        },
        {
          name: "Corpses",
          parentName: "Violence",
        },
    ]'
    src="__BASE__/files/small.png"
    header="Review the image and choose all applicable categories."
    EXCLUSION
  >
    <short-instructions header="Instructions"><p>If no categories apply, choose None.</p></short-instructions>
    <full-instructions header="Instructions"></full-instructions>
  </crowd-rekognition-detect-moderation-labels>
</crowd-form>
"""


def test_textract_review_corrects_removes_and_adds_pairs(open_task):
    t = open_task(TEXTRACT)
    fl = t.fl
    tx = fl.locator("crowd-textract-analyze-document")
    fl.locator("crowd-textract-analyze-document[image-loaded]").wait_for()
    expect(tx.locator(".docbox")).to_have_count(4)           # both pairs drawn on the document
    expect(tx.get_by_label("Key 1")).to_have_value("Name:")
    expect(tx.get_by_label("Key 1")).not_to_be_editable()    # no-key-edit
    value = tx.get_by_label("Value of Name:")
    expect(value).to_have_value("Jon")
    value.fill("John")                                        # focus highlights the pair on the document
    expect(tx.locator(".docbox.sel")).to_have_count(2)
    tx.get_by_role("button", name="Remove pair Page").click()
    # a missing pair, typed with the keyboard: Enter adds it
    tx.get_by_label("New key").fill("Date")
    tx.get_by_label("New value").fill("2020-01-01")
    tx.get_by_label("New value").press("Enter")
    expect(tx.get_by_label("Key 2")).to_have_value("Date")
    expect(tx.get_by_label("Key 2")).to_be_editable()
    t.screenshot("textract-analyze-document.png")
    t.click_submit()
    blocks = t.wait_answer()[TEXTRACT_KEY]["blocks"]
    assert blocks[0] == {
        "blockType": "KEY_VALUE_SET", "id": "k1", "entityTypes": ["KEY"], "text": "Name:", "confidence": 91.5,
        "geometry": {"boundingBox": {"width": 0.2, "height": 0.1, "left": 0.05, "top": 0.1},
                     "polygon": [{"x": 0.05, "y": 0.1}, {"x": 0.25, "y": 0.1},
                                 {"x": 0.25, "y": 0.2}, {"x": 0.05, "y": 0.2}]},
        "relationships": [{"type": "CHILD", "ids": ["w1"]}, {"type": "VALUE", "ids": ["v1"]}]}
    assert blocks[1]["id"] == "v1" and blocks[1]["entityTypes"] == ["VALUE"] and blocks[1]["text"] == "John"
    assert blocks[1]["relationships"] == [{"type": "CHILD", "ids": ["w2"]}]
    new_key, new_value = blocks[2], blocks[3]
    assert len(blocks) == 4
    assert new_key["text"] == "Date" and new_key["entityTypes"] == ["KEY"]
    assert new_key["relationships"] == [{"type": "VALUE", "ids": [new_value["id"]]}]
    assert new_value["text"] == "2020-01-01" and "geometry" not in new_value


def test_rekognition_moderation_answer_keeps_category_objects(open_task):
    t = open_task(REKOGNITION.replace("EXCLUSION", ""))
    fl = t.fl
    fl.get_by_role("checkbox", name="Weapons").click()
    t.screenshot("rekognition-moderation.png")
    t.click_submit()
    assert t.wait_answer() == {REKOGNITION_KEY: {"ModerationLabels": [{"name": "Weapons", "parentName": "Violence"}]}}


def test_rekognition_exclusion_disables_categories_and_answers_empty(open_task):
    t = open_task(REKOGNITION.replace("EXCLUSION", "exclusion-category=\"{ text: 'None of these' }\""))
    fl = t.fl
    t.click_submit()
    expect(fl.locator("crowd-rekognition-detect-moderation-labels .err")).to_have_text(
        "Choose the categories that apply, or \u201cNone of these\u201d.")
    fl.get_by_role("checkbox", name="Corpses").click()
    fl.get_by_role("checkbox", name="None of these").click()
    expect(fl.get_by_role("checkbox", name="Corpses")).to_be_disabled()
    expect(fl.get_by_role("checkbox", name="Corpses")).to_have_attribute("aria-checked", "false")
    t.click_submit()
    assert t.wait_answer() == {REKOGNITION_KEY: {"ModerationLabels": []}}
