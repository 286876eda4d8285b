"""The app assignment: which IdP groups are assigned to the Sigma app and which are pushed as teams, decided
once, in the plan (:class:`~planner.model.AppGroup`), consistent with ``scope.groups`` (tester10 finding 11).

``scope.groups`` is the app assignment: the IdP provisions the active members of an assigned group, and
the plan treats everyone else as unassigned (``not_in_scope``: deactivated or kept as ``unmatched`` says).
The other groups the app needs are the account-type groups (``account_types.group_map``) and the team
groups (the teams the plan links or creates). Whether such a group must be assigned depends on the IdP:

- a **team group** under **Okta** is pushed without being assigned (Group Push; Okta pushes only the
  members already assigned to the app, and advises against one group for both: help.okta.com "Group Push
  prerequisites", "App assignments and Group Push"), so its members outside ``scope.groups`` are neither
  provisioned nor pushed: ``assign`` is ``False``;
- a **team group** under **Entra ID** is pushed only when it is assigned, and assigning it provisions its
  direct members (Microsoft Learn, "How application provisioning works": with "Sync only assigned users
  and groups"); Google Workspace provisions the groups of its provisioning scope (docs/sigma-api.md §6.3);
  a SCIM or generic-CSV export says nothing of its IdP, so it is read the same way (assigning provisions);
- an **account-type group** is assigned under every IdP: its assignment is what gives its members their
  type (Okta: a group assignment's User Type, docs/sigma-api.md §6.1; Entra: the app role of the group's
  assignment, §6.2).

An assigned group that holds active IdP users ``scope.groups`` leaves out would provision people the plan
deactivates (their documents already handed over) or never meant to provision: one blocking
``scope.assigned_group_outside_scope`` item per such group names the group, why it is assigned, the people
and what the plan does to each, and the choices (put the group in ``scope.groups``; for a type group, take
it out of ``account_types.group_map``; or take the people out of the group in the IdP and export again).
No person is deactivated by the plan and provisioned by the hand-off.

Nor is anyone in scope the plan decided not to provision: an active IdP user ``scope.groups`` takes in whom the
plan neither links, creates, reactivates nor keeps as SCIM has them (a guest it disables, an IdP guest it does not
create, a user ``linking.excluded_idp_users`` excludes) would be provisioned by the assignment all the same. One
informational ``scope.assigned_not_provisioned`` item lists them (:func:`not_provisioned_item`), each with what the
plan does to them (``status``) and the assigned groups that hold them (``groups``): ``sigma-migrate handoff`` lays it
out as the people the IdP must not provision (tester12 finding 11: the hand-off assigned a group holding a guest the
plan disables). A person held for a blocking question is not listed: that item names them, and the plan is not
approvable until it is answered (a draft hand-off names them as waiting on it, :func:`planner.handoff.held_rows`).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field

from ..directory import Directory, Person, PersonStatus
from ..model import AppGroup, ItemEvidence, ItemRef, ReviewItem, TeamRow
from ..policy import REGEX_PREFIX, Policy, group_pattern_matcher
from . import make_review, person_ref, yaml_snippet

OUTSIDE_SCOPE = "scope.assigned_group_outside_scope"
"""The code of the blocking item of an assigned group holding people ``scope.groups`` leaves out."""

_IDP_NAMES = {"entra": "Entra ID", "google": "Google Workspace", "okta": "Okta"}


def pushes_without_assignment(idp_format: str) -> bool:
    """Whether the IdP of export format ``idp_format`` pushes a group as a team without the group being
    assigned to the app: Okta does (Group Push, help.okta.com "App assignments and Group Push"); Entra ID
    pushes assigned groups only; Google Workspace, SCIM and generic exports are read as Entra is."""
    return idp_format.split("-")[0] == "okta"


@dataclass
class _Entry:
    """One group the app needs while the rows are gathered: the policy spelling, and the group ids it is."""

    spelling: str
    scope: bool = False
    team: str | None = None
    account_type: str | None = None
    group_ids: set[str] = field(default_factory=set)


def app_groups(policy: Policy, directory: Directory, team_rows: Iterable[TeamRow], people: Iterable[Person],
               deactivated: Collection[str], review_items: Iterable[ReviewItem] = ()
               ) -> tuple[tuple[AppGroup, ...], list[ReviewItem]]:
    """The :class:`~planner.model.AppGroup` rows of the plan (sorted by group, letter case aside) and its items:
    the blocking ``scope.assigned_group_outside_scope`` items of the assigned ones holding active IdP users
    ``scope.groups`` leaves out (``deactivated``: the memberIds the plan deactivates; ``people``: to name each
    one's member), and the ``scope.assigned_not_provisioned`` item of the people in scope the plan does not
    provision (:func:`not_provisioned_item`; ``review_items``: the plan's, to name what holds each held one).
    Pure; raises nothing."""
    entries = _entries(policy, directory, team_rows)
    okta = pushes_without_assignment(directory.idp_format)
    members = {p.idp_id: p for p in people if p.idp_id is not None}
    rows, items = [], []
    assigned: list[_Entry] = []
    for entry in sorted(entries.values(), key=lambda e: (e.spelling.casefold(), e.spelling)):
        outside = () if entry.scope or not policy.scope.groups else _outside_scope(directory, entry.group_ids)
        assign = entry.scope or entry.account_type is not None or not okta
        pattern = entry.spelling.startswith(REGEX_PREFIX)
        row = AppGroup(group=entry.spelling[len(REGEX_PREFIX):] if pattern else entry.spelling,
                       match="pattern" if pattern else "name", assign=assign, scope=entry.scope, team=entry.team,
                       account_type=entry.account_type, outside_scope=outside)
        rows.append(row)
        if assign:
            assigned.append(entry)
        if assign and outside:
            items.append(outside_scope_item(entry.spelling, row, directory, members, deactivated, policy))
    excluded = {directory.find_idp_id(ref) for ref in policy.linking.excluded_idp_users}
    unprovisioned = not_provisioned_item(directory, assigned, members, review_items, excluded)
    return tuple(rows), items + ([unprovisioned] if unprovisioned is not None else [])


NOT_PROVISIONED = "scope.assigned_not_provisioned"
"""The code of the item of the people in scope whom the plan does not provision (:func:`not_provisioned_item`)."""

PROVISIONED_STATUSES = frozenset({PersonStatus.LINK, PersonStatus.CREATE, PersonStatus.REACTIVATE,
                                  PersonStatus.SCIM_KEPT})
"""The statuses of a person whose IdP user the plan provisions: linked (a converted guest too), created,
reactivated then linked, or kept as Sigma's SCIM state has them (:class:`~planner.directory.PersonStatus`)."""

PROVISIONED_OR_HELD = PROVISIONED_STATUSES | {PersonStatus.HELD, PersonStatus.REHIRE}
"""The statuses :func:`not_provisioned_item` leaves out: provisioned, or held for a blocking question (``held``; a
``rehire``, held by ``linking.rehire``), which names them."""

_FATES = {PersonStatus.GUEST_DISABLED: "guest disabled (members.disable_guest)",
          PersonStatus.IDP_GUEST: "IdP guest, not created (guests.create_from_idp)"}
"""What the plan does to a person in scope it does not provision, by status (a held one: :func:`_fate_of`)."""


def not_provisioned_item(directory: Directory, assigned: Iterable[_Entry], people: Mapping[str, Person],
                         review_items: Iterable[ReviewItem], excluded: Collection[str | None] = ()
                         ) -> ReviewItem | None:
    """The informational ``scope.assigned_not_provisioned`` item (``None``: nobody) of the active IdP users in scope
    (:attr:`~planner.directory.Directory.in_scope_idp_ids`: the assignment provisions them) whose person
    (``people``, by IdP id) has none of :data:`PROVISIONED_OR_HELD` and whom no blocking item of ``review_items``
    names (a held person waits on that item: :func:`held_idp_ids`), sorted by userName: each candidate names them,
    what the plan does (``status``: :data:`_FATES`, ``excluded (linking.excluded_idp_users)`` for one of
    ``excluded``, the IdP ids that policy key names) and the displayNames of the ``assigned`` groups that hold them
    (``groups``; empty when the scope is every active user). One pass over the memberships of the assigned groups
    when anyone is listed; none otherwise. The people are read in ``people``'s order, the users with none found
    by a set difference (was: each in-scope id looked up in the set's order, 110k lookups scattered over memory,
    twice the time at 100k members; s22)."""
    in_scope = directory.in_scope_idp_ids
    left = set(in_scope.difference(people))  # no person
    left.update(i for i, p in people.items() if p.status not in PROVISIONED_OR_HELD and i in in_scope)
    if left:
        left -= held_idp_ids(review_items, left, people)
    if not left:
        return None
    groups: dict[str, set[str]] = {}
    for entry in assigned:
        for g in entry.group_ids:
            if g in directory.groups:
                name = directory.groups[g].display_name
                for i in left.intersection(directory.pushed_member_ids(g)):
                    if (found := groups.get(i)) is None:
                        groups[i] = {name}
                    else:
                        found.add(name)
    candidates = []
    for i in sorted(left, key=lambda i: (directory.scim_user_names[i].casefold(), i)):
        person = people.get(i)
        member = person.member if person is not None else None
        candidates.append(person_ref(member.member_id if member else None, member.email if member else None, i,
                                     directory.scim_user_names[i],
                                     groups=sorted(groups.get(i, ()), key=str.casefold) or None,
                                     status=_fate_of(person, i in excluded)))
    named = ", ".join(str(c.user_name) for c in candidates[:3])
    more = f" and {len(candidates) - 3} more" if len(candidates) > 3 else ""
    return make_review(
        NOT_PROVISIONED, "scope", blocking=False,
        subject=ItemRef(kind="app assignment"),
        message=(f"{len(candidates)} active IdP user(s) in scope not provisioned by this plan (each one's status "
                 f"says why): {named}{more}; the groups assigned to the Sigma app would provision them: take them "
                 "out first (handoff: not_provisioned.csv)"),
        rule="scope.groups", candidates=candidates,
        evidence=ItemEvidence(members=len(candidates)))


def held_idp_ids(review_items: Iterable[ReviewItem], left: Collection[str], people: Mapping[str, Person]
                 ) -> set[str]:
    """The IdP ids of ``left`` whom a blocking item of ``review_items`` names in its subject, by IdP id or by their
    member's memberId (one, or one of several): the people held for a question (as
    :func:`planner.planning.hold_questioned` reads a subject)."""
    member_of = {p.member_id: i for i in left if (p := people.get(i)) is not None and p.member_id is not None}
    found: set[str] = set()
    for r in review_items:
        if not r.blocking:
            continue
        s = r.subject
        found.update(i for i in (s.idp_id, *(s.idp_ids or ())) if i.__class__ is str and i in left)
        found.update(member_of[m] for m in (s.member_id, *(s.member_ids or ())) if m.__class__ is str and m in member_of)
    return found


def _fate_of(person: Person | None, excluded: bool) -> str:
    """What the plan does to a person in scope it does not provision (``None``: no person was made of the IdP
    user), in words; ``excluded``: ``linking.excluded_idp_users`` names them."""
    if excluded:
        return "excluded (linking.excluded_idp_users)"
    if person is not None and person.status in _FATES:
        return _FATES[person.status]
    return f"not provisioned ({person.status.value if person is not None else 'neither linked nor created'})"


def _entries(policy: Policy, directory: Directory, team_rows: Iterable[TeamRow]) -> dict[str, _Entry]:
    """The groups the app needs by policy spelling: ``scope.groups``, ``account_types.group_map`` keys, and
    the group of each team the plan links or creates (its displayName), each with the group ids it names."""
    matchers = [group_pattern_matcher(p) for p in policy.scope.groups]
    entries: dict[str, _Entry] = {}

    def entry(spelling: str) -> _Entry:
        if spelling not in entries:
            entries[spelling] = _Entry(spelling, scope=spelling in policy.scope.groups or (
                not spelling.startswith(REGEX_PREFIX) and any(m(spelling) for m in matchers)),
                group_ids=set(directory.group_ids_matching(spelling)))
        return entries[spelling]

    for spelling in policy.scope.groups:
        entry(spelling)
    for spelling, account_type in policy.account_types.group_map.items():
        entry(spelling).account_type = account_type
    for t in team_rows:
        if t.mode in ("link", "create") and t.group_name:
            e = entry(t.group_name)
            e.team = t.name
            if t.group_id:
                e.group_ids.add(t.group_id)
    return entries


def _outside_scope(directory: Directory, group_ids: Iterable[str]) -> tuple[str, ...]:
    """The active IdP users the groups ``group_ids`` provision when assigned
    (:meth:`~planner.directory.Directory.pushed_member_ids`) whom ``scope.groups`` leaves out, sorted."""
    active, in_scope = directory.active_idp_ids, directory.in_scope_idp_ids
    return tuple(sorted({i for g in group_ids if g in directory.groups for i in directory.pushed_member_ids(g)
                         if i in active and i not in in_scope}))


def _why_assigned(row: AppGroup, idp_format: str) -> str:
    """Why ``row`` must be assigned to the app, in words (the module docstring's rules)."""
    if row.account_type is not None:
        return (f"it gives account type {row.account_type} (account_types.group_map): a group assignment is what "
                "gives its members their type (docs/sigma-api.md §6.1, §6.2)")
    family = idp_format.split("-")[0]
    if family == "google":
        return (f"it is the group of team '{row.team}': Google Workspace provisions the members of the groups of "
                "its provisioning scope, which the team's group must be in to be pushed, if Google pushes groups "
                "at all (docs/sigma-api.md §6.3)")
    idp = _IDP_NAMES.get(family, "the IdP (a SCIM or generic export: read as Entra ID)")
    return (f"it is the group of team '{row.team}': {idp} pushes a group as a team only when the group is "
            "assigned to the app, which provisions its members")


def _fate(person: Person | None, deactivated: Collection[str]) -> str:
    """What the plan does to the member of an IdP user ``scope.groups`` leaves out."""
    if person is None or person.member_id is None:
        return "not provisioned"
    return "deactivated" if person.member_id in deactivated else "kept unassigned"


def outside_scope_item(spelling: str, row: AppGroup, directory: Directory, people: Mapping[str, Person],
                       deactivated: Collection[str], policy: Policy) -> ReviewItem:
    """The blocking ``scope.assigned_group_outside_scope`` item of assigned group ``row`` (policy spelling
    ``spelling``): its active members outside ``scope.groups``, each with what the plan does to them
    (``status``: ``deactivated``, ``kept unassigned``, ``not provisioned``), and the choices."""
    candidates = []
    for idp_id in row.outside_scope:
        user, person = directory.idp_users[idp_id], people.get(idp_id)
        member = person.member if person is not None else None
        candidates.append(person_ref(member.member_id if member else None, member.email if member else None,
                                     idp_id, user.user_name, status=_fate(person, deactivated)))
    fates = [c.status for c in candidates]
    named = ", ".join(f"{c.user_name} ({c.status})" for c in candidates[:5])
    more = f" and {len(candidates) - 5} more" if len(candidates) > 5 else ""
    kind = "account-type group" if row.account_type is not None else "team group"
    message = (f"{kind} '{spelling}' must be assigned to the Sigma app ({_why_assigned(row, directory.idp_format)}), "
               f"and it holds {len(candidates)} active IdP user(s) scope.groups leaves out, whom that assignment "
               f"would provision: {named}{more}; the plan treats them as unassigned "
               f"({fates.count('deactivated')} deactivated): put the group in scope.groups, "
               + ("take it out of account_types.group_map, " if row.account_type is not None else "")
               + "or take them out of the group in the IdP and export again")
    alternatives = []
    if row.account_type is not None:
        alternatives.append({"account_types": {"group_map": {
            k: v for k, v in policy.account_types.group_map.items() if k != spelling}}})
    resolution = yaml_snippet(
        {"scope": {"groups": [*policy.scope.groups, spelling]}}, *alternatives,
        notes=[f"'{spelling}' in scope.groups: its members are provisioned (linked, not deactivated)",
               "or, outside the policy: take them out of the group in the IdP (or into a scope group), "
               "export again and plan again"])
    return make_review(
        OUTSIDE_SCOPE, spelling, blocking=True,
        subject=ItemRef(group_display_name=spelling, kind=kind, **({"name": row.team} if row.team else {})),
        message=message, rule=OUTSIDE_SCOPE, candidates=candidates,
        evidence=ItemEvidence(groups=[spelling], members=len(candidates), kind=kind,
                              **({"account_type": row.account_type} if row.account_type else {})),
        resolution=resolution)
