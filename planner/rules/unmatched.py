"""Active Sigma members with no provisioned IdP identity.

After SCIM is on such members can be changed only through
``PATCH /v2/members/{memberId}`` (docs/sigma-api.md §2.5, §5.3). Three kinds
(:class:`~planner.directory.PersonStatus` from :mod:`.linking`):

- ``unmatched``: no IdP user matches them (``unmatched.action``);
- ``not_in_scope``: their IdP user is outside ``scope.groups`` (``unmatched.action``);
- ``leaver``: their IdP user is not active (``unmatched.idp_inactive``); the reason says how, in the
  export's words (:func:`.idp_status.inactive_because`). A user never activated (Okta ``STAGED``) is doubtful
  data: ``deactivate`` is then a blocking ``unmatched.never_activated`` item (:mod:`.idp_status`). A user
  suspended (:func:`.idp_status.suspended`: Okta ``SUSPENDED``, Google ``Suspended``, a reversible hold) follows
  ``unmatched.idp_suspended`` instead (default ``review``: a blocking ``unmatched.suspended`` item, settled per
  member by ``unmatched.decisions`` or for all by ``unmatched.idp_suspended: deactivate`` / ``keep``).

A member no IdP user matches whom Sigma made after SCIM was set up, or after the IdP export's newest record
(:class:`NewMemberDates`, :func:`made_later`), is a member made on purpose by hand (a service account, a
contractor, a break-glass admin) or one the export predates: ``unmatched.action: deactivate`` does not
deactivate them on the export's silence; it is a blocking ``unmatched.new_member`` item, settled per member by
``unmatched.decisions`` (or, for a member SCIM lists without ``externalId``, by the
``linking.scim_state_conflicts`` entry taking them as provisioned, :func:`provisioned_entry`). So is a member a run
of a plan given to ``plan --applied`` archived whom the export lists active again: reactivated outside this tool since,
most likely on purpose (a blocking ``unmatched.reactivated`` item, :func:`reactivated_item`), and a member no IdP
user matches whose address an IdP group lists as a member the IdP never provisions (a Google ``EXTERNAL`` member or
``USER`` of another domain, an Entra mail contact: a blocking ``unmatched.outside_member`` item,
:func:`outside_member_item`, tester18 finding 8); and, while ``scope.individual_assignments`` is ``review``, a member
whose IdP user is active but outside ``scope.groups`` (assigned to the app directly? No export holds the app's
assignments: a blocking ``scope.individual_assignment`` item, :func:`individual_assignment_item`, tester18 finding
7). A member Sigma's
SCIM state lists as provisioned, or without ``externalId`` but made
after SCIM was set up, is not this rule's: :mod:`.scim_state` settles their deactivation
(``scim.state_conflict``).

The decision for each, first that applies: ``unmatched.decisions`` (per
member), then ``linking.duplicates: deactivate`` (a duplicate), then ``linking.second_accounts``
for a member a userName change in the IdP left behind (:class:`SecondAccount`: undecided, a blocking
``scim.second_account`` item, whatever the kind's policy says; ``deactivate`` gives its documents to
the new member); protected people (``organization.scim_setup_admin``,
``api_credential_owner``) are kept (a decision to deactivate one is a blocking
``unmatched.protected_member`` item instead: the plan never holds that change); ``exclude_patterns`` (service accounts) are
kept, searched in the email as every rule reads it (:func:`planner.address_patterns.pattern_match`; an email whose
readings disagree, while the member would not be kept otherwise, is a blocking ``unmatched.unclean_address`` item
instead: :func:`unclean_address_item`, tester16a finding 3); embed users are kept (they are not provisioned through the IdP); then the
kind's policy: ``keep`` (nothing happens), ``deactivate``
(``members.deactivate``: ``isArchived: true`` + ``newOwnerId``) or ``review``
(a blocking review item whose resolution is the ``decisions`` entry); for a suspended leaver the kind's policy is
``unmatched.idp_suspended``.

Each rule is a pure function of one :class:`~planner.directory.Person` and the
:class:`UnmatchedSettings` (the policy read against the :class:`~planner.directory.Directory`
once, by :func:`settings`): :func:`decide_member` returns an :class:`UnmatchedDecision`;
:func:`planner.planning.fold_unmatched` folds them in.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable, Mapping

from ..address_patterns import KEY_WORDS, PatternMatch, address_differences, pattern_match
from ..directory import (
    PROTECTED_BECAUSE, PROTECTED_MOVE, Directory, Link, Person, PersonStatus, idp_is_active, made_after,
)
from ..model import (
    Action, ActionKind, ItemEvidence, MissingColumn, ReviewItem, ScimUser, SigmaMember, email_key, outside_words,
)
from ..payloads import UNSET, ArchiveAfter, DeactivateBefore, DeactivateEvidence, MemberRef
from ..policy import Policy, PolicyPattern, compile_pattern
from ..sources.export_dates import export_dates
from ..sources.rule_columns import CREATED_RULES
from ..sources.values import change_time, local_date_span
from ..unsafe_characters import escape_address
from . import make_action, make_review, person_ref, yaml_snippet
from .guests import DocumentOwner
from .idp_status import inactive_because, never_activated, suspended
from .policy_entries import EntryUse
from .reactivated import (
    REACTIVATED, ArchivedThen, archived_by, archived_by_hand, decision, member_question, reactivated_item,
    reactivated_members,
)

NEVER_ACTIVATED = "unmatched.never_activated"
"""The rule and item code of a member whose IdP user was never activated (:mod:`.idp_status`)."""

SUSPENDED = "unmatched.suspended"
"""The item code of a member whose IdP user is suspended, held under ``unmatched.idp_suspended: review``
(:func:`.idp_status.suspended`); the item's rule is ``unmatched.idp_suspended``."""

NEW_MEMBER = "unmatched.new_member"
"""The rule and item code of an unmatched member made after SCIM was set up or after the IdP export
(:func:`made_later`)."""

UNCLEAN_ADDRESS = "unmatched.unclean_address"
"""The rule and item code of a member whose email ``unmatched.exclude_patterns`` reads one way as the rules read it
and another as Sigma holds it or as a person may read it (:func:`planner.address_patterns.pattern_match`), while
the member's fate hangs on it (:func:`unclean_address_item`, tester16a finding 3)."""

EXCLUDE_PATTERNS = "unmatched.exclude_patterns"
"""The rule keeping a member whose email an exclude pattern matches, and the item rule of :data:`UNCLEAN_ADDRESS`."""

KINDS = frozenset({PersonStatus.UNMATCHED, PersonStatus.NOT_IN_SCOPE, PersonStatus.LEAVER})
"""The statuses this family decides on."""


INDIVIDUAL_ASSIGNMENT = "scope.individual_assignment"
"""The item code of a member whose IdP user is active but outside ``scope.groups`` while the plan would deactivate
them and ``scope.individual_assignments`` is ``review``: the user may be assigned to the IdP app directly, which no
export read shows (:func:`individual_assignment_item`, tester18 finding 7); its rule is
:data:`INDIVIDUAL_ASSIGNMENTS`."""

INDIVIDUAL_ASSIGNMENTS = "scope.individual_assignments"
"""The rule (policy key) of :data:`INDIVIDUAL_ASSIGNMENT`."""

OUTSIDE_MEMBER = "unmatched.outside_member"
"""The rule and item code of a member no IdP user matches whose address an IdP group lists as a member the IdP
never provisions (a Google ``EXTERNAL`` member or a ``USER`` of another domain, docs/formats.md §4c; an Entra mail
contact, ``orgContact``, §3b and §3e: the group's :attr:`~planner.directory.Group.outside_members`): the IdP says the person belongs to the
group, so the export's silence is no reason to deactivate them (:func:`outside_member_item`, tester18 finding 8)."""


SECOND_ACCOUNT = "scim.second_account"
"""The item code of a member a userName change in the IdP left behind (:class:`SecondAccount`)."""


@dataclass(frozen=True, slots=True)
class SecondAccount:
    """A member a userName change in the IdP left behind (:attr:`planner.directory.ScimState.second_accounts`):
    SCIM provisioned it as IdP user ``external_id``; the IdP then sent ``user_name``, and Sigma made a new
    member for it (``new_member_id``, ``new_email``) that took over the SCIM id (docs/sigma-api.md §5.3). The
    old member stays active with its documents and teams; ``decision`` is ``linking.second_accounts``'s
    word for it (``deactivate`` | ``keep``), ``None`` when the policy does not say."""

    new_member_id: str
    new_email: str
    user_name: str
    external_id: str
    decision: str | None = None
    matched_by: Link | None = None
    """For a member the IdP's push left behind without a userName change (:attr:`planner.directory.ScimState.
    provisioned_elsewhere`: the IdP provisioned its IdP user under another userName as ``new_member_id``): the match
    key's evidence joining this member to that IdP user; ``None`` for a userName change."""

    def why(self, old_email: str) -> str:
        """Why the old member (``old_email``) is unlinked, in reasons and messages."""
        if self.matched_by is not None:
            return (f"{self.matched_words()}, but the IdP provisioned that user through SCIM under userName "
                    f"{self.user_name} as member {self.new_member_id} ({self.new_email}), which SCIM now manages")
        return (f"the IdP changed the userName of IdP user {self.external_id} from {old_email} to {self.user_name}, "
                f"and Sigma made member {self.new_member_id} ({self.new_email}) for it, which SCIM now manages")

    def matched_words(self) -> str:
        """``IdP user 00u... of the IdP export has this address (userName 'gavin.janssen@acme.example', match key
        user_name)``: what joins a member the IdP's push left behind to its IdP user (:attr:`matched_by`)."""
        link = self.matched_by
        return (f"IdP user {self.external_id} of the IdP export has this address ({link.idp_field} "
                f"{link.idp_value!r}, match key {link.key})") if link is not None else ""


def second_accounts(policy: Policy, directory: Directory) -> dict[str, SecondAccount]:
    """memberId of each member a userName change left behind -> its :class:`SecondAccount`, with the
    ``linking.second_accounts`` entry naming it (by memberId or email), if any."""
    decided = {directory.find_member_id(ref): what for ref, what in policy.linking.second_accounts.items()}
    out = {}
    elsewhere = directory.scim.provisioned_elsewhere
    for old, new in directory.scim.second_accounts.items():
        user = directory.scim.users[new]
        found = elsewhere.get(old)
        out[old] = SecondAccount(new, directory.members[new].email, user.user_name, user.external_id or "",
                                 decided.get(old), found.edge.link if found is not None else None)
    return out


@dataclass(frozen=True, slots=True)
class NewMemberDates:
    """What an unmatched member's ``createdAt`` is weighed against (:func:`made_later`), ISO 8601 UTC to the
    second, ``None`` when the inputs do not say: ``scim_set_up_by``, when SCIM was set up at the latest
    (:attr:`planner.directory.ScimState.set_up_by`: the earliest ``meta.created`` of a provisioned SCIM user);
    ``export_newest``, the newest record of the IdP export (:func:`planner.sources.export_dates.export_dates`: the export
    was taken no earlier; Okta ``lastUpdated`` / ``created``, Entra ``createdDateTime``, Google ``creationTime``, a
    SCIM export's ``meta.lastModified`` / ``meta.created``; an export of unknown age saved by hand dates itself so
    too: tester17 finding 11); ``scim_settled``, the
    memberIds whose deactivation Sigma's SCIM state settles instead (provisioned, or listed without
    ``externalId`` after the set-up: :mod:`.scim_state`)."""

    scim_set_up_by: str | None = None
    export_newest: str | None = None
    scim_settled: frozenset[str] = frozenset()
    undated_members: Mapping[str, MissingColumn] = field(default_factory=dict)
    """The Sigma members files that lack ``createdAt`` (:class:`~planner.model.MissingColumn`), by path as read: a
    member of one is made at a time no rule can tell, never "not said" (tester21 finding 7)."""
    export_untold: str = ""
    """When none of the IdP export's dates bounds when it was taken (``export_newest`` ``None``) though it dates its
    users, the clause saying so (:func:`export_untold_clause`): its creation dates cannot be read (tester21 finding
    1: an Entra download re-saved in Excel) or its users file lacks the creation date its format carries (finding
    7); ``""`` otherwise. Whether a member was made after the export then cannot be told."""
    idp_read_at: str | None = None
    """When ``fetch-idp`` read the IdP (:attr:`planner.directory.Directory.idp_fetched_at`, its manifest's
    ``fetchedAt``), ``None`` when the export does not say: a member made before it whom the export lacks was not made
    after the export was taken (:func:`read_after_made`, doubts20)."""


@dataclass(frozen=True, slots=True)
class UnmatchedSettings:
    """The ``unmatched`` policy read against the directory, once per plan.

    ``owner``: who receives a deactivated member's documents; ``decisions``: memberId ->
    (``keep`` | ``deactivate``, the policy key that says so: ``unmatched.decisions`` or
    ``linking.duplicates``); ``protected``: memberId -> ``organization.<key>`` of the people the
    guards protect; ``patterns``: ``exclude_patterns`` compiled (case-insensitive);
    ``action`` / ``idp_inactive`` / ``idp_suspended``: the kinds' settings (``idp_suspended`` for a leaver
    whose IdP user is suspended, :func:`.idp_status.suspended`); ``idp_format``: the IdP export's format
    (:attr:`planner.model.IdpDirectory.format`), for :func:`.idp_status.inactive_because`.
    """

    owner: DocumentOwner
    decisions: Mapping[str, tuple[str, str]]
    protected: Mapping[str, str]
    patterns: tuple[PolicyPattern, ...]
    action: str
    idp_inactive: str
    idp_suspended: str = "review"
    idp_format: str = ""
    second_accounts: Mapping[str, SecondAccount] = field(default_factory=dict)
    """The members a userName change left behind (:func:`second_accounts`), by memberId."""
    new_member_dates: NewMemberDates = NewMemberDates()
    """What says a member is new (:func:`made_later`)."""
    pre_scim: Mapping[str, ScimUser] = field(default_factory=dict)
    """Members Sigma's SCIM lists without an ``externalId`` taken for pre-SCIM members
    (:attr:`planner.directory.ScimState.pre_scim`), by memberId: :func:`new_member_item` offers the entry taking
    them as provisioned (:func:`provisioned_entry`)."""
    provisioning_admin: DocumentOwner = DocumentOwner(None, None, "organization.scim_setup_admin")
    """Who receives the documents of a member deactivated through SCIM (:func:`provisioning_admin`)."""
    individual_assignments: str = "none"
    """``scope.individual_assignments`` (``review`` | ``none``), read by :func:`assigned_directly`."""
    outside_groups: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    """``{email key: displayNames of the groups listing it}`` of the groups' outside members (:func:`outside_groups`),
    read by :data:`OUTSIDE_MEMBER`."""
    reactivated: Mapping[str, ArchivedThen] = field(default_factory=dict)
    """The members a run of a plan given to ``plan --applied`` archived last, or that plan saw archived
    (:func:`.reactivated.reactivated_members`), by memberId: one this family decides on is active in the export, so it
    was reactivated outside this tool since (:func:`reactivated_item`)."""


@dataclass(frozen=True, slots=True)
class UnmatchedDecision:
    """What this family decides for one member: ``kind`` (their status), ``decision`` (``keep`` |
    ``deactivate`` | ``review``), the ``rule`` and ``reason`` that decided it, the
    ``members.deactivate`` ``action`` and the ``review_item`` (``unmatched.review`` or
    ``unmatched.protected_member``), when there are any."""

    member_id: str
    kind: PersonStatus
    decision: str
    rule: str
    reason: str
    action: Action | None = None
    review_item: ReviewItem | None = None


def document_owner(policy: Policy, directory: Directory, section_owner: str | None, loc: tuple[str, ...]
                   ) -> DocumentOwner:
    """The member receiving documents: ``section_owner`` (e.g. ``unmatched.document_owner``) wins over
    ``organization.document_owner``; ``member_id`` ``None`` when the one named is not found. The guard
    ``document_owner`` checks that the member exists and stays active (:mod:`.guards`)."""
    if section_owner:
        ref, source = section_owner, ".".join(loc)
    else:
        ref, source = policy.organization.document_owner, "organization.document_owner"
    mid = directory.find_member_id(ref)
    return DocumentOwner(mid, directory.members[mid].email if mid else None, source)


PROVISIONING_ADMIN = "organization.scim_setup_admin"
"""The policy key naming who receives the documents of a member deactivated through SCIM."""


def provisioning_admin(policy: Policy, directory: Directory) -> DocumentOwner:
    """The member receiving the documents of a member deactivated through SCIM (``scim.deactivate_user``):
    Sigma gives them to the provisioning admin, the admin who set SCIM up and whose token the IdP uses
    (docs/sigma-api.md §5.3 "Deactivation via IdP", from Sigma's S-DEACT and S-SCIM-OKTA pages; §5.1), never
    to a ``document_owner`` of the policy: a SCIM deactivation has no ``newOwnerId``. ``organization.
    scim_setup_admin`` names them (the token's member: :meth:`~planner.directory.Directory.protected_member_id`,
    the member a userName change left behind when it names the new one); ``member_id`` ``None`` when it names
    nobody in the export (the ``scim_setup_admin`` and ``document_owner`` guards then fail, :mod:`.guards`)."""
    mid = directory.protected_member_id(policy.organization.scim_setup_admin)
    return DocumentOwner(mid, directory.members[mid].email if mid else None, PROVISIONING_ADMIN)


def documents_note(owner_email: str | None) -> str:
    """The end of a deactivation's reason saying where its documents go (``""`` when nobody is named)."""
    return f"; documents go to {owner_email}" if owner_email else ""


def owner_words(owner: DocumentOwner) -> str:
    """How a question's note names the member who would receive the documents: ``" (tomasz.nowak@acme.example)"``,
    ``""`` when the policy names no member of the export (the ``document_owner`` guard then fails)."""
    return f" ({owner.email})" if owner.member_id and owner.email else ""


def provisioned_entry(user_name: str) -> dict:
    """The ``linking.scim_state_conflicts`` entry taking a member Sigma's SCIM lists without an ``externalId`` as
    provisioned by the IdP and gone from it (``{userName: {newer: idp_export, active: false}}``): honoured whatever
    ``preflight.previous_scim`` says (:func:`planner.directory.taken_as_provisioned`), it plans
    ``scim.deactivate_user`` (:mod:`.scim_state`), which Sigma takes for a member SCIM made, where it refuses the
    REST deactivation (403, docs/sigma-api.md §2.6). The way out :func:`new_member_item` and
    :func:`planner.rules.refusals.refused_again_item` offer (tester12 #10)."""
    return {"linking": {"scim_state_conflicts": {user_name: {"newer": "idp_export", "active": False}}}}


def provisioned_entry_note(rest_owner: str | None, admin: str | None) -> str:
    """What choosing :func:`provisioned_entry` changes, for a snippet's notes: who receives the documents
    (``admin``, the provisioning admin, for SCIM; ``rest_owner`` for the REST deactivation it replaces)."""
    return ("linking.scim_state_conflicts: the IdP (an IdP that sends no externalId, or a test push through SCIM) "
            "made them: deactivate them through SCIM (scim.deactivate_user"
            + (f"; documents to the provisioning admin, {admin}" if admin else "; documents to the provisioning admin")
            + (f", not to {rest_owner} as a REST deactivation gives them" if rest_owner and rest_owner != admin
               else "") + ")")


def settings(policy: Policy, directory: Directory) -> UnmatchedSettings:
    """:class:`UnmatchedSettings` of ``policy`` over ``directory`` (an ``unmatched.decisions`` entry
    wins over a ``linking.duplicates: deactivate`` one for the same member)."""
    section = policy.unmatched
    decisions: dict[str, tuple[str, str]] = {}
    for ref, what in policy.linking.duplicates.items():
        mid = directory.find_member_id(ref)
        if mid and what == "deactivate":  # a duplicate whose address is freed, then deactivated
            decisions[mid] = ("deactivate", "linking.duplicates")
    for ref, what in section.decisions.items():
        mid = directory.find_member_id(ref)
        if mid:
            decisions[mid] = (what, "unmatched.decisions")
    return UnmatchedSettings(
        owner=document_owner(policy, directory, section.document_owner, ("unmatched", "document_owner")),
        decisions=decisions,
        protected=directory.protected_members(policy),
        patterns=tuple(compile_pattern(p, ignore_case=True) for p in section.exclude_patterns),
        action=section.action,
        idp_inactive=section.idp_inactive,
        idp_suspended=section.idp_suspended,
        idp_format=directory.idp_format,
        second_accounts=second_accounts(policy, directory),
        new_member_dates=new_member_dates(directory),
        pre_scim=directory.scim.pre_scim,
        provisioning_admin=provisioning_admin(policy, directory),
        reactivated=reactivated_members(directory),
        outside_groups=outside_groups(directory),
        individual_assignments=policy.scope.individual_assignments,
    )


def new_member_dates(directory: Directory) -> NewMemberDates:
    """The :class:`NewMemberDates` of ``directory``: SCIM's set-up, the IdP export's newest record and the members
    Sigma's SCIM state settles, read once per plan by this family and by the guests' (:func:`new_guest_item`)."""
    newest, unreadable = export_dates(directory.idp_users.values())
    missing = directory.missing_columns.values()
    undated = () if newest or unreadable else tuple(c for c in missing if c.rules == CREATED_RULES)
    return NewMemberDates(
        directory.scim.set_up_by, newest, frozenset(directory.scim.users) | frozenset(directory.scim.without_external_id),
        undated_members={c.path: c for c in missing if c.field == "createdAt"},
        export_untold=export_untold_clause(unreadable, undated), idp_read_at=directory.idp_fetched_at)


def export_untold_clause(unreadable: tuple[str, ...], undated: tuple[MissingColumn, ...]) -> str:
    """The clause of a member made perhaps after an IdP export no date of which bounds when it was taken
    (:attr:`NewMemberDates.export_untold`): its creation dates ``unreadable`` (as written, :func:`export_dates`):
    ``perhaps after the IdP export was taken, which its dates cannot tell (createdDateTime '43637' and 167 more
    cannot be read: saved again by a spreadsheet?)``; else its users files ``undated`` (lacking the column):
    ``perhaps after the IdP export was taken, which it cannot tell (users.csv has no createdDateTime column (or no
    value in it))``; else ``""``."""
    if unreadable:
        more = len(unreadable) - 1
        return (f"perhaps after the IdP export was taken, which its dates cannot tell ({unreadable[0]}"
                f"{f' and {more} more' if more else ''} cannot be read: saved again by a spreadsheet?)")
    if undated:
        return ("perhaps after the IdP export was taken, which it cannot tell ("
                + "; ".join(c.words() for c in undated) + ")")
    return ""


def _since(dates: NewMemberDates) -> list[str]:
    """What a member whose own creation time cannot be told may have been made after: SCIM's set-up, the IdP
    export's newest record, the IdP export itself (an untold export: :attr:`NewMemberDates.export_untold`)."""
    since = [f"after SCIM was set up (by {dates.scim_set_up_by})"] if dates.scim_set_up_by else []
    since += [f"after the IdP export's newest record ({dates.export_newest})"] if dates.export_newest else []
    return since + (["after the IdP export was taken"] if dates.export_untold else [])


def outside_groups(directory: Directory) -> dict[str, tuple[str, ...]]:
    """``{email key (:func:`~planner.model.email_key`): displayNames of the groups listing it, in group order}`` of
    every group's :attr:`~planner.directory.Group.outside_members`: addresses an IdP group holds as members the IdP
    never provisions (a Google ``EXTERNAL`` member, a ``USER`` of another domain, docs/formats.md §4c; an Entra
    mail contact, §3b and §3e)."""
    found: dict[str, dict[str, None]] = {}
    for group in directory.groups.values():
        for email in group.outside_members:
            found.setdefault(email_key(email), {})[group.display_name] = None
    return {key: tuple(names) for key, names in found.items()}


def listed_outside(person: Person, config: UnmatchedSettings) -> str:
    """How a reason says that an IdP group lists unmatched ``person``'s address as a member the IdP never
    provisions (:attr:`UnmatchedSettings.outside_groups`): ``"IdP group 'Finance' lists this address as a member
    from outside the domain, whom the IdP never provisions"`` (an Entra export: "as a mail contact (orgContact)",
    :func:`~planner.model.outside_words`);
    ``""`` when none does or ``person`` is not unmatched (their IdP user says who they are)."""
    if person.status is not PersonStatus.UNMATCHED:
        return ""
    groups = config.outside_groups.get(person.member.email_key or "")
    if not groups:
        return ""
    named = ", ".join(repr(g) for g in groups)
    return (f"IdP group{'s' if len(groups) > 1 else ''} {named} list{'' if len(groups) > 1 else 's'} "
            f"this address as {outside_words(config.idp_format).one}, whom the IdP never provisions")


def assigned_directly(person: Person, config: UnmatchedSettings) -> bool:
    """Whether ``person``'s deactivation waits for :func:`individual_assignment_item`: their IdP user is active but
    outside ``scope.groups`` (status ``not_in_scope``), ``scope.individual_assignments`` is ``review``, and Sigma's
    SCIM state does not settle them (:attr:`NewMemberDates.scim_settled`: a member SCIM provisioned is asked by
    ``scim.state_conflict``, one blocking item per person: SCIM provisioned them, so the IdP assigns them somehow;
    the lead's decision on tester18 finding 7)."""
    return (person.status is PersonStatus.NOT_IN_SCOPE and config.individual_assignments == "review"
            and person.idp_user is not None and idp_is_active(person.idp_user)
            and person.member_id not in config.new_member_dates.scim_settled)


def decision_uses(policy: Policy, directory: Directory, decisions: Iterable[UnmatchedDecision],
                  people: Iterable[Person]) -> list[EntryUse]:
    """What each ``unmatched.decisions`` entry naming a member of the export settled (:mod:`.policy_entries`): the
    member's keep or deactivate, when the member is one this family decides (:data:`KINDS`) and the entry decided
    it (rule ``unmatched.decisions``; a protected member's ``deactivate`` is consulted too: its blocking
    ``unmatched.protected_member`` item names it). A member of another status in ``people`` (every person's final
    record: linked, a guest, archived) is asked no keep-or-deactivate question: the entry settles nothing, and why
    says their status; a ``held`` member's entry counts as used (the question comes back once the item holding
    them is settled); a guest a run archived, active again (:mod:`.reactivated`), is asked the same question: the
    entry settles whether the guest is disabled again; a member archived or deactivated by hand since an applied
    plan saw them active (:func:`.reactivated.archived_by_hand`) is settled by ``keep`` only (another word is
    reported unused, and they stay held); so is a guest made later than SCIM's set-up or the IdP export's newest
    record (:func:`new_guest_item`). An entry naming no member is
    :mod:`.policy_refs`'. A ``linking.duplicates: deactivate`` entry deciding a member (rule ``linking.duplicates``)
    is reported too, and each ``linking.second_accounts`` entry: it settles the member a userName change left
    behind (rule ``linking.second_accounts``), else nothing."""
    if not policy.unmatched.decisions and not policy.linking.duplicates and not policy.linking.second_accounts:
        return []
    by_member = {d.member_id: d for d in decisions}
    statuses = {p.member.member_id: p.status for p in people if p.member is not None}
    again = reactivated_members(directory)  # a guest a run disabled is asked too (:mod:`.reactivated`)
    by_hand = archived_by_hand(directory)  # a member archived by hand since an applied plan (:mod:`.reactivated`)
    dates = new_member_dates(directory)  # and a guest made later (new_guest_item)
    members = {p.member.member_id: p.member for p in people if p.member is not None}
    uses = []
    for ref, what in policy.unmatched.decisions.items():
        mid = directory.find_member_id(ref)
        if mid is None:
            continue
        d = by_member.get(mid)
        if mid in by_hand and d is None:
            seen = by_hand[mid]
            uses.append(EntryUse("unmatched.decisions", ref, f"keep member {mid}, archived or deactivated by hand "
                                 f"since {seen.plan} was made (linking.archived_by_hand)") if what == "keep" else
                        EntryUse("unmatched.decisions", ref, "", f"member {mid} was archived or deactivated by hand "
                                 f"since {seen.plan} was made: keep settles that (linking.archived_by_hand), "
                                 f"{what} does not"))
        elif d is not None and (d.rule == "unmatched.decisions" or (d.rule == "guards.protected_members"
                                                                   and d.review_item is not None)):
            uses.append(EntryUse("unmatched.decisions", ref, f"{d.decision} member {mid}"))
        elif statuses.get(mid) is PersonStatus.HELD:  # asked again once the item holding them is settled
            uses.append(EntryUse("unmatched.decisions", ref, f"kept for member {mid}, held by another item"))
        elif mid in again and statuses.get(mid) in (PersonStatus.GUEST, PersonStatus.GUEST_DISABLED):
            uses.append(EntryUse("unmatched.decisions", ref, f"{what} guest {mid}, archived by a run and active "
                                 "again (unmatched.reactivated)"))
        elif statuses.get(mid) in (PersonStatus.GUEST, PersonStatus.GUEST_DISABLED) and (
                made := created_later(members[mid], dates)):
            uses.append(EntryUse("unmatched.decisions", ref, f"{what} guest {mid}, {made} (unmatched.new_member)"))
        else:
            status = statuses.get(mid)
            why = (f"member {mid} is {d.kind.value}, which {d.rule} decides" if d is not None else
                   f"member {mid} has status {status.value} in this plan" if status is not None else
                   f"member {mid} is in no person row of this plan")
            uses.append(EntryUse("unmatched.decisions", ref, "", why))
    for ref, what in policy.linking.second_accounts.items():
        mid = directory.find_member_id(ref)
        if mid is None:
            continue
        d = by_member.get(mid)
        if d is not None and d.rule == "linking.second_accounts":
            uses.append(EntryUse("linking.second_accounts", ref, f"{d.decision} member {mid}"))
        elif d is not None and d.rule == "guards.protected_members" and mid in directory.scim.second_accounts:
            # a protected member a userName change left behind: the owner guard reads the entry (tester10 finding 18)
            uses.append(EntryUse("linking.second_accounts", ref, f"the owner guard of protected member {mid}"))
        else:
            status = statuses.get(mid)
            uses.append(EntryUse("linking.second_accounts", ref, "", f"member {mid} is no member a userName change "
                                 "left behind in Sigma's SCIM state" + (f" (status {status.value})" if status else "")))
    for ref, what in policy.linking.duplicates.items():  # its deactivate is a decision of this family too
        mid = directory.find_member_id(ref)
        d = by_member.get(mid or "")
        if d is not None and d.rule == "linking.duplicates":
            uses.append(EntryUse("linking.duplicates", ref, f"{d.decision} member {mid}"))
    return uses


def made_later(person: Person, dates: NewMemberDates) -> str:
    """Why unmatched ``person`` is a new member, as reasons and messages say it (``""``: not new, or not this
    rule's): their ``createdAt`` (docs/formats.md §1b) is later than SCIM's set-up or the IdP export's newest
    record (:class:`NewMemberDates`), e.g. ``made 2026-12-06T17:33:32Z, after SCIM was set up (by
    2026-12-06T17:33:16Z)``. Only members no IdP user matches: a leaver or a person out of scope is the IdP's
    word. A date not said dates nothing; a ``createdAt`` there but unreadable (a year-last date a spreadsheet
    wrote, ``6/12/2026``: :func:`planner.sources.values.local_date_words`) while a date it would be compared
    with is known cannot tell, so the member is held the same way (tester10 #12), unless every day it may be,
    whole and in any zone (:func:`planner.sources.values.local_date_span`), is before each known date: then it is
    not new (an Excel re-save of a members CSV otherwise held every unmatched member once the IdP export was
    dated by its newest record: tester17 findings 3 and 11)."""
    if person.status is not PersonStatus.UNMATCHED:
        return ""
    return created_later(person.member, dates)


def created_later(member: SigmaMember, dates: NewMemberDates) -> str:
    """The dates rule of :func:`made_later` read on ``member``'s ``createdAt`` alone, whatever the member's status:
    ``made 2026-12-07T19:18:23Z, after SCIM was set up (by 2026-12-07T19:17:50Z)``, or the words saying it cannot be
    told, or ``""`` (not later, or a member whose deactivation Sigma's SCIM state settles). One mechanism for an
    unmatched internal member (:data:`NEW_MEMBER`) and an active guest the plan would disable
    (:func:`new_guest_item`, tester19 finding 5: a guest invited by hand between waves was disabled in silence)."""
    if member.member_id in dates.scim_settled:
        return ""
    created = change_time(member.created_at)
    untold = (dates.undated_members.get(member.source.file)
              if not member.created_at and member.source is not None and dates.undated_members else None)
    known = dates.scim_set_up_by or dates.export_newest or dates.export_untold
    if untold is not None and known:
        return (f"when Sigma made it is not said ({untold.words()}), so whether it was made "
                f"{' or '.join(_since(dates))} cannot be told")
    if created is None and member.created_at and known:
        if not dates.export_untold and made_before_all(member.created_at, (dates.scim_set_up_by, dates.export_newest)):
            return ""
        return (f"its createdAt {member.created_at!r} cannot be read, so whether it was made "
                f"{' or '.join(_since(dates))} cannot be told")
    later = []
    if made_after(created, dates.scim_set_up_by):
        later.append(f"after SCIM was set up (by {dates.scim_set_up_by})")
    if made_after(created, dates.export_newest):
        later.append(f"after the IdP export's newest record ({dates.export_newest})")
    if created and dates.export_untold:
        later.append(dates.export_untold)
    return f"made {created}, {' and '.join(later)}" if later else ""


def made_before_all(written: str, since: Iterable[str | None]) -> bool:
    """True when the locale's date ``written`` (a ``createdAt`` a spreadsheet rewrote, ``8/9/2024 18:05``) is,
    in every reading and zone (:func:`planner.sources.values.local_date_span`), earlier than each known time of
    ``since`` (ISO 8601 UTC; ``None`` skipped); False when it is no such date or a reading may be later."""
    span = local_date_span(written)
    known = [s for s in since if s]
    latest = span[1].strftime("%Y-%m-%dT%H:%M:%SZ") if span is not None else None  # as made_after compares
    return latest is not None and bool(known) and all(latest <= s for s in known)


def why_unmatched(person: Person, idp_format: str = "") -> str:
    """Why ``person`` has no provisioned IdP identity, as reasons and messages say it (a leaver's IdP
    user: :func:`.idp_status.inactive_because` in an export of format ``idp_format``)."""
    user = person.idp_user
    if person.status is PersonStatus.UNMATCHED:
        return "no IdP user matches this member"
    if user is None:
        return ""
    if person.status is PersonStatus.LEAVER or (person.status is PersonStatus.SCIM_KEPT and not idp_is_active(user)):
        return f"IdP user {user.id} ({user.user_name}) {inactive_because(user, idp_format)}"
    return f"IdP user {user.id} ({user.user_name}) is outside scope.groups"


def leaver_setting(person: Person) -> str:
    """The ``unmatched`` setting deciding leaver ``person``: ``idp_suspended`` when their IdP user is suspended
    (:func:`.idp_status.suspended`), else ``idp_inactive``."""
    return "idp_suspended" if suspended(person.idp_user) else "idp_inactive"


def choose(person: Person, config: UnmatchedSettings) -> tuple[str, str, str]:
    """``(decision, rule, reason)`` for ``person``, first rule that applies (module docstring)."""
    member, mid, why = person.member, person.member_id, why_unmatched(person, config.idp_format)
    decided = config.decisions.get(mid)
    if mid in config.protected and (decided is None or decided[0] == "deactivate"):
        # the plan never deactivates a protected person: SCIM or apply itself would stop working
        return "keep", "guards.protected_members", f"{why}; kept: protected as {config.protected[mid]}"
    if decided is not None:
        return decided[0], decided[1], f"{why}; {decided[1]} says {decided[0]}"
    second = config.second_accounts.get(mid)
    if second is not None:
        why = second.why(member.email)
        if second.decision is None:
            return "review", SECOND_ACCOUNT, f"{why}; held for review"
        return second.decision, "linking.second_accounts", f"{why}; linking.second_accounts says {second.decision}"
    if config.patterns:
        found = pattern_match(config.patterns, member.email, member.email_key)
        if found.doubts and (otherwise := by_kind(person, config, why))[0] != "keep":
            return "review", UNCLEAN_ADDRESS, f"{why}; {readings_words(found)}; otherwise {otherwise[1]} " \
                                              f"decides {otherwise[0]}: held for review"
        if found.pattern is not None:
            return "keep", EXCLUDE_PATTERNS, f"{why}; kept: email matches exclude pattern {found.pattern!r}"
    return by_kind(person, config, why)


def by_kind(person: Person, config: UnmatchedSettings, why: str) -> tuple[str, str, str]:
    """``(decision, rule, reason)`` for ``person`` once no decision, protection, second account or exclude pattern
    applies (module docstring): embed users kept, then the kind's setting (held when a question stands: never
    activated, reactivated since a wave archived them, made later than the export); ``why`` is
    :func:`why_unmatched`."""
    if person.member.user_kind == "embed":
        return "keep", "unmatched.embed", f"{why}; kept: embed users are not provisioned through the IdP"
    setting = leaver_setting(person) if person.status is PersonStatus.LEAVER else "action"
    decision = getattr(config, setting)
    if setting == "idp_suspended" and decision == "review":
        return "review", f"unmatched.{setting}", f"{why}; unmatched.{setting} is {decision}, held for review"
    if decision == "deactivate" and setting == "idp_inactive" and never_activated(person.idp_user):
        return "review", NEVER_ACTIVATED, f"{why}; unmatched.{setting} is {decision}, held for review"
    archived = config.reactivated.get(person.member_id) if decision == "deactivate" else None
    if archived is not None:
        return ("review", REACTIVATED,
                f"{why}; {archived_by(archived)}; unmatched.{setting} is {decision}, held for review")
    if decision == "deactivate" and assigned_directly(person, config):
        return ("review", INDIVIDUAL_ASSIGNMENTS,
                f"{why}; assigned to the app directly? unmatched.{setting} is {decision}, held for review")
    listed = listed_outside(person, config) if decision == "deactivate" else ""
    if listed:
        return "review", OUTSIDE_MEMBER, f"{why}; {listed}; unmatched.{setting} is {decision}, held for review"
    made = made_later(person, config.new_member_dates) if decision == "deactivate" else ""
    if made:
        return "review", NEW_MEMBER, f"{why}; {made}; unmatched.{setting} is {decision}, held for review"
    return decision, f"unmatched.{setting}", f"{why}; unmatched.{setting} is {decision}"


def quoted_address(address: str) -> str:
    """``address`` between single quotes, escaped as ``show`` prints an address
    (:func:`planner.unsafe_characters.escape_address`): ``'\\x20svc-etl@acme.example'``."""
    return f"'{escape_address(address)}'"


def readings_words(found: PatternMatch) -> str:
    """How the readings of an address disagree on ``unmatched.exclude_patterns``, for a reason and a message:
    ``unmatched.exclude_patterns reads the address as 'svc-etl@acme.example' (trimmed, ...), which matches
    '^svc-', but as Sigma holds it, '\\x20svc-etl@acme.example', it matches no pattern``
    (:func:`planner.address_patterns.pattern_match`)."""
    def verdict(pattern: str | None) -> str:
        return f"matches '{pattern}'" if pattern is not None else "matches no pattern"

    key = (f"unmatched.exclude_patterns reads the address as {quoted_address(found.key)} ({KEY_WORDS}), which "
           + verdict(found.pattern))
    return key + "".join(f", but {r.how}, {quoted_address(r.address)}, it {verdict(r.pattern)}" for r in found.doubts)


def decide_member(person: Person, config: UnmatchedSettings) -> UnmatchedDecision:
    """Keep, deactivate or review ``person`` (status ``unmatched``, ``not_in_scope`` or ``leaver``, a member)."""
    decision, rule, reason = choose(person, config)
    mid = person.member_id
    item = action = None
    if rule == "guards.protected_members" and config.decisions.get(mid, ("",))[0] == "deactivate":
        item = protected_item(person, config.protected[mid], config.decisions[mid][1])
    elif decision == "deactivate" and rule == "linking.second_accounts":
        second = config.second_accounts[mid]
        owner = DocumentOwner(second.new_member_id, second.new_email, "linking.second_accounts")
        action = deactivate_action(person, rule, owner, config.idp_format, why=second.why(person.member.email))
    elif decision == "deactivate":
        action = deactivate_action(person, rule, config.owner, config.idp_format)
    elif decision == "review" and rule == SECOND_ACCOUNT:
        item = second_account_item(person, config.second_accounts[mid])
    elif decision == "review" and rule == NEW_MEMBER:
        item = new_member_item(person, config)
    elif decision == "review" and rule == UNCLEAN_ADDRESS:
        item = unclean_address_item(person, config)
    elif decision == "review" and rule == REACTIVATED:
        item = reactivated_unmatched_item(person, config.reactivated[mid], config.idp_format)
    elif decision == "review" and rule == INDIVIDUAL_ASSIGNMENTS:
        item = individual_assignment_item(person, config)
    elif decision == "review" and rule == OUTSIDE_MEMBER:
        item = outside_member_item(person, config)
    elif decision == "review" and rule == "unmatched.idp_suspended":
        item = suspended_item(person, config)
    elif decision == "review":
        item = review_item(person, rule, config.idp_format)
    return UnmatchedDecision(mid, person.status, decision, rule, reason, action, item)


def deactivate_action(person: Person, rule: str, owner: DocumentOwner, idp_format: str = "",
                      why: str | None = None) -> Action:
    """``members.deactivate`` (``isArchived: true`` with ``newOwnerId``, docs/sigma-api.md §2.5); the reason
    says ``why`` (default :func:`why_unmatched`)."""
    member, user = person.member, person.idp_user
    text = "deactivate: " + (why or why_unmatched(person, idp_format))
    if owner.member_id:
        text += documents_note(owner.email)
    return make_action(
        ActionKind.MEMBERS_DEACTIVATE,
        member.member_id,
        target=MemberRef(member_id=member.member_id, email=member.email),
        before=DeactivateBefore(is_archived=False, member_type=member.member_type),
        after=ArchiveAfter(is_archived=True, new_owner_id=owner.member_id),
        rule=rule,
        reason=text,
        evidence=DeactivateEvidence(
            kind=person.status.value,
            new_owner_email=owner.email if owner.member_id else None,
            document_owner_from=owner.source,
            idp_id=user.id if user is not None else UNSET,
            idp_status=(user.status or None) if user is not None else UNSET,
        ),
    )


def review_item(person: Person, rule: str, idp_format: str = "") -> ReviewItem:
    """The blocking item that asks to keep or deactivate ``person``, settled by ``unmatched.decisions``:
    ``unmatched.never_activated`` when ``rule`` is that rule (:mod:`.idp_status`), else ``unmatched.review``."""
    member = person.member
    why = why_unmatched(person, idp_format)
    if rule == NEVER_ACTIVATED:
        why += (", while this member is active in Sigma: the account may have been made by hand, or the export "
                "predates the activation, so it is not deactivated on this alone")
    return member_question(person, NEVER_ACTIVATED if rule == NEVER_ACTIVATED else "unmatched.review", rule,
                           f"{member.email}: {why}; decide whether to keep or deactivate this member",
                           decision(person, "deactivate"), decision(person, "keep"))


def suspended_item(person: Person, config: UnmatchedSettings) -> ReviewItem:
    """The blocking ``unmatched.suspended`` item (rule ``unmatched.idp_suspended``, its default ``review``):
    ``person``'s IdP user is suspended (:func:`.idp_status.suspended`), a hold the IdP can lift, while a
    deactivation archives the member and moves their documents, which unsuspending does not undo. The message
    names the export's field and value (:func:`.idp_status.inactive_because`); the resolution offers
    ``unmatched.decisions`` (``deactivate`` | ``keep``) for this member and ``unmatched.idp_suspended: deactivate``
    for every suspended member (an IdP whose admins suspend each leaver). Evidence: ``kind``, ``memberType``,
    ``userKind``."""
    member = person.member
    owner = owner_words(config.owner)
    return member_question(
        person, SUSPENDED, "unmatched.idp_suspended",
        f"{member.email}: {why_unmatched(person, config.idp_format)}, a hold the IdP can lift (leave, a security hold, "
        "an investigation), while deactivating archives this member and moves their documents to another owner, "
        "which unsuspending does not undo; decide whether to keep or deactivate this member",
        decision(person, "deactivate"), decision(person, "keep"), {"unmatched": {"idp_suspended": "deactivate"}},
        notes=[f"deactivate: members.deactivate, their documents going to the document owner{owner}; keep: "
               "nothing is planned for them; unmatched.idp_suspended: deactivate deactivates every member whose "
               "IdP user is suspended (where the IdP's admins suspend each leaver)"])


def new_member_item(person: Person, config: UnmatchedSettings) -> ReviewItem:
    """The blocking ``unmatched.new_member`` item: no IdP user matches ``person``, made after SCIM was set up or
    after the IdP export's newest record (:func:`made_later` over ``config.new_member_dates``), so the export's
    silence does not say they should go; settled by ``unmatched.decisions`` (``keep`` | ``deactivate``), or, for a
    member Sigma's SCIM lists (without an ``externalId``, :attr:`UnmatchedSettings.pre_scim`: made through SCIM,
    e.g. an IdP's test push, which Sigma refuses to deactivate through REST), by :func:`provisioned_entry`, the
    message and notes saying who receives the documents either way (tester12 #10). When ``fetch-idp`` read the IdP
    after the member was made (:func:`read_after_made`), the message says so and that a new export will not settle
    it (was: "or after the export was taken ... export the IdP again", doubts20). Evidence: ``kind``,
    ``memberType``, ``userKind``, ``createdAt`` and the dates it is later than (``scimSetUpBy``,
    ``exportNewest``)."""
    member, dates = person.member, config.new_member_dates
    listed = config.pre_scim.get(member.member_id)
    choices = [{"unmatched": {"decisions": {member.email: "keep"}}},
               {"unmatched": {"decisions": {member.email: "deactivate"}}}]
    notes = ["keep: nothing is planned for them; deactivate: members.deactivate, their documents going to "
             "the document owner" + (f" ({config.owner.email})" if listed is not None and config.owner.email else "")]
    listed_words = ""
    if listed is not None:
        listed_words = (f"; Sigma's SCIM lists them ({listed.user_name}, no externalId), so SCIM may have made them "
                        "(an IdP's test push), and Sigma then refuses members.deactivate (403): "
                        "linking.scim_state_conflicts takes them as provisioned and deactivates them through SCIM")
        choices.append(provisioned_entry(listed.user_name))
        notes.append(provisioned_entry_note(config.owner.email, config.provisioning_admin.email))
    if read_after_made(member, dates):
        why = (f"{made_later(person, dates)}, yet the IdP export, read later ({dates.idp_read_at}, fetch-idp's "
               "fetchedAt), holds no IdP user of theirs: made in Sigma by hand on purpose (a service account, a "
               "contractor, a break-glass admin), or their IdP user is out of the export's scope (not assigned to "
               "the Sigma app, a filtered read), so it is not deactivated on the export's silence, and exporting the "
               "IdP again will not settle it; decide whether to keep or deactivate this member")
    else:
        why = (f"{made_later(person, dates)}: made by hand on purpose (a service account, a contractor, a "
               "break-glass admin) or after the export was taken, so it is not deactivated on the export's silence; "
               "decide whether to keep or deactivate this member (if the IdP provisioned them, export the IdP again "
               "and plan again)")
    return new_member_review(
        person, dates, f"{member.email}: {why_unmatched(person)}, {why}" + listed_words,
        yaml_snippet(*choices, notes=notes))


def read_after_made(member: SigmaMember, dates: NewMemberDates) -> bool:
    """True when ``fetch-idp`` read the IdP (:attr:`NewMemberDates.idp_read_at`) in a later second than ``member``'s
    ``createdAt`` (both ISO 8601 UTC to the second; a date unknown or unreadable, or the same second, is False: no
    known order). Then the member was no newcomer the export was taken too early to hold, and a new export cannot
    settle :func:`new_member_item` (doubts20; tester19 finding 6 is the same fault of ``scim.state_conflict``,
    :meth:`planner.rules.scim_state.ChangeDates.read_after_made_words`)."""
    return made_after(dates.idp_read_at, change_time(member.created_at))


def new_member_review(person: Person, dates: NewMemberDates, message: str, resolution: str) -> ReviewItem:
    """A blocking ``unmatched.new_member`` item about ``person``'s member (:func:`new_member_item`,
    :func:`new_guest_item`) with ``message`` and ``resolution``; evidence: ``kind``, ``memberType``, ``userKind``,
    ``createdAt`` and the dates it is later than (``scimSetUpBy``, ``exportNewest``; both when ``createdAt`` cannot
    be read)."""
    member = person.member
    created = change_time(member.created_at)
    unreadable = created is None and bool(member.created_at)
    return make_review(
        NEW_MEMBER,
        member.member_id,
        blocking=True,
        subject=person_ref(member_id=member.member_id, email=member.email),
        message=message,
        rule=NEW_MEMBER,
        evidence=ItemEvidence(
            kind=person.status.value, member_type=member.member_type, user_kind=member.user_kind,
            created_at=created or member.created_at or UNSET,
            scim_set_up_by=dates.scim_set_up_by if dates.scim_set_up_by and (
                unreadable or made_after(created, dates.scim_set_up_by)) else UNSET,
            export_newest=dates.export_newest if dates.export_newest and (
                unreadable or made_after(created, dates.export_newest)) else UNSET),
        resolution=resolution,
    )


def new_guest_item(person: Person, dates: NewMemberDates, why: str, owner: DocumentOwner) -> ReviewItem | None:
    """The blocking ``unmatched.new_member`` item of an active guest the guests' family would disable (``why``:
    :func:`planner.rules.guests.why_disabled`) whose ``createdAt`` is later than SCIM's set-up or the IdP export's
    newest record (:func:`created_later`): a partner invited by hand between waves, whom neither the policy's
    ``guests`` section nor ``preflight.guests_informed`` (both written before them) speaks for, so they are not
    disabled, their documents moved to ``owner``, on that word (tester19 finding 5; the same rule as an internal
    member's). Settled per guest by ``unmatched.decisions``: ``keep`` (nothing is planned for them) or
    ``deactivate`` (``members.disable_guest``). ``None`` when the guest is not new. Evidence as
    :func:`new_member_review`."""
    made = created_later(person.member, dates)
    if not made:
        return None
    member = person.member
    return new_member_review(
        person, dates,
        f"{member.email}: {why}; {made}: invited by hand on purpose (a partner, a contractor) after the policy's "
        "guests section and preflight.guests_informed were written, so it is not disabled on their word; decide "
        "whether to keep or disable this guest",
        yaml_snippet(
            {"unmatched": {"decisions": {member.email: "keep"}}},
            {"unmatched": {"decisions": {member.email: "deactivate"}}},
            notes=["keep: nothing is planned for them; deactivate: members.disable_guest, their documents going to "
                   "the document owner" + (f" ({owner.email})" if owner.member_id and owner.email else "")
                   + " (tell them first)"]))


def unclean_address_item(person: Person, config: UnmatchedSettings) -> ReviewItem:
    """The blocking ``unmatched.unclean_address`` item (rule ``unmatched.exclude_patterns``): ``person``'s email is
    read one way by the rules (its key, :func:`planner.address_patterns.rule_address`) and another as Sigma holds it
    or as a person may read it, the exclude patterns' verdict differs between them, and the member is not kept
    otherwise (:func:`by_kind` says what would decide them): the plan neither keeps nor deactivates
    on one reading. The message names the address as Sigma holds it, escaped (:func:`quoted_address`), each reading
    and what differs from the clean spelling (:func:`planner.address_patterns.address_differences`). Settled by
    correcting the address in Sigma (export and plan again), or by ``unmatched.decisions`` keyed by memberId (an
    unclean address is no key to copy). Evidence: ``kind``, ``memberType``, ``userKind``, ``sigmaEmail`` (as held),
    ``address`` (as the rules read it), ``differences``. Source: tester16a finding 3."""
    member = person.member
    found = pattern_match(config.patterns, member.email, member.email_key)
    differences = address_differences(member.email)
    why = why_unmatched(person, config.idp_format)
    decision, rule, _ = by_kind(person, config, why)
    return make_review(
        UNCLEAN_ADDRESS,
        member.member_id,
        blocking=True,
        subject=person_ref(member_id=member.member_id, email=member.email, idp_id=person.idp_id),
        message=(f"{quoted_address(member.email)} [member {member.member_id}]: {readings_words(found)}"
                 + (f" (the address differs from its clean spelling: {'; '.join(differences)})" if differences else "")
                 + f"; otherwise {rule} decides {decision} ({why}): held, nothing is planned "
                 "for this member until the address is corrected in Sigma (export and plan again) or "
                 "unmatched.decisions decides"),
        rule=EXCLUDE_PATTERNS,
        evidence=ItemEvidence(kind=person.status.value, member_type=member.member_type, user_kind=member.user_kind,
                              sigma_email=member.email, address=found.key, differences=differences),
        resolution=yaml_snippet(
            {"unmatched": {"decisions": {member.member_id: "keep"}}},
            {"unmatched": {"decisions": {member.member_id: "deactivate"}}},
            notes=[f"{quoted_address(member.email)}: keep (nothing is planned for them) or deactivate "
                   "(members.deactivate); or correct the address in Sigma, export and plan again"],
        ),
    )


def reactivated_unmatched_item(person: Person, archived: ArchivedThen, idp_format: str = "") -> ReviewItem:
    """The blocking ``unmatched.reactivated`` item of an unmatched member a run archived whom the export lists active
    again (:func:`.reactivated.reactivated_item`, tester17 #6), saying why this family would deactivate them
    (:func:`why_unmatched`)."""
    return reactivated_item(person, archived, why_unmatched(person, idp_format))


def individual_assignment_item(person: Person, config: UnmatchedSettings) -> ReviewItem:
    """The blocking ``scope.individual_assignment`` item (rule ``scope.individual_assignments``,
    :func:`assigned_directly`): ``person``'s IdP user is active but in no ``scope.groups`` group, and the plan would
    deactivate their member. An IdP app can also be assigned to a user directly (Okta: Assignments > People,
    ``/api/v1/apps/{appId}/users``; Entra: Users and groups, the service principal's ``appRoleAssignedTo``), which
    no export this tool reads holds (docs/formats.md), and the IdP provisions such a user right after the
    deactivation archived them and moved their documents (tester18 finding 7: deactivated as "outside
    scope.groups", 0 items). The message names the IdP user and their last sign-in when the export says it (the
    ``lastLogin`` attribute: Okta ``lastLogin``, Entra ``signInActivity``, Google ``lastLoginTime``). Settled by
    ``account_types.overrides`` (assigned directly: in scope with that account type, offered with the member's
    current one), by ``unmatched.decisions`` (``deactivate`` | ``keep``), or for everyone at once by
    ``scope.individual_assignments: none`` (the reviewer checked the app's assignments). Evidence: ``kind``,
    ``memberType``, ``userKind``."""
    member, user = person.member, person.idp_user
    assert user is not None  # assigned_directly: an active IdP user outside scope.groups
    login = user.attributes.get("lastLogin")
    signed_in = f", last sign-in {login}" if isinstance(login, str) and login else ""
    owner = owner_words(config.owner)
    return member_question(
        person, INDIVIDUAL_ASSIGNMENT, INDIVIDUAL_ASSIGNMENTS,
        f"{member.email}: {why_unmatched(person, config.idp_format)}, but active in the IdP{signed_in}: is it "
        "assigned to the Sigma app directly (not through a group)? No export read holds the app's assignments "
        "(Okta /api/v1/apps/{appId}/users, Entra appRoleAssignedTo), and the IdP would provision a directly assigned "
        "user right after this plan archived the member and moved their documents; decide",
        {"account_types": {"overrides": {user.user_name: member.member_type}}},
        decision(person, "deactivate"), decision(person, "keep"),
        {"scope": {"individual_assignments": "none"}},
        notes=[f"account_types.overrides: assigned directly, in scope with this account type (linked, not "
               f"deactivated); deactivate: members.deactivate, their documents going to the document owner{owner}; "
               "keep: nothing is planned for them; scope.individual_assignments: none: the app's assignments list "
               "no user directly (checked in the IdP), so everyone outside scope.groups is decided by "
               "unmatched.action"])


def outside_member_item(person: Person, config: UnmatchedSettings) -> ReviewItem:
    """The blocking ``unmatched.outside_member`` item: no IdP user matches ``person``, but an IdP group lists their
    address as a member the IdP never provisions (:func:`listed_outside`: a Google ``EXTERNAL`` member, a ``USER``
    of another domain, an Entra mail contact). The IdP says the person belongs to the group (perhaps the one scoping the app), so they
    are not deactivated on the export's silence (tester18 finding 8: was ``members.deactivate`` "no IdP user
    matches"); settled by ``unmatched.decisions`` (``deactivate`` | ``keep``), or by making them a user of the
    domain in the group (the IdP then provisions them: export and plan again). Evidence: ``kind``, ``memberType``,
    ``userKind``."""
    member = person.member
    owner = owner_words(config.owner)
    return member_question(
        person, OUTSIDE_MEMBER, OUTSIDE_MEMBER,
        f"{member.email}: {why_unmatched(person, config.idp_format)}, but {listed_outside(person, config)}: the IdP "
        "admin meant them to belong there; decide whether to provision them as a user of the domain (add them to "
        "the IdP as a user, in the group, export and plan again) or to deactivate this member (or keep them, "
        "unmanaged by the IdP)",
        decision(person, "deactivate"), decision(person, "keep"),
        notes=[f"deactivate: members.deactivate, their documents going to the document owner{owner}; keep: nothing is "
               "planned for them; or make them a user of the domain in the group, export the IdP again and plan "
               "again: the IdP then provisions them and the plan links them"])


def second_account_item(person: Person, second: SecondAccount) -> ReviewItem:
    """The blocking ``scim.second_account`` item: ``person``'s member was left behind by a userName change
    in the IdP (:class:`SecondAccount`); it names both members and both userNames, and is settled by
    ``linking.second_accounts``: ``deactivate`` (its documents go to the new member) or ``keep``."""
    member = person.member
    if second.matched_by is not None:  # the IdP's push, not a userName change (tester22 finding 1)
        said = (f"{member.email} [member {member.member_id}]: {second.matched_words()}, but the IdP provisioned that "
                f"user through SCIM under another userName, {second.user_name}: Sigma made a second account for it, "
                f"member {second.new_member_id} ({second.new_email}), which SCIM now manages, and left "
                f"{member.email} active with its documents and teams (not a member no IdP user matches); the IdP "
                f"cannot send {member.email} to the SCIM account while this member holds the address")
    else:
        said = (f"{member.email} [member {member.member_id}] was provisioned by SCIM as IdP user "
                f"{second.external_id}, whose userName the IdP changed to {second.user_name}: Sigma made a second "
                f"account for it, member {second.new_member_id} ({second.new_email}), which SCIM now manages, and "
                f"left {member.email} active with its documents and teams")
    return make_review(
        SECOND_ACCOUNT,
        member.member_id,
        blocking=True,
        subject=person_ref(member_id=member.member_id, email=member.email, idp_id=second.external_id or None,
                           user_name=second.user_name),
        message=f"{said}; deactivate it (its documents go to {second.new_email}) or keep it",
        rule="linking.second_accounts",
        evidence=ItemEvidence(external_id=second.external_id, sigma_email=member.email, user_name=second.user_name,
                              new_member_id=second.new_member_id,
                              linked_by=second.matched_by.key if second.matched_by is not None else UNSET),
        resolution=yaml_snippet(
            {"linking": {"second_accounts": {member.email: "deactivate"}}},
            {"linking": {"second_accounts": {member.email: "keep"}}},
            notes=[f"deactivate: its documents go to {second.new_email}; keep: nothing is planned for it"],
        ),
    )


def protected_item(person: Person, role: str, rule: str) -> ReviewItem:
    """The blocking ``unmatched.protected_member`` item: ``rule`` (``unmatched.decisions`` or
    ``linking.duplicates``) says deactivate a person the guards protect; the plan keeps them."""
    member = person.member
    ref = member.email
    settle = ({"unmatched": {"decisions": {ref: "keep"}}} if rule == "unmatched.decisions"
              else {"linking": {"duplicates": {member.member_id: "rename"}}})
    return make_review(
        "unmatched.protected_member",
        member.member_id,
        blocking=True,
        subject=person_ref(member_id=member.member_id, email=member.email),
        message=(
            f"{member.email} is {role} ({PROTECTED_BECAUSE[role]}): {rule} says deactivate, which the plan never "
            f"does; keep them, or name someone else in {role} once you {PROTECTED_MOVE[role].format(who='them')}"
        ),
        rule=rule,
        resolution=yaml_snippet(settle, notes=[f"or, once another person is {role}, keep the decision"]),
    )
