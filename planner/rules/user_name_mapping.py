"""Entra ID's userName mapping: one source attribute sends every user's SCIM ``userName``.

Sigma links a SCIM user to the member of the same email and makes a second account for another
``userName`` (docs/sigma-api.md §5.3). Okta lets an admin set one user's app username; Entra ID's
gallery app maps ``userName`` from one attribute for every user (docs/sigma-api.md §6.2: the
"Synchronize Microsoft Entra users" mapping), and a B2B guest's ``userPrincipalName``
(``x_domain#EXT#@tenant``) or a member's sign-in name cannot be made another person's address. So a
plan whose links send some users the Sigma email (``user_name_guard`` ``use_sigma_email``) or their
primary email (``use_primary_email``) holds under Entra only when one attribute,
``userPrincipalName`` or ``mail``, yields the planned ``userName`` of every user the plan links or
creates (letter case aside: Sigma's lookup ignores it):

- the one the policy assumed (``linking.scim_user_name``: ``user_name`` reads ``userPrincipalName``,
  ``primary_email`` reads ``mail``) does: nothing to say;
- only the other does: the informational ``user_name_guard.idp_mapping`` names it (``evidence.attribute``),
  the users the assumed one would send another userName, and the policy line that says so;
- neither does: the blocking ``user_name_guard.no_single_mapping`` names who each leaves.

``sigma-migrate handoff --idp entra`` renders the mapping from these items (:mod:`planner.handoff`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from ..directory import Directory
from ..model import Action, IdpUser, ItemEvidence, ItemRef, ReviewItem
from ..payloads import ScimCreateUser, ScimLinkUser
from . import make_review, outside_policy, yaml_snippet

SOURCES = ("userPrincipalName", "mail")
"""The Entra user attributes a userName mapping reads, the policy's default first."""

SHOWN = 5
"""How many users a message names; the candidates list them all."""


def source_value(user: IdpUser, source: str) -> str | None:
    """What Entra attribute ``source`` holds for ``user``: the userPrincipalName (:attr:`IdpUser.user_name`),
    or the ``mail`` the export gave (the email of type ``mail``, :func:`planner.sources.entra.entra_emails`);
    ``None`` when the user has none."""
    if source == "userPrincipalName":
        return user.user_name
    return next((e.value for e in user.emails if e.type == "mail"), None)


def assumed_source(scim_user_name: str) -> str:
    """The attribute ``linking.scim_user_name`` (``user_name`` / ``primary_email``) says the app reads."""
    return "mail" if scim_user_name == "primary_email" else "userPrincipalName"


def planned_user_names(actions: Iterable[Action]) -> dict[str, str]:
    """IdP id -> the ``userName`` each ``scim.link_user`` / ``scim.create_user`` of ``actions`` sends; a link
    whose userName the guard left to review (a blocking ``user_name_guard.mismatch`` already stops the plan,
    the userName undecided) left out."""
    return {a.target.idp_id: a.after.user_name for a in actions
            if isinstance(a, ScimCreateUser) or (isinstance(a, ScimLinkUser) and a.evidence.user_name_guard != "review")}


def planned_emails(actions: Iterable[Action]) -> dict[str, str]:
    """IdP id -> the Sigma email of the member each ``scim.link_user`` links (a create's: the email it sends)."""
    return {a.target.idp_id: a.target.email for a in actions if isinstance(a, (ScimLinkUser, ScimCreateUser))}


def left_by(source: str, planned: Mapping[str, str], users: Mapping[str, IdpUser]) -> list[str]:
    """The IdP ids of ``planned`` whose ``source`` attribute is not their planned userName (letter case aside),
    sorted."""
    out = []
    for iid, name in planned.items():
        value = source_value(users[iid], source)
        if value is None or value.casefold() != name.casefold():
            out.append(iid)
    return sorted(out)


def mapping_items(directory: Directory, actions: Iterable[Action], scim_user_name: str) -> list[ReviewItem]:
    """The ``user_name_guard.idp_mapping`` or ``no_single_mapping`` item of a plan made from an Entra ID
    export (module docstring); ``[]`` for other exports or when the assumed attribute sends every planned
    userName. ``actions``: the plan's, final; ``scim_user_name``: ``linking.scim_user_name``."""
    if directory.idp_format.split("-")[0] != "entra":
        return []
    actions = list(actions)
    planned = planned_user_names(actions)
    emails = planned_emails(actions)
    users = directory.idp_users
    assumed = assumed_source(scim_user_name)
    left = {source: left_by(source, planned, users) for source in SOURCES}
    if not left[assumed]:
        return []
    other = next(s for s in SOURCES if s != assumed)
    if not left[other]:
        return [idp_mapping_item(other, assumed, left[assumed], planned, emails, users)]
    linked = {a.target.idp_id: a.target.member_id for a in actions if isinstance(a, ScimLinkUser)}
    unmoved = {i: why for i in left[assumed] if (why := why_not_moved(i, assumed, linked, directory))}
    return [no_single_mapping_item(left, assumed, planned, emails, users, unmoved)]


def why_not_moved(idp_id: str, source: str, linked: Mapping[str, str], directory: Directory) -> str:
    """Why ``user_name_guard.overrides: {idp_id: update_sigma_email}`` would not settle IdP user ``idp_id``, whom
    ``source`` sends another userName than planned, or ``""`` when it would: the plan creates them (no member to
    move), SCIM provisioned the member (Sigma refuses its REST email change, 403: the guard says review,
    :func:`planner.rules.linking.user_name_choice`), or ``source`` sends no userName Sigma takes
    (:func:`planner.rules.linking.unsendable_user_name`: the guard holds them). A snippet never offers what the
    same rules refuse (tester11 finding 8)."""
    from .linking import unsendable_user_name  # linking reads this module's docstring only; no import cycle at load

    member_id = linked.get(idp_id)
    if member_id is None:
        return "the plan creates them"
    if directory.scim.managed_user(member_id) is not None:
        return "SCIM provisioned their member, whose email Sigma refuses to change through REST"
    if unsendable_user_name(source_value(directory.idp_users[idp_id], source), idp_id) is not None:
        return f"{source} sends no userName Sigma takes"
    return ""


def _refs(iids: list[str], source: str, planned: Mapping[str, str], emails: Mapping[str, str],
          users: Mapping[str, IdpUser]) -> list[ItemRef]:
    """Each of ``iids`` as a candidate: ``idpId``, ``email`` (the Sigma member's), ``userName`` (planned),
    ``idpUserName`` (what ``source`` sends, ``""`` for none)."""
    return [ItemRef(idp_id=i, email=emails[i], user_name=planned[i],
                    idp_user_name=source_value(users[i], source) or "") for i in iids]


def _shown(iids: list[str], source: str, planned: Mapping[str, str], users: Mapping[str, IdpUser]) -> str:
    """``'npatel@x' for 'nina.patel@x', ...`` of the first :data:`SHOWN` of ``iids`` (``(none)`` for no value)."""
    parts = [f"{source_value(users[i], source) or '(none)'!r} for {planned[i]!r}" for i in iids[:SHOWN]]
    more = f" and {len(iids) - SHOWN} more" if len(iids) > SHOWN else ""
    return ", ".join(parts) + more


def idp_mapping_item(source: str, assumed: str, left: list[str], planned: Mapping[str, str],
                     emails: Mapping[str, str], users: Mapping[str, IdpUser]) -> ReviewItem:
    """Informational: the app's userName mapping must read ``source``, not ``assumed``, which would send the
    users ``left`` another userName than planned (a second account each, docs/sigma-api.md §5.3)."""
    return make_review(
        "user_name_guard.idp_mapping", "userName", blocking=False, subject=ItemRef(name="userName"),
        message=(f"Entra ID sends every user the userName of one attribute mapping: {assumed} would send "
                 f"{len(left)} of the {len(planned)} users the plan links or creates another userName than "
                 f"planned ({_shown(left, assumed, planned, users)}), and Sigma would make each a second "
                 f"account; {source} sends every one of them the planned userName: map userName from {source} "
                 "(docs/sigma-api.md §5.3, §6.2)"),
        rule="linking.scim_user_name", candidates=_refs(left, assumed, planned, emails, users),
        evidence=ItemEvidence(attribute=source, members=len(planned)),
        resolution=yaml_snippet({"linking": {"scim_user_name": "primary_email" if source == "mail" else "user_name"}},
                                notes=[f"say in the policy that the app reads {source} as every user's userName:"]),
    )


def no_single_mapping_item(left: Mapping[str, list[str]], assumed: str, planned: Mapping[str, str],
                           emails: Mapping[str, str], users: Mapping[str, IdpUser],
                           unmoved: Mapping[str, str] | None = None) -> ReviewItem:
    """Blocking: no attribute of :data:`SOURCES` sends every planned userName; ``left``: source -> the IdP ids
    it would send another one; ``unmoved``: IdP id -> why ``update_sigma_email`` would not settle them
    (:func:`why_not_moved`), left out of the snippet, which offers it for the others only (none: no snippet)."""
    unmoved = unmoved or {}
    said = "; ".join(f"{s} leaves {len(ids)} ({_shown(ids, s, planned, users)})" for s, ids in left.items())
    stuck = left[assumed]
    return make_review(
        "user_name_guard.no_single_mapping", "userName", blocking=True, subject=ItemRef(name="userName"),
        message=(f"Entra ID sends every user the userName of one attribute mapping, and none sends each of the "
                 f"{len(planned)} users the plan links or creates the userName planned: {said}; Sigma would "
                 "make each user left a second account (docs/sigma-api.md §5.3, §6.2)"),
        rule="linking.scim_user_name", candidates=_refs(stuck, assumed, planned, emails, users),
        evidence=ItemEvidence(attribute=assumed, members=len(planned)),
        resolution=_no_single_mapping_resolution(stuck, assumed, unmoved),
    )


def _no_single_mapping_resolution(stuck: list[str], assumed: str, unmoved: Mapping[str, str]) -> str:
    """The snippet moving the members of ``stuck`` but ``unmoved`` to the address ``assumed`` sends, each unmoved
    one named with why; only the Entra ID step when none can move."""
    give = f"give each user left the planned address as {assumed} in Entra ID and export again"
    movable = [i for i in stuck if i not in unmoved]
    cannot = "; ".join(f"{i}: {why}" for i, why in unmoved.items())
    if not movable:
        return outside_policy(f"{give} (update_sigma_email moves none of them: {cannot})" if cannot else give)
    also = f" (update_sigma_email cannot move {cannot})" if cannot else ""
    return yaml_snippet({"user_name_guard": {"overrides": {i: "update_sigma_email" for i in movable}}},
                        notes=[f"{give}, or move the members to the address {assumed} sends{also}:"])
