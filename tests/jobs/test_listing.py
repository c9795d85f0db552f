"""Job listings walk indexes with a budget per call; /metrics and the console read bounded sets."""

from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone

import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families

from hitl_service.jobs import listing
from tests.jobs.helpers import job_request
from tests.support import resources as R


@pytest.fixture
def team_and_ui(sm):
    return R.create_team(sm)[1], R.create_ui(sm)[1]


@pytest.fixture
def small_budget(monkeypatch):
    # the service runs in this process: a budget of 3 index entries per call shows the walk's pages
    monkeypatch.setattr(listing, "SCAN_BUDGET", 3)
    monkeypatch.setattr(listing, "CHUNK", 2)


def create(sm, team_and_ui, names) -> None:
    for n in names:
        sm.create_labeling_job(**job_request(n, *team_and_ui))
        time.sleep(0.002)  # distinct creation milliseconds


def walk(call, **req) -> tuple[list[str], list[int]]:
    """Every page of a listing: the names in order and each page's length."""
    names, sizes = [], []
    while True:
        body = call(**req)
        rows = body["LabelingJobSummaryList"]
        names += [r["LabelingJobName"] for r in rows]
        sizes.append(len(rows))
        if "NextToken" not in body:
            return names, sizes
        req["NextToken"] = body["NextToken"]


def test_a_filter_leaves_pages_short_and_the_token_continues_the_walk(sm, team_and_ui, small_budget):
    names = [f"job-{i}" for i in range(8)]
    names[1], names[6] = "keep-1", "keep-6"
    create(sm, team_and_ui, names)
    got, sizes = walk(sm.list_labeling_jobs, NameContains="keep")
    assert got == ["keep-1", "keep-6"]
    # 8 entries at 3 per call: three calls; the one over entries 3..5 finds nothing and says so with a token
    assert sizes == [1, 0, 1]
    got, _ = walk(sm.list_labeling_jobs, NameContains="KEEP", SortOrder="Descending")
    assert got == ["keep-6", "keep-1"]
    all_names, sizes = walk(sm.list_labeling_jobs, MaxResults=2)
    assert all_names == names and max(sizes) <= 2


def test_sort_by_name_and_by_status_in_both_orders(sm, team_and_ui, small_budget):
    names = ["delta", "alpha", "Charlie", "bravo", "echo"]
    create(sm, team_and_ui, names)
    sm.stop_labeling_job(LabelingJobName="bravo")
    sm.stop_labeling_job(LabelingJobName="echo")
    got, _ = walk(sm.list_labeling_jobs, SortBy="Name", MaxResults=2)
    assert got == ["alpha", "bravo", "Charlie", "delta", "echo"]
    got, _ = walk(sm.list_labeling_jobs, SortBy="Name", SortOrder="Descending")
    assert got == ["echo", "delta", "Charlie", "bravo", "alpha"]
    status = {n: sm.describe_labeling_job(LabelingJobName=n)["LabelingJobStatus"] for n in names}
    expected = sorted(names, key=lambda n: (status[n], names.index(n)))
    got, _ = walk(sm.list_labeling_jobs, SortBy="Status", MaxResults=2)
    assert got == expected
    got, _ = walk(sm.list_labeling_jobs, SortBy="Status", SortOrder="Descending")
    assert got == list(reversed(expected))
    got, _ = walk(sm.list_labeling_jobs, SortBy="Status", StatusEquals=status["bravo"])
    assert got == ["bravo", "echo"]


def test_time_windows_filter_by_creation_and_last_modification(sm, team_and_ui):
    create(sm, team_and_ui, ["early"])
    time.sleep(0.05)
    middle = datetime.now(timezone.utc)
    time.sleep(0.05)
    create(sm, team_and_ui, ["late"])
    assert walk(sm.list_labeling_jobs, CreationTimeAfter=middle)[0] == ["late"]
    assert walk(sm.list_labeling_jobs, CreationTimeBefore=middle)[0] == ["early"]
    time.sleep(0.05)
    touched = datetime.now(timezone.utc)
    sm.stop_labeling_job(LabelingJobName="early")
    assert walk(sm.list_labeling_jobs, LastModifiedTimeAfter=touched)[0] == ["early"]
    assert walk(sm.list_labeling_jobs, LastModifiedTimeBefore=touched)[0] == ["late"]


def test_workteam_listing_pages_its_own_index(sm, team_and_ui, small_budget):
    team_arn, ui_arn = team_and_ui
    other = R.create_team(sm)[1]
    for i in range(5):
        sm.create_labeling_job(**job_request(f"mine-{i}", team_arn, ui_arn))
        sm.create_labeling_job(**job_request(f"theirs-{i}", other, ui_arn))
    got, sizes = walk(sm.list_labeling_jobs_for_workteam, WorkteamArn=team_arn, MaxResults=2)
    assert got == [f"mine-{i}" for i in reversed(range(5))]  # CreationTime, Descending by default
    assert max(sizes) <= 2
    got, _ = walk(sm.list_labeling_jobs_for_workteam, WorkteamArn=team_arn, SortOrder="Ascending")
    assert got == [f"mine-{i}" for i in range(5)]
    token = sm.list_labeling_jobs_for_workteam(WorkteamArn=team_arn, MaxResults=1)["NextToken"]
    with pytest.raises(sm.exceptions.ClientError) as excinfo:
        sm.list_labeling_jobs(NextToken=token)  # a token of another listing
    assert excinfo.value.response["Error"]["Code"] == "ValidationException"
    assert "NextToken" in excinfo.value.response["Error"]["Message"]


def test_recent_jobs_for_the_console_are_the_newest_few(service, sm, team_and_ui):
    create(sm, team_and_ui, [f"r-{i}" for i in range(6)])
    recent = service.ctx.store.jobs.recent_jobs(3)
    assert [j["name"] for j in recent] == ["r-5", "r-4", "r-3"]
    assert recent[0]["status"] == "Initializing" and recent[0]["team"]


def test_metrics_cover_running_jobs_and_those_that_ended_lately(service, sm, team_and_ui):
    create(sm, team_and_ui, ["fresh", "old"])
    sm.stop_labeling_job(LabelingJobName="old")
    # "old" ended two days ago as far as the recent-jobs index knows: out of the 24-hour window
    two_days_ago = int((datetime.now(timezone.utc) - timedelta(days=2)).timestamp() * 1000)
    service.ctx.store.jobs.deactivate("old", now_ms=two_days_ago)

    def scrape() -> set:
        text = requests.get(f"{service.url}/metrics", timeout=10).text
        return {s.labels.get("job") for f in text_string_to_metric_families(text)
                if f.name == "hitl_labeling_job_objects" for s in f.samples}

    assert scrape() == {"fresh"}
