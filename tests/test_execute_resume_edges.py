"""Resume edge cases (issue 12, item 7), against the real sandbox over HTTP:

- every action done but the verification finds a target changed under the run: the action is
  ``failed`` in the journal, and ``--resume`` runs it again (it used to say "nothing left to run"
  forever);
- a run killed (``kill -9``) before its journal exists: ``--resume`` starts from the beginning;
- a write that reached Sigma just before ``kill -9``: on resume it is recorded as written by the
  interrupted run, not "already so, nothing sent".
"""

from __future__ import annotations

import io
import json
import os
import signal
import sqlite3
import subprocess
import threading
import time
from typing import Any, Callable

import pytest

from planner.execute.apply import apply_plan, outcome_lines, result_path
from planner.execute.approve import approve
from planner.execute.journal import journal_path
from planner.sandbox.server import SandboxServer

from .execute_support import HOLD_AT_MOST, REPO, WriteCounter, apply_cmd, options_for, sandbox_env, small_org, write_test_plan


class AfterWrite:
    """WSGI middleware: once Sigma has answered ``method path`` with a 2xx (the change is made),
    and before the client sees the answer, call ``then()``. ``match(body)`` narrows the request."""

    def __init__(self, app: Callable[..., Any], method: str, path: str, then: Callable[[], None],
                 match: Callable[[dict], bool] = lambda body: True):
        self.app, self.method, self.path, self.then, self.match = app, method, path, then, match
        self.fired = threading.Event()

    def __call__(self, environ, start_response):
        hit = environ["REQUEST_METHOD"] == self.method and environ.get("PATH_INFO") == self.path
        if hit:
            length = int(environ.get("CONTENT_LENGTH") or 0)
            raw = environ["wsgi.input"].read(length) if length else b""
            environ["wsgi.input"] = io.BytesIO(raw)
            hit = self.match(json.loads(raw or b"{}"))
        status: list[str] = []

        def record(s, headers, exc_info=None):
            status.append(s)
            return start_response(s, headers, exc_info) if exc_info else start_response(s, headers)

        body = list(self.app(environ, record))
        if hit and status and status[0].startswith("2") and not self.fired.is_set():
            self.fired.set()
            self.then()
        return body


def sandbox(wrap: Callable[[Callable[..., Any]], Callable[..., Any]] | None = None,
            **kwargs: Any) -> tuple[SandboxServer, WriteCounter]:
    """A started sandbox of :func:`small_org`, its successful writes counted, then ``wrap`` outside."""
    server = SandboxServer(small_org(), token_rate=None, **kwargs)
    counter = WriteCounter(server.app)
    server.app = wrap(counter) if wrap else counter
    server.start()
    return server, counter


def events(plan, action_id: str) -> list[tuple[int | None, str, str | None]]:
    db = sqlite3.connect(journal_path(plan))
    try:
        return db.execute("SELECT run_id, event, detail FROM events WHERE action_id=? ORDER BY event_id",
                          (action_id,)).fetchall()
    finally:
        db.close()


def test_an_action_whose_target_changed_before_verification_runs_again_on_resume(tmp_path):
    holder: dict[str, Any] = {}

    def reactivate_m3() -> None:  # an admin reactivates the member the plan just deactivated
        holder["server"].state.update_member("m3", {"isArchived": False}, actor=None)

    server, counter = sandbox(lambda app: AfterWrite(app, "PATCH", "/v2/members/m3", reactivate_m3))
    holder["server"] = server
    try:
        plan = write_test_plan(tmp_path)
        approve(plan, "Ada Admin")

        first = apply_plan(plan, options_for(server))

        assert first.status == "incomplete" and first.exit_code == 3
        assert first.results["d1"].state == "done" and first.counts == {
            "done": 7, "failed": 1, "skipped": 0, "pending": 0, "running": 0}
        assert first.journal_rows["d1"].state == "failed"
        assert first.journal_rows["d1"].error == "not as planned at verification: isArchived: False, planned True"
        lines = outcome_lines(first)
        assert lines[0].startswith("Apply incomplete: 7 of 8 done (8 written this run), 1 failed, 0 skipped in ")
        assert ("1 action(s) ran but their target was not as planned at verification: failed, "
                "--resume runs them again") in lines
        assert lines[-1] == f"Continue with: sigma-migrate apply {plan} --resume"
        assert events(plan, "d1")[-1] == (1, "unverified", "not as planned at verification: isArchived: False, "
                                                          "planned True")

        said: list[str] = []
        resumed = apply_plan(plan, options_for(server, resume=True), echo=said.append)

        assert "Resuming run 1 (the whole plan): 1 of 8 action(s) still to run (1 failed earlier), 7 already done" in said
        assert resumed.status == "converged" and resumed.writes == 1 and list(resumed.results) == ["d1"]
        assert server.state.get_member("m3")["isArchived"] is True
        assert counter.writes["PATCH /v2/members/m3"] == 2
    finally:
        server.close()


@pytest.mark.slow
def test_kill_9_before_the_journal_exists_then_resume_starts(tmp_path):
    server, counter = sandbox(faults="latency_ms=300")
    try:
        plan = write_test_plan(tmp_path)
        approve(plan, "Ada Admin")
        env = {**os.environ, **sandbox_env(server), "PYTHONPATH": str(REPO)}
        proc = subprocess.Popen(apply_cmd(plan, server), cwd=REPO, env=env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 60
        while server.request_counts["POST /v2/auth/token"] == 0 and time.monotonic() < deadline:
            time.sleep(0.01)
        os.kill(proc.pid, signal.SIGKILL)  # in the preflight: the journal is opened after it and the stale check
        proc.wait(timeout=30)
        assert not journal_path(plan).exists()
        server.faults.set(latency_ms=0)

        said: list[str] = []
        report = apply_plan(plan, options_for(server, resume=True), echo=said.append)  # the dead run's lock is gone

        assert ("Resuming: no earlier run of this plan started (no journal, or a journal without a run, at "
                "plan.json.journal.sqlite), so nothing was written; starting from the beginning") in said
        assert report.mode == "apply" and report.status == "converged" and report.writes == 8
        assert counter.total() == 8
    finally:
        server.close()


@pytest.mark.slow
@pytest.mark.parametrize("method, path, action_id, match", [
    ("PATCH", "/v2/members/m3", "d1", lambda body: True),  # read first: the before-image was recorded
    ("POST", "/scim/v2/Users", "u3", lambda body: body.get("userName") == "new@example.com"),  # posts first
], ids=["read-first", "create-first"])
def test_a_write_that_landed_before_kill_9_is_recorded_as_the_interrupted_runs(tmp_path, method, path, action_id,
                                                                              match):
    landed, release = threading.Event(), threading.Event()

    def hold() -> None:  # the write is made in Sigma; its answer never reaches the killed process
        landed.set()
        release.wait(HOLD_AT_MOST)

    server, counter = sandbox(lambda app: AfterWrite(app, method, path, hold, match))
    try:
        plan = write_test_plan(tmp_path)
        approve(plan, "Ada Admin")
        env = {**os.environ, **sandbox_env(server), "PYTHONPATH": str(REPO)}
        # one action in flight, so the held one is the only action the kill interrupts
        proc = subprocess.Popen(apply_cmd(plan, server, "--parallelism", "1"), cwd=REPO, env=env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        assert landed.wait(300)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
        release.set()
        db = sqlite3.connect(journal_path(plan))
        state = db.execute("SELECT state FROM actions WHERE action_id=?", (action_id,)).fetchone()[0]
        db.close()
        assert state == "running"
        writes_before = counter.total()

        report = apply_plan(plan, options_for(server, resume=True, write_html=True))

        assert report.status == "converged"
        assert report.results[action_id].outcome == "written_by_interrupted_run"
        assert report.journal_rows[action_id].outcome == "written"
        assert events(plan, action_id)[-1] == (
            2, "done", "written by interrupted run 1 (its write was found in place on resume; nothing sent again)")
        key = f"{method} {path}" + (" new@example.com" if method == "POST" else "")
        assert counter.writes[key] == 1  # not sent again
        assert report.writes == counter.total() - writes_before  # this run's writes exclude it
        kind = report.journal_rows[action_id].kind
        by_kind = json.loads(result_path(plan, report.run_id).read_text())["by_kind"][kind]  # run 2 keeps its own
        assert by_kind["written_by_interrupted_run"] == 1 and by_kind["already_this_run"] == 0
        assert "1 written by the interrupted run" in outcome_lines(report)[0]
    finally:
        release.set()
        server.close()
