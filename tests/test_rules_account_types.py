"""Account types: group map, precedence, default, exact spelling, upgrades/downgrades, seats."""

from __future__ import annotations

import pytest
import yaml
from msgspec import to_builtins as wire

from planner.policy import PolicyError
from planner.rules.account_types import classify

from .plan_factory import by_id, group, kinds, member, plan, review_codes, snapshot, user

TYPES = ["Admin", "Build", "Analyze", "Act", "View"]

MAP = """
account_types:
  group_map: {Sigma-Admins: admin, Sigma-Viewers: viewer}
  precedence: [admin, viewer]
"""


def admins_and_viewers(*extra_users, members=(), admins=("00u1",), viewers=("00u1",)):
    users = [user("00u1", "carol@example.com"), *extra_users]
    return snapshot(
        list(members),
        users,
        groups=[group("g1", "Sigma-Admins", ["u-root", *admins]), group("g2", "Sigma-Viewers", list(viewers))],
    )


def test_precedence_decides_between_two_mapped_groups():
    p = plan(admins_and_viewers(), MAP)
    create = by_id(p)["scim.create_user:00u1"]
    assert wire(create.after)["userType"] == "admin"
    # named, never silent (tester9 finding F8): the IdP must send the type chosen
    [item] = [i for i in p.review_items if i.code == "account_types.several_type_groups"]
    assert (item.blocking, item.message, [c.fields() for c in item.candidates]) == (
        False, "1 person(s) are in groups of different account types; the plan gives each the type listed (the "
               "highest by account_types.precedence, or their override): the IdP must send each of them the type "
               "named, whichever group it reads",
        [{"memberId": None, "email": None, "idpId": "00u1", "idpUserName": "carol@example.com",
          "groups": ["Sigma-Admins", "Sigma-Viewers"], "accountTypes": ["admin"], "rule": "precedence"}])


def test_precedence_with_defaults_in_precedence_order():
    p = plan(admins_and_viewers(members=[member("m1", "carol@example.com", member_type="viewer")]), MAP)
    change = by_id(p)["scim.set_account_type:m1"]
    assert (wire(change.before), wire(change.after), change.rule) == ({"memberType": "viewer"}, {"userType": "admin"},
                                                         "account_types.precedence")
    assert wire(change.evidence) == {"change": "upgrade", "source": "precedence", "groups": ["Sigma-Admins", "Sigma-Viewers"]}
    assert change.depends_on == ("scim.link_user:m1",)
    assert change.reason == "upgrade: viewer -> admin (groups Sigma-Admins, Sigma-Viewers, highest by precedence)"


def test_no_precedence_refuses_the_plan_with_a_policy_error():
    with pytest.raises(PolicyError) as exc:
        plan(admins_and_viewers(), "account_types:\n  group_map: {Sigma-Admins: admin, Sigma-Viewers: viewer}\n")
    assert str(exc.value) == (
        "policy.yaml:15:3: account_types: IdP user carol@example.com is in mapped groups Sigma-Admins (admin), "
        "Sigma-Viewers (viewer) and account_types.precedence does not order admin and viewer (1 user(s) are in "
        "several mapped groups); list the types highest first, e.g. precedence: [admin, viewer]"
    )


def test_account_type_names_are_checked_against_the_organization():
    snap = snapshot([member("m1", "a@example.com", member_type="View")], [user("00u1", "a@example.com")],
                    account_types=["Admin", "View"])
    with pytest.raises(PolicyError) as exc:
        plan(snap, "account_types:\n  default: view\n")
    assert str(exc.value) == (
        "policy.yaml:15:12: account_types.default: 'view' is not an account type of this organization (Sigma "
        "matches userType case-sensitively); did you mean 'View'? Known: Admin, View"
    )


def test_export_spelling_is_normalized_to_the_organization_spelling():
    # memberType "admin" in the export, accountTypeName "Admin": unchanged, said in the summary
    snap = snapshot([member("m1", "grace@example.com", member_type="admin")], [user("00u1", "grace@example.com")],
                    groups=[group("g1", "Sigma-Admins", ["u-root", "00u1"])], account_types=["Admin", "View"])
    p = plan(snap, "account_types:\n  group_map: {Sigma-Admins: Admin}\n  default: View\n")
    assert kinds(p) == [("scim.link_user", "scim.link_user:m1"), ("scim.link_user", "scim.link_user:root")]
    assert wire(by_id(p)["scim.link_user:m1"].after)["userType"] == "Admin"
    assert wire(p.summary)["normalized_member_types"] == [{"memberType": "admin", "accountType": "Admin", "members": 1}]
    assert wire(p.summary)["seats"] == {"Admin": {"before": 2, "after": 2, "pending": 0}}


def test_default_type_for_users_in_no_mapped_group():
    snap = snapshot([member("m1", "zoe@example.com", member_type="Analyze")], [user("00u1", "zoe@example.com")],
                    groups=[group("g1", "Sigma-Admins", ["u-root"])], account_types=TYPES)
    p = plan(snap, "account_types:\n  group_map: {Sigma-Admins: Admin}\n  default: View\n  on_downgrade: allow\n")
    change = by_id(p)["scim.set_account_type:m1"]
    assert (wire(change.after), change.rule, wire(change.evidence)["change"]) == ({"userType": "View"}, "account_types.default",
                                                                     "downgrade")
    assert p.review_items == ()


def test_keep_and_new_user_default():
    snap = snapshot([member("m1", "a@example.com", member_type="Build")],
                    [user("00u1", "a@example.com"), user("00u2", "new@example.com")])
    p = plan(snap)
    assert wire(by_id(p)["scim.link_user:m1"].after)["userType"] == "Build"
    assert "userType" not in wire(by_id(p)["scim.create_user:00u2"].after)
    p = plan(snap, "account_types:\n  new_user_default: Lite\n")
    assert wire(by_id(p)["scim.create_user:00u2"].after)["userType"] == "Lite"
    assert wire(p.summary)["seats"]["Lite"] == {"before": 0, "after": 1, "pending": 0}


def test_override_wins_over_groups():
    p = plan(admins_and_viewers(members=[member("m1", "carol@example.com", member_type="admin")]),
             MAP + "  overrides: {carol@example.com: admin}\n")
    assert kinds(p) == [("scim.link_user", "scim.link_user:m1"), ("scim.link_user", "scim.link_user:root")]


def test_downgrade_review_is_blocking_until_acknowledged():
    snap = snapshot([member("m1", "ethan@example.com", member_type="Build")], [user("00u1", "ethan@example.com")],
                    groups=[group("g1", "Sigma-Viewers", ["00u1"]), group("g0", "Sigma-Admins", ["u-root"])], account_types=TYPES)
    policy = "account_types:\n  group_map: {Sigma-Admins: Admin, Sigma-Viewers: View}\n  precedence: [Admin, Build, View]\n"
    p = plan(snap, policy)
    change = by_id(p)["scim.set_account_type:m1"]
    assert change.reason == "downgrade: Build -> View (group Sigma-Viewers)"
    (item,) = p.review_items
    assert (item.code, item.blocking) == ("account_types.downgrade", True)
    assert yaml.safe_load(item.resolution) == {"account_types": {"acknowledged_downgrades": [
        {"person": "ethan@example.com", "from": "Build", "to": "View"}]}}
    settled = plan(snap, policy + "  acknowledged_downgrades: [ethan@example.com]\n")
    assert settled.review_items == ()
    assert "scim.set_account_type:m1" in by_id(settled)
    assert wire(settled.summary)["account_types"] == {"changes": 1, "upgrades": 0, "downgrades": 1,
                                                "custom_replacements": 0, "replacements": []}


def test_admin_downgrade_is_blocking_even_when_downgrades_are_allowed():
    snap = snapshot([member("m1", "helen@example.com", member_type="Admin")], [user("00u1", "helen@example.com")],
                    groups=[group("g1", "Sigma-Analyze", ["00u1"]), group("g0", "Sigma-Admins", ["u-root"])], account_types=TYPES)
    policy = "account_types:\n  group_map: {Sigma-Admins: Admin, Sigma-Analyze: Analyze}\n  on_downgrade: allow\n"
    p = plan(snap, policy)
    assert review_codes(p) == [("account_types.admin_downgrade", True)]
    assert plan(snap, policy + "  acknowledged_downgrades: [m1]\n").review_items == ()


def test_block_refuses_downgrades_even_acknowledged():
    snap = snapshot([member("m1", "sofia@example.com", member_type="Analyze")], [user("00u1", "sofia@example.com")],
                    groups=[group("g1", "Sigma-Act", ["00u1"]), group("g0", "Sigma-Admins", ["u-root"])], account_types=TYPES)
    policy = ("account_types:\n  group_map: {Sigma-Admins: Admin, Sigma-Act: Act}\n  on_downgrade: block\n"
              "  acknowledged_downgrades: [sofia@example.com]\n")
    p = plan(snap, policy)
    (item,) = p.review_items
    assert (item.code, item.blocking) == ("account_types.downgrade", True)
    assert yaml.safe_load(item.resolution) == {"account_types": {"overrides": {"sofia@example.com": "Analyze"}}}


def test_upgrades_raise_no_review_item():
    snap = snapshot([member("m1", "kevin@example.com", member_type="View")], [user("00u1", "Kevin@example.com")],
                    groups=[group("g1", "Sigma-Analyze", ["00u1"])], account_types=TYPES)
    p = plan(snap, "account_types:\n  group_map: {Sigma-Analyze: Analyze}\n")
    assert wire(by_id(p)["scim.set_account_type:m1"].evidence)["change"] == "upgrade"
    assert p.review_items == ()


def test_classify_by_precedence_then_builtin_ranks():
    assert classify("View", "Analyze", []) == "upgrade"
    assert classify("Pro", "Lite", []) == "downgrade"
    assert classify("Analyze", "Data Steward", ["Admin", "Data Steward", "Analyze"]) == "upgrade"
    # a type neither precedence nor the built-in ranks orders: its own category, not a downgrade
    assert classify("Analyze", "Data Steward", []) == "custom_replacement"
    assert classify("Finance Power User", "Analyze", ["Admin", "Finance Power User"]) == "custom_replacement"
    assert classify("Admin", "Finance Power User", []) == "downgrade"  # Admin is above every type
    assert classify("Finance Power User", "Admin", []) == "upgrade"
    assert classify("admin", "Admin", []) == "unchanged"
    assert classify("Build", "Build", []) == "unchanged"


def test_seats_before_and_after():
    snap = snapshot(
        [member("m1", "a@example.com", member_type="View"), member("m2", "b@example.com", member_type="View"),
         member("m3", "c@example.com", member_type="Build", archived=True)],
        [user("00u1", "a@example.com"), user("00u2", "b@example.com", active=False), user("00u4", "d@example.com")],
        groups=[group("g1", "Sigma-Analyze", ["00u1", "00u4"])],
    )
    p = plan(snap, "account_types:\n  group_map: {Sigma-Analyze: Analyze}\nunmatched:\n  idp_inactive: deactivate\n")
    assert wire(p.summary)["seats"] == {
        "Admin": {"before": 1, "after": 1, "pending": 0},
        "Analyze": {"before": 0, "after": 2, "pending": 0},
        "View": {"before": 2, "after": 0, "pending": 0},
    }


def test_unchecked_names_are_reported_when_the_export_has_no_account_types():
    p = plan(admins_and_viewers(), MAP)
    assert review_codes(p) == [("account_types.admin_upgrade", True),  # carol is created admin (tester18 #5)
                               ("account_types.names_unchecked", True),  # tester8 finding 19: was informational
                               ("account_types.several_type_groups", False)]
    [item] = [i for i in p.review_items if i.code == "account_types.names_unchecked"]
    assert item.subject.fields() == {"accountTypes": ["admin", "viewer"]}


def finance_power_user(extra: str = ""):
    """m1 holds the custom type "Finance Power User"; the policy maps her group to Analyze."""
    snap = snapshot([member("m1", "fiona@example.com", member_type="Finance Power User")],
                    [user("00u1", "fiona@example.com")],
                    groups=[group("g1", "Sigma-Analyze", ["00u1"]), group("g0", "Sigma-Admins", ["u-root"])],
                    account_types=[*TYPES, "Finance Power User"])
    return snap, plan(snap, "account_types:\n  group_map: {Sigma-Admins: Admin, Sigma-Analyze: Analyze}\n"
                            "  on_downgrade: allow\n" + extra)


def test_replacing_a_custom_type_is_its_own_category_reviewed_by_default():
    _, p = finance_power_user()
    change = by_id(p)["scim.set_account_type:m1"]
    assert change.reason == "custom-type replacement: Finance Power User -> Analyze (group Sigma-Analyze)"
    assert wire(change.evidence) == {"change": "custom_replacement", "source": "group_map", "groups": ["Sigma-Analyze"],
                               "unranked": True}
    (item,) = p.review_items
    assert (item.id, item.blocking, item.rule) == (
        "account_types.custom_replacement:m1", True, "account_types.on_custom_replacement")
    assert item.message == (
        "fiona@example.com would go from Finance Power User to Analyze (group Sigma-Analyze): custom account type "
        "'Finance Power User' is ranked neither by account_types.precedence nor among Sigma's built-in types, so "
        "this is neither an upgrade nor a downgrade; the permissions it grants may differ in any direction")
    assert yaml.safe_load(item.resolution) == {"account_types": {"acknowledged_replacements": [
        {"person": "fiona@example.com", "from": "Finance Power User", "to": "Analyze"}]}}
    assert item.resolution.endswith('# or:\n# account_types:\n#   overrides:\n#     fiona@example.com: "Finance Power User"\n')
    assert wire(p.summary)["account_types"] == {
        "changes": 1, "upgrades": 0, "downgrades": 0, "custom_replacements": 1,
        "replacements": [{"from": "Finance Power User", "to": "Analyze", "members": 1}]}
    # the blocking item holds her replacement: she keeps her seat, pending review (tester12 #3; was after 0)
    assert wire(p.summary)["seats"]["Finance Power User"] == {"before": 1, "after": 1, "pending": 1}
    assert "Analyze" not in wire(p.summary)["seats"]  # nobody holds it, before or after
    assert "1 account-type change (0 downgrades, 1 custom-type replacement)" in wire(p.summary)["text"]
    # not a downgrade: the downgrades threshold does not count it
    (threshold,) = [g for g in wire(p.summary)["guards"] if g["name"] == "threshold.downgrades"]
    assert threshold["detail"].startswith("downgrades: 0 of 2 active Sigma people")


def test_custom_replacement_acknowledged_allowed_or_blocked():
    _, acknowledged = finance_power_user("  acknowledged_replacements: [fiona@example.com]\n")
    assert acknowledged.review_items == ()
    assert "scim.set_account_type:m1" in by_id(acknowledged)
    _, allowed = finance_power_user("  on_custom_replacement: allow\n")
    assert allowed.review_items == ()
    _, blocked = finance_power_user("  on_custom_replacement: block\n  acknowledged_replacements: [m1]\n")
    (item,) = blocked.review_items
    assert (item.code, item.blocking) == ("account_types.custom_replacement", True)
    assert wire(item.evidence)["onCustomReplacement"] == "block"
    assert yaml.safe_load(item.resolution) == {"account_types": {"overrides": {"fiona@example.com": "Finance Power User"}}}
    # on_downgrade does not decide custom replacements, in either direction
    _, strict = finance_power_user("  on_downgrade: block\n  on_custom_replacement: allow\n")
    assert strict.review_items == ()


def test_custom_replacements_are_shown_apart_in_show_and_the_report():
    from planner.model import TypeChange
    from planner.report import render_html
    from planner.show import plain_text

    _, p = finance_power_user()
    text = plain_text(p)
    assert ("Custom account types replaced (neither upgrade nor downgrade; account_types.on_custom_replacement):\n"
            "  ~ Finance Power User -> Analyze: 1 member(s)\n") in text
    assert "~ custom-type replacement: Finance Power User -> Analyze (group Sigma-Analyze)" in text
    (fiona,) = [row for row in p.people if row.member_id == "m1"]
    assert fiona.type_change is TypeChange.CUSTOM_REPLACEMENT
    html = render_html(p)
    assert ('<table class="compact" id="type-replacements">' in html
            and "<tr><td>Finance Power User</td><td>Analyze</td><td class=\"num\">1</td></tr>" in html)
    assert '<span class="badge warn">custom type replaced</span>' in html


def test_a_type_the_organization_marks_custom_is_never_ranked_as_built_in():
    from dataclasses import replace

    from planner.model import AccountType

    # "Creator" is a built-in name in another licence model; this org made its own "Creator" (isCustom)
    snap = snapshot([member("m1", "vic@example.com", member_type="View")], [user("00u1", "vic@example.com")],
                    groups=[group("g1", "Sigma-Creators", ["00u1"]), group("g0", "Sigma-Admins", ["u-root"])],
                    account_types=["Admin", "View"])
    types = snap.sigma.account_types + (AccountType("at-creator", "Creator", is_custom=True),)
    snap = replace(snap, sigma=replace(snap.sigma, account_types=types))
    p = plan(snap, "account_types:\n  group_map: {Sigma-Admins: Admin, Sigma-Creators: Creator}\n")
    assert wire(by_id(p)["scim.set_account_type:m1"].evidence)["change"] == "custom_replacement"
    assert [r.id for r in p.review_items] == ["account_types.custom_replacement:m1"]
    assert "custom account type 'Creator' is ranked neither" in p.review_items[0].message
    assert classify("View", "Creator", []) == "upgrade"  # by name alone
    assert classify("View", "Creator", [], custom={"Creator"}) == "custom_replacement"


def org_admins(extra: str = ""):
    """An organization whose admin type is the custom "Org Admin" (guards.admin_account_types), and
    Olga, an Org Admin whose IdP group maps to Viewer."""
    snap = snapshot([member("root", "root@example.com", member_type="Org Admin"),
                     member("m1", "olga@example.com", member_type="Org Admin")],
                    [user("u-root", "root@example.com"), user("00u1", "olga@example.com")],
                    groups=[group("g0", "Sigma-Org-Admins", ["u-root"]), group("g1", "Sigma-Viewers", ["00u1"])],
                    account_types=["Org Admin", "Viewer"], with_root=False)
    return plan(snap, "guards:\n  admin_account_types: [Org Admin]\n"
                      "account_types:\n  group_map: {Sigma-Org-Admins: Org Admin, Sigma-Viewers: Viewer}\n" + extra)


def test_leaving_an_admin_type_of_the_policys_admin_list_is_an_admin_downgrade():
    from planner.model import AdminChange, TypeChange
    from planner.report import render_html
    from planner.show import plain_text

    p = org_admins()
    change = by_id(p)["scim.set_account_type:m1"]
    assert change.reason == "downgrade: Org Admin -> Viewer (group Sigma-Viewers)"
    assert wire(change.evidence) == {"change": "downgrade", "source": "group_map", "groups": ["Sigma-Viewers"]}
    assert [(r.id, r.blocking) for r in p.review_items] == [("account_types.admin_downgrade:m1", True)]
    assert p.review_items[0].message == ("olga@example.com would go from Org Admin to Viewer (group Sigma-Viewers); "
                                         "admins lose admin only when acknowledged")
    assert wire(p.summary)["account_types"] == {"changes": 1, "upgrades": 0, "downgrades": 1,
                                                "custom_replacements": 0, "replacements": []}
    (olga,) = [row for row in p.people if row.member_id == "m1"]
    assert (olga.type_change, olga.admin_change) == (TypeChange.DOWNGRADE, AdminChange.LOSES)
    text = plain_text(p)
    assert ("Admins losing Admin: 1 (1 downgraded)\n"
            "  ~ olga@example.com  [member m1 <-> IdP 00u1] by email  Org Admin -> Viewer\n") in text
    assert ("Downgrades: 1\n  = olga@example.com  Org Admin -> Viewer  (listed under Admins losing Admin)\n\n"
            in text)
    assert "~ downgrade: Org Admin -> Viewer (group Sigma-Viewers)  (scim.set_account_type" in text
    html = render_html(p)
    assert '"downgrade","loses",""]' in html and "custom type replaced" not in html
    assert org_admins("  acknowledged_downgrades: [olga@example.com]\n").review_items == ()


def test_classify_reads_the_admin_list_first():
    admins = frozenset({"org admin"})
    assert classify("Org Admin", "Viewer", [], admin=admins) == "downgrade"
    assert classify("Org Admin", "Finance Power User", [], admin=admins) == "downgrade"
    assert classify("Viewer", "Org Admin", ["Viewer", "Org Admin"], admin=admins) == "upgrade"  # whatever precedence says
    assert classify("Org Admin", "Viewer", [], admin=frozenset({"admin"})) == "custom_replacement"


def test_a_kept_member_type_the_organization_does_not_have_holds_its_people_on_one_item_per_type():
    # tester8 finding 19: 'Legacy Pro' (a custom type deleted since) was sent as userType, which Sigma refuses
    members = [member("m1", "a@example.com", member_type="Legacy Pro"), member("m2", "b@example.com",
                                                                               member_type="Legacy Pro"),
               member("m3", "c@example.com", member_type="build")]
    users = [user("u1", "a@example.com"), user("u2", "b@example.com"), user("u3", "c@example.com")]
    p = plan(snapshot(members, users, account_types=["Admin", "Build", "View"]))
    assert kinds(p) == [("scim.link_user", "scim.link_user:m3"), ("scim.link_user", "scim.link_user:root")]
    assert wire(by_id(p)["scim.link_user:m3"].after)["userType"] == "Build"  # 'build' in Sigma's spelling
    assert [(r.id, r.blocking) for r in p.review_items] == [("account_types.unknown_type:Legacy Pro", True)]
    (item,) = p.review_items
    assert item.message == (
        "account type 'Legacy Pro' is not one of the organization's (Admin, Build, View: account_types.json, "
        "GET /v2/accountTypes), and 2 person(s) would get it (their current type, account_types.default: keep): "
        "a@example.com, b@example.com; Sigma refuses a userType it does not know, so they are held (no link, no "
        "account-type change): create 'Legacy Pro' in Sigma (Administration > Account types) and fetch again, or "
        "give them an existing type in the policy")
    assert item.subject.fields() == {"accountTypes": ["Legacy Pro"]}
    assert [c.fields() for c in item.candidates] == [{"memberId": "m1", "email": "a@example.com", "idpId": "u1"},
                                                     {"memberId": "m2", "email": "b@example.com", "idpId": "u2"}]
    assert wire(item.evidence) == {"accountType": "Legacy Pro", "closest": "Admin", "members": 2}
    assert yaml.safe_load(item.resolution) == {"account_types": {"overrides": {"a@example.com": "Admin",
                                                                               "b@example.com": "Admin"}}}
    assert [(r.member_id, r.account_type_after) for r in p.people if r.member_id in ("m1", "m2")] == [
        ("m1", "Legacy Pro"), ("m2", "Legacy Pro")]
    settled = plan(snapshot(members, users, account_types=["Admin", "Build", "View"]),
                   "account_types:\n  overrides: {a@example.com: View, b@example.com: View}\n"
                   "  on_custom_replacement: allow\n")
    assert settled.review_items == ()
    assert [wire(by_id(settled)[f"scim.link_user:{m}"].after)["userType"] for m in ("m1", "m2")] == ["View", "View"]
