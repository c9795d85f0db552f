"""The Workforce API (Create/Describe/Update/List/Delete) and the active workforce's sign-in rules."""

from __future__ import annotations

import dataclasses
import logging
from urllib.parse import urlsplit

from hitl_service.domain.pagination import decode_token, encode_token
from hitl_service.domain.timefmt import now_ms
from hitl_service.errors import NotFoundError, ResourceInUseError, ResourceLimitExceededError, ValidationError
from hitl_service.services.context import ServiceContext
from hitl_service.store.workforce import WorkforceRecord, WorkforceStore, WriteResult
from hitl_service.workforce.crypto import SecretBox

log = logging.getLogger(__name__)

# AWS allows one private workforce per account and Region
MAX_WORKFORCES = 1
SEALED = "ClientSecretSealed"


@dataclasses.dataclass(frozen=True)
class OidcSettings:
    """A workforce's OIDC configuration with the client secret decrypted (never leaves the process)."""

    workforce: str
    client_id: str
    client_secret: str
    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    userinfo_endpoint: str
    logout_endpoint: str
    jwks_uri: str
    scope: str
    extra_params: dict


def _store(ctx: ServiceContext) -> WorkforceStore:
    return ctx.store.workforces


def _sealed_oidc(ctx: ServiceContext, oidc: dict) -> dict:
    doc = {k: v for k, v in oidc.items() if k != "ClientSecret"}
    doc[SEALED] = SecretBox.from_settings(ctx.settings).seal(oidc["ClientSecret"])
    return doc


# parameters the sign-in itself sets: an extra parameter must not replace them (it could turn off PKCE,
# swap the redirect target or the nonce)
RESERVED_PARAMS = frozenset({"response_type", "client_id", "redirect_uri", "scope", "state", "nonce",
                             "code_challenge", "code_challenge_method", "client_secret", "request", "request_uri"})


def _check_extra_params(params: dict) -> None:
    if len(params) > 10:
        raise ValidationError(f"1 validation error detected: Value at 'oidcConfig.authenticationRequestExtraParams' "
                              f"failed to satisfy constraint: Member must have length less than or equal to 10")
    clash = sorted(k for k in params if k.lower() in RESERVED_PARAMS)
    if clash:
        raise ValidationError(f"oidcConfig.authenticationRequestExtraParams cannot set {', '.join(clash)}: "
                              "the sign-in sets these itself")


def _check_cidrs(cidrs: list[str]) -> None:
    import ipaddress

    if len(cidrs) > 10:
        raise ValidationError("1 validation error detected: Value at 'sourceIpConfig.cidrs' failed to satisfy "
                              "constraint: Member must have length less than or equal to 10")
    for i, cidr in enumerate(cidrs, 1):
        try:
            ipaddress.ip_network(cidr, strict=False)
        except ValueError:
            raise ValidationError(f"1 validation error detected: Value '{cidr}' at 'sourceIpConfig.cidrs.{i}.member' "
                                  "failed to satisfy constraint: Member must be a CIDR block") from None


def _document(ctx: ServiceContext, req: dict, base: dict | None = None) -> dict:
    doc = dict(base or {})
    if "CognitoConfig" in req:
        raise ValidationError("CognitoConfig is not supported by this service: configure your identity provider "
                              "with OidcConfig (Amazon Cognito user pools are OIDC providers too)")
    if "OidcConfig" in req:
        _check_extra_params(req["OidcConfig"].get("AuthenticationRequestExtraParams") or {})
        doc["OidcConfig"] = _sealed_oidc(ctx, req["OidcConfig"])
    if "SourceIpConfig" in req:
        _check_cidrs(req["SourceIpConfig"]["Cidrs"])
        doc["SourceIpConfig"] = {"Cidrs": list(req["SourceIpConfig"]["Cidrs"])}
    for key in ("WorkforceVpcConfig", "IpAddressType", "Tags"):
        if key in req:
            doc[key] = req[key]
    return doc


def create_workforce(ctx: ServiceContext, req: dict) -> dict:
    """Store a workforce (its client secret encrypted); AWS allows one per account."""
    name = req["WorkforceName"]
    if "OidcConfig" not in req and "CognitoConfig" not in req:
        raise ValidationError("A workforce needs an identity provider: specify OidcConfig")
    doc = _document(ctx, req)
    outcome = _store(ctx).create(name, doc, now_ms(), MAX_WORKFORCES)
    if outcome is WriteResult.EXISTS:
        raise ResourceInUseError(f"Workforce {name} already exists")
    if outcome is WriteResult.LIMIT:
        raise ResourceLimitExceededError("You can create only one private workforce per account and Region; "
                                         "update or delete the existing one")
    log.info("workforce created workforce=%s cidrs=%d", name, len(doc.get("SourceIpConfig", {}).get("Cidrs", [])))
    return {"WorkforceArn": ctx.arns.workforce(name)}


def get_workforce(ctx: ServiceContext, name: str) -> WorkforceRecord:
    record = _store(ctx).get(name)
    if record is None:
        raise NotFoundError(f"Workforce {name} does not exist")
    return record


def update_workforce(ctx: ServiceContext, req: dict) -> WorkforceRecord:
    """Replace the parts of a workforce the request names (OidcConfig as a whole, with its secret)."""
    store = _store(ctx)
    for _ in range(5):
        record = get_workforce(ctx, req["WorkforceName"])
        outcome = store.update(record, _document(ctx, req, record.doc), now_ms())
        if outcome is WriteResult.UPDATED:
            log.info("workforce updated workforce=%s fields=%s", record.name,
                     ",".join(k for k in req if k != "WorkforceName"))
            return get_workforce(ctx, record.name)
        if outcome is WriteResult.MISSING:
            break
    raise NotFoundError(f"Workforce {req['WorkforceName']} does not exist")


def list_workforces(ctx: ServiceContext, req: dict) -> tuple[list[WorkforceRecord], str | None]:
    """One page of workforces sorted by name or creation time (there are a handful at most)."""
    by_name = req.get("SortBy") == "Name"
    descending = req.get("SortOrder", "Ascending") == "Descending"
    scope = f"workforces:{'Name' if by_name else 'CreateDate'}:{'Descending' if descending else 'Ascending'}"
    records = _store(ctx).all()
    if req.get("NameContains"):
        records = [r for r in records if req["NameContains"] in r.name]
    records.sort(key=(lambda r: r.name) if by_name else (lambda r: (r.created_ms, r.name)), reverse=descending)
    if req.get("NextToken"):
        after = decode_token(req["NextToken"], scope)
        names = [r.name for r in records]
        records = records[names.index(after) + 1:] if after in names else []
    limit = req.get("MaxResults", 10)
    page = records[:limit]
    token = encode_token(scope, page[-1].name) if len(records) > limit else None
    return page, token


def _teams_of_workforce(ctx: ServiceContext, name: str) -> list[str]:
    from hitl_service.services import resources

    req: dict = {"MaxResults": 100}
    found = []
    while True:
        teams, token = resources.list_workteams(ctx, req)
        # a team created without WorkforceName belongs to the account's one private workforce
        found += [t["name"] for t in teams if t["doc"].get("WorkforceName", "default") in (name, "default")]
        if not token:
            return found
        req["NextToken"] = token


def delete_workforce(ctx: ServiceContext, name: str) -> None:
    """Delete a workforce that no workteam uses any more (AWS: delete the teams first)."""
    get_workforce(ctx, name)
    teams = _teams_of_workforce(ctx, name)
    if teams:
        raise ResourceInUseError(f"Workforce {name} still has work teams ({', '.join(teams[:5])}); "
                                 "delete them with DeleteWorkteam first")
    if _store(ctx).delete(name) is WriteResult.MISSING:
        raise NotFoundError(f"Workforce {name} does not exist")
    log.info("workforce deleted workforce=%s", name)


def subdomain(ctx: ServiceContext) -> str:
    return urlsplit(ctx.settings.public_url).netloc


def active_workforce(ctx: ServiceContext) -> WorkforceRecord | None:
    """The account's private workforce, if one was created."""
    records = _store(ctx).all()
    return records[0] if records else None


def allowed_cidrs(record: WorkforceRecord | None) -> list[str]:
    return list((record.doc.get("SourceIpConfig") or {}).get("Cidrs", [])) if record else []


def oidc_settings(ctx: ServiceContext, record: WorkforceRecord | None) -> OidcSettings | None:
    """The decrypted OIDC configuration of a workforce, or None when it has none."""
    if record is None or "OidcConfig" not in record.doc:
        return None
    o = record.doc["OidcConfig"]
    return OidcSettings(
        workforce=record.name, client_id=o["ClientId"], client_secret=SecretBox.from_settings(ctx.settings).open(o[SEALED]),
        issuer=o["Issuer"], authorization_endpoint=o["AuthorizationEndpoint"], token_endpoint=o["TokenEndpoint"],
        userinfo_endpoint=o["UserInfoEndpoint"], logout_endpoint=o["LogoutEndpoint"], jwks_uri=o["JwksUri"],
        scope=o.get("Scope") or "openid", extra_params=dict(o.get("AuthenticationRequestExtraParams") or {}))
