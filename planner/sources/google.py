"""Google Workspace: admin console users CSV and Admin SDK Directory API JSON (docs/formats.md §4).

CSV (``google-csv``): "Directory > Users > Download users". Bracketed suffixes
are part of the header text (``Email Address [Required]``, ``Status [READ
ONLY]``, ``Last Sign In [READ ONLY]``...); the unbracketed spellings and GAM's
``gam print users`` names (``primaryEmail``, ``id``, ``name.givenName``,
``suspended``, ``lastLoginTime``...) are aliases (``USER_ALIASES``). Only the
email column is required. The console download has no user id column: then
``id`` is the primary email. With an id column (GAM), ids are checked for
spreadsheet damage (``1.04E+20``, ``excel-mangled-id``). Password columns are
never kept. The CSV holds no groups.

JSON (``google-api``): ``users.json`` (``GET admin/directory/v1/users`` pages
``{"kind": "admin#directory#users", "users": [...], "nextPageToken"}``, arrays of
pages, or a bare array), ``groups.json`` (``{"groups": [...]}``), and members as
``group_members.json`` = ``{groupKey: <members answer>}`` or one members answer
per file named by the group key (id, email or name). Member ``type`` ``USER``
-> user, ``GROUP`` -> nested group; an ``EXTERNAL`` member (no Workspace user, never
provisioned by Google's SCIM app) with an ``email`` is one of the group's outside members, as a ``USER`` of
another domain (below; tester18 finding 8), one without is ignored with an info finding; a ``CUSTOMER``
member (the whole domain: everyone, not listed) makes the group's members unknown,
a ``whole-domain-member`` warning (tester6 finding 28), and any other ``type`` is
``unreadable-member-type``: both incomplete-input codes (:data:`~.files.SKIPPED_CODES`). A ``USER`` member that is no user of the users
file shows that file incomplete (``member-not-in-users``, it is held), unless its
email is of a domain no user of the file has: groups may hold addresses outside
the domain (docs/formats.md §4c), an ``unknown-group-member`` warning. A ``USER``
member whose ``email`` or ``status`` (``ACTIVE`` / ``SUSPENDED``) differs from the
users file's record of the same user shows the files were saved at different times:
a ``users-disagree`` warning (:meth:`~.directory.DirectoryBuilder.disagree`, as for Okta
and Entra), an incomplete-input code.

Mapping: ``user_name`` <- primary email; ``emails`` <- primary, then
``emails[].address``, ``aliases``, ``nonEditableAliases`` (JSON) or the work /
home secondary emails (CSV); ``active`` <- not suspended and not archived
(``Status`` ``Active`` / ``Suspended`` / ``Archived`` in the CSV); ``status`` <-
``Active`` / ``Suspended`` / ``Archived``; ``lastLogin`` attribute <- ``Last Sign
In`` / ``lastLoginTime`` as ISO UTC (``Never logged in`` and the 1970 epoch are
"never", docs/formats.md §0.7, §4b; the CSV's ``YYYY/MM/DD HH:MM:SS``, :data:`SIGN_IN_FORM`, as UTC).
"""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import Any, Iterable

from ..model import IdpDirectory, IdpUser, SourceRef
from .directory import DirectoryBuilder, MemberTypes, make_emails, member_count, read_by_role
from .envelopes import AppendedListing, members_answers, records
from .files import Findings, read_json
from .manifest import PullManifest, check_manifest, read_manifest, with_fetched_at
from .page_sizes import GOOGLE_GROUPS, GOOGLE_MEMBERS, GOOGLE_USERS
from .tabular import bool_column, flag_damaged_ids, read_table
from .values import (
    MISSING, as_id, as_text, read_id, date_field, json_bool, damaged_id_message, fast_email_key, is_excel_mangled,
    missing_status_column, opt_text, string_field, timestamp_field, unreadable_status,
)

NON_USER_MEMBER_TYPES = ("external",)
"""Google member ``type`` words (:func:`~.directory.member_type_word`) ignored: ``EXTERNAL``, a member from
outside the domain, never provisioned by Google's SCIM app (docs/formats.md §4c). ``CUSTOMER`` (the whole
domain) is a ``whole-domain-member`` warning; any other word than ``USER`` / ``GROUP`` is unreadable
(:class:`~.directory.MemberTypes`)."""

CSV_FORMAT = "google-csv"
API_FORMAT = "google-api"

SIGN_IN_FORM = "%Y/%m/%d %H:%M:%S"
"""The admin console download's own ``Last Sign In [READ ONLY]`` form, ``2025/05/21 09:14:55`` zero-padded
(docs/formats.md §4a), read as UTC: Google's page does not say the zone (UTC or the admin's), and the sign-in time
dates no rule (it is shown as ``lastLogin``). Only this column reads it: anywhere else, and in any other spelling
(``2025/5/21 9:14``: Excel ja-JP saved the file again), a date-time with neither ``T`` nor zone is a spreadsheet's
local time, an ``ambiguous-date`` (:func:`planner.sources.values.local_date_words`, tester21 finding 10)."""

USER_ALIASES = {
    "primaryEmail": ("email address [required]", "email address", "email", "primary email"),
    "id": ("user id", "userid"),
    "givenName": ("first name [required]", "first name", "name.givenname"),
    "familyName": ("last name [required]", "last name", "name.familyname"),
    "fullName": ("name.fullname", "full name"),
    "status": ("status [read only]",),
    "suspended": (),
    "archived": (),
    "lastLoginTime": ("last sign in [read only]", "last sign in"),
    "orgUnitPath": ("org unit path [required]", "org unit path"),
    "workSecondaryEmail": ("work secondary email",),
    "homeSecondaryEmail": ("home secondary email",),
    "recoveryEmail": ("recovery email",),
    "employeeId": ("employee id",),
    "employeeType": ("employee type",),
    "employeeTitle": ("employee title",),
    "department": (),
    "costCenter": ("cost center",),
    "managerEmail": ("manager email",),
    "aliases": (),
    "isAdmin": ("is admin",),
    "password": ("password [required]",),
    "passwordHashFunction": ("password hash function [upload only]", "password hash function"),
    "newPrimaryEmail": ("new primary email [upload only]",),
    "newStatus": ("new status [upload only]",),
}
_CONSUMED = ("primaryEmail", "id", "givenName", "familyName", "fullName", "status", "suspended",
             "archived", "lastLoginTime", "workSecondaryEmail", "homeSecondaryEmail", "aliases",
             "password", "passwordHashFunction", "newPrimaryEmail", "newStatus")


def _status(status: str, suspended: bool | None, archived: bool | None) -> tuple[str | None, bool | None]:
    """``(status word, active)`` from a CSV ``Status`` cell or the JSON ``suspended`` / ``archived`` flags.

    ``archived`` true is inactive whatever ``suspended`` says; otherwise ``suspended`` decides, and
    without it (``None``: absent, null or an empty cell) the state is unknown (``None``), never
    "Active" on ``archived: false`` alone: the user may be suspended (Directory API ``users``
    resource: ``suspended`` is always returned, ``archived`` is the license state).
    """
    word = status.strip().casefold()
    if word:
        if word == "active":
            return "Active", True
        if word in ("suspended", "archived"):
            return word.capitalize(), False
        return status.strip(), None
    if archived:
        return "Archived", False
    if suspended is None:
        return None, None
    if suspended:
        return "Suspended", False
    return "Active", True


# --------------------------------------------------------------------------- CSV


def _users_csv(path: Path, builder: DirectoryBuilder, findings: Findings) -> None:
    table = read_table(path, findings, aliases=USER_ALIASES, required=("primaryEmail",),
                       identity=("primaryEmail", "id", "workSecondaryEmail", "homeSecondaryEmail"),
                       what="Google users CSV")
    if table is None:
        return
    refs = table.refs()
    flag_damaged_ids(table, "id", findings, "Google user id")
    emails = table.identity("primaryEmail", findings)
    ids = table.ids("id")
    given = table.get_or_empty("givenName")
    family = table.get_or_empty("familyName")
    full = table.get_or_empty("fullName")
    status = table.get_or_empty("status")
    suspended = bool_column(table, "suspended", findings)
    suspended_cells = table.get_or_empty("suspended")
    archived = bool_column(table, "archived", findings)
    status_given = table.has("status")
    flags_given = table.has("suspended")  # archived alone never says a user is active (see _status)
    if not status_given and not flags_given:
        missing_status_column(findings, path, f"line {table.header_line}", "Status [READ ONLY] (or suspended)")
    last = table.get_or_empty("lastLoginTime")
    work = table.identity_or_empty("workSecondaryEmail", findings)
    home = table.identity_or_empty("homeSecondaryEmail", findings)
    aliases = table.identity_or_empty("aliases", findings)
    attrs = table.row_attributes(_CONSUMED)
    count = 0
    for row, ref in enumerate(refs):
        primary = emails[row]
        user_id = (ids[row] if ids is not None else "") or primary
        if not user_id:
            findings.skipped("missing-id", path, ref.location, table.header("primaryEmail"),
                             "user has neither an id nor an email; skipped")
            continue
        word, active = _status(status[row], suspended[row], archived[row])
        if active is None and (status_given or flags_given):
            if status_given and (status[row] or not flags_given):
                unreadable_status(findings, path, ref.location, table.header("status"), status[row],
                                  "Active, Suspended or Archived")
            elif not suspended_cells[row]:  # a cell that is no boolean was reported by bool_column
                unreadable_status(findings, path, ref.location, table.header("suspended"), "", "true or false")
        attributes = attrs[row]
        login = timestamp_field(last[row], table.header("lastLoginTime"), ref, findings, SIGN_IN_FORM)
        if login:
            attributes["lastLogin"] = login
        count += builder.add_user(IdpUser(
            id=user_id,
            user_name=primary,
            user_name_key=fast_email_key(primary),
            emails=make_emails([
                (primary, True, "primary"),
                (work[row], False, "work"),
                (home[row], False, "home"),
                *((a, False, "alias") for a in aliases[row].replace(",", " ").split()),
            ]),
            given_name=given[row] or None,
            family_name=family[row] or None,
            display_name=full[row] or (f"{given[row]} {family[row]}".strip() or None),
            active=active,
            status=word,
            attributes=attributes,
            source=ref,
        ))
    builder.inputs.append(table.file.input_file("google.users", count))


def load_csv(files: dict[str, list[Path]], findings: Findings) -> IdpDirectory:
    """Load Google admin console user downloads (role ``users``)."""
    builder = DirectoryBuilder(CSV_FORMAT, findings)
    read_by_role(files, (("users", _users_csv, "Google users CSV"),), builder, findings)
    return builder.build()


# --------------------------------------------------------------------------- Directory API JSON

_USER_CORE = frozenset({"id", "primaryEmail", "name", "emails", "aliases", "nonEditableAliases",
                        "suspended", "archived", "lastLoginTime", "creationTime", "kind", "etag"})


def _api_user(rec: dict, ref: SourceRef, findings: Findings) -> IdpUser | None:
    user_id = as_id(rec.get("id"))
    primary = string_field(rec.get("primaryEmail"), "primaryEmail", ref, findings)
    if not user_id and not primary:
        findings.skipped("missing-id", ref.file, ref.location, "id", "user has no id; skipped")
        return None
    if is_excel_mangled(user_id):
        findings.error("excel-mangled-id", ref.file, ref.location, "id",
                       damaged_id_message("Google user id", user_id))
    name = rec.get("name") if isinstance(rec.get("name"), dict) else {}
    candidates: list[tuple[Any, bool, str | None]] = [(primary, True, "primary")]
    emails = rec.get("emails")
    for item in emails if isinstance(emails, list) else ():
        if isinstance(item, dict):
            candidates.append((item.get("address"), False, opt_text(item.get("type"))))
    for key in ("aliases", "nonEditableAliases"):
        aliases = rec.get(key)
        for alias in aliases if isinstance(aliases, list) else ():
            candidates.append((alias, False, "alias"))
    word, active = _status("", json_bool(rec.get("suspended"), "suspended", ref, findings),
                           json_bool(rec.get("archived"), "archived", ref, findings))
    if active is None and rec.get("suspended") is None:
        unreadable_status(findings, ref.file, ref.location, "suspended", rec.get("suspended", MISSING),
                          "true or false")
    deleted = rec.get("deletionTime")
    if deleted:  # users.list?showDeleted=true: a user deleted in the last 20 days, its flags as before deletion
        findings.warning("deleted-user", ref.file, ref.location, "deletionTime",
                         f"user {user_id or primary}: deletionTime {deleted!r}: the user was deleted; taken as "
                         "inactive, whatever suspended and archived say")
        word, active = "Deleted", False
    attributes = {k: v for k, v in rec.items() if v is not None and k not in _USER_CORE}
    login = timestamp_field(rec.get("lastLoginTime"), "lastLoginTime", ref, findings)
    if login:
        attributes["lastLogin"] = login
    created = date_field(rec.get("creationTime"), "creationTime", ref, findings)
    return IdpUser(
        id=user_id or primary,
        user_name=primary,
        user_name_key=fast_email_key(primary),
        emails=make_emails(candidates),
        given_name=opt_text(name.get("givenName")),
        family_name=opt_text(name.get("familyName")),
        display_name=opt_text(name.get("fullName")),
        active=active,
        status=word,
        attributes=attributes,
        source=ref,
        created=created.value,
        created_unreadable=created.unreadable,
        created_field="creationTime",
    )


def _all_deleted(page: Any, users: list) -> bool:
    """Whether a ``page`` of a Google users file holds only users with a ``deletionTime`` (one at least): a page of
    the ``users.list?showDeleted=true`` answer, which lists deleted users only (docs/formats.md §4)."""
    return bool(users) and all(u.__class__ is dict and bool(u.get("deletionTime")) for u in users)


DELETED_USERS_ANSWER = AppendedListing("its showDeleted=true answer", _all_deleted)
"""A Google users file saved as the ``users.list`` pages, then the ``showDeleted=true`` answer's: the listing's
last page is checked for a cut by itself (tester22 finding 5's Google twin)."""


def _api_users(path: Path, builder: DirectoryBuilder, findings: Findings,
               manifest: PullManifest | None = None) -> None:
    tf, data = read_json(path, findings)
    if tf is None:
        return
    file = str(path)
    count = 0
    vouched = manifest is not None and manifest.vouches(path)  # a pull read it whole: check_manifest
    for rec, where in records(data, path, findings, page_keys=("users",), next_keys=("nextPageToken",),
                              what="Google users file", page_sizes=None if vouched else GOOGLE_USERS,
                              appended=DELETED_USERS_ANSWER):
        user = _api_user(rec, SourceRef(file, where), findings)
        if user is not None:
            count += builder.add_user(user)
    builder.inputs.append(tf.input_file("google.users", count))


def _api_groups(path: Path, builder: DirectoryBuilder, findings: Findings,
                manifest: PullManifest | None = None) -> None:
    """Read a ``groups.list`` answer: one ending on a full page (:data:`~.page_sizes.GOOGLE_GROUPS`) without its
    ``nextPageToken`` key is ``incomplete-pages``, as the users file (tester20 finding 8), unless a ``fetch-idp``
    manifest names it."""
    tf, data = read_json(path, findings)
    if tf is None:
        return
    file = str(path)
    count = 0
    vouched = manifest is not None and manifest.vouches(path)
    for rec, where in records(data, path, findings, page_keys=("groups",), next_keys=("nextPageToken",),
                              what="Google groups file", page_sizes=None if vouched else GOOGLE_GROUPS):
        group_id = as_id(rec.get("id")) or read_id(as_text(rec.get("email")))
        if not group_id:
            findings.skipped("missing-id", file, where, "id", "group has no id; skipped")
            continue
        attributes = {k: v for k, v in rec.items() if v is not None and k not in ("id", "name", "kind", "etag")}
        name = as_text(rec.get("name"))  # required: planner.sources.required
        source = SourceRef(file, where)
        count += builder.add_group(group_id, name, source=source, attributes=attributes, member_count=member_count(
            rec.get("directMembersCount"), "directMembersCount", source, "Google groups file", findings,
            digits_ok=True))
    builder.inputs.append(tf.input_file("google.groups", count))


def _api_answer(
    group_key: str, answer: Any, path: Path, base: str, builder: DirectoryBuilder,
    findings: Findings, ignored: MemberTypes, vouched: bool = False,
) -> int:
    file = str(path)
    group_id, _ = builder.group_for_key(group_key, SourceRef(file, base))
    if group_id is None:
        return 0
    sizes = None if vouched or builder.counted(group_id) else GOOGLE_MEMBERS  # directMembersCount decides
    by_email: dict[str, str] | None = None
    domains: set[str] = set()
    count = listed = child_groups = other_members = 0
    for rec, where in records(answer, path, findings, page_keys=("members",), next_keys=("nextPageToken",),
                              what=f"Google members of {group_key}", base=base, page_sizes=sizes):
        listed += 1
        kind = as_text(rec.get("type")).upper() or "USER"
        child_groups += kind == "GROUP"
        other_members += kind not in ("USER", "GROUP")
        member_id = as_id(rec.get("id"))
        # the member's address as the users' (string_field, fast_email_key): kept as written, its key the one rule
        email = rec.get("email")
        if email is not None and email.__class__ is not str:
            email = string_field(email, "email", SourceRef(file, where), findings)
        email = email or ""
        key = fast_email_key(email)
        if kind == "USER" and not member_id and not key:
            findings.skipped("missing-id", file, where, "id", "group member has neither an id nor an email; skipped")
            continue
        if kind == "USER":
            if member_id in builder.users:
                _compare(rec, builder.users[member_id], path, where, builder)
            elif key:
                if by_email is None:
                    by_email = users_by_address(builder.users.values())
                    domains = {k.rpartition("@")[2] for k in by_email}
                member_id = by_email.get(key) or member_id or key
                if member_id in builder.users:  # found by its email: its status may still differ
                    _compare(rec, builder.users[member_id], path, where, builder)
                elif key.rpartition("@")[2] not in domains:
                    # another domain's address (§4c): not a sign of a cut users file
                    builder.outside(member_id, email)
            builder.add_member(group_id, member_id, "user")
        elif kind == "GROUP":
            builder.add_member(group_id, builder.nested_group(member_id, email, SourceRef(file, where)), "group")
        elif kind == "EXTERNAL" and key:
            # a member from outside the domain, by its address (§4c): never provisioned by Google's SCIM app, like a
            # USER of another domain, so one of the group's outside members, named in the unknown-group-member
            # warning; an active Sigma member with the address is asked about, not deactivated in silence
            # (unmatched.outside_member, teams.outside_member; tester18 finding 8: was ignored, counted only)
            member_id = member_id or key
            builder.outside(member_id, email)
            builder.add_member(group_id, member_id, "user")
        elif kind == "CUSTOMER":
            findings.skipped(
                "whole-domain-member", file, where, "type",
                f"group {builder.group_name(group_id)!r} has the whole domain as a member (type CUSTOMER, id {member_id!r}: everyone in "
                "the organization), whose people this export does not list as members: who the group covers is "
                "not known, so it is not read as its other members only; add the people to the group (or export "
                "them as its members) and export again")
            continue
        else:
            ignored.add(as_text(rec.get("type")), where)
            continue
        count += 1
    builder.count_listed(group_id, listed, SourceRef(file, base), child_groups, other_members)
    return count


def users_by_address(users: Iterable[IdpUser]) -> dict[str, str | None]:
    """``{email key: user id}`` of every address of ``users`` (:attr:`~planner.model.IdpUser.emails`' keys: the
    primary email, then the aliases and other addresses, as a Sigma member is matched to them), the address a
    group lists a member by (Directory API ``members.list`` ``email``, :func:`~.values.fast_email_key` of it as
    written, as of a user's address) found by the one rule users go through (leftovers16 item 4: was the primary
    email's key only, so a member listed by an alias of its user was no user of the export, held as a cut users
    file). A primary email wins over another user's alias; a key two users' other addresses share names no one
    (``None``)."""
    out: dict[str, str | None] = {}
    others: dict[str, set[str]] = {}
    for u in users:
        for email in u.emails:
            if email.primary:
                out.setdefault(email.key, u.id)
            else:
                others.setdefault(email.key, set()).add(u.id)
    for key, ids in others.items():
        if key not in out:
            out[key] = next(iter(ids)) if len(ids) == 1 else None
    return out


_COMPARED_STATUSES = ("ACTIVE", "SUSPENDED")
"""Member ``status`` values compared with the users file's: an archived user's member status is not documented
(docs/formats.md §4c), so ``Archived`` users and other words are not compared."""


def _compare(rec: dict, user: IdpUser, path: Path, where: str, builder: DirectoryBuilder) -> None:
    """Report (:meth:`~.directory.DirectoryBuilder.disagree`) a ``USER`` member whose ``email`` is not the users
    file's primary email of the same id, or whose ``status`` (``ACTIVE`` / ``SUSPENDED``, any case) is not the
    users file's (``Active`` / ``Suspended``): the two files were saved at different times (docs/formats.md §4c,
    as Okta's §2c). Fields the member leaves out are not compared."""
    email = rec.get("email")
    if email is not None and (email.__class__ is not str or fast_email_key(email) != user.user_name_key):
        builder.disagree(user, "email", email, path, where)
    status = rec.get("status")
    said = status.strip().upper() if status.__class__ is str else None
    mine = (user.status or "").upper()
    if said in _COMPARED_STATUSES and mine in _COMPARED_STATUSES and said != mine:
        builder.disagree(user, "status", status, path, where)


def _api_members(path: Path, builder: DirectoryBuilder, findings: Findings, keyed: bool,
                 manifest: PullManifest | None = None) -> None:
    tf, data = read_json(path, findings)
    if tf is None:
        return
    answers = members_answers(data, path, findings, keyed=keyed, what="Google members file",
                              shape="{groupKey: <members answer>}")
    if answers is None:
        return
    ignored = MemberTypes(NON_USER_MEMBER_TYPES, "Workspace users or groups")
    count = 0
    vouched = manifest is not None and manifest.vouches(path)  # a pull read every page: check_manifest
    for key, answer, base in answers:
        count += _api_answer(key, answer, path, base, builder, findings, ignored, vouched)
    ignored.report(path, "type", findings)
    builder.inputs.append(tf.input_file("google.group_members", count))


def load_api(files: dict[str, list[Path]], findings: Findings) -> IdpDirectory:
    """Load Directory API JSON by role (``users``, ``groups``, ``members-map``, ``group-members``)."""
    builder = DirectoryBuilder(API_FORMAT, findings)
    manifest = read_manifest(files, API_FORMAT, findings)  # fetch-idp's counts (:mod:`.manifest`)
    builder.pulled = manifest is not None  # its answers were pulled: equal groups are equal
    read_by_role(files, (
        ("users", partial(_api_users, manifest=manifest), "Google users file"),
        ("groups", partial(_api_groups, manifest=manifest), "Google groups file"),
        ("members-map", partial(_api_members, keyed=True, manifest=manifest), "Google group members file"),
        ("group-members", partial(_api_members, keyed=False, manifest=manifest), "Google group members file"),
    ), builder, findings)
    check_manifest(manifest, builder.inputs, findings)
    return with_fetched_at(builder.build(), manifest)
