"""Whatever a client sends to the Workforce operations, the answer is never a 5xx."""

from __future__ import annotations

import json

import requests
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import ACCESS_KEY, SECRET_KEY

scalars = st.one_of(st.none(), st.booleans(), st.integers(-5, 2**40), st.floats(allow_nan=False),
                    st.text(max_size=40), st.sampled_from(["https://x.example", "10.0.0.0/8", "openid", "a" * 600]))
values = st.recursive(scalars, lambda inner: st.one_of(st.lists(inner, max_size=12),
                                                       st.dictionaries(st.text(max_size=12), inner, max_size=12)),
                      max_leaves=30)
OIDC_KEYS = ["ClientId", "ClientSecret", "Issuer", "AuthorizationEndpoint", "TokenEndpoint", "UserInfoEndpoint",
             "LogoutEndpoint", "JwksUri", "Scope", "AuthenticationRequestExtraParams"]
oidc = st.dictionaries(st.sampled_from(OIDC_KEYS), values, max_size=10)
bodies = st.fixed_dictionaries({}, optional={
    "WorkforceName": st.one_of(st.sampled_from(["wf", "acme-1"]), values),
    "OidcConfig": st.one_of(oidc, values),
    "SourceIpConfig": st.one_of(st.fixed_dictionaries({"Cidrs": st.lists(st.one_of(scalars, st.sampled_from(
        ["10.0.0.0/8", "::1/128", "300.1.1.1/8", "1.2.3.4/33"])), max_size=12)}), values),
    "IpAddressType": values, "WorkforceVpcConfig": values, "Tags": values, "CognitoConfig": values,
    "SortBy": values, "SortOrder": values, "NameContains": values, "NextToken": values, "MaxResults": values,
})


def call(url, target, body) -> requests.Response:
    data = json.dumps(body)
    req = AWSRequest("POST", url + "/", data=data, headers={
        "X-Amz-Target": f"SageMaker.{target}", "Content-Type": "application/x-amz-json-1.1"})
    SigV4Auth(Credentials(ACCESS_KEY, SECRET_KEY), "sagemaker", "us-east-1").add_auth(req)
    return requests.post(req.url, data=data, headers=dict(req.headers), timeout=10)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(target=st.sampled_from(["CreateWorkforce", "UpdateWorkforce", "ListWorkforces", "DescribeWorkforce",
                               "DeleteWorkforce"]), body=bodies)
def test_no_input_causes_a_server_error(service, target, body):
    resp = call(service.url, target, body)
    assert resp.status_code < 500, (target, body, resp.text)
    if resp.status_code == 400:
        assert resp.json()["__type"] in ("ValidationException", "ResourceNotFound", "ResourceInUse",
                                         "ResourceLimitExceeded", "SerializationException")
