"""SourceIpConfig: people's pages refuse callers outside the CIDRs; the client address behind a proxy."""

from __future__ import annotations

import pytest
import requests

from hitl_service.workforce.netaccess import allowed, client_address
from tests.workforce.conftest import PublicService


def get(url, **headers):
    return requests.get(url, headers=headers, timeout=10, allow_redirects=False)


def test_pages_refused_outside_the_cidrs_and_api_unaffected(wf_service, wf_sm, idp):
    wf_sm.create_workforce(WorkforceName="acme", OidcConfig=idp.oidc_config(),
                           SourceIpConfig={"Cidrs": ["10.0.0.0/8"]})
    for path in ("/review/login", "/review/queue", "/review/api/me", "/review/oidc/login", "/console/"):
        resp = get(wf_service.url + path)
        assert resp.status_code == 403, path
        assert "127.0.0.1" in resp.text and "SourceIpConfig" in resp.text
    # without a trusted proxy configured, X-Forwarded-For is the caller's own claim and is ignored
    assert get(wf_service.url + "/review/login", **{"X-Forwarded-For": "10.1.2.3"}).status_code == 403
    # the SigV4 API is not a reviewer page: it keeps working
    assert wf_sm.describe_workforce(WorkforceName="acme")["Workforce"]["SourceIpConfig"]["Cidrs"] == ["10.0.0.0/8"]

    wf_sm.update_workforce(WorkforceName="acme", SourceIpConfig={"Cidrs": ["10.0.0.0/8", "127.0.0.0/8"]})
    assert get(wf_service.url + "/review/login").status_code == 200
    wf_sm.update_workforce(WorkforceName="acme", SourceIpConfig={"Cidrs": []})
    assert get(wf_service.url + "/review/login").status_code == 200


@pytest.fixture(scope="module")
def proxied(redis_server, session_data_dir, test_ca):
    svc = PublicService(redis_server.url, session_data_dir, trusted_proxies=["127.0.0.1/32"],
                        oidc_ca_bundle=test_ca.ca_file)
    yield svc
    svc.stop()


def test_behind_a_trusted_proxy_the_forwarded_address_decides(wf_service, proxied, idp):
    proxied.client("sagemaker").create_workforce(WorkforceName="acme", OidcConfig=idp.oidc_config(),
                                                 SourceIpConfig={"Cidrs": ["10.0.0.0/8"]})
    url = proxied.url + "/review/login"
    assert get(url, **{"X-Forwarded-For": "10.1.2.3"}).status_code == 200
    assert get(url).status_code == 403  # the proxy's own address is not in the CIDRs
    # a forged left-most entry does not help: the right-most untrusted hop is the caller
    assert get(url, **{"X-Forwarded-For": "10.1.2.3, 203.0.113.9"}).status_code == 403
    assert get(url, **{"X-Forwarded-For": "203.0.113.9, 10.9.9.9"}).status_code == 200
    assert get(url, **{"X-Forwarded-For": "garbage"}).status_code == 403


@pytest.mark.parametrize("peer, xff, trusted, expected", [
    ("198.51.100.7", None, [], "198.51.100.7"),
    ("198.51.100.7", "10.0.0.1", [], "198.51.100.7"),
    ("10.0.0.5", "203.0.113.1", ["10.0.0.0/24"], "203.0.113.1"),
    ("10.0.0.5", "203.0.113.1, 10.0.0.9", ["10.0.0.0/24"], "203.0.113.1"),
    ("10.0.0.5", "10.0.0.8, 10.0.0.9", ["10.0.0.0/24"], "10.0.0.8"),
    ("::1", "2001:db8::1", ["::1/128"], "2001:db8::1"),
])
def test_client_address(peer, xff, trusted, expected):
    assert client_address(peer, xff, trusted) == expected


def test_allowed_matches_both_families_and_mapped_addresses():
    assert allowed("10.2.3.4", ["10.0.0.0/8"])
    assert not allowed("11.2.3.4", ["10.0.0.0/8"])
    assert allowed("::ffff:10.2.3.4", ["10.0.0.0/8"])
    assert allowed("2001:db8::5", ["2001:db8::/32", "10.0.0.0/8"])
    assert not allowed("not-an-ip", ["10.0.0.0/8"])
    assert allowed("anything", [])


def test_a_bad_trusted_proxy_setting_stops_start_up(redis_server, session_data_dir):
    from hitl_service import create_app
    from tests.conftest import make_settings

    with pytest.raises(ValueError, match="HITL_TRUSTED_PROXIES"):
        create_app(make_settings(redis_server.url, session_data_dir, trusted_proxies=["10.0.0.0/99"]))
