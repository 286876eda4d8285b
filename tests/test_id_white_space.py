"""An ID with white space other than a space inside is an error naming file, record and field, in every loader
(leftovers16 item 3).

Every loader reads an ID (a Sigma memberId / teamId / userId, an IdP user or group id, a member reference, an
externalId) one way, :func:`planner.sources.values.read_id`: ASCII spaces and tabs around it trimmed (a cell's
padding), nothing else. Before, some loaders trimmed any Unicode white space (:meth:`str.strip`: U+00A0, U+2028,
U+3000) and others only a CSV cell's padding, so one id joined in one file and not in another. Now an id holding
such white space is kept as read and reported (``invalid-id``, an error: ``check`` exits 1, ``plan`` refuses).
Real files: each loader's fixture of tests/fixtures/sources with one id made dirty in place.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from planner.model import Severity
from planner.sources import load_idp, load_sigma_export
from planner.sources.values import as_id, id_white_space, ids_hold_white_space, read_id

FIXTURES = Path(__file__).parent / "fixtures" / "sources"
NBSP = "\u00a0"
TAIL = ("holds trailing U+00A0 NO-BREAK SPACE: white space is no part of an id, and an id is never altered (it would "
        "name a record in one file and none in another); fix the value in the file, or export it again")


def dirty_copy(tmp_path: Path, fixture: str, file: str, old: str, new: str) -> Path:
    """``fixture`` copied, its ``file`` with the first ``old`` written ``new``."""
    root = tmp_path / fixture
    shutil.copytree(FIXTURES / fixture, root)
    text = (root / file).read_text(encoding="utf-8")
    assert old in text
    (root / file).write_text(text.replace(old, new, 1), encoding="utf-8")
    return root


def invalid_ids(findings) -> list[tuple]:
    return [(f.severity, Path(f.file).name, f.location, f.field, f.message) for f in findings if f.code == "invalid-id"]


def test_read_id_trims_padding_only_and_names_the_rest():
    assert [read_id(v) for v in (" 00u1\t", f"00u1{NBSP}", "00u 1")] == ["00u1", f"00u1{NBSP}", "00u 1"]
    assert as_id(f" 00u1{NBSP} ") == f"00u1{NBSP}"  # was '00u1': str.strip trimmed the no-break space
    assert [id_white_space(v) for v in ("00u 1", f"{NBSP}00u1", "00u\u30001", "00u1\u2028")] == [
        "", "leading U+00A0 NO-BREAK SPACE", "U+3000 IDEOGRAPHIC SPACE inside", "trailing U+2028 LINE SEPARATOR"]


ID = "9f1c2d3e-0a1b-4c2d-8e3f-000000000001"
IDP_CASES = {  # fixture, file, the id as written, the finding (file, location, field), the message's lead
    "okta": ("okta", "users.json", "00u1a2b3c4D5E6F7G8H9", ("users.json", "$[0][0]", "id"), "user id"),
    "okta member": ("okta", "group_members.json", "00u1a2b3c4D5E6F7G8H9", ("groups.json", "$[0]", "members"),
                    "group 'sigma-finance-analysts' lists member"),
    "entra-csv": ("entra_csv", "users.csv", ID, ("users.csv", "line 2", "id"), "user id"),
    "entra-csv member": ("entra_csv", "group_members/Finance.csv", ID, ("groups.csv", "line 2", "members"),
                         "group 'Finance' lists member"),
    "entra-graph": ("entra_graph", "users.json", ID, ("users.json", "$[0].value[0]", "id"), "user id"),
    "google-csv": ("google_gam", "users.csv", "104857600000000000001", ("users.csv", "line 2", "id"), "user id"),
    "google-api": ("google_api", "users.json", "104857600000000000001", ("users.json", "$.users[0]", "id"),
                   "user id"),
    "scim": ("scim", "Users.json", '"id": "2819c223-7f76-453a-919d-000000000001', ("Users.json", "$.Resources[0]", "id"), "user id"),
    "generic-csv": ("generic", "people.csv", "E1001", ("people.csv", "line 2", "id"), "user id"),
}


@pytest.mark.parametrize("case", [c for c, v in IDP_CASES.items() if v])
def test_an_idp_id_with_a_no_break_space_is_one_error_at_its_record(tmp_path, case):
    fixture, file, old, (where_file, location, field), lead = IDP_CASES[case]
    root = dirty_copy(tmp_path, fixture, file, old, old + (r"\u00a0" if file.endswith(".json") else NBSP))
    directory, findings = load_idp(root)
    value = old.split('"')[-1] if old.startswith('"') else old
    found = invalid_ids(findings)
    assert found[:1] == [(Severity.ERROR, where_file, location, field, f"{lead} {value + NBSP!r} {TAIL}")]
    # kept as read: never trimmed into the id of another file's record (was: str.strip in some loaders only)
    assert value + NBSP in {u.id for u in directory.users} | {m for g in directory.groups for m in g.member_user_ids}\
        or case.endswith("member")


SIGMA_CASES = {  # fixture, file, the id as written, the findings (file, location, field, lead)
    "members.json": ("sigma_bare", "members.json", "Xq7LmN2pR8sT4vW6yZ1aB3cD5eF9g",
                     [("members.json", "$[0]", "memberId", "member id")]),
    "members.csv": ("sigma_csv", "members.csv", "m1,", [("members.csv", "line 2", "memberId", "member id")]),
    "teams.csv": ("sigma_csv", "teams.csv", "t1,", [("teams.csv", "line 2", "teamId", "team id")]),
    "team_members.csv": ("sigma_csv", "team_members.csv", "t1,Finance Analysts,m1,",
                         [("team_members.csv", "line 2", "userId", "team membership's member id")]),
}


@pytest.mark.parametrize("case", SIGMA_CASES)
def test_a_sigma_id_with_a_no_break_space_is_one_error_at_its_record(tmp_path, case):
    fixture, file, old, expected = SIGMA_CASES[case]
    value = old.rstrip(",").split(",")[-1]
    dirty = old.replace(value, value + (r"\u00a0" if file.endswith(".json") else NBSP), 1) if "," in old else (
        old + r"\u00a0")
    root = dirty_copy(tmp_path, fixture, file, old, dirty)
    export, findings = load_sigma_export(root)
    assert invalid_ids(findings) == [(Severity.ERROR, f, loc, field, f"{lead} {value + NBSP!r} {TAIL}")
                                     for f, loc, field, lead in expected]


def test_padding_around_an_id_is_trimmed_alike_in_every_file(tmp_path):
    # a CSV cell's spaces and tabs are padding, in an id as in an address: the membership still joins its member
    root = dirty_copy(tmp_path, "sigma_csv", "team_members.csv", "t1,Finance Analysts,m1,", "t1 ,Finance Analysts,\tm1 ,")
    export, findings = load_sigma_export(root)
    assert invalid_ids(findings) == []
    assert ("t1", "m1") in {(m.team_id, m.member_id) for m in export.team_memberships}


def test_the_joined_ids_screen_hits_every_id_that_is_not_printable_ascii():
    # the C screen before the per-record check (issue 10 item 5): a space inside is an id's own character; a tab,
    # DEL, a C0 control or any non-ASCII character sends the ids to the exact check (id_white_space), which names
    # white space only
    cases = [["00u1", "00u 2"], ["00u1", "00u\t2"], ["00u1", "00u\x7f2"], ["00u1", "00u\x002"], ["00u1", "00ü2"],
             [], ["~!"]]
    assert [ids_hold_white_space(ids) for ids in cases] == [False, True, True, True, True, False, False]
    assert [id_white_space(v) for v in ("00u\t2", "00u\x7f2", "00u\x1f2")] == [
        "U+0009 TAB inside", "", "U+001F CONTROL CHARACTER inside"]


def test_a_scim_member_reference_with_a_tab_inside_is_one_error_at_its_group(tmp_path):
    # the member references are screened with the ids of their users and groups (DirectoryBuilder.build): a JSON
    # tab inside one no user has is reported at its Group, as a no-break space is
    root = dirty_copy(tmp_path, "scim", "Groups.json", '{"value": "2819c223-7f76-453a-919d-000000000002"}',
                      '{"value": "2819c223-7f76-453a-919d\\t000000000002"}')
    directory, findings = load_idp(root)
    assert invalid_ids(findings) == [(
        Severity.ERROR, "Groups.json", "$.Resources[1]", "members",
        "group 'contractors' lists member '2819c223-7f76-453a-919d\\t000000000002' holds U+0009 TAB inside: white "
        "space is no part of an id, and an id is never altered (it would name a record in one file and none in "
        "another); fix the value in the file, or export it again")]
