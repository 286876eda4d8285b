"""Okta Management API JSON (docs/formats.md §2a-§2c): users, groups, group members.

Layout (roles found by :mod:`.detect` from content, any file names):

- ``users.json``: ``GET /api/v1/users`` answers: a bare array of User objects,
  an array of such arrays (one per page), or pages concatenated in one file.
  Note: a list made without ``filter``/``search`` lacks ``DEPROVISIONED`` users.
- ``groups.json``: ``GET /api/v1/groups`` answers (Group objects, ``profile.name``).
- ``group_members.json``: ``{groupId: [User, ...]}``, the answers of
  ``GET /api/v1/groups/{groupId}/users`` keyed by group id (a group name is
  accepted as key too); members may also be bare user id strings. Or one file
  per group in a ``group_members/`` folder, named by group id or name.

Mapping to :class:`~planner.model.IdpUser`:

- ``id`` <- ``id`` (``00u...``); ``user_name`` <- ``profile.login`` (what the Okta
  Sigma app sends as SCIM ``userName``); ``emails`` <- ``profile.email`` (primary),
  ``profile.secondEmail``; names <- ``profile.firstName`` / ``lastName`` /
  ``displayName``; ``status`` <- ``status`` as written.
- ``active``: ``True`` for ``ACTIVE``, ``PROVISIONED``, ``RECOVERY``,
  ``PASSWORD_EXPIRED``, ``LOCKED_OUT`` (can sign in, or will after a reset);
  ``False`` for ``STAGED``, ``SUSPENDED``, ``DEPROVISIONED``; ``None`` (unknown,
  never guessed) when no status is given; a status given but unreadable
  (``""``, ``"WEIRD"``, ``["ACTIVE"]``) is an ``unreadable-status`` error (issue 14 B.5). Console labels ("Pending user
  action", "Deactivated", ...) are accepted as well (docs/formats.md §2a table).
- ``profile.login`` / ``email`` / ``secondEmail`` are kept as Okta holds them, white space around them
  included (:data:`~.values.CSV_PADDING`: the plan holds such a person, ``scim.unclean_user_name``); ones
  that are not strings (``123``) give an ``unexpected-value`` warning (:func:`~.values.string_field`).
- ``attributes``: every other ``profile`` field (custom ones included) plus
  ``created``, ``activated``, ``statusChanged``, ``lastUpdated``,
  ``passwordChanged``, ``typeId`` (``type.id``) and ``credentialProvider``
  (``credentials.provider.type``); ``lastLogin`` normalized to ISO 8601 UTC
  (absent = never). Null fields are left out. ``last_updated`` <- ``lastUpdated``
  and ``created`` <- ``created`` read by :func:`~.values.date_field` (an unreadable one is a warning and
  ``created_unreadable``).

Okta groups do not nest (every member is a user). A member user missing from
the users file (e.g. deprovisioned, filtered out) shows the users file is
incomplete: the user is held (:meth:`~.directory.DirectoryBuilder.hold`, no
action for it) with a ``member-not-in-users`` warning, an incomplete-input code
that blocks every action the gap could change (:mod:`planner.rules.inputs`).
"""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import Any

from ..model import Finding, IdpDirectory, IdpUser, Severity, SourceRef
from .directory import DirectoryBuilder, make_emails, member_count, read_by_role
from .envelopes import AppendedListing, batches, members_answers, objects, records, report_full_page
from .files import Findings, read_json
from .manifest import PullManifest, check_manifest, read_manifest, with_fetched_at
from .page_sizes import OKTA_GROUPS, OKTA_MEMBERS, OKTA_USERS
from .values import (
    MISSING, as_id, as_text, damaged_id_message, fast_email_key, is_excel_mangled, opt_text, string_field,
    InvalidValue, date_field, parse_timestamp, timestamp_field, unreadable_status,
)

FORMAT = "okta-api"

ACTIVE_STATUSES = frozenset({"ACTIVE", "PROVISIONED", "RECOVERY", "PASSWORD_EXPIRED", "LOCKED_OUT"})
INACTIVE_STATUSES = frozenset({"STAGED", "SUSPENDED", "DEPROVISIONED"})
STATUS_LABELS = {
    "PENDING_USER_ACTION": "PROVISIONED",
    "PASSWORD_RESET": "RECOVERY",
    "DEACTIVATED": "DEPROVISIONED",
}
_PROFILE_CORE = ("login", "email", "secondEmail", "firstName", "lastName", "displayName")
_TOP_LEVEL = ("created", "activated", "statusChanged", "lastUpdated", "passwordChanged")
_OKTA_NEXT = ("link", "Link")
"""Where a saved Okta page keeps its ``Link`` header (``<...after=...>; rel="next"``)."""


def okta_word(status: str) -> str:
    """An Okta status (API enum or console label, any case) as the API enum: ``"Deactivated"`` -> ``DEPROVISIONED``."""
    word = "_".join(status.strip().upper().split())
    return STATUS_LABELS.get(word, word)


def okta_active(status: str | None) -> bool | None:
    """Whether an Okta status (API enum or console label, any case) can use apps (docs/formats.md §2a)."""
    if not status:
        return None
    word = okta_word(status)
    if word in ACTIVE_STATUSES:
        return True
    if word in INACTIVE_STATUSES:
        return False
    return None


def user_from_okta(rec: dict, ref: SourceRef, findings: Findings) -> IdpUser | None:
    """One Okta User object -> :class:`IdpUser` (``None`` with a ``missing-id`` warning without ``id``)."""
    user_id = as_id(rec.get("id"))
    if not user_id:
        findings.skipped("missing-id", ref.file, ref.location, "id", "Okta user has no id; skipped")
        return None
    profile = rec.get("profile")
    if not isinstance(profile, dict):
        profile = {}
    login = profile.get("login")
    if login.__class__ is not str:  # as the IdP holds it (string_field): never trimmed
        login = string_field(login, "profile.login", ref, findings)
    attributes: dict[str, Any] = {
        k: v for k, v in profile.items() if v is not None and k not in _PROFILE_CORE
    }
    for key in _TOP_LEVEL:
        value = rec.get(key)
        if value is not None:
            attributes[key] = value
    kind = rec.get("type")
    if isinstance(kind, dict) and kind.get("id"):
        attributes["typeId"] = kind["id"]
    creds = rec.get("credentials")
    if isinstance(creds, dict) and isinstance(creds.get("provider"), dict):
        provider = creds["provider"].get("type")
        if provider:
            attributes["credentialProvider"] = provider
    last_login = rec.get("lastLogin")
    if last_login:
        normalized = timestamp_field(last_login, "lastLogin", ref, findings)
        if normalized:
            attributes["lastLogin"] = normalized
    email = profile.get("email")
    if email is not None and email.__class__ is not str:
        email = string_field(email, "profile.email", ref, findings)
    second = profile.get("secondEmail")
    if second is not None and second.__class__ is not str:
        second = string_field(second, "profile.secondEmail", ref, findings)
    status = rec.get("status", MISSING)
    active = okta_active(status) if status.__class__ is str else None
    if active is None:
        unreadable_status(findings, ref.file, ref.location, "status", status,
                          "an Okta user status (ACTIVE, STAGED, PROVISIONED, RECOVERY, PASSWORD_EXPIRED, "
                          "LOCKED_OUT, SUSPENDED, DEPROVISIONED)")
        if status.__class__ is not str:
            status = None
    created = date_field(rec.get("created"), "created", ref, findings)
    return IdpUser(
        id=user_id,
        user_name=login,
        user_name_key=fast_email_key(login),
        emails=make_emails((
            (email, True, "primary"),
            (second, False, "secondary"),
            (login if "@" in login and not email else None, False, "login"),
        )),
        given_name=opt_text(profile.get("firstName")),
        family_name=opt_text(profile.get("lastName")),
        display_name=opt_text(profile.get("displayName")),
        active=active,
        status=status or None,
        user_type=None,
        external_id=None,
        attributes=attributes,
        source=ref,
        last_updated=date_field(rec.get("lastUpdated"), "lastUpdated", ref, findings).value,
        created=created.value,
        created_unreadable=created.unreadable,
        created_field="created",
    )


def _all_deprovisioned(page: Any, users: list) -> bool:
    """Whether a ``page`` of an Okta users file holds only ``DEPROVISIONED`` ``users`` (and one at least): a page of
    the ``search=status eq "DEPROVISIONED"`` answer, which the plain listing never holds (docs/formats.md §2a)."""
    return bool(users) and all(u.__class__ is dict and u.get("status").__class__ is str
                               and okta_word(u["status"]) == "DEPROVISIONED" for u in users)


DEPROVISIONED_ANSWER = AppendedListing("its DEPROVISIONED answer", _all_deprovisioned)
"""README's Okta users file: the plain listing's pages, then the DEPROVISIONED answer's appended in one array of
pages: the plain listing's last page is checked for a cut by itself (tester21 finding 9)."""


def _users(path: Path, builder: DirectoryBuilder, findings: Findings, manifest: PullManifest | None = None) -> None:
    tf, data = read_json(path, findings)
    if tf is None:
        return
    file = str(path)
    count = 0
    vouched = manifest is not None and manifest.vouches(path)  # a pull read it whole: check_manifest
    for rec, where in records(data, path, findings, page_keys=("users",), next_keys=_OKTA_NEXT,
                              what="Okta users file", page_sizes=None if vouched else OKTA_USERS,
                              appended=DEPROVISIONED_ANSWER):
        user = user_from_okta(rec, SourceRef(file, where), findings)
        if user is not None:
            if is_excel_mangled(user.id):
                findings.error("excel-mangled-id", file, where, "id",
                               damaged_id_message("user id", user.id))
            count += builder.add_user(user)
    builder.inputs.append(tf.input_file("okta.users", count))


def _groups(path: Path, builder: DirectoryBuilder, findings: Findings, manifest: PullManifest | None = None) -> None:
    """Read the groups file: a listing ending on a full page (:data:`~.page_sizes.OKTA_GROUPS`) without its next
    link is ``incomplete-pages``, as the users file (tester20 finding 8), unless a ``fetch-idp`` manifest names it."""
    tf, data = read_json(path, findings)
    if tf is None:
        return
    file = str(path)
    count = 0
    vouched = manifest is not None and manifest.vouches(path)
    for rec, where in records(data, path, findings, page_keys=("groups",), next_keys=_OKTA_NEXT,
                              what="Okta groups file", page_sizes=None if vouched else OKTA_GROUPS):
        group_id = as_id(rec.get("id"))
        if not group_id:
            findings.skipped("missing-id", file, where, "id", "Okta group has no id; skipped")
            continue
        profile = rec.get("profile") if isinstance(rec.get("profile"), dict) else {}
        attributes = {k: v for k, v in profile.items() if v is not None and k != "name"}
        for key in ("type", "created", "lastUpdated", "lastMembershipUpdated"):
            if rec.get(key) is not None:
                attributes[key] = rec[key]
        embedded = rec.get("_embedded")
        stats = embedded.get("stats") if embedded.__class__ is dict else None
        source = SourceRef(file, where)
        count += builder.add_group(
            group_id, as_text(profile.get("name")), source=source, attributes=attributes,
            member_count=member_count(stats.get("usersCount") if stats.__class__ is dict else None,
                                      "_embedded.stats.usersCount", source, "Okta groups file", findings),
        )
    builder.inputs.append(tf.input_file("okta.groups", count))


def _members(
    group_key: str, answer: Any, path: Path, base: str, builder: DirectoryBuilder,
    findings: Findings, counters: dict[str, int], vouched: bool = False,
) -> int:
    """Read one group's members answer (``answer`` at ``base`` of ``path``) into ``builder``; the count of
    memberships. ``vouched``: a ``fetch-idp`` manifest names the file; else, unless the group's own
    ``usersCount`` is known (:meth:`~.directory.DirectoryBuilder.counted`, compared when built), an answer
    ending on a full page (:data:`~.page_sizes.OKTA_MEMBERS`) is ``incomplete-pages``."""
    file = str(path)
    group_id, added = builder.group_for_key(group_key, SourceRef(file, base))
    if group_id is None:
        return 0
    if added:
        counters["unknown_groups"] += 1
    sizes = None if vouched or builder.counted(group_id) else OKTA_MEMBERS
    what = f"Okta members of group {group_key}"
    if isinstance(answer, list) and answer and all(isinstance(x, (str, int)) for x in answer):
        ids = [as_id(x) for x in answer]
        if sizes is not None:
            report_full_page(findings, path, base, answer, [(base, answer)], sizes, what)
        builder.add_members(group_id, ids, "user")
        builder.count_listed(group_id, len(ids), SourceRef(file, base))
        return len(ids)
    count = 0
    known = builder.users
    listed = 0
    for prefix, items in batches(answer, path, findings, page_keys=("users",), next_keys=_OKTA_NEXT,
                                 what=what, base=base, page_sizes=sizes):
        listed += len(items)
        users = objects(items, prefix, path, findings, what)
        ids = [u.get("id") for u in users]
        if all(i.__class__ is str and i in known for i in ids):  # the usual case: known users only
            _compare(users, ids, known, prefix, path, builder, group_id)
            builder.add_members(group_id, ids, "user")
            count += len(ids)
            continue
        for i, rec in enumerate(users):
            where = f"{prefix}[{i}]"
            user_id = as_id(rec.get("id"))
            if not user_id:
                findings.skipped("missing-id", file, where, "id", "group member has no id; skipped")
                continue
            if user_id in known:
                _compare((rec,), (user_id,), known, where, path, builder, group_id, single=True)
            else:
                builder.hold(user_id)  # its state is unknown: see DirectoryBuilder.hold
                counters["added_users"] += 1
                if counters["added_users"] == 1:
                    counters["first_added"] = where  # type: ignore[assignment]
            builder.add_member(group_id, user_id, "user")
            count += 1
    builder.count_listed(group_id, listed, SourceRef(file, base))
    return count


def _compare(recs: Any, ids: Any, known: dict[str, IdpUser], prefix: str, path: Path, builder: DirectoryBuilder,
             group_id: str, single: bool = False) -> None:
    """Report (:meth:`~.directory.DirectoryBuilder.disagree`) each embedded User object of group ``group_id``'s
    answer whose ``status`` or ``profile.login`` differs from the users file's record of the same id: the files
    were saved at different times (tester3 finding 5). Fields the embedded object leaves out are not compared;
    a status differing only in case or blanks is the same status. An embedded ``lastUpdated`` earlier than the
    users file's (both read by :func:`~.values.parse_timestamp`; one unreadable is not compared) is recorded by
    :meth:`~.directory.DirectoryBuilder.older`: the answer was saved before that user changed (tester19
    finding 4)."""
    for i, (rec, user_id) in enumerate(zip(recs, ids)):
        user = known[user_id]
        status = rec.get("status")
        if status is not None and status != user.status and (
                status.__class__ is not str or okta_word(status) != okta_word(user.status or "")):
            builder.disagree(user, "status", status, path, prefix if single else f"{prefix}[{i}]")
        profile = rec.get("profile")
        login = profile.get("login") if profile.__class__ is dict else None
        if login is not None and login != user.user_name:
            builder.disagree(user, "login", login, path, prefix if single else f"{prefix}[{i}]")
        updated = rec.get("lastUpdated")
        if updated is not None and user.last_updated and updated != user.attributes.get("lastUpdated"):
            listed = _quiet_timestamp(updated)
            if listed is not None and listed < user.last_updated:
                builder.older(group_id, user, listed)


def _quiet_timestamp(value: Any) -> str | None:
    """``value`` read by :func:`~.values.parse_timestamp`, ``None`` when it is no timestamp (an embedded record's
    date is only compared, never decided on: the users file's record is the one read)."""
    try:
        return parse_timestamp(value)
    except (InvalidValue, TypeError):
        return None


def _members_file(path: Path, builder: DirectoryBuilder, findings: Findings, keyed: bool,
                  manifest: PullManifest | None = None) -> None:
    tf, data = read_json(path, findings)
    if tf is None:
        return
    answers = members_answers(data, path, findings, keyed=keyed, what="Okta group members file",
                              shape="{groupId: [User, ...]}")
    if answers is None:
        return
    counters = {"unknown_groups": 0, "added_users": 0}
    count = 0
    vouched = manifest is not None and manifest.vouches(path)  # a pull read every page: check_manifest
    for key, answer, base in answers:
        count += _members(key, answer, path, base, builder, findings, counters, vouched)
    _report(path, builder.users_file(path), builder.groups_file(), counters, findings)
    builder.inputs.append(tf.input_file("okta.group_members", count))


def _report(path: Path, users_file: str, groups_file: str | None, counters: dict[str, Any],
            findings: Findings) -> None:
    if counters["added_users"]:
        findings.warning(
            "member-not-in-users", users_file, "", "",
            f"{counters['added_users']} group member(s) of {path.name} (first at "
            f"{counters.get('first_added', '')}) are not in this users file, which is therefore "
            "incomplete (exported without filter=status eq \"DEPROVISIONED\"?): their state is unknown, so they "
            "are held (no action for them); export the users again, every status",
        )
    if counters["unknown_groups"] and groups_file is None:  # with a groups file: DirectoryBuilder.build says it
        findings.info("unknown-group", path, "", "",
                      f"{counters['unknown_groups']} group key(s) match no group of the groups file; "
                      "the key is used as the group's id and name")


def load(files: dict[str, list[Path]], findings: Findings) -> IdpDirectory:
    """Load Okta API files by role (``users``, ``groups``, ``members-map``, ``group-members``).

    A ``fetch-idp`` manifest (role ``manifest``, :mod:`.manifest`) vouches for the files it names:
    a users file of exactly 200 users it names is not "one full page"; its counts are checked.
    """
    builder = DirectoryBuilder(FORMAT, findings)
    manifest = read_manifest(files, FORMAT, findings)
    builder.pulled = manifest is not None  # its answers were pulled: equal groups are equal
    read_by_role(files, (
        ("users", partial(_users, manifest=manifest), "Okta users file"),
        ("groups", partial(_groups, manifest=manifest), "Okta groups file"),
        ("members-map", partial(_members_file, keyed=True, manifest=manifest), "Okta group members file"),
        ("group-members", partial(_members_file, keyed=False, manifest=manifest), "Okta group members file"),
    ), builder, findings)
    check_manifest(manifest, builder.inputs, findings)
    return with_fetched_at(builder.build(), manifest)


def deprovisioned_listing_in_doubt(idp: IdpDirectory) -> str | None:
    """The Okta users file of an IdP export that may have been listed without its ``DEPROVISIONED`` users (the path
    as read), else ``None``: the export is Okta's (:data:`FORMAT`), no ``fetch-idp`` manifest says ``sigma-migrate
    fetch-idp okta`` read it (it lists every status: :mod:`planner.idp.okta`), and the file holds no
    ``DEPROVISIONED`` user: the plain ``GET /api/v1/users`` leaves them out (docs/formats.md §2a), and then a leaver
    reads as a person with no IdP user at all, whom ``unmatched.action`` decides instead of ``unmatched.idp_inactive``
    (tester14a finding 9). Read by ``check``'s ``okta-users-without-deprovisioned`` warning
    (:func:`deprovisioned_listing_finding`) and the ``idp_users_include_deactivated`` pre-flight check
    (:func:`planner.rules.preflight.idp_users_listing`)."""
    if idp.fetched_at is not None or FORMAT not in idp.format.split("+"):
        return None
    if any(u.status and okta_word(u.status) == "DEPROVISIONED" for u in idp.users):
        return None
    return next((i.path for i in idp.inputs if i.kind == "okta.users" and i.records), None)


def deprovisioned_listing_finding(idp: IdpDirectory) -> Finding | None:
    """``check``'s ``okta-users-without-deprovisioned`` warning at the users file when
    :func:`deprovisioned_listing_in_doubt` (``None`` otherwise)."""
    path = deprovisioned_listing_in_doubt(idp)
    if path is None:
        return None
    return Finding(Severity.WARNING, "okta-users-without-deprovisioned", path, "", "status",
                   f"{Path(path).name} holds no DEPROVISIONED user and no fetch manifest says sigma-migrate fetch-idp "
                   "read it: GET /api/v1/users without a status filter leaves deactivated users out, and a leaver "
                   "would then read as a member with no IdP user (unmatched.action, not unmatched.idp_inactive); "
                   "list them with search=status eq \"DEPROVISIONED\" (or fetch-idp okta), or confirm "
                   "preflight.idp_users_include_deactivated")

