"""A local emulator of Okta's Management API: users, groups, group members (docs/formats.md §2a-§2c).

Follows Okta's documented behaviour where ``fetch-idp`` depends on it:

- ``Authorization: SSWS <token>``; another answers 401 ``E0000011`` "Invalid token provided".
- ``GET /api/v1/users``: without ``search``/``filter`` the list leaves ``DEPROVISIONED``
  users out; ``search`` (or ``filter``) takes ``status eq "X"`` clauses joined by
  ``or`` (anything else: 400 ``E0000031``). ``limit`` (at most 200) and the ``after``
  cursor (the last id of the previous page); the next page is in a
  ``Link: <...>; rel="next"`` header, on every full page: the cursor does not look ahead, so a
  listing whose total is a multiple of the page size ends on an empty page (docs/formats.md §2a).
- ``GET /api/v1/groups`` (``expand=stats`` adds ``_embedded.stats.usersCount``) and
  ``GET /api/v1/groups/{groupId}/users`` page the same way; an unknown group is 404 ``E0000007``.
- Throttling: 429 ``E0000047`` with ``X-Rate-Limit-Limit``, ``X-Rate-Limit-Remaining: 0``
  and ``X-Rate-Limit-Reset`` (epoch seconds); a missing permission: 403 ``E0000006``.
"""

from __future__ import annotations

import json
import re
import secrets
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from werkzeug.wrappers import Request, Response

from .server import IdpEmulator, IdpFaults, page_window

_CLAUSE = re.compile(r'^\s*status\s+eq\s+"([A-Z_]+)"\s*$')


@dataclass
class OktaSeed:
    """Okta objects as the API serves them: User objects, Group objects, member user ids per group id."""

    users: list[dict[str, Any]] = field(default_factory=list)
    groups: list[dict[str, Any]] = field(default_factory=list)
    members: dict[str, list[str]] = field(default_factory=dict)

    @classmethod
    def from_export(cls, directory: str | Path) -> OktaSeed:
        """Read an Okta export folder (``users.json``, ``groups.json``, ``group_members.json``).

        Each file is the loader's layout (README "Accepted export layouts"): arrays
        of pages are flattened; group members may be User objects or ids.
        """
        folder = Path(directory)

        def flat(name: str) -> list[dict[str, Any]]:
            path = folder / name
            data = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else []
            if data and all(isinstance(x, list) for x in data):
                data = [x for page in data for x in page]
            return [dict(x) for x in data]

        users, groups = flat("users.json"), flat("groups.json")
        for group in groups:
            group.pop("_embedded", None)
        path = folder / "group_members.json"
        raw = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
        members = {str(k): [str(m["id"]) if isinstance(m, dict) else str(m) for m in v] for k, v in raw.items()}
        return cls(users, groups, members)


def load_seed(directory: str | Path) -> OktaSeed:
    """:meth:`OktaSeed.from_export`, with a one-line :class:`~planner.errors.UserError` for a folder it cannot read."""
    from ...errors import UserError

    if not Path(directory).is_dir():
        raise UserError(f"--seed {directory}: not a directory")
    try:
        return OktaSeed.from_export(directory)
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise UserError(f"--seed {directory}: not an Okta export (users.json, groups.json, "
                        f"group_members.json): {exc.__class__.__name__}: {exc}") from None


def okta_banner(emulator: OktaEmulator) -> list[str]:
    """What ``sigma-migrate sandbox okta`` prints: the URL and token to export, the command to try."""
    seed = emulator.seed
    return [
        "Okta API emulator (local; not Okta)",
        f"  OKTA_ORG_URL={emulator.base_url}",
        f"  OKTA_API_TOKEN={emulator.token}",
        f"  serving {len(seed.users)} users, {len(seed.groups)} groups",
        "  try:    sigma-migrate fetch-idp okta --out export/okta   (with the two variables exported)",
        "Ctrl-C stops it.",
    ]


def _error(status: int, code: str, summary: str, headers: dict[str, str] | None = None) -> Response:
    body = {"errorCode": code, "errorSummary": summary, "errorLink": code,
            "errorId": f"oae{secrets.token_hex(8)}", "errorCauses": []}
    return Response(json.dumps(body), status, headers=headers, content_type="application/json")


class OktaEmulator(IdpEmulator):
    """Okta's users/groups API on 127.0.0.1 (module docstring), seeded from an :class:`OktaSeed`.

    :param token: the API token accepted (generated when ``None``).
    :param page_size: the largest page served, whatever ``limit`` asks (small values force paging).
    """

    def __init__(self, seed: OktaSeed, *, token: str | None = None, page_size: int = 200,
                 faults: IdpFaults | None = None, port: int = 0) -> None:
        super().__init__(page_size=page_size, faults=faults, port=port)
        self.seed = seed
        self.token = token or secrets.token_urlsafe(30)
        self._users = {str(u["id"]): u for u in seed.users}
        self._groups = {str(g["id"]): g for g in seed.groups}

    def template(self, request: Request) -> str:
        path = re.sub(r"^/api/v1/groups/[^/]+/users$", "/api/v1/groups/{groupId}/users", request.path)
        return f"{request.method} {path}"

    def authenticate(self, request: Request) -> Response | None:
        if request.headers.get("Authorization", "") == f"SSWS {self.token}":
            return None
        return _error(401, "E0000011", "Invalid token provided")

    def throttled(self) -> Response:
        reset = int(time.time()) + self.faults.retry_after
        return _error(429, "E0000047", "API call exceeded rate limit due to too many requests.",
                      {"X-Rate-Limit-Limit": "600", "X-Rate-Limit-Remaining": "0", "X-Rate-Limit-Reset": str(reset)})

    def forbidden(self, request: Request) -> Response:
        return _error(403, "E0000006", "You do not have permission to perform the requested action")

    # ------------------------------------------------------------------ API

    def route(self, request: Request) -> Response:
        if request.method != "GET":
            return _error(405, "E0000022", "The endpoint does not support the provided HTTP method")
        path = request.path
        if path == "/api/v1/users":
            return self._users_list(request)
        if path == "/api/v1/groups":
            groups = [self._group(g, request.args.get("expand") == "stats") for g in self.seed.groups]
            return self._page(request, groups, 10000)
        match = re.fullmatch(r"/api/v1/groups/([^/]+)/users", path)
        if match:
            group_id = match.group(1)
            if group_id not in self._groups:
                return _error(404, "E0000007", f"Not found: Resource not found: {group_id} (UserGroup)")
            users = [self._users[u] for u in self.seed.members.get(group_id, []) if u in self._users]
            return self._page(request, users, 1000)
        return _error(404, "E0000022", "The endpoint does not support the provided HTTP method")

    def _group(self, group: dict[str, Any], stats: bool) -> dict[str, Any]:
        if not stats:
            return group
        count = sum(1 for u in self.seed.members.get(str(group["id"]), []) if u in self._users)
        return {**group, "_embedded": {"stats": {"usersCount": count, "appsCount": 0,
                                                 "groupPushMappingsCount": 0, "hasAdminPrivilege": False}}}

    def _users_list(self, request: Request) -> Response:
        expression = request.args.get("search") or request.args.get("filter")
        if expression is None:
            users = [u for u in self.seed.users if u.get("status") != "DEPROVISIONED"]
        else:
            wanted = set()
            for clause in expression.split(" or "):
                match = _CLAUSE.match(clause)
                if not match:
                    return _error(400, "E0000031", "Invalid search.")
                wanted.add(match.group(1))
            users = [u for u in self.seed.users if u.get("status") in wanted]
        return self._page(request, users, 200)

    def _page(self, request: Request, items: list[dict[str, Any]], default_limit: int) -> Response:
        size = self.limit(request.args.get("limit"), default_limit)
        start = 0
        after = request.args.get("after")
        if after and not self.repeats(request):
            ids = [str(x["id"]) for x in items]
            start = ids.index(after) + 1 if after in ids else len(items)
        chunk, nxt = page_window(items, start, size)
        links = [f'<{self.base_url}{request.full_path.rstrip("?")}>; rel="self"']
        if (nxt is not None or (chunk and len(chunk) == size)) and not self.cut_short(request):
            query = {k: v for k, v in request.args.items() if k != "after"}
            query["after"] = str(chunk[-1]["id"])
            links.append(f'<{self.base_url}{request.path}?{urlencode(query)}>; rel="next"')
        return Response(json.dumps(chunk), 200, content_type="application/json", headers={"Link": ", ".join(links)})
