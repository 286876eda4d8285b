"""A journal another program holds, or one restored from an older copy (tester22 finding 2, parts c and d).

c) DB Browser for SQLite open on the journal (a second connection holding ``BEGIN EXCLUSIVE``) made apply print a
   traceback ending ``sqlite3.OperationalError: database is locked``. Every write of the journal goes through one
   transaction (planner/execute/journal.py ``_Transaction``) whose SQLite error is one line; apply adds what the run
   had written (``journal_stopped``), and the run's start is one transaction with its record in the state index, so
   a refused start records nothing anywhere.
d) the journal copied back from a backup taken before a wave: apply ran "run 2" again over the lost one, verify
   counted what the copy holds, undo left the lost wave as it was. Now the one check beside check_journal_home
   (planner/execute/history.py ``check_journal_runs``) refuses it in apply (every mode), verify, undo and
   ``plan --applied``, naming the runs it lacks.

The sandbox is a real HTTP server on 127.0.0.1 seeded with the bundled sample (tests/test_apply_after_rollback.py).
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from planner.execute import journal as journal_module
from planner.execute.journal import Journal, read_journal
from planner.planfile import read_plan
from planner.state import history_path

from .test_apply_after_rollback import OKTA, POLICY, SIGMA, sample_plan_in_sandbox

HELD = ("plan.json.journal.sqlite: held by another program (database is locked: a database browser or a backup tool "
        "has it open); close the program holding plan.json.journal.sqlite")


@pytest.fixture
def first_wave(tmp_path, capsys, monkeypatch):
    """The sample's plan approved and its first wave applied (``--only group:Finance``, run 1), ``tmp_path`` the
    current folder: ``(server, counter, cli)`` (tests/test_apply_after_rollback.py's sample_plan_in_sandbox)."""
    with sample_plan_in_sandbox(tmp_path, capsys, monkeypatch, "T22") as (server, counter, cli):
        code, out, err = cli("apply", "plan.json", "--only", "group:Finance")
        assert code == 0, out + err
        yield server, counter, cli


def recorded_runs(digest: str) -> list[tuple[int, str, str]]:
    """``(run, applied, started_at)`` of every run the state index records of the plan of ``digest``."""
    history = json.loads(history_path(digest).read_text(encoding="utf-8"))
    return [(r["run"], r["applied"], r["started_at"]) for home in history["journals"] for r in home["runs"]]


def hold(journal: Path) -> sqlite3.Connection:
    """A second connection holding the journal as DB Browser for SQLite does while it writes (``BEGIN EXCLUSIVE``)."""
    db = sqlite3.connect(journal, isolation_level=None, check_same_thread=False)
    db.execute("BEGIN EXCLUSIVE")
    return db


def test_a_journal_another_program_holds_refuses_apply_in_one_line_and_records_no_run(first_wave, monkeypatch):
    server, counter, cli = first_wave
    monkeypatch.setattr(journal_module, "BUSY_TIMEOUT", 0.2)
    digest = read_plan(Path("plan.json")).digest
    writes, runs, recorded = counter.total(), read_journal(Path("plan.json"))[1], recorded_runs(digest)
    holder = hold(Path("plan.json.journal.sqlite"))
    try:
        for extra in (("--only", "group:marketing"), ("--resume",)):
            code, out, err = cli("apply", "plan.json", *extra)
            assert (code, err.splitlines()) == (1, [f"sigma-migrate: error: {HELD}, then apply again; nothing was "
                                                    "written"]), extra
    finally:
        holder.rollback()
        holder.close()
    assert counter.total() == writes  # nothing sent
    assert read_journal(Path("plan.json"))[1] == runs and recorded_runs(digest) == recorded  # no run recorded
    code, out, err = cli("apply", "plan.json", "--only", "group:marketing")  # the program closed: it applies
    assert code == 0, out + err
    assert [r.run_id for r in read_journal(Path("plan.json"))[1]] == [1, 2]


def test_a_journal_held_mid_run_stops_the_run_in_one_line_and_resume_continues_it(first_wave, monkeypatch):
    server, counter, cli = first_wave
    monkeypatch.setattr(journal_module, "BUSY_TIMEOUT", 0.2)
    digest = read_plan(Path("plan.json")).digest
    mark_running, holders, calls = Journal.mark_running, [], []

    def held_after_two(self, action_id):  # the program opens the journal once the run has done two actions
        calls.append(action_id)
        if len(calls) == 3:
            holders.append(hold(self.path))
        return mark_running(self, action_id)

    monkeypatch.setattr(Journal, "mark_running", held_after_two)
    try:
        code, out, err = cli("apply", "plan.json", "--only", "group:marketing", "--parallelism", "1")
    finally:
        for holder in holders:
            holder.rollback()
            holder.close()
    assert (code, err.splitlines()[-1]) == (1, (  # after the progress lines of the two actions done
        f"sigma-migrate: error: {HELD}, then run `sigma-migrate apply plan.json --resume --only group:marketing` to "
        "continue run 2: it stopped at its first step the journal could not record; what it wrote to Sigma before is "
        "recorded there (an action in flight is checked in Sigma before it is sent again)"))
    assert "Traceback" not in err and "[3/35]" in err and "[4/35]" not in err
    monkeypatch.setattr(Journal, "mark_running", mark_running)
    _, runs, rows = read_journal(Path("plan.json"))
    assert [(r.run_id, r.status) for r in runs] == [(1, "converged"), (2, None)]  # run 2 unfinished: resumable
    assert [r[0] for r in recorded_runs(digest)] == [1, 2]
    code, out, err = cli("apply", "plan.json", "--resume", "--only", "group:marketing")
    assert code == 0, out + err
    assert "Resuming run 2" in out and "Apply converged" in out


def test_a_journal_restored_from_an_older_copy_is_refused_by_apply_verify_undo_and_plan_applied(first_wave, tmp_path):
    server, counter, cli = first_wave
    plan = read_plan(Path("plan.json"))
    journal = tmp_path / "plan.json.journal.sqlite"
    backup = journal.read_bytes()  # the copy taken after wave 1
    code, out, err = cli("apply", "plan.json", "--only", "group:marketing")
    assert code == 0, out + err
    newest = journal.read_bytes()
    journal.write_bytes(backup)  # restored from the backup: run 2 lost
    (run2,) = [r for r in recorded_runs(plan.digest) if r[0] == 2]
    writes = counter.total()
    lacks = (f"this journal lacks run 2 (--only group:marketing, started {run2[2]}) of plan {plan.digest}, which "
             "sigma-migrate's state index records with it: restored from an older copy? What those runs wrote to "
             "Sigma is not in it, so it cannot be applied, verified or undone from it; put back the newest copy of "
             "this journal, or fetch Sigma's export again and plan again; ")
    code, out, err = cli("apply", "plan.json", "--dry-run")  # apply's refusal as a note
    assert (code, [line for line in out.splitlines() if "apply will refuse" in line]) == (
        1, [f"# note: apply will refuse: plan.json.journal.sqlite: {lacks}nothing was written"])
    for argv in (("apply", "plan.json", "--only", "group:Sales Americas"), ("apply", "plan.json", "--resume"),
                 ("verify", "plan.json")):
        code, out, err = cli(*argv)
        assert (code, err.splitlines()[-1]) == (
            1, f"sigma-migrate: error: plan.json.journal.sqlite: {lacks}nothing was written"), argv
    code, out, err = cli("approve", "plan.json", "--by", "T22", "--force", targets=False)
    assert (code, err.splitlines()[-1]) == (1, f"sigma-migrate: error: plan.json.journal.sqlite: {lacks}nothing was "
                                               "written")
    code, out, err = cli("undo", str(journal), "--out", "undo.json")
    assert (code, err.splitlines()[-1]) == (1, f"sigma-migrate: error: {journal}: {lacks}no undo plan written")
    code, out, err = cli("plan", "--sigma", str(SIGMA), "--idp", str(OKTA), "--policy", str(POLICY), "--applied",
                         "plan.json", "--out", "replan.json", targets=False)
    assert (code, err.splitlines()[-1]) == (1, f"sigma-migrate: error: plan.json.journal.sqlite: {lacks}no plan "
                                               "written")
    assert counter.total() == writes and not Path("undo.json").exists() and not Path("replan.json").exists()
    assert journal.read_bytes() == backup and not Path("plan.json.run-3.result.json").exists()

    journal.write_bytes(newest)  # the newest copy put back: applies as run 3
    code, out, err = cli("apply", "plan.json", "--only", "group:Sales Americas")
    assert code == 0, out + err
    assert [r.run_id for r in read_journal(Path("plan.json"))[1]] == [1, 2, 3]
