"""Fixtures: the app on a known port (its public URL is the OIDC redirect target) and a real OpenID provider."""

from __future__ import annotations

import logging
import re

import boto3
import pytest
import requests
from botocore.config import Config

from hitl_service import create_app
from tests.conftest import ACCESS_KEY, REGION, SECRET_KEY, make_settings
from tests.support.procs import ThreadedHTTPApp, free_port
from tests.workforce.idp import TestCA, TestIdP


class PublicService:
    """The app over real HTTP with public_url set to its own address (as a deployment would)."""

    def __init__(self, redis_url: str, data_dir: str, **overrides):
        logging.getLogger("werkzeug").setLevel(logging.WARNING)
        port = free_port()
        self.url = f"http://127.0.0.1:{port}"
        self.settings = make_settings(redis_url, data_dir, public_url=self.url, **overrides)
        self.app = create_app(self.settings)
        self.ctx = self.app.extensions["hitl"]
        self.http = ThreadedHTTPApp(self.app, port=port).start()

    def client(self, service: str):
        return boto3.client(service, endpoint_url=self.url, region_name=REGION, aws_access_key_id=ACCESS_KEY,
                            aws_secret_access_key=SECRET_KEY, config=Config(retries={"max_attempts": 2}))

    def stop(self):
        self.http.stop()


@pytest.fixture(scope="session")
def test_ca():
    return TestCA()


@pytest.fixture(scope="session")
def idp(test_ca):
    server = TestIdP(test_ca).start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def wf_base(redis_server, session_data_dir, test_ca):
    svc = PublicService(redis_server.url, session_data_dir, oidc_ca_bundle=test_ca.ca_file,
                        admin_groups=["hitl-admins"], lead_groups=["hitl-leads"])
    yield svc
    svc.stop()


@pytest.fixture
def wf_service(wf_base, redis_server, idp):
    redis_server.flush()
    idp.users.clear()
    idp.id_token_overrides.clear()
    idp.signing_key = idp.key
    idp.register_client(f"{wf_base.url}/review/oidc/callback")
    return wf_base


@pytest.fixture
def wf_sm(wf_service):
    return wf_service.client("sagemaker")


@pytest.fixture
def oidc_workforce(wf_sm, idp):
    """A workforce created with boto3's create_workforce, pointing at the test IdP."""
    wf_sm.create_workforce(WorkforceName="acme", OidcConfig=idp.oidc_config())
    return "acme"


def sign_in(service, idp, login: str) -> requests.Session:
    """Sign in through the IdP with plain HTTP redirects (the browser test does the same in Chromium)."""
    s = requests.Session()
    s.trust_env = False  # REQUESTS_CA_BUNDLE in the environment would override the test CA
    s.verify = idp.ca.ca_file
    page = s.get(f"{service.url}/review/oidc/login", timeout=10)
    assert page.url.startswith(idp.issuer + "/authorize"), page.url
    done = s.post(page.url, data={"username": login}, timeout=10)
    return s, done


def csrf_of(session: requests.Session, service) -> str:
    html = session.get(f"{service.url}/review/queue", timeout=10).text
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)
