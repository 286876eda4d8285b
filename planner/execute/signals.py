"""Ctrl-C (SIGINT) and SIGTERM during ``apply``: one handler for both.

- **First signal**: :class:`KeyboardInterrupt` in the main thread, as Python's own SIGINT handler
  raises it. Apply lets the actions in flight finish (each is journaled), starts nothing new,
  records the run ``interrupted`` and exits 130 with the ``--resume`` command
  (:class:`planner.execute.errors.ApplyInterrupted`). Once the run has started, the handler first
  says so on stderr, with how many actions are in flight and that a second signal stops at once.
- **During the verification** (every action of the run finished, :meth:`ApplySignals.verifying`): the
  reads stop, apply records the run (``unverified`` when every action is done) and writes its result file,
  and says to run ``sigma-migrate verify`` (tester8 finding 15).
- **Second signal**: the process ends at once, exit 130 (:func:`stop_now`): it waits for nothing
  (an action in flight may wait minutes on a ``Retry-After`` or a slow answer). The run is recorded
  ``interrupted`` through a connection of its own to the journal (never the apply's, whose lock an
  interrupted thread may hold), the actions in flight stay ``running``, which ``--resume`` expects
  (it re-reads each before running it again: :func:`planner.execute.actions.may_have_written`),
  and the ``--resume`` command is printed.

The handler takes no lock the interrupted code may hold and writes with :func:`os.write`, never
through a Python stream the interrupted code may be writing to (docs/apply.md, "Ctrl-C and SIGTERM").
Only the main thread can install handlers (:mod:`signal`); elsewhere (an apply called from
another thread) nothing is installed and the caller's signal handling applies.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import sqlite3
import sys
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

from ..terminal import printable
from .errors import ApplyInterrupted
from .journal import STATES, utc_now

HANDLED = (signal.SIGINT, signal.SIGTERM)
"""The signals apply stops on, alike."""

JOURNAL_WAIT = 2.0
"""Seconds :func:`stop_now` waits for the journal's write lock before leaving the run's end unrecorded."""


@dataclass(frozen=True)
class RunInProgress:
    """What the handler needs to end a started run at once: the journal file, the run, the
    ``--resume`` command (:func:`planner.execute.resume.resume_command`)."""

    journal: Path
    run_id: int
    resume_command: str


class ApplySignals:
    """The handler of :data:`HANDLED` while an apply runs (see module docstring). ``run`` is set by
    apply once its run has started (:meth:`run_started`)."""

    def __init__(self) -> None:
        self.received = 0
        self.run: RunInProgress | None = None
        self.in_verification = False

    def run_started(self, journal: Path, run_id: int, resume_command: str) -> None:
        self.run = RunInProgress(journal, run_id, resume_command)

    def verifying(self) -> None:
        """Every action of the run has finished; its verification (reads only) begins: a signal now
        stops the reads, and apply records the run and writes its result (tester8 finding 15)."""
        self.in_verification = True

    def __call__(self, signum: int, frame: Any) -> None:
        self.received += 1
        if self.received > 1:
            stop_now(self.run)
        name = signal.Signals(signum).name
        if self.in_verification:
            _say(f"sigma-migrate: {name}: the verification stops (it only reads); every action of the run has "
                 "finished and is journaled")
        elif self.run is not None:
            _say(f"sigma-migrate: {name}: no new action starts; the actions in flight "
                 f"finish and are journaled (send it again to stop at once and leave them to --resume)")
        raise KeyboardInterrupt


@contextlib.contextmanager
def apply_signals() -> Iterator[ApplySignals]:
    """Install :class:`ApplySignals` for SIGINT and SIGTERM for the ``with`` block (main thread only),
    then put the previous handlers back."""
    handler = ApplySignals()
    if threading.current_thread() is not threading.main_thread():
        yield handler
        return
    previous = {s: signal.getsignal(s) for s in HANDLED}
    for s in HANDLED:
        signal.signal(s, handler)
    try:
        yield handler
    finally:
        for s, h in previous.items():
            signal.signal(s, signal.SIG_DFL if h is None else h)


def stop_now(run: RunInProgress | None) -> None:
    """End the process at once, exit :attr:`ApplyInterrupted.exit_code` (130): record the run
    ``interrupted`` (:func:`record_stopped`), print one line with the ``--resume`` command, flush what
    can be flushed, :func:`os._exit`. Before the run started nothing was written, and it says so."""
    if run is None:
        message = "interrupted before the first write; nothing was changed in Sigma"
    else:
        running = record_stopped(run.journal, run.run_id)
        left = ("" if running is None else " (no action was in flight)" if not running else
                f"; {running} action(s) in flight left `running` in the journal, which --resume checks first")
        message = f"interrupted again: stopped at once{left}; run `{run.resume_command}` to continue"
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except Exception:  # a stream the interrupted code was writing to, or a reader gone
            pass
    _say(f"sigma-migrate: error: {message}")
    os._exit(ApplyInterrupted.exit_code)


def record_stopped(journal: Path, run_id: int) -> int | None:
    """Record run ``run_id`` ``interrupted`` (end time, counts, a ``run-end`` event) through a
    connection of its own, unless it already has an end; return how many actions are ``running``.
    ``None`` when the journal's write lock was not free within :data:`JOURNAL_WAIT` seconds or the
    journal cannot be written: the run then has no end recorded, as after ``kill -9``."""
    try:
        db = sqlite3.connect(journal, timeout=JOURNAL_WAIT, isolation_level=None)
        try:
            db.execute("BEGIN IMMEDIATE")
            found = dict(db.execute("SELECT state, COUNT(*) FROM actions GROUP BY state").fetchall())
            counts = {s: int(found.get(s, 0)) for s in STATES}
            now = utc_now()
            updated = db.execute("UPDATE runs SET finished_at=?, status='interrupted', counts=? "
                                 "WHERE run_id=? AND finished_at IS NULL",
                                 (now, json.dumps(counts, sort_keys=True), run_id)).rowcount
            if updated:
                db.execute("INSERT INTO events(run_id, action_id, at, event, detail) VALUES (?, NULL, ?, 'run-end', ?)",
                           (run_id, now, f"interrupted (stopped at once, {counts['running']} action(s) running)"))
            db.execute("COMMIT")
            return counts["running"]
        finally:
            db.close()
    except sqlite3.Error:
        return None


def _say(line: str) -> None:
    try:
        os.write(2, (printable(line) + "\n").encode("utf-8", "replace"))
    except OSError:
        pass


__all__ = ["ApplySignals", "HANDLED", "JOURNAL_WAIT", "RunInProgress", "apply_signals", "record_stopped", "stop_now"]
