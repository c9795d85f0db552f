"""The auto-labeling pieces on their own: ARNs, sample sizes, threshold choice, a round, the whole loop."""

import numpy as np
import pytest
from sklearn.datasets import load_digits

from hitl_service.domain.labeling import TaskType
from hitl_service.jobs.autolabel.algorithms import Algorithm, AlgorithmError, algorithm_for
from hitl_service.jobs.autolabel.features import decode_image, image_features, text_features
from hitl_service.jobs.autolabel.loop import label_all
from hitl_service.jobs.autolabel.rounds import choose_threshold, lower_bound, min_support, run_round
from hitl_service.jobs.autolabel.sampling import TooFewObjects, check_size, initial_plan, validation_size

ARN = "arn:aws:sagemaker:us-east-1:027400017018:labeling-job-algorithm-specification/{}"


def test_gt_algorithm_arns_select_text_and_image_classification():
    assert algorithm_for(ARN.format("text-classification"), TaskType.TEXT_CLASSIFICATION, "us-east-1") \
        is Algorithm.TEXT_CLASSIFICATION
    assert algorithm_for(ARN.format("image-classification"), TaskType.IMAGE_CLASSIFICATION, "us-east-1") \
        is Algorithm.IMAGE_CLASSIFICATION


@pytest.mark.parametrize("arn,task,needle", [
    (ARN.format("object-detection"), TaskType.BOUNDING_BOX, "object-detection is not offered"),
    (ARN.format("semantic-segmentation"), TaskType.SEMANTIC_SEGMENTATION, "semantic-segmentation is not offered"),
    (ARN.format("text-classification"), TaskType.IMAGE_CLASSIFICATION, "needs a TextMultiClass job"),
    ("arn:aws:sagemaker:us-east-1:111122223333:labeling-job-algorithm-specification/text-classification",
     TaskType.TEXT_CLASSIFICATION, "not a Ground Truth algorithm"),
    (ARN.format("text-classification").replace("us-east-1", "eu-west-1"), TaskType.TEXT_CLASSIFICATION,
     "region eu-west-1"),
    ("nonsense", TaskType.TEXT_CLASSIFICATION, "not a Ground Truth algorithm"),
])
def test_other_algorithms_are_refused_naming_the_field_and_what_is_supported(arn, task, needle):
    with pytest.raises(AlgorithmError) as err:
        algorithm_for(arn, task, "us-east-1")
    msg = str(err.value)
    assert msg.startswith("LabelingJobAlgorithmsConfig.LabelingJobAlgorithmSpecificationArn: ")
    assert needle in msg
    assert ARN.format("image-classification") in msg and ARN.format("text-classification") in msg


def test_sample_sizes_follow_ground_truth():
    with pytest.raises(TooFewObjects, match=r"InputConfig.DataSource.S3DataSource.ManifestS3Uri: .*1250.*1249"):
        check_size(1249)
    check_size(1250)
    assert validation_size(1250) == 250 and validation_size(4999) == 1000
    assert validation_size(5000) == 500 and validation_size(20000) == 2000
    plan = initial_plan(1797, seed=3)
    assert plan.validation.size == plan.train.size == plan.batch_size == 360
    assert not set(plan.validation) & set(plan.train)
    with pytest.raises(TooFewObjects):
        initial_plan(100, seed=3)


def test_threshold_is_the_lowest_confidence_whose_accuracy_reaches_the_target():
    conf = np.linspace(1.0, 0.0, 200, endpoint=False)
    correct = np.ones(200, dtype=bool)
    correct[100:] = np.arange(100) % 2 == 0          # below confidence 0.5, half are wrong
    t, acc = choose_threshold(conf, correct, target=0.95, alpha=0.5, grid=200)
    assert 0.45 < t <= 0.5 + 1e-9 and acc >= 0.95
    # nothing qualifies when the model is mostly wrong
    assert choose_threshold(conf, np.arange(200) % 3 == 0)[0] is None


def test_a_threshold_resting_on_a_small_validation_set_is_refused():
    # 40 of the 41 most confident validation objects are right: 97.6% as a point estimate, but with
    # 41 objects the one-sided 95% Clopper-Pearson bound is far below 95%, so nothing is machine-labelled
    conf = np.linspace(1.0, 0.5, 41)
    correct = np.ones(41, dtype=bool)
    correct[20] = False
    assert correct.mean() >= 0.95
    assert choose_threshold(conf, correct) == (None, 0.0)
    assert min_support() == 59 and lower_bound(59, 59) >= 0.95 > lower_bound(58, 58)
    # a similar accuracy (97.5%) on 1,000 objects does prove the target
    many = np.ones(1000, dtype=bool)
    many[500::20] = False
    t, acc = choose_threshold(np.linspace(1.0, 0.5, many.size), many)
    assert t == 0.5 and acc == 0.975


def test_testing_stops_at_the_first_candidate_that_fails():
    # the top 200 are right, the next 100 all wrong, then 700 right again: the overall accuracy of the
    # top 1000 is 90%, of the top 200 100%; a scan that kept going past the failure could pick a
    # threshold below the bad stretch, fixed-sequence testing keeps the one above it
    correct = np.r_[np.ones(200), np.zeros(100), np.ones(2000)].astype(bool)
    conf = np.linspace(1.0, 0.0, correct.size, endpoint=False)
    t, acc = choose_threshold(conf, correct, grid=correct.size // 50)
    assert t is not None and t >= conf[199] and acc == 1.0


def test_a_round_on_digits_labels_only_what_validation_says_is_95_percent_sure():
    d = load_digits()
    x = image_features(list(d.images))
    plan = initial_plan(d.target.size, seed=0)
    pool = np.setdiff1d(np.arange(d.target.size), plan.human_first)
    res = run_round(1, x, plan.train, d.target[plan.train], plan.validation, d.target[plan.validation], pool)
    assert res.threshold is not None and res.threshold_accuracy >= 0.95
    assert res.machine_ids.size > pool.size // 2
    assert (res.machine_labels == d.target[res.machine_ids]).mean() >= 0.95
    # what is left goes to people, least sure first, and nothing is both
    assert not set(res.machine_ids) & set(res.informative_order)
    assert res.machine_ids.size + res.informative_order.size == pool.size
    assert res.summary()["machine-labeled"] == res.machine_ids.size
    # the validation objects above the threshold stand for what this round labelled: later rounds judge
    # their threshold without them, and with none left open no threshold can be proven
    assert res.validation_claimed.size > 0
    assert set(res.validation_claimed) <= set(plan.validation) and res.summary()["validation-open"] == 360
    closed = run_round(2, x, plan.train, d.target[plan.train], plan.validation, d.target[plan.validation], pool,
                       val_open=np.zeros(plan.validation.size, dtype=bool))
    assert closed.threshold is None and closed.machine_ids.size == 0 and closed.n_validation_open == 0


def test_image_bytes_decode_to_the_same_features_as_the_array():
    import io

    from PIL import Image

    d = load_digits()
    buf = io.BytesIO()
    Image.fromarray((d.images[0] * 15).astype(np.uint8)).save(buf, format="PNG")
    grey = decode_image(buf.getvalue())
    assert np.allclose(image_features([grey]), image_features([d.images[0]]), atol=0.05)


def test_the_loop_on_text_stops_at_the_human_limit_and_labels_the_rest_by_machine():
    rng = np.random.default_rng(0)
    good = ["great", "lovely", "superb", "tasty", "friendly", "fresh"]
    bad = ["awful", "cold", "rude", "stale", "slow", "dirty"]
    y = rng.integers(0, 2, 1400)
    texts = [" ".join(rng.choice(good if c else bad, 3)) + f" visit {i}" for i, c in enumerate(y)]
    asked = []

    def humans(ids):
        asked.extend(ids.tolist())
        return y[ids]

    res = label_all(text_features(texts), y.size, humans, seed=1)
    assert len(asked) == len(set(asked)) == res.human_objects
    assert res.machine.sum() + res.human_objects == y.size and (res.labels >= 0).all()
    assert (res.labels[res.machine] == y[res.machine]).mean() >= 0.95
    assert res.rounds[0].threshold is not None


def test_round_job_names_stay_within_63_characters_and_distinct():
    from hitl_service.jobs.autolabel.driver import child_name

    assert child_name("reviews", 3) == "reviews-al3"
    long = "x" * 63
    names = {child_name(long, k) for k in range(12)} | {child_name(long[:-1] + "y", 0)}
    assert len(names) == 13 and all(len(n) <= 63 for n in names)
