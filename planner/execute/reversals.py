"""A plan an applied undo plan reversed is never applied again: one rule over the undone plan's journal.

An undo plan (``sigma-migrate undo``, :mod:`planner.execute.undo`) names the plan it reverses
(``summary.undoes``: its digest) and the journal it was made from (its ``inputs`` entry of kind
``apply.journal``). Applying it records the reversal in that journal, before its first write
(:func:`record_undo_run`: a ``reversals`` row, :func:`planner.execute.journal.record_reversal`, under the
undone plan's apply lock, so no apply of that plan runs meanwhile). Every later apply of the undone plan,
in every mode (a new wave, ``--resume``, a re-apply of a finished plan), reads that row as soon as the
journal is open and refuses before anything is sent (:func:`check_not_reversed`), naming the undo plan,
its run and the actions it would redo (``approve`` refuses with the same line, ``apply --dry-run`` notes it): its approval was for the state before the rollback, and a
re-apply of a finished plan would run every reversed action again (the stale check cannot see it: the
undo restored the very state the plan was made against; tester11 finding 10). Only a new plan settles
it: fetch Sigma's export, plan and approve again.

An undo plan with no action (every reversal left out: drifted, or not reversible) is refused by approve and
apply (:func:`check_reverses_something`): it would record a rollback of nothing that still ends the undone plan.

The other commands that take a plan refuse the kinds they cannot use by the same records: ``verify`` and
``handoff`` a rolled-back plan (:func:`check_not_rolled_back`), ``handoff`` an undo plan
(:func:`check_not_undo_plan`), ``diff`` a migration plan against an undo plan (:func:`plan_kind`; tester12
finding 14).

An undo plan whose undone journal apply cannot find (moved, or ``undo`` ran in another folder with a
relative path) is refused before its first write (:func:`undone_journal`): the reversal could not be
recorded, and the plan could then be applied again over it.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Sequence

from ..errors import UserError
from ..model import Action, Plan
from .errors import ApplyRefused
from .journal import (
    Journal, ReversalRow, apply_lock, journal_path, read_journal_file, read_reversals, record_reversal,
)

UNDONE_JOURNAL_KIND = "apply.journal"
"""The ``inputs`` kind under which an undo plan names the journal it was made from."""

JOURNAL_SUFFIX = ".journal.sqlite"


def undone_ids(undo_actions: Sequence[Action]) -> tuple[str, ...]:
    """The ids of the undone plan's actions that ``undo_actions`` (actions of an undo plan) reverse, in
    order, each once: each reversal's ``evidence.undoes``."""
    found: dict[str, None] = {}
    for a in undo_actions:
        undoes = getattr(a.evidence, "undoes", None)
        if isinstance(undoes, str) and undoes:
            found.setdefault(undoes, None)
    return tuple(found)


def undone_journal(undo: Plan, undo_path: str | Path) -> Path | None:
    """The journal of the plan the undo plan ``undo`` (read from ``undo_path``) reverses; ``None`` when
    ``undo`` is no undo plan (no ``summary.undoes``).

    The path is the undo plan's ``apply.journal`` input as ``undo`` was given it: absolute, or relative to
    the current folder, else to the undo plan's folder; it must be a journal of the plan ``summary.undoes``
    names. Raises :class:`ApplyRefused` (one line, nothing written) otherwise: the reversal must be recorded
    there before the undo's first write."""
    if not undo.summary.undoes:
        return None
    given = next((i.path for i in undo.inputs if i.kind == UNDONE_JOURNAL_KIND), None)
    if given is None:
        raise ApplyRefused(f"{undo_path}: this undo plan reverses {undo.summary.undoes} but names no journal of it "
                           f"(no {UNDONE_JOURNAL_KIND} input); make it again with `sigma-migrate undo`; "
                           "nothing was written")
    where = Path(given)
    candidates = [where] if where.is_absolute() else [where, Path(undo_path).parent / where]
    for candidate in candidates:
        if candidate.is_file():
            digest = read_journal_file(candidate)[0]
            if digest == undo.summary.undoes:
                return candidate
    raise ApplyRefused(
        f"{undo_path}: this undo plan reverses {undo.summary.undoes}, whose journal {given} (as `undo` read it) is "
        f"not {'there' if where.is_absolute() else 'in this folder nor beside the undo plan'}, or is not that "
        "plan's: apply records the reversal in it, so that no later apply of that plan redoes what this undo "
        "reverses; run apply from the folder `undo` ran in, or put the journal back; nothing was written")


def check_reverses_something(undo: Plan, undo_path: str | Path, done: str = "nothing was written") -> None:
    """Refuse an undo plan with no action (every write of the plan it reverses was left out as a review item:
    changed in Sigma since the apply, or not reversible): applying it would reverse nothing, yet record a rollback
    of 0 actions in the undone plan's journal, after which every apply of that plan is refused ('reversed 0 of its
    action(s) ()'; tester13 #2). ``approve`` and ``apply`` (every mode, ``--auto-approve`` too) refuse it in one line
    ending ``done``, and ``apply --dry-run`` notes it; a plan that is no undo plan passes. Raises
    :class:`ApplyRefused`."""
    if undo.summary.undoes and not undo.actions:
        raise ApplyRefused(
            f"{undo_path}: this undo plan has no action: every write of the plan it reverses ({undo.summary.undoes}) "
            f"is left out as one of its {len(undo.review_items)} review item(s) (changed in Sigma since the apply, "
            "or not reversible), so there is nothing to roll back; applying it would only mark that plan rolled "
            f"back, refusing every later apply of it; read them (`sigma-migrate show {undo_path}`), then fetch "
            f"Sigma's export and plan again; {done}")


def record_undo_run(undo: Plan, undo_path: str | Path, journal: Path, undo_run: int, started_at: str,
                    undo_actions: Sequence[Action]) -> None:
    """Record in the undone plan's ``journal`` (:func:`undone_journal`) that run ``undo_run`` of the undo
    plan ``undo``, started ``started_at`` (ISO 8601 UTC, as its own journal records the run), reverses the
    actions ``undo_actions`` reverse (:func:`undone_ids`), holding that plan's
    apply lock (the plan beside its journal). Called before the undo run's first write. Raises
    :class:`ApplyRefused` while an apply of the undone plan runs, or when the journal cannot be written."""
    undone_plan = journal.with_name(journal.name[: -len(JOURNAL_SUFFIX)]) if journal.name.endswith(
        JOURNAL_SUFFIX) else journal
    reversal = ReversalRow(str(undo_path), undo.digest, undo_run, started_at, undone_ids(undo_actions))
    with apply_lock(undone_plan):
        record_reversal(journal, str(undo.summary.undoes), reversal)


def rolled_back_by(plan_path: str | Path, plan: Plan, reversals: Sequence[ReversalRow]) -> str:
    """How every line about a rolled-back plan begins: ``plan.json: this plan was rolled back by undo plan undo.json
    (sha256:...) run 1 (started ...), which reversed 32 of its action(s) (8 scim.link_user, ...)``: the undo plans and
    runs, and how many of the plan's actions they reversed, per kind, in plan order."""
    runs = "; ".join(f"undo plan {r.undo_plan} ({r.undo_digest}) run {r.undo_run} (started {r.at})"
                     for r in reversals)
    reversed_ids = {aid for r in reversals for aid in r.action_ids}
    kinds = Counter(a.kind.value for a in plan.actions if a.id in reversed_ids)
    return (f"{plan_path}: this plan was rolled back by {runs}, which reversed {sum(kinds.values())} of its action(s) "
            f"({', '.join(f'{n} {kind}' for kind, n in kinds.items())})")


def reversal_message(plan_path: str | Path, plan: Plan, reversals: Sequence[ReversalRow], limit: int = 5) -> str:
    """The one-line refusal of an apply of ``plan`` after undo plans reversed it (``reversals``, from its
    journal): which undo plan and run, how many of the plan's actions they reversed (per kind, in plan
    order), the way out, then those actions, which this apply would redo (first ``limit``, in plan order,
    then a count: the CLI prints at most 1,000 characters of an error, so the way out comes first)."""
    reversed_ids = {aid for r in reversals for aid in r.action_ids}
    redone = [a for a in plan.actions if a.id in reversed_ids]
    shown = ", ".join(f"{a.id} ({label})" if (label := _label(a)) else a.id for a in redone[:limit])
    more = f", and {len(redone) - limit} more" if len(redone) > limit else ""
    return (f"{rolled_back_by(plan_path, plan, reversals)}; applying it again would redo them under its old approval: "
            f"fetch Sigma's export, plan and approve again; nothing was written; it would redo {shown}{more}")


def _label(action: Action) -> str:
    """The member's email or the team's name an action targets (``""``: neither)."""
    return getattr(action.target, "email", "") or getattr(action.target, "name", "") or ""


def recorded_reversals(plan_path: str | Path, plan: Plan, journal: Journal | None = None) -> list[ReversalRow]:
    """The runs of undo plans of ``plan`` its journal records, oldest first: those of ``journal`` when apply has
    it open, else of the journal beside ``plan_path`` read-only (``approve``, ``apply --dry-run``: nothing is
    written); ``[]`` without a journal, or with one of another plan (another digest: the reversals it records
    are not this plan's). Raises :class:`ApplyRefused` (one line) for a file that is not a journal."""
    if journal is not None:
        return journal.reversals()
    path = journal_path(plan_path)
    if read_journal_file(path)[0] != plan.digest:
        return []
    return read_reversals(path)


def check_not_reversed(plan_path: str | Path, plan: Plan, journal: Journal | None = None) -> None:
    """Refuse (:class:`ApplyRefused`, :func:`reversal_message`) ``plan`` when its journal (``journal``, apply's
    open one, else the file beside ``plan_path``: :func:`recorded_reversals`) records a run of an undo plan of
    it: the one refusal of every apply (in every mode), of ``approve`` (with ``--force`` too: no apply of it
    would run) and of ``apply --dry-run`` (a note, exit 1); nothing is read from Sigma, nothing written (was:
    ``approve`` and ``--dry-run`` said nothing of the rollback; issue 10, holds3)."""
    reversals = recorded_reversals(plan_path, plan, journal)
    if reversals:
        raise ApplyRefused(reversal_message(plan_path, plan, reversals))


def check_verifiable(plan_path: str | Path, plan: Plan) -> None:
    """Refuse (:class:`ApplyRefused`, one line, exit 1) ``verify`` of ``plan`` when its journal (beside ``plan_path``)
    records a run of an undo plan of it: Sigma is then meant to be as the undo left it, not as the plan did, so each
    reversed action would read as drift (tester12 #2); ``verify`` of the undo plan checks the rollback, e.g.
    ``plan.json: this plan was rolled back by undo plan undo.json (sha256:...) run 1 (started ...), which reversed 32
    of its action(s) (...); Sigma is as that undo left it, not as this plan did: check it with `sigma-migrate verify
    undo.json`; nothing was read``. Nothing is read from Sigma."""
    check_not_rolled_back(plan_path, plan, ApplyRefused, "Sigma is as that undo left it, not as this plan did: check "
                          "it with `sigma-migrate verify {undo_plan}`; nothing was read")


def check_not_rolled_back(plan_path: str | Path, plan: Plan, refusal: type[UserError], consequence: str) -> None:
    """Refuse ``plan`` when the journal beside ``plan_path`` records a run of an undo plan of it
    (:func:`recorded_reversals`, read-only): raise ``refusal`` with :func:`rolled_back_by` then ``consequence`` (what
    the command would do with it and what to do instead; ``{undo_plan}`` in it is replaced by the path of the last
    undo plan run). The check of ``verify`` (:func:`check_verifiable`) and ``handoff``
    (:func:`planner.handoff.check_plan_kind`); apply and approve refuse by :func:`check_not_reversed`."""
    reversals = recorded_reversals(plan_path, plan)
    if reversals:
        raise refusal(f"{rolled_back_by(plan_path, plan, reversals)}; "
                      + consequence.replace("{undo_plan}", reversals[-1].undo_plan))


def check_not_undo_plan(plan: Plan, plan_path: str | Path, refusal: type[UserError], instead: str) -> None:
    """Refuse an undo plan (``summary.undoes`` set, :mod:`planner.execute.undo`) where a command takes a
    migration plan only: raise ``refusal`` with one line, ``'<plan_path>: this is an undo plan (it reverses
    <digest>): <instead>'``, ``instead`` saying why the command cannot use it and what to do instead (``handoff``,
    tester12 finding 14; ``diff`` refuses two plans of different kinds: :func:`plan_kind`)."""
    if plan.summary.undoes:
        raise refusal(f"{plan_path}: this is an undo plan (it reverses {plan.summary.undoes}): {instead}")


def plan_kind(plan: Plan) -> str:
    """``'an undo plan (it reverses <digest>)'`` for an undo plan, else ``'a migration plan'``: the words a refusal
    names a plan's kind with."""
    return f"an undo plan (it reverses {plan.summary.undoes})" if plan.summary.undoes else "a migration plan"
