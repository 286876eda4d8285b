"""``fetch-idp google`` against the local Directory API emulator over real HTTP: whole listings or nothing."""

from __future__ import annotations

import json

import pytest

from planner.idp import pull_idp, write_pull
from planner.sandbox.idp.google import ALL_SCOPES, GoogleEmulator, GoogleSeed
from planner.sources import load_idp

from .conftest import run_cli_with_environ

GOOGLE_ENV = ("GOOGLE_APPLICATION_CREDENTIALS", "GOOGLE_ADMIN_EMAIL", "GOOGLE_CUSTOMER_ID")  # unset before each CLI run


def user(uid, email, admin=False, suspended=False, archived=False, aliases=()):
    given, family = email.split("@")[0].split(".")
    return {"kind": "admin#directory#user", "id": uid, "primaryEmail": email,
            "name": {"givenName": given.title(), "familyName": family.title(),
                     "fullName": f"{given.title()} {family.title()}"},
            "isAdmin": admin, "suspended": suspended, "archived": archived, "orgUnitPath": "/",
            "lastLoginTime": "2025-05-21T09:14:55.000Z", "aliases": list(aliases),
            "emails": [{"address": email, "primary": True}] + [{"address": a} for a in aliases]}


SEED = GoogleSeed(
    users=[
        user("1001", "ana.lopez@example.com", admin=True, aliases=("a.lopez@example.com",)),
        user("1002", "ben.okafor@example.com", suspended=True),
        user("1003", "chloe.martin@example.com", archived=True),
        user("1004", "dave.ross@example.com"),
    ],
    groups=[
        {"kind": "admin#directory#group", "id": "g01", "email": "sigma-analysts@example.com",
         "name": "Sigma Analysts", "description": "", "adminCreated": True},
        {"kind": "admin#directory#group", "id": "g02", "email": "contractors@example.com",
         "name": "Contractors", "description": "", "adminCreated": True},
    ],
    members={"g01": ["1001", "1002", "g02"], "g02": ["1003", "1004"]},
)


@pytest.fixture
def google(tmp_path_factory):
    with GoogleEmulator(SEED, page_size=2) as emulator:
        emulator.key_file = emulator.write_key_file(tmp_path_factory.mktemp("key") / "sa.json")
        yield emulator


def env(emulator, admin="ana.lopez@example.com"):
    return {"GOOGLE_APPLICATION_CREDENTIALS": str(emulator.key_file), "GOOGLE_ADMIN_EMAIL": admin}


def test_round_trip_keeps_suspended_and_archived_users_and_nesting(google, tmp_path):
    result = pull_idp("google", env(google), base_url=google.base_url)
    write_pull(result, tmp_path)
    directory, findings = load_idp(tmp_path)
    assert directory.format == "google-api"
    assert not [f for f in findings if f.severity.value == "error"]
    assert sorted((u.id, u.user_name, u.active, u.status, tuple(e.value for e in u.emails))
                  for u in directory.users) == [
        ("1001", "ana.lopez@example.com", True, "Active", ("ana.lopez@example.com", "a.lopez@example.com")),
        ("1002", "ben.okafor@example.com", False, "Suspended", ("ben.okafor@example.com",)),
        ("1003", "chloe.martin@example.com", False, "Archived", ("chloe.martin@example.com",)),
        ("1004", "dave.ross@example.com", True, "Active", ("dave.ross@example.com",)),
    ]
    assert sorted((g.id, g.display_name, g.member_user_ids, g.member_group_ids) for g in directory.groups) == [
        ("g01", "Sigma Analysts", ("1001", "1002"), ("g02",)),
        ("g02", "Contractors", ("1003", "1004"), ()),
    ]
    assert (result.counts.users, result.counts.inactive, result.counts.groups, result.counts.memberships) == \
        (4, 2, 2, 5)
    assert google.request_counts["GET /admin/directory/v1/users"] == 2
    assert google.request_counts["GET /admin/directory/v1/groups/{groupKey}/members"] == 3
    assert google.request_counts["POST /token"] == 1


def test_cli_summary_and_no_key_or_token_written(google, tmp_path, monkeypatch, capsys):
    out = tmp_path / "google"
    code, stdout, stderr = run_cli_with_environ(capsys, monkeypatch, env(google), "fetch-idp", "google", "--out",
                                                str(out), "--base-url", google.base_url, unset=GOOGLE_ENV)
    assert (code, stderr) == (0, "")
    assert stdout == f"fetched 4 google users (2 inactive), 2 groups, 5 group memberships into {out}\n"
    written = "".join(p.read_text() for p in out.iterdir())
    assert "PRIVATE KEY" not in written and not any(t in written for t in google.tokens)


def test_throttling_backs_off_and_goes_on(google, tmp_path):
    google.faults.throttle = 2
    waits: list[float] = []
    write_pull(pull_idp("google", env(google), base_url=google.base_url, sleep=waits.append), tmp_path)
    assert len(waits) == 2 and all(0 < w <= 1.0 for w in waits)
    assert google.request_counts["GET /admin/directory/v1/users"] == 2 + 2


NEEDS = ("(GOOGLE_ADMIN_EMAIL must be an admin with the Groups and Users read privileges, and the delegation must "
         "grant https://www.googleapis.com/auth/admin.directory.user.readonly, "
         "https://www.googleapis.com/auth/admin.directory.group.readonly)")


@pytest.mark.parametrize("case, message", [
    ("undelegated scope", "Google Directory API: POST /token (service account JWT grant) answered 401 "
     "unauthorized_client: Client is unauthorized to retrieve access tokens using this method, or client not "
     "authorized for any of the scopes requested.: the credential was refused (check GOOGLE_APPLICATION_CREDENTIALS, "
     "GOOGLE_ADMIN_EMAIL and the domain-wide delegation of "
     "https://www.googleapis.com/auth/admin.directory.user.readonly, "
     "https://www.googleapis.com/auth/admin.directory.group.readonly)"),
    ("not an admin", "Google Directory API: GET /admin/directory/v1/users answered 403 PERMISSION_DENIED: Not "
     "Authorized to access this resource/api: the credential lacks a permission or scope this pull needs "
     + NEEDS),
    ("deny", "Google Directory API: GET /admin/directory/v1/groups answered 403 PERMISSION_DENIED: Request had "
     "insufficient authentication scopes.: the credential lacks a permission or scope this pull needs "
     + NEEDS),
    ("html", "Google Directory API: GET /admin/directory/v1/users answered 200 with an HTML page, not the API's "
     "JSON (<!DOCTYPE html><html><head><title>Sign In</title></head><body><form method=\"post\"><input "
     "name=\"username\"><input type=\"pa...); is {base} the right Google Directory API URL?"),
    ("cut_short", "GET /admin/directory/v1/groups/g01/members: incomplete listing of members of Google group "
     "'sigma-analysts@example.com': 2 of 3 received"),
    ("repeat_pages", "GET /admin/directory/v1/users: incomplete listing of Google users: id '1001' came twice "
     "(pages 1 and 2); the server repeated or shifted its pages"),
])
def test_bad_answers_give_one_line_and_write_nothing(google, tmp_path, monkeypatch, capsys, case, message):
    environ = env(google)
    if case == "undelegated scope":
        google.delegated_scopes = ALL_SCOPES[:1]
    elif case == "not an admin":
        environ = env(google, admin="dave.ross@example.com")
    elif case == "html":
        google.faults.html = True
    elif case == "deny":
        google.faults.deny = "/admin/directory/v1/groups"
    elif case == "cut_short":
        google.faults.cut_short = "/admin/directory/v1/groups/g01/"
    else:
        google.faults.repeat_pages = "/admin/directory/v1/users"
    out = tmp_path / "google"
    code, stdout, stderr = run_cli_with_environ(capsys, monkeypatch, environ, "fetch-idp", "google", "--out", str(out),
                                                "--base-url", google.base_url, unset=GOOGLE_ENV)
    assert (code, stdout) == (1, "")
    assert stderr == "sigma-migrate: error: " + message.replace("{base}", google.base_url) + "\n"
    assert list(tmp_path.iterdir()) == []


def test_a_key_file_that_is_not_a_service_account_key_is_named(tmp_path, monkeypatch, capsys):
    key = tmp_path / "key.json"
    key.write_text(json.dumps({"type": "authorized_user"}))
    environ = {"GOOGLE_APPLICATION_CREDENTIALS": str(key), "GOOGLE_ADMIN_EMAIL": "a@example.com"}
    code, _, stderr = run_cli_with_environ(capsys, monkeypatch, environ, "fetch-idp", "google", "--out",
                                           str(tmp_path / "g"), unset=GOOGLE_ENV)
    assert code == 1
    assert stderr == (f"sigma-migrate: error: {key}: not a service account key file "
                      "(\"type\": \"service_account\" expected)\n")
    assert not (tmp_path / "g").exists()
