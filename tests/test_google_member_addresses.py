"""A Google group member's address goes through the one address rule users go through (leftovers16 item 4).

A ``members.list`` answer names a member by ``id`` and ``email``; a member whose id is no user's is found by its
address. That address is read as a user's (``string_field``: kept as written, a number an ``unexpected-value``
warning) and keyed as a user's (``fast_email_key``, the key every address is compared by), against every address of
the users (primary first, then aliases: ``users_by_address``). Before, the member's address was ``as_text`` (a
number silently text), compared with the users' primary emails only, and an outside member's address trimmed by
``str.strip`` (U+3000 gone), so dirt joined or failed to join otherwise than the same dirt on a user.
Real files: a Directory API export written here.
"""

from __future__ import annotations

import json
from pathlib import Path

from planner.model import Severity
from planner.sources import load_idp


def export(root: Path, members: list[dict]) -> Path:
    users = [{"id": "101", "primaryEmail": "ana.lopez@example.com", "suspended": False, "archived": False,
              "name": {"givenName": "Ana", "familyName": "Lopez"}},
             {"id": "102", "primaryEmail": "ben.okafor@example.com", "aliases": ["ben@example.com"],
              "suspended": False, "archived": False, "name": {"givenName": "Ben", "familyName": "Okafor"}}]
    (root / "users.json").write_text(json.dumps({"kind": "admin#directory#users", "users": users}), encoding="utf-8")
    (root / "groups.json").write_text(json.dumps({"groups": [{"id": "g1", "email": "finance@example.com",
                                                              "name": "Finance"}]}), encoding="utf-8")
    (root / "group_members.json").write_text(json.dumps({"g1": {"members": members}}), encoding="utf-8")
    return root


def test_a_dirty_member_address_joins_its_user_by_the_users_key_and_is_kept_as_written(tmp_path):
    root = export(tmp_path, [
        {"email": " Ana.Lopez@Example.com\u00a0", "type": "USER", "status": "ACTIVE"},  # no id: found by its address
        {"email": "carl@partner.example\u3000", "type": "USER", "status": "ACTIVE"},  # another domain
        {"email": 12345, "type": "USER", "status": "ACTIVE"},  # no address at all
    ])
    directory, findings = load_idp(root)
    [group] = directory.groups
    # the key of ' Ana.Lopez@Example.com\xa0' is Ana's, as it is for a user's address (planner.model.email_key)
    assert group.member_user_ids == ("101",)
    # an outside address as the group lists it (was: 'carl@partner.example', str.strip took the U+3000 away)
    # (a number is no address of the export's domain either: outside, as before)
    assert group.outside_members == ("carl@partner.example\u3000", "12345")
    # a number where the address belongs is said, as for a user's primaryEmail (was: read as text in silence)
    assert [(f.severity, f.code, f.location, f.field, f.message) for f in findings if f.code == "unexpected-value"] == [
        (Severity.WARNING, "unexpected-value", '$["g1"].members[2]', "email",
         "email is a number (12345), not a string; read as '12345'")]


def test_a_member_listed_by_an_alias_is_its_user_saved_at_another_time(tmp_path):
    # was: 'ben@example.com' no user of the export (member-not-in-users), whereas the alias links Ben to a member
    directory, findings = load_idp(export(tmp_path, [{"email": "ben@example.com", "type": "USER", "status": "ACTIVE"}]))
    assert directory.groups[0].member_user_ids == ("102",)
    assert [(f.code, f.message) for f in findings if f.severity is not Severity.INFO] == [(
        "users-disagree",
        "1 user(s) listed in group_members.json differ from the users file in 1 record(s) (102: email "
        "'ben.okafor@example.com' in users.json ($.users[1]), 'ben@example.com' in group_members.json "
        "($[\"g1\"].members[0])): the two files were saved at different times, so either may be stale, and so may "
        "any membership; export the users and the group members again, together")]
