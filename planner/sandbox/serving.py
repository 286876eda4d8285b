"""A WSGI application served on 127.0.0.1 from a daemon thread.

One mechanism for the local servers: the Sigma sandbox (:class:`~planner.sandbox.server.SandboxServer`)
and the IdP emulators (:class:`~planner.sandbox.idp.server.IdpEmulator`). werkzeug's threaded
server answers keep-alive HTTP/1.1 and writes no access log.
"""

from __future__ import annotations

import threading
from typing import Any

from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

HOST = "127.0.0.1"


class QuietHandler(WSGIRequestHandler):
    """Keep-alive, and no access log on stderr."""

    protocol_version = "HTTP/1.1"

    def log_request(self, *args: Any, **kwargs: Any) -> None:
        pass

    def log(self, *args: Any, **kwargs: Any) -> None:
        pass


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
