"""Agreement metrics against Fleiss (1971) and per-reviewer agreement; the quality report."""
import json

import numpy as np
import pytest
from statsmodels.stats.tests.test_inter_rater import diagnoses   # Fleiss (1971), shipped by statsmodels

from hitl_service.consolidation.agreement import batch_agreement, worker_agreement
from hitl_service.consolidation.classes import ClassAnnotations, consolidate_classes
from hitl_service.consolidation.report import quality_report
from hitl_service.consolidation.synthetic import make_crowd


def fleiss_table_annotations():
    n, r = diagnoses.shape
    return ClassAnnotations(item=np.repeat(np.arange(n), r), worker=np.tile(np.arange(r), n),
                            label=diagnoses.ravel() - 1, n_items=n, n_workers=r, n_classes=5)


def test_fleiss_1971_diagnoses_kappa_and_alpha():
    agreement = batch_agreement(fleiss_table_annotations())
    assert agreement.fleiss_kappa == pytest.approx(0.430, abs=5e-4)
    assert agreement.krippendorff_alpha == pytest.approx(0.433, abs=5e-4)
    assert (agreement.fleiss_items, agreement.fleiss_raters) == (30, 6)


def test_uneven_answer_counts_use_the_most_common_count_for_kappa():
    ann = ClassAnnotations(item=np.array([0, 0, 1, 1, 2, 2, 2, 3]), worker=np.array([0, 1, 0, 1, 0, 1, 2, 0]),
                           label=np.array([0, 0, 1, 1, 0, 1, 1, 1]), n_items=4, n_workers=3, n_classes=2)
    agreement = batch_agreement(ann)
    assert (agreement.fleiss_items, agreement.fleiss_raters) == (2, 2)
    assert agreement.fleiss_kappa == pytest.approx(1.0)
    assert agreement.krippendorff_alpha < 1.0        # alpha sees item 2's disagreement


def test_no_overlap_means_no_agreement_numbers():
    ann = ClassAnnotations(item=np.array([0, 1]), worker=np.array([0, 1]), label=np.array([0, 1]),
                           n_items=2, n_workers=2, n_classes=2)
    agreement = batch_agreement(ann)
    assert agreement.krippendorff_alpha is None and agreement.fleiss_kappa is None


def test_worker_agreement_separates_good_reviewers_from_spammers():
    crowd = make_crowd(20_000, seed=21)
    result = consolidate_classes(crowd.annotations)
    workers = worker_agreement(crowd.annotations, result)
    busy = workers.answers >= 50
    good = np.nanmean(workers.agreement[busy & (crowd.worker_kind == 0)])
    spam = np.nanmean(workers.agreement[busy & (crowd.worker_kind == 2)])
    assert good > 0.8 and spam < 0.4
    assert workers.answers.sum() == len(crowd.annotations.item)


def test_quality_report_is_json_and_describes_the_batch():
    ann = fleiss_table_annotations()
    result = consolidate_classes(ann)
    report = quality_report(ann, result, worker_ids=[f"w{i}" for i in range(6)],
                            class_names=["a", "b", "c", "d", "e"], name="fleiss")
    assert json.loads(json.dumps(report)) == report
    assert report["method"] == result.method.value
    assert (report["items"], report["answers"], report["reviewers"]) == (30, 180, 6)
    assert report["agreement"]["fleissKappa"] == pytest.approx(0.4302, abs=1e-4)
    assert sum(report["confidence"]["histogram"]) == 30
    assert sum(report["labels"].values()) == 30
    assert [w["workerId"] for w in report["workers"]] == [f"w{i}" for i in range(6)]
    assert all(0 <= w["agreementWithConsensus"] <= 1 for w in report["workers"])
    with pytest.raises(ValueError):
        quality_report(ann, result, worker_ids=["only-one"])
