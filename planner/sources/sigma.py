"""Sigma export directory loader: members, teams, team memberships, account types.

A *Sigma export* is a directory (file names matched case-insensitively):

==========================  =================================================================
``members.json``            ``GET /v2/members`` or ``/v2.1/members`` answers (docs/sigma-api.md §2.3):
                            a bare array, one page ``{"entries": [...], "nextPage": ...}``,
                            or an array of pages. **Required** (or ``members.csv``).
``teams.json``              ``GET /v2/teams`` answers, same shapes (docs/sigma-api.md §3.2).
                            Team objects of ``GET /v2/teams/{teamId}`` carrying ``members``
                            are accepted too.
``team_members.json``       ``{teamId: <GET /v2/teams/{teamId}/members answer>}`` where each
                            answer is a page ``{"entries": [{userId, isTeamAdmin, addedBy}]}``,
                            an array of pages or a bare array (docs/sigma-api.md §3.3); a flat
                            array of ``{teamId, userId, isTeamAdmin}`` records is accepted.
``account_types.json``      optional ``GET /v2/accountTypes`` pages ``{"entries": [{accountTypeId,
                            accountTypeName, description, isCustom}], "nextPageToken"}``
                            (docs/sigma-api.md §4.1). Without it, ``memberType`` is not validated.
``members.csv``             CSV equivalent, headers = API field names (docs/formats.md §1f):
                            ``memberId,email,firstName,lastName,memberType,userKind,
                            isArchived,isInactive,createdAt,updatedAt`` (+ any other field);
                            ``memberId``, ``email``, ``memberType``, ``isArchived``, ``isInactive``
                            required, and ``userKind`` or the older ``isGuest``.
``teams.csv``               ``teamId,name,description,visibility,isArchived``; ``teamId``,
                            ``name`` required.
``team_members.csv``        ``teamId,userId,isTeamAdmin[,addedBy]``; ``memberId`` is accepted
                            for ``userId`` (docs/formats.md §1f spelling, with ``teamName,email``).
``account_types.csv``       ``accountTypeId,accountTypeName,description,isCustom``.
``scim/Users.json``,        optional, both or neither: Sigma's SCIM ``GET /Users`` and ``GET /Groups``
``scim/Groups.json``        ListResponses as ``sigma-migrate fetch`` writes them (read by
                            :mod:`planner.sources.scim`): which members and teams an IdP already
                            provisioned (:class:`~planner.model.ScimUser`, ``externalId`` set).
``fetch-manifest.json``     optional: what ``sigma-migrate fetch`` recorded, whether it read Sigma's
                            SCIM state (:func:`planner.sources.manifest.read_fetch_manifest`) and each file it
                            wrote with its record count, checked against what is read
                            (:func:`planner.sources.manifest.check_fetch_counts`).
==========================  =================================================================

When both a ``.json`` and a ``.csv`` of one kind exist, the JSON is read and the
CSV is reported as ignored (``ignored-file``). Members and teams carry the JSON
path of their own object (``$[1].entries[3]``) or their CSV line; team
memberships from JSON share the path of their page's ``entries`` array
(``$["teamId"].entries``), at ~300k memberships per org. Every field of each member object
is kept in :attr:`SigmaMember.raw` (camelCase keys, JSON values as loaded; CSV
cells as strings).

Findings made here are per file / per record (parse level); cross-record
checks (duplicate emails, unknown ``memberType``, dangling references) are in
:mod:`planner.sources.validation`.

The Sigma side is what the plan acts on, so what cannot be used exactly is an
**error**, never a guess: a member / team / membership without its id or with
an id that is not a string (``"memberId": 12``, ``null``), an entry that is
not an object, the same memberId or teamId twice (``duplicate-id``), an id a
spreadsheet damaged (``1.04E+20``: ``excel-mangled-id``), a boolean that is none
of the docs/formats.md §0.6 spellings (``isArchived=maybe``: ``invalid-boolean``), a member
state left empty (an empty ``isArchived`` / ``isInactive`` cell, JSON ``null``: ``unreadable-status``;
absent from a JSON record it is ``false``, the API's optional boolean, docs/sigma-api.md §2.2), a
missing ``teams`` file, or a teams file without its ``team_members`` file, whatever
the teams count (``missing-file``: the two are exported together; a plan without memberships
would take every team for empty). A ``{teamId: answer}`` team members file without an
answer for a team of the teams file is incomplete (``missing-team-members``, blocking what
the gap could change, :mod:`planner.rules.inputs`). Records without a usable id are left out of the export; records
with a damaged id are kept (as strings, so nothing later trips on them); the
error stops ``plan``. A member's kind is ``userKind``, else the older ``isGuest``, else unknown (``""``) with an
``unreadable-status`` / ``missing-column`` error (:func:`_user_kind`, :func:`_user_kinds`); a ``memberType`` or a
team ``name`` that is ``null`` or blank is read as written and is :mod:`planner.sources.required`'s
``missing-value`` error.
"""

from __future__ import annotations

from datetime import datetime
from operator import attrgetter
from pathlib import Path
from typing import Any

import msgspec

from ..model import (
    AccountType,
    Finding,
    ScimGroup,
    ScimUser,
    Severity,
    SigmaExport,
    SigmaMember,
    SigmaTeam,
    SourceRef,
    TeamMembership,
)
from .envelopes import batches, objects, records
from .files import Findings, guarded, read_json
from .tabular import Table, flag_damaged_ids, read_table
from .values import (
    MISSING, InvalidValue, damaged_id_message, date_field, fast_email_key, is_excel_mangled, membership_change_time,
    opt_text, parse_bool, read_id,
    unreadable_status,
)
from .values import json_type as _type_name

MEMBER_ALIASES = {
    "memberId": ("member id", "member_id"),
    "email": ("email address", "e-mail", "mail"),
    "firstName": ("first name", "first_name", "given name", "givenName"),
    "lastName": ("last name", "last_name", "surname", "family name", "familyName"),
    "memberType": ("member type", "member_type", "account type", "accountType", "accountTypeName"),
    "userKind": ("user kind", "user_kind"),
    "isGuest": ("is guest", "is_guest"),
    "isArchived": ("is archived", "archived", "is_archived"),
    "isInactive": ("is inactive", "inactive", "is_inactive"),
    "organizationId": ("organization id",),
    "createdAt": ("created at", "created"),
    "updatedAt": ("updated at", "updated"),
    "createdBy": ("created by",),
    "updatedBy": ("updated by",),
    "homeFolderId": ("home folder id",),
    "profileImgUrl": ("profile img url",),
}
TEAM_ALIASES = {
    "teamId": ("team id", "team_id", "id"),
    "name": ("team name", "teamName", "team"),
    "description": (),
    "visibility": (),
    "isArchived": ("is archived", "archived"),
    "createdAt": ("created at",),
    "updatedAt": ("updated at",),
    "createdBy": ("created by",),
    "updatedBy": ("updated by",),
}
TEAM_MEMBER_ALIASES = {
    "teamId": ("team id", "team_id"),
    "userId": ("memberId", "member id", "user id", "member_id", "user_id"),
    "isTeamAdmin": ("is team admin", "team admin", "isAdmin", "is_team_admin"),
    "addedBy": ("added by",),
    "teamName": ("team name", "team"),
    "email": ("email address",),
}
ACCOUNT_TYPE_ALIASES = {
    "accountTypeId": ("account type id", "id"),
    "accountTypeName": ("account type name", "name", "account type"),
    "description": (),
    "isCustom": ("is custom", "custom"),
}

KNOWN_USER_KINDS = ("internal", "guest", "embed")


def _pick(directory: Path, stem: str, findings: Findings) -> Path | None:
    """The ``<stem>.json`` or ``<stem>.csv`` file of the export (JSON preferred), matched case-insensitively.

    A directory of that name is returned too: reading it gives the ``not-a-file`` error that names it.
    """
    by_name = {p.name.casefold(): p for p in directory.iterdir() if p.is_file() or p.is_dir()}
    json_file = by_name.get(f"{stem}.json")
    csv_file = by_name.get(f"{stem}.csv")
    if json_file and csv_file:
        findings.info(
            "ignored-file", csv_file, "", "",
            f"{json_file.name} is read; {csv_file.name} is ignored (both hold {stem.replace('_', ' ')})",
        )
    return json_file or csv_file


def _bool(rec: dict, key: str, default: bool, file: str, where: str, findings: Findings, unknown: str) -> bool:
    """A JSON boolean field: the literal ``true``/``false``; absent gives ``default``.

    Absent gives ``default`` (what the API means by leaving it out). Anything else present
    (``null``, ``""``, ``"True"``, ``"no"``, ``0``) is an ``unreadable-status`` error
    (:func:`~planner.sources.values.unreadable_status`; ``unknown`` says what cannot be read, e.g.
    ``"whether the member is archived"``) and ``default``: Sigma writes its booleans as JSON
    booleans or leaves them out (docs/sigma-api.md §2.2, reference notes §2.2: "boolean,
    optional"), so another value is not Sigma's and is never read as a guess.
    """
    value = rec.get(key)
    if value is True or value is False:
        return value
    if key in rec:
        unreadable_status(findings, file, where, key, value, "true or false", unknown)
    return default


def _bools(table: Table, name: str, default: bool | None, findings: Findings, unknown: str) -> list[bool | None]:
    """A CSV boolean column (§0.6, :func:`~planner.sources.values.parse_bool`), one value per row.

    Without the column every row is ``default`` (``None`` also for an unreadable cell: the caller tells it
    from a value; the columns other than the members' ``isArchived`` /
    ``isInactive`` are optional, docs/formats.md §1f). In a present column an empty cell says nothing
    and a cell that is no boolean (``0``, ``yes``) says nothing Sigma writes (``unknown``, e.g.
    ``"whether the team is archived"``, cannot be read): an ``unreadable-status`` error
    (:func:`~planner.sources.values.unreadable_status`, the one rule for a value missing), never a guess.
    """
    values = table.get(name)
    if values is None:
        return [default] * len(table)
    words: dict[str, bool | None] = {}  # a column holds a handful of spellings
    out: list[bool] = []
    for row, cell in enumerate(values):
        if cell not in words:
            try:
                words[cell] = parse_bool(cell)
            except InvalidValue:
                words[cell] = None
        parsed = words[cell]
        if parsed is None:
            unreadable_status(findings, table.path, table.location(row), table.header(name), cell,
                              "true or false", unknown)
        out.append(default if parsed is None else parsed)
    return out


_NUMBER_START = frozenset("0123456789+-'")


_SECOND_OF_NUMBER = frozenset(".,eE")


def _mangled(value: str) -> bool:
    """:func:`is_excel_mangled` behind cheap screens: a damaged id starts with a digit, a sign or Excel's
    text marker ``'``; after a digit, its second character is a digit (``104857600000000000000``,
    ``417.0``), a decimal separator or an exponent (``1.04E+20``, ``1E+20``), or there is none. Most random
    ids that start with a digit (a sixth of Sigma's) go no further than the second test."""
    first = value[:1]
    if first not in _NUMBER_START:
        return False
    second = value[1:2]
    if not (first in "+-'" or second in _SECOND_OF_NUMBER or second.isdigit() or not second):
        return False
    return is_excel_mangled(value)


def _json_id(value: Any, file: str, where: str, field: str, what: str, findings: Findings) -> str | None:
    """A Sigma id from JSON: a non-empty string, else ``None`` with an error finding.

    ``missing-id`` for an absent / ``null`` / blank id; ``invalid-id`` for a
    number, boolean, array or object (Sigma ids are strings; ``12`` is not a
    memberId Sigma could have sent); ``excel-mangled-id`` for ``1.04E+20``.
    """
    if value.__class__ is str:
        value = read_id(value)
        if not value:
            findings.error("missing-id", file, where, field, f"{what} has an empty {field}; skipped")
            return None
        if _mangled(value):
            findings.error("excel-mangled-id", file, where, field, damaged_id_message(field, value))
        return value
    if value is None:
        findings.error("missing-id", file, where, field, f"{what} has no {field}; skipped")
    else:
        findings.error("invalid-id", file, where, field,
                       f"{what} has {field} {value!r}, {_type_name(value)} where Sigma writes a string id; skipped")
    return None


def _id(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return read_id(value)
    return str(value)


def _text(value: Any) -> str:
    return "" if value is None else str(value)


# --------------------------------------------------------------------------- members

_KIND_UNKNOWN = "whether the member is a guest"
# Optional boolean columns: absent means false (the API leaves them out), but a present column's empty
# cell (JSON null / "") says nothing, so it is the same unreadable-status error as a member's state
# (values.unreadable_status; docs/formats.md §0.6).
_TEAM_ARCHIVED_UNKNOWN = "whether the team is archived"
_TEAM_ADMIN_UNKNOWN = "whether the member is a team admin"
_CUSTOM_UNKNOWN = "whether the account type is custom"


def _user_kind(rec: dict, file: str, where: str, findings: Findings, lacking: list[str]) -> str:
    """A JSON member's ``userKind`` lower-cased, ``""`` (unknown) when it cannot be read: a guest read as
    internal would be linked or converted on a guess.

    Without ``userKind`` the older member object's ``isGuest`` (a JSON boolean, docs/sigma-api.md §2.2,
    docs/formats.md §1b) says it: ``true`` is ``guest``, ``false`` ``internal``; another ``isGuest`` value is an
    ``unreadable-status`` error. A record with neither is added to ``lacking`` (its JSON path), which
    :func:`_report_kindless` reports once for the file. ``null`` or ``""`` (blanks) is an
    ``unreadable-status`` error; another word is :func:`~.validation.check_sigma`'s ``unknown-user-kind``."""
    if "userKind" not in rec:
        guest = rec.get("isGuest", MISSING)
        if guest is True or guest is False:
            return "guest" if guest else "internal"
        if guest is MISSING:
            lacking.append(where)
        else:
            unreadable_status(findings, file, where, "isGuest", guest, "true or false", _KIND_UNKNOWN)
        return ""
    kind = rec["userKind"]
    if kind is None or (kind.__class__ is str and not kind.strip()):
        unreadable_status(findings, file, where, "userKind", kind, "internal, guest or embed", _KIND_UNKNOWN)
        return ""
    return _text(kind).strip().lower()


def _report_kindless(file: str, lacking: list[str], members: int, findings: Findings) -> None:
    """One ``unreadable-status`` error for the members of a JSON members file that carry neither ``userKind``
    nor ``isGuest`` (``lacking``: their JSON paths; ``members``: how many the file holds): whether each is a
    guest cannot be read, never "internal" (Sigma writes ``userKind`` on every member, docs/sigma-api.md §2.2)."""
    if not lacking:
        return
    shown = ", ".join(lacking[:6]) + (f", ... ({len(lacking)} in all)" if len(lacking) > 6 else "")
    who = f"all {members} members" if len(lacking) == members else f"{len(lacking)} of {members} members ({shown})"
    findings.error("unreadable-status", file, lacking[0], "userKind",
                   f"userKind is missing (nor isGuest, its older form) on {who}, not internal, guest or embed: "
                   f"{_KIND_UNKNOWN} cannot be read (a plan never guesses it, never reads a member as internal); "
                   "export the members again (GET /v2/members writes userKind)")


def _user_kinds(table: Table, findings: Findings) -> list[str]:
    """The members CSV's ``userKind`` column lower-cased, ``""`` (unknown) where it cannot be read.

    An empty cell is an ``unreadable-status`` error. Without the column, the ``isGuest`` column (the older
    member object's, a §0.6 boolean: ``True`` is ``guest``) says it; without either, a ``missing-column``
    error at the header: whether any member is a guest cannot be read (docs/formats.md §1f), never "all
    internal"."""
    kinds = table.get("userKind")
    if kinds is None:
        if table.has("isGuest"):
            guests = _bools(table, "isGuest", None, findings, _KIND_UNKNOWN)  # None: unreadable, its error said
            return ["" if guest is None else "guest" if guest else "internal" for guest in guests]
        findings.error("missing-column", table.path, f"line {table.header_line}", "userKind",
                       "members.csv: no userKind column (nor isGuest, its older form): whether each member is a "
                       "guest cannot be read (a plan never guesses it, never reads every member as internal); "
                       "export the members with it")
        return [""] * len(table)
    for row in (row for row, kind in enumerate(kinds) if not kind):
        unreadable_status(findings, table.path, table.location(row), table.header("userKind"), "",
                          "internal, guest or embed", _KIND_UNKNOWN)
    return [kind.lower() for kind in kinds]


def _members_json(path: Path, findings: Findings) -> tuple[list[SigmaMember], Any]:
    tf, data = read_json(path, findings)
    if tf is None:
        return [], None
    file = str(path)
    out: list[SigmaMember] = []
    append = out.append
    kindless: list[str] = []  # members with neither userKind nor isGuest (_user_kind)
    # hot loop (100k members): inline the common, well-typed case; odd values take the slow helpers
    for rec, where in (
        (rec, f"{prefix}[{i}]")
        for prefix, items in batches(data, path, findings, page_keys=("entries",), next_keys=("nextPage",),
                                     what="members.json", strict=True)
        for i, rec in enumerate(items)
    ):
        if rec.__class__ is not dict:
            findings.error("invalid-record", file, where, "",
                           f"member entry is {_type_name(rec)} ({str(rec)[:40]!r}), not an object; skipped")
            continue
        get = rec.get
        member_id = get("memberId")
        if member_id.__class__ is not str or not member_id or member_id != read_id(member_id) or (
                member_id[0] in _NUMBER_START and _mangled(member_id)):
            member_id = _json_id(member_id, file, where, "memberId", "member", findings)
            if member_id is None:
                continue
        email = get("email")
        if email.__class__ is not str:
            if email is not None:
                findings.error("invalid-value", file, where, "email",
                               f"member {member_id} has email {email!r}, {_type_name(email)} where Sigma "
                               "writes a string")
            email = _text(email) if email.__class__ in (int, float) else ""
        archived = get("isArchived", False)  # optional in Sigma's answers: absent is not archived (_bool)
        if archived is not True and archived is not False:
            archived = _bool(rec, "isArchived", False, file, where, findings, "whether the member is archived")
        inactive = get("isInactive", False)
        if inactive is not True and inactive is not False:
            inactive = _bool(rec, "isInactive", False, file, where, findings, "whether the member is inactive")
        kind = get("userKind")
        if kind not in KNOWN_USER_KINDS:
            kind = _user_kind(rec, file, where, findings, kindless)
        first, last, member_type, org = (
            get("firstName"), get("lastName"), get("memberType"), get("organizationId"))
        ref = SourceRef(file, where)
        append(SigmaMember(
            member_id=member_id,
            email=email,
            email_key=fast_email_key(email),
            first_name=first if first.__class__ is str else _text(first),
            last_name=last if last.__class__ is str else _text(last),
            member_type=member_type if member_type.__class__ is str else _text(member_type),
            user_kind=kind,
            is_archived=archived,
            is_inactive=inactive,
            organization_id=org if org.__class__ is str else _text(org),
            created_at=_created_at(opt_text(get("createdAt")), "createdAt", ref, findings),
            updated_at=opt_text(get("updatedAt")),
            raw=rec,
            source=ref,
        ))
    _report_kindless(file, kindless, len(out), findings)
    return out, tf.input_file("sigma.members", len(out))


def _created_at(value: str | None, field: str, ref: SourceRef, findings: Findings) -> str | None:
    """A member's ``createdAt`` as written (``None`` when empty), checked by :func:`.values.date_field`: one it
    cannot read (a year-last date a spreadsheet wrote) is its ``ambiguous-date`` / ``invalid-timestamp``
    warning naming ``field`` at ``ref``; :func:`planner.rules.unmatched.made_later` then cannot tell when the
    member was made."""
    if value:
        try:  # the API's form (ISO 8601, T, Z): 0.3 against 9 us a value, 100k members (values.date_field says why)
            if value[10:11] != "T":  # a date-time without T is a spreadsheet's local time (tester21 finding 10)
                raise ValueError(value)
            datetime.fromisoformat(value[:-1] + "+00:00" if value[-1:] == "Z" else value)
        except ValueError:
            date_field(value, field, ref, findings)
    return value or None


def _members_csv(path: Path, findings: Findings) -> tuple[list[SigmaMember], Any]:
    # isArchived / isInactive are required: without them every member's state is unknown, never "active";
    # memberType too: without it no member's account type is known (docs/formats.md §1f: the members CSV
    # carries the API field names; a blank cell is planner.sources.required's missing-value)
    table = read_table(path, findings, aliases=MEMBER_ALIASES,
                       required=("memberId", "email", "memberType", "isArchived", "isInactive"),
                       identity=("memberId", "email"),
                       what="members.csv")
    if table is None:
        return [], None
    flag_damaged_ids(table, ("memberId",), findings)
    ids = table.ids("memberId")
    emails = table.identity("email", findings)
    first = table.get_or_empty("firstName")
    last = table.get_or_empty("lastName")
    types = table.identity("memberType", findings)
    kinds = _user_kinds(table, findings)
    archived = _bools(table, "isArchived", False, findings, "whether the member is archived")
    inactive = _bools(table, "isInactive", False, findings, "whether the member is inactive")
    org = table.get_or_empty("organizationId")
    created = table.get_or_empty("createdAt")
    created_header = table.header("createdAt") if table.has("createdAt") else "createdAt"
    updated = table.get_or_empty("updatedAt")
    raws = table.row_dicts()
    out: list[SigmaMember] = []
    for row, ref in enumerate(table.refs()):
        if not ids[row]:
            findings.error("missing-id", table.path, ref.location, table.header("memberId"),
                           "member has no memberId; skipped")
            continue
        out.append(SigmaMember(
            member_id=ids[row],
            email=emails[row],
            email_key=fast_email_key(emails[row]),
            first_name=first[row],
            last_name=last[row],
            member_type=types[row],
            user_kind=kinds[row],
            is_archived=archived[row],
            is_inactive=inactive[row],
            organization_id=org[row],
            created_at=_created_at(created[row], created_header, ref, findings),
            updated_at=updated[row] or None,
            raw=raws[row],
            source=ref,
        ))
    return out, table.file.input_file("sigma.members", len(out))


def _dedupe(records: list, key: str, findings: Findings) -> list:
    """``records`` without repeats of the id attribute ``key``; each repeat is a ``duplicate-id`` error.

    A memberId / teamId names one object in Sigma; two records with one id
    (overlapping pages, or two different people) cannot both be acted on. The
    first is kept so that later stages see one record per id; the error stops ``plan``.
    """
    field = {"member_id": "memberId", "team_id": "teamId"}[key]
    if len(set(map(attrgetter(key), records))) == len(records):  # no repeat (checked in C): nothing to drop
        return records
    seen: dict[str, Any] = {}
    out: list = []
    for r in records:
        value = getattr(r, key)
        first = seen.get(value)
        if first is None:
            seen[value] = r
            out.append(r)
            continue
        src = r.source or SourceRef("")
        same = "the same record again (overlapping pages?)" if r == first else "a different record"
        findings.error(
            "duplicate-id", src.file, src.location, field,
            f"{field} {value} appears again (first at {first.source}), {same}; one id must name one object",
        )
    return out


# --------------------------------------------------------------------------- teams


def _teams_json(path: Path, findings: Findings) -> tuple[list[SigmaTeam], list[TeamMembership], Any]:
    tf, data = read_json(path, findings)
    if tf is None:
        return [], [], None
    file = str(path)
    teams: list[SigmaTeam] = []
    embedded: list[TeamMembership] = []
    for rec, where in records(
        data, path, findings, page_keys=("entries",), next_keys=("nextPage",), what="teams.json", strict=True
    ):
        team_id = _json_id(rec.get("teamId"), file, where, "teamId", "team", findings)
        if team_id is None:
            continue
        ref = SourceRef(file, where)
        teams.append(SigmaTeam(
            team_id=team_id,
            name=_text(rec.get("name")),
            description=opt_text(rec.get("description")),
            visibility=opt_text(rec.get("visibility")),
            is_archived=_bool(rec, "isArchived", False, file, where, findings, _TEAM_ARCHIVED_UNKNOWN),
            raw=rec,
            source=ref,
        ))
        members = rec.get("members")
        if isinstance(members, list):
            embedded.extend(
                TeamMembership(team_id=team_id, member_id=_id(m), source=ref)
                for m in members if isinstance(m, (str, int)) and _id(m)
            )
    return teams, embedded, tf.input_file("sigma.teams", len(teams))


def _teams_csv(path: Path, findings: Findings) -> tuple[list[SigmaTeam], list[TeamMembership], Any]:
    table = read_table(path, findings, aliases=TEAM_ALIASES, required=("teamId", "name"), identity=("teamId", "name"),
                       what="teams.csv")
    if table is None:
        return [], [], None
    flag_damaged_ids(table, ("teamId",), findings)
    ids, names = table.ids("teamId"), table.as_written("name")  # as Sigma holds it: rules.teams.unclean_name_item
    desc = table.get_or_empty("description")
    vis = table.get_or_empty("visibility")
    archived = _bools(table, "isArchived", False, findings, _TEAM_ARCHIVED_UNKNOWN)
    raws = table.row_dicts()
    teams: list[SigmaTeam] = []
    for row, ref in enumerate(table.refs()):
        if not ids[row]:
            findings.error("missing-id", table.path, ref.location, table.header("teamId"),
                           "team has no teamId; skipped")
            continue
        teams.append(SigmaTeam(
            team_id=ids[row], name=names[row], description=desc[row] or None,
            visibility=vis[row] or None, is_archived=archived[row], raw=raws[row], source=ref,
        ))
    return teams, [], table.file.input_file("sigma.teams", len(teams))


# --------------------------------------------------------------------------- team memberships


def _memberships(
    data: Any, path: Path, findings: Findings, team_id: str | None, base: str = "$"
) -> list[TeamMembership]:
    """Team member entries -> :class:`TeamMembership` (``team_id`` ``None``: each entry names its ``teamId``).

    At ~300k memberships per org, entries share one :class:`SourceRef` per
    page (the JSON path of its ``entries`` array; findings name the memberId);
    repeats of a member inside one team (overlapping pages) are dropped.
    """
    file = str(path)
    what = "team_members.json" if team_id is None else f"team_members.json team {team_id}"
    out: list[TeamMembership] = []
    append = out.append
    seen: set[str] = set()
    for prefix, items in batches(data, path, findings, page_keys=("entries",), next_keys=("nextPage",),
                                 what=what, base=base, strict=True):
        ref = SourceRef(file, prefix)
        if len(objects(items, prefix, path, findings, what, strict=True)) != len(items):
            items = [rec if rec.__class__ is dict else None for rec in items]  # keep the indexes for paths
        for i, rec in enumerate(items):
            if rec is None:
                continue
            get = rec.get
            member_id = get("userId")
            if member_id is None:
                member_id = get("memberId")
            if member_id.__class__ is not str or not member_id or (
                    member_id[0] in _NUMBER_START and _mangled(member_id)):
                member_id = _json_id(member_id, file, f"{prefix}[{i}]", "userId", "team member entry", findings)
                if member_id is None:
                    continue
            admin = get("isTeamAdmin", False)
            if admin is not True and admin is not False:
                admin = _bool(rec, "isTeamAdmin", False, file, f"{prefix}[{i}]", findings, _TEAM_ADMIN_UNKNOWN)
            added_by = get("addedBy")
            tid = team_id if team_id is not None else _id(get("teamId"))
            if team_id is not None:
                if member_id in seen:
                    continue
                seen.add(member_id)
            append(TeamMembership(
                team_id=tid,
                member_id=member_id,
                is_team_admin=admin,
                added_by=added_by if added_by is None or added_by.__class__ is str else str(added_by),
                source=ref,
            ))
    return out


class _WireTeamMember(msgspec.Struct, forbid_unknown_fields=True, gc=False):
    """An entry of a ``GET /v2/teams/{teamId}/members`` page as Sigma writes it (docs/sigma-api.md §3.3).

    A key the entry leaves out is ``UNSET``, not a default: encoded again, the entry holds exactly the keys
    the file had, which the duplicate-key check of :func:`~.files.read_json` counts (a default such as
    ``isTeamAdmin: false`` would be left out, and the count would differ for every file)."""

    userId: str
    isTeamAdmin: bool | msgspec.UnsetType = msgspec.UNSET  # absent: not a team admin
    addedBy: str | None | msgspec.UnsetType = msgspec.UNSET


class _WireTeamMembersPage(msgspec.Struct, forbid_unknown_fields=True, gc=False):
    """One ``GET /v2/teams/{teamId}/members`` answer saved as one page (docs/sigma-api.md §2.3, §3.3); a key
    it leaves out is ``UNSET`` (see :class:`_WireTeamMember`)."""

    entries: list[_WireTeamMember]
    nextPage: str | None | msgspec.UnsetType = msgspec.UNSET
    total: int | None | msgspec.UnsetType = msgspec.UNSET
    hasMore: bool | None | msgspec.UnsetType = msgspec.UNSET


_TEAM_MEMBERS = msgspec.json.Decoder(dict[str, _WireTeamMembersPage])
"""The usual team_members.json, ``{teamId: one page}``, decoded into typed entries in C (no dict per
membership: ~500k per 100k-member org). Any other shape or value (pages in an array, ``memberId`` for
``userId``, a string ``isTeamAdmin``, a page naming a next page) fails or is sent back, and the file
takes the dict walk of :func:`_memberships`, which names the fault."""


def _typed_memberships(team_id: str, page: _WireTeamMembersPage, file: str, base: str,
                       findings: Findings) -> list[TeamMembership]:
    """:func:`_memberships` of one typed page of team ``team_id`` (JSON path ``base``): the same records."""
    prefix = f"{base}.entries"
    ref = SourceRef(file, prefix)
    short = page.total.__class__ is int and page.total > len(page.entries)
    if short or page.hasMore is True:
        said = f"total {page.total}" if short else "hasMore true"
        findings.warning("incomplete-pages", file, base, "total" if said.startswith("total") else "hasMore",
                         f"team_members.json team {team_id}: the answer says {said} but holds "
                         f"{len(page.entries)} entries: the export is missing members of the team")
    seen: set[str] = set()
    out: list[TeamMembership] = []
    for i, entry in enumerate(page.entries):
        member_id = entry.userId
        if not member_id or (member_id[0] in _NUMBER_START and _mangled(member_id)):
            member_id = _json_id(member_id, file, f"{prefix}[{i}]", "userId", "team member entry", findings)
            if member_id is None:
                continue
        if member_id not in seen:
            seen.add(member_id)
            added_by = entry.addedBy
            out.append(TeamMembership(team_id, member_id, entry.isTeamAdmin is True,
                                      None if added_by is msgspec.UNSET else added_by, ref))
    return out


def _report_unanswered(teams: list[SigmaTeam], answered: set[str], path: Path, findings: Findings) -> None:
    """One ``missing-team-members`` warning (an incomplete-input code) naming the teams of the teams
    file that the ``{teamId: answer}`` team members file has no answer for: their members are unknown
    (an empty team is an answer with no entries, as ``sigma-migrate fetch`` writes it)."""
    missing = [t for t in teams if t.team_id not in answered]
    if missing:
        named = [f"{t.name!r} ({t.team_id})" for t in missing]
        shown = ", ".join(named[:6]) + (f", ... ({len(named)} in all)" if len(named) > 6 else "")
        findings.warning(
            "missing-team-members", path, "", "teamId",
            f"{len(missing)} team(s) of the teams file have no members answer in {path.name}, which is therefore "
            f"incomplete: {shown}; their members are unknown; export the team members again, one "
            "GET /v2/teams/{teamId}/members answer per team",
        )


def _team_members_json(path: Path, findings: Findings) -> tuple[list[TeamMembership], Any, set[str] | None]:
    """The memberships of team_members.json, its input record, and the teamIds it holds an answer for
    (``None`` for a flat array of records, whose teams without members cannot be told)."""
    tf, data = read_json(path, findings, (_TEAM_MEMBERS,))
    if tf is None:
        return [], None, None
    if data.__class__ is dict and any(v.__class__ is _WireTeamMembersPage for v in data.values()) and (
            "entries" in data or any(page.nextPage for page in data.values())):
        tf, data = read_json(path, findings)  # findings of the page walk (incomplete-pages), not the typed path
    out: list[TeamMembership] = []
    answered: set[str] | None = None
    if isinstance(data, dict) and "entries" not in data:
        answered = set()
        for team_id, answer in data.items():
            team_id = read_id(str(team_id))
            answered.add(team_id)
            if _mangled(team_id):
                findings.error("excel-mangled-id", path, f'$["{team_id}"]', "teamId",
                               damaged_id_message("teamId", team_id))
            if answer.__class__ is _WireTeamMembersPage:
                out.extend(_typed_memberships(team_id, answer, str(path), f'$["{team_id}"]', findings))
            else:
                out.extend(_memberships(answer, path, findings, team_id, f'$["{team_id}"]'))
    else:
        out = _dedupe_memberships(_memberships(data, path, findings, None))
        missing = next((m for m in out if not m.team_id), None)
        if missing is not None:
            findings.error(
                "unexpected-json-shape", path, missing.source.location, "teamId",
                "team_members.json must be {teamId: <GET /v2/teams/{teamId}/members answer>}, "
                "or records carrying teamId",
            )
            return [], None, None
    return out, tf.input_file("sigma.team_members", len(out)), answered


def _team_members_csv(path: Path, findings: Findings) -> tuple[list[TeamMembership], Any, None]:
    """The memberships of team_members.csv, its input record, and ``None`` (a team without rows may be empty)."""
    table = read_table(path, findings, aliases=TEAM_MEMBER_ALIASES, required=("teamId", "userId"),
                       identity=("teamId", "userId", "teamName", "email"), what="team_members.csv")
    if table is None:
        return [], None, None
    flag_damaged_ids(table, ("teamId", "userId"), findings)
    teams, users = table.ids("teamId"), table.ids("userId")
    admins = _bools(table, "isTeamAdmin", False, findings, _TEAM_ADMIN_UNKNOWN)
    added = table.get_or_empty("addedBy")
    out: list[TeamMembership] = []
    for row, ref in enumerate(table.refs()):
        if not teams[row] or not users[row]:
            missing = "teamId" if not teams[row] else "userId"
            findings.error("missing-id", table.path, ref.location, table.header(missing),
                           f"row has no {missing}; skipped")
            continue
        out.append(TeamMembership(
            team_id=teams[row], member_id=users[row], is_team_admin=admins[row],
            added_by=added[row] or None, source=ref,
        ))
    out = _dedupe_memberships(out)
    return out, table.file.input_file("sigma.team_members", len(out)), None


# --------------------------------------------------------------------------- account types


def _account_types_json(path: Path, findings: Findings) -> tuple[list[AccountType] | None, Any]:
    tf, data = read_json(path, findings)
    if tf is None:
        return None, None
    file = str(path)
    out: list[AccountType] = []
    for rec, where in records(
        data, path, findings, page_keys=("entries",), next_keys=("nextPageToken",),
        what="account_types.json", strict=True,
    ):
        name = _text(rec.get("accountTypeName") or rec.get("name"))  # as Sigma names it (values.CSV_PADDING)
        if not name.strip():
            findings.skipped("missing-id", file, where, "accountTypeName",
                             "account type has no accountTypeName; skipped")
            continue
        out.append(AccountType(
            account_type_id=_id(rec.get("accountTypeId")),
            name=name,
            description=opt_text(rec.get("description")),
            is_custom=_bool(rec, "isCustom", False, file, where, findings, _CUSTOM_UNKNOWN),
        ))
    return out, tf.input_file("sigma.account_types", len(out))


def _account_types_csv(path: Path, findings: Findings) -> tuple[list[AccountType] | None, Any]:
    table = read_table(path, findings, aliases=ACCOUNT_TYPE_ALIASES, required=("accountTypeName",),
                       identity=("accountTypeId", "accountTypeName"), what="account_types.csv")
    if table is None:
        return None, None
    ids = table.get_or_empty("accountTypeId")
    names = table.identity("accountTypeName", findings)
    desc = table.get_or_empty("description")
    custom = _bools(table, "isCustom", False, findings, _CUSTOM_UNKNOWN)
    out = [
        AccountType(account_type_id=ids[i], name=names[i], description=desc[i] or None, is_custom=custom[i])
        for i in range(len(table)) if names[i].strip()
    ]
    return out, table.file.input_file("sigma.account_types", len(out))


# --------------------------------------------------------------------------- the export


def load(directory: Path, findings: Findings) -> SigmaExport:
    """Load a Sigma export directory (layout in the module docstring) into a :class:`SigmaExport`.

    Never raises for bad input: problems become findings in ``findings``.
    Errors: ``not-found`` (no such directory), ``not-a-directory``,
    ``no-members`` (the members file was read without error but lists no
    person: a header-only CSV, ``[]``; a plan would see an empty organization),
    ``missing-file`` (no members file; no teams file; a teams file without a team
    members file, unless its teams carry ``members`` lists), ``missing-id``,
    ``invalid-id``, ``invalid-record``, ``duplicate-id`` (the repeat is
    dropped), ``invalid-boolean``, ``excel-mangled-id``, plus every file-level
    error of :mod:`planner.sources.files` / :mod:`planner.sources.tabular` (an
    empty file is ``empty-file`` whichever file it is). Info: ``missing-file``
    for the optional account types file.
    """
    directory = Path(directory)
    if not directory.exists():
        findings.error("not-found", directory, "", "", "Sigma export directory does not exist")
        return SigmaExport()
    if not directory.is_dir():
        findings.error("not-a-directory", directory, "", "",
                       "--sigma expects the export directory holding members.json / teams.json")
        return SigmaExport()

    inputs = []
    members: list[SigmaMember] = []
    path = _pick(directory, "members", findings)
    if path is None:
        findings.error("missing-file", directory, "", "members.json",
                       "Sigma export has no members.json or members.csv")
    else:
        members, info = [], None
        with guarded(path, findings, path.name):
            members, info = (_members_json if path.suffix.lower() == ".json" else _members_csv)(path, findings)
        inputs.append(info)
        members = _dedupe(members, "member_id", findings)
        if not any(not m.is_system for m in members) and not any(
            f.severity is Severity.ERROR and f.file == str(path) for f in findings
        ):
            findings.error(
                "no-members", path, "", "memberId",
                f"the members file lists no members{' besides the scheduler robot' if members else ''} "
                "(only a header, or an empty list): an export of a real organization has people",
            )

    teams: list[SigmaTeam] = []
    embedded: list[TeamMembership] = []
    path = teams_file = _pick(directory, "teams", findings)
    if path is None:
        findings.error("missing-file", directory, "", "teams.json",
                       "Sigma export has no teams.json or teams.csv: without them the plan cannot see "
                       "teams or their members (save GET /v2/teams as teams.json; [] when the org has none)")
    else:
        info = None
        with guarded(path, findings, path.name):
            teams, embedded, info = (_teams_json if path.suffix.lower() == ".json" else _teams_csv)(path, findings)
        inputs.append(info)
        teams = _dedupe(teams, "team_id", findings)

    memberships: list[TeamMembership] = []
    path = _pick(directory, "team_members", findings)
    if path is not None:
        info, answered = None, None
        with guarded(path, findings, path.name):
            memberships, info, answered = (
                _team_members_json if path.suffix.lower() == ".json" else _team_members_csv
            )(path, findings)
        inputs.append(info)
        if answered is not None:
            _report_unanswered(teams, answered, path, findings)
    elif embedded:
        memberships = _dedupe_memberships(embedded)
        findings.info("team-members-from-teams", directory, "", "members",
                      "no team_members file; memberships taken from the teams' members lists "
                      "(isTeamAdmin unknown, taken as false)")
    elif teams_file is not None:
        wanted = f"team_members{teams_file.suffix.lower()}"
        findings.error("missing-file", directory, "", wanted,
                       f"Sigma export has {teams_file.name} ({len(teams)} team(s)) but no {wanted}: the teams "
                       "and their members are exported together (docs/formats.md §1d), and a plan without "
                       "memberships would take every team for empty; save the team members "
                       f"({'{}' if wanted.endswith('.json') else 'a header-only file'} when the org has no teams)")

    account_types = None
    path = _pick(directory, "account_types", findings)
    if path is None:
        findings.info("missing-file", directory, "", "account_types.json",
                      "no account_types.json (optional): memberType values are not checked against the "
                      "org's account types")
    else:
        info = None
        with guarded(path, findings, path.name):
            account_types, info = (
                _account_types_json if path.suffix.lower() == ".json" else _account_types_csv
            )(path, findings)
        inputs.append(info)

    scim_users, scim_groups, scim_inputs = _scim_state(directory, findings)
    from .manifest import check_fetch_counts, read_fetch_manifest

    manifest, manifest_input = read_fetch_manifest(directory, _scim_folder(directory) is not None, findings)
    check_fetch_counts(manifest, [i for i in (*inputs, *scim_inputs) if i is not None], findings)
    return SigmaExport(
        members=tuple(members),
        teams=tuple(teams),
        team_memberships=tuple(memberships),
        account_types=None if account_types is None else tuple(account_types),
        inputs=tuple(i for i in (*inputs, manifest_input) if i is not None) + scim_inputs,
        scim_users=scim_users,
        scim_groups=scim_groups,
        directory=str(directory),
        fetch_manifest=manifest,
    )


def members_listing_in_doubt(export: SigmaExport) -> str | None:
    """The members file of a Sigma export that may have been listed without its archived members (the path as
    read), else ``None``: no ``fetch-manifest.json`` says ``sigma-migrate fetch`` wrote it (fetch always lists them:
    ``includeArchived=true&includeInactive=true``, docs/sigma-api.md §2.3) and the file holds no archived member
    (``GET /v2/members`` without ``includeArchived=true`` lists none, docs/formats.md §1b; tester14a finding 2),
    whether or not it holds inactive ones: ``includeInactive=true`` alone lists SCIM's deactivated members and still
    leaves the archived out (was: in doubt only when it held neither, so one inactive member hid the doubt and a
    returning archived member got a second account; tester21 finding 2). An export built in memory (no members
    file read) is never in doubt. Read by ``check``'s ``members-without-archived`` warning
    (:func:`members_listing_finding`) and the ``members_include_archived_and_inactive`` pre-flight check
    (:func:`planner.rules.preflight.members_listing`)."""
    if export.fetch_manifest is not None or any(m.is_archived for m in export.members):
        return None
    return next((i.path for i in export.inputs if i.kind == "sigma.members" and i.records), None)


def members_listing_finding(export: SigmaExport) -> Finding | None:
    """``check``'s ``members-without-archived`` warning at the members file when :func:`members_listing_in_doubt`
    (``None`` otherwise): the plan asks the ``members_include_archived_and_inactive`` pre-flight confirmation
    for the same file (:func:`planner.rules.preflight.members_listing`)."""
    path = members_listing_in_doubt(export)
    if path is None:
        return None
    return Finding(Severity.WARNING, "members-without-archived", path, "", "isArchived",
                   f"{Path(path).name} holds no archived member and no fetch-manifest.json says sigma-migrate fetch "
                   "wrote it: GET /v2/members without includeArchived=true leaves them out (and without "
                   "includeInactive=true the inactive ones), and a returning archived member would then get a second "
                   "account (scim.create_user) beside the archived one; export the members with both flags, or "
                   "confirm preflight.members_include_archived_and_inactive")


def _scim_folder(directory: Path) -> Path | None:
    """The export's ``scim/`` folder (name matched without letter case), ``None`` without one."""
    return next((p for p in directory.iterdir() if p.is_dir() and p.name.casefold() == "scim"), None)


SCIM_STATE_KIND = "sigma.scim_state"
""":attr:`~planner.model.InputFile.kind` of the files of Sigma's SCIM state (the export's ``scim/``)."""


def _scim_state(directory: Path, findings: Findings) -> tuple[
        tuple[ScimUser, ...] | None, tuple[ScimGroup, ...] | None, tuple]:
    """``scim/Users.json`` + ``scim/Groups.json`` (what ``fetch`` writes with a SCIM token) as
    Sigma's SCIM state; ``(None, None, ())`` without a ``scim/`` folder. One file without the
    other is an error (``missing-file``): half the SCIM state would make linked teams or members
    look unlinked."""
    folder = _scim_folder(directory)
    if folder is None:
        return None, None, ()
    by_name = {p.name.casefold(): p for p in folder.iterdir() if p.is_file()}
    files = [by_name.get("users.json"), by_name.get("groups.json")]
    if None in files:
        missing = "Users.json" if files[0] is None else "Groups.json"
        findings.error("missing-file", folder, "", missing,
                       f"the scim/ folder has no {missing}: Sigma's SCIM state needs both Users.json and Groups.json "
                       "(as `sigma-migrate fetch` writes them with SIGMA_SCIM_TOKEN)")
        return None, None, ()
    from . import scim as scim_source

    listed = scim_source.load({"resources": files}, findings, members_expected=False)
    users = tuple(
        ScimUser(u.id, u.user_name, u.user_name_key, u.external_id, u.active,
                 str(u.attributes["userType"]) if u.attributes.get("userType") else u.user_type,
                 u.last_updated, u.created, u.created_unreadable)
        for u in listed.users
    )
    groups = tuple(ScimGroup(g.id, g.display_name, g.external_id, g.member_user_ids,
                             membership_change_time(g.attributes)) for g in listed.groups)
    # Sigma's own SCIM state, never an IdP's SCIM export (whose files are scim.resources)
    return users, groups, tuple(msgspec.structs.replace(i, kind=SCIM_STATE_KIND) for i in listed.inputs)


def _dedupe_memberships(memberships: list[TeamMembership]) -> list[TeamMembership]:
    """Drop exact repeats of (teamId, memberId), keeping the first (overlapping pages)."""
    seen: set[tuple[str, str]] = set()
    out = []
    for m in memberships:
        key = (m.team_id, m.member_id)
        if key not in seen:
            seen.add(key)
            out.append(m)
    return out
