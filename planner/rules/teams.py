"""Teams <-> IdP groups: which group becomes which team, memberships, leftovers, unmanaged teams.

Sigma turns a pushed IdP group into a team, and a push of a group whose name
is an existing team must **link** it (Okta's Link Group) or it is created
(docs/sigma-api.md §6.1). Rules, in order:

1. ``teams.map`` (team name -> group displayName) wins; a team it names is
   not matched by the rules;
2. ``teams.rules`` for the other groups, first rule that yields a team wins:
   ``exact`` (displayName == team name), ``case_insensitive``, ``regex``
   (``pattern`` fully matches the displayName, ``replace`` makes the team name);
3. a map entry or regex rule whose team does not exist is created with
   ``mode: create``, reported with ``mode: link``;
4. two groups for one team, or one group matching two teams, are blocking
   review items (nothing is linked on a guess).

For each linked or created team the new membership is the group's members
(nested groups flattened with cycles walked once, when ``teams.flatten_nested``)
who will be provisioned;
members of a linked team who are not in the group stay after SCIM (docs/sigma-api.md
§5.4), so they get ``teams.remove_member`` actions (``leftovers: remove``) or an
informational item (``report``); nothing in the plan adds them back. Members
who are inactive or archived cannot be removed through the API (docs/sigma-api.md
§3.3) and are reported, as are memberships of a memberId missing from the
members export (state ``unknown``) and of members a blocking linking review
item holds (state ``held``: who they are is not decided yet). Active teams no group maps to become **unmanaged**.

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

A group that would become a **new** team (created, or not created under
``mode: link``) by a name rule while an unmanaged team holds the same people is
a likely **rename** of the group after the team was made: a blocking
``teams.likely_rename`` item naming the overlap ("10 of 10 members") replaces
the create, settled by ``teams.map`` (link the old team, or name the new one). A group
no rule maps at all that holds an unmanaged team's people is named in the
``teams.unmanaged`` item (nothing is created for it).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import msgspec
import numpy as np
import pandas as pd

from ..model import ActionKind, TeamRow
from ..sources.values import clean_text
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
from . import Outcome, action_id, make_action, make_review, yaml_snippet
from ..directory import pushes_direct_members_only
from ..tables import Context, member_of, take_rows

IDP_NAMES = {"okta": "Okta", "entra": "Entra ID", "google": "Google Workspace"}
"""Display name of an IdP by the prefix of its export format (``entra-csv`` -> Entra ID)."""

RENAME_SHARE = 0.8
"""A group and an unmanaged team are a likely rename when the people they share are at least this
share of the team's members and of the group's members."""


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


@dataclass(frozen=True)
class Assignment:
    """One IdP group -> one team (existing ``team_id``, or ``None`` = create ``name``)."""

    group_id: str
    group_name: str
    name: str
    team_id: str | None
    rule: str


@dataclass
class TeamsResult:
    """Teams outcome: actions, review items, and one :class:`~planner.model.TeamRow` per team."""

    outcome: Outcome
    rows: list[TeamRow] = field(default_factory=list)
    assignments: list[Assignment] = field(default_factory=list)


def _lists_of(keys: list, *columns: list) -> dict:
    """``{key: (column lists...)}``: the values of each key's rows, in row order; one pass.

    Runs of the same key are sliced at once (rows usually come grouped); a key seen again
    later gets its lists extended.
    """
    out: dict = {}
    start, n = 0, len(keys)
    for i in range(1, n + 1):
        if i == n or keys[i] != keys[start]:
            key = keys[start]
            part = tuple(c[start:i] for c in columns)
            if key in out:
                out[key] = tuple(a + b for a, b in zip(out[key], part))
            else:
                out[key] = part
            start = i
    return out


def _team_member_order(team_members: pd.DataFrame) -> list[int]:
    """Row positions sorting team memberships by teamId, then memberId (string order)."""
    keys = [f"{t}\0{m}" for t, m in zip(team_members["team_id"].tolist(), team_members["member_id"].tolist())]
    return sorted(range(len(keys)), key=keys.__getitem__)


def assign_groups(ctx: Context) -> tuple[list[Assignment], Outcome]:
    """Apply ``teams.map`` and ``teams.rules``; return the assignments and review items."""
    policy = ctx.policy.teams
    out = Outcome()
    teams = ctx.teams[~ctx.teams["is_archived"]]
    team_ids_by_name: dict[str, list[str]] = {}
    for tid, name in zip(teams["team_id"].tolist(), teams["name"].tolist()):
        team_ids_by_name.setdefault(name, []).append(tid)
    groups = ctx.groups.sort_values(["display_name", "group_id"], kind="stable")
    group_ids_by_name: dict[str, list[str]] = {}
    for gid, name in zip(groups["group_id"].tolist(), groups["display_name"].tolist()):
        group_ids_by_name.setdefault(name, []).append(gid)

    candidates: dict[str, list[Assignment]] = {}
    claimed: set[str] = set()
    for team_name, group_name in policy.map.items():
        gids = group_ids_by_name.get(group_name, [])
        loc = ctx.policy.location("teams", "map", team_name)
        if not gids:
            out.review_items.append(
                make_review(
                    "teams.map_group_missing",
                    team_name,
                    blocking=False,
                    subject={"name": team_name, "groupDisplayName": group_name},
                    message=f"teams.map at {loc} names group {group_name!r}, which is not in the IdP export",
                    rule="teams.map",
                )
            )
            continue
        tids = team_ids_by_name.get(team_name, [])
        for gid in gids:
            candidates.setdefault(gid, []).extend(
                [Assignment(gid, group_name, team_name, tid, "teams.map") for tid in tids]
                or [Assignment(gid, group_name, team_name, None, "teams.map")]
            )
        claimed.add(team_name)

    free_teams = {n: t for n, t in team_ids_by_name.items() if n not in claimed}
    # Sigma team names as typed may carry stray spaces or control characters (issue 14 item 1): a group
    # finds such a team by its clean name, and the link sends the team's exact name so Sigma links it
    folded: dict[str, list[tuple[str, str]]] = {}
    cleaned: dict[str, list[tuple[str, str]]] = {}
    for name, tids in free_teams.items():
        for tid in tids:
            folded.setdefault(clean_text(name).casefold(), []).append((name, tid))
            if clean_text(name) != name:
                cleaned.setdefault(clean_text(name), []).append((name, tid))

    def exact(gid: str, gname: str, team_name: str, rule_id: str) -> list[Assignment]:
        """Assignments of the free teams named ``team_name``, or whose name is it once cleaned."""
        return ([Assignment(gid, gname, team_name, tid, rule_id) for tid in free_teams.get(team_name, [])]
                or [Assignment(gid, gname, n, tid, rule_id) for n, tid in cleaned.get(clean_text(team_name), [])])

    for i, rule in enumerate(policy.rules):
        rule_id = f"teams.rules[{i}].{rule.match}"
        rx = re.compile(rule.pattern) if rule.match == "regex" else None
        for gid, gname in zip(groups["group_id"].tolist(), groups["display_name"].tolist()):
            if gid in candidates:
                continue
            if rule.match == "exact":
                found = exact(gid, gname, gname, rule_id)
            elif rule.match == "case_insensitive":
                found = [Assignment(gid, gname, n, tid, rule_id)
                         for n, tid in folded.get(clean_text(gname).casefold(), [])]
            else:
                match = rx.fullmatch(gname)
                if not match:
                    continue
                # a team name the plan may create is written normalized (issue 14 item 1)
                target = clean_text(match.expand(rule.replace) if rule.replace is not None else gname)
                found = exact(gid, gname, target, rule_id) or [Assignment(gid, gname, target, None, rule_id)]
            if found:
                candidates[gid] = found

    # one group -> several teams: ambiguous
    chosen: list[Assignment] = []
    for gid in sorted(candidates):
        options = candidates[gid]
        if len(options) > 1:
            out.review_items.append(
                make_review(
                    "teams.ambiguous",
                    gid,
                    blocking=True,
                    subject={"groupId": gid, "groupDisplayName": options[0].group_name},
                    message=(
                        f"group {options[0].group_name!r} matches {len(options)} teams "
                        f"({', '.join(sorted(o.name + ' ' + str(o.team_id) for o in options))}) by {options[0].rule}"
                    ),
                    rule=options[0].rule,
                    candidates=[{"teamId": o.team_id, "name": o.name} for o in options],
                    resolution=yaml_snippet({"teams": {"map": {options[0].name: options[0].group_name}}},
                                            notes=["name the team this group is"]),
                )
            )
        else:
            chosen.append(options[0])

    # several groups -> one team: conflict
    by_team: dict[tuple, list[Assignment]] = {}
    for a in chosen:
        by_team.setdefault((a.team_id,) if a.team_id else ("new", a.name), []).append(a)
    final: list[Assignment] = []
    for key in sorted(by_team, key=lambda k: tuple(str(x) for x in k)):
        group = by_team[key]
        if len(group) == 1:
            final.append(group[0])
            continue
        names = sorted(a.group_name for a in group)
        out.review_items.append(
            make_review(
                "teams.conflict",
                group[0].team_id or group[0].name,
                blocking=True,
                subject={"teamId": group[0].team_id, "name": group[0].name},
                message=f"groups {', '.join(repr(n) for n in names)} all map to team {group[0].name!r}",
                rule=", ".join(sorted({a.rule for a in group})),
                candidates=[{"groupId": a.group_id, "groupDisplayName": a.group_name, "rule": a.rule} for a in group],
                resolution=yaml_snippet({"teams": {"map": {group[0].name: names[0]}}},
                                        notes=["name the one group this team follows"]),
            )
        )
    final.sort(key=lambda a: (a.name, a.group_id))
    return final, out


def decide(ctx: Context, roster: pd.DataFrame) -> TeamsResult:
    """Teams actions (``scim.link_group``, ``scim.create_group``, ``scim.set_group_members``,
    ``teams.remove_member``), review items and team rows. Shapes: docs/policy.md ("Actions")."""
    policy = ctx.policy.teams
    assignments, out = assign_groups(ctx)
    result = TeamsResult(outcome=out, assignments=assignments)

    for cycle in ctx.group_cycles:
        out.review_items.append(
            make_review(
                "teams.group_cycle",
                cycle.group_ids[0],
                blocking=False,
                subject={"groupIds": list(cycle.group_ids)},
                message=(
                    f"groups {', '.join(repr(n) for n in cycle.display_names)} contain each other through nesting; "
                    + nesting_note(ctx.idp_format, policy.flatten_nested)
                ),
                rule="teams.flatten_nested",
            )
        )

    # who each IdP user is in the plan, by their row in ctx.idp_users: the member they are linked
    # to (any status), and the userName and action that provision them (linked or created)
    n_users = len(ctx.idp_users)
    pair_member = np.full(n_users + 1, None, dtype=object)  # last slot: "no such user"
    prov_member = np.full(n_users + 1, None, dtype=object)
    prov_user_name = np.full(n_users + 1, None, dtype=object)
    prov_action = np.full(n_users + 1, None, dtype=object)
    is_prov = np.zeros(n_users + 1, dtype=bool)
    has_pair = np.zeros(n_users + 1, dtype=bool)
    for j, mid, iid, status, user_name in zip(*(roster[c].tolist() for c in (
            "idp_row", "member_id", "idp_id", "status", "user_name"))):
        if j < 0:
            continue
        if isinstance(mid, str):
            pair_member[j], has_pair[j] = mid, True
        if status == "link" or status == "reactivate":
            is_prov[j], prov_member[j], prov_user_name[j] = True, mid, user_name
            prov_action[j] = action_id(ActionKind.SCIM_LINK_USER, mid)
        elif status == "create":
            is_prov[j], prov_user_name[j] = True, user_name
            prov_action[j] = action_id(ActionKind.SCIM_CREATE_USER, iid)

    no_rows = np.zeros(0, dtype=np.intp)
    # an IdP that pushes direct members only (Entra ID) never pushes who flattening adds
    direct_only = policy.flatten_nested and pushes_direct_members_only(ctx.idp_format)
    not_pushed = ctx.nested_only if direct_only else {}

    def group_members_of(group_id: str) -> tuple[int, tuple[list, list, list], set]:
        """How many users the group has; the pushed ones (memberId or None for a created user,
        userName, action); every member it holds, provisioned or not (a suspended member is still
        in the group: not a leftover, just not pushed)."""
        rows = n_rows = ctx.group_rows.get(group_id, no_rows)
        if group_id in not_pushed:
            rows = rows[[r not in not_pushed[group_id] for r in rows.tolist()]]
        pushed = rows[is_prov[rows]]
        return (len(n_rows), (prov_member[pushed].tolist(), prov_user_name[pushed].tolist(),
                            prov_action[pushed].tolist()), set(pair_member[rows[has_pair[rows]]].tolist()))

    # current team members with their state, by memberId within each team; a membership whose
    # member is not in the members export (Sigma's system member, or a member exported without
    # includeArchived/includeInactive) is "unknown": reported, never removed
    tm = ctx.team_members
    tm = tm.iloc[_team_member_order(tm)]
    m = ctx.members
    rows = tm["member_row"].to_numpy()
    unknown = rows < 0
    inactive = take_rows(m["is_inactive"], rows, False).astype(bool)
    archived = take_rows(m["is_archived"], rows, False).astype(bool)
    # a member held by a blocking linking item (who they are is not decided yet) is not removed either
    held_ids = set(roster.loc[roster["status"] == "held", "member_id"].dropna().tolist())
    held = member_of(tm["member_id"], held_ids) if held_ids else np.zeros(len(tm), dtype=bool)
    state = np.select([unknown, inactive, archived, held], ["unknown", "inactive", "archived", "held"],
                      default="active").tolist()
    current_of = _lists_of(tm["team_id"].tolist(), tm["member_id"].tolist(), take_rows(m["email"], rows, None).tolist(),
                           tm["is_team_admin"].tolist(), (archived | inactive | unknown | held).tolist(), state)
    no_current = ([], [], [], [], [])
    assigned_team_ids = set()
    renames = likely_renames(ctx, assignments, current_of, group_members_of)

    for a in assignments:
        if a.group_id in renames:
            out.review_items.append(renames[a.group_id])
            continue
        if a.team_id is None and policy.mode == "link":
            out.review_items.append(
                make_review(
                    "teams.no_team",
                    a.group_id,
                    blocking=False,
                    subject={"groupId": a.group_id, "groupDisplayName": a.group_name, "name": a.name},
                    message=(
                        f"group {a.group_name!r} maps to team {a.name!r} ({a.rule}), which does not exist; "
                        "not created because teams.mode is link"
                    ),
                    rule="teams.mode",
                    resolution=yaml_snippet({"teams": {"mode": "create"}}),
                )
            )
            continue
        n_group_members, (group_member_ids, user_names, requires), in_group_ids = group_members_of(a.group_id)
        member_ids = {x for x in group_member_ids if x is not None}
        target = GroupTarget(team_id=a.team_id, name=a.name, group_id=a.group_id, group_display_name=a.group_name)
        evidence = GroupEvidence(rule=a.rule, group_members=n_group_members, group_members_provisioned=len(user_names))
        if a.team_id is not None:
            assigned_team_ids.add(a.team_id)
            group_action = make_action(
                ActionKind.SCIM_LINK_GROUP,
                a.team_id,
                target=target,
                before=TeamNameState(name=a.name),
                after=DisplayNameState(display_name=a.name),
                rule=a.rule,
                reason=f"link team {a.name!r} to IdP group {a.group_name!r} ({a.rule})",
                evidence=evidence,
            )
            now_ids, now_emails, now_admin, now_stuck, now_state = current_of.get(a.team_id, no_current)
        else:
            group_action = make_action(
                ActionKind.SCIM_CREATE_GROUP,
                a.group_id,
                target=target,
                before=None,
                after=DisplayNameState(display_name=a.name),
                rule=a.rule,
                reason=f"create team {a.name!r} from IdP group {a.group_name!r} ({a.rule}; teams.mode is create)",
                evidence=evidence,
            )
            now_ids, now_emails, now_admin, now_stuck, now_state = no_current
        out.actions.append(group_action)
        set_members = make_action(
            ActionKind.SCIM_SET_GROUP_MEMBERS,
            a.group_id,
            target=target,
            before=GroupMembersBefore(member_ids=list(now_ids)),
            after=GroupMembersAfter(members=sorted(user_names)),
            rule=a.rule,
            reason=(
                f"team {a.name!r} members = the {len(user_names)} provisioned member(s) of group {a.group_name!r}"
                + ((" (nested groups flattened)" if policy.flatten_nested and not direct_only else " (direct members only)")
                   if a.group_id in ctx.nested_groups else "")
            ),
            evidence=evidence,
            depends_on=list(requires) + [group_action.id],
        )
        out.actions.append(set_members)
        now_set = set(now_ids)
        nested_rows = [j for j in not_pushed.get(a.group_id, ()) if is_prov[j] and pair_member[j] not in now_set]
        if nested_rows:
            out.review_items.append(_nested_not_pushed_item(a, nested_rows, prov_user_name, pair_member,
                                                            not_pushed[a.group_id], policy.nested_only))

        leftovers = [i for i, mid in enumerate(now_ids) if mid not in in_group_ids]
        through = _reachable_through(ctx.nested_only.get(a.group_id), pair_member, has_pair)
        if through and policy.leftovers == "remove" and policy.nested_only != "leftovers":
            # in the group only through a nested group: the policy decides, no removal on a guess
            nested = [i for i in leftovers if now_ids[i] in through and not now_stuck[i]]
            if nested:
                out.review_items.append(_nested_only_item(ctx, a, nested, now_ids, now_emails, through))
                leftovers = [i for i in leftovers if i not in set(nested)]
        removable = [i for i in leftovers if not now_stuck[i]]
        report = leftovers if policy.leftovers == "report" else [i for i in leftovers if now_stuck[i]]
        removal_ids = []
        if policy.leftovers == "remove":
            for i in removable:
                action = make_action(
                    ActionKind.TEAMS_REMOVE_MEMBER,
                    f"{a.team_id}:{now_ids[i]}",
                    target=TeamMemberTarget(team_id=a.team_id, name=a.name, member_id=now_ids[i], email=now_emails[i]),
                    before=TeamMemberBefore(user_id=now_ids[i], is_team_admin=bool(now_admin[i])),
                    after=None,
                    rule="teams.leftovers",
                    reason=(
                        f"remove from team {a.name!r}: not in IdP group {a.group_name!r}"
                        + (f" (reachable only through nested group {' > '.join(through[now_ids[i]])!r}, "
                           "which teams.nested_only treats as a leftover)" if now_ids[i] in through else "")
                        + ", and SCIM does not remove pre-SCIM members"
                    ),
                    evidence=RemoveMemberEvidence(
                        group_id=a.group_id,
                        reachable_only_through=list(through[now_ids[i]]) if now_ids[i] in through else UNSET,
                    ),
                    depends_on=[set_members.id],
                )
                out.actions.append(action)
                removal_ids.append(action.id)
        if report:
            out.review_items.append(
                make_review(
                    "teams.leftovers",
                    a.team_id,
                    blocking=False,
                    subject={"teamId": a.team_id, "name": a.name},
                    message=(
                        f"{len(report)} member(s) of team {a.name!r} are not in group {a.group_name!r} and stay in "
                        "the team after SCIM"
                        + (_not_removable_note({now_state[i] for i in report})
                           if policy.leftovers == "remove" else "")
                    ),
                    rule="teams.leftovers",
                    candidates=[
                        {"memberId": now_ids[i], "email": now_emails[i], "state": now_state[i]}
                        | ({"reachableOnlyThrough": " > ".join(through[now_ids[i]])} if now_ids[i] in through else {})
                        for i in report
                    ],
                    resolution=(yaml_snippet({"teams": {"leftovers": "remove"}})
                                if policy.leftovers == "report" and removable else ""),
                )
            )
        if a.name != a.group_name:
            out.review_items.append(
                make_review(
                    "teams.renamed_by_idp",
                    a.group_id,
                    blocking=False,
                    subject=msgspec.to_builtins(target),
                    message=(
                        f"the IdP pushes group {a.group_name!r} with displayName {a.group_name!r}: after its first "
                        f"push the team {a.name!r} takes that name unless the IdP app maps displayName "
                        "(or the group is renamed)"
                    ),
                    rule=a.rule,
                )
            )
        created = group_member_ids.count(None)
        added = created + len(member_ids - now_set)
        # who is in the team afterwards: the pushed members, plus current members nobody removes
        after_count = len(member_ids | now_set) - len(removal_ids) + created
        result.rows.append(
            TeamRow(
                team_id=a.team_id,
                name=a.name,
                group_id=a.group_id,
                group_name=a.group_name,
                mode="link" if a.team_id else "create",
                members_before=len(now_ids),
                members_after=after_count,
                members_added=added,
                members_removed=len(removal_ids),
                actions=tuple(sorted([group_action.id, set_members.id] + removal_ids)),
            )
        )

    unmanaged = ctx.teams[~member_of(ctx.teams["team_id"], assigned_team_ids)].sort_values(["name", "team_id"])
    for t in unmanaged.itertuples(index=False):
        n = len(current_of.get(t.team_id, no_current)[0])
        result.rows.append(
            TeamRow(team_id=t.team_id, name=t.name, group_id=None, group_name=None, mode="unmanaged",
                    members_before=n, members_after=n, members_added=0, members_removed=0,
                    is_archived=bool(t.is_archived))
        )
    active_unmanaged = unmanaged[~unmanaged["is_archived"]]
    if len(active_unmanaged):
        lookalike = unmanaged_lookalikes(ctx, assignments, current_of, group_members_of)
        hinted = [t for t in active_unmanaged.itertuples(index=False) if t.team_id in lookalike]
        out.review_items.append(
            make_review(
                "teams.unmanaged",
                "teams",
                blocking=False,
                subject={"teams": int(len(active_unmanaged))},
                message=(
                    f"{len(active_unmanaged)} team(s) no IdP group maps to become unmanaged: they keep their members "
                    "and can then be changed only through the REST API"
                    + (f"; {len(hinted)} of them share their people with an IdP group no rule maps (renamed after "
                       "the team was made?)" if hinted else "")
                ),
                rule="teams.map",
                candidates=[{"teamId": t.team_id, "name": t.name, "members": len(current_of.get(t.team_id, no_current)[0])}
                            | ({"likelyGroup": lookalike[t.team_id][0], "inGroup": lookalike[t.team_id][1]}
                               if t.team_id in lookalike else {})
                            for t in active_unmanaged.itertuples(index=False)],
                resolution=(yaml_snippet({"teams": {"map": {t.name: lookalike[t.team_id][0] for t in hinted}}},
                                         notes=["if the groups were renamed: the teams follow them"])
                            if hinted else ""),
            )
        )
    result.rows.sort(key=lambda r: (r.name.casefold(), r.name, r.team_id or "", r.group_id or ""))
    return result


def _reachable_through(nested: dict | None, pair_member: np.ndarray, has_pair: np.ndarray) -> dict[str, tuple]:
    """``{memberId: nesting path}`` of the members whose IdP user is in the group only through a
    nested group (:attr:`~planner.directory.Group.nested_only`), linked or not."""
    if not nested:
        return {}
    return {pair_member[j]: path for j, path in nested.items() if has_pair[j]}


def _nested_only_item(ctx: Context, a: Assignment, nested: list[int], now_ids: list, now_emails: list,
                      through: dict[str, tuple]):
    """The ``teams.nested_only`` item: team members in the group only through a nested group, not
    removed (blocking under ``review``, informational under ``keep``)."""
    setting = ctx.policy.teams.nested_only
    vendor = ctx.idp_format.split("-")[0]
    via = sorted({" > ".join(through[now_ids[i]]) for i in nested})
    pushes = ("Entra ID provisioning pushes only a group's direct members" if vendor == "entra"
              else f"with teams.flatten_nested off the plan counts only direct members, as {idp_name(ctx.idp_format)} "
                   "pushes them when it does not expand nested groups")
    alternatives = [{"teams": {"nested_only": "keep"}}]
    if vendor != "entra":
        alternatives.append({"teams": {"flatten_nested": True}})
    return make_review(
        "teams.nested_only",
        a.team_id or a.group_id,
        blocking=setting == "review",
        subject={"teamId": a.team_id, "name": a.name, "groupId": a.group_id, "groupDisplayName": a.group_name},
        message=(
            f"{len(nested)} member(s) of team {a.name!r} are not direct members of group {a.group_name!r}: "
            f"reachable only through nested group(s) {', '.join(repr(v) for v in via)}; {pushes}, so they "
            + ("stay in the team (teams.nested_only is keep)" if setting == "keep"
               else "are not removed until the policy decides (or they are added to the group directly)")
        ),
        rule="teams.nested_only",
        candidates=[{"memberId": now_ids[i], "email": now_emails[i],
                     "reachableOnlyThrough": " > ".join(through[now_ids[i]])} for i in nested],
        resolution=(yaml_snippet({"teams": {"nested_only": "leftovers"}}, *alternatives,
                                 notes=["remove them like any leftover (the IdP will not push them):"])
                    if setting == "review" else ""),
    )


def _nested_not_pushed_item(a: Assignment, rows: list[int], user_names: np.ndarray, member_ids: np.ndarray,
                            paths: dict[int, tuple[str, ...]], setting: str):
    """The ``teams.nested_not_pushed`` item: provisioned people in group ``a`` only through a nested
    group and not in its team (``rows`` of :attr:`~planner.rules.context.Context.idp_users`, ``paths``
    their nesting paths), whom Entra ID never pushes: left out of the team's ``scim.set_group_members``;
    blocking while ``teams.nested_only`` is ``review``."""
    people = sorted(((user_names[j], member_ids[j], " > ".join(paths[j])) for j in rows), key=lambda p: p[0])
    assign = sorted({paths[j][-1] for j in rows})
    return make_review(
        "teams.nested_not_pushed",
        a.team_id or a.group_id,
        blocking=setting == "review",
        subject={"teamId": a.team_id, "name": a.name, "groupId": a.group_id, "groupDisplayName": a.group_name},
        message=(
            f"{len(people)} provisioned person(s) are in group {a.group_name!r} only through nested group(s) "
            f"{', '.join(repr(v) for v in sorted({p[2] for p in people}))}: Entra ID provisions only direct members "
            f"of an assigned group; assign {', '.join(repr(g) for g in assign)} or add these people directly "
            f"(the plan does not add them to team {a.name!r})"
        ),
        rule="teams.nested_only",
        candidates=[{"userName": u, "memberId": m, "reachableOnlyThrough": via} for u, m, via in people],
        resolution=(yaml_snippet({"teams": {"nested_only": "keep"}}, {"teams": {"flatten_nested": False}},
                                 notes=["leave them out of the team, as Entra ID will (or assign the nested group, "
                                        "or add them to the group directly, and export again):"])
                    if setting == "review" else ""),
    )


def _overlaps(ctx: Context, assignments: list[Assignment], current_of: dict, group_members_of):
    """The unmanaged teams a rename could leave behind (``{teamId: name}``: active, no group
    assigned, not named in ``teams.map``, with members) and a function: group id -> (the group's
    member count, ``[(shared people, teamId)]`` of the teams sharing at least :data:`RENAME_SHARE`
    of their members and of the group's, most shared first)."""
    assigned = {a.team_id for a in assignments if a.team_id}
    teams = ctx.teams[~ctx.teams["is_archived"]]
    free = {tid: name for tid, name in zip(teams["team_id"].tolist(), teams["name"].tolist())
            if tid not in assigned and name not in ctx.policy.teams.map and current_of.get(tid)}
    teams_of: dict[str, list[str]] = {}
    for tid in sorted(free):
        for mid in current_of[tid][0]:
            teams_of.setdefault(mid, []).append(tid)

    def overlapping(group_id: str) -> tuple[int, list[tuple[int, str]]]:
        n_group, _, people = group_members_of(group_id)
        shared: dict[str, int] = {}
        for mid in people:
            for tid in teams_of.get(mid, ()):
                shared[tid] = shared.get(tid, 0) + 1
        hits = sorted(((n, tid) for tid, n in shared.items()
                       if n >= RENAME_SHARE * len(current_of[tid][0]) and n >= RENAME_SHARE * n_group),
                      key=lambda x: (-x[0], free[x[1]], x[1]))
        return n_group, hits

    return free, overlapping


def unmanaged_lookalikes(ctx: Context, assignments: list[Assignment], current_of: dict,
                         group_members_of) -> dict[str, tuple[str, int]]:
    """``{teamId: (group displayName, shared people)}``: for an unmanaged team, the IdP group no
    rule or map entry makes a team of that holds the same people (as :func:`likely_renames`
    measures it; the most shared, then the group name): the team's group was likely renamed (the
    default ``exact`` rule no longer matches it). Named in the ``teams.unmanaged`` item."""
    taken = {a.group_id for a in assignments} | set(ctx.policy.teams.map.values())
    groups = [(gid, name) for gid, name in zip(ctx.groups["group_id"].tolist(), ctx.groups["display_name"].tolist())
              if gid not in taken and name not in taken]
    if not groups:
        return {}
    free, overlapping = _overlaps(ctx, assignments, current_of, group_members_of)
    if not free:
        return {}
    best: dict[str, tuple[int, str]] = {}
    for gid, name in groups:
        for n, tid in overlapping(gid)[1]:
            if tid not in best or (-n, name) < (-best[tid][0], best[tid][1]):
                best[tid] = (n, name)
    return {tid: (name, n) for tid, (n, name) in best.items()}


def likely_renames(ctx: Context, assignments: list[Assignment], current_of: dict, group_members_of) -> dict:
    """``{group id: blocking teams.likely_rename item}`` for groups a name rule would make a new team
    of while an unmanaged team (no group maps to it, ``teams.map`` does not name it) holds the same
    people: at least :data:`RENAME_SHARE` of the team's members and of the group's members.

    ``group_members_of(group_id)`` gives (the group's member count, its pushed members, the
    memberIds its IdP users are linked to). Each group names its best-overlapping teams first. The item is settled by
    ``teams.map``: the old team linked to the group, or the new team named (map entries are never
    checked here).
    """
    new = [a for a in assignments if a.team_id is None and a.rule != "teams.map"]
    if not new:
        return {}
    free, overlapping = _overlaps(ctx, assignments, current_of, group_members_of)
    out = {}
    for a in new:
        n_group, hits = overlapping(a.group_id)
        if not hits:
            continue
        n, tid = hits[0]
        old = free[tid]
        out[a.group_id] = make_review(
            "teams.likely_rename",
            a.group_id,
            blocking=True,
            subject={"groupId": a.group_id, "groupDisplayName": a.group_name, "name": a.name},
            message=(
                f"group {a.group_name!r} would become a new team {a.name!r} ({a.rule}), but {n} of "
                f"{len(current_of[tid][0])} members of team {old!r}, which no IdP group maps to, are in it "
                f"(the group has {n_group} member(s)): the group was likely renamed after the team was made; "
                f"a new team would leave {old!r} unmanaged beside a second team of the same people"
            ),
            rule=a.rule,
            candidates=[{"teamId": t, "name": free[t], "members": len(current_of[t][0]), "inGroup": k}
                        for k, t in hits],
            evidence={"groupMembers": n_group},
            resolution=yaml_snippet({"teams": {"map": {old: a.group_name}}}, {"teams": {"map": {a.name: a.group_name}}},
                                    notes=[f"the group was renamed: team {old!r} follows it"]),
        )
    return out


def _not_removable_note(states: set[str]) -> str:
    """Why reported leftovers are not removed: inactive/archived members cannot be removed through
    the API (docs/sigma-api.md §3.3); members missing from the members export are unknown to the plan."""
    notes = []
    if states & {"inactive", "archived"}:
        notes.append("inactive or archived members cannot be removed through the API")
    if "unknown" in states:
        notes.append("members missing from the members export are not removed")
    if "held" in states:
        notes.append("members a blocking linking review item holds are not removed until it is settled")
    return f" ({'; '.join(notes)})" if notes else ""
