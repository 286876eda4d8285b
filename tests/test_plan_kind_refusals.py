"""A command given a plan of a kind it cannot use refuses it with one line, exit 1, nothing written (tester12
finding 14): ``handoff`` of an undo plan (it wrote Link Group steps for the teams the rollback reset) or of a plan an
applied undo plan rolled back; ``diff`` of a migration plan against an undo plan (196 removed actions, exit 2).
What each can use still works: ``handoff`` of the applied migration plan, ``diff`` of two undo plans. (``undo`` of
an undo plan's journal and ``verify`` of a rolled-back plan refuse too: tests/test_rollback_waves.py; ``approve``
and ``apply`` of the undo plan work: the fixture and tests/test_apply_after_rollback.py.)

The tester's sequence on the bundled sample (okta, reviewed policy) over the sandbox: plan -> approve -> apply ->
``undo plan.json.journal.sqlite --out undo.json`` -> approve -> apply the undo plan.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from planner.execute.journal import journal_path, read_reversals
from planner.planfile import read_plan

from .test_apply_after_rollback import REDONE, rolled_back_sequence


@pytest.fixture
def rolled_back(tmp_path, capsys, monkeypatch):
    """plan.json applied, undo.json made from its journal and approved (not applied): ``(server, counter, cli)``."""
    with rolled_back_sequence(tmp_path, capsys, monkeypatch) as found:
        yield found


def rolled_back_words(at: str) -> str:
    undo = read_plan(Path("undo.json"))
    return (f"sigma-migrate: error: plan.json: this plan was rolled back by undo plan undo.json ({undo.digest}) run 1 "
            f"(started {at}), which reversed 32 of its action(s) ({REDONE}); ")


def undo_plan_words() -> str:
    return (f"sigma-migrate: error: undo.json: this is an undo plan (it reverses {read_plan(Path('plan.json')).digest}): ")


def test_handoff_refuses_an_undo_plan_and_the_plan_it_rolled_back(rolled_back):
    server, counter, cli = rolled_back
    code, out, err = cli("handoff", "undo.json", "--idp", "okta", "--out", "pack", targets=False)
    assert (code, out, err.splitlines()) == (1, "", [
        undo_plan_words() + "it gets no IdP hand-off: a hand-off tells the IdP admin how to keep what a migration "
        "plan did, and an undo plan rolls that back; hand off the migration plan of a new `sigma-migrate plan` "
        "instead; no hand-off written"])
    assert not Path("pack").exists()
    # applied, not rolled back yet: the migration plan is handed off
    code, out, err = cli("handoff", "plan.json", "--idp", "okta", "--out", "pack", targets=False)
    assert (code, err) == (0, "") and Path("pack/README.md").is_file()

    assert cli("apply", "undo.json")[0] == 0
    (recorded,) = read_reversals(journal_path(Path("plan.json")))
    code, out, err = cli("handoff", "plan.json", "--idp", "okta", "--out", "pack2", targets=False)
    assert (code, out, err.splitlines()) == (1, "", [
        rolled_back_words(recorded.at) + "a hand-off of it would have the IdP push again what the rollback reversed: "
        "fetch Sigma's export, plan and approve again, and hand off the new plan; no hand-off written"])
    assert not Path("pack2").exists()
    # --draft writes no pack of it either
    code, out, err = cli("handoff", "undo.json", "--idp", "generic", "--out", "pack2", "--draft", targets=False)
    assert (code, out, err.startswith(undo_plan_words())) == (1, "", True)
    assert not Path("pack2").exists()


def test_diff_refuses_a_migration_plan_against_an_undo_plan_and_compares_two_undo_plans(rolled_back):
    server, counter, cli = rolled_back
    undoes = read_plan(Path("plan.json")).digest
    for old, new in (("plan.json", "undo.json"), ("undo.json", "plan.json")):
        kinds = {"plan.json": "a migration plan", "undo.json": f"an undo plan (it reverses {undoes})"}
        for extra in ((), ("--json",)):
            code, out, err = cli("diff", old, new, *extra, targets=False)
            assert (code, out, err.splitlines()) == (1, "", [
                f"sigma-migrate: error: {old} is {kinds[old]} and {new} {kinds[new]}: diff compares two plans of one "
                "kind (two migration plans, or two undo plans); review the undo plan with `sigma-migrate show "
                "undo.json`"]), (old, extra)
    code, out, err = cli("undo", "plan.json.journal.sqlite", "--out", "undo-again.json", targets=False)
    assert code == 0, err
    code, out, err = cli("diff", "undo.json", "undo-again.json", targets=False)
    assert (code, out.splitlines()[-1]) == (0, "No differences: both plans make the same changes and raise the same "
                                               "review items.")
