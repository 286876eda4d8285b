"""SCIM 2.0 ListResponse JSON of Users and Groups (RFC 7643, RFC 7644 §3.4.2; formats.md §7).

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
(``extra_forbidden``) and costs ~90 µs per user (10 s at 110k users). The URNs
come from scim2-models; parsing is a lenient dict walk.

Mapping: ``id`` <- ``id``; ``user_name`` <- ``userName``; ``external_id`` <-
``externalId``; ``emails`` <- ``emails[]`` (``primary`` honoured); names <-
``name.givenName`` / ``name.familyName`` / ``displayName``; ``active`` <-
``active`` (JSON bool; the strings ``"True"``/``"False"`` some IdPs send are
coerced, info ``coerced-boolean``; absent = ``None``); ``user_type`` <-
``userType`` when it is ``Member``/``Guest`` (any other value, e.g. an account
type, stays in ``attributes["userType"]``). Group ``members[].type``
(``User``/``Group``) types members; untyped values are resolved by id.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from scim2_models import EnterpriseUser, Group, ListResponse, User

from ..model import IdpDirectory, IdpUser, SourceRef, email_key
from .directory import DirectoryBuilder, make_emails
from .envelopes import records
from .files import Findings, read_json
from .values import InvalidValue, as_id, as_text, parse_bool

FORMAT = "scim"

USER_URN = str(User.__schema__).lower()
GROUP_URN = str(Group.__schema__).lower()
ENTERPRISE_URN = str(EnterpriseUser.__schema__).lower()
LIST_RESPONSE_URN = str(ListResponse.__schema__)

_USER_CORE = frozenset({"schemas", "id", "username", "externalid", "name", "displayname", "emails",
                        "active", "usertype", "meta", ENTERPRISE_URN})


def _lower(obj: Any) -> dict[str, Any]:
    """Keys case-folded (RFC 7643 §2.1); non-dicts give ``{}``."""
    return {k.lower(): v for k, v in obj.items()} if isinstance(obj, dict) else {}


def _kind(res: dict[str, Any]) -> str | None:
    schemas = res.get("schemas")
    if isinstance(schemas, list):
        lowered = {str(s).lower() for s in schemas}
        if USER_URN in lowered:
            return "user"
        if GROUP_URN in lowered:
            return "group"
    resource_type = as_text(_lower(res.get("meta")).get("resourcetype")).lower()
    if resource_type in ("user", "group"):
        return resource_type
    if "username" in res:
        return "user"
    if "members" in res or "displayname" in res:
        return "group"
    return None


def _user(
    rec: dict[str, Any], res: dict[str, Any], ref: SourceRef, findings: Findings, tally: dict[str, int]
) -> IdpUser | None:
    """One SCIM User (``rec`` as written, ``res`` with case-folded keys) -> :class:`IdpUser`."""
    user_id = as_id(res.get("id"))
    if not user_id:
        findings.warning("missing-id", ref.file, ref.location, "id", "SCIM User has no id; skipped")
        return None
    user_name = as_text(res.get("username")).strip()
    name = _lower(res.get("name"))
    candidates = []
    for item in res.get("emails") or ():
        item = _lower(item)
        primary = item.get("primary")
        if not isinstance(primary, bool):
            try:
                primary = bool(parse_bool(primary))
            except InvalidValue:
                primary = False
        candidates.append((item.get("value"), primary, item.get("type")))
    active = res.get("active")
    if active is not None and not isinstance(active, bool):
        try:
            active = parse_bool(active)
            tally["coerced"] += 1
        except InvalidValue as exc:
            findings.warning("invalid-boolean", ref.file, ref.location, "active", f"{exc}; taken as unknown")
            active = None
    attributes: dict[str, Any] = {}
    for key, value in rec.items():
        if value is not None and key.lower() not in _USER_CORE:
            attributes[key] = value
    enterprise = _lower(res.get(ENTERPRISE_URN))
    for key, value in enterprise.items():
        if key == "manager" and isinstance(value, dict):
            value = _lower(value).get("value")
        if value is not None:
            attributes[_ENTERPRISE_NAMES.get(key, key)] = value
    user_type = as_text(res.get("usertype")).strip()
    if user_type:
        attributes["userType"] = user_type
    created = _lower(res.get("meta")).get("created")
    if created:
        attributes["created"] = created
    return IdpUser(
        id=user_id,
        user_name=user_name,
        user_name_key=email_key(user_name),
        emails=make_emails(candidates),
        given_name=name.get("givenname"),
        family_name=name.get("familyname"),
        display_name=res.get("displayname") or name.get("formatted"),
        active=active,
        status=None,
        user_type=user_type if user_type.casefold() in ("member", "guest") else None,
        external_id=as_text(res.get("externalid")) or None,
        attributes=attributes,
        source=ref,
    )


_ENTERPRISE_NAMES = {
    "employeenumber": "employeeNumber", "costcenter": "costCenter", "organization": "organization",
    "division": "division", "department": "department", "manager": "manager",
}


def load(files: dict[str, list[Path]], findings: Findings) -> IdpDirectory:
    """Load SCIM ListResponse files (role ``resources``): all Users first, then Groups."""
    builder = DirectoryBuilder(FORMAT, findings)
    pending_groups: list[tuple[dict[str, Any], SourceRef]] = []
    for path in files.get("resources", ()):
        tf, data = read_json(path, findings)
        if tf is None:
            continue
        file = str(path)
        tally = {"coerced": 0, "unknown": 0}
        count = 0
        for rec, where in records(data, path, findings, page_keys=("Resources",), what="SCIM ListResponse",
                                  case_insensitive=True):
            res = _lower(rec)
            kind = _kind(res)
            ref = SourceRef(file, where)
            if kind == "user":
                user = _user(rec, res, ref, findings, tally)
                if user is not None:
                    count += builder.add_user(user)
            elif kind == "group":
                pending_groups.append((res, ref))
                count += 1
            else:
                tally["unknown"] += 1
                if tally["unknown"] == 1:
                    findings.warning("unknown-resource", file, where, "schemas",
                                     "resource is neither a SCIM User nor a Group; skipped")
        if tally["coerced"]:
            findings.info("coerced-boolean", path, "", "active",
                          f"{tally['coerced']} user(s) have 'active' as a string; read as a boolean")
        builder.inputs.append(tf.input_file("scim.resources", count))

    for res, ref in pending_groups:
        group_id = as_id(res.get("id"))
        if not group_id:
            findings.warning("missing-id", ref.file, ref.location, "id", "SCIM Group has no id; skipped")
            continue
        attributes = {k: v for k, v in res.items()
                      if v is not None and k not in ("schemas", "id", "displayname", "externalid", "members")}
        builder.add_group(group_id, as_text(res.get("displayname")) or group_id, source=ref,
                          external_id=as_text(res.get("externalid")) or None, attributes=attributes)
    for res, ref in pending_groups:
        group_id = as_id(res.get("id"))
        if not group_id:
            continue
        for member in res.get("members") or ():
            member = _lower(member)
            value = as_id(member.get("value"))
            if not value:
                continue
            kind = as_text(member.get("type")).lower()
            builder.add_member(group_id, value, kind if kind in ("user", "group") else None)
    return builder.build()
