"""G1: manifest ingest. A JSON Lines manifest (``{"source": ...}`` per line) becomes pending,
claimable data objects of a labeling job; objects/s and the ingesting process's peak memory.

Run: ``python -m bench.g_ingest [--lines 1000000] [--small 100000]``. It starts its own
redis-server (AOF off, like the other store benchmarks), writes the manifests into a temporary
local-backend directory, creates the job through the service's own code (workteam and UI
records included) and calls the ingestion step in a child process per manifest, so each peak RSS
belongs to one ingest only. Writes the block between ``<!-- jobs:begin -->`` and
``<!-- jobs:end -->`` in docs/benchmarks.md (``--no-write`` to only print).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "benchmarks.md"
TARGET = 20_000
WORDS = ("good", "bad", "food", "service", "slow", "friendly", "cold", "great", "price", "table", "wait", "staff")


def write_manifest(path: Path, n: int, text: str | None = None) -> None:
    """``n`` JSON lines ``{"source": ..., "review-id": i}``: 12 random words each, or ``text`` on every line."""
    rng = random.Random(7)
    with open(path, "w") as f:
        for i in range(n):
            source = text if text is not None else " ".join(rng.choice(WORDS) for _ in range(12))
            f.write(json.dumps({"source": source, "review-id": i}) + "\n")


def prepare_bucket(data_dir: str) -> Path:
    """The local-backend bucket the ingest reads from (``s3://bench/``), with the job's label categories."""
    bucket = Path(data_dir, "s3", "bench")
    bucket.mkdir(parents=True, exist_ok=True)
    (bucket / "categories.json").write_text(json.dumps(
        {"document-version": "2018-11-28", "labels": [{"label": "Positive"}, {"label": "Negative"}]}))
    return bucket


CHILD = r'''
import json, resource, sys, time
from hitl_service.config import Settings
from hitl_service.jobs import service, work
from hitl_service.output.storage import LocalDirectoryStorage
from hitl_service.services import resources
from hitl_service.services.context import build_context
from hitl_service.domain.labeling import TaskType
from hitl_service.jobs.tasktypes import builtin_arn

redis_url, data_dir, name, batch = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
settings = Settings(redis_url=redis_url, data_dir=data_dir, job_ingest_batch=batch)

class NoDispatch:
    def __getattr__(self, _):
        return lambda *a: None

ctx = build_context(settings, NoDispatch())
storage = LocalDirectoryStorage(data_dir)
team = "bench-" + name
resources.create_workteam(ctx, {"WorkteamName": team, "MemberDefinitions": [{"OidcMemberDefinition": {"Groups": ["g"]}}],
                                "Description": "bench"})
ui = resources.create_human_task_ui(ctx, {"HumanTaskUiName": team, "UiTemplate": {"Content": "<p>{{ task.input.taskObject }}</p>"}})
service.create_labeling_job(ctx, {
    "LabelingJobName": name, "LabelAttributeName": "sentiment",
    "InputConfig": {"DataSource": {"S3DataSource": {"ManifestS3Uri": f"s3://bench/{name}.manifest"}}},
    "OutputConfig": {"S3OutputPath": "s3://bench/out"}, "RoleArn": "arn:aws:iam::123456789012:role/bench",
    "LabelCategoryConfigS3Uri": "s3://bench/categories.json",
    "HumanTaskConfig": {"WorkteamArn": ctx.arns.workteam(team), "UiConfig": {"HumanTaskUiArn": ui["HumanTaskUiArn"]},
        "PreHumanTaskLambdaArn": builtin_arn("PRE", TaskType.TEXT_CLASSIFICATION),
        "AnnotationConsolidationConfig": {"AnnotationConsolidationLambdaArn": builtin_arn("ACS", TaskType.TEXT_CLASSIFICATION)},
        "TaskTitle": "t", "TaskDescription": "d", "NumberOfHumanWorkersPerDataObject": 3,
        "TaskTimeLimitInSeconds": 300, "MaxConcurrentTaskCount": 1000}})
job = ctx.store.jobs.get(name)
t0 = time.perf_counter()
work.ingest(ctx, name, job, storage)
elapsed = time.perf_counter() - t0
job = ctx.store.jobs.get(name)
print(json.dumps({"objects": int(job["total"]), "seconds": elapsed, "status": job["status"],
                  "claimable": ctx.store.jobs.queued(name),
                  "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
'''


def run_one(redis_url: str, data_dir: str, name: str, batch: int) -> dict:
    out = subprocess.run([sys.executable, "-c", CHILD, redis_url, data_dir, name, str(batch)], cwd=ROOT,
                         capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def render(rows: list[dict], load: tuple) -> str:
    lines = ["<!-- jobs:begin -->", "## G1: labeling-job manifest ingest", "",
             "A manifest of `{\"source\": <12 words>, \"review-id\": n}` lines (about 100 bytes each) in the local "
             "backend becomes pending data objects of a text classification job (built-in PRE/ACS, 3 workers per "
             "object, MaxConcurrentTaskCount 1000 of them claimable at once). One child process per manifest; its "
             "peak RSS is the ingesting process's memory. Redis and the ingest share the machine's 2 cores with "
             f"whatever else runs (load average before: {load[0]:.2f} / {load[1]:.2f} / {load[2]:.2f}).", "",
             "| manifest lines | objects ingested | seconds | objects/s | target | peak RSS of the ingest | claimable after |",
             "|---|---|---|---|---|---|---|"]
    for r in rows:
        rate = r["objects"] / r["seconds"]
        status = "met" if rate >= TARGET else "**missed**"
        lines.append(f"| {r['lines']:,} | {r['objects']:,} | {r['seconds']:.1f} | {rate:,.0f} | ≥ {TARGET:,}/s: {status} "
                     f"| {r['peak_rss_mib']:.0f} MiB | {r['claimable']:,} |")
    lines += ["", "Memory is flat when the peak RSS of the large manifest is close to the small one's: the "
              "manifest is streamed (64 KiB reads) and stored a batch at a time (`HITL_JOB_INGEST_BATCH`, 5000).",
              "Label Studio's bulk import beside this ingest, in the same run and on the same machine, is in the "
              "P1 block (`make bench-peers`).", "<!-- jobs:end -->"]
    return "\n".join(lines)


def write_block(block: str) -> None:
    text = DOC.read_text() if DOC.exists() else "# Benchmarks\n"
    if "<!-- jobs:begin -->" in text:
        text = re.sub(r"<!-- jobs:begin -->.*?<!-- jobs:end -->", lambda _: block, text, flags=re.S)
    else:
        text = text.rstrip("\n") + "\n\n" + block + "\n"
    DOC.write_text(text)


def main(argv=None) -> int:
    from tests.support.procs import RedisServer

    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--lines", type=int, default=1_000_000)
    p.add_argument("--small", type=int, default=100_000)
    p.add_argument("--batch", type=int, default=5000)
    p.add_argument("--no-write", action="store_true")
    args = p.parse_args(argv)
    load = os.getloadavg()
    server = RedisServer(appendonly=False).start()
    data_dir = tempfile.mkdtemp(prefix="hitl-bench-g1-")
    try:
        bucket = prepare_bucket(data_dir)
        rows = []
        for i, n in enumerate(sorted({args.small, args.lines})):
            name = f"g1-{i}"
            write_manifest(bucket / f"{name}.manifest", n)
            row = run_one(server.url, data_dir, name, args.batch)
            row["lines"] = n
            print(json.dumps(row), file=sys.stderr)
            rows.append(row)
            server.flush()
        block = render(rows, load)
        print(block)
        if not args.no_write:
            write_block(block)
    finally:
        server.cleanup()
        import shutil

        shutil.rmtree(data_dir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
