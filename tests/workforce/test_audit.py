"""The audit trail: every sign-in, claim, release, submit, expiry and admin change, from where, bounded."""

from __future__ import annotations

import json

import pytest
import requests

from hitl_service.services import reviewers
from tests.conftest import wait_until
from tests.support.resources import create_flow, create_team
from tests.test_cli import hitl, ok
from tests.workforce.conftest import PublicService, sign_in


def actions(entries):
    return [e.action for e in entries]


@pytest.fixture(scope="module")
def short_lease(redis_server, session_data_dir, test_ca):
    # a 1-second heartbeat window: a claimed task nobody heartbeats expires at once
    svc = PublicService(redis_server.url, session_data_dir, lease_heartbeat_seconds=1, oidc_ca_bundle=test_ca.ca_file,
                        admin_groups=["hitl-admins"])
    yield svc
    svc.stop()


def test_reviewer_actions_and_admin_changes_are_recorded(wf_service, short_lease, idp, worker_factory):
    from hitl_service.workforce import audit

    svc = short_lease
    sm = svc.client("sagemaker")
    team, team_arn = create_team(sm, groups=["ops"])
    _, flow_arn = create_flow(sm, team_arn=team_arn, task_count=1)
    sm.create_workforce(WorkforceName="acme", OidcConfig=idp.oidc_config())
    a2i = svc.client("sagemaker-a2i-runtime")
    for name in ("audit-1", "audit-2", "audit-3"):
        a2i.start_human_loop(HumanLoopName=name, FlowDefinitionArn=flow_arn,
                             HumanLoopInput={"InputContent": "{}"})
    worker_factory(svc.settings, beat=True)
    reviewers.add_reviewer(svc.ctx, "rita", "password123", ["ops", "hitl-admins"])
    bad = requests.post(f"{svc.url}/review/api/login", json={"username": "rita", "password": "wrong-one"}, timeout=10)
    assert bad.status_code == 401
    s = requests.Session()
    s.trust_env = False
    login = s.post(f"{svc.url}/review/api/login", json={"username": "rita", "password": "password123"}, timeout=10)
    headers = {"X-CSRF-Token": login.json()["csrfToken"]}
    worker_id = login.json()["workerId"]

    def claim():
        return s.post(f"{svc.url}/review/api/assignments/claim", json={}, headers=headers, timeout=10).json()["assignment"]

    first = wait_until(claim, message="a routed loop")
    s.post(f"{svc.url}/review/api/assignments/{first['token']}/release", headers=headers, timeout=10)
    second = claim()
    # no heartbeat: the lease ends after a second and beat's reaper hands it back
    wait_until(lambda: "lease_expired" in actions(audit.query(svc.ctx, actor=worker_id)), message="lease expiry")
    third = claim()  # a reviewer never gets a loop twice: this is the third loop
    done = s.post(f"{svc.url}/review/api/assignments/{third['token']}/submit", json={"answerContent": {"a": 1}},
                  headers=headers, timeout=10)
    assert done.status_code == 200, done.text

    mine = list(reversed(audit.query(svc.ctx, actor=worker_id)))
    assert actions(mine)[:3] == ["sign_in", "claim", "release"]
    assert "lease_expired" in actions(mine) and actions(mine)[-1] == "submit"
    expired = next(e for e in mine if e.action == "lease_expired")
    assert expired.target == second["humanLoopName"] and json.loads(expired.detail)["workteam"] == team
    submit = mine[-1]
    assert submit.target == third["humanLoopName"] and submit.role == "admin" and submit.source_ip == "127.0.0.1"
    failed = audit.query(svc.ctx, actor="rita", action="sign_in")
    assert failed and failed[0].outcome == "failed"
    # HTTP Basic: each request signs in; a wrong password is recorded like a failed form sign-in
    basic = requests.post(f"{svc.url}/review/api/assignments/claim", auth=("rita", "not-her-password"), timeout=10)
    assert basic.status_code == 401
    failed = audit.query(svc.ctx, actor="rita", action="sign_in")
    assert failed[0].outcome == "failed" and json.loads(failed[0].detail)["method"] == "basic"

    changes = {e.action: e for e in audit.query(svc.ctx) if e.role == "admin" and e.actor.startswith("key:")}
    assert {"CreateWorkteam", "CreateHumanTaskUi", "CreateFlowDefinition", "CreateWorkforce"} <= set(changes)
    assert changes["CreateWorkforce"].target == "acme"
    assert "DescribeWorkforce" not in changes

    # `hitl audit` shows the same trail; --json is one object per line
    out = ok(svc, "audit", "--actor", worker_id, "--json")
    lines = [json.loads(line) for line in out.splitlines()]
    assert [x["action"] for x in lines] == [e.action for e in reversed(mine)]
    table = ok(svc, "audit", "--action", "CreateWorkforce")
    assert "CreateWorkforce" in table and "acme" in table

    # exported as JSON Lines to the output storage
    out = ok(svc, "audit", "export", "--bucket", "audit-bucket", "--key", "trail/audit.jsonl")
    assert "audit records" in out
    from hitl_service.output.storage import storage_from_settings

    body = storage_from_settings(svc.settings).get("audit-bucket", "trail/audit.jsonl").decode()
    exported = [json.loads(line) for line in body.splitlines()]
    assert len(exported) == len(audit.query(svc.ctx, limit=10_000))
    assert {"id", "ts_ms", "actor", "role", "action", "target", "source_ip", "outcome", "detail"} == set(exported[0])


def test_oidc_sign_ins_are_recorded_with_issuer_and_sub(wf_service, wf_sm, idp):
    from hitl_service.workforce import audit

    wf_sm.create_workforce(WorkforceName="acme", OidcConfig=idp.oidc_config())
    idp.add_user("olga", sub="olga-sub", groups=["g1"])
    sign_in(wf_service, idp, "olga")
    entry = audit.query(wf_service.ctx, action="sign_in")[0]
    detail = json.loads(entry.detail)
    assert entry.outcome == "ok" and detail["issuer"] == idp.issuer and detail["sub"] == "olga-sub"


def test_trail_length_is_bounded(wf_service):
    store = wf_service.ctx.store.audit
    for i in range(2000):
        store.append(50, ts_ms=i, actor="a", action="x")
    # MAXLEN ~ trims whole stream nodes (100 entries each), never below the bound
    assert 50 <= store.length() <= 250
    assert store.read(newest_first=True, limit=1).entries[0].ts_ms == 1999


def test_cli_reports_no_records(wf_service):
    assert "no audit records" in hitl(wf_service, "audit", "--action", "nothing").stdout


@pytest.fixture(scope="module")
def job_lease(redis_server, session_data_dir):
    # a 2-second heartbeat window: a claimed job task nobody heartbeats expires soon (TaskTimeLimitInSeconds
    # is at least 30 s; the heartbeat window ends a lease earlier)
    svc = PublicService(redis_server.url, session_data_dir, lease_heartbeat_seconds=2, admin_groups=["hitl-admins"])
    yield svc
    svc.stop()


def test_labeling_job_claims_releases_submits_and_expiries_are_recorded(job_lease, worker_factory):
    from hitl_service.workforce import audit
    from tests.console.jobs import run_job

    svc = job_lease
    bots = run_job(svc, worker_factory, name="audited-job", team="audited-team")
    reviewers.add_reviewer(svc.ctx, "auditor", "password123", ["hitl-admins"])
    amy, ben, cy = bots["amy"], bots["ben"], bots["cy"]
    answer = {"crowd-classifier": {"label": "Positive"}}

    first = wait_until(amy.claim, timeout=60, message="the job's objects ingested")
    assert amy.http.post(f"{amy.url}/{first['token']}/release", json={}, timeout=10).status_code == 200
    second = amy.claim()
    assert amy.submit(second["token"], answer).status_code == 200
    abandoned = ben.claim()
    # no heartbeat: the lease ends after two seconds and the job's worker (beat) or a claim gives it back
    wait_until(lambda: audit.query(svc.ctx, actor=ben.worker_id, action="lease_expired"), message="lease expiry")
    third = cy.claim()
    assert cy.submit(third["token"], answer).status_code == 200

    target = lambda task: f"audited-job/{task['datasetObjectId']}"  # noqa: E731
    mine = list(reversed(audit.query(svc.ctx, actor=amy.worker_id)))
    assert [(e.action, e.target) for e in mine] == [
        ("claim", target(first)), ("release", target(first)), ("claim", target(second)), ("submit", target(second))]
    for e in mine:
        assert e.role == "reviewer" and e.source_ip == "127.0.0.1" and e.outcome == "ok" and e.ts_ms > 0
        assert json.loads(e.detail)["workteam"] == "audited-team"
    assert json.loads(mine[0].detail)["lease"] == first["token"]
    assert 0 <= json.loads(mine[-1].detail)["seconds"] < 60
    [expired] = audit.query(svc.ctx, actor=ben.worker_id, action="lease_expired")
    assert expired.target == target(abandoned) and json.loads(expired.detail)["workteam"] == "audited-team"
    assert [e.action for e in audit.query(svc.ctx, actor=ben.worker_id)] == ["lease_expired", "claim"]

    # `hitl audit` lists the same records
    out = ok(svc, "audit", "--actor", amy.worker_id, "--json")
    assert [(x["action"], x["target"]) for x in map(json.loads, out.splitlines())] == [
        (e.action, e.target) for e in reversed(mine)]
    table = ok(svc, "audit", "--action", "lease_expired")
    assert target(abandoned) in table and ben.worker_id in table
    page = requests.get(f"{svc.url}/console/audit", params={"actor": cy.worker_id}, auth=("auditor", "password123"),
                        timeout=10)
    assert page.status_code == 200 and target(third) in page.text

    # the console's throughput counts the job answers per reviewer, with their time per task
    tp = requests.get(f"{svc.url}/console/api/overview", auth=("auditor", "password123"), timeout=30).json()["throughput"]
    rows = {r["worker_id"]: r for r in tp["reviewers"]}
    assert rows[amy.worker_id]["submits"] == 1 and rows[cy.worker_id]["submits"] == 1 and ben.worker_id not in rows
    assert rows[amy.worker_id]["mean_seconds"] == json.loads(mine[-1].detail)["seconds"]
