"""A member a run of sigma-migrate archived whom Sigma lists active again: reactivated outside this tool since.

A run of a plan given to ``plan --applied`` archived the member through the REST API by one of the archiving action
kinds (:data:`ARCHIVING_KINDS`: ``members.deactivate``, ``members.disable_guest``; the journal records it,
:class:`~planner.model.AppliedArchive`, read by :func:`planner.applied.applied_runs`), and the re-plan's export lists
them active: someone brought them back by hand, most likely on purpose. A family that would archive them again on the
export's word alone (a second lock-out, their documents moved a second time) asks instead, by one blocking
``unmatched.reactivated`` item (:func:`reactivated_item`) settled per member by ``unmatched.decisions`` (``keep``:
nothing is planned for them; ``deactivate``: archived again, as the family decides it). The unmatched members'
family (:mod:`.unmatched`, ``members.deactivate``) and the guests' (:mod:`.guests`, ``members.disable_guest``) read it
here, one rule for every archiving kind (tester17 #6 for a deactivated member; verify18 finding 3: a guest a wave
disabled and re-enabled by hand was disabled again in silence). The same holds a member the plan given to ``plan
--applied`` that read Sigma last saw archived or inactive, whom no run of the plans given reactivated since, and whom
the export lists active (:func:`seen_archived`, tester19 finding 7: archived before the migration, left alone by the
first plan, reactivated by hand between the waves).

The mirror (tester19 finding 1): a member the plan given to ``plan --applied`` that read Sigma last saw active (its
person row, :class:`~planner.model.AppliedSeen`), whom the re-plan's export lists archived or inactive
and whom no run of the plans given archived (``members.deactivate``, ``members.disable_guest``) or deactivated
through SCIM (``scim.deactivate_user``) since, was archived by hand (:func:`archived_by_hand`): a Sigma admin took
them out between two waves, most likely on purpose (they left, are on leave; the IdP not yet told). Linking would
write that change back (``linking.archived_members: reactivate``, a ``linking.overrides`` entry, Sigma's SCIM state
linking them) or ask a rehire's question that does not fit: instead the person is held by one blocking
``linking.archived_by_hand`` item (:func:`archived_by_hand_item`), whatever ``linking.archived_members`` says,
settled per member by the same ``unmatched.decisions``: ``keep`` keeps the member as the admin left them (nothing
planned for them; their IdP user, still in scope, is listed as not provisioned, ``scope.assigned_not_provisioned``).
An archive that was a mistake is undone where it was made: reactivate the member in Sigma and fetch again (no
question then). A member archived before the first plan given was made is no hand change of the migration: linking
decides them as before.

Both directions read the one comparison of the export with the applied plan's view,
:func:`planner.rules.since_applied.changes_since` (its :data:`~.since_applied.MEMBER_STATE` field; mend21, was a
second comparison here). Apply refuses a run whose earlier writes were reversed by hand (docs/apply.md); this is the
re-plan's side of it.
"""

from __future__ import annotations

from typing import Iterable, Mapping

from ..directory import Directory, Person
from ..model import ActionKind, AppliedArchive, AppliedSeen, ItemEvidence, ReviewItem
from ..policy import Policy
from . import make_review, person_ref, yaml_snippet
from .since_applied import ACTIVE, ARCHIVED, HandChange, state_changes

REACTIVATED = "unmatched.reactivated"
"""The rule and item code of a member a run of an applied plan archived whom the export lists active again
(:func:`reactivated_item`)."""

ARCHIVED_BY_HAND = "linking.archived_by_hand"
"""The rule and item code of a member an applied plan saw active whom the export lists archived or inactive, and no
run of the plans given archived (:func:`archived_by_hand_item`)."""

ARCHIVING_KINDS = frozenset({ActionKind.MEMBERS_DEACTIVATE, ActionKind.MEMBERS_DISABLE_GUEST})
"""The action kinds that archive a member through the REST API (``isArchived: true`` with ``newOwnerId``,
docs/sigma-api.md §2.5): what :func:`planner.applied.applied_runs` records as archives, with ``members.reactivate``
(which brings one back)."""


ArchivedThen = AppliedArchive | HandChange
"""What says a member was archived or inactive before the export: a run's archive (:class:`AppliedArchive`) or the
change of state since the plan given to ``plan --applied`` that read Sigma last saw them archived or inactive
(:class:`~.since_applied.HandChange` of field :data:`~.since_applied.MEMBER_STATE`)."""


def reactivated_members(directory: Directory) -> Mapping[str, ArchivedThen]:
    """memberId -> what says each member was archived before the export, of those an active one among was reactivated
    outside this tool since: the members whose last REST archive or reactivation by a run of a plan given to ``plan
    --applied`` archived them (:attr:`planner.directory.Directory.applied_archives`), and the members that plan saw
    archived or inactive (:func:`seen_archived`, tester19 finding 7)."""
    found: dict[str, ArchivedThen] = dict(seen_archived(directory))
    found.update({mid: a for mid, a in directory.applied_archives.items() if a.archived})
    return found


def seen_archived(directory: Directory) -> Mapping[str, HandChange]:
    """memberId -> the :data:`~.since_applied.MEMBER_STATE` change of each member the plan given to ``plan --applied``
    that read Sigma last saw archived or inactive and the export lists active, which no run of the plans given made
    (:func:`planner.rules.since_applied.state_changes`, that field of ``changes_since``): a human reactivated them
    between the waves (tester19 finding 7: laura.bianchi@, archived since 2021 and left alone by v1.json, reactivated
    by hand, was deactivated again by the re-plan, 0 blocking). Empty without ``--applied``."""
    return {c.object_id: c for c in state_changes(directory) if c.now == ACTIVE}


def decided(policy: Policy, directory: Directory) -> Mapping[str, str]:
    """memberId -> the ``unmatched.decisions`` word (``keep`` | ``deactivate``) of each member an entry names."""
    found = {}
    for ref, what in policy.unmatched.decisions.items():
        mid = directory.find_member_id(ref)
        if mid:
            found[mid] = what
    return found


def archived_by(archived: ArchivedThen) -> str:
    """How a reason names what archived a member active again: ``"archived by run 1 of plan plan.json,
    2026-12-07T13:20:08.120Z (members.deactivate), active again in Sigma since"``, or for a member a plan saw
    archived (:func:`seen_archived`) ``"archived when plan v1.json read Sigma (2026-12-07T13:20:08Z), active in Sigma
    since, no run of this tool reactivated them"``."""
    if isinstance(archived, HandChange):
        state = "archived" if archived.seen == ARCHIVED else "deactivated"
        when = f" ({archived.at})" if archived.at else ""
        plan = f"{'undo plan' if archived.undo else 'plan'} {archived.plan}"
        return f"{state} when {plan} read Sigma{when}, active in Sigma since, no run of this tool reactivated them"
    return f"archived by {archived.words()} ({archived.kind}), active again in Sigma since"


def member_question(person: Person, code: str, rule: str, message: str, *choices: dict,
                    notes: Iterable[str] = ()) -> ReviewItem:
    """A blocking item asking whether to keep or deactivate ``person``'s member: ``code`` and ``rule``, the
    ``message``, subject the member (and their IdP user), evidence ``kind``, ``memberType`` and ``userKind``, and a
    resolution offering ``choices`` (policy fragments, :func:`decision`) with ``notes``."""
    member = person.member
    return make_review(
        code,
        member.member_id,
        blocking=True,
        subject=person_ref(member_id=member.member_id, email=member.email, idp_id=person.idp_id),
        message=message,
        rule=rule,
        evidence=ItemEvidence(kind=person.status.value, member_type=member.member_type, user_kind=member.user_kind),
        resolution=yaml_snippet(*choices, notes=notes),
    )


def decision(person: Person, what: str) -> dict:
    """The ``unmatched.decisions`` entry saying ``what`` (``keep`` | ``deactivate``) for ``person``'s member."""
    return {"unmatched": {"decisions": {person.member.email: what}}}


def reactivated_item(person: Person, archived: ArchivedThen, why: str) -> ReviewItem:
    """The blocking ``unmatched.reactivated`` item: a run archived ``person``, or the applied plan saw them archived
    (``archived``, :func:`reactivated_members`), the export lists them
    active, and the family would archive them again because ``why`` (:func:`planner.rules.unmatched.why_unmatched`,
    or a guest's :func:`planner.rules.guests.why_disabled`); settled by ``unmatched.decisions`` (``keep`` |
    ``deactivate``). Evidence: ``kind``, ``memberType``, ``userKind``."""
    return member_question(
        person, REACTIVATED, REACTIVATED,
        f"{person.member.email}: {why}; {archived_by(archived)}: reactivated on purpose? "
        "Deactivating them again locks them out and moves their documents a second time; decide whether to keep or "
        "deactivate this member",
        decision(person, "keep"), decision(person, "deactivate"))


def archived_by_hand(directory: Directory) -> Mapping[str, HandChange]:
    """memberId -> the :data:`~.since_applied.MEMBER_STATE` change of each member the plan given to ``plan --applied``
    that read Sigma last saw active and the export lists archived or inactive, which no run of the plans given made
    (:func:`planner.rules.since_applied.state_changes`: a run's archive or ``active: false`` before that plan read
    Sigma is what it saw): a human's change since (module docstring). Empty without ``--applied``."""
    return {c.object_id: c for c in state_changes(directory) if c.seen == ACTIVE}


def hand_change(person: Person) -> str:
    """What was done to ``person``'s member, as the export lists it: ``archived``, or ``deactivated`` (inactive:
    ``active: false`` through SCIM)."""
    return "archived" if person.member.is_archived else "deactivated"


def archived_by_hand_item(person: Person, seen: HandChange, would: str) -> ReviewItem:
    """The blocking ``linking.archived_by_hand`` item: ``person``'s member, active when the plan ``seen`` names was
    made against Sigma (:func:`archived_by_hand`), is archived or inactive in the export and no run of the plans given
    to ``plan --applied`` made it so; their IdP user is active and in scope and linking ``would`` write the change
    back (``"reactivate and link them (linking.archived_members: reactivate)"``). Settled by
    ``unmatched.decisions: keep`` (module docstring). Evidence: ``kind``, ``memberType``, ``userKind``."""
    member, user = person.member, person.idp_user
    state = hand_change(person)
    return member_question(
        person, ARCHIVED_BY_HAND, ARCHIVED_BY_HAND,
        f"{member.email}: {state} by hand since {seen.plan} was made, not by this tool: on purpose? "
        f"{seen.plan_words()} saw the member active and no run of the plans given to "
        f"--applied {state} them; IdP user {user.id} ({user.user_name or ''}) is active and in scope, and this plan "
        f"would {would}, undoing that change. Keep the member as it is in Sigma (then take the IdP user out of the "
        "Sigma app's assignment), or, if it was a mistake, reactivate the member in Sigma and fetch again",
        decision(person, "keep"),
        notes=[f"keep the member {state}, as it is in Sigma (nothing is planned for them):"])


INCOMPLETE_EXPORT = "applied.idp_export_incomplete"
"""The rule and item code of a member a run archived on the silence of an IdP export that missed their IdP user
(:func:`incomplete_export_item`)."""


def missed_by_export(person: Person, directory: Directory) -> AppliedSeen | None:
    """How the plan given to ``plan --applied`` that read Sigma last saw ``person``'s member, when its IdP export
    missed their IdP user: no IdP user of it matched the member (its person row has no ``idp_id``), yet the IdP user
    that matches them now was created before that export was read (:attr:`~planner.model.AppliedSeen.idp_read_at`;
    both ISO 8601 UTC, compared to the second). ``None`` otherwise, or when either date is unknown."""
    seen = directory.applied_seen.get(person.member.member_id)
    user = person.idp_user
    if seen is None or seen.idp_id is not None or not seen.idp_read_at or user is None or not user.created:
        return None
    return seen if user.created[:19] < seen.idp_read_at[:19] else None


def incomplete_export_item(person: Person, archive: AppliedArchive, seen: AppliedSeen,
                           directory: Directory) -> ReviewItem:
    """The informational ``applied.idp_export_incomplete`` item: run ``archive`` archived ``person``'s member because
    the IdP export of plan ``seen`` held no IdP user of theirs (:func:`missed_by_export`), though their IdP user,
    active now, was created before it was read: that export was incomplete (a filtered or partial save), so the
    other members that run archived whom that plan matched to no IdP user may be wrong too: named, as candidates
    (memberId, email), in memberId order (tester19 finding 3). The reactivation itself stays planned."""
    member, user = person.member, person.idp_user
    others = sorted((a for mid, a in directory.applied_archives.items()
                     if mid != member.member_id and a.archived and a.kind == archive.kind and a.plan == archive.plan
                     and a.run == archive.run and (s := directory.applied_seen.get(mid)) is not None
                     and s.idp_id is None), key=lambda a: a.member_id)
    named = ", ".join(a.email for a in others) or "none"
    return make_review(
        INCOMPLETE_EXPORT, member.member_id,
        blocking=False,
        subject=person_ref(member_id=member.member_id, email=member.email, idp_id=user.id),
        message=(f"{member.email}: IdP user {user.id} ({user.user_name or ''}) was created {user.created}, before "
                 f"the IdP export of {'undo plan ' if seen.undo else ''}{seen.plan} was read ({seen.idp_read_at}), yet "
                 f"that export held no IdP user of theirs, and {archive.words()} archived them on its silence "
                 f"({archive.kind}): that export was incomplete (a filtered or partial save?). The other members that "
                 f"run archived with no IdP user of that export matching them may be wrong too: {named}; check them "
                 "against the IdP"),
        rule=INCOMPLETE_EXPORT,
        candidates=[person_ref(member_id=a.member_id, email=a.email) for a in others],
        evidence=ItemEvidence(idp_created=user.created),
    )
