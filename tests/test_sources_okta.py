"""Okta Management API JSON loader (docs/formats.md §2a-§2c)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from planner.model import Severity
from planner.sources import load_idp
from planner.sources.okta import okta_active

FIXTURES = Path(__file__).parent / "fixtures" / "sources"
REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def okta():
    return load_idp(FIXTURES / "okta")


def test_users_from_an_array_of_pages(okta):
    directory, _ = okta
    ana = directory.users[0]
    assert (ana.id, ana.user_name, ana.user_name_key) == (
        "00u1a2b3c4D5E6F7G8H9", "Ana.Lopez@Example.com", "ana.lopez@example.com")
    assert [(e.value, e.primary, e.type) for e in ana.emails] == [
        ("ana.lopez@example.com", True, "primary"), ("a.lopez@oldcorp.example", False, "secondary")]
    assert (ana.given_name, ana.family_name, ana.active, ana.status) == ("Ana", "Lopez", True, "ACTIVE")
    assert ana.attributes["sigmaAccountType"] == "Pro" and ana.attributes["department"] == "Finance"
    assert ana.attributes["lastLogin"] == "2025-05-21T09:14:55Z"
    assert ana.attributes["credentialProvider"] == "FEDERATION" and "mobilePhone" not in ana.attributes
    assert ana.source.location == "$[0][0]"
    chloe = directory.users[2]
    assert (chloe.user_name, chloe.primary_email.value, chloe.active) == (
        "chloe.martin", "chloe.martin@example.com", False)


def test_statuses_map_to_active(okta):
    directory, _ = okta
    assert [(u.status, u.active) for u in directory.users] == [
        ("ACTIVE", True), ("STAGED", False), ("SUSPENDED", False)]  # the DEPROVISIONED member is held


@pytest.mark.parametrize("status, active", [
    ("ACTIVE", True), ("PROVISIONED", True), ("RECOVERY", True), ("PASSWORD_EXPIRED", True),
    ("LOCKED_OUT", True), ("STAGED", False), ("SUSPENDED", False), ("DEPROVISIONED", False),
    ("Pending user action", True), ("Deactivated", False), ("Locked out", True), ("", None), ("WEIRD", None),
])
def test_status_words_and_console_labels(status, active):
    assert okta_active(status) is active


def test_groups_and_members_keyed_by_id_or_name(okta):
    directory, _ = okta
    assert [(g.id, g.display_name, g.member_user_ids, g.member_group_ids) for g in directory.groups] == [
        ("00g1emaKYZTWRYYRRTS1", "sigma-finance-analysts", ("00u1a2b3c4D5E6F7G8H9",), ()),
        ("00g1emaKYZTWRYYRRTS2", "Sales EMEA", ("00u2b3c4d5E6F7G8H9I0",), ()),
    ]  # 00u4d5e6f7G8H9I0J1K2 is held: not in the users file
    assert directory.groups[1].attributes["type"] == "APP_GROUP"


def test_a_member_missing_from_the_users_file_is_held_and_marks_the_users_file_incomplete(okta):
    """A2: its state is unknown (the member record is no users listing): it is no user and no member."""
    directory, findings = okta
    assert "00u4d5e6f7G8H9I0J1K2" not in {u.id for u in directory.users}
    assert not any("00u4d5e6f7G8H9I0J1K2" in g.member_user_ids for g in directory.groups)
    assert [(f.severity, f.code, f.location, f.message) for f in findings] == [(
        Severity.WARNING, "member-not-in-users", "",
        '1 group member(s) of group_members.json (first at $["00g1emaKYZTWRYYRRTS1"][1]) are not in this users '
        'file, which is therefore incomplete (exported without '
        'filter=status eq "DEPROVISIONED"?): their state is unknown, so they are held (no action for them); '
        'export the users again, every status')]


def test_pages_appended_to_one_file_and_member_files_per_group(tmp_path):
    user = {"id": "00uA", "status": "ACTIVE", "profile": {"login": "a@example.com", "email": "a@example.com"}}
    other = {"id": "00uB", "status": "ACTIVE", "profile": {"login": "b@example.com", "email": "b@example.com"}}
    third = {"id": "00uC", "status": "ACTIVE", "profile": {"login": "c@example.com", "email": "c@example.com"}}
    # two pages, the last one shorter (pages all of one size would be a full last page: incomplete-pages)
    (tmp_path / "users.json").write_text(json.dumps([user, third]) + "\n" + json.dumps([other]), encoding="utf-8")
    (tmp_path / "group_members").mkdir()
    (tmp_path / "group_members" / "00gX.json").write_text(json.dumps([user]), encoding="utf-8")
    directory, findings = load_idp(tmp_path)
    assert [u.id for u in directory.users] == ["00uA", "00uC", "00uB"]
    assert [(g.id, g.member_user_ids) for g in directory.groups] == [("00gX", ("00uA",))]
    assert sorted(f.code for f in findings) == ["concatenated-json", "unknown-group"]


# --------------------------------------------------------------------------- values that cannot be used as they are


def okta_users(tmp_path: Path, *users: dict):
    (tmp_path / "users.json").write_text(json.dumps(list(users)), encoding="utf-8")
    return load_idp(tmp_path / "users.json")


def test_a_login_that_is_a_number_is_flagged_never_stringified_silently(tmp_path):
    directory, findings = okta_users(tmp_path, {"id": "00u1", "status": "ACTIVE",
                                                "profile": {"login": 123, "email": "greta@example.com"}})
    assert directory.users[0].user_name == "123"
    assert [(f.severity, f.code, f.location, f.field, f.message) for f in findings] == [
        (Severity.WARNING, "unexpected-value", "$[0]", "profile.login",
         "profile.login is a number (123), not a string; read as '123'"),
        (Severity.WARNING, "invalid-user-name", "$[0]", "profile.login",
         "user 00u1: the userName (profile.login) is '123', not a valid email address; Sigma identifies SCIM "
         "users by userName = email (docs/sigma-api.md §5.2-5.3)"),
    ]


def test_a_login_that_is_not_an_email_is_an_invalid_user_name_warning_unless_deprovisioned(tmp_path):
    directory, findings = okta_users(
        tmp_path,
        {"id": "00u1", "status": "ACTIVE", "profile": {"login": 'greta dunmore"; DROP', "email": "g@example.com"}},
        {"id": "00u2", "status": "DEPROVISIONED", "profile": {"login": "hlarsen", "email": "h@example.com"}},
    )
    assert [(f.code, f.file, f.location, f.field) for f in findings] == [
        ("invalid-user-name", str(tmp_path / "users.json"), "$[0]", "profile.login")]


@pytest.mark.parametrize("status, kept, shown", [("WEIRD", "WEIRD", "'WEIRD'"), (["ACTIVE"], None, "['ACTIVE']"),
                                                (7, None, "7"), ("", None, "empty"), ("N/A", "N/A", "'N/A'")])
def test_an_unreadable_status_is_an_error_and_active_stays_unknown(tmp_path, status, kept, shown):
    directory, findings = okta_users(tmp_path, {"id": "00u1", "status": status,
                                                "profile": {"login": "a@example.com", "email": "a@example.com"}})
    assert (directory.users[0].active, directory.users[0].status) == (None, kept)
    assert [(f.severity, f.code, f.location, f.field, f.message) for f in findings] == [
        (Severity.ERROR, "unreadable-status", "$[0]", "status",
         f"status is {shown}, not an Okta user status (ACTIVE, STAGED, PROVISIONED, RECOVERY, "
         "PASSWORD_EXPIRED, LOCKED_OUT, SUSPENDED, DEPROVISIONED): whether the user is active cannot be read "
         "(a plan never guesses it); fix the export")]


def test_an_export_without_users_is_an_error(tmp_path):
    _, findings = okta_users(tmp_path)  # `[]`: nothing tells the format
    assert [(f.severity, f.code) for f in findings] == [(Severity.ERROR, "unknown-format")]
    _, findings = load_idp(tmp_path / "users.json", "okta-api")
    assert [(f.severity, f.code, f.file) for f in findings] == [
        (Severity.ERROR, "no-idp-users", str(tmp_path / "users.json"))]
    assert findings[0].message == ("the users listing holds no users: a plan from it would deactivate every "
                                   "member (an incomplete export?); export the users again")


def test_an_empty_users_listing_is_an_error_even_when_group_members_name_users(tmp_path, capsys):
    """`[]` in users.json next to group member records: the members would still be taken from the
    member records, and everyone else in Sigma deactivated; check exits 1 naming users.json."""
    import shutil

    from planner.cli import main

    okta = tmp_path / "okta"
    shutil.copytree(REPO / "samples" / "acme" / "okta", okta)
    (okta / "users.json").write_text("[]", encoding="utf-8")
    with pytest.raises(SystemExit) as done:
        main(["check", "--sigma", str(REPO / "samples" / "acme" / "sigma"), "--idp", str(okta)])
    assert done.value.code == 1
    out = capsys.readouterr().out
    assert [line for line in out.splitlines() if line.startswith("error:")] == [
        f"error: {okta / 'users.json'}: the users listing holds no users: a plan from it would deactivate every "
        "member (an incomplete export?); export the users again (no-idp-users)"]


def test_created_and_last_updated_are_read_as_utc_seconds(okta):
    # Okta's created dates a new IdP identity against the SCIM user holding its address (tester8 finding 17)
    ana = okta[0].users[0]
    assert (ana.created, ana.last_updated) == ("2024-01-12T14:22:11Z", "2025-04-30T10:02:13Z")

