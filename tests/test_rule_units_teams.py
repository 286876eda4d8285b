"""planner.rules.teams, rule by rule: one assignment or group, the teams policy section, a small
directory, the people's final statuses, the exact decision."""

from __future__ import annotations

from dataclasses import replace

import yaml
from msgspec import to_builtins as wire

from .plan_factory import group, member, policy, snapshot, team, user
from planner.directory import Person, PersonStatus, build_directory
from planner.model import ItemEvidence, TeamRow
from planner.rules.teams import (
    Assignment, GroupPush, Leftover, Leftovers, PushedUser, TeamPeople, assign_groups, decide_team,
    candidate_links, decide_unmanaged, group_cycle_item, group_push, leftovers_of, likely_renames, membership_state,
    push_joiners, rename_candidates, still_sent, team_people,
)

X, Y, Z, W = (member(m, f"{m}@example.com") for m in ("x", "y", "z", "w"))
UX, UY, UZ, UW = (user(f"u{m}", f"{m}@example.com") for m in ("x", "y", "z", "w"))


def directory(members=(), users=(), groups=(), teams=(), memberships=None, extra: str = "", idp_format=None):
    snap = snapshot(list(members), list(users), groups=list(groups), teams=list(teams), memberships=memberships,
                    with_root=False)
    if idp_format:
        snap = replace(snap, idp=replace(snap.idp, format=idp_format))
    return build_directory(snap, policy(extra))


def linked(*pairs: tuple[str, str]) -> TeamPeople:
    """Every (IdP id, memberId) linked and provisioned (``link``), nobody held."""
    return TeamPeople({i: m for i, m in pairs},
                      {i: PushedUser(m, f"{m}@example.com", f"scim.link_user:{m}") for i, m in pairs}, frozenset(),
                      {m: PushedUser(m, f"{m}@example.com", f"scim.link_user:{m}") for _, m in pairs})


FINANCE = Assignment("gF", "Finance", "Finance", "tF", "teams.rules[0].exact")


# --------------------------------------------------------------------------- the people


def test_team_people_reads_the_final_statuses():
    people = [
        Person("m:x", X, UX, None, PersonStatus.LINK, "x@example.com"),
        Person("m:y", Y, UY, None, PersonStatus.REACTIVATE, "y@example.com"),
        Person("i:un", None, user("un", "new@example.com"), None, PersonStatus.CREATE, "new@example.com"),
        Person("m:z", Z, UZ, None, PersonStatus.LEAVER, "z@example.com"),
        Person("m:w", W, UW, None, PersonStatus.HELD, "w@example.com"),
        Person("m:q", member("q", "q@example.com"), None, None, PersonStatus.HELD),
        Person("m:v", member("v", "v@example.com"), None, None, PersonStatus.UNMATCHED),
    ]
    assert team_people(people) == TeamPeople(
        member_ids={"ux": "x", "uy": "y", "uz": "z", "uw": "w"},
        pushed={"ux": PushedUser("x", "x@example.com", "scim.link_user:x"),
                "uy": PushedUser("y", "y@example.com", "scim.link_user:y"),
                "un": PushedUser(None, "new@example.com", "scim.create_user:un")},
        held=frozenset({"w", "q"}),
        links={"x": PushedUser("x", "x@example.com", "scim.link_user:x"),
               "y": PushedUser("y", "y@example.com", "scim.link_user:y")},
        unpushed={"z": "their IdP user is not active"},
    )
    # a deactivated leaver is not provisioned either: whether a push removes them is removed_by_push's
    # (tester10 finding 7: the push of a team Sigma's SCIM group links removed them uncounted)
    assert team_people(people, deactivated={"z"}).unpushed == {
        "z": "their IdP user is not active and the plan deactivates them"}


def test_group_push_keeps_the_provisioned_and_counts_everyone_it_holds():
    d = directory([X, Y, Z], [UX, UY, UZ], [group("gF", "Finance", ["ux", "uy", "uz"])])
    people = TeamPeople({"ux": "x", "uy": "y", "uz": "z"},  # z is linked but not provisioned (a leaver)
                        {"ux": PushedUser("x", "x@example.com", "scim.link_user:x"),
                         "uy": PushedUser("y", "y@example.com", "scim.link_user:y")}, frozenset())
    assert group_push(d.groups["gF"], people) == GroupPush(
        3, (PushedUser("x", "x@example.com", "scim.link_user:x"), PushedUser("y", "y@example.com", "scim.link_user:y")),
        frozenset({"x", "y", "z"}))


def test_entra_pushes_no_user_a_group_holds_only_through_nesting():
    groups = [group("gF", "Finance", ["ux"], groups=["gC"]), group("gC", "Contractors", ["uy"])]
    people = linked(("ux", "x"), ("uy", "y"))
    okta = directory([X, Y], [UX, UY], groups)
    assert group_push(okta.groups["gF"], people).holds == frozenset({"x", "y"})
    entra = directory([X, Y], [UX, UY], groups, idp_format="entra-csv")
    push = group_push(entra.groups["gF"], people)
    assert (push.size, push.pushed, push.holds) == (
        2, (PushedUser("x", "x@example.com", "scim.link_user:x"),), frozenset({"x"}))


def test_push_joiners_maps_each_key_to_the_userName_sent_for_people_not_in_the_team():
    push = GroupPush(4, (PushedUser("x", "X@Example.com", "scim.link_user:x"),  # in the team: not joining
                         PushedUser("y", "Y@Example.com", "scim.link_user:y"),
                         PushedUser(None, "new@example.com", "scim.create_user:un")), frozenset({"x", "y"}))
    assert push_joiners(push, ["x"]) == {"y@example.com": "Y@Example.com", "new@example.com": "new@example.com"}


def test_still_sent_counts_joiners_by_the_userName_sent_else_by_its_key(monkeypatch):
    import planner.rules.teams as teams_module

    joins = {"y@example.com": "Y@Example.com", "new@example.com": "new@example.com",
             "gone@example.com": "gone@example.com"}
    # settling kept SCIM's spelling of y's userName: found by its key; gone's is no longer sent
    assert still_sent(joins, ["new@example.com", " y@EXAMPLE.com", "x@example.com"]) == 2
    keyed = []
    monkeypatch.setattr(teams_module, "email_key", lambda v: keyed.append(v) or v.lower())
    assert still_sent(joins, ["gone@example.com", "Y@Example.com", "new@example.com"]) == 3
    assert keyed == []  # every joiner's userName is in the list as sent: no member keyed
    assert still_sent({}, ["x@example.com"]) == 0


def test_membership_state():
    d = directory([X, member("i", "i@example.com", inactive=True), member("a", "a@example.com", archived=True),
                   member("b", "b@example.com", archived=True, inactive=True), Y])
    people = TeamPeople({}, {}, frozenset({"y"}))
    assert [membership_state(m, d, people) for m in ("x", "i", "a", "b", "y", "ghost")] == [
        "active", "inactive", "archived", "inactive", "held", "unknown"]


# --------------------------------------------------------------------------- groups -> teams


def test_assign_groups_by_map_exact_case_insensitive_regex_and_a_team_name_with_stray_spaces():
    d = directory(groups=[group("g1", "Finance"), group("g2", "sales emea"), group("g3", "sigma-team-Data"),
                          group("g4", "Leadership"), group("g5", "sigma-team-New"), group("g6", "Ops")],
                  teams=[team("t1", "Finance"), team("t2", "Sales EMEA"), team("t3", "Data"), team("t4", "Executive"),
                         team("t6", " Ops\t")])
    p = policy("teams:\n  map: {Executive: Leadership}\n  rules:\n    - match: exact\n    - match: case_insensitive\n"
               "    - {match: regex, pattern: '^sigma-team-(.+)$', replace: '\\1'}\n").teams
    assignments, items = assign_groups(p, d)
    assert (assignments, items) == ([  # by team name as Sigma has it, then group id
        Assignment("g6", "Ops", " Ops\t", "t6", "teams.rules[0].exact"),  # linked by the exact name Sigma has
        Assignment("g3", "sigma-team-Data", "Data", "t3", "teams.rules[2].regex"),
        Assignment("g4", "Leadership", "Executive", "t4", "teams.map"),
        Assignment("g1", "Finance", "Finance", "t1", "teams.rules[0].exact"),
        Assignment("g5", "sigma-team-New", "New", None, "teams.rules[2].regex"),
        Assignment("g2", "sales emea", "Sales EMEA", "t2", "teams.rules[1].case_insensitive"),
    ], [])


def test_a_map_entry_naming_a_missing_group_claims_nothing():
    # (the entry is a blocking policy.unknown_reference: tests/test_rule_units_policy_refs.py)
    d = directory(groups=[group("g1", "Finance")], teams=[team("t1", "Finance")])
    p = policy("teams:\n  map: {Finance: Finance-Team}\n").teams
    assert assign_groups(p, d) == ([Assignment("g1", "Finance", "Finance", "t1", "teams.rules[0].exact")], [])


def test_a_map_key_naming_no_team_neither_creates_one_nor_leaves_its_group_to_the_rules():
    # tester A7: `Executive Dashbords: Leadership` created a team 'Executive Dashbords'
    d = directory(groups=[group("g1", "Leadership")], teams=[team("t1", "Executive Dashboards")])
    p = policy("teams:\n  map: {Executive Dashbords: Leadership}\n  mode: create\n").teams
    assert assign_groups(p, d) == ([], [])


def test_one_group_for_two_teams_and_two_groups_for_one_team_are_blocking():
    d = directory(groups=[group("g1", "sales"), group("g2", "Finance"), group("g3", "finance")],
                  teams=[team("t1", "Sales"), team("t2", "SALES"), team("t3", "Finance")])
    p = policy("teams:\n  rules: [{match: case_insensitive}]\n").teams
    assignments, (ambiguous, conflict) = assign_groups(p, d)
    assert assignments == []
    assert (ambiguous.id, ambiguous.blocking, ambiguous.rule) == ("teams.ambiguous:g1", True,
                                                                  "teams.rules[0].case_insensitive")
    assert ambiguous.message == "group 'sales' matches 2 teams (SALES t2, Sales t1) by teams.rules[0].case_insensitive"
    assert tuple(c.fields() for c in ambiguous.candidates) == ({"teamId": "t1", "name": "Sales"}, {"teamId": "t2", "name": "SALES"})
    assert yaml.safe_load(ambiguous.resolution) == {"teams": {"map": {"Sales": "sales"}}}
    assert (conflict.id, conflict.blocking) == ("teams.conflict:t3", True)
    # names that differ by letter case are one to the IdP's displayName lookup: no map entry tells them apart
    assert conflict.message == (
        "groups 'Finance', 'finance' all map to team 'Finance': 2 groups share the display name 'Finance' letter case "
        "aside (ids g2, g3), and teams.map names a group by its display name, so no entry can say which one the team "
        "follows: rename one of them in the IdP, export again and plan again")
    assert tuple(c.fields() for c in conflict.candidates) == (
        {"groupId": "g2", "groupDisplayName": "Finance", "rule": "teams.rules[0].case_insensitive"},
        {"groupId": "g3", "groupDisplayName": "finance", "rule": "teams.rules[0].case_insensitive"})
    assert yaml.safe_load(conflict.resolution) == {"teams": {"map": {"Finance": "<the renamed group's displayName>"}}}


def test_an_archived_team_is_never_assigned():
    d = directory(groups=[group("g1", "Old")], teams=[team("t9", "Old", archived=True)])
    assignments, items = assign_groups(policy().teams, d)
    # ... and its group is held by a blocking item, never left without a word (tester6 finding 23)
    assert (assignments, [(r.id, r.blocking) for r in items]) == ([], [("teams.archived_team:g1", True)])


# --------------------------------------------------------------------------- one team


def finance(extra: str = "", groups=None, idp_format=None, memberships=None):
    return directory([X, Y, Z, W], [UX, UY, UZ, UW], groups or [group("gF", "Finance", ["ux", "uy"])],
                     [team("tF", "Finance")], memberships or {"tF": ["x", "y", "z"]}, extra, idp_format)


def test_a_linked_team_gets_the_group_members_and_its_leftover_removed():
    d = finance()
    decision = decide_team(FINANCE, policy().teams, d, linked(("ux", "x"), ("uy", "y"), ("uz", "z")))
    link, members, removal = decision.actions
    assert (link.id, link.rule, link.reason) == ("scim.link_group:tF", "teams.rules[0].exact",
                                                 "link team 'Finance' to IdP group 'Finance' (teams.rules[0].exact)")
    assert wire(link.evidence) == {"rule": "teams.rules[0].exact", "groupMembers": 2, "groupMembersProvisioned": 2}
    assert (members.id, wire(members.before), wire(members.after)) == (
        "scim.set_group_members:gF", {"memberIds": ["x", "y", "z"]}, {"members": ["x@example.com", "y@example.com"]})
    # z is linked: SCIM-managed when the push replaces the team's members, so the push removes z after z's link
    assert members.depends_on == ("scim.link_group:tF", "scim.link_user:x", "scim.link_user:y", "scim.link_user:z")
    assert members.reason == "team 'Finance' members = the 2 provisioned member(s) of group 'Finance'"
    assert (removal.id, removal.depends_on) == ("teams.remove_member:tF:z", ("scim.set_group_members:gF",))
    assert (wire(removal.target), wire(removal.before), wire(removal.evidence)) == (
        {"teamId": "tF", "name": "Finance", "memberId": "z", "email": "z@example.com"},
        {"userId": "z", "isTeamAdmin": False}, {"groupId": "gF", "removedBy": "scim.set_group_members:gF"})
    assert decision.review_items == ()
    assert decision.rows == (TeamRow("tF", "Finance", "gF", "Finance", "link", 3, 2, 0, 1,
                                     ("scim.link_group:tF", "scim.set_group_members:gF", "teams.remove_member:tF:z"), False),)


def test_leftovers_that_cannot_be_removed_are_reported():
    d = directory([X, member("q", "q@example.com", inactive=True), member("h", "h@example.com")], [UX],
                  [group("gF", "Finance", ["ux"])], [team("tF", "Finance")], {"tF": ["x", "q", "ghost", "h"]})
    people = replace(linked(("ux", "x")), held=frozenset({"h"}))
    decision = decide_team(FINANCE, policy().teams, d, people)
    assert [a.id for a in decision.actions] == ["scim.link_group:tF", "scim.set_group_members:gF"]
    (item,) = decision.review_items
    assert (item.id, item.blocking, item.resolution) == ("teams.leftovers:tF", False, "")
    assert tuple(c.fields() for c in item.candidates) == ({"memberId": "ghost", "email": None, "state": "unknown"},
                               {"memberId": "h", "email": "h@example.com", "state": "held"},
                               {"memberId": "q", "email": "q@example.com", "state": "inactive"})
    assert item.message == (
        "3 member(s) of team 'Finance' are not in group 'Finance' and stay in the team after SCIM (inactive or "
        "archived members cannot be removed through the API; members missing from the members export are not "
        "removed; members a blocking review item holds are not removed until it is settled)")


def test_leftovers_report_removes_nobody_and_offers_remove():
    d = finance("teams:\n  leftovers: report\n")
    decision = decide_team(FINANCE, policy("teams:\n  leftovers: report\n").teams, d, linked(("ux", "x"), ("uy", "y")))
    assert [a.id for a in decision.actions] == ["scim.link_group:tF", "scim.set_group_members:gF"]
    (item,) = decision.review_items
    assert tuple(c.fields() for c in item.candidates) == ({"memberId": "z", "email": "z@example.com", "state": "active"},)
    assert item.message == "1 member(s) of team 'Finance' are not in group 'Finance' and stay in the team after SCIM"
    assert yaml.safe_load(item.resolution) == {"teams": {"leftovers": "remove"}}
    assert decision.rows[0].members_after == 3


def test_a_held_member_is_never_removed():
    d = finance()
    people = replace(linked(("ux", "x"), ("uy", "y")), held=frozenset({"z"}))
    left = leftovers_of(FINANCE, ["x", "y", "z"], group_push(d.groups["gF"], people), {}, policy().teams, d, people)
    assert left == Leftovers(reported=(Leftover("z", "z@example.com", False, "held"),))


NESTED = [group("gF", "Finance", ["ux"], groups=["gC"]), group("gC", "Contractors", ["uy"], groups=["gT"]),
          group("gT", "Temps", ["uw"])]
OFF = "teams:\n  flatten_nested: false\n"


def test_nested_only_members_are_held_for_the_policy_not_removed():
    extra = OFF
    d = finance(extra, NESTED, memberships={"tF": ["x", "y", "z", "w"]})
    decision = decide_team(FINANCE, policy(extra).teams, d, linked(("ux", "x"), ("uy", "y"), ("uw", "w")))
    assert [a.id for a in decision.actions] == ["scim.link_group:tF", "scim.set_group_members:gF",
                                                "teams.remove_member:tF:z"]
    assert decision.actions[1].reason == (
        "team 'Finance' members = the 1 provisioned member(s) of group 'Finance' (direct members only); keeps "
        "w@example.com, y@example.com, in the group only through a nested group (teams.nested_only is review)")
    assert wire(decision.actions[1].after) == {"members": ["w@example.com", "x@example.com", "y@example.com"]}
    (item,) = decision.review_items
    assert (item.id, item.blocking) == ("teams.nested_only:tF", True)
    assert tuple(c.fields() for c in item.candidates) == (
        {"memberId": "w", "email": "w@example.com", "reachableOnlyThrough": "Contractors > Temps"},
        {"memberId": "y", "email": "y@example.com", "reachableOnlyThrough": "Contractors"})
    assert yaml.safe_load(item.resolution) == {"teams": {"nested_only": "leftovers"}}


def test_nested_only_leftovers_are_removed_naming_the_nested_group():
    extra = OFF + "  nested_only: leftovers\n"
    d = finance(extra, NESTED, memberships={"tF": ["x", "y"]})
    decision = decide_team(FINANCE, policy(extra).teams, d, linked(("ux", "x"), ("uy", "y")))
    removal = decision.actions[-1]
    assert (removal.id, wire(removal.evidence)) == ("teams.remove_member:tF:y", {
        "groupId": "gF", "reachableOnlyThrough": ["Contractors"], "removedBy": "scim.set_group_members:gF"})
    assert removal.reason == (
        "removed from team 'Finance' by the push of scim.set_group_members:gF: not in IdP group 'Finance' (reachable "
        "only through nested group 'Contractors', which teams.nested_only treats as a leftover), and a SCIM-managed "
        "member of the team when its member list replaces the team's; no REST request, apply checks they are gone")
    assert decision.review_items == ()


def test_entra_adds_nobody_through_nesting_and_names_them():
    d = finance("", NESTED, "entra-csv", memberships={"tF": ["x"]})
    people = linked(("ux", "x"), ("uy", "y"))
    people = replace(people, pushed={**people.pushed, "uw": PushedUser(None, "w@example.com", "scim.create_user:uw")})
    decision = decide_team(FINANCE, policy().teams, d, people)
    assert wire(decision.actions[1].after) == {"members": ["x@example.com"]}
    (item,) = decision.review_items
    assert (item.id, item.blocking, item.rule) == ("teams.nested_not_pushed:tF", True, "teams.nested_only")
    assert tuple(c.fields() for c in item.candidates) == (
        {"userName": "w@example.com", "memberId": None, "reachableOnlyThrough": "Contractors > Temps"},
        {"userName": "y@example.com", "memberId": "y", "reachableOnlyThrough": "Contractors"})
    assert item.message == (
        "2 provisioned person(s) are in group 'Finance' only through nested group(s) 'Contractors', "
        "'Contractors > Temps': Entra ID provisions only direct members of an assigned group; assign 'Contractors', "
        "'Temps' or add these people directly (the plan does not add them to team 'Finance')")


def test_a_created_team_holds_created_users_and_a_renamed_one_is_reported():
    d = directory([X], [UX, user("un", "new@example.com")], [group("g5", "sigma-team-New", ["ux", "un"])])
    people = linked(("ux", "x"))
    people = replace(people, pushed={**people.pushed, "un": PushedUser(None, "new@example.com",
                                                                        "scim.create_user:un")})
    a = Assignment("g5", "sigma-team-New", "New", None, "teams.rules[1].regex")
    decision = decide_team(a, policy("teams:\n  mode: create\n").teams, d, people)
    create, members = decision.actions
    assert (create.id, wire(create.target), create.before, wire(create.after)) == (
        "scim.create_group:g5", {"teamId": None, "name": "New", "groupId": "g5", "groupDisplayName": "sigma-team-New"},
        None, {"displayName": "New"})
    assert create.reason == "create team 'New' from IdP group 'sigma-team-New' (teams.rules[1].regex; teams.mode is create)"
    assert members.depends_on == ("scim.create_group:g5", "scim.create_user:un", "scim.link_user:x")
    (renamed,) = decision.review_items
    assert (renamed.id, renamed.blocking) == ("teams.renamed_by_idp:g5", False)
    assert decision.rows == (TeamRow(None, "New", "g5", "sigma-team-New", "create", 0, 2, 2, 0,
                                     ("scim.create_group:g5", "scim.set_group_members:g5"), False),)
    # under mode: link nothing is created
    (item,) = decide_team(a, policy().teams, d, people).review_items
    assert (item.id, item.blocking, item.message) == (
        "teams.no_team:g5", False, "group 'sigma-team-New' maps to team 'New' (teams.rules[1].regex), which does not "
                                   "exist; not created because teams.mode is link")


def test_group_cycle_item():
    d = directory(groups=[group("gA", "A", groups=["gB"]), group("gB", "B", groups=["gA"])])
    (cycle,) = d.group_cycles
    item = group_cycle_item(cycle, "entra-graph", False)
    assert (item.id, item.blocking, item.subject.fields()) == ("teams.group_cycle:gA", False, {"groupIds": ["gA", "gB"]})
    assert item.message == ("groups 'A', 'B' contain each other through nesting; teams.flatten_nested is off and "
                            "Entra ID provisioning pushes only direct members, so only each group's direct members count")


# --------------------------------------------------------------------------- teams no group maps to


def renamed(users=("ux", "uy", "uz")):
    return directory([X, Y, Z], [UX, UY, UZ], [group("gR", "sigma-team-FP&A", list(users)), group("gO", "Office", ["ux"])],
                     [team("tF", "Finance"), team("tS", "Sales"), team("t9", "Old", archived=True)],
                     {"tF": ["x", "y", "z"], "tS": ["y"]})


PEOPLE = linked(("ux", "x"), ("uy", "y"), ("uz", "z"))


def test_a_group_holding_an_unmanaged_teams_people_is_a_likely_rename():
    a = Assignment("gR", "sigma-team-FP&A", "FP&A", None, "teams.rules[1].regex")
    item = likely_renames([a], policy().teams, renamed(), PEOPLE)["gR"]
    assert (item.id, item.blocking, item.evidence) == ("teams.likely_rename:gR", True, ItemEvidence(group_members=3))
    assert tuple(c.fields() for c in item.candidates) == (
        {"teamId": "tF", "name": "Finance", "members": 3, "inGroup": 3, "sharedPercent": 100},)
    assert yaml.safe_load(item.resolution) == {"teams": {"map": {"Finance": "sigma-team-FP&A"}}}
    assert likely_renames([a], policy().teams, renamed(users=("ux", "uy")), PEOPLE)["gR"].id == (
        "teams.likely_rename:gR")  # 2 of 3: at least half of both
    assert likely_renames([a], policy().teams, renamed(users=("ux",)), PEOPLE)["gR"].id == (
        "teams.possible_rename:gR")  # 1 of the team's 3 (33%): under 50, over 25
    assert likely_renames([a], policy("teams:\n  rename_percent: 80\n").teams, renamed(users=("ux",)),
                          PEOPLE) == {}  # 33% under 40, half of 80: nothing said
    possible = likely_renames([a], policy("teams:\n  rename_percent: 70\n").teams, renamed(users=("ux", "uy")),
                              PEOPLE)["gR"]  # 66% of both: under 70, over 35
    assert (possible.id, possible.blocking) == ("teams.possible_rename:gR", False)
    # a team teams.map names is no candidate: only Sales (y, 1 of the group's 3) is left
    mapped = likely_renames([a], policy("teams:\n  map: {Finance: Elsewhere}\n").teams, renamed(), PEOPLE)["gR"]
    assert (mapped.id, [c.fields() for c in mapped.candidates]) == ("teams.possible_rename:gR", [
        {"teamId": "tS", "name": "Sales", "members": 1, "inGroup": 1, "sharedPercent": 33}])


def test_a_rename_counts_only_the_links_to_members_of_unmanaged_teams():
    # tS (Sales: y) is the only candidate when Finance is mapped: only uy's link can overlap with it
    d = renamed()
    candidates = rename_candidates([FINANCE], policy().teams, d)
    assert sorted(candidates.names) == ["tS"]
    assert candidate_links(candidates, PEOPLE) == TeamPeople({"uy": "y"}, {}, frozenset())


def test_unmanaged_teams_get_rows_and_one_item_naming_the_group_that_holds_their_people():
    decision = decide_unmanaged([], policy().teams, renamed(), PEOPLE)
    assert decision.actions == ()
    assert decision.rows == (TeamRow("tF", "Finance", None, None, "unmanaged", 3, 3, 0, 0, (), False),
                             TeamRow("t9", "Old", None, None, "unmanaged", 0, 0, 0, 0, (), is_archived=True),
                             TeamRow("tS", "Sales", None, None, "unmanaged", 1, 1, 0, 0, (), False))
    (item,) = decision.review_items
    assert (item.id, item.blocking, item.subject.fields()) == ("teams.unmanaged:teams", False, {"teams": 2})
    assert tuple(c.fields() for c in item.candidates) == (
        {"teamId": "tF", "name": "Finance", "members": 3, "likelyGroup": "sigma-team-FP&A", "inGroup": 3},
        {"teamId": "tS", "name": "Sales", "members": 1})
    assert yaml.safe_load(item.resolution) == {"teams": {"map": {"Finance": "sigma-team-FP&A"}}}
    # a team the assignments link is no longer unmanaged; an archived one alone gets no item
    linked_all = [Assignment("gR", "sigma-team-FP&A", "Finance", "tF", "teams.map"),
                  Assignment("gO", "Office", "Sales", "tS", "teams.map")]
    assert decide_unmanaged(linked_all, policy().teams, renamed(), PEOPLE) == replace(
        decision, review_items=(), rows=(decision.rows[1],))


def test_an_empty_group_emptying_a_team_is_a_blocking_item_naming_what_it_loses():
    """Issue 10 (dirty/scim_empty_group): a group with no members would empty its team with nothing blocking."""
    d = directory([X, Y, member("q", "q@example.com", inactive=True)], [UX, UY], [group("gF", "Finance", [])],
                  [team("tF", "Finance")], {"tF": ["x", "y", "q"]})
    decision = decide_team(FINANCE, policy().teams, d, linked(("ux", "x"), ("uy", "y")))
    assert [a.id for a in decision.actions] == ["scim.link_group:tF", "scim.set_group_members:gF",
                                                "teams.remove_member:tF:x", "teams.remove_member:tF:y"]
    empty, leftovers = decision.review_items
    assert (empty.id, empty.code, empty.blocking, empty.rule) == (
        "teams.empty_group:tF", "teams.empty_group", True, "teams.empty_group")
    assert empty.subject.fields() == {"teamId": "tF", "name": "Finance", "groupId": "gF", "groupDisplayName": "Finance"}
    assert empty.message == (
        "IdP group 'Finance' has no members while team 'Finance' has 3: the team would lose 2 of them "
        "(teams.remove_member) and its SCIM members would be none; confirm the group is meant to be empty, or "
        "export its members")
    assert yaml.safe_load(empty.resolution) == {"teams": {"confirm_empty": ["Finance"]}}
    assert leftovers.id == "teams.leftovers:tF"  # q, inactive, cannot be removed


def test_a_group_the_policy_confirms_empty_is_reported_not_blocking():
    teams = policy("teams:\n  confirm_empty: ['re:Fin.*']\n").teams
    d = directory([X], [UX], [group("gF", "Finance", [])], [team("tF", "Finance")], {"tF": ["x"]})
    decision = decide_team(FINANCE, teams, d, linked(("ux", "x")))
    assert [a.id for a in decision.actions] == ["scim.link_group:tF", "scim.set_group_members:gF",
                                                "teams.remove_member:tF:x"]
    (empty,) = decision.review_items
    assert (empty.id, empty.blocking, empty.resolution) == ("teams.empty_group:tF", False, "")
    assert empty.message == (
        "IdP group 'Finance' has no members while team 'Finance' has 1: the team would lose 1 of them "
        "(teams.remove_member) and its SCIM members would be none (teams.confirm_empty names the group)")


def test_an_empty_group_for_an_empty_team_or_a_new_one_is_no_item():
    d = directory([X], [UX], [group("gF", "Finance", [])], [team("tF", "Finance")], {"tF": []})
    assert decide_team(FINANCE, policy().teams, d, linked(("ux", "x"))).review_items == ()
    new = Assignment("gF", "Finance", "Finance", None, "teams.rules[0].exact")
    created = decide_team(new, policy("teams:\n  mode: create\n").teams, d, linked(("ux", "x")))
    assert [i.code for i in created.review_items] == []
