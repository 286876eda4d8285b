"""Identity values a spreadsheet damaged, and values too long to be real: one check for every loader.

Run on the loaded snapshot (like :mod:`.formulas`), so every format (Okta, Entra CSV and Graph
JSON, Google CSV and API, generic SCIM, generic CSV, Sigma JSON and CSV) gets the same rule
from the same code (docs/formats.md §0.8, §0.11). Spreadsheet damage is what
:func:`~.values.spreadsheet_damage` recognises: Excel's formula wrapper ``="..."``, its text marker
``'`` (in an address, an ``externalId`` or an id only: ``'t Hooft`` is a Dutch family name) and a
formula error (``#NAME?``).

- ``excel-damaged-value`` on an IdP user (a **warning**, never alone): a ``userName`` (Entra
  ``userPrincipalName``, Okta ``profile.login``...), an email, an ``externalId`` or a name a spreadsheet
  rewrote (:func:`damaged_cells`). The plan holds the person on a blocking ``inputs.spreadsheet_damage``
  item (:mod:`planner.rules.inputs`): no link, no create, and the member whose address the cell shows
  (``="ann@x.com"`` shows ``ann@x.com``) held too, never deactivated as matched by no IdP user. An
  address or ``externalId`` that is a formula error is ``spreadsheet-error-value`` instead
  (:meth:`~.files.Findings.skipped`): the person is unknown, so every deactivation is a blocking
  ``inputs.truncated`` item as well.
- ``excel-damaged-value`` (error) elsewhere: a Sigma member's email, name or ``memberType`` (an account type a
  VLOOKUP turned into ``#N/A`` was read as a custom account type: tester21 finding 8), an IdP group's or a Sigma
  team's name, the user id of the JSON formats whose loaders have no id check (SCIM, Graph): the plan
  acts on every member, and a team is named after its group, so ``check`` and ``plan`` stop. The
  loaders' ids with damage are ``excel-mangled-id`` errors (:func:`~.values.is_excel_mangled`).
- ``value-too-long`` (error): an address (``userName``, email) over 254 characters (RFC 5321
  §4.5.3.1), a name (given, family, display, team or group name, a Sigma first/last name) or an id
  over :data:`NAME_LIMIT` characters. Sigma documents no limit (docs/sigma-api.md); no real
  name comes near 256, so such a value is damage (a cell pasted into another, a runaway quote)
  and would be sent to Sigma as written.

Cheap screens first: one pass over each checked field of a side (:mod:`.screens`: the first characters of its
values and its longest value, in C), made once by the loader and read by every check here; the per-field checks,
and their per-record loops, run only on a hit.
"""

from __future__ import annotations

from dataclasses import replace
from itertools import chain
from operator import attrgetter
from typing import Iterable, Sequence

from ..model import DamagedCell, DamagedUser, Finding, IdpDirectory, IdpUser, SigmaExport, SourceRef, SpreadsheetDamage
from .files import Findings
from .screens import FieldScreen, IdpScreens, SigmaScreens, idp_screens, idp_user_screens, records_with, sigma_screens
from .values import DAMAGE_STARTS, ids_hold_white_space, report_id_white_space, spreadsheet_damage

ADDRESS_LIMIT = 254
"""The longest email address (RFC 5321 §4.5.3.1.3 path of 256 octets, less the angle brackets)."""

NAME_LIMIT = 256
"""The longest name or id accepted: Sigma publishes no limit (docs/sigma-api.md); a generous bound
no real name or IdP id reaches (Okta ids are 20 characters, Entra 36, Google 21, Sigma memberIds 29)."""

USER_NAME_FIELDS = {
    "okta-api": "profile.login", "entra-csv": "userPrincipalName", "entra-graph": "userPrincipalName",
    "google-csv": "primaryEmail", "google-api": "primaryEmail", "scim": "userName", "generic-csv": "userName",
    "onelogin": "email",
}
EMAIL_FIELDS = {
    "okta-api": "profile.email", "entra-csv": "mail", "entra-graph": "mail", "google-csv": "primaryEmail",
    "google-api": "primaryEmail", "scim": "emails", "generic-csv": "email",
    "onelogin": "email",
}
"""Per IdP format, the source field of the primary email (other addresses are named ``emails``)."""

UNCHECKED_ID_FORMATS = frozenset({"scim", "entra-graph"})
"""IdP formats whose loaders do not run the ``excel-mangled-id`` check on user ids themselves."""


def _starts_damaged(value: str | None) -> bool:
    """True when ``value`` starts with a character spreadsheet damage starts with (:data:`~.values.DAMAGE_STARTS`):
    the exact test of a value a screen (:class:`~.screens.FieldScreen`) found may be damaged."""
    return bool(value) and value[0] in DAMAGE_STARTS  # type: ignore[index]


def damage_message(what: str, field: str, value: str, damage: SpreadsheetDamage) -> str:
    """The one message of a cell a spreadsheet damaged (``excel-damaged-value``, ``spreadsheet-error-value``)."""
    return (f"{what} {field} {value!r} {damage.words()}: a spreadsheet rewrote the row; correct it in the "
            "source or export again without opening the file in a spreadsheet")


def _damaged(findings: Findings, source: SourceRef | None, field: str, what: str, value: str,
             damage: SpreadsheetDamage) -> None:
    file, location = (source.file, source.location) if source else ("", "")
    findings.error("excel-damaged-value", file, location, field, damage_message(what, field, value, damage))


def _too_long(findings: Findings, source: SourceRef | None, field: str, what: str, value: str, limit: int,
              rule: str) -> None:
    file, location = (source.file, source.location) if source else ("", "")
    findings.error("value-too-long", file, location, field,
                   f"{what} {field} is {len(value):,} characters long ({value[:40]!r}...), over the limit of "
                   f"{limit} ({rule}): damaged data (cells run together?); correct it in the source")


def _judge(rows: Sequence[tuple[SourceRef | None, str | None]], field: str, what: str, findings: Findings, *,
           marker: bool | str = False, limit: int = 0, rule: str = "") -> None:
    """The errors for one field, each value of ``rows`` read at its source: with ``marker``, spreadsheet damage is
    an ``excel-damaged-value`` error (``"name"``: a name's, where a leading apostrophe is no damage); with
    ``limit``, a value longer is a ``value-too-long`` error naming ``rule``. Damage first, then lengths."""
    texts = [(source, v or "") for source, v in rows]
    if marker:
        for source, v in texts:
            damage = spreadsheet_damage(v)
            if damage is not None and (marker != "name" or damage.kind != "text-marker"):
                _damaged(findings, source, field, what, v, damage)
    if limit:
        for source, v in texts:
            if len(v) > limit:
                _too_long(findings, source, field, what, v, limit, rule)


def _check(screen: FieldScreen, records: Sequence, name: str, field: str, what: str, findings: Findings, *,
           marker: bool | str = False, limit: int = 0, rule: str = "") -> None:
    """:func:`_judge` over attribute ``name`` of ``records`` (each read at its ``source``), for what ``screen``
    (that attribute's :class:`~.screens.FieldScreen`) says some value may hold: nothing is read on no hit."""
    marker = marker if marker and screen.may_start_with(DAMAGE_STARTS) else False
    limit = limit if screen.longest > limit else 0
    if marker or limit:
        _judge(list(zip(map(_source, records), map(attrgetter(name), records))), field, what, findings,
               marker=marker, limit=limit, rule=rule)


_ADDRESS_RULE = "RFC 5321 §4.5.3.1"
_NAME_RULE = "docs/formats.md §0.11"
_source = attrgetter("source")


def damaged_cells(user: IdpUser, fmt: str) -> tuple[DamagedCell, ...]:
    """The values of ``user`` (an IdP user of export format ``fmt``, ``okta-api``, ``google-csv``...) a
    spreadsheet rewrote (:func:`~.values.spreadsheet_damage`), in field order: the ``userName``, the
    emails (one equal to the ``userName``, an Entra UPN kept among them, judged once, as the ``userName``),
    the ``externalId``, then the given, family and display names, where a leading apostrophe is no damage
    (``'t Hooft``). Empty when none is (the common case, after a cheap screen per value)."""
    out = []
    primary = EMAIL_FIELDS.get(fmt, "emails")
    values = [(USER_NAME_FIELDS.get(fmt, "userName"), user.user_name, True)]
    values += [(primary if i == 0 else "emails", e.value, True) for i, e in enumerate(user.emails)
               if e.value != user.user_name]
    values += [("externalId", user.external_id, True), ("givenName", user.given_name, False),
               ("familyName", user.family_name, False), ("displayName", user.display_name, False)]
    for field, value, identity in values:
        if _starts_damaged(value) and (damage := spreadsheet_damage(value)) is not None and (
                identity or damage.kind != "text-marker"):
            out.append(DamagedCell(field, value, damage, identity))
    return tuple(out)


def damaged_users_of(directory: IdpDirectory, screens: IdpScreens | None = None) -> tuple[DamagedUser, ...]:
    """The users of ``directory`` a spreadsheet rewrote a value of, in export order: what its loader's scan found
    (:attr:`~planner.model.IdpDirectory.damaged_users`, :func:`with_damaged_users`), else one scan now
    (:func:`damaged_users`, screened by ``screens`` when given: a directory made in memory)."""
    if directory.damaged_users is not None:
        return directory.damaged_users
    return tuple(DamagedUser(u.id, cells) for u, cells in damaged_users(directory.users, directory.format, screens))


def with_damaged_users(directory: IdpDirectory, screens: IdpScreens | None = None) -> IdpDirectory:
    """``directory`` (as a loader read it) carrying its damaged users (:func:`damaged_users_of`; ``screens``: its
    :func:`~.screens.idp_screens`, made once by the loader), scanned once for its findings
    (:func:`idp_value_findings`) and the plan (:func:`planner.rules.inputs.spreadsheet_holds`)."""
    return replace(directory, damaged_users=damaged_users_of(directory, screens))


_SCANNED_FIELDS = ("user_name", "external_id", "given_name", "family_name", "display_name")
"""The fields of an IdP user :func:`damaged_cells` judges, besides ``emails``."""


def _emails_damaged(emails: Sequence) -> bool:
    return any(map(_starts_damaged, map(attrgetter("value"), emails)))


def damaged_users(users: Iterable[IdpUser], fmt: str,
                  screens: IdpScreens | None = None) -> list[tuple[IdpUser, tuple[DamagedCell, ...]]]:
    """Each of ``users`` (IdP users of export format ``fmt``; ``google-csv+...`` reads as its first part) with a
    value a spreadsheet rewrote, and those values (:func:`damaged_cells`), in the order given.

    Screened first (``screens``, the users' :class:`~.screens.IdpScreens`, made here when not given): a field
    none of whose values starts with ``'``, ``=`` or ``#`` holds no damage, so the common export is judged by
    those first-character sets alone; on a hit, only the users whose value of a field that hit starts so are
    judged (a test per value of that field), not every user (docs/performance.md, "## `check`")."""
    users, fmt = list(users), fmt.split("+")[0]
    screens = screens or idp_user_screens(users)
    tests = [(name, _starts_damaged) for name in _SCANNED_FIELDS
             if getattr(screens, name).may_start_with(DAMAGE_STARTS)]
    if screens.emails.may_start_with(DAMAGE_STARTS):
        tests.append(("emails", _emails_damaged))
    return [(u, cells) for u in records_with(users, tests) if (cells := damaged_cells(u, fmt))]


def _user_damage_findings(directory: IdpDirectory, findings: Findings, screens: IdpScreens) -> None:
    """Per damaged value of an IdP user, an ``excel-damaged-value`` warning, or for an address or
    ``externalId`` whose value is lost a ``spreadsheet-error-value`` (:meth:`~.files.Findings.skipped`),
    naming file, line or record, and field (module docstring)."""
    damaged = damaged_users_of(directory, screens)
    users = {u.id: u for u in directory.users} if damaged else {}
    for found in damaged:
        user = users[found.idp_id]
        file, location = (user.source.file, user.source.location) if user.source else ("", "")
        for cell in found.cells:
            message = damage_message("IdP user", cell.field, cell.value, cell.damage) + (
                "; the person is held (plan: inputs.spreadsheet_damage)")
            if cell.lost:
                findings.skipped("spreadsheet-error-value", file, location, cell.field, message)
            else:
                findings.warning("excel-damaged-value", file, location, cell.field, message)


def idp_value_findings(directory: IdpDirectory, screens: IdpScreens | None = None) -> list[Finding]:
    """``excel-damaged-value`` (and ``spreadsheet-error-value``) findings and ``value-too-long`` errors for
    the users and groups of an IdP export (module docstring). ``screens``: the directory's
    :func:`~.screens.idp_screens` (made here when not given)."""
    users, fmt = directory.users, directory.format.split("+")[0]
    screens = screens or idp_screens(directory)
    findings = Findings()
    _user_damage_findings(directory, findings, screens)
    _check(screens.id, users, "id", "id", "IdP user", findings, marker=fmt in UNCHECKED_ID_FORMATS,
           limit=NAME_LIMIT, rule=_NAME_RULE)
    _check(screens.user_name, users, "user_name", USER_NAME_FIELDS.get(fmt, "userName"), "IdP user", findings,
           limit=ADDRESS_LIMIT, rule=_ADDRESS_RULE)
    for primary in (True, False) if screens.emails.longest > ADDRESS_LIMIT else ():
        _judge([(u.source, e.value) for u in users for e in (u.emails[:1] if primary else u.emails[1:])
                if e.value != u.user_name],
               EMAIL_FIELDS.get(fmt, "emails") if primary else "emails", "IdP user", findings,
               limit=ADDRESS_LIMIT, rule=_ADDRESS_RULE)
    for field, name in (("externalId", "external_id"), ("givenName", "given_name"), ("familyName", "family_name"),
                        ("displayName", "display_name")):
        _check(getattr(screens, name), users, name, field, "IdP user", findings, limit=NAME_LIMIT, rule=_NAME_RULE)
    _check(screens.group_name, directory.groups, "display_name", "displayName", "IdP group", findings,
           marker="name", limit=NAME_LIMIT, rule=_NAME_RULE)
    return list(findings)


def sigma_id_findings(export: SigmaExport, read: Sequence[Finding] = ()) -> list[Finding]:
    """One ``invalid-id`` error (:func:`~.values.report_id_white_space`) per memberId, teamId and team membership
    id (``teamId``, ``userId``) of a Sigma export that holds white space other than a space inside (U+00A0, U+2028,
    U+3000, a tab...), at its record: every loader reads an id the one way (:func:`~.values.read_id`), so such an id
    is reported before the memberships are joined to their members and teams
    (:func:`~.validation.drop_dangling_memberships`), never trimmed in one file and kept in another (leftovers16
    item 3; the IdP side: :meth:`~.directory.DirectoryBuilder.build`). Decided on the joined ids in C first. ``read``:
    the loader's findings (a line break in a CSV id is its ``line-break-in-value`` already)."""
    members, teams, memberships = export.members, export.teams, export.team_memberships
    member_id, team_id = attrgetter("member_id"), attrgetter("team_id")
    # a team's memberships share its teamId: each distinct one joined once (224k -> 4k at 100k members)
    ids = chain(map(member_id, members), map(team_id, teams), set(map(team_id, memberships)),
                map(member_id, memberships))
    if not ids_hold_white_space(ids):
        return []
    findings = Findings(read)
    for field, what, records, attr in (("memberId", "member id", members, "member_id"),
                                       ("teamId", "team id", teams, "team_id"),
                                       ("teamId", "team membership's team id", memberships, "team_id"),
                                       ("userId", "team membership's member id", memberships, "member_id")):
        for record in records:
            source = record.source
            report_id_white_space(findings, source.file if source else "", source.location if source else "", field,
                                  what, getattr(record, attr))
    return list(findings)[len(read):]


def sigma_value_findings(export: SigmaExport, screens: SigmaScreens | None = None) -> list[Finding]:
    """``excel-damaged-value`` and ``value-too-long`` errors for the members and teams of a Sigma export.
    ``screens``: the export's :func:`~.screens.sigma_screens` (made here when not given)."""
    members = export.members
    screens = screens or sigma_screens(export)
    findings = Findings()
    _check(screens.email, members, "email", "email", "member", findings, marker=True, limit=ADDRESS_LIMIT,
           rule=_ADDRESS_RULE)
    for field, name, marker in (("memberId", "member_id", False), ("firstName", "first_name", "name"),
                                ("lastName", "last_name", "name")):
        _check(getattr(screens, name), members, name, field, "member", findings, marker=marker, limit=NAME_LIMIT,
               rule=_NAME_RULE)
    # the account type decides the admin guards, downgrades and seats: a formula error (#N/A of a VLOOKUP) or
    # a ="..." wrapper there is no custom account type (tester21 finding 8)
    _check(screens.member_type, members, "member_type", "memberType", "member", findings, marker=True,
           limit=NAME_LIMIT, rule=_NAME_RULE)
    _check(screens.team_name, export.teams, "name", "name", "team", findings, marker="name", limit=NAME_LIMIT,
           rule=_NAME_RULE)
    return list(findings)
