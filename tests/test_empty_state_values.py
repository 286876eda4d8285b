"""A state value left empty is never read as a default (issue 10, sp-load A): an empty ``isArchived`` /
``isInactive`` cell of a Sigma members CSV, ``null`` in members JSON, a Google user with ``archived: false``
but no ``suspended``: each is one ``unreadable-status`` error naming file, row and field, and ``plan`` stops
with exit 1 and writes no plan. An absent ``isArchived`` in members JSON is Sigma's optional boolean
(docs/sigma-api.md §2.2) and reads as not archived.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from planner.sources import load_idp, load_sigma_export

from .conftest import errors, run_cli, write
from .test_incomplete_exports import plan_with

HEADER = "memberId,email,firstName,lastName,memberType,userKind,isArchived,isInactive\n"
ADA = "Ad4AdminAd4AdminAd4AdminAd4Ad,ada.admin@example.com,Ada,Admin,admin,internal,false,false\n"
BEN = {"isArchived": "Bn5BuilderBn5BuilderBn5Builde,ben.builder@example.com,Ben,Builder,build,internal,,false\n",
       "isInactive": "Bn5BuilderBn5BuilderBn5Builde,ben.builder@example.com,Ben,Builder,build,internal,false,\n"}
UNREAD = "cannot be read (a plan never guesses it); fix the export"


def sigma_csv(root: Path, rows: str) -> Path:
    write(root / "members.csv", HEADER + ADA + rows)
    write(root / "teams.json", "[]")
    write(root / "team_members.json", "{}")
    return root


@pytest.mark.parametrize("field", ["isArchived", "isInactive"])
def test_an_empty_state_cell_in_a_sigma_members_csv_is_an_error_naming_file_line_and_column(capsys, tmp_path, field):
    root = sigma_csv(tmp_path / "sigma", BEN[field])
    what = "archived" if field == "isArchived" else "inactive"
    message = f"{field} is empty, not true or false: whether the member is {what} {UNREAD}"
    _, findings = load_sigma_export(root)
    assert errors(findings) == [("unreadable-status", "members.csv", "line 3", field, message)]

    code, err, result = plan_with(capsys, tmp_path, root)
    assert (code, result) == (1, None)
    assert err == (f"sigma-migrate: error: the inputs have 1 error(s), first: error: {root / 'members.csv'}:line 3 "
                   f"[{field}]: {message} (unreadable-status); run `sigma-migrate check` to list every finding\n")
    assert not (tmp_path / "plan.json").exists()


def test_check_lists_every_empty_state_cell(capsys, tmp_path):
    root = sigma_csv(tmp_path / "sigma", BEN["isArchived"].replace(",false\n", ",\n"))
    idp = write(tmp_path / "okta" / "users.json", "[]").parent
    code, out, _ = run_cli(capsys, "check", "--sigma", str(root), "--idp", str(idp), "--json")
    assert code == 1
    assert [(f["code"], f["location"], f["field"]) for f in json.loads(out)["findings"]
            if f["code"] == "unreadable-status"] == [
        ("unreadable-status", "line 3", "isArchived"), ("unreadable-status", "line 3", "isInactive")]


def member(member_id: str, email: str, **fields) -> dict:
    return {"memberId": member_id, "email": email, "firstName": "A", "lastName": "B", "memberType": "admin",
            "userKind": "internal", **fields}


def test_null_state_in_sigma_members_json_is_an_error_and_an_absent_one_is_not_archived(tmp_path):
    root = tmp_path / "sigma"
    write(root / "members.json", json.dumps([
        member("m1", "a@example.com"),  # no isArchived / isInactive: the API's optional booleans
        member("m2", "b@example.com", isArchived=None, isInactive=False),
        member("m3", "c@example.com", isArchived=True, isInactive=""),
    ]))
    write(root / "teams.json", "[]")
    write(root / "team_members.json", "{}")
    export, findings = load_sigma_export(root)
    assert errors(findings) == [
        ("unreadable-status", "members.json", "$[1]", "isArchived",
         f"isArchived is empty, not true or false: whether the member is archived {UNREAD}"),
        ("unreadable-status", "members.json", "$[2]", "isInactive",
         f"isInactive is empty, not true or false: whether the member is inactive {UNREAD}")]
    assert [(m.member_id, m.is_archived, m.is_inactive) for m in export.members] == [
        ("m1", False, False), ("m2", False, False), ("m3", True, False)]


def google_user(uid: str, email: str, **flags) -> dict:
    return {"kind": "admin#directory#user", "id": uid, "primaryEmail": email, **flags}


def test_a_google_api_user_archived_false_without_suspended_is_unreadable(tmp_path):
    users = write(tmp_path / "users.json", json.dumps({"kind": "admin#directory#users", "users": [
        google_user("1", "a@example.com", suspended=False, archived=False),
        google_user("2", "b@example.com", archived=False),
        google_user("3", "c@example.com", archived=True)]}))
    directory, findings = load_idp([users], "google-api")
    assert errors(findings) == [
        ("unreadable-status", "users.json", "$.users[1]", "suspended",
         f"suspended is missing, not true or false: whether the user is active {UNREAD}")]
    assert [(u.id, u.active) for u in directory.users] == [("1", True), ("2", None), ("3", False)]


def test_a_gam_csv_row_with_an_empty_suspended_cell_is_unreadable_once(tmp_path):
    users = write(tmp_path / "users.csv", "primaryEmail,id,suspended,archived\n"
                                          "a@example.com,1,False,False\n"
                                          "b@example.com,2,,False\n"
                                          "c@example.com,3,maybe,False\n"
                                          "d@example.com,4,,True\n")
    directory, findings = load_idp([users], "google-csv")
    assert errors(findings) == [  # the column's unreadable cells first, then the empty ones row by row
        ("unreadable-status", "users.csv", "line 4", "suspended",
         f"suspended is 'maybe', not true or false: whether the user is active {UNREAD}"),
        ("unreadable-status", "users.csv", "line 3", "suspended",
         f"suspended is empty, not true or false: whether the user is active {UNREAD}")]
    assert [(u.id, u.active) for u in directory.users] == [("1", True), ("2", None), ("3", None), ("4", False)]


def test_a_gam_csv_with_archived_but_no_suspended_column_is_a_missing_status_column(tmp_path):
    users = write(tmp_path / "users.csv", "primaryEmail,id,archived\na@example.com,1,False\n")
    _, findings = load_idp([users], "google-csv")
    assert errors(findings) == [(
        "missing-status-column", "users.csv", "line 1", "Status [READ ONLY] (or suspended)",
        "no Status [READ ONLY] (or suspended) column: whether each user is active cannot be read (a plan never "
        "guesses it); export the users with it")]


def test_an_empty_or_absent_user_kind_is_an_error_in_csv_and_json(tmp_path):
    csv_root = sigma_csv(tmp_path / "csv", BEN["isArchived"].replace(",internal,,", ",,false,"))
    _, findings = load_sigma_export(csv_root)
    message = f"userKind is empty, not internal, guest or embed: whether the member is a guest {UNREAD}"
    assert errors(findings) == [("unreadable-status", "members.csv", "line 3", "userKind", message)]

    json_root = tmp_path / "json"
    no_kind = member("m1", "a@example.com")
    del no_kind["userKind"]
    write(json_root / "members.json", json.dumps([no_kind, member("m2", "b@example.com", userKind=None),
                                                  member("m3", "c@example.com", userKind="Guest")]))
    write(json_root / "teams.json", "[]")
    write(json_root / "team_members.json", "{}")
    export, findings = load_sigma_export(json_root)
    assert errors(findings) == [  # absent is never internal (tester13 F6): one error for the file's records
        ("unreadable-status", "members.json", "$[1]", "userKind", message),
        ("unreadable-status", "members.json", "$[0]", "userKind",
         "userKind is missing (nor isGuest, its older form) on 1 of 3 members ($[0]), not internal, guest or embed: "
         "whether the member is a guest cannot be read (a plan never guesses it, never reads a member as internal); "
         "export the members again (GET /v2/members writes userKind)")]
    assert [m.user_kind for m in export.members] == ["", "", "guest"]
