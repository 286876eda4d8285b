"""``sigma-migrate undo JOURNAL --out undo-plan.json``: a reverse plan from an apply's journal.

The journal (:mod:`planner.execute.journal`) keeps, for every action an apply **wrote**, the
object as read just before the first write (its before-image). :func:`build_undo_plan` turns
what Sigma lets one reverse into actions of a new, ordinary plan (reviewed with ``show``,
approved, stale-checked against the state the apply left, applied, verified), and lists what
cannot be reversed, with why, as non-blocking ``undo.irreversible`` review items:

=========================================  ==================================================
applied                                    reversed by
=========================================  ==================================================
``scim.set_account_type``, a link that     ``scim.set_account_type`` back to the before-image's
changed the account type                   account type (through SCIM: the user is SCIM-managed)
``members.deactivate``,                    ``members.reactivate`` (``isArchived: false``); the
``members.disable_guest``                  guest comes back as a guest; documents moved to the
                                           new owner stay there (listed)
``members.set_email`` of a member the      ``members.set_email`` back to the before-image email
plan did not link
``scim.set_group_members``                 ``scim.set_group_members`` back to the SCIM-managed
                                           members the team had before, but a member the apply
                                           deactivated through SCIM (:func:`left_inactive`)
=========================================  ==================================================

Not reversible (listed): a SCIM link or creation (``scim.link_user``/``create_user``/
``link_group``/``create_group``: Sigma has no unlink; ``DELETE /Users`` deactivates the member,
``DELETE /Groups`` deletes the team), any REST edit of a member the plan linked (an email or a
guest conversion: Sigma refuses REST edits of SCIM-managed members, 403), a leftover removal
from a SCIM-managed team (REST adds to it are refused; add the person in the IdP group), a
reactivation (plan it again), a change of SCIM ``active``: a ``scim.deactivate_user`` or a link that
reactivated (its own ``undo.irreversible:<id>:active`` item; SCIM owns ``active``, never reversed through
REST, and the IdP would send it again: reassign or unassign the user in the IdP, docs/sigma-api.md §5.3),
documents moved by a deactivation (a SCIM one's went to the provisioning admin). An account type a
link or ``scim.set_account_type`` set is reversed through SCIM, the API that owns it.
Actions that found Sigma already as planned (``outcome: already``) changed nothing: nothing to undo.

The undo plan carries the decision records of any plan for what it reverses, so ``show`` and the
report lay it out like a migration plan (docs/apply.md, "Undo"): a person row per member it touches
(:func:`_undo_people`, decided by :mod:`planner.outcomes`), a team row per team it resets
(:func:`_undo_teams`), the seats (:func:`_undo_seats`, :func:`planner.outcomes.seat_counts`) and
account-type counts (:func:`planner.outcomes.account_type_counts`) in its summary; a reversed
account type change is ranked the other way round (:data:`_REVERSE_CHANGE`). No pre-flight checks:
``summary.undoes`` names the migration plan, whose checks they were (:attr:`planner.model.Plan.undo_preflight`).

When the apply revoked the SCIM token (it deactivated or downgraded the admin who held it,
:mod:`planner.execute.scim_token`), ``undo`` with a target does not refuse on SCIM's 401: the undo plan keeps
what the REST API can reverse, that admin's reactivation first, and lists each reversal that needs SCIM as a
non-blocking ``undo.needs_scim`` item under one ``undo.scim_token`` item naming the cause (:class:`CurrentState`,
:func:`_needs_scim_items`; tester12 finding 6); once SCIM takes the token again, ``undo`` reverses the rest.

Refusals (:class:`UndoError`, one line, nothing written): a journal that does not exist or is
not a journal, a plan whose digest is not the journal's, a journal of an undo plan (:func:`undo_of_undo_message`:
the plan a rollback reversed is never applied again, so neither is part of it through an undo of the undo;
tester12 #4), a journal that records no written action. Applying the undo plan records its run
in the undone plan's journal (the ``apply.journal`` input, :mod:`planner.execute.reversals`), and every later
apply of that plan refuses (tester11 finding 10), its ``--resume`` included. So a run that was interrupted or killed
and is not finished (:func:`planner.execute.resume.unfinished_run`) may be undone too (was refused, "finish it
first", tester7 NEW-5; tester12 #12: once a re-plan was applied over it, its ``--resume`` was stale and its writes
could be undone by no command): the summary says so (:func:`planner.execute.resume.unfinished_undo_note`), and an
action it left in flight is listed (``undo.irreversible:<id>:in_flight``: whether it wrote is not recorded). With a
target, a REST reversal of a member SCIM provisioned since the apply (a later plan linked them) is left out as
``undo.drifted`` (:func:`provisioned_since`): Sigma would refuse it (403).
"""

from __future__ import annotations

import hashlib
from collections import Counter
from dataclasses import dataclass
from dataclasses import replace as replace_dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Mapping, Sequence

import msgspec
from msgspec.structs import replace

from .. import __version__, outcomes
from ..errors import UserError
from ..model import (
    NO_EVIDENCE, Action, ActionKind, Fingerprints, InputFile, ItemRef, MemberState, Outcomes, OwnerStatus, PersonRow,
    Plan, PlanSummary, ReviewItem, TeamRow, TeamState, TypeChange, email_key,
)
from ..payloads import (
    UNSET,
    AccountTypeEvidence,
    AccountTypeTarget,
    ArchivedState,
    EmailState,
    GroupEvidence,
    GroupMembersAfter,
    GroupMembersBefore,
    MemberRef,
    MembersConvertGuest,
    MembersDeactivate,
    MembersDisableGuest,
    MembersReactivate,
    MembersSetEmail,
    MemberTypeState,
    ReactivateEvidence,
    ScimCreateGroup,
    ScimCreateUser,
    ScimDeactivateUser,
    ScimLinkGroup,
    ScimLinkUser,
    ScimSetAccountType,
    ScimSetGroupMembers,
    SetEmailEvidence,
    TeamsRemoveMember,
    UserTypeState,
    target_member_id,
    target_team_id,
)
from ..planfile import fingerprint_of, plan_policy, read_plan
from ..outcomes import account_type_counts, seat_counts
from .actions import with_user_names
from .history import check_journal_runs, plan_journals, recorded_endings
from .journal import JournalRow, RunRow, read_journal_file, read_reversals
from .resume import (INTERRUPTED_ENDS, how_it_ended, selection_text, undone_runs_note, unfinished_run,
                     unfinished_undo_note)
from .reversals import SUPERSEDED_UNDO, check_not_superseded
from .scim_token import Revocation, done_risks, revocation, token_risks
from .stale import Drift, FieldChange

if TYPE_CHECKING:
    from .apply import ApplyOptions
    from .scim_client import SigmaScimClient
    from .rest_client import SigmaRestClient


class UndoError(UserError):
    """``undo`` cannot build a reverse plan (one line; nothing is written)."""


def _plan_of_journal(journal: Path, meta_plan: str | None, plan_path: str | Path | None) -> Path:
    """The plan ``journal`` applied: ``plan_path`` when given, else the journal's name without
    ``.journal.sqlite``. Raises :class:`UndoError` for a journal that does not exist, a plan given in its place
    (a natural slip: its journal is named, tester13 nit 18), and another name without ``--plan``."""
    if not journal.is_file():
        raise UndoError(f"{journal}: no such journal (apply writes PLAN.journal.sqlite beside the plan)")
    if plan_path is not None:
        return Path(plan_path)
    if journal.name.endswith(".journal.sqlite"):
        return journal.with_name(journal.name[: -len(".journal.sqlite")])
    beside = journal.with_name(journal.name + ".journal.sqlite")
    if beside.is_file() or journal.read_bytes()[:1] == b"{":
        raise UndoError(f"{journal}: this is a plan, not a journal: undo reads the journal apply kept beside the "
                        f"plan: sigma-migrate undo {beside} --out ...")
    raise UndoError(f"{journal}: cannot tell which plan this journal applied; pass --plan PLAN")


def undo_of_undo_message(journal: Path, source: Path, undone: str) -> str:
    """The refusal of ``undo`` of a journal of an undo plan (``source``, which reverses plan ``undone``, its
    digest), e.g. ``undo.json.journal.sqlite: undo.json is an undo plan (it reverses sha256:...): an undo of it would
    redo that plan's writes under the approval its rollback ended; fetch Sigma's export and plan again (`sigma-migrate
    plan ... --applied <that plan> --applied undo.json`), then approve; nothing was written``.

    Why (tester12 #4): the plan a rollback reversed is never applied again (:mod:`planner.execute.reversals`: its
    approval was for the state before the rollback); an undo of the undo would redo part of it (its account types,
    its pushes) under no approval of the state now, and could not redo the rest (a deactivation moves documents).
    Only a new plan from a fresh export settles what Sigma holds after the rollback."""
    return (f"{journal}: {source} is an undo plan (it reverses {undone}): an undo of it would redo that plan's writes "
            "under the approval its rollback ended; fetch Sigma's export and plan again (`sigma-migrate plan ... "
            f"--applied <that plan> --applied {source}`), then approve; nothing was written")


def _in_flight(action: Action, run: RunRow, source: Path) -> ReviewItem:
    """The ``undo.irreversible:<id>:in_flight`` item of an action the journal left ``running``: in flight when ``run``
    (interrupted or killed) stopped, so whether it changed Sigma is not recorded, nor what it changed."""
    return replace(_irreversible(action, ""), id=f"undo.irreversible:{action.id}:in_flight",
                   message=f"{action.id} is not reversed: it was in flight when run {run.run_id} "
                           f"({selection_text(source, run)}, {how_it_ended(run)}) stopped, and the journal does not "
                           "record whether it changed Sigma; check its target in Sigma, then fetch Sigma's export and "
                           "plan again")


def _irreversible(action: Action, why: str) -> ReviewItem:
    subject = msgspec.convert({"action": action.id} | {k: v for k, v in msgspec.to_builtins(action.target).items()
                                                       if k in ("memberId", "email", "userName", "teamId", "name")},
                              ItemRef)
    return ReviewItem(
        id=f"undo.irreversible:{action.id}", code="undo.irreversible", blocking=False,
        subject=subject, message=f"{action.id} is not reversed: {why}", candidates=(), evidence=NO_EVIDENCE, rule="undo",
        resolution="",
    )


def account_type_spelling(plan: Plan) -> dict[str, str]:
    """Casefolded account type name -> the organization's spelling, from the plan's summary
    (``seats`` and ``normalized_member_types``): SCIM takes only exact names (docs/sigma-api.md §5.2),
    so an export's legacy ``build`` goes back as ``Build``."""
    summary = plan.summary
    names = {n.casefold(): n for n in (summary.seats or {})}
    for entry in summary.normalized_member_types or ():
        names[entry.member_type.casefold()] = entry.account_type
    return names


def _holder(plan: Plan, email: str, member_id: str) -> str | None:
    """Another member of the plan's fingerprints whose email is ``email`` (case aside), if any."""
    for other, state in plan.fingerprints.members().items():
        if other != member_id and email_key(state.email) == email_key(email):
            return other
    return None


_REVERSE_CHANGE = {TypeChange.UPGRADE.value: TypeChange.DOWNGRADE.value,
                   TypeChange.DOWNGRADE.value: TypeChange.UPGRADE.value,
                   TypeChange.CUSTOM_REPLACEMENT.value: TypeChange.CUSTOM_REPLACEMENT.value,
                   TypeChange.CHANGE.value: TypeChange.CHANGE.value}
"""The ``evidence.change`` of an account type change back: the plan's ranking, the other way."""


def _reverse_change(change: str | None) -> Any:
    """The ``evidence.change`` of the reversal of a change the plan ranked ``change``
    (:data:`_REVERSE_CHANGE`; ``UNSET`` when the plan ranked it neither way)."""
    return _REVERSE_CHANGE.get(change or "", UNSET)


def _row_change(plan: Plan, member_id: str) -> str | None:
    """The ``type_change`` the plan decided for member ``member_id``'s person row (``None``: none)."""
    for p in plan.people:
        if p.member_id == member_id and p.type_change is not None:
            return p.type_change.value
    return None


def _reverse(action: Action, row: JournalRow, linked: set[str], user_names: Mapping[str, str],
             plan: Plan, inactive: Mapping[str, str]) -> tuple[Action | None, list[ReviewItem]]:
    """The reverse of one written action, or ``None`` with the reason(s) it cannot be reversed; the reversal
    of a push leaves out the members the undo leaves deactivated (``inactive``: :func:`left_inactive`)."""
    before: Mapping[str, Any] = row.before_image or {}
    spelled = account_type_spelling(plan)
    rule = "undo"
    if isinstance(action, (ScimLinkUser, ScimCreateUser, ScimLinkGroup, ScimCreateGroup)):
        items = [_irreversible(action, "a SCIM link cannot be undone (Sigma has no unlink; DELETE /Users deactivates "
                                       "the member, DELETE /Groups deletes the team)")]
        if not isinstance(action, ScimLinkUser):
            return None, items
        items += _link_activity_items(action)
        old_type = action.before.member_type
        old_type = spelled.get(old_type.casefold(), old_type) if old_type else None
        new_type = action.after.user_type or None
        if old_type and new_type and old_type != new_type:
            target = action.target
            reverse = ScimSetAccountType(
                id=f"{ActionKind.SCIM_SET_ACCOUNT_TYPE.value}:{target.member_id}",
                target=AccountTypeTarget(member_id=target.member_id, email=target.email, idp_id=target.idp_id,
                                         user_name=target.user_name),
                before=MemberTypeState(member_type=new_type), after=UserTypeState(user_type=old_type), rule=rule,
                reason=f"undo {action.id}: account type back to {old_type}",
                evidence=AccountTypeEvidence(change=_reverse_change(_row_change(plan, target.member_id)),
                                             undoes=action.id), depends_on=())
            return reverse, items
        return None, items
    if isinstance(action, ScimSetAccountType):
        old_type = before.get("userType") or action.before.member_type
        if not old_type:
            return None, [_irreversible(action, "the journal has no before-image of the account type")]
        old_type = spelled.get(str(old_type).casefold(), old_type)
        target = action.target
        user_name = target.user_name or user_names.get(target.member_id) or UNSET
        return ScimSetAccountType(
            id=action.id, target=replace(target, user_name=user_name),
            before=MemberTypeState(member_type=action.after.user_type), after=UserTypeState(user_type=old_type),
            rule=rule, reason=f"undo {action.id}: account type back to {old_type}",
            evidence=AccountTypeEvidence(change=_reverse_change(action.evidence.change or None), undoes=action.id),
            depends_on=()), []
    if isinstance(action, (MembersDeactivate, MembersDisableGuest)):
        target = action.target
        reverse = MembersReactivate(
            id=f"{ActionKind.MEMBERS_REACTIVATE.value}:{target.member_id}",
            target=MemberRef(member_id=target.member_id, email=target.email),
            before=ArchivedState(is_archived=True), after=ArchivedState(is_archived=False), rule=rule,
            reason=f"undo {action.id}: reactivate" + (" (a guest again)" if isinstance(action, MembersDisableGuest) else ""),
            evidence=ReactivateEvidence(undoes=action.id), depends_on=())
        owner = action.after.new_owner_id
        if not owner:
            return reverse, []
        note = replace(_irreversible(action, ""), id=f"undo.irreversible:{action.id}:documents",
                       message=f"{action.id} is reversed by {reverse.id}, but the documents it moved to member "
                               f"{owner} stay there: move them back in Sigma")
        return reverse, [note]
    if isinstance(action, MembersSetEmail):
        member_id = action.target.member_id
        if member_id in linked:
            return None, [_irreversible(action, "the member is now SCIM-managed: Sigma refuses REST edits (403); "
                                                "its email follows the IdP userName")]
        old = before.get("email") or action.before.email
        holder = _holder(plan, str(old), member_id)
        if holder is not None:
            return None, [_irreversible(action, f"member {holder} holds {old!r} now (the change freed the address "
                                                "for them); Sigma refuses two members with one email")]
        return MembersSetEmail(
            id=action.id, target=MemberRef(member_id=member_id, email=action.after.email),
            before=EmailState(email=action.after.email), after=EmailState(email=old), rule=rule,
            reason=f"undo {action.id}: email back to {old!r}", evidence=SetEmailEvidence(undoes=action.id), depends_on=()), []
    if isinstance(action, ScimSetGroupMembers):
        if "members" in before:  # the SCIM Group as read before the first write (display = the email)
            had = [(str(m.get("value")), str(m.get("display") or user_names.get(m.get("value"), m.get("value"))))
                   for m in before["members"] if isinstance(m, Mapping) and m.get("value")]
        else:  # no group members then: the team's pre-SCIM members the plan linked
            had = [(i, user_names[i]) for i in action.before.member_ids or () if i in user_names and i in linked]
        left_out = {name: by for member_id, name in had
                    if (by := inactive.get(member_id) or inactive.get(email_key(name))) is not None}
        names = sorted(name for _, name in had if name not in left_out)
        return ScimSetGroupMembers(
            id=action.id, target=action.target, before=GroupMembersBefore(members=action.after.members),
            after=GroupMembersAfter(members=names), rule=rule,
            reason=f"undo {action.id}: the team's SCIM-managed members back to the {len(had)} it had"
                   + _left_inactive_words(left_out),
            evidence=GroupEvidence(undoes=action.id), depends_on=()), []
    if isinstance(action, MembersConvertGuest):
        return None, [_irreversible(action, "the member is now SCIM-managed: Sigma refuses REST edits (403) and SCIM "
                                            "cannot manage guests")]
    if isinstance(action, TeamsRemoveMember):
        return None, [_irreversible(action, "the team is provisioned by SCIM: Sigma refuses REST adds (403); add the "
                                            "person to the IdP group")]
    if isinstance(action, MembersReactivate):
        return None, [_irreversible(action, "deactivating again moves the member's documents; plan it with the policy")]
    return None, [_irreversible(action, SCIM_DEACTIVATION_NOT_REVERSED)]


SCIM_DEACTIVATION_NOT_REVERSED = (
    "SCIM owns the member's active, and the IdP that no longer assigns them would deactivate them again: "
    "reassign the user to the Sigma app in the IdP, which reactivates them and restores the teams of their IdP "
    "groups (docs/sigma-api.md §5.3); the documents Sigma gave the provisioning admin stay there: move them back "
    "in Sigma")
"""Why ``undo`` does not reverse a ``scim.deactivate_user`` (nor a link that deactivated, :func:`_link_activity_items`)."""

SCIM_REACTIVATION_NOT_REVERSED = (
    "SCIM owns the member's active, and the IdP that assigns them would reactivate them: unassign the user from the "
    "Sigma app in the IdP, which deactivates them through SCIM, their documents going to the provisioning admin "
    "(docs/sigma-api.md §5.3)")
"""Why ``undo`` does not reverse the reactivation a ``scim.link_user`` sent (``active: true`` over SCIM's ``false``)."""


def left_inactive(written: Sequence[Action]) -> dict[str, str]:
    """The members the apply deactivated through SCIM, which no undo reactivates (SCIM owns ``active``:
    :data:`SCIM_DEACTIVATION_NOT_REVERSED`): each by memberId, SCIM id and
    :func:`~planner.model.email_key` of its userName and email -> the id of the written action that
    deactivated them (a ``scim.deactivate_user``, or a ``scim.link_user`` that sent ``active: false`` over
    SCIM's ``true``). The reversal of a push leaves them out: a team membership of a deactivated member,
    which the IdP's next push of the group removes again (tester11 finding 3)."""
    found: dict[str, str] = {}
    for a in written:
        if isinstance(a, ScimDeactivateUser) or (
                isinstance(a, ScimLinkUser) and a.after.active is False and a.before.active is True):
            t = a.target
            scim_id = getattr(t, "scim_id", UNSET)
            for key in (t.member_id, scim_id if scim_id is not UNSET else "", email_key(t.user_name),
                        email_key(t.email)):
                if key:
                    found.setdefault(key, a.id)
    return found


def _left_inactive_words(left_out: Mapping[str, str]) -> str:
    """``", except 1 the apply deactivated through SCIM, which the undo does not reverse: bob@example.com
    (scim.deactivate_user:mB); the IdP's next push of the group would remove them again"`` for the members
    (userName -> deactivating action id) a push's reversal leaves out, ``""`` for none."""
    if not left_out:
        return ""
    who = ", ".join(f"{name} ({by})" for name, by in sorted(left_out.items()))
    return (f", except {len(left_out)} the apply deactivated through SCIM, which the undo does not reverse: {who}; "
            "the IdP's next push of the group would remove them again")


def _link_activity_items(action: ScimLinkUser) -> list[ReviewItem]:
    """The ``undo.irreversible:<id>:active`` item of a link that changed the member's SCIM ``active``
    (``before.active`` is Sigma's SCIM state when it differs from what the link sends): never dropped
    under the link's own item, as its reversal is a SCIM write the IdP owns (:data:`SCIM_REACTIVATION_NOT_REVERSED`,
    :data:`SCIM_DEACTIVATION_NOT_REVERSED`); ``[]`` when the link left ``active`` as it was."""
    was = action.before.active
    if was is UNSET or was == action.after.active:
        return []
    change = "reactivated" if action.after.active else "deactivated"
    why = SCIM_REACTIVATION_NOT_REVERSED if action.after.active else SCIM_DEACTIVATION_NOT_REVERSED
    return [replace(_irreversible(action, ""), id=f"undo.irreversible:{action.id}:active",
                    message=f"{action.id} {change} the member (SCIM active {str(was).lower()} -> "
                            f"{str(action.after.active).lower()}), which is not reversed: {why}")]


def _sigma_status(state: MemberState) -> str:
    """A member state's ``sigma_status`` as a person row spells it (``archived``, ``inactive``, ``active``)."""
    return "archived" if state.is_archived else "inactive" if state.is_inactive else "active"


def _undo_people(plan: Plan, ordered: list[Action], items: list[ReviewItem], states: Mapping[str, MemberState],
                 admin_types: frozenset[str]) -> tuple[PersonRow, ...]:
    """One :class:`~planner.model.PersonRow` per member an undo action touches, as the undo changes
    them: before = the state the apply left (``states``), after = the reversals' effect; the IdP side
    (``idp_id``, ``user_name``, ``idp_status``, ``link_key``) and the name from the plan's row. Its
    ``lockout``, ``type_change`` and ``admin_change`` are decided by :mod:`planner.outcomes`, as a
    migration plan's rows are (:func:`planner.planning.person_rows`); sorted by email, then memberId."""
    spelled = account_type_spelling(plan)
    row_of = {p.member_id: p for p in plan.people if p.member_id}
    mine: dict[str, list[Action]] = {}
    for a in ordered:
        member_id = target_member_id(a)
        if member_id and member_id in states:
            mine.setdefault(member_id, []).append(a)
    reviews: dict[str, list[str]] = {}
    for r in items:
        if r.subject.member_id:
            reviews.setdefault(r.subject.member_id, []).append(r.id)
    rows = []
    for member_id, acts in mine.items():
        state, row = states[member_id], row_of.get(member_id)
        status = _sigma_status(state)
        before = spelled.get(state.member_type.casefold(), state.member_type) or None
        after, change, reactivated = before, None, False
        for a in acts:
            if isinstance(a, ScimSetAccountType):
                after, change = a.after.user_type, a.evidence.change or None
            elif isinstance(a, MembersReactivate):
                reactivated = True
        if status != "active" and not reactivated:
            after = None
        kinds = {a.kind for a in acts}
        found = tuple(sorted(reviews.get(member_id, ())))
        idp_id = row.idp_id if row is not None else None
        locked = outcomes.lockout(kinds, member_id=member_id, idp_id=idp_id, user_kind=state.user_kind,
                                  sigma_status=status, in_review=bool(found))
        rows.append(PersonRow(
            member_id, state.email, row.name if row is not None else "", state.member_type, state.user_kind, status,
            idp_id, row.user_name if row is not None else None, row.idp_status if row is not None else None,
            row.link_key if row is not None else None, before, after, tuple(sorted(a.id for a in acts)), found,
            locked, outcomes.type_change(before, after, change, locked),
            outcomes.admin_change(before, after, status, locked, admin_types), None, None))
    return tuple(sorted(rows, key=lambda p: ((p.email or "").casefold(), p.member_id or "")))


def _undo_teams(plan: Plan, ordered: list[Action]) -> tuple[TeamRow, ...]:
    """One :class:`~planner.model.TeamRow` per team whose SCIM-managed members an undo action resets
    (``scim.set_group_members``): members before (the Group now) and after (what it had), added and
    removed, the mode of the plan's row for the team (``create`` for a team the apply created, whose teamId the
    journal gave: :func:`with_created_team_ids`; ``link`` without one)."""
    mode_of = {(t.team_id, t.name): t.mode for t in plan.teams}
    created = {t.name for t in plan.teams if t.team_id is None and t.mode == "create"}
    rows = []
    for a in ordered:
        if not isinstance(a, ScimSetGroupMembers):
            continue
        t = a.target
        now, back = set(a.before.members or ()), set(a.after.members)
        rows.append(TeamRow(
            team_id=t.team_id, name=t.name, group_id=t.group_id, group_name=t.group_display_name,
            mode=mode_of.get((t.team_id, t.name)) or ("create" if t.name in created else "link"), members_before=len(now), members_after=len(back),
            members_added=len(back - now), members_removed=len(now - back), actions=(a.id,), is_archived=False))
    return tuple(sorted(rows, key=lambda r: (r.name.casefold(), r.team_id or "")))


_DEFAULT_TYPE = "(Sigma default)"
"""The seat name of a person with no account type (as :func:`planner.planning.build_summary` counts them)."""


def _undo_seats(plan: Plan, people: tuple[PersonRow, ...], states: Mapping[str, MemberState],
                done: list[Action]) -> Any:
    """The undo plan's seats per account type (:func:`planner.outcomes.seat_counts`): before = the
    plan's seats before with what the apply did (the members its done actions changed, as ``states``
    holds them; the people it created); after = before with the undo's person rows' changes.
    ``UNSET`` when the plan has no seats."""
    if not plan.summary.seats:
        return UNSET
    spelled = account_type_spelling(plan)
    done_ids = {a.id for a in done}
    changed = {target_member_id(a) for a in done} & states.keys()
    left = Counter({name: seat.before for name, seat in plan.summary.seats.items()})
    for p in plan.people:
        if p.member_id in changed:
            if p.sigma_status == "active":
                left[p.account_type_before or _DEFAULT_TYPE] -= 1
            state = states[p.member_id]
            if _sigma_status(state) == "active":
                left[spelled.get(state.member_type.casefold(), state.member_type) or _DEFAULT_TYPE] += 1
        elif p.member_id is None and p.account_type_after is not None and done_ids.intersection(p.actions):
            left[p.account_type_after or _DEFAULT_TYPE] += 1
    after = Counter(left)
    for p in people:
        if p.sigma_status == "active":
            after[p.account_type_before or _DEFAULT_TYPE] -= 1
        if p.account_type_after is not None:
            after[p.account_type_after or _DEFAULT_TYPE] += 1
    return seat_counts(+left, +after)


def _state_after(plan: Plan, done: list[Action]) -> dict[str, MemberState]:
    """Member states (by memberId) the apply left: the plan's planned-against state with the done
    actions' effects, so ``apply`` of the undo plan refuses if Sigma moved since."""
    states = plan.fingerprints.members()
    for a in done:
        member_id = target_member_id(a)
        state = states.get(member_id or "")
        if state is None:
            continue
        if isinstance(a, (ScimLinkUser, ScimSetAccountType)) and a.after.user_type:
            state = replace(state, member_type=a.after.user_type)
        if isinstance(a, ScimLinkUser):  # a link sends active: a member SCIM had inactive is active again
            state = replace(state, is_inactive=not a.after.active)
        elif isinstance(a, (MembersDeactivate, MembersDisableGuest)):
            state = replace(state, is_archived=True)
        elif isinstance(a, MembersReactivate):
            if a.after.is_archived is not UNSET:
                state = replace(state, is_archived=False)
            if a.after.is_inactive is not UNSET:
                state = replace(state, is_inactive=False)
        elif isinstance(a, MembersConvertGuest):
            state = replace(state, user_kind=a.after.user_kind)
        elif isinstance(a, MembersSetEmail):
            state = replace(state, email=a.after.email)
        elif isinstance(a, ScimDeactivateUser):
            state = replace(state, is_inactive=True)
        states[member_id] = state
    return states


def _teams_after(plan: Plan, done: list[Action], states: Mapping[str, MemberState]) -> dict[str, TeamState]:
    """Team states (by teamId) the apply left, of the teams a done ``scim.set_group_members`` pushed:
    the plan's planned-against team (``team:<teamId>`` fingerprint) with the done actions' effects,
    so the undo plan's reversal of the push is checked against it (``undo`` with a target, and
    ``apply``'s stale check of the undo plan). The push makes the team's SCIM-managed members exactly
    its ``after.members`` (userNames) and leaves the others (docs/sigma-api.md §5.4, the sandbox's
    ``_set_scim_members``): a member of the team SCIM manages after the apply (linked by a done
    ``scim.link_user``, or already linked: the person row's ``link_key`` ``scim``) whose userName the
    push leaves out is gone, as is the member of a done ``teams.remove_member``; a pushed userName is the
    member a link or a person row gives it to, else the member whose email it is after the apply
    (``states``, :func:`_state_after`: a ``members.set_email`` that freed the address counted). A member
    the apply created has no memberId in the plan: the stale check accepts them by their userName in the
    reversal's ``before.members`` (:func:`planner.execute.stale.compare`). Source: tester10 finding 3
    (a SCIM change of the group after the apply was reversed unseen: the undo fingerprinted members only)."""
    planned = {k.removeprefix("team:"): v.state for k, v in plan.fingerprints.items() if isinstance(v.state, TeamState)}
    member_of = {email_key(state.email): m for m, state in states.items()}  # userName -> memberId, links last
    user_of: dict[str, str] = {}  # memberId -> userName, of the members the IdP provisions
    managed = {p.member_id for p in plan.people if p.member_id and p.link_key == "scim"}
    links = [(a.target.member_id, a.target.user_name) for a in done if isinstance(a, ScimLinkUser)]
    managed.update(m for m, _ in links)
    for member_id, user_name in [(p.member_id, p.user_name) for p in plan.people] + links:
        if member_id and user_name:
            user_of[member_id] = email_key(user_name)
            member_of[email_key(user_name)] = member_id
    removed: dict[str, set[str]] = {}
    for a in done:
        if isinstance(a, TeamsRemoveMember):
            removed.setdefault(a.target.team_id, set()).add(a.target.member_id)
    teams: dict[str, TeamState] = {}
    for a in done:
        team_id = target_team_id(a)
        if not isinstance(a, ScimSetGroupMembers) or not team_id:
            continue
        pushed = {email_key(u) for u in a.after.members}
        was = planned.get(team_id) or TeamState(team_id, a.target.name, False, ())
        ids = {m for m in was.member_ids if m not in removed.get(team_id, ())
               and not (m in managed and user_of.get(m) not in pushed)}
        ids |= {member_of[u] for u in pushed if u in member_of}
        teams[team_id] = replace(was, member_ids=tuple(sorted(ids)))
    return teams


def with_created_team_ids(actions: Sequence[Action], rows: Mapping[str, JournalRow]) -> list[Action]:
    """``actions`` with the teamId of each team the apply created filled in from the journal: a
    ``scim.create_group`` or ``scim.set_group_members`` of a team to create has no ``target.teamId`` in the
    plan (Sigma assigns it), but its journal row records the SCIM Group's id (``ids.scimGroupId``, which is
    the teamId: docs/sigma-api.md §6.1), else the row of the ``scim.create_group`` of the same IdP group does.
    So the reversal of a push to a created team targets it by id and is fingerprinted with the team as the
    apply left it (:func:`_teams_after`), as a linked team's is: a SCIM change of it since is ``undo.drifted``,
    never put back (tester10 finding 3, for a team the apply created). A team no row names stays as planned."""
    def created_id(action: Action) -> str:
        row = rows.get(action.id)
        found = (row.ids or {}).get("scimGroupId") if row is not None else None
        return found if isinstance(found, str) else ""

    by_group = {a.target.group_id: created_id(a) for a in actions
                if isinstance(a, ScimCreateGroup) and a.target.team_id is None and created_id(a)}
    out = []
    for a in actions:
        if isinstance(a, (ScimCreateGroup, ScimSetGroupMembers)) and a.target.team_id is None:
            team_id = created_id(a) or by_group.get(a.target.group_id, "")
            if team_id:
                a = replace(a, target=replace(a.target, team_id=team_id, scim_id=team_id))
        out.append(a)
    return out


def _named(change: FieldChange, email_of: Mapping[str, str]) -> FieldChange:
    """``change`` with the memberIds of a team's ``memberIds`` that joined or left named by email
    (``robert.chen@acme.example (zSut...)``) where the plan knows it."""
    def name(m: str) -> str:
        return f"{email_of[m]} ({m})" if m in email_of else m
    return replace_dataclass(change, joined=tuple(map(name, change.joined)), left=tuple(map(name, change.left)))


def _drifted_item(drift: Drift, left_out: list[Action], email_of: Mapping[str, str]) -> ReviewItem:
    """The ``undo.drifted`` item naming an object Sigma changed since the apply and the reversals left
    out; a team's members who joined or left since are named by email (``email_of``: memberId -> email)."""
    kind, _, object_id = drift.key.partition(":")
    subject = ItemRef(member_id=object_id, email=drift.label) if kind == "member" else ItemRef(team_id=object_id,
                                                                                               name=drift.label)
    drift = replace_dataclass(drift, changes=tuple(_named(c, email_of) for c in drift.changes))
    ids = ", ".join(a.id for a in left_out)
    return ReviewItem(
        id=f"undo.drifted:{drift.key}", code="undo.drifted", blocking=False, subject=subject,
        message=f"{drift}: changed in Sigma since the apply, so {ids} is not reversed (the undo would act on a "
                "state nobody reviewed); plan it again from the current state",
        candidates=(), evidence=NO_EVIDENCE, rule="undo", resolution="")


def _object_keys(action: Action) -> set[str]:
    return {f"member:{target_member_id(action)}", f"team:{target_team_id(action)}"}


@dataclass(frozen=True)
class CurrentState:
    """What ``undo`` read of Sigma now (:func:`live_changes`): ``drifts``, the fingerprinted objects of the undo
    plan no longer as the apply left them (:func:`planner.execute.stale.check_stale`); ``scim_refused``, when
    SCIM refuses the token after the apply's own writes revoked it, the line naming them
    (:func:`planner.execute.scim_token.revocation`), else ``""``."""

    drifts: Sequence[Drift] = ()
    scim_refused: str = ""


ChangedSince = Callable[[Plan, Revocation], CurrentState]
"""Reads Sigma now for an undo plan (:class:`CurrentState`), given what names a SCIM token the apply revoked
(:func:`planner.execute.scim_token.revocation` of the undone plan and its journal)."""

NEEDS_SCIM = "undo.needs_scim"
"""The code of a reversal left out because SCIM refuses the token (:func:`_needs_scim_items`)."""


def _needs_scim_items(left_out: Sequence[Action], refused: str, first: Sequence[str]) -> list[ReviewItem]:
    """The ``undo.scim_token`` item saying why SCIM reversals are left out (``refused``: the
    :func:`~planner.execute.scim_token.revoked_token_line`) and what the plan does first (``first``: the
    reversals of the members whose change revoked the token that REST can make), then one
    :data:`NEEDS_SCIM` item per reversal ``left_out``: what this undo plan cannot do without SCIM."""
    restore = (f"this undo plan reverses only what the REST API can, {', '.join(first)} first"
               if first else "this undo plan reverses only what the REST API can")
    head = ReviewItem(
        id="undo.scim_token", code="undo.scim_token", blocking=False, subject=ItemRef(),
        message=f"{refused[0].upper()}{refused[1:]}; {restore}; {len(left_out)} reversal(s) need SCIM and are "
                f"left out ({NEEDS_SCIM}): once SCIM takes the token again, run undo again for them",
        candidates=(), evidence=NO_EVIDENCE, rule="undo", resolution="")
    return [head] + [replace(_irreversible(a, ""), id=f"{NEEDS_SCIM}:{a.id}", code=NEEDS_SCIM,
                             message=f"{a.id} is not reversed now: SCIM refuses the token (undo.scim_token); run "
                                     "undo again once it takes it") for a in left_out]


def build_undo_plan(journal: str | Path, plan_path: str | Path | None = None, *, created_at: str = "",
                    changed_since: ChangedSince | None = None) -> Plan:
    """The reverse plan of what the journal at ``journal`` records as written (module docstring).

    ``changed_since`` (``undo`` with a target, :func:`live_changes`): the undo plan is made from the
    current state: a reversal whose object Sigma changed since the apply (the IdP deactivated the
    member, someone renamed the team) is left out, with an ``undo.drifted`` review item naming the
    object, what changed and the reversals left out, so the undo plan's stale check passes and every
    other reversal can be applied. ``None``: offline, fingerprints of the state the apply left.

    Raises :class:`UndoError` (one line) for a missing or foreign journal, an unreadable plan
    (:class:`planner.planfile.PlanFileError`), a journal of an undo plan (module docstring), or nothing applied;
    ``changed_since``'s errors. A run interrupted or killed and not finished is undone as far as it wrote (module
    docstring)."""
    journal = Path(journal)
    source = _plan_of_journal(journal, None, plan_path)
    digest, runs, rows = read_journal_file(journal)
    if digest is None:
        raise UndoError(f"{journal}: not a journal of sigma-migrate apply (no plan digest)")
    plan = read_plan(source)
    if plan.digest != digest:
        raise UndoError(f"{journal}: journal belongs to plan {digest}, not {plan.digest} ({source}); "
                        "undo needs the plan that journal applied")
    check_journal_runs(plan_journals(None, digest), journal, "no undo plan written")  # restored from an older copy
    if plan.summary.undoes:
        raise UndoError(undo_of_undo_message(journal, source, plan.summary.undoes))
    check_not_superseded(source, recorded_endings(plan.digest, read_reversals(journal)), UndoError, SUPERSEDED_UNDO,
                         plan.digest)  # the re-plan's basis now
    run = unfinished_run(runs, rows)
    stopped = run if run is not None and how_it_ended(run) in INTERRUPTED_ENDS else None
    actions = with_created_team_ids(with_user_names(plan.actions), rows)
    written = [a for a in actions if rows.get(a.id) is not None and rows[a.id].state == "done"
               and rows[a.id].outcome == "written"]
    in_flight = [a for a in actions if stopped is not None and a.id in rows and rows[a.id].state == "running"]
    if not written:
        flying = (f"; {len(in_flight)} action(s) were in flight when run {stopped.run_id} stopped and the journal does "
                  f"not record whether they changed Sigma: {', '.join(a.id for a in in_flight)}; check them in Sigma"
                  if stopped is not None and in_flight else "")
        raise UndoError(f"{journal}: nothing to undo: the journal records no action that changed Sigma "
                        f"({len(runs)} run(s)){flying}")
    linked = {a.target.member_id for a in written if isinstance(a, ScimLinkUser)}
    user_names = {a.target.member_id: a.target.user_name for a in actions if isinstance(a, ScimLinkUser)}
    inactive = left_inactive(written)
    reverse: dict[str, Action] = {}
    items: list[ReviewItem] = [_in_flight(a, stopped, source) for a in in_flight if stopped is not None]
    for a in reversed(written):  # last written first: the reverse plan unwinds the apply
        undone, notes = _reverse(a, rows[a.id], linked, user_names, plan, inactive)
        items.extend(notes)
        if undone is not None and undone.id not in reverse:
            reverse[undone.id] = undone
    ordered = list(reverse.values())
    # reactivations first (a member must be active before its account type or email changes back)
    ordered.sort(key=lambda a: 0 if a.kind is ActionKind.MEMBERS_REACTIVATE else 1)
    done = [a for a in actions if rows.get(a.id) is not None and rows[a.id].state == "done"]
    states = _state_after(plan, done)
    teams = _teams_after(plan, done, states)

    def fingerprints_of(reversals: list[Action]) -> Fingerprints:
        out = Fingerprints()
        for member_id in sorted({target_member_id(a) or "" for a in reversals} & states.keys()):
            out[f"member:{member_id}"] = fingerprint_of(states[member_id])
        for team_id in sorted({target_team_id(a) or "" for a in reversals} & teams.keys()):
            out[f"team:{team_id}"] = fingerprint_of(teams[team_id])
        return out

    note = "".join(f"; {part}" for part in (
        undone_runs_note(source, runs, rows, {a.id for a in written}),
        "" if stopped is None else unfinished_undo_note(source, stopped, rows)) if part)
    admin_types = frozenset(t.casefold() for t in plan_policy(plan, source).guards.admin_account_types)
    decided = _Decided(states, done, admin_types)
    drifted: list[ReviewItem] = []
    if changed_since is not None and ordered:
        current = changed_since(_undo_plan(plan, journal, source, len(rows), ordered, items,
                                           fingerprints_of(ordered), len(written), created_at, decided, note),
                                revocation(plan, rows, str(journal)))
        drifts = current.drifts
        if current.scim_refused:  # the apply revoked the SCIM token: what REST can, its admin first
            suspects = {r.member_id for r in done_risks(token_risks(plan), rows)}
            ordered.sort(key=lambda a: 0 if target_member_id(a) in suspects else 1)
            needs_scim = [a for a in ordered if a.kind.value.startswith("scim.")]
            ordered = [a for a in ordered if a not in needs_scim]
            first = [a.id for a in ordered if target_member_id(a) in suspects]
            drifted += _needs_scim_items(needs_scim, current.scim_refused, first)
        email_of = {p.member_id: p.email for p in plan.people if p.member_id and p.email}
        email_of.update((m, state.email) for m, state in states.items())
        for drift in drifts:
            left_out = [a for a in ordered if drift.key in _object_keys(a)]
            if left_out:
                drifted.append(_drifted_item(drift, left_out, email_of))
                ordered = [a for a in ordered if a not in left_out]
    return _undo_plan(plan, journal, source, len(rows), ordered, items + drifted, fingerprints_of(ordered),
                      len(written), created_at, decided, note)


class _Decided(msgspec.Struct, frozen=True):
    """What the undo plan's rows are decided from: the member ``states`` the apply left (by memberId),
    the plan's ``done`` actions, the policy's ``admin_types`` (``guards.admin_account_types`` case-folded)."""

    states: dict[str, MemberState]
    done: list[Action]
    admin_types: frozenset[str]


def _undo_plan(plan: Plan, journal: Path, source: Path, journal_rows: int, ordered: list[Action],
               items: list[ReviewItem], fingerprints: Fingerprints, written: int, created_at: str,
               decided: _Decided, note: str = "") -> Plan:
    """The undo plan: its actions, review items, and the decision records a migration plan carries
    for what it reverses (person rows, team rows, seats and account-type counts in the summary),
    so ``show`` and the report lay them out as for any plan, and the migration plan's protected people
    (:func:`_undo_owners`); no pre-flight checks (``summary.undoes`` names the migration plan whose checks
    they were)."""
    counts = Counter(a.kind.value for a in ordered)
    people = _undo_people(plan, ordered, items, decided.states, decided.admin_types)
    changes = Counter(a.evidence.change for a in ordered if isinstance(a, ScimSetAccountType) and a.evidence.change)
    left_out = sum(1 for r in items if r.code == "undo.drifted")
    needs_scim = sum(1 for r in items if r.code == NEEDS_SCIM)
    token = sum(1 for r in items if r.code == "undo.scim_token")
    text = (f"Undo plan: {len(ordered)} action(s) reversing {written} written action(s) of {plan.digest}; "
            f"{len(items) - left_out - needs_scim - token} not reversible"
            + (f", {left_out} object(s) changed in Sigma since the apply" if left_out else "")
            + (f", {needs_scim} left out while SCIM refuses the token" if needs_scim else "")
            + " (listed as review items)" + note)
    journal_bytes = journal.read_bytes()
    return Plan(
        organization=plan.organization,
        inputs=(InputFile(str(journal), hashlib.sha256(journal_bytes).hexdigest(), "apply.journal", journal_rows),
                InputFile(str(source), plan.digest.removeprefix("sha256:"), "plan", len(plan.actions))),
        policy=plan.policy,
        fingerprints=fingerprints,
        actions=tuple(ordered),
        review_items=tuple(sorted(items, key=lambda r: r.id)),
        summary=PlanSummary(actions=dict(sorted(counts.items())), total_actions=len(ordered), changes=bool(ordered),
                            guards=[], undoes=plan.digest, text=text, outcomes=outcomes.outcome_counts(people),
                            account_types=account_type_counts(counts.get(ActionKind.SCIM_SET_ACCOUNT_TYPE.value, 0),
                                                              changes, ordered),
                            seats=_undo_seats(plan, people, decided.states, decided.done)),
        people=people,
        teams=_undo_teams(plan, ordered),
        app_groups=(),
        preflight=(),
        outcomes=Outcomes(_undo_owners(plan, people, ordered, decided.admin_types), ()),
        tool_version=__version__,
        created_at=created_at,
        digest="",
    )


def _undo_owners(plan: Plan, people: Sequence[PersonRow], ordered: Sequence[Action], admin_types: frozenset[str]
                 ) -> tuple[OwnerStatus, ...]:
    """The undone ``plan``'s protected people (its ``outcomes.owners``: ``organization.scim_setup_admin``,
    ``organization.api_credential_owner``) as the undo leaves them, so apply checks the undo's REST
    credentials against the owner the migration ran with (was: none recorded, apply said 'the plan names no
    organization.api_credential_owner', tester10 finding 15): the account types and ``lockout`` of the
    undo's person row when an undo action touches them, else the type the apply left them (the undone
    row's after); ``ok`` / ``detail``: whether the undo deactivates them or takes their admin account type
    (:func:`planner.rules.guards.owner_losses`, what apply refuses of the credentials' owner). An owner the
    policy named nobody for is carried as the undone plan recorded it."""
    from ..rules.guards import owner_losses

    row_of = {p.member_id: p for p in people if p.member_id}
    owners = []
    for owner in plan.outcomes.owners:
        if owner.member_id is None:
            owners.append(owner)
            continue
        row = row_of.get(owner.member_id)
        losses = owner_losses(owner.member_id, ordered, admin_types)
        owners.append(replace(
            owner,
            account_type_before=row.account_type_before if row is not None else owner.account_type_after,
            account_type_after=row.account_type_after if row is not None else owner.account_type_after,
            lockout=row.lockout if row is not None else None,
            ok=not losses,
            detail=(f"the undo {'; '.join(losses)}" if losses else
                    f"{owner.email or owner.reference} stays as the apply left them: the undo neither deactivates "
                    "them nor takes their admin account type")))
    return tuple(owners)


def undo_target(journal: str | Path, plan_path: str | Path | None, rest_base_url: str | None,
                scim_base_url: str | None) -> "ApplyOptions | None":
    """Where ``undo`` reads Sigma now: the flags, else the applied plan's policy ``targets``, else the
    target its approval recorded (:func:`planner.execute.verify_plan.with_approved_target`), as
    ``verify`` finds it; ``None`` when no REST base URL is known (``undo`` stays offline) or the
    journal or plan cannot be read (:func:`build_undo_plan` then refuses, one line)."""
    from ..planfile import plan_policy
    from .apply import ApplyOptions
    from .targets import resolve_targets
    from .verify_plan import with_approved_target

    journal = Path(journal)
    source = _plan_of_journal(journal, None, plan_path)
    if not journal.is_file() or not source.is_file():
        return None
    try:
        plan = read_plan(source, with_policy=True)
    except UserError:
        return None
    options = with_approved_target(source, plan, ApplyOptions(rest_base_url=rest_base_url,
                                                              scim_base_url=scim_base_url))
    targets = resolve_targets(plan_policy(plan, source).targets, options.rest_base_url, options.scim_base_url)
    return options if targets.rest_base_url else None


_REST_MEMBER_REVERSALS = (MembersSetEmail, MembersReactivate)
"""Reversals sent through Sigma's REST API to a member, which Sigma refuses once SCIM provisioned the member (403,
docs/sigma-api.md §2.6)."""


def provisioned_since(undo: Plan, scim: "SigmaScimClient", drifted: set[str], rest: "SigmaRestClient | None" = None
                      ) -> list[Drift]:
    """The members a REST reversal of ``undo`` targets whom SCIM provisioned since the apply (Sigma's SCIM lists a user
    with an ``externalId`` whose ``userName`` is the member's email: a later plan linked them, or the IdP pushed them),
    each a :class:`Drift` ``externalId None -> '<id>'`` (keys in ``drifted`` left out, and added to it): Sigma would
    refuse the reversal (403), so :func:`build_undo_plan` leaves it out with an ``undo.drifted`` item (tester12 #12:
    after a re-plan linked the member the interrupted wave had re-addressed, the undo's ``members.set_email`` failed on
    apply). One batched SCIM read for every member (:func:`planner.execute.external_ids.provisioned_users`, apply's
    too: :func:`planner.execute.stale.provisioned_since_plan`; was one ``GET /Users/{memberId}`` then a ``userName``
    filter per member); a user that is another member's is none (:func:`planner.execute.stale.manages`, ``rest``).
    Raises :class:`planner.execute.errors.ApiError` when SCIM or Sigma cannot be read."""
    from .external_ids import provisioned_users
    from .stale import manages

    reversals = [a for a in undo.actions
                 if isinstance(a, _REST_MEMBER_REVERSALS) and f"member:{a.target.member_id}" not in drifted]
    if not reversals:
        return []
    users = provisioned_users(scim, (a.target.email for a in reversals))
    out: list[Drift] = []
    for a in reversals:
        key = f"member:{a.target.member_id}"
        user = next((u for u in users.get(email_key(a.target.email), ()) if manages(u, a.target.member_id, rest)),
                    None)
        if user is not None and key not in drifted:
            out.append(Drift(key, a.target.email, (FieldChange("externalId", None, user.external_id),)))
            drifted.add(key)
    return out


def live_changes(options: "ApplyOptions") -> ChangedSince:
    """A :data:`ChangedSince` that reads Sigma at ``options``' targets with the environment's
    credentials, as apply's stale check will (:func:`planner.execute.stale.check_stale`, reads only).

    SCIM refusing the token after the apply's own writes revoked it (an admin deactivated or of another
    account type, :func:`planner.execute.scim_token.revocation`) is no refusal: the state says so
    (:attr:`CurrentState.scim_refused`) and :func:`build_undo_plan` keeps what REST can reverse.
    The reader raises :class:`UndoError` (one line) when Sigma cannot be read, and
    :class:`planner.execute.targets.TargetError` for a missing URL or credential (a SCIM token refused
    otherwise: check ``SIGMA_SCIM_TOKEN``).
    """
    from .actions import Clients
    from .apply import build_clients, preflight
    from .errors import ApiError, AuthError
    from .runner import _RetryCounter
    from .stale import check_stale
    from .targets import Redactor

    def changed(undo: Plan, revoked: Revocation) -> CurrentState:
        redactor = Redactor()
        clients = build_clients(undo, options, redactor, _RetryCounter(), read_scim=True)
        try:
            preflight(Clients(rest=clients.rest, scim=None), redactor)
            scim_refused = ""
            if clients.scim is not None:
                try:
                    clients.scim.check_access()
                except AuthError as exc:  # revoked by the apply's own writes: undo what REST can; else as apply
                    scim_refused = revoked(redactor(str(exc)), clients.rest) or ""
                    if not scim_refused:
                        preflight(clients, redactor)
                except ApiError:
                    preflight(clients, redactor)  # apply's one-line refusal of an API it cannot read
            drifts = list(check_stale(undo, clients.rest, parallelism=options.parallelism))
            if clients.scim is not None and not scim_refused:
                drifts += provisioned_since(undo, clients.scim, {d.key for d in drifts}, clients.rest)
            return CurrentState(drifts, scim_refused)
        except ApiError as exc:
            raise UndoError(f"cannot read Sigma to make the undo plan from its current state: "
                            f"{redactor(str(exc))}") from None
        finally:
            for c in (clients.rest, clients.scim):
                if c is not None:
                    c.close()

    return changed


__all__ = ["ChangedSince", "CurrentState", "NEEDS_SCIM", "UndoError", "build_undo_plan", "left_inactive",
           "live_changes", "undo_target", "with_created_team_ids"]
