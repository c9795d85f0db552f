"""A2I consolidatedAnswer: each answerContent shape crowd-html-elements submits is merged in place."""
import json

import pytest

from hitl_service.consolidation.a2i import consolidate_answer_contents


def test_classifier_labels_vote_with_share_confidence():
    contents = [{"category": {"label": label}} for label in ("Cat", "Cat", "Dog")]
    merged = consolidate_answer_contents(contents)
    assert merged["answerContent"] == {"category": {"label": "Cat"}}
    assert merged["confidence"] == {"category": pytest.approx(0.6667)}
    assert merged["method"] == "majority-vote" and merged["answers"] == 3
    assert json.loads(json.dumps(merged)) == merged


def test_radio_group_checkboxes_text_numbers_and_multiselect():
    contents = [
        {"sentiment": {"positive": True, "negative": False}, "flags": {"spam": True, "nsfw": False},
         "note": "Blue car", "count": 3, "tags": {"labels": ["a", "b"]}},
        {"sentiment": {"positive": True, "negative": False}, "flags": {"spam": True, "nsfw": True},
         "note": "blue car ", "count": 3, "tags": {"labels": ["a"]}},
        {"sentiment": {"positive": False, "negative": True}, "flags": {"spam": False, "nsfw": False},
         "note": "a red bus", "count": 4, "tags": {"labels": ["a", "b"]}},
    ]
    merged = consolidate_answer_contents(contents)
    content = merged["answerContent"]
    assert content["sentiment"] == {"negative": False, "positive": True}
    assert content["flags"] == {"nsfw": False, "spam": True}
    assert content["note"] == "Blue car" and content["count"] == 3
    assert content["tags"] == {"labels": ["a", "b"]}
    assert merged["confidence"]["tags"] == {"a": 1.0, "b": pytest.approx(0.6667)}
    assert merged["confidence"]["count"] == pytest.approx(0.6667)
    assert merged["method"] == "mixed"


def test_bounding_boxes_keep_shape_and_drop_a_box_one_of_three_drew():
    def boxes(*items):
        keys = ("label", "left", "top", "width", "height")
        return {"annotatedResult": {"boundingBoxes": [dict(zip(keys, b)) for b in items],
                                    "inputImageProperties": {"height": 100, "width": 100}}}
    contents = [boxes(("car", 10, 10, 20, 20)), boxes(("car", 11, 10, 20, 20), ("tree", 60, 60, 5, 5)),
                boxes(("car", 12, 10, 20, 20))]
    merged = consolidate_answer_contents(contents)
    result = merged["answerContent"]["annotatedResult"]
    assert result["inputImageProperties"] == {"height": 100, "width": 100}
    assert result["boundingBoxes"] == [
        {"label": "car", "left": 11.0, "top": 10.0, "width": 20.0, "height": 20.0}]
    assert merged["confidence"]["annotatedResult"][0] > 0.9


def test_single_answer_zero_confidence_and_mismatched_fields_left_out():
    merged = consolidate_answer_contents([{"category": {"label": "Cat"}, "x": 1}])
    assert merged["confidence"] == {"category": 0.0, "x": 0.0}
    mixed = consolidate_answer_contents([{"a": "text", "b": 1}, {"a": 5, "b": 2}])
    assert "a" not in mixed["answerContent"] and mixed["answerContent"]["b"] == 1.5
    assert consolidate_answer_contents([]) is None


def test_loop_quality_report_says_who_agreed():
    from hitl_service.consolidation.a2i import loop_quality_report
    answers = [{"workerId": "w1", "answerContent": {"category": {"label": "Cat"}, "note": "Hi there"}},
               {"workerId": "w2", "answerContent": {"category": {"label": "Cat"}, "note": "hi  there"}},
               {"workerId": "w3", "answerContent": {"category": {"label": "Dog"}, "note": "bye"}}]
    merged = consolidate_answer_contents([a["answerContent"] for a in answers])
    report = loop_quality_report("loop-1", answers, merged)
    assert json.loads(json.dumps(report)) == report
    assert [r["agreement"] for r in report["reviewers"]] == [1.0, 1.0, 0.0]
    assert report["reviewers"][2]["agreesWith"] == {"category": False, "note": False}
    assert report["confidence"]["category"] == pytest.approx(0.6667)


def test_opt_in_tag_and_task_count_decide():
    from hitl_service.consolidation.a2i import consolidation_tag_value, loop_consolidation
    answers = [{"workerId": f"w{i}", "answerContent": {"c": {"label": lab}}} for i, lab in enumerate("aab")]
    merged, report = loop_consolidation("l", answers, task_count=3)
    assert merged["answerContent"] == {"c": {"label": "a"}} and report["answers"] == 3
    assert loop_consolidation("l", answers, task_count=1) == (None, None)
    assert loop_consolidation("l", [], task_count=3) == (None, None)
    assert consolidation_tag_value([{"Key": "hitl:consolidate", "Value": " TRUE"}]) is True
    assert consolidation_tag_value([{"Key": "hitl:consolidate", "Value": "False"}]) is False
    assert consolidation_tag_value([{"Key": "other", "Value": "true"}]) is False
    with pytest.raises(ValueError, match="hitl:consolidate"):
        consolidation_tag_value([{"Key": "hitl:consolidate", "Value": "yes"}])
