"""Request plumbing shared by both API protocols: request ids, signature checks, error rendering."""

from __future__ import annotations

import json
import logging
import time
import uuid
from urllib.parse import quote

from flask import Response, current_app, g, request

from hitl_service.api.sigv4 import SignedRequest, verify_sigv4
from hitl_service.domain.strictjson import strict_loads
from hitl_service.errors import HitlError, InternalServerError, SerializationError, ServiceUnavailableError
from hitl_service.store.client import is_unavailable

log = logging.getLogger("hitl_service.api")


def begin_request() -> None:
    g.request_id = str(uuid.uuid4())
    g.started = time.perf_counter()
    g.operation = None


def raw_url() -> str:
    env = request.environ
    raw = env.get("RAW_URI") or env.get("REQUEST_URI")
    if not raw:
        raw = quote(env.get("SCRIPT_NAME", "") + env.get("PATH_INFO", ""))
        if env.get("QUERY_STRING"):
            raw += "?" + env["QUERY_STRING"]
    return f"http://{request.host}{raw}"


def check_signature(settings) -> str:
    """Verify the request's SigV4 signature against the configured keys; return the access key id."""
    signed = SignedRequest(method=request.method, url=raw_url(), headers=request.headers,
                           body=request.get_data(cache=True))
    akid = verify_sigv4(signed, settings.access_keys, max_skew_seconds=settings.max_clock_skew_seconds,
                        service="sagemaker")
    g.access_key = akid
    return akid


JSON_MEDIA_TYPES = ("application/x-amz-json-1.1", "application/x-amz-json-1.0", "application/json")


def media_type() -> str:
    """The request's Content-Type without parameters (charset), lower-cased; '' when absent."""
    return request.mimetype or ""


# No operation's input nests deeper than a handful of levels; a deeper body is refused before any
# code walks it (Python's parser would otherwise recurse until it runs out of stack).
MAX_BODY_DEPTH = 32


def json_body() -> dict:
    """The request's JSON object; anything that is not strict JSON is a SerializationException."""
    raw = request.get_data(cache=True)
    if not raw.strip():
        return {}
    try:
        # strings are checked per member by the schema, so a bad one is reported with its field name
        data = strict_loads(raw, max_depth=MAX_BODY_DEPTH, check_strings=False)
    except (ValueError, UnicodeDecodeError) as exc:
        raise SerializationError(f"Request body is not valid JSON: {exc}") from None
    if not isinstance(data, dict):
        raise SerializationError("Request body must be a JSON object")
    return data


def json_response(payload: dict, status: int = 200, content_type: str = "application/json",
                  headers: dict | None = None) -> Response:
    resp = Response(json.dumps(payload, separators=(",", ":")), status=status, content_type=content_type)
    for k, v in (headers or {}).items():
        resp.headers[k] = v
    return resp


def as_service_error(exc: Exception) -> Exception:
    """A store outage becomes a retryable ServiceUnavailable (503, which boto3 retries); the
    details (hosts, ports) go to the log only."""
    if not isinstance(exc, HitlError) and is_unavailable(exc):
        log.warning("state store unavailable request_id=%s error=%s", getattr(g, "request_id", "-"), exc)
        return ServiceUnavailableError("The service is temporarily unavailable; retry the request.")
    return exc


def error_payload(exc: Exception, protocol: str) -> tuple[str, int, str]:
    exc = as_service_error(exc)
    if not isinstance(exc, HitlError):
        log.exception("unhandled error request_id=%s", getattr(g, "request_id", "-"))
        exc = InternalServerError("An internal error occurred; the request id identifies it in the service log.")
    code, status = exc.code_for(protocol)
    return code, status, exc.message


def finish_request(response: Response) -> Response:
    rid = getattr(g, "request_id", None)
    if rid:
        response.headers["x-amzn-RequestId"] = rid
        elapsed = (time.perf_counter() - g.started) * 1000
        # DEBUG, not INFO: formatting and writing a line per request was ~8 % of StartHumanLoop's CPU
        # (plus lock contention between gunicorn threads); LOG_LEVEL=DEBUG brings it back.
        if current_app.config.get("HITL_ACCESS_LOG", True) and log.isEnabledFor(logging.DEBUG):
            log.debug("request request_id=%s method=%s path=%s op=%s loop=%s status=%s ms=%.1f", rid, request.method,
                     request.path, g.get("operation") or "-", g.get("loop") or "-", response.status_code, elapsed)
    return response
