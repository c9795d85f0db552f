"""A labeling job's status-change event (EventBridge's Ground Truth shape), delivered to webhooks at least once."""

from __future__ import annotations

import json
import logging
import uuid

from hitl_service.domain.timefmt import now_ms, utc_from_ms
from hitl_service.services.context import ServiceContext
from hitl_service.services.finalize import backoff_seconds

log = logging.getLogger(__name__)

DETAIL_TYPE = "SageMaker Ground Truth Labeling Job State Change"
_NAMESPACE = uuid.UUID("6b8f9a2e-7f0e-4d8e-9f57-1b1c2d3e4f50")


def job_event(ctx: ServiceContext, job: dict) -> dict:
    """The event for the job's current (terminal) status; the same body on every redelivery."""
    when = utc_from_ms(int(job["modified_ms"]))
    detail = {"LabelingJobStatus": job["status"], "LabelingJobName": job["name"]}
    if job.get("failure_reason"):
        detail["FailureReason"] = job["failure_reason"]
    if job.get("output_uri"):
        detail["LabelingJobOutput"] = {"OutputDatasetS3Uri": job["output_uri"]}
    return {
        "version": "0",
        "id": str(uuid.uuid5(_NAMESPACE, f"{job['arn']}|{job['created_ms']}|{job['status']}")),
        "detail-type": DETAIL_TYPE,
        "source": "aws.sagemaker",
        "account": ctx.settings.account_id,
        "time": when.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": ctx.settings.region,
        "resources": [job["arn"]],
        "detail": detail,
    }


def endpoints(ctx: ServiceContext, job: dict) -> list[dict]:
    """The job's own webhook endpoints (``hitl:webhook-url`` tags) plus the global ones."""
    hooks = json.loads(job.get("webhooks") or "[]")
    hooks += [{"url": u, "secret": ctx.settings.webhook_secret or ""} for u in ctx.settings.webhook_urls]
    return hooks


def deliver(ctx: ServiceContext, name: str, job: dict) -> bool:
    """Send the terminal event to every endpoint not yet done; True when nothing is left to send."""
    from hitl_service.output.webhooks import WebhookDeliveryError, deliver_webhook

    if int(job.get("event_next_ms") or 0) > now_ms():
        return False
    done = set(json.loads(job.get("event_done") or "[]"))
    event = job_event(ctx, job)
    failed = False
    for hook in endpoints(ctx, job):
        if hook["url"] in done:
            continue
        try:
            deliver_webhook(hook["url"], hook.get("secret") or "", event)
            done.add(hook["url"])
            log.info("job webhook delivered job=%s status=%s", name, job["status"])
        except (WebhookDeliveryError, ValueError) as exc:
            failed = True
            log.warning("job webhook failed job=%s error=%s", name, exc)
    attempt = int(job.get("event_attempts") or 0) + 1
    fields = {"event_done": json.dumps(sorted(done)), "event_attempts": attempt}
    if failed:
        fields["event_next_ms"] = now_ms() + int(backoff_seconds(attempt, ctx.settings.webhook_backoff_max_seconds) * 1000)
    ctx.store.jobs.set_fields(name, **fields)
    return not failed
