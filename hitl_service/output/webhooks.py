"""Human loop status-change events, delivered as signed webhooks (the Standard Webhooks scheme).

The event body is A2I's EventBridge event, so code written for AWS's event parses ours unchanged.
Signing follows https://www.standardwebhooks.com: headers ``webhook-id``, ``webhook-timestamp`` and
``webhook-signature: v1,<base64 HMAC-SHA256 of "{id}.{timestamp}.{body}">``.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import logging
import time
import urllib.error
import urllib.request
import uuid
from datetime import datetime, timezone
from typing import Mapping
from urllib.parse import urlsplit

log = logging.getLogger(__name__)

SECRET_PREFIX = "whsec_"
DETAIL_TYPE = "SageMaker A2I HumanLoop Status Change"
USER_AGENT = "hitl-service-webhooks/1"
# Fixed namespace so event ids are stable across processes, restarts and versions.
_EVENT_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "urn:hitl-service:human-loop-status-change")


class WebhookVerificationError(Exception):
    """A webhook whose headers, timestamp or signature do not check out."""


class WebhookDeliveryError(Exception):
    """A delivery that did not get a 2xx answer; ``status`` is None when no HTTP answer came back."""

    def __init__(self, message: str, *, status: int | None = None):
        super().__init__(message)
        self.status = status


def _secret_bytes(secret: str) -> bytes:
    if secret.startswith(SECRET_PREFIX):
        try:
            return base64.b64decode(secret[len(SECRET_PREFIX):], validate=True)
        except (binascii.Error, ValueError):
            raise ValueError("webhook secret starts with whsec_ but the rest is not base64") from None
    return secret.encode("utf-8")


def _signature(key: bytes, msg_id: str, timestamp: int, body: bytes) -> str:
    signed = f"{msg_id}.{timestamp}.".encode("utf-8") + body
    return base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode("ascii")


def sign_webhook(secret: str, msg_id: str, timestamp: int, body: bytes) -> str:
    """The ``webhook-signature`` header value ``v1,<base64 signature>`` for this message."""
    return "v1," + _signature(_secret_bytes(secret), msg_id, int(timestamp), body)


def _header(headers: Mapping[str, str], name: str) -> str | None:
    # HTTP header names are case-insensitive and frameworks disagree on how they store them
    value = headers.get(name)
    if value is None:
        for k, v in headers.items():
            if k.lower() == name:
                return v
    return value


def verify_webhook(
    secret: str, headers: Mapping[str, str], body: bytes, tolerance: int = 300, now: float | None = None
) -> None:
    """Check a received webhook's signature and timestamp; raise ``WebhookVerificationError`` if wrong."""
    msg_id = _header(headers, "webhook-id")
    stamp = _header(headers, "webhook-timestamp")
    signatures = _header(headers, "webhook-signature")
    if not msg_id or not stamp or not signatures:
        raise WebhookVerificationError("missing webhook-id, webhook-timestamp or webhook-signature header")
    try:
        timestamp = int(stamp)
    except ValueError:
        raise WebhookVerificationError("webhook-timestamp is not an integer") from None
    current = time.time() if now is None else now
    # both directions: an old message may be a replay, a future one a clock problem or forgery
    if abs(current - timestamp) > tolerance:
        raise WebhookVerificationError("webhook-timestamp is outside the tolerance window")
    expected = _signature(_secret_bytes(secret), msg_id, timestamp, body)
    # the header may carry several space-separated signatures (secret rotation); any v1 match passes
    for candidate in signatures.split():
        version, _, value = candidate.partition(",")
        given = value.encode("ascii", "replace")
        if version == "v1" and hmac.compare_digest(given, expected.encode("ascii")):
            return
    raise WebhookVerificationError("no matching webhook signature")


def _iso_millis(value: str | datetime) -> str:
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    moment = moment.astimezone(timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def event_id(loop_arn: str, created: str, status: str) -> str:
    """The stable id of one status change of one loop (the same on every redelivery)."""
    # the creation time is part of the seed because a deleted loop's name (and so its ARN) may be
    # reused; without it the new loop's events would look like duplicates of the old one's
    return str(uuid.uuid5(_EVENT_NAMESPACE, f"{loop_arn}|{_iso_millis(created)}|{status}"))


def status_change_event(
    loop: dict, *, region: str, account_id: str, event_time: datetime | str | None = None
) -> dict:
    """A2I's EventBridge "SageMaker A2I HumanLoop Status Change" event for ``loop``.

    ``loop`` keys: ``name``, ``arn``, ``flow_arn``, ``status`` (Completed, Failed or Stopped),
    ``created`` (ISO 8601 string; naive means UTC), and optional ``failure_code``,
    ``failure_reason`` and ``output_uri`` (the s3:// URI of output.json, absent if none was
    written). ``event_time`` is when the status changed (default: now); pass the stored time so
    redeliveries carry the same body.
    """
    when = datetime.now(timezone.utc) if event_time is None else event_time
    if isinstance(when, str):
        when = datetime.fromisoformat(when)
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    output_uri = loop.get("output_uri")
    return {
        "version": "0",
        "id": event_id(loop["arn"], loop["created"], loop["status"]),
        "detail-type": DETAIL_TYPE,
        "source": "aws.sagemaker",
        "account": account_id,
        "time": when.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": region,
        "resources": [loop["arn"]],
        "detail": {
            "creationTime": _iso_millis(loop["created"]),
            "failureCode": loop.get("failure_code"),
            "failureReason": loop.get("failure_reason"),
            "flowDefinitionArn": loop["flow_arn"],
            "humanLoopArn": loop["arn"],
            "humanLoopName": loop["name"],
            "humanLoopOutput": {"outputS3Uri": output_uri} if output_uri else None,
            "humanLoopStatus": loop["status"],
        },
    }


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    # a redirected webhook would be re-sent (or silently turned into a GET) to a URL nobody configured
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


_opener = urllib.request.build_opener(_NoRedirect)


def _safe_url(url: str) -> str:
    # webhook URLs often carry tokens in userinfo or the query string; keep them out of logs
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.hostname or ''}{':%d' % parts.port if parts.port else ''}{parts.path}"


def deliver_webhook(url: str, secret: str | None, event: dict, *, timeout: float = 5.0) -> int:
    """POST ``event`` as signed JSON to ``url``; return the 2xx status or raise ``WebhookDeliveryError``.

    ``webhook-id`` is the event's ``id`` so a receiver can drop redeliveries; the timestamp and
    signature are fresh on every attempt. With ``secret`` None the request is sent unsigned.
    """
    if urlsplit(url).scheme not in ("http", "https"):
        # urllib would happily open file:// or ftp:// URLs
        raise ValueError(f"webhook URL must be http or https: {url!r}")
    body = json.dumps(event, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    msg_id = str(event["id"])
    timestamp = int(time.time())
    headers = {
        "content-type": "application/json",
        "user-agent": USER_AGENT,
        "webhook-id": msg_id,
        "webhook-timestamp": str(timestamp),
    }
    if secret:
        headers["webhook-signature"] = sign_webhook(secret, msg_id, timestamp, body)
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    where = _safe_url(url)
    try:
        with _opener.open(request, timeout=timeout) as response:
            status = response.status
            response.read(65536)  # drain a little so keep-alive servers are not cut off mid-reply
    except urllib.error.HTTPError as exc:
        status = exc.code
        try:
            snippet = exc.read(200).decode("utf-8", "replace") if exc.fp else ""
        except OSError:
            snippet = ""  # the error body is only a debugging aid
        finally:
            exc.close()
        log.warning("webhook rejected url=%s webhook_id=%s status=%d", where, msg_id, status)
        raise WebhookDeliveryError(f"webhook {where} answered {status}: {snippet}", status=status) from None
    except (urllib.error.URLError, OSError) as exc:
        # URLError wraps refused/unresolvable; timeouts and resets arrive as bare OSErrors
        reason = getattr(exc, "reason", exc)
        log.warning("webhook unreachable url=%s webhook_id=%s error=%s", where, msg_id, reason)
        raise WebhookDeliveryError(f"webhook {where} unreachable: {reason}", status=None) from exc
    if not 200 <= status < 300:
        # urllib raises HTTPError for most non-2xx, but 1xx/3xx edge cases can still land here
        raise WebhookDeliveryError(f"webhook {where} answered {status}", status=status)
    log.info("webhook delivered url=%s webhook_id=%s status=%d", where, msg_id, status)
    return status
