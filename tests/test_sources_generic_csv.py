"""Generic CSV with a column-mapping YAML (planner.sources.generic_csv)."""

from __future__ import annotations

from pathlib import Path

from planner.model import Severity
from planner.sources import load_idp

FIXTURES = Path(__file__).parent / "fixtures" / "sources"


def test_mapping_names_every_column():
    directory, findings = load_idp(FIXTURES / "generic")
    assert directory.format == "generic-csv" and findings == []
    ana, ben, carol = directory.users
    assert (ana.id, ana.user_name, ana.given_name, ana.family_name, ana.active, ana.user_type) == (
        "E1001", "ana.lopez@example.com", "Ana", "Lopez", True, "Member")
    assert [e.value for e in ben.emails] == ["ben.okafor@example.com", "ben@oldcorp.example"]
    assert (ben.active, carol.active, carol.is_guest) == (False, True, True)
    assert dict(ana.attributes) == {"Badge": "blue"}
    assert [(g.id, g.member_user_ids) for g in directory.groups] == [
        ("Finance", ("E1001", "E1002")), ("sigma-view", ("E1001",))]


def test_mapping_given_alone_finds_its_csv_and_defaults(tmp_path):
    (tmp_path / "export.csv").write_text("Login;State\r\nA@Example.com;Active\r\nb@example.com;DISABLED\r\n",
                                         encoding="utf-8-sig")
    (tmp_path / "map.yml").write_text("users: export.csv\ncolumns:\n  USERNAME: login\n  status: State\n",
                                      encoding="utf-8")
    directory, findings = load_idp(tmp_path / "map.yml")
    assert findings == []
    assert [(u.id, u.primary_email.value, u.status, u.active) for u in directory.users] == [
        ("A@Example.com", "A@Example.com", "Active", True), ("b@example.com", "b@example.com", "DISABLED", False)]


def test_mapped_column_missing_from_the_csv_is_an_error(tmp_path):
    (tmp_path / "people.csv").write_text("Login\na@example.com\n", encoding="utf-8")
    (tmp_path / "mapping.yaml").write_text("columns:\n  userName: Login\n  givenName: First\n", encoding="utf-8")
    directory, findings = load_idp(tmp_path)
    assert directory.users == ()
    assert [(f.severity, f.code, f.file, f.location, f.field) for f in findings] == [
        (Severity.ERROR, "missing-column", str(tmp_path / "people.csv"), "line 1", "First")]


def test_a_missing_mapped_header_is_named_with_the_mapping_line(tmp_path):
    (tmp_path / "people.csv").write_text("Login,Mail\na@example.com,a@example.com\n", encoding="utf-8")
    (tmp_path / "map.yaml").write_text("# mapping\ncolumns:\n  userName: Logon\n  emails: [Mail, Alt]\n",
                                       encoding="utf-8")
    directory, findings = load_idp(tmp_path)
    assert directory.users == ()
    assert [(f.code, f.location, f.field, f.message) for f in findings] == [
        ("missing-column", "line 1", "Logon",
         "CSV mapped by map.yaml: column 'Logon' (userName, map.yaml:3) is not in the header ('Login', 'Mail')"),
        ("missing-column", "line 1", "Alt",
         "CSV mapped by map.yaml: column 'Alt' (emails, map.yaml:4) is not in the header ('Login', 'Mail')"),
    ]


def test_bad_mapping_names_the_yaml_line(tmp_path):
    (tmp_path / "people.csv").write_text("Login\na@example.com\n", encoding="utf-8")
    (tmp_path / "mapping.yaml").write_text("columns:\n  userName: Login\n  nickname: Nick\n", encoding="utf-8")
    _, findings = load_idp(tmp_path)
    assert [(f.code, f.location, f.field) for f in findings] == [("invalid-mapping", "line 3", "columns.nickname")]


def test_csv_without_a_mapping_is_an_unknown_format(tmp_path):
    (tmp_path / "people.csv").write_text("Login,Name\na@example.com,A\n", encoding="utf-8")
    directory, findings = load_idp(tmp_path)
    assert directory.users == ()
    assert [(f.severity, f.code) for f in findings] == [(Severity.ERROR, "unknown-format")]
    _, findings = load_idp(tmp_path, "generic-csv")
    assert [(f.severity, f.code) for f in findings] == [(Severity.ERROR, "missing-mapping")]


WORDS = ("a status word of map.yaml (active, enabled mean active; inactive, disabled, suspended, deprovisioned "
         "mean inactive): whether the user is active cannot be read (a plan never guesses it); fix the export")


def test_a_status_word_in_neither_list_is_unreadable_never_inactive(tmp_path):
    """Tester finding 6: a status is read through both lists; "Locked" or a typo is not "inactive" for not
    being an active word (docs/formats.md §0.6)."""
    (tmp_path / "people.csv").write_text("Login,State\nann@x.example,Active\nbob@x.example,Locked\n"
                                         "cat@x.example,actve\ndan@x.example,Suspended\n", encoding="utf-8")
    (tmp_path / "map.yaml").write_text("columns:\n  userName: Login\n  status: State\n", encoding="utf-8")
    directory, findings = load_idp(tmp_path)
    assert [(u.user_name, u.active) for u in directory.users] == [
        ("ann@x.example", True), ("bob@x.example", None), ("cat@x.example", None), ("dan@x.example", False)]
    assert [(f.severity, f.code, f.location, f.field, f.message) for f in findings] == [
        (Severity.ERROR, "unreadable-status", "line 3", "State", f"State is 'Locked', not {WORDS}"),
        (Severity.ERROR, "unreadable-status", "line 4", "State", f"State is 'actve', not {WORDS}")]


def test_the_mapping_lists_inactive_words_too_and_a_word_in_both_lists_is_an_error(tmp_path):
    (tmp_path / "people.csv").write_text("Login,State\nann@x.example,on\nbob@x.example,Off\n", encoding="utf-8")
    (tmp_path / "map.yaml").write_text("columns:\n  userName: Login\n  status: State\nactive_statuses: [on]\n"
                                       "inactive_statuses: off\n", encoding="utf-8")
    directory, findings = load_idp(tmp_path)
    assert findings == [] and [u.active for u in directory.users] == [True, False]
    (tmp_path / "map.yaml").write_text("columns:\n  userName: Login\n  status: State\nactive_statuses: [on, Off]\n"
                                       "inactive_statuses: [OFF]\n", encoding="utf-8")
    directory, findings = load_idp(tmp_path)
    assert directory.users == ()
    assert [(f.severity, f.code, f.location, f.field, f.message) for f in findings] == [
        (Severity.ERROR, "invalid-mapping", "line 5", "inactive_statuses",
         "active_statuses and inactive_statuses both list 'off': a status word means one thing")]
