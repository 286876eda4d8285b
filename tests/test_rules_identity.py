"""Issue 14, sections A, B and D (items 1, 2, 3, 12, 13): what is sent is what the IdP will send,
identity collisions inside one IdP export, and links that explain themselves.

Each class pins the exact plan (actions, review items) of a small literal organization.
"""

from __future__ import annotations

import json

import yaml
from msgspec import to_builtins as wire

from planner.model import AccountType, SigmaExport

from .conftest import run_cli
from .plan_factory import BASE_POLICY, by_id, kinds, member, plan, review_codes, snapshot, user

ROOT_LINK = ("scim.link_user", "scim.link_user:root")
EMAILS_FIRST = "linking:\n  match_keys: [emails, user_name]\nunmatched:\n  action: deactivate\n"


# --------------------------------------------------------------------------- D.12 the candidates a link won over


def test_a_link_names_the_idp_user_that_matched_by_a_later_key():
    p = plan(snapshot([member("m1", "ann@example.com", "Given", "Family")],
                      [user("u1", "ann@example.com"), user("u2", "x@example.com", emails=["x@example.com", "ann@example.com"])]))
    assert kinds(p) == [("scim.create_user", "scim.create_user:u2"), ("scim.link_user", "scim.link_user:m1"), ROOT_LINK]
    link = by_id(p)["scim.link_user:m1"]
    assert wire(link.evidence) == {"key": "user_name", "idpField": "userName", "lostCandidates": [
        {"idpId": "u2", "key": "emails", "field": "emails[1]", "value": "ann@example.com"}]}
    assert link.reason == ("link to IdP user u1 (ann@example.com): the Sigma email equals the IdP userName; also "
                           "matched, not linked: IdP user u2 (emails[1] ann@example.com, by emails)")
    assert p.review_items == ()


def test_an_idp_user_matching_a_second_member_by_a_later_key_links_neither():
    # was: link m1 naming m2 as a lost candidate, and deactivate m2 "no IdP user matches" (tester2 finding 9)
    p = plan(snapshot([member("m1", "ann@example.com"), member("m2", "ann.b@example.com")],
                      [user("u1", "ann@example.com", emails=["ann@example.com", "ann.b@example.com"])]),
             "unmatched:\n  action: deactivate\n")
    assert kinds(p) == [ROOT_LINK]
    assert [(r.id, r.blocking, r.rule) for r in p.review_items] == [
        ("linking.ambiguous:u1", True, "linking.match_keys.user_name")]


def test_a_link_names_the_member_that_matched_its_idp_user_by_a_later_key():
    # a pinned link (an override) keeps the other member as a lost candidate: the reviewer decided
    p = plan(snapshot([member("m1", "ann@example.com"), member("m2", "ann.b@example.com")],
                      [user("u1", "ann@example.com", emails=["ann@example.com", "ann.b@example.com"])]),
             "unmatched:\n  action: deactivate\nlinking:\n  overrides: [{idp: u1, member: m1}]\n")
    assert kinds(p) == [("members.deactivate", "members.deactivate:m2"), ("scim.link_user", "scim.link_user:m1"),
                        ROOT_LINK]
    assert wire(by_id(p)["scim.link_user:m1"].evidence)["lostCandidates"] == [
        {"memberId": "m2", "key": "emails", "field": "email", "value": "ann.b@example.com"}]


def test_a_link_with_no_rival_has_no_lost_candidates():
    p = plan(snapshot([member("m1", "ann@example.com")], [user("u1", "ann@example.com")]))
    assert wire(by_id(p)["scim.link_user:m1"].evidence) == {"key": "user_name", "idpField": "userName"}


# --------------------------------------------------------------------------- D.13 an unresolved candidate is held


ITEM13 = dict(
    members=[member("m1", "ann@example.com", "Ann", "A"), member("m2", "bob@example.com", "Bob", "B")],
    users=[user("u1", "ann@example.com", emails=["a.n@example.com", "bob@example.com"]),
           user("u2", "bobby@example.com", emails=["bob@example.com"])],
)


def test_a_member_whose_idp_user_is_ambiguous_on_an_earlier_key_is_a_candidate_never_deactivated():
    p = plan(snapshot(**ITEM13), EMAILS_FIRST)
    assert kinds(p) == [ROOT_LINK]  # no deactivation of m1, no create of u2
    (item,) = p.review_items
    assert (item.code, item.blocking, item.rule) == ("linking.ambiguous", True, "linking.match_keys.emails")
    assert item.subject.fields() == {"idpIds": ["u1", "u2"], "memberIds": ["m1", "m2"]}
    assert item.message == ("2 IdP user(s) and 2 Sigma member(s) are joined by emails and user_name: linking any "
                            "of them would be a guess")
    assert [(c.get("memberId") or c.get("idpId"), c["joined"]) for c in tuple(c.fields() for c in item.candidates)] == [
        ("m1", ["u1 by user_name (userName ann@example.com)"]),
        ("m2", ["u1 by emails (emails[1] bob@example.com)", "u2 by emails (emails[0] bob@example.com)"]),
        ("u1", ["m1 by user_name (email ann@example.com)", "m2 by emails (email bob@example.com)"]),
        ("u2", ["m2 by emails (email bob@example.com)"]),
    ]
    # the suggested fix keeps m1's only candidate for her
    assert yaml.safe_load(item.resolution) == {"linking": {"overrides": [{"idp": "u1", "member": "m1"},
                                                                         {"idp": "u2", "member": "m2"}]}}
    assert [r.sigma_status for r in p.people if r.member_id == "m1"] == ["active"]


def test_the_suggested_fix_settles_the_ambiguity_as_suggested():
    p = plan(snapshot(**ITEM13), EMAILS_FIRST)
    settled = plan(snapshot(**ITEM13), "linking:\n  match_keys: [emails, user_name]\n  overrides: "
                   + json_list(yaml.safe_load(p.review_items[0].resolution)["linking"]["overrides"])
                   + "\nunmatched:\n  action: deactivate\n")
    # u2 sends bobby@, Sigma has bob@: the mismatch question holds m2's link (planning.hold_questioned)
    assert kinds(settled) == [("scim.link_user", "scim.link_user:m1"), ROOT_LINK]
    assert review_codes(settled) == [("user_name_guard.mismatch", True)]


def json_list(value) -> str:
    import json

    return json.dumps(value)


def test_a_member_left_without_a_candidate_is_named_in_the_suggestion():
    # m1 and m2 both have u1 as their only candidate: one of them is necessarily left out
    p = plan(snapshot([member("m1", "ann@example.com"), member("m2", "bob@example.com")],
                      [user("u1", "ab@example.com", emails=["bob@example.com", "ann@example.com"])]),
             "unmatched:\n  action: deactivate\n")
    assert kinds(p) == [ROOT_LINK]
    (item,) = p.review_items
    assert item.code == "linking.ambiguous"
    assert item.resolution == (
        "# pick the member each IdP user is; the pairing m1 -> u1 is only an example (active, most teams, newest first)\n"
        "# m2 would be left without an IdP user: unmatched, the `unmatched` policy decides (deactivate, keep)\n"
        "linking:\n  overrides:\n    - {idp: u1, member: m1}\n"
    )


def test_a_member_whose_only_candidate_a_better_key_linked_to_another_is_held_in_an_ambiguity():
    # emails first: u1 is m2 by precedence, and m1 by the later user_name key: one IdP user, two members,
    # so neither is linked nor m1 deactivated (tester2 finding 9; was: link m2, m1 a lost candidate)
    p = plan(snapshot([member("m1", "ann@example.com"), member("m2", "bob@example.com")],
                      [user("u1", "ann@example.com", emails=["bob@example.com"])]), EMAILS_FIRST)
    assert kinds(p) == [ROOT_LINK]
    (item,) = p.review_items
    assert (item.id, item.blocking, item.rule) == ("linking.ambiguous:u1", True, "linking.match_keys.emails")
    assert item.subject.fields() == {"idpIds": ["u1"], "memberIds": ["m1", "m2"]}


# --------------------------------------------------------------------------- B.3 IdP users sharing an address


def _idp_duplicate_item(p):
    (item,) = [r for r in p.review_items if r.code == "linking.idp_duplicate"]
    return item


def test_two_idp_users_with_one_user_name_in_another_case_are_one_blocking_item_and_no_create():
    p = plan(snapshot([], [user("u1", "ann@example.com"), user("u2", "ANN@example.com")]))
    assert kinds(p) == [ROOT_LINK]
    assert review_codes(p) == [("linking.idp_duplicate", True)]
    item = _idp_duplicate_item(p)
    assert item.subject.fields() == {"idpIds": ["u1", "u2"], "addresses": ["ann@example.com"]}
    assert [c["idpId"] for c in tuple(c.fields() for c in item.candidates)] == ["u1", "u2"]
    assert item.message.startswith("IdP users u1, u2 share ann@example.com (letter case aside) as userName or email")
    assert yaml.safe_load(item.resolution) == {"linking": {"excluded_idp_users": ["u2"]}}


def test_same_email_under_another_user_name_holds_the_link_and_the_create():
    # u1 would link to m1 by userName and u2 (another login, same email) would be created: held instead
    p = plan(snapshot([member("m1", "ann@example.com")],
                      [user("u1", "ann@example.com"), user("u2", "ann.old@example.com", emails=["Ann@example.com"])]),
             "unmatched:\n  action: deactivate\n")
    assert kinds(p) == [ROOT_LINK]  # no link, no create, no deactivation of m1
    assert review_codes(p) == [("linking.idp_duplicate", True)]
    item = _idp_duplicate_item(p)
    assert tuple(c.fields() for c in item.candidates) == (
        {"idpId": "u1", "userName": "ann@example.com", "email": "ann@example.com", "status": "ACTIVE", "matches": ["m1"]},
        {"idpId": "u2", "userName": "ann.old@example.com", "email": "Ann@example.com", "status": "ACTIVE"},
    )
    assert item.resolution.splitlines()[0] == ("# u1 is the person's account (a Sigma member matches it); exclude the "
                                               "others and unassign them from the Sigma app in the IdP")
    assert [r.sigma_status for r in p.people if r.member_id == "m1"] == ["active"]


def test_one_member_matching_two_idp_users_of_one_address_is_only_the_idp_duplicate_item():
    p = plan(snapshot([member("m1", "ann@example.com")], [user("u1", "ann@example.com"), user("u2", "Ann@Example.com")]),
             "unmatched:\n  action: deactivate\n")
    assert kinds(p) == [ROOT_LINK]
    assert review_codes(p) == [("linking.idp_duplicate", True)]
    assert [c.matches for c in _idp_duplicate_item(p).candidates] == [["m1"], ["m1"]]


def test_excluding_the_other_account_settles_it_links_the_person_and_reminds_to_unassign():
    snap = snapshot([member("m1", "ann@example.com")],
                    [user("u1", "ann@example.com"), user("u2", "ann.old@example.com", emails=["Ann@example.com"])])
    p = plan(snap, "linking:\n  excluded_idp_users: [ann.old@example.com]\n")
    assert kinds(p) == [("scim.link_user", "scim.link_user:m1"), ROOT_LINK]
    assert review_codes(p) == [("linking.idp_user_excluded", False), ("scope.assigned_not_provisioned", False)]
    item, kept_out = p.review_items
    assert [(c.idp_id, c.status) for c in kept_out.candidates] == [("u2", "excluded (linking.excluded_idp_users)")]
    assert item.message == ("IdP user u2 (ann.old@example.com) is excluded by linking.excluded_idp_users: the plan "
                            "neither links nor creates it; unassign it from the Sigma app in the IdP, or the IdP "
                            "provisions it anyway")


def test_an_excluded_idp_user_that_is_not_in_the_export_is_blocking():
    p = plan(snapshot([], [user("u1", "ann@example.com")]), "linking:\n  excluded_idp_users: [nobody@example.com]\n")
    assert review_codes(p) == [("policy.unknown_reference", True)]
    assert p.review_items[0].message.endswith(
        "linking.excluded_idp_users[0] names IdP user 'nobody@example.com', which is not in the IdP export; "
        "the entry is ignored")  # no stranger of the same domain suggested


def test_an_inactive_idp_user_sharing_the_address_is_no_collision():
    # only users the IdP provisions collide: a deprovisioned old account does not
    p = plan(snapshot([], [user("u1", "ann@example.com"), user("u2", "ann.old@example.com", emails=["ann@example.com"],
                                                              active=False)]))
    assert kinds(p) == [("scim.create_user", "scim.create_user:u1"), ROOT_LINK]
    assert p.review_items == ()


# --------------------------------------------------------------------------- A.2 values that can never be a userName


def _entra_user(idp_id: str, upn: str, mail: str | None, **kw):
    """An Entra user as the loader builds it: ``mail`` primary, else the UPN as a derived primary email."""
    from planner.model import Email, IdpUser, email_key

    emails = (Email(mail, email_key(mail), True, "mail"),) if mail else (
        Email(upn, email_key(upn), True, "userPrincipalName"),)
    return IdpUser(id=idp_id, user_name=upn, user_name_key=email_key(upn), emails=emails, active=True, **kw)


PRIMARY_EMAIL = "linking:\n  scim_user_name: primary_email\nunmatched:\n  action: deactivate\n"


def test_an_empty_mail_under_the_mail_mapping_holds_the_link_and_says_the_idp_sends_nothing():
    p = plan(snapshot([member("m1", "dan@example.com")], [_entra_user("e1", "dan@example.com", None)]), PRIMARY_EMAIL)
    assert kinds(p) == [ROOT_LINK]  # m1 held: not linked with a userName the IdP never sends, not deactivated
    (item,) = p.review_items
    assert (item.id, item.blocking) == ("user_name_guard.invalid_user_name:m1", True)
    assert item.message == (
        "IdP user e1 sends no userName at all: its email is empty and the IdP app maps userName from the email "
        "(linking.scim_user_name: primary_email, or user_name_guard.overrides: use_primary_email), so the IdP skips "
        "this user (Entra does not send it) and linking member 'dan@example.com' cannot happen")
    assert wire(item.evidence) == {"userName": "", "finding": "invalid-user-name", "problem": "empty"}
    assert [r.sigma_status for r in p.people if r.member_id == "m1"] == ["active"]


def test_an_empty_mail_under_the_mail_mapping_is_never_created_and_never_proposes_the_upn():
    p = plan(snapshot([], [_entra_user("e1", "dan@example.com", None)]), PRIMARY_EMAIL)
    assert kinds(p) == [ROOT_LINK]
    (item,) = p.review_items
    assert (item.id, wire(item.evidence)["problem"]) == ("user_name_guard.invalid_user_name:e1", "empty")
    assert item.resolution == ("# no policy setting settles this: give IdP user e1 an email address as the Sigma app's username, then plan "
                               "again\n")


def test_a_deleted_entra_user_is_a_leaver_and_its_member_follows_unmatched(tmp_path, capsys):
    sigma, idp = tmp_path / "sigma", tmp_path / "idp"
    sigma.mkdir()
    idp.mkdir()
    people = [("root", "root@example.com", "Admin", "internal", "Root Admin"),
              ("a1", "ana.lopez@example.com", "View", "internal", "Ana Lopez"),
              ("g1", "carol@partner.example", "View", "guest", "Carol Nguyen")]
    (sigma / "members.json").write_text(json.dumps([
        {"memberId": mid, "email": email, "firstName": name.split()[0], "lastName": name.split()[1],
         "memberType": kind, "userKind": uk, "isArchived": False, "isInactive": False, "organizationId": "org-1"}
        for mid, email, kind, uk, name in people]), encoding="utf-8")
    (sigma / "teams.json").write_text("[]", encoding="utf-8")
    (sigma / "team_members.json").write_text("{}", encoding="utf-8")
    (idp / "users.csv").write_text(
        "id,userPrincipalName,displayName,givenName,surname,mail,userType,accountEnabled\n"
        "9f1c2d3e-0a1b-4c2d-8e3f-000000000001,root@example.com,Root Admin,Root,Admin,root@example.com,Member,True\n"
        "7c1d9f2e-0a1b-4c2d-8e3f-00000000a1b2,7c1d9f2e0a1b4c2d8e3f00000000a1b2ana.lopez@example.com,Ana Lopez,Ana,"
        "Lopez,,Member,True\n"
        "9f1c2d3e-0a1b-4c2d-8e3f-000000000002,carol_partner.example#EXT#@example.onmicrosoft.com,Carol Nguyen,Carol,"
        "Nguyen,carol@partner.example,Guest,True\n", encoding="utf-8")
    policy_file = tmp_path / "policy.yaml"
    policy_file.write_text(BASE_POLICY.replace("action: keep", "action: deactivate") + "guests:\n  action: convert\n",
                           encoding="utf-8")
    out = tmp_path / "plan.json"
    code, _, _ = run_cli(capsys, "plan", "--sigma", str(sigma), "--idp", str(idp), "--policy", str(policy_file),
                         "--out", str(out), "--detailed-exitcode")
    assert code == 3  # --detailed-exitcode: changes blocked by a review item
    from planner.planfile import read_plan

    p = read_plan(out)
    assert kinds(p) == [("members.deactivate", "members.deactivate:a1"), ("scim.link_user", "scim.link_user:root")]
    assert by_id(p)["members.deactivate:a1"].rule == "unmatched.idp_inactive"
    assert review_codes(p) == [("user_name_guard.invalid_user_name", True)]
    (item,) = p.review_items
    assert (item.id, wire(item.evidence)["problem"]) == ("user_name_guard.invalid_user_name:g1", "guest_upn")
    assert "#EXT#" not in item.resolution
    code, _, _ = run_cli(capsys, "approve", str(out), "--by", "tester")
    assert code == 1  # blocking: nothing can be applied


# --------------------------------------------------------------------------- A.1 what is written is what the IdP sends


DIRTY = " Ann.Lee@example.com\t"


def test_a_dirty_sigma_email_is_cleaned_to_the_idp_user_name_before_the_link_with_an_item():
    p = plan(snapshot([member("m1", DIRTY, "Ann ", "Lee")],
                      [user("u1", "ann.lee@example.com", first=" Ann\u00a0", last="Le\u0301e\u0007")]))
    assert kinds(p) == [("members.set_email", "members.set_email:m1"), ("scim.link_user", "scim.link_user:m1"),
                        ROOT_LINK]
    set_email = by_id(p)["members.set_email:m1"]
    assert (set_email.rule, wire(set_email.before), wire(set_email.after)) == (
        "linking.clean_sigma_email", {"email": DIRTY}, {"email": "ann.lee@example.com"})
    link = by_id(p)["scim.link_user:m1"]
    assert link.depends_on == ("members.set_email:m1",)
    assert wire(link.target)["userName"] == "ann.lee@example.com"
    assert wire(link.after) == {"userName": "ann.lee@example.com", "givenName": "Ann", "familyName": "L\u00e9e",
                          "active": True, "email": "ann.lee@example.com", "userType": "View"}
    cleaned, item = sorted(p.review_items, key=lambda r: r.code != "scim.cleaned_name")
    assert (cleaned.id, cleaned.blocking) == ("scim.cleaned_name:m1", False)  # the BEL is not sent
    assert wire(cleaned.evidence)["differences"] == ["name.familyName: U+0007 CONTROL CHARACTER at position 5"]
    assert (item.id, item.blocking) == ("linking.unclean_sigma_email:m1", False)
    assert item.message == (
        "member m1's Sigma email ' Ann.Lee@example.com\\t' is not the userName the IdP will send "
        "('ann.lee@example.com'): leading U+0020 SPACE; trailing U+0009 TAB. The plan sets the email to "
        "'ann.lee@example.com' (members.set_email) before the link, so the IdP's userName finds this member")
    assert wire(item.evidence)["differences"] == ["leading U+0020 SPACE", "trailing U+0009 TAB"]


def test_an_invisible_character_inside_a_sigma_email_still_matches_and_is_named():
    p = plan(snapshot([member("m1", "ann\u200b@example.com")], [user("u1", "ann@example.com")]))
    assert wire(by_id(p)["members.set_email:m1"].after) == {"email": "ann@example.com"}
    (item,) = p.review_items
    assert wire(item.evidence)["differences"] == ["U+200B ZERO WIDTH SPACE at position 4"]


def test_a_sigma_email_differing_only_in_letter_case_is_linked_as_spelled_with_no_item():
    p = plan(snapshot([member("m1", "Ann.Lee@example.com")], [user("u1", "ann.lee@example.com")]))
    assert kinds(p) == [("scim.link_user", "scim.link_user:m1"), ROOT_LINK]
    assert wire(by_id(p)["scim.link_user:m1"].target)["userName"] == "Ann.Lee@example.com"
    assert p.review_items == ()


def test_an_nfd_idp_user_name_holds_the_person_with_no_item_promising_a_set_email():
    """tester10 finding 15: linking.unclean_sigma_email said 'The plan sets the email to ... (members.set_email)'
    for a person scim.unclean_user_name holds; the item now comes with the set_email it describes."""
    p = plan(snapshot([member("m1", "jos\u00e9.garcia@example.com")], [user("u1", "jose\u0301.garcia@example.com")]))
    assert kinds(p) == [ROOT_LINK]
    (item,) = p.review_items
    assert (item.id, item.blocking) == ("scim.unclean_user_name:m1", True)
    assert item.message == (
        "IdP user u1 would send userName 'jose\u0301.garcia@example.com', which is not in Unicode NFC (composed "
        "characters written decomposed): Sigma's SCIM refuses such a userName (400), so linking member "
        "'jos\u00e9.garcia@example.com' would fail during apply; held (neither linked nor created) until the IdP "
        "stores the userName composed (NFC)")


def test_a_kelvin_sign_in_an_idp_user_name_equal_by_letter_case_holds_the_person_as_not_nfc():
    """tester10 finding 15: U+212A KELVIN SIGN lower-cases to 'k' (so '\u212aelvin.k@' and 'KELVIN.K@' are the
    same letter case aside) but is not in NFC, which Sigma's SCIM refuses (400) whenever the IdP sends it after
    the link: held as a decomposed accent is (was: linked sending the Sigma spelling, no item)."""
    p = plan(snapshot([member("m1", "KELVIN.K@example.com")], [user("u1", "\u212aelvin.k@example.com")]))
    assert kinds(p) == [ROOT_LINK]
    (item,) = p.review_items
    assert (item.id, item.blocking) == ("scim.unclean_user_name:m1", True)
    assert item.message == (
        "IdP user u1 would send userName '\u212aelvin.k@example.com', which is not in Unicode NFC (U+212A KELVIN "
        "SIGN at position 1, which NFC writes 'K'): Sigma's SCIM refuses such a userName (400), so linking member "
        "'KELVIN.K@example.com' would fail during apply; held (neither linked nor created) until the IdP stores "
        "the userName composed (NFC)")
    assert wire(item.evidence)["differences"] == ["not in Unicode NFC (U+212A KELVIN SIGN at position 1, which NFC "
                                                  "writes 'K')"]


def test_use_sigma_email_sends_the_clean_sigma_email_and_cleans_the_member_first():
    p = plan(snapshot([member("m1", "nina.patel@example.com\u00a0", "Given", "Family")],
                      [user("u1", "npatel@example.com", emails=["nina.patel@example.com"])]),
             "user_name_guard:\n  on_mismatch: use_sigma_email\n")
    assert wire(by_id(p)["scim.link_user:m1"].after)["userName"] == "nina.patel@example.com"
    assert wire(by_id(p)["members.set_email:m1"].after) == {"email": "nina.patel@example.com"}
    assert review_codes(p) == [("linking.unclean_sigma_email", False), ("user_name_guard.configure_idp", False)]
    configure = [r for r in p.review_items if r.code == "user_name_guard.configure_idp"][0]
    assert "'nina.patel@example.com'" in configure.message and "\u00a0" not in configure.message


def test_after_apply_a_filter_for_the_clean_value_finds_the_linked_member(tmp_path):
    """End to end on the sandbox, which compares userNames with emails letter case aside and nothing else."""
    import httpx2 as httpx

    from planner.execute.apply import ApplyOptions, apply_plan
    from planner.execute.approve import approve
    from planner.planfile import write_plan
    from planner.planning import plan_from_paths
    from planner.sandbox.server import SandboxServer

    sigma, idp = tmp_path / "sigma", tmp_path / "okta"
    sigma.mkdir()
    idp.mkdir()
    people = [("root", "root@example.com", "Root", "Admin", "Admin"), ("m1", DIRTY, "Ann", "Lee", "View")]
    (sigma / "members.json").write_text(json.dumps([
        {"memberId": mid, "email": email, "firstName": first, "lastName": last, "memberType": kind,
         "userKind": "internal", "isArchived": False, "isInactive": False, "organizationId": "org-1"}
        for mid, email, first, last, kind in people]), encoding="utf-8")
    (sigma / "teams.json").write_text("[]", encoding="utf-8")
    (sigma / "team_members.json").write_text("{}", encoding="utf-8")
    (sigma / "account_types.json").write_text(json.dumps({"entries": [
        {"accountTypeId": "a1", "accountTypeName": "Admin"}, {"accountTypeId": "a2", "accountTypeName": "View"}]}),
        encoding="utf-8")
    (idp / "users.json").write_text(json.dumps([
        {"id": f"00u{n}", "status": "ACTIVE", "profile": {"login": login, "email": login, "firstName": first,
                                                          "lastName": last}}
        for n, (login, first, last) in enumerate([("root@example.com", "Root", "Admin"),
                                                  ("ann.lee@example.com", "Ann", "Lee")])]), encoding="utf-8")
    policy_file = tmp_path / "policy.yaml"
    policy_file.write_text(BASE_POLICY, encoding="utf-8")
    p, _ = plan_from_paths(str(sigma), [str(idp)], str(policy_file))
    assert [a.id for a in p.actions if wire(a.target).get("memberId") == "m1"] == [
        "members.set_email:m1", "scim.link_user:m1"]
    write_plan(p, tmp_path / "plan.json")
    approve(tmp_path / "plan.json", "Ada Admin")
    with SandboxServer(sigma, token_rate=None) as sandbox:
        env = {"SIGMA_CLIENT_ID": sandbox.client_id, "SIGMA_CLIENT_SECRET": sandbox.client_secret,
               "SIGMA_SCIM_TOKEN": sandbox.scim_token}
        report = apply_plan(tmp_path / "plan.json", ApplyOptions(
            rest_base_url=sandbox.base_url, scim_base_url=sandbox.scim_base_url, environ=env, write_html=False))
        assert report.status == "converged"
        found = httpx.get(f"{sandbox.scim_base_url}/Users", params={"filter": 'userName eq "ann.lee@example.com"'},
                          headers=sandbox.scim_headers()).json()
        assert found["totalResults"] == 1
        assert (found["Resources"][0]["id"], found["Resources"][0]["userName"]) == ("m1", "ann.lee@example.com")
        assert sandbox.state.get_member("m1")["email"] == "ann.lee@example.com"
        assert sandbox.state.counts()["members"] == 2  # no second account


def test_the_sandbox_does_not_find_a_dirty_email_by_the_clean_user_name(tmp_path):
    """Why the plan cleans first: a POST /Users with the clean userName creates a second member."""
    import httpx2 as httpx

    from planner.sandbox.server import SandboxServer

    from .execute_support import member as sigma_member

    export = SigmaExport(members=(sigma_member("mAdmin", "admin@example.com", "Admin"), sigma_member("m1", DIRTY)),
                         account_types=(AccountType("a1", "Admin"), AccountType("a2", "Viewer")))
    with SandboxServer(export, token_rate=None) as sandbox:
        body = {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": "ann.lee@example.com",
                "name": {"givenName": "Ann", "familyName": "Lee"}, "active": True}
        created = httpx.post(f"{sandbox.scim_base_url}/Users", json=body, headers=sandbox.scim_headers())
        assert created.status_code == 201 and created.json()["id"] != "m1"
        dirty = httpx.post(f"{sandbox.scim_base_url}/Users", json={**body, "userName": DIRTY},
                           headers=sandbox.scim_headers())
        assert dirty.status_code == 400


def test_a_team_the_plan_would_create_under_a_name_that_is_not_clean_is_held_never_renamed():
    """Issue 10 item 4: the create was sent as 'Data Eng', a name the IdP never pushes (Sigma links a
    group to the team of exactly its name: a second team at the first push), with no item."""
    from .plan_factory import group

    snap = snapshot([member("m1", "ann@example.com")], [user("u1", "ann@example.com")],
                    groups=[group("g5", "sigma-team-Data Eng\u00a0\u200b\u0007", ["u1"])])
    p = plan(snap, "teams:\n  rules:\n    - {match: regex, pattern: '^sigma-team-(.+)$', replace: '\\1'}\n"
                   "  mode: create\n")
    assert [a.id for a in p.actions if "g5" in a.id] == []
    [item] = [r for r in p.review_items if r.code == "teams.unclean_name"]
    assert (item.id, item.blocking) == ("teams.unclean_name:g5", True)
    assert item.message == (
        "group 'sigma-team-Data Eng\\xa0\\u200b\\x07' would become a new team 'Data Eng\\xa0\\u200b\\x07' "
        "(teams.rules[0].regex; a name that is not clean: trailing U+00A0 NO-BREAK SPACE, U+200B ZERO WIDTH SPACE, "
        "U+0007 CONTROL CHARACTER): created cleaned as 'Data Eng' it would not be the name the IdP pushes the "
        "group under (Sigma links a group to the team of exactly its name: a second team at its first push), "
        "created as it is it carries characters nobody sees; held (not created) until the group's name is clean")
    assert item.evidence.differences == ["trailing U+00A0 NO-BREAK SPACE, U+200B ZERO WIDTH SPACE, "
                                         "U+0007 CONTROL CHARACTER"]


def test_the_idp_duplicate_item_names_the_file_row_of_every_user(tmp_path):
    from planner.planning import plan_from_paths

    sigma, idp = tmp_path / "sigma", tmp_path / "okta"
    sigma.mkdir()
    idp.mkdir()
    (sigma / "members.json").write_text(json.dumps([
        {"memberId": mid, "email": email, "firstName": "F", "lastName": "L", "memberType": kind, "userKind": "internal",
         "isArchived": False, "isInactive": False, "organizationId": "org-1"}
        for mid, email, kind in [("root", "root@example.com", "Admin"), ("m1", "ann@example.com", "View")]]),
        encoding="utf-8")
    (sigma / "teams.json").write_text("[]", encoding="utf-8")
    (sigma / "team_members.json").write_text("{}", encoding="utf-8")
    (idp / "users.json").write_text(json.dumps([
        {"id": uid, "status": "ACTIVE", "profile": {"login": login, "email": email, "firstName": "F", "lastName": "L"}}
        for uid, login, email in [("00u0", "root@example.com", "root@example.com"),
                                  ("00u1", "ann@example.com", "ann@example.com"),
                                  ("00u2", "ann.l@example.com", "ANN@example.com")]]), encoding="utf-8")
    policy_file = tmp_path / "policy.yaml"
    policy_file.write_text(BASE_POLICY.replace("action: keep", "action: deactivate"), encoding="utf-8")
    p, _ = plan_from_paths(str(sigma), [str(idp)], str(policy_file))
    assert kinds(p) == [("scim.link_user", "scim.link_user:root")]
    (item,) = p.review_items
    assert item.code == "linking.idp_duplicate"
    users = str(idp / "users.json")
    assert [(c["idpId"], c["row"], c.get("matches")) for c in tuple(c.fields() for c in item.candidates)] == [
        ("00u1", f"{users}:$[1]", ["m1"]), ("00u2", f"{users}:$[2]", None)]


def test_a_sigma_team_name_with_a_stray_space_is_linked_by_its_exact_name_not_created_again():
    from .plan_factory import group, team

    snap = snapshot([member("m1", "ann@example.com")], [user("u1", "ann@example.com")],
                    groups=[group("g1", "Finance", ["u1"]), group("g2", "sigma-team-Data", ["u1"])],
                    teams=[team("t1", "Finance "), team("t2", "\tData")], memberships={"t1": ["m1"], "t2": ["m1"]})
    p = plan(snap, "teams:\n  rules:\n    - {match: exact}\n"
                   "    - {match: regex, pattern: '^sigma-team-(.+)$', replace: '\\1'}\n  mode: create\n")
    groups = sorted((a.kind.value, wire(a.target)["teamId"], wire(a.after)["displayName"]) for a in p.actions
                    if a.kind.value in ("scim.link_group", "scim.create_group"))
    assert groups == [("scim.link_group", "t1", "Finance "), ("scim.link_group", "t2", "\tData")]
    renamed = sorted((r.subject.fields()["name"], r.subject.fields()["groupDisplayName"]) for r in p.review_items
                     if r.code == "teams.renamed_by_idp")
    assert renamed == [("\tData", "sigma-team-Data"), ("Finance ", "Finance")]
    unclean = sorted((r.id, r.blocking, r.message) for r in p.review_items if r.code == "teams.unclean_name")
    assert unclean == [
        ("teams.unclean_name:g1", False, "team 'Finance ' (t1) has a name that is not clean (trailing U+0020 SPACE): "
         "the plan links group 'Finance' to it under that exact name, as Sigma holds it (a cleaned name would match "
         "no team); rename the team in Sigma if the characters are not wanted"),
        ("teams.unclean_name:g2", False, "team '\\tData' (t2) has a name that is not clean (leading U+0009 TAB): "
         "the plan links group 'sigma-team-Data' to it under that exact name, as Sigma holds it (a cleaned name "
         "would match no team); rename the team in Sigma if the characters are not wanted")]
