"""Pull users, groups and group members from Microsoft Graph (docs/formats.md §3d, §3e).

Credentials: an app registration with the *application* permissions
``User.Read.All`` and ``GroupMember.Read.All`` (admin-consented), its client
secret, and the tenant: ``ENTRA_TENANT_ID``, ``ENTRA_CLIENT_ID``,
``ENTRA_CLIENT_SECRET``. The token comes from the client credentials grant
(``POST {login}/{tenant}/oauth2/v2.0/token``, scope ``https://graph.microsoft.com/.default``)
and stays in memory.

Requests (``ConsistencyLevel: eventual`` so that ``$count=true`` answers ``@odata.count``):

- ``GET /v1.0/users?$select=...&$top=999&$count=true``: every user, disabled
  (``accountEnabled`` false) and guests (``userType`` Guest) included: ``/users``
  filters neither out. ``accountEnabled`` and ``userType`` are ``$select``-ed
  (Graph leaves them out otherwise, docs/formats.md §3d).
- ``GET /v1.0/groups?$select=...&$top=999&$count=true``: every group.
- ``GET /v1.0/groups/{id}/members/microsoft.graph.user`` and ``.../microsoft.graph.group``
  (``$select``, ``$top=999``, ``$count=true``): each group's *direct* user members and
  nested groups, so the policy's nested-group expansion sees the nesting
  (``transitiveMembers`` would hide it). The OData casts keep each count to the type
  listed: v1.0 leaves service principals out of ``/members`` (a documented known issue),
  and devices, contacts and service principals are not people. The two answers are
  written as one ``/members`` answer whose items carry their ``@odata.type``.

Pages follow ``@odata.nextLink`` (same host only); each listing's length must
equal its ``@odata.count``; repeated ids or cursors and user members missing
from the users listing are :class:`planner.listing.IncompleteListing`. So is a
listing answered without ``@odata.count`` (the header or the count stripped on
the way, by a proxy) whose last page is full: Graph ends a listing whose total
is a multiple of the page size on a full page without ``@odata.nextLink``,
which is also what a lost next link looks like (:data:`NO_COUNT_FIX`).

Files (the :mod:`planner.sources.entra` Graph layout): ``users.json`` and
``groups.json`` (one ``{"@odata.context", "value": [...]}`` answer each),
``group_members.json`` (``{groupId: {"@odata.context", "value": [...]}}``).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, Mapping
from urllib.parse import quote

from ..credentials import read_credential
from ..listing import Listing
from .http import IdpFetchError, IdpReader
from .pull import IdpPull, PullCounts, count_of, listed_group_id, page_items, read_listing, require_known_members

GRAPH_URL = "https://graph.microsoft.com"
LOGIN_URL = "https://login.microsoftonline.com"
SCOPE = "https://graph.microsoft.com/.default"
ENV = ("ENTRA_TENANT_ID", "ENTRA_CLIENT_ID", "ENTRA_CLIENT_SECRET")

USER_SELECT = ("id,userPrincipalName,displayName,givenName,surname,mail,otherMails,proxyAddresses,userType,"
               "accountEnabled,externalUserState,creationType,createdDateTime,onPremisesSyncEnabled,"
               "onPremisesImmutableId,employeeId,jobTitle,department,mailNickname")
GROUP_SELECT = ("id,displayName,description,mail,mailEnabled,securityEnabled,groupTypes,membershipRule,"
                "onPremisesSyncEnabled")
MEMBER_SELECT = "id,userPrincipalName,displayName,mail,userType,accountEnabled"
PAGE_TOP = 999
"""``$top`` asked of every list (Graph's largest page for directory objects)."""

NO_COUNT_FIX = ("fetch-idp asks with $count=true and ConsistencyLevel: eventual, so something on the way "
                "(a proxy) dropped the header or @odata.count: let both through and run fetch-idp again")
"""What to do about a listing refused for a full last page without ``@odata.count`` (module docstring)."""

USER_TYPE = "#microsoft.graph.user"
GROUP_TYPE = "#microsoft.graph.group"
NESTED_SELECT = "id,displayName,mail,securityEnabled,groupTypes"
MEMBERS_CONTEXT = "https://graph.microsoft.com/v1.0/$metadata#directoryObjects"
"""The ``@odata.context`` of a ``/members`` answer, written with the merged user and group members."""


def reader_for(environ: Mapping[str, str], base_url: str | None, login_url: str | None,
               **options: Any) -> IdpReader:
    """An :class:`IdpReader` on Graph that mints its token from the client credentials in ``environ``."""
    missing = [name for name in ENV if not environ.get(name)]
    if missing:
        raise IdpFetchError(f"fetch-idp entra needs {', '.join(missing)} in the environment (an app registration "
                            "with the User.Read.All and GroupMember.Read.All application permissions)")
    tenant, client_id, secret = (read_credential(environ, name) or "" for name in ENV)
    token: list[str] = []

    def refresh() -> None:
        token[:] = [reader.mint(f"{(login_url or LOGIN_URL).rstrip('/')}/{quote(tenant, safe='')}/oauth2/v2.0/token",
                                {"grant_type": "client_credentials", "client_id": client_id,
                                 "client_secret": secret, "scope": SCOPE}, "client credentials")]

    def authorization() -> str:
        if not token:
            refresh()
        return f"Bearer {token[0]}"

    reader = IdpReader("Microsoft Graph", base_url or GRAPH_URL, authorization=authorization, refresh=refresh,
                       credential_hint=", ".join(ENV),
                       permission_hint="the application permissions User.Read.All and GroupMember.Read.All, "
                                       "admin-consented", **options)
    return reader


def _listing(reader: IdpReader, path: str, select: str, what: str) -> tuple[list[Any], str | None]:
    """Every item of a Graph collection and its ``@odata.context``, checked against ``@odata.count``."""
    listing = Listing(what, f"GET {path}")
    announced: list[int | None] = []
    context: list[str | None] = []

    def pages() -> Iterator[tuple[list[Any], str | None]]:
        url: str | None = path
        query: dict[str, Any] | None = {"$select": select, "$top": PAGE_TOP, "$count": "true"}
        while url is not None:
            body, _ = reader.get(url, query, headers={"ConsistencyLevel": "eventual"})
            items = page_items(body, "value", what, reader, path)
            if not announced:
                announced.append(count_of(body.get("@odata.count")))
                context.append(body.get("@odata.context"))
            link = body.get("@odata.nextLink")
            yield items, link if isinstance(link, str) and link else None
            url, query = (link if isinstance(link, str) and link else None), None

    read_listing(listing, pages())
    return (listing.finish(announced[0] if announced else None, page_size=PAGE_TOP, count_name="@odata.count",
                           fix=NO_COUNT_FIX),
            context[0] if context else None)


def _answer(items: list[Any], context: str | None) -> dict[str, Any]:
    return {"@odata.context": context, "value": items} if context else {"value": items}


def pull(reader: IdpReader) -> IdpPull:
    """Read every user, group and direct group member (module docstring)."""
    users, users_context = _listing(reader, "/v1.0/users", USER_SELECT, "Entra users")
    groups, groups_context = _listing(reader, "/v1.0/groups", GROUP_SELECT, "Entra groups")
    members: dict[str, dict[str, Any]] = {}
    user_members: dict[str, list[str]] = {}
    names: dict[str, str] = {}
    for group in groups:
        group_id = listed_group_id(group, "Microsoft Graph: GET /v1.0/groups")
        names[group_id] = str(group.get("displayName") or group_id)
        path = f"/v1.0/groups/{quote(group_id, safe='')}/members"
        users_in, _ = _listing(reader, f"{path}/{USER_TYPE[1:]}", MEMBER_SELECT,
                               f"user members of Entra group {names[group_id]!r}")
        groups_in, _ = _listing(reader, f"{path}/{GROUP_TYPE[1:]}", NESTED_SELECT,
                                f"group members of Entra group {names[group_id]!r}")
        items = [{"@odata.type": USER_TYPE, **m} for m in users_in] + \
                [{"@odata.type": GROUP_TYPE, **m} for m in groups_in]
        members[group_id] = {"@odata.context": MEMBERS_CONTEXT, "value": items}
        user_members[group_id] = [str(m.get("id")) for m in users_in]
    require_known_members(user_members, {str(u.get("id")) for u in users}, names, "GET /v1.0/users", "Entra")
    counts = PullCounts(
        users=len(users),
        inactive=sum(1 for u in users if u.get("accountEnabled") is False),
        guests=sum(1 for u in users if str(u.get("userType") or "").casefold() == "guest"),
        groups=len(groups),
        memberships=sum(len(m["value"]) for m in members.values()),
    )
    return IdpPull("entra", (("users.json", _answer(users, users_context)),
                             ("groups.json", _answer(groups, groups_context)),
                             ("group_members.json", members)), counts,
                   (("users.json", counts.users), ("groups.json", counts.groups),
                    ("group_members.json", counts.memberships)))  # only user and group members are listed
