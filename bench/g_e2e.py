"""G2: a text classification job end to end: N objects x 3 bot reviewers to output.manifest.

Run: ``python -m bench.g_e2e [--objects 10000]``. Starts its own redis-server, the app over real
HTTP (the test suite's threaded server), a Celery worker with beat (local output backend), and
three bot reviewers answering through the reviewer JSON API. Reports the time outside reviewer
work (ingest before the first claim, plus consolidation and output after the last answer) as a
share of the bots' working time, and the Redis bytes per pending object above its manifest line.
Writes the G2 block between ``<!-- jobs-g2:begin -->`` and ``<!-- jobs-g2:end -->`` in
docs/benchmarks.md (``--no-write`` to only print).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import tempfile
import threading
import time
from pathlib import Path

import redis
import requests

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "benchmarks.md"


def main(argv=None) -> int:
    from hitl_service.services.reviewers import add_reviewer
    from tests.conftest import Service, CeleryWorker, make_settings
    from tests.jobs.helpers import TEXT_TEMPLATE, categories_doc, job_request
    from tests.support.procs import RedisServer

    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--objects", type=int, default=10_000)
    p.add_argument("--no-write", action="store_true")
    args = p.parse_args(argv)
    load = os.getloadavg()
    server = RedisServer(appendonly=False).start()
    data_dir = tempfile.mkdtemp(prefix="hitl-bench-g2-")
    svc = worker = None
    try:
        settings = make_settings(server.url, data_dir, reaper_interval_seconds=0.5, log_level="WARNING")
        svc = Service(settings)
        worker = CeleryWorker(settings, beat=True, concurrency=2).start()
        sm = svc.client("sagemaker")
        bucket = Path(data_dir, "s3", "g2")
        bucket.mkdir(parents=True)
        lines = [json.dumps({"source": f"review number {i}: the food was {'good' if i % 3 else 'bad'}", "id": i})
                 for i in range(args.objects)]
        (bucket / "in.manifest").write_text("\n".join(lines) + "\n")
        (bucket / "cats.json").write_bytes(categories_doc("Positive", "Negative"))
        team = sm.create_workteam(WorkteamName="g2", Description="bots",
                                  MemberDefinitions=[{"OidcMemberDefinition": {"Groups": ["g2"]}}])["WorkteamArn"]
        ui = sm.create_human_task_ui(HumanTaskUiName="g2", UiTemplate={"Content": TEXT_TEMPLATE})["HumanTaskUiArn"]
        # reviewer accounts first: their password hashing is not part of the job's time
        bots = []
        for i in range(3):
            add_reviewer(svc.ctx, f"bot{i}", "bench-password", ["g2"])
            http = requests.Session()
            http.auth = (f"bot{i}", "bench-password")
            bots.append(http)
        client = redis.Redis.from_url(server.url)
        baseline = client.info("memory")["used_memory"]
        t_create = time.monotonic()
        sm.create_labeling_job(**job_request("g2", team, ui, manifest="s3://g2/in.manifest",
                                             categories="s3://g2/cats.json", output="s3://g2/out", workers=3,
                                             MaxConcurrentTaskCount=1000))
        while sm.describe_labeling_job(LabelingJobName="g2")["LabelCounters"]["Unlabeled"] < args.objects:
            time.sleep(0.05)
        ingested_bytes = client.info("memory")["used_memory"] - baseline
        avg_line = sum(len(x) for x in lines) / len(lines)
        per_object = ingested_bytes / args.objects - avg_line
        spans: list[tuple[float, float, int]] = []

        def bot(http):
            first = last = None
            answered = 0
            idle_since = None
            while True:
                resp = http.post(f"{svc.url}/review/api/assignments/claim", json={}, timeout=30).json()["assignment"]
                if resp is None:
                    # nothing for this bot right now: done once the job no longer hands anything out
                    idle_since = idle_since or time.monotonic()
                    if time.monotonic() - idle_since > 3:
                        break
                    time.sleep(0.05)
                    continue
                idle_since = None
                first = first or time.monotonic()
                label = "Positive" if "good" in resp["input"]["taskObject"] else "Negative"
                http.post(f"{svc.url}/review/api/assignments/{resp['token']}/submit",
                          json={"answerContent": {"crowd-classifier": {"label": label}}}, timeout=30)
                last = time.monotonic()
                answered += 1
            spans.append((first or 0.0, last or 0.0, answered))

        threads = [threading.Thread(target=bot, args=(b,)) for b in bots]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        while sm.describe_labeling_job(LabelingJobName="g2")["LabelingJobStatus"] != "Completed":
            time.sleep(0.05)
        t_done = time.monotonic()
        first_claim = min(s[0] for s in spans)
        last_answer = max(s[1] for s in spans)
        bots_time = last_answer - first_claim
        outside = (first_claim - t_create) + (t_done - last_answer)
        out = Path(data_dir, "s3", "g2", "out", "g2", "manifests", "output", "output.manifest")
        n_out = sum(1 for _ in out.open())
        row = {"objects": args.objects, "answers": sum(s[2] for s in spans), "bots_s": bots_time,
               "before_first_claim_s": first_claim - t_create, "after_last_answer_s": t_done - last_answer,
               "outside_share": outside / bots_time, "bytes_per_object_above_line": per_object,
               "output_lines": n_out}
        print(json.dumps(row), file=sys.stderr)
        block = "\n".join([
            "<!-- jobs-g2:begin -->", "## G2: labeling job end to end", "",
            f"{args.objects:,} text objects, 3 bot reviewers (threads answering through `/review/api/assignments`), "
            "3 answers per object, MaxConcurrentTaskCount 1000, the app on the test suite's threaded HTTP server, one "
            f"Celery worker (2 threads) with beat, local output backend. Load average before: {load[0]:.2f} / "
            f"{load[1]:.2f} / {load[2]:.2f}.", "",
            "| measure | result | target |", "|---|---|---|",
            f"| answers submitted | {row['answers']:,} | {3 * args.objects:,} |",
            f"| bots' working time (first claim to last answer) | {bots_time:.1f} s | – |",
            f"| create → first claim | {row['before_first_claim_s']:.2f} s | – |",
            f"| last answer → Completed (consolidation, output.manifest) | {row['after_last_answer_s']:.2f} s | – |",
            f"| time outside reviewer work / bots' time | {100 * row['outside_share']:.1f} % | ≤ 10 %: "
            f"{'met' if row['outside_share'] <= 0.10 else '**missed**'} |",
            f"| Redis bytes per pending object above its line ({avg_line:.0f} B) | {per_object:,.0f} B | ≤ 1,024 B: "
            f"{'met' if per_object <= 1024 else '**missed**'} |",
            f"| output.manifest lines | {n_out:,} | {args.objects:,} |",
            "<!-- jobs-g2:end -->"])
        print(block)
        if not args.no_write:
            text = DOC.read_text()
            if "<!-- jobs-g2:begin -->" in text:
                text = re.sub(r"<!-- jobs-g2:begin -->.*?<!-- jobs-g2:end -->", lambda _: block, text, flags=re.S)
            else:
                text = text.rstrip("\n") + "\n\n" + block + "\n"
            DOC.write_text(text)
    finally:
        if worker:
            worker.stop()
        if svc:
            svc.stop()
        server.cleanup()
    return 0


if __name__ == "__main__":
    sys.exit(main())
