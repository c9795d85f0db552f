"""OIDC sign-in against a real OpenID provider (Authlib's server) over HTTPS."""

from __future__ import annotations

import time
from urllib.parse import parse_qs, urlsplit

import requests
from joserfc.jwk import RSAKey

from tests.conftest import wait_until
from tests.support.resources import create_flow, create_team
from tests.workforce.conftest import csrf_of, sign_in


def me(session, service) -> dict:
    resp = session.get(f"{service.url}/review/api/me", timeout=10)
    assert resp.status_code == 200, resp.text
    return resp.json()


def test_sign_in_maps_group_claim_to_workteams_and_rereads_it(wf_service, wf_sm, idp, oidc_workforce):
    a_team, _ = create_team(wf_sm, groups=["labelers-a"])
    b_team, _ = create_team(wf_sm, groups=["labelers-b"])
    idp.add_user("alice", sub="idp-user-0001", groups=["labelers-a"], name="Alice")

    session, done = sign_in(wf_service, idp, "alice")
    assert done.status_code == 200 and done.url == f"{wf_service.url}/review/queue"
    who = me(session, wf_service)
    assert who["workteams"] == [a_team]
    assert who["sub"] == "idp-user-0001"

    # the authorization request used PKCE (S256) and the token request proved it
    assert idp.token_requests[-1]["code_verifier"]

    # the IdP moves alice to another group: the next sign-in applies it, same workerId
    idp.users["alice"]["sagemaker:groups"] = ["labelers-b"]
    session2, _ = sign_in(wf_service, idp, "alice")
    again = me(session2, wf_service)
    assert again["workteams"] == [b_team]
    assert again["workerId"] == who["workerId"]


def test_answers_carry_the_idps_issuer_and_sub(wf_service, wf_sm, idp, oidc_workforce, worker_factory):
    worker_factory(wf_service.settings)
    team, team_arn = create_team(wf_sm, groups=["labelers"])
    flow, flow_arn = create_flow(wf_sm, team_arn=team_arn)
    a2i = wf_service.client("sagemaker-a2i-runtime")
    a2i.start_human_loop(HumanLoopName="oidc-loop", FlowDefinitionArn=flow_arn,
                         HumanLoopInput={"InputContent": '{"text": "hi"}'})
    idp.add_user("bob", sub="bob-sub-42", groups="labelers")  # a comma-separated string is accepted too
    session, _ = sign_in(wf_service, idp, "bob")
    csrf = csrf_of(session, wf_service)
    headers = {"X-CSRF-Token": csrf}
    # the Celery worker routes the loop onto the team's queue
    claim = wait_until(lambda: session.post(f"{wf_service.url}/review/api/assignments/claim", json={},
                                            headers=headers, timeout=10).json().get("assignment"), message="routing")
    claim = {"assignment": claim}
    token = claim["assignment"]["token"]
    done = session.post(f"{wf_service.url}/review/api/assignments/{token}/submit",
                        json={"answerContent": {"answer": "ok"}}, headers=headers, timeout=10)
    assert done.status_code == 200, done.text
    answer = wf_service.ctx.store.loops.answers("oidc-loop")[0]
    assert answer["workerMetadata"] == {"identityData": {"identityProviderType": "Oidc", "issuer": idp.issuer,
                                                         "sub": "bob-sub-42"}}


def _start_and_get_callback(service, idp, login):
    """Drive the flow up to the IdP's redirect back, without following it."""
    s = requests.Session()
    s.trust_env = False  # REQUESTS_CA_BUNDLE in the environment would override the test CA
    s.verify = idp.ca.ca_file
    page = s.get(f"{service.url}/review/oidc/login", timeout=10)
    back = s.post(page.url, data={"username": login}, allow_redirects=False, timeout=10)
    assert back.status_code == 302
    return s, back.headers["Location"]


def _audit_failures(service):
    from hitl_service.workforce import audit

    return [e for e in audit.query(service.ctx, action="sign_in") if e.outcome == "failed"]


def test_state_mismatch_is_refused(wf_service, idp, oidc_workforce):
    idp.add_user("carol", sub="c-1", groups=["g"])
    s, callback = _start_and_get_callback(wf_service, idp, "carol")
    query = parse_qs(urlsplit(callback).query)
    forged = f"{wf_service.url}/review/oidc/callback?code={query['code'][0]}&state=forged"
    resp = s.get(forged, timeout=10)
    assert resp.status_code == 401 and "state does not match" in resp.text
    assert s.get(f"{wf_service.url}/review/api/me", timeout=10).status_code == 401
    assert _audit_failures(wf_service)


def test_callback_without_a_pending_request_is_refused(wf_service, idp, oidc_workforce):
    idp.add_user("carol", sub="c-1", groups=["g"])
    _, callback = _start_and_get_callback(wf_service, idp, "carol")
    # another browser (no session cookie) replays the callback URL
    resp = requests.get(callback, timeout=10)
    assert resp.status_code == 401 and "no pending request" in resp.text


def _refused(service, idp, login, needle):
    s, callback = _start_and_get_callback(service, idp, login)
    resp = s.get(callback, timeout=10)
    assert resp.status_code == 401, resp.text
    assert needle in resp.text, resp.text
    assert s.get(f"{service.url}/review/api/me", timeout=10).status_code == 401


def test_id_token_with_wrong_nonce_is_refused(wf_service, idp, oidc_workforce):
    idp.add_user("dan", sub="d-1", groups=["g"])
    idp.id_token_overrides["code_claims"] = {"nonce": "not-the-one-we-sent"}
    _refused(wf_service, idp, "dan", "nonce")


def test_id_token_for_another_client_is_refused(wf_service, idp, oidc_workforce):
    idp.add_user("dan", sub="d-1", groups=["g"])
    idp.id_token_overrides["client_claims"] = {"aud": ["someone-else"]}
    _refused(wf_service, idp, "dan", "aud")


def test_id_token_signed_by_a_key_not_in_the_jwks_is_refused(wf_service, idp, oidc_workforce):
    idp.add_user("dan", sub="d-1", groups=["g"])
    idp.signing_key = RSAKey.generate_key(2048, parameters={"kid": "test-key-1"}, private=True)
    _refused(wf_service, idp, "dan", "ID token was refused")


def test_expired_id_token_beyond_the_allowed_skew_is_refused(wf_service, idp, oidc_workforce):
    idp.add_user("dan", sub="d-1", groups=["g"])
    now = int(time.time())
    skew = wf_service.settings.oidc_clock_skew_seconds
    idp.id_token_overrides["code_claims"] = {"exp": now - skew - 30, "iat": now - skew - 3600}
    _refused(wf_service, idp, "dan", "expired")


def test_slightly_expired_id_token_within_the_skew_is_accepted(wf_service, idp, oidc_workforce):
    idp.add_user("dan", sub="d-1", groups=["g"])
    now = int(time.time())
    idp.id_token_overrides["code_claims"] = {"exp": now - 5}
    s, callback = _start_and_get_callback(wf_service, idp, "dan")
    assert s.get(callback, timeout=10).url.endswith("/review/queue")


def test_identity_without_groups_is_refused(wf_service, idp, oidc_workforce):
    idp.add_user("erin", sub="e-1", groups=[])
    _refused(wf_service, idp, "erin", "sagemaker:groups")


def test_local_accounts_still_sign_in(wf_service, idp, oidc_workforce):
    from hitl_service.services import reviewers

    reviewers.add_reviewer(wf_service.ctx, "local1", "password123", ["g"])
    api = requests.get(f"{wf_service.url}/review/api/me", auth=("local1", "password123"), timeout=10)
    assert api.status_code == 200 and api.json()["name"] == "local1"
    login_page = requests.get(f"{wf_service.url}/review/login", timeout=10).text
    assert 'id="oidc-sign-in"' in login_page


def test_authorization_request_carries_pkce_nonce_and_extra_params(wf_service, wf_sm, idp):
    wf_sm.create_workforce(WorkforceName="acme", OidcConfig=dict(
        idp.oidc_config(), AuthenticationRequestExtraParams={"login_hint": "alice@example.com"}))
    resp = requests.get(f"{wf_service.url}/review/oidc/login", allow_redirects=False, timeout=10)
    assert resp.status_code == 302
    location = urlsplit(resp.headers["Location"])
    query = {k: v[0] for k, v in parse_qs(location.query).items()}
    assert f"{location.scheme}://{location.netloc}{location.path}" == idp.issuer + "/authorize"
    assert query["code_challenge_method"] == "S256" and len(query["code_challenge"]) == 43
    assert query["response_type"] == "code" and query["client_id"] == idp.client_id
    assert query["redirect_uri"] == f"{wf_service.url}/review/oidc/callback"
    assert query["login_hint"] == "alice@example.com" and query["state"] and query["nonce"]
    assert "ClientSecret" not in resp.headers["Location"] and idp.client_secret not in resp.headers["Location"]


def test_without_an_oidc_workforce_sign_in_explains_itself(wf_service):
    resp = requests.get(f"{wf_service.url}/review/oidc/login", timeout=10)
    assert resp.status_code == 401 and "CreateWorkforce" in resp.text
    assert 'id="oidc-sign-in"' not in requests.get(f"{wf_service.url}/review/login", timeout=10).text


def test_sign_out_ends_the_session_and_goes_to_the_idps_logout(wf_service, idp, oidc_workforce):
    idp.add_user("fay", sub="f-1", groups=["g"])
    session, _ = sign_in(wf_service, idp, "fay")
    html = session.get(f"{wf_service.url}/review/queue", timeout=10).text
    assert 'action="/review/oidc/logout"' in html
    csrf = csrf_of(session, wf_service)
    out = session.post(f"{wf_service.url}/review/oidc/logout", data={"csrf_token": csrf}, allow_redirects=False,
                       timeout=10)
    assert out.status_code == 302
    target = urlsplit(out.headers["Location"])
    assert f"{target.scheme}://{target.netloc}{target.path}" == idp.issuer + "/logout"
    assert parse_qs(target.query)["post_logout_redirect_uri"] == [f"{wf_service.url}/review/login"]
    assert session.get(f"{wf_service.url}/review/api/me", timeout=10).status_code == 401


def test_a_changed_secret_key_refuses_sign_in_with_a_clear_message(wf_service, idp, oidc_workforce, redis_server,
                                                                     session_data_dir, test_ca):
    from tests.workforce.conftest import PublicService

    other = PublicService(redis_server.url, session_data_dir, oidc_ca_bundle=test_ca.ca_file,
                          workforce_secret_key="a-different-key")
    try:
        resp = requests.get(f"{other.url}/review/oidc/login", timeout=10)
        assert resp.status_code == 401 and "UpdateWorkforce" in resp.text
    finally:
        other.stop()
