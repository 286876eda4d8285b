"""The local servers keep HTTP/1.1 connections alive (planner/sandbox/serving.py), as Sigma's API does.

Real HTTP on 127.0.0.1 through ``http.client``, which opens a new socket by itself when the
server closed the last one: "one connection" is checked as the same client socket (same local
port) and, for the small apps, the same ``REMOTE_PORT`` seen by the server.
"""

from __future__ import annotations

import http.client
import json
import urllib.parse
from collections.abc import Iterator

import pytest
from werkzeug.wrappers import Request, Response

from planner.sandbox.serving import LocalServer


@pytest.fixture
def served() -> Iterator[LocalServer]:
    """A :class:`LocalServer` whose app answers ``<method> <path> from <REMOTE_PORT> read <body>``
    (``/ignore`` leaves the request body unread; ``/fail`` raises)."""

    @Request.application
    def app(request: Request) -> Response:
        if request.path == "/fail":
            raise RuntimeError("the application failed")
        body = "" if request.path == "/ignore" else request.get_data(as_text=True)
        return Response(f"{request.method} {request.path} from {request.environ['REMOTE_PORT']} read {body!r}")

    server = LocalServer(0, name="serving-test", what="test server")
    server.start(app)
    yield server
    server.stop()


def _send(conn: http.client.HTTPConnection, method: str, path: str, body: bytes | None = None,
          headers: dict[str, str] | None = None) -> tuple[int, str | None, str]:
    conn.request(method, path, body=body, headers=headers or {})
    answer = conn.getresponse()
    return answer.status, answer.getheader("Connection"), answer.read().decode()


def test_two_sandbox_requests_share_one_connection(sandbox) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", sandbox.port, timeout=10)
    form = urllib.parse.urlencode({"grant_type": "client_credentials", "client_id": sandbox.client_id,
                                   "client_secret": sandbox.client_secret}).encode()
    status, connection, text = _send(conn, "POST", "/v2/auth/token", form,
                                     {"Content-Type": "application/x-www-form-urlencoded"})
    assert (status, connection) == (200, None)
    first_socket = conn.sock.getsockname()
    status, connection, text = _send(conn, "GET", "/v2/members?limit=1",
                                     headers={"Authorization": f"Bearer {json.loads(text)['access_token']}"})
    assert (status, connection) == (200, None)
    assert len(json.loads(text)["entries"]) == 1
    assert conn.sock.getsockname() == first_socket
    conn.close()


def test_an_unread_request_body_does_not_reach_the_next_request(served: LocalServer) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", served.port, timeout=10)
    first = _send(conn, "POST", "/ignore", b"GET /smuggled HTTP/1.1\r\n\r\n")
    port = conn.sock.getsockname()[1]
    assert first == (200, None, f"POST /ignore from {port} read ''")
    assert _send(conn, "GET", "/next") == (200, None, f"GET /next from {port} read ''")
    assert conn.sock.getsockname()[1] == port
    conn.close()


def test_a_chunked_request_body_is_read_whole_and_the_connection_kept(served: LocalServer) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", served.port, timeout=10)
    conn.request("POST", "/echo", body=iter([b"ab", b"cd"]), encode_chunked=True,
                 headers={"Transfer-Encoding": "chunked"})
    answer = conn.getresponse()
    port = conn.sock.getsockname()[1]
    assert (answer.status, answer.read().decode()) == (200, f"POST /echo from {port} read 'abcd'")
    assert _send(conn, "GET", "/next") == (200, None, f"GET /next from {port} read ''")
    conn.close()


def test_a_failing_application_answers_500_and_closes(served: LocalServer) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", served.port, timeout=10)
    status, connection, _ = _send(conn, "GET", "/fail")
    assert (status, connection) == (500, "close")
    assert conn.sock is None  # http.client saw the server close the connection
    conn.close()


def test_a_client_asking_to_close_is_closed(served: LocalServer) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", served.port, timeout=10)
    status, connection, _ = _send(conn, "GET", "/once", headers={"Connection": "close"})
    assert (status, connection) == (200, "close")
    assert conn.sock is None
    conn.close()
