"""SigV4 verification against requests signed by real botocore / boto3."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from unittest import mock
from urllib.parse import urlsplit

import boto3
import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest, AWSResponse
from botocore.credentials import Credentials

from hitl_service.api.sigv4 import SignedRequest, verify_sigv4
from hitl_service.errors import (
    AuthError,
    IncompleteSignatureError,
    InvalidSignatureError,
    MissingAuthenticationTokenError,
    UnrecognizedClientError,
)

AKID = "AKIDEXAMPLE"
SECRET = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
SECRETS = {AKID: SECRET, "AKIDOTHER": "other-secret"}
SIGNED_AT = dt.datetime(2020, 1, 1, 12, 0, 0, tzinfo=dt.timezone.utc)
ENDPOINT = "http://127.0.0.1:8080"
FD_ARN = "arn:aws:sagemaker:us-east-1:123456789012:flow-definition/fd"
QUERY = (
    "FlowDefinitionArn=arn%3Aaws%3Asagemaker%3Aus-east-1%3A123456789012%3Aflow-definition%2Ffd"
    "&NextToken=tok%2F%2B%3D"
)
MISMATCH = "does not match the signature you provided"


def sign(method, url, *, headers=None, body=b"", akid=AKID, secret=SECRET, at=SIGNED_AT,
         region="us-east-1", service="sagemaker"):
    """Sign like botocore does at time `at`, and return the request as the server receives it."""
    request = AWSRequest(method=method, url=url, headers=headers or {}, data=body)
    with mock.patch("botocore.auth.get_current_datetime", return_value=at.replace(tzinfo=None)):
        SigV4Auth(Credentials(akid, secret), service, region).add_auth(request)
    return on_the_wire(method, url, request.headers, body)


def on_the_wire(method, url, headers, body):
    """Headers/body as an HTTP server sees them: str values plus the Host header the HTTP client adds."""
    received = {k: v.decode() if isinstance(v, bytes) else v for k, v in headers.items()}
    received["Host"] = urlsplit(url).netloc
    return SignedRequest(method=method, url=url, headers=received, body=body or b"")


def replace(req, *, url=None, body=None, headers=None, drop=()):
    """A copy of req with some parts changed, the way a tamperer would."""
    new_headers = {k: v for k, v in req.headers.items() if k.lower() not in {d.lower() for d in drop}}
    for name, value in (headers or {}).items():
        for existing in [k for k in new_headers if k.lower() == name.lower()]:
            del new_headers[existing]
        new_headers[name] = value
    return SignedRequest(req.method, url or req.url, new_headers, req.body if body is None else body)


def verify(req, **kwargs):
    kwargs.setdefault("now", SIGNED_AT)
    return verify_sigv4(req, SECRETS, **kwargs)


@pytest.fixture
def json_post():
    body = json.dumps({"FlowDefinitionName": "fd"}).encode()
    return sign("POST", ENDPOINT + "/", body=body, headers={
        "X-Amz-Target": "SageMaker.DescribeFlowDefinition",
        "Content-Type": "application/x-amz-json-1.1",
    })


@pytest.fixture
def query_get():
    return sign("GET", f"{ENDPOINT}/human-loops?{QUERY}")


@pytest.fixture
def empty_delete():
    return sign("DELETE", ENDPOINT + "/human-loops/loop-1")


# --- accepted -------------------------------------------------------------------------------------


def test_json_post_is_accepted(json_post):
    assert verify(json_post) == AKID


def test_get_with_percent_encoded_query_is_accepted(query_get):
    assert verify(query_get) == AKID


def test_delete_with_empty_body_is_accepted(empty_delete):
    assert verify(empty_delete) == AKID


def test_matching_service_is_accepted(json_post):
    assert verify(json_post, service="sagemaker") == AKID


def test_header_lookup_ignores_case(json_post):
    lowered = SignedRequest(json_post.method, json_post.url,
                            {k.lower(): v for k, v in json_post.headers.items()}, json_post.body)
    assert verify(lowered) == AKID


def test_unsigned_headers_may_change(json_post):
    changed = replace(json_post, headers={"User-Agent": "something-else", "X-Forwarded-For": "1.2.3.4"})
    assert verify(changed) == AKID


def test_query_parameter_order_does_not_matter(query_get):
    first, second = QUERY.split("&")
    assert verify(replace(query_get, url=f"{ENDPOINT}/human-loops?{second}&{first}")) == AKID


def test_equivalent_query_escaping_is_accepted(query_get):
    # Servers canonicalise decoded parameters, so a client that leaves ':' bare on the wire but
    # signed the escaped form (as every SigV4 signer does) still verifies.
    bare = QUERY.replace("%3A", ":")
    assert verify(replace(query_get, url=f"{ENDPOINT}/human-loops?{bare}")) == AKID


def test_query_with_non_utf8_escapes_is_verified_raw():
    req = sign("GET", ENDPOINT + "/human-loops?NextToken=%FF%FE")
    assert verify(req) == AKID
    with pytest.raises(InvalidSignatureError, match=MISMATCH):
        verify(replace(req, url=ENDPOINT + "/human-loops?NextToken=%FF%FD"))


def test_any_non_empty_region_is_accepted():
    req = sign("GET", ENDPOINT + "/human-loops/x", region="eu-central-1")
    assert verify(req, service="sagemaker") == AKID


def test_header_signed_by_other_sdks_but_blacklisted_by_botocore_is_verified():
    # botocore never signs user-agent itself, but a client that does must still verify.
    url = ENDPOINT + "/human-loops/x"
    request = AWSRequest(method="GET", url=url, headers={"User-Agent": "custom-sdk/1.0"})

    class SignsEverything(SigV4Auth):
        def headers_to_sign(self, request):
            headers = super().headers_to_sign(request)
            headers["user-agent"] = request.headers["User-Agent"]
            return headers

    with mock.patch("botocore.auth.get_current_datetime", return_value=SIGNED_AT.replace(tzinfo=None)):
        SignsEverything(Credentials(AKID, SECRET), "sagemaker", "us-east-1").add_auth(request)
    req = on_the_wire("GET", url, request.headers, b"")
    assert "user-agent" in req.headers["Authorization"]
    assert verify(req) == AKID
    with pytest.raises(InvalidSignatureError, match=MISMATCH):
        verify(replace(req, headers={"User-Agent": "custom-sdk/2.0"}))


def test_signed_content_sha256_matching_the_body_is_accepted():
    body = b'{"HumanLoopName": "x"}'
    req = sign("POST", ENDPOINT + "/human-loops", body=body,
               headers={"X-Amz-Content-SHA256": hashlib.sha256(body).hexdigest()})
    assert verify(req) == AKID


# --- tampering ------------------------------------------------------------------------------------


def test_tampered_body_is_rejected(json_post):
    with pytest.raises(InvalidSignatureError, match=MISMATCH):
        verify(replace(json_post, body=b'{"FlowDefinitionName": "other"}'))


def test_tampered_empty_body_is_rejected(empty_delete):
    with pytest.raises(InvalidSignatureError, match=MISMATCH):
        verify(replace(empty_delete, body=b"x"))


def test_tampered_path_is_rejected(empty_delete):
    with pytest.raises(InvalidSignatureError, match=MISMATCH):
        verify(replace(empty_delete, url=ENDPOINT + "/human-loops/loop-2"))


def test_tampered_method_is_rejected(empty_delete):
    with pytest.raises(InvalidSignatureError, match=MISMATCH):
        verify(SignedRequest("GET", empty_delete.url, empty_delete.headers, empty_delete.body))


@pytest.mark.parametrize("query", [
    QUERY.replace("fd&", "fe&"),
    QUERY + "&MaxResults=5",
    QUERY.replace("tok%2F%2B%3D", "tok%2F%20%3D"),
    "FlowDefinitionArn=arn%3Aaws%3Asagemaker%3Aus-east-1%3A123456789012%3Aflow-definition%2Ffd",
])
def test_tampered_query_is_rejected(query_get, query):
    with pytest.raises(InvalidSignatureError, match=MISMATCH):
        verify(replace(query_get, url=f"{ENDPOINT}/human-loops?{query}"))


def test_tampered_signed_header_is_rejected(json_post):
    with pytest.raises(InvalidSignatureError, match=MISMATCH):
        verify(replace(json_post, headers={"X-Amz-Target": "SageMaker.DeleteFlowDefinition"}))


def test_tampered_host_header_is_rejected(json_post):
    with pytest.raises(InvalidSignatureError, match=MISMATCH):
        verify(replace(json_post, headers={"Host": "127.0.0.1:8081"}))


def test_signed_header_missing_from_request_is_rejected(json_post):
    with pytest.raises(InvalidSignatureError, match="x-amz-target"):
        verify(replace(json_post, drop=["X-Amz-Target"]))


def test_wrong_secret_is_rejected():
    req = sign("GET", ENDPOINT + "/human-loops/x", secret="not-the-secret")
    with pytest.raises(InvalidSignatureError, match=MISMATCH):
        verify(req)


def test_signature_of_another_key_is_rejected(json_post):
    other = sign("POST", ENDPOINT + "/", akid="AKIDOTHER", secret="other-secret", body=json_post.body,
                 headers={"X-Amz-Target": "SageMaker.DescribeFlowDefinition",
                          "Content-Type": "application/x-amz-json-1.1"})
    assert verify(other) == "AKIDOTHER"
    stolen = other.headers["Authorization"].split("Signature=")[1]
    forged = json_post.headers["Authorization"].split("Signature=")[0] + "Signature=" + stolen
    with pytest.raises(InvalidSignatureError, match=MISMATCH):
        verify(replace(json_post, headers={"Authorization": forged}))


def test_non_hex_signature_is_rejected(json_post):
    auth = json_post.headers["Authorization"].split("Signature=")[0] + "Signature=" + "\u00e9" * 64
    with pytest.raises(InvalidSignatureError, match=MISMATCH):
        verify(replace(json_post, headers={"Authorization": auth}))


def test_signed_content_sha256_not_matching_the_body_is_rejected():
    body = b'{"HumanLoopName": "x"}'
    req = sign("POST", ENDPOINT + "/human-loops", body=body,
               headers={"X-Amz-Content-SHA256": hashlib.sha256(body).hexdigest()})
    with pytest.raises(InvalidSignatureError, match="x-amz-content-sha256"):
        verify(replace(req, body=b'{"HumanLoopName": "y"}'))


def test_unsigned_payload_is_rejected():
    req = sign("POST", ENDPOINT + "/human-loops", body=b"{}",
               headers={"X-Amz-Content-SHA256": "UNSIGNED-PAYLOAD"})
    with pytest.raises(InvalidSignatureError, match="payload must be signed"):
        verify(req)


# --- identity -------------------------------------------------------------------------------------


def test_unknown_access_key_is_rejected():
    req = sign("GET", ENDPOINT + "/human-loops/x", akid="AKIDUNKNOWN")
    with pytest.raises(UnrecognizedClientError, match="security token included in the request is invalid"):
        verify(req)


def test_wrong_service_in_scope_is_rejected():
    req = sign("GET", ENDPOINT + "/human-loops/x", service="s3")
    with pytest.raises(InvalidSignatureError, match="scoped to correct service: 'sagemaker'"):
        verify(req, service="sagemaker")


# --- missing / malformed --------------------------------------------------------------------------


def test_missing_authorization_is_rejected(json_post):
    with pytest.raises(MissingAuthenticationTokenError, match="^Missing Authentication Token$"):
        verify(replace(json_post, drop=["Authorization"]))


def test_presigned_query_is_rejected_as_unsupported():
    url = ENDPOINT + "/human-loops/x?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Signature=abc"
    req = SignedRequest("GET", url, {"Host": "127.0.0.1:8080"}, b"")
    with pytest.raises(MissingAuthenticationTokenError, match="query-string .*not supported"):
        verify(req)


def _with_auth(req, transform):
    return replace(req, headers={"Authorization": transform(req.headers["Authorization"])})


@pytest.mark.parametrize("transform, fragment", [
    (lambda a: a.replace("AWS4-HMAC-SHA256 ", "AWS4-HMAC-SHA1 "), "Unsupported Authorization algorithm"),
    (lambda a: "Bearer abc", "Unsupported Authorization algorithm"),
    (lambda a: a.replace("Credential=", "Cred="), "requires 'Credential' parameter"),
    (lambda a: a.replace("SignedHeaders=", "Signed="), "requires 'SignedHeaders' parameter"),
    (lambda a: a.split(", Signature=")[0], "requires 'Signature' parameter"),
    (lambda a: a.split("Signature=")[0] + "Signature=", "requires 'Signature' parameter"),
    (lambda a: a.replace("/aws4_request", ""), "Credential .* is malformed"),
    (lambda a: a.replace("/aws4_request", "/aws5_request"), "Credential .* is malformed"),
    (lambda a: a.replace("/20200101/", "/2020-01-01/"), "Credential .* is malformed"),
    (lambda a: a.replace("/us-east-1/", "//"), "Credential .* is malformed"),
    (lambda a: a.replace("/sagemaker/", "/extra/sagemaker/"), "Credential .* is malformed"),
    (lambda a: a.replace("host;", ""), "SignedHeaders must include 'host'"),
    (lambda a: a.replace(";x-amz-date", ""), "SignedHeaders must include 'x-amz-date'"),
    (lambda a: a.replace("host;", "Host;"), "invalid header name 'Host'"),
    (lambda a: a.replace("host;", ";host;"), "invalid header name ''"),
    (lambda a: a + ", Signature=abc", "repeats the 'Signature' parameter"),
    (lambda a: a + ", junk", "'junk' is not of the form key=value"),
])
def test_malformed_authorization_is_rejected(json_post, transform, fragment):
    with pytest.raises(IncompleteSignatureError, match=fragment):
        verify(_with_auth(json_post, transform))


def test_missing_x_amz_date_is_rejected(json_post):
    with pytest.raises(IncompleteSignatureError, match="X-Amz-Date"):
        verify(replace(json_post, drop=["X-Amz-Date"]))


@pytest.mark.parametrize("value", ["2020-01-01T12:00:00Z", "20200101T120000", "20201301T120000Z", ""])
def test_unparsable_x_amz_date_is_rejected(json_post, value):
    with pytest.raises(IncompleteSignatureError, match="X-Amz-Date"):
        verify(replace(json_post, headers={"X-Amz-Date": value}))


# --- time -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("offset", [-300, -299, 0, 299, 300])
def test_clock_skew_within_five_minutes_is_accepted(json_post, offset):
    assert verify(json_post, now=SIGNED_AT + dt.timedelta(seconds=offset)) == AKID


def test_signature_older_than_five_minutes_is_expired(json_post):
    expected = (r"Signature expired: 20200101T120000Z is now earlier than 20200101T120001Z "
                r"\(20200101T120501Z - 5 min.\)")
    with pytest.raises(InvalidSignatureError, match=expected):
        verify(json_post, now=SIGNED_AT + dt.timedelta(seconds=301))


def test_signature_from_more_than_five_minutes_ahead_is_rejected(json_post):
    expected = "Signature not yet current: 20200101T120000Z is still later than 20200101T115959Z"
    with pytest.raises(InvalidSignatureError, match=expected):
        verify(json_post, now=SIGNED_AT - dt.timedelta(seconds=301))


def test_naive_now_is_treated_as_utc(json_post):
    assert verify(json_post, now=SIGNED_AT.replace(tzinfo=None)) == AKID
    with pytest.raises(InvalidSignatureError, match="expired"):
        verify(json_post, now=SIGNED_AT.replace(tzinfo=None) + dt.timedelta(hours=1))


def test_credential_scope_date_must_match_x_amz_date():
    late = dt.datetime(2020, 1, 1, 23, 59, 0, tzinfo=dt.timezone.utc)
    req = sign("GET", ENDPOINT + "/human-loops/x", at=late)
    forged = _with_auth(req, lambda a: a.replace("/20200101/", "/20200102/"))
    with pytest.raises(InvalidSignatureError, match="Credential scope does not match"):
        verify(forged, now=late)


# --- exactly what boto3 sends ---------------------------------------------------------------------


class _CannedBody:
    def stream(self, **_):
        yield b"{}"


@pytest.fixture
def boto3_capture(monkeypatch):
    """Make boto3 clients whose requests are captured as the server would receive them, never sent."""
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent/hitl-config")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/hitl-credentials")
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    captured: list[SignedRequest] = []

    def before_send(request, **_):
        captured.append(on_the_wire(request.method, request.url, request.headers, request.body))
        return AWSResponse(request.url, 200, {}, _CannedBody())

    def make(service_name, secret=SECRET):
        client = boto3.client(service_name, endpoint_url="http://127.0.0.1:9", region_name="us-west-2",
                              aws_access_key_id=AKID, aws_secret_access_key=secret)
        client.meta.events.register("before-send", before_send)
        return client

    return make, captured


def test_boto3_sagemaker_control_plane_request_verifies(boto3_capture):
    make, captured = boto3_capture
    make("sagemaker").describe_flow_definition(FlowDefinitionName="fd")
    (req,) = captured
    assert req.headers["X-Amz-Target"] == "SageMaker.DescribeFlowDefinition"
    assert verify_sigv4(req, SECRETS, service="sagemaker") == AKID


def test_boto3_a2i_runtime_requests_verify(boto3_capture):
    make, captured = boto3_capture
    client = make("sagemaker-a2i-runtime")
    client.list_human_loops(
        FlowDefinitionArn=FD_ARN,
        CreationTimeAfter=dt.datetime(2020, 1, 1, 0, 0, tzinfo=dt.timezone.utc),
        CreationTimeBefore=dt.datetime(2030, 1, 1, 0, 0, tzinfo=dt.timezone.utc),
        SortOrder="Ascending",
        MaxResults=5,
        NextToken="tok/+= with space",
    )
    client.start_human_loop(HumanLoopName="loop-1", FlowDefinitionArn=FD_ARN,
                            HumanLoopInput={"InputContent": json.dumps({"text": "héllo"})})
    client.describe_human_loop(HumanLoopName="loop-1")
    client.delete_human_loop(HumanLoopName="loop-1")

    listing, start, describe, delete = captured
    assert "CreationTimeAfter=2020-01-01T00%3A00%3A00Z" in listing.url
    assert "NextToken=tok%2F%2B%3D%20with%20space" in listing.url
    assert (start.method, delete.method, delete.body) == ("POST", "DELETE", b"")
    for req in captured:
        assert verify_sigv4(req, SECRETS, service="sagemaker") == AKID

    tampered = replace(listing, url=listing.url.replace("MaxResults=5", "MaxResults=100"))
    with pytest.raises(InvalidSignatureError, match=MISMATCH):
        verify_sigv4(tampered, SECRETS, service="sagemaker")


def test_boto3_request_with_wrong_secret_is_rejected(boto3_capture):
    make, captured = boto3_capture
    make("sagemaker-a2i-runtime", secret="wrong").describe_human_loop(HumanLoopName="loop-1")
    with pytest.raises(InvalidSignatureError, match=MISMATCH):
        verify_sigv4(captured[0], SECRETS, service="sagemaker")


def test_every_rejection_is_an_auth_error(json_post):
    for bad in (replace(json_post, drop=["Authorization"]), replace(json_post, body=b"x")):
        with pytest.raises(AuthError) as info:
            verify(bad)
        assert info.value.status == 403
