"""``sigma-migrate apply``: the whole apply stage, from plan file to result file.

Order of work (each refusal is one line, raised before anything is written to
Sigma, and before any file is written unless said otherwise):

1. read the plan (:func:`planner.planfile.read_plan` refuses a tampered or
   broken plan);
2. the gate (:func:`planner.execute.approve.check_can_apply`): approval for
   this digest (or ``--auto-approve``), no blocking review item, no failed guard;
3. the apply lock (:func:`planner.execute.journal.apply_lock`) and the digest lock in sigma-migrate's state directory
   (:func:`planner.execute.history.digest_lock`): a second apply of the same plan, from this file or a copy of it,
   while one runs is refused, and so is every apply when the state directory cannot be written;
4. the journal of earlier runs (:func:`planner.execute.resume.check_unfinished_run`): while a run
   is interrupted or killed with actions of its selection not done, every apply but ``--resume``
   with exactly its selection is refused; a ``--resume`` of another selection than the unfinished
   run's is refused; a journal of another plan is refused; ``--resume`` without one (or with one
   no run started in) starts from the beginning, since the journal is opened before the first write;
   ``--resume`` with no unfinished run says there is nothing to resume and runs as apply without it
   (:func:`planner.execute.resume.nothing_to_resume_line`); a plan an applied undo plan rolled back
   (a run of it recorded in the journal) is refused in every mode, naming the undo plan, its run and the
   actions it would redo, and so is a plan a re-plan made ``--applied`` with it took over from, naming the
   re-plan (:func:`planner.execute.reversals.check_not_reversed`; checked first: an unfinished run of it was
   rolled back, so its ``--resume`` is refused too, never offered; tester12 #12; the state directory's records
   too, for a copy of the plan); a plan whose runs the state directory records with another journal (a copy, or
   its journal deleted) is refused (:func:`planner.execute.history.check_journal_home`); a re-plan made ``--applied``
   with a plan another re-plan took over from since (:func:`planner.execute.reversals.check_basis_current`; tester16b
   #3), and an undo plan of a plan a re-plan took over from, are refused too; an undo plan whose
   undone plan's journal cannot be found is refused (:func:`planner.execute.reversals.undone_journal`), and so is
   one with no action (:func:`planner.execute.reversals.check_reverses_something`: it would roll back nothing);
5. targets and credentials (:func:`required_targets`, :mod:`planner.execute.targets`); base
   URLs other than the approval's are refused (:func:`planner.execute.approve.check_approved_target`);
6. the summary is shown (also with ``--auto-approve``);
7. the preflight (:func:`preflight`): every API the plan uses is authenticated
   with one cheap read, so a wrong ``SIGMA_SCIM_TOKEN`` refuses the run before the
   first REST write instead of half-way through; then the live ``organizationId``
   (``GET /v2/whoami``) must be the plan's (:func:`check_organization`), and the SCIM API
   must list the plan's members with their memberIds (:func:`check_scim_organization`), and every account
   type the run assigns must be one of the organization's (``GET /v2/accountTypes``, :func:`check_account_types`);
8. the stale-plan check (:mod:`planner.execute.stale`, reads only; impostors of planned
   creates included, and SCIM users (groups) that hold the externalId a planned ``POST /Users`` (``POST /Groups``)
   sends under another userName (displayName), :func:`planner.execute.stale.external_id_collisions`, and the members a
   REST edit of the run targets whom an IdP provisioned through SCIM since the plan,
   :func:`planner.execute.stale.provisioned_since_plan` (a plan that sends nothing through SCIM reads it when its URL
   and token are given, else a note says it is not checked: :func:`scim_unread_note`); and the actions the journal records done
   that this run builds on instead of running again must still show in Sigma, :func:`planner.execute.stale.undone_on`: one undone by an
   undo plan or by hand refuses, :func:`planner.execute.stale.undone_message`); the journal is opened;
9. the run is recorded in the state directory (:func:`planner.execute.history.record_run`: which journal), an undo
   plan's run in the undone plan's journal (:func:`planner.execute.reversals.record_undo_run`,
   under that plan's apply lock), and a re-plan's in the journal of each plan it was made ``--applied`` with
   (:func:`planner.execute.reversals.record_takeover`: it took over from them, so they are never applied again; a
   journal not found is one note line), all inside the journal transaction that starts the run
   (:meth:`planner.execute.journal.Journal.start_run`: a start refused records nothing anywhere), then the run (:mod:`planner.execute.runner`), then the verification
   (:mod:`planner.execute.verify`; of a ``--resume``, the actions it ran, :func:`verified_actions`;
   done actions it finds not as planned become ``failed``
   in the journal, for ``--resume``; an object it cannot read after the retries is "could not
   verify" and its actions stay ``done``: status ``unverified``, exit 4), then the result file
   ``<plan>.result.json`` and the HTML report with its result section
   ``<plan>.result.html``. A run that did not converge ends saying what settles it (:class:`WhatIsLeft`):
   ``--resume`` for what a later try may do (exit 3), a new plan for what Sigma refused for good (a
   final 4xx, :func:`planner.execute.retry.is_final_refusal`), exit 5 when nothing else is left.

The actions that may revoke the SCIM token (an admin deactivated or of another account type,
:mod:`planner.execute.scim_token`) run after every other action of the run; when SCIM then refuses the token,
the run stops at the first sign and names the cause (:class:`RevokedToken`, status ``stopped``, no
verification); a later apply's preflight names it from the journal (:func:`token_revocation`).

Ctrl-C (or SIGTERM, alike: :mod:`planner.execute.signals`) lets the actions in flight finish
(each is journaled; a second one ends the process at once, leaving them ``running``), then raises
:class:`ApplyInterrupted` (exit 130) saying to continue with ``--resume`` and the run's own
``--only`` / ``--limit``; until that run is finished every other apply of the plan is refused, and
``--resume`` runs exactly its selection and refuses another (:mod:`planner.execute.resume`).
Ctrl-C once every action of the run has finished stops the verification only: the run is recorded
(:func:`run_status`: ``unverified`` when every action is done), its result file written, and
:class:`ApplyInterrupted` says to run ``sigma-migrate verify`` (:func:`interrupted_verification_line`).

A journal write SQLite refuses (another program holds the file past
:data:`planner.execute.journal.BUSY_TIMEOUT`, a full disk: :class:`planner.execute.journal.JournalWriteError`, whichever
write met it) is :class:`ApplyRefused`, one line saying what the run had written and that ``--resume`` continues it
(:func:`journal_stopped`; tester22 finding 2c).

``--dry-run`` (:func:`dry_run_lines`) does steps 1 and 5 without credentials
(the same refusals for a missing or unsafe base URL), sends nothing, writes
nothing, and prints the write requests in order, their paths built by the
functions the clients use (:mod:`planner.execute.paths`).
"""

from __future__ import annotations

import hashlib
import json
import shlex
import sqlite3
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Collection, Mapping, Sequence

import httpx2
import networkx as nx

from .. import __version__
from ..httpio import DEFAULT_DEADLINE
from ..model import Action, ActionKind, Plan
from ..errors import UserError
from ..output import write_record
from ..planfile import plan_policy, read_plan
from ..sources.validation import NO_ORGANIZATION_ID
from .actions import (
    HANDLERS,
    ActionInputError,
    Clients,
    Executor,
    HttpRequest,
    apis_used,
    handler_for,
    may_have_written,
    with_user_names,
)
from .indexes import MemberIndex, UserIndex
from .approve import (
    Approval, check_approved_target, check_can_apply, check_scim_organization_checkable, planned_organization_id,
    read_approval, scim_probe_members,
)
from .errors import ApiError, ApplyInterrupted, ApplyRefused, AuthError
from .history import check_journal_home, digest_lock, record_run
from .journal import (
    WRITTEN_BY_INTERRUPTED_RUN,
    Journal,
    JournalRow,
    JournalWriteError,
    RunRow,
    apply_lock,
    journal_path,
    read_closures,
    read_journal,
    read_journal_file,
    utc_now,
)
from .progress import subject_of
from .resume import (
    INTERRUPTED_ENDS,
    check_unfinished_run,
    how_it_ended,
    nothing_to_resume_line,
    resume_command,
    selection_text,
    selection_words,
)
from .rest_client import TOKEN_PATH, WHOAMI_PATH, MemberRecord, SigmaRestClient, WhoamiRecord
from .retry import RetryPolicy, origin_of
from .reversals import (
    check_basis_current, check_not_reversed, check_reverses_something, predecessors, record_takeover, record_undo_run,
    undone_journal,
)
from .signals import ApplySignals, apply_signals
from .runner import (
    ActionResult,
    ProgressSink,
    RunOptions,
    _RetryCounter,
    dependency_graph,
    reset_unfinished,
    retry_listener,
    run_actions,
    sent_last,
    unfinished,
)
from .scim_client import SCIM_MEDIA_TYPE, SigmaScimClient
from .scim_token import MemberReader, Revocation, TokenRisk, done_risks, revocation, revoked_token_line, token_risks
from .stale import (
    BULK_MEMBER_READS,
    check_stale,
    fingerprint_keys_of,
    known_ids,
    planned_addresses,
    rest_edits,
    stale_message,
    undone_message,
)
from .paths import PathSegmentError
from .targets import (
    ENV_CLIENT_ID,
    ENV_CLIENT_SECRET,
    ENV_SCIM_TOKEN,
    Credentials,
    Redactor,
    TargetError,
    Targets,
    history_target,
    normal_base_url,
    resolve_targets,
)
from .verify import Verification, converged, verify
from ..selection import Wave, select, wave_heading

EXIT_INCOMPLETE = 3
"""Exit status of an apply that ran but did not converge (failed/skipped actions or verification)."""

EXIT_UNVERIFIED = 4
"""Exit status of an apply whose every action is done and no object read differs from the plan, but
some objects could not be read to verify them (:attr:`planner.execute.verify.ObjectCheck.unverified`)."""

EXIT_PLAN_AGAIN = 5
"""Exit status of an apply that ran, did not converge, and whose every action left undone Sigma refused
for good or waits on one it refused (:class:`WhatIsLeft`): a ``--resume`` would fail them the same way;
fetch, plan again, review and approve the new plan (tester9 finding F2)."""


@dataclass(frozen=True)
class WhatIsLeft:
    """The actions of a run's selection not done after it, by what settles them (tester9 finding F2):

    - ``refused``: ``{action id: why}`` of the actions that failed for good this run
      (:attr:`planner.execute.runner.ActionResult.refused`: Sigma refused them, a final 4xx or an address
      another member holds; or they could not be sent as planned, a fault of this tool: ``unsent``), in
      plan order; a ``--resume`` fails them the same way, a new plan settles them;
    - ``held``: ids of the actions not done that depend, directly or not, on a refused one (they wait
      on it, so a ``--resume`` cannot do them either);
    - ``retryable``: ids of every other action not done (a 5xx, a ``429`` or a network error the tries
      ran out on, the circuit breaker, refused credentials, not as planned at verification): a
      ``--resume`` runs them again."""

    refused: Mapping[str, str] = field(default_factory=dict)
    held: tuple[str, ...] = ()
    retryable: tuple[str, ...] = ()
    unsent: frozenset[str] = frozenset()
    """The ids of ``refused`` whose failure is this tool's, before any answer of Sigma
    (:attr:`planner.execute.runner.ActionResult.unsent`)."""

    @property
    def plan_again_only(self) -> bool:
        """Whether only a new plan settles what is left: something was refused, nothing is retryable."""
        return bool(self.refused) and not self.retryable


def what_is_left(actions: Sequence[Action], rows: Mapping[str, JournalRow],
                 results: Mapping[str, ActionResult]) -> WhatIsLeft:
    """:class:`WhatIsLeft` of a run of ``actions`` (its selection, in plan order) from the journal
    ``rows`` after it and the run's ``results``."""
    refused = {a.id: results[a.id].refused for a in actions
               if a.id in results and results[a.id].refused and rows[a.id].state != "done"}
    graph = dependency_graph(actions)
    behind: set[str] = set()
    for aid in refused:
        behind.update(nx.descendants(graph, aid))
    undone = [a.id for a in actions if rows[a.id].state != "done" and a.id not in refused]
    return WhatIsLeft(refused, tuple(aid for aid in undone if aid in behind),
                      tuple(aid for aid in undone if aid not in behind),
                      frozenset(aid for aid in refused if results[aid].unsent))


REFUSALS_NAMED = 5
"""How many refused actions the ``Plan again:`` line names (the ``failed`` lines above it name all)."""


def plan_again_line(left: WhatIsLeft, plan_path: str | Path) -> str:
    """The line of a run of the plan at ``plan_path`` Sigma refused actions of for good (tester9 finding F2):
    which, why, what waits on them and that a new plan settles them, made with ``--applied`` this plan, whose
    journal tells the new plan what was refused so that it does not plan it again (tester10 finding 8,
    :mod:`planner.rules.refusals`): ``Plan again: Sigma refused 1 action(s) for good, a --resume would fail
    them the same way: members.deactivate:m3 (403 forbidden: Member m3 is provisioned by SCIM; change it in
    the identity provider); 1 action(s) wait on them; fetch Sigma's export, then `sigma-migrate plan ...
    --applied plan.json` (its journal tells the new plan what Sigma refused), review and approve the new
    plan``. Actions that could not be sent (:attr:`WhatIsLeft.unsent`, which the journal keeps as refused too,
    so the new plan does not plan them again either) are counted so:
    ``Plan again: 1 action(s) could not be sent as planned, a --resume would fail them the same way: ...``,
    ``Plan again: 2 action(s) failed for good (Sigma refused 1, 1 could not be sent as planned), ...``."""
    named = [f"{aid} ({why})" for aid, why in list(left.refused.items())[:REFUSALS_NAMED]]
    more = len(left.refused) - len(named)
    if more:
        named.append(f"and {more} more (the failed lines above)")
    waiting = f"; {len(left.held)} action(s) wait on them" if left.held else ""
    total, unsent = len(left.refused), len(left.unsent)
    if not unsent:
        head = f"Sigma refused {total} action(s) for good"
    elif unsent == total:
        head = f"{total} action(s) could not be sent as planned"
    else:
        head = (f"{total} action(s) failed for good (Sigma refused {total - unsent}, {unsent} could not be sent "
                "as planned)")
    told = ("what could not be sent" if unsent == total else "what Sigma refused" if not unsent
            else "what Sigma refused and what could not be sent")
    plan = f"then `sigma-migrate plan ... --applied {shlex.quote(str(plan_path))}` (its journal tells the new plan {told})"
    return (f"Plan again: {head}, a --resume would fail them the same way: {', '.join(named)}{waiting}; "
            f"fetch Sigma's export, {plan}, review and approve the new plan")


def result_path(plan_path: str | Path, run_id: int) -> Path:
    """``<plan>.run-<n>.result.json`` beside the plan: each run keeps its own result (audit trail)."""
    p = Path(plan_path)
    return p.with_name(f"{p.name}.run-{run_id}.result.json")


def result_html_path(plan_path: str | Path, run_id: int) -> Path:
    """``<plan>.run-<n>.result.html`` beside the plan (the report with run n's result section)."""
    p = Path(plan_path)
    return p.with_name(f"{p.name}.run-{run_id}.result.html")


@dataclass(frozen=True)
class ApplyOptions:
    """Everything ``apply`` can be told. ``transport`` replaces the network transport of
    both clients (tests inject faults there); ``environ`` replaces ``os.environ``."""

    auto_approve: bool = False
    resume: bool = False
    parallelism: int = 4
    rest_base_url: str | None = None
    scim_base_url: str | None = None
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    breaker_ratio: float = 0.5
    min_token_interval: float = 1.0
    timeout: float = 30.0
    deadline: float = DEFAULT_DEADLINE  # seconds per whole request, body included (planner.httpio)
    max_rate: float | None = None
    transport: httpx2.BaseTransport | None = None
    environ: Mapping[str, str] | None = None
    write_html: bool = True
    only: tuple[str, ...] = ()
    """``--only`` selectors of the wave to run (:mod:`planner.selection`); empty: the whole plan."""
    limit: int | None = None
    """``--limit N``: a canary of the first N people (:mod:`planner.selection`)."""


BY_KIND_COLUMNS = ("written_this_run", "already_this_run", "written_by_interrupted_run",
                   "done_total", "failed", "skipped", "pending")
"""Per action kind in the result file's ``by_kind``: this run's done actions split into
``written_this_run`` (this run changed Sigma), ``already_this_run`` (checked, already so) and
``written_by_interrupted_run`` (a killed run's write, found in place on resume; nothing sent);
then the state of every action after the run, all runs together: ``done_total``, ``failed``,
``skipped``, ``pending`` (not run yet)."""


@dataclass
class ApplyReport:
    """What one apply did. ``status``: ``converged`` (every action done and verified),
    ``unverified`` (every action done, nothing read differs, but objects could not be read to
    verify them), ``incomplete`` (failed/skipped actions or objects not converged) or ``stopped``
    (circuit breaker / authentication)."""

    plan_path: str
    digest: str
    mode: str
    approval: Approval | None
    status: str
    started_at: str
    finished_at: str
    seconds: float
    results: dict[str, ActionResult]
    journal_rows: dict[str, JournalRow]
    verification: Verification | None
    counts: dict[str, int]
    writes: int
    result_file: str | None = None
    html_file: str | None = None
    stop_reason: str | None = None
    run_id: int = 0
    wave: str = ""
    """The wave's label (:class:`planner.selection.Wave`), ``""`` for the whole plan."""
    wave_actions: tuple[str, ...] = ()
    """Ids of the actions this run was given (the whole plan when no wave)."""
    plan_left: int = 0
    """Actions of the plan outside this wave and not done yet (a later wave runs them)."""
    plan_left_by_kind: Mapping[str, int] = field(default_factory=dict)
    """``plan_left`` by action kind (``{"members.deactivate": 10, ...}``, sorted by kind)."""
    plan_actions: int = 0
    """How many actions the plan has, all waves together."""
    selection: tuple[str, ...] = ()
    """The ``--only`` / ``--limit`` words of this run (:func:`planner.execute.resume.selection_words`)."""
    left: WhatIsLeft = field(default_factory=WhatIsLeft)
    """The actions of the selection not done after the run, by what settles them."""
    token_revoked: bool = False
    """SCIM refused the token after this run deactivated an admin or changed their account type
    (:mod:`planner.execute.scim_token`): ``stop_reason`` names them; nothing more was sent, nothing verified."""

    @property
    def next_step(self) -> str | None:
        """What comes after the run: ``None`` (converged, nothing of the plan left), ``apply_rest`` (a wave
        converged and ``plan_left`` actions of the plan are not applied yet: apply the rest or the next wave,
        :func:`wave_left_line`), ``verify`` (unverified: ``sigma-migrate verify`` later), ``plan_again``
        (:attr:`WhatIsLeft.plan_again_only`), ``scim_token`` (:attr:`token_revoked`: the SCIM token first), else
        ``resume``."""
        if self.token_revoked:
            return "scim_token"
        if self.status == "converged":
            return "apply_rest" if self.plan_left else None
        if self.status == "unverified":
            return "verify"
        return "plan_again" if self.left.plan_again_only else "resume"

    @property
    def exit_code(self) -> int:
        """0 converged (a wave too, whatever the plan has left), :data:`EXIT_UNVERIFIED` (4) unverified,
        :data:`EXIT_PLAN_AGAIN` (5) when only a new plan settles what is left, :data:`EXIT_INCOMPLETE` (3)
        otherwise (a ``--resume`` continues)."""
        if self.status == "converged":
            return 0
        return {"verify": EXIT_UNVERIFIED, "plan_again": EXIT_PLAN_AGAIN}.get(self.next_step or "", EXIT_INCOMPLETE)

    @property
    def plan_converged(self) -> bool:
        """Whether the plan, not only this run, converged: the run converged and no action of the plan is left
        outside its wave (:attr:`plan_left`); a wave that converged with actions of the plan left did not
        (tester12: ``apply --only ... --json`` said ``converged: true`` beside ``next_step: apply_rest``)."""
        return self.status == "converged" and not self.plan_left

    def summary_dict(self) -> dict[str, Any]:
        """The ``--json`` summary. Of this run (its wave: the whole plan when none): ``status``, ``counts`` (its
        ``wave_actions`` by state), ``writes``, ``failed``, ``refused``, ``verification`` (the objects its actions
        touch); of the plan: ``plan_actions``, ``plan_left`` and ``plan_left_by_kind`` (not applied yet, outside
        the wave), ``converged`` (:attr:`plan_converged`), ``next_step`` and ``next_step_lines`` (what the result
        file says); and the files written."""
        return {
            "plan": self.plan_path,
            "digest": self.digest,
            "mode": self.mode,
            "run": self.run_id,
            "wave": self.wave,
            "wave_actions": len(self.wave_actions),
            "plan_actions": self.plan_actions,
            "plan_left": self.plan_left,
            "plan_left_by_kind": dict(self.plan_left_by_kind),
            "status": self.status,
            "stop_reason": self.stop_reason,
            "counts": self.counts,
            "writes": self.writes,
            "seconds": round(self.seconds, 3),
            "failed": {aid: r.error for aid, r in self.results.items() if r.state == "failed"},
            "refused": dict(self.left.refused),
            "next_step": self.next_step,
            "next_step_lines": next_step_lines(self),
            "verification": self.verification.counts if self.verification else None,
            "converged": self.plan_converged,
            "result_file": self.result_file,
            "html_file": self.html_file,
        }

    def to_dict(self, plan: Plan) -> dict[str, Any]:
        """The result file's JSON (also ``apply --json``)."""
        actions = []
        in_wave = set(self.wave_actions)
        for a in plan.actions:
            if a.id not in in_wave:
                continue
            row = self.journal_rows.get(a.id)
            res = self.results.get(a.id)
            actions.append({
                "id": a.id,
                "kind": a.kind.value,
                "subject": subject_of(a),
                "state": row.state if row else (res.state if res else "pending"),
                "outcome": (res.outcome if res else None) or (row.outcome if row else None),
                "this_run": res.state if res else None,
                "error": (res.error if res else None) or (row.error if row else None),
                "attempts": row.attempts if row else 0,
                "http_retries": row.http_retries if row else 0,
                "ids": dict(row.ids) if row else {},
            })
        by_kind: dict[str, dict[str, int]] = {}
        for a in actions:
            row = by_kind.setdefault(a["kind"], dict.fromkeys(BY_KIND_COLUMNS, 0))
            if a["this_run"] == "done":
                outcome = self.results[a["id"]].outcome
                row["written_this_run" if outcome == "written" else "written_by_interrupted_run"
                    if outcome == WRITTEN_BY_INTERRUPTED_RUN else "already_this_run"] += 1
            state = a["state"]
            row["done_total" if state == "done" else state if state in ("failed", "skipped") else "pending"] += 1
        return {
            "plan": Path(self.plan_path).name,
            "digest": self.digest,
            "by_kind": dict(sorted(by_kind.items())),
            "tool_version": __version__,
            "mode": self.mode,
            "run": self.run_id,
            "wave": self.wave,
            "wave_actions": len(self.wave_actions),
            "plan_actions": len(plan.actions),
            "plan_left": self.plan_left,
            "plan_left_by_kind": dict(self.plan_left_by_kind),
            "approval": None if self.approval is None else {
                "approver": self.approval.approver, "approved_at": self.approval.approved_at,
                "digest": self.approval.digest,
            },
            "status": self.status,
            "stop_reason": self.stop_reason,
            "started_at": self.started_at,
            "finished_at": self.finished_at,
            "seconds": round(self.seconds, 3),
            "counts": self.counts,
            "writes": self.writes,
            "journal": journal_path(self.plan_path).name,
            "refused": dict(self.left.refused),
            "next_step": self.next_step,
            "next_step_lines": next_step_lines(self),
            "actions": actions,
            "verification": self.verification.to_dict() if self.verification else None,
        }


def outcome_lines(report: "ApplyReport") -> list[str]:
    """What apply prints when it is done: status, counts, verification, where the files are."""
    c = report.counts
    total = sum(c.values())
    done_now = {aid for aid, r in report.results.items() if r.state == "done"}
    by_interrupted = sum(1 for r in report.results.values() if r.outcome == WRITTEN_BY_INTERRUPTED_RUN)
    already = len(done_now) - report.writes - by_interrupted
    earlier = sum(1 for aid in report.wave_actions  # this run's selection only (tester7 NEW-2)
                  if aid not in done_now and aid in report.journal_rows and report.journal_rows[aid].state == "done")
    unverified = sum(1 for aid, r in report.journal_rows.items() if r.state == "failed" and aid in done_now)
    parts = [f"{report.writes} written this run"]
    if already:
        parts.append(f"{already} already so")
    if by_interrupted:
        parts.append(f"{by_interrupted} written by the interrupted run")
    if earlier:
        parts.append(f"{earlier} done by an earlier run")
    lines = [
        f"Apply {report.status}: {c.get('done', 0)} of {total} done ({', '.join(parts)}), "
        f"{c.get('failed', 0)} failed, {c.get('skipped', 0)} skipped in {report.seconds:.1f} s",
    ]
    if report.stop_reason:
        lines.append(f"Stopped: {report.stop_reason}")
    for aid, res in report.results.items():
        if res.state == "failed":
            lines.append(f"  failed  {aid}: {res.error}")
    if unverified:
        lines.append(f"{unverified} action(s) ran but their target was not as planned at verification: "
                     "failed, --resume runs them again")
    if report.verification is not None:
        v = report.verification.counts
        lines.append(f"Verification: {v['converged']} of {v['objects']} objects converged to the plan")
        for o in report.verification.objects:
            if not o.converged:
                label = "could not verify" if o.unverified else "not converged"
                lines.append(f"  {label}  {o.key} ({o.label}): {'; '.join(o.problems)}")
        unverified = report.verification.unverified_line(report.plan_path)
        if unverified:
            lines.append(unverified[0].upper() + unverified[1:])
    if report.result_file:
        lines.append(f"Result: {report.result_file}")
    if report.html_file:
        lines.append(f"Report with result: {report.html_file}")
    lines.extend(next_step_lines(report))
    return lines


@dataclass(frozen=True)
class PlanLeft:
    """The actions of a plan not applied yet, as a wave's result (:func:`wave_left_line`) and ``verify``
    (:attr:`planner.execute.verify_plan.PlanVerification.plan_left`) say them: ``plan_actions``, how many actions the
    plan has, all waves together; ``by_kind``, those not applied yet by action kind (``{"members.deactivate": 10,
    ...}``, sorted by kind). Made by :func:`plan_left`."""

    plan_actions: int
    by_kind: Mapping[str, int]

    @property
    def count(self) -> int:
        """How many actions of the plan are not applied yet."""
        return sum(self.by_kind.values())

    def line(self, plan_path: str | Path) -> str:
        """``173 of 196 action(s) of the plan not applied yet (10 members.deactivate, 2 members.disable_guest, ...):
        `sigma-migrate apply v1.json` applies the rest, or `sigma-migrate apply v1.json --only ...` the next wave``."""
        kinds = ", ".join(f"{n} {kind}" for kind, n in self.by_kind.items())
        plan = shlex.quote(str(plan_path))
        return (f"{self.count} of {self.plan_actions} action(s) of the plan not applied yet ({kinds}): "
                f"`sigma-migrate apply {plan}` applies the rest, or `sigma-migrate apply {plan} --only ...` the next wave")


def plan_left(actions: Sequence[Action], left: Collection[str]) -> PlanLeft:
    """The :class:`PlanLeft` of a plan of ``actions`` whose actions of ids ``left`` are not applied yet: apply's, those
    outside the run's wave the journal does not record done (:func:`_finish_run`); verify's, those no run ran
    (:func:`planner.execute.verify_plan.verify_plan`)."""
    kinds = Counter(a.kind.value for a in actions if a.id in left)
    return PlanLeft(len(actions), dict(sorted(kinds.items())))


def wave_left_line(report: "ApplyReport") -> str:
    """What a wave that converged (or whose every action is done, ``unverified``) says of the rest of the plan
    (tester12 finding 5), in ``verify``'s words (:func:`planner.execute.verify_plan.verify_lines`: "not
    applied yet"): ``Wave 'only group:Finance' converged; 173 of 196 action(s) of the plan not applied yet
    (10 members.deactivate, 2 members.disable_guest, ...): `sigma-migrate apply v1.json` applies the rest,
    or `sigma-migrate apply v1.json --only ...` the next wave``: :meth:`PlanLeft.line` of
    :attr:`ApplyReport.plan_left_by_kind`. The terminal, the result file's ``next_step_lines`` and the result
    page (:mod:`planner.execute.result_html`) all print this line."""
    how = "converged" if report.status == "converged" else "done"
    left = PlanLeft(report.plan_actions, report.plan_left_by_kind)
    return f"Wave {report.wave!r} {how}; {left.line(report.plan_path)}"


def next_step_lines(report: "ApplyReport") -> list[str]:
    """What comes after a run, as apply prints it last and the result file keeps it (``next_step_lines``):
    for a run that converged, or whose every action is done (``unverified``), the :func:`wave_left_line`
    when the plan has actions left outside its wave, else nothing; for a run that did not converge
    (tester9 finding F2), the :func:`plan_again_line` when Sigma refused actions for good, and
    ``Continue with: sigma-migrate apply plan.json --resume`` when something a ``--resume`` may do is
    left (:class:`WhatIsLeft`), saying it runs only those when refused ones are left too."""
    if report.token_revoked:
        return [token_revoked_next_line(report)]
    if report.status in ("converged", "unverified"):
        return [wave_left_line(report)] if report.plan_left else []
    left = report.left
    lines = [plan_again_line(left, report.plan_path)] if left.refused else []
    if not left.plan_again_only:
        rest = (f" (the {len(left.retryable)} other action(s) left; the refused ones need the new plan)"
                if left.refused else "")
        lines.append(f"Continue with: {resume_command(report.plan_path, report.selection)}{rest}")
    return lines


def token_revoked_next_line(report: "ApplyReport") -> str:
    """What a run stopped by a revoked SCIM token (:attr:`ApplyReport.token_revoked`) says last, the two ways on:
    a new token of the admin the policy names lets this plan go on (``--resume`` sends the actions left, or
    ``verify`` checks the run when none is left); reactivating the admin who held the token undoes one of its
    actions, so only a new plan naming them goes on: ``Next: with a new SIGMA_SCIM_TOKEN of the admin
    organization.scim_setup_admin names, `sigma-migrate apply plan.json --resume` sends the 3 action(s) left;
    if you reactivate the admin who held it instead, name them in organization.scim_setup_admin and plan again
    (`sigma-migrate plan ... --applied plan.json`)``."""
    plan = shlex.quote(report.plan_path)
    left = report.counts.get("failed", 0) + report.counts.get("skipped", 0) + report.counts.get("pending", 0)
    go_on = (f"`{resume_command(report.plan_path, report.selection)}` sends the {left} action(s) left" if left
             else f"`sigma-migrate verify {plan}` checks what this run wrote")
    return (f"Next: with a new {ENV_SCIM_TOKEN} of the admin organization.scim_setup_admin names, {go_on}; if you "
            "reactivate the admin who held it instead, name them in organization.scim_setup_admin and plan again "
            f"(`sigma-migrate plan ... --applied {plan}`)")


# --------------------------------------------------------------------------- summary


def plan_summary_lines(plan: Plan, approval: Approval | None, *, auto_approve: bool,
                       targets: Targets | None = None, wave: Wave | None = None) -> list[str]:
    """What apply shows before it starts (also with ``--auto-approve``); with ``targets``, the
    organization and base URLs it is about to check and write to; with a ``wave``, its own counts."""
    scope = plan.actions if wave is None or wave.is_whole_plan else [a for a in plan.actions if a.id in set(wave.action_ids)]
    counts = Counter(a.kind.value for a in scope)
    org = plan.organization
    lines = [
        f"Plan {plan.digest} for {org.name or org.organization_id or 'organization'}: "
        f"{len(plan.actions)} actions",
    ]
    if wave is not None and not wave.is_whole_plan:
        lines.append(wave_heading(plan, wave))
    for kind in sorted(counts):
        lines.append(f"  {counts[kind]:>6}  {kind}")
    if approval is not None:
        lines.append(f"Approved by {approval.approver} at {approval.approved_at}")
    elif auto_approve:
        lines.append("Approved with --auto-approve (no approval file)")
    if targets is not None:
        urls = "".join(f", {api} {url}" for api, url in (("REST", targets.rest_base_url),
                                                          ("SCIM", targets.scim_base_url)) if url)
        lines.append(f"Target: organization {planned_organization_id(plan)}{urls}")
    return lines


# --------------------------------------------------------------------------- clients


def _needed_apis(plan: Plan) -> set[str]:
    apis = apis_used(plan.actions)
    apis.add("rest")  # the organizationId check (GET /v2/whoami) and the stale check read REST
    return apis


def required_targets(plan: Plan, rest_base_url: str | None, scim_base_url: str | None,
                     where: str = "plan") -> tuple[Targets, set[str]]:
    """The base URLs (flags, else the policy's ``targets``) and the APIs (``rest``/``scim``) the plan uses.
    ``where`` names the plan file in a refusal of its resolved policy
    (:func:`planner.planfile.plan_policy`, :class:`~planner.planfile.PlanFileError`).

    Apply and ``--dry-run`` both call this, so they refuse alike: :class:`TargetError`
    for an unsafe URL (http to a non-loopback host) and for a missing URL of an API
    the plan needs (REST always: apply reads the live ``organizationId`` and the stale
    check there).
    """
    targets = resolve_targets(plan_policy(plan, where).targets, rest_base_url, scim_base_url)
    apis = _needed_apis(plan)
    if "rest" in apis and not targets.rest_base_url:
        raise TargetError("no REST base URL: pass --rest-base-url or set targets.rest_base_url in the policy")
    if "scim" in apis and not targets.scim_base_url:
        raise TargetError("no SCIM base URL: pass --scim-base-url or set targets.scim_base_url in the policy")
    return targets, apis


def build_clients(plan: Plan, options: ApplyOptions, redactor: Redactor, counter: _RetryCounter,
                  note: Callable[[str], None] | None = None, *, read_scim: bool = False) -> Clients:
    """REST and SCIM clients for the APIs the plan needs; :class:`TargetError` names what is missing.
    ``read_scim``: a SCIM client too when a SCIM base URL and token are known, though the plan sends nothing
    through SCIM (``undo`` reads whom SCIM provisioned since the apply, :func:`planner.execute.undo.live_changes`).
    ``note`` hears of each long wait before a retry (:func:`~planner.execute.runner.retry_listener`).
    Clients of one origin share their :class:`~planner.execute.retry.Throttle` (:func:`~planner.execute.retry.origin_of`)."""
    targets, apis = required_targets(plan, options.rest_base_url, options.scim_base_url)
    creds = Credentials.from_env(options.environ)
    for secret in creds.secrets():
        redactor.add(secret)
    redactor.add_pair(creds.client_id, creds.client_secret)
    rest = scim = None
    listener = retry_listener(counter, note)
    if "rest" in apis:
        assert targets.rest_base_url
        client_id, client_secret = creds.require_rest()
        rest = SigmaRestClient(
            targets.rest_base_url, client_id, client_secret,
            retry_policy=options.retry, transport=options.transport, timeout=options.timeout,
            deadline=options.deadline, max_rate=options.max_rate, min_token_interval=options.min_token_interval,
            redactor=redactor,
        )
        rest.transport.listener = listener
    if "scim" in apis or (read_scim and targets.scim_base_url and creds.scim_token):
        assert targets.scim_base_url
        token = creds.require_scim()
        scim = SigmaScimClient(
            targets.scim_base_url, token,
            retry_policy=options.retry, transport=options.transport, timeout=options.timeout,
            deadline=options.deadline, max_rate=options.max_rate, redactor=redactor,
        )
        scim.transport.listener = listener
    if rest is not None and scim is not None and origin_of(rest.base_url) == origin_of(scim.base_url):
        scim.transport.throttle = rest.transport.throttle  # one server: a Retry-After holds both APIs
    return Clients(rest=rest, scim=scim)


def _close(clients: Clients) -> None:
    for c in (clients.rest, clients.scim):
        if c is not None:
            c.close()


def preflight(clients: Clients, redactor: Redactor,
              revoked: Revocation = lambda refusal, rest: None) -> None:
    """Before the first write, prove the credentials of every API the plan uses (reads only).

    REST: mint a token and read one member (:meth:`SigmaRestClient.check_access`); SCIM: an
    authenticated ``GET /Users?count=1`` (:meth:`SigmaScimClient.check_access`). Without it, a
    wrong ``SIGMA_SCIM_TOKEN`` next to good REST credentials would fail only at the first SCIM
    action, after REST writes were made: a half-applied change.

    Raises :class:`TargetError` naming the environment variable(s) when the credentials are
    refused (401/403, a refused token request), or, for a SCIM token refused after the plan's own writes may have
    revoked it, ``revoked(refusal, clients.rest)``'s line (:func:`planner.execute.scim_token.revocation`; ``None``:
    no such write);
    :class:`ApplyRefused` when the API cannot be read at all (wrong base URL, network); one line each,
    nothing written.
    """
    checks = []
    if clients.rest is not None:
        checks.append(("REST", clients.rest, f"{ENV_CLIENT_ID} / {ENV_CLIENT_SECRET}"))
    if clients.scim is not None:
        checks.append(("SCIM", clients.scim, ENV_SCIM_TOKEN))
    for api, client, variables in checks:
        try:
            client.check_access()
        except ApiError as exc:
            message = exc.message.split("; check ")[0]  # the token refusal names the variables already
            detail = redactor(f"{exc.method} {exc.path}: {exc.status if exc.status is not None else 'network error'}"
                              f"{' ' + exc.code if exc.code else ''}: {message}")
            cause = revoked(f"{api} {detail}", clients.rest) if isinstance(exc, AuthError) and api == "SCIM" else None
            if cause:
                raise TargetError(f"{cause}; nothing was written") from None
            if isinstance(exc, AuthError) or exc.status == 403:
                raise TargetError(
                    f"{variables} refused by the {api} API at {client.base_url} ({detail}); "
                    f"check {variables}; nothing was written"
                ) from None
            raise ApplyRefused(
                f"cannot read the {api} API at {client.base_url} ({detail}); check the {api} base URL; "
                "nothing was written"
            ) from None


def required_organization_id(plan: Plan, plan_path: str | Path) -> str:
    """The plan's ``organizationId``; :class:`ApplyRefused` when it records none (its Sigma export
    had none), since apply could not check which organization it talks to."""
    planned = planned_organization_id(plan)
    if not planned:
        raise ApplyRefused(
            f"{plan_path}: {NO_ORGANIZATION_ID}; nothing was written"
        )
    return planned


def check_organization(plan: Plan, plan_path: str | Path, rest: SigmaRestClient, redactor: Redactor
                       ) -> WhoamiRecord:
    """Refuse (:class:`ApplyRefused`) unless the REST API serves the organization the plan was made for.

    The plan records the ``organizationId`` of its Sigma export (``plan.organization``); Sigma
    names the organization its credentials belong to in ``GET /v2/whoami`` (docs/sigma-api.md §1.3),
    read as a :class:`~planner.execute.rest_client.WhoamiRecord`. A plan without an
    ``organizationId`` cannot be bound to its organization and is refused too; so is an answer
    without one, or without the ``userId`` :func:`check_credential_owner` reads (``cannot read GET
    /v2/whoami ...: unexpected answer: Object missing required field `userId```). Reads only;
    nothing has been written when it refuses. Returns the answer."""
    planned = required_organization_id(plan, plan_path)
    try:
        whoami = rest.whoami()
    except ApiError as exc:
        raise ApplyRefused(
            f"cannot read GET /v2/whoami from the REST API at {rest.base_url} ({redactor(str(exc))}): apply checks "
            "the organization and the credentials' owner there; nothing was written"
        ) from None
    if whoami.organization_id != planned:
        raise ApplyRefused(
            f"{plan_path}: plan was made for organization {planned}, but the REST API at {rest.base_url} "
            f"serves organization {whoami.organization_id}; apply it to the organization it was planned for, "
            "or plan again from this organization's export; nothing was written"
        )
    return whoami


def check_idp_export_age(plan: Plan, plan_path: str | Path, now: str | None = None) -> None:
    """Refuse (:class:`ApplyRefused`, one line) a plan whose IdP export was read more than its policy's
    ``guards.max_idp_export_age_hours`` before ``now`` (a ``fetchedAt`` time; default the clock): the IdP has
    moved on since (leavers, joiners) and its push will disagree (tester8 finding 21). A plan that does not
    record the export's time (``PlanOrganization.idpFetchedAt``: show says it is unknown) passes, and so does an
    undo plan (``summary.undoes``): it reverses what the apply wrote and reads no export. No request."""
    from ..rules.inputs import IDP_EXPORT_FIX, export_age_hours
    from ..sources.manifest import fetched_now

    if plan.summary.undoes:
        return
    read_at = plan.organization.idp_fetched_at
    bound = plan_policy(plan, plan_path).guards.max_idp_export_age_hours
    if not read_at:  # UNSET: the plan does not know
        return
    age = export_age_hours(read_at, now or fetched_now())
    if age is not None and age > bound:
        raise ApplyRefused(
            f"{plan_path}: the plan's IdP export was read at {read_at}, {age:.1f} hours ago, more than "
            f"guards.max_idp_export_age_hours {bound}: people may have left or joined since; {IDP_EXPORT_FIX}; "
            "nothing was written"
        )


def policy_file_note(plan: Plan) -> str | None:
    """One line when the policy file the plan was made from (:attr:`planner.model.PlanPolicy.path`, as given to
    ``plan``, read from the working directory) now holds other bytes than it did (its ``sha256``): apply follows the
    approved plan, whose decisions and targets were made from the file as it was, never the file as it is
    (tester14b finding 11: a policy tightened after approval was followed by nobody, and nobody said so). ``None``
    when the file is unchanged, cannot be read here, or the policy was built in code (no path)."""
    path = Path(plan.policy.path) if plan.policy.path else None
    if path is None or not path.is_file():
        return None
    try:
        now = hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return None
    if now == plan.policy.sha256:
        return None
    return (f"{path} changed since this plan was made (sha256 {plan.policy.sha256[:12]}... then, {now[:12]}... now): "
            "apply follows the approved plan, made from the policy as it was; to apply the policy as it is now, "
            "plan again and approve the new plan")


def assigned_account_types(actions: Sequence[Action]) -> list[str]:
    """The account types ``actions`` assign (the ``userType`` of a ``scim.link_user``, ``scim.create_user`` or
    ``scim.set_account_type``), sorted, each once."""
    found = set()
    for a in actions:
        if a.kind in (ActionKind.SCIM_LINK_USER, ActionKind.SCIM_CREATE_USER, ActionKind.SCIM_SET_ACCOUNT_TYPE):
            user_type = getattr(a.after, "user_type", None)
            if isinstance(user_type, str) and user_type:
                found.add(user_type)
    return sorted(found)


def check_account_types(plan_path: str | Path, actions: Sequence[Action], rest: SigmaRestClient,
                        redactor: Redactor) -> None:
    """Refuse (:class:`ApplyRefused`, one line) unless every account type ``actions`` assign
    (:func:`assigned_account_types`) is one of the organization's now (``GET /v2/accountTypes``, exact
    spelling: Sigma matches ``userType`` case-sensitively and refuses a name it does not know,
    docs/sigma-api.md §4.1, §5.2): a custom type deleted or renamed since the plan would fail its actions
    mid-run (tester8 finding 19). Reads only, before the first write; no read when nothing assigns a type."""
    wanted = assigned_account_types(actions)
    if not wanted:
        return
    try:
        names = rest.account_type_names()
    except ApiError as exc:
        raise ApplyRefused(
            f"cannot read GET /v2/accountTypes from the REST API at {rest.base_url} ({redactor(str(exc))}): apply "
            "checks there that the account types the plan assigns exist; nothing was written"
        ) from None
    missing = [t for t in wanted if t not in set(names)]
    if missing:
        raise ApplyRefused(
            f"{plan_path}: the plan assigns account type(s) {', '.join(repr(t) for t in missing)}, which the "
            f"organization does not have now (GET /v2/accountTypes: {', '.join(names)}): create them in Sigma, or "
            "fetch again and plan again; nothing was written"
        )


def member_email(plan: Plan, member_id: str, rest: SigmaRestClient | None = None) -> str | None:
    """The email of a member: from the plan's person rows, else its stale-check fingerprints, else
    (with ``rest``) ``GET /v2/members/{memberId}`` (a read, for a member the plan does not know, such as
    a credential owner it never planned for); ``None`` when none of these gives one."""
    email = next((p.email for p in plan.people if p.member_id == member_id and p.email), None)
    email = email or getattr(plan.fingerprints.members().get(member_id), "email", None)
    if not email and rest is not None:
        try:
            email = rest.get_member(member_id).email
        except ApiError:
            return None
    return email or None


def names_member(reference: str, member_id: str, email: str | None) -> bool:
    """Whether the policy's ``reference`` (memberId or email, as written) names member ``member_id`` (of
    ``email``): the member the policy names when the plan's owner row is another one, the member a userName change
    left behind (:meth:`planner.directory.Directory.protected_member_id`), whose credentials may have been made
    again as the member named (tester10 finding 18)."""
    return reference == member_id or bool(email and email.casefold() == reference.casefold())


def check_credential_owner(plan: Plan, plan_path: str | Path, whoami: WhoamiRecord, rest: SigmaRestClient,
                           echo: Callable[[str], None] = lambda line: None) -> None:
    """Refuse (:class:`ApplyRefused`, one line, nothing written) unless the REST API credentials
    belong to the member the plan was made for, and the plan keeps them active and admin.

    ``whoami.user_id`` (``GET /v2/whoami``, docs/sigma-api.md §1.2, §1.3) is the member the credentials
    really belong to; :attr:`~planner.model.Plan.api_credential_owner` the member the policy's
    ``organization.api_credential_owner`` named, whom the plan's ``api_credential_owner`` guard kept
    active and admin (planner/rules/guards.py). Two rules, in this order:

    - another member than the plan's (nor the one the policy names, :func:`names_member`): refused, naming both
      (id and email) and the two ways out (name the credentials' owner in the policy and plan again, or apply
      with the named owner's credentials): the guard protected the wrong person (tester6 finding 18);
    - the plan deactivates the credentials' owner or gives them an account type outside
      ``guards.admin_account_types`` (:func:`planner.rules.guards.owner_losses`, one phrase per loss
      naming its actions): refused, since it would cut the credentials apply writes with mid-run
      (every later REST request 403, a ``--resume`` that never ends). A plan that records no owner (its
      policy named none) is held to this rule alone, and ``echo`` is told whom apply found. An undo plan
      carries the undone plan's owner (:func:`planner.execute.undo._undo_owners`): another member's
      credentials are refused with the one way out it has (apply it with the owner's credentials)."""
    from ..rules.guards import admin_types, owner_losses

    owner_id = whoami.user_id
    named = plan.api_credential_owner
    if named is not None and named.member_id and named.member_id != owner_id and not names_member(
            named.reference, owner_id, member_email(plan, owner_id)):
        email = member_email(plan, owner_id, rest)
        named_email = named.email or named.reference
        if plan.summary.undoes:  # an undo plan: no policy of its own to name another owner in
            raise ApplyRefused(
                f"{plan_path}: the REST API credentials belong to member {owner_id}{f' ({email})' if email else ''} "
                f"(GET /v2/whoami), but this undo plan reverses {plan.summary.undoes}, made for "
                f"organization.api_credential_owner {named.member_id} ({named_email}), whom it keeps active and "
                f"admin: apply it with {named_email}'s REST credentials ({ENV_CLIENT_ID} / {ENV_CLIENT_SECRET}); "
                "nothing was written")
        raise ApplyRefused(
            f"{plan_path}: the REST API credentials belong to member {owner_id}{f' ({email})' if email else ''} "
            f"(GET /v2/whoami), but the plan was made for organization.api_credential_owner {named.member_id} "
            f"({named_email}), whom its guards keep active and admin: name {email or owner_id} in "
            f"organization.api_credential_owner and plan again, or apply with {named_email}'s REST credentials "
            f"({ENV_CLIENT_ID} / {ENV_CLIENT_SECRET}); nothing was written")
    email = member_email(plan, owner_id, rest if named is None or not named.member_id else None)
    who = f"member {owner_id}{f' ({email})' if email else ''}"
    losses = owner_losses(owner_id, plan.actions, admin_types(plan_policy(plan, plan_path)))
    if losses:
        raise ApplyRefused(
            f"{plan_path}: the REST API credentials belong to {who} "
            f"(GET /v2/whoami), who {'; '.join(losses)}: that would cut apply's own access mid-run; "
            "name them in organization.api_credential_owner (the plan then keeps them active and admin) "
            "or apply with credentials of the admin it names, and plan again; nothing was written")
    if named is None or not named.member_id:
        echo(f"Credential owner: the plan names no organization.api_credential_owner; the REST API credentials "
             f"belong to {who} (GET /v2/whoami), whom the plan leaves active and admin")


def credential_owner_expectation(plan: Plan) -> str:
    """What apply's pre-flight will require of ``GET /v2/whoami`` (:func:`check_organization`,
    :func:`check_credential_owner`), one line for ``--dry-run``, which sends nothing:
    ``organizationId must be <id> and userId member <id> (<email>), the plan's
    organization.api_credential_owner; other credentials are refused``, or, for a plan that records
    no owner, that the member found must not be deactivated or lose their admin account type."""
    org = planned_organization_id(plan) or "(none recorded: apply refuses)"
    named = plan.api_credential_owner
    if named is not None and named.member_id:
        return (f"organizationId must be {org} and userId member {named.member_id} ({named.email or named.reference}), "
                "the plan's organization.api_credential_owner; credentials of another member are refused")
    return (f"organizationId must be {org}; the plan names no organization.api_credential_owner, so the member "
            "userId names must be one the plan neither deactivates nor takes an admin account type from")


def check_scim_organization(plan: Plan, plan_path: str | Path, clients: Clients, redactor: Redactor) -> None:
    """Refuse (:class:`ApplyRefused`) unless the SCIM API serves the organization the plan was made for.

    SCIM names no ``organizationId`` (docs/sigma-api.md §5), so the proof is by the plan's own members:
    Sigma's SCIM lists every member that is not a guest with ``id`` = ``memberId`` (docs/sandbox.md,
    "pre-SCIM members"; memberIds are opaque ids of one organization, docs/sigma-api.md §2), so each of the
    plan's members :func:`~planner.execute.approve.scim_probe_members` chooses is looked up with
    ``userName eq``. One the plan gives a memberId must come back with it, or with another memberId the
    plan knows (:func:`~.stale.known_ids`, the rule the impostor check uses; a userName change makes a
    new member that takes over the old member's SCIM id, docs/sigma-api.md §5.3: still this organization's
    id); one the plan names by userName alone (a push's member in an undo plan) proves it only with a
    memberId the plan knows (its team's fingerprint), and refuses nothing otherwise. One found with an id
    the plan does not know, or none proving it (an organization whose SCIM lists nobody the plan knows),
    refuses: the SCIM base URL or token cannot be shown to be the plan's organization's (docs/apply.md).
    A plan naming no member to look up never gets here
    (:func:`~planner.execute.approve.check_scim_organization_checkable`, in apply's gate).
    Called after :func:`check_organization` proved the REST API; reads only, nothing written.
    """
    scim, rest = clients.scim, clients.rest
    if scim is None:
        return
    where = (f"the SCIM API at {scim.base_url} (with {ENV_SCIM_TOKEN}) does not serve organization "
             f"{planned_organization_id(plan)} that the plan was made for and the REST API at "
             f"{rest.base_url if rest else '-'} serves")
    probes = scim_probe_members(plan)
    resolved = 0
    known = known_ids(plan)[0]
    for probe in probes:
        try:
            user = scim.find_user(probe.user_name, listed=True)
        except ApiError as exc:
            raise ApplyRefused(f"cannot read the SCIM API at {scim.base_url} to check its organization "
                               f"({redactor(str(exc))}); nothing was written") from None
        if user is None:
            continue
        if probe.member_id is not None and user.id != probe.member_id and user.id not in known:
            raise ApplyRefused(redactor(f"{plan_path}: {where}: its member {probe.user_name} has id {user.id}, "
                                        f"the plan's memberId is {probe.member_id}; nothing was written"))
        resolved += probe.member_id is not None or user.id in known
    if not resolved:
        raise ApplyRefused(redactor(f"{plan_path}: {where}: it lists none of the plan's members "
                                    f"({', '.join(p.member_id or p.user_name for p in probes)}); nothing was written"))


# --------------------------------------------------------------------------- apply


def apply_plan(
    plan_path: str | Path,
    options: ApplyOptions = ApplyOptions(),
    *,
    progress: ProgressSink | None = None,
    echo: Callable[[str], None] = lambda line: None,
) -> ApplyReport:
    """Apply the approved plan at ``plan_path`` (see module docstring); return what happened.

    Raises :class:`planner.errors.UserError` subclasses for every refusal
    (:class:`ApplyRefused`, :class:`PlanFileError`, :class:`TargetError`), all before
    the first write; :class:`ApplyInterrupted` on Ctrl-C or SIGTERM (:mod:`planner.execute.signals`:
    a second one ends the process at once). After the run has started, failures are recorded, not raised.
    """
    plan_path = Path(plan_path)
    plan = read_plan(plan_path, with_policy=True)
    approval = check_can_apply(plan, plan_path, auto_approve=options.auto_approve)
    all_actions = with_user_names(plan.actions)
    dependency_graph(all_actions)  # a cycle or an unknown dependency refuses before any request
    wave = select(plan, options.only, options.limit)  # a selector matching nothing refuses here
    with apply_signals() as signals, apply_lock(plan_path), digest_lock(plan.digest, plan_path):
        return _apply_locked(plan_path, plan, approval, all_actions, wave, options, progress, echo, signals)


def _apply_locked(plan_path: Path, plan: Plan, approval: Approval | None, all_actions: list[Action], wave: Wave,
                  options: ApplyOptions, progress: ProgressSink | None, echo: Callable[[str], None],
                  signals: ApplySignals) -> ApplyReport:
    """:func:`apply_plan` from step 4 on, under the apply lock; ``wave`` chooses the actions run;
    ``signals`` is told when the run has started (a second Ctrl-C/SIGTERM then records it interrupted)."""
    run_options = RunOptions(parallelism=options.parallelism, breaker_ratio=options.breaker_ratio)
    in_wave = set(wave.action_ids)
    actions = [a for a in all_actions if a.id in in_wave]

    journal: Journal | None = None
    clients: Clients | None = None
    resumed = None  # the unfinished run a --resume continues (resume.check_unfinished_run)
    started = False
    finished: RunFinished | None = None  # set once every action of the run has finished
    try:
        if journal_path(plan_path).exists():
            journal = Journal.open(plan_path, plan.digest, [(a.id, a.kind.value) for a in all_actions], __version__)
        # an applied undo plan rolled it back: plan again (first: a rolled-back run is never resumed either);
        # its journal or, for a copy of the plan, sigma-migrate's state index records it
        # the history of the Sigma this run writes to: a copy rehearsed in the sandbox is another Sigma's (rehearse20)
        target = history_target(plan_policy(plan, str(plan_path)).targets, options.rest_base_url)
        check_not_reversed(plan_path, plan, journal, target)
        check_journal_home(plan_path, plan.digest, target=target)  # its runs wrote to another journal: apply it there
        if journal is not None:
            # an interrupted or killed run refuses every other apply; --resume repeats its selection
            resumed = check_unfinished_run(plan_path, journal.runs(), journal.rows(), wave, resume=options.resume,
                                           closures=journal.closures())
        check_reverses_something(plan, plan_path)  # an undo plan with no action would roll back nothing
        undone_plan_journal = undone_journal(plan, plan_path, target)  # an undo plan records its run there
        taken_over = predecessors(plan, plan_path, target)  # a re-plan records there that it took over from them
        check_basis_current(plan, plan_path, taken_over, target)  # ... unless a sibling re-plan took over from them first

        redactor = Redactor()
        counter = _RetryCounter()
        targets, _ = required_targets(plan, options.rest_base_url, options.scim_base_url, str(plan_path))
        check_approved_target(approval, plan, targets, plan_path)
        required_organization_id(plan, plan_path)  # before any request
        check_idp_export_age(plan, plan_path)
        edited = rest_edits(plan, wave.action_ids)  # checked over SCIM: no IdP provisioned them since the plan
        clients = build_clients(plan, options, redactor, counter, note=progress.note if progress else echo,
                                read_scim=bool(edited))
        reading_only = "scim" not in _needed_apis(plan)  # a SCIM client only to read: the plan sends nothing there
        unread = scim_unread(clients, redactor) if edited and reading_only else None
        if edited and clients.scim is None:
            echo(f"note: {scim_unread_note(edited, unread)}")
        for line in plan_summary_lines(plan, approval, auto_approve=options.auto_approve, targets=targets,
                                       wave=wave):
            echo(line)
        changed_policy = policy_file_note(plan)
        if changed_policy:
            echo(f"note: {changed_policy}")
        preflight(clients, redactor, token_revocation(plan, plan_path, journal, undone_plan_journal))
        assert clients.rest is not None  # required_targets: REST is always needed
        whoami = check_organization(plan, plan_path, clients.rest, redactor)
        check_credential_owner(plan, plan_path, whoami, clients.rest, echo)
        check_account_types(plan_path, actions, clients.rest, redactor)
        check_scim_organization(plan, plan_path, clients, redactor)
        stale_keys = fingerprint_keys_of(plan, actions) if len(actions) < len(all_actions) else sorted(plan.fingerprints)
        if stale_keys:
            echo(f"Stale-plan check: reading the {len(stale_keys)} Sigma object(s) the plan was made against")
        rows_before = journal.rows() if journal is not None else {}
        fresh = journal is None or journal.untouched()
        # the journal is opened before the first write: without one (or with one no run started in)
        # nothing was written; a --resume is a resume only when a run is unfinished (resume.py);
        # a finished plan again checks every object again (reapply); otherwise done actions stay done
        mode = ("apply" if journal is None or fresh else "resume" if resumed is not None
                else "apply" if unfinished(journal) else "reapply")
        trusted = [] if fresh or mode == "reapply" else [a.id for a in actions if rows_before[a.id].state == "done"]
        not_started = [a.id for a in actions if a.id not in rows_before or rows_before[a.id].attempts == 0]
        kept = set(trusted)  # done actions this run builds on, never sends again
        try:
            listing = list_members_if_many(plan, clients)
            drifts = check_stale(plan, clients.rest, keys=stale_keys, parallelism=options.parallelism,
                                 members=listing, creates=not_started, done=trusted, scim=clients.scim,
                                 running=[a.id for a in actions if a.id not in kept])
        except ApiError as exc:
            raise ApplyRefused(f"cannot read Sigma for the stale-plan check: {redactor(str(exc))}") from None
        stale = [d for d in drifts if d.stale]
        if stale:
            raise ApplyRefused(redactor(stale_message(str(plan_path), stale, way_out=stale_resume_way_out(
                plan, plan_path, resumed if mode == "resume" else None))))
        undone = [u for d in drifts for u in d.undone]
        if undone:  # a done action Sigma no longer shows: its dependents would run on a false premise
            raise ApplyRefused(redactor(undone_message(str(plan_path), undone)))
        if stale_keys:
            echo("Stale-plan check: no object changed since the plan was made")

        interrupted: frozenset[str] = frozenset()
        if fresh:
            if options.resume:
                echo(f"Resuming: no earlier run of this plan started (no journal, or a journal without a run, at "
                     f"{journal_path(plan_path).name}), so nothing was written; starting from the beginning")
            if journal is None:
                journal = Journal.open(plan_path, plan.digest, [(a.id, a.kind.value) for a in all_actions],
                                       __version__)
        elif mode == "resume":
            assert journal is not None and resumed is not None
            echo(resume_line(plan_path, resumed, journal.rows(), wave.action_ids))
            interrupted = frozenset(aid for aid, r in journal.rows().items() if aid in in_wave and may_have_written(r))
            reset_unfinished(journal, in_wave)
        else:
            assert journal is not None
            if options.resume:
                echo(nothing_to_resume_line(plan_path, journal.runs(), wave))
            if mode == "apply":
                # the next wave, or the rest after waves: the done actions stay done; what a reported
                # run failed or skipped and this wave selects is tried again
                reset_unfinished(journal, in_wave, ("failed", "skipped"))
            else:
                journal.reset_for_rerun([a.id for a in actions])  # a finished plan again: check every object again

        started_at, t0 = utc_now(), time.monotonic()
        notes: list[str] = []
        journal_at = journal.path

        def recorded(run: int) -> None:
            """The run recorded elsewhere, before the first write, in the transaction that starts it in the journal
            (:meth:`Journal.start_run`): the undone plan is never applied again, the plans it took over from neither,
            and a copy of this plan finds this journal (the state index last: its run is in the journal)."""
            if undone_plan_journal is not None:
                record_undo_run(plan, plan_path, undone_plan_journal, run, started_at, actions, target)
            notes.extend(record_takeover(plan, plan_path, taken_over, run, started_at, target))
            record_run(plan_path, plan.digest, journal_at, RunRow(
                run, mode, started_at, None, None, {}, None, None, wave.label, wave.action_ids,
                selection_words(wave)), target)

        run_id = journal.start_run(
            mode, approver=approval.approver if approval else "auto-approve",
            approved_at=approval.approved_at if approval else None,
            wave=wave.label, wave_actions=wave.action_ids, selection=selection_words(wave), started_at=started_at,
            recorded=recorded)
        for note in notes:
            echo(note)
        started = True
        signals.run_started(journal.path, run_id, resume_command(plan_path, selection_words(wave)))
        clients.users = UserIndex()
        clients.members = MemberIndex(listing) if listing is not None else None
        first_attempts = frozenset(aid for aid, r in journal.rows().items() if r.attempts == 0)
        executor = Executor(clients, all_actions, first_attempts, retries=lambda: counter.count,
                            interrupted=interrupted)
        risks = token_risks(plan, actions)
        revoked = RevokedToken(plan, risks, journal, redactor)
        results = run_actions(actions, executor, journal, options=run_options, progress=progress,
                              redactor=redactor, retry_counter=counter,
                              exclusive=lambda action: handler_for(action).exclusive(action),
                              last=lambda action: action.id in risks, auth_reason=revoked.reason)
        stop_reason = next(
            (r.error[len("not started: "):] for r in results.values()
             if r.state == "skipped" and r.error and r.error.startswith("not started: ")),
            None,
        )
        stop_reason = revoked.after_run(clients, results) or stop_reason
        finished = RunFinished(run_id, mode, started_at, t0, results, stop_reason,
                               token_revoked=revoked.line is not None)  # Ctrl-C from here on: see below
        if revoked.line is not None:  # SCIM refuses the token: nothing to verify SCIM with, say why instead
            journal.record_stop(revoked.line)
            report = _finish_run(plan_path, plan, approval, actions, wave, journal, finished, None)
            journal.close()
            journal = None
            write_results(plan, report, redactor, html=options.write_html)
            return report
        signals.verifying()
        checked = verified_actions(mode, actions, results)
        echo(verifying_line(plan_path, len(checked), len(actions)))
        clients.users = clients.users.from_writes()  # the end state Sigma answered our writes with
        clients.members = None
        verification = verify(checked, clients, parallelism=options.parallelism, redactor=redactor)
        _close(clients)
        clients = None
        journal.mark_unverified(unverified_actions(verification))  # so that --resume runs them again
        report = _finish_run(plan_path, plan, approval, actions, wave, journal, finished, verification)
        journal.close()
        journal = None
        write_results(plan, report, redactor, html=options.write_html)
        return report
    except JournalWriteError as exc:
        raise ApplyRefused(journal_stopped(str(exc), run_id if started else None,
                                           resume_command(plan_path, selection_words(wave)))) from None
    except KeyboardInterrupt:
        if not started:
            raise ApplyInterrupted("interrupted before the first write; nothing was changed in Sigma") from None
        if finished is not None and journal is not None:  # every action of the run had finished: verifying
            report = _finish_run(plan_path, plan, approval, actions, wave, journal, finished, None)
            write_results(plan, report, redactor, html=options.write_html)
            raise ApplyInterrupted(interrupted_verification_line(plan_path, report)) from None
        if journal is not None:
            try:
                journal.finish_run("interrupted", journal.counts())
            except (sqlite3.Error, JournalWriteError):
                pass
        raise ApplyInterrupted(f"interrupted; run `{resume_command(plan_path, selection_words(wave))}` to continue"
                               ) from None
    finally:
        if clients is not None:
            _close(clients)
        if journal is not None:
            journal.close()


def journal_stopped(refused: str, run_id: int | None, resume: str) -> str:
    """The one line of an apply whose journal SQLite would not write (``refused``: :class:`JournalWriteError`'s,
    ``<journal>: held by another program (database is locked: ...); close the program holding <journal>``), and
    what the run had written: before run ``run_id`` started (``None``) nothing, ``, then apply again; nothing was
    written``; after, the run stopped where the journal stopped, its finished actions recorded, its action in flight
    recorded ``running`` (checked in Sigma before it is sent again), and ``resume`` (:func:`resume_command`)
    continues it. tester22 finding 2c (was: a traceback ending ``sqlite3.OperationalError: database is locked``)."""
    if run_id is None:
        return f"{refused}, then apply again; nothing was written"
    return (f"{refused}, then run `{resume}` to continue run {run_id}: it stopped at its first step the journal could "
            "not record; what it wrote to Sigma before is recorded there (an action in flight is checked in Sigma "
            "before it is sent again)")


@dataclass(frozen=True)
class RunFinished:
    """A run whose actions have all finished (done, failed or skipped), before its verification:
    what :func:`_finish_run` needs to record and report it, with or without a verification."""

    run_id: int
    mode: str
    started_at: str
    t0: float
    results: dict[str, ActionResult]
    stop_reason: str | None
    token_revoked: bool = False
    """The SCIM token was revoked by the run's own writes (:class:`RevokedToken`): not verified."""


def scim_unread(clients: Clients, redactor: Redactor) -> str | None:
    """For a plan that sends nothing through SCIM (``clients.scim`` built only to read,
    :func:`build_clients` ``read_scim``): ``None`` when SCIM answers its preflight read
    (:meth:`SigmaScimClient.check_access`), else why not (redacted), the client closed and dropped: such a plan never
    needed the SCIM token (an undo plan after the apply revoked it reactivates its admin through REST), so SCIM's
    refusal is no refusal of the run, only of the check (:func:`scim_unread_note`)."""
    if clients.scim is None:
        return None
    try:
        clients.scim.check_access()
        return None
    except ApiError as exc:
        clients.scim.close()
        clients.scim = None
        return redactor(f"SCIM {exc.method} {exc.path}: {exc.status if exc.status is not None else 'network error'}")


def scim_unread_note(edited: Mapping[str, tuple[str, tuple[Action, ...]]], unread: str | None) -> str:
    """The note of a run that edits members through REST (``edited``: :func:`planner.execute.stale.rest_edits`)
    though SCIM cannot be read (``unread``, :func:`scim_unread`; ``None``: no SCIM base URL or token given): the
    stale check cannot tell whether an IdP provisioned one of them since the plan
    (:func:`planner.execute.stale.provisioned_since_plan`, tester14b finding 12)."""
    why = f"SCIM refused the read ({unread})" if unread else "no SCIM base URL and SIGMA_SCIM_TOKEN given"
    count = sum(len(edits) for _, edits in edited.values())
    return (f"{why}: the stale check cannot tell whether an IdP provisioned through SCIM one of the {len(edited)} "
            f"member(s) {count} action(s) of this run edit through REST since the plan; give --scim-base-url and "
            "SIGMA_SCIM_TOKEN to check it")


def stale_resume_way_out(plan: Plan, plan_path: str | Path, resumed: RunRow | None) -> str:
    """What a stale ``--resume`` of the interrupted or killed run ``resumed`` adds to its refusal
    (:func:`planner.execute.stale.stale_message`): a --resume of it cannot run, so the re-plan takes it over with the
    run closed in the policy (:func:`planner.rules.unfinished_runs.closing_entry`; tester14b #1: the re-plan was held
    until the run was resumed). ``""`` for every other apply (``resumed`` ``None``, or a run that ended reported)."""
    if resumed is None or how_it_ended(resumed) not in INTERRUPTED_ENDS:
        return ""
    from ..rules.unfinished_runs import closing_entry  # the policy's models are not loaded for apply

    return (f": `sigma-migrate plan ... --applied {plan_path}` with run {resumed.run_id} closed in the policy, "
            f"{closing_entry(plan.digest, resumed.run_id)} (this --resume cannot finish it; the re-plan decides what "
            "it left)")


def token_revocation(plan: Plan, plan_path: Path, journal: Journal | None,
                     undone_plan_journal: Path | None) -> Revocation:
    """What names a SCIM token refused at apply's preflight (:func:`planner.execute.scim_token.revocation`): an
    earlier run of this plan (its ``journal``) deactivated an admin or changed their account type; for an undo
    plan, the apply it reverses did (``undone_plan_journal``, beside the plan it applied), and the line adds how
    to undo what REST can without SCIM."""
    if undone_plan_journal is None:
        return revocation(plan, journal.rows() if journal is not None else {}, str(journal_path(plan_path)))
    undone_path = undone_plan_journal.with_name(undone_plan_journal.name.removesuffix(".journal.sqlite"))
    try:
        undone = read_plan(undone_path, with_policy=True)
    except UserError:
        return lambda refusal, rest: None
    named = revocation(undone, read_journal_file(undone_plan_journal)[2], str(undone_plan_journal))

    def line(refusal: str, rest: MemberReader | None) -> str | None:
        cause = named(refusal, rest)
        return cause and (f"{cause}; this undo plan needs SCIM too: that undo with --rest-base-url and "
                          "--scim-base-url keeps what REST can reverse")

    return line


class RevokedToken:
    """Whether SCIM refuses the token because this run deactivated an admin or changed their account type
    (:mod:`planner.execute.scim_token`, docs/sigma-api.md §5.1; tester12 finding 6), found at the first
    sign: a SCIM action refused 401 during the run (:meth:`reason`, the runner's ``auth_reason``: the run
    stops, its skipped actions journaled with the line), or, the run done, one authenticated SCIM read
    (:meth:`after_run`) when it wrote such a change. :attr:`line`: the :func:`revoked_token_line`, ``None``
    while SCIM takes the token."""

    def __init__(self, plan: Plan, risks: Mapping[str, TokenRisk], journal: Journal, redactor: Redactor) -> None:
        self.plan, self.risks, self.journal, self.redactor = plan, risks, journal, redactor
        self.line: str | None = None

    def _line(self, refusal: str, rows: Mapping[str, JournalRow]) -> str | None:
        suspects = done_risks(self.risks, rows)
        if suspects:
            self.line = revoked_token_line(self.redactor(refusal), suspects, self.plan, str(self.journal.path),
                                           "this run")
        return self.line

    def reason(self, exc: AuthError) -> str | None:
        """The stop reason of a run whose SCIM request ``exc`` was refused 401 after a written risk; ``None``
        for another refusal (``authentication refused: ...``)."""
        if exc.api != "scim" or not self.risks or self.line is not None:
            return self.line
        return self._line(str(exc), self.journal.rows())

    def after_run(self, clients: Clients, results: Mapping[str, ActionResult]) -> str | None:
        """The line when this run wrote a risk and SCIM now refuses the token (``GET /Users?count=1``, one
        read, only then), or the line :meth:`reason` found; ``None`` otherwise."""
        if self.line is not None or clients.scim is None:
            return self.line
        written = {aid for aid, r in results.items() if aid in self.risks and r.outcome == "written"}
        if not written:
            return None
        try:
            clients.scim.check_access()
        except AuthError as exc:
            rows = self.journal.rows()
            return self._line(str(exc), {aid: rows[aid] for aid in written})
        except ApiError:
            return None
        return None


def verified_actions(mode: str, actions: Sequence[Action], results: Mapping[str, ActionResult]) -> list[Action]:
    """The actions a run's verification re-reads: a ``--resume`` re-reads those it wrote or observed
    (done or failed in this run, :class:`~planner.execute.runner.ActionResult`), not the ones an earlier run
    did and verified (tester8 finding 14: a resume of 1 action re-read 27,353 in 264 s); a resume that ran
    none (its run was killed once every action was done), and every other run, re-reads all of ``actions``.
    ``sigma-migrate verify`` re-reads the whole plan."""
    if mode != "resume":
        return list(actions)
    ran = [a for a in actions if a.id in results and results[a.id].state in ("done", "failed")]
    return ran or list(actions)


def verifying_line(plan_path: str | Path, checked: int, actions: int) -> str:
    """What apply says as its verification starts: ``Verifying: re-reading the targets of 196 action(s)``,
    or for a resume that re-reads only its own (:func:`verified_actions`): ``Verifying the 6 action(s) of
    this run; `sigma-migrate verify plan.json` checks the whole plan``."""
    if checked < actions:
        return (f"Verifying the {checked} action(s) of this run; `sigma-migrate verify {plan_path}` "
                "checks the whole plan")
    return f"Verifying: re-reading the targets of {actions} action(s)"


def run_status(states: Sequence[str], verification: Verification | None, stop_reason: str | None) -> str:
    """The status of a run (:class:`ApplyReport`) from the journal states of its actions after it and its
    verification (``None``: it was interrupted, tester8 finding 15): ``stopped`` (the breaker or the
    credentials stopped it), ``converged``, ``unverified`` (every action done; objects that could not be
    read, or no verification at all), else ``incomplete``."""
    if stop_reason:
        return "stopped"
    all_done = all(state == "done" for state in states)
    if verification is None:
        return "unverified" if all_done else "incomplete"
    if converged(states, verification):
        return "converged"
    if all_done and all(o.converged or o.unverified for o in verification.objects):
        return "unverified"
    return "incomplete"


def _finish_run(plan_path: Path, plan: Plan, approval: Approval | None, actions: Sequence[Action], wave: Wave,
                journal: Journal, finished: RunFinished, verification: Verification | None) -> ApplyReport:
    """Record the end of a run whose actions have all finished (:meth:`Journal.finish_run`, its status by
    :func:`run_status`) and return its report; ``verification`` ``None``: Ctrl-C stopped it."""
    in_wave = set(wave.action_ids)
    rows = journal.rows()
    counts = {s: 0 for s in ("done", "failed", "skipped", "pending", "running")}
    for aid in wave.action_ids:
        counts[rows[aid].state] = counts.get(rows[aid].state, 0) + 1
    left = plan_left(plan.actions, {aid for aid, row in rows.items() if aid not in in_wave and row.state != "done"})
    results = finished.results
    writes = sum(1 for r in results.values() if r.outcome == "written")
    status = run_status([rows[a.id].state for a in actions], verification, finished.stop_reason)
    journal.finish_run(status, counts)
    return ApplyReport(
        plan_path=str(plan_path), digest=plan.digest, mode=finished.mode, approval=approval, status=status,
        started_at=finished.started_at, finished_at=utc_now(), seconds=time.monotonic() - finished.t0,
        results=results, journal_rows=rows, verification=verification, counts=counts, writes=writes,
        stop_reason=finished.stop_reason, run_id=finished.run_id, wave=wave.label, wave_actions=wave.action_ids,
        plan_left=left.count, plan_left_by_kind=left.by_kind, plan_actions=left.plan_actions,
        selection=selection_words(wave), left=what_is_left(actions, rows, results),
        token_revoked=finished.token_revoked,
    )


def interrupted_verification_line(plan_path: str | Path, report: ApplyReport) -> str:
    """What Ctrl-C during the verification says (tester8 finding 15), the run recorded and its result file
    written: ``interrupted during verification: every action is done; run `sigma-migrate verify
    plan.json``` (run status ``unverified``), or, when actions failed or were skipped, how many and the
    ``--resume`` that runs them again (status ``incomplete`` or ``stopped``)."""
    c = report.counts
    if report.status == "unverified":
        head = (f"interrupted during verification: every action {'of the wave ' if report.plan_left else ''}is done; "
                f"run `sigma-migrate verify {plan_path}`")
    elif report.left.plan_again_only:
        head = f"interrupted during verification: {plan_again_line(report.left, plan_path)}"
    else:
        head = (f"interrupted during verification: {c.get('failed', 0)} action(s) failed and {c.get('skipped', 0)} "
                f"skipped; run `{resume_command(plan_path, report.selection)}` to continue")
    return head


def unverified_actions(verification: Verification) -> dict[str, str]:
    """``{action_id: problem}`` of every action the verification found not satisfied, the problem one
    line: ``not as planned at verification: isArchived: False, planned True`` (or, for a target gone
    or an action that cannot be checked, the error). A check whose read failed after the retries
    (:attr:`~planner.execute.verify.ActionCheck.unreadable`) is not here: nothing says the action's
    write is undone, so it stays ``done`` and the object is "could not verify"."""
    out: dict[str, str] = {}
    for o in verification.objects:
        for c in o.checks:
            if not c.satisfied and not c.unreadable:
                problem = f"cannot read: {c.error}" if c.error else "; ".join(c.differences) or "not as planned"
                out[c.action_id] = f"not as planned at verification: {problem}"
    return out


def list_members_if_many(plan: Plan, clients: Clients) -> list[MemberRecord] | None:
    """Every member (one paged listing, docs/sigma-api.md §2.3) when the stale check reads at least
    :data:`planner.execute.stale.BULK_MEMBER_READS` members, or the impostor check looks up that
    many planned addresses (:func:`~planner.execute.stale.planned_addresses`); the run's member
    checks then use it too (:class:`MemberIndex`).
    ``None`` otherwise (members are read one by one)."""
    if clients.rest is None:
        return None
    if (len(plan.fingerprints.members()) >= BULK_MEMBER_READS
            or len(planned_addresses(plan.actions)) >= BULK_MEMBER_READS):
        return clients.rest.list_members()
    return None


def resume_line(plan_path: str | Path, run: RunRow, rows: Mapping[str, JournalRow], action_ids: Sequence[str]) -> str:
    """What ``--resume`` says before it starts: the run it continues, how many of the run's actions
    (``action_ids``: the selection, the same as the run's) are still to run, by state, and how many are
    done, e.g. ``Resuming run 1 (--only group:Finance): 18 of 20 action(s) still to run (18 not started),
    2 already done``; counts over this selection only (tester7 NEW-2)."""
    counts = dict.fromkeys(("pending", "running", "done", "failed", "skipped"), 0)
    for aid in action_ids:
        state = rows[aid].state if aid in rows else "pending"
        counts[state] = counts.get(state, 0) + 1
    head = f"Resuming run {run.run_id} ({selection_text(plan_path, run)})"
    left = len(action_ids) - counts["done"]
    if not left:
        return f"{head}: nothing left to run, all {counts['done']} action(s) already done; verifying"
    labels = (("pending", "not started"), ("running", "interrupted mid-action"),
              ("failed", "failed earlier"), ("skipped", "skipped earlier"))
    detail = ", ".join(f"{counts[state]} {label}" for state, label in labels if counts[state])
    return f"{head}: {left} of {len(action_ids)} action(s) still to run ({detail}), {counts['done']} already done"


def write_results(plan: Plan, report: ApplyReport, redactor: Redactor, *, html: bool = True) -> None:
    """Write ``<plan>.result.json`` and (``html``) ``<plan>.result.html``; set their paths on ``report``."""
    document = redactor.value(report.to_dict(plan))
    path = write_record(result_path(report.plan_path, report.run_id),
                        json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n")
    report.result_file = str(path)
    if html:
        from ..result_file import result_record
        from .result_html import write_result_html

        report.html_file = str(write_result_html(plan, result_record(document),
                                                 result_html_path(report.plan_path, report.run_id)))


# --------------------------------------------------------------------------- dry run


EXIT_DRY_RUN_REFUSED = 1
"""Exit status of ``apply --dry-run`` when apply would refuse the plan (not approved, approved for
another target, blocking review items, rolled back by an applied undo plan): the status apply itself would exit with."""


@dataclass(frozen=True)
class DryRun:
    """What ``apply --dry-run`` prints (``lines``) and why apply would refuse the plan (not approved,
    another target, blocking items, an unfinished run of it, a rollback by an applied undo plan; ``refusals``,
    one line each, also printed as ``# note: ...``; empty: apply would go ahead)."""

    lines: tuple[str, ...]
    refusals: tuple[str, ...]

    @property
    def exit_code(self) -> int:
        return EXIT_DRY_RUN_REFUSED if self.refusals else 0


def dry_run_lines(plan_path: str | Path, options: ApplyOptions = ApplyOptions()) -> list[str]:
    """:func:`dry_run`'s lines."""
    return list(dry_run(plan_path, options).lines)


def dry_run(plan_path: str | Path, options: ApplyOptions = ApplyOptions()) -> DryRun:
    """The requests apply would send to make the plan's changes, in order, tokens redacted: the actions that may
    revoke the SCIM token (:func:`planner.execute.scim_token.token_risks`) and their dependents last, as the
    runner sends them (:func:`planner.execute.runner.sent_last`), after a ``# last:`` note.

    Reads the plan file, its approval and its journal (read-only: an unfinished run refuses apply,
    :func:`planner.execute.resume.check_unfinished_run`): no credential is needed, nothing is sent or
    written. It refuses as apply does when a base URL the plan needs is missing
    or unsafe (:func:`required_targets`, :class:`TargetError`). Paths are built by
    the functions the clients use (:mod:`planner.execute.paths`), so an id is
    percent-encoded exactly as it will be sent. Ids Sigma has not assigned yet
    appear as ``{id of userName '...'}``. Apply checks every object first and
    skips requests whose change is already made, so the real run sends at most
    these writes (plus reads).
    """
    plan_path = Path(plan_path)
    plan = read_plan(plan_path, with_policy=True)
    targets, apis = required_targets(plan, options.rest_base_url, options.scim_base_url, str(plan_path))
    redactor = Redactor(Credentials.from_env(options.environ).secrets())
    approval = read_approval(plan_path)
    lines = [f"# dry run of {plan_path.name} ({plan.digest}): nothing is sent, nothing is written"]
    refusals = []
    if approval is None or approval.digest != plan.digest:
        refusals.append("this plan is not approved; apply will refuse it until `sigma-migrate approve`")
    else:
        try:
            check_approved_target(approval, plan, targets, plan_path)
        except ApplyRefused as exc:
            refusals.append(f"apply will refuse: {exc}")
    if plan.blocking_items:
        refusals.append(f"{len(plan.blocking_items)} blocking review item(s); apply will refuse this plan")
    target = normal_base_url(targets.rest_base_url) if targets.rest_base_url else None  # as apply's (rehearse20)
    for check in (check_scim_organization_checkable, check_reverses_something,
                  lambda plan, plan_path: check_basis_current(plan, plan_path, target=target)):
        try:
            check(plan, plan_path)
        except ApplyRefused as exc:
            refusals.append(f"apply will refuse: {exc}")
    wave = select(plan, options.only, options.limit)
    journal_digest, runs, rows = read_journal(plan_path)
    try:  # in apply's order: a rolled-back plan's unfinished run is never resumed either
        check_not_reversed(plan_path, plan, target=target)  # apply's one line, in every mode; a copy's too (the state index)
        check_journal_home(plan_path, plan.digest, target=target)
        if journal_digest == plan.digest:
            check_unfinished_run(plan_path, runs, rows, wave, resume=options.resume,
                                 closures=read_closures(journal_path(plan_path)))
    except ApplyRefused as exc:
        refusals.append(f"apply will refuse: {exc}")
    lines += [f"# note: {r}" for r in refusals]
    changed_policy = policy_file_note(plan)
    if changed_policy:
        lines.append(f"# note: {changed_policy}")
    if "rest" in apis:
        lines += [
            "",
            "# REST authentication (docs/sigma-api.md §1.1)",
            f"POST {targets.rest_base_url}{TOKEN_PATH}",
            "Content-Type: application/x-www-form-urlencoded",
            "grant_type=client_credentials&client_id=***&client_secret=***",
            "",
            f"# pre-flight read (docs/apply.md \"Preflight\"): {credential_owner_expectation(plan)}",
            f"GET {targets.rest_base_url}{WHOAMI_PATH}",
            "Authorization: Bearer ***",
        ]
    if not wave.is_whole_plan:
        lines.append(f"# wave {wave.label}: {len(wave.action_ids)} of {len(plan.actions)} action(s)")
    in_wave = set(wave.action_ids)
    shown = [a for a in with_user_names(plan.actions) if a.id in in_wave]
    risks = token_risks(plan, shown)
    late = sent_last(shown, dependency_graph(shown), lambda action: action.id in risks)
    if late:  # as the runner sends them: what may revoke the SCIM token after every other write
        shown = [a for a in shown if a.id not in late] + [a for a in shown if a.id in late]
        lines.append(f"# last: {len(late)} action(s) that deactivate an admin or change their account type, and "
                     "those that depend on them, after every other: if that admin set SCIM up, the SCIM token dies "
                     "with the change (docs/sigma-api.md §5.1)")
    for n, action in enumerate(shown, 1):
        handler = handler_for(action)
        lines.append("")
        lines.append(f"# {n}/{len(shown)} {action.id} {action.kind.value} {subject_of(action)}: {action.reason}")
        try:
            requests = handler.requests(action)
        except (ActionInputError, PathSegmentError) as exc:
            lines.append(f"# cannot be sent, apply will fail this action: {exc}")
            continue
        for req in requests:
            lines.extend(_render(req, targets))
    return DryRun(tuple(redactor(line) for line in lines), tuple(redactor(r) for r in refusals))


def _render(req: HttpRequest, targets: Targets) -> list[str]:
    base = targets.rest_base_url if req.api == "rest" else targets.scim_base_url
    out = [f"{req.method} {base}{req.path}", "Authorization: Bearer ***"]
    if req.body is not None:
        out.append(f"Content-Type: {SCIM_MEDIA_TYPE if req.api == 'scim' else 'application/json'}")
        out.append(json.dumps(req.body, indent=2, sort_keys=True, ensure_ascii=False))
    return out


__all__ = [
    "ApplyOptions",
    "BY_KIND_COLUMNS",
    "ApplyReport",
    "EXIT_INCOMPLETE",
    "EXIT_UNVERIFIED",
    "EXIT_PLAN_AGAIN",
    "HANDLERS",
    "DryRun",
    "EXIT_DRY_RUN_REFUSED",
    "PlanLeft",
    "apply_plan",
    "dry_run",
    "dry_run_lines",
    "plan_left",
    "preflight",
    "required_targets",
    "resume_line",
    "result_html_path",
    "result_path",
]
