"""Tester18 finding 8's class in Entra ID: a group member that is a mail contact (Graph ``@odata.type``
``#microsoft.graph.orgContact``, the portal's ``Member type`` ``Contact``) with a ``mail`` is one of the group's
outside members, as a Google ``EXTERNAL`` member is (tests/test_incomplete_scim_google.py): Entra ID never
provisions it, ``check`` names its address, and an active Sigma member with that address is one blocking
``unmatched.outside_member`` item (and ``teams.outside_member`` in a team's group), not deactivated as "no IdP
user matches" (was: ignored, one ``ignored-members`` info counting it).

Small literal exports written by each test; the Sigma side is tests/fixtures/sandbox_seed (Dan O'Brien,
o'brien@example.com, in the Finance team), the policy the one of tests/test_incomplete_inputs.py.
"""

from __future__ import annotations

import json
from pathlib import Path

from planner.model import Severity
from planner.sources import load_idp

from .conftest import write
from .test_incomplete_inputs import CREATED, SAVED, plan
from .test_incomplete_scim_google import DAN_SIGMA, FINANCE_TEAM, found

DAN_CONTACT = "c0n7ac7d-0000-4000-8000-000000000004"
OUTSIDE = (
    "group 'Finance Analysts' lists 1 member(s) that are mail contacts (orgContact) (o'brien@example.com): no user of "
    "the export, never provisioned by Entra ID provisioning; an active Sigma member with such an address is asked "
    "about, not deactivated (unmatched.outside_member; in a team's group teams.outside_member)")


def graph_user(n: int, email: str, created: str = CREATED) -> dict:
    return {"@odata.type": "#microsoft.graph.user", "id": f"u{n}", "userPrincipalName": email, "mail": email,
            "givenName": "Given", "surname": "Family", "accountEnabled": True, "createdDateTime": created}


# Ada, Ben, Cleo made before the seed's members; Zoe the day the export was saved, so it is dated after every
# seed member (planner.sources.export_dates.newest_record) and none of them is an unmatched.new_member
USERS = [graph_user(1, "ada.admin@example.com"), graph_user(2, "ben.builder@example.com"),
         graph_user(3, "cleo.viewer@example.com"), graph_user(9, "zoe.new@example.com", SAVED)]


def contact(mail: str | None) -> dict:
    return {"@odata.type": "#microsoft.graph.orgContact", "id": DAN_CONTACT, "displayName": "Dan O'Brien",
            "mail": mail}


def graph_export(root: Path, dan: dict) -> Path:
    """Finance Analysts lists Ada, Ben and ``dan`` (a mail contact)."""
    write(root / "users.json", json.dumps({"@odata.context": "https://graph.microsoft.com/v1.0/$metadata#users",
                                           "value": USERS}))
    write(root / "groups.json", json.dumps({"@odata.context": "https://graph.microsoft.com/v1.0/$metadata#groups",
                                            "value": [{"id": "g1", "displayName": "Finance Analysts"}]}))
    write(root / "group_members.json", json.dumps({"g1": {
        "@odata.context": "https://graph.microsoft.com/v1.0/$metadata#directoryObjects",
        "value": [USERS[0], USERS[1], dan]}}))
    return root


def test_a_graph_mail_contact_is_an_outside_member_named_by_the_finding(tmp_path):
    """Was: ignored, one info "members that are not users or groups ignored: 1 orgContact" naming no address."""
    directory, findings = load_idp(graph_export(tmp_path / "entra", contact("o'brien@example.com")))
    assert directory.format == "entra-graph"
    assert [(g.id, g.member_user_ids, g.outside_members) for g in directory.groups] == [
        ("g1", ("u1", "u2"), ("o'brien@example.com",))]
    assert found(findings) == [
        (Severity.WARNING, "unknown-group-member", "group_members.json", "", "members", OUTSIDE)]


def test_a_graph_mail_contact_without_an_address_stays_ignored(tmp_path):
    """Nothing names a person: the contact is ignored as before (an info counting it)."""
    directory, findings = load_idp(graph_export(tmp_path / "entra", contact(None)))
    assert [(g.id, g.member_user_ids, g.outside_members) for g in directory.groups] == [("g1", ("u1", "u2"), ())]
    assert found(findings) == [(Severity.INFO, "ignored-members", "group_members.json", "", "@odata.type",
                                "members that are not users or groups ignored: 1 orgContact")]


DAN_OUTSIDE = (
    "o'brien@example.com: no IdP user matches this member, but IdP group 'Finance Analysts' lists this address as a "
    "mail contact (orgContact), whom the IdP never provisions: the IdP admin meant them to belong there; decide "
    "whether to provision them as a user of the domain (add them to the IdP as a user, in the group, export and plan "
    "again) or to deactivate this member (or keep them, unmanaged by the IdP)")


def test_a_sigma_member_an_entra_group_lists_as_a_mail_contact_is_asked_about_not_deactivated(capsys, tmp_path):
    code, _, result = plan(capsys, tmp_path, graph_export(tmp_path / "entra", contact("O'Brien@Example.com")))
    assert code == 3  # --detailed-exitcode: changes, blocked by review items
    assert [a.id for a in result.actions if DAN_SIGMA in a.id] == []
    items = {i.id: i for i in result.review_items if i.blocking}
    assert sorted(items) == [f"teams.outside_member:{FINANCE_TEAM}", f"unmatched.outside_member:{DAN_SIGMA}"]
    item = items[f"unmatched.outside_member:{DAN_SIGMA}"]
    assert (item.rule, item.subject.member_id, item.subject.email, item.message) == (
        "unmatched.outside_member", DAN_SIGMA, "o'brien@example.com", DAN_OUTSIDE)
    team = items[f"teams.outside_member:{FINANCE_TEAM}"]
    assert team.message == (
        "group 'Finance Analysts' lists 1 active Sigma member(s) as mail contacts (orgContact): O'Brien@Example.com "
        f"(member {DAN_SIGMA}, in the team). Entra ID provisioning provisions users, never mail contacts, so the IdP "
        "will neither link nor push them: the plan does not add them to team 'Finance Analysts', and does not remove "
        "those in it until the policy decides")
    assert team.resolution == (
        "# keep them in the team as members the IdP does not manage (or remove them like any leftover; or make them "
        "users of the Entra tenant (members or B2B guests) and export again):\nteams:\n  outside_members: keep\n"
        "# or:\n# teams:\n#   outside_members: leftovers\n")


def test_without_the_contact_dan_is_deactivated_as_before(capsys, tmp_path):
    """The contact without an address names nobody: Dan is deactivated as "no IdP user matches" (unchanged)."""
    _, _, result = plan(capsys, tmp_path, graph_export(tmp_path / "entra", contact(None)))
    (action,) = [a for a in result.actions if a.id == f"members.deactivate:{DAN_SIGMA}"]
    assert (action.rule, action.reason) == (
        "unmatched.action", "deactivate: no IdP user matches this member; documents go to ada.admin@example.com")
    assert [i.id for i in result.review_items if i.blocking] == []


def csv_export(root: Path, contact_mail: str) -> Path:
    """The admin center's downloads: users.csv and Finance Analysts' "Download members" with a Mail column, Dan a
    row of Member type Contact."""
    write(root / "users.csv", "id,userPrincipalName,displayName,givenName,surname,mail,accountEnabled,createdDateTime\n"
          + "".join(f"{u['id']},{u['userPrincipalName']},Given Family,Given,Family,{u['mail']},True,"
                    f"{u['createdDateTime']}\n" for u in USERS))
    write(root / "group_members" / "Finance Analysts.csv",
          "Object ID,User principal name,Display name,Member type,Mail\n"
          "u1,ada.admin@example.com,Given Family,User,ada.admin@example.com\n"
          "u2,ben.builder@example.com,Given Family,User,ben.builder@example.com\n"
          f"{DAN_CONTACT},,Dan O'Brien,Contact,{contact_mail}\n")
    return root


def test_a_csv_contact_with_a_mail_is_an_outside_member_too(capsys, tmp_path):
    directory, findings = load_idp(csv_export(tmp_path / "entra", "o'brien@example.com"))
    assert directory.format == "entra-csv"
    assert [(g.display_name, g.member_user_ids, g.outside_members) for g in directory.groups] == [
        ("Finance Analysts", ("u1", "u2"), ("o'brien@example.com",))]
    assert [(f.code, Path(f.file).name, f.message) for f in findings if f.code == "unknown-group-member"] == [
        ("unknown-group-member", "Finance Analysts.csv", OUTSIDE)]
    code, _, result = plan(capsys, tmp_path, tmp_path / "entra")
    assert code == 3
    assert [i.message for i in result.review_items if i.code == "unmatched.outside_member"] == [DAN_OUTSIDE]


def test_a_csv_contact_without_a_mail_stays_ignored(tmp_path):
    directory, findings = load_idp(csv_export(tmp_path / "entra", ""))
    assert [g.outside_members for g in directory.groups] == [()]
    assert [(f.code, f.message) for f in findings if f.code in ("ignored-members", "unknown-group-member")] == [
        ("ignored-members", "members that are not users or groups ignored: 1 Contact")]
