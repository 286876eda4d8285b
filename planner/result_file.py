"""The apply result file as a typed record: what ``apply`` writes to ``<plan>.result.json``
(:meth:`planner.execute.apply.ApplyReport.to_dict`) and the HTML result page lays out
(:mod:`planner.execute.result_html`, ``templates/report/result.html.j2``).

The file's JSON is built and redacted as plain data (:class:`planner.redaction.Redactor` walks
it); the page reads it as :class:`ApplyResultFile` (:func:`result_record`), so the template reads
named fields, never a key that may be absent. Every field is required and unknown ones are
refused: a result document of another shape fails when it is converted, not halfway through
the page.
"""

from __future__ import annotations

from typing import Any

import msgspec


class ResultRecord(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """Base of the result file's records: frozen, exact (unknown JSON fields refused)."""


class ResultApproval(ResultRecord):
    """Who approved the plan and when (``approve``), and the digest they approved."""

    approver: str
    approved_at: str
    digest: str


class StateCounts(ResultRecord):
    """The run's actions by journal state after it (:data:`planner.execute.journal.STATES`)."""

    pending: int
    running: int
    done: int
    failed: int
    skipped: int


class KindCounts(ResultRecord):
    """One action kind's counts in ``by_kind`` (:data:`planner.execute.apply.BY_KIND_COLUMNS`): this
    run's done actions split three ways, then every action's state after the run."""

    written_this_run: int
    already_this_run: int
    written_by_interrupted_run: int
    done_total: int
    failed: int
    skipped: int
    pending: int


class ActionOutcome(ResultRecord):
    """One action of the run: ``state`` after it (all runs: ``done``, ``failed``, ``skipped``,
    ``pending``, ``running``), ``this_run`` (``None`` when this run did not reach it), ``outcome``
    (``written``, ``already``, ...), the redacted ``error``, attempts and HTTP retries, and ``ids``:
    the ids Sigma returned (SCIM id, ...), as it returned them."""

    id: str
    kind: str
    subject: str
    state: str
    outcome: str | None
    this_run: str | None
    error: str | None
    attempts: int
    http_retries: int
    ids: dict[str, Any]


class VerificationCounts(ResultRecord):
    """Objects re-read after the run: all, converged, not converged, and of those ``unverified``
    (could not be read after the retries; absent in result files of earlier versions)."""

    objects: int
    converged: int
    not_converged: int
    unverified: int = 0


class ObjectState(ResultRecord):
    """One object re-read after the run (:class:`planner.execute.verify.ObjectCheck`): its ``key``
    and ``label``, whether it converged, its ``state`` (``converged``, ``drifted``, ``missing``),
    what differs, and the ids of the actions that touch it."""

    key: str
    label: str
    converged: bool
    state: str
    problems: list[str]
    actions: list[str]


class VerificationRecord(ResultRecord):
    """The re-read after the run (:class:`planner.execute.verify.Verification`)."""

    converged: bool
    counts: VerificationCounts
    objects: list[ObjectState]


class ApplyResultFile(ResultRecord):
    """``<plan>.result.json``: the plan (file name, digest), the run (``mode``, ``run`` number,
    ``wave`` label and size, what the plan has ``plan_left``, by kind ``plan_left_by_kind``), its ``approval`` (``None``:
    ``--auto-approve``), ``status`` (``converged``, ``unverified``, ``incomplete``, ``stopped`` with
    ``stop_reason``), times
    (ISO 8601 UTC; ``seconds``), the run's actions by state (``counts``), this run's ``writes``, the
    ``journal`` file name, ``by_kind`` (:class:`KindCounts`), one :class:`ActionOutcome` per action
    of the run, and the ``verification`` (``None``: none ran). What settles a run that did not converge, as
    apply printed it (tester10 finding 16): ``refused`` (``{action id: why}`` of what Sigma refused for good),
    ``next_step`` (``None`` converged, ``apply_rest`` a wave converged with ``plan_left`` actions of the plan not
    applied yet, ``verify``, ``plan_again``, ``scim_token``: the run's own writes revoked the SCIM token,
    ``resume``) and ``next_step_lines`` (the ``Plan again:`` /
    ``Continue with:`` lines, or a wave's line on the rest of the plan, :func:`planner.execute.apply.next_step_lines`)."""

    plan: str
    digest: str
    tool_version: str
    mode: str
    run: int
    wave: str
    wave_actions: int
    plan_actions: int
    plan_left: int
    plan_left_by_kind: dict[str, int]
    approval: ResultApproval | None
    status: str
    stop_reason: str | None
    started_at: str
    finished_at: str
    seconds: float
    counts: StateCounts
    writes: int
    journal: str
    refused: dict[str, str]
    next_step: str | None
    next_step_lines: list[str]
    by_kind: dict[str, KindCounts]
    actions: list[ActionOutcome]
    verification: VerificationRecord | None


def result_record(document: Any) -> ApplyResultFile:
    """The :class:`ApplyResultFile` of a result document (the JSON object
    :meth:`planner.execute.apply.ApplyReport.to_dict` builds, redacted). Raises
    :class:`msgspec.ValidationError` naming the JSON path of a field of the wrong shape."""
    return msgspec.convert(document, ApplyResultFile)
