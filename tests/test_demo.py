"""``sigma-migrate demo``: plans the bundled sample, approves, applies to an in-process sandbox, converges."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import planner.sandbox.idp.okta as okta_emulator
import planner.sandbox.server as sandbox_server
from planner.demo import run_demo

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
    okta_started: list[okta_emulator.OktaEmulator] = []

    class RecordingOkta(okta_emulator.OktaEmulator):
        def start(self):
            okta_started.append(self)
            return super().start()

    monkeypatch.setattr(okta_emulator, "OktaEmulator", RecordingOkta)
    lines: list[str] = []

    status = run_demo(tmp_path, echo=lines.append, quiet=True)

    assert status == 0, "\n".join(lines)
    assert lines[-1].startswith("Done in ") and "the sandbox converged to the plan" in lines[-1]
    assert any("blocking review item(s): apply would refuse this plan" in line for line in lines)
    result = json.loads((tmp_path / "plan.json.run-1.result.json").read_text())
    assert result["status"] == "converged" and result["verification"]["converged"]
    assert result["counts"]["done"] == len(result["actions"]) > 100
    assert result["approval"]["approver"] == "sigma-migrate demo"
    for name in ("plan.json", "report.html", "actions.csv", "plan.json.run-1.result.html", "plan.json.approval",
                 "plan.json.journal.sqlite", "plan-default-policy.json", "report-default-policy.html"):
        assert (tmp_path / name).is_file(), name
    html = (tmp_path / "plan.json.run-1.result.html").read_text()
    assert 'id="result"' in html and "Applied and verified" in html
    first_digest = json.loads((tmp_path / "plan-default-policy.json").read_text())["digest"]
    assert f'id="plan-digest">{first_digest}</dd>' in (tmp_path / "report-default-policy.html").read_text()

    # the whole job ran from live pulls: fetch from the sandbox, fetch-idp from the Okta emulator
    assert sorted(p.name for p in (tmp_path / "export" / "okta").iterdir()) == [
        "fetch-idp-manifest.json", "group_members.json", "groups.json", "users.json"]
    assert sorted(p.name for p in (tmp_path / "export" / "sigma").iterdir()) == [
        "account_types.json", "fetch-manifest.json", "members.json", "scim", "team_members.json", "teams.json"]
    assert lines[2] == (f"   fetch: 149 members, 15 teams, 158 team memberships into {tmp_path / 'export' / 'sigma'}")
    assert lines[3] == ("   fetch-idp okta: 166 users (9 inactive), 25 groups, 524 group memberships into "
                        f"{tmp_path / 'export' / 'okta'}")
    (okta,) = okta_started
    assert okta.request_counts["GET /api/v1/users"] == 1 and okta.request_counts["GET /api/v1/groups"] == 1

    (server,) = started
    secrets = [server.client_id, server.client_secret, server.scim_token, *server.credentials._access, okta.token]
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
                   f"{tmp_path / 'work' / 'plan.json.run-1.result.html'}"


def test_demo_refuses_a_workdir_holding_its_files_unless_told_to_overwrite(tmp_path, capsys):
    """Tester B15: `demo --workdir DIR` silently overwrote an existing plan.json and report.html."""
    from .conftest import run_cli

    (tmp_path / "plan.json").write_text("my own plan\n", encoding="utf-8")
    (tmp_path / "report.html").write_text("<p>mine</p>\n", encoding="utf-8")
    (tmp_path / "notes.txt").write_text("kept\n", encoding="utf-8")
    code, out, err = run_cli(capsys, "demo", "--workdir", str(tmp_path))
    assert code == 1 and out == ""
    assert err.strip().splitlines()[-1].endswith(
        f"{tmp_path} already holds the demo's files (plan.json, report.html); pass --overwrite to replace them, "
        "or give a new --workdir; nothing was written")
    assert (tmp_path / "plan.json").read_text(encoding="utf-8") == "my own plan\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt", "plan.json", "report.html"]

    (tmp_path / "plan.json.journal").write_text("an earlier run's journal\n", encoding="utf-8")
    code, out, _ = run_cli(capsys, "demo", "--workdir", str(tmp_path), "--overwrite")
    assert code == 0, out
    assert (tmp_path / "plan.json").read_text(encoding="utf-8").startswith("{")
    assert (tmp_path / "notes.txt").read_text(encoding="utf-8") == "kept\n"
