"""The columns a rule decides on that a file's format carries but the file lacks: "cannot tell", never "not said".

A date or state a record leaves empty is not said (docs/formats.md §0.7: it dates nothing). A whole column the
format carries but the file lacks is another thing: the export had the means to say and does not, so every rule
that would decide on it cannot tell (tester21 finding 7: a Sigma members.csv without ``createdAt``/``updatedAt``, an
Entra "Download users" without ``createdDateTime`` (the portal's default view) or a Graph answer whose ``$select``
left it out, an Entra download without ``externalUserState``, each switched its rule off in silence, and an archived
leaver's account was reactivated for whoever holds the address now, a guest who never accepted the invitation was
converted and linked). :func:`sigma_rule_columns` and :func:`idp_rule_columns` record them per file at load time
(:attr:`planner.model.SigmaExport.missing_columns`, :attr:`planner.model.IdpDirectory.missing_columns`); the rules
read them through :attr:`planner.directory.Directory.missing_columns` and hold what they would have decided on a
blocking item naming the file and the column; ``check`` warns ``missing-rule-column`` once per file
(:func:`missing_column_findings`).

A format that never carries the field stays "not said" and is not recorded: Google's admin console CSV and a
generic CSV whose mapping maps no ``created`` have no creation date (docs/formats.md §4a, §5), a SCIM export's
``meta`` is optional (§7); only Entra carries ``externalUserState``. A generic mapping's ``created`` column (and the
onelogin layout's ``created_at``) is the file's creation date, recorded as any format's.

The fields, and the rules they feed:

- Sigma members file: ``createdAt`` (``unmatched.new_member``: a member made after SCIM's set-up or the IdP export;
  ``linking.recycled_address``) and ``updatedAt`` (when an archived member left, absent ``archivedAt``:
  ``linking.rehire``, :func:`planner.rules.address_takeover.made_after_archive`);
- IdP users file of a format with a creation date (:attr:`planner.model.IdpUser.created_field`: Okta ``created``,
  Entra ``createdDateTime``, Google Directory API ``creationTime``, a generic CSV mapping's ``created``, OneLogin's
  ``created_at``; not a SCIM export, whose ``meta`` is optional,
  :data:`OPTIONAL_META`): ``linking.rehire``, ``linking.recycled_address``, ``unmatched.new_member`` (when the export
  was taken);
- Entra users file holding guests: ``externalUserState`` (``guests.invitation_pending``).
"""

from __future__ import annotations

from typing import Iterable

from ..model import Finding, IdpDirectory, IdpUser, MissingColumn, SigmaExport, SigmaMember, Severity

SIGMA_MEMBER_COLUMNS = {
    "createdAt": "unmatched.new_member, linking.recycled_address",
    "updatedAt": "linking.rehire",
}
"""The Sigma members fields a rule decides on, and what each feeds (as the ``check`` line says it)."""

CREATED_RULES = "linking.rehire, linking.recycled_address, unmatched.new_member"
INVITATION_RULES = "guests.invitation_pending"
INVITATION_FIELD = "externalUserState"
OPTIONAL_META = frozenset({"scim.resources"})
"""The users inputs whose creation date is optional in the format itself: a SCIM resource's ``meta`` (RFC 7643 §3.1:
assigned by the service provider, no attribute of it required; IdPs' SCIM exports and hand-made ListResponses often
carry only ``resourceType``), so a SCIM export without ``meta.created`` is "not said", as before."""


def _by_file(records: Iterable[SigmaMember | IdpUser]) -> dict[str, list]:
    out: dict[str, list] = {}
    for r in records:
        if r.source is not None:
            out.setdefault(r.source.file, []).append(r)
    return out


def sigma_rule_columns(export: SigmaExport) -> tuple[MissingColumn, ...]:
    """Each Sigma members file (``sigma.members`` input with records) none of whose members carries ``createdAt``,
    or ``updatedAt`` (nor ``archivedAt``), as a :class:`~planner.model.MissingColumn`, in input order, ``createdAt``
    first. A member without the value in a file that has it elsewhere is "not said" and not recorded."""
    members = _by_file(export.members)
    out = []
    for read in export.inputs:
        rows = members.get(read.path)
        if read.kind != "sigma.members" or not rows:
            continue
        if not any(m.created_at for m in rows):
            out.append(MissingColumn(read.path, "createdAt", SIGMA_MEMBER_COLUMNS["createdAt"]))
        if not any(m.updated_at or (m.raw and m.raw.get("archivedAt")) for m in rows):
            out.append(MissingColumn(read.path, "updatedAt", SIGMA_MEMBER_COLUMNS["updatedAt"]))
    return tuple(out)


def idp_rule_columns(idp: IdpDirectory) -> tuple[MissingColumn, ...]:
    """Each IdP users file of a format with a creation date (but SCIM's, :data:`OPTIONAL_META`) none of whose users
    carries one (read or unreadable),
    and each Entra users file holding a guest (:attr:`~planner.model.IdpUser.is_guest`) none of whose users carries
    ``externalUserState``, as :class:`~planner.model.MissingColumn`, in the order the files were read."""
    users = _by_file(idp.users)
    out = []
    for read in idp.inputs:
        rows = users.get(read.path)
        if not rows:
            continue
        field = rows[0].created_field
        if field and read.kind not in OPTIONAL_META and not any(u.created or u.created_unreadable for u in rows):
            out.append(MissingColumn(read.path, field, CREATED_RULES))
        if read.kind.startswith("entra.") and any(u.is_guest for u in rows) and not any(
                u.attributes and u.attributes.get(INVITATION_FIELD) for u in rows):
            out.append(MissingColumn(read.path, INVITATION_FIELD, INVITATION_RULES))
    return tuple(out)


def missing_column_findings(columns: Iterable[MissingColumn]) -> list[Finding]:
    """``check``'s ``missing-rule-column`` warning, one per file (its missing fields joined), in the order recorded:
    ``users.csv [createdDateTime]: no createdDateTime column (or no value in it), which linking.rehire, ... decide
    on: each of them holds what it would decide on it ...``."""
    by_file: dict[str, list[MissingColumn]] = {}
    for c in columns:
        by_file.setdefault(c.path, []).append(c)
    out = []
    for path, found in by_file.items():
        fields = ", ".join(c.field for c in found)
        rules = "; ".join(f"{c.field}: {c.rules}" for c in found)
        out.append(Finding(Severity.WARNING, "missing-rule-column", path, "", fields,
                           f"no {fields} column (or no value in it), which the format carries: the rules that decide "
                           f"on it cannot tell ({rules}), so each holds what it would decide on a blocking item; "
                           "export the file again with the column"))
    return out
