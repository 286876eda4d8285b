"""The migration policy: a YAML file validated with pydantic, errors with file:line:column.

A policy holds every decision a reviewer makes, so a plan is reproducible from
inputs + policy alone (design.md "Invariants"). Sections (docs/policy.md is the
reference of every key, with examples):

- ``organization``: who must never lose access (SCIM-setup admin, API credential
  owner) and who receives documents of deactivated members;
- ``scope``: which IdP users are assigned to the Sigma app;
- ``linking``: ordered match keys, domain aliases, plus-address folding,
  attribute pairs, explicit overrides;
- ``user_name_guard``: what to do when the IdP userName differs from the Sigma email;
- ``account_types``: IdP group -> account type, precedence, default, downgrades;
- ``guests``: disable or convert guest members;
- ``teams``: IdP group <-> team map and name rules, link/create, leftovers;
- ``unmatched``: Sigma members with no IdP identity;
- ``guards``: thresholds and IdP-export sanity limits;
- ``targets``: API base URLs used by ``apply`` (never secrets);
- ``preflight``: the reviewer's confirmations of the SCIM prerequisites the exports
  cannot show (SAML-only sign-in, an old SCIM token removed, guests told).

This module is the schema: what a policy can say. Every model forbids unknown keys.
:func:`planner.policy_reader.load_policy` reads a file into it, each problem reported as
``<file>:<line>:<column>: <dotted.path>: <message>`` (one line, :class:`PolicyError`).
Checks that need the data (an account type the organization does not have, a user in two
mapped groups with no precedence) are raised later by the rules with :meth:`Policy.location`
naming the key.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, Mapping

import regex
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    PrivateAttr,
    StringConstraints,
    Tag,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_serializer,
    model_validator,
)
from typing_extensions import Annotated

from .errors import UserError
from .yaml_schema import dotted

if TYPE_CHECKING:
    import msgspec

REGEX_PREFIX = "re:"
"""A group name written ``re:<pattern>`` is a regular expression (Python ``re``, full match)."""

KEEP = "keep"
"""``account_types.default: keep``: linked members keep their current Sigma account type."""

NEVER = "never"
"""``linking.overrides[].member: never``: never link this IdP user to an existing member."""

MATCH_KEY_NAMES = ("user_name", "emails", "domain_aliases", "plus_address_folding")
"""Match keys besides ``{attribute: {idp, sigma}}``; see :class:`MatchKey`."""


class PolicyError(UserError):
    """A policy file is unreadable, not YAML, or does not fit the schema; or the data
    contradicts it. ``str(exc)`` is one line starting with ``<file>:<line>:<column>:``."""


# --------------------------------------------------------------------------- field types


PATTERN_SECONDS = 1.0
"""How long one policy pattern may take on one value (seconds, the ``regex`` package's ``timeout``) before the
plan stops with :class:`PatternTimeout` (tester18 finding 12: ``^([a-z]+\\.?)+@acme\\.example$`` ran Python's
``re`` for minutes on one 30-letter address). An ordinary pattern takes microseconds."""


class PatternTimeout(PolicyError):
    """A policy pattern ran longer than :data:`PATTERN_SECONDS` on one value (catastrophic backtracking).

    ``pattern``: the pattern as written (without ``re:``); ``value``: the displayName or address it was tried on.
    ``str(exc)`` names both; :meth:`Policy.pattern_error` adds the key's ``file:line:column`` and dotted path."""

    def __init__(self, pattern: str, value: str) -> None:
        self.pattern = pattern
        self.value = value
        super().__init__(self.describe())

    def describe(self) -> str:
        """``pattern '...' took more than 1 s on '...'``, with what to do (one line)."""
        return (f"pattern {self.pattern!r} took more than {PATTERN_SECONDS:g} s on {self.value!r} (catastrophic "
                "backtracking: a repetition of a group that can match the same text in many ways, such as (x+)+ "
                "or (x|xx)+); rewrite it without the nested repetition; no plan written")


@dataclass(frozen=True)
class PolicyPattern:
    """A policy regular expression, compiled once with the ``regex`` package (its syntax is Python ``re``'s,
    VERSION0) and run with a timeout: every policy pattern goes through :func:`compile_pattern` (``scope.groups``,
    ``account_types.group_map`` and ``teams.confirm_*`` ``re:`` entries, ``teams.rules[].pattern``,
    ``unmatched.exclude_patterns``). ``pattern``: the source as written. Its methods raise :class:`PatternTimeout`."""

    pattern: str
    compiled: "regex.Pattern[str]"

    def search(self, text: str) -> "regex.Match[str] | None":
        """The first match anywhere in ``text`` (as ``re.Pattern.search``)."""
        try:
            return self.compiled.search(text, timeout=PATTERN_SECONDS)
        except TimeoutError:
            raise PatternTimeout(self.pattern, text) from None

    def fullmatch(self, text: str) -> "regex.Match[str] | None":
        """A match of the whole of ``text`` (as ``re.Pattern.fullmatch``)."""
        try:
            return self.compiled.fullmatch(text, timeout=PATTERN_SECONDS)
        except TimeoutError:
            raise PatternTimeout(self.pattern, text) from None


@functools.lru_cache(maxsize=1024)
def compile_pattern(pattern: str, ignore_case: bool = False) -> PolicyPattern:
    """``pattern`` compiled as a :class:`PolicyPattern` (cached: one compile per source). Raises
    ``regex.error`` for a bad pattern (the policy's validators refuse one first: :func:`_check_regex`)."""
    return PolicyPattern(pattern, regex.compile(pattern, regex.IGNORECASE if ignore_case else 0))


def _check_regex(pattern: str, what: str = "regular expression") -> PolicyPattern:
    # Python's re first: its messages are the ones users know (the pattern language is re's); then regex, which
    # runs it (compile_pattern), for a pattern only one of them reads
    for compile_ in (re.compile, compile_pattern):
        try:
            compile_(pattern)
        except (re.error, regex.error) as exc:
            raise ValueError(f"bad {what} {pattern!r}: {exc}") from None
    return compile_pattern(pattern)


def _check_group_pattern(value: str) -> str:
    if not value.strip():
        raise ValueError("empty group name")
    if value.startswith(REGEX_PREFIX):
        _check_regex(value[len(REGEX_PREFIX):])
    return value


GroupPattern = Annotated[str, AfterValidator(_check_group_pattern)]
"""An IdP group ``displayName`` (exact, case-sensitive) or ``re:<pattern>`` (full match)."""


def group_pattern_matcher(pattern: str):
    """Return a function ``str -> bool`` telling whether a group displayName matches ``pattern``."""
    if pattern.startswith(REGEX_PREFIX):
        rx = compile_pattern(pattern[len(REGEX_PREFIX):])
        return lambda name: rx.fullmatch(name) is not None
    return lambda name: name == pattern


def _check_domain(value: str) -> str:
    domain = value.strip().casefold()
    if not domain or "@" in domain or " " in domain or "." not in domain:
        raise ValueError(f"{value!r} is not an email domain (write it without '@', e.g. example.com)")
    return domain


Domain = Annotated[str, AfterValidator(_check_domain)]


def _nonblank(value: str) -> str:
    if not value.strip():
        raise ValueError("must not be empty")
    return value.strip()


Name = Annotated[str, AfterValidator(_nonblank)]


class _Model(BaseModel):
    """Strict-shaped policy section: unknown keys are errors; YAML ``null`` means "the default"."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    @model_validator(mode="before")
    @classmethod
    def _null_means_default(cls, data: Any) -> Any:
        if isinstance(data, dict):
            fields = cls.model_fields
            return {
                k: v
                for k, v in data.items()
                if not (v is None and k in fields and fields[k].default is not None)
            }
        return data


# --------------------------------------------------------------------------- sections


class Organization(_Model):
    """Who the organization is and who must never lose access (docs/sigma-api.md §1.2, §5.1).

    ``id`` (optional): the Sigma ``organizationId`` the policy was written for; ``plan`` and ``check``
    refuse an export of another organization (:mod:`planner.rules.organization`). ``name`` is a label:
    Sigma exports carry no organization name to compare it with.

    People are named by email (or memberId). ``document_owner`` receives the
    documents of deactivated members and disabled guests (``newOwnerId``,
    docs/sigma-api.md §2.5) unless a section names its own.
    """

    name: str = ""
    id: str | None = None
    scim_setup_admin: str | None = None
    api_credential_owner: str | None = None
    document_owner: str | None = None

    @model_serializer(mode="wrap")
    def _without_unset_id(self, handler: Any) -> Any:
        # a policy without ``id`` resolves as it did before the key existed: same plan digest
        data = handler(self)
        if self.id is None:
            data.pop("id", None)
        return data


class Scope(_Model):
    """Which IdP users the IdP app provisions: members (flattened) of ``groups``;
    empty = every active IdP user in the export.

    ``nested_only`` (an IdP that provisions direct members only, Entra ID): people in a ``groups``
    group or an ``account_types.group_map`` group only through a nested group, whose scope or
    account type flattening would decide: ``review`` (blocking ``scope.nested_only``) or ``keep``
    (accept the direct members only: informational).

    ``individual_assignments``: whether the IdP app may have users assigned to it directly (not through a
    group), which no export read holds (docs/formats.md; Okta ``/api/v1/apps/{appId}/users``, Entra
    ``appRoleAssignedTo``): ``review`` (default) asks about each active IdP user outside ``groups`` whose member
    the plan would deactivate (a blocking ``scope.individual_assignment``: the IdP would provision a directly
    assigned user right after their account was archived and documents moved; tester18 finding 7); ``none``: the
    reviewer checked the app's assignments and no user is assigned directly beyond ``account_types.overrides``.
    Written in every plan's resolved policy (plan format 12).
    """

    groups: list[GroupPattern] = Field(default_factory=list)
    nested_only: Literal["review", "keep"] = "review"
    individual_assignments: Literal["review", "none"] = "review"


class AttributePair(_Model):
    """An attribute match key: IdP attribute ``idp`` equals Sigma member field ``sigma``."""

    idp: Name
    sigma: Name


class MatchKey(_Model):
    """One entry of ``linking.match_keys``: a name, or an attribute pair.

    YAML forms: ``user_name`` | ``emails`` | ``domain_aliases`` |
    ``plus_address_folding`` | ``{attribute: {idp: employeeNumber, sigma: employeeId}}``.
    """

    name: str
    attribute: AttributePair | None = None

    @model_validator(mode="before")
    @classmethod
    def _from_yaml(cls, data: Any) -> Any:
        if isinstance(data, str):
            if data not in MATCH_KEY_NAMES:
                raise ValueError(
                    f"unknown match key {data!r} (expected one of: {', '.join(MATCH_KEY_NAMES)}, "
                    "or {attribute: {idp: ..., sigma: ...}})"
                )
            return {"name": data}
        if isinstance(data, dict) and "name" not in data:
            if set(data) != {"attribute"}:
                raise ValueError(
                    "a match key mapping must be {attribute: {idp: <IdP attribute>, sigma: <member field>}}"
                )
            return {"name": "attribute", "attribute": data["attribute"]}
        return data

    @model_serializer
    def _to_yaml(self) -> Any:
        if self.attribute is None:
            return self.name
        return {"attribute": {"idp": self.attribute.idp, "sigma": self.attribute.sigma}}

    @property
    def label(self) -> str:
        """``user_name`` ... or ``attribute:<idp>=<sigma>``."""
        if self.attribute is None:
            return self.name
        return f"attribute:{self.attribute.idp}={self.attribute.sigma}"


class LinkOverride(_Model):
    """``{idp: <IdP id or userName>, member: <memberId> | never}``: a reviewer's linking decision."""

    idp: Name
    member: Name


class ScimStateConflict(_Model):
    """The long form of a ``linking.scim_state_conflicts`` entry: ``{newer: idp_export | scim_state,
    active: true | false, userType: <account type>}``. ``newer`` says which side is newer; ``active`` and
    ``userType`` (SCIM's attribute names, RFC 7643 §4.1) record the value of that side the entry was
    written for, so it settles only that disagreement: a later one on another attribute or value (a
    leaver reactivated by a stale export) is a blocking ``scim.state_conflict`` again, naming the entry
    (:mod:`planner.rules.scim_state`). The short form (``idp_export`` alone) records no value."""

    newer: Literal["idp_export", "scim_state"]
    active: bool | None = None
    userType: Name | None = None


ScimStateConflictEntry = Annotated[
    Annotated[Literal["idp_export", "scim_state"], Tag("short")] | Annotated[ScimStateConflict, Tag("long")],
    Discriminator(lambda v: "short" if isinstance(v, str) else "long"),
]
"""A ``linking.scim_state_conflicts`` value: the short form (a word) or the long form (a mapping); an
error names the form written only."""


def _default_match_keys() -> list[MatchKey]:
    return [MatchKey(name=n) for n in MATCH_KEY_NAMES]


class Linking(_Model):
    """Linking IdP users to Sigma members; first unique hit in ``match_keys`` order wins.

    ``archived_members``: an active IdP user matching an archived or inactive
    member (a rehire) is a blocking ``review`` item, or ``reactivate`` the
    member (``PATCH isArchived: false``) before linking. An override naming
    such a member also reactivates it.

    ``duplicates`` settles members whose email another member shares (same
    address but for letter case): Sigma links a SCIM user by email and cannot
    tell such members apart (docs/sigma-api.md §5.3), so every member but the one
    who keeps the address must have it freed first. ``{<memberId>: rename}``
    changes that member's email to a free alias (``members.set_email``, before
    the link of the member who keeps it), after which it follows ``unmatched``;
    ``deactivate`` renames it and deactivates it.

    ``excluded_idp_users`` (IdP ids or userNames) settles IdP users that share an
    email/userName with another IdP user (``linking.idp_duplicate``): they are
    neither linked nor created, and the IdP must stop provisioning them
    (unassign them from the Sigma app), or it creates them anyway.

    ``scim_state_conflicts`` settles ``scim.state_conflict`` items the dates cannot decide: by IdP id
    (the SCIM user's ``externalId``), ``idp_export`` (the export is newer: send its ``active``/``userType``
    through SCIM) or ``scim_state`` (Sigma's SCIM state is newer: keep it, plan nothing for it); the long
    form :class:`ScimStateConflict` records the value it was written for and settles only that
    disagreement. An entry the dates contradict (``idp_export`` while SCIM changed the user after the
    export last updated them) no longer applies: a blocking item naming it.

    ``second_accounts`` settles ``scim.second_account`` items: by the member (memberId or email) a
    userName change in the IdP left behind (Sigma made a new member for the new userName, which SCIM
    now manages: docs/sigma-api.md §5.3), ``deactivate`` (``members.deactivate``, its documents going
    to the new member) or ``keep`` (nothing planned for it).

    ``reused_addresses`` settles ``scim.reused_address`` items: by the IdP user (IdP id or userName)
    whose address a member holds that SCIM provisioned for another IdP identity (its ``externalId``
    names no IdP user of the export) and has inactive, or made before the IdP user existed
    (:func:`planner.rules.scim_state.reused_address`). ``same_person``: the person returning, linked
    to that member (``scim.link_user`` sends ``active: true``, their documents and teams come back);
    ``new_person``: another person reusing the address, linked to nothing and created nowhere, since
    Sigma keeps one member per address and gives the address to that member (docs/sigma-api.md §2.4,
    §5.3): the plan holds them and says so.
    """

    match_keys: list[MatchKey] = Field(default_factory=_default_match_keys)
    domain_aliases: dict[Domain, Domain] = Field(default_factory=dict)
    plus_address_folding: bool = False
    scim_user_name: Literal["user_name", "primary_email"] = "user_name"
    name_hints: bool = True
    archived_members: Literal["review", "reactivate"] = "review"
    overrides: list[LinkOverride] = Field(default_factory=list)
    duplicates: dict[Name, Literal["rename", "deactivate"]] = Field(default_factory=dict)
    excluded_idp_users: list[Name] = Field(default_factory=list)
    scim_state_conflicts: dict[Name, ScimStateConflictEntry] = Field(default_factory=dict)
    second_accounts: dict[Name, Literal["deactivate", "keep"]] = Field(default_factory=dict)
    reused_addresses: dict[Name, Literal["same_person", "new_person"]] = Field(default_factory=dict)

    @field_validator("match_keys")
    @classmethod
    def _unique_keys(cls, keys: list[MatchKey]) -> list[MatchKey]:
        seen: set[str] = set()
        for key in keys:
            if key.label in seen:
                raise ValueError(f"match key {key.label!r} is listed twice")
            seen.add(key.label)
        if not keys:
            raise ValueError("at least one match key is needed")
        return keys

    @field_validator("domain_aliases", mode="before")
    @classmethod
    def _one_entry_per_domain(cls, aliases: object) -> object:
        """Two keys of one domain (``Old.example`` and ``old.example``: domains compare letter case aside, and
        :data:`Domain` reads both as ``old.example``) would be one entry, the later one silently winning."""
        if isinstance(aliases, dict):
            seen: dict[str, str] = {}
            for key in aliases:
                domain = key.strip().casefold() if isinstance(key, str) else key
                if domain in seen:
                    raise ValueError(f"{key!r} and {seen[domain]!r} are one domain (letter case and spaces aside): "
                                     "write one entry")
                seen[domain] = key
        return aliases

    @field_validator("overrides")
    @classmethod
    def _unique_overrides(cls, overrides: list[LinkOverride]) -> list[LinkOverride]:
        seen: dict[str, int] = {}
        members: dict[str, int] = {}
        for i, o in enumerate(overrides):
            if o.idp in seen:
                raise ValueError(f"IdP user {o.idp!r} has two overrides (entries {seen[o.idp]} and {i})")
            seen[o.idp] = i
            if o.member != NEVER:
                if o.member in members:
                    raise ValueError(
                        f"member {o.member!r} is the target of two overrides (entries {members[o.member]} and {i})"
                    )
                members[o.member] = i
        return overrides

    @model_validator(mode="after")
    def _enabled_keys_are_listed(self) -> "Linking":
        names = {k.name for k in self.match_keys}
        if self.plus_address_folding and "plus_address_folding" not in names:
            raise ValueError("plus_address_folding is true but 'plus_address_folding' is not in match_keys")
        if self.domain_aliases and "domain_aliases" not in names:
            raise ValueError("domain_aliases are set but 'domain_aliases' is not in match_keys")
        return self


UserNameResolution = Literal["use_sigma_email", "update_sigma_email", "use_primary_email"]


class UserNameGuard(_Model):
    """A link whose IdP userName differs from the Sigma email would create a second account
    (docs/sigma-api.md §5.3). ``on_mismatch``: ``review`` (blocking item), ``use_sigma_email``
    (link with the Sigma email as userName; the IdP app must send that userName) or
    ``update_sigma_email`` (change the member's email to the IdP userName first).
    ``overrides`` decides per IdP user (id or userName); its ``use_primary_email`` says
    that the IdP app sends that user's primary email as userName (a per-user
    ``linking.scim_user_name: primary_email``, e.g. for a login that is not an email)."""

    on_mismatch: Literal["review", "use_sigma_email", "update_sigma_email"] = "review"
    overrides: dict[Name, UserNameResolution] = Field(default_factory=dict)


class AcknowledgedChange(_Model):
    """The long form of an ``account_types.acknowledged_downgrades`` / ``acknowledged_replacements`` entry:
    ``{person: <email, memberId, IdP id or userName>, from: <account type>, to: <account type>}``. It records
    the change it acknowledges (the person's current type and the one the plan sends, as the review item
    named them), so it settles only that change: another change of that person (Admin -> View where
    Admin -> Build was acknowledged) is a blocking item again, naming the entry
    (:mod:`planner.rules.account_types`). The short form (the person alone) records no change and settles
    any; ``policy lint`` notes it (:func:`policy_notes`)."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True, serialize_by_alias=True)

    person: Name
    from_: Name = Field(alias="from")
    to: Name

    def text(self) -> str:
        """The entry as the policy writes it: ``{person: helen@acme.example, from: Admin, to: Build}``."""
        return f"{{person: {self.person}, from: {self.from_}, to: {self.to}}}"

    def change(self) -> str:
        """The change it records, as items name it: ``Admin -> Build``."""
        return f"{self.from_} -> {self.to}"


class AcknowledgedAdminUpgrade(_Model):
    """An ``account_types.acknowledged_admin_upgrades`` entry: ``{person: <email, memberId, IdP id or userName>,
    to: <admin account type>}``, the long form only. It records the admin type (``guards.admin_account_types``)
    the person is meant to gain, whatever they hold today (a linked member's upgrade, a create or a
    reactivation born with it, a guest converted into it), so it settles only that: another admin type for
    them is the blocking ``account_types.admin_upgrade`` again, naming the entry
    (:mod:`planner.rules.account_types`; tester18 finding 5). Read by the mechanism of
    :class:`AcknowledgedChange` (:class:`planner.rules.account_types.Acknowledgment`)."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True, serialize_by_alias=True)

    person: Name
    to: Name

    @model_validator(mode="before")
    @classmethod
    def _long_form_only(cls, data: Any) -> Any:
        if isinstance(data, str):
            raise ValueError(f"write {{person: {data}, to: <admin account type>}}: an entry records the admin type "
                             "the person is meant to gain, so it settles that type only")
        return data

    @property
    def from_(self) -> None:
        """No current type is recorded: what the person holds today does not change the question."""
        return None

    def text(self) -> str:
        """The entry as the policy writes it: ``{person: alice@acme.example, to: Admin}``."""
        return f"{{person: {self.person}, to: {self.to}}}"

    def change(self) -> str:
        """The change it records, as items name it: ``gaining Admin``."""
        return f"gaining {self.to}"


AcknowledgedEntry = Annotated[
    Annotated[Name, Tag("short")] | Annotated[AcknowledgedChange, Tag("long")],
    Discriminator(lambda v: "short" if isinstance(v, str) else "long"),
]
"""An ``acknowledged_downgrades`` / ``acknowledged_replacements`` entry: the short form (a person) or the
long form (:class:`AcknowledgedChange`); an error names the form written only."""


def acknowledged_person(entry: "str | AcknowledgedChange | AcknowledgedAdminUpgrade") -> str:
    """The person an acknowledged-change entry names, whatever its form."""
    return entry if isinstance(entry, str) else entry.person


class AccountTypes(_Model):
    """IdP group -> Sigma account type (sent as SCIM ``userType``, case-sensitive, docs/sigma-api.md §5.2).

    ``precedence`` lists account types highest first: it decides for a user in
    several mapped groups and ranks types for upgrade/downgrade. ``default`` is
    an account type name or ``keep``; ``new_user_default`` applies to created
    users in no mapped group when ``default`` is ``keep`` (``null``: send no
    userType, Sigma assigns its own default). ``overrides`` maps a person
    (email, memberId, IdP id or userName) to a type, like an individual
    assignment in the IdP. A change from or to a type neither ``precedence``
    nor Sigma's built-in ranking orders (a custom type) is a **custom
    replacement**, not a downgrade: ``on_custom_replacement`` decides it
    (``acknowledged_replacements`` accepts one under ``review``). Each entry of
    ``acknowledged_downgrades`` / ``acknowledged_replacements`` is a person
    (short form, any change of theirs) or ``{person, from, to}``
    (:class:`AcknowledgedChange`: that change only); each of ``acknowledged_admin_upgrades`` is
    ``{person, to}`` (:class:`AcknowledgedAdminUpgrade`: a person who holds no admin type today gains
    that one, blocking ``account_types.admin_upgrade`` until listed). ``several_type_groups_confirmed``
    maps a protected person in several type groups to the type the IdP is confirmed to send them.
    """

    group_map: dict[GroupPattern, Name] = Field(default_factory=dict)
    precedence: list[Name] = Field(default_factory=list)
    default: Name = KEEP
    new_user_default: str | None = None
    on_downgrade: Literal["allow", "review", "block"] = "review"
    acknowledged_downgrades: list[AcknowledgedEntry] = Field(default_factory=list)
    on_custom_replacement: Literal["allow", "review", "block"] = "review"
    acknowledged_replacements: list[AcknowledgedEntry] = Field(default_factory=list)
    acknowledged_admin_upgrades: list[AcknowledgedAdminUpgrade] = Field(default_factory=list)
    overrides: dict[Name, Name] = Field(default_factory=dict)
    several_type_groups_confirmed: dict[Name, Name] = Field(default_factory=dict)
    """Person (email, memberId, IdP id or userName) -> the account type the IdP is confirmed to send a
    protected person who is in several type groups (:func:`planner.rules.account_types.several_type_groups_items`):
    settles their blocking ``account_types.protected_several_type_groups`` item under Entra ID while it names the
    type the plan chose, never another."""

    @field_validator("precedence")
    @classmethod
    def _unique_precedence(cls, value: list[str]) -> list[str]:
        dupes = sorted({v for v in value if value.count(v) > 1})
        if dupes:
            raise ValueError(f"account type {dupes[0]!r} is listed twice")
        return value


class Guests(_Model):
    """Guest members (``userKind: guest``): SCIM disables them (docs/sigma-api.md §5.3).

    ``action: disable`` archives every guest with a document transfer;
    ``convert`` turns guests an IdP user links to into internal IdP-managed
    members and disables the rest. ``create_from_idp``: create accounts for IdP
    guest users (Entra ``#EXT#``) that match no member. ``confirm_pending_invitations``: IdP users
    (userName or id) whose Entra B2B invitation is not accepted (``externalUserState``
    ``PendingAcceptance``) and whom the plan may link to their Sigma member all the same, knowing they cannot
    sign in until they redeem it; another such link is a blocking ``guests.invitation_pending`` item
    (:func:`planner.rules.guests.invitation_pending_items`; tester17 finding 9).
    """

    action: Literal["disable", "convert"] = "disable"
    document_owner: str | None = None
    create_from_idp: bool = False
    confirm_pending_invitations: list[Name] = Field(default_factory=list)

    @model_serializer(mode="wrap")
    def _without_unset_confirmations(self, handler: Any) -> Any:
        # a policy without ``confirm_pending_invitations`` resolves as it did before the key existed
        data = handler(self)
        if not self.confirm_pending_invitations:
            data.pop("confirm_pending_invitations", None)
        return data


class TeamRule(_Model):
    """A name rule from IdP group to team: ``exact``, ``case_insensitive`` or ``regex``.

    ``regex``: ``pattern`` must fully match the group displayName; the team name
    is ``replace`` expanded with the match groups (``\\1``, ``\\g<name>``);
    without ``replace`` the team name is the group displayName.
    """

    match: Literal["exact", "case_insensitive", "regex"]
    pattern: str | None = None
    replace: str | None = None

    @field_validator("pattern")
    @classmethod
    def _pattern_compiles(cls, value: str | None) -> str | None:
        if value is not None:
            _check_regex(value)
        return value

    @field_validator("replace")
    @classmethod
    def _replace_fits_pattern(cls, value: str | None, info: ValidationInfo) -> str | None:
        pattern = info.data.get("pattern")
        if value is not None and pattern is not None:
            try:
                re.compile(pattern).sub(value, "")
                regex.compile(pattern).sub(value, "")
            except (re.error, regex.error, IndexError) as exc:
                raise ValueError(f"bad replacement {value!r} for pattern {pattern!r}: {exc}") from None
        return value

    @model_validator(mode="after")
    def _pattern_only_for_regex(self) -> "TeamRule":
        if self.match == "regex" and not self.pattern:
            raise ValueError("a regex rule needs a pattern")
        if self.match != "regex" and (self.pattern is not None or self.replace is not None):
            raise ValueError(f"pattern/replace are only for regex rules, not {self.match!r}")
        return self


def _default_team_rules() -> list[TeamRule]:
    return [TeamRule(match="exact")]


RENAME_PERCENT = 50
"""Default ``teams.rename_percent``: a group sharing at least half of its members and of an unmanaged team's is
a likely rename of the team (tester8 finding 7: the 80% it was hid a group sharing 19 of 24, 79%)."""


class Teams(_Model):
    """IdP groups <-> Sigma teams.

    ``map`` (team name -> group displayName) wins over ``rules`` (first rule
    that yields a team wins). ``mode``: ``link`` only adopts existing teams
    (Okta's Link Group); ``create`` also creates a team for a mapped group
    with no team. ``leftovers``: team members not in the linked group get
    ``remove`` actions or a ``report``. ``flatten_nested``: members of nested
    groups count as members. ``nested_only`` (with ``flatten_nested`` off, or for
    an Entra ID export, which pushes direct members only): team members who are in
    the group only through a nested group are a blocking ``review`` item, treated
    as ``leftovers``, or kept (``keep``, reported); for Entra ID it also settles
    the people flattening would add (``teams.nested_not_pushed``). ``confirm_empty``: IdP groups
    (displayName or ``re:``) meant to have no members; another empty group mapped to a team with
    members is a blocking ``teams.empty_group`` item. ``confirm_no_teams``: the organization has no
    teams, so a Sigma export listing none while groups would become new teams is no blocking
    ``teams.empty_export`` item. ``outside_members``: active Sigma members whose email a group lists as a
    member of another domain than the export's users (a Google group, docs/formats.md §4c; Google's SCIM
    app never provisions them): a blocking ``review`` item (``teams.outside_member``; not removed from the
    team, not added), kept (``keep``, reported), or treated as ``leftovers``. ``deleted_groups``: IdP group
    ids (the ``externalId`` Sigma's SCIM state gives a team's group) deleted in the IdP: their teams, which
    the export's groups no longer name, stay as Sigma's (unmanaged, members kept); settles
    ``teams.scim_group_missing``. ``rename_percent``: a group that would become a new team while it shares
    at least this percent of its members and of an unmanaged team's members (1-100; default 50, half) is a
    likely rename of that team, a blocking ``teams.likely_rename`` item; a smaller overlap of at least half
    of it is the informational ``teams.possible_rename``. ``confirm_new_teams``: IdP groups (displayName or
    ``re:``) meant to become new teams beside the unmanaged team they share people with; settles
    ``teams.likely_rename`` (the item is then informational). ``confirm_team_admin_removals``: IdP groups
    (displayName or ``re:``) whose team may lose its last team admin; another team whose every team admin the plan
    removes is a blocking ``teams.last_team_admin`` item (SCIM has no team admin role: docs/policy.md).
    """

    map: dict[Name, Name] = Field(default_factory=dict)
    rules: list[TeamRule] = Field(default_factory=_default_team_rules)
    mode: Literal["link", "create"] = "link"
    leftovers: Literal["remove", "report"] = "remove"
    flatten_nested: bool = True
    nested_only: Literal["review", "leftovers", "keep"] = "review"
    confirm_empty: list[GroupPattern] = Field(default_factory=list)
    confirm_no_teams: bool = False
    outside_members: Literal["review", "keep", "leftovers"] = "review"
    deleted_groups: list[Name] = Field(default_factory=list)
    rename_percent: int = Field(default=RENAME_PERCENT, ge=1, le=100)
    confirm_new_teams: list[GroupPattern] = Field(default_factory=list)
    confirm_team_admin_removals: list[GroupPattern] = Field(default_factory=list)

    @model_serializer(mode="wrap")
    def _without_unset_confirmations(self, handler: Any) -> Any:
        # a policy without ``confirm_empty`` / ``confirm_no_teams`` / ``outside_members`` / ``deleted_groups``
        # resolves as it did
        # before the keys existed: same plan digest
        data = handler(self)
        if not self.confirm_empty:
            data.pop("confirm_empty", None)
        if not self.confirm_no_teams:
            data.pop("confirm_no_teams", None)
        if self.outside_members == "review":
            data.pop("outside_members", None)
        if not self.deleted_groups:
            data.pop("deleted_groups", None)
        if self.rename_percent == RENAME_PERCENT:
            data.pop("rename_percent", None)
        if not self.confirm_new_teams:
            data.pop("confirm_new_teams", None)
        if not self.confirm_team_admin_removals:
            data.pop("confirm_team_admin_removals", None)
        return data


def _check_email_pattern(value: str) -> str:
    _check_regex(value)
    return value


class Unmatched(_Model):
    """Active Sigma members with no provisioned IdP identity.

    ``action`` applies to members no IdP user matches or whose IdP user is out
    of scope; ``idp_inactive`` to members whose IdP user is deactivated
    (leavers); ``idp_suspended`` to leavers whose IdP user is suspended, a
    reversible hold (:func:`planner.rules.idp_status.suspended`; default
    ``review``: a blocking ``unmatched.suspended`` item per member, since
    archiving moves documents that unsuspending does not bring back).
    ``exclude_patterns`` (regex, searched in the email as every rule reads it,
    :func:`planner.address_patterns.rule_address`, case-insensitive)
    keep service accounts. ``decisions`` settles one member (email or
    memberId) at a time.
    """

    action: Literal["keep", "deactivate", "review"] = "review"
    idp_inactive: Literal["keep", "deactivate", "review"] = "deactivate"
    idp_suspended: Literal["review", "deactivate", "keep"] = "review"
    exclude_patterns: list[Annotated[str, AfterValidator(_check_email_pattern)]] = Field(default_factory=list)
    decisions: dict[Name, Literal["keep", "deactivate"]] = Field(default_factory=dict)
    document_owner: str | None = None


class Threshold(_Model):
    """A limit: ``count`` (absolute) and/or ``percent`` (0-100); exceeding either blocks."""

    count: int | None = Field(default=None, ge=0)
    percent: float | None = Field(default=None, ge=0, le=100)

    @model_validator(mode="after")
    def _one_limit(self) -> "Threshold":
        if self.count is None and self.percent is None:
            raise ValueError("a threshold needs count and/or percent")
        return self


class Growth(_Model):
    """A limit on growth (``guards.thresholds.team_growth``, ``upgrades``, ``creates``) or on one team's loss
    (``team_shrink``): more than ``count`` AND more than ``percent`` of the category's base blocks the plan, so a few
    in a small organization or a team, or a modest share of a large one, pass (tester20 finding 2: growth had no guard
    while shrinking had four). ``percent`` may pass 100 where its base can be outgrown (a team, the organization).
    Each key has its own defaults (a subclass)."""

    count: int = Field(ge=0)
    percent: float = Field(ge=0)


class TeamGrowth(Growth):
    """The growth of one existing team a push may bring (``guards.thresholds.team_growth``): a team linked to an IdP
    group that gains more than ``count`` members AND more than ``percent`` of its current members (over 100: the
    team more than doubles) blocks the plan. Both, so that onboarding two people into a team of five, or twenty into
    a team of five hundred, does not; a team of 5 that becomes 153 does (tester20 finding 2: a group rule gone wrong,
    or another group's members saved as the group's answer, gives a private team's documents to everyone)."""

    count: int = Field(default=10, ge=0)
    percent: float = Field(default=100.0, ge=0)


class TeamShrink(Growth):
    """The loss of one existing team the plan may bring (``guards.thresholds.team_shrink``): a team linked to an IdP
    group whose ``teams.remove_member`` actions (the push's removals and the leftovers' alike) take more than
    ``count`` members AND more than ``percent`` of its current members blocks the plan. Default 5 and 25%: the share
    of the org-wide ``team_member_removals`` default, per team, with a floor so that a small team's few leavers pass
    (the reviewed sample policies remove at most 1 member of a team; bench/generate.py's organization of 10,000 at
    most 33 of a team, never 25% of one past 5). tester21 finding 6: group Finance's members answer saved as its
    first page of 10 (``limit=10``) took team Finance from 17 to 10 members (-9, 52.9%) with 0 blocking, since 11
    removals of 158 memberships stayed under the org-wide 25%. docs/policy.md "guards"."""

    count: int = Field(default=5, ge=0)
    percent: float = Field(default=25.0, ge=0, le=100)


class Upgrades(Growth):
    """Account-type upgrades (``guards.thresholds.upgrades``): more than ``count`` ``scim.set_account_type`` changes
    to a higher-ranked type (:func:`planner.rules.account_types.classify`: a dearer seat, more rights) AND more than
    ``percent`` of the active linked members blocks the plan (tester20 finding 2: Sigma-Build's answer replaced by
    every active user's made 104 upgrades, 83.2% of the 125 linked, with 0 blocking, while 10% of downgrades
    blocks). Default 10 and 10%, the downgrades' share: the sample policies upgrade 4 of 125 (3.2%), bench/generate.py's
    organization of 10,000 579 of 9,171 (6.3%)."""

    count: int = Field(default=10, ge=0)
    percent: float = Field(default=10.0, ge=0, le=100)


class Creates(Growth):
    """Created accounts (``guards.thresholds.creates``): more than ``count`` ``scim.create_user`` AND more than
    ``percent`` of the active Sigma people blocks the plan. Default 50 and 100 (the organization more than doubles:
    a scope slip such as ``scope.groups`` naming an all-staff group), not tighter: a first migration creates many
    (the sample 13 for 140 active people, 9.3%; bench/generate.py's organization of 10,000 1,431 for 9,750, 14.7%),
    so a default that caught tester20 finding 2's 18 extra creates (31 for 140, 22.1%) would block ordinary
    migrations; that repro's harm is caught where it lands (``team_growth``, ``upgrades``). docs/policy.md "guards"."""

    count: int = Field(default=50, ge=0)
    percent: float = Field(default=100.0, ge=0)


class Thresholds(_Model):
    """Per-category limits; ``null`` turns a category's check off.

    Percent bases: deactivations, guest_disables and downgrades are a share of
    active Sigma people; team_member_removals of current team memberships.
    ``team_growth`` and ``team_shrink`` are judged per linked team (:class:`TeamGrowth`, :class:`TeamShrink`);
    ``upgrades`` of the active linked members
    (:class:`Upgrades`); ``creates`` of active Sigma people (:class:`Creates`).
    """

    deactivations: Threshold | None = Field(default_factory=lambda: Threshold(percent=10))
    guest_disables: Threshold | None = None
    team_member_removals: Threshold | None = Field(default_factory=lambda: Threshold(percent=25))
    downgrades: Threshold | None = Field(default_factory=lambda: Threshold(percent=10))
    team_growth: TeamGrowth | None = Field(default_factory=TeamGrowth)
    team_shrink: TeamShrink | None = Field(default_factory=TeamShrink)
    upgrades: Upgrades | None = Field(default_factory=Upgrades)
    creates: Creates | None = Field(default_factory=Creates)

    @model_validator(mode="before")
    @classmethod
    def _explicit_null_disables(cls, data: Any) -> Any:
        # a category written as `null` is switched off, unlike other sections where null = default
        if isinstance(data, dict):
            return {k: (_OFF if v is None else v) for k, v in data.items()}
        return data

    @field_validator("*", mode="before")
    @classmethod
    def _off(cls, value: Any) -> Any:
        return None if value is _OFF else value


_OFF = object()


class Guards(_Model):
    """Safety checks, all on. Protected members and the last admin cannot be switched off.

    ``min_idp_users``: fewer active in-scope IdP users blocks the plan;
    ``max_shrink_percent``: blocks when in-scope IdP users are fewer than this
    share below the active Sigma people. ``admin_account_types``: account types
    that count as admin (case-insensitive). ``max_idp_export_age_hours``: an IdP export read more than this
    many hours before the Sigma export blocks the plan, and apply refuses a plan whose IdP export is older
    than this now (raise it to accept an older export; :mod:`planner.rules.inputs`, tester8 finding 21).
    """

    thresholds: Thresholds = Field(default_factory=Thresholds)
    min_idp_users: int = Field(default=1, ge=0)
    max_shrink_percent: float = Field(default=50, ge=0, le=100)
    max_idp_export_age_hours: int = Field(default=24, ge=1)
    admin_account_types: list[Name] = Field(default_factory=lambda: ["Admin"])

    @field_validator("admin_account_types")
    @classmethod
    def _some_admin_type(cls, types: list[str]) -> list[str]:
        """An empty list counts no account type as admin: every owner guard and the last-admin guard would fail
        for a reason the policy made (tester11 nit: 'would have account type 'Admin', not admin'). Sigma's Admin
        is always an admin type (docs/sigma-api.md §1.2), so at least one type is needed."""
        if not types:
            raise ValueError("an empty list counts no account type as admin, so every owner guard would fail: list "
                             "at least Admin (Sigma's Admin type is always an admin), or leave the key out for the "
                             "default [Admin]")
        return types


def _check_url(value: str | None) -> str | None:
    if value is None:
        return None
    from urllib.parse import urlsplit

    parts = urlsplit(value.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"{value!r} is not an absolute http(s) URL")
    if parts.username or parts.password or parts.query:
        raise ValueError("a base URL must not carry credentials or a query; secrets come from the environment")
    return value.strip()


class Targets(_Model):
    """Where ``apply`` sends requests; secrets come from the environment, never from here."""

    rest_base_url: Annotated[str | None, AfterValidator(_check_url)] = None
    scim_base_url: Annotated[str | None, AfterValidator(_check_url)] = None


class Preflight(_Model):
    """Confirmations of Sigma's SCIM prerequisites that no export shows (docs/policy.md "preflight").

    Sigma's SCIM guide (docs/sigma-api.md §5.1, §5.3): the organization must sign in with SAML
    only (not "SAML or password"); setting SCIM up again needs Sigma support to remove the old
    token first; guest members lose access when SCIM is enabled. ``previous_scim``: ``unknown``
    (not confirmed), ``none`` (SCIM was never set up), ``removed_by_support`` (Sigma support removed
    the old token), ``same_setup`` (the provisioned resources come from the connection in use:
    a re-plan after apply). ``members_include_archived_and_inactive``: the Sigma members export holds the
    archived and inactive members (asked only when no fetch manifest shows it and the file holds none).
    ``idp_users_include_deactivated``: the Okta users export holds the deactivated (``DEPROVISIONED``) users (asked
    only when no fetch-idp manifest shows it and the file holds none).
    """

    saml_only: bool = False
    previous_scim: Literal["unknown", "none", "removed_by_support", "same_setup"] = "unknown"
    guests_informed: bool = False
    unmanaged_members_acknowledged: bool = False
    members_include_archived_and_inactive: bool = False
    """The Sigma members export was listed with ``includeArchived=true&includeInactive=true`` (docs/sigma-api.md
    §2.3): what a hand-saved members file holding neither an archived nor an inactive member cannot show
    (:func:`planner.rules.preflight.members_listing`)."""
    idp_users_include_deactivated: bool = False
    """The Okta users export lists the ``DEPROVISIONED`` users (``search=status eq "DEPROVISIONED"``, docs/formats.md
    §2a): what a hand-saved users file holding none cannot show (:func:`planner.rules.preflight.idp_users_listing`).
    Left out of the resolved policy while false, so plans made before the key keep their digests."""
    identical_groups_confirmed: list[Annotated[list[Name], Field(min_length=2)]] = Field(default_factory=list)
    """Sets of IdP groups (each a list of two or more displayNames or ids) that really have the same members: a
    hand-saved export whose members answers of these groups are identical is then read as it is (was: one answer
    saved twice is the blocking ``inputs.identical_members``, :func:`planner.rules.inputs.group_answer_items`;
    tester18 finding 1). An entry settles a doubt when it names every group of it. Left out of the resolved policy
    while empty."""

    @model_serializer(mode="wrap")
    def _without_unset_listing(self, handler: Any) -> Any:
        data = handler(self)
        if not self.idp_users_include_deactivated:
            data.pop("idp_users_include_deactivated", None)
        if not self.identical_groups_confirmed:
            data.pop("identical_groups_confirmed", None)
        return data


PlanDigest = Annotated[str, StringConstraints(pattern=r"^sha256:[0-9a-f]{64}$")]
"""A plan's digest as ``sigma-migrate show`` prints it and its ``applied.unfinished_run`` item names it."""


class ClosedRun(_Model):
    """``{plan: <digest>, run: <number>}``: an ``applied.closed_runs`` entry, closing run ``run`` of the plan whose
    digest is ``plan``: a run that was interrupted or killed, which a re-plan given that plan (``--applied``) takes
    over (:mod:`planner.rules.unfinished_runs`)."""

    plan: PlanDigest
    run: int = Field(ge=0)


class Applied(_Model):
    """What a re-plan (``plan --applied PLAN``) does with the runs of the plans it is given (docs/policy.md "A run
    that did not finish").

    ``closed_runs``: runs that were interrupted or killed and that no ``--resume`` will finish (refused as stale: the
    IdP changed what they had left), each named by its plan's digest and its number as the blocking
    ``applied.unfinished_run`` item names them. A re-plan takes what such a run did from its journal, as for a
    finished run, and decides what it left anew; the plan records the closure in that journal (``closures``), and
    every later apply of that plan, its ``--resume`` included, refuses naming the entry (tester14b #1: the run could be
    neither resumed, planned over nor undone).
    """

    closed_runs: list[ClosedRun] = Field(default_factory=list)


@dataclass(frozen=True)
class PolicyOrigin:
    """Where a policy came from: the path as given, sha256 of its bytes, node positions.

    ``marks`` maps a location tuple (as in pydantic's ``loc``; a trailing
    ``"[key]"`` addresses the key itself) to a 1-based ``(line, column)``.
    """

    path: str
    sha256: str
    marks: Mapping[tuple[Any, ...], tuple[int, int]] = field(default_factory=dict)


class Policy(_Model):
    """The whole policy file (``version: 1``)."""

    version: Literal[1] = 1
    organization: Organization = Field(default_factory=Organization)
    scope: Scope = Field(default_factory=Scope)
    linking: Linking = Field(default_factory=Linking)
    user_name_guard: UserNameGuard = Field(default_factory=UserNameGuard)
    account_types: AccountTypes = Field(default_factory=AccountTypes)
    guests: Guests = Field(default_factory=Guests)
    teams: Teams = Field(default_factory=Teams)
    unmatched: Unmatched = Field(default_factory=Unmatched)
    guards: Guards = Field(default_factory=Guards)
    targets: Targets = Field(default_factory=Targets)
    preflight: Preflight = Field(default_factory=Preflight)
    applied: Applied = Field(default_factory=Applied)

    _origin: PolicyOrigin | None = PrivateAttr(default=None)

    @property
    def origin(self) -> PolicyOrigin | None:
        return self._origin

    def location(self, *loc: Any) -> str:
        """``"<file>:<line>:<column>"`` of the deepest known node on ``loc``, or ``"<policy>"``.

        ``policy.location("account_types", "precedence")`` points at that key's value.
        """
        origin = self._origin
        if origin is None:
            return "<policy>"
        for end in range(len(loc), -1, -1):
            mark = origin.marks.get(tuple(loc[:end]))
            if mark is not None:
                return f"{origin.path}:{mark[0]}:{mark[1]}"
        return origin.path

    def error(self, loc: tuple[Any, ...], message: str) -> PolicyError:
        """A :class:`PolicyError` ``<file>:<line>:<col>: <dotted loc>: <message>``."""
        return PolicyError(f"{self.location(*loc)}: {dotted(loc)}: {message}")

    def patterns(self) -> list[tuple[tuple[Any, ...], str]]:
        """``(loc, pattern source)`` of every regular expression of the policy, in file order of sections:
        ``scope.groups``, ``account_types.group_map`` keys and ``teams.confirm_*``
        written ``re:<pattern>`` (source without ``re:``), ``teams.rules[].pattern``, ``unmatched.exclude_patterns``."""
        found: list[tuple[tuple[Any, ...], str]] = []

        def group(loc: tuple[Any, ...], value: str | None) -> None:
            if value and value.startswith(REGEX_PREFIX):
                found.append((loc, value[len(REGEX_PREFIX):]))

        for i, g in enumerate(self.scope.groups):
            group(("scope", "groups", i), g)
        for key in self.account_types.group_map:
            group(("account_types", "group_map", key, "[key]"), key)
        for name in ("confirm_empty", "confirm_new_teams", "confirm_team_admin_removals"):
            for i, g in enumerate(getattr(self.teams, name)):
                group(("teams", name, i), g)
        found += [(("teams", "rules", i, "pattern"), r.pattern) for i, r in enumerate(self.teams.rules) if r.pattern]
        found += [(("unmatched", "exclude_patterns", i), p) for i, p in enumerate(self.unmatched.exclude_patterns)]
        return found

    def pattern_error(self, exc: PatternTimeout) -> PolicyError:
        """``exc`` as ``<file>:<line>:<col>: <dotted key>: pattern '...' took more than 1 s on '...'; ...``: the
        first key of :meth:`patterns` holding that pattern (tester18 finding 12: the message names the key)."""
        loc = next((loc for loc, source in self.patterns() if source == exc.pattern), None)
        return self.error(loc, exc.describe()) if loc is not None else PolicyError(exc.describe())

    def resolved(self) -> dict[str, Any]:
        """The policy with every default filled in, JSON-ready (goes into the plan)."""
        return self.model_dump(mode="json")


def _first_missing(written: Any, full: Any, loc: tuple[Any, ...] = ()) -> tuple[Any, ...] | None:
    """The location of the first key of ``full`` (a resolved policy) that ``written`` lacks."""
    if isinstance(full, dict) and isinstance(written, dict):
        for key, value in full.items():
            if key not in written:
                return loc + (key,)
            found = _first_missing(written[key], value, loc + (key,))
            if found is not None:
                return found
    elif isinstance(full, list) and isinstance(written, list):
        for n, (w, f) in enumerate(zip(written, full)):
            found = _first_missing(w, f, loc + (n,))
            if found is not None:
                return found
    return None


def resolved_policy(resolved: "bytes | msgspec.Raw", where: str = "plan") -> Policy:
    """The validated :class:`Policy` of a plan's ``policy.resolved`` (``resolved``: its JSON bytes
    or :class:`msgspec.Raw`, as :class:`planner.model.PlanPolicy` holds it); ``where`` names the
    plan file in errors. Validated once per plan (cached by its bytes, whatever ``where``):
    :func:`planner.planfile.read_plan` ``(with_policy=True)`` validates it for the commands that
    act on the policy, which then read it through :func:`planner.planfile.plan_policy`; the commands
    only showing a plan do not import this schema.

    The resolved policy is written whole (:meth:`Policy.resolved`), so every key is required, as
    the plan's JSON Schema says (:func:`resolved_schema`). Raises :class:`PolicyError`, one line:
    ``plan.json: $.policy.resolved.targets.rest_base_url: <message>``, or ``...: required`` for a
    key a plan of another version lacks (plan again)."""
    found = _resolved_policy(bytes(resolved))
    if isinstance(found, str):
        raise PolicyError(f"{where}: $.policy.resolved{found}")
    return found


@functools.lru_cache(maxsize=4)
def _resolved_policy(resolved: bytes) -> "Policy | str":
    """:func:`resolved_policy` once per plan: the :class:`Policy` (frozen: sharing it is safe), or
    what is wrong (``.targets.rest_base_url: <message>``, ``: not JSON: ...``)."""
    import json

    try:
        data = json.loads(resolved)
        policy = Policy.model_validate(data)
    except ValueError as exc:  # a JSONDecodeError or a pydantic ValidationError
        if isinstance(exc, ValidationError):
            error = exc.errors()[0]
            return f".{dotted(tuple(error['loc']))}: {error['msg']}"
        return f": not JSON: {exc}"
    missing = _first_missing(data, policy.resolved())
    if missing is not None:
        return (f".{dotted(missing)}: required (a plan written by another version of sigma-migrate; plan again "
                "with this one)")
    return policy


def resolved_schema(ref_template: str) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    """``(schema, definitions)``: the JSON Schema of a resolved policy as plan files hold it
    (:meth:`Policy.resolved`, pydantic's serialization schema), every object's properties
    required since the whole policy is written; definitions referenced with ``ref_template``
    (``"#/$defs/policy.{model}"``)."""
    schema = Policy.model_json_schema(mode="serialization", ref_template=ref_template)
    defs = schema.pop("$defs", {})
    for part in (schema, *defs.values()):
        if part.get("type") == "object" and part.get("properties"):
            part["required"] = list(part["properties"])
    return schema, defs


@dataclass(frozen=True)
class PolicyProblem:
    """One problem of a policy file: 1-based ``line``/``column``, dotted ``path`` (``""`` when the
    problem is the file itself) and a one-line ``message`` (with a did-you-mean when one is close)."""

    file: str
    line: int
    column: int
    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}: " + (f"{self.path}: " if self.path else "") + self.message


def policy_notes(policy: Policy) -> list[str]:
    """What ``policy lint`` explains about a valid ``policy`` without counting it a problem, one line each
    (``<file>:<line>:<column>: <dotted key>: <note>``): each short-form ``linking.scim_state_conflicts``
    entry, which records no value and so settles any later disagreement of that person the dates do not
    contradict (docs/policy.md "Re-planning after an apply"); each short-form ``account_types.acknowledged_downgrades``
    / ``acknowledged_replacements`` entry, which records no change and so settles any later one of that
    person (docs/policy.md "account_types"). Old policies keep loading."""
    notes = []
    for key, value in policy.linking.scim_state_conflicts.items():
        if isinstance(value, str):
            other = "active: false" if value == "idp_export" else "active: true"
            notes.append(
                f"{policy.location('linking', 'scim_state_conflicts', key)}: linking.scim_state_conflicts.{key}: "
                f"note: the short form '{value}' records no value, so it settles any later disagreement of this "
                f"person the dates do not contradict; the long form {{newer: {value}, {other}}} (or userType: "
                "<type>) settles only the one it was written for")
    at = policy.account_types
    for name in ("acknowledged_downgrades", "acknowledged_replacements"):
        for i, entry in enumerate(getattr(at, name)):
            if isinstance(entry, str):
                notes.append(
                    f"{policy.location('account_types', name, i)}: account_types.{name}[{i}]: note: the short form "
                    f"'{entry}' records no change, so it settles any later one of this person; the long form "
                    f"{{person: {entry}, from: <type>, to: <type>}} (the snippet the review item proposes) settles "
                    "only the change it was written for")
    return notes
