"""The SageMaker control plane (json protocol) through real boto3 clients and signed plain HTTP."""

from __future__ import annotations

import concurrent.futures
import hashlib
import json
import time
from datetime import datetime, timedelta, timezone
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
import requests
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore.exceptions import ClientError

from hitl_service.services.resources import retire_flow_definition
from hitl_service.store import keys
from tests.conftest import ACCESS_KEY, ACCOUNT, REGION, SECRET_KEY
from tests.support import resources as R

ARN_PREFIX = f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:"
JSON_CONTENT_TYPE = "application/x-amz-json-1.1"


# ---- helpers ----------------------------------------------------------------------------------


def signed_call(service, target: str, body=None, *, raw: bytes | str | None = None) -> requests.Response:
    """POST / signed with SigV4 like botocore, but with a body boto3 would never send."""
    data = raw if raw is not None else json.dumps(body if body is not None else {})
    if isinstance(data, str):
        data = data.encode()
    req = AWSRequest(method="POST", url=service.url + "/", data=data,
                     headers={"X-Amz-Target": target, "Content-Type": JSON_CONTENT_TYPE})
    SigV4Auth(Credentials(ACCESS_KEY, SECRET_KEY), "sagemaker", REGION).add_auth(req)
    return requests.post(service.url + "/", data=data, headers=dict(req.headers), timeout=30)


def call(service, op: str, body=None, *, raw=None) -> requests.Response:
    return signed_call(service, f"SageMaker.{op}", body, raw=raw)


def assert_json_error(resp: requests.Response, code: str, *fragments: str) -> str:
    """The json protocol's error wire format: HTTP 400 and exactly {"__type", "Message"}."""
    assert resp.status_code == 400, resp.text
    assert resp.headers["Content-Type"].startswith(JSON_CONTENT_TYPE)
    body = resp.json()
    assert set(body) == {"__type", "Message"}, body
    assert body["__type"] == code, body
    for fragment in fragments:
        assert fragment in body["Message"], body["Message"]
    return body["Message"]


def validation(excinfo, *fragments: str) -> str:
    err = excinfo.value.response["Error"]
    assert err["Code"] == "ValidationException", err
    assert excinfo.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    for fragment in fragments:
        assert fragment in err["Message"], err["Message"]
    return err["Message"]


def raw_bodies(client, op: str) -> list[dict]:
    """Collect the raw JSON response bodies of ``op`` as they came over the wire."""
    seen: list[dict] = []
    client.meta.events.register(f"after-call.sagemaker.{op}",
                                lambda http_response, **_: seen.append(json.loads(http_response.content)))
    return seen


def hlc(team_arn, ui_arn, **overrides) -> dict:
    config = {"WorkteamArn": team_arn, "HumanTaskUiArn": ui_arn, "TaskTitle": "Review this",
              "TaskDescription": "Check the model's answer", "TaskCount": 1}
    config.update(overrides)
    return config


def flow_request(name, team_arn, ui_arn, **hlc_overrides) -> dict:
    return {"FlowDefinitionName": name, "RoleArn": R.ROLE, "OutputConfig": {"S3OutputPath": "s3://bkt/out"},
            "HumanLoopConfig": hlc(team_arn, ui_arn, **hlc_overrides)}


def close_to_now(value: datetime) -> bool:
    return abs(value - datetime.now(timezone.utc)) < timedelta(seconds=60)


def flow_names(sm, **kw) -> list[str]:
    pages = sm.get_paginator("list_flow_definitions").paginate(**kw)
    return [s["FlowDefinitionName"] for p in pages for s in p["FlowDefinitionSummaries"]]


def ui_names(sm, **kw) -> list[str]:
    pages = sm.get_paginator("list_human_task_uis").paginate(**kw)
    return [s["HumanTaskUiName"] for p in pages for s in p["HumanTaskUiSummaries"]]


def team_names(sm, **kw) -> list[str]:
    pages = sm.get_paginator("list_workteams").paginate(**kw)
    return [t["WorkteamName"] for p in pages for t in p["Workteams"]]


@pytest.fixture
def team_and_ui(sm):
    _, team_arn = R.create_team(sm)
    _, ui_arn = R.create_ui(sm)
    return team_arn, ui_arn


# ---- flow definitions -------------------------------------------------------------------------


def test_flow_definition_create_describe_list_delete(sm, team_and_ui):
    team_arn, ui_arn = team_and_ui
    config = hlc(team_arn, ui_arn, TaskCount=2, TaskTimeLimitInSeconds=600,
                 TaskAvailabilityLifetimeInSeconds=7200, TaskKeywords=["text", "sentiment review"])
    arn = sm.create_flow_definition(
        FlowDefinitionName="fd-main", RoleArn=R.ROLE, HumanLoopConfig=config,
        OutputConfig={"S3OutputPath": "s3://bkt/prefix", "KmsKeyId": "alias/my-key"},
        Tags=[{"Key": "team", "Value": "ml"}])["FlowDefinitionArn"]
    assert arn == ARN_PREFIX + "flow-definition/fd-main"

    d = sm.describe_flow_definition(FlowDefinitionName="fd-main")
    assert d["FlowDefinitionArn"] == arn and d["FlowDefinitionName"] == "fd-main"
    assert d["FlowDefinitionStatus"] == "Active"
    assert d["RoleArn"] == R.ROLE
    assert d["OutputConfig"] == {"S3OutputPath": "s3://bkt/prefix", "KmsKeyId": "alias/my-key"}
    assert d["HumanLoopConfig"] == config
    assert close_to_now(d["CreationTime"])
    assert "FailureReason" not in d

    summaries = sm.list_flow_definitions()["FlowDefinitionSummaries"]
    assert summaries == [{"FlowDefinitionName": "fd-main", "FlowDefinitionArn": arn,
                          "FlowDefinitionStatus": "Active", "CreationTime": d["CreationTime"]}]

    assert sm.delete_flow_definition(FlowDefinitionName="fd-main")["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert sm.describe_flow_definition(FlowDefinitionName="fd-main")["FlowDefinitionStatus"] == "Deleting"
    listed = sm.list_flow_definitions()["FlowDefinitionSummaries"]
    assert [(s["FlowDefinitionName"], s["FlowDefinitionStatus"]) for s in listed] == [("fd-main", "Deleting")]


def test_flow_definitions_paginate_sort_and_filter_by_creation_time(sm, team_and_ui):
    team_arn, ui_arn = team_and_ui
    early = [R.create_flow(sm, team_arn=team_arn, ui_arn=ui_arn, name=f"early-{i}")[0] for i in range(4)]
    time.sleep(0.05)
    cut = datetime.now(timezone.utc)
    time.sleep(0.05)
    late = [R.create_flow(sm, team_arn=team_arn, ui_arn=ui_arn, name=f"late-{i}")[0] for i in range(3)]
    everything = early + late

    assert flow_names(sm, PaginationConfig={"PageSize": 2}) == list(reversed(everything))  # newest first
    assert flow_names(sm, SortOrder="Ascending", PaginationConfig={"PageSize": 3}) == everything
    first = sm.list_flow_definitions(MaxResults=2, SortOrder="Ascending")
    assert [s["FlowDefinitionName"] for s in first["FlowDefinitionSummaries"]] == everything[:2]
    assert first["NextToken"]
    assert flow_names(sm, CreationTimeAfter=cut, SortOrder="Ascending", PaginationConfig={"PageSize": 2}) == late
    assert flow_names(sm, CreationTimeBefore=cut, SortOrder="Ascending", PaginationConfig={"PageSize": 1}) == early
    assert flow_names(sm, CreationTimeAfter=cut + timedelta(days=1)) == []


def test_flow_definition_errors_are_modeled_exceptions(sm, team_and_ui):
    team_arn, ui_arn = team_and_ui
    with pytest.raises(sm.exceptions.ResourceNotFound) as err:
        sm.describe_flow_definition(FlowDefinitionName="ghost")
    assert "ghost" in err.value.response["Error"]["Message"]
    with pytest.raises(sm.exceptions.ResourceNotFound):
        sm.delete_flow_definition(FlowDefinitionName="ghost")

    name, arn = R.create_flow(sm, team_arn=team_arn, ui_arn=ui_arn, name="dup-flow")
    with pytest.raises(sm.exceptions.ResourceInUse) as err:
        R.create_flow(sm, team_arn=team_arn, ui_arn=ui_arn, name="dup-flow")
    assert "dup-flow" in err.value.response["Error"]["Message"]
    assert sm.describe_flow_definition(FlowDefinitionName=name)["FlowDefinitionArn"] == arn

    sm.delete_flow_definition(FlowDefinitionName=name)
    with pytest.raises(sm.exceptions.ResourceInUse) as err:
        sm.delete_flow_definition(FlowDefinitionName=name)
    assert "Deleting" in err.value.response["Error"]["Message"]


def test_control_timestamps_are_epoch_seconds_on_the_wire(service, team_and_ui):
    sm = service.client("sagemaker")
    team_arn, ui_arn = team_and_ui
    team_name = team_arn.rsplit("/", 1)[1]
    ui_name = ui_arn.rsplit("/", 1)[1]
    flow_name, _ = R.create_flow(sm, team_arn=team_arn, ui_arn=ui_arn)
    bodies = {op: raw_bodies(sm, op) for op in ("DescribeFlowDefinition", "ListFlowDefinitions",
                                                 "DescribeHumanTaskUi", "ListHumanTaskUis",
                                                 "DescribeWorkteam", "ListWorkteams")}
    parsed = sm.describe_flow_definition(FlowDefinitionName=flow_name)
    sm.list_flow_definitions()
    sm.describe_human_task_ui(HumanTaskUiName=ui_name)
    sm.list_human_task_uis()
    sm.describe_workteam(WorkteamName=team_name)
    sm.list_workteams()

    def is_epoch(value):
        return isinstance(value, (int, float)) and not isinstance(value, bool) and abs(value - time.time()) < 60

    flow = bodies["DescribeFlowDefinition"][0]
    assert is_epoch(flow["CreationTime"])
    assert parsed["CreationTime"] == datetime.fromtimestamp(flow["CreationTime"], tz=timezone.utc)
    assert is_epoch(bodies["ListFlowDefinitions"][0]["FlowDefinitionSummaries"][0]["CreationTime"])
    assert is_epoch(bodies["DescribeHumanTaskUi"][0]["CreationTime"])
    assert is_epoch(bodies["ListHumanTaskUis"][0]["HumanTaskUiSummaries"][0]["CreationTime"])
    team = bodies["DescribeWorkteam"][0]["Workteam"]
    assert is_epoch(team["CreateDate"]) and is_epoch(team["LastUpdatedDate"])
    listed = bodies["ListWorkteams"][0]["Workteams"][0]
    assert is_epoch(listed["CreateDate"]) and is_epoch(listed["LastUpdatedDate"])


# ---- human task UIs ---------------------------------------------------------------------------


def _fetchable(service, url: str) -> str:
    # The URL is built on HITL_PUBLIC_URL (what browsers see); the test app listens on a random
    # port, so keep the path and query and send it to the app under test.
    parts = urlsplit(url)
    assert url.startswith(service.settings.public_url + "/")
    return f"{service.url}{parts.path}?{parts.query}"


def test_human_task_ui_create_describe_fetch_template_list_delete(service, sm):
    template = R.SIMPLE_TEMPLATE + "<!-- caf\u00e9 \u2713 -->\n"
    arn = sm.create_human_task_ui(HumanTaskUiName="ui-main", UiTemplate={"Content": template},
                                  Tags=[{"Key": "k", "Value": "v"}])["HumanTaskUiArn"]
    assert arn == ARN_PREFIX + "human-task-ui/ui-main"

    d = sm.describe_human_task_ui(HumanTaskUiName="ui-main")
    assert d["HumanTaskUiArn"] == arn and d["HumanTaskUiName"] == "ui-main"
    assert d["HumanTaskUiStatus"] == "Active"
    assert close_to_now(d["CreationTime"])
    assert set(d["UiTemplate"]) == {"Url", "ContentSha256"}  # AWS never returns the Content itself
    assert d["UiTemplate"]["ContentSha256"] == hashlib.sha256(template.encode("utf-8")).hexdigest()

    url = _fetchable(service, d["UiTemplate"]["Url"])
    page = requests.get(url, timeout=30)  # a capability URL: no signature needed
    assert page.status_code == 200
    assert page.content.decode("utf-8") == template
    assert hashlib.sha256(page.content).hexdigest() == d["UiTemplate"]["ContentSha256"]

    parts = urlsplit(url)
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    tampered = dict(query, sig=("0" if query["sig"][0] != "0" else "1") + query["sig"][1:])
    assert requests.get(f"{service.url}{parts.path}?{urlencode(tampered)}", timeout=30).status_code == 403
    no_sig = {k: v for k, v in query.items() if k != "sig"}
    assert requests.get(f"{service.url}{parts.path}?{urlencode(no_sig)}", timeout=30).status_code == 403
    other_sha = dict(query, sha=hashlib.sha256(b"other").hexdigest())
    assert requests.get(f"{service.url}{parts.path}?{urlencode(other_sha)}", timeout=30).status_code == 403
    # the signature covers the UI name: another UI's path with this signature is refused
    R.create_ui(sm, name="ui-other", template=template)
    assert requests.get(f"{service.url}/human-task-uis/ui-other/template?{parts.query}", timeout=30).status_code == 403

    summaries = sm.list_human_task_uis(SortOrder="Ascending")["HumanTaskUiSummaries"]
    assert summaries[0] == {"HumanTaskUiName": "ui-main", "HumanTaskUiArn": arn, "CreationTime": d["CreationTime"]}

    sm.delete_human_task_ui(HumanTaskUiName="ui-main")
    with pytest.raises(sm.exceptions.ResourceNotFound):
        sm.describe_human_task_ui(HumanTaskUiName="ui-main")
    assert ui_names(sm) == ["ui-other"]
    assert requests.get(url, timeout=30).status_code == 404
    # the name can be used again
    R.create_ui(sm, name="ui-main")


def test_human_task_uis_paginate_and_filter_by_creation_time(sm):
    early = [R.create_ui(sm, name=f"ui-early-{i}")[0] for i in range(3)]
    time.sleep(0.05)
    cut = datetime.now(timezone.utc)
    time.sleep(0.05)
    late = [R.create_ui(sm, name=f"ui-late-{i}")[0] for i in range(4)]
    everything = early + late
    assert ui_names(sm, PaginationConfig={"PageSize": 2}) == list(reversed(everything))
    assert ui_names(sm, SortOrder="Ascending", PaginationConfig={"PageSize": 3}) == everything
    assert ui_names(sm, SortOrder="Ascending", CreationTimeAfter=cut, PaginationConfig={"PageSize": 3}) == late
    assert ui_names(sm, SortOrder="Ascending", CreationTimeBefore=cut, PaginationConfig={"PageSize": 1}) == early
    assert ui_names(sm, CreationTimeBefore=cut - timedelta(days=1)) == []


def test_creation_time_after_is_inclusive_and_before_is_exclusive(sm, team_and_ui):
    team_arn, ui_arn = team_and_ui
    uis, flows = [], []
    for i in range(3):
        uis.append(R.create_ui(sm, name=f"edge-ui-{i}")[0])
        flows.append(R.create_flow(sm, team_arn=team_arn, ui_arn=ui_arn, name=f"edge-flow-{i}")[0])
        time.sleep(0.005)  # distinct creation milliseconds
    uis = [u for u in ui_names(sm, SortOrder="Ascending") if u.startswith("edge-ui-")]
    # a CreationTime read back from the service is a usable bound (no precision lost on the way)
    mid_ui = sm.describe_human_task_ui(HumanTaskUiName=uis[1])["CreationTime"]
    assert [u for u in ui_names(sm, SortOrder="Ascending", CreationTimeAfter=mid_ui)
            if u.startswith("edge-ui-")] == uis[1:]
    assert [u for u in ui_names(sm, SortOrder="Ascending", CreationTimeBefore=mid_ui)
            if u.startswith("edge-ui-")] == uis[:1]
    mid_flow = sm.describe_flow_definition(FlowDefinitionName=flows[1])["CreationTime"]
    assert flow_names(sm, SortOrder="Ascending", CreationTimeAfter=mid_flow) == flows[1:]
    assert flow_names(sm, SortOrder="Ascending", CreationTimeBefore=mid_flow) == flows[:1]
    assert flow_names(sm, SortOrder="Ascending", CreationTimeAfter=mid_flow, CreationTimeBefore=mid_flow) == []


def test_human_task_ui_errors_are_modeled_exceptions(sm):
    with pytest.raises(sm.exceptions.ResourceNotFound):
        sm.describe_human_task_ui(HumanTaskUiName="ghost")
    with pytest.raises(sm.exceptions.ResourceNotFound):
        sm.delete_human_task_ui(HumanTaskUiName="ghost")
    R.create_ui(sm, name="dup-ui")
    with pytest.raises(sm.exceptions.ResourceInUse) as err:
        R.create_ui(sm, name="dup-ui", template="<p>different</p>")
    assert "dup-ui" in err.value.response["Error"]["Message"]


def test_task_ui_and_workteam_used_by_an_active_flow_cannot_be_deleted(sm):
    team_name, team_arn = R.create_team(sm)
    ui_name, ui_arn = R.create_ui(sm)
    R.create_flow(sm, team_arn=team_arn, ui_arn=ui_arn)
    with pytest.raises(sm.exceptions.ResourceInUse) as err:
        sm.delete_human_task_ui(HumanTaskUiName=ui_name)
    assert ui_name in err.value.response["Error"]["Message"]
    with pytest.raises(sm.exceptions.ResourceInUse) as err:
        sm.delete_workteam(WorkteamName=team_name)
    assert team_name in err.value.response["Error"]["Message"]
    # both are untouched
    assert sm.describe_human_task_ui(HumanTaskUiName=ui_name)["HumanTaskUiArn"] == ui_arn
    assert sm.describe_workteam(WorkteamName=team_name)["Workteam"]["WorkteamArn"] == team_arn


# ---- workteams --------------------------------------------------------------------------------


def test_workteam_create_describe_update_delete(service, sm):
    def teams_of_group(group):  # who the reviewer portal routes a group's members to
        return service.ctx.store.client.smembers(keys.group_teams(group))

    members = [{"OidcMemberDefinition": {"Groups": ["labelers", "qa"]}}]
    arn = sm.create_workteam(WorkteamName="Team-One", Description="first team", MemberDefinitions=members,
                             Tags=[{"Key": "k", "Value": "v"}])["WorkteamArn"]
    assert arn == ARN_PREFIX + "workteam/private-crowd/Team-One"

    team = sm.describe_workteam(WorkteamName="Team-One")["Workteam"]
    assert team["WorkteamName"] == "Team-One" and team["WorkteamArn"] == arn
    assert team["MemberDefinitions"] == members
    assert team["Description"] == "first team"
    assert team["WorkforceArn"].startswith(ARN_PREFIX + "workforce/")
    assert close_to_now(team["CreateDate"]) and close_to_now(team["LastUpdatedDate"])

    new_members = [{"OidcMemberDefinition": {"Groups": ["reviewers"]}}]
    updated = sm.update_workteam(WorkteamName="Team-One", MemberDefinitions=new_members)["Workteam"]
    assert updated["MemberDefinitions"] == new_members  # replaced, not merged
    assert teams_of_group("labelers") == set() and teams_of_group("qa") == set()
    assert teams_of_group("reviewers") == {"Team-One"}
    assert updated["Description"] == "first team"  # untouched fields stay
    assert updated["LastUpdatedDate"] >= team["LastUpdatedDate"]
    assert updated["CreateDate"] == team["CreateDate"]
    again = sm.describe_workteam(WorkteamName="Team-One")["Workteam"]
    assert again["MemberDefinitions"] == new_members

    sm.update_workteam(WorkteamName="Team-One", Description="renamed purpose")
    again = sm.describe_workteam(WorkteamName="Team-One")["Workteam"]
    assert again["Description"] == "renamed purpose" and again["MemberDefinitions"] == new_members

    assert sm.delete_workteam(WorkteamName="Team-One")["Success"] is True
    assert teams_of_group("reviewers") == set()
    with pytest.raises(ClientError) as err:
        sm.describe_workteam(WorkteamName="Team-One")
    validation(err, "The work team")
    assert team_names(sm) == []
    # the name can be used again
    assert sm.create_workteam(WorkteamName="Team-One", Description="again",
                              MemberDefinitions=members)["WorkteamArn"] == arn


def test_cognito_member_definitions_round_trip(sm):
    members = [{"CognitoMemberDefinition": {"UserPool": "us-east-1_AbC123", "UserGroup": g, "ClientId": "client1"}}
               for g in ("alpha", "beta")]
    sm.create_workteam(WorkteamName="cognito-team", Description="c", MemberDefinitions=members)
    assert sm.describe_workteam(WorkteamName="cognito-team")["Workteam"]["MemberDefinitions"] == members


def test_missing_workteam_is_a_validation_exception(sm):
    with pytest.raises(ClientError) as err:
        sm.describe_workteam(WorkteamName="ghost-team")
    validation(err, "The work team", "ghost-team")
    with pytest.raises(ClientError) as err:
        sm.update_workteam(WorkteamName="ghost-team", Description="x")
    validation(err, "The work team")
    with pytest.raises(ClientError) as err:
        sm.delete_workteam(WorkteamName="ghost-team")
    validation(err, "The work team")


def test_duplicate_workteam_is_resource_in_use(sm):
    R.create_team(sm, name="dup-team", groups=("a",))
    with pytest.raises(sm.exceptions.ResourceInUse) as err:
        R.create_team(sm, name="dup-team", groups=("b",))
    assert "dup-team" in err.value.response["Error"]["Message"]
    members = sm.describe_workteam(WorkteamName="dup-team")["Workteam"]["MemberDefinitions"]
    assert members == [{"OidcMemberDefinition": {"Groups": ["a"]}}]


def test_list_workteams_sorting_filtering_and_pagination(sm):
    created = ["delta", "alpha-blue", "charlie", "bravo-blue", "echo-blue"]
    for name in created:
        R.create_team(sm, name=name)
        time.sleep(0.002)
    assert team_names(sm, SortBy="Name", SortOrder="Ascending") == sorted(created)
    assert team_names(sm, SortBy="Name", SortOrder="Descending") == sorted(created, reverse=True)
    assert team_names(sm, SortBy="CreateDate", SortOrder="Ascending") == created
    assert team_names(sm, SortBy="CreateDate", SortOrder="Descending") == list(reversed(created))
    assert team_names(sm) == list(reversed(created))  # service default: newest first
    assert team_names(sm, SortBy="Name", SortOrder="Ascending", PaginationConfig={"PageSize": 2}) == sorted(created)
    assert team_names(sm, SortBy="CreateDate", SortOrder="Ascending", PaginationConfig={"PageSize": 2}) == created
    assert team_names(sm, NameContains="blue", SortBy="Name", SortOrder="Ascending",
                      PaginationConfig={"PageSize": 1}) == ["alpha-blue", "bravo-blue", "echo-blue"]
    assert team_names(sm, NameContains="blue", SortBy="CreateDate", SortOrder="Descending",
                      PaginationConfig={"PageSize": 2}) == ["echo-blue", "bravo-blue", "alpha-blue"]
    assert team_names(sm, NameContains="zulu") == []
    page = sm.list_workteams(SortBy="Name", SortOrder="Ascending", MaxResults=2)
    assert [t["WorkteamName"] for t in page["Workteams"]] == ["alpha-blue", "bravo-blue"]
    assert page["Workteams"][0]["MemberDefinitions"] == [{"OidcMemberDefinition": {"Groups": ["reviewers"]}}]
    rest = sm.list_workteams(SortBy="Name", SortOrder="Ascending", MaxResults=2, NextToken=page["NextToken"])
    assert [t["WorkteamName"] for t in rest["Workteams"]] == ["charlie", "delta"]


def test_next_token_of_one_listing_is_refused_by_another(sm):
    for i in range(3):
        R.create_ui(sm, name=f"tok-{i}")
    token = sm.list_human_task_uis(MaxResults=1)["NextToken"]
    with pytest.raises(ClientError) as err:
        sm.list_flow_definitions(NextToken=token)
    validation(err, "NextToken")


def test_concurrent_creates_of_one_name_make_exactly_one_resource(service, team_and_ui):
    team_arn, ui_arn = team_and_ui
    clients = [service.client("sagemaker") for _ in range(8)]
    creators = {
        "team": lambda c, i: c.create_workteam(WorkteamName="racy", Description=f"d{i}", MemberDefinitions=[
            {"OidcMemberDefinition": {"Groups": [f"g{i}"]}}]),
        "ui": lambda c, i: c.create_human_task_ui(HumanTaskUiName="racy", UiTemplate={"Content": f"<p>{i}</p>"}),
        "flow": lambda c, i: c.create_flow_definition(**flow_request("racy", team_arn, ui_arn, TaskTitle=f"t{i}")),
    }
    for kind, create in creators.items():
        def attempt(i):
            try:
                create(clients[i % len(clients)], i)
                return "ok"
            except ClientError as exc:
                return exc.response["Error"]["Code"]

        with concurrent.futures.ThreadPoolExecutor(8) as pool:
            results = list(pool.map(attempt, range(24)))
        assert results.count("ok") == 1 and results.count("ResourceInUse") == 23, (kind, results)
    sm = clients[0]
    winner = sm.describe_workteam(WorkteamName="racy")["Workteam"]
    i = int(winner["Description"][1:])  # the stored team is one whole request, not a mix of several
    assert winner["MemberDefinitions"] == [{"OidcMemberDefinition": {"Groups": [f"g{i}"]}}]
    assert team_names(sm, NameContains="racy") == ["racy"]
    assert ui_names(sm).count("racy") == 1
    assert flow_names(sm) == ["racy"]


# ---- error wire format ------------------------------------------------------------------------


def test_modeled_error_wire_format_is_type_and_message(service, sm):
    resp = call(service, "DescribeFlowDefinition", {"FlowDefinitionName": "ghost"})
    assert_json_error(resp, "ResourceNotFound", "ghost")
    assert resp.headers["x-amzn-RequestId"]


def test_unknown_target_is_unknown_operation(service):
    resp = signed_call(service, "SageMaker.DescribeEverything", {})
    assert_json_error(resp, "UnknownOperationException", "DescribeEverything")
    resp = signed_call(service, "SomethingElse_20200101.ListFlowDefinitions", {})
    assert_json_error(resp, "UnknownOperationException")


def test_json_protocol_errors_surface_as_client_errors_through_boto3(sm):
    with pytest.raises(ClientError) as err:
        sm.describe_workteam(WorkteamName="no-such-team")
    assert err.value.response["Error"]["Code"] == "ValidationException"
    assert err.value.response["ResponseMetadata"]["RequestId"]


# ---- bad input --------------------------------------------------------------------------------


@pytest.mark.parametrize("op, body, fragment", [
    ("DescribeFlowDefinition", {"FlowDefinitionName": 5}, "flowDefinitionName"),
    ("CreateWorkteam", {"WorkteamName": "t", "Description": "d",
                        "MemberDefinitions": {"OidcMemberDefinition": {"Groups": ["g"]}}}, "memberDefinitions"),
    ("CreateHumanTaskUi", {"HumanTaskUiName": "u", "UiTemplate": "<p>hi</p>"}, "uiTemplate"),
    ("ListWorkteams", {"MaxResults": "10"}, "maxResults"),
])
def test_wrong_types_are_validation_errors(service, op, body, fragment):
    assert_json_error(call(service, op, body), "ValidationException", fragment)


def test_task_count_as_a_string_is_refused(service, sm, team_and_ui):
    resp = call(service, "CreateFlowDefinition", flow_request("typed", *team_and_ui, TaskCount="1"))
    assert_json_error(resp, "ValidationException", "humanLoopConfig.taskCount", "integer")
    with pytest.raises(sm.exceptions.ResourceNotFound):
        sm.describe_flow_definition(FlowDefinitionName="typed")


def test_unknown_field_is_named(service, team_and_ui):
    resp = call(service, "CreateWorkteam", {"WorkteamName": "t", "Description": "d", "Colour": "blue",
                                            "MemberDefinitions": [{"OidcMemberDefinition": {"Groups": ["g"]}}]})
    assert_json_error(resp, "ValidationException", "Colour")
    body = flow_request("unknown-nested", *team_and_ui)
    body["HumanLoopConfig"]["TaskPriority"] = 1
    assert_json_error(call(service, "CreateFlowDefinition", body), "ValidationException", "TaskPriority")


def test_body_that_is_not_json_is_a_serialization_exception(service):
    assert_json_error(call(service, "ListWorkteams", raw=b"{not json"), "SerializationException")
    assert_json_error(call(service, "ListWorkteams", raw=b"[1, 2]"), "SerializationException")


def test_missing_required_member_is_named(service):
    resp = call(service, "CreateHumanTaskUi", {"HumanTaskUiName": "x"})
    assert_json_error(resp, "ValidationException", "uiTemplate")


@pytest.mark.parametrize("overrides, fragment", [
    ({"TaskTitle": "t" * 129}, "humanLoopConfig.taskTitle"),
    ({"TaskDescription": "d" * 256}, "humanLoopConfig.taskDescription"),
    ({"TaskCount": 4}, "humanLoopConfig.taskCount"),
    ({"TaskTimeLimitInSeconds": 28801}, "humanLoopConfig.taskTimeLimitInSeconds"),
    ({"TaskAvailabilityLifetimeInSeconds": 864001}, "humanLoopConfig.taskAvailabilityLifetimeInSeconds"),
    ({"TaskKeywords": ["fine", "not-fine!"]}, "humanLoopConfig.taskKeywords"),
    ({"TaskKeywords": ["k"] * 6}, "humanLoopConfig.taskKeywords"),
])
def test_human_loop_config_limits_through_boto3(sm, team_and_ui, overrides, fragment):
    with pytest.raises(ClientError) as err:
        sm.create_flow_definition(**flow_request("limits", *team_and_ui, **overrides))
    validation(err, fragment)
    with pytest.raises(sm.exceptions.ResourceNotFound):
        sm.describe_flow_definition(FlowDefinitionName="limits")


@pytest.mark.parametrize("overrides, fragment", [
    ({"TaskCount": 0}, "humanLoopConfig.taskCount"),
    ({"TaskTimeLimitInSeconds": 29}, "humanLoopConfig.taskTimeLimitInSeconds"),
    ({"TaskAvailabilityLifetimeInSeconds": 0}, "humanLoopConfig.taskAvailabilityLifetimeInSeconds"),
    ({"TaskTitle": ""}, "humanLoopConfig.taskTitle"),
])
def test_values_below_the_model_minimum_are_refused_by_the_server(service, sm, team_and_ui, overrides, fragment):
    # boto3 refuses these client-side; plain HTTP shows the server enforces them too
    resp = call(service, "CreateFlowDefinition", flow_request("below-min", *team_and_ui, **overrides))
    assert_json_error(resp, "ValidationException", fragment)
    with pytest.raises(sm.exceptions.ResourceNotFound):
        sm.describe_flow_definition(FlowDefinitionName="below-min")


def test_boundary_values_are_accepted(sm, team_and_ui):
    sm.create_flow_definition(**flow_request("edges", *team_and_ui, TaskCount=3, TaskTimeLimitInSeconds=28800,
                                             TaskAvailabilityLifetimeInSeconds=864000, TaskTitle="t" * 128,
                                             TaskKeywords=["a" * 30, "x y z", "k3", "k4", "k5"]))
    config = sm.describe_flow_definition(FlowDefinitionName="edges")["HumanLoopConfig"]
    assert config["TaskCount"] == 3 and config["TaskTimeLimitInSeconds"] == 28800
    name = "w" * 63
    sm.create_workteam(WorkteamName=name, Description="d" * 200,
                       MemberDefinitions=[{"OidcMemberDefinition": {"Groups": ["g"]}}])
    assert sm.describe_workteam(WorkteamName=name)["Workteam"]["Description"] == "d" * 200
    sm.create_human_task_ui(HumanTaskUiName="big-ui", UiTemplate={"Content": "x" * 128000})
    assert sm.describe_human_task_ui(HumanTaskUiName="big-ui")["UiTemplate"]["ContentSha256"] == \
        hashlib.sha256(b"x" * 128000).hexdigest()


def test_oversize_resource_fields(sm):
    members = [{"OidcMemberDefinition": {"Groups": ["g"]}}]
    with pytest.raises(ClientError) as err:
        sm.create_workteam(WorkteamName="long-desc", Description="d" * 201, MemberDefinitions=members)
    validation(err, "description")
    with pytest.raises(ClientError) as err:
        sm.create_human_task_ui(HumanTaskUiName="huge", UiTemplate={"Content": "x" * 128001})
    validation(err, "uiTemplate.content")
    with pytest.raises(ClientError) as err:
        sm.create_human_task_ui(HumanTaskUiName="tagged", UiTemplate={"Content": "<p>x</p>"},
                                Tags=[{"Key": f"k{i}", "Value": "v"} for i in range(51)])
    validation(err, "tags")
    with pytest.raises(ClientError) as err:
        sm.create_workteam(WorkteamName="many-groups", Description="d",
                           MemberDefinitions=[{"OidcMemberDefinition": {"Groups": [f"g{i}" for i in range(11)]}}])
    validation(err, "memberDefinitions.1.member.oidcMemberDefinition.groups")
    assert team_names(sm) == [] and ui_names(sm) == []


def test_bad_names(sm, team_and_ui):
    with pytest.raises(ClientError) as err:
        sm.create_flow_definition(**flow_request("Upper-Case", *team_and_ui))
    validation(err, "flowDefinitionName", "pattern")
    with pytest.raises(ClientError) as err:
        sm.create_workteam(WorkteamName="t" * 64, Description="d",
                           MemberDefinitions=[{"OidcMemberDefinition": {"Groups": ["g"]}}])
    validation(err, "workteamName", "63")
    with pytest.raises(ClientError) as err:
        sm.create_human_task_ui(HumanTaskUiName="under_score", UiTemplate={"Content": "<p>x</p>"})
    validation(err, "humanTaskUiName")
    assert flow_names(sm) == []


def test_bad_arns_in_human_loop_config(sm, team_and_ui):
    team_arn, ui_arn = team_and_ui
    with pytest.raises(ClientError) as err:  # an ARN of another kind
        sm.create_flow_definition(**flow_request("bad-arn", ui_arn, ui_arn))
    validation(err, "workteamArn")
    with pytest.raises(ClientError) as err:
        sm.create_flow_definition(**flow_request("bad-arn", team_arn, team_arn))
    validation(err, "humanTaskUiArn")
    with pytest.raises(ClientError) as err:  # well-formed but no such UI
        sm.create_flow_definition(**flow_request("bad-arn", team_arn, ARN_PREFIX + "human-task-ui/nope"))
    validation(err, "HumanTaskUiArn", "nope")
    with pytest.raises(ClientError) as err:
        sm.create_flow_definition(**flow_request("bad-arn", ARN_PREFIX + "workteam/private-crowd/nope", ui_arn))
    validation(err, "WorkteamArn", "nope")
    with pytest.raises(ClientError) as err:  # another account's team
        sm.create_flow_definition(**flow_request(
            "bad-arn", team_arn.replace(ACCOUNT, "999999999999"), ui_arn))
    validation(err, "WorkteamArn")
    with pytest.raises(sm.exceptions.ResourceNotFound):
        sm.describe_flow_definition(FlowDefinitionName="bad-arn")


def test_mixed_cognito_and_oidc_members_are_refused(sm):
    with pytest.raises(ClientError) as err:
        sm.create_workteam(WorkteamName="mixed", Description="d", MemberDefinitions=[
            {"OidcMemberDefinition": {"Groups": ["g"]}},
            {"CognitoMemberDefinition": {"UserPool": "us-east-1_abc", "UserGroup": "g", "ClientId": "c"}},
        ])
    validation(err, "MemberDefinitions", "Cognito", "Oidc")
    with pytest.raises(ClientError) as err:
        sm.create_workteam(WorkteamName="two-pools", Description="d", MemberDefinitions=[
            {"CognitoMemberDefinition": {"UserPool": "us-east-1_abc", "UserGroup": "g", "ClientId": "c"}},
            {"CognitoMemberDefinition": {"UserPool": "us-east-1_xyz", "UserGroup": "h", "ClientId": "c"}},
        ])
    validation(err, "UserPool")
    team_name, _ = R.create_team(sm, groups=("g",))
    with pytest.raises(ClientError) as err:
        sm.update_workteam(WorkteamName=team_name, MemberDefinitions=[
            {"OidcMemberDefinition": {"Groups": ["g"]}},
            {"CognitoMemberDefinition": {"UserPool": "us-east-1_abc", "UserGroup": "g", "ClientId": "c"}},
        ])
    validation(err, "MemberDefinitions")
    assert sm.describe_workteam(WorkteamName=team_name)["Workteam"]["MemberDefinitions"] == [
        {"OidcMemberDefinition": {"Groups": ["g"]}}]
    with pytest.raises(ClientError) as err:
        sm.describe_workteam(WorkteamName="mixed")
    validation(err, "The work team")


def test_flow_without_human_loop_config_is_refused(sm):
    with pytest.raises(ClientError) as err:
        sm.create_flow_definition(FlowDefinitionName="no-hlc", RoleArn=R.ROLE,
                                  OutputConfig={"S3OutputPath": "s3://bkt/out"})
    validation(err, "HumanLoopConfig")
    with pytest.raises(sm.exceptions.ResourceNotFound):
        sm.describe_flow_definition(FlowDefinitionName="no-hlc")


def test_template_that_is_not_valid_liquid_is_refused(sm):
    with pytest.raises(ClientError) as err:
        sm.create_human_task_ui(HumanTaskUiName="broken", UiTemplate={
            "Content": "<crowd-form>{% if task.input.x %}<p>open</p></crowd-form>"})
    validation(err, "Liquid")
    with pytest.raises(sm.exceptions.ResourceNotFound):
        sm.describe_human_task_ui(HumanTaskUiName="broken")


def test_bad_output_config_and_role(sm, team_and_ui):
    req = flow_request("bad-out", *team_and_ui)
    req["OutputConfig"] = {"S3OutputPath": "ftp://bucket/x"}
    with pytest.raises(ClientError) as err:
        sm.create_flow_definition(**req)
    validation(err, "outputConfig.s3OutputPath")
    req = flow_request("bad-role", *team_and_ui)
    req["RoleArn"] = "arn:aws:iam::123456789012:user/someone"
    with pytest.raises(ClientError) as err:
        sm.create_flow_definition(**req)
    validation(err, "roleArn")


# ---- DeleteFlowDefinition and retiring (no worker runs here) ----------------------------------


def test_deleting_flow_is_retired_and_frees_its_name_team_and_ui(service, sm, a2i):
    team_name, team_arn = R.create_team(sm)
    ui_name, ui_arn = R.create_ui(sm)
    flow_name, flow_arn = R.create_flow(sm, team_arn=team_arn, ui_arn=ui_arn)
    for i in range(3):
        a2i.start_human_loop(HumanLoopName=f"ret-{i}", FlowDefinitionArn=flow_arn,
                             HumanLoopInput={"InputContent": json.dumps({"i": i})})
    a2i.stop_human_loop(HumanLoopName="ret-2")
    a2i.delete_human_loop(HumanLoopName="ret-2")

    sm.delete_flow_definition(FlowDefinitionName=flow_name)
    assert sm.describe_flow_definition(FlowDefinitionName=flow_name)["FlowDefinitionStatus"] == "Deleting"
    with pytest.raises(sm.exceptions.ResourceInUse):
        sm.delete_flow_definition(FlowDefinitionName=flow_name)
    # nothing has retired it yet (no worker runs here): its loops are still in progress
    assert a2i.describe_human_loop(HumanLoopName="ret-0")["HumanLoopStatus"] == "InProgress"

    flow_id = service.ctx.store.resources.get_flow(flow_name, ("id",))["id"]
    assert flow_id
    assert retire_flow_definition(service.ctx, flow_name, flow_id) == "deleted"
    # running it again (a redelivered task) changes nothing
    assert retire_flow_definition(service.ctx, flow_name, flow_id) == "gone"

    for i in range(2):
        assert a2i.describe_human_loop(HumanLoopName=f"ret-{i}")["HumanLoopStatus"] == "Stopped"
    with pytest.raises(a2i.exceptions.ResourceNotFoundException):
        a2i.describe_human_loop(HumanLoopName="ret-2")
    with pytest.raises(sm.exceptions.ResourceNotFound):
        sm.describe_flow_definition(FlowDefinitionName=flow_name)
    with pytest.raises(sm.exceptions.ResourceNotFound):
        sm.delete_flow_definition(FlowDefinitionName=flow_name)
    assert flow_names(sm) == []
    with pytest.raises(a2i.exceptions.ResourceNotFoundException):
        a2i.list_human_loops(FlowDefinitionArn=flow_arn)
    with pytest.raises(ClientError) as err:
        a2i.start_human_loop(HumanLoopName="after-retire", FlowDefinitionArn=flow_arn,
                             HumanLoopInput={"InputContent": "{}"})
    validation(err, flow_name)

    # the team and UI are free: they can be deleted
    sm.delete_human_task_ui(HumanTaskUiName=ui_name)
    assert sm.delete_workteam(WorkteamName=team_name)["Success"] is True
    with pytest.raises(sm.exceptions.ResourceNotFound):
        sm.describe_human_task_ui(HumanTaskUiName=ui_name)
    with pytest.raises(ClientError) as err:
        sm.describe_workteam(WorkteamName=team_name)
    validation(err, "The work team")


def test_retired_flow_name_can_be_reused_without_its_old_loops(service, sm, a2i):
    team_name, team_arn = R.create_team(sm)
    ui_name, ui_arn = R.create_ui(sm)
    flow_name, flow_arn = R.create_flow(sm, team_arn=team_arn, ui_arn=ui_arn)
    a2i.start_human_loop(HumanLoopName="old-loop", FlowDefinitionArn=flow_arn,
                         HumanLoopInput={"InputContent": "{}"})
    sm.delete_flow_definition(FlowDefinitionName=flow_name)
    old_id = service.ctx.store.resources.get_flow(flow_name, ("id",))["id"]
    assert retire_flow_definition(service.ctx, flow_name, old_id) == "deleted"

    assert R.create_flow(sm, team_arn=team_arn, ui_arn=ui_arn, name=flow_name)[1] == flow_arn
    assert sm.describe_flow_definition(FlowDefinitionName=flow_name)["FlowDefinitionStatus"] == "Active"
    assert a2i.list_human_loops(FlowDefinitionArn=flow_arn)["HumanLoopSummaries"] == []
    a2i.start_human_loop(HumanLoopName="new-loop", FlowDefinitionArn=flow_arn, HumanLoopInput={"InputContent": "{}"})
    assert [s["HumanLoopName"] for s in a2i.list_human_loops(FlowDefinitionArn=flow_arn)["HumanLoopSummaries"]] \
        == ["new-loop"]
    # a late retire task for the old incarnation leaves the new flow alone
    assert retire_flow_definition(service.ctx, flow_name, old_id) == "gone"
    assert sm.describe_flow_definition(FlowDefinitionName=flow_name)["FlowDefinitionStatus"] == "Active"
    assert a2i.describe_human_loop(HumanLoopName="new-loop")["HumanLoopStatus"] == "InProgress"
    # and the reused flow holds the team and UI again
    with pytest.raises(sm.exceptions.ResourceInUse):
        sm.delete_workteam(WorkteamName=team_name)
    with pytest.raises(sm.exceptions.ResourceInUse):
        sm.delete_human_task_ui(HumanTaskUiName=ui_name)


def test_retire_stops_more_loops_than_one_batch(service, sm, a2i):
    flow_name, flow_arn = R.create_flow(sm)
    for i in range(7):
        a2i.start_human_loop(HumanLoopName=f"batch-{i}", FlowDefinitionArn=flow_arn,
                             HumanLoopInput={"InputContent": "{}"})
    sm.delete_flow_definition(FlowDefinitionName=flow_name)
    flow_id = service.ctx.store.resources.get_flow(flow_name, ("id",))["id"]
    assert retire_flow_definition(service.ctx, flow_name, flow_id, batch=3) == "deleted"
    statuses = {a2i.describe_human_loop(HumanLoopName=f"batch-{i}")["HumanLoopStatus"] for i in range(7)}
    assert statuses == {"Stopped"}


def test_retire_leaves_a_reused_loop_name_on_another_flow_alone(service, sm, a2i):
    old_flow, old_arn = R.create_flow(sm)
    _, other_arn = R.create_flow(sm)
    a2i.start_human_loop(HumanLoopName="shared", FlowDefinitionArn=old_arn, HumanLoopInput={"InputContent": "{}"})
    a2i.stop_human_loop(HumanLoopName="shared")
    a2i.delete_human_loop(HumanLoopName="shared")
    a2i.start_human_loop(HumanLoopName="shared", FlowDefinitionArn=other_arn, HumanLoopInput={"InputContent": "{}"})
    sm.delete_flow_definition(FlowDefinitionName=old_flow)
    flow_id = service.ctx.store.resources.get_flow(old_flow, ("id",))["id"]
    assert retire_flow_definition(service.ctx, old_flow, flow_id) == "deleted"
    d = a2i.describe_human_loop(HumanLoopName="shared")
    assert d["HumanLoopStatus"] == "InProgress" and d["FlowDefinitionArn"] == other_arn
