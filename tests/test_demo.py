"""``sigma-migrate demo``: plans the bundled sample, approves, applies to an in-process sandbox, converges."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import planner.sandbox.server as sandbox_server
from planner.execute.demo import AddressConflict, address_conflicts, run_demo
from planner.model import Action, ActionKind

from .execute_support import make_plan, member

REPO = Path(__file__).resolve().parent.parent


@pytest.mark.slow
def test_demo_converges_and_writes_the_plan_report_and_result_without_a_secret(tmp_path, monkeypatch):
    started: list[sandbox_server.SandboxServer] = []
    original = sandbox_server.SandboxServer

    class Recording(original):  # remember the sandbox so the test knows its credentials
        def start(self):
            started.append(self)
            return super().start()

    monkeypatch.setattr(sandbox_server, "SandboxServer", Recording)
    lines: list[str] = []

    status = run_demo(tmp_path, echo=lines.append, quiet=True)

    assert status == 0, "\n".join(lines)
    assert lines[-1].startswith("Done in ") and "the sandbox converged to the plan" in lines[-1]
    assert any("blocking review item(s): apply would refuse this plan" in line for line in lines)
    result = json.loads((tmp_path / "plan.json.result.json").read_text())
    assert result["status"] == "converged" and result["verification"]["converged"]
    assert result["counts"]["done"] == len(result["actions"]) > 100
    assert result["approval"]["approver"] == "sigma-migrate demo"
    for name in ("plan.json", "report.html", "actions.csv", "plan.json.result.html", "plan.json.approval",
                 "plan.json.journal.sqlite", "plan-default-policy.json", "report-default-policy.html"):
        assert (tmp_path / name).is_file(), name
    html = (tmp_path / "plan.json.result.html").read_text()
    assert 'id="result"' in html and "Applied and verified" in html

    (server,) = started
    secrets = [server.client_id, server.client_secret, server.scim_token, *server.credentials._access]
    for path in tmp_path.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            assert not any(s.encode() in data for s in secrets), path
    assert not any(s in line for s in secrets for line in lines)


@pytest.mark.slow
def test_demo_command_runs_from_a_fresh_process(tmp_path):
    done = subprocess.run(
        [sys.executable, "-m", "planner", "demo", "--workdir", str(tmp_path / "work")],
        cwd=REPO, env={**os.environ, "PYTHONPATH": str(REPO)}, capture_output=True, text=True, timeout=180,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    last = done.stdout.strip().splitlines()[-1]
    assert last == f"Done in {last.split()[2]} s: the sandbox converged to the plan. Open the report: " \
                   f"{tmp_path / 'work' / 'plan.json.result.html'}"


def test_address_conflicts_name_the_other_member_holding_a_provisioned_user_name():
    members = [member("m1", "bob.ray@example.com"), member("m2", "Bob.Ray@example.com"),
               member("m3", "ann@example.com"), member("m4", "Ann@example.com")]
    link_bob = Action("L1", ActionKind.SCIM_LINK_USER, {"memberId": "m1", "userName": "bob.ray@example.com"},
                      None, {"userName": "bob.ray@example.com"}, "r", "r")
    link_ann = Action("L3", ActionKind.SCIM_LINK_USER, {"memberId": "m3", "userName": "ann@example.com"},
                      None, {"userName": "ann@example.com"}, "r", "r")
    move_ann_twin = Action("E4", ActionKind.MEMBERS_SET_EMAIL, {"memberId": "m4"}, None,
                           {"email": "ann.other@example.com"}, "r", "r")
    plan = make_plan([link_bob, link_ann, move_ann_twin], fingerprints={})

    conflicts = address_conflicts(plan, members)

    assert conflicts == [AddressConflict("bob.ray@example.com", "m2", "Bob.Ray@example.com")]
    assert conflicts[0].freed_email() == "Bob.Ray+duplicate-m2@example.com"
