"""Labeling jobs on the control plane: create, describe, list, stop (the API side; no slow I/O here)."""

from __future__ import annotations

import json
import logging
import uuid

from hitl_service.domain.labeling import LabelingJobStatus, TaskType
from hitl_service.domain.names import name_from_arn
from hitl_service.domain.timefmt import now_ms
from hitl_service.errors import NotFoundError, ResourceInUseError, ValidationError
from hitl_service.jobs import tasktypes
from hitl_service.jobs.autolabel import service as autolabel_service
from hitl_service.jobs.autolabel.sampling import MIN_OBJECTS
from hitl_service.jobs.categories import CategoryConfigError, parse_categories
from hitl_service.jobs.manifest import DataObject, read_manifest, split_uri
from hitl_service.jobs.preprocess import PreprocessError, check_fits
from hitl_service.output.document import parse_output_path
from hitl_service.output.storage import OutputError
from hitl_service.services.context import ServiceContext, dispatch_safely
from hitl_service.services.resources import webhooks_from_tags
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


# create-time reads are bounded: the category file, and at most this many manifest lines
SIZE_CHECK_MAX_LINES = 2 * MIN_OBJECTS
MANIFEST_FIELD = "InputConfig.DataSource.S3DataSource.ManifestS3Uri"


def _first_objects(ctx: ServiceContext, uri: str, wanted: int) -> tuple[list[DataObject], bool] | None:
    """Up to ``wanted`` valid objects from the manifest's start and whether it ended; None when unreadable."""
    found: list[DataObject] = []
    lines = read_manifest(ctx.storage, uri)
    try:
        for n, item in enumerate(lines):
            if isinstance(item, DataObject):
                found.append(item)
            if len(found) >= wanted or n + 1 >= SIZE_CHECK_MAX_LINES:
                return found, False
        return found, True
    except (OutputError, ValueError):
        return None   # the worker reads it again and fails the job naming the URI, as for any job
    finally:
        lines.close()


def _check_autolabel_size(ctx: ServiceContext, manifest_uri: str) -> None:
    """GT refuses automated labeling below 1,250 objects: refused now when the manifest is that small."""
    got = _first_objects(ctx, manifest_uri, MIN_OBJECTS)
    if got is None or not got[1]:
        return   # large (or unreadable): the worker counts it while it streams the manifest
    raise _field_error(MANIFEST_FIELD, f"automated data labeling (LabelingJobAlgorithmsConfig) needs at least "
                                       f"{MIN_OBJECTS} data objects, the manifest has {len(got[0])}")


def _check_audit_job(ctx: ServiceContext, req: dict, task_type: TaskType, categories_uri: str,
                     manifest_uri: str) -> None:
    """A verification/adjustment job names the earlier label (auditLabelAttributeName) and its input has it."""
    try:
        body = ctx.storage.get(*split_uri(categories_uri))
    except OutputError:
        return   # unreadable now: the worker fails the job naming the URI, as for any job
    try:
        cats = parse_categories(body, task_type)
    except CategoryConfigError as exc:
        raise _field_error("LabelCategoryConfigS3Uri", f"{categories_uri} {exc}") from None
    tasktypes.check_audit_attribute(cats.document, req["LabelAttributeName"], task_type)
    got = _first_objects(ctx, manifest_uri, 1)
    if got and got[0]:
        first = got[0][0]
        try:
            check_fits(task_type, first, cats)
        except PreprocessError as exc:
            raise _field_error(MANIFEST_FIELD, f"line {first.index + 1} {exc}") from None


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
    if algorithm:
        _check_autolabel_size(ctx, manifest_uri)
    if task_type in tasktypes.AUDIT and functions.pre.builtin:
        _check_audit_job(ctx, req, task_type, categories_uri, manifest_uri)
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
    overlap.update(_escalation_fields(ctx, req, htc, overlap))
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


def _escalation_fields(ctx: ServiceContext, req: dict, htc: dict, overlap: dict) -> dict:
    """The job's escalation workteam (tag hitl:escalation-workteam); {} when off."""
    from hitl_service.consolidation.overlap import OverlapSettings, escalation_team_from_tags

    settings = OverlapSettings(int(overlap["initial_workers"]), float(overlap["target_confidence"])) if overlap else None

    def exists(arn: str) -> bool:
        try:
            _resolve_team(ctx, arn)
        except ValidationError:
            return False
        return True

    try:
        arn = escalation_team_from_tags(req.get("Tags"), settings, htc["WorkteamArn"], exists)
    except ValueError as exc:
        raise ValidationError(str(exc)) from None
    return {"escalation_team": name_from_arn(arn, "workteam")} if arn else {}


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
