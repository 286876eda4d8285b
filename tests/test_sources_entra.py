"""Entra ID loaders: admin center CSV downloads and Microsoft Graph JSON (docs/formats.md §3)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from planner.model import Severity
from planner.sources import load_idp
from planner.sources.entra import rebuild_guest_email

FIXTURES = Path(__file__).parent / "fixtures" / "sources"


@pytest.fixture(scope="module")
def entra_csv():
    return load_idp(FIXTURES / "entra_csv")


@pytest.fixture(scope="module")
def graph():
    return load_idp(FIXTURES / "entra_graph")


def by_id(directory):
    return {u.id[-2:]: u for u in directory.users}


# --------------------------------------------------------------------------- guests


def test_ext_guest_email_is_the_mail_value(entra_csv):
    carol = by_id(entra_csv[0])["02"]
    assert carol.user_name == "carol_partner.example#EXT#@tenant.onmicrosoft.com"
    assert carol.is_guest and carol.user_type == "Guest"
    assert [(e.value, e.primary) for e in carol.emails] == [("carol@partner.example", True)]


def test_guest_without_mail_gets_the_address_rebuilt_from_the_upn(entra_csv):
    directory, findings = entra_csv
    dana, eve = by_id(directory)["03"], by_id(directory)["04"]
    assert dana.primary_email.value == "dana.kim@partner.example.com"
    # eve_ops_partner.example: which '_' was the '@' is a guess, never linked on: left out, the file incomplete
    assert (eve.primary_email, eve.emails) == (None, ())
    ambiguous = [f for f in findings if f.code == "ambiguous-guest-email"]
    assert [(f.severity, f.location, f.field, f.message) for f in ambiguous] == [(
        Severity.WARNING, "line 5", "mail",
        "guest 'eve_ops_partner.example#EXT#@tenant.onmicrosoft.com' has no mail; 'eve_ops@partner.example' rebuilt "
        "from the UPN is a guess (the local part holds '_', so the '@' position is not known): left out, no address "
        "of the guest's is read; export the guest's mail")]
    from planner.sources.directory import INCOMPLETE_CODES

    assert "ambiguous-guest-email" in INCOMPLETE_CODES  # every deactivation or guest disable: inputs.truncated
    assert [f.code for f in findings if f.code == "guest-email-rebuilt"] == ["guest-email-rebuilt"]


@pytest.mark.parametrize("upn, expected", [
    ("carol_partner.example#EXT#@tenant.onmicrosoft.com", ("carol@partner.example", False)),
    ("first_last_partner.example#ext#@tenant.onmicrosoft.com", ("first_last@partner.example", True)),
    ("nounderscore#EXT#@tenant.onmicrosoft.com", (None, False)),
    ("ana.lopez@example.com", (None, False)),
])
def test_rebuild_guest_email_reverses_the_last_underscore(upn, expected):
    assert rebuild_guest_email(upn) == expected


# --------------------------------------------------------------------------- CSV downloads


def test_users_csv_columns_booleans_and_json_cell(entra_csv):
    users = by_id(entra_csv[0])
    ana = users["01"]
    assert (ana.user_name, ana.display_name, ana.given_name, ana.family_name, ana.user_type) == (
        "ana.lopez@example.com", "Ana Lopez", "Ana", "Lopez", "Member")
    assert [e.value for e in ana.emails] == ["Ana.Lopez@Example.com"]  # the UPN is the same key
    assert (ana.attributes["department"], ana.attributes["lastLogin"]) == ("Finance", "2025-05-20T08:00:00Z")
    assert [(k, users[k].active) for k in ("01", "05", "06")] == [("01", True), ("05", False), ("06", True)]
    assert users["05"].display_name == "Chloé Martin"
    assert users["06"].primary_email.value == "frank.zhou@example.com"  # no mail: the UPN


def test_group_member_files_name_their_groups_and_resolve_nesting(entra_csv):
    directory, _ = entra_csv
    groups = {g.display_name: g for g in directory.groups}
    assert list(groups) == ["Finance", "Finance Contractors", "Sales EMEA"]
    assert groups["Finance"].id == "5a6b7c8d-1111-2222-3333-000000000001"  # from groups.csv
    assert groups["Finance"].member_user_ids == ("9f1c2d3e-0a1b-4c2d-8e3f-000000000001",)
    assert groups["Finance"].member_group_ids == ("5a6b7c8d-1111-2222-3333-000000000010",)
    assert groups["Finance Contractors"].member_user_ids == ("9f1c2d3e-0a1b-4c2d-8e3f-000000000002",)


def test_member_not_in_users_csv_and_service_principals(entra_csv):
    directory, findings = entra_csv
    assert "07" not in by_id(directory)  # Grace is held: her enabled state is unknown
    assert not any("07" in g.member_user_ids for g in directory.groups)
    assert [(f.code, f.file.rsplit("/", 1)[-1], f.location) for f in findings
            if f.code in ("member-not-in-users", "ignored-members")] == [
        ("ignored-members", "Finance Contractors.csv", ""),
        ("member-not-in-users", "users.csv", ""),  # the file to export again
    ]


def test_member_files_without_groups_csv_use_the_file_name_as_id(tmp_path):
    (tmp_path / "users.csv").write_text("id,userPrincipalName,accountEnabled\nu1,a@example.com,true\n", encoding="utf-8")
    (tmp_path / "group_members").mkdir()
    (tmp_path / "group_members" / "Parent.csv").write_text(
        "Object ID,User principal name,Display name,Member type\nu1,a@example.com,A,User\nx9,,Child,Group\n",
        encoding="utf-8")
    (tmp_path / "group_members" / "Child.csv").write_text(
        "Object ID,User principal name,Display name,Member type\nu1,a@example.com,A,User\n", encoding="utf-8")
    directory, findings = load_idp(tmp_path)
    assert [(g.id, g.member_user_ids, g.member_group_ids) for g in directory.groups] == [
        ("Child", ("u1",), ()), ("Parent", ("u1",), ("Child",))]
    assert [f.code for f in findings] == []


# --------------------------------------------------------------------------- Graph JSON


def test_graph_users_from_pages(graph):
    directory, _ = graph
    users = by_id(directory)
    assert [(k, users[k].active) for k in ("01", "02", "08")] == [("01", True), ("02", True), ("08", True)]
    assert [e.value for e in users["01"].emails] == ["ana.lopez@example.com", "ana@oldcorp.example"]
    assert users["02"].primary_email.value == "carol@partner.example" and users["02"].is_guest
    assert users["08"].primary_email.value == "hank.ito@example.com"  # mail null: the UPN
    assert users["08"].source.location == "$[1].value[0]"


def test_graph_members_permission_stripped_items_and_cycles(graph):
    directory, findings = graph
    groups = {g.id: g for g in directory.groups}
    assert groups["g1"].member_user_ids == ("9f1c2d3e-0a1b-4c2d-8e3f-000000000001",)
    assert groups["g1"].member_group_ids == ("g2",)
    # a stripped item whose user *is* in users.json still counts: matched by id, never "no email"
    assert groups["g2"].member_user_ids == ("9f1c2d3e-0a1b-4c2d-8e3f-000000000002",
                                            "9f1c2d3e-0a1b-4c2d-8e3f-000000000008")
    assert (groups["g3"].member_group_ids, groups["g4"].member_group_ids) == (("g4",), ("g3",))
    assert [(f.severity.value, f.code, f.location) for f in findings] == [
        ("warning", "member-details-withheld", '$["g1"].value[2]'),
        ("info", "ignored-members", ""),
        ("warning", "group-cycle", "$.value[2]"),
    ]
    assert findings[1].message.endswith("1 servicePrincipal")
    assert findings[2].message == "group 'Loop A' contains itself through nesting: Loop A > Loop B > Loop A"


def test_graph_per_group_member_files_and_transitive_answers(tmp_path):
    (tmp_path / "users.json").write_text(json.dumps({
        "@odata.context": "https://graph.microsoft.com/v1.0/$metadata#users",
        "value": [{"id": "u1", "userPrincipalName": "a@example.com", "accountEnabled": False}]}), encoding="utf-8")
    (tmp_path / "members").mkdir()
    (tmp_path / "members" / "Sales.transitive.json").write_text(json.dumps({
        "@odata.context": "https://graph.microsoft.com/v1.0/$metadata#directoryObjects",
        "value": [{"@odata.type": "#microsoft.graph.user", "id": "u1", "userPrincipalName": "a@example.com"}]}),
        encoding="utf-8")
    directory, findings = load_idp(tmp_path)
    assert [(g.id, g.member_user_ids) for g in directory.groups] == [("Sales.transitive", ("u1",))]
    assert directory.users[0].active is False
    assert findings == []  # a /transitiveMembers answer listing no group is exactly the direct members


# --------------------------------------------------------------------------- rejected, never ignored


def entra_dir(tmp_path: Path, users: str, name: str = "users.csv") -> Path:
    (tmp_path / name).write_text(users, encoding="utf-8")
    (tmp_path / "group_members").mkdir()
    (tmp_path / "group_members" / "Finance.csv").write_text(
        "Object ID,User principal name,Display name,Member type\nu1,a@example.com,A,User\n", encoding="utf-8")
    return tmp_path


@pytest.mark.parametrize("name", ["users.csv", "exportUsers_2025-5-20.csv"])
def test_a_users_csv_without_user_principal_name_is_a_missing_column_error(tmp_path, name):
    root = entra_dir(tmp_path, "id,displayName,mail,accountEnabled\nu1,A,a@example.com,true\n", name)
    directory, findings = load_idp(root)
    errors = [f for f in findings if f.severity is Severity.ERROR]
    assert [(f.code, f.file, f.location, f.field) for f in errors] == [
        ("missing-column", str(root / name), "line 1", "userPrincipalName")]
    assert errors[0].message == ("Entra users CSV: required column 'userPrincipalName' not found in the "
                                 "comma-separated header ('id', 'displayName', 'mail', 'accountEnabled')")
    assert "ignored-file" not in {f.code for f in findings}


def test_a_short_users_csv_row_is_a_ragged_row_error(tmp_path):
    header = ("id,userPrincipalName,displayName,givenName,surname,mail,userType,accountEnabled,jobTitle,"
              "department,companyName,employeeId,usageLocation,city,country,createdDateTime,mobilePhone")
    rows = ["u1,a@example.com,A,A,A,a@example.com,Member,true,,Finance,,,,,,,",
            "u2,b@example.com,B,B,B,b@example.com,Member,true,,Sales,",  # 11 of 17 fields
            "u3,c@example.com,C,C,C,c@example.com,Member,true,,,,,,,,,",
            "33907c31-3e09-45e4-b"]  # truncated last row
    root = entra_dir(tmp_path, "\n".join([header, *rows]) + "\n")
    directory, findings = load_idp(root)
    assert [u.id for u in directory.users] == ["u1", "u3"]
    assert [(f.severity, f.code, f.location, f.field) for f in findings if f.code == "ragged-row"] == [
        (Severity.ERROR, "ragged-row", "line 3", "employeeId"),
        (Severity.ERROR, "ragged-row", "line 5", "userPrincipalName")]


@pytest.mark.parametrize("cell, shown", [("maybe", "'maybe'"), ("", "empty"), ("N/A", "'N/A'"),
                                         ("disabled?", "'disabled?'")])
def test_an_unreadable_account_enabled_cell_is_an_error_and_unknown(tmp_path, cell, shown):
    root = entra_dir(tmp_path, f"id,userPrincipalName,accountEnabled\nu1,a@example.com,{cell}\nu2,b@example.com,true\n")
    directory, findings = load_idp(root)
    assert [u.active for u in directory.users] == [None, True]
    assert [(f.severity, f.code, f.location, f.field, f.message) for f in findings] == [
        (Severity.ERROR, "unreadable-status", "line 2", "accountEnabled",
         f"accountEnabled is {shown}, not true or false: whether the user is active cannot be read "
         "(a plan never guesses it); fix the export")]


# --------------------------------------------------------------------------- deleted users (issue 14 item 2)

TOMBSTONE_ID = "7c1d9f2e-0a1b-4c2d-8e3f-00000000a1b2"
TOMBSTONE_UPN = "7c1d9f2e0a1b4c2d8e3f00000000a1b2ana.lopez@example.com"


def test_a_deleted_users_tombstone_upn_is_inactive_with_a_warning_and_its_old_upn_as_email(tmp_path):
    (tmp_path / "users.csv").write_text(
        "id,userPrincipalName,displayName,mail,accountEnabled\n"
        f"{TOMBSTONE_ID},{TOMBSTONE_UPN},Ana Lopez,,True\n"
        "9f1c2d3e-0a1b-4c2d-8e3f-000000000009,bo.li@example.com,Bo Li,bo.li@example.com,True\n",
        encoding="utf-8")
    directory, findings = load_idp(tmp_path / "users.csv")
    ana, bo = directory.users
    assert (ana.user_name, ana.active) == (TOMBSTONE_UPN, False)
    assert [(e.value, e.primary, e.type) for e in ana.emails] == [("ana.lopez@example.com", True, "userPrincipalName")]
    assert bo.active is True
    (warning,) = [f for f in findings if f.code == "deleted-user"]
    assert (warning.severity, warning.location, warning.field) == (Severity.WARNING, "line 2", "userPrincipalName")
    assert warning.message == (
        f"user {TOMBSTONE_ID}: userPrincipalName {TOMBSTONE_UPN!r} is a deleted user's (the object id prefixed to "
        "'ana.lopez@example.com'): the user was deleted; taken as inactive")


@pytest.mark.parametrize("upn, object_id, expected", [
    (TOMBSTONE_UPN, TOMBSTONE_ID, "ana.lopez@example.com"),
    (TOMBSTONE_UPN.upper(), TOMBSTONE_ID, "ANA.LOPEZ@EXAMPLE.COM"),
    (TOMBSTONE_UPN, "11111111-0a1b-4c2d-8e3f-00000000a1b2", None),  # another object's id: an ordinary UPN
    ("ana.lopez@example.com", TOMBSTONE_ID, None),
    (TOMBSTONE_UPN, "not-a-guid", None),
])
def test_deleted_user_upn_needs_the_users_own_object_id(upn, object_id, expected):
    from planner.sources.entra import deleted_user_upn

    assert deleted_user_upn(upn, object_id) == expected


def test_a_second_download_of_a_group_members_file_is_named_with_the_name_it_needs(tmp_path):
    # tester6 finding 16: "Sigma-Build (1).csv" (a browser's second download) was only a missing group
    import shutil


    entra = tmp_path / "entra"
    shutil.copytree(Path(__file__).resolve().parents[1] / "samples" / "acme" / "entra", entra)
    (entra / "group_members" / "Sigma-Build.csv").rename(entra / "group_members" / "Sigma-Build (1).csv")
    _, findings = load_idp(entra)
    assert [f.message for f in findings if f.code == "missing-group-members"] == [
        "1 group(s) of groups.csv have no membership file or answer here ('Sigma-Build'): their members are "
        "unknown, not none; export their members too (an empty file is a group with no members); "
        "'Sigma-Build (1).csv' looks like a second download of 'Sigma-Build': rename it 'Sigma-Build.csv'"]
    # one advice (tester7 finding 16b): the file's own warning says the same, never "export the groups again"
    assert [(f.code, Path(f.file).name, f.location, f.message) for f in findings if f.code == "unknown-group"] == [
        ("unknown-group", "Sigma-Build (1).csv", "", "its group 'Sigma-Build (1)' is not in groups.csv, so its members "
         "are read as no group's; 'Sigma-Build (1).csv' looks like a second download of 'Sigma-Build': rename it "
         "'Sigma-Build.csv'")]


def test_entra_created_date_time_is_the_users_created():
    from planner.sources import load_idp

    directory, _ = load_idp(Path(__file__).parent / "fixtures" / "tester5" / "graph_mateo_nogroup_countcut")
    assert {u.created for u in directory.users} >= {"2019-06-21T11:21:26Z"}
