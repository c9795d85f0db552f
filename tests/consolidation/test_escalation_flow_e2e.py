"""Escalation of A2I human loops end to end: a flow tagged hitl:escalation-workteam, bot reviewers of
two teams over HTTP, real Celery workers with beat, boto3; plus the tag validation errors boto3 gets."""

from __future__ import annotations

import botocore.exceptions
import pytest

from tests.conftest import wait_until
from tests.consolidation.test_overlap_e2e import label, overlap_tags
from tests.support import resources as R
from tests.support.resources import create_flow, create_team
from tests.workers.conftest import BUCKET, start_loop, worker_settings
from tests.workers.test_output import Output, expected_key, wait_terminal


def escalation_tags(team_arn, consolidate=True):
    return overlap_tags(2, 0.9, consolidate) + [{"Key": "hitl:escalation-workteam", "Value": team_arn}]


def two_team_flow(sm):
    """A flow of team "reviewers" (TaskCount 2, initial 2, target 0.9) escalating to a team of group
    "experts"; (flow name, flow arn)."""
    expert_group = R.unique("experts")
    experts_arn = create_team(sm, groups=(expert_group,))[1]
    first_arn = create_team(sm)[1]
    name, arn = create_flow(sm, team_arn=first_arn, task_count=2, output=f"s3://{BUCKET}/results/a2i",
                            tags=escalation_tags(experts_arn))
    return name, arn, expert_group


def test_a_split_loop_goes_to_one_escalation_reviewer_and_completes_once_with_three_answers(
        service, a2i, sm, reviewers, worker_factory, tmp_path):
    worker_factory(worker_settings(service, tmp_path, backend="local"), beat=True)
    output = Output("local", tmp_path)
    flow_name, flow_arn, expert_group = two_team_flow(sm)
    a, b, c = reviewers(3)                                   # the first team's reviewers
    expert, other_expert = reviewers(2, groups=(expert_group,))
    both, = reviewers(1, groups=("reviewers", expert_group))   # in both teams: a first-team reviewer

    split = start_loop(a2i, flow_arn, {"n": 1})
    assert expert.claim() is None                            # nothing escalated yet
    a.answer(wait_until, split, label("Cat"))
    b.answer(wait_until, split, label("Dog"))
    for _ in range(3):
        # duplicated decide messages (redelivery, the outbox sweep) must not escalate twice
        service.ctx.dispatcher.finalize(split)
    task = expert.claim_wait(wait_until, split)
    # TaskCount answers are in: nobody of the first team gets a third, nor a second expert
    assert c.claim() is None and both.claim() is None and other_expert.claim() is None
    # the expert's held assignments list it (the lease lives in the first team's slot)
    held = expert.http.get(f"{service.url}/review/api/assignments", timeout=10).json()["assignments"]
    assert [a["humanLoopName"] for a in held] == [split]
    expert.submit(task["token"], label("Cat"))
    done = wait_terminal(a2i, split, output)
    assert done["HumanLoopStatus"] == "Completed"
    doc = output.read(expected_key(done, flow_name, split))
    answers = doc["humanAnswers"]
    assert [h["answerContent"]["category"]["label"] for h in answers] == ["Cat", "Dog", "Cat"]
    assert [h["workerMetadata"].get("stage") for h in answers] == [None, None, "escalation"]
    # consolidated over both stages
    assert doc["consolidatedAnswer"]["answers"] == 3
    assert doc["consolidatedAnswer"]["answerContent"]["category"]["label"] == "Cat"
    assert other_expert.claim() is None and c.claim() is None
    assert a2i.describe_human_loop(HumanLoopName=split)["HumanLoopStatus"] == "Completed"


def test_a_unanimous_loop_never_escalates(service, a2i, sm, reviewers, worker_factory, tmp_path):
    worker_factory(worker_settings(service, tmp_path, backend="local"), beat=True)
    output = Output("local", tmp_path)
    flow_name, flow_arn, expert_group = two_team_flow(sm)
    a, b = reviewers(2)
    expert, = reviewers(1, groups=(expert_group,))
    agree = start_loop(a2i, flow_arn, {"n": 2})
    a.answer(wait_until, agree, label("Cat"))
    b.answer(wait_until, agree, label("Cat"))
    done = wait_terminal(a2i, agree, output)
    assert done["HumanLoopStatus"] == "Completed"
    doc = output.read(expected_key(done, flow_name, agree))
    assert len(doc["humanAnswers"]) == 2
    assert all("stage" not in h["workerMetadata"] for h in doc["humanAnswers"])
    assert expert.claim() is None


def _refused(sm, tags, team_arn, field_text):
    with pytest.raises(botocore.exceptions.ClientError) as err:
        create_flow(sm, team_arn=team_arn, task_count=2, output=f"s3://{BUCKET}/x", tags=tags)
    assert err.value.response["Error"]["Code"] == "ValidationException"
    message = err.value.response["Error"]["Message"]
    assert "hitl:escalation-workteam" in message and field_text in message


def test_bad_escalation_tags_on_a_flow_are_a_validation_exception_naming_the_tag(sm):
    first_arn = create_team(sm)[1]
    experts_arn = create_team(sm, groups=("experts",))[1]
    tag = [{"Key": "hitl:escalation-workteam", "Value": experts_arn}]
    _refused(sm, tag, first_arn, "hitl:initial-workers")                       # needs adaptive overlap
    _refused(sm, overlap_tags(2, 0.9) + [{"Key": "hitl:escalation-workteam", "Value": first_arn}],
             first_arn, "other than the first")
    missing = experts_arn.rsplit("/", 1)[0] + "/" + R.unique("nobody")
    _refused(sm, overlap_tags(2, 0.9) + [{"Key": "hitl:escalation-workteam", "Value": missing}],
             first_arn, "does not exist")
