"""OIDC sign-in with Authlib: authorization code + PKCE, state and nonce, ID token checked against the JWKS."""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import logging
import time

import requests
from authlib.common.security import generate_token
from authlib.integrations.requests_client import OAuth2Session
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from hitl_service.errors import ReviewerAuthError
from hitl_service.workforce.service import OidcSettings

log = logging.getLogger(__name__)

# AWS's custom claims for OIDC workforces (sagemaker:groups decides the work teams)
GROUPS_CLAIM = "sagemaker:groups"
SUB_CLAIM = "sagemaker:sub"
NAME_CLAIM = "sagemaker:name"
CLIENT_ID_CLAIM = "sagemaker:client_id"
HTTP_TIMEOUT = 10
# signature algorithms accepted on ID tokens (never "none", never HMAC with a public key)
ALGORITHMS = ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA")
PENDING_MAX_AGE_SECONDS = 600


class SignInError(ReviewerAuthError):
    """A sign-in the IdP or this service refused; the message is safe to show the person."""


@dataclasses.dataclass(frozen=True)
class Pending:
    """What the callback must match: kept in the signed session between the redirect and the callback."""

    state: str
    nonce: str
    code_verifier: str
    started: float

    def as_dict(self) -> dict:
        return dataclasses.asdict(self)


@dataclasses.dataclass(frozen=True)
class Identity:
    """A verified person from the IdP."""

    issuer: str
    sub: str
    name: str
    groups: list[str]


def _session(oidc: OidcSettings, redirect_uri: str) -> OAuth2Session:
    return OAuth2Session(client_id=oidc.client_id, client_secret=oidc.client_secret, scope=oidc.scope,
                         redirect_uri=redirect_uri, code_challenge_method="S256")


def begin(oidc: OidcSettings, redirect_uri: str) -> tuple[str, Pending]:
    """The IdP's authorization URL for a new sign-in, and what the callback must later match."""
    pending = Pending(state=generate_token(32), nonce=generate_token(32), code_verifier=generate_token(64),
                      started=time.time())
    url, _ = _session(oidc, redirect_uri).create_authorization_url(
        oidc.authorization_endpoint, state=pending.state, nonce=pending.nonce,
        code_verifier=pending.code_verifier, **oidc.extra_params)
    return url, pending


def _groups(value) -> list[str]:
    if isinstance(value, str):
        # some IdPs send one comma-separated string instead of a JSON array
        return [g.strip() for g in value.split(",") if g.strip()]
    if isinstance(value, list):
        return [str(g) for g in value if isinstance(g, (str, int)) and str(g)]
    return []


def finish(oidc: OidcSettings, redirect_uri: str, params: dict, pending: dict | None, *, verify, leeway: int) -> Identity:
    """Exchange the callback's code for tokens, verify the ID token and read the person's claims."""
    if params.get("error"):
        raise SignInError(f"The identity provider refused the sign-in: {params.get('error_description') or params['error']}")
    if not pending or time.time() - float(pending.get("started", 0)) > PENDING_MAX_AGE_SECONDS:
        raise SignInError("This sign-in has no pending request (or it is older than 10 minutes); start again")
    if not hmac.compare_digest(str(params.get("state", "")), pending["state"]):
        raise SignInError("The sign-in's state does not match this browser's request; start again")
    if not params.get("code"):
        raise SignInError("The identity provider sent no authorization code")
    client = _session(oidc, redirect_uri)
    # verify is passed on every call: a Session attribute would lose to REQUESTS_CA_BUNDLE in the environment
    try:
        token = client.fetch_token(oidc.token_endpoint, code=params["code"], code_verifier=pending["code_verifier"],
                                   timeout=HTTP_TIMEOUT, verify=verify)
    except Exception as exc:  # noqa: BLE001 - any token endpoint failure ends this sign-in
        raise SignInError(f"The token endpoint refused the code: {exc}") from None
    if "id_token" not in token:
        raise SignInError("The token endpoint returned no ID token (is 'openid' in the workforce's Scope?)")
    claims = verify_id_token(oidc, token["id_token"], pending["nonce"], verify=verify, leeway=leeway)
    try:
        info = client.get(oidc.userinfo_endpoint, timeout=HTTP_TIMEOUT, verify=verify)
        info.raise_for_status()
        userinfo = info.json()
    except Exception as exc:  # noqa: BLE001
        raise SignInError(f"The UserInfo endpoint failed: {exc}") from None
    if userinfo.get("sub") != claims["sub"]:
        raise SignInError("UserInfo describes a different subject than the ID token")
    merged = {**userinfo, **claims}
    if CLIENT_ID_CLAIM in merged and merged[CLIENT_ID_CLAIM] != oidc.client_id:
        raise SignInError("The token's sagemaker:client_id is not this workforce's ClientId")
    groups = _groups(merged.get(GROUPS_CLAIM))
    if not groups:
        raise SignInError("The identity provider sent no sagemaker:groups claim, so no work team applies")
    sub = str(merged.get(SUB_CLAIM) or claims["sub"])
    name = str(merged.get(NAME_CLAIM) or merged.get("preferred_username") or merged.get("name") or sub)
    return Identity(issuer=oidc.issuer, sub=sub, name=name[:128], groups=groups)


def verify_id_token(oidc: OidcSettings, id_token: str, nonce: str, *, verify, leeway: int) -> dict:
    """The ID token's claims after checking signature (JWKS), iss, aud, exp/iat/nbf with leeway, and nonce."""
    try:
        jwks = requests.get(oidc.jwks_uri, timeout=HTTP_TIMEOUT, verify=verify)
        jwks.raise_for_status()
        keys = KeySet.import_key_set(jwks.json())
    except Exception as exc:  # noqa: BLE001
        raise SignInError(f"The identity provider's JWKS could not be read: {exc}") from None
    try:
        decoded = jwt.decode(id_token, keys, algorithms=list(ALGORITHMS))
        registry = jwt.JWTClaimsRegistry(
            leeway=leeway, iss={"essential": True, "value": oidc.issuer}, aud={"essential": True, "value": oidc.client_id},
            sub={"essential": True}, exp={"essential": True}, iat={"essential": True},
            nonce={"essential": True, "value": nonce})
        registry.validate(decoded.claims)
    except (JoseError, ValueError) as exc:
        log.warning("id token refused issuer=%s error=%s", oidc.issuer, exc)
        raise SignInError(f"The ID token was refused: {exc}") from None
    return decoded.claims


def reviewer_name(issuer: str, sub: str) -> str:
    """A stable local name for an IdP identity (reviewer names are local; issuer+sub is global)."""
    return "oidc-" + hashlib.sha256(f"{issuer}\0{sub}".encode()).hexdigest()[:20]


def worker_id(issuer: str, sub: str) -> str:
    """A stable workerId for an IdP identity, the same at every sign-in."""
    return hashlib.sha256(f"worker\0{issuer}\0{sub}".encode()).hexdigest()[:16]
