"""Ctrl-C, --resume and what apply says about them; the result's per-kind columns (this run vs total)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time

import pytest

from planner.execute.apply import apply_plan, resume_line
from planner.execute.journal import Journal, journal_path
from planner.planfile import write_plan

from .execute_support import (
    REPO,
    apply_cmd,
    counting_sandbox,
    journal_states,
    make_plan,
    options_for,
    resume_org,
    resume_plan_actions,
    sandbox_env,
    small_org,
    write_test_plan,
)


def test_resume_without_a_journal_starts_from_the_beginning(tmp_path, sandbox_factory):
    """The journal is opened before the first write: without one, nothing was written (issue 12, item 7)."""
    server = sandbox_factory(small_org())
    plan = write_test_plan(tmp_path)
    said: list[str] = []

    report = apply_plan(plan, options_for(server, auto_approve=True, resume=True), echo=said.append)

    assert ("Resuming: no earlier run of this plan started (no journal, or a journal without a run, at "
            "plan.json.journal.sqlite), so nothing was written; starting from the beginning") in said
    assert report.mode == "apply" and report.status == "converged" and report.writes == 8


def test_resume_line_counts_what_is_left_by_state_over_the_run_s_own_selection(tmp_path):
    """tester7 NEW-2: the counts are the resumed run's, never the plan's (a0 done and a7 pending are
    outside its selection)."""
    ids = [f"a{i}" for i in range(8)]
    journal = Journal.open(tmp_path / "plan.json", "sha256:x", [(i, "members.deactivate") for i in ids])
    for i in ids[:3]:
        journal.mark_running(i)
        journal.mark_done(i, "written")
    journal.mark_running("a3")
    journal.mark_running("a4")
    journal.mark_failed("a4", "boom")
    journal.mark_skipped(["a5"], "dependency a4 failed")
    journal.start_run("apply", wave="limit 6", wave_actions=ids[1:7], selection=("--limit", "6"))
    run, rows = journal.runs()[0], journal.rows()
    journal.close()

    assert resume_line("plan.json", run, rows, ids[1:7]) == (
        "Resuming run 1 (--limit 6): 4 of 6 action(s) still to run (1 not started, 1 interrupted mid-action, "
        "1 failed earlier, 1 skipped earlier), 2 already done")


def test_a_resumed_finished_run_says_nothing_is_left(tmp_path, sandbox_factory):
    server = sandbox_factory(small_org())
    plan = write_test_plan(tmp_path)
    apply_plan(plan, options_for(server, auto_approve=True))
    said: list[str] = []

    report = apply_plan(plan, options_for(server, auto_approve=True, resume=True), echo=said.append)

    assert said[-2:] == ["Nothing to resume: no run of this plan is unfinished (the last, run 1 with the whole plan, "
                         f"converged); applying the whole plan as a new run, as `sigma-migrate apply {plan}` does",
                         "Verifying: re-reading the targets of 8 action(s)"]
    assert (report.mode, report.status, report.writes) == ("reapply", "converged", 0)
    assert {r.outcome for r in report.results.values()} == {"already"} and len(report.results) == 8


def result_run(folder) -> int:
    """The number of the last run that wrote a result file beside the plan."""
    return max(int(p.name.split(".")[2].removeprefix("run-")) for p in folder.glob("plan.json.run-*.result.json"))


def test_result_columns_separate_this_run_from_all_runs(tmp_path, sandbox_factory):
    server = sandbox_factory(small_org())
    plan = write_test_plan(tmp_path)
    apply_plan(plan, options_for(server, auto_approve=True))

    again = apply_plan(plan, options_for(server, auto_approve=True, write_html=True))  # a re-apply: all "already"

    result = json.loads((tmp_path / "plan.json.run-2.result.json").read_text())  # each run keeps its own
    assert again.mode == "reapply" and result["writes"] == 0 and result["run"] == 2
    assert result["by_kind"] == {
        "members.deactivate": {"written_this_run": 0, "already_this_run": 1, "written_by_interrupted_run": 0, "done_total": 1,
                               "failed": 0, "skipped": 0, "pending": 0},
        "members.disable_guest": {"written_this_run": 0, "already_this_run": 1, "written_by_interrupted_run": 0, "done_total": 1,
                                  "failed": 0, "skipped": 0, "pending": 0},
        "scim.create_user": {"written_this_run": 0, "already_this_run": 1, "written_by_interrupted_run": 0, "done_total": 1,
                             "failed": 0, "skipped": 0, "pending": 0},
        "scim.link_group": {"written_this_run": 0, "already_this_run": 1, "written_by_interrupted_run": 0, "done_total": 1,
                            "failed": 0, "skipped": 0, "pending": 0},
        "scim.link_user": {"written_this_run": 0, "already_this_run": 2, "written_by_interrupted_run": 0, "done_total": 2,
                           "failed": 0, "skipped": 0, "pending": 0},
        "scim.set_account_type": {"written_this_run": 0, "already_this_run": 1, "written_by_interrupted_run": 0, "done_total": 1,
                                  "failed": 0, "skipped": 0, "pending": 0},
        "teams.remove_member": {"written_this_run": 0, "already_this_run": 1, "written_by_interrupted_run": 0, "done_total": 1,
                                "failed": 0, "skipped": 0, "pending": 0},
    }
    html = (tmp_path / "plan.json.run-2.result.html").read_text()
    table = html[html.index('id="result-kinds"'):html.index("</table>", html.index('id="result-kinds"'))]
    assert '<th colspan="3" class="num">This run</th><th colspan="4" class="num">After this run (all runs)</th>' in table
    assert '<th class="num">Written this run</th><th class="num">Already so (checked this run)</th>' in table
    assert '<th class="num">Done in total</th>' in table


@pytest.mark.slow
def test_ctrl_c_finishes_what_is_in_flight_then_says_how_to_resume(tmp_path):
    server, counter = counting_sandbox(resume_org())
    try:
        server.faults.set(latency_ms=40)
        actions = resume_plan_actions()
        plan = tmp_path / "plan.json"
        write_plan(make_plan(actions, resume_org()), plan)
        env = {**os.environ, **sandbox_env(server), "PYTHONPATH": str(REPO)}
        # SIGINT must raise KeyboardInterrupt in the child even when this test runs with SIGINT ignored
        proc = subprocess.Popen(apply_cmd(plan, server, "--auto-approve"), cwd=REPO, env=env, text=True,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
        deadline = time.monotonic() + 60
        while journal_states(journal_path(plan)).get("done", 0) < 4 and time.monotonic() < deadline:
            time.sleep(0.005)
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=60)

        assert proc.returncode == 130, err
        assert err.splitlines()[-1] == (f"sigma-migrate: error: interrupted; run `sigma-migrate apply {plan} "
                                        "--resume` to continue")
        states = journal_states(journal_path(plan))
        done = states["done"]
        assert states == {"done": done, "pending": len(actions) - done}  # in-flight actions finished, none running
        assert 4 <= done < len(actions)
        assert counter.total() == done

        server.faults.set(latency_ms=0)
        resumed = subprocess.run(apply_cmd(plan, server, "--auto-approve", "--resume"), cwd=REPO, env=env,
                                 capture_output=True, text=True, timeout=120)

        assert resumed.returncode == 0, resumed.stdout + resumed.stderr
        left = len(actions) - done
        lines = resumed.stdout.splitlines()
        assert len(actions) == 20
        assert (f"Resuming run 1 (the whole plan): {left} of 20 action(s) still to run ({left} not started), "
                f"{done} already done") in lines
        assert any(line.startswith(f"Apply converged: 20 of 20 done ({left} written this run, {done} done by an "
                                   "earlier run), 0 failed, 0 skipped in ") for line in lines), lines
        result = json.loads((tmp_path / f"plan.json.run-{result_run(tmp_path)}.result.json").read_text())
        assert sum(k["written_this_run"] for k in result["by_kind"].values()) == left == result["writes"]
        assert sum(k["done_total"] for k in result["by_kind"].values()) == 20
        assert counter.total() == 20 and set(counter.writes.values()) == {1}
    finally:
        server.close()
