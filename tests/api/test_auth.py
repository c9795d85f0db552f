"""SigV4 authentication as callers see it, on both API protocols, over real HTTP."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from urllib.parse import quote

import boto3
import pytest
import requests
from botocore import UNSIGNED
from botocore.auth import SIGV4_TIMESTAMP, SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials
from botocore.exceptions import ClientError

from tests.conftest import ACCESS_KEY, REGION, SECRET_KEY, Service, make_settings
from tests.support import resources as R

SECOND_KEY = "AKIDTESTHITLSECOND02"
SECOND_SECRET = "second-secret-for-hitl-service-0002"
JSON_CONTENT_TYPE = "application/x-amz-json-1.1"
PROTOCOLS = ["rest-json", "json"]


class SigV4AuthAt(SigV4Auth):
    """botocore's SigV4 signer, signing as if the clock read ``at``."""

    def __init__(self, credentials, service_name, region_name, at: datetime):
        super().__init__(credentials, service_name, region_name)
        self.at = at

    def add_auth(self, request):
        # the same steps as SigV4Auth.add_auth, with our timestamp instead of the current time
        request.context["timestamp"] = self.at.astimezone(timezone.utc).strftime(SIGV4_TIMESTAMP)
        self._modify_request_before_signing(request)
        canonical_request = self.canonical_request(request)
        string_to_sign = self.string_to_sign(request, canonical_request)
        self._inject_signature_to_request(request, self.signature(string_to_sign, request))


@pytest.fixture
def flow_arn(sm):
    return R.create_flow(sm)[1]


def build(service, protocol: str, flow_arn: str) -> AWSRequest:
    """An unsigned request that succeeds (200) when correctly signed: ListHumanLoops or ListWorkteams."""
    if protocol == "rest-json":
        url = f"{service.url}/human-loops?FlowDefinitionArn={quote(flow_arn, safe='')}&MaxResults=5"
        return AWSRequest(method="GET", url=url)
    return AWSRequest(method="POST", url=service.url + "/", data=b"{}",
                      headers={"X-Amz-Target": "SageMaker.ListWorkteams", "Content-Type": JSON_CONTENT_TYPE})


def sign(req: AWSRequest, *, akid=ACCESS_KEY, secret=SECRET_KEY, at: datetime | None = None,
         service_name="sagemaker") -> AWSRequest:
    creds = Credentials(akid, secret)
    signer = SigV4Auth(creds, service_name, REGION) if at is None else SigV4AuthAt(creds, service_name, REGION, at)
    signer.add_auth(req)
    return req


def send(req: AWSRequest, headers: dict | None = None, data: bytes | None = None) -> requests.Response:
    sent_headers = {k: v.decode() if isinstance(v, bytes) else v for k, v in req.headers.items()}
    sent_headers.update(headers or {})
    body = req.data if data is None else data
    return requests.request(req.method, req.url, headers=sent_headers, data=body or None, timeout=30)


def assert_rejected(resp: requests.Response, protocol: str, code: str, fragment: str = "") -> str:
    """rest-json names the error in x-amzn-ErrorType; json in the body's __type."""
    assert resp.status_code == 403, resp.text
    body = resp.json()
    if protocol == "rest-json":
        assert resp.headers["x-amzn-ErrorType"] == code
    else:
        assert body["__type"] == code
        assert resp.headers["Content-Type"].startswith(JSON_CONTENT_TYPE)
    assert fragment in body["Message"], body["Message"]
    return body["Message"]


def assert_accepted(resp: requests.Response, protocol: str) -> None:
    assert resp.status_code == 200, resp.text
    key = "HumanLoopSummaries" if protocol == "rest-json" else "Workteams"
    assert key in resp.json()


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_correctly_signed_plain_http_is_accepted(service, flow_arn, protocol):
    assert_accepted(send(sign(build(service, protocol, flow_arn))), protocol)


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_unsigned_request_is_missing_authentication_token(service, flow_arn, protocol):
    resp = send(build(service, protocol, flow_arn))
    assert_rejected(resp, protocol, "MissingAuthenticationTokenException")


def test_unsigned_boto3_clients_get_missing_authentication_token(service, flow_arn):
    kw = dict(endpoint_url=service.url, region_name=REGION, config=Config(signature_version=UNSIGNED))
    with pytest.raises(ClientError) as err:
        boto3.client("sagemaker", **kw).list_workteams()
    assert err.value.response["Error"]["Code"] == "MissingAuthenticationTokenException"
    with pytest.raises(ClientError) as err:
        boto3.client("sagemaker-a2i-runtime", **kw).list_human_loops(FlowDefinitionArn=flow_arn)
    assert err.value.response["Error"]["Code"] == "MissingAuthenticationTokenException"
    assert err.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403


@pytest.mark.parametrize("protocol", PROTOCOLS)
@pytest.mark.parametrize("authorization", [
    "AWS4-HMAC-SHA256 Credential=garbage",
    "AWS4-HMAC-SHA256 SignedHeaders=host;x-amz-date, Signature=" + "0" * 64,
    "Bearer abcdef",
    f"AWS4-HMAC-SHA256 Credential={ACCESS_KEY}/20240101/us-east-1/sagemaker/aws4_request, "
    "SignedHeaders=content-type, Signature=" + "0" * 64,
])
def test_malformed_authorization_is_incomplete_signature(service, flow_arn, protocol, authorization):
    req = sign(build(service, protocol, flow_arn))
    resp = send(req, headers={"Authorization": authorization})
    assert_rejected(resp, protocol, "IncompleteSignatureException")


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_missing_x_amz_date_is_incomplete_signature(service, flow_arn, protocol):
    req = sign(build(service, protocol, flow_arn))
    del req.headers["X-Amz-Date"]
    assert_rejected(send(req), protocol, "IncompleteSignatureException", "X-Amz-Date")


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_unknown_access_key_is_unrecognized_client(service, flow_arn, protocol):
    resp = send(sign(build(service, protocol, flow_arn), akid="AKIDNOBODYKNOWS00000"))
    assert_rejected(resp, protocol, "UnrecognizedClientException", "security token")


def test_unknown_access_key_through_boto3(service, flow_arn):
    kw = dict(endpoint_url=service.url, region_name=REGION, aws_access_key_id="AKIDNOBODYKNOWS00000",
              aws_secret_access_key=SECRET_KEY)
    with pytest.raises(ClientError) as err:
        boto3.client("sagemaker", **kw).describe_flow_definition(FlowDefinitionName="anything")
    assert err.value.response["Error"]["Code"] == "UnrecognizedClientException"
    with pytest.raises(ClientError) as err:
        boto3.client("sagemaker-a2i-runtime", **kw).list_human_loops(FlowDefinitionArn=flow_arn)
    assert err.value.response["Error"]["Code"] == "UnrecognizedClientException"


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_wrong_secret_is_invalid_signature(service, flow_arn, protocol):
    resp = send(sign(build(service, protocol, flow_arn), secret="not-the-secret"))
    assert_rejected(resp, protocol, "InvalidSignatureException", "does not match")


def test_wrong_secret_through_boto3(service, flow_arn):
    kw = dict(endpoint_url=service.url, region_name=REGION, aws_access_key_id=ACCESS_KEY,
              aws_secret_access_key="not-the-secret")
    sm = boto3.client("sagemaker", **kw)
    with pytest.raises(ClientError) as err:
        sm.create_workteam(WorkteamName="sneaky", Description="d",
                           MemberDefinitions=[{"OidcMemberDefinition": {"Groups": ["g"]}}])
    assert err.value.response["Error"]["Code"] == "InvalidSignatureException"
    with pytest.raises(ClientError) as err:
        boto3.client("sagemaker-a2i-runtime", **kw).start_human_loop(
            HumanLoopName="sneaky", FlowDefinitionArn=flow_arn, HumanLoopInput={"InputContent": "{}"})
    assert err.value.response["Error"]["Code"] == "InvalidSignatureException"
    # nothing was created by the refused calls
    good = service.client("sagemaker")
    with pytest.raises(ClientError) as err:
        good.describe_workteam(WorkteamName="sneaky")
    assert err.value.response["Error"]["Code"] == "ValidationException"
    with pytest.raises(service.client("sagemaker-a2i-runtime").exceptions.ResourceNotFoundException):
        service.client("sagemaker-a2i-runtime").describe_human_loop(HumanLoopName="sneaky")


@pytest.mark.parametrize("protocol", PROTOCOLS)
@pytest.mark.parametrize("offset, fragment", [
    (timedelta(minutes=-6), "expired"),
    (timedelta(minutes=6), "not yet current"),
])
def test_signature_six_minutes_off_is_refused(service, flow_arn, protocol, offset, fragment):
    at = datetime.now(timezone.utc) + offset
    resp = send(sign(build(service, protocol, flow_arn), at=at))
    assert_rejected(resp, protocol, "InvalidSignatureException", fragment)


@pytest.mark.parametrize("protocol", PROTOCOLS)
@pytest.mark.parametrize("offset", [timedelta(minutes=-4), timedelta(minutes=4)])
def test_signature_four_minutes_off_is_accepted(service, flow_arn, protocol, offset):
    at = datetime.now(timezone.utc) + offset
    assert_accepted(send(sign(build(service, protocol, flow_arn), at=at)), protocol)


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_request_altered_after_signing_is_refused(service, flow_arn, protocol):
    req = sign(build(service, protocol, flow_arn))
    if protocol == "rest-json":
        altered = send(AWSRequest(method="GET", url=req.url.replace("MaxResults=5", "MaxResults=6"),
                                  headers=dict(req.headers)))
    else:
        altered = send(req, headers={"X-Amz-Target": "SageMaker.ListFlowDefinitions"})
    assert_rejected(altered, protocol, "InvalidSignatureException")
    if protocol == "json":
        body = json.dumps({"WorkteamName": "x", "Description": "d",
                           "MemberDefinitions": [{"OidcMemberDefinition": {"Groups": ["g"]}}]}).encode()
        assert_rejected(send(req, data=body), protocol, "InvalidSignatureException")


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_signature_scoped_to_another_service_is_refused(service, flow_arn, protocol):
    resp = send(sign(build(service, protocol, flow_arn), service_name="s3"))
    assert_rejected(resp, protocol, "InvalidSignatureException", "sagemaker")


# ---- a service configured with two key pairs -------------------------------------------------


@pytest.fixture
def two_key_service(redis_server, session_data_dir):
    redis_server.flush()
    svc = Service(make_settings(redis_server.url, session_data_dir,
                                access_keys={ACCESS_KEY: SECRET_KEY, SECOND_KEY: SECOND_SECRET}))
    yield svc
    svc.stop()


def _clients(svc, akid, secret):
    kw = dict(endpoint_url=svc.url, region_name=REGION, aws_access_key_id=akid, aws_secret_access_key=secret,
              config=Config(retries={"max_attempts": 1}))
    return boto3.client("sagemaker", **kw), boto3.client("sagemaker-a2i-runtime", **kw)


def test_every_configured_key_pair_works(two_key_service):
    sm1, a2i1 = _clients(two_key_service, ACCESS_KEY, SECRET_KEY)
    sm2, a2i2 = _clients(two_key_service, SECOND_KEY, SECOND_SECRET)
    _, flow_arn = R.create_flow(sm1)
    # the second key sees and changes the same resources as the first
    a2i2.start_human_loop(HumanLoopName="by-second-key", FlowDefinitionArn=flow_arn,
                          HumanLoopInput={"InputContent": "{}"})
    assert a2i1.describe_human_loop(HumanLoopName="by-second-key")["HumanLoopStatus"] == "InProgress"
    assert [f["FlowDefinitionArn"] for f in sm2.list_flow_definitions()["FlowDefinitionSummaries"]] == [flow_arn]
    for protocol in PROTOCOLS:
        assert_accepted(send(sign(build(two_key_service, protocol, flow_arn), akid=SECOND_KEY,
                                  secret=SECOND_SECRET)), protocol)
        # each key id must be used with its own secret
        resp = send(sign(build(two_key_service, protocol, flow_arn), akid=SECOND_KEY, secret=SECRET_KEY))
        assert_rejected(resp, protocol, "InvalidSignatureException")


def test_second_key_is_unknown_to_a_service_not_configured_with_it(service, flow_arn):
    sm2, a2i2 = _clients(service, SECOND_KEY, SECOND_SECRET)
    with pytest.raises(ClientError) as err:
        sm2.list_workteams()
    assert err.value.response["Error"]["Code"] == "UnrecognizedClientException"
    with pytest.raises(ClientError) as err:
        a2i2.list_human_loops(FlowDefinitionArn=flow_arn)
    assert err.value.response["Error"]["Code"] == "UnrecognizedClientException"
