"""IdP export format detection, from file *content* (the one place that decides).

:func:`classify` looks at the first 64 KiB of one file and says which format
and which role it has; :func:`scan` walks the ``--idp`` paths (files or
directories, two levels deep) and picks one format for the whole set.

Formats (``IDP_FORMATS``) and the roles their files play:

=============  ==================================================================================
``okta-api``   ``users`` (``GET /api/v1/users`` answers: objects with ``profile.login``),
               ``groups`` (``profile.name`` + ``type`` ``OKTA_GROUP``/``APP_GROUP``/``BUILT_IN``),
               ``members-map`` (``{groupId: [User, ...]}``, docs/formats.md §2a-2c)
``entra-csv``  ``users`` ("Download users": a ``userPrincipalName`` column), ``group-members``
               ("Download members": ``Member type`` column; the group is the file name),
               ``groups`` ("Download groups": ``Group type`` / ``Membership type``) (§3a-3c)
``entra-graph`` ``users`` / ``groups`` (``@odata.context`` ``#users`` / ``#groups``, or their
               properties; user objects under ``#groups`` are ``users``, whose loader refuses the context;
               a ``#directory/deletedItems`` answer is ``users``, deleted ones), ``group-members`` (a
               ``/members`` or ``/transitiveMembers`` answer, ``#directoryObjects``, the group is the file
               name; such an answer in a file named as the users file is ``users``: a cast or ``getByIds``
               answer), ``members-map`` (``{groupId: <answer>}``) (§3d-3e)
``google-csv`` ``users`` (admin console download: ``Email Address [Required]``; GAM's
               ``primaryEmail`` column) (§4a)
``google-api`` ``users`` / ``groups`` / ``group-members`` / ``members-map`` (``admin#directory#...``
               kinds, ``primaryEmail``) (§4b-4c)
``scim``       ``resources``: RFC 7644 ListResponse (or array) of Users and/or Groups (§7)
``generic-csv`` ``mapping`` (a YAML with a ``columns:`` map, see :mod:`.generic_csv`) and ``csv``
               (the CSV files it maps)
``onelogin``   ``csv``: OneLogin users CSVs read with the built-in layout
               (:data:`.generic_csv.ONELOGIN`, §5); chosen by ``--idp-format onelogin`` only, never
               from content (``id``, ``email``, ``status`` head many CSVs); a mapping YAML beside
               it keeps its role ``mapping`` for the loader to refuse
=============  ==================================================================================

A ``fetch-idp-manifest.json`` (:mod:`.manifest`) gets the role ``manifest`` under the
formats ``fetch-idp`` writes (``okta-api``, ``entra-graph``, ``google-api``); beside
any other format it is a ``manifest-mismatch`` error.

Files of a Sigma export (``memberId`` / ``teamId`` / ``accountTypeName``) are
recognized as ``sigma`` so that a wrong ``--idp`` path gets a clear error.
``--idp-format`` overrides the format; roles then come from content where it
agrees and from file names otherwise (``*user*`` -> users, ``*group*member*`` /
``*members*`` or a file in a ``group_members/`` folder -> members, ``*group*`` -> groups). An Okta
users answer (``profile.login`` objects) is a per-group members file only inside ``group_members/``:
a folder's name is matched whole, never searched for a substring (``okta_deprov_member/users.json``
is the users file).

A zip or gzip archive given as a file is an ``archive-file`` error (extract it first). A directory named
like an export file (``users.csv/``) is a ``not-a-file`` error; an export of a
format that keeps users in a file of their own (:data:`USERS_FILES`) without one is a ``no-idp-users``
error (:func:`require_users_file`).

A file that sits where an export file belongs (a ``.json`` / ``.csv`` / ``.tsv``
under an ``--idp`` directory, or any file given directly) is never skipped
quietly, since a missing part reads as "nobody is in this group":

- empty (0 bytes, only whitespace, or a CSV with no header line): ``empty-file``
  error, and the file takes no part in detection;
- content of no known role under the detected format: its role comes from its
  name (as with ``--idp-format``) and, for ``entra-csv``, from user-like
  columns (``mail``, ``displayName``, ``id``...), so that the loader reports what
  is wrong (``missing-column`` naming the column); when neither tells, an
  ``unknown-file`` error.

Only clearly foreign files are ignored with an info ``ignored-file``: other
suffixes (``README.txt``, ``notes.yaml``), hidden files (``.DS_Store``), and files of
a Sigma export.
"""

from __future__ import annotations

import csv
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping, Sequence

from ..model import Severity
from .files import DIRECTORY_NOT_FILE, Findings, head_text
from .manifest import FORMATS as MANIFEST_FORMATS, MARK as MANIFEST_MARK
from .tabular import find_header, header_key, sniff_delimiter

IDP_FORMATS = ("okta-api", "entra-csv", "entra-graph", "google-csv", "google-api", "scim", "generic-csv", "onelogin")
"""Every value ``--idp-format`` accepts."""

TEXT_SUFFIXES = {".json", ".csv", ".tsv", ".txt", ".yaml", ".yml"}
EXPORT_SUFFIXES = {".json", ".csv", ".tsv"}
"""Suffixes of export files: under an ``--idp`` directory these are never ignored quietly."""
JSON_FORMATS = frozenset({"okta-api", "entra-graph", "google-api", "scim"})
_ENTRA_USER_COLUMNS = {"mail", "email", "displayname", "display name", "id", "object id", "objectid",
                       "givenname", "given name", "surname", "usertype", "user type", "accountenabled"}
_FIRST_KEY = re.compile(r'^\{\s*"((?:[^"\\]|\\.)*)"\s*:')
_ENVELOPE_KEYS = {
    "@odata.context", "@odata.nextlink", "value", "kind", "etag", "users", "groups", "members",
    "nextpagetoken", "entries", "nextpage", "resources", "schemas", "totalresults", "startindex",
    "itemsperpage", "link",
}
"""The keys of an API answer's envelope (case aside): an object whose first key is one is an answer, not a map keyed by
group id. ``link``: an Okta page saved with its ``Link`` header, as README and the full-page warning say, in any key
order (tester22 finding 8: ``{"link": ..., "users": [...]}`` was read as the groups 'link' and 'users')."""


ONELOGIN_COLUMNS = frozenset({"id", "email", "firstname", "lastname", "status", "role_ids"})
"""Columns of OneLogin's SDK users export (docs/formats.md §5): a CSV holding them all is no Entra users file though
it has a ``userprincipalname`` column; it is read only with ``--idp-format onelogin`` (chosen, never detected: an
``unknown-format`` error naming it), or with a generic CSV mapping beside it."""

DIRECTORY_OBJECTS = "Graph directoryObjects answer"
"""The reason of a Graph answer of ``directoryObjects`` (records carrying ``@odata.type``): a group's
``/members`` answer, or users saved from a cast or ``getByIds`` request (docs/formats.md §3d, §3e), which
the content cannot tell apart: a file named as the users file (:func:`_role_by_name`) is the users file."""


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
    if f'"{MANIFEST_MARK}"' in low and '"manifest"' in low:
        return FileKind("manifest", "manifest", "fetch-idp manifest")
    keyed = _keyed_object(head)
    if "urn:ietf:params:scim" in low or '"resources"' in low and '"totalresults"' in low:
        return FileKind("scim", "resources", "SCIM schemas URN")
    if '"@odata.' in low or "graph.microsoft.com" in low:
        if keyed:
            return FileKind("entra-graph", "members-map", "object keyed by group id holding Graph answers")
        if "$metadata#users" in low:
            return FileKind("entra-graph", "users", "@odata.context #users")
        if "$metadata#groups" in low and '"userprincipalname"' in low:  # user records: the loader refuses the context
            return FileKind("entra-graph", "users", "user objects (userPrincipalName) under @odata.context #groups")
        if "$metadata#groups" in low:
            return FileKind("entra-graph", "groups", "@odata.context #groups")
        if "#microsoft.graph.group" in low and '"securityenabled"' in low:
            return FileKind("entra-graph", "groups", "Graph group objects")
        if "$metadata#directory/deleteditems" in low:
            return FileKind("entra-graph", "users", "@odata.context #directory/deletedItems (deleted users)")
        if '"@odata.type"' in low or "$metadata#directoryobjects" in low:
            return FileKind("entra-graph", "group-members", DIRECTORY_OBJECTS)
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


SIGMA_JSON_FILES = (
    ('"isteamadmin"', "a Sigma team members export (GET /v2/teams/{teamId}/members)"),
    ('"accounttypename"', "a Sigma account types export (GET /v2/accountTypes)"),
    ('"memberid"', "a Sigma members export (GET /v2/members)"),
    ('"teamid"', "a Sigma teams export (GET /v2/teams)"),
)
"""Which file of a Sigma export a JSON file is, by the first field name its first characters hold
(:func:`sigma_json_file`), in words."""


def sigma_json_file(head: str) -> str:
    """What file of a Sigma REST export (``classify_json`` format ``sigma``) a JSON file is, in words
    (:data:`SIGMA_JSON_FILES`, e.g. ``"a Sigma members export (GET /v2/members)"``), from its first
    characters; ``"a Sigma export file"`` when none of them is there."""
    low = head.casefold()
    return next((words for mark, words in SIGMA_JSON_FILES if mark in low), "a Sigma export file")


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
    if ONELOGIN_COLUMNS <= keys:
        return FileKind(None, "csv",
                        "OneLogin users CSV columns (role_ids, status), read only with --idp-format onelogin")
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
    import yaml  # imported here: an export without a YAML file (most) never needs PyYAML

    from ..yamlsafe import bounded_load

    try:
        with path.open("rb") as fh:
            data = bounded_load(fh.read(1 << 20).decode("utf-8-sig"))  # bombs bounded (planner.yamlsafe)
    except (OSError, yaml.YAMLError, UnicodeDecodeError):
        return FileKind(None, None, "unreadable YAML")
    if isinstance(data, dict) and isinstance(data.get("columns"), dict):
        return FileKind("generic-csv", "mapping", "YAML with a columns: map")
    return FileKind(None, None, "YAML without a columns: map")


def classify(path: Path, head: str | None = None) -> FileKind:
    """Classify one file by content (JSON / CSV / YAML), falling back to its suffix for the syntax.

    ``head``: :func:`head_text` of the file when the caller has it already.
    """
    suffix = path.suffix.lower()
    if suffix in (".yaml", ".yml"):
        return classify_yaml(path)
    if head is None:
        head = head_text(path)
    first = head.lstrip()[:1]
    if first in ("{", "["):
        return classify_json(head)
    if suffix == ".json":
        return FileKind(None, None, "not JSON")
    return classify_csv(head)


MEMBERS_FOLDERS = frozenset({"group_members"})
"""The documented folder of per-group member files (README "Accepted export layouts", docs/formats.md §2c, §3b)."""


def _in_members_folder(path: Path) -> bool:
    """True when ``path`` sits in a documented per-group members folder (its name exactly, any letter case):
    a folder's name is never read for a substring (``okta_deprov_member/users.json`` is a users file)."""
    return path.parent.name.casefold() in MEMBERS_FOLDERS


def _role_by_name(path: Path, fmt: str) -> str | None:
    """Role of a file from its name, used when ``--idp-format`` overrides content detection."""
    name = path.stem.casefold()
    if fmt in ("generic-csv", "onelogin"):
        return "mapping" if path.suffix.lower() in (".yaml", ".yml") else "csv"
    if fmt == "scim":
        return "resources"
    if _in_members_folder(path) or "member" in name:
        if fmt in ("entra-csv",):
            return "group-members"
        return "members-map" if "member" in name and "group" in name else "group-members"
    if "group" in name:
        return "groups"
    if "user" in name:
        return "users"
    return None


def emptiness(path: Path, head: str | None = None) -> str | None:
    """Why ``path`` holds no export content (``"file is empty (0 bytes)"``...), or ``None`` when it has some.

    Empty means 0 bytes, only whitespace (a BOM included), or, for a file
    that is not JSON, no header line (nothing but blank / ``#TYPE`` /
    ``version:`` / ``sep=`` lines). Binary or unreadable files are not "empty":
    the loader reports them (``unreadable-file``). ``head``: :func:`head_text` of
    the file when the caller has it already.
    """
    try:
        size = path.stat().st_size
    except OSError:
        return None
    if size == 0:
        return "file is empty (0 bytes)"
    if size > 65536:
        return None
    if head is None:
        head = head_text(path)
    if not head:
        return None  # binary / unreadable: not ours to judge
    if not head.strip().lstrip("\ufeff").strip():
        return "file holds only whitespace"
    if head.lstrip()[:1] not in ("{", "[") and path.suffix.lower() != ".json":
        if find_header(head).offset >= len(head):
            return "file has no header line (only preamble lines)"
    return None


def _fallback_role(path: Path, fmt: str, overridden: bool) -> str | None:
    """The role of a file whose content did not tell, under format ``fmt`` (``None``: cannot tell).

    With ``--idp-format`` the file name decides. Otherwise the file must have
    the format's syntax (JSON for the API formats, CSV for the others); then
    the name decides, and an ``entra-csv`` file with user-like columns is the
    users file (so that a users CSV lacking ``userPrincipalName`` is reported
    as such, not ignored).
    """
    if overridden:
        return _role_by_name(path, fmt)
    is_json = path.suffix.lower() == ".json" or head_text(path, 4096).lstrip()[:1] in ("{", "[")
    if is_json != (fmt in JSON_FORMATS):
        return None
    role = _role_by_name(path, fmt)
    if role is None and fmt == "entra-csv" and _ENTRA_USER_COLUMNS & set(csv_header_keys(head_text(path))):
        role = "users"
    return role


_ARCHIVE_MAGIC = (b"PK\x03\x04", b"PK\x05\x06", b"\x1f\x8b")
"""Leading bytes of a zip (a file, or an empty archive) and of a gzip file."""


def _is_archive(path: Path) -> bool:
    """True when ``path`` starts like a zip or gzip archive (an export saved compressed)."""
    try:
        with path.open("rb") as fh:
            return fh.read(4).startswith(_ARCHIVE_MAGIC)
    except OSError:
        return False


def _walk(path: Path, findings: Findings, depth: int = 2) -> list[Path]:
    out: list[Path] = []
    for child in sorted(path.iterdir()):
        if child.name.startswith("."):
            continue
        if child.is_dir():
            if child.suffix.lower() in EXPORT_SUFFIXES:
                findings.error("not-a-file", child, "", "", DIRECTORY_NOT_FILE)
            elif depth > 1:
                out.extend(_walk(child, findings, depth - 1))
        elif child.suffix.lower() in TEXT_SUFFIXES:
            out.append(child)
    return out


USERS_FILES = {
    "okta-api": "users.json (the GET /api/v1/users answers, docs/formats.md §2a)",
    "entra-csv": "users.csv (Users > Download users, docs/formats.md §3a)",
    "entra-graph": "users.json (the GET /v1.0/users answers, docs/formats.md §3d)",
    "google-api": "users.json (the Directory API users.list answers, docs/formats.md §4b)",
}
"""Per IdP format that keeps users in a file of their own, that file (checked by :func:`require_users_file`)."""


def require_users_file(layout: Layout, paths: Sequence[Path], findings: Findings) -> None:
    """A ``no-idp-users`` error when ``layout`` is of a format of :data:`USERS_FILES` without a users file.

    Group member records name users but do not say who is active, nor who is in no group: a plan from
    them would deactivate every member in no group and take the state of the others on trust. The error
    is at the first ``--idp`` path; nothing when the format keeps users elsewhere (SCIM, generic CSV), nor
    when the scan found an error already (an empty or unreadable users file is named by its own error).
    """
    if layout.format in USERS_FILES and not layout.files.get("users") and not any(
            f.severity is Severity.ERROR for f in findings):
        findings.error(
            "no-idp-users", paths[0] if paths else Path("."), "", "",
            f"the {layout.format} export has no users file: {USERS_FILES[layout.format]} is missing; group member "
            "records do not say who is active, nor name the users in no group: export the users",
        )


def _mixed_formats(formats: Sequence[str], kinds: Mapping[Path, FileKind],
                   origin: Mapping[Path, Path]) -> tuple[Path, str, str, str]:
    """``(file, location, field, message)`` of ``ambiguous-format``: the folder that holds the files of
    several formats (the one ``--idp`` path, else the folder holding all of them) and, per format,
    the folder its files were found in and the first few of them."""
    parts, roots = [], []
    for f in formats:
        found = [p for p, k in kinds.items() if k.format == f]
        where = sorted({str(origin.get(p, p.parent)) for p in found})
        roots.extend(origin.get(p, p.parent) for p in found)
        parts.append(f"{f} in {', '.join(where)}: {', '.join(p.name for p in found[:3])}")
    folder = Path(os.path.commonpath([str(r) for r in roots])) if roots else Path(".")
    return folder, "", "", f"files of several IdP formats ({'; '.join(parts)}); pass one export or --idp-format"


def scan(paths: Sequence[Path], findings: Findings, format: str | None = None) -> Layout:
    """Classify every file under ``paths`` and choose the IdP format.

    Errors (``Layout.format is None``): ``not-found``, ``no-idp-files``,
    ``not-an-idp-export`` (the path holds a Sigma export), ``unknown-format``
    (nothing recognized; use ``--idp-format`` or a mapping), ``ambiguous-format``
    (files of several IdP formats; pass one folder or ``--idp-format``).
    Per file (see the module docstring): ``empty-file`` and ``unknown-file``
    errors, info ``ignored-file`` for clearly foreign files.
    """
    files: list[Path] = []
    given: set[Path] = set()
    origin: dict[Path, Path] = {}  # each file -> the --idp path it was found under
    for raw in paths:
        path = Path(raw)
        if not path.exists():
            findings.error("not-found", path, "", "", "IdP export path does not exist")
        elif path.is_dir() and path.suffix.lower() in EXPORT_SUFFIXES:
            findings.error("not-a-file", path, "", "", DIRECTORY_NOT_FILE)
        elif path.is_dir():
            found = _walk(path, findings)
            if not found:
                findings.error("no-idp-files", path, "", "", "directory holds no .json/.csv/.yaml files")
            files.extend(found)
            origin.update((f, path) for f in found)
        else:
            files.append(path)
            given.add(path)
            origin[path] = path.parent
    files = list(dict.fromkeys(files))
    kinds: dict[Path, FileKind] = {}
    for p in [f for f in files if _is_archive(f)]:
        findings.error("archive-file", p, "", "",
                       "is a zip/gzip archive, not an export file: extract it and pass the folder it holds")
    files = [f for f in files if not _is_archive(f)]
    for p in files:
        head = None if p.suffix.lower() in (".yaml", ".yml") else head_text(p)
        why = emptiness(p, head) if p in given or p.suffix.lower() in EXPORT_SUFFIXES else None
        if why is None:
            kinds[p] = classify(p, head)
        else:
            findings.error("empty-file", p, "", "",
                           f"{why}, where an IdP export file belongs: an empty part of an export would read as "
                           "'no users / no members'; export it again (or remove it)")
    files = list(kinds)
    if not files:
        return Layout(None)

    overridden = format is not None
    if format is None:
        formats = sorted({k.format for k in kinds.values() if k.format not in (None, "sigma", "manifest")})
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
            findings.error("ambiguous-format", *_mixed_formats(formats, kinds, origin))
            return Layout(None)
        format = formats[0]

    layout = Layout(format)
    for p in files:
        kind = kinds[p]
        if kind.format == "manifest":
            if format not in MANIFEST_FORMATS.values():
                findings.error("manifest-mismatch", p, "", "",
                               f"a fetch-idp manifest beside a {format} export, which fetch-idp does not write: "
                               "remove it, or pass the pulled folder alone")
                continue
            role = "manifest"
        elif kind.format == format and kind.role:
            role = kind.role
            if role == "users" and format == "okta-api" and _in_members_folder(p):
                role = "group-members"  # GET /api/v1/groups/{id}/users saved per group
            elif kind.reason == DIRECTORY_OBJECTS and _role_by_name(p, format) == "users":
                role = "users"  # users.json of a cast or getByIds answer, read by its records (entra.py)
        elif kind.format == "sigma":
            role = None
        elif format == "onelogin" and kind.role == "mapping":
            role = "mapping"  # the loader refuses it: a mapping beside the built-in layout (generic_csv.load_onelogin)
        elif p not in given and (
            p.suffix.lower() not in EXPORT_SUFFIXES and (format not in ("generic-csv", "onelogin")
                                                         or p.suffix.lower() != ".txt")
        ):
            role = None  # README.txt, notes.yaml: clearly not an export file
        elif format in ("generic-csv", "onelogin"):
            role = "csv" if p.suffix.lower() not in (".json", ".yaml", ".yml") else None
        else:
            role = _fallback_role(p, format, overridden)
        if role is None:
            if kind.format == "sigma" or (p not in given and p.suffix.lower() not in EXPORT_SUFFIXES):
                findings.info("ignored-file", p, "", "",
                              f"not part of the {format} export ({kind.reason}); ignored")
            else:
                findings.error(
                    "unknown-file", p, "", "",
                    f"not a recognizable part of the {format} export ({kind.reason}); a part that is not "
                    "read could hide users or memberships: fix or remove the file, or pass --idp-format",
                )
            continue
        layout.files.setdefault(role, []).append(p)
    if not layout.files:
        findings.error("no-idp-files", Path(paths[0]), "", "", f"no {format} files found")
        layout.format = None
    return layout
