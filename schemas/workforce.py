"""Output schemas of the Workforce operations (json protocol: epoch-second timestamps)."""

from __future__ import annotations

from marshmallow import Schema, fields

from schemas.control import EpochSeconds

# OidcConfigForResponse: every OidcConfig member except the client secret
OIDC_RESPONSE_MEMBERS = ("ClientId", "Issuer", "AuthorizationEndpoint", "TokenEndpoint", "UserInfoEndpoint",
                         "LogoutEndpoint", "JwksUri", "Scope", "AuthenticationRequestExtraParams")


def _oidc_for_response(record) -> dict | None:
    oidc = record.doc.get("OidcConfig")
    if oidc is None:
        return None
    return {k: oidc[k] for k in OIDC_RESPONSE_MEMBERS if k in oidc}


class WorkforceSchema(Schema):
    WorkforceName = fields.String(attribute="name")
    WorkforceArn = fields.String(attribute="arn")
    LastUpdatedDate = EpochSeconds(attribute="updated_ms")
    SourceIpConfig = fields.Function(lambda r: r.doc.get("SourceIpConfig") or {"Cidrs": []})
    SubDomain = fields.String(attribute="subdomain")
    OidcConfig = fields.Function(_oidc_for_response)
    CreateDate = EpochSeconds(attribute="created_ms")
    WorkforceVpcConfig = fields.Function(lambda r: r.doc.get("WorkforceVpcConfig"))
    Status = fields.Constant("Active")
    IpAddressType = fields.Function(lambda r: r.doc.get("IpAddressType", "ipv4"))


_workforce = WorkforceSchema()


class _View:
    """A stored workforce plus what the response derives (ARN, subdomain)."""

    def __init__(self, record, arn: str, subdomain: str):
        self.doc = record.doc
        self.name = record.name
        self.created_ms = record.created_ms
        self.updated_ms = record.updated_ms
        self.arn = arn
        self.subdomain = subdomain


def dump_workforce(record, arn: str, subdomain: str) -> dict:
    out = _workforce.dump(_View(record, arn, subdomain))
    return {k: v for k, v in out.items() if v is not None}
