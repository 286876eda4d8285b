"""Teams <-> groups: map and name rules, link or create, nested groups, leftovers, unmanaged teams."""

from __future__ import annotations

import yaml

from planner.planfile import plan_bytes

from .plan_factory import by_id, group, kinds, member, plan, review_codes, snapshot, team, user

X, Y, Z = (member(m, f"{m}@example.com") for m in ("x", "y", "z"))
UX, UY, UZ = (user(f"u{m}", f"{m}@example.com") for m in ("x", "y", "z"))


def finance(extra: str = ""):
    snap = snapshot([X, Y, Z], [UX, UY, UZ], groups=[group("gF", "Finance", ["ux", "uy"])],
                    teams=[team("tF", "Finance")], memberships={"tF": ["x", "y", "z"]})
    return plan(snap, extra)


def team_kinds(p):
    return [k for k in kinds(p) if not k[1].startswith("scim.link_user:")]


def test_leftover_member_is_removed_and_nothing_adds_it_back():
    p = finance()
    assert team_kinds(p) == [
        ("scim.link_group", "scim.link_group:tF"),
        ("scim.set_group_members", "scim.set_group_members:gF"),
        ("teams.remove_member", "teams.remove_member:tF:z"),
    ]
    link = by_id(p)["scim.link_group:tF"]
    assert link.target == {"teamId": "tF", "name": "Finance", "groupId": "gF", "groupDisplayName": "Finance"}
    assert (link.before, link.after, link.rule) == ({"name": "Finance"}, {"displayName": "Finance"},
                                                    "teams.rules[0].exact")
    members = by_id(p)["scim.set_group_members:gF"]
    assert members.before == {"memberIds": ["x", "y", "z"]}
    assert members.after == {"members": ["x@example.com", "y@example.com"]}
    assert members.depends_on == ("scim.link_group:tF", "scim.link_user:x", "scim.link_user:y")
    removal = by_id(p)["teams.remove_member:tF:z"]
    assert removal.target == {"teamId": "tF", "name": "Finance", "memberId": "z", "email": "z@example.com"}
    assert (removal.before, removal.after) == ({"userId": "z", "isTeamAdmin": False}, None)
    assert removal.depends_on == ("scim.set_group_members:gF",)
    (row,) = [t for t in p.teams if t.name == "Finance"]
    assert (row.mode, row.members_before, row.members_after, row.members_added, row.members_removed) == (
        "link", 3, 2, 0, 1)
    assert p.summary["teams"] == {"linked": 1, "created": 0, "unmanaged": 0, "member_removals": 1}


def test_leftovers_report_instead_of_remove():
    p = finance("teams:\n  leftovers: report\n")
    assert "teams.remove_member:tF:z" not in by_id(p)
    assert by_id(p)["scim.set_group_members:gF"].after["members"] == ["x@example.com", "y@example.com"]
    (item,) = [r for r in p.review_items if r.code == "teams.leftovers"]
    assert item.blocking is False
    assert item.candidates == ({"memberId": "z", "email": "z@example.com", "state": "active"},)
    assert yaml.safe_load(item.resolution) == {"teams": {"leftovers": "remove"}}
    (row,) = p.teams
    assert (row.members_after, row.members_removed) == (3, 0)


def test_inactive_leftover_cannot_be_removed_and_is_reported():
    q = member("q", "q@example.com", inactive=True)
    snap = snapshot([X, q], [UX], groups=[group("gF", "Finance", ["ux"])], teams=[team("tF", "Finance")],
                    memberships={"tF": ["x", "q"]})
    p = plan(snap)
    assert "teams.remove_member:tF:q" not in by_id(p)
    (item,) = [r for r in p.review_items if r.code == "teams.leftovers"]
    assert item.candidates == ({"memberId": "q", "email": "q@example.com", "state": "inactive"},)


def test_member_of_the_group_who_is_not_provisioned_is_no_leftover():
    # z is still in the group but suspended: not pushed, not removed (the deactivation handles z)
    suspended = user("uz", "z@example.com", active=False, status="SUSPENDED")
    snap = snapshot([X, Z], [UX, suspended], groups=[group("gF", "Finance", ["ux", "uz"])],
                    teams=[team("tF", "Finance")], memberships={"tF": ["x", "z"]})
    p = plan(snap)
    assert "teams.remove_member:tF:z" not in by_id(p)
    assert by_id(p)["scim.set_group_members:gF"].after["members"] == ["x@example.com"]


def test_nested_cycle_is_reported_and_members_flattened_once():
    snap = snapshot([X, Y], [UX, UY],
                    groups=[group("gA", "A", ["ux"], groups=["gB"]), group("gB", "B", ["uy"], groups=["gA"])],
                    teams=[team("tA", "A")], memberships={"tA": ["x"]})
    p = plan(snap)
    assert by_id(p)["scim.set_group_members:gA"].after == {"members": ["x@example.com", "y@example.com"]}
    (cycle,) = [r for r in p.review_items if r.code == "teams.group_cycle"]
    assert (cycle.blocking, cycle.subject) == (False, {"groupIds": ["gA", "gB"]})
    assert cycle.message == "groups 'A', 'B' contain each other through nesting; their members are flattened once"
    # without flattening, only direct members count
    p = plan(snap, "teams:\n  flatten_nested: false\n")
    assert by_id(p)["scim.set_group_members:gA"].after == {"members": ["x@example.com"]}


def test_name_rules_exact_case_insensitive_regex_and_map():
    snap = snapshot(
        [X], [UX],
        groups=[group("g1", "Finance", ["ux"]), group("g2", "sales emea", ["ux"]), group("g3", "sigma-team-Data", ["ux"]),
                group("g4", "Leadership", ["ux"]), group("g5", "sigma-team-New", ["ux"]), group("g6", "VPN Users", ["ux"])],
        teams=[team("t1", "Finance"), team("t2", "Sales EMEA"), team("t3", "Data"), team("t4", "Executive"),
               team("t5", "Board")],
    )
    extra = """
teams:
  map: {Executive: Leadership}
  rules:
    - match: exact
    - match: case_insensitive
    - {match: regex, pattern: '^sigma-team-(.+)$', replace: '\\1'}
  mode: create
"""
    p = plan(snap, extra)
    groups = {(a.target["groupDisplayName"], a.target["name"], a.kind.value, a.rule) for a in p.actions
              if a.kind.value in ("scim.link_group", "scim.create_group")}
    assert groups == {
        ("Finance", "Finance", "scim.link_group", "teams.rules[0].exact"),
        ("sales emea", "Sales EMEA", "scim.link_group", "teams.rules[1].case_insensitive"),
        ("sigma-team-Data", "Data", "scim.link_group", "teams.rules[2].regex"),
        ("Leadership", "Executive", "scim.link_group", "teams.map"),
        ("sigma-team-New", "New", "scim.create_group", "teams.rules[2].regex"),
    }
    create = by_id(p)["scim.create_group:g5"]
    assert (create.target["teamId"], create.after, create.before) == (None, {"displayName": "New"}, None)
    assert [(t.name, t.mode) for t in p.teams] == [
        ("Board", "unmanaged"), ("Data", "link"), ("Executive", "link"), ("Finance", "link"), ("New", "create"),
        ("Sales EMEA", "link")]
    (unmanaged,) = [r for r in p.review_items if r.code == "teams.unmanaged"]
    assert unmanaged.candidates == ({"teamId": "t5", "name": "Board", "members": 0},)
    renamed = sorted(r.subject["groupDisplayName"] for r in p.review_items if r.code == "teams.renamed_by_idp")
    assert renamed == ["Leadership", "sales emea", "sigma-team-Data", "sigma-team-New"]


def test_mode_link_creates_no_team():
    snap = snapshot([X], [UX], groups=[group("g5", "sigma-team-New", ["ux"])])
    p = plan(snap, "teams:\n  rules:\n    - {match: regex, pattern: '^sigma-team-(.+)$', replace: '\\1'}\n")
    assert team_kinds(p) == []
    assert review_codes(p) == [("teams.no_team", False)]
    assert yaml.safe_load(p.review_items[0].resolution) == {"teams": {"mode": "create"}}


def test_created_team_holds_created_users_by_user_name():
    snap = snapshot([X], [UX, user("un", "new@example.com")], groups=[group("g5", "New", ["ux", "un"])])
    p = plan(snap, "teams:\n  map: {New: New}\n  mode: create\n")
    members = by_id(p)["scim.set_group_members:g5"]
    assert members.after == {"members": ["new@example.com", "x@example.com"]}
    assert members.depends_on == ("scim.create_group:g5", "scim.create_user:un", "scim.link_user:x")
    (row,) = p.teams
    assert (row.team_id, row.mode, row.members_before, row.members_after, row.members_added) == (None, "create", 0, 2, 2)


def test_two_groups_for_one_team_is_blocking():
    snap = snapshot([X], [UX], groups=[group("g1", "Finance", ["ux"]), group("g2", "finance", ["ux"])],
                    teams=[team("t1", "Finance")])
    p = plan(snap, "teams:\n  rules: [{match: exact}, {match: case_insensitive}]\n")
    assert team_kinds(p) == []
    (item,) = [r for r in p.review_items if r.code == "teams.conflict"]
    assert item.blocking is True
    assert [c["groupDisplayName"] for c in item.candidates] == ["Finance", "finance"]
    assert yaml.safe_load(item.resolution) == {"teams": {"map": {"Finance": "Finance"}}}


def test_one_group_matching_two_teams_is_blocking():
    snap = snapshot([X], [UX], groups=[group("g1", "sales", ["ux"])], teams=[team("t1", "Sales"), team("t2", "SALES")])
    p = plan(snap, "teams:\n  rules: [{match: case_insensitive}]\n")
    assert team_kinds(p) == []
    (item,) = [r for r in p.review_items if r.code == "teams.ambiguous"]
    assert item.blocking is True
    assert sorted(c["teamId"] for c in item.candidates) == ["t1", "t2"]


def test_map_naming_a_missing_group_is_reported():
    p = plan(snapshot([X], [UX], teams=[team("t1", "Finance")]), "teams:\n  map: {Finance: Finance-Team}\n")
    assert ("teams.map_group_missing", False) in review_codes(p)


def test_archived_team_is_listed_but_never_touched():
    snap = snapshot([X], [UX], groups=[group("g1", "Old", ["ux"])], teams=[team("t9", "Old", archived=True)],
                    memberships={"t9": ["x"]})
    p = plan(snap)
    assert team_kinds(p) == []
    (row,) = p.teams
    assert (row.mode, row.is_archived, row.members_before) == ("unmanaged", True, 1)
    assert "teams.unmanaged" not in {r.code for r in p.review_items}


def test_a_membership_of_a_member_missing_from_the_export_is_reported_never_removed():
    # team_members.json names "ghost", whom members.json does not have (exported without
    # includeArchived, or a hand-edited file): nothing is known about them, and no NaN may reach the plan
    snap = snapshot([X, Y], [UX, UY], groups=[group("gF", "Finance", ["ux"])],
                    teams=[team("tF", "Finance")], memberships={"tF": ["x", "y", "ghost"]})
    p = plan(snap)
    assert team_kinds(p) == [
        ("scim.link_group", "scim.link_group:tF"),
        ("scim.set_group_members", "scim.set_group_members:gF"),
        ("teams.remove_member", "teams.remove_member:tF:y"),
    ]
    (item,) = [r for r in p.review_items if r.code == "teams.leftovers"]
    assert list(item.candidates) == [{"memberId": "ghost", "email": None, "state": "unknown"}]
    assert item.message.endswith("(members missing from the members export are not removed)")
    assert p.fingerprints["team:tF"]["state"]["memberIds"] == ["ghost", "x", "y"]
    plan_bytes(p)  # strict JSON (allow_nan=False): raises on a NaN anywhere in the plan
