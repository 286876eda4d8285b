"""A person's kind is read explicitly both ways (issue 10, the status rule's fault class): a Sigma ``userKind``
other than internal, guest or embed, and an Entra ID ``userType`` other than Member or Guest, are errors naming
file, record and value, never read as "internal" / "Member" after a warning. An empty or absent Entra
``userType`` still leaves the guest question to the ``#EXT#`` UPN (older accounts have none)."""

from __future__ import annotations

import json

from planner.sources import load_idp, load_sigma_export

from .conftest import errors, write


def test_an_unknown_sigma_user_kind_is_an_error_naming_its_first_record(tmp_path):
    root = tmp_path / "sigma"
    write(root / "members.json", json.dumps([
        {"memberId": f"M{i}", "email": f"p{i}@example.com", "firstName": "A", "lastName": "B", "memberType": "admin",
         "userKind": kind} for i, kind in enumerate(("internal", "external", "External"))]))
    write(root / "teams.json", "[]")
    write(root / "team_members.json", "[]")
    _, findings = load_sigma_export(root)
    assert errors(findings) == [(
        "unknown-user-kind", "members.json", "$[1]", "userKind",
        "userKind 'external' of 2 member(s) (first M1) is not internal, guest or embed: whether the member is a "
        "guest or an embed user cannot be read (a plan never guesses it, never reads it as internal); fix the export")]


def test_an_unknown_entra_user_type_is_an_unreadable_status_error(tmp_path):
    root = tmp_path / "entra"
    write(root / "users.csv", "id,userPrincipalName,givenName,surname,userType,accountEnabled\n"
                              "u1,a@example.com,A,A,Member,true\n"
                              "u2,b@example.com,B,B,Gast,true\n"
                              "u3,c@example.com,C,C,,true\n"
                              "u4,d@example.com,D,D,guest,true\n")
    write(root / "groups.csv", "id,displayName\n")
    directory, findings = load_idp(root)
    assert errors(findings) == [(
        "unreadable-status", "users.csv", "line 3", "userType",
        "userType is 'Gast', not Member or Guest: whether the user is a guest cannot be read (a plan never guesses "
        "it); fix the export")]
