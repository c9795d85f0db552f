"""Reviewers working labeling-job objects: claim, show, heartbeat, release, submit.

A token is ``job~<job name>~<lease id>`` (job names and lease ids never contain ``~``; loop lease
ids are ``<team>.<random>``), so each call finds its job without a global lookup.
"""

from __future__ import annotations

import functools
import json
import logging
import secrets

from hitl_service.domain.labeling import LabelingJobStatus, TaskType
from hitl_service.domain.timefmt import iso_ms, now_ms
from hitl_service.errors import LeaseError, NotFoundError, ValidationError
from hitl_service.jobs.manifest import DataObject
from hitl_service.jobs.preprocess import builtin_task_input
from hitl_service.jobs.work import categories_of
from hitl_service.services.context import ServiceContext, dispatch_safely
from hitl_service.services.reviewers import identity_data, teams_of
from hitl_service.store.jobs import LeaseOutcome
from hitl_service.workforce import audit

log = logging.getLogger(__name__)

_MESSAGES = {
    LeaseOutcome.NO_LEASE: "This task is not leased to you (it was submitted, released, or its lease ended)",
    LeaseOutcome.NOT_YOURS: "This task is leased to another reviewer",
    LeaseOutcome.EXPIRED: "Your lease on this task expired; it went back to the queue and your answer was not stored",
    LeaseOutcome.CLOSED: "This object is no longer accepting answers (it expired or its job was stopped)",
}


TOKEN_PREFIX = "job~"
CLAIM_REAP = 20   # expired leases a claim gives back first (job_claim.lua)


def is_job_token(token: str) -> bool:
    """Whether a reviewer token is a job task's rather than a loop's."""
    return str(token).startswith(TOKEN_PREFIX)


def template_of(ctx: ServiceContext, name: str) -> str:
    """The Liquid template a job's tasks render: its HumanTaskUi's, or the one read from UiTemplateS3Uri."""
    from hitl_service.services.resources import get_human_task_ui

    job = ctx.store.jobs.get(name)
    if job is None:
        raise LeaseError(_MESSAGES[LeaseOutcome.CLOSED])
    if job.get("ui_kind") == "s3":
        return job.get("template", "")
    return get_human_task_ui(ctx, job["ui"])["content"]


def _split(token: str) -> tuple[str, str]:
    name, sep, lease_id = str(token)[len(TOKEN_PREFIX):].partition("~")
    if not is_job_token(token) or not sep or not name or not lease_id:
        raise LeaseError(_MESSAGES[LeaseOutcome.NO_LEASE])
    return name, lease_id


def task_input(job: dict, oid: int, line: str | None, custom: str | None) -> dict:
    """The taskInput the template renders: the custom function's, or GT's built-in one."""
    if custom:
        return json.loads(custom)
    obj = DataObject(oid, json.loads(line or "{}"), line or "")
    return builtin_task_input(TaskType(job["task_type"]), obj, categories_of(job), title=job["title"],
                              label_attribute=job.get("attribute"))


def _view(ctx: ServiceContext, job: dict, token: str, oid: int, accepted_ms: int, expires_ms: int,
          deadline_ms: int, escalation: bool = False) -> dict:
    cats = categories_of(job)
    line, custom = ctx.store.jobs.object_input(job["name"], oid)
    return {
        "token": token,
        "labelingJobName": job["name"],
        "labelingJobArn": job["arn"],
        "datasetObjectId": str(oid),
        # an escalation task is the escalation workteam's work (the review page filters by it)
        "workteam": job.get("escalation_team") if escalation and job.get("escalation_team") else job["team"],
        "taskTitle": job["title"],
        "taskDescription": job["description"],
        "shortInstruction": cats.short_instruction if cats else "",
        "fullInstruction": cats.full_instruction if cats else "",
        "acceptedAt": iso_ms(accepted_ms),
        "expiresAt": iso_ms(expires_ms),
        "deadlineAt": iso_ms(deadline_ms),
        "input": task_input(job, oid, line, custom),
    }


def _team_of(ctx: ServiceContext, name: str) -> str:
    """The job's workteam (the console counts a team's submits by it); '' if the job is gone."""
    return (ctx.store.jobs.summaries([name])[0] or {}).get("team") or ""


def claim(ctx: ServiceContext, reviewer: dict, team: str | None = None) -> dict | None:
    """Lease the next object from the oldest running job of the reviewer's teams, or None."""
    teams = teams_of(ctx, reviewer)
    if team is not None:
        if team not in teams:
            raise NotFoundError(f"You are not a member of workteam {team}")
        teams = [team]
    worker = reviewer["worker_id"]
    window = ctx.settings.lease_heartbeat_seconds * 1000
    candidates = []
    for job in ctx.store.jobs.records(ctx.store.jobs.active_names()):
        if job["status"] == LabelingJobStatus.IN_PROGRESS.value and (
                job["team"] in teams or job.get("escalation_team") in teams):
            candidates.append(job)
    for job in sorted(candidates, key=lambda j: int(j["created_ms"])):
        lease_id = secrets.token_urlsafe(18)
        now = now_ms()
        # the claim script first gives back the job's expired leases; audit.job_reaping records them;
        # a member of the escalation workteam (and not of the first) answers the escalated objects
        escalation = job["team"] not in teams
        step = functools.partial(ctx.store.jobs.claim, job["name"], worker, now, lease_id, window,
                                 escalation=escalation)
        got = audit.job_reaping(ctx, job["name"], job["team"], step, limit=CLAIM_REAP)
        if got is not None:
            token = f"{TOKEN_PREFIX}{job['name']}~{lease_id}"
            log.info("job object claimed job=%s object=%s worker=%s", job["name"], got.object_id, worker)
            audit.reviewer_action(ctx, "claim", reviewer, audit.job_object(job["name"], got.object_id),
                                  detail={"workteam": job["team"], "lease": token})
            return _view(ctx, job, token, got.object_id, now, got.expires_ms, got.deadline_ms, escalation)
    return None


def show(ctx: ServiceContext, reviewer: dict, token: str) -> dict:
    """The leased task with its taskInput."""
    name, lease_id = _split(token)
    info = ctx.store.jobs.lease_info(name, lease_id)
    if info is None:
        raise LeaseError(_MESSAGES[LeaseOutcome.NO_LEASE])
    if info["worker"] != reviewer["worker_id"]:
        raise LeaseError(_MESSAGES[LeaseOutcome.NOT_YOURS])
    if info["expires_ms"] < now_ms():
        raise LeaseError(_MESSAGES[LeaseOutcome.EXPIRED])
    job = ctx.store.jobs.get(name)
    if job is None:
        raise LeaseError(_MESSAGES[LeaseOutcome.CLOSED])
    return _view(ctx, job, token, info["object_id"], info["accepted_ms"], info["expires_ms"],
                 info["deadline_ms"], info["stage"] == "escalation")


def heartbeat(ctx: ServiceContext, reviewer: dict, token: str) -> dict:
    """Push the lease end out by the heartbeat window, never past the task time limit."""
    name, lease_id = _split(token)
    outcome, times = ctx.store.jobs.lease(name, lease_id, reviewer["worker_id"], now_ms(),
                                          window_ms=ctx.settings.lease_heartbeat_seconds * 1000)
    if times is None:
        raise LeaseError(_MESSAGES[outcome])
    return {"expiresAt": iso_ms(times.expires_ms), "deadlineAt": iso_ms(times.deadline_ms)}


def release(ctx: ServiceContext, reviewer: dict, token: str) -> None:
    """Hand the task back to the queue at once."""
    name, lease_id = _split(token)
    info = ctx.store.jobs.lease_info(name, lease_id)   # which object, for the audit record
    outcome, _ = ctx.store.jobs.lease(name, lease_id, reviewer["worker_id"], now_ms(), release=True)
    if outcome is not LeaseOutcome.RELEASED:
        raise LeaseError(_MESSAGES[outcome])
    audit.reviewer_action(ctx, "release", reviewer, audit.job_object(name, info["object_id"] if info else ""),
                          detail={"workteam": _team_of(ctx, name), "lease": token})


def submit(ctx: ServiceContext, reviewer: dict, token: str, answer_content) -> dict:
    """Store the answer; an object's last answer wakes the job's worker to consolidate it."""
    if not isinstance(answer_content, dict):
        raise ValidationError("answerContent must be a JSON object (the crowd-form's answer)")
    name, lease_id = _split(token)
    info = ctx.store.jobs.lease_info(name, lease_id)
    if info is None:
        raise LeaseError(_MESSAGES[LeaseOutcome.NO_LEASE])
    now = now_ms()
    answer = {
        "answerContent": answer_content,
        "acceptanceTime": iso_ms(info["accepted_ms"]),
        "submissionTime": iso_ms(now),
        "timeSpentInSeconds": round((now - info["accepted_ms"]) / 1000, 3),
        "workerId": reviewer["worker_id"],
        "workerMetadata": identity_data(ctx, reviewer),
    }
    if len(json.dumps(answer)) > ctx.settings.max_answer_bytes:
        raise ValidationError(f"answerContent is larger than the {ctx.settings.max_answer_bytes}-byte limit")
    result = ctx.store.jobs.submit(name, lease_id, reviewer["worker_id"], now, answer)
    if result.outcome is not None:
        raise LeaseError(_MESSAGES[result.outcome])
    log.info("job answer job=%s object=%s worker=%s complete=%s", name, result.object_id, reviewer["worker_id"],
             result.complete)
    audit.reviewer_action(ctx, "submit", reviewer, audit.job_object(name, result.object_id),
                          detail={"seconds": answer["timeSpentInSeconds"], "workteam": _team_of(ctx, name)})
    if result.complete:
        dispatch_safely(ctx.dispatcher.job_work, name)
    return {"labelingJobName": name, "datasetObjectId": str(result.object_id), "submissionTime": answer["submissionTime"]}
