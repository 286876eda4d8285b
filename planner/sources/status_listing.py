"""An IdP users export that holds no deactivated or suspended user at all: a list filtered to active users?

A users export saved by hand may leave out every user of a status the IdP still has, and no field of the file shows
it: Okta's plain ``GET /api/v1/users`` leaves out ``DEPROVISIONED`` users (docs/formats.md §2a); Google's admin
console "Download users" downloads the currently filtered list (a Status: Active filter leaves out Suspended and
Archived users, §4a); Entra's "Download users" follows the list's filters (``Account enabled == Yes``, §3a); a
generic CSV or OneLogin report may be of active users only (§5). A leaver or a suspended person then reads as a
member no IdP user matches, whom ``unmatched.action`` deactivates, instead of ``unmatched.idp_inactive`` or
``unmatched.idp_suspended`` deciding them (tester14a finding 9 for Okta; tester21 finding 3: a Google CSV of the
Active users alone deactivated a suspended user, documents to the owner, where the whole list held them for review).
``check`` warns (:func:`inactive_listing_finding`) and the ``idp_users_include_deactivated`` pre-flight check asks
(:func:`planner.rules.preflight.idp_users_listing`). An export whose users carry no status at all (a generic CSV
mapping neither ``active`` nor ``status``) cannot show one, so it is never in doubt here; a ``fetch-idp`` manifest
vouches for every status (the readers list them all).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..model import Finding, IdpDirectory, IdpUser, Severity
from .generic_csv import FORMAT as GENERIC_CSV, ONELOGIN_FORMAT as ONELOGIN
from .google import API_FORMAT as GOOGLE_API, CSV_FORMAT as GOOGLE_CSV
from .entra import deleted_user_upn
from .okta import FORMAT as OKTA, deprovisioned_listing_finding, deprovisioned_listing_in_doubt

CODE = "idp-users-without-inactive"
"""``check``'s warning code for the formats other than Okta's (:func:`inactive_listing_finding`)."""


SUSPENDING_FORMATS = frozenset({GOOGLE_CSV, GOOGLE_API, GENERIC_CSV, ONELOGIN})
"""The export formats other than Okta's with a suspended status (Google's Suspended, a generic CSV's
``suspended_statuses``, OneLogin's 2), whose users ``unmatched.idp_suspended`` decides; Entra and SCIM have only
enabled or not (docs/formats.md §3a, §7)."""


DELETION_FIELDS = ("deletedDateTime", "deletionTime")
"""The fields that date a deleted user: Entra's (its "Deleted users" download, a Graph ``directory/deletedItems``
answer) and Google's (Directory API ``users.list?showDeleted=true``, tester20 finding 7)."""


def deleted(user: IdpUser) -> bool:
    """Whether ``user`` is a deleted user (:data:`DELETION_FIELDS` set, or an Entra userPrincipalName of a deleted
    user, :func:`planner.sources.entra.deleted_user_upn`): listed by a deleted-users answer or file, never by the
    users listing, so it says nothing about whether that listing was filtered (tester22 finding 7)."""
    return any(map(user.attributes.get, DELETION_FIELDS)) or (
        len(user.user_name) > 32 and deleted_user_upn(user.user_name, user.id) is not None)


def listing_file(idp: IdpDirectory, users: list[IdpUser]) -> str | None:
    """The users file a listing doubt names: of the files ``users`` (the listing's, no deleted user) were read from,
    the first ``*.users`` input of ``idp`` holding records, else the first by name; ``None`` when they name none."""
    files = {u.source.file for u in users if u.source}
    first = next((i.path for i in idp.inputs if i.kind.endswith(".users") and i.records and i.path in files), None)
    return first if first is not None else next(iter(sorted(files)), None)


@dataclass(frozen=True, slots=True)
class InactiveListingDoubt:
    """The users file in doubt (``path``, as read), whether it is Okta's (``okta``: the doubt is its
    ``DEPROVISIONED`` users alone, since the plain listing holds every other status), and whether the format has
    a suspended status the listing may have left out (``suspends``: :data:`SUSPENDING_FORMATS`)."""

    path: str
    okta: bool
    suspends: bool = False


def inactive_listing_in_doubt(idp: IdpDirectory) -> InactiveListingDoubt | None:
    """The :class:`InactiveListingDoubt` of a hand-saved IdP users export (no ``fetch-idp`` manifest) that holds
    no user of an inactive status (module docstring): for Okta none ``DEPROVISIONED``
    (:func:`planner.sources.okta.deprovisioned_listing_in_doubt`); for any other format not one user whose export
    says it is inactive (``active`` false: deactivated, suspended, archived) among users whose status it says; a
    deleted user (:func:`deleted`: a Deleted users download beside the filtered one, a ``directory/deletedItems`` or
    ``showDeleted=true`` answer appended) is none of the listing's, so it does not vouch (tester22 finding 7).
    ``None`` otherwise."""
    if OKTA in idp.format.split("+"):
        path = deprovisioned_listing_in_doubt(idp)
        return InactiveListingDoubt(path, True) if path is not None else None
    if idp.fetched_at is not None:
        return None
    told = [u for u in idp.users if u.active is not None]
    if any(u.active is False and not deleted(u) for u in told):  # deleted() read for the inactive users only
        return None
    told = [u for u in told if not deleted(u)]  # the listing's users: read whole only when it is in doubt
    if not told:
        return None
    first = listing_file(idp, told)
    suspends = bool(SUSPENDING_FORMATS.intersection(idp.format.split("+")))
    return InactiveListingDoubt(first, False, suspends) if first is not None else None


def inactive_listing_finding(idp: IdpDirectory) -> Finding | None:
    """``check``'s warning when :func:`inactive_listing_in_doubt`: Okta's ``okta-users-without-deprovisioned``
    (:func:`planner.sources.okta.deprovisioned_listing_finding`), else ``idp-users-without-inactive`` at the users
    file; ``None`` otherwise."""
    doubt = inactive_listing_in_doubt(idp)
    if doubt is None:
        return None
    if doubt.okta:
        return deprovisioned_listing_finding(idp)
    return Finding(Severity.WARNING, CODE, doubt.path, "", "status",
                   f"{Path(doubt.path).name} holds no deactivated or suspended user and no fetch-idp manifest says how "
                   "it was listed: a download of a filtered list (Google's \"Download users\" with a Status filter, "
                   "Entra's with \"Account enabled == Yes\", a report of active users) leaves them out, and a leaver "
                   "or a suspended person would then read as a member with no IdP user (unmatched.action, not "
                   "unmatched.idp_inactive or unmatched.idp_suspended); export every user, whatever their status, or "
                   "confirm preflight.idp_users_include_deactivated")
