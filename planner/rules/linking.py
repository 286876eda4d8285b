"""Linking rules: overrides, who is linked / created / left unmatched, the userName guard, hints.

Sigma links a SCIM user to an existing member **by email**, and a later change
of ``userName`` creates a second account (docs/sigma-api.md §5.3). So:

- :func:`resolve_overrides` turns ``linking.overrides`` into pinned links and
  "never link" IdP ids (unknown ids are blocking review items);
- :func:`decide` gives every person a :class:`~planner.directory.Person` record: its
  :class:`~planner.directory.PersonStatus` (:func:`linked_status`, :func:`unlinked_member_status`,
  :func:`unlinked_idp_status`) and, for a link, the userName it sends under the **userName guard**
  (:func:`user_name_choice`: a link whose IdP userName differs from the Sigma email would create a
  second account); it raises review items for ambiguous matches, same-person **hints** (same name
  or same local part under another address, or near addresses, :mod:`planner.near_addresses`:
  never a link; leavers are compared too), plus-address variants, rehires, a member matched to an inactive IdP user
  while an active one matches it too (:func:`new_account_item`: a new IdP account of the person?), embed members a
  link would make internal
  (:func:`embed_member_item`) and creates that collide with an existing email. Each rule is a function of one person (or one
  ambiguous group), the policy and the :class:`~planner.directory.Directory`; :func:`decide` folds them;
- :func:`link_actions` emits ``scim.link_user``, ``scim.create_user``,
  ``members.set_email`` and ``members.reactivate`` once account types are known
  (:func:`person_link_actions`, :func:`create_user_action`: one person each).

The statuses are :class:`~planner.directory.PersonStatus`'s. A linked member's IdP user that is
inactive or out of scope is not linked: the member is a ``leaver`` / ``not_in_scope`` and
:mod:`.unmatched` decides. IdP users with no userName to send, and Sigma's scheduler robot, are
never created.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from functools import lru_cache
from operator import attrgetter
from typing import Collection, Hashable, Iterable, Mapping, Sequence

import msgspec
import networkx as nx
from msgspec.structs import replace

from ..matching import (PINNED_KEYS, PLUS_TAG, AmbiguousGroup, IdentityGraph, NewAccount, idp_attribute,
                        member_attribute, new_accounts)
from ..near_addresses import NEAR_REASONS, dns_domain, is_look_alike, letters_outside_ascii, near_keys, near_reason
from ..model import (
    DERIVED_EMAIL_TYPES, SCHEDULER_ROBOT_EMAIL, Action, ActionKind, AppliedArchive, IdpUser, ItemEvidence, ItemRef,
    NameHint, ReviewItem, ScimUser, SigmaMember, email_key,
)
from ..policy import NEVER, Guests, Linking, Policy, UserNameGuard
from ..sources.entra import deleted_user_upn, is_ext_upn
from ..sources.values import clean_address, clean_text, is_valid_email, team_name_key, unclean_parts
from ..payloads import (
    UNSET,
    ArchivedState,
    CreateUserEvidence,
    CreateUserTarget,
    EmailState,
    LinkUserBefore,
    LinkUserEvidence,
    LinkUserTarget,
    LostCandidate,
    MemberRef,
    ReactivateEvidence,
    ScimCreateUser,
    ScimLinkUser,
    ScimUserAfter,
    SetEmailEvidence,
)
from .address_takeover import (MadeAfterArchive, creation_gap, made_after_archive, member_made, names_phrase,
                               person_settlements, takeover_items, user_made)
from .reactivated import archived_by_hand, archived_by_hand_item, decided, incomplete_export_item, missed_by_export
from .since_applied import HandChange
from .policy_entries import EntryUse
from .examples import example_order, member_status, team_counts, unsafe_example
from .idp_status import inactive_because
from .scim_values import mixed_script_parts
from .teams import Assignment, assign_groups
from . import Outcome, action_id, make_action, make_review, outside_policy, person_ref, yaml_snippet
from ..directory import Directory, Group, Link, LinkedPair, Person, PersonStatus
from ..person_names import (GIVEN, SAME, WITHIN, PersonName, compare, family_shared, given_agrees, given_key,
                            idp_person_name, member_person_name, parts, single_word, whole)


# --------------------------------------------------------------------------- overrides


def resolve_overrides(policy: Policy, directory: Directory) -> tuple[tuple[LinkedPair, ...], frozenset[str], Outcome]:
    """``linking.overrides`` of ``policy`` -> (the pinned links, key ``override``, in the policy's order;
    the never-link IdP ids; the review items).

    An override naming an IdP user or member that is not in the exports is skipped: it is a blocking
    ``policy.unknown_reference`` item (:mod:`.policy_refs`, the reviewer's intent cannot be carried out). A later
    override naming the pair an earlier one pins, spelled otherwise, pins nothing more (the informational
    ``policy.person_named_twice``, :mod:`.repeated_people`; was a plan's internal error: the link twice).
    """
    pinned: list[LinkedPair] = []
    never: set[str] = set()
    seen: set[tuple[str, str]] = set()
    outcome = Outcome()
    for i, o in enumerate(policy.linking.overrides):
        idp_id = directory.find_idp_id(o.idp)
        if idp_id is None:  # planner.rules.policy_refs reports it
            continue
        if o.member == NEVER:
            never.add(idp_id)
            continue
        member_id = directory.find_member_id(o.member)
        if member_id is None or (member_id, idp_id) in seen:  # policy_refs reports it; a pair named twice (by
            continue  # memberId and email, IdP id and userName) is one link: policy.person_named_twice says so
        seen.add((member_id, idp_id))
        link = Link("override", "override", directory.members[member_id].email, f"linking.overrides[{i}]",
                    directory.idp_users[idp_id].user_name)
        pinned.append(LinkedPair(member_id, idp_id, link))
    return tuple(pinned), frozenset(never), outcome


def override_uses(policy: Policy, directory: Directory, scim_pairs: Iterable[LinkedPair]) -> list[EntryUse]:
    """What each ``linking.overrides`` entry naming people of the exports settled (:mod:`.policy_entries`): a
    ``never`` entry keeps its IdP user from every match; a pinned link settles who the IdP user is, unless
    Sigma's SCIM state already links the same member and IdP user (``scim_pairs``, :func:`.scim_state.scim_links`:
    a wave applied before settled it, :func:`.scim_state.merge_pins` drops the pin), which settles nothing. An
    entry naming someone the exports lack is :mod:`.policy_refs`' (no use reported)."""
    linked = {(p.member_id, p.idp_id) for p in scim_pairs}
    uses = []
    for i, o in enumerate(policy.linking.overrides):
        idp_id = directory.find_idp_id(o.idp)
        member_id = None if o.member == NEVER else directory.find_member_id(o.member)
        if idp_id is None or (o.member != NEVER and member_id is None):
            continue
        if o.member == NEVER:
            uses.append(EntryUse("linking.overrides", i, f"never links IdP user {idp_id}"))
        elif (member_id, idp_id) in linked:
            uses.append(EntryUse("linking.overrides", i, "", f"Sigma's SCIM state already links member {member_id} "
                                 f"to IdP user {idp_id}: a wave applied before settled it"))
        else:
            uses.append(EntryUse("linking.overrides", i, f"links IdP user {idp_id} to member {member_id}"))
    return uses


def guard_override_uses(policy: Policy, directory: Directory, people: Iterable[Person]) -> list[EntryUse]:
    """What each ``user_name_guard.overrides`` entry naming an IdP user settled (:mod:`.policy_entries`):
    ``use_primary_email`` the userName sent for that user (:attr:`planner.directory.Directory.scim_user_names`);
    another the userName guard's verdict on a link of that user whose userName is not the member's email
    (:func:`user_name_choice`: a person with a ``guard``), but ``update_sigma_email`` of a member SCIM provisioned,
    which the guard refuses (verdict ``review``). Without such a link it settles nothing."""
    if not policy.user_name_guard.overrides:
        return []
    guarded = {p.idp_id: p.guard for p in people if p.guard is not None and p.idp_id}
    uses = []
    for ref, how in policy.user_name_guard.overrides.items():
        idp_id = directory.find_idp_id(ref)
        if idp_id is None:
            continue
        if how == "update_sigma_email" and guarded.get(idp_id) == "review":  # user_name_choice: SCIM-managed
            uses.append(EntryUse("user_name_guard.overrides", ref, "", f"SCIM provisioned IdP user {idp_id}'s member, "
                                 "whose email Sigma refuses to change through REST: the blocking "
                                 "user_name_guard.mismatch says what settles it"))
        elif how == "use_primary_email" or idp_id in guarded:
            uses.append(EntryUse("user_name_guard.overrides", ref, f"{how} for IdP user {idp_id}"))
        else:
            uses.append(EntryUse("user_name_guard.overrides", ref, "", f"no link of IdP user {idp_id} sends a userName "
                                 "other than the member's email"))
    return uses


# --------------------------------------------------------------------------- statuses


def linked_status(member: SigmaMember, idp_id: str, key: str, directory: Directory, policy: Linking,
                  held_idp_users: frozenset[str] = frozenset()) -> PersonStatus:
    """The status of ``member`` linked to IdP user ``idp_id`` by match key ``key`` (module docstring).

    ``held_idp_users``: IdP users another family holds (:func:`.duplicates.idp_collisions`). An
    archived or inactive member matched by a live (active, in-scope) IdP user is reactivated when a
    reviewer or Sigma's SCIM state linked them (``key`` ``override``/``scim``) or
    ``linking.archived_members: reactivate`` says so, else a blocking rehire. An IdP user the IdP made after
    Sigma archived the member (:func:`.address_takeover.made_after_archive`) is a rehire whatever
    ``linking.archived_members`` and the names say, until a ``linking.overrides`` entry settles that person
    (tester20 finding 4: a leaver's account reactivated for a stranger who got the address and the name).
    """
    if idp_id in held_idp_users:
        return PersonStatus.HELD
    live = idp_id in directory.in_scope_idp_ids  # in scope means active too
    if not member.is_active:
        if not live:
            return PersonStatus.DEACTIVATED
        if key in ("override", "scim"):
            return PersonStatus.REACTIVATE
        if policy.archived_members == "reactivate" and made_after_archive(member, directory.idp_users[idp_id], directory) is None:
            return PersonStatus.REACTIVATE
        return PersonStatus.REHIRE
    if member.user_kind == "guest":
        return PersonStatus.GUEST
    if idp_id not in directory.active_idp_ids:
        return PersonStatus.LEAVER
    return PersonStatus.LINK if live else PersonStatus.NOT_IN_SCOPE


def unlinked_member_status(member: SigmaMember, held_members: set[str] | frozenset[str],
                           left_behind: Collection[str] = ()) -> PersonStatus:
    """The status of a member no IdP user links to: held (in an ambiguous group), deactivated
    (archived or inactive), guest, else unmatched (:mod:`.unmatched` decides). A guest whose IdP user the IdP's push
    provisioned as another member (``left_behind``: :attr:`planner.directory.ScimState.provisioned_elsewhere`, an
    Entra B2B guest pushed under its ``#EXT#`` userPrincipalName) is unmatched too: its ``scim.second_account``
    question is :mod:`.unmatched`'s, not a guest's disabling (tester22 finding 1, its Entra face)."""
    if member.member_id in held_members:
        return PersonStatus.HELD
    if not member.is_active:
        return PersonStatus.DEACTIVATED
    if member.user_kind == "guest" and member.member_id not in left_behind:
        return PersonStatus.GUEST
    return PersonStatus.UNMATCHED


def unlinked_idp_status(user: IdpUser, held_idp: set[str] | frozenset[str], guests: Guests) -> PersonStatus:
    """The status of an in-scope IdP user linked to no member: held (in a blocking item), an IdP guest
    not created (``guests.create_from_idp`` off), else created."""
    if user.id in held_idp:
        return PersonStatus.HELD
    if user.is_guest and not guests.create_from_idp:
        return PersonStatus.IDP_GUEST
    return PersonStatus.CREATE


# --------------------------------------------------------------------------- the userName guard


class UserNameChoice(msgspec.Struct, frozen=True):
    """What a link sends as SCIM userName, and why (:func:`user_name_choice`).

    ``user_name`` / ``user_name_key``: the userName the link sends (and the member's email after
    it); ``guard``: the userName guard's verdict on a mismatch (``None`` when there is none);
    ``invalid``: what the IdP would send is no address Sigma can take (:func:`unsendable_user_name`:
    the person is held). A member's Sigma email that is not, beyond letter case, the userName sent is set
    first (:func:`cleans_sigma_email`).
    """

    user_name: str
    user_name_key: str
    guard: str | None = None
    invalid: bool = False


def guard_overrides(directory: Directory, policy: UserNameGuard) -> dict[str, str]:
    """``user_name_guard.overrides`` by IdP id (an entry naming no IdP user kept as written), leaving out
    ``use_primary_email``, which :attr:`planner.directory.Directory.scim_user_names` applies."""
    return {(directory.find_idp_id(ref) or ref): how for ref, how in policy.overrides.items()
            if how != "use_primary_email"}


def differs_beyond_case(a: str | None, b: str | None) -> bool:
    """Two addresses differ by more than letter case (Sigma's userName lookup ignores case only)."""
    return a != b and (a or "").lower() != (b or "").lower()


def user_name_choice(email: str, key: str, sent: str, sent_key: str, idp_id: str, provisioned: bool,
                     on_mismatch: str, overrides: Mapping[str, str], managed: bool = False) -> UserNameChoice:
    """The userName a link of member ``email`` (key ``key``) to IdP user ``idp_id`` (sending ``sent``,
    key ``sent_key``) sends, and the userName guard's verdict (docs/sigma-api.md §5.3: Sigma links by
    email; a userName that is not the member's email creates a second account).

    Not provisioned (a leaver, a guest left disabled, ...): the Sigma email, no verdict. A mismatch
    of keys: ``overrides[idp_id]`` else ``on_mismatch`` decides (``update_sigma_email``: send the
    IdP's userName, the member's email follows; ``use_sigma_email``: send the Sigma email, cleaned;
    ``review``: blocking). ``on_mismatch: update_sigma_email`` never adopts a look-alike of the member's
    email written in one script per label (:func:`planner.near_addresses.is_look_alike`, tester6 finding 5:
    Cyrillic ``асе@`` for ``ace@``): that link is ``review``; only an override naming the IdP user adopts
    it. A label mixing scripts is held by :func:`.scim_values.hold_refused` with its own verdict. ``managed``
    (SCIM provisioned the member, :meth:`planner.directory.ScimState.managed_user`): ``update_sigma_email``, from
    ``on_mismatch`` or an override, is ``review``, since Sigma refuses the REST email change of a SCIM-managed
    member (403, docs/sigma-api.md §5.3) and a new userName makes a second account (:func:`mismatch_item` says
    what settles it; tester11 finding 8). No mismatch: the IdP's own spelling when the Sigma email differs from it by more
    than letter case (issue 14 item 1) or when it is not clean (:func:`~planner.sources.values.clean_address`:
    the IdP keeps sending it after the link, so :func:`.scim_values.hold_refused` judges it: a KELVIN SIGN
    ``\u212a`` lower-cases to ``k``, so ``\u212aelvin@`` differs from ``KELVIN@`` by letter case alone, but is
    not in Unicode NFC, which Sigma refuses: tester10 finding 15), else the Sigma spelling. An override
    ``use_sigma_email`` also decides a link whose sent userName has the member's key but is no userName Sigma takes
    (:func:`unsendable_user_name`: an invisible character the key drops), the fix the blocking
    ``user_name_guard.invalid_user_name`` item suggests (left19: the override was read only on a mismatch, so
    the pasted snippet left the item blocking and was called unused).
    """
    if not provisioned:
        return UserNameChoice(email, key)
    guard = None
    user_name, user_name_key = email, key
    if sent_key != key or (overrides.get(idp_id) == "use_sigma_email" and unsendable_user_name(sent, idp_id)):
        guard = overrides.get(idp_id, on_mismatch)
        if (guard == "update_sigma_email" and idp_id not in overrides and is_look_alike(key, sent_key)
                and not mixed_script_parts(sent)):  # a label mixing scripts: held by .scim_values instead
            guard = "review"
        if guard == "update_sigma_email" and managed:
            guard = "review"
        if guard == "update_sigma_email":
            user_name, user_name_key = sent, sent_key
        elif guard == "use_sigma_email":
            user_name = clean_address(email)
    elif email != sent and (differs_beyond_case(email, sent) or clean_address(sent) != sent):
        user_name = sent
    invalid = unsendable_user_name(user_name if guard == "use_sigma_email" else sent, idp_id) is not None
    return UserNameChoice(user_name, user_name_key, guard, invalid)


def cleans_sigma_email(person: Person) -> bool:
    """A link of ``person`` sets the member's Sigma email first (``members.set_email``, rule
    ``linking.clean_sigma_email``, with one informational ``linking.unclean_sigma_email``) because the email
    differs by more than letter case from the userName sent (:attr:`Person.user_name`) though the userName
    guard did not change it (issue 14 item 1: an email kept as typed, with spaces or invisible characters)."""
    return person.guard != "update_sigma_email" and differs_beyond_case(person.member.email, person.user_name)


# --------------------------------------------------------------------------- people


_LINK, _REACTIVATE, _REHIRE, _GUEST, _HELD, _LEAVER = (
    PersonStatus.LINK, PersonStatus.REACTIVATE, PersonStatus.REHIRE, PersonStatus.GUEST, PersonStatus.HELD,
    PersonStatus.LEAVER)
# enum members are singletons, so the readers below compare a status by identity (``is``)


@dataclass(frozen=True, slots=True)
class LinkingResult:
    """What :func:`decide` returns: every person's record (sorted by its ``person`` key) and the
    linking review items."""

    people: tuple[Person, ...]
    outcome: Outcome


class LinkedPerson(msgspec.Struct, frozen=True):
    """A linked pair as :func:`linked_person` decides it: the ``person`` record and the userName
    ``choice`` behind its ``user_name`` / ``guard`` (the review items read the choice)."""

    person: Person
    choice: UserNameChoice
    embed: bool = False
    """The member is an ``embed`` member the link would make internal: held (:func:`embed_member_item`)."""
    by_hand: HandChange | None = None
    """The member was archived or deactivated by hand since the applied plan that saw them active was made
    (:func:`.reactivated.archived_by_hand`), and linking would write that back: held (``would``,
    :func:`.reactivated.archived_by_hand_item`) until ``unmatched.decisions`` keeps them."""
    would: str = ""


def linked_person(pair: LinkedPair, policy: Policy, directory: Directory, held_idp_users: frozenset[str],
                  overrides: Mapping[str, str], by_hand: Mapping[str, HandChange] = {},
                  kept: Mapping[str, str] = {}) -> LinkedPerson:
    """The record of the member and IdP user ``pair`` joins: :func:`linked_status`, and the userName the
    link sends (:func:`user_name_choice`, ``overrides``: :func:`guard_overrides`). The guard judges links,
    reactivations, rehires, and guests ``guests.action: convert`` may convert (a live IdP user links them);
    a userName Sigma cannot take holds the person (``held``, docs/sigma-api.md §5.3).

    ``by_hand``: the members archived or deactivated by hand since an applied plan saw them active
    (:func:`.reactivated.archived_by_hand`); one linking would reactivate or ask about as a rehire is held
    (:func:`hand_change_status`), ``kept``: their ``unmatched.decisions`` words (:func:`.reactivated.decided`)."""
    member, iid = directory.members[pair.member_id], pair.idp_id
    status = linked_status(member, iid, pair.link.key, directory, policy.linking, held_idp_users)
    seen = by_hand.get(pair.member_id) if (status is _REACTIVATE or status is _REHIRE) else None
    would = ""
    if seen is not None:
        status, would = hand_change_status(status, pair.link.key, policy.linking, kept.get(pair.member_id))
        if not would:
            seen = None
    provisioned = status is _LINK or status is _REACTIVATE or status is _REHIRE or (
        status is _GUEST and iid in directory.in_scope_idp_ids and policy.guests.action == "convert")
    choice = user_name_choice(member.email, member.email_key or email_key(member.email),
                              directory.scim_user_names[iid], directory.scim_user_name_keys[iid], iid,
                              provisioned, policy.user_name_guard.on_mismatch, overrides,
                              directory.scim.managed_user(pair.member_id) is not None)
    embed = member.user_kind == "embed" and (status is _LINK or status is _REACTIVATE)
    if choice.invalid or embed:
        status = _HELD
    person = Person("m:" + pair.member_id, member, directory.idp_users[iid], pair.link, status,
                    choice.user_name, choice.user_name_key, choice.guard)
    return LinkedPerson(person, choice, embed, seen, would)


def hand_change_status(status: PersonStatus, key: str, policy: Linking, kept: str | None) -> tuple[PersonStatus, str]:
    """``(status, would)`` of a member archived or deactivated by hand since an applied plan saw them active, whom
    linking gave ``status`` (``reactivate`` or ``rehire``) by match ``key``: ``deactivated`` (nothing planned) when
    ``kept`` (their ``unmatched.decisions`` word) is ``keep``, with ``would`` ``""``; else ``held``, and ``would``
    says what linking would have done, for the blocking ``linking.archived_by_hand`` item
    (:func:`.reactivated.archived_by_hand_item`; tester19 finding 1)."""
    if kept == "keep":
        return PersonStatus.DEACTIVATED, ""
    if status is _REHIRE:
        return _HELD, "ask whether to reactivate them as a rehire (linking.rehire)"
    why = ("a linking.overrides entry links them" if key == "override" else
           "Sigma's SCIM state links them" if key == "scim" else
           f"linking.archived_members is {policy.archived_members}")
    return _HELD, f"reactivate and link them ({why})"


def _held_links(linked: list[LinkedPerson], member_ids: Collection[str]) -> list[LinkedPerson]:
    """``linked`` with the people of ``member_ids`` held (status ``held``: no link, no deactivation); the same list
    when it names none."""
    if not member_ids:
        return linked
    return [replace(p, person=replace(p.person, status=_HELD)) if p.person.member_id in member_ids else p
            for p in linked]


def unlinked_member(member: SigmaMember, held_members: frozenset[str], left_behind: Collection[str] = ()) -> Person:
    """The record of a member no IdP user links to (:func:`unlinked_member_status`)."""
    return Person("m:" + member.member_id, member, None, None,
                  unlinked_member_status(member, held_members, left_behind))


def unlinked_idp_user(user: IdpUser, directory: Directory, held_idp: frozenset[str], guests: Guests) -> Person:
    """The record of an IdP user linked to no member (:func:`unlinked_idp_status`), with the userName a
    create would send."""
    return Person("i:" + user.id, None, user, None, unlinked_idp_status(user, held_idp, guests),
                  directory.scim_user_names[user.id], directory.scim_user_name_keys[user.id])


def unreadable_emails(directory: Directory, linked_members: Collection[str]) -> list[SigmaMember]:
    """The active non-guest members no IdP user links to whose email is no valid address
    (:func:`~planner.sources.values.is_valid_email` of it cleaned; the ``invalid-email`` finding of
    :mod:`planner.sources.validation`), in memberId order. No IdP user can match an address the plan
    cannot read, so "no IdP user matches" says nothing about them: they are held
    (:func:`invalid_sigma_email_item`), never deactivated on it."""
    found = [m for mid, m in directory.members.items()
             if mid not in linked_members and m.is_active and m.user_kind != "guest" and m.email_key
             and not is_valid_email(clean_address(m.email))]
    return sorted(found, key=_MEMBER_ID)  # the few found, not every member, sorted (memberIds are unique)


_MEMBER_ID = attrgetter("member_id")


def invalid_sigma_email_item(member: SigmaMember) -> ReviewItem:
    """Blocking ``linking.invalid_sigma_email``: an active member whose email is no valid address, naming
    file, record and value; the member is held (no action) until its email is corrected in Sigma."""
    where = f"{member.source.file}:{member.source.location}" if member.source else "the members file"
    return make_review(
        "linking.invalid_sigma_email", member.member_id, blocking=True,
        subject=person_ref(member_id=member.member_id, email=member.email),
        message=(f"member {member.member_id} ({where}) has email {member.email!r}, which is no valid address: no "
                 "IdP user can match it, so the plan cannot tell whether the person has one; held (never "
                 "deactivated or linked on it)"),
        rule="linking.invalid_sigma_email",
        resolution=outside_policy(f"correct the email of member {member.member_id} in Sigma (PATCH "
                                  "/v2/members/{memberId}), export and plan again"),
    )


def considered(idp_id: str, directory: Directory, held_idp: frozenset[str], excluded: frozenset[str]) -> bool:
    """Whether an IdP user linked to no member has a record: in scope (active) or held, not taken out by
    ``linking.excluded_idp_users``, and not Sigma's scheduler robot."""
    return ((idp_id in directory.in_scope_idp_ids or idp_id in held_idp) and idp_id not in excluded
            and directory.scim_user_name_keys[idp_id] != SCHEDULER_ROBOT_EMAIL)


def decide(policy: Policy, directory: Directory, graph: IdentityGraph, *,
           explained: frozenset[AmbiguousGroup] = frozenset(), freed: frozenset[str] = frozenset(),
           freed_for_moves: frozenset[str] = frozenset(), held_idp_users: frozenset[str] = frozenset(), held_members: frozenset[str] = frozenset(),
           excluded: frozenset[str] = frozenset(), assignments: Sequence[Assignment] | None = None) -> LinkingResult:
    """Every person's record (module docstring) and the linking review items, folded from the per-person
    rules above.

    ``explained``: ambiguous groups a shared address alone explains (:func:`.duplicates.explains`: its
    ``linking.duplicate_email`` item covers them). ``freed``: members whose address ``linking.duplicates``
    frees (:mod:`.duplicates`); a create or an email change onto their address does not collide with them.
    ``freed_for_moves``: members ``linking.duplicates`` renames although no other member shares their address
    (:attr:`.duplicates.Renames.pending`): freed for an email change onto it (``update_sigma_email``) and for a
    create sending it (a recycled address, :mod:`.address_takeover`) alone.
    ``held_idp_users``: IdP users in a blocking item of another family (IdP users sharing an address,
    :func:`.duplicates.idp_collisions`; a row a spreadsheet rewrote, :func:`.inputs.spreadsheet_holds`): they,
    and the members they link to, are held. ``held_members``: members another family's blocking item holds
    (the address a damaged IdP row shows is theirs; an open ``scim.reused_address`` question,
    :func:`.scim_state.scim_links`): never left unmatched. ``excluded``: IdP users
    ``linking.excluded_idp_users`` takes out: never created. ``assignments``: the teams' group assignments
    (:func:`.teams.assign_groups` of ``policy``, made once by :func:`planner.planning.decide`; ``None``: made here)
    for the same-person hints' teams in common (:meth:`SharedEvidence.of`).
    """
    outcome = Outcome()
    held_members = held_members | frozenset(m for g in graph.ambiguous for m in g.member_ids)
    held_idp = held_idp_users | frozenset(i for g in graph.ambiguous for i in g.idp_ids)
    outcome.review_items.extend(
        ambiguous_item(policy, directory, g) for g in graph.ambiguous
        # one member and IdP users that share an address: the IdP-side duplicate item covers it
        if g not in explained and not (len(g.member_ids) == 1 and held_idp_users.issuperset(g.idp_ids)))
    overrides = guard_overrides(directory, policy.user_name_guard)
    by_hand = archived_by_hand(directory)
    kept = decided(policy, directory) if by_hand else {}
    linked = [linked_person(pair, policy, directory, held_idp_users, overrides, by_hand, kept)
              for pair in graph.links]
    renewed = new_accounts(graph, directory.active_idp_ids)
    if renewed:  # a new IdP account of the person? both sides held until linking.overrides says
        outcome.review_items.extend(new_account_item(n, directory) for n in renewed)
        linked = _held_links(linked, {n.link.member_id for n in renewed})
        held_idp |= frozenset(e.idp_id for n in renewed for e in n.active) & directory.in_scope_idp_ids
    linked_members = {p.member_id for p in graph.links}
    linked_idp = {p.idp_id for p in graph.links}
    unread = unreadable_emails(directory, linked_members)
    outcome.review_items.extend(invalid_sigma_email_item(m) for m in unread)
    held_members |= frozenset(m.member_id for m in unread)
    elsewhere = directory.scim.provisioned_elsewhere
    free_members = [unlinked_member(m, held_members, elsewhere) for mid, m in directory.members.items()
                    if mid not in linked_members]
    free_idp = [unlinked_idp_user(u, directory, held_idp, policy.guests) for iid, u in directory.idp_users.items()
                if iid not in linked_idp and considered(iid, directory, held_idp, excluded)]
    # leavers are hinted too (tester19 finding 2), but one a reviewer or Sigma's SCIM state linked is decided
    leavers = [p.person for p in linked if p.person.status is _LEAVER and p.person.link.key not in PINNED_KEYS]
    hint_items, hinted, free_idp = hint_people(policy, directory, free_members + leavers, free_idp, graph.never,
                                                 assignments)
    free_members = hinted[:len(free_members)]
    linked = _held_links(linked, {p.member_id for p in hinted[len(free_members):] if p.status is _HELD})
    outcome.review_items.extend(hint_items)
    outcome.review_items.extend(link_items(linked, directory, freed | freed_for_moves))
    outcome.review_items.extend(takeover_items([p.person for p in linked], directory,
                                               policy.guests.action == "convert"))
    create_items, free_idp = settle_creates(free_idp, directory, freed | freed_for_moves)
    outcome.review_items.extend(create_items)
    people = [p.person for p in linked] + free_members + free_idp
    outcome.review_items.extend(plus_variant_items(people, directory, linked_members))
    outcome.review_items.extend(same_name_items(people, directory))
    people.sort(key=attrgetter("person"))
    return LinkingResult(tuple(people), outcome)


def hint_people(policy: Policy, directory: Directory, free_members: list[Person], free_idp: list[Person],
                never: frozenset[str], assignments: Sequence[Assignment] | None = None
                ) -> tuple[list[ReviewItem], list[Person], list[Person]]:
    """Unmatched members, active guests no IdP user links to (whom :mod:`.guests` would disable) and would-be
    creates that look like one person get a blocking ``linking.same_person_hint`` item and are held: near
    addresses always (:func:`near_address_hints`), a SCIM-linked member whose ``externalId`` vanished beside a
    create of a same-person candidate always (:func:`renamed_scim_hints`, tester18 finding 6), names that may be
    one person or the same local part under ``linking.name_hints`` (:func:`same_person_hints`). A guest is hinted by the same rule as an internal member: a partner hired
    as an employee would otherwise be disabled, their documents going to the document owner, beside a new
    account of the same person (tester17 finding 5). So is a leaver (status ``leaver``: a member linked to an IdP
    user that is not active, whom ``unmatched.idp_inactive`` would deactivate): a rehire given a new IdP account
    of another login is the same person (tester19 finding 2); :func:`decide` passes those a match key linked (one
    that ``linking.overrides`` or Sigma's SCIM state links is decided). People a reviewer already decided about
    (``unmatched.decisions``, a never-link override) are not hinted. ``assignments``: as :func:`decide`'s.
    Returns the items and both lists with the hinted people held."""
    decided = {directory.find_member_id(ref) for ref in policy.unmatched.decisions}
    members = [p.member for p in free_members if p.status in _HINTED_MEMBERS and p.member_id not in decided]
    users = [p.idp_user for p in free_idp if p.status is PersonStatus.CREATE and p.idp_id not in never]
    why_of = same_person_hints(members, users, directory, policy, assignments) if policy.linking.name_hints else {}
    for pair, reason in near_address_hints(members, users, directory).items():
        why_of.setdefault(pair, set()).add(reason)
    for pair, reasons in renamed_scim_hints(members, users, directory).items():
        why_of.setdefault(pair, set()).update(reasons)
    if not why_of:
        return [], free_members, free_idp
    leavers = {p.member_id: p.idp_user for p in free_members if p.status is _LEAVER}
    items = hint_items(why_of, policy, directory, leavers)
    hinted_m = {mid for mid, _ in why_of}
    hinted_i = {iid for _, iid in why_of}
    held = PersonStatus.HELD
    return (items, [replace(p, status=held) if p.member_id in hinted_m else p for p in free_members],
            [replace(p, status=held) if p.idp_id in hinted_i else p for p in free_idp])


_HINTED_MEMBERS = frozenset({PersonStatus.UNMATCHED, PersonStatus.GUEST, PersonStatus.LEAVER})
"""The statuses of the members that :func:`hint_people` compares with the would-be creates: unmatched
(:mod:`.unmatched` would decide), active guests no IdP user links to (:mod:`.guests` would disable them) and
leavers, linked to an IdP user that is not active (``unmatched.idp_inactive`` would decide: tester19 finding 2)."""


def _local_part(key: str) -> str:
    """The local part of an email key without its ``+tag`` (``""`` when it has no ``@``)."""
    if "+" in key:
        key = PLUS_TAG.sub(r"\1@", key, count=1)
    return key.rpartition("@")[0]


def same_person_hints(members: list[SigmaMember], users: list[IdpUser], directory: Directory,
                      policy: Policy | None = None, assignments: Sequence[Assignment] | None = None
                      ) -> dict[tuple[str, str], set[str]]:
    """``{(memberId, IdP id): reasons}`` of members and IdP users who may be one person: never a link on that
    alone, a hint for a reviewer (docs/policy.md "Same-person hints"; tester18 findings 3 and 4).

    Names are compared by the one comparison every "same person?" rule reads (:func:`planner.person_names.compare`:
    words, order, width, accents and case aside): the same words (``same name``: swapped order, a full name in
    ``firstName``) or one name within the other (a middle name, a double surname) are a hint on their own; given
    names that agree (equal, or a nickname of 3+ letters) are a hint only with other evidence of the pair
    (:meth:`SharedEvidence.between`: the family name, a team in common, onboarding dates, an employee number), so a
    marriage is hinted and two strangers sharing a common given name are not. The same local part of the
    addresses (``+tag`` dropped; the IdP side's sent userName) is a hint too. ``policy``: reads ``teams`` for
    the team an IdP group feeds (:func:`planner.rules.teams.assign_groups`, or ``assignments`` when given);
    ``None``: group names only.

    Candidates are found by keys, never pair by pair (:class:`NameIndex`): the same or contained word
    multisets by one look-up each, agreeing given names only together with a piece of the other evidence
    (:meth:`SharedEvidence.member_keys`), so the compared pairs grow with the people, not with the square of
    those sharing a common name (speed19: 55 s of a 100k plan)."""
    if not members or not users:
        return {}
    evidence = SharedEvidence.of(directory, policy, [m.member_id for m in members], [u.id for u in users],
                                 assignments)
    m_names = {m.member_id: member_person_name(m) for m in members}
    u_names = {u.id: idp_person_name(u) for u in users}
    singles = frozenset(w for n in m_names.values() if (w := single_word(n)))
    m_keys = {m.member_id: _paired(given_lookups(m_names[m.member_id]),
                                   evidence.member_keys(m, m_names[m.member_id])) for m in members}
    u_keys = {u.id: _paired(given_keys(u_names[u.id], singles), evidence.user_keys(u, u_names[u.id])) for u in users}
    why_of: dict[tuple[str, str], set[str]] = {}
    for mid, iid in candidate_pairs(m_names, m_keys, u_names, u_keys):
        name, other = m_names[mid], u_names[iid]
        verdict = compare(name, other)
        if verdict is None:
            continue
        if verdict != GIVEN:
            reasons = {_name_reason(verdict, name, other)}
        else:
            others = evidence.between(directory.members[mid], directory.idp_users[iid], name, other)
            if not others:
                continue
            reasons = {_given_reason(name, other), *others}
        why_of[mid, iid] = reasons  # candidate_pairs gives each pair once
    by_local: dict[str, list[str]] = {}
    for u in users:
        if local := _local_part(directory.scim_user_name_keys[u.id]):
            by_local.setdefault(local, []).append(u.id)
    for m in members:
        local = _local_part(m.email_key or email_key(m.email))
        for iid in by_local.get(local, ()) if local else ():
            why_of.setdefault((m.member_id, iid), set()).add("same local part")
    return why_of


def _paired(given: list[tuple[str, str]], evidence: list[tuple[str, object]]) -> list[tuple[object, object]]:
    """Each given-name key of a side (:func:`given_keys`, :func:`given_lookups`) with each of its evidence keys
    (:meth:`SharedEvidence.member_keys`, :meth:`SharedEvidence.user_keys`): the ``by_given`` keys of
    :class:`NameIndex`, the evidence keys built once per person (speed20: they were built again per given key)."""
    return [(g, e) for g in given for e in evidence]


def candidate_pairs(m_names: Mapping[str, PersonName], m_keys: Mapping[str, Collection[Hashable]],
                    u_names: Mapping[str, PersonName], u_keys: Mapping[str, Collection[Hashable]]
                    ) -> list[tuple[str, str]]:
    """The ``(memberId, IdP id)`` pairs :class:`NameIndex` finds between the members (``m_names``, their
    ``by_given`` keys ``m_keys``) and the IdP users (``u_names``, ``u_keys``): the same or contained names and
    the pairs sharing a ``by_given`` key, in memberId order, then IdP id. The smaller side is indexed and the
    larger probes it (the relation is symmetric): the larger side's names build no index (speed20)."""
    pairs: list[tuple[str, str]] = []
    if len(m_names) <= len(u_names):
        index = NameIndex.of(m_names, m_keys)
        for iid, name in u_names.items():
            pairs.extend((mid, iid) for mid in index.find(name, u_keys[iid]))
    else:
        index = NameIndex.of(u_names, u_keys)
        for mid, name in m_names.items():
            pairs.extend((mid, iid) for iid in index.find(name, m_keys[mid]))
    pairs.sort()
    return pairs


def renamed_scim_hints(members: list[SigmaMember], users: list[IdpUser], directory: Directory
                       ) -> dict[tuple[str, str], set[str]]:
    """``{(memberId, IdP id): reasons}`` of members SCIM provisioned whose ``externalId`` no IdP user of the
    export has any more (active in SCIM: the re-plan would ask ``scim.state_conflict`` "export absent") and
    would-be creates whose name is a same-person candidate of the member's (:func:`planner.person_names.compare`:
    given names that agree suffice, the vanished ``externalId`` beside a new IdP user being the other evidence).
    An IdP whose user id is the address (Google's admin console CSV: ``id`` is the primary email) gives a renamed
    person a new id, so the re-plan would create a second account beside the question about the old one
    (tester18 finding 6). Always on, whatever ``linking.name_hints`` says: it holds a SCIM-managed account.
    Candidates are found by :class:`NameIndex` (the given-name keys alone: no other evidence is asked)."""
    absent = {}
    for m in members:
        user = directory.scim.users.get(m.member_id)
        if user is not None and user.external_id and user.active is not False and (
                user.external_id not in directory.idp_users):
            absent[m.member_id] = (m, user.external_id)
    if not absent or not users:
        return {}
    m_names = {mid: member_person_name(m) for mid, (m, _) in absent.items()}
    u_names = {u.id: idp_person_name(u) for u in users}
    singles = frozenset(w for n in m_names.values() if (w := single_word(n)))
    why_of: dict[tuple[str, str], set[str]] = {}
    for mid, iid in candidate_pairs(m_names, {mid: given_lookups(n) for mid, n in m_names.items()},
                                    u_names, {iid: given_keys(n, singles) for iid, n in u_names.items()}):
        verdict = compare(m_names[mid], u_names[iid])
        if verdict is not None:
            why_of[(mid, iid)] = {
                _name_reason(verdict, m_names[mid], u_names[iid]),
                f"SCIM externalId {absent[mid][1]!r} of the member absent from the export (renamed in the IdP?)"}
    return why_of


@dataclass(frozen=True)
class NameIndex:
    """The names of one side of a comparison (members or would-be creates: :func:`candidate_pairs` indexes the
    smaller) and the keys that find them, so that a name is compared only with the names it may be one person
    with:

    - ``by_part``: each of a name's :func:`~planner.person_names.parts` (sorted word multisets of 2+ words) ->
      the ids holding it; ``by_whole``: each name's :func:`~planner.person_names.whole` multiset (2+ words) ->
      ids. :meth:`find` looks up a name's whole in the first and each of its parts in the second: exactly
      the :data:`~planner.person_names.SAME` and :data:`~planner.person_names.WITHIN` pairs (a name of more
      than :data:`~planner.person_names.INDEXED_WORDS` words: by its first 6);
    - ``by_given``: each key the caller gives a person (:func:`given_keys` on the IdP side, :func:`given_lookups`
      on the members', alone or paired with a key of the other evidence, :meth:`SharedEvidence.user_keys`) ->
      ids; :meth:`find` looks up the other side's keys.

    Was (hints18): an index of every name word and 3-letter given-name prefix, so a member was compared with
    every create sharing "Michael" or "Smith": 1.8M comparisons, 55 s of a 100k plan (speed19)."""

    by_part: Mapping[tuple[str, ...], list[str]]
    by_whole: Mapping[tuple[str, ...], list[str]]
    by_given: Mapping[Hashable, list[str]]

    @classmethod
    def of(cls, names: Mapping[str, PersonName], keys: Mapping[str, Iterable[Hashable]]) -> "NameIndex":
        """The index of ``names`` (id -> name); ``keys``: each id's ``by_given`` keys."""
        by_part: dict[tuple[str, ...], list[str]] = {}
        by_whole: dict[tuple[str, ...], list[str]] = {}
        by_given: dict[Hashable, list[str]] = {}
        for pid, name in names.items():
            if len(name.tokens) >= 2:
                for part in parts(name):
                    by_part.setdefault(part, []).append(pid)
                by_whole.setdefault(whole(name), []).append(pid)
            for key in set(keys[pid]):
                by_given.setdefault(key, []).append(pid)
        return cls(by_part, by_whole, by_given)

    def find(self, name: PersonName, keys: Iterable[Hashable]) -> set[str]:
        """The ids whose names are the same as ``name``'s or one within the other (2+ words each side), and
        those indexed under any of ``keys`` (the other side's, as the index was built)."""
        found = {pid for key in keys for pid in self.by_given.get(key, ())}
        if len(name.tokens) >= 2:
            found.update(self.by_part.get(whole(name), ()))
            for part in parts(name):
                found.update(self.by_whole.get(part, ()))
        return found


def given_keys(name: PersonName, singles: Collection[str]) -> list[tuple[str, str]]:
    """The keys an IdP user's name is found by as a :data:`~planner.person_names.GIVEN` candidate: ``("g", key)``
    its :func:`~planner.person_names.given_key` (agreeing given names share it); ``("1", word)`` the word of a
    one-word name (within any name holding it); ``("w", word)`` each of its words that is a one-word name
    on the members' side (``singles``). A member's :func:`given_lookups` meets one of them for every
    GIVEN pair."""
    keys = [("g", g)] if (g := given_key(name)) else []
    if w := single_word(name):
        keys.append(("1", w))
    keys.extend(("w", t) for t in set(name.tokens) & singles)
    return keys


def given_lookups(name: PersonName) -> list[tuple[str, str]]:
    """The keys a member's name looks up (:func:`given_keys`): ``("g", key)``, ``("w", word)`` for a one-word
    name, ``("1", word)`` for each word (a one-word IdP name within it)."""
    keys = [("g", g)] if (g := given_key(name)) else []
    if w := single_word(name):
        keys.append(("w", w))
    keys.extend(("1", t) for t in set(name.tokens))
    return keys


def _name_reason(verdict: str, a: PersonName, b: PersonName) -> str:
    """How a hint says names compare: ``same name``, ``same name parts ('Greta Marie Dunmore' / 'Greta Dunmore')``,
    or for agreeing given names :func:`_given_reason`."""
    if verdict == SAME:
        return "same name"
    if verdict == WITHIN:
        return f"same name parts ({a.text!r} / {b.text!r})"
    return _given_reason(a, b)


GIVEN_REASONS = ("same given name", "given names alike", "one name within the other")
"""How :func:`_given_reason` starts: a hint of agreeing given names with other evidence, whose item asks
:data:`RENAMED` (tester18 finding 3: a marriage)."""

RENAMED = " (the same person renamed, or two people?)"


def _given_reason(a: PersonName, b: PersonName) -> str:
    """How the given names of a :data:`~planner.person_names.GIVEN` pair agree, as a hint says it."""
    if a.given and b.given and a.given[0] == b.given[0]:
        return "same given name"
    if given_agrees(a, b):
        return f"given names alike ({a.text!r} / {b.text!r})"
    return f"one name within the other ({a.text!r} / {b.text!r})"


ONBOARDING = timedelta(days=30)
"""How long before Sigma made a member the IdP may have made a user for the two to be one onboarding (tester18
finding 3: the IdP account is made first, the Sigma invitation follows within days)."""

BROAD_SHARE = 0.2
"""A team (its id or folded name, or an IdP group's folded name) held by more than this share of the members, or
of the IdP users, is no "team in common" (:func:`broad_keys`): a team of nearly everyone says nothing about
two people (tester18 note; docs/policy.md "Same-person hints")."""

BROAD_FLOOR = 50
"""A team of this many people or fewer is evidence whatever its share (a small organization's Finance team of 5
of 20 people is a working group, not everyone)."""

_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


def onboarding_period(moment: datetime) -> int:
    """The :data:`ONBOARDING`-long period since 1970-01-01 UTC that holds ``moment`` (a number; negative before)."""
    return (moment - _EPOCH) // ONBOARDING


def broad_keys(holders: Mapping[str, int], people: int) -> set[str]:
    """The keys of ``holders`` (team key -> how many people hold it) that more than :data:`BROAD_SHARE` of
    ``people`` and more than :data:`BROAD_FLOOR` people hold."""
    limit = max(BROAD_FLOOR, BROAD_SHARE * people)
    return {k for k, n in holders.items() if n > limit}


def team_holder_counts(directory: Directory, team_keys: Mapping[str, str]) -> dict[str, int]:
    """How many members hold each team id of ``team_keys`` (teamId -> folded name) and each folded name (the
    members of the teams of that name, each once)."""
    counts = {tid: len(directory.team_members.get(tid, ())) for tid in team_keys}
    tids_of: dict[str, list[str]] = {}
    for tid, key in team_keys.items():
        tids_of.setdefault(key, []).append(tid)
    for key, tids in tids_of.items():
        counts[key] = counts[tids[0]] if len(tids) == 1 else len(
            {tm.member_id for tid in tids for tm in directory.team_members.get(tid, ())})
    return counts


_EMPLOYEE_FIELDS = ("employeeNumber", "employeeId", "Employee ID")
"""The fields that carry an employee number: Okta/SCIM ``employeeNumber``, Entra and Sigma ``employeeId``, the
Google admin console CSV's ``Employee ID``."""


@dataclass(frozen=True)
class SharedEvidence:
    """What else than a given name a member and an IdP user may share (:meth:`between`): built once per plan
    from ``directory`` (each member's team ids and folded team names; each IdP user's folded group names and
    the team ids ``teams`` assigns their groups, :func:`planner.rules.teams.assign_groups`)."""

    member_teams: Mapping[str, frozenset[str]]
    user_teams: Mapping[str, frozenset[str]]
    team_names: Mapping[str, str]

    @classmethod
    def of(cls, directory: Directory, policy: Policy | None, member_ids: Collection[str],
           user_ids: Collection[str], assignments: Sequence[Assignment] | None = None) -> "SharedEvidence":
        """The teams and groups of the members ``member_ids`` and the IdP users ``user_ids`` (the people a rule
        compares; ``policy``: its ``teams`` and ``scope.groups`` for the assignments, :func:`.teams.assign_groups`,
        unless ``assignments`` gives them; ``None``: names only), the
        keys :func:`broad_keys` finds among everyone's left out. Each team's and group's members are counted
        by its length (:attr:`Group.member_ids` lists each once) and intersected with the asked people in C, never
        walked one by one (speed20: 0.5 s of a 100k plan)."""
        team_keys = {tid: team_name_key(t.name) for tid, t in directory.teams.items() if not t.is_archived}
        asked_members = frozenset(member_ids)
        member_teams: dict[str, set[str]] = {}
        for tid, key in team_keys.items():
            for mid in asked_members.intersection(map(_MEMBER_ID, directory.team_members.get(tid, ()))):
                member_teams.setdefault(mid, set()).update((tid, key))
        names = team_spellings(directory, team_keys)
        assigned: dict[str, set[str]] = {}
        if policy is not None:
            if assignments is None:
                assignments = assign_groups(policy.teams, directory, policy.scope.groups)[0]
            for a in assignments:
                if a.team_id:
                    assigned.setdefault(a.group_id, set()).add(a.team_id)
        asked_users = frozenset(user_ids)
        user_teams: dict[str, set[str]] = {}
        groups_of: dict[str, list[Group]] = {}
        for gid, group in directory.groups.items():
            name_key = team_name_key(group.display_name)
            keys = {name_key, *assigned.get(gid, ())}
            names.setdefault(name_key, group.display_name)
            for key in keys:
                groups_of.setdefault(key, []).append(group)
            for uid in asked_users.intersection(group.member_ids):
                user_teams.setdefault(uid, set()).update(keys)
        for tid, team in directory.teams.items():
            names[tid] = team.name
        user_holders = {k: len(gs[0].member_ids) if len(gs) == 1 else len({u for g in gs for u in g.member_ids})
                        for k, gs in groups_of.items()}
        broad = broad_keys(team_holder_counts(directory, team_keys), len(directory.members)) | broad_keys(
            user_holders, len(directory.idp_users))
        return cls({k: frozenset(v - broad) for k, v in member_teams.items()},
                   {k: frozenset(v - broad) for k, v in user_teams.items()}, names)

    def member_keys(self, member: SigmaMember, name: PersonName) -> list[tuple[str, object]]:
        """The keys of the evidence :meth:`between` reads, on the member's side: ``("f", word)`` each family
        word, ``("t", key)`` each team key (broad ones dropped), ``("e", number)`` the case-folded employee
        number, ``("d", n)`` the two :data:`ONBOARDING` periods (:func:`onboarding_period`) holding the moments
        from 30 days before Sigma made the member to then. Every pair :meth:`between` finds evidence for shares
        one with :meth:`user_keys`."""
        keys = _evidence_keys(name, self.member_teams.get(member.member_id, ()), _employee_number(member=member))
        earliest, latest = member_made(member)
        if earliest is not None and latest is not None:
            period = onboarding_period(earliest)
            keys.extend((("d", period - 1), ("d", period)))
        return keys

    def user_keys(self, user: IdpUser, name: PersonName) -> list[tuple[str, object]]:
        """The keys of :meth:`member_keys` on the IdP user's side: family words, team keys, employee number and
        the :data:`ONBOARDING` period of the earliest moment the IdP may have made the user (the pair's
        onboarding evidence needs it within the 30 days before the member's earliest, so in one of the
        member's two periods)."""
        keys = _evidence_keys(name, self.user_teams.get(user.id, ()), _employee_number(user=user))
        earliest, latest = user_made(user)
        if earliest is not None and latest is not None:
            keys.append(("d", onboarding_period(earliest)))
        return keys

    def between(self, member: SigmaMember, user: IdpUser, m_name: PersonName, u_name: PersonName) -> list[str]:
        """The evidence besides agreeing given names that ``member`` and ``user`` are one person, as a hint says
        each: ``same family name``; ``team 'Finance' in common`` (a team of the member that one of the IdP
        user's groups is or feeds); ``onboarding dates (IdP user made 6 day(s) before the member)``
        (:data:`ONBOARDING`, :func:`.address_takeover.creation_gap`: every reading of the dates); ``same employee
        number (E31758)`` where both sides have one (:data:`_EMPLOYEE_FIELDS`). Empty: no other evidence."""
        out = []
        if family_shared(m_name, u_name):
            out.append("same family name")
        common = self.member_teams.get(member.member_id, frozenset()) & self.user_teams.get(user.id, frozenset())
        if common:
            shown = sorted({self.team_names.get(k, k) for k in common})
            out.append(f"team {', '.join(repr(n) for n in shown)} in common")
        gap = creation_gap(member, user)
        if gap.least is not None and gap.most is not None and -ONBOARDING <= gap.least and gap.most <= timedelta(0):
            days = sorted({(-gap.most).days, (-gap.least).days})
            out.append(f"onboarding dates (IdP user made {' to '.join(map(str, days))} day(s) before the member)")
        number = _employee_number(member=member)
        if number and number.casefold() == _employee_number(user=user).casefold():
            out.append(f"same employee number ({number})")
        return out


_MEMBER_ID = attrgetter("member_id")


def team_spellings(directory: Directory, team_keys: Mapping[str, str]) -> dict[str, str]:
    """How :meth:`SharedEvidence.between` spells each folded team name of ``team_keys`` (teamId -> folded name)
    held by a team with members: the name of the team of the last membership the export lists among the
    teams of that name (one team: its name)."""
    tids_of: dict[str, list[str]] = {}
    for tid, key in team_keys.items():
        if directory.team_members.get(tid):
            tids_of.setdefault(key, []).append(tid)
    last = {key: tids[0] for key, tids in tids_of.items()}
    shared = {tid for tids in tids_of.values() if len(tids) > 1 for tid in tids}
    if shared:
        last.update({team_keys[tm.team_id]: tm.team_id for tm in directory.team_memberships if tm.team_id in shared})
    return {key: directory.teams[tid].name for key, tid in last.items()}


def _evidence_keys(name: PersonName, teams: Iterable[str], number: str) -> list[tuple[str, object]]:
    """``("f", word)`` each family word of ``name``, ``("t", key)`` each of ``teams``, ``("e", number)`` the
    case-folded employee number when there is one: the keys both sides of :class:`SharedEvidence` share."""
    keys: list[tuple[str, object]] = [("f", w) for w in name.family]
    keys.extend(("t", k) for k in teams)
    if number:
        keys.append(("e", number.casefold()))
    return keys


def _employee_number(member: SigmaMember | None = None, user: IdpUser | None = None) -> str:
    """The first employee number (:data:`_EMPLOYEE_FIELDS`) of ``member`` or ``user``, trimmed; ``""`` when it has
    none."""
    for name in _EMPLOYEE_FIELDS:
        value = member_attribute(member, name) if member is not None else idp_attribute(user.attributes, name)
        if value.strip():
            return value.strip()
    return ""


def near_address_hints(members: list[SigmaMember], users: list[IdpUser], directory: Directory
                       ) -> dict[tuple[str, str], str]:
    """``{(memberId, IdP id): reason}`` of members and IdP users whose addresses (the member's email key,
    the IdP user's sent userName key) Sigma holds apart but a reader may take for one: the same under full
    case folding, compatibility forms or the Turkish I, or look-alike letters (:func:`near_keys`,
    :func:`near_reason`; tester6 findings 2-4). Never a link (two mailboxes to Sigma), a hint."""
    if not members or not users:
        return {}
    by_key: dict[tuple[str, str], list[str]] = {}
    for m in members:
        for key in near_keys(m.email_key or email_key(m.email)):
            by_key.setdefault(key, []).append(m.member_id)
    hints: dict[tuple[str, str], str] = {}
    sent = directory.scim_user_name_keys
    for u in users:
        if not (key := sent[u.id]):
            continue
        for mid in sorted({mid for near in near_keys(key) for mid in by_key.get(near, ())}):
            m = directory.members[mid]
            if (reason := near_reason(m.email_key or email_key(m.email), key)) is not None:
                hints[(mid, u.id)] = reason
    return hints


def link_items(linked: list[LinkedPerson], directory: Directory, freed: frozenset[str]) -> list[ReviewItem]:
    """The review items of the links (``linked`` in memberId order, as :attr:`IdentityGraph.links`):
    userNames Sigma cannot take, then the userName guard's verdicts, and rehires waiting for a decision,
    each by memberId; embed members a link would make internal last. A rehired guest gets no
    ``linking.rehire``: their return is :mod:`.guests`' question (``guests.rehired_guest``). An unclean
    Sigma email's ``linking.unclean_sigma_email`` comes with the ``members.set_email`` it describes
    (:func:`link_actions`): a person held later gets neither."""
    invalid, guarded, rehires, embeds = [], [], [], []
    for p in linked:
        if p.embed:
            embeds.append(embed_member_item(p.person, directory))
        choice = p.choice
        if choice.invalid:
            invalid.append(invalid_link_item(p.person, directory))
        elif choice.guard is not None:
            guarded.append(p.person)
        if p.person.status is _REHIRE and p.person.member.user_kind != "guest":  # a guest's: .guests
            rehires.append(rehire_item(p.person, directory))
        elif p.by_hand is not None:
            rehires.append(archived_by_hand_item(p.person, p.by_hand, p.would))
    guard_items = [guard_item(person, directory, freed) for person in guarded]
    return invalid + [item for item in guard_items if item is not None] + rehires + embeds


def settle_creates(free_idp: list[Person], directory: Directory, freed: frozenset[str]
                   ) -> tuple[list[ReviewItem], list[Person]]:
    """Creates Sigma would not make as planned: a userName another member's email already is (Sigma links
    by email: blocking ``linking.create_collides``), a userName Sigma cannot take (blocking
    ``user_name_guard.invalid_user_name``, the person held). Returns the items and the records."""
    collisions, invalid = [], []
    for p in free_idp:
        if p.status is not PersonStatus.CREATE:
            continue
        if unsendable_user_name(p.user_name, p.idp_id) is not None:
            invalid.append(p)
        elif holders := email_holders(p.user_name_key, directory, freed):
            collisions.append(collision_item(p, holders, directory))
    if not invalid:
        return collisions, free_idp
    items = collisions + [invalid_create_item(p, directory) for p in sorted(invalid, key=attrgetter("idp_id"))]
    bad = {p.idp_id for p in invalid}
    return items, [replace(p, status=PersonStatus.HELD) if p.idp_id in bad else p for p in free_idp]


def email_holders(key: str | None, directory: Directory, freed: frozenset[str] = frozenset()) -> list[str]:
    """memberIds whose email has key ``key``, those in ``freed`` (their address is freed) left out, sorted."""
    return sorted(mid for mid in directory.member_ids_by_email_key.get(key or "", ()) if mid not in freed)


# --------------------------------------------------------------------------- review items


def _member_ref(directory: Directory, member_id: str, **extra) -> ItemRef:
    mem = directory.members[member_id]
    return person_ref(member_id=member_id, email=mem.email, name=f"{mem.first_name} {mem.last_name}".strip() or None,
                      **extra)


def _idp_ref(directory: Directory, idp_id: str, **extra) -> ItemRef:
    user = directory.idp_users[idp_id]
    name = user.display_name or " ".join(p for p in (user.given_name, user.family_name) if p)
    return person_ref(idp_id=idp_id, user_name=user.user_name, name=name or None, **extra)


def example_member(member_ids: Collection[str], directory: Directory) -> str:
    """The member a one-pairing snippet names among ``member_ids`` (not empty): the first by the one example rule
    (:func:`planner.rules.examples.example_rank`: active, most teams, newest; tester12 finding 13)."""
    members = [directory.members[m] for m in member_ids]
    return example_order(members, team_counts(directory, frozenset(member_ids)))[0]


def suggested_pairs(group, key_order: list[str], directory: Directory) -> dict[str, str]:
    """An example settlement of an ambiguous group: IdP id -> memberId, for :func:`ambiguous_item`.

    A maximum matching of the group's edges (networkx): as many people paired as the edges allow (so no
    member's only candidate is given to another member when a pairing exists that keeps it, issue 14 item
    13); among those, the members the one example rule prefers (:func:`planner.rules.examples.example_rank`:
    active, most teams, newest; tester12 finding 13), then earlier match keys, then the first ids.
    ``key_order``: the match key labels in the policy's order. IdP users left out are suggested ``never``.
    """
    keys = [k for k in key_order if any(e[2] == k for e in group.edges)]
    members = sorted({e[0] for e in group.edges})
    order = example_order((directory.members[m] for m in members), team_counts(directory, frozenset(members)))
    graph = nx.Graph()
    n = len(group.edges)
    low = (len(keys) + 1) * (n + 1) * (n + 1)  # above the sum of every edge's key-and-id weight
    for rank, (member_id, idp_id, key, *_rest) in enumerate(sorted(group.edges, key=lambda e: (e[1], e[0]))):
        weight = (len(order) - order.index(member_id)) * low  # the example rule first
        weight += (len(keys) - keys.index(key)) * (n + 1) + (n - rank)  # then the key, then the first ids
        graph.add_edge(("i", idp_id), ("m", member_id), weight=weight)
    pairs = nx.max_weight_matching(graph, maxcardinality=True)
    out = {}
    for a, b in pairs:
        idp, mem = (a, b) if a[0] == "i" else (b, a)
        out[idp[1]] = mem[1]
    return out


def ambiguous_item(policy: Policy, directory: Directory, group: AmbiguousGroup) -> ReviewItem:
    """Blocking ``linking.ambiguous``: the people of one ambiguous group (:mod:`planner.matching`), each with
    what joined them, and an example settlement (:func:`suggested_pairs`) as ``linking.overrides``; none when
    the example would leave an active member without an IdP user while pairing one who is not active
    (:func:`planner.rules.examples.unsafe_example`): the snippet then only shows the shape, commented out."""
    joined: dict[str, list[str]] = {}
    for member_id, idp_id, key, sigma_value, idp_field, idp_value in group.edges:
        joined.setdefault(member_id, []).append(f"{idp_id} by {key} ({idp_field} {idp_value})")
        joined.setdefault(idp_id, []).append(f"{member_id} by {key} (email {sigma_value})")
    candidates = [_member_ref(directory, mid, joined=sorted(joined.get(mid, []))) for mid in group.member_ids]
    candidates += [_idp_ref(directory, iid, joined=sorted(joined.get(iid, []))) for iid in group.idp_ids]
    key_order = [k.label for k in policy.linking.match_keys]
    keys = [k for k in key_order if any(e[2] == k for e in group.edges)]
    pairs = suggested_pairs(group, key_order, directory)
    left = [mid for mid in group.member_ids if mid not in pairs.values()]
    example = ", ".join(f"{mid} -> {iid}" for iid, mid in sorted(pairs.items()))
    snippet = {"linking": {"overrides": [{"idp": iid, "member": pairs.get(iid, NEVER)} for iid in group.idp_ids]}}
    unsafe = unsafe_example(pairs, group.member_ids, directory)
    if unsafe:
        shape = {"linking": {"overrides": [{"idp": iid, "member": "<memberId>"} for iid in group.idp_ids]}}
        notes = [f"pick the member each IdP user is; no example: the best pairing the matches allow ({example}) "
                 f"leaves the active member(s) {', '.join(unsafe)} without an IdP user (the `unmatched` policy "
                 "would deactivate them) while pairing one that is not active; write the memberIds:"]
        resolution = "".join(f"# {line}\n" for line in (*notes, *yaml_snippet(shape).splitlines()))
    else:
        notes = [f"pick the member each IdP user is; the pairing {example} is only an example (active, most teams, "
                 "newest first)"]
        if left:
            notes.append(f"{', '.join(left)} would be left without an IdP user: unmatched, the `unmatched` policy "
                         "decides (deactivate, keep)")
        resolution = yaml_snippet(snippet, notes=notes)
    return make_review(
        "linking.ambiguous",
        f"{group.idp_ids[0]}",
        blocking=True,
        subject=ItemRef(idp_ids=list(group.idp_ids), member_ids=list(group.member_ids)),
        message=(f"{len(group.idp_ids)} IdP user(s) and {len(group.member_ids)} Sigma member(s) are joined by "
                 f"{' and '.join(keys)}: linking any of them would be a guess"),
        rule=f"linking.match_keys.{group.key}",
        candidates=candidates,
        evidence=ItemEvidence(key=group.key, edges=[list(e) for e in group.edges]),
        resolution=resolution,
    )


def hint_items(why_of: Mapping[tuple[str, str], set[str]], policy: Policy, directory: Directory,
               leavers: Mapping[str, IdpUser] | None = None) -> list[ReviewItem]:
    """One blocking ``linking.same_person_hint`` per connected group of hints (:func:`same_person_hints`),
    sorted by id. ``leavers``: the inactive IdP user of each hinted leaver, by memberId (:func:`hint_item`)."""
    graph = nx.Graph()
    graph.add_edges_from((("m", a), ("i", b)) for a, b in why_of)
    components = list(nx.connected_components(graph))
    number = {node: n for n, component in enumerate(components) for node in component}
    pairs_of: list[list[tuple[str, str]]] = [[] for _ in components]
    for pair in why_of:  # each hinted pair once (was: every member with every IdP user of its group, speed20)
        pairs_of[number["m", pair[0]]].append(pair)
    items = []
    for component, pairs in zip(components, pairs_of):
        mids = sorted(n[1] for n in component if n[0] == "m")
        iids = sorted(n[1] for n in component if n[0] == "i")
        why = {pair: " and ".join(sorted(why_of[pair])) for pair in sorted(pairs)}
        near = {pair: why_of[pair] & NEAR for pair in why if why_of[pair] & NEAR}
        items.append(hint_item(mids, iids, why, policy, directory, near, leavers))
    items.sort(key=lambda r: r.id)
    return items


NEAR = frozenset(NEAR_REASONS)


def _hint_resolution(mids: list[str], iids: list[str], policy: Policy, directory: Directory, near: bool = False,
                     leaver: bool = False) -> str:
    """The hint's suggested settlement: the old domain as an alias of the new one when one member and
    one IdP user differ by domain only, else a link; ``never`` for the IdP users as the alternative.

    ``near``: a hinted pair's addresses are near (:func:`near_address_hints`): the link sends the member's
    Sigma email (``user_name_guard`` ``use_sigma_email``), and no alias nor adoption of the IdP's value is
    ever suggested: it is another mailbox to Sigma, or a look-alike (tester6 finding 5). ``leaver``: a hinted
    member is linked to an inactive IdP user: no alias either (it would only make the IdP user a rival of that link,
    :func:`planner.matching.new_accounts`), the link override settles it."""
    best = example_member(mids, directory)
    link = {"linking": {"overrides": [{"idp": iids[0], "member": best}]}}
    never = {"linking": {"overrides": [{"idp": iid, "member": NEVER} for iid in iids]}}
    if any(directory.members[m].user_kind == "guest" for m in mids):
        return _guest_hint_resolution(mids, iids, best, link, never, policy, directory)
    if near:
        email = directory.members[best].email
        link["user_name_guard"] = {"overrides": {iids[0]: "use_sigma_email"}}
        return yaml_snippet(link, never, notes=[
            f"same person: link them, sending the member's Sigma email {email} (set the Sigma app's username of "
            f"IdP user {iids[0]} to it; better, correct the userName in the IdP and plan again); never adopt "
            "or alias the IdP's spelling:"])
    member = directory.members[mids[0]]
    old_local, _, old_domain = (member.email_key or email_key(member.email)).rpartition("@")
    new_local, _, new_domain = directory.scim_user_name_keys[iids[0]].rpartition("@")
    if not leaver and len(mids) == 1 and len(iids) == 1 and old_domain != new_domain and (
            old_domain not in policy.linking.domain_aliases) and old_local == new_local:
        alias = _alias_note(old_domain, new_domain)
        if alias:
            return yaml_snippet({"linking": {"domain_aliases": {old_domain: new_domain}}}, link, never, notes=[alias])
        if dns_domain(new_domain) is None:  # the IdP's domain is no domain name: send the member's email
            link["user_name_guard"] = {"overrides": {iids[0]: "use_sigma_email"}}
            return yaml_snippet(link, never, notes=[
                f"same person: link them, sending the member's Sigma email {member.email}; the IdP's domain "
                f"{new_domain!r} is no domain name ({_not_a_domain(new_domain)}): correct the userName in the IdP "
                "and plan again, never alias it:"])
    return yaml_snippet(link, never, notes=["same person: link them"])


def _alias_note(old_domain: str, new_domain: str) -> str:
    """The note of a domain alias ``old_domain`` -> ``new_domain`` a same-person hint suggests: ``same person, the old
    domain is an alias of the new one:``; ``same person, one domain written two ways: bücher.example is
    xn--bcher-kva.example in DNS (IDNA, RFC 5891):`` when DNS holds them as one (:func:`dns_domain`); ``""`` when
    either is no domain name (tester22 finding 3: ``acme\xa0.example``, a no-break space pasted in, was offered as
    an alias of the organization's domain)."""
    old_dns, new_dns = dns_domain(old_domain), dns_domain(new_domain)
    if old_dns is None or new_dns is None:
        return ""
    if old_dns == new_dns:
        unicode_form, ascii_form = (old_domain, new_domain) if new_domain == new_dns else (new_domain, old_domain)
        return f"same person, one domain written two ways: {unicode_form} is {ascii_form} in DNS (IDNA, RFC 5891):"
    return "same person, the old domain is an alias of the new one:"


def _not_a_domain(domain: str) -> str:
    """What makes ``domain`` no domain name, for :func:`_hint_resolution`'s note: its first character that is
    neither a letter, a digit, ``-`` nor ``.`` (``U+00A0 at position 5``), else ``an empty or invalid label``."""
    at = next((n for n, c in enumerate(domain) if not (c.isalnum() or c in "-.")), None)
    return f"U+{ord(domain[at]):04X} at position {at + 1}" if at is not None else "an empty or invalid label"


def _guest_hint_resolution(mids: list[str], iids: list[str], best: str, link: dict, never: dict, policy: Policy,
                           directory: Directory) -> str:
    """The settlements of a hint naming a guest (:func:`hint_people`): the same person, so link the IdP user
    to the guest, who is then converted to an internal member and keeps their work (``guests.action:
    convert``, added when the policy says otherwise; docs/policy.md ``guests``); or not, so the IdP user is
    created and the guest disabled, their documents going to the document owner (``never``). Never a domain
    alias: a partner's domain is no old name of the organization's."""
    guest = directory.members[best]
    notes = [f"same person: link IdP user {iids[0]} to guest {guest.email}, who is converted to an internal member "
             "and keeps their work:"]
    if policy.guests.action != "convert":
        link = {"guests": {"action": "convert"}, **link}
        notes.append("(guests.action: convert also converts the other guests an IdP user links to)")
    disabled = ", ".join(directory.members[m].email for m in mids if directory.members[m].user_kind == "guest")
    notes.append(f"not the same person (the `never` below): the IdP user is created and guest {disabled} disabled, "
                 "their documents going to the document owner")
    return yaml_snippet(link, never, notes=notes)


def _hint_status(member: SigmaMember, leaver: IdpUser | None = None, idp_format: str = "") -> str:
    """How a hint names a member's standing: ``no IdP identity``; for an active guest ``guest, would be
    disabled``; for a leaver, its IdP user (``leaver``) and why it is not active, in the export's words
    (:func:`.idp_status.inactive_because`): ``IdP user 00uB1 is DEPROVISIONED (deactivated)``."""
    if leaver is not None:
        return f"IdP user {leaver.id} {inactive_because(leaver, idp_format)}"
    return "guest, would be disabled" if member.user_kind == "guest" else "no IdP identity"


def hint_item(mids: list[str], iids: list[str], why: Mapping[tuple[str, str], str], policy: Policy,
              directory: Directory, near: Mapping[tuple[str, str], set[str]] | None = None,
              leavers: Mapping[str, IdpUser] | None = None) -> ReviewItem:
    """Blocking ``linking.same_person_hint``: members with no IdP identity (or whose IdP user is not active:
    ``leavers``, their IdP user by memberId) and would-be creates that look like one person (``why``: the reasons
    of each hinted pair); none is created nor deactivated until the policy decides. ``near``: the pairs among them
    whose addresses are near (their reasons, :func:`near_address_hints`): the message names the letters that differ
    and any label mixing scripts."""
    reasons = sorted({part for w in why.values() for part in w.split(" and ")})
    leavers = leavers or {}
    standing = {mid: _hint_status(directory.members[mid], leavers.get(mid), directory.idp_format) for mid in mids}
    named = ", ".join(f"{directory.members[x].email} ({standing[x]})" for x in mids)
    if len(set(standing.values())) == 1:  # one standing: said once, after the addresses
        named = f"{', '.join(directory.members[x].email for x in mids)} ({standing[mids[0]]})"
    held = " or ".join(sorted({"disabled" if directory.members[m].user_kind == "guest" else "deactivated"
                               for m in mids}))
    return make_review(
        "linking.same_person_hint",
        iids[0],
        blocking=True,
        subject=ItemRef(idp_ids=iids, member_ids=mids),
        message=(
            f"{named} and "
            f"{', '.join(directory.idp_users[x].user_name for x in iids)} (would be created) have the "
            f"{' and the '.join(reasons)}{RENAMED if any(r.startswith(GIVEN_REASONS) for r in reasons) else ''}: "
            "never linked on that alone; "
            f"{_near_details(near, directory) if near else ''}"
            f"neither is created nor {held} until the policy decides"
        ),
        rule="linking.name_hints",
        candidates=[_member_ref(directory, mid, status=standing[mid]) for mid in mids]
        + [_idp_ref(directory, iid, status="would be created") for iid in iids],
        evidence=ItemEvidence(hints=[NameHint(member_id=a, idp_id=b, why=w) for (a, b), w in sorted(why.items())]),
        resolution=_hint_resolution(mids, iids, policy, directory, near=bool(near),
                                    leaver=any(m in leavers for m in mids)),
    )


def _near_details(near: Mapping[tuple[str, str], set[str]], directory: Directory) -> str:
    """The sentence of a hint naming, for each near pair, what a reader cannot see: the characters
    outside ASCII of both addresses and each label mixing scripts (``"...; "``)."""
    parts = []
    for mid, iid in sorted(near):
        email, user_name = directory.members[mid].email, directory.scim_user_names[iid]
        letters = outside_ascii_phrases(email, user_name) + mixed_script_parts(user_name) + mixed_script_parts(email)
        parts.append(f"{user_name!r} is not {email!r} to Sigma (letter case aside, nothing else): "
                     + "; ".join(letters))
    return "; ".join(parts) + "; "


def guard_item(person: Person, directory: Directory, freed: frozenset[str] = frozenset()) -> ReviewItem | None:
    """The userName guard's item on a link whose IdP userName is not the member's email
    (docs/sigma-api.md §5.3), by its verdict: ``review``, a blocking ``user_name_guard.mismatch``;
    ``use_sigma_email``, ``user_name_guard.configure_idp`` (the IdP app must send the Sigma email);
    ``update_sigma_email``, a blocking ``user_name_guard.email_taken`` when another member (not
    ``freed``) already has the IdP's userName, else nothing."""
    member, mid, iid = person.member, person.member_id, person.idp_id
    sent = directory.scim_user_names[iid]
    subject = person_ref(member_id=mid, email=member.email, idp_id=iid, user_name=sent)
    if person.guard == "review":
        managed = directory.scim.managed_user(mid)
        if managed is not None:
            holders = [directory.members[h] for h in email_holders(email_key(sent), directory) if h != mid]
            return managed_mismatch_item(person, sent, subject, managed, directory.idp_format, holders)
        return mismatch_item(person, sent, subject, look_alike_parts(member.email, sent))
    if person.guard == "use_sigma_email":
        return make_review(
            "user_name_guard.configure_idp", mid, blocking=False, subject=subject,
            message=configure_idp_message(person.user_name, sent, iid, directory.idp_format),
            rule="user_name_guard.on_mismatch", evidence=ItemEvidence(sigma_email=member.email, idp_user_name=sent),
        )
    if person.guard == "update_sigma_email" and (holders := email_holders(email_key(sent), directory, freed)):
        return email_taken_item(person, sent, subject, [directory.members[h] for h in holders])
    return None


def email_taken_item(person: Person, sent: str, subject: ItemRef, holders: list[SigmaMember]) -> ReviewItem:
    """Blocking ``user_name_guard.email_taken``: the userName guard would change the member's email to the IdP's
    userName ``sent``, which ``holders`` (the other members whose email it is, sorted) already have: Sigma keeps
    one member per email (docs/sigma-api.md §5.3). The message names each holder (memberId, email, active or
    archived or inactive); the snippets free the address (``linking.duplicates: rename``, as for two members
    sharing one, :mod:`.duplicates`) or send the member's Sigma email (``use_sigma_email``), renaming first
    when no holder is active (an old account of the person, likely), else the Sigma email first (tester12
    finding 13)."""
    member, mid, iid = person.member, person.member_id, person.idp_id
    named = ", ".join(f"{h.member_id} ({h.email}, {member_status(h)})" for h in holders)
    rename = {"linking": {"duplicates": {h.member_id: "rename" for h in holders}}}
    keep = {"user_name_guard": {"overrides": {iid: "use_sigma_email"}}}
    if any(h.is_active for h in holders):
        resolution = yaml_snippet(keep, rename, notes=[
            f"send the member's Sigma email {member.email} (the IdP app's username of IdP user {iid}), or free "
            f"the address by renaming the other member(s) (linking.duplicates: rename):"])
    else:
        resolution = yaml_snippet(rename, keep, notes=[
            f"free the address: rename {', '.join(h.member_id for h in holders)} (not active) to an alias, then "
            f"change {mid}'s email to {sent}; or send the member's Sigma email {member.email}:"])
    return make_review(
        "user_name_guard.email_taken", mid, blocking=True, subject=subject,
        message=(f"cannot change {member.email!r} to {sent!r}: another Sigma member already has that email: "
                 f"{named}"),
        rule="user_name_guard.on_mismatch",
        candidates=[person_ref(member_id=h.member_id, email=h.email, status=member_status(h)) for h in holders],
        resolution=resolution,
    )


def configure_idp_message(user_name: str, sent: str, iid: str, idp_format: str) -> str:
    """What the IdP admin does so that IdP user ``iid`` (whose app sends ``sent``) is linked with
    ``user_name``, in the terms of the export's IdP (``idp_format``): Okta sets one user's app username;
    Entra ID maps userName from one attribute for every user (:mod:`.user_name_mapping` says which
    attribute sends every planned userName), so no user's userPrincipalName is to change; another IdP sends
    it its own way (docs/sigma-api.md §5.3, §6.1, §6.2)."""
    start = f"link with userName {user_name!r}: "
    end = " before provisioning, or Sigma creates a second account"
    family = idp_format.split("-")[0]
    if family == "okta":
        return f"{start}set the Sigma app username of IdP user {iid} to {user_name!r}{end}"
    if family == "entra":
        return (f"{start}Entra ID must send IdP user {iid} the userName {user_name!r}, not {sent!r}, through the "
                "app's one userName attribute mapping (never by changing the user's userPrincipalName; "
                f"user_name_guard.idp_mapping names the attribute when the assumed one does not serve){end}")
    return f"{start}the IdP must send IdP user {iid} the userName {user_name!r}, not {sent!r},{end}"


def mismatch_item(person: Person, sent: str, subject: ItemRef, look: list[str]) -> ReviewItem:
    """The blocking ``user_name_guard.mismatch`` of a link under verdict ``review`` whose IdP userName
    ``sent`` is not the member's email (docs/sigma-api.md §5.3: Sigma would create a second account).
    ``look`` (:func:`look_alike_parts`): when not empty, ``sent`` is a look-alike of the email, named in the
    message and the evidence's ``differences``, and only ``use_sigma_email`` is suggested (never adopted,
    tester6 finding 5); else both ``update_sigma_email`` and ``use_sigma_email`` are."""
    member, iid = person.member, person.idp_id
    message = (f"IdP user {iid} sends userName {sent!r} but the Sigma member's email is {member.email!r}: "
               "Sigma would create a second account instead of linking")
    if look:
        return make_review(
            "user_name_guard.mismatch", person.member_id, blocking=True, subject=subject,
            message=f"{message}, and {sent!r} is a look-alike of {member.email!r} ({'; '.join(look)}): never adopted",
            rule="user_name_guard.on_mismatch",
            evidence=ItemEvidence(linked_by=person.link.key, sigma_email=member.email, idp_user_name=sent,
                                  differences=look),
            resolution=yaml_snippet(
                {"user_name_guard": {"overrides": {iid: "use_sigma_email"}}},
                notes=[f"send the member's Sigma email {member.email} (set the Sigma app's username of IdP user "
                       f"{iid} to it; better, correct the userName in the IdP and plan again):"]),
        )
    return make_review(
        "user_name_guard.mismatch", person.member_id, blocking=True, subject=subject, message=message,
        rule="user_name_guard.on_mismatch",
        evidence=ItemEvidence(linked_by=person.link.key, sigma_email=member.email, idp_user_name=sent),
        resolution=yaml_snippet(
            {"user_name_guard": {"overrides": {iid: "update_sigma_email"}}},
            {"user_name_guard": {"overrides": {iid: "use_sigma_email"}}},
            notes=[f"change the member's email to {sent} in Sigma before linking:"]),
    )


def managed_mismatch_item(person: Person, sent: str, subject: ItemRef, user: ScimUser, idp_format: str,
                          holders: Sequence[SigmaMember] = ()) -> ReviewItem:
    """The blocking ``user_name_guard.mismatch`` of a link whose IdP userName ``sent`` is not the email of a member
    SCIM provisioned as ``user`` (the IdP changed the login after provisioning): Sigma refuses the REST email
    change of a SCIM-managed member (403, docs/sigma-api.md §5.3, §10.6), so ``update_sigma_email`` is never
    offered (its plan is refused: ``scim.managed_member``, ``scim.user_name_changed``); and a new userName makes
    Sigma create a second account, which the plan after the IdP's push asks about (``scim.second_account``,
    settled by ``linking.second_accounts``). The one snippet keeps the provisioned userName
    (``use_sigma_email``), which the IdP must keep sending (tester11 finding 8). When other members (``holders``)
    hold ``sent`` already (the IdP's push provisioned the person under another userName beside their own member,
    :attr:`planner.directory.ScimState.provisioned_elsewhere`), the push of ``sent`` is refused (409 uniqueness)
    while they hold it, and the message says so instead of offering it (tester22 finding 1)."""
    iid, kept = person.idp_id, user.user_name
    if holders:
        named = ", ".join(f"member {h.member_id} ({h.email}, {member_status(h)})" for h in holders)
        other = (f"the IdP cannot push {sent!r}: {named} holds that address, and Sigma refuses a userName another "
                 "member holds (409 uniqueness); a member SCIM left behind is the scim.second_account item's "
                 "question (linking.second_accounts)")
    else:
        other = (f"let the IdP push {sent!r}: Sigma then makes a second account and the next plan asks about the "
                 "member left behind (scim.second_account, settled by linking.second_accounts)")
    message = (f"IdP user {iid} now sends userName {sent!r}, but SCIM provisioned member {person.member_id} with "
               f"userName {kept!r} (externalId {user.external_id}): Sigma refuses REST edits of SCIM-managed "
               "members (403), so the member's email cannot follow the IdP (no update_sigma_email), and a new "
               f"userName makes Sigma create a second account. Keep sending {kept!r} "
               f"({keep_user_name_step(iid, kept, idp_format)}; user_name_guard.overrides: use_sigma_email)"
               + (f"; {other}" if holders else f", or {other}"))
    return make_review(
        "user_name_guard.mismatch", person.member_id, blocking=True, subject=subject, message=message,
        rule="user_name_guard.on_mismatch",
        evidence=ItemEvidence(linked_by=person.link.key, sigma_email=person.member.email, idp_user_name=sent,
                              external_id=user.external_id),
        resolution=yaml_snippet(
            {"user_name_guard": {"overrides": {iid: "use_sigma_email"}}},
            notes=[f"keep sending {kept} ({keep_user_name_step(iid, kept, idp_format)}), the userName SCIM "
                   "provisioned:"]),
    )


def keep_user_name_step(iid: str, user_name: str, idp_format: str) -> str:
    """Where the IdP admin keeps IdP user ``iid`` sending ``user_name``, in the terms of the export's IdP
    (``idp_format``): Okta's app username of the user, Entra ID's one userName attribute mapping of the app,
    another IdP's userName mapping (docs/sigma-api.md §6.1, §6.2)."""
    family = idp_format.split("-")[0]
    if family == "okta":
        return f"set the Sigma app username of IdP user {iid} to {user_name!r}"
    if family == "entra":
        return f"the app's userName attribute mapping must send {user_name!r} for IdP user {iid}"
    return f"the IdP's userName mapping of the app must send {user_name!r} for IdP user {iid}"


def outside_ascii_phrases(*values: str) -> list[str]:
    """``"'<value>' has <letters>"`` for each of ``values`` holding characters outside ASCII
    (:func:`planner.near_addresses.letters_outside_ascii`), in order; ``[]`` when all are ASCII: what a
    reviewer of a near or look-alike address cannot see."""
    return [f"{value!r} has {', '.join(found)}" for value in values if (found := letters_outside_ascii(value))]


def look_alike_parts(email: str, user_name: str) -> list[str]:
    """What makes IdP userName ``user_name`` a look-alike of Sigma email ``email`` (tester6 finding 5): a
    label mixing scripts (:func:`.scim_values.mixed_script_parts`), or the same skeleton
    (:func:`planner.near_addresses.is_look_alike`) with the characters outside ASCII named; ``[]`` when
    it is none. Such a value is never suggested as the member's email nor as an alias."""
    mixed = mixed_script_parts(user_name)
    if mixed or not is_look_alike(email_key(email), email_key(user_name)):
        return mixed
    return outside_ascii_phrases(email, user_name)


def unclean_email_item(person: Person) -> ReviewItem:
    """``linking.unclean_sigma_email`` (informational): the member's Sigma email is not what the IdP sends;
    the item names the member and the exact difference, and says the plan sets the email first (raised by
    :func:`link_actions` beside that ``members.set_email``, never for a person held)."""
    member, mid = person.member, person.member_id
    # the keys are equal (email_key: cleaning and letter case only); an unclean userName sent holds the
    # person (.scim_values.hold_refused: no link, no set_email, no item), so the member's email is the unclean side
    parts = unclean_parts(member.email) or ["the IdP's userName differs from it by more than letter case"]
    return make_review(
        "linking.unclean_sigma_email",
        mid,
        blocking=False,
        subject=person_ref(member_id=mid, email=member.email, idp_id=person.idp_id, user_name=person.user_name),
        message=(
            f"member {mid}'s Sigma email {member.email!r} is not the userName the IdP will send "
            f"({person.user_name!r}): {'; '.join(parts)}. The plan sets the email to {person.user_name!r} "
            "(members.set_email) before the link, so the IdP's userName finds this member"
        ),
        rule="linking.clean_sigma_email",
        evidence=ItemEvidence(sigma_email=member.email, user_name=person.user_name, differences=parts),
    )


def unsendable_user_name(value: object, idp_id: str = "") -> str | None:
    """Why ``value`` can never be the SCIM userName (= email) of a Sigma user, or ``None`` when it can be.

    ``"empty"`` (the mapped IdP attribute is empty: the IdP sends no userName and skips the user),
    ``"guest_upn"`` (an Entra B2B ``#EXT#`` UPN, docs/formats.md §3f: syntactically an address, but not
    the person's), ``"deleted_upn"`` (an Entra tombstone UPN of IdP user ``idp_id``,
    :func:`planner.sources.entra.deleted_user_upn`), ``"invalid"`` (not an email address,
    :func:`planner.sources.values.is_valid_email`). Issue 14 item 2: no plan, and no suggested fix,
    ever sends or proposes such a value.
    """
    stripped = value.strip() if isinstance(value, str) else ""
    if not stripped:
        return "empty"
    if is_ext_upn(value):
        return "guest_upn"
    # a tombstone UPN is the 32 hex digits of the object id and the old UPN: longer than 32
    if idp_id and len(stripped) > 32 and deleted_user_upn(stripped, idp_id) is not None:
        return "deleted_upn"
    if not is_valid_email(value):
        return "invalid"
    return None


def invalid_link_item(person: Person, directory: Directory) -> ReviewItem:
    """``user_name_guard.invalid_user_name`` for a link: the IdP would send a userName Sigma cannot take."""
    member, mid, iid = person.member, person.member_id, person.idp_id
    sent_by_idp = directory.scim_user_names[iid]
    sent = person.user_name if person.guard == "use_sigma_email" else sent_by_idp
    clean = clean_address(member.email)
    if person.guard != "use_sigma_email" and unsendable_user_name(clean) is None:
        resolution = yaml_snippet(
            {"user_name_guard": {"overrides": {iid: "use_sigma_email"}}},
            notes=[f"set the Sigma app's username of this IdP user to {clean} (the IdP sends it then):"],
        )
    else:
        resolution = outside_policy(f"give IdP user {iid} an email address as the Sigma app's username, and member "
                                    f"{mid} a valid email in Sigma, then plan again")
    return _invalid_item(directory, mid, iid, sent, resolution,
                         subject=person_ref(member_id=mid, email=member.email, idp_id=iid, user_name=sent_by_idp),
                         what=f"linking member {member.email!r}")


def invalid_create_item(person: Person, directory: Directory) -> ReviewItem:
    """``user_name_guard.invalid_user_name`` for a create."""
    iid = person.idp_id
    primary = person.idp_user.primary_email
    if (primary is not None and primary.type not in DERIVED_EMAIL_TYPES and primary.value != person.user_name
            and unsendable_user_name(primary.value, iid) is None):
        resolution = yaml_snippet(
            {"user_name_guard": {"overrides": {iid: "use_primary_email"}}},
            notes=[f"set the Sigma app's username of this IdP user to their email {primary.value} "
                   "(the IdP sends it then):"],
        )
    else:
        resolution = outside_policy(f"give IdP user {iid} an email address as the Sigma app's username, then plan again")
    return _invalid_item(directory, None, iid, person.user_name, resolution,
                         subject=_idp_ref(directory, iid), what="creating this user")


def _invalid_item(directory: Directory, member_id, idp_id, sent, resolution, *, subject, what) -> ReviewItem:
    """Blocking ``user_name_guard.invalid_user_name``: what the IdP would send (``sent``) is no userName
    Sigma can take (:func:`unsendable_user_name` says why)."""
    problem = unsendable_user_name(sent, idp_id) or "invalid"
    if problem == "empty":
        mapped = ("its email is empty and the IdP app maps userName from the email (linking.scim_user_name: "
                  "primary_email, or user_name_guard.overrides: use_primary_email)"
                  if directory.idp_users[idp_id].user_name.strip() else "its userName is empty")
        message = (f"IdP user {idp_id} sends no userName at all: {mapped}, so the IdP skips this user (Entra does "
                   f"not send it) and {what} cannot happen")
    elif problem == "guest_upn":
        message = (f"IdP user {idp_id} would send userName {sent!r}, an Entra B2B guest UPN (#EXT#), not the "
                   f"person's address: Sigma identifies SCIM users by their email, so {what} with it would give "
                   "them an address they never sign in with")
    elif problem == "deleted_upn":
        message = (f"IdP user {idp_id} would send userName {sent!r}, a deleted Entra user's UPN (the object id "
                   f"prefixed to the old UPN): no one signs in with it, so {what} with it cannot be right")
    else:
        message = (f"IdP user {idp_id} would send userName {sent!r}, which is not an email address: Sigma identifies "
                   f"SCIM users by an email userName and would refuse {what}")
    return make_review(
        "user_name_guard.invalid_user_name",
        member_id or idp_id,
        blocking=True,
        subject=subject,
        message=message,
        rule="user_name_guard",
        evidence=ItemEvidence(user_name=sent, finding="invalid-user-name", problem=problem),
        resolution=resolution,
    )


def rehire_item(person: Person, directory: Directory) -> ReviewItem:
    """Blocking ``linking.rehire``: an active IdP user matches an archived or inactive member
    (``linking.archived_members``). A member a run of a plan given to ``plan --applied`` archived (:func:`run_archive`)
    is named with that run and the documents' new owner, with whom a reactivation leaves them; another archived member's
    message says the same of the owner their archive named, which the export does not say (tester19 findings 1 and 3:
    "their documents come back" is not so after an archive with ``newOwnerId``, docs/sigma-api.md §2.5); an inactive
    member's documents never left them."""
    member, mid, iid = person.member, person.member_id, person.idp_id
    state = "archived" if member.is_archived else "inactive"
    after = made_after_archive(member, person.idp_user, directory)
    if after is not None:
        return made_after_archive_item(person, directory, after)
    archive = run_archive(person, directory)
    if archive is None and member.is_archived:
        message = (f"active IdP user {iid} matches {state} member {member.email!r}: reactivate the member (documents "
                   "their archive gave to another owner stay with that owner) or decide otherwise")
    elif archive is None:
        message = (f"active IdP user {iid} matches {state} member {member.email!r}: reactivate the member "
                   "(their documents come back) or decide otherwise")
    else:
        owner = archive.new_owner or "the new owner that run named"
        message = (f"active IdP user {iid} matches {state} member {member.email!r}, whom {archive.words()} archived "
                   f"({archive.kind}) giving their documents to {owner}: reactivate the member (their documents "
                   f"stay with {owner}; move them back by hand) or decide otherwise")
    return make_review(
        "linking.rehire",
        mid,
        blocking=True,
        subject=person_ref(member_id=mid, email=member.email, idp_id=iid, user_name=directory.scim_user_names[iid]),
        message=message,
        rule="linking.archived_members",
        evidence=ItemEvidence(linked_by=person.link.key, is_archived=member.is_archived, is_inactive=member.is_inactive),
        resolution=yaml_snippet(
            {"linking": {"overrides": [{"idp": iid, "member": mid}]}},
            {"linking": {"archived_members": "reactivate"}},
            notes=["reactivate this member and link it:"],
        ),
    )


def made_after_archive_item(person: Person, directory: Directory, after: MadeAfterArchive) -> ReviewItem:
    """Blocking ``linking.rehire`` of a member whose IdP user the IdP made after Sigma archived it (``after``,
    :func:`.address_takeover.made_after_archive`), whatever ``linking.archived_members`` and the names say
    (tester20 finding 4): both dates, both names, and the two per-person settlements of a recycled address
    (:func:`.address_takeover.person_settlements`: ``never`` with the member's address freed, or a
    ``linking.overrides`` link)."""
    member, mid, iid = person.member, person.member_id, person.idp_id
    state = "archived" if member.is_archived else "inactive"
    sent = directory.scim_user_names[iid]
    message = (f"active IdP user {iid} ({sent}) matches {state} member {mid} ({member.email}), but {after.phrase} "
               f"({names_phrase(member, person.idp_user)}): the leaver back under a new IdP account, or a new person "
               f"given the leaver's address? Reactivating gives {sent} the member's account, history, home folder, "
               "teams and the documents it still owns, and an archived account is not renamed, so neither the names "
               "nor linking.archived_members decide it; neither is linked, created nor deactivated until the policy "
               "decides for this person")
    other = (f"member {mid}'s address is freed first (linking.duplicates: rename, an alias; Sigma keeps one member "
             f"per address), the member stays {state} and {sent} is created")
    return make_review(
        "linking.rehire", mid, blocking=True,
        subject=person_ref(member_id=mid, email=member.email, idp_id=iid, user_name=sent),
        message=message,
        rule="linking.archived_members",
        evidence=ItemEvidence(linked_by=person.link.key, is_archived=member.is_archived,
                              is_inactive=member.is_inactive, created_at=member.created_at or UNSET,
                              idp_created=person.idp_user.created),
        resolution=person_settlements(person, directory, other, {"duplicates": {mid: "rename"}}),
    )


NEW_ACCOUNT = "linking.new_idp_account"
"""The item code of a member linked to an inactive IdP user while an active one matches it too
(:func:`planner.matching.new_accounts`, :func:`new_account_item`)."""


def new_account_item(found: NewAccount, directory: Directory) -> ReviewItem:
    """Blocking ``linking.new_idp_account``: member ``found.link.member_id`` is matched to an IdP user that is not
    active (:func:`.idp_status.inactive_because` says how, in the export's words) while active IdP users linked to no
    member match it by a later key (``found.active``: a new account of the same person, a rehire or a contractor made
    an employee, whose login is new and whose email is the member's; tester19 finding 2). The member is held (not
    deactivated as a leaver, a guest not disabled, an archived member not left behind) and so are the active IdP
    users (not created): one person must not lose their documents beside a second account of theirs. Settled by
    ``linking.overrides``: link the member to the active IdP user (the same person), or ``never`` for it (not the
    same person: the member follows ``unmatched``, the IdP user is created). Subject: the member, and the active IdP
    users as ``idpIds`` (held beside it); evidence: ``linkedBy``, ``sigmaEmail``, ``edges`` (the link's edge, then
    each active user's, as :attr:`planner.matching.AmbiguousGroup.edges` rows).

    A member Sigma's SCIM state links to the old user (key ``scim``: provisioned for it, its ``externalId``) is asked
    the same (doubts20), but no link override re-points a SCIM user (it would contradict Sigma's SCIM state, and
    apply sends no ``externalId`` change): the message says so, and the resolution says what is done by hand for the
    same person (a SCIM PatchOp replacing ``externalId``, or the IdP's import, then fetch and plan again) above the
    ``never`` YAML."""
    link, member = found.link, directory.members[found.link.member_id]
    mid, old = link.member_id, directory.idp_users[link.idp_id]
    new_ids = [e.idp_id for e in found.active]
    named = [f"{e.idp_id} ({directory.scim_user_names[e.idp_id]})" for e in found.active]
    how = [f"by {e.link.key} (its {e.link.idp_field} {e.link.idp_value!r})" for e in found.active]
    actives = (f"IdP user {named[0]} matches it too, {how[0]}" if len(named) == 1 else
               f"IdP users {'; '.join(f'{n} {h}' for n, h in zip(named, how))} match it too")
    edges = [[e.member_id, e.idp_id, e.link.key, e.link.sigma_value, e.link.idp_field, e.link.idp_value]
             for e in (link, *found.active)]
    fate = ("The IdP user is not created" if not member.is_active else
             f"Neither is the member {'disabled' if member.user_kind == 'guest' else 'deactivated'} nor the IdP user "
             "created")
    link_new = {"linking": {"overrides": [{"idp": new_ids[0], "member": mid}]}}
    never = {"linking": {"overrides": [{"idp": iid, "member": NEVER} for iid in new_ids]}}
    scim_user = directory.scim.users.get(mid) if link.link.key == "scim" else None
    if scim_user is not None:  # SCIM provisioned the member for the old user: no link override re-points it
        matched = (f"is provisioned by SCIM for IdP user {old.id} ({old.user_name}), its externalId, which "
                   f"{inactive_because(old, directory.idp_format)}")
        decides = ("; a link override cannot settle it (Sigma's SCIM state links the member to the old user, and "
                   "apply sends no externalId change)")
        resolution = yaml_snippet(never, notes=[
            f"the same person: by hand, point SCIM user {scim_user.id} (member {mid}) at the active IdP user "
            f"{new_ids[0]} (PATCH /scim/v2/Users/{scim_user.id} with a PatchOp replacing externalId by {new_ids[0]}, "
            "or the IdP's import matching the new account to that app user), then fetch and plan again: Sigma's SCIM "
            "state then links them (its documents and teams stay; the userName guard judges the new login)",
            "not the same person (the `never` below): the member follows the IdP user SCIM provisioned it for "
            f"({old.id}: deactivated through SCIM), the IdP user is created"])
    else:
        matched = (f"is matched by {link.link.key} to IdP user {old.id} ({old.user_name}), which "
                   f"{inactive_because(old, directory.idp_format)}")
        decides = ""
        resolution = yaml_snippet(link_new, never, notes=[
            f"the same person: link member {mid} to the active IdP user {new_ids[0]} (its documents and teams "
            "stay; the userName guard judges the new login):",
            "not the same person (the `never` below): the member follows the `unmatched` policy, the IdP user is "
            "created"])
    return make_review(
        NEW_ACCOUNT,
        mid,
        blocking=True,
        subject=person_ref(member_id=mid, email=member.email, idp_ids=new_ids),
        message=(
            f"{member_status(member)} member {member.email!r} ({mid}) {matched}, while active "
            f"{actives}: the same person under a new IdP account (a rehire, a contractor made an employee)? "
            f"{fate} until " + ("it is decided" + decides if decides else "linking.overrides decides")
        ),
        rule="linking.overrides",
        candidates=[_idp_ref(directory, old.id, status=("provisioned by SCIM (externalId), not active"
                                                        if scim_user is not None else
                                                        f"matched by {link.link.key}, not active")),
                    *(_idp_ref(directory, iid, status="active, would be created" if iid in directory.in_scope_idp_ids
                               else "active, outside scope.groups") for iid in new_ids)],
        evidence=ItemEvidence(linked_by=link.link.key, sigma_email=member.email, edges=edges),
        resolution=resolution,
    )


def embed_member_item(person: Person, directory: Directory) -> ReviewItem:
    """Blocking ``linking.embed_member``: an active in-scope IdP user matches an ``embed`` member
    (``userKind: embed``, an embedding identity). Sigma's SCIM keeps a user embed only when the IdP
    sends ``userKind: embed`` in ``urn:sigma:scim:schemas:extension:2.0:User`` (docs/sigma-api.md §5.2,
    doc S-SCIM-OKTA "Push external embed users with SCIM"); the plan's link sends no ``userKind``, so the
    member would become ``internal``. Held (no link, no other action) until the member is made internal
    in Sigma or the IdP user is taken out of the Sigma app's assignment (the member is then kept as an
    unmatched embed member, :mod:`.unmatched`); both need a new export (tester6 finding 13)."""
    member, mid, iid = person.member, person.member_id, person.idp_id
    user_name = directory.scim_user_names[iid]
    return make_review(
        "linking.embed_member",
        mid,
        blocking=True,
        subject=person_ref(member_id=mid, email=member.email, idp_id=iid, user_name=user_name),
        message=(
            f"IdP user {iid} ({user_name}) matches embed member {member.email!r} ({mid}): the link sends no "
            "userKind, so Sigma's SCIM makes the member internal (userKind: embed -> internal; Sigma keeps a "
            "user embed only when the IdP sends userKind: embed, docs/sigma-api.md §5.2); held, not linked"
        ),
        rule="linking.embed_member",
        evidence=ItemEvidence(linked_by=person.link.key),
        resolution=(f"# to make it internal: set userKind internal on member {mid} in Sigma "
                    "(PATCH /v2/members/{memberId}), export and plan again (then it is linked)\n"
                    f"# to keep it embed: unassign IdP user {iid} from the Sigma app, export and plan again "
                    "(the member is then kept, unmatched.embed)\n"),
    )


def collision_item(person: Person, holders: list[str], directory: Directory) -> ReviewItem:
    """Blocking ``linking.create_collides``: a create whose userName is the email of members ``holders``
    (sorted): Sigma links by email, so it would not be a new account (docs/sigma-api.md §5.3)."""
    iid = person.idp_id
    return make_review(
        "linking.create_collides",
        iid,
        blocking=True,
        subject=_idp_ref(directory, iid),
        message=(
            f"creating {person.user_name!r} collides with existing member(s) {', '.join(holders)} of the same "
            "email: Sigma links by email, so this would not be a new account"
        ),
        rule="linking",
        candidates=[_member_ref(directory, mid) for mid in holders],
        resolution=yaml_snippet({"linking": {"overrides": [{"idp": iid, "member": example_member(holders, directory)}]}}),
    )


def plus_variant_items(people: list[Person], directory: Directory, linked: Collection[str]) -> list[ReviewItem]:
    """``linking.plus_variant`` (informational), by memberId: an unmatched or held member whose address
    without its ``+tag`` is a linked member's (``linked``: the memberIds of the links): reported, never
    merged (Sigma treats them as different members)."""
    variant_of: dict[str, str] = {}  # unmatched member -> its address without +tag
    unmatched = PersonStatus.UNMATCHED
    for p in people:
        if (p.status is unmatched or p.status is _HELD) and p.member is not None:
            key = p.member.email_key or email_key(p.member.email)
            folded = PLUS_TAG.sub(r"\1@", key, count=1) if "+" in key else key
            if folded != key:
                variant_of[p.member_id] = folded
    if not variant_of:
        return []
    owners: dict[str, list[str]] = {}  # folded address -> linked members who have it (the directory's index)
    for folded in set(variant_of.values()):
        found = [mid for mid in directory.member_ids_by_email_key.get(folded, ()) if mid in linked]
        if found:
            owners[folded] = found
    hits = sorted((mid, folded, sorted(owners[folded])) for mid, folded in variant_of.items() if folded in owners)
    return [plus_variant_item(directory.members[mid], key, base, directory) for mid, key, base in hits]


def plus_variant_item(member: SigmaMember, key: str, base: list[str], directory: Directory) -> ReviewItem:
    """``linking.plus_variant`` of ``member``, whose address is a +tag variant of ``key``, the address of
    linked members ``base``."""
    return make_review(
        "linking.plus_variant",
        member.member_id,
        blocking=False,
        subject=person_ref(member_id=member.member_id, email=member.email),
        message=(
            f"{member.email!r} is a +tag variant of {key!r} (member {', '.join(base)}, linked); Sigma "
            "treats them as different members, so it is not merged and follows the `unmatched` policy"
        ),
        rule="linking.plus_address_folding",
        candidates=[_member_ref(directory, mid) for mid in base],
    )


def same_name_items(people: list[Person], directory: Directory) -> list[ReviewItem]:
    """``linking.same_name_as_linked`` (informational), by memberId: a member no IdP user matches (``unmatched``:
    the ``unmatched`` policy decides it, and a deactivation gives its documents to the document owner) whose name is
    a linked member's (:data:`planner.person_names.SAME`: the same words, two or more, in any order): a second
    Sigma account of that person (an old address, an account made by hand), holding their work? Never merged
    (other addresses, other members); reported so that the reviewer can keep it or move its documents to the
    person first (tester21 finding 5: it was deactivated, documents to the owner, without a word, while a
    would-be create of the same name is a blocking ``linking.same_person_hint``). A namesake at the same address
    but for letter case or a ``+tag`` is left to ``linking.duplicates`` / ``linking.plus_variant``, and a member a
    userName change left behind to ``scim.second_account``. Names are keyed
    once per member (:func:`_name_key`: linked members are most of an organization)."""
    wanted: dict[tuple[str, ...], list[Person]] = {}
    left_behind = directory.scim.second_accounts  # scim.second_account asks about them
    for p in people:
        if p.status is PersonStatus.UNMATCHED and p.member is not None and p.member_id not in left_behind:
            key = _name_key(p.member)
            if len(key) >= 2:
                wanted.setdefault(key, []).append(p)
    if not wanted:
        return []
    namesakes: dict[tuple[str, ...], list[Person]] = {}
    for p in people:
        if p.member is not None and p.idp_user is not None and (key := _name_key(p.member)) in wanted \
                and is_linked(p):
            namesakes.setdefault(key, []).append(p)
    items = []
    for key, linked in namesakes.items():
        at = [(_base_address(p.member), p) for p in sorted(linked, key=lambda p: p.member.email)]
        for unmatched in wanted[key]:
            own = _base_address(unmatched.member)
            others = [p for base, p in at if base != own]
            if others:
                items.append(same_name_item(unmatched, others, directory))
    return sorted(items, key=attrgetter("id"))


def _name_key(member: SigmaMember) -> tuple[str, ...]:
    """``member``'s name as :func:`planner.person_names.whole` keys it (its folded words, sorted), read directly
    when ``firstName`` and ``lastName`` are one ASCII word each (most members: the words are then only
    lower-cased), else through :func:`planner.person_names.member_person_name`."""
    first, last = (member.first_name or "").strip(), (member.last_name or "").strip()
    if first.isascii() and last.isascii() and first.isalpha() and last.isalpha():
        a, b = first.lower(), last.lower()
        return (a, b) if a <= b else (b, a)
    return whole(member_person_name(member))


def _base_address(member: SigmaMember) -> str:
    """``member``'s email key without a ``+tag``: a namesake at that address is a case or ``+tag`` variant, which
    ``linking.duplicates`` or ``linking.plus_variant`` already names (:func:`same_name_items`)."""
    key = member.email_key or email_key(member.email)
    return PLUS_TAG.sub(r"\1@", key, count=1) if "+" in key else key


def same_name_item(person: Person, namesakes: list[Person], directory: Directory) -> ReviewItem:
    """``linking.same_name_as_linked`` of unmatched ``person``, whose name is that of the linked ``namesakes`` (in
    email order: the first three are named; :func:`same_name_items`); the snippet keeps the member
    (``unmatched.decisions``)."""
    member = person.member
    shown = namesakes[:3]
    others = "; ".join(f"{p.member.email!r} (member {p.member_id}, linked to IdP user {p.idp_user.id})" for p in shown)
    more = f" and {len(namesakes) - len(shown)} more" if len(namesakes) > len(shown) else ""
    return make_review(
        "linking.same_name_as_linked",
        member.member_id,
        blocking=False,
        subject=person_ref(member_id=member.member_id, email=member.email),
        message=(
            f"{member.email!r} ({member_person_name(member).text}), which no IdP user matches, has the name of "
            f"{others}{more}: a second Sigma account of the same person? It is not merged and follows the "
            "`unmatched` policy (if it is deactivated, its documents go to the document owner); if it is theirs, "
            "move its documents to them in Sigma first, or keep it"
        ),
        rule="linking.same_name_as_linked",
        candidates=[_member_ref(directory, p.member_id) for p in shown],
        resolution=yaml_snippet({"unmatched": {"decisions": {member.email: "keep"}}}),
    )


# --------------------------------------------------------------------------- actions


def is_linked(person: Person) -> bool:
    """Whether ``person`` gets a ``scim.link_user``: a member and IdP user joined, linked, reactivated,
    or a guest :mod:`.guests` converts."""
    return ((person.status is _LINK or person.status is _REACTIVATE or person.converted)
            and person.member is not None and person.idp_user is not None)


def link_actions(people: Iterable[Person], directory: Directory, user_types: Mapping[str, str | None],
                 frees: Mapping[str, list[tuple[str, str]]] | None = None, rivals: tuple[LinkedPair, ...] = (),
                 never: frozenset[str] = frozenset()) -> Outcome:
    """Every person's ``members.reactivate``, ``members.set_email``, ``scim.link_user`` (by memberId),
    then ``scim.create_user`` (by IdP id): :func:`person_link_actions` and :func:`create_user_action`.

    ``user_types``: the userType to send by ``person`` key (:mod:`.account_types`; absent or ``None``:
    none). ``frees``: email key -> ``[(memberId, action id)]`` of the actions that move *other* members
    off that address (:mod:`.duplicates`); a link, create or email change sending the address depends on
    them. ``rivals``: :attr:`planner.matching.IdentityGraph.rivals`, the candidates each link won over (a
    link's ``evidence.lostCandidates``, issue 14 item 12). ``never``: the IdP ids ``linking.overrides`` never links
    (:attr:`planner.matching.IdentityGraph.never`), which a create's reason names (:func:`create_reason`). Target/after
    shapes are in docs/policy.md
    ("Actions"). Review items: one ``linking.unclean_sigma_email`` per ``members.set_email`` that cleans a
    member's email (:func:`cleans_sigma_email`), so the item describes an action the plan holds (was:
    raised before the holds, it promised a set_email to a person later held: tester10 finding 15); one informational
    ``applied.idp_export_incomplete`` per reactivation of a member a run archived on the silence of an IdP export that
    missed their IdP user (:func:`.reactivated.incomplete_export_item`, tester19 finding 3).
    """
    frees = frees or {}
    lost = lost_candidates(rivals)
    people = sorted(people, key=_by_person)  # by memberId for members ("m:<memberId>"), by IdP id for others
    links: list[Action] = []
    creates: list[Action] = []
    cleaned: list[ReviewItem] = []
    create = PersonStatus.CREATE
    linked_to = matched_members(people)  # read by create_reason
    for p in people:  # one pass: the links' actions first in the plan, then the creates
        if is_linked(p):
            links.extend(person_link_actions(p, directory, user_types.get(p.person), frees, lost))
            if cleans_sigma_email(p):
                cleaned.append(unclean_email_item(p))
            if p.status is _REACTIVATE and (archive := run_archive(p, directory)) is not None and (
                    seen := missed_by_export(p, directory)) is not None:
                cleaned.append(incomplete_export_item(p, archive, seen, directory))
        elif p.status is create and p.idp_user is not None:
            creates.append(create_user_action(p, user_types.get(p.person), frees,
                                              create_reason(p, directory, linked_to, never, frees)))
    return Outcome(links + creates, cleaned)


_by_person = attrgetter("person")


def person_link_actions(person: Person, directory: Directory, user_type: str | None,
                        frees: Mapping[str, list[tuple[str, str]]],
                        lost: Mapping[tuple[str, str], list[LostCandidate]]) -> tuple[Action, ...]:
    """The actions linking ``person`` (:func:`is_linked`): ``members.reactivate`` first for a reactivated
    member, ``members.set_email`` when the member's email is not (letter case aside) the userName the link
    sends (the userName guard's update, or a Sigma email the IdP never sends as typed: issue 14 item 1),
    then ``scim.link_user`` sending ``user_type``, after them, after the guest's conversion, and after the
    actions freeing its address (``frees``)."""
    member = person.member
    mid = member.member_id
    requires = []
    actions = []
    if person.status is _REACTIVATE:
        actions.append(reactivate_action(person, run_archive(person, directory)))
        requires.append(action_id(ActionKind.MEMBERS_REACTIVATE, mid))
    if person.converted:
        requires.append(action_id(ActionKind.MEMBERS_CONVERT_GUEST, mid))
    freeing = frees.get(person.user_name_key) if frees else None
    if freeing:
        freeing = [aid for other, aid in freeing if other != mid]
        requires += freeing
    else:
        freeing = []
    set_email = person.guard == "update_sigma_email" or cleans_sigma_email(person)
    if set_email:
        actions.append(set_email_action(person, freeing))
        requires.append(action_id(ActionKind.MEMBERS_SET_EMAIL, mid))
    rivals = lost.get(("m", mid), []) + lost.get(("i", person.idp_user.id), []) if lost else []
    actions.append(link_user_action(person, directory, user_type, set_email, rivals, requires))
    return tuple(actions)


def run_archive(person: Person, directory: Directory) -> AppliedArchive | None:
    """The archive by a run of a plan given to ``plan --applied`` that left ``person``'s member archived (the last
    REST archive or reactivation of theirs by those runs is an archive, :attr:`Directory.applied_archives`), ``None``
    when no run archived them last."""
    archive = directory.applied_archives.get(person.member.member_id)
    return archive if archive is not None and archive.archived else None


def reactivate_action(person: Person, archive: AppliedArchive | None = None) -> Action:
    """``members.reactivate`` of an archived or inactive member an active IdP user links to again
    (``linking.archived_members``). ``archive``: the run of an applied plan that archived them
    (:func:`run_archive`): the reason names it and the documents' new owner, whom a reactivation does not move them
    back from (tester19 finding 3: the reason said "is active again", nothing about run 2 having moved Wendy's
    workbooks to tomasz.nowak@)."""
    member, user = person.member, person.idp_user
    archived = bool(member.is_archived)
    reason = (f"reactivate: the member is {'archived' if archived else 'inactive'} in Sigma and IdP user {user.id} "
              f"({user.user_name or ''}) is active and in scope")
    if archive is not None:
        owner = archive.new_owner or "the new owner that run named"
        reason += (f"; {archive.words()} archived them ({archive.kind}) and gave their documents to {owner}: they "
                   f"stay with {owner} (a reactivation does not move them back; move them back by hand)")
    return make_action(
        ActionKind.MEMBERS_REACTIVATE,
        member.member_id,
        target=MemberRef(member_id=member.member_id, email=member.email),
        before=ArchivedState(is_archived=True) if archived else ArchivedState(is_inactive=True),
        after=ArchivedState(is_archived=False) if archived else ArchivedState(is_inactive=False),
        rule="linking.archived_members",
        reason=reason,
        evidence=ReactivateEvidence(key=person.link.key),
    )


def set_email_action(person: Person, freeing: list[str]) -> Action:
    """``members.set_email`` to the userName the link sends, after the actions ``freeing`` that address:
    the userName guard's ``update_sigma_email``, or cleaning a Sigma email (``linking.clean_sigma_email``)."""
    member, user_name = person.member, person.user_name
    update = person.guard == "update_sigma_email"
    return make_action(
        ActionKind.MEMBERS_SET_EMAIL,
        member.member_id,
        target=MemberRef(member_id=member.member_id, email=member.email),
        before=EmailState(email=member.email),
        after=EmailState(email=user_name),
        rule="user_name_guard.update_sigma_email" if update else "linking.clean_sigma_email",
        reason=(
            f"change email to the IdP userName {user_name!r} so that the IdP's userName links "
            "instead of creating a second account" if update else
            f"set email to {user_name!r}, the userName the IdP will send: the Sigma email {member.email!r} "
            "is not it, and the IdP's userName must find this member"
        ),
        evidence=SetEmailEvidence(idp_id=person.idp_id),
        depends_on=freeing,
    )


def link_user_action(person: Person, directory: Directory, user_type: str | None, set_email: bool,
                     rivals: list[LostCandidate], requires: list[str]) -> ScimLinkUser:
    """``scim.link_user`` of ``person`` (docs/sigma-api.md §5.3: Sigma links a SCIM user to the member
    with its email), sending ``user_type`` and, after a ``members.set_email``, the email; ``rivals``:
    the candidates it won over; ``requires``: the action ids it waits for. A name the IdP holds otherwise
    than the member (changed in the IdP) is in ``before`` (``firstName``/``lastName``) and the reason: the
    link sends it and Sigma applies it (docs/sigma-api.md §5.3)."""
    member, user, link = person.member, person.idp_user, person.link
    scim_user_name = directory.scim_user_names[user.id]
    user_name = person.user_name
    after = ScimUserAfter(
        user_name=user_name,
        given_name=clean_text(user.given_name or member.first_name or ""),
        family_name=clean_text(user.family_name or member.last_name or ""),
        active=True,
        email=user_name if set_email else UNSET,
        user_type=UNSET if user_type is None else user_type,
    )
    first, last = member.first_name or "", member.last_name or ""
    before = LinkUserBefore(member_type=member.member_type or "", user_kind=member.user_kind or "internal",
                            first_name=first if first != after.given_name else UNSET,
                            last_name=last if last != after.family_name else UNSET)
    renamed = before.name_changes(after)
    return ScimLinkUser(
        id=action_id(ActionKind.SCIM_LINK_USER, member.member_id),
        target=LinkUserTarget(member_id=member.member_id, email=member.email, user_name=user_name, idp_id=user.id,
                              idp_user_name=scim_user_name if scim_user_name != user_name else UNSET),
        before=before,
        after=after,
        rule=link_rule(link.key),
        reason=_link_reason(link.key, user.id, user.user_name or "", link.idp_field, link.idp_value)
        + _lost_reason(rivals) + (f"; it sends the IdP's name: {renamed}" if renamed else ""),
        evidence=LinkUserEvidence(
            key=link.key, idp_field=link.idp_field,
            idp_value=link.idp_value if link.idp_value != scim_user_name else UNSET,
            user_name_guard=person.guard or UNSET,
            lost_candidates=rivals or UNSET,
        ),
        depends_on=tuple(sorted(set(requires))) if requires else (),
    )


@lru_cache(maxsize=256)
def link_rule(key: str) -> str:
    """The rule id of a link by match key label ``key``: ``linking.overrides`` for a reviewer's
    override, else ``linking.<key>`` without an attribute key's name (``attribute:employeeNumber`` ->
    ``linking.attribute``). Cached: a plan has a handful of keys and a link per person."""
    return "linking.overrides" if key == "override" else f"linking.{key.split(':')[0]}"


def matched_members(people: Iterable[Person]) -> dict[str, str]:
    """memberId -> IdP id of each member of ``people`` linked or matched to an IdP user (what
    :func:`address_words` names as the member's match)."""
    return {p.member.member_id: p.idp_user.id for p in people if p.member is not None and p.idp_user is not None}


def address_words(person: Person, directory: Directory, linked_to: Mapping[str, str], never: Collection[str],
                  frees: Mapping[str, list[tuple[str, str]]]) -> str:
    """How an action or item says that IdP user ``person`` has no member, after its name (:func:`create_reason`,
    the ``guests.idp_guest_not_created`` item): ``matches no Sigma member``, unless an address of the IdP user
    (:attr:`planner.directory.Directory.idp_emails`, as the ``emails`` key reads them) is a member's email, the
    member not moved off it (``frees``, :mod:`.duplicates`): then ``linked to no Sigma member``, that address and
    why they are not linked: ``linking.overrides`` never links the IdP user (``never``), or the member is linked or
    matched to another IdP user (``linked_to``: :func:`matched_members`), else not linked (no match key compared
    them). Was: "matches no Sigma member" beside the member the address is (tester19 finding 2; the guests' item
    since doubts20)."""
    iid = person.idp_id
    by_key = directory.member_ids_by_email_key
    for e in directory.idp_emails.get(iid, ()):
        moved = {mid for mid, _ in frees.get(e.key, ())}
        for mid in by_key.get(e.key, ()):
            if mid in moved:
                continue
            held = f"its emails[{e.position}] {e.value} is the email of member {mid}"
            if iid in never:
                return f"linked to no Sigma member: linking.overrides never links it, though {held}"
            other = linked_to.get(mid)
            if other is not None and other != iid:
                return f"linked to no Sigma member: {held}, who is matched to IdP user {other}"
            return f"linked to no Sigma member, though {held}"
    return "matches no Sigma member"


def create_reason(person: Person, directory: Directory, linked_to: Mapping[str, str], never: Collection[str],
                  frees: Mapping[str, list[tuple[str, str]]]) -> str:
    """The reason of ``person``'s ``scim.create_user``: ``create: IdP user <id> (<userName>) is in scope and matches
    no Sigma member``, unless an address of the IdP user (:attr:`planner.directory.Directory.idp_emails`, as the
    ``emails`` key reads them) is a member's email, the member not moved off it (``frees``, :mod:`.duplicates`):
    then it says so and why they are not linked: ``linking.overrides`` never links the IdP user (``never``), or the
    member is linked or matched to another IdP user (``linked_to``: memberId -> IdP id), else not linked (no match
    key compared them). Was: "matches no Sigma member" beside the member the address is (tester19 finding 2)."""
    return (f"create: IdP user {person.idp_id} ({person.user_name}) is in scope and "
            + address_words(person, directory, linked_to, never, frees))


def create_user_action(person: Person, user_type: str | None,
                       frees: Mapping[str, list[tuple[str, str]]], reason: str | None = None) -> ScimCreateUser:
    """``scim.create_user`` of an in-scope IdP user no member is linked to, sending ``user_type``; after the
    actions that free its address (``frees``). ``reason``: :func:`create_reason`'s (``None``: no member's email is
    an address of the user, "matches no Sigma member")."""
    user, iid, user_name = person.idp_user, person.idp_id, person.user_name
    primary = user.primary_email
    email = clean_address(primary.value if primary is not None else "") or user_name
    after = ScimUserAfter(user_name=user_name, given_name=clean_text(user.given_name or ""),
                          family_name=clean_text(user.family_name or ""), active=True,
                          email=email if email != user_name else UNSET,
                          user_type=UNSET if user_type is None else user_type)
    freeing = frees.get(person.user_name_key) if frees else None
    return ScimCreateUser(
        id=action_id(ActionKind.SCIM_CREATE_USER, iid),
        target=CreateUserTarget(idp_id=iid, user_name=user_name, email=email),
        before=None,
        after=after,
        rule="linking.create",
        reason=reason or f"create: IdP user {iid} ({user_name}) is in scope and matches no Sigma member",
        evidence=CreateUserEvidence(idp_status=user.status or None),
        depends_on=tuple(sorted({aid for _, aid in freeing})) if freeing else (),
    )


def lost_candidates(rivals: tuple[LinkedPair, ...]) -> dict[tuple[str, str], list[LostCandidate]]:
    """``{("m", memberId) | ("i", idpId): [candidate]}``: the other people a linked member or IdP user
    matched by a key that came after a link of one of them (``field``/``value``: what matched on the
    candidate's side)."""
    out: dict[tuple[str, str], list[LostCandidate]] = {}
    for r in rivals:
        link = r.link
        out.setdefault(("m", r.member_id), []).append(
            LostCandidate(idp_id=r.idp_id, key=link.key, field=link.idp_field, value=link.idp_value))
        out.setdefault(("i", r.idp_id), []).append(
            LostCandidate(member_id=r.member_id, key=link.key, field="email", value=link.sigma_value))
    return out


def _lost_reason(lost: list[LostCandidate]) -> str:
    """The reason's tail naming the candidates a link won over (``""`` for none)."""
    if not lost:
        return ""
    named = ", ".join(f"{'member ' + c.member_id if c.idp_id is UNSET else 'IdP user ' + c.idp_id} "
                      f"({c.field} {c.value}, by {c.key})" for c in lost)
    return f"; also matched, not linked: {named}"


def _link_reason(key: str, idp_id: str, idp_user_name: str, idp_field: str, idp_value: str) -> str:
    if key == "user_name":
        what = "the Sigma email equals the IdP userName"
    elif key == "override":
        what = f"linking.overrides says IdP user {idp_id} is this member"
    elif key == "scim":
        what = f"Sigma's SCIM state already links them (SCIM {idp_field} {idp_value!r})"
    elif key == "emails":
        what = f"the Sigma email equals the IdP user's {idp_field}"
    elif key == "domain_aliases":
        what = f"the Sigma email equals the IdP {idp_field} {idp_value!r} with the domain alias"
    elif key == "plus_address_folding":
        what = f"the Sigma email equals the IdP {idp_field} {idp_value!r} without +tag"
    else:
        what = f"IdP {idp_field} equals the member's {key.split('=')[-1]} ({idp_value})"
    return f"link to IdP user {idp_id} ({idp_user_name}): {what}"
