"""Shared pieces of the worker tests: moto as S3 over HTTP, a webhook receiver, reviewers over HTTP."""

from __future__ import annotations

import dataclasses
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import boto3
import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families

from hitl_service.output.webhooks import WebhookVerificationError, verify_webhook
from hitl_service.services.reviewers import add_reviewer
from tests.conftest import REGION, make_settings
from tests.support.procs import MotoServer
from tests.support.resources import create_flow, create_team, unique

BUCKET = "hitl-output"
PASSWORD = "reviewer-password-1"


def s3_client(endpoint_url: str):
    return boto3.client("s3", endpoint_url=endpoint_url, region_name=REGION,
                        aws_access_key_id="testing", aws_secret_access_key="testing")


def worker_settings(service, data_dir, *, backend="local", moto=None, **overrides):
    """Settings for a Celery worker on the test service's Redis, with quick retries."""
    values = dict(output_backend=backend, finalize_backoff_max_seconds=0.5, webhook_backoff_max_seconds=0.5,
                  outbox_grace_seconds=1.0, reaper_interval_seconds=0.3)
    if backend == "s3":
        values.update(s3_endpoint_url=moto.url if moto else None, s3_region=REGION, s3_access_key_id="testing",
                      s3_secret_access_key="testing")
    values.update(overrides)
    return make_settings(service.settings.redis_url, str(data_dir), **values)


@pytest.fixture
def deferred_routing(service):
    """The API as with HITL_ROUTE_INLINE=false: started loops wait in the route outbox for the drain task
    (the fallback path, which these tests exercise on its own)."""
    ctx = service.ctx
    shipped = ctx.settings
    ctx.settings = dataclasses.replace(shipped, route_inline=False)
    yield
    ctx.settings = shipped


@pytest.fixture(scope="module")
def moto():
    server = MotoServer().start()
    yield server
    server.stop()


@pytest.fixture
def bucket(moto):
    client = s3_client(moto.url)
    try:
        client.create_bucket(Bucket=BUCKET)
    except client.exceptions.BucketAlreadyOwnedByYou:
        pass
    return client


class Reviewer:
    """One reviewer account, answering through the review JSON API with HTTP Basic auth."""

    def __init__(self, service, name: str, groups=("reviewers",)):
        self.url = service.url
        self.name = name
        self.record = add_reviewer(service.ctx, name, PASSWORD, list(groups))
        self.http = requests.Session()
        self.http.auth = (name, PASSWORD)

    @property
    def worker_id(self) -> str:
        return self.record["workerId"]

    @property
    def sub(self) -> str:
        return self.record["sub"]

    def claim(self) -> dict | None:
        resp = self.http.post(f"{self.url}/review/api/assignments/claim", json={}, timeout=10)
        resp.raise_for_status()
        return resp.json()["assignment"]

    def claim_wait(self, wait_until, loop_name: str | None = None) -> dict:
        """Claim until an assignment comes (the loop is routed by a worker first)."""
        assignment = wait_until(self.claim, timeout=20, interval=0.1, message=f"an assignment for {self.name}")
        if loop_name is not None:
            assert assignment["humanLoopName"] == loop_name
        return assignment

    def submit(self, token: str, answer: dict) -> dict:
        resp = self.http.post(f"{self.url}/review/api/assignments/{token}/submit",
                              json={"answerContent": answer}, timeout=10)
        assert resp.status_code == 200, resp.text
        return resp.json()

    def answer(self, wait_until, loop_name: str, answer: dict) -> dict:
        return self.submit(self.claim_wait(wait_until, loop_name)["token"], answer)


@pytest.fixture
def reviewers(service):
    def make(count: int = 1, groups=("reviewers",)) -> list[Reviewer]:
        return [Reviewer(service, unique("rev"), groups) for _ in range(count)]
    return make


@pytest.fixture
def flow(sm):
    """A flow on a fresh team (group "reviewers"); returns (name, arn)."""
    def make(**kw):
        team_arn = create_team(sm)[1]
        return create_flow(sm, team_arn=team_arn, output=kw.pop("output", f"s3://{BUCKET}/results/a2i"), **kw)
    return make


def start_loop(a2i, flow_arn: str, content: dict, name: str | None = None) -> str:
    name = name or unique("loop")
    a2i.start_human_loop(HumanLoopName=name, FlowDefinitionArn=flow_arn,
                         HumanLoopInput={"InputContent": json.dumps(content)})
    return name


def metrics(service) -> dict[str, float]:
    """Unlabelled samples of /metrics by sample name (counters end in _total)."""
    text = requests.get(f"{service.url}/metrics", timeout=10).text
    out = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if not sample.labels:
                out[sample.name] = sample.value
    return out


class WebhookReceiver:
    """An HTTP endpoint on 127.0.0.1 that verifies Standard Webhooks signatures and records deliveries.

    ``fail_first`` makes it answer 500 to the first N requests of every webhook-id.
    """

    def __init__(self, secret: str, fail_first: int = 0):
        self.secret = secret
        self.fail_first = fail_first
        self.requests: list[dict] = []
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("content-length") or 0))
                headers = {k.lower(): v for k, v in self.headers.items()}
                try:
                    verify_webhook(receiver.secret, headers, body)
                    verified = True
                except WebhookVerificationError:
                    verified = False
                with receiver.lock:
                    seen = sum(1 for r in receiver.requests if r["id"] == headers.get("webhook-id"))
                    status = 500 if seen < receiver.fail_first else (200 if verified else 401)
                    receiver.requests.append({"id": headers.get("webhook-id"), "headers": headers, "body": body,
                                              "verified": verified, "answered": status})
                self.send_response(status)
                self.send_header("content-length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hooks/a2i"

    def start(self) -> "WebhookReceiver":
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def snapshot(self) -> list[dict]:
        with self.lock:
            return list(self.requests)

    def events(self, loop_name: str | None = None, status: str | None = None, accepted_only: bool = False):
        """Parsed event bodies (one per request), filtered by loop name and status."""
        out = []
        for r in self.snapshot():
            event = json.loads(r["body"])
            detail = event.get("detail", {})
            if loop_name is not None and detail.get("humanLoopName") != loop_name:
                continue
            if status is not None and detail.get("humanLoopStatus") != status:
                continue
            if accepted_only and r["answered"] != 200:
                continue
            out.append((r, event))
        return out


@pytest.fixture
def receiver_factory():
    started: list[WebhookReceiver] = []

    def make(secret: str, fail_first: int = 0) -> WebhookReceiver:
        r = WebhookReceiver(secret, fail_first).start()
        started.append(r)
        return r

    yield make
    for r in started:
        r.stop()
