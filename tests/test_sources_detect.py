"""Format detection from content, in one place (planner.sources.detect), and --idp-format."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

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
    assert "entra-csv: entra_users.csv; okta-api: okta_users.json" in findings[0].message


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
