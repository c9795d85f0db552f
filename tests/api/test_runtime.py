"""The A2I runtime API through real boto3 clients over HTTP."""

from __future__ import annotations

import concurrent.futures
import json
from datetime import datetime, timedelta, timezone

import pytest
import requests
from botocore.exceptions import ClientError

from tests.support import resources as R


def start(a2i, flow_arn, name, content=None, **kw):
    content = json.dumps(content if content is not None else {"text": name})
    return a2i.start_human_loop(HumanLoopName=name, FlowDefinitionArn=flow_arn,
                                HumanLoopInput={"InputContent": content}, **kw)


def test_start_describe_stop_delete_lifecycle(a2i, sm):
    _, flow_arn = R.create_flow(sm)
    arn = start(a2i, flow_arn, "loop-1")["HumanLoopArn"]
    assert arn == "arn:aws:sagemaker:us-east-1:123456789012:human-loop/loop-1"
    d = a2i.describe_human_loop(HumanLoopName="loop-1")
    assert d["HumanLoopStatus"] == "InProgress"
    assert d["HumanLoopArn"] == arn and d["FlowDefinitionArn"] == flow_arn
    assert abs(d["CreationTime"] - datetime.now(timezone.utc)) < timedelta(seconds=30)
    assert d["HumanLoopOutput"]["OutputS3Uri"].endswith("/loop-1/output.json")  # known from the start
    a2i.stop_human_loop(HumanLoopName="loop-1")
    assert a2i.describe_human_loop(HumanLoopName="loop-1")["HumanLoopStatus"] == "Stopped"
    a2i.stop_human_loop(HumanLoopName="loop-1")  # stopping a stopped loop is a no-op
    a2i.delete_human_loop(HumanLoopName="loop-1")
    with pytest.raises(a2i.exceptions.ResourceNotFoundException):
        a2i.describe_human_loop(HumanLoopName="loop-1")
    assert a2i.list_human_loops(FlowDefinitionArn=flow_arn)["HumanLoopSummaries"] == []
    # the name is free again after deletion
    assert start(a2i, flow_arn, "loop-1", {"other": 1})["HumanLoopArn"] == arn


def test_runtime_timestamps_are_iso_with_milliseconds(service, sm):
    _, flow_arn = R.create_flow(sm)
    a2i = service.client("sagemaker-a2i-runtime")
    start(a2i, flow_arn, "ts-loop")
    raw = {}
    a2i.meta.events.register("after-call.*.DescribeHumanLoop", lambda http_response, **_: raw.update(
        body=http_response.content))
    a2i.describe_human_loop(HumanLoopName="ts-loop")
    created = json.loads(raw["body"])["CreationTime"]
    datetime.strptime(created, "%Y-%m-%dT%H:%M:%S.%fZ")
    assert len(created.split(".")[1]) == 4  # three digits and Z


def test_identical_repeat_returns_same_arn_and_different_input_conflicts(a2i, sm):
    _, flow_arn = R.create_flow(sm)
    first = start(a2i, flow_arn, "dup", {"a": 1})["HumanLoopArn"]
    assert start(a2i, flow_arn, "dup", {"a": 1})["HumanLoopArn"] == first
    with pytest.raises(a2i.exceptions.ConflictException) as err:
        start(a2i, flow_arn, "dup", {"a": 2})
    assert "dup" in err.value.response["Error"]["Message"]
    assert err.value.response["ResponseMetadata"]["HTTPStatusCode"] == 409
    _, other_flow = R.create_flow(sm)
    with pytest.raises(a2i.exceptions.ConflictException):
        start(a2i, other_flow, "dup", {"a": 1})  # names are unique across flows
    with pytest.raises(a2i.exceptions.ConflictException):
        start(a2i, flow_arn, "dup", {"a": 1}, DataAttributes={"ContentClassifiers": ["FreeOfAdultContent"]})


def test_fifty_concurrent_starts_with_one_name_create_exactly_one_loop(service, sm):
    _, flow_arn = R.create_flow(sm)
    clients = [service.client("sagemaker-a2i-runtime") for _ in range(10)]

    def attempt(i):
        try:
            return start(clients[i % 10], flow_arn, "race", {"i": i % 2 == 0 and 0 or 0})["HumanLoopArn"]
        except ClientError as exc:
            return exc.response["Error"]["Code"]

    with concurrent.futures.ThreadPoolExecutor(16) as pool:
        results = list(pool.map(attempt, range(50)))
    assert set(results) == {"arn:aws:sagemaker:us-east-1:123456789012:human-loop/race"}
    loops = clients[0].list_human_loops(FlowDefinitionArn=flow_arn)["HumanLoopSummaries"]
    assert [loop["HumanLoopName"] for loop in loops] == ["race"]


def test_fifty_concurrent_starts_with_one_name_and_different_inputs(service, sm):
    _, flow_arn = R.create_flow(sm)
    a2i = service.client("sagemaker-a2i-runtime")

    def attempt(i):
        try:
            start(a2i, flow_arn, "race2", {"i": i})
            return "ok"
        except ClientError as exc:
            return exc.response["Error"]["Code"]

    with concurrent.futures.ThreadPoolExecutor(16) as pool:
        results = list(pool.map(attempt, range(50)))
    assert results.count("ok") == 1 and results.count("ConflictException") == 49
    assert len(a2i.list_human_loops(FlowDefinitionArn=flow_arn)["HumanLoopSummaries"]) == 1


def test_start_on_missing_or_deleting_flow_is_validation(a2i, sm, service):
    missing = "arn:aws:sagemaker:us-east-1:123456789012:flow-definition/nope"
    with pytest.raises(ClientError) as err:
        start(a2i, missing, "x")
    assert err.value.response["Error"]["Code"] == "ValidationException"
    assert "nope" in err.value.response["Error"]["Message"]
    other_account = "arn:aws:sagemaker:us-east-1:999999999999:flow-definition/nope"
    with pytest.raises(ClientError) as err:
        start(a2i, other_account, "x")
    assert err.value.response["Error"]["Code"] == "ValidationException"
    name, flow_arn = R.create_flow(sm)
    # Deleting is observable until a worker retires the flow; none runs in this test.
    sm.delete_flow_definition(FlowDefinitionName=name)
    assert sm.describe_flow_definition(FlowDefinitionName=name)["FlowDefinitionStatus"] == "Deleting"
    with pytest.raises(ClientError) as err:
        start(a2i, flow_arn, "y")
    assert err.value.response["Error"]["Code"] == "ValidationException"
    assert "Deleting" in err.value.response["Error"]["Message"]


@pytest.mark.parametrize("content, fragment", [
    ("not json", "InputContent"),
    ("{\"a\": ", "InputContent"),
    ("x" * (3 * 1024 * 1024 + 1), "inputContent"),
])
def test_bad_input_content_is_rejected(a2i, sm, content, fragment):
    _, flow_arn = R.create_flow(sm)
    with pytest.raises(ClientError) as err:
        a2i.start_human_loop(HumanLoopName="bad", FlowDefinitionArn=flow_arn, HumanLoopInput={"InputContent": content})
    assert err.value.response["Error"]["Code"] == "ValidationException"
    assert fragment in err.value.response["Error"]["Message"]
    with pytest.raises(a2i.exceptions.ResourceNotFoundException):
        a2i.describe_human_loop(HumanLoopName="bad")


def test_input_content_of_exactly_3_mib_is_accepted(a2i, sm):
    _, flow_arn = R.create_flow(sm)
    content = json.dumps({"t": "x" * (3 * 1024 * 1024 - 9)})
    assert len(content) == 3 * 1024 * 1024
    a2i.start_human_loop(HumanLoopName="big", FlowDefinitionArn=flow_arn, HumanLoopInput={"InputContent": content})
    assert a2i.describe_human_loop(HumanLoopName="big")["HumanLoopStatus"] == "InProgress"


@pytest.mark.parametrize("name, fragment", [
    ("under_score", "humanLoopName"),
    ("-leading", "humanLoopName"),
    ("a" * 64, "humanLoopName"),
])
def test_bad_loop_names_are_validation_errors(a2i, sm, name, fragment):
    _, flow_arn = R.create_flow(sm)
    with pytest.raises(ClientError) as err:
        start(a2i, flow_arn, name)
    assert err.value.response["Error"]["Code"] == "ValidationException"
    assert fragment in err.value.response["Error"]["Message"]


def test_bad_flow_arn_and_classifier_are_validation_errors(a2i, sm):
    _, flow_arn = R.create_flow(sm)
    with pytest.raises(ClientError) as err:
        start(a2i, "arn:aws:sagemaker:us-east-1:123456789012:workteam/private-crowd/x", "n1")
    assert "flowDefinitionArn" in err.value.response["Error"]["Message"]
    with pytest.raises(ClientError) as err:
        start(a2i, flow_arn, "n2", DataAttributes={"ContentClassifiers": ["FreeOfViolence"]})
    assert err.value.response["Error"]["Code"] == "ValidationException"
    assert "contentClassifiers" in err.value.response["Error"]["Message"]


def test_stop_and_delete_state_rules(a2i, sm):
    _, flow_arn = R.create_flow(sm)
    start(a2i, flow_arn, "active")
    with pytest.raises(ClientError) as err:
        a2i.delete_human_loop(HumanLoopName="active")
    assert err.value.response["Error"]["Code"] == "ValidationException"
    assert "stop it first" in err.value.response["Error"]["Message"]
    for op in (a2i.stop_human_loop, a2i.delete_human_loop, a2i.describe_human_loop):
        with pytest.raises(a2i.exceptions.ResourceNotFoundException):
            op(HumanLoopName="ghost")


def test_plain_http_errors_carry_aws_wire_format(service, sm):
    """A caller without boto3 sees x-amzn-ErrorType, a Message body and a request id."""
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    from tests.conftest import ACCESS_KEY, SECRET_KEY

    req = AWSRequest(method="GET", url=f"{service.url}/human-loops/ghost")
    SigV4Auth(Credentials(ACCESS_KEY, SECRET_KEY), "sagemaker", "us-east-1").add_auth(req)
    resp = requests.get(req.url, headers=dict(req.headers))
    assert resp.status_code == 404
    assert resp.headers["x-amzn-ErrorType"] == "ResourceNotFoundException"
    assert resp.json()["Message"] == "Human loop ghost does not exist"
    assert resp.headers["x-amzn-RequestId"]


def test_request_id_appears_in_the_service_log(service, sm, caplog):
    import logging

    caplog.set_level(logging.DEBUG, logger="hitl_service.api")
    resp = sm.list_workteams()
    rid = resp["ResponseMetadata"]["RequestId"]
    assert any(rid in rec.getMessage() and "op=ListWorkteams" in rec.getMessage() for rec in caplog.records)
