"""Rule families: small pure functions from the typed directory (:class:`~planner.directory.Directory`,
:class:`~planner.directory.Person` records) + identity links + policy to decisions.

One module per family (design.md): :mod:`.linking` (links, userName guard,
overrides, hints), :mod:`.guests`, :mod:`.account_types`, :mod:`.teams`,
:mod:`.unmatched`, :mod:`.guards`. :mod:`planner.planning` runs them in that
order and assembles the plan.

Every family returns an :class:`Outcome`: the actions it decided (each with the
rule id and the evidence that produced it, and the dependencies it knows
about) and its review items. Action ids are ``"<kind>:<key>"`` (the key is a
memberId, an IdP id, a teamId, ...), review item ids ``"<code>:<key>"``: both
are stable for the same inputs.

Shared helpers here: :func:`make_action`, :func:`make_review`,
:func:`yaml_snippet` (the exact policy YAML a review item's ``resolution``
shows), :func:`person_ref`.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Iterable, Mapping


from ..model import NO_EVIDENCE, Action, ActionKind, ItemEvidence, ItemRef, ReviewItem
from ..payloads import ACTION_TYPES, Payload

if TYPE_CHECKING:
    from .policy_entries import EntryUse


@dataclass
class Outcome:
    """What one rule family decided: actions and review items (lists, in a stable order), and ``uses``, the
    keyed policy entries it consulted (:class:`~planner.rules.policy_entries.EntryUse`; those no family used are
    ``policy.unused_entry`` items, :func:`~planner.rules.policy_entries.unused_entry_items`)."""

    actions: list[Action] = field(default_factory=list)
    review_items: list[ReviewItem] = field(default_factory=list)
    uses: list[EntryUse] = field(default_factory=list)

    def extend(self, other: "Outcome") -> None:
        self.actions.extend(other.actions)
        self.review_items.extend(other.review_items)
        self.uses.extend(other.uses)


def action_id(kind: ActionKind, key: str) -> str:
    """The stable id of an action: ``"scim.link_user:<memberId>"``."""
    return f"{_ID_PREFIX[kind]}{key}"


_ID_PREFIX = {kind: f"{kind.value}:" for kind in ActionKind}
"""``"<kind>:"`` by kind: read once (an enum's ``.value`` is a Python-level descriptor call)."""


def make_action(
    kind: ActionKind,
    key: str,
    *,
    target: Payload,
    before: Payload | None,
    after: Payload | None,
    rule: str,
    reason: str,
    evidence: Payload,
    depends_on: Iterable[str] = (),
) -> Action:
    """The action of ``kind`` (its class in :data:`planner.payloads.ACTION_TYPES`) with id
    ``"<kind>:<key>"`` and sorted, unique dependencies; the payloads are that kind's types."""
    return ACTION_TYPES[kind](
        id=action_id(kind, key),
        target=target,
        before=before,
        after=after,
        rule=rule,
        reason=reason,
        evidence=evidence,
        depends_on=tuple(sorted(set(depends_on))),
    )


def make_review(
    code: str,
    key: str,
    *,
    blocking: bool,
    subject: ItemRef,
    message: str,
    rule: str,
    candidates: Iterable[ItemRef] = (),
    evidence: ItemEvidence = NO_EVIDENCE,
    resolution: str = "",
) -> ReviewItem:
    """A :class:`~planner.model.ReviewItem` with id ``"<code>:<key>"``; ``evidence`` none unless given."""
    return ReviewItem(
        id=f"{code}:{key}",
        code=code,
        blocking=blocking,
        subject=subject,
        message=message,
        candidates=tuple(candidates),
        evidence=evidence,
        rule=rule,
        resolution=resolution,
    )


OUTSIDE_POLICY = "# no policy setting settles this: "
"""How the ``resolution`` of a review item no policy setting settles begins (an export to redo, a change in the
IdP): the item itself says so, and ``approve`` reads it back (:func:`settled_outside_policy`) to say what to do
instead of "decide them in the policy"."""


def outside_policy(step: str) -> str:
    """The ``resolution`` of an item no policy setting settles: one comment line, :data:`OUTSIDE_POLICY` then
    ``step`` (what settles it instead: ``export again ..., then plan again``)."""
    return f"{OUTSIDE_POLICY}{step}\n"


def settled_outside_policy(item: ReviewItem) -> str | None:
    """What settles ``item`` when no policy setting does (its :func:`outside_policy` step), else ``None``
    (its ``resolution`` is a policy snippet, or says nothing)."""
    if not item.resolution.startswith(OUTSIDE_POLICY):
        return None
    return item.resolution[len(OUTSIDE_POLICY):].strip()


_RESERVED = (r"y|Y|yes|Yes|YES|n|N|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF|"
             r"null|Null|NULL|~|[-+]?[0-9][0-9_.:eExXoObB+-]*|\.inf|\.nan")
"""Plain scalars YAML would read as something else than a string (YAML 1.1 booleans, null, numbers)."""
_PLAIN = re.compile(rf"(?!(?:{_RESERVED})\Z)[A-Za-z0-9_][A-Za-z0-9_.@+\-/#']*")
"""A string written plain (``fullmatch``: ``$`` would also match before a trailing newline, writing
``"abc\\n"`` unquoted): no quoting needed (no space, so never a `` #`` comment) and not reserved."""


def _scalar(value: Any) -> str:
    """A YAML scalar: plain when unambiguous, else a JSON string (valid YAML double-quoted)."""
    if value.__class__ is str:  # the common case first: keys, ids, addresses
        return value if _PLAIN.fullmatch(value) else json.dumps(value, ensure_ascii=False)
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return json.dumps(value)
    text = str(value)
    return text if _PLAIN.fullmatch(text) else json.dumps(text, ensure_ascii=False)


def _emit(value: Any, indent: int, out: list[str]) -> None:
    pad = "  " * indent
    for key, item in value.items():
        if isinstance(item, dict) and item:
            out.append(f"{pad}{_scalar(key)}:")
            _emit(item, indent + 1, out)
        elif isinstance(item, list) and item:
            out.append(f"{pad}{_scalar(key)}:")
            for entry in item:
                if isinstance(entry, dict):
                    inner = ", ".join(f"{_scalar(k)}: {_scalar(v)}" for k, v in entry.items())
                    out.append(f"{pad}  - {{{inner}}}")
                elif isinstance(entry, list):  # a list of lists: each inner list in flow style
                    out.append(f"{pad}  - [{', '.join(_scalar(v) for v in entry)}]")
                else:
                    out.append(f"{pad}  - {_scalar(entry)}")
        elif isinstance(item, (dict, list)):
            out.append(f"{pad}{_scalar(key)}: {'{}' if isinstance(item, dict) else '[]'}")
        else:
            out.append(f"{pad}{_scalar(key)}: {_scalar(item)}")


def yaml_snippet(value: Mapping[str, Any], *alternatives: Mapping[str, Any], notes: Iterable[str] = ()) -> str:
    """The YAML text of a policy fragment, e.g. ``{"linking": {"overrides": [{...}]}}``.

    Nested mappings are written in block style, list entries in flow style
    (``- {idp: 00u1, member: m1}``, ``- [Leadership, Operations]``), strings plain when unambiguous and
    double-quoted otherwise. ``alternatives`` follow as commented-out fragments
    after ``# or:``; ``notes`` as leading comment lines. The text always parses
    as YAML (tests/test_rules_linking.py checks it), and is fast enough for
    tens of thousands of review items.
    """

    text = "".join(f"# {n}\n" for n in notes) + _block(value, "")
    for alt in alternatives:
        text += "# or:\n" + _block(alt, "# ")
    return text


def _block(value: Mapping[str, Any], prefix: str) -> str:
    """One fragment of :func:`yaml_snippet` as text, each line after ``prefix`` and ending in a newline."""
    lines: list[str] = []
    _emit(value, 0, lines)
    if not lines:
        return ""
    return prefix + ("\n" + prefix).join(lines) + "\n"


def person_ref(
    member_id: str | None = None,
    email: str | None = None,
    idp_id: str | None = None,
    user_name: str | None = None,
    **extra: Any,
) -> ItemRef:
    """An :class:`~planner.model.ItemRef` naming a person by the ids present (``memberId``, ``email``,
    ``idpId``, ``userName``; empty or ``None`` ones left out) plus the ``extra`` fields that are not
    ``None`` (snake_case :class:`~planner.model.ItemRef` field names, e.g. ``name``, ``joined``)."""
    ids = {"member_id": member_id, "email": email, "idp_id": idp_id, "user_name": user_name}
    return ItemRef(**{k: v for k, v in ids.items() if v}, **{k: v for k, v in extra.items() if v is not None})
