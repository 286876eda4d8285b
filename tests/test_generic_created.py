"""A generic CSV's creation date (``columns.created``) and OneLogin's ``created_at`` (tester21 finding 8's note).

A generic CSV mapping had no key for a creation date and ``--idp-format onelogin`` ignored OneLogin's own
``created_at`` (ISO 8601, docs/formats.md §5), so ``linking.rehire`` (an archived leaver's account given to an IdP
user the IdP made after the archive) and ``unmatched.new_member`` (a member made after the export) never fired
there: Ruth Adler's archived member was reactivated and linked with no item. A mapping's ``created`` column and the
layout's ``created_at`` are now read as every format's creation date (``values.date_field``; an Excel-damaged one
``ambiguous-date``, unknown), dating the export by its newest record (``export_dates``), and a CSV whose mapped
column holds no value (the layout's CSV without ``created_at``) is ``missing-rule-column``: the rules hold.

Real files: the bundled Okta export written as a generic CSV (its ids, logins, names, statuses, group names and
``created``), the bundled Sigma export, the reviewed Okta policy without its entry naming Ruth's member, through
the CLI; OneLogin CSVs as its SDK sample writes them, through the loader.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from planner.planfile import read_plan

from .conftest import REPO, run_cli, write
from .test_export_freshness import NEW_HIRE, sigma_with_new_hire
from .test_onelogin import CSV as ONELOGIN_CSV, errors, load
from .test_preflight_summary_line import policy_without_ruth

OKTA = REPO / "samples" / "acme" / "okta"
RUTH = "3X1tfNuPuim0SwRr6E0QmcNxHghoI"  # Ruth Adler's archived member; her Okta id 00uSdaXsT70zT6UFufLT
MAPPING = ("users: users.csv\ncolumns:\n  userName: Login\n  id: ID\n  emails: Email\n  givenName: First\n"
           "  familyName: Last\n  status: Status\n  groups: Groups\n{created}groups_separator: ';'\n"
           "active_statuses: [ACTIVE, PROVISIONED, RECOVERY, PASSWORD_EXPIRED, LOCKED_OUT]\n"
           "inactive_statuses: [STAGED, SUSPENDED, DEPROVISIONED]\n")


def generic_okta(tmp_path: Path, created: bool, cell=lambda c: c) -> Path:
    """samples/acme/okta as a generic CSV (``users.csv`` + ``map.yaml``), ``Created`` holding each user's Okta
    ``created`` as ``cell`` writes it; the mapping maps it when ``created``."""
    users = json.loads((OKTA / "users.json").read_text(encoding="utf-8"))
    names = {g["id"]: g["profile"]["name"] for g in json.loads((OKTA / "groups.json").read_text(encoding="utf-8"))}
    groups: dict[str, list[str]] = {}
    for gid, members in json.loads((OKTA / "group_members.json").read_text(encoding="utf-8")).items():
        for m in members:
            groups.setdefault(m["id"], []).append(names[gid])
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(["Login", "Email", "First", "Last", "Status", "Groups", "ID", "Created"])
    for u in users:
        p = u["profile"]
        w.writerow([p["login"], p["email"], p["firstName"], p["lastName"], u["status"], ";".join(groups.get(u["id"], [])),
                    u["id"], cell(u["created"])])
    folder = tmp_path / f"generic-{'created' if created else 'plain'}"
    write(folder / "users.csv", out.getvalue())
    write(folder / "map.yaml", MAPPING.format(created="  created: Created\n" if created else ""))
    return folder


def plan_of(capsys, tmp_path: Path, sigma: Path, idp: Path, name: str):
    out = tmp_path / f"{name}.json"
    code, _, _ = run_cli(capsys, "plan", "--sigma", str(sigma), "--idp", str(idp), "--policy",
                         str(policy_without_ruth(tmp_path)), "--out", str(out))
    assert code == 0
    return read_plan(out)


def test_a_generic_csv_that_maps_its_creation_date_holds_the_rehire_as_the_okta_export_does(capsys, tmp_path):
    sigma = REPO / "samples" / "acme" / "sigma"
    plain = plan_of(capsys, tmp_path, sigma, generic_okta(tmp_path, created=False), "plain")
    # no created column mapped: not said, as before (Ruth reactivated and linked, no item about her)
    assert {f"members.reactivate:{RUTH}", f"scim.link_user:{RUTH}"} <= {a.id for a in plain.actions}
    assert not [i for i in plain.review_items if i.code == "linking.rehire"]

    dated = plan_of(capsys, tmp_path, sigma, generic_okta(tmp_path, created=True), "dated")
    okta = plan_of(capsys, tmp_path, sigma, OKTA, "okta")
    [rehire] = [i for i in dated.review_items if i.code == "linking.rehire"]
    [okta_rehire] = [i for i in okta.review_items if i.code == "linking.rehire"]
    assert (rehire.id, rehire.blocking, rehire.message) == (okta_rehire.id, True, okta_rehire.message)
    assert not [a.id for a in dated.actions if RUTH in a.id]


def test_a_member_made_after_the_generic_exports_newest_record_is_held(capsys, tmp_path):
    sigma = sigma_with_new_hire(tmp_path)
    plain = plan_of(capsys, tmp_path, sigma, generic_okta(tmp_path, created=False), "plain")
    assert f"members.deactivate:{NEW_HIRE}" in {a.id for a in plain.actions}  # undated: as before
    dated = plan_of(capsys, tmp_path, sigma, generic_okta(tmp_path, created=True), "dated")
    assert not [a for a in dated.actions if NEW_HIRE in a.id]
    [item] = [i for i in dated.review_items if i.code == "unmatched.new_member"]
    assert (item.id, item.blocking) == (f"unmatched.new_member:{NEW_HIRE}", True)
    assert item.message.startswith("new.person@acme.example: no IdP user matches this member, made "
                                   "2026-12-06T10:00:00Z, after the IdP export's newest record "
                                   "(2025-05-29T06:23:25Z): ")


def test_a_spreadsheet_date_in_the_created_column_is_ambiguous_and_an_empty_column_cannot_tell(capsys, tmp_path):
    excel = generic_okta(tmp_path, created=True, cell=lambda c: f"{int(c[5:7])}/{int(c[8:10])}/{c[:4]} {c[11:16]}")
    code, out, _ = run_cli(capsys, "check", "--sigma", str(REPO / "samples/acme/sigma"), "--idp", str(excel))
    assert (f"warning: {excel / 'users.csv'}:line 2 [Created]: '6/21/2019 11:21' is a date as a spreadsheet or a "
            "locale writes it, not ISO 8601: 21 June 2019, read in one order only, at a time in a zone it does not "
            "say; read as unknown (export again and do not open the file in a spreadsheet, or save the column as ISO "
            "8601, yyyy-mm-ddThh:mm:ssZ) (ambiguous-date)") in out.splitlines()
    empty = generic_okta(tmp_path / "e", created=True, cell=lambda c: "")
    code, out, _ = run_cli(capsys, "check", "--sigma", str(REPO / "samples/acme/sigma"), "--idp", str(empty))
    assert [line for line in out.splitlines() if "missing-rule-column" in line] == [
        f"warning: {empty / 'users.csv'} [Created]: no Created column (or no value in it), which the format carries: "
        "the rules that decide on it cannot tell (Created: linking.rehire, linking.recycled_address, "
        "unmatched.new_member), so each holds what it would decide on a blocking item; export the file again with "
        "the column (missing-rule-column)"]


def test_a_mapped_created_column_the_csv_lacks_is_a_missing_column_error(tmp_path):
    folder = generic_okta(tmp_path, created=True)
    write(folder / "map.yaml", MAPPING.format(created="  created: Made\n"))
    from planner.sources import load_idp
    _, findings = load_idp(folder)
    [error] = [f for f in findings if f.code == "missing-column"]
    assert (Path(error.file).name, error.location, error.field) == ("map.yaml", "line 10", "columns.created")
    assert error.message.startswith("columns.created names column 'Made', which is not in the CSV: users.csv has ")


def test_onelogin_created_at_is_the_users_creation_date(tmp_path):
    directory, findings = load(tmp_path)
    assert errors(findings) == []
    assert {(u.created, u.created_field) for u in directory.users} == {("2021-03-01T09:00:00Z", "created_at")}


def test_a_onelogin_csv_without_created_at_loads_and_cannot_tell(capsys, tmp_path):
    lines = ONELOGIN_CSV.splitlines()
    text = "\n".join(line.rsplit(",", 1)[0] for line in lines) + "\n"  # created_at is the last column
    directory, findings = load(tmp_path, text)
    assert errors(findings) == []  # was: the column was never read; now it may be absent (no missing-column error)
    assert {(u.created, u.created_field) for u in directory.users} == {(None, "created_at")}
    from planner.sources.rule_columns import idp_rule_columns
    assert [(Path(c.path).name, c.field) for c in idp_rule_columns(directory)] == [("users.csv", "created_at")]
