"""Ctrl-C twice, SIGTERM and kill -9 during apply, then what verify and --resume say (issue 10,
tester5 findings 8, 10 and 12), against the real sandbox over HTTP, apply in a subprocess sent real
signals."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import threading
import time
from typing import Collection

import pytest

from planner.execute.apply import apply_plan
from planner.execute.journal import Journal, journal_path, read_journal
from planner.execute.verify_plan import verify_lines, verify_plan
from planner.planfile import write_plan
from planner.sandbox.server import SandboxServer

from .execute_support import (
    HOLD_AT_MOST,
    REPO,
    WriteCounter,
    apply_cmd,
    journal_states,
    make_plan,
    options_for,
    resume_org,
    resume_plan_actions,
    sandbox_env,
)


class HoldWrites:
    """WSGI middleware: every write but the token request (and but those to a path of ``free``, each Sigma serves at
    once) waits until ``release`` is set (at most :data:`HOLD_AT_MOST`, under the applies' --timeout) before Sigma
    serves it, so the actions in flight stay in flight, however long a loaded machine takes to signal and release. ``arrived`` counts the writes received, ``served`` those Sigma answered. Freeing writes by their path,
    not by their arrival, names which actions get through whichever of two writes in flight arrives first."""

    def __init__(self, app, free: Collection[str] = ()):
        self.app = app
        self.release = threading.Event()
        self.arrived = self.served = 0
        self.free = frozenset(free)
        self._lock = threading.Lock()

    def __call__(self, environ, start_response):
        held = environ["REQUEST_METHOD"] in ("POST", "PATCH", "PUT", "DELETE") and \
            environ.get("PATH_INFO") != "/v2/auth/token"
        if held:
            with self._lock:
                self.arrived += 1
            if environ.get("PATH_INFO") not in self.free:
                self.release.wait(HOLD_AT_MOST)
        try:
            return self.app(environ, start_response)
        finally:
            if held:
                with self._lock:
                    self.served += 1


def held_sandbox() -> tuple[SandboxServer, WriteCounter, HoldWrites]:
    server = SandboxServer(resume_org(), token_rate=None)
    counter = WriteCounter(server.app)
    server.app = hold = HoldWrites(counter)
    server.start()
    return server, counter, hold


def start_apply(tmp_path, server, *extra: str) -> tuple[subprocess.Popen, object]:
    plan = tmp_path / "plan.json"
    write_plan(make_plan(resume_plan_actions(), resume_org()), plan)
    env = {**os.environ, **sandbox_env(server), "PYTHONPATH": str(REPO)}
    proc = subprocess.Popen(apply_cmd(plan, server, "--auto-approve", *extra), cwd=REPO, env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    return proc, plan


def wait_for(condition, proc: subprocess.Popen | None = None, seconds: float = 300) -> None:
    """Poll ``condition`` until it holds; fail with apply's output when ``proc`` ended first."""
    deadline = time.monotonic() + seconds
    while not condition():
        if proc is not None and proc.poll() is not None:
            raise AssertionError(f"apply ended first (exit {proc.returncode}): {proc.communicate()}")
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.005)


def run_end_event(plan) -> tuple[str, str] | None:
    db = sqlite3.connect(journal_path(plan))
    try:
        return db.execute("SELECT event, detail FROM events WHERE event='run-end'").fetchone()
    finally:
        db.close()


@pytest.mark.slow
def test_a_second_ctrl_c_ends_apply_at_once_leaving_the_actions_in_flight_running_for_resume(tmp_path):
    server, counter, hold = held_sandbox()
    try:
        proc, plan = start_apply(tmp_path, server)
        wait_for(lambda: hold.arrived == 2, proc)  # both actions in flight sent their write: Sigma holds it
        proc.send_signal(signal.SIGINT)
        time.sleep(0.3)
        assert proc.poll() is None  # the first one waits for the actions in flight
        stopped = time.monotonic()
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=10)

        assert time.monotonic() - stopped < 3  # not after the writes are released
        assert proc.returncode == 130, err
        assert err.splitlines()[-2:] == [
            "sigma-migrate: SIGINT: no new action starts; the actions in flight finish and are journaled (send it "
            "again to stop at once and leave them to --resume)",
            "sigma-migrate: error: interrupted again: stopped at once; 2 action(s) in flight left `running` in the "
            f"journal, which --resume checks first; run `sigma-migrate apply {plan} --resume` to continue"]
        _, runs, _ = read_journal(plan)
        assert [(r.run_id, r.status, r.counts) for r in runs] == [
            (1, "interrupted", {"done": 0, "failed": 0, "pending": 18, "running": 2, "skipped": 0})]
        assert run_end_event(plan) == ("run-end", "interrupted (stopped at once, 2 action(s) running)")
        assert journal_states(journal_path(plan)) == {"running": 2, "pending": 18}

        hold.release.set()  # Sigma now makes the two writes the stopped process sent
        wait_for(lambda: hold.served == 2)
        assert counter.total() == 2

        found = verify_plan(plan, options_for(server))  # finding 10: named, checked, exit 3
        assert found.exit_code == 3 and not found.converged and found.failed == ()
        assert [(a.action_id, a.state) for a in found.in_flight] == [("L01", "done-unrecorded"),
                                                                     ("L02", "done-unrecorded")]
        assert verify_lines(found) == [
            "  in flight L01 (scim.link_user user01@example.com): done-unrecorded (Sigma shows its write; the run "
            "stopped before journaling it)",
            "  in flight L02 (scim.link_user user02@example.com): done-unrecorded (Sigma shows its write; the run "
            "stopped before journaling it)",
            "Wave (whole plan) (run 1): INTERRUPTED: run 1 did not finish: 2 action(s) in flight, 18 not started "
            "(2 action(s) checked)",
            "Verify: INTERRUPTED: run 1 did not finish: 2 action(s) in flight, 18 not started. 2 of 2 object(s) "
            "converged, 0 drifted, 0 missing; 18 action(s) not applied yet",
            f"The last run (run 1) was interrupted at {runs[0].finished_at}: 2 action(s) in flight, 18 not started; "
            f"`sigma-migrate apply {plan} --resume` finishes it"]

        report = apply_plan(plan, options_for(server, auto_approve=True, resume=True))
        assert (report.status, report.writes) == ("converged", 18)
        assert [report.results[a].outcome for a in ("L01", "L02")] == ["written_by_interrupted_run"] * 2
        assert counter.total() == 20 and set(counter.writes.values()) == {1}  # nothing done twice
        assert verify_plan(plan, options_for(server)).exit_code == 0
    finally:
        hold.release.set()
        server.close()


@pytest.mark.slow
def test_sigterm_stops_apply_as_ctrl_c_does_and_verify_names_the_interrupted_run(tmp_path):
    server, counter, hold = held_sandbox()
    try:
        hold.release.set()
        server.faults.set(latency_ms=40)
        proc, plan = start_apply(tmp_path, server)
        wait_for(lambda: journal_states(journal_path(plan)).get("done", 0) >= 4, proc)
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=30)

        assert proc.returncode == 130, err
        assert err.splitlines()[-2:] == [
            "sigma-migrate: SIGTERM: no new action starts; the actions in flight finish and are journaled (send it "
            "again to stop at once and leave them to --resume)",
            f"sigma-migrate: error: interrupted; run `sigma-migrate apply {plan} --resume` to continue"]
        _, runs, rows = read_journal(plan)
        done = sum(r.state == "done" for r in rows.values())
        assert [(r.status, r.counts) for r in runs] == [
            ("interrupted", {"done": done, "failed": 0, "pending": 20 - done, "running": 0, "skipped": 0})]
        assert journal_states(journal_path(plan)) == {"done": done, "pending": 20 - done}  # none left running
        assert counter.total() == done
        server.faults.set(latency_ms=0)

        found = verify_plan(plan, options_for(server))
        assert (found.exit_code, found.verdict) == (
            3, f"INTERRUPTED: run 1 did not finish: 0 action(s) in flight, {20 - done} not started")
        assert verify_lines(found)[-1] == (
            f"The last run (run 1) was interrupted at {runs[0].finished_at}: 0 action(s) in flight, {20 - done} not "
            f"started; `sigma-migrate apply {plan} --resume` finishes it")
    finally:
        server.close()


@pytest.mark.slow
def test_after_kill_9_verify_checks_the_actions_in_flight_instead_of_failing_them(tmp_path):
    server, counter, hold = held_sandbox()
    try:
        proc, plan = start_apply(tmp_path, server, "--only", "kind:scim.link_user")
        wait_for(lambda: hold.arrived == 2, proc)  # both actions in flight sent their write: Sigma holds it
        proc.kill()
        proc.communicate(timeout=10)
        hold.release.set()
        wait_for(lambda: hold.served == 2)

        found = verify_plan(plan, options_for(server))

        _, runs, _ = read_journal(plan)
        assert (runs[0].status, runs[0].finished_at) == (None, None)
        assert found.exit_code == 3 and found.failed == ()
        assert found.verdict == "INTERRUPTED: run 1 did not finish: 2 action(s) in flight, 8 not started"
        assert [(a.action_id, a.state) for a in found.in_flight] == [("L01", "done-unrecorded"),
                                                                     ("L02", "done-unrecorded")]
        assert verify_lines(found)[-1] == (
            f"The last run (run 1, wave only kind:scim.link_user) recorded no end (killed, or still running; started "
            f"at {runs[0].started_at}): 2 action(s) in flight, 8 not started; `sigma-migrate apply {plan} --resume "
            "--only kind:scim.link_user` finishes it")
        assert found.to_dict()["unfinished_run"] == {
            "run": 1, "wave": "only kind:scim.link_user", "ended": "killed", "at": runs[0].started_at,
            "in_flight": 2, "not_started": 8,
            "resume": f"sigma-migrate apply {plan} --resume --only kind:scim.link_user"}
        assert counter.total() == 2
    finally:
        hold.release.set()
        server.close()


def test_a_journal_write_that_fails_releases_its_lock_for_the_other_threads(tmp_path):
    """The hang of finding 8: a worker writing to the closed journal kept its lock, and every other
    worker waited on it forever, so the process never ended."""
    journal = Journal.open(tmp_path / "plan.json", "sha256:x", [("a1", "scim.link_user"), ("a2", "scim.link_user")])
    journal.close()
    outcomes: list[str] = []

    def write(action_id: str) -> None:
        try:
            journal.mark_done(action_id, "written")
        except sqlite3.ProgrammingError as exc:
            outcomes.append(str(exc))

    for action_id in ("a1", "a2"):
        worker = threading.Thread(target=write, args=(action_id,), daemon=True)
        worker.start()
        worker.join(5)
        assert not worker.is_alive()
    assert outcomes == ["Cannot operate on a closed database."] * 2


class HoldSecondRead:
    """WSGI middleware: the second ``GET`` of ``path`` (the verification's, after the check-first's) waits
    until ``release`` is set (at most :data:`HOLD_AT_MOST`); ``arrived`` is set when it has come."""

    def __init__(self, app, path):
        self.app, self.path = app, path
        self.reads = 0
        self.arrived, self.release = threading.Event(), threading.Event()

    def __call__(self, environ, start_response):
        if environ["REQUEST_METHOD"] == "GET" and environ.get("PATH_INFO") == self.path:
            self.reads += 1
            if self.reads == 2:
                self.arrived.set()
                self.release.wait(HOLD_AT_MOST)
        return self.app(environ, start_response)


@pytest.mark.slow
def test_ctrl_c_during_the_verification_records_the_run_done_unverified_and_writes_its_result(tmp_path):
    """tester8 finding 15: every action done, SIGINT while the verification reads: the run is recorded
    ``unverified`` (never ``interrupted``, which would ask for a --resume with nothing to run), its result
    file is written, the message names `sigma-migrate verify`, exit 130."""
    server = SandboxServer(resume_org(), token_rate=None)
    counter = WriteCounter(server.app)
    server.app = hold = HoldSecondRead(counter, "/v2/members/m15/teams")  # R15's check, then its verification
    server.start()
    try:
        proc, plan = start_apply(tmp_path, server)
        assert hold.arrived.wait(60), proc.communicate(timeout=5)
        proc.send_signal(signal.SIGINT)
        time.sleep(0.3)
        hold.release.set()  # the read in flight finishes; no other starts
        _, err = proc.communicate(timeout=60)

        assert proc.returncode == 130, err
        assert err.splitlines()[-2:] == [
            "sigma-migrate: SIGINT: the verification stops (it only reads); every action of the run has finished "
            "and is journaled",
            f"sigma-migrate: error: interrupted during verification: every action is done; run `sigma-migrate "
            f"verify {plan}`"]
        _, runs, rows = read_journal(plan)
        assert [(r.run_id, r.status, r.counts) for r in runs] == [
            (1, "unverified", {"done": 20, "failed": 0, "pending": 0, "running": 0, "skipped": 0})]
        assert {r.state for r in rows.values()} == {"done"}
        result = json.loads((tmp_path / "plan.json.run-1.result.json").read_text())
        assert (result["status"], result["counts"]["done"], result["writes"], result["verification"]) == (
            "unverified", 20, 20, None)
        assert counter.total() == 20
        again = apply_plan(plan, options_for(server, auto_approve=True, resume=True))  # nothing to resume
        assert (again.mode, again.status, again.writes) == ("reapply", "converged", 0)
    finally:
        server.close()
