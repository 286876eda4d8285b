"""planner.graphs against networkx (still installed: apply and the rare cases import it), on small
literal graphs and on seeded random ones: the same components and descendants, in the same order where
networkx defines one."""

import random

import networkx as nx

from planner.graphs import connected_components, descendants, directed, strongly_connected_components, undirected


def test_undirected_components_of_literal_graph():
    graph = undirected([("m1", "i1"), ("m2", "i1"), ("m3", "i3"), ("m4", "m4")])
    assert list(graph) == ["m1", "i1", "m2", "m3", "i3", "m4"]
    assert connected_components(graph) == [{"m1", "i1", "m2"}, {"m3", "i3"}, {"m4"}]


def test_directed_nesting_cycles_and_descendants():
    graph = directed([("a", "b"), ("b", "c"), ("c", "a"), ("c", "d"), ("e", "e"), ("f", "d")])
    assert list(graph) == ["a", "b", "c", "d", "e", "f"]
    assert sorted(map(sorted, strongly_connected_components(graph))) == [["a", "b", "c"], ["d"], ["e"], ["f"]]
    assert descendants(graph, "a") == {"b", "c", "d"}  # a itself left out, though on a cycle
    assert descendants(graph, "e") == set()
    assert descendants(graph, "d") == set()


def test_a_nesting_deeper_than_the_recursion_limit():
    chain = directed((f"g{n}", f"g{n + 1}") for n in range(5000))
    assert len(strongly_connected_components(chain)) == 5001
    assert len(descendants(chain, "g0")) == 5000


def _random_edges(rng: random.Random, nodes: int, edges: int) -> list[tuple[str, str]]:
    return [(f"n{rng.randrange(nodes)}", f"n{rng.randrange(nodes)}") for _ in range(edges)]


def test_same_as_networkx_on_random_graphs():
    rng = random.Random(7)
    for _ in range(200):
        edges = _random_edges(rng, rng.randrange(1, 30), rng.randrange(0, 45))
        g = nx.Graph()
        g.add_edges_from(edges)
        mine = undirected(edges)
        assert list(mine) == list(g.nodes)
        assert connected_components(mine) == list(nx.connected_components(g))
        d = nx.DiGraph()
        d.add_edges_from(edges)
        succ = directed(edges)
        assert list(succ) == list(d.nodes)
        assert {frozenset(c) for c in strongly_connected_components(succ)} == \
            {frozenset(c) for c in nx.strongly_connected_components(d)}
        for node in succ:
            assert descendants(succ, node) == nx.descendants(d, node)
            assert sorted(succ[node]) == sorted(d.successors(node))


def test_plan_does_not_import_networkx(tmp_path):
    """The modules `plan` runs import no networkx (0.1 s of CPU to import; planner.graphs)."""
    import subprocess
    import sys
    from pathlib import Path

    repo = Path(__file__).resolve().parent.parent
    code = ("import sys, planner.planning, planner.report, planner.planfile, planner.cli; "
            "print('networkx' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], cwd=repo, capture_output=True, text=True, check=True)
    assert out.stdout == "False\n"
