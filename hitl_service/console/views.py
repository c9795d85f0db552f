"""Console pages (server-rendered, no script) and their JSON twin under /console/api/."""

from __future__ import annotations

import dataclasses
import functools

from flask import Blueprint, Response, current_app, g, redirect, render_template, request, url_for

from hitl_service.api.common import json_response
from hitl_service.console import charts, quality, service, sources
from hitl_service.domain.timefmt import iso_ms, now_ms
from hitl_service.errors import HitlError
from hitl_service.extensions import current_ctx
from hitl_service.review.auth import csrf_token, current_reviewer
from hitl_service.workforce import audit
from hitl_service.workforce.roles import Role

bp = Blueprint("console", __name__, url_prefix="/console", template_folder="templates", static_folder="static",
               static_url_path="/static")

CSP = ("default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; "
       "base-uri 'none'")


@bp.after_request
def headers(resp: Response) -> Response:
    resp.headers.setdefault("Content-Security-Policy", CSP)
    resp.headers.setdefault("X-Content-Type-Options", "nosniff")
    resp.headers.setdefault("Cache-Control", "no-store")
    return resp


@bp.errorhandler(HitlError)
def refused(exc: HitlError):
    if request.path.startswith("/console/api/"):
        return json_response({"__type": exc.code, "Message": exc.message}, exc.status)
    if exc.status == 401:
        return redirect(url_for("review.login"))
    return render_template("console/error.html", message=exc.message, viewer=g.get("viewer"),
                           csrf=csrf_token()), exc.status


def needs(role: Role):
    """Sign-in and at least ``role`` for the view; the viewer is in ``g.viewer``."""
    def wrap(view):
        @functools.wraps(view)
        def inner(*args, **kwargs):
            ctx = current_ctx()
            g.viewer = service.viewer_of(ctx, current_reviewer(required=True))
            service.require(g.viewer, role)
            return view(ctx, g.viewer, *args, **kwargs)
        return inner
    return wrap


def _hours() -> int:
    try:
        return min(max(int(request.args.get("hours", 12)), 1), 72)
    except ValueError:
        return 12


def _overview(ctx, viewer):
    jobs = [p for p in sources.collect(current_app, ctx) if viewer.role is Role.ADMIN or p.team in viewer.teams]
    statuses = service.loop_statuses(ctx) if viewer.role is Role.ADMIN else None
    names = service.reviewer_names(ctx)
    return (service.queues(ctx, viewer), statuses, jobs, service.throughput(ctx, viewer, _hours()),
            quality.flow_quality(ctx, viewer.teams, names), names)



@bp.get("/")
@needs(Role.TEAM_LEAD)
def overview(ctx, viewer):
    queues, statuses, jobs, tp, flows, names = _overview(ctx, viewer)
    return render_template("console/overview.html", viewer=viewer, csrf=csrf_token(), queues=queues,
                           statuses=statuses, jobs=jobs, tp=tp, charts=charts, flows=flows, names=names,
                           max_waiting=max([q.waiting for q in queues] or [1]) or 1)


@bp.get("/api/overview")
@needs(Role.TEAM_LEAD)
def overview_json(ctx, viewer):
    queues, statuses, jobs, tp, flows, names = _overview(ctx, viewer)
    return json_response({"role": viewer.role.value, "queues": [dataclasses.asdict(q) for q in queues],
                          "loops": statuses, "jobs": [sources.as_json(j, names) for j in jobs],
                          "throughput": dataclasses.asdict(tp), "quality": [dataclasses.asdict(f) for f in flows]})


@bp.get("/teams/<team>")
@needs(Role.TEAM_LEAD)
def team(ctx, viewer, team):
    held = service.leases(ctx, viewer, team)
    now = now_ms()
    return render_template("console/team.html", viewer=viewer, csrf=csrf_token(), team=team, leases=held, now=now,
                           iso_ms=iso_ms, names=service.reviewer_names(ctx))


@bp.post("/leases/<lease_id>/reassign")
@needs(Role.TEAM_LEAD)
def reassign(ctx, viewer, lease_id):
    # current_reviewer (in needs) already checked the CSRF token of a cookie-authenticated POST
    lease = service.reassign(ctx, viewer, lease_id)
    return redirect(url_for("console.team", team=lease.team))


@bp.get("/loops/<name>")
@needs(Role.TEAM_LEAD)
def loop(ctx, viewer, name):
    return render_template("console/loop.html", viewer=viewer, csrf=csrf_token(),
                           loop=service.loop_detail(ctx, viewer, name), iso_ms=iso_ms)


@bp.get("/audit")
@needs(Role.ADMIN)
def audit_trail(ctx, viewer):
    entries = audit.query(ctx, actor=request.args.get("actor") or None, action=request.args.get("action") or None,
                          limit=200)
    return render_template("console/audit.html", viewer=viewer, csrf=csrf_token(), entries=entries, iso_ms=iso_ms)
