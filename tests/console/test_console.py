"""The console and roles: every page and API call against each role, and what each role sees."""

from __future__ import annotations

import pytest
import requests

from hitl_service.services import reviewers
from tests.conftest import wait_until
from tests.support.resources import create_flow, create_team
from tests.workforce.conftest import PublicService

PASSWORD = "password123"


@pytest.fixture(scope="module")
def console_service(redis_server, session_data_dir):
    svc = PublicService(redis_server.url, session_data_dir, admin_groups=["hitl-admins"], lead_groups=["hitl-leads"])
    yield svc
    svc.stop()


class World:
    """Two teams with work in them, a reviewer, a lead of one team and an admin."""

    def __init__(self, svc, worker_factory):
        self.svc = svc
        sm = svc.client("sagemaker")
        self.ops, ops_arn = create_team(sm, name="ops-team", groups=["ops"])
        self.fin, fin_arn = create_team(sm, name="fin-team", groups=["finance"])
        _, ops_flow = create_flow(sm, team_arn=ops_arn)
        _, fin_flow = create_flow(sm, team_arn=fin_arn)
        a2i = svc.client("sagemaker-a2i-runtime")
        for name, flow in (("ops-1", ops_flow), ("ops-2", ops_flow), ("fin-1", fin_flow)):
            a2i.start_human_loop(HumanLoopName=name, FlowDefinitionArn=flow,
                                 HumanLoopInput={"InputContent": '{"text": "t"}'})
        worker_factory(svc.settings)
        reviewers.add_reviewer(svc.ctx, "rev", PASSWORD, ["ops"])
        reviewers.add_reviewer(svc.ctx, "lee", PASSWORD, ["ops", "hitl-leads"])
        reviewers.add_reviewer(svc.ctx, "ada", PASSWORD, ["finance", "hitl-admins"])
        self.auth = {"reviewer": ("rev", PASSWORD), "team-lead": ("lee", PASSWORD), "admin": ("ada", PASSWORD),
                     "anonymous": None}
        claim = lambda who: self.call(who, "POST", "/review/api/assignments/claim", json={}).json()["assignment"]
        self.rev_task = wait_until(lambda: claim("reviewer"), message="routing")
        self.fin_task = wait_until(lambda: claim("admin"), message="routing")
        done = self.call("admin", "POST", f"/review/api/assignments/{self.fin_task['token']}/submit",
                         json={"answerContent": {"label": "fraud"}})
        assert done.status_code == 200

    def call(self, who, method, path, **kw):
        return requests.request(method, self.svc.url + path, auth=self.auth[who], allow_redirects=False,
                                timeout=15, **kw)


@pytest.fixture
def world(console_service, redis_server, worker_factory):
    redis_server.flush()
    return World(console_service, worker_factory)


ROLES = ("anonymous", "reviewer", "team-lead", "admin")


def test_role_by_endpoint_matrix(world):
    w = world
    rows = [
        # (method, path, {role: expected status})
        ("GET", "/review/queue", {"anonymous": 302, "reviewer": 200, "team-lead": 200, "admin": 200}),
        ("GET", "/review/api/me", {"anonymous": 401, "reviewer": 200, "team-lead": 200, "admin": 200}),
        ("GET", "/review/api/queues", {"anonymous": 401, "reviewer": 200, "team-lead": 200, "admin": 200}),
        ("GET", "/console/", {"anonymous": 302, "reviewer": 403, "team-lead": 200, "admin": 200}),
        ("GET", "/console/api/overview", {"anonymous": 401, "reviewer": 403, "team-lead": 200, "admin": 200}),
        ("GET", f"/console/teams/{w.ops}", {"anonymous": 302, "reviewer": 403, "team-lead": 200, "admin": 200}),
        ("GET", f"/console/teams/{w.fin}", {"anonymous": 302, "reviewer": 403, "team-lead": 404, "admin": 200}),
        ("GET", "/console/loops/fin-1", {"anonymous": 302, "reviewer": 403, "team-lead": 404, "admin": 200}),
        ("GET", f"/console/loops/{w.rev_task['humanLoopName']}",
         {"anonymous": 302, "reviewer": 403, "team-lead": 200, "admin": 200}),
        ("GET", "/console/audit", {"anonymous": 302, "reviewer": 403, "team-lead": 403, "admin": 200}),
        ("POST", "/console/leases/no-such-lease/reassign",
         {"anonymous": 302, "reviewer": 403, "team-lead": 404, "admin": 404}),
        # the control plane takes SigV4-signed calls only; reviewer credentials are no way in
        ("POST", "/", {"anonymous": 403, "reviewer": 403, "team-lead": 403, "admin": 403}),
    ]
    failures = []
    for method, path, expected in rows:
        for role in ROLES:
            got = w.call(role, method, path, headers={"X-Amz-Target": "SageMaker.ListWorkteams"} if path == "/" else {})
            if got.status_code != expected[role]:
                failures.append(f"{role} {method} {path}: {got.status_code} != {expected[role]}")
    assert not failures, "\n".join(failures)


def test_lead_sees_only_their_teams_and_reads_answers(world):
    w = world
    lead = w.call("team-lead", "GET", "/console/api/overview").json()
    assert lead["role"] == "team-lead"
    assert [q["team"] for q in lead["queues"]] == [w.ops]
    ops = lead["queues"][0]
    assert ops["leases_out"] == 1 and ops["waiting"] == 1 and ops["oldest_age_seconds"] >= 0
    assert lead["loops"] is None  # service-wide counts are for admins

    admin = w.call("admin", "GET", "/console/api/overview").json()
    assert sorted(q["team"] for q in admin["queues"]) == sorted([w.ops, w.fin])
    assert admin["loops"]["InProgress"] + admin["loops"]["Completed"] == 3
    tp = admin["throughput"]
    assert tp["total"] == 1 and tp["per_hour"][-1] == 1 and len(tp["per_hour"]) == 12
    assert tp["reviewers"][0]["name"] == "ada" and tp["reviewers"][0]["submits"] == 1
    assert w.call("team-lead", "GET", "/console/api/overview").json()["throughput"]["total"] == 0

    page = w.call("admin", "GET", "/console/loops/fin-1")
    assert "fraud" in page.text


def test_lead_reassigns_a_task_of_their_team(world):
    from hitl_service.workforce import audit

    w = world
    held = w.call("team-lead", "GET", f"/console/teams/{w.ops}").text
    assert w.rev_task["humanLoopName"] in held and "Give to someone else" in held
    token = w.rev_task["token"]
    done = w.call("team-lead", "POST", f"/console/leases/{token}/reassign")
    assert done.status_code == 302 and done.headers["Location"].endswith(f"/console/teams/{w.ops}")
    # the reviewer no longer holds it; it is back on the queue for someone else (never the same reviewer)
    assert w.call("reviewer", "GET", f"/review/api/assignments/{token}").status_code == 409
    lead_claim = w.call("team-lead", "POST", "/review/api/assignments/claim", json={}).json()["assignment"]
    assert lead_claim["humanLoopName"] in ("ops-1", "ops-2")
    entry = audit.query(w.svc.ctx, action="reassign")[0]
    assert entry.target == w.rev_task["humanLoopName"] and entry.role == "team-lead"
    assert w.call("team-lead", "POST", f"/console/leases/{token}/reassign").status_code == 404


def test_cookie_posts_need_the_csrf_token(world):
    w = world
    s = requests.Session()
    s.trust_env = False
    csrf = s.post(w.svc.url + "/review/api/login", json={"username": "lee", "password": PASSWORD},
                  timeout=10).json()["csrfToken"]
    path = f"/console/leases/{w.rev_task['token']}/reassign"
    assert s.post(w.svc.url + path, allow_redirects=False, timeout=10).status_code == 403
    assert s.post(w.svc.url + path, data={"csrf_token": csrf}, allow_redirects=False, timeout=10).status_code == 302


def test_cli_shows_the_console_and_reassigns(world):
    from tests.test_cli import hitl, ok

    w = world
    out = ok(w.svc, "console")
    assert w.ops in out and w.fin in out and "Completed=1" in out and "1 answers" in out
    leases = ok(w.svc, "console", "leases", w.ops)
    assert w.rev_task["token"] in leases and "rev" in leases
    assert "back on" in ok(w.svc, "console", "reassign", w.rev_task["token"])
    assert "nobody holds" in ok(w.svc, "console", "leases", w.ops)
    again = hitl(w.svc, "console", "reassign", w.rev_task["token"])
    assert again.returncode == 2 and "No such task" in again.stderr


def test_quality_shows_agreement_and_estimated_accuracy_per_reviewer(console_service, redis_server, worker_factory):
    redis_server.flush()
    svc = console_service
    sm = svc.client("sagemaker")
    _, team_arn = create_team(sm, name="label-team", groups=["labelers"])
    create_flow(sm, team_arn=team_arn, name="sentiment", task_count=3)
    flow_arn = sm.describe_flow_definition(FlowDefinitionName="sentiment")["FlowDefinitionArn"]
    a2i = svc.client("sagemaker-a2i-runtime")
    for i in range(6):
        a2i.start_human_loop(HumanLoopName=f"q-{i}", FlowDefinitionArn=flow_arn,
                             HumanLoopInput={"InputContent": '{"text": "t"}'})
    worker_factory(svc.settings, beat=True)   # beat refreshes the flow's recorded quality
    for name in ("amy", "ben", "cy"):
        reviewers.add_reviewer(svc.ctx, name, PASSWORD, ["labelers"])
    reviewers.add_reviewer(svc.ctx, "boss", PASSWORD, ["labelers", "hitl-leads"])

    def work(name, answer_for):
        for _ in range(6):
            task = wait_until(lambda: requests.post(f"{svc.url}/review/api/assignments/claim", json={},
                                                    auth=(name, PASSWORD), timeout=10).json()["assignment"],
                              message=f"a task for {name}")
            requests.post(f"{svc.url}/review/api/assignments/{task['token']}/submit", auth=(name, PASSWORD),
                          json={"answerContent": {"sentiment": answer_for(task["humanLoopName"])}}, timeout=10)

    work("amy", lambda loop: "positive")
    work("ben", lambda loop: "positive" if loop != "q-0" else "negative")
    work("cy", lambda loop: "negative")

    def recorded():
        overview = requests.get(f"{svc.url}/console/api/overview", auth=("boss", PASSWORD), timeout=30).json()
        return overview["quality"] if overview["quality"] and overview["quality"][0]["loops"] == 6 else None

    # the numbers are recorded as loops complete and summarized by beat, never computed by the page
    [flow] = wait_until(recorded, message="the flow's quality over its six completed loops")
    assert flow["flow"] == "sentiment" and flow["answers"] == 18
    by_name = {r["name"]: r for r in flow["reviewers"]}
    assert by_name["amy"]["agreement"] == 1.0
    assert by_name["cy"]["agreement"] == 0.0
    assert by_name["amy"]["accuracy"] > by_name["ben"]["accuracy"] > by_name["cy"]["accuracy"]
    page = requests.get(f"{svc.url}/console/", auth=("boss", PASSWORD), timeout=30).text
    assert 'data-flow="sentiment"' in page and "Krippendorff" in page
    from tests.test_cli import ok

    out = ok(svc, "console")
    assert "quality of flow sentiment" in out and "amy" in out and "100%" in out
    # /metrics has the flow's agreement, the number the console shows
    metrics = requests.get(f"{svc.url}/metrics", timeout=30).text
    assert f'hitl_flow_agreement_alpha{{flow="sentiment",team="label-team"}} {flow["krippendorff_alpha"]}' in metrics
    # deleting the flow takes its recorded numbers with it (a flow re-created under the name starts empty)
    sm.delete_flow_definition(FlowDefinitionName="sentiment")
    wait_until(lambda: not redis_server.client().keys("*fq*"), message="the deleted flow's quality keys to go")
    overview = requests.get(f"{svc.url}/console/api/overview", auth=("boss", PASSWORD), timeout=30).json()
    assert overview["quality"] == []


def test_progress_sources_plug_into_the_console(world):
    from hitl_service.console import sources

    w = world
    rows = [sources.Progress(kind="labeling-job", name="cats-vs-dogs", status="InProgress", done=30, total=120,
                             team=w.ops),
            sources.Progress(kind="labeling-job", name="invoices", status="Completed", done=50, total=50, team=w.fin)]
    source = lambda ctx: rows  # noqa: E731
    sources.register(w.svc.app, source)
    try:
        lead = w.call("team-lead", "GET", "/console/api/overview").json()["jobs"]
        assert [j["name"] for j in lead] == ["cats-vs-dogs"] and lead[0]["percent"] == 25.0
        admin = w.call("admin", "GET", "/console/").text
        assert "cats-vs-dogs" in admin and "invoices" in admin and "30 / 120 (25%)" in admin
    finally:
        # only this test's source: the app is shared by the module, and clearing every source took
        # the labeling jobs' source (registered by create_app) off for whichever test ran next
        sources.unregister(w.svc.app, source)


def test_lead_watches_a_labeling_jobs_progress_and_quality(console_service, redis_server, worker_factory):
    import krippendorff
    import numpy as np
    from statsmodels.stats.inter_rater import fleiss_kappa

    from tests.console.jobs import OBJECTS, answer_everything, expected_table, run_job
    from tests.test_cli import ok

    redis_server.flush()
    svc = console_service
    reviewers.add_reviewer(svc.ctx, "boss", PASSWORD, ["labelers", "hitl-leads"])
    reviewers.add_reviewer(svc.ctx, "other-lead", PASSWORD, ["elsewhere", "hitl-leads"])
    reviewers.add_reviewer(svc.ctx, "plain", PASSWORD, ["labelers"])
    bots = run_job(svc, worker_factory)
    overview = lambda who="boss": requests.get(f"{svc.url}/console/api/overview", auth=(who, PASSWORD),  # noqa: E731
                                               timeout=30).json()

    def row(**want):
        jobs = [j for j in overview()["jobs"] if j["name"] == "console-job"]
        return jobs[0] if jobs and all(jobs[0][k] == v for k, v in want.items()) else None

    job = wait_until(lambda: row(total=OBJECTS), timeout=60, message="the job's objects ingested")
    assert job["status"] == "InProgress" and job["done"] == 0 and job["team"] == "label-team"
    assert job["quality"] is None  # nothing consolidated yet

    answer_everything(bots)
    job = wait_until(lambda: (r := row(status="Completed")) and r["quality"] and r["quality"]["objects"] == OBJECTS
                     and r, timeout=60, message="the job consolidated and its quality recorded")
    assert job["done"] == OBJECTS and job["failed"] == 0 and job["percent"] == 100.0
    q = job["quality"]
    table = np.array(expected_table())
    # the numbers are the consolidation package's, over every object of the job: the libraries agree
    assert q["krippendorff_alpha"] == round(krippendorff.alpha(value_counts=table, level_of_measurement="nominal"), 4)
    assert q["fleiss_kappa"] == round(fleiss_kappa(table, method="fleiss"), 4)
    assert q["answers"] == 3 * OBJECTS
    by_name = {r["name"]: r for r in q["reviewers"]}
    assert set(by_name) == {"amy", "ben", "cy"} and all(r["answers"] == OBJECTS for r in by_name.values())
    # amy and ben agree on five objects of six, cy with neither: the model trusts amy and ben, and
    # however it settles text 0, cy agrees with the consensus at most there
    assert min(by_name["amy"]["agreement"], by_name["ben"]["agreement"]) >= round(5 / 6, 4)
    assert by_name["cy"]["agreement"] <= round(1 / 6, 4)
    assert min(by_name["amy"]["accuracy"], by_name["ben"]["accuracy"]) > by_name["cy"]["accuracy"]

    page = requests.get(f"{svc.url}/console/", auth=("boss", PASSWORD), timeout=30).text
    assert 'data-job="console-job"' in page and 'data-job-quality="console-job"' in page
    assert f"{q['krippendorff_alpha']:.2f}" in page and "6 / 6 (100%)" in page
    # a lead of another team does not see the job; a reviewer sees no console
    assert overview("other-lead")["jobs"] == []
    assert requests.get(f"{svc.url}/console/api/overview", auth=("plain", PASSWORD), timeout=10).status_code == 403

    # /metrics carries the job's agreement; the CLI shows the same row
    metrics = requests.get(f"{svc.url}/metrics", timeout=30).text
    assert f'hitl_job_agreement_alpha{{job="console-job",team="label-team"}} {q["krippendorff_alpha"]}' in metrics
    assert f'hitl_job_agreement_kappa{{job="console-job",team="label-team"}} {q["fleiss_kappa"]}' in metrics
    out = ok(svc, "console")
    line = next(x for x in out.splitlines() if x.startswith("console-job"))
    assert "label-team" in line and "Completed" in line and "100%" in line and "6/6" in line
    assert f"{q['krippendorff_alpha']:.2f}" in line
    assert "quality of job console-job" in out and "ben" in out
