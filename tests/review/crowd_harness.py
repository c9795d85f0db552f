"""Test helper: serve crowd-html-elements.js and task templates to a real Chromium.

A tiny HTTP server on 127.0.0.1 (free port, background thread) serves
  /static/<file>     files from hitl_service/review/static/
  /files/<name>      bytes registered by a test (PNG images, ...)
  /task/<id>         a registered task template, as the iframe would get it
  /harness/<id>      an outer page that embeds the template the way the review
                     page does: <iframe sandbox="allow-scripts allow-forms">
                     (srcdoc=... or src=/task/<id>) and records every message
                     the iframe posts into window.__messages, and the answers
                     of 'crowd-form-submit' messages into window.__answers.

Templates refer to AWS's loader URL like real ones; the harness points it at our
script.  "__BASE__" in a template is replaced by the server's base URL.
"""

from __future__ import annotations

import html
import itertools
import shutil
import struct
import threading
import zlib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urlsplit

REPO = Path(__file__).resolve().parents[2]
STATIC_DIR = REPO / "hitl_service" / "review" / "static"
TEMPLATES_DIR = Path(__file__).resolve().parent / "templates" / "elements"
ARTIFACTS_DIR = REPO / "test-artifacts"
AWS_LOADER = "https://assets.crowd.aws/crowd-html-elements.js"
AWS_LOADER_V2 = "https://assets.crowd.aws/crowd-html-elements-v2.js"

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]

CONTENT_TYPES = {
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".png": "image/png",
    ".html": "text/html; charset=utf-8",
}


def chromium_path() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


def launch_chromium(playwright):
    return playwright.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)


def make_png(width: int, height: int, pixel=None) -> bytes:
    """An RGB PNG built with zlib+struct. `pixel(x, y) -> (r, g, b)`; default: a soft gradient with a grid."""
    if pixel is None:
        def pixel(x, y):
            if x % 50 == 0 or y % 50 == 0:
                return (150, 160, 175)
            return (200 + (x * 40 // max(width, 1)), 215, 230 - (y * 40 // max(height, 1)))
    rows = bytearray()
    for y in range(height):
        rows.append(0)  # filter: none
        for x in range(width):
            rows.extend(pixel(x, y))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(bytes(rows), 6))
            + chunk(b"IEND", b""))


def load_template(name: str) -> str:
    return (TEMPLATES_DIR / name).read_text(encoding="utf-8")


OUTER_PAGE = """<!doctype html>
<html><head><meta charset="utf-8"><title>review harness</title>
<style>html,body{{margin:0;height:100%;background:#fff}}
#task{{display:block;border:0;width:100%;height:100%}}</style>
<script>
window.__answers = [];
window.__messages = [];
window.addEventListener('message', function (e) {{
  var f = document.getElementById('task');
  if (!f || e.source !== f.contentWindow) return;
  window.__messages.push(e.data);
  if (e.data && e.data.type === 'crowd-form-submit') window.__answers.push(e.data.answer);
}});
window.__requestSubmit = function () {{
  document.getElementById('task').contentWindow.postMessage({{type: 'crowd-form-request-submit'}}, '*');
}};
</script></head>
<body><iframe id="task" title="task" sandbox="allow-scripts allow-forms" {source}></iframe></body></html>
"""


class HarnessServer:
    def __init__(self) -> None:
        self._files: dict[str, tuple[bytes, str]] = {}
        self._tasks: dict[str, str] = {}
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self.httpd.daemon_threads = True
        self.base = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self._thread = threading.Thread(target=self.httpd.serve_forever, name="crowd-harness", daemon=True)
        self._thread.start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    # -- registration
    def add_file(self, name: str, body: bytes, content_type: str | None = None) -> str:
        ctype = content_type or CONTENT_TYPES.get(Path(name).suffix, "application/octet-stream")
        with self._lock:
            self._files[name] = (body, ctype)
        return f"{self.base}/files/{name}"

    def add_png(self, name: str, width: int, height: int) -> str:
        return self.add_file(name, make_png(width, height), "image/png")

    def prepare(self, template_html: str) -> str:
        local = f"{self.base}/static/crowd-html-elements.js"
        return (template_html.replace(AWS_LOADER, local).replace(AWS_LOADER_V2, local)
                .replace("__BASE__", self.base))

    def add_task(self, template_html: str, mode: str = "srcdoc") -> str:
        """Register a template; returns the URL of an outer page embedding it."""
        with self._lock:
            tid = str(next(self._ids))
            self._tasks[tid] = self.prepare(template_html)
        if mode == "srcdoc":
            source = f'srcdoc="{html.escape(self._tasks[tid], quote=True)}"'
        else:
            source = f'src="{self.base}/task/{tid}"'
        with self._lock:
            self._files[f"__outer_{tid}.html"] = (OUTER_PAGE.format(source=source).encode(), CONTENT_TYPES[".html"])
        return f"{self.base}/harness/{tid}"

    # -- HTTP
    def _handler_class(self):
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # keep test output quiet
                pass

            def _send(self, status: int, body: bytes, ctype: str = "text/plain; charset=utf-8") -> None:
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                self.send_header("Cache-Control", "no-store")
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self):  # noqa: N802
                path = unquote(urlsplit(self.path).path)
                if path == "/favicon.ico":
                    return self._send(204, b"")
                parts = path.strip("/").split("/")
                if parts[0] == "static" and len(parts) in (2, 3):
                    rel = "/".join(parts[1:])
                    f = STATIC_DIR / rel
                    # the loader and the parts it loads from static/crowd/
                    wanted = rel == "crowd-html-elements.js" or (parts[1] == "crowd" and f.suffix == ".js")
                    if wanted and f.is_file():
                        return self._send(200, f.read_bytes(), CONTENT_TYPES[f.suffix])
                elif len(parts) == 2 and parts[0] == "files":
                    with server._lock:
                        got = server._files.get(parts[1])
                    if got:
                        return self._send(200, got[0], got[1])
                elif len(parts) == 2 and parts[0] == "task":
                    with server._lock:
                        t = server._tasks.get(parts[1])
                    if t is not None:
                        return self._send(200, t.encode(), CONTENT_TYPES[".html"])
                elif len(parts) == 2 and parts[0] == "harness":
                    with server._lock:
                        got = server._files.get(f"__outer_{parts[1]}.html")
                    if got:
                        return self._send(200, got[0], got[1])
                self._send(404, b"not found")

        return Handler


class TaskPage:
    """One opened harness page; `fl` is the FrameLocator of the task iframe, `frame` its Frame."""

    def __init__(self, page, server: HarnessServer) -> None:
        self.page = page
        self.server = server
        self.fl = page.frame_locator("#task")
        self.frame = None

    def open(self, url: str) -> "TaskPage":
        self.page.goto(url)
        handle = self.page.wait_for_selector("#task", state="attached")
        self.frame = handle.content_frame()
        self.frame.wait_for_load_state("load")
        self.frame.wait_for_function(
            "() => document.readyState === 'complete' && !!window.customElements.get('crowd-form')"
            " && Array.from(document.images).every(i => i.complete)")
        # let ResizeObservers and first renders settle
        self.frame.evaluate("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")
        return self

    # -- results
    def answers(self) -> list:
        return self.page.evaluate("window.__answers")

    def messages(self, kind: str | None = None) -> list:
        msgs = self.page.evaluate("window.__messages")
        return [m for m in msgs if kind is None or (isinstance(m, dict) and m.get("type") == kind)]

    def wait_answer(self, timeout: float = 5000) -> dict:
        self.page.wait_for_function("window.__answers.length > 0", timeout=timeout)
        answers = self.answers()
        assert len(answers) == 1, answers
        return answers[0]

    def wait_message(self, kind: str, timeout: float = 5000) -> dict:
        self.page.wait_for_function(
            "k => window.__messages.some(m => m && m.type === k)", arg=kind, timeout=timeout)
        return self.messages(kind)[-1]

    def settle(self) -> None:
        """Give queued postMessages time to arrive (two animation frames in both documents)."""
        self.frame.evaluate("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")
        self.page.evaluate("() => new Promise(r => requestAnimationFrame(() => setTimeout(r, 50)))")

    # -- actions
    def click_submit(self) -> None:
        """The form's own submit control: a template's crowd-button/button, else the auto-appended one."""
        self.fl.locator("crowd-form .footer:not([hidden]) button, crowd-button[form-action=submit], "
                        "crowd-form button[type=submit]").first.click()

    def request_submit(self) -> None:
        self.page.evaluate("window.__requestSubmit()")

    def frame_offset(self) -> tuple[float, float]:
        box = self.page.locator("#task").bounding_box()
        return box["x"], box["y"]

    def to_page(self, x: float, y: float) -> tuple[float, float]:
        ox, oy = self.frame_offset()
        return ox + x, oy + y

    def screenshot(self, name: str) -> Path:
        ARTIFACTS_DIR.mkdir(parents=True, exist_ok=True)
        path = ARTIFACTS_DIR / name
        self.page.screenshot(path=str(path), full_page=True)
        return path
