"""Benchmarks C1 (classification, side by side with crowd-kit) and C2 (boxes); see docs/consolidation.md.

    python -m bench.c_consolidation                      # C1 at 10k/100k/1M, C2 at 100k images
    python -m bench.c_consolidation --sizes 10000 --boxes 2000 --no-crowdkit --no-write   # quick look

Every timed run is a fresh subprocess on the same data file: ours with this interpreter, crowd-kit
with the interpreter of its own venv (`make bench-consolidation` creates `.venv-crowdkit`), so that
crowd-kit is never a dependency of the service. Time = wall and CPU of the consolidation call alone
(data already in memory in each library's natural form: arrays for us, a DataFrame for crowd-kit);
memory = tracemalloc peak of that call in a separate run, and the process's peak RSS.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

import numpy as np

from hitl_service.consolidation.classes import ClassAnnotations, Method, consolidate_classes
from hitl_service.consolidation.synthetic import expected_calibration_error, make_crowd

ROOT = Path(__file__).resolve().parent.parent
RUNNER = Path(__file__).resolve().parent / "c_crowdkit_runner.py"
BEGIN, END = "<!-- consolidation:begin -->", "<!-- consolidation:end -->"
SEED = 2026           # held out: the shrinkage was chosen on seeds 1-3
TARGETS = {"seconds_1m": 4.0, "mb_1m": 400.0, "ece": 0.02, "acc_gap": 0.002, "boxes_seconds": 10.0}


def run_ours(data_path: str, out_path: str, method: str, mode: str) -> None:
    """Subprocess body: consolidate one data file and print the measurements as JSON."""
    data = np.load(data_path)
    ann = ClassAnnotations(item=data["item"], worker=data["worker"], label=data["label"],
                           n_items=int(data["n_items"]), n_workers=int(data["n_workers"]),
                           n_classes=int(data["n_classes"]))
    chosen = {"ds": None, "mv": Method.MAJORITY_VOTE}[method]
    if mode == "memory":
        tracemalloc.start()
    wall, cpu = time.perf_counter(), time.process_time()
    result = consolidate_classes(ann, method=chosen)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    peak = tracemalloc.get_traced_memory()[1] if mode == "memory" else None
    np.savez(out_path, label=result.label, confidence=result.confidence)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    print(json.dumps({"seconds": wall, "cpu_seconds": cpu, "peak_bytes": peak, "rss_bytes": rss,
                      "method": result.method.value}))


def _measure(python: str, script: list[str], data: Path, tmp: Path, method: str, repeats: int,
             truth: np.ndarray) -> dict:
    """Median time over `repeats` fresh processes, then one traced run for memory; score the labels."""
    out = tmp / f"out-{method}.npz"
    runs = []
    for mode in ["time"] * repeats + ["memory"]:
        proc = subprocess.run([python, *script, str(data), str(out), method, mode], cwd=ROOT,
                              capture_output=True, text=True, check=True)
        runs.append(json.loads(proc.stdout.strip().splitlines()[-1]))
    timed = runs[:-1]
    result = np.load(out)
    correct = result["label"] == truth
    return {
        "seconds": statistics.median(r["seconds"] for r in timed),
        "cpu_seconds": statistics.median(r["cpu_seconds"] for r in timed),
        "peak_mb": runs[-1]["peak_bytes"] / 2**20,
        "rss_mb": max(r["rss_bytes"] for r in runs) / 2**20,
        "accuracy": float(correct.mean()),
        "ece": expected_calibration_error(result["confidence"], correct),
        "method": runs[-1].get("method"),
    }


def bench_c1(sizes: list[int], repeats: int, crowdkit_python: str | None) -> list[dict]:
    """C1: every size, ours (DS, MV) and crowd-kit (DS, MV) on the same file."""
    rows = []
    with tempfile.TemporaryDirectory(prefix="c1-") as tmpdir:
        tmp = Path(tmpdir)
        for size in sizes:
            crowd = make_crowd(size, seed=SEED)
            ann = crowd.annotations
            data = tmp / f"crowd-{size}.npz"
            np.savez(data, item=ann.item, worker=ann.worker, label=ann.label, n_items=ann.n_items,
                     n_workers=ann.n_workers, n_classes=ann.n_classes)
            row = {"size": size, "annotations": len(ann.item), "items": ann.n_items, "workers": ann.n_workers}
            ours = ["-m", "bench.c_consolidation", "--run"]
            row["ours_ds"] = _measure(sys.executable, ours, data, tmp, "ds", repeats, crowd.truth)
            row["ours_mv"] = _measure(sys.executable, ours, data, tmp, "mv", repeats, crowd.truth)
            if crowdkit_python:
                # crowd-kit takes seconds per run at 1M: one timed run there, as many as asked below
                ck_repeats = 1 if size >= 1_000_000 else repeats
                row["crowdkit_ds"] = _measure(crowdkit_python, [str(RUNNER)], data, tmp, "ds", ck_repeats,
                                              crowd.truth)
                row["crowdkit_mv"] = _measure(crowdkit_python, [str(RUNNER)], data, tmp, "mv", ck_repeats,
                                              crowd.truth)
            print(json.dumps(row), flush=True)
            rows.append(row)
    return rows


def make_box_answers(n_images: int, seed: int) -> tuple[list, int]:
    """C2 data: ~4 objects per image, 3 reviewers who each miss 8%, jitter 3 px, mislabel 10%."""
    from hitl_service.consolidation.boxes import BoxAnswer   # not needed by the C1 subprocesses
    rng = np.random.default_rng(seed)
    objects = np.maximum(rng.poisson(4, n_images), 1)
    owner = np.repeat(np.arange(n_images), objects)
    truth = np.concatenate([rng.uniform(0, 900, (len(owner), 2)), rng.uniform(20, 100, (len(owner), 2))], 1)
    labels = rng.integers(0, 5, len(owner))
    answers = []
    for worker in range(3):
        drawn = rng.random(len(owner)) < 0.92
        boxes = truth[drawn] + rng.normal(0, 3, (int(drawn.sum()), 4))
        boxes[:, 2:] = np.maximum(boxes[:, 2:], 1)
        lab = np.where(rng.random(int(drawn.sum())) < 0.9, labels[drawn], rng.integers(0, 5, int(drawn.sum())))
        bounds = np.searchsorted(owner[drawn], np.arange(n_images + 1)).tolist()
        answers += [BoxAnswer(item=i, worker=worker, boxes=boxes[a:b], labels=lab[a:b])
                    for i, (a, b) in enumerate(zip(bounds[:-1], bounds[1:]))]
    return answers, len(owner)


def bench_c2(n_images: int, repeats: int) -> dict:
    """C2: consolidate 100k images x 3 reviewers x ~4 boxes."""
    from hitl_service.consolidation.boxes import consolidate_boxes
    answers, n_objects = make_box_answers(n_images, SEED)
    walls, cpus = [], []
    for _ in range(repeats):
        wall, cpu = time.perf_counter(), time.process_time()
        result = consolidate_boxes(answers, n_items=n_images)
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    kept = sum(len(r.boxes) for r in result)
    confidence = np.concatenate([r.confidence for r in result])
    row = {"images": n_images, "answers": len(answers), "boxes_in": int(sum(len(a.boxes) for a in answers)),
           "objects": n_objects, "boxes_out": kept, "seconds": statistics.median(walls),
           "cpu_seconds": statistics.median(cpus), "mean_confidence": float(confidence.mean())}
    print(json.dumps(row), flush=True)
    return row


def machine() -> dict:
    """What the numbers were measured on."""
    model = ""
    try:
        model = re.search(r"model name\s*:\s*(.*)", Path("/proc/cpuinfo").read_text()).group(1)
    except (OSError, AttributeError):
        model = platform.processor()
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True,
                            text=True).stdout.strip()
    return {"cpu": model, "cores": os.cpu_count(), "python": platform.python_version(), "commit": commit,
            "numpy": np.__version__, "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
            "load": os.getloadavg()}


def render(c1: list[dict], c2: dict | None, info: dict, load_after) -> str:
    """The markdown block for docs/benchmarks.md."""
    lines = [BEGIN, "## C1, C2: consolidation (`make bench-consolidation`)", "",
             f"Commit `{info['commit']}`, {info['date']}, {info['cores']} cores ({info['cpu']}), "
             f"Python {info['python']}, numpy {info['numpy']}. Load average (1/5/15 min) at start "
             f"{'/'.join(f'{x:.1f}' for x in info['load'])}, at end {'/'.join(f'{x:.1f}' for x in load_after)}: "
             "the machine is shared, so wall times carry the other jobs' load; CPU seconds are the "
             "process's own.", "",
             "C1: seeded synthetic crowd (5 classes, skewed prior, 60/25/10/5 % good/mediocre/spammer/biased "
             f"reviewers, log-normal activity, 3-5 answers per item, seed {SEED} held out). Time and memory of "
             "the consolidation call alone, each run in a fresh process on the same data file.", "",
             "| annotations | method | wall s | CPU s | peak MB (traced) | process RSS MB | accuracy | ECE |",
             "|---:|---|---:|---:|---:|---:|---:|---:|"]
    names = [("ours_ds", "hitl DS (`consolidate_classes`)"), ("ours_mv", "hitl majority vote"),
             ("crowdkit_ds", "crowd-kit DawidSkene"), ("crowdkit_mv", "crowd-kit MajorityVote")]
    for row in c1:
        for key, label in names:
            if key in row:
                m = row[key]
                lines.append(f"| {row['annotations']:,} | {label} | {m['seconds']:.2f} | {m['cpu_seconds']:.2f} | "
                             f"{m['peak_mb']:.0f} | {m['rss_mb']:.0f} | {m['accuracy']:.4f} | {m['ece']:.4f} |")
    lines += ["", "Targets: " + "; ".join(_verdicts(c1, c2)) + ".", ""]
    if c2:
        lines += [f"C2: {c2['images']:,} images x 3 reviewers, {c2['boxes_in']:,} boxes in "
                  f"({c2['objects']:,} true objects; each reviewer misses 8%, 3 px jitter, 10% wrong labels): "
                  f"`consolidate_boxes` took {c2['seconds']:.2f} s wall, {c2['cpu_seconds']:.2f} s CPU "
                  f"(target 10 s), {c2['boxes_out']:,} boxes out, mean confidence {c2['mean_confidence']:.3f}.", ""]
    lines.append(END)
    return "\n".join(lines)


def _verdicts(c1, c2):
    out = []
    for row in c1:
        ours = row["ours_ds"]
        if "crowdkit_ds" in row:
            gap = ours["accuracy"] - row["crowdkit_ds"]["accuracy"]
            out.append(f"{row['annotations']:,}: accuracy vs crowd-kit DS {gap:+.4f} "
                       f"({'met' if gap >= -TARGETS['acc_gap'] else 'NOT met'})")
        if row["size"] >= 100_000:
            out.append(f"{row['annotations']:,}: ECE {ours['ece']:.4f} "
                       f"({'met' if ours['ece'] <= TARGETS['ece'] else 'NOT met'})")
        if row["size"] >= 1_000_000:
            fast = ours["seconds"] <= TARGETS["seconds_1m"]
            small = ours["rss_mb"] <= TARGETS["mb_1m"]
            out.append(f"1M time {ours['seconds']:.2f} s wall / {ours['cpu_seconds']:.2f} s CPU "
                       f"({'met' if fast else 'NOT met on wall time'}), memory {ours['rss_mb']:.0f} MB process "
                       f"peak ({'met' if small else 'NOT met'})")
    if c2:
        out.append(f"C2 {c2['seconds']:.2f} s ({'met' if c2['seconds'] <= TARGETS['boxes_seconds'] else 'NOT met'})")
    return out


def write_block(block: str, path: Path) -> None:
    """Replace the consolidation block of docs/benchmarks.md (append it if absent)."""
    text = path.read_text() if path.exists() else ""
    if BEGIN in text and END in text:
        text = text[:text.index(BEGIN)] + block + text[text.index(END) + len(END):]
    else:
        text = text.rstrip("\n") + "\n\n" + block + "\n"
    path.write_text(text)


def main(argv=None) -> int:
    """Command line entry point."""
    parser = argparse.ArgumentParser(prog="python -m bench.c_consolidation", description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--boxes", type=int, default=100_000, help="C2 images (0 skips C2)")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--crowdkit-python", default=str(ROOT / ".venv-crowdkit" / "bin" / "python"))
    parser.add_argument("--no-crowdkit", action="store_true")
    parser.add_argument("--no-write", action="store_true", help="print only; leave docs/benchmarks.md alone")
    parser.add_argument("--run", nargs=4, metavar=("DATA", "OUT", "METHOD", "MODE"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.run:
        run_ours(*args.run)
        return 0
    crowdkit = None if args.no_crowdkit else args.crowdkit_python
    if crowdkit and not Path(crowdkit).exists():
        parser.error(f"{crowdkit} not found: run `make bench-consolidation` or pass --no-crowdkit")
    info = machine()
    c1 = bench_c1([int(s) for s in args.sizes.split(",") if s], args.repeats, crowdkit)
    c2 = bench_c2(args.boxes, args.repeats) if args.boxes else None
    block = render(c1, c2, info, os.getloadavg())
    print(block)
    if not args.no_write:
        write_block(block, ROOT / "docs" / "benchmarks.md")
    return 0


if __name__ == "__main__":
    sys.exit(main())
