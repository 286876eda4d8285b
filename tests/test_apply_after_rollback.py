"""A plan an applied undo plan rolled back is never applied again (tester11 finding 10).

The tester's sequence on the bundled sample (okta, reviewed policy), in one folder with relative paths:
plan -> approve -> apply (196 actions) -> ``undo plan.json.journal.sqlite --out undo.json`` -> approve ->
apply the undo plan (32 reversals) -> ``apply plan.json``. That last apply found every object as the plan
was made against (the undo restored it), so the stale check passed, and as a re-apply of a finished plan
it ran every action again: 10 REST deactivations, 2 guest disables, 8 account types and 12 pushes redone
under the old approval, exit 0. Now applying the undo plan records its run in the undone plan's journal
(planner/execute/reversals.py), and every later apply of that plan refuses before anything is sent.
"""

from __future__ import annotations

import json
import sqlite3
from contextlib import contextmanager
from pathlib import Path

import httpx2
import pytest

from planner.execute.errors import ApplyRefused
from planner.execute.journal import (
    Journal, ReversalRow, journal_path, read_journal, read_reversals, record_reversal,
)
from planner.planfile import read_plan, write_plan
from planner.planning import plan_from_paths

from .conftest import run_cli_with_environ
from .execute_support import counting_sandbox, sandbox_env

REPO = Path(__file__).resolve().parent.parent
SIGMA, OKTA = REPO / "samples/acme/sigma", REPO / "samples/acme/okta"
POLICY = REPO / "samples/acme/policy-okta-reviewed.yaml"

REDONE = ("8 scim.link_user, 12 scim.set_group_members, 10 members.deactivate, 2 members.disable_guest")
FIRST_FIVE = (
    "scim.link_user:4zQjdiCWgV4iVYkm0DjAkt5ssGb7p (kevin.brown@acme.example), "
    "scim.link_user:GQ9BAOnWv8F4IYzQCMaWU5KYO5wnY (olivia.grant@acme.example), "
    "scim.link_user:JCi8n78Bu4BxSdQVmx45uxO6ACALq (sofia.rossi@acme.example), "
    "scim.link_user:QK9fJMB9nEBWpYLdl9yg76p7wxYSm (helen.ortiz@acme.example), "
    "scim.link_user:Vjdz0pXiz1nL9sU22p4sg3oud37J4 (martin.schulz@acme.example)")


def sigma_image(server) -> dict[str, object]:
    """Every member (REST body) and every team with its memberIds, as Sigma's REST API lists them now."""
    headers = server.rest_headers()

    def get(path: str) -> list[dict]:
        answer = httpx2.get(f"{server.base_url}{path}", headers=headers, params={"limit": 1000})
        answer.raise_for_status()
        return answer.json()["entries"]

    members = sorted((json.dumps(m, sort_keys=True) for m in get("/v2/members")))
    teams = {t["teamId"]: sorted(e["userId"] for e in get(f"/v2/teams/{t['teamId']}/members"))
             for t in get("/v2/teams")}
    return {"members": members, "teams": teams}


@pytest.fixture
def rolled_back(tmp_path, capsys, monkeypatch):
    """The tester's sequence up to the approved undo plan (:func:`rolled_back_sequence`)."""
    with rolled_back_sequence(tmp_path, capsys, monkeypatch) as found:
        yield found


@contextmanager
def sample_plan_in_sandbox(tmp_path, capsys, monkeypatch, approver: str = "T11"):
    """The bundled sample's plan (okta, reviewed policy) written to ``tmp_path/plan.json`` and approved by
    ``approver``, ``tmp_path`` the current folder, and a sandbox seeded with the sample (a real HTTP server):
    ``(server, counter, cli)``; ``cli(*argv)`` runs the CLI with the sandbox's credentials and URLs."""
    plan, _ = plan_from_paths(str(SIGMA), [str(OKTA)], str(POLICY))
    assert (len(plan.actions), plan.blocking_items) == (196, ())
    write_plan(plan, tmp_path / "plan.json")
    monkeypatch.chdir(tmp_path)
    server, counter = counting_sandbox(SIGMA)
    urls = ("--rest-base-url", server.base_url, "--scim-base-url", server.scim_base_url)

    def cli(*argv: str, targets: bool = True) -> tuple[int, str, str]:
        return run_cli_with_environ(capsys, monkeypatch, sandbox_env(server), *argv, *(urls if targets else ()))

    try:
        assert cli("approve", "plan.json", "--by", approver, targets=False)[0] == 0
        yield server, counter, cli
    finally:
        server.close()


@contextmanager
def rolled_back_sequence(tmp_path, capsys, monkeypatch):
    """The tester's sequence up to the approved undo plan, in ``tmp_path`` with relative paths:
    ``(server, counter, cli)`` (:func:`sample_plan_in_sandbox`)."""
    with sample_plan_in_sandbox(tmp_path, capsys, monkeypatch) as (server, counter, cli):
        code, out, err = cli("apply", "plan.json")
        assert code == 0, out + err
        code, out, err = cli("undo", "plan.json.journal.sqlite", "--out", "undo.json")
        assert code == 0, out + err
        assert cli("approve", "undo.json", "--by", "T11", targets=False)[0] == 0
        yield server, counter, cli


def refusal(at: str) -> str:
    undo = read_plan(Path("undo.json"))
    return (f"sigma-migrate: error: plan.json: this plan was rolled back by undo plan undo.json ({undo.digest}) run 1 "
            f"(started {at}), which reversed 32 of its action(s) ({REDONE}); applying it again would redo them "
            "under its old approval: fetch Sigma's export again, plan and approve again (a plan of the same export files is "
            "this plan again, the same digest, refused too); nothing was written; it would "
            f"redo {FIRST_FIVE}, and 27 more")


def test_an_apply_of_a_plan_its_applied_undo_plan_rolled_back_refuses_before_its_first_write(rolled_back):
    server, counter, cli = rolled_back
    code, out, err = cli("apply", "undo.json")
    assert code == 0, out + err
    assert "Apply converged: 32 of 32 done (32 written this run)" in out
    undo = read_plan(Path("undo.json"))
    (recorded,) = read_reversals(journal_path(Path("plan.json")))
    assert (recorded.undo_plan, recorded.undo_digest, recorded.undo_run) == ("undo.json", undo.digest, 1)
    assert recorded.action_ids == tuple(a.evidence.undoes for a in undo.actions)
    assert [r.started_at for r in read_journal(Path("undo.json"))[1]] == [recorded.at]  # the run it names
    writes, image, runs = counter.total(), sigma_image(server), read_journal(Path("plan.json"))[1]

    for extra in ((), ("--resume",), ("--only", "group:Finance"), ("--limit", "3")):
        code, out, err = cli("apply", "plan.json", *extra)
        assert (code, err.splitlines()) == (1, [refusal(recorded.at)]), extra
        assert "Stale-plan check" not in out
    assert counter.total() == writes  # nothing sent
    assert sigma_image(server) == image  # Sigma as the rollback left it
    assert read_journal(Path("plan.json"))[1] == runs  # no run started


def test_an_undo_plan_whose_undone_journal_is_not_found_is_refused_before_its_first_write(rolled_back, tmp_path,
                                                                                          monkeypatch):
    """The reversal must be recorded where every apply of the undone plan reads it; ``undo`` was given the
    journal's path relative to its folder, which apply resolves from its own folder, then the undo plan's."""
    server, counter, cli = rolled_back
    journal = tmp_path / "plan.json.journal.sqlite"
    journal.rename(tmp_path / "kept.sqlite")
    writes = counter.total()
    undo = read_plan(tmp_path / "undo.json")
    code, out, err = cli("apply", "undo.json")
    assert (code, err.splitlines()) == (1, [
        f"sigma-migrate: error: undo.json: this undo plan reverses {undo.summary.undoes}, whose journal "
        "plan.json.journal.sqlite (as `undo` read it) is not in this folder nor beside the undo plan, nor where "
        "sigma-migrate's state index records that plan's runs, or is not that plan's: apply records the reversal in "
        "it, so that no later apply of that plan redoes what this undo "
        "reverses; run apply from the folder `undo` ran in, or put the journal back; nothing was written"])
    assert counter.total() == writes  # nothing sent
    assert read_journal(tmp_path / "undo.json")[1] == []  # no run started
    (tmp_path / "kept.sqlite").rename(journal)

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)  # beside the undo plan, not in this folder
    code, out, err = cli("apply", str(tmp_path / "undo.json"))
    assert code == 0, out + err
    assert counter.total() == writes + 32
    assert [(r.undo_plan, r.undo_run) for r in read_reversals(journal)] == [(str(tmp_path / "undo.json"), 1)]


def test_a_journal_older_than_the_reversals_table_reads_none_and_gains_it_on_open(tmp_path):
    plan_path = tmp_path / "plan.json"
    path = journal_path(plan_path)
    Journal.open(plan_path, "sha256:aa", [("a1", "members.deactivate")]).close()
    with sqlite3.connect(path) as db:
        db.execute("DROP TABLE reversals")
    assert read_reversals(path) == []
    journal = Journal.open(plan_path, "sha256:aa", [("a1", "members.deactivate")])
    try:
        assert journal.reversals() == [] and journal.next_run_id() == 1
    finally:
        journal.close()
    row = ReversalRow("u.json", "sha256:bb", 1, "2026-12-06T23:00:00.000Z", ("a1",))
    with pytest.raises(ApplyRefused) as refused:
        record_reversal(path, "sha256:cc", row)
    assert str(refused.value) == f"{path}: journal belongs to plan sha256:aa, not sha256:cc"
    record_reversal(path, "sha256:aa", row)
    assert read_reversals(path) == [row]


def test_approve_and_a_dry_run_of_a_rolled_back_plan_say_so_with_applys_line(rolled_back):
    """approve (with --force too) refuses with apply's one line, exit 1, the approval untouched; apply --dry-run
    notes it and exits 1, as for apply's other refusals (reversals.check_not_reversed, the one function) (was:
    approve --force approved it again and --dry-run of the finished plan noted nothing, exit 0; issue 10,
    holds3)."""
    server, counter, cli = rolled_back
    code, out, err = cli("apply", "plan.json", "--dry-run")  # applied, not rolled back yet: a re-apply
    assert (code, [line for line in out.splitlines() if line.startswith("# note")], err) == (0, [], "")
    code, out, err = cli("apply", "undo.json")
    assert code == 0, out + err
    (recorded,) = read_reversals(journal_path(Path("plan.json")))
    approval, writes = Path("plan.json.approval").read_bytes(), counter.total()

    for extra in ((), ("--force",)):
        code, out, err = cli("approve", "plan.json", "--by", "T12", *extra, targets=False)
        assert (code, out, err.splitlines()) == (1, "", [refusal(recorded.at)]), extra
    assert Path("plan.json.approval").read_bytes() == approval
    code, out, err = cli("apply", "plan.json", "--dry-run")
    assert (code, err) == (1, "")
    assert [line for line in out.splitlines() if line.startswith("# note")] == [
        "# note: apply will refuse: " + refusal(recorded.at).removeprefix("sigma-migrate: error: ")]
    assert counter.total() == writes  # nothing sent


def test_an_undo_plan_applied_from_another_folder_finds_the_undone_journal_the_state_index_records(
        rolled_back, tmp_path, monkeypatch):
    """verify18 finding 2: ``undo`` ran in the plan's folder with the journal's relative path; the undo plan (and its
    approval) moved to another folder and applied from a third found no journal there, and was refused. The state
    index knows the undone plan's journal by its digest: the apply records the reversal in it and runs."""
    server, counter, cli = rolled_back
    moved = tmp_path / "moved"
    moved.mkdir()
    for name in ("undo.json", "undo.json.approval"):
        (tmp_path / name).rename(moved / name)
    third = tmp_path / "third"
    third.mkdir()
    monkeypatch.chdir(third)
    writes = counter.total()
    code, out, err = cli("apply", str(moved / "undo.json"))
    assert code == 0, out + err
    assert "Apply converged: 32 of 32 done (32 written this run)" in out
    assert counter.total() == writes + 32
    assert [(r.undo_plan, r.undo_run) for r in read_reversals(tmp_path / "plan.json.journal.sqlite")] == [
        (str(moved / "undo.json"), 1)]
    code, out, err = cli("apply", str(tmp_path / "plan.json"))  # the undone plan is refused as rolled back
    assert code == 1 and "this plan was rolled back by undo plan" in err
