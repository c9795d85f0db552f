"""``python -m bench.b_cluster`` (``make bench-cluster``): B3 and B7 on a three-master Redis Cluster
beside one Redis, in the same run (issue 15, *Measured*).

Each repeat brings up one set-up at a time (never both: the machine has 2 cores), measures it with
the B3 or B7 code of ``make bench`` and stops it; the engines alternate in order from repeat to
repeat, so a drift in the machine's load hits both sides alike. The result is a block of
docs/benchmarks.md between ``<!-- cluster:begin -->`` and ``<!-- cluster:end -->``, which
``make bench`` keeps.
"""

from __future__ import annotations

import sys

from bench import harness as h
from bench.b_api import ApiPair, b3_backlog_row, b3_once, b3_warm, cpu_breakdown
from bench.b_e2e import E2E, run_line
from bench.report import md_table, ratios, stat

ENGINES = ("single", "cluster")
LABELS = {"single": h.SingleStore.label, "cluster": h.ClusterStore.label}
FULL = {"B3": {"duration": 20, "repeats": 3},
        "B7": {"duration": 15, "warm": 3, "repeats": 3, "starters": 4, "bots": 8, "window": 200}}
QUICK = {"B3": {"duration": 2, "repeats": 1},
         "B7": {"duration": 2, "warm": 0.5, "repeats": 1, "starters": 2, "bots": 4, "window": 50}}


def _alternating(what: str, repeats: int, measure) -> dict[str, list[dict]]:
    """``measure(engine)`` per repeat and engine, the engines' order alternating from repeat to repeat."""
    runs: dict[str, list[dict]] = {e: [] for e in ENGINES}
    for rep in range(repeats):
        for engine in (ENGINES if rep % 2 == 0 else tuple(reversed(ENGINES))):
            run = measure(engine)
            h.log(f"{what} {engine} repeat {rep + 1}: {run['rate']:.0f} loops/s")
            runs[engine].append(run)
    return runs


def run_b3(cfg: dict) -> dict[str, list[dict]]:
    """B3 runs per engine: a fresh set-up per run, an untimed warm-up, then one measured run."""
    def measure(engine: str) -> dict:
        pair = ApiPair(with_workers=True, engine=engine)
        try:
            run = b3_once(pair, cfg["duration"], b3_warm(pair, cfg["duration"]))
            if engine == "cluster":
                run["keys_per_node"] = pair.engine.keys_per_node()
            return run
        finally:
            pair.stop()

    return _alternating("B3 routed", cfg["repeats"], measure)


def run_b7(cfg: dict) -> dict[str, list[dict]]:
    """B7 (local output backend) runs per engine: a fresh set-up per run, a 3 s warm-up, one measured run."""
    lg = {k: cfg[k] for k in ("starters", "bots", "window")}

    def measure(engine: str) -> dict:
        e2e = E2E("local", engine=engine)
        try:
            e2e.run(min(3.0, cfg["duration"]), 0.5, **lg)
            run = e2e.run(cfg["duration"], cfg["warm"], **lg)
            if engine == "cluster":
                run["keys_per_node"] = e2e.engine.keys_per_node()
            return run
        finally:
            e2e.stop()

    return _alternating("B7 completed", cfg["repeats"], measure)


def render(res: dict, cfg: dict, machine, quick: bool, seconds: float) -> str:
    """The markdown block: one row per figure, one Redis beside the cluster, with the paired ratio."""
    b3, b7 = res["B3"], res["B7"]
    s3, c3 = [r["rate"] for r in b3["single"]], [r["rate"] for r in b3["cluster"]]
    s7, c7 = [r["rate"] for r in b7["single"]], [r["rate"] for r in b7["cluster"]]
    rows = [
        ("B3 started-and-routed loops/s (target ≥ 1,200)", stat(s3).fmt(" loops/s"), stat(c3).fmt(" loops/s"),
         ratios(c3, s3).fmt("", 2)),
        ("B3 route backlog growth (slope; must stay under 2 % of the start rate)",
         _backlog(b3["single"]), _backlog(b3["cluster"]), "–"),
        ("B3 StartHumanLoop rate while routing", stat([r["start_rate"] for r in b3["single"]]).fmt(" req/s"),
         stat([r["start_rate"] for r in b3["cluster"]]).fmt(" req/s"),
         ratios([r["start_rate"] for r in b3["cluster"]], [r["start_rate"] for r in b3["single"]]).fmt("", 2)),
        ("B7 end to end, local backend: completed loops/s (target ≥ 500)", stat(s7).fmt(" loops/s"),
         stat(c7).fmt(" loops/s"), ratios(c7, s7).fmt("", 2)),
    ]
    b3c, b7c = cfg["B3"], cfg["B7"]
    out = ["<!-- cluster:begin -->", "## B3 and B7 on a three-master Redis Cluster (`make bench-cluster`)", ""]
    out.append(f"Run {machine.date} on commit `{machine.commit}`, {machine.nproc} × {machine.cpu}, load average "
               f"before {machine.load_before[0]:.2f}; {'quick mode (tiny sizes; not meaningful)' if quick else 'full'}; "
               f"took {seconds:.0f} s.")
    out.append("")
    out.append(
        "**How:** the B3 and B7 (local output backend) measurements of `make bench`, unchanged, on two store "
        "engines in the same run: *one Redis* as shipped (`deploy/redis.conf`, the store in database 0 and "
        "Celery's broker in database 1) and a *Redis Cluster* of three masters on this machine (each "
        "`redis-server deploy/redis.conf --cluster-enabled yes`, joined by `redis-cli --cluster create`, "
        "`HITL_REDIS_URL=redis+cluster://…`) with Celery's broker on one more plain redis-server (a cluster "
        "cannot be a broker; production would use RabbitMQ, docs/operations.md), so on the cluster side the "
        "broker's traffic also has a process of its own. API, worker, beat and load "
        "generator are the same commands in both. Only one set-up runs at a time; each measured run gets a "
        "fresh set-up and an untimed warm-up, and the engines alternate in order from repeat to repeat. "
        f"B3: {b3c['repeats']} repeats × {b3c['duration']:.0f} s per engine; B7: {b7c['repeats']} repeats × "
        f"{b7c['duration']:.0f} s per engine ({b7c['starters']} starters, {b7c['bots']} bot connections, window "
        f"{b7c['window']}). Ratio = cluster / one Redis, computed per repeat (the two runs of a repeat are "
        "adjacent in time).")
    out.append("")
    out.extend(md_table(["figure", "one Redis", "Redis Cluster (3 masters)", "cluster / one Redis"], rows))
    out.append("")
    for label, runs in (("B3", b3), ("B7", b7)):
        for engine in ENGINES:
            cpu = [r["cpu"] for r in runs[engine]]
            unit = "started loop" if label == "B3" else "submitted loop"
            out.append(f"- {label}, {LABELS[engine]}: " + cpu_breakdown(cpu, unit))
    for engine in ENGINES:
        out.extend(f"- B7, {run_line(LABELS[engine], r)}." for r in b7[engine])
    nodes = [r["keys_per_node"] for r in b3["cluster"] + b7["cluster"] if "keys_per_node" in r]
    if nodes:
        out.append("- Keys per cluster master at the end of each cluster run: "
                   + "; ".join(" / ".join(f"{n:,}" for n in k) for k in nodes)
                   + ". A team's loops, queue, leases and counters share its hash tag `{t:<team>}`, so the "
                     "queue work of B3's and B7's single flow runs on one master (only untagged keys such as name "
                     "reservations spread): these figures measure what the cluster client and slot routing cost, "
                     "not how work spreads over masters, which takes several teams (docs/operations.md, limits "
                     "of the cluster layout).")
    out.append("<!-- cluster:end -->")
    return "\n".join(out) + "\n"


def _backlog(runs: list[dict]) -> str:
    row = b3_backlog_row(runs)
    return f"{row.value}: {'does not grow' if row.met else '**grows**'} ({row.note})"


def run(cfg: dict) -> dict:
    """B3, then B7, each on both engines."""
    return {"B3": run_b3(cfg["B3"]), "B7": run_b7(cfg["B7"])}


def main(argv=None) -> int:
    """``make bench-cluster``: run both benchmarks on both engines and write the cluster block."""
    return h.block_main(argv, prog="python -m bench.b_cluster", description=__doc__,
                        block="cluster", full=FULL, quick=QUICK, run=run, render=render)


if __name__ == "__main__":
    sys.exit(main())
