"""What earlier runs of sigma-migrate wrote through SCIM: ``plan --applied PLAN`` (repeatable).

A re-plan reads Sigma's SCIM state (``scim/Users.json``, :mod:`planner.rules.scim_state`), which says
what a user's values are and when SCIM last changed them, not who changed them: a value the tool's
own apply or undo wrote looks like an IdP push. Given the plans applied before (each with the journal
``apply`` keeps beside it, :mod:`planner.execute.journal`, or where sigma-migrate's state index records it:
:func:`journal_read`), the plan knows which values their runs
wrote, and a ``scim.state_conflict`` over a value SCIM still holds as a run wrote it names that run
(``userType View was written by run 1 of undo plan undo3.json, 2026-12-06T17:35:09.120Z``; tester9 F7).

A write counts when its journal row is ``done`` with outcome ``written`` (this tool changed Sigma):
``scim.set_account_type`` wrote ``userType``; ``scim.link_user`` wrote ``active`` and the ``userType`` it
sent; ``scim.deactivate_user`` wrote ``active: false`` (a ``scim.create_user``'s member did not exist
when the plan was made, so no memberId names it); ``scim.link_group`` / ``scim.create_group`` linked or made a
team (:class:`~planner.model.AppliedTeam`: a re-plan whose exports no longer have the team says a run had it,
``teams.map_team_missing``) and, as ``scim.set_group_members`` does, set the team's SCIM-managed members
(:class:`~planner.model.AppliedPush`: SCIM's group still as a run left it is that run's word, not the IdP's: an
apply's is pushed over with the export's membership, tester13 #2; an undo's asks, tester12 #1). An action whose row is ``failed`` with Sigma's final answer (or why it could not be sent as planned) in
``refused`` (:class:`~planner.model.AppliedRefusal`) was refused for good: a re-plan that would plan it again raises
``applied.refused_again`` instead (:mod:`planner.rules.refusals`, tester10 finding 8); a journal written
before the ``refused`` column says no refusal. The run is the
journal's last run started before the write finished. A plan's run that was interrupted or killed and is
not finished, nor rolled back by an applied undo plan, is read too (:class:`~planner.model.AppliedUnfinished`: the
re-plan is held by ``applied.unfinished_run``, :mod:`planner.rules.unfinished_runs`; tester12 #12), unless the
policy closes it (``applied.closed_runs``, :class:`RunClosing`: recorded in its journal, tester14b #1). Nothing here
decides anything: the item stays
blocking, the attribution only says which side the value came from.

One answer is carried forward (:class:`~planner.model.AppliedSetUp`): the earliest applied plan's own
``preflight.previous_scim`` (its ``policy.resolved``), which holds for members made before this migration's first
link (the first SCIM write of the plans' runs), whatever the re-plan's policy says (``same_setup`` after an apply):
:func:`planner.directory.listed_pre_scim` reads it (tester11 finding 13).
"""

from __future__ import annotations

import hashlib
import shlex
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Iterable, Iterator

from .errors import UserError
from .execute.journal import (
    ClosureRow, JournalRow, RunRow, journal_path, read_closures, read_journal_file, read_reversals, record_closure,
    utc_now,
)
from .execute.history import JournalHome, PlanJournals, check_journal_runs, gone_words, plan_journals
from .execute.resume import INTERRUPTED_ENDS, how_it_ended, resume_of, unfinished_head, unfinished_run
from .model import (
    AppliedAction, AppliedArchive, AppliedPush, AppliedRefusal, AppliedRuns, AppliedRunTime, AppliedSeen, AppliedSetUp,
    AppliedTeam, AppliedTeamSeen, AppliedUnfinished, AppliedWrite, InputFile, Plan, TeamFingerprint,
)
from .payloads import (
    Action, MembersReactivate, ScimCreateGroup, ScimDeactivateUser, ScimLinkGroup, ScimLinkUser, ScimSetAccountType, ScimSetGroupMembers,
    UNSET, new_owner_id,
)
from .planfile import plan_policy, read_plan
from .rules.reactivated import ARCHIVING_KINDS
from .state import history_path

if TYPE_CHECKING:
    from .policy import ClosedRun, Policy


class AppliedError(UserError):
    """A plan given to ``plan --applied`` cannot say what it wrote (one line naming the file)."""


def scim_values(action: Action) -> Iterator[tuple[str, str, bool | str]]:
    """``(memberId, SCIM attribute, value)`` of each SCIM value ``action`` writes (module docstring);
    nothing for an action that writes none, or a create whose member is not known yet."""
    if isinstance(action, ScimSetAccountType):
        yield action.target.member_id, "userType", action.after.user_type
    elif isinstance(action, ScimLinkUser):
        yield action.target.member_id, "active", action.after.active
        if action.after.user_type is not UNSET and action.after.user_type:
            yield action.target.member_id, "userType", action.after.user_type
    elif isinstance(action, ScimDeactivateUser):
        yield action.target.member_id, "active", False


def _run_of(finished_at: str, runs: list[RunRow]) -> int | None:
    """The id of the last run of ``runs`` started at or before ``finished_at`` (ISO 8601 UTC), ``None``."""
    found = [r.run_id for r in runs if r.started_at <= finished_at]
    return found[-1] if found else None


def _writes(plan_path: str, undo: bool, actions: Iterable[Action], rows: dict[str, JournalRow],
            runs: list[RunRow]) -> list[AppliedWrite]:
    out = []
    for action in actions:
        row = rows.get(action.id)
        if row is None or row.state != "done" or row.outcome != "written" or not row.finished_at:
            continue
        for member_id, attribute, value in scim_values(action):
            if member_id:
                out.append(AppliedWrite(member_id, attribute, value, plan_path, undo, _run_of(row.finished_at, runs),
                                        row.finished_at))
    return out


def _archives(plan_path: str, undo: bool, actions: Iterable[Action], rows: dict[str, JournalRow],
              runs: list[RunRow]) -> list[AppliedArchive]:
    """The members the plan's runs archived (every kind of :data:`planner.rules.reactivated.ARCHIVING_KINDS`:
    ``members.deactivate``, ``members.disable_guest``) or brought back (``members.reactivate``) through the REST API
    (done, written): :class:`~planner.model.AppliedArchive`."""
    out = []
    for action in actions:
        row = rows.get(action.id)
        archived = action.kind in ARCHIVING_KINDS
        if ((archived or isinstance(action, MembersReactivate)) and row is not None
                and row.state == "done" and row.outcome == "written" and row.finished_at):
            out.append(AppliedArchive(action.target.member_id, action.target.email, action.kind.value,
                                      archived, plan_path, undo, _run_of(row.finished_at, runs), row.finished_at,
                                      _new_owner(action) if archived else ""))
    return out


def _new_owner(action: Action) -> str:
    """Whom an archiving ``action`` gives the documents: the new owner's email its evidence names, else the
    ``newOwnerId`` it sends, ``""`` when it names none."""
    email = getattr(action.evidence, "new_owner_email", None)
    return email if isinstance(email, str) and email else (new_owner_id(action) or "")


def _teams(plan_path: str, undo: bool, actions: Iterable[Action], rows: dict[str, JournalRow],
           runs: list[RunRow]) -> list[AppliedTeam]:
    """The teams the plan's runs linked or created (``scim.link_group`` / ``scim.create_group`` done, written):
    what a re-plan knows of a team the Sigma export no longer has (:func:`planner.rules.teams.what_was_known`)."""
    out = []
    for action in actions:
        row = rows.get(action.id)
        if (isinstance(action, (ScimLinkGroup, ScimCreateGroup)) and row is not None and row.state == "done"
                and row.outcome == "written" and row.finished_at):
            t = action.target
            out.append(AppliedTeam(t.name, t.team_id, t.group_id, t.group_display_name, plan_path, undo,
                                   _run_of(row.finished_at, runs), row.finished_at))
    return out


def _pushes(plan_path: str, undo: bool, actions: Iterable[Action], rows: dict[str, JournalRow],
            runs: list[RunRow]) -> list[AppliedPush]:
    """The writes of the plan's runs that set a team's SCIM-managed members (done, written): a
    ``scim.set_group_members``'s members as sent, and a ``scim.link_group`` / ``scim.create_group``, after which
    Sigma's SCIM group lists the team's SCIM-managed members of that time (:class:`~planner.model.AppliedPush`)."""
    out = []
    for action in actions:
        row = rows.get(action.id)
        if (isinstance(action, (ScimSetGroupMembers, ScimLinkGroup, ScimCreateGroup)) and row is not None
                and row.state == "done" and row.outcome == "written" and row.finished_at):
            t = action.target
            members = tuple(action.after.members) if isinstance(action, ScimSetGroupMembers) else None
            out.append(AppliedPush(team_id=t.team_id, name=t.name, group_id=t.group_id, members=members,
                                   kind=action.kind.value, plan=plan_path, undo=undo,
                                   run=_run_of(row.finished_at, runs), at=row.finished_at))
    return out


def _read_at(plan: Plan, runs: list[RunRow]) -> str:
    """When ``plan``'s Sigma export was read (``organization.sigmaFetchedAt``), else when its first run started,
    ``""`` when neither is known: the date of what the plan saw (:class:`~planner.model.AppliedSeen`)."""
    fetched = plan.organization.sigma_fetched_at
    return fetched if isinstance(fetched, str) else min((r.started_at for r in runs), default="")


def _seen(plan_path: str, plan: Plan, runs: list[RunRow]) -> list[AppliedSeen]:
    """Each member as ``plan`` was made against it (its person rows' ``sigma_status``: every member of its Sigma
    export, those it plans nothing for too, tester19 finding 7), dated by :func:`_read_at`
    (:class:`~planner.model.AppliedSeen`)."""
    at, undo = _read_at(plan, runs), bool(plan.summary.undoes)
    idp_at = plan.organization.idp_fetched_at
    idp_read = "" if undo else idp_at if isinstance(idp_at, str) else plan.created_at
    return [AppliedSeen(row.member_id, row.email or "", row.sigma_status == "archived", row.sigma_status == "inactive",
                        plan_path, undo, at, row.idp_id, row.member_type, idp_read)
            for row in plan.people if row.member_id is not None and row.sigma_status is not None]


def _teams_seen(plan_path: str, plan: Plan, runs: list[RunRow]) -> list[AppliedTeamSeen]:
    """Each team of ``plan``'s Sigma export as the plan was made against it (its team rows with a teamId: linked
    or unmanaged, archived too; a team the plan creates has none), dated by :func:`_read_at`
    (:class:`~planner.model.AppliedTeamSeen`)."""
    at, undo = _read_at(plan, runs), bool(plan.summary.undoes)
    prints = plan.fingerprints
    return [AppliedTeamSeen(row.team_id, row.name, row.group_id if row.mode == "link" else None,
                            row.group_name if row.mode == "link" else None, plan_path, undo, at,
                            tuple(f.state.member_ids) if isinstance(f := prints.get("team:" + row.team_id),
                                                                    TeamFingerprint) else None)
            for row in plan.teams if row.team_id is not None]


@dataclass(frozen=True)
class RunClosing:
    """The ``applied.closed_runs`` entries of the re-plan's policy (:class:`~planner.policy.ClosedRun`, in the
    policy's order) and how each is named in the journal it closes a run of (:func:`closing_words`)."""

    entries: tuple[ClosedRun, ...] = ()
    words: tuple[str, ...] = ()

    @classmethod
    def of(cls, policy: Policy) -> "RunClosing":
        """The entries of ``policy``, each named ``applied.closed_runs entry {plan: sha256:..., run: 2} of
        <file>:<line>:<column>``."""
        entries = tuple(policy.applied.closed_runs)
        return cls(entries, tuple(f"the applied.closed_runs entry {{plan: {e.plan}, run: {e.run}}} of "
                                  f"{policy.location('applied', 'closed_runs', i)}" for i, e in enumerate(entries)))

    def entry_of(self, digest: str, run: int) -> int | None:
        """The index of the entry closing run ``run`` of the plan whose digest is ``digest``, ``None``."""
        return next((i for i, e in enumerate(self.entries) if e.plan == digest and e.run == run), None)


def _unfinished(plan_path: str, digest: str, journal: Path, runs: list[RunRow], rows: dict[str, JournalRow],
                closing: RunClosing) -> list[AppliedUnfinished]:
    """The plan's run that was interrupted or killed and is not finished (:func:`planner.execute.resume.unfinished_run`,
    the rule apply refuses by), unless a later plan ended the plan (a ``reversals`` row of its journal: an applied undo
    plan rolled it back, or a re-plan took over from it; no apply of it runs again, so its run is over); ``[]``
    otherwise. A run an entry of ``closing`` names (the plan's ``digest`` and the run's number) is closed: the closure
    is recorded in the ``journal`` (once: :func:`planner.execute.journal.record_closure`, before the journal's sha256
    is taken) and the run returned with the entry's index (:attr:`~planner.model.AppliedUnfinished.closed_by`); a run
    the journal records closed and no entry names is over, ``[]`` (tester14b #1)."""
    run = unfinished_run(runs, rows)
    if run is None or how_it_ended(run) not in INTERRUPTED_ENDS or read_reversals(journal):
        return []
    entry = closing.entry_of(digest, run.run_id)
    if entry is None and run.run_id in read_closures(journal):
        return []
    if entry is not None:
        record_closure(journal, digest, ClosureRow(run.run_id, utc_now(), closing.words[entry]))
    return [AppliedUnfinished(plan_path, run.run_id, unfinished_head(plan_path, run, rows),
                              resume_of(plan_path, run), digest, entry)]


def _refusals(plan_path: str, undo: bool, rows: dict[str, JournalRow], runs: list[RunRow]) -> list[AppliedRefusal]:
    """The actions the plan's runs failed for good, Sigma refusing them or the run unable to send them as planned:
    rows ``failed`` with ``refused`` said."""
    return [AppliedRefusal(row.action_id, row.refused, plan_path, undo, _run_of(row.finished_at, runs),
                           row.finished_at)
            for row in rows.values() if row.state == "failed" and row.refused and row.finished_at]


def _first_scim_write(actions: Iterable[Action], rows: dict[str, JournalRow]) -> str | None:
    """When the first SCIM write of a plan's runs finished (a row ``done``, ``written``, of a ``scim.*`` action;
    ISO 8601 UTC as the journal keeps it), ``None`` when its runs wrote nothing through SCIM."""
    return min((row.finished_at for action in actions
                if action.kind.value.startswith("scim.") and (row := rows.get(action.id)) is not None
                and row.state == "done" and row.outcome == "written" and row.finished_at), default=None)


def _run_times(plan_path: str, undo: bool, rows: dict[str, JournalRow], runs: list[RunRow]) -> list[AppliedRunTime]:
    """When each of ``runs`` started and ended: its ``finished_at``, or its last row's ``finished_at`` when that is
    later or the run has none (interrupted, killed), else its start (a run that wrote nothing and did not end)."""
    last: dict[int, str] = {}
    for row in rows.values():
        run = _run_of(row.finished_at, runs) if row.finished_at else None
        if run is not None and row.finished_at > last.get(run, ""):
            last[run] = row.finished_at
    return [AppliedRunTime(plan_path, r.run_id, _to_the_second(r.started_at),
                           _to_the_second(max(t for t in (r.finished_at, last.get(r.run_id), r.started_at) if t)), undo)
            for r in runs]


def _to_the_second(at: str) -> str:
    """``at`` (ISO 8601 UTC, as a journal keeps it: ``2026-12-06T23:38:20.123Z``) rounded down to the second
    (``2026-12-06T23:38:20Z``), as SCIM's ``meta.created`` is compared (:func:`planner.directory.made_after`)."""
    return at[:19] + "Z" if len(at) > 19 else at


def applied_runs(plan_paths: Iterable[str | Path], closing: RunClosing = RunClosing()) -> AppliedRuns:
    """The SCIM writes, linked teams, team pushes, REST archives, final refusals, unfinished runs, every run's start
    and end (:class:`~planner.model.AppliedRunTime`) and each member as each plan saw it
    (:class:`~planner.model.AppliedSeen`) of the plans at ``plan_paths`` (as given) and of their
    journals (``<plan>.journal.sqlite`` beside each, else where the state index records it: :func:`journal_read`,
    whose notes are :attr:`~planner.model.AppliedRuns.notes`), ordered by when they finished, the files read (the plan, whose
    ``sha256`` is its digest's, and its journal), and the earliest plan's ``preflight.previous_scim`` with this
    migration's first link (:class:`~planner.model.AppliedSetUp`: the plan, not an undo plan, whose journal's first
    run started first; the first SCIM write of any of them; ``None`` when none wrote through SCIM). ``closing``: the
    policy's ``applied.closed_runs`` (:class:`RunClosing`), recorded in the journals of the runs they close.

    Raises :class:`planner.planfile.PlanFileError` for a file that is no plan (or whose ``policy.resolved`` does not
    validate), :class:`AppliedError` for a plan whose journal cannot be found or is ambiguous (:func:`journal_read`), and
    :class:`planner.execute.errors.ApplyRefused` for a journal SQLite cannot read."""
    writes: list[AppliedWrite] = []
    teams: list[AppliedTeam] = []
    refusals: list[AppliedRefusal] = []
    pushes: list[AppliedPush] = []
    unfinished: list[AppliedUnfinished] = []
    archives: list[AppliedArchive] = []
    times: list[AppliedRunTime] = []
    seen: list[AppliedSeen] = []
    teams_seen: list[AppliedTeamSeen] = []
    inputs: list[InputFile] = []
    answers: list[tuple[str, str, str]] = []  # (first run started, plan as given, its previous_scim)
    links: list[str] = []
    notes: list[str] = []
    for given in plan_paths:
        path = Path(given)
        plan = read_plan(path)
        journal, note = journal_read(path, plan.digest)
        if note:
            notes.append(note)
        _, runs, rows = read_journal_file(journal)
        writes += _writes(str(given), bool(plan.summary.undoes), plan.actions, rows, runs)
        teams += _teams(str(given), bool(plan.summary.undoes), plan.actions, rows, runs)
        refusals += _refusals(str(given), bool(plan.summary.undoes), rows, runs)
        pushes += _pushes(str(given), bool(plan.summary.undoes), plan.actions, rows, runs)
        unfinished += _unfinished(str(given), plan.digest, journal, runs, rows, closing)
        archives += _archives(str(given), bool(plan.summary.undoes), plan.actions, rows, runs)
        times += _run_times(str(given), bool(plan.summary.undoes), rows, runs)
        seen += _seen(str(given), plan, runs)
        teams_seen += _teams_seen(str(given), plan, runs)
        if not plan.summary.undoes and runs:
            answers.append((min(r.started_at for r in runs), str(given),
                            plan_policy(plan, path).preflight.previous_scim))
        first = _first_scim_write(plan.actions, rows)
        if first:
            links.append(first)
        inputs += [InputFile(str(given), plan.digest.removeprefix("sha256:"), "plan", len(plan.actions)),
                   InputFile(str(journal), hashlib.sha256(journal.read_bytes()).hexdigest(), "apply.journal",
                             len(rows))]
    writes.sort(key=lambda w: w.at)
    teams.sort(key=lambda t: t.at)
    refusals.sort(key=lambda r: r.at)
    earliest = min(answers, default=None)
    set_up = (AppliedSetUp(earliest[1], earliest[2], _to_the_second(min(links)))
              if earliest is not None and links else None)
    pushes.sort(key=lambda p: p.at)
    archives.sort(key=lambda a: a.at)
    times.sort(key=lambda t: t.started_at)
    seen.sort(key=lambda s: s.at)  # stable: plans of one time keep the order given
    teams_seen.sort(key=lambda s: s.at)
    return AppliedRuns(tuple(writes), tuple(inputs), tuple(teams), tuple(refusals), set_up, tuple(pushes),
                       tuple(unfinished), tuple(archives), tuple(notes), tuple(times), tuple(seen), tuple(teams_seen))


def _runs_words(home: JournalHome) -> str:
    """``run 1 (the whole plan, started 2026-12-07T13:20:08Z), run 2 (...)``: the runs the index records with a
    journal."""
    return ", ".join(f"run {r.run} ({r.applied}, started {r.started_at})" for r in home.runs) or "no run"


def _applied_from(home: JournalHome) -> str:
    """``applied from /srv/m/plan.json to https://api.sigmacomputing.com`` (without `` to ...`` for a journal the
    index records without its Sigma: the older version)."""
    return f"applied from {home.plan}" + (f" to {home.target}" if home.target else "")


def journal_read(path: Path, digest: str) -> tuple[Path, str | None]:
    """The journal ``plan --applied`` reads for the plan of ``digest`` at ``path``, and the note saying so when it is
    not the one beside the file as the state index records it (``None``: it is). One lookup
    (:func:`planner.execute.history.plan_journals`: the journal beside the file, the ones sigma-migrate's state index
    records by digest), decided as apply decides where a plan's history is (docs/apply.md "Where a plan's history
    lives"; verify18 finding 2):

    - beside the file and known to the index (or the index knows none of the plan: applied with another state
      directory, or before the index): that one, a note for the latter;
    - beside the file, and every journal the index records is gone: that one (the history moved with the plan), noted;
    - beside the file, and the index records another journal of the plan, byte for byte the same: that one (one
      history, copied), noted; holding other records: two histories of one plan, :class:`AppliedError`;
    - none beside the file: the journal the index records last, noted with the Sigma its runs wrote to (a copy of
      the plan given from another folder); all gone, or none recorded: :class:`AppliedError`; journals of more than
      one Sigma there (the plan rehearsed in the sandbox and applied to Sigma): which one is the admin's choice,
      :class:`AppliedError` naming each with the plan file to give (rehearse20).

    Raises :class:`AppliedError` (one line naming the file), :class:`planner.execute.errors.ApplyRefused` for an index
    or journal that cannot be read."""
    found = plan_journals(path, digest)
    journal, note = _journal_chosen(path, digest, found)
    check_journal_runs(found, journal, "no plan written")  # restored from an older copy: lacks runs the index records
    return journal, note


def _journal_chosen(path: Path, digest: str, found: PlanJournals) -> tuple[Path, str | None]:
    """:func:`journal_read`'s choice of journal among ``found`` (:func:`plan_journals` of ``path``), and its note."""
    beside = journal_path(path)
    other = found.other_history()
    if other is not None:
        raise AppliedError(
            f"{path}: --applied: two histories of this plan ({digest}) differ: the journal beside it, {beside}, and "
            f"{other.journal}, with which sigma-migrate's state index records {_runs_words(other)}; a re-plan must "
            f"read the one history of the plan: give --applied {shlex.quote(other.plan)}, or put that journal beside "
            "this file in place of the other; no plan written")
    if found.beside is not None:
        if found.beside_known:
            return found.beside, (None if found.homes else
                                  f"{path}: --applied: read the journal beside it ({beside}); sigma-migrate's state "
                                  f"index ({history_path(digest)}) records no run of this plan")
        copied = found.copy_of()
        if copied is not None:
            return found.beside, (f"{path}: --applied: read the journal beside it ({beside}), a copy of "
                                  f"{copied.journal} (byte for byte), with which sigma-migrate's state index "
                                  f"records {_runs_words(copied)}")
        return found.beside, (f"{path}: --applied: read the journal beside it ({beside}); the journal "
                              f"sigma-migrate's state index records, {found.homes[-1].journal}, "
                              f"{gone_words(found.homes[-1].journal, digest)}")
    if found.targets():
        raise AppliedError(
            f"{path}: --applied: this plan ({digest}) was applied to more than one Sigma and none of its journals is "
            "beside this file; a re-plan reads the history of one Sigma: give --applied "
            + ", or --applied ".join(f"{shlex.quote(h.plan)} for {h.target}" for h in found.targets())
            + "; no plan written; sigma-migrate's state index records "  # the way out first: errors are clipped
            + "; and ".join(f"{_runs_words(h)} with {h.journal} ({_applied_from(h)})" for h in found.targets()))
    if found.live:
        home = found.live[-1]
        return Path(home.journal), (f"{path}: --applied: read its journal {home.journal}, with which "
                                    f"sigma-migrate's state index records {_runs_words(home)} ({_applied_from(home)}); "
                                    "none is beside this file")
    if found.homes:
        home = found.homes[-1]
        raise AppliedError(
            f"{path}: --applied: sigma-migrate's state index records {_runs_words(home)} of this plan ({digest}) with "
            f"the journal {home.journal}, which {gone_words(home.journal, digest)}, and none is beside this file: what "
            f"those runs wrote cannot be known; put that journal back beside {home.plan}; no plan written")
    other_digest = read_journal_file(beside)[0]
    if other_digest is not None:
        raise AppliedError(f"{beside}: --applied: the journal belongs to plan {other_digest}, not {digest} ({path})")
    raise AppliedError(f"{path}: --applied: no journal beside it ({beside.name}) and none in sigma-migrate's state "
                       f"index ({history_path(digest)}); give a plan `sigma-migrate apply` ran")


def _done(plan_path: str, undo: bool, rows: dict[str, JournalRow], runs: list[RunRow]) -> list[AppliedAction]:
    """The actions the plan's runs finished: rows ``done`` (written, or found already so)."""
    return [AppliedAction(row.action_id, plan_path, undo, _run_of(row.finished_at, runs), row.finished_at)
            for row in rows.values() if row.state == "done" and row.finished_at]


@dataclass(frozen=True)
class JournalsRead:
    """What the journals a re-plan read with ``plan --applied`` say of the actions of the plans given to it, read
    again for ``sigma-migrate diff OLD NEW`` (:func:`journals_read_by`): ``done`` and ``refused`` by action id (the
    first run that finished or refused it), whether OLD is one of the plans NEW was given (``old_applied``), and
    ``unread``: one line per journal NEW read that cannot be read as NEW read it (not found, or changed since: its
    sha256 differs from the one NEW records, and only the rows finished before NEW was made are read). An action of OLD that NEW lacks is done or refused when a journal says
    so, dropped (no longer planned) only when OLD was given and every journal was read as NEW read it
    (:attr:`complete`), else unknown."""

    done: dict[str, AppliedAction]
    refused: dict[str, AppliedRefusal]
    old_applied: bool
    unread: tuple[str, ...]

    @property
    def complete(self) -> bool:
        """Whether NEW was given OLD and every journal NEW read was read again unchanged."""
        return self.old_applied and not self.unread


def _sha256(path: Path) -> str | None:
    return hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else None


def _journal_now(plan_path: str | Path, digest: str, recorded: str) -> Path:
    """The journal of the plan of ``digest`` at ``plan_path`` now: beside it, else the one sigma-migrate's state index
    records last (:func:`planner.execute.history.plan_journals`), else ``recorded`` (where the re-plan read it)."""
    found = plan_journals(plan_path, digest)
    return found.beside or found.recorded or Path(recorded)


def _finished_before(rows: dict[str, JournalRow], created_at: str) -> dict[str, JournalRow]:
    """The rows of ``rows`` (a journal's, by action id) that finished before the second after ``created_at`` (a
    plan's ``created_at``, ISO 8601 UTC cut to the second): what a journal held when that plan was made, which
    later rows (a run of a later wave, the supersession row its apply writes) leave as they were, since a
    journal's finished rows are never rewritten but by a resume of the same action (tester20 #6)."""
    made = datetime.fromisoformat(created_at) + timedelta(seconds=1)
    return {i: row for i, row in rows.items() if row.finished_at and datetime.fromisoformat(row.finished_at) < made}


def journals_read_by(new: Plan, old: Plan, old_path: str | Path) -> JournalsRead:
    """The :class:`JournalsRead` of re-plan ``new``: each ``plan`` input of its ``inputs`` (a plan given to ``plan
    --applied``, its sha256 the plan's digest) and the ``apply.journal`` input after it (:func:`applied_runs`
    records them so) are read again, the journal of ``old`` (the plan at ``old_path``) beside it or where the state
    index records it (:func:`_journal_now`), any other at the path ``new`` records. A journal whose sha256 is the
    one ``new`` records is the journal as the re-plan read it; one changed since (a wave applied since, or ``new``'s
    own apply, which writes its supersession row there: tester20 #6) is read only for the rows finished before
    ``new`` was made (:func:`_finished_before`), and named in ``unread``. Nothing is read for a plan made without
    ``--applied``.

    Raises :class:`planner.execute.errors.ApplyRefused` for a journal SQLite cannot read."""
    done: dict[str, AppliedAction] = {}
    refused: dict[str, AppliedRefusal] = {}
    unread: list[str] = []
    old_sha = old.digest.removeprefix("sha256:")
    inputs = new.inputs
    given = [(inputs[i], inputs[i + 1]) for i in range(len(inputs) - 1)
             if inputs[i].kind == "plan" and inputs[i + 1].kind == "apply.journal"]
    for plan_input, journal_input in given:
        is_old = plan_input.sha256 == old_sha
        path = _journal_now(old_path, old.digest, journal_input.path) if is_old else Path(journal_input.path)
        found = _sha256(path)
        if found is None:
            unread.append(f"{path}: the journal of {plan_input.path} the new plan read with --applied: not found")
            continue
        _, runs, rows = read_journal_file(path)
        if found != journal_input.sha256:
            rows = _finished_before(rows, new.created_at)
            unread.append(f"{path}: the journal of {plan_input.path} the new plan read with --applied: changed since "
                          f"(sha256 {found[:12]}, the new plan read {journal_input.sha256[:12]}): only what its runs "
                          f"finished before the new plan was made ({new.created_at}) is read")
        undo = bool(old.summary.undoes) if is_old else False
        for a in _done(plan_input.path, undo, rows, runs):
            done.setdefault(a.action_id, a)
        for r in _refusals(plan_input.path, undo, rows, runs):
            refused.setdefault(r.action_id, r)
    old_applied = any(p.sha256 == old_sha for p, _ in given)
    return JournalsRead(done, refused, old_applied, tuple(unread))

