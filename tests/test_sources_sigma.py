"""Sigma export loader: every envelope shape, the CSV equivalents, and its findings."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from planner.model import Severity
from planner.sources import load_sigma_export

FIXTURES = Path(__file__).parent / "fixtures" / "sources"


def codes(findings):
    return [(f.severity.value, f.code) for f in findings]


def write(directory: Path, name: str, content) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / name
    path.write_text(content if isinstance(content, str) else json.dumps(content), encoding="utf-8")
    return path


SIGMA_CSV_HEADER = ("memberId,email,firstName,lastName,memberType,userKind,isArchived,isInactive,organizationId,"
                    "createdAt,updatedAt,createdBy,updatedBy,homeFolderId,profileImgUrl")


def member(member_id: str, email: str, member_type: str = "Pro", **extra) -> dict:
    return {"memberId": member_id, "email": email, "firstName": "F", "lastName": "L",
            "memberType": member_type, "userKind": "internal", "organizationId": "org-1", **extra}


# --------------------------------------------------------------------------- cases of issue 2


def test_members_json_as_a_list_of_two_pages_loads_the_members_of_both_pages():
    export, _ = load_sigma_export(FIXTURES / "sigma_pages")
    assert [m.member_id for m in export.members] == ["m1", "m2", "SigmaSchedulerRobot", "m3", "m4", "m5"]
    assert export.members[3].source.location == "$[1].entries[1]"


def test_same_email_in_two_cases_is_one_warning_naming_both_member_ids_and_keeps_both():
    export, findings = load_sigma_export(FIXTURES / "sigma_pages")
    dupes = [f for f in findings if f.code == "duplicate-email"]
    assert len(dupes) == 1
    d = dupes[0]
    assert d.severity is Severity.WARNING
    assert (d.file, d.location, d.field) == (str(FIXTURES / "sigma_pages" / "members.json"), "$[0].entries[0]",
                                             "email")
    assert "m1 ('Bob.Ray@Example.com'" in d.message and "m2 ('bob.ray@example.com'" in d.message
    assert "bob.ray@example.com" in d.message
    assert {m.member_id for m in export.members if m.email_key == "bob.ray@example.com"} == {"m1", "m2"}


# --------------------------------------------------------------------------- shapes and fields


def test_member_fields_flags_and_raw_object():
    export, _ = load_sigma_export(FIXTURES / "sigma_pages")
    by_id = {m.member_id: m for m in export.members}
    m1 = by_id["m1"]
    assert (m1.email, m1.email_key, m1.first_name, m1.last_name, m1.member_type, m1.user_kind) == (
        "Bob.Ray@Example.com", "bob.ray@example.com", "Bob", "Ray", "Pro", "internal")
    assert m1.organization_id == "0f3c2a9e-1b2d-4c5e-8f70-123456789abc"
    assert (m1.created_at, m1.updated_at) == ("2024-02-01T10:00:00.000Z", "2025-04-12T20:57:59.776Z")
    assert m1.raw["homeFolderId"] == "6b1f0a52-9a0e-4c43-8d0e-0d6a3f1b2c11" and m1.raw["profileImgUrl"] is None
    assert (by_id["m3"].user_kind, by_id["m3"].is_guest) == ("guest", True)
    assert (by_id["m4"].is_archived, by_id["m4"].is_inactive, by_id["m4"].is_active) == (True, False, False)
    assert (by_id["m5"].is_archived, by_id["m5"].is_inactive) == (False, True)
    assert by_id["m5"].raw["customField"] == "kept in raw"


def test_scheduler_robot_is_recognized_and_not_a_person():
    export, _ = load_sigma_export(FIXTURES / "sigma_pages")
    robot = [m for m in export.members if m.is_system]
    assert [m.member_id for m in robot] == ["SigmaSchedulerRobot"]
    assert "SigmaSchedulerRobot" not in {m.member_id for m in export.people}
    assert len(export.people) == 5


def test_teams_memberships_from_pages_bare_arrays_and_keyed_answers():
    export, findings = load_sigma_export(FIXTURES / "sigma_pages")
    assert [(t.team_id, t.name, t.visibility, t.is_archived) for t in export.teams] == [
        ("t1", "Finance Analysts", "private", False),
        ("t2", "Sales EMEA", "public", False),
        ("t3", "Project Falcon (old)", None, True),
    ]
    assert [(tm.team_id, tm.member_id, tm.is_team_admin, tm.added_by) for tm in export.team_memberships] == [
        ("t1", "m1", True, "m1"), ("t1", "m3", False, "m1"), ("t2", "m2", False, "m1"), ("t2", "m4", False, "m1"),
    ]
    assert export.team_memberships[3].source.location == '$["t2"][1].entries'  # one ref per page
    assert [(a.account_type_id, a.name) for a in export.account_types] == [
        ("at-1", "Admin"), ("at-2", "Pro"), ("at-3", "Essential"), ("at-4", "Lite")]
    assert codes(findings) == [("warning", "duplicate-email")]


def test_bare_arrays_and_team_members_taken_from_team_objects():
    export, findings = load_sigma_export(FIXTURES / "sigma_bare")
    assert [m.member_id for m in export.members] == ["Xq7LmN2pR8sT4vW6yZ1aB3cD5eF9g", "Pq1Rs2Tu3Vw4Xy5Za6Bc7De8Fg9Hi"]
    assert export.members[1].user_kind == "embed"
    assert [(tm.team_id, tm.member_id) for tm in export.team_memberships] == [
        ("88858466-5299-4425-95c0-000000000001", "Xq7LmN2pR8sT4vW6yZ1aB3cD5eF9g"),
        ("88858466-5299-4425-95c0-000000000001", "Pq1Rs2Tu3Vw4Xy5Za6Bc7De8Fg9Hi"),
    ]
    assert export.account_types is None
    assert codes(findings) == [("info", "team-members-from-teams"), ("info", "missing-file")]
    assert findings[1].field == "account_types.json"


def test_csv_export_loads_like_the_json_export():
    from_json, _ = load_sigma_export(FIXTURES / "sigma_pages")
    from_csv, findings = load_sigma_export(FIXTURES / "sigma_csv")
    def person(m):
        return (m.member_id, m.email, m.email_key, m.first_name, m.last_name, m.member_type.casefold(),
                m.user_kind, m.is_archived, m.is_inactive)

    assert [person(m) for m in from_csv.members] == [person(m) for m in from_json.members]
    assert [(t.team_id, t.name, t.is_archived) for t in from_csv.teams] == [
        (t.team_id, t.name, t.is_archived) for t in from_json.teams]
    assert [(tm.team_id, tm.member_id, tm.is_team_admin) for tm in from_csv.team_memberships] == [
        (tm.team_id, tm.member_id, tm.is_team_admin) for tm in from_json.team_memberships]
    m1 = from_csv.members[0]
    assert m1.raw["department"] == "Finance" and m1.source.location == "line 2"
    assert codes(findings) == [("info", "missing-file"), ("warning", "duplicate-email"),
                               ("warning", "no-organization-id")]  # the CSV has no organizationId column


def test_json_preferred_over_csv_of_the_same_kind(tmp_path):
    write(tmp_path, "members.json", [member("m1", "a@example.com")])
    write(tmp_path, "members.csv", "memberId,email\nm9,z@example.com\n")
    export, findings = load_sigma_export(tmp_path)
    assert [m.member_id for m in export.members] == ["m1"]
    assert ("info", "ignored-file") in codes(findings)


# --------------------------------------------------------------------------- findings


def test_unknown_member_type_is_a_warning_only_when_account_types_are_known(tmp_path):
    write(tmp_path, "members.json", {"entries": [
        member("m1", "a@example.com", "pro"), member("m2", "b@example.com", "Creator"),
        member("m3", "c@example.com", "Creator")], "nextPage": None})
    write(tmp_path, "teams.json", [])
    write(tmp_path, "team_members.json", {})
    _, findings = load_sigma_export(tmp_path)
    assert "unknown-member-type" not in {f.code for f in findings}

    write(tmp_path, "account_types.json", {"entries": [{"accountTypeId": "1", "accountTypeName": "Pro"}]})
    _, findings = load_sigma_export(tmp_path)
    unknown = [f for f in findings if f.code == "unknown-member-type"]
    assert len(unknown) == 1
    assert (Path(unknown[0].file).name, unknown[0].location, unknown[0].field) == (
        "account_types.json", "", "memberType")
    assert unknown[0].message == (
        "memberType 'Creator' of 2 member(s) (first m2, members.json:$.entries[1]) is not an account type of this "
        "account types file (Pro), which is therefore incomplete (a page not saved, or saved before the type was "
        "made); export the account types again")


def test_same_member_id_twice_is_a_duplicate_id_error_and_kept_once(tmp_path):
    write(tmp_path, "members.json", [
        {"entries": [member("m1", "a@example.com"), member("m2", "b@example.com")], "nextPage": "x"},
        {"entries": [member("m1", "a@example.com"), member("m2", "other@example.com")], "nextPage": None}])
    export, findings = load_sigma_export(tmp_path)
    assert [(m.member_id, m.email) for m in export.members] == [("m1", "a@example.com"), ("m2", "b@example.com")]
    dup = [(f.severity, f.location, f.field, f.message) for f in findings if f.code == "duplicate-id"]
    members_json = tmp_path / "members.json"
    assert dup == [
        (Severity.ERROR, "$[1].entries[0]", "memberId",
         f"memberId m1 appears again (first at {members_json}:$[0].entries[0]), the same record again "
         "(overlapping pages?); one id must name one object"),
        (Severity.ERROR, "$[1].entries[1]", "memberId",
         f"memberId m2 appears again (first at {members_json}:$[0].entries[1]), a different record; "
         "one id must name one object"),
    ]
    assert "duplicate-email" not in {f.code for f in findings}


def test_last_page_with_a_next_page_token_warns_that_pages_are_missing(tmp_path):
    write(tmp_path, "members.json", {"entries": [member("m1", "a@example.com")], "nextPage": "abc"})
    _, findings = load_sigma_export(tmp_path)
    assert [(f.code, f.field) for f in findings if f.code == "incomplete-pages"] == [("incomplete-pages", "nextPage")]


def test_empty_and_invalid_emails_warn_but_members_are_kept(tmp_path):
    write(tmp_path, "members.json", [member("m1", ""), member("m2", "not an email"), member("m3", "x@y")])
    export, findings = load_sigma_export(tmp_path)
    assert len(export.members) == 3
    assert [(f.code, f.location) for f in findings if f.code in ("empty-email", "invalid-email")] == [
        ("empty-email", "$[0]"), ("invalid-email", "$[1]"), ("invalid-email", "$[2]")]


def test_is_team_admin_given_as_a_string_is_an_unreadable_status_error(tmp_path):
    write(tmp_path, "members.json", [member("m1", "a@example.com")])
    write(tmp_path, "teams.json", [{"teamId": "t1", "name": "One"}])
    write(tmp_path, "team_members.json", {"t1": {"entries": [{"userId": "m1", "isTeamAdmin": "yes"}]}})
    export, findings = load_sigma_export(tmp_path)
    assert [(tm.team_id, tm.member_id, tm.is_team_admin) for tm in export.team_memberships] == [("t1", "m1", False)]
    assert [(f.code, f.location, f.field) for f in findings if f.severity is Severity.ERROR] == [
        ("unreadable-status", '$["t1"].entries[0]', "isTeamAdmin")]


def test_a_json_boolean_given_as_a_string_or_number_is_an_unreadable_status_error(tmp_path):
    # tester2 dirty/sigma_strbool: "isArchived": "no" was read as not archived, without a finding; Sigma writes
    # JSON booleans (docs/sigma-api.md §2.2), a CSV export keeps its spellings (next test)
    write(tmp_path, "members.json", [member("m1", "a@example.com", isArchived="True"),
                                     member("m2", "b@example.com", isArchived="no"),
                                     member("m3", "c@example.com", isInactive=0),
                                     member("m4", "d@example.com", isArchived=True)])
    write(tmp_path, "teams.json", [])
    write(tmp_path, "team_members.json", {})
    export, findings = load_sigma_export(tmp_path)
    assert [(m.is_archived, m.is_inactive) for m in export.members] == [
        (False, False), (False, False), (False, False), (True, False)]
    assert [(f.severity, f.code, f.location, f.field, f.message) for f in findings if f.severity is Severity.ERROR] == [
        (Severity.ERROR, "unreadable-status", "$[0]", "isArchived",
         "isArchived is 'True', not true or false: whether the member is archived cannot be read "
         "(a plan never guesses it); fix the export"),
        (Severity.ERROR, "unreadable-status", "$[1]", "isArchived",
         "isArchived is 'no', not true or false: whether the member is archived cannot be read "
         "(a plan never guesses it); fix the export"),
        (Severity.ERROR, "unreadable-status", "$[2]", "isInactive",
         "isInactive is 0, not true or false: whether the member is inactive cannot be read "
         "(a plan never guesses it); fix the export")]


def test_an_invalid_boolean_in_members_csv_is_an_error(tmp_path):
    write(tmp_path, "members.csv",
          "memberId,email,memberType,userKind,isArchived,isInactive\nm1,a@example.com,Viewer,internal,FALSE,False\n"
          "m2,b@example.com,Viewer,internal,maybe,no\n")
    write(tmp_path, "teams.json", [])
    write(tmp_path, "team_members.json", {})
    _, findings = load_sigma_export(tmp_path)
    assert [(f.severity, f.code, f.file, f.location, f.field, f.message)
            for f in findings if f.severity is Severity.ERROR] == [
        (Severity.ERROR, "unreadable-status", str(tmp_path / "members.csv"), "line 3", "isArchived",
         "isArchived is 'maybe', not true or false: whether the member is archived cannot be read "
         "(a plan never guesses it); fix the export"),
        (Severity.ERROR, "unreadable-status", str(tmp_path / "members.csv"), "line 3", "isInactive",
         "isInactive is 'no', not true or false: whether the member is inactive cannot be read "
         "(a plan never guesses it); fix the export")]


def test_memberships_naming_unknown_teams_or_members_show_those_files_incomplete(tmp_path):
    write(tmp_path, "members.json", [member("m1", "a@example.com")])
    write(tmp_path, "teams.json", [{"teamId": "t1", "name": "One"}, {"teamId": "t2", "name": "Two"}])
    write(tmp_path, "team_members.json", {"t1": {"entries": [{"userId": "m1"}, {"userId": "gone"}]},
                                          "t2": {"entries": [{"userId": "gone", "isTeamAdmin": True}]},
                                          "t9": {"entries": [{"userId": "m1"}]}})
    export, findings = load_sigma_export(tmp_path)
    assert [(tm.team_id, tm.member_id) for tm in export.team_memberships] == [("t1", "m1")]
    assert [(f.severity, f.code, Path(f.file).name, f.location, f.field, f.message) for f in findings
            if f.code in ("member-not-in-members", "team-not-in-teams")] == [
        (Severity.WARNING, "team-not-in-teams", "teams.json", "", "teamId",
         "1 team(s) of team_members.json are not in this teams file, which is therefore incomplete: t9 "
         '(1 membership(s), $["t9"].entries); their memberships are held (no action for them); export the teams '
         "again, every page"),
        (Severity.WARNING, "member-not-in-members", "members.json", "", "memberId",
         "1 team member(s) of team_members.json are not in this members file, which is therefore incomplete "
         "(exported without includeArchived=true&includeInactive=true?): gone (team t1, t2, "
         '$["t1"].entries); their memberships are held (no action for them); export the members again, every '
         "page and state"),
    ]


def test_duplicate_team_names_ignoring_case_warn(tmp_path):
    write(tmp_path, "members.json", [])
    write(tmp_path, "teams.json", [{"teamId": "t1", "name": "Sales"}, {"teamId": "t2", "name": "sales "},
                                   {"teamId": "t3", "name": "SALES\u200b"}])
    _, findings = load_sigma_export(tmp_path)
    # one rule for "same team name", the plan's (values.team_name_key: a zero-width space is no part of it)
    assert [f.message for f in findings if f.code == "duplicate-team-name"] == [
        "3 teams are named 'Sales' (ignoring case): t1, t2, t3; IdP groups link to teams by name"]


def test_csv_team_members_accept_user_id_and_excel_damaged_ids_are_errors(tmp_path):
    write(tmp_path, "members.csv", "memberId,email,memberType,userKind,isArchived,isInactive\nm1,a@example.com,Pro,internal,false,false\n"
          "1.23E+28,b@example.com,Pro,internal,false,false\n")
    write(tmp_path, "teams.csv", "teamId,name\nt1,One\n1.04E+20,Two\n")
    write(tmp_path, "team_members.csv", "teamId,userId,isTeamAdmin\nt1,m1,true\nt1,1.23E+28,false\n")
    export, findings = load_sigma_export(tmp_path)
    assert [(tm.member_id, tm.is_team_admin) for tm in export.team_memberships] == [("m1", True), ("1.23E+28", False)]
    assert [m.member_id for m in export.members] == ["m1", "1.23E+28"]  # kept as strings: nothing later trips
    mangled = [(f.severity, f.file.rsplit("/", 1)[1], f.location, f.field) for f in findings
               if f.code == "excel-mangled-id"]
    assert mangled == [(Severity.ERROR, "members.csv", "line 3", "memberId"),
                       (Severity.ERROR, "teams.csv", "line 3", "teamId"),
                       (Severity.ERROR, "team_members.csv", "line 3", "userId")]
    assert findings[0].message == ("memberId '1.23E+28' was damaged by a spreadsheet (scientific notation or "
                                   "zeroed digits); the real id is lost: re-export without opening the file in Excel")


def test_csv_ids_that_lost_their_leading_zeros_are_errors(tmp_path):
    """The one shared check (tabular.flag_damaged_ids) also finds all-digit ids shorter than their column's padding."""
    write(tmp_path, "members.csv", "memberId,email,memberType,userKind,isArchived,isInactive\n"
          "00417,a@example.com,Pro,internal,false,false\n418,b@example.com,Pro,internal,false,false\n")
    write(tmp_path, "teams.csv", "teamId,name\nt1,One\n")
    write(tmp_path, "team_members.csv", "teamId,userId\nt1,00417\nt1,418\n")
    _, findings = load_sigma_export(tmp_path)
    assert [(f.severity, f.file.rsplit("/", 1)[1], f.location, f.field, f.message) for f in findings
            if f.code == "excel-mangled-id"] == [
        (Severity.ERROR, "members.csv", "line 3", "memberId",
         "memberId '418' is shorter than this column's zero-padded ids ('00417'): its leading zeros were lost by a "
         "spreadsheet; re-export without opening the file in Excel"),
        (Severity.ERROR, "team_members.csv", "line 3", "userId",
         "userId '418' is shorter than this column's zero-padded ids ('00417'): its leading zeros were lost by a "
         "spreadsheet; re-export without opening the file in Excel"),
    ]


def test_excel_damaged_ids_in_json_are_errors(tmp_path):
    write(tmp_path, "members.json", [member("m1", "a@example.com"), member("1.04E+20", "b@example.com")])
    write(tmp_path, "teams.json", [{"teamId": "2.5E+19", "name": "One"}])
    write(tmp_path, "team_members.json", {"2.5E+19": {"entries": [{"userId": "m1"}, {"userId": "1.04E+20"}]}})
    export, findings = load_sigma_export(tmp_path)
    assert [(tm.team_id, tm.member_id) for tm in export.team_memberships] == [
        ("2.5E+19", "m1"), ("2.5E+19", "1.04E+20")]
    assert [(f.severity, f.file.rsplit("/", 1)[1], f.location, f.field) for f in findings
            if f.code == "excel-mangled-id"] == [
        (Severity.ERROR, "members.json", "$[1]", "memberId"),
        (Severity.ERROR, "teams.json", "$[0]", "teamId"),
        (Severity.ERROR, "team_members.json", '$["2.5E+19"]', "teamId"),
        (Severity.ERROR, "team_members.json", '$["2.5E+19"].entries[1]', "userId"),
    ]


@pytest.mark.parametrize("entries, expected", [
    ([{"memberId": None, "email": "x@example.com"}],
     ("missing-id", "$[1]", "memberId", "member has no memberId; skipped")),
    ([{"memberId": 12, "email": "x@example.com"}],
     ("invalid-id", "$[1]", "memberId",
      "member has memberId 12, a number where Sigma writes a string id; skipped")),
    (["x@example.com"],
     ("invalid-record", "$[1]", "", "member entry is a string ('x@example.com'), not an object; skipped")),
    ([{"memberId": "m1", "email": "other@example.com", "memberType": "Pro", "userKind": "internal"}],
     ("duplicate-id", "$[1]", "memberId", None)),
])
def test_unusable_member_records_are_errors_and_left_out(tmp_path, entries, expected):
    write(tmp_path, "members.json", [member("m1", "a@example.com"), *entries])
    write(tmp_path, "teams.json", [{"teamId": "t1", "name": "One"}])
    write(tmp_path, "team_members.json", {"t1": [{"userId": "m1"}]})
    export, findings = load_sigma_export(tmp_path)
    assert [(m.member_id, m.email) for m in export.members] == [("m1", "a@example.com")]
    errors = [(f.code, f.location, f.field, f.message) for f in findings if f.severity is Severity.ERROR]
    assert [e[:3] for e in errors] == [expected[:3]]
    if expected[3]:
        assert errors[0][3] == expected[3]
    assert all(f.file == str(tmp_path / "members.json") for f in findings if f.severity is Severity.ERROR)


def test_team_member_entries_with_unusable_ids_are_errors(tmp_path):
    write(tmp_path, "members.json", [member("m1", "a@example.com")])
    write(tmp_path, "teams.json", [{"teamId": "t1", "name": "One"}, {"teamId": "t1", "name": "Again"}])
    write(tmp_path, "team_members.json", {"t1": {"entries": [{"userId": "m1"}, {"userId": 7}, "m1", {}]}})
    export, findings = load_sigma_export(tmp_path)
    assert [(tm.team_id, tm.member_id) for tm in export.team_memberships] == [("t1", "m1")]
    assert [t.name for t in export.teams] == ["One"]
    assert [(f.severity, f.code, f.location, f.field) for f in findings] == [
        (Severity.ERROR, "duplicate-id", "$[1]", "teamId"),
        (Severity.ERROR, "invalid-record", '$["t1"].entries[2]', ""),
        (Severity.ERROR, "invalid-id", '$["t1"].entries[1]', "userId"),
        (Severity.ERROR, "missing-id", '$["t1"].entries[3]', "userId"),
        (Severity.INFO, "missing-file", "", "account_types.json"),
    ]


@pytest.mark.parametrize("name, content", [
    ("members.csv", SIGMA_CSV_HEADER + "\n"),
    ("members.json", "[]"),
    ("members.json", json.dumps({"entries": [], "nextPage": None})),
    ("members.json", json.dumps([{"memberId": "SigmaSchedulerRobot", "email": "scheduler-robot@sigmacomputing.com",
                                  "memberType": "admin", "userKind": "internal"}])),
])
def test_an_export_without_members_is_a_no_members_error(tmp_path, name, content):
    write(tmp_path, name, content)
    write(tmp_path, "teams.json", [])
    write(tmp_path, "team_members.json", {})
    export, findings = load_sigma_export(tmp_path)
    errors = [f for f in findings if f.severity is Severity.ERROR]
    assert [(f.code, f.file, f.location, f.field) for f in errors] == [
        ("no-members", str(tmp_path / name), "", "memberId")]
    robot = " besides the scheduler robot" if export.members else ""
    assert errors[0].message == (f"the members file lists no members{robot} (only a header, or an empty list): "
                                 "an export of a real organization has people")


def test_a_truncated_members_csv_row_is_a_ragged_row_error(tmp_path):
    full = "m{n},u{n}@example.com,U,V,Pro,internal,false,false,org,2024-01-01,2024-01-02,a,b,f,"
    rows = [full.format(n=1), "m2,u2@example.com,U,V,Pro,internal,false,false,org,2024-01-01,2024-01-02",
            full.format(n=3), "m4,u4@exa"]
    write(tmp_path, "members.csv", "\n".join([SIGMA_CSV_HEADER, *rows]))
    write(tmp_path, "teams.json", [])
    write(tmp_path, "team_members.json", {})
    export, findings = load_sigma_export(tmp_path)
    assert [m.member_id for m in export.members] == ["m1", "m3"]
    assert [(f.severity, f.code, f.location, f.field) for f in findings if f.severity is Severity.ERROR] == [
        (Severity.ERROR, "ragged-row", "line 3", "createdBy"), (Severity.ERROR, "ragged-row", "line 5", "firstName")]


def test_missing_teams_and_team_members_files_are_errors_account_types_only_info(tmp_path):
    write(tmp_path, "members.json", [member("m1", "a@example.com")])
    _, findings = load_sigma_export(tmp_path)
    assert [(f.severity, f.code, f.field) for f in findings] == [
        (Severity.ERROR, "missing-file", "teams.json"), (Severity.INFO, "missing-file", "account_types.json")]
    write(tmp_path, "teams.json", [{"teamId": "t1", "name": "One"}])
    _, findings = load_sigma_export(tmp_path)
    assert [(f.severity, f.code, f.field) for f in findings] == [
        (Severity.ERROR, "missing-file", "team_members.json"), (Severity.INFO, "missing-file", "account_types.json")]
    assert findings[0].message == (
        "Sigma export has teams.json (1 team(s)) but no team_members.json: the teams and their members are exported "
        "together (docs/formats.md §1d), and a plan without memberships would take every team for empty; save the "
        "team members ({} when the org has no teams)")
    write(tmp_path, "teams.json", [])  # an org without teams still saves its (empty) team members
    _, findings = load_sigma_export(tmp_path)
    assert [(f.severity, f.code, f.field, f.message) for f in findings if f.severity is Severity.ERROR] == [
        (Severity.ERROR, "missing-file", "team_members.json",
         "Sigma export has teams.json (0 team(s)) but no team_members.json: the teams and their members are "
         "exported together (docs/formats.md §1d), and a plan without memberships would take every team for "
         "empty; save the team members ({} when the org has no teams)")]
    write(tmp_path, "team_members.json", {})
    _, findings = load_sigma_export(tmp_path)
    assert [(f.severity, f.code) for f in findings if f.code != "no-organization-id"] == [
        (Severity.INFO, "missing-file")]


@pytest.mark.parametrize("name", ["teams.json", "team_members.json", "account_types.json", "teams.csv"])
def test_an_empty_sigma_file_is_an_error_whichever_it_is(tmp_path, name):
    write(tmp_path, "members.json", [member("m1", "a@example.com")])
    write(tmp_path, "teams.json", [{"teamId": "t1", "name": "One"}])
    write(tmp_path, "team_members.json", {"t1": [{"userId": "m1"}]})
    (tmp_path / name).write_bytes(b"")
    if name == "teams.csv":
        (tmp_path / "teams.json").unlink()
    _, findings = load_sigma_export(tmp_path)
    assert (Severity.ERROR, "empty-file", str(tmp_path / name)) in [(f.severity, f.code, f.file) for f in findings]


def test_missing_directory_missing_members_and_a_file_instead_of_a_directory(tmp_path):
    _, findings = load_sigma_export(tmp_path / "nope")
    assert codes(findings) == [("error", "not-found")]
    _, findings = load_sigma_export(tmp_path)
    assert ("error", "missing-file") in codes(findings)
    _, findings = load_sigma_export(write(tmp_path, "members.json", "[]"))
    assert codes(findings) == [("error", "not-a-directory")]


def test_truncated_json_is_an_error_with_line_and_column(tmp_path):
    write(tmp_path, "members.json", '[\n  {"memberId": "m1",\n   "email": "a@exa')
    export, findings = load_sigma_export(tmp_path)
    assert export.members == ()
    bad = [f for f in findings if f.code == "malformed-json"]
    assert [(f.severity, f.location) for f in bad] == [(Severity.ERROR, "line 3 column 13")]


def test_a_members_object_that_is_not_a_page_is_an_error(tmp_path):
    write(tmp_path, "members.json", {"members": []})
    write(tmp_path, "teams.json", [])
    write(tmp_path, "team_members.json", {})
    _, findings = load_sigma_export(tmp_path)
    assert [(f.code, f.location) for f in findings if f.severity is Severity.ERROR] == [
        ("unexpected-json-shape", "$")]


def test_entries_that_is_not_a_list_says_so(tmp_path):
    write(tmp_path, "members.json", {"entries": "x", "nextPage": None})
    write(tmp_path, "teams.json", [])
    write(tmp_path, "team_members.json", {})
    _, findings = load_sigma_export(tmp_path)
    assert [(f.severity, f.code, f.location, f.field, f.message) for f in findings] == [
        (Severity.ERROR, "unexpected-json-shape", "$.entries", "entries",
         "members.json: 'entries' must be an array of records, found a string"),
        (Severity.INFO, "missing-file", "", "account_types.json",
         "no account_types.json (optional): memberType values are not checked against the org's account types"),
    ]


def test_a_member_repeated_in_overlapping_pages_of_one_team_is_kept_once(tmp_path):
    write(tmp_path, "members.json", [member("m1", "a@example.com"), member("m2", "b@example.com")])
    write(tmp_path, "teams.json", [{"teamId": "t1", "name": "One"}])
    write(tmp_path, "team_members.json", {"t1": [
        {"entries": [{"userId": "m1"}, {"userId": "m2"}], "nextPage": "p2"},
        {"entries": [{"userId": "m2", "isTeamAdmin": True}], "nextPage": None}]})
    write(tmp_path, "account_types.json", {"entries": [{"accountTypeId": "1", "accountTypeName": "Pro"}]})
    export, findings = load_sigma_export(tmp_path)
    assert [(tm.member_id, tm.is_team_admin) for tm in export.team_memberships] == [("m1", False), ("m2", False)]
    assert findings == []


# --------------------------------------------------------------------------- team_members.json, typed


TEAM_MEMBERS = {
    "t1": {"entries": [{"userId": "m1", "isTeamAdmin": True, "addedBy": "m2"}, {"userId": "m2"},
                       {"userId": "m1", "isTeamAdmin": False}, {"userId": ""}, {"userId": "1.23E+28"}],
           "nextPage": None},
    " t2 ": {"entries": [{"userId": "m2", "addedBy": None}], "total": 1},
    "1.04E+20": {"entries": [{"userId": "m1"}]},
    "t3": {"entries": []},
}


def _memberships_of(folder: Path):
    export, findings = load_sigma_export(folder)
    got = ([(tm.team_id, tm.member_id, tm.is_team_admin, tm.added_by, tm.source.location)
            for tm in export.team_memberships],
           [(f.severity.value, f.code, f.location, f.field, f.message) for f in findings])
    return json.loads(json.dumps(got).replace(str(folder), "<dir>"))


def test_typed_team_members_read_as_the_page_walk_reads_them(tmp_path):
    """The usual {teamId: page} file is decoded into typed entries (sigma._TEAM_MEMBERS); a copy with a
    UTF-8 BOM takes the dict walk of sigma._memberships: the same memberships and findings."""
    from planner.sources import sigma

    assert sorted(sigma._TEAM_MEMBERS.decode(json.dumps(TEAM_MEMBERS).encode())) == sorted(TEAM_MEMBERS)
    results = []
    for name, prefix in (("typed", ""), ("walked", "\ufeff")):
        folder = tmp_path / name
        write(folder, "members.json", [member("m1", "a@example.com"), member("m2", "b@example.com")])
        write(folder, "teams.json", [{"teamId": t.strip(), "name": f"Team {t}"} for t in TEAM_MEMBERS])
        write(folder, "team_members.json", prefix + json.dumps(TEAM_MEMBERS))
        results.append(_memberships_of(folder))
    assert results[0] == results[1]
    memberships, findings = results[0]
    assert memberships == [
        ["t1", "m1", True, "m2", '$["t1"].entries'], ["t1", "m2", False, None, '$["t1"].entries'],
        ["t2", "m2", False, None, '$["t2"].entries'], ["1.04E+20", "m1", False, None, '$["1.04E+20"].entries']]
    assert [(code, location, field) for severity, code, location, field, _ in findings if severity == "error"] == [
        ("excel-mangled-id", "$[2]", "teamId"),  # in teams.json
        ("missing-id", '$["t1"].entries[3]', "userId"), ("excel-mangled-id", '$["t1"].entries[4]', "userId"),
        ("excel-mangled-id", '$["1.04E+20"]', "teamId")]


@pytest.mark.parametrize("answer, finding", [
    ({"t1": {"entries": [{"userId": "m1"}], "nextPage": "abc"}}, ("warning", "incomplete-pages")),
    ({"t1": {"entries": [{"memberId": "m1", "isTeamAdmin": True}]}}, None),
    ({"entries": {"entries": [{"userId": "m1"}]}}, ("error", "unexpected-json-shape")),
])
def test_team_members_the_typed_path_cannot_take_go_to_the_page_walk(tmp_path, answer, finding):
    write(tmp_path, "members.json", [member("m1", "a@example.com")])
    write(tmp_path, "teams.json", [{"teamId": "t1", "name": "One"}])
    write(tmp_path, "team_members.json", answer)
    export, findings = load_sigma_export(tmp_path)
    assert [(f.severity.value, f.code) for f in findings if f.code in ("incomplete-pages", "unexpected-json-shape")
            ] == ([finding] if finding else [])
    if finding is None:
        assert [(tm.team_id, tm.member_id, tm.is_team_admin) for tm in export.team_memberships] == [("t1", "m1", True)]


def test_the_mangled_id_screen_passes_every_damaged_shape():
    """sigma._mangled screens on the first two characters before values.is_excel_mangled: every id the full
    test flags, Unicode digits included, must pass the screen; a random id with a letter second does not."""
    from planner.sources.sigma import _NUMBER_START, _mangled
    from planner.sources.values import is_excel_mangled

    ids = ["1.04E+20", "1E+20", "1e5", "1,5E+3", "-1E+2", "+1.5e-3", "104857600000000000000", "417.0", "4170.00",
           "'abb45145", "'", "1", "", "0vPebowFBzavAbsO63BBh6XNaBNbe", "9e", "9E+", "1٢٣٤٥٦٧٨٩٠١٢٣٤000", "1e٣",
           "٣.0", "1.5", "12", "1x", "1eX", "5ea2b1c3", "1.04E+20 ", "+", "-x", "12345678901234567"]
    assert [v for v in ids if _mangled(v) != (v[:1] in _NUMBER_START and is_excel_mangled(v))] == []
    assert [v for v in ids if _mangled(v)] == [
        "1.04E+20", "1E+20", "1e5", "1,5E+3", "-1E+2", "+1.5e-3", "104857600000000000000", "417.0", "4170.00",
        "'abb45145", "'", "1٢٣٤٥٦٧٨٩٠١٢٣٤000", "1e٣", "1.04E+20 "]


def test_a_team_name_in_teams_csv_is_kept_as_written_spaces_included(tmp_path):
    """Issue 10 item 4: the CSV reader stripped ' Finance Analysts ' to a name Sigma does not hold, so the
    plan linked a team under a name that matches none (a second team); the rules now see the name as it is
    (planner.rules.teams.unclean_name_item)."""
    import shutil

    root = tmp_path / "sigma"
    shutil.copytree(FIXTURES / "sigma_csv", root)
    (root / "teams.csv").write_text("teamId,name,description,visibility,isArchived\n"
                                    "t1, Finance Analysts ,Month-end, private ,false\n"
                                    "t2,Sales EMEA,,public,false\n", encoding="utf-8")
    export, _ = load_sigma_export(root)
    assert [(t.team_id, t.name, t.visibility) for t in export.teams] == [
        ("t1", " Finance Analysts ", "private"), ("t2", "Sales EMEA", "public")]
