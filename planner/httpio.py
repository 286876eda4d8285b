"""HTTP plumbing shared by every client of the tool (``fetch`` and ``apply``'s REST and SCIM clients).

- :func:`check_base_url`: a base URL is parsed once, up front, into a one-line
  error instead of a traceback at the first request (``http://127.0.0.1:80x``,
  ``http://[::1``); it carries no credentials (``user:password@``), no query or
  fragment, and uses https except on a loopback host (the sandbox).
- :class:`DeadlineTransport`: an **overall deadline per request**. httpx
  timeouts are per network operation, so a server trickling one byte every few
  seconds keeps a request alive for hours. Here every read, write and connect
  of one request gets at most what is left of the request's deadline; the body
  is read before the request returns (so the deadline covers it), and an answer
  larger than ``max_bytes`` is refused. Both failures are
  :class:`httpx2.TimeoutException` / :class:`httpx2.ReadError` (transport
  errors): the callers' retry and error handling treat them as network errors.
"""

from __future__ import annotations

import ipaddress
import threading
import time
from typing import Callable, Iterable, NoReturn, TypeVar
from urllib.parse import urlsplit

import httpcore2
import httpx2

from .errors import UserError
from .redaction import Redactor, clip

DEFAULT_DEADLINE = 120.0
"""Seconds one request (connect, send, answer headers and body) may take at most."""

MAX_ANSWER_BYTES = 64 * 1024 * 1024
"""The largest answer body read (a page of 1,000 members is well under 1 MB)."""


# --------------------------------------------------------------------------- base URLs


def is_loopback_host(host: str) -> bool:
    """True for ``localhost`` (and ``*.localhost``), ``127.0.0.0/8`` and ``::1``."""
    host = host.strip("[]").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_base_url(url: str, what: str, error: type[UserError] = UserError) -> str:
    """``url`` stripped and without a trailing slash, or ``error`` with a one-line reason.

    Refused: a URL that does not parse (bad port, unclosed ``[``), one that is not
    absolute ``http(s)``, one carrying ``user:password@``, a query or a fragment, and
    ``http`` to a host that is not loopback (tokens must never cross a network in
    clear text). The URL shown in the message has any user information removed.
    """
    text = url.strip()
    shown = clip(Redactor()(text), 200)
    try:
        parts = urlsplit(text)
        host, _ = parts.hostname, parts.port  # .port raises for "80x" or 70000
        httpx2.URL(text)
    except (ValueError, httpx2.InvalidURL) as exc:
        raise error(f"{what} {shown!r} is not a valid URL ({clip(str(exc), 120)})") from None
    if parts.username is not None or parts.password is not None:
        raise error(f"{what} {shown!r} must not carry credentials (user:password@); "
                    "use the environment variables")
    if parts.scheme not in ("http", "https") or not host:
        raise error(f"{what} {shown!r} is not an absolute http(s) URL")
    if parts.query or parts.fragment:
        raise error(f"{what} {shown!r} must not have a query string or a fragment")
    if parts.scheme == "http" and not is_loopback_host(host):
        raise error(f"{what} {shown!r} uses http; https is required except for loopback hosts "
                    "(127.0.0.1, ::1, localhost)")
    return text.rstrip("/")


# --------------------------------------------------------------------------- deadline

_deadline = threading.local()
T = TypeVar("T")


def _deadline_message() -> str:
    return f"no complete answer within the {_deadline.seconds:g} s deadline of the request"


def _bounded(timeout: float | None, exc: type[Exception], operation: Callable[[float | None], T]) -> T:
    """Run one network ``operation(timeout)`` with ``timeout`` capped by what is left of this thread's
    request deadline. ``exc`` (httpcore's ReadTimeout, WriteTimeout or ConnectTimeout) says the
    deadline passed, before the operation or during it."""
    end = getattr(_deadline, "at", None)
    if end is None:
        return operation(timeout)
    left = end - time.monotonic()
    if left <= 0:
        raise exc(_deadline_message())
    capped = timeout is None or left < timeout
    try:
        return operation(left if capped else timeout)
    except exc:
        if capped:
            raise exc(_deadline_message()) from None
        raise


class _DeadlineStream(httpcore2.NetworkStream):
    """A network stream whose every operation is bounded by the request's deadline."""

    def __init__(self, inner: httpcore2.NetworkStream):
        self._inner = inner

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return _bounded(timeout, httpcore2.ReadTimeout, lambda t: self._inner.read(max_bytes, t))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        _bounded(timeout, httpcore2.WriteTimeout, lambda t: self._inner.write(buffer, t))

    def close(self) -> None:
        self._inner.close()

    def start_tls(self, ssl_context, server_hostname=None, timeout=None):  # noqa: ANN001 (httpcore's signature)
        return _DeadlineStream(_bounded(timeout, httpcore2.ConnectTimeout,
                                        lambda t: self._inner.start_tls(ssl_context, server_hostname, t)))

    def get_extra_info(self, info: str):  # noqa: ANN201
        return self._inner.get_extra_info(info)


class _DeadlineBackend(httpcore2.NetworkBackend):
    """httpcore's network backend with :class:`_DeadlineStream` streams."""

    def __init__(self, inner: httpcore2.NetworkBackend):
        self._inner = inner

    def connect_tcp(self, host: str, port: int, timeout: float | None = None, local_address: str | None = None,
                    socket_options: Iterable | None = None) -> httpcore2.NetworkStream:
        return _DeadlineStream(_bounded(timeout, httpcore2.ConnectTimeout, lambda t: self._inner.connect_tcp(
            host, port, t, local_address, socket_options)))

    def connect_unix_socket(self, path: str, timeout: float | None = None,
                            socket_options: Iterable | None = None) -> httpcore2.NetworkStream:
        return _DeadlineStream(_bounded(timeout, httpcore2.ConnectTimeout,
                                        lambda t: self._inner.connect_unix_socket(path, t, socket_options)))

    def sleep(self, seconds: float) -> None:
        self._inner.sleep(seconds)


class DeadlineTransport(httpx2.BaseTransport):
    """httpx2's network transport with an overall deadline per request (module docstring).

    ``deadline``: seconds for the whole exchange, body included. ``max_bytes``: the
    largest body accepted. Raises :class:`httpx2.ReadTimeout` (or ``ConnectTimeout``,
    ``WriteTimeout``) when the deadline passes, :class:`httpx2.ReadError` for a body over
    ``max_bytes``. Thread-safe: the deadline is kept per thread (a sync request runs in
    one thread from start to end).
    """

    def __init__(self, deadline: float = DEFAULT_DEADLINE, *, max_bytes: int = MAX_ANSWER_BYTES):
        self.deadline = deadline
        self.max_bytes = max_bytes
        self.inner = httpx2.HTTPTransport()
        pool = self.inner._pool  # httpx2 builds the pool; its network backend is the one seam for I/O
        pool._network_backend = _DeadlineBackend(pool._network_backend)

    def handle_request(self, request: httpx2.Request) -> httpx2.Response:
        outer = getattr(_deadline, "at", None), getattr(_deadline, "seconds", None)
        _deadline.at, _deadline.seconds = time.monotonic() + self.deadline, self.deadline
        try:
            response = self.inner.handle_request(request)
            try:
                body = self._read(response.stream)
            finally:
                response.stream.close()  # the connection goes back to the pool
        finally:
            _deadline.at, _deadline.seconds = outer
        # The answer httpx2 gave, its raw body now in memory: the client decodes it (content-encoding)
        # once, as for any answer. A second Response built with content= decoded it on construction
        # (its __init__ reads): ~50 us a request (docs/performance.md, apply).
        response.stream = httpx2.ByteStream(body)
        return response

    def _read(self, stream: Iterable[bytes]) -> bytes:
        """The raw (still content-encoded) body of an answer's network ``stream``, within the deadline;
        :class:`httpx2.ReadError` past ``max_bytes``."""
        chunks: list[bytes] = []
        size = 0
        for chunk in stream:
            size += len(chunk)
            if size > self.max_bytes:
                _too_large(self.max_bytes)
            chunks.append(chunk)
        return b"".join(chunks)

    def close(self) -> None:
        self.inner.close()


def _too_large(limit: int) -> NoReturn:
    raise httpx2.ReadError(f"answer larger than {limit // (1024 * 1024)} MiB; not read")
