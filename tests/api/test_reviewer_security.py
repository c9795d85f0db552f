"""Reviewer-side security over real HTTP: sign-in throttling, login CSRF, Secure cookies, /metrics token."""

from __future__ import annotations

import http.client
import json
import logging
import re
from base64 import b64encode

import pytest
import requests

from hitl_service.services.reviewers import add_reviewer
from tests.conftest import Service, make_settings

PASSWORD = "right-password-123"


@pytest.fixture
def svc(redis_server, session_data_dir):
    redis_server.flush()
    service = Service(make_settings(redis_server.url, session_data_dir, login_max_failures_per_account=3,
                                    login_max_failures_per_address=6, login_lockout_seconds=30,
                                    metrics_token="scrape-token-0123"))
    for name in ("alice", "bob", "carol"):
        add_reviewer(service.ctx, name, PASSWORD, ["reviewers"])
    yield service
    service.stop()


def json_login(svc, name, password, source: str = "127.0.0.1", headers: dict | None = None):
    """POST /review/api/login from a chosen loopback source address; returns (status, headers, body)."""
    conn = http.client.HTTPConnection("127.0.0.1", svc.http.port, timeout=10, source_address=(source, 0))
    try:
        conn.request("POST", "/review/api/login", body=json.dumps({"username": name, "password": password}),
                     headers={"Content-Type": "application/json", **(headers or {})})
        resp = conn.getresponse()
        return resp.status, dict(resp.getheaders()), json.loads(resp.read() or b"{}")
    finally:
        conn.close()


def form_login(svc, session: requests.Session, name, password, **headers) -> requests.Response:
    page = session.get(svc.url + "/review/login", timeout=10)
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    return session.post(svc.url + "/review/login", data={"csrf_token": csrf, "username": name, "password": password},
                        headers=headers, allow_redirects=False, timeout=10)


# ---- item 8: throttling ------------------------------------------------------------------------------


def test_wrong_passwords_for_one_account_lock_it_with_429_and_retry_after(svc, caplog):
    caplog.set_level(logging.INFO, logger="hitl_service.review.auth")
    for _ in range(3):
        assert json_login(svc, "alice", "wrong")[0] == 401
    status, headers, body = json_login(svc, "alice", PASSWORD)  # even the right password waits now
    assert status == 429 and body["__type"] == "TooManyRequestsException"
    assert 1 <= int(headers["Retry-After"]) <= 30
    # the lock is on alice only: bob signs in from the same address
    assert json_login(svc, "bob", PASSWORD)[0] == 200
    # the form says the same thing, with Retry-After
    resp = form_login(svc, requests.Session(), "ALICE", PASSWORD)
    assert resp.status_code == 429 and 1 <= int(resp.headers["Retry-After"]) <= 30
    assert "Too many failed sign-ins" in resp.text
    messages = [r.getMessage() for r in caplog.records]
    assert sum("login failed name=alice" in m for m in messages) == 3
    assert any("login refused (throttled) name=alice" in m for m in messages)
    assert any("login ok name=bob" in m for m in messages)


def test_a_success_clears_the_accounts_failures(svc):
    for _ in range(2):
        assert json_login(svc, "carol", "wrong")[0] == 401
    assert json_login(svc, "carol", PASSWORD)[0] == 200
    for _ in range(2):
        assert json_login(svc, "carol", "wrong")[0] == 401
    assert json_login(svc, "carol", PASSWORD)[0] == 200


def test_failures_from_one_address_lock_that_address_not_others(svc):
    for i in range(6):  # spread over names, so no single account reaches its limit
        assert json_login(svc, f"guess-{i % 3}", "wrong", source="127.0.0.2")[0] == 401
    status, headers, _ = json_login(svc, "bob", PASSWORD, source="127.0.0.2")
    assert status == 429 and int(headers["Retry-After"]) >= 1
    assert json_login(svc, "bob", PASSWORD, source="127.0.0.3")[0] == 200


def test_http_basic_is_throttled_too(svc):
    def basic(password):
        token = b64encode(f"alice:{password}".encode()).decode()
        return requests.get(svc.url + "/review/api/me", headers={"Authorization": f"Basic {token}"}, timeout=10)

    assert basic(PASSWORD).status_code == 200
    for _ in range(3):
        assert basic("wrong").status_code == 401
    locked = basic(PASSWORD)
    assert locked.status_code == 429 and int(locked.headers["Retry-After"]) >= 1
    assert locked.json()["__type"] == "TooManyRequestsException"


# ---- item 9: login CSRF -------------------------------------------------------------------------------


def test_login_accepts_only_json_or_form_content(svc):
    for ctype in ("text/plain", "application/x-www-form-urlencoded"):
        resp = requests.post(svc.url + "/review/api/login", timeout=10, headers={"Content-Type": ctype},
                             data=json.dumps({"username": "alice", "password": PASSWORD}))
        assert resp.status_code == 415, ctype
        assert "hitl_session" not in resp.cookies
    resp = requests.post(svc.url + "/review/login", data='{"username": "alice"}', timeout=10,
                         headers={"Content-Type": "text/plain"})
    assert resp.status_code == 415


def test_login_from_another_origin_is_refused(svc):
    status, _, body = json_login(svc, "alice", PASSWORD, headers={"Origin": "https://evil.example"})
    assert status == 403 and body["__type"] == "Forbidden"
    assert json_login(svc, "alice", PASSWORD, headers={"Origin": "null"})[0] == 403
    assert json_login(svc, "alice", PASSWORD, headers={"Origin": svc.url})[0] == 200
    resp = form_login(svc, requests.Session(), "alice", PASSWORD, Origin="https://evil.example")
    assert resp.status_code == 403 and "location" not in resp.headers
    ok = form_login(svc, requests.Session(), "alice", PASSWORD, Origin=svc.url)
    assert ok.status_code == 302 and ok.headers["Location"].endswith("/review/queue")


# ---- item 10: Secure cookies on an https public URL ------------------------------------------------------


@pytest.mark.parametrize("public_url, secure", [("https://review.example.com", True),
                                                ("http://127.0.0.1:8080", False)])
def test_session_cookie_is_secure_exactly_when_the_public_url_is_https(redis_server, session_data_dir, public_url,
                                                                       secure):
    redis_server.flush()
    service = Service(make_settings(redis_server.url, session_data_dir, public_url=public_url))
    try:
        add_reviewer(service.ctx, "dave", PASSWORD, ["reviewers"])
        resp = requests.post(service.url + "/review/api/login", json={"username": "dave", "password": PASSWORD},
                             timeout=10)
        assert resp.status_code == 200
        cookie = resp.headers["Set-Cookie"]
        assert cookie.startswith("hitl_session=") and "HttpOnly" in cookie
        assert ("Secure" in cookie) is secure
    finally:
        service.stop()


# ---- item 11: /metrics bearer token -------------------------------------------------------------------


def test_metrics_requires_the_bearer_token_when_one_is_set(svc):
    anonymous = requests.get(svc.url + "/metrics", timeout=10)
    assert anonymous.status_code == 401 and anonymous.headers["WWW-Authenticate"].startswith("Bearer")
    assert "hitl_loops" not in anonymous.text
    wrong = requests.get(svc.url + "/metrics", headers={"Authorization": "Bearer nope"}, timeout=10)
    assert wrong.status_code == 401
    ok = requests.get(svc.url + "/metrics", headers={"Authorization": "Bearer scrape-token-0123"}, timeout=10)
    assert ok.status_code == 200 and "hitl_loops" in ok.text
