"""A re-plan over a run that did not finish is held (tester12 #12): ``plan --applied PLAN`` whose run was interrupted
(Ctrl-C, SIGTERM) or killed with actions of its selection not done.

Such a run is waiting for its ``--resume`` (the rule apply refuses every other apply of the plan by,
:func:`planner.execute.resume.unfinished_run`). A re-plan that takes over from it plans the run's remaining work
again; once the re-plan is applied, that ``--resume`` is refused as stale and the run stays unfinished for good. So the
re-plan is held by one blocking ``applied.unfinished_run`` item per such run (:class:`~planner.model.AppliedUnfinished`,
read by :mod:`planner.applied`), naming the run, what it left and the two ways to end it, neither of which is a
policy entry: finish it (its ``--resume``), or roll it back (``sigma-migrate undo`` of its journal, approved and
applied: a plan whose journal records an applied undo is never applied again, so its run is over). Then plan again
with ``--applied``, the undo plan given too when it was rolled back.
"""

from __future__ import annotations

from typing import Iterable

from ..model import AppliedUnfinished, ItemRef, ReviewItem
from . import make_review, outside_policy

CODE = "applied.unfinished_run"


def unfinished_run_item(run: AppliedUnfinished) -> ReviewItem:
    """The blocking ``applied.unfinished_run:<plan>:<run>`` item of ``run`` (module docstring), e.g. ``v1.json: run 1
    (--only group:Finance, interrupted) did not finish: 0 action(s) in flight, 21 not started; this plan would take
    over from it, and once applied that run could be neither finished (its --resume refused as stale) nor undone:
    finish it with `sigma-migrate apply v1.json --resume --only group:Finance`, or roll it back with `sigma-migrate undo
    v1.json.journal.sqlite --out undo.json` (approve and apply it), then plan again``."""
    journal = f"{run.plan}.journal.sqlite"
    ways = (f"finish it with `{run.resume}`, or roll it back with `sigma-migrate undo {journal} --out undo.json` "
            "(approve and apply it)")
    return make_review(
        CODE, f"{run.plan}:{run.run}", blocking=True, subject=ItemRef(action=f"run {run.run} of {run.plan}"),
        message=(f"{run.line}; this plan would take over from it, and once applied that run could be neither finished "
                 f"(its --resume refused as stale) nor undone: {ways}, then plan again"),
        rule="applied.unfinished_runs",
        resolution=outside_policy(f"{ways}; then plan again with --applied {run.plan} (and the undo plan, if "
                                  "rolled back)"))


def unfinished_run_items(runs: Iterable[AppliedUnfinished]) -> list[ReviewItem]:
    """One :func:`unfinished_run_item` per run, in the order the plans were given."""
    return [unfinished_run_item(r) for r in runs]


__all__ = ["CODE", "unfinished_run_item", "unfinished_run_items"]
