"""Near addresses (tester6 findings 2-5): two addresses Sigma holds apart (letter case aside, nothing
else) that a reader may take for one are never linked, created or deactivated on their own: one blocking
``linking.same_person_hint`` holds both sides, and no suggested fix adopts or aliases a look-alike."""

from __future__ import annotations

import unicodedata

import yaml
from msgspec import to_builtins as wire

from .plan_factory import by_id, kinds, member, plan, review_codes, snapshot, user
from planner.model import email_key
from planner.near_addresses import (
    CAPITALS_SKELETON, CASE_FOLDING, COMPATIBILITY, FOLDED, LOOK_ALIKE, SKELETON, TURKISH_I, near_keys, near_reason, skeleton,
)

ROOT_LINK = ("scim.link_user", "scim.link_user:root")
DEACTIVATE = "unmatched:\n  action: deactivate\n"
ACE_CYRILLIC = "\u0430\u0441\u0435@acme.example"  # а с е: all three Cyrillic
HOLD = "neither is created nor deactivated until the policy decides"


def hint(p):
    (item,) = [r for r in p.review_items if r.code == "linking.same_person_hint"]
    return item


# --------------------------------------------------------------------------- the keys


def test_the_link_key_is_what_sigma_compares_nfc_and_letter_case_only():
    assert email_key(" Alice@Example.COM\u200b") == "alice@example.com"
    assert email_key("jose\u0301@acme.example") == email_key("jos\u00e9@acme.example") == "jos\u00e9@acme.example"
    assert email_key("stra\u00dfe@acme.example") == "stra\u00dfe@acme.example"  # never casefold(): not strasse
    assert email_key("\uff43arl@acme.example") == "\uff43arl@acme.example"  # never NFKC: fullwidth stays
    assert email_key("IRMAK@acme.example") == "irmak@acme.example"
    assert email_key("\u0131rmak@acme.example") == "\u0131rmak@acme.example"  # dotless ı is not i


def test_near_keys_and_the_reason_of_each_kind():
    assert near_keys("ace@acme.example") == frozenset({(FOLDED, "ace@acme.example"), (SKELETON, "ace@acrne.exarnple"),
                                                       (CAPITALS_SKELETON, "ACE@ACME.EXAMPLE")})
    assert (SKELETON, "ace@acrne.exarnple") in near_keys(ACE_CYRILLIC)
    assert near_reason("ace@acme.example", ACE_CYRILLIC) == LOOK_ALIKE
    assert near_reason("oscar@acme.example", "\u03bfscar@acme.example") == LOOK_ALIKE  # Greek ο
    assert near_reason("strasse@acme.example", "stra\u00dfe@acme.example") == CASE_FOLDING
    assert near_reason("carl@acme.example", "\uff43arl@acme.example") == COMPATIBILITY
    assert near_reason(email_key("IRMAK@acme.example"), "\u0131rmak@acme.example") == TURKISH_I
    assert near_reason(email_key("\u0130LKER@acme.example"), "ilker@acme.example") == TURKISH_I
    assert near_reason("mary@acme.example", "rnary@acme.example") == LOOK_ALIKE
    assert near_reason("ann@acme.example", "anne@acme.example") is None
    assert near_reason("ann@acme.example", "ann@acme.example") is None
    assert skeleton("\u0430") == "a" and skeleton("m") == "rn"


def test_capital_look_alikes_are_near_though_their_lower_case_is_not():
    # tester7 NEW-1: Greek ΤΟΡ@ and Cyrillic МОТН@ read as TOP@ and MOTH@ only in capitals; the email
    # key lower-cases them to τορ@ and мотн@, whose skeletons are no Latin letters
    tau_omicron_rho = email_key("\u03a4\u039f\u03a1@acme.example")
    em_o_te_en = email_key("\u041c\u041e\u0422\u041d@acme.example")
    assert tau_omicron_rho == "\u03c4\u03bf\u03c1@acme.example"
    assert near_reason("top@acme.example", tau_omicron_rho) == near_reason(tau_omicron_rho, "top@acme.example") == LOOK_ALIKE
    assert near_reason(em_o_te_en, "moth@acme.example") == LOOK_ALIKE
    assert (CAPITALS_SKELETON, "TOP@ACME.EXAMPLE") in near_keys(tau_omicron_rho)
    assert near_reason("bob0@acme.example", "bobo@acme.example") is None  # both ASCII: never by capitals alone


def test_a_capital_greek_look_alike_login_is_one_blocking_hint_and_so_is_the_reverse():
    top_greek = "\u03a4\u039f\u03a1@acme.example"
    p = plan(snapshot([member("m1", "TOP@acme.example")], [user("00u9", top_greek)]), DEACTIVATE)
    assert kinds(p) == [ROOT_LINK]  # no scim.create_user:00u9, no members.deactivate:m1
    assert review_codes(p) == [("linking.same_person_hint", True)]
    assert [(h.member_id, h.idp_id, h.why) for h in hint(p).evidence.hints] == [("m1", "00u9", LOOK_ALIKE)]
    moth_cyrillic = "\u041c\u041e\u0422\u041d@acme.example"
    p = plan(snapshot([member("m2", moth_cyrillic)], [user("00u8", "MOTH@acme.example")]), DEACTIVATE)
    assert kinds(p) == [ROOT_LINK]
    assert [(h.member_id, h.idp_id, h.why) for h in hint(p).evidence.hints] == [("m2", "00u8", LOOK_ALIKE)]


# --------------------------------------------------------------------------- finding 2: whole-script look-alike


def test_a_whole_script_look_alike_login_is_one_blocking_hint_never_create_and_deactivate():
    snap = snapshot([member("m1", "ace@acme.example", "Ace", "Ventura")], [user("00u5", ACE_CYRILLIC)])
    p = plan(snap, DEACTIVATE)
    assert kinds(p) == [ROOT_LINK]  # no scim.create_user:00u5, no members.deactivate:m1
    assert review_codes(p) == [("linking.same_person_hint", True)]
    item = hint(p)
    assert item.id == "linking.same_person_hint:00u5"
    assert item.subject.fields() == {"idpIds": ["00u5"], "memberIds": ["m1"]}
    assert item.message == (
        f"ace@acme.example (no IdP identity) and {ACE_CYRILLIC} (would be created) have the look-alike address "
        f"(Unicode confusables, UTS #39): never linked on that alone; {ACE_CYRILLIC!r} is not 'ace@acme.example' "
        "to Sigma (letter case aside, nothing else): "
        f"{ACE_CYRILLIC!r} has U+0430 CYRILLIC SMALL LETTER A at position 1, U+0441 CYRILLIC SMALL LETTER ES at "
        f"position 2, U+0435 CYRILLIC SMALL LETTER IE at position 3; {HOLD}")
    assert [(h.member_id, h.idp_id, h.why) for h in item.evidence.hints] == [("m1", "00u5", LOOK_ALIKE)]
    assert yaml.safe_load(item.resolution) == {"linking": {"overrides": [{"idp": "00u5", "member": "m1"}]},
                                               "user_name_guard": {"overrides": {"00u5": "use_sigma_email"}}}
    assert "#     - {idp: 00u5, member: never}" in item.resolution
    assert "domain_aliases" not in item.resolution and "update_sigma_email" not in item.resolution
    assert [(r.member_id, r.idp_id, r.actions, r.review_items) for r in p.people if r.email != "root@example.com"] == [
        ("m1", None, (), ("linking.same_person_hint:00u5",)), (None, "00u5", (), ("linking.same_person_hint:00u5",))]


def test_a_greek_omicron_for_o_is_held_the_same_way():
    snap = snapshot([member("m1", "oscar@acme.example")], [user("00u7", "\u03bfscar@acme.example")])
    p = plan(snap, DEACTIVATE)
    assert kinds(p) == [ROOT_LINK]
    assert [(h.member_id, h.idp_id, h.why) for h in hint(p).evidence.hints] == [("m1", "00u7", LOOK_ALIKE)]


def test_near_addresses_are_hinted_even_with_name_hints_off():
    snap = snapshot([member("m1", "ace@acme.example")], [user("00u5", ACE_CYRILLIC)])
    p = plan(snap, DEACTIVATE + "linking:\n  name_hints: false\n")
    assert kinds(p) == [ROOT_LINK]
    assert review_codes(p) == [("linking.same_person_hint", True)]


def test_the_suggested_link_sends_the_members_email_and_settles_the_hint():
    snap = snapshot([member("m1", "ace@acme.example")], [user("00u5", ACE_CYRILLIC)])
    p = plan(snap, DEACTIVATE + hint(plan(snap, DEACTIVATE)).resolution)
    assert kinds(p) == [("scim.link_user", "scim.link_user:m1"), ROOT_LINK]  # no members.set_email:m1
    link = by_id(p)["scim.link_user:m1"]
    assert (wire(link.target)["userName"], wire(link.target)["idpUserName"]) == ("ace@acme.example", ACE_CYRILLIC)
    assert review_codes(p) == [("user_name_guard.configure_idp", False)]


# --------------------------------------------------------------------------- finding 3: Turkish I


def test_turkish_dotless_and_dotted_i_are_each_one_blocking_hint():
    snap = snapshot([member("m4", "IRMAK@acme.example"), member("m5", "\u0130LKER@acme.example")],
                    [user("00u3", "\u0131rmak@acme.example"), user("00u4", "ilker@acme.example")])
    p = plan(snap, DEACTIVATE)
    assert kinds(p) == [ROOT_LINK]
    assert review_codes(p) == [("linking.same_person_hint", True)] * 2
    ilker, irmak = sorted((r for r in p.review_items), key=lambda r: r.id)[::-1]
    assert irmak.id == "linking.same_person_hint:00u3"
    assert irmak.message == (
        "IRMAK@acme.example (no IdP identity) and \u0131rmak@acme.example (would be created) have the same address "
        "but for the Turkish I (I \u0131 \u0130 i): never linked on that alone; '\u0131rmak@acme.example' is not "
        "'IRMAK@acme.example' to Sigma (letter case aside, nothing else): '\u0131rmak@acme.example' has U+0131 "
        f"LATIN SMALL LETTER DOTLESS I at position 1; {HOLD}")
    assert ilker.id == "linking.same_person_hint:00u4"
    assert [(h.member_id, h.idp_id, h.why) for h in ilker.evidence.hints] == [("m5", "00u4", TURKISH_I)]
    assert "'\u0130LKER@acme.example' has U+0130 LATIN CAPITAL LETTER I WITH DOT ABOVE at position 1" in ilker.message


# --------------------------------------------------------------------------- finding 4: ß is not ss


def test_sharp_s_is_never_linked_to_ss_nor_the_email_rewritten():
    snap = snapshot([member("m3", "strasse@acme.example")], [user("00u2", "stra\u00dfe@acme.example")])
    p = plan(snap, DEACTIVATE)
    assert kinds(p) == [ROOT_LINK]  # before: members.set_email:m3 + scim.link_user:m3 "the Sigma email equals"
    assert review_codes(p) == [("linking.same_person_hint", True)]
    item = hint(p)
    assert item.message == (
        "strasse@acme.example (no IdP identity) and stra\u00dfe@acme.example (would be created) have the same "
        "address under full case folding (\u00df = ss): never linked on that alone; 'stra\u00dfe@acme.example' is "
        "not 'strasse@acme.example' to Sigma (letter case aside, nothing else): 'stra\u00dfe@acme.example' has "
        f"U+00DF LATIN SMALL LETTER SHARP S at position 5; {HOLD}")


def test_a_fullwidth_letter_is_a_hint_not_a_link():
    snap = snapshot([member("m1", "carl@acme.example")], [user("00u9", "\uff43arl@acme.example")])
    p = plan(snap, DEACTIVATE)
    assert kinds(p) == [ROOT_LINK]
    assert [(h.member_id, h.idp_id, h.why) for h in hint(p).evidence.hints] == [("m1", "00u9", COMPATIBILITY)]


def test_an_nfd_only_difference_is_still_linked_with_the_email_cleaned_first():
    nfd = unicodedata.normalize("NFD", "jos\u00e9@acme.example")
    snap = snapshot([member("m1", nfd)], [user("00u1", "jos\u00e9@acme.example")])
    p = plan(snap, DEACTIVATE)
    assert kinds(p) == [("members.set_email", "members.set_email:m1"), ("scim.link_user", "scim.link_user:m1"),
                        ROOT_LINK]
    assert wire(by_id(p)["members.set_email:m1"].after) == {"email": "jos\u00e9@acme.example"}
    assert review_codes(p) == [("linking.unclean_sigma_email", False)]


# --------------------------------------------------------------------------- finding 5: no look-alike suggested


def test_a_homoglyph_domain_is_never_suggested_as_a_domain_alias():
    snap = snapshot([member("m4", "paul@acme.example")], [user("00u6", "paul@\u0430cme.example")])
    p = plan(snap, DEACTIVATE)
    assert kinds(p) == [ROOT_LINK]
    item = hint(p)
    assert item.message == (
        "paul@acme.example (no IdP identity) and paul@\u0430cme.example (would be created) have the look-alike "
        "address (Unicode confusables, UTS #39) and the same local part: never linked on that alone; "
        "'paul@\u0430cme.example' is not 'paul@acme.example' to Sigma (letter case aside, nothing else): "
        "'paul@\u0430cme.example' has U+0430 CYRILLIC SMALL LETTER A at position 6; label '\u0430cme' mixes "
        "Cyrillic and Latin: U+0063 LATIN SMALL LETTER C at position 7, U+006D LATIN SMALL LETTER M at position 8, "
        f"U+0065 LATIN SMALL LETTER E at position 9; {HOLD}")
    assert yaml.safe_load(item.resolution) == {"linking": {"overrides": [{"idp": "00u6", "member": "m4"}]},
                                               "user_name_guard": {"overrides": {"00u6": "use_sigma_email"}}}
    assert "domain_aliases" not in item.resolution


def test_a_mixed_script_login_linked_by_email_is_never_suggested_as_the_members_email():
    alice = "\u0430lice@acme.example"
    snap = snapshot([member("m6", "alice@acme.example", "Given", "Family")],
                    [user("00u5", alice, emails=["alice@acme.example"])])
    p = plan(snap, DEACTIVATE)
    assert review_codes(p) == [("user_name_guard.mismatch", True)]
    (item,) = p.review_items
    assert item.message == (
        f"IdP user 00u5 sends userName {alice!r} but the Sigma member's email is 'alice@acme.example': Sigma "
        f"would create a second account instead of linking, and {alice!r} is a look-alike of 'alice@acme.example' "
        "(label '\u0430lice' mixes Cyrillic and Latin: U+006C LATIN SMALL LETTER L at position 2, U+0069 LATIN "
        "SMALL LETTER I at position 3, U+0063 LATIN SMALL LETTER C at position 4, U+0065 LATIN SMALL LETTER E at "
        "position 5): never adopted")
    assert yaml.safe_load(item.resolution) == {"user_name_guard": {"overrides": {"00u5": "use_sigma_email"}}}
    assert "update_sigma_email" not in item.resolution
    assert wire(item.evidence) == {
        "linkedBy": "emails", "sigmaEmail": "alice@acme.example", "idpUserName": alice, "differences": [
            "label '\u0430lice' mixes Cyrillic and Latin: U+006C LATIN SMALL LETTER L at position 2, U+0069 LATIN "
            "SMALL LETTER I at position 3, U+0063 LATIN SMALL LETTER C at position 4, U+0065 LATIN SMALL LETTER E "
            "at position 5"]}


def test_update_sigma_email_never_adopts_a_whole_script_look_alike_unless_an_override_names_the_user():
    snap = snapshot([member("m1", "ace@acme.example", "Given", "Family")],
                    [user("00u5", ACE_CYRILLIC, emails=["ace@acme.example"])])
    p = plan(snap, DEACTIVATE + "user_name_guard:\n  on_mismatch: update_sigma_email\n")
    assert kinds(p) == [ROOT_LINK]  # no members.set_email:m1, and the question holds the link
    assert review_codes(p) == [("user_name_guard.mismatch", True)]
    assert yaml.safe_load(p.review_items[0].resolution) == {
        "user_name_guard": {"overrides": {"00u5": "use_sigma_email"}}}
    kept = plan(snap, DEACTIVATE + "user_name_guard:\n  overrides:\n    00u5: use_sigma_email\n")
    assert wire(by_id(kept)["scim.link_user:m1"].after)["userName"] == "ace@acme.example"
    chosen = plan(snap, DEACTIVATE + "user_name_guard:\n  overrides:\n    00u5: update_sigma_email\n")
    assert kinds(chosen) == [("members.set_email", "members.set_email:m1"), ("scim.link_user", "scim.link_user:m1"),
                             ROOT_LINK]


# --------------------------------------------------------------------------- mojibake (tester7 NEW-3)


def test_repaired_mojibake_reads_utf8_once_read_as_cp1252_back_and_nothing_else():
    from planner.near_addresses import repaired_mojibake
    assert repaired_mojibake("jos\u00c3\u00a9@acme.example") == "jos\u00e9@acme.example"
    assert repaired_mojibake("jos\u00e3\u00a9@acme.example") == "jos\u00e9@acme.example"  # its email key
    assert repaired_mojibake("jos\u00e9@acme.example") is None
    assert repaired_mojibake("ace@acme.example") is None


def test_a_mojibake_login_is_one_blocking_hint_per_person_never_create_and_deactivate():
    """tester7 NEW-3 (/tmp/t7-25/M1): a UTF-8 users file holding josÃ©@ and renÃ©e@ once planned
    deactivate josé@ and renée@ and create the mojibake accounts, with 0 findings."""
    from planner.near_addresses import MOJIBAKE_OF
    jose, renee = "jos\u00e9@acme.example", "ren\u00e9e@acme.example"
    jose_m, renee_m = "jos\u00c3\u00a9@acme.example", "ren\u00c3\u00a9e@acme.example"
    snap = snapshot([member("M003", jose, "F3", "L3"), member("M004", renee, "F4", "L4")],
                    [user("00u4", jose_m), user("00u5", renee_m)])
    p = plan(snap, DEACTIVATE)
    assert kinds(p) == [ROOT_LINK]  # no scim.create_user, no members.deactivate
    assert review_codes(p) == [("linking.same_person_hint", True)] * 2
    items = sorted((r for r in p.review_items if r.code == "linking.same_person_hint"), key=lambda r: r.id)
    assert [i.id for i in items] == ["linking.same_person_hint:00u4", "linking.same_person_hint:00u5"]
    assert [(h.member_id, h.idp_id, h.why) for i in items for h in i.evidence.hints] == [
        ("M003", "00u4", MOJIBAKE_OF), ("M004", "00u5", MOJIBAKE_OF)]
    assert items[0].message.startswith(
        f"{jose} (no IdP identity) and {jose_m} (would be created) have the same address but for mojibake: "
        "the address looks like mojibake of the other (UTF-8 read as cp1252, saved again as UTF-8): "
        "never linked on that alone; ")
    assert items[0].message.endswith(HOLD)
    assert near_reason(email_key(jose), email_key(jose_m)) == near_reason(email_key(jose_m), email_key(jose)) == MOJIBAKE_OF
