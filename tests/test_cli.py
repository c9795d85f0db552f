"""The `hitl` command, run as a subprocess against the test Redis, as an operator would run it."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import requests

from hitl_service.store import keys
from tests.conftest import ROOT, wait_until
from tests.support import resources as R


def hitl(service, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    s = service.settings
    env = dict(os.environ, HITL_REDIS_URL=s.redis_url, HITL_BROKER_URL=s.broker_url, HITL_REGION=s.region,
               HITL_ACCOUNT_ID=s.account_id, HITL_DATA_DIR=s.data_dir, HITL_LOG_LEVEL="WARNING")
    return subprocess.run([sys.executable, "-m", "hitl_service.cli", *args], cwd=ROOT, env=env, input=stdin or "",
                          capture_output=True, text=True, timeout=60)


def ok(service, *args: str, stdin: str | None = None) -> str:
    out = hitl(service, *args, stdin=stdin)
    assert out.returncode == 0, (out.stdout, out.stderr)
    return out.stdout


def table(text: str) -> list[dict]:
    """Rows of a CLI table (columns split on runs of two or more spaces)."""
    import re

    lines = text.strip().splitlines()
    header = re.split(r"\s{2,}", lines[0].strip())
    return [dict(zip(header, re.split(r"\s{2,}", line.strip()))) for line in lines[1:]]


def login(service, name: str, password: str) -> requests.Response:
    return requests.post(f"{service.url}/review/api/login", json={"username": name, "password": password}, timeout=10)


def start(a2i, flow_arn: str, name: str) -> str:
    a2i.start_human_loop(HumanLoopName=name, FlowDefinitionArn=flow_arn,
                         HumanLoopInput={"InputContent": json.dumps({"text": name})})
    return name


def test_reviewers_add_list_remove(service):
    out = ok(service, "reviewers", "add", "alice", "--group", "labelers", "--group", "experts", "--password-stdin",
             stdin="alice-password-1\n")
    assert out.startswith("added reviewer alice workerId=") and out.rstrip().endswith("groups=experts,labelers")
    worker_id = out.split("workerId=")[1].split()[0]
    ok(service, "reviewers", "add", "bob", "--group", "labelers", stdin="bob-password-12\n")

    # the accounts work on the review API, with the password given on stdin (without its newline)
    resp = login(service, "alice", "alice-password-1")
    assert resp.status_code == 200 and resp.json()["workerId"] == worker_id
    assert login(service, "bob", "bob-password-12").status_code == 200

    rows = table(ok(service, "reviewers", "list"))
    assert rows == [{"name": "alice", "workerId": worker_id, "groups": "experts,labelers"},
                    {"name": "bob", "workerId": rows[1]["workerId"], "groups": "labelers"}]

    dup = hitl(service, "reviewers", "add", "alice", "--group", "x", "--password-stdin", stdin="another-pass-1\n")
    assert dup.returncode == 2 and "alice already exists" in dup.stderr
    short = hitl(service, "reviewers", "add", "carol", "--group", "x", "--password-stdin", stdin="short\n")
    assert short.returncode == 2 and "at least 8 characters" in short.stderr
    no_group = hitl(service, "reviewers", "add", "carol", "--password-stdin", stdin="long-enough-1\n")
    assert no_group.returncode == 2 and "--group" in no_group.stderr

    assert ok(service, "reviewers", "remove", "alice").strip() == "removed reviewer alice"
    assert [r["name"] for r in table(ok(service, "reviewers", "list"))] == ["bob"]
    assert login(service, "alice", "alice-password-1").status_code == 401
    gone = hitl(service, "reviewers", "remove", "alice")
    assert gone.returncode == 1 and "no reviewer named alice" in gone.stderr


def test_reviewers_list_when_there_are_none(service):
    assert ok(service, "reviewers", "list").startswith("no reviewers")


def test_queues_loops_list_and_describe(service, sm, a2i, worker):
    team, team_arn = R.create_team(sm, groups=("cli-team",))
    flow, flow_arn = R.create_flow(sm, team_arn=team_arn, task_count=2)
    ok(service, "reviewers", "add", "dana", "--group", "cli-team", "--password-stdin", stdin="dana-password-1\n")
    names = [start(a2i, flow_arn, f"cli-{i}") for i in range(3)]
    wait_until(lambda: int(service.ctx.store.client.hget(keys.team_stats(team), "queued") or 0) == 6, message="routed")
    rows = table(ok(service, "queues"))
    assert [(r["workteam"], r["waiting"]) for r in rows] == [(team, "6")]
    assert rows[0]["oldest"].endswith("s")

    # dana answers cli-0 (one of its two assignments)
    http = requests.Session()
    http.auth = ("dana", "dana-password-1")
    claim = http.post(f"{service.url}/review/api/assignments/claim", json={}, timeout=10).json()["assignment"]
    assert claim["humanLoopName"] == "cli-0"
    assert http.post(f"{service.url}/review/api/assignments/{claim['token']}/submit",
                     json={"answerContent": {"answer": "yes"}}, timeout=10).status_code == 200
    a2i.stop_human_loop(HumanLoopName="cli-2")
    assert table(ok(service, "queues"))[0]["waiting"] == "3"

    rows = table(ok(service, "loops", "list", "--flow", flow))
    assert [(r["name"], r["status"]) for r in rows] == [("cli-2", "Stopped"), ("cli-1", "InProgress"),
                                                         ("cli-0", "InProgress")]
    assert all(r["created"].endswith("Z") for r in rows)
    stopped = table(ok(service, "loops", "list", "--flow", flow, "--status", "Stopped"))
    assert [r["name"] for r in stopped] == ["cli-2"]
    assert [r["name"] for r in table(ok(service, "loops", "list", "--flow", flow, "--limit", "2"))] == \
        ["cli-2", "cli-1"]
    none = ok(service, "loops", "list", "--flow", flow, "--status", "Completed")
    assert none.strip() == f"no loops with status Completed in flow {flow}"
    missing = hitl(service, "loops", "list", "--flow", "no-such-flow")
    assert missing.returncode == 2 and "does not exist" in missing.stderr
    bad_status = hitl(service, "loops", "list", "--flow", flow, "--status", "Done")
    assert bad_status.returncode == 2 and "invalid choice" in bad_status.stderr

    doc = json.loads(ok(service, "loops", "describe", "cli-0"))
    dana_id = service.ctx.store.reviewers.get("dana")["worker_id"]
    assert doc["name"] == "cli-0" and doc["status"] == "InProgress" and doc["flow"] == flow
    assert doc["workteam"] == team and doc["taskCount"] == 2 and doc["answers"] == 1
    assert doc["queued"] == 1 and doc["leasesOut"] == 0 and doc["outputS3Uri"] is None
    assert [a["workerId"] for a in doc["answerSummary"]] == [dana_id]

    # the second answer (from a second reviewer) completes the loop; describe shows the output
    ok(service, "reviewers", "add", "eve", "--group", "cli-team", "--password-stdin", stdin="eve-password-12\n")
    http.auth = ("eve", "eve-password-12")
    claim = http.post(f"{service.url}/review/api/assignments/claim", json={}, timeout=10).json()["assignment"]
    assert claim["humanLoopName"] == "cli-0"
    http.post(f"{service.url}/review/api/assignments/{claim['token']}/submit",
              json={"answerContent": {"answer": "no"}}, timeout=10)
    wait_until(lambda: json.loads(ok(service, "loops", "describe", "cli-0"))["status"] == "Completed",
               interval=0.2, message="cli-0 Completed")
    doc = json.loads(ok(service, "loops", "describe", "cli-0"))
    assert doc["answers"] == 2 and doc["queued"] == 0
    assert doc["outputS3Uri"] == a2i.describe_human_loop(HumanLoopName="cli-0")["HumanLoopOutput"]["OutputS3Uri"]
    stopped = json.loads(ok(service, "loops", "describe", "cli-2"))
    assert stopped["status"] == "Stopped" and stopped["queued"] == 0 and stopped["answers"] == 0
    assert [r["name"] for r in table(ok(service, "loops", "list", "--flow", flow, "--status", "Completed"))] == \
        ["cli-0"]

    unknown = hitl(service, "loops", "describe", "no-such-loop")
    assert unknown.returncode == 1 and "no loop named no-such-loop" in unknown.stderr
    assert names == ["cli-0", "cli-1", "cli-2"]


def test_loops_list_takes_the_flow_arn_as_well_as_its_name(service, sm, a2i):
    flow, flow_arn = R.create_flow(sm)
    for i in range(2):
        start(a2i, flow_arn, f"by-arn-{i}")
    by_name = table(ok(service, "loops", "list", "--flow", flow))
    by_arn = table(ok(service, "loops", "list", "--flow", flow_arn))
    assert [r["name"] for r in by_arn] == [r["name"] for r in by_name] == ["by-arn-1", "by-arn-0"]
    other = hitl(service, "loops", "list", "--flow", flow_arn.replace(flow, "no-such-flow"))
    assert other.returncode == 2 and "does not exist" in other.stderr


def test_output_piped_into_a_reader_that_stops_early_ends_quietly(service, sm, a2i):
    """`hitl loops list ... | head -1`: no BrokenPipeError traceback when the reader goes away."""
    flow, flow_arn = R.create_flow(sm)
    for i in range(3):
        start(a2i, flow_arn, f"piped-{i}")
    s = service.settings
    env = dict(os.environ, HITL_REDIS_URL=s.redis_url, HITL_BROKER_URL=s.broker_url, HITL_REGION=s.region,
               HITL_ACCOUNT_ID=s.account_id, HITL_DATA_DIR=s.data_dir, HITL_LOG_LEVEL="WARNING")
    # `true` leaves without reading, so the command's first write meets a closed pipe
    cmd = f"'{sys.executable}' -m hitl_service.cli loops list --flow {flow} | true"
    out = subprocess.run(["bash", "-c", cmd], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0
    assert "Traceback" not in out.stderr and "BrokenPipeError" not in out.stderr, out.stderr
