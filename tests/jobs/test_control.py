"""The labeling-job operations over real HTTP with boto3: shapes, validation, listings, stop."""

from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone

import pytest
from botocore.exceptions import ClientError

from hitl_service.domain.labeling import TaskType
from tests.jobs.helpers import job_request
from tests.support import resources as R


@pytest.fixture
def team_and_ui(sm):
    return R.create_team(sm)[1], R.create_ui(sm)[1]


def error_of(excinfo, code: str, *fragments: str) -> str:
    err = excinfo.value.response["Error"]
    assert err["Code"] == code, err
    assert excinfo.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    for fragment in fragments:
        assert fragment in err["Message"], err["Message"]
    return err["Message"]


def test_create_then_describe_returns_the_request_and_initial_counters(sm, team_and_ui):
    team_arn, ui_arn = team_and_ui
    req = job_request("Sentiment-Job", team_arn, ui_arn, MaxConcurrentTaskCount=50,
                      TaskAvailabilityLifetimeInSeconds=3600)
    req["StoppingConditions"] = {"MaxHumanLabeledObjectCount": 10}
    req["Tags"] = [{"Key": "team", "Value": "nlp"}]
    arn = sm.create_labeling_job(**req)["LabelingJobArn"]
    assert arn == "arn:aws:sagemaker:us-east-1:123456789012:labeling-job/sentiment-job"
    d = sm.describe_labeling_job(LabelingJobName="Sentiment-Job")
    assert d["LabelingJobName"] == "Sentiment-Job"
    assert d["LabelingJobArn"] == arn
    assert d["LabelingJobStatus"] in ("Initializing", "InProgress", "Failed")
    assert d["LabelAttributeName"] == "sentiment"
    assert d["HumanTaskConfig"]["NumberOfHumanWorkersPerDataObject"] == 3
    assert d["HumanTaskConfig"]["MaxConcurrentTaskCount"] == 50
    assert d["StoppingConditions"] == {"MaxHumanLabeledObjectCount": 10}
    assert d["Tags"] == [{"Key": "team", "Value": "nlp"}]
    assert set(d["LabelCounters"]) == {"TotalLabeled", "HumanLabeled", "MachineLabeled",
                                       "FailedNonRetryableError", "Unlabeled"}
    assert d["JobReferenceCode"]
    assert abs(d["CreationTime"] - datetime.now(timezone.utc)) < timedelta(minutes=1)


def test_duplicate_name_in_any_case_is_resource_in_use(sm, team_and_ui):
    sm.create_labeling_job(**job_request("dup-job", *team_and_ui))
    with pytest.raises(ClientError) as excinfo:
        sm.create_labeling_job(**job_request("DUP-Job", *team_and_ui))
    error_of(excinfo, "ResourceInUse", "DUP-Job")


def test_unknown_workteam_and_ui_name_the_field(sm, team_and_ui):
    team_arn, ui_arn = team_and_ui
    missing_team = team_arn.rsplit("/", 1)[0] + "/no-such-team"
    with pytest.raises(ClientError) as excinfo:
        sm.create_labeling_job(**job_request("j1", missing_team, ui_arn))
    error_of(excinfo, "ValidationException", "HumanTaskConfig.WorkteamArn")
    missing_ui = ui_arn.rsplit("/", 1)[0] + "/no-such-ui"
    with pytest.raises(ClientError) as excinfo:
        sm.create_labeling_job(**job_request("j1", team_arn, missing_ui))
    error_of(excinfo, "ValidationException", "HumanTaskConfig.UiConfig.HumanTaskUiArn")


@pytest.mark.parametrize("attribute,task_type,fragment", [
    ("label-metadata", TaskType.TEXT_CLASSIFICATION, "-metadata"),
    ("label-ref", TaskType.BOUNDING_BOX, "-ref"),
    ("mask", TaskType.SEMANTIC_SEGMENTATION, "-ref"),
])
def test_label_attribute_name_follows_ground_truth_rules(sm, team_and_ui, attribute, task_type, fragment):
    with pytest.raises(ClientError) as excinfo:
        sm.create_labeling_job(**job_request("attr-job", *team_and_ui, attribute=attribute, task_type=task_type))
    error_of(excinfo, "ValidationException", "LabelAttributeName", fragment)


def test_model_constraints_are_enforced_with_aws_wording(sm, team_and_ui):
    for overrides, fragment in [({"NumberOfHumanWorkersPerDataObject": 10}, "numberOfHumanWorkersPerDataObject"),
                                ({"MaxConcurrentTaskCount": 5001}, "maxConcurrentTaskCount"),
                                ({"TaskTimeLimitInSeconds": 28801}, "taskTimeLimitInSeconds"),
                                ({"TaskAvailabilityLifetimeInSeconds": 864001}, "taskAvailabilityLifetimeInSeconds"),
                                ({"TaskTitle": "x" * 129}, "taskTitle")]:
        with pytest.raises(ClientError) as excinfo:
            sm.create_labeling_job(**job_request("bad-job", *team_and_ui, **overrides))
        error_of(excinfo, "ValidationException", fragment)
    req = job_request("bad--name-", *team_and_ui)
    with pytest.raises(ClientError) as excinfo:
        sm.create_labeling_job(**req)
    error_of(excinfo, "ValidationException", "labelingJobName", "pattern")


def test_task_type_comes_from_the_builtin_arns_and_they_must_agree(sm, team_and_ui):
    req = job_request("mixed", *team_and_ui,
                      post="arn:aws:lambda:us-east-1:432418664414:function:ACS-BoundingBox")
    with pytest.raises(ClientError) as excinfo:
        sm.create_labeling_job(**req)
    error_of(excinfo, "ValidationException", "PRE-TextMultiClass", "ACS-BoundingBox")
    unknown = job_request("video", *team_and_ui,
                          pre="arn:aws:lambda:eu-west-1:568282634449:function:PRE-VideoClassification")
    with pytest.raises(ClientError) as excinfo:
        sm.create_labeling_job(**unknown)
    error_of(excinfo, "ValidationException", "PreHumanTaskLambdaArn", "PRE-VideoClassification")
    # built-in types need a label category file; custom functions do not
    with pytest.raises(ClientError) as excinfo:
        sm.create_labeling_job(**job_request("nocats", *team_and_ui, categories=None))
    error_of(excinfo, "ValidationException", "LabelCategoryConfigS3Uri")
    seg = job_request("seg-ok", *team_and_ui, task_type=TaskType.SEMANTIC_SEGMENTATION, attribute="mask-ref")
    assert sm.create_labeling_job(**seg)["LabelingJobArn"].endswith("/seg-ok")
    custom = job_request("custom-ok", *team_and_ui, categories=None,
                         pre="arn:aws:lambda:us-east-1:111122223333:function:my-pre",
                         post="arn:aws:lambda:us-east-1:111122223333:function:my-post")
    assert sm.create_labeling_job(**custom)["LabelingJobArn"].endswith("/custom-ok")


def test_stream_jobs_and_automated_labeling_are_refused_by_field(sm, team_and_ui):
    req = job_request("sns", *team_and_ui)
    req["InputConfig"]["DataSource"] = {"SnsDataSource": {"SnsTopicArn": "arn:aws:sns:us-east-1:123456789012:t"}}
    with pytest.raises(ClientError) as excinfo:
        sm.create_labeling_job(**req)
    error_of(excinfo, "ValidationException", "SnsDataSource")
    req = job_request("auto", *team_and_ui)
    req["LabelingJobAlgorithmsConfig"] = {"LabelingJobAlgorithmSpecificationArn": "arn:aws:x"}
    with pytest.raises(ClientError) as excinfo:
        sm.create_labeling_job(**req)
    error_of(excinfo, "ValidationException", "LabelingJobAlgorithmsConfig")


def test_describe_and_stop_of_a_missing_job_are_resource_not_found(sm):
    with pytest.raises(sm.exceptions.ResourceNotFound):
        sm.describe_labeling_job(LabelingJobName="nope")
    with pytest.raises(sm.exceptions.ResourceNotFound):
        sm.stop_labeling_job(LabelingJobName="nope")


def test_list_sorts_filters_and_paginates(sm, team_and_ui):
    names = ["b-job", "a-job", "c-other"]
    for n in names:
        sm.create_labeling_job(**job_request(n, *team_and_ui))
        time.sleep(0.01)
    pages = sm.get_paginator("list_labeling_jobs").paginate(PaginationConfig={"PageSize": 1})
    got = [s["LabelingJobName"] for p in pages for s in p["LabelingJobSummaryList"]]
    assert got == names  # CreationTime, Ascending by default
    by_name = sm.list_labeling_jobs(SortBy="Name", SortOrder="Descending")["LabelingJobSummaryList"]
    assert [s["LabelingJobName"] for s in by_name] == ["c-other", "b-job", "a-job"]
    only = sm.list_labeling_jobs(NameContains="JOB")["LabelingJobSummaryList"]
    assert sorted(s["LabelingJobName"] for s in only) == ["a-job", "b-job"]
    summary = only[0]
    assert summary["WorkteamArn"] == team_and_ui[0]
    assert summary["PreHumanTaskLambdaArn"].endswith("PRE-TextMultiClass")
    assert summary["InputConfig"]["DataSource"]["S3DataSource"]["ManifestS3Uri"] == "s3://in-bucket/input.manifest"
    future = datetime.now(timezone.utc) + timedelta(hours=1)
    assert sm.list_labeling_jobs(CreationTimeAfter=future)["LabelingJobSummaryList"] == []
    with pytest.raises(ClientError) as excinfo:
        sm.list_labeling_jobs(NextToken="garbage")
    error_of(excinfo, "ValidationException", "NextToken")


def test_stop_moves_a_running_job_to_stopping_and_lists_by_status(sm, team_and_ui):
    sm.create_labeling_job(**job_request("to-stop", *team_and_ui))
    sm.stop_labeling_job(LabelingJobName="to-stop")
    status = sm.describe_labeling_job(LabelingJobName="to-stop")["LabelingJobStatus"]
    assert status in ("Stopping", "Stopped")
    sm.stop_labeling_job(LabelingJobName="to-stop")  # again: not an error
    listed = sm.list_labeling_jobs(StatusEquals=status)["LabelingJobSummaryList"]
    assert [s["LabelingJobName"] for s in listed] == ["to-stop"]


def test_list_for_workteam_shows_only_that_teams_jobs(sm, team_and_ui):
    team_arn, ui_arn = team_and_ui
    other_team = R.create_team(sm)[1]
    sm.create_labeling_job(**job_request("mine", team_arn, ui_arn, workers=2))
    sm.create_labeling_job(**job_request("theirs", other_team, ui_arn))
    rows = sm.list_labeling_jobs_for_workteam(WorkteamArn=team_arn)["LabelingJobSummaryList"]
    assert [r["LabelingJobName"] for r in rows] == ["mine"]
    assert rows[0]["WorkRequesterAccountId"] == "123456789012"
    assert rows[0]["NumberOfHumanWorkersPerDataObject"] == 2
    code = rows[0]["JobReferenceCode"]
    assert sm.list_labeling_jobs_for_workteam(WorkteamArn=team_arn, JobReferenceCodeContains=code[:6])[
        "LabelingJobSummaryList"][0]["LabelingJobName"] == "mine"
    with pytest.raises(sm.exceptions.ResourceNotFound):
        sm.list_labeling_jobs_for_workteam(WorkteamArn=team_arn.rsplit("/", 1)[0] + "/ghost")
