"""Input manifests: JSON Lines streamed from ManifestS3Uri through the output storage backends."""

from __future__ import annotations

import dataclasses
import logging
from typing import Iterator, NamedTuple

import orjson

from hitl_service.output.document import parse_output_path

log = logging.getLogger(__name__)

# bad lines named in FailureReason / logs: enough to find them, never the whole manifest
MAX_NAMED_BAD_LINES = 20


class DataObject(NamedTuple):
    """One valid manifest line: its 0-based position (GT's datasetObjectId), the parsed line, its bytes."""

    # a NamedTuple rather than a frozen dataclass: ingestion builds one per line, and tuple
    # construction is several times cheaper

    index: int
    line: dict
    raw: bytes

    @property
    def source(self) -> str | None:
        return self.line.get("source")

    @property
    def source_ref(self) -> str | None:
        return self.line.get("source-ref")


@dataclasses.dataclass(frozen=True)
class BadLine:
    """A line that is not usable: its 1-based line number (as an editor shows it) and why."""

    number: int
    reason: str


def split_uri(uri: str) -> tuple[str, str]:
    """(bucket, key) of an ``s3://`` or ``https://`` object URI; ValueError if it names no object."""
    bucket, key = parse_output_path(uri)
    if not key:
        raise ValueError(f"{uri} names a bucket, not an object")
    return bucket, key


def parse_line(number: int, raw: bytes) -> DataObject | BadLine | None:
    """One manifest line: a DataObject, a BadLine, or None for a blank line (ignored as GT does)."""
    try:
        line = orjson.loads(raw)  # orjson: about seven times json's speed, the bulk of ingest time
    except orjson.JSONDecodeError:
        if not raw.strip():
            return None
        return BadLine(number, "not JSON")
    if type(line) is not dict:
        return BadLine(number, "not a JSON object")
    has_source = type(line.get("source")) is str
    has_ref = type(line.get("source-ref")) is str
    if has_source == has_ref:
        if has_source:
            return BadLine(number, "has both 'source' and 'source-ref'")
        return BadLine(number, "has neither a 'source' string nor a 'source-ref' string")
    return DataObject(number - 1, line, raw.strip())


def read_manifest(storage, uri: str) -> Iterator[DataObject | BadLine]:
    """Every non-blank line of the manifest at ``uri``, in order, streamed."""
    bucket, key = split_uri(uri)
    for number, raw in enumerate(storage.iter_lines(bucket, key), 1):
        parsed = parse_line(number, raw)
        if parsed is not None:
            yield parsed


def describe_bad_lines(bad: list[BadLine], total_bad: int) -> str:
    """``lines 3 (not JSON), 7 (...)`` naming the first few bad lines, and how many more there are."""
    named = ", ".join(f"{b.number} ({b.reason})" for b in bad[:MAX_NAMED_BAD_LINES])
    more = total_bad - min(len(bad), MAX_NAMED_BAD_LINES)
    return f"lines {named}" + (f" and {more} more" if more > 0 else "")
