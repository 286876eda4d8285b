"""Required text fields of an export record: ``null``, empty or blank is a damaged record, never a value.

Every loader reads a record's text fields into the typed snapshot as written (``null`` read as ``""``); this
module is the one rule for the required ones, run on the loaded snapshot (like :mod:`.identity_values`), so
every format (Sigma JSON and CSV, Okta, Entra CSV and Graph JSON, Google CSV and API, SCIM, generic CSV) gets
it from the same code. A required field that is ``null``, ``""`` or white space only is a ``missing-value``
**error** (``check`` exits 1, ``plan`` refuses) naming the file, the record (JSON path or CSV line), the field
and the record's id; never a value (a custom account type ``''``, a team or group called ``''``, a group
named by its id, a user sending no ``userName``) on which the plan would downgrade, unlink or deactivate.

==================  ===================================  =====================================================
record              field (:data:`REQUIRED`)             why it is required
==================  ===================================  =====================================================
Sigma member        ``memberType``                       the account type's name, on every member
                                                         (docs/sigma-api.md §2.2, §4.2): an Admin read
                                                         without one would lose Admin with no question
Sigma team          ``name``                             every team has one (docs/sigma-api.md §3.2); IdP
                                                         groups link to teams by name (§5.3)
IdP user            its ``userName`` (Okta               what the IdP sends as SCIM ``userName``, REQUIRED
                    ``profile.login``, Entra             (RFC 7643 §4.1.1); Sigma identifies SCIM users by
                    ``userPrincipalName``, Google        it (docs/sigma-api.md §5.2)
                    ``primaryEmail``, SCIM ``userName``)
IdP group           its display name (Okta               SCIM ``displayName``, REQUIRED (RFC 7643 §4.2):
                    ``profile.name``, ``displayName``,   the name the IdP pushes, which links the group to
                    Google ``name``)                     the team of that name
==================  ===================================  =====================================================

The other required fields keep their own findings, each an error or a hold by the same reasoning: an id
(``memberId``, ``teamId``, an IdP user's or group's ``id``) without which the record cannot be named at all is
``missing-id`` where the loader meets it (the record is left out: an error on the Sigma side, an
incomplete-input hold on the IdP side, :data:`~.files.SKIPPED_CODES`); a Sigma member's ``email`` is
``empty-email`` (:func:`~.validation.check_sigma`, judged on the address's key); a member's ``userKind`` (or the
older ``isGuest``, docs/formats.md §1b) and every state boolean are ``unreadable-status``
(:func:`~.values.unreadable_status`), a members file without either a ``missing-column`` error.

Cost: one screen per field over the whole column (``all`` and ``str.isspace`` mapped in C); the per-record
walk runs only on a hit. One finding per file and field, at its first record, naming up to
:data:`_MAX_NAMED` records and the count.
"""

from __future__ import annotations

from dataclasses import dataclass
from operator import attrgetter
from typing import Any, Sequence

from ..model import Finding, IdpDirectory, SigmaExport
from .files import Findings
from .identity_values import USER_NAME_FIELDS

_MAX_NAMED = 6

GROUP_NAME_FIELDS = {
    "okta-api": "profile.name", "entra-csv": "displayName", "entra-graph": "displayName",
    "google-csv": "name", "google-api": "name", "scim": "displayName", "generic-csv": "groups",
}
"""Per IdP format, the source field of a group's display name."""


@dataclass(frozen=True)
class RequiredField:
    """One required text field: the record's ``attribute`` in the snapshot, the field's name in the export
    (``field``; ``None``: per IdP format, :data:`USER_NAME_FIELDS` / :data:`GROUP_NAME_FIELDS`), the record
    (``what``) and its id's attribute (``id_attribute``), what Sigma or the RFC says of it (``rule``), what a
    plan would do without it (``harm``) and what to export again (``again``)."""

    attribute: str
    field: str | None
    what: str
    id_attribute: str
    rule: str
    harm: str
    again: str


MEMBER_TYPE = RequiredField(
    "member_type", "memberType", "member", "member_id",
    "which Sigma writes on every member, the name of its account type (docs/sigma-api.md §2.2)",
    "the plan cannot tell the member's account type (an Admin would read as a custom type and lose Admin "
    "without a question)", "the members")
TEAM_NAME = RequiredField(
    "name", "name", "team", "team_id",
    "which Sigma requires of every team (docs/sigma-api.md §3.2)",
    "the plan cannot link the team to the IdP group of its name (the IdP would push that group onto it "
    "after the switch), nor name it in a policy", "the teams")
USER_NAME = RequiredField(
    "user_name", None, "IdP user", "id",
    "which the IdP sends as the SCIM userName, REQUIRED by RFC 7643 §4.1.1 (Sigma identifies SCIM users by it, "
    "docs/sigma-api.md §5.2)", "the plan cannot link or create the user, nor tell which member it is",
    "the users")
GROUP_NAME = RequiredField(
    "display_name", None, "IdP group", "id",
    "which the IdP pushes as the SCIM displayName, REQUIRED by RFC 7643 §4.2", "the plan cannot tell which team "
    "the group links to, nor name it in a policy", "the groups")

REQUIRED = (MEMBER_TYPE, TEAM_NAME, USER_NAME, GROUP_NAME)
"""Every required text field this module checks (module docstring)."""


def blank_rows(values: Sequence[str | None]) -> list[int]:
    """The indexes of ``values`` that are ``None``, empty or white space only; ``[]`` after one screen in C
    when none is (the usual case)."""
    if all(values) and not any(map(str.isspace, values)):  # type: ignore[arg-type]
        return []
    return [i for i, v in enumerate(values) if not v or v.isspace()]


def _shown(record: Any, field: str) -> str:
    """How the field was written, when the record keeps its raw fields (a Sigma member or team): ``null``,
    ``""``, ``white space`` (a CSV cell is trimmed: ``""``) or ``missing``; else ``empty``."""
    raw = getattr(record, "raw", None)
    if not isinstance(raw, dict):
        return "empty"
    if field not in raw:
        return "missing"
    value = raw[field]
    return "null" if value is None else '""' if value == "" else "white space" if isinstance(value, str) else repr(value)


def report_blank(records: Sequence[Any], required: RequiredField, findings: Findings, field: str | None = None) -> None:
    """One ``missing-value`` error per file for the ``records`` whose ``required`` field (named ``field`` in
    the export, by default ``required.field``) is blank (:func:`blank_rows`), at the first such record of the
    file (module docstring)."""
    field = field or required.field or required.attribute
    rows = blank_rows(list(map(attrgetter(required.attribute), records)))
    by_file: dict[str, list[Any]] = {}
    for row in rows:
        record = records[row]
        by_file.setdefault(record.source.file if record.source else "", []).append(record)
    for file, damaged in by_file.items():
        first = damaged[0]
        location = first.source.location if first.source else ""
        if len(damaged) == 1:
            who = (f"{required.what} {getattr(first, required.id_attribute)} has no {field} "
                   f"({_shown(first, field)})")
        else:
            named = [f"{getattr(r, required.id_attribute)} at {r.source.location if r.source else '?'}: "
                     f"{_shown(r, field)}" for r in damaged[:_MAX_NAMED]]
            more = f", ... ({len(damaged)} in all)" if len(damaged) > _MAX_NAMED else ""
            who = f"{len(damaged)} {required.what}s have no {field} ({', '.join(named)}{more})"
        findings.error("missing-value", file, location, field,
                       f"{who}, {required.rule}: the record is damaged, and {required.harm}; export "
                       f"{required.again} again")


def sigma_required_findings(export: SigmaExport) -> list[Finding]:
    """``missing-value`` errors for the Sigma members' ``memberType`` and the teams' ``name``."""
    findings = Findings()
    report_blank(export.members, MEMBER_TYPE, findings)
    report_blank(export.teams, TEAM_NAME, findings)
    return list(findings)


def idp_required_findings(directory: IdpDirectory) -> list[Finding]:
    """``missing-value`` errors for the IdP users' ``userName`` and the groups' display name, each named as
    the export's format names it (:data:`USER_NAME_FIELDS`, :data:`GROUP_NAME_FIELDS`)."""
    fmt = directory.format.split("+")[0]
    findings = Findings()
    report_blank(directory.users, USER_NAME, findings, USER_NAME_FIELDS.get(fmt, "userName"))
    report_blank(directory.groups, GROUP_NAME, findings, GROUP_NAME_FIELDS.get(fmt, "displayName"))
    return list(findings)
