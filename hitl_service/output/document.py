"""A2I's output.json: where it goes (bucket and key) and its exact bytes.

Both are pure functions of the loop, so a retried finalize writes the same bytes to the same key.
"""

from __future__ import annotations

import json
import re
from datetime import datetime, timezone
from urllib.parse import unquote

# FlowDefinitionOutputConfig.S3OutputPath pattern from the sagemaker model.
_OUTPUT_PATH = re.compile(r"^(https|s3)://([^/]+)/?(.*)$", re.IGNORECASE)
# The S3 endpoint part of an AWS host name: s3.amazonaws.com, s3.eu-west-1.amazonaws.com,
# s3-us-west-2.amazonaws.com (legacy dash form), s3.dualstack.us-east-1.amazonaws.com, ... and .cn.
_S3_HOST = r"s3(?:[.-][a-z0-9-]+)*\.amazonaws\.com(?:\.cn)?"
_VIRTUAL_HOSTED = re.compile(rf"^(.+)\.{_S3_HOST}$")
_PATH_STYLE = re.compile(rf"^{_S3_HOST}$")

# Keys of one humanAnswers element, in the order AWS writes them (alphabetical).
_ANSWER_KEYS = (
    "acceptanceTime",
    "answerContent",
    "submissionTime",
    "timeSpentInSeconds",
    "workerId",
    "workerMetadata",
)
_REQUIRED_ANSWER_KEYS = ("answerContent", "submissionTime", "workerId")


def parse_output_path(s3_output_path: str) -> tuple[str, str]:
    """Split an S3OutputPath (``s3://`` or ``https://``) into (bucket, prefix without outer slashes)."""
    match = _OUTPUT_PATH.match(s3_output_path.strip())
    if not match:
        raise ValueError(f"S3OutputPath must look like s3://bucket/prefix or https://...: {s3_output_path!r}")
    scheme, host, rest = match.group(1).lower(), match.group(2), match.group(3)
    # a query string or fragment is never part of an object key
    rest = rest.split("?", 1)[0].split("#", 1)[0]
    if scheme == "s3":
        bucket, prefix = host, rest
    else:
        # https URLs are percent-encoded; s3:// URIs are not
        rest = unquote(rest)
        hostname = host.rsplit("@", 1)[-1].split(":", 1)[0].lower()
        virtual = _VIRTUAL_HOSTED.match(hostname)
        if virtual:
            bucket, prefix = virtual.group(1), rest
        else:
            # path-style AWS endpoint or any other S3-compatible server: bucket is the first segment
            bucket, _, prefix = rest.lstrip("/").partition("/")
    if not bucket:
        raise ValueError(f"S3OutputPath has no bucket: {s3_output_path!r}")
    return bucket, prefix.strip("/")


def output_key(s3_output_path: str, flow_name: str, loop_name: str, created: datetime) -> tuple[str, str]:
    """(bucket, key) of a loop's output.json: ``{prefix}/{flow}/YYYY/MM/DD/hh/mm/ss/{loop}/output.json``."""
    bucket, prefix = parse_output_path(s3_output_path)
    if created.tzinfo is None:
        # naive datetimes in this service are UTC by convention
        created = created.replace(tzinfo=timezone.utc)
    stamp = created.astimezone(timezone.utc).strftime("%Y/%m/%d/%H/%M/%S")
    parts = [prefix, flow_name, stamp, loop_name, "output.json"]
    return bucket, "/".join(p for p in parts if p)


def output_uri(bucket: str, key: str) -> str:
    """The ``s3://bucket/key`` URI DescribeHumanLoop reports as HumanLoopOutput.OutputS3Uri."""
    return f"s3://{bucket}/{key}"


def _shape_answer(answer: dict) -> dict:
    missing = [k for k in _REQUIRED_ANSWER_KEYS if k not in answer]
    if missing:
        raise ValueError(f"answer is missing {', '.join(missing)}")
    shaped = {}
    for key in _ANSWER_KEYS:
        if key in answer:
            shaped[key] = answer[key]
    if "timeSpentInSeconds" in shaped:
        shaped["timeSpentInSeconds"] = float(shaped["timeSpentInSeconds"])
    return shaped


def build_output_document(
    *,
    flow_definition_arn: str,
    loop_name: str,
    input_content: str,
    answers: list[dict],
    activation_results: dict | None = None,
    request_source: str | None = None,
    consolidated_answer: dict | None = None,
) -> bytes:
    """The exact bytes of a loop's output.json (same inputs, same bytes, so every retry is identical).

    ``answers`` are already-shaped humanAnswers elements in submission order; only the A2I keys are
    copied, so internal bookkeeping on the dicts never leaks into the document.

    ``request_source`` marks a built-in task type: it is written as ``awsManagedHumanLoopRequestSource``
    and ``activation_results`` is nested in ``inputContent`` as ``humanTaskActivationConditionResults``
    (unless the InputContent already carries it), which is where AWS puts it. For custom flows (no
    ``request_source``) AWS has no activation conditions at all; this service accepts them, and writes
    the results at top level as ``humanTaskActivationConditionResults`` so inputContent stays exactly
    the caller's InputContent.
    """
    try:
        parsed_input = json.loads(input_content)
    except ValueError as exc:
        raise ValueError(f"InputContent is not JSON: {exc}") from None

    doc: dict = {
        "flowDefinitionArn": flow_definition_arn,
        "humanAnswers": [_shape_answer(a) for a in answers],
        "humanLoopName": loop_name,
        "inputContent": parsed_input,
    }
    if request_source is not None:
        doc["awsManagedHumanLoopRequestSource"] = request_source
        if activation_results is not None and isinstance(parsed_input, dict):
            parsed_input.setdefault("humanTaskActivationConditionResults", activation_results)
    elif activation_results is not None:
        doc["humanTaskActivationConditionResults"] = activation_results
    if consolidated_answer is not None:
        # opt-in (flow tag hitl:consolidate, docs/consolidation.md); absent, the document is A2I's
        doc["consolidatedAnswer"] = consolidated_answer
    # allow_nan=False: NaN/Infinity are not JSON and would break every consumer of the file
    text = json.dumps(doc, sort_keys=False, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    return text.encode("utf-8")
