"""Issue 10 item 4: a group's own count of its members (Okta ``_embedded.stats.usersCount`` of
``GET /api/v1/groups?expand=stats``, Google ``directMembersCount``) is checked against its saved members
answer as Graph's ``@odata.count`` is (planner.sources.envelopes.report_count_gap): an answer holding fewer
records is ``incomplete-pages`` at that answer, so every action it could change is a blocking
``inputs.truncated`` item; a count that is no whole number is an ``unexpected-json-shape`` error; a group
without the field is not checked. Small literal exports (tests/test_incomplete_inputs.py's)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from planner.model import Severity
from planner.sources import load_idp

from .conftest import errors
from .test_incomplete_inputs import PEOPLE, okta_export, plan, truncation

MEMBERS = {"00g1": [{"id": "00u1"}, {"id": "00u2"}]}


def okta_with_count(root: Path, users_count, members: dict = MEMBERS) -> Path:
    """tests/test_incomplete_inputs.py's Okta export (group 00g1 'Finance Analysts' of 00u1, 00u2) whose group
    record carries ``_embedded.stats.usersCount`` ``users_count`` (absent when ``None``)."""
    okta_export(root, PEOPLE, members=members)
    groups = json.loads((root / "groups.json").read_text())
    if users_count is not None:
        groups[0]["_embedded"] = {"stats": {"usersCount": users_count, "appsCount": 1}}
    (root / "groups.json").write_text(json.dumps(groups))
    return root


MISSING = "pages are missing (a middle one too: pages carry no position, only the count tells)"
ADDED = "records were added to the answer or the count belongs to another query"


# fewer records than the count, or more: fetch-idp refuses both too (listing.member_count_agrees: Okta
# groups hold users only, equal or not)
@pytest.mark.parametrize("users_count, why", [(3, MISSING), (1, ADDED)], ids=["short", "long"])
def test_an_okta_members_answer_other_than_its_groups_users_count_is_incomplete(tmp_path, users_count, why):
    _, findings = load_idp(okta_with_count(tmp_path, users_count), "okta-api")
    assert truncation(findings) == [(
        Severity.WARNING, "incomplete-pages", "group_members.json", '$["00g1"]', "_embedded.stats.usersCount",
        f"members of group 'Finance Analysts': _embedded.stats.usersCount (groups.json $[0]) is {users_count} but "
        f"the saved page(s) hold 2 records: {why}; export every page again")]
    assert errors(findings) == []


@pytest.mark.parametrize("users_count", [2, None], ids=["equal", "absent"])
def test_an_okta_answer_holding_its_count_or_a_group_without_stats_is_no_finding(tmp_path, users_count):
    _, findings = load_idp(okta_with_count(tmp_path, users_count), "okta-api")
    assert truncation(findings) == [] and errors(findings) == []


def test_a_users_count_that_is_no_whole_number_is_an_error_at_the_groups_file(tmp_path):
    _, findings = load_idp(okta_with_count(tmp_path, "3"), "okta-api")
    assert errors(findings) == [(
        "unexpected-json-shape", "groups.json", "$[0]._embedded.stats.usersCount", "usersCount",
        "Okta groups file: usersCount must be a whole number, found a string '3'")]
    assert truncation(findings) == []


def test_every_action_the_short_group_answer_could_change_is_blocked(capsys, tmp_path):
    code, _, result = plan(capsys, tmp_path, okta_with_count(tmp_path / "okta", 5))
    assert code == 3   # --detailed-exitcode: changes, blocked by review items
    items = {i.id: i for i in result.review_items if i.code == "inputs.truncated"}
    assert "inputs.truncated:scim.set_group_members:00g1" in items
    assert all(i.blocking for i in items.values())
    assert items["inputs.truncated:scim.set_group_members:00g1"].message.endswith(
        "_embedded.stats.usersCount (groups.json $[0]) is 5 but the saved page(s) hold 2 records: pages are "
        "missing (a middle one too: pages carry no position, only the count tells); export every page again")


# --------------------------------------------------------------------------- Google directMembersCount


def google_export(root: Path, direct_members_count) -> Path:
    """A Google Directory API export: group 'Finance' (count ``direct_members_count``) of two users and a
    child group, whose own answer is empty."""
    root.mkdir(parents=True, exist_ok=True)
    users = [{"kind": "admin#directory#user", "id": f"10{n}", "primaryEmail": f"{name}@example.com",
              "name": {"givenName": name.title(), "familyName": "Example"}, "suspended": False}
             for n, name in ((1, "ada"), (2, "ben"))]
    groups = [{"kind": "admin#directory#group", "id": "03g1", "email": "finance@example.com", "name": "Finance",
               "directMembersCount": direct_members_count},
              {"kind": "admin#directory#group", "id": "03g2", "email": "contractors@example.com",
               "name": "Contractors", "directMembersCount": "0"}]
    members = {"03g1": {"kind": "admin#directory#members", "members": [
        {"kind": "admin#directory#member", "id": "101", "email": "ada@example.com", "type": "USER"},
        {"kind": "admin#directory#member", "id": "102", "email": "ben@example.com", "type": "USER"},
        {"kind": "admin#directory#member", "id": "03g2", "email": "contractors@example.com", "type": "GROUP"}]},
        "03g2": {"kind": "admin#directory#members", "members": []}}
    for name, data in (("users.json", {"kind": "admin#directory#users", "users": users}),
                       ("groups.json", {"kind": "admin#directory#groups", "groups": groups}),
                       ("group_members.json", members)):
        (root / name).write_text(json.dumps(data))
    return root


# fetch-idp's rule (listing.member_count_agrees): 3 records, one a child group, agree with 3 or 2 only
@pytest.mark.parametrize("count, why", [("5", MISSING), ("1", ADDED)], ids=["short", "long"])
def test_a_google_members_answer_other_than_its_direct_members_count_is_incomplete(tmp_path, count, why):
    _, findings = load_idp(google_export(tmp_path, count), "google-api")
    assert truncation(findings) == [(
        Severity.WARNING, "incomplete-pages", "group_members.json", '$["03g1"]', "directMembersCount",
        f"members of group 'Finance': directMembersCount (groups.json $.groups[0]) is {count} but the saved "
        f"page(s) hold 3 records: {why}; export every page again")]


@pytest.mark.parametrize("count", ["3", "2", 3, None], ids=["all", "users-only", "number", "absent"])
def test_a_google_count_the_answer_agrees_with_or_an_absent_one_is_no_finding(tmp_path, count):
    """Google counts "the users that are direct members": whether the child group counts is not said
    (planner.listing.member_count_agrees, fetch-idp's rule too), so 2 and 3 both pass here."""
    _, findings = load_idp(google_export(tmp_path, count), "google-api")
    assert truncation(findings) == [] and errors(findings) == []


def test_a_direct_members_count_that_is_no_whole_number_is_an_error(tmp_path):
    _, findings = load_idp(google_export(tmp_path, "three"), "google-api")
    assert errors(findings) == [(
        "unexpected-json-shape", "groups.json", "$.groups[0].directMembersCount", "directMembersCount",
        "Google groups file: directMembersCount must be a whole number, found a string 'three'")]
