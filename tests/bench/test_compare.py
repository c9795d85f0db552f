"""bench/compare.py: the before/after block judges each row on its same-run ratio (B6 on bytes)."""

from bench.compare import compare_block, summary_rows

HEAD = "## Summary\n\n| # | benchmark | result | baseline (same run) | ratio | target | status |\n|---|---|---|---|---|---|---|\n"


def report(commit: str, rows: str) -> str:
    return f"| git commit | `{commit}` |\n\n" + HEAD + rows + "\nFigures are medians.\n\n## How to run\n"


BEFORE = report("aaaaaaa", (
    "| B1 | requests/s (32 connections) | 500 req/s (497 – 696) | 1,000 req/s | 0.50 (0.43 – 0.50) | ≥ 0.7 | **missed** |\n"
    "|  | p99 latency | 100 ms | 80 ms | 1.25 | – | – |\n"
    "| B2 | 500/s: p50 start → claimable | 46.0 ms | 2,506 ms | 0.03 | ≤ 5 ms | **missed** |\n"
    "| B6 | memory per started+routed loop | 1,111 B (1,000 – 1,120) | 200 B (InputContent) | 5.6× | ≤ | met |\n"
    "| B7 | local backend: completed loops/s | 70.8 loops/s | 3,361 puts/s | 0.03 (0.02 – 0.03) | ≥ 500 | **missed** |\n"))
AFTER = report("bbbbbbb", (
    "| B1 | requests/s (32 connections) | 700 req/s | 1,000 req/s | 0.70 (0.6 – 0.8) | ≥ 0.7 | met |\n"
    "|  | p99 latency | 100 ms | 80 ms | 1.30 | – | – |\n"
    "| B2 | 500/s: p50 start → claimable | 2.44 ms | 1.46 ms | 1.64 | ≤ 5 ms | met |\n"
    "| B6 | memory per started+routed loop, 200 B input | 1,075 B | 200 B (InputContent) | 5.4× | ≤ | met |\n"
    "|  | memory per started+routed loop, 1,000 B input | 1,769 B | 1,000 B | 1.8× | ≤ | met |\n"
    "| B7 | local backend: completed loops/s | 20 loops/s | 3,000 puts/s | 0.007 | ≥ 500 | **missed** |\n"
    "| B8 | added per request | 111 µs | 621 µs | 1.18 | ≤ 150 µs | met |\n"))


def test_rows_carry_their_benchmark_down():
    rows = summary_rows(AFTER)
    assert rows[("B1", "p99 latency")].ratio == "1.30"
    assert rows[("B6", "memory per started+routed loop, 1,000 B input")].result == "1,769 B"


def test_block_says_better_same_worse_per_row_and_skips_rows_without_a_before():
    block = compare_block(BEFORE, AFTER, "aaaaaaa")
    lines = {line.split("|")[2].strip(): line.rsplit("|", 2)[-2].strip() for line in block.splitlines()
             if line.startswith("| B")}
    assert lines["requests/s (32 connections)"] == "better"         # throughput ratio 0.50 -> 0.70
    assert lines["p99 latency"] == "same"                           # 1.25 -> 1.30 is within 15 %
    assert lines["memory per started+routed loop, 200 B input"] == "same"  # B6 judged on bytes: 1,111 -> 1,075
    assert lines["local backend: completed loops/s"] == "**worse**"  # ratio 0.03 -> 0.007, 70.8 -> 20 loops/s
    # the baseline fell from 2.5 s to 1.5 ms: the ratio grew though the service got 19x faster
    assert lines["500/s: p50 start → claimable"] == "ratio worse, result better"
    assert "memory per started+routed loop, 1,000 B input" not in lines  # no before
    assert "added per request" not in lines                         # only B1-B7
    assert "Totals: 1 better, 2 same, 1 worse, 1 mixed." in block
    assert "`aaaaaaa`" in block and "`bbbbbbb`" in block
