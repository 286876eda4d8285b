"""Guest members: SCIM does not support them, and turning SCIM on disables them (docs/sigma-api.md §5.3).

Every active guest member (``userKind: guest``) gets exactly one action:

- ``members.convert_guest`` (``PATCH userKind: internal``) followed by the
  usual ``scim.link_user``, when ``guests.action: convert`` and an active,
  in-scope IdP user links to the guest (an Entra B2B ``#EXT#`` user, or the
  same address in Okta): their work stays theirs, now IdP-managed;
- otherwise ``members.disable_guest`` (``PATCH isArchived: true`` with
  ``newOwnerId``, docs/sigma-api.md §2.5): their documents go to
  ``guests.document_owner`` (else ``organization.document_owner``).

A guest an IdP user links to but who is disabled by policy gets an
informational review item: the IdP user is not linked to the disabled account.

An archived or inactive guest whom linking reactivates (an override, Sigma's SCIM state, or
``linking.archived_members: reactivate``) is a guest all the same: Sigma's SCIM refuses to link a
guest (409 "guest users cannot be managed with SCIM", docs/sigma-api.md §5.3), so under
``guests.action: convert`` they get ``members.convert_guest`` after ``members.reactivate`` (then
the link), and otherwise a blocking ``guests.reactivated_guest`` item holds them
(:func:`decide_reactivated_guest`). An archived or inactive guest an active IdP user matches with no
such decision (linking's ``rehire``) is this family's question, not linking's ``linking.rehire``: a
guest's return is a ``guests`` decision (tester8 finding 28), so one blocking ``guests.rehired_guest``
item holds them, saying the account type they would return with (an internal member's, from
``account_types``) and what settles it under the ``guests.action`` in force (:func:`decide_rehired_guest`).

A guest a run of a plan given to ``plan --applied`` disabled whom the export lists active again (re-enabled by hand
since) is not disabled again on the plan's word: the blocking ``unmatched.reactivated`` item of
:mod:`.reactivated` asks, settled by ``unmatched.decisions`` (verify18 finding 3).

Each rule is a pure function of one :class:`~planner.directory.Person` (linking's decision), the
``guests`` policy section and the :class:`~planner.directory.Directory`: :func:`decide_guest`
returns a :class:`GuestDecision`, :func:`idp_guest_item` the review item of an IdP guest user
left out. This family never edits linking's record: :func:`planner.planning.decide` folds the
decision in (a guest's ``guest`` status gives way to the decision's).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Collection, Iterable

from msgspec.structs import replace

from ..directory import Directory, Person, PersonStatus
from ..model import Action, ActionKind, ItemEvidence, ItemRef, MissingColumn, ReviewItem, email_key
from ..sources.rule_columns import INVITATION_FIELD
from ..sources.entra import ext_upn_address
from ..payloads import (
    UNSET,
    ArchiveAfter,
    ConvertGuestEvidence,
    DisableGuestBefore,
    DisableGuestEvidence,
    MemberRef,
    UserKindState,
)
from ..policy import NEVER, Guests, Policy
from . import action_id, make_action, make_review, outside_policy, person_ref, yaml_snippet
from .policy_entries import EntryUse
from .account_types import TypeDecision, source_text
from .reactivated import ArchivedThen, reactivated_item


@dataclass(frozen=True, slots=True)
class DocumentOwner:
    """Who receives a disabled member's documents: ``member_id`` and ``email`` (``None`` when the
    policy names nobody found in the export) and ``source``, the policy key that named them
    (``guests.document_owner`` or ``organization.document_owner``)."""

    member_id: str | None
    email: str | None
    source: str


@dataclass(frozen=True, slots=True)
class GuestDecision:
    """What this family decides for one active guest member.

    ``status``: :attr:`~planner.directory.PersonStatus.LINK` with ``converted`` (then linked like
    any member, after ``members.convert_guest``) or :attr:`~planner.directory.PersonStatus.GUEST_DISABLED`;
    ``action``: the ``members.convert_guest`` or ``members.disable_guest`` (``None``: held, status ``HELD``: a
    protected person, or a reactivated guest); ``review_item``:
    the informational ``guests.disabled_with_idp_user`` of a disabled guest an IdP user links to, or the
    blocking ``guests.reactivated_guest`` of a held one (:func:`decide_reactivated_guest`).
    """

    member_id: str
    status: PersonStatus
    converted: bool
    action: Action | None
    review_item: ReviewItem | None = None


def decide_guest(person: Person, policy: Guests, directory: Directory, owner: DocumentOwner,
                 protected: Collection[str] = (), archived: ArchivedThen | None = None,
                 settled: str | None = None, new_item: ReviewItem | None = None) -> GuestDecision:
    """Convert ``person`` (status ``guest``, a member) under ``guests.action: convert`` when an active,
    in-scope IdP user links to them; otherwise disable them, their documents going to ``owner``
    (docs/sigma-api.md §2.5, §5.3). A guest who is one of the ``protected`` people (memberIds,
    :meth:`~planner.directory.Directory.protected_members`) and is not converted is held, never disabled:
    the guard ``scim_setup_admin`` / ``api_credential_owner`` is their one blocking item
    (:func:`planner.rules.guards.idp_standing`, tester8 finding 16). A guest a run of a plan given to ``plan
    --applied`` archived (``archived``: :func:`.reactivated.reactivated_members`), active again, is not disabled
    again on the plan's word alone: ``settled`` (their ``unmatched.decisions`` word) ``keep`` leaves them as they are
    (status ``guest``, nothing planned), ``deactivate`` disables them again, and without it they are held by the
    blocking ``unmatched.reactivated`` item (:func:`.reactivated.reactivated_item`; verify18 finding 3). A guest made
    after SCIM's set-up or the IdP export's newest record (``new_item``, their blocking ``unmatched.new_member``:
    :func:`planner.rules.unmatched.new_guest_item`) is decided the same way: ``keep`` leaves them, ``deactivate``
    disables them, and without a word the item holds them (tester19 finding 5)."""
    live = person.idp_id is not None and person.idp_id in directory.in_scope_idp_ids
    if policy.action == "convert" and live:
        return GuestDecision(person.member.member_id, PersonStatus.LINK, True, convert_action(person))
    if person.member.member_id in protected:
        return GuestDecision(person.member.member_id, PersonStatus.HELD, False, None)
    if archived is not None and settled == "keep":
        return GuestDecision(person.member.member_id, PersonStatus.GUEST, False, None)
    if archived is not None and settled != "deactivate":
        return GuestDecision(person.member.member_id, PersonStatus.HELD, False, None,
                             reactivated_item(person, archived, why_disabled(policy)))
    if new_item is not None and settled == "keep":
        return GuestDecision(person.member.member_id, PersonStatus.GUEST, False, None)
    if new_item is not None and settled != "deactivate":
        return GuestDecision(person.member.member_id, PersonStatus.HELD, False, None, new_item)
    return GuestDecision(person.member.member_id, PersonStatus.GUEST_DISABLED, False,
                         disable_action(person, owner), disabled_with_idp_user_item(person) if live else None)


def decide_reactivated_guest(person: Person, policy: Guests, returning: TypeDecision | None) -> GuestDecision:
    """An archived or inactive guest linking reactivates (status ``reactivate``): converted after the
    reactivation under ``guests.action: convert`` (status stays ``reactivate``), else held with a
    blocking ``guests.reactivated_guest`` naming ``returning``, the account type the conversion would give
    them (``None`` only under ``convert``, which needs none; Sigma's SCIM refuses to link a guest, 409,
    docs/sigma-api.md §5.3)."""
    mid = person.member.member_id
    if policy.action == "convert":
        convert = convert_action(person)
        return GuestDecision(mid, PersonStatus.REACTIVATE, True,
                             replace(convert, depends_on=(action_id(ActionKind.MEMBERS_REACTIVATE, mid),)))
    assert returning is not None  # planning.returning_guest_types types every guest held here
    return GuestDecision(mid, PersonStatus.HELD, False, None, reactivated_guest_item(person, returning))


def decide_rehired_guest(person: Person, policy: Guests, returning: TypeDecision) -> GuestDecision:
    """An archived or inactive guest an active, in-scope IdP user matches while nothing decided their
    reactivation (linking's status ``rehire``: no override, no SCIM link, ``linking.archived_members:
    review``): held (status ``held``, no action) by one blocking ``guests.rehired_guest``
    (:func:`rehired_guest_item`), whatever ``guests.action`` says: reactivating a guest is converting them
    (Sigma's SCIM refuses a guest, 409, docs/sigma-api.md §5.3), which only a reviewer decides for a
    person who left (tester8 finding 28)."""
    return GuestDecision(person.member.member_id, PersonStatus.HELD, False, None,
                         rehired_guest_item(person, policy, returning))


def returning_as(returning: TypeDecision) -> str:
    """How a returning guest's items say the account type a conversion gives them: ``"account type
    Explore (group Sigma-Explore)"``, ``"account type View (kept: ...)"``, or ``"no account type sent (...)"``
    (:func:`.account_types.source_text`)."""
    if returning.source == "keep":
        return f"account type {returning.after} (kept: no mapped group, account_types.default: keep)"
    where = source_text(returning.source, returning.groups)
    if returning.after is None:
        return f"no account type sent ({where})"
    return f"account type {returning.after} ({where})"


def returning_evidence(person: Person, returning: TypeDecision) -> ItemEvidence:
    """What a returning guest's item saw: the link's key, the member's ``isArchived`` / ``isInactive``, the
    ``accountType`` they would return with, its ``source`` and mapped ``groups`` (when it has some)."""
    member = person.member
    return ItemEvidence(linked_by=person.link.key, is_archived=member.is_archived, is_inactive=member.is_inactive,
                        account_type=returning.after if returning.after is not None else UNSET,
                        source=returning.source,
                        groups=list(returning.groups) if returning.groups else UNSET)


def reactivated_guest_item(person: Person, returning: TypeDecision) -> ReviewItem:
    """Blocking ``guests.reactivated_guest``: linking would reactivate and link archived/inactive guest
    ``person``, which Sigma's SCIM refuses (409) unless converted first; says the account type the
    conversion gives them (``returning``)."""
    member, user = person.member, person.idp_user
    return make_review(
        "guests.reactivated_guest",
        member.member_id,
        blocking=True,
        subject=person_ref(member_id=member.member_id, email=member.email, idp_id=user.id,
                           user_name=user.user_name or ""),
        message=(
            f"IdP user {user.id} links to {'archived' if member.is_archived else 'inactive'} guest {member.email!r}: "
            "Sigma's SCIM refuses to link a guest (409), so reactivating and linking them needs a conversion to an "
            f"internal member first, who returns with {returning_as(returning)}"
        ),
        rule="guests.action",
        evidence=returning_evidence(person, returning),
        resolution=yaml_snippet({"guests": {"action": "convert"}},
                                notes=["convert linked guests (their work stays theirs, IdP-managed):"]),
    )


def rehired_guest_item(person: Person, policy: Guests, returning: TypeDecision) -> ReviewItem:
    """Blocking ``guests.rehired_guest`` (:func:`decide_rehired_guest`): the IdP has archived/inactive guest
    ``person`` active again. The message names the guest, the IdP user, the account type they would return
    with as an internal member (``returning``) and the ``guests.action`` in force; the resolution brings
    them back (an override linking them, with ``guests.action: convert`` when it is not already), or keeps
    them out (outside the policy: unassign the IdP user from the Sigma app)."""
    member, mid, user = person.member, person.member.member_id, person.idp_user
    state = "archived" if member.is_archived else "inactive"
    now = ("guests.action is convert" if policy.action == "convert"
           else f"guests.action is {policy.action}, which converts no one returning")
    back = {"linking": {"overrides": [{"idp": user.id, "member": mid}]}}
    notes = ["bring them back as an internal member (reactivated, converted, linked):"]
    if policy.action != "convert":
        back = {"guests": {"action": "convert"}, **back}
        notes.append("(guests.action: convert also converts the active guests an IdP user links to)")
    return make_review(
        "guests.rehired_guest",
        mid,
        blocking=True,
        subject=person_ref(member_id=mid, email=member.email, idp_id=user.id, user_name=user.user_name or ""),
        message=(
            f"active IdP user {user.id} matches {state} guest {member.email!r} ({member.member_type}): a guest cannot "
            "return as a guest (Sigma's SCIM refuses to link one, 409), so bringing them back reactivates them, "
            f"converts them to an internal member and links them, with {returning_as(returning)}; {now}: held "
            "until a reviewer decides"
        ),
        rule="guests.action",
        evidence=returning_evidence(person, returning),
        resolution=yaml_snippet(back, notes=notes)
        + f"# or keep them out: unassign IdP user {user.id} from the Sigma app, export and plan again\n",
    )


def convert_action(person: Person) -> Action:
    """``members.convert_guest`` of a guest an IdP user links to (``PATCH userKind: internal``)."""
    member, user = person.member, person.idp_user
    return make_action(
        ActionKind.MEMBERS_CONVERT_GUEST,
        member.member_id,
        target=MemberRef(member_id=member.member_id, email=member.email),
        before=UserKindState(user_kind="guest"),
        after=UserKindState(user_kind="internal"),
        rule="guests.convert",
        reason=f"convert guest to an internal, IdP-managed member: IdP user {user.id} ({user.user_name or ''}) "
               "links to them",
        evidence=ConvertGuestEvidence(idp_id=user.id, linked_by=person.link.key if person.link else None),
    )


def why_disabled(policy: Guests) -> str:
    """Why this family disables an active guest, as the ``unmatched.reactivated`` item says it, by the ``guests.action``
    in force: ``a guest member, disabled (guests.action is disable): SCIM does not support guests
    (members.disable_guest)``; under ``convert``: ``... (guests.action is convert, and no active IdP user in scope
    links to them) ...``."""
    because = ("guests.action is disable" if policy.action == "disable"
               else "guests.action is convert, and no active IdP user in scope links to them")
    return f"a guest member, disabled ({because}): SCIM does not support guests (members.disable_guest)"


def disable_action(person: Person, owner: DocumentOwner) -> Action:
    """``members.disable_guest`` (``PATCH isArchived: true`` with ``newOwnerId``)."""
    member = person.member
    reason = "disable guest: SCIM does not support guests and disables them when it is switched on"
    if owner.member_id:
        reason += f"; documents go to {owner.email}"
    return make_action(
        ActionKind.MEMBERS_DISABLE_GUEST,
        member.member_id,
        target=MemberRef(member_id=member.member_id, email=member.email),
        before=DisableGuestBefore(is_archived=False, user_kind="guest", member_type=member.member_type),
        after=ArchiveAfter(is_archived=True, new_owner_id=owner.member_id),
        rule="guests.disable",
        reason=reason,
        evidence=DisableGuestEvidence(
            new_owner_email=owner.email if owner.member_id else None,
            document_owner_from=owner.source,
            idp_id=person.idp_id or UNSET,
        ),
    )


def disabled_with_idp_user_item(person: Person) -> ReviewItem:
    """``guests.disabled_with_idp_user`` (informational): a guest disabled although an IdP user links to them."""
    member, user = person.member, person.idp_user
    return make_review(
        "guests.disabled_with_idp_user",
        member.member_id,
        blocking=False,
        subject=person_ref(member_id=member.member_id, email=member.email, idp_id=user.id,
                           user_name=user.user_name or ""),
        message=(
            f"guest {member.email!r} is disabled although IdP user {user.id} links to them; "
            "their documents go to the document owner, not to the IdP user"
        ),
        rule="guests.action",
        resolution=yaml_snippet({"guests": {"action": "convert"}}, notes=["keep their work by converting linked guests:"]),
    )


def idp_guest_item(person: Person, unmatched_words: str = "matches no Sigma member") -> ReviewItem:
    """``guests.idp_guest_not_created`` (informational): an IdP guest user (status ``idp_guest``) that
    matches no member is not created, Sigma's SCIM not supporting guests (``guests.create_from_idp``).
    ``unmatched_words``: how the item says it has no member (:func:`planner.rules.linking.address_words`: ``linked
    to no Sigma member, though its emails[0] ... is the email of member ...`` when an address of it is a member's;
    doubts20: was "matches no Sigma member" then too)."""
    return make_review(
        "guests.idp_guest_not_created",
        person.idp_id,
        blocking=False,
        subject=person_ref(idp_id=person.idp_id, user_name=person.user_name),
        message=(
            f"IdP guest user {person.user_name!r} {unmatched_words} and is not created "
            "(Sigma's SCIM does not support guests)"
        ),
        rule="guests.create_from_idp",
        resolution=yaml_snippet({"guests": {"create_from_idp": True}}, notes=["create IdP guests as internal members:"]),
    )


# --------------------------------------------------------------------------- an invited address that changed


@dataclass(frozen=True, slots=True)
class InvitedAddressDoubt:
    """An in-scope Entra B2B guest user whose ``#EXT#`` userPrincipalName encodes one address (``invited``: the
    address the guest was invited with, :func:`planner.sources.entra.ext_upn_address`) while its primary email
    (``mail``) is another, one of the two being the address of the Sigma guest(s) ``member_ids`` (sorted).
    Which address the person is cannot be read from the export (tester17 finding 1)."""

    idp_id: str
    invited: str
    mail: str
    member_ids: tuple[str, ...]


def invited_address_doubts(directory: Directory, settled: Collection[str]) -> list[InvitedAddressDoubt]:
    """One :class:`InvitedAddressDoubt` per in-scope IdP user with a ``#EXT#`` userPrincipalName whose encoded
    address and primary email differ (by :func:`planner.model.email_key`) while one of them is an active Sigma
    guest's email, in IdP id order. ``settled``: IdP ids a ``linking.overrides`` entry (a link or ``never``) or
    Sigma's SCIM state already decides: no doubt. A guest's mail changes (a partner's rebrand, a re-invitation)
    while the UPN keeps the invited address: linking on either alone would convert or disable the wrong
    account (tester17 finding 1; docs/formats.md §3f). The guests are picked first, reading the users in export
    order, and only they are sorted (was: every in-scope IdP id sorted and looked up in the set's order, 110k at
    100k members, 0.2 s, for 748 guests; s22)."""
    out = []
    by_key = directory.member_ids_by_email_key
    users = directory.idp_users
    in_scope = directory.in_scope_idp_ids
    guest_ids = [iid for iid, user in users.items() if user.is_guest and iid in in_scope and iid not in settled]
    for iid in sorted(guest_ids):
        user = users[iid]
        if (invited := ext_upn_address(user.user_name)) is None:
            continue
        primary = user.primary_email
        if primary is None or not primary.key or primary.key == email_key(invited):
            continue
        guests = sorted({m for key in (email_key(invited), primary.key) for m in by_key.get(key, ())
                         if directory.members[m].user_kind == "guest" and directory.members[m].is_active})
        if guests:
            out.append(InvitedAddressDoubt(iid, invited, primary.value, tuple(guests)))
    return out


def _naming(policy: Policy, directory: Directory, idp_id: str) -> list[str]:
    """The keys of the ``user_name_guard.overrides`` entries naming IdP user ``idp_id``, as written."""
    return [ref for ref in policy.user_name_guard.overrides if directory.find_idp_id(ref) == idp_id]


def invited_address_item(doubt: InvitedAddressDoubt, policy: Policy, directory: Directory) -> ReviewItem:
    """Blocking ``guests.invited_address_differs`` (:func:`invited_address_doubts`): the IdP user and the
    Sigma guest(s) are held (no link, conversion, disable nor create) until a ``linking.overrides`` entry says
    whom the IdP user is (the guest: linked, converted under ``guests.action: convert``) or ``never``. Names the
    ``user_name_guard.overrides`` entries naming the IdP user, which wait for the answer."""
    user = directory.idp_users[doubt.idp_id]
    guests = [directory.members[m] for m in doubt.member_ids]
    has = "; ".join(f"guest {g.member_id} has {'the invited address' if email_key(g.email) == email_key(doubt.invited) else 'the mail'} "
                    f"{g.email!r}" for g in guests)
    waiting = _naming(policy, directory, doubt.idp_id)
    wait = (f"; the policy's user_name_guard.overrides entry {', '.join(map(repr, waiting))} waits for the answer"
            if waiting else "")
    best = guests[0].member_id
    return make_review(
        "guests.invited_address_differs",
        doubt.idp_id,
        blocking=True,
        subject=ItemRef(idp_id=doubt.idp_id, user_name=user.user_name, member_ids=list(doubt.member_ids)),
        message=(f"IdP guest user {doubt.idp_id}: its userPrincipalName {user.user_name!r} encodes the invited "
                 f"address {doubt.invited!r}, but its mail is {doubt.mail!r}; {has}: which address is the person? "
                 f"held (neither linked, converted, disabled nor created) until the policy says{wait}"),
        rule="guests.action",
        candidates=[person_ref(member_id=g.member_id, email=g.email, status="guest") for g in guests]
        + [person_ref(idp_id=doubt.idp_id, user_name=user.user_name, status="IdP guest user")],
        evidence=ItemEvidence(addresses=[doubt.invited, doubt.mail]),
        resolution=yaml_snippet(
            {"linking": {"overrides": [{"idp": doubt.idp_id, "member": best}]}},
            {"linking": {"overrides": [{"idp": doubt.idp_id, "member": NEVER}]}},
            notes=[f"the same person (a changed mail, a re-invitation): link IdP user {doubt.idp_id} to guest "
                   f"{directory.members[best].email} ({'converted, ' if policy.guests.action == 'convert' else ''}"
                   f"guests.action: {policy.guests.action}); not the same person: never"]),
    )


def invited_address_uses(doubts: list[InvitedAddressDoubt], policy: Policy, directory: Directory) -> list[EntryUse]:
    """The ``user_name_guard.overrides`` entries naming a held IdP user (:func:`invited_address_doubts`): they
    wait for the blocking item's answer, named by it, so they are no ``policy.unused_entry`` (tester17 finding
    1: the entry written for this very guest was reported merely as unused)."""
    return [EntryUse("user_name_guard.overrides", ref,
                     f"waits for the blocking guests.invited_address_differs of IdP user {d.idp_id}")
            for d in doubts for ref in _naming(policy, directory, d.idp_id)]


# --------------------------------------------------------------------------- an invitation not accepted


CONFIRM_PENDING = "guests.confirm_pending_invitations"
"""The policy key that lets the plan link a member to an IdP user whose invitation is not accepted."""


def invitation_pending_items(people: Iterable[Person], actions: Iterable[Action], policy: Guests,
                             directory: Directory) -> list[ReviewItem]:
    """One ``guests.invitation_pending`` per person the plan links or creates (their ``scim.link_user`` /
    ``scim.create_user`` is among ``actions``) whose IdP user never redeemed its Entra B2B invitation
    (:attr:`planner.model.IdpUser.invitation_pending`), in IdP id order. After the switch Sigma signs in through
    the IdP only (preflight ``saml_only``), and the invited user has to redeem the invitation before they reach
    any resource (Microsoft Graph, invitation resource type: "The invited user has to go through the redemption
    process to access any resources"). Their person row counts them under "Cannot sign in after the switch"
    (:func:`planner.outcomes.lockout`, ``invitation_pending``; tester17 finding 9: a converted guest was counted
    as able to sign in).

    Blocking when the plan links an existing Sigma member (a guest converted, most often): a person who signs in
    today would be locked out by the switch, on an identity nobody has claimed yet, unless
    ``guests.confirm_pending_invitations`` names the IdP user (:func:`confirmed_pending`: the admin knows, and they
    will redeem it). Informational when the plan creates them: nobody loses a sign-in they have, the account
    waits for them (docs/policy.md ``guests``). The few people concerned are found first (:func:`_pending_people`),
    and the plan's actions read only when there are any (was: every action's id gathered for every plan; s22)."""
    concerned = _pending_people(people, directory)
    if not concerned:
        return []
    signing = {a.id for a in actions if a.kind in (ActionKind.SCIM_LINK_USER, ActionKind.SCIM_CREATE_USER)}
    confirmed = confirmed_pending(policy, directory)
    items = []
    for person, untold in concerned:
        user = person.idp_user
        assert user is not None
        member = person.member
        if member is not None and action_id(ActionKind.SCIM_LINK_USER, member.member_id) in signing:
            what = (f"converts and links guest {member.email!r}" if person.converted
                    else f"links member {member.email!r}")
            items.append(_pending_link_item(person, what, user.id in confirmed, untold))
        elif member is None and action_id(ActionKind.SCIM_CREATE_USER, user.id) in signing:
            items.append(_pending_item(person, "creates them", blocking=False, tail="", rule="guests.action",
                                       resolution=outside_policy(_RESEND.format(user.id) + "; export and plan again")))
    return sorted(items, key=lambda r: r.id)


def _pending_people(people: Iterable[Person], directory: Directory) -> list[tuple[Person, MissingColumn | None]]:
    """``(person, untold)`` of each of ``people`` whose IdP user's invitation is pending
    (:attr:`planner.model.IdpUser.invitation_pending`; ``untold`` ``None``) or, a guest whose users file lacks
    ``externalUserState``, cannot be told (``untold``: :meth:`planner.directory.Directory.lacks`), in ``people``'s
    order; what :func:`invitation_pending_items` reads. The IdP users are read first, in export order (the people,
    sorted by person key, reach them scattered over memory), and the people only when one is concerned (s22)."""
    lacking = bool(directory.missing_columns)
    concerned = {iid for iid, user in directory.idp_users.items() if user.invitation_pending or (
        lacking and user.is_guest and directory.lacks(user, INVITATION_FIELD) is not None)}
    if not concerned:
        return []
    return [(p, None if p.idp_user.invitation_pending else directory.lacks(p.idp_user, INVITATION_FIELD))
            for p in people if p.idp_user is not None and p.idp_user.id in concerned]


_RESEND = ("resend the invitation of IdP user {} (Entra admin center: the user's B2B invitation, Resend invitation) "
           "and have them accept it before the switch")


def _pending_link_item(person: Person, what: str, confirmed: bool, untold: MissingColumn | None = None
                       ) -> ReviewItem:
    """The item of a person the plan links whose invitation is pending, or, ``untold``, whose users file lacks
    ``externalUserState`` so whether they accepted it cannot be told (tester21 finding 7: a guest who never accepted
    was converted and linked from a download without the column, 0 blocking)."""
    user = person.idp_user
    assert user is not None
    if confirmed:
        return _pending_item(person, what, blocking=False, tail=f" ({CONFIRM_PENDING} names them)",
                             rule=CONFIRM_PENDING, resolution="", untold=untold)
    return _pending_item(
        person, what, blocking=True, rule=CONFIRM_PENDING, untold=untold,
        tail="; they sign in to Sigma today and would lose it: have them redeem it, or confirm the link",
        resolution=yaml_snippet({"guests": {"confirm_pending_invitations": [user.user_name or user.id]}}, notes=[
            _RESEND.format(user.id) + ", export and plan again; or link them all the same, knowing they cannot sign "
            "in until they redeem it:"]))


def _pending_item(person: Person, what: str, *, blocking: bool, tail: str, rule: str, resolution: str,
                  untold: MissingColumn | None = None) -> ReviewItem:
    user, member = person.idp_user, person.member
    assert user is not None
    state = ("never accepted its Entra B2B invitation (externalUserState PendingAcceptance)" if untold is None else
             f"is an Entra B2B guest, and whether it accepted its invitation cannot be told ({untold.words()})")
    return make_review(
        "guests.invitation_pending", user.id, blocking=blocking,
        subject=person_ref(member_id=member.member_id if member else None, email=member.email if member else None,
                           idp_id=user.id, user_name=user.user_name),
        message=(f"IdP user {user.id} ({user.user_name}) {state}: the plan {what}, but after the switch Sigma "
                 "signs in through the IdP only, which cannot sign them in until they redeem it"
                 + ("; counted under 'Cannot sign in after the switch'" if untold is None else
                    " (if they have not)") + tail),
        rule=rule,
        evidence=ItemEvidence(linked_by=person.link.key if person.link else UNSET),
        resolution=resolution,
    )


def confirmed_pending(policy: Guests, directory: Directory) -> dict[str, int]:
    """``{IdP id: index of the first guests.confirm_pending_invitations entry naming them}`` (an entry names an
    IdP user by id or userName, :meth:`planner.directory.Directory.find_idp_id`; one naming nobody is
    :mod:`.policy_refs`' ``policy.unknown_reference``)."""
    found: dict[str, int] = {}
    for i, ref in enumerate(policy.confirm_pending_invitations):
        idp_id = directory.find_idp_id(ref)
        if idp_id is not None:
            found.setdefault(idp_id, i)
    return found


def invitation_pending_uses(policy: Guests, directory: Directory, items: Iterable[ReviewItem]) -> list[EntryUse]:
    """What each ``guests.confirm_pending_invitations`` entry settled (:mod:`.policy_entries`): the link of the
    IdP user it names that an informational ``guests.invitation_pending`` of its rule says it confirmed
    (:func:`invitation_pending_items`); else nothing, and why (the invitation is accepted, or the plan links no
    member to them)."""
    if not policy.confirm_pending_invitations:
        return []
    settled = {i.subject.idp_id for i in items
               if i.code == "guests.invitation_pending" and i.rule == CONFIRM_PENDING and not i.blocking}
    uses = []
    for i, ref in enumerate(policy.confirm_pending_invitations):
        idp_id = directory.find_idp_id(ref)
        if idp_id is None:
            continue
        if idp_id in settled:
            uses.append(EntryUse(CONFIRM_PENDING, i, f"links IdP user {idp_id}, whose invitation is not accepted"))
        elif not directory.idp_users[idp_id].invitation_pending:
            uses.append(EntryUse(CONFIRM_PENDING, i, "", f"IdP user {idp_id}'s invitation is not pending"))
        else:
            uses.append(EntryUse(CONFIRM_PENDING, i, "", f"the plan links no Sigma member to IdP user {idp_id}"))
    return uses


NO_IDP_GUESTS = "guests.no_idp_guests"
"""The item code of a guest disable resting on an IdP export that holds no guest (:func:`no_idp_guests_items`)."""


def no_idp_guests_items(actions: Iterable[Action], policy: Guests, directory: Directory) -> list[ReviewItem]:
    """One blocking ``guests.no_idp_guests`` item per ``members.disable_guest`` when ``guests.action`` is ``convert``
    and the IdP export marks guests yet holds none while Sigma has active guests
    (:attr:`~planner.directory.Directory.idp_guests_in_doubt`, :mod:`planner.sources.guest_listing`): the guests
    the policy would convert read as guests without an IdP user only because the download was filtered to members
    (tester20 finding 9: Carol Nguyen disabled, her documents to the owner, 0 blocking). Keyed by the action id,
    subject its target; settled by exporting the users again with no filter, or, if the IdP really holds no guest,
    by ``guests.action: disable`` (nothing could be converted). ``[]`` otherwise."""
    users_file = directory.idp_guests_in_doubt
    if users_file is None or policy.action != "convert":
        return []
    items = []
    for action in actions:
        if action.kind is not ActionKind.MEMBERS_DISABLE_GUEST:
            continue
        items.append(make_review(
            NO_IDP_GUESTS, action.id, blocking=True,
            subject=person_ref(member_id=action.target.member_id, email=action.target.email),
            message=(f"guest {action.target.email!r} would be disabled ({action.reason}) though guests.action is "
                     f"convert, because {users_file} holds no guest user at all (no userType Guest, no #EXT# "
                     "userName) while Sigma has active guests: a download filtered to members (Entra's \"Download "
                     "users\" follows the list's filters)? The IdP user that would convert them may be left out"),
            rule="guests.action",
            resolution=yaml_snippet({"guests": {"action": "disable"}}, notes=[
                f"export the users again with no filter ({users_file}) and plan again; or, if the IdP holds no "
                "guest user, say the guests are disabled:"]),
        ))
    return items
