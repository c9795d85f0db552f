"""Bad input gets a clear 4xx and never wedges a loop; a Redis outage is a retryable 503."""

from __future__ import annotations

import json

import pytest
import requests
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore.exceptions import ClientError

from hitl_service.store import keys
from tests.conftest import ACCESS_KEY, REGION, SECRET_KEY, Service, make_settings, wait_until
from tests.services.test_review_queue import Reviewer, team_and_flow
from tests.support import resources as R
from tests.support.procs import RedisServer

JSON_11 = "application/x-amz-json-1.1"


def signed(service, method: str, path: str, data: bytes = b"", headers: dict | None = None) -> requests.Response:
    """A request signed with SigV4 like botocore's, carrying a body boto3 would never send."""
    req = AWSRequest(method=method, url=service.url + path, data=data, headers=headers or {})
    SigV4Auth(Credentials(ACCESS_KEY, SECRET_KEY), "sagemaker", REGION).add_auth(req)
    return requests.request(method, req.url, data=data or None, headers=dict(req.headers), timeout=30)


def control(service, op: str, data: bytes, content_type: str | None = JSON_11) -> requests.Response:
    headers = {"X-Amz-Target": f"SageMaker.{op}"}
    if content_type is not None:
        headers["Content-Type"] = content_type
    return signed(service, "POST", "/", data, headers)


def error_of(resp: requests.Response) -> tuple[int, str, str]:
    body = resp.json()
    return resp.status_code, body["__type"], body["Message"]


# ---- item 5: InputContent that could never be written back ----------------------------------------


@pytest.mark.parametrize("content", [
    '{"score": NaN}',
    '{"score": Infinity}',
    '{"score": -Infinity}',
    '{"score": 1e999}',
    '{"score": ' + "9" * 400 + "}",
    '{"text": "\\ud800"}',          # a lone surrogate, escaped inside the document
    '{"text": "\ud83d"}',           # a lone surrogate as a character (boto3 escapes it on the wire)
    "[" * 5000 + "]" * 5000,        # nested 5,000 deep
])
def test_input_content_that_cannot_be_written_as_json_is_refused_at_start(a2i, sm, content):
    _, flow_arn = R.create_flow(sm)
    with pytest.raises(ClientError) as err:
        a2i.start_human_loop(HumanLoopName="bad-input", FlowDefinitionArn=flow_arn,
                             HumanLoopInput={"InputContent": content})
    error = err.value.response["Error"]
    assert error["Code"] == "ValidationException"
    assert "inputContent" in error["Message"]
    assert err.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    with pytest.raises(a2i.exceptions.ResourceNotFoundException):
        a2i.describe_human_loop(HumanLoopName="bad-input")


def test_nesting_that_output_json_can_hold_is_accepted(a2i, sm):
    _, flow_arn = R.create_flow(sm)
    content = '{"a": ' + "[" * 400 + "1" + "]" * 400 + "}"
    a2i.start_human_loop(HumanLoopName="deep-ok", FlowDefinitionArn=flow_arn,
                         HumanLoopInput={"InputContent": content})
    assert a2i.describe_human_loop(HumanLoopName="deep-ok")["HumanLoopStatus"] == "InProgress"


def test_an_answer_with_nan_is_refused_by_the_reviewer_api(service, sm, a2i, worker):
    _, _, flow_arn = team_and_flow(sm)
    a2i.start_human_loop(HumanLoopName="nan-answer", FlowDefinitionArn=flow_arn,
                         HumanLoopInput={"InputContent": "{}"})
    reviewer = Reviewer(service)
    token = reviewer.claim_wait("nan-answer")["token"]
    resp = reviewer.http.post(f"{reviewer.base}/assignments/{token}/submit", data='{"answerContent": {"x": NaN}}',
                              headers={"Content-Type": "application/json"}, timeout=10)
    assert resp.status_code == 400 and resp.json()["__type"] == "ValidationException", resp.text
    assert reviewer.submit(token, {"x": 1}).status_code == 200


def test_a_finalize_that_can_never_succeed_fails_the_loop_with_a_reason(service, sm, a2i, worker):
    """A loop stored by an earlier version with a NaN in its input: its output can never be written."""
    _, _, flow_arn = team_and_flow(sm)
    a2i.start_human_loop(HumanLoopName="legacy-nan", FlowDefinitionArn=flow_arn,
                         HumanLoopInput={"InputContent": '{"score": 1}'})
    team = service.ctx.store.loops.team_of("legacy-nan")
    service.ctx.store.client.hset(keys.loop(team, "legacy-nan"), "input", '{"score": NaN}')
    reviewer = Reviewer(service)
    assert reviewer.submit(reviewer.claim_wait("legacy-nan")["token"]).status_code == 200
    done = wait_until(lambda: (d := a2i.describe_human_loop(HumanLoopName="legacy-nan"))["HumanLoopStatus"]
                      == "Failed" and d, message="loop failed")
    assert done["FailureCode"] == "ValidationError"
    assert "JSON" in done["FailureReason"]
    assert "HumanLoopOutput" not in done
    assert [s["HumanLoopStatus"] for s in a2i.list_human_loops(FlowDefinitionArn=flow_arn)["HumanLoopSummaries"]] \
        == ["Failed"]
    metrics = requests.get(service.url + "/metrics", timeout=10).text
    assert 'hitl_outputs_pending 0.0' in metrics and 'hitl_loops{status="Failed"} 1.0' in metrics


# ---- item 6: bodies and parameters that used to answer 500 ----------------------------------------


def test_deeply_nested_bodies_are_serialization_errors_on_both_protocols(service):
    deep = ('{"a": ' * 1500 + "1" + "}" * 1500).encode()
    status, code, _ = error_of(control(service, "ListWorkteams", deep))
    assert (status, code) == (400, "SerializationException")
    resp = signed(service, "POST", "/human-loops", deep, {"Content-Type": "application/json"})
    assert resp.status_code == 400 and resp.headers["x-amzn-ErrorType"] == "SerializationException"


def test_non_finite_numbers_in_a_body_are_serialization_errors(service):
    for body in (b'{"MaxResults": NaN}', b'{"CreationTimeAfter": 1e400}', b'{"CreationTimeAfter": -Infinity}'):
        status, code, message = error_of(control(service, "ListFlowDefinitions", body))
        assert (status, code) == (400, "SerializationException"), message


def test_creation_time_after_1e400_in_a_query_is_a_validation_error(service, sm):
    _, flow_arn = R.create_flow(sm)
    for value in ("1e400", "-1e400", "inf", "nan", "99999999999999"):
        resp = signed(service, "GET", "/human-loops?" + requests.compat.urlencode(
            {"FlowDefinitionArn": flow_arn, "CreationTimeAfter": value}))
        assert resp.status_code == 400, (value, resp.text)
        assert resp.headers["x-amzn-ErrorType"] == "ValidationException"
        assert "creationTimeAfter" in resp.json()["Message"]


def test_lone_surrogate_in_template_content_is_a_validation_error_naming_the_field(sm):
    with pytest.raises(ClientError) as err:
        sm.create_human_task_ui(HumanTaskUiName="surrogate", UiTemplate={"Content": "<p>\ud800</p>"})
    error = err.value.response["Error"]
    assert error["Code"] == "ValidationException" and "uiTemplate.content" in error["Message"]
    with pytest.raises(sm.exceptions.ResourceNotFound):
        sm.describe_human_task_ui(HumanTaskUiName="surrogate")


def test_wrong_content_types_get_the_protocols_answer(service, sm):
    R.create_team(sm)
    ok = control(service, "ListWorkteams", b"{}")
    assert ok.status_code == 200 and len(ok.json()["Workteams"]) == 1
    for ctype in ("text/plain", "application/x-www-form-urlencoded", "application/xml", None):
        status, code, message = error_of(control(service, "ListWorkteams", b"{}", ctype))
        assert (status, code) == (400, "UnknownOperationException"), ctype
        assert "Content-Type" in message
    resp = signed(service, "POST", "/human-loops", b"HumanLoopName=x",
                  {"Content-Type": "application/x-www-form-urlencoded"})
    assert resp.status_code == 415 and resp.headers["x-amzn-ErrorType"] == "UnsupportedMediaTypeException"


# ---- item 7: Redis unreachable ---------------------------------------------------------------------


@pytest.fixture
def own_redis_service(session_data_dir):
    server = RedisServer().start()
    svc = Service(make_settings(server.url, session_data_dir))
    yield server, svc
    svc.stop()
    server.cleanup()


def test_redis_outage_is_a_retryable_service_unavailable_and_health_hides_the_address(own_redis_service):
    server, svc = own_redis_service
    sm, a2i = svc.client("sagemaker"), svc.client("sagemaker-a2i-runtime")
    R.create_team(sm, name="before-outage")
    server.stop(kill=True)
    with pytest.raises(ClientError) as err:
        sm.describe_workteam(WorkteamName="before-outage")
    assert err.value.response["Error"]["Code"] == "ServiceUnavailable"
    assert err.value.response["ResponseMetadata"]["HTTPStatusCode"] == 503
    assert err.value.response["ResponseMetadata"]["RetryAttempts"] >= 1  # boto3 retried it on its own
    with pytest.raises(ClientError) as err:
        a2i.describe_human_loop(HumanLoopName="any")
    assert err.value.response["Error"]["Code"] == "ServiceUnavailable"
    assert str(server.port) not in err.value.response["Error"]["Message"]

    health = requests.get(svc.url + "/healthz", timeout=10)
    assert health.status_code == 503
    assert "127.0.0.1" not in health.text and str(server.port) not in health.text

    server.start()
    assert sm.describe_workteam(WorkteamName="before-outage")["Workteam"]["WorkteamName"] == "before-outage"
    assert requests.get(svc.url + "/healthz", timeout=10).json() == {"status": "ok"}
