"""A damaged or absent required field of an export record is an error, never a value (issue 10, tester13 F2, F6,
F8): ``null``, ``""`` or blanks in a Sigma member's ``memberType``, a Sigma team's ``name``, an IdP user's
``userName`` or an IdP group's display name is one ``missing-value`` error naming file, record and field
(:mod:`planner.sources.required`, every format); a Sigma member's kind is read from ``userKind``, else the older
``isGuest``, else it is an error, never "internal"."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from planner.sources import load_idp, load_sigma_export

from .conftest import errors, run_cli, write
from .test_incomplete_sigma import edit_json as edit

REPO = Path(__file__).resolve().parent.parent
SAMPLE = REPO / "samples" / "acme"
HELEN = "QK9fJMB9nEBWpYLdl9yg76p7wxYSm"  # helen.ortiz@acme.example, an Admin of the sample, $[0].entries[7]
OPERATIONS = "c3da9414-36d5-4628-a0a2-aa787aff38b1"  # the sample's team 'Operations', teams.json $.entries[1]
FINANCE_GROUP = "00gSUDsbhMqeLxqzTHLU"  # the sample's Okta group 'Finance', groups.json $[8]

MEMBER_TYPE_TAIL = ("which Sigma writes on every member, the name of its account type (docs/sigma-api.md §2.2): the "
                    "record is damaged, and the plan cannot tell the member's account type (an Admin would read as a "
                    "custom type and lose Admin without a question); export the members again")
TEAM_NAME_TAIL = ("which Sigma requires of every team (docs/sigma-api.md §3.2): the record is damaged, and the plan "
                  "cannot link the team to the IdP group of its name (the IdP would push that group onto it after "
                  "the switch), nor name it in a policy; export the teams again")
USER_NAME_TAIL = ("which the IdP sends as the SCIM userName, REQUIRED by RFC 7643 §4.1.1 (Sigma identifies SCIM "
                  "users by it, docs/sigma-api.md §5.2): the record is damaged, and the plan cannot link or create "
                  "the user, nor tell which member it is; export the users again")
GROUP_NAME_TAIL = ("which the IdP pushes as the SCIM displayName, REQUIRED by RFC 7643 §4.2: the record is damaged, "
                   "and the plan cannot tell which team the group links to, nor name it in a policy; export the "
                   "groups again")
KIND_UNREAD = "whether the member is a guest cannot be read"


def member(member_id: str, email: str, **fields) -> dict:
    return {"memberId": member_id, "email": email, "firstName": "F", "lastName": "L", "memberType": "Pro",
            "userKind": "internal", "organizationId": "org-1", **fields}


def sigma_json(root: Path, members: list, teams: list | None = None) -> Path:
    write(root / "members.json", json.dumps(members))
    write(root / "teams.json", json.dumps(teams or []))
    write(root / "team_members.json", json.dumps({t["teamId"]: [] for t in teams or []}))
    return root


def sample(tmp_path: Path) -> Path:
    case = tmp_path / "case"
    shutil.copytree(SAMPLE, case)
    return case


def assert_refused(capsys, tmp_path: Path, case: Path, policy: Path, line: str) -> None:
    """``check`` of the ``case`` export (Sigma and Okta) exits 1 with the one error ``line``, and ``plan`` under
    ``policy`` refuses with it, writing no plan: no action is taken on the damaged record, nor on any other."""
    code, out, _ = run_cli(capsys, "check", "--sigma", str(case / "sigma"), "--idp", str(case / "okta"))
    assert code == 1
    assert [row for row in out.splitlines() if row.startswith("error:")] == [line]
    plan = tmp_path / "plan.json"
    code, _, err = run_cli(capsys, "plan", "--sigma", str(case / "sigma"), "--idp", str(case / "okta"),
                           "--policy", str(policy), "--out", str(plan))
    assert (code, plan.exists()) == (1, False)
    assert err == (f"sigma-migrate: error: the inputs have 1 error(s), first: {line}; run `sigma-migrate check` "
                   "to list every finding\n")


# --------------------------------------------------------------------------- F2: memberType


@pytest.mark.parametrize("value, shown", [(None, "null"), ("", '""'), ("  ", "white space")])
def test_a_member_type_null_empty_or_blank_is_a_missing_value_error(tmp_path, value, shown):
    root = sigma_json(tmp_path, [member("m1", "a@example.com"), member("m2", "b@example.com", memberType=value)])
    export, findings = load_sigma_export(root)
    assert errors(findings) == [
        ("missing-value", "members.json", "$[1]", "memberType", f"member m2 has no memberType ({shown}), "
         + MEMBER_TYPE_TAIL)]


def test_members_without_member_type_are_one_error_per_file_naming_each(tmp_path):
    absent = member("m3", "c@example.com")
    del absent["memberType"]
    root = sigma_json(tmp_path, [member("m1", "a@example.com", memberType=None), member("m2", "b@example.com"),
                                 absent])
    _, findings = load_sigma_export(root)
    assert errors(findings) == [
        ("missing-value", "members.json", "$[0]", "memberType",
         f"2 members have no memberType (m1 at $[0]: null, m3 at $[2]: missing), {MEMBER_TYPE_TAIL}")]


def test_a_members_csv_blank_member_type_cell_and_a_csv_without_the_column_are_errors(tmp_path):
    header = "memberId,email,memberType,userKind,isArchived,isInactive\n"
    write(tmp_path / "a" / "members.csv", header + "m1,a@example.com,Pro,internal,false,false\n"
                                                   "m2,b@example.com, ,internal,false,false\n")
    write(tmp_path / "a" / "teams.csv", "teamId,name\n")
    write(tmp_path / "a" / "team_members.csv", "teamId,userId\n")
    _, findings = load_sigma_export(tmp_path / "a")
    assert errors(findings) == [("missing-value", "members.csv", "line 3", "memberType",
                                 f"member m2 has no memberType (\"\"), {MEMBER_TYPE_TAIL}")]

    write(tmp_path / "b" / "members.csv", "memberId,email,userKind,isArchived,isInactive\n"
                                          "m1,a@example.com,internal,false,false\n")
    shutil.copy(tmp_path / "a" / "teams.csv", tmp_path / "b")
    shutil.copy(tmp_path / "a" / "team_members.csv", tmp_path / "b")
    _, findings = load_sigma_export(tmp_path / "b")
    assert [e[:4] for e in errors(findings)] == [("missing-column", "members.csv", "line 1", "memberType")]


def test_an_admin_exported_without_member_type_is_refused_by_check_and_plan(capsys, tmp_path):
    """tester13 F2: under on_custom_replacement: allow the plan took the Admin for a custom type '' and
    downgraded her without the admin_downgrade question; now check and plan stop at her record."""
    case = sample(tmp_path)
    edit(case / "sigma" / "members.json",
         lambda pages: pages[0]["entries"][7].update(memberType=None))
    policy = tmp_path / "policy.yaml"
    policy.write_text((SAMPLE / "policy-okta-reviewed.yaml").read_text(encoding="utf-8").replace(
        "account_types:\n", "account_types:\n  on_custom_replacement: allow\n", 1), encoding="utf-8")
    assert_refused(capsys, tmp_path, case, policy,
                   f"error: {case}/sigma/members.json:$[0].entries[7] [memberType]: member {HELEN} has no memberType "
                   f"(null), {MEMBER_TYPE_TAIL} (missing-value)")


# --------------------------------------------------------------------------- F8: team and group names


@pytest.mark.parametrize("value, shown", [(None, "null"), ("", '""'), (" \t", "white space")])
def test_a_team_name_null_empty_or_blank_is_a_missing_value_error(tmp_path, value, shown):
    root = sigma_json(tmp_path, [member("m1", "a@example.com")],
                      [{"teamId": "t1", "name": "Sales"}, {"teamId": "t2", "name": value}])
    _, findings = load_sigma_export(root)
    assert errors(findings) == [
        ("missing-value", "teams.json", "$[1]", "name", f"team t2 has no name ({shown}), {TEAM_NAME_TAIL}")]


def test_a_teams_csv_blank_name_is_a_missing_value_error(tmp_path):
    write(tmp_path / "members.csv", "memberId,email,memberType,userKind,isArchived,isInactive\n"
                                    "m1,a@example.com,Pro,internal,false,false\n")
    write(tmp_path / "teams.csv", "teamId,name\nt1,Sales\nt2,\n")
    write(tmp_path / "team_members.csv", "teamId,userId\nt1,m1\n")
    _, findings = load_sigma_export(tmp_path)
    assert errors(findings) == [
        ("missing-value", "teams.csv", "line 3", "name", f"team t2 has no name (\"\"), {TEAM_NAME_TAIL}")]


def test_a_team_exported_without_its_name_is_refused_by_check_and_plan(capsys, tmp_path):
    """tester13 F8: the plan dropped the team's link and offered teams.map {"": Operations}; now it stops."""
    case = sample(tmp_path)
    edit(case / "sigma" / "teams.json", lambda page: page["entries"][1].update(name=None))
    assert_refused(capsys, tmp_path, case, SAMPLE / "policy-okta-reviewed.yaml",
                   f"error: {case}/sigma/teams.json:$.entries[1] [name]: team {OPERATIONS} has no name (null), "
                   f"{TEAM_NAME_TAIL} (missing-value)")


def test_an_okta_group_without_its_name_is_an_error_never_named_by_its_id(capsys, tmp_path):
    case = sample(tmp_path)
    edit(case / "okta" / "groups.json", lambda groups: groups[8]["profile"].update(name=None))
    directory, findings = load_idp(case / "okta")
    assert errors(findings) == [("missing-value", "groups.json", "$[8]", "profile.name",
                                 f"IdP group {FINANCE_GROUP} has no profile.name (empty), {GROUP_NAME_TAIL}")]
    assert [g.display_name for g in directory.groups if g.id == FINANCE_GROUP] == [""]  # never its id
    assert_refused(capsys, tmp_path, case, SAMPLE / "policy-okta-reviewed.yaml",
                   f"error: {case}/okta/groups.json:$[8] [profile.name]: IdP group {FINANCE_GROUP} has no "
                   f"profile.name (empty), {GROUP_NAME_TAIL} (missing-value)")


@pytest.mark.parametrize("files, where", [
    ({"users.csv": "id,userPrincipalName,accountEnabled\nu1,a@example.com,true\n",
      "groups.csv": "id,displayName\ng1,Sales\ng2,  \n"}, ("groups.csv", "line 3", "displayName")),
    ({"users.json": {"value": [{"id": "u1", "userPrincipalName": "a@example.com", "accountEnabled": True}]},
      "groups.json": {"value": [{"id": "g1", "displayName": "Sales"}, {"id": "g2", "displayName": None}]},
      "group_members.json": {"g1": {"value": []}, "g2": {"value": []}}}, ("groups.json", "$.value[1]", "displayName")),
    ({"users.json": {"kind": "admin#directory#users", "users": [{"id": "1", "primaryEmail": "a@example.com",
                                                                 "suspended": False}]},
      "groups.json": {"kind": "admin#directory#groups", "groups": [
          {"id": "g1", "email": "sales@example.com", "name": "Sales"},
          {"id": "g2", "email": "ops@example.com", "name": ""}]},
      "group_members/g1.json": {"members": []}, "group_members/g2.json": {"members": []}},
     ("groups.json", "$.groups[1]", "name")),
    ({"Users.json": {"schemas": ["urn:ietf:params:scim:api:messages:2.0:ListResponse"], "Resources": [
        {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "id": "u1", "userName": "a@example.com",
         "active": True}]},
      "Groups.json": {"schemas": ["urn:ietf:params:scim:api:messages:2.0:ListResponse"], "Resources": [
          {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "id": "g1", "displayName": "Sales"},
          {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "id": "g2", "displayName": None}]}},
     ("Groups.json", "$.Resources[1]", "displayName")),
], ids=["entra-csv", "entra-graph", "google-api", "scim"])
def test_a_group_without_its_display_name_is_an_error_in_every_format(tmp_path, files, where):
    for name, content in files.items():
        write(tmp_path / "idp" / name, content if isinstance(content, str) else json.dumps(content))
    directory, findings = load_idp(tmp_path / "idp")
    assert [e[:4] for e in errors(findings) if e[0] == "missing-value"] == [("missing-value", *where)]
    assert [(g.id, g.display_name.strip()) for g in directory.groups] == [("g1", "Sales"), ("g2", "")]


# --------------------------------------------------------------------------- IdP userName


@pytest.mark.parametrize("files, where", [
    ({"users.json": [{"id": "00u1", "status": "ACTIVE", "profile": {"login": "a@example.com"}},
                     {"id": "00u2", "status": "ACTIVE", "profile": {"login": None, "email": "b@example.com"}}]},
     ("users.json", "$[1]", "profile.login", "00u2")),
    ({"users.csv": "id,userPrincipalName,mail,accountEnabled\nu1,a@example.com,,true\nu2,   ,b@example.com,true\n"},
     ("users.csv", "line 3", "userPrincipalName", "u2")),
    ({"users.json": {"value": [{"id": "u1", "userPrincipalName": "a@example.com", "accountEnabled": True},
                               {"id": "u2", "userPrincipalName": "", "accountEnabled": True}]}},
     ("users.json", "$.value[1]", "userPrincipalName", "u2")),
    ({"Users.json": {"schemas": ["urn:ietf:params:scim:api:messages:2.0:ListResponse"], "Resources": [
        {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "id": "u1", "userName": "a@example.com",
         "active": True},
        {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "id": "u2", "userName": " ", "active": True}]}},
     ("Users.json", "$.Resources[1]", "userName", "u2")),
], ids=["okta", "entra-csv", "entra-graph", "scim"])
def test_an_idp_user_without_its_user_name_is_an_error_in_every_format(tmp_path, files, where):
    for name, content in files.items():
        write(tmp_path / "idp" / name, content if isinstance(content, str) else json.dumps(content))
    _, findings = load_idp(tmp_path / "idp")
    file, location, field, user_id = where
    assert [e for e in errors(findings) if e[0] == "missing-value"] == [
        ("missing-value", file, location, field, f"IdP user {user_id} has no {field} (empty), {USER_NAME_TAIL}")]
    assert not [f for f in findings if f.code == "invalid-user-name"]  # said once, as the error


# --------------------------------------------------------------------------- F6: userKind


def test_the_older_is_guest_field_is_read_where_user_kind_is_absent(tmp_path):
    old = [member(f"m{i}", f"p{i}@example.com") for i in range(4)]
    for record, guest in zip(old, (True, False, "yes", None)):
        del record["userKind"]
        record["isGuest"] = guest
    del old[3]["isGuest"]
    export, findings = load_sigma_export(sigma_json(tmp_path, old))
    assert [m.user_kind for m in export.members] == ["guest", "internal", "", ""]
    assert errors(findings) == [
        ("unreadable-status", "members.json", "$[2]", "isGuest",
         f"isGuest is 'yes', not true or false: {KIND_UNREAD} (a plan never guesses it); fix the export"),
        ("unreadable-status", "members.json", "$[3]", "userKind",
         "userKind is missing (nor isGuest, its older form) on 1 of 4 members ($[3]), not internal, guest or embed: "
         f"{KIND_UNREAD} (a plan never guesses it, never reads a member as internal); export the members again "
         "(GET /v2/members writes userKind)")]


def test_a_members_csv_reads_is_guest_without_user_kind_and_neither_is_a_missing_column_error(tmp_path):
    write(tmp_path / "a" / "members.csv", "memberId,email,memberType,isGuest,isArchived,isInactive\n"
                                          "m1,a@example.com,Pro,True,false,false\n"
                                          "m2,b@example.com,Pro,false,false,false\n"
                                          "m3,c@example.com,Pro,,false,false\n")
    write(tmp_path / "a" / "teams.csv", "teamId,name\n")
    write(tmp_path / "a" / "team_members.csv", "teamId,userId\n")
    export, findings = load_sigma_export(tmp_path / "a")
    assert [m.user_kind for m in export.members] == ["guest", "internal", ""]
    assert errors(findings) == [("unreadable-status", "members.csv", "line 4", "isGuest",
                                 f"isGuest is empty, not true or false: {KIND_UNREAD} (a plan never guesses it); "
                                 "fix the export")]

    write(tmp_path / "b" / "members.csv", "memberId,email,memberType,isArchived,isInactive\n"
                                          "m1,a@example.com,Pro,false,false\n")
    shutil.copy(tmp_path / "a" / "teams.csv", tmp_path / "b")
    shutil.copy(tmp_path / "a" / "team_members.csv", tmp_path / "b")
    export, findings = load_sigma_export(tmp_path / "b")
    assert [m.user_kind for m in export.members] == [""]
    assert errors(findings) == [(
        "missing-column", "members.csv", "line 1", "userKind",
        "members.csv: no userKind column (nor isGuest, its older form): whether each member is a guest cannot be "
        "read (a plan never guesses it, never reads every member as internal); export the members with it")]


def test_a_sample_export_with_is_guest_plans_the_guests_as_the_user_kind_export_does(capsys, tmp_path):
    """tester13 F6: the older isGuest field gives the same guest actions as userKind (was: every guest
    read as internal, felix and mei deactivated, carol linked); without either, plan refuses."""
    case = sample(tmp_path)

    def older(pages):
        for page in pages:
            for record in page["entries"]:
                record["isGuest"] = record.pop("userKind") == "guest"

    edit(case / "sigma" / "members.json", older)
    plans = {}
    for name, sigma in (("userKind", SAMPLE / "sigma"), ("isGuest", case / "sigma")):
        out = tmp_path / f"{name}.json"
        code, _, _ = run_cli(capsys, "plan", "--sigma", str(sigma), "--idp", str(SAMPLE / "okta"),
                             "--policy", str(SAMPLE / "policy-okta-reviewed.yaml"), "--out", str(out))
        assert code == 0
        plans[name] = sorted(a["id"] for a in json.loads(out.read_text(encoding="utf-8"))["actions"]
                             if "guest" in a["id"])
    assert plans["isGuest"] == plans["userKind"] == [  # carol converted; felix and mei disabled
        "members.convert_guest:1OLfsTOWkRcJMtkNaSgdDd91YEXAg", "members.disable_guest:9RkgtbbmFLiGPXEGdQpeIXQ96ewRg",
        "members.disable_guest:dCL260TsvzkuoWIZjOjOpA30be1nk"]

    edit(case / "sigma" / "members.json", lambda pages: [r.pop("isGuest") for p in pages for r in p["entries"]])
    code, _, err = run_cli(capsys, "plan", "--sigma", str(case / "sigma"), "--idp", str(SAMPLE / "okta"),
                           "--policy", str(SAMPLE / "policy-okta-reviewed.yaml"), "--out", str(tmp_path / "p.json"))
    assert code == 1
    assert err.startswith(f"sigma-migrate: error: the inputs have 1 error(s), first: error: {case}/sigma/members.json:"
                          "$[0].entries[0] [userKind]: userKind is missing (nor isGuest, its older form) on all 149 "
                          "members, not internal, guest or embed")
