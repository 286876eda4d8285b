"""The hand-off never assigns as settled a person the plan does not provision (tester12 finding 11).

The plan's ``scope.assigned_not_provisioned`` item (planner/rules/app_assignment.py) names every active IdP user in
scope whom the plan neither links, creates, reactivates nor keeps (a guest it disables, an IdP guest it does not
create, an excluded user, a person held for a blocking item), with what the plan does to them and the assigned
groups that hold them; ``handoff`` lays it out in not_provisioned.csv, says in groups.csv how many to take out of
each group first, adds the step that does it, and lists a held person nowhere as settled (was: groups.csv assigned
Sigma-Partners with the disabled guest in it and nothing said so; a held person's username was to be set in
user_names.csv).
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

from planner.handoff import csv_files, handoff_pack
from planner.planfile import write_plan
from planner.planning import plan_from_paths

from .conftest import run_cli
from .plan_factory import group, member, plan, snapshot, user

ACME = Path(__file__).resolve().parent.parent / "samples" / "acme"


def rows(text):
    return list(csv.reader(io.StringIO(text)))


NOT_PROVISIONED_HEADER = ["person", "idp_id", "idp_user_name", "groups", "plan", "idp_step"]


def disabled_guest_plan():
    """Carol, a guest, has an IdP user in Sigma-Partners and Sigma-Viewers (both in scope); guests.action: disable."""
    snap = snapshot(
        [member("mg", "carol@partner.example", user_kind="guest", member_type="External Viewer"),
         member("mk", "kim@example.com")],
        [user("uc", "carol@partner.example"), user("uk", "kim@example.com")],
        groups=[group("gP", "Sigma-Partners", ["uc"]), group("gV", "Sigma-Viewers", ["uc", "uk"])],
        account_types=["Admin", "External Viewer", "View"])
    return plan(snap, """
scope:
  groups: [Sigma-Admins, Sigma-Partners, Sigma-Viewers]
account_types:
  group_map: {Sigma-Admins: Admin, Sigma-Partners: External Viewer, Sigma-Viewers: View}
  default: View
guests:
  action: disable
""")


def test_a_guest_the_plan_disables_is_taken_out_of_the_groups_the_handoff_assigns(tmp_path, capsys):
    p = disabled_guest_plan()
    assert [a.id for a in p.actions] == ["scim.link_user:mk", "scim.link_user:root", "members.disable_guest:mg"]
    (item,) = [r for r in p.review_items if r.code == "scope.assigned_not_provisioned"]
    assert (item.id, item.blocking) == ("scope.assigned_not_provisioned:scope", False)
    assert item.message == (
        "1 active IdP user(s) in scope not provisioned by this plan (each one's status says why): "
        "carol@partner.example; the groups assigned to the Sigma app would provision them: take them out first "
        "(handoff: not_provisioned.csv)")
    assert [c.fields() for c in item.candidates] == [
        {"memberId": "mg", "email": "carol@partner.example", "idpId": "uc", "userName": "carol@partner.example",
         "groups": ["Sigma-Partners", "Sigma-Viewers"], "status": "guest disabled (members.disable_guest)"}]

    files = csv_files(handoff_pack(p, "okta"))
    assert rows(files["not_provisioned.csv"]) == [NOT_PROVISIONED_HEADER, [
        "carol@partner.example", "uc", "carol@partner.example", "Sigma-Partners, Sigma-Viewers",
        "guest disabled (members.disable_guest)",
        "take them out of Sigma-Partners, Sigma-Viewers before provisioning is enabled (an assigned group provisions "
        "every member), and assign them to the Sigma app in no other way"]]
    take_out = "first take out its 1 member(s) in not_provisioned.csv: the plan does not provision them"
    assert rows(files["groups.csv"])[1:] == [
        ["Sigma-Admins", "name", "yes", "no", "scope: its members are assigned to the Sigma app; account type Admin"],
        ["Sigma-Partners", "name", "yes", "no", "scope: its members are assigned to the Sigma app; account type "
                                                f"External Viewer; {take_out}"],
        ["Sigma-Viewers", "name", "yes", "no", f"scope: its members are assigned to the Sigma app; account type View; "
                                               f"{take_out}"]]
    assert all("carol" not in files[name] for name in ("individual_assignments.csv", "user_names.csv",
                                                       "several_type_groups.csv"))

    path = tmp_path / "plan.json"
    write_plan(p, path)
    code, out, err = run_cli(capsys, "handoff", str(path), "--idp", "okta", "--out", str(tmp_path / "pack"))
    assert (code, err) == (0, "")
    assert out == (
        f"Hand-off for okta: {tmp_path / 'pack' / 'README.md'} (3 group(s), 0 team(s), 0 user(s) in user_names.csv, "
        "1 person(s) the IdP must not provision in not_provisioned.csv)\n")
    readme = (tmp_path / "pack" / "README.md").read_text()
    assert ("3. Before provisioning is enabled, do for each person in not_provisioned.csv what its idp_step says: the "
            "plan does not provision them (a guest it disables, an IdP guest it does not create, a person held for a "
            "blocking review item), and an assigned group provisions every member.") in readme.splitlines()
    assert ("| carol@partner.example | uc | carol@partner.example | Sigma-Partners, Sigma-Viewers | guest disabled "
            "(members.disable\\_guest) | take them out of Sigma-Partners, Sigma-Viewers before provisioning is enabled "
            "(an assigned group provisions every member), and assign them to the Sigma app in no other way |"
            ) in readme.splitlines()


def test_a_held_person_waits_on_their_item_and_gets_no_username_to_set(tmp_path):
    """Ann's link is held (Sigma's SCIM refuses a blank givenName: scim.name_required) while her configure_idp item
    stays; ux is excluded by linking.excluded_idp_users; both are in Sigma-Viewers. The plan's item names ux; Ann is
    named by the item that holds her, and the draft pack lists her as waiting on it."""
    snap = snapshot(
        [member("ma", "ann@example.com"), member("mx", "x@example.com")],
        [user("ua", "ann.lee@example.com", emails=["ann.lee@example.com", "ann@example.com"], first=""),
         user("ux", "ux@example.com", emails=["ux@example.com", "x@example.com"]), user("uk", "kim@example.com")],
        groups=[group("gV", "Sigma-Viewers", ["ua", "ux", "uk"])], account_types=["Admin", "View"])
    p = plan(snap, """
scope:
  groups: [Sigma-Admins, Sigma-Viewers]
account_types:
  group_map: {Sigma-Admins: Admin, Sigma-Viewers: View}
  default: View
linking:
  excluded_idp_users: [ux@example.com]
user_name_guard:
  overrides: {ann.lee@example.com: use_sigma_email}
""")
    held_by = ", ".join(r.id for r in p.review_items if r.blocking)
    assert "scim.name_required:ma" in held_by
    assert "user_name_guard.configure_idp:ma" in {r.id for r in p.review_items}
    pack = handoff_pack(p, "okta", draft=True)
    files = csv_files(pack)
    assert rows(files["user_names.csv"]) == [["DRAFT", "idp_id", "idp_user_name", "user_name", "member_email",
                                              "reason"]]  # was: ua, to be sent 'ann@example.com' as if linked
    (item,) = [r for r in p.review_items if r.code == "scope.assigned_not_provisioned"]  # the held one waits on hers
    assert [c.fields() for c in item.candidates] == [
        {"idpId": "ux", "userName": "ux@example.com", "groups": ["Sigma-Viewers"],
         "status": "excluded (linking.excluded_idp_users)"}]
    assert rows(files["not_provisioned.csv"]) == [["DRAFT", *NOT_PROVISIONED_HEADER], [
        "DRAFT", "ux@example.com", "ux", "ux@example.com", "Sigma-Viewers", "excluded (linking.excluded_idp_users)",
        "take them out of Sigma-Viewers before provisioning is enabled (an assigned group provisions every member), "
        "and assign them to the Sigma app in no other way"], [
        "DRAFT", "ann@example.com", "ua", "ann.lee@example.com", "", f"held: waiting on {held_by}",
        f"do not assign them yet: the plan holds them until {held_by} is settled; settle it, plan again and "
        "make the hand-off again (until then keep them out of the groups assigned to the Sigma app)"]]
    assert rows(files["groups.csv"])[2][-1] == (
        "scope: its members are assigned to the Sigma app; account type View; first take out its 1 member(s) in "
        "not_provisioned.csv: the plan does not provision them")
    assert "ua" not in {r.idp_id for r in pack.individual}


def sample_pack(idp, policy_text, tmp_path, capsys):
    policy = tmp_path / "policy.yaml"
    policy.write_text(policy_text)
    p, _ = plan_from_paths(str(ACME / "sigma"), [str(ACME / idp)], str(policy))
    assert p.blocking_items == ()
    write_plan(p, tmp_path / "plan.json")
    code, out, err = run_cli(capsys, "handoff", str(tmp_path / "plan.json"), "--idp", idp, "--out", str(tmp_path / "pack"))
    assert (code, err) == (0, ""), err
    return {f.name: f.read_text(encoding="utf-8-sig") for f in (tmp_path / "pack").iterdir()}


def test_the_sample_okta_plan_that_disables_guests_keeps_carol_out_of_sigma_partners(tmp_path, capsys):
    reviewed = (ACME / "policy-okta-reviewed.yaml").read_text()
    files = sample_pack("okta", reviewed.replace("  action: convert", "  action: disable"), tmp_path, capsys)
    assert rows(files["not_provisioned.csv"]) == [NOT_PROVISIONED_HEADER, [
        "carol.nguyen@northpartners.example", "00uDSYZoWArbNnmKegvL", "carol.nguyen@northpartners.example",
        "Sigma-Partners", "guest disabled (members.disable_guest)",
        "take them out of Sigma-Partners before provisioning is enabled (an assigned group provisions every member), "
        "and assign them to the Sigma app in no other way"]]
    assert [r for r in rows(files["groups.csv"]) if r[0] == "Sigma-Partners"] == [[
        "Sigma-Partners", "name", "yes", "no", "scope: its members are assigned to the Sigma app; account type "
        "External Viewer; first take out its 1 member(s) in not_provisioned.csv: the plan does not provision them"]]
    # as reviewed (guests converted) nobody is kept out, and the pack says nothing of it
    (tmp_path / "reviewed").mkdir()
    files = sample_pack("okta", reviewed, tmp_path / "reviewed", capsys)
    assert rows(files["not_provisioned.csv"]) == [NOT_PROVISIONED_HEADER]
    assert "first take out" not in files["groups.csv"] and "not_provisioned.csv what" not in files["README.md"]


def test_the_sample_entra_plan_keeps_the_idp_guest_it_does_not_create_out_of_sigma_partners(tmp_path, capsys):
    files = sample_pack("entra", (ACME / "policy-entra-reviewed.yaml").read_text(), tmp_path, capsys)
    assert rows(files["not_provisioned.csv"]) == [NOT_PROVISIONED_HEADER, [
        "omar.haddad_northpartners.example#EXT#@acme.example", "1cccdff3-690e-4844-b781-370e23f92fa8",
        "omar.haddad_northpartners.example#EXT#@acme.example", "Sigma-Partners",
        "IdP guest, not created (guests.create_from_idp)",
        "take them out of Sigma-Partners before provisioning is enabled (an assigned group provisions every member), "
        "and assign them to the Sigma app in no other way"]]
    assert [r[-1] for r in rows(files["groups.csv"]) if r[0] == "Sigma-Partners"] == [
        "scope: its members are assigned to the Sigma app; account type External Viewer; first take out its 1 "
        "member(s) in not_provisioned.csv: the plan does not provision them; Entra provisions every assigned group: "
        "this one also becomes a team named after it (assign its members individually with their app role instead, "
        "if that team is unwanted)"]
