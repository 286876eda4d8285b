"""Pull users, groups and group members from Okta's Management API (docs/formats.md §2a-§2c).

Requests (``Authorization: SSWS <OKTA_API_TOKEN>``, a read-only admin's API token):

- ``GET /api/v1/users?search=status eq "STAGED" or ... or status eq "DEPROVISIONED"&limit=200``:
  every user of every status. The plain list leaves ``DEPROVISIONED`` users out
  (Okta "List all users"); a ``search`` naming each status brings them all.
- ``GET /api/v1/groups?limit=200&expand=stats``: every group, with
  ``_embedded.stats.usersCount`` used as the count check of its member listing.
- ``GET /api/v1/groups/{groupId}/users?limit=200``: each group's members (Okta groups do not nest).

Pages follow the ``Link: <...>; rel="next"`` header (same host only). A
member that is not in the users listing, a count that differs, a repeated id
or cursor: :class:`planner.listing.IncompleteListing`, nothing written. So is a
listing without a count (users, groups; members of a group without
``usersCount``) whose last page is full and names no next page
(:meth:`planner.listing.Listing.finish` ``page_size``, the rule of ``fetch-idp entra``): Okta
follows every full page with a next link, its cursor not looking ahead (the page after the last
one is empty, docs/formats.md §2a), so such a page lost its ``Link`` header on the way
(:data:`FULL_PAGE_FIX`).

Files (the :mod:`planner.sources.okta` layout): ``users.json`` (a bare array
of User objects), ``groups.json`` (a bare array of Group objects),
``group_members.json`` (``{groupId: [User, ...]}``).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, Mapping
from urllib.parse import quote, urlsplit

from ..credentials import read_credential
from ..listing import Listing
from ..sources.okta import okta_active
from .http import IdpFetchError, IdpReader
from .pull import IdpPull, PullCounts, count_of, listed_group_id, page_items, read_listing, require_known_members

STATUSES = ("STAGED", "PROVISIONED", "ACTIVE", "RECOVERY", "PASSWORD_EXPIRED", "LOCKED_OUT", "SUSPENDED",
            "DEPROVISIONED")
"""Every Okta user status (docs/formats.md §2a)."""

ALL_USERS_SEARCH = " or ".join(f'status eq "{s}"' for s in STATUSES)
"""The ``search`` expression that lists users of every status, ``DEPROVISIONED`` included."""

PAGE_LIMIT = 200
"""``limit`` asked of every list (Okta's recommended page size; the users search caps at 200)."""

NEXT_LINK = 'Link rel="next" header'
"""What tells an Okta listing goes on (what :meth:`~planner.listing.Listing.finish` names when it did not come)."""

FULL_PAGE_FIX = ("Okta follows every full page with a next link (the page after the last one is empty), so the "
                 "Link header was lost on the way (a proxy?): let it through and run fetch-idp again")
"""What to do about a listing refused for a full last page without a next link (module docstring)."""

TOKEN_ENV = "OKTA_API_TOKEN"
ORG_URL_ENV = "OKTA_ORG_URL"


def _pages(reader: IdpReader, path: str, params: dict[str, Any], what: str
           ) -> Iterator[tuple[list[Any], str | None]]:
    """``(items, next link)`` of each page of an Okta list (bare arrays, ``Link: rel="next"``)."""
    url: str | None = path
    query: dict[str, Any] | None = params
    while url is not None:
        body, response = reader.get(url, query)
        items = page_items(body, None, what, reader, path)
        link = response.links.get("next", {}).get("url")
        yield items, link
        url, query = link, None


def reader_for(environ: Mapping[str, str], base_url: str | None, **options: Any) -> IdpReader:
    """An :class:`IdpReader` for the Okta org at ``base_url`` or ``$OKTA_ORG_URL`` with ``$OKTA_API_TOKEN``."""
    token = read_credential(environ, TOKEN_ENV) or ""
    url = base_url or environ.get(ORG_URL_ENV, "")
    if not url:
        raise IdpFetchError(f"fetch-idp okta needs the org URL: --base-url or {ORG_URL_ENV} "
                            "(e.g. https://acme.okta.com)")
    if not token:
        raise IdpFetchError(f"fetch-idp okta needs an API token in {TOKEN_ENV} (Security > API > Tokens, "
                            "created by a read-only administrator)")
    host = urlsplit(url).hostname or ""
    label, _, domain = host.partition(".")
    if label.endswith("-admin"):
        raise IdpFetchError(f"Okta org URL {url!r} is the Admin Console's address; the API is on the org's "
                            f"own, e.g. https://{label.removesuffix('-admin')}.{domain}")
    return IdpReader("Okta", url, authorization=lambda: f"SSWS {token}", credential_hint=TOKEN_ENV,
                     permission_hint="an API token of a Read-only Administrator or above", **options)


def pull(reader: IdpReader) -> IdpPull:
    """Read every user, group and group member (module docstring); raises before returning anything partial."""
    whole = {"page_size": PAGE_LIMIT, "count_name": NEXT_LINK, "fix": FULL_PAGE_FIX}  # module docstring
    users = read_listing(Listing("Okta users", "GET /api/v1/users"),
                         _pages(reader, "/api/v1/users", {"search": ALL_USERS_SEARCH, "limit": PAGE_LIMIT},
                                "Okta users")).finish(**whole)
    groups = read_listing(Listing("Okta groups", "GET /api/v1/groups"),
                          _pages(reader, "/api/v1/groups", {"limit": PAGE_LIMIT, "expand": "stats"},
                                 "Okta groups")).finish(**whole)
    members: dict[str, list[Any]] = {}
    names: dict[str, str] = {}
    for group in groups:
        group_id = listed_group_id(group, "Okta: GET /api/v1/groups")
        profile = group.get("profile") if isinstance(group.get("profile"), dict) else {}
        names[group_id] = str(profile.get("name") or group_id)
        path = f"/api/v1/groups/{quote(group_id, safe='')}/users"
        listing = Listing(f"members of Okta group {names[group_id]!r}", f"GET {path}")
        read_listing(listing, _pages(reader, path, {"limit": PAGE_LIMIT}, listing.what))
        embedded = group.get("_embedded") if isinstance(group.get("_embedded"), dict) else {}
        stats = embedded.get("stats") if isinstance(embedded.get("stats"), dict) else {}
        members[group_id] = listing.finish(count_of(stats.get("usersCount")), **whole)
    require_known_members({g: [str(u.get("id")) for u in m] for g, m in members.items()},
                          {str(u.get("id")) for u in users}, names, "GET /api/v1/users", "Okta")
    counts = PullCounts(
        users=len(users),
        inactive=sum(1 for u in users if okta_active(u.get("status") if isinstance(u.get("status"), str)
                                                     else None) is False),
        guests=0,
        groups=len(groups),
        memberships=sum(len(m) for m in members.values()),
    )
    return IdpPull("okta", (("users.json", users), ("groups.json", groups), ("group_members.json", members)),
                   counts, (("users.json", counts.users), ("groups.json", counts.groups),
                            ("group_members.json", counts.memberships)))
