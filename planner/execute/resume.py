"""What ``apply --resume`` continues: the last unfinished run, with exactly the selection it had.

A run of one wave (``apply plan.json --only group:Finance``) that is interrupted (Ctrl-C, SIGTERM,
``kill -9``) or ends incomplete or stopped leaves the rest of the plan pending on purpose. So
``--resume`` runs the actions of that run's own selection (``--only`` / ``--limit``) and nothing
else: the hint apply prints repeats the selection (:func:`resume_command`), and a ``--resume``
whose selection picks other actions than that run's (a wider one, none when the run had one, a
narrower one) is refused before anything is sent (:func:`check_resume_selection`), naming the run's
selection and how to go further on purpose: finish the wave, then start the next one with a new
``apply --only ...`` (docs/apply.md, "Journal, resume, results" and "Waves").

A run that converged (status ``converged`` or ``unverified``) leaves nothing to resume: ``--resume``
after it is not bound to its selection.
"""

from __future__ import annotations

import shlex
from pathlib import Path
from typing import Sequence

from ..selection import Wave
from .errors import ApplyRefused
from .journal import RunRow

FINISHED_STATUSES = ("converged", "unverified")
"""Run statuses that leave nothing of the run to resume."""


def selection_words(wave: Wave) -> tuple[str, ...]:
    """The command-line words that select ``wave`` again, e.g. ``("--only", "group:Finance",
    "--limit", "5")``; ``()`` for the whole plan."""
    words: list[str] = []
    for selector in wave.selectors:
        words += ["--only", str(selector)]
    if wave.limit is not None:
        words += ["--limit", str(wave.limit)]
    return tuple(words)


def resume_command(plan_path: str | Path, words: Sequence[str]) -> str:
    """``sigma-migrate apply <plan> --resume`` followed by the selection ``words``, each shell-quoted
    (``--only 'group:Customer Success'``), so it can be pasted as printed."""
    return " ".join(["sigma-migrate", "apply", shlex.quote(str(plan_path)), "--resume",
                     *(shlex.quote(w) for w in words)])


def run_to_resume(runs: Sequence[RunRow]) -> RunRow | None:
    """The run ``--resume`` continues: the last run of the journal when it did not finish converged
    (interrupted, killed with no end recorded, incomplete, stopped); ``None`` otherwise."""
    if not runs or runs[-1].status in FINISHED_STATUSES:
        return None
    return runs[-1]


def how_it_ended(run: RunRow) -> str:
    """``interrupted``, ``incomplete``, ``stopped``, or ``killed`` for a run that recorded no end."""
    return run.status or "killed"


def check_resume_selection(plan_path: str | Path, runs: Sequence[RunRow], wave: Wave) -> None:
    """Refuse (:class:`ApplyRefused`, one line, before any request) a ``--resume`` whose selection
    picks other actions than the run it continues (:func:`run_to_resume`) was given.

    Same actions: ``wave.action_ids`` equal the run's ``wave_actions`` as a set (a journal older than
    waves recorded none: that run had the whole plan). The refusal names the run, how it ended, its
    selection and the command that resumes it; for a wave, how to apply more on purpose.
    """
    run = run_to_resume(runs)
    if run is None:
        return
    had = set(run.wave_actions) if run.wave_actions is not None else None
    if (wave.is_whole_plan if had is None else set(wave.action_ids) == had):
        return
    words = run.selection if run.selection is not None else ()
    given = " ".join(selection_words(wave)) or "no --only/--limit (the whole plan)"
    if run.selection is None and run.wave:  # a journal written before selections were recorded
        had_text = f"wave {run.wave!r}"
        command = f"sigma-migrate apply {shlex.quote(str(plan_path))} --resume --only ... (as that wave)"
    else:
        had_text = " ".join(shlex.quote(w) for w in words) or "the whole plan"
        command = resume_command(plan_path, words)
    size = f" ({len(had)} action(s))" if had is not None else ""
    further = ("" if not (run.wave or words) else
               f"; to apply more, finish that wave first, then start the next one with "
               f"`sigma-migrate apply {shlex.quote(str(plan_path))} --only ...` (or without --only for the rest)")
    raise ApplyRefused(
        f"{plan_path}: --resume continues run {run.run_id} ({how_it_ended(run)}), which applied {had_text}{size}, "
        f"with exactly its selection: `{command}`; this command gave {given}{further}; nothing was written"
    )


__all__ = ["FINISHED_STATUSES", "check_resume_selection", "how_it_ended", "resume_command", "run_to_resume",
           "selection_words"]
