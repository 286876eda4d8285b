"""Which run of a plan is unfinished, and what that allows: one rule over the journal's ``runs``.

A run of one wave (``apply plan.json --only group:Finance``) that is interrupted (Ctrl-C, SIGTERM),
killed (``kill -9``, a crash: no end recorded) or ends incomplete or stopped leaves the rest of the
plan pending on purpose. :func:`unfinished_run` finds that run from the journal's ``runs`` table
(each run's selection and status, docs/apply.md "Journal, resume, results") and its action states,
whichever run it is, not only the last; :func:`check_unfinished_run` is what every apply of the plan
does with it, before anything is sent:

- while a run is **interrupted or killed** with actions of its selection not done, every apply of
  the plan other than ``--resume`` with exactly that run's selection is refused, naming the run (its
  number, its ``--only`` / ``--limit`` words, how it ended, what is left) and the command that
  continues it (someone who pressed Ctrl-C on a pilot because it looked wrong must not have the whole
  organization migrated by the next command: tester6 finding 7);
- a run that ended **incomplete or stopped** (failed actions, reported) does not block a new wave;
  ``--resume`` still continues it with exactly its selection;
- ``--resume`` whose selection picks other actions than the unfinished run's (a wider one, none when
  the run had one, a narrower one) is refused; it never widens to the whole plan on its own. With no
  unfinished run (every run converged, or ran its selection to the end), ``--resume`` is bound to no
  selection.

The hints apply prints repeat the selection (:func:`resume_command`).
"""

from __future__ import annotations

import shlex
from pathlib import Path
from typing import AbstractSet, Mapping, Sequence

from ..selection import Wave
from .errors import ApplyRefused
from .journal import ClosureRow, JournalRow, RunRow

FINISHED_STATUSES = ("converged", "unverified")
"""Run statuses that leave nothing of the run to resume."""

INTERRUPTED_ENDS = ("interrupted", "killed")
"""How a run ended (:func:`how_it_ended`) that blocks every other apply of the plan until it is resumed."""

REPORTED_ENDS = ("converged", "unverified", "incomplete", "stopped")
"""Statuses of a run that ran its selection to the end and reported it: such a later run given every
action of an earlier interrupted one (its ``--resume``) finishes that one."""


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


def how_it_ended(run: RunRow) -> str:
    """``converged``, ``unverified``, ``incomplete``, ``stopped``, ``interrupted``, or ``killed`` for a
    run that recorded no end."""
    return run.status or "killed"


def actions_of(run: RunRow, rows: Mapping[str, JournalRow]) -> tuple[str, ...]:
    """The ids of the actions ``run`` was given: its ``wave_actions``, or every action of the journal
    (``rows``) for a journal older than waves."""
    return run.wave_actions if run.wave_actions is not None else tuple(rows)


def left_of(run: RunRow, rows: Mapping[str, JournalRow]) -> dict[str, int]:
    """``{state: n}`` of the actions of ``run``'s selection that are not ``done`` now (``running``,
    ``pending``, ``failed``, ``skipped``; only states that occur)."""
    left: dict[str, int] = {}
    for aid in actions_of(run, rows):
        state = rows[aid].state if aid in rows else "pending"
        if state != "done":
            left[state] = left.get(state, 0) + 1
    return left


def left_text(left: Mapping[str, int]) -> str:
    """``2 action(s) in flight, 18 not started`` (``, 1 failed``, ``, 1 skipped`` when there are)."""
    parts = [f"{left.get('running', 0)} action(s) in flight", f"{left.get('pending', 0)} not started"]
    parts += [f"{left[s]} {s}" for s in ("failed", "skipped") if left.get(s)]
    return ", ".join(parts)


def unfinished_run(runs: Sequence[RunRow], rows: Mapping[str, JournalRow]) -> RunRow | None:
    """The run of the plan that is not finished, or ``None``. ``runs``: the journal's runs, oldest
    first; ``rows``: its action rows by id (:func:`planner.execute.journal.read_journal`).

    A run is unfinished when it did not converge (interrupted, killed: no end recorded, incomplete,
    stopped), an action of its selection (:func:`actions_of`) is not ``done`` now, and not every one
    of its actions was given to a later run that recorded a reported end (:data:`REPORTED_ENDS`: its
    ``--resume`` ran to the end). Of the unfinished runs, the last one interrupted or killed, else
    the last one. Linear in runs x actions (a plan may hold 100k actions).
    A journal whose actions were started but which records no run is a killed whole-plan run
    numbered 0. Source of the rule: docs/apply.md, "Journal, resume, results"; tester6 finding 7.
    """
    if not runs:
        if any(r.state != "pending" or r.attempts for r in rows.values()):
            return RunRow(0, "apply", "", None, None, {}, None, None, "", None, ())
        return None
    unfinished: list[RunRow] = []
    reported_after: set[str] = set()  # actions given to a later run that recorded a reported end
    for run in reversed(runs):
        given = actions_of(run, rows)
        if (how_it_ended(run) not in FINISHED_STATUSES and not reported_after.issuperset(given)
                and left_of(run, rows)):
            unfinished.insert(0, run)
        if run.status in REPORTED_ENDS:
            reported_after.update(given)
    interrupted = [run for run in unfinished if how_it_ended(run) in INTERRUPTED_ENDS]
    return (interrupted or unfinished or [None])[-1]


def _selection_of(plan_path: str | Path, run: RunRow) -> tuple[str, str]:
    """``(what run applied, the command that resumes it)``, e.g. ``("--only group:Finance",
    "sigma-migrate apply plan.json --resume --only group:Finance")``; ``the whole plan``; for a journal
    written before selections were recorded, the wave's label."""
    if run.selection is None and run.wave:
        return (f"wave {run.wave!r}",
                f"sigma-migrate apply {shlex.quote(str(plan_path))} --resume --only ... (as that wave)")
    words = run.selection or ()
    return " ".join(shlex.quote(w) for w in words) or "the whole plan", resume_command(plan_path, words)


def selection_text(plan_path: str | Path, run: RunRow) -> str:
    """What ``run`` applied, as its words: ``--only group:Finance``, ``--limit 15``, ``the whole plan``
    (a journal older than selections: ``wave 'only group:Finance'``)."""
    return _selection_of(plan_path, run)[0]


def nothing_to_resume_line(plan_path: str | Path, runs: Sequence[RunRow], wave: Wave) -> str:
    """What ``--resume`` says when no run of the plan is unfinished (:func:`unfinished_run` is ``None``):
    there is nothing to resume, and the command runs as it would without ``--resume`` (its selection
    is a new run: the rest of the plan, a new wave, or a finished plan checked again), e.g.
    ``Nothing to resume: no run of this plan is unfinished (the last, run 3 with --only group:Finance,
    converged); applying --limit 10 as a new run, as `sigma-migrate apply plan.json --limit 10` does``.
    Source: docs/apply.md "Journal, resume, results"; tester7 NEW-2 (``Resuming: 159 of 196`` was said)."""
    words = selection_words(wave)
    command = " ".join(["sigma-migrate", "apply", shlex.quote(str(plan_path)), *(shlex.quote(w) for w in words)])
    what = " ".join(shlex.quote(w) for w in words) or "the whole plan"
    last = (f" (the last, run {runs[-1].run_id} with {selection_text(plan_path, runs[-1])}, "
            f"{how_it_ended(runs[-1])})") if runs else ""
    return f"Nothing to resume: no run of this plan is unfinished{last}; applying {what} as a new run, as `{command}` does"


def check_unfinished_run(plan_path: str | Path, runs: Sequence[RunRow], rows: Mapping[str, JournalRow],
                         wave: Wave, *, resume: bool, closures: Mapping[int, ClosureRow] | None = None
                         ) -> RunRow | None:
    """What an apply of ``wave`` (``resume``: with ``--resume``) may do given the journal's ``runs``
    and action ``rows``; returns the run a ``--resume`` continues (``None``: no unfinished run, or
    not ``--resume``).

    Raises :class:`ApplyRefused` (one line, before any request) when :func:`unfinished_run` is
    interrupted or killed and this is not ``--resume`` (:func:`unfinished_message`), or when this is
    a ``--resume`` whose selection picks other actions than that run was given
    (:func:`check_resume_selection`). A run that ended incomplete or stopped refuses only a
    ``--resume`` of another selection: a new wave may start. An interrupted or killed run a policy closed
    (``closures``, the journal's: ``applied.closed_runs``, recorded by the re-plan that took it over) refuses every
    apply of the plan, its ``--resume`` included (:func:`closed_message`; tester14b #1).
    """
    run = unfinished_run(runs, rows)
    if run is None:
        return None
    closure = (closures or {}).get(run.run_id)
    if closure is not None and how_it_ended(run) in INTERRUPTED_ENDS:
        raise ApplyRefused(closed_message(plan_path, run, rows, closure))
    if resume:
        check_resume_selection(plan_path, run, wave)
        return run
    if how_it_ended(run) in INTERRUPTED_ENDS:
        raise ApplyRefused(unfinished_message(plan_path, run, rows))
    return None


def unfinished_head(plan_path: str | Path, run: RunRow, rows: Mapping[str, JournalRow]) -> str:
    """How a line about an unfinished ``run`` of the plan at ``plan_path`` begins: ``plan.json: run 1 (--only
    group:Finance, interrupted) did not finish: 0 action(s) in flight, 20 not started`` (apply's refusal,
    ``plan --applied``'s ``applied.unfinished_run`` item)."""
    return (f"{plan_path}: run {run.run_id} ({selection_text(plan_path, run)}, {how_it_ended(run)}) did not finish: "
            f"{left_text(left_of(run, rows))}")


def closed_message(plan_path: str | Path, run: RunRow, rows: Mapping[str, JournalRow], closure: ClosureRow) -> str:
    """The refusal of every apply of a plan whose unfinished ``run`` a policy closed (``closure``), e.g.
    ``v1.json: run 2 (--only group:Finance, interrupted) did not finish: 0 action(s) in flight, 1 not started; it was
    closed by the applied.closed_runs entry {plan: sha256:..., run: 2} of policy.yaml:88 (2026-12-07T05:01:02.123Z):
    the re-plan given --applied v1.json decides what it left, so no apply of v1.json finishes it, its --resume
    included: apply the re-plan; nothing was written``."""
    return (f"{unfinished_head(plan_path, run, rows)}; it was closed by {closure.entry} ({closure.at}): the re-plan "
            f"given --applied {plan_path} decides what it left, so no apply of {plan_path} finishes it, its --resume "
            "included: apply the re-plan; nothing was written")


def resume_of(plan_path: str | Path, run: RunRow) -> str:
    """The command that finishes ``run``: ``sigma-migrate apply plan.json --resume --only group:Finance``."""
    return _selection_of(plan_path, run)[1]


def unfinished_message(plan_path: str | Path, run: RunRow, rows: Mapping[str, JournalRow]) -> str:
    """The refusal of an apply while ``run`` is interrupted or killed, e.g. ``plan.json: run 1
    (--only group:Finance, interrupted) did not finish: 0 action(s) in flight, 20 not started; no
    other apply of this plan runs until it does: continue it with `sigma-migrate apply plan.json
    --resume --only group:Finance`; nothing was written``."""
    return (f"{unfinished_head(plan_path, run, rows)}; no other apply of this plan runs until it does: "
            f"continue it with `{resume_of(plan_path, run)}`; nothing was written")


def unfinished_undo_note(plan_path: str | Path, run: RunRow, rows: Mapping[str, JournalRow]) -> str:
    """What an undo plan of the plan at ``plan_path`` says of its ``run`` that was interrupted or killed and is not
    finished, e.g. ``run 1 (--only group:Finance, interrupted) did not finish (0 action(s) in flight, 21 not
    started): this undo reverses what it wrote, and once it is applied no apply of plan.json runs again, its
    --resume included``.

    Why undo no longer refuses such a run (was: "finish it first with --resume", tester7 NEW-5; tester12 #12: once a
    re-plan was applied over it, its --resume was stale and its writes could be undone by no command): an applied
    undo plan records its run in the undone plan's journal, and every later apply of that plan, its ``--resume``
    included, refuses (:mod:`planner.execute.reversals`), so no resume builds on what the undo reversed; an action left
    in flight, which may have written what no before-image records, is not reversed but listed
    (``undo.irreversible:<id>:in_flight``)."""
    return (f"run {run.run_id} ({selection_text(plan_path, run)}, {how_it_ended(run)}) did not finish "
            f"({left_text(left_of(run, rows))}): this undo reverses what it wrote, and once it is applied no apply of "
            f"{plan_path} runs again, its --resume included")


def undone_runs_note(plan_path: str | Path, runs: Sequence[RunRow], rows: Mapping[str, JournalRow],
                     written: AbstractSet[str]) -> str:
    """What an undo plan of the plan at ``plan_path`` says of the runs it reverses: every run of the journal
    (``runs``, ``rows``) given one of the ``written`` action ids (an undo reverses the whole journal, not one wave: docs/apply.md
    "Undo"), e.g. ``it reverses every run that wrote: run 1 (--limit 15, converged), run 2 (--only
    group:Finance, interrupted) and run 3 (--only group:Finance, converged)``. tester14b finding 13: the summary
    named only the unfinished run, and read as if the canary's writes were kept. ``""`` when one run wrote
    everything (the summary's "N written action(s)" says it all)."""
    words = [f"run {r.run_id} ({selection_text(plan_path, r)}, {how_it_ended(r)})"
             for r in runs if not written.isdisjoint(actions_of(r, rows))]
    if len(words) < 2:
        return ""
    return f"it reverses every run that wrote: {', '.join(words[:-1])} and {words[-1]}"


def check_resume_selection(plan_path: str | Path, run: RunRow | None, wave: Wave) -> None:
    """Refuse (:class:`ApplyRefused`, one line, before any request) a ``--resume`` whose selection
    picks other actions than ``run`` (the :func:`unfinished_run` it continues; ``None``: not bound)
    was given.

    Same actions: ``wave.action_ids`` equal the run's ``wave_actions`` as a set (a journal older than
    waves recorded none: that run had the whole plan). The refusal names the run, how it ended, its
    selection and the command that resumes it; for a wave, how to apply more on purpose.
    """
    if run is None:
        return
    had = set(run.wave_actions) if run.wave_actions is not None else None
    if (wave.is_whole_plan if had is None else set(wave.action_ids) == had):
        return
    given = " ".join(selection_words(wave)) or "no --only/--limit (the whole plan)"
    had_text, command = _selection_of(plan_path, run)
    size = f" ({len(had)} action(s))" if had is not None else ""
    further = ("" if not (run.wave or run.selection) else
               f"; to apply more, finish that wave first, then start the next one with "
               f"`sigma-migrate apply {shlex.quote(str(plan_path))} --only ...` (or without --only for the rest)")
    raise ApplyRefused(
        f"{plan_path}: --resume continues run {run.run_id} ({how_it_ended(run)}), which applied {had_text}{size}, "
        f"with exactly its selection: `{command}`; this command gave {given}{further}; nothing was written"
    )


__all__ = ["FINISHED_STATUSES", "INTERRUPTED_ENDS", "REPORTED_ENDS", "actions_of", "check_resume_selection",
           "check_unfinished_run", "closed_message", "how_it_ended", "left_of", "left_text", "nothing_to_resume_line", "resume_command",
           "resume_of", "selection_text", "selection_words", "unfinished_head", "unfinished_message", "unfinished_run",
           "unfinished_undo_note"]
