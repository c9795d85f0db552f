"""A small Lambda Invoke API server over real HTTP hosting Python functions for the tests.

It speaks the part of the Invoke API boto3's ``lambda`` client uses:
``POST /2015-03-31/functions/{FunctionName}/invocations`` with the event as the body, answered with
the function's JSON result, or ``X-Amz-Function-Error: Unhandled`` when the function raises.
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import unquote


class InvokeServer:
    """Functions by name (the part after ``:function:`` in an ARN, or the whole ARN)."""

    def __init__(self):
        self.functions: dict = {}
        self.calls: list[tuple[str, dict]] = []
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                parts = self.path.split("?")[0].split("/")
                if len(parts) < 5 or parts[2] != "functions" or parts[4] != "invocations":
                    self.send_response(404)
                    self.end_headers()
                    return
                name = unquote(parts[3]).split(":function:")[-1]
                event = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)) or b"null")
                owner.calls.append((name, event))
                fn = owner.functions.get(name)
                headers = {"Content-Type": "application/json"}
                if fn is None:
                    status, body = 404, {"Type": "User", "message": f"Function not found: {name}"}
                    headers["X-Amzn-ErrorType"] = "ResourceNotFoundException"
                else:
                    try:
                        status, body = 200, fn(event)
                    except Exception as exc:  # noqa: BLE001 - reported the way Lambda reports it
                        status, body = 200, {"errorMessage": str(exc), "errorType": type(exc).__name__}
                        headers["X-Amz-Function-Error"] = "Unhandled"
                raw = json.dumps(body).encode()
                self.send_response(status)
                for k, v in headers.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def start(self) -> "InvokeServer":
        self.thread.start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
