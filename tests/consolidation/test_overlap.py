"""The one confidence per item that adaptive overlap decides on, and the tag parser."""

import pytest

from hitl_service.consolidation.overlap import (
    OverlapSettings, loop_confidence, overlap_from_tags, region_confidence)


def tags(initial=None, target=None):
    out = []
    if initial is not None:
        out.append({"Key": "hitl:initial-workers", "Value": initial})
    if target is not None:
        out.append({"Key": "hitl:target-confidence", "Value": target})
    return out


def test_tags_parse_both_or_neither():
    assert overlap_from_tags(tags(), 3, "TaskCount") is None
    assert overlap_from_tags(tags(" 2 ", "0.75"), 3, "TaskCount") == OverlapSettings(2, 0.75)
    assert overlap_from_tags(tags("3", "1"), 3, "TaskCount") == OverlapSettings(3, 1.0)
    for bad in (tags("2"), tags(target="0.5"), tags("0", "0.5"), tags("4", "0.5"), tags("1.5", "0.5"),
                tags("2", "0"), tags("2", "inf"), tags("2", "nan"), tags("2", "x")):
        with pytest.raises(ValueError, match="hitl:"):
            overlap_from_tags(bad, 3, "TaskCount")


def test_loop_confidence_is_the_weakest_field_and_zero_for_one_answer():
    cat, dog = {"c": {"label": "Cat"}}, {"c": {"label": "Dog"}}
    assert loop_confidence([cat]) == 0.0
    assert loop_confidence([cat, cat]) == 1.0
    assert loop_confidence([cat, dog]) == 0.5
    assert loop_confidence([dict(cat, n=1), dict(cat, n=1), dict(dog, n=1)]) == pytest.approx(2 / 3, abs=1e-3)
    # a free-form field that cannot be consolidated: the share of identical answers
    assert loop_confidence([{"x": [1]}, {"x": [1]}, {"x": [2]}]) == pytest.approx(2 / 3)
    assert loop_confidence([{"x": 1}, {}]) == 0.5            # a field missing from an answer
    assert loop_confidence([{}, {}]) == 1.0


def test_a_lone_extra_box_lowers_the_confidence_though_it_is_dropped():
    box = {"label": "car", "left": 10, "top": 10, "width": 50, "height": 50}
    far = {"label": "car", "left": 300, "top": 300, "width": 20, "height": 20}
    same = {"b": {"boundingBoxes": [box]}}
    extra = {"b": {"boundingBoxes": [box, far]}}
    assert loop_confidence([same, same, same]) == 1.0
    assert loop_confidence([same, same, extra]) == pytest.approx(2 / 3)
    assert region_confidence([0.9, 0.7], [2, 2, 3]) == pytest.approx(2 / 3)
    assert region_confidence([], [0, 0]) == 1.0
    assert region_confidence([1.0], [1]) == 0.0


def test_the_verdict_escalates_only_at_the_maximum_below_the_target_with_a_team():
    from hitl_service.consolidation.overlap import Verdict, verdict

    assert verdict(0.95, 2, 3, 0.9, escalation=True) == Verdict.DONE
    assert verdict(0.5, 2, 3, 0.9, escalation=True) == Verdict.MORE
    assert verdict(0.67, 3, 3, 0.9, escalation=True) == Verdict.ESCALATE
    assert verdict(0.67, 3, 3, 0.9, escalation=False) == Verdict.DONE
