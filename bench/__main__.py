"""``python -m bench`` (``make bench``): run the benchmarks of issue 7 and write docs/benchmarks.md."""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import sys
import time
import traceback
from pathlib import Path

from bench import harness as h
from bench.report import Result, render, write_report

ALL = ["B1", "B2", "B3", "B4", "B5", "B6", "B7", "B8", "B9"]
TITLES = {
    "B1": "StartHumanLoop throughput and latency, 32 connections",
    "B2": "StartHumanLoop → assignment claimable (p50, p99)",
    "B3": "Sustained started-and-routed loops/s (API + workers + load on 2 cores)",
    "B4": "Claim + submit latency with a deep queue (one reviewer; 20 reviewers at TaskCount 3)",
    "B5": "ListHumanLoops, page of 100 (first, middle, last)",
    "B6": "Redis memory per loop (InputContent 200 B – 100 KB)",
    "B7": "End to end with reviewer bots (local backend and S3 via moto)",
    "B8": "SigV4 verification cost per request",
    "B9": "Render the largest task template (server side)",
}

FULL = {
    "B1": {"duration": 10, "repeats": 3},
    "B2": {"light_rate": 20, "light_count": 150, "heavy_rate": 500, "heavy_count": 3000, "repeats": 3},
    "B3": {"duration": 20, "repeats": 3},
    "depth": {"deep": 1_000_000, "shallow": 1_000, "crowd_deep": 1_000_000, "crowd_shallow": 1_000},
    "B4": {"pairs": 300, "repeats": 4, "crowd_pairs": 30},
    "B5": {"n": 100, "repeats": 4},
    "B6": {"loops": 20_000, "repeats": 3},
    "B7": {"duration": 15, "warm": 3, "repeats": 3, "put_duration": 8, "starters": 4, "bots": 8, "window": 200},
    "B8": {"rounds": 6, "n": 2000},
    "B9": {"rounds": 5, "n": 300},
}

QUICK = {
    "B1": {"duration": 1, "repeats": 1},
    "B2": {"light_rate": 20, "light_count": 10, "heavy_rate": 500, "heavy_count": 100, "repeats": 1},
    "B3": {"duration": 2, "repeats": 1},
    "depth": {"deep": 2_000, "shallow": 200, "crowd_deep": 2_000, "crowd_shallow": 300, "reviewers": 5},
    "B4": {"pairs": 10, "repeats": 1, "crowd_pairs": 3},
    "B5": {"n": 5, "repeats": 1},
    "B6": {"loops": 300, "repeats": 1},
    "B7": {"duration": 2, "warm": 0.5, "repeats": 1, "put_duration": 1, "starters": 2, "bots": 4, "window": 50},
    "B8": {"rounds": 2, "n": 100},
    "B9": {"rounds": 1, "n": 20},
}

# B5 runs before B4: B4 completes loops of the small flow, B5 needs it at its stated size
ORDER = ["B1", "B2", "B3", "B5", "B4", "B6", "B7", "B8", "B9"]

CAVEATS = [
    "The machine has 2 cores and is shared: other engineers run test suites (pytest, Chromium, Celery "
    "workers, redis-servers) on it while the benchmarks run, so absolute throughput and tail latency "
    "move with their load (load averages are recorded before the run and after each benchmark).",
    "Each benchmark measures its baseline in the same run, alternating with the measured side, so a "
    "ratio is affected much less than an absolute figure; targets that are absolute (p99 ≤ …, ≥ … loops/s) "
    "should be re-checked on a quiet machine before concluding anything from a miss.",
    "Load generators, the API, the workers and Redis all share the same 2 cores, as in B3's set-up.",
]


def _runner(key: str):
    from bench import b_api, b_depth, b_e2e, b_latency, b_memory, b_micro

    return {"B1": b_api.run_b1, "B2": b_latency.run_b2, "B3": b_api.run_b3, "B4": b_depth.run_b4,
            "B5": b_depth.run_b5, "B6": b_memory.run_b6, "B7": b_e2e.run_b7, "B8": b_micro.run_b8,
            "B9": b_micro.run_b9}[key]


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    p = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    p.add_argument("--only", help="comma-separated benchmarks to run, e.g. B1,B4 (default: all)")
    p.add_argument("--quick", action="store_true", help="tiny sizes and durations (smoke test)")
    p.add_argument("--out", default="docs/benchmarks.md", help="report file (default: docs/benchmarks.md)")
    p.add_argument("--save-results", metavar="JSON", help="also keep the raw results here (for --from-results)")
    p.add_argument("--from-results", metavar="JSON",
                   help="do not run anything: re-render the report from saved results (e.g. after editing notes)")
    args = p.parse_args(argv)
    args.argv = argv
    selected = ALL if not args.only else [x.strip().upper() for x in args.only.split(",") if x.strip()]
    unknown = [x for x in selected if x not in ALL]
    if unknown:
        p.error(f"unknown benchmark(s) {', '.join(unknown)}; choose from {', '.join(ALL)}")
    cfgs = QUICK if args.quick else FULL
    os.chdir(h.ROOT)
    if args.from_results:
        return _rerender(args)
    h.install_signal_handlers()
    machine = h.machine_info()
    h.log(f"machine: {machine.nproc} x {machine.cpu}, {machine.mem_gib} GiB, load {machine.load_before}")
    shared: dict = {}
    results: dict[str, Result] = {}
    t_all = time.monotonic()
    try:
        for key in [k for k in ORDER if k in selected]:
            h.log(f"{key}: {TITLES[key]}")
            t0 = time.monotonic()
            try:
                if key in ("B4", "B5") and "depth" not in shared:
                    from bench.b_depth import DepthSetup

                    d = cfgs["depth"]
                    shared["depth"] = DepthSetup(**d)
                cfg = dict(cfgs[key], **(cfgs["depth"] if key in ("B4", "B5") else {}))
                res = _runner(key)(cfg, shared)
            except Exception:  # noqa: BLE001 - the report says which benchmark failed and why
                res = Result(key, TITLES[key], "", error=traceback.format_exc())
                h.log(f"{key} failed:\n{res.error}")
            res.seconds = time.monotonic() - t0
            res.load = os.getloadavg()
            results[key] = res
            h.log(f"{key} done in {res.seconds:.0f} s: " + "; ".join(
                f"{r.metric} = {r.value} [{'met' if r.met else 'missed' if r.met is False else '-'}]"
                for r in res.rows))
            if "depth" in shared and not ({"B4", "B5"} & (set(selected) - set(results))):
                shared.pop("depth").stop()
    finally:
        if "depth" in shared:
            shared.pop("depth").stop()
        h.stop_all()
    from bench.notes import NOTES

    ordered = [results[k] for k in ALL if k in results]
    caveats = list(CAVEATS)
    caveats.append(f"Total run time {time.monotonic() - t_all:.0f} s.")
    if args.save_results:
        Path(args.save_results).write_text(json.dumps({
            "machine": dataclasses.asdict(machine), "results": [dataclasses.asdict(r) for r in ordered],
            "caveats": caveats, "argv": args.argv, "quick": args.quick}, indent=1))
    text = render(machine, ordered, args, NOTES, caveats)
    out = Path(args.out)
    write_report(out, text)
    h.log(f"wrote {out}")
    for r in ordered:
        status = "error" if r.error else {True: "met", False: "MISSED", None: "-"}[r.met]
        print(f"{r.key}: {status}")
    return 0


def _rerender(args) -> int:
    from bench.notes import NOTES
    from bench.report import Row

    data = json.loads(Path(args.from_results).read_text())
    machine = h.Machine(**data["machine"])
    results = []
    for r in data["results"]:
        rows = [Row(**row) for row in r.pop("rows")]
        results.append(Result(rows=rows, **r))
    args.argv, args.quick = data["argv"], data["quick"]
    write_report(args.out, render(machine, results, args, NOTES, data["caveats"]))
    h.log(f"re-rendered {args.out} from {args.from_results}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
