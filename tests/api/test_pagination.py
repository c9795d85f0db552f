"""ListHumanLoops through boto3's own paginator: order, time filters, and stability under writes."""

from __future__ import annotations

import json
import threading
import time
from datetime import datetime, timedelta, timezone

import pytest
from botocore.exceptions import ClientError

from tests.support import resources as R


@pytest.fixture
def flow_with_250_loops(service, sm, a2i):
    _, flow_arn = R.create_flow(sm)
    names = []
    for i in range(250):
        name = f"p-{i:03d}"
        a2i.start_human_loop(HumanLoopName=name, FlowDefinitionArn=flow_arn,
                             HumanLoopInput={"InputContent": json.dumps({"i": i})})
        names.append(name)
    return flow_arn, names


def walk(a2i, **kw):
    pages = a2i.get_paginator("list_human_loops").paginate(**kw)
    return [s for page in pages for s in page["HumanLoopSummaries"]]


def test_paginator_walks_all_loops_in_both_orders(a2i, flow_with_250_loops):
    flow_arn, names = flow_with_250_loops
    desc = walk(a2i, FlowDefinitionArn=flow_arn, PaginationConfig={"PageSize": 7})
    assert [s["HumanLoopName"] for s in desc] == list(reversed(names))
    asc = walk(a2i, FlowDefinitionArn=flow_arn, SortOrder="Ascending", PaginationConfig={"PageSize": 100})
    assert [s["HumanLoopName"] for s in asc] == names
    times = [s["CreationTime"] for s in asc]
    assert times == sorted(times)
    assert set(desc[0]) == {"HumanLoopName", "HumanLoopStatus", "CreationTime", "FlowDefinitionArn"}


def test_default_order_is_newest_first_and_max_results_caps_a_page(a2i, flow_with_250_loops):
    flow_arn, names = flow_with_250_loops
    page = a2i.list_human_loops(FlowDefinitionArn=flow_arn, MaxResults=100)
    assert len(page["HumanLoopSummaries"]) == 100
    assert page["HumanLoopSummaries"][0]["HumanLoopName"] == names[-1]
    assert "NextToken" in page
    last = a2i.list_human_loops(FlowDefinitionArn=flow_arn, MaxResults=100, NextToken=page["NextToken"])
    last = a2i.list_human_loops(FlowDefinitionArn=flow_arn, MaxResults=100, NextToken=last["NextToken"])
    assert len(last["HumanLoopSummaries"]) == 50 and "NextToken" not in last


def test_creation_time_filters(a2i, sm, service):
    _, flow_arn = R.create_flow(sm)
    for i in range(5):
        a2i.start_human_loop(HumanLoopName=f"early-{i}", FlowDefinitionArn=flow_arn,
                             HumanLoopInput={"InputContent": "{}"})
    time.sleep(0.05)
    cut = datetime.now(timezone.utc)
    time.sleep(0.05)
    for i in range(4):
        a2i.start_human_loop(HumanLoopName=f"late-{i}", FlowDefinitionArn=flow_arn,
                             HumanLoopInput={"InputContent": "{}"})
    after = walk(a2i, FlowDefinitionArn=flow_arn, CreationTimeAfter=cut, PaginationConfig={"PageSize": 3})
    assert sorted(s["HumanLoopName"] for s in after) == [f"late-{i}" for i in range(4)]
    before = walk(a2i, FlowDefinitionArn=flow_arn, CreationTimeBefore=cut, PaginationConfig={"PageSize": 2})
    assert sorted(s["HumanLoopName"] for s in before) == [f"early-{i}" for i in range(5)]
    future = cut + timedelta(days=1)
    assert walk(a2i, FlowDefinitionArn=flow_arn, CreationTimeAfter=future) == []


def test_paginating_while_loops_are_being_started(service, a2i, flow_with_250_loops):
    flow_arn, names = flow_with_250_loops
    writer_client = service.client("sagemaker-a2i-runtime")
    stop = threading.Event()
    started = []

    def writer():
        i = 0
        while not stop.is_set():
            name = f"new-{i:04d}"
            writer_client.start_human_loop(HumanLoopName=name, FlowDefinitionArn=flow_arn,
                                           HumanLoopInput={"InputContent": "{}"})
            started.append(name)
            i += 1

    t = threading.Thread(target=writer)
    t.start()
    try:
        time.sleep(0.05)
        desc = walk(a2i, FlowDefinitionArn=flow_arn, PaginationConfig={"PageSize": 10})
        asc = walk(a2i, FlowDefinitionArn=flow_arn, SortOrder="Ascending", PaginationConfig={"PageSize": 10})
    finally:
        stop.set()
        t.join()
    assert started, "the writer should have started loops during the walk"
    desc_names = [s["HumanLoopName"] for s in desc]
    asc_names = [s["HumanLoopName"] for s in asc]
    # no duplicates, nothing that existed before the walk is missed, order holds
    assert len(desc_names) == len(set(desc_names)) and len(asc_names) == len(set(asc_names))
    assert [n for n in desc_names if n.startswith("p-")] == list(reversed(names))
    assert [n for n in asc_names if n.startswith("p-")] == names
    assert asc_names[:250] == names  # ascending walks see new loops only after the old ones


@pytest.mark.parametrize("max_results", [0, 101])
def test_max_results_out_of_range(service, sm, max_results):
    from tests.conftest import ACCESS_KEY, SECRET_KEY  # noqa: F401

    _, flow_arn = R.create_flow(sm)
    # boto3 refuses 0 on the client; send it over plain signed HTTP so the server's check is what's tested
    import requests
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials
    from urllib.parse import quote

    url = f"{service.url}/human-loops?FlowDefinitionArn={quote(flow_arn, safe='')}&MaxResults={max_results}"
    req = AWSRequest(method="GET", url=url)
    SigV4Auth(Credentials(ACCESS_KEY, SECRET_KEY), "sagemaker", "us-east-1").add_auth(req)
    resp = requests.get(url, headers=dict(req.headers))
    assert resp.status_code == 400
    assert resp.headers["x-amzn-ErrorType"] == "ValidationException"
    assert "maxResults" in resp.json()["Message"]


def test_max_results_101_through_boto3(a2i, sm):
    _, flow_arn = R.create_flow(sm)
    with pytest.raises(ClientError) as err:
        a2i.list_human_loops(FlowDefinitionArn=flow_arn, MaxResults=101)
    assert err.value.response["Error"]["Code"] == "ValidationException"


def test_forged_next_token_and_unknown_flow(a2i, sm):
    _, flow_arn = R.create_flow(sm)
    with pytest.raises(ClientError) as err:
        a2i.list_human_loops(FlowDefinitionArn=flow_arn, NextToken="garbage!!")
    assert err.value.response["Error"]["Code"] == "ValidationException"
    assert "NextToken" in err.value.response["Error"]["Message"]
    with pytest.raises(a2i.exceptions.ResourceNotFoundException):
        a2i.list_human_loops(FlowDefinitionArn="arn:aws:sagemaker:us-east-1:123456789012:flow-definition/none")
