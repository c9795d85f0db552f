"""The ``hitl`` command: run the service, manage reviewers, and look at queues, loops and events."""

from __future__ import annotations

import argparse
import getpass
import json
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

    return run(port=args.port)


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
    req = {"FlowDefinitionArn": ctx.arns.flow_definition(args.flow), "MaxResults": 100,
           "SortOrder": "Descending"}
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


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="hitl", description="hitl-service: self-hosted A2I-compatible human review")
    sub = p.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="start Redis (if needed), API, worker and beat")
    run.add_argument("--port", type=int, default=8080)
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
    ll.add_argument("--flow", required=True)
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
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args) or 0
    except HitlError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
