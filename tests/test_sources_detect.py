"""Format detection from content, in one place (planner.sources.detect), and --idp-format."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from planner.model import Severity
from planner.sources import UnknownFormatError, load_idp
from planner.sources.detect import classify
from planner.sources.files import Findings
from planner.sources.detect import scan

FIXTURES = Path(__file__).parent / "fixtures" / "sources"


@pytest.mark.parametrize("path, fmt, role", [
    ("okta/users.json", "okta-api", "users"),
    ("okta/groups.json", "okta-api", "groups"),
    ("okta/group_members.json", "okta-api", "members-map"),
    ("entra_csv/users.csv", "entra-csv", "users"),
    ("entra_excel/users.csv", "entra-csv", "users"),
    ("entra_csv/groups.csv", "entra-csv", "groups"),
    ("entra_csv/group_members/Sales EMEA.csv", "entra-csv", "group-members"),
    ("entra_graph/users.json", "entra-graph", "users"),
    ("entra_graph/groups.json", "entra-graph", "groups"),
    ("entra_graph/group_members.json", "entra-graph", "members-map"),
    ("google_csv/users.csv", "google-csv", "users"),
    ("google_gam/users.csv", "google-csv", "users"),
    ("google_api/users.json", "google-api", "users"),
    ("google_api/groups.json", "google-api", "groups"),
    ("google_api/group_members.json", "google-api", "members-map"),
    ("scim/Users.json", "scim", "resources"),
    ("scim_mixed/export.json", "scim", "resources"),
    ("generic/mapping.yaml", "generic-csv", "mapping"),
    ("generic/people.csv", None, "csv"),
    ("sigma_pages/members.json", "sigma", None),
])
def test_classify_by_content(path, fmt, role):
    kind = classify(FIXTURES / path)
    assert (kind.format, kind.role) == (fmt, role)


def test_content_wins_over_file_names(tmp_path):
    shutil.copy(FIXTURES / "okta" / "users.json", tmp_path / "export-2025-05-20.json")
    shutil.copy(FIXTURES / "okta" / "groups.json", tmp_path / "users.json")  # misleading name
    findings = Findings()
    layout = scan([tmp_path], findings)
    assert layout.format == "okta-api"
    assert layout.files == {"users": [tmp_path / "export-2025-05-20.json"], "groups": [tmp_path / "users.json"]}


def test_several_formats_at_once_are_ambiguous(tmp_path):
    shutil.copy(FIXTURES / "okta" / "users.json", tmp_path / "okta_users.json")
    shutil.copy(FIXTURES / "entra_csv" / "users.csv", tmp_path / "entra_users.csv")
    directory, findings = load_idp(tmp_path)
    assert directory.users == ()
    assert [(f.severity.value, f.code) for f in findings] == [("error", "ambiguous-format")]
    assert f"entra-csv in {tmp_path}: entra_users.csv; okta-api in {tmp_path}: okta_users.json" in findings[0].message
    assert findings[0].file == str(tmp_path)


def test_two_idp_folders_of_two_formats_name_each_folder_not_the_first(tmp_path):
    """`--idp okta --idp entra`: the finding names the folder holding both, and each format's own folder."""
    (tmp_path / "okta").mkdir()
    (tmp_path / "entra").mkdir()
    shutil.copy(FIXTURES / "okta" / "users.json", tmp_path / "okta" / "users.json")
    shutil.copy(FIXTURES / "entra_csv" / "users.csv", tmp_path / "entra" / "users.csv")
    _, findings = load_idp([tmp_path / "okta", tmp_path / "entra"])
    assert [(f.code, f.file, f.message) for f in findings] == [(
        "ambiguous-format", str(tmp_path),
        f"files of several IdP formats (entra-csv in {tmp_path / 'entra'}: users.csv; okta-api in "
        f"{tmp_path / 'okta'}: users.json); pass one export or --idp-format")]


def test_idp_format_overrides_detection_with_roles_from_file_names(tmp_path):
    users = {"schemas": ["urn:ietf:params:scim:api:messages:2.0:ListResponse"],
             "Resources": [{"id": "1", "userName": "a@example.com"}]}
    (tmp_path / "dump.json").write_text(json.dumps(users), encoding="utf-8")
    directory, _ = load_idp(tmp_path / "dump.json", "scim")
    assert [u.user_name for u in directory.users] == ["a@example.com"]
    shutil.copy(FIXTURES / "okta" / "users.json", tmp_path / "users.json")
    directory, findings = load_idp(tmp_path / "users.json", "okta-api")
    assert len(directory.users) == 3


def test_a_sigma_export_given_as_idp_is_a_clear_error():
    directory, findings = load_idp(FIXTURES / "sigma_pages")
    assert [(f.code, f.message) for f in findings] == [
        ("not-an-idp-export", "this is a Sigma export (memberId/teamId); pass it with --sigma, not --idp")]


def test_missing_path_empty_directory_and_unknown_format_name(tmp_path):
    _, findings = load_idp(tmp_path / "nope")
    assert [(f.code, f.file) for f in findings] == [("not-found", str(tmp_path / "nope"))]
    _, findings = load_idp(tmp_path)
    assert [f.code for f in findings] == ["no-idp-files"]
    with pytest.raises(UnknownFormatError, match="unknown IdP format 'okta'"):
        load_idp(tmp_path, "okta")


def test_several_paths_form_one_export():
    directory, findings = load_idp([FIXTURES / "okta" / "users.json", FIXTURES / "okta" / "group_members.json"])
    assert directory.format == "okta-api"
    assert [g.id for g in directory.groups] == ["00g1emaKYZTWRYYRRTS1", "Sales EMEA"]


# --------------------------------------------------------------------------- empty and unknown files


def copy_export(tmp_path: Path, name: str) -> Path:
    target = tmp_path / name
    shutil.copytree(FIXTURES / name, target)
    return target


@pytest.mark.parametrize("export, part", [
    ("entra_csv", "group_members/Finance.csv"),
    ("entra_csv", "users.csv"),
    ("okta", "group_members.json"),
    ("okta", "users.json"),
])
def test_an_empty_file_where_an_export_file_belongs_is_an_error(tmp_path, export, part):
    root = copy_export(tmp_path, export)
    (root / part).write_bytes(b"")  # `: > group_members/Finance.csv`
    directory, findings = load_idp(root)
    errors = [(f.severity, f.code, f.file, f.message) for f in findings if f.severity is Severity.ERROR]
    assert errors == [(
        Severity.ERROR, "empty-file", str(root / part),
        "file is empty (0 bytes), where an IdP export file belongs: an empty part of an export would read as "
        "'no users / no members'; export it again (or remove it)")]
    assert "ignored-file" not in {f.code for f in findings}


@pytest.mark.parametrize("content, why", [
    (b"", "file is empty (0 bytes)"),
    (b"\xef\xbb\xbf \r\n\r\n", "file holds only whitespace"),
    (b"#TYPE System.Management.Automation.PSCustomObject\r\n", "file has no header line (only preamble lines)"),
])
def test_an_empty_file_given_directly_is_an_error(tmp_path, content, why):
    path = tmp_path / "users.csv"
    path.write_bytes(content)
    directory, findings = load_idp(path)
    assert directory.users == ()
    assert [(f.severity, f.code, f.file) for f in findings] == [(Severity.ERROR, "empty-file", str(path))]
    assert findings[0].message.startswith(why + ", where an IdP export file belongs")


def test_foreign_files_are_ignored_with_info_but_unknown_export_files_are_errors(tmp_path):
    root = copy_export(tmp_path, "okta")
    (root / "README.txt").write_text("exported 2025-05-20 by ana\n", encoding="utf-8")
    (root / ".DS_Store").write_bytes(b"\x00\x00\x00\x01Bud1")
    (root / "notes.yaml").write_text("owner: ana\n", encoding="utf-8")
    directory, findings = load_idp(root)
    assert len(directory.users) == 3  # and one member the users file lacks, held (member-not-in-users)
    assert [(f.severity, f.code, f.file.rsplit("/", 1)[1]) for f in findings if f.code == "ignored-file"] == [
        (Severity.INFO, "ignored-file", "README.txt"), (Severity.INFO, "ignored-file", "notes.yaml")]
    (root / "audit.json").write_text(json.dumps({"events": []}), encoding="utf-8")
    (root / "report.csv").write_text("Login,Score\na@example.com,3\n", encoding="utf-8")
    _, findings = load_idp(root)
    assert [(f.severity, f.code, f.file.rsplit("/", 1)[1], f.message) for f in findings
            if f.code == "unknown-file"] == [
        (Severity.ERROR, "unknown-file", "audit.json",
         "not a recognizable part of the okta-api export (JSON of unknown kind); a part that is not read could "
         "hide users or memberships: fix or remove the file, or pass --idp-format"),
        (Severity.ERROR, "unknown-file", "report.csv",
         "not a recognizable part of the okta-api export (CSV of unknown kind); a part that is not read could "
         "hide users or memberships: fix or remove the file, or pass --idp-format"),
    ]


def test_an_okta_file_of_no_known_shape_named_like_a_part_is_read_as_that_part(tmp_path):
    root = copy_export(tmp_path, "okta")
    (root / "group_members.json").write_text(json.dumps({"data": "oops"}), encoding="utf-8")
    _, findings = load_idp(root)
    assert [(f.severity, f.code, f.file.rsplit("/", 1)[1]) for f in findings if f.severity is Severity.ERROR] == [
        (Severity.ERROR, "unexpected-json-shape", "group_members.json")]


# --------------------------------------------------------------------------- Graph #directoryObjects users

GRAPH_ROOT = "https://graph.microsoft.com/v1.0/$metadata#"
GRAPH_USERS = [{"@odata.type": "#microsoft.graph.user", "id": f"u{n}", "userPrincipalName": f"{name}@example.com",
                "givenName": name.title(), "surname": "Example", "accountEnabled": True}
               for n, name in ((1, "ada"), (2, "ben"), (3, "cleo"))]


def graph_directory_objects_export(root: Path, users_context: str) -> Path:
    """A Graph export whose users.json is an answer of ``users_context`` holding the three users."""
    (root / "group_members").mkdir(parents=True)
    (root / "users.json").write_text(json.dumps({"@odata.context": GRAPH_ROOT + users_context, "value": GRAPH_USERS}))
    (root / "groups.json").write_text(json.dumps({"@odata.context": GRAPH_ROOT + "groups", "value": [
        {"id": "g1", "displayName": "Finance", "securityEnabled": True}]}))
    (root / "group_members" / "Finance.json").write_text(json.dumps(
        {"@odata.context": GRAPH_ROOT + "directoryObjects", "value": GRAPH_USERS[:2]}))
    return root


@pytest.mark.parametrize("context", ["directoryObjects", "directoryObjects/microsoft.graph.user"],
                         ids=["getByIds", "cast"])
def test_a_users_file_of_graph_directory_objects_is_the_users_file(tmp_path, context):
    """Issue 10 item 4 (after 000251e): the loader reads such a users.json by its records, but detection made it
    a members answer of a group named 'users' and the export 'has no users file: users.json ... is missing'."""
    root = graph_directory_objects_export(tmp_path, context)
    layout = scan([root], Findings())
    assert {role: [p.name for p in paths] for role, paths in layout.files.items()} == {
        "users": ["users.json"], "groups": ["groups.json"], "group-members": ["Finance.json"]}
    directory, findings = load_idp(root, None)
    assert [f for f in findings if f.severity is not Severity.INFO] == []
    assert [u.id for u in directory.users] == ["u1", "u2", "u3"]
    assert [(g.display_name, g.member_user_ids) for g in directory.groups] == [("Finance", ("u1", "u2"))]


def test_a_deleted_items_answer_of_typed_records_is_deleted_users(tmp_path):
    root = graph_directory_objects_export(tmp_path, "users")
    (root / "deleted_users.json").write_text(json.dumps(
        {"@odata.context": GRAPH_ROOT + "directory/deletedItems",
         "value": [dict(GRAPH_USERS[0], id="u9", userPrincipalName="dan@example.com")]}))
    assert classify(root / "deleted_users.json").role == "users"
    directory, findings = load_idp(root, None)
    assert sorted((u.id, u.active) for u in directory.users) == [("u1", True), ("u2", True), ("u3", True),
                                                                 ("u9", False)]


def test_a_users_file_of_graph_groups_cast_is_the_wrong_entity_set(tmp_path):
    root = graph_directory_objects_export(tmp_path, "directoryObjects/microsoft.graph.group")
    _, findings = load_idp(root, None)
    assert [(f.code, Path(f.file).name, f.message) for f in findings if f.severity is Severity.ERROR][:1] == [(
        "unexpected-entity-set", "users.json",
        "users.json's @odata.context names the entity set 'directoryObjects/microsoft.graph.group' "
        "($metadata#directoryObjects/microsoft.graph.group), not 'users': it is no GET /v1.0/users answer; save "
        "that answer here")]
