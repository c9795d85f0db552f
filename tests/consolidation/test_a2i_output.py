"""A2I opt-in end to end: boto3 flow with the tag -> three reviewers over HTTP -> a real Celery worker
writes output.json with consolidatedAnswer and a quality report beside it; without the tag nothing
changes."""
import botocore.exceptions
import pytest

from tests.conftest import wait_until
from tests.support.resources import create_flow, create_team
from tests.workers.conftest import BUCKET, start_loop, worker_settings
from tests.workers.test_output import PREFIX, Output, expected_key, wait_terminal

OPT_IN = [{"Key": "hitl:consolidate", "Value": "true"}]


def run_loop(service, a2i, flow, reviewers, worker_factory, tmp_path, *, tags, labels):
    worker_factory(worker_settings(service, tmp_path, backend="local"), beat=True)
    output = Output("local", tmp_path)
    flow_name, flow_arn = flow(task_count=len(labels), tags=tags)
    crew = reviewers(len(labels))
    name = start_loop(a2i, flow_arn, {"image": "s3://in/1.jpg"})
    for reviewer, label in zip(crew, labels):
        reviewer.answer(wait_until, name, {"category": {"label": label}})
    describe = wait_terminal(a2i, name, output)
    assert describe["HumanLoopStatus"] == "Completed"
    key = expected_key(describe, flow_name, name)
    return output, key, flow_name, crew


def test_opted_in_flow_writes_consolidated_answer_and_quality_report(service, a2i, flow, reviewers,
                                                                     worker_factory, tmp_path):
    output, key, flow_name, crew = run_loop(service, a2i, flow, reviewers, worker_factory, tmp_path,
                                            tags=OPT_IN, labels=["Cat", "Dog", "Cat"])
    doc = output.read(key)
    assert [a["answerContent"]["category"]["label"] for a in doc["humanAnswers"]] == ["Cat", "Dog", "Cat"]
    assert list(doc)[-1] == "consolidatedAnswer"
    assert doc["consolidatedAnswer"] == {"answerContent": {"category": {"label": "Cat"}},
                                         "confidence": {"category": 0.6667}, "method": "majority-vote",
                                         "answers": 3}
    report_key = key.rsplit("/", 1)[0] + "/quality-report.json"
    assert sorted(output.keys(f"{PREFIX}/{flow_name}/")) == sorted([key, report_key])
    report = output.read(report_key)
    assert [r["workerId"] for r in report["reviewers"]] == [r.worker_id for r in crew]
    assert [r["agreement"] for r in report["reviewers"]] == [1.0, 0.0, 1.0]


def test_without_the_tag_output_json_is_plain_a2i(service, a2i, flow, reviewers, worker_factory, tmp_path):
    output, key, flow_name, _ = run_loop(service, a2i, flow, reviewers, worker_factory, tmp_path,
                                         tags=None, labels=["Cat", "Dog", "Cat"])
    doc = output.read(key)
    assert list(doc) == ["flowDefinitionArn", "humanAnswers", "humanLoopName", "inputContent"]
    assert output.keys(f"{PREFIX}/{flow_name}/") == [key]


def test_task_count_one_never_consolidates(service, a2i, flow, reviewers, worker_factory, tmp_path):
    output, key, flow_name, _ = run_loop(service, a2i, flow, reviewers, worker_factory, tmp_path,
                                         tags=OPT_IN, labels=["Cat"])
    assert "consolidatedAnswer" not in output.read(key)
    assert output.keys(f"{PREFIX}/{flow_name}/") == [key]


def test_a_tag_value_other_than_true_or_false_is_rejected(sm):
    team_arn = create_team(sm)[1]
    with pytest.raises(botocore.exceptions.ClientError) as err:
        create_flow(sm, team_arn=team_arn, task_count=2, output=f"s3://{BUCKET}/x",
                    tags=[{"Key": "hitl:consolidate", "Value": "yes"}])
    assert err.value.response["Error"]["Code"] == "ValidationException"
    assert "hitl:consolidate" in err.value.response["Error"]["Message"]
