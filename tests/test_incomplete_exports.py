"""Issue 10, tester findings A1-A5, A9-A11: an incomplete IdP or Sigma export is an error or blocking items,
never a warning followed by deactivations; an unreadable state is never taken as active.

Small literal exports written by each test; the Sigma side is tests/fixtures/sandbox_seed (9 people,
3 teams), the policy the one of tests/test_incomplete_inputs.py (unmatched members deactivated).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from planner.model import Severity
from planner.sources import load_idp, load_sigma_export

from .conftest import run_cli, write
from .test_incomplete_inputs import FULL_PAGE_WAYS_OUT, PEOPLE, SIGMA, okta_user, plan

OKTA_GROUPS = [{"id": "00g1", "type": "OKTA_GROUP", "profile": {"name": "Finance Analysts"}},
               {"id": "00g2", "type": "OKTA_GROUP", "profile": {"name": "Sales EMEA"}}]
ENTRA_USERS = ("id,userPrincipalName,givenName,surname,accountEnabled\n"
               "u1,ada.admin@example.com,Ada,Admin,True\n"
               "u2,ben.builder@example.com,Ben,Builder,True\n"
               "u3,cleo.viewer@example.com,Cleo,Viewer,True\n")
ENTRA_MEMBERS = "Object ID,User principal name,Display name,Member type\n"
DIRECTORY_NOT_FILE = ("is a directory, where an export file belongs: a part of the export that is not read could "
                      "hide people or memberships; save the file there")


def errors(findings) -> list[tuple[str, str, str]]:
    return [(f.code, f.file, f.message) for f in findings if f.severity is Severity.ERROR]


def okta_per_group(root: Path, users: list | None, members: dict[str, list]) -> Path:
    """An Okta export in the README's per-group layout: group_members/<group id>.json."""
    if users is not None:
        write(root / "users.json", json.dumps(users))
    write(root / "groups.json", json.dumps(OKTA_GROUPS))
    for group_id, answer in members.items():
        write(root / "group_members" / f"{group_id}.json", json.dumps(answer))
    return root


def entra_csv(root: Path, users: str | None, members: dict[str, str]) -> Path:
    if users is not None:
        write(root / "users.csv", users)
    write(root / "groups.csv", "Object ID,Display name,Group type\ng1,Finance Analysts,Security\n"
                               "g2,Sales EMEA,Security\n")
    for name, rows in members.items():
        write(root / "group_members" / f"{name}.csv", ENTRA_MEMBERS + rows)
    return root


# --------------------------------------------------------------------------- A1, A4: no users file


NO_USERS = {
    "okta": ("the okta-api export has no users file: users.json (the GET /api/v1/users answers, docs/formats.md "
             "§2a) is missing; group member records do not say who is active, nor name the users in no group: "
             "export the users"),
    "entra": ("the entra-csv export has no users file: users.csv (Users > Download users, docs/formats.md §3a) is "
              "missing; group member records do not say who is active, nor name the users in no group: export "
              "the users"),
}


def without_users(tmp_path: Path, idp: str, users_dir: bool) -> tuple[Path, Path]:
    if idp == "okta":
        root = okta_per_group(tmp_path / "okta", None, {"00g1": [okta_user(1, "ada.admin@example.com")],
                                                        "00g2": [okta_user(2, "ben.builder@example.com")]})
        users = root / "users.json"
    else:
        root = entra_csv(tmp_path / "entra", None, {"Finance Analysts": "u1,ada.admin@example.com,Ada,User\n",
                                                    "Sales EMEA": "u2,ben.builder@example.com,Ben,User\n"})
        users = root / "users.csv"
    if users_dir:
        users.mkdir()
    return root, users


@pytest.mark.parametrize("idp", ["okta", "entra"])
def test_an_idp_export_without_its_users_file_is_an_error_whatever_the_member_files_hold(capsys, tmp_path, idp):
    root, _ = without_users(tmp_path, idp, users_dir=False)
    directory, findings = load_idp(root)
    assert errors(findings) == [("no-idp-users", str(root), NO_USERS[idp])]
    assert directory.users == ()  # member records make no user
    code, err, result = plan(capsys, tmp_path, root)
    assert (code, result) == (1, None)
    assert err == (f"sigma-migrate: error: the inputs have 1 error(s), first: error: {root}: {NO_USERS[idp]} "
                   "(no-idp-users); run `sigma-migrate check` to list every finding\n")


@pytest.mark.parametrize("idp", ["okta", "entra"])
def test_a_users_file_that_is_a_directory_is_named_as_such(capsys, tmp_path, idp):
    root, users = without_users(tmp_path, idp, users_dir=True)
    _, findings = load_idp(root)
    assert errors(findings) == [("not-a-file", str(users), DIRECTORY_NOT_FILE)]
    code, err, result = plan(capsys, tmp_path, root)
    assert (code, result) == (1, None)
    assert err == (f"sigma-migrate: error: the inputs have 1 error(s), first: error: {users}: {DIRECTORY_NOT_FILE} "
                   "(not-a-file); run `sigma-migrate check` to list every finding\n")
    _, findings = load_idp(users)  # given directly
    assert errors(findings) == [("not-a-file", str(users), DIRECTORY_NOT_FILE)]


def test_a_sigma_members_file_that_is_a_directory_is_named_as_such(tmp_path):
    root = tmp_path / "sigma"
    for part in ("teams.json", "team_members.json", "account_types.json"):
        write(root / part, (SIGMA / part).read_text(encoding="utf-8"))
    (root / "members.json").mkdir()
    _, findings = load_sigma_export(root)
    assert errors(findings) == [("not-a-file", str(root / "members.json"), DIRECTORY_NOT_FILE)]


# --------------------------------------------------------------------------- A2: members the users file lacks

DAN = {"id": "00u4", "status": "ACTIVE", "profile": {"login": "dan.obrien@example.com",
                                                     "email": "dan.obrien@example.com"}}


def test_a_member_the_users_file_lacks_is_held_and_blocks_what_the_gap_could_change(capsys, tmp_path):
    """Dan is in Sigma and in a group's member records, not in users.json: his state is unknown."""
    root = okta_per_group(tmp_path / "okta", PEOPLE, {"00g1": [PEOPLE[0], DAN], "00g2": [PEOPLE[1]]})
    directory, findings = load_idp(root)
    assert [u.id for u in directory.users] == ["00u1", "00u2", "00u3"]
    assert [(g.id, g.member_user_ids) for g in directory.groups] == [("00g1", ("00u1",)), ("00g2", ("00u2",))]
    assert [(f.severity, f.code, f.file, f.location, f.message) for f in findings] == [(  # the file to export again
        Severity.WARNING, "member-not-in-users", str(root / "users.json"), "",
        '1 group member(s) of 00g1.json (first at $[1]) are not in this users file, which is therefore incomplete '
        '(exported without filter=status eq "DEPROVISIONED"?): their state is unknown, so they are held (no action '
        'for them); export the users again, every status')]
    code, _, result = plan(capsys, tmp_path, root)
    assert code == 3  # blocked
    dan = "Dn7OBrienDn7OBrienDn7OBrienDn"
    assert sorted(a.id for a in result.actions if dan in a.id or "dan.obrien" in a.id) == [
        f"members.deactivate:{dan}", f"teams.remove_member:88858466-5299-4425-95c0-000000000001:{dan}"]
    blocked = {i.id for i in result.review_items if i.code == "inputs.truncated" and i.blocking}
    assert {f"inputs.truncated:members.deactivate:{dan}",
            f"inputs.truncated:teams.remove_member:88858466-5299-4425-95c0-000000000001:{dan}"} <= blocked


def test_an_entra_users_download_without_disabled_users_holds_them(tmp_path):
    """Tom is disabled, so "Download users" filtered to enabled ones lacks him; his group file names him."""
    root = entra_csv(tmp_path / "entra", ENTRA_USERS, {
        "Finance Analysts": "u1,ada.admin@example.com,Ada,User\nu9,tom.becker@example.com,Tom,User\n",
        "Sales EMEA": "u2,ben.builder@example.com,Ben,User\n"})
    directory, findings = load_idp(root)
    assert "u9" not in {u.id for u in directory.users}
    assert [(g.display_name, g.member_user_ids) for g in directory.groups] == [
        ("Finance Analysts", ("u1",)), ("Sales EMEA", ("u2",))]
    assert [(f.code, f.file, f.location, f.message) for f in findings] == [(
        "member-not-in-users", str(root / "users.csv"), "",
        "1 member(s) of group 'Finance Analysts' (Finance Analysts.csv line 3) are not in this users CSV, which is "
        "therefore incomplete "
        "(downloaded without disabled users, or cut?): their enabled state is unknown, so they are held (no "
        "action for them); download the users again, all of them")]


# --------------------------------------------------------------------------- A3: a group without its file


def test_a_listed_group_without_its_membership_file_is_incomplete(capsys, tmp_path):
    root = okta_per_group(tmp_path / "okta", PEOPLE, {"00g1": [PEOPLE[0], PEOPLE[1]]})
    _, findings = load_idp(root)
    assert [(f.severity, f.code, f.file, f.location, f.message) for f in findings] == [(
        Severity.WARNING, "missing-group-members", str(root / "group_members"), "",
        "1 group(s) of groups.json have no membership file or answer here ('Sales EMEA'): their members are "
        "unknown, not none; export their members too (an empty file is a group with no members)")]
    code, _, result = plan(capsys, tmp_path, root)
    assert code == 3
    blocked = sorted(i.id for i in result.review_items if i.code == "inputs.truncated" and i.blocking)
    assert "inputs.truncated:scim.set_group_members:00g2" in blocked


@pytest.mark.parametrize("layout", ["okta", "entra"])
def test_an_empty_membership_file_is_a_group_with_no_members(tmp_path, layout):
    if layout == "okta":
        root = okta_per_group(tmp_path / "okta", PEOPLE, {"00g1": [PEOPLE[0]], "00g2": []})
    else:
        root = entra_csv(tmp_path / "entra", ENTRA_USERS, {"Finance Analysts": "u1,ada.admin@example.com,Ada,User\n",
                                                           "Sales EMEA": ""})
    directory, findings = load_idp(root)
    assert [f.code for f in findings] == []
    assert [(g.display_name, g.member_user_ids) for g in directory.groups] == [
        ("Finance Analysts", (directory.users[0].id,)), ("Sales EMEA", ())]


def test_an_entra_group_without_its_members_download_is_incomplete(tmp_path):
    root = entra_csv(tmp_path / "entra", ENTRA_USERS, {"Finance Analysts": "u1,ada.admin@example.com,Ada,User\n"})
    _, findings = load_idp(root)
    assert [(f.code, f.file, f.location) for f in findings] == [
        ("missing-group-members", str(root / "group_members"), "")]


# --------------------------------------------------------------------------- A9: folder names


@pytest.mark.parametrize("folder", ["okta_deprov_member", "members", "okta_deprovmateo"])
def test_a_folder_name_never_changes_what_a_file_is(tmp_path, folder):
    root = write(tmp_path / folder / "users.json", json.dumps(PEOPLE)).parent
    write(root / "groups.json", json.dumps(OKTA_GROUPS[:1]))
    write(root / "group_members.json", json.dumps({"00g1": [PEOPLE[0]]}))
    directory, findings = load_idp(root)
    assert [u.id for u in directory.users] == ["00u1", "00u2", "00u3"]
    assert [(g.id, g.member_user_ids) for g in directory.groups] == [("00g1", ("00u1",))]
    assert [f.code for f in findings] == []


def test_check_names_a_missing_users_file(capsys, tmp_path):
    root, _ = without_users(tmp_path, "okta", users_dir=False)
    code, out, _ = run_cli(capsys, "check", "--sigma", str(SIGMA), "--idp", str(root), "--json")
    assert code == 1
    assert [(f["code"], f["file"]) for f in json.loads(out)["findings"] if f["severity"] == "error"] == [
        ("no-idp-users", str(root))]


# --------------------------------------------------------------------------- A5: a full last page


def okta_users(n: int, start: int = 0) -> list[dict]:
    return [okta_user(i, f"user{i}@example.com") for i in range(start, start + n)]


@pytest.mark.parametrize("pages, finding", [
    ([200, 200], ("$", "Okta users file: an array of 2 pages of 200 records each, the last one full too: an API "
                       "stops at a shorter page, so the next pages are probably missing")),
    ([200], ("$[0]", 'Okta users file: its last page holds 200 records, a full page of GET /api/v1/users (limit '
                     '200, its default) and no Link: rel="next": the next pages are probably missing'
             + FULL_PAGE_WAYS_OUT)),
    ([200, 150], None),
    ([3, 3, 3], ("$", "Okta users file: an array of 3 pages of 3 records each, the last one full too: an API "
                      "stops at a shorter page, so the next pages are probably missing")),
    ([3, 3, 2], None),
])
def test_an_array_of_pages_ending_on_a_full_page_is_truncated(tmp_path, pages, finding):
    saved, start = [], 0
    for size in pages:
        saved.append(okta_users(size, start))
        start += size
    root = write(tmp_path / "okta" / "users.json", json.dumps(saved)).parent
    _, findings = load_idp(root, "okta-api")
    got = [(f.location, f.message) for f in findings if f.code == "incomplete-pages"]
    assert got == ([finding] if finding else [])


@pytest.mark.parametrize("count, finding", [
    (400, "Okta users file: exactly 400 records, 2 full pages of GET /api/v1/users (limit 200, its default) and no "
          'Link: rel="next": the next pages are probably missing' + FULL_PAGE_WAYS_OUT),
    (399, None), (401, None),
])
def test_a_flat_okta_users_file_of_full_pages_is_truncated(tmp_path, count, finding):
    root = write(tmp_path / "okta" / "users.json", json.dumps(okta_users(count))).parent
    _, findings = load_idp(root, "okta-api")
    assert [f.message for f in findings if f.code == "incomplete-pages"] == ([finding] if finding else [])


def test_a_full_last_page_blocks_what_the_missing_pages_could_change(capsys, tmp_path):
    """The tester's A5: two full pages saved, the third (with Dan) missing: Dan's deactivation is blocked."""
    first = PEOPLE[:1] + okta_users(2, 10)
    second = PEOPLE[1:] + okta_users(1, 20)
    root = okta_per_group(tmp_path / "okta", None, {"00g1": [PEOPLE[0]], "00g2": [PEOPLE[1]]})
    write(root / "users.json", json.dumps([first, second]))
    code, _, result = plan(capsys, tmp_path, root)
    assert code == 3
    dan = "Dn7OBrienDn7OBrienDn7OBrienDn"
    blocked = {i.id for i in result.review_items if i.code == "inputs.truncated" and i.blocking}
    assert f"inputs.truncated:members.deactivate:{dan}" in blocked


# --------------------------------------------------------------------------- A10: Entra "Deleted users"

DELETED_HEADER = "id,userPrincipalName,displayName,givenName,surname,accountEnabled,deletedDateTime\n"


def test_an_entra_deleted_users_download_lists_inactive_users(tmp_path):
    root = entra_csv(tmp_path / "entra", ENTRA_USERS, {"Finance Analysts": "u1,ada.admin@example.com,Ada,User\n",
                                                       "Sales EMEA": ""})
    write(root / "exportDeletedUsers_2025-6-1.csv",
          DELETED_HEADER + "u7,dan.obrien@example.com,Dan OBrien,Dan,OBrien,True,2025-05-30T10:00:00Z\n")
    directory, findings = load_idp(root)
    assert [(u.id, u.active) for u in directory.users] == [  # the files in name order
        ("u7", False), ("u1", True), ("u2", True), ("u3", True)]
    assert [(f.code, f.file, f.location, f.field, f.message) for f in findings] == [(
        "deleted-user", str(root / "exportDeletedUsers_2025-6-1.csv"), "line 2", "deletedDateTime",
        "1 user(s) have a deletedDateTime (a 'Deleted users' download?): they were deleted; taken as inactive, "
        "whatever accountEnabled says")]


def test_a_user_in_the_deleted_users_download_and_the_users_download_says_deleted_or_restored(capsys, tmp_path):
    # tester11 nit: "two copies of one listing, e.g. a backup? keep one" let the Deleted users file be kept, which
    # deactivates a restored, active user
    root = entra_csv(tmp_path / "entra", ENTRA_USERS, {"Finance Analysts": "u1,ada.admin@example.com,Ada,User\n",
                                                       "Sales EMEA": ""})
    deleted = write(root / "exportDeletedUsers_2025-6-1.csv",
                    DELETED_HEADER + "u2,bo.builder@example.com,Bo Builder,Bo,Builder,True,2025-05-30T10:00:00Z\n")
    code, out, err = run_cli(capsys, "check", "--sigma", str(SIGMA), "--idp", str(root))
    assert code == 1
    assert [line for line in (out + err).splitlines() if line.startswith("error:")] == [
        f"error: {root / 'users.csv'}:line 3 [id]: user id u2 appears again (first at {deleted}:line 2), in another "
        "file: exportDeletedUsers_2025-6-1.csv lists them deleted (deletedDateTime 2025-05-30T10:00:00Z) and "
        "users.csv as a user: either the user was deleted and restored after exportDeletedUsers_2025-6-1.csv was "
        "downloaded (keeping it would deactivate a restored user: drop it), or deleted after users.csv was; the files "
        "cannot tell which: download both again at one time (a restored user leaves the Deleted users list), and drop "
        "exportDeletedUsers_2025-6-1.csv if it no longer lists them; one id must name one user (duplicate-user-id)"]


def test_a_graph_deleted_item_is_inactive(tmp_path):
    users = write(tmp_path / "users.json", json.dumps({
        "@odata.context": "https://graph.microsoft.com/v1.0/$metadata#users",
        "value": [{"id": "u1", "userPrincipalName": "ada.admin@example.com", "accountEnabled": True},
                  {"id": "u7", "userPrincipalName": "dan.obrien@example.com", "accountEnabled": True,
                   "deletedDateTime": "2025-05-30T10:00:00Z"}]}))
    directory, findings = load_idp(users)
    assert [(u.id, u.active) for u in directory.users] == [("u1", True), ("u7", False)]
    assert [(f.code, f.location, f.message) for f in findings] == [(
        "deleted-user", "$.value[1]", "user u7: deletedDateTime '2025-05-30T10:00:00Z': the user was deleted; "
        "taken as inactive, whatever accountEnabled says")]


# --------------------------------------------------------------------------- A11: Sigma CSV state columns


@pytest.mark.parametrize("dropped", ["isArchived", "isInactive"])
def test_a_sigma_members_csv_without_a_state_column_is_an_error_naming_it(capsys, tmp_path, dropped):
    columns = ["memberId", "email", "firstName", "lastName", "memberType", "userKind", "isArchived", "isInactive"]
    kept = [c for c in columns if c != dropped]
    row = {"memberId": "Ad4AdminAd4AdminAd4AdminAd4Ad", "email": "ada.admin@example.com", "firstName": "Ada",
           "lastName": "Admin", "memberType": "admin", "userKind": "internal", "isArchived": "false",
           "isInactive": "false"}
    root = tmp_path / "sigma"
    write(root / "members.csv", ",".join(kept) + "\n" + ",".join(row[c] for c in kept) + "\n")
    write(root / "teams.json", "[]")
    write(root / "team_members.json", "{}")
    _, findings = load_sigma_export(root)
    assert errors(findings) == [(
        "missing-column", str(root / "members.csv"),
        f"members.csv: required column {dropped!r} not found in the comma-separated header "
        f"({', '.join(repr(c) for c in kept)})")]
    code, err, result = plan_with(capsys, tmp_path, root)
    assert (code, result) == (1, None)
    assert f"members.csv:line 1 [{dropped}]: members.csv: required column {dropped!r}" in err


def plan_with(capsys, tmp_path: Path, sigma: Path):
    from .test_incomplete_inputs import POLICY

    from planner.planfile import read_plan

    idp = write(tmp_path / "okta" / "users.json", json.dumps(PEOPLE)).parent
    (tmp_path / "policy.yaml").write_text(POLICY, encoding="utf-8")
    out = tmp_path / "plan.json"
    code, _, err = run_cli(capsys, "plan", "--sigma", str(sigma), "--idp", str(idp), "--policy",
                           str(tmp_path / "policy.yaml"), "--out", str(out))
    return code, err, (read_plan(out) if out.exists() else None)


# --------------------------------------------------------------------------- C: loader messages


def test_a_zip_given_as_the_idp_export_says_to_extract_it(tmp_path):
    import zipfile

    archive = tmp_path / "okta.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("okta/users.json", json.dumps(PEOPLE))
    _, findings = load_idp(archive)
    assert errors(findings) == [("archive-file", str(archive),
                                 "is a zip/gzip archive, not an export file: extract it and pass the folder it holds")]


def test_a_user_id_in_two_users_files_names_both_files(tmp_path):
    root = write(tmp_path / "okta" / "users.json", json.dumps(PEOPLE)).parent
    changed = dict(PEOPLE[0], status="SUSPENDED")
    write(root / "users-old.json", json.dumps([changed]))
    _, findings = load_idp(root, "okta-api")
    assert errors(findings) == [(
        "duplicate-user-id", str(root / "users.json"),
        f"user id 00u1 appears again (first at {root / 'users-old.json'}:$[0]), a different record, in another file "
        "(users-old.json and users.json: two copies of one listing, e.g. a backup? keep one); one id must name one "
        "user: fix or re-export the file")]


@pytest.mark.parametrize("members, finding", [
    (200, ("$", "exactly 200 records, one full page")), (199, None),
    ([13, 200], ("$[1]", "its last page holds 200 records, a full page")), ([200, 13], None)])
def test_an_okta_group_answer_ending_on_a_full_page_is_truncated(tmp_path, members, finding):
    people = okta_users(400)
    if isinstance(members, int):
        answer = people[:members]
    else:
        answer = [people[:members[0]], people[members[0]:members[0] + members[1]]]
    root = write(tmp_path / "okta" / "users.json", json.dumps([people[:300], people[300:]])).parent
    write(root / "groups.json", json.dumps(OKTA_GROUPS[:1]))
    write(root / "group_members" / "00g1.json", json.dumps(answer))
    _, findings = load_idp(root, "okta-api")
    assert [(f.file, f.location, f.message) for f in findings if f.code == "incomplete-pages"] == ([(
        str(root / "group_members" / "00g1.json"), finding[0],
        f'Okta members of group 00g1: {finding[1]} of GET /api/v1/groups/{{id}}/users (limit 200, as README\'s '
        'steps and Okta\'s spec ask) and no Link: rel="next": the next pages are probably missing'
        + FULL_PAGE_WAYS_OUT)] if finding else [])
