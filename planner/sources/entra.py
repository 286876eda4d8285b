"""Microsoft Entra ID: admin center CSV downloads and Microsoft Graph JSON (docs/formats.md §3).

CSV layout (``entra-csv``; roles by content, see :mod:`.detect`):

- ``users.csv`` ("Users > Download users", e.g. ``exportUsers_2025-5-20.csv``):
  camelCase Graph names (``id``, ``userPrincipalName``, ``displayName``,
  ``givenName``, ``surname``, ``mail``, ``userType``, ``accountEnabled``...) or the
  display labels (``Object ID``, ``User principal name``, ...), see
  ``USER_ALIASES``. ``id`` and ``userPrincipalName`` required. Cells holding a
  whole JSON object (preview download) are kept as attributes.
- ``group_members/<group name>.csv`` ("Group > Members > Download members"):
  ``Object ID, User principal name, Display name, Member type``; one file per
  group, **the group is named by the file name** (its id is the ``Object ID`` of
  the same-named group in ``groups.csv`` when given, else the name). Nested
  groups are rows of type ``Group``.
- optional ``groups.csv`` ("Groups > Download groups"): ``Object ID, Display
  name, Mail, Group type, Membership type``; gives group ids and resolves
  nested-group rows.

Graph layout (``entra-graph``): ``users.json`` (``GET /v1.0/users`` answers:
``{"@odata.context", "value": [...], "@odata.nextLink"}``, an array of them, or
a bare array), ``groups.json`` (``GET /v1.0/groups``), and members either as
``group_members.json`` = ``{groupId: <GET /groups/{id}/members answer>}`` or one
answer file per group (``members/<groupId or name>.json``). Export ``/members``: a ``/transitiveMembers``
answer that lists nested groups cannot tell a nested group's users from direct members, who alone Entra
provisions (:func:`settle_transitive_answers`: a ``transitive-members`` warning, and the plan holds each such
user whose scope, account type or team the group decides); one listing no group is the direct members.

Mapping to :class:`~planner.model.IdpUser`: ``id`` <- ``id``/``objectId``;
``user_name`` <- ``userPrincipalName``; ``active`` <- ``accountEnabled``; a CSV
without the column is a ``missing-status-column`` error, an empty cell or a Graph
record without the property (Graph returns it only when ``$select``-ed, docs/formats.md
§3d) an ``unreadable-status`` error: no user is taken as enabled by default; ``user_type`` <- ``userType``; ``status`` is
``None`` (Entra has no status word). Emails (:func:`entra_emails`):

- members: ``mail`` (primary), the UPN when it differs, ``otherMails``, SMTP
  ``proxyAddresses``;
- guests (``userType`` Guest or a ``#EXT#`` UPN, docs/formats.md §3f): the
  **``mail``** value is the primary email; without ``mail`` it is rebuilt from
  the UPN prefix by turning its *last* ``_`` back into ``@``
  (``carol_partner.example#EXT#@...`` -> ``carol@partner.example``) with an info
  ``guest-email-rebuilt``; when the rebuilt local part still holds ``_`` the address is a guess,
  never used: it is left out through :meth:`~.files.Findings.skipped` (``ambiguous-guest-email``, an
  incomplete-input code: every deactivation, guest disable, removal and account-type change is then a
  blocking ``inputs.truncated`` item). A ``#EXT#`` UPN is never an email.

A soft-deleted user's "tombstone" UPN (the object id's 32 hex digits prefixed to
the old UPN, :func:`deleted_user_upn`) means the user was deleted: it is taken as
inactive (``active`` ``False``) with a ``deleted-user`` warning naming it; so is a user with a
``deletedDateTime`` (Entra's "Deleted users" download, or a Graph ``deletedItems`` answer, whose
``accountEnabled`` is the one before deletion); its old UPN,
not the tombstone, is among its emails (so the member it was matches it, as a leaver;
issue 14 item 2).

Graph member items whose other properties are all ``null`` (the caller may
not read that object type, docs/formats.md §3e) are matched by ``id`` against the
users file; when the user is not there the member is held with a
``member-details-withheld`` warning, never read as "no email". Any user member
the users file lacks (CSV or Graph) is held the same way (``member-not-in-users``):
its enabled state is unknown and the users file is incomplete
(:meth:`~.directory.DirectoryBuilder.hold`, :data:`~.directory.INCOMPLETE_CODES`).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any, Mapping

from ..model import Email, IdpDirectory, IdpUser, SourceRef, TransitiveDoubt
from .directory import DirectoryBuilder, MemberTypes, make_emails, member_type_word, read_by_role
from .envelopes import AppendedListing, members_answers, records
from .files import Findings, read_json
from .manifest import PullManifest, check_manifest, read_manifest, with_fetched_at
from .page_sizes import GRAPH_GROUPS, GRAPH_MEMBERS, GRAPH_USERS
from .tabular import bool_column, flag_damaged_ids, read_table
from .values import (
    MISSING, TEXT_MARKER, as_id, as_text, date_field, json_bool, fast_email_key, is_excel_mangled, opt_text,
    string_field, timestamp_field, trim_padding, unreadable_status,
)

NON_USER_MEMBER_TYPES = ("serviceprincipal", "device", "contact", "orgcontact", "application")
"""Member types (:func:`~.directory.member_type_word`) of Entra directory objects that are never users: the
portal's ``Member type`` ``Service Principal`` / ``Device`` / ``Contact`` and Graph's ``@odata.type``
``#microsoft.graph.servicePrincipal`` / ``device`` / ``orgContact`` / ``application`` (docs/formats.md §3b,
§3e). Members of these types are ignored, save a mail contact with a ``mail`` (:data:`CONTACT_MEMBER_TYPES`);
a member of any other type than ``User`` / ``Group`` is unreadable
(:class:`~.directory.MemberTypes`)."""

CONTACT_MEMBER_TYPES = ("contact", "orgcontact")
"""Member types (:func:`~.directory.member_type_word`) of Entra mail contacts (the portal's ``Contact``, Graph's
``#microsoft.graph.orgContact``): one with a ``mail`` is one of its group's outside members
(:meth:`~.directory.DirectoryBuilder.outside`: never provisioned by Entra ID, and an active Sigma member with the
address is asked about, not deactivated; tester18 finding 8's class), one without is ignored as the other
:data:`NON_USER_MEMBER_TYPES`."""

CSV_FORMAT = "entra-csv"
GRAPH_FORMAT = "entra-graph"

_GUID = re.compile(r"[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}")


def object_id(value: str) -> str:
    """An Entra object id (a user's, a group's, a member's ``id`` / ``Object ID``) as the loader keys it: a GUID in
    lower case, as Microsoft Graph writes it; any other id as read. A GUID is the same whatever the letter case of
    its hex digits (RFC 4122 §3: "case insensitive on input"), and a script's ``ToUpper()`` or ``[guid]``
    formatting upper-cases them, so the one users file and the group members files join on it however each
    spells it (was: 16 members of an upper-cased ``Finance.csv`` 'not in this users CSV', 51 blocking items;
    tester21 finding 11). Okta ids are case-sensitive and never pass here."""
    lower = value.lower()
    return lower if lower != value and _GUID.fullmatch(value) else value


def object_ids(values: list[str]) -> list[str]:
    """:func:`object_id` of each of ``values`` (a column of ids), the list itself when none holds an upper-case
    letter (every Graph answer and portal download: decided on the joined text in C)."""
    joined = "".join(values)
    return values if joined == joined.lower() else [object_id(v) for v in values]

USER_ALIASES = {
    "id": ("objectId", "object id", "object_id"),
    "userPrincipalName": ("user principal name", "upn", "user_principal_name"),
    "displayName": ("display name", "name"),
    "givenName": ("given name", "first name"),
    "surname": ("last name", "family name"),
    "mail": ("email", "e-mail", "primary email"),
    "userType": ("user type",),
    "accountEnabled": ("account enabled", "enabled"),
    "otherMails": ("other mails", "other emails"),
    "proxyAddresses": ("proxy addresses",),
    "employeeId": ("employee id",),
    "deletedDateTime": ("deleted date time", "deleted date", "deletion date"),
    "jobTitle": ("job title",),
    "department": (),
    "externalUserState": ("external user state", "invitation state"),
    "creationType": ("creation type",),
    "createdDateTime": ("creation time", "created date time", "created"),
    "onPremisesSyncEnabled": ("directory synced", "on-premises sync enabled", "on premises sync enabled"),
    "onPremisesImmutableId": ("on-premises immutable id", "immutable id"),
    "mailNickname": ("mail nickname", "alias"),
    "signInActivity": ("last interactive sign-in date", "sign-in activity"),
}
_USER_CORE = ("id", "userPrincipalName", "displayName", "givenName", "surname", "mail", "userType",
              "accountEnabled")
MEMBER_ALIASES = {
    "id": ("object id", "objectId", "object_id"),
    "userPrincipalName": ("user principal name", "upn"),
    "displayName": ("display name", "name"),
    "memberType": ("member type", "type", "object type"),
    "mail": ("email",),
}
GROUP_ALIASES = {
    "id": ("object id", "objectId", "object_id"),
    "displayName": ("display name", "name", "group name"),
    "mail": ("email",),
    "groupType": ("group type",),
    "membershipType": ("membership type",),
    "source": (),
}


# --------------------------------------------------------------------------- guests and emails


def is_ext_upn(upn: str) -> bool:
    """True for a B2B guest UPN ``<local>_<domain>#EXT#@<tenant>`` (docs/formats.md §3f)."""
    return "#" in upn and "#EXT#" in upn.upper()


def ext_upn_address(upn: str) -> str | None:
    """The address a B2B guest UPN was made from (``carol.nguyen_northpartners.example#EXT#@acme.example`` ->
    ``carol.nguyen@northpartners.example``: Entra writes the invited address's ``@`` as the last ``_`` of the
    local part, docs/formats.md §3f), ``None`` for a UPN that is no guest's."""
    if not is_ext_upn(upn):
        return None
    local = upn[:upn.upper().index("#EXT#")]
    name, underscore, domain = local.rpartition("_")
    return f"{name}@{domain}" if underscore and name and domain else None


def deleted_user_upn(upn: str, object_id: str) -> str | None:
    """The old UPN of a soft-deleted Entra user's "tombstone" UPN, else ``None``.

    When a user is deleted, Entra renames its userPrincipalName to the object id's
    32 hex digits (no dashes) prefixed to the old UPN, e.g.
    ``7c1d...e2a0alice@contoso.com`` for object ``7c1d...-e2a0``, freeing the old
    one for a new user (Microsoft Graph ``deletedItems``). Only that exact prefix
    (the user's own id, letter case aside) counts, so an ordinary UPN is never taken
    for one.
    """
    prefix = object_id.replace("-", "").lower()
    if len(prefix) != 32 or len(upn) <= 32 or upn[:32].lower() != prefix:
        return None
    return upn[32:]


def rebuild_guest_email(upn: str) -> tuple[str | None, bool]:
    """Rebuild a guest's home address from a ``#EXT#`` UPN: ``(email or None, ambiguous)``.

    The prefix before ``#EXT#`` is the address with ``@`` replaced by ``_``; the
    *last* ``_`` is turned back into ``@`` (domains hold no ``_``). ``ambiguous``
    is true when the local part still holds ``_`` (docs/formats.md §3f: cannot be
    sure which ``_`` was the ``@``).
    """
    upper = upn.upper()
    cut = upper.find("#EXT#")
    if cut <= 0:
        return None, False
    prefix = upn[:cut]
    at = prefix.rfind("_")
    if at <= 0 or at == len(prefix) - 1:
        return None, False
    local, domain = prefix[:at], prefix[at + 1:]
    return f"{local}@{domain}", "_" in local


def _split_multi(value: Any) -> list[str]:
    """A multi-valued cell or property: JSON list, JSON-array text, or ``;``/``,``-separated text."""
    if not value:
        return []
    if isinstance(value, list):
        return [str(v) for v in value if v]
    text = trim_padding(str(value))
    if not text:
        return []
    if text.startswith("["):
        try:
            parsed = json.loads(text)
            if isinstance(parsed, list):
                return [str(v) for v in parsed if v]
        except ValueError:
            pass
    return [trim_padding(p) for p in text.replace(",", ";").split(";") if trim_padding(p)]


def entra_emails(
    upn: str, mail: str | None, guest: bool, other_mails: Any, proxy_addresses: Any,
    ref: SourceRef, findings: Findings, counters: dict[str, int],
) -> tuple:
    """The ``emails`` tuple of an Entra user (rules in the module docstring)."""
    if not guest and not other_mails and not proxy_addresses:  # the common member: mail and/or UPN
        m = mail or ""  # as the loader read it (CSV_PADDING): never trimmed here
        mk = fast_email_key(m)
        if upn and "@" in upn:
            u = upn
            uk = fast_email_key(u)
            if not mk:
                return (Email(u, uk, True, "userPrincipalName"),)
            if uk != mk:
                return (Email(m, mk, True, "mail"), Email(u, uk, False, "userPrincipalName"))
        return (Email(m, mk, True, "mail"),) if mk else ()
    candidates: list[tuple[Any, bool, str | None]] = []
    if guest:
        if mail:
            candidates.append((mail, True, "mail"))
        elif is_ext_upn(upn):
            rebuilt, ambiguous = rebuild_guest_email(upn)
            if rebuilt and ambiguous:  # never linked or created on a guess: left out, the file incomplete
                findings.skipped(
                    "ambiguous-guest-email", ref.file, ref.location, "mail",
                    f"guest {upn!r} has no mail; {rebuilt!r} rebuilt from the UPN is a guess (the local part "
                    "holds '_', so the '@' position is not known): left out, no address of the guest's is read; "
                    "export the guest's mail",
                )
            elif rebuilt:
                candidates.append((rebuilt, True, "rebuilt"))
                counters["rebuilt"] += 1
        if upn and not is_ext_upn(upn):
            candidates.append((upn, False, "userPrincipalName"))
    else:
        candidates.append((mail, True, "mail"))
        if upn and "@" in upn:
            candidates.append((upn, not mail, "userPrincipalName"))
    for other in _split_multi(other_mails):
        candidates.append((other, False, "other"))
    for proxy in _split_multi(proxy_addresses):
        if proxy[:5].casefold() == "smtp:":
            candidates.append((proxy[5:], False, "proxy"))
    return make_emails(candidates)


ENTRA_USER_TYPES = ("member", "guest")
"""The ``userType`` words Entra ID uses (Microsoft Graph user resource: ``Member`` or ``Guest``), case aside; an
empty or absent one (older accounts, a ``$select`` without it) leaves the guest question to the ``#EXT#`` UPN."""


def _user(
    *, user_id: str, upn: str, display: str | None, given: str | None, surname: str | None,
    mail: str | None, user_type: str | None, active: bool | None, other_mails: Any,
    proxy_addresses: Any, attributes: dict[str, Any], ref: SourceRef, findings: Findings,
    counters: dict[str, int],
) -> IdpUser:
    ext = is_ext_upn(upn)
    if user_type and user_type.strip().casefold() not in ENTRA_USER_TYPES:
        # explicit both ways: a word Entra does not use (Gast, External, a typo) is never read as Member
        unreadable_status(findings, ref.file, ref.location, "userType", user_type, "Member or Guest",
                          "whether the user is a guest")
    guest = ext or (user_type or "").strip().casefold() == "guest"
    old_upn = deleted_user_upn(upn, user_id) if upn[:1].isalnum() and len(upn) > 32 else None
    if old_upn is not None:  # a deleted user: inactive, and its tombstone UPN is no address of anyone's
        findings.warning(
            "deleted-user", ref.file, ref.location, "userPrincipalName",
            f"user {user_id}: userPrincipalName {upn!r} is a deleted user's (the object id prefixed to "
            f"{old_upn!r}): the user was deleted; taken as inactive",
        )
        active = False
    # the column's aliases are read as this name
    created = date_field(attributes.get("createdDateTime"), "createdDateTime", ref, findings)
    return IdpUser(
        id=user_id,
        user_name=upn,
        user_name_key=fast_email_key(upn),
        emails=entra_emails(upn if old_upn is None else old_upn, mail, guest, other_mails, proxy_addresses, ref,
                            findings, counters),
        given_name=given or None,
        family_name=surname or None,
        display_name=display or None,
        active=active,
        status=None,
        user_type=user_type or ("Guest" if ext else None),
        external_id=None,
        attributes=attributes,
        source=ref,
        created=created.value,
        created_unreadable=created.unreadable,
        created_field="createdDateTime",
    )


def _report_rebuilt(path: Path, counters: dict[str, int], findings: Findings) -> None:
    if counters.get("rebuilt"):
        findings.info("guest-email-rebuilt", path, "", "mail",
                      f"{counters['rebuilt']} guest(s) without mail: email rebuilt from the #EXT# UPN")


def _last_sign_in(value: Any, ref: SourceRef, findings: Findings) -> str | None:
    """``signInActivity.lastSignInDateTime`` from a Graph object or a JSON cell, as ISO UTC."""
    if isinstance(value, str) and value.strip().startswith("{"):
        try:
            value = json.loads(value)
        except ValueError:
            return None
    if isinstance(value, dict):
        value = value.get("lastSignInDateTime")
    return timestamp_field(value, "signInActivity", ref, findings)


# --------------------------------------------------------------------------- CSV


def _users_csv(path: Path, builder: DirectoryBuilder, findings: Findings) -> None:
    table = read_table(path, findings, aliases=USER_ALIASES, required=("id", "userPrincipalName"),
                       identity=("id", "userPrincipalName", "mail"), what="Entra users CSV")
    if table is None:
        return
    flag_damaged_ids(table, "id", findings)
    ids, upns = object_ids(table.ids("id")), table.identity("userPrincipalName", findings)
    display = table.get_or_empty("displayName")
    given = table.get_or_empty("givenName")
    surname = table.get_or_empty("surname")
    mail = table.identity_or_empty("mail", findings)
    types = table.get_or_empty("userType")
    enabled = bool_column(table, "accountEnabled", findings, required=True)
    deleted = table.get("deletedDateTime")  # a "Deleted users" download: every row a deleted user
    if deleted is not None:
        enabled = _deleted_are_inactive(table, enabled, deleted, findings)
    other = table.identity_or_empty("otherMails", findings)
    proxy = table.identity_or_empty("proxyAddresses", findings)
    sign_in = table.get("signInActivity")
    attrs = table.row_attributes(_USER_CORE + ("otherMails", "proxyAddresses"))
    counters = {"rebuilt": 0}
    count = 0
    for row, ref in enumerate(table.refs()):
        if not ids[row]:
            findings.skipped("missing-id", table.path, ref.location, table.header("id"),
                             "user has no id; skipped")
            continue
        attributes = attrs[row]
        if sign_in is not None and sign_in[row]:
            last = _last_sign_in(sign_in[row], ref, findings)
            if last:
                attributes["lastLogin"] = last
        count += builder.add_user(_user(
            user_id=ids[row], upn=upns[row], display=display[row], given=given[row],
            surname=surname[row], mail=mail[row], user_type=types[row], active=enabled[row],
            other_mails=other[row], proxy_addresses=proxy[row], attributes=attributes, ref=ref,
            findings=findings, counters=counters,
        ))
    _report_rebuilt(path, counters, findings)
    builder.inputs.append(table.file.input_file("entra.users", count))


def _deleted_are_inactive(table: Any, enabled: list, deleted: list[str], findings: Findings) -> list:
    """``enabled`` with every row whose ``deletedDateTime`` is set taken as inactive (``False``), and one
    ``deleted-user`` warning naming the rows: Entra's "Deleted users" download (Users > Deleted users >
    Download users) lists soft-deleted users with ``accountEnabled`` as it was before deletion
    (docs/formats.md §3a); a deleted user is never active."""
    rows = [row for row, cell in enumerate(deleted) if cell]
    if not rows:
        return enabled
    findings.warning(
        "deleted-user", table.path, table.location(rows[0]), table.header("deletedDateTime"),
        f"{len(rows)} user(s) have a deletedDateTime (a 'Deleted users' download?): they were deleted; taken "
        "as inactive, whatever accountEnabled says",
    )
    out = list(enabled)
    for row in rows:
        out[row] = False
    return out


def _groups_csv(path: Path, builder: DirectoryBuilder, findings: Findings) -> None:
    table = read_table(path, findings, aliases=GROUP_ALIASES, required=("id", "displayName"),
                       identity=("id", "displayName", "mail"), what="Entra groups CSV")
    if table is None:
        return
    flag_damaged_ids(table, "id", findings)
    ids, names = object_ids(table.ids("id")), table.get("displayName")
    attrs = table.row_attributes(("id", "displayName"))
    count = 0
    for row, ref in enumerate(table.refs()):
        if not ids[row]:
            findings.skipped("missing-id", table.path, ref.location, table.header("id"),
                             "group has no Object ID; skipped")
            continue
        count += builder.add_group(ids[row], names[row], source=ref, attributes=attrs[row])
    builder.inputs.append(table.file.input_file("entra.groups", count))


def _group_for_file(path: Path, builder: DirectoryBuilder) -> str | None:
    """The id of the group a per-group members file is named by (its stem), added when unknown; ``None`` when
    several groups share that display name (:meth:`~.directory.DirectoryBuilder.group_for_key`)."""
    return builder.group_for_key(path.stem, SourceRef(str(path), ""))[0]


def _members_csv(path: Path, builder: DirectoryBuilder, findings: Findings, *, users_unreadable: bool = False) -> None:
    table = read_table(path, findings, aliases=MEMBER_ALIASES, required=("id",),
                       identity=("id", "userPrincipalName", "mail"), what="Entra group members CSV")
    if table is None:
        return
    flag_damaged_ids(table, "id", findings)
    group_id = _group_for_file(path, builder)
    if group_id is None:
        builder.inputs.append(table.file.input_file("entra.group_members", 0))
        return
    ids = object_ids(table.ids("id"))
    names = table.get_or_empty("displayName")
    types = table.get_or_empty("memberType")
    mails = table.get_or_empty("mail")
    added, ignored = [], MemberTypes(NON_USER_MEMBER_TYPES)
    kind_of = {t: member_type_word(t) for t in set(types)}
    users: list[str] = []
    untyped: list[str] = []
    nested = 0
    known_users = builder.users
    upns = table.identity("userPrincipalName", findings)
    if upns is not None:  # "Download members" lists each member's UPN: it must be the users file's
        for row, member_id in enumerate(ids):
            user = known_users.get(member_id)
            if user is not None and upns[row] and upns[row] != user.user_name:
                builder.disagree(user, "userPrincipalName", upns[row], path, table.location(row))
    if all(k == "user" for k in kind_of.values()) and not set(ids).difference(known_users):
        users = [i for i in ids if i]  # the usual file: known users only, no per-row work
        ids = ()
    for row, member_id in enumerate(ids):
        if not member_id:
            who = names[row] or (upns[row] if upns is not None else "")
            findings.skipped("missing-id", path, table.location(row), table.header("id"),
                             f"member {who!r} has no Object ID; skipped" if who else "member has no Object ID; skipped")
            continue
        kind = kind_of[types[row]]
        if kind == "user":
            if member_id not in known_users:
                if TEXT_MARKER + member_id in known_users:  # the users file's id has Excel's text marker:
                    member_id = TEXT_MARKER + member_id  # that user (its excel-mangled-id error stops plan)
                elif is_excel_mangled(member_id):
                    continue  # its excel-mangled-id error names this line: no user is held for it
                else:
                    builder.hold(member_id)  # its enabled state is unknown: see DirectoryBuilder.hold
                    added.append(table.location(row))
            users.append(member_id)
        elif kind == "":
            untyped.append(member_id)
        elif kind == "group":
            builder.add_member(group_id, builder.nested_group(member_id, names[row], table.ref(row)), "group")
            nested += 1
        elif kind in CONTACT_MEMBER_TYPES and fast_email_key(mails[row]):
            builder.outside(member_id, mails[row])  # a mail contact by its address: as in a Graph answer (§3b)
            users.append(member_id)
        else:
            ignored.add(types[row], table.location(row))
    builder.add_members(group_id, users, "user")
    builder.add_members(group_id, untyped, None)
    count = len(users) + len(untyped) + nested
    if added and not users_unreadable:
        findings.warning(
            "member-not-in-users", builder.users_file(path), "", "",
            f"{len(added)} member(s) of group {path.stem!r} ({path.name} {added[0]}) are not in this users CSV, "
            "which is therefore "
            "incomplete (downloaded without disabled users, or cut?): their enabled state is unknown, so they are "
            "held (no action for them); download the users again, all of them",
        )
    ignored.report(path, table.header("memberType"), findings)
    builder.inputs.append(table.file.input_file("entra.group_members", count))


def load_csv(files: dict[str, list[Path]], findings: Findings) -> IdpDirectory:
    """Load Entra admin-center CSV downloads by role (``users``, ``groups``, ``group-members``)."""
    builder = DirectoryBuilder(CSV_FORMAT, findings)
    read_by_role(files, (("users", _users_csv, "Entra users CSV"),
                         ("groups", _groups_csv, "Entra groups CSV")), builder, findings)
    for path in files.get("group-members", []):  # every file names a group: create them all before nesting
        _group_for_file(path, builder)
    # a users file given but unreadable (UTF-16 without BOM...) has its one error; every member would
    # otherwise be "not in this users CSV" once per group (tester6 finding 12e)
    unreadable = bool(files.get("users")) and not any(i.kind == "entra.users" for i in builder.inputs)
    read_by_role(files, (("group-members", partial(_members_csv, users_unreadable=unreadable),
                          "Entra group members CSV"),), builder, findings)
    return builder.build()


# --------------------------------------------------------------------------- Graph JSON

_GRAPH_USER_CORE = frozenset({
    "id", "userPrincipalName", "displayName", "givenName", "surname", "mail", "userType",
    "accountEnabled", "otherMails", "proxyAddresses", "signInActivity", "@odata.type",
})
_PAGE = {"page_keys": ("value",), "next_keys": ("@odata.nextLink",), "count_keys": ("@odata.count",),
         "null_is_missing": True}
"""Graph pages (docs/formats.md §3d): records in ``value``, the next page in ``@odata.nextLink``, the count
of a ``$count=true`` query in ``@odata.count`` (first page); ``"value": null`` is a lost page."""
DELETED_ITEMS_SET = "directory/deletedItems"
"""The entity set of a ``GET /v1.0/directory/deletedItems/microsoft.graph.user`` answer (with its cast,
``directory/deletedItems/microsoft.graph.user``): deleted users (docs/formats.md §3a, §3d)."""


def graph_context(data: Any) -> str | None:
    """The ``@odata.context`` of a saved Graph answer (its first page's), or ``None`` when it names none."""
    page = data[0] if isinstance(data, list) and data else data
    context = page.get("@odata.context") if isinstance(page, dict) else None
    return context if isinstance(context, str) else None


def entity_set(context: str) -> str:
    """The entity set an ``@odata.context`` URL names (OData JSON Format 4.01 §10): the part after
    ``$metadata#`` without its ``(select list)`` or ``/$entity``: ``users``, ``groups``, ``directoryObjects``,
    ``directory/deletedItems/microsoft.graph.user``; ``""`` when the URL has no ``$metadata#``."""
    _, hash_, rest = context.partition("$metadata#")
    if not hash_:
        return ""
    for stop in ("(", "/$entity", "?"):
        rest = rest.split(stop, 1)[0]
    return rest.strip("/")


def _wrong_set(path: Path, data: Any, expected: str, findings: Findings, allowed: tuple[str, ...] = ()) -> str | None:
    """The entity set of ``data``'s ``@odata.context`` (``expected`` when it names none); an
    ``unexpected-entity-set`` error naming the file, the context found and the set expected, and ``None``,
    when it names another set than ``expected``, ``directoryObjects`` (a ``getByIds`` answer, whose records
    say what they are) or its cast to the expected type (``directoryObjects/microsoft.graph.user``), or a set
    starting with one of ``allowed`` (a ``#groups`` answer saved as users.json would be read as groups:
    tester5 finding 18)."""
    context = graph_context(data)
    found = entity_set(context) if context else expected
    folded = found.casefold()
    cast = f"directoryobjects/microsoft.graph.{expected.casefold().removesuffix('s')}"
    if not found or folded in (expected.casefold(), "directoryobjects", cast) or any(
            folded.startswith(a.casefold()) for a in allowed):
        return found or expected
    findings.error("unexpected-entity-set", path, "$", "@odata.context",
                   f"{path.name}'s @odata.context names the entity set {found!r} ($metadata#{found}), not "
                   f"{expected!r}: it is no GET /v1.0/{expected} answer; save that answer here")
    return None


def _deleted_items_context(page: Any) -> bool:
    """Whether ``page`` (a saved Graph page) names ``directory/deletedItems`` in its own ``@odata.context``."""
    context = page.get("@odata.context") if isinstance(page, dict) else None
    return isinstance(context, str) and entity_set(context).casefold().startswith(DELETED_ITEMS_SET.casefold())


def _deleted_items_page(page: Any, users: list) -> bool:
    """Whether ``page`` (as saved, holding ``users``) of a Graph users file is a ``directory/deletedItems`` answer's:
    its own ``@odata.context`` names that set, or, saved without one, every user of it (one at least) has a
    ``deletedDateTime`` (docs/formats.md §3d)."""
    if isinstance(page, dict) and "@odata.context" in page:
        return _deleted_items_context(page)
    return bool(users) and all(u.__class__ is dict and bool(u.get("deletedDateTime")) for u in users)


DELETED_ITEMS_ANSWER = AppendedListing("its directory/deletedItems answer", _deleted_items_page)
"""A Graph users file saved as the users pages, then the ``directory/deletedItems`` answer's: the users listing's
last page is checked for a cut by itself (tester22 finding 5: its ``@odata.nextLink`` was hidden by the deleted
users' page after it)."""


def _deleted_pages(data: Any) -> tuple[str, ...]:
    """The JSON path prefixes (``$[2].``) of the pages of a saved array of Graph pages whose own ``@odata.context``
    names ``directory/deletedItems``: their users are deleted whatever the first page's context says."""
    return tuple(f"$[{n}]." for n, page in enumerate(data) if _deleted_items_context(page)) \
        if isinstance(data, list) else ()


def _graph_user(rec: dict, ref: SourceRef, findings: Findings, counters: dict[str, int],
                deleted: bool = False) -> IdpUser | None:
    user_id = object_id(as_id(rec.get("id")))
    if not user_id:
        findings.skipped("missing-id", ref.file, ref.location, "id", "user has no id; skipped")
        return None
    enabled = rec.get("accountEnabled", MISSING)
    if enabled is MISSING or enabled is None:  # not $select-ed, or null: the export does not say
        unreadable_status(findings, ref.file, ref.location, "accountEnabled", enabled, "true or false")
        enabled = None
    elif not isinstance(enabled, bool):
        enabled = json_bool(enabled, "accountEnabled", ref, findings)
    if rec.get("deletedDateTime"):  # a /directory/deletedItems answer: accountEnabled as before deletion
        findings.warning("deleted-user", ref.file, ref.location, "deletedDateTime",
                         f"user {user_id}: deletedDateTime {rec['deletedDateTime']!r}: the user was deleted; "
                         "taken as inactive, whatever accountEnabled says")
        enabled = False
    elif deleted:  # a deletedItems answer saved without deletedDateTime in its $select
        findings.warning("deleted-user", ref.file, ref.location, "@odata.context",
                         f"user {user_id}: listed in a directory/deletedItems answer: the user was deleted; "
                         "taken as inactive, whatever accountEnabled says")
        enabled = False
    attributes = {k: v for k, v in rec.items() if v is not None and k not in _GRAPH_USER_CORE}
    last = _last_sign_in(rec.get("signInActivity"), ref, findings)
    if last:
        attributes["lastLogin"] = last
    mail = rec.get("mail")
    if mail is not None and mail.__class__ is not str:
        mail = string_field(mail, "mail", ref, findings) or None
    return _user(
        user_id=user_id, upn=string_field(rec.get("userPrincipalName"), "userPrincipalName", ref, findings),
        display=opt_text(rec.get("displayName")), given=opt_text(rec.get("givenName")),
        surname=opt_text(rec.get("surname")), mail=mail,
        user_type=opt_text(rec.get("userType")), active=enabled,
        other_mails=rec.get("otherMails"), proxy_addresses=rec.get("proxyAddresses"),
        attributes=attributes, ref=ref, findings=findings, counters=counters,
    )


def _graph_users(path: Path, builder: DirectoryBuilder, findings: Findings,
                 manifest: PullManifest | None = None) -> None:
    tf, data = read_json(path, findings)
    if tf is None:
        return
    found = _wrong_set(path, data, "users", findings, allowed=(DELETED_ITEMS_SET,))
    if found is None:
        return
    deleted = found.casefold().startswith(DELETED_ITEMS_SET.casefold())  # tester5 finding 19
    deleted_pages = _deleted_pages(data)  # a deletedItems answer appended to the users pages
    file = str(path)
    counters = {"rebuilt": 0}
    count = 0
    vouched = manifest is not None and manifest.vouches(path)  # a pull read it whole: check_manifest
    for rec, where in records(data, path, findings, what="Graph users file", **_PAGE,
                              page_sizes=None if vouched else GRAPH_USERS, appended=DELETED_ITEMS_ANSWER):
        user = _graph_user(rec, SourceRef(file, where), findings, counters,
                           deleted or where.startswith(deleted_pages))
        if user is not None:
            count += builder.add_user(user)
    _report_rebuilt(path, counters, findings)
    builder.inputs.append(tf.input_file("entra.deleted_users" if deleted else "entra.users", count))


def _graph_groups(path: Path, builder: DirectoryBuilder, findings: Findings,
                  manifest: PullManifest | None = None) -> None:
    """Read a ``GET /v1.0/groups`` answer: one ending on a full page (:data:`~.page_sizes.GRAPH_GROUPS`) with no
    ``@odata.nextLink`` or ``@odata.count`` is ``incomplete-pages``, as the users file (tester20 finding 8),
    unless a ``fetch-idp`` manifest names it."""
    tf, data = read_json(path, findings)
    if tf is None or _wrong_set(path, data, "groups", findings) is None:
        return
    file = str(path)
    count = 0
    vouched = manifest is not None and manifest.vouches(path)
    for rec, where in records(data, path, findings, what="Graph groups file", **_PAGE,
                              page_sizes=None if vouched else GRAPH_GROUPS):
        group_id = object_id(as_id(rec.get("id")))
        if not group_id:
            findings.skipped("missing-id", file, where, "id", "group has no id; skipped")
            continue
        attributes = {k: v for k, v in rec.items() if v is not None and k not in ("id", "displayName")}
        count += builder.add_group(group_id, as_text(rec.get("displayName")),
                                   source=SourceRef(file, where), attributes=attributes)
    builder.inputs.append(tf.input_file("entra.groups", count))


def _stripped(rec: dict) -> bool:
    """True when a Graph item has nothing but ``@odata.type`` and ``id`` (permission-trimmed, §3e)."""
    return all(v is None for k, v in rec.items() if k not in ("@odata.type", "id"))


@dataclass
class _Listing:
    """What one Graph members answer of a group listed: its user and group members (ids, answer order), whether it
    is known to be a ``/transitiveMembers`` answer (:func:`_is_transitive`), and where it is."""

    users: dict[str, None]
    groups: dict[str, None]
    transitive: bool
    file: str
    location: str


def _graph_answer(
    group_key: str, answer: Any, path: Path, base: str, builder: DirectoryBuilder,
    findings: Findings, tally: dict[str, Any], listings: dict[str, _Listing], transitive: bool,
    vouched: bool = False,
) -> int:
    file = str(path)
    group_id, _ = builder.group_for_key(object_id(group_key), SourceRef(file, base),
                                        listing="transitiveMembers" if transitive else "members")
    if group_id is None:
        return 0
    listing = listings.get(group_id)
    if listing is None:
        listing = listings[group_id] = _Listing({}, {}, transitive, file, base)
    else:  # the group answered twice: one listing
        listing.transitive = listing.transitive or transitive
    count = 0
    for rec, where in records(answer, path, findings, what=f"Graph members of {group_key}", base=base,
                              **_PAGE, page_sizes=None if vouched else GRAPH_MEMBERS):
        member_id = object_id(as_id(rec.get("id")))
        if not member_id:
            findings.skipped("missing-id", file, where, "id", "group member has no id; skipped")
            continue
        odata = as_text(rec.get("@odata.type")).rsplit(".", 1)[-1].casefold()
        if not odata:
            odata = "user" if "userPrincipalName" in rec else "group" if (
                "securityEnabled" in rec or "groupTypes" in rec) else ""
        if odata == "user":
            if member_id not in builder.users:
                if _stripped(rec):
                    tally["withheld"].append(where)
                else:
                    tally["added"].append(where)
                builder.hold(member_id)  # its accountEnabled is unknown: see DirectoryBuilder.hold
                continue
            _compare_graph(rec, builder.users[member_id], path, where, builder)
            builder.add_member(group_id, member_id, "user")
            listing.users[member_id] = None
        elif odata == "group":
            builder.add_member(group_id, builder.nested_group(member_id, as_text(rec.get("displayName")),
                                                             SourceRef(file, where), by_name=False), "group")
            listing.groups[member_id] = None
        elif odata in CONTACT_MEMBER_TYPES and fast_email_key(as_text(rec.get("mail"))):
            # a mail contact, by its address (§3e): never provisioned by Entra ID, like a Google EXTERNAL member one
            # of the group's outside members, so an active Sigma member with the address is asked about, not
            # deactivated in silence (unmatched.outside_member, teams.outside_member; tester18 finding 8's class)
            builder.outside(member_id, as_text(rec.get("mail")))
            builder.add_member(group_id, member_id, "user")
        elif odata:
            tally["ignored"].add(as_text(rec.get("@odata.type")).rsplit(".", 1)[-1], where)
            continue
        else:
            builder.add_member(group_id, member_id, None)
        count += 1
    return count


def _compare_graph(rec: dict, user: IdpUser, path: Path, where: str, builder: DirectoryBuilder) -> None:
    """Report (:meth:`~.directory.DirectoryBuilder.disagree`) a member user object whose ``userPrincipalName`` or
    ``accountEnabled`` differs from the users file's record of the same id: the files were saved at different
    times (tester3 finding 5). Fields the member object leaves out (Graph's default ``$select`` of members has
    no ``accountEnabled``) are not compared, nor ``accountEnabled`` of a user the users file says was deleted."""
    upn = rec.get("userPrincipalName")
    if upn is not None and upn != user.user_name:
        builder.disagree(user, "userPrincipalName", upn, path, where)
    enabled = rec.get("accountEnabled")
    if (enabled is True or enabled is False) and user.active is not None and enabled is not user.active and not (
            user.attributes.get("deletedDateTime") or deleted_user_upn(user.user_name, user.id)):
        builder.disagree(user, "accountEnabled", enabled, path, where)


def _graph_report(path: Path, users_file: str, tally: dict[str, Any], findings: Findings) -> None:
    if tally["withheld"]:
        findings.warning(
            "member-details-withheld", path, tally["withheld"][0], "id",
            f"{len(tally['withheld'])} user member(s) came back with only @odata.type and id (no "
            "permission to read them?) and are not in the users file, which is therefore incomplete: they are "
            "held (no action for them)",
        )
    if tally["added"]:
        findings.warning("member-not-in-users", users_file, "", "",
                         f"{len(tally['added'])} member(s) of {path.name} (first at {tally['added'][0]}) are not "
                         "in this users file, which is therefore "
                         "incomplete: their accountEnabled is unknown, so they are held (no action for them); "
                         "export the users again, all of them")
    tally["ignored"].report(path, "@odata.type", findings)
    _report_rebuilt(path, tally["counters"], findings)


def _new_tally() -> dict[str, Any]:
    return {"withheld": [], "added": [], "ignored": MemberTypes(NON_USER_MEMBER_TYPES),
            "counters": {"rebuilt": 0}}


def _is_transitive(path: Path, data: Any) -> bool:
    text = path.name.casefold()
    if "transitive" in text:
        return True
    return isinstance(data, dict) and "transitivemembers" in as_text(data.get("@odata.context")).casefold()


def _graph_members_file(path: Path, builder: DirectoryBuilder, findings: Findings, keyed: bool,
                        listings: dict[str, _Listing], manifest: PullManifest | None = None) -> None:
    tf, data = read_json(path, findings)
    if tf is None:
        return
    answers = members_answers(data, path, findings, keyed=keyed, what="Graph members file",
                              shape="{groupId: <members answer>}")
    if answers is None:
        return
    tally = _new_tally()
    count = 0
    whole_file = _is_transitive(path, data)
    vouched = manifest is not None and manifest.vouches(path)  # a pull read every page: check_manifest
    for key, answer, base in answers:
        count += _graph_answer(key, answer, path, base, builder, findings, tally, listings,
                               whole_file or _is_transitive(path, answer), vouched)
    _graph_report(path, builder.users_file(path), tally, findings)
    builder.inputs.append(tf.input_file("entra.group_members", count))


def settle_transitive_answers(listings: Mapping[str, _Listing], builder: DirectoryBuilder, findings: Findings
                              ) -> None:
    """Read the Graph ``/transitiveMembers`` answers that list nested groups as what they can tell
    (tester14a finding 4).

    Such an answer lists each nested group's users beside the group's own members, so a user of a nested group
    may or may not also be a direct member, and Entra ID provisions only the direct members of an assigned group
    (docs/formats.md §3e). An answer is ``/transitiveMembers`` when its ``@odata.context`` or file name says so
    (:func:`_is_transitive`); no content tells it from a ``/members`` answer whose nested groups' users are also
    direct members (the acme sample's Sigma-Build is one), so none is read into it. Of its users, those the
    nested groups' own answers hold are not direct members here (members through the nested groups, which is
    certain) and are recorded, with the answer, as a :class:`~planner.model.TransitiveDoubt` (every user it lists,
    none of them a direct member here, when a nested group has no answer of its own); the others are direct
    members exactly. A nested group a nested group holds is no direct member either.
    One ``transitive-members`` warning per such answer with a doubt names the group, the nested groups and what
    to export. An answer listing no group, or none of whose users a nested group holds, is the direct members
    exactly: nothing is said."""
    for group_id, listing in listings.items():
        if not (listing.groups and listing.transitive):
            continue
        unanswered = tuple(g for g in listing.groups if g not in listings)
        below: dict[str, None] = {}
        inner: dict[str, None] = {}
        for nested in listing.groups:
            own = listings.get(nested)
            if own is not None:
                below.update(own.users)
                inner.update(dict.fromkeys(g for g in own.groups if g != nested))
        unknown = tuple(listing.users if unanswered else (u for u in listing.users if u in below))
        builder.drop_members(group_id, unknown + tuple(g for g in listing.groups if g in inner))
        if not unknown:  # the nested groups hold none of its users: its users are the direct members exactly
            continue
        name = builder.group_name(group_id)
        names = ", ".join(repr(builder.group_name(g)) for g in listing.groups)
        if unanswered:
            doubt = (f"nested group(s) {', '.join(repr(builder.group_name(g)) for g in unanswered)} have no members "
                     f"answer of their own, so which of its {len(unknown)} user(s) are direct members cannot be told, "
                     "and Entra ID provisions only direct members: none is read as a direct member")
        else:
            doubt = (f"whether their {len(unknown)} user(s) are also direct members of {name!r} cannot be told, and "
                     "Entra ID provisions only direct members: they are read as members through the nested groups "
                     "only")
        findings.warning(
            "transitive-members", listing.file, listing.location, "@odata.context",
            f"the members answer of group {name!r} ({group_id}) is a /transitiveMembers one: it lists "
            f"nested group(s) {names} beside their members; {doubt}, and the plan holds each whose scope, "
            "account type or team the group decides (inputs.transitive_members); save "
            f"GET /v1.0/groups/{group_id}/members, not /transitiveMembers (or `sigma-migrate fetch-idp entra`)")
        builder.transitive_doubts.append(TransitiveDoubt(group_id, tuple(listing.groups), unknown, unanswered,
                                                         listing.file, listing.location))


def _require_live_users(builder: DirectoryBuilder, findings: Findings) -> None:
    """A ``no-idp-users`` error when every users file read is a ``directory/deletedItems`` answer: deleted
    users are read beside the live ones (``GET /v1.0/users``), never instead of them, or every live user
    would be missing, i.e. deactivated."""
    kinds = {i.kind for i in builder.inputs}
    if "entra.deleted_users" in kinds and "entra.users" not in kinds:
        first = next(i.path for i in builder.inputs if i.kind == "entra.deleted_users")
        findings.error("no-idp-users", first, "$", "@odata.context",
                       f"{Path(first).name} is a directory/deletedItems answer (deleted users only) and the "
                       "export has no live users file (GET /v1.0/users, docs/formats.md §3d): export the users")


def load_graph(files: dict[str, list[Path]], findings: Findings) -> IdpDirectory:
    """Load Microsoft Graph JSON by role (``users``, ``groups``, ``members-map``, ``group-members``)."""
    builder = DirectoryBuilder(GRAPH_FORMAT, findings)
    manifest = read_manifest(files, GRAPH_FORMAT, findings)  # fetch-idp's counts (:mod:`.manifest`)
    builder.pulled = manifest is not None  # its answers were pulled: equal groups are equal
    read_by_role(files, (("users", partial(_graph_users, manifest=manifest), "Graph users file"),
                         ("groups", partial(_graph_groups, manifest=manifest), "Graph groups file")), builder, findings)
    _require_live_users(builder, findings)
    for path in files.get("group-members", ()):  # per-group files name their groups: create first
        _group_for_file(path, builder)
    listings: dict[str, _Listing] = {}
    read_by_role(files, (
        ("members-map", partial(_graph_members_file, keyed=True, listings=listings, manifest=manifest),
         "Graph group members file"),
        ("group-members", partial(_graph_members_file, keyed=False, listings=listings, manifest=manifest),
         "Graph group members file"),
    ), builder, findings)
    settle_transitive_answers(listings, builder, findings)
    check_manifest(manifest, builder.inputs, findings)
    return with_fetched_at(builder.build(), manifest)
