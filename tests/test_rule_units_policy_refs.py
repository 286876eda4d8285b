"""planner.rules.policy_refs: every reference a policy makes to a member, IdP user, person, team or
group, resolved against the directory in one place (tester report A6, A7)."""

from __future__ import annotations

from .plan_factory import by_id, group, kinds, member, parse_policy, plan, snapshot, team, user
from planner.directory import build_directory
from planner.rules.policy_refs import RefKind, closest_name, policy_references, unknown_references

MEMBERS = [member("m1", "wendy.park@acme.example"), member("m2", "root@example.com", account_type="Admin"),
           member("m3", "dup@acme.example"), member("m4", "DUP@acme.example")]
USERS = [user("u1", "wendy.park@acme.example"), user("u2", "root@example.com")]
GROUPS = [group("g1", "Leadership", ["u1"]), group("g2", "Sigma-Admins", ["u2"])]
TEAMS = [team("t1", "Executive Dashboards"), team("t9", "Old", archived=True)]

POLICY = """\
organization: {scim_setup_admin: root@example.com, api_credential_owner: rot@example.com, document_owner: m2}
scope: {groups: [Leadership, "re:^Sigma-.+$", "re:^nothing$", Leadershp]}
linking:
  overrides: [{idp: u1, member: m1}, {idp: u9, member: never}, {idp: u2, member: dup@acme.example}]
  duplicates: {m3: rename, m7: rename}
  excluded_idp_users: [wendy.park@acme.exmple]
user_name_guard: {overrides: {u1: use_sigma_email, 00ue0lNGBhlVP8MdMH8X: use_sigma_email}}
account_types:
  group_map: {Sigma-Admins: Admin, Sigma-Admin: Admin}
  overrides: {wendy.park@acme.example: Admin, u2: Admin, nobody@acme.example: Admin}
  acknowledged_downgrades: [m1, wendy@acme.example]
  acknowledged_replacements: [u1]
guests: {document_owner: root@example.com}
teams:
  map: {Executive Dashboards: Leadership, Executive Dashbords: Leadership, Old: Sigma-Admins}
unmatched:
  decisions: {wendy.park@acme.exmple: keep, m1: keep}
  document_owner: nobody
"""


def unknown(text: str = POLICY):
    policy = parse_policy(text, "policy.yaml")
    directory = build_directory(snapshot(MEMBERS, USERS, groups=GROUPS, teams=TEAMS, with_root=False), policy)
    return unknown_references(policy, directory)


def test_every_reference_of_the_policy_is_found_with_its_kind():
    refs = policy_references(parse_policy(POLICY, "policy.yaml"))
    assert [(r.loc[0], r.kind, r.value) for r in refs][:4] == [
        ("organization", RefKind.MEMBER, "root@example.com"), ("organization", RefKind.MEMBER, "rot@example.com"),
        ("organization", RefKind.MEMBER, "m2"), ("scope", RefKind.GROUP, "Leadership")]
    assert len(refs) == 35
    assert {r.loc[:2] for r in refs} == {
        ("organization", "scim_setup_admin"), ("organization", "api_credential_owner"),
        ("organization", "document_owner"), ("scope", "groups"), ("linking", "overrides"), ("linking", "duplicates"),
        ("linking", "excluded_idp_users"), ("user_name_guard", "overrides"), ("account_types", "group_map"),
        ("account_types", "overrides"), ("account_types", "acknowledged_downgrades"),
        ("account_types", "acknowledged_replacements"), ("guests", "document_owner"), ("teams", "map"),
        ("unmatched", "decisions"), ("unmatched", "document_owner")}


def test_each_reference_to_nothing_is_one_blocking_item_with_file_line_and_the_closest_name():
    items = unknown()
    assert all(i.blocking and i.code == "policy.unknown_reference" for i in items)
    assert [i.message for i in items] == [
        "policy.yaml:1:74: organization.api_credential_owner names member 'rot@example.com', which "
        "is not in the Sigma export (did you mean 'root@example.com'?); the entry is ignored",
        "policy.yaml:2:47: scope.groups[2] names IdP group 're:^nothing$', which matches no group in "
        "the IdP export; the entry is ignored",
        "policy.yaml:2:63: scope.groups[3] names IdP group 'Leadershp', which is not in the IdP "
        "export (did you mean 'Leadership'?); the entry is ignored",
        "policy.yaml:4:44: linking.overrides[1].idp names IdP user 'u9', which is not in the IdP "
        "export; the entry is ignored",
        "policy.yaml:4:82: linking.overrides[2].member names member 'dup@acme.example', the address of 2 "
        "members (m3, m4): it names none of them; the entry is ignored",
        "policy.yaml:5:28: linking.duplicates.m7 names member 'm7', which is not in the Sigma "
        "export; the entry is ignored",
        "policy.yaml:6:24: linking.excluded_idp_users[0] names IdP user 'wendy.park@acme.exmple', "
        "which is not in the IdP export (did you mean 'wendy.park@acme.example'?); the entry is "
        "ignored",
        "policy.yaml:7:52: user_name_guard.overrides.'00ue0lNGBhlVP8MdMH8X' names IdP user "
        "'00ue0lNGBhlVP8MdMH8X', which is not in the IdP export; the entry is ignored",
        "policy.yaml:9:36: account_types.group_map.'Sigma-Admin' names IdP group 'Sigma-Admin', "
        "which is not in the IdP export (did you mean 'Sigma-Admins'?); the entry is ignored",
        "policy.yaml:10:58: account_types.overrides.'nobody@acme.example' names person "
        "'nobody@acme.example', which is not in either export; the entry is ignored",  # no stranger suggested
        "policy.yaml:11:33: account_types.acknowledged_downgrades[1] names person "
        "'wendy@acme.example', which is not in either export; the entry is ignored",
        "policy.yaml:15:43: teams.map.'Executive Dashbords' names team 'Executive Dashbords', which "
        "is not in the Sigma export (active teams) (did you mean 'Executive Dashboards'?); the entry "
        "is ignored",
        # teams.map.Old names archived team Old: held by teams.archived_team, no typo (tester7 finding 23)
        "policy.yaml:17:15: unmatched.decisions.'wendy.park@acme.exmple' names member "
        "'wendy.park@acme.exmple', which is not in the Sigma export (did you mean "
        "'wendy.park@acme.example'?); the entry is ignored",
        "policy.yaml:18:19: unmatched.document_owner names member 'nobody', which is not in the "
        "Sigma export; the entry is ignored",
    ]
    typo = items[0]
    assert typo.id == "policy.unknown_reference:organization.api_credential_owner"
    assert typo.subject.fields() == {"policyKey": "organization.api_credential_owner", "kind": "member",
                            "name": "rot@example.com"}
    assert typo.resolution == "# correct or remove the entry at policy.yaml:1:74: root@example.com\n"


def test_a_policy_naming_only_what_exists_has_no_item():
    assert unknown("organization: {scim_setup_admin: m2}\nteams: {map: {Executive Dashboards: Leadership}}\n") == []


def test_a_typo_in_unmatched_decisions_blocks_the_plan_and_the_member_is_not_decided_by_it():
    # tester A6 (dirty/pol_decision_typo.yaml): Wendy was deactivated, the plan approvable
    snap = snapshot([member("m1", "wendy.park@acme.example")], [])
    p = plan(snap, "unmatched:\n  action: deactivate\n  decisions: {wendy.park@acme.exmple: keep}\n")
    assert [(r.id, r.blocking) for r in p.review_items if r.code == "policy.unknown_reference"] == [
        ("policy.unknown_reference:unmatched.decisions.'wendy.park@acme.exmple'", True)]
    assert p.blocking_items
    assert ("members.deactivate", "members.deactivate:m1") in kinds(p)  # the rule as written; blocked until fixed
    assert "members.deactivate:m1" in by_id(p)


def test_the_closest_name_compares_an_address_by_its_parts_and_suggests_no_stranger():
    names = ["wendy.park@acme.example", "xowkeday.fprskk@acme.example", "Executive Dashboards", "u1"]
    assert closest_name("wendy.park@acme.exmple", names) == "wendy.park@acme.example"  # domain typo
    assert closest_name("Wendy.Prak@acme.example", names) == "wendy.park@acme.example"  # local part typo
    assert closest_name("nobody@acme.example", names) is None  # a shared domain makes no match
    assert closest_name("executive dashbords", names) == "Executive Dashboards"
    assert closest_name("re:^Exec", names) is None


# tester2 finding 8 (dirty/okta_noattr): the export lacked the sigmaMemberId attribute that linking.match_keys
# names; the plan was approvable and Sarah O'Connor was deactivated while a new account was created for her

ATTRIBUTE_KEYS = """\
linking:
  match_keys:
    - user_name
    - {attribute: {idp: sigmaMemberId, sigma: memberId}}
    - {attribute: {idp: employeeNumber, sigma: employeeId}}
"""


def test_a_match_key_attribute_no_idp_user_has_is_one_blocking_item_naming_the_policy_line():
    # and a member field no member has, the other side of the pair
    assert [i.message for i in unknown(ATTRIBUTE_KEYS)][-1] == (
        "policy.yaml:5:48: linking.match_keys[2].attribute.sigma names member field 'employeeId', which is not "
        "in the Sigma export (no member has a value for it); the match key links no one")
    policy = parse_policy(ATTRIBUTE_KEYS, "policy.yaml")
    users = [user("u1", "sarah.kim@acme.example", sigmaMemberID="m1"), user("u2", "b@acme.example", sigmaMemberId="")]
    directory = build_directory(snapshot([member("m1", "sarah.oconnor@acme.example", employeeId="E1")], users,
                                         with_root=False), policy)
    items = unknown_references(policy, directory)
    assert [(i.id, i.blocking) for i in items] == [
        ("policy.unknown_reference:linking.match_keys[1].attribute.idp", True),
        ("policy.unknown_reference:linking.match_keys[2].attribute.idp", True)]
    assert [i.message for i in items] == [
        "policy.yaml:4:25: linking.match_keys[1].attribute.idp names IdP attribute 'sigmaMemberId', which "
        "is not in the IdP export (no user has a value for it) (did you mean 'sigmaMemberID'?); the match key "
        "links no one",
        "policy.yaml:5:25: linking.match_keys[2].attribute.idp names IdP attribute 'employeeNumber', which "
        "is not in the IdP export (no user has a value for it); the match key links no one"]
    assert items[0].subject.fields() == {"policyKey": "linking.match_keys[1].attribute.idp",
                                         "kind": "IdP attribute", "name": "sigmaMemberId"}


def test_a_match_key_attribute_one_idp_user_has_is_no_item_and_the_plan_of_okta_noattr_blocks():
    one_key = ATTRIBUTE_KEYS.rsplit("    - {attribute: {idp: employeeNumber", 1)[0]
    policy = parse_policy(one_key, "policy.yaml")
    users = [user("u1", "sarah.kim@acme.example", sigmaMemberId=" m1 "), user("u2", "b@acme.example")]
    directory = build_directory(snapshot([member("m1", "sarah.oconnor@acme.example")], users), policy)
    assert unknown_references(policy, directory) == []
    snap = snapshot([member("m1", "sarah.oconnor@acme.example")], [user("u1", "sarah.kim@acme.example")])
    p = plan(snap, one_key + "unmatched: {action: deactivate}\n")
    assert [(r.id, r.blocking) for r in p.review_items if r.code == "policy.unknown_reference"] == [
        ("policy.unknown_reference:linking.match_keys[1].attribute.idp", True)]
    assert p.blocking_items


def test_a_name_that_only_looks_like_the_reference_is_said_to_differ_never_proposed():
    """tester7 NEW-4: scope.groups [Finance] beside the IdP group 'Fіnance' (Cyrillic і, U+0456) said "did you
    mean 'Fіnance'?" and its fix copied the look-alike into the policy (the class of tester6 finding 5)."""
    policy = parse_policy("scope: {groups: [Finance, Sales]}\n", "policy.yaml")
    groups = [group("g1", "F\u0456nance", ["u1"]), group("g2", "\uff33ales", ["u2"])]
    directory = build_directory(snapshot(MEMBERS, USERS, groups=groups, teams=TEAMS, with_root=False), policy)
    finance, sales = unknown_references(policy, directory)
    assert (finance.id, finance.blocking) == ("policy.unknown_reference:scope.groups[0]", True)
    assert finance.message == (
        "policy.yaml:1:18: scope.groups[0] names IdP group 'Finance', which is not in the IdP export ('F\u0456nance' "
        "looks like 'Finance' and differs: U+0456 CYRILLIC SMALL LETTER BYELORUSSIAN-UKRAINIAN I at position 2; "
        "never take one for the other); the entry is ignored")
    assert finance.evidence.fields() == {
        "differences": ["U+0456 CYRILLIC SMALL LETTER BYELORUSSIAN-UKRAINIAN I at position 2"]}
    assert finance.resolution == (
        "# 'F\u0456nance' looks like 'Finance' and differs: never copy one into the place of the other; rename the "
        "one misspelt (in the IdP, then export again), or remove the entry at policy.yaml:1:18\n")
    assert sales.message == (
        "policy.yaml:1:27: scope.groups[1] names IdP group 'Sales', which is not in the IdP export ('\uff33ales' "
        "looks like 'Sales' and differs: U+FF33 FULLWIDTH LATIN CAPITAL LETTER S at position 1; never take one "
        "for the other); the entry is ignored")
