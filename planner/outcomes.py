"""What a plan's decisions mean for people: lock-out, account-type change, admin change, the
protected owners and document transfers (issue 10 item 3).

Each fact is decided here once, by a small pure function of the decided actions and one
person's row, while planning (:func:`planner.planning.person_rows` and
:func:`planner.planning.build_plan`); the plan carries it (:class:`~planner.model.PersonRow`
``lockout`` / ``type_change`` / ``admin_change``, :class:`~planner.model.Outcomes`), and the
report and ``show`` only lay it out, so they can never contradict the plan. The summary's seat and account-type
counts (:func:`seat_counts`, :func:`account_type_counts`) are built here for a migration plan and an undo plan alike.
"""

from __future__ import annotations

from collections import Counter
from typing import Collection, Iterable, Mapping

from .model import (
    AccountTypeCounts, Action, ActionKind, AdminChange, AdminLossCounts, CustomReplacement, DocumentDestination,
    DocumentTransfer, Lockout, LockoutCounts, OutcomeCounts, OwnerStatus, PersonRow, ScimManaged, SeatCount, TypeChange,
)
from .payloads import ScimSetAccountType, new_owner_id

DEACTIVATING_KINDS = frozenset({ActionKind.MEMBERS_DEACTIVATE, ActionKind.SCIM_DEACTIVATE_USER})
"""Kinds that deactivate a member (REST archive, SCIM ``active: false``)."""

_SIGNING_IN_KINDS = frozenset({ActionKind.SCIM_LINK_USER, ActionKind.SCIM_CREATE_USER})
"""Kinds after which a person signs in through the IdP (a link, a create)."""

LEAVING_KINDS = (ActionKind.MEMBERS_DEACTIVATE, ActionKind.MEMBERS_DISABLE_GUEST, ActionKind.SCIM_DEACTIVATE_USER)
"""Kinds after which a member's documents change owner (docs/sigma-api.md §2.5, §5.3)."""

LOCKOUT_LABELS: dict[Lockout, str] = {
    Lockout.DEACTIVATED: "Deactivated by the plan",
    Lockout.GUEST_DISABLED: "Guest disabled (SCIM does not support guests)",
    Lockout.GUEST_HELD: "Guest held by a blocking review item: no action until it is settled (SCIM disables "
                        "guests unless the decision converts them)",
    Lockout.UNMATCHED_KEPT: "No IdP identity, kept: cannot sign in through the IdP",
    Lockout.UNMATCHED_REVIEW: "No IdP identity yet, decision pending in the review queue",
    Lockout.INVITATION_PENDING: "Entra B2B invitation not accepted (PendingAcceptance): cannot sign in through the "
                                "IdP until they redeem it",
}
"""Why a person cannot sign in after the switch, one line per :class:`~planner.model.Lockout`."""

SCIM_MANAGED_LABELS: dict[ScimManaged, str] = {
    ScimManaged.ABSENT_FROM_EXPORT: "SCIM-managed, absent from this IdP export: kept as Sigma's SCIM state shows "
                                    "them (they sign in through the IdP)",
}
"""Why a person with no IdP identity in the export is no lock-out, one line per :class:`~planner.model.ScimManaged`."""

SCIM_MANAGED_HEADING = "SCIM-managed, absent from this IdP export (no lock-out)"
"""The heading of the summary's ``outcomes.scim_managed`` figure, in ``show`` and the report."""

LOCKOUT_HEADING = "Cannot sign in after the switch"
ADMIN_LOSS_HEADING = "Admins losing Admin"
"""The headings of the two headline figures (:class:`~planner.model.OutcomeCounts`), the same words
in ``show``, the report and the command lines (:func:`lockout_headline`, :func:`admin_loss_headline`)."""

_TYPE_CHANGES = {c.value: c for c in TypeChange}


def scim_managed(
    kinds: Collection[ActionKind], *, member_id: str | None, idp_id: str | None,
    user_kind: str | None, sigma_status: str | None, kept_by_scim_state: bool,
) -> ScimManaged | None:
    """Why a person with no IdP identity in this IdP export still signs in through the IdP, or ``None``.

    ``absent_from_export``: an active internal member the IdP export lacks (``idp_id`` ``None``), whom the plan
    does not deactivate, and whom ``kept_by_scim_state`` says Sigma's SCIM state shows the IdP provisioned, the
    policy keeping them as SCIM has them (:func:`planner.rules.scim_state.kept_absent`: a
    ``linking.scim_state_conflicts`` entry saying ``scim_state`` for their absence). The IdP signs them in: no
    :class:`~planner.model.Lockout` (tester10 finding 4: they were "No IdP identity, kept: cannot sign in")."""
    if not kept_by_scim_state or member_id is None or idp_id is not None or sigma_status not in (None, "active"):
        return None
    if user_kind not in (None, "", "internal") or not DEACTIVATING_KINDS.isdisjoint(kinds):
        return None
    return ScimManaged.ABSENT_FROM_EXPORT


def lockout(
    kinds: Collection[ActionKind], *, member_id: str | None, idp_id: str | None,
    user_kind: str | None, sigma_status: str | None, in_review: bool,
    managed: ScimManaged | None = None, held: bool = False, invitation_pending: bool = False,
) -> Lockout | None:
    """Why a person cannot sign in once SCIM is on, or ``None``.

    ``kinds``: the kinds of the person's actions; the rest are their person row's fields;
    ``in_review``: a review item about them is open; ``held``: a blocking one is; ``managed``: their
    :func:`scim_managed`. First that applies, each read from the actions the plan contains:

    - ``deactivated``: the plan deactivates them (``members.deactivate``, ``scim.deactivate_user``);
    - ``guest_disabled``: ``members.disable_guest``;
    - ``guest_held``: an active guest with neither ``members.disable_guest`` nor ``members.convert_guest``
      while a blocking review item holds them: nothing is done to them until it is settled (words18: such a
      guest was counted ``guest_disabled``, a change the plan does not contain);
    - ``guest_disabled`` too for any other active guest not converted to an internal user (enabling SCIM
      disables guests, docs/sigma-api.md §5.3);
    - ``unmatched_review`` / ``unmatched_kept``: an active internal member with no IdP identity
      (SAML-only sign-in needs the IdP, docs/sigma-api.md §5.1, §2.5), with / without an open review item,
      unless ``managed`` says the IdP provisioned them (``None``);
    - ``invitation_pending``: the plan links or creates them (``scim.link_user``, ``scim.create_user``) while
      their IdP user's Entra B2B invitation is not redeemed (``invitation_pending``:
      :attr:`planner.model.IdpUser.invitation_pending`): Sigma is SAML-only after the switch and the IdP cannot
      sign them in until they redeem it (tester17 finding 9).

    Members already archived or inactive lose nothing: ``None``.
    """
    if kinds:
        if not DEACTIVATING_KINDS.isdisjoint(kinds):
            return Lockout.DEACTIVATED
        if ActionKind.MEMBERS_DISABLE_GUEST in kinds:
            return Lockout.GUEST_DISABLED
        if invitation_pending and not _SIGNING_IN_KINDS.isdisjoint(kinds):
            return Lockout.INVITATION_PENDING
    if member_id is None or sigma_status not in (None, "active"):
        return None
    if user_kind == "guest":
        if ActionKind.MEMBERS_CONVERT_GUEST in kinds:
            return None
        return Lockout.GUEST_HELD if held else Lockout.GUEST_DISABLED
    if idp_id is None and user_kind in (None, "", "internal") and managed is None:
        return Lockout.UNMATCHED_REVIEW if in_review else Lockout.UNMATCHED_KEPT
    return None


def type_change(before: str | None, after: str | None, change: str | None,
                lockout: Lockout | None) -> TypeChange | None:
    """How the account type of a person who keeps sign-in changes, or ``None``.

    ``before`` / ``after``: their account types (``after`` ``None`` when they end deactivated);
    ``change``: the ``evidence["change"]`` of their ``scim.set_account_type`` action
    (``upgrade`` / ``downgrade`` / ``custom_replacement``, planner.rules.account_types), ``None``
    without one. ``None`` when locked out, when either type is missing, or when they are equal;
    the action's ranking when it gives one, else ``change``.
    """
    if lockout is not None or before is None or after is None or before == after:
        return None
    return _TYPE_CHANGES.get(change or "", TypeChange.CHANGE)


def gains_admin(before: str | None, after: str | None, sigma_status: str | None, admin_types: Collection[str]) -> bool:
    """Whether a person the plan gives account type ``after`` gains an admin type: ``after`` is one of
    ``admin_types`` (``guards.admin_account_types`` case-folded) and they hold none today, having no member (a
    create: ``sigma_status`` ``None``), a member who is not active (``archived`` or ``inactive``: a reactivation)
    or an active one of another type (``before``: an upgrade, a guest converted). The one rule of both the
    blocking ``account_types.admin_upgrade`` item (:mod:`planner.rules.account_types`) and the person row's
    ``admin_change`` ``gains`` (:func:`admin_change`; tester18 finding 5)."""
    if after is None or after.casefold() not in admin_types:
        return False
    return sigma_status != "active" or before is None or before.casefold() not in admin_types


def admin_change(before: str | None, after: str | None, sigma_status: str | None, lockout: Lockout | None,
                 admin_types: Collection[str]) -> AdminChange | None:
    """What the plan does to a person's admin account type, or ``None``.

    ``admin_types``: ``guards.admin_account_types`` case-folded (the same set the guards use,
    planner.rules.guards). ``loses``: admin before, active (or no Sigma status), and locked out
    or without an admin type after; else, for a person who keeps sign-in: ``gains`` when they gain an
    admin type (:func:`gains_admin`: a create or a reactivation born with one counts; was: a create counted
    nowhere, tester18 finding 5), ``changes`` from an admin type to another type (an admin type, or a
    reactivated member's).
    """
    was = before is not None and before.casefold() in admin_types
    if was and sigma_status in (None, "active") and (
        lockout is not None or (after or before).casefold() not in admin_types
    ):
        return AdminChange.LOSES
    if lockout is not None or after is None:
        return None
    if gains_admin(before, after, sigma_status, admin_types):
        return AdminChange.GAINS
    return AdminChange.CHANGES if was and before != after else None


def owner_status(role: str, reference: str | None, person: PersonRow | None, guard_ok: bool,
                 guard_detail: str) -> OwnerStatus:
    """The :class:`~planner.model.OwnerStatus` of a protected person.

    ``role``: ``scim_setup_admin`` or ``api_credential_owner``; ``reference``: the policy's
    ``organization.<role>`` value; ``person``: the row of the member it names (``None`` when it
    names nobody); ``guard_ok`` / ``guard_detail``: the guard of the same name
    (planner.rules.guards), which decides it: they exist, stay active, keep an admin account type
    and can still sign in (the guard reads :func:`lockout`, as the person row does), so ``ok`` and
    ``detail`` are the guard's; ``lockout`` is the row's.
    """
    locked = person.lockout if person is not None else None
    ok, detail = guard_ok, guard_detail
    return OwnerStatus(
        role=role,
        reference=reference or "",
        member_id=person.member_id if person is not None else None,
        email=person.email if person is not None else None,
        account_type_before=person.account_type_before if person is not None else None,
        account_type_after=person.account_type_after if person is not None else None,
        lockout=locked,
        ok=ok,
        detail=detail,
    )


def document_transfers(actions: Iterable[Action], email_of: Mapping[str, str],
                       provisioning_owner: OwnerStatus | None) -> tuple[DocumentTransfer, ...]:
    """Where the documents of every member the plan deactivates go, in plan order.

    ``actions``: the plan's; ``email_of``: memberId -> email of the Sigma members;
    ``provisioning_owner``: the ``scim_setup_admin`` status. ``members.deactivate`` /
    ``members.disable_guest`` hand them to ``after.newOwnerId`` (``unnamed`` when it is
    ``null``: no document owner yet, docs/sigma-api.md §2.5); ``scim.deactivate_user`` leaves them
    to Sigma, which gives them to the provisioning admin (§5.3).
    """
    out = []
    for a in actions:
        if a.kind not in LEAVING_KINDS:
            continue
        member_id = a.target.member_id
        email = a.target.email or email_of.get(member_id) or member_id
        if a.kind is ActionKind.SCIM_DEACTIVATE_USER:
            owner = provisioning_owner
            destination = DocumentDestination.PROVISIONING_OWNER
            to_id = owner.member_id if owner is not None else None
            to_email = (owner.email or owner.reference or None) if owner is not None else None
        else:
            to_id = new_owner_id(a)
            destination = DocumentDestination.MEMBER if to_id else DocumentDestination.UNNAMED
            to_email = (email_of.get(to_id) or a.evidence.new_owner_email or to_id) if to_id else None
        out.append(DocumentTransfer(a.id, a.kind, member_id, email, destination, to_id or None, to_email))
    return tuple(out)


def outcome_counts(people: Iterable[PersonRow]) -> OutcomeCounts:
    """The plan summary's ``outcomes`` (:class:`~planner.model.OutcomeCounts`): the person rows'
    ``lockout``, ``admin_change`` and ``type_change`` (decided above) counted once, for a migration
    plan (:func:`planner.planning.build_summary`) and an undo plan (:mod:`planner.execute.undo`).
    An admin losing Admin is ``deactivated`` when their lock-out is, ``cannot_sign_in`` for another
    lock-out, else ``downgraded``."""
    locked = Counter()
    losing = Counter()
    admin = Counter()
    downgrades = managed = 0
    for p in people:
        managed += p.scim_managed is not None
        if p.lockout is not None:
            locked[p.lockout] += 1
        if p.admin_change is AdminChange.LOSES:
            losing["downgraded" if p.lockout is None else
                   "deactivated" if p.lockout is Lockout.DEACTIVATED else "cannot_sign_in"] += 1
        elif p.admin_change is not None:
            admin[p.admin_change] += 1
        if p.type_change is TypeChange.DOWNGRADE:
            downgrades += 1
    return OutcomeCounts(
        lockouts=LockoutCounts(total=sum(locked.values()), **{c.value: locked[c] for c in Lockout}),
        admins_losing_admin=AdminLossCounts(total=sum(losing.values()), deactivated=losing["deactivated"],
                                            cannot_sign_in=losing["cannot_sign_in"], downgraded=losing["downgraded"]),
        admin_gains=admin[AdminChange.GAINS],
        admin_changes=admin[AdminChange.CHANGES],
        downgrades=downgrades,
        scim_managed=managed,
    )


def _parts(pairs: Iterable[tuple[int, str]]) -> str:
    """``"10 deactivated, 2 guests disabled"``: the non-zero counts with their words; ``"none"``."""
    return ", ".join(f"{n} {words}" for n, words in pairs if n) or "none"


def lockout_breakdown(counts: LockoutCounts) -> str:
    """Why people cannot sign in after the switch, in words: ``"10 deactivated, 2 guests disabled, 1 guest held
    by a blocking review item, 3 with no IdP identity (1 in review)"`` (``"none"``); the words of
    :data:`LOCKOUT_LABELS` shortened."""
    unmatched = counts.unmatched_kept + counts.unmatched_review
    in_review = f" ({counts.unmatched_review} in review)" if counts.unmatched_review else ""
    return _parts(((counts.deactivated, "deactivated"),
                   (counts.guest_disabled, "guest disabled" if counts.guest_disabled == 1 else "guests disabled"),
                   (counts.guest_held, "guest held by a blocking review item" if counts.guest_held == 1
                    else "guests held by blocking review items"),
                   (unmatched, "with no IdP identity" + in_review),
                   (counts.invitation_pending, "with an Entra invitation not accepted")))


def admin_loss_breakdown(counts: AdminLossCounts) -> str:
    """How admins lose Admin, in words: ``"1 deactivated, 1 downgraded, 1 who cannot sign in"`` (``"none"``)."""
    return _parts(((counts.deactivated, "deactivated"), (counts.downgraded, "downgraded"),
                   (counts.cannot_sign_in, "who cannot sign in")))


def lockout_headline(counts: LockoutCounts) -> str:
    """``"Cannot sign in after the switch: 14 (10 deactivated, 2 guests disabled, 2 with no IdP
    identity)"``; ``"...: 0"`` when nobody."""
    return f"{LOCKOUT_HEADING}: {counts.total}" + (f" ({lockout_breakdown(counts)})" if counts.total else "")


def admin_loss_headline(counts: AdminLossCounts) -> str:
    """``"Admins losing Admin: 2 (1 deactivated, 1 downgraded)"``; ``"...: 0"`` when nobody."""
    return f"{ADMIN_LOSS_HEADING}: {counts.total}" + (f" ({admin_loss_breakdown(counts)})" if counts.total else "")


def review_headline(total: int, blocking: int, preflight_unmet: int) -> str:
    """The review figures of a plan's summary line: ``"13 review items (0 blocking)"``, and when pre-flight checks
    stop approval besides (:func:`planner.model.preflight_blockers`: unmet, not a failed guard's echo)
    ``"13 review items (0 blocking); 1 blocking pre-flight check unmet"``: approve and apply refuse such a plan as
    they refuse a blocking item ("pre-flight check ... is unconfirmed: ...; confirm it in the policy's preflight
    section and plan again"), so the line never says "(0 blocking)" alone of a blocked plan (walk21). Written by
    :func:`planner.planning.summary_text` (``summary.text``: ``plan``, ``show``, the HTML report) and
    :func:`planner.report.report_headline`."""
    line = f"{total} review item{'' if total == 1 else 's'} ({blocking} blocking)"
    if preflight_unmet:
        line += f"; {preflight_unmet} blocking pre-flight check{'' if preflight_unmet == 1 else 's'} unmet"
    return line


def seat_counts(before: Counter[str], after: Counter[str], pending: Counter[str] | None = None
                ) -> dict[str, SeatCount]:
    """The summary's ``seats``: account type name -> :class:`~planner.model.SeatCount` of the active
    people holding it before and after (``before`` / ``after``: people per type name) and the seats a blocking review
    item holds (``pending``; none in an undo plan), sorted by name; a migration plan's
    (:func:`planner.planning.seats_of`) and an undo plan's (:mod:`planner.execute.undo`)."""
    pending = pending or Counter()
    return {name: SeatCount(before=before.get(name, 0), after=after.get(name, 0), pending=pending.get(name, 0))
            for name in sorted(set(before) | set(after) | set(pending))}


def account_type_counts(total: int, changes: Counter[str], actions: list[Action]) -> AccountTypeCounts:
    """The summary's ``account_types``: ``total`` ``scim.set_account_type`` actions, ``changes``
    counting their ``evidence.change`` (``upgrade``, ``downgrade``, ``custom_replacement``),
    ``actions`` for the custom replacements; a migration plan's and an undo plan's."""
    return AccountTypeCounts(
        changes=total,
        upgrades=changes.get("upgrade", 0),
        downgrades=changes.get("downgrade", 0),
        custom_replacements=changes.get("custom_replacement", 0),
        replacements=_replacements(actions) if changes.get("custom_replacement") else [],
    )


def _replacements(actions: list[Action]) -> list[CustomReplacement]:
    """Custom account types replaced (planner.rules.account_types ``custom_replacement``), as the
    seat summary lists them apart from downgrades, by from, to."""
    pairs = Counter((a.before.member_type, a.after.user_type) for a in actions
                    if isinstance(a, ScimSetAccountType) and a.evidence.change == "custom_replacement")
    return [CustomReplacement(from_type=b, to=t, members=n) for (b, t), n in sorted(pairs.items())]
