"""The directory: both sides of the migration as typed lookups, built once per plan.

:func:`build_directory` turns a :class:`~planner.model.Snapshot` and the policy's reading of it
into a :class:`Directory`: plain dicts keyed by memberId, email key and IdP id, each IdP user's
email keys and the SCIM userName its IdP app sends, IdP groups with their members flattened
(``teams.flatten_nested``; nesting cycles broken, members reachable only through a nested group
known when not flattening), Sigma team memberships, and Sigma's SCIM state. :mod:`planner.matching`
and every rule family read it; nothing in it changes after it is built.

A decision about one person is carried by a :class:`Person`: the member, the IdP user, the
:class:`Link` that joins them (the match key and what matched on each side) and a
:class:`PersonStatus`, with the fields the linking family decides (the userName a link or create
sends, the userName guard's verdict). Records are frozen: a later family that changes an earlier
one's decision returns a new record (``msgspec.structs.replace``), never edits this one. ``Person``,
``Link``, ``LinkedPair`` and ``IdpEmail`` are frozen msgspec Structs (one per person, per link and
per address: some five times cheaper to make than a frozen data class, bench/linking_bench.py); the
other records frozen, slotted data classes.

Orders: :attr:`Directory.members` and :attr:`Directory.idp_users` keep the exports' order (Sigma's
scheduler robot left out).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from collections import Counter
from dataclasses import dataclass, field, replace
from enum import Enum
from typing import Iterable, Mapping

import msgspec
import networkx as nx

from .model import (
    DERIVED_EMAIL_TYPES, AppliedArchive, AppliedPush, AppliedRefusal, AppliedSeen, AppliedSetUp, AppliedTeam,
    AppliedTeamSeen, AppliedUnfinished, AppliedWrite, DamagedUser, Email, GroupAnswerDoubt, GroupNameDoubt, IdpGroup, IdpUser,
    MissingColumn, ScimGroup, ScimUser, SigmaExport, SigmaMember,
    SigmaTeam, Snapshot, TeamMembership, TransitiveDoubt, email_key, export_organization_id,
)
from .policy import REGEX_PREFIX, Policy, group_pattern_matcher
from .sources.identity_values import damaged_users_of
from .sources.guest_listing import guest_listing_in_doubt
from .sources.sigma import members_listing_in_doubt
from .sources.status_listing import InactiveListingDoubt, inactive_listing_in_doubt
from .sources.values import membership_change_time

INACTIVE_STATUSES = frozenset(
    {"SUSPENDED", "DEPROVISIONED", "STAGED", "DISABLED", "INACTIVE", "DELETED", "ARCHIVED", "FALSE"}
)
"""IdP status words meaning "not an active user" when the export has no ``active`` flag
(Okta user statuses, docs/formats.md §2a)."""

PROTECTED_BECAUSE = {
    "organization.scim_setup_admin": "the SCIM token belongs to them",
    "organization.api_credential_owner": "apply's API credentials belong to them",
}
"""Why each protected person must stay active and admin (docs/sigma-api.md §5.1, §1.2)."""

PROTECTED_MOVE = {
    "organization.scim_setup_admin": ("set SCIM up again as {who} (a new token; Sigma support removes the old one: "
                                      "docs/sigma-api.md §5.1)"),
    "organization.api_credential_owner": "make apply's API credentials again as {who} (docs/sigma-api.md §1.2)",
}
"""How what :data:`PROTECTED_BECAUSE` names moves to another member ``{who}``: naming someone else in the policy
does not move it (tester10 finding 18), so every piece of advice to name another person says this too."""


# --------------------------------------------------------------------------- small pure helpers


def idp_is_active(user: IdpUser) -> bool:
    """``active`` when the export says it; else the status word (:data:`INACTIVE_STATUSES`);
    unknown means active."""
    if user.active is not None:
        return bool(user.active)
    return (user.status or "").strip().upper() not in INACTIVE_STATUSES


def mapped_email(email: Email | None) -> str:
    """What an IdP app mapping userName from the email sends: the primary email, ``""`` when the user
    has none, or only one a loader derived from another attribute (:data:`DERIVED_EMAIL_TYPES`: Entra
    then sends no userName at all, issue 14 item 2)."""
    if email is None or email.type in DERIVED_EMAIL_TYPES:
        return ""
    return email.value


# --------------------------------------------------------------------------- records


class IdpEmail(msgspec.Struct, frozen=True):
    """One address of an IdP user as matching reads it: ``value`` as spelled, ``key``
    (:func:`~planner.model.email_key`, never empty), ``position`` in the user's ``emails``
    (0 = primary/first). Each key once per user, its first spelling."""

    value: str
    key: str
    position: int


@dataclass(frozen=True, slots=True)
class GroupCycle:
    """IdP groups that contain each other through nesting (one strongly connected component)."""

    group_ids: tuple[str, ...]
    display_names: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Group:
    """An IdP group as the rules read it.

    - ``member_ids``: IdP ids of its users, each once, ids the IdP export does not have left out;
      with ``teams.flatten_nested`` the users of every group nested in it too (direct members first,
      then each nested group's by group id; a cycle walked once);
    - ``nested_group_ids``: the groups nested directly in it (sorted);
    - ``nested_only``: with ``teams.flatten_nested`` off, or for an IdP that pushes direct members
      only (:func:`pushes_direct_members_only`), the users who are not its direct members
      but sit in a group nested in it, each with the displayNames of the nesting path from its child
      group down to the group holding them (breadth first, children by id: the shortest path, the
      same for the same inputs); empty otherwise;
    - ``outside_members``: the emails of its members the IdP never provisions, no user of the export
      (:attr:`planner.model.IdpGroup.outside_members`: a Google group's members of another domain or
      ``EXTERNAL``, docs/formats.md §4c; an Entra group's mail contacts, §3e), with those
      of the groups nested in it when its members are flattened.
    """

    group_id: str
    display_name: str
    member_ids: tuple[str, ...] = ()
    nested_group_ids: tuple[str, ...] = ()
    nested_only: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    outside_members: tuple[str, ...] = ()
    membership_updated: str | None = None
    """When the export's group last changed its members (:func:`planner.sources.values.membership_change_time`:
    Okta ``lastMembershipUpdated``, a SCIM export's ``meta.lastModified``); ``None`` when the export does not
    say, or when ``member_ids`` holds users of nested groups, whose changes do not move the group's date.
    Dates a membership the push and Sigma's SCIM group disagree on (:func:`planner.rules.scim_state.settle_group`)."""


class ProvisionedElsewhere(msgspec.Struct, frozen=True):
    """A member whose IdP user Sigma's SCIM state provisioned as another member (:func:`planner.matching.
    provisioned_elsewhere`): ``edge``, the match key's edge joining the member to that IdP user (a rival of the SCIM
    link), and ``member_id``, the member SCIM provisioned them as (under another userName)."""

    edge: LinkedPair
    member_id: str


@dataclass(frozen=True)
class ScimState:
    """The provisioned part of Sigma's SCIM state, by Sigma id.

    ``users``: provisioned users by memberId (their SCIM id, else the only member with their
    userName; the member with their userName when the member of their SCIM id has another email,
    after a userName change: :func:`scim_user_members`); ``groups``: provisioned groups by teamId
    (their SCIM id, else the only team with their displayName); ``user_names``: the ``userName`` of
    every listed user by SCIM id (to read group members). ``known``: the export had a ``scim/`` folder.
    """

    users: Mapping[str, ScimUser] = field(default_factory=dict)
    groups: Mapping[str, ScimGroup] = field(default_factory=dict)
    user_names: Mapping[str, str] = field(default_factory=dict)
    known: bool = False
    by_external_id: Mapping[str, ScimUser] = field(default_factory=dict)
    """Provisioned users by ``externalId``, one each: an ``externalId`` two of them hold is in
    :attr:`shared_external_ids` instead, so nothing is satisfied or linked by it."""
    shared_external_ids: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    """``externalId`` -> the memberIds (two or more, in memberId order) of the provisioned users that hold it:
    one IdP user with several Sigma accounts (a create keyed on a userName the IdP had provisioned the person under
    another one by then, tester14b finding 7), :func:`planner.rules.scim_state.shared_identity_item`."""
    by_user_name: Mapping[str, ScimUser] = field(default_factory=dict)
    """Provisioned users by :func:`~planner.model.email_key` of ``userName``."""
    groups_by_name: Mapping[str, ScimGroup] = field(default_factory=dict)
    """Provisioned groups by ``displayName`` (exact: Sigma links teams by exact name)."""
    groups_by_external_id: Mapping[str, tuple[ScimGroup, ...]] = field(default_factory=dict)
    """Every provisioned group SCIM lists by ``externalId`` (the IdP group's id), in listing order, teams of the
    export or not: an ``externalId`` two of them hold, or one held by a group other than the team a plan's link or
    create is for, is one IdP group with two Sigma teams (:func:`planner.rules.scim_state.second_teams`, tester16b
    finding 2)."""
    groups_without_team: Mapping[str, ScimGroup] = field(default_factory=dict)
    """SCIM groups no team of the export is (neither its id a teamId nor its ``displayName`` a team's name), by
    ``displayName``, provisioned or not: teams Sigma's SCIM service listed that the teams file lacks (the loader's
    ``team-not-in-teams`` warning); what a re-plan knows of a team gone from the teams export
    (:func:`planner.rules.teams.map_team_missing_item`)."""
    written: Mapping[tuple[str, str], AppliedWrite] = field(default_factory=dict)
    """``(memberId, SCIM attribute)`` -> the last value a run of a plan given to ``plan --applied`` wrote
    there (:mod:`planner.applied`), to name it when SCIM still holds that value."""
    pushed: Mapping[str, AppliedPush] = field(default_factory=dict)
    """IdP group id -> the last write a run of a plan given to ``plan --applied`` made to the members of its team's
    SCIM group (a push, a link, a create; :mod:`planner.applied`), to name the run when SCIM's group is still as it
    left it (:meth:`planner.model.AppliedPush.left_as`; tester12 #1, tester13 #2)."""
    second_accounts: Mapping[str, str] = field(default_factory=dict)
    """Members a userName change left behind: the memberId that is a provisioned user's SCIM id but whose
    email is not its userName -> the member that now has it (Sigma made it when the IdP changed the
    userName, and it took over the SCIM id: docs/sigma-api.md §5.3), :func:`scim_user_members`."""
    provisioned_elsewhere: Mapping[str, ProvisionedElsewhere] = field(default_factory=dict)
    """Members an IdP's push left behind without a userName change (:func:`planner.matching.provisioned_elsewhere`,
    set by :func:`with_provisioned_elsewhere` once matching ran): a match key joins the member to an IdP user SCIM
    provisioned as another member under another userName; each is in :attr:`second_accounts` too (-> that member),
    and ``scim.second_account`` asks about it (tester22 finding 1)."""
    set_up_by: str | None = None
    """SCIM was set up in the organization by then: the earliest ``meta.created`` of a provisioned user (ISO 8601
    UTC to the second; RFC 7643 §3.1), ``None`` when no provisioned user says (:func:`scim_set_up_by`)."""
    without_external_id: Mapping[str, ScimUser] = field(default_factory=dict)
    """Listed users with no ``externalId`` the listing cannot tell from pre-SCIM members (:func:`listed_pre_scim`
    false), by memberId: an IdP that sends no ``externalId`` (generic SCIM clients) provisioned them, or someone made
    them by hand; the listing cannot tell which (docs/sandbox.md "provisioned or not"). They are not in
    :attr:`users` (nothing links or satisfies by them), but no REST deactivation is planned for them on an
    IdP export's absence alone (:mod:`planner.rules.scim_state`, ``scim.state_conflict``): Sigma refuses a REST
    deactivation of a member SCIM provisioned (403, docs/sigma-api.md §2.6; tester10 finding 8)."""
    pre_scim: Mapping[str, ScimUser] = field(default_factory=dict)
    """Listed users with no ``externalId`` taken for pre-SCIM members (:func:`listed_pre_scim` true), by memberId:
    edited through the REST API, which Sigma refuses (403) if an IdP that sends no ``externalId`` made them after
    all (e.g. a test push before the first plan); the items that ask about them or report such a refusal offer a
    ``linking.scim_state_conflicts`` entry, which takes them as provisioned (:func:`taken_as_provisioned`;
    :func:`planner.rules.unmatched.provisioned_entry`, tester12 #10)."""
    previous_scim: str = "unknown"
    """The policy's ``preflight.previous_scim`` the listing was read under (:func:`listed_pre_scim`)."""
    applied_set_up: AppliedSetUp | None = None
    """The earliest plan given to ``plan --applied``: its own ``preflight.previous_scim``, which holds for members
    made before this migration's first link instead of :attr:`previous_scim` (:func:`previous_scim_for`)."""

    def managed_user(self, member_id: str) -> ScimUser | None:
        """The user SCIM provisioned as member ``member_id`` (:attr:`users`), whose REST edits Sigma refuses with
        403 (docs/sigma-api.md §5.3 "not editable in Sigma", §10.6), or ``None``: the one test of a SCIM-managed
        member, for the actions (:func:`planner.rules.scim_state.settle_member_edit`) and the advice the items
        give (:func:`planner.rules.linking.managed_mismatch_item`)."""
        return self.users.get(member_id)


class PersonStatus(str, Enum):
    """Where a person stands after linking (:func:`planner.rules.linking.decide`).

    The value is the word the plan's summary counts (``summary.people``).
    """

    LINK = "link"
    """Active member + active in-scope IdP user: ``scim.link_user``."""
    CREATE = "create"
    """In-scope active IdP user with no member: ``scim.create_user``."""
    GUEST = "guest"
    """Active guest member (linked or not): :mod:`planner.rules.guests` decides."""
    LEAVER = "leaver"
    """Active member whose IdP user is deactivated: :mod:`planner.rules.unmatched` decides."""
    NOT_IN_SCOPE = "not_in_scope"
    """Active member whose IdP user is outside ``scope.groups``: :mod:`planner.rules.unmatched` decides."""
    UNMATCHED = "unmatched"
    """Active member with no IdP identity: :mod:`planner.rules.unmatched` decides."""
    SCIM_KEPT = "scim_kept"
    """Active SCIM-managed member whose IdP user the export shows inactive or outside ``scope.groups``, kept
    active because ``linking.scim_state_conflicts`` says Sigma's SCIM state is newer (``newer: scim_state``,
    :func:`planner.rules.scim_state.kept_by_scim_state`): nothing deactivates them, and the pushes of the groups
    the export lists them in, or of the teams whose SCIM group lists them, keep them (:mod:`planner.rules.teams`)."""
    HELD = "held"
    """Part of a blocking review item: no action until it is settled."""
    REHIRE = "rehire"
    """Archived/inactive member matched by an active IdP user (blocking)."""
    REACTIVATE = "reactivate"
    """The same, settled by policy: ``members.reactivate`` then link."""
    DEACTIVATED = "deactivated"
    """Archived/inactive member with nothing to do."""
    IDP_GUEST = "idp_guest"
    """IdP guest user with no member, not created (``guests.create_from_idp``)."""
    GUEST_DISABLED = "guest_disabled"
    """A guest :mod:`planner.rules.guests` disables."""


class Link(msgspec.Struct, frozen=True):
    """Why a member and an IdP user are one person: the evidence of a link.

    ``key``: the policy match key label that joined them (``user_name``, ``emails``,
    ``attribute:employeeNumber``, ``override``, ``scim``); ``link_key``: the same in
    :attr:`planner.model.PersonRow.link_key` words (``email``, ``other_email``, ...);
    ``sigma_value`` / ``idp_field`` / ``idp_value``: what matched on each side, as spelled.
    """

    key: str
    link_key: str
    sigma_value: str
    idp_field: str
    idp_value: str


class LinkedPair(msgspec.Struct, frozen=True):
    """A member and an IdP user joined by a :class:`Link`: a link pinned before matching (an override,
    Sigma's SCIM state), one :mod:`planner.matching` found, or a rival edge a link won over."""

    member_id: str
    idp_id: str
    link: Link


class Person(msgspec.Struct, frozen=True):
    """One person of the migration: a member, an IdP user, or both joined by a :class:`Link`.

    ``person``: the stable key ``"m:<memberId>"`` (a member, linked or not) or ``"i:<idpId>"`` (an
    IdP user with no member). Decision fields (:mod:`planner.rules.linking`): ``user_name`` /
    ``user_name_key``, the SCIM userName a link or create sends (``None`` when none is sent);
    ``guard``, the userName guard's verdict on a link whose IdP userName is not the Sigma email
    (``None``, ``"review"``, ``"use_sigma_email"`` or ``"update_sigma_email"``); ``converted``: a
    guest member :mod:`planner.rules.guests` converts (then linked like ``LINK``).
    """

    person: str
    member: SigmaMember | None
    idp_user: IdpUser | None
    link: Link | None
    status: PersonStatus
    user_name: str | None = None
    user_name_key: str | None = None
    guard: str | None = None
    converted: bool = False
    scim_user_type: str | None = None
    """SCIM's ``userType`` for this person's provisioned member when ``linking.scim_state_conflicts`` says Sigma's
    SCIM state is newer for it (``newer: scim_state``, by :meth:`planner.rules.scim_state.PlannedState.verdict`:
    :func:`planner.rules.scim_state.kept_by_scim_state`), decided once before the families: the account type
    the plan keeps when the export would give another (:func:`planner.rules.account_types.target_type`);
    ``None`` otherwise (tester10 finding 1)."""
    scim_type_entry: str | None = None
    """The ``linking.scim_state_conflicts`` key that keeps :attr:`scim_user_type` (``None`` with it)."""

    @property
    def member_id(self) -> str | None:
        """The memberId, ``None`` for an IdP user with no member."""
        return self.member.member_id if self.member is not None else None

    @property
    def idp_id(self) -> str | None:
        """The IdP id, ``None`` for a member with no IdP user."""
        return self.idp_user.id if self.idp_user is not None else None


# --------------------------------------------------------------------------- the directory


@dataclass(frozen=True, slots=True)
class Directory:
    """Both sides of the migration as lookups (see the module docstring). Built by
    :func:`build_directory`; immutable by convention (its mappings are never written after)."""

    members: Mapping[str, SigmaMember]
    """Sigma people by memberId (Sigma's scheduler robot left out), in export order."""
    member_ids_by_email_key: Mapping[str, tuple[str, ...]]
    """memberIds by :func:`~planner.model.email_key` of their email (archived members included)."""
    member_account_types: Mapping[str, str]
    """Each member's account type in the organization's spelling (``accountTypeName``: Sigma
    matches userType case-sensitively, exports may spell memberType in another case, docs/formats.md §1b);
    the exported memberType when the organization's names are unknown."""
    idp_users: Mapping[str, IdpUser]
    """IdP users by IdP id, in export order."""
    idp_emails: Mapping[str, tuple[IdpEmail, ...]]
    """Each IdP user's addresses (no blank keys; each key once)."""
    scim_user_names: Mapping[str, str]
    """The SCIM userName each IdP user's app sends: the IdP userName, or the primary email under
    ``linking.scim_user_name: primary_email`` or a ``user_name_guard.overrides: use_primary_email``
    entry (:func:`mapped_email`)."""
    scim_user_name_keys: Mapping[str, str]
    """:func:`~planner.model.email_key` of :attr:`scim_user_names`."""
    idp_ids_by_user_name_key: Mapping[str, tuple[str, ...]]
    """IdP ids by the key of the userName the IdP stores."""
    idp_ids_by_scim_user_name_key: Mapping[str, tuple[str, ...]]
    """IdP ids by the key of the SCIM userName their app sends."""
    idp_ids_by_address_key: Mapping[str, tuple[str, ...]]
    """IdP ids by the key of each address Sigma would identify them by: the SCIM userName their app
    sends (:attr:`scim_user_name_keys`) and their primary email (the address at position 0 of
    :attr:`idp_emails`); each id once per key: those sending it as userName first, then those holding it as
    primary email, each in export order (read by :func:`planner.rules.duplicates.idp_collisions`)."""
    active_idp_ids: frozenset[str]
    """IdP users that are active (:func:`idp_is_active`)."""
    in_scope_idp_ids: frozenset[str]
    """Active IdP users inside ``scope.groups`` (every active user when it names none); under
    :attr:`direct_members_only`, only the users a scope group provisions (:meth:`pushed_member_ids`); and the
    users ``account_types.overrides`` assigns individually (:func:`individually_assigned`)."""
    groups: Mapping[str, Group]
    """IdP groups by id (a group id listed twice: one group, its members together)."""
    group_ids_by_name: Mapping[str, tuple[str, ...]]
    """:attr:`groups`' ids by displayName, in :attr:`groups`' order (read by :meth:`group_ids_matching`)."""
    group_cycles: tuple[GroupCycle, ...]
    """Nesting cycles among the IdP groups, sorted by their ids."""
    teams: Mapping[str, SigmaTeam]
    """Sigma teams by teamId, in export order."""
    team_memberships: tuple[TeamMembership, ...]
    """Every team membership once (a pair listed twice: the first one counts), in export order."""
    team_members: Mapping[str, tuple[TeamMembership, ...]]
    """:attr:`team_memberships` by teamId."""
    member_team_counts: Mapping[str, int]
    """memberId -> how many Sigma teams hold them (:attr:`team_memberships`; a member in none is absent): read by
    the example rule of the review items' snippets (:func:`planner.rules.examples.team_counts`)."""
    scim: ScimState
    """What an IdP already provisioned (:func:`scim_state`; decided on in :mod:`planner.rules.scim_state`)."""
    account_type_names: tuple[str, ...] | None
    """The organization's account type names, sorted (``None``: the export has no ``account_types.json``)."""
    custom_account_types: frozenset[str]
    """Account type names the organization marks ``isCustom`` (docs/sigma-api.md §4.1)."""
    organization_id: str
    """The organizationId most members carry (the smallest on a tie), ``""`` when none does."""
    idp_format: str
    """The detected IdP export format(s) (:attr:`planner.model.IdpDirectory.format`)."""
    idp_damaged_users: tuple[DamagedUser, ...]
    """The IdP users a spreadsheet rewrote a value of, as the loader found them
    (:func:`planner.sources.identity_values.damaged_users_of`; read by :func:`planner.rules.inputs.spreadsheet_holds`)."""
    idp_group_name_doubts: tuple[GroupNameDoubt, ...] = ()
    """The IdP export's group names likely typed with another separator
    (:attr:`planner.model.IdpDirectory.group_name_doubts`; read by
    :func:`planner.rules.inputs.group_name_separator_items`)."""
    idp_transitive_doubts: tuple[TransitiveDoubt, ...] = ()
    """The Graph ``/transitiveMembers`` answers listing nested groups (:attr:`planner.model.IdpDirectory.transitive_doubts`;
    read by :func:`planner.rules.inputs.transitive_members_items`)."""
    idp_answer_doubts: tuple[GroupAnswerDoubt, ...] = ()
    """The groups whose hand-saved members answers are in doubt, and why (:attr:`planner.model.IdpDirectory.answer_doubts`;
    read by :func:`planner.rules.inputs.group_answer_items`)."""
    idp_users_in_doubt: InactiveListingDoubt | None = None
    """The IdP users file when it may have been listed without its deactivated or suspended users (Okta's without
    ``DEPROVISIONED``: :func:`planner.sources.status_listing.inactive_listing_in_doubt`); ``None`` otherwise (read by
    :func:`planner.rules.preflight.idp_users_listing`)."""
    idp_guests_in_doubt: str | None = None
    """The IdP users file when the export marks guests yet holds none while Sigma has active guests (a filtered
    download? :func:`planner.sources.guest_listing.guest_listing_in_doubt`), the path as read; ``None`` otherwise
    (read by :func:`planner.rules.guests.no_idp_guests_items`)."""
    missing_columns: Mapping[tuple[str, str], MissingColumn] = field(default_factory=dict)
    """The rule-bearing fields a file's format carries but the file lacks, by ``(path as read, field)`` (both sides:
    :attr:`planner.model.SigmaExport.missing_columns`, :attr:`planner.model.IdpDirectory.missing_columns`): what a
    rule decides on them cannot be told (:meth:`lacks`; tester21 finding 7)."""
    sigma_members_in_doubt: str | None = None
    """The Sigma members file when it may have been listed without its archived and inactive members
    (:func:`planner.sources.sigma.members_listing_in_doubt`: no fetch manifest, and neither kind in it), the path
    as read; ``None`` otherwise (read by :func:`planner.rules.preflight.members_listing`)."""
    idp_fetched_at: str | None = None
    """When ``fetch-idp`` read the IdP (:attr:`planner.model.IdpDirectory.fetched_at`, ISO 8601 UTC to the second),
    ``None`` when the export does not say: dates a team's group whose export says no membership date of its own
    (:func:`planner.rules.scim_state.dated_group_members`)."""
    direct_members_only: bool = False
    """The IdP provisions only the direct members of an assigned group (:func:`pushes_direct_members_only`):
    scope and account types read :meth:`pushed_member_ids`."""
    scope_nested_only: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    """Active IdP users a ``scope.groups`` group holds only through a nested group, whom flattening
    (``teams.flatten_nested``) would put in scope but an IdP of :attr:`direct_members_only` does not
    provision (so they are not in :attr:`in_scope_idp_ids`): the group chain, scope group first
    (displayNames), for each."""
    applied_teams: Mapping[str, AppliedTeam] = field(default_factory=dict)
    """The teams runs of the plans given to ``plan --applied`` linked or created, by team name (the last run's;
    :attr:`planner.model.AppliedRuns.teams`): what a re-plan knows of a team its exports no longer have."""
    applied_refusals: Mapping[str, AppliedRefusal] = field(default_factory=dict)
    """The actions Sigma refused runs of the plans given to ``plan --applied`` for good, by action id (the
    last run's; :attr:`planner.model.AppliedRuns.refusals`): what a re-plan must not plan again
    (:mod:`planner.rules.refusals`)."""
    applied_unfinished: tuple[AppliedUnfinished, ...] = ()
    """The runs of the plans given to ``plan --applied`` that were interrupted or killed and are neither finished nor
    rolled back (:attr:`planner.model.AppliedRuns.unfinished`): each holds the re-plan
    (:mod:`planner.rules.unfinished_runs`)."""
    applied_archives: Mapping[str, AppliedArchive] = field(default_factory=dict)
    """The last archive or reactivation through the REST API by runs of the plans given to ``plan --applied``, by
    memberId (:attr:`planner.model.AppliedRuns.archives`): a member a run archived who is active in the export was
    reactivated outside this tool since (:mod:`planner.rules.unmatched`)."""
    applied_seen: Mapping[str, AppliedSeen] = field(default_factory=dict)
    """Each member as the plan given to ``plan --applied`` that read Sigma last was made against it, by memberId
    (:attr:`planner.model.AppliedRuns.seen`): a member it saw active whom the export lists archived or inactive, and
    no run archived since, was archived by hand (:func:`planner.rules.reactivated.archived_by_hand`)."""
    applied_teams_seen: Mapping[str, AppliedTeamSeen] = field(default_factory=dict)
    """Each team as the plan given to ``plan --applied`` that read Sigma last was made against it, by teamId
    (:attr:`planner.model.AppliedRuns.teams_seen`): a linked team the export names otherwise was renamed since
    (:func:`planner.rules.since_applied.changes_since`)."""

    def pushed_member_ids(self, group_id: str) -> tuple[str, ...]:
        """The members of a group the IdP provisions when the group is assigned to the app: its
        :attr:`Group.member_ids`, without the :attr:`Group.nested_only` ones under
        :attr:`direct_members_only` (Entra ID, docs/formats.md §3e)."""
        group = self.groups[group_id]
        if not (self.direct_members_only and group.nested_only):
            return group.member_ids
        nested = group.nested_only
        return tuple(i for i in group.member_ids if i not in nested)

    def group_ids_matching(self, pattern: str) -> tuple[str, ...]:
        """The ids of the IdP groups whose displayName ``pattern`` names (a displayName, exact and
        case-sensitive, or ``re:<pattern>``, a full match: :func:`planner.policy.group_pattern_matcher`), in
        :attr:`groups`' order. An exact name is one lookup; only a ``re:`` pattern reads every group."""
        if not pattern.startswith(REGEX_PREFIX):
            return self.group_ids_by_name.get(pattern, ())
        match = group_pattern_matcher(pattern)
        return tuple(i for i, g in self.groups.items() if match(g.display_name))

    def find_member_id(self, ref: str | None) -> str | None:
        """memberId of a person the policy names by memberId or email (a unique match), else ``None``."""
        if not ref:
            return None
        if ref in self.members:
            return ref
        found = self.member_ids_by_email_key.get(email_key(ref), ())
        return found[0] if len(found) == 1 else None

    def lacks(self, record: SigmaMember | IdpUser | None, field: str | None) -> MissingColumn | None:
        """The :class:`~planner.model.MissingColumn` when ``record``'s file lacks ``field`` (:attr:`missing_columns`),
        else ``None`` (the field is there, said or not for this record; or the record has no file)."""
        if record is None or field is None or record.source is None or not self.missing_columns:
            return None
        return self.missing_columns.get((record.source.file, field))

    def find_idp_id(self, ref: str | None) -> str | None:
        """IdP id of a user the policy names by id, userName or sent userName (a unique match), else ``None``."""
        if not ref:
            return None
        if ref in self.idp_users:
            return ref
        key = email_key(ref)
        for index in (self.idp_ids_by_user_name_key, self.idp_ids_by_scim_user_name_key):
            found = index.get(key, ())
            if len(found) == 1:
                return found[0]
        return None

    def account_type_spelling(self, name: str) -> str | None:
        """The organization's spelling of account type ``name`` (case-insensitive), if known."""
        if self.account_type_names is None:
            return None
        folded = {n.casefold(): n for n in self.account_type_names}
        return folded.get(name.casefold())

    def protected_members(self, policy: Policy) -> dict[str, str]:
        """memberId -> policy key (``organization.scim_setup_admin`` or ``organization.api_credential_owner``)
        of the people the guards protect, those found in the export (the first key when one person is both).

        The SCIM token belongs to the setup admin (docs/sigma-api.md §5.1) and the REST credentials to their
        owner (§1.2): the rules never plan a change that breaks either.

        A role's holder (:meth:`protected_member_id`) is protected, and so is the member the policy names when a
        userName change made it (tester10 finding 18): the plan deactivates and downgrades neither.
        """
        out: dict[str, str] = {}
        for key in ("scim_setup_admin", "api_credential_owner"):
            ref = getattr(policy.organization, key)
            for mid in (self.protected_member_id(ref), self.find_member_id(ref)):
                if mid:
                    out.setdefault(mid, f"organization.{key}")
        return out

    def protected_member_id(self, ref: str | None) -> str | None:
        """memberId of the member who holds a protected role's secret (the SCIM token of ``organization.
        scim_setup_admin``, the API credentials of ``api_credential_owner``) when the policy names ``ref`` (memberId
        or email): :meth:`find_member_id`, except when that member is the one Sigma made when the IdP changed a
        provisioned user's userName (a value of :attr:`ScimState.second_accounts`): then the member the change left
        behind. Sigma made the new member through SCIM, after the token and the credentials were made, so they stay
        with the old member, whatever the policy now names (docs/sigma-api.md §5.1, §1.2, §5.3; tester10 finding
        18). ``None`` when ``ref`` names nobody."""
        mid = self.find_member_id(ref)
        if mid is None:
            return None
        return next((old for old, new in self.scim.second_accounts.items() if new == mid), mid)


def pushes_direct_members_only(idp_format: str) -> bool:
    """Whether the IdP of export format ``idp_format`` provisions only the direct members of an
    assigned group: Entra ID does (nested groups are not expanded: Microsoft Learn, "Scoping users
    or groups to be provisioned"; docs/formats.md §3e); Okta groups never nest; the other formats say
    nothing either way."""
    return idp_format.split("-")[0] == "entra"


def build_directory(snapshot: Snapshot, policy: Policy) -> Directory:
    """The :class:`Directory` of ``snapshot`` read under ``policy`` (``linking.scim_user_name``,
    ``user_name_guard.overrides``, ``scope.groups``, ``teams.flatten_nested``). Pure; raises nothing
    for data problems (:func:`planner.planning.check_snapshot` has refused bad ids before)."""
    sigma = snapshot.sigma
    members = {m.member_id: m for m in sigma.members if not m.is_system}
    account_types = sigma.account_types
    type_names = tuple(sorted({a.name for a in account_types})) if account_types is not None else None
    users = {u.id: u for u in snapshot.idp.users}
    stored_keys = {u.id: u.user_name_key or email_key(u.user_name) for u in snapshot.idp.users}
    by_user_name_key = _index((k, i) for i, k in stored_keys.items())
    sent, sent_keys = _scim_user_names(snapshot.idp.users, stored_keys, policy)
    # the app sends the stored userName (the default): the same index
    by_sent_key = by_user_name_key if sent_keys is stored_keys else _index((k, i) for i, k in sent_keys.items())
    emails = {u.id: _emails(u) for u in snapshot.idp.users}
    active = frozenset(i for i, u in users.items() if idp_is_active(u))
    direct_only = pushes_direct_members_only(snapshot.idp.format)
    groups, cycles = _groups(snapshot.idp.groups, users, flatten=policy.teams.flatten_nested, direct_only=direct_only)
    in_scope, scope_nested = _in_scope(snapshot.idp.groups, groups, active, policy.scope.groups,
                                       direct_only=direct_only and policy.teams.flatten_nested)
    if policy.scope.groups and policy.account_types.overrides:
        in_scope |= active & individually_assigned(policy.account_types.overrides, users, members,
                                                   (by_user_name_key, by_sent_key))
    memberships = _first_memberships(sigma.team_memberships)
    return Directory(
        members=members,
        member_ids_by_email_key=_index((m.email_key or email_key(m.email), m.member_id) for m in members.values()),
        member_account_types=_account_types(members, type_names),
        idp_users=users,
        idp_emails=emails,
        scim_user_names=sent,
        scim_user_name_keys=sent_keys,
        idp_ids_by_user_name_key=by_user_name_key,
        idp_ids_by_scim_user_name_key=by_sent_key,
        idp_ids_by_address_key=_address_index(by_sent_key, sent_keys, emails),
        active_idp_ids=active,
        in_scope_idp_ids=in_scope,
        groups=groups,
        group_ids_by_name=_index((g.display_name, i) for i, g in groups.items()),
        group_cycles=cycles,
        teams={t.team_id: t for t in sigma.teams},
        team_memberships=memberships,
        team_members=_index((t.team_id, t) for t in memberships),
        member_team_counts=Counter(t.member_id for t in memberships),
        scim=scim_state(sigma, snapshot.applied.writes, policy.preflight.previous_scim, snapshot.applied.set_up,
                        frozenset(policy.linking.scim_state_conflicts), snapshot.applied.pushes),
        account_type_names=type_names,
        custom_account_types=frozenset(a.name for a in account_types or () if a.is_custom),
        organization_id=export_organization_id(sigma.members),
        idp_format=snapshot.idp.format,
        idp_damaged_users=damaged_users_of(snapshot.idp),
        idp_group_name_doubts=snapshot.idp.group_name_doubts,
        idp_transitive_doubts=snapshot.idp.transitive_doubts,
        idp_answer_doubts=snapshot.idp.answer_doubts,
        idp_fetched_at=snapshot.idp.fetched_at,
        missing_columns={(c.path, c.field): c for c in (*sigma.missing_columns, *snapshot.idp.missing_columns)},
        sigma_members_in_doubt=members_listing_in_doubt(sigma),
        idp_users_in_doubt=inactive_listing_in_doubt(snapshot.idp),
        idp_guests_in_doubt=guest_listing_in_doubt(snapshot.idp, sigma.members),
        direct_members_only=direct_only,
        scope_nested_only=scope_nested,
        applied_teams={t.name: t for t in snapshot.applied.teams},
        applied_refusals={r.action_id: r for r in snapshot.applied.refusals},
        applied_unfinished=snapshot.applied.unfinished,
        applied_archives={a.member_id: a for a in snapshot.applied.archives},
        applied_seen={a.member_id: a for a in snapshot.applied.seen},
        applied_teams_seen={t.team_id: t for t in snapshot.applied.teams_seen},
    )


def _index(pairs: Iterable[tuple[str, object]]) -> dict[str, tuple]:
    """``{key: values in order}`` of ``(key, value)`` pairs, blank keys left out.

    Most keys of the directory's indexes have one value (an email key, a userName): each gets its
    1-tuple at once, and only keys with more collect a list (some three times faster than a list
    per key, and linear however many values a key has).
    """
    out: dict[str, tuple] = {}
    more: dict[str, list] = {}
    for key, value in pairs:
        if not key:
            continue
        found = out.get(key)
        if found is None:
            out[key] = (value,)
        elif key in more:
            more[key].append(value)
        else:
            more[key] = [found[0], value]
    out.update((key, tuple(values)) for key, values in more.items())
    return out


def _address_index(by_sent_key: Mapping[str, tuple[str, ...]], sent_keys: Mapping[str, str],
                   emails: Mapping[str, tuple[IdpEmail, ...]]) -> dict[str, tuple]:
    """See :attr:`Directory.idp_ids_by_address_key`: ``by_sent_key``
    (:attr:`Directory.idp_ids_by_scim_user_name_key`), then the primary emails that are not the
    user's own SCIM userName."""
    out = dict(by_sent_key)
    for key, ids in _index((e[0].key, i) for i, e in emails.items()
                           if e and e[0].position == 0 and e[0].key != sent_keys[i]).items():
        out[key] = out.get(key, ()) + ids
    return out


def _account_types(members: Mapping[str, SigmaMember], type_names: tuple[str, ...] | None) -> dict[str, str]:
    """See :attr:`Directory.member_account_types` (each spelling looked up once)."""
    spelling: dict[str | None, str] = {}
    if type_names is not None:
        folded = {n.casefold(): n for n in type_names}
        for m in members.values():
            if m.member_type not in spelling:
                spelling[m.member_type] = folded.get((m.member_type or "").casefold(), m.member_type or "")
    return {mid: spelling.get(m.member_type) or m.member_type or "" for mid, m in members.items()}


def _emails(user: IdpUser) -> tuple[IdpEmail, ...]:
    """The user's addresses, each key once (its first spelling), no blank keys."""
    if len(user.emails) == 1:  # most users: no key to compare
        e = user.emails[0]
        key = e.key or email_key(e.value)
        return (IdpEmail(e.value, key, 0),) if key else ()
    out = []
    seen: set[str] = set()
    for position, e in enumerate(user.emails):
        key = e.key or email_key(e.value)
        if key and key not in seen:
            seen.add(key)
            out.append(IdpEmail(e.value, key, position))
    return tuple(out)


def _scim_user_names(users: Iterable[IdpUser], stored_keys: dict[str, str], policy: Policy
                     ) -> tuple[dict[str, str], dict[str, str]]:
    """``({idp id: SCIM userName sent}, {idp id: its key})`` (see :attr:`Directory.scim_user_names`);
    ``stored_keys``: the key of each user's own userName, returned as it is when every user's app sends
    that userName."""
    use_email = policy.linking.scim_user_name == "primary_email"
    # user_name_guard.overrides `use_primary_email`: the IdP app sends these users' primary email
    refs = {ref for ref, how in policy.user_name_guard.overrides.items() if how == "use_primary_email"}
    keys = {email_key(ref) for ref in refs} if refs and not use_email else set()
    if not (use_email or keys):
        return {u.id: u.user_name for u in users}, stored_keys
    sent: dict[str, str] = {}
    sent_keys: dict[str, str] = {}
    for u in users:
        stored_key = stored_keys[u.id]
        if use_email or (keys and (u.id in refs or stored_key in keys)):
            value = mapped_email(u.primary_email)
            sent[u.id], sent_keys[u.id] = value, email_key(value)
        else:
            sent[u.id], sent_keys[u.id] = u.user_name, stored_key
    return sent, sent_keys


def individually_assigned(overrides: Iterable[str], users: Mapping[str, IdpUser], members: Mapping[str, SigmaMember],
                          indexes: Iterable[Mapping[str, tuple]]) -> frozenset[str]:
    """The IdP users ``account_types.overrides`` names (its keys: an IdP id, a userName stored or sent, a member
    email or memberId, whose address is the IdP user's userName): an account type set for one person is an
    individual assignment to the Sigma app (docs/policy.md, ``account_types.overrides``; the hand-off's
    individual_assignments.csv), and the IdP provisions an individually assigned user whatever groups hold
    them, so they are in scope beside ``scope.groups`` (tester13 finding 4: such a person was deactivated as
    "outside scope.groups"). ``indexes``: the directory's userName-key indexes (stored, sent)."""
    found: set[str] = set()
    for ref in overrides:
        if ref in users:
            found.add(ref)
            continue
        key = email_key(members[ref].email or "") if ref in members else email_key(ref)
        for index in indexes:
            found.update(index.get(key, ()))
    return frozenset(found)


def _in_scope(snapshot_groups: Iterable[IdpGroup], groups: Mapping[str, Group], active: frozenset[str],
              patterns: list, *, direct_only: bool = False) -> tuple[frozenset[str], dict[str, tuple[str, ...]]]:
    """Active IdP users in a group whose displayName matches a ``scope.groups`` pattern (all active
    users when there is none), and :attr:`Directory.scope_nested_only`. Every listing of a group id
    is tried against the patterns. ``direct_only``: the groups' flattened members minus their
    nested-only ones are in scope (the IdP provisions direct members only)."""
    if not patterns:
        return active, {}
    listed = list(snapshot_groups)
    scoped: set[str] = set()
    chains: dict[str, tuple[str, ...]] = {}
    for pattern in patterns:
        match = group_pattern_matcher(pattern)
        for g in listed:
            if not match(g.display_name):
                continue
            group = groups[g.id]
            nested = group.nested_only if direct_only else {}
            scoped.update(i for i in group.member_ids if i not in nested)
            for i, path in nested.items():
                chains.setdefault(i, (group.display_name,) + path)
    in_scope = active & scoped
    return in_scope, {i: chain for i, chain in chains.items() if i in active and i not in in_scope}


def _first_memberships(memberships: tuple[TeamMembership, ...]) -> tuple[TeamMembership, ...]:
    """Each (team, member) pair once, the first listing."""
    if len({(t.team_id, t.member_id) for t in memberships}) == len(memberships):
        return tuple(memberships)
    seen: set[tuple[str, str]] = set()
    out = []
    for t in memberships:
        pair = (t.team_id, t.member_id)
        if pair not in seen:
            seen.add(pair)
            out.append(t)
    return tuple(out)


def _groups(listed: tuple[IdpGroup, ...], users: Mapping[str, IdpUser], *, flatten: bool, direct_only: bool = False
            ) -> tuple[dict[str, Group], tuple[GroupCycle, ...]]:
    """Every IdP group with its members (flattened when ``flatten``) and the nesting cycles; the
    members reachable only through nesting when not flattening or ``direct_only`` (the IdP pushes
    direct members only).

    A group's flattened members are its direct users plus the users of every group reachable
    through ``member_group_ids`` (networkx descendants: a cycle A -> B -> A is walked once, never
    looped), each once.
    """
    direct: dict[str, list[str]] = {}
    names: dict[str, str] = {}
    dated: dict[str, str | None] = {}  # a group listed twice with two dates: undated
    outside: dict[str, dict[str, None]] = {}
    for g in listed:
        if g.outside_members:
            outside.setdefault(g.id, {}).update(dict.fromkeys(g.outside_members))
        ids = dict.fromkeys(g.member_user_ids)  # each once
        if not ids.keys() <= users.keys():
            ids = dict.fromkeys(i for i in ids if i in users)
        if g.id in direct:  # the same group id twice: one group
            ids = dict.fromkeys(direct[g.id]) | ids
        direct[g.id] = list(ids)
        names[g.id] = g.display_name
        when = membership_change_time(g.attributes)
        dated[g.id] = when if dated.get(g.id, when) == when else None
    nesting = nx.DiGraph()
    nesting.add_edges_from((g.id, sub) for g in listed for sub in g.member_group_ids)
    cycles = []
    for component in nx.strongly_connected_components(nesting):
        if len(component) > 1 or any(nesting.has_edge(n, n) for n in component):
            ids = tuple(sorted(component))
            cycles.append(GroupCycle(ids, tuple(names.get(i, i) for i in ids)))
    cycles.sort(key=lambda c: c.group_ids)
    nested = {gid: tuple(sorted(nesting.successors(gid))) for gid in nesting.nodes if nesting.out_degree(gid)}
    members: dict[str, list[str]] = direct
    if flatten and nesting.number_of_edges():
        members = dict(direct)
        for gid in nesting.nodes:
            below = [d for d in nx.descendants(nesting, gid) if d != gid and direct.get(d)]
            if below:
                own = list(direct.get(gid, ()))
                seen = set(own)
                for d in sorted(below):
                    own.extend(i for i in direct[d] if not (i in seen or seen.add(i)))
                members[gid] = own
        if outside:
            for gid in nesting.nodes:
                below = [d for d in sorted(nx.descendants(nesting, gid)) if d != gid and d in outside]
                if below:
                    mine = outside.setdefault(gid, {})
                    for d in below:
                        mine.update(outside[d])
    nested_only = _nested_only(nested, direct, names) if nested and (direct_only or not flatten) else {}
    return {
        gid: Group(gid, names[gid], tuple(ids), nested.get(gid, ()), nested_only.get(gid, {}),
                   tuple(outside.get(gid, ())), None if nested.get(gid) else dated.get(gid))
        for gid, ids in members.items()
    }, tuple(cycles)


def _nested_only(nested: Mapping[str, tuple[str, ...]], direct: Mapping[str, list[str]],
                 names: Mapping[str, str]) -> dict[str, dict[str, tuple[str, ...]]]:
    """For each group holding nested groups: ``{IdP id: nesting path (displayNames)}`` of the users
    reachable only through them (see :attr:`Group.nested_only`). A cycle is walked once."""
    out: dict[str, dict[str, tuple[str, ...]]] = {}
    for gid in sorted(nested):
        own = set(direct.get(gid, ()))
        found: dict[str, tuple[str, ...]] = {}
        seen = {gid}
        frontier = [(sub, (names.get(sub, sub),)) for sub in nested[gid]]
        while frontier:
            following = []
            for sub, path in frontier:
                if sub in seen:
                    continue
                seen.add(sub)
                for i in direct.get(sub, ()):
                    if i not in own and i not in found:
                        found[i] = path
                following += [(deeper, path + (names.get(deeper, deeper),)) for deeper in nested.get(sub, ())]
            frontier = following
        if found:
            out[gid] = found
    return out


# --------------------------------------------------------------------------- Sigma's SCIM state


def scim_state(export: SigmaExport, applied: Iterable[AppliedWrite] = (), previous_scim: str = "unknown",
               applied_set_up: AppliedSetUp | None = None, conflict_keys: frozenset[str] = frozenset(),
               pushes: Iterable[AppliedPush] = ()) -> ScimState:
    """The :class:`ScimState` of an export (empty when it has no SCIM files), with ``applied``: the SCIM
    writes of earlier runs (``plan --applied``, in the order they finished; the last one per member
    and attribute is kept); ``previous_scim``: the policy's ``preflight.previous_scim``, and ``applied_set_up``: the
    earliest applied plan's answer with this migration's first link (``None`` without ``--applied``), which say
    which listed users without ``externalId`` are pre-SCIM members (:func:`listed_pre_scim`), as do
    ``conflict_keys``, the keys of the policy's ``linking.scim_state_conflicts`` (:func:`taken_as_provisioned`);
    ``pushes``: the writes of earlier runs to the teams' members (in the order they finished; the last one per
    IdP group is kept)."""
    if export.scim_users is None or export.scim_groups is None:
        return ScimState()
    members = {m.member_id for m in export.members}
    teams = {t.team_id for t in export.teams}
    # Sigma's SCIM id is the memberId / teamId in the sandbox; docs/sigma-api.md §10.2 leaves it open, so
    # a SCIM id that is not one is joined by the only member with its userName (team with its name)
    by_email: dict[str, list[str]] = {}
    for m in export.members:
        by_email.setdefault(m.email_key, []).append(m.member_id)
    by_name: dict[str, list[str]] = {}
    for t in export.teams:
        by_name.setdefault(t.name, []).append(t.team_id)
    email_keys = {m.member_id: m.email_key for m in export.members}
    users: dict[str, ScimUser] = {}
    second_accounts: dict[str, str] = {}
    set_up_by = scim_set_up_by(export.scim_users)
    without_external_id: dict[str, ScimUser] = {}
    pre_scim: dict[str, ScimUser] = {}
    for u in export.scim_users:
        found = scim_user_members(u, email_keys, by_email)
        if u.provisioned and len(found) == 1:
            users[found[0]] = u
            if found[0] != u.id and u.id in members:
                second_accounts[u.id] = found[0]
        elif len(found) == 1 and not u.provisioned:
            if listed_pre_scim(u, set_up_by, previous_scim_for(u, previous_scim, applied_set_up)[0],
                               taken_as_provisioned(u, conflict_keys)):
                pre_scim[found[0]] = u
            else:
                without_external_id[found[0]] = u
    held: dict[str, list[str]] = {}  # externalId -> the memberIds of the provisioned users holding it
    for member_id, u in users.items():
        held.setdefault(str(u.external_id), []).append(member_id)
    groups: dict[str, ScimGroup] = {}
    without_team: dict[str, ScimGroup] = {}
    by_group_id: dict[str, list[ScimGroup]] = {}
    for g in export.scim_groups:
        if g.provisioned:
            by_group_id.setdefault(str(g.external_id), []).append(g)
        found = [g.id] if g.id in teams else by_name.get(g.display_name, [])
        if g.provisioned and len(found) == 1:
            groups[found[0]] = g
        elif not found:
            without_team.setdefault(g.display_name, g)
    return ScimState(
        groups_by_name={g.display_name: g for g in groups.values()},
        groups_by_external_id={e: tuple(found) for e, found in by_group_id.items()},
        users=users,
        by_external_id={e: users[ids[0]] for e, ids in held.items() if len(ids) == 1},
        shared_external_ids={e: tuple(sorted(ids)) for e, ids in held.items() if len(ids) > 1},
        by_user_name={u.user_name_key: u for u in users.values()},
        groups=groups,
        user_names={u.id: u.user_name for u in export.scim_users},
        known=True,
        groups_without_team=without_team,
        written={(w.member_id, w.attribute): w for w in applied},
        pushed={p.group_id: p for p in pushes},
        second_accounts=second_accounts,
        set_up_by=set_up_by,
        without_external_id=without_external_id,
        pre_scim=pre_scim,
        previous_scim=previous_scim,
        applied_set_up=applied_set_up,
    )


def with_provisioned_elsewhere(directory: Directory, found: Mapping[str, ProvisionedElsewhere]) -> Directory:
    """``directory`` with ``found`` (:func:`planner.matching.provisioned_elsewhere`) in its SCIM state's
    :attr:`ScimState.provisioned_elsewhere` and :attr:`ScimState.second_accounts` (memberId -> the member SCIM
    provisioned their IdP user as), so every family that reads a member left behind reads them too (unmatched,
    teams, guards, linking's namesakes); ``directory`` itself when ``found`` is empty."""
    if not found:
        return directory
    state = directory.scim
    second = {**state.second_accounts, **{mid: f.member_id for mid, f in found.items()}}
    return replace(directory, scim=replace(state, second_accounts=second, provisioned_elsewhere=dict(found)))


THIS_MIGRATIONS_SET_UP = frozenset({"none", "removed_by_support"})
"""The ``preflight.previous_scim`` answers that say the SCIM connection in use was set up for this migration (no
earlier one, or Sigma support removed it, docs/sigma-api.md §5.1): nothing was provisioned through it before its
first provisioned user (:func:`scim_set_up_by`), the migration's first link or the IdP's first push."""


def previous_scim_for(user: ScimUser, previous_scim: str, applied_set_up: AppliedSetUp | None
                      ) -> tuple[str, AppliedSetUp | None]:
    """The ``preflight.previous_scim`` answer that holds for ``user`` (listed by SCIM without an ``externalId``), and
    the applied plan that gave it (``None``: the policy's, ``previous_scim``).

    A user made (``meta.created``) before this migration's first link (``applied_set_up.first_link``, the first
    SCIM write of the plans given to ``plan --applied``) is judged by the earliest applied plan's own answer
    (``applied_set_up.previous_scim``): it was given before any link, for the organization as it was then, while the
    re-plan's ``same_setup`` says only that the connection in use is the one the earlier waves used (tester11
    finding 13: under it every remaining pre-SCIM leaver of the first plan became a blocking question). A user made
    at or after that second, or whose ``meta.created`` is unknown, is judged by ``previous_scim``."""
    if applied_set_up is not None and user.created and user.created < applied_set_up.first_link:
        return applied_set_up.previous_scim, applied_set_up
    return previous_scim, None


def taken_as_provisioned(user: ScimUser, conflict_keys: frozenset[str]) -> bool:
    """Whether the policy's ``linking.scim_state_conflicts`` (its keys, ``conflict_keys``) names ``user``, whom
    Sigma's SCIM lists without an ``externalId``, by its ``userName`` (the key
    :meth:`planner.rules.scim_state.PlannedState.entry` reads for such a user; ``*`` names nobody in particular):
    the admin's word that an IdP provisioned them (e.g. a test push through SCIM before the first plan), so
    :func:`listed_pre_scim` never takes them for a pre-SCIM member, whatever ``preflight.previous_scim`` says, and
    their deactivation is settled by the entry as a provisioned user's (``scim.deactivate_user``, tester12 #10)."""
    return not user.external_id and user.user_name in conflict_keys


def listed_pre_scim(user: ScimUser, set_up_by: str | None, previous_scim: str,
                    entry_says_provisioned: bool = False) -> bool:
    """Whether ``user``, whom Sigma's SCIM lists without an ``externalId``, is known to be a pre-SCIM member (made
    by hand before SCIM was set up, so edited through the REST API: docs/sigma-api.md §2.5), where only its dates can
    tell: Sigma's SCIM lists pre-SCIM members too, without ``externalId``, and so does it a member an IdP that sends
    none provisioned (docs/sandbox.md "pre-SCIM members and teams", "provisioned or not"; whether real Sigma lists
    hand-made members at all is not established, docs/sigma-api.md §10.15, so a listed one is never taken for one
    on the listing alone).

    ``previous_scim``: the answer that holds for ``user`` (:func:`previous_scim_for`: the earliest applied plan's for
    a user made before this migration's first link, else the policy's). ``entry_says_provisioned``: a
    ``linking.scim_state_conflicts`` entry names them (:func:`taken_as_provisioned`): never pre-SCIM, whatever
    ``previous_scim`` and the dates say (tester12 #10: under ``removed_by_support`` such a member was planned a REST
    deactivation Sigma refused, 403, and the entry was ignored).

    True when the answer says the SCIM connection in use is this migration's (``previous_scim`` in
    :data:`THIS_MIGRATIONS_SET_UP`) and ``user`` was made (``meta.created``) before ``set_up_by``'s second, its first
    provisioned user's (a ``meta.created`` there but unreadable while ``set_up_by`` is known cannot tell, tester10 #12;
    nor can one in that very second, :func:`made_since`: a member invited by REST half a second after the first wave's
    first link was taken for a pre-SCIM member, doubts20). False otherwise: made since ``set_up_by`` (an IdP that
    sends no ``externalId`` provisioned them, or someone made them by hand since: tester9 finding F2), or under ``same_setup`` / ``unknown``, where SCIM may have been in use
    before its first provisioned user, an IdP that sends no ``externalId`` may have provisioned them then (tester10
    finding 8: a member so provisioned before the first wave's links was planned ``members.deactivate``, which
    Sigma refused 403)."""
    if entry_says_provisioned or previous_scim not in THIS_MIGRATIONS_SET_UP:
        return False
    return not (made_since(user.created, set_up_by) or bool(set_up_by and user.created_unreadable))


def scim_set_up_by(users: Iterable[ScimUser]) -> str | None:
    """When SCIM was set up at the latest, as Sigma's SCIM listing shows it: the earliest ``meta.created``
    (RFC 7643 §3.1) of a provisioned user (one with an ``externalId``: the IdP made or linked it, so SCIM was
    on by then), ``None`` when none says. A listed pre-SCIM member's ``meta.created`` is its own creation."""
    return min((u.created for u in users if u.provisioned and u.created), default=None)


def made_since(created: str | None, since: str | None) -> bool:
    """True when ``created`` is not known to be earlier than ``since`` (both ISO 8601 UTC to the second): later, or in
    the same second, where the order of two changes is unknown (docs/policy.md "Re-planning after an apply": equal
    dates decide nothing); False when either is unknown. What :func:`listed_pre_scim` reads: only a member made in an
    earlier second than SCIM's set-up is known to be pre-SCIM (doubts20: a member an admin invited by REST in the
    second the first wave's first link was made was taken for one)."""
    return bool(created and since and created >= since)


def made_after(created: str | None, since: str | None) -> bool:
    """True when ``created`` is later than ``since`` (both ISO 8601 UTC to the second,
    :func:`planner.sources.values.change_time`); False when either is unknown: an unknown date dates nothing."""
    return bool(created and since and created > since)


def time_between(earlier: str | None, later: str | None) -> timedelta | None:
    """``later - earlier`` of two ISO 8601 UTC times (``2021-05-20T08:00:00.000Z``, ``2026-11-30T09:00:00Z``;
    negative when ``later`` is the earlier), ``None`` when either is missing or unreadable."""
    if not (earlier and later):
        return None
    try:
        return datetime.fromisoformat(later.replace("Z", "+00:00")) - datetime.fromisoformat(
            earlier.replace("Z", "+00:00"))
    except ValueError:
        return None


def scim_user_members(user: ScimUser, email_keys: Mapping[str, str], by_email: Mapping[str, list[str]]
                      ) -> list[str]:
    """The memberIds SCIM ``user`` may be (one: found): the member whose memberId is its SCIM id (the
    sandbox's layout, docs/sigma-api.md §10.2), unless that member's email is not its userName and
    another member's is: a userName change makes a new member that takes over the SCIM id (§5.3,
    docs/sandbox.md), so the user is the member with its userName (``email_keys``: memberId ->
    email key; ``by_email``: email key -> memberIds). A SCIM id that is no memberId: the members with
    its userName."""
    at_id = email_keys.get(user.id)
    if at_id is None:
        return list(by_email.get(user.user_name_key, []))
    if at_id == user.user_name_key:
        return [user.id]
    others = [mid for mid in by_email.get(user.user_name_key, []) if mid != user.id]
    return others if len(others) == 1 else [user.id]
