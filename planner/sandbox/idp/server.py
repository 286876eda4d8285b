"""Small local emulators of IdP REST APIs (Okta, Microsoft Graph, Google Directory) on 127.0.0.1.

Each emulator serves real-format pages from a seed of the IdP's own JSON
objects, with the IdP's paging, error bodies and rate-limit answers, so
``fetch-idp`` is tested (and the demo runs) over real HTTP. Usage::

    with OktaEmulator(OktaSeed.from_export("samples/acme/okta"), page_size=50) as okta:
        okta.base_url          # "http://127.0.0.1:54321"
        okta.token             # the API token it accepts
        okta.faults.throttle = 2                 # the next 2 API requests answer 429
        okta.request_counts["GET /api/v1/users"]

Faults (:class:`IdpFaults`, switchable at runtime): ``throttle`` (the next N
requests answer the IdP's 429, asking to wait ``retry_after`` seconds), ``html`` (every API answer is an HTML page with
200, as a sign-in proxy gives), ``deny`` (requests whose path starts with it
answer the IdP's 403 for a missing permission or scope), ``cut_short`` (a
listing whose path starts with it stops after its first page: no next link),
``repeat_pages`` (the cursor is ignored: the first page again, with a next link), ``no_count``
(Graph: answers whose path starts with it come without ``@odata.count``, as when a proxy strips
the ``ConsistencyLevel`` header or the count).
"""

from __future__ import annotations

import threading
from collections import Counter
from dataclasses import dataclass
from typing import Any, Sequence

from werkzeug.wrappers import Request, Response

from ..serving import LocalServer

HTML_PAGE = ("<!DOCTYPE html><html><head><title>Sign In</title></head><body><form method=\"post\">"
             "<input name=\"username\"><input type=\"password\" name=\"password\"></form></body></html>")
"""What a sign-in proxy in front of the API answers (the ``html`` fault)."""


@dataclass
class IdpFaults:
    """Faults of an emulator (module docstring); change them between requests."""

    throttle: int = 0
    retry_after: int = 1
    html: bool = False
    deny: str | None = None
    cut_short: str | None = None
    repeat_pages: str | None = None
    no_count: str | None = None


def page_window(items: Sequence[Any], start: int, size: int) -> tuple[list[Any], int | None]:
    """``(items[start:start+size], next start or None)``."""
    chunk = list(items[start:start + size])
    nxt = start + size
    return chunk, (nxt if nxt < len(items) else None)


class IdpEmulator:
    """Base of the three emulators: a werkzeug server on 127.0.0.1, faults, request counts.

    Subclasses implement :meth:`route` (the API), :meth:`authenticate`,
    :meth:`throttled`, :meth:`forbidden`, and name their endpoint templates
    with :meth:`template` for :attr:`request_counts`.
    """

    def __init__(self, *, page_size: int, faults: IdpFaults | None = None, port: int = 0) -> None:
        self.page_size = page_size
        self.faults = faults or IdpFaults()
        self.request_counts: Counter[str] = Counter()
        self._lock = threading.Lock()
        self._http = LocalServer(port, name="idp-emulator", what="emulator")

    # ------------------------------------------------------------------ to implement

    def route(self, request: Request) -> Response:  # pragma: no cover - abstract
        raise NotImplementedError

    def authenticate(self, request: Request) -> Response | None:  # pragma: no cover - abstract
        """``None`` when the request carries a valid credential, else the IdP's 401 answer."""
        raise NotImplementedError

    def throttled(self) -> Response:  # pragma: no cover - abstract
        raise NotImplementedError

    def forbidden(self, request: Request) -> Response:  # pragma: no cover - abstract
        raise NotImplementedError

    def template(self, request: Request) -> str:
        """The endpoint template of a request for :attr:`request_counts` (default: method and path)."""
        return f"{request.method} {request.path}"

    def is_api(self, request: Request) -> bool:
        """Whether a request is an API call (faults apply), not a token request."""
        return True

    # ------------------------------------------------------------------ helpers for subclasses

    def cut_short(self, request: Request) -> bool:
        return bool(self.faults.cut_short) and request.path.startswith(self.faults.cut_short)

    def counts(self, request: Request) -> bool:
        """Whether an answer to ``request`` may carry its count (the ``no_count`` fault strips it)."""
        return not (self.faults.no_count and request.path.startswith(self.faults.no_count))

    def repeats(self, request: Request) -> bool:
        return bool(self.faults.repeat_pages) and request.path.startswith(self.faults.repeat_pages)

    def limit(self, value: str | None, default: int) -> int:
        """A page size asked for, capped at :attr:`page_size` (the IdPs cap theirs too)."""
        try:
            asked = int(value) if value else default
        except ValueError:
            asked = default
        return max(1, min(asked, self.page_size))

    # ------------------------------------------------------------------ WSGI

    def __call__(self, environ: dict, start_response: Any) -> Any:
        request = Request(environ)
        with self._lock:
            self.request_counts[self.template(request)] += 1
            throttle = self.faults.throttle > 0 and self.is_api(request)
            if throttle:
                self.faults.throttle -= 1
        if not self.is_api(request):
            response = self.route(request)
        elif throttle:
            response = self.throttled()
        elif self.faults.html:
            response = Response(HTML_PAGE, 200, content_type="text/html; charset=utf-8")
        else:
            response = self.authenticate(request)
            if response is None:
                if self.faults.deny and request.path.startswith(self.faults.deny):
                    response = self.forbidden(request)
                else:
                    response = self.route(request)
        return response(environ, start_response)

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> IdpEmulator:
        """Serve on ``127.0.0.1:port`` in a daemon thread; returns ``self``."""
        self._http.start(self)
        return self

    def stop(self) -> None:
        """Stop serving and close the socket (idempotent)."""
        self._http.stop()

    def __enter__(self) -> IdpEmulator:
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    @property
    def port(self) -> int:
        """The bound TCP port (after :meth:`start`)."""
        return self._http.port

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:<port>``."""
        return self._http.base_url
