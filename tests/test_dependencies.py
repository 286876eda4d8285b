"""planner.dependencies: the one check of ``depends_on`` used by plan, read_plan and apply."""

from __future__ import annotations

import pytest

from planner.dependencies import DependencyError, check_dependencies, dependency_graph, topological_order
from planner.model import Action, ActionKind

from .execute_support import act


def actions(spec: dict[str, list[str]] | list[tuple[str, list[str]]]) -> list[Action]:
    pairs = spec.items() if isinstance(spec, dict) else spec
    return [act(i, ActionKind.MEMBERS_DEACTIVATE, {"memberId": i}, {"isArchived": True, "newOwnerId": None}, deps)
            for i, deps in pairs]


def refusal(spec) -> DependencyError:
    with pytest.raises(DependencyError) as refused:
        check_dependencies(actions(spec))
    return refused.value


def test_a_duplicate_id_names_both_positions():
    error = refusal([("a", []), ("b", []), ("a", [])])
    assert (str(error), error.index, error.field, error.first) == ("action id 'a' appears twice", 2, "id", 0)


def test_of_several_duplicate_ids_the_first_repeated_in_list_order_is_named():
    error = refusal([("a", []), ("b", []), ("b", []), ("a", []), ("c", ["zz"])])
    assert (str(error), error.index, error.field, error.first) == ("action id 'b' appears twice", 2, "id", 1)


def test_of_several_unknown_dependencies_the_first_of_the_first_action_is_named():
    error = refusal({"a": [], "b": ["a", "yy", "zz"], "c": ["xx"]})
    assert (str(error), error.index) == ("action 'b' depends on 'yy', which is not in the plan", 1)


def test_an_unknown_dependency_names_the_action_and_the_dependency():
    error = refusal({"a": [], "b": ["a", "zz"]})
    assert (str(error), error.index, error.field) == ("action 'b' depends on 'zz', which is not in the plan", 1,
                                                      "depends_on")


def test_a_cycle_is_named_from_the_first_action_in_list_order():
    error = refusal({"x": [], "a": ["c"], "b": ["a"], "c": ["b"]})
    assert (str(error), error.index, error.field) == ("action 'a' is in a dependency cycle: a -> b -> c -> a", 1,
                                                      None)


def test_a_self_dependency_is_a_cycle():
    assert str(refusal({"g": ["g"]})) == "action 'g' is in a dependency cycle: g -> g"


def test_ids_are_checked_before_dependencies_and_dependencies_before_cycles():
    assert str(refusal([("a", ["zz"]), ("a", [])])) == "action id 'a' appears twice"
    assert str(refusal({"a": ["b"], "b": ["a", "zz"]})) == "action 'b' depends on 'zz', which is not in the plan"


def test_out_of_order_but_acyclic_is_fine_and_ordered_by_the_key():
    spec = {"c": ["a"], "b": [], "a": []}
    assert check_dependencies(actions(spec)) is False
    assert check_dependencies(actions({"a": [], "b": [], "c": ["a"]})) is True
    assert sorted(dependency_graph(actions(spec)).edges) == [("a", "c")]
    assert topological_order(actions(spec), sort_key=lambda i: i) == ["a", "b", "c"]
    assert topological_order(actions(spec), sort_key=lambda i: {"b": 0, "a": 1, "c": 2}[i]) == ["b", "a", "c"]


def test_topological_order_refuses_a_cycle():
    with pytest.raises(DependencyError, match="a -> b -> a"):
        topological_order(actions({"a": ["b"], "b": ["a"]}), sort_key=lambda i: i)
