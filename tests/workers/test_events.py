"""Status-change webhooks: A2I's EventBridge event, Standard Webhooks signatures, at-least-once delivery
with redelivery after failures, configured per flow (tags) or globally (settings), and the CLI's log."""

from __future__ import annotations

import base64
import os
import subprocess
import sys

import pytest

from hitl_service.output.webhooks import DETAIL_TYPE
from tests.conftest import ACCOUNT, REGION, ROOT, wait_until
from tests.workers.conftest import start_loop, worker_settings

TAG_SECRET = "whsec_" + base64.b64encode(b"flow-tag-webhook-secret-0123456").decode()
GLOBAL_SECRET = "global-webhook-secret-plain-text"
FAILURES = 2  # the receiver answers 500 this many times to every event before accepting it


def detail_for(describe: dict) -> dict:
    uri = describe.get("HumanLoopOutput", {}).get("OutputS3Uri")
    created = describe["CreationTime"]
    return {
        "creationTime": created.strftime("%Y-%m-%dT%H:%M:%S.") + f"{created.microsecond // 1000:03d}Z",
        "failureCode": describe.get("FailureCode"),
        "failureReason": describe.get("FailureReason"),
        "flowDefinitionArn": describe["FlowDefinitionArn"],
        "humanLoopArn": describe["HumanLoopArn"],
        "humanLoopName": describe["HumanLoopName"],
        "humanLoopOutput": {"outputS3Uri": uri} if uri else None,
        "humanLoopStatus": describe["HumanLoopStatus"],
    }


def events_cli(service) -> list[list[str]]:
    env = dict(os.environ, HITL_REDIS_URL=service.settings.redis_url)
    proc = subprocess.run([sys.executable, "-m", "hitl_service.cli", "events", "list", "--limit", "200"], cwd=ROOT,
                          env=env, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0].split() == ["time", "loop", "status", "url", "attempt", "result", "http_status"]
    return [line.split() for line in lines[1:]]


@pytest.mark.parametrize("configured_by", ["flow-tags", "settings"])
def test_status_changes_reach_the_webhook_signed_and_redelivered(configured_by, service, a2i, flow, reviewers,
                                                                 worker_factory, receiver_factory, tmp_path):
    secret = TAG_SECRET if configured_by == "flow-tags" else GLOBAL_SECRET
    receiver = receiver_factory(secret, fail_first=FAILURES)
    overrides, tags = {}, None
    if configured_by == "flow-tags":
        tags = [{"Key": "hitl:webhook-url", "Value": receiver.url}, {"Key": "hitl:webhook-secret", "Value": secret}]
    else:
        overrides = dict(webhook_urls=[receiver.url], webhook_secret=secret)
    worker_factory(worker_settings(service, tmp_path, **overrides), beat=True)
    _, flow_arn = flow(tags=tags)
    _, short_flow_arn = flow(tags=tags, lifetime=2)
    (reviewer,) = reviewers(1)

    completed = start_loop(a2i, flow_arn, {"text": "complete me"})
    reviewer.answer(wait_until, completed, {"answer": "done"})
    stopped = start_loop(a2i, flow_arn, {"text": "stop me"})
    a2i.stop_human_loop(HumanLoopName=stopped)
    expired = start_loop(a2i, short_flow_arn, {"text": "nobody answers me"})
    expected = {completed: "Completed", stopped: "Stopped", expired: "Failed"}

    def all_accepted():
        return all(receiver.events(name, status, accepted_only=True) for name, status in expected.items())
    wait_until(all_accepted, timeout=40, interval=0.1, message="every status event to be accepted")

    for name, status in expected.items():
        describe = a2i.describe_human_loop(HumanLoopName=name)
        assert describe["HumanLoopStatus"] == status
        seen = receiver.events(name)
        assert len(seen) >= FAILURES + 1
        assert [r["answered"] for r, _ in seen[:FAILURES + 1]] == [500] * FAILURES + [200]
        # every attempt is signed with the endpoint's secret and carries the same id and the same body
        assert all(r["verified"] for r, _ in seen)
        first, event = seen[0]
        assert {r["id"] for r, _ in seen} == {event["id"]}
        assert {r["body"] for r, _ in seen} == {first["body"]}
        assert first["headers"]["content-type"] == "application/json"
        assert list(event) == ["version", "id", "detail-type", "source", "account", "time", "region", "resources",
                               "detail"]
        assert event["detail-type"] == DETAIL_TYPE == "SageMaker A2I HumanLoop Status Change"
        assert event["source"] == "aws.sagemaker"
        assert event["account"] == ACCOUNT and event["region"] == REGION
        assert event["resources"] == [describe["HumanLoopArn"]]
        assert event["detail"] == detail_for(describe)
    assert receiver.events(completed)[0][1]["detail"]["humanLoopOutput"]["outputS3Uri"].endswith(
        f"/{completed}/output.json")
    assert receiver.events(stopped)[0][1]["detail"]["humanLoopOutput"] is None
    expired_detail = receiver.events(expired)[0][1]["detail"]
    assert expired_detail["failureCode"] == "Expired" and expired_detail["failureReason"]

    # the delivery log, newest first: two failed attempts, then the delivered one, per loop
    rows = events_cli(service)
    for name, status in expected.items():
        mine = [row for row in rows if row[1] == name]
        oldest_first = [(row[2], row[3], int(row[4]), row[5], row[6]) for row in reversed(mine)]
        assert oldest_first[:FAILURES + 1] == (
            [(status, receiver.url, n, "failed", "500") for n in range(1, FAILURES + 1)]
            + [(status, receiver.url, FAILURES + 1, "delivered", "200")])


def test_each_endpoint_is_retried_on_its_own(service, a2i, flow, reviewers, worker_factory, receiver_factory,
                                             tmp_path):
    """A flow endpoint that fails does not make a healthy global endpoint receive the event again."""
    failing = receiver_factory(TAG_SECRET, fail_first=FAILURES)
    healthy = receiver_factory(GLOBAL_SECRET)
    worker_factory(worker_settings(service, tmp_path, webhook_urls=[healthy.url], webhook_secret=GLOBAL_SECRET),
                   beat=True)
    _, flow_arn = flow(tags=[{"Key": "hitl:webhook-url", "Value": failing.url},
                             {"Key": "hitl:webhook-secret", "Value": TAG_SECRET}])
    (reviewer,) = reviewers(1)
    name = start_loop(a2i, flow_arn, {"text": "two endpoints"})
    reviewer.answer(wait_until, name, {"answer": "ok"})
    wait_until(lambda: failing.events(name, "Completed", accepted_only=True), timeout=30, interval=0.1,
               message="the failing endpoint to accept the event")
    assert [r["answered"] for r, _ in failing.events(name)] == [500] * FAILURES + [200]
    assert [r["answered"] for r, _ in healthy.events(name)] == [200]
    assert healthy.events(name)[0][0]["body"] == failing.events(name)[0][0]["body"]
    assert all(r["verified"] for r in failing.snapshot() + healthy.snapshot())


def test_event_of_a_loop_deleted_before_delivery_still_arrives(service, a2i, flow, reviewers, worker_factory,
                                                                receiver_factory, tmp_path):
    """Callers often delete a loop as soon as they have read its output; its event must still go out."""
    receiver = receiver_factory(GLOBAL_SECRET, fail_first=5)
    worker_factory(worker_settings(service, tmp_path, webhook_urls=[receiver.url], webhook_secret=GLOBAL_SECRET),
                   beat=True)
    _, flow_arn = flow()
    (reviewer,) = reviewers(1)
    name = start_loop(a2i, flow_arn, {"text": "delete me quickly"})
    reviewer.answer(wait_until, name, {"answer": "done"})
    wait_until(lambda: a2i.describe_human_loop(HumanLoopName=name)["HumanLoopStatus"] == "Completed",
               message="completed")
    expected = detail_for(a2i.describe_human_loop(HumanLoopName=name))
    wait_until(lambda: receiver.events(name), message="a first (refused) delivery attempt")
    assert not receiver.events(name, accepted_only=True)
    a2i.delete_human_loop(HumanLoopName=name)
    wait_until(lambda: receiver.events(name, "Completed", accepted_only=True), timeout=40,
               message="the event accepted after the loop was deleted")
    _, event = receiver.events(name, "Completed", accepted_only=True)[0]
    assert event["detail"] == expected
