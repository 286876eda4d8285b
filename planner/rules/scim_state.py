"""Sigma's SCIM state: what an IdP already provisioned, so a re-plan proposes only the remainder.

``sigma-migrate fetch`` with a SCIM token writes ``scim/Users.json`` and ``scim/Groups.json``
(:mod:`planner.sources.sigma` reads them into :class:`~planner.model.ScimUser` /
:class:`~planner.model.ScimGroup`). Sigma's SCIM lists pre-SCIM members and teams too; only a
resource with an ``externalId`` was provisioned by an IdP (RFC 7643 §3.1: the provisioning client
sets it; docs/sandbox.md). Two steps use that state:

- :func:`scim_links`: a provisioned user whose SCIM id is a memberId (Sigma's SCIM id is the
  memberId) is linked to the IdP user its ``externalId`` names (else the one whose SCIM userName
  is its ``userName``): key ``scim``, taken like an override, before every match key. A
  ``linking.overrides`` entry that says otherwise is a blocking ``linking.override_contradicts_scim``
  item (Sigma's state is what it is; the policy must follow it).
- :func:`settle`: after every family decided, the actions the SCIM state already satisfies are
  dropped (a user provisioned with the planned userName, activity and account type; a team whose
  group is linked with the planned name and members), and no SCIM-managed member is offered an
  action Sigma forbids: REST edits of a SCIM-managed member are refused with 403 (docs/sigma-api.md
  §5.3 "not editable in Sigma", §10.6; the sandbox's rule). A deactivation becomes
  ``scim.deactivate_user`` (``PATCH /Users/{id} active=false``); a reactivation of a member the IdP
  made inactive is left to the link, which sends ``active: true``; every other REST edit (email,
  guest, archived reactivation, removal from a SCIM-managed team) is a blocking
  ``scim.managed_member`` item: it must be made in the IdP. A provisioned user whose userName the
  IdP would change is a blocking ``scim.user_name_changed`` item (a new userName creates a second
  account, §5.3).
"""

from __future__ import annotations

from dataclasses import dataclass

from msgspec.structs import replace

from ..model import Action, ActionKind, ItemEvidence, ReviewItem, ScimGroup, ScimUser, email_key
from ..payloads import (
    UNSET,
    ActiveState,
    MembersDeactivate,
    MembersReactivate,
    ScimCreateGroup,
    ScimCreateUser,
    ScimDeactivateEvidence,
    ScimLinkGroup,
    ScimLinkUser,
    ScimSetAccountType,
    ScimSetGroupMembers,
    ScimUserAfter,
    ScimUserRef,
    TeamsRemoveMember,
    target_member_id,
)
from . import Outcome, make_action, make_review, person_ref
from ..directory import Directory, Link, LinkedPair, ScimState

SCIM_KEY = "scim"
"""The link key (and :attr:`planner.model.PersonRow.link_key`) of a member an IdP already provisioned."""

REST_MEMBER_KINDS = (
    ActionKind.MEMBERS_DEACTIVATE, ActionKind.MEMBERS_DISABLE_GUEST, ActionKind.MEMBERS_CONVERT_GUEST,
    ActionKind.MEMBERS_SET_EMAIL, ActionKind.MEMBERS_REACTIVATE,
)


# --------------------------------------------------------------------------- links


def scim_links(directory: Directory) -> tuple[LinkedPair, ...]:
    """The links (key ``scim``, by memberId) of the members an IdP already provisioned
    (:attr:`planner.directory.Directory.scim`).

    The IdP user is the one the SCIM user's ``externalId`` names, else the only one whose SCIM
    userName (:attr:`~planner.directory.Directory.scim_user_names`) is the SCIM ``userName``; a
    provisioned user neither finds is not linked (the member is then unmatched, and :func:`settle`
    deactivates it through SCIM if the policy deactivates it).
    """
    pairs = []
    for member_id in sorted(directory.scim.users):
        if member_id in directory.members:
            pair = scim_link(member_id, directory.scim.users[member_id], directory)
            if pair is not None:
                pairs.append(pair)
    return tuple(pairs)


def scim_link(member_id: str, user: ScimUser, directory: Directory) -> LinkedPair | None:
    """The link of member ``member_id`` provisioned as SCIM ``user`` (:func:`scim_links`), ``None``
    when no IdP user (or more than one, by userName) is it."""
    if user.external_id in directory.idp_users:
        idp_id, field_, value = user.external_id, "externalId", user.external_id
    else:
        found = directory.idp_ids_by_scim_user_name_key.get(user.user_name_key, ())
        if len(found) != 1:
            return None
        idp_id, field_, value = found[0], "userName", user.user_name
    return LinkedPair(member_id, idp_id, Link(SCIM_KEY, SCIM_KEY, directory.members[member_id].email, field_, value))


def merge_pins(overrides: tuple[LinkedPair, ...], provisioned: tuple[LinkedPair, ...]
               ) -> tuple[tuple[LinkedPair, ...], Outcome]:
    """The SCIM links, then the overrides that agree with them or touch other people (in order).

    An override pinning a provisioned member to another IdP user (or a provisioned IdP user to
    another member) is dropped with a blocking ``linking.override_contradicts_scim`` item; an
    override that repeats a SCIM link is satisfied and dropped silently.
    """
    outcome = Outcome()
    if not provisioned:
        return overrides, outcome
    by_member = {p.member_id: p.idp_id for p in provisioned}
    by_idp = {p.idp_id: p.member_id for p in provisioned}
    kept = []
    for pin in overrides:
        mid, iid = pin.member_id, pin.idp_id
        if by_member.get(mid) == iid:
            continue
        if mid in by_member or iid in by_idp:
            outcome.review_items.append(_contradicted_item(mid, iid, by_idp.get(iid, mid), by_member))
            continue
        kept.append(pin)
    return provisioned + tuple(kept), outcome


def _contradicted_item(mid: str, iid: str, linked_member: str, by_member: dict[str, str]) -> ReviewItem:
    """Blocking ``linking.override_contradicts_scim``: an override links IdP user ``iid`` to member
    ``mid`` against Sigma's SCIM state (``by_member``: memberId -> the IdP id SCIM links it to)."""
    return make_review(
        "linking.override_contradicts_scim", f"{mid}:{iid}", blocking=True,
        subject=person_ref(member_id=mid, idp_id=iid),
        message=(f"an override links IdP user {iid} to member {mid}, but Sigma's SCIM state already links "
                 f"member {linked_member} to IdP user {by_member.get(linked_member, iid)}: "
                 "remove the override or unlink the user in the IdP first"),
        rule="linking.overrides", resolution="# remove the override naming " + iid + "\n",
    )


# --------------------------------------------------------------------------- settling the actions


def _provisioned_user(state: ScimState, action: ScimLinkUser | ScimCreateUser) -> ScimUser | None:
    if isinstance(action, ScimLinkUser):
        return state.users.get(action.target.member_id)
    key = email_key(action.after.user_name)
    return state.by_external_id.get(action.target.idp_id) or (state.by_user_name.get(key) if key else None)


def _user_satisfied(user: ScimUser, after: ScimUserAfter, type_elsewhere: bool) -> bool:
    return ((user.active is None or user.active == after.active)
            and (not after.user_type or type_elsewhere or user.user_type == after.user_type))


def _group_members_satisfied(state: ScimState, group: ScimGroup, action: Action) -> bool:
    if not isinstance(action, ScimSetGroupMembers):
        return True
    current = {email_key(state.user_names.get(i, "")) for i in group.member_ids}
    return current == {email_key(m) for m in action.after.members}


def _provisioned_group(state: ScimState, action: ScimLinkGroup | ScimCreateGroup | ScimSetGroupMembers) -> ScimGroup | None:
    if action.target.team_id:
        return state.groups.get(action.target.team_id)
    return state.groups_by_name.get(action.target.name)


def _managed_item(action: Action, user: ScimUser, what: str) -> ReviewItem:
    target = action.target
    return make_review(
        "scim.managed_member", action.id, blocking=True,
        subject=person_ref(member_id=target.member_id, email=target.email, user_name=user.user_name),
        message=(f"{target.email or user.user_name} is provisioned by SCIM (externalId {user.external_id}): "
                 f"Sigma refuses REST edits of SCIM-managed members (403), so {what} must be made in the IdP"),
        rule="scim_state.managed_member", evidence=ItemEvidence(action=action.id, external_id=user.external_id),
        resolution="# make this change in the identity provider, then fetch and plan again\n",
    )


def _deactivate_through_scim(action: MembersDeactivate, user: ScimUser) -> Action:
    target, evidence = action.target, action.evidence
    return make_action(
        ActionKind.SCIM_DEACTIVATE_USER, target.member_id,
        target=ScimUserRef(member_id=target.member_id, email=target.email, user_name=user.user_name),
        before=ActiveState(active=bool(user.active) if user.active is not None else True),
        after=ActiveState(active=False),
        rule=action.rule,
        reason=action.reason + " (SCIM-managed: deactivated through SCIM, documents go to the provisioning admin)",
        evidence=ScimDeactivateEvidence(
            rest_action=action.id, kind=evidence.kind, new_owner_email=evidence.new_owner_email,
            document_owner_from=evidence.document_owner_from, idp_id=evidence.idp_id, idp_status=evidence.idp_status,
        ),
        depends_on=action.depends_on,
    )


@dataclass(frozen=True, slots=True)
class Settlement:
    """What Sigma's SCIM state makes of one planned action: ``action``, the action kept or its
    replacement (``None``: dropped, satisfied or forbidden), and the ``review_item`` raised."""

    action: Action | None
    review_item: ReviewItem | None = None


@dataclass(frozen=True, slots=True)
class PlannedState:
    """Sigma's SCIM ``state`` and what the plan as a whole does with it (read by several settlements):
    ``typed``, memberIds with a ``scim.set_account_type``; ``linked``, provisioned members with a
    ``scim.link_user``."""

    state: ScimState
    typed: frozenset[str]
    linked: frozenset[str]

    @classmethod
    def of(cls, state: ScimState, actions: list[Action]) -> "PlannedState":
        typed = frozenset(a.target.member_id for a in actions if isinstance(a, ScimSetAccountType))
        linked = frozenset(a.target.member_id for a in actions
                           if isinstance(a, ScimLinkUser) and a.target.member_id in state.users)
        return cls(state, typed, linked)


def settle_user(action: ScimLinkUser | ScimCreateUser, planned: PlannedState) -> Settlement:
    """A link or create of a user SCIM already provisioned: dropped when it holds the planned activity
    and account type; a blocking ``scim.user_name_changed`` (dropped) when the IdP would send another
    userName (a new userName creates a second account, docs/sigma-api.md §5.3)."""
    user = _provisioned_user(planned.state, action)
    if user is None:
        return Settlement(action)
    if user.user_name_key != email_key(action.after.user_name):
        return Settlement(None, make_review(
            "scim.user_name_changed", action.id, blocking=True,
            subject=person_ref(member_id=target_member_id(action), idp_id=action.target.idp_id,
                               user_name=user.user_name),
            message=(f"{user.user_name} is provisioned by SCIM, but the IdP would now send userName "
                     f"{action.after.user_name!r}: Sigma creates a second account when userName changes"),
            rule="scim_state.user_name", evidence=ItemEvidence(external_id=user.external_id),
            resolution="# keep the IdP app's userName for this user, then fetch and plan again\n",
        ))
    satisfied = _user_satisfied(user, action.after, target_member_id(action) in planned.typed)
    return Settlement(None if satisfied else action)


def settle_account_type(action: ScimSetAccountType, planned: PlannedState) -> Settlement:
    """A ``scim.set_account_type`` to the userType the provisioned user already has is dropped."""
    user = planned.state.users.get(action.target.member_id)
    return Settlement(None if user is not None and user.user_type == action.after.user_type else action)


def settle_group(action: ScimLinkGroup | ScimCreateGroup | ScimSetGroupMembers, planned: PlannedState) -> Settlement:
    """A team action whose group SCIM already holds with the planned displayName and members is dropped."""
    group = _provisioned_group(planned.state, action)
    name = None if isinstance(action, ScimSetGroupMembers) else action.after.display_name
    satisfied = (group is not None and (name is None or group.display_name == name)
                 and _group_members_satisfied(planned.state, group, action))
    return Settlement(None if satisfied else action)


def settle_member_edit(action: Action, planned: PlannedState) -> Settlement:
    """A REST edit (:data:`REST_MEMBER_KINDS`) of a SCIM-managed member, which Sigma refuses (403,
    docs/sigma-api.md §5.3, §10.6): a deactivation goes through SCIM instead; a reactivation of a member
    the IdP made inactive is dropped when the link sends ``active: true``; anything else is dropped
    with a blocking ``scim.managed_member``."""
    user = planned.state.users.get(action.target.member_id)
    if user is None:
        return Settlement(action)
    if isinstance(action, MembersDeactivate):
        return Settlement(_deactivate_through_scim(action, user))
    if (isinstance(action, MembersReactivate) and action.after.is_inactive is not UNSET
            and action.target.member_id in planned.linked):
        return Settlement(None)  # the link sends active: true through SCIM
    return Settlement(None, _managed_item(action, user, action.kind.value.split(".")[1].replace("_", " ")))


def settle_team_removal(action: TeamsRemoveMember, planned: PlannedState) -> Settlement:
    """Removing a SCIM-managed member from a SCIM-managed team is the IdP's to do: dropped with a
    blocking ``scim.managed_member``."""
    user = planned.state.users.get(action.target.member_id)
    if user is None or action.target.team_id not in planned.state.groups:
        return Settlement(action)
    return Settlement(None, _managed_item(action, user, "removing them from a SCIM-managed team"))


def settle_action(action: Action, planned: PlannedState) -> Settlement:
    """The :class:`Settlement` of one action: the ``settle_*`` rule of its kind (others are kept)."""
    if isinstance(action, (ScimLinkUser, ScimCreateUser)):
        return settle_user(action, planned)
    if isinstance(action, ScimSetAccountType):
        return settle_account_type(action, planned)
    if isinstance(action, (ScimLinkGroup, ScimCreateGroup, ScimSetGroupMembers)):
        return settle_group(action, planned)
    if action.kind in REST_MEMBER_KINDS:
        return settle_member_edit(action, planned)
    if isinstance(action, TeamsRemoveMember):
        return settle_team_removal(action, planned)
    return Settlement(action)


def settle(state: ScimState, actions: list[Action]) -> tuple[list[Action], list[ReviewItem]]:
    """Drop what Sigma's SCIM state already satisfies and replace what Sigma forbids (module
    docstring; one :func:`settle_action` per action); dependencies on a dropped action are removed,
    on a replaced one re-pointed. Returns the actions (same order) and the review items raised.
    No SCIM state: unchanged."""
    if not state.known:
        return actions, []
    planned = PlannedState.of(state, actions)
    out: list[Action] = []
    items: list[ReviewItem] = []
    renamed: dict[str, str] = {}  # action id -> its replacement's id, "" when dropped
    for a in actions:
        settled = settle_action(a, planned)
        if settled.review_item is not None:
            items.append(settled.review_item)
        if settled.action is None:
            renamed[a.id] = ""
        else:
            if settled.action is not a:
                renamed[a.id] = settled.action.id
            out.append(settled.action)
    return (_repoint(out, renamed) if renamed else out), items


def _repoint(actions: list[Action], renamed: dict[str, str]) -> list[Action]:
    """``actions`` with each dependency on a dropped action removed, on a replaced one re-pointed."""
    fixed = []
    for a in actions:
        if any(d in renamed for d in a.depends_on):
            deps = {renamed.get(d, d) for d in a.depends_on} - {""}
            a = replace(a, depends_on=tuple(sorted(deps)))
        fixed.append(a)
    return fixed


__all__ = ["SCIM_KEY", "PlannedState", "Settlement", "merge_pins", "scim_link", "scim_links", "settle", "settle_action"]
