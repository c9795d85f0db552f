"""SigV4 API requests never open a cookie session; the review pages still get theirs."""

from __future__ import annotations

import requests


def test_review_login_page_still_starts_a_session(service):
    resp = requests.get(f"{service.url}/review/login", timeout=10)
    assert resp.status_code == 200
    assert "hitl_session" in resp.cookies


def test_page_requested_with_a_sigv4_header_is_served_without_a_session(service):
    # The page writes a CSRF token into the session; with a signed request that session is discarded,
    # and the page must still be served (not a 5xx).
    resp = requests.get(f"{service.url}/review/login", timeout=10, headers={
        "Authorization": "AWS4-HMAC-SHA256 Credential=AKIDX/20200101/us-east-1/sagemaker/aws4_request, "
                         "SignedHeaders=host;x-amz-date, Signature=" + "0" * 64})
    assert resp.status_code == 200
    assert "hitl_session" not in resp.cookies
