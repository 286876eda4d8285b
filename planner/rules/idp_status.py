"""What an IdP user's inactive state means, in the export's own words (issue 10, tester3 findings 4 and 8).

A member whose IdP user is not active is a leaver (:class:`~planner.directory.PersonStatus`), whatever
made the user inactive; but the states differ, and reasons and review items say which one the export
holds, by its field and value (:func:`inactive_because`):

- Okta ``status`` (docs/formats.md §2a): ``STAGED`` is a user created but **never activated**,
  ``SUSPENDED`` a user suspended (not deactivated: it can be unsuspended), ``DEPROVISIONED`` a
  deactivated user;
- Entra ID: ``deletedDateTime`` set is a soft-deleted user (docs/formats.md §3a, whatever
  ``accountEnabled`` says), a "tombstone" ``userPrincipalName`` too; else ``accountEnabled: false``
  is a user whose sign-in is blocked (disabled);
- Google Workspace: ``Suspended`` / ``Archived`` (docs/formats.md §4a);
- SCIM and a generic CSV's ``active`` column: ``active: false``.

A user **never activated** (:func:`never_activated`: Okta and JumpCloud ``STAGED``, OneLogin ``status`` 0
Unactivated through the ``onelogin`` layout or a generic CSV mapping's ``never_activated_statuses``, §5) whose
Sigma member is active is
doubtful data: either the member was made by hand and the person never used the IdP account, or the
export predates the activation. Deactivating on it is never automatic: :mod:`.unmatched` makes
``unmatched.idp_inactive: deactivate`` a blocking ``unmatched.never_activated`` item for such a member,
settled by ``unmatched.decisions`` (``keep`` or ``deactivate``, docs/policy.md "unmatched").

A user **suspended** (:func:`suspended`) is on a reversible hold (leave, a security hold, an investigation): Okta
``SUSPENDED`` "cannot sign in, assignments kept" and can be unsuspended (docs/formats.md §2a), Google Workspace
``Suspended`` (the CSV's ``Status [READ ONLY]``, the Directory API's ``suspended: true``, §4a-b), JumpCloud
``state: SUSPENDED`` (§6), OneLogin ``status`` 2 (§5, the ``onelogin`` layout or a generic CSV mapping's
``suspended_statuses``), a
generic CSV's status word ``suspended``. Archiving the member and moving their documents is not undone by
unsuspending, so :mod:`.unmatched` follows ``unmatched.idp_suspended`` for them (default ``review``: a blocking
``unmatched.suspended`` item), not ``unmatched.idp_inactive``. Entra's ``accountEnabled: false`` (disabled) and
deleted users, Okta ``DEPROVISIONED``, Google ``Archived`` and SCIM's ``active: false`` are no suspension.

A user in a **temporary state** of an active account is active, never a leaver: Okta ``LOCKED_OUT``,
``PASSWORD_EXPIRED``, ``RECOVERY`` (docs/formats.md §2a), OneLogin ``status`` 3 Locked, 4 Password expired, 5
Awaiting password reset, 7 Password pending, 8 Security questions required (§5, tester16a finding 1): their
loaders read them as active (:data:`planner.sources.okta.ACTIVE_STATUSES`, the ``active_statuses`` of
:data:`planner.sources.generic_csv.ONELOGIN`), so no rule here sees them.

A status that is a code (OneLogin's numbers) is named with the IdP's label
(:attr:`planner.model.IdpUser.status_label`): ``was never activated: status is 0 (Unactivated)``, ``is suspended:
status is 2 (Suspended)`` (:func:`inactive_because`).
"""

from __future__ import annotations

from ..model import IdpUser
from ..sources.entra import deleted_user_upn
from ..sources.status_listing import DELETION_FIELDS

NEVER_ACTIVATED = frozenset({"STAGED"})
"""Status words (normalized, :func:`status_word`) of a user created but never activated (Okta ``STAGED``:
"Users in this status have been created but not yet activated", docs/formats.md §2a)."""

SUSPENDED = frozenset({"SUSPENDED"})
"""Status words (normalized, :func:`status_word`) of a suspended user: Okta and JumpCloud ``SUSPENDED``, Google
``Suspended``, a generic CSV's ``suspended`` (module docstring). Okta's ``LOCKED_OUT``, ``PASSWORD_EXPIRED`` and
``RECOVERY`` are active users (docs/formats.md §2a), never read here."""

MEANINGS = {
    "STAGED": "never activated",
    "DEPROVISIONED": "deactivated",
    "DEACTIVATED": "deactivated",
}
"""What a status word means, said after the word when the word alone does not say it."""


def status_word(status: str | None) -> str:
    """``status`` in Okta's enum spelling: upper case, blanks as ``_`` (``"Pending user action"`` ->
    ``PENDING_USER_ACTION``); ``""`` for none."""
    return "_".join((status or "").upper().split())


def never_activated(user: IdpUser | None) -> bool:
    """True when ``user``'s status says it was created but never activated: its word is one of
    :data:`NEVER_ACTIVATED`, or the export's mapping says its word means it
    (:attr:`planner.model.IdpUser.never_activated`: a generic CSV's ``never_activated_statuses``, OneLogin's ``0``
    Unactivated, docs/formats.md §5)."""
    return user is not None and (user.never_activated or status_word(user.status) in NEVER_ACTIVATED)


def suspended(user: IdpUser | None) -> bool:
    """True when ``user`` is inactive and suspended (module docstring): its status word is one of :data:`SUSPENDED`,
    or the export's mapping says its word means suspended (:attr:`planner.model.IdpUser.suspended`: a generic CSV's
    ``suspended_statuses``, OneLogin's ``2``). An active user is never suspended here, whatever its word."""
    return (user is not None and user.active is False
            and (user.suspended or status_word(user.status) in SUSPENDED))


GOOGLE_FLAGS = {"Suspended": "suspended: true", "Archived": "archived: true"}
"""The Directory API flag a Google status word was read from (:func:`planner.sources.google._status`)."""


def inactive_because(user: IdpUser, idp_format: str = "") -> str:
    """Why ``user`` is not active, naming the export's field and value (module docstring).

    ``idp_format``: the export's format (:attr:`planner.model.IdpDirectory.format`), naming the flag
    that says ``false`` when no status word or deletion date does. Examples: ``is STAGED (never
    activated)``, ``is SUSPENDED``, ``is Suspended (suspended: true)`` (the Google Directory API's flag), ``is 2
    (suspended)`` / ``is 0 (never activated)`` (a word a generic CSV's mapping reads as suspended / never
    activated), ``is suspended: status is 2 (Suspended)`` and ``was never activated: status is 0 (Unactivated)``
    (a code with its IdP's label, :attr:`planner.model.IdpUser.status_label`: OneLogin, tester16a finding 1), ``is
    DEPROVISIONED (deactivated)``, ``was deleted (deletedDateTime 2025-05-01T00:00:00Z)`` (Google: ``deletionTime``), ``is disabled
    (accountEnabled: false)``, ``is inactive (active: false)``.
    """
    for field in DELETION_FIELDS:
        deleted = user.attributes.get(field)
        if deleted:
            return f"was deleted ({field} {deleted})"
    if user.status:
        word = user.status.strip()
        if user.status_label:
            state = ("was never activated" if never_activated(user) else "is suspended" if suspended(user)
                     else "is inactive")
            return f"{state}: status is {word} ({user.status_label})"
        meaning = MEANINGS.get(status_word(word))
        if idp_format == "google-api" and word in GOOGLE_FLAGS:
            meaning = GOOGLE_FLAGS[word]
        elif user.suspended and status_word(word) not in SUSPENDED:
            meaning = "suspended"
        elif user.never_activated and status_word(word) not in NEVER_ACTIVATED:
            meaning = "never activated"
        return f"is {word}" + (f" ({meaning})" if meaning else "")
    if idp_format.startswith("entra"):
        if deleted_user_upn(user.user_name, user.id) is not None:
            return "was deleted (its userPrincipalName is a deleted user's)"
        return "is disabled (accountEnabled: false)"
    return "is inactive (active: false)"
