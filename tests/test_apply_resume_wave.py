"""``--resume`` after an interrupted or unfinished wave runs that wave, never the whole plan
(issue 10, tester5 finding 1), against the real sandbox over HTTP."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from contextlib import contextmanager
from dataclasses import replace

import pytest

from planner.execute.apply import apply_plan, outcome_lines
from planner.execute.errors import ApplyRefused
from planner.execute.journal import JournalRow, RunRow, journal_path, read_journal, read_runs
from planner.execute.resume import check_unfinished_run, resume_command, unfinished_run
from planner.execute.verify_plan import interrupted_run
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
        assert outcome_lines(report)[-1] == (f"Wave 'only kind:scim.link_user' converged; 10 of 20 action(s) of the "
                                             "plan not applied yet (2 members.deactivate, 3 scim.create_user, 1 scim.link_group, "
                                             "2 scim.set_account_type, 2 teams.remove_member): "
                                             f"`sigma-migrate apply {plan}` applies the rest, or "
                                             f"`sigma-migrate apply {plan} --only ...` the next wave")
        rest = apply_plan(plan, options_for(server, auto_approve=True, resume=True))  # the wave converged: not bound
        assert (rest.status, rest.writes, counter.total()) == ("converged", 10, 20)
    finally:
        server.close()


class RefuseTeamWrites:
    """WSGI middleware: while ``on``, ``PATCH /v2/teams/t1/members`` answers 503 (the action fails once its
    tries run out, a failure a later run may not meet: ``--resume`` is the advice, tester9 finding F2)."""

    def __init__(self, app):
        self.app, self.on = app, True

    def __call__(self, environ, start_response):
        if self.on and environ["REQUEST_METHOD"] == "PATCH" and environ.get("PATH_INFO") == "/v2/teams/t1/members":
            start_response("503 Service Unavailable", [("Content-Type", "application/json")])
            return [b'{"code": "internal_error", "message": "unavailable in the test"}']
        return self.app(environ, start_response)


@contextmanager
def finance_wave_refused(tmp_path):
    """The resume organization's sandbox, started, whose ``PATCH /v2/teams/t1/members`` answers 503
    (:class:`RefuseTeamWrites` over a :class:`WriteCounter`), and its plan applied ``--only team:Finance``
    (that write fails, the action behind it is skipped): yields ``(server, counter, refuse, plan, first)``,
    ``first`` the wave's report; the sandbox is closed after."""
    server = SandboxServer(resume_org(), token_rate=None)
    counter = WriteCounter(server.app)
    server.app = refuse = RefuseTeamWrites(counter)
    server.start()
    try:
        plan = tmp_path / "plan.json"
        write_plan(make_plan(resume_plan_actions(), resume_org()), plan)
        yield server, counter, refuse, plan, apply_plan(plan, options_for(server, auto_approve=True,
                                                                           only=("team:Finance",)))
    finally:
        server.close()


def test_an_unfinished_wave_says_continue_with_its_selection_and_resume_refuses_the_whole_plan(tmp_path):
    with finance_wave_refused(tmp_path) as (server, counter, refuse, plan, first):
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


def test_the_resume_command_is_quoted_to_paste_as_printed():
    assert resume_command("my plan.json", ("--only", "team:Customer Success", "--limit", "5")) == (
        "sigma-migrate apply 'my plan.json' --resume --only 'team:Customer Success' --limit 5")
    assert resume_command("plan.json", ()) == "sigma-migrate apply plan.json --resume"


def run_row(run_id: int, status: str | None, wave: str, wave_actions, selection) -> RunRow:
    return RunRow(run_id, "apply", "2026-12-06T02:00:00.000Z", None, status, {}, "Ada Admin", None, wave,
                  wave_actions, selection)


def journal_rows(plan, **states) -> dict[str, JournalRow]:
    """Every action of ``plan`` ``pending`` (never started), but those named by state:
    ``journal_rows(plan, done=("L01",), running=("L02",))``."""
    state_of = {aid: state for state, ids in states.items() for aid in ids}
    return {a.id: JournalRow(a.id, n, a.kind.value, state_of.get(a.id, "pending"), int(a.id in state_of), 0,
                             None, None, None, {}, None, None)
            for n, a in enumerate(plan.actions)}


def test_which_run_resume_is_bound_to_and_what_it_says_for_a_whole_plan_run_and_an_old_journal():
    plan = make_plan(resume_plan_actions(), resume_org())
    whole, wave = select(plan, (), None), select(plan, ("team:Ops",), None)
    every = tuple(a.id for a in plan.actions)
    killed = [run_row(1, None, "", every, ())]
    rows = journal_rows(plan, running=("L01",))

    with pytest.raises(ApplyRefused) as refused:
        check_unfinished_run("plan.json", killed, rows, wave, resume=True)
    assert str(refused.value) == (
        "plan.json: --resume continues run 1 (killed), which applied the whole plan (20 action(s)), with exactly its "
        "selection: `sigma-migrate apply plan.json --resume`; this command gave --only team:Ops; nothing was written")
    old = [run_row(1, "interrupted", "only team:Ops", ("R15",), None)]  # a journal written before runs.selection
    with pytest.raises(ApplyRefused) as refused:
        check_unfinished_run("plan.json", old, journal_rows(plan), whole, resume=True)
    assert str(refused.value).startswith(
        "plan.json: --resume continues run 1 (interrupted), which applied wave 'only team:Ops' (1 action(s)), with "
        "exactly its selection: `sigma-migrate apply plan.json --resume --only ... (as that wave)`")
    assert check_unfinished_run("plan.json", old, journal_rows(plan), wave, resume=True) == old[0]
    older = [run_row(1, None, "", None, None)]  # older than waves: the whole plan
    assert check_unfinished_run("plan.json", older, rows, whole, resume=True) == older[0]
    for status in ("converged", "unverified"):  # run 1 resumed to its end: nothing to resume, not bound
        runs = [run_row(1, "interrupted", "only team:Ops", ("R15",), ("--only", "team:Ops")),
                run_row(2, status, "only team:Ops", ("R15",), ("--only", "team:Ops"))]
        assert unfinished_run(runs, journal_rows(plan, done=("R15",))) is None
        assert check_unfinished_run("plan.json", runs, journal_rows(plan, done=("R15",)), whole, resume=True) is None
        assert check_unfinished_run("plan.json", runs, journal_rows(plan, done=("R15",)), whole, resume=False) is None


def test_an_interrupted_or_killed_run_refuses_every_other_apply_whichever_run_came_after_it():
    """Tester6 finding 7: the rule looked at the last run only, so after one more wave ``--resume``
    ran the whole plan; and an interrupted run that journaled its end let a plain apply run everything."""
    plan = make_plan(resume_plan_actions(), resume_org())
    whole, links, deactivations = (select(plan, only, None) for only in ((), ("kind:scim.link_user",),
                                                                           ("kind:members.deactivate",)))
    run1 = run_row(1, "interrupted", "only kind:scim.link_user", links.action_ids, ("--only", "kind:scim.link_user"))
    run2 = run_row(2, "converged", "only kind:members.deactivate", deactivations.action_ids,
                   ("--only", "kind:members.deactivate"))
    rows = journal_rows(plan, done=("L01", "L02", "L03") + deactivations.action_ids)
    assert deactivations.action_ids == ("R13", "D13", "D16")

    assert unfinished_run([run1, run2], rows) == run1  # a journal from before this rule: run 2 ran anyway
    for wave in (whole, deactivations, select(plan, (), 5)):
        with pytest.raises(ApplyRefused) as refused:
            check_unfinished_run("plan.json", [run1, run2], rows, wave, resume=False)
        assert str(refused.value) == (
            "plan.json: run 1 (--only kind:scim.link_user, interrupted) did not finish: 0 action(s) in flight, "
            "7 not started; no other apply of this plan runs until it does: continue it with `sigma-migrate apply "
            "plan.json --resume --only kind:scim.link_user`; nothing was written")
    with pytest.raises(ApplyRefused, match=r"^plan.json: --resume continues run 1 \(interrupted\), which applied --only "
                                           r"kind:scim.link_user \(10 action\(s\)\), with exactly its selection"):
        check_unfinished_run("plan.json", [run1, run2], rows, whole, resume=True)
    assert check_unfinished_run("plan.json", [run1, run2], rows, links, resume=True) == run1

    killed = run_row(1, None, "", tuple(a.id for a in plan.actions), ())  # kill -9: no status
    with pytest.raises(ApplyRefused) as refused:
        check_unfinished_run("plan.json", [killed], journal_rows(plan, done=("L01",), running=("L02", "L03")),
                             links, resume=False)
    assert str(refused.value) == (
        "plan.json: run 1 (the whole plan, killed) did not finish: 2 action(s) in flight, 17 not started; no other "
        "apply of this plan runs until it does: continue it with `sigma-migrate apply plan.json --resume`; nothing "
        "was written")
    # every action of the interrupted wave done (Ctrl-C after its last one): nothing left, not bound
    assert unfinished_run([run1], journal_rows(plan, done=links.action_ids)) is None


def test_a_run_that_ended_incomplete_lets_a_new_wave_start_and_binds_only_resume():
    plan = make_plan(resume_plan_actions(), resume_org())
    whole, links, ops = (select(plan, only, None) for only in ((), ("kind:scim.link_user",), ("team:Ops",)))
    run1 = run_row(1, "incomplete", "only kind:scim.link_user", links.action_ids, ("--only", "kind:scim.link_user"))
    rows = journal_rows(plan, done=links.action_ids[:9], failed=links.action_ids[9:])

    assert unfinished_run([run1], rows) == run1
    assert check_unfinished_run("plan.json", [run1], rows, ops, resume=False) is None
    assert check_unfinished_run("plan.json", [run1], rows, whole, resume=False) is None
    with pytest.raises(ApplyRefused, match=r"--resume continues run 1 \(incomplete\)"):
        check_unfinished_run("plan.json", [run1], rows, whole, resume=True)
    # an interrupted run whose --resume ended incomplete: that run is the one left, and it blocks no wave
    interrupted = replace(run1, status="interrupted")
    resumed = replace(run1, run_id=2, mode="resume")
    assert unfinished_run([interrupted, resumed], rows) == resumed
    assert check_unfinished_run("plan.json", [interrupted, resumed], rows, ops, resume=False) is None


def test_verify_names_the_unfinished_run_by_the_same_rule_when_later_runs_followed_it():
    plan = make_plan(resume_plan_actions(), resume_org())
    links, deactivations = (select(plan, only, None) for only in (("kind:scim.link_user",), ("kind:members.deactivate",)))
    run1 = run_row(1, "interrupted", "only kind:scim.link_user", links.action_ids, ("--only", "kind:scim.link_user"))
    run2 = run_row(2, "converged", "only kind:members.deactivate", deactivations.action_ids,
                   ("--only", "kind:members.deactivate"))
    rows = journal_rows(plan, done=("L01", "L02", "L03") + deactivations.action_ids)

    found = interrupted_run("plan.json", [run1, run2], rows)  # a journal from before apply refused run 2

    assert found is not None and found.summary == "run 1 did not finish: 0 action(s) in flight, 7 not started"
    assert found.line() == (
        "Run 1 (wave only kind:scim.link_user) was interrupted at 2026-12-06T02:00:00.000Z: 0 action(s) in flight, "
        "7 not started; `sigma-migrate apply plan.json --resume --only kind:scim.link_user` finishes it")
    incomplete = replace(run1, status="incomplete")  # failed actions: verify counts them as failed, not interrupted
    assert interrupted_run("plan.json", [incomplete], rows) is None


def test_a_resume_verifies_the_actions_it_ran_and_says_verify_checks_the_whole_plan(tmp_path):
    """tester8 finding 14: a --resume of 2 actions re-read every action of its selection (27,353 in 264 s
    at 20k); now it re-reads the 2 it ran (R13 and G1: team t1) and names the command for the rest."""
    with finance_wave_refused(tmp_path) as (server, counter, refuse, plan, first):
        assert first.verification.counts["objects"] == 4  # the first run verifies its whole selection
        refuse.on = False
        said: list[str] = []

        again = apply_plan(plan, options_for(server, auto_approve=True, resume=True, only=("team:Finance",)),
                           echo=said.append)

        assert said[-1] == (f"Verifying the 2 action(s) of this run; `sigma-migrate verify {plan}` checks the "
                            "whole plan")
        assert (again.status, again.writes, sorted(again.results)) == ("converged", 2, ["G1", "R13"])
        assert [(o.key, [c.action_id for c in o.checks]) for o in again.verification.objects] == [
            ("team:t1", ["R13", "G1"])]
