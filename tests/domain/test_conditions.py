"""Activation conditions: grammar validation, every condition type, results shape, sampling."""

from __future__ import annotations

import json

import pytest

from hitl_service.domain.conditions import (
    MAX_CONDITIONS_LENGTH,
    ConditionSet,
    Evaluation,
    parse_conditions,
)
from hitl_service.errors import ValidationError


def conds(*conditions: dict) -> str:
    return json.dumps({"Conditions": list(conditions)})


def leaf(ctype: str, **params) -> dict:
    return {"ConditionType": ctype, "ConditionParameters": params}


def score(path: str = "$.prediction.score", **ops) -> dict:
    return leaf("ModelConfidenceCheck", ScorePath=path, **ops)


def sampling(pct) -> dict:
    return leaf("Sampling", RandomSamplingPercentage=pct)


def run(condition: dict, content) -> Evaluation:
    return parse_conditions(conds(condition)).evaluate(content)


def with_score(value) -> str:
    return json.dumps({"prediction": {"score": value, "label": "cat"}, "id": "doc-1"})


def refused(raw, *fragments: str) -> str:
    with pytest.raises(ValidationError) as info:
        parse_conditions(raw)
    message = str(info.value)
    for fragment in fragments:
        assert fragment in message, message
    return message


# --- Textract and Rekognition samples (hand-written in the documented AnalyzeDocument shape) ----

TEXTRACT_BLOCKS = [
    {"Id": "page", "BlockType": "PAGE", "Relationships": [{"Type": "CHILD", "Ids": ["w1", "w2", "w3", "w4", "w5", "w6"]}]},
    {"Id": "k1", "BlockType": "KEY_VALUE_SET", "EntityTypes": ["KEY"], "Confidence": 99.0,
     "Relationships": [{"Type": "VALUE", "Ids": ["v1"]}, {"Type": "CHILD", "Ids": ["w1"]}]},
    {"Id": "v1", "BlockType": "KEY_VALUE_SET", "EntityTypes": ["VALUE"], "Confidence": 99.0,
     "Relationships": [{"Type": "CHILD", "Ids": ["w2"]}]},
    {"Id": "w1", "BlockType": "WORD", "Text": "Name:", "Confidence": 98.0},
    {"Id": "w2", "BlockType": "WORD", "Text": "Sue", "Confidence": 97.0},
    {"Id": "k2", "BlockType": "KEY_VALUE_SET", "EntityTypes": ["KEY"], "Confidence": 60.0,
     "Relationships": [{"Type": "CHILD", "Ids": ["w3", "w4", "w5"]}, {"Type": "VALUE", "Ids": ["v2"]}]},
    {"Id": "v2", "BlockType": "KEY_VALUE_SET", "EntityTypes": ["VALUE"], "Confidence": 60.0,
     "Relationships": [{"Type": "CHILD", "Ids": ["w6"]}]},
    {"Id": "w3", "BlockType": "WORD", "Text": "Date", "Confidence": 70.0},
    {"Id": "w4", "BlockType": "WORD", "Text": "of", "Confidence": 80.0},
    {"Id": "w5", "BlockType": "WORD", "Text": "birth", "Confidence": 55.0},
    {"Id": "w6", "BlockType": "WORD", "Text": "01/02/1990", "Confidence": 90.0},
]
TEXTRACT = json.dumps({"aiServiceResponse": {"Blocks": TEXTRACT_BLOCKS}})


def camel(value):
    """The same response with A2I output's camelCase keys (blocks, blockType, ...)."""
    if isinstance(value, dict):
        return {k[0].lower() + k[1:]: camel(v) for k, v in value.items()}
    if isinstance(value, list):
        return [camel(v) for v in value]
    return value


LABELS = [
    {"Name": "Suggestive", "ParentName": "", "Confidence": 92.5},
    {"Name": "Female Swimwear Or Underwear", "ParentName": "Suggestive", "Confidence": 99.1},
]
REKOGNITION = json.dumps({"aiServiceResponse": {"ModerationLabels": LABELS, "ModerationModelVersion": "3.0"}})


def form_key(key: str, aliases=None, **ops) -> dict:
    params = {"ImportantFormKey": key, **ops}
    if aliases is not None:
        params["ImportantFormKeyAliases"] = aliases
    return {"ConditionType": "ImportantFormKeyConfidenceCheck", "ConditionParameters": params}


def missing_key(key: str, aliases=None) -> dict:
    params = {"ImportantFormKey": key}
    if aliases is not None:
        params["ImportantFormKeyAliases"] = aliases
    return {"ConditionType": "MissingImportantFormKey", "ConditionParameters": params}


def moderation(name: str, **ops) -> dict:
    return {"ConditionType": "ModerationLabelConfidenceCheck", "ConditionParameters": {"ModerationLabelName": name, **ops}}


# --- ModelConfidenceCheck -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "op, threshold, value, expected",
    [
        ("LessThan", 0.9, 0.9, False),
        ("LessThan", 0.9, 0.8999, True),
        ("LessThanEquals", 0.9, 0.9, True),
        ("LessThanEquals", 0.9, 0.9001, False),
        ("GreaterThan", 0.9, 0.9, False),
        ("GreaterThan", 0.9, 0.9001, True),
        ("GreaterThanEquals", 0.9, 0.9, True),
        ("GreaterThanEquals", 0.9, 0.8999, False),
        ("Equals", 0.9, 0.9, True),
        ("Equals", 0.9, 0.9001, False),
        ("Equals", 1, 1.0, True),  # JSON numbers: 1 and 1.0 are equal
        ("LessThan", 5, 4, True),  # integer scores
    ],
)
def test_model_confidence_operator_boundaries(op, threshold, value, expected):
    assert run(score(**{op: threshold}), with_score(value)).activated is expected


@pytest.mark.parametrize("value, expected", [(0.49, False), (0.5, True), (0.62, True), (0.8999, True), (0.9, False)])
def test_model_confidence_band_requires_every_operator(value, expected):
    assert run(score(GreaterThanEquals=0.5, LessThan=0.9), with_score(value)).activated is expected


def test_model_confidence_reason_format():
    result = run(score(LessThan=0.9), with_score(0.62))
    assert result.reasons == ["ModelConfidence at $.prediction.score = 0.62 < 0.9"]
    band = run(score(LessThan=0.9, GreaterThanEquals=0.5), with_score(0.62))
    assert band.reasons == ["ModelConfidence at $.prediction.score = 0.62 >= 0.5 and < 0.9"]


@pytest.mark.parametrize(
    "content, why",
    [
        (json.dumps({"prediction": {}}), "missing"),
        (json.dumps({"other": 1}), "missing"),
        (with_score("high"), "not a number"),
        (with_score(True), "not a number"),  # a JSON bool is not a score
        (with_score(None), "not a number"),
        (json.dumps([{"prediction": {"score": 0.1}}]), "missing"),  # not a JSON object
        ("not json at all", "missing"),
        ("", "missing"),
    ],
)
def test_model_confidence_unknown_score_means_human_review(content, why):
    result = run(score(GreaterThan=0.99), content)
    assert result.activated is True
    assert len(result.reasons) == 1 and why in result.reasons[0] and "$.prediction.score" in result.reasons[0]


@pytest.mark.parametrize(
    "path, document",
    [
        ("$.a.b", {"a": {"b": 0.1}}),
        ("$.a[1].b", {"a": [{"b": 0.99}, {"b": 0.1}]}),
        ("$['key-with-dash']", {"key-with-dash": 0.1}),
        ('$["quoted key"].x', {"quoted key": {"x": 0.1}}),
        ("a.b", {"a": {"b": 0.1}}),
        ("results[0]['p-score']", {"results": [{"p-score": 0.1}]}),
    ],
)
def test_score_path_forms(path, document):
    cs = parse_conditions(conds(score(path, LessThan=0.5)))
    result = cs.evaluate(json.dumps(document))
    assert result.activated and "missing" not in result.reasons[0]
    # Not the catch-all "unknown -> true": a high score at the same path is false.
    high = json.loads(json.dumps(document).replace("0.1", "0.7"))
    assert cs.evaluate(json.dumps(high)).activated is False


def test_score_path_index_and_type_mismatches_are_missing():
    cs = parse_conditions(conds(score("$.a[3].b", LessThan=0.5)))
    for doc in ({"a": [{"b": 0.9}]}, {"a": {"3": {"b": 0.9}}}, {"a": "string"}):
        assert "missing" in cs.evaluate(json.dumps(doc)).reasons[0]


@pytest.mark.parametrize("path", ["", "$", "$..score", "$.a.*", "$[*]", "$.a[", "$['a'", "$a", "$.a[-1]", 7])
def test_bad_score_paths_are_refused(path):
    refused(conds(score(path, LessThan=0.5)), "Conditions[0].ConditionParameters.ScorePath")


def test_evaluate_accepts_an_already_parsed_object():
    assert run(score(LessThan=0.9), {"prediction": {"score": 0.5}}).activated is True
    assert run(score(LessThan=0.9), {"prediction": {"score": 0.95}}).activated is False


# --- ModelLabelCheck ------------------------------------------------------------------------------


def label(path="$.prediction.label", **params) -> dict:
    return leaf("ModelLabelCheck", LabelPath=path, **params)


@pytest.mark.parametrize(
    "params, value, expected",
    [
        ({"In": ["cat", "dog"]}, "cat", True),
        ({"In": ["cat", "dog"]}, "bird", False),
        ({"In": ["cat"]}, "Cat", False),  # JSON equality is case-sensitive
        ({"NotIn": ["cat", "dog"]}, "bird", True),
        ({"NotIn": ["cat", "dog"]}, "dog", False),
        ({"In": [1, 2]}, 1.0, True),
        ({"In": [1, 2]}, "1", False),
        ({"In": ["1"]}, 1, False),
    ],
)
def test_model_label(params, value, expected):
    content = json.dumps({"prediction": {"label": value}})
    result = run(label(**params), content)
    assert result.activated is expected
    assert bool(result.reasons) is expected


@pytest.mark.parametrize("document", [{"prediction": {}}, {"prediction": {"label": None}}, {"prediction": {"label": True}},
                                      {"prediction": {"label": ["cat"]}}])
def test_model_label_unknown_means_human_review(document):
    for params in ({"In": ["cat"]}, {"NotIn": ["cat"]}):
        result = run(label(**params), json.dumps(document))
        assert result.activated is True
        assert "unknown label" in result.reasons[0]


@pytest.mark.parametrize(
    "params, where",
    [
        ({"In": "cat"}, "ConditionParameters.In"),
        ({"In": []}, "ConditionParameters.In"),
        ({"NotIn": list(range(101))}, "ConditionParameters.NotIn"),
        ({"In": ["cat", True]}, "ConditionParameters.In[1]"),
        ({"In": ["cat", None]}, "ConditionParameters.In[1]"),
        ({"In": ["cat"], "NotIn": ["dog"]}, "Conditions[0].ConditionParameters"),
        ({}, "Conditions[0].ConditionParameters"),
    ],
)
def test_model_label_bad_parameters(params, where):
    refused(conds(label(**params)), where)


def test_model_label_requires_label_path():
    refused(conds(leaf("ModelLabelCheck", In=["cat"])), "Conditions[0].ConditionParameters.LabelPath", "required")


# --- Sampling -------------------------------------------------------------------------------------


@pytest.mark.parametrize("pct", [0.01, 100, 30, 99.99])
def test_sampling_bounds_accepted(pct):
    parse_conditions(conds(sampling(pct)))


@pytest.mark.parametrize("pct", [0, 0.009, 100.01, -5, "30", True, None])
def test_sampling_bounds_refused(pct):
    refused(conds(sampling(pct)), "Conditions[0].ConditionParameters.RandomSamplingPercentage")


def test_sampling_requires_percentage_and_nothing_else():
    refused(conds(leaf("Sampling")), "Conditions[0].ConditionParameters.RandomSamplingPercentage", "required")
    refused(conds(leaf("Sampling", RandomSamplingPercentage=5, Seed=1)), "Conditions[0].ConditionParameters.Seed")


def distinct_inputs(n: int) -> list[str]:
    return [json.dumps({"document": f"doc-{i}", "n": i}) for i in range(n)]


def test_sampling_rate_is_close_to_the_percentage():
    cs = parse_conditions(conds(sampling(30)))
    hits = sum(cs.evaluate(c).activated for c in distinct_inputs(2000))
    assert 500 <= hits <= 700, hits  # 25%..35% of 2,000


def test_sampling_is_deterministic_for_identical_input():
    raw = conds(sampling(30))
    first = parse_conditions(raw)
    # Different whitespace is a different string, so this is a genuinely fresh parse.
    fresh = parse_conditions(json.dumps(json.loads(raw), indent=2))
    assert fresh is not first
    for content in distinct_inputs(300):
        decision = first.evaluate(content).activated
        assert first.evaluate(content).activated is decision
        assert fresh.evaluate(content).activated is decision


def test_sampling_extremes():
    everything = parse_conditions(conds(sampling(100)))
    rare = parse_conditions(conds(sampling(0.01)))
    inputs = distinct_inputs(500)
    assert all(everything.evaluate(c).activated for c in inputs)
    assert sum(rare.evaluate(c).activated for c in inputs) <= 3


def test_two_sampling_conditions_are_independent():
    cs = parse_conditions(conds(sampling(50), sampling(50)))
    pairs = [tuple(n["EvaluationResult"] for n in cs.evaluate(c).results["Conditions"]) for c in distinct_inputs(1000)]
    agree = sum(a == b for a, b in pairs)
    assert 400 <= agree <= 600, agree  # independent coins agree about half the time


def test_sampling_of_a_parsed_object_hashes_its_canonical_json():
    cs = parse_conditions(conds(sampling(50)))
    for i in range(200):
        obj = {"z": i, "a": [1, "x"]}
        canonical = json.dumps(obj, sort_keys=True, separators=(",", ":"))
        assert cs.evaluate(obj).activated is cs.evaluate(canonical).activated


def test_sampling_reason():
    result = run(sampling(100), "{}")
    assert result.reasons[0].startswith("Sampling 100.0%")


# --- Textract -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "condition, expected",
    [
        # "Name:" KEY 99, key word 98, value word 97 (AWS's flat parameter spelling)
        (form_key("Name", KeyValueBlockConfidenceLessThan=100, WordBlockConfidenceLessThan=99), True),
        (form_key("Name", KeyValueBlockConfidenceLessThan=99), False),
        (form_key("Name", KeyValueBlockConfidenceLessThanEquals=99), True),
        (form_key("name:", KeyValueBlockConfidenceEquals=99), True),  # case-insensitive, ':' ignored
        (form_key("Name", KeyValueBlockConfidenceLessThan=100, WordBlockConfidenceLessThan=97), False),
        # value words count too: AWS checks "the word blocks making up the key and value"
        (form_key("Name", WordBlockConfidenceLessThan=97.5), True),
        (form_key("Name", WordBlockConfidenceGreaterThan=97.5), True),
        (form_key("Name", WordBlockConfidenceGreaterThan=98), False),
        # "Date of birth" KEY 60, words 70/80/55 + value 90; any word may satisfy the comparison
        (form_key("date of birth", KeyValueBlockConfidenceLessThan=65, WordBlockConfidenceLessThan=60), True),
        (form_key("Date of birth", KeyValueBlockConfidenceLessThan=60), False),
        (form_key("DOB", KeyValueBlockConfidenceLessThan=65), False),
        (form_key("DOB", ["Birth date", "Date of Birth:"], KeyValueBlockConfidenceLessThan=65), True),
        (form_key("Address", ["Mailing address"], KeyValueBlockConfidenceLessThan=100), False),
        # "*" matches every key
        (form_key("*", KeyValueBlockConfidenceLessThan=65), True),
        (form_key("*", KeyValueBlockConfidenceLessThan=50), False),
        (form_key("*", WordBlockConfidenceLessThan=56), True),
        (form_key("Unused", ["*"], KeyValueBlockConfidenceGreaterThanEquals=99), True),
    ],
)
def test_important_form_key_confidence_check(condition, expected):
    result = run(condition, TEXTRACT)
    assert result.activated is expected
    assert bool(result.reasons) is expected


def test_important_form_key_nested_operator_form_matches_flat_form():
    nested = form_key("DOB", ["Date of birth"], KeyValueBlockConfidence={"LessThan": 65},
                      WordBlockConfidence={"LessThan": 60, "GreaterThan": 50})
    flat = form_key("DOB", ["Date of birth"], KeyValueBlockConfidenceLessThan=65,
                    WordBlockConfidenceLessThan=60, WordBlockConfidenceGreaterThan=50)
    for condition in (nested, flat):
        result = run(condition, TEXTRACT)
        assert result.activated is True
        assert "'Date of birth'" in result.reasons[0] or '"Date of birth"' in result.reasons[0]
        assert "55" in result.reasons[0]


def test_textract_block_locations_and_camel_case():
    condition = form_key("Name", KeyValueBlockConfidenceLessThan=100)
    for content in ({"aiServiceResponse": {"Blocks": TEXTRACT_BLOCKS}}, {"Blocks": TEXTRACT_BLOCKS},
                    {"blocks": TEXTRACT_BLOCKS}, {"aiServiceResponse": camel({"Blocks": TEXTRACT_BLOCKS})}):
        assert run(condition, json.dumps(content)).activated is True


@pytest.mark.parametrize("content", ["{}", json.dumps({"aiServiceResponse": {}}), "[1]", "nope", json.dumps({"Blocks": "x"})])
def test_textract_without_blocks(content):
    assert run(form_key("*", KeyValueBlockConfidenceLessThan=100), content).activated is False
    result = run(missing_key("Name"), content)
    assert result.activated is True and "no Textract Blocks" in result.reasons[0]


@pytest.mark.parametrize(
    "condition, expected",
    [
        (missing_key("Address"), True),
        (missing_key("Address", ["Mailing Address"]), True),
        (missing_key("Name"), False),
        (missing_key("Full name", ["NAME"]), False),
        (missing_key("*"), False),
    ],
)
def test_missing_important_form_key(condition, expected):
    result = run(condition, TEXTRACT)
    assert result.activated is expected
    assert bool(result.reasons) is expected


def test_missing_important_form_key_on_a_form_without_keys():
    only_words = json.dumps({"Blocks": [b for b in TEXTRACT_BLOCKS if b["BlockType"] == "WORD"]})
    result = run(missing_key("*"), only_words)
    assert result.activated is True and "no matching KEY" in result.reasons[0]


@pytest.mark.parametrize(
    "condition, where",
    [
        (form_key("Name"), "Conditions[0].ConditionParameters"),
        (form_key("Name", KeyValueBlockConfidenceLessThan=101), "ConditionParameters.KeyValueBlockConfidenceLessThan"),
        (form_key("Name", WordBlockConfidence={"LessThan": -1}), "ConditionParameters.WordBlockConfidence.LessThan"),
        (form_key("Name", WordBlockConfidence={"Below": 5}), "ConditionParameters.WordBlockConfidence.Below"),
        (form_key("Name", WordBlockConfidence={}), "ConditionParameters.WordBlockConfidence"),
        (form_key("Name", WordBlockConfidence=50), "ConditionParameters.WordBlockConfidence"),
        (form_key("Name", WordBlockConfidence={"LessThan": 5}, WordBlockConfidenceGreaterThan=1),
         "ConditionParameters.WordBlockConfidence"),
        (form_key("", KeyValueBlockConfidenceLessThan=5), "ConditionParameters.ImportantFormKey"),
        (form_key("Name", "Name:", KeyValueBlockConfidenceLessThan=5), "ConditionParameters.ImportantFormKeyAliases"),
        (form_key("Name", ["ok", 3], KeyValueBlockConfidenceLessThan=5), "ConditionParameters.ImportantFormKeyAliases[1]"),
        (leaf("ImportantFormKeyConfidenceCheck", KeyValueBlockConfidenceLessThan=5), "ConditionParameters.ImportantFormKey"),
        (leaf("MissingImportantFormKey"), "ConditionParameters.ImportantFormKey"),
        (leaf("MissingImportantFormKey", ImportantFormKey="a", KeyValueBlockConfidenceLessThan=5),
         "ConditionParameters.KeyValueBlockConfidenceLessThan"),
    ],
)
def test_textract_bad_parameters(condition, where):
    refused(conds(condition), where)


# --- Rekognition ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "condition, expected",
    [
        (moderation("Suggestive", ConfidenceLessThan=98), True),
        (moderation("Suggestive", ConfidenceLessThan=92.5), False),
        (moderation("Suggestive", ConfidenceLessThanEquals=92.5), True),
        (moderation("suggestive", ConfidenceLessThan=98), False),  # case-sensitive
        (moderation("Female Swimwear Or Underwear", ConfidenceGreaterThan=98), True),
        (moderation("Violence", ConfidenceGreaterThanEquals=0), False),
        (moderation("*", ConfidenceGreaterThan=99), True),
        (moderation("*", ConfidenceGreaterThan=99.1), False),
        (moderation("*", Confidence={"GreaterThanEquals": 90, "LessThan": 93}), True),
        (moderation("Suggestive", Confidence={"Equals": 92.5}), True),
    ],
)
def test_moderation_label_confidence_check(condition, expected):
    result = run(condition, REKOGNITION)
    assert result.activated is expected
    assert bool(result.reasons) is expected


def test_moderation_label_locations_and_missing_labels():
    condition = moderation("*", ConfidenceGreaterThan=0)
    assert run(condition, json.dumps({"ModerationLabels": LABELS})).activated is True
    assert run(condition, json.dumps({"aiServiceResponse": {"moderationLabels": camel(LABELS)}})).activated is True
    for content in ("{}", json.dumps({"ModerationLabels": []}), "[]", "not json"):
        assert run(condition, content).activated is False
    reason = run(moderation("Suggestive", ConfidenceLessThan=98), REKOGNITION).reasons[0]
    assert "Suggestive" in reason and "92.5 < 98" in reason


@pytest.mark.parametrize(
    "condition, where",
    [
        (moderation("Suggestive"), "ConditionParameters.Confidence"),
        (moderation("", ConfidenceLessThan=5), "ConditionParameters.ModerationLabelName"),
        (leaf("ModerationLabelConfidenceCheck", ConfidenceLessThan=5), "ConditionParameters.ModerationLabelName"),
        (moderation("x", ConfidenceLessThan=100.5), "ConditionParameters.ConfidenceLessThan"),
        (moderation("x", Confidence={"LessThan": "5"}), "ConditionParameters.Confidence.LessThan"),
    ],
)
def test_moderation_bad_parameters(condition, where):
    refused(conds(condition), where)


# --- And / Or, nesting, results shape -------------------------------------------------------------


def test_and_or_with_leaves():
    low, high = with_score(0.2), with_score(0.95)
    both = {"And": [score(LessThan=0.5), label(In=["cat"])]}
    either = {"Or": [score(LessThan=0.5), label(In=["dog"])]}
    assert run(both, low).activated is True
    assert run(both, high).activated is False
    assert run(either, low).activated is True
    assert run(either, high).activated is False
    reason = run(both, low).reasons[0]
    assert reason.startswith("And(") and "ModelConfidence" in reason and "ModelLabel" in reason


def test_each_condition_type_nested_in_and_or():
    content = json.dumps({"prediction": {"score": 0.2, "label": "cat"}, "aiServiceResponse": {
        "Blocks": TEXTRACT_BLOCKS, "ModerationLabels": LABELS}})
    true_leaves = [
        score(LessThan=0.5), label(In=["cat"]), sampling(100),
        form_key("Name", KeyValueBlockConfidenceLessThan=100), missing_key("Address"),
        moderation("Suggestive", ConfidenceLessThan=98),
    ]
    false_leaf = score(GreaterThan=0.5)
    for t in true_leaves:
        assert run({"And": [t, sampling(100)]}, content).activated is True
        assert run({"And": [t, false_leaf]}, content).activated is False
        assert run({"Or": [false_leaf, t]}, content).activated is True
        assert run({"Or": [false_leaf, {"And": [t, t]}]}, content).activated is True


def test_two_levels_of_nesting_accepted_third_refused():
    two = {"Or": [score(LessThan=0.5), {"And": [sampling(100), label(In=["cat"])]}]}
    assert run(two, with_score(0.9)).activated is True  # via the inner And
    three = {"And": [score(LessThan=0.5), {"Or": [sampling(5), {"And": [sampling(5), sampling(6)]}]}]}
    refused(conds(three), "Conditions[0].And[1].Or[1].And", "nested")
    three_or = {"Or": [{"Or": [{"Or": [sampling(5), sampling(6)]}, sampling(5)]}, sampling(5)]}
    refused(conds(three_or), "Conditions[0].Or[0].Or[0].Or")


@pytest.mark.parametrize(
    "node, where",
    [
        ({"And": [score(LessThan=0.5)]}, "Conditions[0].And"),
        ({"Or": []}, "Conditions[0].Or"),
        ({"And": score(LessThan=0.5)}, "Conditions[0].And"),
        ({"And": [score(LessThan=0.5), "Sampling"]}, "Conditions[0].And[1]"),
        ({"And": [score(LessThan=0.5), sampling(5)], "Or": [sampling(5), sampling(5)]}, "Conditions[0].Or"),
        ({"And": [sampling(1), sampling(2)], "ConditionType": "Sampling"}, "Conditions[0].And"),
        ({}, "Conditions[0]"),
    ],
)
def test_bad_logic_nodes(node, where):
    refused(conds(node), where)


def test_results_shape_has_evaluation_result_on_every_node():
    definition = {"Conditions": [
        {"Or": [score(LessThan=0.5), {"And": [sampling(100), label(NotIn=["cat"])]}]},
        score(GreaterThan=0.5),
        sampling(100),
    ]}
    cs = parse_conditions(json.dumps(definition))
    result = cs.evaluate(with_score(0.2))
    expected = json.loads(json.dumps(definition))
    top_or = expected["Conditions"][0]
    top_or["EvaluationResult"] = True
    top_or["Or"][0]["EvaluationResult"] = True
    top_or["Or"][1]["EvaluationResult"] = False
    top_or["Or"][1]["And"][0]["EvaluationResult"] = True
    top_or["Or"][1]["And"][1]["EvaluationResult"] = False
    expected["Conditions"][1]["EvaluationResult"] = False
    expected["Conditions"][2]["EvaluationResult"] = True
    assert result.results == expected
    assert result.activated is True
    # One reason per true top-level condition, in order; all were evaluated.
    assert len(result.reasons) == 2
    assert result.reasons[0].startswith("Or(ModelConfidence") and result.reasons[1].startswith("Sampling")
    json.dumps(result.results)  # serializable as-is into output.json


def test_results_are_an_independent_copy():
    cs = parse_conditions(conds({"And": [score(LessThan=0.5), label(In=["cat", "dog"])]}))
    first = cs.evaluate(with_score(0.2))
    first.results["Conditions"][0]["And"][1]["ConditionParameters"]["In"].append("mutated")
    first.results["Conditions"][0]["And"][0]["ConditionParameters"]["LessThan"] = 99
    second = cs.evaluate(with_score(0.2))
    assert second.results["Conditions"][0]["And"][1]["ConditionParameters"]["In"] == ["cat", "dog"]
    assert second.results["Conditions"][0]["And"][0]["ConditionParameters"]["LessThan"] == 0.5
    assert cs.definition["Conditions"][0]["And"][1]["ConditionParameters"]["In"] == ["cat", "dog"]


@pytest.mark.parametrize("value", [0.1, 0.3, 0.6, 0.95])
def test_reasons_present_exactly_when_activated(value):
    cs = parse_conditions(conds(score(LessThan=0.25), {"And": [score(GreaterThan=0.5), label(In=["cat"])]}))
    result = cs.evaluate(with_score(value))
    assert bool(result.reasons) is result.activated
    assert len(result.reasons) == sum(n["EvaluationResult"] for n in result.results["Conditions"])
    assert result.activated is (value < 0.25 or value > 0.5)


# --- grammar validation ---------------------------------------------------------------------------


def test_malformed_json_refused():
    refused('{"Conditions": [', "not valid JSON")
    refused('{"Conditions": [{"ConditionType": "Sampling", "ConditionParameters": {"RandomSamplingPercentage": NaN}}]}',
            "not valid JSON")
    refused('{"Conditions": [], "Conditions": []}', "duplicate key 'Conditions'")


@pytest.mark.parametrize("raw", ["[]", '"x"', "null", "5"])
def test_top_level_must_be_an_object(raw):
    refused(raw, "JSON object")


@pytest.mark.parametrize(
    "doc, where",
    [
        ({}, "Conditions"),
        ({"Conditions": []}, "Conditions"),
        ({"Conditions": {"ConditionType": "Sampling"}}, "Conditions"),
        ({"Conditions": [sampling(5)], "Version": 1}, "Version"),
        ({"Conditions": [sampling(5), 7]}, "Conditions[1]"),
    ],
)
def test_top_level_shape(doc, where):
    refused(json.dumps(doc), f"at {where}")


def test_unknown_condition_type_refused():
    refused(conds(sampling(5), leaf("Confidence", LessThan=5)), "Conditions[1].ConditionType",
            "unknown condition type", "Confidence")
    refused(conds({"ConditionType": 5, "ConditionParameters": {}}), "Conditions[0].ConditionType")
    refused(conds({"ConditionParameters": {"RandomSamplingPercentage": 5}}), "Conditions[0].ConditionType", "required")


def test_missing_parameters_refused():
    refused(conds({"ConditionType": "Sampling"}), "Conditions[0].ConditionParameters", "required")
    refused(conds({"ConditionType": "Sampling", "ConditionParameters": [5]}), "Conditions[0].ConditionParameters")
    refused(conds(leaf("ModelConfidenceCheck", LessThan=0.5)), "Conditions[0].ConditionParameters.ScorePath", "required")
    refused(conds(score()), "Conditions[0].ConditionParameters", "comparison operator")


def test_bad_operator_value_type_names_the_path():
    nested = {"And": [score(LessThan="0.9"), sampling(5)]}
    refused(conds(sampling(5), nested), "Conditions[1].And[0].ConditionParameters.LessThan", "number")
    refused(conds(score(Equals=None)), "Conditions[0].ConditionParameters.Equals")
    refused(conds(score(GreaterThan=True)), "Conditions[0].ConditionParameters.GreaterThan")
    refused(conds(score(LessThan=[1])), "Conditions[0].ConditionParameters.LessThan")


@pytest.mark.parametrize(
    "ops, where",
    [
        ({"LessThan": 0.9, "LessThanEquals": 0.8}, "ConditionParameters.LessThanEquals"),
        ({"GreaterThan": 0.1, "GreaterThanEquals": 0.2}, "ConditionParameters.GreaterThanEquals"),
        ({"Equals": 0.5, "LessThan": 0.9}, "ConditionParameters.Equals"),
        ({"GreaterThan": 0.9, "LessThan": 0.5}, "ConditionParameters.LessThan"),
        ({"GreaterThanEquals": 0.5, "LessThan": 0.5}, "ConditionParameters.LessThan"),
    ],
)
def test_redundant_or_impossible_operator_mixes_refused(ops, where):
    refused(conds(score(**ops)), where)


def test_degenerate_but_satisfiable_band_accepted():
    assert run(score(GreaterThanEquals=0.5, LessThanEquals=0.5), with_score(0.5)).activated is True


def test_unknown_keys_refused():
    refused(conds({**sampling(5), "Extra": 1}), "Conditions[0].Extra", "unknown key")
    refused(conds({**sampling(5), "EvaluationResult": True}), "Conditions[0].EvaluationResult")
    refused(conds(score(LessThan=0.5, Treshold=0.2)), "Conditions[0].ConditionParameters.Treshold", "unknown parameter")


def test_length_limit():
    assert MAX_CONDITIONS_LENGTH == 10240
    base = conds(sampling(5))
    at_limit = base + " " * (MAX_CONDITIONS_LENGTH - len(base))
    assert isinstance(parse_conditions(at_limit), ConditionSet)
    refused(at_limit + " ", "10241", "10240")
    big = conds(*[score(f"$.field_{i}", LessThan=0.5) for i in range(200)])
    assert len(big) > MAX_CONDITIONS_LENGTH
    refused(big, "10240")


def test_non_string_refused():
    with pytest.raises(ValidationError):
        parse_conditions({"Conditions": [sampling(5)]})  # type: ignore[arg-type]


def test_validation_error_renders_as_validation_exception():
    with pytest.raises(ValidationError) as info:
        parse_conditions("{")
    assert info.value.code_for("json") == ("ValidationException", 400)


def test_parse_is_cached_per_definition_string():
    raw = conds(score(LessThan=0.5))
    assert parse_conditions(raw) is parse_conditions(raw)
