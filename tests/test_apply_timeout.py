"""``apply --timeout SECONDS``: how long apply waits on each part of Sigma's answer before the request is a network
error, retried up to ``--max-attempts`` (default 30 s, the REST and SCIM clients' ``timeout``). Tests that hold
Sigma's answers give their applies a longer one (tests/execute_support.py ``APPLY_TIMEOUT``) than any hold
(``HOLD_AT_MOST``): close10-s20, tests/test_rollback_waves.py and tests/test_closed_runs.py failed under load when a
held write outlived the 30 s both sides had. Against a sandbox over HTTP whose writes are held."""

from __future__ import annotations

import signal
import time
from pathlib import Path

import pytest

from planner.execute.journal import journal_path, read_journal

from . import test_rollback_waves
from .execute_support import journal_states
from .test_apply_resume_signals import held_sandbox, start_apply, wait_for


@pytest.mark.slow
def test_a_held_write_is_sent_again_after_timeout_seconds_up_to_max_attempts(tmp_path):
    server, counter, hold = held_sandbox()
    try:
        proc, plan = start_apply(tmp_path, server, "--only", "kind:scim.link_user", "--timeout", "1",
                                 "--max-attempts", "2")
        wait_for(lambda: hold.arrived == 4, proc)  # two actions in flight, each write sent twice, none answered
        assert hold.served == 0
        hold.release.set()
        _, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, err
        _, runs, rows = read_journal(plan)
        assert [(r.status, r.counts["done"]) for r in runs] == [("converged", 10)]
        assert {aid: (r.outcome, r.http_retries) for aid, r in rows.items() if r.state == "done"} == {
            "L01": ("written", 1), "L02": ("written", 1),  # the held two: sent again after 1 s each
            **{f"L{n:02}": ("written", 0) for n in range(3, 11)}}
    finally:
        hold.release.set()
        server.close()


@pytest.mark.slow
def test_a_wave_whose_test_was_starved_31_s_before_its_signal_still_stops_with_its_two_held_writes_done(
        tmp_path, capsys, monkeypatch):
    """The load the flaky runs met, made certain: the test process gets no CPU for 31 s between the second held
    write's arrival and its SIGINT. The writes stay held and apply keeps waiting (was: the hold gave up after 30 s,
    Sigma answered both, apply started a third action before the signal: 3 done, 'reversing 1 written action(s)' or
    '1 action(s) in flight' further on, close10-s20)."""
    def starved(condition, proc=None, seconds=300):
        wait_for(condition, proc, seconds)
        time.sleep(31)

    monkeypatch.setattr(test_rollback_waves, "wait_for", starved)
    with test_rollback_waves.stop_wave(tmp_path, capsys, monkeypatch, signal.SIGINT):
        assert journal_states(journal_path(Path("v1.json"))) == {"done": 2, "pending": 194}
        assert [(r.run_id, r.status) for r in read_journal(Path("v1.json"))[1]] == [(1, "interrupted")]
        assert test_rollback_waves.written_ids("v1.json") == test_rollback_waves.FIRST_WRITES
