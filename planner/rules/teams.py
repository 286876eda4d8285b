"""Teams <-> IdP groups: which group becomes which team, memberships, leftovers, unmanaged teams.

Sigma turns a pushed IdP group into a team, and a push of a group whose name
is an existing team must **link** it (Okta's Link Group) or it is created
(docs/sigma-api.md §6.1). Rules, in order:

1. ``teams.map`` (team name -> group displayName) wins; a team it names is
   not matched by the rules;
2. ``teams.rules`` for the other groups, first rule that yields a team wins:
   ``exact`` (displayName == team name), ``case_insensitive``, ``regex``
   (``pattern`` fully matches the displayName, ``replace`` makes the team name);
3. a regex rule whose team does not exist is created with ``mode: create``, reported with
   ``mode: link``; a map entry naming no active team or no group is a blocking
   ``policy.unknown_reference`` (:mod:`.policy_refs`, a typo: did you mean ...), or for a team known to be gone
   the blocking ``teams.map_team_missing`` (:func:`map_team_missing_item`): its group is neither linked nor created;
4. two groups for one team, or one group matching two teams, are blocking
   review items (nothing is linked on a guess); so is a group linking a team another active team's name equals
   letter case aside, or creating a team beside such a twin (:func:`case_twins`: the IdP finds the team by a
   ``displayName`` filter, which ignores case), whichever rule gives the name; and so is a group linking or
   creating a team while another IdP group has its displayName letter case and surrounding white space aside
   (:func:`group_twins`, a ``teams.conflict``; ``check``'s ``duplicate-group-name`` names the same groups);
5. a group no rule gives an active team of its own whose name rule finds an archived team
   (``teams.archived_team``), or whose name only looks like an active team's or a ``scope.groups``
   name (``teams.look_alike_group``: ``Fіnance`` with a Cyrillic ``і``), is held by a blocking item:
   neither linked nor created.

For each linked or created team the new membership is the group's members
(nested groups flattened with cycles walked once, when ``teams.flatten_nested``)
who will be provisioned;
members of a linked team who are not in the group (leftovers) are removed by the group's push when
its SCIM group holds them as it runs (:func:`removed_by_push`: a ``teams.remove_member`` naming the push,
which sends nothing and checks they are gone); the others stay after SCIM (docs/sigma-api.md
§5.4), so they get REST ``teams.remove_member`` actions (``leftovers: remove``) or an
informational item (``report``); nothing in the plan adds them back. Members
who are inactive or archived cannot be removed through the API (docs/sigma-api.md
§3.3) and are reported, as are memberships of a memberId missing from the
members export (state ``unknown``) and of members a blocking review
item holds (state ``held``: what happens to them is not decided yet, :func:`planner.planning.hold_questioned`; a
push whose team's SCIM group lists them keeps them in its member list, :func:`held_kept`). Active teams no group
maps to become **unmanaged**.
A group with no members mapped to a team that has members would empty the team: a blocking
``teams.empty_group`` item unless ``teams.confirm_empty`` names the group (:func:`empty_group_item`).
A Sigma export with no team at all while the organization has members and groups would become new
teams is a blocking ``teams.empty_export`` item unless ``teams.confirm_no_teams`` is true
(:func:`empty_export_item`).

With ``flatten_nested`` off the IdP pushes direct members only (Entra ID
provisioning never expands nested groups; Okta groups do not nest), so a team
member who is in the group only through a nested group is no plain leftover:
``teams.nested_only`` decides (``review``: a blocking ``teams.nested_only``
item naming the nested group each is reachable through; ``leftovers``: removed
or reported as leftovers, the reason naming it; ``keep``: kept, reported).
An Entra ID export is planned the same way for team memberships even with
``flatten_nested`` on (the default; account types and scope still flatten):
Entra ID provisions only the direct members of an assigned group (Microsoft
Learn, "Scoping users or groups to be provisioned": nested groups are not
supported), so team members reachable only through nesting go through
``teams.nested_only`` as above, and provisioned people not in the team whom
flattening would add are not added: a ``teams.nested_not_pushed`` item names
them (blocking under ``review``; ``keep`` or ``leftovers`` settle it).

A group may list members the IdP never provisions (a Google group's members of another domain than the
export's users, docs/formats.md §4c; an Entra group's mail contacts, §3e:
:attr:`~planner.directory.Group.outside_members`). An
active Sigma member with such an email is neither linked nor removed from the group's team on a guess:
``teams.outside_members`` decides (``review``: a blocking ``teams.outside_member`` item naming the
group, each email and member, nobody removed or added; ``keep``: kept, the item informational;
``leftovers``: removed or reported as leftovers) (:func:`outside_member_item`).

A group that would become a **new** team (created, or not created under
``mode: link``) by a name rule while it shares at least ``teams.rename_percent`` (default 50) of its
members and of an unmanaged team's members is a likely **rename** of the group after the team was made:
a blocking ``teams.likely_rename`` item naming both and the overlap ("19 of 24 members ... (79%)")
replaces the create, settled by ``teams.map`` (link the old team), by ``teams.confirm_new_teams`` (a team
of its own: created, the item informational) or by archiving the old team. A smaller overlap, at least
half of ``teams.rename_percent`` of both, is the informational ``teams.possible_rename`` beside the
create: no cut-off hides a rename in silence (tester8 finding 7). A group
no rule maps at all that holds an unmanaged team's people is named in the
``teams.unmanaged`` item (nothing is created for it).

Each rule is a pure function of the :class:`~planner.directory.Directory`, the ``teams`` policy
section and :class:`TeamPeople` (the people's final statuses, :func:`team_people`):
:func:`assign_groups` gives each IdP group its :class:`Assignment`; :func:`decide_team` turns one
assignment into a :class:`TeamDecision` (the link or create, the members pushed, the removals, the
items); :func:`likely_renames` and :func:`decide_unmanaged` weigh the teams no group maps to.
:func:`planner.planning.fold_teams` folds them into the plan (step 11).
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from itertools import chain, filterfalse
from operator import attrgetter
from typing import Collection, Iterable, Mapping, Sequence

import msgspec

from ..did_you_mean import LookAlikes, look_alike_differences
from ..directory import Directory, Group, GroupCycle, Person, PersonStatus, ScimState, pushes_direct_members_only
from ..model import (
    Action, ActionKind, AppliedTeam, ItemEvidence, ItemRef, ReviewItem, ScimGroup, SigmaTeam, TeamRow, email_key,
    outside_words,
)
from ..payloads import (
    UNSET,
    DisplayNameState,
    GroupEvidence,
    GroupMembersAfter,
    GroupMembersBefore,
    GroupTarget,
    RemoveMemberEvidence,
    TeamMemberBefore,
    TeamMemberTarget,
    TeamNameState,
)
from ..policy import REGEX_PREFIX, Policy, PolicyPattern, Teams, TeamRule, compile_pattern, group_pattern_matcher
from ..sources.values import clean_text, shared_group_names, team_name_key, unclean_name_parts
from . import action_id, make_action, make_review, outside_policy, yaml_snippet
from .policy_entries import EntryUse
from .since_applied import HandChange, team_changes

IDP_NAMES = {"okta": "Okta", "entra": "Entra ID", "google": "Google Workspace"}
"""Display name of an IdP by the prefix of its export format (``entra-csv`` -> Entra ID)."""



def idp_name(idp_format: str) -> str:
    """``"Entra ID"`` for ``entra-graph``, ``"the IdP"`` for a format without a known vendor."""
    return IDP_NAMES.get(idp_format.split("-")[0], "the IdP")


def nesting_note(idp_format: str, flatten: bool) -> str:
    """How the plan counts nested groups, in the words of this IdP: Okta groups never nest;
    Entra ID provisioning pushes direct members only (docs/formats.md §3b, §3e)."""
    vendor = idp_format.split("-")[0]
    if flatten:
        return "their members are flattened once"
    if vendor == "entra":
        return ("teams.flatten_nested is off and Entra ID provisioning pushes only direct members, "
                "so only each group's direct members count")
    return "teams.flatten_nested is off, so only each group's direct members count"


# --------------------------------------------------------------------------- records


@dataclass(frozen=True, slots=True)
class Assignment:
    """One IdP group -> one team (existing ``team_id``, or ``None`` = create ``name``)."""

    group_id: str
    group_name: str
    name: str
    team_id: str | None
    rule: str


class PushedUser(msgspec.Struct, frozen=True, gc=False):
    """A provisioned IdP user as a group push carries them: ``member_id`` (``None`` for a user
    ``scim.create_user`` creates), the SCIM ``user_name`` sent, and ``action_id``, the link or
    create that provisions them (the push waits for it). One per provisioned person: a Struct,
    built in C."""

    member_id: str | None
    user_name: str
    action_id: str


@dataclass(frozen=True, slots=True)
class TeamPeople:
    """The people's final statuses as this family reads them, by IdP id.

    ``member_ids``: the memberId each IdP user is linked to, whatever its status (a suspended user
    still in a group is no leftover); ``pushed``: the users who end provisioned (``link``,
    ``reactivate``, ``create``; ``scim_kept``: a SCIM-managed member kept active over the export's status,
    :func:`planner.rules.scim_state.kept_by_scim_state`, pushed with SCIM's userName after no action);
    ``held``: memberIds a blocking review item holds (never removed); ``links``: the :class:`PushedUser` of
    each member who ends provisioned (``link``, ``reactivate``, ``scim_kept``), by memberId.
    """

    member_ids: Mapping[str, str]
    pushed: Mapping[str, PushedUser]
    held: frozenset[str]
    links: Mapping[str, PushedUser] = field(default_factory=dict)
    scim_kept: frozenset[str] = frozenset()
    """memberIds of the ``scim_kept`` people (:func:`planner.rules.scim_state.kept_by_scim_state`): a team's
    SCIM group that lists one keeps them (:attr:`Leftovers.scim_kept`), whatever the export's group says."""
    unpushed: Mapping[str, str] = field(default_factory=dict)
    """memberId -> why the plan does not provision them (:data:`NOT_PUSHED_BECAUSE`), for each linked member
    whose status is none of the pushed ones nor held: a group holding them leaves them out of its push."""
    left_behind: Mapping[str, str] = field(default_factory=dict)
    """memberId -> ``linking.second_accounts``' word (``""`` not said, ``keep``, ``deactivate``) for each member a
    userName change in the IdP left behind (:func:`planner.rules.unmatched.second_accounts`): SCIM provisioned it,
    but its SCIM user is the new member's now, so its team memberships are no pre-SCIM members' (tester11 finding
    5): held while the ``scim.second_account`` question is open (its person is ``held``:
    :func:`planner.planning.hold_questioned`), kept for ``keep`` (state ``kept``: nothing is planned for it), removed
    through the REST API for ``deactivate`` (:func:`removal_action`)."""


@dataclass(frozen=True, slots=True)
class GroupPush:
    """What the IdP pushes for one group.

    ``size``: its users (flattened as :attr:`planner.directory.Group.member_ids` has them);
    ``pushed``: the provisioned ones, in the group's member order; ``holds``: the memberIds of
    every user it holds, provisioned or not. Users the IdP never pushes (reachable only through a
    nested group, :attr:`~planner.directory.Group.nested_only`) are in neither.
    """

    size: int
    pushed: tuple[PushedUser, ...]
    holds: frozenset[str]


@dataclass(frozen=True, slots=True)
class Leftover:
    """A team member the team's group does not push: ``state`` is ``active``, ``inactive``,
    ``archived``, ``unknown`` (missing from the members export) or ``held`` (a blocking review
    item); only ``active`` ones can be removed. ``through``: the nesting path (displayNames) when
    the member is in the group only through a nested group, else empty. ``scim_managed``: Sigma's SCIM
    state lists the member as a provisioned user (linked ``by scim``), so a removal it needs is of a
    membership SCIM does not manage, not of a pre-SCIM member (:func:`removal_action`)."""

    member_id: str
    email: str | None
    is_team_admin: bool
    state: str
    through: tuple[str, ...] = ()
    scim_managed: bool = False
    unprovisioned: str = ""
    """Why the plan does not provision a member the group holds (:attr:`TeamPeople.unpushed`), whom the push
    therefore leaves out (:func:`unprovisioned_leftovers`); empty for a member the group does not hold."""
    left_behind: bool = False
    """A member a userName change in the IdP left behind (:attr:`TeamPeople.left_behind`): SCIM provisioned it,
    it is no pre-SCIM member (:func:`removal_action`)."""


@dataclass(frozen=True, slots=True)
class Leftovers:
    """A linked team's leftovers by what happens to them: ``nested`` (``teams.nested_only``
    decides: not removed), ``removed`` (``teams.remove_member`` through the REST API), ``reported``
    (the ``teams.leftovers`` item), ``pushed_out`` (removed by the group's push,
    :func:`removed_by_push`: a ``teams.remove_member`` that sends nothing and checks they are gone),
    ``outside`` (active members the group lists by an address of another domain:
    ``teams.outside_members`` decides, not removed)."""

    nested: tuple[Leftover, ...] = ()
    removed: tuple[Leftover, ...] = ()
    reported: tuple[Leftover, ...] = ()
    pushed_out: tuple[Leftover, ...] = ()
    outside: tuple[Leftover, ...] = ()
    scim_kept: tuple[Leftover, ...] = ()
    """Active ``scim_kept`` members (:attr:`TeamPeople.scim_kept`) the export's group does not list but the
    team's SCIM group does: Sigma's SCIM state, which the policy says is newer, has them in the team, so the
    push keeps them (:func:`set_members_action` ``scim_keeps``), never a removal."""


@dataclass(frozen=True, slots=True)
class TeamDecision:
    """What this family decides for one assignment (or for the unmanaged teams): ``actions`` (the
    group's link or create, its ``scim.set_group_members``, the ``teams.remove_member`` removals),
    ``review_items`` and the report's team ``rows``."""

    actions: tuple[Action, ...] = ()
    review_items: tuple[ReviewItem, ...] = ()
    rows: tuple[TeamRow, ...] = ()
    joining: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    """The people each push adds to its team, by the push's id: the :func:`~planner.model.email_key` of each
    userName it sends for people not in the team yet, to that userName (:func:`push_joiners`), which
    :func:`row_of_final_actions` counts in the push as finally planned (:func:`still_sent`)."""


# --------------------------------------------------------------------------- the people


NOT_PUSHED_BECAUSE: Mapping[PersonStatus, str] = {
    PersonStatus.LEAVER: "their IdP user is not active",
    PersonStatus.NOT_IN_SCOPE: "their IdP user is in no group of scope.groups",
    PersonStatus.GUEST: "a guest member the plan does not convert",
}
"""Why a linked member of one of these statuses is not provisioned, in a removal's reason (:class:`TeamPeople`
``unpushed``; other statuses are pushed, held, disabled or not active in Sigma)."""

DEACTIVATED_TOO = " and the plan deactivates them"
"""Added to :data:`NOT_PUSHED_BECAUSE`'s reason for a member the plan deactivates (:func:`team_people`)."""


def team_people(people: Iterable[Person], deactivated: Collection[str] = frozenset(),
                left_behind: Mapping[str, str] | None = None) -> TeamPeople:
    """The :class:`TeamPeople` of the final statuses (linking, folded with guests and
    :func:`~planner.rules.scim_state.kept_by_scim_state`): a ``link`` or ``reactivate`` is pushed after its
    ``scim.link_user``, a ``create`` after its ``scim.create_user``, a ``scim_kept`` member (provisioned
    already, SCIM keeps them active) after nothing (``action_id`` empty). ``deactivated``: the memberIds the
    plan deactivates (:func:`planner.planning.deactivated_by`): ``unpushed`` as any other person the plan does
    not provision, the reason saying the plan deactivates them. Whether a push removes them is
    :func:`removed_by_push`'s alone: a deactivation leaves the team membership as it is (a REST one, wave 1:
    the team's SCIM group does not list them, so nothing removes it), but once the team's SCIM group lists a
    person, the push's member list, which leaves out whoever the plan does not provision, removes them: a
    ``teams.remove_member`` naming the push, on their row and counted (tester10 finding 7: a re-plan's 12
    pushes removed 32 memberships of people ``scim.deactivate_user`` deactivates, "0 member removals").
    ``left_behind``: :attr:`TeamPeople.left_behind`."""
    member_ids: dict[str, str] = {}
    pushed: dict[str, PushedUser] = {}
    links: dict[str, PushedUser] = {}
    left_behind = dict(left_behind or {})
    held: set[str] = set()
    unpushed: dict[str, str] = {}
    scim_kept: set[str] = set()
    link, reactivate, create, hold = PersonStatus.LINK, PersonStatus.REACTIVATE, PersonStatus.CREATE, PersonStatus.HELD
    kept = PersonStatus.SCIM_KEPT
    # the ids' "<kind>:" prefixes, read once: one concatenation per person
    linked_by, created_by = action_id(ActionKind.SCIM_LINK_USER, ""), action_id(ActionKind.SCIM_CREATE_USER, "")
    for p in people:
        member, user, status = p.member, p.idp_user, p.status
        mid = member.member_id if member is not None else None
        if status is hold and mid is not None:
            held.add(mid)
        if user is None:
            continue
        iid = user.id
        if mid is not None:
            member_ids[iid] = mid
        if status is link or status is reactivate:
            pushed[iid] = links[mid] = PushedUser(mid, p.user_name, linked_by + mid)
        elif status is create:
            pushed[iid] = PushedUser(None, p.user_name, created_by + iid)
        elif status is kept:
            pushed[iid] = links[mid] = PushedUser(mid, p.user_name, "")
            scim_kept.add(mid)
        elif mid is not None and status in NOT_PUSHED_BECAUSE:
            unpushed[mid] = NOT_PUSHED_BECAUSE[status] + (DEACTIVATED_TOO if mid in deactivated else "")
    return TeamPeople(member_ids, pushed, frozenset(held), links, frozenset(scim_kept), unpushed, left_behind)


_MEMBER_ID = attrgetter("member_id")


def group_push(group: Group, people: TeamPeople) -> GroupPush:
    """What the IdP pushes for ``group`` (see :class:`GroupPush`)."""
    ids = pushed_ids(group)
    # map over dict.get and filter(None, ...) run in C
    return GroupPush(len(group.member_ids), tuple(filter(None, map(people.pushed.get, ids))), group_holds(ids, people))


def pushed_ids(group: Group) -> tuple[str, ...] | list[str]:
    """The IdP ids of the users the IdP may push for ``group``: all of :attr:`~planner.directory.Group.member_ids`
    but those reachable only through nesting (:attr:`~planner.directory.Group.nested_only`)."""
    if group.nested_only:
        return [i for i in group.member_ids if i not in group.nested_only]
    return group.member_ids


def group_holds(ids: Iterable[str], people: TeamPeople) -> frozenset[str]:
    """The memberIds linked to the IdP users ``ids`` (:func:`pushed_ids`), provisioned or not
    (:attr:`GroupPush.holds`; a memberId is never empty: :func:`planner.planning.check_snapshot`)."""
    return frozenset(filter(None, map(people.member_ids.get, ids)))


def team_member_ids(team_id: str | None, directory: Directory) -> list[str]:
    """The memberIds of team ``team_id`` as exported, sorted (none for a team to create)."""
    if team_id is None:
        return []
    return sorted(map(_MEMBER_ID, directory.team_members.get(team_id, ())))


def membership_state(member_id: str, directory: Directory, people: TeamPeople) -> str:
    """``unknown`` (a memberId the members export does not have: Sigma's system member, or a member
    exported without includeArchived/includeInactive), ``inactive``, ``archived``, ``held``, ``kept`` (a member a
    userName change left behind that ``linking.second_accounts`` keeps, :attr:`TeamPeople.left_behind`) or
    ``active``."""
    member = directory.members.get(member_id)
    if member is None:
        return "unknown"
    if member.is_inactive:
        return "inactive"
    if member.is_archived:
        return "archived"
    if member_id in people.held:
        return "held"
    return "kept" if people.left_behind.get(member_id) == "keep" else "active"


# --------------------------------------------------------------------------- groups -> teams


@dataclass(frozen=True, slots=True)
class FreeTeams:
    """The active teams ``teams.map`` does not claim, as the name rules look them up: ``by_name``
    (name -> teamIds), and ``(name as typed, teamId)`` pairs ``by_clean_name`` (only names that
    cleaning changes) and ``by_folded_name`` (by :func:`~planner.sources.values.team_name_key`). Sigma
    team names as typed may carry stray spaces or control characters (issue 14 item 1): a group finds
    such a team by its clean name, and the link sends the team's exact name so Sigma links it."""

    by_name: Mapping[str, tuple[str, ...]]
    by_clean_name: Mapping[str, tuple[tuple[str, str], ...]]
    by_folded_name: Mapping[str, tuple[tuple[str, str], ...]]


def active_team_ids_by_name(directory: Directory) -> dict[str, list[str]]:
    """``{team name: teamIds}`` of the teams that are not archived, in export order."""
    out: dict[str, list[str]] = {}
    for t in directory.teams.values():
        if not t.is_archived:
            out.setdefault(t.name, []).append(t.team_id)
    return out


def free_teams(team_ids_by_name: Mapping[str, list[str]], claimed: set[str]) -> FreeTeams:
    """The :class:`FreeTeams` of ``team_ids_by_name`` (:func:`active_team_ids_by_name`) but ``claimed``."""
    by_name = {n: tuple(t) for n, t in team_ids_by_name.items() if n not in claimed}
    cleaned: dict[str, list[tuple[str, str]]] = {}
    folded: dict[str, list[tuple[str, str]]] = {}
    for name, tids in by_name.items():
        clean, key = clean_text(name), team_name_key(name)
        for tid in tids:
            folded.setdefault(key, []).append((name, tid))
            if clean != name:
                cleaned.setdefault(clean, []).append((name, tid))
    return FreeTeams(by_name, {k: tuple(v) for k, v in cleaned.items()}, {k: tuple(v) for k, v in folded.items()})


def exact_matches(group_id: str, group_name: str, team_name: str, rule_id: str, free: FreeTeams) -> list[Assignment]:
    """Assignments of group ``group_id`` to the free teams named ``team_name``, or whose name is it once cleaned."""
    return ([Assignment(group_id, group_name, team_name, tid, rule_id) for tid in free.by_name.get(team_name, ())]
            or [Assignment(group_id, group_name, n, tid, rule_id)
                for n, tid in free.by_clean_name.get(clean_text(team_name), ())])


def rule_matches(rule: TeamRule, rule_id: str, pattern: PolicyPattern | None, group_id: str, group_name: str,
                 free: FreeTeams) -> list[Assignment]:
    """The teams one ``teams.rules`` entry finds for a group (``pattern``: a regex rule's, compiled):
    ``exact``, ``case_insensitive`` (names of one :func:`~planner.sources.values.team_name_key`), or
    ``regex`` (a full match; the team ``replace`` names is created when no free team has that name)."""
    if rule.match == "exact":
        return exact_matches(group_id, group_name, group_name, rule_id, free)
    if rule.match == "case_insensitive":
        return [Assignment(group_id, group_name, n, tid, rule_id)
                for n, tid in free.by_folded_name.get(team_name_key(group_name), ())]
    match = pattern.fullmatch(group_name)
    if not match:
        return []
    # as the rule makes it: a name that is not clean is an item, never cleaned silently (unclean_name_item)
    target = match.expand(rule.replace) if rule.replace is not None else group_name
    return (exact_matches(group_id, group_name, target, rule_id, free)
            or [Assignment(group_id, group_name, target, None, rule_id)])


def map_candidates(policy: Teams, group_ids_by_name: Mapping[str, list[str]],
                   team_ids_by_name: Mapping[str, list[str]]) -> tuple[dict[str, list[Assignment]], set[str]]:
    """``teams.map``: ``({group id: candidate assignments}, team names it claims)``. An entry whose
    group is missing claims nothing; one whose key names no active team is a typo, never a team to
    create: its groups get no candidate (neither linked nor created, nor left to the rules). Both are
    blocking items of :mod:`.policy_refs` (``policy.unknown_reference``, or ``teams.map_team_missing`` for a
    team known to be gone)."""
    candidates: dict[str, list[Assignment]] = {}
    claimed: set[str] = set()
    for team_name, group_name in policy.map.items():
        gids = group_ids_by_name.get(group_name, [])
        if not gids:
            continue
        tids = team_ids_by_name.get(team_name, [])
        for gid in gids:
            candidates.setdefault(gid, []).extend(
                Assignment(gid, group_name, team_name, tid, "teams.map") for tid in tids)
        claimed.add(team_name)
    return candidates, claimed


def rule_candidates(rules: list[TeamRule], groups: list[Group], free: FreeTeams,
                    candidates: dict[str, list[Assignment]]) -> dict[str, list[Assignment]]:
    """``candidates`` (from ``teams.map``) with each other group's first ``teams.rules`` match added."""
    out = dict(candidates)
    for i, rule in enumerate(rules):
        rule_id = f"teams.rules[{i}].{rule.match}"
        pattern = compile_pattern(rule.pattern) if rule.match == "regex" and rule.pattern else None
        for g in groups:
            if g.group_id not in out:
                found = rule_matches(rule, rule_id, pattern, g.group_id, g.display_name, free)
                if found:
                    out[g.group_id] = found
    return out


def ambiguous_item(options: list[Assignment]) -> ReviewItem:
    """``teams.ambiguous`` (blocking): one group matches several teams."""
    first = options[0]
    return make_review(
        "teams.ambiguous",
        first.group_id,
        blocking=True,
        subject=ItemRef(group_id=first.group_id, group_display_name=first.group_name),
        message=(
            f"group {first.group_name!r} matches {len(options)} teams "
            f"({', '.join(sorted(o.name + ' ' + str(o.team_id) for o in options))}) by {first.rule}"
        ),
        rule=first.rule,
        candidates=[ItemRef(team_id=o.team_id, name=o.name) for o in options],
        resolution=yaml_snippet({"teams": {"map": {first.name: first.group_name}}},
                                notes=["name the team this group is"]),
    )


def shared_names(claims: list[Assignment]) -> list[str]:
    """One phrase per display name several of ``claims``' groups share, letter case and surrounding white space
    aside (:func:`~planner.sources.values.shared_group_names`, other ids: Entra allows it, tester10 #6): ``"2 groups
    share the display name 'Finance' (ids g1, g2)"``, ``"... 'Finance' letter case aside (ids g1, g2)"`` when they
    spell it differently. No ``teams.map`` entry tells them apart: the IdP finds a team by displayName ignoring
    case (RFC 7643 §8.7.1), whatever the policy names."""
    found = shared_group_names((a.group_id, a.group_name) for a in claims).values()
    return [f"{len(pairs)} groups share the display name {pairs[0][1]!r}"
            f"{' letter case aside' if len({n for _, n in pairs}) > 1 else ''} (ids {', '.join(sorted(dict(pairs)))})"
            for pairs in found]


def conflict_item(claims: list[Assignment]) -> ReviewItem:
    """``teams.conflict`` (blocking): several groups map to one team (an existing one, or one to create: names of
    one :func:`~planner.sources.values.team_name_key` are one team, ``'Finance'`` and ``'finance'`` made by a
    ``regex`` rule); groups that share a display name are said so with their ids (:func:`shared_names`): ``teams.map``
    names a group by its display name, so one of them must be renamed in the IdP first."""
    first = claims[0]
    names = sorted(a.group_name for a in claims)
    shared = shared_names(claims)
    teams = sorted({a.name for a in claims})
    message = (f"groups {', '.join(repr(n) for n in names)} all map to team {first.name!r}" if len(teams) == 1 else
               f"groups {', '.join(repr(n) for n in names)} all map to teams {', '.join(map(repr, teams))}, one name "
               "letter case aside (Sigma refuses a second team of a name whatever its letter case)")
    if shared:
        message += (f": {'; '.join(shared)}, and teams.map names a group by its display name, so no entry can say "
                    "which one the team follows: rename one of them in the IdP, export again and plan again")
    return make_review(
        "teams.conflict",
        first.team_id or first.name,
        blocking=True,
        subject=ItemRef(team_id=first.team_id, name=first.name),
        message=message,
        rule=", ".join(sorted({a.rule for a in claims})),
        candidates=[ItemRef(group_id=a.group_id, group_display_name=a.group_name, rule=a.rule) for a in claims],
        resolution=yaml_snippet({"teams": {"map": {first.name: "<the renamed group's displayName>" if shared
                                                   else names[0]}}},
                                notes=["rename one of the groups that share a display name in the IdP and export "
                                       "again; then name the one group this team follows" if shared else
                                       "name the one group this team follows"]),
    )


def case_twins(assignments: Iterable[Assignment], directory: Directory) -> dict[str, list[SigmaTeam]]:
    """``{group id: the other active teams of its team's name}`` for each of ``assignments`` linking an existing
    team by a name (not Sigma's SCIM link, rule ``scim``: that one is by id), or creating one, while another active
    team has the same name letter case aside (:func:`~planner.sources.values.team_name_key`, the one rule for "same
    team name"; ``Finance`` and ``finance``), whichever rule made the name (``teams.map``, ``exact``,
    ``case_insensitive``, ``regex``). The IdP finds the team a group links to by ``displayName``, which SCIM compares
    ignoring case (RFC 7643 §8.7.1: Group ``displayName`` is ``caseExact`` false; Entra "finds groups by
    displayName", Okta's Link Group by name: docs/sigma-api.md §6.1, §6.2), so ``displayName eq "Finance"`` may
    answer either team: a guess, and the link replaces that team's members (tester14a finding 5); a team to create
    (a ``regex`` rule's ``finance`` beside team ``Finance``) would be found as the existing one, or refused as a
    second team of its name (leftovers16 item 2). An archived twin is no answer (``GET /Groups`` omits archived
    teams, docs/sandbox.md) and is left out."""
    linked = [a for a in assignments if a.rule != "scim"]
    if not linked:
        return {}
    by_key: dict[str, list[SigmaTeam]] = {}
    for t in directory.teams.values():
        if not t.is_archived:
            by_key.setdefault(team_name_key(t.name), []).append(t)
    out = {}
    for a in linked:
        twins = [t for t in by_key.get(team_name_key(a.name), ()) if t.team_id != a.team_id]
        if twins:
            out[a.group_id] = twins
    return out


CASE_TWIN_FIX = ("rename one of the teams in Sigma (or archive the one no group follows), so that no two active "
                 "teams share a name letter case aside; then export the teams again and plan again")
"""What settles a :func:`case_twin_item` of a link (no policy setting can: a ``teams.map`` entry still links by
name)."""


def case_twin_resolution(a: Assignment, twins: Sequence[SigmaTeam]) -> str:
    """What settles :func:`case_twin_item`: for a link, :data:`CASE_TWIN_FIX`; for a team to create beside one active
    twin, a ``teams.map`` entry giving that team to the group (or a rule making a name no team has); beside several,
    :data:`CASE_TWIN_FIX` too (a map entry would link one of them by name)."""
    if a.team_id is not None or len(twins) > 1:
        return outside_policy(CASE_TWIN_FIX)
    return yaml_snippet({"teams": {"map": {twins[0].name: a.group_name}}},
                        notes=[f"link the existing team {twins[0].name!r} to the group; or change {a.rule} so that it "
                               "makes a name no team has, letter case aside"])


def case_twin_item(a: Assignment, twins: Sequence[SigmaTeam]) -> ReviewItem:
    """``teams.ambiguous`` (blocking), as for two teams of exactly one name (:func:`ambiguous_item`): group
    ``a.group_name`` would link team ``a.name`` (``a.team_id``), or create it (``a.team_id`` ``None``), by ``a.rule``,
    and ``twins`` (:func:`case_twins`) are active teams of that name letter case aside, which the IdP's lookup by
    ``displayName`` may answer instead (and Sigma refuses a second team of the name). Nothing is linked or created
    for the group; candidates: the team ``a`` names (its teamId when it exists), then every twin
    (:func:`case_twin_resolution`)."""
    others = ", ".join(f"{t.name!r} ({t.team_id})" for t in twins)
    would = (f"would link team {a.name!r} ({a.team_id})" if a.team_id is not None else
             f"would create team {a.name!r}")
    answer = ("so either could answer and have its members replaced" if a.team_id is not None else
              "so the push would find the existing team and replace its members, or Sigma refuse a second team of "
              "that name")
    return make_review(
        "teams.ambiguous", a.group_id, blocking=True,
        subject=ItemRef(group_id=a.group_id, group_display_name=a.group_name),
        message=(f"group {a.group_name!r} {would} by {a.rule}, but active team(s) {others} have the same name letter "
                 "case aside: the IdP finds the team by displayName, which SCIM compares ignoring case (RFC 7643 "
                 f"§8.7.1), {answer}; held, nothing is linked or created for the group"),
        rule=a.rule,
        candidates=[ItemRef(team_id=a.team_id if a.team_id is not None else UNSET, name=a.name)]
        + [ItemRef(team_id=t.team_id, name=t.name) for t in twins],
        resolution=case_twin_resolution(a, twins),
    )


GROUP_TWIN_LOOKUP = "displayName"
"""The ``rule`` of a group that reaches a team only through the IdP's lookup by ``displayName`` (a twin of the group
a rule maps to it, :func:`group_twins`), in a ``teams.conflict`` item's candidates."""


def group_twins(assignments: Iterable[Assignment], directory: Directory) -> dict[str, list[Group]]:
    """``{group id: the other IdP groups of its displayName}`` for each of ``assignments`` linking or creating a team
    by a name (not Sigma's SCIM link, rule ``scim``: that one is by id) while another IdP group of the export has the
    same displayName letter case and surrounding white space aside (:func:`~planner.sources.values.shared_group_names`,
    the rule ``check``'s ``duplicate-group-name`` reports by). The IdP pushes each group by its displayName and finds
    the team by it, ignoring case (RFC 7643 §8.7.1), and a policy names a group by its displayName alone, so the team
    could end up either group's: a guess (leftovers16 item 1; two groups of exactly one name were held only when a
    rule mapped both)."""
    named = [a for a in assignments if a.rule != "scim"]
    if not named:
        return {}
    shared = shared_group_names((g.group_id, g.display_name) for g in directory.groups.values())
    if not shared:
        return {}
    out = {}
    for a in named:
        pairs = shared.get(team_name_key(a.group_name), ())
        twins = [directory.groups[gid] for gid, _ in pairs if gid != a.group_id]
        if twins:
            out[a.group_id] = twins
    return out


def group_twin_item(a: Assignment, twins: Sequence[Group]) -> ReviewItem:
    """``teams.conflict`` (blocking), as for two groups mapping to one team (:func:`conflict_item`): group
    ``a.group_name`` would link or create team ``a.name`` by ``a.rule``, and ``twins`` (:func:`group_twins`) are IdP
    groups of that displayName letter case and surrounding white space aside, whose push reaches the same team
    (candidates' ``rule`` :data:`GROUP_TWIN_LOOKUP`). Nothing is linked or created for the group; settled by renaming
    all but one of the groups in the IdP (no policy setting can: a ``teams.map`` value names a group by its
    displayName)."""
    others = ", ".join(f"{g.display_name!r} ({g.group_id})" for g in twins)
    team = f"link team {a.name!r} ({a.team_id})" if a.team_id is not None else f"create team {a.name!r}"
    ids = ", ".join(sorted([a.group_id, *(g.group_id for g in twins)]))
    return make_review(
        "teams.conflict", a.team_id or a.name, blocking=True,
        subject=ItemRef(team_id=a.team_id if a.team_id is not None else UNSET, name=a.name),
        message=(f"group {a.group_name!r} ({a.group_id}) would {team} by {a.rule}, but IdP group(s) {others} have the "
                 "same displayName letter case and surrounding white space aside: the IdP finds the team a group is "
                 "pushed to by displayName, which SCIM compares ignoring case (RFC 7643 §8.7.1), and teams.map names a "
                 "group by its displayName alone, so the team could follow either group; held, nothing is linked or "
                 "created for the group"),
        rule=a.rule,
        candidates=[ItemRef(group_id=a.group_id, group_display_name=a.group_name, rule=a.rule)]
        + [ItemRef(group_id=g.group_id, group_display_name=g.display_name, rule=GROUP_TWIN_LOOKUP) for g in twins],
        resolution=outside_policy(f"rename all but one of the IdP groups named {a.group_name!r} ({ids}) in the IdP, "
                                  "so that no two groups share a displayName letter case aside; then export the IdP "
                                  "again and plan again"),
    )


def settle_candidates(candidates: Mapping[str, list[Assignment]]) -> tuple[list[Assignment], list[ReviewItem]]:
    """One assignment per group and per team, sorted by team name then group id: a group with
    several candidate teams gets :func:`ambiguous_item`, a team several groups claim :func:`conflict_item` (teams to
    create of one :func:`~planner.sources.values.team_name_key` are one team; nothing is linked on a guess)."""
    items = []
    chosen = []
    for gid in sorted(candidates):
        options = candidates[gid]
        if len(options) > 1:
            items.append(ambiguous_item(options))
        elif options:  # none: a teams.map key naming no team (map_candidates)
            chosen.append(options[0])
    by_team: dict[tuple, list[Assignment]] = {}
    for a in chosen:  # teams to create are one when their names are (letter case aside: Sigma refuses the second)
        by_team.setdefault((a.team_id,) if a.team_id else ("new", team_name_key(a.name)), []).append(a)
    final = []
    for key in sorted(by_team, key=lambda k: tuple(str(x) for x in k)):
        claims = by_team[key]
        if len(claims) == 1:
            final.append(claims[0])
        else:
            items.append(conflict_item(claims))
    final.sort(key=lambda a: (a.name, a.group_id))
    return final, items


def scim_assignments(directory: Directory) -> dict[str, Assignment]:
    """The groups Sigma's SCIM state already links to a team, by IdP group id: a provisioned SCIM Group
    (its id the teamId) whose ``externalId`` is the IdP group's id, the team active (rule ``scim``;
    the team keeps the name SCIM gave it, e.g. a rename the IdP pushed after the export). As users are
    linked by ``externalId`` first (:mod:`.scim_state`), so are teams: before ``teams.map`` and ``teams.rules``."""
    out: dict[str, Assignment] = {}
    for team_id, provisioned in directory.scim.groups.items():
        team = directory.teams.get(team_id)
        group = directory.groups.get(provisioned.external_id) if provisioned.external_id else None
        if team is not None and not team.is_archived and group is not None:
            out[group.group_id] = Assignment(group.group_id, group.display_name, team.name, team_id, "scim")
    return out


def scim_groups_missing(directory: Directory) -> dict[str, ScimGroup]:
    """The active teams Sigma's SCIM state links to an IdP group the export lacks, by teamId: a provisioned
    SCIM Group (its id the teamId, RFC 7643 §4.2) whose ``externalId`` names no group of the IdP export
    (deleted, renamed as a new group, out of the export's scope, or the export is incomplete)."""
    out: dict[str, ScimGroup] = {}
    for team_id, provisioned in directory.scim.groups.items():
        team = directory.teams.get(team_id)
        if (team is not None and not team.is_archived and provisioned.external_id
                and provisioned.external_id not in directory.groups):
            out[team_id] = provisioned
    return out


def scim_group_missing_item(team: SigmaTeam, provisioned: ScimGroup, members: int, deleted: bool) -> ReviewItem:
    """``teams.scim_group_missing``: ``team`` is linked by SCIM to IdP group ``provisioned.external_id``
    (SCIM's ``displayName`` for it), which the IdP export lacks. The plan neither gives the team to another
    group by a rule nor removes its ``members`` on the absence: blocking until ``teams.deleted_groups`` names
    the group (deleted: the team stays as Sigma's; the item is then informational) or ``teams.map`` gives the
    team to the group it was renamed to; an incomplete export is exported again."""
    gid = provisioned.external_id or ""
    head = (f"team {team.name!r} ({team.team_id}) is linked by SCIM to IdP group {gid} "
            f"({provisioned.display_name!r} as SCIM has it), which the IdP export lacks")
    if deleted:
        message = (f"{head}: deleted in the IdP (teams.deleted_groups), so the team stays as Sigma's, unmanaged, "
                   f"with its {members} member(s)")
        resolution = ""
    else:
        message = (f"{head}: deleted in the IdP, renamed (a new group), out of the export's scope, or the export is "
                   f"incomplete; the plan neither gives the team to another group nor removes its {members} "
                   "member(s) on the absence")
        resolution = yaml_snippet(
            {"teams": {"deleted_groups": [gid]}}, {"teams": {"map": {team.name: "<the group's new displayName>"}}},
            notes=["deleted in the IdP: the team stays as Sigma's (unmanaged, members kept); renamed: map the "
                   "team to the new group; left out of the export: export the IdP again (every group, every page)"])
    return make_review(
        "teams.scim_group_missing", team.team_id, blocking=not deleted,
        subject=ItemRef(team_id=team.team_id, name=team.name),
        message=message,
        rule="teams.scim_state",
        evidence=ItemEvidence(external_id=gid, display_name=provisioned.display_name, members=members),
        resolution=resolution,
    )


def what_was_known(team: str, directory: Directory, previous_scim: str = "unknown") -> tuple[str, str, ScimGroup | None]:
    """``(words, evidence source, SCIM group)``: what a re-plan knows of team ``team``, which the teams file lacks.
    Sigma's SCIM state can show the team exists (:attr:`planner.directory.ScimState.groups_without_team`), a run
    of a plan given to ``plan --applied`` that it existed (:attr:`planner.directory.Directory.applied_teams`);
    else the item rests on no team's name being close, and ``previous_scim`` (``preflight.previous_scim``)
    ``same_setup`` says an apply came before."""
    scim = directory.scim
    listed = scim.groups_without_team.get(team)
    if listed is not None:
        linked = f"linked to IdP group {listed.external_id}" if listed.external_id else "linked to no IdP group"
        return (f"Sigma's SCIM state lists it (SCIM id {listed.id}, {linked}), so the teams file lacks a team Sigma has "
                "(cut short, or the team was deleted between the two reads)", "Sigma's SCIM state", listed)
    state = ("Sigma's SCIM state does not list it either" if scim.known else
             "Sigma's SCIM state, which would list a team the teams file lacks, is not in the export")
    applied = directory.applied_teams.get(team)
    if applied is not None:
        done = f"linked it ({applied.team_id}) to" if applied.team_id else "created it from"
        return (f"{applied.words()} {done} IdP group {applied.group_display_name!r} ({applied.group_id}), and "
                f"{state}: the team was deleted in Sigma since", "plan --applied", None)
    when = (" since the earlier apply (preflight.previous_scim is same_setup; give its plan with --applied to "
            "know more)" if previous_scim == "same_setup" else " (or never made)")
    return (f"{state}, and no team's name is close to it: the team was deleted in Sigma{when}",
            "no team of a close name", None)


def make_team_again(team: str, group: str, where: str, listed: ScimGroup | None) -> str:
    """The resolution of ``teams.map_team_missing``: export the teams again when SCIM lists the team; a ``regex``
    rule making team ``team`` again from group ``group`` under ``teams.mode: create``, the map entry at ``where``
    removed; or the group mapped to another active team."""
    pattern = "^" + re.escape(group).replace("\\ ", " ") + "$"  # a space needs no escape outside re.VERBOSE
    notes = ([f"export the Sigma teams again (every page) and plan again; if team {team!r} is gone from Sigma:"]
             if listed is not None else [])
    notes.append(f"make team {team!r} again from group {group!r}: remove the teams.map entry at {where} and add this "
                 "rule to teams.rules (the list replaces the default; a teams.map key names an existing team, "
                 "never one to create)")
    return yaml_snippet(
        {"teams": {"mode": "create",
                   "rules": [{"match": "regex", "pattern": pattern, "replace": team.replace("\\", "\\\\")}]}},
        {"teams": {"map": {"<another active team>": group}}}, notes=notes)


def map_team_missing_item(team: str, group: str, where: str, directory: Directory,
                          closest_team: str | None = None, previous_scim: str = "unknown") -> ReviewItem:
    """``teams.map_team_missing`` (blocking): the ``teams.map`` entry at ``where`` (``file:line:column``) gives IdP
    group ``group`` to team ``team``, which the Sigma export does not have (no active or archived team of that
    name), and the team is known to have existed rather than misspelt: Sigma's SCIM state lists a group of that
    ``displayName``, or no team's name is close to it (:func:`planner.rules.policy_refs.unknown_references` keeps
    the did-you-mean ``policy.unknown_reference`` for a near-miss spelling). The item says what the re-plan knew
    (:func:`what_was_known`; tester8 finding 4). As for any map key naming no team, the group is neither linked
    nor created (:func:`map_candidates`); :func:`make_team_again` gives the ways out. ``closest_team``: the
    closest existing name, said when SCIM knows the team anyway; ``previous_scim``: ``preflight.previous_scim``."""
    known, source, listed = what_was_known(team, directory, previous_scim)
    near = (f" (the closest team name is {closest_team!r})"
            if closest_team and source != "no team of a close name" else "")
    gids = [g.group_id for g in directory.groups.values() if g.display_name == group]
    return make_review(
        "teams.map_team_missing", team, blocking=True,
        subject=ItemRef(policy_key=f"teams.map.{team}", name=team, group_id=gids[0] if len(gids) == 1 else UNSET,
                        group_display_name=group),
        message=(f"{where}: teams.map gives IdP group {group!r} to team {team!r}, which the Sigma export does not have "
                 f"(no active or archived team of that name): {known}{near}; the group is neither linked nor "
                 "created"),
        rule="teams.map",
        evidence=ItemEvidence(source=source,
                              external_id=listed.external_id if listed is not None and listed.external_id else UNSET,
                              display_name=listed.display_name if listed is not None else UNSET),
        resolution=make_team_again(team, group, where, listed),
    )


Contradiction = tuple[tuple[str | int, ...], str]
"""A ``teams`` entry the plan refuses: its policy location and the message (:func:`scim_link_contradictions`)."""


def deleted_groups_contradictions(policy: Policy, directory: Directory) -> list[Contradiction]:
    """A ``teams.deleted_groups`` entry naming a group the IdP export has (not deleted; when Sigma's SCIM state
    links a team to it, the SCIM link keeps the team the group's), and a ``teams.map`` entry for a team whose
    SCIM-linked group an entry lists (the map gives the team to a group, the entry keeps it as Sigma's,
    unmanaged: both lines named)."""
    teams_policy = policy.teams
    linked = {g.external_id: tid for tid, g in directory.scim.groups.items() if g.external_id}
    found: list[Contradiction] = []
    for i, gid in enumerate(teams_policy.deleted_groups):
        group, team = directory.groups.get(gid), directory.teams.get(linked.get(gid, ""))
        if group is not None:
            held = (f"; Sigma's SCIM state links team {team.name!r} ({team.team_id}) to it, and the team stays the "
                    "group's" if team is not None else "")
            found.append((("teams", "deleted_groups", i),
                          f"says IdP group {gid} was deleted, but the IdP export has it ({group.display_name!r}){held}: "
                          "remove the entry (or export the IdP again if the export is older than the deletion)"))
        elif team is not None and team.name in teams_policy.map:
            found.append((("teams", "map", team.name),
                          f"gives team {team.name!r} to IdP group {teams_policy.map[team.name]!r}, while "
                          f"teams.deleted_groups[{i}] at {policy.location('teams', 'deleted_groups', i)} keeps it as "
                          f"Sigma's, unmanaged (IdP group {gid}, which Sigma's SCIM state links it to, deleted): "
                          "keep the one entry that says what happened (the team follows the new group, or stays "
                          "Sigma's)"))
    return found


def map_contradictions(policy: Policy, directory: Directory) -> list[Contradiction]:
    """A ``teams.map`` entry giving a team Sigma's SCIM state links to a group the IdP export has to another
    group: a SCIM link is Sigma's (rule ``scim``, :func:`scim_assignments`, wins), the plan cannot move it."""
    found: list[Contradiction] = []
    for team_name, group_name in policy.teams.map.items():
        for team in directory.teams.values():
            provisioned = directory.scim.groups.get(team.team_id)
            gid = provisioned.external_id if provisioned is not None else None
            if (team.name != team_name or team.is_archived or not gid or gid not in directory.groups
                    or directory.groups[gid].display_name == group_name):
                continue
            found.append((("teams", "map", team_name),
                          f"gives team {team_name!r} to IdP group {group_name!r}, but Sigma's SCIM state links it "
                          f"({team.team_id}) to IdP group {gid} ({directory.groups[gid].display_name!r}), which the "
                          "IdP export has: a team's SCIM link is Sigma's and wins, the plan cannot move it to another "
                          "group; remove the entry, or unlink the team from that group in the IdP, export again and "
                          "plan again"))
    return found


def scim_link_contradictions(policy: Policy, directory: Directory) -> list[Contradiction]:
    """The ``teams`` entries that say of a team or group the opposite of what Sigma's SCIM state and the IdP export
    show, or of each other, which the plan would otherwise follow one of in silence (an identity leftover of
    tester8 finding 20): :func:`deleted_groups_contradictions`, then :func:`map_contradictions`. Nothing in
    ``policy lint`` can see them (it reads no export): ``plan`` refuses them (:func:`check_scim_links`)."""
    return deleted_groups_contradictions(policy, directory) + map_contradictions(policy, directory)


def check_scim_links(policy: Policy, directory: Directory) -> None:
    """Refuse a policy whose ``teams`` entries contradict Sigma's SCIM state, the IdP export or each other
    (:func:`scim_link_contradictions`). Raises :class:`~planner.policy.PolicyError` for the first, one line:
    ``<policy>:<line>:<col>: teams.map.Finance: gives team 'Finance' to ..., while teams.deleted_groups[0] at
    <policy>:<line>:<col> ...``; returns ``None`` when there is none."""
    for loc, message in scim_link_contradictions(policy, directory):
        raise policy.error(loc, message)


def assign_groups(policy: Teams, directory: Directory,
                  scope_groups: Sequence[str] = ()) -> tuple[list[Assignment], list[ReviewItem]]:
    """Apply Sigma's SCIM links (:func:`scim_assignments`), then ``teams.map`` and ``teams.rules`` (see
    the module docstring) to the other groups and active teams: the assignments, sorted by team name
    then group id, and the review items. A group whose rule finds an archived team
    (:func:`archived_matches`) or whose name only looks like a team's or a ``scope_groups`` name
    (``scope.groups``; :func:`look_alike_matches`) is held by a blocking item instead, and so is a group whose team
    the plan given to ``plan --applied`` linked it to was renamed since and is no longer its team
    (:func:`renamed_links`). A team SCIM links to
    a group the export lacks (:func:`scim_groups_missing`) is no team for a rule (only a ``teams.map`` entry
    gives it another group) and gets its ``teams.scim_group_missing`` item."""
    team_ids_by_name = active_team_ids_by_name(directory)
    pinned = scim_assignments(directory) if directory.scim.groups else {}
    missing = scim_groups_missing(directory) if directory.scim.groups else {}
    groups = sorted((g for g in directory.groups.values() if g.group_id not in pinned),
                    key=lambda g: (g.display_name, g.group_id))
    group_ids_by_name: dict[str, list[str]] = {}
    for g in groups:
        group_ids_by_name.setdefault(g.display_name, []).append(g.group_id)
    if pinned:  # a linked team is no longer free for a name rule or a map entry
        taken = {a.team_id for a in pinned.values()}
        team_ids_by_name = {n: kept for n, tids in team_ids_by_name.items()
                            if (kept := [t for t in tids if t not in taken])}
    mapped, claimed = map_candidates(policy, group_ids_by_name, team_ids_by_name)
    if missing:  # its group gone, a team is another group's only by an explicit teams.map entry
        team_ids_by_name = {n: kept for n, tids in team_ids_by_name.items()
                            if (kept := [t for t in tids if t not in missing])}
    candidates = rule_candidates(policy.rules, groups, free_teams(team_ids_by_name, claimed), mapped)
    held = archived_matches(policy, groups, candidates, directory)
    alike = look_alike_matches(policy, scope_groups, [g for g in groups if g.group_id not in held], candidates,
                               team_ids_by_name)
    for gid in (*held, *alike):
        candidates.pop(gid, None)
    candidates.update((gid, [a]) for gid, a in pinned.items())
    final, items = settle_candidates(candidates)
    twins = case_twins(final, directory)
    if twins:  # the IdP's lookup by displayName ignores case: which team it links is a guess
        items += [case_twin_item(a, twins[a.group_id]) for a in final if a.group_id in twins]
        final = [a for a in final if a.group_id not in twins]
    shared = group_twins(final, directory)
    if shared:  # ... and so is which of two groups of one name the team follows
        items += [group_twin_item(a, shared[a.group_id]) for a in final if a.group_id in shared]
        final = [a for a in final if a.group_id not in shared]
    final, renamed = renamed_links(final, policy, directory)
    items += renamed
    mapped_teams = {a.team_id for a in final}
    items += [scim_group_missing_item(directory.teams[tid], missing[tid], len(directory.team_members.get(tid, ())),
                                      (missing[tid].external_id or "") in policy.deleted_groups)
              for tid in sorted(missing, key=lambda t: (directory.teams[t].name, t)) if tid not in mapped_teams]
    return final, (items + [archived_team_item(held[gid]) for gid in sorted(held)]
                   + [look_alike_item(alike[gid]) for gid in sorted(alike)])


def renamed_links(assignments: list[Assignment], policy: Teams,
                  directory: Directory) -> tuple[list[Assignment], list[ReviewItem]]:
    """The ``assignments`` less those of the groups whose link a rename by hand broke, and the
    ``teams.renamed_by_hand`` item of each (:func:`renamed_by_hand_item`): the plan given to ``plan --applied``
    linked IdP group G to team T (:class:`~planner.model.AppliedTeamSeen`), T is named otherwise in the export, not
    by the group's push (:func:`planner.rules.since_applied.team_changes`, in no order: the plan sorts its items),
    and G is no longer assigned T (the rules find T by its old name: G goes to a new team, another team, or none,
    while T becomes unmanaged). Blocking, the
    group held (neither linked nor created), unless ``teams.confirm_new_teams`` names G (the link ends on purpose:
    G goes as the rules say, the item informational); ``teams.map`` mapping T's new name to G keeps the link (no
    item). Waves20 part 1."""
    renamed = [c for c in team_changes(directory) if c.group_id is not None]
    if not renamed:
        return assignments, []
    by_group = {a.group_id: a for a in assignments}
    kept, items, held = list(assignments), [], set()
    linked_by = {t.team_id: t for t in directory.applied_teams.values() if t.team_id}
    for change in renamed:
        gid = change.group_id or ""
        now = by_group.get(gid)
        if gid not in directory.groups or (now is not None and now.team_id == change.object_id):
            continue
        confirmed = confirmed_new_team(directory.groups[gid].display_name, policy)
        items.append(renamed_by_hand_item(change, directory.groups[gid].display_name, now,
                                          linked_by.get(change.object_id), confirmed))
        if not confirmed:
            held.add(gid)
    return ([a for a in kept if a.group_id not in held] if held else kept), items


def renamed_by_hand_item(change: HandChange, group_name: str, now: Assignment | None, run: AppliedTeam | None,
                         confirmed: bool) -> ReviewItem:
    """``teams.renamed_by_hand``: team ``change.object_id``, which the plan ``change`` names linked to IdP group
    ``change.group_id`` (``group_name`` its displayName now; ``run``: the run that linked it, ``None``: none of the
    plans given did yet), is named ``change.now`` in Sigma, was ``change.seen``; the group's assignment without it is
    ``now`` (``None``: no team). Blocking unless ``confirmed`` (``teams.confirm_new_teams`` names the group; then
    informational, rule ``teams.confirm_new_teams``). Subject: the team (its new name) and the group; evidence:
    ``display_name``, the name the plan saw. :func:`renamed_links`."""
    old, new, gid = change.seen, change.now, change.group_id or ""
    linked = (f"run {run.run} of {'undo plan' if run.undo else 'plan'} {run.plan} linked it ({run.at})"
              if run is not None and run.run is not None else
              f"{run.plan} linked it ({run.at})" if run is not None else "no run of the plans given linked it yet")
    if now is None:
        instead = "no rule gives the group a team now, so the group would be pushed as no team"
    elif now.team_id is None:
        instead = f"the group would make a new team {now.name!r} ({now.rule})"
    else:
        instead = f"the group would be linked to team {now.name!r} ({now.rule})"
    head = (f"team {old!r} ({change.object_id}) is named {new!r} in Sigma now: renamed since "
            f"{change.plan_words()} saw it, not by this tool or the group's push; that plan links it to IdP group "
            f"{group_name!r} ({gid}) and {linked}; under its new name {instead}, and team {new!r} becomes unmanaged")
    if confirmed:
        message = f"{head}: teams.confirm_new_teams names the group, so it goes as the rules say"
    else:
        message = (f"{head}: the link would be dropped in silence, so the group is held (neither linked nor "
                   f"created): keep the link under the new name (teams.map), or confirm the group goes its own "
                   "way (teams.confirm_new_teams)")
    return make_review(
        "teams.renamed_by_hand", gid, blocking=not confirmed,
        subject=ItemRef(team_id=change.object_id, name=new, group_id=gid, group_display_name=group_name),
        message=message,
        rule="teams.confirm_new_teams" if confirmed else "teams.map",
        evidence=ItemEvidence(display_name=old),
        resolution="" if confirmed else yaml_snippet(
            {"teams": {"map": {new: group_name}}}, {"teams": {"confirm_new_teams": [group_name]}},
            notes=[f"keep the link: team {new!r} follows group {group_name!r}",
                   f"or end it: group {group_name!r} goes as the rules say, team {new!r} stays unmanaged"]),
    )


def map_uses(policy: Teams, directory: Directory, assignments: Iterable[Assignment]) -> list[EntryUse]:
    """What each ``teams.map`` entry naming an active or archived team settled (:mod:`.policy_entries`): the group
    it gives the team (an assignment of rule ``teams.map`` among the final ``assignments`` of
    :func:`assign_groups`), or the blocking ``teams.archived_team`` item holding its group (:func:`archived_matches`).
    One whose team Sigma's SCIM state already links to the entry's group settles nothing (a wave applied before
    did: :func:`scim_assignments` wins, the map is not read); nor does one no assignment came of (another item
    holds the group, or the group is out of the plan). An entry naming no team or no group is :mod:`.policy_refs`'."""
    mapped = {a.name for a in assignments if a.rule == "teams.map"}
    linked = {(a.name, a.group_name) for a in assignments if a.rule == "scim"}
    teams = {t.name: t for t in directory.teams.values() if not t.is_archived}
    archived = {t.name for t in directory.teams.values() if t.is_archived}
    uses = []
    for team, group in policy.map.items():
        if team in mapped:
            uses.append(EntryUse("teams.map", team, f"team {team!r} follows IdP group {group!r}"))
        elif team in archived and team not in teams:
            uses.append(EntryUse("teams.map", team, f"IdP group {group!r} held: team {team!r} is archived"))
        elif (team, group) in linked:
            uses.append(EntryUse("teams.map", team, "", f"Sigma's SCIM state already links team {team!r} to IdP group "
                                 f"{group!r}: a wave applied before settled it"))
        elif team in teams:
            uses.append(EntryUse("teams.map", team, "", f"no IdP group is assigned to team {team!r} by it: another "
                                 "item holds the group, or another rule took it"))
    return uses


def deleted_group_uses(policy: Teams, directory: Directory, assignments: Iterable[Assignment]) -> list[EntryUse]:
    """What each ``teams.deleted_groups`` entry settled (:mod:`.policy_entries`): the ``teams.scim_group_missing``
    question of the active team Sigma's SCIM state links to that IdP group id, which the export lacks
    (:func:`scim_groups_missing`, the team given no other group among the final ``assignments`` of
    :func:`assign_groups`): the team stays as Sigma's. With no such team (deleted or archived in Sigma, or a wave
    applied before unlinked it) the entry settles nothing. An entry naming a group the export has is refused
    before (:func:`check_scim_links`)."""
    if not policy.deleted_groups:
        return []
    missing = scim_groups_missing(directory) if directory.scim.groups else {}
    given = {a.team_id for a in assignments}
    kept = {g.external_id: directory.teams[tid].name for tid, g in missing.items() if tid not in given}
    uses = []
    for i, gid in enumerate(policy.deleted_groups):
        if gid in kept:
            uses.append(EntryUse("teams.deleted_groups", i, f"team {kept[gid]!r} stays as Sigma's"))
        elif gid not in directory.groups:
            state = "" if directory.scim.known else " (the export holds no Sigma SCIM state)"
            uses.append(EntryUse("teams.deleted_groups", i, "", f"Sigma's SCIM state links no active team to IdP "
                                 f"group {gid}{state}"))
    return uses


def confirmation_uses(policy: Teams, directory: Directory, items: Iterable[ReviewItem]) -> list[EntryUse]:
    """What each ``teams.confirm_empty`` / ``teams.confirm_new_teams`` / ``teams.confirm_team_admin_removals`` entry
    (a group displayName or ``re:`` pattern) settled (:mod:`.policy_entries`): the question of each group it names
    whose ``items`` (the teams family's, :func:`planner.planning.fold_teams`) say it confirmed: an informational
    ``teams.empty_group`` (:func:`empty_group_item`, :func:`confirmed_empty`), a ``teams.likely_rename`` of rule
    ``teams.confirm_new_teams`` (:func:`likely_rename_item`, :func:`confirmed_new_team`) or an informational
    ``teams.last_team_admin`` (:func:`last_team_admin_item`). An entry no such item
    names settles nothing; one naming no group of the export is :mod:`.policy_refs`'."""
    if not policy.confirm_empty and not policy.confirm_new_teams and not policy.confirm_team_admin_removals:
        return []
    settled: dict[str, list[str]] = {"teams.confirm_empty": [], "teams.confirm_new_teams": [],
                                     "teams.confirm_team_admin_removals": []}
    for item in items:
        if item.code == "teams.empty_group" and not item.blocking:
            settled["teams.confirm_empty"].append(item.subject.group_display_name)
        elif item.code in ("teams.likely_rename", "teams.renamed_by_hand") and item.rule == "teams.confirm_new_teams":
            settled["teams.confirm_new_teams"].append(item.subject.group_display_name)
        elif item.code == "teams.last_team_admin" and not item.blocking:
            settled["teams.confirm_team_admin_removals"].append(item.subject.group_display_name)
    names = sorted({g.display_name for g in directory.groups.values()})
    uses = []
    for path, patterns, done, question in (
            ("teams.confirm_empty", policy.confirm_empty, "confirms IdP group {!r} empty",
             "is empty while its team has members"),
            ("teams.confirm_new_teams", policy.confirm_new_teams, "plans IdP group {!r} as a team of its own",
             "would become a new team sharing at least teams.rename_percent of its people with an unmanaged team"),
            ("teams.confirm_team_admin_removals", policy.confirm_team_admin_removals,
             "lets the team of IdP group {!r} lose its last team admin", "would make its team lose its last team admin")):
        for i, pattern in enumerate(patterns):
            matches = group_pattern_matcher(pattern)
            confirmed = [g for g in settled[path] if matches(g)]
            if confirmed:
                uses.append(EntryUse(path, i, ", ".join(done.format(g) for g in confirmed)))
                continue
            named = [n for n in names if matches(n)]
            if named:
                shown = ", ".join(map(repr, named[:3])) + (f" and {len(named) - 3} more" if len(named) > 3 else "")
                uses.append(EntryUse(path, i, "", f"no IdP group it names ({shown}) {question}"))
    return uses


def archived_matches(policy: Teams, groups: list[Group], candidates: Mapping[str, list[Assignment]],
                     directory: Directory) -> dict[str, Assignment]:
    """``{group id: its assignment to an archived team}`` for the groups ``teams.rules`` finds no active
    team for (none, or a team to create) but whose first rule matching an archived team's name finds one.
    Sigma links a pushed group to the team of its name (docs/sigma-api.md §6.1, Okta's Link Group); an
    archived team of that name is neither a team to link nor a free name to create (the push fails on
    the taken name or makes a second team), so the group is held (:func:`archived_team_item`). So is a group
    a ``teams.map`` key naming an archived team (and no active one) maps to it (rule ``teams.map``; tester7
    finding 23: it was a ``policy.unknown_reference`` saying the team is not in the export); a map key naming
    no team at all is left to :mod:`.policy_refs`."""
    archived: dict[str, list[str]] = {}
    for t in directory.teams.values():
        if t.is_archived:
            archived.setdefault(t.name, []).append(t.team_id)
    if not archived:
        return {}
    active = active_team_ids_by_name(directory)
    held: dict[str, Assignment] = {}
    for team_name, group_name in policy.map.items():
        if team_name in archived and team_name not in active:
            held.update((g.group_id, Assignment(g.group_id, group_name, team_name, archived[team_name][0], "teams.map"))
                        for g in groups if g.display_name == group_name)
    mapped = set(policy.map.values())
    open_groups = [g for g in groups if g.display_name not in mapped
                   and all(a.team_id is None for a in candidates.get(g.group_id, ()))]
    found = rule_candidates(policy.rules, open_groups, free_teams(archived, set()), {}) if open_groups else {}
    return held | {gid: options[0] for gid, options in found.items() if options[0].team_id is not None}


def archived_team_item(a: Assignment) -> ReviewItem:
    """``teams.archived_team`` (blocking): group ``a.group_name`` maps by ``a.rule`` to team ``a.name``
    (``a.team_id``), which is archived. Nothing is linked or created for the group: a push would find the
    name taken (refused, or a second team beside the archived one; docs/sigma-api.md §3.2 ``isArchived``,
    §6.1). Settled by unarchiving the team in Sigma (then the group links it) or a ``teams.map`` entry
    naming another active team for the group; then export and plan again (tester6 finding 23)."""
    return make_review(
        "teams.archived_team", a.group_id, blocking=True,
        subject=ItemRef(team_id=a.team_id, name=a.name, group_id=a.group_id, group_display_name=a.group_name),
        message=(f"group {a.group_name!r} maps to team {a.name!r} ({a.team_id}, {a.rule}), which is archived: "
                 "pushed, the group would find the name taken (refused, or a second team beside the archived "
                 "one); held, nothing is linked or created for it"),
        rule=a.rule,
        resolution=yaml_snippet({"teams": {"map": {"<another active team>": a.group_name}}},
                                notes=[f"unarchive team {a.name!r} ({a.team_id}) in Sigma, export and plan again "
                                       "(the group then links it), or map the group to another active team:"]),
    )


LOOK_ALIKE_RULE = "scope.groups"
"""The rule a group is held by when its name only looks like a ``scope.groups`` name (no team's)."""


def look_alike_matches(policy: Teams, scope_groups: Sequence[str], groups: list[Group],
                       candidates: Mapping[str, list[Assignment]],
                       team_ids_by_name: Mapping[str, list[str]]) -> dict[str, Assignment]:
    """``{group id: the assignment that holds it}`` for each group that finds no active team of its own
    (none, or one to create) and whose displayName only looks like an active team's name (``team_ids_by_name``)
    or a ``scope_groups`` name that is no ``re:`` pattern, and differs (:func:`planner.did_you_mean.is_look_alike`:
    compatibility forms, the Turkish I, UTS #39 confusables; letter case alone is no look-alike, two ASCII
    names never are): ``Fіnance`` with a Cyrillic ``і`` (U+0456) or a fullwidth ``Ｓales`` beside teams
    Finance and Sales (tester7 NEW-4). To Sigma and the IdP they are two names: no name rule links them, a
    push makes a second team beside the first, and the plan would leave the team unmanaged without naming
    the group. The assignment names what it looks like (``name``: the team, with its ``team_id``, first
    one of that name; else the scope name, ``team_id`` ``None``) and the group's rule (a regex rule's, else
    ``teams.rules``; :data:`LOOK_ALIKE_RULE` for a scope name). A group ``teams.map`` names is the policy's
    decision and is not held (:func:`look_alike_item`)."""
    mapped = set(policy.map.values())
    open_groups = [g for g in groups if g.display_name not in mapped
                   and all(a.team_id is None for a in candidates.get(g.group_id, ()))]
    if not open_groups:
        return {}
    scope_names = [n for n in scope_groups if not n.startswith(REGEX_PREFIX) and n not in team_ids_by_name]
    index = LookAlikes([*team_ids_by_name, *scope_names])
    held: dict[str, Assignment] = {}
    for g in open_groups:
        name = index.of(g.display_name)
        if name is None:
            continue
        team_id = team_ids_by_name[name][0] if name in team_ids_by_name else None
        rule = (candidates[g.group_id][0].rule if candidates.get(g.group_id) else
                "teams.rules" if team_id else LOOK_ALIKE_RULE)
        held[g.group_id] = Assignment(g.group_id, g.display_name, name, team_id, rule)
    return held


def look_alike_item(a: Assignment) -> ReviewItem:
    """``teams.look_alike_group`` (blocking): group ``a.group_name`` only looks like team ``a.name``
    (``a.team_id``), or like ``a.name`` of ``scope.groups`` (``a.team_id`` ``None``), and differs
    (:func:`look_alike_matches`); the message and ``evidence.differences`` name the characters outside ASCII
    with their code points (:func:`planner.did_you_mean.look_alike_differences`). Nothing is linked or
    created for the group, and no fix copies one spelling into the place of the other: settled by renaming
    the group in the IdP (or unassigning it from the app), then export and plan again; a ``teams.map``
    entry naming the group is the policy's decision to link it (the team then takes the group's name,
    ``teams.renamed_by_idp``)."""
    differences = look_alike_differences(a.name, a.group_name)
    if a.team_id is not None:
        what = f"team {a.name!r} ({a.team_id})"
        effect = "no name rule links them, and pushed, the group would become a second team beside it"
    else:
        what = f"{a.name!r} of scope.groups"
        effect = "the scope entry does not take the group in, and pushed, it would become a team of its own"
    return make_review(
        "teams.look_alike_group", a.group_id, blocking=True,
        subject=ItemRef(team_id=a.team_id if a.team_id is not None else UNSET, name=a.name, group_id=a.group_id,
                        group_display_name=a.group_name),
        message=(f"group {a.group_name!r} looks like {what} and differs: {'; '.join(differences)}: two names to "
                 f"Sigma and the IdP, so {effect}; held, nothing is linked or created for it"),
        rule=a.rule,
        evidence=ItemEvidence(differences=differences),
        resolution=(f"# rename group {a.group_name!r} in the IdP to {a.name!r} (or unassign it from the Sigma app), "
                    "export and plan again; never copy one spelling into the place of the other. A teams.map entry "
                    "naming the group links it instead, and the team then takes the group's name.\n"),
    )


# --------------------------------------------------------------------------- one team


def group_cycle_item(cycle: GroupCycle, idp_format: str, flatten: bool) -> ReviewItem:
    """``teams.group_cycle`` (informational): groups that contain each other through nesting, and how
    the plan counts their members (:func:`nesting_note`)."""
    return make_review(
        "teams.group_cycle",
        cycle.group_ids[0],
        blocking=False,
        subject=ItemRef(group_ids=list(cycle.group_ids)),
        message=(f"groups {', '.join(repr(n) for n in cycle.display_names)} contain each other through nesting; "
                 + nesting_note(idp_format, flatten)),
        rule="teams.flatten_nested",
    )


def no_team_item(a: Assignment) -> ReviewItem:
    """``teams.no_team`` (informational): the group's team does not exist and ``teams.mode`` is ``link``."""
    return make_review(
        "teams.no_team",
        a.group_id,
        blocking=False,
        subject=ItemRef(group_id=a.group_id, group_display_name=a.group_name, name=a.name),
        message=(f"group {a.group_name!r} maps to team {a.name!r} ({a.rule}), which does not exist; "
                 "not created because teams.mode is link"),
        rule="teams.mode",
        resolution=yaml_snippet({"teams": {"mode": "create"}}),
    )


def unclean_name_item(a: Assignment, parts: list[str]) -> ReviewItem:
    """``teams.unclean_name``: the team of assignment ``a`` has a name that is not clean (``parts``:
    :func:`planner.sources.values.unclean_name_parts`). Sigma links a pushed group to the team of exactly
    its ``displayName`` (docs/sigma-api.md §6.1), so a name is never cleaned silently:

    - a team to **create** (blocking; nothing is created): created cleaned, it would not be the name the
      IdP pushes the group under (a second team at its first push); created as it is, it carries
      characters nobody sees or that reorder it;
    - an existing team to **link** (informational): linked under its exact name, as Sigma holds it.
    """
    where = f"{a.rule}; " if a.rule else ""
    if a.team_id is None:
        message = (f"group {a.group_name!r} would become a new team {a.name!r} ({where}a name that is not clean: "
                   f"{'; '.join(parts)}): created cleaned as {clean_text(a.name)!r} it would not be the name the "
                   "IdP pushes the group under (Sigma links a group to the team of exactly its name: a second "
                   "team at its first push), created as it is it carries characters nobody sees; held (not "
                   "created) until the group's name is clean")
        resolution = (f"# retype the name of IdP group {a.group_name!r} in the IdP (the characters named above "
                      "are unseen or surround it), or map the group to an existing team (teams.map); then export "
                      "and plan again\n")
    else:
        message = (f"team {a.name!r} ({a.team_id}) has a name that is not clean ({'; '.join(parts)}): the plan "
                   f"links group {a.group_name!r} to it under that exact name, as Sigma holds it (a cleaned name "
                   "would match no team); rename the team in Sigma if the characters are not wanted")
        resolution = f"# retype the name of team {a.team_id} in Sigma (the characters named above are unseen)\n"
    return make_review(
        "teams.unclean_name", a.group_id, blocking=a.team_id is None,
        subject=ItemRef(team_id=a.team_id, name=a.name, group_id=a.group_id, group_display_name=a.group_name),
        message=message, rule="teams.unclean_name", evidence=ItemEvidence(differences=parts),
        resolution=resolution,
    )


def group_target(a: Assignment) -> GroupTarget:
    """The team and the IdP group of an assignment, as the group actions name them."""
    return GroupTarget(team_id=a.team_id, name=a.name, group_id=a.group_id, group_display_name=a.group_name)


def group_action(a: Assignment, evidence: GroupEvidence) -> Action:
    """``scim.link_group`` of an existing team (the push of a group named like the team links it,
    docs/sigma-api.md §6.1), or ``scim.create_group`` of a new one."""
    if a.team_id is not None:
        return make_action(
            ActionKind.SCIM_LINK_GROUP, a.team_id, target=group_target(a), before=TeamNameState(name=a.name),
            after=DisplayNameState(display_name=a.name), rule=a.rule,
            reason=f"link team {a.name!r} to IdP group {a.group_name!r} ({a.rule})", evidence=evidence,
        )
    return make_action(
        ActionKind.SCIM_CREATE_GROUP, a.group_id, target=group_target(a), before=None,
        after=DisplayNameState(display_name=a.name), rule=a.rule,
        reason=f"create team {a.name!r} from IdP group {a.group_name!r} ({a.rule}; teams.mode is create)",
        evidence=evidence,
    )


def members_note(group: Group, policy: Teams, idp_format: str) -> str:
    """How a nesting group's members were counted, for the ``scim.set_group_members`` reason (``""``
    for a group that nests none: Okta groups never nest)."""
    if not group.nested_group_ids:
        return ""
    if policy.flatten_nested and not pushes_direct_members_only(idp_format):
        return " (nested groups flattened)"
    return " (direct members only)"


def set_members_action(a: Assignment, push: GroupPush, now_ids: list[str], group_action_id: str,
                       evidence: GroupEvidence, note: str, removes: Iterable[str] = (),
                       keeps: Sequence[PushedUser] = (), setting: str = "", scim_keeps: Sequence[PushedUser] = (),
                       held_keeps: Sequence[PushedUser] = ()) -> Action:
    """``scim.set_group_members``: the team's members become the group's provisioned users (by the
    userName sent), after their links and creates and the group's own link or create, and after the
    links of the leftovers its push removes (``removes``: their ``scim.link_user`` ids,
    :func:`removed_by_push`), so that they are SCIM-managed when it replaces the team's members. The list
    also ``keeps`` the linked team members in the group only through nesting whom ``teams.nested_only``
    (``setting``: ``keep``, or ``review`` until decided) does not remove: left out, the push, which replaces
    the team's SCIM members, would remove them (:func:`nested_kept`); and ``scim_keeps``, the ``scim_kept``
    members the team's SCIM group lists though the export's group does not (:attr:`Leftovers.scim_kept`); and
    ``held_keeps``, the held members the team's SCIM group lists (:func:`held_kept`)."""
    user_names = list(map(attrgetter("user_name"), push.pushed))
    kept = [k.user_name for k in keeps]
    if kept:
        note += (f"; keeps {', '.join(sorted(kept))}, in the group only through a nested group "
                 f"(teams.nested_only is {setting})")
    by_scim = [k.user_name for k in scim_keeps]
    if by_scim:
        note += (f"; keeps {', '.join(sorted(by_scim))}: Sigma's SCIM group lists them and "
                 "linking.scim_state_conflicts says Sigma's SCIM state is newer than the export")
        kept += by_scim
    held = [k.user_name for k in held_keeps]
    if held:
        note += (f"; keeps {', '.join(sorted(held))}: held by a blocking review item, so the push does not "
                 "remove them while it is open")
        kept += held
    return make_action(
        ActionKind.SCIM_SET_GROUP_MEMBERS,
        a.group_id,
        target=group_target(a),
        before=GroupMembersBefore(member_ids=list(now_ids)),
        after=GroupMembersAfter(members=sorted(user_names + kept)),
        rule=a.rule,
        reason=f"team {a.name!r} members = the {len(user_names)} provisioned member(s) of group {a.group_name!r}{note}",
        evidence=evidence,
        depends_on=[*filter(None, map(attrgetter("action_id"), push.pushed)), group_action_id, *filter(None, removes),
                    *filter(None, (k.action_id for k in keeps))],
    )


def reachable_through(group: Group, people: TeamPeople) -> dict[str, tuple[str, ...]]:
    """``{memberId: nesting path}`` of the members whose IdP user is in ``group`` only through a
    nested group (:attr:`~planner.directory.Group.nested_only`), linked or not."""
    linked = people.member_ids
    return {linked[i]: path for i, path in group.nested_only.items() if i in linked}


def leftovers_of(a: Assignment, now_ids: list[str], push: GroupPush, through: Mapping[str, tuple[str, ...]],
                 policy: Teams, directory: Directory, people: TeamPeople,
                 group_outside: Mapping[str, str] | None = None) -> Leftovers:
    """The team members the group does not push (by memberId), sorted into :class:`Leftovers`:
    the active ones the group's push removes (:func:`removed_by_push`) are ``pushed_out`` whatever
    ``teams.leftovers`` says (the push replaces the team's SCIM members); of the others, those the group
    lists by an address of another domain (``group_outside``, :func:`outside_sigma_members`) are ``outside``
    while ``teams.outside_members`` is not ``leftovers``, and under ``leftovers: remove`` the active ones
    are removed, except those in the group only through nesting while ``teams.nested_only`` is not
    ``leftovers`` (the policy decides, no removal on a guess); the others, and every other leftover under
    ``report``, are reported."""
    gone = list(filterfalse(push.holds.__contains__, now_ids))
    dropped = unprovisioned_leftovers(a, now_ids, push, directory, people)
    if not gone:
        return Leftovers(pushed_out=dropped) if dropped else Leftovers()  # a scim_kept member the group lists is pushed
    admin = {m.member_id: m.is_team_admin for m in directory.team_members.get(a.team_id, ())}
    members = directory.members
    scim_users = directory.scim.users
    left = [Leftover(mid, members[mid].email if mid in members else None, bool(admin.get(mid)),
                     membership_state(mid, directory, people), through.get(mid, ()), mid in scim_users,
                     left_behind=mid in people.left_behind and mid not in directory.scim.provisioned_elsewhere)
            for mid in gone]
    scim_group = directory.scim.groups.get(a.team_id) if a.team_id else None
    scim_kept = tuple(x for x in left if x.member_id in people.scim_kept and x.state == "active"
                      and scim_group is not None and removed_by_push(x.member_id, a.team_id, directory, people))
    if scim_kept:
        keep = {x.member_id for x in scim_kept}
        left = [x for x in left if x.member_id not in keep]
    pushed_out = tuple(x for x in left if x.state == "active" and (not x.through or policy.nested_only == "leftovers")
                       and removed_by_push(x.member_id, a.team_id, directory, people))
    if pushed_out:
        out = {x.member_id for x in pushed_out}
        left = [x for x in left if x.member_id not in out]
    pushed_out += dropped
    outside: tuple[Leftover, ...] = ()
    if policy.outside_members != "leftovers" and group_outside:
        outside = tuple(x for x in left if x.member_id in group_outside and x.state == "active")
        left = [x for x in left if not (x.member_id in group_outside and x.state == "active")]
    if policy.leftovers == "report":
        return Leftovers(reported=tuple(left), pushed_out=pushed_out, outside=outside, scim_kept=scim_kept)
    nested = ()
    if policy.nested_only != "leftovers":
        nested = tuple(x for x in left if x.through and x.state == "active")
        left = [x for x in left if not (x.through and x.state == "active")]
    return Leftovers(nested, tuple(x for x in left if x.state == "active"),
                     tuple(x for x in left if x.state != "active"), pushed_out, outside, scim_kept)


def unprovisioned_leftovers(a: Assignment, now_ids: list[str], push: GroupPush, directory: Directory,
                            people: TeamPeople) -> tuple[Leftover, ...]:
    """The active team members the group holds but the plan does not provision (:attr:`TeamPeople.unpushed`:
    a leaver, a member out of scope, a guest not converted) whom the push removes all the same
    (:func:`removed_by_push`: the team's SCIM group lists them): the push's member list holds the provisioned
    users only, so they leave the team; each is a removal by the push, named and counted (tester9 finding F5:
    such a removal was hidden in ``scim.set_group_members``, which the summary, show and the guard never
    saw). Sorted by memberId as ``now_ids`` is."""
    unpushed = people.unpushed
    if not unpushed:
        return ()
    admin = {m.member_id: m.is_team_admin for m in directory.team_members.get(a.team_id, ())}
    members = directory.members
    return tuple(Leftover(mid, members[mid].email, bool(admin.get(mid)), "active", (), True, unpushed[mid])
                 for mid in now_ids
                 if mid in unpushed and mid in push.holds and membership_state(mid, directory, people) == "active"
                 and removed_by_push(mid, a.team_id, directory, people))


def held_kept(a: Assignment, now_ids: list[str], directory: Directory, people: TeamPeople) -> list[PushedUser]:
    """The team members a blocking review item holds (:attr:`TeamPeople.held`) whom the group's push would
    remove (:func:`removed_by_push`: the team's SCIM group lists them, a re-plan after a wave), each with the
    userName Sigma's SCIM state has for them: the push keeps them in its member list. A held member is never
    removed while the question is open (module docstring), and the push, whose list leaves out whoever it does
    not provision, is a removal too (tester10 finding 7: a re-plan holding Ann and Bob pushed Finance empty
    while its row said 2 -> 2). Sorted by memberId as ``now_ids`` is."""
    held = people.held
    if not held or a.team_id is None or a.team_id not in directory.scim.groups:
        return []
    users = directory.scim.users
    return [PushedUser(mid, users[mid].user_name, "") for mid in now_ids
            if mid in held and mid in users and removed_by_push(mid, a.team_id, directory, people)]


def nested_kept(left: Leftovers, people: TeamPeople) -> list[PushedUser]:
    """The linked team members in the group only through nesting that ``teams.nested_only`` (``review`` or
    ``keep``) leaves in the team (``left.nested``): the group's push keeps them in its member list, else it
    would remove them, as it removes every SCIM-managed member it leaves out (:func:`removed_by_push`)."""
    links = people.links
    return [links[x.member_id] for x in left.nested if x.member_id in links]


def removed_by_push(member_id: str, team_id: str | None, directory: Directory, people: TeamPeople) -> bool:
    """Whether the group's push removes team leftover ``member_id`` (active, not in the group) from team
    ``team_id``: the push's member list replaces the team's SCIM-managed members (RFC 7644 §3.5.2; the
    IdP's own push too, docs/sigma-api.md §6.1 "linking replaces the team's members"), so it removes a
    member the team's SCIM group holds when it runs. For a team Sigma's SCIM state already links: the SCIM
    group lists the member. Before the team is linked: the plan provisions the member (``scim.link_user``,
    which the push waits for). Otherwise the push does not see the membership (a pre-SCIM member SCIM does
    not manage, or one the SCIM group does not list): it stays unless removed through the REST API (§5.4)."""
    group = directory.scim.groups.get(team_id) if team_id else None
    if group is None:
        return member_id in people.links
    user = directory.scim.users.get(member_id)
    return user is not None and user.id in group.member_ids


def removal_action(a: Assignment, leftover: Leftover, set_members_id: str, by_push: bool = False) -> Action:
    """``teams.remove_member``, after the group's members are set: SCIM does not remove members a team had
    before it that it does not manage (docs/sigma-api.md §5.4), so such a leftover is removed through the
    REST API; one the push removes (``by_push``, :func:`removed_by_push`) gets no REST write (a second
    write would fail, or remove a member the IdP added back): ``evidence.removedBy`` names the push and
    apply checks the member is gone. The reason says why the push leaves the member: a pre-SCIM member, or for
    a member SCIM manages (``leftover.scim_managed``, tester7 finding 16b) a membership the team's SCIM group
    does not list."""
    mid, through = leftover.member_id, leftover.through
    why = (f"not in IdP group {a.group_name!r}"
           + (f" (reachable only through nested group {' > '.join(through)!r}, "
              "which teams.nested_only treats as a leftover)" if through else ""))
    if by_push and leftover.unprovisioned:
        reason = (f"removed from team {a.name!r} by the push of {set_members_id}: in IdP group {a.group_name!r}, but "
                  f"{leftover.unprovisioned}, so the plan does not provision them and the push, whose member list "
                  "replaces the team's SCIM-managed members, leaves them out; no REST request, apply checks they are gone")
    elif by_push:
        reason = (f"removed from team {a.name!r} by the push of {set_members_id}: {why}, and a SCIM-managed member "
                  "of the team when its member list replaces the team's; no REST request, apply checks they are gone")
    elif leftover.scim_managed:
        reason = (f"remove from team {a.name!r}: {why}; a member SCIM manages, but the team's SCIM group does not "
                  "list this membership, so the push does not remove it")
    elif leftover.left_behind:
        reason = (f"remove from team {a.name!r}: {why}; the member a userName change in the IdP left behind, "
                  "which linking.second_accounts deactivates: SCIM provisioned it, but its SCIM user is the new "
                  "member's now, so the push does not remove it")
    else:
        reason = f"remove from team {a.name!r}: {why}, and SCIM does not remove pre-SCIM members"
    return make_action(
        ActionKind.TEAMS_REMOVE_MEMBER,
        f"{a.team_id}:{mid}",
        target=TeamMemberTarget(team_id=a.team_id, name=a.name, member_id=mid, email=leftover.email),
        before=TeamMemberBefore(user_id=mid, is_team_admin=leftover.is_team_admin),
        after=None,
        rule="teams.leftovers",
        reason=reason,
        evidence=RemoveMemberEvidence(group_id=a.group_id, reachable_only_through=list(through) if through else UNSET,
                                      removed_by=set_members_id if by_push else UNSET),
        depends_on=[set_members_id],
    )


def removals_by_final_pushes(actions: list[Action], state: ScimState) -> list[Action]:
    """``actions`` with each ``teams.remove_member`` a push makes (``evidence.removedBy``, :func:`removal_action`)
    kept only while that push, as finally planned, leaves the member out: the push's member list is what
    removes them, so it alone says whether they leave (tester10 finding 7: one fact behind the team's
    ``+a -r``, the person's row, ``summary.teams.member_removals`` and the ``team_member_removals`` guard).

    After :func:`planner.rules.scim_state.settle`, which may keep SCIM's side of a membership in the push's
    list (:func:`~planner.rules.scim_state.dated_group_members`, :func:`~planner.rules.scim_state.held_group_members`)
    or drop the push as Sigma's SCIM group already holds its list: a removal whose push is no longer planned,
    or whose push's ``after.members`` holds the member's SCIM ``userName`` (``state``: Sigma's SCIM state,
    users by memberId), is dropped, and so is every dependency on it (was: the plan counted a removal the push
    never made, and apply failed it, ``NotRemovedByPush``). Same order otherwise; no SCIM state, no change."""
    pushes = {a.id: a for a in actions if a.kind is ActionKind.SCIM_SET_GROUP_MEMBERS}
    listed: dict[str, frozenset[str]] = {}  # the userNames of each push asked about, as keys, made once
    dropped = set()
    for a in actions:
        by = a.evidence.removed_by if a.kind is ActionKind.TEAMS_REMOVE_MEMBER else UNSET
        if not by:
            continue
        user = state.users.get(a.target.member_id)
        if by not in pushes:
            dropped.add(a.id)
        elif user is not None:  # keyed only here: most removals' members have no SCIM user (0 of 3,278 at 100k)
            if by not in listed:
                listed[by] = frozenset(map(email_key, pushes[by].after.members))
            if email_key(user.user_name) in listed[by]:
                dropped.add(a.id)
    if not dropped:
        return actions
    return [msgspec.structs.replace(a, depends_on=tuple(d for d in a.depends_on if d not in dropped))
            if dropped.intersection(a.depends_on) else a for a in actions if a.id not in dropped]


def leftovers_item(a: Assignment, reported: tuple[Leftover, ...], setting: str) -> ReviewItem:
    """``teams.leftovers`` (informational): team members not in the group who stay after SCIM
    (``setting``: ``teams.leftovers``; under ``remove``, those that cannot be removed)."""
    return make_review(
        "teams.leftovers",
        a.team_id,
        blocking=False,
        subject=ItemRef(team_id=a.team_id, name=a.name),
        message=(f"{len(reported)} member(s) of team {a.name!r} are not in group {a.group_name!r} and stay in "
                 "the team after SCIM"
                 + (not_removable_note({x.state for x in reported}) if setting == "remove" else "")),
        rule="teams.leftovers",
        candidates=[ItemRef(member_id=x.member_id, email=x.email, state=x.state,
                            reachable_only_through=" > ".join(x.through) if x.through else UNSET) for x in reported],
        resolution=(yaml_snippet({"teams": {"leftovers": "remove"}})
                    if setting == "report" and any(x.state == "active" for x in reported) else ""),
    )


def renamed_by_idp_item(a: Assignment) -> ReviewItem:
    """``teams.renamed_by_idp`` (informational): the group's displayName is not the team's name, so its
    first push renames the team unless the IdP app maps displayName. For a team Sigma's SCIM state links
    (rule ``scim``) the team's name is SCIM's, newer than the export's maybe: the plan keeps it."""
    if a.rule == "scim":
        message = (f"Sigma's SCIM state links team {a.name!r} to IdP group {a.group_id}, which the export names "
                   f"{a.group_name!r}: the plan keeps the team's name; if the export is newer, the IdP's next push "
                   "renames the team")
    else:
        message = (f"the IdP pushes group {a.group_name!r} with displayName {a.group_name!r}: after its first "
                   f"push the team {a.name!r} takes that name unless the IdP app maps displayName "
                   "(or the group is renamed)")
    return make_review(
        "teams.renamed_by_idp",
        a.group_id,
        blocking=False,
        subject=msgspec.convert(msgspec.to_builtins(group_target(a)), ItemRef),
        message=message,
        rule=a.rule,
    )


def nested_only_item(a: Assignment, nested: tuple[Leftover, ...], setting: str, idp_format: str) -> ReviewItem:
    """``teams.nested_only``: team members in the group only through a nested group, not removed
    (blocking under ``setting`` ``review``, informational under ``keep``)."""
    entra = idp_format.split("-")[0] == "entra"
    via = sorted({" > ".join(x.through) for x in nested})
    pushes = ("Entra ID provisioning pushes only a group's direct members" if entra
              else f"with teams.flatten_nested off the plan counts only direct members, as {idp_name(idp_format)} "
                   "pushes them when it does not expand nested groups")
    alternatives = [{"teams": {"nested_only": "keep"}}] + ([] if entra else [{"teams": {"flatten_nested": True}}])
    return make_review(
        "teams.nested_only",
        a.team_id or a.group_id,
        blocking=setting == "review",
        subject=ItemRef(team_id=a.team_id, name=a.name, group_id=a.group_id, group_display_name=a.group_name),
        message=(f"{len(nested)} member(s) of team {a.name!r} are not direct members of group {a.group_name!r}: "
                 f"reachable only through nested group(s) {', '.join(repr(v) for v in via)}; {pushes}, so they "
                 + ("stay in the team (teams.nested_only is keep)" if setting == "keep"
                    else "are not removed until the policy decides (or they are added to the group directly)")),
        rule="teams.nested_only",
        candidates=[ItemRef(member_id=x.member_id, email=x.email, reachable_only_through=" > ".join(x.through))
                    for x in nested],
        resolution=(yaml_snippet({"teams": {"nested_only": "leftovers"}}, *alternatives,
                                 notes=["remove them like any leftover (the IdP will not push them):"])
                    if setting == "review" else ""),
    )


def not_pushed_people(group: Group, people: TeamPeople, now: set[str]
                      ) -> list[tuple[str, str | None, tuple[str, ...]]]:
    """``(userName, memberId or None, nesting path)`` of the provisioned people in ``group`` only through
    a nested group and not in its team: an IdP that pushes direct members only never adds them."""
    pushed, linked = people.pushed, people.member_ids
    return [(pushed[i].user_name, linked.get(i), path) for i, path in group.nested_only.items()
            if i in pushed and linked.get(i) not in now]


def nested_not_pushed_item(a: Assignment, found: list[tuple[str, str | None, tuple[str, ...]]],
                           setting: str) -> ReviewItem:
    """``teams.nested_not_pushed``: provisioned people (:func:`not_pushed_people`) whom Entra ID never
    pushes, left out of the team's ``scim.set_group_members``; blocking while ``teams.nested_only``
    (``setting``) is ``review``."""
    assign = sorted({path[-1] for _, _, path in found})
    found = sorted(((u, m, " > ".join(path)) for u, m, path in found), key=lambda p: p[0])
    return make_review(
        "teams.nested_not_pushed",
        a.team_id or a.group_id,
        blocking=setting == "review",
        subject=ItemRef(team_id=a.team_id, name=a.name, group_id=a.group_id, group_display_name=a.group_name),
        message=(
            f"{len(found)} provisioned person(s) are in group {a.group_name!r} only through nested group(s) "
            f"{', '.join(repr(v) for v in sorted({p[2] for p in found}))}: Entra ID provisions only direct members "
            f"of an assigned group; assign {', '.join(repr(g) for g in assign)} or add these people directly "
            f"(the plan does not add them to team {a.name!r})"
        ),
        rule="teams.nested_only",
        candidates=[ItemRef(user_name=u, member_id=m, reachable_only_through=via) for u, m, via in found],
        resolution=(yaml_snippet({"teams": {"nested_only": "keep"}}, {"teams": {"flatten_nested": False}},
                                 notes=["leave them out of the team, as Entra ID will (or assign the nested group, "
                                        "or add them to the group directly, and export again):"])
                    if setting == "review" else ""),
    )


def outside_sigma_members(group: Group, directory: Directory) -> dict[str, str]:
    """``{memberId: email as the group lists it}`` of the active Sigma members (neither archived nor inactive)
    whose email (:func:`~planner.model.email_key`) is one of the group's
    :attr:`~planner.directory.Group.outside_members`: people the group holds whom the IdP never provisions (a
    Google member of another domain or ``EXTERNAL``, docs/formats.md §4c; an Entra mail contact, §3e). Empty for a group without outside members."""
    found: dict[str, str] = {}
    for email in group.outside_members:
        for mid in directory.member_ids_by_email_key.get(email_key(email), ()):
            member = directory.members.get(mid)
            if member is not None and not member.is_archived and not member.is_inactive:
                found.setdefault(mid, email)
    return found


def outside_member_item(a: Assignment, outside: Mapping[str, str], now_ids: list[str], setting: str,
                        directory: Directory) -> ReviewItem:
    """``teams.outside_member``: group ``a`` lists active Sigma members (``outside``, :func:`outside_sigma_members`)
    by an address of another domain than the export's users (or as Entra mail contacts: the words are
    :func:`~planner.model.outside_words`'). Google's SCIM app provisions only the users of the Workspace domain(s)
    (docs/formats.md §4c), Entra ID provisioning users, never mail contacts (§3e), so the IdP never pushes them: they are not linked, not
    added to the team, and a team member among them is not removed while ``setting``
    (``teams.outside_members``) is ``review`` (blocking) or ``keep`` (informational)."""
    now, words = set(now_ids), outside_words(directory.idp_format)
    shown = [f"{email} (member {mid}, {'in' if mid in now else 'not in'} the team)"
             for mid, email in sorted(outside.items(), key=lambda p: p[1].casefold())]
    return make_review(
        "teams.outside_member",
        a.team_id or a.group_id,
        blocking=setting == "review",
        subject=ItemRef(team_id=a.team_id, name=a.name, group_id=a.group_id, group_display_name=a.group_name),
        message=(f"group {a.group_name!r} lists {len(outside)} active Sigma member(s) {words.listed}: "
                 f"{'; '.join(shown)}. {words.provisions_only}, so the IdP will neither link nor push them: the plan "
                 f"does not add them to team {a.name!r}, and "
                 + ("keeps those in it (teams.outside_members is keep), unmanaged by the IdP" if setting == "keep"
                    else "does not remove those in it until the policy decides")),
        rule="teams.outside_members",
        candidates=[ItemRef(member_id=mid, email=directory.members[mid].email,
                            state="in team" if mid in now else "not in team")
                    for mid, email in sorted(outside.items(), key=lambda p: p[1].casefold())],
        resolution=(yaml_snippet({"teams": {"outside_members": "keep"}}, {"teams": {"outside_members": "leftovers"}},
                                 notes=["keep them in the team as members the IdP does not manage (or remove them "
                                        f"like any leftover; or make them {words.users_of} and export again):"])
                    if setting == "review" else ""),
    )


def confirmed_empty(group_name: str, policy: Teams) -> bool:
    """True when ``teams.confirm_empty`` names ``group_name`` (exact displayName, or ``re:`` full match):
    the reviewer says this IdP group is meant to have no members."""
    return any(group_pattern_matcher(pattern)(group_name) for pattern in policy.confirm_empty)


def empty_group_item(a: Assignment, now_ids: list[str], left: Leftovers, confirmed: bool) -> ReviewItem:
    """``teams.empty_group``: the IdP group has no members while its team has ``now_ids``, so the push sets
    the team's SCIM members to none and the leftovers go (``left.removed``, ``left.pushed_out``). An empty group is more often an
    export or assignment fault than an intent, and emptying a team is never silent (README, "an incomplete
    input is an error or a blocking review item"): blocking unless ``confirmed`` (:func:`confirmed_empty`)."""
    lost = len(left.removed) + len(left.pushed_out)
    return make_review(
        "teams.empty_group",
        a.team_id or a.group_id,
        blocking=not confirmed,
        subject=ItemRef(team_id=a.team_id, name=a.name, group_id=a.group_id, group_display_name=a.group_name),
        message=(f"IdP group {a.group_name!r} has no members while team {a.name!r} has {len(now_ids)}: the team "
                 f"would lose {lost} of them (teams.remove_member) and its SCIM members would be none"
                 + (" (teams.confirm_empty names the group)" if confirmed
                    else "; confirm the group is meant to be empty, or export its members")),
        rule="teams.empty_group",
        resolution="" if confirmed else yaml_snippet(
            {"teams": {"confirm_empty": [a.group_name]}},
            notes=["the group is meant to be empty (else export the group's members again and plan again):"]),
    )


def last_team_admin_item(a: Assignment, left: Leftovers, directory: Directory, people: TeamPeople,
                         policy: Teams) -> ReviewItem | None:
    """``teams.last_team_admin`` when the plan removes every team admin of a team that has one (``left.removed``
    and ``left.pushed_out`` hold them all, no active team admin stays), else ``None``. A team admin is a flag of
    the Sigma team membership (``isTeamAdmin``, docs/sigma-api.md §3) that SCIM has no attribute for: a removed
    team admin the IdP later adds to the group again comes back a plain member, and the team is left with
    nobody to manage it in Sigma (tester14a finding 8). Blocking unless ``teams.confirm_team_admin_removals``
    names the group; a team keeping one active team admin raises nothing (each removal's ``before`` says
    ``isTeamAdmin``), nor does a team an empty group empties (:func:`team_items`: ``teams.empty_group`` asks
    whether the team is to lose everyone, its team admins with them)."""
    removed = [x for x in (*left.removed, *left.pushed_out) if x.is_team_admin]
    if not removed or a.team_id is None:
        return None
    gone = {x.member_id for x in removed}
    if any(m.is_team_admin and m.member_id not in gone and membership_state(m.member_id, directory, people) == "active"
           for m in directory.team_members.get(a.team_id, ())):
        return None
    confirmed = any(group_pattern_matcher(p)(a.group_name) for p in policy.confirm_team_admin_removals)
    names = ", ".join(x.email or x.member_id for x in sorted(removed, key=attrgetter("member_id")))
    return make_review(
        "teams.last_team_admin",
        a.team_id,
        blocking=not confirmed,
        subject=ItemRef(team_id=a.team_id, name=a.name, group_id=a.group_id, group_display_name=a.group_name,
                        member_ids=sorted(gone)),
        message=(f"team {a.name!r} would lose its last team admin ({names}: teams.remove_member), as IdP group "
                 f"{a.group_name!r} does not hold them: SCIM has no team admin role, so adding them to the group "
                 "later makes them plain members and the team has no team admin"
                 + (" (teams.confirm_team_admin_removals names the group)" if confirmed
                    else "; add them to the IdP group and export again, or confirm the team may lose them")),
        rule="teams.last_team_admin",
        resolution="" if confirmed else yaml_snippet(
            {"teams": {"confirm_team_admin_removals": [a.group_name]}},
            notes=["the team may be left with no team admin (else add them to the IdP group, export and plan "
                   "again):"]),
    )


def team_items(a: Assignment, group: Group, now_ids: list[str], left: Leftovers, policy: Teams,
               directory: Directory, people: TeamPeople, outside: Mapping[str, str] | None = None
               ) -> tuple[ReviewItem, ...]:
    """The review items of one linked or created team: an empty group emptying it, people Entra ID will not
    push, nested-only members, reported leftovers, active members the group lists by an address of another
    domain (``outside``, :func:`outside_sigma_members`), a team the group's displayName renames, a team losing
    its last team admin (:func:`last_team_admin_item`)."""
    items = []
    if now_ids and not group.member_ids:
        items.append(empty_group_item(a, now_ids, left, confirmed_empty(a.group_name, policy)))
    if policy.flatten_nested and pushes_direct_members_only(directory.idp_format):
        found = not_pushed_people(group, people, set(now_ids))
        if found:
            items.append(nested_not_pushed_item(a, found, policy.nested_only))
    if left.nested:
        items.append(nested_only_item(a, left.nested, policy.nested_only, directory.idp_format))
    if left.reported:
        items.append(leftovers_item(a, left.reported, policy.leftovers))
    if outside and policy.outside_members != "leftovers":
        items.append(outside_member_item(a, outside, now_ids, policy.outside_members, directory))
    if a.name != a.group_name:
        items.append(renamed_by_idp_item(a))
    last_admin = last_team_admin_item(a, left, directory, people, policy) if group.member_ids else None
    if last_admin is not None:  # an empty group empties the team: teams.empty_group asks that, team admins and all
        items.append(last_admin)
    return tuple(items)


def push_joiners(push: GroupPush, now_ids: Collection[str]) -> dict[str, str]:
    """``{email key: userName}``: the :func:`~planner.model.email_key` of each userName ``push`` sends for a
    person not in the team (``now_ids``: its memberIds) yet, to that userName: a user ``scim.create_user``
    creates (no memberId yet) or a member outside the team. What the push adds, as
    :attr:`TeamDecision.joining` carries it; one entry per key (of two userNames with one key, the last)."""
    now = set(now_ids)
    return {email_key(p.user_name): p.user_name for p in push.pushed if p.member_id is None or p.member_id not in now}


def still_sent(joins: Mapping[str, str], members: Sequence[str]) -> int:
    """How many of ``joins`` (:func:`push_joiners`: email key -> userName) a push whose ``after.members`` are
    ``members`` still sends: a key is sent when one of ``members`` has it (:func:`~planner.model.email_key`).
    Settling may have kept SCIM's spelling of a userName in the list
    (:func:`~planner.rules.scim_state.dated_group_members`), so a userName not in ``members`` as sent is looked
    up by key; when every one is there as sent, no member is keyed (209,091 members of 3,283 pushes at 100k:
    ~0.3 s of ``plan``'s CPU, s16, issue 10 item 5)."""
    sent = set(members)
    unseen = [key for key, user_name in joins.items() if user_name not in sent]
    if not unseen:
        return len(joins)
    keys = set(map(email_key, members))
    return len(joins) - sum(key not in keys for key in unseen)


def team_row(a: Assignment, now_ids: list[str], joining: Mapping[str, str], removals: int,
             action_ids: list[str]) -> TeamRow:
    """The report's row of a linked or created team: members before, added (``joining``,
    :func:`push_joiners`), removed, after (before + added - removed: each member once, build_directory)."""
    return TeamRow(
        team_id=a.team_id, name=a.name, group_id=a.group_id, group_name=a.group_name,
        mode="link" if a.team_id else "create",
        members_before=len(now_ids),
        members_after=len(now_ids) + len(joining) - removals,
        members_added=len(joining),
        members_removed=removals,
        actions=tuple(sorted(action_ids)), is_archived=False,
    )


def row_of_final_actions(row: TeamRow, final: Mapping[str, Action],
                         joining: Mapping[str, Mapping[str, str]] | None = None) -> TeamRow:
    """``row`` as the plan's ``final`` actions (by id) leave it, after settling dropped or changed some
    (:func:`planner.rules.scim_state.settle`, :func:`planner.rules.scim_values.drop_unnamed_teams`,
    :func:`removals_by_final_pushes`): only the ids still planned; removed, the ``teams.remove_member``
    actions left; added, the people the push adds (``joining``, :attr:`TeamDecision.joining`) its final
    ``after.members`` still sends (settling may keep SCIM's side of a membership out of it:
    :func:`~planner.rules.scim_state.dated_group_members`), none without a push; after, before + added -
    removed. So the row's ``+a -r`` is what the plan's actions do, one fact with the summary and the guard."""
    kept = tuple(i for i in row.actions if i in final)
    acts = [final[i] for i in kept]
    push = next((x for x in acts if x.kind is ActionKind.SCIM_SET_GROUP_MEMBERS), None)
    added = 0
    if push is not None:
        joins = (joining or {}).get(push.id)
        added = row.members_added if joins is None else still_sent(joins, push.after.members)
    removed = sum(x.kind is ActionKind.TEAMS_REMOVE_MEMBER for x in acts)
    if (kept, added, removed) == (row.actions, row.members_added, row.members_removed):
        return row
    return msgspec.structs.replace(row, actions=kept, members_added=added, members_removed=removed,
                                   members_after=row.members_before + added - removed)


def decide_team(a: Assignment, policy: Teams, directory: Directory, people: TeamPeople) -> TeamDecision:
    """One assignment's :class:`TeamDecision`: nothing but ``teams.no_team`` for a team to create under
    ``mode: link``; else the group's link or create, ``scim.set_group_members`` (the group's
    provisioned users), the leftovers' removals, the items and the team's row. Shapes:
    docs/policy.md ("Actions")."""
    if a.team_id is None and policy.mode == "link":
        return TeamDecision(review_items=(no_team_item(a),))
    unclean = unclean_name_parts(a.name)
    if unclean and a.team_id is None:
        return TeamDecision(review_items=(unclean_name_item(a, unclean),))
    group = directory.groups[a.group_id]
    push = group_push(group, people)
    now_ids = team_member_ids(a.team_id, directory)
    evidence = GroupEvidence(rule=a.rule, group_members=push.size, group_members_provisioned=len(push.pushed))
    adopt = group_action(a, evidence)
    outside = outside_sigma_members(group, directory) if group.outside_members else {}
    left = leftovers_of(a, now_ids, push, reachable_through(group, people), policy, directory, people, outside)
    links = people.links
    set_members = set_members_action(a, push, now_ids, adopt.id, evidence,
                                     members_note(group, policy, directory.idp_format),
                                     [links[x.member_id].action_id for x in left.pushed_out if x.member_id in links],
                                     nested_kept(left, people), policy.nested_only,
                                     [links[x.member_id] for x in left.scim_kept], held_kept(a, now_ids, directory, people))
    removals = tuple(sorted((*(removal_action(a, x, set_members.id) for x in left.removed),
                             *(removal_action(a, x, set_members.id, by_push=True) for x in left.pushed_out)),
                            key=attrgetter("id")))
    joining = push_joiners(push, now_ids)
    row = team_row(a, now_ids, joining, len(removals), [adopt.id, set_members.id] + [r.id for r in removals])
    items = team_items(a, group, now_ids, left, policy, directory, people, outside)
    return TeamDecision((adopt, set_members) + removals,
                        items + ((unclean_name_item(a, unclean),) if unclean else ()), (row,),
                        {set_members.id: joining})


# --------------------------------------------------------------------------- teams no group maps to


@dataclass(frozen=True, slots=True)
class RenameCandidates:
    """The unmanaged teams a rename could leave behind: active, no group assigned, not named in
    ``teams.map``, with members. ``names`` and ``sizes`` (memberships) by teamId; ``teams_of``: the
    teams each memberId is in, by teamId."""

    names: Mapping[str, str]
    sizes: Mapping[str, int]
    teams_of: Mapping[str, tuple[str, ...]]


def rename_candidates(assignments: list[Assignment], policy: Teams, directory: Directory) -> RenameCandidates:
    """The :class:`RenameCandidates` left by ``assignments``."""
    assigned = {a.team_id for a in assignments if a.team_id}
    members = directory.team_members
    names = {t.team_id: t.name for t in directory.teams.values()
             if not t.is_archived and t.team_id not in assigned and t.name not in policy.map and members.get(t.team_id)}
    teams_of: dict[str, list[str]] = {}
    for tid in sorted(names):
        for m in members[tid]:
            teams_of.setdefault(m.member_id, []).append(tid)
    return RenameCandidates(names, {tid: len(members[tid]) for tid in names},
                            {mid: tuple(tids) for mid, tids in teams_of.items()})


def candidate_links(candidates: RenameCandidates, people: TeamPeople) -> TeamPeople:
    """``people`` with only the links to members of the candidate teams: the only links :func:`overlapping`
    counts, so a group's :func:`group_holds` over them looks up each of its users in a dict of those
    few (a few thousand at 100k members) instead of every link."""
    member_ids = {iid: mid for iid, mid in people.member_ids.items() if mid in candidates.teams_of}
    return TeamPeople(member_ids, {}, people.held)


def shared_percent(shared: int, team_members: int, group_members: int) -> int:
    """The overlap of a group and a team as a whole percent, rounded down: ``shared`` people of the larger
    of ``team_members`` and ``group_members`` (the lower of the two shares; ``19, 24, 24`` -> ``79``), so
    it is never shown above the threshold it missed."""
    return shared * 100 // max(team_members, group_members, 1)


def overlapping(holds: frozenset[str], size: int, candidates: RenameCandidates, percent: int) -> list[tuple[int, str]]:
    """``[(shared people, teamId)]`` of the candidate teams sharing at least ``percent`` (1-100) of their
    members and of the group's (``holds``: :func:`group_holds`, of every link or of :func:`candidate_links`;
    ``size``: its users), most shared first (then team name, teamId). Counted in whole people:
    ``shared * 100 >= percent * members`` on each side, no float rounding."""
    # each held member's candidate teams, counted in C (Counter over a chain of the lookups)
    shared = Counter(chain.from_iterable(filter(None, map(candidates.teams_of.get, holds))))
    least = percent * size
    return sorted(((n, tid) for tid, n in shared.items()
                   if n * 100 >= least and n * 100 >= percent * candidates.sizes[tid]),
                  key=lambda x: (-x[0], candidates.names[x[1]], x[1]))


def possible_percent(rename_percent: int) -> int:
    """The least overlap named by the informational ``teams.possible_rename``: half of
    ``teams.rename_percent``, rounded up (``50`` -> ``25``)."""
    return (rename_percent + 1) // 2


def overlap_words(n: int, team: str, team_members: int, group_members: int) -> str:
    """``"19 of 24 members of team 'Finance' (79%) ... 19 of the group's 24 (79%)"``: both sides of an overlap."""
    return (f"{n} of {team_members} members of team {team!r} ({n * 100 // max(team_members, 1)}%), which no IdP group "
            f"maps to, are in it ({n} of the group's {group_members} member(s), {n * 100 // max(group_members, 1)}%)")


def rename_candidate_refs(hits: list[tuple[int, str]], group_members: int, candidates: RenameCandidates
                          ) -> list[ItemRef]:
    """The teams of ``hits`` (:func:`overlapping`) as an item's candidates: teamId, name, members, how many of
    them are in the group and the overlap's :func:`shared_percent`."""
    return [ItemRef(team_id=t, name=candidates.names[t], members=candidates.sizes[t], in_group=k,
                    shared_percent=shared_percent(k, candidates.sizes[t], group_members)) for k, t in hits]


def likely_rename_item(a: Assignment, group_size: int, hits: list[tuple[int, str]],
                       candidates: RenameCandidates, policy: Teams) -> ReviewItem:
    """``teams.likely_rename``: a group a name rule would make a new team of shares at least
    ``teams.rename_percent`` of its members and of an unmanaged team's (``hits``: :func:`overlapping`, the
    most shared first). Blocking, the group's decision replaced (nothing created, nothing pushed), until
    ``teams.map`` gives the team to the group or ``teams.confirm_new_teams`` names the group (a team of its
    own: the item is then informational and the group is planned as any new team)."""
    n, tid = hits[0]
    old = candidates.names[tid]
    confirmed = confirmed_new_team(a.group_name, policy)
    head = (f"group {a.group_name!r} would become a new team {a.name!r} ({a.rule}), and "
            f"{overlap_words(n, old, candidates.sizes[tid], group_size)}: at least teams.rename_percent "
            f"({policy.rename_percent}%) of both")
    if confirmed:
        message = (f"{head}; teams.confirm_new_teams names the group, so it is planned as a team of its own beside "
                   f"{old!r}")
        resolution = ""
    else:
        message = (f"{head}, so the group was likely renamed after the team was made; a new team would leave "
                   f"{old!r} unmanaged beside a second team of the same people: nothing is created for the group "
                   "until the policy decides")
        resolution = yaml_snippet({"teams": {"map": {old: a.group_name}}},
                                  {"teams": {"confirm_new_teams": [a.group_name]}},
                                  notes=[f"the group was renamed: team {old!r} follows it",
                                         f"or, a team of its own beside {old!r}: confirm it (or archive team "
                                         f"{old!r} in Sigma and plan again; a teams.map key names an existing "
                                         "team, never one to create)"])
    return make_review(
        "teams.likely_rename",
        a.group_id,
        blocking=not confirmed,
        subject=ItemRef(group_id=a.group_id, group_display_name=a.group_name, name=a.name),
        message=message,
        rule="teams.confirm_new_teams" if confirmed else a.rule,
        candidates=rename_candidate_refs(hits, group_size, candidates),
        evidence=ItemEvidence(group_members=group_size),
        resolution=resolution,
    )


def possible_rename_item(a: Assignment, group_size: int, hits: list[tuple[int, str]],
                         candidates: RenameCandidates, policy: Teams) -> ReviewItem:
    """``teams.possible_rename`` (informational): a group a name rule makes a new team of shares less than
    ``teams.rename_percent`` but at least half of it (:func:`possible_percent`) of its members and of an
    unmanaged team's (``hits``: :func:`overlapping`): planned as a team of its own, and said, so that no
    cut-off hides a rename in silence (tester8 finding 7); ``teams.map`` links the old team instead."""
    n, tid = hits[0]
    old = candidates.names[tid]
    return make_review(
        "teams.possible_rename",
        a.group_id,
        blocking=False,
        subject=ItemRef(group_id=a.group_id, group_display_name=a.group_name, name=a.name),
        message=(f"group {a.group_name!r} would become a new team {a.name!r} ({a.rule}), and "
                 f"{overlap_words(n, old, candidates.sizes[tid], group_size)}: less than teams.rename_percent "
                 f"({policy.rename_percent}%) of both, so it is planned as a team of its own; if the group is team "
                 f"{old!r} renamed, map it"),
        rule="teams.rename_percent",
        candidates=rename_candidate_refs(hits, group_size, candidates),
        evidence=ItemEvidence(group_members=group_size),
        resolution=yaml_snippet({"teams": {"map": {old: a.group_name}}},
                                notes=[f"if the group was renamed: team {old!r} follows it"]),
    )


def confirmed_new_team(group_name: str, policy: Teams) -> bool:
    """True when ``teams.confirm_new_teams`` names ``group_name`` (exact displayName, or ``re:`` full match):
    the reviewer says the group is a team of its own, not an unmanaged team renamed."""
    return any(group_pattern_matcher(pattern)(group_name) for pattern in policy.confirm_new_teams)


def likely_renames(assignments: list[Assignment], policy: Teams, directory: Directory,
                   people: TeamPeople) -> dict[str, ReviewItem]:
    """``{group id: teams.likely_rename or teams.possible_rename item}`` for groups a name rule would make a
    new team of while an unmanaged team (no group maps to it, ``teams.map`` does not name it) shares their
    people: at least ``teams.rename_percent`` of the team's members and of the group's
    (:func:`likely_rename_item`), else at least half of it (:func:`possible_rename_item`). A blocking item
    replaces the group's decision; an informational one goes with it (:func:`planner.planning.fold_teams`).
    ``teams.map`` settles it (map entries are never checked here)."""
    new = [a for a in assignments if a.team_id is None and a.rule != "teams.map"]
    if not new:
        return {}
    candidates = rename_candidates(assignments, policy, directory)
    linked = candidate_links(candidates, people)
    least = possible_percent(policy.rename_percent)
    out = {}
    for a in new:
        group = directory.groups[a.group_id]
        size = len(group.member_ids)
        hits = overlapping(group_holds(pushed_ids(group), linked), size, candidates, least)
        if not hits:
            continue
        likely = [(n, tid) for n, tid in hits
                  if shared_percent(n, candidates.sizes[tid], size) >= policy.rename_percent]
        out[a.group_id] = (likely_rename_item(a, size, likely, candidates, policy) if likely
                           else possible_rename_item(a, size, hits, candidates, policy))
    return out


def unmanaged_lookalikes(assignments: list[Assignment], policy: Teams, directory: Directory,
                         people: TeamPeople) -> dict[str, tuple[str, int]]:
    """``{teamId: (group displayName, shared people)}``: for an unmanaged team, the IdP group no
    rule or map entry makes a team of that holds the same people (at least ``teams.rename_percent`` of both,
    as :func:`overlapping` measures it; the most shared, then the group name): the team's group was likely renamed (the default
    ``exact`` rule no longer matches it). Named in the ``teams.unmanaged`` item. A group whose name only
    looks like an active team's is none: it is held by ``teams.look_alike_group`` (:func:`look_alike_matches`),
    and mapping a team to it would adopt the look-alike name (tester7 NEW-4)."""
    taken = {a.group_id for a in assignments} | set(policy.map.values())
    alike = LookAlikes(active_team_ids_by_name(directory))
    groups = [g for g in directory.groups.values() if g.group_id not in taken and g.display_name not in taken
              and alike.of(g.display_name) is None]
    if not groups:
        return {}
    candidates = rename_candidates(assignments, policy, directory)
    if not candidates.names:
        return {}
    linked = candidate_links(candidates, people)
    best: dict[str, tuple[int, str]] = {}
    for g in groups:
        for n, tid in overlapping(group_holds(pushed_ids(g), linked), len(g.member_ids), candidates,
                                  policy.rename_percent):
            if tid not in best or (-n, g.display_name) < (-best[tid][0], best[tid][1]):
                best[tid] = (n, g.display_name)
    return {tid: (name, n) for tid, (n, name) in best.items()}


def unmanaged_item(active: list, sizes: Mapping[str, int], lookalike: Mapping[str, tuple[str, int]]) -> ReviewItem:
    """``teams.unmanaged`` (informational): the active teams no group maps to (``active``, sorted
    :class:`~planner.model.SigmaTeam` records; ``sizes``: their memberships), each with the group
    that likely is theirs, renamed (:func:`unmanaged_lookalikes`)."""
    hinted = [t for t in active if t.team_id in lookalike]
    return make_review(
        "teams.unmanaged",
        "teams",
        blocking=False,
        subject=ItemRef(teams=len(active)),
        message=(
            f"{len(active)} team(s) no IdP group maps to become unmanaged: they keep their members "
            "and can then be changed only through the REST API"
            + (f"; {len(hinted)} of them share their people with an IdP group no rule maps (renamed after "
               "the team was made?)" if hinted else "")
        ),
        rule="teams.map",
        candidates=[ItemRef(team_id=t.team_id, name=t.name, members=sizes[t.team_id],
                            likely_group=lookalike[t.team_id][0] if t.team_id in lookalike else UNSET,
                            in_group=lookalike[t.team_id][1] if t.team_id in lookalike else UNSET)
                    for t in active],
        resolution=(yaml_snippet({"teams": {"map": {t.name: lookalike[t.team_id][0] for t in hinted}}},
                                 notes=["if the groups were renamed: the teams follow them"])
                    if hinted else ""),
    )


def decide_unmanaged(assignments: list[Assignment], policy: Teams, directory: Directory,
                     people: TeamPeople) -> TeamDecision:
    """The teams no assignment links: an ``unmanaged`` row each (archived teams too: listed, never
    acted on), and one ``teams.unmanaged`` item naming the active ones."""
    assigned = {a.team_id for a in assignments if a.team_id}
    unmanaged = sorted((t for t in directory.teams.values() if t.team_id not in assigned),
                       key=lambda t: (t.name, t.team_id))
    sizes = {t.team_id: len(directory.team_members.get(t.team_id, ())) for t in unmanaged}
    rows = tuple(TeamRow(team_id=t.team_id, name=t.name, group_id=None, group_name=None, mode="unmanaged",
                         members_before=sizes[t.team_id], members_after=sizes[t.team_id], members_added=0,
                         members_removed=0, actions=(), is_archived=bool(t.is_archived)) for t in unmanaged)
    active = [t for t in unmanaged if not t.is_archived]
    if not active:
        return TeamDecision(rows=rows)
    lookalike = unmanaged_lookalikes(assignments, policy, directory, people)
    return TeamDecision(review_items=(unmanaged_item(active, sizes, lookalike),), rows=rows)


# --------------------------------------------------------------------------- a teams export with no team


TEAM_FILE_KINDS = ("sigma.teams", "sigma.team_members")
""":attr:`planner.model.InputFile.kind` of the Sigma export's teams and team members files."""


def empty_export_item(policy: Teams, directory: Directory, actions: Iterable[Action],
                      team_files: Iterable[str]) -> ReviewItem | None:
    """``teams.empty_export``: the Sigma export lists no team (``team_files``: its teams and team members
    files, header or ``[]`` only) while the organization has members and ``actions`` create teams
    (``scim.create_group``) from IdP groups. An organization with members and no team is more often a
    teams export cut short, or of another organization, than the truth, and each create would make a
    team beside the real one, hard to undo (README, "an incomplete input is an error or a blocking
    review item"): blocking unless ``teams.confirm_no_teams`` says the organization has none. The creates
    stay in the plan, held as every blocking item holds a plan (approve and apply refuse it).
    ``None`` when the export lists a team, the organization has no member or nothing is created."""
    if directory.teams or not directory.members:
        return None
    creates = sorted((a.target for a in actions if a.kind is ActionKind.SCIM_CREATE_GROUP),
                     key=lambda t: (t.name, t.group_id))
    if not creates:
        return None
    files = sorted(set(team_files))
    confirmed = policy.confirm_no_teams
    where = f" ({', '.join(files)})" if files else ""
    return make_review(
        "teams.empty_export",
        "teams",
        blocking=not confirmed,
        subject=ItemRef(teams=0, members=len(directory.members)),
        message=(f"the Sigma export lists no teams{where} while the organization has {len(directory.members)} "
                 f"member(s): {len(creates)} IdP group(s) would become new teams "
                 f"({', '.join(repr(t.group_display_name) for t in creates)})"
                 + (" (teams.confirm_no_teams says the organization has none)" if confirmed else
                    "; an organization with members and no team is more often a teams export cut short, or of "
                    "another organization, than the truth, and a team created beside an existing one is hard to "
                    "undo: export the teams and their members again, or confirm the organization has none")),
        rule="teams.confirm_no_teams",
        candidates=[ItemRef(group_id=t.group_id, group_display_name=t.group_display_name, name=t.name)
                    for t in creates],
        evidence=ItemEvidence(files=files, members=len(directory.members),
                              groups=[t.group_display_name for t in creates]),
        resolution="" if confirmed else yaml_snippet(
            {"teams": {"confirm_no_teams": True}},
            notes=["the organization has no teams (else export the teams and team members again and plan again):"]),
    )


def sorted_rows(rows: Iterable[TeamRow]) -> list[TeamRow]:
    """Team rows as the report lists them: by name case-folded, then name, teamId, group id."""
    return sorted(rows, key=lambda r: (r.name.casefold(), r.name, r.team_id or "", r.group_id or ""))


def not_removable_note(states: set[str]) -> str:
    """Why reported leftovers are not removed: inactive/archived members cannot be removed through
    the API (docs/sigma-api.md §3.3); members missing from the members export are unknown to the plan."""
    notes = []
    if states & {"inactive", "archived"}:
        notes.append("inactive or archived members cannot be removed through the API")
    if "unknown" in states:
        notes.append("members missing from the members export are not removed")
    if "held" in states:
        notes.append("members a blocking review item holds are not removed until it is settled")
    if "kept" in states:
        notes.append("members a userName change left behind that linking.second_accounts keeps are not removed: "
                     "nothing is planned for them")
    return f" ({'; '.join(notes)})" if notes else ""
