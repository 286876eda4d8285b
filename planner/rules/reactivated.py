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
disabled and re-enabled by hand was disabled again in silence).

Apply refuses a run whose earlier writes were reversed by hand (docs/apply.md); this is the re-plan's side of it.
"""

from __future__ import annotations

from typing import Iterable, Mapping

from ..directory import Directory, Person
from ..model import ActionKind, AppliedArchive, ItemEvidence, ReviewItem
from ..policy import Policy
from . import make_review, person_ref, yaml_snippet

REACTIVATED = "unmatched.reactivated"
"""The rule and item code of a member a run of an applied plan archived whom the export lists active again
(:func:`reactivated_item`)."""

ARCHIVING_KINDS = frozenset({ActionKind.MEMBERS_DEACTIVATE, ActionKind.MEMBERS_DISABLE_GUEST})
"""The action kinds that archive a member through the REST API (``isArchived: true`` with ``newOwnerId``,
docs/sigma-api.md §2.5): what :func:`planner.applied.applied_runs` records as archives, with ``members.reactivate``
(which brings one back)."""


def reactivated_members(directory: Directory) -> Mapping[str, AppliedArchive]:
    """memberId -> the archive of each member whose last REST archive or reactivation by a run of a plan given to
    ``plan --applied`` archived them (:attr:`planner.directory.Directory.applied_archives`); an active member among
    them was reactivated outside this tool since."""
    return {mid: a for mid, a in directory.applied_archives.items() if a.archived}


def decided(policy: Policy, directory: Directory) -> Mapping[str, str]:
    """memberId -> the ``unmatched.decisions`` word (``keep`` | ``deactivate``) of each member an entry names."""
    found = {}
    for ref, what in policy.unmatched.decisions.items():
        mid = directory.find_member_id(ref)
        if mid:
            found[mid] = what
    return found


def archived_by(archived: AppliedArchive) -> str:
    """How a reason names the run that archived a member active again: ``"archived by run 1 of plan plan.json,
    2026-12-07T13:20:08.120Z (members.deactivate), active again in Sigma since"``."""
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


def reactivated_item(person: Person, archived: AppliedArchive, why: str) -> ReviewItem:
    """The blocking ``unmatched.reactivated`` item: a run archived ``person`` (``archived``), the export lists them
    active, and the family would archive them again because ``why`` (:func:`planner.rules.unmatched.why_unmatched`,
    or a guest's :func:`planner.rules.guests.why_disabled`); settled by ``unmatched.decisions`` (``keep`` |
    ``deactivate``). Evidence: ``kind``, ``memberType``, ``userKind``."""
    return member_question(
        person, REACTIVATED, REACTIVATED,
        f"{person.member.email}: {why}; {archived_by(archived)}: reactivated on purpose? "
        "Deactivating them again locks them out and moves their documents a second time; decide whether to keep or "
        "deactivate this member",
        decision(person, "keep"), decision(person, "deactivate"))
