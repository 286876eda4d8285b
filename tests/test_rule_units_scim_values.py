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


# tester2 findings 5 and 6: a userName Sigma refuses (not NFC: 400 mid-apply, after the member's email was
# already changed) or one a reviewer cannot tell from another (a Cyrillic 'а' in a Latin address)

GUARD_UPDATE = "user_name_guard:\n  on_mismatch: update_sigma_email\n"
NFD = "mate\u0301o.marsh@example.com"
CYRILLIC = "m\u0430teo.marsh@example.com"


def test_a_user_name_that_is_not_nfc_holds_the_person_before_any_action_for_them():
    snap = snapshot([member("m1", "mateo.marsh@example.com", "Mateo", "Marsh")],
                    [user("u1", NFD, emails=["mateo.marsh@example.com"], first="Mateo", last="Marsh")])
    p = plan(snap, GUARD_UPDATE)
    assert kinds(p) == [ROOT_LINK]  # neither members.set_email:m1 nor scim.link_user:m1, nor a deactivation
    (item,) = [r for r in p.review_items if r.code == "scim.unclean_user_name"]
    assert (item.id, item.blocking) == ("scim.unclean_user_name:m1", True)
    assert item.subject.fields() == {"memberId": "m1", "email": "mateo.marsh@example.com", "idpId": "u1",
                                     "userName": NFD}
    assert item.message == (
        f"IdP user u1 would send userName {NFD!r}, which is not in Unicode NFC (composed characters written "
        "decomposed): Sigma's SCIM refuses such a userName (400), so linking member 'mateo.marsh@example.com' "
        "would fail during apply after its email changed; held (neither linked nor created) until the IdP "
        "stores the userName composed (NFC)")
    assert item.evidence == ItemEvidence(user_name=NFD, differences=[
        "not in Unicode NFC (composed characters written decomposed)"])


def test_a_user_to_create_with_a_user_name_that_is_not_nfc_is_held_too():
    p = plan(snapshot([], [user("u1", NFD, first="Mateo", last="Marsh")]))
    assert kinds(p) == [ROOT_LINK]
    (item,) = [r for r in p.review_items if r.code == "scim.unclean_user_name"]
    assert (item.id, item.blocking) == ("scim.unclean_user_name:u1", True)
    assert "so creating this user would fail during apply;" in item.message


def test_a_user_name_mixing_scripts_in_one_label_is_held_with_a_blocking_item():
    snap = snapshot([member("m1", "mateo.marsh@example.com", "Mateo", "Marsh")],
                    [user("u1", CYRILLIC, emails=["mateo.marsh@example.com"], first="Mateo", last="Marsh")])
    p = plan(snap, GUARD_UPDATE)
    assert kinds(p) == [ROOT_LINK]  # no members.set_email to an address that looks identical on screen
    (item,) = [r for r in p.review_items if r.code == "scim.mixed_script_user_name"]
    assert (item.id, item.blocking) == ("scim.mixed_script_user_name:m1", True)
    assert item.message == (
        f"IdP user u1 would send userName {CYRILLIC!r}, whose label 'm\u0430teo.marsh' mixes Latin and Cyrillic "
        "letters (U+0430 CYRILLIC SMALL LETTER A at position 2): it looks like another address on screen, so "
        "linking member 'mateo.marsh@example.com' with it cannot be reviewed; held (neither linked nor created) "
        "until the IdP's userName is written in one script")
    assert item.evidence == ItemEvidence(user_name=CYRILLIC, differences=[
        "label 'm\u0430teo.marsh' mixes Latin and Cyrillic: U+0430 CYRILLIC SMALL LETTER A at position 2"])


def test_scripts_of_an_address_one_script_per_label_is_fine():
    from planner.rules.scim_values import mixed_script_parts

    assert mixed_script_parts("mateo.marsh@example.com") == []
    assert mixed_script_parts("jos\u00e9.m\u00fcller-2@b\u00fccher.example") == []  # accents are Latin
    assert mixed_script_parts("\u0438\u0432\u0430\u043d@\u043f\u0440\u0438\u043c\u0435\u0440.example") == []
    assert mixed_script_parts("\u5c71\u7530\u3072\u308d\u30b7@example.jp") == []  # Han, Hiragana, Katakana: Japanese
    assert mixed_script_parts("paypal@ex\u0430mple.com") == [
        "label 'ex\u0430mple' mixes Latin and Cyrillic: U+0430 CYRILLIC SMALL LETTER A at position 10"]


def test_one_pass_holds_the_refused_and_names_the_cleaned_names_of_those_still_sent():
    # hold_refused's one pass (s18): the cleaned-name item goes to a person still sent, never to one it holds
    # (blank name, or an unclean userName), nor to one not sent (a leaver)
    from planner.directory import Link, Person, PersonStatus
    from planner.rules.scim_values import cleaned_names, hold_refused

    def linked(mid: str, email: str, first: str, last: str, status=PersonStatus.LINK, user_name=None):
        return Person(f"m:{mid}", member(mid, email), user(f"u-{mid}", email, first=first, last=last),
                      Link("user_name", "email", email, "userName", email), status, user_name or email, email)

    people = (linked("m1", "ann@example.com", "An\u202en", "Lee"),
              linked("m2", "bo@example.com", "", "Bo\u200b"),
              linked("m3", "cy@example.com", "C\u202ey", "Ng", user_name=" cy@example.com"),
              linked("m4", "di@example.com", "D\u202ei", "Ko", status=PersonStatus.LEAVER),
              linked("m5", "ed@example.com", "Ed", "Wu"))
    refused = hold_refused(people)
    assert [(p.person, p.status) for p in refused.people] == [
        ("m:m1", PersonStatus.LINK), ("m:m2", PersonStatus.HELD), ("m:m3", PersonStatus.HELD),
        ("m:m4", PersonStatus.LEAVER), ("m:m5", PersonStatus.LINK)]
    assert [r.id for r in refused.unnamed] == ["scim.name_required:m2"]
    assert [r.id for r in refused.unsendable] == ["scim.unclean_user_name:m3"]
    assert [(r.id, r.blocking, r.evidence.differences) for r in refused.cleaned] == [
        ("scim.cleaned_name:m1", False, ["name.givenName: U+202E RIGHT-TO-LEFT OVERRIDE at position 3"])]
    assert refused.people[4] is people[4]  # a person sent as they are is the same record
    assert cleaned_names(people[4].idp_user, people[4].member) is None
