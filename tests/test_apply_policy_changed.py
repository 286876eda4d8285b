"""A policy file edited after the plan was made is named by apply and --dry-run (tester14b finding 11): the
approved plan is what runs, made from the policy as it was; nothing said so before."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

from planner.execute.apply import apply_plan, dry_run_lines

from .execute_support import approved_sample_plan, counting_sandbox, options_for
from .sandbox_fixture import ACME_SIGMA_DIR

REPO = Path(__file__).resolve().parent.parent


def test_apply_and_dry_run_name_a_policy_file_changed_since_the_plan(tmp_path):
    policy = tmp_path / "policy.yaml"
    shutil.copy(REPO / "policies/examples/demo.yaml", policy)
    then = hashlib.sha256(policy.read_bytes()).hexdigest()
    path = approved_sample_plan(tmp_path / "plan.json", REPO / "samples/acme/okta", policy)
    server, _ = counting_sandbox(ACME_SIGMA_DIR)
    try:
        assert not [line for line in dry_run_lines(path, options_for(server)) if "changed since" in line]
        policy.write_text(policy.read_text() + "\n# tightened after approval\n")
        printed = [line for line in dry_run_lines(path, options_for(server)) if "changed since" in line]
        lines: list[str] = []
        report = apply_plan(path, options_for(server), echo=lines.append)
    finally:
        server.close()
    now = hashlib.sha256(policy.read_bytes()).hexdigest()
    note = (f"{policy} changed since this plan was made (sha256 {then[:12]}... then, {now[:12]}... now): apply follows "
            "the approved plan, made from the policy as it was; to apply the policy as it is now, plan again and "
            "approve the new plan")
    assert printed == [f"# note: {note}"]
    assert report.status == "converged"  # the approved plan, as approved
    assert [line for line in lines if line.startswith("note:")] == [f"note: {note}"]
