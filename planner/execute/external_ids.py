"""One IdP user, one Sigma account: the SCIM users holding the ``externalId`` a ``POST /Users`` sends.

A ``scim.create_user`` or ``scim.link_user`` sends ``externalId`` = the IdP user's id (``target.idpId``,
:func:`planner.execute.actions.planned_user`). Sigma keys a ``POST /Users`` on its ``userName`` alone
(docs/sigma-api.md §5.3): when the IdP has meanwhile provisioned that IdP user under another userName, the
POST makes a second member for the same person (a second seat, a second account), and both carry one
``externalId`` (tester14b finding 7). The stale-plan check (:func:`planner.execute.stale.check_stale`)
refuses such an action before any write, and the verification (:func:`planner.execute.verify.verify`)
never calls one converged while another user holds its ``externalId``; both read the holders here.

Reads: one ``GET /Users?filter=externalId eq "..."`` per ``externalId`` (RFC 7644 §3.4.2.2), ``parallelism``
at a time; from :data:`BULK_READS` of them on, one paged listing of every user instead (a wave of thousands of
creates would otherwise read as many times as it writes). Whether Sigma's SCIM service takes a filter on
``externalId`` is not established (docs/sigma-api.md §10.16): a server that refuses it (400 ``invalidFilter``,
501: RFC 7644 §3.4.2.2, §3.12) is read with that listing too (:meth:`SigmaScimClient.list_users`)."""

from __future__ import annotations

from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from typing import Iterable

from ..model import Action, email_key
from ..payloads import ScimCreateUser, ScimLinkUser
from .errors import ApiError
from .scim_client import ScimUserRecord, SigmaScimClient

FILTER_REFUSED = frozenset({400, 501})
"""The answers of a SCIM server that does not take a filter (RFC 7644 §3.4.2.2 ``invalidFilter``, §3.12
501 Not Implemented): the holders are then read from the listing."""


BULK_READS = 100
"""From this many ``externalId`` s on, :func:`holders` reads one listing instead of a filter read each (the
stale-plan check's member reads switch at the same count, :data:`planner.execute.stale.BULK_MEMBER_READS`)."""


def posted_external_id(action: Action) -> str | None:
    """The ``externalId`` a ``scim.create_user`` / ``scim.link_user`` sends (its ``target.idpId``), else ``None``."""
    if isinstance(action, (ScimCreateUser, ScimLinkUser)):
        return action.target.idp_id or None
    return None


def holders(scim: SigmaScimClient, external_ids: Iterable[str], parallelism: int = 4
            ) -> dict[str, tuple[ScimUserRecord, ...]]:
    """``externalId`` -> the SCIM users holding it (case-exact, RFC 7643 §3.1), for each of ``external_ids``
    (``()`` for one nobody holds). Reads only (see module docstring). Raises :class:`ApiError` when SCIM
    cannot be read."""
    wanted = sorted({e for e in external_ids if e})
    if not wanted:
        return {}
    if len(wanted) >= BULK_READS:
        return _listed(scim, wanted)
    try:
        with ThreadPoolExecutor(max_workers=max(1, parallelism), thread_name_prefix="externalId") as pool:
            found = list(pool.map(scim.find_users_by_external_id, wanted))
        return {e: tuple(users) for e, users in zip(wanted, found)}
    except ApiError as exc:
        if exc.status not in FILTER_REFUSED:
            raise
    return _listed(scim, wanted)


def _listed(scim: SigmaScimClient, wanted: list[str]) -> dict[str, tuple[ScimUserRecord, ...]]:
    """:func:`holders` of ``wanted`` from one listing of every user (:meth:`SigmaScimClient.list_users`)."""
    by_id: dict[str, list[ScimUserRecord]] = defaultdict(list)
    for user in scim.list_users():
        if user.external_id:
            by_id[user.external_id].append(user)
    return {e: tuple(by_id.get(e, ())) for e in wanted}


def other_accounts(action: Action, users: Iterable[ScimUserRecord]) -> tuple[ScimUserRecord, ...]:
    """The users of ``users`` (holders of ``action``'s ``externalId``) that are not the account ``action`` makes
    or links: those whose ``userName`` (:func:`~planner.model.email_key`) is not the action's ``target.userName``.
    A holder with the action's own userName is that account (made or linked as planned; before a create, the
    stale check's impostor rule names it, :func:`planner.execute.stale.find_impostors`)."""
    own = email_key(action.target.user_name)
    return tuple(u for u in users if email_key(u.user_name) != own)


__all__ = ["BULK_READS", "FILTER_REFUSED", "holders", "other_accounts", "posted_external_id"]
