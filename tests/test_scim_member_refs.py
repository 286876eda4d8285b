"""SCIM Group members named by ``$ref`` only (RFC 7643 §4.2; tester18 finding 9): the member's id is the last path
segment of its ``$ref``; was "Groups.json ... is missing: add the file" beside the file given."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from planner.sources import load_idp
from planner.sources.scim import ref_member

from .conftest import REPO, run_cli, write

SIGMA = REPO / "samples" / "acme" / "sigma"
USER_URN = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP_URN = "urn:ietf:params:scim:schemas:core:2.0:Group"


def list_response(resources: list[dict]) -> str:
    return json.dumps({"schemas": ["urn:ietf:params:scim:api:messages:2.0:ListResponse"],
                       "totalResults": len(resources), "Resources": resources})


def user(n: int) -> dict:
    return {"schemas": [USER_URN], "id": f"00u{n}", "userName": f"user{n}@example.com", "active": True,
            "emails": [{"value": f"user{n}@example.com", "primary": True}]}


def export(root: Path, members: list[dict]) -> Path:
    write(root / "Users.json", list_response([user(1), user(2)]))
    write(root / "Groups.json", list_response([
        {"schemas": [GROUP_URN], "id": "00g1", "displayName": "Sigma-Build", "members": members},
        {"schemas": [GROUP_URN], "id": "00g2", "displayName": "Finance", "members": []}]))
    return root


REF_ONLY = [{"$ref": "https://idp.example/scim/v2/Users/00u1", "type": "User"},
            {"$ref": "https://idp.example/scim/v2/Users/00u2"}]  # no type: the Users endpoint says it


@pytest.mark.parametrize("ref, expected", [
    ("https://idp.example/scim/v2/Users/00uCuQbt5PScKaNQVpDR", ("00uCuQbt5PScKaNQVpDR", "user")),
    ("https://idp.example/scim/v2/Groups/00g1/", ("", "")),  # no segment after the endpoint
    ("/scim/v2/groups/00g%2F1", ("00g/1", "group")),  # percent-decoded; endpoint names in any case
    ("https://idp.example/scim/v2/Others/x1", ("x1", "")),
    ("00u1", ("", "")), (None, ("", "")), (7, ("", "")),
])
def test_the_id_a_member_ref_names_is_its_last_path_segment(ref, expected):
    assert ref_member(ref) == expected


def test_members_with_ref_only_are_read_as_with_value(tmp_path):
    by_ref, _ = load_idp(export(tmp_path / "ref", REF_ONLY), "scim")
    by_value, _ = load_idp(export(tmp_path / "value", [{"value": "00u1", "type": "User"},
                                                        {"value": "00u2", "type": "User"}]), "scim")
    assert [(g.id, g.member_user_ids, g.member_group_ids) for g in by_ref.groups] == [
        ("00g1", ("00u1", "00u2"), ()), ("00g2", (), ())]
    assert [(g.id, g.member_user_ids) for g in by_value.groups] == [(g.id, g.member_user_ids) for g in by_ref.groups]


def test_a_value_empty_beside_a_ref_takes_the_ref(tmp_path):
    # the typed (msgspec) path: value "" decodes, the $ref then names the member
    directory, findings = load_idp(export(tmp_path, [
        {"value": "", "$ref": "https://idp.example/scim/v2/Users/00u2", "type": "User"}]), "scim")
    assert [(g.id, g.member_user_ids) for g in directory.groups] == [("00g1", ("00u2",)), ("00g2", ())]
    assert findings == []


def test_a_member_with_neither_value_nor_a_readable_ref_is_one_finding_naming_group_and_index(tmp_path):
    root = export(tmp_path, [{"$ref": "https://idp.example/scim/v2/Users/00u1", "type": "User"},
                             {"$ref": "https://idp.example/scim/v2/Users/", "type": "User"}, {"type": "User"}])
    directory, findings = load_idp(root, "scim")
    assert [(g.id, g.member_user_ids) for g in directory.groups] == [("00g1", ("00u1",)), ("00g2", ())]
    assert [(f.severity.value, f.code, Path(f.file).name, f.location, f.field, f.message) for f in findings] == [
        ("warning", "missing-id", "Groups.json", "$.Resources[0].members[1]", "value",
         "2 member(s) of this SCIM Group have no value (the member's id) and no $ref whose last path segment is "
         "one (RFC 7643 §4.2); skipped")]


def test_check_reads_a_ref_only_export_without_the_missing_file_error(capsys, tmp_path):
    root = export(tmp_path / "scim", REF_ONLY)
    code, out, err = run_cli(capsys, "check", "--sigma", str(SIGMA), "--idp", str(root))
    assert code == 0
    assert [line for line in (out + err).splitlines() if line.startswith("error:")] == []
    assert "missing-group-memberships" not in out + err and "(missing-id)" not in out + err


def test_groups_whose_members_cannot_be_read_are_named_so_not_a_missing_file(capsys, tmp_path):
    root = export(tmp_path / "scim", [{"$ref": "https://idp.example/scim/v2/Users/", "type": "User"},
                                      {"type": "User"}])
    code, out, err = run_cli(capsys, "check", "--sigma", str(SIGMA), "--idp", str(root))
    assert code == 1
    assert [line for line in (out + err).splitlines() if line.startswith("error:")] == [
        f"error: {root}: the scim export has 2 user(s) but 2 group(s) without members: the 2 SCIM Group(s) read list "
        "no member that could be read (each \"members\": [], or members with neither value nor a $ref naming one: the "
        "missing-id warnings), and the policy reads group memberships (teams.rules); every account type and team "
        "would change on that absence: download the members again as the warnings say (missing-group-memberships)"]


CONFLICT = ("SCIM Group 'Sigma-Build' (00g1): member value '00u1' and $ref "
            "'https://idp.example/scim/v2/Users/00u2' name different resources (RFC 7643 §4.2: value is the "
            "member's id, $ref its URI): who is a member is unknown; export the Group again")


@pytest.mark.parametrize("typed", [True, False], ids=["typed", "lenient"])
def test_a_value_and_a_ref_naming_different_members_is_an_error_naming_file_group_and_member(tmp_path, typed):
    """left19 item 6: value and $ref disagree (00u1 vs .../Users/00u2): the value silently won, so the group fed
    actions for someone the file does not clearly name. An identity admin cannot tell which is right, so the
    export is refused: one error naming file, Group and member; nothing is read from that member."""
    members = [{"value": "00u2", "$ref": "https://idp.example/scim/v2/Users/00u2", "type": "User"},
               {"value": "00u1", "$ref": "https://idp.example/scim/v2/Users/00u2", "type": "User"}]
    if not typed:  # a member with an unknown key sends the file down the lenient (dict) reader
        members[0]["x-extra"] = {"nested": [1]}
    directory, findings = load_idp(export(tmp_path, members), "scim")
    assert [(f.severity.value, f.code, Path(f.file).name, f.location, f.field, f.message) for f in findings] == [
        ("error", "member-ref-conflict", "Groups.json", "$.Resources[0].members[1]", "$ref", CONFLICT)]


def test_a_ref_of_another_kind_than_the_type_is_the_same_error(tmp_path):
    _, findings = load_idp(export(tmp_path, [
        {"value": "00u1", "$ref": "https://idp.example/scim/v2/Groups/00u1", "type": "User"}]), "scim")
    assert [(f.code, f.message) for f in findings] == [
        ("member-ref-conflict", "SCIM Group 'Sigma-Build' (00g1): member value '00u1' of type User and $ref "
         "'https://idp.example/scim/v2/Groups/00u1' (a Group) name different resources (RFC 7643 §4.2: value is the "
         "member's id, $ref its URI): who is a member is unknown; export the Group again")]


def test_a_value_and_an_agreeing_ref_are_read_without_a_finding(tmp_path):
    directory, findings = load_idp(export(tmp_path, [
        {"value": "00u1", "$ref": "https://idp.example/scim/v2/Users/00u1", "type": "User"},
        {"value": "00g2", "$ref": "../groups/00g%32", "type": "Group"}]), "scim")  # percent-encoded, any case
    assert findings == []
    assert [(g.id, g.member_user_ids, g.member_group_ids) for g in directory.groups] == [
        ("00g1", ("00u1",), ("00g2",)), ("00g2", (), ())]


def test_check_and_plan_stop_on_the_conflict_with_one_error_line(capsys, tmp_path):
    root = export(tmp_path / "scim", [{"value": "00u1", "$ref": "https://idp.example/scim/v2/Users/00u2",
                                       "type": "User"}])
    line = f"error: {root / 'Groups.json'}:$.Resources[0].members[0] [$ref]: {CONFLICT} (member-ref-conflict)"
    code, out, err = run_cli(capsys, "check", "--sigma", str(SIGMA), "--idp", str(root))
    assert code == 1
    assert [text for text in (out + err).splitlines() if "member-ref-conflict" in text] == [line]
    plan = tmp_path / "plan.json"
    code, out, err = run_cli(capsys, "plan", "--sigma", str(SIGMA), "--idp", str(root), "--policy",
                             str(REPO / "samples/acme/policy-okta.yaml"), "--out", str(plan))
    assert (code, plan.exists()) == (1, False)
    assert [text for text in (out + err).splitlines() if "member-ref-conflict" in text] == [
        f"sigma-migrate: error: the inputs have 1 error(s), first: {line}; run `sigma-migrate check` to list every "
        "finding"]
