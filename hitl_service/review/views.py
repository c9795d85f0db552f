"""Review pages: login, queue, task (with the template in a sandboxed iframe), and signed file links."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time
from urllib.parse import quote

from flask import Blueprint, Response, abort, redirect, render_template, request, send_file, session, url_for

from hitl_service.errors import HitlError, LeaseError, ReviewerAuthError
from hitl_service.extensions import current_ctx
from hitl_service.jobs import review as job_review
from hitl_service.review import liquid
from hitl_service.review.api import bp as api_bp
from hitl_service.review.auth import check_csrf, csrf_token, current_reviewer, login_session
from hitl_service.services import review, reviewers, resources
from hitl_service.services.loops import flow_task_info

log = logging.getLogger(__name__)

bp = Blueprint("review", __name__, url_prefix="/review", template_folder="templates", static_folder="static",
               static_url_path="/static")
bp.register_blueprint(api_bp, url_prefix="/api")

CROWD_SCRIPT = "/review/static/crowd-html-elements.js"
PAGE_CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
            "frame-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; "
            "base-uri 'none'; object-src 'none'")
FILE_URL_SECONDS = 3600


@bp.after_request
def security_headers(resp: Response) -> Response:
    resp.headers.setdefault("Content-Security-Policy", PAGE_CSP)
    resp.headers.setdefault("X-Content-Type-Options", "nosniff")
    resp.headers.setdefault("Referrer-Policy", "same-origin")
    resp.headers.setdefault("Cache-Control", "no-store")
    return resp


def _page_reviewer():
    try:
        return current_reviewer(required=False)
    except HitlError:
        return None


@bp.get("/")
def index():
    return redirect(url_for("review.queue" if _page_reviewer() else "review.login"))


@bp.route("/login", methods=["GET", "POST"])
def login():
    error = None
    if request.method == "POST":
        try:
            check_csrf(request.form.get("csrf_token"))
            record = reviewers.authenticate(current_ctx(), request.form.get("username", ""),
                                            request.form.get("password", ""))
            login_session(record)
            return redirect(url_for("review.queue"))
        except HitlError as exc:
            error = exc.message
    return render_template("review/login.html", error=error, csrf=csrf_token()), 401 if error else 200


@bp.post("/logout")
def logout():
    check_csrf(request.form.get("csrf_token"))
    session.clear()
    return redirect(url_for("review.login"))


@bp.get("/queue")
def queue():
    record = _page_reviewer()
    if record is None:
        return redirect(url_for("review.login"))
    ctx = current_ctx()
    rows = review.queue_overview(ctx, reviewers.teams_of(ctx, record))
    mine = review.my_assignments(ctx, record)
    return render_template("review/queue.html", reviewer=record, queues=rows, mine=mine, csrf=csrf_token(),
                           message=request.args.get("message"))


@bp.post("/start")
def start_working():
    record = _page_reviewer()
    if record is None:
        return redirect(url_for("review.login"))
    check_csrf(request.form.get("csrf_token"))
    team = request.form.get("workteam") or None
    assignment = review.claim_next_assignment(current_ctx(), record, team)
    if assignment is None:  # labeling-job objects share the reviewer's queue, after waiting loops
        assignment = job_review.claim(current_ctx(), record, team)
    if assignment is None:
        return redirect(url_for("review.queue", message="No tasks are waiting in your queues."))
    return redirect(url_for("review.task", token=assignment["token"]))


@bp.get("/task/<token>")
def task(token):
    record = _page_reviewer()
    if record is None:
        return redirect(url_for("review.login"))
    ctx = current_ctx()
    try:
        if job_review.is_job_token(token):
            view = job_review.show(ctx, record, token)
        else:
            lease, loop = review.get_assignment(ctx, record, token)
            view = review.assignment_view(ctx, token, lease, loop)
    except LeaseError as exc:
        return redirect(url_for("review.queue", message=exc.message))
    return render_template("review/task.html", reviewer=record, a=view, csrf=csrf_token(),
                           config=json.dumps({"token": token, "csrf": csrf_token(),
                                              "expiresAt": view["expiresAt"], "deadlineAt": view["deadlineAt"]}))


def frame_csp(ctx) -> str:
    img = "'self' data: blob: https:"
    endpoint = ctx.settings.s3_endpoint_url
    if endpoint:
        img += " " + endpoint.rstrip("/")
    # no connect-src: the template's own script cannot call this service (or anything else)
    return (f"sandbox allow-scripts allow-forms allow-popups; default-src 'none'; "
            f"script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; img-src {img}; "
            f"media-src {img}; font-src 'self' data:; connect-src 'none'; form-action 'none'; "
            f"frame-ancestors 'self'; base-uri 'none'")


def sign_file_url(secret: str, bucket: str, key: str, expires_in: int) -> str:
    """A URL of this service that serves one local-backend object until it expires."""
    exp = int(time.time()) + expires_in
    sig = hmac.new(secret.encode(), f"file:{bucket}/{key}:{exp}".encode(), hashlib.sha256).hexdigest()[:40]
    return f"/review/files/{quote(bucket)}/{quote(key)}?exp={exp}&sig={sig}"


def _grant_read_access(ctx):
    storage = _storage(ctx)

    def grant(url: str) -> str:
        parsed = liquid.parse_s3_url(url)
        if parsed is None:
            return url
        return storage.read_url(parsed[0], parsed[1], FILE_URL_SECONDS)

    return grant


def _storage(ctx):
    return ctx.storage


def _frame_document(body: str) -> str:
    return ("<!doctype html><html><head><meta charset=\"utf-8\">"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
            f"<script src=\"{CROWD_SCRIPT}\"></script>"
            f"</head><body>{body}</body></html>")


@bp.get("/frame/<token>")
def frame(token):
    """The rendered task template, served for the sandboxed iframe of the task page."""
    ctx = current_ctx()
    headers = {"Content-Security-Policy": frame_csp(ctx)}
    try:
        record = current_reviewer(required=True)
        if job_review.is_job_token(token):
            view = job_review.show(ctx, record, token)
            job = view["labelingJobName"]
            return _render_frame(ctx, headers, f"job={job}", lambda: job_review.template_of(ctx, job), view["input"])
        lease, loop = review.get_assignment(ctx, record, token)
    except (ReviewerAuthError, LeaseError) as exc:
        body = f"<p class=\"hitl-error\">{liquid_escape(exc.message)}</p>"
        return Response(_frame_document(body), status=403, headers=headers, content_type="text/html; charset=utf-8")
    ui_name = flow_task_info(ctx, loop)["ui"]

    def content():
        if ui_name is None:
            raise liquid.TemplateError("The flow definition of this task no longer exists")
        return resources.get_human_task_ui(ctx, ui_name)["content"]

    return _render_frame(ctx, headers, f"loop={loop['name']} ui={ui_name}", content, json.loads(loop["input"]))


def _render_frame(ctx, headers: dict, what: str, content, task_input) -> Response:
    try:
        html = liquid.render_task(content(), task_input, grant_read_access=_grant_read_access(ctx))
        html = liquid.rewrite_crowd_script(html, CROWD_SCRIPT)
        status = 200
    except liquid.TemplateError as exc:
        log.warning("template render failed %s error=%s", what, exc.message)
        html = ("<div style=\"font-family:sans-serif;padding:1em;border:1px solid #c00;color:#900\">"
                "<strong>This task's template could not be rendered.</strong><br>"
                f"{liquid_escape(exc.message)}<br>Release the task and tell the team that owns the flow.</div>")
        status = 500
    return Response(_frame_document(html), status=status, headers=headers, content_type="text/html; charset=utf-8")


def liquid_escape(text: str) -> str:
    from markupsafe import escape

    return str(escape(text))


@bp.get("/files/<bucket>/<path:key>")
def signed_file(bucket, key):
    """Serve a local-backend object through a URL made by grant_read_access."""
    ctx = current_ctx()
    try:
        exp = int(request.args.get("exp", "0"))
    except ValueError:
        abort(403)
    expected = hmac.new(ctx.settings.secret_key.encode(), f"file:{bucket}/{key}:{exp}".encode(),
                        hashlib.sha256).hexdigest()[:40]
    if exp < time.time() or not hmac.compare_digest(request.args.get("sig", ""), expected):
        abort(403)
    storage = _storage(ctx)
    try:
        path = storage.path_for(bucket, key)
    except (ValueError, AttributeError):
        abort(404)
    if not path.is_file():
        abort(404)
    return send_file(path, max_age=0)
