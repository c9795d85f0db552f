"""Output schemas of the A2I runtime API (rest-json: ISO-8601 timestamps with milliseconds)."""

from __future__ import annotations

from marshmallow import Schema, fields

from hitl_service.domain.timefmt import iso_ms


class IsoMillis(fields.Field):
    """Epoch milliseconds (stored) dumped as ``2020-02-24T21:05:23.449Z``."""

    def _serialize(self, value, attr, obj, **kwargs):
        return None if value in (None, "") else iso_ms(int(value))


class HumanLoopOutputSchema(Schema):
    OutputS3Uri = fields.String(attribute="output_uri")


class DescribeHumanLoopResponseSchema(Schema):
    CreationTime = IsoMillis(attribute="created_ms")
    FailureReason = fields.String(attribute="failure_reason")
    FailureCode = fields.String(attribute="failure_code")
    HumanLoopStatus = fields.String(attribute="status")
    HumanLoopName = fields.String(attribute="name")
    HumanLoopArn = fields.String(attribute="arn")
    FlowDefinitionArn = fields.String(attribute="flow_arn")
    HumanLoopOutput = fields.Method("_output")

    def _output(self, obj):
        return {"OutputS3Uri": obj["output_uri"]} if obj.get("output_uri") else None


class HumanLoopSummarySchema(Schema):
    HumanLoopName = fields.String(attribute="name")
    HumanLoopStatus = fields.String(attribute="status")
    CreationTime = IsoMillis(attribute="created_ms")
    FailureReason = fields.String(attribute="failure_reason")
    FlowDefinitionArn = fields.String(attribute="flow_arn")


_describe = DescribeHumanLoopResponseSchema()
_summary = HumanLoopSummarySchema()


def _without_empty(doc: dict) -> dict:
    return {k: v for k, v in doc.items() if v not in (None, "")}


def dump_describe_human_loop(loop: dict) -> dict:
    """DescribeHumanLoop's response body for a stored loop."""
    return _without_empty(_describe.dump(loop))


def dump_human_loop_summary(loop: dict) -> dict:
    """One HumanLoopSummaries entry."""
    return _without_empty(_summary.dump(loop))
