"""docs/formats.md §0 CSV rules (planner.sources.tabular) and value conventions (planner.sources.values)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from planner.model import Severity, email_key
from planner.sources import load_idp
from planner.sources.files import Findings
from planner.sources.tabular import SMALL_FILE, read_table
from planner.sources.values import (
    InvalidValue, fast_email_key, is_excel_mangled, is_valid_email, parse_bool, parse_timestamp,
)

FIXTURES = Path(__file__).parent / "fixtures" / "sources"
ALIASES = {"id": ("object id",), "userPrincipalName": ("user principal name",), "mail": ()}


def table_of(tmp_path: Path, data: bytes | str, **kwargs):
    path = tmp_path / "t.csv"
    path.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
    findings = Findings()
    table = read_table(path, findings, aliases=kwargs.pop("aliases", ALIASES),
                       required=kwargs.pop("required", ("id", "userPrincipalName")), what="test CSV")
    return table, findings


def rows(table):
    return [list(r) for r in zip(*(table.column(i) for i in range(len(table.headers))))]


# --------------------------------------------------------------------------- issue 2 cases


def test_excel_bom_semicolon_csv_loads_the_same_as_the_clean_one():
    clean, clean_findings = load_idp(FIXTURES / "entra_csv" / "users.csv")
    excel, excel_findings = load_idp(FIXTURES / "entra_excel" / "users.csv")
    assert excel.users == clean.users
    assert [dict(u.attributes) for u in excel.users] == [dict(u.attributes) for u in clean.users]
    assert [u.source.location for u in excel.users] == [u.source.location for u in clean.users]
    assert [(f.code, f.location) for f in excel_findings] == [(f.code, f.location) for f in clean_findings]
    assert (FIXTURES / "entra_excel" / "users.csv").read_bytes().startswith(b"\xef\xbb\xbfid;")


def test_semicolon_file_is_never_read_as_one_giant_column(tmp_path):
    table, findings = table_of(tmp_path, "id;userPrincipalName;mail\n1;a@x.com;a@x.com\n")
    assert table.delimiter == ";" and table.headers == ["id", "userPrincipalName", "mail"]
    assert rows(table) == [["1", "a@x.com", "a@x.com"]]
    # a delimiter we do not sniff (pipe) leaves one column: that is an error, not a success
    table, findings = table_of(tmp_path, "id|userPrincipalName|mail\n1|a@x.com|a@x.com\n")
    assert table is None
    assert [(f.severity, f.code, f.location, f.field) for f in findings] == [
        (Severity.ERROR, "missing-column", "line 1", "id"),
        (Severity.ERROR, "missing-column", "line 1", "userPrincipalName")]
    assert "comma-separated header ('id|userPrincipalName|mail')" in findings[0].message


def test_email_with_spaces_and_capitals_has_the_same_key():
    assert email_key(" Alice@Example.com ") == email_key("alice@example.com") == "alice@example.com"
    assert fast_email_key(" Alice@Example.com ") == "alice@example.com"


def test_google_id_in_scientific_notation_is_an_error_naming_file_line_and_column():
    directory, findings = load_idp(FIXTURES / "google_gam")
    flagged = [f for f in findings if f.code == "excel-mangled-id"]
    assert [(f.severity, f.file, f.location, f.field) for f in flagged] == [
        (Severity.ERROR, str(FIXTURES / "google_gam" / "users.csv"), "line 3", "id")]
    assert "'1.04E+20'" in flagged[0].message
    assert [u.id for u in directory.users] == ["104857600000000000001", "1.04E+20", "104857600000000000003"]


# --------------------------------------------------------------------------- §0 rules


def test_tab_delimiter_and_case_insensitive_trimmed_headers_with_aliases(tmp_path):
    table, findings = table_of(tmp_path, " OBJECT ID \tUser  Principal Name\tMail\tColour\n1\ta@x.com\tA@x.com\tred\n")
    assert table.delimiter == "\t" and findings == []
    assert table.get("id") == ["1"] and table.get("userPrincipalName") == ["a@x.com"]
    assert table.header("userPrincipalName") == "User  Principal Name"
    assert table.row_attributes(("id", "userPrincipalName")) == [{"mail": "A@x.com", "Colour": "red"}]


def test_type_and_version_preambles_are_skipped_and_line_numbers_stay_physical(tmp_path):
    text = "#TYPE System.Management.Automation.PSCustomObject\n\"id\",\"userPrincipalName\"\n\"1\",\"a@x.com\"\n\n\"2\",\"b@x.com\"\n"
    table, findings = table_of(tmp_path, text)
    assert table.header_line == 2 and table.lines == [3, 5] and findings == []
    table, _ = table_of(tmp_path, "version:v1.0\nObject ID,User principal name\n1,a@x.com\n")
    assert table.lines == [3] and table.get("id") == ["1"]


def test_excel_sep_hint_line_sets_the_delimiter(tmp_path):
    table, _ = table_of(tmp_path, "sep=;\nid;userPrincipalName\n1;a,b@x.com\n")
    assert table.delimiter == ";" and table.get("userPrincipalName") == ["a,b@x.com"] and table.lines == [3]


def test_duplicate_header_is_an_error_naming_the_column(tmp_path):
    table, findings = table_of(tmp_path, "id,userPrincipalName,Mail,mail\n1,a@x.com,a,b\n")
    assert table is None
    assert [(f.code, f.location, f.field) for f in findings] == [("duplicate-header", "line 1", "Mail")]
    assert findings[0].message == "test CSV: column 'Mail' appears 2 times in the header"


def test_cp1252_file_is_decoded_with_a_warning(tmp_path):
    table, findings = table_of(tmp_path, "id,userPrincipalName,mail\n1,zoe@x.com,Zo\xeb@x.com\n".encode("cp1252"))
    assert table.get("mail") == ["Zoë@x.com"]
    assert [(f.severity, f.code, f.location) for f in findings] == [(Severity.WARNING, "encoding-fallback", "line 2")]


def test_utf16_file_with_bom_is_decoded(tmp_path):
    table, findings = table_of(tmp_path, "id,userPrincipalName\n1,zoë@x.com\n".encode("utf-16"))
    assert table.get("userPrincipalName") == ["zoë@x.com"]
    assert [f.code for f in findings] == ["encoding-utf16"]


def test_json_object_inside_a_quoted_cell_and_quoted_newlines_survive(tmp_path):
    text = 'id,userPrincipalName,mail,signInActivity\n1,a@x.com,,"{""lastSignInDateTime"": ""2025-05-20T08:00:00Z"", ""n"": 1}"\n2,"b@x.com",,"multi\nline"\n3,c@x.com,,\n'
    table, findings = table_of(tmp_path, text)
    assert findings == []
    assert rows(table)[0][3] == '{"lastSignInDateTime": "2025-05-20T08:00:00Z", "n": 1}'
    assert rows(table)[1][3] == "multi\nline"
    assert table.lines == [2, 3, 5]


def test_ragged_rows_are_errors_and_skipped_but_trailing_empty_fields_are_fine(tmp_path):
    table, findings = table_of(tmp_path, "id,userPrincipalName\n1,a@x.com,EXTRA\n2,b@x.com,\n3\n")
    assert rows(table) == [["2", "b@x.com"]]
    assert table.lines == [3]
    assert [(f.severity, f.code, f.location, f.field) for f in findings] == [
        (Severity.ERROR, "ragged-row", "line 2", ""), (Severity.ERROR, "ragged-row", "line 4", "userPrincipalName")]
    assert findings[1].message == ("test CSV: row has 1 fields but the header has 2; column 'userPrincipalName' and "
                                   "after are missing (truncated row, or a line break outside quotes?); row skipped")


SIGMA_HEADER = ("memberId,email,firstName,lastName,memberType,userKind,isArchived,isInactive,organizationId,"
                "createdAt,updatedAt,createdBy,updatedBy,homeFolderId,profileImgUrl")


@pytest.mark.parametrize("quoted", [False, True])
@pytest.mark.parametrize("size", ["small", "large"])
def test_a_short_row_is_a_ragged_row_error_naming_the_first_missing_column(tmp_path, quoted, size):
    full = "m{n},a{n}@example.com,Ana,Lopez,Pro,internal,false,false,org,2024-01-01,2024-01-02,x,y,f,"
    short = "m{n},b{n}@example.com,Ben,Okafor,Pro,internal,false,false,org,2024-01-01,2024-01-02"  # 11 of 15
    n_rows = 3 if size == "small" else 2000  # large: pandas' C parser, which pads short rows silently
    lines = [SIGMA_HEADER] + [full.format(n=i) for i in range(n_rows)]
    lines.insert(3, short.format(n=99))
    if quoted:
        lines = [",".join(f'"{c}"' for c in line.split(",")) for line in lines]
    table, findings = table_of(tmp_path, "\n".join(lines) + "\n", aliases={"memberId": ()}, required=("memberId",))
    assert [(f.severity, f.code, f.location, f.field) for f in findings] == [
        (Severity.ERROR, "ragged-row", "line 4", "createdBy")]
    assert findings[0].message.startswith("test CSV: row has 11 fields but the header has 15; column 'createdBy' and")
    assert len(table) == n_rows and 4 not in table.lines


def test_a_truncated_last_row_is_a_ragged_row_error(tmp_path):
    header = ("id,userPrincipalName,displayName,givenName,surname,mail,userType,accountEnabled,jobTitle,"
              "department,companyName,employeeId,usageLocation,city,country,createdDateTime,mobilePhone")
    row = "33907c31-3e09-45e4-b0a1-00000000000{n},u{n}@example.com,U,U,U,u{n}@example.com,Member,true,,,,,,,,,"
    text = "\n".join([header, row.format(n=1), row.format(n=2), "33907c31-3e09-45e4-b"])
    table, findings = table_of(tmp_path, text)
    assert [(f.code, f.location, f.field) for f in findings] == [("ragged-row", "line 4", "userPrincipalName")]
    assert table.lines == [2, 3]


def test_a_header_with_a_trailing_delimiter_does_not_make_rows_short(tmp_path):
    table, findings = table_of(tmp_path, "id,userPrincipalName,\n1,a@x.com\n")
    assert findings == [] and rows(table) == [["1", "a@x.com", ""]]


def test_unterminated_quote_is_an_error(tmp_path):
    table, findings = table_of(tmp_path, 'id,userPrincipalName\n1,"a@x.com\n2,b@x.com\n')
    assert table is None
    assert [(f.code, f.location) for f in findings] == [("malformed-csv", "line 2")]


@pytest.mark.parametrize("data, code", [
    (b"", "empty-file"),
    (b"\xef\xbb\xbf  \r\n", "empty-file"),
    (b"PK\x03\x04\x00\x00garbage\x00\x01", "unreadable-file"),
])
def test_empty_and_binary_files_are_errors(tmp_path, data, code):
    table, findings = table_of(tmp_path, data)
    assert table is None
    assert [(f.severity, f.code, f.file) for f in findings] == [(Severity.ERROR, code, str(tmp_path / "t.csv"))]


def test_large_file_read_by_pandas_matches_the_csv_module_path(tmp_path):
    body = "".join(f"{i},user{i}@x.com,\n" + ("\n" if i == 5 else "") for i in range(4000))
    text = "#TYPE X\nid,userPrincipalName,mail\n" + body
    assert len(text) > SMALL_FILE
    table, findings = table_of(tmp_path, text)
    assert table.frame is not None and findings == []
    assert len(table) == 4000 and table.get("id")[:3] == ["0", "1", "2"]
    assert table.lines[:7] == [3, 4, 5, 6, 7, 8, 10]  # blank line after row 5 dropped, numbering kept
    assert table.lines[-1] == 4003


def test_large_file_with_a_quoted_newline_falls_back_to_exact_line_numbers(tmp_path):
    quoted = '"a\nb"'
    body = "".join(f"{i},user{i}@x.com,{quoted if i == 1 else ''}\n" for i in range(4000))
    table, findings = table_of(tmp_path, "id,userPrincipalName,mail\n" + body)
    assert findings == [] and len(table) == 4000
    assert table.lines[:3] == [2, 3, 5] and table.get("mail")[1] == "a\nb"


def test_mangled_ids_are_found_by_both_readers(tmp_path):
    small, _ = table_of(tmp_path, "id,userPrincipalName\n1.04E+20,a\n104857600000000000000,b\n1e3f0a,c\n")
    assert small.mangled_rows("id") == [0, 1]
    plain = "".join(f"{i},u{i}\n" for i in range(12000)) + "2.5E+19,z\n"
    split, _ = table_of(tmp_path, "id,userPrincipalName\n" + plain)  # no quotes: split, no pandas
    assert split.frame is None and split.mangled_rows("id") == [12000]
    quoted = "".join(f'{i},"u{i}"\n' for i in range(12000)) + "2.5E+19,z\n"
    big, _ = table_of(tmp_path, "id,userPrincipalName\n" + quoted)
    assert big.frame is not None and big.mangled_rows("id") == [12000]


# --------------------------------------------------------------------------- values


@pytest.mark.parametrize("text, expected", [
    ("true", True), ("True", True), ("TRUE", True), (" True ", True),
    ("false", False), ("False", False), ("FALSE", False), ("", None), (None, None), (" ", None),
])
def test_booleans(text, expected):
    assert parse_bool(text) is expected


@pytest.mark.parametrize("text", ["maybe", "1", "0", "yes", "no", "y", "n", "t", "f", "tRUE", "'True", 0, 1])
def test_anything_but_true_or_false_is_no_boolean(text):
    with pytest.raises(InvalidValue, match=f"^{re.escape(repr(text))} is not a boolean"):
        parse_bool(text)


@pytest.mark.parametrize("text, expected", [
    ("2025-03-03T21:06:55.713Z", "2025-03-03T21:06:55Z"),
    ("2019-09-16T08:46:16Z", "2019-09-16T08:46:16Z"),
    ("2025-05-21T11:14:55+02:00", "2025-05-21T09:14:55Z"),
    ("2024-01-12 14:23:01Z", "2024-01-12T14:23:01Z"),  # no zone: a local time (tests/test_local_date_times.py)
    ("Never logged in", None), ("", None), (None, None),
    ("1970-01-01T00:00:00.000Z", None),
])
def test_timestamps(text, expected):
    assert parse_timestamp(text) == expected


def test_bad_timestamp_raises():
    with pytest.raises(InvalidValue):
        parse_timestamp("last Tuesday")


@pytest.mark.parametrize("value, damaged", [
    ("1.04E+20", True), ("1,04E+20", True), ("1.04858E+20", True), ("2E+19", True),
    ("104857600000000000000", True), ("104857600000000000001", False),
    ("9f1c2d3e-0a1b-4c2d-8e3f-000000000001", False), ("1e3f", False), ("00u1a2b3c4D5E6F7G8H9", False),
])
def test_excel_mangled_ids(value, damaged):
    assert is_excel_mangled(value) is damaged


@pytest.mark.parametrize("value, valid", [
    ("ana.lopez@example.com", True), (" Ana@Example.com ", True), ("ben.okafor+partner@example.com", True),
    ("carol_partner.example#EXT#@tenant.onmicrosoft.com", True),
    ("", False), ("chloe.martin", False), ("a@b", False), ("a b@example.com", False),
    ("a@@example.com", False), ("a@example.com.", False), ("Ana Lopez <ana@example.com>", False),
])
def test_email_validity(value, valid):
    assert is_valid_email(value) is valid


@pytest.mark.parametrize("address", [" Alice@Example.com ", "ZOË@Example.com", "ｆｕｌｌ@example.com", "", None])
def test_fast_email_key_equals_the_model_key(address):
    assert fast_email_key(address) == email_key(address)


def test_a_missing_required_column_names_every_column_and_the_closest(tmp_path):
    """Tester findings 20-22, in the shared reader: an Entra groups.csv whose 'Display name' was typed over."""
    root = tmp_path / "entra"
    (root / "group_members").mkdir(parents=True)
    (root / "users.csv").write_text("id,userPrincipalName,accountEnabled\nu1,a@x.example,True\n", encoding="utf-8")
    (root / "groups.csv").write_text("Object ID,Dispaly name,Mail\ng1,Finance,\n", encoding="utf-8")
    _, findings = load_idp(root, "entra-csv")
    assert [(Path(f.file).name, f.code, f.location, f.field, f.message) for f in findings
            if f.severity is Severity.ERROR] == [
        ("groups.csv", "missing-column", "line 1", "displayName",
         "Entra groups CSV: required column 'displayName' not found in the comma-separated header ('Object ID', "
         "'Dispaly name', 'Mail'); did you mean 'Dispaly name'?")]
    wide = ",".join(f"c{i}" for i in range(45))
    table, findings = table_of(tmp_path, wide + "\n" + "," * 44 + "\n")
    assert table is None and findings[0].message.endswith("'c38', 'c39', ... (45 in all))")
