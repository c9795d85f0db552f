"""Output schemas of the SageMaker control plane (json protocol: epoch-second timestamps)."""

from __future__ import annotations

from marshmallow import Schema, fields

from hitl_service.domain.timefmt import epoch_seconds


class EpochSeconds(fields.Field):
    def _serialize(self, value, attr, obj, **kwargs):
        return None if value in (None, "") else epoch_seconds(int(value))


class FlowDefinitionSchema(Schema):
    FlowDefinitionArn = fields.String(attribute="arn")
    FlowDefinitionName = fields.String(attribute="name")
    FlowDefinitionStatus = fields.String(attribute="status")
    CreationTime = EpochSeconds(attribute="created_ms")
    OutputConfig = fields.Function(lambda f: f["doc"].get("OutputConfig"))
    RoleArn = fields.Function(lambda f: f["doc"].get("RoleArn"))
    HumanLoopRequestSource = fields.Function(lambda f: f["doc"].get("HumanLoopRequestSource"))
    HumanLoopActivationConfig = fields.Function(lambda f: f["doc"].get("HumanLoopActivationConfig"))
    HumanLoopConfig = fields.Function(lambda f: f["doc"].get("HumanLoopConfig"))
    FailureReason = fields.String(attribute="failure_reason")


class FlowDefinitionSummarySchema(Schema):
    FlowDefinitionName = fields.String(attribute="name")
    FlowDefinitionArn = fields.String(attribute="arn")
    FlowDefinitionStatus = fields.String(attribute="status")
    CreationTime = EpochSeconds(attribute="created_ms")


class HumanTaskUiSchema(Schema):
    HumanTaskUiArn = fields.String(attribute="arn")
    HumanTaskUiName = fields.String(attribute="name")
    HumanTaskUiStatus = fields.Constant("Active")
    CreationTime = EpochSeconds(attribute="created_ms")
    UiTemplate = fields.Function(lambda u: {"Url": u["url"], "ContentSha256": u["sha256"]})


class HumanTaskUiSummarySchema(Schema):
    HumanTaskUiName = fields.String(attribute="name")
    HumanTaskUiArn = fields.String(attribute="arn")
    CreationTime = EpochSeconds(attribute="created_ms")


class WorkteamSchema(Schema):
    WorkteamName = fields.String(attribute="name")
    MemberDefinitions = fields.Function(lambda t: t["doc"]["MemberDefinitions"])
    WorkteamArn = fields.String(attribute="arn")
    WorkforceArn = fields.String(attribute="workforce_arn")
    ProductListingIds = fields.Constant([])
    Description = fields.Function(lambda t: t["doc"]["Description"])
    SubDomain = fields.String(attribute="subdomain")
    CreateDate = EpochSeconds(attribute="created_ms")
    LastUpdatedDate = EpochSeconds(attribute="updated_ms")
    NotificationConfiguration = fields.Function(lambda t: t["doc"].get("NotificationConfiguration"))
    WorkerAccessConfiguration = fields.Function(lambda t: t["doc"].get("WorkerAccessConfiguration"))


def _clean(doc: dict) -> dict:
    return {k: v for k, v in doc.items() if v not in (None, "")}


_flow, _flow_summary = FlowDefinitionSchema(), FlowDefinitionSummarySchema()
_ui, _ui_summary = HumanTaskUiSchema(), HumanTaskUiSummarySchema()
_team = WorkteamSchema()


def dump_flow_definition(flow: dict) -> dict:
    return _clean(_flow.dump(flow))


def dump_flow_definition_summary(flow: dict) -> dict:
    return _clean(_flow_summary.dump(flow))


def dump_human_task_ui(ui: dict) -> dict:
    return _clean(_ui.dump(ui))


def dump_human_task_ui_summary(ui: dict) -> dict:
    return _clean(_ui_summary.dump(ui))


def dump_workteam(team: dict) -> dict:
    return _clean(_team.dump(team))
