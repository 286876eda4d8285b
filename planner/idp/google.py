"""Pull users, groups and group members from Google Workspace's Admin SDK Directory API (docs/formats.md §4b, §4c).

Credentials: a service account with domain-wide delegation of the read-only
scopes in :data:`SCOPES`, its JSON key file at ``GOOGLE_APPLICATION_CREDENTIALS``,
and the administrator it acts for in ``GOOGLE_ADMIN_EMAIL`` (the Directory API
answers only for an admin). The access token comes from the JWT bearer grant
(RFC 7523 §2.1, Google's "Using OAuth 2.0 for Server to Server Applications"):
a JWT ``{iss: client_email, sub: admin, scope, aud: token_uri, iat, exp}``
signed RS256 with the key (PyJWT), posted to the key file's ``token_uri``. The
key and the token stay in memory.

Requests (``customer`` from ``GOOGLE_CUSTOMER_ID``, default ``my_customer``):

- ``GET /admin/directory/v1/users?customer=...&maxResults=500&projection=full``:
  every user; suspended and archived users are in the list (``suspended``,
  ``archived`` flags).
- ``GET /admin/directory/v1/groups?customer=...&maxResults=200``: every group.
- ``GET /admin/directory/v1/groups/{id}/members?maxResults=200``: each group's direct
  members, nested groups as ``type: GROUP``; the count must agree with the group's
  ``directMembersCount`` (:func:`planner.listing.member_count_agrees`).

Pages follow ``nextPageToken``; repeated ids or tokens and ``USER`` members
missing from the users listing are :class:`planner.listing.IncompleteListing`.
A listing whose last page is full and names no next page is taken as whole, unlike Okta's and
Graph's without a count (:meth:`planner.listing.Listing.finish` ``page_size``): the token travels
in the same JSON body as the records, so an answer cannot lose it alone as an Okta answer loses its
``Link`` header, and nothing was asked that did not come, as Graph's ``@odata.count``; the page's
own answer says the listing ends there.

Files (the :mod:`planner.sources.google` API layout): ``users.json``
(``{"kind": "admin#directory#users", "users": [...]}``), ``groups.json``
(``{"kind": "admin#directory#groups", "groups": [...]}``), ``group_members.json``
(``{groupId: {"kind": "admin#directory#members", "members": [...]}}``).
"""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Mapping
from urllib.parse import quote

import jwt

from ..listing import Listing, check_count
from .http import IdpFetchError, IdpReader
from .pull import IdpPull, PullCounts, count_of, listed_group_id, page_items, read_listing, require_known_members

API_URL = "https://admin.googleapis.com"
SCOPES = ("https://www.googleapis.com/auth/admin.directory.user.readonly",
          "https://www.googleapis.com/auth/admin.directory.group.readonly")
"""The scopes asked (Directory API users.list, groups.list, members.list)."""
KEY_ENV, ADMIN_ENV, CUSTOMER_ENV = "GOOGLE_APPLICATION_CREDENTIALS", "GOOGLE_ADMIN_EMAIL", "GOOGLE_CUSTOMER_ID"
JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"


def _service_account(path: str) -> dict[str, str]:
    """The fields of a service account key file needed for the grant; :class:`IdpFetchError` naming the file."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise IdpFetchError(f"{path}: cannot read the service account key ({KEY_ENV}): "
                            f"{exc.strerror or exc}") from None
    except ValueError as exc:
        raise IdpFetchError(f"{path}: the service account key ({KEY_ENV}) is not JSON: {exc}") from None
    if not isinstance(data, dict) or data.get("type") != "service_account":
        raise IdpFetchError(f"{path}: not a service account key file (\"type\": \"service_account\" expected)")
    missing = [k for k in ("client_email", "private_key", "token_uri") if not isinstance(data.get(k), str)]
    if missing:
        raise IdpFetchError(f"{path}: the service account key has no {', '.join(missing)}")
    return {k: str(data.get(k) or "") for k in ("client_email", "private_key", "private_key_id", "token_uri")}


def assertion(account: Mapping[str, str], subject: str, now: float) -> str:
    """The signed JWT of the grant (RFC 7523 §3): one hour from ``now`` (epoch seconds)."""
    claims = {"iss": account["client_email"], "sub": subject, "scope": " ".join(SCOPES),
              "aud": account["token_uri"], "iat": int(now), "exp": int(now) + 3600}
    headers = {"kid": account["private_key_id"]} if account.get("private_key_id") else None
    try:
        return jwt.encode(claims, account["private_key"], algorithm="RS256", headers=headers)
    except (ValueError, TypeError, jwt.PyJWTError) as exc:
        raise IdpFetchError(f"the service account key ({KEY_ENV}) cannot sign: {exc.__class__.__name__}") from None


def reader_for(environ: Mapping[str, str], base_url: str | None, **options: Any) -> IdpReader:
    """An :class:`IdpReader` on the Directory API with a token from the service account's JWT grant."""
    missing = [name for name in (KEY_ENV, ADMIN_ENV) if not environ.get(name)]
    if missing:
        raise IdpFetchError(f"fetch-idp google needs {' and '.join(missing)} in the environment (a service account "
                            "key file with domain-wide delegation, and the admin it acts for)")
    account = _service_account(environ[KEY_ENV])
    subject = environ[ADMIN_ENV]
    token: list[str] = []

    def refresh() -> None:
        token[:] = [reader.mint(account["token_uri"], {"grant_type": JWT_BEARER,
                                                        "assertion": assertion(account, subject, time.time())},
                                "service account JWT grant")]

    def authorization() -> str:
        if not token:
            refresh()
        return f"Bearer {token[0]}"

    reader = IdpReader("Google Directory API", base_url or API_URL, authorization=authorization, refresh=refresh,
                       credential_hint=f"{KEY_ENV}, {ADMIN_ENV} and the domain-wide delegation of "
                                       + ", ".join(SCOPES),
                       permission_hint=f"{ADMIN_ENV} must be an admin with the Groups and Users read privileges, "
                                       "and the delegation must grant " + ", ".join(SCOPES), **options)
    return reader


def _listing(reader: IdpReader, path: str, params: dict[str, Any], key: str, what: str,
             expected: int | None = None) -> list[Any]:
    listing = Listing(what, f"GET {path}")

    def pages() -> Iterator[tuple[list[Any], str | None]]:
        token: str | None = None
        while True:
            body, _ = reader.get(path, {**params, **({"pageToken": token} if token else {})})
            items = page_items(body, key, what, reader, path)
            nxt = body.get("nextPageToken")
            token = nxt if isinstance(nxt, str) and nxt else None
            yield items, token
            if token is None:
                return

    read_listing(listing, pages())
    return listing.finish(expected)


def _member_type(member: Mapping[str, Any]) -> str:
    """A group member's ``type`` (``USER``, ``GROUP``, ``CUSTOMER``, ``EXTERNAL``), upper-cased; ``USER``
    when absent (as the loader reads it)."""
    return str(member.get("type") or "USER").upper()


def pull(reader: IdpReader, environ: Mapping[str, str]) -> IdpPull:
    """Read every user, group and direct group member (module docstring)."""
    customer = environ.get(CUSTOMER_ENV) or "my_customer"
    users = _listing(reader, "/admin/directory/v1/users",
                     {"customer": customer, "maxResults": 500, "projection": "full"}, "users", "Google users")
    groups = _listing(reader, "/admin/directory/v1/groups", {"customer": customer, "maxResults": 200}, "groups",
                      "Google groups")
    members: dict[str, dict[str, Any]] = {}
    user_members: dict[str, list[str]] = {}
    names: dict[str, str] = {}
    for group in groups:
        group_id = listed_group_id(group, "Google Directory API: GET /admin/directory/v1/groups")
        names[group_id] = str(group.get("email") or group.get("name") or group_id)
        path = f"/admin/directory/v1/groups/{quote(group_id, safe='')}/members"
        what = f"members of Google group {names[group_id]!r}"
        items = _listing(reader, path, {"maxResults": 200}, "members", what)
        kinds = Counter(_member_type(m) for m in items if isinstance(m, dict))
        check_count(what, f"GET {path}", len(items), count_of(group.get("directMembersCount")),
                    child_groups=kinds["GROUP"], other_members=kinds.total() - kinds["GROUP"] - kinds["USER"])
        members[group_id] = {"kind": "admin#directory#members", "members": items}
        user_members[group_id] = [str(m.get("id")) for m in items if _member_type(m) == "USER"]
    require_known_members(user_members, {str(u.get("id")) for u in users}, names, "GET /admin/directory/v1/users",
                          "Google")
    counts = PullCounts(
        users=len(users),
        inactive=sum(1 for u in users if u.get("suspended") is True or u.get("archived") is True),
        guests=0,
        groups=len(groups),
        memberships=sum(len(m["members"]) for m in members.values()),
    )
    return IdpPull("google", (("users.json", {"kind": "admin#directory#users", "users": users}),
                              ("groups.json", {"kind": "admin#directory#groups", "groups": groups}),
                              ("group_members.json", members)), counts,
                   (("users.json", counts.users), ("groups.json", counts.groups),
                    ("group_members.json", sum(  # the loader counts user and group members (CUSTOMER ignored)
                        1 for m in members.values() for item in m["members"]
                        if _member_type(item) in ("USER", "GROUP")))))
