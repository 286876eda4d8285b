"""The REST API v2 side of the sandbox: a werkzeug WSGI application over the sandbox state.

Endpoints (docs/sigma-api.md §1-§4; shapes of §8):

=====================================================  ==============================================
``POST /v2/auth/token``                                client_credentials (form fields or HTTP Basic)
                                                       and refresh_token grants (§1.1, §1.2)
``GET /v2/whoami``                                     ``{userId, organizationId, accountType}`` (§1.3)
``GET /v2/members``, ``GET /v2.1/members``             list (§2.3): bare array without ``limit`` on
                                                       /v2; ``{entries, nextPage, total}`` otherwise
``POST /v2/members``                                   create (§2.4)
``GET|PATCH|DELETE /v2/members/{memberId}``            get / update (§2.5) / archive (§2.6)
``GET /v2/members/{memberId}/teams``                   teams of a member (paginated)
``GET /v2/teams``, ``GET /v2.1/teams``, ``POST``       list / create (§3)
``GET|PATCH|DELETE /v2/teams/{teamId}``                get (with ``members``) / update / delete
``GET|PATCH /v2/teams/{teamId}/members``               list / ``{add, remove}`` (§3.3)
``GET /v2/accountTypes``                               ``pageToken``/``pageSize`` paging (§4.1)
=====================================================  ==============================================

Every non-2xx answer is Sigma's envelope ``{"message", "code", "requestId"}``
(§2.7). Tokens: an access token lives ``token_lifetime`` seconds (default 3600,
§1.2); a refresh token lives 30 days. A request with a missing, unknown or
expired token is 401 ``unauthorized`` "Token missing or malformed" (§1.2).
The token endpoint answers at most ``token_rate`` requests per second (default
1, §7); faster requests get 429 with ``Retry-After``. The credentials die with
their owner (§1.2: deactivating the owner deactivates the credentials): once the
owner is archived or inactive, the token endpoint and every token answer 401.
The owner must have the Admin account type for member, team and account-type
calls (§1.1), else 403.

Unknown query parameters are ignored (as most HTTP APIs do); unknown body
fields are 400 (strict: a typo must not pass silently). ``limit`` must be
1..1000, booleans ``true``/``false``.
"""

from __future__ import annotations

import base64
import json
import math
import secrets
import threading
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from werkzeug.exceptions import HTTPException, MethodNotAllowed, NotFound as RouteNotFound
from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response

from .request_models import TeamMembersChange, parse_request
from .state import SandboxState
from .store import StateError, decode_cursor, encode_cursor

MAX_LIMIT = 1000
"""Largest ``limit`` / ``pageSize`` (docs/sigma-api.md §2.3, §4.1)."""

DEFAULT_V21_LIMIT = 50
"""Page size of the always-paginated lists when no ``limit`` is given (§2.3: 50 per third parties)."""

REFRESH_LIFETIME = 30 * 24 * 3600
"""Lifetime of a refresh token, seconds (not documented by Sigma; a month is an assumption)."""


class ApiError(Exception):
    """An error answer: HTTP ``status``, envelope ``code`` and ``message``; optional headers."""

    def __init__(self, status: int, code: str, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers or {}


def envelope(status: int, code: str, message: str, headers: dict[str, str] | None = None) -> Response:
    """Sigma's error answer ``{"message", "code", "requestId"}`` (docs/sigma-api.md §2.7)."""
    body = json.dumps({"message": message, "code": code, "requestId": str(uuid.uuid4())})
    return Response(body, status=status, headers=headers, content_type="application/json")


def _json(data: Any, status: int = 200) -> Response:
    return Response(json.dumps(data, separators=(",", ":")), status=status, content_type="application/json")


@dataclass
class _Token:
    client_id: str
    expires_at: float


class Credentials:
    """The sandbox's one REST API credential pair and the tokens minted from it (thread-safe).

    :param client_id: / :param client_secret: what ``POST /v2/auth/token`` accepts.
    :param token_lifetime: access-token lifetime in seconds (``expires_in``).
    :param token_rate: token requests accepted per second (``None`` or 0: unlimited).
    :param clock: wall-clock seconds (tests pass a fake one to expire tokens).
    """

    def __init__(
        self,
        client_id: str,
        client_secret: str,
        *,
        token_lifetime: int = 3600,
        token_rate: float | None = 1.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.client_id = client_id
        self.client_secret = client_secret
        self.token_lifetime = token_lifetime
        self.token_rate = token_rate
        self.clock = clock
        self._lock = threading.Lock()
        self._access: dict[str, _Token] = {}
        self._refresh: dict[str, _Token] = {}
        self._last_token_request: float | None = None

    def issue(self) -> dict[str, Any]:
        """Mint a token pair: the body of a successful token answer (§1.2)."""
        now = self.clock()
        access, refresh = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
        with self._lock:
            self._access[access] = _Token(self.client_id, now + self.token_lifetime)
            self._refresh[refresh] = _Token(self.client_id, now + REFRESH_LIFETIME)
        return {"access_token": access, "refresh_token": refresh, "token_type": "bearer",
                "expires_in": self.token_lifetime}

    def check_rate(self) -> None:
        """429 with ``Retry-After`` when the token endpoint is called faster than ``token_rate``/s."""
        if not self.token_rate:
            return
        now = time.monotonic()
        interval = 1.0 / self.token_rate
        with self._lock:
            last = self._last_token_request
            if last is not None and now - last < interval:
                wait = interval - (now - last)
                raise ApiError(429, "too_many_requests",
                               "Too many token requests; at most one per second",
                               {"Retry-After": str(max(1, math.ceil(wait)))})
            self._last_token_request = now

    def valid_access(self, token: str) -> bool:
        """True when ``token`` is a live access token."""
        with self._lock:
            t = self._access.get(token)
            return t is not None and t.expires_at > self.clock()

    def use_refresh(self, token: str) -> bool:
        """Consume a live refresh token (single use); True when it was one."""
        with self._lock:
            t = self._refresh.pop(token, None)
            return t is not None and t.expires_at > self.clock()

    def expire_all(self) -> None:
        """Make every access token expired now (tests of re-minting on 401)."""
        with self._lock:
            for t in self._access.values():
                t.expires_at = 0.0


def _bool_arg(args: Any, name: str, default: bool = False) -> bool:
    raw = args.get(name)
    if raw is None or raw == "":
        return default
    if raw.lower() == "true":
        return True
    if raw.lower() == "false":
        return False
    raise ApiError(400, "bad_request", f"{name} must be true or false, got {raw!r}")


def _int_arg(args: Any, name: str, default: int | None, *, maximum: int = MAX_LIMIT) -> int | None:
    raw = args.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ApiError(400, "bad_request", f"{name} must be an integer, got {raw!r}") from None
    if not 1 <= value <= maximum:
        raise ApiError(400, "bad_request", f"{name} must be between 1 and {maximum}, got {value}")
    return value


def _body(request: Request) -> dict[str, Any]:
    raw = request.get_data(cache=False)
    if not raw:
        return {}
    try:
        data = json.loads(raw)
    except ValueError:
        raise ApiError(400, "bad_request", "Request body is not valid JSON") from None
    if not isinstance(data, dict):
        raise ApiError(400, "bad_request", "Request body must be a JSON object")
    return data


def _after(args: Any, kind: str, key: str = "page") -> int:
    """Where a paged list resumes: the position in the cursor ``args[key]`` of ``kind``, 0 on the first page.

    Raises :class:`~planner.sandbox.store.BadRequest` for a cursor made for another list (§2.3).
    """
    return decode_cursor(kind, args[key]) if args.get(key) else 0


def _page(entries: list[Any], last: int | None, total: int, kind: str) -> dict[str, Any]:
    return {"entries": entries, "nextPage": encode_cursor(kind, last) if last is not None else None,
            "total": total}


class RestApp:
    """The REST v2 WSGI application (see the module docstring).

    :param state: the shared sandbox state.
    :param credentials: the client credentials and tokens.
    :param page_cap: the page-size fault: returns the largest page to answer, or ``None``.
    """

    def __init__(
        self,
        state: SandboxState,
        credentials: Credentials,
        *,
        page_cap: Callable[[], int | None] = lambda: None,
    ) -> None:
        self.state = state
        self.credentials = credentials
        self.page_cap = page_cap
        v = "/<any('v2','v2.1'):version>"
        self.url_map = Map([
            Rule("/v2/auth/token", endpoint="token", methods=["POST"]),
            Rule("/v2/whoami", endpoint="whoami", methods=["GET"]),
            Rule(f"{v}/members", endpoint="list_members", methods=["GET"]),
            Rule("/v2/members", endpoint="create_member", methods=["POST"]),
            Rule("/v2/members/<member_id>", endpoint="get_member", methods=["GET"]),
            Rule("/v2/members/<member_id>", endpoint="update_member", methods=["PATCH"]),
            Rule("/v2/members/<member_id>", endpoint="delete_member", methods=["DELETE"]),
            Rule("/v2/members/<member_id>/teams", endpoint="member_teams", methods=["GET"]),
            Rule(f"{v}/teams", endpoint="list_teams", methods=["GET"]),
            Rule("/v2/teams", endpoint="create_team", methods=["POST"]),
            Rule("/v2/teams/<team_id>", endpoint="get_team", methods=["GET"]),
            Rule("/v2/teams/<team_id>", endpoint="update_team", methods=["PATCH"]),
            Rule("/v2/teams/<team_id>", endpoint="delete_team", methods=["DELETE"]),
            Rule("/v2/teams/<team_id>/members", endpoint="list_team_members", methods=["GET"]),
            Rule("/v2/teams/<team_id>/members", endpoint="change_team_members", methods=["PATCH"]),
            Rule("/v2/accountTypes", endpoint="account_types", methods=["GET"]),
        ], strict_slashes=False)

    # ------------------------------------------------------------------ plumbing

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        request = Request(environ)
        try:
            adapter = self.url_map.bind_to_environ(environ)
            endpoint, values = adapter.match()
            if endpoint != "token":
                self._authenticate(request)
            if endpoint not in ("token", "whoami"):
                self._require_admin()
            response = getattr(self, f"do_{endpoint}")(request, **values)
        except ApiError as exc:
            response = envelope(exc.status, exc.code, exc.message, exc.headers)
        except StateError as exc:
            response = envelope(exc.status, exc.code, exc.message)
        except MethodNotAllowed as exc:
            response = envelope(405, "method_not_allowed", f"{request.method} is not allowed on {request.path}",
                                {"Allow": ", ".join(exc.valid_methods or ())})
        except RouteNotFound:
            response = envelope(404, "not_found", f"No such endpoint: {request.method} {request.path}")
        except HTTPException as exc:
            response = envelope(exc.code or 500, "error", exc.description or "error")
        return response(environ, start_response)

    def _owner_active(self) -> bool:
        owner = self.state.credential_owner_id
        return owner is None or self.state.is_active_member(owner)

    def _authenticate(self, request: Request) -> None:
        scheme, _, token = (request.headers.get("Authorization") or "").partition(" ")
        if scheme.lower() != "bearer" or not self.credentials.valid_access(token.strip()):
            raise ApiError(401, "unauthorized", "Token missing or malformed")
        if not self._owner_active():
            raise ApiError(401, "unauthorized", "The owner of these API credentials is deactivated")

    def _require_admin(self) -> None:
        owner = self.state.credential_owner_id
        if owner is None:
            return
        row = self.state.member_row(owner)
        if (row["member_type"] or "").casefold() != "admin":
            raise ApiError(403, "forbidden", "These API credentials are not owned by an Admin")

    def _limit(self, requested: int | None) -> int | None:
        cap = self.page_cap()
        if requested is None or cap is None:
            return requested
        return min(requested, cap)

    def _owned_list(
        self, request: Request, kind: str,
        list_page: Callable[..., tuple[list[Any], int | None, int]], owner_id: str,
    ) -> Response:
        """The always-paged list of one member's teams or one team's members.

        ``limit`` defaults to :data:`DEFAULT_V21_LIMIT` (capped by the page-size
        fault), ``page`` is a cursor of ``kind``; the answer is ``{entries,
        nextPage, total}`` (§2.3). ``list_page(owner_id, after=, limit=)`` is the
        :class:`~planner.sandbox.state.SandboxState` query.
        """
        limit = _int_arg(request.args, "limit", DEFAULT_V21_LIMIT)
        after = _after(request.args, kind)
        entries, last, total = list_page(owner_id, after=after, limit=self._limit(limit) or limit)
        return _json(_page(entries, last, total, kind))

    @property
    def actor(self) -> str | None:
        """memberId recorded as ``createdBy``/``updatedBy``/``addedBy`` of REST writes."""
        return self.state.credential_owner_id

    # ------------------------------------------------------------------ auth

    def do_token(self, request: Request) -> Response:
        """``POST /v2/auth/token`` (form body; client id/secret as fields or HTTP Basic)."""
        self.credentials.check_rate()
        form = request.form
        grant = form.get("grant_type")
        if grant == "client_credentials":
            client_id, client_secret = form.get("client_id"), form.get("client_secret")
            auth = request.headers.get("Authorization", "")
            if auth.lower().startswith("basic "):
                try:
                    decoded = base64.b64decode(auth[6:].strip()).decode()
                except (ValueError, UnicodeDecodeError):
                    raise ApiError(401, "unauthorized", "Malformed Basic authorization") from None
                client_id, _, client_secret = decoded.partition(":")
            if not client_id or not client_secret:
                raise ApiError(400, "bad_request", "client_id and client_secret are required")
            # compared as UTF-8 bytes: compare_digest refuses str with non-ASCII characters (a TypeError, a 500),
            # and a pasted character is a wrong secret, 401 (tester13 N7)
            if not (secrets.compare_digest(client_id.encode(), self.credentials.client_id.encode())
                    and secrets.compare_digest(client_secret.encode(), self.credentials.client_secret.encode())):
                raise ApiError(401, "unauthorized", "Invalid client credentials")
        elif grant == "refresh_token":
            token = form.get("refresh_token") or ""
            if not self.credentials.use_refresh(token):
                raise ApiError(401, "unauthorized", "Invalid or expired refresh token")
        else:
            raise ApiError(400, "bad_request", "grant_type must be client_credentials or refresh_token")
        if not self._owner_active():
            raise ApiError(401, "unauthorized", "The owner of these API credentials is deactivated")
        return _json(self.credentials.issue())

    def do_whoami(self, request: Request) -> Response:
        """``GET /v2/whoami``: the credential owner."""
        owner = self.state.credential_owner_id
        account_type = self.state.member_row(owner)["member_type"] if owner else None
        return _json({"userId": owner, "organizationId": self.state.organization_id, "accountType": account_type})

    # ------------------------------------------------------------------ members

    def do_list_members(self, request: Request, version: str) -> Response:
        """``GET /v2/members`` and ``/v2.1/members`` (§2.3)."""
        args = request.args
        if args.get("email") is not None and args.get("search"):
            raise ApiError(400, "bad_request", "search cannot be combined with email")
        limit = _int_arg(args, "limit", DEFAULT_V21_LIMIT if version == "v2.1" else None)
        after = _after(args, "members")
        entries, last, total = self.state.list_members(
            email=args.get("email"),
            search=args.get("search") or None,
            include_archived=_bool_arg(args, "includeArchived"),
            include_inactive=_bool_arg(args, "includeInactive"),
            after=after,
            limit=self._limit(limit),
        )
        if limit is None:
            return _json(entries)
        return _json(_page(entries, last, total, "members"))

    def do_create_member(self, request: Request) -> Response:
        """``POST /v2/members`` (§2.4); ``sendInvite`` is accepted and ignored (no mail here)."""
        _bool_arg(request.args, "sendInvite", True)
        return _json(self.state.create_member(_body(request), actor=self.actor))

    def do_get_member(self, request: Request, member_id: str) -> Response:
        return _json(self.state.get_member(member_id))

    def do_update_member(self, request: Request, member_id: str) -> Response:
        return _json(self.state.update_member(member_id, _body(request), actor=self.actor))

    def do_delete_member(self, request: Request, member_id: str) -> Response:
        self.state.archive_member(member_id, actor=self.actor)
        return _json({})

    def do_member_teams(self, request: Request, member_id: str) -> Response:
        return self._owned_list(request, "member-teams", self.state.member_teams, member_id)

    # ------------------------------------------------------------------ teams

    def do_list_teams(self, request: Request, version: str) -> Response:
        """``GET /v2/teams`` and ``/v2.1/teams`` (§3.1, §3.2)."""
        args = request.args
        limit = _int_arg(args, "limit", DEFAULT_V21_LIMIT if version == "v2.1" else None)
        after = _after(args, "teams")
        entries, last, total = self.state.list_teams(
            name=args.get("name"), description=args.get("description"), visibility=args.get("visibility"),
            after=after, limit=self._limit(limit),
        )
        if limit is None:
            return _json(entries)
        return _json(_page(entries, last, total, "teams"))

    def do_create_team(self, request: Request) -> Response:
        return _json(self.state.create_team(_body(request), actor=self.actor))

    def do_get_team(self, request: Request, team_id: str) -> Response:
        return _json(self.state.get_team(team_id))

    def do_update_team(self, request: Request, team_id: str) -> Response:
        return _json(self.state.update_team(team_id, _body(request), actor=self.actor))

    def do_delete_team(self, request: Request, team_id: str) -> Response:
        self.state.delete_team(team_id)
        return _json({})

    def do_list_team_members(self, request: Request, team_id: str) -> Response:
        return self._owned_list(request, "team-members", self.state.list_team_members, team_id)

    def do_change_team_members(self, request: Request, team_id: str) -> Response:
        change = parse_request(TeamMembersChange, _body(request))
        self.state.change_team_members(team_id, change.add, change.remove, actor=self.actor)
        return _json({})

    # ------------------------------------------------------------------ account types

    def do_account_types(self, request: Request) -> Response:
        """``GET /v2/accountTypes`` with ``pageToken``/``pageSize`` (default 50); ``nextPageToken``
        is absent on the last page (§4.1)."""
        size = _int_arg(request.args, "pageSize", 50) or 50
        size = self._limit(size) or size
        start = _after(request.args, "account-types", "pageToken")
        types = self.state.account_types()
        page: dict[str, Any] = {"entries": types[start:start + size]}
        if start + size < len(types):
            page["nextPageToken"] = encode_cursor("account-types", start + size)
        return _json(page)
