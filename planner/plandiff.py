"""``sigma-migrate diff OLD NEW``: what changed between two plans, so a reviewer who approved
v1 sees exactly what v2 adds.

Pure functions over two :class:`~planner.model.Plan` objects (read by
:func:`planner.planfile.read_plan`, which refuses tampered files):

- actions, by id: **added** (in NEW only), **removed** (in OLD only, each with what NEW knows of it:
  :class:`Removed`), **changed** (same id,
  some field differs: ``target``, ``before``, ``after``, ``rule``, ``reason``, ``evidence``,
  ``depends_on``; nested values are compared leaf by leaf and named by dotted path, e.g.
  ``after.userType: 'View' -> 'Build'``); a list of names or ids (a push's ``after.members``) by the
  elements added and removed: ``after.members (19 -> 20): added 'robert.chen@acme.example'``;
- review items, by id: **opened**, **closed**, **changed** (blocking, message or resolution);
- summary **deltas**: every number of ``summary`` that differs (``actions.scim.link_user``,
  ``review_items.blocking``, ``account_types.downgrades``, ...).

Nothing is re-derived: the plans carry every decision; this only lines them up. What became of an action NEW
lacks is what NEW was made from says (tester12 #9): a re-plan given OLD with ``plan --applied`` read OLD's journal
(its ``inputs`` hold the journal's sha256), so the journals it read, read again (unchanged, or the rows finished
before NEW was made: :func:`planner.applied.journals_read_by`), tell **done** (a run finished it), **refused** (Sigma refused it for good:
the re-plan raises ``applied.refused_again`` instead) and **dropped** (no run did it, and NEW no longer plans it: a
decision changed); without them the action is only **not in the new plan**, with no reason.
A migration plan and an undo plan are not lined up (:func:`check_same_kind`).
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from enum import Enum
from typing import TYPE_CHECKING, Any, Callable, Iterator, Mapping, Sequence

import msgspec

from .errors import UserError
from .execute.reversals import plan_kind
from .model import Action, Plan, ReviewItem

if TYPE_CHECKING:
    from .applied import JournalsRead

ACTION_FIELDS = ("target", "before", "after", "rule", "reason", "evidence", "depends_on")
ITEM_FIELDS = ("blocking", "message", "resolution")


@dataclass(frozen=True)
class FieldChange:
    """One leaf that differs: dotted ``path``, ``old`` and ``new`` values (``None`` when absent).

    A leaf that is a list of names or ids in both plans (a push's ``after.members``, ``before.memberIds``,
    ``depends_on``) is a set the plans change element by element: :attr:`added` and :attr:`removed` say which
    (in the list's order), and the line names them, never both whole lists (tester10 nit 15: a team push
    re-adding one person showed as ``after.members: [19 names] -> [20 names]``)."""

    path: str
    old: Any
    new: Any

    @property
    def elementwise(self) -> bool:
        """Both values are lists of strings or numbers, so the change is :attr:`added` and :attr:`removed`."""
        return all(isinstance(v, list) and all(isinstance(x, (str, int, float)) for x in v)
                   for v in (self.old, self.new))

    @property
    def added(self) -> list[Any]:
        """The elements of ``new`` that ``old`` lacks (a repeated element counts each time), in ``new``'s order;
        ``[]`` unless :attr:`elementwise`."""
        return _missing(self.new, self.old) if self.elementwise else []

    @property
    def removed(self) -> list[Any]:
        """The elements of ``old`` that ``new`` lacks, in ``old``'s order; ``[]`` unless :attr:`elementwise`."""
        return _missing(self.old, self.new) if self.elementwise else []

    def __str__(self) -> str:
        if not self.elementwise:
            return f"{self.path}: {_show(self.old)} -> {_show(self.new)}"
        parts = [f"added {', '.join(map(_show, self.added))}"] * bool(self.added)
        parts += [f"removed {', '.join(map(_show, self.removed))}"] * bool(self.removed)
        if not parts:  # the same elements in another order
            parts = ["the same elements, reordered"]
        return f"{self.path} ({len(self.old)} -> {len(self.new)}): {'; '.join(parts)}"


def _missing(values: list[Any], other: list[Any]) -> list[Any]:
    """The elements of ``values`` not matched by one of ``other`` (multiset difference, ``values``' order)."""
    left = Counter(other)
    out = []
    for v in values:
        if left[v]:
            left[v] -= 1
        else:
            out.append(v)
    return out


class Fate(str, Enum):
    """What became of an action of OLD that NEW lacks, as NEW's ``--applied`` journals say (:class:`Removed`)."""

    DONE = "done"
    """A run finished it (written, or found already so)."""
    REFUSED = "refused"
    """Sigma refused it for good, or a run could not send it; NEW does not plan it again (``applied.refused_again``)."""
    DROPPED = "dropped"
    """No run did it, and NEW no longer plans it: a decision changed."""
    NOT_IN_NEW_PLAN = "not_in_new_plan"
    """NEW does not record why: made without ``--applied`` OLD, a journal it read is gone, or changed since and
    holds no finished row of the action from before NEW was made."""


FATE_WORDS = {Fate.DONE: "done", Fate.REFUSED: "refused", Fate.DROPPED: "dropped",
              Fate.NOT_IN_NEW_PLAN: "not in the new plan"}
"""How the terminal's count of removed actions names each :class:`Fate`."""


@dataclass(frozen=True)
class Removed:
    """An action of OLD that NEW lacks, its :class:`Fate` and ``by``: the run that did or refused it (``run 1 of plan
    v1.json, 2026-12-07T01:31:11.342Z``, with Sigma's answer for a refusal), ``""`` otherwise."""

    action: Action
    fate: Fate
    by: str = ""

    def words(self) -> str:
        """How the terminal says the fate: ``done by run 1 of plan v1.json, ...``, ``refused by ...: 403 ...``,
        ``dropped: no run did it, and the new plan no longer plans it``, ``not in the new plan``."""
        if self.fate is Fate.DONE:
            return f"done by {self.by}"
        if self.fate is Fate.REFUSED:
            return f"refused by {self.by}"
        if self.fate is Fate.DROPPED:
            return "dropped: no run did it, and the new plan no longer plans it"
        return FATE_WORDS[Fate.NOT_IN_NEW_PLAN]


def removals(removed: Sequence[Action], journals: "JournalsRead | None") -> tuple[Removed, ...]:
    """Each of ``removed`` (actions of OLD that NEW lacks) with its :class:`Fate` from ``journals`` (what NEW's
    ``--applied`` journals say, :func:`planner.applied.journals_read_by`; ``None``: not read): done or refused when a
    journal says so, dropped when OLD was given to NEW and every journal was read as NEW read it, else not in the new
    plan."""
    out = []
    for a in removed:
        done = journals.done.get(a.id) if journals is not None else None
        refused = journals.refused.get(a.id) if journals is not None else None
        if done is not None:
            out.append(Removed(a, Fate.DONE, done.words()))
        elif refused is not None:
            out.append(Removed(a, Fate.REFUSED, f"{refused.words()}: {refused.refusal}"))
        elif journals is not None and journals.complete:
            out.append(Removed(a, Fate.DROPPED))
        else:
            out.append(Removed(a, Fate.NOT_IN_NEW_PLAN))
    return tuple(out)


@dataclass(frozen=True)
class Changed:
    """An action or review item present in both plans whose fields differ."""

    id: str
    kind: str
    changes: tuple[FieldChange, ...]


@dataclass(frozen=True)
class PlanDiff:
    """Everything :func:`diff_plans` found; ``empty`` when the plans decide the same."""

    old_digest: str
    new_digest: str
    added: tuple[Action, ...]
    removed: tuple[Removed, ...]
    changed: tuple[Changed, ...]
    opened: tuple[ReviewItem, ...]
    closed: tuple[ReviewItem, ...]
    items_changed: tuple[Changed, ...]
    summary: tuple[FieldChange, ...]
    unread: tuple[str, ...] = ()
    """Why the fates of :attr:`removed` are not all known: a journal NEW read with ``--applied`` not read again as it
    read it (:attr:`planner.applied.JournalsRead.unread`)."""

    @property
    def fates(self) -> dict[str, int]:
        """How many :attr:`removed` actions have each :class:`Fate` (every fate, in its order)."""
        counts = Counter(r.fate for r in self.removed)
        return {f.value: counts.get(f, 0) for f in Fate}

    @property
    def empty(self) -> bool:
        return not (self.added or self.removed or self.changed or self.opened or self.closed
                    or self.items_changed or self.summary)

    def to_dict(self) -> dict[str, Any]:
        """The ``--json`` document."""
        def field(f: FieldChange) -> dict[str, Any]:
            out = {"path": f.path, "old": f.old, "new": f.new}
            return {**out, "added": f.added, "removed": f.removed} if f.elementwise else out

        def change(c: Changed) -> dict[str, Any]:
            return {"id": c.id, "kind": c.kind, "changes": [field(f) for f in c.changes]}

        return {
            "old": self.old_digest,
            "new": self.new_digest,
            "identical": self.empty,
            "actions": {
                "added": [{"id": a.id, "kind": a.kind.value, "reason": a.reason} for a in self.added],
                "removed": [{"id": r.action.id, "kind": r.action.kind.value, "reason": r.action.reason,
                             "fate": r.fate.value, "by": r.by or None} for r in self.removed],
                "removed_fates": self.fates,
                "changed": [change(c) for c in self.changed],
            },
            "review_items": {
                "opened": [{"id": r.id, "code": r.code, "blocking": r.blocking, "message": r.message}
                           for r in self.opened],
                "closed": [{"id": r.id, "code": r.code, "blocking": r.blocking, "message": r.message}
                           for r in self.closed],
                "changed": [change(c) for c in self.items_changed],
            },
            "summary": [{"path": f.path, "old": f.old, "new": f.new} for f in self.summary],
            "journals_unread": list(self.unread),
        }


def _show(value: Any) -> str:
    if isinstance(value, str):
        return repr(value)
    return json.dumps(value, sort_keys=True, ensure_ascii=False)


def _leaves(value: Any, path: str) -> Iterator[tuple[str, Any]]:
    if isinstance(value, Mapping):
        if not value:
            yield path, {}
        for key in sorted(value):
            yield from _leaves(value[key], f"{path}.{key}" if path else str(key))
    else:
        yield path, list(value) if isinstance(value, tuple) else value


def field_changes(old: Mapping[str, Any], new: Mapping[str, Any], fields: tuple[str, ...]) -> tuple[FieldChange, ...]:
    """The leaves of ``fields`` that differ between two records (as mappings), in path order."""
    out: list[FieldChange] = []
    for name in fields:
        a, b = dict(_leaves(old.get(name), name)), dict(_leaves(new.get(name), name))
        for path in sorted(set(a) | set(b)):
            if a.get(path) != b.get(path):
                out.append(FieldChange(path, a.get(path), b.get(path)))
    return tuple(out)


def _action_record(a: Action) -> dict[str, Any]:
    """The compared fields of an action, its payloads as their JSON (the plan file's names)."""
    return {"target": msgspec.to_builtins(a.target), "before": msgspec.to_builtins(a.before),
            "after": msgspec.to_builtins(a.after), "rule": a.rule, "reason": a.reason,
            "evidence": msgspec.to_builtins(a.evidence), "depends_on": list(a.depends_on)}


def _numbers(summary: Mapping[str, Any]) -> dict[str, Any]:
    return {p: v for p, v in _leaves(summary, "") if isinstance(v, (int, float)) and not isinstance(v, bool)}


def _item_record(r: ReviewItem) -> dict[str, Any]:
    return {f: getattr(r, f) for f in ITEM_FIELDS}


def _changed(old: Mapping[str, Any], new: Sequence[Any], record: Callable[[Any], dict[str, Any]],
             fields: tuple[str, ...], kind: Callable[[Any], str]) -> list[Changed]:
    """The records of ``new`` (actions or review items, in order) whose id is in ``old`` and whose
    ``fields`` differ there, each as :class:`Changed` with its ``kind``."""
    changed = []
    for x in new:
        before = old.get(x.id)
        if before is not None:
            changes = field_changes(record(before), record(x), fields)
            if changes:
                changed.append(Changed(x.id, kind(x), changes))
    return changed


class PlanKindsDiffer(UserError):
    """``diff`` of a migration plan and an undo plan (one line, exit 1)."""


def check_same_kind(old: Plan, new: Plan, old_path: str, new_path: str) -> None:
    """Raise :class:`PlanKindsDiffer` when one of ``old`` and ``new`` is an undo plan and the other a migration plan
    (:func:`planner.execute.reversals.plan_kind`): a migration plan and the undo plan of its apply decide opposite
    things of different objects, so their differences (every action, item and count) say nothing a reviewer can
    approve (tester12 finding 14's class: `diff plan.json undo.json` listed 196 removed actions and exit 2). Two
    undo plans (made at different times from the same journal) are compared as two migration plans are."""
    if bool(old.summary.undoes) != bool(new.summary.undoes):
        undo_path = new_path if new.summary.undoes else old_path
        raise PlanKindsDiffer(
            f"{old_path} is {plan_kind(old)} and {new_path} {plan_kind(new)}: diff compares two plans of one "
            f"kind (two migration plans, or two undo plans); review the undo plan with `sigma-migrate show "
            f"{undo_path}`")


def diff_plans(old: Plan, new: Plan, journals: "JournalsRead | None" = None) -> PlanDiff:
    """Line ``new`` up against ``old`` (module docstring); actions and items keep NEW's order
    (removed/closed ones OLD's); ``journals``: what NEW's ``--applied`` journals say of OLD's actions
    (:func:`planner.applied.journals_read_by`), which gives each removed action its :class:`Fate`; ``None``: every
    removed action is :attr:`Fate.NOT_IN_NEW_PLAN`."""
    old_actions = {a.id: a for a in old.actions}
    new_actions = {a.id: a for a in new.actions}
    changed = _changed(old_actions, new.actions, _action_record, ACTION_FIELDS, lambda a: a.kind.value)
    old_items = {r.id: r for r in old.review_items}
    new_items = {r.id: r for r in new.review_items}
    items_changed = _changed(old_items, new.review_items, _item_record, ITEM_FIELDS, lambda r: r.code)
    a_num, b_num = _numbers(msgspec.to_builtins(old.summary)), _numbers(msgspec.to_builtins(new.summary))
    summary = tuple(FieldChange(p, a_num.get(p), b_num.get(p)) for p in sorted(set(a_num) | set(b_num))
                    if a_num.get(p) != b_num.get(p))
    return PlanDiff(
        old_digest=old.digest, new_digest=new.digest,
        added=tuple(a for a in new.actions if a.id not in old_actions),
        removed=removals([a for a in old.actions if a.id not in new_actions], journals),
        changed=tuple(changed),
        opened=tuple(r for r in new.review_items if r.id not in old_items),
        closed=tuple(r for r in old.review_items if r.id not in new_items),
        items_changed=tuple(items_changed),
        summary=summary,
        unread=journals.unread if journals is not None else (),
    )


def diff_lines(d: PlanDiff) -> list[str]:
    """The terminal rendering: ``+`` added/opened, ``-`` removed/closed, ``~`` changed."""
    lines = [f"Plan diff {d.old_digest} -> {d.new_digest}"]
    if d.empty:
        return lines + ["No differences: both plans make the same changes and raise the same review items."]
    fates = ", ".join(f"{n} {FATE_WORDS[Fate(fate)]}" for fate, n in d.fates.items() if n)
    lines.append(f"Actions: {len(d.added)} added, {len(d.removed)} removed{f' ({fates})' if fates else ''}, "
                 f"{len(d.changed)} changed")
    lines += [f"  ? {why}" for why in d.unread]
    lines += [f"  + {a.id}: {a.reason}" for a in d.added]
    for r in d.removed:
        lines += [f"  - {r.action.id}: {r.action.reason}", f"      {r.words()}"]
    for c in d.changed:
        lines.append(f"  ~ {c.id}")
        lines += [f"      {f}" for f in c.changes]
    lines.append(f"Review items: {len(d.opened)} opened, {len(d.closed)} closed, {len(d.items_changed)} changed")
    lines += [f"  + {'! ' if r.blocking else ''}{r.id}: {r.message}" for r in d.opened]
    lines += [f"  - {'! ' if r.blocking else ''}{r.id}: {r.message}" for r in d.closed]
    for c in d.items_changed:
        lines.append(f"  ~ {c.id}")
        lines += [f"      {f}" for f in c.changes]
    if d.summary:
        lines.append("Summary: " + "; ".join(f"{f.path} {_show(f.old)} -> {_show(f.new)}" for f in d.summary))
    return lines


__all__ = ["Changed", "Fate", "FieldChange", "PlanDiff", "Removed", "diff_lines", "diff_plans", "field_changes",
           "removals"]
