"""Smoke test of `python -m bench.b_cluster --quick`: B3 and B7 run on one Redis and on a real
three-master Redis Cluster and land side by side in the report's cluster block (no timing asserted)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.timeout(900)
def test_quick_cluster_bench_writes_both_engines_into_its_block(tmp_path):
    out = tmp_path / "benchmarks.md"
    out.write_text("# Benchmarks\n\n<!-- peers:begin -->\nP1\n<!-- peers:end -->\n")
    proc = subprocess.run([sys.executable, "-m", "bench.b_cluster", "--quick", "--out", str(out)], cwd=ROOT,
                          capture_output=True, text=True, timeout=850)
    assert proc.returncode == 0, proc.stderr[-5000:]
    text = out.read_text()
    assert "<!-- peers:begin -->\nP1\n<!-- peers:end -->" in text
    block = re.search(r"<!-- cluster:begin -->.*<!-- cluster:end -->", text, re.S)[0]
    for figure in ("B3 started-and-routed loops/s", "B7 end to end, local backend"):
        row = next(line for line in block.splitlines() if line.startswith(f"| {figure}"))
        one, cluster, ratio = [c.strip() for c in row.strip("|").split("|")[1:4]]
        assert "loops/s" in one and "loops/s" in cluster and re.fullmatch(r"[\d.,]+", ratio), row
    # the cluster runs held keys on more than one master: it was a real cluster
    per_node = re.search(r"Keys per cluster master at the end of each cluster run: ([^.]+)\.", block)[1]
    assert all(sum(1 for n in run.split(" / ") if int(n.replace(",", "")) > 0) >= 2 for run in per_node.split("; "))
