"""The hand-built SigV4 canonical request agrees with botocore's signer on arbitrary requests."""

from __future__ import annotations

import datetime as dt
from unittest import mock
from urllib.parse import quote

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore.utils import percent_encode_sequence
from hypothesis import given, settings
from hypothesis import strategies as st

from hitl_service.api.sigv4 import SignedRequest, verify_sigv4
from hitl_service.errors import InvalidSignatureError

AT = dt.datetime(2021, 6, 1, 8, 30, 0, tzinfo=dt.timezone.utc)
SECRETS = {"AKIDPROP": "prop-secret/+="}

segment = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), min_size=0, max_size=8)
header_value = st.text(st.sampled_from("ab Z09-_/:;=,\t  "), min_size=1, max_size=20).filter(lambda v: v.strip())
query_pairs = st.lists(st.tuples(st.text(min_size=1, max_size=6).filter(lambda t: t.strip()), segment), max_size=4)


def _signed(method, path, params, extra_headers, body, region):
    # boto3 puts the query on the URL with botocore's percent_encode_sequence, then signs that URL
    url = "http://127.0.0.1:9000" + path + ("?" + percent_encode_sequence(params) if params else "")
    request = AWSRequest(method=method, url=url, headers=dict(extra_headers), data=body)
    with mock.patch("botocore.auth.get_current_datetime", return_value=AT.replace(tzinfo=None)):
        SigV4Auth(Credentials("AKIDPROP", SECRETS["AKIDPROP"]), "sagemaker", region).add_auth(request)
    headers = {k: v.decode() if isinstance(v, bytes) else v for k, v in request.headers.items()}
    headers["Host"] = "127.0.0.1:9000"
    return SignedRequest(method, url, headers, body)


@settings(max_examples=150, deadline=None)
@given(method=st.sampled_from(["GET", "POST", "DELETE", "PUT"]),
       segments=st.lists(segment, min_size=0, max_size=4), params=query_pairs,
       headers=st.dictionaries(st.sampled_from(["X-Amz-Target", "Content-Type", "X-Custom-One", "X-Custom-Two"]),
                               header_value, max_size=3),
       body=st.binary(max_size=64), region=st.sampled_from(["us-east-1", "eu-west-3", "ap-south-1"]))
def test_any_request_signed_by_botocore_verifies_and_a_changed_byte_does_not(method, segments, params, headers,
                                                                            body, region):
    path = "/" + "/".join(quote(s, safe="") for s in segments)
    req = _signed(method, path, params, headers, body, region)
    assert verify_sigv4(req, SECRETS, now=AT, service="sagemaker") == "AKIDPROP"
    tampered = SignedRequest(req.method, req.url, req.headers, body + b"!")
    try:
        verify_sigv4(tampered, SECRETS, now=AT, service="sagemaker")
    except InvalidSignatureError:
        pass
    else:
        raise AssertionError("a changed body still verified")
