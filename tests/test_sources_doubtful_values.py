"""Issue 14 B.4/B.5: damaged or duplicate ids and unreadable statuses are row-level errors, and plan refuses them.

Small literal exports per IdP format; every finding pinned (severity, code, file, line, column, message).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from planner.sources import load_idp

from .conftest import errors, run_cli, write

REPO = Path(__file__).resolve().parent.parent
SAMPLE_SIGMA = REPO / "samples" / "acme" / "sigma"

UNREADABLE = "whether the user is active cannot be read (a plan never guesses it); fix the export"


# --------------------------------------------------------------------------- B.4 ids


def test_ids_damaged_by_excel_that_collide_are_errors_on_each_row_and_the_repeat(tmp_path):
    users = write(tmp_path / "users.csv", "primaryEmail,id,status\n"
                                          "ana@example.com,1.03285E+20,Active\n"
                                          "bo@example.com,1.03285E+20,Active\n"
                                          "cy@example.com,103285000000000000017,Active\n")
    directory, findings = load_idp(users, "google-csv")
    damaged = ("was damaged by a spreadsheet (scientific notation or zeroed digits); the real id is lost: "
               "re-export without opening the file in Excel")
    assert errors(findings) == [
        ("excel-mangled-id", "users.csv", "line 2", "id", f"Google user id '1.03285E+20' {damaged}"),
        ("excel-mangled-id", "users.csv", "line 3", "id", f"Google user id '1.03285E+20' {damaged}"),
        ("duplicate-user-id", "users.csv", "line 3", "id",
         f"user id 1.03285E+20 appears again (first at {users}:line 2), a different record; one id must name "
         "one user: fix or re-export the file"),
    ]
    assert [u.user_name for u in directory.users] == ["ana@example.com", "cy@example.com"]


def test_the_same_user_twice_in_a_json_export_is_an_error_not_a_dropped_repeat(tmp_path):
    record = {"id": "00u1", "status": "ACTIVE", "profile": {"login": "a@example.com", "email": "a@example.com"}}
    users = write(tmp_path / "users.json", json.dumps([record, {"id": "00u2", "status": "ACTIVE",
                  "profile": {"login": "b@example.com", "email": "b@example.com"}}, record]))
    _, findings = load_idp(users, "okta-api")
    assert errors(findings) == [
        ("duplicate-user-id", "users.json", "$[2]", "id",
         f"user id 00u1 appears again (first at {users}:$[0]), the same record again (overlapping pages?); "
         "one id must name one user: fix or re-export the file")]


def test_lost_leading_zeros_in_an_id_column_are_errors(tmp_path):
    write(tmp_path / "mapping.yaml", "users: people.csv\ncolumns:\n  id: EmployeeNumber\n  userName: Login\n  emails: [Login]\n  active: Enabled\n")
    people = write(tmp_path / "people.csv", "EmployeeNumber,Login,Enabled\n"
                                            "00417,ana@example.com,true\n"
                                            "418,bo@example.com,true\n"
                                            "00419,cy@example.com,true\n")
    _, findings = load_idp([people, tmp_path / "mapping.yaml"], "generic-csv")
    assert errors(findings) == [
        ("excel-mangled-id", "people.csv", "line 3", "EmployeeNumber",
         "id '418' is shorter than this column's zero-padded ids ('00417'): its leading zeros were lost by a "
         "spreadsheet; re-export without opening the file in Excel")]


def test_plain_counters_are_not_taken_for_lost_zeros(tmp_path):
    write(tmp_path / "mapping.yaml", "users: people.csv\ncolumns:\n  id: N\n  userName: Login\n  emails: [Login]\n  status: S\n")
    people = write(tmp_path / "people.csv", "N,Login,S\n7,ana@example.com,active\n42,bo@example.com,active\n"
                                            "1001,cy@example.com,active\n")
    _, findings = load_idp([people, tmp_path / "mapping.yaml"], "generic-csv")
    assert errors(findings) == []


def test_a_group_member_id_that_lost_its_zeros_in_one_file_is_an_error(tmp_path):
    users = write(tmp_path / "users.json", json.dumps([
        {"id": "00417", "status": "ACTIVE", "profile": {"login": "a@example.com", "email": "a@example.com"}}]))
    groups = write(tmp_path / "groups.json", json.dumps([{"id": "00g1", "type": "OKTA_GROUP",
                                                                "objectClass": ["okta:user_group"],
                                                                "profile": {"name": "Sales"}}]))
    members = write(tmp_path / "group_members.json", json.dumps({"00g1": [{"id": "417"}]}))
    directory, findings = load_idp([users, groups, members], "okta-api")
    assert errors(findings) == [
        ("excel-mangled-id", "groups.json", "$[0]", "members",
         f"group 'Sales' lists member '417', which is no user, but user '00417' (at {users}:$[0]) differs only "
         "by leading zeros: a spreadsheet dropped them in one of the files; re-export without opening it "
         "in Excel")]
    assert directory.groups[0].member_user_ids == ()


# --------------------------------------------------------------------------- B.5 statuses


@pytest.mark.parametrize("cell, shown", [("", "empty"), ("N/A", "'N/A'"), ("disabled?", "'disabled?'")])
def test_unreadable_google_status_is_an_error(tmp_path, cell, shown):
    users = write(tmp_path / "users.csv", f"primaryEmail,id,status\nana@example.com,1,{cell}\nbo@example.com,2,Active\n")
    directory, findings = load_idp(users, "google-csv")
    assert errors(findings) == [
        ("unreadable-status", "users.csv", "line 2", "status",
         f"status is {shown}, not Active, Suspended or Archived: {UNREADABLE}")]
    assert [u.active for u in directory.users] == [None, True]


@pytest.mark.parametrize("value, shown", [("", "empty"), ("N/A", "'N/A'"), ("disabled?", "'disabled?'")])
def test_unreadable_scim_active_is_an_error(tmp_path, value, shown):
    users = write(tmp_path / "Users.json", json.dumps({
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:ListResponse"], "totalResults": 1,
        "Resources": [{"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "id": "u1",
                       "userName": "a@example.com", "active": value}]}))
    directory, findings = load_idp(users, "scim")
    assert errors(findings) == [
        ("unreadable-status", "Users.json", "$.Resources[0]", "active", f"active is {shown}, not true or false: {UNREADABLE}")]
    assert directory.users[0].active is None


def test_unreadable_graph_account_enabled_is_an_error(tmp_path):
    users = write(tmp_path / "users.json", json.dumps({
        "@odata.context": "https://graph.microsoft.com/v1.0/$metadata#users",
        "value": [{"id": "u1", "userPrincipalName": "a@example.com", "accountEnabled": "N/A"}]}))
    _, findings = load_idp(users, "entra-graph")
    assert errors(findings) == [
        ("unreadable-status", "users.json", "$.value[0]", "accountEnabled",
         f"accountEnabled is 'N/A', not true or false: {UNREADABLE}")]


@pytest.mark.parametrize("column, cell, shown, expected", [
    ("Enabled", "", "empty", "true or false"),
    ("Enabled", "disabled?", "'disabled?'", "true or false"),
    ("State", "", "empty", "a status word of mapping.yaml (active, enabled mean active; inactive, disabled, "
                           "suspended, deprovisioned mean inactive)"),
    ("State", "Locked", "'Locked'", "a status word of mapping.yaml (active, enabled mean active; inactive, "
                                    "disabled, suspended, deprovisioned mean inactive)"),
])
def test_unreadable_generic_csv_status_is_an_error(tmp_path, column, cell, shown, expected):
    target = "active" if column == "Enabled" else "status"
    write(tmp_path / "mapping.yaml", f"users: people.csv\ncolumns:\n  id: Login\n  userName: Login\n  emails: [Login]\n  {target}: {column}\n")
    people = write(tmp_path / "people.csv", f"Login,{column}\nana@example.com,{cell}\n")
    directory, findings = load_idp([people, tmp_path / "mapping.yaml"], "generic-csv")
    assert errors(findings) == [
        ("unreadable-status", "people.csv", "line 2", column, f"{column} is {shown}, not {expected}: {UNREADABLE}")]
    assert directory.users[0].active is None


# --------------------------------------------------------------------------- plan refuses


@pytest.mark.parametrize("okta_user, first", [
    ({"id": "00u9", "status": "N/A", "profile": {"login": "x@example.com", "email": "x@example.com"}},
     "unreadable-status"),
    ({"id": "1.03285E+20", "status": "ACTIVE", "profile": {"login": "x@example.com", "email": "x@example.com"}},
     "excel-mangled-id"),
])
def test_plan_and_check_refuse_an_export_with_such_errors(capsys, tmp_path, okta_user, first):
    idp = tmp_path / "okta"
    shutil.copytree(REPO / "samples" / "acme" / "okta", idp)
    users = json.loads((idp / "users.json").read_text(encoding="utf-8"))
    users.append(okta_user)
    (idp / "users.json").write_text(json.dumps(users), encoding="utf-8")
    code, _, err = run_cli(capsys, "plan", "--sigma", str(SAMPLE_SIGMA), "--idp", str(idp),
                    "--out", str(tmp_path / "plan.json"))
    assert code == 1 and err.count("\n") == 1
    assert err.startswith(f"sigma-migrate: error: the inputs have 1 error(s), first: error: {idp / 'users.json'}:$[")
    assert f"({first}); run `sigma-migrate check` to list every finding" in err and "Traceback" not in err
    assert not (tmp_path / "plan.json").exists()
    code, _, _ = run_cli(capsys, "check", "--sigma", str(SAMPLE_SIGMA), "--idp", str(idp))
    assert code == 1


@pytest.mark.parametrize("value", ["false", "False", 0, "true", "yes", 1])
def test_graph_account_enabled_as_a_string_or_number_is_an_error(tmp_path, value):
    # RFC 8259 / Graph: accountEnabled is a JSON boolean; a string or number is read as nothing, never coerced
    users = write(tmp_path / "users.json", json.dumps({
        "@odata.context": "https://graph.microsoft.com/v1.0/$metadata#users",
        "value": [{"id": "u1", "userPrincipalName": "a@example.com", "accountEnabled": value}]}))
    directory, findings = load_idp(users, "entra-graph")
    assert errors(findings) == [
        ("unreadable-status", "users.json", "$.value[0]", "accountEnabled",
         f"accountEnabled is {value!r}, not true or false: {UNREADABLE}")]
    assert directory.users[0].active is None


@pytest.mark.parametrize("field", ["suspended", "archived"])
@pytest.mark.parametrize("value", ["false", "True", 0])
def test_google_api_suspended_or_archived_as_a_string_or_number_is_an_error(tmp_path, field, value):
    record = {"id": "104857600000000000001", "primaryEmail": "a@example.com", "suspended": False, "archived": False}
    record[field] = value
    users = write(tmp_path / "users.json", json.dumps({"kind": "admin#directory#users", "users": [record]}))
    _, findings = load_idp(users, "google-api")
    assert errors(findings) == [
        ("unreadable-status", "users.json", "$.users[0]", field, f"{field} is {value!r}, not true or false: {UNREADABLE}")]
