"""A job's background work, run by the Celery task ``hitl.jobs.work``: ingest, expire, consolidate, finish.

``run`` takes the job's name, re-reads its state and does whatever is due; every step is safe to
repeat (batches carry their manifest position, results are recorded once, output keys are fixed),
so a crash or a second message at any point changes nothing that was already done.
"""

from __future__ import annotations

import concurrent.futures
import dataclasses
import hashlib
import json
import logging
import secrets

from hitl_service.domain.labeling import LabelingJobStatus, TaskType
from hitl_service.domain.timefmt import now_ms
from hitl_service.jobs import events
from hitl_service.jobs.autolabel import driver as autolabel_driver
from hitl_service.jobs import output as gt
from hitl_service.jobs import tasktypes
from hitl_service.jobs.categories import CategoryConfigError, LabelCategories, parse_categories
from hitl_service.jobs.consolidate import ObjectAnswers, consolidate_builtin
from hitl_service.jobs.lambdas import LambdaFailed, LambdaInvoker, parse_post_response, post_event
from hitl_service.jobs.manifest import BadLine, DataObject, describe_bad_lines, read_manifest, split_uri
from hitl_service.jobs.preprocess import PreprocessError, check_fits
from hitl_service.jobs.quality import record as record_quality
from hitl_service.output.storage import OutputConfigError, OutputError, OutputNotFoundError
from hitl_service.workforce import audit   # lease expiries go to the audit trail
from hitl_service.services.finalize import backoff_seconds
from hitl_service.services.context import ServiceContext
from hitl_service.store.jobs import EscalationStage, FinishOutcome, IngestOutcome, OverlapVerdict

log = logging.getLogger(__name__)

CONSOLIDATION_BATCH = 500
CONSOLIDATION_HOLD_MS = 120_000
PRE_THREADS = 8


def invoker_for(ctx: ServiceContext) -> LambdaInvoker:
    """The Lambda invoker the settings describe (endpoint, per-function overrides, retries)."""
    s = ctx.settings
    return LambdaInvoker(region=s.region, endpoint_url=s.lambda_endpoint_url, overrides=s.lambda_endpoints,
                         attempts=s.lambda_attempts, backoff_base=s.lambda_backoff_seconds)


def fail(ctx: ServiceContext, name: str, reason: str) -> None:
    """Fail the job with a reason (kept under the model's 1024 characters)."""
    outcome = ctx.store.jobs.finish(name, now_ms(), "", reason[:1024])
    _retire(ctx, name, ctx.store.jobs.get(name) or {})
    log.warning("labeling job failed job=%s outcome=%s reason=%s", name, outcome.value, reason)


def categories_of(job: dict) -> LabelCategories | None:
    """The job's label categories as ingestion cached them on the record."""
    if not job.get("categories_doc"):
        return None
    return LabelCategories(tuple(json.loads(job["labels"])), json.loads(job["categories_doc"]))


def _load_inputs(ctx: ServiceContext, name: str, job: dict, storage) -> bool:
    """Read the category file and an S3 task template once; False when the job failed on them."""
    task_type = TaskType(job["task_type"])
    if job.get("categories_uri") and not job.get("categories_doc"):
        uri = job["categories_uri"]
        try:
            cats = parse_categories(storage.get(*split_uri(uri)), task_type)
        except OutputNotFoundError:
            fail(ctx, name, f"LabelCategoryConfigS3Uri {uri} does not exist")
            return False
        except (CategoryConfigError, OutputConfigError, ValueError) as exc:
            fail(ctx, name, f"LabelCategoryConfigS3Uri {uri} {exc}")
            return False
        ctx.store.jobs.set_fields(name, labels=json.dumps(list(cats.labels)), categories_doc=json.dumps(cats.document))
        job["labels"], job["categories_doc"] = json.dumps(list(cats.labels)), json.dumps(cats.document)
    if job.get("ui_kind") == "s3" and not job.get("template"):
        from hitl_service.review.liquid import TemplateError, parse_template

        uri = job["ui"]
        try:
            content = storage.get(*split_uri(uri)).decode("utf-8")
            parse_template(content)
        except OutputNotFoundError:
            fail(ctx, name, f"UiTemplateS3Uri {uri} does not exist")
            return False
        except (OutputConfigError, UnicodeDecodeError, ValueError) as exc:
            fail(ctx, name, f"UiTemplateS3Uri {uri} could not be read: {exc}")
            return False
        except TemplateError as exc:
            fail(ctx, name, f"UiTemplateS3Uri {uri} is not a valid Liquid template: {exc.message}")
            return False
        ctx.store.jobs.set_fields(name, template=content)
        job["template"] = content
    return True


def _prepare(job: dict, objs: list[DataObject], cats, invoker: LambdaInvoker | None):
    """(id, line, custom task input, human?) per object, plus BadLines for objects that do not fit."""
    task_type = TaskType(job["task_type"])
    prepared, bad = [], []
    if invoker is None:
        for o in objs:
            try:
                check_fits(task_type, o, cats)
            except PreprocessError as exc:
                bad.append(BadLine(o.index + 1, str(exc)))
                continue
            prepared.append((o.index, o.raw, "", "h"))
        return prepared, bad

    def one(o: DataObject):
        return o, invoker.pre_annotate(job["pre_arn"], job["arn"], o.line)

    with concurrent.futures.ThreadPoolExecutor(PRE_THREADS) as pool:
        futures = [(o, pool.submit(one, o)) for o in objs]
        for o, f in futures:
            try:
                _, pre = f.result()
            except LambdaFailed as exc:
                # the object cannot be shown to anyone: it counts FailedNonRetryableError, the job goes on
                prepared.append((o.index, o.raw, f"PreHumanTaskLambdaArn: {exc}"[:900], "f"))
                continue
            prepared.append((o.index, o.raw, json.dumps(pre.task_input, separators=(",", ":")),
                             "h" if pre.human_required else "s"))
    return prepared, bad


def ingest(ctx: ServiceContext, name: str, job: dict, storage, renew=lambda: True) -> None:
    """Stream the manifest from where the last batch ended into pending objects, a batch per script call."""
    if not _load_inputs(ctx, name, job, storage):
        return
    cats = categories_of(job)
    invoker = invoker_for(ctx) if job.get("pre_custom") == "1" else None
    pos = int(job.get("ingest_pos") or 0)
    batch_size = max(1, ctx.settings.job_ingest_batch)
    uri = job["manifest_uri"]
    bad_total = int(job.get("bad_lines") or 0)
    named: list[BadLine] = []
    objs: list[DataObject] = []
    bad_batch = 0
    end = pos

    def flush(done: bool) -> IngestOutcome:
        nonlocal objs, bad_batch, pos
        prepared, unfit = _prepare(job, objs, cats, invoker)
        named.extend(unfit)
        text = describe_bad_lines(named, bad_total + bad_batch + len(unfit)) if named else ""
        outcome = ctx.store.jobs.ingest(name, start=pos, end=end, now_ms=now_ms(), done=done,
                                        bad_lines=bad_batch + len(unfit), bad_text=text, objects=prepared)
        log.info("ingest batch job=%s lines=%s..%s objects=%s bad=%s outcome=%s", name, pos, end, len(prepared),
                 bad_batch + len(unfit), outcome.value)
        pos = end
        objs, bad_batch = [], 0
        renew()
        return outcome

    try:
        for item in read_manifest(storage, uri):
            number = item.index + 1 if isinstance(item, DataObject) else item.number
            if number <= pos:
                continue  # applied by an earlier run of this task
            end = number
            if isinstance(item, BadLine):
                bad_batch += 1
                bad_total += 1
                if len(named) < 20:
                    named.append(item)
            else:
                objs.append(item)
            if len(objs) + bad_batch >= batch_size:
                if flush(False) not in (IngestOutcome.OK, IngestOutcome.FINISH):
                    return
    except OutputNotFoundError:
        fail(ctx, name, f"ManifestS3Uri {uri} does not exist")
        return
    except (OutputConfigError, ValueError) as exc:
        fail(ctx, name, f"ManifestS3Uri {uri} could not be read: {exc}")
        return
    outcome = flush(True)
    if outcome in (IngestOutcome.STALE, IngestOutcome.CLOSED, IngestOutcome.MISSING):
        return
    fresh = ctx.store.jobs.get(name) or {}
    if int(fresh.get("total") or 0) == 0:
        detail = fresh.get("bad_text") or "the manifest is empty"
        fail(ctx, name, f"ManifestS3Uri {uri} has no valid line (each needs a 'source' or 'source-ref'): {detail}")


def _batch_id(objects) -> str:
    ids = ",".join(str(o.object_id) for o in objects)
    return f"batch-{objects[0].object_id}-{hashlib.sha256(ids.encode()).hexdigest()[:12]}"


def _last_ms(answers: list[dict]) -> int:
    from datetime import datetime

    stamps = [a.get("submissionTime") for a in answers if a.get("submissionTime")]
    if not stamps:
        return 0
    return int(datetime.fromisoformat(max(stamps).replace("Z", "+00:00")).timestamp() * 1000)


def consolidate(ctx: ServiceContext, name: str, job: dict, storage) -> bool:
    """Consolidate one batch of answered objects and record their output lines; False when none was due."""
    taken = ctx.store.jobs.take_answered(name, now_ms(), CONSOLIDATION_HOLD_MS, CONSOLIDATION_BATCH)
    if not taken:
        return False
    try:
        _consolidate(ctx, name, job, storage, taken)
    except OutputError as exc:
        # storage is down or misconfigured: nothing was recorded, so the batch is simply done again
        # later (the files written so far get the same bytes at the same keys)
        attempt = int(job.get("consolidate_attempts") or 0) + 1
        delay = backoff_seconds(attempt, ctx.settings.finalize_backoff_max_seconds)
        ctx.store.jobs.set_fields(name, consolidate_attempts=attempt)
        ctx.store.jobs.retry_answered_at(name, [o.object_id for o in taken], now_ms() + int(delay * 1000))
        log.warning("consolidation output failed job=%s attempt=%s retry_in=%.1fs error=%s", name, attempt, delay, exc)
        return False
    if job.get("consolidate_attempts"):
        ctx.store.jobs.set_fields(name, consolidate_attempts=0)
    return True


def _decide_overlap(ctx: ServiceContext, name: str, job: dict, taken, consolidated):
    """Adaptive overlap: objects below the target confidence with fewer than the maximum answers go
    back for one more reviewer (atomically, job_decide.lua); the rest, with their results, go on."""
    from hitl_service.consolidation.overlap import Verdict, verdict

    target, maximum = float(job["target_confidence"]), int(job["workers_per_object"])
    escalation = bool(job.get("escalation_team"))
    verdicts = []
    for o, c in zip(taken, consolidated):
        # an object that went to the escalation team (at the maximum, or when its lifetime ended) is done
        v = (Verdict.DONE if len(o.answers) > maximum or o.stage else
             verdict(c.confidence or 0.0, len(o.answers), maximum, target, escalation))
        verdicts.append(OverlapVerdict(o.object_id, len(o.answers), v == Verdict.MORE, v == Verdict.ESCALATE))
    skip = ctx.store.jobs.decide(name, now_ms(), verdicts)
    if skip:
        log.info("adaptive overlap job=%s more=%s", name, len(skip))
    kept = [(o, c) for o, c in zip(taken, consolidated) if o.object_id not in skip]
    return [o for o, _ in kept], [c for _, c in kept]


OVERLAP_REPORT_NAME = "adaptive-overlap.json"


def write_overlap_report(ctx: ServiceContext, name: str, job: dict, storage) -> None:
    """Adaptive overlap: the job's report beside output.manifest (written before it, so a manifest
    never exists without its report)."""
    layout = gt.JobLayout(job["output_path"], job["name"])
    key = layout.output_manifest.rsplit("/", 1)[0] + "/" + OVERLAP_REPORT_NAME
    storage.put(layout.bucket, key, gt.dumps(overlap_report(job, ctx.store.jobs.answers_used(name))))


def overlap_report(job: dict, used: dict[int, int]) -> dict:
    """The adaptive-overlap report of a job: its settings and how many objects used how many answers."""
    objects = sum(used.values())
    answers = sum(n * c for n, c in used.items())
    maximum = int(job["workers_per_object"])
    # escalated objects are the ones with an answer past the maximum (hitl:escalation-workteam), and
    # those whose lifetime ended with fewer answers and that got the escalation team's answer
    on_expiry = int(job.get("escalated:expired") or 0)
    escalation = ({"escalationWorkteam": job["escalation_team"],
                   "escalated": used.get(maximum + 1, 0) + on_expiry, "escalatedOnExpiry": on_expiry}
                  if job.get("escalation_team") else {})
    report = {"version": 1, "labelingJobName": job["name"], "initialWorkers": int(job["initial_workers"]),
              "maxWorkers": maximum, "targetConfidence": float(job["target_confidence"]),
              "objects": objects, "answers": answers,
              "answersPerObject": {str(n): used[n] for n in sorted(used)},
              "meanAnswersPerObject": round(answers / objects, 4) if objects else None}
    return {**report, **escalation}


def _consolidate(ctx: ServiceContext, name: str, job: dict, storage, taken) -> None:
    layout = gt.JobLayout(job["output_path"], job["name"])
    task_type = TaskType(job["task_type"])
    attr = job["attribute"]
    cats = categories_of(job)
    labels = cats.labels if cats else ()
    lines = {o.object_id: json.loads(o.line) if o.line else {} for o in taken}
    consolidated = None
    if job.get("post_custom") != "1":
        # consolidated before anything is written: with adaptive overlap only the objects that are
        # done get files and results (a custom function is refused with the overlap tags)
        consolidated = consolidate_builtin(task_type, [ObjectAnswers(o.object_id, o.answers, lines[o.object_id])
                                                       for o in taken], labels,
                                           audit=tasktypes.audit_attribute(cats.document if cats else None))
        if job.get("initial_workers"):
            taken, consolidated = _decide_overlap(ctx, name, job, taken, consolidated)
            if not taken:
                return
    maximum = int(job["workers_per_object"])
    # answers past the first stage came from the escalation team (hitl:escalation-workteam)
    stages = {o.object_id: EscalationStage.of(o.stage, maximum) for o in taken}
    for o in taken:
        storage.put(layout.bucket, layout.worker_response(o.object_id, _last_ms(o.answers)),
                    gt.dumps(gt.worker_response_doc(o.answers, first_stage=stages[o.object_id].first_stage)))
    batch = _batch_id(taken)
    request = [gt.consolidation_request_item(o.object_id, lines[o.object_id], o.answers) for o in taken]
    storage.put(layout.bucket, layout.consolidation_request(batch), gt.dumps(request))
    results: dict[int, str] = {}
    if job.get("post_custom") == "1":
        event = post_event(job["arn"], label_attribute=attr, label_categories=list(labels) or None,
                           role_arn=job["role_arn"], request_uri=layout.uri(layout.consolidation_request(batch)),
                           output_prefix_uri=layout.annotations_uri)
        try:
            body = invoker_for(ctx).invoke(job["post_arn"], event)
            storage.put(layout.bucket, layout.consolidation_response(batch), gt.dumps(body))
            values = parse_post_response(body, attr)
        except (LambdaFailed, ValueError) as exc:
            values = {}
            reason = f"AnnotationConsolidationLambdaArn {job['post_arn']}: {exc}"
            results = {o.object_id: "!" + reason[:900] for o in taken}
        for o in taken:
            if o.object_id in results:
                continue
            if str(o.object_id) not in values:
                results[o.object_id] = "!the consolidation function returned no annotation for this object"
                continue
            meta = gt.metadata(task_type, job["name"], _last_ms(o.answers))
            results[o.object_id] = json.dumps(gt.output_line(lines[o.object_id], attr, values[str(o.object_id)], meta),
                                              separators=(",", ":"), ensure_ascii=False)
    else:
        response = []
        for o, c in zip(taken, consolidated):
            if c.value is None:
                results[o.object_id] = "!no worker gave a usable answer"
                continue
            if c.png is not None:
                mask_key = layout.consolidated_mask(o.object_id, _last_ms(o.answers))
                storage.put(layout.bucket, mask_key, c.png, content_type="image/png")
                c = dataclasses.replace(c, value=layout.uri(mask_key))
            # escalated: the last answer is the escalation team's (ours, not GT's)
            stage = stages[o.object_id]
            extra = ({"escalated": "yes", "escalation-reason": stage.reason}
                     if len(o.answers) > stage.first_stage else {})
            meta = gt.metadata(task_type, job["name"], _last_ms(o.answers), **c.meta, **extra)
            response.append({"datasetObjectId": str(o.object_id),
                             "consolidatedAnnotation": {"content": {attr: c.value, f"{attr}-metadata": meta}}})
            results[o.object_id] = json.dumps(gt.output_line(lines[o.object_id], attr, c.value, meta),
                                              separators=(",", ":"), ensure_ascii=False)
        storage.put(layout.bucket, layout.consolidation_response(batch), gt.dumps(response))
    for o in taken:
        res = results[o.object_id]
        if not res.startswith("!"):
            storage.put(layout.bucket, layout.consolidated_output(o.object_id, _last_ms(o.answers)), res.encode())
    storage.put(layout.bucket, layout.intermediate_manifest(taken[0].object_id),
                "".join(r + "\n" for r in results.values() if not r.startswith("!")).encode())
    done, _ = ctx.store.jobs.record_results(name, now_ms(), results)
    record_quality(ctx, name, task_type, taken)  # the console's numbers; the answers leave Redis later
    log.info("consolidated job=%s batch=%s objects=%s recorded=%s", name, batch, len(taken), done)


def _failed_line(line: dict, job: dict, reason: str) -> dict:
    out = dict(line)
    out[f"{job['attribute']}-metadata"] = {"failure-reason": reason, "job-name": f"labeling-job/{job['name']}",
                                           "human-annotated": "yes"}
    return out


def write_output_manifest(ctx: ServiceContext, name: str, job: dict, storage) -> str:
    """output.manifest: every valid input line in order, labelled ones with the label and its metadata."""
    layout = gt.JobLayout(job["output_path"], job["name"])
    gt.write_manifest(storage, layout.bucket, layout.output_manifest, _output_lines(ctx, name, job, storage))
    return layout.uri(layout.output_manifest)


def _output_lines(ctx: ServiceContext, name: str, job: dict, storage):
    """The output lines, read from the manifest and the recorded results 5,000 objects at a time."""
    batch: list[DataObject] = []

    def emit():
        for obj, res in zip(batch, ctx.store.jobs.results(name, [o.index for o in batch])):
            if res and not res.startswith("!"):
                yield res
            elif res:
                yield json.dumps(_failed_line(obj.line, job, res[1:]), separators=(",", ":"), ensure_ascii=False)
            else:
                yield obj.raw.decode("utf-8", "replace")
        batch.clear()

    for item in read_manifest(storage, job["manifest_uri"]):
        if isinstance(item, DataObject):
            batch.append(item)
            if len(batch) >= 5000:
                yield from emit()
    yield from emit()


LOCK_TTL_MS = 120_000


def run(ctx: ServiceContext, name: str, storage) -> str:
    """Do whatever the job needs now, unless another worker is already at it; the job's status."""
    token = secrets.token_hex(8)
    if not ctx.store.jobs.lock(name, token, LOCK_TTL_MS):
        return "busy"
    renew = lambda: ctx.store.jobs.lock(name, token, LOCK_TTL_MS, "renew")  # noqa: E731
    try:
        return _run(ctx, name, storage, renew)
    finally:
        ctx.store.jobs.lock(name, token, LOCK_TTL_MS, "drop")


def _run(ctx: ServiceContext, name: str, storage, renew) -> str:
    jobs = ctx.store.jobs
    job = jobs.get(name)
    if job is None:
        jobs.deactivate(name)
        return "missing"
    status = LabelingJobStatus(job["status"])
    if status.terminal:
        _retire(ctx, name, job)
        return status.value
    jobs.index(job["name"], int(job["created_ms"]))
    if job.get("al_algo"):
        return autolabel_driver.step(ctx, name, job, storage)
    if status in (LabelingJobStatus.INITIALIZING, LabelingJobStatus.IN_PROGRESS) and job.get("ingest_done") != "1":
        ingest(ctx, name, job, storage, renew)
    expired = audit.job_reaping(ctx, name, job.get("team", ""), lambda: jobs.expire(name, now_ms()), limit=500)
    while consolidate(ctx, name, jobs.get(name) or job, storage):
        renew()
    job = jobs.get(name) or job
    if LabelingJobStatus(job["status"]).terminal:
        _retire(ctx, name, job)
        return job["status"]
    if expired.finish or _ready(ctx, name):
        if job.get("initial_workers"):
            write_overlap_report(ctx, name, job, storage)
        uri = write_output_manifest(ctx, name, job, storage)
        outcome = jobs.finish(name, now_ms(), uri)
        log.info("labeling job finish job=%s outcome=%s output=%s", name, outcome.value, uri)
        if outcome in (FinishOutcome.COMPLETED, FinishOutcome.STOPPED, FinishOutcome.ALREADY):
            _retire(ctx, name, jobs.get(name) or job)
        return outcome.value
    return job["status"]


def _retire(ctx: ServiceContext, name: str, job: dict) -> None:
    """A terminal job leaves the active set once its status-change event reached every webhook."""
    if not job or events.deliver(ctx, name, job):
        ctx.store.jobs.deactivate(name)


def _ready(ctx: ServiceContext, name: str) -> bool:
    # the expire script reports readiness too; after consolidation the record may have become ready
    return ctx.store.jobs.expire(name, now_ms(), 0).finish
