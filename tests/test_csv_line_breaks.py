"""Line breaks inside CSV cells (tester findings 5, 23): RFC 4180 §2.6 cells, identity values one line.

A quoted cell typed with Alt+Enter is one cell and its record one row, named by the line it starts on;
in an identity column (email, userName, id, externalId, team or group name) a line break is a
``line-break-in-value`` error naming file, line and column, in every CSV the tool reads; a bare CR
or LF outside quotes is an error naming file and line (planner.sources.tabular).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from planner.cli import main
from planner.model import Severity
from planner.sources import load_idp, load_sigma_export
from planner.sources.files import Findings
from planner.sources.tabular import SMALL_FILE, read_table

MEMBERS = "memberId,email,firstName,lastName,memberType,userKind,isArchived,isInactive,organizationId\n"
MEMBER = "M{n},m{n}@acme.example,Ann,Lee,Pro,internal,false,false,org1\n"
HINT = ("a quoted cell typed with Alt+Enter or pasted from several lines; an identity value is one line and is "
        "neither joined nor split: correct the cell in the source and export again")


def _write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.encode("utf-8"))
    return path


def _sigma(tmp_path: Path, members: str = "", teams: str = "T1,Finance\n", team_members: str = "T1,M1,false\n") -> Path:
    sigma = tmp_path / "sigma"
    _write(sigma / "members.csv", MEMBERS + MEMBER.format(n=1) + members + MEMBER.format(n=3))
    _write(sigma / "teams.csv", "teamId,name\n" + teams)
    _write(sigma / "team_members.csv", "teamId,userId,isTeamAdmin\n" + team_members)
    return sigma


def _errors(findings) -> list[tuple[str, str, str, str]]:
    return [(f.code, Path(f.file).name, f.location, f.field) for f in findings if f.severity is Severity.ERROR]


def _message(findings, code: str = "line-break-in-value") -> str:
    return next(f.message for f in findings if f.code == code)


# --------------------------------------------------------------------------- Sigma CSVs


def test_a_sigma_member_email_ending_in_a_line_break_is_an_error_at_the_record_start(tmp_path):
    sigma = _sigma(tmp_path, members='M2,"m2@acme.example\n",Bob,"Ray\nJr",Pro,internal,false,false,org1\n')
    export, findings = load_sigma_export(sigma)
    assert _errors(findings) == [("line-break-in-value", "members.csv", "line 3", "email")]
    assert _message(findings) == (
        "members.csv: email 'm2@acme.example\\n' holds a line break (U+000A LINE FEED at position 16): " + HINT)
    # three records, the third named by the line it starts on (the second spans lines 3-5)
    assert [(m.member_id, m.source.location) for m in export.members] == [
        ("M1", "line 2"), ("M2", "line 3"), ("M3", "line 6")]


@pytest.mark.parametrize("file, text, location, field, shown", [
    ("teams.csv", 'T1,"Fin\r\nance"\n', "line 2", "name", "'Fin\\r\\nance'"),
    ("team_members.csv", 'T1,"M1\n",false\n', "line 2", "userId", "'M1\\n'"),
])
def test_a_team_name_or_team_member_id_with_a_line_break_is_an_error(tmp_path, file, text, location, field, shown):
    sigma = _sigma(tmp_path, **{file.removesuffix(".csv"): text})
    _, findings = load_sigma_export(sigma)
    assert ("line-break-in-value", file, location, field) in _errors(findings)
    assert _message(findings).startswith(f"{file}: {field} {shown} holds a line break (U+000")


def test_a_member_id_with_a_line_break_is_an_error(tmp_path):
    sigma = _sigma(tmp_path, members='"M\n2",m2@acme.example,Bob,Ray,Pro,internal,false,false,org1\n')
    _, findings = load_sigma_export(sigma)
    assert _errors(findings)[0] == ("line-break-in-value", "members.csv", "line 3", "memberId")


def test_a_name_across_lines_is_one_cell_and_the_line_numbers_after_it_stay_right(tmp_path):
    sigma = _sigma(tmp_path, members='M2,m2@acme.example,"Bob\r\nBy",Ray,Pro,internal,false,false,org1\n')
    export, findings = load_sigma_export(sigma)
    assert _errors(findings) == []
    assert [(m.member_id, m.first_name, m.source.location) for m in export.members] == [
        ("M1", "Ann", "line 2"), ("M2", "Bob\r\nBy", "line 3"), ("M3", "Ann", "line 5")]


# --------------------------------------------------------------------------- IdP CSVs


ENTRA_USERS = "id,userPrincipalName,displayName,mail,accountEnabled\nu1,ann@acme.example,Ann,ann@acme.example,True\n"


@pytest.mark.parametrize("row, field, shown", [
    ('u2,"bob@acme.example\n",Bob,bob@acme.example,True\n', "userPrincipalName", "'bob@acme.example\\n'"),
    ('u2,bob@acme.example,Bob,"bob@acme.\nexample",True\n', "mail", "'bob@acme.\\nexample'"),
    ('"u\n2",bob@acme.example,Bob,bob@acme.example,True\n', "id", "'u\\n2'"),
])
def test_an_entra_users_csv_identity_cell_with_a_line_break_is_an_error(tmp_path, row, field, shown):
    _write(tmp_path / "entra" / "users.csv", ENTRA_USERS + row + "u3,cat@acme.example,Cat,cat@acme.example,True\n")
    directory, findings = load_idp(tmp_path / "entra", "entra-csv")
    assert ("line-break-in-value", "users.csv", "line 3", field) in _errors(findings)
    assert _message(findings).startswith(f"Entra users CSV: {field} {shown} holds a line break (U+000A LINE FEED")
    assert [u.source.location for u in directory.users] == ["line 2", "line 3", "line 5"]


def test_an_entra_group_name_and_a_member_upn_with_a_line_break_are_errors(tmp_path):
    _write(tmp_path / "entra" / "users.csv", ENTRA_USERS)
    _write(tmp_path / "entra" / "groups.csv",
           'Object ID,Display name,Mail,Group type,Membership type\ng1,"Fin\nance",,Security,Assigned\n')
    _write(tmp_path / "entra" / "group_members" / "Fin ance.csv",
           'Object ID,User principal name,Display name,Member type\nu1,"ann@acme.example\n",Ann,User\n')
    _, findings = load_idp(tmp_path / "entra", "entra-csv")
    assert [e for e in _errors(findings) if e[0] == "line-break-in-value"] == [
        ("line-break-in-value", "groups.csv", "line 2", "Display name"),
        ("line-break-in-value", "Fin ance.csv", "line 2", "User principal name")]


def test_a_google_users_csv_email_with_a_line_break_is_an_error(tmp_path):
    _write(tmp_path / "google" / "users.csv",
           "First Name [Required],Last Name [Required],Email Address [Required],Status [READ ONLY]\n"
           'Ann,Lee,"ann@acme.example\u2028",Active\nBob,Ray,bob@acme.example,Active\n')
    directory, findings = load_idp(tmp_path / "google", "google-csv")
    assert _errors(findings) == [("line-break-in-value", "users.csv", "line 2", "Email Address [Required]")]
    assert _message(findings) == ("Google users CSV: Email Address [Required] 'ann@acme.example\\u2028' holds a "
                                  "line break (U+2028 LINE SEPARATOR at position 17): " + HINT)
    assert len(directory.users) == 2


@pytest.mark.parametrize("column, cell", [
    ("Login", '"bob@acme.example\n"'), ("Mail", '"bob@acme.\r\nexample"'), ("Groups", '"Finance\nSales"'),
    ("Number", '"E\n2"'), ("Person", '"P\n2"'),
])
def test_a_generic_csv_identity_cell_with_a_line_break_is_an_error(tmp_path, column, cell):
    headers = ["Person", "Login", "Mail", "Number", "Enabled", "Groups"]
    values = dict(zip(headers, ["P2", "bob@acme.example", "bob@acme.example", "E2", "true", "Finance"]))
    values[column] = cell
    _write(tmp_path / "idp" / "people.csv", ",".join(headers) + "\n"
           + "P1,ann@acme.example,ann@acme.example,E1,true,Finance\n" + ",".join(values.values()) + "\n")
    _write(tmp_path / "idp" / "map.yaml", "columns:\n  id: Person\n  userName: Login\n  emails: [Mail]\n"
           "  externalId: Number\n  active: Enabled\n  groups: Groups\n")
    directory, findings = load_idp(tmp_path / "idp")
    assert _errors(findings) == [("line-break-in-value", "people.csv", "line 3", column)]
    assert _message(findings).startswith(f"CSV mapped by map.yaml: {column} ")
    assert len(directory.users) == 2


def test_a_generic_csv_whose_groups_separator_is_a_line_feed_reads_one_group_a_line(tmp_path):
    _write(tmp_path / "idp" / "people.csv", 'Login,Enabled,Groups\nann@acme.example,true,"Finance\r\nSales"\n')
    _write(tmp_path / "idp" / "map.yaml", 'columns:\n  userName: Login\n  active: Enabled\n  groups: Groups\n'
           'groups_separator: "\\n"\n')
    directory, findings = load_idp(tmp_path / "idp")
    assert _errors(findings) == []
    assert [(g.id, g.member_user_ids) for g in directory.groups] == [
        ("Finance", ("ann@acme.example",)), ("Sales", ("ann@acme.example",))]


# --------------------------------------------------------------------------- line ends outside quotes


def _table(tmp_path: Path, text: str):
    findings = Findings()
    table = read_table(_write(tmp_path / "t.csv", text), findings,
                       aliases={"id": (), "email": (), "name": ()}, identity=("id", "email"), what="test CSV")
    return table, findings


@pytest.mark.parametrize("size", ["small", "large"])
def test_a_bare_line_feed_outside_quotes_is_a_ragged_row_at_each_line(tmp_path, size):
    pad = "" if size == "small" else "".join(f"x{i},x{i}@acme.example,X\n" for i in range(SMALL_FILE // 20))
    table, findings = _table(tmp_path, 'id,email,name\n1,"a@acme.example",A\n2,b@acme\n.example,B\n3,c@acme.example,C\n'
                             + pad)
    assert [(f.code, f.location, f.field) for f in findings] == [
        ("ragged-row", "line 3", "name"), ("ragged-row", "line 4", "name")]
    assert findings[0].message == ("test CSV: row has 2 fields but the header has 3; column 'name' and after are "
                                   "missing (truncated row, or a line break outside quotes?); row skipped")
    assert table.lines[:2] == [2, 5]


@pytest.mark.parametrize("text", [
    "id,email,name\r\n1,a@acme.example,A\r\n2,b@acme.example,B\rX\r\n3,c@acme.example,C\r\n",
    "id,email,name\n1,a@acme.example,A\n2,b@acme.example,B\rX\n3,c@acme.example,C\n",
])
def test_a_bare_carriage_return_outside_quotes_is_malformed_at_its_line(tmp_path, text):
    table, findings = _table(tmp_path, text)
    assert table is None
    assert [(f.severity, f.code, f.location, f.message) for f in findings] == [
        (Severity.ERROR, "malformed-csv", "line 3",
         "test CSV: a carriage return (\\r) inside the line, outside quotes (a damaged line end?)")]


def test_a_carriage_return_inside_quotes_is_cell_content_and_lines_count_line_feeds(tmp_path):
    table, findings = _table(tmp_path, 'id,email,name\n1,a@acme.example,"A\rB"\n2,b@acme.example,B\n')
    assert findings == []
    assert table.get("name") == ["A\rB", "B"] and table.lines == [2, 3]


def test_a_header_cell_across_lines_is_one_header(tmp_path):
    table, findings = _table(tmp_path, 'id,"e\nmail",name\n1,a@acme.example,A\n2," b@acme.example\n",B\n')
    assert table.headers == ["id", "e\nmail", "name"] and table.lines == [3, 4]
    assert table.get("name") == ["A", "B"]
    assert [(f.code, f.location, f.field) for f in findings] == []  # "e mail" is no identity column here


def test_check_exits_1_naming_the_cell(tmp_path, capsys):
    sigma = _sigma(tmp_path, members='M2,"m2@acme\n.example",Bob,Ray,Pro,internal,false,false,org1\n')
    _write(tmp_path / "entra" / "users.csv", ENTRA_USERS)
    with pytest.raises(SystemExit) as exc:
        main(["check", "--sigma", str(sigma), "--idp", str(tmp_path / "entra")])
    assert exc.value.code == 1
    out = capsys.readouterr().out
    assert (f"error: {sigma / 'members.csv'}:line 3 [email]: members.csv: email 'm2@acme\\n.example' holds a line "
            "break (U+000A LINE FEED at position 8): " + HINT + " (line-break-in-value)") in out.replace("\n", " ")
