"""Generic CSV with a column-mapping YAML (planner.sources.generic_csv)."""

from __future__ import annotations

from pathlib import Path

import pytest

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
    assert [(f.severity, f.code, f.file, f.location, f.field, f.message) for f in findings] == [
        (Severity.ERROR, "missing-column", str(tmp_path / "mapping.yaml"), "line 3", "columns.givenName",
         "columns.givenName names column 'First', which is not in the CSV: people.csv has 'Login' (header at line 1)")]


def test_a_missing_mapped_header_is_named_with_the_mapping_line(tmp_path):
    (tmp_path / "people.csv").write_text("Login,Mail\na@example.com,a@example.com\n", encoding="utf-8")
    (tmp_path / "map.yaml").write_text("# mapping\ncolumns:\n  userName: Logon\n  emails: [Mail, Alt]\n",
                                       encoding="utf-8")
    directory, findings = load_idp(tmp_path)
    assert directory.users == ()
    # tester findings 20-22: at the mapping's line, with the CSV's columns and the closest one
    assert [(Path(f.file).name, f.code, f.location, f.field, f.message) for f in findings] == [
        ("map.yaml", "missing-column", "line 3", "columns.userName",
         "columns.userName names column 'Logon', which is not in the CSV: people.csv has 'Login', 'Mail' "
         "(header at line 1); did you mean 'Login'?"),
        ("map.yaml", "missing-column", "line 4", "columns.emails",
         "columns.emails names column 'Alt', which is not in the CSV: people.csv has 'Login', 'Mail' "
         "(header at line 1)"),
    ]


def test_bad_mapping_names_the_yaml_line(tmp_path):
    (tmp_path / "people.csv").write_text("Login\na@example.com\n", encoding="utf-8")
    (tmp_path / "mapping.yaml").write_text("columns:\n  userName: Login\n  nickname: Nick\n", encoding="utf-8")
    _, findings = load_idp(tmp_path)
    assert [(f.code, f.location, f.field, f.message) for f in findings] == [
        ("invalid-mapping", "line 3", "columns",
         "unknown key 'nickname'; allowed here: id, userName, emails, givenName, familyName, "
         "displayName, active, status, userType, externalId, groups, created")]


PEOPLE = "Login,Mail Address,First Name,Last Name,Enabled\nann@x.example,ann@x.example,Ann,Lee,true\n"
COLUMNS = "people.csv has 'Login', 'Mail Address', 'First Name', 'Last Name', 'Enabled' (header at line 1)"
SHARED = "a column is read as one attribute (only id, userName, emails, externalId may share one: the same person's identifiers)"


@pytest.mark.parametrize("mapping, expected", [
    ("columns:\n  userName: Login\n  emails: [Mail]\n  active: Enabled\n",
     ("missing-column", "line 3", "columns.emails",
      f"columns.emails names column 'Mail', which is not in the CSV: {COLUMNS}; did you mean 'Mail Address'?")),
    ("columns:\n  userName: Login\n  givenName: First Name\n  familyName: first name\n  active: Enabled\n",
     ("invalid-mapping", "line 4", "columns.familyName",
      f"columns.familyName names column 'First Name', as columns.givenName (line 3) does: {SHARED}; {COLUMNS}")),
    ("columns:\n  userName: Login\n  status: Enabled\n  active: Enabled\n",  # tester16a finding 4
     ("invalid-mapping", "line 4", "columns.active",
      "columns.status ('Enabled', line 3) and columns.active ('Enabled', line 4) both say whether a user is active, "
      "and the two columns could disagree: map one, active for a true/false column or status with active_statuses "
      "and inactive_statuses; the loader does not guess which one is the truth")),
    ("columns:\n  userName: Login\n  emails: [Mail Address, mail address]\n  active: Enabled\n",
     ("invalid-mapping", "line 3", "columns.emails", f"columns.emails names column 'Mail Address' twice: {SHARED}; {COLUMNS}")),
    ("columns:\n  userName: Login\n  email: Mail Address\n  active: Enabled\n",
     ("invalid-mapping", "line 3", "columns",
      "unknown key 'email' (did you mean 'emails'?); allowed here: id, userName, emails, givenName, "
      "familyName, displayName, active, status, userType, externalId, groups, created")),
    ("columns:\n  userName: Login\n  active: Enabled\nactive_status: [x]\n",
     ("invalid-mapping", "line 4", "",
      "unknown key 'active_status' (did you mean 'active_statuses'?); allowed here: users, columns, "
      "groups_separator, active_statuses, inactive_statuses, suspended_statuses, never_activated_statuses, "
      "status_labels, format")),
])
def test_a_mapping_fault_is_one_line_at_the_mapping_naming_the_key_and_the_csv_columns(tmp_path, mapping, expected):
    """Tester findings 20-22: a column the CSV lacks, two attributes on one column, a key that is no field."""
    (tmp_path / "people.csv").write_text(PEOPLE, encoding="utf-8")
    (tmp_path / "map.yaml").write_text(mapping, encoding="utf-8")
    directory, findings = load_idp(tmp_path)
    assert directory.users == ()
    assert [(Path(f.file).name, f.severity) for f in findings] == [("map.yaml", Severity.ERROR)]
    assert (findings[0].code, findings[0].location, findings[0].field, findings[0].message) == expected


def test_a_mapping_is_read_strictly_each_wrong_value_one_line_with_its_key(tmp_path):
    """Review (issue 10, names item 4): the mapping is read as strictly as the policy (planner.yaml_schema): a
    value YAML 1.1 reads as a number or boolean where a header belongs is refused with how YAML read it, never
    re-spelled ('007' -> '7'), a list where one name belongs is refused; every problem one error at its line."""
    (tmp_path / "people.csv").write_text(PEOPLE, encoding="utf-8")
    (tmp_path / "map.yaml").write_text(
        "users: {a: people.csv}\ncolumns:\n  UserName: 007\n  givenName: [First Name]\n  active: Enabled\n"
        "groups_separator: 1\nactive_statuses: [yes]\n", encoding="utf-8")
    directory, findings = load_idp(tmp_path)
    assert directory.users == ()
    assert [(Path(f.file).name, f.code, f.location, f.field, f.message) for f in findings] == [
        ("map.yaml", "invalid-mapping", "line 1", "users", "Input should be a valid tuple"),
        ("map.yaml", "invalid-mapping", "line 3", "columns.userName",
         "Input should be a valid string (quote the value in YAML: YAML reads 007 as the number 7)"),
        ("map.yaml", "invalid-mapping", "line 4", "columns.givenName", "Input should be a valid string"),
        ("map.yaml", "invalid-mapping", "line 6", "groups_separator",
         "Input should be a valid string (quote the value in YAML: YAML reads 1 as the number 1)"),
    ]


def test_a_persons_identifiers_may_share_a_column(tmp_path):
    (tmp_path / "people.csv").write_text(PEOPLE, encoding="utf-8")
    (tmp_path / "map.yaml").write_text("columns:\n  userName: Login\n  id: login\n  emails: [Login]\n"
                                       "  externalId: LOGIN\n  active: Enabled\n", encoding="utf-8")
    directory, findings = load_idp(tmp_path)
    assert findings == [] and [(u.id, u.external_id) for u in directory.users] == [("ann@x.example", "ann@x.example")]


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


def test_one_status_word_is_said_in_the_singular(tmp_path):
    # tester7 finding 15 (nit): "active mean active"
    (tmp_path / "people.csv").write_text("Login,State\nann@x.example,Actve\n", encoding="utf-8")
    (tmp_path / "map.yaml").write_text("columns:\n  userName: Login\n  status: State\nactive_statuses: [active]\n"
                                       "inactive_statuses: [inactive, disabled]\n", encoding="utf-8")
    _, findings = load_idp(tmp_path)
    assert [(f.code, f.location, f.message) for f in findings] == [
        ("unreadable-status", "line 2", "State is 'Actve', not a status word of map.yaml (active means active; "
         "inactive, disabled mean inactive): whether the user is active cannot be read (a plan never guesses it); "
         "fix the export")]


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


def test_a_column_headed_like_an_attribute_is_not_read_as_it_when_the_mapping_names_another():
    """A JumpCloud export has both `username` and `email`; the mapping reads userName from `email`. Was: the column
    headed `username` was taken as userName because its header spells the attribute (the canonical name was a
    spelling of itself), the mapping's `userName: email` ignored: `ana.lopez` became the userName sent to Sigma."""
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        (folder / "users.csv").write_text('"username","email","_id","state","active"\r\n'
                                          '"ana.lopez","ana.lopez@example.com","64a1","ACTIVATED","x"\r\n',
                                          encoding="utf-8")
        (folder / "map.yaml").write_text("columns:\n  userName: email\n  id: _id\n  status: state\n"
                                         "active_statuses: [activated]\ninactive_statuses: [suspended]\n",
                                         encoding="utf-8")
        directory, findings = load_idp(folder)
    assert findings == []
    assert [(u.id, u.user_name, u.status, u.active) for u in directory.users] == [
        ("64a1", "ana.lopez@example.com", "ACTIVATED", True)]  # the `active` column, unmapped, is not read either


BOTH_STATES = ("columns.active ('Enabled', line 3) and columns.status ('State', line 4) both say whether a user is "
               "active, and the two columns could disagree: map one, active for a true/false column or status with "
               "active_statuses and inactive_statuses; the loader does not guess which one is the truth")


def test_a_mapping_of_both_active_and_status_is_refused_and_stops_plan_and_check(tmp_path, capsys):
    """Tester16a finding 4: a mapping naming both an ``active`` and a ``status`` column was accepted and one silently
    won; the two could disagree, so it is an ``invalid-mapping`` error at the later key's line naming both keys."""
    from .conftest import run_cli
    from .tiny_org import PROTECTED_POLICY, sigma_export

    sigma = sigma_export(tmp_path)
    (tmp_path / "policy.yaml").write_text(PROTECTED_POLICY, encoding="utf-8")
    idp = tmp_path / "idp"
    idp.mkdir()
    (idp / "users.csv").write_text("Login,Enabled,State\nmarcus.webb@acme.example,true,Disabled\n", encoding="utf-8")
    (idp / "map.yaml").write_text("columns:\n  userName: Login\n  active: Enabled\n  status: State\n"
                                  "inactive_statuses: [disabled]\n", encoding="utf-8")
    directory, findings = load_idp(idp)
    assert directory.users == ()
    assert [(f.code, Path(f.file).name, f.location, f.field, f.message) for f in findings] == [
        ("invalid-mapping", "map.yaml", "line 4", "columns.status", BOTH_STATES)]
    code, out, err = run_cli(capsys, "plan", "--sigma", str(sigma), "--idp", str(idp), "--policy",
                             str(tmp_path / "policy.yaml"), "--out", str(tmp_path / "plan.json"))
    assert (code, out, err) == (1, "", (
        f"sigma-migrate: error: the inputs have 1 error(s), first: error: {idp / 'map.yaml'}:line 4 [columns.status]: "
        f"{BOTH_STATES} (invalid-mapping); run `sigma-migrate check` to list every finding\n"))
    code, out, _ = run_cli(capsys, "check", "--sigma", str(sigma), "--idp", str(idp))
    assert (code, [line for line in out.splitlines() if line.startswith("error:")]) == (
        1, [f"error: {idp / 'map.yaml'}:line 4 [columns.status]: {BOTH_STATES} (invalid-mapping)"])
