"""A WSGI application served on 127.0.0.1 from a daemon thread.

One mechanism for the local servers: the Sigma sandbox (:class:`~planner.sandbox.server.SandboxServer`)
and the IdP emulators (:class:`~planner.sandbox.idp.server.IdpEmulator`). werkzeug's threaded
server (a thread per connection) answers HTTP/1.1, keeps connections alive (:class:`QuietHandler`)
and writes no access log. Keep-alive matters for measuring apply: Sigma's API keeps connections
alive, so a sandbox that closed each one would charge apply a TCP connection per request.
"""

from __future__ import annotations

import io
import threading
from typing import Any, Iterable

from werkzeug.exceptions import InternalServerError
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

HOST = "127.0.0.1"


class QuietHandler(WSGIRequestHandler):
    """HTTP/1.1 with keep-alive, and no access log on stderr.

    werkzeug's own ``run_wsgi`` sends ``Connection: close`` on every answer since werkzeug
    2.1.2, whatever ``protocol_version`` says (pallets/werkzeug#2397, #2399: Python's
    ``http.server`` does not drain a request body the application left unread, which would then
    prefix the next request line), and after each answer it reads and drops for 10 ms whatever
    the client sends next. This handler runs the application itself so that neither can happen:

    - the request body is read whole before the application runs (``Content-Length`` bytes, or
      a chunked body to its end) and handed over as ``wsgi.input``, so the next request line is
      next on the socket whatever the application read;
    - the answer is sent with its ``Content-Length`` (the body joined when the application gave
      none; 1xx, 204 and 304 have no body, RFC 9110 §8.6);
    - the connection stays open unless the client asked to close it (``Connection: close`` or
      HTTP/1.0 without keep-alive, as ``http.server`` decides: RFC 9112 §9.3) or the application
      raised, which answers 500 and closes; an answer before a close says ``Connection: close``
      (RFC 9112 §9.6).
    """

    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    """``TCP_NODELAY`` (socketserver's ``StreamRequestHandler`` switch): the status line and headers
    go out in one write and the body in another; on a kept-alive connection Nagle's algorithm
    would hold the body until the client's delayed ACK (about 40 ms on Linux) of the headers."""

    def run_wsgi(self) -> None:
        """Serve one request of the connection (called by ``http.server`` per request line)."""
        if self.headers.get("Expect", "").lower().strip(" \t") == "100-continue":
            self.wfile.write(b"HTTP/1.1 100 Continue\r\n\r\n")
        self.environ = environ = self.make_environ()
        environ["wsgi.input"] = io.BytesIO(self._request_body(environ))
        try:
            status, headers, body = _answer(self.server.app, environ)
        except Exception as exc:  # the application failed: a 500, and the connection closes
            self.close_connection = True
            status, headers, body = _answer(InternalServerError(), environ)
            self.server.log("error", f"Error on request {self.command} {self.path}: {exc!r}")
        code, _, reason = status.partition(" ")
        self.send_response(int(code), reason)
        for key, value in headers:
            self.send_header(key, value)
        if int(code) >= 200 and int(code) not in (204, 304) and not any(k.lower() == "content-length" for k, _ in headers):
            self.send_header("Content-Length", str(len(body)))
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)
        self.wfile.flush()

    def _request_body(self, environ: dict[str, Any]) -> bytes:
        """The whole request body: ``Content-Length`` bytes, or a chunked body (werkzeug's
        ``DechunkedInput`` in ``wsgi.input``) to its last chunk; ``b""`` for neither."""
        if environ.get("wsgi.input_terminated"):
            return bytes(environ["wsgi.input"].read())
        length = environ.get("CONTENT_LENGTH", "")
        return self.rfile.read(int(length)) if length.isdigit() and int(length) > 0 else b""

    def log_request(self, *args: Any, **kwargs: Any) -> None:
        pass

    def log(self, *args: Any, **kwargs: Any) -> None:
        pass


def _answer(app: Any, environ: dict[str, Any]) -> tuple[str, list[tuple[str, str]], bytes]:
    """Run the WSGI callable ``app`` on ``environ``: ``(status line, headers, whole body)`` (PEP 3333)."""
    started: list[Any] = []

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
        started[:] = [status, list(headers)]
        return lambda data: chunks.append(data)

    chunks: list[bytes] = []
    result: Iterable[bytes] = app(environ, start_response)
    try:
        chunks.extend(result)
    finally:
        close = getattr(result, "close", None)
        if close is not None:
            close()
    return started[0], started[1], b"".join(chunks)


class LocalServer:
    """Serves a WSGI app on ``127.0.0.1:port`` (0: a free port) from a daemon thread ``<name>-<port>``.

    ``what`` names the server in the error raised when its port is asked before :meth:`start`
    (``RuntimeError: the <what> is not started``).
    """

    def __init__(self, port: int, *, name: str, what: str) -> None:
        self._requested_port = port
        self._name = name
        self._what = what
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def running(self) -> bool:
        """True between :meth:`start` and :meth:`stop`."""
        return self._server is not None

    def start(self, app: Any) -> None:
        """Bind and serve ``app`` (a WSGI callable) in a daemon thread; nothing when already serving."""
        if self._server is not None:
            return
        self._server = make_server(HOST, self._requested_port, app, threaded=True, request_handler=QuietHandler)
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        name=f"{self._name}-{self.port}", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop serving and close the socket (idempotent)."""
        if self._server is None:
            return
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = None
        self._thread = None

    def wait(self) -> None:
        """Block while the serving thread runs, in 0.5 s joins so the main thread still gets KeyboardInterrupt."""
        thread = self._thread
        while thread is not None and thread.is_alive():
            thread.join(timeout=0.5)

    @property
    def port(self) -> int:
        """The bound TCP port; raises ``RuntimeError`` before :meth:`start`."""
        if self._server is None:
            raise RuntimeError(f"the {self._what} is not started")
        return int(self._server.server_port)

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:<port>``."""
        return f"http://{HOST}:{self.port}"
