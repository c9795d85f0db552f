"""output.json key layout and document bytes."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest

from hitl_service.output.document import build_output_document, output_key, output_uri, parse_output_path

CREATED = datetime(2021, 7, 6, 22, 33, 8, 456000, tzinfo=timezone.utc)
TAIL = "fd-nlp/2021/07/06/22/33/08/loop-1/output.json"
FLOW_ARN = "arn:aws:sagemaker:us-east-1:123456789012:flow-definition/fd-nlp"


@pytest.mark.parametrize(
    "path, bucket, key",
    [
        ("s3://bkt/a2i-results", "bkt", f"a2i-results/{TAIL}"),
        ("s3://bkt/a2i-results/", "bkt", f"a2i-results/{TAIL}"),
        ("s3://bkt/chapter4/a2i-results//", "bkt", f"chapter4/a2i-results/{TAIL}"),
        ("s3://bkt", "bkt", TAIL),
        ("s3://bkt/", "bkt", TAIL),
        ("S3://bkt/p", "bkt", f"p/{TAIL}"),
        # virtual-hosted
        ("https://bkt.s3.amazonaws.com/a2i-results", "bkt", f"a2i-results/{TAIL}"),
        ("https://bkt.s3.us-west-2.amazonaws.com/a2i-results/", "bkt", f"a2i-results/{TAIL}"),
        ("https://bkt.s3-us-west-2.amazonaws.com", "bkt", TAIL),
        ("https://my.dotted.bucket.s3.eu-west-1.amazonaws.com/p/q", "my.dotted.bucket", f"p/q/{TAIL}"),
        ("https://bkt.s3.cn-north-1.amazonaws.com.cn/p", "bkt", f"p/{TAIL}"),
        # path-style
        ("https://s3.amazonaws.com/bkt/a2i-results", "bkt", f"a2i-results/{TAIL}"),
        ("https://s3.us-east-1.amazonaws.com/bkt/", "bkt", TAIL),
        ("https://s3-us-west-2.amazonaws.com/bkt/x/y/", "bkt", f"x/y/{TAIL}"),
        # any other host: first path segment is the bucket
        ("https://minio.example.com:9000/bkt/a2i-results", "bkt", f"a2i-results/{TAIL}"),
        ("https://minio.example.com/bkt", "bkt", TAIL),
        ("https://minio.example.com/bkt/with%20space", "bkt", f"with space/{TAIL}"),
    ],
)
def test_output_key_layout(path, bucket, key):
    assert output_key(path, "fd-nlp", "loop-1", CREATED) == (bucket, key)


def test_output_key_documented_example():
    created = datetime(2021, 7, 6, 22, 33, 8, tzinfo=timezone.utc)
    assert output_key("s3://bkt/a2i-results", "fd-nlp", "loop-1", created) == (
        "bkt", "a2i-results/fd-nlp/2021/07/06/22/33/08/loop-1/output.json",
    )


def test_output_key_uses_utc():
    plus_two = timezone(timedelta(hours=2))
    local = datetime(2021, 7, 7, 0, 33, 8, tzinfo=plus_two)
    assert output_key("s3://bkt", "fd-nlp", "loop-1", local)[1] == TAIL
    # naive means UTC in this service
    assert output_key("s3://bkt", "fd-nlp", "loop-1", datetime(2021, 7, 6, 22, 33, 8))[1] == TAIL


@pytest.mark.parametrize(
    "bad", ["bkt/prefix", "ftp://bkt/x", "s3://", "https://s3.amazonaws.com/", "https://h.example/"]
)
def test_output_key_rejects_bad_paths(bad):
    with pytest.raises(ValueError):
        output_key(bad, "fd-nlp", "loop-1", CREATED)


def test_parse_output_path_and_uri():
    assert parse_output_path("s3://bkt/a/b/") == ("bkt", "a/b")
    bucket, key = output_key("s3://bkt/a2i-results", "fd-nlp", "loop-1", CREATED)
    assert output_uri(bucket, key) == f"s3://bkt/a2i-results/{TAIL}"


def _answer(worker: str, submitted: str, **extra) -> dict:
    answer = {
        "answerContent": {"sentiment": {"label": "positive"}, "note": "très bien"},
        "acceptanceTime": "2021-07-06T22:34:00.000Z",
        "submissionTime": submitted,
        "timeSpentInSeconds": 40.543,
        "workerId": worker,
        "workerMetadata": {"identityData": {
            "identityProviderType": "Oidc", "issuer": "https://idp.example", "sub": f"sub-{worker}",
        }},
    }
    answer.update(extra)
    return answer


def test_build_output_document_fields_and_order():
    input_content = '{"taskObject": "s3://in/doc.txt", "z": 1, "a": [1, 2]}'
    answers = [
        _answer("a12b3cdefg4h5i67", "2021-07-06T22:35:00.000Z", internal_lease="x"),
        _answer("ef7294f850a3d9d1", "2021-07-06T22:36:00.000Z", timeSpentInSeconds=12),
    ]
    raw = build_output_document(
        flow_definition_arn=FLOW_ARN, loop_name="loop-1", input_content=input_content, answers=answers,
    )
    assert isinstance(raw, bytes)
    doc = json.loads(raw)
    assert list(doc) == ["flowDefinitionArn", "humanAnswers", "humanLoopName", "inputContent"]
    assert doc["flowDefinitionArn"] == FLOW_ARN
    assert doc["humanLoopName"] == "loop-1"
    # inputContent is the parsed object, key order preserved
    assert doc["inputContent"] == {"taskObject": "s3://in/doc.txt", "z": 1, "a": [1, 2]}
    assert list(doc["inputContent"]) == ["taskObject", "z", "a"]
    assert [a["workerId"] for a in doc["humanAnswers"]] == ["a12b3cdefg4h5i67", "ef7294f850a3d9d1"]
    first, second = doc["humanAnswers"]
    assert set(first) == {"answerContent", "acceptanceTime", "submissionTime", "timeSpentInSeconds",
                          "workerId", "workerMetadata"}  # internal_lease dropped
    assert first["answerContent"] == {"sentiment": {"label": "positive"}, "note": "très bien"}
    assert isinstance(first["timeSpentInSeconds"], float) and first["timeSpentInSeconds"] == 40.543
    assert isinstance(second["timeSpentInSeconds"], float) and second["timeSpentInSeconds"] == 12.0
    assert first["workerMetadata"]["identityData"]["identityProviderType"] == "Oidc"
    assert first["submissionTime"] == "2021-07-06T22:35:00.000Z"
    # compact, UTF-8, not ASCII-escaped
    assert "très".encode() in raw and b", " not in raw and b"\\u00e8" not in raw


def test_build_output_document_is_byte_identical():
    kwargs = dict(
        flow_definition_arn=FLOW_ARN, loop_name="loop-1", input_content='{"b": 1, "a": 2}',
        answers=[_answer("a12b3cdefg4h5i67", "2021-07-06T22:35:00.000Z")],
        activation_results={"Conditions": [{"EvaluationResult": True}]},
    )
    assert build_output_document(**kwargs) == build_output_document(**kwargs)


def test_activation_results_custom_flow_top_level():
    doc = json.loads(build_output_document(
        flow_definition_arn=FLOW_ARN, loop_name="loop-1", input_content='{"x": 1}', answers=[],
        activation_results={"Conditions": [{"ConditionType": "Sampling", "EvaluationResult": True}]},
    ))
    assert list(doc) == ["flowDefinitionArn", "humanAnswers", "humanLoopName", "inputContent",
                         "humanTaskActivationConditionResults"]
    assert doc["inputContent"] == {"x": 1}
    assert doc["humanTaskActivationConditionResults"]["Conditions"][0]["EvaluationResult"] is True


def test_activation_results_builtin_nested_in_input():
    source = "AWS/Textract/AnalyzeDocument/Forms/V1"
    doc = json.loads(build_output_document(
        flow_definition_arn=FLOW_ARN, loop_name="loop-1", input_content='{"aiServiceRequest": {}}',
        answers=[],
        activation_results={"Conditions": []}, request_source=source,
    ))
    assert doc["awsManagedHumanLoopRequestSource"] == source
    assert doc["inputContent"] == {
        "aiServiceRequest": {}, "humanTaskActivationConditionResults": {"Conditions": []},
    }
    assert "humanTaskActivationConditionResults" not in doc


def test_build_output_document_rejects_bad_input():
    with pytest.raises(ValueError):
        build_output_document(flow_definition_arn=FLOW_ARN, loop_name="l", input_content="{nope", answers=[])
    with pytest.raises(ValueError):
        build_output_document(flow_definition_arn=FLOW_ARN, loop_name="l", input_content="{}",
                              answers=[{"answerContent": {}}])
    with pytest.raises(ValueError):
        build_output_document(flow_definition_arn=FLOW_ARN, loop_name="l", input_content="{}",
                              answers=[_answer("w", "t", timeSpentInSeconds=float("nan"))])
