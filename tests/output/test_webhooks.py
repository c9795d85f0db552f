"""Standard Webhooks signing and delivery of A2I status-change events, to a real local HTTP receiver."""

from __future__ import annotations

import base64
import hashlib
import hmac
import http.server
import json
import socket
import threading
import time
import uuid

import pytest

from hitl_service.output.webhooks import (
    WebhookDeliveryError,
    WebhookVerificationError,
    deliver_webhook,
    sign_webhook,
    status_change_event,
    verify_webhook,
)

KEY_BYTES = b"\x00\x01secret-key-bytes\xfe\xff" * 2
SECRET = "whsec_" + base64.b64encode(KEY_BYTES).decode()
LOOP = {
    "name": "loop-1",
    "arn": "arn:aws:sagemaker:us-east-1:123456789012:human-loop/loop-1",
    "flow_arn": "arn:aws:sagemaker:us-east-1:123456789012:flow-definition/fd-nlp",
    "status": "Completed",
    "created": "2021-07-06T22:33:08.456789+00:00",
    "failure_code": None,
    "failure_reason": None,
    "output_uri": "s3://bkt/a2i-results/fd-nlp/2021/07/06/22/33/08/loop-1/output.json",
}


def _by_hand(key: bytes, msg_id: str, timestamp: int, body: bytes) -> str:
    signed = msg_id.encode() + b"." + str(timestamp).encode() + b"." + body
    digest = hmac.new(key, signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


# --- signing -------------------------------------------------------------------------------------


def test_sign_matches_hand_computed_hmac():
    body = b'{"test": 2432232314}'
    assert sign_webhook(SECRET, "msg_1", 1700000000, body) == _by_hand(KEY_BYTES, "msg_1", 1700000000, body)
    # a secret without the whsec_ prefix is used as its UTF-8 bytes
    assert sign_webhook("plain-sécret", "msg_1", 1700000000, body) == _by_hand(
        "plain-sécret".encode(), "msg_1", 1700000000, body)


def test_sign_matches_standard_webhooks_reference_vector():
    # the test vector the Standard Webhooks reference libraries check against
    assert sign_webhook(
        "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330,
        b'{"test": 2432232314}',
    ) == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="


def test_bad_whsec_secret_is_rejected():
    with pytest.raises(ValueError):
        sign_webhook("whsec_not base64!", "m", 1, b"")


def _headers(secret=SECRET, msg_id="msg_1", ts=1700000000, body=b"{}"):
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(ts),
        "webhook-signature": sign_webhook(secret, msg_id, ts, body),
    }


def test_verify_round_trip():
    body = b'{"a":1}'
    verify_webhook(SECRET, _headers(body=body), body, now=1700000000)
    # header names are case-insensitive
    upper = {k.title(): v for k, v in _headers(body=body).items()}
    verify_webhook(SECRET, upper, body, now=1700000100)
    # secret rotation: any one matching v1 signature among several passes
    rotated = _headers(body=body)
    rotated["webhook-signature"] = "v1,AAAA v2,zzz " + rotated["webhook-signature"]
    verify_webhook(SECRET, rotated, body, now=1700000000)


@pytest.mark.parametrize(
    "change",
    [
        lambda h, b: (h, b + b" "),  # tampered body
        lambda h, b: ({**h, "webhook-id": "msg_2"}, b),  # id not the signed one
        lambda h, b: ({**h, "webhook-signature": "v1," + base64.b64encode(b"x" * 32).decode()}, b),
        lambda h, b: ({**h, "webhook-signature": h["webhook-signature"].replace("v1,", "v2,")}, b),
        lambda h, b: ({k: v for k, v in h.items() if k != "webhook-signature"}, b),
        lambda h, b: ({**h, "webhook-timestamp": "soon"}, b),
    ],
)
def test_verify_rejects_tampering(change):
    body = b'{"a":1}'
    headers, sent = change(_headers(body=body), body)
    with pytest.raises(WebhookVerificationError):
        verify_webhook(SECRET, headers, sent, now=1700000000)


def test_verify_rejects_wrong_secret():
    body = b'{"a":1}'
    with pytest.raises(WebhookVerificationError):
        other = "whsec_" + base64.b64encode(b"other-key").decode()
        verify_webhook(other, _headers(body=body), body, now=1700000000)


@pytest.mark.parametrize("now", [1700000000 + 301, 1700000000 - 301])
def test_verify_rejects_stale_or_future_timestamp(now):
    body = b"{}"
    with pytest.raises(WebhookVerificationError):
        verify_webhook(SECRET, _headers(body=body), body, now=now)
    verify_webhook(SECRET, _headers(body=body), body, tolerance=400, now=now)


# --- the event -----------------------------------------------------------------------------------


def test_status_change_event_shape():
    event = status_change_event(LOOP, region="us-east-1", account_id="123456789012",
                                event_time="2021-07-06T22:40:00.123+00:00")
    assert list(event) == [
        "version", "id", "detail-type", "source", "account", "time", "region", "resources", "detail",
    ]
    assert event["version"] == "0"
    assert uuid.UUID(event["id"]).version == 5
    assert event["detail-type"] == "SageMaker A2I HumanLoop Status Change"
    assert event["source"] == "aws.sagemaker"
    assert event["account"] == "123456789012"
    assert event["region"] == "us-east-1"
    assert event["time"] == "2021-07-06T22:40:00Z"
    assert event["resources"] == [LOOP["arn"]]
    assert event["detail"] == {
        "creationTime": "2021-07-06T22:33:08.456Z",
        "failureCode": None,
        "failureReason": None,
        "flowDefinitionArn": LOOP["flow_arn"],
        "humanLoopArn": LOOP["arn"],
        "humanLoopName": "loop-1",
        "humanLoopOutput": {"outputS3Uri": LOOP["output_uri"]},
        "humanLoopStatus": "Completed",
    }


def test_status_change_event_failed_without_output():
    loop = {**LOOP, "status": "Failed", "failure_code": "Expired", "failure_reason": "no answers in time",
            "output_uri": None, "created": "2021-07-06T22:33:08Z"}
    detail = status_change_event(loop, region="eu-west-1", account_id="123456789012")["detail"]
    assert detail["failureCode"] == "Expired"
    assert detail["failureReason"] == "no answers in time"
    assert detail["humanLoopOutput"] is None
    assert detail["creationTime"] == "2021-07-06T22:33:08.000Z"


def test_event_id_is_deterministic():
    kw = dict(region="us-east-1", account_id="123456789012")
    first = status_change_event(LOOP, **kw)
    time.sleep(0.01)
    assert status_change_event(dict(LOOP), **kw)["id"] == first["id"]
    # another status of the same loop is another event
    assert status_change_event({**LOOP, "status": "Stopped"}, **kw)["id"] != first["id"]
    # a new loop reusing a deleted loop's name (same ARN) gets new event ids
    assert status_change_event({**LOOP, "created": "2022-01-01T00:00:00Z"}, **kw)["id"] != first["id"]


# --- delivery ------------------------------------------------------------------------------------


class Receiver:
    """A real HTTP endpoint: /ok verifies the signature (204 or 401), /fail answers 500, /moved 302."""

    def __init__(self, secret: str):
        self.received: list[dict] = []
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                headers = dict(self.headers.items())
                verified = True
                try:
                    verify_webhook(secret, headers, body)
                except WebhookVerificationError:
                    verified = False
                outer.received.append(
                    {"path": self.path, "headers": headers, "body": body, "verified": verified})
                if self.path == "/fail":
                    self._reply(500, b"boom")
                elif self.path == "/moved":
                    self.send_response(302)
                    self.send_header("Location", "/ok")
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                else:
                    self._reply(204 if verified else 401, b"")

            def _reply(self, status, payload):
                self.send_response(status)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    r = Receiver(SECRET)
    yield r
    r.close()


def test_deliver_signed_event(receiver):
    event = status_change_event(LOOP, region="us-east-1", account_id="123456789012")
    assert deliver_webhook(receiver.url + "/ok", SECRET, event) == 204
    [got] = receiver.received
    assert got["verified"] is True
    assert json.loads(got["body"]) == event
    headers = {k.lower(): v for k, v in got["headers"].items()}
    assert headers["webhook-id"] == event["id"]
    assert headers["content-type"] == "application/json"
    assert abs(int(headers["webhook-timestamp"]) - time.time()) < 60
    # a redelivery carries the same webhook-id so the receiver can drop it
    deliver_webhook(receiver.url + "/ok", SECRET, event)
    assert {k.lower(): v for k, v in receiver.received[1]["headers"].items()}["webhook-id"] == event["id"]


def test_receiver_rejects_wrong_secret(receiver):
    event = status_change_event(LOOP, region="us-east-1", account_id="123456789012")
    with pytest.raises(WebhookDeliveryError) as info:
        deliver_webhook(receiver.url + "/ok", "some-other-secret", event)
    assert info.value.status == 401
    assert receiver.received[0]["verified"] is False


def test_deliver_500_raises_with_status(receiver):
    event = status_change_event(LOOP, region="us-east-1", account_id="123456789012")
    with pytest.raises(WebhookDeliveryError) as info:
        deliver_webhook(receiver.url + "/fail", SECRET, event)
    assert info.value.status == 500
    assert "500" in str(info.value)


def test_deliver_does_not_follow_redirects(receiver):
    event = status_change_event(LOOP, region="us-east-1", account_id="123456789012")
    with pytest.raises(WebhookDeliveryError) as info:
        deliver_webhook(receiver.url + "/moved", SECRET, event)
    assert info.value.status == 302
    assert [r["path"] for r in receiver.received] == ["/moved"]


def test_deliver_connection_refused():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    event = status_change_event(LOOP, region="us-east-1", account_id="123456789012")
    with pytest.raises(WebhookDeliveryError) as info:
        deliver_webhook(f"http://127.0.0.1:{port}/hook", SECRET, event)
    assert info.value.status is None


def test_deliver_times_out_on_silent_server():
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(4)  # connections complete in the backlog, nobody ever answers
        url = f"http://127.0.0.1:{listener.getsockname()[1]}/hook"
        event = status_change_event(LOOP, region="us-east-1", account_id="123456789012")
        with pytest.raises(WebhookDeliveryError) as info:
            deliver_webhook(url, SECRET, event, timeout=0.5)
        assert info.value.status is None


def test_deliver_refuses_non_http_urls(tmp_path):
    event = status_change_event(LOOP, region="us-east-1", account_id="123456789012")
    with pytest.raises(ValueError):
        deliver_webhook(f"file://{tmp_path}/x", SECRET, event)
