"""Free text (most agreeing answer) and numbers (median), with confidence."""
import pytest

from hitl_service.consolidation.text import consolidate_numbers, consolidate_text


def test_most_agreeing_text_wins_and_order_does_not_matter():
    answers = ["New York", "new  york", "Newark", "New York City"]
    result = consolidate_text(answers)
    assert result.text == "New York"
    assert consolidate_text(list(reversed(answers))) == result
    assert 0.5 < result.confidence < 1.0


def test_text_confidence_extremes():
    assert consolidate_text(["cat", "Cat ", "cat"]).confidence == pytest.approx(1.0)
    assert consolidate_text(["only one"]).confidence == 0.0
    assert consolidate_text(["abc", "xyz"]).confidence == pytest.approx(0.0)
    with pytest.raises(ValueError):
        consolidate_text([])


def test_numbers_median_and_agreement_share():
    result = consolidate_numbers([10.0, 10.05, 50.0])
    assert result.value == 10.05
    assert result.confidence == pytest.approx(2 / 3)
    assert consolidate_numbers([3, 3, 3, 3]).confidence == 1.0
    assert consolidate_numbers([7.5]).confidence == 0.0
    assert consolidate_numbers([1, 2], abs_tol=1.0).confidence == 1.0
    with pytest.raises(ValueError):
        consolidate_numbers([1.0, float("nan")])
