"""Sigma's SCIM state (the export's scim/Users.json, scim/Groups.json) and the review items it raises
(issue 10, fix-items items 4, 5).

Item 4: a SCIM Group's ``members[].value`` must be a SCIM User of scim/Users.json (RFC 7643 §4.2) that is a
member of the members file: one that is not shows the export incomplete (``member-not-in-users`` at
scim/Users.json, the IdP side's mechanism; ``member-not-in-members`` at the members file), so every action the
gap could change is a blocking ``inputs.truncated`` item, also those Sigma's SCIM state gave a ``scimId``.
"""

from __future__ import annotations

import json
from pathlib import Path

from planner.model import Severity
from planner.sources import load_sigma_export

from .test_incomplete_sigma import AFFECTED, FINANCE, GHOST, blocked, plan, scim_state, seed

USER = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group"
ADMIN = "Ad4AdminAd4AdminAd4AdminAd4Ad"


def admin_email(sigma: Path) -> str:
    entries = json.loads((sigma / "members.json").read_text(encoding="utf-8"))[0]["entries"]
    return next(e["email"] for e in entries if e["memberId"] == ADMIN)


def provisioned_finance(sigma: Path, members: list[str], users: list[dict] = ()) -> None:
    """Sigma's SCIM state: the admin provisioned (externalId 00u1), team Finance linked to IdP group 00g1 with
    ``members`` (SCIM ids)."""
    scim_state(sigma, [{"schemas": [USER], "id": ADMIN, "userName": admin_email(sigma), "externalId": "00u1",
                        "active": True}, *users],
               [{"schemas": [GROUP], "id": FINANCE, "displayName": "Finance Analysts", "externalId": "00g1",
                 "members": [{"value": m} for m in members]}])


def test_a_scim_group_member_that_is_no_scim_user_shows_users_json_incomplete_and_blocks(capsys, tmp_path):
    sigma = seed(tmp_path)
    provisioned_finance(sigma, [ADMIN, GHOST])
    _, findings = load_sigma_export(sigma)
    assert [(f.severity, f.code, f.file, f.message) for f in findings if f.code == "member-not-in-users"] == [
        (Severity.WARNING, "member-not-in-users", str(sigma / "scim" / "Users.json"),
         f"1 group member(s) listed in Groups.json ({GHOST}) are neither users nor groups of this export, which is "
         "therefore incomplete (cut short, or filtered): their state is unknown, so they are held (no action for "
         "them); export the users and groups again, whole")]
    code, err, result = plan(capsys, tmp_path, sigma)
    assert (code, err.count("Traceback")) == (3, 0)  # was a crash: the subject's scimId was no ItemRef field
    items = blocked(result)
    assert sorted(items) == [f"inputs.truncated:{a}" for a in AFFECTED]
    group_item = items["inputs.truncated:scim.set_group_members:00g1"]
    assert group_item.subject.fields() == {
        "actionId": "scim.set_group_members:00g1", "groupDisplayName": "Finance Analysts", "groupId": "00g1",
        "kind": "scim.set_group_members", "name": "Finance Analysts", "scimId": FINANCE, "teamId": FINANCE}
    assert group_item.message.startswith(
        "scim.set_group_members (team 'Finance Analysts' members = the 2 provisioned member(s) of group 'Finance "
        "Analysts') rests on an export whose users file lacks some group members, so what is missing or stale may "
        f"change it: {sigma / 'scim' / 'Users.json'}: 1 group member(s) listed in Groups.json ({GHOST})")


def test_a_scim_group_member_that_is_a_scim_user_but_no_member_shows_the_members_file_incomplete(capsys, tmp_path):
    sigma = seed(tmp_path)
    provisioned_finance(sigma, [ADMIN, GHOST], users=[{"schemas": [USER], "id": GHOST,
                                                        "userName": "ghost@example.com", "active": True}])
    _, findings = load_sigma_export(sigma)
    assert [(f.code, f.file, f.message) for f in findings if f.code.startswith("member-not-in")] == [
        ("member-not-in-members", str(sigma / "members.json"),
         "1 SCIM user(s) of scim/Users.json are not in this members file, which is therefore incomplete (exported "
         f"without includeArchived=true&includeInactive=true?): {GHOST} ('ghost@example.com'); export the members "
         "again, every page and state")]
    code, _, result = plan(capsys, tmp_path, sigma)
    assert code == 3
    assert sorted(blocked(result)) == [f"inputs.truncated:{a}" for a in AFFECTED]


def test_a_complete_scim_state_adds_no_truncation_item(capsys, tmp_path):
    sigma = seed(tmp_path)
    provisioned_finance(sigma, [ADMIN])
    _, findings = load_sigma_export(sigma)
    assert [f.code for f in findings if f.code.startswith("member-not-in")] == []
    code, _, result = plan(capsys, tmp_path, sigma)
    assert blocked(result) == {}
