"""kill -9 at random points of a real ``python -m planner apply`` process, then ``--resume``:
the sandbox converges with exactly one successful write per action (counted on the server side)."""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import time

import pytest

from planner.execute.approve import approve
from planner.execute.journal import journal_path

from .execute_support import REPO, apply_cmd, counting_sandbox, make_plan, progress_of, sandbox_env
from .execute_support import resume_org as org
from .execute_support import resume_plan_actions as plan_actions

TRIALS = 3


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
        assert server.state.counts()["scim_users"] == 13  # 10 links + 3 creates
    finally:
        server.close()
