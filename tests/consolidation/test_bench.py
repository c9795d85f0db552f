"""The C1/C2 benchmark runs end to end at a small size and writes only its own block."""
import json
import subprocess
import sys
from pathlib import Path

from bench.c_consolidation import BEGIN, END, write_block

ROOT = Path(__file__).resolve().parents[2]


def test_small_run_prints_measurements_for_both_benchmarks():
    proc = subprocess.run([sys.executable, "-m", "bench.c_consolidation", "--sizes", "3000", "--boxes", "300",
                           "--repeats", "1", "--no-crowdkit", "--no-write"], cwd=ROOT, capture_output=True,
                          text=True, check=True, timeout=240)
    lines = proc.stdout.splitlines()
    c1 = json.loads(lines[0])
    c2 = json.loads(lines[1])
    assert c1["ours_ds"]["method"] == "dawid-skene" and c1["ours_mv"]["method"] == "majority-vote"
    assert c1["ours_ds"]["accuracy"] > c1["ours_mv"]["accuracy"]
    assert 0 <= c1["ours_ds"]["ece"] <= 1 and c1["ours_ds"]["peak_mb"] > 0
    assert c2["images"] == 300 and 0 < c2["boxes_out"] <= c2["boxes_in"]
    assert BEGIN in proc.stdout and END in proc.stdout


def test_write_block_replaces_only_its_block(tmp_path):
    page = tmp_path / "benchmarks.md"
    page.write_text("# Benchmarks\n\nB1 text\n")
    write_block(f"{BEGIN}\nfirst\n{END}", page)
    write_block(f"{BEGIN}\nsecond\n{END}", page)
    text = page.read_text()
    assert text.startswith("# Benchmarks\n\nB1 text\n")
    assert "second" in text and "first" not in text and text.count(BEGIN) == 1
