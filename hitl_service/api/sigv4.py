"""Verify AWS Signature Version 4 on incoming API requests.

The canonical request is built here by the rules botocore signs with (``botocore.auth.SigV4Auth``:
its path normalisation, query encoding, header trimming and payload hash), without botocore's generic
request objects, which cost more per request than the whole check. The tests sign with real botocore
and boto3 and verify with this module, so a drift from botocore's rules fails them. The signing key
depends only on the secret, the day, the region and the service, so it is derived once per such
combination. This module knows nothing about Flask: the HTTP layer hands it a ``SignedRequest``.

What the HTTP layer must pass for verification to work:

* ``url`` must carry the path and query *as they appeared on the request line* (percent-encoding
  intact, e.g. WSGI ``RAW_URI``/``REQUEST_URI``), not the decoded ``PATH_INFO``. Scheme and host in
  the URL are not used for the signature; the ``Host`` header is.
* ``headers`` must include ``Host`` exactly as received, so a reverse proxy in front of the service
  has to forward the client's Host header unchanged.
"""

from __future__ import annotations

import functools
import hmac
import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from hashlib import sha256
from typing import Mapping
from urllib.parse import quote, unquote, urlsplit

from botocore.utils import normalize_url_path

from hitl_service.errors import (
    IncompleteSignatureError,
    InvalidSignatureError,
    MissingAuthenticationTokenError,
    UnrecognizedClientError,
)

ALGORITHM = "AWS4-HMAC-SHA256"
_AUTH_PREFIX = ALGORITHM + " "
_AMZ_DATE_RE = re.compile(r"(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z")
_SCOPE_DATE_RE = re.compile(r"\d{8}")
_SIGNATURE_RE = re.compile(r"[0-9a-f]{64}")
_SHA256_HEX_RE = re.compile(r"[0-9a-fA-F]{64}")
# Header names allowed in SignedHeaders: lowercase RFC 7230 token characters.
_HEADER_NAME_RE = re.compile(r"[a-z0-9!#$%&'*+.^_`|~-]+")
_REQUIRED_SIGNED_HEADERS = ("host", "x-amz-date")

MISMATCH_MESSAGE = (
    "The request signature we calculated does not match the signature you provided. "
    "Check your AWS Secret Access Key and signing method."
)


@dataclass(frozen=True)
class SignedRequest:
    """The parts of an HTTP request that a SigV4 signature covers."""

    method: str
    url: str  # scheme://host[:port]/path?query with path and query exactly as received
    headers: Mapping[str, str]
    body: bytes


def verify_sigv4(
    req: SignedRequest,
    secrets: Mapping[str, str],
    *,
    now: datetime | None = None,
    max_skew_seconds: int = 300,
    service: str | None = None,
) -> str:
    """Check the SigV4 Authorization header; return the access key id or raise an AuthError subclass."""
    headers = _lower_headers(req.headers)
    authorization = headers.get("authorization")
    if not authorization:
        if "X-Amz-Signature=" in urlsplit(req.url).query:
            raise MissingAuthenticationTokenError(
                "Missing Authentication Token: query-string (presigned URL) signing is not supported; "
                "sign requests with the Authorization header."
            )
        raise MissingAuthenticationTokenError("Missing Authentication Token")
    authorization = ",".join(authorization)

    akid, scope_date, region, scope_service, signed_names, signature = _parse_authorization(authorization)

    amz_date_values = headers.get("x-amz-date")
    if not amz_date_values:
        raise IncompleteSignatureError(
            f"Authorization header requires an 'X-Amz-Date' header (the Date header is not accepted). "
            f"Authorization={authorization}"
        )
    amz_date = amz_date_values[-1].strip()
    signed_at = _parse_amz_date(amz_date)

    if service is not None and scope_service != service:
        raise InvalidSignatureError(f"Credential should be scoped to correct service: '{service}'.")

    secret = secrets.get(akid)
    if secret is None:
        raise UnrecognizedClientError("The security token included in the request is invalid.")

    _check_skew(amz_date, signed_at, now, max_skew_seconds)

    if scope_date != amz_date[:8]:
        raise InvalidSignatureError(
            f"Date in Credential scope does not match YYYYMMDD from X-Amz-Date: "
            f"credential date {scope_date}, X-Amz-Date {amz_date}."
        )

    signed_headers: dict[str, list[str]] = {}
    for name in signed_names:
        values = headers.get(name)
        if values is None:
            # The client claims to have signed a header that did not arrive: the request was altered.
            raise InvalidSignatureError(
                f"{MISMATCH_MESSAGE} Signed header '{name}' is missing from the request."
            )
        signed_headers[name] = values

    body = req.body or b""
    content_sha = signed_headers.get("x-amz-content-sha256")
    if content_sha is not None:
        _check_content_sha256(content_sha[-1].strip(), body)

    expected = _compute_signature(req, signed_headers, body, secret, region, scope_service, amz_date)
    # compare_digest refuses non-ASCII str, so anything that is not hex cannot be compared (or match).
    if not _SIGNATURE_RE.fullmatch(signature) or not hmac.compare_digest(expected, signature):
        raise InvalidSignatureError(MISMATCH_MESSAGE)
    return akid


def _lower_headers(headers: Mapping[str, str]) -> dict[str, list[str]]:
    """Headers keyed by lowercase name; repeated names (any case) keep every value in order."""
    lowered: dict[str, list[str]] = {}
    # werkzeug Headers can yield a name more than once; a plain dict may differ only in case.
    for name, value in headers.items():
        lowered.setdefault(name.lower(), []).append(value)
    return lowered


def _parse_authorization(authorization: str) -> tuple[str, str, str, str, list[str], str]:
    """Split an Authorization header into (akid, date, region, service, signed header names, signature)."""
    if not authorization.startswith(_AUTH_PREFIX):
        algorithm = authorization.split(" ", 1)[0]
        raise IncompleteSignatureError(
            f"Unsupported Authorization algorithm '{algorithm}'; only {ALGORITHM} is accepted. "
            f"Authorization={authorization}"
        )
    params: dict[str, str] = {}
    for part in authorization[len(_AUTH_PREFIX):].split(","):
        key, sep, value = part.strip().partition("=")
        if not sep:
            if key:
                raise IncompleteSignatureError(
                    f"Authorization header component '{key}' is not of the form key=value. "
                    f"Authorization={authorization}"
                )
            continue
        if key in params:
            raise IncompleteSignatureError(
                f"Authorization header repeats the '{key}' parameter. Authorization={authorization}"
            )
        params[key] = value.strip()
    for required in ("Credential", "SignedHeaders", "Signature"):
        if not params.get(required):
            raise IncompleteSignatureError(
                f"Authorization header requires '{required}' parameter. Authorization={authorization}"
            )

    credential = params["Credential"]
    scope = credential.split("/")
    if (
        len(scope) != 5
        or not scope[0]
        or not _SCOPE_DATE_RE.fullmatch(scope[1])
        or not scope[2]
        or not scope[3]
        or scope[4] != "aws4_request"
    ):
        raise IncompleteSignatureError(
            f"Credential '{credential}' is malformed; expected "
            f"<access key id>/<YYYYMMDD>/<region>/<service>/aws4_request. Authorization={authorization}"
        )

    signed_names = params["SignedHeaders"].split(";")
    for name in signed_names:
        if not _HEADER_NAME_RE.fullmatch(name):
            raise IncompleteSignatureError(
                f"SignedHeaders contains an invalid header name '{name}'; names must be lowercase and "
                f"separated by ';'. Authorization={authorization}"
            )
    for required in _REQUIRED_SIGNED_HEADERS:
        if required not in signed_names:
            raise IncompleteSignatureError(
                f"SignedHeaders must include '{required}'. Authorization={authorization}"
            )
    return scope[0], scope[1], scope[2], scope[3], signed_names, params["Signature"]


def _parse_amz_date(amz_date: str) -> datetime:
    """Parse a basic-format ISO 8601 UTC timestamp (20200101T000000Z)."""
    # A regex and int() is several times cheaper than strptime on this per-request path.
    match = _AMZ_DATE_RE.fullmatch(amz_date)
    if match is not None:
        try:
            return datetime(*map(int, match.groups()), tzinfo=timezone.utc)
        except ValueError:
            pass
    raise IncompleteSignatureError(
        f"X-Amz-Date '{amz_date}' is not a valid timestamp; expected the form YYYYMMDD'T'HHMMSS'Z'."
    )


def _check_skew(amz_date: str, signed_at: datetime, now: datetime | None, max_skew_seconds: int) -> None:
    """Reject a signature dated further than max_skew_seconds from now, in either direction."""
    if now is None:
        now = datetime.now(timezone.utc)
    elif now.tzinfo is None:
        now = now.replace(tzinfo=timezone.utc)
    skew = timedelta(seconds=max_skew_seconds)
    now_utc = now.astimezone(timezone.utc)
    if now_utc - skew <= signed_at <= now_utc + skew:
        return
    # Only a rejected request pays for formatting the message.
    stamp = "%Y%m%dT%H%M%SZ"
    window = f"{max_skew_seconds // 60} min." if max_skew_seconds % 60 == 0 else f"{max_skew_seconds} s"
    if signed_at < now_utc - skew:
        raise InvalidSignatureError(
            f"Signature expired: {amz_date} is now earlier than {(now_utc - skew).strftime(stamp)} "
            f"({now_utc.strftime(stamp)} - {window})"
        )
    raise InvalidSignatureError(
        f"Signature not yet current: {amz_date} is still later than {(now_utc + skew).strftime(stamp)} "
        f"({now_utc.strftime(stamp)} + {window})"
    )


def _check_content_sha256(declared: str, body: bytes) -> None:
    """Make sure a signed x-amz-content-sha256 really is the body's hash."""
    # botocore's canonical_request trusts this header instead of hashing the body, so without this
    # check a captured request could be replayed with a different body.
    if not _SHA256_HEX_RE.fullmatch(declared):
        raise InvalidSignatureError(
            f"x-amz-content-sha256 '{declared}' is not accepted: "
            "the payload must be signed with its SHA-256 hash."
        )
    if not hmac.compare_digest(declared.lower(), sha256(body).hexdigest()):
        raise InvalidSignatureError(
            "The provided 'x-amz-content-sha256' header does not match what was computed."
        )


def _canonical_query(query: str) -> str:
    """The canonical query string: decoded pairs re-encoded by the SigV4 rules, sorted."""
    # Re-encoding decoded params is what AWS does server-side, so clients that escape differently on
    # the wire (e.g. leave ':' bare) still verify. '+' is kept as a literal plus: SigV4 signers encode
    # spaces as %20 and boto3 sends '+' as %2B.
    if not query:
        return ""
    pairs = []
    try:
        for pair in query.split("&"):
            if not pair:
                continue
            name, _, value = pair.partition("=")
            pairs.append((quote(unquote(name, errors="strict"), safe="-_.~"),
                          quote(unquote(value, errors="strict"), safe="-_.~")))
    except UnicodeDecodeError:
        pairs = []
    if not pairs:
        # Percent-escapes that are not UTF-8 cannot round-trip through decoding (and a query of only
        # '&' has no pairs): sort the raw pairs, which is how botocore itself signs a prebuilt URL.
        pairs = [pair.partition("=")[::2] for pair in query.split("&")]
    return "&".join(f"{name}={value}" for name, value in sorted(pairs))


def _canonical_request(req: SignedRequest, signed_headers: Mapping[str, list[str]], body: bytes) -> str:
    """The SigV4 canonical request of what arrived, as botocore's SigV4Auth.canonical_request builds it."""
    parts = urlsplit(req.url)
    names = sorted(signed_headers)
    # Header values are trimmed and inner runs of whitespace collapsed; repeated headers join with ','.
    canonical_headers = "".join(
        f"{name}:{','.join(' '.join(v.split()) for v in signed_headers[name])}\n" for name in names)
    declared = signed_headers.get("x-amz-content-sha256")
    payload_hash = declared[0] if declared else sha256(body).hexdigest()
    return "\n".join((req.method.upper(), quote(normalize_url_path(parts.path), safe="/~"),
                      _canonical_query(parts.query), canonical_headers, ";".join(names), payload_hash))


@functools.lru_cache(maxsize=1024)
def _signing_key(secret: str, date: str, region: str, service: str) -> bytes:
    """The derived SigV4 key: it changes once a day per access key, region and service."""
    key = hmac.digest(f"AWS4{secret}".encode(), date.encode(), "sha256")
    for part in (region, service, "aws4_request"):
        key = hmac.digest(key, part.encode(), "sha256")
    return key


def _compute_signature(
    req: SignedRequest,
    signed_headers: Mapping[str, list[str]],
    body: bytes,
    secret: str,
    region: str,
    service: str,
    amz_date: str,
) -> str:
    """Recompute the hex signature for the request's own timestamp (the moment the client signed)."""
    canonical = _canonical_request(req, signed_headers, body)
    string_to_sign = "\n".join((ALGORITHM, amz_date, f"{amz_date[:8]}/{region}/{service}/aws4_request",
                                sha256(canonical.encode("utf-8")).hexdigest()))
    return hmac.new(_signing_key(secret, amz_date[:8], region, service), string_to_sign.encode("utf-8"),
                    sha256).hexdigest()
