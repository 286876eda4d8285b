"""SCIM 2.0 ListResponse JSON of Users and Groups (RFC 7643, RFC 7644 §3.4.2; docs/formats.md §7).

Layout: any number of files, each a ListResponse
``{"schemas": [".../ListResponse"], "totalResults", "Resources": [...]}``, an
array of such pages, or a bare array of resources. ``Users.json`` +
``Groups.json`` is the usual pair; Users and Groups mixed in one file are fine
(dispatch on ``schemas``, then ``meta.resourceType``, then the attributes:
``userName`` -> User, ``members``/``displayName`` -> Group).

Attribute names are case-insensitive (RFC 7643 §2.1): ``Resources`` /
``resources``, ``userName`` / ``USERNAME`` are the same. Unknown extensions are
kept, never an error: the enterprise extension's attributes
(``employeeNumber``, ``department``, ``manager`` (its ``value``), ...) become
attributes by name; any other extension is kept whole under its URN.

Why not ``scim2_models.User.model_validate``: it rejects unknown extensions
(``extra_forbidden``) and costs ~90 µs per user (10 s at 110k users); even
importing scim2-models costs ~0.45 s of a 3 s budget. The usual file (a ListResponse of
Users or of Groups with core attributes only) is decoded by msgspec into typed records (``_Wire*``
below); any other is a lenient dict walk. The schema URNs are the RFC's (checked against
scim2-models in the tests).

Mapping: ``id`` <- ``id``; ``user_name`` <- ``userName``; ``external_id`` <-
``externalId``; ``emails`` <- ``emails[]`` (``primary`` honoured; without any,
``userName`` when it holds an ``@``); names <-
``name.givenName`` / ``name.familyName`` / ``displayName``; ``active`` <-
``active`` (a JSON ``true``/``false``, RFC 7643 §2.3.2; a string or number such as ``"False"``,
``"no"`` or ``0`` is an ``unreadable-status`` error, :func:`~planner.sources.values.json_bool`;
absent = ``None``); ``user_type`` <-
``userType`` when it is ``Member``/``Guest``; ``account_type`` <- any other ``userType`` (the Sigma account
type the IdP sends, docs/sigma-api.md §5.2; also kept in ``attributes["userType"]``: tester10 finding 10). Group ``members[].type``
(``User``/``Group``) types members; untyped values are resolved by id. A Group without a ``members``
attribute (left out of ``GET /Groups``, RFC 7644 §3.4.2.5) has unknown members: ``missing-group-members``
in an IdP export (:func:`load`'s ``members_expected``); ``"members": []`` is a group with no members.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, NamedTuple
from urllib.parse import unquote, urlsplit

import msgspec

from ..model import Email, IdpDirectory, IdpUser, SourceRef
from .directory import DirectoryBuilder, make_emails
from .envelopes import is_page, records
from .files import Findings, guarded, read_json
from .values import (
    MISSING, as_id, as_text, read_id, change_time, date_field, fast_email_key, json_bool, json_type, opt_text, padded_user_type,
    sent_account_type, string_field, unreadable_status,
)

FORMAT = "scim"

# RFC 7643 §8.7.1 / RFC 7644 §3.4.2 schema URNs; equal to scim2_models' ``User.__schema__`` etc.
# (tests/test_sources_scim.py checks), spelled out because importing scim2_models costs ~0.45 s.
USER_URN = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP_URN = "urn:ietf:params:scim:schemas:core:2.0:Group"
ENTERPRISE_URN = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
LIST_RESPONSE_URN = "urn:ietf:params:scim:api:messages:2.0:ListResponse"

# Canonical spellings (RFC 7643 §4.1, §4.2, §4.3, §3.1); other spellings are mapped onto them.
_NAMES = (
    "schemas", "id", "externalId", "meta", "userName", "name", "displayName", "nickName", "profileUrl",
    "title", "userType", "preferredLanguage", "locale", "timezone", "active", "password", "emails",
    "phoneNumbers", "ims", "photos", "addresses", "groups", "entitlements", "roles", "x509Certificates",
    "members", ENTERPRISE_URN,
)
_CANONICAL = {n.lower(): n for n in _NAMES}
_CANONICAL_SET = frozenset(_NAMES)
_USER_CORE = frozenset({"schemas", "id", "userName", "externalId", "name", "displayName", "emails",
                        "active", "userType", "meta", "password", ENTERPRISE_URN})
_META_NAMES = frozenset({"resourceType", "created", "lastModified", "location", "version"})  # RFC 7643 §3.1
_ENTERPRISE_NAMES = {
    "employeenumber": "employeeNumber", "costcenter": "costCenter", "organization": "organization",
    "division": "division", "department": "department", "manager": "manager",
}


# --------------------------------------------------------------------------- the usual file, typed
# A ListResponse of Users only, or of Groups only, every attribute a core one spelled canonically (what
# Sigma's SCIM service, `sigma-migrate fetch` and IdP exports write), is decoded by msgspec straight into
# these records, in C: no dict per user nor per group member, ~0.25 s less CPU at 110k users. Anything
# else (another spelling, an extension, a string where a boolean belongs, a missing ``active``, Users and
# Groups mixed, a bare array) fails to decode and takes the lenient dict walk below, which names the fault;
# for what decodes, both read the same values (tests/test_sources_scim.py compares them).


class _Wire(msgspec.Struct, forbid_unknown_fields=True, gc=False, omit_defaults=True):
    """A SCIM object with only the attributes its subclass names (RFC 7643 §4, §8.7.1); ``omit_defaults`` so
    that encoded again it holds the keys the file had, which the duplicate-key check of
    :func:`~.files.read_json` counts."""


class _WireEmail(_Wire):
    value: str
    type: str | None = None
    primary: bool | None = None
    display: str | None = None


class _WireName(_Wire):
    givenName: str | None = None
    familyName: str | None = None
    formatted: str | None = None
    middleName: str | None = None
    honorificPrefix: str | None = None
    honorificSuffix: str | None = None


class _WireMeta(_Wire):
    resourceType: str | None = None
    created: str | None = None
    lastModified: str | None = None
    location: str | None = None
    version: str | None = None


class _WireUser(_Wire):
    schemas: list[str]
    id: str
    userName: str
    active: bool
    externalId: str | None = None
    name: _WireName | None = None
    displayName: str | None = None
    emails: list[_WireEmail] = []
    userType: str | None = None
    meta: _WireMeta | None = None


class _WireMember(_Wire):
    value: str
    type: str | None = None
    display: str | None = None
    ref: str | None = msgspec.field(default=None, name="$ref")


class _WireGroup(_Wire):
    schemas: list[str]
    id: str
    displayName: str | None = None
    externalId: str | None = None
    members: list[_WireMember] | None | msgspec.UnsetType = msgspec.UNSET  # absent: membership unknown
    meta: dict[str, Any] | None = None


class _WireUsers(_Wire):
    Resources: list[_WireUser]
    schemas: list[str] = []
    totalResults: int | None = None
    startIndex: int | None = None
    itemsPerPage: int | None = None


class _WireGroups(_Wire):
    Resources: list[_WireGroup]
    schemas: list[str] = []
    totalResults: int | None = None
    startIndex: int | None = None
    itemsPerPage: int | None = None


_TYPED = (msgspec.json.Decoder(_WireUsers), msgspec.json.Decoder(_WireGroups))


def _typed_user(res: _WireUser, ref: SourceRef) -> IdpUser | None:
    """:func:`_user` of a typed User: the same :class:`IdpUser`; ``None`` when the record needs a finding
    (an empty ``id``), which only the lenient walk gives."""
    user_id = res.id
    if not user_id:
        return None
    user_name = res.userName  # as the IdP holds it (values.CSV_PADDING): never trimmed
    emails = res.emails
    if len(emails) == 1 and emails[0].value and emails[0].value == emails[0].value.strip() \
            and emails[0].primary is not False:
        item = emails[0]
        key = fast_email_key(item.value)
        made = (Email(item.value, key, True, item.type),)
        user_name_key = key if item.value == user_name else fast_email_key(user_name)
    else:
        candidates = [(e.value, bool(e.primary), e.type) for e in emails]
        if sum(c[1] for c in candidates) > 1:
            return None  # the lenient walk names it (two-primary-emails)
        if not candidates and "@" in user_name:
            candidates.append((user_name, True, "userName"))
        made = make_emails(candidates)
        user_name_key = fast_email_key(user_name)
    attributes: dict[str, Any] = {}
    user_type = (res.userType or "").strip()
    if user_type != (res.userType or ""):
        return None  # white space around userType: the lenient walk names it (padded_user_type)
    if user_type:
        attributes["userType"] = user_type
    created = modified = None
    meta = res.meta
    if meta is not None and (meta.created or meta.lastModified):  # most exports date no user (meta.resourceType)
        if meta.created:
            attributes["created"] = meta.created
        if meta.lastModified:
            attributes["lastModified"] = meta.lastModified  # Sigma's SCIM state: when SCIM last changed the user
        created, modified = change_time(meta.created), change_time(meta.lastModified)
        if (meta.created and created is None) or (meta.lastModified and modified is None):
            return None  # an unreadable date: the lenient walk names it (date_field)
    name = res.name
    return IdpUser(
        id=user_id,
        user_name=user_name,
        user_name_key=user_name_key,
        emails=made,
        given_name=None if name is None else name.givenName,
        family_name=None if name is None else name.familyName,
        display_name=res.displayName or (None if name is None else name.formatted),
        active=res.active,
        user_type=user_type if user_type.casefold() in ("member", "guest") else None,
        account_type=sent_account_type(user_type),
        external_id=res.externalId or None,
        attributes=attributes,
        source=ref,
        last_updated=modified,
        created=created,
        created_field="meta.created",
    )


def _typed_resources(page: _WireUsers | _WireGroups, file: str, builder: DirectoryBuilder,
                     pending_groups: list[tuple[Any, SourceRef]]) -> int | None:
    """The Users of a typed page into ``builder``, or its Groups into ``pending_groups``: how many were
    taken, as :func:`_resources` counts; ``None`` (nothing added) when a record is not one the lenient
    walk reads without a finding."""
    urn = USER_URN if page.__class__ is _WireUsers else GROUP_URN
    if not all(urn in res.schemas for res in page.Resources):
        return None  # dispatched on meta.resourceType or the attributes by the lenient walk
    refs = [SourceRef(file, f"$.Resources[{i}]") for i in range(len(page.Resources))]
    if page.__class__ is _WireGroups:
        pending_groups.extend(zip(page.Resources, refs))
        return len(refs)
    users = [_typed_user(res, ref) for res, ref in zip(page.Resources, refs)]
    if not all(users):  # a user the lenient walk must read (``None in users`` would call IdpUser.__eq__ 110k times)
        return None
    return sum(map(builder.add_user, users))


def _typed_group(res: _WireGroup, ref: SourceRef, builder: DirectoryBuilder) -> str | None:
    """:func:`_group` of a typed Group."""
    group_id = read_id(res.id)
    if not group_id:
        builder.findings.skipped("missing-id", ref.file, ref.location, "id", "SCIM Group has no id; skipped")
        return None
    builder.add_group(group_id, res.displayName or "", source=ref, external_id=res.externalId or None,
                      attributes={} if res.meta is None else {"meta": res.meta})
    return group_id


_PLAIN_MEMBER_KEYS = frozenset({"value", "type", "display"})
"""A Group member's keys when it carries no ``$ref`` (RFC 7643 §4.2): such members take the fast path."""
_REF_KINDS = {"users": "user", "groups": "group"}
"""The resource endpoints of RFC 7644 §3.2 a member's ``$ref`` may name, as member kinds."""


def ref_member(ref: Any) -> tuple[str, str]:
    """``(id, kind)`` of the member a Group member's ``$ref`` names, for a member without ``value``.

    RFC 7643 §4.2: a member's ``value`` is its id and ``$ref`` "the URI corresponding to a SCIM resource that is
    a member of this Group"; a resource's URI is its endpoint's followed by ``/`` and its id (RFC 7644 §3.1,
    §3.2; ``meta.location``, RFC 7643 §3.1), so the id is the URI's last path segment, percent-decoded
    (:func:`~.values.read_id`), and the kind is ``"user"`` / ``"group"`` when the segment before it is ``Users``
    / ``Groups`` (any case), else ``""`` (the ``type`` or the id then decides, as for an untyped ``value``).
    ``("", "")`` when ``ref`` is no string or its path has no segment after an endpoint
    (``"https://idp.example/scim/v2/Users/"``, ``"00u1"`` alone, ``null``): who the member is is not said.

    >>> ref_member("https://idp.example/scim/v2/Users/00uCuQbt5PScKaNQVpDR")
    ('00uCuQbt5PScKaNQVpDR', 'user')
    """
    if ref.__class__ is not str:
        return "", ""
    segments = urlsplit(ref.strip()).path.split("/")
    if len(segments) < 2 or not segments[-1]:
        return "", ""
    return read_id(unquote(segments[-1])), _REF_KINDS.get(segments[-2].casefold(), "")


def ref_conflict(value: str, kind: str | None, ref: Any) -> str:
    """How a Group member's ``$ref`` contradicts its ``value`` (and ``type``): the words after "member", or ``""``
    when it does not (no ``$ref``, one naming no resource, or the same id and kind).

    RFC 7643 §4.2: ``value`` is the member's id and ``$ref`` its URI, so both name one resource; when the
    ``$ref``'s id (:func:`ref_member`) is another, or its endpoint another kind than ``type``, the file does not say
    who the member is (left19: ``value`` silently won). ``kind``: the member's ``type`` as written.

    >>> ref_conflict("00u1", "User", "https://idp.example/scim/v2/Users/00u2")
    "value '00u1' and $ref 'https://idp.example/scim/v2/Users/00u2'"
    """
    if ref is None:
        return ""
    ref_id, ref_kind = ref_member(ref)
    if not ref_id:
        return ""
    if ref_id != value:
        return f"value {value!r} and $ref {ref!r}"
    typed = (kind or "").strip().lower()
    if typed in _REF_KINDS.values() and ref_kind and ref_kind != typed:
        return f"value {value!r} of type {kind} and $ref {ref!r} (a {ref_kind.capitalize()})"
    return ""


def _conflicting_member(conflict: str, index: int, group_id: str, name: Any, ref: SourceRef,
                        builder: DirectoryBuilder) -> None:
    """One ``member-ref-conflict`` error naming file, Group and member (:func:`ref_conflict`): an export that
    contradicts itself about who is a member stops ``check`` and ``plan`` (docs/formats.md, SCIM Groups)."""
    builder.findings.error(
        "member-ref-conflict", ref.file, f"{ref.location}.members[{index}]", "$ref",
        f"SCIM Group {as_text(name)!r} ({group_id}): member {conflict} name different resources (RFC 7643 §4.2: "
        "value is the member's id, $ref its URI): who is a member is unknown; export the Group again")


def _unread_members(lost: list[int], ref: SourceRef, builder: DirectoryBuilder) -> None:
    """One ``missing-id`` warning (:meth:`~.files.Findings.skipped`) for the ``members`` entries of the Group at
    ``ref`` (their indexes ``lost``) that are not objects or have neither a ``value`` nor a ``$ref`` naming a
    resource (:func:`ref_member`): who they are is unknown, so the Group's members are not known whole
    (RFC 7643 §4.2: ``value`` is the member's id, ``$ref`` its URI; tester18 finding 9)."""
    if lost:
        builder.findings.skipped(
            "missing-id", ref.file, f"{ref.location}.members[{lost[0]}]", "value",
            f"{len(lost)} member(s) of this SCIM Group have no value (the member's id) and no $ref whose last "
            "path segment is one (RFC 7643 §4.2); skipped")


def _typed_members(group_id: str, res: _WireGroup, builder: DirectoryBuilder, ref: SourceRef) -> None:
    """:func:`_members` of a typed Group: ``value`` ids by ``type`` (``User``, ``Group``, else resolved by id)."""
    members = res.members or ()
    values = [m.value for m in members]
    types = [m.type for m in members]
    if "" not in values and all(m.ref is None for m in members):  # the usual group: typed members, no $ref
        users = types.count("User")
        if users == len(types):
            builder.add_members(group_id, values, "user")
            return
        if users + types.count("Group") == len(types):
            builder.add_members(group_id, [v for v, t in zip(values, types) if t == "User"], "user")
            builder.add_members(group_id, [v for v, t in zip(values, types) if t == "Group"], "group")
            return
    by_kind: dict[str, list[str]] = {"user": [], "group": [], "": []}
    lost = []
    for i, (value, kind, member) in enumerate(zip(values, types, members)):
        value = read_id(value)
        if not value:  # value "" beside a $ref (RFC 7643 §4.2): the $ref names the member
            value, ref_kind = ref_member(member.ref)
            kind = kind or ref_kind
        elif conflict := ref_conflict(value, kind, member.ref):
            _conflicting_member(conflict, i, group_id, res.displayName, ref, builder)
            continue
        if value:
            kind = (kind or "").lower()
            by_kind[kind if kind in ("user", "group") else ""].append(value)
        else:
            lost.append(i)
    _unread_members(lost, ref, builder)
    builder.add_members(group_id, by_kind["user"], "user")
    builder.add_members(group_id, by_kind["group"], "group")
    builder.add_members(group_id, by_kind[""], None)


def _canonical(rec: dict[str, Any]) -> dict[str, Any]:
    """``rec`` with attribute names in their canonical spelling (RFC 7643 §2.1: names are case-insensitive).

    Records already spelled canonically (the usual case) are returned as they are.
    """
    if rec.keys() <= _CANONICAL_SET:
        return rec
    return {_CANONICAL.get(k.lower(), k) if isinstance(k, str) else k: v for k, v in rec.items()}


def _get(obj: Any, key: str) -> Any:
    """``obj[key]`` for a sub-attribute, matching the name case-insensitively; ``None`` when absent."""
    if not isinstance(obj, dict):
        return None
    if key in obj:
        return obj[key]
    low = key.lower()
    for k, v in obj.items():
        if isinstance(k, str) and k.lower() == low:
            return v
    return None


def _kind(res: dict[str, Any]) -> str | None:
    schemas = res.get("schemas")
    if isinstance(schemas, list):
        if USER_URN in schemas:
            return "user"
        if GROUP_URN in schemas:
            return "group"
        lowered = {str(s).lower() for s in schemas}
        if USER_URN.lower() in lowered:
            return "user"
        if GROUP_URN.lower() in lowered:
            return "group"
    resource_type = as_text(_get(res.get("meta"), "resourceType")).lower()
    if resource_type in ("user", "group"):
        return resource_type
    if "userName" in res:
        return "user"
    if "members" in res or "displayName" in res:
        return "group"
    return None


def two_primary_emails(candidates: list[tuple[Any, bool, str | None]], ref: SourceRef, findings: Findings) -> None:
    """Warning ``two-primary-emails``: more than one of a User's ``emails`` is ``primary: true``, which
    RFC 7643 §2.4 forbids; the first is taken (:func:`planner.sources.directory.make_emails`, docs/formats.md §7)."""
    marked = [str(value) for value, primary, _ in candidates if primary]
    findings.warning("two-primary-emails", ref.file, ref.location, "emails",
                     f"{len(marked)} emails are marked primary ({', '.join(marked)}); RFC 7643 §2.4 allows one: the "
                     f"first, {marked[0]}, is taken as primary and the others as other addresses")


def _user(res: dict[str, Any], ref: SourceRef, findings: Findings) -> IdpUser | None:
    """One SCIM User (attribute names canonical, see :func:`_canonical`) -> :class:`IdpUser`: its id (none:
    ``missing-id``, skipped), ``userName``, :func:`_user_emails`, :func:`_user_active`,
    :func:`_user_attributes`, names and ``externalId``."""
    get = res.get
    user_id = get("id")
    if user_id.__class__ is not str:
        user_id = as_id(user_id)
    if not user_id:
        findings.skipped("missing-id", ref.file, ref.location, "id", "SCIM User has no id; skipped")
        return None
    user_name = get("userName")
    if user_name.__class__ is not str:  # as the IdP holds it (string_field): never trimmed
        user_name = string_field(user_name, "userName", ref, findings)
    emails, user_name_key = _user_emails(get("emails"), user_name, ref, findings)
    active = _user_active(res, ref, findings)
    written = get("userType")
    written = "" if written is None else (written if written.__class__ is str else str(written))
    user_type = written.strip()
    padded_user_type(findings, ref.file, ref.location, written)
    name = get("name")
    if name.__class__ is not dict:
        name = {}
    given, family, display = name.get("givenName"), name.get("familyName"), get("displayName")
    external_id = get("externalId")
    attributes, modified = _user_attributes(res, user_type)
    created = date_field(attributes.get("created"), "meta.created", ref, findings)
    return IdpUser(
        id=user_id,
        user_name=user_name,
        user_name_key=user_name_key,
        emails=emails,
        # a non-empty string as it is (the usual case); anything else as opt_text makes it
        given_name=given if given and given.__class__ is str else opt_text(given or _get(name, "givenName")),
        family_name=family if family and family.__class__ is str else opt_text(family or _get(name, "familyName")),
        display_name=display if display and display.__class__ is str else opt_text(display or _get(name, "formatted")),
        active=active,
        user_type=user_type if user_type.casefold() in ("member", "guest") else None,
        account_type=sent_account_type(written),
        external_id=external_id if external_id and external_id.__class__ is str else opt_text(external_id) or None,
        attributes=attributes,
        source=ref,
        last_updated=date_field(modified, "meta.lastModified", ref, findings).value,
        created=created.value,
        created_unreadable=created.unreadable,
        created_field="meta.created",
    )


def _user_emails(emails: Any, user_name: str, ref: SourceRef, findings: Findings) -> tuple[tuple[Email, ...], str]:
    """``(emails, userName key)`` of a SCIM User whose ``emails`` value is ``emails`` (RFC 7643 §4.1.2):
    the usual single clean work address built directly; else every object item, ``primary`` a JSON
    literal (:func:`json_bool`), two primaries one finding (:func:`two_primary_emails`), none at all the
    ``userName`` when it is an address (Sigma's ``userName`` is the email, docs/sigma-api.md §8.5), by
    :func:`make_emails`. A value that is no array, or an item that is no object, is left out through
    :meth:`Findings.skipped` (``unreadable-value``, ``invalid-record``)."""
    if emails.__class__ is list and len(emails) == 1:  # the usual single work email, built directly
        item = emails[0]
        value = item.get("value") if item.__class__ is dict else None
        primary = _get(item, "primary")
        if value.__class__ is str and value == value.strip() and value and (primary is None or primary is True):
            key = fast_email_key(value)
            kind = item.get("type")
            email = Email(value, key, True, kind if kind is None or kind.__class__ is str else opt_text(kind))
            return (email,), key if value == user_name else fast_email_key(user_name)
    if emails is not None and emails.__class__ is not list:  # the addresses are not read
        findings.skipped("unreadable-value", ref.file, ref.location, "emails",
                         f"emails is {json_type(emails)}, not an array (RFC 7643 §4.1.2); left out")
    candidates = []
    for i, item in enumerate(emails if emails.__class__ is list else ()):
        if not isinstance(item, dict):
            findings.skipped("invalid-record", ref.file, ref.location, f"emails[{i}]",
                             f"emails[{i}] is {json_type(item)}, not an object (RFC 7643 §4.1.2); left out")
            continue
        primary = item["primary"] if "primary" in item else _get(item, "primary")
        if primary is not True and primary is not False:  # RFC 7643 §2.3.2: a JSON literal, never "true" or 1
            primary = bool(json_bool(primary, f"emails[{i}].primary", ref, findings, "which email is primary"))
        value = item["value"] if "value" in item else _get(item, "value")
        candidates.append((value, primary, opt_text(item["type"] if "type" in item else _get(item, "type"))))
    if sum(c[1] for c in candidates) > 1:
        two_primary_emails(candidates, ref, findings)
    if not candidates and "@" in user_name:
        candidates.append((user_name, True, "userName"))  # Sigma's userName is the email (docs/sigma-api.md §8.5)
    return make_emails(candidates), fast_email_key(user_name)


def _user_active(res: dict[str, Any], ref: SourceRef, findings: Findings) -> bool | None:
    """A SCIM User's ``active``: ``True``/``False``; absent or null, ``None`` with an ``unreadable-status``
    finding (RFC 7643 §4.1.1 leaves its meaning to the provider: absent says nothing); any other value
    as :func:`json_bool` reads it (RFC 7643 §2.3.2: a JSON literal, never ``"no"`` or 0)."""
    active = res.get("active")
    if active is None:
        unreadable_status(findings, ref.file, ref.location, "active",
                          MISSING if "active" not in res else None, "true or false")
    elif active is not True and active is not False:
        active = json_bool(active, "active", ref, findings)
    return active




def _user_attributes(res: dict[str, Any], user_type: str) -> tuple[dict[str, Any], Any]:
    """``(attributes, meta.lastModified)`` of a SCIM User: the :attr:`IdpUser.attributes`, every attribute
    but the core ones (:data:`_USER_CORE`), the enterprise extension's by their short names, ``userType``
    (``user_type``, trimmed) when set, and ``meta.created`` / ``meta.lastModified``; and the latter as
    written (Sigma's SCIM state: when SCIM last changed the user, :attr:`IdpUser.last_updated`)."""
    get = res.get
    attributes = {} if res.keys() <= _USER_CORE else {
        k: v for k, v in res.items() if v is not None and k not in _USER_CORE}
    enterprise = get(ENTERPRISE_URN)
    if enterprise.__class__ is dict:
        for key, value in enterprise.items():
            if isinstance(value, dict):
                value = _get(value, "value")
            if value is not None:
                attributes[_ENTERPRISE_NAMES.get(str(key).lower(), key)] = value
    if user_type:
        attributes["userType"] = user_type
    meta = get("meta")
    created = modified = None
    if meta.__class__ is dict:
        created = meta.get("created") if "created" in meta or meta.keys() <= _META_NAMES else _get(meta, "created")
        modified = meta.get("lastModified") if "lastModified" in meta else _get(meta, "lastModified")
    if created:
        attributes["created"] = created
    if modified:
        attributes["lastModified"] = modified
    return attributes, modified


class SavedPage(NamedTuple):
    """One saved ListResponse page (RFC 7644 §3.4.2): its ``totalResults`` (0 when absent), how many
    ``Resources`` it holds, its 1-based ``startIndex`` (``None`` when absent) and where it is."""

    total: int
    held: int
    start: int | None
    ref: SourceRef


Listings = dict[str, list[SavedPage]]
"""Saved ListResponse pages by listing (the kinds of resource they hold, ``"group"``, ``"user"``,
``"group+user"``)."""


def _whole_number(page: Any, key: str, ref: SourceRef, findings: Findings) -> int | None:
    """``page[key]`` (``totalResults`` / ``startIndex``) when it is an integer (RFC 7644 §3.4.2), ``None``
    when absent or null; anything else (``"166"``) is an ``unexpected-json-shape`` error naming file, page
    and field, and ``None``: a count read from text would be a guess."""
    value = _get(page, key)
    if value is None or value.__class__ is int:
        return value
    findings.error("unexpected-json-shape", ref.file, ref.location, key,
                   f"SCIM ListResponse: {key} must be an integer (RFC 7644 §3.4.2), found "
                   f"{json_type(value)} {value!r}")
    return None


def _pages(data: Any, path: Path, listings: Listings, findings: Findings) -> None:
    """Add the ListResponse pages of one file's ``data`` (a page, typed or not, an array of pages, or a bare
    array of resources, which claims no total) to ``listings``."""
    if data.__class__ in (_WireUsers, _WireGroups):
        kinds = "user" if data.__class__ is _WireUsers else "group"
        listings.setdefault(kinds, []).append(SavedPage(
            data.totalResults or 0, len(data.Resources), data.startIndex, SourceRef(str(path), "$")))
        return
    if isinstance(data, list) and not any(is_page(p, ("Resources",), True) for p in data[:1]):
        pages = [("$", {"Resources": data})]
    else:
        pages = [("$", data)] if isinstance(data, dict) else [
            (f"$[{p}]", page) for p, page in enumerate(data) if isinstance(page, dict)] if isinstance(data, list) else []
    for where, page in pages:
        resources = _get(page, "Resources")
        if not isinstance(resources, list):
            continue
        ref = SourceRef(str(path), where)
        total = _whole_number(page, "totalResults", ref, findings)
        start = _whole_number(page, "startIndex", ref, findings)
        ends = [r for r in (resources[:1] + resources[-1:]) if isinstance(r, dict)]
        kinds = "+".join(sorted({_kind(_canonical(r)) or "other" for r in ends})) or "empty"
        listings.setdefault(kinds, []).append(SavedPage(total or 0, len(resources), start, ref))


_WHAT = {"user": "Users", "group": "Groups"}


def _report_short_listings(listings: Listings, findings: Findings) -> None:
    """An ``incomplete-pages`` warning for each listing whose ``totalResults`` (RFC 7644 §3.4.2: the
    number of results the query matched) exceeds the resources its saved pages hold, summed over pages
    and files: the other pages were not saved; else one for a gap in its pages' ``startIndex``
    (:func:`_start_gap`), which tells a page missing in the middle also when ``totalResults`` is per page
    or absent."""
    for kinds, pages in listings.items():
        claimed, ref = max(((p.total, p.ref) for p in pages), key=lambda p: p[0])
        held = sum(p.held for p in pages)
        what = _WHAT.get(kinds, "resources")
        if claimed > held:
            findings.warning(
                "incomplete-pages", ref.file, ref.location, "totalResults",
                f"SCIM ListResponse of {what}: totalResults is {claimed} but the saved page(s) hold {held} "
                "Resources: the other pages (startIndex/count, RFC 7644 §3.4.2.4) are missing; export every page",
            )
            continue
        gap = _start_gap(pages)
        if gap is not None:
            page, expected = gap
            missing = f"{expected}-{page.start - 1}" if page.start - 1 > expected else f"{expected}"
            findings.warning(
                "incomplete-pages", page.ref.file, page.ref.location, "startIndex",
                f"SCIM ListResponse of {what}: "
                + (f"the first saved page starts at startIndex {page.start}, not 1" if expected == 1 else
                   f"this page starts at startIndex {page.start} but the saved pages before it end at {expected - 1}")
                + f": resources {missing} (RFC 7644 §3.4.2.4) are missing; export every page",
            )


def _start_gap(pages: list[SavedPage]) -> tuple[SavedPage, int] | None:
    """The first page of a listing that starts after the saved pages before it end, with the ``startIndex``
    it should have: pages in ``startIndex`` order must follow on (RFC 7644 §3.4.2.4: a page of ``n``
    Resources at ``startIndex`` ``s`` is followed by ``s + n``), the first at 1 (0 taken as 1: a 0-based
    server). Pages without a ``startIndex`` are left out; overlaps (a page saved twice) are no gap."""
    known = sorted((p for p in pages if p.start is not None), key=lambda p: p.start)
    expected = 1
    for page in known:
        if page.start > max(expected, 1):
            return page, expected
        expected = max(expected, page.start + page.held)
    return None


def _resources(path: Path, builder: DirectoryBuilder, findings: Findings,
               pending_groups: list[tuple[dict[str, Any], SourceRef]], listings: Listings) -> None:
    """Users of one ListResponse file into ``builder``; its Groups into ``pending_groups``; its pages
    into ``listings``."""
    tf, data = read_json(path, findings, _TYPED)
    if tf is None:
        return
    _pages(data, path, listings, findings)
    file = str(path)
    if data.__class__ in (_WireUsers, _WireGroups):
        count = _typed_resources(data, file, builder, pending_groups)
        if count is not None:
            builder.inputs.append(tf.input_file("scim.resources", count))
            return
        tf, data = read_json(path, findings)  # a record the lenient walk names: read the file as dicts
    tally = {"unknown": 0}
    count = 0
    for rec, where in records(data, path, findings, page_keys=("Resources",), what="SCIM ListResponse",
                              case_insensitive=True):
        res = _canonical(rec)
        kind = _kind(res)
        ref = SourceRef(file, where)
        if kind == "user":
            user = _user(res, ref, findings)
            if user is not None:
                count += builder.add_user(user)
        elif kind == "group":
            pending_groups.append((res, ref))
            count += 1
        else:
            tally["unknown"] += 1
            if tally["unknown"] == 1:
                findings.skipped("unknown-resource", file, where, "schemas",
                                 "resource is neither a SCIM User nor a Group; skipped")
    builder.inputs.append(tf.input_file("scim.resources", count))


def _group(res: dict[str, Any], ref: SourceRef, builder: DirectoryBuilder, findings: Findings) -> str | None:
    group_id = as_id(res.get("id"))
    if not group_id:
        findings.skipped("missing-id", ref.file, ref.location, "id", "SCIM Group has no id; skipped")
        return None
    attributes = {k: v for k, v in res.items()
                  if v is not None and k not in ("schemas", "id", "displayName", "externalId", "members")}
    builder.add_group(group_id, as_text(res.get("displayName")), source=ref,
                      external_id=opt_text(res.get("externalId")) or None, attributes=attributes)
    return group_id


def _members(group_id: str, res: dict[str, Any], builder: DirectoryBuilder, ref: SourceRef) -> None:
    members = res.get("members") or ()
    if not isinstance(members, list):
        members = ()
    try:  # the usual shape, checked at C speed: every member {"value": non-empty str, "type": "User"|"Group"}
        values = [m["value"] for m in members]
        types = [m["type"] for m in members]
    except (KeyError, TypeError):
        values = types = None
    if (values is not None and set(map(type, values)) <= {str} and "" not in values
            and all(m.keys() <= _PLAIN_MEMBER_KEYS for m in members)):  # no $ref to compare
        users = types.count("User")
        if users == len(types):
            builder.add_members(group_id, values, "user")
            return
        if users + types.count("Group") == len(types):
            builder.add_members(group_id, [v for v, t in zip(values, types) if t == "User"], "user")
            builder.add_members(group_id, [v for v, t in zip(values, types) if t == "Group"], "group")
            return
    users: list[str] = []
    groups: list[str] = []
    untyped: list[str] = []
    lost = []
    for i, member in enumerate(members):
        if not isinstance(member, dict):
            lost.append(i)
            continue
        value = as_id(member["value"] if "value" in member else _get(member, "value"))
        kind = as_text(member["type"] if "type" in member else _get(member, "type")).lower()
        member_ref = member["$ref"] if "$ref" in member else _get(member, "$ref")
        if not value:  # only a $ref (RFC 7643 §4.2: the member's URI): its last segment is the id
            value, ref_kind = ref_member(member_ref)
            kind = kind or ref_kind
        elif conflict := ref_conflict(value, kind, member_ref):
            _conflicting_member(conflict, i, group_id, res.get("displayName"), ref, builder)
            continue
        if not value:
            lost.append(i)
            continue
        (users if kind == "user" else groups if kind == "group" else untyped).append(value)
    builder.add_members(group_id, users, "user")
    builder.add_members(group_id, groups, "group")
    builder.add_members(group_id, untyped, None)
    _unread_members(lost, ref, builder)


def _report_groups_without_members(pending: list[tuple[Any, SourceRef]], ids: list[str | None],
                                   findings: Findings) -> None:
    """One ``missing-group-members`` warning (an incomplete-input code) per file naming its Groups that have no
    ``members`` attribute at all: many servers leave it out of ``GET /Groups`` (RFC 7644 §3.4.2.5
    ``excludedAttributes``), so their membership is unknown, not empty (issue 10 finding 4)."""
    missing: dict[str, list[str]] = {}
    for (res, ref), group_id in zip(pending, ids):
        if group_id is not None and not _lists_members(res):
            missing.setdefault(ref.file, []).append(repr(as_text(_get_name(res)) or group_id))
    for file, names in missing.items():
        findings.warning(
            "missing-group-members", file, "", "members",
            f"{len(names)} SCIM Group(s) have no members attribute ({', '.join(names[:5])}"
            f"{', ...' if len(names) > 5 else ''}): their members are unknown, not none; export the Groups with "
            "their members (an empty group has \"members\": [])",
        )


def _lists_members(res: Any) -> bool:
    """Whether SCIM Group ``res`` (typed or lenient) carries a ``members`` attribute (``[]`` too)."""
    return res.members is not msgspec.UNSET if res.__class__ is _WireGroup else "members" in res


def _get_name(res: Any) -> Any:
    return res.displayName if res.__class__ is _WireGroup else res.get("displayName")


def load(files: dict[str, list[Path]], findings: Findings, *, members_expected: bool = True) -> IdpDirectory:
    """Load SCIM ListResponse files (role ``resources``): all Users first, then Groups.

    :param members_expected: the Groups were listed with their ``members`` (an IdP export, the default):
        a Group without the attribute is a ``missing-group-members`` warning, an incomplete-input code
        (:func:`_report_groups_without_members`). ``False`` for Sigma's own SCIM state
        (:func:`planner.sources.sigma._scim_state`), whose ``GET /Groups`` may leave ``members`` out; there
        such a Group reads as having no members.
    """
    builder = DirectoryBuilder(FORMAT, findings)
    pending_groups: list[tuple[dict[str, Any], SourceRef]] = []
    listings: Listings = {}
    for path in files.get("resources", ()):
        with guarded(path, findings, "SCIM ListResponse"):
            _resources(path, builder, findings, pending_groups, listings)
    _report_short_listings(listings, findings)
    paths = {str(path): path for path in files.get("resources", ())}
    ids: list[str | None] = []
    for res, ref in pending_groups:
        group_id = None
        with guarded(paths[ref.file], findings, f"SCIM Group at {ref.location}"):
            typed = res.__class__ is _WireGroup
            group_id = _typed_group(res, ref, builder) if typed else _group(res, ref, builder, findings)
        ids.append(group_id)
    if members_expected:
        _report_groups_without_members(pending_groups, ids, findings)
    for (res, ref), group_id in zip(pending_groups, ids):
        if group_id is not None:
            with guarded(paths[ref.file], findings, f"SCIM Group at {ref.location}"):
                (_typed_members if res.__class__ is _WireGroup else _members)(group_id, res, builder, ref)
            if members_expected and _lists_members(res):  # an IdP export's answer: compared with the others'
                builder.answered_at(group_id, ref)
    return builder.build()
