"""Guests and the same person in another form (tester17 findings 5, 1, 9).

Plans over real files: the acme Entra sample (samples/acme/entra) copied and edited a few cells, planned with the
reviewed policy (samples/acme/policy-entra-reviewed.yaml), as ``sigma-migrate plan`` reads them."""

from __future__ import annotations

import shutil
from pathlib import Path

import yaml
from msgspec import to_builtins as wire

from planner.planning import plan_from_paths

ACME = Path(__file__).resolve().parents[1] / "samples" / "acme"
CAROL_GUEST = "1OLfsTOWkRcJMtkNaSgdDd91YEXAg"  # carol.nguyen@northpartners.example, a guest member of the sample
CAROL_B2B = "26360456-7b15-4cd5-bf1d-78569f8aa423"  # her B2B guest user in samples/acme/entra
CAROL_EMPLOYEE = "c0ffee00-2222-4222-8333-444455556666"
CAROL_OVERRIDE = "    'carol.nguyen_northpartners.example#EXT#@acme.example': use_sigma_email\n"
EMPLOYEE_ROW = (f"{CAROL_EMPLOYEE},carol.nguyen@acme.example,Carol Nguyen,Nguyen,carol.nguyen@acme.example,Carol,"
                "Member,Analyst,Customer Success,True,US,Acme Corp,E99001,2026-10-01T09:00:00Z,,,\r\n")


def entra_copy(tmp_path: Path) -> Path:
    """A copy of the sample's Entra CSV export under ``tmp_path/entra``."""
    return Path(shutil.copytree(ACME / "entra", tmp_path / "entra"))


def edit(path: Path, old: str, new: str) -> None:
    """Replace ``old`` (present exactly once) by ``new`` in ``path``, bytes as written (CRLF kept)."""
    text = path.read_bytes().decode("utf-8-sig")
    assert text.count(old) == 1, old
    path.write_bytes(("\ufeff" if path.read_bytes().startswith(b"\xef\xbb\xbf") else "").encode()
                     + text.replace(old, new).encode())


def reviewed_policy(tmp_path: Path, extra: str = "", drop: str = "") -> Path:
    """The sample's reviewed Entra policy, ``drop`` (a line) taken out and ``extra`` (YAML merged at the top
    level, key by key) added."""
    text = (ACME / "policy-entra-reviewed.yaml").read_text()
    if drop:
        assert drop in text
        text = text.replace(drop, "")
    data = yaml.safe_load(text)
    for key, value in (yaml.safe_load(extra) or {}).items():
        if isinstance(value, dict) and isinstance(data.get(key), dict):
            for sub, subvalue in value.items():
                if isinstance(subvalue, list) and isinstance(data[key].get(sub), list):
                    data[key][sub] = data[key][sub] + subvalue
                else:
                    data[key][sub] = subvalue
        else:
            data[key] = value
    path = tmp_path / "policy.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def plan_of(idp: Path, policy: Path):
    plan, _ = plan_from_paths(str(ACME / "sigma"), [str(idp)], str(policy))
    return plan


def about(plan, *ids: str) -> list[str]:
    """The ids of the actions whose id names one of ``ids``, sorted."""
    return sorted(a.id for a in plan.actions if any(i in a.id for i in ids))


def items_about(plan, *ids: str) -> list[tuple[str, bool]]:
    """(code, blocking) of the review items whose subject or candidates name one of ``ids``."""
    out = []
    for r in plan.review_items:
        text = repr(wire(r.subject)) + repr([wire(c) for c in r.candidates])
        if any(i in text for i in ids):
            out.append((r.code, r.blocking))
    return sorted(out)


# --------------------------------------------------------------------------- finding 5: a guest hired


def hired_guest(tmp_path: Path) -> Path:
    """The sample without Carol's B2B guest user and with Carol as an employee in Sigma-Viewers (repro 5)."""
    idp = entra_copy(tmp_path)
    users = idp / "users.csv"
    row = next(line for line in users.read_bytes().decode("utf-8-sig").splitlines(keepends=True)
               if line.startswith(CAROL_B2B))
    edit(users, row, EMPLOYEE_ROW)
    partners = idp / "group_members" / "Sigma-Partners.csv"
    edit(partners, f"{CAROL_B2B},carol.nguyen_northpartners.example#EXT#@acme.example,Carol Nguyen,User\r\n", "")
    edit(idp / "group_members" / "Sigma-Viewers.csv",
         "b6fd07ca-df0f-4db2-9768-cfcb57ef8454,enzo.yilmaz@acme.example,Enzo Yilmaz,User\r\n",
         "b6fd07ca-df0f-4db2-9768-cfcb57ef8454,enzo.yilmaz@acme.example,Enzo Yilmaz,User\r\n"
         f"{CAROL_EMPLOYEE},carol.nguyen@acme.example,Carol Nguyen,User\r\n")
    return idp


def test_a_guest_hired_as_an_employee_is_one_blocking_hint_neither_disabled_nor_created(tmp_path):
    idp = hired_guest(tmp_path)
    plan = plan_of(idp, reviewed_policy(tmp_path, drop=CAROL_OVERRIDE))
    assert about(plan, CAROL_GUEST, CAROL_EMPLOYEE) == []  # was: members.disable_guest + scim.create_user
    assert items_about(plan, CAROL_GUEST, CAROL_EMPLOYEE) == [("linking.same_person_hint", True)]
    (item,) = [r for r in plan.review_items if r.code == "linking.same_person_hint"]
    assert item.id == f"linking.same_person_hint:{CAROL_EMPLOYEE}"
    assert item.message == (
        "carol.nguyen@northpartners.example (guest, would be disabled) and carol.nguyen@acme.example (would be "
        "created) have the same local part and the same name: never linked on that alone; neither is created nor "
        "disabled until the policy decides")
    assert [c.fields() for c in item.candidates] == [
        {"memberId": CAROL_GUEST, "email": "carol.nguyen@northpartners.example", "name": "Carol Nguyen",
         "status": "guest, would be disabled"},
        {"idpId": CAROL_EMPLOYEE, "userName": "carol.nguyen@acme.example", "name": "Carol Nguyen",
         "status": "would be created"}]
    assert item.resolution == (
        f"# same person: link IdP user {CAROL_EMPLOYEE} to guest carol.nguyen@northpartners.example, who is "
        "converted to an internal member and keeps their work:\n"
        "# not the same person (the `never` below): the IdP user is created and guest "
        "carol.nguyen@northpartners.example disabled, their documents going to the document owner\n"
        "linking:\n  overrides:\n"
        f"    - {{idp: {CAROL_EMPLOYEE}, member: {CAROL_GUEST}}}\n"
        "# or:\n# linking:\n#   overrides:\n"
        f"#     - {{idp: {CAROL_EMPLOYEE}, member: never}}\n")
    assert [r.code for r in plan.review_items if r.blocking] == ["linking.same_person_hint"]


def test_the_hint_on_a_guest_settles_as_a_conversion_or_as_a_disable_and_a_create(tmp_path):
    idp = hired_guest(tmp_path)
    same = plan_of(idp, reviewed_policy(
        tmp_path, f"linking:\n  overrides: [{{idp: {CAROL_EMPLOYEE}, member: {CAROL_GUEST}}}]\n"
                  f"user_name_guard:\n  overrides: {{{CAROL_EMPLOYEE}: update_sigma_email}}\n", drop=CAROL_OVERRIDE))
    assert about(same, CAROL_GUEST, CAROL_EMPLOYEE) == [
        f"members.convert_guest:{CAROL_GUEST}", f"members.set_email:{CAROL_GUEST}", f"scim.link_user:{CAROL_GUEST}",
        f"scim.set_account_type:{CAROL_GUEST}"]
    assert items_about(same, CAROL_GUEST, CAROL_EMPLOYEE) == []
    other = plan_of(idp, reviewed_policy(
        tmp_path, f"linking:\n  overrides: [{{idp: {CAROL_EMPLOYEE}, member: never}}]\n", drop=CAROL_OVERRIDE))
    assert about(other, CAROL_GUEST, CAROL_EMPLOYEE) == [
        f"members.disable_guest:{CAROL_GUEST}", f"scim.create_user:{CAROL_EMPLOYEE}"]
    assert items_about(other, CAROL_GUEST, CAROL_EMPLOYEE) == []


def test_under_guests_action_disable_the_link_snippet_converts():
    from .plan_factory import member, plan, review_codes, snapshot, user

    snap = snapshot([member("g1", "carol.nguyen@partner.example", "Carol", "Nguyen", user_kind="guest")],
                    [user("u1", "carol.nguyen@example.com", first="Carol", last="Nguyen")])
    p = plan(snap)
    assert review_codes(p) == [("linking.same_person_hint", True)]
    assert yaml.safe_load(p.review_items[0].resolution) == {
        "guests": {"action": "convert"}, "linking": {"overrides": [{"idp": "u1", "member": "g1"}]}}
    assert "(guests.action: convert also converts the other guests an IdP user links to)" in p.review_items[0].resolution


# --------------------------------------------------------------------------- finding 1: a guest's mail changed


def mail_changed(tmp_path: Path) -> Path:
    """The sample with Carol's B2B guest mail changed to another domain, her #EXT# UPN unchanged (repro 1)."""
    idp = entra_copy(tmp_path)
    edit(idp / "users.csv", "Carol Nguyen,,carol.nguyen@northpartners.example,",
         "Carol Nguyen,,carol.nguyen@southpartners.example,")
    return idp


def test_a_b2b_guest_whose_mail_is_not_her_invited_address_is_one_blocking_doubt(tmp_path):
    plan = plan_of(mail_changed(tmp_path), ACME / "policy-entra-reviewed.yaml")
    assert about(plan, CAROL_GUEST, CAROL_B2B) == []  # was: members.disable_guest, documents to tomasz.nowak
    # was: informational guests.idp_guest_not_created, scope.assigned_not_provisioned and policy.unused_entry
    assert items_about(plan, CAROL_GUEST, CAROL_B2B) == [("guests.invited_address_differs", True)]
    assert [r.code for r in plan.review_items if r.code == "policy.unused_entry"] == []
    (item,) = [r for r in plan.review_items if r.code == "guests.invited_address_differs"]
    assert item.id == f"guests.invited_address_differs:{CAROL_B2B}"
    assert item.message == (
        f"IdP guest user {CAROL_B2B}: its userPrincipalName 'carol.nguyen_northpartners.example#EXT#@acme.example' "
        "encodes the invited address 'carol.nguyen@northpartners.example', but its mail is "
        f"'carol.nguyen@southpartners.example'; guest {CAROL_GUEST} has the invited address "
        "'carol.nguyen@northpartners.example': which address is the person? held (neither linked, converted, "
        "disabled nor created) until the policy says; the policy's user_name_guard.overrides entry "
        "'carol.nguyen_northpartners.example#EXT#@acme.example' waits for the answer")
    assert wire(item.evidence) == {"addresses": ["carol.nguyen@northpartners.example",
                                                 "carol.nguyen@southpartners.example"]}
    assert yaml.safe_load(item.resolution) == {"linking": {"overrides": [{"idp": CAROL_B2B, "member": CAROL_GUEST}]}}
    assert f"#     - {{idp: {CAROL_B2B}, member: never}}\n" in item.resolution
    assert [r.code for r in plan.review_items if r.blocking] == ["guests.invited_address_differs"]


def test_the_invited_address_doubt_settles_by_an_override_and_the_guard_entry_then_applies(tmp_path):
    idp = mail_changed(tmp_path)
    same = plan_of(idp, reviewed_policy(tmp_path, f"linking:\n  overrides: [{{idp: {CAROL_B2B}, member: {CAROL_GUEST}}}]\n"))
    assert about(same, CAROL_GUEST, CAROL_B2B) == [f"members.convert_guest:{CAROL_GUEST}", f"scim.link_user:{CAROL_GUEST}"]
    assert wire(by_action(same, f"scim.link_user:{CAROL_GUEST}").after)["userName"] == "carol.nguyen@northpartners.example"
    # her mail no longer sends her Sigma email: the one-mapping question names her (settled outside this test)
    assert items_about(same, CAROL_GUEST, CAROL_B2B) == [("user_name_guard.configure_idp", False),
                                                         ("user_name_guard.no_single_mapping", True)]
    assert [r for r in same.review_items if r.code == "policy.unused_entry"] == []
    other = plan_of(idp, reviewed_policy(tmp_path, f"linking:\n  overrides: [{{idp: {CAROL_B2B}, member: never}}]\n"))
    assert about(other, CAROL_GUEST, CAROL_B2B) == [f"members.disable_guest:{CAROL_GUEST}"]


def by_action(plan, action_id: str):
    (action,) = [a for a in plan.actions if a.id == action_id]
    return action


# --------------------------------------------------------------------------- finding 9: an invitation not accepted


CAROL_UPN = "carol.nguyen_northpartners.example#EXT#@acme.example"
OMAR_B2B = "1cccdff3-690e-4844-b781-370e23f92fa8"  # omar.haddad@northpartners.example, a B2B guest no member matches
PENDING_MESSAGE = (
    "IdP user {idp} ({upn}) never accepted its Entra B2B invitation (externalUserState PendingAcceptance): the plan "
    "{what}, but after the switch Sigma signs in through the IdP only, which cannot sign them in until they redeem "
    "it; counted under 'Cannot sign in after the switch'{tail}")
CAROL_WHAT = "converts and links guest 'carol.nguyen@northpartners.example'"


def pending(tmp_path: Path, *upns: str) -> Path:
    """The sample's Entra CSV export with the B2B guests ``upns``' externalUserState PendingAcceptance."""
    idp = entra_copy(tmp_path)
    for upn in upns:
        text = (idp / "users.csv").read_bytes().decode("utf-8-sig")
        (row,) = [line for line in text.split("\n") if f",{upn}," in line]
        edit(idp / "users.csv", row, row.replace(",Invitation,Accepted,", ",Invitation,PendingAcceptance,"))
    return idp


def plan_cli(capsys, tmp_path: Path, idp: Path, policy: Path):
    from planner.planfile import read_plan

    from .conftest import run_cli

    out = tmp_path / "plan.json"
    code, _, err = run_cli(capsys, "plan", "--sigma", str(ACME / "sigma"), "--idp", str(idp), "--policy", str(policy),
                           "--out", str(out), "--detailed-exitcode")
    assert out.exists(), err
    return code, read_plan(out)


def test_a_converted_guest_who_never_redeemed_her_invitation_blocks_the_plan(capsys, tmp_path):
    """tester17 finding 9: Carol, a Sigma guest who signs in today, would be converted and linked to an Entra B2B
    user nobody has redeemed; after the switch she is locked out. The plan keeps the conversion (her work stays
    hers) and holds it on one blocking item naming her, settled by guests.confirm_pending_invitations (or by her
    redeeming the invitation and a fresh export)."""
    from planner.model import Lockout
    from planner.report import render_html, report_headline
    from planner.show import plain_text

    code, plan = plan_cli(capsys, tmp_path, pending(tmp_path, CAROL_UPN), ACME / "policy-entra-reviewed.yaml")
    assert code == 3  # --detailed-exitcode: changes, blocked by review items (was: 2, nothing about her)
    assert about(plan, CAROL_GUEST, CAROL_B2B) == [f"members.convert_guest:{CAROL_GUEST}", f"scim.link_user:{CAROL_GUEST}"]
    assert [(r.id, r.rule) for r in plan.review_items if r.blocking] == [
        (f"guests.invitation_pending:{CAROL_B2B}", "guests.confirm_pending_invitations")]
    (item,) = [r for r in plan.review_items if r.code == "guests.invitation_pending"]
    assert item.message == PENDING_MESSAGE.format(
        idp=CAROL_B2B, upn=CAROL_UPN, what=CAROL_WHAT,
        tail="; they sign in to Sigma today and would lose it: have them redeem it, or confirm the link")
    assert item.subject.fields() == {"memberId": CAROL_GUEST, "email": "carol.nguyen@northpartners.example",
                                     "idpId": CAROL_B2B, "userName": CAROL_UPN}
    assert item.resolution == (
        f"# resend the invitation of IdP user {CAROL_B2B} (Entra admin center: the user's B2B invitation, Resend "
        "invitation) and have them accept it before the switch, export and plan again; or link them all the same, "
        "knowing they cannot sign in until they redeem it:\n"
        f"guests:\n  confirm_pending_invitations:\n    - {CAROL_UPN}\n")
    assert yaml.safe_load(item.resolution) == {"guests": {"confirm_pending_invitations": [CAROL_UPN]}}
    (row,) = [r for r in plan.people if r.member_id == CAROL_GUEST]
    assert row.lockout is Lockout.INVITATION_PENDING
    assert wire(plan.summary.outcomes.lockouts) == {
        "total": 15, "deactivated": 10, "guest_disabled": 2, "guest_held": 0, "unmatched_kept": 2, "unmatched_review": 0,
        "invitation_pending": 1}
    headline = ("Cannot sign in after the switch: 15 (10 deactivated, 2 guests disabled, 2 with no IdP identity, "
                "1 with an Entra invitation not accepted)")
    assert report_headline(plan).startswith(headline + ";")
    text = plain_text(plan).splitlines()
    assert headline in text
    assert ("  Entra B2B invitation not accepted (PendingAcceptance): cannot sign in through the IdP until they "
            "redeem it (1):") in text
    assert ("Entra B2B invitation not accepted (PendingAcceptance): cannot sign in through the IdP until they redeem "
            "it (1)</h3>") in render_html(plan)


def test_guests_confirm_pending_invitations_lets_the_conversion_through(capsys, tmp_path):
    idp = pending(tmp_path, CAROL_UPN)
    policy = reviewed_policy(tmp_path, f"guests:\n  confirm_pending_invitations: ['{CAROL_UPN}']\n")
    code, plan = plan_cli(capsys, tmp_path, idp, policy)
    assert code == 2  # changes, ready to approve
    assert about(plan, CAROL_GUEST, CAROL_B2B) == [f"members.convert_guest:{CAROL_GUEST}", f"scim.link_user:{CAROL_GUEST}"]
    assert [r.id for r in plan.review_items if r.blocking] == []
    assert [(r.id, r.blocking, r.message, r.resolution) for r in plan.review_items
            if r.code in ("guests.invitation_pending", "policy.unused_entry")] == [
        (f"guests.invitation_pending:{CAROL_B2B}", False, PENDING_MESSAGE.format(
            idp=CAROL_B2B, upn=CAROL_UPN, what=CAROL_WHAT, tail=" (guests.confirm_pending_invitations names them)"),
         "")]
    (row,) = [r for r in plan.people if r.member_id == CAROL_GUEST]
    assert row.lockout.value == "invitation_pending"  # still counted: confirming is knowing, not signing in
    from planner.policy import resolved_policy

    assert resolved_policy(plan.policy.resolved).guests.confirm_pending_invitations == [CAROL_UPN]


def test_a_confirm_pending_entry_once_she_accepted_is_an_unused_entry(capsys, tmp_path):
    policy = reviewed_policy(tmp_path, f"guests:\n  confirm_pending_invitations: ['{CAROL_UPN}']\n")
    code, plan = plan_cli(capsys, tmp_path, entra_copy(tmp_path), policy)
    assert code == 2
    (unused,) = [r for r in plan.review_items if r.code == "policy.unused_entry"]
    assert (unused.id, unused.blocking) == ("policy.unused_entry:guests.confirm_pending_invitations[0]", False)
    assert unused.message.endswith(
        f"guests.confirm_pending_invitations entry {CAROL_UPN} settled nothing in this plan: it answers whether "
        "this IdP user, whose Entra B2B invitation is not accepted, is linked to their Sigma member all the same, "
        f"which this plan does not ask (IdP user {CAROL_B2B}'s invitation is not pending); the entry has no effect: "
        "remove it once its wave is done")


def test_a_created_b2b_guest_whose_invitation_is_pending_is_named_not_blocking(capsys, tmp_path):
    """Nobody loses a sign-in they have: the account waits for Omar; he is counted under "cannot sign in"."""
    idp = pending(tmp_path, "omar.haddad_northpartners.example#EXT#@acme.example")
    # his names (Sigma's SCIM needs both) and the guest creates of the policy: created with his address
    edit(idp / "users.csv", "Omar Haddad,,omar.haddad@northpartners.example,,Guest",
         "Omar Haddad,Haddad,omar.haddad@northpartners.example,Omar,Guest")
    text = (ACME / "policy-entra-reviewed.yaml").read_text()
    for old, new in (("guests:\n  action: convert\n", "guests:\n  action: convert\n  create_from_idp: true\n"),
                     ("user_name_guard:\n  overrides:\n",
                      f"user_name_guard:\n  overrides:\n    {OMAR_B2B}: use_primary_email\n")):
        assert text.count(old) == 1
        text = text.replace(old, new)
    policy = tmp_path / "policy.yaml"
    policy.write_text(text)
    code, plan = plan_cli(capsys, tmp_path, idp, policy)
    assert code == 2
    assert about(plan, OMAR_B2B) == [f"scim.create_user:{OMAR_B2B}"]
    assert [(r.id, r.blocking, r.rule, r.message, r.resolution) for r in plan.review_items
            if r.code == "guests.invitation_pending"] == [
        (f"guests.invitation_pending:{OMAR_B2B}", False, "guests.action", PENDING_MESSAGE.format(
            idp=OMAR_B2B, upn="omar.haddad_northpartners.example#EXT#@acme.example", what="creates them", tail=""),
         f"# no policy setting settles this: resend the invitation of IdP user {OMAR_B2B} (Entra admin center: the "
         "user's B2B invitation, Resend invitation) and have them accept it before the switch; export and plan "
         "again\n")]
    assert plan.summary.outcomes.lockouts.invitation_pending == 1


def test_the_sample_plan_counts_no_pending_invitation(tmp_path):
    plan = plan_of(ACME / "entra", ACME / "policy-entra-reviewed.yaml")
    assert wire(plan.summary.outcomes.lockouts)["invitation_pending"] == 0  # written at 0 too (plan format 10)
    assert [r for r in plan.review_items if r.code == "guests.invitation_pending"] == []


def test_lockout_of_a_pending_invitation_only_for_who_the_plan_links_or_creates():
    from planner import outcomes
    from planner.model import ActionKind, Lockout

    link, create, convert = ActionKind.SCIM_LINK_USER, ActionKind.SCIM_CREATE_USER, ActionKind.MEMBERS_CONVERT_GUEST
    common = dict(idp_id="u1", sigma_status="active", in_review=False, invitation_pending=True)
    assert outcomes.lockout({convert, link}, member_id="m1", user_kind="guest", **common) is Lockout.INVITATION_PENDING
    assert outcomes.lockout({create}, member_id=None, user_kind=None, **common) is Lockout.INVITATION_PENDING
    assert outcomes.lockout({ActionKind.MEMBERS_DISABLE_GUEST}, member_id="m1", user_kind="guest",
                            **common) is Lockout.GUEST_DISABLED
    assert outcomes.lockout({link}, member_id="m1", user_kind="internal",
                            **{**common, "invitation_pending": False}) is None


def test_a_confirm_pending_entry_naming_no_idp_user_is_an_unknown_reference(capsys, tmp_path):
    policy = reviewed_policy(tmp_path, "guests:\n  confirm_pending_invitations: [carol.nguyen@northpartner.example]\n")
    code, plan = plan_cli(capsys, tmp_path, entra_copy(tmp_path), policy)
    assert code == 3
    assert [(r.id, r.message) for r in plan.review_items if r.blocking] == [
        ("policy.unknown_reference:guests.confirm_pending_invitations[0]",
         f"{policy}:81:5: guests.confirm_pending_invitations[0] names IdP user 'carol.nguyen@northpartner.example', "
         "which is not in the IdP export; the entry is ignored")]
