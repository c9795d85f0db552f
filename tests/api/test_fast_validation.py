"""The plain-Python acceptance check of an operation's input agrees with the botocore-model schema.

load_input answers a valid input without marshmallow (schemas/botocore_model.py, issue 17); every
other input still goes through the schema. Property: for arbitrary inputs near and far from the
model's constraints, load_input returns what the schema returns, or raises the same error.
"""

from __future__ import annotations

import string

from hypothesis import given, settings
from hypothesis import strategies as st

from hitl_service.errors import ValidationError
from schemas.botocore_model import CONTROL, RUNTIME, _fast_structure, _load_with_schema, input_shape_name, load_input

FLOW_ARN = "arn:aws:sagemaker:us-east-1:123456789012:flow-definition/f"

# JSON scalars and containers that are the wrong kind for most members
wrong = st.one_of(st.none(), st.booleans(), st.integers(-3, 3), st.floats(allow_nan=False, allow_infinity=False),
                  st.just([]), st.just({}), st.lists(st.text(max_size=3), max_size=2))
# text with the characters the model's patterns care about, and now and then an unpaired surrogate
near_text = st.text(st.sampled_from(string.ascii_letters + string.digits + "-_:/. é\u00e9\U0001F600\ud800"),
                    max_size=70)
names = st.one_of(st.from_regex(r"[a-zA-Z0-9](-*[a-zA-Z0-9]){0,70}", fullmatch=True), near_text, st.just(""),
                  st.just("a" * 63), st.just("a" * 64), wrong)
arns = st.one_of(st.just(FLOW_ARN), st.builds(lambda t: FLOW_ARN[:-1] + t, near_text),
                 st.from_regex(r"arn:aws[a-z\-]{0,3}:sagemaker:[a-z0-9\-]{0,9}:[0-9]{11,13}:flow-definition/.{0,5}",
                               fullmatch=True),
                 st.just(FLOW_ARN + "x" * 1000), near_text, wrong)
contents = st.one_of(st.just('{"a":1}'), near_text, st.just("x" * 3145729), wrong)
classifier = st.one_of(st.sampled_from(["FreeOfPersonallyIdentifiableInformation", "FreeOfAdultContent"]),
                       near_text, wrong)


def _maybe_extra(d: st.SearchStrategy) -> st.SearchStrategy:
    extra = st.dictionaries(st.sampled_from(["Unknown", "inputContent", "humanLoopName", "X"]), wrong, max_size=1)
    return st.builds(lambda base, more, drop: {k: v for k, v in {**base, **more}.items() if k not in drop},
                     d, st.one_of(st.just({}), extra), st.sets(st.sampled_from(["HumanLoopName", "InputContent",
                                                                               "ContentClassifiers"]), max_size=1))


human_loop_input = st.one_of(_maybe_extra(st.fixed_dictionaries({"InputContent": contents})), wrong)
data_attributes = st.one_of(
    _maybe_extra(st.fixed_dictionaries({"ContentClassifiers": st.one_of(
        st.lists(classifier, max_size=3), st.just(["FreeOfAdultContent"] * 257), wrong)})), wrong)
any_start = _maybe_extra(st.fixed_dictionaries(
    {"HumanLoopName": names, "FlowDefinitionArn": arns, "HumanLoopInput": human_loop_input},
    optional={"DataAttributes": data_attributes}))
# a valid request with at most one member replaced: most inputs are one mistake away from valid
valid_start = st.fixed_dictionaries(
    {"HumanLoopName": st.from_regex(r"[a-zA-Z0-9](-*[a-zA-Z0-9]){0,40}", fullmatch=True),
     "FlowDefinitionArn": st.just(FLOW_ARN), "HumanLoopInput": st.fixed_dictionaries({"InputContent": near_text})},
    optional={"DataAttributes": st.fixed_dictionaries({"ContentClassifiers": st.lists(st.sampled_from(
        ["FreeOfPersonallyIdentifiableInformation", "FreeOfAdultContent"]), max_size=2)})})
one_change = st.builds(lambda base, key, value: {**base, key: value}, valid_start,
                       st.sampled_from(["HumanLoopName", "FlowDefinitionArn", "HumanLoopInput", "DataAttributes"]),
                       st.one_of(names, arns, human_loop_input, data_attributes))
start_inputs = st.one_of(valid_start, one_change, any_start)


def _outcome(fn, *args):
    try:
        return "ok", fn(*args)
    except ValidationError as exc:
        return "error", (exc.code, exc.message)


def _same_as_schema(service: str, operation: str, data: dict) -> None:
    shape = input_shape_name(service, operation)
    assert _outcome(load_input, service, operation, data) == _outcome(_load_with_schema, service, shape, data)


@settings(max_examples=600, deadline=None)
@given(data=start_inputs)
def test_start_human_loop_input_is_judged_like_the_model_schema(data):
    _same_as_schema(RUNTIME, "StartHumanLoop", data)


@settings(max_examples=200, deadline=None)
@given(data=st.fixed_dictionaries({}, optional={"HumanLoopName": names, "Other": wrong}))
def test_loop_name_operations_are_judged_like_the_model_schema(data):
    for operation in ("StopHumanLoop", "DescribeHumanLoop", "DeleteHumanLoop"):
        _same_as_schema(RUNTIME, operation, data)


def test_a_valid_start_takes_the_fast_path_and_a_bad_one_is_worded_by_the_schema():
    good = {"HumanLoopName": "Fraud-1", "FlowDefinitionArn": FLOW_ARN, "HumanLoopInput": {"InputContent": "{}"},
            "DataAttributes": {"ContentClassifiers": ["FreeOfAdultContent"]}}
    assert _fast_structure(RUNTIME, "StartHumanLoopRequest")(good)
    assert load_input(RUNTIME, "StartHumanLoop", good) == good
    bad = {**good, "HumanLoopName": "-bad"}
    assert not _fast_structure(RUNTIME, "StartHumanLoopRequest")(bad)
    try:
        load_input(RUNTIME, "StartHumanLoop", bad)
    except ValidationError as exc:
        assert exc.message.startswith("1 validation error detected: Value '-bad' at 'humanLoopName'"), exc.message
    else:
        raise AssertionError("an invalid name was accepted")


def test_shapes_whose_load_converts_values_have_no_fast_path():
    # ListHumanLoops carries timestamps (loaded as datetimes): always the schema
    assert _fast_structure(RUNTIME, input_shape_name(RUNTIME, "ListHumanLoops")) is None
