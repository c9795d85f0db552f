"""The ``hitl`` command: run the service, manage reviewers, and look at queues, loops and events."""

from __future__ import annotations

import argparse
import getpass
import json
import os
import sys

from hitl_service.errors import HitlError
from hitl_service.jobs import cli as jobs_cli


def _context():
    from hitl_service.config import Settings
    from hitl_service.services.context import build_context
    from workers.dispatch import CeleryDispatcher

    settings = Settings.from_env()
    return build_context(settings, CeleryDispatcher(settings))


def _table(rows: list[dict], columns: list[str]) -> str:
    widths = {c: max([len(c)] + [len(str(r.get(c, "") if r.get(c) is not None else "-")) for r in rows]) for c in columns}
    lines = ["  ".join(c.ljust(widths[c]) for c in columns).rstrip()]
    for r in rows:
        lines.append("  ".join(str(r.get(c) if r.get(c) is not None else "-").ljust(widths[c])
                               for c in columns).rstrip())
    return "\n".join(lines)


def cmd_run(args) -> int:
    from hitl_service.launcher import run

    return run(port=args.port, host=args.host)


def cmd_reviewers_add(args) -> int:
    from hitl_service.services import reviewers

    if args.password_stdin or not sys.stdin.isatty():
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = getpass.getpass(f"Password for {args.name}: ")
        if getpass.getpass("Repeat: ") != password:
            print("passwords differ", file=sys.stderr)
            return 2
    view = reviewers.add_reviewer(_context(), args.name, password, args.group)
    print(f"added reviewer {view['name']} workerId={view['workerId']} groups={','.join(view['groups'])}")
    return 0


def cmd_reviewers_list(args) -> int:
    from hitl_service.services import reviewers

    rows = [dict(r, groups=",".join(r["groups"])) for r in reviewers.list_reviewers(_context())]
    if not rows:
        print("no reviewers (add one with: hitl reviewers add NAME --group GROUP)")
        return 0
    print(_table(rows, ["name", "workerId", "groups"]))
    return 0


def cmd_reviewers_remove(args) -> int:
    from hitl_service.services import reviewers

    if not reviewers.remove_reviewer(_context(), args.name):
        print(f"no reviewer named {args.name}", file=sys.stderr)
        return 1
    print(f"removed reviewer {args.name}")
    return 0


def cmd_queues(args) -> int:
    from hitl_service.services.review import queue_overview
    ctx = _context()
    teams = ctx.store.resources.team_names()
    rows = queue_overview(ctx, sorted(teams))
    for r in rows:
        age = r["oldestAgeSeconds"]
        r["oldest"] = f"{age:.1f}s" if age is not None else "-"
    print(_table(rows, ["workteam", "waiting", "oldest"]))
    return 0


def cmd_loops_list(args) -> int:
    from hitl_service.domain.timefmt import iso_ms
    from hitl_service.services import loops

    ctx = _context()
    # the flow's name, or its ARN as DescribeFlowDefinition prints it
    flow_arn = args.flow if args.flow.startswith("arn:") else ctx.arns.flow_definition(args.flow)
    req = {"FlowDefinitionArn": flow_arn, "MaxResults": 100, "SortOrder": "Descending"}
    picked: list[dict] = []
    # one table for every page, so the columns line up however many pages the flow has
    while len(picked) < args.limit:
        rows, token = loops.list_human_loops(ctx, req)
        for r in rows:
            if not args.status or r["status"] == args.status:
                r["created"] = iso_ms(int(r["created_ms"]))
                picked.append(r)
        if not token:
            break
        req["NextToken"] = token
    picked = picked[:args.limit]
    if not picked:
        print(f"no loops{' with status ' + args.status if args.status else ''} in flow {args.flow}")
        return 0
    print(_table(picked, ["name", "status", "created", "failure_reason"]))
    return 0


def cmd_loops_describe(args) -> int:
    from hitl_service.domain.timefmt import iso_ms

    ctx = _context()
    loop = ctx.store.loops.get(args.name)
    if loop is None:
        print(f"no loop named {args.name}", file=sys.stderr)
        return 1
    answers = ctx.store.loops.answers(args.name, loop["team"])
    out = {
        "name": loop["name"], "status": loop["status"], "flow": loop["flow"], "workteam": loop["team"],
        "created": iso_ms(int(loop["created_ms"])), "taskCount": int(loop["task_count"]),
        "answers": len(answers), "queued": int(loop["queued"]), "leasesOut": int(loop["leases"]),
        "outputS3Uri": loop.get("output_uri") or None, "failureCode": loop.get("failure_code") or None,
        "failureReason": loop.get("failure_reason") or None,
        "answerSummary": [{"workerId": a["workerId"], "submissionTime": a["submissionTime"]} for a in answers],
    }
    print(json.dumps(out, indent=2))
    return 0


def cmd_events_list(args) -> int:
    ctx = _context()
    rows = ctx.store.events.recent(args.limit)
    if not rows:
        print("no deliveries yet")
        return 0
    print(_table(rows, ["time", "loop", "status", "url", "attempt", "result", "http_status"]))
    return 0


def _since_ms(text: str | None) -> int | None:
    """``--since`` as minutes ago (``90m``, ``2h``) or an ISO-8601 time."""
    if not text:
        return None
    import time
    from datetime import datetime, timezone

    units = {"m": 60, "h": 3600, "d": 86400}
    if text[-1:] in units and text[:-1].isdigit():
        return int((time.time() - int(text[:-1]) * units[text[-1]]) * 1000)
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return int((moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)).timestamp() * 1000)


def cmd_audit(args) -> int:
    from hitl_service.domain.timefmt import iso_ms
    from hitl_service.workforce import audit

    entries = audit.query(_context(), actor=args.actor, action=args.action, since_ms=_since_ms(args.since),
                          limit=args.limit)
    if args.json:
        for e in entries:
            print(json.dumps(e.as_dict(), separators=(",", ":")))
        return 0
    if not entries:
        print("no audit records match")
        return 0
    rows = [dict(e.as_dict(), time=iso_ms(e.ts_ms)) for e in entries]
    print(_table(rows, ["time", "actor", "role", "action", "target", "outcome", "source_ip", "detail"]))
    return 0


def cmd_audit_export(args) -> int:
    from hitl_service.output.storage import storage_from_settings
    from hitl_service.workforce import audit

    ctx = _context()
    count = audit.export_jsonl(ctx, storage_from_settings(ctx.settings), args.bucket, args.key,
                               since_ms=_since_ms(args.since))
    print(f"wrote {count} audit records to s3://{args.bucket}/{args.key}")
    return 0


def cmd_console(args) -> int:
    import dataclasses

    from hitl_service.console import quality, service, sources
    from hitl_service.jobs.console import job_progress

    ctx = _context()
    viewer = service.operator_viewer(ctx)
    queues = service.queues(ctx, viewer)
    statuses = service.loop_statuses(ctx)
    tp = service.throughput(ctx, viewer, args.hours)
    names = service.reviewer_names(ctx)
    flows = quality.flow_quality(ctx, viewer.teams, names)
    jobs = job_progress(ctx)
    if args.json:
        print(json.dumps({"queues": [dataclasses.asdict(q) for q in queues], "loops": statuses,
                          "jobs": [sources.as_json(j, names) for j in jobs],
                          "throughput": dataclasses.asdict(tp), "quality": [dataclasses.asdict(f) for f in flows]},
                         indent=2))
        return 0
    rows = [dict(dataclasses.asdict(q), oldest=f"{q.oldest_age_seconds:.1f}s" if q.oldest_age_seconds is not None
                 else "-") for q in queues]
    print(_table(rows, ["team", "waiting", "leases_out", "oldest"]))
    print()
    print("loops: " + "  ".join(f"{k}={v}" for k, v in statuses.items()))
    if jobs:
        print()
        print(_table([_job_row(j) for j in jobs], ["job", "team", "status", "progress", "done", "failed", "alpha",
                                                  "kappa", "confidence"]))
    print()
    mean = f"{tp.mean_seconds:.1f}s" if tp.mean_seconds is not None else "-"
    print(f"last {tp.hours}h: {tp.total} answers, mean time per task {mean}; per hour: "
          + " ".join(str(n) for n in tp.per_hour))
    reviewers_rows = [{"reviewer": r.name, "answers": r.submits, "mean": f"{r.mean_seconds:.1f}s"}
                      for r in tp.reviewers]
    if reviewers_rows:
        print(_table(reviewers_rows, ["reviewer", "answers", "mean"]))
    pct = lambda v: f"{v * 100:.0f}%" if v is not None else "-"  # noqa: E731
    for j in jobs:
        if j.quality and j.quality.reviewers:
            print(f"\nquality of job {j.name} ({j.team}): {j.quality.objects} objects, {j.quality.answers} answers, "
                  f"{j.quality.method}")
            print(_table([{"reviewer": names.get(r.worker_id, r.worker_id), "answers": r.answers,
                           "agreement": pct(r.agreement), "est_accuracy": pct(r.accuracy)} for r in j.quality.reviewers],
                         ["reviewer", "answers", "agreement", "est_accuracy"]))
    for f in flows:
        alpha = f"{f.krippendorff_alpha:.2f}" if f.krippendorff_alpha is not None else "-"
        print(f"\nquality of flow {f.flow} ({f.team}): {f.loops} loops, {f.answers} answers, {f.method}, alpha={alpha}")
        print(_table([{"reviewer": r.name, "answers": r.answers, "agreement": pct(r.agreement),
                       "est_accuracy": pct(r.accuracy)} for r in f.reviewers],
                     ["reviewer", "answers", "agreement", "est_accuracy"]))
    return 0


def _job_row(job) -> dict:
    """A labeling job's progress and quality as one line of `hitl console`."""
    q = job.quality
    num = lambda v: f"{v:.2f}" if v is not None else "-"  # noqa: E731
    bar = "#" * round(20 * job.percent / 100)
    return {"job": job.name, "team": job.team, "status": job.status, "progress": f"[{bar:<20}] {job.percent:.0f}%",
            "done": f"{job.done}/{job.total}", "failed": job.failed,
            "alpha": num(q.krippendorff_alpha) if q else "-", "kappa": num(q.fleiss_kappa) if q else "-",
            "confidence": num(q.mean_confidence) if q else "-"}


def cmd_console_leases(args) -> int:
    from hitl_service.console import service
    from hitl_service.domain.timefmt import iso_ms

    ctx = _context()
    names = service.reviewer_names(ctx)
    rows = [{"lease": lease.lease_id, "loop": lease.loop, "reviewer": names.get(lease.worker, lease.worker),
             "since": iso_ms(lease.accepted_ms)} for lease in service.leases(ctx, service.operator_viewer(ctx), args.team)]
    print(_table(rows, ["lease", "loop", "reviewer", "since"]) if rows else f"nobody holds a task of {args.team}")
    return 0


def cmd_console_reassign(args) -> int:
    from hitl_service.console import service

    ctx = _context()
    lease = service.reassign(ctx, service.operator_viewer(ctx), args.lease)
    print(f"loop {lease.loop} is back on {lease.team}'s queue")
    return 0


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="hitl", description="hitl-service: self-hosted A2I-compatible human review")
    sub = p.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="start Redis (if needed), API, worker and beat")
    run.add_argument("--port", type=int, default=8080)
    run.add_argument("--host", default=None,
                     help="address the API listens on (default HITL_BIND_HOST, else 127.0.0.1; 0.0.0.0 for all)")
    run.set_defaults(func=cmd_run)

    rv = sub.add_parser("reviewers", help="manage reviewer accounts").add_subparsers(dest="action", required=True)
    add = rv.add_parser("add", help="add a reviewer (password prompted, or one line on stdin)")
    add.add_argument("name")
    add.add_argument("--group", action="append", required=True, help="reviewer group (repeatable)")
    add.add_argument("--password-stdin", action="store_true")
    add.set_defaults(func=cmd_reviewers_add)
    rv.add_parser("list", help="list reviewers").set_defaults(func=cmd_reviewers_list)
    rm = rv.add_parser("remove", help="remove a reviewer")
    rm.add_argument("name")
    rm.set_defaults(func=cmd_reviewers_remove)

    sub.add_parser("queues", help="queue depth and oldest age per workteam").set_defaults(func=cmd_queues)

    lp = sub.add_parser("loops", help="inspect human loops").add_subparsers(dest="action", required=True)
    ll = lp.add_parser("list", help="loops of a flow definition, newest first")
    ll.add_argument("--flow", required=True, help="flow definition name or ARN")
    ll.add_argument("--status", choices=["InProgress", "Stopping", "Completed", "Failed", "Stopped"])
    ll.add_argument("--limit", type=int, default=1000)
    ll.set_defaults(func=cmd_loops_list)
    ld = lp.add_parser("describe", help="status, answers so far and output URI of one loop")
    ld.add_argument("name")
    ld.set_defaults(func=cmd_loops_describe)

    jobs_cli.register(sub)
    ev = sub.add_parser("events", help="webhook deliveries").add_subparsers(dest="action", required=True)
    el = ev.add_parser("list", help="recent webhook delivery attempts, newest first")
    el.add_argument("--limit", type=int, default=50)
    el.set_defaults(func=cmd_events_list)

    au = sub.add_parser("audit", help="the audit trail: sign-ins, claims, submits, expiries, admin changes")
    au.add_argument("--actor", help="workerId, or key:<access key id> for API changes")
    au.add_argument("--action", help="sign_in, claim, release, submit, lease_expired, reassign, CreateWorkteam, ...")
    au.add_argument("--since", help="90m, 2h, 1d or an ISO-8601 time")
    au.add_argument("--limit", type=int, default=100)
    au.add_argument("--json", action="store_true", help="one JSON object per line")
    au.set_defaults(func=cmd_audit)
    ae = au.add_subparsers(dest="action_cmd").add_parser("export", help="write the trail as JSON Lines to output storage")
    ae.add_argument("--bucket", required=True)
    ae.add_argument("--key", required=True)
    ae.add_argument("--since", help="90m, 2h, 1d or an ISO-8601 time")
    ae.set_defaults(func=cmd_audit_export)

    co = sub.add_parser("console", help="what the web console shows: queues, loops, throughput")
    co.add_argument("--hours", type=int, default=12)
    co.add_argument("--json", action="store_true")
    co.set_defaults(func=cmd_console)
    co_sub = co.add_subparsers(dest="console_cmd")
    cl = co_sub.add_parser("leases", help="tasks held in a workteam right now")
    cl.add_argument("team")
    cl.set_defaults(func=cmd_console_leases)
    cr = co_sub.add_parser("reassign", help="take a held task back and put it on the queue for someone else")
    cr.add_argument("lease")
    cr.set_defaults(func=cmd_console_reassign)
    return p


def main(argv: list[str] | None = None) -> int:
    """The `hitl` command."""
    args = build_parser().parse_args(argv)
    try:
        return args.func(args) or 0
    except HitlError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        # `hitl jobs describe NAME | head`: the reader went away; end quietly, as Unix tools do (stdout
        # goes to /dev/null so the interpreter's final flush does not raise again)
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1


if __name__ == "__main__":
    sys.exit(main())
