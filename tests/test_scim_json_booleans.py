"""SCIM booleans besides ``active``: ``emails[].primary`` is the JSON literal ``true``/``false``
(RFC 7643 §2.3.2), in an IdP's SCIM export and in Sigma's SCIM state (scim/Users.json); a string or
a number is an ``unreadable-status`` error naming file, record and field, never coerced."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from planner.sources import load_idp, load_sigma_export

from .conftest import errors, write

REPO = Path(__file__).resolve().parent.parent
LIST = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
UNKNOWN = "which email is primary cannot be read (a plan never guesses it); fix the export"


def scim_user(n: int, emails: list[dict], external_id: str | None = None) -> dict:
    user = {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "id": f"u{n}", "userName": f"user{n}@example.com",
            "name": {"givenName": f"G{n}", "familyName": f"F{n}"}, "emails": emails, "active": True}
    if external_id:
        user["externalId"] = external_id
    return user


def list_response(resources: list[dict]) -> str:
    return json.dumps({"schemas": [LIST], "totalResults": len(resources), "Resources": resources})


def users_with_primary(value) -> list[dict]:
    """u1 is clean; u2 has one email whose primary is ``value``; u3 has two, the second's primary ``value``."""
    return [scim_user(1, [{"value": "user1@example.com", "primary": True}]),
            scim_user(2, [{"value": "user2@example.com", "type": "work", "primary": value}]),
            scim_user(3, [{"value": "old3@example.com", "primary": False}, {"value": "user3@example.com", "primary": value}])]


def expected_errors(file: str, value) -> list[tuple]:
    return [("unreadable-status", file, "$.Resources[1]", "emails[0].primary",
             f"emails[0].primary is {value!r}, not true or false: {UNKNOWN}"),
            ("unreadable-status", file, "$.Resources[2]", "emails[1].primary",
             f"emails[1].primary is {value!r}, not true or false: {UNKNOWN}")]


@pytest.mark.parametrize("value", ["true", "false", "True", " true", 1, 0, "yes"])
def test_an_idp_scim_export_with_a_primary_that_is_no_json_boolean_is_refused(tmp_path, value):
    users = write(tmp_path / "Users.json", list_response(users_with_primary(value)))
    groups = write(tmp_path / "Groups.json", list_response([]))
    _, findings = load_idp([users, groups], "scim")
    assert errors(findings) == expected_errors("Users.json", value)


@pytest.mark.parametrize("value", [True, False, None])
def test_a_primary_that_is_a_json_boolean_or_null_is_read(tmp_path, value):
    users = write(tmp_path / "Users.json", list_response(users_with_primary(value)))
    groups = write(tmp_path / "Groups.json", list_response([]))
    directory, findings = load_idp([users, groups], "scim")
    assert errors(findings) == []
    assert [u.primary_email.value for u in directory.users] == [
        "user1@example.com", "user2@example.com", "user3@example.com" if value else "old3@example.com"]


@pytest.mark.parametrize("value", ["true", 1])
def test_sigmas_scim_state_with_a_primary_that_is_no_json_boolean_is_refused(tmp_path, value):
    sigma = tmp_path / "sigma"
    shutil.copytree(REPO / "samples" / "acme" / "sigma", sigma)
    (sigma / "scim").mkdir()
    users = [{**u, "externalId": f"00u{i}"} for i, u in enumerate(users_with_primary(value))]
    write(sigma / "scim" / "Users.json", list_response(users))
    write(sigma / "scim" / "Groups.json", list_response([]))
    _, findings = load_sigma_export(sigma)
    assert errors(findings) == expected_errors("Users.json", value)
