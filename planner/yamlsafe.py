"""YAML that cannot blow up: one loader for every YAML file the tool reads (policy, generic-CSV mappings).

PyYAML's safe loader builds no objects from tags, but expands aliases and
recurses once per nesting level: a "billion laughs" file (9 levels of 10 aliases)
expands to a billion nodes, a recursive alias never ends, and 5,000 nested ``[``
exhaust the stack. :class:`BoundedLoader` refuses all three while composing,
before anything is expanded, with a :class:`yaml.MarkedYAMLError` at the place.
"""

from __future__ import annotations

from typing import Any

import yaml

ALIAS_BUDGET = 1000
"""YAML nodes that aliases may add to a policy at most (each ``*alias`` adds the size of its anchor)."""

MAX_DEPTH = 50
"""Nesting depth of YAML collections at most in a policy."""


class BoundedLoader(yaml.SafeLoader):
    """PyYAML's safe loader, refusing while composing (before anything is expanded or built):

    - an alias whose anchor is still being composed (a recursive structure, which
      would recurse without end when walked);
    - aliases adding more than :data:`ALIAS_BUDGET` nodes in all (a "billion laughs"
      bomb: 9 levels of 10 aliases each expand to a billion nodes);
    - collections nested deeper than :data:`MAX_DEPTH`.

    Each refusal is a :class:`yaml.composer.ComposerError` at the alias or the node.
    """

    def __init__(self, text: str):
        super().__init__(text)
        self._open_anchors: set[str] = set()
        self._sizes: dict[int, int] = {}
        self._expanded = 0
        self._depth = 0

    def compose_node(self, parent, index):  # noqa: ANN001, ANN201 (PyYAML's signature)
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            anchor = self.anchors.get(event.anchor)
            if event.anchor in self._open_anchors:
                raise yaml.composer.ComposerError(
                    None, None, f"recursive alias *{event.anchor} (refers to the node that contains it)",
                    event.start_mark)
            if anchor is not None:
                self._expanded += self._sizes.get(id(anchor), 1)
                if self._expanded > ALIAS_BUDGET:
                    raise yaml.composer.ComposerError(
                        None, None, f"aliases expand to more than {ALIAS_BUDGET} YAML nodes (an alias bomb?); "
                        "write the values out", event.start_mark)
            return super().compose_node(parent, index)
        event = self.peek_event()
        if self._depth >= MAX_DEPTH:
            raise yaml.composer.ComposerError(
                None, None, f"nested more than {MAX_DEPTH} levels deep", event.start_mark)
        anchor_name = getattr(event, "anchor", None)
        if anchor_name is not None:
            self._open_anchors.add(anchor_name)
        self._depth += 1
        try:
            node = super().compose_node(parent, index)
        finally:
            self._depth -= 1
            self._open_anchors.discard(anchor_name)
        self._sizes[id(node)] = 1 + sum(self._sizes.get(id(child), 1) for child in _children(node))
        return node


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.MappingNode):
        return [n for pair in node.value for n in pair]
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    return []


def bounded_load(text: str) -> Any:
    """``yaml.safe_load`` through :class:`BoundedLoader`. Raises :class:`yaml.YAMLError` (a
    :class:`yaml.MarkedYAMLError` for the refusals of :class:`BoundedLoader`)."""
    loader = BoundedLoader(text)
    try:
        return loader.get_single_data()
    finally:
        loader.dispose()


def bounded_compose(text: str) -> yaml.Node | None:
    """``yaml.compose`` through :class:`BoundedLoader` (the node tree, positions kept)."""
    loader = BoundedLoader(text)
    try:
        return loader.get_single_node()
    finally:
        loader.dispose()
