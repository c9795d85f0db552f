"""The Workforce API through boto3 over real HTTP, against a real redis-server."""

from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError

from tests.support.resources import create_team

SECRET = "s3cr3t-client-secret-value"


def oidc_config(base="https://idp.example.com", **extra):
    cfg = {"ClientId": "hitl-client", "ClientSecret": SECRET, "Issuer": base,
           "AuthorizationEndpoint": f"{base}/authorize", "TokenEndpoint": f"{base}/token",
           "UserInfoEndpoint": f"{base}/userinfo", "LogoutEndpoint": f"{base}/logout",
           "JwksUri": f"{base}/jwks", "Scope": "openid profile"}
    cfg.update(extra)
    return cfg


def error_of(exc_info):
    return exc_info.value.response["Error"]["Code"], exc_info.value.response["Error"]["Message"]


def test_create_describe_list_update_delete(sm, service):
    arn = sm.create_workforce(WorkforceName="acme", OidcConfig=oidc_config(
        AuthenticationRequestExtraParams={"prompt": "login"}), SourceIpConfig={"Cidrs": ["10.0.0.0/8"]},
        Tags=[{"Key": "team", "Value": "ml"}])["WorkforceArn"]
    assert arn == "arn:aws:sagemaker:us-east-1:123456789012:workforce/acme"

    wf = sm.describe_workforce(WorkforceName="acme")["Workforce"]
    assert wf["WorkforceName"] == "acme" and wf["WorkforceArn"] == arn
    assert wf["Status"] == "Active"
    assert wf["SourceIpConfig"] == {"Cidrs": ["10.0.0.0/8"]}
    assert wf["OidcConfig"]["ClientId"] == "hitl-client"
    assert wf["OidcConfig"]["AuthenticationRequestExtraParams"] == {"prompt": "login"}
    assert "ClientSecret" not in wf["OidcConfig"]
    assert SECRET not in json.dumps(wf, default=str)
    assert wf["SubDomain"] == service.settings.public_url.split("://")[1]
    assert wf["CreateDate"] and wf["LastUpdatedDate"]

    # the secret is stored encrypted: no Redis value anywhere contains it
    r = service.ctx.store.client
    for key in r.scan_iter("*"):
        if r.type(key) == "hash":
            assert SECRET not in json.dumps(r.hgetall(key))

    listed = sm.list_workforces()["Workforces"]
    assert [w["WorkforceName"] for w in listed] == ["acme"]
    assert "ClientSecret" not in listed[0]["OidcConfig"]
    assert sm.list_workforces(NameContains="zzz")["Workforces"] == []

    updated = sm.update_workforce(WorkforceName="acme", SourceIpConfig={"Cidrs": ["192.168.0.0/16", "127.0.0.1/32"]})
    assert updated["Workforce"]["SourceIpConfig"]["Cidrs"] == ["192.168.0.0/16", "127.0.0.1/32"]
    assert updated["Workforce"]["OidcConfig"]["Issuer"] == "https://idp.example.com"  # untouched parts stay

    sm.update_workforce(WorkforceName="acme", OidcConfig=oidc_config("https://login.example.org"))
    wf = sm.describe_workforce(WorkforceName="acme")["Workforce"]
    assert wf["OidcConfig"]["TokenEndpoint"] == "https://login.example.org/token"
    assert "AuthenticationRequestExtraParams" not in wf["OidcConfig"]  # OidcConfig is replaced whole

    sm.delete_workforce(WorkforceName="acme")
    with pytest.raises(ClientError) as e:
        sm.describe_workforce(WorkforceName="acme")
    assert error_of(e)[0] == "ResourceNotFound"
    assert sm.list_workforces()["Workforces"] == []


def test_one_workforce_per_account_and_names_are_unique(sm):
    sm.create_workforce(WorkforceName="first", OidcConfig=oidc_config())
    with pytest.raises(ClientError) as e:
        sm.create_workforce(WorkforceName="first", OidcConfig=oidc_config())
    assert error_of(e)[0] == "ResourceInUse"
    with pytest.raises(ClientError) as e:
        sm.create_workforce(WorkforceName="second", OidcConfig=oidc_config())
    code, message = error_of(e)
    assert code == "ResourceLimitExceeded" and "one private workforce" in message


def test_delete_refused_while_workteams_exist(sm):
    sm.create_workforce(WorkforceName="busy", OidcConfig=oidc_config())
    team, _ = create_team(sm)
    with pytest.raises(ClientError) as e:
        sm.delete_workforce(WorkforceName="busy")
    code, message = error_of(e)
    assert code == "ResourceInUse" and team in message
    sm.delete_workteam(WorkteamName=team)
    sm.delete_workforce(WorkforceName="busy")


@pytest.mark.parametrize("kwargs, field", [
    ({"WorkforceName": "bad_name!", "OidcConfig": oidc_config()}, "workforceName"),
    ({"WorkforceName": "w", "OidcConfig": oidc_config(Issuer="http://plain.example.com")}, "oidcConfig.issuer"),
    ({"WorkforceName": "w", "OidcConfig": oidc_config(JwksUri="https://x/" + "a" * 500)}, "oidcConfig.jwksUri"),
    ({"WorkforceName": "w", "OidcConfig": oidc_config(Scope="openid  two-spaces")}, "oidcConfig.scope"),
    ({"WorkforceName": "w", "OidcConfig": oidc_config(), "SourceIpConfig": {"Cidrs": ["10.0.0.0/33"]}},
     "sourceIpConfig.cidrs.1.member"),
    ({"WorkforceName": "w", "OidcConfig": oidc_config(), "SourceIpConfig": {"Cidrs": ["not-a-cidr"]}},
     "sourceIpConfig.cidrs.1.member"),
    ({"WorkforceName": "w", "OidcConfig": oidc_config(), "IpAddressType": "ipv9"}, "ipAddressType"),
    ({"WorkforceName": "w", "OidcConfig": oidc_config(),
      "SourceIpConfig": {"Cidrs": [f"10.0.{i}.0/24" for i in range(11)]}}, "sourceIpConfig.cidrs"),
    ({"WorkforceName": "w"}, "OidcConfig"),
    ({"WorkforceName": "w", "OidcConfig": oidc_config(AuthenticationRequestExtraParams={f"k{i}": "v" for i in range(11)})},
     "oidcConfig.authenticationRequestExtraParams"),
    ({"WorkforceName": "w", "OidcConfig": oidc_config(AuthenticationRequestExtraParams={"redirect_uri": "https://evil"})},
     "redirect_uri"),
    ({"WorkforceName": "w", "OidcConfig": oidc_config(AuthenticationRequestExtraParams={"k": "v" * 513})},
     "oidcConfig.authenticationRequestExtraParams"),
    ({"WorkforceName": "w", "CognitoConfig": {"UserPool": "us-east-1_abc", "ClientId": "c"}}, "CognitoConfig"),
])
def test_bad_input_is_a_validation_error_naming_the_field(sm, kwargs, field):
    with pytest.raises(ClientError) as e:
        sm.create_workforce(**kwargs)
    code, message = error_of(e)
    assert code == "ValidationException"
    assert field in message
    assert sm.list_workforces()["Workforces"] == []


def test_missing_oidc_member_is_refused(service):
    # boto3 refuses a missing required member on the client; a raw request must get AWS's message
    import requests
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    from tests.conftest import ACCESS_KEY, SECRET_KEY

    cfg = oidc_config()
    del cfg["JwksUri"]
    body = json.dumps({"WorkforceName": "w", "OidcConfig": cfg})
    req = AWSRequest("POST", service.url + "/", data=body, headers={
        "X-Amz-Target": "SageMaker.CreateWorkforce", "Content-Type": "application/x-amz-json-1.1"})
    SigV4Auth(Credentials(ACCESS_KEY, SECRET_KEY), "sagemaker", "us-east-1").add_auth(req)
    resp = requests.post(req.url, data=body, headers=dict(req.headers), timeout=10)
    assert resp.status_code == 400
    assert resp.json()["__type"] == "ValidationException"
    assert "oidcConfig.jwksUri" in resp.json()["Message"]


def test_unknown_and_paginated_listing(sm):
    sm.create_workforce(WorkforceName="only", OidcConfig=oidc_config())
    page = sm.list_workforces(MaxResults=1, SortBy="Name", SortOrder="Descending")
    assert [w["WorkforceName"] for w in page["Workforces"]] == ["only"] and "NextToken" not in page
    with pytest.raises(ClientError) as e:
        sm.list_workforces(NextToken="garbage")
    assert error_of(e)[0] == "ValidationException"
    with pytest.raises(ClientError) as e:
        sm.update_workforce(WorkforceName="nope", SourceIpConfig={"Cidrs": []})
    assert error_of(e)[0] == "ResourceNotFound"
    with pytest.raises(ClientError) as e:
        sm.delete_workforce(WorkforceName="nope")
    assert error_of(e)[0] == "ResourceNotFound"
