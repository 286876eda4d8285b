"""IdP export format detection, from file *content* (the one place that decides).

:func:`classify` looks at the first 64 KiB of one file and says which format
and which role it has; :func:`scan` walks the ``--idp`` paths (files or
directories, two levels deep) and picks one format for the whole set.

Formats (``IDP_FORMATS``) and the roles their files play:

=============  ==================================================================================
``okta-api``   ``users`` (``GET /api/v1/users`` answers: objects with ``profile.login``),
               ``groups`` (``profile.name`` + ``type`` ``OKTA_GROUP``/``APP_GROUP``/``BUILT_IN``),
               ``members-map`` (``{groupId: [User, ...]}``, formats.md §2a-2c)
``entra-csv``  ``users`` ("Download users": a ``userPrincipalName`` column), ``group-members``
               ("Download members": ``Member type`` column; the group is the file name),
               ``groups`` ("Download groups": ``Group type`` / ``Membership type``) (§3a-3c)
``entra-graph`` ``users`` / ``groups`` (``@odata.context`` ``#users`` / ``#groups``, or their
               properties), ``group-members`` (a ``/members`` or ``/transitiveMembers`` answer,
               the group is the file name), ``members-map`` (``{groupId: <answer>}``) (§3d-3e)
``google-csv`` ``users`` (admin console download: ``Email Address [Required]``; GAM's
               ``primaryEmail`` column) (§4a)
``google-api`` ``users`` / ``groups`` / ``group-members`` / ``members-map`` (``admin#directory#...``
               kinds, ``primaryEmail``) (§4b-4c)
``scim``       ``resources``: RFC 7644 ListResponse (or array) of Users and/or Groups (§7)
``generic-csv`` ``mapping`` (a YAML with a ``columns:`` map, see :mod:`.generic_csv`) and ``csv``
               (the CSV files it maps)
=============  ==================================================================================

Files of a Sigma export (``memberId`` / ``teamId`` / ``accountTypeName``) are
recognized as ``sigma`` so that a wrong ``--idp`` path gets a clear error.
``--idp-format`` overrides the format; roles then come from content where it
agrees and from file names otherwise (``*user*`` -> users, ``*group*member*`` /
``*members*`` -> members, ``*group*`` -> groups).
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

import yaml

from .files import Findings, head_text
from .tabular import find_header, header_key, sniff_delimiter

IDP_FORMATS = ("okta-api", "entra-csv", "entra-graph", "google-csv", "google-api", "scim", "generic-csv")
"""Every value ``--idp-format`` accepts."""

TEXT_SUFFIXES = {".json", ".csv", ".tsv", ".txt", ".yaml", ".yml"}
_FIRST_KEY = re.compile(r'^\{\s*"((?:[^"\\]|\\.)*)"\s*:')
_ENVELOPE_KEYS = {
    "@odata.context", "@odata.nextlink", "value", "kind", "etag", "users", "groups", "members",
    "nextpagetoken", "entries", "nextpage", "resources", "schemas", "totalresults", "startindex",
    "itemsperpage",
}


@dataclass(frozen=True)
class FileKind:
    """What one file is: ``format`` (an IdP format, ``"sigma"`` or ``None``), ``role``, and why."""

    format: str | None
    role: str | None
    reason: str = ""


@dataclass
class Layout:
    """The result of :func:`scan`: the chosen ``format`` and its files by role.

    ``format`` is ``None`` when nothing usable was found (the findings say why).
    ``files`` maps role -> paths in a stable (sorted) order.
    """

    format: str | None
    files: dict[str, list[Path]] = field(default_factory=dict)


def _keyed_object(head: str) -> bool:
    """True when the JSON text is an object whose first key is not an API envelope key (a keyed map)."""
    match = _FIRST_KEY.match(head.lstrip())
    return bool(match) and match.group(1).casefold() not in _ENVELOPE_KEYS


def classify_json(head: str) -> FileKind:
    """Classify a JSON file from its first characters."""
    low = head.casefold()
    keyed = _keyed_object(head)
    if "urn:ietf:params:scim" in low or '"resources"' in low and '"totalresults"' in low:
        return FileKind("scim", "resources", "SCIM schemas URN")
    if '"@odata.' in low or "graph.microsoft.com" in low:
        if keyed:
            return FileKind("entra-graph", "members-map", "object keyed by group id holding Graph answers")
        if "$metadata#users" in low:
            return FileKind("entra-graph", "users", "@odata.context #users")
        if "$metadata#groups" in low:
            return FileKind("entra-graph", "groups", "@odata.context #groups")
        if "#microsoft.graph.group" in low and '"securityenabled"' in low:
            return FileKind("entra-graph", "groups", "Graph group objects")
        if '"@odata.type"' in low or "$metadata#directoryobjects" in low:
            return FileKind("entra-graph", "group-members", "Graph directoryObjects answer")
        if '"userprincipalname"' in low:
            return FileKind("entra-graph", "users", "Graph user objects")
        return FileKind("entra-graph", None, "Graph answer of unknown kind")
    if '"userprincipalname"' in low and not keyed:
        return FileKind("entra-graph", "users", "userPrincipalName properties")
    if ('"securityenabled"' in low or '"grouptypes"' in low) and not keyed:
        return FileKind("entra-graph", "groups", "Graph group properties")
    if "admin#directory#" in low or '"primaryemail"' in low:
        if "admin#directory#member" in low:
            role = "members-map" if keyed else "group-members"
            return FileKind("google-api", role, "admin#directory#member(s)")
        if "admin#directory#user" in low or '"primaryemail"' in low:
            return FileKind("google-api", "users", "admin#directory#user(s)")
        if "admin#directory#group" in low:
            return FileKind("google-api", "groups", "admin#directory#group(s)")
        return FileKind("google-api", None, "Directory API answer of unknown kind")
    if '"profile"' in low:
        if '"login"' in low:
            role = "members-map" if keyed else "users"
            return FileKind("okta-api", role, "Okta users (profile.login)")
        if any(m in low for m in ('"okta_group"', '"app_group"', '"built_in"', "okta:user_group",
                                  '"lastmembershipupdated"')):
            return FileKind("okta-api", "groups", "Okta groups (profile.name, type)")
    if '"memberid"' in low or '"accounttypename"' in low or ('"teamid"' in low) or (
        '"userid"' in low and '"isteamadmin"' in low
    ):
        return FileKind("sigma", None, "Sigma REST answer (memberId/teamId)")
    return FileKind(None, None, "JSON of unknown kind")


def csv_header_keys(head: str) -> list[str]:
    """Normalized header names of a CSV head (preamble skipped, delimiter sniffed)."""
    pre = find_header(head)
    rest = head[pre.offset:]
    line = rest.split("\n", 1)[0].rstrip("\r")
    if not line:
        return []
    delimiter = pre.sep or sniff_delimiter(line)
    try:
        return [header_key(h) for h in next(csv.reader([line], delimiter=delimiter))]
    except (csv.Error, StopIteration):
        return []


def classify_csv(head: str) -> FileKind:
    """Classify a CSV file from its header line."""
    keys = set(csv_header_keys(head))
    if not keys:
        return FileKind(None, None, "no header")
    if {"member type", "membertype"} & keys and {"object id", "objectid", "id"} & keys:
        return FileKind("entra-csv", "group-members", "Entra 'Download members' columns")
    if {"group type", "grouptype", "membership type", "membershiptype"} & keys and (
        {"object id", "objectid", "id"} & keys
    ):
        return FileKind("entra-csv", "groups", "Entra 'Download groups' columns")
    if {"userprincipalname", "user principal name"} & keys:
        return FileKind("entra-csv", "users", "userPrincipalName column")
    if {"email address [required]", "primaryemail", "first name [required]"} & keys or (
        "email address" in keys and ({"org unit path", "org unit path [required]", "status [read only]"} & keys)
    ):
        return FileKind("google-csv", "users", "Google Workspace user download columns")
    if "memberid" in keys or ("userid" in keys and "teamid" in keys) or "accounttypename" in keys:
        return FileKind("sigma", None, "Sigma CSV columns (memberId)")
    return FileKind(None, "csv", "CSV of unknown kind")


def classify_yaml(path: Path) -> FileKind:
    """A generic-CSV mapping file is a YAML mapping with a ``columns:`` map."""
    try:
        with path.open("rb") as fh:
            data = yaml.safe_load(fh.read(1 << 20))
    except (OSError, yaml.YAMLError, UnicodeDecodeError):
        return FileKind(None, None, "unreadable YAML")
    if isinstance(data, dict) and isinstance(data.get("columns"), dict):
        return FileKind("generic-csv", "mapping", "YAML with a columns: map")
    return FileKind(None, None, "YAML without a columns: map")


def classify(path: Path) -> FileKind:
    """Classify one file by content (JSON / CSV / YAML), falling back to its suffix for the syntax."""
    suffix = path.suffix.lower()
    if suffix in (".yaml", ".yml"):
        return classify_yaml(path)
    head = head_text(path)
    first = head.lstrip()[:1]
    if first in ("{", "["):
        return classify_json(head)
    if suffix == ".json":
        return FileKind(None, None, "not JSON")
    return classify_csv(head)


def _role_by_name(path: Path, fmt: str) -> str | None:
    """Role of a file from its name, used when ``--idp-format`` overrides content detection."""
    name = path.stem.casefold()
    parent = path.parent.name.casefold()
    if fmt == "generic-csv":
        return "mapping" if path.suffix.lower() in (".yaml", ".yml") else "csv"
    if fmt == "scim":
        return "resources"
    if "member" in parent or "member" in name:
        if fmt in ("entra-csv",):
            return "group-members"
        return "members-map" if "member" in name and "group" in name else "group-members"
    if "group" in name:
        return "groups"
    if "user" in name:
        return "users"
    return None


def _walk(path: Path, depth: int = 2) -> list[Path]:
    out: list[Path] = []
    for child in sorted(path.iterdir()):
        if child.name.startswith("."):
            continue
        if child.is_dir():
            if depth > 1:
                out.extend(_walk(child, depth - 1))
        elif child.suffix.lower() in TEXT_SUFFIXES:
            out.append(child)
    return out


def scan(paths: Sequence[Path], findings: Findings, format: str | None = None) -> Layout:
    """Classify every file under ``paths`` and choose the IdP format.

    Errors (``Layout.format is None``): ``not-found``, ``no-idp-files``,
    ``not-an-idp-export`` (the path holds a Sigma export), ``unknown-format``
    (nothing recognized; use ``--idp-format`` or a mapping), ``ambiguous-format``
    (files of several IdP formats; pass one folder or ``--idp-format``).
    Info ``ignored-file`` for files that do not belong to the chosen format.
    """
    files: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if not path.exists():
            findings.error("not-found", path, "", "", "IdP export path does not exist")
        elif path.is_dir():
            found = _walk(path)
            if not found:
                findings.error("no-idp-files", path, "", "", "directory holds no .json/.csv/.yaml files")
            files.extend(found)
        else:
            files.append(path)
    if not files:
        return Layout(None)
    files = list(dict.fromkeys(files))
    kinds = {p: classify(p) for p in files}

    overridden = format is not None
    if format is None:
        formats = sorted({k.format for k in kinds.values() if k.format not in (None, "sigma")})
        if "generic-csv" in formats:
            formats = ["generic-csv"]
        if not formats:
            if any(k.format == "sigma" for k in kinds.values()):
                first = next(p for p, k in kinds.items() if k.format == "sigma")
                findings.error("not-an-idp-export", first, "", "",
                               "this is a Sigma export (memberId/teamId); pass it with --sigma, not --idp")
            else:
                for p in files:
                    findings.error(
                        "unknown-format", p, "", "",
                        f"cannot tell which IdP export this is ({kinds[p].reason}); pass --idp-format "
                        "or a generic-csv mapping YAML",
                    )
            return Layout(None)
        if len(formats) > 1:
            by_format = {f: [p.name for p, k in kinds.items() if k.format == f] for f in formats}
            detail = "; ".join(f"{f}: {', '.join(names[:3])}" for f, names in by_format.items())
            findings.error("ambiguous-format", Path(paths[0]), "", "",
                           f"files of several IdP formats ({detail}); pass one export or --idp-format")
            return Layout(None)
        format = formats[0]

    layout = Layout(format)
    for p in files:
        kind = kinds[p]
        if kind.format == format and kind.role:
            role = kind.role
            if role == "users" and format == "okta-api" and (
                "member" in p.stem.casefold() or "member" in p.parent.name.casefold()
            ):
                role = "group-members"  # GET /api/v1/groups/{id}/users saved per group
        elif kind.format == "sigma":
            role = None
        elif format == "generic-csv":
            role = "csv" if p.suffix.lower() not in (".json", ".yaml", ".yml") else None
        elif overridden:
            role = _role_by_name(p, format)  # the user named the format: trust the file name
        else:
            role = None
        if role is None:
            findings.info("ignored-file", p, "", "",
                          f"not part of the {format} export ({kind.reason}); ignored")
            continue
        layout.files.setdefault(role, []).append(p)
    if not layout.files:
        findings.error("no-idp-files", Path(paths[0]), "", "", f"no {format} files found")
        layout.format = None
    return layout
