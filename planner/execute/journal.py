"""The apply journal: one SQLite file beside the plan, one row per action.

Path: ``<plan file>.journal.sqlite`` (e.g. ``plan.json.journal.sqlite``).

Tables:

- ``meta(key, value)``: ``plan_digest``, ``plan_path``, ``created_at``, ``tool_version``.
- ``actions``: one row per plan action:
  ``action_id`` (plan id), ``seq`` (plan order), ``kind``, ``state``
  (``pending`` | ``running`` | ``done`` | ``failed`` | ``skipped``),
  ``attempts`` (how many times a handler started on it, across runs),
  ``http_retries``, ``started_at`` / ``finished_at`` (ISO 8601 UTC),
  ``outcome`` (``written``: this tool changed Sigma; ``already``: Sigma was
  already in the planned state, nothing sent; ``written`` by any run is never overwritten by a later
  run's ``already``; an interrupted attempt's write found
  in place on resume is ``written``, its event naming the interrupted run), ``ids`` (JSON: ids Sigma
  returned, e.g. ``{"scimUserId": ...}``), ``before_image`` (JSON: the object
  as read just before the first write, kept from the first attempt),
  ``error`` (one line, redacted), ``refused`` (a ``failed`` row Sigma refused for good: its answer,
  ``403 forbidden: Member m3 is provisioned by SCIM; ...``, :attr:`planner.execute.errors.ApiError.refusal`; or
  one no retry can change that is no answer of Sigma: ``not sent: ActionInputError: ...`` or a fault of this tool,
  :func:`planner.execute.errors.failure_refusal`; ``NULL`` for every other row, and in journals written before the column, which :meth:`Journal.open`
  adds and :func:`read_journal_file` reads as ``NULL``; what ``plan --applied`` reads, :mod:`planner.applied`).
- ``runs``: one row per ``apply`` invocation (mode, start, end, status, counts, the approver
  whose approval it ran under (``auto-approve`` with ``--auto-approve``), the wave (``--only`` /
  ``--limit`` label, ``""`` for the whole plan), the ids of the actions the wave ran and the
  ``--only`` / ``--limit`` words that chose them, ``selection``, which ``--resume`` repeats).
- ``events``: an append-only audit trail (``run_id``, ``action_id``, ``at``, ``event``, ``detail``).
- ``reversals``: one row per later plan that ended this one (``kind``): a run of an undo plan of this plan
  (``undo``, :data:`ROLLED_BACK`; ``NULL`` in journals older than the column) or the first run of a re-plan made
  with ``plan --applied`` this plan (``superseded``, :data:`SUPERSEDED`: it took over from this plan);
  ``undo_plan``: that plan's path as given to apply, ``undo_digest``, ``undo_run``: that run's number in that
  plan's own journal, ``at``, and ``action_ids``: JSON, the ids of this plan's actions the run reverses (``[]``
  for a re-plan), written by that apply before its first write (:func:`record_reversal`); every later apply of
  this plan refuses while one is there (:mod:`planner.execute.reversals`). Journals older than the table read as
  having none.
- ``closures``: one row per run of this plan a policy closed (``run_id``, ``at``, ``entry``: the
  ``applied.closed_runs`` entry and the policy file that closed it), written by the re-plan given this plan with
  ``--applied`` (:func:`record_closure`); every later apply of this plan refuses while the unfinished run is
  closed (:func:`planner.execute.resume.check_unfinished_run`). Journals older than the table read as having none.

Lock: ``<plan file>.journal.lock`` (:func:`apply_lock`), held by one apply of the plan from
before the journal is opened until the run ends, so two concurrent applies of one plan cannot
both run; the second refuses. The operating system releases it when the process ends, even
on ``kill -9``. Apply also holds the plan's digest lock in sigma-migrate's state directory
(:func:`planner.execute.history.digest_lock`), so a copy of the plan in another folder cannot run meanwhile;
the state directory records which journal each digest's runs wrote to (:mod:`planner.execute.history`).

Durability: WAL mode; every state change is its own committed transaction
*before* the next step, so ``kill -9`` loses at most the in-flight step; an
action found ``running`` on resume is re-run, and its handler's check-first
makes a second write impossible when the first one landed. ``running`` is committed before an
action's first request and a before-image before its first write; the ids a create's answer
returns (and a first create's before-image) are committed with ``done``, the step that follows
that answer (:meth:`Journal.mark_done`): a first create is two transactions. The journal never
holds a secret (callers pass redacted text; nothing here reads credentials).
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator, Mapping, Sequence, TypeVar

import filelock

from .errors import ApplyRefused

STATES = ("pending", "running", "done", "failed", "skipped")

WRITTEN_BY_INTERRUPTED_RUN = "written_by_interrupted_run"
"""The outcome of an action whose interrupted attempt's write had reached Sigma, found in place
on resume: nothing is sent again; the journal records it as ``written`` by that run."""

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS actions (
    action_id    TEXT PRIMARY KEY,
    seq          INTEGER NOT NULL,
    kind         TEXT NOT NULL,
    state        TEXT NOT NULL CHECK (state IN ('pending','running','done','failed','skipped')),
    attempts     INTEGER NOT NULL DEFAULT 0,
    http_retries INTEGER NOT NULL DEFAULT 0,
    started_at   TEXT,
    finished_at  TEXT,
    outcome      TEXT,
    ids          TEXT,
    before_image TEXT,
    error        TEXT,
    refused      TEXT
);
CREATE TABLE IF NOT EXISTS runs (
    run_id      INTEGER PRIMARY KEY AUTOINCREMENT,
    mode        TEXT NOT NULL,
    started_at  TEXT NOT NULL,
    finished_at TEXT,
    status      TEXT,
    counts      TEXT,
    approver    TEXT,
    approved_at TEXT,
    wave        TEXT,
    wave_actions TEXT,
    selection   TEXT
);
CREATE TABLE IF NOT EXISTS reversals (
    reversal_id INTEGER PRIMARY KEY AUTOINCREMENT,
    undo_plan   TEXT NOT NULL,
    undo_digest TEXT NOT NULL,
    undo_run    INTEGER NOT NULL,
    at          TEXT NOT NULL,
    action_ids  TEXT NOT NULL,
    kind        TEXT
);
CREATE TABLE IF NOT EXISTS closures (
    run_id    INTEGER PRIMARY KEY,
    at        TEXT NOT NULL,
    entry     TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS events (
    event_id  INTEGER PRIMARY KEY AUTOINCREMENT,
    run_id    INTEGER,
    action_id TEXT,
    at        TEXT NOT NULL,
    event     TEXT NOT NULL,
    detail    TEXT
);
"""


def journal_path(plan_path: str | Path) -> Path:
    """``<plan>.journal.sqlite`` beside the plan file."""
    plan_path = Path(plan_path)
    return plan_path.with_name(plan_path.name + ".journal.sqlite")


BUSY_TIMEOUT = 30.0
"""Seconds SQLite waits for a lock another program holds on a journal (``sqlite3.connect(timeout=...)``) before
:func:`journal_error` names that program's hold."""

_HELD = (5, 6)
"""``SQLITE_BUSY`` and ``SQLITE_LOCKED`` (https://www.sqlite.org/rescode.html): another connection holds the file."""


class JournalWriteError(ApplyRefused):
    """A write to a journal SQLite refused (:class:`_Transaction`, :meth:`Journal.open`): ``str()`` is
    :func:`journal_error`'s one line, without what the run had written; apply adds that
    (:func:`planner.execute.apply.journal_stopped`; tester22 finding 2c: a journal held by another program made apply
    print a traceback ending ``sqlite3.OperationalError: database is locked``). ``path``: the journal."""

    def __init__(self, line: str, path: Path) -> None:
        super().__init__(line)
        self.path = path


def held(error: BaseException | None) -> bool:
    """Whether ``error`` is SQLite's "another connection holds this file" (``SQLITE_BUSY``/``SQLITE_LOCKED``, or
    their extended codes: ``sqlite_errorcode & 0xff``): a database browser with a write transaction open on the
    journal, a backup tool locking it."""
    code = getattr(error, "sqlite_errorcode", None)
    return isinstance(error, sqlite3.OperationalError) and code is not None and code & 0xFF in _HELD


def journal_error(path: Path, error: sqlite3.Error, advice: str = "") -> ApplyRefused:
    """The one-line refusal of an SQLite ``error`` on the journal file ``path``, for every reader and writer: held by
    another program (:func:`held`): ``<path>: held by another program (database is locked: a database browser or a
    backup tool has it open); close the program holding <path>``, else :func:`unusable` with ``advice``."""
    if held(error):
        return ApplyRefused(f"{path}: held by another program ({error}: a database browser or a backup tool has it "
                            f"open); close the program holding {path}")
    return unusable(path, error if isinstance(error, sqlite3.DatabaseError) else None, advice)


def unusable(path: Path, error: sqlite3.DatabaseError | None = None, advice: str = "") -> ApplyRefused:
    """The one refusal of a file at a journal's place that is no usable journal (every reader and :meth:`Journal.open`
    raise it; one line): ``<path>: not a usable journal (<why>)<advice>``, ``why`` saying an empty file as such
    (``the file is empty, 0 bytes: cut short or overwritten``; tester22 finding 2: a 0-byte journal was made a new,
    empty journal by the next apply, losing what its runs did), else SQLite's error (``database disk image is
    malformed``), else ``it holds no journal tables``."""
    try:
        empty = path.stat().st_size == 0
    except OSError:
        empty = False
    why = ("the file is empty, 0 bytes: cut short or overwritten" if empty
           else str(error) if error is not None else "it holds no journal tables")
    return ApplyRefused(f"{path}: not a usable journal ({why}){advice}")


def lock_path(plan_path: str | Path) -> Path:
    """``<plan>.journal.lock`` beside the plan file."""
    plan_path = Path(plan_path)
    return plan_path.with_name(plan_path.name + ".journal.lock")


@contextlib.contextmanager
def apply_lock(plan_path: str | Path) -> Iterator[None]:
    """Hold the apply lock of the plan at ``plan_path`` for the ``with`` block (an OS file lock,
    ``flock`` on POSIX, through :mod:`filelock`); never waits.

    Raises :class:`ApplyRefused` when another process (or another apply in this one) holds it.
    """
    path = lock_path(plan_path)
    lock = filelock.FileLock(path, timeout=0)
    try:
        lock.acquire()
    except filelock.Timeout:
        raise ApplyRefused(
            f"{plan_path}: another apply of this plan is running (it holds {path.name}); "
            f"let it finish, then run `sigma-migrate apply {plan_path} --resume` if it did not converge"
        ) from None
    except OSError as exc:
        raise ApplyRefused(f"{path}: cannot take the apply lock ({exc.strerror or exc})") from None
    try:
        yield
    finally:
        lock.release()


def utc_now() -> str:
    """ISO 8601 UTC with milliseconds, e.g. ``2026-01-02T03:04:05.678Z`` (the system clock, cut to
    the millisecond as ``datetime.isoformat(timespec="milliseconds")`` cuts it): :func:`utc_text`."""
    return utc_text(time.time_ns())


_second_text: tuple[int, str] = (-1, "")
"""The last second :func:`utc_text` wrote and its text up to the second (a tuple, replaced whole:
threads read one or the other, never half)."""


def utc_text(ns: int) -> str:
    """``ns`` (nanoseconds since the epoch, UTC) as ``2026-01-02T03:04:05.678Z``, the milliseconds cut,
    not rounded. The text up to the second is made once per second (``time.strftime``): apply stamps
    three times per action (journal ``running``, ``done``, the progress line), and building a
    ``datetime`` for each cost 2-8 us (docs/performance.md, ``apply``)."""
    global _second_text
    second, ms = divmod(ns // 1_000_000, 1000)
    cached = _second_text
    if cached[0] != second:
        cached = _second_text = (second, time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(second)))
    return f"{cached[1]}.{ms:03d}Z"


@dataclass(frozen=True)
class JournalRow:
    """One ``actions`` row, decoded."""

    action_id: str
    seq: int
    kind: str
    state: str
    attempts: int
    http_retries: int
    started_at: str | None
    finished_at: str | None
    outcome: str | None
    ids: Mapping[str, Any]
    before_image: Mapping[str, Any] | None
    error: str | None
    refused: str | None = None
    """Why the action failed for good (``failed`` rows only; ``None`` otherwise and in journals older than the
    column): Sigma's final answer, ``403 forbidden: Member m3 is provisioned by SCIM; ...``, or why it could not
    be sent as planned, ``not sent: ...`` (:func:`planner.execute.errors.failure_refusal`)."""


_ACTION_COLUMNS_ADDED = ("refused",)
"""``actions`` columns added after the first journals (:meth:`Journal.open` adds them; reads see ``NULL``)."""

_RUN_COLUMNS_ADDED = ("approver", "approved_at", "wave", "wave_actions", "selection")


@dataclass(frozen=True)
class RunRow:
    """One ``runs`` row: ``wave`` is ``""`` for the whole plan; ``wave_actions`` the ids the run was
    given (``None`` in journals older than waves); ``approver`` ``auto-approve`` with ``--auto-approve``."""

    run_id: int
    mode: str
    started_at: str
    finished_at: str | None
    status: str | None
    counts: Mapping[str, int]
    approver: str | None
    approved_at: str | None
    wave: str
    wave_actions: tuple[str, ...] | None
    selection: tuple[str, ...] | None = None
    """The ``--only`` / ``--limit`` words the run was given (``()``: the whole plan; ``None`` in
    journals older than them), which ``--resume`` repeats (:mod:`planner.execute.resume`)."""


ROLLED_BACK = "undo"
"""The ``kind`` of a ``reversals`` row an undo plan's run wrote: it rolled this plan back."""

SUPERSEDED = "superseded"
"""The ``kind`` of a ``reversals`` row a re-plan's first run wrote (a plan made with ``plan --applied`` this plan):
it took over from this plan (tester14b finding 9)."""


@dataclass(frozen=True)
class ReversalRow:
    """One ``reversals`` row: a later plan ended this journal's plan. ``kind`` :data:`ROLLED_BACK`: run
    ``undo_run`` (its number in the undo plan's own journal) of the undo plan at ``undo_plan`` (path as given to
    apply; digest ``undo_digest``), started ``at`` (ISO 8601 UTC), reverses the actions ``action_ids`` of this
    journal's plan (ids of this plan, in the undo run's order). ``kind`` :data:`SUPERSEDED`: run ``undo_run`` of the
    re-plan at ``undo_plan`` (digest ``undo_digest``), made with ``plan --applied`` this plan, took over from it;
    ``action_ids`` is ``()``. ``target``: the Sigma the ending's run wrote to (its REST base URL,
    :func:`planner.execute.targets.normal_base_url`) when the row comes from sigma-migrate's state index
    (:meth:`planner.execute.history.Ending.row`); ``None`` for a row of a journal (not stored there) and for an
    index entry older than the target (rehearse20)."""

    undo_plan: str
    undo_digest: str
    undo_run: int
    at: str
    action_ids: tuple[str, ...]
    kind: str = ROLLED_BACK
    target: str | None = None


def _reversal_rows(db: sqlite3.Connection) -> list[ReversalRow]:
    """Every ``reversals`` row, oldest first; ``[]`` for a journal older than the table."""
    if db.execute("SELECT 1 FROM sqlite_master WHERE type='table' AND name='reversals'").fetchone() is None:
        return []
    have = {r[1] for r in db.execute("PRAGMA table_info(reversals)").fetchall()}
    raw = db.execute("SELECT undo_plan, undo_digest, undo_run, at, action_ids, "
                     f"{'kind' if 'kind' in have else 'NULL'} FROM reversals ORDER BY reversal_id").fetchall()
    return [ReversalRow(r[0], r[1], int(r[2]), r[3], tuple(json.loads(r[4])), r[5] or ROLLED_BACK) for r in raw]


def read_reversals(path: Path) -> list[ReversalRow]:
    """The ``reversals`` rows of the journal file ``path``, opened read-only; ``[]`` when it does not exist or
    is older than the table. Raises :class:`ApplyRefused` (one line) for a file that is not a journal."""
    return _read_only(Path(path), _reversal_rows, [])


T = TypeVar("T")


def _read_only(path: Path, read: Callable[[sqlite3.Connection], T], missing: T) -> T:
    """``read`` of the journal file ``path`` opened read-only; ``missing`` when there is no such file. Raises
    :class:`ApplyRefused` (one line) for a file that is not a journal."""
    if not path.is_file():
        return missing
    try:
        db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, check_same_thread=False, isolation_level=None)
        try:
            return read(db)
        finally:
            db.close()
    except sqlite3.Error as exc:
        raise journal_error(path, exc) from None


def record_reversal(path: Path, digest: str, reversal: ReversalRow) -> None:
    """Add ``reversal`` to the journal file ``path`` of the plan whose digest is ``digest`` (a ``reversals``
    row and a ``reversed-by-undo`` event, or ``superseded-by-plan`` for :data:`SUPERSEDED`, one transaction; the
    table, or its ``kind`` column, is made in an older journal).

    The caller (the apply of the undo plan, or of the re-plan) holds that plan's apply lock. Raises :class:`ApplyRefused`
    (one line) when the file is missing, not a journal, or a journal of another plan."""
    path = Path(path)
    if not path.is_file():
        raise ApplyRefused(f"{path}: no such journal")
    with _plan_journal(path, digest) as db:
        if "kind" not in {r[1] for r in db.execute("PRAGMA table_info(reversals)").fetchall()}:
            db.execute("ALTER TABLE reversals ADD COLUMN kind TEXT")
        superseded = reversal.kind == SUPERSEDED
        with _Transaction(db, threading.Lock(), path) as cur:
            cur.execute("INSERT INTO reversals(undo_plan, undo_digest, undo_run, at, action_ids, kind) "
                        "VALUES (?, ?, ?, ?, ?, ?)", (reversal.undo_plan, reversal.undo_digest, reversal.undo_run,
                                                     reversal.at, json.dumps(list(reversal.action_ids)),
                                                     reversal.kind))
            cur.execute("INSERT INTO events(run_id, action_id, at, event, detail) "
                        "VALUES (NULL, NULL, ?, ?, ?)",
                        (reversal.at, "superseded-by-plan" if superseded else "reversed-by-undo",
                         f"{reversal.undo_plan} ({reversal.undo_digest}) run {reversal.undo_run}"
                         + ("" if superseded else f": {len(reversal.action_ids)} action(s)")))


@contextlib.contextmanager
def _plan_journal(path: Path, digest: str) -> Iterator[sqlite3.Connection]:
    """The journal file ``path`` of the plan whose digest is ``digest`` opened for writing, its tables made (an older
    journal), closed after; :class:`ApplyRefused` (one line) when it is not a journal or one of another plan (what
    :func:`record_reversal` and :func:`record_closure` write through)."""
    try:
        db = sqlite3.connect(path, check_same_thread=False, isolation_level=None, timeout=BUSY_TIMEOUT)
        try:
            row = db.execute("SELECT value FROM meta WHERE key='plan_digest'").fetchone()
            if row is None or row[0] != digest:
                raise ApplyRefused(f"{path}: journal belongs to plan {row[0] if row else 'none'}, not {digest}")
            db.executescript(_SCHEMA)
            yield db
        finally:
            db.close()
    except sqlite3.Error as exc:
        raise journal_error(path, exc) from None


@dataclass(frozen=True)
class ClosureRow:
    """One ``closures`` row: run ``run_id`` of this journal's plan was closed ``at`` (ISO 8601 UTC) by ``entry``,
    the policy entry as the re-plan read it (``applied.closed_runs entry {plan: sha256:..., run: 2} of
    policy.yaml:88``): no apply of the plan finishes that run (tester14b #1)."""

    run_id: int
    at: str
    entry: str


def _closure_rows(db: sqlite3.Connection) -> dict[int, ClosureRow]:
    """Every ``closures`` row by run; ``{}`` for a journal older than the table."""
    if db.execute("SELECT 1 FROM sqlite_master WHERE type='table' AND name='closures'").fetchone() is None:
        return {}
    return {int(r[0]): ClosureRow(int(r[0]), r[1], r[2])
            for r in db.execute("SELECT run_id, at, entry FROM closures ORDER BY run_id").fetchall()}


def read_closures(path: Path) -> dict[int, ClosureRow]:
    """The ``closures`` rows of the journal file ``path`` by run, opened read-only; ``{}`` when it does not exist
    or is older than the table. Raises :class:`ApplyRefused` (one line) for a file that is not a journal."""
    return _read_only(Path(path), _closure_rows, {})


def record_closure(path: Path, digest: str, closure: ClosureRow) -> None:
    """Add ``closure`` to the journal file ``path`` of the plan whose digest is ``digest`` (a ``closures`` row and
    a ``closed-by-policy`` event, one transaction; the table is made in an older journal); a run closed already
    keeps its first row. Raises :class:`ApplyRefused` (one line) when the file is not a journal, or one of another
    plan, or is locked by an apply past SQLite's 30 s wait."""
    with _plan_journal(Path(path), digest) as db, _Transaction(db, threading.Lock(), Path(path)) as cur:
        cur.execute("INSERT OR IGNORE INTO closures(run_id, at, entry) VALUES (?, ?, ?)",
                    (closure.run_id, closure.at, closure.entry))
        if cur.rowcount:
            cur.execute("INSERT INTO events(run_id, action_id, at, event, detail) "
                        "VALUES (?, NULL, ?, 'closed-by-policy', ?)", (closure.run_id, closure.at, closure.entry))


def _run_row(r: Sequence[Any]) -> RunRow:
    return RunRow(r[0], r[1], r[2], r[3], r[4], json.loads(r[5]) if r[5] else {}, r[6], r[7], r[8] or "",
                  tuple(json.loads(r[9])) if r[9] else None, tuple(json.loads(r[10])) if r[10] is not None else None)


def read_runs(plan_path: str | Path) -> tuple[str | None, list[RunRow]]:
    """``(plan digest, runs)`` of the journal beside ``plan_path``, read only; ``(None, [])`` when
    there is none. Raises :class:`ApplyRefused` for a file that is not a journal."""
    digest, runs, _ = read_journal_file(journal_path(plan_path))
    return digest, runs


def read_journal(plan_path: str | Path) -> tuple[str | None, list[RunRow], dict[str, JournalRow]]:
    """``(plan digest, runs, action rows by id)`` of the journal beside ``plan_path``, read only."""
    return read_journal_file(journal_path(plan_path))


def read_journal_file(path: Path) -> tuple[str | None, list[RunRow], dict[str, JournalRow]]:
    """``(plan digest, runs, action rows by id)`` of the journal file ``path``, opened read-only
    (``verify`` and ``undo`` weeks later change nothing); ``(None, [], {})`` when it does not exist.
    Raises :class:`ApplyRefused` (one line) for a file that is not a journal."""
    path = Path(path)
    if not path.is_file():
        return None, [], {}
    try:
        db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, check_same_thread=False, isolation_level=None)
        try:
            digest = db.execute("SELECT value FROM meta WHERE key='plan_digest'").fetchone()
            have = {r[1] for r in db.execute("PRAGMA table_info(runs)").fetchall()}
            cols = ", ".join(c if c in have else f"NULL AS {c}" for c in _RUN_COLUMNS_ADDED)
            raw = db.execute(f"SELECT run_id, mode, started_at, finished_at, status, counts, {cols} "
                             "FROM runs ORDER BY run_id").fetchall()
            have = {r[1] for r in db.execute("PRAGMA table_info(actions)").fetchall()}
            added = ", ".join(c if c in have else f"NULL AS {c}" for c in _ACTION_COLUMNS_ADDED)
            actions = db.execute(
                "SELECT action_id, seq, kind, state, attempts, http_retries, started_at, finished_at,"
                f" outcome, ids, before_image, error, {added} FROM actions ORDER BY seq").fetchall()
        finally:
            db.close()
    except sqlite3.Error as exc:
        raise journal_error(path, exc) from None
    runs = [_run_row(r) for r in raw]
    rows = {r[0]: JournalRow(r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7], r[8], json.loads(r[9]) if r[9] else {},
                             json.loads(r[10]) if r[10] else None, r[11], r[12]) for r in actions}
    return (digest[0] if digest else None), runs, rows


class Journal:
    """An open journal. Thread-safe (one connection behind a lock).

    Open with :meth:`open`; it refuses (:class:`ApplyRefused`) a journal made for
    another plan digest.
    """

    def __init__(self, path: Path, connection: sqlite3.Connection):
        self.path = path
        self._db = connection
        self._lock = threading.Lock()
        self.run_id: int | None = None

    # ------------------------------------------------------------------ opening

    @classmethod
    def exists(cls, plan_path: str | Path) -> bool:
        return journal_path(plan_path).exists()

    @classmethod
    def open(cls, plan_path: str | Path, digest: str, actions: Iterable[tuple[str, str]], tool_version: str = "") -> "Journal":
        """Open (or create) the journal of the plan at ``plan_path``.

        ``actions`` is ``[(action_id, kind), ...]`` in plan order; missing rows
        are inserted as ``pending``. Raises :class:`ApplyRefused` when the file
        belongs to another digest or is not a journal.
        """
        path = journal_path(plan_path)
        existed = path.is_file()
        # moving it away is a way out only when the state index records no run with it (else check_journal_home
        # refuses the plan as one whose journal is gone: walk22)
        advice = "; put back a good copy of it, or, if no run of this plan wrote to Sigma, move it away to start over"
        try:
            db = sqlite3.connect(path, check_same_thread=False, isolation_level=None, timeout=BUSY_TIMEOUT)
            if existed and db.execute("SELECT 1 FROM sqlite_master WHERE type='table' AND name='meta'").fetchone() \
                    is None:  # never made a journal over a file that is none (an empty one: its runs are lost)
                db.close()
                raise unusable(path, advice=advice)
            return cls._opened(path, db, plan_path, digest, actions, tool_version)
        except sqlite3.Error as exc:
            line = journal_error(path, exc, advice)
            raise JournalWriteError(str(line), path) if held(exc) else line from None

    @classmethod
    def _opened(cls, path: Path, db: sqlite3.Connection, plan_path: str | Path, digest: str,
                actions: Iterable[tuple[str, str]], tool_version: str) -> "Journal":
        """:meth:`open` once ``db`` is connected to a journal (or a new file): its tables made, refused when it is
        another plan's, the plan's actions inserted; :class:`sqlite3.DatabaseError` passes to :meth:`open`."""
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=NORMAL")
        db.executescript(_SCHEMA)
        row = db.execute("SELECT value FROM meta WHERE key='plan_digest'").fetchone()
        if row is not None and row[0] != digest:
            db.close()
            raise ApplyRefused(
                f"{path}: journal belongs to plan {row[0]}, not {digest}; "
                "move it away (keep it for the audit trail) to apply this plan"
            )
        journal = cls(path, db)
        have = {r[1] for r in db.execute("PRAGMA table_info(runs)").fetchall()}
        have_actions = {r[1] for r in db.execute("PRAGMA table_info(actions)").fetchall()}
        with journal._tx() as cur:
            for column in _RUN_COLUMNS_ADDED:  # a journal written before these columns existed
                if column not in have:
                    cur.execute(f"ALTER TABLE runs ADD COLUMN {column} TEXT")
            for column in _ACTION_COLUMNS_ADDED:
                if column not in have_actions:
                    cur.execute(f"ALTER TABLE actions ADD COLUMN {column} TEXT")
            if row is None:
                cur.executemany(
                    "INSERT INTO meta(key, value) VALUES (?, ?)",
                    [
                        ("plan_digest", digest),
                        ("plan_path", str(Path(plan_path).name)),
                        ("created_at", utc_now()),
                        ("tool_version", tool_version),
                    ],
                )
            cur.executemany(
                "INSERT OR IGNORE INTO actions(action_id, seq, kind, state) VALUES (?, ?, ?, 'pending')",
                [(aid, seq, kind) for seq, (aid, kind) in enumerate(actions)],
            )
        return journal

    def _tx(self):
        return _Transaction(self._db, self._lock, self.path)

    # ------------------------------------------------------------------ runs

    def start_run(self, mode: str, *, approver: str | None = None, approved_at: str | None = None,
                  wave: str = "", wave_actions: Iterable[str] | None = None, selection: Iterable[str] = (),
                  started_at: str | None = None, recorded: Callable[[int], None] | None = None) -> int:
        """A new ``runs`` row (and a ``run-start`` event): mode, who approved, which wave, its actions and
        the ``--only`` / ``--limit`` words that chose it; ``started_at`` (default now) as another record of
        the run gave it (:func:`record_reversal`). ``recorded(run_id)`` records the run elsewhere (sigma-migrate's
        state index, an undone plan's journal) inside the same transaction, this journal's write lock held: the
        run is in the journal exactly when those records were made (one raising rolls the row back; the journal
        held by another program refuses before any of them), never a run the index records and the journal lacks
        (tester22 finding 2: :func:`planner.execute.history.check_journal_runs` refuses such a journal)."""
        with self._tx() as cur:
            cur.execute(
                "INSERT INTO runs(mode, started_at, approver, approved_at, wave, wave_actions, selection)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)",
                (mode, started_at or utc_now(), approver, approved_at, wave,
                 None if wave_actions is None else json.dumps(list(wave_actions)), json.dumps(list(selection))),
            )
            run_id = int(cur.lastrowid)
            cur.execute(
                "INSERT INTO events(run_id, action_id, at, event, detail) VALUES (?, NULL, ?, 'run-start', ?)",
                (run_id, utc_now(), mode),
            )
            if recorded is not None:
                recorded(run_id)
        self.run_id = run_id
        return self.run_id

    def next_run_id(self) -> int:
        """The ``run_id`` :meth:`start_run` gives next (``runs`` ids are AUTOINCREMENT: never reused)."""
        with self._lock:
            row = self._db.execute("SELECT seq FROM sqlite_sequence WHERE name='runs'").fetchone()
        return int(row[0]) + 1 if row else 1

    def reversals(self) -> list[ReversalRow]:
        """Every ``reversals`` row (runs of undo plans of this plan, :func:`record_reversal`), oldest first."""
        with self._lock:
            return _reversal_rows(self._db)

    def closures(self) -> dict[int, ClosureRow]:
        """Every ``closures`` row by run (runs of this plan a policy closed, :func:`record_closure`)."""
        with self._lock:
            return _closure_rows(self._db)

    def untouched(self) -> bool:
        """True while no run has started and no action was ever started: the journal of a run
        killed before (or while) it began, which wrote nothing to Sigma."""
        with self._lock:
            run = self._db.execute("SELECT 1 FROM runs LIMIT 1").fetchone()
            action = self._db.execute("SELECT 1 FROM actions WHERE state != 'pending' OR attempts > 0 LIMIT 1").fetchone()
        return run is None and action is None

    def finish_run(self, status: str, counts: Mapping[str, int]) -> None:
        with self._tx() as cur:
            cur.execute(
                "UPDATE runs SET finished_at=?, status=?, counts=? WHERE run_id=?",
                (utc_now(), status, json.dumps(dict(counts), sort_keys=True), self.run_id),
            )
            cur.execute(
                "INSERT INTO events(run_id, action_id, at, event, detail) VALUES (?, NULL, ?, 'run-end', ?)",
                (self.run_id, utc_now(), status),
            )

    def record_stop(self, reason: str) -> None:
        """A ``run-stop`` event of the current run with ``reason``: why it stopped when no action's row says it
        (the SCIM token found revoked after the run's last write, :class:`planner.execute.apply.RevokedToken`)."""
        with self._tx() as cur:
            self._event(cur, None, utc_now(), "run-stop", reason)

    # ------------------------------------------------------------------ actions

    def rows(self) -> dict[str, JournalRow]:
        """Every action row by id."""
        with self._lock:
            cur = self._db.execute(
                "SELECT action_id, seq, kind, state, attempts, http_retries, started_at, finished_at,"
                " outcome, ids, before_image, error, refused FROM actions ORDER BY seq"
            )
            raw = cur.fetchall()
        return {
            r[0]: JournalRow(
                action_id=r[0], seq=r[1], kind=r[2], state=r[3], attempts=r[4], http_retries=r[5],
                started_at=r[6], finished_at=r[7], outcome=r[8],
                ids=json.loads(r[9]) if r[9] else {},
                before_image=json.loads(r[10]) if r[10] else None,
                error=r[11], refused=r[12],
            )
            for r in raw
        }

    def counts(self) -> dict[str, int]:
        """``{state: n}`` for every state (zeros included)."""
        with self._lock:
            found = dict(self._db.execute("SELECT state, COUNT(*) FROM actions GROUP BY state").fetchall())
        return {s: int(found.get(s, 0)) for s in STATES}

    def reset_for_rerun(self, action_ids: Iterable[str]) -> None:
        """Set these actions back to ``pending`` (ids and before-images are kept)."""
        with self._tx() as cur:
            cur.executemany(
                "UPDATE actions SET state='pending', error=NULL, refused=NULL WHERE action_id=?",
                [(a,) for a in action_ids]
            )

    def mark_running(self, action_id: str) -> None:
        """``running``, attempts + 1, ``started_at`` now; committed before any request."""
        now = utc_now()
        with self._tx() as cur:
            cur.execute(
                "UPDATE actions SET state='running', attempts=attempts+1, started_at=?, finished_at=NULL, error=NULL,"
                " refused=NULL"
                " WHERE action_id=?",
                (now, action_id),
            )
            self._event(cur, action_id, now, "running", None)

    def record_before(self, action_id: str, image: Mapping[str, Any]) -> None:
        """Store the before-image unless an earlier attempt already stored one."""
        with self._tx() as cur:
            cur.execute(
                "UPDATE actions SET before_image=? WHERE action_id=? AND before_image IS NULL",
                (_image_json(image), action_id),
            )

    def record_ids(self, action_id: str, ids: Mapping[str, Any], before: Mapping[str, Any] | None = None) -> None:
        """Merge ``ids`` (what Sigma returned) into the row; committed at once. ``before``: the
        before-image of a write that posted before reading (a first create, whose before-image is
        known only from its answer), stored as :meth:`record_before` stores it, in the same transaction."""
        if not ids and before is None:
            return
        with self._tx() as cur:
            if ids:
                self._merge_ids(cur, action_id, ids)
            if before is not None:
                cur.execute(
                    "UPDATE actions SET before_image=? WHERE action_id=? AND before_image IS NULL",
                    (_image_json(before), action_id),
                )

    @classmethod
    def _merge_ids(cls, cur: sqlite3.Cursor, action_id: str, ids: Mapping[str, Any]) -> None:
        cur.execute("UPDATE actions SET ids=? WHERE action_id=?", (cls._merged_ids(cur, action_id, ids), action_id))

    @staticmethod
    def _merged_ids(cur: sqlite3.Cursor, action_id: str, ids: Mapping[str, Any] | None) -> str | None:
        """The row's ``ids`` with ``ids`` merged in, as JSON (keys sorted); ``None`` when ``ids`` is empty
        (the row's are kept: ``ids=COALESCE(?, ids)`` in the caller's own UPDATE)."""
        if not ids:
            return None
        row = cur.execute("SELECT ids FROM actions WHERE action_id=?", (action_id,)).fetchone()
        merged = json.loads(row[0]) if row and row[0] else {}
        merged.update(ids)
        return json.dumps(merged, sort_keys=True)

    def mark_done(self, action_id: str, outcome: str, http_retries: int = 0, detail: str | None = None,
                  ids: Mapping[str, Any] | None = None, before: Mapping[str, Any] | None = None) -> None:
        """``done`` with ``outcome`` ``written`` or ``already``; ``ids`` are merged and ``before`` (the
        before-image of a write that was the action's first request, a first create) is stored as
        :meth:`record_before` stores it, in the same transaction.

        An outcome ``written`` by an earlier run is kept (a re-apply finding the object in place records
        ``already`` only in its ``done`` event), as the before-image is (:meth:`record_before`), so
        ``undo`` reverses the first write whatever runs followed.

        :data:`WRITTEN_BY_INTERRUPTED_RUN` is stored as ``written``, the event naming the run whose
        attempt was interrupted (the run of the action's last ``running`` event before this run).
        """
        now = utc_now()
        with self._tx() as cur:
            merged = self._merged_ids(cur, action_id, ids)
            if outcome == WRITTEN_BY_INTERRUPTED_RUN:
                run = cur.execute(
                    "SELECT run_id FROM events WHERE action_id=? AND event='running' AND run_id IS NOT ?"
                    " ORDER BY event_id DESC LIMIT 1", (action_id, self.run_id),
                ).fetchone()
                outcome = "written"
                detail = (f"written by interrupted run {run[0] if run else '?'} "
                          "(its write was found in place on resume; nothing sent again)")
            # An earlier run's write stays the action's outcome: a later run finding it in place
            # ("already") must not hide it from undo; this run's own outcome is in its event.
            cur.execute(
                "UPDATE actions SET state='done', outcome=CASE WHEN outcome='written' THEN outcome ELSE ? END,"
                " finished_at=?, http_retries=http_retries+?, error=NULL, refused=NULL,"
                " before_image=COALESCE(before_image, ?),"
                " ids=COALESCE(?, ids) WHERE action_id=?",
                (outcome, now, http_retries, _image_json(before), merged, action_id),
            )
            self._event(cur, action_id, now, "done", detail or outcome)

    def mark_failed(self, action_id: str, error: str, http_retries: int = 0, ids: Mapping[str, Any] | None = None,
                    before: Mapping[str, Any] | None = None, refused: str = "") -> None:
        """``failed`` with a one-line, already redacted ``error``; ``ids`` and ``before`` as :meth:`mark_done`
        stores them (what the attempt learned before it failed); ``refused``: why it failed for good, Sigma's
        final answer or why it could not be sent as planned (:attr:`planner.execute.runner.ActionResult.refused`,
        redacted), ``""`` (stored ``NULL``) for a failure a later try may change."""
        now = utc_now()
        with self._tx() as cur:
            merged = self._merged_ids(cur, action_id, ids)
            cur.execute(
                "UPDATE actions SET state='failed', error=?, refused=?, finished_at=?, http_retries=http_retries+?,"
                " before_image=COALESCE(before_image, ?), ids=COALESCE(?, ids) WHERE action_id=?",
                (error, refused or None, now, http_retries, _image_json(before), merged, action_id),
            )
            self._event(cur, action_id, now, "failed", error)

    def mark_unverified(self, problems: Mapping[str, str]) -> None:
        """``done`` actions whose target the verification found not as planned become ``failed``,
        ``error`` = ``problems[action_id]`` (one line, redacted), so ``--resume`` runs them again."""
        now = utc_now()
        with self._tx() as cur:
            for action_id, problem in problems.items():
                cur.execute(
                    "UPDATE actions SET state='failed', error=?, refused=NULL, finished_at=?"
                    " WHERE action_id=? AND state='done'",
                    (problem, now, action_id),
                )
                if cur.rowcount:
                    self._event(cur, action_id, now, "unverified", problem)

    def mark_skipped(self, action_ids: Iterable[str], reason: str) -> None:
        """``skipped`` (a dependency failed or the run stopped), with the reason as ``error``."""
        now = utc_now()
        ids = list(action_ids)
        with self._tx() as cur:
            cur.executemany(
                "UPDATE actions SET state='skipped', error=?, refused=NULL, finished_at=? WHERE action_id=?",
                [(reason, now, a) for a in ids],
            )
            for a in ids:
                self._event(cur, a, now, "skipped", reason)

    def _event(self, cur: sqlite3.Cursor, action_id: str | None, at: str, event: str, detail: str | None) -> None:
        cur.execute(
            "INSERT INTO events(run_id, action_id, at, event, detail) VALUES (?, ?, ?, ?, ?)",
            (self.run_id, action_id, at, event, detail),
        )

    def runs(self) -> list[RunRow]:
        """Every ``runs`` row, oldest first."""
        with self._lock:
            raw = self._db.execute(
                "SELECT run_id, mode, started_at, finished_at, status, counts, approver, approved_at, wave,"
                " wave_actions, selection FROM runs ORDER BY run_id").fetchall()
        return [_run_row(r) for r in raw]

    def meta(self) -> dict[str, str]:
        with self._lock:
            return dict(self._db.execute("SELECT key, value FROM meta").fetchall())

    def close(self) -> None:
        with self._lock:
            self._db.close()


def _image_json(image: Mapping[str, Any] | None) -> str | None:
    """A before-image as the journal stores it (JSON, keys sorted), ``None`` for none."""
    return None if image is None else json.dumps(image, sort_keys=True, default=str)


def _of_the_file(error: BaseException) -> bool:
    """Whether ``error`` is SQLite's about the journal file (held, full disk, I/O, damaged: ``OperationalError`` or a
    bare ``DatabaseError``), not a fault of this program (a closed connection's ``ProgrammingError``, a constraint's
    ``IntegrityError``), which passes unchanged."""
    return isinstance(error, sqlite3.OperationalError) or type(error) is sqlite3.DatabaseError


class _Transaction:
    """``with``: lock, ``BEGIN IMMEDIATE``, commit (or rollback on error): every write to a journal goes through
    one, and an SQLite error of any of them (the file held by another program past :data:`BUSY_TIMEOUT`, a full
    disk) is :class:`JournalWriteError` naming ``path``, the transaction rolled back (never a half-recorded step).
    The one mechanism apply's refusal of a journal it cannot write is made from (tester22 finding 2c)."""

    def __init__(self, db: sqlite3.Connection, lock: threading.Lock, path: Path):
        self._db = db
        self._lock = lock
        self._path = path

    def _refused(self, exc: sqlite3.Error) -> JournalWriteError:
        return JournalWriteError(str(journal_error(self._path, exc)), self._path)

    def __enter__(self) -> sqlite3.Cursor:
        self._lock.acquire()
        try:  # a closed journal or a busy timeout must not leave the lock held: every thread would wait on it
            self._cur = self._db.cursor()
            self._cur.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as exc:
            self._lock.release()
            if not _of_the_file(exc):
                raise
            raise self._refused(exc) from None
        except BaseException:
            self._lock.release()
            raise
        return self._cur

    def __exit__(self, exc_type, exc, tb) -> None:
        try:
            if exc_type is not None:
                with contextlib.suppress(sqlite3.Error):
                    self._cur.execute("ROLLBACK")
                if _of_the_file(exc):
                    raise self._refused(exc) from None
                return
            try:
                self._cur.execute("COMMIT")
            except sqlite3.Error as failed:
                with contextlib.suppress(sqlite3.Error):
                    self._cur.execute("ROLLBACK")
                if not _of_the_file(failed):
                    raise
                raise self._refused(failed) from None
        finally:
            self._lock.release()
