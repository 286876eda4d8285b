"""``sigma-migrate fetch``: pull a complete Sigma export over the REST v2 (and SCIM) APIs.

Writes the export directory layout :mod:`planner.sources` reads (issue 2):

=========================  ==================================================================
``members.json``           ``{"entries": [every member], "nextPage": null}``: all pages of
                           ``GET /v2.1/members?limit=1000&includeArchived=true&includeInactive=true``
                           (docs/sigma-api.md §2.3, §9)
``teams.json``             ``{"entries": [every team], "nextPage": null}`` from ``GET /v2.1/teams``
``team_members.json``      ``{teamId: {"entries": [{userId, isTeamAdmin, addedBy}], "nextPage": null,
                           "total": n}}`` from ``GET /v2/teams/{teamId}/members`` (§3.3)
``account_types.json``     ``{"entries": [...]}`` from ``GET /v2/accountTypes`` (§4.1)
``scim/Users.json``        with a SCIM token: a ListResponse of every SCIM User (RFC 7644 §3.4.2)
``scim/Groups.json``       with a SCIM token: a ListResponse of every SCIM Group
``fetch-manifest.json``    whether Sigma's SCIM state was read (``scimState``: ``read``, ``left_out``
                           with ``--no-scim-state``, ``not_read``) and each file's records (``files``),
                           :mod:`planner.sources.manifest`
=========================  ==================================================================

Without a SCIM token, a fetch that something says needs Sigma's SCIM state (the policy, a SCIM
URL, members only SCIM makes inactive: :class:`ScimStateRule`) stops, unless ``--no-scim-state``.

Everything is read first and written at the end, so a failed fetch leaves no
half-written export. Pagination follows ``nextPage`` / ``nextPageToken`` /
``startIndex``; every listing passes the shared completeness check
(:class:`planner.listing.Listing`, issue 14 C.6): a repeated id (a server that
ignores the cursor or ``startIndex`` and serves a page again), a repeated cursor
(docs/sigma-api.md §7, the terraform provider's guard), a chain of empty pages, or an
announced ``total`` / ``totalResults`` other than what was received stops the
fetch with ``incomplete listing of members: 50 of 120 received``. Requests are retried by apply's
mechanism (:class:`planner.execute.retry.RetryTransport`): 429 after ``Retry-After``, capped at
:attr:`planner.execute.retry.RetryPolicy.retry_after_cap` and held for every request to that server
(REST and SCIM alike when they share it); 5xx and network errors with backoff; a wait of 10 s or
more is said while it happens (the line apply prints); a request that still fails is apply's line
(``REST GET /v2.1/members: 503 internal_error: ... (after 6 tries)``). The REST token is apply's
(:mod:`planner.execute.token`: its request retried the same way, each try sent with a live token),
and a 401 re-mints it once. The base URL must be https, except on a loopback host
(the sandbox), and is checked before any request (:func:`planner.httpio.check_base_url`).
Each request has an overall deadline (:class:`planner.httpio.DeadlineTransport`);
answers of the wrong shape (a token answer that is not an object with an
``access_token``, a page without an ``entries`` array of objects, a SCIM
ListResponse without ``Resources``) are a :class:`FetchError` naming the
endpoint. Every message is redacted (:mod:`planner.redaction`): the client
secret, the SCIM token and the minted access token never print.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

import httpx2

from . import httpio
from .errors import UserError
from .execute.errors import ApiError, unreachable
from .execute.retry import (RetryPolicy, RetryTransport, Throttle, give_up_hint, long_wait_notice, origin_of,
                            tries_of, tries_spent)
from .execute.token import (
    NOT_JSON,
    REFUSAL_HINT,
    AccessToken,
    BearerTransport,
    bearer_of,
    content_type,
    error_envelope,
    json_body,
    json_kind,
)
from .listing import Listing, entry_id
from .model import SCIM_STATE_LEFT_OUT, SCIM_STATE_NOT_READ, SCIM_STATE_READ
from .rules.preflight import made_inactive_by_scim
from .sources.manifest import FETCH_FILE_NAME, fetch_manifest_document
from .output import write_all
from .redaction import Redactor, clip

REGIONS: dict[str, str] = {
    "gcp-us": "https://api.sigmacomputing.com",
    "gcp-sa": "https://api.sa.gcp.sigmacomputing.com",
    "aws-us-west": "https://aws-api.sigmacomputing.com",
    "aws-us-east": "https://api.us-a.aws.sigmacomputing.com",
    "aws-ca": "https://api.ca.aws.sigmacomputing.com",
    "aws-eu": "https://api.eu.aws.sigmacomputing.com",
    "aws-au": "https://api.au.aws.sigmacomputing.com",
    "aws-uk": "https://api.uk.aws.sigmacomputing.com",
    "azure-us": "https://api.us.azure.sigmacomputing.com",
    "azure-eu": "https://api.eu.azure.sigmacomputing.com",
    "azure-ca": "https://api.ca.azure.sigmacomputing.com",
    "azure-uk": "https://api.uk.azure.sigmacomputing.com",
    "azure-au": "https://api.au.azure.sigmacomputing.com",
}
"""REST API base URL per cloud/region (docs/sigma-api.md §1.3)."""

PAGE_LIMIT = 1000
"""Page size asked of the REST list endpoints (their maximum, §2.3)."""

SCIM_PAGE = 100
"""``count`` asked of SCIM list requests."""


class FetchError(UserError):
    """The fetch cannot go on: bad URL or credentials, an API error, a looping cursor."""


def region_base_url(name: str) -> str:
    """The REST base URL of a region name of :data:`REGIONS`; :class:`FetchError` for an unknown one."""
    try:
        return REGIONS[name]
    except KeyError:
        raise FetchError(f"--region {name!r} is not one of {', '.join(REGIONS)}") from None


is_loopback = httpio.is_loopback_host


def check_base_url(url: str, what: str = "--base-url") -> str:
    """Return ``url`` without a trailing slash, or :class:`FetchError` (:func:`planner.httpio.check_base_url`:
    it must parse, be absolute http(s) without credentials, query or fragment, https unless loopback)."""
    return httpio.check_base_url(url, what, FetchError)


class ApiReader:
    """A small reading client for Sigma's REST API (bearer from client credentials) or SCIM (static bearer).

    Every request, the token request included, goes through apply's retries
    (:class:`~planner.execute.retry.RetryTransport`): 429 after ``Retry-After`` (capped at
    :attr:`~planner.execute.retry.RetryPolicy.retry_after_cap`, held for every request to the server
    by ``throttle``), 5xx and network errors with backoff; each wait of
    :data:`~planner.execute.retry.LONG_WAIT_SECONDS` or more is told to ``note``
    (:func:`~planner.execute.retry.long_wait_line`). A request that fails for good is a
    :class:`FetchError` whose line is apply's (:class:`~planner.execute.errors.ApiError`:
    ``REST GET /v2.1/members: 503 internal_error: ... (after 6 tries)``).

    :param base_url: checked with :func:`check_base_url`.
    :param token: a static bearer token (SCIM), or ``None`` to mint one from
        ``client_id``/``client_secret`` at ``{base_url}/v2/auth/token`` (REST).
    :param attempts: tries per request for 429 / 5xx / network errors.
    :param sleep: how to wait, and ``clock`` what time it is (tests pass a fake pair).
    :param throttle: the ``Retry-After`` hold shared with another reader of the same server
        (:func:`~planner.execute.retry.origin_of`); default: one of its own.
    :param note: hears each long wait before a retry (one line); default: nobody.
    :param transport: replaces the network transport (tests of answers no server gives);
        default: a :class:`~planner.httpio.DeadlineTransport` of ``deadline`` seconds per request.
    :param deadline: seconds one request may take at most, body included.
    """

    def __init__(
        self,
        base_url: str,
        *,
        client_id: str | None = None,
        client_secret: str | None = None,
        token: str | None = None,
        attempts: int = 6,
        timeout: float = 60.0,
        deadline: float = httpio.DEFAULT_DEADLINE,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        throttle: Throttle | None = None,
        note: Callable[[str], None] | None = None,
        transport: httpx2.BaseTransport | None = None,
    ) -> None:
        self.base_url = check_base_url(base_url)
        self._static = token
        self.api = "scim" if token is not None else "rest"
        self.policy = RetryPolicy(max_attempts=attempts)
        self.redact = Redactor((token,))
        self.redact.add_pair(client_id, client_secret)
        inner = transport or httpio.DeadlineTransport(deadline)
        bearer = BearerTransport(inner) if token is None else None  # REST: each try carries the token in hand
        self.transport = RetryTransport(bearer or inner, policy=self.policy, throttle=throttle or Throttle(clock, sleep),
                                        sleep=sleep, clock=clock, listener=long_wait_notice(note))
        self.http = httpx2.Client(base_url=self.base_url, timeout=timeout, transport=self.transport)
        self.token: AccessToken | None = None
        if bearer is not None:  # the token of planner.execute.token, minted through the same retries
            self.token = AccessToken(self.http, client_id or "", client_secret or "", redactor=self.redact,
                                     refusal_hint=f"{REFUSAL_HINT} and the region", retry_policy=self.policy,
                                     sleep=sleep)
            bearer.token = self.token

    def close(self) -> None:
        self.http.close()

    def get(self, path: str, params: dict[str, Any] | None = None) -> Any:
        """GET ``{base_url}{path}`` and return its JSON; a non-2xx answer, no answer after the retries, an
        answer that is not JSON, or a token that cannot be minted (:mod:`planner.execute.token`), is a
        :class:`FetchError` (:meth:`_failure`)."""
        url = f"{self.base_url}{path}"
        headers = {"Authorization": f"Bearer {self._static}"} if self._static is not None else None
        try:
            for retry_auth in (True, False):
                try:
                    response = self.http.get(url, params=params, headers=headers)
                except httpx2.TransportError as exc:
                    raise FetchError(self._failure(ApiError(
                        self.api, "GET", path, None, self.redact(unreachable(self.base_url, exc)),
                        tries=tries_spent(None, self.policy)))) from None
                if response.status_code == 401 and retry_auth and self.token is not None:
                    self.token.renew(bearer_of(response))
                    continue
                break
        except ApiError as exc:  # the token request (AccessToken)
            raise FetchError(self._failure(exc)) from None
        status = response.status_code
        if status // 100 != 2:
            message, code = error_envelope(response)
            raise FetchError(self._failure(ApiError(self.api, "GET", path, status, self.redact(message), code,
                                                    tries=tries_of(response, self.policy))))
        body = json_body(response)
        if body is NOT_JSON:
            raise FetchError(self._failure(ApiError(self.api, "GET", path, status,
                                                    f"answer is not JSON ({content_type(response)})")))
        return body

    def _failure(self, exc: ApiError) -> str:
        """The line of a request that failed for good: apply's (``str(exc)``, after a 429 with what to do,
        :func:`~planner.execute.retry.give_up_hint`), and for one that got no
        answer what to check: ``REST GET /v2/members: network error: 127.0.0.1: ... (after 6 tries); check
        --base-url / --region and the network``."""
        if exc.status is not None:
            return f"{exc}{give_up_hint(exc.status)}"
        where = "--base-url / --region" if self.api == "rest" else "--scim-base-url"
        return clip(self.redact(f"{exc}; check {where} and the network"), 600)

    def pages(self, path: str, params: dict[str, Any], *, what: str, id_key: str,
              cursor_param: str = "page", next_key: str = "nextPage") -> Iterator[dict[str, Any]]:
        """Yield each page (``{"entries": [...], ...}``) of a cursor-paginated list, checked whole.

        :param what: the plural noun of the entries, for messages (``"members"``).
        :param id_key: the key of an entry's id (``"memberId"``), checked for repeats.

        A bare JSON array answer is one page. Every page goes through a
        :class:`~planner.listing.Listing`; after the last page (no ``next_key``),
        the ``total`` the API announced (docs/sigma-api.md §2.3, optional) must equal
        the entries received. Raises :class:`~planner.listing.IncompleteListing`
        (a :class:`UserError`) on a repeated id or cursor, an empty-page chain or
        a count mismatch; :class:`FetchError` on an answer of another shape.
        """
        listing = Listing(what, f"GET {path}", id_of=lambda entry: entry_id(entry, id_key))
        cursor: str | None = None
        total: int | None = None
        while True:
            query = dict(params)
            if cursor:
                query[cursor_param] = cursor
            body = self.get(path, query)
            if isinstance(body, list):
                listing.add_page(_objects(body, path))
                yield {"entries": listing.finish()}
                return
            if not isinstance(body, dict) or not isinstance(body.get("entries"), list):
                raise FetchError(f"GET {path}: expected {{entries: [...]}} or an array, got a JSON {json_kind(body)}")
            _objects(body["entries"], path)
            cursor = body.get(next_key)
            if cursor is not None and not isinstance(cursor, str):
                raise FetchError(f"GET {path}: {next_key} is a JSON {json_kind(cursor)}, not a string")
            listing.add_page(body["entries"], cursor)
            if isinstance(body.get("total"), int) and not isinstance(body.get("total"), bool):
                total = body["total"]
            if not cursor:
                listing.finish(total)
            yield body
            if not cursor:
                return

    def scim_list(self, endpoint: str) -> list[dict[str, Any]]:
        """Every resource of a SCIM endpoint (``/Users``), paged with ``startIndex``/``count``.

        RFC 7644 §3.4.2.4: pages are asked until ``totalResults`` resources came;
        an empty page before that, a resource id seen on an earlier page (a
        server that ignores ``startIndex``), or a last ``totalResults`` other than
        the count received raises :class:`~planner.listing.IncompleteListing`
        (``GET /Users: incomplete listing of SCIM resources: 50 of 120 received``).
        """
        listing = Listing(f"SCIM {endpoint.strip('/')}", f"GET {endpoint}")
        start = 1
        while True:
            body = self.get(endpoint, {"startIndex": start, "count": SCIM_PAGE})
            if not isinstance(body, dict):
                raise FetchError(f"GET {endpoint}: expected a SCIM ListResponse object, got a JSON {json_kind(body)}")
            page = body.get("Resources") or body.get("resources") or []
            total = body.get("totalResults") or 0
            if not isinstance(page, list) or isinstance(total, bool) or not isinstance(total, int):
                raise FetchError(f"GET {endpoint}: ListResponse needs a Resources array and an integer "
                                 f"totalResults (RFC 7644 §3.4.2), got {json_kind(page)} and {json_kind(total)}")
            _objects(page, endpoint)
            more = bool(page) and len(listing.items) + len(page) < total
            listing.add_page(page, f"startIndex={start + len(page)}" if more else None)
            if not more:
                return listing.finish(total)
            start += len(page)


def _objects(entries: list[Any], path: str) -> list[dict[str, Any]]:
    """``entries`` when each is a JSON object, else :class:`FetchError` naming the first other one."""
    for i, entry in enumerate(entries):
        if not isinstance(entry, dict):
            raise FetchError(f"GET {path}: entry {i + 1} is a JSON {json_kind(entry)}, not an object")
    return entries


def member_state_counts(members: list[dict[str, Any]]) -> tuple[int, int]:
    """``(archived, inactive)``: how many of the ``/v2.1/members`` entries ``members`` have
    ``isArchived`` / ``isInactive`` ``true``, read as the loader reads them (docs/formats.md §0.6, §1b):
    the JSON literal only, an absent field is ``false``.

    Raises :class:`FetchError` for a field present with anything else (``"false"``, ``0``, ``null``),
    naming the member, its position and the value: the loader would refuse the file with an
    ``unreadable-status`` error, so fetch refuses the answer before writing it.
    """
    counts = {"isArchived": 0, "isInactive": 0}
    for n, member in enumerate(members, 1):
        for field in counts:
            value = member.get(field, False)
            if value is True:
                counts[field] += 1
            elif value is not False:
                raise FetchError(
                    f"GET /v2.1/members: member {n} ({member.get('memberId')!r}) has {field} {json.dumps(value)}, "
                    f"not true or false: whether the member is {field[2:].lower()} cannot be read")
    return counts["isArchived"], counts["isInactive"]


@dataclass(frozen=True)
class FetchSummary:
    """What :func:`fetch_export` wrote: counts and the files."""

    members: int
    archived: int
    inactive: int
    teams: int
    memberships: int
    account_types: int
    scim_users: int | None
    scim_groups: int | None
    files: tuple[str, ...]
    scim_state: str = SCIM_STATE_READ
    """What ``fetch-manifest.json`` says: ``read``, ``left_out`` or ``not_read`` (:mod:`planner.sources.manifest`)."""


class _Progress:
    """rich progress on stderr when asked, else nothing."""

    def __init__(self, enabled: bool) -> None:
        self.bar = None
        if enabled:
            from rich.console import Console
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

            self.bar = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                                TimeElapsedColumn(), console=Console(stderr=True), transient=False)

    def __enter__(self) -> _Progress:
        if self.bar is not None:
            self.bar.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        if self.bar is not None:
            self.bar.stop()

    def task(self, description: str, total: int | None = None) -> Any:
        return self.bar.add_task(description, total=total) if self.bar is not None else None

    def advance(self, task: Any, n: int = 1, total: int | None = None) -> None:
        if self.bar is not None and task is not None:
            if total is not None:
                self.bar.update(task, total=total)
            self.bar.advance(task, n)


SCIM_STATE_NEEDED = (", so the export needs Sigma's SCIM state: set SIGMA_SCIM_TOKEN (the SCIM bearer token), or "
                     "pass --no-scim-state to fetch without it (a re-plan then cannot see what SCIM already did)")
"""The end of every refusal of a fetch without ``SIGMA_SCIM_TOKEN`` (:meth:`ScimStateRule.refusal`)."""


@dataclass(frozen=True)
class ScimStateRule:
    """Whether a fetch without ``SIGMA_SCIM_TOKEN`` may leave Sigma's SCIM state out (tester6 finding 14).

    ``policy_path``, ``previous_scim`` and ``policy_scim_base_url``: the ``--policy``'s path,
    ``preflight.previous_scim`` and ``targets.scim_base_url`` (``""``, ``"unknown"``, ``None`` without
    one); ``scim_base_url``: a SCIM Directory Base URL given to fetch (``--scim-base-url`` /
    ``SIGMA_SCIM_BASE_URL``); ``left_out``: ``--no-scim-state`` (the admin leaves it out on purpose, never
    refused). What Sigma itself can show without the token is read too (:meth:`refusal`).
    """

    policy_path: str = ""
    previous_scim: str = "unknown"
    policy_scim_base_url: str | None = None
    scim_base_url: str | None = None
    left_out: bool = False

    def refusal(self, scim_inactive: int = 0) -> str | None:
        """Why the fetch must stop, or ``None``: the first that applies of the policy saying SCIM is on
        (:func:`planner.rules.scim_state.scim_on`: ``same_setup``, ``targets.scim_base_url``), a SCIM
        Directory Base URL given, and ``scim_inactive`` members SCIM made inactive
        (:func:`planner.rules.preflight.made_inactive_by_scim`, counted in the REST answer) that the policy
        does not explain with ``previous_scim: removed_by_support``. That count is all a REST answer shows
        of SCIM: no field marks an active member SCIM-managed or a team made by SCIM (docs/sigma-api.md
        §2.2, §3.2); and an answering SCIM endpoint proves nothing (the Directory Base URL is not
        published, §10.1, and the sandbox always serves one). The line ends with :data:`SCIM_STATE_NEEDED`."""
        from .rules.scim_state import scim_on

        if self.left_out:
            return None
        why = scim_on(self.policy_path, self.previous_scim, self.policy_scim_base_url)
        if why is None and self.scim_base_url:
            why = "a SCIM Directory Base URL is given (--scim-base-url or SIGMA_SCIM_BASE_URL)"
        if why is None and scim_inactive and self.previous_scim != "removed_by_support":
            why = (f"GET /v2.1/members: {scim_inactive} member(s) are inactive (isInactive), a state only SCIM "
                   "gives (docs/sigma-api.md §2.2): SCIM is or was set up in this organization (if Sigma support "
                   "removed that setup, say so: --policy with preflight.previous_scim: removed_by_support)")
        return None if why is None else why + SCIM_STATE_NEEDED


def fetch_export(
    out_dir: str | Path,
    *,
    base_url: str,
    client_id: str,
    client_secret: str,
    scim_token: str | None = None,
    scim_base_url: str | None = None,
    scim_state: ScimStateRule | None = None,
    progress: bool = False,
    note: Callable[[str], None] | None = None,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> FetchSummary:
    """Fetch members, teams, team members, account types (and SCIM Users/Groups) into ``out_dir``.

    ``scim_base_url`` defaults to ``{base_url}/scim/v2`` (the sandbox's layout;
    Sigma's real Directory Base URL must be given, docs/sigma-api.md §10.1). Raises
    :class:`FetchError` on any API failure, before writing anything. ``out_dir`` must exist;
    the files appear all together (:func:`planner.output.write_all`; ``scim/`` is created in
    ``out_dir`` when SCIM is read), else :class:`planner.output.OutputError`. ``note`` hears each long
    wait before a retry (:class:`ApiReader`); the REST and SCIM readers of one server share one
    ``Retry-After`` hold, as apply's clients do (:func:`~planner.execute.retry.origin_of`).

    Without ``scim_token``, ``scim_state`` (default: no policy, nothing given) decides, once the members
    are read, whether the state may be left out (:meth:`ScimStateRule.refusal`): else :class:`FetchError`,
    nothing written. ``fetch-manifest.json`` records what was done (:mod:`planner.sources.manifest`:
    ``scimState`` ``read``, ``left_out`` for ``--no-scim-state``, else ``not_read``).
    """
    if scim_token and scim_base_url is None:
        guessed_scim_url(base_url)
    rule = scim_state or ScimStateRule(scim_base_url=scim_base_url)
    out = Path(out_dir)
    throttle = Throttle(clock, sleep)
    rest = ApiReader(base_url, client_id=client_id, client_secret=client_secret, sleep=sleep, clock=clock,
                     throttle=throttle, note=note)
    try:
        with _Progress(progress) as bar:
            types = _listed(rest, bar, "account types", "/v2/accountTypes", {"pageSize": PAGE_LIMIT},
                            id_key="accountTypeId", cursor_param="pageToken", next_key="nextPageToken")
            members = _listed(rest, bar, "members", "/v2.1/members",
                              {"limit": PAGE_LIMIT, "includeArchived": "true", "includeInactive": "true"},
                              id_key="memberId")
            if not scim_token:  # what the members show of SCIM: refused before the teams are read
                refusal = rule.refusal(sum(made_inactive_by_scim(m.get("isInactive") is True,
                                                                 m.get("isArchived") is True) for m in members))
                if refusal is not None:
                    raise FetchError(refusal)
            teams = _listed(rest, bar, "teams", "/v2.1/teams", {"limit": PAGE_LIMIT}, id_key="teamId")
            team_members = _team_members(rest, bar, teams)
            scim_users, scim_groups = (None, None) if not scim_token else _scim_state(_scim_reader(
                rest, throttle, scim_token, scim_base_url, sleep=sleep, clock=clock, note=note), bar)
    finally:
        rest.close()

    archived, inactive = member_state_counts(members)  # before writing: an unreadable state refuses the answer
    state = (SCIM_STATE_READ if scim_users is not None
             else SCIM_STATE_LEFT_OUT if rule.left_out else SCIM_STATE_NOT_READ)
    files = export_files(types, members, teams, team_members, scim_users, scim_groups, state)
    if scim_users is not None:
        (out / "scim").mkdir(exist_ok=True)  # the export's own layout, inside the output directory
    write_all({out / name: export_text(data) for name, data in files.items()})
    written = [str(out / name) for name in files]
    return FetchSummary(
        members=len(members),
        archived=archived,
        inactive=inactive,
        teams=len(teams),
        memberships=sum(len(v["entries"]) for v in team_members.values()),
        account_types=len(types),
        scim_users=None if scim_users is None else len(scim_users),
        scim_groups=None if scim_groups is None else len(scim_groups),
        files=tuple(written),
        scim_state=state,
    )


def _listed(rest: ApiReader, bar: _Progress, what: str, path: str, params: dict[str, Any], *, id_key: str,
            **paging: str) -> list[dict[str, Any]]:
    """Every entry of a paged REST listing (:meth:`ApiReader.pages`: checked whole, ``FetchError`` or
    ``IncompleteListing`` else), ``what`` its progress bar's task (out of the page's ``total`` when
    announced); ``paging``: ``cursor_param`` / ``next_key`` when the endpoint's differ."""
    entries: list[dict[str, Any]] = []
    task = bar.task(what)
    for page in rest.pages(path, params, what=what, id_key=id_key, **paging):
        entries += page["entries"]
        bar.advance(task, len(page["entries"]), total=page.get("total") or len(entries))
    return entries


def _team_members(rest: ApiReader, bar: _Progress, teams: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """``{teamId: {"entries": [...], "nextPage": None, "total": n}}``: every member of every team
    (``GET /v2/teams/{teamId}/members``, docs/sigma-api.md §3.3), read whole; a team without a
    ``teamId`` string is a :class:`FetchError` (its members cannot be read)."""
    team_members: dict[str, dict[str, Any]] = {}
    task = bar.task("team members", total=len(teams))
    for n, team in enumerate(teams, 1):
        if not isinstance(team.get("teamId"), str) or not team["teamId"]:
            raise FetchError(f"GET /v2.1/teams: team {n} has no teamId string; cannot read its members")
        entries: list[dict[str, Any]] = []
        path = f"/v2/teams/{quote(str(team['teamId']), safe='')}/members"
        for page in rest.pages(path, {"limit": PAGE_LIMIT}, what=f"members of team {team['teamId']}",
                               id_key="userId"):
            entries += page["entries"]
        team_members[str(team["teamId"])] = {"entries": entries, "nextPage": None, "total": len(entries)}
        bar.advance(task)
    return team_members


def guessed_scim_url(base_url: str) -> str:
    """``{base_url}/scim/v2``, the sandbox's SCIM layout, for a REST ``base_url`` on a loopback host; else
    :class:`FetchError` before any request: the literal form of Sigma's Directory Base URL is not published
    (docs/sigma-api.md §10), so the SCIM token is never sent to a guessed address (tester13 nit 19)."""
    if not is_loopback(urlsplit(base_url).hostname or ""):
        raise FetchError("SIGMA_SCIM_TOKEN is set but no SCIM Directory Base URL is given: pass the one Sigma showed "
                         "when provisioning was set up (--scim-base-url, or --policy with targets.scim_base_url); "
                         "its form is not published, so the token is not sent to a guessed address "
                         "(docs/sigma-api.md §10)")
    return f"{base_url.rstrip('/')}/scim/v2"


def _scim_reader(rest: ApiReader, throttle: Throttle, token: str, base_url: str | None, *,
                 sleep: Callable[[float], None], clock: Callable[[], float],
                 note: Callable[[str], None] | None) -> ApiReader:
    """The reader of Sigma's SCIM service at ``base_url`` (default ``{REST base URL}/scim/v2``, the
    sandbox's layout, on a loopback host only: :func:`guessed_scim_url`), sharing the REST reader's ``Retry-After`` hold when both are one server
    (:func:`~planner.execute.retry.origin_of`)."""
    url = base_url or guessed_scim_url(rest.base_url)
    same_server = origin_of(check_base_url(url, "--scim-base-url")) == origin_of(rest.base_url)
    return ApiReader(url, token=token, sleep=sleep, clock=clock, throttle=throttle if same_server else None,
                     note=note)


def _scim_state(scim: ApiReader, bar: _Progress) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """``(Users, Groups)``: every SCIM resource of both endpoints (:meth:`ApiReader.scim_list`); ``scim``
    is closed after."""
    try:
        task = bar.task("SCIM users and groups", total=2)
        users = scim.scim_list("/Users")
        bar.advance(task)
        groups = scim.scim_list("/Groups")
        bar.advance(task)
        return users, groups
    finally:
        scim.close()


def export_text(document: Any) -> str:
    """How ``fetch`` writes each export file: ``document`` as JSON, indented by one, non-ASCII kept, ending
    with a newline."""
    return json.dumps(document, indent=1, ensure_ascii=False) + "\n"


def export_files(types: list[dict[str, Any]], members: list[dict[str, Any]], teams: list[dict[str, Any]],
                 team_members: dict[str, dict[str, Any]], scim_users: list[dict[str, Any]] | None,
                 scim_groups: list[dict[str, Any]] | None, scim_state: str,
                 fetched_at: str | None = None) -> dict[str, Any]:
    """``{file name: JSON document}`` of the export, in the layout the Sigma loader reads
    (docs/formats.md §1): one page of each listing, the SCIM state as ListResponses (RFC 7644
    §3.4.2) under ``scim/`` when it was read, and ``fetch-manifest.json`` saying ``scim_state`` and each file's
    records as the Sigma loader counts them (:attr:`~planner.model.InputFile.records`: members, teams, every team's
    member entries together, account types, SCIM resources), so a file cut or edited after the fetch is a
    ``manifest-mismatch`` (:func:`planner.sources.manifest.check_counts`; tester21 finding 2). ``team_members``:
    ``{teamId: {"entries", "nextPage": None, "total"}}``; ``fetched_at``: the manifest's ``fetchedAt`` (now when
    not given; bench/generate.py gives a fixed time, so one seed gives the same bytes). What every ``fetch`` writes, and what bench/generate.py writes for its
    organizations."""
    files: dict[str, Any] = {
        "account_types.json": {"entries": types},
        "members.json": {"entries": members, "nextPage": None},
        "teams.json": {"entries": teams, "nextPage": None},
        "team_members.json": team_members,
    }
    counts = {"account_types.json": len(types), "members.json": len(members), "teams.json": len(teams),
              "team_members.json": sum(len(answer["entries"]) for answer in team_members.values())}
    if scim_users is not None and scim_groups is not None:
        for name, resources in (("scim/Users.json", scim_users), ("scim/Groups.json", scim_groups)):
            files[name] = {"schemas": ["urn:ietf:params:scim:api:messages:2.0:ListResponse"],
                           "totalResults": len(resources), "startIndex": 1,
                           "itemsPerPage": len(resources), "Resources": resources}
            counts[name] = len(resources)
    files[FETCH_FILE_NAME] = fetch_manifest_document(scim_state, fetched_at, counts)
    return files
