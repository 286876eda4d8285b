"""Every file the tool writes goes through planner.output: a missing directory is a one-line refusal
(never created), a replacement is all or nothing, and the tool's own audit records are the only
files that may replace an audit record."""

from __future__ import annotations

import json

import pytest

from planner.execute.approve import approve
from planner.output import OutputError, write_file, write_record
from planner.planfile import read_plan
from planner.report import write_actions_csv, write_html

from .execute_support import write_test_plan


def names(folder) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


@pytest.mark.parametrize("write", [write_html, write_actions_csv], ids=["html", "csv"])
def test_a_report_into_a_missing_directory_is_refused_and_nothing_is_created(tmp_path, write):
    plan = read_plan(write_test_plan(tmp_path))
    target = tmp_path / "missing" / "out"
    with pytest.raises(OutputError) as refused:
        write(plan, target)
    assert str(refused.value) == (f"cannot write {target}: directory {tmp_path / 'missing'} does not exist "
                                  "(create it first)")
    assert names(tmp_path) == ["plan.json"]


def test_approve_writes_its_record_whole_with_no_temporary_file_left(tmp_path):
    plan_path = write_test_plan(tmp_path)
    approve(plan_path, "Ada")
    approve(plan_path, "Bob")
    record = json.loads((tmp_path / "plan.json.approval").read_text(encoding="utf-8"))
    assert (record["approver"], [a["approver"] for a in record["history"]]) == ("Bob", ["Ada"])
    assert names(tmp_path) == ["plan.json", "plan.json.approval"]


def test_only_the_tools_own_records_replace_an_audit_record(tmp_path):
    record = tmp_path / "plan.json.run-1.result.html"
    record.write_text("old result")
    with pytest.raises(OutputError) as refused:
        write_file(record, "<html>")
    assert str(refused.value) == f"cannot write {record}: it is part of an apply's audit trail; choose another name"
    assert record.read_text() == "old result"

    assert write_record(record, "new result ✓") == record
    assert record.read_text(encoding="utf-8") == "new result ✓"
    assert names(tmp_path) == ["plan.json.run-1.result.html"]


def test_a_record_beside_a_missing_plan_folder_is_refused(tmp_path):
    target = tmp_path / "gone" / "plan.json.approval"
    with pytest.raises(OutputError) as refused:
        write_record(target, "{}")
    assert str(refused.value) == f"cannot write {target}: directory {tmp_path / 'gone'} does not exist (create it first)"
    assert names(tmp_path) == []
