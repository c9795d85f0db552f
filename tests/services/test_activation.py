"""Activation conditions at StartHumanLoop: confidence routing, Sampling, output and validation.

Everything goes through boto3 against the real app over HTTP, a real Redis and (where a loop must
reach a queue or finish) a real Celery worker.
"""

from __future__ import annotations

import concurrent.futures
import json

import pytest
import requests
from botocore.exceptions import ClientError

from hitl_service.output.storage import storage_from_settings
from hitl_service.services.reviewers import add_reviewer
from hitl_service.store import keys
from tests.conftest import wait_until
from tests.support import resources as R

CONFIDENCE = json.dumps({"Conditions": [{
    "ConditionType": "ModelConfidenceCheck",
    "ConditionParameters": {"ScorePath": "$.prediction.confidence", "LessThan": 0.9},
}]})


def content(text: str, confidence: float, label: int = 1) -> str:
    return json.dumps({"taskObject": text, "prediction": {"label": label, "confidence": confidence}})


class RawBodies:
    """Keeps the raw JSON body of every StartHumanLoop response (boto3 drops unmodeled members)."""

    def __init__(self, client):
        self.bodies: list[dict] = []
        client.meta.events.register("after-call.sagemaker-a2i-runtime.StartHumanLoop", self._keep)

    def _keep(self, http_response, **_):
        self.bodies.append(json.loads(http_response.content))

    @property
    def last(self) -> dict:
        return self.bodies[-1]


def start(a2i, flow_arn, name, input_content):
    return a2i.start_human_loop(HumanLoopName=name, FlowDefinitionArn=flow_arn,
                                HumanLoopInput={"InputContent": input_content})


def test_confident_input_creates_no_loop_and_unsure_input_reaches_the_team_queue(service, sm, a2i, worker_factory):
    team, team_arn = R.create_team(sm)
    _, flow_arn = R.create_flow(sm, team_arn=team_arn, conditions=CONFIDENCE)
    worker_factory(service.settings)
    raw = RawBodies(a2i)
    r = service.ctx.store.client

    confident = start(a2i, flow_arn, "confident", content("I enjoy this product", 0.95))
    assert "HumanLoopArn" not in confident
    body = raw.last
    assert set(body) == {"HumanLoopActivationOutput"}
    out = body["HumanLoopActivationOutput"]
    assert out["HumanLoopActivationReason"] == {"ConditionsMatched": False}
    assert out["Reasons"] == []
    results = json.loads(out["HumanLoopActivationConditionsEvaluationResults"])
    assert results == {"Conditions": [dict(json.loads(CONFIDENCE)["Conditions"][0], EvaluationResult=False)]}
    assert not r.exists(keys.loop(team, "confident"))

    unsure = start(a2i, flow_arn, "unsure", content("It is okay", 0.6, 0))
    arn = unsure["HumanLoopArn"]
    assert arn.endswith(":human-loop/unsure")
    out = raw.last["HumanLoopActivationOutput"]
    assert raw.last["HumanLoopArn"] == arn
    assert out["HumanLoopActivationReason"] == {"ConditionsMatched": True}
    assert len(out["Reasons"]) == 1 and "0.6 < 0.9" in out["Reasons"][0]
    assert json.loads(out["HumanLoopActivationConditionsEvaluationResults"])["Conditions"][0]["EvaluationResult"]

    # the worker routes the unsure loop onto its team's queue; the confident input never gets there
    wait_until(lambda: r.zrange(keys.queue(team), 0, -1) == [keys.loop_member("unsure")], message="unsure loop on the queue")
    summaries = a2i.list_human_loops(FlowDefinitionArn=flow_arn)["HumanLoopSummaries"]
    assert [s["HumanLoopName"] for s in summaries] == ["unsure"]
    with pytest.raises(a2i.exceptions.ResourceNotFoundException):
        a2i.describe_human_loop(HumanLoopName="confident")

    # identical repeats evaluate the same way: still no loop, and the same ARN and activation output
    first_confident = raw.bodies[0]
    assert "HumanLoopArn" not in start(a2i, flow_arn, "confident", content("I enjoy this product", 0.95))
    assert raw.last == first_confident
    first_unsure = raw.bodies[1]
    assert start(a2i, flow_arn, "unsure", content("It is okay", 0.6, 0))["HumanLoopArn"] == arn
    assert raw.last == first_unsure
    assert not r.exists(keys.loop(team, "confident"))
    assert r.zrange(keys.queue(team), 0, -1) == [keys.loop_member("unsure")]
    # an active loop's name with different, activating input still conflicts
    with pytest.raises(a2i.exceptions.ConflictException):
        start(a2i, flow_arn, "unsure", content("It is fine", 0.5, 0))


def test_missing_score_activates_and_flows_without_conditions_answer_as_before(service, sm, a2i):
    raw = RawBodies(a2i)
    _, flow_arn = R.create_flow(sm, conditions=CONFIDENCE)
    resp = start(a2i, flow_arn, "no-score", json.dumps({"taskObject": "no prediction at all"}))
    assert "HumanLoopArn" in resp
    assert "missing" in raw.last["HumanLoopActivationOutput"]["Reasons"][0]

    _, plain_arn = R.create_flow(sm)
    start(a2i, plain_arn, "plain", content("I enjoy this product", 0.99))
    assert raw.last == {"HumanLoopArn": "arn:aws:sagemaker:us-east-1:123456789012:human-loop/plain"}


def test_start_on_a_deleting_flow_with_conditions_is_refused_even_when_no_loop_would_start(sm, a2i):
    name, flow_arn = R.create_flow(sm, conditions=CONFIDENCE)
    sm.delete_flow_definition(FlowDefinitionName=name)  # no worker: it stays Deleting
    with pytest.raises(ClientError) as err:
        start(a2i, flow_arn, "late", content("I enjoy this product", 0.99))
    assert err.value.response["Error"]["Code"] == "ValidationException"
    assert "Deleting" in err.value.response["Error"]["Message"]


def test_output_json_of_an_activated_loop_has_the_condition_results(service, sm, a2i, worker_factory):
    conditions = {"Conditions": [
        {"Or": [
            {"ConditionType": "ModelConfidenceCheck",
             "ConditionParameters": {"ScorePath": "$.prediction.confidence", "LessThan": 0.9}},
            {"ConditionType": "ModelLabelCheck",
             "ConditionParameters": {"LabelPath": "$.prediction.label", "In": [-1]}},
        ]},
        {"ConditionType": "ModelConfidenceCheck",
         "ConditionParameters": {"ScorePath": "$.prediction.confidence", "LessThan": 0.1}},
    ]}
    team, team_arn = R.create_team(sm, groups=("activation-reviewers",))
    _, flow_arn = R.create_flow(sm, team_arn=team_arn, conditions=json.dumps(conditions),
                                output="s3://activation-out/results")
    worker_factory(service.settings)
    add_reviewer(service.ctx, "activation-bot", "bot-password-123", ["activation-reviewers"])
    http = requests.Session()
    http.auth = ("activation-bot", "bot-password-123")
    input_content = content("It is okay", 0.6, 0)
    start(a2i, flow_arn, "okay-loop", input_content)

    def claim():
        resp = http.post(f"{service.url}/review/api/assignments/claim", json={"workteam": team}, timeout=10)
        resp.raise_for_status()
        return resp.json()["assignment"]

    assignment = wait_until(claim, message="an assignment")
    assert assignment["humanLoopName"] == "okay-loop"
    resp = http.post(f"{service.url}/review/api/assignments/{assignment['token']}/submit",
                     json={"answerContent": {"sentiment": {"label": "0"}}}, timeout=10)
    assert resp.status_code == 200, resp.text
    loop = wait_until(lambda: (d := a2i.describe_human_loop(HumanLoopName="okay-loop"))["HumanLoopStatus"]
                      == "Completed" and d, message="the loop to complete")
    bucket, _, key = loop["HumanLoopOutput"]["OutputS3Uri"][len("s3://"):].partition("/")
    assert bucket == "activation-out"
    doc = json.loads(storage_from_settings(service.settings).get(bucket, key))
    assert doc["inputContent"] == json.loads(input_content)
    assert doc["humanAnswers"][0]["answerContent"] == {"sentiment": {"label": "0"}}
    results = doc["humanTaskActivationConditionResults"]
    or_node, second = results["Conditions"]
    assert or_node["EvaluationResult"] is True
    assert [c["EvaluationResult"] for c in or_node["Or"]] == [True, False]
    assert or_node["Or"][0]["ConditionParameters"] == conditions["Conditions"][0]["Or"][0]["ConditionParameters"]
    assert second["EvaluationResult"] is False
    assert second["ConditionType"] == "ModelConfidenceCheck"


@pytest.mark.parametrize("conditions, where", [
    ('{"Conditions": [{"ConditionType": "ModelConfidenceCheck", '
     '"ConditionParameters": {"ScorePath": "$.score", "LessThan": "high"}}]}',
     "Conditions[0].ConditionParameters.LessThan"),
    ('{"Conditions": [{"ConditionType": "Sampling", "ConditionParameters": {"RandomSamplingPercentage": 0}}]}',
     "Conditions[0].ConditionParameters.RandomSamplingPercentage"),
    ('{"Conditions": [{"ConditionType": "Sampling", "ConditionParameters": {"RandomSamplingPercentage": 5}}, '
     '{"ConditionType": "NoSuchCheck", "ConditionParameters": {}}]}',
     "Conditions[1].ConditionType"),
    ('{"Conditions": [{"And": [{"ConditionType": "Sampling", '
     '"ConditionParameters": {"RandomSamplingPercentage": 5}}]}]}',
     "Conditions[0].And"),
    ('{"Conditions": []}', "Conditions"),
    ('{"Conditions": [', "not valid JSON"),
])
def test_malformed_conditions_are_a_validation_exception_naming_the_part(sm, conditions, where):
    team_arn = R.create_team(sm)[1]
    with pytest.raises(ClientError) as err:
        R.create_flow(sm, team_arn=team_arn, name="bad-conditions", conditions=conditions)
    assert err.value.response["Error"]["Code"] == "ValidationException"
    assert err.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    message = err.value.response["Error"]["Message"]
    assert "HumanLoopActivationConditions" in message and where in message
    with pytest.raises(ClientError) as err:
        sm.describe_flow_definition(FlowDefinitionName="bad-conditions")
    assert err.value.response["Error"]["Code"] == "ResourceNotFound"


def test_sampling_30_percent_of_2000_inputs_lands_near_30_and_is_deterministic(service, sm):
    sampling = json.dumps({"Conditions": [
        {"ConditionType": "Sampling", "ConditionParameters": {"RandomSamplingPercentage": 30}}]})
    _, flow_arn = R.create_flow(sm, conditions=sampling)
    clients = [service.client("sagemaker-a2i-runtime") for _ in range(8)]
    inputs = [json.dumps({"taskObject": f"sentence number {i}", "n": i}) for i in range(2000)]

    def run(i, prefix):
        resp = start(clients[i % len(clients)], flow_arn, f"{prefix}-{i}", inputs[i])
        return "HumanLoopArn" in resp

    with concurrent.futures.ThreadPoolExecutor(16) as pool:
        decisions = list(pool.map(lambda i: run(i, "s"), range(len(inputs))))
    sampled = sum(decisions)
    assert 500 <= sampled <= 700, sampled

    pages = clients[0].get_paginator("list_human_loops").paginate(FlowDefinitionArn=flow_arn,
                                                                  PaginationConfig={"PageSize": 100})
    names = {s["HumanLoopName"] for page in pages for s in page["HumanLoopSummaries"]}
    assert names == {f"s-{i}" for i, d in enumerate(decisions) if d}

    # the same input always gets the same decision, under the same name or another one
    with concurrent.futures.ThreadPoolExecutor(16) as pool:
        again_same_name = list(pool.map(lambda i: run(i, "s"), range(300)))
        again_new_name = list(pool.map(lambda i: run(i, "t"), range(300)))
    assert again_same_name == decisions[:300]
    assert again_new_name == decisions[:300]
