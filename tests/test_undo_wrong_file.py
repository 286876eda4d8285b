"""`undo` given its plan instead of the plan's journal, or a journal that does not exist (tester13 nit 18).

Both said "cannot tell which plan this journal applied; pass --plan PLAN", which points the wrong way: the plan is
the file given. Now the plan is named as a plan, with the journal command to run, and a missing path as missing.
Real files; nothing is written.
"""

from __future__ import annotations

from pathlib import Path

from .conftest import run_cli

REPO = Path(__file__).resolve().parent.parent


def test_a_plan_given_to_undo_names_its_journal(capsys, tmp_path):
    plan = tmp_path / "plan.json"
    code, _, err = run_cli(capsys, "plan", "--sigma", str(REPO / "samples" / "acme" / "sigma"), "--idp",
                           str(REPO / "samples" / "acme" / "okta"), "--policy",
                           str(REPO / "samples" / "acme" / "policy-okta-reviewed.yaml"), "--out", str(plan))
    assert code == 0
    code, out, err = run_cli(capsys, "undo", str(plan), "--out", str(tmp_path / "undo.json"))
    assert (code, out, err) == (1, "", f"sigma-migrate: error: {plan}: this is a plan, not a journal: undo reads the "
                                       f"journal apply kept beside the plan: sigma-migrate undo "
                                       f"{plan}.journal.sqlite --out ...\n")
    assert not (tmp_path / "undo.json").exists()


def test_a_journal_that_does_not_exist_is_said_missing(capsys, tmp_path):
    missing = tmp_path / "plan.json.journal.sqlite"
    code, out, err = run_cli(capsys, "undo", str(missing), "--out", str(tmp_path / "undo.json"))
    assert (code, out, err) == (1, "", f"sigma-migrate: error: {missing}: no such journal (apply writes "
                                       "PLAN.journal.sqlite beside the plan)\n")
