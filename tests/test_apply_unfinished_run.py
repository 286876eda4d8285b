"""An interrupted or killed wave is finished before any other apply of the plan runs (issue 10,
tester6 finding 7): after Ctrl-C, SIGTERM or ``kill -9`` of ``apply --only ...``, a plain ``apply``,
another wave and a ``--resume`` of another selection are refused with one line, and Sigma receives
no write from them; the wave's own ``--resume`` finishes it, and then the next apply runs. Against
the real sandbox over HTTP, apply in a subprocess sent real signals."""

from __future__ import annotations

import os
import signal
import subprocess
import time

import pytest

from planner.execute.apply import apply_plan, dry_run
from planner.execute.errors import ApplyRefused
from planner.execute.journal import journal_path, read_journal
from planner.execute.undo import UndoError, build_undo_plan

from .execute_support import REPO, apply_cmd, journal_states, options_for, sandbox_env
from .test_apply_resume_signals import held_sandbox, start_apply, wait_for
from .test_apply_resume_wave import finance_wave_refused


def unfinished(plan, ended: str, in_flight: int, not_started: int) -> str:
    """The refusal of every apply but the wave's ``--resume`` while run 1 (``--only kind:scim.link_user``) is
    unfinished."""
    return (f"{plan}: run 1 (--only kind:scim.link_user, {ended}) did not finish: {in_flight} action(s) in flight, "
            f"{not_started} not started; no other apply of this plan runs until it does: continue it with "
            f"`sigma-migrate apply {plan} --resume --only kind:scim.link_user`; nothing was written")


def resume_refusal(plan, ended: str, given: str) -> str:
    return (f"{plan}: --resume continues run 1 ({ended}), which applied --only kind:scim.link_user (10 action(s)), "
            f"with exactly its selection: `sigma-migrate apply {plan} --resume --only kind:scim.link_user`; "
            f"this command gave {given}; to apply more, finish that wave first, then start the next one with "
            f"`sigma-migrate apply {plan} --only ...` (or without --only for the rest); nothing was written")


def stop_wave(tmp_path, server, hold, how: signal.Signals):
    """``apply --only kind:scim.link_user`` (10 actions, 2 at a time) stopped by ``how`` while its first two
    writes are in flight (Sigma holds them); SIGINT/SIGTERM let them finish, SIGKILL leaves them running.
    Returns (plan, stderr, exit status)."""
    proc, plan = start_apply(tmp_path, server, "--only", "kind:scim.link_user")
    wait_for(lambda: hold.arrived == 2, proc)
    proc.send_signal(how)
    if how == signal.SIGKILL:
        proc.wait(timeout=10)
    else:
        time.sleep(0.3)
        assert proc.poll() is None  # it waits for the two actions in flight
    hold.release.set()
    wait_for(lambda: hold.served == 2)
    _, err = proc.communicate(timeout=300)
    return plan, err, proc.returncode


def apply_cli(plan, server, *extra: str) -> subprocess.CompletedProcess:
    env = {**os.environ, **sandbox_env(server), "PYTHONPATH": str(REPO)}
    return subprocess.run(apply_cmd(plan, server, "--auto-approve", *extra), cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=120)


@pytest.mark.slow
def test_after_ctrl_c_of_a_wave_a_plain_apply_is_refused_until_the_wave_is_resumed(tmp_path):
    """The tester's /tmp/t6-9: Ctrl-C of a wave, then ``apply plan.json`` ran the whole plan."""
    server, counter, hold = held_sandbox()
    try:
        plan, err, code = stop_wave(tmp_path, server, hold, signal.SIGINT)
        assert code == 130, err
        assert err.splitlines()[-1] == (f"sigma-migrate: error: interrupted; run `sigma-migrate apply {plan} --resume "
                                        "--only kind:scim.link_user` to continue")
        assert [(r.run_id, r.status) for r in read_journal(plan)[1]] == [(1, "interrupted")]
        assert journal_states(journal_path(plan)) == {"done": 2, "pending": 18}
        assert (counter.total(), sum(counter.attempts.values())) == (2, 2)

        refused = apply_cli(plan, server)

        assert (refused.returncode, refused.stdout) == (1, "")
        assert refused.stderr.splitlines() == [f"sigma-migrate: error: {unfinished(plan, 'interrupted', 0, 8)}"]
        for only, limit in ((("team:Ops",), None), ((), 5), (("kind:scim.link_user", "team:Ops"), None)):
            with pytest.raises(ApplyRefused) as again:
                apply_plan(plan, options_for(server, auto_approve=True, only=only, limit=limit))
            assert str(again.value) == unfinished(plan, "interrupted", 0, 8)
        dry = dry_run(plan, options_for(server))  # (and it says the plan has no approval: it ran --auto-approve)
        assert (dry.exit_code, dry.refusals[-1]) == (1, f"apply will refuse: {unfinished(plan, 'interrupted', 0, 8)}")
        assert (counter.total(), sum(counter.attempts.values())) == (2, 2)  # Sigma received no write
        assert len(read_journal(plan)[1]) == 1  # and the journal no run

        resumed = apply_plan(plan, options_for(server, auto_approve=True, resume=True, only=("kind:scim.link_user",)))
        assert (resumed.run_id, resumed.mode, resumed.status, resumed.writes) == (2, "resume", "converged", 8)

        rest = apply_plan(plan, options_for(server, auto_approve=True))  # the wave is finished: the rest runs
        assert (rest.run_id, rest.mode, rest.status, rest.writes, counter.total()) == (3, "apply", "converged", 10, 20)
        assert set(counter.writes.values()) == {1}
    finally:
        hold.release.set()
        server.close()


@pytest.mark.slow
def test_after_sigterm_of_a_wave_another_wave_and_a_resume_without_its_selection_are_refused(tmp_path):
    """The tester's /tmp/t6-8: after the interrupted wave, ``--only kind:members.deactivate`` ran, and
    then ``--resume`` with no selection ran all 196 actions."""
    server, counter, hold = held_sandbox()
    try:
        plan, err, code = stop_wave(tmp_path, server, hold, signal.SIGTERM)
        assert code == 130, err

        wave = apply_cli(plan, server, "--only", "kind:members.deactivate")
        assert (wave.returncode, wave.stdout) == (1, "")
        assert wave.stderr.splitlines() == [f"sigma-migrate: error: {unfinished(plan, 'interrupted', 0, 8)}"]
        resume = apply_cli(plan, server, "--resume")
        assert (resume.returncode, resume.stdout) == (1, "")
        assert resume.stderr.splitlines() == [
            f"sigma-migrate: error: {resume_refusal(plan, 'interrupted', 'no --only/--limit (the whole plan)')}"]
        assert (counter.total(), sum(counter.attempts.values())) == (2, 2)  # Sigma received no write
        assert len(read_journal(plan)[1]) == 1

        finished = apply_cli(plan, server, "--resume", "--only", "kind:scim.link_user", "--json")
        assert finished.returncode == 0, finished.stderr
        deactivations = apply_plan(plan, options_for(server, auto_approve=True, only=("kind:members.deactivate",)))
        assert (deactivations.run_id, deactivations.status, deactivations.writes) == (3, "converged", 3)
        assert server.state.member_row("m16")["is_archived"] == 1
        # the last run converged: --resume is bound to no selection (it runs what is left)
        rest = apply_plan(plan, options_for(server, auto_approve=True, resume=True))
        assert (rest.run_id, rest.status, rest.writes, counter.total()) == (4, "converged", 7, 20)
    finally:
        hold.release.set()
        server.close()


@pytest.mark.slow
def test_after_kill_9_of_a_wave_its_run_recorded_no_end_and_every_other_apply_is_refused(tmp_path):
    server, counter, hold = held_sandbox()
    try:
        plan, _, code = stop_wave(tmp_path, server, hold, signal.SIGKILL)
        assert code == -signal.SIGKILL
        assert [(r.run_id, r.status, r.finished_at) for r in read_journal(plan)[1]] == [(1, None, None)]
        assert journal_states(journal_path(plan)) == {"running": 2, "pending": 18}

        for extra in ((), ("--only", "team:Ops")):
            refused = apply_cli(plan, server, *extra)
            assert (refused.returncode, refused.stdout) == (1, "")
            assert refused.stderr.splitlines() == [f"sigma-migrate: error: {unfinished(plan, 'killed', 2, 8)}"]
        with pytest.raises(ApplyRefused) as again:
            apply_plan(plan, options_for(server, auto_approve=True, resume=True))
        assert str(again.value) == resume_refusal(plan, "killed", "no --only/--limit (the whole plan)")
        assert (counter.total(), sum(counter.attempts.values())) == (2, 2)  # the killed run's two, nothing more
        with pytest.raises(UndoError) as nothing:  # undo says what it cannot know (tester12 #12)
            build_undo_plan(journal_path(plan))
        assert str(nothing.value) == (
            f"{journal_path(plan)}: nothing to undo: the journal records no action that changed Sigma (1 run(s)); 2 "
            "action(s) were in flight when run 1 stopped and the journal does not record whether they changed Sigma: "
            "L01, L02; check them in Sigma")

        resumed = apply_plan(plan, options_for(server, auto_approve=True, resume=True, only=("kind:scim.link_user",)))
        assert (resumed.status, resumed.writes, counter.total()) == ("converged", 8, 10)
        rest = apply_plan(plan, options_for(server, auto_approve=True))
        assert (rest.status, rest.writes, counter.total()) == ("converged", 10, 20)
        assert set(counter.writes.values()) == {1}
    finally:
        hold.release.set()
        server.close()


def test_a_wave_that_ended_incomplete_blocks_no_new_wave_and_the_next_apply_selecting_it_tries_it_again(tmp_path):
    """A failed-and-reported run is not unfinished work of an interrupted one: the next wave runs, and
    the rest (which selects the failed action and the one skipped behind it) tries them again."""
    with finance_wave_refused(tmp_path) as (server, counter, refuse, plan, first):
        assert (first.status, first.counts["failed"], first.counts["skipped"]) == ("incomplete", 1, 1)
        failed = {aid for aid, r in read_journal(plan)[2].items() if r.state in ("failed", "skipped")}
        assert failed == {"R13", "G1"}

        ops = apply_plan(plan, options_for(server, auto_approve=True, only=("team:Ops",)))
        assert (ops.run_id, ops.status, ops.writes) == (2, "converged", 1)
        refuse.on = False
        rest = apply_plan(plan, options_for(server, auto_approve=True))
        assert (rest.run_id, rest.mode, rest.status) == (3, "apply", "converged")
        assert {aid for aid, r in rest.results.items() if r.outcome == "written"} >= failed
        assert (counter.total(), journal_states(journal_path(plan))) == (20, {"done": 20})
