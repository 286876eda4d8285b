"""Approval of a plan, and the checks that decide whether apply may start.

``sigma-migrate approve plan.json --by NAME`` writes ``plan.json.approval``
beside the plan: UTF-8 JSON ``{"approver", "approved_at", "digest", "plan",
"tool_version", "target"}``. The approval names the plan's digest, so any later change to
the plan (which changes or breaks its digest, planfile.py) voids it. ``target``
(:class:`ApprovedTarget`) binds it to one Sigma organization: the plan's
``organizationId`` and the API base URLs (``approve --rest-base-url/--scim-base-url``,
else the policy's ``targets``); apply refuses other base URLs
(:func:`check_approved_target`) and checks the live ``organizationId`` in its preflight.

Record seal (issue 10, fix-misc d): ``record_sha256`` is the SHA-256 of the rest of the file
(canonical JSON, :func:`record_seal`), written by ``approve``. A file edited by hand afterwards (the
approver, a time, the history, the digest) no longer matches it: :func:`read_approval` refuses it,
naming the field, and apply refuses an approval without it. The seal is a checksum, not a
signature: it catches an edited record, not someone who runs ``approve`` themselves (file
permissions and the journal's ``runs`` table are the controls for that, docs/apply.md).

Approver: ``--by`` when given, else ``$SIGMA_MIGRATE_APPROVER``, else the OS user
(:func:`default_approver`).

Audit trail (issue 11 item 7): approving again never loses an earlier approval: the top-level
fields are the approval in force, ``history`` lists every earlier one (oldest first, each with
``approver``, ``approved_at``, ``digest``, ``plan``, ``tool_version``, ``target``). A plan that was
already applied (its journal has a run) is not approved again unless ``force``: the journal
records which approval each run used.

:func:`check_can_apply` is the gate apply runs before touching anything:
the plan must be approved for *this* digest (or ``--auto-approve``), have no
blocking review item (design.md "Invariants": nothing is guessed) and no failed
guard (``plan.summary.guards``). Each refusal is one line
(:class:`ApplyRefused`). Tampering is caught earlier, by
:func:`planner.planfile.read_plan`.
"""

from __future__ import annotations

import getpass
import hashlib
import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Mapping, Sequence

from .. import __version__
from ..model import Plan, ReviewItem
from ..output import write_record
from ..planfile import plan_policy, read_plan
from ..redaction import clip
from ..rules import settled_outside_policy
from .actions import apis_used
from .errors import ApplyRefused
from .history import check_journal_home
from .journal import read_runs, utc_now
from .reversals import check_basis_current, check_not_reversed, check_reverses_something
from .stale import NamedMember, named_members
from .targets import Targets, history_target, resolve_targets, same_base_url


def approval_path(plan_path: str | Path) -> Path:
    """``<plan>.approval`` beside the plan file."""
    plan_path = Path(plan_path)
    return plan_path.with_name(plan_path.name + ".approval")


@dataclass(frozen=True)
class ApprovedTarget:
    """The Sigma organization an approval is for: the plan's ``organizationId`` and the base URLs
    (``None``: not known when approving; apply then takes the flags or the policy's)."""

    organization_id: str
    rest_base_url: str | None = None
    scim_base_url: str | None = None


@dataclass(frozen=True)
class Approval:
    """Who approved which plan digest, when (ISO 8601 UTC), for which target (``None`` in
    approvals written before targets were recorded)."""

    approver: str
    approved_at: str
    digest: str
    plan: str
    tool_version: str = ""
    target: ApprovedTarget | None = None


def planned_organization_id(plan: Plan) -> str:
    """The ``organizationId`` the plan was made for (``plan.organization``, from the Sigma export), or ``""``."""
    return plan.organization.organization_id.strip()


def failed_guards(plan: Plan) -> list[str]:
    """One line per guard that did not pass (``plan.summary.guards``, :class:`planner.model.GuardResult`):
    ``"<name>: <detail>"``, the detail's whitespace collapsed."""
    return [f"{g.name}: {' '.join(g.detail.split())}" for g in plan.summary.failed_guards]


def _and_more(items: Sequence[object]) -> str:
    """`` (and N more)`` after the first of ``items`` named in a refusal, ``""`` for one."""
    return f" (and {len(items) - 1} more)" if len(items) > 1 else ""


FIRST_ITEM_LIMIT = 400
"""Characters of the first blocking item's message in a refusal at most: what settles the items comes after it,
and the CLI cuts an error line at 1000 (:data:`planner.cli.ERROR_MESSAGE_LIMIT`)."""


def how_to_settle(blocking: Sequence[ReviewItem]) -> str:
    """What settles the ``blocking`` items, as each item's resolution says (:func:`planner.rules.settled_outside_policy`):
    ``decide them in the policy and plan again`` when a policy setting settles every one; else the step of the
    first one no policy setting settles (``export again, whole ...``), and how many the policy settles."""
    outside = [(item, step) for item in blocking if (step := settled_outside_policy(item)) is not None]
    if not outside:
        return "decide them in the policy and plan again"
    first, step = outside[0]
    rest = len(blocking) - len(outside)
    which = ("it" if len(blocking) == 1 else "them" if not rest else first.id if len(outside) == 1
             else f"{len(outside)} of them")
    differ = len({s for _, s in outside}) > 1
    return (f"no policy setting settles {which}: {step}"
            + (f" (that is {first.id}'s resolution; each item gives its own)" if differ else "")
            + (f"; decide the other {rest} in the policy" if rest else ""))


def check_plan_is_applicable(plan: Plan, plan_path: str | Path) -> None:
    """Refuse a plan with blocking review items, an unmet blocking pre-flight check
    (:attr:`Plan.unmet_preflight`) or failed guards (approve and apply both call this)."""
    blocking = plan.blocking_items
    if blocking:
        first = blocking[0]
        raise ApplyRefused(
            f"{plan_path}: plan has {len(blocking)} blocking review item(s), first {first.id} "
            f"[{first.code}]: {clip(first.message, FIRST_ITEM_LIMIT)}{_and_more(blocking)}; {how_to_settle(blocking)}"
        )
    unmet = plan.unmet_preflight
    if unmet:
        first = unmet[0]
        raise ApplyRefused(
            f"{plan_path}: pre-flight check {first.id} is {first.status.value}: {first.title}: "
            f"{' '.join(first.detail.split())}{_and_more(unmet)}; "
            "confirm it in the policy's preflight section and plan again"
        )
    failed = failed_guards(plan)
    if failed:
        raise ApplyRefused(f"{plan_path}: plan guard failed: {failed[0]}{_and_more(failed)}; "
                           "the plan cannot be applied")


SCIM_ORGANIZATION_PROBES = 3
"""How many of the plan's members apply's SCIM organization check looks up over SCIM (reads,
:func:`planner.execute.apply.check_scim_organization`)."""


def scim_probe_members(plan: Plan) -> list[NamedMember]:
    """The members apply looks up over SCIM to show the SCIM API serves the plan's organization: the first
    :data:`SCIM_ORGANIZATION_PROBES` of :func:`~planner.execute.stale.named_members` (memberIds first)."""
    return named_members(plan)[:SCIM_ORGANIZATION_PROBES]


def check_scim_organization_checkable(plan: Plan, plan_path: str | Path) -> None:
    """Refuse (:class:`ApplyRefused`) a plan that writes through SCIM but names no member
    (:func:`scim_probe_members`): apply could not check that the SCIM API serves the plan's organization
    (:func:`planner.execute.apply.check_scim_organization`), so it refuses every run; ``approve``, the gate
    of apply (:func:`check_can_apply`) and ``apply --dry-run`` refuse it with this one line, before any
    request (tester11 finding 3: an undo plan approved, dry-run, and refused by every real apply)."""
    if "scim" in apis_used(plan.actions) and not scim_probe_members(plan):
        raise ApplyRefused(f"{plan_path}: the plan names no Sigma member to look up over SCIM, so apply cannot "
                           f"check that the SCIM API serves organization {planned_organization_id(plan)}; "
                           "the plan cannot be applied")


def approve(plan_path: str | Path, by: str | None, *, rest_base_url: str | None = None,
            scim_base_url: str | None = None, force: bool = False) -> Approval:
    """Record that ``by`` approved the plan at ``plan_path`` for its target; return the approval.

    The target is the plan's ``organizationId`` and the base URLs given (else the
    policy's ``targets``). Raises :class:`planner.planfile.PlanFileError` for an
    unreadable or tampered plan, :class:`planner.execute.targets.TargetError` for an
    unsafe base URL, and :class:`ApplyRefused` for an empty name, a plan that cannot be
    applied (blocking items, failed guards, :func:`check_scim_organization_checkable`, a plan an applied undo plan
    rolled back: :func:`planner.execute.reversals.check_not_reversed`, whatever ``force`` says; a plan whose runs
    sigma-migrate's state index records with another journal than the one beside it, a copy of it or its journal
    deleted: :func:`planner.execute.history.check_journal_home`, whatever ``force`` says; both read the history of
    the Sigma of ``rest_base_url`` (else the policy's), of every Sigma when none is named; an undo plan with no
    action: :func:`planner.execute.reversals.check_reverses_something`), or a plan already
    applied (a run in its journal) without ``force``. Earlier approvals are kept in ``history``. Written atomically.
    """
    approver = " ".join((default_approver(os.environ) if by is None else by).split())
    if not approver:
        raise ApplyRefused("approve needs --by NAME (who approves the plan)")
    plan = read_plan(plan_path, with_policy=True)
    check_plan_is_applicable(plan, plan_path)
    check_scim_organization_checkable(plan, plan_path)
    # the history of the Sigma it is approved for (none given: every Sigma's): a rehearsal is another's (rehearse20)
    target = history_target(plan_policy(plan, plan_path).targets, rest_base_url)
    check_not_reversed(plan_path, plan, target=target)  # an applied undo plan rolled it back: every apply refuses, --force too
    check_journal_home(plan_path, plan.digest, target=target)  # applied from another file: apply it there, --force too
    check_basis_current(plan, plan_path, target=target)  # a sibling re-plan took over from a plan it was made --applied with
    check_reverses_something(plan, plan_path, "nothing was approved")  # an undo plan that reverses nothing
    journal_digest, runs = read_runs(plan_path)
    if runs and journal_digest == plan.digest and not force:
        last = runs[-1]
        raise ApplyRefused(
            f"{plan_path}: plan {plan.digest} was already applied ({len(runs)} run(s), the last {last.mode} "
            f"{last.status or 'unfinished'} at {last.started_at}); approving it again needs --force"
        )
    history = read_approval_history(plan_path)
    targets = resolve_targets(plan_policy(plan, plan_path).targets, rest_base_url,
                              scim_base_url)
    approval = Approval(
        approver=approver,
        approved_at=utc_now(),
        digest=plan.digest,
        plan=Path(plan_path).name,
        tool_version=__version__,
        target=ApprovedTarget(planned_organization_id(plan), targets.rest_base_url, targets.scim_base_url),
    )
    document: dict[str, Any] = {**asdict(approval), "history": [asdict(a) for a in history]}
    document[SEAL_FIELD] = record_seal(document)
    write_record(approval_path(plan_path), json.dumps(document, indent=2, sort_keys=True) + "\n")
    return approval


SEAL_FIELD = "record_sha256"
"""The approval file's field holding :func:`record_seal` of the rest of the file."""


def record_seal(document: Mapping[str, Any]) -> str:
    """``sha256:<hex>`` of an approval document without its :data:`SEAL_FIELD`: JSON with sorted
    keys, no spaces, UTF-8 (so the file's indentation does not matter)."""
    body = {k: v for k, v in document.items() if k != SEAL_FIELD}
    text = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest()


def default_approver(environ: Mapping[str, str]) -> str:
    """Who approves when ``--by`` is not given: ``$SIGMA_MIGRATE_APPROVER``, else the OS user
    (:func:`getpass.getuser`), else ``""`` (``approve`` then refuses: ``--by`` is needed)."""
    named = " ".join(environ.get("SIGMA_MIGRATE_APPROVER", "").split())
    if named:
        return named
    try:
        return getpass.getuser()
    except (OSError, KeyError):  # no login name, no passwd entry (a bare container)
        return ""


def read_approval_history(plan_path: str | Path) -> list[Approval]:
    """Every approval recorded beside the plan, oldest first, the one in force last; ``[]`` when
    none. :class:`ApplyRefused` when the file is unreadable."""
    current = read_approval(plan_path)
    if current is None:
        return []
    data = json.loads(approval_path(plan_path).read_text(encoding="utf-8"))
    try:
        earlier = [_approval_of(entry) for entry in data.get("history") or ()]
    except (KeyError, TypeError, AttributeError):
        raise ApplyRefused(f"{approval_path(plan_path)}: unreadable approval history; keep the file "
                           "for the audit trail and move it away to approve again") from None
    return [*earlier, current]


def _approval_of(data: Mapping[str, Any]) -> Approval:
    target = data.get("target")
    return Approval(**{k: data[k] for k in ("approver", "approved_at", "digest", "plan")},
                    tool_version=data.get("tool_version", ""),
                    target=None if target is None else ApprovedTarget(**target))


def read_approval(plan_path: str | Path) -> Approval | None:
    """The approval beside the plan, ``None`` if there is none; :class:`ApplyRefused` if unreadable."""
    path = approval_path(plan_path)
    if not path.exists():
        return None
    data: Any = None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        approval = _approval_of(data)
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise ApplyRefused(f"{path}: unreadable approval file: {_approval_problem(exc, data)}; move it away and "
                           f"approve the plan again (`sigma-migrate approve {plan_path} --by NAME`)") from None
    seal = data.get(SEAL_FIELD)
    if seal is not None and seal != record_seal(data):
        raise ApplyRefused(f"{path}: field {SEAL_FIELD!r} does not match the approval record: the file was edited "
                           f"after `approve` wrote it; approve the plan again (`sigma-migrate approve {plan_path}`)")
    return approval


def _approval_problem(exc: Exception, data: Any) -> str:
    """What is wrong with an approval file (``data``: its JSON, ``None`` when unread), in a few words."""
    if isinstance(exc, KeyError):
        return f"field {exc.args[0]!r} is missing"
    if isinstance(exc, IsADirectoryError):
        return "it is a directory, not a file"
    if isinstance(exc, OSError):
        return f"cannot read it ({exc.strerror})"
    if isinstance(exc, json.JSONDecodeError):
        return f"not JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})"
    if isinstance(exc, UnicodeDecodeError):
        return f"not UTF-8 (byte {exc.start})"
    if not isinstance(data, dict):
        return f"it holds a JSON {type(data).__name__}, not an object of approver, approved_at, digest, plan"
    return "field 'target' is not an object of rest_base_url, scim_base_url"


def check_can_apply(plan: Plan, plan_path: str | Path, *, auto_approve: bool = False) -> Approval | None:
    """The gate before apply; returns the approval used (``None`` with ``auto_approve``).

    Refuses (:class:`ApplyRefused`, one line): blocking review items, failed
    guards, a plan whose SCIM organization cannot be checked (:func:`check_scim_organization_checkable`),
    no approval, an approval for another digest.
    """
    check_plan_is_applicable(plan, plan_path)
    check_scim_organization_checkable(plan, plan_path)
    if auto_approve:
        return None
    approval = read_approval(plan_path)
    if approval is None:
        raise ApplyRefused(
            f"{plan_path}: plan is not approved; run `sigma-migrate approve {plan_path} --by NAME` after review"
        )
    if approval.digest != plan.digest:
        raise ApplyRefused(
            f"{approval_path(plan_path)}: approval is for plan {approval.digest} (field 'digest'), but the plan is "
            f"{plan.digest}; review and approve this plan"
        )
    if SEAL_FIELD not in json.loads(approval_path(plan_path).read_text(encoding="utf-8")):
        raise ApplyRefused(f"{approval_path(plan_path)}: field {SEAL_FIELD!r} is missing: the approval was not written "
                           f"by this sigma-migrate's `approve`; approve the plan again (`sigma-migrate approve {plan_path}`)")
    return approval


def check_approved_target(approval: Approval | None, plan: Plan, targets: Targets, plan_path: str | Path) -> None:
    """Refuse (:class:`ApplyRefused`) a base URL other than the one the approval recorded, or an
    approval recorded for another ``organizationId`` than the plan's. Nothing recorded: nothing to compare."""
    if approval is None or approval.target is None:
        return
    where = approval_path(plan_path)
    if approval.target.organization_id != planned_organization_id(plan):
        raise ApplyRefused(
            f"{where}: approval is for organization {approval.target.organization_id!r}, but the plan is for "
            f"{planned_organization_id(plan)!r}; review and approve this plan"
        )
    for api, approved, now in (("REST", approval.target.rest_base_url, targets.rest_base_url),
                               ("SCIM", approval.target.scim_base_url, targets.scim_base_url)):
        if approved and now and not same_base_url(approved, now):
            raise ApplyRefused(
                f"{where}: plan was approved for the {api} base URL {approved}, not {now}; "
                f"apply it there, or approve it again for {now}"
            )
