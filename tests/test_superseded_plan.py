"""A plan a re-plan took over from is never applied again (tester14b finding 9).

The tester's sequence on the bundled sample, in one folder with relative paths: P1 (deactivates wendy.park,
unmatched) approved, a ``--limit 5`` canary applied; the policy then keeps wendy.park; P2 planned with ``--applied
P1.json``, approved and applied whole. ``apply P1.json --only email:wendy.park@acme.example`` passed the stale check
(P2 left wendy as she was) and archived her under P1's old approval. Now P2's first run records in P1's journal
that it took over (planner/execute/reversals.py, the record a rollback uses), and every later apply of P1, its
approve and verify refuse naming P2; show says so. Over the real sandbox.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from planner.execute.journal import SUPERSEDED, ReversalRow, journal_path, read_journal, read_reversals
from planner.planfile import read_plan
from planner.state import history_path

from .conftest import run_cli_with_environ
from .execute_support import counting_sandbox, member_state, sandbox_env

REPO = Path(__file__).resolve().parent.parent
SIGMA, OKTA = REPO / "samples/acme/sigma", REPO / "samples/acme/okta"
POLICY = REPO / "samples/acme/policy-okta-reviewed.yaml"
WENDY = "3x2uLcFsNLXYeQ5NIhA5RMBQgVTjG"


@pytest.fixture
def replanned(tmp_path, capsys, monkeypatch):
    """P1 approved and its ``--limit 5`` canary applied, P2 (wendy.park kept) planned with ``--applied P1.json`` and
    approved, in ``tmp_path`` with relative paths: ``(server, counter, cli)``; ``cli(*argv, targets=...)`` runs the
    CLI with the sandbox's credentials (and URLs)."""
    monkeypatch.chdir(tmp_path)
    keep = POLICY.read_text(encoding="utf-8").replace(
        "  decisions: {tom.becker@acme.example: deactivate}\n",
        "  decisions: {tom.becker@acme.example: deactivate, wendy.park@acme.example: keep}\n")
    assert "wendy.park" in keep
    Path("polB.yaml").write_text(keep, encoding="utf-8")
    server, counter = counting_sandbox(SIGMA)
    urls = ("--rest-base-url", server.base_url, "--scim-base-url", server.scim_base_url)

    def cli(*argv: str, targets: bool = False) -> tuple[int, str, str]:
        return run_cli_with_environ(capsys, monkeypatch, sandbox_env(server), *argv, *(urls if targets else ()))

    try:
        for argv, targets in (
                (("fetch", "--base-url", server.base_url, "--out", "e1", "--policy", str(POLICY), "--no-progress"), 0),
                (("plan", "--sigma", "e1", "--idp", str(OKTA), "--policy", str(POLICY), "--out", "P1.json"), 0),
                (("approve", "P1.json", "--by", "T14"), 0), (("apply", "P1.json", "--limit", "5"), 1),
                (("fetch", "--base-url", server.base_url, "--out", "e2", "--policy", "polB.yaml", "--no-progress"), 0),
                (("plan", "--sigma", "e2", "--idp", str(OKTA), "--policy", "polB.yaml", "--applied", "P1.json",
                  "--out", "P2.json"), 0),
                (("approve", "P2.json", "--by", "T14"), 0)):
            code, out, err = cli(*argv, targets=bool(targets))
            assert code == 0, (argv, out, err)
        wendy = f"members.deactivate:{WENDY}"
        assert wendy in {a.id for a in read_plan(Path("P1.json")).actions}
        assert wendy not in {a.id for a in read_plan(Path("P2.json")).actions}
        assert [(i.path, i.kind) for i in read_plan(Path("P2.json")).inputs if i.kind in ("plan", "apply.journal")] == [
            ("P1.json", "plan"), ("P1.json.journal.sqlite", "apply.journal")]
        yield server, counter, cli
    finally:
        server.close()


def superseded_by(at: str) -> str:
    p2 = read_plan(Path("P2.json"))
    return (f"P1.json: this plan was superseded by plan P2.json ({p2.digest}), made with --applied P1.json, whose "
            f"run 1 (started {at}) took over from it")


def refusal(at: str) -> str:
    return (f"{superseded_by(at)}; applying this plan would act under its old approval on what P2.json decided anew: "
            "apply P2.json, or fetch Sigma's export and plan again with --applied P2.json; nothing was written")


@pytest.mark.slow
def test_a_plan_a_replan_took_over_from_is_never_applied_again(replanned):
    server, counter, cli = replanned
    code, out, err = cli("apply", "P2.json", targets=True)
    assert code == 0, out + err
    assert "note:" not in out
    p2 = read_plan(Path("P2.json"))
    (started,) = [r.started_at for r in read_journal(Path("P2.json"))[1]]
    assert read_reversals(journal_path(Path("P1.json"))) == [
        ReversalRow("P2.json", p2.digest, 1, started, (), SUPERSEDED)]
    code, out, err = cli("apply", "P2.json", targets=True)  # a re-apply of P2 records nothing more
    assert code == 0, out + err
    assert len(read_reversals(journal_path(Path("P1.json")))) == 1

    writes, runs = counter.total(), read_journal(Path("P1.json"))[1]
    for extra in (("--only", "email:wendy.park@acme.example"), (), ("--resume",), ("--limit", "3")):
        code, out, err = cli("apply", "P1.json", *extra, targets=True)  # was: exit 0, wendy archived
        assert (code, err.splitlines()) == (1, [f"sigma-migrate: error: {refusal(started)}"]), extra
        assert "Stale-plan check" not in out
    code, out, err = cli("apply", "P1.json", "--dry-run", "--only", "email:wendy.park@acme.example", targets=True)
    assert code == 1
    assert [line for line in out.splitlines() if line.startswith("# note")] == [
        f"# note: apply will refuse: {refusal(started)}"]
    assert counter.total() == writes  # nothing sent
    assert member_state(server, WENDY)["isArchived"] is False
    assert read_journal(Path("P1.json"))[1] == runs  # no run started

    approval = Path("P1.json.approval").read_bytes()
    for extra in ((), ("--force",)):
        code, out, err = cli("approve", "P1.json", "--by", "T14", *extra)
        assert (code, out, err.splitlines()) == (1, "", [f"sigma-migrate: error: {refusal(started)}"]), extra
    assert Path("P1.json.approval").read_bytes() == approval

    code, out, err = cli("verify", "P1.json", targets=True)
    assert (code, out, err.splitlines()) == (1, "", [
        f"sigma-migrate: error: {superseded_by(started)}; Sigma is meant to be as that plan leaves it, not as this "
        "plan did: check it with `sigma-migrate verify P2.json`; nothing was read"])
    code, out, err = cli("show", "P1.json")
    assert code == 0, err
    assert out.splitlines()[0] == (
        f"Superseded: {superseded_by(started)}; no apply of it runs again: apply P2.json, or fetch Sigma's export and "
        "plan again with --applied P2.json")
    code, out, err = cli("show", "P2.json")
    assert code == 0 and not out.startswith(("Superseded", "Rolled back")), out


@pytest.mark.slow
def test_a_replan_whose_predecessors_journal_moved_says_so_in_one_line_and_applies(replanned, tmp_path):
    """P2 is still right: its apply goes on, saying it cannot record the takeover where the journal was."""
    server, counter, cli = replanned
    Path("P1.json.journal.sqlite").rename("kept.sqlite")
    code, out, err = cli("apply", "P2.json", targets=True)
    assert code == 0, out + err
    assert [line for line in out.splitlines() if line.startswith("note:")] == [
        "note: P1.json.journal.sqlite, the journal of P1.json this plan was made --applied with, is not in this folder "
        "nor beside this plan, or is not that plan's: this apply cannot record there that it takes over from P1.json, "
        f"only in sigma-migrate's state directory ({history_path(read_plan(Path('P1.json')).digest)}), so a later "
        "apply of P1.json by another user or on another machine will not be refused; put the journal back and apply "
        "again to record it, and do not apply P1.json again"]
    assert read_reversals(tmp_path / "kept.sqlite") == []
    code, out, err = cli("apply", "P1.json", targets=True)  # the state directory recorded it: refused all the same
    assert code == 1 and err.startswith("sigma-migrate: error: P1.json: this plan was superseded by plan P2.json"), err
    assert f"took over from it; its journal was {tmp_path / 'P1.json.journal.sqlite'}, which is gone; " in err
    Path("kept.sqlite").rename("P1.json.journal.sqlite")
    code, out, err = cli("apply", "P2.json", targets=True)  # the journal back: the re-apply records it
    assert code == 0 and "note:" not in out, out + err
    assert [(r.undo_plan, r.undo_run, r.kind) for r in read_reversals(tmp_path / "P1.json.journal.sqlite")] == [
        ("P2.json", 2, SUPERSEDED)]
    code, out, err = cli("apply", "P1.json", targets=True)
    assert code == 1 and "this plan was superseded by plan P2.json" in err, out + err


@pytest.mark.slow
def test_a_sibling_replan_of_a_plan_another_replan_took_over_is_refused(replanned):
    """tester16b finding 3: P2 and P3 both made --applied P1 (one in CI, one by hand); P2 applied, then P3: its
    basis (what P1 left) is gone, P2 decided it anew. P4, made --applied P2, applies."""
    server, counter, cli = replanned
    Path("polC.yaml").write_text(POLICY.read_text(encoding="utf-8").replace(
        "  decisions: {tom.becker@acme.example: deactivate}\n",
        "  decisions: {tom.becker@acme.example: keep}\n"), encoding="utf-8")
    for argv in (("plan", "--sigma", "e2", "--idp", str(OKTA), "--policy", "polC.yaml", "--applied", "P1.json",
                  "--out", "P3.json"), ("approve", "P3.json", "--by", "T16")):
        code, out, err = cli(*argv)
        assert code == 0, (argv, out, err)
    assert read_plan(Path("P3.json")).digest != read_plan(Path("P2.json")).digest
    code, out, err = cli("apply", "P2.json", targets=True)
    assert code == 0, out + err
    p2 = read_plan(Path("P2.json"))
    (started,) = [r.started_at for r in read_journal(Path("P2.json"))[1]]
    gone = (f"P3.json: this plan was made --applied P1.json, which plan P2.json ({p2.digest}) took over from in its "
            f"run 1 (started {started}; its journal P2.json.journal.sqlite): P2.json decided anew what P1.json left, so "
            "this plan's basis is gone and applying it would act under its approval on a state it was not made "
            "against: fetch Sigma's export and plan again with --applied P2.json; nothing was written")

    writes, p1_reversals = counter.total(), read_reversals(journal_path(Path("P1.json")))
    for extra in ((), ("--resume",), ("--limit", "1")):
        code, out, err = cli("apply", "P3.json", *extra, targets=True)  # was: exit 0, P3 applied over P2
        assert (code, err.splitlines()) == (1, [f"sigma-migrate: error: {gone}"]), extra
        assert "Stale-plan check" not in out
    code, out, err = cli("apply", "P3.json", "--dry-run", targets=True)
    assert code == 1
    assert [line for line in out.splitlines() if line.startswith("# note")] == [f"# note: apply will refuse: {gone}"]
    code, out, err = cli("approve", "P3.json", "--by", "T16", "--force")
    assert (code, out, err.splitlines()) == (1, "", [f"sigma-migrate: error: {gone}"])
    assert counter.total() == writes  # nothing sent
    assert not journal_path(Path("P3.json")).exists()
    assert read_reversals(journal_path(Path("P1.json"))) == p1_reversals  # P3 recorded no takeover

    for argv, targets in ((("fetch", "--base-url", server.base_url, "--out", "e3", "--policy", "polC.yaml",
                            "--no-progress"), 1),
                          (("plan", "--sigma", "e3", "--idp", str(OKTA), "--policy", "polC.yaml", "--applied", "P2.json",
                            "--out", "P4.json"), 0),
                          (("approve", "P4.json", "--by", "T16"), 0), (("apply", "P4.json"), 1)):
        code, out, err = cli(*argv, targets=bool(targets) and argv[0] == "apply")
        assert code == 0, (argv, out, err)


@pytest.mark.slow
def test_undo_and_handoff_of_a_plan_a_replan_took_over_from_refuse_naming_it(replanned):
    """After P2 took over from P1: `undo` of P1's journal, an undo plan of P1 made before, and P1's hand-off refuse
    naming P2 (was: the undo plan reversed P1's link of aisha.bello, which P2 keeps; the hand-off was written)."""
    server, counter, cli = replanned
    for argv in (("undo", "P1.json.journal.sqlite", "--out", "U0.json"), ("approve", "U0.json", "--by", "T16")):
        code, out, err = cli(*argv, targets=argv[0] == "undo")
        assert code == 0, (argv, out, err)
    code, out, err = cli("apply", "P2.json", targets=True)
    assert code == 0, out + err
    (started,) = [r.started_at for r in read_journal(Path("P2.json"))[1]]
    undo_refusal = (f"{superseded_by(started)}; what it wrote is the basis P2.json decided anew what to keep of, and an "
                    "undo of it would take back, under that plan's name, what P2.json keeps: undo P2.json with "
                    "`sigma-migrate undo P2.json.journal.sqlite` for what it wrote, and to take back what this plan "
                    "wrote, plan again with --applied P2.json; nothing was written")
    writes, p1_reversals = counter.total(), read_reversals(journal_path(Path("P1.json")))

    code, out, err = cli("undo", "P1.json.journal.sqlite", "--out", "U1.json", targets=True)
    assert (code, out, err.splitlines()) == (1, "", [f"sigma-migrate: error: {undo_refusal}"])
    assert not Path("U1.json").exists()
    code, out, err = cli("apply", "U0.json", targets=True)  # an undo plan made before P2 took over
    assert (code, err.splitlines()) == (1, [f"sigma-migrate: error: {undo_refusal}"])
    code, out, err = cli("handoff", "P1.json", "--idp", "okta", "--out", "pack")
    assert (code, out, err.splitlines()) == (1, "", [
        f"sigma-migrate: error: {superseded_by(started)}; the IdP is to keep what P2.json decided anew, not what this "
        "plan did: hand off P2.json; no hand-off written"])
    assert not Path("pack").exists()
    assert counter.total() == writes
    assert read_reversals(journal_path(Path("P1.json"))) == p1_reversals  # no rollback recorded
    code, out, err = cli("handoff", "P2.json", "--idp", "okta", "--out", "pack")
    assert code == 0, out + err
