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

A user **never activated** (:func:`never_activated`: Okta ``STAGED``) whose Sigma member is active is
doubtful data: either the member was made by hand and the person never used the IdP account, or the
export predates the activation. Deactivating on it is never automatic: :mod:`.unmatched` makes
``unmatched.idp_inactive: deactivate`` a blocking ``unmatched.never_activated`` item for such a member,
settled by ``unmatched.decisions`` (``keep`` or ``deactivate``, docs/policy.md "unmatched").
"""

from __future__ import annotations

from ..model import IdpUser

NEVER_ACTIVATED = frozenset({"STAGED"})
"""Status words (normalized, :func:`status_word`) of a user created but never activated (Okta ``STAGED``:
"Users in this status have been created but not yet activated", docs/formats.md §2a)."""

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
    """True when ``user``'s status says it was created but never activated (:data:`NEVER_ACTIVATED`)."""
    return user is not None and status_word(user.status) in NEVER_ACTIVATED


def _tombstone(user: IdpUser) -> bool:
    """True when ``user``'s userPrincipalName is a soft-deleted Entra user's: the object id's 32 hex digits
    prefixed to the old UPN (:func:`planner.sources.entra.deleted_user_upn`)."""
    return len(user.user_name) > 32 and user.user_name[:32].casefold() == user.id.replace("-", "").casefold()


def inactive_because(user: IdpUser, idp_format: str = "") -> str:
    """Why ``user`` is not active, naming the export's field and value (module docstring).

    ``idp_format``: the export's format (:attr:`planner.model.IdpDirectory.format`), naming the flag
    that says ``false`` when no status word or deletion date does. Examples: ``is STAGED (never
    activated)``, ``is SUSPENDED``, ``is DEPROVISIONED (deactivated)``, ``was deleted (deletedDateTime
    2025-05-01T00:00:00Z)``, ``is disabled (accountEnabled: false)``, ``is inactive (active: false)``.
    """
    deleted = user.attributes.get("deletedDateTime")
    if deleted:
        return f"was deleted (deletedDateTime {deleted})"
    if user.status:
        meaning = MEANINGS.get(status_word(user.status))
        return f"is {user.status.strip()}" + (f" ({meaning})" if meaning else "")
    if idp_format.startswith("entra"):
        if _tombstone(user):
            return "was deleted (its userPrincipalName is a deleted user's)"
        return "is disabled (accountEnabled: false)"
    return "is inactive (active: false)"
