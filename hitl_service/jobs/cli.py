"""``hitl jobs list|describe|watch`` and ``hitl manifests filter`` (registered by hitl_service/cli.py)."""

from __future__ import annotations

import json
import sys
import time

from hitl_service.domain.labeling import LabelingJobStatus


def _context():
    from hitl_service.cli import _context as make

    return make()


def _summary_row(job: dict) -> dict:
    from schemas.labeling import label_counters

    c = label_counters(job)
    return {"name": job["name"], "status": job["status"], "labeled": c["HumanLabeled"],
            "failed": c["FailedNonRetryableError"], "unlabeled": c["Unlabeled"], "workteam": job["team"]}


def cmd_list(args) -> int:
    from hitl_service.cli import _table

    from hitl_service.jobs.listing import list_labeling_jobs

    ctx = _context()
    rows, req = [], {"StatusEquals": args.status} if args.status else {}
    while True:  # the listing's pages, newest index position last, until no NextToken is left
        page, token = list_labeling_jobs(ctx, req)
        rows += [_summary_row(j) for j in page]
        if not token:
            break
        req["NextToken"] = token
    print(_table(rows, ["name", "status", "labeled", "failed", "unlabeled", "workteam"]))
    return 0


def cmd_describe(args) -> int:
    from hitl_service.jobs.service import get_labeling_job
    from schemas.labeling import dump_labeling_job

    record = get_labeling_job(_context(), args.name)
    body = dump_labeling_job(record)
    if record.get("al_rounds"):
        body["AutoLabelingRounds"] = json.loads(record["al_rounds"])  # accuracy, threshold, coverage per round
    print(json.dumps(body, indent=2, default=str))
    return 0


def progress_line(job: dict, width: int = 40) -> str:
    """``[#####.....]  12/40 labelled, 1 failed  InProgress`` for one job record."""
    from schemas.labeling import label_counters

    c = label_counters(job)
    total = int(job.get("total") or 0)
    done = c["HumanLabeled"] + c["FailedNonRetryableError"]
    filled = int(width * done / total) if total else 0
    return (f"[{'#' * filled}{'.' * (width - filled)}] {c['HumanLabeled']}/{total} labelled, "
            f"{c['FailedNonRetryableError']} failed  {job['status']}")


def cmd_watch(args) -> int:
    from hitl_service.jobs.service import get_labeling_job

    ctx = _context()
    while True:
        job = get_labeling_job(ctx, args.name)
        sys.stdout.write("\r" + progress_line(job))
        sys.stdout.flush()
        if LabelingJobStatus(job["status"]).terminal:
            sys.stdout.write("\n")
            if job.get("failure_reason"):
                print(f"FailureReason: {job['failure_reason']}")
            if job.get("output_uri"):
                print(f"Output: {job['output_uri']}")
            return 0 if job["status"] != LabelingJobStatus.FAILED.value else 1
        time.sleep(args.interval)


def matches(line: dict, attribute: str, label: str) -> bool:
    """Whether a GT output line's ``attribute`` carries ``label`` (class-name, or one of class-map's)."""
    meta = line.get(f"{attribute}-metadata")
    if not isinstance(meta, dict):
        return False
    if meta.get("class-name") == label:
        return True
    return label in (meta.get("class-map") or {}).values()


def filter_lines(lines, attribute: str, label: str):
    """The lines (bytes) of an output manifest whose label matches, unchanged."""
    for raw in lines:
        if not raw.strip():
            continue
        try:
            line = json.loads(raw)
        except ValueError:
            continue
        if isinstance(line, dict) and matches(line, attribute, label):
            yield raw


def cmd_manifests_filter(args) -> int:
    from hitl_service.config import Settings
    from hitl_service.jobs.manifest import split_uri
    from hitl_service.output.storage import storage_from_settings

    storage = storage_from_settings(Settings.from_env())

    def source():
        if args.input.startswith(("s3://", "https://")):
            yield from storage.iter_lines(*split_uri(args.input))
        else:
            with open(args.input, "rb") as f:
                for raw in f:
                    yield raw.rstrip(b"\r\n")

    kept = list(filter_lines(source(), args.attribute, args.label))
    body = b"".join(raw + b"\n" for raw in kept)
    if args.output.startswith(("s3://", "https://")):
        storage.put(*split_uri(args.output), body, content_type="application/jsonlines")
    else:
        with open(args.output, "wb") as f:
            f.write(body)
    print(f"{len(kept)} lines with {args.attribute} = {args.label} written to {args.output}")
    return 0


def register(sub) -> None:
    """Add the ``jobs`` and ``manifests`` commands to the hitl parser."""
    jp = sub.add_parser("jobs", help="inspect labeling jobs").add_subparsers(dest="action", required=True)
    jl = jp.add_parser("list", help="every labeling job with its counters")
    jl.add_argument("--status", choices=[s.value for s in LabelingJobStatus])
    jl.set_defaults(func=cmd_list)
    jd = jp.add_parser("describe", help="a job as DescribeLabelingJob shows it")
    jd.add_argument("name")
    jd.set_defaults(func=cmd_describe)
    jw = jp.add_parser("watch", help="a live progress bar of a job's LabelCounters until it ends")
    jw.add_argument("name")
    jw.add_argument("--interval", type=float, default=1.0)
    jw.set_defaults(func=cmd_watch)
    mp = sub.add_parser("manifests", help="work with manifests").add_subparsers(dest="action", required=True)
    mf = mp.add_parser("filter", help="the lines of an output manifest whose label matches (a chained job's input)")
    mf.add_argument("input", help="output.manifest: a file, or s3://bucket/key through the output backend")
    mf.add_argument("output", help="where to write the subset: a file, or s3://bucket/key")
    mf.add_argument("--attribute", required=True, help="the earlier job's LabelAttributeName")
    mf.add_argument("--label", required=True, help="the class name to keep")
    mf.set_defaults(func=cmd_manifests_filter)
