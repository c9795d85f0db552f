"""Labeling jobs on the control plane: create, describe, list, stop (the API side; no slow I/O here)."""

from __future__ import annotations

import json
import logging
import uuid

from hitl_service.domain.labeling import LabelingJobStatus, TaskType
from hitl_service.domain.names import name_from_arn
from hitl_service.domain.pagination import decode_token, encode_token
from hitl_service.domain.timefmt import now_ms, to_ms
from hitl_service.errors import NotFoundError, ResourceInUseError, ValidationError
from hitl_service.jobs import tasktypes
from hitl_service.jobs.autolabel import service as autolabel_service
from hitl_service.jobs.manifest import split_uri
from hitl_service.output.document import parse_output_path
from hitl_service.services.context import ServiceContext, dispatch_safely
from hitl_service.services.resources import webhooks_from_tags
from hitl_service.store import keys
from hitl_service.store.jobs import CreateOutcome, StopOutcome

log = logging.getLogger(__name__)

MAX_TASK_TIME_LIMIT = 28_800
MAX_TASK_LIFETIME = 864_000
DEFAULT_TASK_LIFETIME = 864_000
DEFAULT_MAX_CONCURRENT = 1000
# task types that need a label category file (custom jobs may go without one, as on GT)
NEEDS_CATEGORIES = frozenset(t for t in TaskType if t is not TaskType.CUSTOM)


def _field_error(field: str, message: str) -> ValidationError:
    return ValidationError(f"{field}: {message}")


def _check_uri(field: str, uri: str, *, object_key: bool) -> None:
    try:
        if object_key:
            split_uri(uri)
        else:
            parse_output_path(uri)
    except ValueError as exc:
        raise _field_error(field, str(exc)) from None


def _resolve_team(ctx: ServiceContext, arn: str) -> str:
    name = name_from_arn(arn, "workteam")
    if name is None or ctx.arns.workteam(name) != arn or ctx.store.resources.get_team(name) is None:
        raise _field_error("HumanTaskConfig.WorkteamArn", f"workteam {arn} does not exist")
    return name


def _resolve_ui(ctx: ServiceContext, ui_config: dict) -> tuple[str, str]:
    """('arn', ui name) or ('s3', template URI) for the job's task UI."""
    has_arn, has_s3 = "HumanTaskUiArn" in ui_config, "UiTemplateS3Uri" in ui_config
    if has_arn == has_s3:
        raise _field_error("HumanTaskConfig.UiConfig", "specify exactly one of HumanTaskUiArn or UiTemplateS3Uri")
    if has_s3:
        _check_uri("HumanTaskConfig.UiConfig.UiTemplateS3Uri", ui_config["UiTemplateS3Uri"], object_key=True)
        return "s3", ui_config["UiTemplateS3Uri"]
    arn = ui_config["HumanTaskUiArn"]
    name = name_from_arn(arn, "human-task-ui")
    if name is None or ctx.arns.human_task_ui(name) != arn or ctx.store.resources.get_ui(name) is None:
        raise _field_error("HumanTaskConfig.UiConfig.HumanTaskUiArn", f"human task UI {arn} does not exist")
    return "arn", name


def create_labeling_job(ctx: ServiceContext, req: dict) -> dict:
    """Validate a CreateLabelingJob request beyond the model, store the job and queue its ingestion."""
    name = req["LabelingJobName"]
    htc = req["HumanTaskConfig"]
    functions = tasktypes.job_functions(
        htc.get("PreHumanTaskLambdaArn"),
        (htc.get("AnnotationConsolidationConfig") or {}).get("AnnotationConsolidationLambdaArn"))
    task_type = functions.task_type
    tasktypes.check_label_attribute_name(req["LabelAttributeName"], task_type)
    if functions.post.builtin and task_type not in tasktypes.BUILTIN_CONSOLIDATION:
        raise _field_error("HumanTaskConfig.AnnotationConsolidationConfig.AnnotationConsolidationLambdaArn",
                           f"built-in consolidation for {task_type.value} is not offered by this service yet; "
                           "use a custom consolidation function")
    source = req["InputConfig"]["DataSource"]
    if "SnsDataSource" in source:
        raise _field_error("InputConfig.DataSource.SnsDataSource",
                           "streaming labeling jobs are not supported; use S3DataSource with a manifest")
    if "S3DataSource" not in source:
        raise _field_error("InputConfig.DataSource", "S3DataSource (ManifestS3Uri) is required")
    manifest_uri = source["S3DataSource"]["ManifestS3Uri"]
    _check_uri("InputConfig.DataSource.S3DataSource.ManifestS3Uri", manifest_uri, object_key=True)
    _check_uri("OutputConfig.S3OutputPath", req["OutputConfig"]["S3OutputPath"], object_key=False)
    categories_uri = req.get("LabelCategoryConfigS3Uri")
    if categories_uri:
        _check_uri("LabelCategoryConfigS3Uri", categories_uri, object_key=True)
    elif task_type in NEEDS_CATEGORIES:
        raise _field_error("LabelCategoryConfigS3Uri", f"is required for a {task_type.value} job")
    algorithm = autolabel_service.check_request(ctx, req, functions)
    time_limit = htc["TaskTimeLimitInSeconds"]
    if time_limit > MAX_TASK_TIME_LIMIT:
        raise ValidationError(
            f"Value {time_limit} at 'humanTaskConfig.taskTimeLimitInSeconds' failed to satisfy constraint: "
            f"Member must have value less than or equal to {MAX_TASK_TIME_LIMIT}")
    lifetime = htc.get("TaskAvailabilityLifetimeInSeconds", DEFAULT_TASK_LIFETIME)
    if lifetime > MAX_TASK_LIFETIME:
        raise ValidationError(
            f"Value {lifetime} at 'humanTaskConfig.taskAvailabilityLifetimeInSeconds' failed to satisfy "
            f"constraint: Member must have value less than or equal to {MAX_TASK_LIFETIME}")
    hooks = webhooks_from_tags(req.get("Tags", []))
    overlap = _overlap_fields(req, htc, functions, algorithm)
    team = _resolve_team(ctx, htc["WorkteamArn"])
    ui_kind, ui_ref = _resolve_ui(ctx, htc["UiConfig"])
    created = now_ms()
    arn = ctx.arns.labeling_job(name)
    classifiers = (req["InputConfig"].get("DataAttributes") or {}).get("ContentClassifiers", [])
    doc = {k: req[k] for k in ("LabelAttributeName", "InputConfig", "OutputConfig", "RoleArn",
                               "LabelCategoryConfigS3Uri", "StoppingConditions", "HumanTaskConfig", "Tags",
                               "LabelingJobAlgorithmsConfig")
           if k in req}
    stopping = req.get("StoppingConditions") or {}
    fields = {
        "name": name, "arn": arn, "status": LabelingJobStatus.INITIALIZING.value, "created_ms": created,
        "modified_ms": created, "doc": json.dumps(doc), "task_type": task_type.value,
        "pre_arn": functions.pre.arn, "post_arn": functions.post.arn,
        "pre_custom": int(functions.pre.custom), "post_custom": int(functions.post.custom),
        "attribute": req["LabelAttributeName"], "team": team, "team_arn": htc["WorkteamArn"],
        "ui_kind": ui_kind, "ui": ui_ref, "title": htc["TaskTitle"], "description": htc["TaskDescription"],
        "workers_per_object": htc["NumberOfHumanWorkersPerDataObject"], "time_limit": time_limit,
        "lifetime": lifetime, "max_concurrent": htc.get("MaxConcurrentTaskCount", DEFAULT_MAX_CONCURRENT),
        "max_labeled": stopping.get("MaxHumanLabeledObjectCount", 0),
        "max_percent": stopping.get("MaxPercentageOfInputDatasetLabeled", 0),
        "manifest_uri": manifest_uri, "categories_uri": categories_uri or "",
        "output_path": req["OutputConfig"]["S3OutputPath"], "role_arn": req["RoleArn"],
        "classifiers": json.dumps(classifiers), "reference_code": uuid.uuid4().hex,
        "total": 0, "human_labeled": 0, "failed": 0, "skipped": 0, "out": 0, "released": 0, "seq": 0,
        "ingest_pos": 0, "ingest_done": 0, "bad_lines": 0, "failure_reason": "", "output_uri": "",
        "webhooks": json.dumps(hooks), "al_algo": algorithm, **overlap,
    }
    if ctx.store.jobs.create(name, created, fields) is CreateOutcome.EXISTS:
        raise ResourceInUseError(f"Labeling job {name} already exists (names are not case sensitive)")
    log.info("labeling job created job=%s type=%s team=%s", name, task_type.value, team)
    dispatch_safely(ctx.dispatcher.job_work, name)
    return {"LabelingJobArn": arn}


def get_labeling_job(ctx: ServiceContext, name: str) -> dict:
    """The job's record with its request document decoded; ResourceNotFound if there is none."""
    record = ctx.store.jobs.get(name)
    if record is None:
        raise NotFoundError(f"Labeling job {name} does not exist")
    record["doc"] = json.loads(record["doc"])
    return record


def _overlap_fields(req: dict, htc: dict, functions, algorithm) -> dict:
    """The job fields of adaptive overlap (hitl:initial-workers, hitl:target-confidence); {} when off."""
    from hitl_service.consolidation.overlap import INITIAL_WORKERS_TAG, overlap_from_tags

    try:
        overlap = overlap_from_tags(req.get("Tags"), htc["NumberOfHumanWorkersPerDataObject"],
                                    "HumanTaskConfig.NumberOfHumanWorkersPerDataObject")
    except ValueError as exc:
        raise ValidationError(str(exc)) from None
    if overlap is None:
        return {}
    # the decision needs a confidence this service computes: a team's own consolidation function
    # returns labels, not a confidence it promises to mean the same thing
    if functions.post.custom:
        raise ValidationError(f"Tag {INITIAL_WORKERS_TAG}: adaptive overlap needs a built-in "
                              "AnnotationConsolidationLambdaArn (its confidence decides when to add a reviewer)")
    if algorithm:
        raise ValidationError(f"Tag {INITIAL_WORKERS_TAG}: adaptive overlap cannot be combined with "
                              "LabelingJobAlgorithmsConfig")
    return {"initial_workers": overlap.initial, "target_confidence": repr(overlap.target)}


def stop_labeling_job(ctx: ServiceContext, name: str) -> None:
    """Stopping now; the worker withdraws queued objects and writes what was labelled, then Stopped."""
    outcome, status = ctx.store.jobs.stop(name, now_ms())
    if outcome is StopOutcome.MISSING:
        raise NotFoundError(f"Labeling job {name} does not exist")
    if outcome is StopOutcome.NOT_RUNNING:
        if status in (LabelingJobStatus.STOPPING.value, LabelingJobStatus.STOPPED.value):
            return  # stopping twice is not an error, as on AWS
        raise ValidationError(f"Labeling job {name} is {status}; only a running job can be stopped")
    log.info("labeling job stopping job=%s was=%s", name, status)
    dispatch_safely(ctx.dispatcher.job_work, name)


# ---- listings -----------------------------------------------------------------------------------
# Labeling jobs are few per account (AWS limits concurrent jobs), so a listing reads every job's
# summary fields once, filters and sorts them in memory, and resumes after the last sort key.

_SORT_KEYS = {
    "CreationTime": lambda r: (int(r["created_ms"]), r["name"]),
    "Name": lambda r: (r["name"].lower(), r["name"]),
    "Status": lambda r: (r["status"], int(r["created_ms"]), r["name"]),
}


def _in_window(ms: int, after, before) -> bool:
    # as the other listings: CreationTimeAfter is inclusive, CreationTimeBefore exclusive
    if after is not None and ms < to_ms(after):
        return False
    if before is not None and ms >= to_ms(before):
        return False
    return True


def _page(rows: list[dict], req: dict, scope: str, sort_by: str, default_order: str) -> tuple[list[dict], str | None]:
    order = req.get("SortOrder", default_order)
    key = _SORT_KEYS[sort_by]
    rows.sort(key=key, reverse=order == "Descending")
    scope = f"{scope}:{sort_by}:{order}"
    if req.get("NextToken"):
        after = json.loads(decode_token(req["NextToken"], scope))
        after_key = tuple(after)
        if order == "Descending":
            rows = [r for r in rows if list(key(r)) < list(after_key)]
        else:
            rows = [r for r in rows if list(key(r)) > list(after_key)]
    limit = req.get("MaxResults", 100)
    page, more = rows[:limit], len(rows) > limit
    token = encode_token(scope, json.dumps(list(key(page[-1])))) if more and page else None
    return page, token


def list_labeling_jobs(ctx: ServiceContext, req: dict) -> tuple[list[dict], str | None]:
    """ListLabelingJobs: filters, SortBy Name/CreationTime/Status, pagination."""
    needle = (req.get("NameContains") or "").lower()
    status = req.get("StatusEquals")
    rows = [
        r for r in ctx.store.jobs.all_summaries()
        if needle in r["name"].lower()
        and (status is None or r["status"] == status)
        and _in_window(int(r["created_ms"]), req.get("CreationTimeAfter"), req.get("CreationTimeBefore"))
        and _in_window(int(r["modified_ms"]), req.get("LastModifiedTimeAfter"), req.get("LastModifiedTimeBefore"))
    ]
    return _page(rows, req, "jobs", req.get("SortBy", "CreationTime"), "Ascending")


def list_labeling_jobs_for_workteam(ctx: ServiceContext, req: dict) -> tuple[list[dict], str | None]:
    """ListLabelingJobsForWorkteam: the jobs sent to one workteam."""
    arn = req["WorkteamArn"]
    name = name_from_arn(arn, "workteam")
    if name is None or ctx.arns.workteam(name) != arn or ctx.store.resources.get_team(name) is None:
        raise NotFoundError(f"Workteam {arn} does not exist")
    needle = req.get("JobReferenceCodeContains") or ""
    rows = [
        r for r in ctx.store.jobs.all_summaries()
        if r["team"] == name and needle in r["reference_code"]
        and _in_window(int(r["created_ms"]), req.get("CreationTimeAfter"), req.get("CreationTimeBefore"))
    ]
    return _page(rows, req, f"teamjobs:{name}", "CreationTime", "Descending")
