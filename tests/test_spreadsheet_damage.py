"""Issue 10 (tester9 finding 6): a text cell a spreadsheet rewrote, in every CSV reader.

Excel's formula wrapper ``="zero.lead@acme.example"``, its text marker ``'zero.lead@acme.example`` and a formula
error ``#NAME?`` in an IdP user's cells: one finding naming file, line and field, the person held on a blocking
``inputs.spreadsheet_damage`` item (no link, no create), and the member whose address the cell shows held with
them (never "deactivate: no IdP user matches this member"). Google "Download users", Entra users CSV and
generic CSV, each planned for real (``sigma-migrate plan``), every action and item pinned.
"""

from __future__ import annotations

import pytest

from planner.sources import load_idp, load_sigma_export
from planner.sources.values import SpreadsheetDamage, is_excel_mangled, spreadsheet_damage

from .conftest import errors, write
from .tiny_org import ANN, MARCUS, POLICY, ZERO
from .tiny_org import actions as _actions, blocking as _blocking, entra_csv as _entra, generic_csv as _generic
from .tiny_org import google_csv as _google, plan_and_check as _plan, sigma_export as _sigma

WRAPPER = "is Excel's formula wrapper =\"...\" around 'zero.lead@acme.example' (a text formula, not a value an export writes)"
MARKER = "starts with an apostrophe, Excel's text marker (copied from a spreadsheet cell)"
HELD_ZERO = (f"member(s) {ZERO} (zero.lead@acme.example) matched the damaged IdP value 'zero.lead@acme.example': "
             "held with it (no link, no deactivation)")
TAIL = ("a spreadsheet rewrote the row; correct it in the source or export again without opening the file in a "
        "spreadsheet; the person is held (plan: inputs.spreadsheet_damage)")
LINKS = [f"scim.link_user:{ANN}", f"scim.link_user:{MARCUS}"]


def test_a_google_email_in_excels_formula_wrapper_holds_the_person_and_the_member_it_shows(tmp_path, capsys):
    # tester9 F6: was 'deactivate: no IdP user matches this member' for Zero
    idp = _google(tmp_path, '"=""zero.lead@acme.example"""')
    plan, lines = _plan(capsys, tmp_path, idp)
    assert _actions(plan) == LINKS  # no deactivation of Zero, no create of the damaged user
    cell = """primaryEmail '="zero.lead@acme.example"'"""
    assert _blocking(plan) == [(
        'inputs.spreadsheet_damage:="zero.lead@acme.example"',
        f'IdP user ="zero.lead@acme.example" ({idp}/User_Download_06122026_173000.csv:line 4): a spreadsheet '
        f"rewrote the row: {cell} {WRAPPER}; {HELD_ZERO}")]
    assert lines == [f"warning: {idp}/User_Download_06122026_173000.csv:line 4 [primaryEmail]: IdP user {cell} "
                     f"{WRAPPER}: {TAIL} (excel-damaged-value)"]  # no invalid-user-name / invalid-email beside it
    item = next(r for r in plan["review_items"] if r["id"].startswith("inputs.spreadsheet_damage"))
    assert item["subject"] == {"idpId": '="zero.lead@acme.example"', "memberIds": [ZERO],
                               "userName": '="zero.lead@acme.example"'}
    assert item["evidence"] == {"addresses": ["zero.lead@acme.example"],
                                "differences": ["""primaryEmail: '="zero.lead@acme.example"'"""],
                                "rows": [f"{idp}/User_Download_06122026_173000.csv:line 4"]}


def test_an_entra_upn_and_mail_with_excels_text_marker_hold_the_person_and_the_member(tmp_path, capsys):
    idp = _entra(tmp_path, "'zero.lead@acme.example")
    plan, lines = _plan(capsys, tmp_path, idp)
    assert _actions(plan) == LINKS
    assert _blocking(plan) == [(
        "inputs.spreadsheet_damage:a12ae23d-e684-4205-92f6-d60434d1357b",
        f"IdP user a12ae23d-e684-4205-92f6-d60434d1357b ({idp}/users.csv:line 4): a spreadsheet rewrote the row: "
        f"userPrincipalName \"'zero.lead@acme.example\" {MARKER}; {HELD_ZERO}")]
    assert lines == [f"warning: {idp}/users.csv:line 4 [userPrincipalName]: IdP user userPrincipalName "
                     f"\"'zero.lead@acme.example\" {MARKER}: {TAIL} (excel-damaged-value)"]


def test_a_generic_csv_address_lost_to_a_formula_error_holds_the_person_and_every_deactivation(tmp_path, capsys):
    # the value is lost: Zero may be this person, so her deactivation waits on inputs.truncated
    idp = _generic(tmp_path, "#NAME?")
    plan, lines = _plan(capsys, tmp_path, idp)
    assert _actions(plan) == [f"members.deactivate:{ZERO}"] + LINKS
    lost = "is a spreadsheet formula error: the value the cell held is lost"
    blocking = _blocking(plan)
    assert [i for i, _ in blocking] == ["inputs.spreadsheet_damage:u3", f"inputs.truncated:members.deactivate:{ZERO}"]
    assert blocking[0][1] == (
        f"IdP user u3 ({idp}/users.csv:line 4): a spreadsheet rewrote the row: userName '#NAME?' {lost}; the value "
        "is lost, so the plan cannot tell which member this person is: held (not created), and every deactivation "
        "waits on its inputs.truncated item")  # the email equal to the userName is judged once, as the userName
    assert blocking[1][1].startswith(
        "members.deactivate (deactivate: no IdP user matches this member; documents go to marcus.webb@acme.example) "
        "rests on an export with addresses a spreadsheet turned into formula errors (#NAME?...), whose people it "
        f"cannot tell, so what is missing or stale may change it: {idp}/users.csv:line 4: IdP user userName '#NAME?' "
        f"{lost}")
    assert lines == [f"warning: {idp}/users.csv:line 4 [userName]: IdP user userName '#NAME?' {lost}: {TAIL} "
                     "(spreadsheet-error-value)"]


def test_a_generic_csv_wrapped_address_without_a_member_is_held_not_created(tmp_path, capsys):
    idp = _generic(tmp_path, '"=""new.hire@acme.example"""')
    plan, _ = _plan(capsys, tmp_path, idp)
    assert _actions(plan) == [f"members.deactivate:{ZERO}"] + LINKS  # Zero is no one's: the unmatched policy
    assert _blocking(plan) == [(
        "inputs.spreadsheet_damage:u3",
        f"IdP user u3 ({idp}/users.csv:line 4): a spreadsheet rewrote the row: userName '=\"new.hire@acme.example\"' "
        "is Excel's formula wrapper =\"...\" around 'new.hire@acme.example' (a text formula, not a value an export "
        "writes); no member has "
        "'new.hire@acme.example': held (not created)")]


def test_a_name_a_formula_error_replaced_holds_the_person_a_dutch_apostrophe_does_not(tmp_path, capsys):
    idp = write(tmp_path / "g" / "users.csv",
                "First Name [Required],Last Name [Required],Email Address [Required],Status [READ ONLY]\n"
                "Marcus,Webb,marcus.webb@acme.example,Active\n"
                "Ann,'t Hooft,ann.active@acme.example,Active\n"
                "#REF!,Lead,zero.lead@acme.example,Active\n").parent
    plan, lines = _plan(capsys, tmp_path, idp)
    assert _actions(plan) == LINKS
    assert [i for i, _ in _blocking(plan)] == ["inputs.spreadsheet_damage:zero.lead@acme.example"]
    assert _blocking(plan)[0][1].endswith(
        "givenName '#REF!' is a spreadsheet formula error: the value the cell held is lost; held (no link, no "
        "create): the names it would send are damaged")
    assert [line.rsplit("(", 1)[1] for line in lines] == ["excel-damaged-value)"]


@pytest.mark.parametrize("value, expected", [
    ('="ann@x.example"', SpreadsheetDamage("formula-wrapper", "ann@x.example")),
    ('="a""b"', SpreadsheetDamage("formula-wrapper", 'a"b')),
    ("'ann@x.example", SpreadsheetDamage("text-marker", "ann@x.example")),
    ("#N/A", SpreadsheetDamage("formula-error", None)),
    ("#ERROR!", SpreadsheetDamage("formula-error", None)),
    ('="a"&"b"', None), ("=A1", None), ("#general", None), ("+x@a.example", None), ("", None), (None, None),
])
def test_spreadsheet_damage_recognises_the_three_shapes_only(value, expected):
    assert spreadsheet_damage(value) == expected


def test_an_id_in_the_formula_wrapper_or_a_formula_error_is_an_excel_mangled_id(tmp_path):
    assert is_excel_mangled('="00417"') and is_excel_mangled("#REF!") and not is_excel_mangled("00417")
    write(tmp_path / "users.csv", 'userName,id,active\nann@example.com,"=""00417""",true\nbo@example.com,#REF!,true\n')
    write(tmp_path / "mapping.yaml", "columns:\n  userName: userName\n  id: id\n  active: active\n")
    _, findings = load_idp(tmp_path, "generic-csv")
    assert errors(findings) == [
        ("excel-mangled-id", "users.csv", "line 2", "id", "id '=\"00417\"' was damaged by a spreadsheet (Excel's "
         "formula wrapper =\"...\": a text formula, not the id); it is not the id as the source holds it: re-export "
         "without opening the file in Excel"),
        ("excel-mangled-id", "users.csv", "line 3", "id", "id '#REF!' was damaged by a spreadsheet (a spreadsheet "
         "formula error); the real id is lost: re-export without opening the file in Excel")]


def test_a_sigma_members_csv_email_or_name_a_spreadsheet_rewrote_is_an_error_once(tmp_path):
    # Sigma's own records: the plan acts on each member, so damage there stops plan; 't Hooft is a name
    write(tmp_path / "members.csv", "memberId,email,firstName,lastName,memberType,userKind,isArchived,isInactive\n"
                                    'M1,"=""ann@acme.example""",Ann,#N/A,View,internal,false,false\n'
                                    "M2,bo@acme.example,Bo,'t Hooft,View,internal,false,false\n")
    _, findings = load_sigma_export(tmp_path)
    rewrote = ("a spreadsheet rewrote the row; correct it in the source or export again without opening the file in "
               "a spreadsheet")
    assert [e for e in errors(findings) if e[0] != "missing-file"] == [
        ("excel-damaged-value", "members.csv", "line 2", "email", "member email '=\"ann@acme.example\"' is Excel's "
         "formula wrapper =\"...\" around 'ann@acme.example' (a text formula, not a value an export writes): "
         + rewrote),
        ("excel-damaged-value", "members.csv", "line 2", "lastName", "member lastName '#N/A' is a spreadsheet formula "
         "error: the value the cell held is lost: " + rewrote)]
    assert not [f for f in findings if f.code == "invalid-email"]  # said once, as the damage


def test_the_plan_reads_the_loaders_scan_of_the_damaged_cells_and_scans_no_more(tmp_path, monkeypatch):
    # was: planner.rules.inputs.spreadsheet_holds scanned every IdP user again after the loader's scan
    from planner.planning import build_plan
    from planner.policy_reader import parse_policy
    from planner.sources import identity_values, load_snapshot

    idp = _google(tmp_path, '"=""zero.lead@acme.example"""')
    scans, scan = [], identity_values.damaged_users
    monkeypatch.setattr(identity_values, "damaged_users",
                        lambda users, fmt, screens=None: scans.append(fmt) or scan(users, fmt, screens))
    snapshot = load_snapshot(_sigma(tmp_path), idp)
    assert [(d.idp_id, [(c.field, c.value, c.identity) for c in d.cells]) for d in snapshot.idp.damaged_users] == [
        ('="zero.lead@acme.example"', [("primaryEmail", '="zero.lead@acme.example"', True)])]
    plan = build_plan(snapshot, parse_policy(POLICY, "policy.yaml"), created_at="2026-12-06T00:00:00Z")
    assert scans == ["google-csv"]  # the loader's one scan
    assert [(r.id, r.subject.member_ids) for r in plan.review_items if r.blocking] == [
        ('inputs.spreadsheet_damage:="zero.lead@acme.example"', [ZERO])]
    assert sorted(a.id for a in plan.actions) == LINKS
