"""An IdP export that marks guests yet holds none, while Sigma has active guests: a filtered download?

Entra's "Download users" follows the Users list's filters: with "User type == Member" on (a common default view)
the file holds no ``userType`` Guest (``#EXT#``) row at all, and no field of it shows the filter. Under
``guests.action: convert`` each guest member then reads as a guest without an IdP user and is disabled, their
documents given to the document owner (tester20 finding 9). The formats that mark guests are the ones whose users
carry a ``userType`` (docs/formats.md: Entra CSV and Graph ``userType``, a SCIM ListResponse's ``userType``
Member/Guest, a generic CSV mapping a ``user_type`` column; a ``#EXT#`` userName is a guest in any of them); Okta and
Google mark none, so an export of theirs is never in doubt here. The same doubt as the Okta users file without
``DEPROVISIONED`` users (:func:`planner.sources.okta.deprovisioned_listing_in_doubt`): ``check`` warns
(:func:`guest_listing_finding`), and the plan holds each guest disable on a blocking ``guests.no_idp_guests`` item
(:func:`planner.rules.guests.no_idp_guests_items`) while the policy converts guests.
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterable

from ..model import Finding, IdpDirectory, Severity, SigmaMember
from .status_listing import deleted, listing_file

CODE = "idp-users-without-guests"
"""``check``'s warning code (:func:`guest_listing_finding`)."""


def active_guests(members: Iterable[SigmaMember]) -> list[SigmaMember]:
    """The active guest members (``userKind`` guest, neither archived nor inactive), in the order given."""
    return [m for m in members if m.is_guest and m.is_active]


def guest_listing_in_doubt(idp: IdpDirectory, members: Iterable[SigmaMember]) -> str | None:
    """The IdP users file (:func:`~.status_listing.listing_file`) when the export's users listing marks guests (a
    user carries a ``userType``), holds no guest user at all (:attr:`IdpUser.is_guest`: ``userType`` Guest or a
    ``#EXT#`` userName), and Sigma has an active guest member; else ``None`` (module docstring). A deleted user
    (:func:`~.status_listing.deleted`: a Deleted users download beside the list) is none of the listing's, so a
    deleted guest does not vouch for it (tester22 finding 7)."""
    users = idp.users
    if not any(u.user_type for u in users) or any(u.is_guest and not deleted(u) for u in users):
        return None  # a deleted guest is none of the listing's (tester22 finding 7)
    if not active_guests(members):
        return None
    return listing_file(idp, [u for u in users if not deleted(u)])


def guest_listing_finding(idp: IdpDirectory, members: Iterable[SigmaMember]) -> Finding | None:
    """``check``'s ``idp-users-without-guests`` warning at the users file when :func:`guest_listing_in_doubt`
    (``None`` otherwise): ``users.csv holds no guest user (no userType Guest, no #EXT# userName) while Sigma has 3
    active guest member(s) (carol.nguyen@northpartners.example, ...): a filtered download? ...``."""
    members = list(members)
    path = guest_listing_in_doubt(idp, members)
    if path is None:
        return None
    guests = active_guests(members)
    return Finding(Severity.WARNING, CODE, path, "", "userType",
                   f"{Path(path).name} holds no guest user (no userType Guest, no #EXT# userName) while Sigma has "
                   f"{len(guests)} active guest member(s) ({names(guests)}): a filtered download (Entra's \"Download "
                   "users\" follows the list's filters, \"User type == Member\" among them)? Under guests.action: "
                   "convert each would be disabled, their documents given to the document owner, instead of "
                   "converted; export the users again with no filter")


def names(members: list[SigmaMember], most: int = 5) -> str:
    """The members' emails, ``most`` at the most, then ``and N more``."""
    shown = ", ".join(m.email for m in members[:most])
    return shown + (f" and {len(members) - most} more" if len(members) > most else "")
