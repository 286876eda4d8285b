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
an :class:`ApiError` naming the endpoint, never a traceback. A member (``GET
/v2/members/{memberId}``, every entry of every page of ``GET /v2/members``) is read as a
:class:`MemberRecord` (:func:`member_record`, :func:`member_records`): a missing ``email``, an
``isArchived`` of ``"false"``, a page where one member was asked for, or another member than the
one asked for is ``REST GET /v2/members/m3: 200: unexpected answer: ...``, so no caller (apply's
check-first, the stale-plan check, verify, undo) decides on it. Teams (:class:`TeamRecord`) and
the entries of a team's members (:class:`TeamMemberRecord`) are read the same way. Each request has an
overall deadline (:class:`planner.httpio.DeadlineTransport`), and error bodies
are redacted before they are cut (:mod:`planner.redaction`).

Only the calls apply needs are here: whoami, members get/patch/list/list-by-email, a member's
teams, teams list/get, team members list/patch (docs/sigma-api.md §1.3, §2, §3).
"""

from __future__ import annotations

import time
from typing import Annotated, Any, Callable, Mapping

import httpx2
import msgspec

from ..httpio import DEFAULT_DEADLINE, DeadlineTransport
from ..listing import IncompleteListing, Listing, entry_id
from ..redaction import Redactor
from .errors import ApiError, AuthError, IncompleteListingError, unreachable
from .paths import member_path, member_teams_path, team_members_path, team_path
from .retry import RetryPolicy, RetryTransport, tries_of, tries_spent
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

__all__ = ["TOKEN_PATH", "MemberRecord", "SigmaRestClient", "TeamMemberRecord", "TeamRecord", "WhoamiRecord",
           "member_record", "member_records", "team_member_records", "team_record", "team_records", "whoami_record"]


class WhoamiRecord(msgspec.Struct, frozen=True, rename="camel", gc=False):
    """The answer of ``GET /v2/whoami`` (docs/sigma-api.md §1.3; Sigma's spec: ``userId``,
    ``organizationId``, and ``accountType`` by Sigma's skills doc), typed for what apply reads:
    ``userId``, the memberId of the member the REST credentials belong to (deactivating or
    downgrading them kills the credentials, §1.2), and ``organizationId``, the organization the API
    serves: both non-empty strings. ``accountType`` is a string or ``null`` (absent: ``null``); other
    fields are ignored. Decoded strictly by :func:`whoami_record`, which raises :class:`ApiError`."""

    user_id: Annotated[str, msgspec.Meta(min_length=1)]
    organization_id: Annotated[str, msgspec.Meta(min_length=1)]
    account_type: str | None = None


WHOAMI_PATH = "/v2/whoami"
ACCOUNT_TYPES_PATH = "/v2/accountTypes"
"""The credential owner and organization (docs/sigma-api.md §1.3)."""


class MemberRecord(msgspec.Struct, frozen=True, rename="camel", gc=False):
    """A Sigma member as REST v2 answered it (docs/sigma-api.md §2.2: ``GET /v2/members/{memberId}``
    and the entries of ``GET /v2/members``), typed for what apply reads: ``memberId`` (a non-empty
    string), ``email`` (a string), ``isArchived`` and ``isInactive`` (booleans), ``memberType``,
    ``userKind``, ``firstName``, ``lastName`` (strings or ``null``). Other fields
    (``organizationId``, timestamps, ...) are ignored.

    Sigma's schema leaves ``isArchived``/``isInactive`` optional (docs/sigma-api.md §2.2): absent,
    they read as ``false``, as the export loader reads them (:mod:`planner.sources.sigma`); present,
    they must be JSON booleans (``"false"`` is refused, as ``null`` is). Decoded strictly by
    :func:`member_record` / :func:`member_records`, which raise :class:`ApiError`."""

    member_id: Annotated[str, msgspec.Meta(min_length=1)]
    email: str
    is_archived: bool = False
    is_inactive: bool = False
    member_type: str | None = None
    user_kind: str | None = None
    first_name: str | None = None
    last_name: str | None = None

    def image(self) -> dict[str, Any]:
        """The member as a JSON object by its REST field names (every field of this record, an absent
        name ``null``): the before-image the journal keeps (undo reads its ``email``) and the live
        state the stale-plan check compares (:func:`planner.execute.stale.compare`)."""
        return msgspec.to_builtins(self)


class TeamRecord(msgspec.Struct, frozen=True, rename="camel", gc=False):
    """A Sigma team as REST v2 answered it (docs/sigma-api.md §3.2: ``GET /v2/teams/{teamId}`` and the
    entries of ``GET /v2/teams``), typed for what apply reads: ``teamId`` (a non-empty string),
    ``name`` (a string), ``isArchived`` (a boolean; absent: ``false``, as the export loader reads it).
    Other fields (``members``, ``description``, timestamps, ...) are ignored. Decoded strictly by
    :func:`team_record` / :func:`team_records`, which raise :class:`ApiError`."""

    team_id: Annotated[str, msgspec.Meta(min_length=1)]
    name: str
    is_archived: bool = False

    def image(self) -> dict[str, Any]:
        """The team as a JSON object by its REST field names: the live state the stale-plan check
        compares (with the ``memberIds`` of its :class:`TeamMemberRecord` s)."""
        return msgspec.to_builtins(self)


class TeamMemberRecord(msgspec.Struct, frozen=True, rename="camel", gc=False):
    """An entry of ``GET /v2/teams/{teamId}/members`` (docs/sigma-api.md §3.3): ``userId`` (the
    member's memberId, a non-empty string), ``isTeamAdmin`` (a boolean; absent: ``false``),
    ``addedBy`` (a string or ``null``). Decoded strictly by :func:`team_member_records`."""

    user_id: Annotated[str, msgspec.Meta(min_length=1)]
    is_team_admin: bool = False
    added_by: str | None = None

    def image(self) -> dict[str, Any]:
        """The entry as a JSON object by its REST field names (the before-image of ``teams.remove_member``)."""
        return msgspec.to_builtins(self)


def _unexpected(method: str, path: str, what: str) -> ApiError:
    """The :class:`ApiError` of a 2xx answer apply cannot use: ``REST GET /v2/members/m3: 200:
    unexpected answer: <what>`` (``path`` without its query string)."""
    return ApiError("rest", method, path, 200, f"unexpected answer: {what}")


def _record(body: Any, record: type[Any], id_key: str, noun: str, method: str, path: str,
            wanted_id: str | None) -> Any:
    """``body``, one object's answer, decoded as ``record``, its ``id_key`` (the JSON name of its id)
    equal to ``wanted_id`` when given; :class:`ApiError` otherwise (see :func:`member_record`)."""
    if not isinstance(body, dict):
        raise ApiError("rest", method, path, 200, f"answer is a JSON {_json_kind(body)}, not an object")
    if "entries" in body:
        raise _unexpected(method, path, f"a page {{entries: [...]}}, not a {noun}")
    try:
        found = msgspec.convert(body, record)
    except msgspec.ValidationError as exc:
        raise _unexpected(method, path, str(exc)) from None
    got = body[id_key]
    if wanted_id is not None and got != wanted_id:
        raise _unexpected(method, path, f"{id_key} is {got!r}, not {wanted_id!r}")
    return found


def _records(entries: list[dict[str, Any]], record: type[Any], id_key: str, path: str, page: int) -> list[Any]:
    """The entries (JSON objects) of page ``page`` of a listing decoded as ``record`` s, in one
    conversion; :class:`ApiError` naming the first entry that is not one (see :func:`member_records`)."""
    try:
        return msgspec.convert(entries, list[record])  # type: ignore[valid-type]
    except msgspec.ValidationError as refused:
        problem = str(refused)
    for n, entry in enumerate(entries, 1):  # the entry at fault, by its number and id
        try:
            msgspec.convert(entry, record)
        except msgspec.ValidationError as exc:
            entry_id = entry.get(id_key)
            named = f" ({id_key} {entry_id!r})" if isinstance(entry_id, str) and entry_id else ""
            problem = f"entry {n}{f' of page {page}' if page > 1 else ''}{named}: {exc}"
            break
    raise _unexpected("GET", path, problem)


def member_record(body: Any, method: str, path: str, member_id: str | None = None) -> MemberRecord:
    """The :class:`MemberRecord` of one member answer (``GET /v2/members/{memberId}``,
    docs/sigma-api.md §2.2), whose ``memberId`` must be ``member_id`` when given.

    Raises :class:`ApiError` (``unexpected answer: ...``) for a JSON value that is not an object, a
    page (``{"entries": [...]}``) where one member was asked for, a field of the wrong type or
    missing (msgspec's words: ``Object missing required field `email```, ``Expected `bool`, got
    `str` - at `$.isArchived```), or another member than the one asked for
    (``memberId is 'm4', not 'm3'``)."""
    return _record(body, MemberRecord, "memberId", "member", method, path, member_id)


def member_records(entries: list[dict[str, Any]], path: str, page: int = 1) -> list[MemberRecord]:
    """The :class:`MemberRecord` s of the entries (JSON objects) of page ``page`` of a member listing
    (``GET /v2/members``, docs/sigma-api.md §2.3). Raises :class:`ApiError` naming the first entry that
    is not a member: ``unexpected answer: entry 3 (memberId 'm3'): Expected `bool`, got `str` - at
    `$.isArchived``` (``of page 2`` after the entry from the second page on)."""
    return _records(entries, MemberRecord, "memberId", path, page)


def whoami_record(body: Any) -> WhoamiRecord:
    """The :class:`WhoamiRecord` of a ``GET /v2/whoami`` answer (docs/sigma-api.md §1.3). Raises
    :class:`ApiError` (``unexpected answer: ...``) for a JSON value that is not an object, or a
    ``userId`` / ``organizationId`` missing, empty or not a string (msgspec's words: ``Object missing
    required field `userId```)."""
    if not isinstance(body, dict):
        raise ApiError("rest", "GET", WHOAMI_PATH, 200, f"answer is a JSON {_json_kind(body)}, not an object")
    try:
        return msgspec.convert(body, WhoamiRecord)
    except msgspec.ValidationError as exc:
        raise _unexpected("GET", WHOAMI_PATH, str(exc)) from None


def team_record(body: Any, method: str, path: str, team_id: str | None = None) -> TeamRecord:
    """The :class:`TeamRecord` of one team answer (``GET /v2/teams/{teamId}``, docs/sigma-api.md §3.2),
    whose ``teamId`` must be ``team_id`` when given; :class:`ApiError` as :func:`member_record`."""
    return _record(body, TeamRecord, "teamId", "team", method, path, team_id)


def team_records(entries: list[dict[str, Any]], path: str, page: int = 1) -> list[TeamRecord]:
    """The :class:`TeamRecord` s of a page of ``GET /v2/teams`` (§3.1); :class:`ApiError` as
    :func:`member_records`."""
    return _records(entries, TeamRecord, "teamId", path, page)


def team_member_records(entries: list[dict[str, Any]], path: str, page: int = 1) -> list[TeamMemberRecord]:
    """The :class:`TeamMemberRecord` s of a page of ``GET /v2/teams/{teamId}/members`` (§3.3): an entry
    without a ``userId`` string is never read as "not in the team"; :class:`ApiError` as
    :func:`member_records`."""
    return _records(entries, TeamMemberRecord, "userId", path, page)


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
                                 min_interval=min_token_interval, retry_policy=self.transport.policy,
                                 clock=clock, sleep=sleep)
        bearer.token = self.token  # every attempt, retries included, carries the token in hand

    # ------------------------------------------------------------------ token

    @property
    def tokens_minted(self) -> int:
        """Access tokens minted so far (:class:`planner.execute.token.AccessToken`)."""
        return self.token.minted

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
                raise ApiError("rest", method, path, None, self.redactor(unreachable(self.base_url, exc)),
                               tries=tries_spent(None, self.transport.policy)) from None
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
            raise ApiError("rest", method, path, response.status_code, self.redactor(message), code,
                           tries=tries_of(response, self.transport.policy))
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

    def whoami(self) -> WhoamiRecord:
        """``GET /v2/whoami`` -> :class:`WhoamiRecord`: the member the credentials belong to and the
        organization the API serves (docs/sigma-api.md §1.3). Raises :class:`ApiError`, also for an
        answer of another shape (:func:`whoami_record`)."""
        return whoami_record(self.request("GET", WHOAMI_PATH))

    def account_type_names(self) -> list[str]:
        """``GET /v2/accountTypes`` -> every ``accountTypeName``, in listing order (docs/sigma-api.md §4.1: pages of
        ``pageSize`` up to 1000, ``nextPageToken`` absent on the last one). Raises :class:`ApiError`, also for
        an answer of another shape or a page token that comes twice."""
        names: list[str] = []
        seen: set[str] = set()
        token: str | None = None
        while True:
            params: dict[str, Any] = {"pageSize": 1000}
            if token:
                params["pageToken"] = token
            body = self.request("GET", ACCOUNT_TYPES_PATH, params=params)
            entries = body.get("entries") if isinstance(body, dict) else None
            if not isinstance(entries, list) or not all(
                    isinstance(e, dict) and isinstance(e.get("accountTypeName"), str) for e in entries):
                raise ApiError("rest", "GET", ACCOUNT_TYPES_PATH, 200,
                               "answer is not a page {entries: [{accountTypeName, ...}], nextPageToken}")
            names.extend(e["accountTypeName"] for e in entries)
            token = body.get("nextPageToken")
            if not token:
                return names
            if not isinstance(token, str) or token in seen:
                raise ApiError("rest", "GET", ACCOUNT_TYPES_PATH, 200,
                               f"nextPageToken {token!r} is not a new page token: the listing may be incomplete")
            seen.add(token)

    # ------------------------------------------------------------------ members (docs/sigma-api.md §2)

    def get_member(self, member_id: str) -> MemberRecord:
        """``GET /v2/members/{memberId}`` -> the member (§2.2), read by :func:`member_record`:
        :class:`ApiError` for an answer of another shape or about another member."""
        path = member_path(member_id)
        return member_record(self.request("GET", path), "GET", path, member_id)

    def update_member(self, member_id: str, body: Mapping[str, Any]) -> dict[str, Any]:
        """``PATCH /v2/members/{memberId}`` with ``body`` (§2.5) -> updated member (``{}`` for an empty answer)."""
        path = member_path(member_id)
        answer = self.request("PATCH", path, json=dict(body))
        return {} if answer is None else _object(answer, "PATCH", path)

    def list_members(self) -> list[MemberRecord]:
        """Every member, archived and inactive included, 1,000 per page (§2.3), every entry of every
        page read by :func:`member_records` (:class:`ApiError` for one that is not a member)."""
        return self._paged("/v2/members", {"includeArchived": "true", "includeInactive": "true", "limit": 1000},
                           member_records, what="members", id_key="memberId")

    def find_members_by_email(self, email: str) -> list[MemberRecord]:
        """``GET /v2/members?email=...&includeArchived&includeInactive`` (exact filter, §2.3), every page,
        read as :meth:`list_members` reads it."""
        return self._paged(
            "/v2/members",
            {"email": email, "includeArchived": "true", "includeInactive": "true", "limit": 1000},
            member_records, what=f"members with email {email!r}", id_key="memberId",
        )

    # ------------------------------------------------------------------ teams (docs/sigma-api.md §3)

    def list_teams(self) -> list[TeamRecord]:
        """``GET /v2/teams``, every page, 1,000 per page (§3.1), every entry read by :func:`team_records`."""
        return self._paged("/v2/teams", {"limit": 1000}, team_records, what="teams", id_key="teamId")

    def get_team(self, team_id: str) -> TeamRecord:
        """``GET /v2/teams/{teamId}`` -> the team (§3.2), read by :func:`team_record`: :class:`ApiError`
        for an answer of another shape or about another team."""
        path = team_path(team_id)
        return team_record(self.request("GET", path), "GET", path, team_id)

    def list_team_members(self, team_id: str) -> list[TeamMemberRecord]:
        """``GET /v2/teams/{teamId}/members``, every page (§3.3), every entry read by
        :func:`team_member_records`."""
        return self._paged(team_members_path(team_id), {"limit": 1000}, team_member_records,
                           what=f"members of team {team_id}", id_key="userId")

    def list_member_teams(self, member_id: str) -> list[TeamRecord]:
        """``GET /v2/members/{memberId}/teams``: the teams of one member, every page (docs/sigma-api.md
        §2.1; entries are team objects, docs/formats.md §1d), every entry read by :func:`team_records`.
        Apply's check of a ``teams.remove_member`` reads this (a member is in a few teams) instead of the
        team's own listing (thousands of entries, which the run's other removals change while it is read)."""
        return self._paged(member_teams_path(member_id), {"limit": 1000}, team_records,
                           what=f"teams of member {member_id}", id_key="teamId")

    def update_team_members(self, team_id: str, add: list[str], remove: list[str]) -> Any:
        """``PATCH /v2/teams/{teamId}/members`` with ``{"add": [...], "remove": [...]}`` (§3.3)."""
        return self.request(
            "PATCH", team_members_path(team_id), json={"add": list(add), "remove": list(remove)}
        )

    def _paged(self, path: str, params: dict[str, Any],
               read: Callable[[list[dict[str, Any]], str, int], list[Any]] | None = None, *,
               what: str, id_key: str) -> list[Any]:
        """Follow ``nextPage`` cursors; accept a bare array (legacy, §2.3). ``read(entries, path, page
        number)`` reads each page's entries (e.g. :func:`member_records`); ``None``: the JSON objects
        as they are. ``what`` (``"members"``) and ``id_key`` (``"memberId"``) name the entries.

        The listing must be whole, by fetch's rules (:class:`planner.listing.Listing`, §7): an id
        (``id_key``) or a cursor that comes twice, a chain of empty pages naming a next page, or a
        last ``total`` (optional, §2.3) other than the entries received is an :class:`ApiError`
        (:class:`~planner.execute.errors.IncompleteListingError`: ``REST GET /v2/members: 200: incomplete
        listing of members: 20 of 149 received``), never a
        shorter list (tester6 finding 19: a cut listing read as 121 members gone). So is a page
        that is neither ``{"entries": [objects...], "nextPage": string|null}`` nor an array of
        objects, and an entry ``read`` refuses.
        """
        listing = Listing(what, f"GET {path}", id_of=lambda entry: entry_id(entry, id_key))
        entries: list[Any] = []
        page: str | None = None
        total: int | None = None
        try:
            while True:
                query = dict(params)
                if page:
                    query["page"] = page
                body = self.request("GET", path, params=query)
                if isinstance(body, list):
                    body = {"entries": body}  # the legacy bare array: one page, the last
                if not isinstance(body, dict) or not isinstance(body.get("entries", []), list):
                    raise ApiError("rest", "GET", path, 200,
                                   f"answer is a JSON {_json_kind(body)}, not a page {{entries: [...], nextPage}}")
                objects = _objects(body.get("entries") or [], path)
                page = body.get("nextPage")
                if page is not None and not isinstance(page, str):
                    raise ApiError("rest", "GET", path, 200, f"nextPage is a JSON {_json_kind(page)}, not a string")
                listing.add_page(objects, page)
                entries.extend(read(objects, path, listing.pages) if read is not None else objects)
                announced = body.get("total")
                if isinstance(announced, int) and not isinstance(announced, bool):
                    total = announced
                if not page:
                    listing.finish(total)
                    return entries
        except IncompleteListing as exc:
            raise IncompleteListingError("rest", "GET", path, 200,
                                         str(exc).removeprefix(f"{listing.endpoint}: ")) from None

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
