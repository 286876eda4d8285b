"""Approval of a plan, and the checks that decide whether apply may start.

``sigma-migrate approve plan.json --by NAME`` writes ``plan.json.approval``
beside the plan: UTF-8 JSON ``{"approver", "approved_at", "digest", "plan",
"tool_version"}``. The approval names the plan's digest, so any later change to
the plan (which changes or breaks its digest, planfile.py) voids it.

:func:`check_can_apply` is the gate apply runs before touching anything:
the plan must be approved for *this* digest (or ``--auto-approve``), have no
blocking review item (design.md "Invariants": nothing is guessed) and no failed
guard (``plan.summary["guards"]``). Each refusal is one line
(:class:`ApplyRefused`). Tampering is caught earlier, by
:func:`planner.planfile.read_plan`.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Iterator, Mapping

from .. import __version__
from ..model import Plan
from ..planfile import read_plan
from .errors import ApplyRefused
from .journal import utc_now


def approval_path(plan_path: str | Path) -> Path:
    """``<plan>.approval`` beside the plan file."""
    plan_path = Path(plan_path)
    return plan_path.with_name(plan_path.name + ".approval")


@dataclass(frozen=True)
class Approval:
    """Who approved which plan digest, when (ISO 8601 UTC)."""

    approver: str
    approved_at: str
    digest: str
    plan: str
    tool_version: str = ""


def failed_guards(plan: Plan) -> list[str]:
    """One line per guard whose ``ok`` is false in ``plan.summary["guards"]``.

    Accepts a list of ``{"name"|"id"|"guard", "ok", "detail"|"message"}`` objects
    (planning.py writes ``{"name", "ok", "detail"}``) or a mapping
    ``{guard_id: {"ok", "detail"|"message"}}``.
    """
    guards = (plan.summary or {}).get("guards")
    lines: list[str] = []
    for name, guard in _iter_guards(guards):
        if isinstance(guard, Mapping) and guard.get("ok") is False:
            message = guard.get("detail") or guard.get("message") or guard.get("reason") or "failed"
            lines.append(f"{name}: {' '.join(str(message).split())}")
    return lines


def _iter_guards(guards: Any) -> Iterator[tuple[str, Any]]:
    if isinstance(guards, Mapping):
        if "ok" in guards and not any(isinstance(v, Mapping) for v in guards.values()):
            yield "guards", guards
            return
        for name, guard in guards.items():
            if isinstance(guard, Mapping):
                yield str(name), guard
    elif isinstance(guards, (list, tuple)):
        for i, guard in enumerate(guards):
            if isinstance(guard, Mapping):
                yield str(guard.get("name") or guard.get("id") or guard.get("guard") or f"guard {i + 1}"), guard


def check_plan_is_applicable(plan: Plan, plan_path: str | Path) -> None:
    """Refuse a plan with blocking review items or failed guards (approve and apply both call this)."""
    blocking = plan.blocking_items
    if blocking:
        first = blocking[0]
        more = f" (and {len(blocking) - 1} more)" if len(blocking) > 1 else ""
        raise ApplyRefused(
            f"{plan_path}: plan has {len(blocking)} blocking review item(s), first {first.id} "
            f"[{first.code}]: {' '.join(first.message.split())}{more}; decide them in the policy and plan again"
        )
    failed = failed_guards(plan)
    if failed:
        more = f" (and {len(failed) - 1} more)" if len(failed) > 1 else ""
        raise ApplyRefused(f"{plan_path}: plan guard failed: {failed[0]}{more}; the plan cannot be applied")


def approve(plan_path: str | Path, by: str) -> Approval:
    """Record that ``by`` approved the plan at ``plan_path``; return the approval.

    Raises :class:`planner.planfile.PlanFileError` for an unreadable or tampered
    plan and :class:`ApplyRefused` for an empty name or a plan that cannot be
    applied (blocking items, failed guards). Written atomically.
    """
    approver = " ".join((by or "").split())
    if not approver:
        raise ApplyRefused("approve needs --by NAME (who approves the plan)")
    plan = read_plan(plan_path)
    check_plan_is_applicable(plan, plan_path)
    approval = Approval(
        approver=approver,
        approved_at=utc_now(),
        digest=plan.digest,
        plan=Path(plan_path).name,
        tool_version=__version__,
    )
    target = approval_path(plan_path)
    tmp = target.with_name(target.name + ".tmp")
    tmp.write_text(json.dumps(asdict(approval), indent=2, sort_keys=True) + "\n", encoding="utf-8")
    tmp.replace(target)
    return approval


def read_approval(plan_path: str | Path) -> Approval | None:
    """The approval beside the plan, ``None`` if there is none; :class:`ApplyRefused` if unreadable."""
    path = approval_path(plan_path)
    if not path.exists():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return Approval(**{k: data[k] for k in ("approver", "approved_at", "digest", "plan")},
                        tool_version=data.get("tool_version", ""))
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ApplyRefused(f"{path}: unreadable approval file ({type(exc).__name__}); approve the plan again") from None


def check_can_apply(plan: Plan, plan_path: str | Path, *, auto_approve: bool = False) -> Approval | None:
    """The gate before apply; returns the approval used (``None`` with ``auto_approve``).

    Refuses (:class:`ApplyRefused`, one line): blocking review items, failed
    guards, no approval, an approval for another digest.
    """
    check_plan_is_applicable(plan, plan_path)
    if auto_approve:
        return None
    approval = read_approval(plan_path)
    if approval is None:
        raise ApplyRefused(
            f"{plan_path}: plan is not approved; run `sigma-migrate approve {plan_path} --by NAME` after review"
        )
    if approval.digest != plan.digest:
        raise ApplyRefused(
            f"{approval_path(plan_path)}: approval is for plan {approval.digest}, but the plan is {plan.digest}; "
            "review and approve this plan"
        )
    return approval
