"""Review pages: login, queue, task (with the template in a sandboxed iframe), and signed file links."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time
from urllib.parse import quote

from flask import Blueprint, Response, abort, redirect, render_template, request, send_file, session, url_for

from hitl_service.errors import HitlError, LeaseError, ReviewerAuthError, TooManyAttemptsError
from hitl_service.extensions import current_ctx
from hitl_service.jobs import review as job_review
from hitl_service.review import liquid
from hitl_service.review.api import bp as api_bp
from hitl_service.review.auth import (check_csrf, check_login_request, csrf_token, current_reviewer, login_session,
                                      throttled_login)
from hitl_service.services import review, reviewers, resources
from hitl_service.services.loops import flow_task_info
from hitl_service.workforce import audit

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


@bp.record_once
def _site_root(state) -> None:
    # GET / (the worker-portal address a notebook prints: https:// + Workteam.SubDomain) and the
    # browser's automatic /favicon.ico both lead into the review pages; POST / stays the control plane
    state.app.add_url_rule("/", "site_root", lambda: redirect(url_for("review.index")), methods=["GET", "HEAD"])
    state.app.add_url_rule("/favicon.ico", "favicon", lambda: redirect(url_for("review.static", filename="favicon.svg")),
                           methods=["GET", "HEAD"])


@bp.get("/")
def index():
    return redirect(url_for("review.queue" if _page_reviewer() else "review.login"))


@bp.route("/login", methods=["GET", "POST"])
def login():
    error, status, headers = None, 200, {}
    username = ""
    if request.method == "POST":
        username = request.form.get("username", "")
        try:
            check_login_request("form")
            check_csrf(request.form.get("csrf_token"))
            ctx = current_ctx()
            password = request.form.get("password", "")
            record = throttled_login(ctx, username, lambda: reviewers.authenticate(ctx, username, password),
                                     via="form")
            login_session(record)
            audit.sign_in(ctx, username, record)
            return redirect(url_for("review.queue"))
        except TooManyAttemptsError as exc:
            error, status = exc.message, exc.status
            headers["Retry-After"] = str(exc.retry_after_seconds)
        except HitlError as exc:
            audit.sign_in(current_ctx(), username, None, exc.message)
            error, status = exc.message, 401 if isinstance(exc, ReviewerAuthError) else exc.status
    # a failed attempt keeps the name typed, so only the password needs typing again
    page = render_template("review/login.html", error=error, csrf=csrf_token(), username=username)
    return page, status, headers


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
                           message=queue_message(request.args.get("message"), request.args.get("notice"), rows))


NOTICE_NOTHING_FOR_YOU = "nothing-for-you"
_NOTHING_WAITING = ("no more tasks", "no tasks are waiting")


def queue_message(message: str | None, notice: str | None, rows: list[dict]) -> str | None:
    """The status line of the queue page, consistent with the counts shown next to it.

    A page that sent the reviewer here because a claim found nothing says "all done"; when the
    table shows tasks waiting (ones this reviewer already answered, which need a different
    reviewer), that would contradict it, so the line explains instead. (A task the reviewer
    released is not among them: a claim finds it when nothing else is waiting for them.)
    """
    waiting = sum(r["waiting"] for r in rows)
    nothing = notice == NOTICE_NOTHING_FOR_YOU or (message or "").lower().startswith("all done") or any(
        phrase in (message or "").lower() for phrase in _NOTHING_WAITING)
    if not nothing:
        return message
    if waiting:
        return (f"{waiting} task{'s are' if waiting != 1 else ' is'} waiting, but none can go to you: you "
                "already answered them, and each answer must come from a different reviewer.")
    return message or "All done: no tasks are waiting in your queues."


@bp.post("/start")
def start_working():
    record = _page_reviewer()
    if record is None:
        return redirect(url_for("review.login"))
    check_csrf(request.form.get("csrf_token"))
    team = request.form.get("workteam") or None
    ctx = current_ctx()
    # a task the reviewer already holds comes first (its lease is running), oldest first
    held = sorted((a for a in review.my_assignments(ctx, record) if team in (None, a["workteam"])),
                  key=lambda a: a["acceptedAt"])
    if held:
        return redirect(url_for("review.task", token=held[0]["token"]))
    assignment = review.claim_next_assignment(ctx, record, team)
    if assignment is None:  # labeling-job objects share the reviewer's queue, after waiting loops
        assignment = job_review.claim(ctx, record, team)
    if assignment is None:
        return redirect(url_for("review.queue", notice=NOTICE_NOTHING_FOR_YOU))
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
    """The task frame's policy: sandboxed without this origin; outside https assets unless strict."""
    img = "'self' data: blob: https:"
    endpoint = ctx.settings.s3_endpoint_url
    if endpoint:
        img += " " + endpoint.rstrip("/")
    if ctx.settings.task_frame_strict_csp:
        script, style, font = "'self' 'unsafe-inline'", "'self' 'unsafe-inline'", "'self' data:"
    else:
        # like AWS: libraries, styles and fonts from CDNs; the sandbox (no allow-same-origin) still keeps
        # the template away from the reviewer's session, cookies and the review page
        script = "'self' 'unsafe-inline' 'unsafe-eval' https:"
        style, font = "'self' 'unsafe-inline' https:", "'self' data: https:"
    # no connect-src: the template's own script cannot call this service (or anything else)
    return (f"sandbox allow-scripts allow-forms allow-popups; default-src 'none'; "
            f"script-src {script}; style-src {style}; img-src {img}; "
            f"media-src {img}; font-src {font}; connect-src 'none'; form-action 'none'; "
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
