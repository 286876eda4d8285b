"""No output may replace an apply's audit trail: an approval, a journal, a run's result, or a plan they belong to."""

from __future__ import annotations

from pathlib import Path

import pytest

from .conftest import run_cli

REPO = Path(__file__).resolve().parent.parent
SAMPLE = REPO / "samples" / "acme"


def plan_to(capsys, out: Path) -> tuple[int, str, str]:
    return run_cli(capsys, "plan", "--sigma", str(SAMPLE / "sigma"), "--idp", str(SAMPLE / "okta"),
                   "--policy", str(REPO / "policies" / "examples" / "okta.yaml"), "--out", str(out))


def test_an_applied_plan_with_its_journal_beside_it_is_not_replaced(capsys, tmp_path):
    plan = tmp_path / "plan.json"
    plan.write_text("the applied plan")
    (tmp_path / "plan.json.journal.sqlite").write_text("its journal")
    code, out, err = plan_to(capsys, plan)
    assert code == 1
    assert err.strip() == (f"sigma-migrate: error: cannot write {plan}: it is a plan with plan.json.journal.sqlite "
                           "beside it (replacing it would orphan that journal); choose another name")
    assert plan.read_text() == "the applied plan"


@pytest.mark.parametrize("name", ["plan.json.approval", "plan.json.journal.sqlite", "plan.json.journal.sqlite-wal",
                                  "plan.json.journal.lock", "plan.json.run-1.result.json",
                                  "plan.json.run-12.result.html"])
def test_an_audit_record_is_never_an_output(capsys, tmp_path, name):
    target = tmp_path / name
    target.write_text("record")
    code, out, err = plan_to(capsys, target)
    assert code == 1
    assert err.strip() == f"sigma-migrate: error: cannot write {target}: it is part of an apply's audit trail; choose another name"
    assert target.read_text() == "record"
    assert sorted(p.name for p in tmp_path.iterdir()) == [name]


def test_a_plan_with_only_an_approval_beside_it_is_replaced(capsys, tmp_path):
    plan = tmp_path / "plan.json"
    plan.write_text("an old draft")
    (tmp_path / "plan.json.approval").write_text("approval of the old draft")
    code, out, err = plan_to(capsys, plan)
    assert code == 0, err
    assert plan.read_text().startswith("{")
