"""The typed actions of a plan: one msgspec Struct per :class:`ActionKind`, a union tagged by ``kind``.

Every action carries ``id``, ``rule``, ``reason``, ``depends_on`` and four payloads whose fields are
exact for its kind: ``target`` (the object acted on, by its ids), ``before`` / ``after`` (the values
that change; ``None`` for a creation / removal) and ``evidence`` (what the rule saw). The JSON names
are those of the plan file (Sigma's REST fields and SCIM's attributes: ``memberId``, ``userName``,
``isArchived``, RFC 7643 §4.1); Python names are their snake_case spelling (``member_id``).

=========================  ===========================  =====================  ===========================
kind                       target                       before                 after
=========================  ===========================  =====================  ===========================
``scim.create_user``       :class:`CreateUserTarget`    ``None``               :class:`ScimUserAfter`
``scim.link_user``         :class:`LinkUserTarget`      :class:`LinkUserBefore`:class:`ScimUserAfter`
``scim.set_account_type``  :class:`AccountTypeTarget`   :class:`MemberTypeState` :class:`UserTypeState`
``scim.deactivate_user``   :class:`ScimUserRef`         :class:`ActiveState`   :class:`ActiveState`
``scim.create_group``      :class:`GroupTarget`         ``None``               :class:`DisplayNameState`
``scim.link_group``        :class:`GroupTarget`         :class:`TeamNameState` :class:`DisplayNameState`
``scim.set_group_members`` :class:`GroupTarget`         :class:`GroupMembersBefore` :class:`GroupMembersAfter`
``teams.remove_member``    :class:`TeamMemberTarget`    :class:`TeamMemberBefore` ``None``
``members.deactivate``     :class:`MemberRef`           :class:`DeactivateBefore` :class:`ArchiveAfter`
``members.disable_guest``  :class:`MemberRef`           :class:`DisableGuestBefore` :class:`ArchiveAfter`
``members.convert_guest``  :class:`MemberRef`           :class:`UserKindState`  :class:`UserKindState`
``members.set_email``      :class:`MemberRef`           :class:`EmailState`    :class:`EmailState`
``members.reactivate``     :class:`MemberRef`           :class:`ArchivedState` :class:`ArchivedState`
=========================  ===========================  =====================  ===========================

A field typed ``X | UnsetType`` is left out of the file when unset (``UNSET``); a field typed
``X | None`` is always written, ``null`` when ``None``. Decoding refuses unknown fields, a missing
required field and a wrong type (:mod:`planner.planfile` turns that into one line naming the JSON
path). Structs are frozen; change one with :func:`msgspec.structs.replace`.
"""

from __future__ import annotations

from enum import Enum
from typing import ClassVar, Iterable, Union

import msgspec
from msgspec import UNSET, UnsetType

from .unsafe_characters import escape_message

__all__ = [
    "UNSET", "UnsetType", "ActionKind", "Payload", "BaseAction", "Action", "ACTION_TYPES",
    "MemberRef", "LinkUserTarget", "CreateUserTarget", "AccountTypeTarget", "ScimUserRef", "GroupTarget",
    "TeamMemberTarget", "LinkUserBefore", "ScimUserAfter", "MemberTypeState", "UserTypeState", "ActiveState",
    "TeamNameState", "DisplayNameState", "GroupMembersBefore", "GroupMembersAfter", "TeamMemberBefore",
    "DeactivateBefore", "DisableGuestBefore", "ArchiveAfter", "UserKindState", "EmailState", "ArchivedState",
    "LostCandidate", "StateConflictSettled", "LinkUserEvidence", "CreateUserEvidence", "AccountTypeEvidence", "DeactivateEvidence",
    "DisableGuestEvidence", "ScimDeactivateEvidence", "ConvertGuestEvidence", "SetEmailEvidence",
    "ReactivateEvidence", "GroupEvidence", "RemoveMemberEvidence", "target_member_id", "target_team_id",
    "new_owner_id", "target_addresses", "actions_by_kind",
    "ScimCreateUser", "ScimLinkUser", "ScimSetAccountType", "ScimDeactivateUser", "ScimCreateGroup",
    "ScimLinkGroup", "ScimSetGroupMembers", "TeamsRemoveMember", "MembersDeactivate", "MembersDisableGuest",
    "MembersConvertGuest", "MembersSetEmail", "MembersReactivate",
]


class ActionKind(str, Enum):
    """What an action does, and through which API.

    ``scim.*`` go to Sigma's SCIM 2.0 service (RFC 7644); ``members.*`` and
    ``teams.*`` to the REST API v2 (docs/sigma-api.md §2, §3).
    """

    SCIM_CREATE_USER = "scim.create_user"        # POST /Users for an IdP user with no Sigma member
    SCIM_LINK_USER = "scim.link_user"            # POST /Users with userName = the member's email
    SCIM_SET_ACCOUNT_TYPE = "scim.set_account_type"  # PATCH /Users/{id} userType
    SCIM_DEACTIVATE_USER = "scim.deactivate_user"    # PATCH /Users/{id} active=false
    SCIM_CREATE_GROUP = "scim.create_group"      # POST /Groups, a new team
    SCIM_LINK_GROUP = "scim.link_group"          # POST /Groups displayName = existing team name
    SCIM_SET_GROUP_MEMBERS = "scim.set_group_members"  # PATCH /Groups/{id} members
    TEAMS_REMOVE_MEMBER = "teams.remove_member"  # PATCH /v2/teams/{teamId}/members {remove}
    MEMBERS_DEACTIVATE = "members.deactivate"    # PATCH /v2/members/{id} isArchived+newOwnerId
    MEMBERS_DISABLE_GUEST = "members.disable_guest"  # PATCH /v2/members/{id} isArchived+newOwnerId
    MEMBERS_CONVERT_GUEST = "members.convert_guest"  # PATCH /v2/members/{id} userKind=internal
    MEMBERS_SET_EMAIL = "members.set_email"      # PATCH /v2/members/{id} email=<IdP userName> (userName guard)
    MEMBERS_REACTIVATE = "members.reactivate"    # PATCH /v2/members/{id} isArchived=false (rehired person)


class Payload(msgspec.Struct, frozen=True, forbid_unknown_fields=True, rename="camel", kw_only=True, gc=False):
    """Base of every target / before / after / evidence payload: frozen, exact (unknown JSON
    fields refused), camelCase JSON names."""



# --------------------------------------------------------------------------- targets


class MemberRef(Payload):
    """A Sigma member by ``memberId`` (REST ``/v2/members/{memberId}``) and its email as exported."""

    member_id: str
    email: str


class LinkUserTarget(Payload):
    """The member a SCIM link adopts: ``userName`` is what the link sends (the member's email
    after any ``members.set_email``); ``idpUserName`` the IdP's own userName when it differs."""

    member_id: str
    email: str
    user_name: str
    idp_id: str
    idp_user_name: str | UnsetType = UNSET


class CreateUserTarget(Payload):
    """The IdP user a SCIM creation provisions: its IdP id, the ``userName`` sent, its email."""

    idp_id: str
    user_name: str
    email: str


class AccountTypeTarget(Payload):
    """The member whose account type changes (through SCIM ``userType``). ``userName`` is set by
    ``undo`` (and by apply from the member's link); ``idpId`` by the planner."""

    member_id: str
    email: str
    idp_id: str | UnsetType = UNSET
    user_name: str | UnsetType = UNSET
    scim_id: str | UnsetType = UNSET
    """The SCIM id Sigma's SCIM state (the export's ``scim/``) lists for it: set by
    :func:`planner.rules.scim_state.settle` when the plan was made after SCIM had it; unset when
    Sigma has not assigned one yet (``apply --dry-run`` then shows a placeholder)."""


class ScimUserRef(Payload):
    """A SCIM-managed member by ``memberId`` and the SCIM ``userName`` it is listed under."""

    member_id: str
    email: str
    user_name: str
    scim_id: str | UnsetType = UNSET
    """The SCIM id Sigma's SCIM state (the export's ``scim/``) lists for it: set by
    :func:`planner.rules.scim_state.settle` when the plan was made after SCIM had it; unset when
    Sigma has not assigned one yet (``apply --dry-run`` then shows a placeholder)."""


class GroupTarget(Payload):
    """A team and the IdP group that manages it; ``teamId`` is ``None`` for a team to create."""

    team_id: str | None
    name: str
    group_id: str
    group_display_name: str
    scim_id: str | UnsetType = UNSET
    """The SCIM id Sigma's SCIM state (the export's ``scim/``) lists for it: set by
    :func:`planner.rules.scim_state.settle` when the plan was made after SCIM had it; unset when
    Sigma has not assigned one yet (``apply --dry-run`` then shows a placeholder)."""


class TeamMemberTarget(Payload):
    """A membership of a team (REST ``/v2/teams/{teamId}/members``)."""

    team_id: str
    name: str
    member_id: str
    email: str | None


# --------------------------------------------------------------------------- before / after


class LinkUserBefore(Payload):
    """The member as exported: account type name and ``userKind``; ``active: false`` when Sigma's SCIM
    state has the user inactive and the link reactivates it (the export is newer, by the dates or
    ``linking.scim_state_conflicts``: ``evidence.stateConflict``); ``firstName`` / ``lastName`` only when the
    link sends another ``name.givenName`` / ``name.familyName`` (Sigma applies the pushed name,
    docs/sigma-api.md §5.3: :meth:`name_changes`)."""

    member_type: str
    user_kind: str
    active: bool | UnsetType = UNSET
    first_name: str | UnsetType = UNSET
    last_name: str | UnsetType = UNSET

    def name_changes(self, after: "ScimUserAfter") -> str:
        """What the link changes of the member's name, ``firstName 'Alice' -> 'Alicia', lastName 'A' -> 'Brown'``
        (``""``: nothing), from the action's own ``before`` and ``after``."""
        parts = []
        if self.first_name is not UNSET:
            parts.append(f"firstName {self.first_name!r} -> {after.given_name!r}")
        if self.last_name is not UNSET:
            parts.append(f"lastName {self.last_name!r} -> {after.family_name!r}")
        return ", ".join(parts)


class ScimUserAfter(Payload):
    """The SCIM User a link or creation sends (RFC 7643 §4.1): ``userName``, ``name.givenName`` /
    ``name.familyName``, ``active``; ``email`` when it is not the userName; ``userType`` (the
    account type) when the policy assigns one."""

    user_name: str
    given_name: str
    family_name: str
    active: bool
    email: str | UnsetType = UNSET
    user_type: str | UnsetType = UNSET


class MemberTypeState(Payload):
    """An account type as Sigma's REST API names it (``memberType``)."""

    member_type: str


class UserTypeState(Payload):
    """An account type as SCIM sends it (``userType``, docs/sigma-api.md §5.2)."""

    user_type: str


class ActiveState(Payload):
    """SCIM ``active``."""

    active: bool


class TeamNameState(Payload):
    """A team's name as exported."""

    name: str


class DisplayNameState(Payload):
    """A SCIM Group's ``displayName`` (the team name)."""

    display_name: str


class GroupMembersBefore(Payload):
    """A team's members before: ``memberIds`` (the plan: the team's members as exported) or
    ``members`` (an undo plan: the userNames the SCIM Group had)."""

    member_ids: list[str] | UnsetType = UNSET
    members: list[str] | UnsetType = UNSET


class GroupMembersAfter(Payload):
    """A SCIM Group's members after, by ``userName``."""

    members: list[str]


class TeamMemberBefore(Payload):
    """A team membership as exported (``userId`` is the memberId)."""

    user_id: str
    is_team_admin: bool


class DeactivateBefore(Payload):
    """A member before deactivation: ``isArchived`` and account type."""

    is_archived: bool
    member_type: str


class DisableGuestBefore(Payload):
    """A guest before it is disabled."""

    is_archived: bool
    user_kind: str
    member_type: str


class ArchiveAfter(Payload):
    """The REST PATCH that archives a member; ``newOwnerId`` receives its documents (``None``:
    Sigma's default)."""

    is_archived: bool
    new_owner_id: str | None


class UserKindState(Payload):
    """``userKind``: ``internal``, ``guest`` or ``embed``."""

    user_kind: str


class EmailState(Payload):
    """A member's email."""

    email: str


class ArchivedState(Payload):
    """``isArchived`` (deactivated in Sigma) or ``isInactive`` (deactivated by SCIM): the one that
    holds for the member."""

    is_archived: bool | UnsetType = UNSET
    is_inactive: bool | UnsetType = UNSET


# --------------------------------------------------------------------------- evidence


class LostCandidate(Payload):
    """Another person a linked member or IdP user also matched (issue 14 item 12): ``idpId`` or
    ``memberId``, the match ``key``, and the ``field``/``value`` that matched on their side."""

    key: str
    field: str
    value: str
    idp_id: str | UnsetType = UNSET
    member_id: str | UnsetType = UNSET


class StateConflictSettled(Payload):
    """How a disagreement between Sigma's SCIM state and the IdP export on a SCIM-managed user was settled
    (:mod:`planner.rules.scim_state`): ``newer``, the side whose value is sent (``idp_export``);
    ``settledBy``, ``dates`` (the export last updated the user after SCIM last changed it) or
    ``linking.scim_state_conflicts`` (the policy, when the dates do not decide); both dates as the inputs
    say them (ISO 8601 UTC to the second, ``null`` when not said)."""

    newer: str
    settled_by: str
    scim_last_modified: str | None
    export_last_updated: str | None


class LinkUserEvidence(Payload):
    """Why a link: the match ``key``, the IdP field that matched (and its value when it is not the
    userName), the userName guard's decision, the candidates it won over."""

    key: str
    idp_field: str
    idp_value: str | UnsetType = UNSET
    user_name_guard: str | UnsetType = UNSET
    lost_candidates: list[LostCandidate] | UnsetType = UNSET
    state_conflict: StateConflictSettled | UnsetType = UNSET


class CreateUserEvidence(Payload):
    """The IdP user's raw status word (``None`` when the export does not say)."""

    idp_status: str | None


class AccountTypeEvidence(Payload):
    """Why an account type change: ``change`` (``upgrade``, ``downgrade``, ...), ``source`` (what
    decided it), the IdP ``groups``; ``undoes`` in an undo plan."""

    change: str | UnsetType = UNSET
    source: str | UnsetType = UNSET
    groups: list[str] | UnsetType = UNSET
    exported_member_type: str | UnsetType = UNSET
    unranked: bool | UnsetType = UNSET
    undoes: str | UnsetType = UNSET
    state_conflict: StateConflictSettled | UnsetType = UNSET


class DeactivateEvidence(Payload):
    """Why a deactivation: ``kind`` (``unmatched``, ``leaver``, ...), who receives the documents
    and which policy key said so, the IdP user and its status when there is one."""

    kind: str
    new_owner_email: str | None
    document_owner_from: str
    idp_id: str | UnsetType = UNSET
    idp_status: str | None | UnsetType = UNSET


class DisableGuestEvidence(Payload):
    """Who receives a disabled guest's documents, which policy key said so, the IdP user if any."""

    new_owner_email: str | None
    document_owner_from: str
    idp_id: str | UnsetType = UNSET


class ScimDeactivateEvidence(Payload):
    """A REST deactivation replaced by a SCIM one (:mod:`planner.rules.scim_state`): the REST
    action's evidence and its id (``restAction``)."""

    rest_action: str
    new_owner_email: str | None
    document_owner_from: str
    kind: str | UnsetType = UNSET
    idp_id: str | UnsetType = UNSET
    idp_status: str | None | UnsetType = UNSET
    state_conflict: StateConflictSettled | UnsetType = UNSET


class ConvertGuestEvidence(Payload):
    """The IdP user that links to the guest, and by which key."""

    idp_id: str
    linked_by: str


class SetEmailEvidence(Payload):
    """Why an email change: the IdP user whose userName it takes (``idpId``), or the shared
    ``address`` it frees (``sharedWith``, ``decision``: linking.duplicates); ``undoes`` in an undo plan."""

    idp_id: str | UnsetType = UNSET
    address: str | UnsetType = UNSET
    shared_with: list[str] | UnsetType = UNSET
    decision: str | UnsetType = UNSET
    undoes: str | UnsetType = UNSET


class ReactivateEvidence(Payload):
    """The match ``key`` of a rehired person, or the action an undo plan reverses."""

    key: str | UnsetType = UNSET
    undoes: str | UnsetType = UNSET


class GroupEvidence(Payload):
    """The mapping rule of an IdP group to a team and its member counts; ``undoes`` in an undo plan."""

    rule: str | UnsetType = UNSET
    group_members: int | UnsetType = UNSET
    group_members_provisioned: int | UnsetType = UNSET
    undoes: str | UnsetType = UNSET


class RemoveMemberEvidence(Payload):
    """The IdP group the member is not in, and the nested group that alone reaches them. ``removed_by``:
    the ``scim.set_group_members`` whose push removes the member (:func:`planner.rules.teams.removed_by_push`),
    when it does: apply then sends no REST removal, it checks the member is gone."""

    group_id: str
    reachable_only_through: list[str] | UnsetType = UNSET
    removed_by: str | UnsetType = UNSET


# --------------------------------------------------------------------------- actions


class BaseAction(msgspec.Struct, frozen=True, forbid_unknown_fields=True, tag_field="kind", kw_only=True, gc=False):
    """Fields every action has.

    - ``id``: stable across runs for the same inputs (``"<kind>:<key>"``).
    - ``rule``: the rule id that produced it (``linking.email``); ``reason``: one line a reviewer reads.
    - ``depends_on``: ids of actions that must be done first (sorted). Required, as every field the
      planner writes: an action of an edited or older plan without it must not read as depending on
      nothing (apply would run it out of order); builders pass it (``make_action``).
    - ``kind`` (a class constant, the JSON tag); ``target``/``before``/``after``/``evidence`` per kind.

    ``reason`` is escaped where every action is made (a rule's, an undo's, one read from a plan file), as a review
    item's message is (:class:`planner.model.ReviewItem`, :func:`planner.unsafe_characters.escape_message`): an
    export value it quotes (an address with a zero-width space or a bidi override) is written ``\\u200b``
    (left19: the raw value, escaped only by ``show``, the CSV and the report); ``target``, ``before``, ``after``
    and ``evidence`` keep the exact values apply acts on.
    """

    kind: ClassVar[ActionKind]
    id: str
    rule: str
    reason: str
    depends_on: tuple[str, ...]

    def __post_init__(self) -> None:
        reason = escape_message(self.reason)
        if reason is not self.reason:
            msgspec.structs.force_setattr(self, "reason", reason)


class ScimCreateUser(BaseAction, tag="scim.create_user"):
    """``POST /Users`` for an IdP user with no Sigma member."""

    kind: ClassVar[ActionKind] = ActionKind.SCIM_CREATE_USER
    target: CreateUserTarget
    before: None
    after: ScimUserAfter
    evidence: CreateUserEvidence


class ScimLinkUser(BaseAction, tag="scim.link_user"):
    """``POST /Users`` with ``userName`` = the member's email: Sigma links the member (docs/sigma-api.md §5.3)."""

    kind: ClassVar[ActionKind] = ActionKind.SCIM_LINK_USER
    target: LinkUserTarget
    before: LinkUserBefore
    after: ScimUserAfter
    evidence: LinkUserEvidence


class ScimSetAccountType(BaseAction, tag="scim.set_account_type"):
    """``PATCH /Users/{id}`` ``userType``."""

    kind: ClassVar[ActionKind] = ActionKind.SCIM_SET_ACCOUNT_TYPE
    target: AccountTypeTarget
    before: MemberTypeState
    after: UserTypeState
    evidence: AccountTypeEvidence


class ScimDeactivateUser(BaseAction, tag="scim.deactivate_user"):
    """``PATCH /Users/{id}`` ``active: false`` (a SCIM-managed member; REST edits are refused)."""

    kind: ClassVar[ActionKind] = ActionKind.SCIM_DEACTIVATE_USER
    target: ScimUserRef
    before: ActiveState
    after: ActiveState
    evidence: ScimDeactivateEvidence


class ScimCreateGroup(BaseAction, tag="scim.create_group"):
    """``POST /Groups``: a new team from an IdP group."""

    kind: ClassVar[ActionKind] = ActionKind.SCIM_CREATE_GROUP
    target: GroupTarget
    before: None
    after: DisplayNameState
    evidence: GroupEvidence


class ScimLinkGroup(BaseAction, tag="scim.link_group"):
    """``POST /Groups`` with ``displayName`` = an existing team's name: the team is linked."""

    kind: ClassVar[ActionKind] = ActionKind.SCIM_LINK_GROUP
    target: GroupTarget
    before: TeamNameState
    after: DisplayNameState
    evidence: GroupEvidence


class ScimSetGroupMembers(BaseAction, tag="scim.set_group_members"):
    """``PATCH /Groups/{id}`` members: the team's SCIM-managed members = the group's provisioned ones."""

    kind: ClassVar[ActionKind] = ActionKind.SCIM_SET_GROUP_MEMBERS
    target: GroupTarget
    before: GroupMembersBefore
    after: GroupMembersAfter
    evidence: GroupEvidence


class TeamsRemoveMember(BaseAction, tag="teams.remove_member"):
    """``PATCH /v2/teams/{teamId}/members`` ``{remove}``: a pre-SCIM member the group does not hold; or,
    with ``evidence.removedBy``, no request: the group's push removes the member, apply checks it did."""

    kind: ClassVar[ActionKind] = ActionKind.TEAMS_REMOVE_MEMBER
    target: TeamMemberTarget
    before: TeamMemberBefore
    after: None
    evidence: RemoveMemberEvidence


class MembersDeactivate(BaseAction, tag="members.deactivate"):
    """``PATCH /v2/members/{id}`` ``isArchived`` + ``newOwnerId``."""

    kind: ClassVar[ActionKind] = ActionKind.MEMBERS_DEACTIVATE
    target: MemberRef
    before: DeactivateBefore
    after: ArchiveAfter
    evidence: DeactivateEvidence


class MembersDisableGuest(BaseAction, tag="members.disable_guest"):
    """``PATCH /v2/members/{id}`` ``isArchived`` + ``newOwnerId`` for a guest."""

    kind: ClassVar[ActionKind] = ActionKind.MEMBERS_DISABLE_GUEST
    target: MemberRef
    before: DisableGuestBefore
    after: ArchiveAfter
    evidence: DisableGuestEvidence


class MembersConvertGuest(BaseAction, tag="members.convert_guest"):
    """``PATCH /v2/members/{id}`` ``userKind: internal``."""

    kind: ClassVar[ActionKind] = ActionKind.MEMBERS_CONVERT_GUEST
    target: MemberRef
    before: UserKindState
    after: UserKindState
    evidence: ConvertGuestEvidence


class MembersSetEmail(BaseAction, tag="members.set_email"):
    """``PATCH /v2/members/{id}`` ``email`` (the userName guard, a freed shared address, an undo)."""

    kind: ClassVar[ActionKind] = ActionKind.MEMBERS_SET_EMAIL
    target: MemberRef
    before: EmailState
    after: EmailState
    evidence: SetEmailEvidence


class MembersReactivate(BaseAction, tag="members.reactivate"):
    """``PATCH /v2/members/{id}`` ``isArchived: false`` (or ``isInactive``): a rehired person."""

    kind: ClassVar[ActionKind] = ActionKind.MEMBERS_REACTIVATE
    target: MemberRef
    before: ArchivedState
    after: ArchivedState
    evidence: ReactivateEvidence


Action = Union[
    ScimCreateUser, ScimLinkUser, ScimSetAccountType, ScimDeactivateUser, ScimCreateGroup, ScimLinkGroup,
    ScimSetGroupMembers, TeamsRemoveMember, MembersDeactivate, MembersDisableGuest, MembersConvertGuest,
    MembersSetEmail, MembersReactivate,
]
"""One plan action: the union of the 13 kinds, tagged by ``kind`` in JSON."""

ACTION_TYPES: dict[ActionKind, type[BaseAction]] = {t.kind: t for t in Action.__args__}
"""The action class of each kind."""


_MEMBER_TARGETS = (MemberRef, LinkUserTarget, AccountTypeTarget, ScimUserRef, TeamMemberTarget)


def _kinds_whose(field: str, types: tuple[type, ...]) -> frozenset[ActionKind]:
    """The kinds whose ``field`` (``target``, ``after``) is of one of ``types``: each kind has one type
    per field, so a question about an action's target can be asked once per kind."""
    return frozenset(kind for kind, cls in ACTION_TYPES.items()
                     if any(f.name == field and f.type in types for f in msgspec.structs.fields(cls)))


MEMBER_TARGET_KINDS = _kinds_whose("target", _MEMBER_TARGETS)
"""The kinds whose target is a member (:func:`target_member_id` reads its ``member_id``)."""
TEAM_TARGET_KINDS = _kinds_whose("target", (GroupTarget, TeamMemberTarget))
"""The kinds whose target names a team (:func:`target_team_id` reads its ``team_id``)."""
OWNER_KINDS = _kinds_whose("after", (ArchiveAfter,))
"""The kinds that may name a ``newOwnerId`` (:func:`new_owner_id`)."""


def actions_by_kind(actions: Iterable[Action]) -> dict[ActionKind, list[Action]]:
    """``actions`` grouped by kind, each kind's in their order: a question about one kind (its target's
    field, :data:`MEMBER_TARGET_KINDS`, ...) then reads that kind's actions only, field by field, instead
    of asking every action what it is (121,663 actions at 100k members)."""
    of_kind: dict[ActionKind, list[Action]] = {}
    for a in actions:
        found = of_kind.get(a.kind)
        if found is None:
            of_kind[a.kind] = [a]
        else:
            found.append(a)
    return of_kind


def target_member_id(action: Action) -> str | None:
    """The ``memberId`` of the Sigma member an action acts on (a team removal: the member removed);
    ``None`` for a ``scim.create_user`` (no member yet) and the group actions."""
    target = action.target
    return target.member_id if isinstance(target, _MEMBER_TARGETS) else None


def target_team_id(action: Action) -> str | None:
    """The ``teamId`` of the team a group action or a team removal acts on; ``None`` for a team
    to create and for the member/user actions."""
    target = action.target
    return target.team_id if isinstance(target, (GroupTarget, TeamMemberTarget)) else None


def new_owner_id(action: Action) -> str | None:
    """The ``newOwnerId`` a deactivation hands the member's documents to (``None``: none named, or
    not a REST deactivation)."""
    return action.after.new_owner_id if isinstance(action.after, ArchiveAfter) else None


def target_addresses(action: Action) -> list[str]:
    """The addresses an action's target names its person by, non-empty ones in this order: the
    email, the SCIM ``userName``, the IdP's own userName (a link's ``idpUserName``); none for a team."""
    t = action.target
    if isinstance(t, GroupTarget):
        return []
    found = [t.email]
    if isinstance(t, (LinkUserTarget, CreateUserTarget, ScimUserRef, AccountTypeTarget)):
        found.append(t.user_name)
    if isinstance(t, LinkUserTarget):
        found.append(t.idp_user_name)
    return [a for a in found if a]


def addresses_claimed(action: Action) -> list[str]:
    """The addresses an action gives a member or SCIM user, non-empty ones, as written in the plan,
    first ones first (compare them with :func:`planner.model.email_key`):

    - ``scim.create_user``: the new user's ``userName`` and email (target and ``after``);
    - ``scim.link_user``: the ``after`` ``userName`` and email (Sigma links the member whose email
      is the ``userName``, docs/sigma-api.md §5.3: usually the member's own address);
    - ``members.set_email``: the ``after`` email (the userName guard, a freed shared address, a
      ``linking.duplicates: rename`` alias, an undo);
    - every other kind: none (no action of theirs writes an address).

    Sigma keeps one member per address, letter case aside (docs/sigma-api.md §2.4): another member
    holding one of these makes the action fail 409, so apply's stale check refuses a plan when a
    member made since the plan holds one (:func:`planner.execute.stale.planned_addresses`)."""
    if isinstance(action, ScimCreateUser):
        found = [action.target.user_name, action.target.email, action.after.user_name, action.after.email]
    elif isinstance(action, ScimLinkUser):
        found = [action.after.user_name, action.after.email]
    elif isinstance(action, MembersSetEmail):
        found = [action.after.email]
    else:
        return []
    return list(dict.fromkeys(a for a in found if isinstance(a, str) and a))
