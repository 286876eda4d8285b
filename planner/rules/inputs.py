"""Truncated inputs: every action a truncated export could affect is a blocking item (issue 14 C.6).

A saved export that still names a next page (Graph ``@odata.nextLink``, Okta
``Link: rel="next"``, Google ``nextPageToken``, Sigma ``nextPage``) or an Okta
users file of exactly one full API page (200 users) is reported by the loaders
as an ``incomplete-pages`` finding (:mod:`planner.sources.envelopes`,
:mod:`planner.sources.okta`). An export shown incomplete otherwise is the same
class: group members the users file lacks (``member-not-in-users``: the users file
was saved without some users, who are held) and groups of the groups file without
their membership answer (``missing-group-members``), and two files of one export that disagree about a user
(``users-disagree``: saved at different times, either may be stale), and every record a loader left out
or read only in part (:meth:`planner.sources.files.Findings.skipped`: a record without its id, a group the
groups file lacks, a member type the loader does not know, a Google group whose member is the whole domain),
:data:`~planner.sources.directory.INCOMPLETE_CODES`. The pages that were not saved may hold the people
and memberships the plan would act on: a member "not in the IdP" may be on page
two, a team member "not in the group" may be in its missing members, a user
whose group was not seen would get the default account type.

So, one shared guard for every rule family rather than a case per rule: each
action of a kind such a file can affect (:data:`AFFECTED`: deactivation, guest
disable, SCIM deactivation, team-member removal, account-type change, SCIM group
members set) gets a
blocking ``inputs.truncated`` item keyed by the action id, naming the action, the cause (the finding code's
words in :data:`~planner.sources.directory.INCOMPLETE_CODES`: cut short, files disagreeing, team members
missing, ...) and the file(s). No policy setting settles it (:func:`~planner.rules.outside_policy`): the
resolution is to export the files again, whole; for an Okta listing that ends on a full page, where a new
export gives the same file, also the ways its finding names (:data:`~planner.sources.okta.FULL_PAGE_WAYS_OUT`:
the empty next page saved, or ``fetch-idp okta``; tester7 finding 17).
"""

from __future__ import annotations

from typing import Iterable, Sequence

import msgspec

from ..model import Action, ActionKind, Finding, InputMark, ItemEvidence, ItemRef, ReviewItem
from ..sources.directory import INCOMPLETE_CODES
from ..sources.okta import FULL_PAGE_WAYS_OUT
from . import make_review, outside_policy

AFFECTED = (
    ActionKind.MEMBERS_DEACTIVATE,
    ActionKind.MEMBERS_DISABLE_GUEST,
    ActionKind.SCIM_DEACTIVATE_USER,
    ActionKind.TEAMS_REMOVE_MEMBER,
    ActionKind.SCIM_SET_ACCOUNT_TYPE,
    ActionKind.SCIM_SET_GROUP_MEMBERS,
)
"""Action kinds a missing part of an export can make wrong: they act on someone not seen, or not seen whole."""


def truncated(findings: Iterable[Finding]) -> tuple[Finding, ...]:
    """The findings that mark an input file as truncated (:data:`~planner.sources.directory.INCOMPLETE_CODES`),
    in input order."""
    return tuple(f for f in findings if f.code in INCOMPLETE_CODES)


def _where(finding: Finding) -> str:
    return f"{finding.file}:{finding.location}" if finding.location else finding.file


def truncation_items(findings: Sequence[Finding], actions: Iterable[Action]) -> list[ReviewItem]:
    """One blocking ``inputs.truncated`` item per action of :data:`AFFECTED` kinds when an input is truncated.

    :param findings: the snapshot's findings (both sides); only :func:`truncated` ones count.
    :param actions: the plan's actions.
    :returns: ``[]`` when no input is truncated; else items with id ``inputs.truncated:<action id>``,
        subject the action's target plus ``actionId`` and ``kind``, evidence the truncated files.
    """
    marks = truncated(findings)
    if not marks:
        return []
    files = sorted({m.file for m in marks})
    evidence = ItemEvidence(truncated=[InputMark(file=m.file, location=m.location, field=m.field, message=m.message)
                                       for m in marks])
    named = "; ".join(f"{_where(m)}: {m.message}" for m in marks)
    causes = " and ".join(dict.fromkeys(INCOMPLETE_CODES[m.code] for m in marks))
    full_page = any(m.message.endswith(FULL_PAGE_WAYS_OUT) for m in marks)  # "export again" gives the same file
    resolution = outside_policy("export again, whole (every page, every user, every group's and team's members), "
                                f"{', '.join(files)}; " + (f"{FULL_PAGE_WAYS_OUT}; " if full_page else "")
                                + "then plan again")
    items = []
    for action in actions:
        if action.kind not in AFFECTED:
            continue
        items.append(make_review(
            "inputs.truncated", action.id, blocking=True,
            subject=msgspec.convert(
                {**msgspec.to_builtins(action.target), "actionId": action.id, "kind": action.kind.value}, ItemRef),
            message=(f"{action.kind.value} ({action.reason}) rests on an export {causes}, so what is missing "
                     f"or stale may change it: {named}"),
            rule="inputs.truncated",
            evidence=evidence,
            resolution=resolution,
        ))
    return items
