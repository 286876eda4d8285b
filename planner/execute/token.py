"""Sigma's REST access token, in one place: minted, shared, re-minted (apply, verify, undo, fetch).

Authentication (docs/sigma-api.md §1.1, §1.2): OAuth 2.0 client credentials posted as form
fields to ``POST /v2/auth/token`` (Sigma's own samples send ``client_id`` and ``client_secret``
in the body); the answer is ``{access_token, expires_in, refresh_token}`` (RFC 6749 §5.1).

- :class:`AccessToken` keeps the token, reuses it until shortly before ``expires_in`` runs out
  (10 % of its life, at most 2 minutes early), and mints a new one then, or after a ``401``
  (:meth:`AccessToken.renew`). Token calls are spaced at least ``min_interval`` (1 s) apart,
  Sigma's documented limit for the token endpoint (§7). The token request goes through the
  caller's httpx2 client, whose :class:`planner.execute.retry.RetryTransport` retries a 429
  (``Retry-After`` honoured) and 5xx with backoff exactly as it retries every other request,
  bounded by the same ``max_attempts``.
- :class:`BearerTransport` writes ``Authorization: Bearer <token>`` on every attempt of a
  request, below the retries: a request that waited out a ``Retry-After`` longer than the
  token's life is sent again with a live token, not with the one that expired meanwhile
  (tester4 finding 2: a 2-second token under 429s came back 401 "Token missing or malformed").

A token request the server refuses (400/401/403) is an :class:`AuthError`; one that fails
otherwise (429 or 5xx after the retries, a network error, an answer that is not a token) is an
:class:`ApiError`. A *re*-mint that fails says why a token was needed and that minting failed,
``access token expired; re-mint failed: 429 too_many_requests: ... (REST POST /v2/auth/token, after 8 tries)``,
never the API's own ``401`` text alone. The token's value never appears in a message: each
token minted is added to the redactor.
"""

from __future__ import annotations

import threading
import time
from typing import Any, Callable

import httpx2

from ..redaction import Redactor, clip
from .errors import ApiError, AuthError
from .retry import RetryPolicy, tries_spent

TOKEN_PATH = "/v2/auth/token"

EXPIRED = "access token expired"
"""Why a token is minted again when the one in hand is about to expire."""

REFUSED = "access token refused (401)"
"""Why a token is minted again after the API answered 401 to the one in hand."""

DEFAULT_LIFETIME = 3600.0
"""Seconds a token lives when the answer names no ``expires_in`` (Sigma's default, §1.2)."""

REFUSAL_HINT = "check SIGMA_CLIENT_ID / SIGMA_CLIENT_SECRET"


class AccessToken:
    """The REST access token of one client-credentials pair, shared by threads (a lock).

    ``http`` is the client the token request is sent through (its base URL is the API host,
    its transport retries 429/5xx: :class:`planner.execute.retry.RetryTransport`).
    ``refusal_hint`` ends the message of a refused token request (fetch adds "and the region").
    ``retry_policy``: that transport's, for the tries a failure names (:func:`~planner.execute.retry.tries_spent`).
    Raises from :meth:`current` and :meth:`renew`: :class:`AuthError` when the token endpoint
    refuses the credentials (400/401/403), :class:`ApiError` for any other failure.
    """

    def __init__(
        self,
        http: httpx2.Client,
        client_id: str,
        client_secret: str,
        *,
        redactor: Redactor,
        min_interval: float = 1.0,
        refusal_hint: str = REFUSAL_HINT,
        retry_policy: RetryPolicy | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._http = http
        self._retry_policy = retry_policy or RetryPolicy()
        self._client_id = client_id
        self._client_secret = client_secret
        self.redactor = redactor
        self._min_interval = min_interval
        self._refusal_hint = refusal_hint
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._token: str | None = None
        self._expires_at = 0.0
        self._last_mint: float | None = None
        self._failures = 0
        self._failure: ApiError | None = None
        self.minted = 0
        """Tokens minted so far (the first included)."""

    def current(self) -> str:
        """The token to send now: the one in hand, or a new one when there is none or it is about to expire."""
        seen = self._failures
        with self._lock:
            self._raise_failure_met_while_waiting(seen)
            if self._token is None:
                self._mint(EXPIRED if self.minted else None)
            elif self._clock() >= self._expires_at:
                self._mint(EXPIRED)
            assert self._token is not None
            return self._token

    def renew(self, rejected: str | None) -> str:
        """A new token after the API answered 401 to ``rejected`` (unless another thread already renewed it)."""
        seen = self._failures
        with self._lock:
            self._raise_failure_met_while_waiting(seen)
            if self._token is None or self._token == rejected:
                self._mint(REFUSED)
            assert self._token is not None
            return self._token

    def _raise_failure_met_while_waiting(self, seen: int) -> None:
        """A thread that waited for the lock while a mint failed (after its retries) gets that failure
        rather than asking again at once: the workers of a run do not each repeat a refused mint."""
        if self._failures != seen and self._token is None and self._failure is not None:
            raise self._failure

    def _mint(self, reason: str | None) -> None:
        """``POST /v2/auth/token`` (caller holds the lock), spaced >= ``min_interval`` after the last one.
        ``reason``: why a token is minted again (``None`` for the first one), named in a failure."""
        self._token = None
        try:
            self._request_token(reason)
        except ApiError as exc:
            self._failure = exc
            self._failures += 1
            raise

    def _request_token(self, reason: str | None) -> None:
        if self._last_mint is not None:
            wait = self._last_mint + self._min_interval - self._clock()
            if wait > 0:
                self._sleep(wait)
        self._last_mint = self._clock()
        form = {"grant_type": "client_credentials", "client_id": self._client_id,
                "client_secret": self._client_secret}
        try:
            response = self._http.post(TOKEN_PATH, data=form)
        except httpx2.TransportError as exc:
            host = self._http.base_url.host
            raise self._error(None, f"{host}: {type(exc).__name__}: {exc}", "", reason) from None
        self._last_mint = self._clock()
        if response.status_code in (400, 401, 403):
            message, code = error_envelope(response)
            raise self._error(response.status_code, f"token request refused ({message}); {self._refusal_hint}",
                                code, reason, cls=AuthError)
        if response.status_code >= 300:
            message, code = error_envelope(response)
            raise self._error(response.status_code, message, code, reason)
        token, lifetime = self._token_answer(response, reason)
        self._token = token
        self._expires_at = self._clock() + lifetime - min(120.0, lifetime * 0.1)
        self.minted += 1

    def _error(self, status: int | None, message: str, code: str, reason: str | None,
                 cls: type[ApiError] = ApiError) -> ApiError:
        context = f"{reason}; re-mint failed" if reason else ""
        return cls("rest", "POST", TOKEN_PATH, status, self.redactor(message), code, context=context,
                   tries=tries_spent(status, self._retry_policy))

    def _token_answer(self, response: httpx2.Response, reason: str | None) -> tuple[str, float]:
        """``(access_token, expires_in seconds)`` of a 2xx token answer (RFC 6749 §5.1); :class:`ApiError`
        when it is not a JSON object with a string ``access_token`` and, if given, a positive number
        ``expires_in`` (default :data:`DEFAULT_LIFETIME`). Every token of the answer joins the redactor."""
        def refuse(problem: str) -> ApiError:
            return self._error(response.status_code, f"token answer {problem}", "", reason)

        body = json_body(response)
        if body is NOT_JSON:
            raise refuse(f"is not JSON ({content_type(response)})")
        if not isinstance(body, dict):
            raise refuse(f"is a JSON {json_kind(body)}, not an object")
        token = body.get("access_token")
        if not isinstance(token, str) or not token.strip():
            self.redactor.add(token if isinstance(token, str) else None)
            raise refuse("has no access_token string")
        self.redactor.add(token)
        refresh = body.get("refresh_token")
        self.redactor.add(refresh if isinstance(refresh, str) else None)
        lifetime = body.get("expires_in", DEFAULT_LIFETIME)
        if lifetime is None:
            lifetime = DEFAULT_LIFETIME
        if isinstance(lifetime, bool) or not isinstance(lifetime, (int, float)) or not 0 < lifetime < 10**9:
            raise refuse(f"has expires_in {clip(repr(lifetime), 40)}, not a positive number of seconds")
        return token, float(lifetime)


class BearerTransport(httpx2.BaseTransport):
    """Writes ``Authorization: Bearer <token>`` on each request it sends, the token in hand at that
    moment (:meth:`AccessToken.current`), except on the token request itself.

    Placed below :class:`planner.execute.retry.RetryTransport`, so every retry of a request carries
    a live token. ``token`` may be set after construction (the token is minted through the client
    this transport serves).
    """

    def __init__(self, inner: httpx2.BaseTransport, token: AccessToken | None = None) -> None:
        self.inner = inner
        self.token = token

    def handle_request(self, request: httpx2.Request) -> httpx2.Response:
        if self.token is not None and not request.url.path.endswith(TOKEN_PATH):
            request.headers["Authorization"] = f"Bearer {self.token.current()}"
        return self.inner.handle_request(request)

    def close(self) -> None:
        self.inner.close()


def bearer_of(response: httpx2.Response) -> str | None:
    """The token a request was sent with (its ``Authorization: Bearer``), or ``None``."""
    sent = response.request.headers.get("authorization", "")
    return sent[len("Bearer "):] if sent.startswith("Bearer ") else None


# ----------------------------------------------------------------------------- answers


ERROR_BODY_CHARS = 65536
"""Characters of an error body kept for its message (redacted, then cut by :class:`ApiError`)."""

NOT_JSON = object()
"""What :func:`json_body` returns for a body that is not JSON."""


def json_body(response: httpx2.Response) -> Any:
    """The decoded JSON body, or :data:`NOT_JSON` (not JSON, not UTF-8, nested too deeply to decode)."""
    try:
        return response.json()
    except (ValueError, RecursionError):
        return NOT_JSON


def json_kind(value: Any) -> str:
    """``object`` / ``array`` / ``string`` / ``number`` / ``boolean`` / ``null``: a JSON value's type name."""
    if isinstance(value, dict):
        return "object"
    if isinstance(value, list):
        return "array"
    if isinstance(value, str):
        return "string"
    if isinstance(value, bool):
        return "boolean"
    return "null" if value is None else "number"


def content_type(response: httpx2.Response) -> str:
    """The answer's ``Content-Type``, cut to 60 characters (``no Content-Type`` when absent)."""
    return clip(response.headers.get("content-type") or "no Content-Type", 60)


def error_envelope(response: httpx2.Response) -> tuple[str, str]:
    """``(message, code)`` from Sigma's error envelope (docs/sigma-api.md §2.7), or the start of the
    body, or the reason phrase.

    Not cut to a short length here: callers redact first (:mod:`planner.redaction`), then
    :class:`ApiError` cuts, so a cut cannot leave part of a secret unrecognised.
    """
    body = json_body(response)
    if body is NOT_JSON:
        return (response.text[:ERROR_BODY_CHARS] or response.reason_phrase or "error"), ""
    if isinstance(body, dict):
        message = body.get("message") or body.get("detail") or response.reason_phrase or "error"
        return str(message)[:ERROR_BODY_CHARS], str(body.get("code") or "")[:100]
    return response.reason_phrase or "error", ""
