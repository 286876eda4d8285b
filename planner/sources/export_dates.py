"""When an IdP export was taken, as far as its users' dates tell: the bound the new-member rule weighs a member's
``createdAt`` against (:class:`planner.rules.unmatched.NewMemberDates`), and ``check``'s warning when the export
dates its users by dates none of which can be read.

An export is taken no earlier than the newest date its users carry (:func:`newest_record`; tester17 finding 11).
A spreadsheet that opened the export and saved it rewrites those dates: year-last (``6/21/2019 11:21``, read by
their earliest reading) or serial numbers (``43637``), which no rule reads. Read as "the export dates nothing" (as
Google's admin console CSV, which has no such column), such an export turned the new-member rule off, and a member
invited after the export was deactivated on its silence (tester21 finding 1); :func:`export_dates` tells the two
apart.
"""

from __future__ import annotations

from typing import Iterable

from ..model import Finding, IdpDirectory, IdpUser, Severity
from .values import local_date_span


def newest_record(users: Iterable[IdpUser]) -> str | None:
    """The newest date an IdP export's ``users`` carry (ISO 8601 UTC to the second): the later of each user's
    ``last_updated`` (Okta ``lastUpdated``, a SCIM export's ``meta.lastModified``) and ``created`` (Okta
    ``created``, Entra ``createdDateTime``, Google Directory API ``creationTime``, SCIM ``meta.created``), so the
    export was taken no earlier. ``None`` when the export dates no user (Google's admin console CSV and generic
    CSVs carry no such column, docs/formats.md §4a, §5; an unreadable date dates nothing). Source: tester17
    finding 11 (an Entra users CSV dates its users by ``createdDateTime``; read as dating none, a member made 18
    months after its newest user was deactivated on its silence)."""
    return max((d for u in users for d in (u.last_updated, u.created) if d), default=None)


def export_dates(users: Iterable[IdpUser]) -> tuple[str | None, tuple[str, ...]]:
    """``(newest, unreadable)`` of an IdP export's ``users`` (:class:`planner.rules.unmatched.NewMemberDates`):
    ``newest``, the latest time the export was surely taken no earlier than (ISO 8601 UTC to the second): its
    newest readable record (:func:`newest_record`) or the earliest reading of a locale's creation date a
    spreadsheet wrote (:func:`planner.sources.values.local_date_span`), whichever is later; ``unreadable``, when
    there is no such time, the creation dates the users carry that cannot be read at all, as ``<field>
    '<value>'`` (an Excel serial number ``43637``, a future date), ``()`` when they carry none (the export does
    not date its users, docs/formats.md §0.7). Source: tester21 finding 1."""
    users = list(users)
    spans = (local_date_span(u.created_unreadable) for u in users if u.created_unreadable)
    earliest = (span[0].strftime("%Y-%m-%dT%H:%M:%SZ") for span in spans if span is not None)
    newest = max(filter(None, (newest_record(users), *earliest)), default=None)
    if newest is not None:
        return newest, ()
    return None, tuple(f"{u.created_field or 'created'} {u.created_unreadable!r}" for u in users
                       if u.created_unreadable)


def export_dates_finding(idp: IdpDirectory) -> Finding | None:
    """``check``'s ``unreadable-export-dates`` warning at the first IdP user's file when the export dates its users
    but no date of it can be read (:func:`export_dates`), ``None`` otherwise: when the export was
    taken cannot be told, so the plan holds each member no IdP user matches on a blocking ``unmatched.new_member``
    (made after the export, perhaps), which the rows' own ``invalid-timestamp`` warnings do not say (tester21
    finding 1: an Entra download saved again by Excel)."""
    newest, unreadable = export_dates(idp.users)
    if newest is not None or not unreadable:
        return None
    first = next(u for u in idp.users if u.created_unreadable)
    ref = first.source
    return Finding(Severity.WARNING, "unreadable-export-dates", ref.file if ref else "", "",
                   first.created_field or "created",
                   f"no creation date of the IdP export can be read ({unreadable[0]} and {len(unreadable) - 1} more: "
                   "saved again by a spreadsheet?): when the export was taken cannot be told, so every member no IdP "
                   "user matches is held as perhaps made after it (unmatched.new_member); export the users again "
                   "and keep the file as downloaded")
