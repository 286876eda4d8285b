"""Where a plan's apply history is found again: a per-user state index keyed by plan digest, per target Sigma.

A plan's journal lives beside the plan file (:func:`planner.execute.journal.journal_path`), and every rule that
keeps a plan from being applied twice reads it: a rollback or a supersession
(:mod:`planner.execute.reversals`), an unfinished run (:mod:`planner.execute.resume`), ``approve``'s "already
applied". A copy of the plan in another folder, or the plan with its journal deleted or moved, has no journal, and
each of those rules saw a plan never applied: ``approve`` + ``apply`` of the copy re-applied a plan an undo had
rolled back (tester16b #1). The digest identifies the plan wherever its file is (:mod:`planner.planfile`: it leaves
``created_at`` out), so the index is keyed by it.

One plan is applied to more than one Sigma when it is rehearsed: a copy approved with the sandbox's URLs and applied
there, then the plan itself applied to Sigma (README "rehearse all of it"). Each run's journal and each ending
records the target it wrote to (``target``: the REST base URL of the run, :func:`planner.execute.targets.normal_base_url`),
and the rules read the history of the command's target only (``target`` given: ``apply``, ``approve``, ``verify``, the
apply of an undo plan or a re-plan); the sandbox's runs and its undo no longer refuse the real apply (was: keyed by
digest alone, the real apply was refused and pointed at the sandbox's journal; rehearse20). An entry without a target
(written by the older version, ``format`` 1) counts for every target. A command that knows no target (``plan
--applied``, ``show``) reads every home, naming the target of each (:meth:`PlanJournals.targets`).

Location (:func:`planner.state.state_dir`): ``$SIGMA_MIGRATE_STATE_DIR``, else ``$XDG_STATE_HOME/sigma-migrate`` (an
absolute ``XDG_STATE_HOME`` only: XDG Base Directory Specification 0.8), else ``~/.local/state/sigma-migrate``. In
it:

- ``plans/<hex>.json`` (:class:`PlanHistory`, one file per plan digest ``sha256:<hex>``): the journal each run of
  the plan wrote to, with the run's target, number, selection and start (:func:`record_run`, by apply before the
  run's first write), and every later plan that ended it, with the target its run wrote to, as the ``reversals`` rows of its journal
  (:func:`record_ending`: an undo plan's run, a re-plan's takeover). Written whole, atomically
  (:func:`planner.output.write_record`), under the digest lock of that plan.
- ``locks/<hex>.lock`` (:func:`digest_lock`): held by an apply of the plan (besides the lock beside the plan
  file, :func:`planner.execute.journal.apply_lock`), so two copies of one plan never run at once.

The rules read it (nothing else; the journal stays the record of what was done):
:func:`recorded_endings` adds its rollbacks and supersessions to the journal's, so a copy is refused as the
original is; :func:`check_journal_home` refuses a plan whose runs the index records with a journal that is not
the one beside this file (a copy, or a deleted journal): never a second history of one digest;
:func:`check_journal_runs` refuses a journal lacking runs the index records with it (restored from an older copy).
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import os
import shlex
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, Sequence

import filelock
import msgspec

from ..output import OutputError, write_record
from ..state import STATE_DIR_ENV, history_path, lock_path
from .errors import ApplyRefused
from .journal import ReversalRow, RunRow, journal_path, read_journal_file
from .resume import how_it_ended, selection_text

HISTORY_FORMAT = 2
"""The ``format`` of a history file this version writes (:class:`PlanHistory`): 2 records the ``target`` of each
journal home and ending (rehearse20); 1 (no target) is read too, its entries counting for every target."""

READ_FORMATS = (1, HISTORY_FORMAT)
"""The history ``format`` values this version reads."""


class RunStart(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """A run of the plan as apply started it: ``run`` (its number in the journal), ``applied`` (what it applied:
    ``the whole plan``, ``--only group:Finance``: :func:`planner.execute.resume.selection_text`), ``mode``
    (``apply``, ``resume``, ``reapply``) and ``started_at`` (ISO 8601 UTC, as the journal records it)."""

    run: int
    applied: str
    mode: str
    started_at: str


class JournalHome(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """A journal runs of the plan wrote to: ``journal`` and ``plan`` (the plan file beside it), absolute paths
    (symbolic links resolved), the runs started with it, oldest first, and ``target``: the Sigma they wrote to (the
    REST base URL, :func:`planner.execute.targets.normal_base_url`; ``None``: recorded by the older version, every
    target's)."""

    journal: str
    plan: str
    runs: tuple[RunStart, ...] = ()
    target: str | None = None


class Ending(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """A later plan that ended this one: one ``reversals`` row of its journal
    (:class:`planner.execute.journal.ReversalRow`, the same fields), and ``target``: the Sigma that plan's run wrote
    to (``None``: recorded by the older version, every target's)."""

    kind: str
    plan: str
    digest: str
    run: int
    at: str
    action_ids: tuple[str, ...] = ()
    target: str | None = None

    def row(self) -> ReversalRow:
        """The journal row this ending is (with its ``target``)."""
        return ReversalRow(self.plan, self.digest, self.run, self.at, self.action_ids, self.kind, self.target)


def counts_for(recorded: str | None, target: str | None) -> bool:
    """Whether an entry recorded for ``recorded`` is part of the history a command of ``target`` reads: always when
    the command knows no target (``None``: ``plan --applied``, ``show``) or the entry has none (written by the older
    version: conservative); else only the same Sigma (both :func:`planner.execute.targets.normal_base_url`)."""
    return recorded is None or target is None or recorded == target


class PlanHistory(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """``plans/<hex>.json``: what apply and undo ever wrote with the plan of ``digest``: the ``journals`` its runs
    wrote to, the last used last, and the plans that ended it (``endings``, oldest first)."""

    digest: str
    format: int = HISTORY_FORMAT
    journals: tuple[JournalHome, ...] = ()
    endings: tuple[Ending, ...] = ()


def _unwritable(where: Path, exc: OSError | OutputError) -> ApplyRefused:
    reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
    return ApplyRefused(
        f"{where}: cannot write sigma-migrate's state directory ({reason}): apply records there which journal each "
        f"plan's runs write to, so that a copy of the plan is never applied again; make it writable, or set "
        f"{STATE_DIR_ENV} to a writable directory; nothing was written")


def read_history(digest: str) -> PlanHistory:
    """The history of the plan of ``digest`` (empty when the index has none). Raises :class:`ApplyRefused` (one
    line naming the file) when it cannot be read or is not a history of that digest."""
    path = history_path(digest)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return PlanHistory(digest)
    except OSError as exc:
        raise ApplyRefused(f"{path}: cannot read this plan's history in sigma-migrate's state directory "
                           f"({exc.strerror or exc}); nothing was written") from None
    try:
        history = msgspec.json.decode(data, type=PlanHistory)
    except msgspec.DecodeError as exc:
        raise ApplyRefused(f"{path}: not a plan history of sigma-migrate ({exc}); nothing was written") from None
    if history.digest != digest:
        raise ApplyRefused(f"{path}: the history of plan {history.digest}, not {digest}; nothing was written")
    if history.format not in READ_FORMATS:
        raise ApplyRefused(f"{path}: a plan history of format {history.format} (field 'format'), written by a newer "
                           f"sigma-migrate; this one reads formats {', '.join(map(str, READ_FORMATS))}: use the newer "
                           "sigma-migrate; nothing was written")
    return history


def _write_history(history: PlanHistory) -> None:
    """Write ``history`` whole, atomically; the caller holds its digest lock (:func:`digest_lock`)."""
    path = history_path(history.digest)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        write_record(path, msgspec.json.format(msgspec.json.encode(history), indent=2).decode("utf-8") + "\n")
    except (OSError, OutputError) as exc:
        raise _unwritable(path.parent, exc) from None


@contextlib.contextmanager
def digest_lock(digest: str, plan_path: str | Path) -> Iterator[None]:
    """Hold the lock of the plan of ``digest`` (``<state dir>/locks/<hex>.lock``, an OS file lock through
    :mod:`filelock`, never waiting) for the ``with`` block: held by apply, and by an undo's or a re-plan's run
    while it records that it ended the plan (:func:`record_ending`). Raises :class:`ApplyRefused` (one line)
    when another process holds it (an apply of this plan from this file or a copy of it) or when the state
    directory cannot be written (before any write)."""
    path = lock_path(digest)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        lock = filelock.FileLock(path, timeout=0)
        lock.acquire()
    except filelock.Timeout:
        raise ApplyRefused(
            f"{plan_path}: another apply of this plan ({digest}) is running, from this file or a copy of it (it holds "
            f"{path}); let it finish, then apply or resume the plan where its journal is; nothing was written"
        ) from None
    except OSError as exc:
        raise _unwritable(path.parent, exc) from None
    try:
        yield
    finally:
        lock.release()


def _same_file(a: str | Path, b: str | Path) -> bool:
    return os.path.realpath(a) == os.path.realpath(b)


def record_run(plan_path: str | Path, digest: str, journal: Path, run: RunRow, target: str | None) -> None:
    """Record that ``run`` (its number, selection, mode and start) of the plan of ``digest`` at ``plan_path``
    writes to ``journal`` and to the Sigma ``target`` (its REST base URL, :func:`planner.execute.targets.normal_base_url`):
    called by apply before the run's first write, holding :func:`digest_lock`, inside the journal transaction that
    starts the run (:meth:`planner.execute.journal.Journal.start_run`: a run the index records is in the journal). That journal becomes the plan's last
    for that target (:func:`check_journal_home` then accepts only it there). The index is written in this version's
    format (an older file's entries keep no target). Raises :class:`ApplyRefused` when the index cannot be read or
    written (nothing was sent yet)."""
    history = read_history(digest)
    start = RunStart(run.run_id, selection_text(plan_path, run), run.mode, run.started_at)
    here = os.path.realpath(journal)
    earlier = next((j for j in history.journals if _same_file(j.journal, here) and j.target == target), None)
    home = JournalHome(here, os.path.realpath(plan_path),
                       (earlier.runs if earlier else ()) + (start,), target)
    others = tuple(j for j in history.journals if j is not earlier)
    _write_history(msgspec.structs.replace(history, format=HISTORY_FORMAT, journals=others + (home,)))


def record_ending(digest: str, row: ReversalRow, target: str | None) -> None:
    """Record that a later plan ended the plan of ``digest`` on the Sigma ``target`` (the REST base URL its run
    writes to, :func:`planner.execute.targets.normal_base_url`; ``row``: the ``reversals`` row written to its
    journal, or that would be when its journal is not found), once; the caller holds that plan's
    :func:`digest_lock`. Raises :class:`ApplyRefused` when the index cannot be read or written."""
    history = read_history(digest)
    ending = Ending(row.kind, row.undo_plan, row.undo_digest, row.undo_run, row.at, tuple(row.action_ids), target)
    if any((e.kind, e.digest, e.run) == (ending.kind, ending.digest, ending.run) for e in history.endings):
        return
    _write_history(msgspec.structs.replace(history, format=HISTORY_FORMAT, endings=history.endings + (ending,)))


def recorded_endings(digest: str, journal_rows: Sequence[ReversalRow], target: str | None = None) -> list[ReversalRow]:
    """``journal_rows`` (the ``reversals`` rows of the journal beside the plan, oldest first) followed by the
    endings of the plan of ``digest`` the index records and the journal does not (a copy of the plan, a deleted
    journal), of the Sigma ``target`` only when given (:func:`counts_for`: an undo rehearsed in the sandbox does not
    end the plan on Sigma; rehearse20), each with its target: what every rule of :mod:`planner.execute.reversals`
    reads."""
    seen = {(r.kind, r.undo_digest, r.undo_run) for r in journal_rows}
    extra = [e.row() for e in read_history(digest).endings
             if (e.kind, e.digest, e.run) not in seen and counts_for(e.target, target)]
    return [*journal_rows, *extra]


def gone_words(journal: str | Path, digest: str) -> str:
    """How a journal the state index records for the plan of ``digest`` is not the plan's now, for the refusals
    that ask to put it back: ``is gone`` (no file), ``is damaged (not a usable journal: the file is empty, 0 bytes:
    cut short or overwritten)`` (:func:`planner.execute.journal.unusable`; tester22 finding 2: it was called gone
    while there), or ``now holds plan <digest>'s journal``."""
    path = Path(journal)
    if not path.is_file():
        return "is gone"
    try:
        other = read_journal_file(path)[0]
    except ApplyRefused as exc:
        return f"is damaged ({str(exc).removeprefix(f'{path}: ')})"
    return f"now holds plan {other}'s journal" if other != digest else "is there"


def _journal_of(path: str | Path, digest: str) -> bool:
    """Whether ``path`` is a journal of the plan of ``digest`` now."""
    try:
        return Path(path).is_file() and read_journal_file(Path(path))[0] == digest
    except ApplyRefused:
        return False


@dataclass(frozen=True)
class PlanJournals:
    """Where the runs of the plan of ``digest`` (its file at ``plan_path``) are recorded: the one lookup of "the
    journals of plan digest D" that ``plan --applied``, ``approve``, ``apply``, ``verify`` and the apply of an undo
    plan read (:func:`plan_journals`; verify18 finding 2).

    ``beside``: the journal beside ``plan_path`` (:func:`planner.execute.journal.journal_path`) when it is a journal
    of this plan, else ``None``; ``homes``: the journals the state index records runs of the plan with, oldest first
    (:class:`JournalHome`), of the Sigma ``target`` only when one was given (:func:`counts_for`; rehearse20);
    :attr:`live`: those of ``homes`` that are a journal of the plan now."""

    plan_path: str | None
    digest: str
    beside: Path | None
    homes: tuple[JournalHome, ...]
    target: str | None = None
    every: tuple[JournalHome, ...] = ()
    """Every journal the index records runs of the plan with, of every Sigma: what a journal file must hold
    (:meth:`lacking`: one file holds the runs of every Sigma it was applied to from that folder)."""

    def lacking(self, journal: Path, runs: Sequence[RunRow]) -> tuple[RunStart, ...]:
        """The runs the index records with the file ``journal`` that ``runs`` (its ``runs`` rows) lack, by run
        number and start (ISO 8601 UTC, as both record it), oldest first: a journal restored from an older copy
        (tester22 finding 2d: apply ran "run 2" again over the lost one, verify counted what the copy has, undo left
        the lost wave as it was)."""
        have = {(r.run_id, r.started_at) for r in runs}
        return tuple(s for h in self.every if _same_file(h.journal, journal) for s in h.runs
                     if (s.run, s.started_at) not in have)

    @functools.cached_property
    def live(self) -> tuple[JournalHome, ...]:
        """Those of ``homes`` that are a journal of the plan now, in that order: read once, when asked (the journal
        beside the file is not read again)."""
        return tuple(h for h in self.homes if (self.beside is not None and _same_file(h.journal, self.beside))
                     or _journal_of(h.journal, self.digest))

    @property
    def beside_known(self) -> bool:
        """Whether the index records the journal beside the plan file (or records none: nothing says otherwise)."""
        return self.beside is not None and (not self.homes or any(_same_file(h.journal, self.beside)
                                                                  for h in self.homes))

    @property
    def recorded(self) -> Path | None:
        """The journal the index records last that is the plan's now (``None``: none is)."""
        return Path(self.live[-1].journal) if self.live else None

    def copy_of(self) -> JournalHome | None:
        """The live journal the index records that the journal beside the plan file (not one the index records) is
        a byte-identical copy of (a copied folder: one history); ``None`` otherwise."""
        if self.beside is None or self.beside_known:
            return None
        here = _sha256(self.beside)
        return next((h for h in reversed(self.live) if _sha256(h.journal) == here), None)

    def other_history(self) -> JournalHome | None:
        """The journal the index records that is the plan's now and is not the one beside the plan file, when one
        is beside it too and holds other records: two histories of one plan (a copy of the folder that ran on, a
        journal copied back); ``None`` otherwise. A byte-identical copy of any of them is one history."""
        if self.beside is None or self.beside_known or not self.live or self.copy_of() is not None:
            return None
        return self.live[-1]

    def targets(self) -> tuple[JournalHome, ...]:
        """The last live journal of each Sigma the plan's runs wrote to, in the index's order, when they are more
        than one (the plan rehearsed in the sandbox and applied to Sigma: which history a command that knows no
        target reads is then a choice, rehearse20); ``()`` for one target or none. A journal recorded without a
        target (the older version) is none of them."""
        last: dict[str, JournalHome] = {}
        for home in self.live:
            if home.target is not None:
                last.pop(home.target, None)
                last[home.target] = home
        return tuple(last.values()) if len(last) > 1 else ()


def _sha256(path: str | Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def plan_journals(plan_path: str | Path | None, digest: str, target: str | None = None) -> PlanJournals:
    """The :class:`PlanJournals` of the plan of ``digest`` at ``plan_path``: the journal beside the file (none looked
    for when ``plan_path`` is ``None``: an undo plan's apply knows the undone plan by its digest only) and the ones
    sigma-migrate's state index records (:func:`read_history`), those of the Sigma ``target`` only when given
    (:func:`counts_for`: the REST base URL of the command, :func:`planner.execute.targets.normal_base_url`). Reads
    only. Raises :class:`ApplyRefused` (one line) when the index cannot be read."""
    every = read_history(digest).journals
    homes = tuple(h for h in every if counts_for(h.target, target))
    beside = journal_path(plan_path) if plan_path is not None else None
    return PlanJournals(None if plan_path is None else str(plan_path), digest,
                        beside if beside is not None and _journal_of(beside, digest) else None, homes, target, every)


def check_journal_runs(found: PlanJournals, journal: Path, done: str = "nothing was written") -> None:
    """Refuse (:class:`ApplyRefused`, one line) the journal file ``journal`` of the plan of ``found`` (its
    :func:`plan_journals`) when it lacks a run the state index records with it (:meth:`PlanJournals.lacking`): a
    journal restored from an older copy (a backup, a sync client) holds neither what those runs wrote nor that they
    ran, so an apply would number its run as one of them and redo their actions, verify would count without them and
    undo would leave what they wrote as it is (tester22 finding 2d). ``done``: what the command did not do
    (``nothing was written``, ``no plan written``). The one check of ``apply`` (every mode), ``approve`` and
    ``verify`` (:func:`check_journal_home`), ``undo`` and ``plan --applied`` (docs/apply.md "Where a plan's history
    lives")."""
    lacking = found.lacking(journal, read_journal_file(journal)[1])
    if not lacking:
        return
    words = ", ".join(f"run {r.run} ({r.applied}, started {r.started_at})" for r in lacking)
    raise ApplyRefused(
        f"{journal}: this journal lacks {words} of plan {found.digest}, which sigma-migrate's state index records "
        "with it: restored from an older copy? What those runs wrote to Sigma is not in it, so it cannot be applied, "
        "verified or undone from it; put back the newest copy of this journal, or fetch Sigma's export again and plan "
        f"again; {done}")


def elsewhere(plan_path: str | Path, digest: str, target: str | None = None) -> str:
    """``""`` when the plan at ``plan_path`` has a journal of it beside it or the index knows none (of the Sigma
    ``target``, when given); else the clause naming where its history is, for the refusals of a rolled-back or
    superseded plan: ``its journal is /srv/m/plan.json.journal.sqlite, not beside this file`` (``..., which is
    gone``); with no ``target`` and journals of more than one Sigma (:meth:`PlanJournals.targets`), each with its
    Sigma: ``its journals are /srv/m/plan.json.journal.sqlite (applied to https://api.sigmacomputing.com),
    /srv/r/plan.json.journal.sqlite (applied to http://127.0.0.1:8765), not beside this file``."""
    found = plan_journals(plan_path, digest, target)
    if not found.homes or found.beside is not None:
        return ""
    if found.targets():
        return (f"its journals are {', '.join(f'{h.journal} (applied to {h.target})' for h in found.targets())}, "
                "not beside this file")
    if found.recorded is not None:
        return f"its journal is {found.recorded}, not beside this file"
    return f"its journal was {found.homes[-1].journal}, which {gone_words(found.homes[-1].journal, digest)}"


_HERE = {"apply": "an apply here would start a second history of the same plan",
         "verify": "a verify here would check every action as if the plan were applied whole"}
"""What ``apply`` (and ``approve``, which approves an apply) or ``verify`` of a copy would do (:func:`check_journal_home`)."""


def check_journal_home(plan_path: str | Path, digest: str, command: str = "apply", target: str | None = None) -> None:
    """Refuse (:class:`ApplyRefused`, one line, exit 1, nothing read from Sigma) the plan of ``digest`` at
    ``plan_path`` when the index records runs of it with another journal than the one beside this file, on the Sigma
    ``target`` when given (the command's REST base URL, :func:`planner.execute.targets.normal_base_url`; the runs of
    a copy rehearsed in the sandbox do not refuse the apply to Sigma, rehearse20):

    - that journal is there, and this file has none beside it, or one that is another copy: ``command`` it
      where its journal is (``sigma-migrate apply /srv/m/plan.json``): a run here would start a second history
      of one plan, in which its done actions, an unfinished run, a later rollback are not;
    - that journal is gone and this file has none: the runs it recorded cannot be known any more (what they
      wrote, what is left): put it back, or fetch Sigma's export again and plan again.

    First, the journal beside this file lacking a run the index records with it (restored from an older copy) is
    refused (:func:`check_journal_runs`; tester22 finding 2d).

    A journal beside this file that is the plan's while every journal the index knows is gone is the plan's
    history moved with it: accepted (apply records its new place, :func:`record_run`). Called by ``approve``,
    ``apply`` (every mode, ``--dry-run`` as a note) and ``verify`` after the rollback and supersession checks
    (:func:`planner.execute.reversals.check_not_reversed`). tester16b #1.

    Without ``target`` (``approve`` given no REST base URL, none in the policy) the refusal names the Sigma that
    journal's runs wrote to, and how to name another: ``...; to apply it to another Sigma than
    http://127.0.0.1:8765, give that Sigma's REST base URL (--rest-base-url); nothing was written``."""
    found = plan_journals(plan_path, digest, target)
    homes, here, live = found.homes, found.beside is not None, found.live
    if found.beside is not None:
        check_journal_runs(found, found.beside)  # restored from an older copy: lacks runs the index records
    if not homes or found.beside_known:
        return
    if here and not live:
        return
    if live:
        home = live[-1]
        runs = read_journal_file(Path(home.journal))[1]
        words = ", ".join(f"run {r.run_id} ({selection_text(home.plan, r)}, {how_it_ended(r)})" for r in runs)
        this = ("its journal beside this file is another copy of that history" if here
                else "this file has no journal beside it")
        raise ApplyRefused(
            f"{plan_path}: this plan ({digest}) was applied from {home.plan}: its journal {home.journal} records "
            f"{words or 'no run'}, and {this}; {_HERE[command]}, without what those runs did: {command} it where its "
            f"journal is (`sigma-migrate {command} {shlex.quote(home.plan)}`){_other_sigma(command, home, target)}; "
            "nothing was written")
    home = homes[-1]
    words = ", ".join(f"run {r.run} ({r.applied}, started {r.started_at})" for r in home.runs)
    raise ApplyRefused(
        f"{plan_path}: this plan ({digest}) was applied from {home.plan}, {words or 'no run'}, but its journal "
        f"{home.journal} {gone_words(home.journal, digest)} and this file has no journal beside it: what those runs "
        f"wrote and left cannot be known; put that journal back beside {home.plan}, or fetch Sigma's export again "
        f"and plan again{_other_sigma(command, home, target)}; nothing was written")


def _other_sigma(command: str, home: JournalHome, target: str | None) -> str:
    """The way out of :func:`check_journal_home` for a command that knows no target, when the index records the
    Sigma ``home``'s runs wrote to: ``; to apply it to another Sigma than <target>, give that Sigma's REST base URL
    (--rest-base-url)``; ``""`` otherwise."""
    if target is not None or home.target is None:
        return ""
    return (f"; to {command} it {'on' if command == 'verify' else 'to'} another Sigma than {home.target}, give that "
            "Sigma's REST base URL (--rest-base-url)")
