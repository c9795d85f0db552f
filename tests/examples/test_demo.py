"""examples/demo.py end to end: the real app over HTTP, a real Celery worker, the demo as a subprocess."""

from __future__ import annotations

import os
import re
import subprocess
import sys

from tests.conftest import ACCESS_KEY, ROOT, SECRET_KEY


def run_demo(service, tmp_path, *extra):
    env = {k: v for k, v in os.environ.items() if not k.startswith("HITL_")}
    env["PYTHONUNBUFFERED"] = "1"
    cmd = [sys.executable, str(ROOT / "examples" / "demo.py"), "--auto-answer", "--timeout", "90",
           "--env-file", str(tmp_path / "absent.env"), "--endpoint", service.url,
           "--access-key", ACCESS_KEY, "--secret-key", SECRET_KEY,
           "--redis-url", service.settings.redis_url, "--data-dir", service.settings.data_dir, *extra]
    return subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=180)


def test_demo_routes_only_the_unsure_sentence_to_a_reviewer_and_prints_the_answer(service, sm, a2i, worker_factory,
                                                                                 tmp_path):
    worker_factory(service.settings)
    proc = run_demo(service, tmp_path)
    out = proc.stdout
    assert proc.returncode == 0, out + proc.stderr
    assert re.search(r"'I enjoy this product' -> label 1, confidence 0\.9\d: created no loop", out), out
    assert re.search(r"'It is okay' -> label 0, confidence 0\.[0-8]\d: created human loop", out), out
    assert f"Review page: {service.url}/review/" in out
    assert "login:     sentiment-demo-reviewer" in out
    assert re.search(r"password:  \S{12,}", out)
    # the closing table: input content and the human answer read from output.json
    table = out[out.index("input content"):]
    assert re.search(r"^It is okay\s+0\s+0\.\d\d\s+0$", table, re.M), table
    assert re.search(r"^I enjoy this product\s+1\s+0\.9\d\s+\(no review: model was confident\)$", table, re.M)

    flow_arn = sm.describe_flow_definition(FlowDefinitionName="sentiment-demo-flow")["FlowDefinitionArn"]
    loops = a2i.list_human_loops(FlowDefinitionArn=flow_arn)["HumanLoopSummaries"]
    assert len(loops) == 1 and loops[0]["HumanLoopStatus"] == "Completed"

    # a second run reuses the workteam, task UI and flow, and resets the reviewer's password
    again = run_demo(service, tmp_path, "--answer", "1")
    assert again.returncode == 0, again.stdout + again.stderr
    assert re.search(r"^It is okay\s+0\s+0\.\d\d\s+1$", again.stdout, re.M), again.stdout
    assert len(sm.list_flow_definitions()["FlowDefinitionSummaries"]) == 1
    assert len(a2i.list_human_loops(FlowDefinitionArn=flow_arn)["HumanLoopSummaries"]) == 2


def test_demo_template_renders_the_sentence_and_the_model_guess():
    from hitl_service.review.liquid import render_task

    sys.path.insert(0, str(ROOT / "examples"))
    try:
        import demo
    finally:
        sys.path.remove(str(ROOT / "examples"))
    body = render_task(demo.TEMPLATE, {"taskObject": "It is <okay>", "initialValue": "0"})
    assert "It is &lt;okay&gt;" in body
    assert 'initial-value="0"' in body
    assert "categories=\"['-1', '0', '1']\"" in body
