"""Guards: checks over the whole plan that block apply when they fail. All on by default.

- ``scim_setup_admin`` / ``api_credential_owner``: the people named in
  ``organization`` exist, stay active, can still sign in once SCIM is on (the lock-out rule of
  :func:`planner.outcomes.lockout`, which their person row and owner status read too), are an
  active, in-scope IdP user (:func:`idp_standing`: once SCIM is on the IdP deactivates a user it
  holds inactive or unassigned, whatever the plan keeps; tester8 finding 16) and keep an
  admin account type. The
  SCIM token belongs to the setup admin and stops working if they are
  deactivated or change type (docs/sigma-api.md §5.1); deactivating the credential
  owner deactivates the API credentials (§1.2).
- ``scheduler_robot``: no action touches Sigma's system member (§2.2).
- ``last_admin``: at least one active admin remains after the plan.
- ``document_owner``: every ``newOwnerId`` is an active, internal member the
  plan does not deactivate (documents are never handed to a departing account).
- ``threshold.<category>``: deactivations, guest_disables,
  team_member_removals, downgrades within ``guards.thresholds``.
- ``threshold.team_growth`` / ``threshold.upgrades`` / ``threshold.creates``: growth, more than a count AND more than
  a percent blocks (:class:`~planner.policy.Growth`; tester20 finding 2); ``threshold.team_shrink``: one linked team's
  loss in the same shape (tester21 finding 6).
- ``idp_export``: the IdP export holds at least ``min_idp_users`` active
  in-scope users and has not shrunk by more than ``max_shrink_percent``
  against the active Sigma people (an export filtered by mistake).

One pure function per guard, of the policy, the :class:`~planner.directory.Directory` and the
plan's actions (read through a :class:`PlannedActions`, built once), returning a
:class:`GuardVerdict`: the :class:`~planner.model.GuardResult` (for ``plan.summary.guards``) and,
when it fails, its blocking review item. :func:`evaluate` runs them all in the summary's order.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass
from typing import Callable, Collection, Iterable, Mapping, Sequence

from ..directory import PROTECTED_MOVE, Directory, Person, PersonStatus
from ..model import (
    SCHEDULER_ROBOT_EMAIL, SCHEDULER_ROBOT_MEMBER_ID, Action, ActionKind, GuardResult, ItemRef, Lockout, ReviewItem,
    TeamRow,
)
from ..outcomes import LEAVING_KINDS, LOCKOUT_LABELS, lockout
from ..payloads import ScimSetAccountType, target_addresses, target_member_id
from ..policy import Creates, Growth, Policy, TeamGrowth, TeamShrink, Threshold, Upgrades
from . import make_review, yaml_snippet
from .account_types import TypeDecision
from .unmatched import SecondAccount, provisioning_admin, second_accounts, why_unmatched

DEACTIVATING = (ActionKind.MEMBERS_DEACTIVATE, ActionKind.MEMBERS_DISABLE_GUEST)
"""Kinds that hand a member's documents to ``newOwnerId``."""

LEAVING = LEAVING_KINDS
"""Kinds after which a member is gone (a SCIM-managed member is deactivated through SCIM,
rules/scim_state.py: the same person leaves): :data:`planner.outcomes.LEAVING_KINDS`."""

OWNER_ROLES = (
    ("scim_setup_admin", "the SCIM token belongs to them"),
    ("api_credential_owner", "apply's API credentials belong to them"),
)
"""The protected people's ``organization`` keys and why they are protected (docs/sigma-api.md §5.1, §1.2)."""

THRESHOLD_CATEGORIES = ("deactivations", "guest_disables", "team_member_removals", "downgrades")
"""``guards.thresholds`` categories, in the summary's order."""


@dataclass(frozen=True, slots=True)
class GuardVerdict:
    """One guard's :class:`~planner.model.GuardResult` and, when it failed, its blocking
    ``guards.<name>`` review item."""

    result: GuardResult
    item: ReviewItem | None = None


@dataclass(frozen=True, slots=True)
class PlannedActions:
    """The plan's actions as the guards read them: ``by_kind`` (in plan order), ``watched`` (memberId
    -> the kinds of the actions on them, :func:`~planner.payloads.target_member_id`, for the members
    :func:`planned_actions` was asked to watch), ``leaving`` (memberId -> the action that deactivates or
    disables them), ``type_changes`` (memberId -> its ``scim.set_account_type``) and ``robot`` (the ids
    of the actions naming Sigma's scheduler robot by memberId or address, :func:`names_scheduler_robot`,
    sorted)."""

    all: Sequence[Action]
    by_kind: Mapping[ActionKind, tuple[Action, ...]]
    watched: Mapping[str, frozenset[ActionKind]]
    leaving: Mapping[str, Action]
    type_changes: Mapping[str, ScimSetAccountType]
    robot: tuple[str, ...]

    def of_kind(self, *kinds: ActionKind) -> list[Action]:
        """The actions of ``kinds``, kind by kind."""
        return [a for k in kinds for a in self.by_kind.get(k, ())]

    def kinds_on(self, member_id: str) -> frozenset[ActionKind]:
        """The kinds of the actions on member ``member_id`` (from ``watched`` when it was watched)."""
        found = self.watched.get(member_id)
        if found is None:
            found = frozenset(a.kind for a in self.all if target_member_id(a) == member_id)
        return found


def planned_actions(actions: Sequence[Action], watch: Collection[str] = ()) -> PlannedActions:
    """Index ``actions`` once for every guard: one pass, each action's target read once; ``watch``: the
    memberIds whose actions a guard looks up (the protected people, :meth:`PlannedActions.kinds_on`)."""
    by_kind: dict[ActionKind, list[Action]] = {}
    watched: dict[str, set[ActionKind]] = {mid: set() for mid in watch}
    robot = []
    for a in actions:
        by_kind.setdefault(a.kind, []).append(a)
        mid = target_member_id(a)
        if mid in watched:
            watched[mid].add(a.kind)
        if mid == SCHEDULER_ROBOT_MEMBER_ID or names_scheduler_robot(target_addresses(a)):
            robot.append(a.id)
    kinds = {k: tuple(v) for k, v in by_kind.items()}
    leaving = {a.target.member_id: a for k in LEAVING for a in kinds.get(k, ())}
    types = {a.target.member_id: a for a in kinds.get(ActionKind.SCIM_SET_ACCOUNT_TYPE, ())}
    return PlannedActions(actions, kinds, {mid: frozenset(k) for mid, k in watched.items()}, leaving, types,
                          tuple(sorted(robot)))


def failed(name: str, detail: str, resolution: str = "", subject: ItemRef | None = None) -> GuardVerdict:
    """A failed guard: its result and its blocking ``guards.<name>`` item (keyed by the subject's
    memberId, else ``plan``)."""
    item = make_review(
        f"guards.{name}",
        subject.member_id if subject is not None and subject.member_id else "plan",
        blocking=True,
        subject=subject or ItemRef(guard=name),
        message=detail,
        rule=f"guards.{name}",
        resolution=resolution,
    )
    return GuardVerdict(GuardResult(name, False, detail), item)


def passed(name: str, detail: str) -> GuardVerdict:
    """A guard that passed."""
    return GuardVerdict(GuardResult(name, True, detail))


def evaluate(policy: Policy, directory: Directory, actions: Sequence[Action], idp_ids: Mapping[str, str | None],
             standings: Mapping[str, str] | None = None, teams: Sequence[TeamRow] = (),
             people_records: Sequence[Person] = (), types: Sequence[TypeDecision] = ()
             ) -> tuple[list[GuardResult], list[ReviewItem]]:
    """Run every guard over the plan's ``actions``; returns ``(results, review_items)`` in the
    summary's order (protected people, scheduler robot, last admin, document owner, thresholds,
    team growth, team shrink, upgrades, creates, IdP export). ``idp_ids``: memberId -> the IdP id linking joined to them
    (``None``: no IdP identity), for the protected people at least; ``standings``: memberId -> :func:`idp_standing`
    of the protected people (:func:`protected_standings`); ``teams``: the plan's team rows, with their final
    counts (:func:`team_growth_guard`, :func:`team_shrink_guard`); ``people_records``: every person's final record (:func:`linked_members`,
    the base of :func:`upgrades_guard`); ``types``: the account-type decisions (the groups giving each type,
    :func:`upgrades_guard`). Pure."""
    planned = planned_actions(actions, directory.protected_members(policy))
    verdicts = [owner_guard(key, why, policy, directory, planned, idp_ids, standings or {})
                for key, why in OWNER_ROLES]
    verdicts += [scheduler_robot_guard(planned), last_admin_guard(policy, directory, planned),
                 document_owner_guard(policy, directory, planned)]
    people = active_people(directory)
    verdicts += [threshold_guard(c, getattr(policy.guards.thresholds, c), people, directory, planned)
                 for c in THRESHOLD_CATEGORIES]
    limits = policy.guards.thresholds
    verdicts.append(team_growth_guard(limits.team_growth, teams))
    verdicts.append(team_shrink_guard(limits.team_shrink, teams, directory))
    verdicts.append(upgrades_guard(limits.upgrades, planned, linked_members(people_records), types))
    verdicts.append(creates_guard(limits.creates, planned, people, policy, directory))
    verdicts.append(idp_export_guard(policy, directory, people))
    return [v.result for v in verdicts], [v.item for v in verdicts if v.item is not None]


def admin_types(policy: Policy) -> frozenset[str]:
    """``guards.admin_account_types`` case-folded."""
    return frozenset(t.casefold() for t in policy.guards.admin_account_types)


def is_admin(account_type: str | None, admins: frozenset[str]) -> bool:
    """Whether ``account_type`` is one of ``admins`` (:func:`admin_types`; case-insensitive)."""
    return (account_type or "").casefold() in admins


def owner_lockout(mid: str, directory: Directory, planned: PlannedActions, idp_ids: Mapping[str, str | None]
                  ) -> Lockout | None:
    """Why the member ``mid`` cannot sign in once SCIM is on, or ``None``: :func:`planner.outcomes.lockout`
    (the rule the person rows and the owner status read) over their actions and IdP identity.
    ``in_review``: a guard that fails raises a review item about them, so their row reads it."""
    member = directory.members[mid]
    return lockout(planned.kinds_on(mid), member_id=mid, idp_id=idp_ids.get(mid),
                   user_kind=member.user_kind or "internal", sigma_status="active" if member.is_active else "inactive", in_review=True)


def idp_standing(person: Person, directory: Directory) -> str:
    """What the exports say that makes the IdP deactivate protected ``person`` (a member) once SCIM is on,
    or never let them sign in; ``""`` when their IdP user is active and in scope.

    Their IdP user is inactive (a leaver: :func:`.idp_status.inactive_because`, ``IdP user 00u1
    (ann@example.com) is DEPROVISIONED (deactivated)``), outside ``scope.groups`` (unassigned from the app),
    missing (``no IdP user matches this member``), or they are a guest (enabling SCIM disables guests,
    docs/sigma-api.md §5.3). A member Sigma's SCIM state shows the IdP provisioned (an ``externalId``) is
    deactivated at its next push, which the phrase says. Source: docs/sigma-api.md §5.1 (the SCIM token dies
    with its admin), §1.2 (the API credentials with their owner), §5.3 (deactivation via the IdP)."""
    member = person.member
    if member is None or not member.is_active:
        return ""
    if member.user_kind == "guest" and not person.converted:
        state = "is a guest member, and enabling SCIM disables guests (SCIM does not support them)"
    elif person.status is PersonStatus.UNMATCHED:
        state = ("no IdP user in the IdP export matches them, so once SCIM is on they cannot sign in through "
                 "the IdP (SAML only)")
    elif person.status in (PersonStatus.LEAVER, PersonStatus.NOT_IN_SCOPE, PersonStatus.SCIM_KEPT):
        state = (why_unmatched(person, directory.idp_format) + " in the IdP export, so once SCIM is on the IdP "
                 "deactivates or never provisions them and they cannot sign in through it")
    else:
        return ""
    provisioned = directory.scim.users.get(member.member_id)
    if provisioned is not None and provisioned.external_id:
        state += (f"; Sigma's SCIM state shows the IdP provisioned them (externalId {provisioned.external_id}), "
                  "so its next push deactivates them")
    return state


def protected_standings(people: Sequence[Person], protected: Collection[str], directory: Directory
                        ) -> dict[str, str]:
    """memberId -> :func:`idp_standing` of each person of ``people`` whose member is one of ``protected``
    (memberIds, :meth:`~planner.directory.Directory.protected_members`) and whose IdP standing is not fine."""
    out = {}
    for p in people:
        mid = p.member_id
        if mid is not None and mid in protected and (state := idp_standing(p, directory)):
            out[mid] = state
    return out


def questioned_owners(policy: Policy, directory: Directory, standings: Mapping[str, str]) -> frozenset[str]:
    """The memberIds of the protected role holders (:meth:`~planner.directory.Directory.protected_member_id`)
    whose owner guard fails on who they are, which the statuses already tell before any action is planned:
    a holder with an IdP standing that is not fine (``standings``: :func:`protected_standings`; :func:`owner_guard`
    fails on it, saying the plan "holds until" it is fixed), or a holder a userName change in the IdP left behind
    whom ``linking.second_accounts`` does not keep (:func:`left_behind_owner_guard` fails until it does). The
    guard's item is a question about the person, so :func:`planner.planning.hold_questioned` holds them (no team
    removal while it is open; issue 10, holds2). Its other failures (a deactivation, a downgrade, a lock-out)
    judge one planned action and hold nothing."""
    out = set()
    left_behind: Mapping[str, SecondAccount] | None = None
    for key, _ in OWNER_ROLES:
        ref = getattr(policy.organization, key)
        mid = directory.protected_member_id(ref) if ref else None
        if mid is None:
            continue
        if mid in directory.scim.second_accounts:
            left_behind = left_behind if left_behind is not None else second_accounts(policy, directory)
            if left_behind[mid].decision != "keep":
                out.add(mid)
        elif mid in standings:
            out.add(mid)
    return frozenset(out)


def owner_guard(key: str, why: str, policy: Policy, directory: Directory, planned: PlannedActions,
                idp_ids: Mapping[str, str | None], standings: Mapping[str, str] | None = None) -> GuardVerdict:
    """``scim_setup_admin`` / ``api_credential_owner``: ``organization.<key>`` names a member who
    is active, is not deactivated by the plan, is an active in-scope IdP user (``standings``: memberId ->
    :func:`idp_standing`, when it is not), can still sign in once SCIM is on (:func:`owner_lockout`) and
    keeps an admin account type. A protected person the IdP would deactivate fails on one item naming
    their IdP state and the ways out (fix them in the IdP and export again, or name someone else once the SCIM
    token or the credentials are made again as them, :data:`~planner.directory.PROTECTED_MOVE`); the rules plan
    nothing against them meanwhile (tester8 finding 16). The member checked is the role's holder
    (:meth:`~planner.directory.Directory.protected_member_id`); one a userName change left behind is
    :func:`left_behind_owner_guard`'s (tester10 finding 18)."""
    ref = getattr(policy.organization, key)
    if not ref:
        return failed(key, f"organization.{key} is not set, so the plan cannot protect them ({why})",
                      yaml_snippet({"organization": {key: "someone@example.com"}}))
    mid = directory.protected_member_id(ref)
    if mid is None:
        return failed(key, f"organization.{key} {ref!r} is not a member in the Sigma export",
                      f"# correct organization.{key} at {policy.location('organization', key)}\n")
    member = directory.members[mid]
    change = planned.type_changes.get(mid)
    after = change.after.user_type if change is not None else directory.member_account_types[mid]
    if mid in directory.scim.second_accounts:
        return left_behind_owner_guard(key, policy, directory, planned, mid, after, change)
    problems = []
    if not member.is_active:
        problems.append("is not active in Sigma")
    locked = owner_lockout(mid, directory, planned, idp_ids)
    standing = (standings or {}).get(mid, "")
    if mid in planned.leaving:
        problems.append(f"would be deactivated ({planned.leaving[mid].id})")
    elif standing:
        problems.append(standing)
    elif locked is not None:
        problems.append(f"cannot sign in once SCIM is on ({LOCKOUT_LABELS[locked]})")
    if not is_admin(after, admin_types(policy)):
        problems.append(f"would have account type {after!r}, not admin"
                        + (f" ({change.reason})" if change is not None else ""))
    if not problems:
        return passed(key, f"{member.email} stays active with account type {after}")
    if standing and mid not in planned.leaving:
        case = standing_case(member.user_kind, idp_ids.get(mid))
        return failed(key, f"{key} {member.email}: {'; '.join(problems)}; {why}; the plan deactivates and downgrades "
                           f"nothing of theirs and holds until {standing_way_out(key, case)}",
                      standing_resolution(key, case), ItemRef(member_id=mid, email=member.email))
    return failed(key, f"{key} {member.email}: {'; '.join(problems)}; {why}",
                  owner_resolution(key, member.email, policy, directory, mid in planned.leaving, locked),
                  ItemRef(member_id=mid, email=member.email))


HELD_SECRET = {"scim_setup_admin": ("the SCIM token", "stays"),
               "api_credential_owner": ("apply's API credentials", "stay")}
"""What a protected role's member holds and the verb that agrees with it, by ``organization`` key (how it moves:
:data:`~planner.directory.PROTECTED_MOVE`)."""


def left_behind_owner_guard(key: str, policy: Policy, directory: Directory, planned: PlannedActions, mid: str,
                            after: str | None, change: ScimSetAccountType | None) -> GuardVerdict:
    """:func:`owner_guard` of a protected role whose holder ``mid`` (:meth:`~planner.directory.Directory.
    protected_member_id`) is a member a userName change in the IdP left behind (:class:`.unmatched.SecondAccount`):
    the role's secret (:data:`HELD_SECRET`) stays with it, whether ``organization.<key>`` names it or the member
    Sigma made for the new userName, who is the one signing in through the IdP. It passes when the member stays
    active with an admin type (``after``, changed by ``change``) and ``linking.second_accounts`` keeps it; else one
    blocking item naming both members, whose only snippet keeps it (never ``deactivate``: the plan never deactivates
    it, whatever that entry says) and whose note says how the secret moves first (tester10 finding 18: the
    second-account snippet and the guard's "name another admin" led to deactivating the SCIM token's member)."""
    member = directory.members[mid]
    second = second_accounts(policy, directory)[mid]
    (secret, stays), retire = HELD_SECRET[key], "first " + PROTECTED_MOVE[f"organization.{key}"].format(
        who=second.new_email)
    problems = []
    if not member.is_active:
        problems.append("is not active in Sigma")
    if mid in planned.leaving:
        problems.append(f"would be deactivated ({planned.leaving[mid].id})")
    if not is_admin(after, admin_types(policy)):
        problems.append(f"would have account type {after!r}, not admin"
                        + (f" ({change.reason})" if change is not None else ""))
    if second.decision is None:
        problems.append("is not kept by linking.second_accounts")
    elif second.decision != "keep":
        problems.append("is to be deactivated by linking.second_accounts, which the plan never does")
    named = directory.find_member_id(getattr(policy.organization, key))
    change_words = (f"the IdP changed the userName of IdP user {second.external_id} from {member.email} to "
                    f"{second.user_name}, and Sigma made member {second.new_member_id} ({second.new_email}) for it")
    if named == mid:
        head = f"{key} {member.email} [member {mid}]: {change_words}; {secret} {stays} with {member.email}"
    else:
        head = (f"{key} {second.new_email} [member {second.new_member_id}]: {change_words} through SCIM, "
                f"so {secret} {stays} with {member.email} [member {mid}], the member that change left behind")
    if not problems:
        return passed(key, f"{member.email} stays active with account type {after} ({secret} {stays} with it; "
                           f"{second.new_email} signs in through the IdP)")
    return failed(
        key, f"{head}: {member.email} {'; '.join(problems)}; the plan never deactivates or downgrades it and holds "
             f"until linking.second_accounts keeps it; to retire it, {retire}, then deactivate {member.email} in Sigma "
             "(the exports cannot show that it moved)",
        yaml_snippet({"linking": {"second_accounts": {member.email: "keep"}}},
                     notes=[f"{secret} {stays} with {member.email}: keep it active and admin, never deactivate it "
                            f"(to retire it, {retire})"]),
        ItemRef(member_id=mid, email=member.email))


STANDING_FIXES = {
    "guest": ("they are converted to an internal member linked to an active in-scope IdP user (guests.action: "
              "convert)", "convert them (guests.action: convert) once an active in-scope IdP user links to them"),
    "unmatched": ("they are linked to an active in-scope IdP user (linking.overrides when the addresses differ) or "
                  "given one, and the IdP is exported again",
                  "link them to their IdP user (linking.overrides) or give them one assigned to the Sigma app, "
                  "export the IdP again and re-plan"),
    "idp": ("they are active in the IdP and assigned to the Sigma app (in scope.groups), and the IdP is exported "
            "again", "make them active and assigned to the Sigma app in the IdP, export the IdP again and re-plan"),
}
"""The first way out of a protected person's IdP standing (:func:`idp_standing`), by case (a guest, no IdP
user, an IdP user inactive or out of scope): ``(as the guard's message says it, as the resolution's note)``;
the second is always another admin in ``organization.<key>``."""


def standing_case(user_kind: str | None, idp_id: str | None) -> str:
    """The :data:`STANDING_FIXES` key of a protected member of ``user_kind`` linked to IdP user ``idp_id``."""
    return "guest" if user_kind == "guest" else "unmatched" if idp_id is None else "idp"


def standing_way_out(key: str, case: str) -> str:
    """The ways out of a protected person's IdP standing (:func:`idp_standing`) in ``case``
    (:func:`standing_case`), as the guard's message ends."""
    return (f"{STANDING_FIXES[case][0]}, or organization.{key} names another admin who is an active, in-scope IdP "
            f"user, once you {PROTECTED_MOVE[f'organization.{key}'].format(who='them')}")


def standing_resolution(key: str, case: str) -> str:
    """The policy YAML of a protected person's IdP standing in ``case``: its note says the first way out, the YAML
    the second (name someone else in ``organization.<key>``)."""
    return yaml_snippet({"organization": {key: "someone@example.com"}},
                        notes=[f"{STANDING_FIXES[case][1]}; or name another admin who is an active, in-scope IdP "
                               f"user, once you {PROTECTED_MOVE[f'organization.{key}'].format(who='them')}:"])


def owner_losses(member_id: str, actions: Sequence[Action], admins: frozenset[str]) -> list[str]:
    """What ``actions`` do to the member ``member_id`` that :func:`owner_guard` forbids a protected
    person, one phrase per loss naming every action that causes it, in plan order (empty: nothing):
    deactivated (the :data:`LEAVING` kinds: ``would be deactivated (members.deactivate:M1)``) or given
    an account type outside ``admins`` (:func:`admin_types`) by a ``scim.set_account_type`` or a
    link's ``userType`` (``would have account type 'View', not admin (scim.link_user:M1,
    scim.set_account_type:M1)``: a link and an account-type change giving the same type are one
    phrase). Apply checks the API credential's live owner (``GET /v2/whoami``, docs/sigma-api.md
    §1.2) with it: a plan that takes that member's admin or account cuts apply's own REST access
    mid-run (tester6 finding 18)."""
    found: dict[str, list[str]] = {}
    for a in actions:
        if target_member_id(a) != member_id:
            continue
        if a.kind in LEAVING:
            found.setdefault("would be deactivated", []).append(a.id)
        elif a.kind in (ActionKind.SCIM_SET_ACCOUNT_TYPE, ActionKind.SCIM_LINK_USER):
            after = a.after.user_type
            if isinstance(after, str) and after and not is_admin(after, admins):
                found.setdefault(f"would have account type {after!r}, not admin", []).append(a.id)
    return [f"{phrase} ({', '.join(ids)})" for phrase, ids in found.items()]


def owner_resolution(key: str, email: str, policy: Policy, directory: Directory, leaving: bool,
                     locked: Lockout | None) -> str:
    """The policy YAML that settles a failed owner guard: none when the plan deactivates them (the
    deactivating rule's own item says how); name someone who can sign in when they cannot; else an
    ``account_types.overrides`` entry keeping them admin."""
    if leaving:
        return ""
    if locked is not None:
        return yaml_snippet({"organization": {key: "someone@example.com"}},
                            notes=["they cannot sign in through the IdP: link them to their IdP user "
                                   f"(linking.overrides), or name someone who can, once you "
                                   f"{PROTECTED_MOVE[f'organization.{key}'].format(who='them')}:"])
    return yaml_snippet({"account_types": {"overrides": {email: admin_name(policy, directory)}}},
                        notes=["keep them admin whatever their groups say (and never deactivate them):"])


def names_scheduler_robot(addresses: Sequence[str]) -> bool:
    """Whether one of ``addresses`` is Sigma's scheduler robot's (letter case aside, docs/sigma-api.md §2.2)."""
    for address in addresses:
        if len(address) == _ROBOT_EMAIL_SIZE and address.casefold() == SCHEDULER_ROBOT_EMAIL:
            return True
    return False


_ROBOT_EMAIL_SIZE = len(SCHEDULER_ROBOT_EMAIL)  # a cheap first test: casefold never changes it for ASCII


def scheduler_robot_guard(planned: PlannedActions) -> GuardVerdict:
    """``scheduler_robot``: no action touches Sigma's system member (:attr:`PlannedActions.robot`)."""
    if planned.robot:
        return failed("scheduler_robot", f"actions touch Sigma's scheduler robot: {', '.join(planned.robot)}")
    return passed("scheduler_robot", "no action touches Sigma's scheduler robot")


def last_admin_guard(policy: Policy, directory: Directory, planned: PlannedActions) -> GuardVerdict:
    """``last_admin``: an active member not deactivated keeps, or a created user gets, an admin type."""
    changes, admins, types = planned.type_changes, admin_types(policy), directory.member_account_types
    admin_names = {t for t in set(types.values()) if is_admin(t, admins)}  # each spelling judged once
    kept = sum(
        1 for mid in {mid for mid, t in types.items() if t in admin_names}.union(changes)  # admins now or after
        if (m := directory.members.get(mid)) is not None and m.is_active and mid not in planned.leaving
        and is_admin(changes[mid].after.user_type if mid in changes else types[mid], admins)
    )
    created = sum(is_admin(a.after.user_type, admins) for a in planned.of_kind(ActionKind.SCIM_CREATE_USER))
    if kept + created == 0:
        return failed("last_admin", "no active admin would remain after the plan",
                      yaml_snippet({"account_types": {"overrides": {"someone@example.com":
                                                                    admin_name(policy, directory)}}}))
    return passed("last_admin", f"{kept + created} active admin(s) after the plan")


def document_receivers(policy: Policy, directory: Directory, planned: PlannedActions) -> dict[str, str]:
    """memberId (``""``: nobody found) -> the policy key that names them, of everyone the plan hands
    documents to: each REST deactivation's ``newOwnerId`` (``organization.document_owner``, or a
    section's own), and for a ``scim.deactivate_user`` the provisioning admin, to whom Sigma gives them
    (``organization.scim_setup_admin``: :func:`planner.rules.unmatched.provisioning_admin`,
    docs/sigma-api.md §5.3)."""
    out = {a.after.new_owner_id or "": "organization.document_owner" for a in planned.of_kind(*DEACTIVATING)}
    if planned.of_kind(ActionKind.SCIM_DEACTIVATE_USER):
        admin = provisioning_admin(policy, directory)
        out.setdefault(admin.member_id or "", admin.source)
    return out


def document_owner_guard(policy: Policy, directory: Directory, planned: PlannedActions) -> GuardVerdict:
    """``document_owner``: everyone the plan hands documents to (:func:`document_receivers`: a REST
    ``newOwnerId``, the provisioning admin of a SCIM deactivation) is an active internal member who
    stays active."""
    receivers = document_receivers(policy, directory, planned)
    if not receivers:
        return passed("document_owner", "no documents change owner")
    owners = sorted(receivers)
    bad = [problem for owner in owners if (problem := owner_problem(owner, directory, planned, receivers[owner]))]
    if bad:
        key = receivers[owners[0]] if not owners[0] else "organization.document_owner"
        return failed("document_owner", "document owner: " + "; ".join(bad),
                      yaml_snippet({"organization": {key.partition(".")[2]: "someone@example.com"}}))
    emails = ", ".join(directory.members[o].email for o in owners)
    return passed("document_owner", f"documents go to {emails}, who stays active")


def owner_problem(owner: str, directory: Directory, planned: PlannedActions,
                  key: str = "organization.document_owner") -> str:
    """What is wrong with handing documents to memberId ``owner``, named by policy ``key`` (``""`` when
    nothing is)."""
    if not owner:
        return f"no document owner is named ({key}) or it is not in the export"
    member = directory.members.get(owner)
    if member is None or not member.is_active:
        return f"{owner} is not an active member"
    if member.is_guest:
        return f"{member.email} is a guest"
    if owner in planned.leaving:
        return f"{member.email} is deactivated by this plan ({planned.leaving[owner].id})"
    return ""


def active_people(directory: Directory) -> int:
    """Active Sigma people (Sigma's scheduler robot left out): the base of most thresholds."""
    return sum(1 for m in directory.members.values() if m.is_active)


def threshold_count(category: str, people: int, directory: Directory, planned: PlannedActions
                    ) -> tuple[int, int, str]:
    """``(count, base, what the base counts)`` of a ``guards.thresholds`` category (``people``: the
    active Sigma people, :func:`active_people`)."""
    if category == "deactivations":
        count = len(planned.of_kind(ActionKind.MEMBERS_DEACTIVATE, ActionKind.SCIM_DEACTIVATE_USER))
    elif category == "guest_disables":
        count = len(planned.of_kind(ActionKind.MEMBERS_DISABLE_GUEST))
    elif category == "team_member_removals":
        count = len(planned.of_kind(ActionKind.TEAMS_REMOVE_MEMBER))
        return count, len(directory.team_memberships), "team memberships"
    else:
        count = sum(a.evidence.change == "downgrade" for a in planned.of_kind(ActionKind.SCIM_SET_ACCOUNT_TYPE))
    return count, people, "active Sigma people"


def threshold_guard(category: str, limit: Threshold | None, people: int, directory: Directory,
                    planned: PlannedActions) -> GuardVerdict:
    """``threshold.<category>``: the count is within ``guards.thresholds.<category>`` (count and/or
    percent); ``people``: the active Sigma people (:func:`active_people`)."""
    count, base, what = threshold_count(category, people, directory, planned)
    name = f"threshold.{category}"
    share = (100.0 * count / base) if base else 0.0
    text = f"{category}: {count} of {base} {what} ({share_text(share, limit.percent if limit else None)}%)"
    if limit is None:
        return passed(name, text + "; no limit")
    over = []
    if limit.count is not None and count > limit.count:
        over.append(f"more than {limit.count}")
    if limit.percent is not None and share > limit.percent:
        over.append(f"more than {limit.percent:g}%")
    if not over:
        return passed(name, text + f" within {limit_text(limit)}")
    raised: dict[str, float] = {}
    if limit.count is not None:
        raised["count"] = count
    if limit.percent is not None:
        raised["percent"] = math.ceil(share * 10) / 10 if share > limit.percent else limit.percent
    return failed(name, f"{text} is {' and '.join(over)} (guards.thresholds.{category})",
                  yaml_snippet({"guards": {"thresholds": {category: raised}}},
                               notes=["only if this many is really intended:"]))


GROUP_QUESTION = ("does the IdP group now hold far more people than it should (a group rule gone wrong, another "
                  "group's members saved as its answer)?")
"""What a growth guard asks when an IdP group's answer brings the growth (tester20 finding 2)."""

SHOWN = 3
"""How many transitions or groups an upgrades or creates item names, the largest first."""


def exceeds(limit: Growth, count: int, base: int) -> bool:
    """Whether ``count`` (of ``base``) is more than ``limit.count`` AND more than ``limit.percent`` of ``base``
    (:class:`~planner.policy.Growth`; a base of 0: any count past ``limit.count`` is)."""
    return count > limit.count and count * 100 > limit.percent * base


def share_words(count: int, base: int, limit: Growth | None) -> str:
    """``" (82.5%)"``: ``count`` as a share of ``base`` as a growth guard says it (:func:`share_text`), ``""`` when
    ``base`` is 0."""
    if not base:
        return ""
    return f" ({share_text(100.0 * count / base, limit.percent if limit else None)}%)"


def largest(counts: Counter[str], words: str = "{}") -> str:
    """``"'Sigma-Build' (104), 'Sigma-Admins' (3) and 2 more"``: the :data:`SHOWN` largest of ``counts``, the
    largest first (ties by name), each key formatted by ``words``."""
    ranked = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    shown = ", ".join(f"{words.format(k)} ({n})" for k, n in ranked[:SHOWN])
    return shown + (f" and {len(ranked) - SHOWN} more" if len(ranked) > SHOWN else "")


def growth_resolution(key: str, count: int, why: str) -> str:
    """The snippet of a failed growth guard: ``guards.thresholds.<key>.count`` raised to ``count`` (both limits must
    be passed, so that suffices), or ``null`` to turn the check off."""
    return yaml_snippet({"guards": {"thresholds": {key: {"count": count}}}},
                        {"guards": {"thresholds": {key: None}}}, notes=[f"only if {why}:"])


TEAMS_SHOWN = 5
"""How many teams a team growth or shrink item names, the largest change first."""


def over_team_limit(limit: Growth, teams: Sequence[TeamRow], change: Callable[[TeamRow], int],
                    judged: Callable[[TeamRow], bool] = lambda t: True) -> list[TeamRow]:
    """The teams of ``teams`` linked to an IdP group (``mode`` ``link``: an existing team; a team created from a group
    has no members to compare with) and ``judged``, whose ``change`` (members added, or removed) is more than
    ``limit.count`` AND more than ``limit.percent`` of their current members (:func:`exceeds`), the largest change
    first (ties by name)."""
    return sorted((t for t in teams if t.mode == "link" and judged(t) and exceeds(limit, change(t), t.members_before)),
                  key=lambda t: (-change(t), t.name))


def teams_named(over: Sequence[TeamRow], words: Callable[[TeamRow], str]) -> str:
    """``"'Finance' (group 'Finance') 17 -> 10 (+2 -9, 52.9%); ...; and 3 more"``: the first :data:`TEAMS_SHOWN` of
    ``over`` (:func:`over_team_limit`), each with its group, its members before and after, and its change as
    ``words`` says it."""
    shown = "; ".join(f"{t.name!r} (group {t.group_name!r}) {t.members_before} -> {t.members_after} ({words(t)})"
                      for t in over[:TEAMS_SHOWN])
    return shown + (f"; and {len(over) - TEAMS_SHOWN} more" if len(over) > TEAMS_SHOWN else "")


def team_growth_guard(limit: TeamGrowth | None, teams: Sequence[TeamRow]) -> GuardVerdict:
    """``threshold.team_growth``: no team linked to an IdP group (``mode`` ``link``: an existing team) gains more
    than ``limit.count`` members and more than ``limit.percent`` of its current members (:class:`~planner.policy.
    TeamGrowth`; ``None``: off). Only the rows' final counts are read (what the pushes send, after every hold). A
    team created from a group is not judged: it has no members to compare with. Failing names up to five teams,
    the largest gain first, and its snippet raises ``count`` to the largest gain (tester20 finding 2: group
    Leadership's answer replaced by Everyone's took team Executive Dashboards from 5 to 153 members, 0 blocking)."""
    name = "threshold.team_growth"
    if limit is None:
        return passed(name, "team_growth: no limit")
    rule = f"more than {limit.count} members and more than {limit.percent:g}% of the team's members"
    over = over_team_limit(limit, teams, lambda t: t.members_added)
    if not over:
        return passed(name, f"team_growth: no linked team gains {rule}")
    shown = teams_named(over, lambda t: f"+{t.members_added}")
    return failed(name, f"team_growth: {len(over)} linked team(s) gain {rule} (guards.thresholds.team_growth): "
                        f"{shown}: {GROUP_QUESTION}",
                  yaml_snippet({"guards": {"thresholds": {"team_growth": {"count": over[0].members_added}}}},
                               notes=["only if these teams really gain this many members:"]))


SHRINK_QUESTION = ("is the IdP group's members answer whole (not the first page of a listing asked with a small limit, "
                   "nor cut by a group rule gone wrong), or do these people really leave the team?")
"""What :func:`team_shrink_guard` asks (tester21 finding 6)."""


def group_empty(team: TeamRow, directory: Directory) -> bool:
    """Whether the IdP group of ``team`` has no member at all in the IdP export (the ``teams.empty_group`` case)."""
    group = directory.groups.get(team.group_id) if team.group_id is not None else None
    return group is not None and not group.member_ids


def team_loss(team: TeamRow, limit: TeamShrink) -> str:
    """``"+2 -9, 52.9%"``: what ``team`` gains and loses, and the share of its members it loses (:func:`share_text`)."""
    added = f"+{team.members_added} " if team.members_added else ""
    before, removed = team.members_before, team.members_removed
    share = share_text(100.0 * removed / before, limit.percent) if before else "0"
    return f"{added}-{team.members_removed}, {share}%"


def team_shrink_guard(limit: TeamShrink | None, teams: Sequence[TeamRow], directory: Directory) -> GuardVerdict:
    """``threshold.team_shrink``: no team linked to an IdP group (``mode`` ``link``) loses more than ``limit.count``
    members AND more than ``limit.percent`` of its current members (:class:`~planner.policy.TeamShrink`; ``None``:
    off), counting the row's final ``teams.remove_member`` actions (the push's removals and the leftovers' alike, after
    every hold: ``members_removed``). A team whose group has no member at all in the IdP export (``directory.groups``)
    is not judged: the plan empties it only under ``teams.empty_group``'s question (blocking unless
    ``teams.confirm_empty`` names the group), one item for that doubt. Failing names up to :data:`TEAMS_SHOWN` teams,
    the largest loss first, each with its members before and after and the share lost; its snippet raises ``count``
    to the largest loss, or ``null`` turns the check off (tester21 finding 6: group Finance's answer saved as its first
    page of 10 took team Finance from 17 to 10 members, -9, with 0 blocking, under the org-wide
    ``team_member_removals``)."""
    name = "threshold.team_shrink"
    if limit is None:
        return passed(name, "team_shrink: no limit")
    rule = f"more than {limit.count} members and more than {limit.percent:g}% of the team's members"
    over = over_team_limit(limit, teams, lambda t: t.members_removed, lambda t: not group_empty(t, directory))
    if not over:
        return passed(name, f"team_shrink: no linked team loses {rule}")
    return failed(name, f"team_shrink: {len(over)} linked team(s) lose {rule} (guards.thresholds.team_shrink): "
                        f"{teams_named(over, lambda t: team_loss(t, limit))}: {SHRINK_QUESTION}",
                  growth_resolution("team_shrink", over[0].members_removed,
                                    "these teams really lose this many members"))


def linked_members(people: Iterable[Person]) -> int:
    """The active linked members of ``people`` (every person's final record): an active member linked to an IdP user
    (``link``, or a guest converted): the base of :func:`upgrades_guard`, whose upgrades only a linked member gets."""
    return sum(1 for p in people if p.member is not None and p.member.is_active and p.idp_user is not None
               and (p.status is PersonStatus.LINK or p.converted))


TYPE_SOURCE_WORDS = {"overrides": "account_types.overrides", "default": "account_types.default",
                     "idp_user_type": "the IdP's userType", "scim_state": "Sigma's SCIM state",
                     "keep": "account_types.default: keep"}
"""How an upgrades item names what gave a type no group gives (:attr:`TypeDecision.source`)."""


def upgrades_guard(limit: Upgrades | None, planned: PlannedActions, linked: int, types: Sequence[TypeDecision]
                   ) -> GuardVerdict:
    """``threshold.upgrades``: no more than ``limit.count`` or no more than ``limit.percent`` of the ``linked`` active
    linked members (:func:`linked_members`) get a ``scim.set_account_type`` upgrade (``evidence.change``
    ``upgrade``: a higher-ranked type, :func:`planner.rules.account_types.classify`: a dearer seat, more rights;
    :class:`~planner.policy.Upgrades`; ``None``: off). Failing names the :data:`SHOWN` most common transitions and
    the groups giving the new type (``types``' :attr:`TypeDecision.type_groups`; a type no group gives by its
    source: ``account_types.overrides``), and its snippet raises ``count`` to the upgrades counted (tester20
    finding 2: Sigma-Build's answer replaced by every active user's made 104 upgrades of 125 linked, 0 blocking)."""
    name = "threshold.upgrades"
    ups = [a for a in planned.of_kind(ActionKind.SCIM_SET_ACCOUNT_TYPE) if a.evidence.change == "upgrade"]
    text = (f"upgrades: {len(ups)} of {linked} active linked members{share_words(len(ups), linked, limit)} "
            "move to a higher account type")
    if limit is None:
        return passed(name, text + "; no limit")
    rule = f"more than {limit.count} and more than {limit.percent:g}%"
    if not exceeds(limit, len(ups), linked):
        return passed(name, f"{text}; blocks past {limit.count} and {limit.percent:g}%")
    giving = {d.member_id: d.type_groups for d in types if d.member_id is not None}
    moves: Counter[str] = Counter(f"{a.before.member_type} -> {a.after.user_type}" for a in ups)
    groups: Counter[str] = Counter()
    others: Counter[str] = Counter()
    for a in ups:
        given = giving.get(a.target.member_id, ())
        groups.update(given)
        if not given:
            source = a.evidence.source if isinstance(a.evidence.source, str) else ""
            others[TYPE_SOURCE_WORDS.get(source, source or "no group")] += 1
    through = []
    if groups:
        through.append(f"given by group{'s' if len(groups) > 1 else ''} {largest(groups, '{!r}')}")
    if others:
        through.append(f"by {largest(others)}")
    question = GROUP_QUESTION if groups else "is each of these dearer seats intended?"
    return failed(name, f"{text}: {rule} (guards.thresholds.upgrades): {largest(moves)}; {', '.join(through)}: "
                        f"{question}",
                  growth_resolution("upgrades", len(ups), "these people really move to a dearer account type"))


def scope_group_members(policy: Policy, directory: Directory) -> dict[str, frozenset[str]]:
    """displayName -> the IdP ids the group provisions (:meth:`~planner.directory.Directory.pushed_member_ids`), of
    each group ``scope.groups`` names (a ``re:`` pattern: every group it matches); empty when it names none."""
    out: dict[str, frozenset[str]] = {}
    for pattern in policy.scope.groups:
        for gid in directory.group_ids_matching(pattern):
            group = directory.groups[gid]
            out[group.display_name] = out.get(group.display_name, frozenset()) | frozenset(
                directory.pushed_member_ids(gid))
    return out


def creates_guard(limit: Creates | None, planned: PlannedActions, people: int, policy: Policy, directory: Directory
                  ) -> GuardVerdict:
    """``threshold.creates``: no more than ``limit.count`` or no more than ``limit.percent`` of the ``people`` active
    Sigma people (:func:`active_people`) are created (``scim.create_user``; :class:`~planner.policy.Creates`;
    ``None``: off). Failing names the :data:`SHOWN` ``scope.groups`` groups holding the most of them
    (:func:`scope_group_members`, read only then), and its snippet raises ``count`` to the creates counted (tester20
    finding 2: group Leadership's answer replaced by Everyone's, a group of ``scope.groups``, created 18 more
    accounts)."""
    name = "threshold.creates"
    created = [a.target.idp_id for a in planned.of_kind(ActionKind.SCIM_CREATE_USER)]
    text = f"creates: {len(created)} for {people} active Sigma people{share_words(len(created), people, limit)}"
    if limit is None:
        return passed(name, text + "; no limit")
    rule = f"more than {limit.count} and more than {limit.percent:g}%"
    if not exceeds(limit, len(created), people):
        return passed(name, f"{text}; blocks past {limit.count} and {limit.percent:g}%")
    if policy.scope.groups:
        wanted = frozenset(created)
        held = Counter({group: n for group, ids in scope_group_members(policy, directory).items()
                        if (n := len(ids & wanted))})
        through = (f"in scope through group{'s' if len(held) > 1 else ''} {largest(held, '{!r}')}" if held
                   else "in scope through no scope group (assigned individually: account_types.overrides)")
        question = ("does a scope group hold far more people than use Sigma (an all-staff group named by mistake, a "
                    "group rule gone wrong, another group's members saved as its answer)?")
    else:
        through = "scope.groups names no group, so every active IdP user is in scope"
        question = "should scope.groups name the groups of the people who use Sigma?"
    return failed(name, f"{text}: {rule} (guards.thresholds.creates): {through}: {question}",
                  growth_resolution("creates", len(created), "this many accounts are really to be created"))


def idp_export_guard(policy: Policy, directory: Directory, people: int) -> GuardVerdict:
    """``idp_export``: at least ``guards.min_idp_users`` active in-scope IdP users, and not fewer than
    ``guards.max_shrink_percent`` below the ``people`` active Sigma people (an export filtered by mistake)."""
    in_scope = len(directory.in_scope_idp_ids)
    floor, shrink = policy.guards.min_idp_users, policy.guards.max_shrink_percent
    if in_scope < floor:
        return failed("idp_export", f"the IdP export has {in_scope} active in-scope user(s), fewer than "
                                    f"guards.min_idp_users {floor}: is it the right file?")
    if in_scope < people * (1 - shrink / 100.0):
        return failed("idp_export", f"the IdP export has {in_scope} active in-scope user(s) for {people} active "
                                    f"Sigma people, {100 - 100.0 * in_scope / people:.1f}% fewer "
                                    f"(guards.max_shrink_percent {shrink:g}): is it filtered?")
    return passed("idp_export", f"{in_scope} active in-scope IdP user(s) for {people} active Sigma people")


def share_text(share: float, limit_percent: float | None) -> str:
    """A share (percent) as the guard's detail says it: one decimal, more (up to four) while the rounded
    figure would read as the limit it differs from (tester12 finding 7a: 10 of 140 is "7.1% is more than
    7.1%"; now "7.14%")."""
    for decimals in range(1, 5):
        text = f"{share:.{decimals}f}"
        if limit_percent is None or share == limit_percent or float(text) != limit_percent:
            return text
    return text


def limit_text(limit: Threshold) -> str:
    """``"10 and 5%"``: a threshold's limits as the guard's detail says them."""
    parts = []
    if limit.count is not None:
        parts.append(f"{limit.count}")
    if limit.percent is not None:
        parts.append(f"{limit.percent:g}%")
    return " and ".join(parts)


def admin_name(policy: Policy, directory: Directory) -> str:
    """The first ``guards.admin_account_types`` entry in the organization's spelling (``Admin`` when none)."""
    names = policy.guards.admin_account_types
    return (directory.account_type_spelling(names[0]) or names[0]) if names else "Admin"
