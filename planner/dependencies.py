"""The one check of a plan's action dependencies (``depends_on``), and their order.

Every stage that trusts ``depends_on`` checks it here: ``plan`` before it orders the
actions it built (:func:`planner.planning.order_actions`), ``read_plan`` before any
command uses a plan file (:func:`planner.planfile.check_structure`) and ``apply``
before its first request (:func:`planner.execute.runner.dependency_graph`). Each
turns a :class:`DependencyError` into its own one-line error, so the sentence is the
same everywhere:

- ``action id 'a1' appears twice``;
- ``action 'a1' depends on 'u9', which is not in the plan``;
- ``action 'u1' is in a dependency cycle: u1 -> t1 -> u1``.

A list in which every dependency comes before its dependent is acyclic by
construction (``plan`` writes its actions in such an order), so the graph is built
(networkx) only when some action comes before one of its dependencies.
"""

from __future__ import annotations

from operator import attrgetter
from typing import Callable, Hashable, Iterable, Sequence

import networkx as nx

from .model import Action


class DependencyError(Exception):
    """What is wrong with a list of actions' dependencies; ``str()`` is one sentence.

    ``index`` is the offending action's position in the list, ``field`` the field at fault
    (``"id"``, ``"depends_on"``, or ``None`` for a cycle, which belongs to no single action),
    ``first`` the position of the first action with the same id (a duplicate only).
    """

    def __init__(self, reason: str, index: int, field: str | None = None, first: int | None = None) -> None:
        super().__init__(reason)
        self.reason, self.index, self.field, self.first = reason, index, field, first


def check_dependencies(actions: Sequence[Action]) -> bool:
    """Raise :class:`DependencyError` unless the actions' ids are unique, every ``depends_on``
    names one of them and the dependencies form no cycle (module docstring for the sentences).
    Returns True when the list is already in dependency order (every dependency first).

    Checked in this order, each in list order: ids; dependencies; cycles (the cycle reported is
    the one networkx's ``find_cycle`` finds first, searching from the actions in list order).
    O(actions + dependencies) when the list is in dependency order.
    """
    position = dict(zip(map(_ID, actions), range(len(actions))))  # built in C; the last position of an id
    if len(position) != len(actions):
        _refuse_duplicate_ids(actions)
    in_order = True
    for n, action in enumerate(actions):
        if not action.depends_on:
            continue
        at = list(map(position.get, action.depends_on))  # in C: one Python step per action, not per dependency
        if None in at:
            dep = action.depends_on[at.index(None)]
            raise DependencyError(f"action {action.id!r} depends on {dep!r}, which is not in the plan",
                                  n, "depends_on")
        if max(at) >= n:
            in_order = False
    if not in_order:
        graph = _graph(actions)
        if not nx.is_directed_acyclic_graph(graph):
            edges = nx.find_cycle(graph, source=[a.id for a in actions])
            cycle = " -> ".join([str(e[0]) for e in edges] + [str(edges[0][0])])
            raise DependencyError(f"action {edges[0][0]!r} is in a dependency cycle: {cycle}",
                                  position[edges[0][0]])
    return in_order


_ID = attrgetter("id")


def _refuse_duplicate_ids(actions: Sequence[Action]) -> None:
    """:class:`DependencyError` naming the first action whose id an earlier one has."""
    position: dict[str, int] = {}
    for n, action in enumerate(actions):
        first = position.setdefault(action.id, n)
        if first != n:
            raise DependencyError(f"action id {action.id!r} appears twice", n, "id", first)


def dependency_graph(actions: Sequence[Action]) -> nx.DiGraph:
    """The checked DAG ``dependency -> dependent`` of ``actions`` (nodes in list order);
    :class:`DependencyError` as :func:`check_dependencies`."""
    check_dependencies(actions)
    return _graph(actions)


def topological_order(actions: Sequence[Action], sort_key: Callable[[str], Hashable]) -> list[str]:
    """The action ids in dependency order, ties broken by ``sort_key(id)`` (networkx's
    lexicographical topological sort); :class:`DependencyError` as :func:`check_dependencies`."""
    return list(nx.lexicographical_topological_sort(dependency_graph(actions), key=sort_key))


def with_dependents(actions: Sequence[Action], dropped: Iterable[str]) -> set[str]:
    """The ids of ``dropped`` and of every action of ``actions`` waiting on one (``depends_on``, transitively): what
    a stage that drops an action drops with it (:func:`planner.rules.scim_values.drop_unnamed_teams`,
    :func:`planner.rules.scim_state.hold_second_teams`). O(actions x depth of the waiting chain)."""
    found = set(dropped)
    while True:
        waiting = [a.id for a in actions if a.id not in found and found.intersection(a.depends_on)]
        if not waiting:
            return found
        found.update(waiting)


def _graph(actions: Sequence[Action]) -> nx.DiGraph:
    graph = nx.DiGraph()
    graph.add_nodes_from(a.id for a in actions)  # list order, so a reported cycle is deterministic
    graph.add_edges_from((dep, a.id) for a in actions for dep in a.depends_on)
    return graph
