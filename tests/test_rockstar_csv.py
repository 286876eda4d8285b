"""docs/formats.md §2f: a Rockstar users CSV is no Okta export the tool reads as is; with the documented
generic-CSV mapping it loads, statuses read as the Okta API's (issue 10, tester3 finding 12)."""

from __future__ import annotations

from pathlib import Path

from .conftest import run_cli, write
from planner.sources import load_idp

REPO = Path(__file__).resolve().parent.parent
ROCKSTAR = ("User Id,Status,Username,First name,Last name,Primary email\n"
            "00u1,ACTIVE,ana.lopez@example.com,Ana,Lopez,ana.lopez@example.com\n"
            "00u2,STAGED,ben.okafor@example.com,Ben,Okafor,ben.okafor@example.com\n"
            "00u3,LOCKED_OUT,chloe.martin@example.com,Chloe,Martin,chloe.martin@example.com\n"
            "00u4,DEPROVISIONED,dan.ng@example.com,Dan,Ng,dan.ng@example.com\n")
MAPPING = """users: users.csv
columns:
  id: User Id
  userName: Username
  emails: [Primary email]
  givenName: First name
  familyName: Last name
  status: Status
active_statuses: [ACTIVE, PROVISIONED, RECOVERY, PASSWORD_EXPIRED, LOCKED_OUT]
inactive_statuses: [STAGED, SUSPENDED, DEPROVISIONED]
"""


def test_a_rockstar_csv_as_is_is_refused(capsys, tmp_path):
    write(tmp_path / "okta" / "users.csv", ROCKSTAR)
    code, out, err = run_cli(capsys, "check", "--sigma", str(REPO / "samples" / "acme" / "sigma"),
                           "--idp", str(tmp_path / "okta"))
    assert code != 0 and "CSV of unknown kind" in out + err


def test_a_rockstar_csv_with_the_documented_mapping_loads(tmp_path):
    write(tmp_path / "okta" / "users.csv", ROCKSTAR)
    write(tmp_path / "okta" / "rockstar.yaml", MAPPING)
    directory, findings = load_idp(tmp_path / "okta")
    assert directory.format == "generic-csv"
    assert [(u.id, u.user_name, u.given_name, u.status, u.active) for u in directory.users] == [
        ("00u1", "ana.lopez@example.com", "Ana", "ACTIVE", True),
        ("00u2", "ben.okafor@example.com", "Ben", "STAGED", False),
        ("00u3", "chloe.martin@example.com", "Chloe", "LOCKED_OUT", True),
        ("00u4", "dan.ng@example.com", "Dan", "DEPROVISIONED", False),
    ]
    assert [f for f in findings if f.severity.value == "error"] == []


def test_a_rockstar_status_in_neither_list_is_unreadable(tmp_path):
    """docs/formats.md §2f: the words are explicit both ways; a console label is no API status word."""
    write(tmp_path / "okta" / "users.csv", ROCKSTAR.replace("00u2,STAGED", "00u2,Pending user action"))
    write(tmp_path / "okta" / "rockstar.yaml", MAPPING)
    directory, findings = load_idp(tmp_path / "okta")
    assert [(f.code, f.location, f.field) for f in findings if f.severity.value == "error"] == [
        ("unreadable-status", "line 3", "Status")]
    assert [u.active for u in directory.users] == [True, None, True, False]
