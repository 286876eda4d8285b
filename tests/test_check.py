"""``sigma-migrate check``: summary, findings, --json, exit status, and no traceback for bad files."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from .conftest import run_cli


FIXTURES = Path(__file__).parent / "fixtures" / "sources"
SIGMA = FIXTURES / "sigma_pages"


def test_json_summary_of_a_clean_pair(capsys):
    code, out, err = run_cli(capsys, "check", "--sigma", str(SIGMA), "--idp", str(FIXTURES / "okta"), "--json")
    assert code == 0 and err == ""
    doc = json.loads(out)
    s = doc["summary"]
    assert s["sigma"]["members"] == {
        "total": 6, "people": 5, "system": 1, "active": 3, "archived": 1, "inactive": 1, "guests": 1,
        "by_account_type": {
            "Pro": {"active": 1, "archived": 1, "inactive": 0, "total": 2},
            "Admin": {"active": 0, "archived": 0, "inactive": 1, "total": 1},
            "Essential": {"active": 1, "archived": 0, "inactive": 0, "total": 1},
            "lite": {"active": 1, "archived": 0, "inactive": 0, "total": 1},
        },
        "by_user_kind": {"internal": 4, "guest": 1},
    }
    assert s["sigma"]["account_types"] == ["Admin", "Pro", "Essential", "Lite"]
    assert s["sigma"]["teams"] == {"total": 3, "archived": 1, "without_members": 1}
    assert s["sigma"]["team_memberships"] == {"total": 4, "team_admins": 1}
    assert s["idp"]["format"] == "okta-api"
    assert s["idp"]["users"] == {
        "total": 3, "active": 1, "inactive": 2, "active_unknown": 0, "guests": 0,
        "by_status": {"ACTIVE": 1, "STAGED": 1, "SUSPENDED": 1},
        "by_type": {"unknown": 3},
    }  # the DEPROVISIONED group member the users file lacks is held (member-not-in-users)
    assert s["idp"]["groups"] == {"total": 2, "user_memberships": 2, "group_memberships": 0,
                                  "with_nested_groups": 0, "max_nesting_depth": 0, "cycles": 0}
    assert s["findings"] == {"error": 0, "warning": 3, "info": 0,  # the users file lists no DEPROVISIONED user
                             "by_code": {"duplicate-email": 1, "member-not-in-users": 1,
                                         "okta-users-without-deprovisioned": 1}}
    assert [i["kind"] for i in s["inputs"]] == [
        "sigma.members", "sigma.teams", "sigma.team_members", "sigma.account_types",
        "okta.users", "okta.groups", "okta.group_members"]
    assert doc["findings"][0] == {
        "severity": "warning", "code": "duplicate-email", "file": str(SIGMA / "members.json"),
        "location": "$[0].entries[0]", "field": "email",
        "message": "2 members have the same address bob.ray@example.com: m1 ('Bob.Ray@Example.com', "
                   "$[0].entries[0]), m2 ('bob.ray@example.com', $[0].entries[1]); all are kept",
    }


def test_terminal_summary_and_findings(capsys):
    code, out, _ = run_cli(capsys, "check", "--sigma", str(SIGMA), "--idp", str(FIXTURES / "entra_graph"))
    assert code == 0
    for text in ("Sigma members", "all people", "5 people + 1 system member(s)", "Sigma teams",
                 "IdP users (entra-graph)", "active state unknown", "type Guest", "IdP groups",
                 "max nesting depth", "nesting cycles", "Findings: 0 error(s), 5 warning(s), 1 info"):
        assert text in out, text
    # its users are all enabled (or unsaid): a list filtered to enabled users? (tester21 finding 3)
    assert f"warning: {FIXTURES / 'entra_graph' / 'users.json'} [status]: users.json holds no deactivated or " in out
    assert "group 'Loop A' contains itself through nesting: Loop A > Loop B > Loop A (group-cycle)" in out
    # its users carry no createdDateTime (tester17 finding 3: the recycled-address check then has only names)
    assert f"warning: {FIXTURES / 'entra_graph' / 'users.json'} [createdDateTime]: no createdDateTime column" in out


def test_entra_guest_and_several_idp_paths(capsys):
    code, out, _ = run_cli(capsys, "check", "--sigma", str(SIGMA), "--idp", str(FIXTURES / "entra_csv" / "users.csv"),
                           "--idp", str(FIXTURES / "entra_csv" / "group_members"), "--json")
    users = json.loads(out)["summary"]["idp"]["users"]
    # the member the users CSV lacks (Grace) is held: no user
    assert code == 0 and users["guests"] == 3 and users["by_type"] == {"Member": 3, "Guest": 3}


@pytest.mark.parametrize("damage, code_expected, location", [
    ("missing", "not-found", ""),
    ("empty", "empty-file", ""),
    ("binary", "unreadable-file", ""),
    ("truncated", "malformed-json", "line 12 column 1"),
])
def test_bad_sigma_files_are_error_findings_never_tracebacks(capsys, tmp_path, damage, code_expected, location):
    sigma = tmp_path / "sigma"
    shutil.copytree(SIGMA, sigma)
    members = sigma / "members.json"
    if damage == "missing":
        sigma = tmp_path / "does-not-exist"
    elif damage == "empty":
        members.write_bytes(b"")
    elif damage == "binary":
        members.write_bytes(bytes(range(256)) * 8)
    else:
        members.write_text("\n".join(members.read_text().splitlines()[:11]) + "\n", encoding="utf-8")
    code, out, err = run_cli(capsys, "check", "--sigma", str(sigma), "--idp", str(FIXTURES / "okta"), "--json")
    assert code == 1 and "Traceback" not in out + err
    errors = [f for f in json.loads(out)["findings"] if f["severity"] == "error"]
    assert [(f["code"], f["location"]) for f in errors] == [(code_expected, location)]
    target = sigma if damage == "missing" else members
    assert errors[0]["file"] == str(target)


def test_bad_idp_file_in_the_terminal_output(capsys, tmp_path):
    (tmp_path / "users.json").write_text('[{"id": "00u1", "profile": {"login": "a@example.com"', encoding="utf-8")
    code, out, err = run_cli(capsys, "check", "--sigma", str(SIGMA), "--idp", str(tmp_path))
    assert code == 1 and "Traceback" not in out + err
    assert f"error: {tmp_path / 'users.json'}:line 1 column 53: malformed JSON" in out


def test_unknown_idp_format_is_a_one_line_error(capsys):
    code, out, err = run_cli(capsys, "check", "--sigma", str(SIGMA), "--idp", str(FIXTURES / "okta"), "--idp-format",
                             "ldif")
    assert code == 1 and out == ""
    assert err.startswith("sigma-migrate: error: unknown IdP format 'ldif' (one of: okta-api,") and err.count("\n") == 1


def test_findings_beyond_the_display_cap_are_counted(capsys, tmp_path):
    sigma = tmp_path / "sigma"
    sigma.mkdir()
    members = [{"memberId": f"m{i}", "email": "", "memberType": "Pro"} for i in range(25)]
    (sigma / "members.json").write_text(json.dumps(members), encoding="utf-8")
    (sigma / "teams.json").write_text("[]", encoding="utf-8")
    (sigma / "team_members.json").write_text("{}", encoding="utf-8")
    code, out, _ = run_cli(capsys, "check", "--sigma", str(sigma), "--idp", str(FIXTURES / "okta"))
    assert code == 1  # a member without an email is a damaged record: an error (tester6 finding 22)
    assert out.count("(empty-email)") == 20
    assert "... and 5 more empty-email finding(s) (--json lists all)" in out


def test_a_side_that_loaded_nothing_prints_no_summary_only_the_findings(capsys, tmp_path):
    code, out, err = run_cli(capsys, "check", "--sigma", str(tmp_path / "nope"), "--idp", str(FIXTURES / "okta"))
    assert code == 1 and err == ""
    lines = out.splitlines()
    assert lines[:3] == [
        "No summary: nothing could be loaded from the Sigma export (see the findings below).",
        "Findings: 1 error(s), 2 warning(s), 0 info",  # and okta-users-without-deprovisioned
        f"error: {tmp_path / 'nope'}: Sigma export directory does not exist (not-found)",
    ]
    assert "Sigma members" not in out and "IdP users" not in out
    code, out, _ = run_cli(capsys, "check", "--sigma", str(SIGMA), "--idp", str(tmp_path / "missing"))
    assert code == 1
    assert out.splitlines()[0] == "No summary: nothing could be loaded from the IdP export (see the findings below)."


def test_an_empty_organization_is_not_clean(capsys, tmp_path):
    sigma = tmp_path / "sigma"
    sigma.mkdir()
    (sigma / "members.json").write_text('{"entries": [], "nextPage": null}', encoding="utf-8")
    (sigma / "teams.json").write_text("[]", encoding="utf-8")
    (sigma / "team_members.json").write_text("{}", encoding="utf-8")
    code, out, _ = run_cli(capsys, "check", "--sigma", str(sigma), "--idp", str(FIXTURES / "okta"), "--json")
    assert code == 1
    errors = [(f["code"], f["file"]) for f in json.loads(out)["findings"] if f["severity"] == "error"]
    assert errors == [("no-members", str(sigma / "members.json"))]

    okta = tmp_path / "okta"
    shutil.copytree(FIXTURES / "okta", okta)
    (okta / "users.json").write_text("[]", encoding="utf-8")
    (okta / "group_members.json").write_text("{}", encoding="utf-8")
    code, out, _ = run_cli(capsys, "check", "--sigma", str(SIGMA), "--idp", str(okta), "--json")
    assert code == 1
    errors = [(f["code"], f["file"]) for f in json.loads(out)["findings"] if f["severity"] == "error"]
    assert errors == [("no-idp-users", str(okta / "users.json"))]
