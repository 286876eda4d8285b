"""An export older than what it must show is a doubt, never a plan (tester17 findings 2 and 11).

- 11: an IdP export of unknown age (an Entra users CSV saved by hand, no fetch-idp manifest) still dates itself by
  its newest dated user (Entra ``createdDateTime``): a Sigma member made after it, whom no IdP user matches, is
  held on the blocking ``unmatched.new_member`` item, not deactivated on the export's silence.
- 2: ``plan --applied`` over a Sigma export whose ``fetchedAt`` is earlier than the end of a run it names (an
  apply's or an undo's) is one error line, exit 1, no plan; over an export saved by hand (no time) it is one
  blocking ``inputs.export_time_unknown`` item. Over the real sandbox, fetch, apply and undo.
"""

from __future__ import annotations

import csv
import json
import shutil
import time
from datetime import datetime
from pathlib import Path

import pytest
from msgspec import to_builtins as wire

from planner.sources.export_dates import export_dates, newest_record
from planner.execute.journal import read_journal
from planner.model import IdpUser
from planner.planfile import read_plan

from .conftest import REPO, run_cli, run_cli_with_environ
from .execute_support import counting_sandbox, sandbox_env

FIXTURES = Path(__file__).parent / "fixtures" / "freshness"
NEW_HIRE = "NewHireByHand0000000000000001"
"""A member made in Sigma by hand on 2026-12-06, 18 months after the Entra sample's newest createdDateTime."""


def sigma_with_new_hire(tmp_path: Path) -> Path:
    """samples/acme/sigma copied, with :data:`NEW_HIRE` (tests/fixtures/freshness/new_hire_member.json) added to
    the last page of members.json; no fetch-manifest.json (saved by hand)."""
    sigma = tmp_path / "sigma"
    shutil.copytree(REPO / "samples" / "acme" / "sigma", sigma)
    pages = json.loads((sigma / "members.json").read_text())
    pages[-1]["entries"].append(json.loads((FIXTURES / "new_hire_member.json").read_text()))
    (sigma / "members.json").write_text(json.dumps(pages, indent=2))
    return sigma


def test_a_member_made_after_a_hand_saved_entra_csvs_newest_user_is_held_not_deactivated(capsys, tmp_path):
    out = tmp_path / "p.json"
    code, stdout, _ = run_cli(capsys, "plan", "--sigma", str(sigma_with_new_hire(tmp_path)),
                              "--idp", str(REPO / "samples" / "acme" / "entra"),
                              "--policy", str(REPO / "samples" / "acme" / "policy-entra-reviewed.yaml"),
                              "--out", str(out), "--detailed-exitcode")
    assert code == 3
    plan = read_plan(out)
    assert [a.id for a in plan.actions if NEW_HIRE in a.id] == []
    [item] = [i for i in plan.review_items if NEW_HIRE in i.id]
    assert [i.id for i in plan.review_items if i.blocking] == [f"unmatched.new_member:{NEW_HIRE}"]
    assert item.message == (
        "new.person@acme.example: no IdP user matches this member, made 2026-12-06T10:00:00Z, after the IdP "
        "export's newest record (2025-05-29T06:23:25Z): made by hand on purpose (a service account, a contractor, "
        "a break-glass admin) or after the export was taken, so it is not deactivated on the export's silence; "
        "decide whether to keep or deactivate this member (if the IdP provisioned them, export the IdP again and "
        "plan again)")
    assert wire(item.evidence) == {
        "kind": "unmatched", "memberType": "View", "userKind": "internal", "createdAt": "2026-12-06T10:00:00Z",
        "exportNewest": "2025-05-29T06:23:25Z"}
    code, stdout, _ = run_cli(capsys, "show", str(out))
    assert code == 0
    assert ("  exports read: Sigma at an unknown time (no fetchedAt in fetch-manifest.json), IdP at an unknown time "
            "(no fetchedAt in fetch-idp-manifest.json: saved by hand, or pulled by an older version; "
            "guards.max_idp_export_age_hours not judged)") in stdout.splitlines()


def idp_user(uid: str, last_updated: str | None = None, created: str | None = None) -> IdpUser:
    return IdpUser(uid, f"{uid}@example.com", f"{uid}@example.com", last_updated=last_updated, created=created)


def test_the_newest_record_is_the_latest_last_update_or_creation_of_any_user():
    assert newest_record([idp_user("a", created="2025-05-29T06:23:25Z"),
                          idp_user("b", last_updated="2025-01-01T00:00:00Z", created="2024-01-01T00:00:00Z")]
                         ) == "2025-05-29T06:23:25Z"
    assert newest_record([idp_user("a", last_updated="2026-01-02T00:00:00Z", created="2025-05-29T06:23:25Z")]
                         ) == "2026-01-02T00:00:00Z"
    assert newest_record([idp_user("a"), idp_user("b")]) is None


ALAN = "sWDskbUA8tDQxCNHcxnQ79Bb8CL8F"  # alan.brooks@acme.example, a leaver no IdP user matches


def test_an_excel_created_at_every_reading_of_which_is_before_the_export_is_no_new_member(capsys, tmp_path):
    """The tester's Sigma CSV export with Alan's createdAt re-saved by Excel ('8/9/2024 18:05': 8 September or
    9 August 2024, whole and in any zone) against the Entra sample, dated by its newest createdDateTime
    (2025-05-29T06:23:25Z): every reading is before it, so Alan is the leaver he is, deactivated as the policy
    says (was, with newest_record: held on a blocking unmatched.new_member 'cannot be told')."""
    out = tmp_path / "p.json"
    code, _, _ = run_cli(capsys, "plan", "--sigma", str(Path(__file__).parent / "fixtures" / "t17_takeover" /
                                                       "sigma-csv-excel-createdAt"),
                         "--idp", str(REPO / "samples" / "acme" / "entra"),
                         "--policy", str(REPO / "samples" / "acme" / "policy-entra-reviewed.yaml"),
                         "--out", str(out), "--detailed-exitcode")
    assert code == 2
    plan = read_plan(out)
    assert [a.id for a in plan.actions if ALAN in a.id] == [f"members.deactivate:{ALAN}"]
    assert [i.id for i in plan.review_items if i.code == "unmatched.new_member"] == []


def test_an_excel_created_at_is_before_the_export_only_when_every_reading_is():
    from planner.rules.unmatched import made_before_all

    newest = "2025-05-29T06:23:25Z"
    assert made_before_all("8/9/2024 18:05", [None, newest]) is True
    assert made_before_all("5/6/2025 9:00", [newest]) is False  # 6 May or 5 June: June is after
    assert made_before_all("28/5/2025", [newest]) is False  # whole and in any zone, it ends 29 May 14:00 UTC
    assert made_before_all("27/5/2025", [newest]) is True  # ends 28 May 2025 14:00 UTC, before it
    assert made_before_all("8/9/2024 18:05", [newest, "2024-09-01T00:00:00Z"]) is False  # after SCIM's set-up?
    assert made_before_all("8/9/2024 18:05", [None]) is False  # nothing to compare with
    assert made_before_all("2024-08-09T18:05:02Z", [newest]) is False  # not year-last: read as a date elsewhere


def entra_saved_by_excel(tmp_path: Path, date_cell) -> Path:
    """samples/acme/entra with each ``createdDateTime`` of users.csv as ``date_cell(datetime)`` writes it and
    ``True``/``False`` as ``TRUE``/``FALSE``: the download opened in Excel (en-US) and saved as CSV (tester21 #1)."""
    idp = tmp_path / "entra-excel"
    shutil.copytree(REPO / "samples" / "acme" / "entra", idp)
    rows = list(csv.reader((idp / "users.csv").read_text(encoding="utf-8-sig").splitlines()))
    at = rows[0].index("createdDateTime")
    for row in rows[1:]:
        row[:] = [c.upper() if c in ("True", "False") else c for c in row]
        if row[at]:
            row[at] = date_cell(datetime.strptime(row[at], "%Y-%m-%dT%H:%M:%SZ"))
    with (idp / "users.csv").open("w", newline="", encoding="utf-8") as f:
        csv.writer(f, lineterminator="\r\n").writerows(rows)
    return idp


def excel_serial(when: datetime) -> str:
    """``when`` as Excel's 1900 date system writes a date cell formatted as a number: days since 1899-12-30."""
    return str((when - datetime(1899, 12, 30)).days)


def test_an_idp_export_whose_dates_a_spreadsheet_made_unreadable_holds_every_unmatched_member(capsys, tmp_path):
    """tester21 #1: the Entra download saved again by Excel with its dates as serial numbers dates its users by
    dates no rule reads; when it was taken cannot be told, so every member no IdP user matches (the new hire,
    invited after the download, among them) and every guest the policy would disable is held on a blocking
    unmatched.new_member item, and check names it (was: read as an export that dates nothing, like Google's
    admin console CSV: the new hire deactivated, documents to the owner, 0 blocking)."""
    idp, out = entra_saved_by_excel(tmp_path, excel_serial), tmp_path / "p.json"
    code, _, _ = run_cli(capsys, "plan", "--sigma", str(sigma_with_new_hire(tmp_path)), "--idp", str(idp),
                         "--policy", str(REPO / "samples" / "acme" / "policy-entra-reviewed.yaml"),
                         "--out", str(out), "--detailed-exitcode")
    assert code == 3
    plan = read_plan(out)
    held = {i.subject.member_id: i for i in plan.review_items if i.code == "unmatched.new_member"}
    assert sorted(i.id for i in plan.review_items if i.blocking) == sorted(f"unmatched.new_member:{m}" for m in held)
    assert len(held) == 10
    acted = {a.target.member_id for a in plan.actions if a.kind.value in ("members.deactivate", "members.disable_guest")}
    assert acted & set(held) == set()
    assert held[NEW_HIRE].message == (
        "new.person@acme.example: no IdP user matches this member, made 2026-12-06T10:00:00Z, perhaps after the IdP "
        "export was taken, which its dates cannot tell (createdDateTime '43637' and 165 more cannot be read: saved "
        "again by a spreadsheet?): made by hand on purpose (a service account, a contractor, a break-glass admin) or "
        "after the export was taken, so it is not deactivated on the export's silence; decide whether to keep or "
        "deactivate this member (if the IdP provisioned them, export the IdP again and plan again)")
    code, stdout, _ = run_cli(capsys, "check", "--sigma", str(tmp_path / "sigma"), "--idp", str(idp))
    assert (f"warning: {idp / 'users.csv'} [createdDateTime]: no creation date of the IdP export can be read "
            "(createdDateTime '43637' and 165 more: saved again by a spreadsheet?): when the export was taken cannot "
            "be told, so every member no IdP user matches is held as perhaps made after it (unmatched.new_member); "
            "export the users again and keep the file as downloaded (unreadable-export-dates)") in stdout.splitlines()


def test_an_idp_export_whose_dates_a_spreadsheet_wrote_year_last_is_dated_by_their_earliest_reading(capsys, tmp_path):
    """The same download saved with its dates as Excel (en-US) shows them, ``5/29/2025 6:23``: no rule reads such a
    date, but each one's earliest reading (whole days, any zone) still bounds when the export was taken, so only
    the new hire is held, as with the download itself (tester21 #1)."""
    idp, out = entra_saved_by_excel(tmp_path, lambda d: f"{d.month}/{d.day}/{d.year} {d.hour}:{d.minute:02d}"), \
        tmp_path / "p.json"
    code, _, _ = run_cli(capsys, "plan", "--sigma", str(sigma_with_new_hire(tmp_path)), "--idp", str(idp),
                         "--policy", str(REPO / "samples" / "acme" / "policy-entra-reviewed.yaml"),
                         "--out", str(out), "--detailed-exitcode")
    assert code == 3
    plan = read_plan(out)
    assert [i.id for i in plan.review_items if i.blocking] == [f"unmatched.new_member:{NEW_HIRE}"]
    [item] = [i for i in plan.review_items if i.blocking]
    assert item.message.startswith("new.person@acme.example: no IdP user matches this member, made "
                                   "2026-12-06T10:00:00Z, after the IdP export's newest record (2025-05-28T10:00:00Z): ")
    code, stdout, _ = run_cli(capsys, "check", "--sigma", str(tmp_path / "sigma"), "--idp", str(idp))
    assert "unreadable-export-dates" not in stdout


def test_an_export_is_dated_by_its_readable_dates_then_the_earliest_reading_of_year_last_ones():
    def user(uid: str, created: str | None = None, unreadable: str | None = None) -> IdpUser:
        return IdpUser(uid, f"{uid}@example.com", f"{uid}@example.com", created=created, created_unreadable=unreadable,
                       created_field="createdDateTime")

    assert export_dates([user("a", "2025-05-29T06:23:25Z"), user("b", unreadable="43637")]) == (
        "2025-05-29T06:23:25Z", ())
    # 5/6/2026: 6 May or 5 June, whole and in any zone: from 5 May 10:00 UTC
    assert export_dates([user("a", "2025-05-29T06:23:25Z"), user("b", unreadable="5/6/2026 9:00")]) == (
        "2026-05-05T10:00:00Z", ())
    assert export_dates([user("a", unreadable="43637"), user("b"), user("c", unreadable="2999-01-01T00:00:00Z")]) == (
        None, ("createdDateTime '43637'", "createdDateTime '2999-01-01T00:00:00Z'"))
    assert export_dates([user("a"), user("b")]) == (None, ())


# --------------------------------------------------------------------------- 2: an export read before a run


OKTA, OKTA_POLICY = REPO / "samples/acme/okta", REPO / "samples/acme/policy-okta-reviewed.yaml"


@pytest.fixture
def waved(tmp_path, capsys, monkeypatch):
    """In ``tmp_path`` with relative paths: ``e1`` fetched, P1 planned over it, approved and its ``--limit 5`` wave
    applied, ``e2`` fetched after the wave; ``(cli, server)``; ``cli(*argv, targets=...)`` runs the CLI with the
    sandbox's credentials (and URLs)."""
    monkeypatch.chdir(tmp_path)
    server, _ = counting_sandbox(REPO / "samples/acme/sigma")
    urls = ("--rest-base-url", server.base_url, "--scim-base-url", server.scim_base_url)

    def cli(*argv: str, targets: bool = False) -> tuple[int, str, str]:
        return run_cli_with_environ(capsys, monkeypatch, sandbox_env(server), *argv, *(urls if targets else ()))

    try:
        for argv, targets in (
                (("fetch", "--base-url", server.base_url, "--out", "e1", "--policy", str(OKTA_POLICY),
                  "--no-progress"), False),
                (("plan", "--sigma", "e1", "--idp", str(OKTA), "--policy", str(OKTA_POLICY), "--out", "P1.json"),
                 False),
                (("approve", "P1.json", "--by", "T17"), False), (("apply", "P1.json", "--limit", "5"), True),
                (("fetch", "--base-url", server.base_url, "--out", "e2", "--policy", str(OKTA_POLICY),
                  "--no-progress"), False)):
            code, out, err = cli(*argv, targets=targets)
            assert code == 0, (argv, out, err)
            if argv[0] == "fetch" and argv[4] == "e1":  # the wave ends in a later second than e1's fetchedAt
                time.sleep(1.1)
        yield cli, server
    finally:
        server.close()


def fetched_at(export: str) -> str:
    return json.loads(Path(export, "fetch-manifest.json").read_text())["fetchedAt"]


def run_times(plan: str) -> tuple[str, str]:
    """``(started, ended)`` of run 1 of ``plan``, to the second, from its journal (the run's end: its
    finished_at, or its last row's when later)."""
    _, runs, rows = read_journal(Path(plan))
    [run] = runs
    ended = max([run.finished_at, *(r.finished_at for r in rows.values() if r.finished_at)])
    return run.started_at[:19] + "Z", ended[:19] + "Z"


def replan(cli, export: str, *applied: str) -> tuple[int, str, str]:
    return cli("plan", "--sigma", export, "--idp", str(OKTA), "--policy", str(OKTA_POLICY),
               *(a for plan in applied for a in ("--applied", plan)), "--out", "P2.json")


@pytest.mark.slow
def test_an_export_fetched_before_an_applied_run_is_one_error_and_one_fetched_after_it_plans(waved):
    cli, _ = waved
    started, ended = run_times("P1.json")
    assert fetched_at("e1") < ended <= fetched_at("e2")
    code, out, err = replan(cli, "e1", "P1.json")
    assert (code, out) == (1, "")
    assert err == (f"sigma-migrate: error: e1/fetch-manifest.json: fetched {fetched_at('e1')}, before run 1 of P1.json "
                   f"(started {started}, ended {ended}) that --applied names: fetch Sigma's export again and plan "
                   "again\n")
    assert not Path("P2.json").exists()
    code, out, err = replan(cli, "e2", "P1.json")
    assert code == 0, err
    assert [i.code for i in read_plan(Path("P2.json")).review_items if i.code.startswith("inputs.")] == []


@pytest.mark.slow
def test_an_export_fetched_before_the_undo_run_it_is_told_about_is_the_same_error(waved):
    cli, server = waved
    for argv, targets in ((("undo", "P1.json.journal.sqlite", "--out", "U1.json"), True),
                          (("approve", "U1.json", "--by", "T17"), False), (("apply", "U1.json"), True)):
        if argv[0] == "apply":  # the undo run ends in a later second than e2's fetchedAt (a same second is after)
            time.sleep(1.1)
        code, out, err = cli(*argv, targets=targets)
        assert code == 0, (argv, out, err)
    started, ended = run_times("U1.json")
    assert fetched_at("e2") < ended
    code, out, err = replan(cli, "e2", "P1.json", "U1.json")
    assert (code, err) == (1, f"sigma-migrate: error: e2/fetch-manifest.json: fetched {fetched_at('e2')}, before run 1 "
                              f"of U1.json (started {started}, ended {ended}) that --applied names: fetch Sigma's "
                              "export again and plan again\n")


@pytest.mark.slow
def test_an_export_of_unknown_time_with_applied_is_one_blocking_item(waved):
    cli, _ = waved
    shutil.copytree("e2", "e3")
    Path("e3/fetch-manifest.json").unlink()
    started, ended = run_times("P1.json")
    code, out, err = replan(cli, "e3", "P1.json")
    assert code == 0, err
    [item] = [i for i in read_plan(Path("P2.json")).review_items if i.code.startswith("inputs.")]
    assert (item.id, item.blocking, item.rule) == ("inputs.export_time_unknown:sigma", True, "inputs.export_time")
    assert item.message == (
        f"e3: no fetch-manifest.json says when the Sigma export was read (saved by hand), so whether it was read "
        f"after run 1 of P1.json (started {started}, ended {ended}) that --applied names, and shows what that run "
        "wrote, cannot be told; fetch Sigma's export again and plan again (`sigma-migrate fetch` records when it "
        "read it)")
    assert wire(item.evidence) == {"files": ["e3"], "source": "no fetch manifest"}
    assert wire(item.subject) == {"action": "run 1 of P1.json"}
