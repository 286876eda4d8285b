"""``--resume`` after an interrupted or unfinished wave runs that wave, never the whole plan
(issue 10, tester5 finding 1), against the real sandbox over HTTP."""

from __future__ import annotations

import os
import signal
import subprocess
import time

import pytest

from planner.execute.apply import apply_plan, outcome_lines
from planner.execute.errors import ApplyRefused
from planner.execute.journal import RunRow, journal_path, read_journal, read_runs
from planner.execute.resume import check_resume_selection, resume_command
from planner.planfile import write_plan
from planner.sandbox.server import SandboxServer
from planner.selection import select

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
    WriteCounter,
)

LINKS = ("L01", "L02", "L03", "L04", "L06", "L07", "L08", "L09", "L10", "L05")
"""The wave ``--only kind:scim.link_user`` of :func:`resume_plan_actions`, in plan order."""


def refusal(plan, given: str) -> str:
    return (f"{plan}: --resume continues run 1 (interrupted), which applied --only kind:scim.link_user (10 action(s)), "
            f"with exactly its selection: `sigma-migrate apply {plan} --resume --only kind:scim.link_user`; "
            f"this command gave {given}; to apply more, finish that wave first, then start the next one with "
            f"`sigma-migrate apply {plan} --only ...` (or without --only for the rest); nothing was written")


@pytest.mark.slow
def test_ctrl_c_of_a_wave_says_resume_with_its_selection_and_resume_runs_only_that_wave(tmp_path):
    server, counter = counting_sandbox(resume_org())
    try:
        server.faults.set(latency_ms=40)
        plan = tmp_path / "plan.json"
        write_plan(make_plan(resume_plan_actions(), resume_org()), plan)
        env = {**os.environ, **sandbox_env(server), "PYTHONPATH": str(REPO)}
        proc = subprocess.Popen(apply_cmd(plan, server, "--auto-approve", "--only", "kind:scim.link_user"), cwd=REPO,
                                env=env, text=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 60
        while journal_states(journal_path(plan)).get("done", 0) < 3 and time.monotonic() < deadline:
            time.sleep(0.005)
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=60)

        assert proc.returncode == 130, err
        assert err.splitlines()[-1] == (f"sigma-migrate: error: interrupted; run `sigma-migrate apply {plan} --resume "
                                        "--only kind:scim.link_user` to continue")
        _, runs, rows = read_journal(plan)
        assert [(r.run_id, r.status, r.wave, r.selection) for r in runs] == [
            (1, "interrupted", "only kind:scim.link_user", ("--only", "kind:scim.link_user"))]
        done = {aid for aid, r in rows.items() if r.state == "done"}
        assert 3 <= len(done) < 10 and done < set(LINKS)
        writes = counter.total()
        assert writes == len(done)
        server.faults.set(latency_ms=0)

        # the plain --resume would have run the other 10 actions of the plan (deactivations included)
        for given, only in (("no --only/--limit (the whole plan)", ()),
                            ("--only kind:scim.link_user --only team:Ops", ("kind:scim.link_user", "team:Ops")),
                            ("--only team:Finance", ("team:Finance",))):
            with pytest.raises(ApplyRefused) as refused:
                apply_plan(plan, options_for(server, auto_approve=True, resume=True, only=only))
            assert str(refused.value) == refusal(plan, given)
        assert counter.total() == writes  # nothing was sent
        assert len(read_runs(plan)[1]) == 1

        report = apply_plan(plan, options_for(server, auto_approve=True, resume=True, only=("kind:scim.link_user",)))

        assert (report.mode, report.status, report.wave, report.writes) == (
            "resume", "converged", "only kind:scim.link_user", 10 - len(done))
        assert journal_states(journal_path(plan)) == {"done": 10, "pending": 10}
        assert {aid for aid, r in read_journal(plan)[2].items() if r.state == "done"} == set(LINKS)
        assert counter.total() == 10
        assert outcome_lines(report)[-1] == (f"Wave 'only kind:scim.link_user' done; 10 action(s) of the plan are "
                                             f"left for later waves: sigma-migrate apply {plan} (the rest) or "
                                             "--only ... (the next wave)")
        rest = apply_plan(plan, options_for(server, auto_approve=True, resume=True))  # the wave converged: not bound
        assert (rest.status, rest.writes, counter.total()) == ("converged", 10, 20)
    finally:
        server.close()


class RefuseTeamWrites:
    """WSGI middleware: while ``on``, ``PATCH /v2/teams/t1/members`` answers 400 (the action fails)."""

    def __init__(self, app):
        self.app, self.on = app, True

    def __call__(self, environ, start_response):
        if self.on and environ["REQUEST_METHOD"] == "PATCH" and environ.get("PATH_INFO") == "/v2/teams/t1/members":
            start_response("400 Bad Request", [("Content-Type", "application/json")])
            return [b'{"code": "bad_request", "message": "refused by the test"}']
        return self.app(environ, start_response)


def test_an_unfinished_wave_says_continue_with_its_selection_and_resume_refuses_the_whole_plan(tmp_path):
    server = SandboxServer(resume_org(), token_rate=None)
    counter = WriteCounter(server.app)
    server.app = refuse = RefuseTeamWrites(counter)
    server.start()
    try:
        plan = tmp_path / "plan.json"
        write_plan(make_plan(resume_plan_actions(), resume_org()), plan)
        first = apply_plan(plan, options_for(server, auto_approve=True, only=("team:Finance",)))

        assert (first.status, first.counts) == ("incomplete", {"done": 3, "failed": 1, "skipped": 1, "pending": 0,
                                                              "running": 0})
        assert outcome_lines(first)[-1] == (f"Continue with: sigma-migrate apply {plan} --resume --only team:Finance")
        with pytest.raises(ApplyRefused, match=r"--resume continues run 1 \(incomplete\), which applied --only "
                                               r"team:Finance \(5 action\(s\)\), with exactly its selection"):
            apply_plan(plan, options_for(server, auto_approve=True, resume=True))
        refuse.on = False
        again = apply_plan(plan, options_for(server, auto_approve=True, resume=True, only=("team:Finance",)))
        assert (again.status, again.writes, again.plan_left) == ("converged", 2, 15)
        assert counter.total() == 5
    finally:
        server.close()


def test_the_resume_command_is_quoted_to_paste_as_printed():
    assert resume_command("my plan.json", ("--only", "team:Customer Success", "--limit", "5")) == (
        "sigma-migrate apply 'my plan.json' --resume --only 'team:Customer Success' --limit 5")
    assert resume_command("plan.json", ()) == "sigma-migrate apply plan.json --resume"


def run_row(run_id: int, status: str | None, wave: str, wave_actions, selection) -> RunRow:
    return RunRow(run_id, "apply", "2026-12-06T02:00:00.000Z", None, status, {}, "Ada Admin", None, wave,
                  wave_actions, selection)


def test_which_run_resume_is_bound_to_and_what_it_says_for_a_whole_plan_run_and_an_old_journal():
    plan = make_plan(resume_plan_actions(), resume_org())
    whole, wave = select(plan, (), None), select(plan, ("team:Ops",), None)
    every = tuple(a.id for a in plan.actions)

    with pytest.raises(ApplyRefused) as refused:
        check_resume_selection("plan.json", [run_row(1, None, "", every, ())], wave)
    assert str(refused.value) == (
        "plan.json: --resume continues run 1 (killed), which applied the whole plan (20 action(s)), with exactly its "
        "selection: `sigma-migrate apply plan.json --resume`; this command gave --only team:Ops; nothing was written")
    with pytest.raises(ApplyRefused) as refused:  # a journal written before runs.selection: the wave's label
        check_resume_selection("plan.json", [run_row(1, "interrupted", "only team:Ops", ("R15",), None)], whole)
    assert str(refused.value).startswith(
        "plan.json: --resume continues run 1 (interrupted), which applied wave 'only team:Ops' (1 action(s)), with "
        "exactly its selection: `sigma-migrate apply plan.json --resume --only ... (as that wave)`")
    check_resume_selection("plan.json", [run_row(1, "interrupted", "only team:Ops", ("R15",), None)], wave)
    check_resume_selection("plan.json", [run_row(1, None, "", None, None)], whole)  # older than waves: whole plan
    for status in ("converged", "unverified"):  # nothing of that run to resume: not bound
        check_resume_selection("plan.json", [run_row(1, "interrupted", "", every, ()),
                                             run_row(2, status, "only team:Ops", ("R15",), ("--only", "team:Ops"))],
                               whole)
