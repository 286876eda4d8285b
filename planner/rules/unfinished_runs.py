"""A re-plan over a run that did not finish is held (tester12 #12): ``plan --applied PLAN`` whose run was interrupted
(Ctrl-C, SIGTERM) or killed with actions of its selection not done.

Such a run is waiting for its ``--resume`` (the rule apply refuses every other apply of the plan by,
:func:`planner.execute.resume.unfinished_run`). A re-plan that takes over from it plans the run's remaining work
again; once the re-plan is applied, that ``--resume`` is refused as stale and the run stays unfinished for good. So the
re-plan is held by one blocking ``applied.unfinished_run`` item per such run (:class:`~planner.model.AppliedUnfinished`,
read by :mod:`planner.applied`), naming the run, what it left and the three ways to end it: finish it (its
``--resume``); roll it back (``sigma-migrate undo`` of its journal, approved and applied: a plan whose journal records
an applied undo plan is never applied again, so its run is over), then plan again with ``--applied``, the undo plan
given too; or close it in the policy (``applied.closed_runs``, the item's snippet: :func:`closing_entry`), when its
``--resume`` cannot run (refused as stale: the IdP changed what it had left) or is no longer wanted: the re-plan then
takes what the run did from its journal, as for a finished run, decides what it left anew, and records the closure in
that journal, so no apply of that plan, its ``--resume`` included, finishes the run later
(:func:`planner.execute.resume.check_unfinished_run`). Was: no policy entry settled it, and a run whose --resume was
stale could be neither resumed, planned over nor undone (tester14b #1). A closed run is no item; its entry is a use
(:func:`closed_run_uses`), and an entry naming no unfinished run of a plan given is ``policy.unused_entry``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Iterable

from ..model import AppliedUnfinished, ItemRef, ReviewItem
from . import make_review, yaml_snippet

if TYPE_CHECKING:  # show and apply read CODE without the policy's models
    from .policy_entries import EntryUse

CODE = "applied.unfinished_run"
KEY = "applied.closed_runs"


def closing_entry(digest: str, run: int) -> str:
    """The ``applied.closed_runs`` entry that closes run ``run`` of the plan whose digest is ``digest``, on one line:
    ``applied.closed_runs: [{plan: "sha256:...", run: 2}]`` (the stale refusal of its ``--resume`` names it), the
    digest quoted as the item's snippet writes it (:func:`~planner.rules.yaml_snippet`)."""
    return f'{KEY}: [{{plan: "{digest}", run: {run}}}]'


def unfinished_run_item(run: AppliedUnfinished) -> ReviewItem:
    """The blocking ``applied.unfinished_run:<plan>:<run>`` item of ``run`` (module docstring), e.g. ``v1.json: run 2
    (--only group:Finance, interrupted) did not finish: 0 action(s) in flight, 1 not started; this plan would take
    over from it, and once applied that run could be neither finished (its --resume refused as stale) nor undone:
    finish it with `sigma-migrate apply v1.json --resume --only group:Finance`, or roll it back with `sigma-migrate undo
    v1.json.journal.sqlite --out undo.json` (approve and apply it), then plan again; or, if its --resume cannot run
    (refused as stale) or is not wanted, close it in the policy (applied.closed_runs: [{plan: "sha256:...", run: 2}]):
    this plan then decides what it left``; its resolution is that entry's YAML snippet."""
    journal = f"{run.plan}.journal.sqlite"
    ways = (f"finish it with `{run.resume}`, or roll it back with `sigma-migrate undo {journal} --out undo.json` "
            "(approve and apply it)")
    return make_review(
        CODE, f"{run.plan}:{run.run}", blocking=True, subject=ItemRef(action=f"run {run.run} of {run.plan}"),
        message=(f"{run.line}; this plan would take over from it, and once applied that run could be neither finished "
                 f"(its --resume refused as stale) nor undone: {ways}, then plan again; or, if its --resume cannot "
                 f"run (refused as stale) or is not wanted, close it in the policy "
                 f"({closing_entry(run.digest, run.run)}): this plan then decides what it left"),
        rule="applied.unfinished_runs",
        resolution=yaml_snippet(
            {"applied": {"closed_runs": [{"plan": run.digest, "run": run.run}]}},
            notes=[f"run {run.run} of {run.plan}: {ways}, then plan again with --applied {run.plan} (and the undo "
                   "plan, if rolled back); or close it: this plan decides what it left, and no apply of "
                   f"{run.plan} finishes that run later, its --resume included"]))


def unfinished_run_items(runs: Iterable[AppliedUnfinished]) -> list[ReviewItem]:
    """One :func:`unfinished_run_item` per run no ``applied.closed_runs`` entry closes, in the order the plans were
    given."""
    return [unfinished_run_item(r) for r in runs if r.closed_by is None]


def closed_run_uses(runs: Iterable[AppliedUnfinished]) -> list[EntryUse]:
    """The ``applied.closed_runs`` entries that closed a run of ``runs`` (:class:`~.policy_entries.EntryUse`:
    ``closed run 2 of v1.json``)."""
    from .policy_entries import EntryUse

    return [EntryUse(KEY, r.closed_by, f"closed run {r.run} of {r.plan}") for r in runs if r.closed_by is not None]


__all__ = ["CODE", "KEY", "closed_run_uses", "closing_entry", "unfinished_run_item", "unfinished_run_items"]
