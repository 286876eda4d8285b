"""The runner with a scripted executor: DAG order, bounded concurrency, skips, circuit breaker, journal."""

from __future__ import annotations

import threading

import pytest

from planner.execute.errors import ApiError, ApplyRefused, AuthError
from planner.execute.journal import Journal
from planner.execute.runner import RunOptions, dependency_graph, reset_unfinished, run_actions
from planner.model import ActionKind

from .execute_support import act


def actions_of(spec):
    """``{"a": [], "b": ["a"]}`` -> actions with those dependencies, in that order."""
    return [act(aid, ActionKind.MEMBERS_DEACTIVATE, {"memberId": aid}, {"isArchived": True, "newOwnerId": None}, deps)
            for aid, deps in spec.items()]


class Scripted:
    """Executes by script: ``fail`` ids raise ApiError, ``auth`` ids raise AuthError; records order."""

    def __init__(self, journal=None, fail=(), auth=(), barrier_ids=(), parallel=0):
        self.journal = journal
        self.fail, self.auth = set(fail), set(auth)
        self.started: list[str] = []
        self.states_seen: dict[str, str] = {}
        self.lock = threading.Lock()
        self.running = 0
        self.max_running = 0
        self.barrier = threading.Barrier(parallel, timeout=10) if parallel else None
        self.barrier_ids = set(barrier_ids)

    def execute(self, action, on_before, on_ids):
        with self.lock:
            self.started.append(action.id)
            self.running += 1
            self.max_running = max(self.max_running, self.running)
        try:
            if self.journal is not None:
                self.states_seen[action.id] = self.journal.rows()[action.id].state
            if action.id in self.barrier_ids:
                self.barrier.wait()  # proves these run at the same time
            if action.id in self.auth:
                raise AuthError("rest", "GET", "/v2/members/x", 401, "Token missing or malformed")
            if action.id in self.fail:
                raise ApiError("rest", "PATCH", f"/v2/members/{action.id}", 400, "refused")
            on_before({"memberId": action.id, "isArchived": False})
            return "written", {"memberId": action.id}
        finally:
            with self.lock:
                self.running -= 1


def journal_for(tmp_path, actions):
    return Journal.open(tmp_path / "plan.json", "sha256:test", [(a.id, a.kind.value) for a in actions])


def test_dependencies_run_first_and_the_journal_says_running_during_the_action(tmp_path):
    actions = actions_of({"a": [], "b": ["a"], "c": ["b"], "d": [], "e": ["a", "d"]})
    journal = journal_for(tmp_path, actions)
    executor = Scripted(journal)

    results = run_actions(actions, executor, journal, options=RunOptions(parallelism=3))

    order = executor.started
    assert order.index("a") < order.index("b") < order.index("c")
    assert order.index("e") > max(order.index("a"), order.index("d"))
    assert set(executor.states_seen.values()) == {"running"}
    assert {r.state for r in results.values()} == {"done"}
    rows = journal.rows()
    assert all(r.state == "done" and r.outcome == "written" and r.attempts == 1 for r in rows.values())
    assert rows["c"].before_image == {"memberId": "c", "isArchived": False}


def test_independent_actions_run_concurrently_up_to_the_bound(tmp_path):
    actions = actions_of({f"a{i}": [] for i in range(9)})
    journal = journal_for(tmp_path, actions)
    executor = Scripted(barrier_ids={"a0", "a1", "a2"}, parallel=3)

    run_actions(actions, executor, journal, options=RunOptions(parallelism=3))

    assert executor.max_running == 3
    # the first three in plan order start first; their threads may enter execute() in any order
    assert sorted(executor.started[:3]) == ["a0", "a1", "a2"]


def test_a_failure_skips_its_dependents_transitively_and_the_rest_goes_on(tmp_path):
    actions = actions_of({"a": [], "b": ["a"], "c": ["b"], "d": [], "e": ["d"]})
    journal = journal_for(tmp_path, actions)

    results = run_actions(actions, Scripted(fail={"a"}), journal, options=RunOptions(parallelism=1))

    assert {k: r.state for k, r in results.items()} == {
        "a": "failed", "b": "skipped", "c": "skipped", "d": "done", "e": "done"}
    assert results["a"].error == "REST PATCH /v2/members/a: 400: refused"
    assert results["c"].error == "dependency a failed"
    assert journal.rows()["c"].state == "skipped"


def test_circuit_breaker_stops_the_run_when_most_actions_fail(tmp_path):
    actions = actions_of({f"a{i:02}": [] for i in range(20)})
    journal = journal_for(tmp_path, actions)

    results = run_actions(actions, Scripted(fail={a.id for a in actions}), journal,
                          options=RunOptions(parallelism=1, breaker_ratio=0.5, breaker_min=5))

    states = [results[a.id].state for a in actions]
    assert states == ["failed"] * 5 + ["skipped"] * 15
    assert results["a19"].error == ("not started: circuit breaker open: 5 of the last 5 actions failed "
                                    "(threshold 50%)")


def test_scattered_failures_below_the_ratio_do_not_open_the_breaker(tmp_path):
    actions = actions_of({f"a{i:02}": [] for i in range(20)})
    journal = journal_for(tmp_path, actions)
    results = run_actions(actions, Scripted(fail={"a00", "a05", "a10", "a15"}), journal,
                          options=RunOptions(parallelism=2))
    assert sum(r.state == "failed" for r in results.values()) == 4
    assert sum(r.state == "done" for r in results.values()) == 16


def test_an_authentication_failure_stops_the_run_at_once(tmp_path):
    actions = actions_of({f"a{i}": [] for i in range(6)})
    journal = journal_for(tmp_path, actions)
    results = run_actions(actions, Scripted(auth={"a1"}), journal, options=RunOptions(parallelism=1))
    assert [results[f"a{i}"].state for i in range(6)] == ["done", "failed", "skipped", "skipped", "skipped", "skipped"]
    assert results["a2"].error.startswith("not started: authentication refused: REST GET /v2/members/x: 401")


def test_resume_runs_only_what_is_not_done(tmp_path):
    actions = actions_of({"a": [], "b": ["a"], "c": []})
    journal = journal_for(tmp_path, actions)
    journal.mark_running("a")
    journal.mark_done("a", "written")
    journal.mark_running("b")  # the process died here
    journal.mark_running("c")
    journal.mark_failed("c", "REST PATCH: 500: boom")

    assert sorted(reset_unfinished(journal)) == ["b", "c"]
    executor = Scripted()
    results = run_actions(actions, executor, journal)

    assert executor.started == ["b", "c"] or sorted(executor.started) == ["b", "c"]
    assert set(results) == {"b", "c"}
    rows = journal.rows()
    assert rows["b"].attempts == 2 and rows["a"].attempts == 1


def test_cycles_and_unknown_dependencies_are_refused_before_anything_runs():
    with pytest.raises(ApplyRefused) as cycle:
        dependency_graph(actions_of({"a": ["b"], "b": ["a"]}))
    assert str(cycle.value) == "action 'a' is in a dependency cycle: a -> b -> a"
    with pytest.raises(ApplyRefused) as unknown:
        dependency_graph(actions_of({"a": ["zz"]}))
    assert str(unknown.value) == "action 'a' depends on 'zz', which is not in the plan"
    with pytest.raises(ApplyRefused) as twice:
        dependency_graph([*actions_of({"a": []}), *actions_of({"a": []})])
    assert str(twice.value) == "action id 'a' appears twice"


def test_journal_keeps_the_first_before_image_and_merges_ids(tmp_path):
    actions = actions_of({"a": []})
    journal = journal_for(tmp_path, actions)
    journal.record_before("a", {"isArchived": False})
    journal.record_before("a", {"isArchived": True})  # a later attempt sees our own write
    journal.record_ids("a", {"memberId": "a"})
    journal.record_ids("a", {"scimUserId": "s1"})
    row = journal.rows()["a"]
    assert row.before_image == {"isArchived": False}
    assert row.ids == {"memberId": "a", "scimUserId": "s1"}


def test_actions_of_one_exclusive_key_never_run_at_the_same_time(tmp_path):
    """tester8 finding 13: two actions reading and changing one list (the key) wait for each other;
    actions of other keys, and of none, run beside them."""
    spec = {f"a{i}": [] for i in range(12)}
    actions = actions_of(spec)
    key_of = {f"a{i}": ("k1" if i % 3 == 0 else "k2" if i % 3 == 1 else None) for i in range(12)}
    journal = journal_for(tmp_path, actions)
    running: dict[str, int] = {"k1": 0, "k2": 0}
    most: dict[str, int] = {"k1": 0, "k2": 0}
    lock = threading.Lock()
    together = threading.Barrier(3, timeout=10)

    class Keyed(Scripted):
        def execute(self, action, on_before, on_ids):
            key = key_of[action.id]
            with lock:
                if key:
                    running[key] += 1
                    most[key] = max(most[key], running[key])
            try:
                if action.id in ("a0", "a1", "a2"):  # the first of k1, of k2 and of none run together
                    together.wait()
                return super().execute(action, on_before, on_ids)
            finally:
                with lock:
                    if key:
                        running[key] -= 1

    executor = Keyed()
    results = run_actions(actions, executor, journal, options=RunOptions(parallelism=6),
                          exclusive=lambda action: key_of[action.id])

    assert {r.state for r in results.values()} == {"done"} and len(results) == 12
    assert most == {"k1": 1, "k2": 1}
    k1 = [aid for aid in executor.started if key_of[aid] == "k1"]
    assert k1 == ["a0", "a3", "a6", "a9"]  # held back in plan order
