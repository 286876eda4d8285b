"""One IdP identity, one Sigma object: the SCIM resources holding the ``externalId`` a ``POST`` of the plan sends.

A ``scim.create_user`` or ``scim.link_user`` sends ``externalId`` = the IdP user's id (``target.idpId``,
:func:`planner.execute.actions.planned_user`). Sigma keys a ``POST /Users`` on its ``userName`` alone
(docs/sigma-api.md §5.3): when the IdP has meanwhile provisioned that IdP user under another userName, the
POST makes a second member for the same person (a second seat, a second account), and both carry one
``externalId`` (tester14b finding 7). A ``scim.create_group`` or ``scim.link_group`` sends ``externalId`` = the IdP
group's id (``target.groupId``, :meth:`planner.execute.actions.CreateGroup._body`), and Sigma keys a ``POST /Groups``
on its ``displayName`` alone (§6.1): when the IdP has meanwhile pushed that group under another displayName (or
someone made one with its id), the POST makes or links a second team for the same IdP group (tester16b finding 2).
The stale-plan check (:func:`planner.execute.stale.check_stale`) refuses such an action before any write, and the
verification (:func:`planner.execute.verify.verify`) never calls one converged while another resource holds its
``externalId``; both read the holders here (:func:`held_elsewhere`).

Reads: one ``GET /Users?filter=externalId eq "..."`` (``/Groups`` for a group's) per ``externalId`` (RFC 7644
§3.4.2.2), ``parallelism`` at a time; from :data:`BULK_READS` of them on, one paged listing of every user (group)
instead (a wave of thousands of creates would otherwise read as many times as it writes). Whether Sigma's SCIM
service takes a filter on ``externalId`` is not established (docs/sigma-api.md §10.16): a server that refuses it
(400 ``invalidFilter``, 501: RFC 7644 §3.4.2.2, §3.12) is read with that listing too
(:meth:`SigmaScimClient.list_users`, :meth:`SigmaScimClient.list_groups`).

The provisioned SCIM users of many addresses (:func:`provisioned_users`: the stale check's members a REST edit
targets, :func:`planner.execute.stale.provisioned_since_plan`, and ``undo``'s, :func:`planner.execute.undo.provisioned_since`)
are read in one batch: one ``userName eq "a" or userName eq "b" ...`` filter, else that listing (tester14b finding 12)."""

from __future__ import annotations

from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Iterable

from ..model import Action, email_key
from ..payloads import ScimCreateGroup, ScimCreateUser, ScimLinkGroup, ScimLinkUser
from ..sources.values import is_team_group
from .errors import ApiError
from .scim_client import ScimGroupRecord, ScimUserRecord, SigmaScimClient

FILTER_REFUSED = frozenset({400, 501})
"""The answers of a SCIM server that does not take a filter (RFC 7644 §3.4.2.2 ``invalidFilter``, §3.12
501 Not Implemented): the holders are then read from the listing."""


BULK_READS = 100
"""From this many ``externalId`` s on, :func:`holders` reads one listing instead of a filter read each (the
stale-plan check's member reads switch at the same count, :data:`planner.execute.stale.BULK_MEMBER_READS`)."""

USERS, GROUPS = "/Users", "/Groups"
"""The SCIM endpoints (RFC 7644 §3.2) whose resources an ``externalId`` is read on."""


@dataclass(frozen=True)
class Holder:
    """A SCIM resource holding an ``externalId``: ``endpoint`` (:data:`USERS` or :data:`GROUPS`), its SCIM ``id``
    and ``name``, the user's ``userName`` or the group's ``displayName``."""

    endpoint: str
    id: str
    name: str

    @property
    def key(self) -> str:
        """``user:<SCIM id>`` or ``group:<SCIM id>``: the key a :class:`planner.execute.stale.Drift` names it by."""
        return f"{'user' if self.endpoint == USERS else 'group'}:{self.id}"

    def __str__(self) -> str:
        """``SCIM user <id> (userName <name>)`` / ``SCIM group <id> (displayName <name>)``."""
        if self.endpoint == USERS:
            return f"SCIM user {self.id} (userName {self.name})"
        return f"SCIM group {self.id} (displayName {self.name})"


def holder_of(record: ScimUserRecord | ScimGroupRecord) -> Holder:
    """The :class:`Holder` of a user or group as SCIM answered it."""
    if isinstance(record, ScimUserRecord):
        return Holder(USERS, record.id or "", record.user_name)
    return Holder(GROUPS, record.id, record.display_name or "")


def posted_external_id(action: Action) -> str | None:
    """The ``externalId`` a ``scim.create_user`` / ``scim.link_user`` sends (its ``target.idpId``), or a
    ``scim.create_group`` / ``scim.link_group`` (its ``target.groupId``), else ``None``."""
    if isinstance(action, (ScimCreateUser, ScimLinkUser)):
        return action.target.idp_id or None
    if isinstance(action, (ScimCreateGroup, ScimLinkGroup)):
        return action.target.group_id or None
    return None


def external_id_difference(action: Action, record: ScimUserRecord | ScimGroupRecord | None) -> str | None:
    """The difference, as ``verify`` lists it, between the ``externalId`` ``action`` sends
    (:func:`posted_external_id`) and the one the SCIM ``record`` it made or linked holds now, ``None`` when they are
    the same (case-exact, RFC 7643 §3.1), the action sends none or nothing was found: ``externalId: 'grp-9', the plan
    sent 'grp-1': the team is linked to another IdP group`` (``externalId: none, ...: the team is no IdP group's``).
    The ``externalId`` is the IdP's id of the object (RFC 7643 §3.1): a team holding another one is pushed by another
    IdP group, a user another IdP user's account, which is what verify exists to catch (verify18 finding 1: verify
    said converged)."""
    posted = posted_external_id(action)
    if posted is None or record is None or record.external_id == posted:
        return None
    team = endpoint_of(action) == GROUPS
    held = repr(record.external_id) if record.external_id else "none"
    whose = (("the team is linked to another IdP group" if team else "the account is another IdP user's")
             if record.external_id else ("the team is no IdP group's" if team else "the account is no IdP user's"))
    return f"externalId: {held}, the plan sent {posted!r}: {whose}"


def endpoint_of(action: Action) -> str:
    """Where the resource an action posts lives: :data:`GROUPS` for a group's create or link, else :data:`USERS`."""
    return GROUPS if isinstance(action, (ScimCreateGroup, ScimLinkGroup)) else USERS


def holders(scim: SigmaScimClient, external_ids: Iterable[str], parallelism: int = 4, endpoint: str = USERS
            ) -> dict[str, tuple[Holder, ...]]:
    """``externalId`` -> the SCIM users (``endpoint`` :data:`GROUPS`: groups) holding it (case-exact, RFC 7643
    §3.1), for each of ``external_ids`` (``()`` for one nobody holds). Reads only (see module docstring). Raises
    :class:`ApiError` when SCIM cannot be read."""
    wanted = sorted({e for e in external_ids if e})
    if not wanted:
        return {}
    if len(wanted) >= BULK_READS:
        return _listed(scim, wanted, endpoint)
    find = scim.find_users_by_external_id if endpoint == USERS else scim.find_groups_by_external_id
    try:
        with ThreadPoolExecutor(max_workers=max(1, parallelism), thread_name_prefix="externalId") as pool:
            found = list(pool.map(find, wanted))
        return {e: tuple(map(holder_of, records)) for e, records in zip(wanted, found)}
    except ApiError as exc:
        if exc.status not in FILTER_REFUSED:
            raise
    return _listed(scim, wanted, endpoint)


def _listed(scim: SigmaScimClient, wanted: list[str], endpoint: str) -> dict[str, tuple[Holder, ...]]:
    """:func:`holders` of ``wanted`` from one listing of every user or group (:meth:`SigmaScimClient.list_users`,
    :meth:`SigmaScimClient.list_groups`)."""
    by_id: dict[str, list[Holder]] = defaultdict(list)
    listed: list[ScimUserRecord] | list[ScimGroupRecord] = (scim.list_users() if endpoint == USERS
                                                            else scim.list_groups())
    for record in listed:
        if record.external_id:
            by_id[record.external_id].append(holder_of(record))
    return {e: tuple(by_id.get(e, ())) for e in wanted}


NAME_FILTER_REFUSED = FILTER_REFUSED | {414}
"""The answers after which :func:`provisioned_users` reads the listing instead: a filter refused, or its URL too long
(414 URI Too Long, RFC 9110 §15.5.15: one ``userName eq`` term per address, up to :data:`BULK_READS` of them)."""


def provisioned_users(scim: SigmaScimClient, user_names: Iterable[str]) -> dict[str, tuple[ScimUserRecord, ...]]:
    """:func:`~planner.model.email_key` of each of ``user_names`` -> the SCIM users an IdP provisioned (they hold an
    ``externalId``, docs/sandbox.md "provisioned or not") whose ``userName`` has that key (``()``: none). Reads only:
    one ``GET /Users?filter=userName eq "a" or userName eq "b" ...`` (:meth:`SigmaScimClient.find_users_by_user_names`)
    for fewer than :data:`BULK_READS` addresses, else, or when the server refuses that filter
    (:data:`NAME_FILTER_REFUSED`), one paged listing of every user (:meth:`SigmaScimClient.list_users`); never one
    request per address (tester14b finding 12). Raises :class:`ApiError` when SCIM cannot be read."""
    spelled: dict[str, str] = {}
    for user_name in user_names:
        if email_key(user_name):
            spelled.setdefault(email_key(user_name), user_name)
    if not spelled:
        return {}
    users: list[ScimUserRecord] | None = None
    if len(spelled) < BULK_READS:
        try:
            users = scim.find_users_by_user_names([spelled[k] for k in sorted(spelled)])
        except ApiError as exc:
            if exc.status not in NAME_FILTER_REFUSED:
                raise
    if users is None:
        users = scim.list_users()
    found: dict[str, list[ScimUserRecord]] = defaultdict(list)
    for user in users:
        if user.external_id and email_key(user.user_name) in spelled:
            found[email_key(user.user_name)].append(user)
    return {k: tuple(found.get(k, ())) for k in sorted(spelled)}


def other_accounts(action: Action, found: Iterable[Holder]) -> tuple[Holder, ...]:
    """The holders of ``found`` (of ``action``'s ``externalId``) that are not the resource ``action`` makes or links.

    A user's: its ``userName`` (:func:`~planner.model.email_key`) is the action's ``target.userName``: that account,
    made or linked as planned (before a create, the stale check's impostor rule names it,
    :func:`planner.execute.stale.find_impostors`). A group's: it is the action's team
    (:func:`~planner.sources.values.is_team_group`: by the team's id or the plan's ``target.scimId``, or by its
    name; before a create, the team of that name is the impostor rule's)."""
    if endpoint_of(action) == USERS:
        own = email_key(action.target.user_name)
        return tuple(h for h in found if email_key(h.name) != own)
    target = action.target
    return tuple(h for h in found if not is_team_group(h.id, h.name, (target.team_id, target.scim_id or None),
                                                       target.name))


def held_elsewhere(scim: SigmaScimClient, actions: Iterable[Action], parallelism: int = 4
                   ) -> dict[str, tuple[Holder, ...]]:
    """Action id -> the other holders (:func:`other_accounts`) of the ``externalId`` each of ``actions`` that
    posts one sends (:func:`posted_external_id`), ``()`` for none; users and groups each read as :func:`holders`
    says. The one read of the stale-plan check and of the verification. Raises :class:`ApiError` when SCIM cannot
    be read."""
    posts = [(a, e) for a in actions if (e := posted_external_id(a))]
    found: dict[str, dict[str, tuple[Holder, ...]]] = {}
    for endpoint in (USERS, GROUPS):
        wanted = [e for a, e in posts if endpoint_of(a) == endpoint]
        if wanted:
            found[endpoint] = holders(scim, wanted, parallelism, endpoint)
    return {a.id: other_accounts(a, found[endpoint_of(a)].get(e, ())) for a, e in posts}


__all__ = ["BULK_READS", "FILTER_REFUSED", "GROUPS", "NAME_FILTER_REFUSED", "USERS", "Holder", "endpoint_of",
           "external_id_difference",
           "held_elsewhere", "holder_of", "holders", "other_accounts", "posted_external_id", "provisioned_users"]
