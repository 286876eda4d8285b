"""Run a plan's actions: dependency order, bounded concurrency, journal, circuit breaker.

- **Order**: an action starts only when every action in its ``depends_on`` is
  ``done`` (:mod:`planner.dependencies` checks the graph: a duplicate or unknown
  id or a cycle refuses the run). Among ready actions, plan order decides (the
  plan is topologically sorted already).
- **Concurrency**: at most ``parallelism`` actions in flight (threads; the
  work is HTTP-bound). Sigma publishes no global rate limit (docs/sigma-api.md §7);
  the default of 4 keeps a migration gentle while 429s, if any, are absorbed by
  :mod:`planner.execute.retry`.
- **Exclusive lists**: two actions whose handlers name the same list they read and change
  (:meth:`planner.execute.actions.Handler.exclusive`: a member's teams, a group's members) never run
  at the same time; the second waits, ahead of later ready actions, until the first has finished, so no
  action reads a list another one is changing (tester8 finding 13).
- **Last**: actions ``last(action)`` names (those that may revoke the SCIM token:
  :func:`planner.execute.scim_token.token_risks`) start only once every action of the run that does not
  depend on them has finished, so a wrong ``organization.scim_setup_admin`` cannot break the SCIM writes of
  the rest of the run (tester12 finding 6).
- **Failure**: a failed action marks every action that depends on it,
  transitively, ``skipped``; independent actions go on.
- **Circuit breaker**: when more than ``breaker_ratio`` of the last
  ``breaker_window`` finished actions failed (once ``breaker_min`` have
  finished), or on an authentication failure, no further action starts;
  those in flight finish; the rest are marked ``skipped`` with the reason (an authentication failure's:
  ``auth_reason``'s line, e.g. the SCIM token revoked by the run's own writes, else ``authentication
  refused: ...``) and ``--resume`` picks them up.
- **Journal**: every transition is committed before the next step
  (:mod:`planner.execute.journal`), which is what makes ``--resume`` safe.
"""

from __future__ import annotations

import collections
import heapq
import queue
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Callable, Collection, Mapping, Protocol, Sequence

import networkx as nx

from .. import dependencies
from ..model import Action
from .errors import ApiError, ApplyRefused, AuthError, failure_refusal
from .journal import Journal
from .retry import long_wait_notice
from .targets import Redactor

if TYPE_CHECKING:
    import httpx2

DEFAULT_PARALLELISM = 4


@dataclass(frozen=True)
class RunOptions:
    """Knobs of one run (see module docstring)."""

    parallelism: int = DEFAULT_PARALLELISM
    breaker_ratio: float = 0.5
    breaker_window: int = 20
    breaker_min: int = 5

    def __post_init__(self) -> None:
        if self.parallelism < 1:
            raise ApplyRefused(f"--parallelism must be >= 1 (got {self.parallelism})")


@dataclass(frozen=True)
class ActionResult:
    """What one action ended as in this run: ``state`` done/failed/skipped, ``outcome``
    ``written``/``already`` for done, ``error`` for failed/skipped, ``http_retries``."""

    action_id: str
    state: str
    outcome: str | None = None
    error: str | None = None
    http_retries: int = 0
    ids: Mapping[str, object] = field(default_factory=dict)
    refused: str = ""
    """Why the action failed for good: Sigma refused it (:attr:`planner.execute.errors.ApiError.refusal`: a
    final 4xx, an address another member holds), or it could not be sent as planned or hit a fault of this
    tool (:func:`planner.execute.errors.failure_refusal`, :attr:`unsent`): ``--resume`` would fail it the
    same way, only a new plan settles it. ``""`` for a failure a later try may change (a 5xx, a network
    error), and for done and skipped actions."""
    unsent: bool = False
    """The final failure is this tool's, before any answer of Sigma (:func:`~planner.execute.errors.failure_refusal`)."""

    @property
    def plan_again(self) -> bool:
        """Whether only a new plan settles this failure (:attr:`refused` is said)."""
        return bool(self.refused)


class ActionExecutor(Protocol):
    """Runs one action (the handlers of :mod:`planner.execute.actions`).

    ``execute(action, on_before, on_ids)`` returns ``(outcome, ids)`` with
    ``outcome`` ``"written"`` or ``"already"``; it calls ``on_before(image)``
    before its first write (committed before the write is sent) and ``on_ids(ids)`` with the ids
    the action's **last** request returned (a create's answer: no request may follow the call);
    a write that posts before reading (a first create) passes its before-image with its ids,
    ``on_ids(ids, before=image)``. The runner journals these with the action's end (``done`` or
    ``failed``), its next step, in one transaction: a first create commits two transactions
    (``running``; ``done`` with its ids and before-image). It raises :class:`ApiError` (or any
    exception) on failure.
    """

    def execute(
        self,
        action: Action,
        on_before: Callable[[Mapping[str, object]], None],
        on_ids: Callable[..., None],
    ) -> tuple[str, Mapping[str, object]]: ...


class ProgressSink(Protocol):
    """Receives progress: ``start(total, already_done)`` (the run's actions, and how many of those an
    earlier run did: both over the run's own selection), ``update(action, result)``, ``stop()``, and
    ``note(line)``: something the admin should know while the run goes on (a long wait)."""

    def start(self, total: int, already_done: int) -> None: ...

    def update(self, action: Action, result: ActionResult) -> None: ...

    def note(self, line: str) -> None: ...

    def stop(self) -> None: ...


class NullProgress:
    def start(self, total: int, already_done: int) -> None:
        pass

    def update(self, action: Action, result: ActionResult) -> None:
        pass

    def note(self, line: str) -> None:
        pass

    def stop(self) -> None:
        pass


def dependency_graph(actions: Sequence[Action]) -> nx.DiGraph:
    """The DAG ``dependency -> dependent`` (:func:`planner.dependencies.dependency_graph`);
    :class:`ApplyRefused` on a duplicate id, an unknown dependency or a cycle, naming it."""
    try:
        return dependencies.dependency_graph(actions)
    except dependencies.DependencyError as exc:
        raise ApplyRefused(str(exc)) from None


def sent_last(actions: Sequence[Action], graph: nx.DiGraph, last: Callable[[Action], bool]) -> set[str]:
    """The ids of ``actions`` a run sends after all the others (module docstring, "Last"): those ``last``
    names and every action of ``graph`` (:func:`dependency_graph`) that depends on one of them."""
    late: set[str] = set()
    for a in actions:
        if a.id not in late and last(a):
            late.add(a.id)
            late.update(nx.descendants(graph, a.id))
    return late


class _RetryCounter(threading.local):
    count = 0


class _LastAnswer:
    """What an action's last request answered, held for the transaction that ends the action
    (:meth:`Journal.mark_done`, :meth:`Journal.mark_failed`): ``ids`` Sigma returned and ``before``,
    the before-image of a write that was also the action's first request (a first create's
    ``{"exists": false}``). No request follows :meth:`keep` (:class:`ActionExecutor`), so the ids
    are committed as soon as before (the action's end is the next step) in one transaction fewer."""

    def __init__(self) -> None:
        self.ids: dict[str, object] = {}
        self.before: dict[str, object] | None = None

    def keep(self, ids: Mapping[str, object], before: Mapping[str, object] | None = None) -> None:
        self.ids.update(ids)
        if before is not None and self.before is None:
            self.before = dict(before)


class CircuitBreaker:
    """Opens when the failure ratio of the last ``window`` results exceeds ``ratio`` (after ``minimum``)."""

    def __init__(self, ratio: float, window: int, minimum: int):
        self.ratio = ratio
        self.minimum = max(1, minimum)
        self._recent: collections.deque[bool] = collections.deque(maxlen=max(1, window))
        self.reason: str | None = None

    def record(self, failed: bool) -> None:
        self._recent.append(failed)
        failures = sum(self._recent)
        if self.reason is None and len(self._recent) >= self.minimum and failures / len(self._recent) > self.ratio:
            self.reason = (
                f"circuit breaker open: {failures} of the last {len(self._recent)} actions failed "
                f"(threshold {self.ratio:.0%})"
            )

    def trip(self, reason: str) -> None:
        if self.reason is None:
            self.reason = reason

    @property
    def open(self) -> bool:
        return self.reason is not None


def run_actions(
    actions: Sequence[Action],
    executor: ActionExecutor,
    journal: Journal,
    *,
    options: RunOptions = RunOptions(),
    progress: ProgressSink | None = None,
    redactor: Redactor | None = None,
    retry_counter: "_RetryCounter | None" = None,
    exclusive: Callable[[Action], str | None] = lambda action: None,
    last: Callable[[Action], bool] = lambda action: False,
    auth_reason: Callable[[AuthError], str | None] = lambda exc: None,
) -> dict[str, ActionResult]:
    """Run every action whose journal state is ``pending``; return results by action id.

    Actions already ``done`` in the journal count as satisfied dependencies and
    are not run again. ``exclusive(action)``: the key of the list the action reads and changes
    (:meth:`planner.execute.actions.Handler.exclusive`), ``None`` for none; actions of one key never
    run at once (module docstring). ``last(action)``: held until every action of the run outside the
    ``last`` ones and their dependents has finished (module docstring). ``auth_reason(exc)``: why the run
    stops on credentials refused (:class:`AuthError`, called on the worker's thread), ``None`` for the
    default ``authentication refused: <error>``. Raises :class:`ApplyRefused` for a malformed graph
    (before anything is sent).
    """
    progress = progress or NullProgress()
    redact = redactor or Redactor()
    graph = dependency_graph(actions)
    by_id = {a.id: a for a in actions}
    order = {a.id: i for i, a in enumerate(actions)}
    rows = journal.rows()
    done = {aid for aid, r in rows.items() if r.state == "done"}
    todo = [a.id for a in actions if rows[a.id].state == "pending"]
    waiting = {aid: {d for d in graph.predecessors(aid) if d not in done} for aid in todo}
    results: dict[str, ActionResult] = {}
    breaker = CircuitBreaker(options.breaker_ratio, options.breaker_window, options.breaker_min)
    counter = retry_counter or _RetryCounter()
    lock = threading.Lock()

    # A dependency that is not pending and not done (failed/skipped earlier) can never
    # complete in this run: its dependents are skipped up front.
    blocked = [aid for aid in todo if any(rows[d].state in ("failed", "skipped") for d in waiting[aid])]
    late = sent_last([by_id[aid] for aid in todo], graph, last)
    early_open = sum(1 for aid in todo if aid not in late)  # actions of the run before the ``last`` ones, not finished
    held_last: list[tuple[int, str]] = []  # ready ``last`` actions, held until early_open is 0

    def record(aid: str, result: ActionResult) -> None:
        nonlocal early_open
        results[aid] = result
        if aid not in late:
            early_open -= 1

    def work(action: Action) -> ActionResult:
        journal.mark_running(action.id)
        counter.count = 0
        answered = _LastAnswer()

        def failed(message: str, refused: str = "", unsent: bool = False) -> ActionResult:
            # the one place a failure is journaled: a final one (Sigma's refusal, or an action that cannot be
            # sent as planned) keeps ``refused`` on the row, which plan --applied reads (planner.applied)
            journal.mark_failed(action.id, message, counter.count, ids=answered.ids, before=answered.before,
                                refused=refused)
            return ActionResult(action.id, "failed", error=message, http_retries=counter.count, refused=refused,
                                unsent=unsent)

        try:
            outcome, ids = executor.execute(
                action,
                # data as Sigma gave it, never redacted: a secret that is also a word of an address
                # (SIGMA_CLIENT_SECRET=acme) would turn the undo plan's emails into ***; secrets never
                # reach a before image by construction (redaction is for messages, logs and URLs)
                lambda image: journal.record_before(action.id, dict(image)),
                answered.keep,
            )
        except AuthError as exc:
            result = failed(redact(str(exc)))
            reason = auth_reason(exc)
            with lock:
                breaker.trip(reason or f"authentication refused: {result.error}")
            return result
        except ApiError as exc:
            return failed(redact(str(exc)), redact(exc.refusal))
        except Exception as exc:  # a bug or a payload Sigma's models reject: fail this action only
            message = redact(f"{type(exc).__name__}: {' '.join(str(exc).split())}"[:500])
            refused = failure_refusal(exc, message)  # a network error stays retryable: ""
            return failed(message, refused, unsent=bool(refused))
        ids = {**answered.ids, **ids}
        journal.mark_done(action.id, outcome, counter.count, ids=ids, before=answered.before)
        return ActionResult(action.id, "done", outcome=outcome, http_retries=counter.count, ids=ids)

    def skip_dependents(failed_id: str, why: str) -> None:
        newly = [d for d in nx.descendants(graph, failed_id) if d in waiting and d not in results]
        if not newly:
            return
        newly.sort(key=order.__getitem__)
        journal.mark_skipped(newly, why)
        for d in newly:
            record(d, ActionResult(d, "skipped", error=why))
            waiting.pop(d, None)
            progress.update(by_id[d], results[d])

    progress.start(len(actions), len(done.intersection(by_id)))  # this run's actions only (tester7 NEW-2)
    for aid in blocked:
        if aid in waiting:
            bad = next(d for d in sorted(waiting[aid]) if rows[d].state in ("failed", "skipped"))
            why = f"dependency {bad} is {rows[bad].state}"
            journal.mark_skipped([aid], why)
            record(aid, ActionResult(aid, "skipped", error=why))
            waiting.pop(aid)
            progress.update(by_id[aid], results[aid])
            skip_dependents(aid, f"dependency {aid} is skipped")

    in_flight: dict[Future[ActionResult], str] = {}
    busy: dict[str, str] = {}  # exclusive key -> the action in flight holding it
    held_back: dict[str, list[tuple[int, str]]] = {}  # exclusive key -> ready actions waiting for it
    finished_queue: queue.SimpleQueue[Future[ActionResult]] = queue.SimpleQueue()  # futures, as they finish
    # ready actions in plan order (a heap: each scheduling step is O(log n), not a scan)
    ready: list[tuple[int, str]] = [(order[aid], aid) for aid, deps in waiting.items() if not deps]
    heapq.heapify(ready)
    try:
        with ThreadPoolExecutor(max_workers=options.parallelism, thread_name_prefix="apply") as pool:
            while waiting or in_flight:
                if not breaker.open:
                    if held_last and not early_open:
                        for entry in held_last:
                            heapq.heappush(ready, entry)
                        held_last.clear()
                    while ready and len(in_flight) < options.parallelism:
                        entry = heapq.heappop(ready)
                        aid = entry[1]
                        if aid not in waiting:  # skipped meanwhile
                            continue
                        if early_open and aid in late:
                            held_last.append(entry)
                            continue
                        key = exclusive(by_id[aid])
                        if key is not None:
                            if key in busy:
                                held_back.setdefault(key, []).append(entry)
                                continue
                            busy[key] = aid
                        waiting.pop(aid)
                        future = pool.submit(work, by_id[aid])
                        in_flight[future] = aid
                        future.add_done_callback(finished_queue.put)
                if not in_flight:
                    break
                finished = [finished_queue.get()]  # one waiter for the whole run, not one per future per step
                while True:
                    try:
                        finished.append(finished_queue.get_nowait())
                    except queue.Empty:
                        break
                for future in sorted(finished, key=lambda f: order[in_flight[f]]):
                    aid = in_flight.pop(future)
                    key = exclusive(by_id[aid])
                    if key is not None and busy.get(key) == aid:
                        del busy[key]
                        for entry in held_back.pop(key, ()):
                            heapq.heappush(ready, entry)
                    result = future.result()
                    record(aid, result)
                    progress.update(by_id[aid], result)
                    breaker.record(result.state == "failed")
                    if result.state == "done":
                        for dependent in graph.successors(aid):
                            deps = waiting.get(dependent)
                            if deps is not None and aid in deps:
                                deps.discard(aid)
                                if not deps:
                                    heapq.heappush(ready, (order[dependent], dependent))
                    else:
                        skip_dependents(aid, f"dependency {aid} failed")
            if waiting:
                reason = breaker.reason or "run stopped"
                left = sorted(waiting, key=order.__getitem__)
                journal.mark_skipped(left, f"not started: {reason}")
                for aid in left:
                    record(aid, ActionResult(aid, "skipped", error=f"not started: {reason}"))
                    progress.update(by_id[aid], results[aid])
                waiting.clear()
    finally:
        progress.stop()
    return results


def reset_unfinished(journal: Journal, action_ids: Collection[str] | None = None,
                     states: Sequence[str] = ("running", "failed", "skipped")) -> list[str]:
    """Set the actions in ``states`` (``running``, ``failed``, ``skipped`` for ``--resume``) among
    ``action_ids`` (``None``: every action) back to ``pending``; return their ids.

    ``running`` means the process died mid-action: the action runs again and its
    check-first finds whatever the first attempt already wrote.
    """
    again = [aid for aid, r in journal.rows().items()
             if r.state in states and (action_ids is None or aid in action_ids)]
    journal.reset_for_rerun(again)
    return again


def unfinished(journal: Journal) -> dict[str, int]:
    """``{state: n}`` of actions that are not ``done`` (empty when the journal is complete)."""
    return {s: n for s, n in journal.counts().items() if s != "done" and n}


def retry_listener(counter: _RetryCounter, note: Callable[[str], None] | None = None) -> Callable[..., None]:
    """A :class:`RetryTransport` listener counting retries for the action on the current thread, and
    passing ``note`` (the progress sink's) each long wait (:func:`~planner.execute.retry.long_wait_notice`)."""
    notice = long_wait_notice(note)

    def listen(request: httpx2.Request, status: int | None, delay: float) -> None:
        counter.count += 1
        notice(request, status, delay)

    return listen


__all__ = [
    "ActionResult",
    "CircuitBreaker",
    "DEFAULT_PARALLELISM",
    "NullProgress",
    "RunOptions",
    "dependency_graph",
    "reset_unfinished",
    "retry_listener",
    "run_actions",
    "sent_last",
    "unfinished",
]

