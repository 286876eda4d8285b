"""Issue 10 (tester3 findings 1, 7, 11; tester9 finding 6): identity values a spreadsheet damaged, and absurd
lengths: errors, but for an IdP user's values, a warning and the person held on a blocking item.

The bundled acme exports with one of Mateo's values damaged (mateo.marsh@acme.example, Entra object id
abb45145-..., Okta 00uKDgm93GljJdyl0cM0, Sigma member E6Cwzz30oBCQzpkV71M6PlfQx9oKM): every finding line
and exit status pinned, for ``check`` and ``plan``, in several formats.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from planner.sources import load_idp, load_sigma_export

from .conftest import errors, run_cli, write

REPO = Path(__file__).resolve().parent.parent
ACME = REPO / "samples" / "acme"
MATEO_ID = "abb45145-38c4-410e-81ab-724d16f12d93"
MARKER_TAIL = ("starts with an apostrophe, Excel's text marker (copied from a spreadsheet cell): a spreadsheet "
               "rewrote the row; correct it in the source or export again without opening the file in a "
               "spreadsheet; the person is held (plan: inputs.spreadsheet_damage)")
MATEO_MEMBER = "E6Cwzz30oBCQzpkV71M6PlfQx9oKM"


def _entra(tmp_path: Path, old: str, new: str, files: tuple[str, ...] = ("users.csv",)) -> Path:
    """The acme Entra export with ``old`` replaced by ``new`` in ``files`` (paths under the export)."""
    out = tmp_path / "entra"
    shutil.copytree(ACME / "entra", out)
    for name in files:
        path = out / name
        text = path.read_text(encoding="utf-8-sig")
        assert text.count(old) >= 1
        path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return out


def _okta(tmp_path: Path, **profile: str) -> Path:
    """The acme Okta export with Mateo's (``$[15]``) profile fields set to ``profile``."""
    out = tmp_path / "okta"
    shutil.copytree(ACME / "okta", out)
    users = json.loads((out / "users.json").read_text(encoding="utf-8"))
    assert users[15]["profile"]["login"] == "mateo.marsh@acme.example"
    users[15]["profile"].update(profile)
    (out / "users.json").write_text(json.dumps(users), encoding="utf-8")
    return out


def _findings(capsys, idp: Path, sigma: Path = ACME / "sigma") -> tuple[int, list[str]]:
    """``check``'s exit status and its error and warning lines, without the sample's own two warnings and
    the ``users-disagree`` warnings of a value damaged in the users file only."""
    code, out, _ = run_cli(capsys, "check", "--sigma", str(sigma), "--idp", str(idp))
    lines = [line for line in out.splitlines() if line.startswith(("error:", "warning:"))
             and "(duplicate-email)" not in line and "(group-cycle)" not in line
             and "(users-disagree)" not in line]  # the group member files still hold the undamaged value
    return code, lines


def test_an_entra_upn_with_excels_text_marker_holds_mateo_on_a_blocking_item(tmp_path, capsys):
    # tester3 finding 1: the UPN "'mateo..." became members.set_email to the damaged value, 0 blocking;
    # tester9 finding 6: a warning, and the plan holds him (was: an error, no plan)
    idp = _entra(tmp_path, "mateo.marsh@acme.example,Mateo Marsh", "'mateo.marsh@acme.example,Mateo Marsh")
    warning = (f"warning: {idp}/users.csv:line 17 [userPrincipalName]: IdP user userPrincipalName "
               f"\"'mateo.marsh@acme.example\" {MARKER_TAIL} (excel-damaged-value)")
    assert _findings(capsys, idp) == (0, [warning])
    code, _, _ = run_cli(capsys, "plan", "--sigma", str(ACME / "sigma"), "--idp", str(idp),
                         "--policy", str(REPO / "policies/examples/entra.yaml"), "--out", str(tmp_path / "p.json"))
    plan = json.loads((tmp_path / "p.json").read_text(encoding="utf-8"))
    item = next(r for r in plan["review_items"] if r["id"] == f"inputs.spreadsheet_damage:{MATEO_ID}")
    assert (code, item["blocking"], item["subject"]["memberIds"]) == (0, True, [MATEO_MEMBER])
    assert [a["id"] for a in plan["actions"] if MATEO_MEMBER in a["id"]] == []  # no link, no email change


def test_an_okta_login_or_email_with_excels_text_marker_is_a_warning_each(tmp_path, capsys):
    idp = _okta(tmp_path, login="'mateo.marsh@acme.example", email="'mateo@acme.example")
    assert _findings(capsys, idp) == (0, [
        f"warning: {idp}/users.json:$[15] [profile.login]: IdP user profile.login \"'mateo.marsh@acme.example\" "
        f"{MARKER_TAIL} (excel-damaged-value)",
        f"warning: {idp}/users.json:$[15] [profile.email]: IdP user profile.email \"'mateo@acme.example\" "
        f"{MARKER_TAIL} (excel-damaged-value)",
    ])


def test_a_google_primary_email_with_the_marker_is_a_warning_and_a_sigma_member_email_an_error(tmp_path):
    users = write(tmp_path / "google" / "users.csv",
                  "First Name [Required],Last Name [Required],Email Address [Required],Status [READ ONLY]\n"
                  "Ann,Lee,'ann@example.com,Active\n")
    _, findings = load_idp(users)
    assert [(f.code, f.severity.value, f.location, f.field, f.message) for f in findings
            if f.code == "excel-damaged-value"] == [("excel-damaged-value", "warning", "line 2", "primaryEmail",
                                                     f"IdP user primaryEmail \"'ann@example.com\" {MARKER_TAIL}")]
    sigma = tmp_path / "sigma"
    shutil.copytree(ACME / "sigma", sigma)
    text = (sigma / "members.json").read_text(encoding="utf-8")
    (sigma / "members.json").write_text(text.replace('"mateo.marsh@acme.example"', '"\'mateo.marsh@acme.example"'),
                                        encoding="utf-8")
    _, findings = load_sigma_export(sigma)
    assert errors(findings) == [("excel-damaged-value", "members.json", "$[0].entries[13]", "email",  # E6Cwzz30oBCQzpkV71M6PlfQx9oKM
                                 "member email \"'mateo.marsh@acme.example\" starts with an apostrophe, Excel's text "
                                 "marker (copied from a spreadsheet cell): a spreadsheet rewrote the row; correct it "
                                 "in the source or export again without opening the file in a spreadsheet")]


def test_a_member_type_a_vlookup_turned_into_a_formula_error_is_an_error_never_an_account_type(tmp_path, capsys):
    """tester21 #8: ``#N/A`` in Helen's (the Admin's) ``memberType`` was read as a custom account type '#N/A': her
    Admin -> Analyze became a "custom-type replacement" with an "accept" snippet, and "Admins losing Admin" no
    longer counted her. It is an excel-damaged-value error at her record, and ``="Admin"`` too; plan stops."""
    sigma = tmp_path / "sigma"
    shutil.copytree(ACME / "sigma", sigma)
    pages = json.loads((sigma / "members.json").read_text(encoding="utf-8"))
    [(at, helen)] = [((p, i), m) for p, page in enumerate(pages) for i, m in enumerate(page["entries"])
                     if m["email"] == "helen.ortiz@acme.example"]
    assert helen["memberType"] == "Admin"
    tail = ("a spreadsheet rewrote the row; correct it in the source or export again without opening the file in a "
            "spreadsheet")
    for damaged, words in (("#N/A", "is a spreadsheet formula error: the value the cell held is lost"),
                           ('="Admin"', "is Excel's formula wrapper =\"...\" around 'Admin' (a text formula, not a "
                                        "value an export writes)")):
        helen["memberType"] = damaged
        (sigma / "members.json").write_text(json.dumps(pages), encoding="utf-8")
        _, findings = load_sigma_export(sigma)
        [error] = errors(findings)
        assert error[:4] == ("excel-damaged-value", "members.json", f"$[{at[0]}].entries[{at[1]}]", "memberType")
        assert error[4] == f"member memberType {damaged!r} {words}: {tail}"
    code, out, err = run_cli(capsys, "plan", "--sigma", str(sigma), "--idp", str(ACME / "okta"), "--out",
                             str(tmp_path / "p.json"))
    assert code == 1 and not (tmp_path / "p.json").exists()
    assert "[memberType]: member memberType '=\"Admin\"'" in err


def test_a_scim_id_with_the_marker_is_an_error_and_an_externalid_a_warning(tmp_path):
    # the SCIM loader has no id check of its own: the shared one covers its ids
    users = write(tmp_path / "Users.json", json.dumps({
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:ListResponse"], "totalResults": 1, "Resources": [{
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "id": "'2819c223", "externalId": "'E1",
            "userName": "ann@example.com", "active": True, "emails": [{"value": "ann@example.com", "primary": True}],
        }]}))
    _, findings = load_idp(users)
    assert [(f.code, f.severity.value, f.field) for f in findings if f.code == "excel-damaged-value"] == [
        ("excel-damaged-value", "warning", "externalId"), ("excel-damaged-value", "error", "id")]


def test_an_entra_object_id_with_the_marker_is_one_error_and_no_held_member_warning(tmp_path, capsys):
    # tester3 finding 7: "held (no action)" warnings next to a deactivation of the same person
    idp = _entra(tmp_path, f"{MATEO_ID},mateo.marsh", f"'{MATEO_ID},mateo.marsh")
    assert _findings(capsys, idp) == (1, [
        f"error: {idp}/users.csv:line 17 [id]: id \"'{MATEO_ID}\" was damaged by a spreadsheet (it starts with an "
        "apostrophe, Excel's text marker: copied from a spreadsheet cell); it is not the id as the source holds it: "
        "re-export without opening the file in Excel (excel-mangled-id)",
    ])


def test_a_group_member_object_id_with_the_marker_is_an_error_at_its_line_and_nobody_is_held(tmp_path, capsys):
    idp = _entra(tmp_path, f"{MATEO_ID},", f"'{MATEO_ID},", files=("group_members/Operations.csv",))
    code, lines = _findings(capsys, idp)
    assert (code, [line.split(" [")[0] for line in lines]) == (1, [
        f"error: {idp}/group_members/Operations.csv:line 15"])
    assert lines[0].endswith("[Object ID]: id \"'" + MATEO_ID + "\" was damaged by a spreadsheet (it starts with an "
                             "apostrophe, Excel's text marker: copied from a spreadsheet cell); it is not the id as the "
                             "source holds it: re-export without opening the file in Excel (excel-mangled-id)")


def test_an_integer_id_written_as_a_decimal_is_an_excel_mangled_id(tmp_path):
    write(tmp_path / "users.csv", "userName,id,active\nann@example.com,417.0,true\nbo@example.com,418,true\n")
    write(tmp_path / "mapping.yaml", "columns:\n  userName: userName\n  id: id\n  active: active\n")
    _, findings = load_idp(tmp_path, "generic-csv")
    assert errors(findings) == [(
        "excel-mangled-id", "users.csv", "line 2", "id",
        "id '417.0' was damaged by a spreadsheet (an integer written as a decimal ('.0'): a spreadsheet or script "
        "read it as a number); it is not the id as the source holds it: re-export without opening the file in Excel")]


def test_a_name_over_256_characters_is_an_error_naming_field_and_length(tmp_path, capsys):
    # tester3 finding 11: a 100,000-character firstName was accepted and would be sent to SCIM
    idp = _okta(tmp_path, firstName="M" * 100_000)
    assert _findings(capsys, idp) == (1, [
        f"error: {idp}/users.json:$[15] [givenName]: IdP user givenName is 100,000 characters long "
        f"('{'M' * 40}'...), over the limit of 256 (docs/formats.md §0.11): damaged data (cells run together?); "
        "correct it in the source (value-too-long)",
    ])
    ok = _okta(tmp_path / "ok", firstName="M" * 256)
    assert _findings(capsys, ok) == (0, [])
    entra = _entra(tmp_path, "Mateo Marsh,Marsh", "Mateo Marsh," + "x" * 257)
    code, lines = _findings(capsys, entra)
    assert (code, [line.split(": IdP")[0] for line in lines]) == (1, [
        f"error: {entra}/users.csv:line 17 [familyName]"])


def test_an_email_over_254_characters_is_an_error_naming_its_length(tmp_path, capsys):
    long_mail = "a" * 60 + "@" + "b" * 190 + ".com"  # 255 characters (RFC 5321 §4.5.3.1: 254 at most)
    idp = _okta(tmp_path, email=long_mail)
    code, lines = _findings(capsys, idp)
    assert code == 1
    assert lines[0] == (f"error: {idp}/users.json:$[15] [profile.email]: IdP user profile.email is 255 characters "
                        f"long ('{long_mail[:40]}'...), over the limit of 254 (RFC 5321 §4.5.3.1): damaged data "
                        "(cells run together?); correct it in the source (value-too-long)")
    sigma = tmp_path / "sigma"
    shutil.copytree(ACME / "sigma", sigma)
    teams = json.loads((sigma / "teams.json").read_text(encoding="utf-8"))
    page = teams[0]["entries"] if isinstance(teams, list) else teams["entries"]
    page[0]["name"] = "T" * 300
    (sigma / "teams.json").write_text(json.dumps(teams), encoding="utf-8")
    _, findings = load_sigma_export(sigma)
    assert [(e[0], e[3], e[4][:40]) for e in errors(findings)] == [
        ("value-too-long", "name", "team name is 300 characters long ('TTTTT")]


def test_every_checked_field_over_its_limit_passes_the_screen_and_is_named():
    """planner.sources.screens measures each checked field once (its longest value), which the length checks
    read (issue 10 item 5): each field, alone over its limit in an export of clean values, is still one
    value-too-long error naming that field, in a format whose loader checks the user ids
    (okta-api: the id only measured) and one whose does not (scim: the id marked and measured)."""
    from planner.model import Email, IdpDirectory, IdpGroup, IdpUser, SigmaExport, SigmaMember, SigmaTeam, SourceRef
    from planner.sources.identity_values import idp_value_findings, sigma_value_findings

    ref = SourceRef("f.json", "$[0]")
    long_name, long_address = "n" * 257, "a" * 250 + "@b.co"

    def user(**over) -> IdpUser:
        fields = dict(id="00u1", user_name="ann@example.com", user_name_key="ann@example.com",
                      emails=(Email("ann@example.com", "ann@example.com", True),), given_name="Ann",
                      family_name="Lee", display_name="Ann Lee", external_id="e1", source=ref)
        return IdpUser(**{**fields, **over})

    cases = {"id": user(id=long_name), "userName": user(user_name=long_address),
             "externalId": user(external_id=long_name), "givenName": user(given_name=long_name),
             "familyName": user(family_name=long_name), "displayName": user(display_name=long_name),
             "emails": user(emails=(Email("ann@example.com", "ann@example.com", True),
                                    Email(long_address, long_address, False)))}
    for fmt, user_name_field in (("okta-api", "profile.login"), ("scim", "userName")):
        assert idp_value_findings(IdpDirectory(users=(user(),), groups=(IdpGroup(id="g1", display_name="G"),),
                                               format=fmt)) == []
        for field, damaged in cases.items():
            got = [(f.code, f.field) for f in idp_value_findings(IdpDirectory(users=(damaged,), format=fmt))]
            assert got == [("value-too-long", user_name_field if field == "userName" else field)], (fmt, field)
        group = IdpGroup(id="g1", display_name=long_name, source=ref)
        assert [(f.code, f.field) for f in idp_value_findings(IdpDirectory(users=(user(),), groups=(group,),
                                                                           format=fmt))] == [
            ("value-too-long", "displayName")]

    def member(**over) -> SigmaMember:
        fields = dict(member_id="m1", email="ann@example.com", email_key="ann@example.com", first_name="Ann",
                      last_name="Lee", member_type="Viewer", source=ref)
        return SigmaMember(**{**fields, **over})

    assert sigma_value_findings(SigmaExport(members=(member(),), teams=(SigmaTeam(team_id="t1", name="T"),))) == []
    for field, damaged in {"email": member(email=long_address), "memberId": member(member_id=long_name),
                           "firstName": member(first_name=long_name), "lastName": member(last_name=long_name),
                           "memberType": member(member_type=long_name)}.items():
        assert [(f.code, f.field) for f in sigma_value_findings(SigmaExport(members=(damaged,)))] == [
            ("value-too-long", field)], field
    assert [(f.code, f.field) for f in sigma_value_findings(SigmaExport(
        members=(member(),), teams=(SigmaTeam(team_id="t1", name=long_name, source=ref),)))] == [("value-too-long", "name")]


def test_the_damage_scan_judges_only_the_users_whose_values_the_screen_hit(monkeypatch):
    """planner.sources.identity_values.damaged_users reads each field's first characters
    (planner.sources.screens) and judges, per user, only the users with a value starting with ', = or #
    (issue 10 item 5: was every user once any value of the export started so, e.g. a family name 't Hooft);
    the damaged users and their cells are what judging every user gives."""
    from planner.model import Email, IdpUser, SourceRef
    from planner.sources import identity_values

    def user(n: int, **over) -> IdpUser:
        address = f"u{n}@example.com"
        fields = dict(id=f"00u{n}", user_name=address, user_name_key=address, emails=(Email(address, address, True),),
                      given_name="Ann", family_name="Lee", display_name="Ann Lee", source=SourceRef("u.json", f"$[{n}]"))
        return IdpUser(**{**fields, **over})

    users = [user(1), user(2, family_name="'t Hooft"), user(3),
             user(4, emails=(Email("u4@example.com", "u4@example.com", True), Email('="w@example.com"', "", False))),
             user(5, external_id="#N/A"), user(6, display_name="=Ann"), user(7)]
    judged, judge = [], identity_values.damaged_cells
    monkeypatch.setattr(identity_values, "damaged_cells", lambda u, fmt: judged.append(u.id) or judge(u, fmt))
    found = [(u.id, [(c.field, c.value, c.damage.kind) for c in cells])
             for u, cells in identity_values.damaged_users(users, "okta-api")]
    assert judged == ["00u2", "00u4", "00u5", "00u6"]
    assert found == [("00u4", [("emails", '="w@example.com"', "formula-wrapper")]),
                     ("00u5", [("externalId", "#N/A", "formula-error")])]
    assert found == [(u.id, [(c.field, c.value, c.damage.kind) for c in cells])
                     for u in users if (cells := judge(u, "okta-api"))]
    judged.clear()
    assert identity_values.damaged_users([user(1), user(2, given_name="Ann-Marie")], "okta-api") == []
    assert judged == []
