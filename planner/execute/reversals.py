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

A plan superseded is never applied again either, by the same record (tester14b finding 9). A re-plan made with
``plan --applied P1.json`` names each plan it was given and the journal it read of it (its ``inputs``: a ``plan``
entry, then an ``apply.journal`` entry, :func:`planner.applied.applied_runs`). Its first run that writes records in
each such journal, before that write and under that plan's apply lock, that it took over from that plan (a
``reversals`` row of kind :data:`~planner.execute.journal.SUPERSEDED`: :func:`record_takeover`); every later apply of
P1.json (the rest, a wave, ``--resume``, ``--dry-run``), its ``approve`` and its ``verify`` refuse, naming the re-plan
(:func:`superseded_by`): P1's approval decided what the re-plan decided anew (a member P1 deactivates and the re-plan
keeps), and P1's stale check cannot see it when the re-plan left that object as it was. ``show`` says it
(:func:`ended_line`). A journal the re-plan read that its apply cannot find where the re-plan records it (moved,
or the re-plan applied from another folder) is said in one line and the apply goes on (the re-plan is still
right): then nothing tells an apply of P1.json, which reads only P1.json, its approval and its journal, and cannot
know a re-plan exists without the record.

Both records are made in sigma-migrate's state directory too, under the ended plan's digest
(:func:`planner.execute.history.record_ending`, holding its digest lock), and every check here reads them with the
journal's (:func:`recorded_reversals`): a copy of the plan in another folder, or the plan with its journal deleted,
is refused as the plan is, the line naming where its journal is (:func:`planner.execute.history.elsewhere`;
tester16b #1); a takeover whose journal is not found is recorded there only.

Two re-plans of one plan (P2 and P3, both ``--applied P1.json``): once one took over from P1, the other's basis is
gone, and its apply (every mode), ``approve`` and ``--dry-run`` refuse naming the re-plan that took over and its
journal (:func:`check_basis_current`, reading P1's journal; tester16b finding 3), unless it was made ``--applied`` with
that re-plan too. ``undo`` of P1's journal, the apply of an undo plan of P1, and P1's ``handoff`` refuse naming P2
(:func:`check_not_superseded`): what P1 wrote is P2's basis now.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

from ..errors import UserError
from ..model import Action, Plan
from .errors import ApplyRefused
from .history import digest_lock, elsewhere, history_path, plan_journals, record_ending, recorded_endings
from .journal import (
    ROLLED_BACK, SUPERSEDED, Journal, ReversalRow, apply_lock, journal_path, read_journal_file, read_reversals,
    record_reversal,
)

UNDONE_JOURNAL_KIND = "apply.journal"
"""The ``inputs`` kind under which an undo plan names the journal it was made from (and a re-plan each journal it
read with ``plan --applied``, after that plan's ``plan`` entry)."""

APPLIED_PLAN_KIND = "plan"
"""The ``inputs`` kind under which a plan names a plan it was made from (``plan --applied``, ``undo``)."""

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


def undone_journal(undo: Plan, undo_path: str | Path, target: str | None = None) -> Path | None:
    """The journal of the plan the undo plan ``undo`` (read from ``undo_path``) reverses; ``None`` when
    ``undo`` is no undo plan (no ``summary.undoes``).

    The path is the undo plan's ``apply.journal`` input as ``undo`` was given it: absolute, or relative to
    the current folder, else to the undo plan's folder, else the journal sigma-migrate's state index records that
    plan's runs with (:func:`find_journal`: an undo plan applied from another folder, verify18 finding 2); it must be
    a journal of the plan ``summary.undoes`` names. Raises :class:`ApplyRefused` (one line, nothing written) otherwise: the reversal must be recorded
    there before the undo's first write. ``target``: the Sigma the undo plan is applied to (its REST base URL,
    :func:`planner.execute.targets.normal_base_url`): only that Sigma's history of the undone plan is read
    (:func:`planner.execute.history.plan_journals`, rehearse20)."""
    if not undo.summary.undoes:
        return None
    given = next((i.path for i in undo.inputs if i.kind == UNDONE_JOURNAL_KIND), None)
    if given is None:
        raise ApplyRefused(f"{undo_path}: this undo plan reverses {undo.summary.undoes} but names no journal of it "
                           f"(no {UNDONE_JOURNAL_KIND} input); make it again with `sigma-migrate undo`; "
                           "nothing was written")
    found = find_journal(given, undo_path, undo.summary.undoes, target)
    if found is not None:
        check_not_superseded(_plan_of(found), recorded_endings(undo.summary.undoes, read_reversals(found), target),
                             ApplyRefused, SUPERSEDED_UNDO, undo.summary.undoes, target)
        return found
    where = Path(given)
    raise ApplyRefused(
        f"{undo_path}: this undo plan reverses {undo.summary.undoes}, whose journal {given} (as `undo` read it) is "
        f"not {'there' if where.is_absolute() else 'in this folder nor beside the undo plan'}, nor where "
        "sigma-migrate's state index records that plan's runs, or is not that plan's: apply records the reversal in it, so that no later apply of that plan redoes what this undo "
        "reverses; run apply from the folder `undo` ran in, or put the journal back; nothing was written")


SUPERSEDED_UNDO = ("what it wrote is the basis {successor} decided anew what to keep of, and an undo of it would take "
                   "back, under that plan's name, what {successor} keeps: undo {successor} with `sigma-migrate undo "
                   "{successor_journal}` for what it wrote, and to take back what this plan wrote, plan again with "
                   "--applied {successor}; nothing was written")
"""What ``undo`` of a superseded plan's journal, and the apply of an undo plan made from it, say after
:func:`superseded_by` (:func:`check_not_superseded`)."""


def find_journal(given: str, plan_path: str | Path, digest: str, target: str | None = None) -> Path | None:
    """The journal a plan at ``plan_path`` names by ``given`` (an ``apply.journal`` input, as it was read): absolute,
    or relative to the current folder, else to ``plan_path``'s folder; only a journal of the plan whose digest is
    ``digest``; else the one sigma-migrate's state index records runs of that plan with last
    (:func:`planner.execute.history.plan_journals`: an undo plan or a re-plan applied from another folder than the
    one ``undo`` or ``plan`` ran in, verify18 finding 2), of the Sigma ``target`` when given (rehearse20); ``None``
    when none is there. Raises :class:`ApplyRefused`
    (one line) for a file that is not a journal, or an index that cannot be read."""
    where = Path(given)
    for candidate in [where] if where.is_absolute() else [where, Path(plan_path).parent / where]:
        if candidate.is_file() and read_journal_file(candidate)[0] == digest:
            return candidate
    return plan_journals(None, digest, target).recorded


@dataclass(frozen=True)
class Predecessor:
    """A plan a re-plan was made ``--applied`` with (its ``inputs``): ``plan`` and ``digest`` as recorded, the
    journal as recorded (``given_journal``) and as found now (``journal``: :func:`find_journal`, ``None`` when not
    there)."""

    plan: str
    digest: str
    given_journal: str
    journal: Path | None


def predecessors(plan: Plan, plan_path: str | Path, target: str | None = None) -> list[Predecessor]:
    """The plans the migration plan ``plan`` (read from ``plan_path``) was made ``--applied`` with, in the order given:
    each ``plan`` input followed by its ``apply.journal`` input (:func:`planner.applied.applied_runs` records them so),
    its journal looked for now (:func:`find_journal`); ``[]`` for an undo plan (it records its rollback instead,
    :func:`record_undo_run`) and for a plan made without ``--applied``. ``target``: the Sigma the re-plan is applied
    to (:func:`find_journal`)."""
    if plan.summary.undoes:
        return []
    inputs = plan.inputs
    return [Predecessor(p.path, f"sha256:{p.sha256}", j.path,
                        find_journal(j.path, plan_path, f"sha256:{p.sha256}", target))
            for p, j in zip(inputs, inputs[1:]) if p.kind == APPLIED_PLAN_KIND and j.kind == UNDONE_JOURNAL_KIND]


def check_basis_current(plan: Plan, plan_path: str | Path, found: Sequence[Predecessor] | None = None,
                        target: str | None = None) -> None:
    """Refuse (:class:`ApplyRefused`, one line, nothing read from Sigma, nothing written) the re-plan ``plan`` (read
    from ``plan_path``) when another re-plan made ``--applied`` with one of its predecessors (``found``, else
    :func:`predecessors`) took over from it since: that predecessor's journal records a :data:`SUPERSEDED` row of a plan
    that is neither ``plan`` nor one of its own predecessors (a re-plan made ``--applied B.json`` builds on B). Two
    re-plans of one applied plan (one in CI, one by hand) each decide anew what it left; once one of them ran, the
    other's basis is gone, as its plan file cannot show (tester16b finding 3): the line names that re-plan and its
    journal, and the way out, a plan made ``--applied`` with it. Called by ``apply`` (every mode), ``approve`` and
    ``apply --dry-run`` (a note). The takeovers are read from the predecessor's journal and sigma-migrate's state index
    (:func:`planner.execute.history.recorded_endings`: one recorded there only, its journal not found, too; of the
    Sigma ``target`` only, when given)."""
    found = predecessors(plan, plan_path, target) if found is None else found
    builds_on = {plan.digest} | {p.digest for p in found}
    for p in found:
        rows = recorded_endings(p.digest, read_reversals(p.journal) if p.journal is not None else [], target)
        others = [r for r in rows if r.kind == SUPERSEDED and r.undo_digest not in builds_on]
        if others:
            raise ApplyRefused(taken_by_sibling_message(plan_path, p, others[0]))


def taken_by_sibling_message(plan_path: str | Path, predecessor: Predecessor, row: ReversalRow) -> str:
    """The refusal of :func:`check_basis_current`: ``C.json: this plan was made --applied A.json, which plan B.json
    (sha256:...) took over from in its run 1 (started ...; its journal B.json.journal.sqlite): ...``."""
    other = row.undo_plan
    return (f"{plan_path}: this plan was made --applied {predecessor.plan}, which plan {other} ({row.undo_digest}) took "
            f"over from in its run {row.undo_run} (started {row.at}; its journal {journal_path(other)}): {other} "
            f"decided anew what {predecessor.plan} left, so this plan's basis is gone and applying it would act under "
            f"its approval on a state it was not made against: fetch Sigma's export and plan again with --applied "
            f"{other}; nothing was written")


def record_takeover(plan: Plan, plan_path: str | Path, found: Sequence[Predecessor], run: int,
                    started_at: str, target: str | None) -> list[str]:
    """Record in the journal of each plan ``found`` (:func:`predecessors` of ``plan``, read from ``plan_path``) that
    run ``run`` of ``plan``, started ``started_at``, took over from it (a ``reversals`` row of kind
    :data:`~planner.execute.journal.SUPERSEDED`, once per plan: a later run finds it there), holding that plan's apply
    lock and its digest lock, and in sigma-migrate's state directory under that plan's digest
    (:func:`planner.execute.history.record_ending`, with ``target``: the Sigma the re-plan's run writes to); called
    before the run's first write. Returns one note line per
    journal not found (moved, or the re-plan applied from another folder): the takeover is recorded in the state
    directory only, and the apply goes on. Raises :class:`ApplyRefused` while an apply of that plan runs, or when its
    journal or the state directory cannot be written."""
    notes = []
    for p in found:
        row = ReversalRow(str(plan_path), plan.digest, run, started_at, (), SUPERSEDED)
        if p.journal is None:
            with digest_lock(p.digest, p.plan):
                record_ending(p.digest, row, target)
            notes.append(
                f"note: {p.given_journal}, the journal of {p.plan} this plan was made --applied with, is not "
                f"{'there' if Path(p.given_journal).is_absolute() else 'in this folder nor beside this plan'}, or is "
                f"not that plan's: this apply cannot record there that it takes over from {p.plan}, only in "
                f"sigma-migrate's state directory ({history_path(p.digest)}), so a later apply of {p.plan} by another "
                "user or on another machine will not be refused; put the journal back and apply again to record it, "
                f"and do not apply {p.plan} again")
            continue
        if any(r.kind == SUPERSEDED and r.undo_digest == plan.digest for r in read_reversals(p.journal)):
            continue
        with digest_lock(p.digest, p.plan), apply_lock(_plan_of(p.journal)):
            record_ending(p.digest, row, target)
            record_reversal(p.journal, p.digest, row)
    return notes


def _plan_of(journal: Path) -> Path:
    """The plan beside ``journal`` (its name without ``.journal.sqlite``): the path its apply lock is taken by."""
    return journal.with_name(journal.name[: -len(JOURNAL_SUFFIX)]) if journal.name.endswith(JOURNAL_SUFFIX) else journal


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
                    undo_actions: Sequence[Action], target: str | None) -> None:
    """Record in the undone plan's ``journal`` (:func:`undone_journal`) that run ``undo_run`` of the undo
    plan ``undo``, started ``started_at`` (ISO 8601 UTC, as its own journal records the run), reverses the
    actions ``undo_actions`` reverse (:func:`undone_ids`), holding that plan's
    apply lock (the plan beside its journal) and its digest lock, and in sigma-migrate's state directory under that
    plan's digest (:func:`planner.execute.history.record_ending`, with ``target``: the Sigma the undo run writes to, so
    an undo rehearsed in the sandbox ends the plan there only, rehearse20). Called before the undo run's first write. Raises
    :class:`ApplyRefused` while an apply of the undone plan runs (from any copy), or when the journal or the state
    directory cannot be written."""
    reversal = ReversalRow(str(undo_path), undo.digest, undo_run, started_at, undone_ids(undo_actions))
    undone = str(undo.summary.undoes)
    with digest_lock(undone, _plan_of(journal)), apply_lock(_plan_of(journal)):
        record_ending(undone, reversal, target)
        record_reversal(journal, undone, reversal)


def rolled_back_by(plan_path: str | Path, plan: Plan, reversals: Sequence[ReversalRow], target: str | None = None) -> str:
    """How every line about a rolled-back plan begins: ``plan.json: this plan was rolled back by undo plan undo.json
    (sha256:...) run 1 (started ...), which reversed 32 of its action(s) (8 scim.link_user, ...)``: the undo plans and
    runs (rows of kind :data:`~planner.execute.journal.ROLLED_BACK` of ``reversals``), and how many of the plan's
    actions they reversed, per kind, in plan order; then, when the plan's journal is not beside ``plan_path`` but
    sigma-migrate's state index knows it (a copy of the plan), where it is (:func:`planner.execute.history.elsewhere`:
    ``; its journal is /srv/m/plan.json.journal.sqlite, not beside this file``; of the Sigma ``target`` when given).
    Without ``target`` (``show``), each undo run the state index records says the Sigma it wrote to (``run 1
    (started ..., on http://127.0.0.1:8765)``; rehearse20)."""
    reversals = [r for r in reversals if r.kind == ROLLED_BACK]
    runs = "; ".join(f"undo plan {r.undo_plan} ({r.undo_digest}) run {r.undo_run} (started {r.at}{_on(r, target)})"
                     for r in reversals)
    reversed_ids = {aid for r in reversals for aid in r.action_ids}
    kinds = Counter(a.kind.value for a in plan.actions if a.id in reversed_ids)
    where = elsewhere(plan_path, plan.digest, target)
    return (f"{plan_path}: this plan was rolled back by {runs}, which reversed {sum(kinds.values())} of its action(s) "
            f"({', '.join(f'{n} {kind}' for kind, n in kinds.items())})" + (f"; {where}" if where else ""))


def reversal_message(plan_path: str | Path, plan: Plan, reversals: Sequence[ReversalRow], limit: int = 5,
                     target: str | None = None) -> str:
    """The one-line refusal of an apply of ``plan`` after undo plans reversed it (``reversals``, from its
    journal): which undo plan and run, how many of the plan's actions they reversed (per kind, in plan
    order), the way out, then those actions, which this apply would redo (first ``limit``, in plan order,
    then a count: the CLI prints at most 1,000 characters of an error, so the way out comes first)."""
    reversed_ids = {aid for r in reversals if r.kind == ROLLED_BACK for aid in r.action_ids}
    redone = [a for a in plan.actions if a.id in reversed_ids]
    shown = ", ".join(f"{a.id} ({label})" if (label := _label(a)) else a.id for a in redone[:limit])
    more = f", and {len(redone) - limit} more" if len(redone) > limit else ""
    return (f"{rolled_back_by(plan_path, plan, reversals, target)}; applying it again would redo them under its old approval: "
            f"fetch Sigma's export again, plan and approve again (a plan of the same export files is this plan again, "
            f"the same digest, refused too); nothing was written; it would redo {shown}{more}")


def _label(action: Action) -> str:
    """The member's email or the team's name an action targets (``""``: neither)."""
    return getattr(action.target, "email", "") or getattr(action.target, "name", "") or ""


def _on(row: ReversalRow, target: str | None) -> str:
    """``, on <Sigma>`` for a row the state index records with the Sigma its run wrote to, said by a command that
    knows no target (``show``); ``""`` otherwise."""
    return f", on {row.target}" if target is None and row.target is not None else ""


def recorded_reversals(plan_path: str | Path, plan: Plan, journal: Journal | None = None,
                       target: str | None = None) -> list[ReversalRow]:
    """The later plans that ended ``plan`` (runs of its undo plans, re-plans that took over), oldest first: those its
    journal records (of ``journal`` when apply has it open, else of the journal beside ``plan_path`` read-only:
    ``approve``, ``apply --dry-run``; none without a journal, or with one of another plan: the reversals it records
    are not this plan's), then those only sigma-migrate's state index records for its digest (a copy of the plan,
    its journal deleted or moved: :func:`planner.execute.history.recorded_endings`; tester16b #1), of the Sigma
    ``target`` only when given (the command's REST base URL: an undo rehearsed in the sandbox does not end the plan
    on Sigma; rehearse20). Raises :class:`ApplyRefused` (one line) for a file that is not a journal, or a history that
    cannot be read."""
    if journal is not None:
        return recorded_endings(plan.digest, journal.reversals(), target)
    path = journal_path(plan_path)
    if read_journal_file(path)[0] != plan.digest:
        return recorded_endings(plan.digest, [], target)
    return recorded_endings(plan.digest, read_reversals(path), target)


def superseded_by(plan_path: str | Path, reversals: Sequence[ReversalRow], digest: str = "",
                  target: str | None = None) -> str:
    """How every line about a superseded plan begins, from the last re-plan that took over from it (the rows of kind
    :data:`~planner.execute.journal.SUPERSEDED` of ``reversals``): ``P1.json: this plan was superseded by plan P2.json
    (sha256:...), made with --applied P1.json, whose run 1 (started ...) took over from it``; then, given the plan's
    ``digest``, where its journal is when not beside ``plan_path`` (:func:`planner.execute.history.elsewhere`, of
    the Sigma ``target`` when given; without, the run names its Sigma as :func:`rolled_back_by` does)."""
    last = [r for r in reversals if r.kind == SUPERSEDED][-1]
    where = elsewhere(plan_path, digest, target) if digest else ""
    return (f"{plan_path}: this plan was superseded by plan {last.undo_plan} ({last.undo_digest}), made with --applied "
            f"{Path(plan_path).name}, whose run {last.undo_run} (started {last.at}{_on(last, target)}) took over from it"
            + (f"; {where}" if where else ""))


def supersession_message(plan_path: str | Path, reversals: Sequence[ReversalRow], digest: str = "",
                         target: str | None = None) -> str:
    """The one-line refusal of an apply (or approval) of a plan a re-plan took over from (:func:`superseded_by`): the
    re-plan's approval is the one in force, and this plan's would act on what it decided anew; the way out."""
    successor = [r for r in reversals if r.kind == SUPERSEDED][-1].undo_plan
    return (f"{superseded_by(plan_path, reversals, digest, target)}; applying this plan would act under its old approval on what "
            f"{successor} decided anew: apply {successor}, or fetch Sigma's export and plan again with --applied "
            f"{successor}; nothing was written")


def ended_line(plan_path: str | Path, plan: Plan) -> str | None:
    """What ``show`` says first of a plan a later plan ended (its journal beside ``plan_path`` records it, read
    only): ``Rolled back: ...`` (:func:`rolled_back_by`) or ``Superseded: ...`` (:func:`superseded_by`), ending with
    the way out; ``None`` for a plan no later plan ended (or without a journal)."""
    reversals = recorded_reversals(plan_path, plan)
    rolled_back = [r for r in reversals if r.kind == ROLLED_BACK]
    if rolled_back:
        return (f"Rolled back: {rolled_back_by(plan_path, plan, reversals)}; no apply of it{_to(rolled_back)} runs "
                "again: fetch Sigma's export, plan and approve again")
    if reversals:
        successor = reversals[-1].undo_plan
        return (f"Superseded: {superseded_by(plan_path, reversals, plan.digest)}; no apply of it{_to(reversals)} runs "
                f"again: apply {successor}, or fetch Sigma's export and plan again with --applied {successor}")
    return None


def _to(rows: Sequence[ReversalRow]) -> str:
    """`` to <Sigma>`` (`` to <Sigma> or <Sigma>``) when every ending of ``rows`` is recorded with the Sigma its run
    wrote to (the state index, rehearse20): the plan is ended there only; ``""`` when one is not (a journal's row, or
    an entry of the older version: every Sigma)."""
    if any(r.target is None for r in rows):
        return ""
    return " to " + " or ".join(dict.fromkeys(r.target for r in rows if r.target is not None))


def check_not_reversed(plan_path: str | Path, plan: Plan, journal: Journal | None = None,
                       target: str | None = None) -> None:
    """Refuse (:class:`ApplyRefused`) ``plan`` when its journal (``journal``, apply's open one, else the file beside
    ``plan_path``: :func:`recorded_reversals`) records that a later plan ended it: a run of an undo plan of it
    (:func:`reversal_message`) or a re-plan made ``--applied`` with it that took over (:func:`supersession_message`;
    the rollback named first when both are recorded): the one refusal of every apply (in every mode), of
    ``approve`` (with ``--force`` too: no apply of it would run) and of ``apply --dry-run`` (a note, exit 1);
    nothing is read from Sigma, nothing written (was: ``approve`` and ``--dry-run`` said nothing of the rollback;
    issue 10, holds3; a superseded plan applied on its old approval, tester14b finding 9). ``target``: the command's
    Sigma (its REST base URL, :func:`planner.execute.targets.normal_base_url`): only endings there refuse
    (:func:`recorded_reversals`; ``None``: every one)."""
    reversals = recorded_reversals(plan_path, plan, journal, target)
    if any(r.kind == ROLLED_BACK for r in reversals):
        raise ApplyRefused(reversal_message(plan_path, plan, reversals, target=target))
    if reversals:
        raise ApplyRefused(supersession_message(plan_path, reversals, plan.digest, target))


def check_verifiable(plan_path: str | Path, plan: Plan, target: str | None = None) -> None:
    """Refuse (:class:`ApplyRefused`, one line, exit 1) ``verify`` of ``plan`` when its journal (beside ``plan_path``)
    records a run of an undo plan of it: Sigma is then meant to be as the undo left it, not as the plan did, so each
    reversed action would read as drift (tester12 #2); ``verify`` of the undo plan checks the rollback, e.g.
    ``plan.json: this plan was rolled back by undo plan undo.json (sha256:...) run 1 (started ...), which reversed 32
    of its action(s) (...); Sigma is as that undo left it, not as this plan did: check it with `sigma-migrate verify
    undo.json`; nothing was read``. Nothing is read from Sigma. ``target``: the Sigma verify reads (only endings
    there refuse, :func:`recorded_reversals`)."""
    check_not_rolled_back(plan_path, plan, ApplyRefused, "Sigma is as that undo left it, not as this plan did: check "
                          "it with `sigma-migrate verify {undo_plan}`; nothing was read", target)
    check_not_superseded(plan_path, recorded_reversals(plan_path, plan, target=target), ApplyRefused,
                         "Sigma is meant to be as that plan leaves it, not as this plan did: check it with "
                         "`sigma-migrate verify {successor}`; nothing was read", plan.digest, target)


def check_not_superseded(plan_path: str | Path, reversals: Sequence[ReversalRow], refusal: type[UserError],
                         consequence: str, digest: str = "", target: str | None = None) -> None:
    """Refuse a plan a re-plan made ``--applied`` with it took over from (``reversals``, read from its journal, hold a
    :data:`~planner.execute.journal.SUPERSEDED` row): raise ``refusal`` with :func:`superseded_by` then ``consequence``
    (what the command would do with it and what to do instead; ``{successor}`` in it is replaced by the path of the
    last re-plan, ``{successor_journal}`` by its journal's). The check of ``verify`` (:func:`check_verifiable`),
    ``handoff`` (:func:`planner.handoff.check_plan_kind`), ``undo`` of its journal and the apply of an undo plan made
    from it (:func:`undone_journal`): what the plan wrote is the re-plan's basis now, which decided anew what to keep
    of it (tester16b finding 3). Apply and approve refuse by :func:`check_not_reversed`. ``digest``: the plan's, for
    where its journal is when not beside ``plan_path`` (:func:`superseded_by`, of the Sigma ``target`` when given)."""
    last = [r for r in reversals if r.kind == SUPERSEDED]
    if last:
        raise refusal(f"{superseded_by(plan_path, reversals, digest, target)}; " + consequence.replace(
            "{successor}", last[-1].undo_plan).replace("{successor_journal}", str(journal_path(last[-1].undo_plan))))


def check_not_rolled_back(plan_path: str | Path, plan: Plan, refusal: type[UserError], consequence: str,
                          target: str | None = None) -> None:
    """Refuse ``plan`` when the journal beside ``plan_path`` records a run of an undo plan of it
    (:func:`recorded_reversals`, read-only): raise ``refusal`` with :func:`rolled_back_by` then ``consequence`` (what
    the command would do with it and what to do instead; ``{undo_plan}`` in it is replaced by the path of the last
    undo plan run). The check of ``verify`` (:func:`check_verifiable`) and ``handoff``
    (:func:`planner.handoff.check_plan_kind`); apply and approve refuse by :func:`check_not_reversed`. ``target``:
    the command's Sigma, when it knows one (:func:`recorded_reversals`)."""
    reversals = [r for r in recorded_reversals(plan_path, plan, target=target) if r.kind == ROLLED_BACK]
    if reversals:
        raise refusal(f"{rolled_back_by(plan_path, plan, reversals, target)}; "
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
