"""Text spans: Jaccard grouping, mode boundaries with a median fallback, voted labels."""
import numpy as np
import pytest

from hitl_service.consolidation.spans import SpanAnswer, consolidate_spans, jaccard


def spans(item, worker, *triples):
    s, e, lab = (np.array(col, dtype=np.int64) for col in zip(*triples)) if triples else (
        np.zeros(0, np.int64),) * 3
    return SpanAnswer(item=item, worker=worker, starts=s, ends=e, labels=lab)


def test_mode_boundaries_and_vote():
    answers = [spans(0, 0, (0, 5, 1), (10, 20, 2)), spans(0, 1, (0, 6, 1), (11, 20, 2)),
               spans(0, 2, (0, 5, 3), (12, 20, 2)), spans(0, 3, (30, 33, 1))]
    [result] = consolidate_spans(answers, n_items=1)
    assert result.starts.tolist() == [0, 11]         # 11: no start repeats -> lower median of 10,11,12
    assert result.ends.tolist() == [5, 20]           # mode of 5,6,5 and of 20,20,20
    assert result.labels.tolist() == [1, 2]
    assert result.n_workers == 4
    assert result.confidence[1] > result.confidence[0]   # label 2 unanimous, label 1 only 2 of 3
    assert (result.confidence <= 0.75 + 1e-9).all()      # 3 of 4 reviewers drew each


def test_single_reviewer_spans_have_zero_confidence():
    [result] = consolidate_spans([spans(0, 7, (3, 9, 0))], n_items=1)
    assert result.starts.tolist() == [3] and result.confidence.tolist() == [0.0]


def test_unanimous_spans_full_confidence_and_order_independence():
    a = [spans(0, w, (0, 4, 1), (8, 12, 0)) for w in range(3)] + [spans(1, 0, (1, 2, 0)), spans(1, 1)]
    results = consolidate_spans(a, n_items=2)
    assert results[0].confidence.tolist() == pytest.approx([1.0, 1.0])
    again = consolidate_spans(list(reversed(a)), n_items=2)
    for x, y in zip(results, again):
        assert x.starts.tolist() == y.starts.tolist() and np.allclose(x.confidence, y.confidence)
    assert results[1].confidence.tolist() == [0.5]   # one of two drew it: kept at low confidence


def test_rejects_empty_or_inverted_spans():
    with pytest.raises(ValueError, match="start < end"):
        consolidate_spans([spans(0, 0, (5, 5, 0))], n_items=1)


def test_jaccard_definition():
    a = np.array([[0, 10], [0, 4]])
    b = np.array([[5, 15], [4, 8]])
    assert jaccard(a, b).tolist() == pytest.approx([5 / 15, 0.0])
