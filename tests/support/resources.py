"""Helpers that create workteams, task UIs and flows through boto3, as a user would."""

from __future__ import annotations

import itertools

ROLE = "arn:aws:iam::123456789012:role/hitl-test-role"
SIMPLE_TEMPLATE = """<script src="https://assets.crowd.aws/crowd-html-elements.js"></script>
<crowd-form>
  <p>{{ task.input.text }}</p>
  <crowd-input name="answer" label="Answer" required></crowd-input>
</crowd-form>
"""

_counter = itertools.count()


def unique(prefix: str) -> str:
    return f"{prefix}-{next(_counter)}"


def create_team(sm, name: str | None = None, groups=("reviewers",)) -> tuple[str, str]:
    name = name or unique("team")
    arn = sm.create_workteam(WorkteamName=name, Description=f"team {name}",
                             MemberDefinitions=[{"OidcMemberDefinition": {"Groups": list(groups)}}])["WorkteamArn"]
    return name, arn


def create_ui(sm, name: str | None = None, template: str = SIMPLE_TEMPLATE) -> tuple[str, str]:
    name = name or unique("ui")
    arn = sm.create_human_task_ui(HumanTaskUiName=name, UiTemplate={"Content": template})["HumanTaskUiArn"]
    return name, arn


def create_flow(sm, *, team_arn=None, ui_arn=None, name=None, task_count=1, time_limit=None, lifetime=None,
                output="s3://hitl-output/results", tags=None, conditions=None) -> tuple[str, str]:
    if team_arn is None:
        team_arn = create_team(sm)[1]
    if ui_arn is None:
        ui_arn = create_ui(sm)[1]
    name = name or unique("flow")
    hlc = {"WorkteamArn": team_arn, "HumanTaskUiArn": ui_arn, "TaskTitle": "Review this", "TaskDescription":
           "Check the model's answer", "TaskCount": task_count}
    if time_limit:
        hlc["TaskTimeLimitInSeconds"] = time_limit
    if lifetime:
        hlc["TaskAvailabilityLifetimeInSeconds"] = lifetime
    kw = {}
    if tags:
        kw["Tags"] = tags
    if conditions:
        kw["HumanLoopActivationConfig"] = {"HumanLoopActivationConditionsConfig": {
            "HumanLoopActivationConditions": conditions}}
    arn = sm.create_flow_definition(FlowDefinitionName=name, OutputConfig={"S3OutputPath": output}, RoleArn=ROLE,
                                    HumanLoopConfig=hlc, **kw)["FlowDefinitionArn"]
    return name, arn
