"""The snapshot and plan types every stage of the pipeline shares.

Snapshot side (built by ``planner.sources``; read by matching and the rules):

- :class:`SigmaMember`, :class:`SigmaTeam`, :class:`TeamMembership`,
  :class:`AccountType` -> gathered in :class:`SigmaExport`;
- :class:`IdpUser`, :class:`IdpGroup` -> gathered in :class:`IdpDirectory`;
- :class:`Finding`: one validation result (error / warning / info);
- :class:`Snapshot`: both sides plus every finding and the input files.

Plan side (built by ``planner.planning``; read by report and execute):

- :class:`Action` (the union of :mod:`planner.payloads`, one typed class per
  :class:`ActionKind`), :class:`ReviewItem` (with :class:`ItemRef` and :class:`ItemEvidence`), :class:`Plan`: msgspec Structs, which
  :mod:`planner.planfile` writes and reads with validation.

Field names are the snake_case spelling of Sigma's REST fields (``memberId`` ->
``member_id``, ``memberType`` -> ``member_type``, ``userKind`` -> ``user_kind``)
and of SCIM's attributes (RFC 7643 §4.1: ``userName`` -> ``user_name``,
``externalId`` -> ``external_id``). Inside the pipeline these are frozen: the
snapshot records (members, teams, memberships, IdP users, groups, emails, source
references) are :class:`Record` s (msgspec Structs, built in C: a 100k-member org
loads about a million of them), the rest frozen data classes; plan files are
validated at the edge by ``planner.planfile``.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from enum import Enum
from functools import cached_property
from typing import Any, ClassVar, Iterable, Literal, Mapping

import msgspec
from msgspec import UNSET, UnsetType

from .payloads import Action, ActionKind  # noqa: F401  (ActionKind: the plan types' home, re-exported)
from .unsafe_characters import escape_message, escape_snippet


SCHEDULER_ROBOT_MEMBER_ID = "SigmaSchedulerRobot"
"""memberId of Sigma's system member (docs/formats.md §1b); never a person, never migrated."""

SCHEDULER_ROBOT_EMAIL = "scheduler-robot@sigmacomputing.com"
"""Email of Sigma's system member (docs/sigma-api.md §2.2, Sigma's Okta guide: ignore it)."""

SCIM_LINK_KEY = "scim"
"""The :attr:`PersonRow.link_key` of a member an IdP already provisioned when the plan was made (Sigma's SCIM state
lists its user with an ``externalId``: :mod:`planner.rules.scim_state`, which links by it)."""


def email_key(address: str | None) -> str:
    """Return the comparison key of an email address: what Sigma compares, letter case aside and
    nothing else (docs/sandbox.md, "how ``userName`` and emails compare"), of the address as the
    tool cleans it: Unicode NFC, control and invisible format characters (categories Cc, Cf: tab,
    zero-width space, BOM) removed, trimmed, lower-cased (:meth:`str.lower`).

    ``" Alice@Example.com "``, ``"alice@example.com\u200b"`` and ``"alice@example.com"`` give
    the same key (exports keep addresses "as typed", issue 14 item 1: the plan sets such a member's
    email to the clean spelling before a link), and so do an address and its decomposed (NFD)
    spelling. Never case folding (:meth:`str.casefold`: ``straße`` is ``strasse``) nor compatibility
    forms (NFKC: fullwidth ``ｃ`` is ``c``): those are different mailboxes to Sigma, and the same-person
    hints hold such a pair for a reviewer (:func:`planner.near_addresses.near_keys`, tester6 finding 4).
    ``+tags`` and dots are kept: Sigma treats ``a+x@`` and ``a@`` as different members
    (docs/formats.md §0.5); folding them is a policy decision, not a key. ``None`` and blank strings
    give ``""``.

    The address every rule reads (:func:`planner.address_patterns.rule_address`): matching, the people the
    policy names, and a pattern searched in an address (``unmatched.exclude_patterns``, tester16a finding 3).
    """
    if not address:
        return ""
    text = unicodedata.normalize("NFC", address)
    if not text.isprintable():
        text = "".join(c for c in text if unicodedata.category(c) not in ("Cc", "Cf"))
    return text.strip().lower()


# --------------------------------------------------------------------------- findings


class Severity(str, Enum):
    """How bad a :class:`Finding` is. ``error`` makes ``check`` exit 1."""

    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


class Record(msgspec.Struct, frozen=True, gc=False):
    """Base of the snapshot records: immutable, built positionally or by keyword, equal and hashed
    by their fields.

    msgspec builds a record in C, ~8x faster than a frozen data class's ``__init__`` (which sets
    each field through ``object.__setattr__``): a 100k-member org loads about a million records.
    ``gc=False``: records never reference each other in cycles, so the cyclic collector skips
    them. :func:`msgspec.structs.replace` copies one with changes.
    """


class SourcedRecord(Record):
    """A record read from an export, carrying what was read (``raw`` / ``attributes``) and where
    (``source``): equality and hash leave out the fields named in ``UNCOMPARED``, so the same
    member read from two files is equal, and a record holding a dict is hashable.
    """

    UNCOMPARED: ClassVar[frozenset[str]] = frozenset({"source"})

    def _compared(self) -> tuple:
        skip = self.UNCOMPARED
        return tuple(getattr(self, name) for name in self.__struct_fields__ if name not in skip)

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        return self._compared() == other._compared()  # type: ignore[attr-defined]

    def __hash__(self) -> int:
        return hash(self._compared())


class SourceRef(Record):
    """Where a record came from: a file and a 1-based line (CSV) or a JSON path.

    ``location`` is ``"line 12"`` for CSV rows (the physical line number in the
    file, header = line 1 unless a preamble precedes it) or a JSON path such as
    ``"$[1].entries[3]"``.
    """

    file: str
    location: str = ""

    def __str__(self) -> str:
        return f"{self.file}:{self.location}" if self.location else self.file


@dataclass(frozen=True, slots=True)
class Finding:
    """One validation result.

    ``code`` is stable (tests and users grep for it), e.g. ``duplicate-email``,
    ``missing-column``, ``excel-mangled-id``. ``file``/``location``/``field`` say
    where; ``message`` is one line, no newline.
    """

    severity: Severity
    code: str
    file: str
    location: str
    field: str
    message: str

    def __str__(self) -> str:
        where = self.file + (f":{self.location}" if self.location else "")
        fld = f" [{self.field}]" if self.field else ""
        return f"{self.severity.value}: {where}{fld}: {self.message} ({self.code})"


# --------------------------------------------------------------------------- Sigma side


class SigmaMember(SourcedRecord):
    """A Sigma organization member, as ``GET /v2/members`` returns it (docs/sigma-api.md §2.2).

    ``email_key`` is :func:`email_key` of ``email``. ``member_type`` is the
    account type name as spelled in Sigma. ``user_kind`` is ``internal``,
    ``guest`` or ``embed``. ``is_archived`` = deactivated in Sigma;
    ``is_inactive`` = deactivated by SCIM. ``raw`` keeps every field of the
    member object exactly as loaded (camelCase keys), including unknown ones.
    """

    member_id: str
    email: str
    email_key: str
    first_name: str
    last_name: str
    member_type: str
    user_kind: str = "internal"
    is_archived: bool = False
    is_inactive: bool = False
    organization_id: str = ""
    created_at: str | None = None
    updated_at: str | None = None
    raw: Mapping[str, Any] = msgspec.field(default_factory=dict)
    source: SourceRef | None = None

    UNCOMPARED: ClassVar[frozenset[str]] = frozenset({"raw", "source"})

    @property
    def is_system(self) -> bool:
        """True for Sigma's scheduler robot, which is never counted as a person."""
        return (
            self.member_id == SCHEDULER_ROBOT_MEMBER_ID
            or self.email_key == SCHEDULER_ROBOT_EMAIL
        )

    @property
    def is_guest(self) -> bool:
        """True when ``userKind`` is ``guest`` (SCIM disables these, docs/sigma-api.md §5.3)."""
        return self.user_kind == "guest"

    @property
    def is_active(self) -> bool:
        """Neither archived nor inactive."""
        return not (self.is_archived or self.is_inactive)


class SigmaTeam(SourcedRecord):
    """A Sigma team, as ``GET /v2/teams`` returns it (docs/sigma-api.md §3.2)."""

    team_id: str
    name: str
    description: str | None = None
    visibility: str | None = None
    is_archived: bool = False
    raw: Mapping[str, Any] = msgspec.field(default_factory=dict)
    source: SourceRef | None = None

    UNCOMPARED: ClassVar[frozenset[str]] = frozenset({"raw", "source"})


class TeamMembership(SourcedRecord):
    """One entry of ``GET /v2/teams/{teamId}/members`` (``userId`` is a memberId)."""

    team_id: str
    member_id: str
    is_team_admin: bool = False
    added_by: str | None = None
    source: SourceRef | None = None


class AccountType(Record):
    """One entry of ``GET /v2/accountTypes`` (docs/sigma-api.md §4.1). ``name`` is ``accountTypeName``."""

    account_type_id: str
    name: str
    description: str | None = None
    is_custom: bool = False


class ScimUser(Record):
    """A User as Sigma's SCIM service lists it (``scim/Users.json``, RFC 7643 §4.1).

    ``id`` is the SCIM id (Sigma's memberId, docs/sandbox.md); ``external_id`` is what the
    provisioning client sent (RFC 7643 §3.1: only a client sets it), so a user with one is
    *provisioned* (SCIM-managed) and a user without one is a listed pre-SCIM member.
    ``user_type`` is the account type name, ``active`` ``None`` when not said; ``last_modified``
    its ``meta.lastModified`` as listed (RFC 7643 §3.1, an xsd:dateTime string), ``None`` when not said;
    ``created`` its ``meta.created`` (RFC 7643 §3.1), ISO 8601 UTC to the second
    (:func:`planner.sources.values.change_time`), ``None`` when not said or unreadable.
    """

    id: str
    user_name: str
    user_name_key: str
    external_id: str | None = None
    active: bool | None = None
    user_type: str | None = None
    last_modified: str | None = None
    created: str | None = None
    created_unreadable: str | None = None
    """Its ``meta.created`` as listed when it could not be read (``created`` is then ``None``):
    :class:`planner.sources.values.DateRead`."""

    @property
    def provisioned(self) -> bool:
        """True when an IdP provisioned (or linked) this user: it carries an ``externalId``."""
        return bool(self.external_id)


class ScimGroup(Record):
    """A Group as Sigma's SCIM service lists it (``scim/Groups.json``): ``id`` = teamId,
    ``member_ids`` the SCIM ids of its SCIM-managed members, ``last_modified`` its ``meta.lastModified``;
    provisioned as :class:`ScimUser`."""

    id: str
    display_name: str
    external_id: str | None = None
    member_ids: tuple[str, ...] = ()
    last_modified: str | None = None
    """``meta.lastModified`` (RFC 7643 §3.1) as :func:`planner.sources.values.change_time` writes it:
    when SCIM last changed the group (its members included); ``None`` when the state does not say."""

    @property
    def provisioned(self) -> bool:
        """True when an IdP group is linked to this team: it carries an ``externalId``."""
        return bool(self.external_id)


class InputFile(msgspec.Struct, frozen=True, forbid_unknown_fields=True, gc=False):
    """A file that was read: path as given, sha256 of its bytes, what it held, how many records.

    ``kind`` is ``<source>.<what>``: ``sigma.*`` the Sigma export (``sigma.scim_state``: Sigma's SCIM state,
    its ``scim/`` folder); ``okta.*``, ``entra.*``, ``google.*``, ``scim.resources`` (a SCIM export) and
    ``generic.users`` the IdP export, whose prefix says which IdP a plan was made from
    (:func:`planner.handoff.check_idp_matches`); ``fetch-idp.manifest``."""

    path: str
    sha256: str
    kind: str
    records: int


@dataclass(frozen=True, slots=True)
class MissingColumn:
    """A field a rule decides on that the file's format carries but this file lacks (no column, or no value in any
    record): ``path`` (the file as read, :attr:`InputFile.path`), ``field`` (as the format names it: ``createdAt``,
    ``createdDateTime``, ``externalUserState``...), ``rules`` (what decides on it, as ``check`` says it). Read as
    "cannot tell", never "not said" (:mod:`planner.sources.rule_columns`; tester21 finding 7)."""

    path: str
    field: str
    rules: str

    def words(self) -> str:
        """How an item names it: ``members.csv has no createdAt column (or no value in it)``."""
        return f"{self.path} has no {self.field} column (or no value in it)"


SCIM_STATE_READ, SCIM_STATE_LEFT_OUT, SCIM_STATE_NOT_READ = "read", "left_out", "not_read"
"""The ``scimState`` words of a fetch manifest (:class:`FetchManifest`)."""


@dataclass(frozen=True)
class FetchManifest:
    """What ``sigma-migrate fetch`` recorded beside a Sigma export (``fetch-manifest.json``,
    :mod:`planner.sources.manifest`): ``path`` (as given) and ``scim_state``, whether Sigma's SCIM state
    was read: :data:`SCIM_STATE_READ` (with ``SIGMA_SCIM_TOKEN``: ``scim/`` written),
    :data:`SCIM_STATE_LEFT_OUT` (``--no-scim-state``: left out on purpose) or :data:`SCIM_STATE_NOT_READ`
    (no token, and nothing fetch could see said SCIM is in use)."""

    path: str
    scim_state: str
    fetched_at: str | None = None
    """When the fetch read Sigma (``fetchedAt``, ISO 8601 UTC to the second), ``None`` in a manifest written
    before it was recorded."""
    files: tuple[tuple[str, int], ...] | None = None
    """Each file the fetch wrote (a path under the export folder) with its record count (``files``), ``None`` in a
    manifest written before they were recorded (:func:`planner.sources.manifest.check_fetch_counts`)."""


@dataclass(frozen=True)
class SigmaExport:
    """Everything loaded from one Sigma export directory.

    ``account_types`` is ``None`` when the export had no ``account_types.json``
    (then account type names cannot be validated). ``members`` includes the
    scheduler robot; use :attr:`people` for real people.
    """

    members: tuple[SigmaMember, ...] = ()
    teams: tuple[SigmaTeam, ...] = ()
    team_memberships: tuple[TeamMembership, ...] = ()
    account_types: tuple[AccountType, ...] | None = None
    inputs: tuple[InputFile, ...] = ()
    scim_users: tuple[ScimUser, ...] | None = None
    """Sigma's SCIM Users (``scim/Users.json``), ``None`` when the export has no ``scim/`` folder."""
    scim_groups: tuple[ScimGroup, ...] | None = None
    """Sigma's SCIM Groups (``scim/Groups.json``), ``None`` when the export has no ``scim/`` folder."""
    directory: str = ""
    """The export directory as given (``--sigma``); empty for a snapshot built another way."""
    fetch_manifest: FetchManifest | None = None
    """What ``sigma-migrate fetch`` recorded about the export, ``None`` without ``fetch-manifest.json``
    (an export saved by hand, or fetched by an older version)."""
    missing_columns: tuple[MissingColumn, ...] = ()
    """The rule-bearing fields its members file lacks (:func:`planner.sources.rule_columns.sigma_rule_columns`)."""

    @cached_property
    def people(self) -> tuple[SigmaMember, ...]:
        """Members that are not Sigma's system member (found once per export: ``check`` reads them twice)."""
        return tuple(m for m in self.members if not m.is_system)


# --------------------------------------------------------------------------- IdP side


DERIVED_EMAIL_TYPES = frozenset({"userPrincipalName", "rebuilt", "login"})
""":attr:`Email.type` values a loader derives from another attribute when the user's email attribute
is empty (Entra: the UPN, a guest's address rebuilt from a ``#EXT#`` UPN; Okta: the login). An IdP app
that maps userName from the email sends nothing for such a user (issue 14 item 2)."""


def export_organization_id(members: Iterable[SigmaMember]) -> str:
    """The export's ``organizationId``: the one most members carry (ties: the smallest), ``""`` if none."""
    counts: dict[str, int] = {}
    for m in members:
        if m.organization_id:
            counts[m.organization_id] = counts.get(m.organization_id, 0) + 1
    return min(counts, key=lambda o: (-counts[o], o)) if counts else ""


class Email(Record):
    """One email of an IdP user (RFC 7643 §4.1.2 ``emails``): original spelling, key, flags.

    ``type`` says where the address came from (``mail``, ``primary``, ``work``, ...);
    :data:`DERIVED_EMAIL_TYPES` mark addresses the IdP does not hold as an email.
    """

    value: str
    key: str
    primary: bool = False
    type: str | None = None


class IdpUser(SourcedRecord):
    """A user of the identity provider, normalized from any supported format.

    - ``id``: the IdP's own id (Okta ``00u...``, Entra object id, Google numeric id,
      SCIM ``id``), always a string.
    - ``user_name``: what the IdP will send to Sigma as SCIM ``userName``
      (Okta ``profile.login``, Entra ``userPrincipalName``, Google ``primaryEmail``);
      ``user_name_key`` is its :func:`email_key`.
    - ``emails``: every address known for the user, the primary one first.
    - ``active``: ``True``/``False``, or ``None`` when the export does not say
      (e.g. Graph without ``accountEnabled`` in ``$select``).
    - ``status``: the IdP's raw status word (``ACTIVE``, ``SUSPENDED``,
      ``DEPROVISIONED``, ``Active``, ...), or ``None``.
    - ``suspended``: ``True`` when the export's own mapping says ``status`` is a word of suspension though the word
      is not ``suspended`` (a generic CSV's ``suspended_statuses``: OneLogin's ``2``, docs/formats.md §5); a word
      that says it (Okta and JumpCloud ``SUSPENDED``, Google ``Suspended``) needs no flag.
      :func:`planner.rules.idp_status.suspended` reads both.
    - ``never_activated``: ``True`` when the export's own mapping says ``status`` is a word of a user created but
      never activated though the word is not Okta's ``STAGED`` (a generic CSV's ``never_activated_statuses``:
      OneLogin's ``0`` Unactivated, docs/formats.md §5); :func:`planner.rules.idp_status.never_activated` reads
      both.
    - ``status_label``: what the IdP calls ``status`` when the word is a code (OneLogin's ``3`` is ``Locked``,
      docs/formats.md §5; a generic CSV's ``status_labels``), ``None`` when the word says it itself. Reasons
      name it (:func:`planner.rules.idp_status.inactive_because`: ``status is 0 (Unactivated)``).
    - ``user_type``: ``"Member"`` or ``"Guest"`` (Entra ``userType``), or ``None``.
    - ``account_type``: the Sigma account type the IdP sends this user as SCIM ``userType``, from an export
      that carries it: a SCIM ListResponse's ``userType`` other than Member/Guest (RFC 7643 §4.1.1;
      docs/sigma-api.md §5.2). ``None`` for the other formats, which cannot carry it: Okta's
      ``profile.userType`` is Okta's own "User type" (Employee, Contractor; the Sigma app's User Type lives
      on the app-user profile, not in a users export), Entra's ``userType`` is Member/Guest (the account
      type is an app-role assignment, not in a users export), Google's users carry none
      (:mod:`planner.rules.account_types` reads it: tester10 finding 10).
    - ``attributes``: every other column/field, by its original name
      (``employeeNumber``, ``department``, ...), values as strings.
    - ``last_updated``: when the IdP last changed the user, ISO 8601 UTC to the second
      (``2026-12-13T09:00:00Z``), from the exports that say it (Okta ``lastUpdated``, docs/formats.md
      §2a; a SCIM ListResponse's ``meta.lastModified``, RFC 7643 §3.1); ``None`` when the export does not
      (Entra, Google, CSVs). It dates a disagreement with Sigma's SCIM state (:mod:`planner.rules.scim_state`).
    - ``created``: when the IdP made the user, as ``last_updated`` (Okta ``created``, Entra
      ``createdDateTime``, Google Directory API ``creationTime``, a SCIM ListResponse's ``meta.created``);
      ``None`` when the export does not say (Google's admin console CSV, a generic CSV mapping no ``created``, an
      unreadable time). It
      dates an address Sigma's SCIM state gives another IdP identity
      (:func:`planner.rules.scim_state.reused_address`) and a recycled address
      (:mod:`planner.rules.address_takeover`).
    - ``created_unreadable``: that date as the export wrote it when it could not be read (a year-last date a
      spreadsheet wrote, ``6/12/2026 23:00``; :class:`planner.sources.values.DateRead`), ``None`` otherwise:
      the rule it would have decided cannot tell (tester10 #12).
    - ``created_field``: the export's field that says when the IdP made a user (``createdDateTime``,
      ``created``, ``creationTime``, ``meta.created``, a generic CSV mapping's ``created`` column, OneLogin's
      ``created_at``) in the formats that have one, whether or not this record carries it; ``None`` for the
      formats without one (Google's admin console CSV, a generic CSV mapping no ``created``). A rule that
      needs the date names it when it is missing (:mod:`planner.rules.address_takeover`, tester17 finding 3).
    """

    id: str
    user_name: str
    user_name_key: str
    emails: tuple[Email, ...] = ()
    given_name: str | None = None
    family_name: str | None = None
    display_name: str | None = None
    active: bool | None = None
    status: str | None = None
    user_type: str | None = None
    external_id: str | None = None
    attributes: Mapping[str, Any] = msgspec.field(default_factory=dict)
    source: SourceRef | None = None
    last_updated: str | None = None
    created: str | None = None
    created_unreadable: str | None = None
    account_type: str | None = None
    suspended: bool = False
    never_activated: bool = False
    status_label: str | None = None
    created_field: str | None = None

    UNCOMPARED: ClassVar[frozenset[str]] = frozenset({"attributes", "source", "last_updated", "created",
                                                      "created_unreadable", "created_field"})

    @property
    def is_guest(self) -> bool:
        """Entra ``userType == Guest`` or a B2B ``#EXT#`` userPrincipalName (docs/formats.md §3f)."""
        return (self.user_type or "").casefold() == "guest" or "#ext#" in self.user_name_key

    @property
    def invitation_pending(self) -> bool:
        """Entra ``externalUserState`` ``PendingAcceptance`` (letter case aside): a B2B guest who never redeemed
        the invitation, who cannot sign in through the IdP until they do (docs/formats.md §3d; tester17 finding
        9). Read from :attr:`attributes` (the users CSV column or Graph property); other IdPs have none."""
        state = self.attributes.get("externalUserState") if self.attributes else None
        return isinstance(state, str) and state.strip().casefold() == "pendingacceptance"

    @property
    def primary_email(self) -> Email | None:
        """The primary email, else the first one, else ``None``."""
        for e in self.emails:
            if e.primary:
                return e
        return self.emails[0] if self.emails else None


class IdpGroup(SourcedRecord):
    """An IdP group with its *direct* members (nesting is flattened by the rules, not here).

    ``member_user_ids`` and ``member_group_ids`` hold :attr:`IdpUser.id` and
    :attr:`IdpGroup.id` values of the same directory. ``outside_members``: the emails (as written,
    in export order) of its members the IdP never provisions, which no user of the export is: a Google
    ``USER`` of another domain or ``EXTERNAL`` member (docs/formats.md §4c), an Entra mail contact
    (``orgContact``, §3b and §3e) with a ``mail`` (:func:`outside_words` says which, per format).
    """

    id: str
    display_name: str
    member_user_ids: tuple[str, ...] = ()
    member_group_ids: tuple[str, ...] = ()
    outside_members: tuple[str, ...] = ()
    external_id: str | None = None
    attributes: Mapping[str, Any] = msgspec.field(default_factory=dict)
    source: SourceRef | None = None

    UNCOMPARED: ClassVar[frozenset[str]] = frozenset({"attributes", "source"})


@dataclass(frozen=True, slots=True)
class OutsideWords:
    """How a finding or an item names a group's :attr:`IdpGroup.outside_members` in one IdP format's terms
    (:func:`outside_words`): ``where`` follows "lists N member(s)" in the loader's ``unknown-group-member``
    warning, ``provisioner`` is who never provisions them, ``listed`` follows "lists N active Sigma member(s)"
    in ``teams.outside_member``, ``provisions_only`` says why the IdP never pushes them, ``one`` names one such
    member after "lists this address as", and ``users_of`` is what to make them instead."""

    where: str
    provisioner: str
    listed: str
    provisions_only: str
    one: str
    users_of: str


GOOGLE_OUTSIDE = OutsideWords(
    "outside this export's domain(s)", "Google's SCIM app", "by an address of another domain than the export's users",
    "Google's SCIM app provisions only the users of the Workspace domain(s)", "a member from outside the domain",
    "users of the Workspace domain")
"""A Google group's ``USER`` of another domain or ``EXTERNAL`` member (docs/formats.md §4c)."""

ENTRA_OUTSIDE = OutsideWords(
    "that are mail contacts (orgContact)", "Entra ID provisioning", "as mail contacts (orgContact)",
    "Entra ID provisioning provisions users, never mail contacts", "a mail contact (orgContact)",
    "users of the Entra tenant (members or B2B guests)")
"""An Entra group's mail contact: Graph ``@odata.type`` ``#microsoft.graph.orgContact`` or the portal's ``Member
type`` ``Contact``, with a ``mail`` (docs/formats.md §3b, §3e; tester18 finding 8's class)."""


def outside_words(idp_format: str) -> OutsideWords:
    """The :class:`OutsideWords` of IdP export format ``idp_format`` (:attr:`IdpDirectory.format`, e.g.
    ``entra-graph``): :data:`ENTRA_OUTSIDE` for Entra ID, else :data:`GOOGLE_OUTSIDE` (the only other format whose
    groups hold members the IdP never provisions)."""
    return ENTRA_OUTSIDE if idp_format.split("-")[0] == "entra" else GOOGLE_OUTSIDE


@dataclass(frozen=True, slots=True)
class GroupNameDoubt:
    """A group name an IdP export's groups cell gives that is likely several names typed with another separator
    (:func:`planner.sources.values.other_separator_split`: ``'Finance, Sales'`` where the mapping's
    ``groups_separator`` is ``;`` and ``Finance`` is a group of the same export; tester11 finding 9).

    ``group_id``: the group the name was read as (one group, as the export has it); ``separator``: the common
    separator it splits on (``,`` ``;`` ``|`` ``/`` or ``"\\n"`` for a line break); ``pieces``: the trimmed pieces, in
    order; ``known``: the pieces that are other groups of the export (as the export names them), never empty;
    ``configured``: the separator the export's cells are split by; ``user_ids``: the IdP users whose cell names it,
    in export order, but the inactive ones (their groups decide nothing); ``column``: the cells' column as
    written."""

    group_id: str
    separator: str
    pieces: tuple[str, ...]
    known: tuple[str, ...]
    configured: str
    user_ids: tuple[str, ...]
    column: str


@dataclass(frozen=True, slots=True)
class TransitiveDoubt:
    """A Microsoft Graph ``/groups/{id}/transitiveMembers`` answer that lists nested groups
    (:func:`planner.sources.entra.settle_transitive_answers`; tester14a finding 4).

    Such an answer lists the users of every nested group beside the group's own members, one flat list, so
    whether a user who is in a nested group is also a direct member cannot be told; Entra ID provisions only the
    direct members of an assigned group (docs/formats.md §3e). ``group_id``: the group answered;
    ``nested_group_ids``: the groups it lists, in answer order; ``user_ids``: the users whose direct membership is
    unknown, in answer order: those the nested groups' own answers hold, or every user it lists when a nested
    group has no answer of its own (``unanswered``: those groups); ``file``/``location``: where the answer is.
    The loader keeps these users out of the group's direct members (they are members through the nested groups);
    the plan holds each of them the policy reads the group for (:func:`planner.rules.inputs.transitive_members_items`)."""

    group_id: str
    nested_group_ids: tuple[str, ...]
    user_ids: tuple[str, ...]
    unanswered: tuple[str, ...]
    file: str
    location: str


@dataclass(frozen=True, slots=True)
class SpreadsheetDamage:
    """What a spreadsheet did to a text cell (:func:`planner.sources.values.spreadsheet_damage`; docs/formats.md §0.8).

    - ``kind``: ``"formula-wrapper"`` (``="ann@x.com"``: Excel's text formula, written by a tool or a
      person to keep a value as text), ``"text-marker"`` (``'ann@x.com``: Excel's text marker, copied
      from a cell) or ``"formula-error"`` (``#NAME?``, :data:`planner.sources.values.SPREADSHEET_ERRORS`);
    - ``text``: the value the spreadsheet shows for the cell, for a wrapper or a marker (``ann@x.com``);
      ``None`` for a formula error, whose value is lost.
    """

    kind: str
    text: str | None

    def words(self) -> str:
        """The damage in words, for messages: what the cell holds and what it means."""
        if self.kind == "formula-wrapper":
            return (f"is Excel's formula wrapper =\"...\" around {self.text!r} (a text formula, not a value "
                    "an export writes)")
        if self.kind == "text-marker":
            return "starts with an apostrophe, Excel's text marker (copied from a spreadsheet cell)"
        return "is a spreadsheet formula error: the value the cell held is lost"


@dataclass(frozen=True, slots=True)
class DamagedCell:
    """One value of an IdP user a spreadsheet rewrote (:func:`planner.sources.identity_values.damaged_cells`).

    ``field``: the source field, as the format names it (``primaryEmail``, ``userPrincipalName``,
    ``emails``, ``externalId``, ``givenName``...); ``value``: the value as read; ``damage``: what the
    spreadsheet did; ``identity``: the value says who the person is (an address or ``externalId``),
    rather than how they are named.
    """

    field: str
    value: str
    damage: SpreadsheetDamage
    identity: bool

    @property
    def lost(self) -> bool:
        """An address or ``externalId`` whose value is lost (a formula error): who the person is is unknown."""
        return self.identity and self.damage.text is None


@dataclass(frozen=True, slots=True)
class DamagedUser:
    """An IdP user with values a spreadsheet rewrote: ``idp_id`` and those ``cells``
    (:func:`planner.sources.identity_values.damaged_cells`, field order). Carried on the loaded
    :attr:`IdpDirectory.damaged_users`."""

    idp_id: str
    cells: tuple[DamagedCell, ...]


@dataclass(frozen=True, slots=True)
class StaleMember:
    """One user a stale members answer embeds (:class:`GroupAnswerDoubt` ``"stale"``): ``user_id`` (the IdP id),
    ``listed`` (the record's ``lastUpdated`` in the members answer) and ``users_file`` (in the users file), both
    ISO 8601 UTC to the second (:func:`planner.sources.values.parse_timestamp`), ``listed < users_file``."""

    user_id: str
    listed: str
    users_file: str


@dataclass(frozen=True, slots=True)
class GroupAnswerDoubt:
    """Groups of a hand-saved IdP export (no ``fetch-idp`` manifest) whose members answers cannot be read as
    current, and why (``reason``); the plan holds the team, scope and account-type changes these groups feed
    (:func:`planner.rules.inputs.group_answer_items`) until the answers are saved again.

    - ``"identical"`` (tester18 finding 1, :meth:`planner.sources.directory.DirectoryBuilder.identical_answers`):
      two or more groups whose answers list the same members, in the same order. One answer saved twice (the
      answer of ``GET /api/v1/groups/{Operations}/users`` saved again as Leadership's file, Entra's "Download
      members" file copied over another, whose rows do not name their group) reads as a group that gained another
      group's people and lost its own. Real organizations do have equal groups ("All staff" and "Sigma users"), so
      ``preflight.identical_groups_confirmed`` may confirm them. ``members``: how many members each lists (two or
      more: a group of one is too often equal by nature).
    - ``"stale"`` (tester19 finding 4, :meth:`planner.sources.directory.DirectoryBuilder.stale_answers`): one
      group whose Okta answer embeds a User record older than the users file's record of the same id (its
      ``lastUpdated`` earlier): the answer was saved before that user changed, so its membership may be from
      before a move between groups. ``members``: how many of its records are older; ``stale``: the first of
      them. No policy key settles it: saving the answers again does (docs/formats.md §0.9).

    ``group_ids``: the groups, in answer order; ``answers``: where each group's answer is (file and JSON path,
    ``""`` for a whole file), in that order."""

    reason: Literal["identical", "stale"]
    group_ids: tuple[str, ...]
    answers: tuple[SourceRef, ...]
    members: int
    stale: StaleMember | None = None


@dataclass(frozen=True)
class IdpDirectory:
    """Everything loaded from one or more IdP export paths, merged.

    ``format`` names the detected format(s), e.g. ``"okta-api"``, ``"entra-csv"``,
    ``"google-csv"``, ``"scim"``, ``"generic-csv"``; several joined by ``+``.
    """

    users: tuple[IdpUser, ...] = ()
    groups: tuple[IdpGroup, ...] = ()
    format: str = ""
    inputs: tuple[InputFile, ...] = ()
    fetched_at: str | None = None
    """When ``fetch-idp`` read the IdP (its manifest's ``fetchedAt``, ISO 8601 UTC to the second); ``None``: the
    export does not say (saved by hand, or pulled before the time was recorded; the formats' own files carry
    no export time, only each user's ``lastUpdated``)."""
    damaged_users: tuple[DamagedUser, ...] | None = None
    """The users a spreadsheet rewrote a value of, as the loader's one scan found them
    (:class:`DamagedUser`, export order; :func:`planner.sources.load_idp`), which
    its findings and the plan's ``inputs.spreadsheet_damage`` items both read; ``None``: not scanned (a directory
    made in memory: the planner scans it, :func:`planner.sources.identity_values.damaged_users_of`)."""
    group_name_doubts: tuple[GroupNameDoubt, ...] = ()
    """The group names of its groups cells that are likely several names typed with another separator
    (:class:`GroupNameDoubt`, in group order; only the formats whose users carry a groups cell: generic CSV), each
    a ``group-name-separator`` warning of the loader and, for each user whose cell names it, a blocking
    ``inputs.group_name_separator`` item of the plan (:func:`planner.rules.inputs.group_name_separator_items`)."""
    transitive_doubts: tuple[TransitiveDoubt, ...] = ()
    """The Graph ``/transitiveMembers`` answers listing nested groups (:class:`TransitiveDoubt`, in answer order),
    each a ``transitive-members`` warning of the loader and, for each user whose direct membership it cannot
    tell in a group the policy reads, a blocking ``inputs.transitive_members`` item of the plan."""
    answer_doubts: tuple[GroupAnswerDoubt, ...] = ()
    """The groups whose hand-saved members answers are in doubt (:class:`GroupAnswerDoubt`): each an
    ``identical-members`` or ``stale-members`` warning of the loader and blocking ``inputs.identical_members`` or
    ``inputs.stale_members`` items of the plan."""
    missing_columns: tuple[MissingColumn, ...] = ()
    """The rule-bearing fields its users files lacks (:func:`planner.sources.rule_columns.idp_rule_columns`)."""


class ByRun:
    """What the records of ``plan --applied`` share (:class:`AppliedWrite`, :class:`AppliedTeam`,
    :class:`AppliedRefusal`): the ``plan`` file as given, whether it is an undo plan (``undo``), the journal's
    ``run`` and when the row finished (``at``), and :meth:`words` naming that run."""

    plan: str
    undo: bool
    run: int | None
    at: str

    def words(self) -> str:
        """How an item names the run: ``"run 1 of undo plan undo3.json, 2026-12-06T17:35:09.120Z"``; no
        ``run N of`` when the journal names no run."""
        named = f"run {self.run} of " if self.run is not None else ""
        return f"{named}{'undo plan' if self.undo else 'plan'} {self.plan}, {self.at}"


@dataclass(frozen=True)
class AppliedWrite(ByRun):
    """One SCIM value a run of sigma-migrate wrote, as the plan it applied and the journal beside it
    record it (:func:`planner.applied.applied_runs`, ``plan --applied PLAN``): the member (``member_id``,
    Sigma's SCIM id), the SCIM ``attribute`` (``userType`` / ``active``) and the ``value`` sent, the
    ``plan`` file as given, whether it is an undo plan (``undo``), the journal's ``run`` and when the
    write finished (``at``, ISO 8601 UTC)."""

    member_id: str
    attribute: str
    value: bool | str
    plan: str
    undo: bool
    run: int | None
    at: str


@dataclass(frozen=True)
class AppliedArchive(ByRun):
    """A member a run of sigma-migrate archived or brought back through the REST API (``members.deactivate`` /
    ``members.disable_guest``: ``archived`` true; ``members.reactivate``: false; done, written), as the plan given to
    ``plan --applied`` and its journal record it: the ``member_id``, the member's ``email`` as the plan named it,
    the action's ``kind`` and the run as :class:`AppliedWrite` names it. A member a run archived whom the re-plan's
    export lists active again was reactivated outside this tool (:mod:`planner.rules.unmatched`, tester17 #6)."""

    member_id: str
    email: str
    kind: str
    archived: bool
    plan: str
    undo: bool
    run: int | None
    at: str
    new_owner: str = ""
    """Whom an archive gave the member's documents (``newOwnerId``: the new owner's email as the plan named it, else
    the memberId; ``""`` for a reactivation): a reactivation does not move them back (waves20 part 2)."""


@dataclass(frozen=True)
class AppliedTeam(ByRun):
    """A team a run of sigma-migrate linked to an IdP group or created from one (``scim.link_group`` /
    ``scim.create_group`` done, written), as the plan given to ``plan --applied`` and its journal record it:
    the team's ``name`` and ``team_id`` (``None`` for a team the run created: the plan did not know its id),
    the IdP group (``group_id``, ``group_display_name``), and the run as :class:`AppliedWrite` names it."""

    name: str
    team_id: str | None
    group_id: str
    group_display_name: str
    plan: str
    undo: bool
    run: int | None
    at: str


@dataclass(frozen=True)
class AppliedPush(ByRun):
    """A write of sigma-migrate that set a team's SCIM-managed members, as the plan given to ``plan --applied`` and
    its journal record it (done, written): ``scim.set_group_members`` (``kind``) sent ``members`` (userNames, as
    sent); ``scim.link_group`` / ``scim.create_group`` made Sigma's SCIM group list the team's SCIM-managed members
    at that time, which the plan does not record (``members`` ``None``). The team (``team_id``, ``None`` for a team
    the plan created; ``name``), its IdP group (``group_id``, the key a re-plan finds it by, as its actions' ids),
    and the run as :class:`AppliedWrite` names it. A re-plan whose SCIM group is still as the write left it (the
    same members; for a link or create, no ``meta.lastModified`` after it) names the run as the side that set them,
    not a stale export: an apply's write is not the IdP's word, so the export's membership is pushed (tester13 #2);
    an undo's asks (tester12 #1)."""

    team_id: str | None
    name: str
    group_id: str
    members: tuple[str, ...] | None
    kind: str
    plan: str
    undo: bool
    run: int | None
    at: str

    def left_as(self, last_modified: str | None, user_names: Iterable[str]) -> bool:
        """Whether Sigma's SCIM group, last changed ``last_modified`` (its ``meta.lastModified``, ISO 8601 UTC) and
        listing ``user_names``, is as this write left it: the members sent (letter case aside), or for a link or
        create no change in a later second (RFC 7643 §3.1: any change of its members moves ``lastModified``)."""
        if self.members is not None:
            return {email_key(m) for m in self.members} == {email_key(u) for u in user_names}
        return bool(last_modified) and str(last_modified)[:19] <= self.at[:19]

    def left_words(self) -> str:
        """How a re-plan names the write SCIM's group is still as: ``it lists the team's SCIM-managed members as
        scim.link_group of run 2 of plan v1.json, 2026-12-07T01:37:25.120Z left them, not as the IdP set them``."""
        if self.members is None:
            return (f"it lists the team's SCIM-managed members as {self.kind} of {self.words()} left them, not as "
                    "the IdP set them")
        return f"it lists the members {self.kind} of {self.words()} sent, not as the IdP set them"


@dataclass(frozen=True)
class AppliedRunTime:
    """When one run of a plan given to ``plan --applied`` wrote (:func:`planner.applied.applied_runs`): the ``plan``
    file as given, ``undo`` (an undo plan's), the ``run`` id of its journal, ``started_at`` and ``ended_at`` (ISO 8601
    UTC, rounded down to the second as a ``fetchedAt``): the run's end, or its last write when it has none (an
    interrupted or killed run) or wrote later. A Sigma export read before ``ended_at`` cannot show what the run
    wrote (:func:`planner.rules.inputs.export_predates_run`, tester17 finding 2)."""

    plan: str
    run: int
    started_at: str
    ended_at: str
    undo: bool = False


@dataclass(frozen=True)
class AppliedSeen:
    """A member as a plan given to ``plan --applied`` was made against it (its person row's ``sigma_status``): the
    ``member_id``, the ``email`` it had, whether it was ``archived`` / ``inactive``
    then, the ``plan`` file as given, whether it is an undo plan (``undo``) and ``at``: when the plan's Sigma export
    was read (its ``organization.sigmaFetchedAt``, ISO 8601 UTC), else when its first run started, ``""`` when neither
    is known. The plan read last (latest ``at``) holds for a member (:attr:`planner.directory.Directory.applied_seen`);
    a member it saw active whom the re-plan's export lists archived or inactive, and whom no run of the plans given
    archived or deactivated since, was archived by hand (:func:`planner.rules.reactivated.archived_by_hand`,
    tester19 finding 1)."""

    member_id: str
    email: str
    archived: bool
    inactive: bool
    plan: str
    undo: bool
    at: str
    idp_id: str | None = None
    """The IdP user the plan linked the member to (its person row's ``idp_id``), ``None``: no IdP user of its export
    matched them."""
    member_type: str | None = None
    """The member's account type (``memberType``) as the plan saw it; ``None`` when its row has none."""
    idp_read_at: str = ""
    """When the plan's IdP export was read: its ``organization.idpFetchedAt`` (a fetch-idp manifest), else when the
    plan was made (``created_at``: the export was read no later); ``""`` for an undo plan (it reads no IdP export)."""

    @property
    def active(self) -> bool:
        """Whether the plan saw the member active (neither archived nor inactive)."""
        return not (self.archived or self.inactive)


@dataclass(frozen=True)
class AppliedTeamSeen:
    """A team as a plan given to ``plan --applied`` was made against it (its team row): the ``team_id``, the
    ``name`` it had, the IdP group the plan gave it (``group_id``, ``group_name``; ``None`` for a team the plan left
    unmanaged), the ``plan`` file as given, whether it is an undo plan (``undo``) and ``at``, dated as
    :class:`AppliedSeen`. The plan read last holds for a team
    (:attr:`planner.directory.Directory.applied_teams_seen`); a linked team the re-plan's export names otherwise,
    not by the group's push, was renamed by hand (:func:`planner.rules.since_applied.changes_since`, waves20
    part 1)."""

    team_id: str
    name: str
    group_id: str | None
    group_name: str | None
    plan: str
    undo: bool
    at: str
    member_ids: tuple[str, ...] | None = None
    """The team's members (memberIds, sorted) as the plan's fingerprint of it records them (``teams:<teamId>``: a
    team the plan acted on), ``None`` for a team it has no fingerprint of."""


@dataclass(frozen=True)
class AppliedUnfinished:
    """A run of a plan given to ``plan --applied`` that was interrupted (Ctrl-C, SIGTERM) or killed with actions of
    its selection not done, and that no applied undo plan rolled back (:func:`planner.applied.applied_runs`; the rule
    apply refuses by, :func:`planner.execute.resume.unfinished_run`): the ``plan`` file as given, the ``run``, and
    ``line``, the one line that names it (its selection, how it ended, what is left; ``v1.json: run 1 (--only
    group:Finance, interrupted) did not finish: 0 action(s) in flight, 21 not started``) and ``resume``. A re-plan over it is held by a blocking ``applied.unfinished_run`` item
    (:mod:`planner.rules.unfinished_runs`, tester12 #12)."""

    plan: str
    run: int
    line: str
    resume: str
    """The command that finishes the run: ``sigma-migrate apply v1.json --resume --only group:Finance``."""
    digest: str = ""
    """The plan's digest (``sha256:...``), which an ``applied.closed_runs`` entry names."""
    closed_by: int | None = None
    """The index of the ``applied.closed_runs`` entry that closes the run (recorded in its journal; the re-plan
    decides what it left, tester14b #1), ``None`` while it is open."""


@dataclass(frozen=True)
class AppliedRefusal(ByRun):
    """An action a run of sigma-migrate sent and Sigma refused for good (a final 4xx,
    :func:`planner.execute.retry.is_final_refusal`), or could not send as planned (:attr:`unsent`), as the plan given to ``plan --applied`` and its journal
    record it (the row ``failed``, its ``refused`` column): the ``action_id`` (``members.deactivate:<memberId>``:
    kind and target, what a re-plan planning the same action gives it), Sigma's answer ``refusal`` (``403
    forbidden: Member ... is provisioned by SCIM; ...``, redacted) and the run as :class:`AppliedWrite` names it
    (``at``: when the refused attempt finished). A re-plan does not plan it again: one blocking
    ``applied.refused_again`` item per such action (:mod:`planner.rules.refusals`, tester10 finding 8)."""

    action_id: str
    refusal: str
    plan: str
    undo: bool
    run: int | None
    at: str

    @property
    def unsent(self) -> bool:
        """Whether the run could not send the action as planned, so Sigma never answered: ``refusal`` is
        :func:`planner.execute.errors.failure_refusal`'s (``not sent: ...``, or a fault of this tool)."""
        return refusal_is_unsent(self.refusal)


@dataclass(frozen=True)
class AppliedAction(ByRun):
    """An action a run of sigma-migrate finished (its journal row ``done``: written, or found already so), as the
    journal of a plan given to ``plan --applied`` records it: the ``action_id`` and the run as :class:`AppliedWrite`
    names it (``at``: when the row finished). What ``diff`` says of an action the re-plan no longer has
    (:func:`planner.applied.journals_read_by`)."""

    action_id: str
    plan: str
    undo: bool
    run: int | None
    at: str


UNSENT_REFUSAL = "not sent: "
"""How a journaled refusal of an action a run could not send as planned begins (a payload the models refuse,
:func:`planner.execute.errors.failure_refusal`)."""

TOOL_FAULT_REFUSAL = " (a fault of sigma-migrate, not Sigma's answer: report it)"
"""How a journaled refusal of an action a fault of this tool failed ends (:func:`planner.execute.errors.failure_refusal`)."""


def refusal_is_unsent(refusal: str) -> bool:
    """Whether a journaled ``refused`` value is no answer of Sigma but :func:`planner.execute.errors.failure_refusal`'s:
    the action could not be sent as planned (:data:`UNSENT_REFUSAL`) or a fault of this tool failed it
    (:data:`TOOL_FAULT_REFUSAL`)."""
    return refusal.startswith(UNSENT_REFUSAL) or refusal.endswith(TOOL_FAULT_REFUSAL)


@dataclass(frozen=True)
class AppliedSetUp:
    """What the earliest plan given to ``plan --applied`` said of SCIM before this migration's first link
    (:func:`planner.applied.applied_runs`): ``plan`` (the file as given), its own ``preflight.previous_scim`` answer
    (``previous_scim``, from its ``policy.resolved``), and ``first_link``, when the first SCIM write of the applied
    plans' runs finished (ISO 8601 UTC to the second, rounded down): this migration's first link. That answer, not
    the re-plan's (``same_setup``, the README's word for every re-plan after apply), says whether a member SCIM lists
    without an ``externalId`` and made before ``first_link`` is a pre-SCIM one
    (:func:`planner.directory.listed_pre_scim`; tester11 finding 13)."""

    plan: str
    previous_scim: str
    first_link: str


@dataclass(frozen=True)
class AppliedRuns:
    """What the plans given to ``plan --applied`` wrote through SCIM (:class:`AppliedWrite`, in the order
    they finished), the teams their runs linked or created (:class:`AppliedTeam`, in that order), the actions
    Sigma refused them for good (:class:`AppliedRefusal`, in that order), the files read for it (each plan
    and its journal, for the plan's ``inputs``) and what the earliest of them said of SCIM before this
    migration's first link (:class:`AppliedSetUp`)."""

    writes: tuple[AppliedWrite, ...] = ()
    inputs: tuple[InputFile, ...] = ()
    teams: tuple[AppliedTeam, ...] = ()
    refusals: tuple[AppliedRefusal, ...] = ()
    set_up: AppliedSetUp | None = None
    """The earliest applied plan's ``preflight.previous_scim`` and this migration's first link; ``None`` without
    ``--applied``, or when no run of the plans given wrote through SCIM."""
    pushes: tuple[AppliedPush, ...] = ()
    """The teams' SCIM-managed members the runs set, in the order they finished."""
    unfinished: tuple[AppliedUnfinished, ...] = ()
    """The runs of the plans given that were interrupted or killed and are neither finished nor rolled back."""
    archives: tuple[AppliedArchive, ...] = ()
    """The members the runs archived or brought back through the REST API, in the order they finished."""
    notes: tuple[str, ...] = ()
    """One line per plan whose journal was read elsewhere than beside it as the state index records it (which one
    was read, and why: :func:`planner.applied.journal_read`); ``plan`` prints them."""
    runs: tuple[AppliedRunTime, ...] = ()
    """Every run of the plans given, in the order they started: when each started and ended (tester17 finding 2)."""
    seen: tuple[AppliedSeen, ...] = ()
    """Each member as each plan given was made against it (its fingerprints), the plans in the order they read
    Sigma (:attr:`AppliedSeen.at`): what a re-plan compares the export with to tell a human's change since."""
    teams_seen: tuple[AppliedTeamSeen, ...] = ()
    """Each team as each plan given was made against it (its team rows), in the order of :attr:`seen`."""


@dataclass(frozen=True)
class Snapshot:
    """Both sides of the migration as loaded, with every finding; ``applied``: what earlier runs of
    the tool wrote through SCIM (``plan --applied``; empty without it)."""

    sigma: SigmaExport
    idp: IdpDirectory
    findings: tuple[Finding, ...] = ()
    applied: AppliedRuns = AppliedRuns()

    @property
    def has_errors(self) -> bool:
        return any(f.severity is Severity.ERROR for f in self.findings)


# --------------------------------------------------------------------------- plan side


class ItemRef(msgspec.Struct, frozen=True, forbid_unknown_fields=True, omit_defaults=True, repr_omit_defaults=True,
              rename="camel", kw_only=True):
    """What a :class:`ReviewItem` is about (its ``subject``) or one object involved (a ``candidates``
    entry): a person, team, group, action or policy key, by the ids the rule has.

    Every field is optional and absent (``UNSET``, left out of the plan) unless the rule sets it;
    JSON names are camelCase (``memberId``, ``idpId``, ``userName``, ``groupDisplayName``, ...).
    ``teamId``, ``email`` and ``memberId`` may be ``null`` where the rule has them so (a group with
    no team yet, a team member with no email, an IdP user with no Sigma member). :meth:`fields`
    gives the set fields as a dict for display. Built by :func:`planner.rules.person_ref` and the rules' item builders.
    """

    # a person (planner.rules.person_ref)
    member_id: str | None | UnsetType = UNSET
    email: str | None | UnsetType = UNSET
    idp_id: str | UnsetType = UNSET
    user_name: str | UnsetType = UNSET
    idp_user_name: str | UnsetType = UNSET
    # a team or group
    team_id: str | None | UnsetType = UNSET
    name: str | UnsetType = UNSET
    group_id: str | UnsetType = UNSET
    group_display_name: str | UnsetType = UNSET
    # several people or groups (ambiguities, collisions, cycles)
    member_ids: list[str] | UnsetType = UNSET
    idp_ids: list[str] | UnsetType = UNSET
    group_ids: list[str] | UnsetType = UNSET
    groups: list[str] | UnsetType = UNSET  # displayNames (account_types.several_type_groups)
    addresses: list[str] | UnsetType = UNSET
    account_types: list[str] | UnsetType = UNSET
    # an action, a guard, a policy key
    action: str | UnsetType = UNSET
    action_id: str | UnsetType = UNSET
    kind: str | UnsetType = UNSET
    scim_id: str | UnsetType = UNSET  # an action's target as Sigma's SCIM state lists it (inputs.truncated)
    guard: str | UnsetType = UNSET
    policy_key: str | UnsetType = UNSET
    rule: str | UnsetType = UNSET
    # what a candidate adds: how it joined, its state, counts (declared in the order show prints them)
    joined: list[str] | UnsetType = UNSET
    status: str | UnsetType = UNSET
    state: str | UnsetType = UNSET
    member_type: str | UnsetType = UNSET
    teams: int | UnsetType = UNSET
    created_at: str | UnsetType = UNSET
    decision: str | UnsetType = UNSET
    reachable_only_through: str | UnsetType = UNSET
    row: str | UnsetType = UNSET
    matches: list[str] | UnsetType = UNSET
    members: int | UnsetType = UNSET
    likely_group: str | UnsetType = UNSET
    in_group: int | UnsetType = UNSET
    shared_percent: int | UnsetType = UNSET  # teams.likely_rename / possible_rename: whole percent, rounded down

    def fields(self) -> dict[str, Any]:
        """The set fields by JSON name, in declaration order (what ``show`` and the report print)."""
        return msgspec.to_builtins(self)


class InputMark(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """A finding that marks an input file as truncated (:func:`planner.rules.inputs.truncated`): where
    (``file``, ``location``, ``field``) and the finding's one-line ``message``."""

    file: str
    location: str
    field: str
    message: str


class NameHint(msgspec.Struct, frozen=True, forbid_unknown_fields=True, rename="camel", kw_only=True):
    """One hinted pair of a ``linking.same_person_hint`` item: Sigma ``memberId``, IdP ``idpId``, and
    ``why`` they look like one person (``same name and ...``, :func:`planner.rules.linking.same_person_hints`)."""

    member_id: str
    idp_id: str
    why: str


class ItemEvidence(msgspec.Struct, frozen=True, forbid_unknown_fields=True, omit_defaults=True,
                   repr_omit_defaults=True, rename="camel", kw_only=True):
    """What a rule saw when it raised a :class:`ReviewItem` (its ``evidence``): one record for every
    code, each field optional and absent (``UNSET``, left out of the plan) unless the rule sets it,
    as :class:`ItemRef`. JSON names are camelCase. Which codes set which fields (the item builders
    of :mod:`planner.rules`, :mod:`planner.sources.formulas`, :mod:`planner.execute.undo`):

    - ``account_types.downgrade`` / ``admin_downgrade`` / ``custom_replacement``: the
      ``scim.set_account_type`` action's evidence (``change``, ``source``, ``groups``,
      ``exportedMemberType``, ``unranked``) and the setting that raised it (``onDowngrade`` /
      ``onCustomReplacement``); when an ``acknowledged_downgrades`` / ``acknowledged_replacements`` entry
      of the person records another change: ``staleEntry`` (the entries as written, their old change),
      ``accountType`` -> ``policyAccountType`` (the change now planned); ``account_types.protected_account``: ``role``, ``accountType`` (kept),
      ``policyAccountType`` (wanted), ``source``, ``groups``; ``account_types.admin_upgrade``: ``change`` (when a
      ``scim.set_account_type`` makes it), ``source``, ``groups`` (those giving the admin type), ``groupMapKeys``
      (the ``group_map`` keys mapping them), ``accountType`` (held today; absent for a create),
      ``policyAccountType`` (the admin type gained), ``staleEntry`` (an ``acknowledged_admin_upgrades`` entry of
      theirs recording another type);
    - ``scope.nested_only``: ``scopeChain`` and/or ``accountTypeChain``, ``accountType``,
      ``directAccountType`` (``null``: no mapped group);
    - ``linking.ambiguous``: match ``key`` and ``edges`` (rows of :data:`planner.matching.EDGE_COLUMNS`);
      ``linking.same_person_hint``: ``hints`` (:class:`NameHint`); ``linking.duplicate_email``:
      ``address``; ``linking.idp_duplicate``: ``addresses``, ``rows`` (``""`` when unknown);
      ``linking.rehire``: ``linkedBy``, ``isArchived``, ``isInactive``; ``linking.new_idp_account``: ``linkedBy``,
      ``sigmaEmail``, ``edges`` (the link's, then each active IdP user's); ``guests.rehired_guest``,
      ``guests.reactivated_guest``: those, and ``accountType`` (what a conversion gives them; absent: none
      sent), ``source``, ``groups``; ``linking.unclean_sigma_email``:
      ``sigmaEmail``, ``userName``, ``differences``;
    - ``user_name_guard.mismatch``: ``linkedBy``, ``sigmaEmail``, ``idpUserName`` (and ``externalId`` for a member
      SCIM provisioned);
      ``user_name_guard.configure_idp``: ``sigmaEmail``, ``idpUserName``;
      ``user_name_guard.invalid_user_name``: ``userName`` (as sent: ``null`` or blank when none),
      ``finding``, ``problem`` (:func:`planner.rules.linking.unsendable_user_name`);
    - ``teams.scim_group_missing``: ``externalId`` (the IdP group id SCIM links the team to), ``displayName``
      (SCIM's for it), ``members`` (the team's memberships);
    - ``scim.managed_member``, ``scim.held_member``, ``scim.profile_push``: ``action`` (id), ``externalId``; ``scim.user_name_changed``: ``externalId``;
      ``scim.second_account``: ``externalId``, ``sigmaEmail`` (the old member's), ``userName`` (the new one),
      ``newMemberId``;
      ``scim.shared_external_id``: ``externalId`` (those the members' SCIM users hold, ``, ``-joined), ``idpId``
      (the IdP user, when the export has it);
      ``scim.shared_group_external_id``: ``externalId`` (the IdP group's id), ``action`` (the group's link or create
      held);
      ``scim.state_conflict``: ``action``, ``externalId``, ``attribute`` (``active``/``userType``),
      ``scimValue``, ``exportValue``, ``scimLastModified``, ``exportLastUpdated`` (``null``: not said); for a
      user the export lacks, ``exportNewest`` (its newest record) when it dates one; for a listed user without
      ``externalId`` not known to be pre-SCIM (:attr:`planner.directory.ScimState.without_external_id`), also
      ``scimCreated`` (its ``meta.created``) and ``scimSetUpBy`` (``null``: SCIM lists no provisioned user); ``writtenBy`` (the run of a plan given to
      ``plan --applied`` that wrote SCIM's values, :class:`AppliedWrite`);
      ``scim.reused_address``: ``externalId`` (the IdP identity SCIM provisioned the member for), ``idpId``
      (the IdP user now holding the address), ``userName`` (the address), ``scimActive``, ``scimCreated``,
      ``scimLastModified``, ``idpCreated`` (``null``: not said), ``problem`` (why the address is in doubt),
      ``finding`` (the ``linking.reused_addresses`` decision, when one is made);
      ``scim.name_required``: ``missing`` (SCIM attributes); ``scim.cleaned_name``, ``scim.unclean_email``: ``differences``
      (``"name.familyName: U+202E RIGHT-TO-LEFT OVERRIDE at position 6"``); ``scim.unclean_user_name`` /
      ``scim.mixed_script_user_name``: ``userName`` (as sent), ``differences``;
    - ``inputs.spreadsheet_damage``: ``rows`` (the IdP user's row), ``differences`` (each damaged value,
      ``field: 'value'``), ``addresses`` (what the damaged cells show, when they show one);
    - ``inputs.truncated``: ``truncated`` (:class:`InputMark`); ``inputs.scim_state_missing``: ``files`` (the
      Sigma export and its fetch manifest), ``source`` (the manifest's ``scimState``, or ``no fetch manifest``);
      ``policy.unknown_reference``: ``closest``
      (when a name is close) or ``differences`` (when one only looks like it, :mod:`planner.did_you_mean`); ``teams.likely_rename``, ``teams.possible_rename``: ``groupMembers``; ``teams.empty_export``: ``files`` (the
      Sigma teams and team members files), ``members`` (the organization's members), ``groups`` (the IdP groups
      that would become new teams); ``unmatched.review``, ``unmatched.never_activated``, ``unmatched.suspended``:
      ``kind``, ``memberType``, ``userKind``; ``unmatched.new_member``: those, ``createdAt`` (the member's) and what it is
      later than: ``scimSetUpBy`` and/or ``exportNewest`` (:mod:`planner.rules.unmatched`);
      ``unmatched.unclean_address``: ``kind``, ``memberType``, ``userKind``, ``sigmaEmail`` (the email as Sigma
      holds it), ``address`` (as the rules read it), ``differences`` (:mod:`planner.address_patterns`);
    - every other code: none (``{}``).

    :meth:`fields` gives the set fields as a dict for display.
    """

    # account types (planner.rules.account_types, planner.rules.scope)
    change: str | UnsetType = UNSET
    source: str | UnsetType = UNSET
    groups: list[str] | UnsetType = UNSET
    exported_member_type: str | UnsetType = UNSET
    unranked: bool | UnsetType = UNSET
    on_downgrade: str | UnsetType = UNSET
    on_custom_replacement: str | UnsetType = UNSET
    role: str | UnsetType = UNSET
    account_type: str | UnsetType = UNSET
    policy_account_type: str | UnsetType = UNSET
    direct_account_type: str | None | UnsetType = UNSET
    account_type_chain: list[str] | UnsetType = UNSET
    scope_chain: list[str] | UnsetType = UNSET
    group_map_keys: list[str] | UnsetType = UNSET
    # links and userNames (planner.rules.linking, planner.rules.duplicates)
    key: str | UnsetType = UNSET
    edges: list[list[str]] | UnsetType = UNSET
    hints: list[NameHint] | UnsetType = UNSET
    address: str | UnsetType = UNSET
    addresses: list[str] | UnsetType = UNSET
    rows: list[str] | UnsetType = UNSET
    linked_by: str | UnsetType = UNSET
    is_archived: bool | UnsetType = UNSET
    is_inactive: bool | UnsetType = UNSET
    sigma_email: str | UnsetType = UNSET
    user_name: str | None | UnsetType = UNSET
    idp_user_name: str | UnsetType = UNSET
    differences: list[str] | UnsetType = UNSET
    finding: str | UnsetType = UNSET
    problem: str | UnsetType = UNSET
    # Sigma's SCIM state and values (planner.rules.scim_state, planner.rules.scim_values)
    action: str | UnsetType = UNSET
    external_id: str | None | UnsetType = UNSET
    display_name: str | UnsetType = UNSET
    new_member_id: str | UnsetType = UNSET
    missing: list[str] | UnsetType = UNSET
    attribute: str | UnsetType = UNSET
    scim_value: str | UnsetType = UNSET
    export_value: str | UnsetType = UNSET
    scim_last_modified: str | None | UnsetType = UNSET
    export_last_updated: str | None | UnsetType = UNSET
    export_newest: str | None | UnsetType = UNSET
    scim_created: str | None | UnsetType = UNSET
    scim_set_up_by: str | None | UnsetType = UNSET
    idp_id: str | UnsetType = UNSET
    scim_active: bool | None | UnsetType = UNSET
    idp_created: str | None | UnsetType = UNSET
    stale_entry: str | UnsetType = UNSET
    written_by: str | UnsetType = UNSET
    # inputs, policy references, teams, unmatched members
    truncated: list[InputMark] | UnsetType = UNSET
    closest: str | UnsetType = UNSET
    group_members: int | UnsetType = UNSET
    files: list[str] | UnsetType = UNSET
    members: int | UnsetType = UNSET
    kind: str | UnsetType = UNSET
    member_type: str | UnsetType = UNSET
    user_kind: str | UnsetType = UNSET
    created_at: str | UnsetType = UNSET

    def fields(self) -> dict[str, Any]:
        """The set fields by JSON name, in declaration order, nested records as dicts."""
        return msgspec.to_builtins(self)

    def items(self) -> Iterable[tuple[str, Any]]:
        """``(JSON name, value)`` of the set fields, as :meth:`fields` (what the report's review queue
        lays out: ``{% for k, v in r.evidence.items() %}``)."""
        return self.fields().items()


NO_EVIDENCE = ItemEvidence()
"""The evidence of an item whose rule records none (``{}`` in the plan)."""


class ReviewItem(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """A doubt the planner will not guess about.

    ``blocking`` items stop ``apply`` until the policy decides them.
    ``subject`` names what the item is about and ``candidates`` every person/object
    involved, each an :class:`ItemRef` with its ids and the key that joined it; ``evidence`` what
    the rule saw (:class:`ItemEvidence`).
    ``resolution`` is the exact YAML policy snippet that would resolve the item.

    ``message`` and ``resolution`` are prose that quotes export values, read in a terminal, a ticket or a CI log:
    every item is made here (a rule's, an undo's, a replaced one, one read from a plan file), so here they are
    escaped, once for every builder (:func:`planner.unsafe_characters.escape_message`,
    :func:`~planner.unsafe_characters.escape_snippet`: a zero-width, bidi, control or no-break character is
    written ``\\u200b``, ``\\u202e``, ``\\x1b``, ``\\xa0``; the snippet means what it meant). ``subject``,
    ``candidates`` and ``evidence`` keep the exact values, as the actions do (the renderers escape their
    addresses: :data:`~planner.unsafe_characters.ADDRESS_FIELDS`). Was: the raw value (words18).
    """

    id: str
    code: str
    blocking: bool
    subject: ItemRef
    message: str
    candidates: tuple[ItemRef, ...]
    evidence: ItemEvidence
    rule: str
    resolution: str

    def __post_init__(self) -> None:
        message, resolution = escape_message(self.message), escape_snippet(self.resolution)
        if message is not self.message:
            msgspec.structs.force_setattr(self, "message", message)
        if resolution is not self.resolution:
            msgspec.structs.force_setattr(self, "resolution", resolution)


class Lockout(str, Enum):
    """Why a person cannot sign in once SCIM is on (decided by :func:`planner.outcomes.lockout`)."""

    DEACTIVATED = "deactivated"            # the plan deactivates them (REST or SCIM)
    GUEST_DISABLED = "guest_disabled"      # an active guest the plan disables (members.disable_guest)
    GUEST_HELD = "guest_held"              # an active guest a blocking review item holds: no action yet
    UNMATCHED_KEPT = "unmatched_kept"      # an active internal member kept with no IdP identity
    UNMATCHED_REVIEW = "unmatched_review"  # the same while a review item about them is open
    INVITATION_PENDING = "invitation_pending"  # linked or created, but their Entra B2B invitation is not redeemed


class ScimManaged(str, Enum):
    """Why a member with no IdP identity in this IdP export still signs in through the IdP, so no
    :class:`Lockout` (decided by :func:`planner.outcomes.scim_managed`)."""

    ABSENT_FROM_EXPORT = "absent_from_export"  # Sigma's SCIM state shows the IdP provisioned them; the policy keeps it


class TypeChange(str, Enum):
    """How a person's account type changes (decided by :func:`planner.outcomes.type_change`)."""

    CHANGE = "change"                    # a change the planner ranks neither way
    UPGRADE = "upgrade"
    DOWNGRADE = "downgrade"
    CUSTOM_REPLACEMENT = "custom_replacement"  # a custom account type replaced (planner.rules.account_types)


class AdminChange(str, Enum):
    """What the plan does to a person's admin account type, ``guards.admin_account_types`` deciding
    which types are admin (decided by :func:`planner.outcomes.admin_change`)."""

    LOSES = "loses"      # an active admin who ends without an admin type or without sign-in
    GAINS = "gains"      # a non-admin type becomes an admin type
    CHANGES = "changes"  # any other type change to or from an admin type (Admin -> Org Admin)


class AccountTypeSource(msgspec.Struct, frozen=True, forbid_unknown_fields=True, gc=False):
    """Where the account type the IdP must send a provisioned person comes from (decided by
    :func:`planner.rules.account_types.decide_type`): what ``sigma-migrate handoff`` tells the IdP admin.

    - ``rule``: what decided the type: ``overrides``, ``group_map``, ``precedence`` (type groups of
      several types), ``idp_user_type`` (the type the IdP export says the IdP sends them: a SCIM export's
      ``userType``), ``default``, ``keep`` (``account_types.default: keep``: their current type),
      ``new_user_default`` (a created user), or ``protected`` (a protected admin kept at their current
      type against the policy, ``account_types.protected_account``);
    - ``groups``: the account-type groups (``account_types.group_map``, displayNames, sorted) the person
      is in whose type is the planned one. Empty: no type group of theirs gives it, so the IdP must assign
      it to them individually, else it sends another type or none (docs/sigma-api.md §5.2, §6.1).
    """

    rule: str
    groups: tuple[str, ...]


class PersonRow(msgspec.Struct, frozen=True, forbid_unknown_fields=True, gc=False):
    """One person as the report shows them: Sigma side, IdP side, link, account type, actions.

    Either side may be missing (a new hire has no ``member_id``; an unmatched
    member has no ``idp_id``). ``link_key`` names the match key that linked them
    (``email``, ``other_email``, ``domain_alias``, ``plus_fold``, ``attribute``,
    ``override``, ``scim``: an IdP already provisioned them, :mod:`planner.rules.scim_state`)
    or ``None``. ``account_type_source``: where the type the IdP must send them comes from
    (:class:`AccountTypeSource`), ``None`` for whom the IdP provisions with no planned type (an unmatched,
    held or deactivated member, a guest not converted). ``actions`` and ``review_items`` hold ids.
    ``lockout``, ``type_change`` and
    ``admin_change`` are what the plan means for them, decided once while planning
    (:mod:`planner.outcomes`); report and show only lay them out. Every field is required: a
    row of a plan written before ``lockout`` existed must not read as "not locked out".
    ``scim_managed``: an active member this IdP export lacks whom Sigma's SCIM state shows the IdP
    provisioned, kept as SCIM has them (:class:`ScimManaged`; ``lockout`` then ``None``: tester10 finding 4).
    """

    member_id: str | None
    email: str | None
    name: str
    member_type: str | None
    user_kind: str | None
    sigma_status: str | None  # "active" | "archived" | "inactive" | None
    idp_id: str | None
    user_name: str | None
    idp_status: str | None
    link_key: str | None
    account_type_before: str | None
    account_type_after: str | None
    actions: tuple[str, ...]
    review_items: tuple[str, ...]
    lockout: Lockout | None
    type_change: TypeChange | None
    admin_change: AdminChange | None
    account_type_source: AccountTypeSource | None
    scim_managed: ScimManaged | None


class TeamRow(msgspec.Struct, frozen=True, forbid_unknown_fields=True, gc=False):
    """One Sigma team or IdP group as the report shows it.

    ``mode`` is ``link`` (an IdP group adopts an existing team), ``create`` (a new
    team from a group) or ``unmanaged`` (no group maps to the team).
    ``members_added`` / ``members_removed`` are counts of memberships changed.
    """

    team_id: str | None
    name: str
    group_id: str | None
    group_name: str | None
    mode: str
    members_before: int
    members_after: int
    members_added: int
    members_removed: int
    actions: tuple[str, ...]
    is_archived: bool  # an archived team (listed, never acted on)


class AppGroup(msgspec.Struct, frozen=True, forbid_unknown_fields=True, gc=False, rename="camel"):
    """One IdP group the Sigma app needs once SCIM is on (decided by
    :func:`planner.rules.app_assignment.app_groups`): what ``sigma-migrate handoff`` lays out, never re-decides.

    - ``group``: the displayName, or the regular expression of a ``re:`` policy entry (``match``
      ``pattern``: every group whose displayName fully matches it; else ``name``);
    - ``assign``: assigned to the Sigma app, so the IdP provisions its active members (the app assignment,
      ``scope.groups``); ``False`` for a team group the IdP pushes without assigning it (Okta's Group Push:
      only the members already assigned to the app are pushed, help.okta.com "Group Push prerequisites");
    - ``scope``: a ``scope.groups`` entry names or matches it; ``team``: the team it is pushed as (``None``:
      no team); ``account_type``: the type ``account_types.group_map`` gives its members (``None``: none);
    - ``outside_scope``: the IdP ids of its active members whom ``scope.groups`` leaves out (sorted): an
      assigned group holding any is the blocking ``scope.assigned_group_outside_scope`` item (the assignment
      would provision people the plan treats as unassigned); a pushed-only group's are not pushed.
    """

    group: str
    match: str
    assign: bool
    scope: bool
    team: str | None
    account_type: str | None
    outside_scope: tuple[str, ...]


class PreflightStatus(str, Enum):
    """Where one SCIM prerequisite stands: ``ok`` (the exports show it holds), ``confirmed``
    (the policy confirms it), ``unconfirmed`` (the policy must confirm it), ``failed`` (the
    exports or the guards show it does not hold), ``info`` (a consequence to know, nothing to do)."""

    OK = "ok"
    CONFIRMED = "confirmed"
    UNCONFIRMED = "unconfirmed"
    FAILED = "failed"
    INFO = "info"


class PreflightCheck(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """One prerequisite of Sigma's SCIM guide, checked before the switch (issue 13 item 2).

    - ``id``: stable, e.g. ``saml_only``, ``scim_setup_admin``, ``previous_scim``, ``guests``.
    - ``title``: what must hold; ``detail``: what the exports or the policy say (one line).
    - ``blocking``: an ``unconfirmed`` or ``failed`` blocking check stops approve and apply.
    - ``resolution``: the policy YAML that confirms it (empty when data decides it).
    - ``source``: the rule's source (a section of docs/sigma-api.md).
    - ``count``: how many people it concerns (guests, unmanaged members), else ``None``.
    """

    id: str
    title: str
    status: PreflightStatus
    blocking: bool
    detail: str
    resolution: str
    source: str
    count: int | None

    @property
    def stops_approval(self) -> bool:
        """True when approve/apply must refuse the plan because of this check."""
        return self.blocking and self.status in (PreflightStatus.UNCONFIRMED, PreflightStatus.FAILED)


class OwnerStatus(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """Where a protected person stands after the plan (decided by :func:`planner.outcomes.owner_status`).

    - ``role``: the policy key and guard name, ``scim_setup_admin`` (the SCIM token is theirs,
      docs/sigma-api.md §5.1) or ``api_credential_owner`` (apply's API credentials, §1.2);
    - ``reference``: the policy's value as written (``""`` when not set);
    - ``member_id`` / ``email``: the member it names (``None`` when not found);
    - ``account_type_before`` / ``account_type_after``: their person row's (``after`` ``None``
      when they end deactivated);
    - ``lockout``: their person row's :class:`Lockout`;
    - ``ok`` / ``detail``: the guard of the same name, and no lock-out (one line).
    """

    role: Literal["scim_setup_admin", "api_credential_owner"]
    reference: str
    member_id: str | None
    email: str | None
    account_type_before: str | None
    account_type_after: str | None
    lockout: Lockout | None
    ok: bool
    detail: str


class DocumentDestination(str, Enum):
    """Where a leaving member's documents go (docs/sigma-api.md §2.5, §5.3)."""

    MEMBER = "member"                          # ``newOwnerId``: the policy's document owner
    PROVISIONING_OWNER = "provisioning_owner"  # a SCIM deactivation: Sigma gives them to the SCIM admin
    UNNAMED = "unnamed"                        # nobody named yet (organization.document_owner)


class DocumentTransfer(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """The documents of a member a plan's action deactivates (decided by
    :func:`planner.outcomes.document_transfers`): ``action`` id and ``kind``, the leaving
    ``member_id`` / ``email``, the ``destination`` and the receiving member (``None`` when
    :attr:`DocumentDestination.UNNAMED`)."""

    action: str
    kind: ActionKind
    member_id: str
    email: str
    destination: DocumentDestination
    to_member_id: str | None
    to_email: str | None


class Outcomes(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """What the plan's decisions mean beyond each person row, decided once while planning
    (:mod:`planner.outcomes`): the protected ``owners`` (SCIM-setup admin, then API credential
    owner) and the ``document_transfers`` of leaving members, in plan order."""

    owners: tuple[OwnerStatus, ...]
    document_transfers: tuple[DocumentTransfer, ...]


class SummaryRecord(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """Base of the plan summary's records: frozen, exact (unknown JSON fields refused)."""


class GuardResult(SummaryRecord):
    """One guard's verdict (:mod:`planner.rules.guards`): its ``name`` (``last_admin``,
    ``threshold.deactivations``, ...), whether it passed, and one line saying why."""

    name: str
    ok: bool
    detail: str


class CustomReplacement(SummaryRecord):
    """Members whose custom account type is replaced by another (``account_types.replacements``)."""

    from_type: str = msgspec.field(name="from")
    to: str
    members: int


class AccountTypeCounts(SummaryRecord):
    """Account-type changes of the plan, by direction."""

    changes: int
    upgrades: int
    downgrades: int
    custom_replacements: int
    replacements: list[CustomReplacement]


class SeatCount(SummaryRecord):
    """Active people holding an account type before and after the plan (``after``: what the plan makes true; a person
    a blocking review item names stays at their current seat), and ``pending``: the people a blocking review item
    names whose seat the plan would change, under their current type (kept in ``after``) or, holding none now, the
    type the plan would give them (decided by :func:`planner.planning.seats_of`; tester12 #3)."""

    before: int
    after: int
    pending: int


class NormalizedMemberType(SummaryRecord, rename="camel"):
    """An exported ``memberType`` spelled otherwise than the organization's account type name."""

    member_type: str
    account_type: str
    members: int


class TeamCounts(SummaryRecord):
    """Teams linked, created, left unmanaged, and team members added and removed. ``unmanaged``: the active teams no
    group maps to (the ``teams.unmanaged`` item's); an archived team, which the plan leaves as it is (show: "archived
    team, no action"), is not one (tester11 nit: the report counted it). ``member_additions``: the memberships the
    pushes add, the team rows' ``members_added`` summed (a created team's members too; tester20 finding 2);
    ``member_removals``: the ``teams.remove_member`` actions."""

    linked: int
    created: int
    unmanaged: int
    member_additions: int
    member_removals: int


class ReviewCounts(SummaryRecord):
    """Review items: all, blocking, per code."""

    total: int
    blocking: int
    by_code: dict[str, int]


class LockoutCounts(SummaryRecord):
    """People who cannot sign in after the switch (a person row's ``lockout`` set), by why: one
    count per :class:`Lockout` and their ``total`` (decided by :func:`planner.outcomes.outcome_counts`).
    ``guest_held``: the active guests a blocking review item holds, with no action (neither disabled nor converted
    yet; plan format 9, words18: format 8 counted them under ``guest_disabled``)."""

    total: int
    deactivated: int
    guest_disabled: int
    guest_held: int
    unmatched_kept: int
    unmatched_review: int
    invitation_pending: int  # plan format 10 (tester17 finding 9)


class AdminLossCounts(SummaryRecord):
    """Admins losing Admin (a person row's ``admin_change`` ``loses``), by how: ``deactivated``
    (the plan deactivates them), ``cannot_sign_in`` (another lock-out: no IdP identity, a disabled
    guest; they keep the type but cannot use it), ``downgraded`` (they keep sign-in with a type
    that is not admin); ``total`` is their sum."""

    total: int
    deactivated: int
    cannot_sign_in: int
    downgraded: int


class OutcomeCounts(SummaryRecord):
    """The headline figures of what the plan means for people, counted once from the person rows
    while planning (:func:`planner.outcomes.outcome_counts`), which ``show``, the report and the
    ``plan`` / ``report`` command lines print as they are (tester9 F3):

    - ``lockouts``: who cannot sign in after the switch, by why (:class:`LockoutCounts`);
    - ``admins_losing_admin``: :class:`AdminLossCounts`;
    - ``admin_gains`` / ``admin_changes``: people who keep sign-in and gain an admin type, or go from
      one admin type to another (:class:`AdminChange` ``gains`` / ``changes``);
    - ``downgrades``: people who keep sign-in and whose account type is downgraded
      (:class:`TypeChange` ``downgrade``; an admin downgraded counts here and in
      ``admins_losing_admin``);
    - ``scim_managed``: people with no IdP identity in this export who are no lock-out: Sigma's SCIM state
      shows the IdP provisioned them and the policy keeps them so (a person row's ``scim_managed``)."""

    lockouts: LockoutCounts
    admins_losing_admin: AdminLossCounts
    admin_gains: int
    admin_changes: int
    downgrades: int
    scim_managed: int


class PlanSummary(SummaryRecord):
    """The plan's counts and guard results (docs/policy.md, "Summary"); an undo plan's has only
    ``actions``, ``total_actions``, ``changes``, ``guards``, ``undoes``, ``text``, ``outcomes``, ``account_types``
    and ``seats`` (:mod:`planner.execute.undo`, docs/apply.md "Undo").

    ``guards``: one :class:`GuardResult` per guard, the one shape ``approve`` and ``apply``
    read (a failed one refuses the plan); ``outcomes``: the headline figures about people
    (:class:`OutcomeCounts`) every renderer prints. Those six are required (every plan has them: a
    summary read without its guards would pass them, one without its outcomes would say nobody is
    locked out); the others are ``UNSET`` in an undo plan."""

    actions: dict[str, int]
    total_actions: int
    changes: bool
    guards: list[GuardResult]
    text: str
    outcomes: OutcomeCounts
    account_types: AccountTypeCounts | UnsetType = UNSET
    seats: dict[str, SeatCount] | UnsetType = UNSET
    normalized_member_types: list[NormalizedMemberType] | UnsetType = UNSET
    people: dict[str, int] | UnsetType = UNSET
    teams: TeamCounts | UnsetType = UNSET
    review_items: ReviewCounts | UnsetType = UNSET
    undoes: str | UnsetType = UNSET

    @property
    def failed_guards(self) -> tuple[GuardResult, ...]:
        """The guards that did not pass, in order."""
        return tuple(g for g in self.guards if not g.ok)


class PlanOrganization(msgspec.Struct, frozen=True, forbid_unknown_fields=True, rename="camel"):
    """The organization a plan is for: ``organizationId`` (from the Sigma export, ``""`` when it
    names none) and ``name`` (the policy's ``organization.name``); ``sigmaFetchedAt`` / ``idpFetchedAt``:
    when each export was read (ISO 8601 UTC, from ``fetch-manifest.json`` / ``fetch-idp-manifest.json``),
    ``UNSET`` (absent from the file) when the export does not say (show and the report then say "unknown";
    tester8 finding 21)."""

    organization_id: str
    name: str
    sigma_fetched_at: str | UnsetType = UNSET
    idp_fetched_at: str | UnsetType = UNSET


class PlanPolicy(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """The policy a plan was made under: ``path`` as given (``""`` for a policy built in code),
    ``sha256`` (hex) of the file's bytes (of the canonical JSON of ``resolved`` when there is no
    file), and ``resolved``: every key of the policy with its defaults filled in
    (:meth:`planner.policy.Policy.resolved`), kept as the canonical JSON the plan file holds, so
    that the plan is reproducible from inputs + policy alone.

    ``resolved`` is validated when the plan is read for a command that acts on the policy
    (:func:`planner.planfile.read_plan` with ``with_policy``: approve, apply, verify, handoff), which
    then reads it as a :class:`planner.policy.Policy` (:func:`planner.planfile.plan_policy`, validated
    once per plan); the readers that only show the plan never import the policy schema."""

    path: str
    sha256: str
    resolved: msgspec.Raw


class MemberState(msgspec.Struct, frozen=True, forbid_unknown_fields=True, gc=False, rename="camel"):
    """A member as the plan was made against it (the fields of ``GET /v2/members/{id}`` that
    apply's stale check compares, docs/sigma-api.md §2.2)."""

    member_id: str
    email: str
    member_type: str
    user_kind: str
    is_archived: bool
    is_inactive: bool


class TeamState(msgspec.Struct, frozen=True, forbid_unknown_fields=True, gc=False, rename="camel"):
    """A team as the plan was made against it (``GET /v2/teams/{id}`` and its members'
    ``memberId`` s, sorted: docs/sigma-api.md §3.2, §3.3)."""

    team_id: str
    name: str
    is_archived: bool
    member_ids: tuple[str, ...]


class MemberFingerprint(msgspec.Struct, frozen=True, forbid_unknown_fields=True, gc=False):
    """``sha256`` (hex) of the canonical JSON of ``state`` (:func:`planner.planfile.canonical_json`)."""

    sha256: str
    state: MemberState


class TeamFingerprint(msgspec.Struct, frozen=True, forbid_unknown_fields=True, gc=False):
    """``sha256`` (hex) of the canonical JSON of ``state`` (:func:`planner.planfile.canonical_json`)."""

    sha256: str
    state: TeamState


Fingerprint = MemberFingerprint | TeamFingerprint

FINGERPRINT_KINDS: dict[str, type[MemberFingerprint] | type[TeamFingerprint]] = {
    "member": MemberFingerprint, "team": TeamFingerprint}
"""The fingerprint type of each key prefix (``member:<memberId>``, ``team:<teamId>``)."""


class Fingerprints(dict[str, Fingerprint]):
    """``{"member:<memberId>": MemberFingerprint, "team:<teamId>": TeamFingerprint}``: the Sigma
    state each object a plan touches was planned against, for apply's stale check
    (:mod:`planner.execute.stale`). The key's prefix says the kind, so one JSON object holds
    both kinds; :func:`planner.planfile.read_plan` decodes each entry as its kind's type
    (:meth:`from_json`), and the JSON Schema says the same with ``patternProperties``."""

    @classmethod
    def from_json(cls, obj: Any) -> "Fingerprints":
        """The fingerprints of ``obj`` (a JSON object as decoded). Raises ``TypeError`` when it is
        not an object, ``ValueError`` naming the entry (``$["member:m1"].state.email: required``)
        for a key of no known kind or an entry of the wrong shape."""
        if not isinstance(obj, dict):
            raise TypeError(f"Expected `object`, got `{type(obj).__name__}`")
        members = {k: v for k, v in obj.items() if k.startswith("member:")}
        teams = {k: v for k, v in obj.items() if k.startswith("team:")}
        try:
            if len(members) + len(teams) != len(obj) or "member:" in members or "team:" in teams:
                raise msgspec.ValidationError
            # two conversions in C (a 100k-member plan: one Python call per entry would double read_plan)
            out = cls(msgspec.convert(members, dict[str, MemberFingerprint]))
            out.update(msgspec.convert(teams, dict[str, TeamFingerprint]))
            return out
        except msgspec.ValidationError:
            pass
        for key, value in obj.items():  # find the entry at fault, to name it
            kind = FINGERPRINT_KINDS.get(key.partition(":")[0])
            where = f"$[{msgspec.json.encode(key).decode()}]"
            if kind is None or not key.partition(":")[2]:
                raise ValueError(f"key is neither member:<memberId> nor team:<teamId> - at `{where}`")
            try:
                msgspec.convert(value, kind)
            except msgspec.ValidationError as exc:
                raise ValueError(f"{exc} - at `{where}`") from None
        raise AssertionError("unreachable: some entry failed to convert")

    def members(self) -> dict[str, MemberState]:
        """memberId -> planned-against state, of the member fingerprints."""
        return {k.removeprefix("member:"): v.state for k, v in self.items() if isinstance(v, MemberFingerprint)}


PLAN_FORMAT_VERSION = 15
"""The plan file's shape. Raised whenever that shape changes (a field added, removed or retyped in a plan or in
its ``policy.resolved``; tests/test_plan_schema.py pins the schema of each version, so a change without a new
version fails there). 1: every plan written before 2026-12-06 21:30 UTC (its later shapes were not told apart:
tester10 finding 9); 2: from then on; 3: a person row's ``scim_managed`` and ``summary.outcomes.scim_managed``
(tester10 finding 4); 4: ``summary.seats.<type>.pending`` (tester12 #3); 5:
``policy.resolved.preflight.members_include_archived_and_inactive`` (tester14a finding 2); 6:
``policy.resolved.applied.closed_runs`` (tester14b #1); 7: ``policy.resolved.unmatched.idp_suspended`` (tester13
finding 7); 8: ``policy.resolved.preflight.idp_users_include_deactivated``; 9: the :class:`Lockout` ``guest_held`` and
``summary.outcomes.lockouts.guest_held`` (words18: a guest a blocking item holds was counted ``guest_disabled``); 10: a person row's ``lockout``
``invitation_pending``, ``summary.outcomes.lockouts.invitation_pending`` and
``policy.resolved.guests.confirm_pending_invitations`` (tester17 finding 9); 11:
``policy.resolved.account_types.acknowledged_admin_upgrades`` and ``ItemEvidence.groupMapKeys`` (tester18 finding 5);
12: ``policy.resolved.scope.individual_assignments`` (tester18 finding 7); 13:
``policy.resolved.guards.thresholds.team_growth``; 14: ``policy.resolved.guards.thresholds.upgrades`` and
``creates``, ``summary.teams.member_additions`` (tester20 finding 2); 15:
``policy.resolved.guards.thresholds.team_shrink`` (tester21 finding 6)."""



def preflight_blockers(checks: Iterable[PreflightCheck], failed_guards: Iterable[GuardResult]
                       ) -> tuple[PreflightCheck, ...]:
    """The pre-flight ``checks`` that stop approval (:attr:`PreflightCheck.stops_approval`: blocking, neither
    shown by the data nor confirmed in the policy) and are not a failed guard's echo (a check of the guard's name
    and words, :func:`planner.rules.preflight.protected_person`; the guard is counted itself, left19). One rule
    for the plan's summary line (:func:`planner.outcomes.review_headline`, walk21), :attr:`Plan.approval_blockers`
    and :attr:`Plan.guard_echoes`."""
    verdicts = {(g.name, g.detail) for g in failed_guards}
    return tuple(c for c in checks if c.stops_approval and (c.id, c.detail) not in verdicts)


class Plan(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """A migration plan: what ``plan`` writes and ``report``/``apply`` read.

    - ``organization``: :class:`PlanOrganization`.
    - ``inputs``: every file read, with sha256 and record counts.
    - ``policy``: :class:`PlanPolicy`; the resolved policy makes the plan reproducible from
      inputs + policy alone.
    - ``fingerprints``: :class:`Fingerprints`: the Sigma state each touched object was planned
      against, for apply's stale-plan check.
    - ``actions``: in dependency (topological) order.
    - ``summary``: counts per action kind, account-type seats before/after,
      review counts, guard results.
    - ``app_groups``: the IdP groups to assign to the Sigma app and to push as teams
      (:class:`AppGroup`), as the hand-off lists them; none in an undo plan.
    - ``preflight``: Sigma's SCIM prerequisites (:class:`PreflightCheck`), shown first.
    - ``outcomes``: the protected owners' status and the document transfers (:class:`Outcomes`).
    - ``created_at`` (ISO 8601 UTC) is excluded from ``digest``; ``digest`` is
      ``"sha256:<hex>"`` over the canonical JSON of everything else
      (``planner.planfile``).

    Every field is required when a plan file is read (the planner writes them all): a plan
    written before a field existed is refused, never read as if the field were empty
    (an old plan without ``outcomes`` would otherwise say that nobody is locked out).
    ``format_version`` alone has a default here, for the plans built in memory.
    """

    organization: PlanOrganization
    inputs: tuple[InputFile, ...]
    policy: PlanPolicy
    fingerprints: Fingerprints
    actions: tuple[Action, ...]
    review_items: tuple[ReviewItem, ...]
    summary: PlanSummary
    people: tuple[PersonRow, ...]
    teams: tuple[TeamRow, ...]
    app_groups: tuple[AppGroup, ...]
    preflight: tuple[PreflightCheck, ...]
    outcomes: Outcomes
    tool_version: str
    created_at: str
    digest: str
    format_version: Literal[15] = PLAN_FORMAT_VERSION

    @property
    def blocking_items(self) -> tuple[ReviewItem, ...]:
        return tuple(r for r in self.review_items if r.blocking)

    @property
    def api_credential_owner(self) -> OwnerStatus | None:
        """The member the plan was made for as the owner of apply's REST credentials: the
        ``api_credential_owner`` entry of ``outcomes.owners`` (``organization.api_credential_owner``
        resolved to a member while planning; its guard kept them active and admin; an undo plan carries
        the undone plan's, as the undo leaves them), or ``None`` when the plan records none. Its ``member_id`` is ``None`` when the policy named
        nobody or nobody in the export (the guard then failed and apply refuses the plan anyway).
        Apply compares it with ``GET /v2/whoami`` (docs/apply.md "Preflight")."""
        return next((o for o in self.outcomes.owners if o.role == "api_credential_owner"), None)

    @property
    def approvable(self) -> bool:
        """True when approve and apply can accept the plan: no blocking review item, no unmet blocking
        pre-flight check (:attr:`unmet_preflight`), no failed guard (what
        :func:`planner.execute.approve.check_plan_is_applicable` refuses, in that order)."""
        return not self.blocking_items and not self.unmet_preflight and not self.summary.failed_guards

    @property
    def approval_blockers(self) -> str:
        """What keeps the plan from being approved, each thing to settle counted once: ``"2 pre-flight check(s)
        unmet, 1 blocking review item(s), 0 failed guard(s)"`` (``show``'s refusal line and a wave's heading). A
        failed guard's own blocking ``guards.<name>`` item and its pre-flight check (:attr:`guard_echoes`) are
        counted under the guard, and the line says so (left19: one failed protected person was counted three
        times, "1 pre-flight check(s) unmet, 1 blocking review item(s), 1 failed guard(s)")."""
        _, items = self.guard_echoes
        guards = self.summary.failed_guards
        line = (f"{len(self.preflight_blockers)} pre-flight check(s) unmet, "
                f"{len(self.blocking_items) - len(items)} blocking review item(s), {len(guards)} failed guard(s)")
        if guards:
            line += " (a failed guard's own blocking review item and pre-flight check are counted under it)"
        return line

    @property
    def guard_echoes(self) -> tuple[tuple[PreflightCheck, ...], tuple[ReviewItem, ...]]:
        """``(checks, items)``: the unmet pre-flight checks and the blocking review items that only repeat a
        failed guard's verdict: a check of the guard's name and words (a protected person's,
        :func:`planner.rules.preflight.protected_person`) and the guard's own ``guards.<name>`` item
        (:func:`planner.rules.guards.failed`). Read by :attr:`approval_blockers` and by ``plan``'s lines
        (:func:`planner.show.summary_lines`, tester18 finding 10) so a failure is said and counted once."""
        failed = self.summary.failed_guards
        rules = {f"guards.{g.name}" for g in failed}
        own = set(self.preflight_blockers)
        return (tuple(c for c in self.unmet_preflight if c not in own),
                tuple(r for r in self.blocking_items if r.rule in rules))

    @property
    def preflight_blockers(self) -> tuple[PreflightCheck, ...]:
        """The unmet pre-flight checks that stop approval on their own (:func:`preflight_blockers`): the summary
        line's and :attr:`approval_blockers`' count."""
        return preflight_blockers(self.preflight, self.summary.failed_guards)

    @property
    def unmet_preflight(self) -> tuple[PreflightCheck, ...]:
        """Blocking prerequisites neither shown by the data nor confirmed in the policy."""
        return tuple(c for c in self.preflight if c.stops_approval)

    @property
    def undo_preflight(self) -> str:
        """What an undo plan (``summary.undoes``, :mod:`planner.execute.undo`) says in place of
        pre-flight checks: it runs against an organization already on SCIM, and the checks were the
        migration plan's (its digest); ``""`` for any other plan."""
        if not self.summary.undoes:
            return ""
        return (f"Pre-flight: none of its own. This undo plan runs against an organization already on SCIM; "
                f"the pre-flight checks were the migration plan's ({self.summary.undoes}).")
