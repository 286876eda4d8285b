"""The graph walks ``plan`` makes: connected components, strongly connected components, descendants.

``plan`` walks small graphs in four places: the ambiguous match edges (:mod:`planner.matching`), the
IdP users sharing an address (:mod:`planner.rules.duplicates`), the same-person hints
(:mod:`planner.rules.linking`) and the IdP's group nesting (:mod:`planner.directory`). Importing
networkx costs about 0.1 s of CPU per process (measured: ``import networkx`` 0.098-0.101 s, the
largest import of ``plan``; a 20k-member plan is 2.4 s of CPU), for walks of a few dozen lines, so
they are here, over plain dicts. networkx stays for what is worth its import, loaded where it is
used: a maximum matching (:func:`planner.rules.linking.suggested_pairs`), a cycle's path
(:mod:`planner.dependencies`, :func:`planner.sources.validation.nesting`) and apply's DAG.

Each function returns what networkx's function of the same name returns for the same graph (pinned
against it in ``tests/test_graphs.py``): the same sets, in the same order where the order is defined.
A graph is given as ``successors``: node -> its successors (an undirected graph lists each edge's two
ends under each other), every node a key, in the order the nodes were added.
"""

from __future__ import annotations

from typing import Hashable, Iterable, Mapping, TypeVar

Node = TypeVar("Node", bound=Hashable)


def undirected(edges: Iterable[tuple[Node, Node]]) -> dict[Node, dict[Node, None]]:
    """The ``successors`` of the undirected graph of ``edges`` (``(u, v)`` pairs): every node a key in
    the order an edge first names it (``u`` before ``v``, as ``networkx.Graph.add_edges_from``), each
    neighbour once."""
    adjacency: dict[Node, dict[Node, None]] = {}
    for u, v in edges:
        adjacency.setdefault(u, {})[v] = None
        adjacency.setdefault(v, {})[u] = None
    return adjacency


def directed(edges: Iterable[tuple[Node, Node]]) -> dict[Node, dict[Node, None]]:
    """The ``successors`` of the directed graph of ``edges`` (``(u, v)``: an edge from ``u`` to ``v``):
    every node a key in the order an edge first names it (as ``networkx.DiGraph.add_edges_from``), each
    successor once."""
    successors: dict[Node, dict[Node, None]] = {}
    for u, v in edges:
        successors.setdefault(u, {})[v] = None
        successors.setdefault(v, {})
    return successors


def connected_components(adjacency: Mapping[Node, Iterable[Node]]) -> list[set[Node]]:
    """The connected components of an undirected graph (:func:`undirected`), each a set of nodes, in the
    order of their first node in ``adjacency`` (as ``networkx.connected_components``)."""
    seen: set[Node] = set()
    components = []
    for start in adjacency:
        if start in seen:
            continue
        component = {start}
        frontier = [start]
        while frontier:
            node = frontier.pop()
            for other in adjacency[node]:
                if other not in component:
                    component.add(other)
                    frontier.append(other)
        seen |= component
        components.append(component)
    return components


def descendants(successors: Mapping[Node, Iterable[Node]], source: Node) -> set[Node]:
    """The nodes reachable from ``source`` by one or more edges, ``source`` itself left out even on a
    cycle (as ``networkx.descendants``)."""
    reached: set[Node] = set()
    frontier = [source]
    while frontier:
        for child in successors[frontier.pop()]:
            if child not in reached:
                reached.add(child)
                frontier.append(child)
    reached.discard(source)
    return reached


def strongly_connected_components(successors: Mapping[Node, Iterable[Node]]) -> list[set[Node]]:
    """The strongly connected components of a directed graph (:func:`directed`), each a set of nodes
    (Tarjan's algorithm, iterative: a nesting deeper than Python's recursion limit is walked too). A
    node on no cycle is a component of its own; a self-loop is visible only in ``successors``."""
    index: dict[Node, int] = {}
    low: dict[Node, int] = {}
    stack: list[Node] = []
    on_stack: set[Node] = set()
    components = []
    for root in successors:
        if root in index:
            continue
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        work = [(root, iter(successors[root]))]
        while work:
            node, children = work[-1]
            for child in children:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(successors[child])))
                    break
                if child in on_stack:
                    low[node] = min(low[node], index[child])
            else:
                work.pop()
                if work:
                    parent = work[-1][0]
                    low[parent] = min(low[parent], low[node])
                if low[node] == index[node]:
                    component = set()
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.add(member)
                        if member == node:
                            break
                    components.append(component)
    return components
