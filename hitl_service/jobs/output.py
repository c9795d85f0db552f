"""Ground Truth's output layout under ``{S3OutputPath}/{job-name}/`` and the lines it writes.

Every key is a pure function of the job and the object (or the batch), so writing again after a
crash or an S3 outage puts the same bytes at the same key: the output is written once per object.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Iterable, Iterator

from hitl_service.domain.labeling import TaskType
from hitl_service.output.document import parse_output_path

ITERATION = "iteration-1"


def creation_date(ms: int) -> str:
    """GT's ``creation-date``: ISO-8601 UTC with microseconds and no zone suffix."""
    return datetime.fromtimestamp(ms / 1000, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")


def _stamp(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, tz=timezone.utc).strftime("%Y-%m-%d_%H:%M:%S.%f")[:-3]


class JobLayout:
    """Bucket and keys of one job's output files."""

    def __init__(self, s3_output_path: str, job_name: str):
        self.bucket, prefix = parse_output_path(s3_output_path)
        self.root = "/".join(p for p in (prefix, job_name) if p)

    def uri(self, key: str) -> str:
        return f"s3://{self.bucket}/{key}"

    @property
    def output_manifest(self) -> str:
        return f"{self.root}/manifests/output/output.manifest"

    def intermediate_manifest(self, part: int) -> str:
        return f"{self.root}/manifests/intermediate/1/part-{part:06d}.manifest"

    def worker_response(self, object_id: int, ms: int) -> str:
        return f"{self.root}/annotations/worker-response/{ITERATION}/{object_id}/{_stamp(ms)}.json"

    def consolidation_request(self, batch: str) -> str:
        return f"{self.root}/annotations/consolidated-annotation/consolidation-request/{ITERATION}/{batch}.json"

    def consolidation_response(self, batch: str) -> str:
        return f"{self.root}/annotations/consolidated-annotation/consolidation-response/{ITERATION}/{batch}.json"

    def consolidated_output(self, object_id: int, ms: int) -> str:
        return f"{self.root}/annotations/consolidated-annotation/output/{object_id}/{_stamp(ms)}.json"

    def consolidated_mask(self, object_id: int, ms: int) -> str:
        return f"{self.root}/annotations/consolidated-annotation/output/{object_id}/{_stamp(ms)}.png"

    @property
    def annotations_uri(self) -> str:
        return self.uri(f"{self.root}/annotations")


def dumps(doc) -> bytes:
    return json.dumps(doc, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def worker_response_doc(answers: list[dict], first_stage: int | None = None) -> dict:
    """``annotations/worker-response`` file: every worker's answer to one object (answers past
    ``first_stage`` came from the escalation workteam: ``workerMetadata.stage`` says so)."""
    out = []
    for i, a in enumerate(answers):
        doc = {k: a[k] for k in ("answerContent", "submissionTime", "workerId", "workerMetadata",
                                 "acceptanceTime", "timeSpentInSeconds") if k in a}
        if first_stage is not None and i >= first_stage:
            doc["workerMetadata"] = {**(doc.get("workerMetadata") or {}), "stage": "escalation"}
        out.append(doc)
    return {"answers": out}


def consolidation_request_item(object_id: int, data_object: dict, answers: list[dict]) -> dict:
    """One element of the consolidation request file as GT hands it to a post-annotation function."""
    data = {"s3Uri": data_object["source-ref"]} if "source-ref" in data_object else {"content": data_object.get("source")}
    return {
        "datasetObjectId": str(object_id),
        "dataObject": data,
        "annotations": [{"workerId": a["workerId"],
                         "annotationData": {"content": json.dumps(a["answerContent"], separators=(",", ":"))}}
                        for a in answers],
    }


# fields GT's examples show after the common ones (a verification job's reviewer comments)
_TRAILING = ("worker-feedback",)


def metadata(task_type: TaskType, job_name: str, created_ms: int, **fields) -> dict:
    """``<attr>-metadata``: the per-type fields, then GT's common ones (``worker-feedback`` last, as GT shows it)."""
    doc = {k: v for k, v in fields.items() if k not in _TRAILING}
    doc.update({
        "type": task_type.output_type,
        "job-name": f"labeling-job/{job_name}",
        "human-annotated": "yes",
        "creation-date": creation_date(created_ms),
    })
    doc.update((k, fields[k]) for k in _TRAILING if k in fields)
    return doc


def output_line(input_line: dict, attribute: str, value, meta: dict | None) -> dict:
    """The input line (every key kept, earlier jobs' labels included) plus this job's label."""
    line = dict(input_line)
    line[attribute] = value
    if meta is not None:
        line[f"{attribute}-metadata"] = meta
    return line


# output.manifest is written in chunks of about this many bytes (memory flat in the job's size)
STREAM_CHUNK_BYTES = 1 << 20


def encode_lines(lines: Iterable[str], chunk_bytes: int = STREAM_CHUNK_BYTES) -> Iterator[bytes]:
    """JSON Lines text as UTF-8 chunks of about ``chunk_bytes``, one newline after each line."""
    parts: list[bytes] = []
    size = 0
    for line in lines:
        data = line.encode("utf-8") + b"\n"
        parts.append(data)
        size += len(data)
        if size >= chunk_bytes:
            yield b"".join(parts)
            parts, size = [], 0
    if parts:
        yield b"".join(parts)


def write_manifest(storage, bucket: str, key: str, lines: Iterable[str]) -> int:
    """Stream a manifest to storage (a temp file then rename, or a multipart upload); bytes written.

    The object appears whole or not at all at a fixed key, so writing again after a crash or an
    outage leaves exactly one output manifest.
    """
    return storage.put_stream(bucket, key, encode_lines(lines), content_type="application/x-ndjson")
