"""Guards: protected people, last admin, document owner, thresholds, the IdP export's size."""

from __future__ import annotations

import pytest
import yaml
from msgspec import to_builtins as wire

from .plan_factory import BASE_POLICY, by_id, group, kinds, member, plan, snapshot, user


def guard(p, name):
    (result,) = [g for g in wire(p.summary)["guards"] if g["name"] == name]
    return result


def blocking_codes(p):
    return sorted(r.code for r in p.review_items if r.blocking)


def failed_item(p, name, detail):
    """The one blocking ``guards.<name>`` item of ``p``, after checking that guard ``name`` failed with ``detail``
    and that the item says it."""
    assert guard(p, name) == {"name": name, "ok": False, "detail": detail}
    (item,) = [r for r in p.review_items if r.code == f"guards.{name}"]
    assert (item.id, item.blocking, item.message) == (f"guards.{name}:plan", True, detail)
    return item


def people(n, prefix="p", member_type="View"):
    return [member(f"{prefix}{i}", f"{prefix}{i}@example.com", member_type=member_type) for i in range(n)]


def test_all_guards_pass_on_a_quiet_plan():
    p = plan(snapshot())
    assert [(g["name"], g["ok"]) for g in wire(p.summary)["guards"]] == [
        ("scim_setup_admin", True), ("api_credential_owner", True), ("scheduler_robot", True),
        ("last_admin", True), ("document_owner", True), ("threshold.deactivations", True),
        ("threshold.guest_disables", True), ("threshold.team_member_removals", True),
        ("threshold.downgrades", True), ("threshold.team_growth", True), ("threshold.team_shrink", True),
        ("threshold.upgrades", True), ("threshold.creates", True), ("idp_export", True),
    ]


def test_forty_percent_deactivations_over_a_twenty_percent_threshold_is_blocked_with_counts():
    # 10 active people: root + 5 in the IdP + 4 leavers = 40% deactivated
    members = people(5) + people(4, "leaver")
    users = [user(f"u{i}", f"p{i}@example.com") for i in range(5)]
    p = plan(snapshot(members, users),
             "unmatched:\n  action: deactivate\nguards:\n  thresholds:\n    deactivations: {percent: 20}\n")
    result = guard(p, "threshold.deactivations")
    assert result == {"name": "threshold.deactivations", "ok": False,
                      "detail": "deactivations: 4 of 10 active Sigma people (40.0%) is more than 20% "
                                "(guards.thresholds.deactivations)"}
    (item,) = [r for r in p.review_items if r.code == "guards.threshold.deactivations"]
    assert item.blocking is True
    assert item.message == result["detail"]
    assert yaml.safe_load(item.resolution) == {"guards": {"thresholds": {"deactivations": {"percent": 40.0}}}}
    assert wire(p.summary)["actions"]["members.deactivate"] == 4  # the plan still shows what it would do


def test_count_threshold():
    members = people(2, "leaver")
    p = plan(snapshot(members, []),
             "unmatched:\n  action: deactivate\nguards:\n  thresholds:\n    deactivations: {count: 1}\n")
    assert guard(p, "threshold.deactivations")["detail"].endswith("is more than 1 (guards.thresholds.deactivations)")


def test_team_removal_and_downgrade_thresholds():
    from .plan_factory import team

    members = people(3, member_type="Build")
    users = [user(f"u{i}", f"p{i}@example.com") for i in range(3)]
    snap = snapshot(members, users, groups=[group("gF", "Finance", ["u0"]), group("gV", "Sigma-Viewers", ["u1", "u2"])],
                    teams=[team("tF", "Finance")], memberships={"tF": ["p0", "p1", "p2"]})
    extra = ("account_types:\n  group_map: {Sigma-Viewers: View}\n  on_downgrade: allow\n"
             "guards:\n  thresholds:\n    team_member_removals: {percent: 50}\n    downgrades: {count: 1}\n")
    p = plan(snap, extra)
    assert not guard(p, "threshold.team_member_removals")["ok"]
    assert guard(p, "threshold.team_member_removals")["detail"].startswith(
        "team_member_removals: 2 of 3 team memberships (66.7%)")
    assert guard(p, "threshold.downgrades")["detail"].startswith("downgrades: 2 of 4 active Sigma people (50.0%)")


def growing_team(before: int, group_size: int, extra: str = ""):
    """Team Finance of ``before`` members, linked to group Finance of ``group_size`` users (the first ``before`` of
    them its members): the push adds ``group_size - before``."""
    from .plan_factory import team

    members = people(group_size)
    users = [user(f"u{i}", f"p{i}@example.com") for i in range(group_size)]
    snap = snapshot(members, users, groups=[group("gF", "Finance", [f"u{i}" for i in range(group_size)])],
                    teams=[team("tF", "Finance")], memberships={"tF": [f"p{i}" for i in range(before)]})
    return plan(snap, extra)


TEAM_GROWTH_PASSES = {"name": "threshold.team_growth", "ok": True,
                      "detail": "team_growth: no linked team gains more than 10 members and more than 100% of the "
                                "team's members"}


def test_a_team_that_more_than_doubles_by_more_than_ten_members_blocks_the_plan():
    """tester20 finding 2: an IdP group that suddenly holds everyone took a private team from 5 to 153 members with
    0 blocking items; now a linked team gaining more than 10 members and more than 100% of its members blocks."""
    p = growing_team(5, 20)
    detail = ("team_growth: 1 linked team(s) gain more than 10 members and more than 100% of the team's members "
              "(guards.thresholds.team_growth): 'Finance' (group 'Finance') 5 -> 20 (+15): does the IdP group now "
              "hold far more people than it should (a group rule gone wrong, another group's members saved as its "
              "answer)?")
    item = failed_item(p, "threshold.team_growth", detail)
    assert yaml.safe_load(item.resolution) == {"guards": {"thresholds": {"team_growth": {"count": 15}}}}
    # its snippet settles it; the push itself was planned all along
    settled = growing_team(5, 20, "guards:\n  thresholds:\n    team_growth: {count: 15}\n")
    assert guard(settled, "threshold.team_growth")["ok"] is True
    assert "guards.threshold.team_growth" not in blocking_codes(settled)


@pytest.mark.parametrize("before, group_size", [(5, 8), (30, 42), (0, 0)])
def test_ordinary_team_growth_passes(before, group_size):
    """Three people onboarded into a team of five (more than 100%, not more than 10), twelve into a team of thirty
    (more than 10, 40%): no item."""
    assert guard(growing_team(before, group_size), "threshold.team_growth") == TEAM_GROWTH_PASSES


def test_team_growth_null_turns_the_check_off():
    p = growing_team(5, 20, "guards:\n  thresholds:\n    team_growth: null\n")
    assert guard(p, "threshold.team_growth") == {"name": "threshold.team_growth", "ok": True,
                                                 "detail": "team_growth: no limit"}


def shrinking_teams(sizes: dict[str, tuple[int, int]], extra: str = ""):
    """For each ``name: (before, group_size)``, team ``name`` of ``before`` members linked to group ``name`` holding
    the first ``group_size`` of them: the push removes ``before - group_size``. Everyone stays in the IdP and in
    scope (group Everyone), so nothing else is planned for them."""
    from .plan_factory import team

    total = sum(before for before, _ in sizes.values())
    members = people(total)
    users = [user(f"u{i}", f"p{i}@example.com") for i in range(total)]
    groups, teams, memberships, start = [group("gAll", "Everyone", [f"u{i}" for i in range(total)])], [], {}, 0
    for name, (before, group_size) in sizes.items():
        groups.append(group(f"g{name}", name, [f"u{i}" for i in range(start, start + group_size)]))
        teams.append(team(f"t{name}", name))
        memberships[f"t{name}"] = [f"p{i}" for i in range(start, start + before)]
        start += before
    return plan(snapshot(members, users, groups=groups, teams=teams, memberships=memberships),
                "teams:\n  rules: [{match: exact}]\n" + extra)


def removals(p) -> int:
    return sum(a.kind.value == "teams.remove_member" for a in p.actions)


TEAM_SHRINK_QUESTION = ("is the IdP group's members answer whole (not the first page of a listing asked with a small "
                        "limit, nor cut by a group rule gone wrong), or do these people really leave the team?")
TEAM_SHRINK_PASSES = {"name": "threshold.team_shrink", "ok": True,
                      "detail": "team_shrink: no linked team loses more than 5 members and more than 25% of the "
                                "team's members"}


def test_a_team_losing_more_than_five_members_and_a_quarter_blocks_naming_each_team_largest_loss_first():
    """tester21 finding 6: group Finance's answer saved as its first page took team Finance from 17 to 10 with 0
    blocking items, under the org-wide team_member_removals; a team losing 8 of 19, and one losing 6 of 12, block."""
    p = shrinking_teams({"Finance": (19, 11), "Sales": (12, 6), "Ops": (40, 32)})
    detail = ("team_shrink: 2 linked team(s) lose more than 5 members and more than 25% of the team's members "
              "(guards.thresholds.team_shrink): 'Finance' (group 'Finance') 19 -> 11 (-8, 42.1%); 'Sales' (group "
              f"'Sales') 12 -> 6 (-6, 50.0%): {TEAM_SHRINK_QUESTION}")
    item = failed_item(p, "threshold.team_shrink", detail)
    assert blocking_codes(p) == ["guards.threshold.team_shrink"]
    assert yaml.safe_load(item.resolution) == {"guards": {"thresholds": {"team_shrink": {"count": 8}}}}
    assert item.resolution.endswith("# or:\n# guards:\n#   thresholds:\n#     team_shrink: null\n")
    assert removals(p) == 8 + 6 + 8  # the plan still shows what it would do
    settled = shrinking_teams({"Finance": (19, 11), "Sales": (12, 6), "Ops": (40, 32)},
                              "guards:\n  thresholds:\n    team_member_removals: null\n    team_shrink: {count: 8}\n")
    assert guard(settled, "threshold.team_shrink")["ok"] is True and blocking_codes(settled) == []


def test_six_teams_over_the_bound_name_five_and_count_the_rest():
    p = shrinking_teams({f"T{n}": (10 + n, 3) for n in range(6)})
    shown = "; ".join(f"'T{n}' (group 'T{n}') {10 + n} -> 3 (-{7 + n}, {100 * (7 + n) / (10 + n):.1f}%)"
                      for n in range(5, 0, -1))
    failed_item(p, "threshold.team_shrink",
                "team_shrink: 6 linked team(s) lose more than 5 members and more than 25% of the team's members "
                f"(guards.thresholds.team_shrink): {shown}; and 1 more: {TEAM_SHRINK_QUESTION}")


@pytest.mark.parametrize("before, group_size", [(19, 17), (8, 4), (40, 32), (24, 18)])
def test_ordinary_team_losses_pass(before, group_size):
    """2 of 19 (tester21 finding 6's normal case), 4 of 8 (not more than 5), 8 of 40 (20%), 6 of 24 (25%, not more):
    no item."""
    assert guard(shrinking_teams({"Finance": (before, group_size)}), "threshold.team_shrink") == TEAM_SHRINK_PASSES


def test_a_team_an_empty_group_empties_is_asked_by_teams_empty_group_alone():
    """Group Finance with no member at all empties its team of 10: teams.empty_group asks (blocking), not this guard,
    and teams.confirm_empty settles it alone."""
    p = shrinking_teams({"Finance": (10, 0)})
    assert guard(p, "threshold.team_shrink") == TEAM_SHRINK_PASSES
    assert blocking_codes(p) == ["teams.empty_group"]
    confirmed = shrinking_teams({"Finance": (10, 0)}, "  confirm_empty: [Finance]\n")
    assert blocking_codes(confirmed) == [] and removals(confirmed) == 10


def test_team_shrink_null_turns_the_check_off():
    p = shrinking_teams({"Finance": (19, 11)}, "guards:\n  thresholds:\n    team_shrink: null\n")
    assert guard(p, "threshold.team_shrink") == {"name": "threshold.team_shrink", "ok": True,
                                                 "detail": "team_shrink: no limit"}


GROUP_QUESTION = ("does the IdP group now hold far more people than it should (a group rule gone wrong, another "
                  "group's members saved as its answer)?")


def upgrading(size: int, upgraded: int, extra: str = ""):
    """``size`` active linked members: root (the protected admin) and ``size - 1`` View members linked to their IdP
    users, the first ``upgraded`` of them in group Sigma-Build, which ``account_types.group_map`` maps to Build:
    ``upgraded`` upgrades."""
    members = people(size - 1)
    users = [user(f"u{i}", f"p{i}@example.com") for i in range(size - 1)]
    snap = snapshot(members, users, groups=[group("gB", "Sigma-Build", [f"u{i}" for i in range(upgraded)])],
                    account_types=["Admin", "Build", "View"])
    return plan(snap, "account_types:\n  group_map: {Sigma-Build: Build}\n" + extra)


def test_upgrades_past_ten_and_ten_percent_of_the_linked_members_block_the_plan():
    """tester20 finding 2: Sigma-Build's answer replaced by every active user's upgraded 104 of 125 linked members
    with 0 blocking items, while a 10% downgrade blocks; now more than 10 upgrades AND more than 10% of the active
    linked members block, naming the transitions and the groups giving the type."""
    p = upgrading(20, 12)
    detail = ("upgrades: 12 of 20 active linked members (60.0%) move to a higher account type: more than 10 and more "
              "than 10% (guards.thresholds.upgrades): View -> Build (12); given by group 'Sigma-Build' (12): "
              + GROUP_QUESTION)
    assert failed_item(p, "threshold.upgrades", detail).resolution == (
        "# only if these people really move to a dearer account type:\n"
        "guards:\n  thresholds:\n    upgrades:\n      count: 12\n"
        "# or:\n# guards:\n#   thresholds:\n#     upgrades: null\n")
    assert len([a for a in p.actions if a.kind.value == "scim.set_account_type"]) == 12  # planned all along
    for settle in ("guards:\n  thresholds:\n    upgrades: {count: 12}\n",
                   "guards:\n  thresholds:\n    upgrades: null\n"):
        settled = upgrading(20, 12, settle)
        assert guard(settled, "threshold.upgrades")["ok"] is True
        assert "guards.threshold.upgrades" not in blocking_codes(settled)
    assert guard(upgrading(20, 12, "guards:\n  thresholds:\n    upgrades: null\n"), "threshold.upgrades") == {
        "name": "threshold.upgrades", "ok": True,
        "detail": "upgrades: 12 of 20 active linked members (60.0%) move to a higher account type; no limit"}


def test_upgrades_no_group_gives_are_named_by_their_source():
    """Upgrades of account_types.overrides entries: no IdP group to ask about, so the item names the key."""
    overrides = "".join(f"    p{i}@example.com: Build\n" for i in range(12))
    p = upgrading(20, 0, f"  overrides:\n{overrides}")
    assert guard(p, "threshold.upgrades")["detail"] == (
        "upgrades: 12 of 20 active linked members (60.0%) move to a higher account type: more than 10 and more than "
        "10% (guards.thresholds.upgrades): View -> Build (12); by account_types.overrides (12): is each of these "
        "dearer seats intended?")


@pytest.mark.parametrize("size, upgraded", [(100, 3), (20, 10), (200, 20)])
def test_ordinary_upgrades_pass(size, upgraded):
    """Three upgrades in an organization of 100 (neither limit passed), ten of twenty (not more than 10), twenty of
    two hundred (10%, not more): no item."""
    share = f"{100 * upgraded / size:.1f}"
    assert guard(upgrading(size, upgraded), "threshold.upgrades") == {
        "name": "threshold.upgrades", "ok": True,
        "detail": f"upgrades: {upgraded} of {size} active linked members ({share}%) move to a higher account type; "
                  "blocks past 10 and 10%"}
    assert "guards.threshold.upgrades" not in blocking_codes(upgrading(size, upgraded))


def creating(size: int, new: int, extra: str = ""):
    """``size`` members linked to their IdP users, and ``new`` IdP users no member matches: ``new`` creates for
    ``size + 1`` active Sigma people (root, the protected admin, is one); every user is in group Everyone."""
    users = [user(f"u{i}", f"p{i}@example.com") for i in range(size)]
    users += [user(f"n{i}", f"new{i}@example.com") for i in range(new)]
    snap = snapshot(people(size), users, groups=[group("gE", "Everyone", [u.id for u in users])])
    return plan(snap, extra)


def test_creates_past_fifty_that_more_than_double_the_organization_block_the_plan():
    """The default creates guard: more than 50 accounts created AND more than the active Sigma people (the
    organization more than doubles: a scope slip), naming the scope groups that bring them in."""
    p = creating(10, 60, "scope:\n  groups: [Everyone]\n")
    detail = ("creates: 60 for 11 active Sigma people (545.5%): more than 50 and more than 100% "
              "(guards.thresholds.creates): in scope through group 'Everyone' (60): does a scope group hold far more "
              "people than use Sigma (an all-staff group named by mistake, a group rule gone wrong, another group's "
              "members saved as its answer)?")
    assert failed_item(p, "threshold.creates", detail).resolution == (
        "# only if this many accounts are really to be created:\n"
        "guards:\n  thresholds:\n    creates:\n      count: 60\n"
        "# or:\n# guards:\n#   thresholds:\n#     creates: null\n")
    settled = creating(10, 60, "scope:\n  groups: [Everyone]\nguards:\n  thresholds:\n    creates: {count: 60}\n")
    assert guard(settled, "threshold.creates")["ok"] is True
    assert "guards.threshold.creates" not in blocking_codes(settled)
    # no scope.groups: every active IdP user is in scope, which the item says
    assert guard(creating(10, 60), "threshold.creates")["detail"] == (
        "creates: 60 for 11 active Sigma people (545.5%): more than 50 and more than 100% (guards.thresholds.creates): "
        "scope.groups names no group, so every active IdP user is in scope: should scope.groups name the groups of "
        "the people who use Sigma?")


def test_a_first_migrations_creates_pass_by_default_and_a_tighter_limit_blocks_them():
    """13 creates for 140 active people (the sample's first migration, 9.3%) pass the default; the key, once set
    tighter, blocks them (guards.thresholds.creates exists for the admin who wants it)."""
    p = creating(139, 13)
    assert guard(p, "threshold.creates") == {
        "name": "threshold.creates", "ok": True,
        "detail": "creates: 13 for 140 active Sigma people (9.3%); blocks past 50 and 100%"}
    tight = creating(139, 13, "guards:\n  thresholds:\n    creates: {count: 10, percent: 5}\n")
    assert guard(tight, "threshold.creates") == {
        "name": "threshold.creates", "ok": False,
        "detail": "creates: 13 for 140 active Sigma people (9.3%): more than 10 and more than 5% "
                  "(guards.thresholds.creates): scope.groups names no group, so every active IdP user is in scope: "
                  "should scope.groups name the groups of the people who use Sigma?"}
    assert "guards.threshold.creates" in blocking_codes(tight)
    assert guard(creating(139, 13, "guards:\n  thresholds:\n    creates: null\n"), "threshold.creates") == {
        "name": "threshold.creates", "ok": True, "detail": "creates: 13 for 140 active Sigma people (9.3%); no limit"}


def test_protected_admin_keeps_admin_and_the_idp_must_change_too():
    # the policy maps marcus (the API credential owner) to Build: the plan never contains that
    # downgrade (the credentials would stop working); it keeps Admin and says the IdP must assign it
    snap = snapshot([member("mw", "marcus@example.com", member_type="Admin")], [user("u1", "marcus@example.com")],
                    groups=[group("g1", "Sigma-Build", ["u1"])], account_types=["Admin", "Build", "View"])
    extra = ("organization:\n  api_credential_owner: marcus@example.com\n"
             "account_types:\n  group_map: {Sigma-Admins: Admin, Sigma-Build: Build}\n"
             "  acknowledged_downgrades: [marcus@example.com]\n")
    p = plan(snap, extra)
    assert kinds(p) == [("scim.link_user", "scim.link_user:mw"), ("scim.link_user", "scim.link_user:root")]
    assert wire(by_id(p)["scim.link_user:mw"].after)["userType"] == "Admin"
    assert guard(p, "api_credential_owner") == {
        "name": "api_credential_owner", "ok": True, "detail": "marcus@example.com stays active with account type Admin"}
    assert [(r.id, r.blocking) for r in p.review_items] == [("account_types.protected_account:mw", True)]
    (item,) = p.review_items
    assert item.subject.fields() == {"memberId": "mw", "email": "marcus@example.com"}
    assert item.message == (
        "marcus@example.com is organization.api_credential_owner (apply's API credentials belong to them): the plan "
        "keeps account type 'Admin' instead of 'Build' (group Sigma-Build); the IdP would still send 'Build' at its "
        "next push and Sigma would apply it, so the IdP must change too: add them to group 'Sigma-Admins' or assign "
        "'Admin' to them in the IdP app"
    )
    assert wire(item.evidence) == {"role": "organization.api_credential_owner", "accountType": "Admin",
                             "policyAccountType": "Build", "source": "group_map", "groups": ["Sigma-Build"]}
    assert item.resolution.startswith("# once the IdP app assigns them Admin")
    assert yaml.safe_load(item.resolution) == {"account_types": {"overrides": {"marcus@example.com": "Admin"}}}
    (_, credential_owner) = p.outcomes.owners
    assert (credential_owner.role, credential_owner.member_id, credential_owner.email,
            credential_owner.account_type_after, credential_owner.lockout, credential_owner.ok) == (
        "api_credential_owner", "mw", "marcus@example.com", "Admin", None, True)
    settled = plan(snap, extra + "  overrides: {marcus@example.com: Admin}\n")
    # the downgrade it acknowledged is no longer planned: the entry settles nothing (planner.rules.policy_entries)
    assert [(r.id, r.blocking) for r in settled.review_items] == [
        ("policy.unused_entry:account_types.acknowledged_downgrades[0]", False)]
    cleaned = plan(snap, extra.replace("  acknowledged_downgrades: [marcus@example.com]\n", "")
                   + "  overrides: {marcus@example.com: Admin}\n")
    assert cleaned.review_items == ()
    assert guard(settled, "api_credential_owner")["ok"] is True


def test_protected_admin_is_kept_even_against_an_override_and_allowed_downgrades():
    snap = snapshot([], [], account_types=["Admin", "View"])
    p = plan(snap, "account_types:\n  on_downgrade: allow\n  overrides: {root@example.com: View}\n")
    assert kinds(p) == [("scim.link_user", "scim.link_user:root")]
    assert wire(by_id(p)["scim.link_user:root"].after)["userType"] == "Admin"
    assert [r.id for r in p.review_items] == ["account_types.protected_account:root"]
    assert "instead of 'View' (account_types.overrides)" in p.review_items[0].message
    assert "so the IdP must change too: assign 'Admin' to them in the IdP app" in p.review_items[0].message


def test_protected_people_must_be_named_and_exist():
    base = BASE_POLICY.replace("  scim_setup_admin: root@example.com\n", "")
    p = plan(snapshot(), "organization:\n  api_credential_owner: ghost@example.com\n", base=base)
    # the guard fails, and the name given is a policy.unknown_reference pointing at the entry
    assert blocking_codes(p) == ["guards.api_credential_owner", "guards.scim_setup_admin", "policy.unknown_reference"]
    assert guard(p, "scim_setup_admin")["detail"] == (
        "organization.scim_setup_admin is not set, so the plan cannot protect them (the SCIM token belongs to them)")
    assert guard(p, "api_credential_owner")["detail"] == (
        "organization.api_credential_owner 'ghost@example.com' is not a member in the Sigma export")


CREDENTIAL_OWNER = "organization:\n  api_credential_owner: marcus@example.com\n"
MARCUS = member("mw", "marcus@example.com", member_type="Admin")
WAY_OUT = ("apply's API credentials belong to them; the plan deactivates and downgrades nothing of theirs and holds "
           "until they are active in the IdP and assigned to the Sigma app (in scope.groups), and the IdP is "
           "exported again, or organization.api_credential_owner names another admin who is an active, in-scope "
           "IdP user, once you make apply's API credentials again as them (docs/sigma-api.md §1.2)")


def credential_owner_item(p, note="make them active and assigned to the Sigma app in the IdP, export the IdP again "
                                     "and re-plan"):
    """The plan's only items: the guard's, about marcus; its message."""
    assert [(r.id, r.blocking) for r in p.review_items] == [("guards.api_credential_owner:mw", True)]
    (item,) = p.review_items
    assert item.subject.fields() == {"memberId": "mw", "email": "marcus@example.com"}
    assert guard(p, "api_credential_owner") == {"name": "api_credential_owner", "ok": False, "detail": item.message}
    assert yaml.safe_load(item.resolution) == {"organization": {"api_credential_owner": "someone@example.com"}}
    assert item.resolution.startswith(f"# {note}")
    assert item.resolution.endswith("; or name another admin who is an active, in-scope IdP user, once you make "
                                    "apply's API credentials again as them (docs/sigma-api.md §1.2):\n"
                                    "organization:\n  api_credential_owner: someone@example.com\n")
    return item.message


def test_deactivating_a_protected_person_is_refused_even_when_the_idp_says_so():
    # tester8 finding 16: the guard used to pass here, a credential owner the IdP deactivated kept in silence
    root = member("root", "root@example.com", member_type="Admin")
    snap = snapshot([root], [user("u-root", "root@example.com", active=False)], with_root=False)
    p = plan(snap, "unmatched:\n  idp_inactive: deactivate\n")
    assert kinds(p) == []
    assert guard(p, "scim_setup_admin")["ok"] is False
    assert [r.id for r in p.review_items] == ["guards.api_credential_owner:root", "guards.idp_export:plan",
                                              "guards.scim_setup_admin:root"]  # the export has no active user
    assert p.review_items[2].message.startswith(
        "scim_setup_admin root@example.com: IdP user u-root (root@example.com) is DEPROVISIONED (deactivated) in the "
        "IdP export, so once SCIM is on the IdP deactivates or never provisions them and they cannot sign in through "
        "it; the SCIM token belongs to them; the plan deactivates")


@pytest.mark.parametrize("unmatched", ["keep", "deactivate", "review"])
@pytest.mark.parametrize("status, words", [
    ("DEPROVISIONED", "is DEPROVISIONED (deactivated)"), ("SUSPENDED", "is SUSPENDED"),
    ("STAGED", "is STAGED (never activated)")])
def test_a_credential_owner_inactive_in_the_idp_is_one_blocking_item_and_no_action(unmatched, status, words):
    snap = snapshot([MARCUS], [user("u1", "marcus@example.com", active=False, status=status)],
                    groups=[group("g-admins", "Sigma-Admins", ["u-root", "u1"])])
    p = plan(snap, CREDENTIAL_OWNER + f"unmatched:\n  action: {unmatched}\n  idp_inactive: {unmatched}\n")
    assert kinds(p) == [("scim.link_user", "scim.link_user:root")]
    assert credential_owner_item(p) == (
        f"api_credential_owner marcus@example.com: IdP user u1 (marcus@example.com) {words} in the IdP export, so once "
        f"SCIM is on the IdP deactivates or never provisions them and they cannot sign in through it; {WAY_OUT}")
    (row,) = [o for o in p.outcomes.owners if o.role == "api_credential_owner"]
    assert (row.member_id, row.ok) == ("mw", False)


def test_a_credential_owner_missing_from_the_idp_or_outside_its_scope_is_one_blocking_item():
    missing = plan(snapshot([MARCUS], []), CREDENTIAL_OWNER + "unmatched:\n  action: deactivate\n")
    assert kinds(missing) == [("scim.link_user", "scim.link_user:root")]
    assert credential_owner_item(missing, "link them to their IdP user (linking.overrides)") == (
        "api_credential_owner marcus@example.com: no IdP user in the IdP export matches them, so once SCIM is on "
        "they cannot sign in through the IdP (SAML only); apply's API credentials belong to them; the plan deactivates "
        "and downgrades nothing of theirs and holds until they are linked to an active in-scope IdP user "
        "(linking.overrides when the addresses differ) or given one, and the IdP is exported again, or "
        "organization.api_credential_owner names another admin who is an active, in-scope IdP user, once you make "
        "apply's API credentials again as them (docs/sigma-api.md §1.2)")
    snap = snapshot([MARCUS], [user("u1", "marcus@example.com")], groups=[group("g1", "Contractors", ["u1"])])
    outside = plan(snap, CREDENTIAL_OWNER + "scope:\n  groups: [Sigma-Admins]\nunmatched:\n  action: deactivate\n")
    assert kinds(outside) == [("scim.link_user", "scim.link_user:root")]
    assert credential_owner_item(outside) == (
        "api_credential_owner marcus@example.com: IdP user u1 (marcus@example.com) is outside scope.groups in the IdP "
        "export, so once SCIM is on the IdP deactivates or never provisions them and they cannot sign in through it; "
        f"{WAY_OUT}")


def test_a_credential_owner_the_idp_provisioned_and_now_deactivated_is_held_not_deactivated_through_scim():
    from .test_rules_scim_state import provisioned, with_scim

    snap = with_scim(snapshot([MARCUS], [user("u1", "marcus@example.com", active=False)]),
                     [provisioned("mw", "marcus@example.com", "u1", "Admin")])
    p = plan(snap, CREDENTIAL_OWNER + "unmatched:\n  idp_inactive: deactivate\npreflight:\n  previous_scim: same_setup\n")
    assert kinds(p) == []  # neither members.deactivate nor scim.deactivate_user
    assert credential_owner_item(p) == (
        "api_credential_owner marcus@example.com: IdP user u1 (marcus@example.com) is DEPROVISIONED (deactivated) in "
        "the IdP export, so once SCIM is on the IdP deactivates or never provisions them and they cannot sign in "
        "through it; Sigma's SCIM state shows the IdP provisioned them (externalId u1), so its next push deactivates "
        f"them; {WAY_OUT}")


def test_a_credential_owner_who_is_a_guest_is_held_never_disabled():
    guest = member("mw", "marcus@example.com", member_type="Admin", user_kind="guest")
    snap = snapshot([guest], [user("u1", "marcus@example.com")], groups=[group("g-admins", "Sigma-Admins", ["u-root", "u1"])])
    p = plan(snap, CREDENTIAL_OWNER + "guests:\n  action: disable\n")
    assert kinds(p) == [("scim.link_user", "scim.link_user:root")]  # was members.disable_guest:mw
    assert [(r.id, r.blocking) for r in p.review_items] == [("guards.api_credential_owner:mw", True)]
    (item,) = p.review_items
    assert item.message == (
        "api_credential_owner marcus@example.com: is a guest member, and enabling SCIM disables guests (SCIM does not "
        "support them); apply's API credentials belong to them; the plan deactivates and downgrades nothing of theirs "
        "and holds until they are converted to an internal member linked to an active in-scope IdP user "
        "(guests.action: convert), or organization.api_credential_owner names another admin who is an active, "
        "in-scope IdP user, once you make apply's API credentials again as them (docs/sigma-api.md §1.2)")
    assert item.resolution.startswith("# convert them (guests.action: convert) once an active in-scope IdP user links")
    converted = plan(snap, CREDENTIAL_OWNER + "guests:\n  action: convert\n")
    assert kinds(converted) == [("members.convert_guest", "members.convert_guest:mw"),
                                ("scim.link_user", "scim.link_user:mw"), ("scim.link_user", "scim.link_user:root")]
    assert converted.review_items == ()


def test_a_credential_owner_active_in_the_idp_passes_again():
    snap = snapshot([MARCUS], [user("u1", "marcus@example.com")], groups=[group("g-admins", "Sigma-Admins", ["u-root", "u1"])])
    p = plan(snap, CREDENTIAL_OWNER)
    assert p.review_items == ()
    assert guard(p, "api_credential_owner")["ok"] is True


def test_last_admin():
    snap = snapshot([member("a1", "a1@example.com", member_type="Admin")], [user("u1", "a1@example.com", active=False)],
                    with_root=False)
    base = BASE_POLICY.replace("root@example.com", "nobody@example.com")
    p = plan(snap, "unmatched:\n  idp_inactive: deactivate\n", base=base)
    assert guard(p, "last_admin") == {"name": "last_admin", "ok": False,
                                      "detail": "no active admin would remain after the plan"}


def test_document_owner_must_exist_and_stay_active():
    base = BASE_POLICY.replace("  document_owner: root@example.com\n", "")
    p = plan(snapshot(people(1, "leaver"), []), "unmatched:\n  action: deactivate\n", base=base)
    assert guard(p, "document_owner")["ok"] is False
    assert "no document owner is named" in guard(p, "document_owner")["detail"]

    owner = member("o1", "owner@example.com")
    snap = snapshot([owner] + people(1, "leaver"), [])
    p = plan(snap, "organization:\n  document_owner: owner@example.com\nunmatched:\n  action: deactivate\n")
    assert guard(p, "document_owner")["detail"] == (
        "document owner: owner@example.com is deactivated by this plan (members.deactivate:o1)")


def test_empty_or_shrunken_idp_export_blocks():
    p = plan(snapshot(people(3), [], with_root=True), "guards:\n  min_idp_users: 5\n")
    assert guard(p, "idp_export")["detail"] == (
        "the IdP export has 1 active in-scope user(s), fewer than guards.min_idp_users 5: is it the right file?")
    p = plan(snapshot(people(9), []), "guards:\n  max_shrink_percent: 50\n")
    assert guard(p, "idp_export")["detail"] == (
        "the IdP export has 1 active in-scope user(s) for 10 active Sigma people, 90.0% fewer "
        "(guards.max_shrink_percent 50): is it filtered?")
    assert "guards.idp_export" in blocking_codes(p)


def test_no_action_touches_the_scheduler_robot():
    robot = member("SigmaSchedulerRobot", "scheduler-robot@sigmacomputing.com", member_type="admin")
    p = plan(snapshot([robot], [user("u9", "scheduler-robot@sigmacomputing.com")]),
             "unmatched:\n  action: deactivate\n")
    assert [a.id for a in p.actions] == ["scim.link_user:root"]
    assert guard(p, "scheduler_robot")["ok"] is True
    assert [r.member_id for r in p.people] == ["root"]


def test_an_owner_who_cannot_sign_in_fails_their_guard_as_the_owner_status_says():
    # the setup admin has no IdP user and unmatched.action is keep: active and Admin, but SAML-only
    # sign-in through the IdP shuts them out once SCIM is on (docs/sigma-api.md §5.1)
    from planner.model import Lockout

    root = member("root", "root@example.com", member_type="Admin")
    snap = snapshot([root, member("m1", "ivy@example.com", member_type="Admin")], [user("u1", "ivy@example.com")],
                    with_root=False)
    p = plan(snap, "organization:\n  api_credential_owner: ivy@example.com\n")
    detail = ("scim_setup_admin root@example.com: no IdP user in the IdP export matches them, so once SCIM is on they "
              "cannot sign in through the IdP (SAML only); the SCIM token belongs to them; the plan deactivates and "
              "downgrades nothing of theirs and holds until they are linked to an active in-scope IdP user "
              "(linking.overrides when the addresses differ) or given one, and the IdP is exported again, or "
              "organization.scim_setup_admin names another admin who is an active, in-scope IdP user, once you set "
              "SCIM up again as them (a new token; Sigma support removes the old one: docs/sigma-api.md §5.1)")
    assert guard(p, "scim_setup_admin") == {"name": "scim_setup_admin", "ok": False, "detail": detail}
    assert guard(p, "api_credential_owner")["ok"] is True
    assert blocking_codes(p) == ["guards.scim_setup_admin"]
    (item,) = [r for r in p.review_items if r.code == "guards.scim_setup_admin"]
    assert (item.id, item.message, item.subject.fields()) == ("guards.scim_setup_admin:root", detail,
                                                     {"memberId": "root", "email": "root@example.com"})
    assert item.resolution.startswith("# link them to their IdP user (linking.overrides) or give them one assigned to "
                                      "the Sigma app, export the IdP again and re-plan; or name another admin who is "
                                      "an active, in-scope IdP user, once you set SCIM up again as them (a new "
                                      "token; Sigma support removes the old one: docs/sigma-api.md §5.1):\n")
    assert yaml.safe_load(item.resolution) == {"organization": {"scim_setup_admin": "someone@example.com"}}
    setup_admin, _ = p.outcomes.owners
    assert (setup_admin.lockout, setup_admin.ok, setup_admin.detail) == (Lockout.UNMATCHED_REVIEW, False, detail)
    (row,) = [r for r in p.people if r.member_id == "root"]
    assert row.lockout is Lockout.UNMATCHED_REVIEW
    # linked, the same person passes
    linked = plan(snapshot([root, member("m1", "ivy@example.com", member_type="Admin")],
                           [user("u0", "root@example.com"), user("u1", "ivy@example.com")], with_root=False),
                  "organization:\n  api_credential_owner: ivy@example.com\n")
    assert guard(linked, "scim_setup_admin")["ok"] is True
