"""A small client for Sigma's REST API v2 (members and teams), over httpx2.

Authentication (docs/sigma-api.md §1): the access token of :mod:`planner.execute.token`
(client credentials, reused until shortly before it expires, token calls at least
``min_token_interval`` apart), written on every attempt of every request by its
:class:`~planner.execute.token.BearerTransport`; a ``401`` makes the client mint a new
token once and repeat the request.

Every request, the token request included, goes through
:class:`planner.execute.retry.RetryTransport` (429/5xx/network retries). Non-2xx answers become
:class:`planner.execute.errors.ApiError` carrying Sigma's error envelope
``{message, code, requestId}`` (docs/sigma-api.md §2.7); 401 after a re-mint becomes
:class:`AuthError` (the run stops). A 403 stays an :class:`ApiError` of the one
action: Sigma answers 403 for an object REST may not change (a SCIM-managed
member, §5.3), not only for missing rights (those fail every action and open
the circuit breaker).

Every answer is checked for the shape its endpoint documents before it is
used: a token answer that is an HTML page, ``[]`` or ``expires_in: "soon"``, a
member that is not an object, a list page without an ``entries`` array, become
an :class:`ApiError` naming the endpoint, never a traceback. Each request has an
overall deadline (:class:`planner.httpio.DeadlineTransport`), and error bodies
are redacted before they are cut (:mod:`planner.redaction`).

Only the calls apply needs are here: whoami, members get/patch/list/list-by-email, teams
list/get, team members list/patch (docs/sigma-api.md §1.3, §2, §3).
"""

from __future__ import annotations

import time
from typing import Any, Callable, Mapping

import httpx2

from ..httpio import DEFAULT_DEADLINE, DeadlineTransport
from ..redaction import Redactor
from .errors import ApiError, AuthError
from .paths import member_path, team_members_path, team_path
from .retry import RetryPolicy, RetryTransport
from .token import (
    NOT_JSON as _NOT_JSON,
    REFUSAL_HINT,
    TOKEN_PATH,
    AccessToken,
    BearerTransport,
    bearer_of,
    content_type as _content_type,
    error_envelope as _envelope,
    json_body as _json_body,
    json_kind as _json_kind,
)

__all__ = ["TOKEN_PATH", "SigmaRestClient"]


class SigmaRestClient:
    """Sigma REST v2 client. Thread-safe: the token is shared behind a lock.

    ``base_url`` is the API host (e.g. ``https://api.sigmacomputing.com`` or the
    sandbox's ``http://127.0.0.1:PORT``); paths start with ``/v2``.
    ``transport`` replaces the inner network transport (tests inject faults
    there; default: a :class:`~planner.httpio.DeadlineTransport` of ``deadline``
    seconds per request); retries always wrap it. ``timeout`` bounds each network
    operation, ``deadline`` each whole request.
    """

    def __init__(
        self,
        base_url: str,
        client_id: str,
        client_secret: str,
        *,
        retry_policy: RetryPolicy | None = None,
        transport: httpx2.BaseTransport | None = None,
        timeout: float = 30.0,
        deadline: float = DEFAULT_DEADLINE,
        max_rate: float | None = None,
        min_token_interval: float = 1.0,
        redactor: Redactor | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ):
        self.base_url = base_url.rstrip("/")
        self._client_id = client_id
        self._client_secret = client_secret
        self.redactor = redactor or Redactor()
        self.redactor.add_pair(client_id, client_secret)
        bearer = BearerTransport(transport or DeadlineTransport(deadline))
        self.transport = RetryTransport(bearer, policy=retry_policy, sleep=sleep, max_rate=max_rate)
        self._http = httpx2.Client(base_url=self.base_url, transport=self.transport, timeout=timeout)
        self.token = AccessToken(self._http, client_id, client_secret, redactor=self.redactor,
                                 min_interval=min_token_interval, clock=clock, sleep=sleep)
        bearer.token = self.token  # every attempt, retries included, carries the token in hand

    # ------------------------------------------------------------------ token

    @property
    def tokens_minted(self) -> int:
        """Access tokens minted so far (:class:`planner.execute.token.AccessToken`)."""
        return self.token.minted

    def _unreachable(self, exc: Exception) -> str:
        """A network failure's message, naming the host (never a secret: the redactor runs over it):
        ``api.example.com: [Errno -2] Name or service not known``."""
        return f"{httpx2.URL(self.base_url).host}: {str(exc) or type(exc).__name__}"

    # ------------------------------------------------------------------ requests

    def request(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: Mapping[str, Any] | None = None,
    ) -> Any:
        """Send one request; return the decoded JSON body (``None`` when empty).

        Raises :class:`ApiError` for a non-2xx answer or a network failure after
        retries, :class:`AuthError` for 401 after one re-mint.
        """
        for attempt in (1, 2):
            try:
                response = self._http.request(method, path, json=json, params=params)
            except httpx2.TransportError as exc:
                raise ApiError("rest", method, path, None, self.redactor(self._unreachable(exc))) from None
            if response.status_code == 401 and attempt == 1:
                self.token.renew(bearer_of(response))  # the next attempt is sent with the new one
                continue
            break
        if response.status_code == 401:
            message, code = _envelope(response)
            raise AuthError("rest", method, path, response.status_code,
                            self.redactor(f"{message}, also with an access token minted just now; {REFUSAL_HINT}"),
                            code)
        if response.status_code >= 300:
            message, code = _envelope(response)
            raise ApiError("rest", method, path, response.status_code, self.redactor(message), code)
        if not response.content:
            return None
        body = _json_body(response)
        if body is _NOT_JSON:
            raise ApiError("rest", method, path, response.status_code,
                           f"answer is not JSON ({_content_type(response)})")
        return body

    def check_access(self) -> None:
        """Preflight: mint a token and make one cheap authenticated read (``GET /v2/members?limit=1``).

        Raises :class:`AuthError` when the token request or the read is refused
        (400/401/403 on the token, 401 after a re-mint), :class:`ApiError` otherwise.
        """
        self.request("GET", "/v2/members", params={"limit": 1})

    def whoami(self) -> dict[str, Any]:
        """``GET /v2/whoami`` -> ``{userId, organizationId, ...}``: the credential owner and the
        organization the API serves (docs/sigma-api.md §1.3). Raises :class:`ApiError`."""
        body = self.request("GET", "/v2/whoami")
        if not isinstance(body, dict):
            raise ApiError("rest", "GET", "/v2/whoami", 200, "answer is not a JSON object")
        return body

    # ------------------------------------------------------------------ members (docs/sigma-api.md §2)

    def get_member(self, member_id: str) -> dict[str, Any]:
        """``GET /v2/members/{memberId}`` -> member object (§2.2); :class:`ApiError` for another shape."""
        path = member_path(member_id)
        return _object(self.request("GET", path), "GET", path)

    def update_member(self, member_id: str, body: Mapping[str, Any]) -> dict[str, Any]:
        """``PATCH /v2/members/{memberId}`` with ``body`` (§2.5) -> updated member (``{}`` for an empty answer)."""
        path = member_path(member_id)
        answer = self.request("PATCH", path, json=dict(body))
        return {} if answer is None else _object(answer, "PATCH", path)

    def list_members(self) -> list[dict[str, Any]]:
        """Every member, archived and inactive included, 1,000 per page (§2.3)."""
        return self._paged("/v2/members", {"includeArchived": "true", "includeInactive": "true", "limit": 1000})

    def find_members_by_email(self, email: str) -> list[dict[str, Any]]:
        """``GET /v2/members?email=...&includeArchived&includeInactive`` (exact filter, §2.3), every page."""
        return self._paged(
            "/v2/members",
            {"email": email, "includeArchived": "true", "includeInactive": "true", "limit": 1000},
        )

    # ------------------------------------------------------------------ teams (docs/sigma-api.md §3)

    def list_teams(self) -> list[dict[str, Any]]:
        """``GET /v2/teams``, every page, 1,000 per page -> team objects (§3.1)."""
        return self._paged("/v2/teams", {"limit": 1000})

    def get_team(self, team_id: str) -> dict[str, Any]:
        """``GET /v2/teams/{teamId}`` -> team object (§3.2); :class:`ApiError` for another shape."""
        path = team_path(team_id)
        return _object(self.request("GET", path), "GET", path)

    def list_team_members(self, team_id: str) -> list[dict[str, Any]]:
        """``GET /v2/teams/{teamId}/members``, every page -> ``[{userId, isTeamAdmin, addedBy}]`` (§3.3)."""
        return self._paged(team_members_path(team_id), {"limit": 1000})

    def update_team_members(self, team_id: str, add: list[str], remove: list[str]) -> Any:
        """``PATCH /v2/teams/{teamId}/members`` with ``{"add": [...], "remove": [...]}`` (§3.3)."""
        return self.request(
            "PATCH", team_members_path(team_id), json={"add": list(add), "remove": list(remove)}
        )

    def _paged(self, path: str, params: dict[str, Any]) -> list[dict[str, Any]]:
        """Follow ``nextPage`` cursors; accept a bare array (legacy, §2.3); stop on a repeated cursor (§7).

        :class:`ApiError` when a page is neither ``{"entries": [objects...], "nextPage": string|null}``
        nor an array of objects.
        """
        entries: list[dict[str, Any]] = []
        seen: set[str] = set()
        page: str | None = None
        while True:
            query = dict(params)
            if page:
                query["page"] = page
            body = self.request("GET", path, params=query)
            if isinstance(body, list):
                return _objects(body, path)
            if not isinstance(body, dict) or not isinstance(body.get("entries", []), list):
                raise ApiError("rest", "GET", path, 200,
                               f"answer is a JSON {_json_kind(body)}, not a page {{entries: [...], nextPage}}")
            entries.extend(_objects(body.get("entries") or [], path))
            page = body.get("nextPage")
            if page is not None and not isinstance(page, str):
                raise ApiError("rest", "GET", path, 200, f"nextPage is a JSON {_json_kind(page)}, not a string")
            if not page:
                return entries
            if page in seen:
                raise ApiError("rest", "GET", path, 200, f"pagination cursor {page!r} repeated")
            seen.add(page)

    def close(self) -> None:
        self._http.close()


def _object(body: Any, method: str, path: str) -> dict[str, Any]:
    """``body`` when it is a JSON object, else :class:`ApiError` naming the endpoint."""
    if not isinstance(body, dict):
        raise ApiError("rest", method, path, 200, f"answer is a JSON {_json_kind(body)}, not an object")
    return body


def _objects(entries: list[Any], path: str) -> list[dict[str, Any]]:
    """``entries`` when every one is a JSON object, else :class:`ApiError` naming the first other one."""
    for i, entry in enumerate(entries):
        if not isinstance(entry, dict):
            raise ApiError("rest", "GET", path, 200, f"entry {i + 1} is a JSON {_json_kind(entry)}, not an object")
    return entries
