"""``sigma-migrate verify PLAN``: is Sigma still as the applied plan left it? Read-only, any time later.

Unlike the verification at the end of ``apply`` (which trusts Sigma's answers to that run's
writes), this reads every object live (:func:`planner.execute.verify.verify` with no index):
each action's handler re-reads its target and says whether it is as the action's ``after``
says. Objects are grouped as apply groups them (``user:<userName>``, ``member:<memberId>``,
``team:<teamId>``) and each is ``converged``, ``drifted`` (it exists, something differs) or
``missing`` (the user, group, member or team is gone).

Which actions are checked: those some run of the journal beside the plan ran (state other
than ``pending``: so a plan applied in waves is checked wave by wave, and actions no wave ran
yet are listed as not applied, never as drift); every action when there is no journal. An
action the journal records as ``failed`` (or ``skipped``) is listed as failed with the journal's
error and makes the plan not converged, as it made ``apply`` say "incomplete": both judge with
:func:`planner.execute.verify.converged`. A journal made for another plan digest refuses (one
line). With a journal, each run (wave) gets a status by the same rule over its own actions.

A run that was interrupted (Ctrl-C, SIGTERM) or killed (no end recorded) with actions of its
selection not done (:func:`planner.execute.resume.unfinished_run`, the rule apply refuses by) is named (:class:`UnfinishedRun`: when, how many actions in flight and not
started, the ``--resume`` command that finishes it) and the verdict says ``INTERRUPTED``. Its
actions left ``running`` (in flight when it stopped) are checked against Sigma like the others
(:class:`InFlightAction`): ``done-unrecorded`` when the target is as planned (the write landed,
its end was not journaled), ``not done`` otherwise; neither is a failure nor drift.

An object whose read still failed after the retries (429, 5xx, network) is ``unverified``
("could not verify"), neither converged nor drifted.

A plan applied in waves has actions no run ran yet (:attr:`PlanVerification.plan_left`, the
:class:`planner.execute.apply.PlanLeft` apply's wave result says too): the plan is not converged
though every object the applied actions touch is (``applied actions converged``), and verify says how
many are not applied yet and which command applies them (leftovers15: ``verify --json`` said
``converged: true``, exit 0, after one wave).

Exit status (:data:`EXIT_CONVERGED`, :data:`EXIT_DRIFT`, :data:`EXIT_INTERRUPTED`, :data:`EXIT_UNVERIFIED`,
:data:`EXIT_NOT_APPLIED`): 0 converged (every action of the plan applied and as planned); 2 not converged
(drifted or missing objects, failed actions); 3 nothing failed or
differs, but the last run was interrupted or killed before it finished (as apply's 3, ``--resume``
finishes it); 4 nothing differs but objects could not be read; 6 every object the applied actions touch
converged, and actions of the plan are not applied yet (a later wave, or ``apply PLAN``, applies them); 1 refused (no credentials,
unreadable plan, foreign journal, a plan an applied undo plan rolled back: its journal records the undo's run, so
Sigma is as the undo left it, which ``verify`` of the undo plan checks; tester12 #2: every reversed action was
called drift).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Callable, Collection, Mapping, Sequence

from ..model import Plan
from ..planfile import plan_policy, read_plan
from .actions import Clients, attributes_owned_elsewhere, with_user_names
from .apply import ApplyOptions, PlanLeft, build_clients, plan_left, preflight
from .approve import read_approval
from .errors import ApplyRefused
from .history import check_journal_home
from .journal import JournalRow, RunRow, journal_path, read_closures, read_journal
from .reversals import check_verifiable
from .resume import INTERRUPTED_ENDS, how_it_ended, left_of, resume_command, unfinished_run
from .runner import _RetryCounter
from .scim_token import revocation
from .progress import subject_of
from .targets import Redactor, history_target, resolve_targets
from .verify import ObjectCheck, Verification, converged, verify

EXIT_CONVERGED = 0
EXIT_DRIFT = 2
EXIT_INTERRUPTED = 3
"""Nothing failed or differs, but the last run stopped before it finished (:class:`UnfinishedRun`), as
apply's 3 ("ran but did not converge": ``--resume`` finishes it)."""
EXIT_UNVERIFIED = 4
"""Nothing read differs from the plan and no action failed, but objects could not be read (as apply's 4)."""
EXIT_NOT_APPLIED = 6
"""Every object the applied actions touch converged, but actions of the plan are not applied yet
(:attr:`PlanVerification.plan_left`: a plan applied in waves, before its last)."""


@dataclass(frozen=True)
class InFlightAction:
    """An action the journal left ``running`` (in flight when its run stopped), checked against Sigma:
    ``written`` when its target is as planned (``done-unrecorded``: the write landed, its end was not
    journaled), else ``not done``."""

    action_id: str
    label: str
    written: bool

    @property
    def state(self) -> str:
        return "done-unrecorded" if self.written else "not done"


@dataclass(frozen=True)
class UnfinishedRun:
    """The plan's unfinished run (:func:`planner.execute.resume.unfinished_run`; the journal's last run
    unless the journal is older than that rule) when it was interrupted or killed: ``ended`` (``interrupted``, or ``killed``: no end recorded), ``at`` (when it recorded its end;
    for a killed run when it started), ``in_flight`` (actions left ``running``), ``not_started``
    (actions of its selection still ``pending``), and the ``--resume`` command that finishes it."""

    run_id: int
    wave: str
    ended: str
    at: str
    in_flight: int
    not_started: int
    resume: str
    last: bool = True
    """Whether it is the journal's last run (a journal written before apply refused every other run
    while one was unfinished may have later ones)."""

    @property
    def summary(self) -> str:
        """``run 2 did not finish: 4 action(s) in flight, 180 not started`` (the verdict's part)."""
        return f"run {self.run_id} did not finish: {self.in_flight} action(s) in flight, {self.not_started} not started"

    def line(self, plan: str = "", drifted: int = 0) -> str:
        """``The last run (run 2) was interrupted at <time>: 4 action(s) in flight, 180 not started;
        `sigma-migrate apply plan.json --resume` finishes it`` (a killed run: ``recorded no end (killed,
        or still running; started at <time>)``). With ``drifted`` objects (what the runs of ``plan`` wrote that Sigma
        no longer shows: :attr:`PlanVerification.drifted`), no ``--resume``: apply refuses one that finds a done
        action undone (:func:`planner.execute.stale.undone_message`), so the way out is a new plan: ``...; 86
        object(s) the runs of this plan wrote are no longer as they left them (drifted or missing, above): apply
        refuses a --resume over actions it finds undone; fetch, plan again with --applied plan.json, review and
        approve the new plan`` (tester19 finding 8: verify advised the --resume apply had just refused)."""
        wave = f", wave {self.wave}" if self.wave else ""
        how = (f"was interrupted at {self.at}" if self.ended == "interrupted"
               else f"recorded no end (killed, or still running; started at {self.at})")
        who = (f"The last run (run {self.run_id}{wave})" if self.last
               else f"Run {self.run_id}" + (f" (wave {self.wave})" if self.wave else ""))
        head = f"{who} {how}: {self.in_flight} action(s) in flight, {self.not_started} not started; "
        if drifted:
            return (f"{head}{drifted} object(s) the runs of this plan wrote are no longer as they left them (drifted "
                    "or missing, above): apply refuses a --resume over actions it finds undone; fetch, plan again "
                    f"with --applied {plan}, review and approve the new plan")
        return f"{head}`{self.resume}` finishes it"


def interrupted_run(plan_path: str | Path, runs: Sequence[RunRow], rows: Mapping[str, JournalRow],
                    closed: Collection[int] = ()) -> UnfinishedRun | None:
    """The plan's unfinished run (:func:`planner.execute.resume.unfinished_run`, the rule apply
    refuses by) when it was interrupted or killed; ``None`` otherwise (no unfinished run, or one that
    ended incomplete or stopped: those are failed actions, already counted; or one a policy closed, a run id of
    ``closed``, the journal's ``closures``: no --resume finishes it, a re-plan took it over; tester14b #1)."""
    run = unfinished_run(runs, rows)
    if run is None or how_it_ended(run) not in INTERRUPTED_ENDS or run.run_id in closed:
        return None
    left = left_of(run, rows)
    return UnfinishedRun(run.run_id, run.wave, how_it_ended(run), run.finished_at or run.started_at,
                         left.get("running", 0), left.get("pending", 0),
                         resume_command(plan_path, run.selection or ()), last=not runs or run is runs[-1])


@dataclass(frozen=True)
class WaveStatus:
    """One apply run of the plan: its number, wave label (``""``: the whole plan), how many of its
    actions were checked, whether every object they touch converged, how many of its actions the
    journal records as not done (``failed``) and how many objects drifted (:func:`drifted_objects`)."""

    run_id: int
    wave: str
    checked: int
    converged: bool
    failed: int = 0
    drifted: int = 0
    unverified: int = 0
    interrupted: str = ""
    """:attr:`UnfinishedRun.summary` when this run is the one interrupted, else ``""``."""

    @property
    def verdict(self) -> str:
        """:func:`verdict` of this run."""
        return verdict(self.failed, self.drifted, self.unverified, self.interrupted)


@dataclass(frozen=True)
class FailedAction:
    """An action a run did not finish: its id, ``label`` (``<kind> <subject>``), journal ``state``
    (``failed`` or ``skipped``) and the journal's ``error``."""

    action_id: str
    label: str
    state: str
    error: str


@dataclass(frozen=True)
class PlanVerification:
    """What ``verify`` found: the objects (:class:`Verification`), the actions not applied yet,
    the actions a run failed (:class:`FailedAction`), the per-wave status, and where the journal
    was (``None``: none, every action checked); the last run when it was interrupted or killed
    (:class:`UnfinishedRun`) and its actions left in flight (:class:`InFlightAction`)."""

    plan: str
    digest: str
    verification: Verification
    not_applied: tuple[str, ...]
    waves: tuple[WaveStatus, ...]
    journal: str | None
    failed: tuple[FailedAction, ...] = ()
    unfinished: UnfinishedRun | None = None
    in_flight: tuple[InFlightAction, ...] = ()
    plan_left: PlanLeft = PlanLeft(0, {})
    """The actions of the plan no run ran yet (:attr:`not_applied`), by kind, and the plan's size."""

    @property
    def applied_converged(self) -> bool:
        """:func:`planner.execute.verify.converged` over the checked actions (those some run ran), and no run left
        unfinished: every object the applied actions touch is as planned."""
        return (self.unfinished is None and not self.in_flight
                and converged((f.state for f in self.failed), self.verification))

    @property
    def converged(self) -> bool:
        """Whether the plan converged: :attr:`applied_converged` and no action of the plan left not applied
        (:attr:`plan_left`), as :attr:`planner.execute.apply.ApplyReport.plan_converged` judges apply's."""
        return self.applied_converged and not self.plan_left.count

    @property
    def exit_code(self) -> int:
        """:data:`EXIT_CONVERGED`, else :data:`EXIT_DRIFT` (failed actions, drift), :data:`EXIT_INTERRUPTED`,
        :data:`EXIT_NOT_APPLIED` (the applied actions converged, the rest not applied yet), :data:`EXIT_UNVERIFIED`."""
        if self.converged:
            return EXIT_CONVERGED
        if self.failed or self.drifted:
            return EXIT_DRIFT
        if self.unfinished is not None or self.in_flight:
            return EXIT_INTERRUPTED
        return EXIT_NOT_APPLIED if self.applied_converged else EXIT_UNVERIFIED

    @property
    def next_step_lines(self) -> list[str]:
        """What applies the rest: :meth:`PlanLeft.line` when actions of the plan are not applied yet and what was
        applied converged or could only not be read (as apply's :func:`~planner.execute.apply.next_step_lines` says
        it after a wave), else nothing (failed actions, drift or an unfinished run come first)."""
        if not self.plan_left.count or self.failed or self.drifted or self.unfinished is not None or self.in_flight:
            return []
        return [self.plan_left.line(self.plan)]

    @property
    def drifted(self) -> tuple[ObjectCheck, ...]:
        """The objects that differ from the plan's after-state on an action's word that ran
        (:func:`drifted_objects`)."""
        return drifted_objects(self.verification, {f.action_id for f in self.failed} | {a.action_id for a in self.in_flight})

    @property
    def verdict(self) -> str:
        """:func:`verdict` of the plan so far; ``applied actions converged`` in place of ``converged`` while actions
        of the plan are not applied yet."""
        said = verdict(len(self.failed), len(self.drifted), len(self.verification.unverified),
                       self.unfinished.summary if self.unfinished else "")
        return "applied actions converged" if said == "converged" and self.plan_left.count else said

    def to_dict(self) -> dict[str, Any]:
        """The ``--json`` document: ``converged`` is the plan's (:attr:`converged`), ``applied_converged`` and
        ``verdict`` what the applied actions touch; ``plan_actions``, ``plan_left``, ``plan_left_by_kind`` and
        ``next_step_lines`` as apply's ``--json`` names them."""
        states = [o.state for o in self.verification.objects]
        return {
            "plan": self.plan,
            "digest": self.digest,
            "journal": self.journal,
            "converged": self.converged,
            "applied_converged": self.applied_converged,
            "plan_actions": self.plan_left.plan_actions,
            "plan_left": self.plan_left.count,
            "plan_left_by_kind": dict(self.plan_left.by_kind),
            "next_step_lines": self.next_step_lines,
            "verdict": self.verdict,
            "counts": {"objects": len(states), **{s: states.count(s) for s in ("converged", "drifted", "missing", "unverified")},
                       "not_applied": len(self.not_applied), "failed": len(self.failed),
                       "in_flight": len(self.in_flight)},
            "objects": self.verification.to_dict()["objects"],
            "not_applied": list(self.not_applied),
            "failed": [{"action": f.action_id, "label": f.label, "state": f.state, "error": f.error}
                       for f in self.failed],
            "in_flight": [{"action": a.action_id, "label": a.label, "state": a.state} for a in self.in_flight],
            "unfinished_run": None if self.unfinished is None else {
                "run": self.unfinished.run_id, "wave": self.unfinished.wave, "ended": self.unfinished.ended,
                "at": self.unfinished.at, "in_flight": self.unfinished.in_flight,
                "not_started": self.unfinished.not_started, "resume": self.unfinished.resume},
            "waves": [{"run": w.run_id, "wave": w.wave, "checked": w.checked, "converged": w.converged,
                       "verdict": w.verdict}
                      for w in self.waves],
        }


def with_approved_target(plan_path: Path, plan: Plan, options: ApplyOptions) -> ApplyOptions:
    """``options`` with each base URL taken from the flags, else the policy's ``targets``, else the
    target the approval recorded (``approve --rest-base-url/--scim-base-url``): the plan was applied
    there, so ``verify plan.json`` reads the same organization without flags."""
    targets = resolve_targets(plan_policy(plan, plan_path).targets,
                              options.rest_base_url, options.scim_base_url)
    approval = read_approval(plan_path)
    approved = approval.target if approval is not None else None
    if approved is None:
        return options
    return replace(options, rest_base_url=targets.rest_base_url or approved.rest_base_url,
                   scim_base_url=targets.scim_base_url or approved.scim_base_url)


def verify_plan(plan_path: str | Path, options: ApplyOptions = ApplyOptions(),
                echo: Callable[[str], None] = lambda line: None) -> PlanVerification:
    """Read Sigma live and compare it with the end state of the plan's applied actions.

    Raises :class:`planner.errors.UserError` subclasses (one line, nothing written): an
    unreadable or tampered plan, a journal of another plan, a plan an applied undo plan rolled back
    (:func:`planner.execute.reversals.check_verifiable`: nothing is read), a copy of an applied plan, or one whose
    journal is gone (:func:`planner.execute.history.check_journal_home`: its history is elsewhere), missing or refused credentials (a
    SCIM token refused after the journal's own writes deactivated an admin or changed their account type names
    them: :func:`planner.execute.scim_token.revocation`), an API that cannot be read.
    """
    plan_path = Path(plan_path)
    plan = read_plan(plan_path, with_policy=True)
    digest, runs, rows = read_journal(plan_path)
    if digest is not None and digest != plan.digest:
        raise ApplyRefused(f"{journal_path(plan_path)}: journal belongs to plan {digest}, not {plan.digest}; "
                           "verify the plan that journal applied")
    options = with_approved_target(plan_path, plan, options)
    # the history of the Sigma verify reads: a copy rehearsed in the sandbox is another Sigma's (rehearse20)
    target = history_target(plan_policy(plan, plan_path).targets, options.rest_base_url)
    check_verifiable(plan_path, plan, target)  # an applied undo plan rolled it back: verify the undo plan
    check_journal_home(plan_path, plan.digest, "verify", target)  # a copy of an applied plan: verify it where its journal is
    actions = with_user_names(plan.actions)
    if digest is not None:
        checked = [a for a in actions if rows.get(a.id) is not None and rows[a.id].state != "pending"]
    else:
        checked = list(actions)
    checked_ids = {a.id for a in checked}
    not_applied = tuple(a.id for a in actions if a.id not in checked_ids)
    failed = tuple(FailedAction(a.id, f"{a.kind.value} {subject_of(a)}", rows[a.id].state, rows[a.id].error or "")
                   for a in checked if digest is not None and rows[a.id].state in ("failed", "skipped"))
    redactor = Redactor()
    clients: Clients = build_clients(plan, options, redactor, _RetryCounter())
    clients.owned_elsewhere = attributes_owned_elsewhere(actions)  # as apply checks them
    try:
        preflight(clients, redactor, revocation(plan, rows, str(journal_path(plan_path))))
        echo(f"Verifying: reading the targets of {len(checked)} applied action(s) live"
             + (f" ({len(not_applied)} not applied yet)" if not_applied else ""))
        result = verify(checked, clients, parallelism=options.parallelism, redactor=redactor)  # a failed read is a check, never raised
    finally:
        for c in (clients.rest, clients.scim):
            if c is not None:
                c.close()
    unfinished = interrupted_run(plan_path, runs, rows, read_closures(journal_path(plan_path)))
    waves = tuple(_wave_status(r.run_id, r.wave, r.wave_actions, result, rows,
                               unfinished.summary if unfinished and unfinished.run_id == r.run_id else "")
                  for r in runs if r.wave_actions is not None)
    return PlanVerification(str(plan_path), plan.digest, result, not_applied, waves,
                            str(journal_path(plan_path)) if digest is not None else None, failed,
                            unfinished, in_flight_actions(checked, rows, result),
                            plan_left(plan.actions, frozenset(not_applied)))


def in_flight_actions(checked: Sequence[Any], rows: Mapping[str, JournalRow],
                      result: Verification) -> tuple[InFlightAction, ...]:
    """The checked actions the journal left ``running``, each with whether Sigma shows its write
    (every check of it satisfied)."""
    satisfied: dict[str, bool] = {}
    for o in result.objects:
        for c in o.checks:
            satisfied[c.action_id] = satisfied.get(c.action_id, True) and c.satisfied
    return tuple(InFlightAction(a.id, f"{a.kind.value} {subject_of(a)}", satisfied.get(a.id, False))
                 for a in checked if a.id in rows and rows[a.id].state == "running")


def drifted_objects(result: Verification, failed_ids: Collection[str]) -> tuple[ObjectCheck, ...]:
    """The objects not as the plan's after-state says for a reason other than a failed action: one
    check unsatisfied whose action is not in ``failed_ids`` (the journal's ``failed``, ``skipped``
    or ``running`` actions: one in flight when its run stopped may not have written yet). An object left as it was only because its own action failed (a user a
    refused create never made) is that failure, already counted, not drift; a check whose read
    failed (:attr:`~planner.execute.verify.ActionCheck.unreadable`) is "could not verify", not drift."""
    return tuple(o for o in result.objects if not o.converged
                 and any(not c.satisfied and not c.unreadable and c.action_id not in failed_ids for c in o.checks))


def verdict(failed: int, drifted: int, unverified: int = 0, interrupted: str = "") -> str:
    """The headline of a run or of the plan: ``converged``; ``FAILED: <n> action(s) failed`` when
    actions did not finish; ``DRIFTED: <n> object(s) differ from the plan`` when objects differ
    from the after-state of actions that ran; ``INTERRUPTED: run 2 did not finish: ...`` when the
    last run stopped before it finished (``interrupted``: :attr:`UnfinishedRun.summary`);
    ``COULD NOT VERIFY: <n> object(s) could not be read``; each that holds, ``; ``-separated."""
    parts = ([f"FAILED: {failed} action(s) failed"] if failed else []) + (
        [f"DRIFTED: {drifted} object(s) differ from the plan"] if drifted else []) + (
        [f"INTERRUPTED: {interrupted}"] if interrupted else []) + (
        [f"COULD NOT VERIFY: {unverified} object(s) could not be read"] if unverified else [])
    return "; ".join(parts) or "converged"


def _wave_status(run_id: int, wave: str, wave_actions: Sequence[str], result: Verification,
                 rows: Mapping[str, JournalRow], interrupted: str = "") -> WaveStatus:
    """One run by :func:`planner.execute.verify.converged` over its own actions and their objects;
    ``interrupted``: :attr:`UnfinishedRun.summary` when it is the run that stopped unfinished."""
    ids = set(wave_actions)
    objects = Verification(tuple(o for o in result.objects if any(c.action_id in ids for c in o.checks)))
    failed_ids = {aid for aid in wave_actions if aid in rows and rows[aid].state in ("failed", "skipped")}
    unfinished_ids = {aid for aid in wave_actions if aid in rows and rows[aid].state == "running"}
    states = [rows[aid].state for aid in wave_actions if aid in rows]
    return WaveStatus(run_id, wave, sum(1 for o in objects.objects for c in o.checks if c.action_id in ids),
                      converged(states, objects) and not interrupted, len(failed_ids),
                      len(drifted_objects(objects, failed_ids | unfinished_ids)), len(objects.unverified), interrupted)


def unfinished_objects(found: PlanVerification) -> tuple[int, int]:
    """``(by a failed action, in flight)``: how many objects are not as planned, not drift and not "could
    not verify", because an action of theirs failed or was skipped (:attr:`PlanVerification.failed`),
    else because their action was in flight when its run stopped (:attr:`PlanVerification.in_flight`:
    left ``running``, not failed; tester7: such an object was counted "by a failed action")."""
    failed = {f.action_id for f in found.failed}
    in_flight = {a.action_id for a in found.in_flight}
    drifted = {o.key for o in found.drifted}
    by_failure = by_in_flight = 0
    for o in found.verification.objects:
        if o.converged or o.unverified or o.key in drifted:
            continue
        open_ids = {c.action_id for c in o.checks if not c.satisfied}
        if open_ids & failed:
            by_failure += 1
        elif open_ids & in_flight:
            by_in_flight += 1
    return by_failure, by_in_flight


def verify_lines(found: PlanVerification) -> list[str]:
    """The terminal report: one line per object that did not converge, one per failed action, one
    per wave, then the total; each wave and the total lead with :func:`verdict`; last, the unfinished run's line
    and :attr:`PlanVerification.next_step_lines` (what applies the actions of the plan not applied yet)."""
    v = found.verification
    lines = []
    for o in v.objects:
        if not o.converged:
            lines.append(f"  {o.state:<9} {o.key} ({o.label}): {'; '.join(o.problems)}")
    for f in found.failed:
        lines.append(f"  {f.state:<9} {f.action_id} ({f.label}): {f.error}")
    for a in found.in_flight:
        lines.append(f"  in flight {a.action_id} ({a.label}): {a.state}"
                     + (" (Sigma shows its write; the run stopped before journaling it)" if a.written else ""))
    for w in found.waves:
        lines.append(f"Wave {w.wave or '(whole plan)'} (run {w.run_id}): {w.verdict} ({w.checked} action(s) checked)")
    states = [o.state for o in v.objects]
    by_failure, by_in_flight = unfinished_objects(found)
    why = [f"{by_failure} of them by a failed action"] if by_failure else []
    why += [f"{by_in_flight} of them in flight when the run stopped"] if by_in_flight else []
    lines.append(f"Verify: {found.verdict}. {states.count('converged')} of {len(states)} object(s) converged, "
                 f"{states.count('drifted')} drifted, {states.count('missing')} missing"
                 + (f" ({', '.join(why)})" if why else "")
                 + (f", {len(v.unverified)} could not be read" if v.unverified else "")
                 + (f"; {len(found.not_applied)} action(s) not applied yet" if found.not_applied else ""))
    unverified = v.unverified_line(found.plan)
    if unverified:
        lines.append(unverified[0].upper() + unverified[1:])
    if found.unfinished is not None:
        lines.append(found.unfinished.line(found.plan, len(found.drifted)))
    lines.extend(found.next_step_lines)
    return lines


__all__ = ["EXIT_CONVERGED", "EXIT_DRIFT", "EXIT_INTERRUPTED", "EXIT_NOT_APPLIED", "EXIT_UNVERIFIED", "FailedAction", "InFlightAction",
           "UnfinishedRun", "interrupted_run", "PlanVerification", "WaveStatus", "drifted_objects", "verdict",
           "verify_lines", "verify_plan"]
