"""Duplicate email addresses: two or more Sigma members whose emails have the same key.

Sigma links a SCIM user to an existing member **by email**, and its ``userName``
lookup ignores letter case (docs/sigma-api.md §5.3, samples/acme case 4): while a
second member holds the address (even archived), the link of the first one is
ambiguous and Sigma refuses it (409 "userName ... matches 2 members"). Sigma's
export keeps such pairs (``Bob.Ray@`` next to ``bob.ray@``, docs/formats.md §0.5),
so the plan must free the address on every member but the one who keeps it,
*before* that member is linked:

- the policy names who keeps the address (a ``linking.overrides`` entry, or
  any link the match keys make) and what happens to the others,
  ``linking.duplicates: {<memberId>: rename | deactivate}``;
- each renamed member gets ``members.set_email`` to a free, deterministic
  alias (:func:`alias_email`: ``<local>+dup-<memberId prefix>@<domain>``);
  with ``deactivate`` it is then deactivated (:mod:`.unmatched`), otherwise
  it follows the ``unmatched`` policy like any member nobody links;
- every link, create or ``members.set_email`` that sends the address depends
  on those renames (:attr:`AddressDecision.frees`);
- a shared address the plan would send (or that makes a match ambiguous) while
  another holder still has it is one blocking ``linking.duplicate_email``
  review item listing every holder (memberId, email as spelled, status,
  account type, team count), with the policy snippet that settles it. It
  replaces the ``linking.ambiguous`` item of a match that the shared address
  alone explains.

The IdP side has its own duplicates (issue 14 item 3): two IdP users the IdP
would provision whose userName (as sent) or primary email have the same key
(letter case aside). The IdP pushes both; Sigma, which identifies a user by that
address, would end with two accounts for one person (or refuse one). Every such
group is one blocking ``linking.idp_duplicate`` item covering every user in it
(:func:`idp_collisions`); nobody in it is linked or created, and no member they
match is deactivated, until ``linking.excluded_idp_users`` names the accounts
that are not the person's (:func:`resolve_excluded`): those are never linked nor
created (an informational ``linking.idp_user_excluded`` item reminds to unassign
them from the Sigma app in the IdP).

Each rule is a pure function over the :class:`~planner.directory.Directory` (its address lookups:
members by email key, IdP users by the addresses they send), the policy and linking's
:class:`~planner.directory.Person` records, returning a frozen decision: :class:`Renames` and
:class:`Exclusions` (the policy entries), :class:`AddressUse` then :class:`AddressDecision` (one per
shared address), :class:`IdpCollision` and its item. :mod:`planner.planning` folds them in (steps
3, 5 and 8 of its docstring); nothing here edits another family's records.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import AbstractSet, Collection, Iterable, Mapping

import networkx as nx
from msgspec import UNSET

from ..directory import Directory, Person
from ..matching import AmbiguousGroup
from ..model import Action, ActionKind, ItemEvidence, ItemRef, ReviewItem, SigmaMember, email_key
from ..payloads import EmailState, MemberRef, SetEmailEvidence
from ..policy import Policy
from ..sources.values import clean_address
from . import action_id, make_action, make_review, yaml_snippet
from .examples import example_rank, member_status
from .policy_entries import EntryUse

ALIAS_TAG = "dup"
"""Subaddress tag of the alias a renamed duplicate gets (RFC 5233: ``local+dup-<id>@domain``)."""

_LOCAL_PART_MAX = 64  # RFC 5321 §4.5.3.1.1

SharedAddresses = Mapping[str, tuple[str, ...]]
"""``{email key: sorted memberIds}`` of the addresses two or more members have (:func:`shared_addresses`)."""


def shared_addresses(directory: Directory) -> dict[str, tuple[str, ...]]:
    """``{email key: sorted memberIds}`` for every key two or more members have (archived ones included)."""
    return {key: tuple(sorted(mids)) for key, mids in directory.member_ids_by_email_key.items() if len(mids) > 1}


def member_key(member: SigmaMember) -> str:
    """The email key of ``member`` (:func:`planner.model.email_key` of its email)."""
    return member.email_key or email_key(member.email)


def explains(directory: Directory, group: AmbiguousGroup) -> str | None:
    """The shared address that alone makes ``group`` ambiguous, else ``None``.

    That is one IdP user and two or more members who all have the same email
    key: the IdP user is one of them, and only a decision about the address
    (who keeps it) settles it.
    """
    if len(group.idp_ids) != 1 or len(group.member_ids) < 2:
        return None
    keys = {member_key(directory.members[mid]) for mid in group.member_ids}
    key = keys.pop()
    return key if not keys and key else None


def ambiguous_by_address(directory: Directory, groups: Iterable[AmbiguousGroup]
                         ) -> dict[str, tuple[AmbiguousGroup, ...]]:
    """The ambiguous matches a shared address alone explains (:func:`explains`), by that address."""
    out: dict[str, list[AmbiguousGroup]] = {}
    for group in groups:
        key = explains(directory, group)
        if key is not None:
            out.setdefault(key, []).append(group)
    return {key: tuple(found) for key, found in out.items()}


def alias_email(email: str, member_id: str, taken: AbstractSet[str]) -> str:
    """A free alias for a duplicate's address: ``<local>+dup-<memberId prefix>@<domain>``.

    The prefix is the first 6 characters of the memberId (letters, digits, ``_``
    and ``-`` only), longer when the alias' key is in ``taken`` (email keys of
    every member, IdP userName and email, and the aliases chosen before), then
    the whole memberId with a counter. The local part is cut to stay within 64
    characters (RFC 5321 §4.5.3.1.1). ``Bob.Ray@acme.example`` of member
    ``ECiBauGWbd...`` gives ``Bob.Ray+dup-ECiBau@acme.example``.
    """
    clean = clean_address(email)  # what is written is normalized (issue 14 item 1)
    local, _, domain = clean.rpartition("@")
    if not local or not domain or any(c.isspace() for c in clean):
        local, domain = "member", "duplicates.invalid"  # reserved TLD (RFC 2606): never delivered
    ident = re.sub(r"[^A-Za-z0-9_-]", "", member_id) or "member"
    tags = [f"+{ALIAS_TAG}-{ident[:n]}" for n in range(min(6, len(ident)), len(ident) + 1)]
    tags += [f"+{ALIAS_TAG}-{ident}-{n}" for n in range(2, 2 + len(taken) + 1)]
    for tag in tags:
        candidate = f"{local[:_LOCAL_PART_MAX - len(tag)]}{tag}@{domain}"
        if email_key(candidate) not in taken:
            return candidate
    raise AssertionError("unreachable: more tags than taken addresses")


def taken_addresses(directory: Directory) -> set[str]:
    """Every email key an alias must avoid: members' emails, IdP userNames (stored and sent) and emails."""
    taken = set(directory.member_ids_by_email_key)
    taken.update(directory.idp_ids_by_user_name_key)
    taken.update(directory.idp_ids_by_scim_user_name_key)
    taken.update(e.key for emails in directory.idp_emails.values() for e in emails)
    return taken


def choose_aliases(member_ids: Iterable[str], directory: Directory) -> dict[str, str]:
    """memberId -> :func:`alias_email` for each member to rename, in the order given: each alias
    avoids :func:`taken_addresses` and the aliases chosen before it."""
    out: dict[str, str] = {}
    taken: set[str] | None = None
    for mid in member_ids:
        if taken is None:
            taken = taken_addresses(directory)
        out[mid] = alias = alias_email(directory.members[mid].email, mid, taken)
        taken.add(email_key(alias))
    return out


# --------------------------------------------------------------------------- linking.duplicates


@dataclass(frozen=True, slots=True)
class Renames:
    """``linking.duplicates`` resolved (:func:`resolve`): ``decisions`` memberId -> ``rename`` |
    ``deactivate`` (only members whose address another member shares), and ``uses``, what each entry naming a
    member settled (:mod:`.policy_entries`: an entry naming a member whose address nobody else has settles
    nothing, the informational ``policy.unused_entry``; blocking for ``deactivate``). ``pending``: memberId ->
    ``(entry key, decision)`` of the entries naming a member whose address no other member has but an IdP user
    sends as its userName: they settle a ``user_name_guard.email_taken`` (another member's email moves onto that
    address, ``update_sigma_email``) or free it for the create of that IdP user (a recycled address whose IdP user a
    ``never`` override keeps from the member, :mod:`.address_takeover`), and their use is known after linking
    (:func:`pending_uses`)."""

    decisions: Mapping[str, str] = field(default_factory=dict)
    uses: tuple[EntryUse, ...] = ()
    protected: frozenset[str] = frozenset()
    """The memberIds the guards protect (:meth:`~planner.directory.Directory.protected_members`): a
    ``linking.duplicate_email`` snippet keeps their address or renames them, never deactivates them."""
    pending: Mapping[str, tuple[str, str]] = field(default_factory=dict)

    @property
    def renamed(self) -> frozenset[str]:
        """The members whose address ``linking.duplicates`` frees."""
        return frozenset(self.decisions)

    @property
    def pending_ids(self) -> frozenset[str]:
        """The memberIds of :attr:`pending`."""
        return frozenset(self.pending)


def resolve(policy: Policy, directory: Directory, shared: SharedAddresses) -> Renames:
    """Resolve ``linking.duplicates`` (keys: memberId, or an email that names one member)."""
    holders = {mid for mids in shared.values() for mid in mids}
    decisions: dict[str, str] = {}
    pending: dict[str, tuple[str, str]] = {}
    uses: list[EntryUse] = []
    sent = directory.idp_ids_by_scim_user_name_key
    for ref, how in policy.linking.duplicates.items():
        mid = directory.find_member_id(ref)
        if mid is None:  # planner.rules.policy_refs reports it
            continue
        if mid in holders:
            decisions[mid] = how
            uses.append(EntryUse("linking.duplicates", ref, f"{how} member {mid}"))
        elif member_key(directory.members[mid]) in sent:
            pending[mid] = (ref, how)
        else:
            uses.append(unused_rename(ref, directory.members[mid]))
    return Renames(decisions, tuple(uses), frozenset(directory.protected_members(policy)), pending)


def unused_rename(ref: str, member: SigmaMember) -> EntryUse:
    """The use of a ``linking.duplicates`` entry ``ref`` naming ``member``, whose address no other member has
    nor moves to: nothing to free."""
    return EntryUse("linking.duplicates", ref, "", f"member {member.member_id} ({member.email}): no other member "
                    "has this address, nothing to free")


def moved_onto(people: Iterable[Person], renames: Renames, directory: Directory) -> dict[str, tuple[str, ...]]:
    """The addresses of :attr:`Renames.pending` members another member's email moves onto, or a user to create
    sends (``people``: the linked, whose userName guard says ``update_sigma_email``, and the users to create: a
    recycled address a ``never`` override gave back to the IdP user, :mod:`.address_takeover`):
    ``{email key: sorted memberIds}``, the holders and the members moving there, an address :func:`address_use`
    treats as shared (its holders renamed first)."""
    pending_keys = {member_key(directory.members[mid]): mid for mid in renames.pending}
    out: dict[str, set[str]] = {}
    for person in people:
        key = person.user_name_key
        if key not in pending_keys or person.member_id == pending_keys[key]:
            continue
        if person.guard == "update_sigma_email" or person.member is None:
            moving = out.setdefault(key, set(directory.member_ids_by_email_key.get(key, ())))
            if person.member is not None:
                moving.add(person.member_id)
    return {key: tuple(sorted(mids)) for key, mids in out.items()}


def incoming(key: str, moved: Mapping[str, tuple[str, ...]], directory: Directory) -> tuple[str, ...]:
    """The members of ``moved[key]`` (:func:`moved_onto`) whose email is not ``key`` but moves onto it."""
    held = directory.member_ids_by_email_key.get(key, ())
    return tuple(mid for mid in moved.get(key, ()) if mid not in held)


def pending_uses(renames: Renames, moved: Mapping[str, tuple[str, ...]], directory: Directory) -> list[EntryUse]:
    """The uses of the :attr:`Renames.pending` entries once linking is known: renaming a member whose address
    another member moves onto (``moved``, :func:`moved_onto`), else nothing to free."""
    uses = []
    for mid, (ref, how) in sorted(renames.pending.items()):
        member = directory.members[mid]
        if member_key(member) in moved:
            uses.append(EntryUse("linking.duplicates", ref, f"{how} member {mid}"))
        else:
            uses.append(unused_rename(ref, member))
    return uses


def with_pending(renames: Renames, moved: Mapping[str, tuple[str, ...]], directory: Directory) -> Renames:
    """``renames`` whose :attr:`Renames.decisions` also hold the pending entries ``moved`` makes apply."""
    applied = {mid: how for mid, (_ref, how) in renames.pending.items()
               if member_key(directory.members[mid]) in moved}
    if not applied:
        return renames
    return Renames({**renames.decisions, **applied}, renames.uses, renames.protected, renames.pending)


# --------------------------------------------------------------------------- who uses a shared address


@dataclass(frozen=True, slots=True)
class LinkedHolders:
    """What the linked people do with the shared addresses (:func:`linked_holders`): ``users``,
    address -> ``(memberId, IdP id)`` of the holders linked with it (sorted); ``moved_to``, memberId
    -> the address key a holder's email moves to (the userName guard's ``update_sigma_email``)."""

    users: Mapping[str, tuple[tuple[str, str], ...]]
    moved_to: Mapping[str, str | None]


def kept_address(person: Person, shared: SharedAddresses) -> str | None:
    """The shared address ``person``'s link or create sends while its member holds it, else ``None``."""
    key = person.user_name_key
    return key if key in shared and person.member_id in shared[key] else None


def linked_holders(people: Iterable[Person], shared: SharedAddresses) -> LinkedHolders:
    """:class:`LinkedHolders` of ``people``, the people the plan links (status ``link`` or
    ``reactivate``, converted guests included) with their userName (:mod:`.linking`)."""
    users: dict[str, list[tuple[str, str]]] = {}
    moved_to: dict[str, str | None] = {}
    for person in people:
        key = kept_address(person, shared)
        if key is not None:
            users.setdefault(key, []).append((person.member_id, person.idp_id))
        if person.guard == "update_sigma_email":
            moved_to[person.member_id] = person.user_name_key
    return LinkedHolders({key: tuple(sorted(pairs)) for key, pairs in users.items()}, moved_to)


@dataclass(frozen=True, slots=True)
class AddressUse:
    """How the plan uses one shared address (:func:`address_use`): ``key`` and its ``holders``
    (sorted memberIds); ``users``, the holders linked with it (``(memberId, IdP id)``, sorted);
    ``moved``, holders the userName guard moves to another address (sorted); ``renamed``, holders
    ``linking.duplicates`` frees (neither linked with it nor moved); ``left``, holders nothing
    decides; ``clash``, holders linked with it although ``linking.duplicates`` names them (sorted);
    ``groups``, the ambiguous matches it alone explains; ``incoming``, members among ``holders`` whose email is
    not this address but moves onto it (``update_sigma_email`` onto a :attr:`Renames.pending` member's address,
    :func:`moved_onto`)."""

    key: str
    holders: tuple[str, ...]
    users: tuple[tuple[str, str], ...] = ()
    moved: tuple[str, ...] = ()
    renamed: tuple[str, ...] = ()
    left: tuple[str, ...] = ()
    clash: tuple[str, ...] = ()
    groups: tuple[AmbiguousGroup, ...] = ()
    incoming: tuple[str, ...] = ()

    @property
    def user_ids(self) -> frozenset[str]:
        """The memberIds of :attr:`users`."""
        return frozenset(mid for mid, _ in self.users)

    @property
    def blocked(self) -> bool:
        """A ``linking.duplicate_email`` item is due: an ambiguous match, two holders linked with it,
        one linked while another still holds it, or a linked holder ``linking.duplicates`` renames."""
        return bool(self.groups or len(self.users) > 1 or (self.users and self.left) or self.clash)


def address_use(key: str, holders: tuple[str, ...], linked: LinkedHolders, renames: Renames,
                groups: tuple[AmbiguousGroup, ...] = (), incoming: tuple[str, ...] = ()) -> AddressUse:
    """The :class:`AddressUse` of shared address ``key`` held by ``holders`` (``incoming``: those of them moving
    onto it, :attr:`AddressUse.incoming`)."""
    users = linked.users.get(key, ())
    user_ids = {mid for mid, _ in users}
    moved = tuple(h for h in holders if h in linked.moved_to and linked.moved_to[h] != key)
    decided = renames.decisions
    return AddressUse(
        key, holders, users, moved,
        renamed=tuple(h for h in holders if h in decided and h not in user_ids and h not in moved),
        left=tuple(h for h in holders if h not in user_ids and h not in moved and h not in decided),
        clash=tuple(sorted(h for h in user_ids if h in decided)),
        groups=groups,
        incoming=incoming,
    )


# --------------------------------------------------------------------------- decisions


@dataclass(frozen=True, slots=True)
class AddressDecision:
    """What the plan does about one shared address (:func:`decide_address`): ``actions``, the
    ``members.set_email`` of each renamed holder; ``frees``, ``(memberId, action id)`` of every action
    that moves a holder off the address (sorted: every link, create or email change sending it waits
    for them); ``review_item``, the blocking ``linking.duplicate_email``, if any."""

    key: str
    actions: tuple[Action, ...] = ()
    frees: tuple[tuple[str, str], ...] = ()
    review_item: ReviewItem | None = None


def decide_address(use: AddressUse, aliases: Mapping[str, str], renames: Renames, directory: Directory,
                   teams: Mapping[str, int]) -> AddressDecision:
    """Renames, their dependencies and the blocking item for one shared address (module docstring).

    ``aliases``: each renamed holder's new address (:func:`choose_aliases`); ``teams``: the holders'
    team counts (:func:`planner.rules.examples.team_counts`, read only when an item is due).
    """
    actions = tuple(rename_action(directory.members[mid], use, renames.decisions[mid], aliases[mid])
                    for mid in use.renamed)
    frees = tuple(sorted((h, action_id(ActionKind.MEMBERS_SET_EMAIL, h)) for h in use.renamed + use.moved))
    item = duplicate_email_item(use, renames, directory, teams) if use.blocked else None
    return AddressDecision(use.key, actions, frees, item)


def rename_action(member: SigmaMember, use: AddressUse, how: str, alias: str) -> Action:
    """``members.set_email`` of ``member`` to ``alias``: frees ``use.key`` (``linking.duplicates: how``)."""
    mid = member.member_id
    others = [h for h in use.holders if h != mid]
    have = [h for h in others if h not in use.incoming]
    if have:
        why = f"which member(s) {', '.join(have)} also have"
    elif use.incoming:
        why = f"onto which the email of member(s) {', '.join(use.incoming)} moves (user_name_guard: update_sigma_email)"
    else:  # moved_onto: a user to create sends it
        why = "which a user the plan creates sends as its userName (a linking.overrides never kept them apart)"
    return make_action(
        ActionKind.MEMBERS_SET_EMAIL,
        mid,
        target=MemberRef(member_id=mid, email=member.email),
        before=EmailState(email=member.email),
        after=EmailState(email=alias),
        rule="linking.duplicates",
        reason=(
            f"free the address {member.email!r}, {why}: Sigma "
            f"links a SCIM user by email, so only one member may hold it (linking.duplicates: {how})"
        ),
        evidence=SetEmailEvidence(address=use.key, shared_with=others, decision=how),
    )


def holder_decision(mid: str, use: AddressUse, renames: Renames) -> str:
    """What the plan decides for holder ``mid`` of ``use``, as a ``linking.duplicate_email`` candidate says it."""
    if mid in use.clash:
        return "linked with this address, but linking.duplicates renames it"
    if mid in use.user_ids:
        return "keeps the address (linked)"
    if mid in use.moved:  # the guard's email change frees it, whatever linking.duplicates says
        return "moves to the IdP userName (user_name_guard)"
    if mid in renames.decisions:
        return f"address freed (linking.duplicates: {renames.decisions[mid]})"
    return "undecided"


def holder_candidate(member: SigmaMember, decision: str, teams: Mapping[str, int]) -> ItemRef:
    """A holder as a ``linking.duplicate_email`` candidate: memberId, email, status, memberType, team
    count, createdAt (when exported) and the decision."""
    return ItemRef(member_id=member.member_id, email=member.email, status=member_status(member),
                   member_type=member.member_type, teams=int(teams.get(member.member_id, 0)),
                   created_at=member.created_at or UNSET, decision=decision)


def involved_idp_ids(use: AddressUse) -> list[str]:
    """The IdP users linked with the address or matched ambiguously through it, sorted."""
    return sorted({iid for _, iid in use.users} | {i for g in use.groups for i in g.idp_ids})


def keeper_rank(member: SigmaMember, teams: Mapping[str, int], user_name: str,
                protected: Collection[str] = ()) -> tuple:
    """Sort key of the member suggested to keep an address (only an example for the reviewer): a protected
    person first (``protected``: memberIds, :attr:`Renames.protected`), then the one rule of every example
    (:func:`planner.rules.examples.example_rank`: active, more teams, spelled as the IdP sends it, newest)."""
    return (member.member_id not in protected,) + example_rank(member, teams, user_name)


def duplicate_resolution(use: AddressUse, directory: Directory, teams: Mapping[str, int],
                         protected: Collection[str] = ()) -> str:
    """The ``resolution`` of a ``linking.duplicate_email`` item: the policy that settles it (who keeps
    the address, how the others' addresses are freed), or what blocks that. A protected person
    (``protected``: memberIds, :attr:`Renames.protected`) is suggested to keep the address, and the
    ``deactivate`` choice renames them instead (the plan never deactivates them: tester10 finding 18)."""
    if use.clash:
        return (f"# the member linked with this address cannot be renamed: remove {', '.join(use.clash)} from "
                "linking.duplicates\n")
    if len(use.users) > 1:
        return ("# only one member can be linked with this address: link the others with another userName "
                "(user_name_guard) or rename them (linking.duplicates)\n")
    settle: dict = {}
    notes: list[str] = []
    if use.users:
        keeper = use.users[0][0]
    else:
        iid = involved_idp_ids(use)[0]
        user_name = directory.idp_users[iid].user_name
        keeper = min(use.holders, key=lambda m: keeper_rank(directory.members[m], teams, user_name, protected))
        settle["overrides"] = [{"idp": iid, "member": keeper}]
        why = ("protected: the plan never deactivates them" if keeper in protected
               else "the active one in the most teams")
        notes.append(f"who keeps the address: {keeper} is only an example ({why}); "
                     "pick the account that holds the person's work")
    others = [h for h in use.left if h != keeper]
    if not others:
        return yaml_snippet({"linking": settle}, notes=notes)
    renamed = {"linking": {**settle, "duplicates": {h: "rename" for h in others}}}
    if all(h in protected for h in others):
        notes.append("free the address of the others (renamed: they are protected, never deactivated):")
        return yaml_snippet(renamed, notes=notes)
    notes.append("free the address of the others (`deactivate` also deactivates them"
                 + ("; a protected person is renamed, never deactivated" if any(h in protected for h in others)
                    else "") + "):")
    return yaml_snippet(renamed, {"linking": {**settle, "duplicates": {
        h: "rename" if h in protected else "deactivate" for h in others}}}, notes=notes)


def duplicate_why(use: AddressUse) -> str:
    """Why a shared address blocks the plan, for the ``linking.duplicate_email`` message: what linking would do,
    since the item holds every holder and IdP user it names until it is settled (:func:`planner.planning.
    hold_questioned`)."""
    if use.groups:
        return (f"IdP user {', '.join(involved_idp_ids(use))} matches all of them: linking one of them would be "
                "a guess, and Sigma links by email, so it could not tell them apart anyway")
    if use.clash:
        return "a member linking would link with this address is also renamed by linking.duplicates"
    if len(use.users) > 1:
        return f"linking would link {len(use.users)} of them with this address"
    return (f"linking would link {use.users[0][0]} with this address, and Sigma would refuse the link (409 "
            f"\"matches {len(use.holders)} members\") while {', '.join(use.left)} still hold(s) it")


def duplicate_email_item(use: AddressUse, renames: Renames, directory: Directory,
                         teams: Mapping[str, int]) -> ReviewItem:
    """``linking.duplicate_email`` (blocking): every holder of the address, and the IdP users involved, as
    candidates; the policy that settles it as resolution (module docstring)."""
    idp_ids = involved_idp_ids(use)
    candidates = [holder_candidate(directory.members[mid], holder_decision(mid, use, renames), teams)
                  for mid in use.holders]
    candidates += [ItemRef(idp_id=iid, user_name=directory.idp_users[iid].user_name) for iid in idp_ids]
    return make_review(
        "linking.duplicate_email",
        use.key,
        blocking=True,
        subject=ItemRef(email=use.key, member_ids=list(use.holders), idp_ids=idp_ids),
        message=f"{use.key} is the email of {len(use.holders)} Sigma members (letter case aside): {duplicate_why(use)}",
        rule="linking.duplicates",
        candidates=candidates,
        evidence=ItemEvidence(address=use.key),
        resolution=duplicate_resolution(use, directory, teams, renames.protected),
    )


# --------------------------------------------------------------------------- IdP-side duplicates


@dataclass(frozen=True, slots=True)
class IdpCollision:
    """IdP users the IdP would provision that share an address: ``keys`` (email keys, sorted) and
    ``idp_ids`` (sorted), one connected group (a shares with b, b with c: one group)."""

    keys: tuple[str, ...]
    idp_ids: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Exclusions:
    """``linking.excluded_idp_users`` resolved (:func:`resolve_excluded`): ``idp_ids``, the users it
    takes out, its ``review_items`` and ``uses``, what each entry naming an IdP user of the export settled
    (:func:`exclusion_uses`)."""

    idp_ids: frozenset[str] = frozenset()
    review_items: tuple[ReviewItem, ...] = ()
    uses: tuple[EntryUse, ...] = ()


def resolve_excluded(policy: Policy, directory: Directory) -> Exclusions:
    """``linking.excluded_idp_users`` -> :class:`Exclusions`.

    An entry naming nobody in the IdP export is skipped (a blocking ``policy.unknown_reference``,
    :mod:`.policy_refs`); an excluded user the IdP would provision (active, in scope) gets the
    informational ``linking.idp_user_excluded`` item: the IdP must stop provisioning it.
    """
    ids: set[str] = set()
    items: list[ReviewItem] = []
    for ref in policy.linking.excluded_idp_users:
        iid = directory.find_idp_id(ref)
        if iid is not None:  # one naming nobody: planner.rules.policy_refs reports it
            ids.add(iid)
    items += [excluded_user_item(iid, directory) for iid in sorted(ids) if iid in directory.in_scope_idp_ids]
    return Exclusions(frozenset(ids), tuple(items), tuple(exclusion_uses(policy, directory)) if ids else ())


def exclusion_uses(policy: Policy, directory: Directory) -> list[EntryUse]:
    """What each ``linking.excluded_idp_users`` entry naming an IdP user of the export settled
    (:mod:`.policy_entries`): the ``linking.idp_duplicate`` question of the users sharing an address, which it
    answers for the user it names while that user is one of an :class:`IdpCollision` (:func:`idp_collisions`
    before any exclusion: the users the IdP would provision). An excluded user no other user the IdP provisions
    shares an address with (inactive or out of scope themselves, or the other account gone) is asked no such
    question: the entry settles nothing (and, left, keeps them from being linked or created whatever comes). An
    entry naming nobody is :mod:`.policy_refs`'."""
    sharing = {iid: c for c in idp_collisions(directory) for iid in c.idp_ids}
    uses = []
    for i, ref in enumerate(policy.linking.excluded_idp_users):
        iid = directory.find_idp_id(ref)
        if iid is None:
            continue
        user_name = directory.scim_user_names.get(iid, "")
        collision = sharing.get(iid)
        if collision is not None:
            others = ", ".join(o for o in collision.idp_ids if o != iid)
            uses.append(EntryUse("linking.excluded_idp_users", i,
                                 f"IdP user {iid} not linked or created: {others} share {', '.join(collision.keys)}"))
        elif iid not in directory.in_scope_idp_ids:
            uses.append(EntryUse("linking.excluded_idp_users", i, "", f"IdP user {iid} ({user_name}) is inactive or "
                                 "outside scope.groups: the IdP provisions them no more"))
        else:
            uses.append(EntryUse("linking.excluded_idp_users", i, "", f"no other IdP user the IdP provisions shares "
                                 f"an address with IdP user {iid} ({user_name})"))
    return uses


def idp_ids_named(ref: str, directory: Directory) -> tuple[str, ...]:
    """The IdP users whose stored or sent userName has the key of ``ref`` (sorted)."""
    key = email_key(ref)
    found = directory.idp_ids_by_user_name_key.get(key, ()) + directory.idp_ids_by_scim_user_name_key.get(key, ())
    return tuple(sorted(set(found)))


def excluded_user_item(idp_id: str, directory: Directory) -> ReviewItem:
    """``linking.idp_user_excluded`` (informational): an excluded user the IdP would still provision."""
    user = directory.idp_users[idp_id]
    return make_review(
        "linking.idp_user_excluded", idp_id, blocking=False,
        subject=ItemRef(idp_id=idp_id, user_name=user.user_name),
        message=(f"IdP user {idp_id} ({user.user_name}) is excluded by linking.excluded_idp_users: the plan "
                 "neither links nor creates it; unassign it from the Sigma app in the IdP, or the IdP "
                 "provisions it anyway"),
        rule="linking.excluded_idp_users")


def idp_collisions(directory: Directory, excluded: AbstractSet[str] = frozenset()) -> list[IdpCollision]:
    """Groups of IdP users the IdP would provision (active, in scope, not excluded) whose sent
    userName or primary email share a key (:attr:`planner.directory.Directory.idp_ids_by_address_key`),
    sorted by their ids."""
    live = directory.in_scope_idp_ids
    shared: dict[str, list[str]] = {}
    for key, ids in directory.idp_ids_by_address_key.items():
        if len(ids) > 1:
            ids = [i for i in ids if i in live and i not in excluded]
            if len(ids) > 1:
                shared[key] = ids
    if not shared:
        return []
    graph = nx.Graph()
    graph.add_edges_from((("k", k), ("i", i)) for k, ids in shared.items() for i in ids)
    out = [IdpCollision(tuple(sorted(n[1] for n in c if n[0] == "k")), tuple(sorted(n[1] for n in c if n[0] == "i")))
           for c in nx.connected_components(graph)]
    return sorted(out, key=lambda c: c.idp_ids)


def ambiguous_matches(groups: Iterable[AmbiguousGroup]) -> dict[str, set[str]]:
    """IdP id -> the members an ambiguous match joins it to."""
    joined: dict[str, set[str]] = {}
    for group in groups:
        for edge in group.edges:
            joined.setdefault(edge[1], set()).add(edge[0])
    return joined


def collision_candidate(idp_id: str, directory: Directory, matches: list[str]) -> ItemRef:
    """One user of an :class:`IdpCollision` as a candidate: userName as sent, primary email, status,
    the row it came from and the members (``matches``) a match key joins it to."""
    user = directory.idp_users[idp_id]
    primary = user.primary_email
    return ItemRef(idp_id=idp_id, user_name=directory.scim_user_names[idp_id],
                   email=primary.value if primary and primary.value is not None else UNSET,
                   status=user.status or "active", row=str(user.source) if user.source is not None else UNSET,
                   matches=matches or UNSET)


def idp_collision_item(collision: IdpCollision, directory: Directory, linked: Mapping[str, str],
                       joined: Mapping[str, set[str]]) -> ReviewItem:
    """The blocking ``linking.idp_duplicate`` item of one :class:`IdpCollision` (module docstring).

    ``linked``: IdP id -> the member a match key links it to; ``joined``: IdP id -> the members an
    ambiguous match joins it to (:func:`ambiguous_matches`). The snippet keeps, as an example, the
    user linked to a member (else the first) and excludes the others.
    """
    ids = collision.idp_ids
    candidates = [collision_candidate(iid, directory, sorted({linked[iid]} if iid in linked else joined.get(iid, ())))
                  for iid in ids]
    keeper = next((i for i in ids if i in linked), ids[0])
    why = "a Sigma member matches it" if keeper in linked else "only an example"
    return make_review(
        "linking.idp_duplicate", ids[0], blocking=True,
        subject=ItemRef(idp_ids=list(ids), addresses=list(collision.keys)),
        message=(
            f"IdP users {', '.join(ids)} share {', '.join(collision.keys)} (letter case aside) as userName or "
            "email: the IdP would provision each of them, and Sigma, which identifies a user by that address, "
            "would hold two accounts for one person or refuse one; none is linked or created until the policy "
            "says which accounts are not the person's"
        ),
        rule="linking.excluded_idp_users",
        candidates=candidates,
        evidence=ItemEvidence(addresses=list(collision.keys), rows=[cand.row or "" for cand in candidates]),
        resolution=yaml_snippet(
            {"linking": {"excluded_idp_users": [i for i in ids if i != keeper]}},
            notes=[f"{keeper} is the person's account ({why}); exclude the others and unassign them from the "
                   "Sigma app in the IdP",
                   "or give each its own address in the IdP, export again and plan again"],
        ),
    )
