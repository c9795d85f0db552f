"""Smoke test of `python -m bench`: tiny sizes, every benchmark runs and lands in the report.

No timing is asserted: the machine running the tests may be busy. What is checked is that the
harness starts and stops everything, each benchmark produces its rows, and the report is written.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
KEYS = [f"B{i}" for i in range(1, 10)]


def test_bench_signer_is_accepted_by_the_service_verifier():
    from bench.signer import Signer, canonical_query
    from hitl_service.api.sigv4 import SignedRequest, verify_sigv4

    signer = Signer("AKIDSMOKE", "smoke-secret", "127.0.0.1:8080")
    body = json.dumps({"HumanLoopName": "x"}).encode()
    headers = signer.sign("POST", "/human-loops", body=body)
    assert verify_sigv4(SignedRequest("POST", "http://127.0.0.1:8080/human-loops", headers, body),
                        {"AKIDSMOKE": "smoke-secret"}, service="sagemaker") == "AKIDSMOKE"
    query = canonical_query({"FlowDefinitionArn": "arn:aws:sagemaker:us-east-1:123456789012:flow-definition/f",
                             "MaxResults": "100", "NextToken": "eyJzIjoiYSJ9=="})
    headers = signer.sign("GET", "/human-loops", query=query)
    assert verify_sigv4(SignedRequest("GET", f"http://127.0.0.1:8080/human-loops?{query}", headers, b""),
                        {"AKIDSMOKE": "smoke-secret"}, service="sagemaker") == "AKIDSMOKE"


@pytest.mark.timeout(1200)
def test_quick_bench_writes_a_report_with_every_benchmark(tmp_path):
    out = tmp_path / "benchmarks.md"
    proc = subprocess.run([sys.executable, "-m", "bench", "--quick", "--out", str(out)], cwd=ROOT,
                          capture_output=True, text=True, timeout=1100)
    assert proc.returncode == 0, proc.stderr[-5000:]
    assert out.exists(), proc.stderr[-5000:]
    text = out.read_text()
    for section in ("## Machine and run", "## Summary", "git commit", "nproc", "memory"):
        assert section in text
    summary = text.split("## Summary", 1)[1].split("## How to run", 1)[0]
    for key in KEYS:
        assert re.search(rf"^\| {key} \|", summary, re.M), f"{key} missing from the summary table"
        assert f"## {key} — " in text, f"{key} has no section"
    errors = [line for line in summary.splitlines() if "**error**" in line]
    assert not errors, "benchmarks failed:\n" + "\n".join(errors) + "\n" + proc.stderr[-5000:]
    # every row has a status: met, missed or informational
    rows = [line for line in summary.splitlines() if line.startswith("| ") and "---" not in line][1:]
    assert rows and all(line.rstrip().endswith(("| met |", "| **missed** |", "| – |")) for line in rows), rows
