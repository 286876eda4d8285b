"""Whether a user is active is never guessed (fixes item 3): an IdP export without the column that
says it is a ``missing-status-column`` error naming file and column, and a record without the field
an ``unreadable-status`` error naming file, record and field, in every loader."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from planner.cli import main
from planner.sources import load_idp

from .conftest import errors, write

REPO = Path(__file__).resolve().parent.parent
MISSING = "whether each user is active cannot be read (a plan never guesses it); export the users with it"
UNREAD = "whether the user is active cannot be read (a plan never guesses it); fix the export"


def test_an_entra_users_csv_without_account_enabled_is_an_error_and_check_exits_1(tmp_path, capsys):
    idp = tmp_path / "entra"
    shutil.copytree(REPO / "samples/acme/entra", idp)
    users = idp / "users.csv"
    lines = users.read_text(encoding="utf-8-sig").splitlines()
    column = lines[0].split(",").index("accountEnabled")
    users.write_text("\n".join(",".join(c for i, c in enumerate(line.split(",")) if i != column)
                               for line in lines) + "\n", encoding="utf-8")

    with pytest.raises(SystemExit) as done:
        main(["check", "--sigma", str(REPO / "samples/acme/sigma"), "--idp", str(idp)])

    assert done.value.code == 1
    out = capsys.readouterr().out
    assert f"error: {users}:line 1 [accountEnabled]: no accountEnabled column: {MISSING} (missing-status-column)" in out


def test_an_okta_user_without_status_is_an_unreadable_status_error(tmp_path):
    users = write(tmp_path / "users.json", json.dumps([
        {"id": "00u1", "status": "ACTIVE", "profile": {"login": "a@example.com", "email": "a@example.com"}},
        {"id": "00u2", "profile": {"login": "b@example.com", "email": "b@example.com"}}]))
    directory, findings = load_idp([users], "okta-api")
    assert errors(findings) == [
        ("unreadable-status", "users.json", "$[1]", "status",
         "status is missing, not an Okta user status (ACTIVE, STAGED, PROVISIONED, RECOVERY, PASSWORD_EXPIRED, "
         f"LOCKED_OUT, SUSPENDED, DEPROVISIONED): {UNREAD}")]
    assert [u.active for u in directory.users] == [True, None]


def test_an_entra_graph_user_without_account_enabled_is_an_unreadable_status_error(tmp_path):
    users = write(tmp_path / "users.json", json.dumps({"value": [
        {"id": "u1", "userPrincipalName": "a@example.com", "accountEnabled": True},
        {"id": "u2", "userPrincipalName": "b@example.com"}]}))
    _, findings = load_idp([users], "entra-graph")
    assert errors(findings) == [
        ("unreadable-status", "users.json", "$.value[1]", "accountEnabled",
         f"accountEnabled is missing, not true or false: {UNREAD}")]


def test_a_google_csv_without_status_columns_is_an_error(tmp_path):
    users = write(tmp_path / "users.csv", "First Name [Required],Last Name [Required],Email Address [Required]\n"
                                          "Ana,Lopez,ana@example.com\n")
    _, findings = load_idp([users], "google-csv")
    assert errors(findings) == [
        ("missing-status-column", "users.csv", "line 1", "Status [READ ONLY] (or suspended)",
         f"no Status [READ ONLY] (or suspended) column: {MISSING}")]


def test_a_google_api_user_without_suspended_is_an_unreadable_status_error(tmp_path):
    users = write(tmp_path / "users.json", json.dumps({"kind": "admin#directory#users", "users": [
        {"id": "1", "primaryEmail": "a@example.com", "suspended": False},
        {"id": "2", "primaryEmail": "b@example.com"}]}))
    _, findings = load_idp([users], "google-api")
    assert errors(findings) == [
        ("unreadable-status", "users.json", "$.users[1]", "suspended",
         f"suspended is missing, not true or false: {UNREAD}")]


def test_a_scim_user_without_active_is_an_unreadable_status_error(tmp_path):
    """RFC 7643 §4.1.1 makes ``active`` optional and leaves its meaning to the provider, so its absence
    says nothing about the person: the same error as an unreadable value (docs/policy.md)."""
    user = {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "id": "1", "userName": "a@example.com"}
    users = write(tmp_path / "Users.json", json.dumps({
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:ListResponse"], "totalResults": 2,
        "Resources": [dict(user, active=False), dict(user, id="2", userName="b@example.com")]}))
    _, findings = load_idp([users], "scim")
    assert errors(findings) == [
        ("unreadable-status", "Users.json", "$.Resources[1]", "active", f"active is missing, not true or false: {UNREAD}")]


def test_a_generic_csv_mapping_neither_active_nor_status_is_an_error(tmp_path):
    mapping = write(tmp_path / "mapping.yaml", "users: people.csv\ncolumns:\n  id: Login\n  userName: Login\n"
                                               "  emails: [Login]\n")
    people = write(tmp_path / "people.csv", "Login\nana@example.com\n")
    _, findings = load_idp([people, mapping], "generic-csv")
    assert errors(findings) == [
        ("missing-status-column", "people.csv", "line 1", "active or status (map one in mapping.yaml)",
         f"no active or status (map one in mapping.yaml) column: {MISSING}")]
