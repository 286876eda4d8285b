"""Account types: IdP group -> Sigma account type, precedence, default, upgrades and downgrades.

The IdP sends the account type as SCIM ``userType`` and Sigma applies it to a
linked member, overriding what was set in Sigma; the value must equal the
account type name exactly, case-sensitively (docs/sigma-api.md §5.2, §5.3). So:

- every account type the policy names is checked against the organization's
  ``accountTypeName`` list when the export has it (:func:`validate_names`,
  a :class:`~planner.policy.PolicyError` with a "did you mean");
- a user's type comes from, first that applies: ``account_types.overrides``;
  the mapped groups they are in (nested groups flattened), the highest in
  ``precedence`` when several (a user in two mapped groups whose types
  ``precedence`` does not order stops the plan with a policy error); the
  ``default`` (an account type, or ``keep`` the current one; created users get
  ``new_user_default``);
- each linked member's change is ``unchanged``, ``upgrade``, ``downgrade``
  (by ``precedence``, else by the built-in ranking of Sigma's default types) or
  ``custom_replacement``: a change from or to a type neither ranks (a custom
  account type such as "Finance Power User" replaced by "Analyze"), which no
  ranking can call an upgrade or a downgrade; leaving Admin is always a
  downgrade and reaching it an upgrade (Admin is above every type);
- downgrades follow ``on_downgrade``; downgrades of admins are blocking unless
  listed in ``acknowledged_downgrades``; custom replacements follow
  ``on_custom_replacement`` (``acknowledged_replacements``). An entry
  ``{person, from, to}`` settles only the change it records; one of the
  person's that no longer fits (another change) is named by the blocking
  item (:class:`Acknowledgment`); the short form (a person) settles any;
- the protected people (``organization.scim_setup_admin``,
  ``api_credential_owner``) never lose an admin type in the plan: the SCIM
  token and the REST credentials stop working (docs/sigma-api.md §5.1, §1.2). They
  keep their current type, and a blocking ``account_types.protected_account``
  item says the IdP must assign it too (else its next push applies the change
  anyway); an ``overrides`` entry with the admin type (the IdP's individual
  assignment) settles it.

Each rule is a pure function of one :class:`~planner.directory.Person`, the :class:`TypeSettings`
(the policy read against the :class:`~planner.directory.Directory` once, by :func:`settings`) and
the directory: :func:`decide_type` returns a :class:`TypeDecision`, :func:`type_outcome` adds its
action and review item; :func:`planner.planning.fold_account_types` folds them in.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Collection, Iterable, Mapping, Sequence

import msgspec

from ..did_you_mean import closest
from ..directory import PROTECTED_BECAUSE, Directory, Person
from ..model import AccountTypeSource, Action, ActionKind, Finding, ItemEvidence, ItemRef, ReviewItem, Severity, email_key
from ..payloads import UNSET, AccountTypeEvidence, AccountTypeTarget, MemberTypeState, UserTypeState
from ..outcomes import gains_admin
from ..policy import (
    KEEP, REGEX_PREFIX, AccountTypes, AcknowledgedAdminUpgrade, AcknowledgedChange, Policy, PolicyError,
    group_pattern_matcher,
)
from . import action_id, make_action, make_review, outside_policy, person_ref, yaml_snippet
from .policy_entries import EntryUse
from .since_applied import HandChange, type_changes

BUILTIN_TIERS = {
    "admin": 100,
    "build": 80,
    "pro": 80,
    "creator": 80,
    "author": 75,
    "analyze": 60,
    "essential": 60,
    "explorer": 60,
    "act": 40,
    "view": 20,
    "lite": 20,
    "viewer": 20,
}
"""Rank of Sigma's built-in account types across licence models (docs/sigma-api.md §4.2), higher = more."""

BUILTIN_NAMES = tuple(sorted(name.capitalize() for name in BUILTIN_TIERS))
"""The built-in account types as Sigma spells them (docs/sigma-api.md §4.2): ``Act``, ``Admin``, ``Build``, ..."""

TYPO_CUTOFF = 0.8
"""difflib ratio from which a policy's account type that is no built-in one is taken as a probable typo of one:
about one edit for these short names (``Builder`` / ``Build`` 0.83, ``Admins`` / ``Admin`` 0.91), while
``Analyst`` / ``Analyze`` (0.71) or ``External Viewer`` / ``Viewer`` stay custom names."""


def closest_account_type(name: str, known: Iterable[str], cutoff: float = 0.6) -> str | None:
    """The name of ``known`` that ``name`` probably means, by :func:`planner.did_you_mean.closest` (the same
    but for letter case, else a difflib ratio >= ``cutoff``, never a look-alike); ``None`` when none is
    close. The one place "did you mean" of an account type is decided (:func:`validate_names`,
    :func:`builtin_typo`)."""
    return closest(name, sorted(known), cutoff=cutoff)


def builtin_typo(name: str) -> str | None:
    """The built-in account type (:data:`BUILTIN_NAMES`) that policy account type ``name`` probably misspells:
    the same but for letter case (Sigma matches ``userType`` case-sensitively, docs/sigma-api.md §5.2), or
    within :data:`TYPO_CUTOFF`; ``None`` for a built-in name as spelled, or one far from every built-in name
    (a custom type)."""
    if name in BUILTIN_NAMES:
        return None
    return closest_account_type(name, BUILTIN_NAMES, TYPO_CUTOFF)


def policy_type_names(at: AccountTypes) -> list[tuple[tuple, str]]:
    """Every account type name ``account_types`` writes, with its policy location (``group_map``,
    ``precedence``, ``default``, ``new_user_default``, ``overrides``, ``several_type_groups_confirmed``), in that
    order."""
    named: list[tuple[tuple, str]] = []
    named += [(("account_types", "group_map", group), t) for group, t in at.group_map.items()]
    named += [(("account_types", "precedence", i), t) for i, t in enumerate(at.precedence)]
    if at.default != KEEP:
        named.append((("account_types", "default"), at.default))
    if at.new_user_default is not None:
        named.append((("account_types", "new_user_default"), at.new_user_default))
    named += [(("account_types", "overrides", who), t) for who, t in at.overrides.items()]
    named += [(("account_types", "several_type_groups_confirmed", who), t)
              for who, t in at.several_type_groups_confirmed.items()]
    return named


def typo_message(name: str, builtin: str) -> str:
    """How a probable typo of a built-in account type is said (in items and ``check``)."""
    return f"{name!r} is no built-in account type: did you mean {builtin!r}?"


SAME_RANK = "change"
""":func:`classify`'s word for a change between two built-in account types of one rank (:data:`BUILTIN_TIERS`:
``Creator`` -> ``Build``): neither an upgrade nor a downgrade, the person row's ``type_change`` ``change``
(:class:`~planner.model.TypeChange`)."""

CHANGE_LABEL = {"custom_replacement": "custom-type replacement", SAME_RANK: "change within one rank"}
"""How an action's reason names a change category (the others by their own name)."""


def builtin_tier(name: str, custom: Collection[str] = ()) -> int | None:
    """The :data:`BUILTIN_TIERS` rank of a built-in account type; ``None`` for a custom one (not
    a built-in name, or one the organization marks ``isCustom``, docs/sigma-api.md §4.1)."""
    return None if name in custom else BUILTIN_TIERS.get(name.casefold())


def rank(name: str | None, precedence: list[str], custom: Collection[str] = (),
         admin: Collection[str] = ()) -> tuple[int, int] | None:
    """Sort key of an account type, higher = more privileged: (1, -position) when in
    ``precedence``, (0, tier) for a built-in type or one of ``admin`` (``guards.admin_account_types``
    case-folded: :data:`ADMIN_TIER`), ``None`` when unranked."""
    if name is None:
        return None
    if name in precedence:
        return (1, -precedence.index(name))
    if name.casefold() in admin:
        return (0, ADMIN_TIER)
    tier = builtin_tier(name, custom)
    return (0, tier) if tier is not None else None


ADMIN_TIER = max(BUILTIN_TIERS.values())


def classify(before: str | None, after: str | None, precedence: list[str], custom: Collection[str] = (),
             admin: Collection[str] = ()) -> str:
    """``unchanged`` | ``upgrade`` | ``downgrade`` | ``change`` (:data:`SAME_RANK`) | ``custom_replacement``.

    First by ``admin`` (``guards.admin_account_types`` case-folded): leaving an admin type for a
    non-admin one is a ``downgrade`` and the reverse an ``upgrade``, whatever ``precedence`` says
    (an admin's privileges are the ones the guards protect). Then by ``precedence`` when it lists
    both types, else by :data:`BUILTIN_TIERS` when both are built-in: two built-in types of one
    tier (``Creator`` -> ``Build``, docs/policy.md "account_types": Build = Pro = Creator) are a
    ``change`` ranked neither up nor down (was: a downgrade, counted by ``guards.thresholds.downgrades``
    and blocking under ``on_downgrade: review``; tester18 finding 11). A change from or to a type neither orders is a
    ``custom_replacement`` (``"Finance Power User"`` -> ``"Analyze"``), except that leaving
    Admin is a ``downgrade`` and reaching it an ``upgrade``. ``custom``: names the organization
    marks ``isCustom`` (never ranked as built-in).
    """
    if before is None or after is None or before == after:
        return "unchanged"
    was, now = before.casefold() in admin, after.casefold() in admin
    if was != now:
        return "downgrade" if was else "upgrade"
    if before in precedence and after in precedence:
        return "upgrade" if precedence.index(after) < precedence.index(before) else "downgrade"
    b, a = builtin_tier(before, custom), builtin_tier(after, custom)
    if b is not None and a is not None:
        if a == b:
            return "unchanged" if before.casefold() == after.casefold() else SAME_RANK
        return "upgrade" if a > b else "downgrade"
    if b == ADMIN_TIER:
        return "downgrade"
    if a == ADMIN_TIER:
        return "upgrade"
    return "custom_replacement"


class Mapped(msgspec.Struct, frozen=True):
    """What ``account_types.group_map`` says of one IdP user: ``account_type`` (the highest in
    ``precedence`` when their mapped groups map to several), ``several`` (they do), ``groups``
    (the displayNames of all their mapped groups, sorted), ``giving`` (those of ``groups`` that map to
    ``account_type``)."""

    account_type: str
    several: bool
    groups: tuple[str, ...]
    giving: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class NestedType:
    """An IdP user whose account type flattening would decide, under an IdP that provisions direct
    members only: ``account_type`` (what flattening gives), ``direct_type`` (what their direct
    groups give, ``None``: no mapped group), ``chain`` (the mapped group, then the nesting down to
    the group holding them; displayNames)."""

    account_type: str
    direct_type: str | None
    chain: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class TypeSettings:
    """The ``account_types`` policy read against the directory, once per plan.

    ``mapped``: IdP id -> :class:`Mapped` (the people to type only, by the members the IdP
    provisions: :meth:`~planner.directory.Directory.pushed_member_ids`); ``nested``: IdP id ->
    :class:`NestedType` of those whose type depended on nesting (:func:`nested_types`); ``overrides``: person key
    (``m:<memberId>`` / ``i:<IdP id>``) -> account type; ``acknowledged`` /
    ``acknowledged_replacements`` / ``acknowledged_admin_upgrades``: person key -> the :class:`Acknowledgment`
    entries of ``acknowledged_downgrades`` / ``acknowledged_replacements`` / ``acknowledged_admin_upgrades``
    naming them; ``protected``: memberId -> ``organization.<key>``; ``admin``:
    ``guards.admin_account_types`` case-folded; ``custom``: the organization's ``isCustom`` names.
    """

    policy: AccountTypes
    mapped: Mapping[str, Mapped]
    nested: Mapping[str, "NestedType"]
    overrides: Mapping[str, str]
    acknowledged: Mapping[str, tuple["Acknowledgment", ...]]
    acknowledged_replacements: Mapping[str, tuple["Acknowledgment", ...]]
    acknowledged_admin_upgrades: Mapping[str, tuple["Acknowledgment", ...]]
    protected: Mapping[str, str]
    admin: frozenset[str]
    custom: frozenset[str]
    gained_since: Mapping[str, HandChange] = field(default_factory=dict)
    """memberId -> the :class:`~planner.rules.since_applied.HandChange` of an admin type (``admin``) a member holds
    since the plan given to ``plan --applied`` saw them with a type that is none (:func:`planner.rules.since_applied.
    type_changes`: not a run's write; the IdP's push through SCIM, or a Sigma admin): weighed as the upgrade it is
    (:func:`decide_type`, tester22 finding 4)."""


AcknowledgedEntry = str | AcknowledgedChange | AcknowledgedAdminUpgrade
"""An entry of an acknowledgment list: a person (short form), or a long form recording the change."""


@dataclass(frozen=True, slots=True)
class Acknowledgment:
    """One ``account_types.acknowledged_downgrades`` / ``acknowledged_replacements`` /
    ``acknowledged_admin_upgrades`` entry as the settling reads it: ``name`` (the list's key), ``text`` as the
    policy writes it, and the change it records, ``before`` -> ``after`` (account types in the organization's
    spelling, compared exactly as Sigma compares ``userType``, docs/sigma-api.md §5.2; ``before`` ``None`` in an
    admin upgrade's entry, which records the type gained only; both ``None``: the short form, which records
    none); ``recorded``: the long form."""

    name: str
    text: str
    before: str | None = None
    after: str | None = None
    index: int = 0
    """The entry's place in its list (``account_types.<name>[index]``: :mod:`.policy_entries`)."""
    recorded: bool = False

    @classmethod
    def of(cls, name: str, entry: AcknowledgedEntry, index: int = 0) -> "Acknowledgment":
        """The acknowledgment of entry ``index`` of list ``name`` (a person, :class:`AcknowledgedChange` or
        :class:`AcknowledgedAdminUpgrade`)."""
        if isinstance(entry, str):
            return cls(name, entry, index=index)
        return cls(name, entry.text(), entry.from_, entry.to, index, True)

    def fits(self, before: str | None, after: str | None) -> bool:
        """Whether the entry settles the change ``before`` -> ``after``: the short form any, the long form
        only its own (an admin upgrade's, any whose ``after`` is its type)."""
        return not self.recorded or ((self.before is None or self.before == before) and self.after == after)

    def change(self) -> str:
        """The change the long form records, as items name it: ``Admin -> Build``, ``gaining Admin``."""
        return f"{self.before} -> {self.after}" if self.before is not None else f"gaining {self.after}"


@dataclass(frozen=True, slots=True)
class Acknowledged:
    """What a person's acknowledgments say of one change: ``settled`` (an entry fits it), and the
    long-form ``stale`` entries naming the person that record another change (named by the blocking item
    when none fits)."""

    settled: bool
    stale: tuple[Acknowledgment, ...] = ()


class TypeDecision(msgspec.Struct, frozen=True):
    """The account type of one person who will be provisioned.

    ``before``: their current type in the organization's spelling (``None`` for a create);
    ``after``: the userType to send (``None``: send none); ``source``: ``overrides`` |
    ``group_map`` | ``precedence`` | ``idp_user_type`` | ``default`` | ``keep`` | ``new_user_default`` |
    ``scim_state`` (SCIM's type, kept by ``linking.scim_state_conflicts``); ``change``:
    :func:`classify`'s word (``unchanged`` for creates and for a protected admin the plan keeps);
    ``groups``: their mapped groups (sorted; only when the type changes); ``wanted``: the type the
    policy wanted for a protected admin the plan keeps (``None`` otherwise); ``type_groups``: their
    mapped groups that give ``after`` (sorted; empty: no type group of theirs does, the IdP must assign
    it individually: :attr:`sent_by`); ``admin_gain``: ``after`` is an admin type
    (``guards.admin_account_types``) the person holds none of today (:func:`planner.outcomes.gains_admin`: an
    upgrade, a create or a reactivation born with one, a guest converted into one), which the blocking
    ``account_types.admin_upgrade`` item asks about (:func:`admin_upgrade_item`).
    """

    person: str
    member_id: str | None
    idp_id: str | None
    before: str | None
    after: str | None
    source: str
    change: str
    groups: tuple[str, ...] = ()
    wanted: str | None = None
    type_groups: tuple[str, ...] = ()
    admin_gain: bool = False
    gained_since: HandChange | None = None
    """The admin type ``before`` holds was gained since the plan given to ``plan --applied`` saw the member with
    another type, not by a run (:attr:`TypeSettings.gained_since`): ``admin_gain`` then, as before that change."""

    @property
    def sent_by(self) -> AccountTypeSource:
        """How the IdP comes to send ``after`` (:class:`~planner.model.AccountTypeSource`): ``source``, or
        ``protected`` for a protected admin kept at their type, and :attr:`type_groups`."""
        return AccountTypeSource("protected" if self.wanted is not None else self.source, self.type_groups)


class TypeOutcome(msgspec.Struct, frozen=True):
    """A person's :class:`TypeDecision` with its ``scim.set_account_type`` action and review item, and the
    ``account_types.admin_upgrade`` item of an admin type gained (:func:`admin_upgrade_item`)."""

    decision: TypeDecision
    action: Action | None = None
    review_item: ReviewItem | None = None
    admin_upgrade: ReviewItem | None = None


def unknown_names(policy: Policy, known: Iterable[str]) -> list[tuple[tuple, str]]:
    """``(policy location, message)`` of each account type name ``policy`` writes that is not one of ``known`` (the
    export's ``accountTypeName`` list, docs/sigma-api.md §4.1): those of ``account_types`` in
    :func:`policy_type_names` order, matched as spelled (Sigma matches userType case-sensitively), then the
    ``guards.admin_account_types`` the policy writes itself, matched ignoring letter case as the guards read
    them (an admin type the organization does not have counts no one, so the guards it names protect no one:
    tester12 finding 7g; the default ``[Admin]`` is Sigma's own, never checked). Each message names the closest
    known name (:func:`closest_account_type`): the one text ``plan`` refuses with (:func:`validate_names`) and
    ``check`` reports (:func:`typo_findings`)."""
    known = set(known)
    folded = {name.casefold() for name in known}
    named = [(loc, name, "(Sigma matches userType case-sensitively)")
             for loc, name in policy_type_names(policy.account_types) if name not in known]
    if "admin_account_types" in policy.guards.model_fields_set:
        named += [(("guards", "admin_account_types", i), name, "(so the guards would count no one of it as admin)")
                  for i, name in enumerate(policy.guards.admin_account_types) if name.casefold() not in folded]
    found = []
    for loc, name, why in named:
        close = closest_account_type(name, known)
        hint = f"; did you mean {close!r}?" if close else ""
        found.append((loc, f"{name!r} is not an account type of this organization {why}{hint} "
                           f"Known: {', '.join(sorted(known))}"))
    return found


def validate_names(policy: Policy, directory: Directory) -> None:
    """Raise :class:`~planner.policy.PolicyError` for the first account type the organization does not have
    (:func:`unknown_names`). Skipped when the Sigma export has no ``account_types.json``.
    """
    if directory.account_type_names is None:
        return
    for loc, message in unknown_names(policy, directory.account_type_names):
        raise policy.error(loc, message)


ACCOUNT_TYPES_FIX = ("fetch the Sigma export again (`sigma-migrate fetch` writes account_types.json from GET "
                     "/v2/accountTypes), or add that file to the export, then plan again")
"""What settles ``account_types.names_unchecked`` (no policy setting does)."""


def names_unchecked_item(policy: AccountTypes, directory: Directory) -> ReviewItem | None:
    """The blocking ``account_types.names_unchecked`` item when the policy names account types and the export
    has no ``account_types.json`` to check them against: the plan cannot know whether the organization has
    them, nor their exact letter case (Sigma matches userType case-sensitively and refuses a name it does not
    know, docs/sigma-api.md §5.2), so it does not guess (tester8 finding 19); settled outside the policy
    (:data:`ACCOUNT_TYPES_FIX`). Members' own types kept are the export's ``memberType`` as spelled."""
    if directory.account_type_names is not None or not (policy.group_map or policy.default != KEEP
                                                        or policy.overrides):
        return None
    named = set(policy.group_map.values()) | set(policy.overrides.values())
    typos = dict.fromkeys(f"; {typo_message(t, b)}" for _, t in policy_type_names(policy) if (b := builtin_typo(t)))
    return make_review(
        "account_types.names_unchecked",
        "account_types",
        blocking=True,
        subject=ItemRef(account_types=sorted(named | ({policy.default} if policy.default != KEEP else set()))),
        message=(
            "the Sigma export has no account_types.json, so the plan cannot know whether the organization has the "
            "account types the policy names, nor how Sigma spells them; Sigma matches userType case-sensitively "
            "and rejects a name it does not know" + "".join(typos) + f": {ACCOUNT_TYPES_FIX}"
        ),
        rule="account_types.group_map",
        resolution=outside_policy(ACCOUNT_TYPES_FIX),
    )


def typo_findings(policy: Policy, known: Iterable[str] | None = None) -> list[Finding]:
    """What ``check`` says about the account type names of ``policy``, as ``plan`` would, at their policy lines.

    ``known``: the export's account type names (``account_types.json``), ``None`` without that file. With it,
    one ``unknown-account-type`` error per name the organization does not have, the message ``plan`` refuses
    with (:func:`unknown_names`); without it, one ``account-type-typo`` warning per name that probably misspells
    a built-in one (:func:`builtin_typo`), as the plan's items say.
    """
    if known is not None:
        return [Finding(Severity.ERROR, "unknown-account-type", policy.location(*loc), "",
                        ".".join(str(part) for part in loc), message)
                for loc, message in unknown_names(policy, known)]
    found = []
    for loc, name in policy_type_names(policy.account_types):
        builtin = builtin_typo(name)
        if builtin:
            found.append(Finding(Severity.WARNING, "account-type-typo", policy.location(*loc), "",
                                 ".".join(str(part) for part in loc), typo_message(name, builtin)))
    return found


def person_keys(ref: str, directory: Directory) -> set[str]:
    """The person keys (``m:<memberId>``, ``i:<IdP id>``) a policy reference names: by email key
    (members; IdP users by stored or sent userName), memberId or IdP id."""
    key = email_key(ref)
    keys = {"m:" + mid for mid in directory.member_ids_by_email_key.get(key, ())}
    keys |= {"i:" + iid for iid in directory.idp_ids_by_user_name_key.get(key, ())}
    keys |= {"i:" + iid for iid in directory.idp_ids_by_scim_user_name_key.get(key, ())}
    if ref in directory.members:
        keys.add("m:" + ref)
    if ref in directory.idp_users:
        keys.add("i:" + ref)
    return keys


def mapped_groups(policy: AccountTypes, directory: Directory) -> dict[str, tuple[str, str]]:
    """group id -> (displayName, account type) of every group ``group_map`` maps, in the
    directory's order (a group the first matching entry takes)."""
    found: dict[str, tuple[str, str]] = {}
    for pattern, account_type in policy.group_map.items():
        match = group_pattern_matcher(pattern)
        for gid, group in directory.groups.items():
            if gid not in found and match(group.display_name):
                found[gid] = (group.display_name, account_type)
    return {gid: found[gid] for gid in directory.groups if gid in found}


def mapped_types(policy: Policy, directory: Directory, idp_ids: Collection[str]) -> dict[str, Mapped]:
    """IdP id -> :class:`Mapped` for the users in ``idp_ids`` who are in a mapped group.

    Raises :class:`~planner.policy.PolicyError` when a user's mapped groups map to types
    ``precedence`` does not order (:func:`precedence_error`).
    """
    types_of: dict[str, list[tuple[str, str]]] = {}  # IdP user -> (type, group) of their mapped groups, in order
    single: dict[tuple[str, str], Mapped] = {}  # one frozen record per mapped group, shared by its users in no other
    for gid, (name, account_type) in mapped_groups(policy.account_types, directory).items():
        pair = (account_type, name)
        single[pair] = Mapped(account_type, False, (name,), (name,))
        for iid in directory.pushed_member_ids(gid):
            if iid in idp_ids:
                found = types_of.get(iid)
                if found is None:
                    types_of[iid] = [pair]
                else:
                    found.append(pair)
    precedence = policy.account_types.precedence
    rank_of = {t: i for i, t in enumerate(precedence)}
    out: dict[str, Mapped] = {}
    unordered: dict[str, list[tuple[str, str]]] = {}
    for iid, pairs in types_of.items():
        if len(pairs) == 1:
            out[iid] = single[pairs[0]]
            continue
        seen = list(dict.fromkeys(t for t, _ in pairs))
        several = len(seen) > 1
        if several and any(t not in rank_of for t in seen):
            unordered[iid] = pairs
        chosen = min(seen, key=lambda t: rank_of.get(t, len(precedence))) if several else seen[0]
        out[iid] = Mapped(chosen, several, tuple(sorted({g for _, g in pairs})),
                          tuple(sorted({g for t, g in pairs if t == chosen})))
    if unordered:
        raise precedence_error(policy, directory, unordered, sum(m.several for m in out.values()))
    return out


def precedence_error(policy: Policy, directory: Directory, unordered: Mapping[str, list[tuple[str, str]]],
                     several: int) -> PolicyError:
    """The policy error for users in mapped groups of types ``precedence`` does not order, naming the
    first by userName (``several``: how many users are in several mapped groups). Its example lists the
    types highest first by Sigma's built-in ranking (:data:`BUILTIN_TIERS`; custom types after them by
    name), so copying it never ranks a cheaper type above a dearer one (tester8 finding 10)."""
    users = directory.idp_users
    first = min(unordered, key=lambda i: (users[i].user_name_key or email_key(users[i].user_name), i))
    group_of: dict[str, str] = {}
    for account_type, group in unordered[first]:
        group_of.setdefault(account_type, group)
    types = sorted(group_of, key=lambda t: (-(tier if (tier := builtin_tier(t)) is not None else -1), t))
    pairs = ", ".join(f"{group_of[t]} ({t})" for t in types)
    loc = ("account_types", "precedence") if policy.account_types.precedence else ("account_types",)
    return policy.error(
        loc,
        f"IdP user {users[first].user_name} is in mapped groups {pairs} and account_types.precedence does "
        f"not order {' and '.join(types)} ({several} user(s) are in several mapped groups); list the types highest "
        f"first, e.g. precedence: [{', '.join(types)}]",
    )


def nested_types(policy: Policy, directory: Directory, mapped: Mapping[str, Mapped], idp_ids: Collection[str]
                 ) -> dict[str, NestedType]:
    """IdP id -> :class:`NestedType` of the users in ``idp_ids`` whose account type flattening would
    change (``teams.flatten_nested`` on, an IdP that provisions direct members only: Entra ID): a
    mapped group holds them only through a nested group, and the highest type by ``precedence`` of
    all their mapped groups is not their type from direct members (or ``precedence`` does not order
    them). Empty for other IdPs."""
    if not (directory.direct_members_only and policy.teams.flatten_nested):
        return {}
    found: dict[str, list[tuple[str, tuple[str, ...]]]] = {}
    for gid, (name, account_type) in mapped_groups(policy.account_types, directory).items():
        for iid, path in directory.groups[gid].nested_only.items():
            if iid in idp_ids:
                found.setdefault(iid, []).append((account_type, (name,) + path))
    rank_of = {t: i for i, t in enumerate(policy.account_types.precedence)}
    out = {}
    for iid, reached in found.items():
        direct = mapped.get(iid)
        types = list(dict.fromkeys([direct.account_type] if direct else []) | dict.fromkeys(t for t, _ in reached))
        flattened = min(types, key=lambda t: rank_of.get(t, len(rank_of))) if len(types) > 1 else types[0]
        if direct is None or flattened != direct.account_type or (len(types) > 1 and any(t not in rank_of
                                                                                        for t in types)):
            chain = next((c for t, c in reached if t == flattened), reached[0][1])
            out[iid] = NestedType(flattened, direct.account_type if direct else None, chain)
    return out


def settings(policy: Policy, directory: Directory, people: Iterable[Person]) -> TypeSettings:
    """:class:`TypeSettings` of ``policy`` for ``people`` (the persons to type). Raises
    :class:`~planner.policy.PolicyError` (:func:`validate_names`, :func:`mapped_types`)."""
    validate_names(policy, directory)
    at = policy.account_types
    overrides: dict[str, str] = {}
    for ref, account_type in at.overrides.items():
        for key in person_keys(ref, directory):
            overrides[key] = account_type

    idp_ids = {p.idp_user.id for p in people if p.idp_user is not None}
    mapped = mapped_types(policy, directory, idp_ids)
    admin = frozenset(t.casefold() for t in policy.guards.admin_account_types)
    return TypeSettings(
        policy=at,
        mapped=mapped,
        nested=nested_types(policy, directory, mapped, idp_ids),
        overrides=overrides,
        acknowledged=acknowledgments("acknowledged_downgrades", at.acknowledged_downgrades, directory),
        acknowledged_replacements=acknowledgments("acknowledged_replacements", at.acknowledged_replacements,
                                                  directory),
        acknowledged_admin_upgrades=acknowledgments(ADMIN_UPGRADES, at.acknowledged_admin_upgrades, directory),
        protected=directory.protected_members(policy),
        admin=admin,
        custom=directory.custom_account_types,
        gained_since={c.object_id: c for c in type_changes(directory)
                      if c.now.casefold() in admin and c.seen.casefold() not in admin},
    )


def acknowledgments(name: str, entries: Iterable[AcknowledgedEntry], directory: Directory
                    ) -> dict[str, tuple[Acknowledgment, ...]]:
    """Person key (:func:`person_keys`) -> the :class:`Acknowledgment` entries of list ``name`` naming them,
    in policy order."""
    out: dict[str, tuple[Acknowledgment, ...]] = {}
    for i, entry in enumerate(entries):
        ack = Acknowledgment.of(name, entry, i)
        for key in person_keys(entry if isinstance(entry, str) else entry.person, directory):
            out[key] = out.get(key, ()) + (ack,)
    return out


def target_type(person: Person, before: str | None, config: TypeSettings) -> tuple[str | None, str]:
    """``(account type to send, its source)`` for ``person`` (current type ``before``): the policy's
    (:func:`policy_type`), except that when it is not SCIM's ``userType`` that ``linking.scim_state_conflicts``
    keeps (``newer: scim_state``: :attr:`~planner.directory.Person.scim_user_type`, decided once by
    :func:`planner.rules.scim_state.kept_by_scim_state`), SCIM's type, source ``scim_state`` (tester10 finding 1:
    the settled conflict kept Admin while this family planned, and the report and hand-off said, View)."""
    after, source = policy_type(person, before, config)
    kept = person.scim_user_type
    if kept is not None and after is not None and kept != after:
        return kept, "scim_state"
    return after, source


def policy_type(person: Person, before: str | None, config: TypeSettings) -> tuple[str | None, str]:
    """``(account type to send, its source)`` for ``person`` (current type ``before``) by the policy, first
    that applies: an override (by memberId key, then IdP id), the mapped groups, the account type the IdP export
    says the IdP sends them (:data:`IDP_USER_TYPE`: :attr:`~planner.model.IdpUser.account_type`), ``default``,
    the current type (``keep``), ``new_user_default``."""
    user = person.idp_user
    iid = user.id if user is not None else None
    if config.overrides:
        override = config.overrides.get(person.person)
        if override is None and iid is not None:
            override = config.overrides.get("i:" + iid)
        if override is not None:
            return override, "overrides"
    mapped = config.mapped.get(iid)
    if mapped is not None:
        return mapped.account_type, "precedence" if mapped.several else "group_map"
    if user is not None and user.account_type is not None:
        return user.account_type, IDP_USER_TYPE  # the IdP's own value wins under SCIM (docs/sigma-api.md §5.3)
    at = config.policy
    if at.default != KEEP:
        return at.default, "default"
    if person.member is not None:
        return before, "keep"
    return at.new_user_default, "new_user_default"


def decide_type(person: Person, config: TypeSettings, directory: Directory) -> TypeDecision:
    """The :class:`TypeDecision` of ``person`` (linked, reactivated, converted or created). A
    protected admin the policy would take out of the admin types keeps their type (``wanted`` says
    what the policy wanted; :func:`protected_item`); ``admin_gain`` by :func:`planner.outcomes.gains_admin`."""
    decision = _decide_type(person, config, directory)
    after = decision.after
    if after is not None and after.casefold() in config.admin and gains_admin(
            decision.before, after, member_status(person), config.admin):
        return msgspec.structs.replace(decision, admin_gain=True)
    since = config.gained_since.get(decision.member_id or "")
    if since is not None and after is not None and after.casefold() == since.now.casefold():
        return msgspec.structs.replace(decision, admin_gain=True, gained_since=since)  # kept as the push left it
    return decision


def member_status(person: Person) -> str | None:
    """``sigma_status`` of ``person``'s member as a person row spells it (``active``, ``archived``, ``inactive``);
    ``None`` for an IdP user with no member."""
    member = person.member
    if member is None:
        return None
    return "archived" if member.is_archived else "inactive" if member.is_inactive else "active"


def _decide_type(person: Person, config: TypeSettings, directory: Directory) -> TypeDecision:
    member, user = person.member, person.idp_user
    iid = user.id if user is not None else None
    mapped = config.mapped.get(iid)
    if member is None:
        after, source = target_type(person, None, config)
        return TypeDecision(person.person, None, iid, None, after, source, "unchanged",
                            type_groups=giving_groups(mapped, after))
    mid = member.member_id
    before = directory.member_account_types[mid]
    after, source = target_type(person, before, config)
    if after is None or before == after:
        return TypeDecision(person.person, mid, iid, before, after, source, "unchanged",
                            type_groups=giving_groups(mapped, after))
    change = classify(before, after, config.policy.precedence, config.custom, config.admin)
    groups = mapped.groups if mapped is not None and change != "unchanged" else ()
    if mid in config.protected and is_admin_loss(before, after, config.admin):
        return TypeDecision(person.person, mid, iid, before, before, source, "unchanged", groups, after,
                            giving_groups(mapped, before))
    return TypeDecision(person.person, mid, iid, before, after, source, change, groups,
                        type_groups=giving_groups(mapped, after))


def giving_groups(mapped: Mapped | None, account_type: str | None) -> tuple[str, ...]:
    """The mapped groups of a person (``mapped``) that give ``account_type``: what the IdP sends them by
    group assignment; ``()`` when none does (an override, the default, a kept type, a protected admin
    kept against their groups), so the IdP must assign the type to them individually."""
    if mapped is None or account_type is None or mapped.account_type != account_type:
        return ()
    return mapped.giving


def is_admin_loss(before: str | None, after: str | None, admin: Collection[str]) -> bool:
    """Whether going from ``before`` to ``after`` leaves the admin types (``admin``, case-folded)."""
    return (before or "").casefold() in admin and (after or "").casefold() not in admin


def type_outcome(person: Person, config: TypeSettings, directory: Directory) -> TypeOutcome:
    """:func:`decide_type` with the ``scim.set_account_type`` action of a change and its review item
    (``on_downgrade``, ``on_custom_replacement``, or the protected admin's)."""
    decision = decide_type(person, config, directory)
    if decision.wanted is not None:
        return TypeOutcome(decision, None, protected_item(decision, config, directory))
    upgrade = (admin_upgrade_item(person, decision, config, person_acknowledged(
        person, decision, config.acknowledged_admin_upgrades)) if decision.admin_gain else None)
    if decision.change == "unchanged":
        return TypeOutcome(decision, admin_upgrade=upgrade)
    member = directory.members[decision.member_id]
    evidence = type_evidence(decision, member.member_type, config)
    action = set_type_action(decision, member.email, evidence)
    if decision.change == "custom_replacement":
        return TypeOutcome(decision, action, custom_replacement_item(
            decision, member.email, evidence, config,
            person_acknowledged(person, decision, config.acknowledged_replacements)), upgrade)
    if decision.change == "downgrade":
        return TypeOutcome(decision, action, downgrade_item(decision, member.email, evidence, config,
                                                            person_acknowledged(person, decision, config.acknowledged)),
                           upgrade)
    return TypeOutcome(decision, action, admin_upgrade=upgrade)


def person_acknowledged(person: Person, decision: TypeDecision, table: Mapping[str, tuple[Acknowledgment, ...]]
                        ) -> Acknowledged:
    """What an acknowledgment list (``table``: :attr:`TypeSettings.acknowledged`, ``acknowledged_replacements`` or
    ``acknowledged_admin_upgrades``) says of ``person``'s change (``decision``): settled when an entry naming them
    (by memberId key or IdP id) fits it (:meth:`Acknowledgment.fits`), else the long-form entries naming them,
    which record another change."""
    entries = table.get(person.person, ()) + table.get("i:" + (person.idp_id or ""), ())
    if any(e.fits(decision.before, decision.after) for e in entries):
        return Acknowledged(True)
    return Acknowledged(False, tuple(dict.fromkeys(e for e in entries if e.recorded)))


ACKNOWLEDGED_CHANGES = {"downgrade": "acknowledged_downgrades", "custom_replacement": "acknowledged_replacements"}
"""The change each acknowledgment list answers (:attr:`TypeDecision.change`); ``acknowledged_admin_upgrades``
answers :attr:`TypeDecision.admin_gain`."""

ADMIN_UPGRADES = "acknowledged_admin_upgrades"
"""The list that settles ``account_types.admin_upgrade`` (:class:`~planner.policy.AcknowledgedAdminUpgrade`)."""


def scim_state_use(person: Person, decision: TypeDecision) -> EntryUse | None:
    """The ``linking.scim_state_conflicts`` entry (:attr:`~planner.directory.Person.scim_type_entry`) that settled
    ``person``'s type (``decision`` of source ``scim_state``: :func:`target_type`), as a use (:mod:`.policy_entries`);
    ``None`` when their type is the policy's."""
    if decision.source != "scim_state" or person.scim_type_entry is None:
        return None
    return EntryUse("linking.scim_state_conflicts", person.scim_type_entry,
                    f"SCIM's userType {decision.after} of {decision.member_id}")


def acknowledgment_uses(decisions: Iterable[TypeDecision], config: TypeSettings) -> list[EntryUse]:
    """The ``acknowledged_downgrades`` / ``acknowledged_replacements`` / ``acknowledged_admin_upgrades`` entries
    consulted for the changes the plan makes (:mod:`.policy_entries`): every entry naming a person whose
    ``decisions`` plan a change of the kind it answers (:data:`ACKNOWLEDGED_CHANGES`; an admin type gained,
    :attr:`TypeDecision.admin_gain`, for :data:`ADMIN_UPGRADES`), whether it fits that change or is named as stale by the item
    (:func:`person_acknowledged` reads the same entries). An entry naming nobody whose change is planned settles
    nothing. A protected admin the plan keeps at their type (:attr:`TypeDecision.wanted`) is asked about the change
    the policy wanted: both lists' entries naming them are consulted. Every entry naming someone is reported
    too, as settling nothing (why: no such change of theirs), which a use above outweighs. Without entries, empty
    and the decisions not read (was: every person's read, 92,778 at 100k members; s22)."""
    uses = []
    tables = {"acknowledged_downgrades": config.acknowledged,
              "acknowledged_replacements": config.acknowledged_replacements,
              ADMIN_UPGRADES: config.acknowledged_admin_upgrades}
    if not any(tables.values()):
        return uses
    for d in decisions:
        names = list(ACKNOWLEDGED_CHANGES.values()) if d.wanted is not None else (
            [ACKNOWLEDGED_CHANGES[d.change]] if d.change in ACKNOWLEDGED_CHANGES else [])
        names += [ADMIN_UPGRADES] if d.admin_gain else []
        after = d.wanted if d.wanted is not None else d.after
        for name in names:
            table = tables[name]
            for e in table.get(d.person, ()) + table.get("i:" + (d.idp_id or ""), ()):
                uses.append(EntryUse(f"account_types.{name}", e.index,
                                     f"{d.before or 'no account'} -> {after} of {d.member_id or d.idp_id}"))
    for name, table in tables.items():
        why = {"acknowledged_downgrades": "the plan makes no downgrade of the person it names",
               "acknowledged_replacements": "the plan makes no custom replacement of the person it names",
               ADMIN_UPGRADES: "the plan gives the person it names no admin account type they do not hold today"}[name]
        for e in dict.fromkeys(e for entries in table.values() for e in entries):
            uses.append(EntryUse(f"account_types.{name}", e.index, "", why))
    return uses


def held_acknowledgment_uses(policy: Policy, directory: Directory, decisions: Iterable[TypeDecision],
                             held: Iterable[ReviewItem]) -> list[EntryUse]:
    """The ``acknowledged_downgrades`` / ``acknowledged_replacements`` / ``acknowledged_admin_upgrades`` entries
    naming a person whose actions a blocking item of ``held`` holds (by its subject's ``memberId`` / ``idpId``:
    the ``inputs.*`` doubts of a members answer, :func:`planner.rules.inputs.group_answer_items`), reported as
    kept for them: the change they answer may come back once the answers are saved again (doubts20: a stale
    Sigma-Admins answer kept helen.ortiz@ Admin, and her acknowledged downgrade was reported "settled nothing ...
    remove it"). Read with :func:`acknowledgment_uses` by :mod:`.policy_entries` (a use outweighs a non-use)."""
    by_ref: dict[str, str] = {}
    for item in held:
        if not item.blocking:
            continue
        for ref in (item.subject.member_id, item.subject.idp_id):
            if isinstance(ref, str) and ref:
                by_ref.setdefault(ref, item.code)
    if not by_ref:
        return []
    at = policy.account_types
    tables = {"acknowledged_downgrades": acknowledgments("acknowledged_downgrades", at.acknowledged_downgrades,
                                                         directory),
              "acknowledged_replacements": acknowledgments("acknowledged_replacements",
                                                           at.acknowledged_replacements, directory),
              ADMIN_UPGRADES: acknowledgments(ADMIN_UPGRADES, at.acknowledged_admin_upgrades, directory)}
    uses = []
    for d in decisions:
        code = by_ref.get(d.member_id or "") or by_ref.get(d.idp_id or "")
        if code is None:
            continue
        for name, table in tables.items():
            for e in table.get(d.person, ()) + table.get("i:" + (d.idp_id or ""), ()):
                uses.append(EntryUse(f"account_types.{name}", e.index, f"kept for {d.member_id or d.idp_id}, "
                                     f"whose account type {code} holds"))
    return uses


def type_evidence(decision: TypeDecision, member_type: str, config: TypeSettings) -> AccountTypeEvidence:
    """The evidence of a ``scim.set_account_type``: the change, its source and groups, the exported
    memberType when the organization spells it otherwise, ``unranked`` when a type is not ranked."""
    precedence = config.policy.precedence
    unranked = (rank(decision.before, precedence, config.custom, config.admin) is None
                or rank(decision.after, precedence, config.custom, config.admin) is None)
    return AccountTypeEvidence(
        change=decision.change, source=decision.source, groups=list(decision.groups),
        exported_member_type=member_type if member_type != decision.before else UNSET,
        unranked=True if unranked else UNSET,
    )


def type_words(name: str | None) -> str:
    """An account type as reasons and items write it: as spelled (``Analyze``), quoted when it has white space
    around it or is empty (``'Analyze '``: a type Sigma matches exactly, which unquoted reads as ``Analyze``;
    tester14a finding 10); ``None`` (no type) as ``None``."""
    if name is None:
        return "None"
    return name if name and name == name.strip() else repr(name)


def set_type_action(decision: TypeDecision, email: str, evidence: AccountTypeEvidence) -> Action:
    """``scim.set_account_type`` (SCIM ``userType``, docs/sigma-api.md §5.2), after the member's link."""
    mid = decision.member_id
    return make_action(
        ActionKind.SCIM_SET_ACCOUNT_TYPE,
        mid,
        target=AccountTypeTarget(member_id=mid, email=email, idp_id=decision.idp_id),
        before=MemberTypeState(member_type=decision.before),
        after=UserTypeState(user_type=decision.after),
        rule=f"account_types.{decision.source}",
        reason=(f"{CHANGE_LABEL.get(decision.change, decision.change)}: {type_words(decision.before)} -> "
                f"{type_words(decision.after)} "
                f"({source_text(decision.source, decision.groups)})"),
        evidence=evidence,
        depends_on=[action_id(ActionKind.SCIM_LINK_USER, mid)],
    )


def source_text(source: str, groups: Sequence[str]) -> str:
    """Where a planned account type comes from, as the action reasons and review items say it."""
    if source == "group_map":
        return f"group {', '.join(groups)}"
    if source == "precedence":
        return f"groups {', '.join(groups)}, highest by precedence"
    return SOURCE_TEXT[source]


IDP_USER_TYPE = "idp_user_type"
"""The source of a type the IdP export says the IdP sends (a SCIM export's ``userType``) where no override or
mapped group decides: the IdP's value is what Sigma applies at its next push (docs/sigma-api.md §5.3)."""

IDP_USER_TYPE_CONFLICT = "account_types.idp_user_type_conflict"
"""The blocking item of a person whose IdP export sends another account type than the policy's."""

SOURCE_TEXT = {
    IDP_USER_TYPE: "the IdP export's userType",
    "overrides": "account_types.overrides",
    "default": "no mapped group: account_types.default",
    "keep": "keep",
    "new_user_default": "account_types.new_user_default",
    "scim_state": "Sigma's SCIM state: linking.scim_state_conflicts says it is newer",
}
"""How reasons name the sources that carry no group."""


def item_evidence(evidence: AccountTypeEvidence, **setting: str | None) -> ItemEvidence:
    """The evidence of a downgrade or replacement item: its ``scim.set_account_type``'s evidence
    (``change``, ``source``, ``groups``, ``exportedMemberType``, ``unranked``, as set) and the policy
    ``setting`` that raised it (``on_downgrade=...`` or ``on_custom_replacement=...``), with
    :func:`stale_evidence`'s fields when an entry no longer applies."""
    return ItemEvidence(change=evidence.change, source=evidence.source, groups=evidence.groups,
                        exported_member_type=evidence.exported_member_type, unranked=evidence.unranked, **setting)


def acknowledge_snippet(name: str, email: str, decision: TypeDecision) -> dict:
    """The long-form entry of list ``name`` acknowledging ``decision``'s change only
    (:class:`~planner.policy.AcknowledgedChange`)."""
    return {"account_types": {name: [{"person": email, "from": decision.before, "to": decision.after}]}}


def stale_words(stale: tuple[Acknowledgment, ...]) -> tuple[str, str]:
    """``(head, tail)`` an item adds when ``stale`` entries name the person but record another change:
    the entries that no longer apply, and what to do with them (``("", "")`` when none)."""
    if not stale:
        return "", ""
    entries = ", ".join(e.text for e in stale)
    head = (f"the account_types.{stale[0].name} entr{'y' if len(stale) == 1 else 'ies'} {entries} no longer "
            f"appl{'ies' if len(stale) == 1 else 'y'} (written for "
            f"{', '.join(e.change() for e in stale)}): ")
    return head, "; the entry settles only the change it records: remove it (or write it for this change)"


def stale_evidence(stale: tuple[Acknowledgment, ...], decision: TypeDecision) -> dict:
    """The evidence an item adds for ``stale`` entries: ``staleEntry`` (the entries as written, old
    changes) and the change now planned, ``accountType`` (current) and ``policyAccountType`` (sent)."""
    if not stale:
        return {}
    return {"stale_entry": "; ".join(e.text for e in stale), "account_type": decision.before,
            "policy_account_type": decision.after}


def downgrade_item(decision: TypeDecision, email: str, evidence: AccountTypeEvidence, config: TypeSettings,
                   acknowledged: Acknowledged) -> ReviewItem | None:
    """The blocking ``account_types.downgrade`` / ``admin_downgrade`` item under ``on_downgrade``
    (an admin's downgrade needs ``acknowledged_downgrades`` even under ``allow``), or ``None``. An
    ``acknowledged_downgrades`` entry of this person recording another change is named (old change in
    ``evidence.staleEntry``, the new one in ``accountType`` -> ``policyAccountType``); the snippet is the
    long-form entry for this change (docs/policy.md "account_types")."""
    setting = config.policy.on_downgrade
    admin = is_admin_loss(decision.before, decision.after, config.admin)
    if not (setting == "block" or ((setting == "review" or admin) and not acknowledged.settled)):
        return None
    keep_type = {"account_types": {"overrides": {email: decision.before}}}
    stale = acknowledged.stale if setting != "block" else ()
    if setting == "block":
        resolution = yaml_snippet(keep_type, notes=["on_downgrade is block: keep the current type"])
    else:
        resolution = yaml_snippet(acknowledge_snippet("acknowledged_downgrades", email, decision), keep_type,
                                  notes=["accept this downgrade (the entry settles this change only):"])
    head, tail = stale_words(stale)
    return make_review(
        "account_types.admin_downgrade" if admin else "account_types.downgrade",
        decision.member_id,
        blocking=True,
        subject=person_ref(member_id=decision.member_id, email=email, idp_id=decision.idp_id),
        message=(f"{head}{email} would go from {type_words(decision.before)} to {type_words(decision.after)} "
                 f"({source_text(decision.source, decision.groups)})"
                 + ("; admins lose admin only when acknowledged" if admin else "") + tail),
        rule="account_types.on_downgrade",
        evidence=item_evidence(evidence, on_downgrade=setting, **stale_evidence(stale, decision)),
        resolution=resolution,
    )


ADMIN_UPGRADE = "account_types.admin_upgrade"
"""The blocking item of a person who would gain an admin account type (:func:`admin_upgrade_item`)."""


def group_map_key(policy: AccountTypes, group: str) -> str:
    """The ``account_types.group_map`` key that maps IdP group ``group`` (displayName): the first matching it,
    as :func:`mapped_groups` takes it."""
    return next(k for k in policy.group_map if group_pattern_matcher(k)(group))


def key_words(key: str) -> str:
    """A ``group_map`` key as an item names it: ``account_types.group_map key 'Sigma-Admins'``, and for a
    ``re:`` pattern ``..., a re: pattern``."""
    return f"account_types.group_map key {key!r}" + (", a re: pattern" if key.startswith(REGEX_PREFIX) else "")


def gaining_words(person: Person, decision: TypeDecision) -> str:
    """How ``person`` comes to hold admin type ``decision.after`` (:attr:`TypeDecision.admin_gain`): ``would be
    created with``, ``would be reactivated (archived) with``, ``would be converted from a guest to an internal
    member with``, ``would go from Analyze to``."""
    after, status = type_words(decision.after), member_status(person)
    since = decision.gained_since
    if since is not None:
        return (f"went from {type_words(since.seen)} to admin account type {after} since {since.plan_words()} saw "
                "them, not by a run of this tool (the IdP's push through SCIM, or a Sigma admin), and this plan keeps "
                "it")
    if person.member is None:
        return f"would be created with admin account type {after}"
    if status != "active":
        return f"would be reactivated ({status}, {type_words(decision.before)} before) with admin account type {after}"
    if person.converted:
        return (f"would be converted from a guest ({type_words(decision.before)}) to an internal member with admin "
                f"account type {after}")
    return f"would go from {type_words(decision.before)} to admin account type {after}"


def giving_words(decision: TypeDecision, config: TypeSettings) -> tuple[str, list[str]]:
    """``(words, keys)``: what gives ``decision.after`` (its source), and the ``group_map`` keys of the groups
    giving it (empty for another source): ``group 'Finance Admins' (account_types.group_map key 're:.*Admins$',
    a re: pattern) gives it``."""
    if decision.source in ("group_map", "precedence") and decision.type_groups:
        keys = [group_map_key(config.policy, g) for g in decision.type_groups]
        named = " and ".join(f"group {g!r} ({key_words(k)})" for g, k in zip(decision.type_groups, keys))
        words = f"{named} give{'s' if len(keys) == 1 else ''} it"
        mapped = config.mapped.get(decision.idp_id or "")
        if decision.source == "precedence" and mapped is not None:
            words += f", the highest by account_types.precedence of their groups {', '.join(mapped.groups)}"
        return words, list(dict.fromkeys(keys))
    if decision.source == "keep":
        return "their type before, kept by account_types.default: keep, gives it", []
    return f"{source_text(decision.source, decision.groups)} gives it", []


def admin_upgrade_item(person: Person, decision: TypeDecision, config: TypeSettings, acknowledged: Acknowledged
                       ) -> ReviewItem | None:
    """The blocking ``account_types.admin_upgrade`` item of a person who would gain an admin account type
    (:attr:`TypeDecision.admin_gain`: an upgrade, a create or a reactivation born with one, a guest converted into
    one), or ``None`` once an ``account_types.acknowledged_admin_upgrades`` entry ``{person, to}`` records that type
    for them (:class:`~planner.policy.AcknowledgedAdminUpgrade`, read as the downgrades' entries are:
    :func:`person_acknowledged`; an entry of theirs recording another type is named, as :func:`downgrade_item`
    names one). Its message names how they gain it, the groups and ``group_map`` keys that give it (saying when a
    key is a ``re:`` pattern, which gives the type to every group whose name it matches) or the other source. An
    admin type administers the organization (every member and document, the API), which the plan guards on the
    way out (``account_types.admin_downgrade``, ``guards.last_admin``): the way in is asked too (tester18 finding 5: a broad
    ``re:.*Admins$`` gave four people Admin through a "Finance Admins" group, 0 blocking). The action it asks
    about stays beside it, as a downgrade's does, and the plan cannot be approved while it is open."""
    if acknowledged.settled:
        return None
    member, user = person.member, person.idp_user
    email = member.email if member is not None else None
    ref = email or person.user_name or (user.user_name if user is not None else None) or decision.idp_id or ""
    giving, keys = giving_words(decision, config)
    pattern = any(k.startswith(REGEX_PREFIX) for k in keys)
    stale = acknowledged.stale
    head, tail = stale_words(stale)
    alternatives = []
    held = decision.gained_since.seen if decision.gained_since is not None else decision.before
    if member is not None and held is not None and held.casefold() not in config.admin:
        alternatives.append({"account_types": {"overrides": {ref: held}}})
    return make_review(
        ADMIN_UPGRADE,
        decision.member_id or decision.idp_id or decision.person,
        blocking=True,
        subject=person_ref(member_id=decision.member_id, email=email, idp_id=decision.idp_id,
                           user_name=person.user_name if member is None else None),
        message=(f"{head}{ref} {gaining_words(person, decision)} (guards.admin_account_types): {giving}"
                 + ("; a re: pattern gives its type to every group whose name it matches: check that it is meant "
                    "to match this group" if pattern else "")
                 + "; an admin account type administers the organization (every member and document, the API), so "
                   "gaining one is acknowledged person by person, as losing one is" + tail),
        rule="guards.admin_account_types",
        evidence=ItemEvidence(
            change=decision.change if decision.change != "unchanged" else UNSET, source=decision.source,
            groups=list(decision.type_groups), group_map_keys=keys or UNSET,
            account_type=decision.before if decision.before is not None else UNSET,
            policy_account_type=decision.after or UNSET,
            stale_entry="; ".join(e.text for e in stale) if stale else UNSET),
        resolution=yaml_snippet(
            {"account_types": {ADMIN_UPGRADES: [{"person": ref, "to": decision.after}]}}, *alternatives,
            notes=(["if the group is not meant to give it: take them out of it in the IdP, or write the "
                    "account_types.group_map key so that it does not match it, export again and plan again"]
                   if keys else []) + [f"gaining {decision.after} is meant (the entry settles this person and type "
                                       "only):"]),
    )


def protected_item(decision: TypeDecision, config: TypeSettings, directory: Directory) -> ReviewItem:
    """The blocking ``account_types.protected_account`` item for a protected admin the policy would demote."""
    mid, current, wanted = decision.member_id, decision.before, decision.wanted
    email = directory.members[mid].email
    role = config.protected[mid]
    admin_groups = sorted(g for g, t in config.policy.group_map.items() if t == current and not g.startswith("re:"))
    where = f"add them to group {admin_groups[0]!r} or assign" if admin_groups else "assign"
    return make_review(
        "account_types.protected_account",
        mid,
        blocking=True,
        subject=person_ref(member_id=mid, email=email),
        message=(
            f"{email} is {role} ({PROTECTED_BECAUSE[role]}): the plan keeps account type {current!r} instead of "
            f"{wanted!r} ({source_text(decision.source, decision.groups)}); the IdP would still send {wanted!r} at "
            f"its next push and Sigma would apply it, so the IdP must change too: {where} {current!r} to them in the "
            "IdP app"
        ),
        rule="account_types.protected_account",
        evidence=ItemEvidence(role=role, account_type=current, policy_account_type=wanted, source=decision.source,
                              groups=list(decision.groups)),
        resolution=yaml_snippet(
            {"account_types": {"overrides": {email: current}}},
            notes=[f"once the IdP app assigns them {current} (a group mapped to it, or an individual assignment):"],
        ),
    )


UNKNOWN_TYPE = "account_types.unknown_type"
"""The item code of an account type the plan would send that the organization does not have (:func:`unknown_types`)."""

NAMED_PEOPLE = 10
"""How many people an ``account_types.unknown_type`` item names and its resolution overrides (the rest counted)."""


def unknown_types(decisions: Sequence[TypeDecision], directory: Directory) -> dict[str, list[TypeDecision]]:
    """Each userType ``decisions`` would send that is not one of the organization's account types
    (:attr:`~planner.directory.Directory.account_type_names`, the export's ``account_types.json``: ``GET
    /v2/accountTypes``, docs/sigma-api.md §4.1) -> the decisions sending it, in ``decisions``' order; sorted by
    type; empty when the export has no ``account_types.json`` (:func:`names_unchecked_item` says so).

    The policy's names are checked before (:func:`validate_names`, a policy error), so what is left is a
    member's own type kept (``default: keep``): a ``memberType`` that no account type of the organization
    spells, even letter case aside (a custom type deleted or renamed since, docs/sigma-api.md §4.1). Sigma
    refuses a ``userType`` it does not know (REST 404 "Member type name is not found", SCIM 400: the sandbox's
    rule, docs/sandbox.md), and the IdP's push would send it too (docs/sigma-api.md §5.2, S-CUSTOM-AT-IDP):
    :func:`planner.planning.fold_account_types` holds these people (tester8 finding 19)."""
    if directory.account_type_names is None:
        return {}
    known = frozenset(directory.account_type_names)
    found: dict[str, list[TypeDecision]] = {}
    for d in decisions:
        if d.after is not None and d.after not in known:
            found.setdefault(d.after, []).append(d)
    return {t: found[t] for t in sorted(found)}


def padded_type_fix(name: str, decisions: Sequence[TypeDecision]) -> tuple[str, str]:
    """``(why, fix)``: why account type ``name``, which has white space around it, is unknown, and where to correct
    it: a member's own ``memberType`` kept (every decision's source ``keep``: the members file's value, its
    ``member-type-space`` warning, tester14a finding 10), else the ``userType`` the IdP sends as written
    (``user-type-space``)."""
    if all(d.source == "keep" for d in decisions):
        return (f"{name!r} has white space around it, as the members file writes the memberType (the "
                "member-type-space warning)", "export the members again without editing them")
    return (f"{name!r} has white space around it, which the IdP sends as written (the user-type-space warning)",
            f"correct the userType in the IdP to {name.strip()!r} and export again")


def unknown_type_item(name: str, decisions: Sequence[TypeDecision], directory: Directory) -> ReviewItem:
    """The blocking ``account_types.unknown_type`` item of account type ``name`` (:func:`unknown_types`): how many
    people it holds (the first :data:`NAMED_PEOPLE` named), the organization's types, and the two fixes:
    create the type in Sigma and fetch again, or map the people to an existing type in the policy
    (``account_types.overrides``, whose snippet proposes the closest existing type)."""
    known = directory.account_type_names or ()
    emails = [directory.members[d.member_id].email if d.member_id else d.idp_id or d.person for d in decisions]
    shown = ", ".join(emails[:NAMED_PEOPLE]) + (f" and {len(emails) - NAMED_PEOPLE} more"
                                                if len(emails) > NAMED_PEOPLE else "")
    sources = sorted({"their current type, account_types.default: keep" if d.source == "keep"
                      else source_text(d.source, d.groups) for d in decisions})
    close = closest_account_type(name, known) or (sorted(known)[0] if known else "View")
    return make_review(
        UNKNOWN_TYPE,
        name,
        blocking=True,
        subject=ItemRef(account_types=[name]),
        candidates=tuple(person_ref(member_id=d.member_id, email=e, idp_id=d.idp_id)
                         for d, e in zip(decisions[:NAMED_PEOPLE], emails)),
        message=(
            f"account type {name!r} is not one of the organization's ({', '.join(known)}: account_types.json, "
            f"GET /v2/accountTypes), and {len(decisions)} person(s) would get it ({'; '.join(sources)}): {shown}; "
            "Sigma refuses a userType it does not know, so they are held (no link, no account-type change): "
            + (": ".join(padded_type_fix(name, decisions)) if name != name.strip() else
               f"create {name!r} in Sigma (Administration > Account types) and fetch again")
            + ", or give them an existing type in the policy"
        ),
        rule="account_types.default" if all(d.source == "keep" for d in decisions) else f"account_types.{decisions[0].source}",
        evidence=ItemEvidence(account_type=name, members=len(decisions), closest=close),
        resolution=yaml_snippet(
            {"account_types": {"overrides": {e: close for e in emails[:NAMED_PEOPLE]}}},
            notes=[f"or {padded_type_fix(name, decisions)[1]}; else give them an existing type:"
                   if name != name.strip() else
                   f"or create {name!r} in Sigma and fetch again; else give them an existing type:"],
        ),
    )


def custom_replacement_item(decision: TypeDecision, email: str, evidence: AccountTypeEvidence,
                            config: TypeSettings, acknowledged: Acknowledged) -> ReviewItem | None:
    """The blocking ``account_types.custom_replacement`` item under ``on_custom_replacement``, or
    ``None`` when the policy allows the replacement (``allow``, or ``review`` and acknowledged). An
    ``acknowledged_replacements`` entry recording another change is named, as :func:`downgrade_item`."""
    setting = config.policy.on_custom_replacement
    if setting == "allow" or (setting == "review" and acknowledged.settled):
        return None
    keep_type = {"account_types": {"overrides": {email: decision.before}}}
    stale = acknowledged.stale if setting != "block" else ()
    if setting == "block":
        resolution = yaml_snippet(keep_type, notes=["on_custom_replacement is block: keep the current type"])
    else:
        resolution = yaml_snippet(acknowledge_snippet("acknowledged_replacements", email, decision), keep_type,
                                  notes=["accept this replacement (the entry settles this change only):"])
    head, tail = stale_words(stale)
    custom = [t for t in (decision.before, decision.after) if builtin_tier(t, config.custom) is None]
    typos = "".join(f"; {typo_message(t, b)}" for t in custom if (b := builtin_typo(t)) and t not in config.custom)
    return make_review(
        "account_types.custom_replacement",
        decision.member_id,
        blocking=True,
        subject=person_ref(member_id=decision.member_id, email=email, idp_id=decision.idp_id),
        message=(
            f"{head}{email} would go from {type_words(decision.before)} to {type_words(decision.after)} "
            f"({source_text(decision.source, decision.groups)}): custom account type "
            f"{' and '.join(repr(t) for t in custom)} is ranked neither by account_types.precedence nor among "
            "Sigma's built-in types, so this is neither an upgrade nor a downgrade; the permissions it grants "
            f"may differ in any direction{typos}{tail}"
        ),
        rule="account_types.on_custom_replacement",
        evidence=item_evidence(evidence, on_custom_replacement=setting, **stale_evidence(stale, decision)),
        resolution=resolution,
    )


# --------------------------------------------------------------------------- people in several type groups

SEVERAL_TYPE_GROUPS = "account_types.several_type_groups"
"""The informational item naming everyone in mapped groups of different account types (:func:`several_type_groups_items`)."""

PROTECTED_SEVERAL = "account_types.protected_several_type_groups"
"""The blocking item of a protected person in several type groups under Entra ID (:func:`several_type_groups_items`)."""

HOW_THE_IDP_CHOOSES = {
    "entra": ("Entra sends one app role per person (SingleAppRoleAssignment) and does not choose by "
              "account_types.precedence: give each of them one type group (or one app role), the type named, or "
              "its push may send another"),
    "okta": ("Okta sends the userType of the person's highest-priority group assignment (the Sigma app > "
             "Assignments > Groups, Prioritize): order the type groups as account_types.precedence"),
    "": "the IdP must send each of them the type named, whichever group it reads",
}
"""How the IdP picks among a person's type groups, by IdP family (:func:`idp_family`): Entra ID sends one app role
and no precedence (docs/sigma-api.md §6.2, reference §6.2 ``SingleAppRoleAssignment``; tester9 finding F8); Okta
applies one group assignment's User Type by the group priority (§6.1: a group assignment gives its type to every
member); other IdPs do not say."""


def idp_family(idp_format: str) -> str:
    """``entra``, ``okta`` or ``""`` (another IdP) for an export format (``entra-csv``, ``okta-api``, ...)."""
    family = idp_format.split("-")[0]
    return family if family in ("entra", "okta") else ""


SEVERAL_MESSAGE = (" person(s) are in groups of different account types; the plan gives each the type listed (the "
                   "highest by account_types.precedence, or their override): ")
"""The ``account_types.several_type_groups`` message between the count and how the IdP picks."""


def several_type_groups_without(item: ReviewItem, idp_ids: Collection[str]) -> ReviewItem | None:
    """The ``account_types.several_type_groups`` ``item`` (:func:`several_type_groups_items`) without the people of
    ``idp_ids`` (held: the plan gives them no type, :func:`planner.planning.hold_people`), its count said again;
    ``None`` when it lists nobody else; ``item`` itself when it lists none of them."""
    kept = tuple(c for c in item.candidates if c.idp_id not in idp_ids)
    if len(kept) == len(item.candidates):
        return item
    how = item.message.split(SEVERAL_MESSAGE, 1)[1]
    return msgspec.structs.replace(item, candidates=kept, message=f"{len(kept)}{SEVERAL_MESSAGE}{how}") if kept else None


def several_type_groups_items(decisions: Sequence[TypeDecision], config: TypeSettings, directory: Directory
                              ) -> list[ReviewItem]:
    """The people of ``decisions`` whose mapped groups give different account types (:attr:`Mapped.several`),
    named: one informational ``account_types.several_type_groups`` item listing each (member, IdP user, their
    type groups, the type the plan chose by ``precedence``, or their override) and how the IdP picks
    (:data:`HOW_THE_IDP_CHOOSES`); and, under Entra ID, which sends one app role per person whatever the plan's
    precedence, one blocking ``account_types.protected_several_type_groups`` per protected person among them
    (``organization.scim_setup_admin``, ``api_credential_owner``: another type locks the SCIM token or the
    API credentials out, docs/sigma-api.md §5.1, §1.2) until ``account_types.several_type_groups_confirmed``
    names the type chosen (an entry naming another type no longer applies: named). Empty when nobody is in
    several type groups. Tester9 finding F8 (was: resolved by precedence in silence)."""
    several = [(d, config.mapped[d.idp_id]) for d in decisions
               if d.idp_id is not None and d.idp_id in config.mapped and config.mapped[d.idp_id].several]
    if not several:
        return []
    family = idp_family(directory.idp_format)
    users = directory.idp_users
    candidates = [ItemRef(member_id=d.member_id, email=directory.members[d.member_id].email if d.member_id else None,
                          idp_id=d.idp_id, idp_user_name=users[d.idp_id].user_name, groups=list(m.groups),
                          account_types=[d.after or "(none)"], rule=d.source)
                  for d, m in sorted(several, key=lambda dm: (users[dm[0].idp_id].user_name_key or "", dm[0].idp_id))]
    items = [make_review(
        SEVERAL_TYPE_GROUPS, "all", blocking=False,
        subject=ItemRef(policy_key="account_types.precedence"),
        message=f"{len(several)}{SEVERAL_MESSAGE}{HOW_THE_IDP_CHOOSES[family]}",
        rule=SEVERAL_TYPE_GROUPS, candidates=candidates,
    )]
    if family != "entra":
        return items
    confirmed = {mid: t for ref, t in config.policy.several_type_groups_confirmed.items()
                 if (mid := directory.find_member_id(ref)) is not None}
    for d, m in several:
        role = config.protected.get(d.member_id or "")
        if role is None or confirmed.get(d.member_id) == d.after:
            continue
        items.append(protected_several_item(d, m, role, confirmed.get(d.member_id), directory))
    return items


def override_uses(policy: AccountTypes, decisions: Iterable[TypeDecision], directory: Directory) -> list[EntryUse]:
    """What each ``account_types.overrides`` entry settled (:mod:`.policy_entries`): the account type of a person
    it names whom the plan links, reactivates, converts or creates (a :class:`TypeDecision` of source
    ``overrides``, :func:`target_type`). One naming only people the plan gives no account type (unmatched,
    deactivated, held) settles nothing, and why says so. An entry naming nobody is :mod:`.policy_refs`'."""
    if not policy.overrides:
        return []
    typed = {d.person for d in decisions if d.source == "overrides"}
    typed |= {"i:" + d.idp_id for d in decisions if d.source == "overrides" and d.idp_id}
    uses = []
    for ref, account_type in policy.overrides.items():
        keys = person_keys(ref, directory)
        if keys & typed:
            uses.append(EntryUse("account_types.overrides", ref, f"account type {account_type}"))
        elif keys:
            uses.append(EntryUse("account_types.overrides", ref, "", "the plan links, reactivates or creates no "
                                 "person it names, so it sends them no account type"))
    return uses


def confirmed_uses(decisions: Sequence[TypeDecision], config: TypeSettings, directory: Directory) -> list[EntryUse]:
    """What each ``several_type_groups_confirmed`` entry settled (:mod:`.policy_entries`): it is read for a protected
    person in groups of different account types under Entra ID (:func:`several_type_groups_items`), whether it
    names the type chosen (settled) or another (named by the blocking item). An entry naming anyone else settles
    nothing: why says so (no member by that name; not in several type groups; not protected; another IdP)."""
    entries = config.policy.several_type_groups_confirmed
    if not entries:
        return []
    several = {d.member_id for d in decisions if d.member_id is not None and d.idp_id is not None
               and d.idp_id in config.mapped and config.mapped[d.idp_id].several}
    entra = idp_family(directory.idp_format) == "entra"
    uses = []
    for ref, account_type in entries.items():
        mid = directory.find_member_id(ref)
        path = "account_types.several_type_groups_confirmed"
        if mid is not None and entra and mid in several and mid in config.protected:
            uses.append(EntryUse(path, ref, f"{account_type} for protected member {mid}"))
        else:
            why = ("it names no member of the Sigma export" if mid is None else
                   "the IdP export is not Entra ID's, whose one app role per person it answers" if not entra else
                   f"member {mid} is in no two groups of different account types" if mid not in several else
                   f"member {mid} is no protected person (organization.scim_setup_admin, api_credential_owner)")
            uses.append(EntryUse(path, ref, "", why))
    return uses


def protected_several_item(decision: TypeDecision, mapped: Mapped, role: str, stale: str | None,
                           directory: Directory) -> ReviewItem:
    """The blocking ``account_types.protected_several_type_groups`` item of protected ``decision`` (``role``:
    ``organization.<key>``) in type groups ``mapped.groups`` under Entra ID; ``stale``: the type a
    ``several_type_groups_confirmed`` entry names when it is not the one chosen (then named)."""
    mid, chosen = decision.member_id or "", decision.after or "(none)"
    email = directory.members[mid].email
    head = (f"the account_types.several_type_groups_confirmed entry {email}: {stale} no longer applies (the plan "
            f"chose {chosen}): " if stale is not None else "")
    return make_review(
        PROTECTED_SEVERAL, mid, blocking=True,
        subject=person_ref(member_id=mid, email=email, idp_id=decision.idp_id),
        message=(f"{head}{email} is {role} ({PROTECTED_BECAUSE[role]}) and is in type groups "
                 f"{', '.join(mapped.groups)}: the plan chose {chosen} by account_types.precedence, but Entra sends one "
                 "app role per person (SingleAppRoleAssignment) and does not choose by precedence, so its first push "
                 f"may send another type: remove them from every type group but one giving {chosen} in Entra and "
                 f"export again, or confirm that Entra sends them {chosen}"),
        rule=PROTECTED_SEVERAL,
        evidence=ItemEvidence(role=role, account_type=chosen, groups=list(mapped.groups)),
        resolution=yaml_snippet({"account_types": {"several_type_groups_confirmed": {email: chosen}}},
                                notes=[f"once Entra assigns them the {chosen} app role only:"]),
    )


def idp_user_type_items(decisions: Sequence[TypeDecision], directory: Directory) -> list[ReviewItem]:
    """One blocking :data:`IDP_USER_TYPE_CONFLICT` item per person of ``decisions`` whose IdP export says the IdP
    sends an account type (:attr:`~planner.model.IdpUser.account_type`, a SCIM export's ``userType``) other
    than the one the policy plans (an override, a mapped group, a protected admin kept): the IdP's value is
    what Sigma applies at its next push (docs/sigma-api.md §5.3), so the plan would say one type and the IdP
    make another (tester10 finding 10). Names both, where each comes from, and the choices."""
    items = []
    for d in decisions:
        user = directory.idp_users.get(d.idp_id) if d.idp_id else None
        sent = user.account_type if user is not None else None
        if sent is None or sent == d.after:
            continue
        member = directory.members.get(d.member_id) if d.member_id else None
        who = member.email if member is not None else user.user_name
        policy_says = source_text(d.source, d.type_groups or d.groups)
        if d.wanted is not None:
            policy_says = f"a protected admin kept at their type; the policy wanted {d.wanted}"
        items.append(make_review(
            IDP_USER_TYPE_CONFLICT, d.member_id or d.idp_id or d.person, blocking=True,
            subject=person_ref(d.member_id, member.email if member is not None else None, d.idp_id, user.user_name),
            message=(f"{who}: the IdP export says the IdP sends userType '{sent}' ({user.source or 'the export'}), "
                     f"the plan gives '{d.after}' ({policy_says}); at its next push the IdP's value wins "
                     f"(docs/sigma-api.md §5.3): change the attribute in the IdP to '{d.after}' and export again, or "
                     f"make the policy give '{sent}'"),
            rule=IDP_USER_TYPE_CONFLICT,
            evidence=ItemEvidence(account_type=sent, policy_account_type=d.after or UNSET, source=d.source,
                                  groups=list(d.type_groups or d.groups)),
            resolution=yaml_snippet({"account_types": {"overrides": {who: sent}}},
                                    notes=[f"the IdP's userType '{sent}' is right: the policy gives it",
                                           f"or, outside the policy: the IdP sends '{d.after}' (change the attribute "
                                           "there), export again and plan again"]),
        ))
    return items
