"""One person named twice in a person-keyed policy collection: an error, or a review item, never file order.

A policy names people in keyed collections (the entries of :func:`planner.rules.policy_refs.policy_references`
naming a member, an IdP user or a person, plus ``linking.scim_state_conflicts`` keys): ``unmatched.decisions``,
``account_types.overrides`` and ``several_type_groups_confirmed``, ``linking.duplicates``, ``second_accounts``,
``reused_addresses``, ``scim_state_conflicts`` and ``excluded_idp_users``, ``user_name_guard.overrides``,
``account_types.acknowledged_downgrades`` / ``acknowledged_replacements`` / ``acknowledged_admin_upgrades``, and each side of
``linking.overrides`` (the IdP user an override links, the member it links them to). The rules read each
collection as a lookup by person, so two entries naming one person would be settled by file order, the later
one silently winning (tester13 finding F3: ``alan.brooks@acme.example: keep`` then ``Alan.Brooks@acme.example:
deactivate`` deactivated Alan; swapped, kept him).

Two levels, one rule (:func:`repeated_names`, :func:`same_person_items`):

- two entries of one collection whose names are the same once normalised (:func:`name_key`: an address
  trimmed, Unicode NFC, control and invisible characters dropped, letter case aside, as
  :func:`planner.model.email_key` compares it; any other name, a memberId or IdP id, trimmed and NFC) are the
  same key written twice: one ``file:line:column`` problem at the later entry (``policy lint``, and every
  command reading the policy: ``plan`` needs no export to refuse it), naming the earlier one's line and what
  each says;
- two entries whose names differ but name one person through the exports (a memberId and that member's email,
  an IdP id and that user's userName, for ``account_types`` a member and the IdP user linked to it) are one
  ``policy.person_named_twice`` item naming both entries' ``file:line:column`` and what each says: blocking
  when they disagree (the plan would follow whichever the rule reads last), informational when they agree
  (remove one).

An ``acknowledged_*`` entry's long form records one change (``{person, from, to}``, ``{person, to}``): two long entries of one
person for different changes are two answers, not a repeat; a short form (any change) beside a long one of
the same person disagrees with it (the long one would restrict nothing).
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Iterable, Iterator

from ..model import ItemRef, ReviewItem, email_key
from ..policy import AcknowledgedAdminUpgrade, AcknowledgedChange, Policy, PolicyProblem
from ..yaml_schema import dotted
from . import make_review
from .policy_refs import PolicyRef, RefKind, policy_references

if TYPE_CHECKING:
    from ..directory import Directory, Person

CODE = "policy.person_named_twice"

PEOPLE = (RefKind.MEMBER, RefKind.IDP_USER, RefKind.PERSON)


@dataclass(frozen=True, slots=True)
class PersonEntry:
    """One entry of a person-keyed collection: ``ref`` (the name it gives, where), ``collection`` (its policy
    key, ``unmatched.decisions``; ``linking.overrides[].idp`` / ``[].member`` for a side of an override),
    ``says`` (what it decides of the person, as written: ``keep``, ``member m1``, ``Admin -> Build``),
    ``topic`` (an ``acknowledged_*`` long form's change: entries of one person are compared when their topics
    are equal or one is ``None``) and ``other`` (an override's other side, compared through the exports)."""

    ref: PolicyRef
    collection: str
    says: str
    topic: str | None = None
    other: PolicyRef | None = None

    @property
    def entry(self) -> tuple:
        """The location of the whole entry (an override's, for either side's name)."""
        return self.ref.loc if self.ref.loc[-1] == "[key]" else self.ref.loc[:3]


def name_key(value: str) -> str:
    """The name a person entry gives, normalised as the lookups compare it: an address (holding ``@``) by
    :func:`planner.model.email_key` (trimmed, NFC, control and invisible characters dropped, letter case
    aside); a memberId, IdP id or other name trimmed and NFC, its letter case kept (ids are case-sensitive)."""
    if "@" in value:
        return email_key(value)
    return unicodedata.normalize("NFC", value).strip()


def person_entries(policy: Policy) -> tuple[PersonEntry, ...]:
    """Every entry of ``policy`` naming a person in a keyed collection (module docstring), in section order."""
    return tuple(_entries(policy))


def _entries(policy: Policy) -> Iterator[PersonEntry]:
    for ref in policy_references(policy):
        if ref.kind in PEOPLE and len(ref.loc) > 2:
            yield _entry(policy, ref)
    for key, value in policy.linking.scim_state_conflicts.items():
        if key != "*":
            yield PersonEntry(PolicyRef(("linking", "scim_state_conflicts", key, "[key]"), RefKind.IDP_USER, key),
                              "linking.scim_state_conflicts", "says " + _text(value))


def _entry(policy: Policy, ref: PolicyRef) -> PersonEntry:
    section, name = ref.loc[0], ref.loc[1]
    collection = f"{section}.{name}"
    if ref.loc[-1] == "[key]":
        return PersonEntry(ref, collection, "says " + _text(getattr(getattr(policy, section), name)[ref.value]))
    if collection == "linking.overrides":
        o = policy.linking.overrides[ref.loc[2]]
        side = ref.loc[3]
        other = (PolicyRef(("linking", "overrides", ref.loc[2], "member"), RefKind.MEMBER, o.member) if side == "idp"
                 else PolicyRef(("linking", "overrides", ref.loc[2], "idp"), RefKind.IDP_USER, o.idp))
        noun = "member" if side == "idp" else "IdP user"
        return PersonEntry(ref, f"{collection}[].{side}", f"links {noun} {other.value}", other=other)
    entry = getattr(getattr(policy, section), name)[ref.loc[2]]
    if isinstance(entry, (AcknowledgedChange, AcknowledgedAdminUpgrade)):
        change = entry.change()
        return PersonEntry(ref, collection, f"accepts {change}", topic=change)
    if collection == "linking.excluded_idp_users":
        return PersonEntry(ref, collection, "excludes them")
    return PersonEntry(ref, collection, "accepts any change")


def _text(value: Any) -> str:
    """A collection's value as the policy writes it (a long-form mapping as ``{newer: idp_export, active: false}``)."""
    if isinstance(value, str):
        return value
    fields = value.model_dump(by_alias=True, exclude_none=True)
    return "{" + ", ".join(f"{k}: {str(v).lower() if isinstance(v, bool) else v}" for k, v in fields.items()) + "}"


def _overlap(a: PersonEntry, b: PersonEntry) -> bool:
    """Whether ``a`` and ``b`` answer the same question of their person (see :class:`PersonEntry` ``topic``)."""
    return a.topic is None or b.topic is None or a.topic == b.topic


def _pairs(entries: Iterable[PersonEntry], keys_of) -> Iterator[tuple[PersonEntry, PersonEntry]]:
    """``(earlier, later)`` for each later entry of a collection sharing a key (``keys_of(entry)``, a set) with an
    earlier one answering the same question: the first such, in policy order (three entries of one person are two
    pairs, each with the first); one pass, an index per collection and key."""
    seen: dict[tuple[str, str], list[tuple[int, PersonEntry]]] = {}
    for n, entry in enumerate(entries):
        found: list[tuple[int, PersonEntry]] = []
        for key in sorted(keys_of(entry)):
            earlier = seen.setdefault((entry.collection, key), [])
            found += [(i, e) for i, e in earlier if _overlap(e, entry)][:1]
            earlier.append((n, entry))
        if found:
            yield min(found, key=lambda f: f[0])[1], entry


def _mark(policy: Policy, loc: tuple) -> tuple[int, int]:
    origin = policy.origin
    for end in range(len(loc), -1, -1):
        mark = origin.marks.get(tuple(loc[:end])) if origin is not None else None
        if mark is not None:
            return mark
    return 1, 1


def _agree_as_written(first: PersonEntry, second: PersonEntry) -> bool:
    """Whether two entries naming one person say the same, as written (an override's other side normalised)."""
    if first.other is not None and second.other is not None:
        return name_key(first.other.value) == name_key(second.other.value)
    return first.says == second.says


def _both(first: PersonEntry, second: PersonEntry, first_where: str, agree: bool) -> str:
    """What the two entries say: ``both say keep``, or ``the entry at <where> says keep, this one deactivate``."""
    if agree:
        return f"both {_plural(first.says)}"
    return f"the entry at {first_where} {first.says}, this one {second.says}"


def _plural(says: str) -> str:
    verb, _, rest = says.partition(" ")
    return f"{verb[:-1]} {rest}"


def repeated_names(policy: Policy) -> list[PolicyProblem]:
    """One :class:`~planner.policy.PolicyProblem` per later entry of a collection naming the person an earlier
    one names, once normalised (:func:`name_key`), in policy order: ``<file>:<line>:<column>: <dotted key>: the
    same <noun> as <earlier name> at line <n> (...): <what each says>; write one entry``. Needs no export."""
    name = policy.origin.path if policy.origin is not None else "<policy>"
    out = []
    for first, second in _pairs(person_entries(policy), lambda e: {name_key(e.ref.value)}):
        line, column = _mark(policy, second.ref.loc)
        first_line = _mark(policy, first.ref.loc)[0]
        how = _how_same(first.ref.value, second.ref.value)
        says = _both(first, second, f"line {first_line}", _agree_as_written(first, second))
        out.append(PolicyProblem(
            name, line, column, dotted(second.ref.loc),
            f"names the same {second.ref.kind.value} as {first.ref.value!r} at line {first_line} ({how}): {says}; "
            f"write one entry"))
    return sorted(out, key=lambda p: (p.line, p.column))


def _how_same(first: str, second: str) -> str:
    """How two names :func:`name_key` makes one differ: ``letter case aside``, ``once trimmed``, or in Unicode form
    (the two spellings shown escaped, since they look alike)."""
    if first == second:
        return "the same name"
    if first.strip() == second.strip():
        return "once trimmed"
    if first.lower() == second.lower():
        return "letter case aside"
    nfc = unicodedata.normalize
    if nfc("NFC", first) == nfc("NFC", second):
        return f"in Unicode NFC: {ascii(first)} there, {ascii(second)} here"
    return (f"once trimmed, in Unicode NFC, invisible characters dropped, letter case aside: {ascii(first)} there, "
            f"{ascii(second)} here")


def _resolved(ref: PolicyRef, directory: "Directory") -> set[str]:
    """The person keys (``m:<memberId>``, ``i:<IdP id>``) ``ref`` names in ``directory``; empty when it names no
    one (:mod:`.policy_refs` reports it)."""
    if ref.kind is RefKind.MEMBER:
        mid = directory.find_member_id(ref.value)
        return {"m:" + mid} if mid else set()
    if ref.kind is RefKind.IDP_USER:
        iid = directory.find_idp_id(ref.value)
        return {"i:" + iid} if iid else set()
    from .account_types import person_keys

    return person_keys(ref.value, directory)


def _partners(people: Iterable["Person"], wanted: set[str]) -> dict[str, str]:
    """Person key -> the key of the other side of its link (``m:m1`` <-> ``i:u1``), for the linked persons
    ``wanted`` names a side of: one pass over ``people``, comparing ids only (no key built per person)."""
    members = {k[2:] for k in wanted if k[:2] == "m:"}
    users = {k[2:] for k in wanted if k[:2] == "i:"}
    out: dict[str, str] = {}
    for p in people:
        m, u = p.member, p.idp_user
        if m is not None and u is not None and (m.member_id in members or u.id in users):
            out["m:" + m.member_id], out["i:" + u.id] = "i:" + u.id, "m:" + m.member_id
    return out


def same_person_items(policy: Policy, directory: "Directory", people: Iterable["Person"] = ()) -> list[ReviewItem]:
    """One ``policy.person_named_twice`` item per pair of entries of a collection whose names differ
    (:func:`repeated_names` refuses the same name twice) but name one person of ``directory`` (``people``: the
    plan's persons, whose links join a member and an IdP user for the ``account_types`` collections): blocking
    when they say different things, informational when they agree; in policy order. Id
    ``policy.person_named_twice:<later entry's dotted key>``."""
    entries = person_entries(policy)
    if len(entries) < 2:
        return []
    keys = {id(e): _resolved(e.ref, directory) for e in entries}
    persons = [e for e in entries if e.ref.kind is RefKind.PERSON]
    if persons:  # a member and the IdP user linked to it are one person to the account_types collections
        partner = _partners(people, set().union(*(keys[id(e)] for e in persons)))
        for e in persons:
            keys[id(e)] |= {partner[k] for k in keys[id(e)] if k in partner}
    items: dict[tuple, ReviewItem] = {}
    for first, second in _pairs(entries, lambda e: keys[id(e)]):  # an override's two sides: one item per pair
        items.setdefault((first.entry, second.entry),
                         _item(policy, directory, first, second, keys[id(first)] & keys[id(second)]))
    return list(items.values())


def _who(key: str, directory: "Directory") -> str:
    """A person key as the item names it: ``member m1 (alice@example.com)``, ``IdP user u1 (alice@example.com)``."""
    kind, _, ident = key.partition(":")
    if kind == "m":
        return f"member {ident} ({directory.members[ident].email})"
    return f"IdP user {ident} ({directory.idp_users[ident].user_name})"


def _item(policy: Policy, directory: "Directory", first: PersonEntry, second: PersonEntry,
          shared: set[str]) -> ReviewItem:
    first_where, where = policy.location(*first.ref.loc), policy.location(*second.ref.loc)
    agree = first.says == second.says or (
        first.other is not None and second.other is not None
        and _resolved(first.other, directory) == _resolved(second.other, directory) != set())
    who = " / ".join(_who(k, directory) for k in sorted(shared, key=lambda k: (k[0] != "m", k)))
    noun = second.ref.kind.value
    head = (f"{where}: {first.collection} entries {first.ref.value!r} at {first_where} and {second.ref.value!r} "
            f"name {who}")
    path = dotted(second.ref.loc)
    if agree:
        message = f"{head}: {_both(first, second, first_where, True)}; remove one"
    else:
        message = (f"{head}: {_both(first, second, first_where, False)}; the plan cannot follow both: remove the "
                   "wrong one")
    return make_review(
        CODE, path, blocking=not agree,
        subject=ItemRef(policy_key=path, kind=noun, name=second.ref.value),
        message=message, rule=first.collection,
        resolution=f"# remove one of the entries at {first_where} ({first.ref.value}) and {where} ({second.ref.value})\n",
    )


__all__ = ["CODE", "PersonEntry", "name_key", "person_entries", "repeated_names", "same_person_items"]
