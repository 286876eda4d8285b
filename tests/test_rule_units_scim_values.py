"""planner.rules.scim_values: nobody is linked or created through SCIM without both names (tester A8:
an IdP user with a blank givenName/surname was created with givenName '' and Sigma answered 400
'name' is required mid-apply, 193 of 195 done)."""

from __future__ import annotations

from msgspec import to_builtins as wire

from .plan_factory import by_id, group, kinds, member, plan, snapshot, team, user
from planner.model import ItemEvidence
from planner.rules.scim_values import missing_names, sent_names

ROOT_LINK = ("scim.link_user", "scim.link_user:root")


def test_the_names_sent_fall_back_to_the_members_for_a_link_and_blank_ones_are_missing():
    kenji = user("u1", "kenji.mori@example.com", first="", last=" \u200b")
    assert sent_names(kenji, None) == ("", "")
    assert missing_names(*sent_names(kenji, None)) == ("name.givenName", "name.familyName")
    # as link_actions sends them: an IdP name that is only invisible characters is not empty, so the
    # member's is not taken, and it is sent cleaned to nothing
    assert sent_names(kenji, member("m1", "kenji.mori@example.com", "Kenji", "Mori")) == ("Kenji", "")
    unnamed = user("u1", "kenji.mori@example.com", first="", last="")
    assert sent_names(unnamed, member("m1", "kenji.mori@example.com", "Kenji", "Mori")) == ("Kenji", "Mori")
    assert missing_names("Kenji", "") == ("name.familyName",)


def test_a_user_to_create_without_names_is_held_with_a_blocking_item_and_pushed_in_no_team():
    snap = snapshot([], [user("u1", "kenji.mori@example.com", first="", last=""), user("u2", "ann@example.com")],
                    groups=[group("g1", "Finance", ["u1", "u2"])], teams=[team("t1", "Finance")])
    p = plan(snap)
    assert kinds(p) == [("scim.create_user", "scim.create_user:u2"), ("scim.link_group", "scim.link_group:t1"),
                        ROOT_LINK, ("scim.set_group_members", "scim.set_group_members:g1")]
    assert wire(by_id(p)["scim.set_group_members:g1"].after) == {"members": ["ann@example.com"]}
    (item,) = [r for r in p.review_items if r.code == "scim.name_required"]
    assert (item.id, item.blocking) == ("scim.name_required:u1", True)
    assert item.subject.fields() == {"idpId": "u1", "userName": "kenji.mori@example.com"}
    assert item.message == (
        "IdP user u1 (kenji.mori@example.com) has a blank name.givenName and name.familyName: Sigma's SCIM needs "
        "both names and refuses the user (400 'name' is required), so creating this user would fail during "
        "apply; held (neither linked nor created) until the IdP user has both names")
    assert item.evidence == ItemEvidence(missing=["name.givenName", "name.familyName"])


def test_a_link_takes_the_members_names_and_is_held_only_when_both_sides_lack_one():
    snap = snapshot([member("m1", "kenji@example.com", "Kenji", "Mori"), member("m2", "lee@example.com", "Lee", "")],
                    [user("u1", "kenji@example.com", first="", last=""), user("u2", "lee@example.com", first="", last="")])
    p = plan(snap)
    assert kinds(p) == [("scim.link_user", "scim.link_user:m1"), ROOT_LINK]
    after = wire(by_id(p)["scim.link_user:m1"].after)
    assert (after["givenName"], after["familyName"]) == ("Kenji", "Mori")
    (item,) = [r for r in p.review_items if r.code == "scim.name_required"]
    assert (item.id, item.blocking, item.subject.fields()["memberId"]) == ("scim.name_required:m2", True, "m2")
    assert item.message.startswith("IdP user u2 (lee@example.com) has a blank name.familyName (the Sigma member "
                                   "has none either)")
    assert "members.deactivate:m2" not in by_id(p)  # held: neither linked nor deactivated


def test_a_team_the_plan_would_push_with_a_blank_name_is_dropped_with_its_members_and_blocks():
    # a regex whose replace leaves nothing of 'sigma-team-': POST /Groups displayName '' (Sigma refuses it)
    snap = snapshot([], [user("u1", "a@example.com")],
                    groups=[group("g1", "sigma-team-", ["u1"]), group("g2", "sigma-team-Ops", ["u1"])])
    p = plan(snap, "teams:\n  mode: create\n  rules: [{match: regex, pattern: '^sigma-team-(.*)$', replace: '\\1'}]\n")
    assert kinds(p) == [("scim.create_group", "scim.create_group:g2"), ("scim.create_user", "scim.create_user:u1"),
                        ROOT_LINK, ("scim.set_group_members", "scim.set_group_members:g2")]
    (item,) = [r for r in p.review_items if r.code == "scim.team_name_required"]
    assert (item.id, item.blocking, item.subject.fields()) == (
        "scim.team_name_required:g1", True, {"groupId": "g1", "groupDisplayName": "sigma-team-"})
    assert item.message == ("group 'sigma-team-' would become a team with a blank name (teams.rules[0].regex): "
                            "Sigma refuses a team without a name, so the team is neither created nor linked")
