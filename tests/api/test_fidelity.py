"""Where AWS's own A2I notebooks showed the service differing from AWS, through real boto3 clients."""

from __future__ import annotations

import json

import pytest
import requests
from botocore.exceptions import ClientError

from tests.conftest import Service, make_settings, wait_until
from tests.services.test_review_queue import Reviewer, team_and_flow
from tests.support import resources as R


def start(a2i, flow_arn, name, content=None):
    return a2i.start_human_loop(HumanLoopName=name, FlowDefinitionArn=flow_arn,
                                HumanLoopInput={"InputContent": json.dumps(content or {"text": name})})


# ---- item 1: OutputS3Uri is reported from the start ---------------------------------------------


def test_output_uri_is_known_while_in_progress_and_is_where_the_output_lands(service, sm, a2i, worker):
    _, flow, flow_arn = team_and_flow(sm, task_count=1)
    start(a2i, flow_arn, "early-uri")
    d = a2i.describe_human_loop(HumanLoopName="early-uri")
    assert d["HumanLoopStatus"] == "InProgress"
    created = d["CreationTime"]
    early = d["HumanLoopOutput"]["OutputS3Uri"]  # the notebooks read this right after starting
    assert early == f"s3://hitl-output/results/{flow}/{created:%Y/%m/%d/%H/%M/%S}/early-uri/output.json"

    reviewer = Reviewer(service)
    assignment = reviewer.claim_wait("early-uri")
    assert reviewer.submit(assignment["token"], {"answer": "yes"}).status_code == 200
    done = wait_until(lambda: (d := a2i.describe_human_loop(HumanLoopName="early-uri"))["HumanLoopStatus"]
                      == "Completed" and d, message="loop completed")
    assert done["HumanLoopOutput"]["OutputS3Uri"] == early
    bucket, _, key = early[len("s3://"):].partition("/")
    doc = json.loads((service.settings.data_path / "s3" / bucket / key).read_bytes())
    assert doc["humanLoopName"] == "early-uri"


def test_a_loop_stopped_before_any_answer_reports_no_output(a2i, sm):
    _, flow_arn = R.create_flow(sm)
    start(a2i, flow_arn, "never-answered")
    assert "OutputS3Uri" in a2i.describe_human_loop(HumanLoopName="never-answered")["HumanLoopOutput"]
    a2i.stop_human_loop(HumanLoopName="never-answered")
    d = a2i.describe_human_loop(HumanLoopName="never-answered")
    assert d["HumanLoopStatus"] == "Stopped" and "HumanLoopOutput" not in d


# ---- item 2: HumanLoopName with capitals ----------------------------------------------------------


def test_loop_names_with_capitals_are_accepted_and_kept_as_sent(a2i, sm):
    _, flow_arn = R.create_flow(sm)
    arn = start(a2i, flow_arn, "Fraud-detector-1613668909838")["HumanLoopArn"]
    assert arn.endswith(":human-loop/Fraud-detector-1613668909838")
    d = a2i.describe_human_loop(HumanLoopName="Fraud-detector-1613668909838")
    assert d["HumanLoopName"] == "Fraud-detector-1613668909838"
    assert d["HumanLoopOutput"]["OutputS3Uri"].endswith("/Fraud-detector-1613668909838/output.json")
    listed = a2i.list_human_loops(FlowDefinitionArn=flow_arn)["HumanLoopSummaries"]
    assert [s["HumanLoopName"] for s in listed] == ["Fraud-detector-1613668909838"]
    # names are case-sensitive: the lower-case spelling is another loop
    with pytest.raises(a2i.exceptions.ResourceNotFoundException):
        a2i.describe_human_loop(HumanLoopName="fraud-detector-1613668909838")
    a2i.stop_human_loop(HumanLoopName="Fraud-detector-1613668909838")
    a2i.delete_human_loop(HumanLoopName="Fraud-detector-1613668909838")


@pytest.mark.parametrize("name", ["has_underscore", "-leading", "trailing-", "dot.ted", "sp ace", "x" * 64, "é"])
def test_loop_names_outside_the_accepted_set_are_refused_naming_the_field(a2i, sm, name):
    _, flow_arn = R.create_flow(sm)
    with pytest.raises(ClientError) as err:
        start(a2i, flow_arn, name)
    assert err.value.response["Error"]["Code"] == "ValidationException"
    assert "humanLoopName" in err.value.response["Error"]["Message"]


# ---- item 3: DeleteHumanTaskUi right after DeleteFlowDefinition -----------------------------------


def test_task_ui_and_team_can_be_deleted_right_after_their_flow(service, sm, a2i):
    team_name, team_arn = R.create_team(sm)
    ui_name, ui_arn = R.create_ui(sm)
    flow_name, flow_arn = R.create_flow(sm, team_arn=team_arn, ui_arn=ui_arn)
    start(a2i, flow_arn, "in-flight")  # no worker runs: nothing but this request could retire the flow
    sm.delete_flow_definition(FlowDefinitionName=flow_name)
    assert sm.describe_flow_definition(FlowDefinitionName=flow_name)["FlowDefinitionStatus"] == "Deleting"
    sm.delete_human_task_ui(HumanTaskUiName=ui_name)
    assert sm.delete_workteam(WorkteamName=team_name)["Success"] is True
    with pytest.raises(sm.exceptions.ResourceNotFound):
        sm.describe_human_task_ui(HumanTaskUiName=ui_name)
    with pytest.raises(sm.exceptions.ResourceNotFound):
        sm.describe_flow_definition(FlowDefinitionName=flow_name)
    assert a2i.describe_human_loop(HumanLoopName="in-flight")["HumanLoopStatus"] == "Stopped"


def test_task_ui_stays_in_use_while_a_reviewer_holds_a_task_of_the_deleting_flow(service, sm, a2i, worker):
    team_name, team_arn = R.create_team(sm)
    ui_name, ui_arn = R.create_ui(sm)
    flow_name, flow_arn = R.create_flow(sm, team_arn=team_arn, ui_arn=ui_arn)
    start(a2i, flow_arn, "held")
    reviewer = Reviewer(service)
    assignment = reviewer.claim_wait("held")
    sm.delete_flow_definition(FlowDefinitionName=flow_name)
    with pytest.raises(sm.exceptions.ResourceInUse) as err:
        sm.delete_human_task_ui(HumanTaskUiName=ui_name)
    assert "hold" in err.value.response["Error"]["Message"]
    assert reviewer.submit(assignment["token"]).status_code == 200
    wait_until(lambda: _deleted(sm, ui_name), message="task UI deletable once the task is submitted")


def _deleted(sm, ui_name):
    try:
        sm.delete_human_task_ui(HumanTaskUiName=ui_name)
    except sm.exceptions.ResourceInUse:
        return False
    return True


# ---- item 4: Workteam.SubDomain and the review page agree ------------------------------------------


@pytest.fixture
def portal(redis_server, session_data_dir):
    """A service whose public URL is its real address (as behind a proxy in production)."""
    redis_server.flush()
    svc = Service(make_settings(redis_server.url, session_data_dir))
    svc.settings.public_url = svc.url + "/"
    yield svc
    svc.stop()


def test_workteam_subdomain_is_the_address_of_the_review_page(portal):
    sm = portal.client("sagemaker")
    team_name, _ = R.create_team(sm)
    sub = sm.describe_workteam(WorkteamName=team_name)["Workteam"]["SubDomain"]
    assert [t["SubDomain"] for t in sm.list_workteams()["Workteams"]] == [sub]
    assert "://" not in sub and not sub.endswith("/")
    # the notebooks print "https://" + SubDomain; this test service speaks plain http on the same address
    resp = requests.get("http://" + sub, timeout=10)
    assert resp.status_code == 200
    assert resp.url == portal.url + "/review/login"
    assert "Sign in to review" in resp.text
    icon = requests.get(portal.url + "/favicon.ico", timeout=10)
    assert icon.status_code == 200 and icon.headers["Content-Type"].startswith("image/svg+xml")
