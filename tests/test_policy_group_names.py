"""A policy naming IdP groups or teams by name never acts on an ambiguous or dead name (tester14a findings 3, 5, 6).

- an exact displayName two IdP groups carry, in ``account_types.group_map``, ``scope.groups``, ``teams.confirm_*``,
  is one blocking ``policy.shared_group_name`` per entry naming both group ids and member counts, and holds the
  people of those groups (was: Admin through whichever ``Sigma-Admins`` came along, no item); a ``re:`` pattern
  names a set and is never shared; a ``teams.map`` value stays ``teams.conflict``'s;
- a ``teams.rules`` regex matching no group is ``policy.unknown_reference`` as a ``scope.groups`` typo is (was:
  silently dead);
- a group linking a team whose name an active twin has letter case aside is a blocking ``teams.ambiguous`` naming
  both teamIds, like two teams of exactly one name (was: linked with no item); an archived twin changes nothing.
"""

from __future__ import annotations

from planner.handoff import csv_files, handoff_pack
from planner.model import ActionKind

from .plan_factory import group, kinds, member, plan, review_codes, snapshot, team, user

OLIVIA = member("m1", "olivia@example.com", "Olivia", "Grant", member_type="Build")
OLIVIA_USER = user("u1", "olivia@example.com", first="Olivia", last="Grant")
NEW_USER = user("u2", "new@example.com", first="New", last="Person")

TYPE_POLICY = """
scope:
  groups: [Sigma-Admins, Sigma-Build]
account_types:
  group_map: {Sigma-Admins: Admin, Sigma-Build: Build}
  precedence: [Admin, Build]
"""


def two_admin_groups(extra: str = TYPE_POLICY):
    """The repro's shape: the real Sigma-Admins (root) and a copy of its name holding Olivia (Build in Sigma,
    in Sigma-Build too) and a new person."""
    snap = snapshot([OLIVIA], [OLIVIA_USER, NEW_USER],
                    groups=[group("g-admins", "Sigma-Admins", ["u-root"]), group("g-dup", "Sigma-Admins", ["u1", "u2"]),
                            group("g-build", "Sigma-Build", ["u1"])], account_types=["Admin", "Build", "View"])
    return plan(snap, extra)


def test_a_type_group_name_two_groups_carry_is_blocking_and_holds_their_people():
    p = two_admin_groups()
    assert review_codes(p) == [("policy.shared_group_name", True), ("policy.shared_group_name", True)]
    items = {r.id: r for r in p.review_items if r.code == "policy.shared_group_name"}
    assert sorted(items) == ["policy.shared_group_name:account_types.group_map.'Sigma-Admins'",
                             "policy.shared_group_name:scope.groups[0]"]
    item = items["policy.shared_group_name:account_types.group_map.'Sigma-Admins'"]
    assert item.subject.group_ids == ["g-admins", "g-dup"]
    assert item.subject.idp_ids == ["u-root", "u1", "u2"]
    assert [(c.group_id, c.group_display_name, c.members) for c in item.candidates] == [
        ("g-admins", "Sigma-Admins", 1), ("g-dup", "Sigma-Admins", 2)]
    assert item.rule == "account_types.group_map"
    assert item.message == (
        "policy.yaml:20:5: account_types.group_map.'Sigma-Admins' names IdP group 'Sigma-Admins', the displayName of "
        "2 IdP groups (g-admins, 1 member(s); g-dup, 2 member(s)): a policy names a group by its displayName alone, "
        "so the entry cannot say which one; the 3 people in them, whose account type it decides, are held: neither "
        "linked, created, given an account type nor deactivated until it is settled")
    assert item.resolution == (
        "# rename all but one of the IdP groups named 'Sigma-Admins' (g-admins, g-dup) in the IdP, export again and "
        "plan again; only if every group of that name is meant, write the entry at policy.yaml:20:5 as the pattern "
        "'re:Sigma\\\\-Admins', which names them all\n")
    assert items["policy.shared_group_name:scope.groups[0]"].subject.idp_ids == ["u-root", "u1", "u2"]
    # nobody typed, linked or created through the name while it is open: no Admin anywhere
    assert kinds(p) == []
    # their types stay as Sigma has them (a created one has none), and the several-type-groups line no longer says
    # Olivia gets Admin: the plan gives her no type
    assert {(row.idp_id, row.account_type_after, row.review_items) for row in p.people if row.idp_id} == {
        ("u-root", "Admin", tuple(items)), ("u1", "Build", tuple(items)), ("u2", None, tuple(items))}


def test_a_pattern_naming_both_groups_names_a_set_on_purpose():
    p = two_admin_groups(TYPE_POLICY.replace("Sigma-Admins: Admin", "'re:Sigma-Admins': Admin")
                         .replace("[Sigma-Admins, ", "['re:Sigma-Admins', "))
    assert "policy.shared_group_name" not in {r.code for r in p.review_items}
    assert [(a.id, a.after.user_type) for a in p.actions if a.kind is ActionKind.SCIM_SET_ACCOUNT_TYPE] == [
        ("scim.set_account_type:m1", "Admin")]


def test_a_confirmation_naming_a_shared_name_blocks_and_holds_nobody():
    snap = snapshot([OLIVIA], [OLIVIA_USER],
                    groups=[group("g-f1", "Finance", ["u1"]), group("g-f2", "Finance")], teams=[team("t1", "Sales")])
    p = plan(snap, "teams: {confirm_empty: [Finance], map: {Sales: Finance}}")
    (item,) = [r for r in p.review_items if r.code == "policy.shared_group_name"]
    assert (item.id, item.blocking, item.subject.group_ids, "idpIds" in item.subject.fields()) == (
        "policy.shared_group_name:teams.confirm_empty[0]", True, ["g-f1", "g-f2"], False)
    assert item.message.endswith("so the entry cannot say which one; the plan cannot say which group it confirms")
    # the teams.map value naming both is teams.conflict's, not a second shared-name item
    assert [(r.id, r.blocking) for r in p.review_items if r.code == "teams.conflict"] == [("teams.conflict:t1", True)]
    assert "scim.link_user:m1" in {a.id for a in p.actions}


def test_a_team_rule_pattern_matching_no_group_is_an_unknown_reference():
    snap = snapshot([OLIVIA], [OLIVIA_USER], groups=[group("g-f1", "sigma-team-Finance", ["u1"])])
    p = plan(snap, r"""
teams:
  mode: create
  rules: [{match: exact}, {match: regex, pattern: '^sigma_team-(.+)$', replace: '\1'},
          {match: regex, pattern: '^sigma-team-(.+)$', replace: '\1'}]
""")
    (item,) = [r for r in p.review_items if r.code == "policy.unknown_reference"]
    assert (item.id, item.blocking, item.rule) == ("policy.unknown_reference:teams.rules[1].pattern", True, "teams")
    assert (item.subject.kind, item.subject.name) == ("IdP group pattern", "^sigma_team-(.+)$")
    assert item.message == ("policy.yaml:19:14: teams.rules[1].pattern names IdP group pattern '^sigma_team-(.+)$', "
                            "which matches no group in the IdP export; the rule gives no group a team")
    assert ("scim.create_group", "scim.create_group:g-f1") in kinds(p)  # the rule that matches still works


FINANCE_TEAMS = [team("t1", "Finance"), team("t2", "finance")]


def finance_plan(teams, extra: str = ""):
    snap = snapshot([OLIVIA], [OLIVIA_USER], groups=[group("g-f", "Finance", ["u1"])], teams=teams,
                    memberships={"t1": ["m1"]})
    return plan(snap, extra)


def test_a_team_with_an_active_twin_of_another_letter_case_is_held():
    for extra in ("", "teams: {map: {Finance: Finance}}"):
        p = finance_plan(FINANCE_TEAMS, extra)
        (item,) = [r for r in p.review_items if r.code == "teams.ambiguous"]
        assert (item.id, item.blocking, item.subject.group_id) == ("teams.ambiguous:g-f", True, "g-f")
        assert [(c.team_id, c.name) for c in item.candidates] == [("t1", "Finance"), ("t2", "finance")]
        rule = "teams.map" if extra else "teams.rules[0].exact"
        assert item.message == (
            f"group 'Finance' would link team 'Finance' (t1) by {rule}, but active team(s) 'finance' (t2) have the "
            "same name letter case aside: the IdP finds the team by displayName, which SCIM compares ignoring case "
            "(RFC 7643 §8.7.1), so either could answer and have its members replaced; held, nothing is linked or "
            "created for the group")
        assert item.resolution.startswith("# no policy setting settles this: rename one of the teams in Sigma")
        assert kinds(p) == [("scim.link_user", "scim.link_user:m1"), ("scim.link_user", "scim.link_user:root")]


def test_an_archived_twin_or_none_links_as_before():
    for teams in ([team("t1", "Finance"), team("t2", "finance", archived=True)], [team("t1", "Finance")]):
        p = finance_plan(teams)
        assert "teams.ambiguous" not in {r.code for r in p.review_items}
        assert ("scim.link_group", "scim.link_group:t1") in kinds(p)


def test_a_draft_handoff_says_two_groups_carry_the_name_it_assigns():
    pack = handoff_pack(two_admin_groups(), "okta", draft=True)
    note = ("BLOCKED: 2 IdP groups carry this displayName (g-admins, g-dup; the plan's policy.shared_group_name item): "
            "rename all but one in the IdP, export and plan again before assigning it")
    (row,) = [g for g in pack.groups if g.group == "Sigma-Admins"]
    assert row.purpose == note + "; scope: its members are assigned to the Sigma app; account type Admin"
    (admin,) = [r for r in pack.account_types if r.account_type == "Admin"]
    assert admin.groups == f"Sigma-Admins ({note})"
    assert {r.idp_id: r.plan.split(":")[0] for r in pack.not_provisioned} == {"u-root": "held", "u1": "held",
                                                                               "u2": "held"}
    assert note in csv_files(pack)["groups.csv"]


def test_the_several_type_groups_line_of_a_held_person_goes_with_the_hold():
    kim = member("m3", "kim@example.com", "Kim", "Lee", member_type="View")
    snap = snapshot([OLIVIA, kim], [OLIVIA_USER, user("u3", "kim@example.com", first="Kim", last="Lee")],
                    groups=[group("g-admins", "Sigma-Admins", ["u-root"]), group("g-dup", "Sigma-Admins", ["u1"]),
                            group("g-build", "Sigma-Build", ["u1", "u3"]), group("g-view", "Sigma-Viewers", ["u3"])],
                    account_types=["Admin", "Build", "View"])
    p = plan(snap, """
account_types:
  group_map: {Sigma-Admins: Admin, Sigma-Build: Build, Sigma-Viewers: View}
  precedence: [Admin, Build, View]
""")
    (item,) = [r for r in p.review_items if r.code == "account_types.several_type_groups"]
    assert [(c.idp_id, c.account_types) for c in item.candidates] == [("u3", ["Build"])]
    assert item.message.startswith("1 person(s) are in groups of different account types; ")
    assert [a.id for a in p.actions if a.kind is ActionKind.SCIM_SET_ACCOUNT_TYPE] == ["scim.set_account_type:m3"]
