"""``plan --applied P`` finds P's journal as apply, approve, verify and undo do: beside P, else where sigma-migrate's
state index records P's runs by digest (verify18 finding 2: ``plan --applied /elsewhere/copy-of-P.json`` said "no
journal beside it", though the index knew the runs). When the folder and the index disagree, the plan says which
journal it read, or refuses in one line when they hold two different histories of P (docs/apply.md "Where a plan's
history lives").

Against the bundled sample's sandbox over HTTP, in folder ``a``: fetch, plan v1 (okta, reviewed), approve, wave 1
(``--only kind:members.deactivate``), then a copy of v1.json and its journal in ``stale``, wave 2 (``--only
kind:members.disable_guest``), copies in ``copy`` (the plan alone) and ``same`` (the plan and its journal), and the
export fetched again."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from planner.applied import applied_runs
from planner.execute.history import record_run
from planner.execute.journal import journal_path, read_journal
from planner.planfile import read_plan
from planner.state import STATE_DIR_ENV, history_path

from .conftest import run_cli
from .test_applied_runs import applied_plan
from .test_replan_reactivated_by_hand import sample_wave

REPO = Path(__file__).resolve().parent.parent
SIGMA, OKTA = REPO / "samples/acme/sigma", REPO / "samples/acme/okta"


@pytest.fixture
def waves(lookup, monkeypatch):
    """:func:`lookup`'s folder, with its state directory in force for the test."""
    root, state, _ = lookup
    monkeypatch.setenv(STATE_DIR_ENV, state)
    return root


@pytest.fixture
def sandbox_url(lookup) -> str:
    """The REST base URL the waves were applied to (the sample sandbox's, closed since): the Sigma the state index
    names their runs by (rehearse20)."""
    return lookup[2]


@pytest.fixture(scope="module")
def lookup(tmp_path_factory):
    """The folder holding ``a`` (v1.json, its journal of two waves), ``stale``, ``copy``, ``same`` and ``e2``, and the
    state directory the waves recorded their runs in (the module's: :func:`tests.conftest.module_state_dir`)."""
    root = tmp_path_factory.mktemp("lookup")
    (root / "a").mkdir()
    with sample_wave(root / "a") as wave:
        def copy(name: str, journal: bool) -> None:
            (root / name).mkdir()
            shutil.copy(wave.v1, root / name / "v1.json")
            if journal:
                shutil.copy(journal_path(wave.v1), journal_path(root / name / "v1.json"))

        wave.apply("--only", "kind:members.deactivate")
        copy("stale", journal=True)
        wave.apply("--only", "kind:members.disable_guest")
        copy("copy", journal=False)
        copy("same", journal=True)
        wave.fetch("e2")
        shutil.copy(wave.folder / "pol.yaml", root / "pol.yaml")
        (wave.folder / "e2").rename(root / "e2")
        yield root, os.environ[STATE_DIR_ENV], wave.server.base_url


def replan(root: Path, capsys, applied: Path, name: str) -> tuple[int, str, str]:
    return run_cli(capsys, "plan", "--sigma", str(root / "e2"), "--idp", str(OKTA), "--policy", str(root / "pol.yaml"),
                   "--out", str(root / f"{name}.json"), "--applied", str(applied))


def runs_words(v1: Path) -> str:
    """What the index records of the two waves, as the notes name them (the starts read from the journal)."""
    _, runs, _ = read_journal(v1)
    assert len(runs) == 2
    return (f"run 1 (--only kind:members.deactivate, started {runs[0].started_at}), "
            f"run 2 (--only kind:members.disable_guest, started {runs[1].started_at})")


def test_a_copy_of_the_plan_in_another_folder_reads_the_journal_the_state_index_records(waves, sandbox_url, capsys):
    home = waves / "a"
    code, out, err = replan(waves, capsys, home / "v1.json", "beside")
    assert (code, err) == (0, "")
    beside = read_plan(waves / "beside.json")

    copy = waves / "copy" / "v1.json"
    code, out, err = replan(waves, capsys, copy, "fromcopy")
    journal = os.path.realpath(journal_path(home / "v1.json"))
    assert code == 0, err
    assert err.splitlines() == [
        f"{copy}: --applied: read its journal {journal}, with which sigma-migrate's state index records "
        f"{runs_words(home / 'v1.json')} (applied from {os.path.realpath(home / 'v1.json')} to {sandbox_url}); "
        "none is beside this file"]
    fromcopy = read_plan(waves / "fromcopy.json")
    assert fromcopy.actions == beside.actions and fromcopy.review_items == beside.review_items
    assert [(i.kind, i.path) for i in fromcopy.inputs if i.kind in ("plan", "apply.journal")] == [
        ("plan", str(copy)), ("apply.journal", journal)]
    # diff reads the journal again where the index records it: the 12 archived by the waves are done, not dropped
    code, out, err = run_cli(capsys, "diff", str(copy), str(waves / "fromcopy.json"))
    assert code in (0, 2), err
    assert "not found" not in out + err


def test_a_byte_identical_copy_of_the_journal_beside_the_copy_is_read_and_said(waves, capsys):
    same = waves / "same" / "v1.json"
    code, out, err = replan(waves, capsys, same, "fromsame")
    journal = os.path.realpath(journal_path(waves / "a" / "v1.json"))
    assert code == 0, err
    assert err.splitlines() == [
        f"{same}: --applied: read the journal beside it ({journal_path(same)}), a copy of {journal} (byte for byte), "
        f"with which sigma-migrate's state index records {runs_words(waves / 'a' / 'v1.json')}"]


def test_a_journal_beside_the_copy_that_differs_from_the_one_the_index_records_is_refused_in_one_line(waves, capsys):
    """The copy was taken after wave 1; wave 2 ran from ``a`` since: two histories of one plan, which a re-plan
    cannot read as one (it would plan the guests wave 2 disabled as still to disable)."""
    stale = waves / "stale" / "v1.json"
    plan = read_plan(stale)
    home = waves / "a" / "v1.json"
    code, out, err = replan(waves, capsys, stale, "fromstale")
    assert (code, out) == (1, "")
    assert err.splitlines() == [
        f"sigma-migrate: error: {stale}: --applied: two histories of this plan ({plan.digest}) differ: the journal "
        f"beside it, {journal_path(stale)}, and {os.path.realpath(journal_path(home))}, with which sigma-migrate's "
        f"state index records {runs_words(home)}; a re-plan must read the one history of the plan: give --applied "
        f"{os.path.realpath(home)}, or put that journal beside this file in place of the other; no plan written"]
    assert not (waves / "fromstale.json").exists()


def test_a_journal_the_index_records_that_is_gone_is_refused_and_one_it_does_not_know_is_said(tmp_path, capsys):
    """Real files: a plan and its journal (one run), unknown to the index: read, and said; then the index records
    that journal and the plan is given from a folder holding none while the journal is gone: refused."""
    path, _ = applied_plan(tmp_path, "View", undo=False)
    digest = read_plan(path).digest
    runs = applied_runs([str(path)])
    assert runs.notes == (f"{path}: --applied: read the journal beside it ({journal_path(path)}); sigma-migrate's "
                          f"state index ({history_path(digest)}) records no run of this plan",)
    assert [(w.member_id, w.value) for w in runs.writes] == [("m1", "View")]

    _, [run], _ = read_journal(path)
    record_run(path, digest, journal_path(path), run, None)  # a history of the older version: no target
    assert applied_runs([str(path)]).notes == ()  # beside it and known to the index: nothing to say
    copy = tmp_path / "copy" / "plan.json"
    copy.parent.mkdir()
    shutil.copy(path, copy)
    journal_path(path).unlink()
    code, out, err = run_cli(capsys, "plan", "--sigma", str(SIGMA), "--idp", str(OKTA), "--out",
                             str(tmp_path / "p2.json"), "--applied", str(copy))
    assert (code, out) == (1, "")
    assert err.splitlines() == [
        f"sigma-migrate: error: {copy}: --applied: sigma-migrate's state index records run 1 (the whole plan, started "
        f"{run.started_at}) of this plan ({digest}) with the journal {os.path.realpath(journal_path(path))}, which is "
        f"gone, and none is beside this file: what those runs wrote cannot be known; put that journal back beside "
        f"{os.path.realpath(path)}; no plan written"]
