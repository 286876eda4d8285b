"""The HTML result of an apply: the plan's report (:mod:`planner.report`) plus an "Apply result" section.

The section (``templates/report/result.html.j2``) shows the run's status, the
counts of done / failed / skipped actions, the objects that did not converge
and one row per action with its state, outcome, attempts and error. It is
rendered from the result file's JSON, which is already redacted, so the page
can hold no secret; the page reads it as the typed :class:`~planner.result_file.ApplyResultFile`.
"""

from __future__ import annotations

from pathlib import Path
from ..model import Plan
from ..output import write_record
from ..report import render_html
from ..result_file import ApplyResultFile


def write_result_html(plan: Plan, result: ApplyResultFile, path: str | Path) -> Path:
    """Render the report of ``plan`` with the result section and write it to ``path``
    (:func:`planner.output.write_record`: all or nothing)."""
    return write_record(path, render_html(plan, result=result))
