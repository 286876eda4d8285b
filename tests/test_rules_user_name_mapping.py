"""Entra ID maps userName from one attribute for every user (tester9 finding 4): the plan says which
attribute sends every planned userName (user_name_guard.idp_mapping), or that none does
(user_name_guard.no_single_mapping, blocking), naming who each leaves."""

from __future__ import annotations

import dataclasses

import msgspec

from planner.model import Email, IdpUser, email_key

from .plan_factory import ADMINS, ROOT, member, plan, review_codes, snapshot, user

CAROL_UPN = "carol_north.example#EXT#@example.com"


def entra_user(idp_id: str, upn: str, mail: str | None, guest: bool = False, first: str = "Given",
               last: str = "Family") -> IdpUser:
    """An Entra user as the loader reads one: mail first (type ``mail``), then the UPN (docs/formats.md §3)."""
    emails = ((Email(mail, email_key(mail), True, "mail"),) if mail else ()) + (
        (Email(upn, email_key(upn), not mail, "userPrincipalName"),) if not guest else ())
    return msgspec.structs.replace(user(idp_id, upn, first=first, last=last), emails=emails, user_type="Guest" if guest else "Member")


def entra_plan(users, members, extra="", idp_format="entra-csv"):
    root = entra_user("u-root", "root@example.com", "root@example.com", first="Root", last="Admin")
    snap = snapshot([ROOT, *members], [root, *users], groups=[ADMINS], with_root=False)
    snap = dataclasses.replace(snap, idp=dataclasses.replace(snap.idp, format=idp_format))
    return plan(snap, extra)


GUARD = """
user_name_guard:
  overrides:
    "carol_north.example#EXT#@example.com": use_sigma_email
"""


def test_mail_sends_every_planned_user_name_the_mapping_says_so():
    """Carol, a B2B guest, is linked with her Sigma email: userPrincipalName would send her #EXT# UPN, mail
    sends every linked user the planned userName (root's mail is his UPN)."""
    p = entra_plan([entra_user("u-carol", CAROL_UPN, "carol@north.example", guest=True)],
                   [member("m1", "carol@north.example", "Given", "Family")], GUARD)
    assert review_codes(p) == [("user_name_guard.configure_idp", False), ("user_name_guard.idp_mapping", False)]
    item = next(r for r in p.review_items if r.code == "user_name_guard.idp_mapping")
    assert item.message == (
        "Entra ID sends every user the userName of one attribute mapping: userPrincipalName would send 1 of the 2 "
        "users the plan links or creates another userName than planned ('carol_north.example#EXT#@example.com' for "
        "'carol@north.example'), and Sigma would make each a second account; mail sends every one of them the "
        "planned userName: map userName from mail (docs/sigma-api.md §5.3, §6.2)")
    assert (item.evidence.attribute, item.evidence.members) == ("mail", 2)
    assert [(c.idp_id, c.email, c.user_name, c.idp_user_name) for c in item.candidates] == [
        ("u-carol", "carol@north.example", "carol@north.example", CAROL_UPN)]
    assert item.resolution == ("# say in the policy that the app reads mail as every user's userName:\n"
                               "linking:\n  scim_user_name: primary_email\n")
    configure = next(r for r in p.review_items if r.code == "user_name_guard.configure_idp")
    assert configure.message == (
        "link with userName 'carol@north.example': Entra ID must send IdP user u-carol the userName "
        f"'carol@north.example', not '{CAROL_UPN}', through the app's one userName attribute mapping (never by "
        "changing the user's userPrincipalName; user_name_guard.idp_mapping names the attribute when the assumed "
        "one does not serve) before provisioning, or Sigma creates a second account")


def test_no_single_attribute_is_blocking_and_names_who_each_leaves():
    """Ann is linked by her UPN, her mail is another address: userPrincipalName leaves Carol, mail leaves Ann."""
    p = entra_plan([entra_user("u-carol", CAROL_UPN, "carol@north.example", guest=True),
                    entra_user("u-ann", "ann@example.com", "ann.lee@example.com")],
                   [member("m1", "carol@north.example", "Given", "Family"), member("m2", "ann@example.com", "Given", "Family")], GUARD)
    item = next(r for r in p.review_items if r.code == "user_name_guard.no_single_mapping")
    assert item.blocking
    assert item.message == (
        "Entra ID sends every user the userName of one attribute mapping, and none sends each of the 3 users the "
        "plan links or creates the userName planned: userPrincipalName leaves 1 ('carol_north.example#EXT#@example.com' "
        "for 'carol@north.example'); mail leaves 1 ('ann.lee@example.com' for 'ann@example.com'); Sigma would make "
        "each user left a second account (docs/sigma-api.md §5.3, §6.2)")
    assert [c.idp_id for c in item.candidates] == ["u-carol"]
    assert "user_name_guard.idp_mapping" not in [r.code for r in p.review_items]


def test_the_assumed_attribute_serving_everyone_says_nothing_and_okta_is_never_judged():
    p = entra_plan([entra_user("u-ann", "ann@example.com", "ann.lee@example.com")], [member("m2", "ann@example.com", "Given", "Family")])
    assert review_codes(p) == []
    # the same guest under an Okta export: the app username is set per user, no mapping item
    p = entra_plan([entra_user("u-carol", CAROL_UPN, "carol@north.example", guest=True)],
                   [member("m1", "carol@north.example", "Given", "Family")], GUARD, idp_format="okta-api")
    assert review_codes(p) == [("user_name_guard.configure_idp", False)]
    assert p.review_items[0].message == (
        "link with userName 'carol@north.example': set the Sigma app username of IdP user u-carol to "
        "'carol@north.example' before provisioning, or Sigma creates a second account")


def test_a_link_whose_user_name_is_still_under_review_is_not_judged():
    """Ann's UPN is not her Sigma email and the guard says review (blocking mismatch): her userName is not decided,
    so no mapping item speaks of her (mail would have served her)."""
    p = entra_plan([entra_user("u-ann", "ann@example.com", "ann.lee@example.com")], [member("m2", "ann.lee@example.com", "Given", "Family")])
    assert review_codes(p) == [("user_name_guard.mismatch", True)]


def test_no_single_mapping_offers_update_sigma_email_only_for_the_members_it_would_move():
    """Tester11 finding 8's class: a snippet never offers what the same rules refuse. Ann's member SCIM provisioned
    (Sigma refuses its REST email change; the guard says review) and Carol's #EXT# UPN (no userName Sigma takes:
    the guard holds her) are named with why; only Dan's member is moved (was: update_sigma_email for all three)."""
    from .test_rules_scim_state import provisioned, with_scim

    users = [entra_user("u-carol", CAROL_UPN, "carol@north.example", guest=True),
             entra_user("u-ann", "ann.lee@example.com", "ann.lee@example.com"),
             entra_user("u-dan", "d.ray@example.com", "dan.ray@example.com")]
    members = [member("m1", "carol@north.example", "Given", "Family"), member("m2", "ann@example.com", "Given", "Family"), member("m3", "dan@example.com")]
    root = entra_user("u-root", "root@example.com", "root@example.com", first="Root", last="Admin")
    snap = snapshot([ROOT, *members], [root, *users], groups=[ADMINS], with_root=False)
    snap = with_scim(dataclasses.replace(snap, idp=dataclasses.replace(snap.idp, format="entra-csv")),
                     [provisioned("m2", "ann@example.com", "u-ann", "Admin")])
    settled = ("user_name_guard:\n  overrides:\n    \"carol_north.example#EXT#@example.com\": use_sigma_email\n"
               "    u-ann: use_sigma_email\n    u-dan: use_sigma_email\npreflight: {previous_scim: same_setup}\n"
               "linking: {scim_state_conflicts: {u-ann: {newer: idp_export, userType: View}}, "
               "overrides: [{idp: u-dan, member: m3}]}\n")
    p = plan(snap, settled)
    [item] = [r for r in p.review_items if r.code == "user_name_guard.no_single_mapping"]
    assert [c.idp_id for c in item.candidates] == ["u-ann", "u-carol", "u-dan"]
    assert item.resolution == (
        "# give each user left the planned address as userPrincipalName in Entra ID and export again, or move the "
        "members to the address userPrincipalName sends (update_sigma_email cannot move u-ann: SCIM provisioned "
        "their member, whose email Sigma refuses to change through REST; u-carol: userPrincipalName sends no "
        "userName Sigma takes):\nuser_name_guard:\n  overrides:\n    u-dan: update_sigma_email\n")

    without_dan = plan(dataclasses.replace(snap, idp=dataclasses.replace(snap.idp, users=snap.idp.users[:-1])),
                       settled.replace("    u-dan: use_sigma_email\n", "").replace(
                           ", overrides: [{idp: u-dan, member: m3}]", ""))
    [item] = [r for r in without_dan.review_items if r.code == "user_name_guard.no_single_mapping"]
    assert item.resolution == (
        "# no policy setting settles this: give each user left the planned address as userPrincipalName in Entra ID "
        "and export again (update_sigma_email moves none of them: u-ann: SCIM provisioned their member, whose email "
        "Sigma refuses to change through REST; u-carol: userPrincipalName sends no userName Sigma takes)\n")
