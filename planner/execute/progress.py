"""Progress of an apply run: a rich progress bar on a terminal, plain log lines otherwise.

Both receive the same events from :func:`planner.execute.runner.run_actions`.
The bar shows finished/total, counts per state (done, failed, skipped) and an
ETA; the log prints one line per finished action:
``2026-01-02T03:04:05.678Z done    scim.link_user  <action id>  <subject>  (written) [3/20]``, after
``... earlier 2 of 20 action(s) of this run done by an earlier run`` when some are: every count is over
the run's own actions (tester7 NEW-2: a new wave once counted the plan's done actions, ``[79/66]``).
Neither ever prints a secret (errors arrive redacted), nor a raw control character
(:func:`planner.terminal.printable`).
"""

from __future__ import annotations

import sys
import threading
from typing import IO

from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

from ..model import Action
from ..payloads import GroupTarget, TeamMemberTarget
from ..terminal import printable
from .journal import utc_now
from .runner import ActionResult


def subject_of(action: Action) -> str:
    """A short human label of the object an action touches: the team name for group actions and
    team removals (verify groups those by team), else the member's or user's email (the memberId
    when the export had none)."""
    t = action.target
    if isinstance(t, (GroupTarget, TeamMemberTarget)):
        return t.name
    return t.email or t.member_id


class LogProgress:
    """One line per finished action on ``stream`` (stderr by default); with ``problems_only``,
    only failed and skipped actions."""

    def __init__(self, stream: IO[str] | None = None, problems_only: bool = False):
        self.stream = stream or sys.stderr
        self.problems_only = problems_only
        self._lock = threading.Lock()
        self.counts = {"done": 0, "failed": 0, "skipped": 0}
        self.total = 0

    def start(self, total: int, already_done: int) -> None:
        self.total = total
        self.counts["done"] = already_done
        if already_done:  # of this run's own actions (runner.run_actions): a resume, or a wave after waves
            self._write(f"{utc_now()} earlier {already_done} of {total} action(s) of this run done by an earlier run")

    def update(self, action: Action, result: ActionResult) -> None:
        with self._lock:
            self.counts[result.state] = self.counts.get(result.state, 0) + 1
            finished = sum(self.counts.values())
        if self.problems_only and result.state == "done":
            return
        extra = f"({result.outcome})" if result.state == "done" else f"({result.error})"
        retries = f" retries={result.http_retries}" if result.http_retries else ""
        self._write(
            f"{utc_now()} {result.state:<7} {action.kind.value:<22} {action.id}  {subject_of(action)}  "
            f"{extra}{retries} [{finished}/{self.total}]"
        )

    def note(self, line: str) -> None:
        self._write(f"{utc_now()} wait    {line}")

    def stop(self) -> None:
        pass

    def _write(self, line: str) -> None:
        with self._lock:
            self.stream.write(printable(line) + "\n")
            self.stream.flush()


class RichProgress:
    """A rich progress bar with counts per state and ETA (for a TTY)."""

    def __init__(self, console: Console | None = None):
        self.console = console or Console(stderr=True)
        self._progress = Progress(
            TextColumn("[bold]apply"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("[green]{task.fields[done]} done[/] [red]{task.fields[failed]} failed[/] "
                       "[yellow]{task.fields[skipped]} skipped[/]"),
            TimeElapsedColumn(),
            TextColumn("ETA"),
            TimeRemainingColumn(),
            console=self.console,
            transient=False,
        )
        self._task = None
        self._lock = threading.Lock()
        self.counts = {"done": 0, "failed": 0, "skipped": 0}

    def start(self, total: int, already_done: int) -> None:
        self.counts["done"] = already_done
        self._progress.start()
        self._task = self._progress.add_task("apply", total=total, completed=already_done, **self.counts)

    def update(self, action: Action, result: ActionResult) -> None:
        with self._lock:
            self.counts[result.state] = self.counts.get(result.state, 0) + 1
            self._progress.update(self._task, advance=1, **self.counts)
        if result.state == "failed":
            self._progress.console.print(
                f"[red]failed[/] {action.kind.value} {escape(printable(subject_of(action)))}: {escape(printable(result.error or ''))}",
                markup=True,
                highlight=False,
            )

    def note(self, line: str) -> None:
        self._progress.console.print(printable(line), markup=False, highlight=False)

    def stop(self) -> None:
        self._progress.stop()


def make_progress(quiet: bool = False, stream: IO[str] | None = None, problems_only: bool = False,
                  verbose: bool = False):
    """Rich bar (counts and ETA) when stderr is a terminal, else plain lines, one per finished action
    (``problems_only``: failures and skips only); ``verbose`` (``apply --verbose``) gives the lines on
    a terminal too; ``quiet`` silences both."""
    from .runner import NullProgress

    if quiet:
        return NullProgress()
    stream = stream or sys.stderr
    if stream.isatty() and not verbose:
        return RichProgress(Console(file=stream))
    return LogProgress(stream, problems_only=problems_only)
