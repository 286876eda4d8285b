"""kill -9 at random points of a real ``python -m planner apply`` process, then ``--resume``:
the sandbox converges with exactly one successful write per action (counted on the server side)."""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from planner.execute.approve import approve
from planner.execute.journal import journal_path
from planner.model import AccountType, ActionKind, SigmaExport, SigmaTeam, TeamMembership

from .execute_support import act, counting_sandbox, create, link, make_plan, member, sandbox_env

REPO = Path(__file__).resolve().parent.parent
TRIALS = 3


def org() -> SigmaExport:
    people = [member("mAdmin", "admin@example.com", "Admin")]
    people += [member(f"m{i:02}", f"user{i:02}@example.com") for i in range(1, 17)]
    people[5] = member("m05", "o'neil@example.com")
    return SigmaExport(
        members=tuple(people),
        teams=(SigmaTeam("t1", "Finance"), SigmaTeam("t2", "Ops")),
        team_memberships=tuple(TeamMembership("t1", f"m{i:02}") for i in (1, 2, 13, 14))
        + tuple(TeamMembership("t2", f"m{i:02}") for i in (3, 4, 15)),
        account_types=(AccountType("a1", "Admin"), AccountType("a2", "Pro"), AccountType("a3", "Viewer")),
    )


def plan_actions():
    """21 actions, each needing exactly one write on a fresh sandbox."""
    actions = [link(f"L{i:02}", f"m{i:02}", f"user{i:02}@example.com") for i in range(1, 11) if i != 5]
    actions.append(link("L05", "m05", "o'neil@example.com"))
    actions += [create(f"C{i}", f"hire{i}@example.com") for i in range(1, 4)]
    actions += [
        act("R13", ActionKind.TEAMS_REMOVE_MEMBER, {"teamId": "t1", "memberId": "m13"}, None),
        act("R15", ActionKind.TEAMS_REMOVE_MEMBER, {"teamId": "t2", "memberId": "m15"}, None),
        act("D13", ActionKind.MEMBERS_DEACTIVATE, {"memberId": "m13", "email": "user13@example.com"},
            {"isArchived": True, "newOwnerId": "mAdmin"}, ["R13"]),
        act("D16", ActionKind.MEMBERS_DEACTIVATE, {"memberId": "m16", "email": "user16@example.com"},
            {"isArchived": True, "newOwnerId": "mAdmin"}),
        act("A01", ActionKind.SCIM_SET_ACCOUNT_TYPE, {"memberId": "m01", "userName": "user01@example.com"},
            {"userType": "Pro"}, ["L01"]),
        act("A05", ActionKind.SCIM_SET_ACCOUNT_TYPE, {"memberId": "m05", "userName": "o'neil@example.com"},
            {"userType": "Pro"}, ["L05"]),
        act("G1", ActionKind.SCIM_LINK_GROUP, {"teamId": "t1", "name": "Finance"},
            {"displayName": "Finance", "members": ["user01@example.com", "user02@example.com", "hire1@example.com"]},
            ["L01", "L02", "C1", "R13"]),
    ]
    return actions


def apply_cmd(plan: Path, server, *extra: str) -> list[str]:
    return [sys.executable, "-m", "planner", "apply", str(plan),
            "--rest-base-url", server.base_url, "--scim-base-url", server.scim_base_url,
            "--parallelism", "2", "--backoff-base", "0.01", "--backoff-cap", "0.05", *extra]


def progress_of(journal: Path) -> int:
    """How many actions have started (running or finished) according to the journal, read-only."""
    if not journal.exists():
        return 0
    try:
        db = sqlite3.connect(f"file:{journal}?mode=ro", uri=True, timeout=1)
        try:
            return db.execute("SELECT COUNT(*) FROM actions WHERE state != 'pending'").fetchone()[0]
        finally:
            db.close()
    except sqlite3.Error:
        return 0


@pytest.mark.slow
@pytest.mark.parametrize("trial", range(TRIALS))
def test_kill_9_then_resume_converges_with_one_write_per_action(tmp_path, trial):
    rng = random.Random(1000 + trial)
    server, counter = counting_sandbox(org())
    try:
        server.faults.set(latency_ms=25)
        actions = plan_actions()
        plan = tmp_path / "plan.json"
        from planner.planfile import write_plan

        write_plan(make_plan(actions, org()), plan)
        approve(plan, "Ada Admin")
        env = {**os.environ, **sandbox_env(server), "PYTHONPATH": str(REPO)}
        kill_after = rng.randint(1, len(actions) - 3)

        proc = subprocess.Popen(apply_cmd(plan, server), cwd=REPO, env=env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 60
        while proc.poll() is None and progress_of(journal_path(plan)) < kill_after and time.monotonic() < deadline:
            time.sleep(0.002)
        time.sleep(rng.uniform(0, 0.04))  # land anywhere: between actions, mid-request, mid-journal write
        killed = proc.poll() is None
        if killed:
            os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)

        if killed:
            refused = subprocess.run(apply_cmd(plan, server), cwd=REPO, env=env, capture_output=True, text=True)
            assert refused.returncode == 1
            assert "did not finish" in refused.stderr and "--resume" in refused.stderr
            assert len(refused.stderr.strip().splitlines()) == 1

        resumed = subprocess.run(apply_cmd(plan, server, "--resume", "--json"), cwd=REPO, env=env,
                                 capture_output=True, text=True, timeout=120)
        assert resumed.returncode == 0, resumed.stdout + resumed.stderr

        # Exactly one successful write per action, counted by the server.
        assert counter.total() == len(actions), dict(counter.writes)
        assert set(counter.writes.values()) == {1}, dict(counter.writes)
        db = sqlite3.connect(journal_path(plan))
        states = dict(db.execute("SELECT state, COUNT(*) FROM actions GROUP BY state").fetchall())
        db.close()
        assert states == {"done": len(actions)}
        assert server.state.member_row("m13")["is_archived"] == 1
        assert server.state.member_row("m05")["member_type"] == "Pro"
        assert len(server.state.scim_user_rows()) == 13  # 10 links + 3 creates
    finally:
        server.close()
