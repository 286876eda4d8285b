"""The sandbox's one WSGI application: faults, counters, then REST or SCIM by path.

==========================  ===========================================================
``/v2/...``, ``/v2.1/...``  :class:`planner.sandbox.rest.RestApp` (Sigma REST v2)
``/scim/v2/...``            :class:`planner.sandbox.scim.SigmaScimApplication` (SCIM 2.0)
``/_sandbox/stats``         request counters and fault knobs, JSON, no auth, no faults
``/_sandbox/members/{id}/documents``
                            ``{"owned": n, "archived": n}``: documents of a member, so a
                            hand-off on deactivation can be checked over HTTP
==========================  ===========================================================

Every other request is counted (:class:`planner.sandbox.faults.Faults`), delayed by
the latency fault, and may be answered by the rate-limit (429 + ``Retry-After``)
or error-ratio (5xx) faults before reaching the API: with Sigma's REST envelope
under ``/v2``, a SCIM Error (RFC 7644 §3.12) under ``/scim``. The listing faults
(``truncate_lists``, ``ignore_paging``) rewrite GET requests and list answers here
(:func:`_drop_paging`, :func:`_truncate_list`), so REST and SCIM stay unaware of them.
"""

from __future__ import annotations

import json
import time
import uuid
from urllib.parse import parse_qsl, urlencode
from collections.abc import Callable, Iterable
from typing import Any

from .faults import Faults, endpoint_of
from .rest import RestApp
from .scim import SigmaScimApplication
from .state import SandboxState

_REASONS = {200: "OK", 404: "Not Found", 429: "Too Many Requests", 500: "Internal Server Error",
            502: "Bad Gateway", 503: "Service Unavailable"}


def _send(start_response: Callable[..., Any], status: int, body: dict[str, Any],
          headers: dict[str, str] | None = None, content_type: str = "application/json") -> list[bytes]:
    data = json.dumps(body).encode()
    hdrs = [("Content-Type", content_type), ("Content-Length", str(len(data)))]
    hdrs += list((headers or {}).items())
    start_response(f"{status} {_REASONS.get(status, 'Error')}", hdrs)
    return [data]


_PAGING_PARAMS = frozenset({"page", "pageToken", "startIndex"})


def _drop_paging(environ: dict[str, Any]) -> None:
    """The ``ignore_paging`` fault: remove the page cursor / ``startIndex`` from the query string."""
    pairs = parse_qsl(environ.get("QUERY_STRING", ""), keep_blank_values=True)
    environ["QUERY_STRING"] = urlencode([(k, v) for k, v in pairs if k not in _PAGING_PARAMS])


def _truncate_list(body: Any, environ: dict[str, Any]) -> Any:
    """The ``truncate_lists`` fault on one decoded answer: a REST page without its next-page cursor,
    a SCIM ListResponse past the first page without resources (counts untouched)."""
    if not isinstance(body, dict):
        return body
    if isinstance(body.get("entries"), list):
        return {k: v for k, v in body.items() if k not in ("nextPage", "nextPageToken")}
    query = dict(parse_qsl(environ.get("QUERY_STRING", "")))
    if isinstance(body.get("Resources"), list) and query.get("startIndex", "1") not in ("", "0", "1"):
        return {**body, "Resources": [], "itemsPerPage": 0}
    return body


def _rewritten(app: Callable[..., Iterable[bytes]], environ: dict[str, Any],
               start_response: Callable[..., Any], rewrite: Callable[[Any, dict[str, Any]], Any]) -> list[bytes]:
    """Run ``app``, then pass a 200 JSON answer through ``rewrite`` (Content-Length recomputed)."""
    captured: list[Any] = []

    def capture(status: str, headers: Any, exc_info: Any = None) -> Callable[[bytes], None]:
        captured[:] = [status, list(headers)]
        return lambda data: None

    chunks = app(environ, capture)
    try:
        data = b"".join(chunks)
    finally:
        getattr(chunks, "close", lambda: None)()
    status, headers = captured
    if status.startswith("200"):
        try:
            data = json.dumps(rewrite(json.loads(data), environ)).encode()
        except ValueError:
            pass
    headers = [(k, v) for k, v in headers if k.lower() != "content-length"]
    start_response(status, headers + [("Content-Length", str(len(data)))])
    return [data]


class SandboxApp:
    """Dispatch one request to the REST or SCIM application, applying the faults first."""

    def __init__(self, state: SandboxState, rest: RestApp, scim: SigmaScimApplication, faults: Faults) -> None:
        self.state = state
        self.rest = rest
        self.scim = scim
        self.faults = faults

    def _fault(self, start_response: Callable[..., Any], path: str, status: int, retry_after: int) -> list[bytes]:
        headers = {"Retry-After": str(retry_after)} if status == 429 else {}
        message = "Too many requests" if status == 429 else "Injected server error"
        if path.startswith("/scim/"):
            body = {"schemas": ["urn:ietf:params:scim:api:messages:2.0:Error"],
                    "status": str(status), "detail": message}
            return _send(start_response, status, body, headers, "application/scim+json")
        code = "too_many_requests" if status == 429 else "internal_error"
        body = {"message": message, "code": code, "requestId": str(uuid.uuid4())}
        return _send(start_response, status, body, headers)

    def _internal(self, path: str, start_response: Callable[..., Any]) -> list[bytes]:
        if path == "/_sandbox/stats":
            stats = self.faults.stats()
            stats["state"] = self.state.counts()
            return _send(start_response, 200, stats)
        parts = path.strip("/").split("/")
        if len(parts) == 4 and parts[1] == "members" and parts[3] == "documents":
            return _send(start_response, 200, self.state.document_counts(parts[2]))
        return _send(start_response, 404, {"message": "Not found", "code": "not_found",
                                           "requestId": str(uuid.uuid4())})

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "") or "/"
        if path.startswith("/_sandbox/"):
            return self._internal(path, start_response)
        endpoint = endpoint_of(environ.get("REQUEST_METHOD", "GET"), path)
        self.faults.count(endpoint)

        def counting_start_response(status: str, headers: Any, exc_info: Any = None) -> Any:
            self.faults.count_status(endpoint, int(status.split(" ", 1)[0]))
            return start_response(status, headers, exc_info) if exc_info else start_response(status, headers)

        delay = self.faults.latency()
        if delay:
            time.sleep(delay)
        decision = self.faults.decide()
        if decision is not None:
            return self._fault(counting_start_response, path, *decision)
        truncate, ignore_paging = self.faults.listing_faults()
        if environ.get("REQUEST_METHOD") == "GET" and ignore_paging:
            _drop_paging(environ)
        if path == "/scim/v2" or path.startswith("/scim/v2/"):
            environ["SCRIPT_NAME"] = environ.get("SCRIPT_NAME", "") + "/scim"
            environ["PATH_INFO"] = path[len("/scim"):]
            app: Callable[..., Iterable[bytes]] | None = self.scim
        elif path.startswith("/v2/") or path.startswith("/v2.1/"):
            app = self.rest
        else:
            app = None
        if app is not None:
            if environ.get("REQUEST_METHOD") == "GET" and truncate:
                return _rewritten(app, environ, counting_start_response, _truncate_list)
            return app(environ, counting_start_response)
        return _send(counting_start_response, 404, {"message": f"No such endpoint: {path}",
                                                     "code": "not_found", "requestId": str(uuid.uuid4())})
