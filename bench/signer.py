"""A small, fast SigV4 signer for the load generators.

botocore's signer costs a few hundred microseconds per request, which is too slow to pre-sign tens of
thousands of requests or to sign inside a Python load generator. This one builds the same canonical
request for the simple requests the benchmarks send (signed headers ``content-type;host;x-amz-date``,
body hashed with SHA-256, as boto3 does over plain HTTP) and caches the day's signing key.
``bench/harness.py`` checks it against the service before any load is sent.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from urllib.parse import quote

ALGORITHM = "AWS4-HMAC-SHA256"


def _hmac(key: bytes, msg: str) -> bytes:
    return hmac.new(key, msg.encode(), hashlib.sha256).digest()


def canonical_query(params: dict[str, str] | None) -> str:
    if not params:
        return ""
    return "&".join(f"{quote(k, safe='-_.~')}={quote(str(v), safe='-_.~')}"
                    for k, v in sorted(params.items()))


class Signer:
    def __init__(self, akid: str, secret: str, host: str, region: str = "us-east-1", service: str = "sagemaker"):
        self.akid, self.secret, self.host = akid, secret, host
        self.region, self.service = region, service
        self._day = None
        self._key = b""

    def _signing_key(self, day: str) -> bytes:
        if day != self._day:
            k = _hmac(("AWS4" + self.secret).encode(), day)
            k = _hmac(k, self.region)
            k = _hmac(k, self.service)
            self._key = _hmac(k, "aws4_request")
            self._day = day
        return self._key

    def sign(self, method: str, path: str, query: str = "", body: bytes = b"",
             content_type: str = "application/json", amz_date: str | None = None) -> dict[str, str]:
        """Headers (Host, X-Amz-Date, Content-Type, Authorization) for the request; ``query`` is canonical."""
        amz_date = amz_date or time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
        day = amz_date[:8]
        signed = "content-type;host;x-amz-date"
        canonical = "\n".join([
            method, quote(path, safe="/~"), query,
            f"content-type:{content_type}\nhost:{self.host}\nx-amz-date:{amz_date}\n",
            signed, hashlib.sha256(body).hexdigest(),
        ])
        scope = f"{day}/{self.region}/{self.service}/aws4_request"
        to_sign = f"{ALGORITHM}\n{amz_date}\n{scope}\n{hashlib.sha256(canonical.encode()).hexdigest()}"
        sig = hmac.new(self._signing_key(day), to_sign.encode(), hashlib.sha256).hexdigest()
        return {
            "Host": self.host,
            "X-Amz-Date": amz_date,
            "Content-Type": content_type,
            "Authorization": f"{ALGORITHM} Credential={self.akid}/{scope}, SignedHeaders={signed}, Signature={sig}",
        }


def raw_request(method: str, target: str, headers: dict[str, str], body: bytes = b"") -> bytes:
    """HTTP/1.1 request bytes (keep-alive) for ``target`` (path plus ?query)."""
    lines = [f"{method} {target} HTTP/1.1"]
    lines += [f"{k}: {v}" for k, v in headers.items()]
    if body or method in ("POST", "PUT"):
        lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body
