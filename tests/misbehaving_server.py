"""A small HTTP server on 127.0.0.1 that answers what a test tells it to: malformed bodies,
echoed requests, a body trickled one byte at a time. Not collected by pytest.

``with MisbehavingServer({("POST", "/v2/auth/token"): Answer(200, b"<html>")}) as server:``
serves ``server.base_url``; ``server.requests`` records ``(method, path, headers, body)``
of every request. An answer may be a callable ``(method, path, headers, body) -> Answer``.
Unknown routes answer 404 with a JSON envelope.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable
from urllib.parse import urlsplit


@dataclass
class Answer:
    """``status``, ``body`` (bytes, or any JSON value), extra ``headers``; ``trickle`` seconds between
    body bytes (``None``: all at once)."""

    status: int = 200
    body: Any = b""
    headers: dict[str, str] = field(default_factory=dict)
    trickle: float | None = None

    def payload(self) -> bytes:
        if isinstance(self.body, bytes):
            return self.body
        return json.dumps(self.body).encode()


Route = Answer | Callable[[str, str, dict[str, str], bytes], Answer]


class MisbehavingServer:
    """A threaded HTTP/1.1 server whose answers are set per ``(method, path)`` (query ignored)."""

    def __init__(self, routes: dict[tuple[str, str], Route]):
        self.routes = dict(routes)
        self.requests: list[tuple[str, str, dict[str, str], bytes]] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def _serve(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                path = urlsplit(self.path).path
                headers = {k.lower(): v for k, v in self.headers.items()}
                outer.requests.append((self.command, self.path, headers, body))
                route = outer.routes.get((self.command, path))
                if route is None:
                    answer = Answer(404, {"message": "not found", "code": "not_found"})
                else:
                    answer = route(self.command, path, headers, body) if callable(route) else route
                payload = answer.payload()
                self.send_response(answer.status)
                sent = {k.lower() for k in answer.headers}
                if "content-type" not in sent:
                    self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                for name, value in answer.headers.items():
                    self.send_header(name, value)
                self.end_headers()
                try:
                    if answer.trickle is None:
                        self.wfile.write(payload)
                    else:
                        for i in range(len(payload)):
                            self.wfile.write(payload[i:i + 1])
                            self.wfile.flush()
                            time.sleep(answer.trickle)
                except (BrokenPipeError, ConnectionResetError):
                    pass

            do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = _serve

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def __enter__(self) -> MisbehavingServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def token_answer(token: str = "tok-123456789", expires_in: Any = 3600) -> Answer:
    """A well-formed OAuth token answer (RFC 6749 §5.1)."""
    return Answer(200, {"access_token": token, "token_type": "bearer", "expires_in": expires_in})


def echo_request(status: int = 400) -> Callable[[str, str, dict[str, str], bytes], Answer]:
    """An answer that quotes the request back (what a careless proxy or server does on error):
    the Authorization header and the body, raw."""

    def answer(method: str, path: str, headers: dict[str, str], body: bytes) -> Answer:
        echoed = f"bad request {method} {path} authorization={headers.get('authorization', '')} body={body.decode()}"
        return Answer(status, echoed.encode(), {"Content-Type": "text/plain"})

    return answer
