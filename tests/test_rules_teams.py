"""Teams <-> groups: map and name rules, link or create, nested groups, leftovers, unmanaged teams."""

from __future__ import annotations

import yaml
from msgspec import to_builtins as wire

from planner.planfile import plan_bytes

from .plan_factory import by_id, group, kinds, member, plan, review_codes, snapshot, team, user

X, Y, Z = (member(m, f"{m}@example.com") for m in ("x", "y", "z"))
UX, UY, UZ = (user(f"u{m}", f"{m}@example.com") for m in ("x", "y", "z"))


def finance(extra: str = "", users=(UX, UY, UZ)):
    snap = snapshot([X, Y, Z], list(users), groups=[group("gF", "Finance", ["ux", "uy"])],
                    teams=[team("tF", "Finance")], memberships={"tF": ["x", "y", "z"]})
    return plan(snap, extra)


BY_PUSH = ("removed from team 'Finance' by the push of scim.set_group_members:gF: not in IdP group 'Finance', and a "
           "SCIM-managed member of the team when its member list replaces the team's; no REST request, apply "
           "checks they are gone")
"""The reason of a leftover's removal the group's push makes (docs/sigma-api.md §5.4, §6.1)."""


def team_kinds(p):
    return [k for k in kinds(p) if not k[1].startswith("scim.link_user:")]


def test_a_leftover_the_plan_links_is_removed_by_the_push_not_through_rest():
    """Earlier tester item 5: z (linked by the plan, not in group Finance) is SCIM-managed when the group's
    member list replaces the team's SCIM members, so the push removes z; the plan said 'SCIM does not remove
    pre-SCIM members' and planned a REST removal of its own, a second write (refused, 403, or removing a
    member the IdP added back). Now: the push waits for z's link, and the removal sends nothing, it checks."""
    p = finance()
    assert team_kinds(p) == [
        ("scim.link_group", "scim.link_group:tF"),
        ("scim.set_group_members", "scim.set_group_members:gF"),
        ("teams.remove_member", "teams.remove_member:tF:z"),
    ]
    link = by_id(p)["scim.link_group:tF"]
    assert wire(link.target) == {"teamId": "tF", "name": "Finance", "groupId": "gF", "groupDisplayName": "Finance"}
    assert (wire(link.before), wire(link.after), link.rule) == ({"name": "Finance"}, {"displayName": "Finance"},
                                                    "teams.rules[0].exact")
    members = by_id(p)["scim.set_group_members:gF"]
    assert wire(members.before) == {"memberIds": ["x", "y", "z"]}
    assert wire(members.after) == {"members": ["x@example.com", "y@example.com"]}
    assert members.depends_on == ("scim.link_group:tF", "scim.link_user:x", "scim.link_user:y", "scim.link_user:z")
    removal = by_id(p)["teams.remove_member:tF:z"]
    assert wire(removal.target) == {"teamId": "tF", "name": "Finance", "memberId": "z", "email": "z@example.com"}
    assert (wire(removal.before), wire(removal.after)) == ({"userId": "z", "isTeamAdmin": False}, None)
    assert (removal.reason, wire(removal.evidence)) == (
        BY_PUSH, {"groupId": "gF", "removedBy": "scim.set_group_members:gF"})
    assert removal.depends_on == ("scim.set_group_members:gF",)
    (row,) = [t for t in p.teams if t.name == "Finance"]
    assert (row.mode, row.members_before, row.members_after, row.members_added, row.members_removed) == (
        "link", 3, 2, 0, 1)
    assert wire(p.summary)["teams"] == {"linked": 1, "created": 0, "unmanaged": 0, "member_additions": 0,
                                        "member_removals": 1}  # x and y were members already


def test_a_leftover_the_plan_does_not_link_is_removed_through_rest():
    # z has no IdP user: a pre-SCIM member SCIM never manages, whom no push removes (docs/sigma-api.md §5.4)
    p = finance(users=(UX, UY))
    assert team_kinds(p) == [
        ("scim.link_group", "scim.link_group:tF"),
        ("scim.set_group_members", "scim.set_group_members:gF"),
        ("teams.remove_member", "teams.remove_member:tF:z"),
    ]
    assert by_id(p)["scim.set_group_members:gF"].depends_on == (
        "scim.link_group:tF", "scim.link_user:x", "scim.link_user:y")
    removal = by_id(p)["teams.remove_member:tF:z"]
    assert (removal.reason, wire(removal.evidence), removal.depends_on) == (
        "remove from team 'Finance': not in IdP group 'Finance', and SCIM does not remove pre-SCIM members",
        {"groupId": "gF"}, ("scim.set_group_members:gF",))
    (row,) = p.teams
    assert (row.members_after, row.members_removed) == (2, 1)


def test_leftovers_report_instead_of_remove():
    p = finance("teams:\n  leftovers: report\n", users=(UX, UY))
    assert "teams.remove_member:tF:z" not in by_id(p)
    assert wire(by_id(p)["scim.set_group_members:gF"].after)["members"] == ["x@example.com", "y@example.com"]
    (item,) = [r for r in p.review_items if r.code == "teams.leftovers"]
    assert item.blocking is False
    assert tuple(c.fields() for c in item.candidates) == ({"memberId": "z", "email": "z@example.com", "state": "active"},)
    assert yaml.safe_load(item.resolution) == {"teams": {"leftovers": "remove"}}
    (row,) = p.teams
    assert (row.members_after, row.members_removed) == (3, 0)
    # z linked: under report too the push removes z (it replaces the team's SCIM members); the plan says so
    p = finance("teams:\n  leftovers: report\n")
    assert (by_id(p)["teams.remove_member:tF:z"].reason, [r.code for r in p.review_items]) == (BY_PUSH, [])
    assert (p.teams[0].members_after, p.teams[0].members_removed) == (2, 1)


def test_inactive_leftover_cannot_be_removed_and_is_reported():
    q = member("q", "q@example.com", inactive=True)
    snap = snapshot([X, q], [UX], groups=[group("gF", "Finance", ["ux"])], teams=[team("tF", "Finance")],
                    memberships={"tF": ["x", "q"]})
    p = plan(snap)
    assert "teams.remove_member:tF:q" not in by_id(p)
    (item,) = [r for r in p.review_items if r.code == "teams.leftovers"]
    assert tuple(c.fields() for c in item.candidates) == ({"memberId": "q", "email": "q@example.com", "state": "inactive"},)


def test_member_of_the_group_who_is_not_provisioned_is_no_leftover():
    # z is still in the group but suspended: not pushed, not removed (the deactivation handles z)
    suspended = user("uz", "z@example.com", active=False, status="SUSPENDED")
    snap = snapshot([X, Z], [UX, suspended], groups=[group("gF", "Finance", ["ux", "uz"])],
                    teams=[team("tF", "Finance")], memberships={"tF": ["x", "z"]})
    p = plan(snap)
    assert "teams.remove_member:tF:z" not in by_id(p)
    assert wire(by_id(p)["scim.set_group_members:gF"].after)["members"] == ["x@example.com"]


def test_nested_cycle_is_reported_and_members_flattened_once():
    snap = snapshot([X, Y], [UX, UY],
                    groups=[group("gA", "A", ["ux"], groups=["gB"]), group("gB", "B", ["uy"], groups=["gA"])],
                    teams=[team("tA", "A")], memberships={"tA": ["x"]})
    p = plan(snap)
    assert wire(by_id(p)["scim.set_group_members:gA"].after) == {"members": ["x@example.com", "y@example.com"]}
    (cycle,) = [r for r in p.review_items if r.code == "teams.group_cycle"]
    assert (cycle.blocking, cycle.subject.fields()) == (False, {"groupIds": ["gA", "gB"]})
    assert cycle.message == "groups 'A', 'B' contain each other through nesting; their members are flattened once"
    # without flattening, only direct members count
    p = plan(snap, "teams:\n  flatten_nested: false\n")
    assert wire(by_id(p)["scim.set_group_members:gA"].after) == {"members": ["x@example.com"]}


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
    groups = {(wire(a.target)["groupDisplayName"], wire(a.target)["name"], a.kind.value, a.rule) for a in p.actions
              if a.kind.value in ("scim.link_group", "scim.create_group")}
    assert groups == {
        ("Finance", "Finance", "scim.link_group", "teams.rules[0].exact"),
        ("sales emea", "Sales EMEA", "scim.link_group", "teams.rules[1].case_insensitive"),
        ("sigma-team-Data", "Data", "scim.link_group", "teams.rules[2].regex"),
        ("Leadership", "Executive", "scim.link_group", "teams.map"),
        ("sigma-team-New", "New", "scim.create_group", "teams.rules[2].regex"),
    }
    create = by_id(p)["scim.create_group:g5"]
    assert (wire(create.target)["teamId"], wire(create.after), wire(create.before)) == (None, {"displayName": "New"}, None)
    assert [(t.name, t.mode) for t in p.teams] == [
        ("Board", "unmanaged"), ("Data", "link"), ("Executive", "link"), ("Finance", "link"), ("New", "create"),
        ("Sales EMEA", "link")]
    (unmanaged,) = [r for r in p.review_items if r.code == "teams.unmanaged"]
    assert tuple(c.fields() for c in unmanaged.candidates) == ({"teamId": "t5", "name": "Board", "members": 0},)
    renamed = sorted(r.subject.fields()["groupDisplayName"] for r in p.review_items if r.code == "teams.renamed_by_idp")
    assert renamed == ["Leadership", "sales emea", "sigma-team-Data", "sigma-team-New"]


def test_mode_link_creates_no_team():
    snap = snapshot([X], [UX], groups=[group("g5", "sigma-team-New", ["ux"])])
    p = plan(snap, "teams:\n  rules:\n    - {match: regex, pattern: '^sigma-team-(.+)$', replace: '\\1'}\n")
    assert team_kinds(p) == []
    assert review_codes(p) == [("teams.no_team", False)]
    assert yaml.safe_load(p.review_items[0].resolution) == {"teams": {"mode": "create"}}


def test_created_team_holds_created_users_by_user_name():
    snap = snapshot([X], [UX, user("un", "new@example.com")], groups=[group("g5", "New", ["ux", "un"])])
    p = plan(snap, "teams:\n  mode: create\n  rules: [{match: regex, pattern: New}]\n")
    members = by_id(p)["scim.set_group_members:g5"]
    assert wire(members.after) == {"members": ["new@example.com", "x@example.com"]}
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
    assert [c["groupDisplayName"] for c in tuple(c.fields() for c in item.candidates)] == ["Finance", "finance"]
    # the IdP finds the team by displayName ignoring case: no map entry tells 'Finance' and 'finance' apart
    assert yaml.safe_load(item.resolution) == {"teams": {"map": {"Finance": "<the renamed group's displayName>"}}}
    mapped = plan(snap, "teams:\n  map: {Finance: Finance}\n")
    assert team_kinds(mapped) == []
    assert [(r.id, r.blocking, r.message) for r in mapped.review_items if r.code == "teams.conflict"] == [(
        "teams.conflict:t1", True,
        "group 'Finance' (g1) would link team 'Finance' (t1) by teams.map, but IdP group(s) 'finance' (g2) have the same "
        "displayName letter case and surrounding white space aside: the IdP finds the team a group is pushed to by "
        "displayName, which SCIM compares ignoring case (RFC 7643 §8.7.1), and teams.map names a group by its "
        "displayName alone, so the team could follow either group; held, nothing is linked or created for the group")]


def test_one_group_matching_two_teams_is_blocking():
    snap = snapshot([X], [UX], groups=[group("g1", "sales", ["ux"])], teams=[team("t1", "Sales"), team("t2", "SALES")])
    p = plan(snap, "teams:\n  rules: [{match: case_insensitive}]\n")
    assert team_kinds(p) == []
    (item,) = [r for r in p.review_items if r.code == "teams.ambiguous"]
    assert item.blocking is True
    assert sorted(c["teamId"] for c in tuple(c.fields() for c in item.candidates)) == ["t1", "t2"]


def test_map_naming_a_missing_group_is_blocking():
    p = plan(snapshot([X], [UX], teams=[team("t1", "Finance")]), "teams:\n  map: {Finance: Finance-Team}\n")
    assert [(r.id, r.blocking) for r in p.review_items if r.code == "policy.unknown_reference"] == [
        ("policy.unknown_reference:teams.map.Finance", True)]


def test_map_key_naming_no_team_creates_none_and_is_blocking():
    # tester A7: `Executive Dashbords: Leadership` created a team "Executive Dashbords" with no item
    snap = snapshot([X], [UX], groups=[group("g1", "Leadership", ["ux"])], teams=[team("t1", "Executive Dashboards")])
    p = plan(snap, "teams:\n  map: {Executive Dashbords: Leadership}\n  mode: create\n")
    assert team_kinds(p) == []  # neither the typo created nor "Leadership" made a team by the exact rule
    (item,) = [r for r in p.review_items if r.code == "policy.unknown_reference"]
    assert (item.id, item.blocking) == ("policy.unknown_reference:teams.map.'Executive Dashbords':team", True)
    assert item.message == (
        "policy.yaml:16:5: teams.map.'Executive Dashbords' names team 'Executive Dashbords', which is not in the Sigma "
        "export (active teams) (did you mean 'Executive Dashboards'?); the entry is ignored")


def test_a_map_entry_whose_team_and_group_are_both_misspelt_gets_both_items():
    """Both references of one teams.map entry had the id policy.unknown_reference:teams.map.<team>, and the plan
    keeps one item per id: the group's typo was dropped, to be found only after the team's was fixed."""
    snap = snapshot([X], [UX], groups=[group("g1", "Leadership", ["ux"])], teams=[team("t1", "Executive Dashboards")])
    p = plan(snap, "teams:\n  map: {Executive Dashbords: Leadrship}\n")
    assert [(r.id, r.message) for r in p.review_items if r.code == "policy.unknown_reference"] == [
        ("policy.unknown_reference:teams.map.'Executive Dashbords'",
         "policy.yaml:16:26: teams.map.'Executive Dashbords' names IdP group 'Leadrship', which is not in the IdP "
         "export (did you mean 'Leadership'?); the entry is ignored"),
        ("policy.unknown_reference:teams.map.'Executive Dashbords':team",
         "policy.yaml:16:5: teams.map.'Executive Dashbords' names team 'Executive Dashbords', which is not in the "
         "Sigma export (active teams) (did you mean 'Executive Dashboards'?); the entry is ignored")]


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
    assert [c.fields() for c in item.candidates] == [{"memberId": "ghost", "email": None, "state": "unknown"}]
    assert item.message.endswith("(members missing from the members export are not removed)")
    assert p.fingerprints["team:tF"].state.member_ids == ("ghost", "x", "y")
    plan_bytes(p)  # strict JSON (allow_nan=False): raises on a NaN anywhere in the plan


# --------------------------------------------------------------------------- nested groups, expansion off

W = member("w", "w@example.com")
UW = user("uw", "w@example.com")
OFF = "teams:\n  flatten_nested: false\n"


def nested_finance(extra: str = "", idp_format: str | None = None):
    """Team Finance = x, y, z, w; group Finance holds x directly and nests Contractors (y) and, through
    it, Temps (w); z is in no group."""
    from dataclasses import replace

    snap = snapshot([X, Y, Z, W], [UX, UY, UZ, UW],
                    groups=[group("gF", "Finance", ["ux"], groups=["gC"]), group("gC", "Contractors", ["uy"], groups=["gT"]),
                            group("gT", "Temps", ["uw"])],
                    teams=[team("tF", "Finance")], memberships={"tF": ["x", "y", "z", "w"]})
    if idp_format:
        snap = replace(snap, idp=replace(snap.idp, format=idp_format))
    return plan(snap, OFF + extra)


def test_nested_only_members_are_named_in_a_blocking_item_not_removed():
    p = nested_finance()
    assert team_kinds(p) == [
        ("scim.link_group", "scim.link_group:tF"),
        ("scim.set_group_members", "scim.set_group_members:gF"),
        ("teams.remove_member", "teams.remove_member:tF:z"),  # in no group at all: a plain leftover
    ]
    assert by_id(p)["teams.remove_member:tF:z"].reason == BY_PUSH  # linked: the push removes z
    # y and w are linked: left out of the list, the push (it replaces the team's SCIM members) would remove
    # them, so the list keeps them while teams.nested_only decides
    members = by_id(p)["scim.set_group_members:gF"]
    assert wire(members.after) == {"members": ["w@example.com", "x@example.com", "y@example.com"]}
    assert members.reason == (
        "team 'Finance' members = the 1 provisioned member(s) of group 'Finance' (direct members only); keeps "
        "w@example.com, y@example.com, in the group only through a nested group (teams.nested_only is review)")
    assert members.depends_on == ("scim.link_group:tF", "scim.link_user:w", "scim.link_user:x", "scim.link_user:y",
                                  "scim.link_user:z")
    (item,) = [r for r in p.review_items if r.code == "teams.nested_only"]
    assert (item.id, item.blocking, item.rule) == ("teams.nested_only:tF", True, "teams.nested_only")
    assert item.message == (
        "2 member(s) of team 'Finance' are not direct members of group 'Finance': reachable only through nested "
        "group(s) 'Contractors', 'Contractors > Temps'; with teams.flatten_nested off the plan counts only direct "
        "members, as the IdP pushes them when it does not expand nested groups, so they are not removed until the "
        "policy decides (or they are added to the group directly)")
    assert tuple(c.fields() for c in item.candidates) == (  # team members by memberId
        {"memberId": "w", "email": "w@example.com", "reachableOnlyThrough": "Contractors > Temps"},
        {"memberId": "y", "email": "y@example.com", "reachableOnlyThrough": "Contractors"},
    )
    assert yaml.safe_load(item.resolution) == {"teams": {"nested_only": "leftovers"}}
    assert "# or:\n# teams:\n#   nested_only: keep\n# or:\n# teams:\n#   flatten_nested: true\n" in item.resolution
    (row,) = p.teams
    assert (row.members_before, row.members_after, row.members_removed) == (4, 3, 1)


def test_nested_only_leftovers_removes_them_naming_the_nested_group_and_keep_reports_them():
    p = nested_finance("  nested_only: leftovers\n")
    assert [r.code for r in p.review_items if r.code.startswith("teams.")] == []
    assert by_id(p)["teams.remove_member:tF:w"].reason == (
        "removed from team 'Finance' by the push of scim.set_group_members:gF: not in IdP group 'Finance' (reachable "
        "only through nested group 'Contractors > Temps', which teams.nested_only treats as a leftover), and a "
        "SCIM-managed member of the team when its member list replaces the team's; no REST request, apply checks "
        "they are gone")
    assert wire(by_id(p)["teams.remove_member:tF:y"].evidence) == {
        "groupId": "gF", "reachableOnlyThrough": ["Contractors"], "removedBy": "scim.set_group_members:gF"}
    kept = nested_finance("  nested_only: keep\n")
    assert [a for a in by_id(kept) if a.startswith("teams.remove_member")] == ["teams.remove_member:tF:z"]
    (item,) = [r for r in kept.review_items if r.code == "teams.nested_only"]
    assert (item.blocking, item.resolution) == (False, "")
    assert item.message.endswith("so they stay in the team (teams.nested_only is keep)")
    # leftovers: report removes nobody through REST, and the report names the nested group; z (linked, in no
    # group) is removed by the push all the same
    reported = nested_finance("  leftovers: report\n")
    (left,) = [r for r in reported.review_items if r.code == "teams.leftovers"]
    assert tuple(c.fields() for c in left.candidates) == (
        {"memberId": "w", "email": "w@example.com", "state": "active", "reachableOnlyThrough": "Contractors > Temps"},
        {"memberId": "y", "email": "y@example.com", "state": "active", "reachableOnlyThrough": "Contractors"},
    )
    assert [a for a in by_id(reported) if a.startswith("teams.remove_member")] == ["teams.remove_member:tF:z"]


def test_nested_group_items_are_worded_for_entra_and_never_say_flattened_when_expansion_is_off():
    p = nested_finance(idp_format="entra-csv")
    (item,) = [r for r in p.review_items if r.code == "teams.nested_only"]
    assert "; Entra ID provisioning pushes only a group's direct members, so they are not removed" in item.message
    assert "flatten_nested: true" not in item.resolution  # Entra would not push them anyway
    cyclic = snapshot([X, Y], [UX, UY],
                      groups=[group("gA", "A", ["ux"], groups=["gB"]), group("gB", "B", ["uy"], groups=["gA"])],
                      teams=[team("tA", "A")], memberships={"tA": ["x"]})
    from dataclasses import replace

    entra = replace(cyclic, idp=replace(cyclic.idp, format="entra-graph"))
    (cycle,) = [r for r in plan(entra, OFF).review_items if r.code == "teams.group_cycle"]
    assert cycle.message == (
        "groups 'A', 'B' contain each other through nesting; teams.flatten_nested is off and Entra ID provisioning "
        "pushes only direct members, so only each group's direct members count")
    (cycle,) = [r for r in plan(cyclic, OFF).review_items if r.code == "teams.group_cycle"]
    assert cycle.message == ("groups 'A', 'B' contain each other through nesting; teams.flatten_nested is off, so "
                             "only each group's direct members count")


def test_set_members_reason_mentions_nesting_only_for_groups_that_nest():
    # Okta groups never nest: nothing about flattening is said for a flat group
    p = finance()
    assert by_id(p)["scim.set_group_members:gF"].reason == (
        "team 'Finance' members = the 2 provisioned member(s) of group 'Finance'")
    flat = nested_finance("  flatten_nested: true\n")  # the later key wins
    assert by_id(flat)["scim.set_group_members:gF"].reason == (
        "team 'Finance' members = the 3 provisioned member(s) of group 'Finance' (nested groups flattened)")
    assert [r.code for r in flat.review_items if r.code == "teams.nested_only"] == []


# --------------------------------------------------------------------------- a group renamed after its team was made

RENAMED_RULES = """
teams:
  rules:
    - match: exact
    - {match: regex, pattern: '^sigma-team-(.+)$', replace: '\\1'}
  mode: create
"""


def renamed(extra: str = "", users=("ux", "uy", "uz")):
    """Team Finance (x, y, z) was made for group sigma-team-Finance, since renamed sigma-team-FP&A."""
    snap = snapshot([X, Y, Z], [UX, UY, UZ], groups=[group("gR", "sigma-team-FP&A", list(users))],
                    teams=[team("tF", "Finance")], memberships={"tF": ["x", "y", "z"]})
    return plan(snap, RENAMED_RULES + extra)


def test_a_renamed_group_is_a_blocking_likely_rename_not_a_second_team():
    p = renamed()
    assert team_kinds(p) == []  # no second team, no membership pushed on a guess
    assert [(r.id, r.blocking) for r in p.review_items if r.code.startswith("teams.")] == [
        ("teams.likely_rename:gR", True), ("teams.unmanaged:teams", False)]
    (item,) = [r for r in p.review_items if r.code == "teams.likely_rename"]
    assert item.message == (
        "group 'sigma-team-FP&A' would become a new team 'FP&A' (teams.rules[1].regex), and 3 of 3 members of team "
        "'Finance' (100%), which no IdP group maps to, are in it (3 of the group's 3 member(s), 100%): at least "
        "teams.rename_percent (50%) of both, so the group was likely renamed after the team was made; a new team "
        "would leave 'Finance' unmanaged beside a second team of the same people: nothing is created for the group "
        "until the policy decides")
    assert item.subject.fields() == {"groupId": "gR", "groupDisplayName": "sigma-team-FP&A", "name": "FP&A"}
    assert tuple(c.fields() for c in item.candidates) == (
        {"teamId": "tF", "name": "Finance", "members": 3, "inGroup": 3, "sharedPercent": 100},)
    assert yaml.safe_load(item.resolution) == {"teams": {"map": {"Finance": "sigma-team-FP&A"}}}
    assert yaml.safe_load(item.resolution.split("# or:\n", 1)[1].replace("# ", "")) == {
        "teams": {"confirm_new_teams": ["sigma-team-FP&A"]}}
    assert "# or, a team of its own beside 'Finance': confirm it (or archive team 'Finance' in Sigma" in item.resolution
    # under mode: link nothing would be created either, but the old team would still be left
    # unmanaged: the same blocking item, not the informational teams.no_team
    link_mode = renamed("  mode: link\n")  # the later key wins
    assert [(r.id, r.blocking) for r in link_mode.review_items if r.code.startswith("teams.")] == [
        ("teams.likely_rename:gR", True), ("teams.unmanaged:teams", False)]
    # settled: the old team follows the renamed group
    linked = renamed("  map: {Finance: sigma-team-FP&A}\n")
    assert team_kinds(linked) == [("scim.link_group", "scim.link_group:tF"),
                                  ("scim.set_group_members", "scim.set_group_members:gR")]
    assert [r.code for r in linked.review_items if r.code == "teams.likely_rename"] == []
    # a map key naming no team never creates one (planner.rules.policy_refs): blocking, nothing made; no team's
    # name is close to FP&A, so it is a team gone (teams.map_team_missing), no typo
    new = renamed("  map: {FP&A: sigma-team-FP&A}\n")
    assert team_kinds(new) == []
    assert ("teams.map_team_missing", True) in review_codes(new)


def shared_org(shared: int, size: int = 24, extra: str = ""):
    """Team Finance (24 members m0..m23) and a new IdP group sigma-team-FP&A of ``size`` users, ``shared`` of
    them Finance's members (u0..), the others people of no team (n0..)."""
    members = [member(f"m{i}", f"m{i}@example.com") for i in range(24)]
    members += [member(f"n{i}", f"n{i}@example.com") for i in range(size - shared)]
    users = [user(f"u{i}", f"m{i}@example.com") for i in range(24)]
    users += [user(f"v{i}", f"n{i}@example.com") for i in range(size - shared)]
    group_users = [f"u{i}" for i in range(shared)] + [f"v{i}" for i in range(size - shared)]
    snap = snapshot(members, users, groups=[group("gR", "sigma-team-FP&A", group_users)],
                    teams=[team("tF", "Finance")], memberships={"tF": [f"m{i}" for i in range(24)]})
    return plan(snap, RENAMED_RULES + extra)


def rename_items(p):
    return [(r.id, r.blocking, r.message, tuple(c.fields() for c in r.candidates))
            for r in p.review_items if r.code in ("teams.likely_rename", "teams.possible_rename")]


CREATE_FPA = [("scim.create_group", "scim.create_group:gR"), ("scim.set_group_members", "scim.set_group_members:gR")]


def likely_message(shared: int, percent: int, size: int = 24) -> str:
    return (f"group 'sigma-team-FP&A' would become a new team 'FP&A' (teams.rules[1].regex), and {shared} of 24 "
            f"members of team 'Finance' ({shared * 100 // 24}%), which no IdP group maps to, are in it ({shared} of the "
            f"group's {size} member(s), {shared * 100 // size}%): at least teams.rename_percent ({percent}%) of both")


UNDECIDED = (", so the group was likely renamed after the team was made; a new team would leave 'Finance' unmanaged "
             "beside a second team of the same people: nothing is created for the group until the policy decides")


def test_a_group_sharing_19_of_24_members_with_an_unmanaged_team_is_a_likely_rename_not_a_second_team():
    """tester8 finding 7: 19 of 24 (79%) fell under the 80% cut-off and became scim.create_group, a second
    team with no hint, while 20 of 24 was seen as the same team. Now the threshold is teams.rename_percent
    (default 50) and both are the same blocking item, nothing created."""
    for shared in (19, 20):
        p = shared_org(shared)
        assert team_kinds(p) == []
        assert rename_items(p) == [("teams.likely_rename:gR", True, likely_message(shared, 50) + UNDECIDED, (
            {"teamId": "tF", "name": "Finance", "members": 24, "inGroup": shared,
             "sharedPercent": shared * 100 // 24},))]
        assert review_codes(p)[-1:] == [("teams.unmanaged", False)]
    # half of both is at the default threshold: blocking
    p = shared_org(12)
    assert (team_kinds(p), [(i[0], i[1]) for i in rename_items(p)]) == ([], [("teams.likely_rename:gR", True)])
    assert rename_items(p)[0][2] == likely_message(12, 50) + UNDECIDED


def test_a_strict_confirmation_creates_the_group_as_a_team_of_its_own_and_says_so():
    p = shared_org(19, extra="  confirm_new_teams: [sigma-team-FP&A]\n")
    assert team_kinds(p) == CREATE_FPA
    assert rename_items(p) == [("teams.likely_rename:gR", False, likely_message(19, 50) + (
        "; teams.confirm_new_teams names the group, so it is planned as a team of its own beside 'Finance'"), (
        {"teamId": "tF", "name": "Finance", "members": 24, "inGroup": 19, "sharedPercent": 79},))]
    (item,) = [r for r in p.review_items if r.code == "teams.likely_rename"]
    assert (item.rule, item.resolution) == ("teams.confirm_new_teams", "")
    # a confirmation naming no group is a typo: it confirms nothing
    typo = shared_org(19, extra="  confirm_new_teams: [sigma-team-FPA]\n")
    assert team_kinds(typo) == []
    assert [(r.id, r.blocking) for r in typo.review_items if r.blocking] == [
        ("policy.unknown_reference:teams.confirm_new_teams[0]", True), ("teams.likely_rename:gR", True)]
    (ref,) = [r for r in typo.review_items if r.code == "policy.unknown_reference"]
    assert ref.message.endswith("teams.confirm_new_teams[0] names IdP group 'sigma-team-FPA', which is not in the IdP "
                                "export (did you mean 'sigma-team-FP&A'?); the entry is ignored")
    # a map entry settles it the other way: team Finance follows the renamed group
    linked = shared_org(19, extra="  map: {Finance: sigma-team-FP&A}\n")
    assert team_kinds(linked) == [("scim.link_group", "scim.link_group:tF"),
                                  ("scim.set_group_members", "scim.set_group_members:gR")] + [
        ("teams.remove_member", f"teams.remove_member:tF:m{i}") for i in sorted(range(19, 24), key=str)]
    assert rename_items(linked) == []


def test_an_overlap_under_the_threshold_is_said_beside_the_create():
    """Under teams.rename_percent but at least half of it: the group is created, and the informational
    teams.possible_rename names the team, the overlap and the map entry; under half of it nothing is said."""
    p = shared_org(12, extra="  rename_percent: 60\n")  # 50% < 60%
    assert team_kinds(p) == CREATE_FPA
    assert rename_items(p) == [("teams.possible_rename:gR", False, (
        "group 'sigma-team-FP&A' would become a new team 'FP&A' (teams.rules[1].regex), and 12 of 24 members of "
        "team 'Finance' (50%), which no IdP group maps to, are in it (12 of the group's 24 member(s), 50%): less than "
        "teams.rename_percent (60%) of both, so it is planned as a team of its own; if the group is team 'Finance' "
        "renamed, map it"), ({"teamId": "tF", "name": "Finance", "members": 24, "inGroup": 12, "sharedPercent": 50},))]
    (item,) = [r for r in p.review_items if r.code == "teams.possible_rename"]
    assert yaml.safe_load(item.resolution) == {"teams": {"map": {"Finance": "sigma-team-FP&A"}}}
    assert [(i[0], i[1]) for i in rename_items(shared_org(19, extra="  rename_percent: 80\n"))] == [
        ("teams.possible_rename:gR", False)]  # the old cut-off, set in the policy: 79% is still said
    assert [(i[0], i[1]) for i in rename_items(shared_org(20, extra="  rename_percent: 80\n"))] == [
        ("teams.likely_rename:gR", True)]
    small = shared_org(5)  # 20% < 25%, half of 50%
    assert (team_kinds(small), rename_items(small)) == (CREATE_FPA, [])
    # the share is of both sides: 12 of the team's 24 in a group of 48 is 25% of the group, 50% of the team
    big = shared_org(12, size=48)
    assert [(i[0], i[1], i[3]) for i in rename_items(big)] == [("teams.possible_rename:gR", False, (
        {"teamId": "tF", "name": "Finance", "members": 24, "inGroup": 12, "sharedPercent": 25},))]


def test_a_small_overlap_is_no_rename():
    p = renamed(users=("ux",))  # 1 of 3: a different group
    assert team_kinds(p) == [("scim.create_group", "scim.create_group:gR"),
                             ("scim.set_group_members", "scim.set_group_members:gR")]
    assert [r.code for r in p.review_items if r.code == "teams.likely_rename"] == []


def test_an_unmanaged_team_names_the_group_no_rule_maps_that_holds_its_people():
    # the default exact rule no longer matches: team Finance (x, y, z) stays unmanaged, and the
    # informational item names the renamed group and the overlap, with the map entry that links them
    snap = snapshot([X, Y, Z], [UX, UY, UZ], groups=[group("gR", "Finance Team", ["ux", "uy", "uz"]),
                                                  group("gO", "Office", ["ux"])],
                    teams=[team("tF", "Finance"), team("tS", "Sales")], memberships={"tF": ["x", "y", "z"], "tS": ["y"]})
    p = plan(snap)
    assert team_kinds(p) == []
    (item,) = [r for r in p.review_items if r.code == "teams.unmanaged"]
    assert item.blocking is False
    assert item.message == (
        "2 team(s) no IdP group maps to become unmanaged: they keep their members and can then be changed only "
        "through the REST API; 1 of them share their people with an IdP group no rule maps (renamed after the team "
        "was made?)")
    assert tuple(c.fields() for c in item.candidates) == (
        {"teamId": "tF", "name": "Finance", "members": 3, "likelyGroup": "Finance Team", "inGroup": 3},
        {"teamId": "tS", "name": "Sales", "members": 1},  # y alone is in Finance Team with 2 others: no
    )
    assert yaml.safe_load(item.resolution) == {"teams": {"map": {"Finance": "Finance Team"}}}


# --------------------------------------------------------------------------- Entra ID: direct members only

def test_entra_never_pushes_nested_members_so_the_plan_adds_nobody_through_nesting():
    """Entra ID provisions only the direct members of an assigned group: with flatten_nested on (the
    default) the plan neither adds the people of nested groups to the team nor removes the team members
    it finds only there; teams.nested_only decides, as with flatten_nested off."""
    from dataclasses import replace

    snap = snapshot([X, Y, W], [UX, UY, UW, UZ],
                    groups=[group("gF", "Finance", ["ux"], groups=["gC"]), group("gC", "Contractors", ["uy"], groups=["gT"]),
                            group("gT", "Temps", ["uw", "uz"])],
                    teams=[team("tF", "Finance")], memberships={"tF": ["x", "y"]})
    entra = replace(snap, idp=replace(snap.idp, format="entra-csv"))
    p = plan(entra)
    members = by_id(p)["scim.set_group_members:gF"]
    assert wire(members.after) == {"members": ["x@example.com", "y@example.com"]}  # y kept: nested_only decides
    assert members.reason == (
        "team 'Finance' members = the 1 provisioned member(s) of group 'Finance' (direct members only); keeps "
        "y@example.com, in the group only through a nested group (teams.nested_only is review)")
    assert [a for a in by_id(p) if a.startswith("teams.remove_member")] == []  # y: teams.nested_only decides
    (kept,) = [r for r in p.review_items if r.code == "teams.nested_only"]
    assert (kept.blocking, tuple(c.fields() for c in kept.candidates)) == (
        True, ({"memberId": "y", "email": "y@example.com", "reachableOnlyThrough": "Contractors"},))
    (item,) = [r for r in p.review_items if r.code == "teams.nested_not_pushed"]
    assert (item.id, item.blocking, item.rule) == ("teams.nested_not_pushed:tF", True, "teams.nested_only")
    assert item.message == (
        "2 provisioned person(s) are in group 'Finance' only through nested group(s) 'Contractors > Temps': "
        "Entra ID provisions only direct members of an assigned group; assign 'Temps' or add these people "
        "directly (the plan does not add them to team 'Finance')")
    assert tuple(c.fields() for c in item.candidates) == (
        {"userName": "w@example.com", "memberId": "w", "reachableOnlyThrough": "Contractors > Temps"},
        {"userName": "z@example.com", "memberId": None, "reachableOnlyThrough": "Contractors > Temps"},
    )
    assert yaml.safe_load(item.resolution) == {"teams": {"nested_only": "keep"}}
    assert "# or:\n# teams:\n#   flatten_nested: false\n" in item.resolution
    settled = plan(entra, "teams:\n  nested_only: keep\n")
    assert [r.blocking for r in settled.review_items if r.code.startswith("teams.nested")] == [False, False]
    # y, a team member kept by nested_only: keep, stays in the list (left out, the push would remove y);
    # w, whom Entra never pushes and who is not in the team, is not added
    assert wire(by_id(settled)["scim.set_group_members:gF"].after) == {"members": ["x@example.com", "y@example.com"]}
    assert "teams.nested_not_pushed" not in review_codes(plan(entra, OFF))
    # Okta (or any IdP that expands nesting) with the same groups: flattened, no item
    okta = plan(snap)
    assert not {"teams.nested_not_pushed", "teams.nested_only"} & set(review_codes(okta))
    assert wire(by_id(okta)["scim.set_group_members:gF"].after) == {
        "members": ["w@example.com", "x@example.com", "y@example.com", "z@example.com"]}


ARCHIVED_RESOLUTION = ("# unarchive team 'Finance' (tF) in Sigma, export and plan again (the group then links it), or "
                       "map the group to another active team:\nteams:\n  map:\n    \"<another active team>\": Finance\n")


def archived_finance(extra: str = "", group_name: str = "Finance"):
    snap = snapshot([X, Y], [UX, UY], groups=[group("gF", group_name, ["ux", "uy"])],
                    teams=[team("tF", "Finance", archived=True), team("tS", "Sales")],
                    memberships={"tF": ["x"], "tS": ["y"]})
    return plan(snap, extra)


def test_a_group_named_as_an_archived_team_is_held_by_one_blocking_item():
    """tester6 finding 23: group Finance, whose team Finance is archived, got no action and no item; pushed, it
    finds the name taken (refused, or a second team). Now one blocking teams.archived_team item names group and
    team, and nothing is linked or created for the group (exact rule, and a regex rule that would create)."""
    for extra, group_name, rule in (
            ("teams:\n  mode: create\n", "Finance", "teams.rules[0].exact"),
            ("teams:\n  rules:\n    - {match: case_insensitive}\n", "finance", "teams.rules[0].case_insensitive"),
            ("teams:\n  mode: create\n  rules:\n    - {match: regex, pattern: '^sigma-(.+)$', replace: '\\1'}\n",
             "sigma-Finance", "teams.rules[0].regex")):
        p = archived_finance(extra, group_name)
        assert team_kinds(p) == [], rule
        items = [r for r in p.review_items if r.code.startswith("teams.") and r.code != "teams.unmanaged"]
        assert [(r.id, r.blocking, r.rule) for r in items] == [("teams.archived_team:gF", True, rule)]
        (item,) = items
        assert item.message == (
            f"group {group_name!r} maps to team 'Finance' (tF, {rule}), which is archived: pushed, the group would "
            "find the name taken (refused, or a second team beside the archived one); held, nothing is linked or "
            "created for it")
        assert (item.subject.team_id, item.subject.group_id, item.subject.group_display_name) == (
            "tF", "gF", group_name)
        assert item.resolution == ARCHIVED_RESOLUTION.replace(": Finance\n", f": {group_name}\n")


def test_a_map_entry_naming_an_archived_team_is_the_same_archived_team_item_not_a_missing_team():
    """tester7 finding 23 (nit): teams.map {Finance: Finance} with team Finance archived was a policy.unknown_reference
    saying the team 'is not in the Sigma export (active teams)'; it is there, archived, as the rules path says."""
    p = archived_finance("teams:\n  map:\n    Finance: Finance\n  rules: []\n")
    assert team_kinds(p) == []
    items = [r for r in p.review_items if r.code in ("teams.archived_team", "policy.unknown_reference")]
    assert [(r.id, r.blocking, r.rule) for r in items] == [("teams.archived_team:gF", True, "teams.map")]
    assert items[0].message == (
        "group 'Finance' maps to team 'Finance' (tF, teams.map), which is archived: pushed, the group would find the "
        "name taken (refused, or a second team beside the archived one); held, nothing is linked or created for it")
    assert items[0].resolution == ARCHIVED_RESOLUTION


def test_a_map_entry_to_an_active_team_settles_an_archived_teams_group():
    p = archived_finance("teams:\n  map:\n    Sales: Finance\n")
    assert "teams.archived_team" not in [c for c, _ in review_codes(p)]
    assert team_kinds(p) == [("scim.link_group", "scim.link_group:tS"),
                             ("scim.set_group_members", "scim.set_group_members:gF")]


# --------------------------------------------------------------------------- look-alike group names

CYRILLIC_FINANCE, FULLWIDTH_SALES = "F\u0456nance", "\uff33ales"  # U+0456 CYRILLIC і, U+FF33 FULLWIDTH Ｓ
LOOK_ALIKE_RESOLUTION = ("# rename group {group!r} in the IdP to {name!r} (or unassign it from the Sigma app), export "
                         "and plan again; never copy one spelling into the place of the other. A teams.map entry "
                         "naming the group links it instead, and the team then takes the group's name.\n")


def look_alike_groups(extra: str = "", groups=None):
    snap = snapshot([X, Y, Z], [UX, UY, UZ],
                    groups=groups or [group("gF", CYRILLIC_FINANCE, ["ux", "uy"]), group("gS", FULLWIDTH_SALES, ["uz"])],
                    teams=[team("tF", "Finance"), team("tS", "Sales")], memberships={"tF": ["x", "y"], "tS": ["z"]})
    return plan(snap, extra)


def test_a_group_that_only_looks_like_a_team_is_held_by_one_blocking_item_naming_both_with_code_points():
    """tester7 NEW-4: groups 'Fіnance' (Cyrillic і) and fullwidth 'Ｓales' beside teams Finance and Sales: the plan
    said the teams become unmanaged and teams.unmanaged proposed mapping them to the look-alikes. Now each group
    is a blocking teams.look_alike_group item naming group, team and the code points; nothing is linked or
    created (also under mode: create with a regex rule that would create the look-alike team)."""
    for extra, rule in (("", "teams.rules"),
                        ("teams:\n  mode: create\n  rules:\n    - {match: regex, pattern: '^(F.+|.ales)$', replace: '\\1'}\n",
                         "teams.rules[0].regex")):
        p = look_alike_groups(extra)
        assert team_kinds(p) == [], rule
        items = [r for r in p.review_items if r.code.startswith("teams.")]
        assert [(r.id, r.blocking, r.rule) for r in items] == [
            ("teams.look_alike_group:gF", True, rule), ("teams.look_alike_group:gS", True, rule),
            ("teams.unmanaged:teams", False, "teams.map")]
        finance, sales, unmanaged = items
        assert finance.message == (
            "group 'F\u0456nance' looks like team 'Finance' (tF) and differs: U+0456 CYRILLIC SMALL LETTER "
            "BYELORUSSIAN-UKRAINIAN I at position 2: two names to Sigma and the IdP, so no name rule links them, "
            "and pushed, the group would become a second team beside it; held, nothing is linked or created for it")
        assert sales.message == (
            "group '\uff33ales' looks like team 'Sales' (tS) and differs: U+FF33 FULLWIDTH LATIN CAPITAL LETTER S at "
            "position 1: two names to Sigma and the IdP, so no name rule links them, and pushed, the group would "
            "become a second team beside it; held, nothing is linked or created for it")
        assert finance.subject.fields() == {"teamId": "tF", "name": "Finance", "groupId": "gF",
                                            "groupDisplayName": CYRILLIC_FINANCE}
        assert finance.evidence.fields() == {
            "differences": ["U+0456 CYRILLIC SMALL LETTER BYELORUSSIAN-UKRAINIAN I at position 2"]}
        assert finance.resolution == LOOK_ALIKE_RESOLUTION.format(group=CYRILLIC_FINANCE, name="Finance")
        # the unmanaged teams' item no longer proposes mapping them to the look-alikes
        assert unmanaged.message == ("2 team(s) no IdP group maps to become unmanaged: they keep their members and "
                                     "can then be changed only through the REST API")
        assert unmanaged.resolution == ""


def test_a_look_alike_beside_the_real_group_is_held_the_real_one_links():
    p = look_alike_groups(groups=[group("gF", "Finance", ["ux", "uy"]), group("gX", CYRILLIC_FINANCE, ["uz"])])
    assert team_kinds(p) == [("scim.link_group", "scim.link_group:tF"),
                             ("scim.set_group_members", "scim.set_group_members:gF")]
    assert [(r.id, r.blocking) for r in p.review_items if r.code == "teams.look_alike_group"] == [
        ("teams.look_alike_group:gX", True)]


def test_a_group_that_only_looks_like_a_scope_name_is_held_and_the_scope_entry_says_they_differ():
    snap = snapshot([X], [UX, UY], groups=[group("gA", "Analysts", ["ux"]), group("gQ", "Qu\u0430nts", ["uy"])])
    p = plan(snap, "scope:\n  groups: [Analysts, Quants]\nteams:\n  mode: create\n  rules:\n"
                   "    - {match: regex, pattern: '^(Qu.+|Analysts)$', replace: '\\1'}\n")
    assert team_kinds(p) == [("scim.create_group", "scim.create_group:gA"),
                             ("scim.set_group_members", "scim.set_group_members:gA")]  # no team 'Quаnts'
    (held,) = [r for r in p.review_items if r.code == "teams.look_alike_group"]
    assert (held.id, held.blocking, held.rule) == ("teams.look_alike_group:gQ", True, "teams.rules[0].regex")
    assert held.message == (
        "group 'Qu\u0430nts' looks like 'Quants' of scope.groups and differs: U+0430 CYRILLIC SMALL LETTER A at "
        "position 3: two names to Sigma and the IdP, so the scope entry does not take the group in, and pushed, it "
        "would become a team of its own; held, nothing is linked or created for it")
    assert held.subject.fields() == {"name": "Quants", "groupId": "gQ", "groupDisplayName": "Qu\u0430nts"}
    exact = plan(snap, "scope:\n  groups: [Analysts, Quants]\n")  # no rule finds it a team: held by the scope name
    assert [(r.id, r.rule) for r in exact.review_items if r.code == "teams.look_alike_group"] == [
        ("teams.look_alike_group:gQ", "scope.groups")]
    (ref,) = [r for r in p.review_items if r.code == "policy.unknown_reference"]
    assert "('Qu\u0430nts' looks like 'Quants' and differs: U+0430 CYRILLIC SMALL LETTER A at position 3; never take" \
        in ref.message


def test_a_map_entry_naming_the_look_alike_group_is_the_policys_decision_and_links_it():
    p = look_alike_groups(f"teams:\n  map:\n    Finance: \"{CYRILLIC_FINANCE}\"\n")
    assert team_kinds(p) == [("scim.link_group", "scim.link_group:tF"),
                             ("scim.set_group_members", "scim.set_group_members:gF")]
    assert [(r.id, r.blocking) for r in p.review_items if r.code in ("teams.look_alike_group", "teams.renamed_by_idp")] == [
        ("teams.look_alike_group:gS", True), ("teams.renamed_by_idp:gF", False)]


def test_an_archived_team_is_not_counted_as_left_unmanaged():
    """tester11 nit: summary.teams.unmanaged counted the archived team beside the active one no group maps to (2),
    where show says one unmanaged team and 'archived team, no action'; the report's card reads the same rows."""
    snap = snapshot([X, Y], [UX, UY], groups=[], teams=[team("tF", "Finance", archived=True), team("tS", "Sales")],
                    memberships={"tF": ["x"], "tS": ["y"]})
    p = plan(snap)
    assert [(t.name, t.mode, t.is_archived) for t in p.teams] == [("Finance", "unmanaged", True),
                                                                  ("Sales", "unmanaged", False)]
    assert wire(p.summary)["teams"] == {"linked": 0, "created": 0, "unmanaged": 1, "member_additions": 0,
                                        "member_removals": 0}


def finance_admins(admins: tuple[str, ...], extra: str = ""):
    """Team Finance (x, y, z) with ``admins`` its team admins; group Finance holds x and y."""
    import dataclasses

    from planner.model import TeamMembership

    snap = snapshot([X, Y, Z], [UX, UY, UZ], groups=[group("gF", "Finance", ["ux", "uy"])],
                    teams=[team("tF", "Finance")])
    rows = tuple(TeamMembership(team_id="tF", member_id=m, is_team_admin=m in admins) for m in ("x", "y", "z"))
    return plan(dataclasses.replace(snap, sigma=dataclasses.replace(snap.sigma, team_memberships=rows)), extra)


def test_a_team_losing_its_last_team_admin_is_a_blocking_item_naming_them():
    # tester14a finding 8: z, Finance's only team admin, is not in IdP group Finance: the push removes them, and
    # SCIM has no team admin role to give it back; was: the removal, nothing else
    p = finance_admins(("z",))
    (item,) = [r for r in p.review_items if r.code == "teams.last_team_admin"]
    assert (item.id, item.blocking, item.rule) == ("teams.last_team_admin:tF", True, "teams.last_team_admin")
    assert wire(item.subject) == {"teamId": "tF", "name": "Finance", "groupId": "gF", "groupDisplayName": "Finance",
                                  "memberIds": ["z"]}
    assert item.message == (
        "team 'Finance' would lose its last team admin (z@example.com: teams.remove_member), as IdP group 'Finance' "
        "does not hold them: SCIM has no team admin role, so adding them to the group later makes them plain "
        "members and the team has no team admin; add them to the IdP group and export again, or confirm the team "
        "may lose them")
    assert yaml.safe_load(item.resolution.split("\n", 1)[1]) == {"teams": {"confirm_team_admin_removals": ["Finance"]}}
    assert wire(by_id(p)["teams.remove_member:tF:z"].before) == {"userId": "z", "isTeamAdmin": True}
    confirmed = finance_admins(("z",), "teams:\n  confirm_team_admin_removals: [Finance]\n")
    (item,) = [r for r in confirmed.review_items if r.code == "teams.last_team_admin"]
    assert (item.blocking, item.resolution) == (False, "")
    assert item.message.endswith("(teams.confirm_team_admin_removals names the group)")
    assert team_kinds(confirmed) == team_kinds(p)


def test_a_team_keeping_a_team_admin_or_removing_none_raises_nothing():
    for admins in (("x", "z"), ("x",), ()):
        p = finance_admins(admins)
        assert "teams.last_team_admin" not in [c for c, _ in review_codes(p)], admins
    # a confirmation no team needs is said, as every confirmation list's (policy.unused_entry)
    p = finance_admins(("x",), "teams:\n  confirm_team_admin_removals: [Finance]\n")
    (unused,) = [r for r in p.review_items if r.code == "policy.unused_entry"]
    assert (unused.id, unused.blocking) == ("policy.unused_entry:teams.confirm_team_admin_removals[0]", False)
    assert unused.message.endswith(
        "teams.confirm_team_admin_removals entry Finance settled nothing in this plan: it answers whether this IdP "
        "group's team may lose its last team admin, which this plan does not ask (no IdP group it names ('Finance') "
        "would make its team lose its last team admin); left, it records no person, so it would let the team lose "
        "any later team admin unreviewed: remove it")
