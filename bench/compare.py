"""Before and after: the Summary of docs/benchmarks.md at an earlier commit beside the current one.

`make bench-compare BEFORE=<commit>` (after `make bench`) writes the `compare` block. Each benchmark
measures its baseline in the same run, so the comparison is made on the ratios (service / same-run
baseline), which survive a change of machine load far better than absolute figures; B6 (memory) is
deterministic and compared on its absolute bytes.
"""

from __future__ import annotations

import argparse
import dataclasses
import re
import subprocess
from pathlib import Path

from bench.report import md_table, write_block

ROOT = Path(__file__).resolve().parent.parent
REPORT = ROOT / "docs" / "benchmarks.md"
# a ratio within this factor of the earlier one is "same": the spread between repeats of one run is wider
SAME_WITHIN = 0.15
HIGHER_IS_BETTER = ("req/s", "loops/s", "pairs/s", "puts/s", "objects/s")
LOWER_IS_BETTER_METRICS = ("backlog growth",)   # counted in loops/s, but growth is bad


@dataclasses.dataclass(frozen=True)
class SummaryRow:
    """One line of a report's Summary table."""

    bench: str
    metric: str
    result: str
    ratio: str
    status: str


def summary_rows(text: str) -> dict[tuple[str, str], SummaryRow]:
    """The Summary table of a report, keyed by (benchmark, metric); blank benchmark cells carry down."""
    part = text.split("## Summary", 1)[-1].split("\n## ", 1)[0]
    rows, bench = {}, ""
    for line in part.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) < 7 or cells[0] in ("#", "---") or set(cells[0]) <= {"-"} and cells[0]:
            continue
        bench = cells[0] or bench
        rows[(bench, _metric_key(cells[1]))] = SummaryRow(bench, cells[1], cells[2], cells[4], cells[6])
    return rows


def _metric_key(metric: str) -> str:
    # B6 used one row for 200 B before it measured four sizes
    return "memory per started+routed loop, 200 B input" if metric == "memory per started+routed loop" else metric


def _lead(value: str) -> float | None:
    m = re.match(r"-?[\d,]*\.?\d+", value.replace("×", ""))
    return float(m[0].replace(",", "")) if m else None


def _direction(before: float | None, after: float | None, higher_is_better: bool) -> str:
    if before is None or after is None or before == 0:
        return "–"
    change = (after - before) / abs(before)
    if abs(change) <= SAME_WITHIN:
        return "same"
    return "better" if (change > 0) == higher_is_better else "worse"


def verdict(bench: str, before: SummaryRow, after: SummaryRow) -> str:
    """better / same / worse: on the same-run ratio and on the result itself (B6: bytes only).

    When the two disagree the baseline moved (a quieter or busier machine changes the bare endpoint's
    tail far more than the service's), and the row says which way each went instead of picking one.
    """
    higher = (any(u in after.result for u in HIGHER_IS_BETTER)
              and not any(m in after.metric for m in LOWER_IS_BETTER_METRICS))
    result = _direction(_lead(before.result), _lead(after.result), higher)
    if bench == "B6":
        return "**worse**" if result == "worse" else result
    ratio = _direction(_lead(before.ratio), _lead(after.ratio), higher)
    if ratio == "–":
        return "**worse**" if result == "worse" else result
    if ratio == result or result in ("same", "–"):
        return "**worse**" if ratio == "worse" else ratio
    if ratio == "same":
        return "same"
    return f"ratio {ratio}, result {result}"


def _commit_of(text: str) -> str:
    m = re.search(r"\| git commit \| `([0-9a-f]{7,40})", text)
    return m[1][:10] if m else "?"


def compare_block(before_text: str, after_text: str, before_rev: str) -> str:
    """The markdown block comparing two reports' Summaries."""
    before, after = summary_rows(before_text), summary_rows(after_text)
    lines, counts = [], {"better": 0, "same": 0, "**worse**": 0, "mixed": 0}
    for key, now in after.items():
        old = before.get(key)
        if old is None or not key[0].startswith("B") or key[0] > "B7":
            continue
        v = verdict(key[0], old, now)
        if v in counts or v.startswith("ratio"):
            counts[v if v in counts else "mixed"] += 1
        lines.append([key[0], now.metric, old.result, old.ratio, now.result, now.ratio, v])
    head = ["#", "metric", "before", "before ratio", "now", "now ratio", "now vs before"]
    text = [
        "<!-- compare:begin -->",
        "## Before and after (B1–B7, `make bench-compare`)",
        "",
        f"Before: the Summary of `docs/benchmarks.md` at `{before_rev}` (that run's commit "
        f"`{_commit_of(before_text)}`); now: this file's Summary (commit `{_commit_of(after_text)}`). "
        f"Each row is judged on its ratio to the same-run baseline and on the result itself (B6 on its bytes "
        f"alone, which do not depend on load); a change within ±{SAME_WITHIN:.0%} is *same*, as the repeats of "
        f"one run spread wider than that. A row is *worse* only when both say so; where they disagree the "
        f"baseline itself moved with the machine's load and the row says which way each went. "
        f"Totals: {counts['better']} better, {counts['same']} same, {counts['**worse**']} worse, "
        f"{counts['mixed']} mixed.",
        "",
        *md_table(head, lines),
        "<!-- compare:end -->",
    ]
    return "\n".join(text) + "\n"


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", required=True, help="the commit whose docs/benchmarks.md is the before")
    parser.add_argument("--out", default=str(REPORT))
    args = parser.parse_args(argv)
    before_text = subprocess.run(["git", "show", f"{args.before}:docs/benchmarks.md"], cwd=ROOT, check=True,
                                 capture_output=True, text=True).stdout
    block = compare_block(before_text, Path(args.out).read_text(), args.before)
    write_block(args.out, "compare", block)
    print(block)


if __name__ == "__main__":
    main()
