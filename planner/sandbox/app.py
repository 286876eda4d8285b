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
under ``/v2``, a SCIM Error (RFC 7644 §3.12) under ``/scim``.
"""

from __future__ import annotations

import json
import time
import uuid
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
        if path == "/scim/v2" or path.startswith("/scim/v2/"):
            environ["SCRIPT_NAME"] = environ.get("SCRIPT_NAME", "") + "/scim"
            environ["PATH_INFO"] = path[len("/scim"):]
            return self.scim(environ, counting_start_response)
        if path.startswith("/v2/") or path.startswith("/v2.1/"):
            return self.rest(environ, counting_start_response)
        return _send(counting_start_response, 404, {"message": f"No such endpoint: {path}",
                                                     "code": "not_found", "requestId": str(uuid.uuid4())})
