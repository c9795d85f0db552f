"""An auto-labeled job's background work: people label rounds as child jobs, the model labels the rest.

``step`` runs in the Celery worker (from the job's work task) and is safe to repeat: the job's
progress lives in one JSON field of its record, each round's human batch is an ordinary labeling
job with a fixed name (``<job>-al<round>``) whose output is read back once it completes, and the
model's decisions are recomputed identically from the stored labels when a step is run again.
"""

from __future__ import annotations

import hashlib
import io
import json
import logging

import numpy as np

from hitl_service.domain.labeling import LabelingJobStatus, TaskType
from hitl_service.domain.timefmt import now_ms
from hitl_service.errors import ResourceInUseError
from hitl_service.jobs import output as gt
from hitl_service.jobs.autolabel.features import decode_image, image_features, text_features
from hitl_service.jobs.autolabel.rounds import run_round
from hitl_service.jobs.autolabel.sampling import TooFewObjects, check_size, initial_plan
from hitl_service.jobs.manifest import DataObject, read_manifest, split_uri

log = logging.getLogger(__name__)


def child_name(name: str, number: int) -> str:
    """The round's human job: ``<job>-al<round>``, shortened with a hash to stay within 63 characters."""
    tail = f"-al{number}"
    if len(name) + len(tail) <= 63:
        return name + tail
    digest = hashlib.sha256(name.encode()).hexdigest()[:8]
    return f"{name[:63 - len(tail) - 9]}-{digest}{tail}"


def _layout(job: dict) -> gt.JobLayout:
    return gt.JobLayout(job["output_path"], job["name"])


def _objects(storage, job: dict) -> list[DataObject]:
    return [o for o in read_manifest(storage, job["manifest_uri"]) if isinstance(o, DataObject)]


def _features(ctx, storage, job: dict, objs: list[DataObject]):
    if TaskType(job["task_type"]) is TaskType.TEXT_CLASSIFICATION:
        return text_features([str(o.line.get("source", "")) for o in objs])
    layout = _layout(job)
    key = f"{layout.root}/autolabel/features.npy"
    try:
        return np.load(io.BytesIO(storage.get(layout.bucket, key)))
    except Exception:  # noqa: BLE001 - not cached yet (any storage's "missing" error)
        pass
    x = image_features([decode_image(storage.get(*split_uri(o.line["source-ref"]))) for o in objs])
    buf = io.BytesIO()
    np.save(buf, x)
    storage.put(layout.bucket, key, buf.getvalue())
    return x


def _start_child(ctx, job: dict, state: dict, objs: list[DataObject], ids: list[int], storage) -> None:
    from hitl_service.jobs.service import create_labeling_job

    number = state["round"]
    layout = _layout(job)
    key = f"{layout.root}/autolabel/round-{number}/input.manifest"
    storage.put(layout.bucket, key, b"".join(objs[i].raw.rstrip(b"\n") + b"\n" for i in ids))
    doc = json.loads(job["doc"])
    req = {k: v for k, v in doc.items() if k not in ("LabelingJobAlgorithmsConfig", "StoppingConditions", "Tags")}
    req["LabelingJobName"] = state["child"] = child_name(job["name"], number)
    req["InputConfig"] = {**doc["InputConfig"], "DataSource": {"S3DataSource": {"ManifestS3Uri": layout.uri(key)}}}
    req["OutputConfig"] = {**doc["OutputConfig"], "S3OutputPath": layout.uri(f"{layout.root}/autolabel")}
    state["asked"] = ids
    ctx.store.jobs.set_fields(job["name"], al_state=json.dumps(state))
    try:
        create_labeling_job(ctx, req)
    except ResourceInUseError:
        pass  # an earlier run of this step created it
    log.info("autolabel human round job=%s round=%s child=%s objects=%s", job["name"], number, req["LabelingJobName"],
             len(ids))


def _content_key(line: dict) -> str:
    return json.dumps(line, sort_keys=True, separators=(",", ":"))


def _collect_child(ctx, job: dict, state: dict, objs: list[DataObject], storage) -> str | None:
    """Read a finished round's labels into the state; a failure reason when the round failed."""
    child = ctx.store.jobs.get(state["child"])
    if child["status"] == LabelingJobStatus.FAILED.value:
        return f"automated labeling round {state['round']} ({state['child']}) failed: {child['failure_reason']}"
    attr = job["attribute"]
    lines = [json.loads(x) for x in storage.get(*split_uri(child["output_uri"])).decode().splitlines() if x.strip()]
    # match output lines to objects by their input content rather than by position
    by_content = {_content_key(objs[i].line): i for i in state["asked"]}
    for line in lines:
        oid = by_content.get(_content_key({k: v for k, v in line.items() if k not in (attr, f"{attr}-metadata")}))
        if oid is not None and attr in line:
            line[f"{attr}-metadata"]["job-name"] = f"labeling-job/{job['name']}"
            state["human"][str(oid)] = line
    if state["round"] > 0:
        state["train"] += [i for i in state["asked"] if str(i) in state["human"]]
    state["child"], state["asked"] = None, []
    return None


def _write_output(ctx, job: dict, state: dict, objs: list[DataObject], storage) -> str:
    layout = _layout(job)
    attr, task_type = job["attribute"], TaskType(job["task_type"])
    labels = json.loads(job.get("labels") or "[]")
    out = []
    stamp = int(job["modified_ms"])
    for o in objs:
        key = str(o.index)
        if key in state["human"]:
            out.append(state["human"][key])
        elif key in state["machine"]:
            cls, conf = state["machine"][key]
            meta = gt.metadata(task_type, job["name"], stamp, **{"class-name": labels[cls] if cls < len(labels) else str(cls),
                                                                   "confidence": round(conf, 2)})
            meta["human-annotated"] = "no"
            out.append(gt.output_line(o.line, attr, cls, meta))
        else:
            out.append(o.line)
    body = "".join(json.dumps(x, separators=(",", ":"), ensure_ascii=False) + "\n" for x in out)
    storage.put(layout.bucket, layout.output_manifest, body.encode())
    storage.put(layout.bucket, f"{layout.root}/autolabel/rounds.json", json.dumps(state["rounds"], indent=1).encode())
    return layout.uri(layout.output_manifest)


def _save(ctx, name: str, state: dict) -> None:
    ctx.store.jobs.set_fields(name, al_state=json.dumps(state), human_labeled=len(state["human"]),
                              machine_labeled=len(state["machine"]), al_rounds=json.dumps(state["rounds"]),
                              modified_ms=now_ms())


def step(ctx, name: str, job: dict, storage) -> str:
    """Advance an auto-labeled job as far as it can go now; its status."""
    from hitl_service.jobs.service import stop_labeling_job
    from hitl_service.jobs.work import _load_inputs, fail

    if not _load_inputs(ctx, name, job, storage):
        return LabelingJobStatus.FAILED.value
    job = ctx.store.jobs.get(name)
    objs = _objects(storage, job)
    state = json.loads(job.get("al_state") or "null")
    if state is None:
        try:
            check_size(len(objs))
        except TooFewObjects as exc:
            fail(ctx, name, str(exc))
            return LabelingJobStatus.FAILED.value
        seed = int(hashlib.sha256(name.encode()).hexdigest()[:8], 16)
        plan = initial_plan(len(objs), seed)
        state = {"round": 0, "validation": plan.validation.tolist(), "train": plan.train.tolist(),
                 "batch": plan.batch_size, "human": {}, "machine": {}, "rounds": [], "child": None, "asked": []}
        ctx.store.jobs.set_fields(name, total=len(objs), ingest_done=1, status=LabelingJobStatus.IN_PROGRESS.value)
        _start_child(ctx, job, state, objs, plan.human_first.tolist(), storage)
        return LabelingJobStatus.IN_PROGRESS.value
    stopping = job["status"] == LabelingJobStatus.STOPPING.value
    if state["child"]:
        child = ctx.store.jobs.get(state["child"]) or {}
        if not LabelingJobStatus(child.get("status", "Failed")).terminal:
            if stopping and child.get("status") != LabelingJobStatus.STOPPING.value:
                stop_labeling_job(ctx, state["child"])
            return job["status"]
        reason = _collect_child(ctx, job, state, objs, storage)
        if reason:
            fail(ctx, name, reason)
            return LabelingJobStatus.FAILED.value
        _save(ctx, name, state)
    labelled = {int(k) for k in state["human"]} | {int(k) for k in state["machine"]}
    pool = np.array([i for i in range(len(objs)) if i not in labelled], dtype=np.int64)
    max_human = int(job.get("max_labeled") or 0) or None
    if pool.size and not stopping:
        val = np.array([i for i in state["validation"] if str(i) in state["human"]], dtype=np.int64)
        train = np.array([i for i in state["train"] if str(i) in state["human"]], dtype=np.int64)
        attr = job["attribute"]
        y = lambda ids: np.array([state["human"][str(i)][attr] for i in ids], dtype=np.int64)  # noqa: E731
        state["round"] += 1
        closed = state.setdefault("closed", [])   # validation objects an earlier round's threshold took
        res = run_round(state["round"], _features(ctx, storage, job, objs), train, y(train), val, y(val), pool,
                        val_open=~np.isin(val, closed))
        closed += res.validation_claimed.tolist()
        for oid, cls, conf in zip(res.machine_ids.tolist(), res.machine_labels.tolist(), res.machine_confidence.tolist()):
            state["machine"][str(oid)] = [int(cls), float(conf)]
        state["rounds"].append(res.summary())
        room = state["batch"] if max_human is None else min(state["batch"], max_human - len(state["human"]))
        batch = res.informative_order[:max(room, 0)].tolist()
        _save(ctx, name, state)
        if batch:
            _start_child(ctx, job, state, objs, batch, storage)
            return LabelingJobStatus.IN_PROGRESS.value
    uri = _write_output(ctx, job, state, objs, storage)
    outcome = ctx.store.jobs.finish(name, now_ms(), uri)
    log.info("autolabel finish job=%s outcome=%s human=%s machine=%s", name, outcome.value, len(state["human"]),
             len(state["machine"]))
    return outcome.value
