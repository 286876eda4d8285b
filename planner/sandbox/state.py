"""The sandbox's organization state: SQLite tables and every operation on them.

One :class:`SandboxState` holds one emulated Sigma organization. Both APIs of the
sandbox (REST v2 in :mod:`planner.sandbox.rest`, SCIM 2.0 through
:mod:`planner.sandbox.scim_storage`) read and write it, so a change made through
one is seen by the other.

Tables (SQLite, one connection guarded by one re-entrant lock, so the state is
safe to share between the threads of the server):

- ``members``: one row per member (sigma-api.md §2.2), plus the SCIM link
  (``scim_id``, ``scim_json``: the SCIM attributes Sigma does not model,
  ``scim_created``) and ``version`` (bumped on every change, the SCIM ETag).
- ``teams``: one row per team (§3.2), with the same SCIM link columns.
- ``team_members``: ``(team_id, member_id, is_team_admin, added_by)`` (§3.3).
- ``account_types``: ``(account_type_id, name, description, is_custom)`` (§4.1).
- ``document_counts``: how many documents each member owns and how many of
  theirs were archived, so a hand-off on deactivation (``newOwnerId``,
  ``archiveDocuments``, §2.5/§2.6) is observable.

The rules Sigma documents are enforced here, once for both APIs; where
sigma-api.md says a behaviour is unknown, the strictest plausible behaviour is
chosen and named in the method docstring and in docs/sandbox.md. Failures raise
:class:`StateError` subclasses carrying the HTTP status, the ``code`` and the
``message`` of Sigma's error envelope (§2.7).
"""

from __future__ import annotations

import base64
import datetime as _dt
import itertools
import json
import random
import re
import sqlite3
import string
import threading
import uuid
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from ..model import SCHEDULER_ROBOT_EMAIL, SCHEDULER_ROBOT_MEMBER_ID, SigmaExport


def sigma_email_key(address: str | None) -> str:
    """How the sandbox compares member emails and SCIM userNames: letter case aside, nothing else.

    No trimming, no Unicode folding: the strictest plausible reading of Sigma's "same email"
    (sigma-api.md §5.3 links by email; §10.11 the REST filter is exact but for case). So a member
    whose stored email carries a stray space, tab or zero-width character is **not** found by the
    clean userName an IdP sends: a plan must set that email first (issue 14 item 1).
    """
    return (address or "").lower()


# --------------------------------------------------------------------------- errors


class StateError(Exception):
    """A refused operation: ``status`` (HTTP), ``code`` and ``message`` of Sigma's envelope."""

    status = 400
    code = "bad_request"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class BadRequest(StateError):
    """400: a malformed or invalid request."""


class NotFound(StateError):
    """404: no such member, team, account type."""

    status = 404
    code = "not_found"


class Conflict(StateError):
    """409: the request conflicts with existing data (duplicate email, name, link)."""

    status = 409
    code = "conflict"


class Forbidden(StateError):
    """403: the object is managed by SCIM, or the credentials may not do this."""

    status = 403
    code = "forbidden"


class PreconditionFailed(StateError):
    """412: the SCIM version (ETag) the client expected is not the stored one."""

    status = 412
    code = "precondition_failed"


# --------------------------------------------------------------------------- helpers

USER_KINDS = ("internal", "guest", "embed")
"""``userKind`` values of the REST member object (sigma-api.md §2.2)."""

MAX_TEAM_MEMBER_CHANGES = 100
"""Most ids one ``PATCH /v2/teams/{teamId}/members`` may carry (add + remove).

sigma-api.md §10.9: the real maximum is unknown; 100 is the limit Sigma
documents for the sibling user-attribute endpoint (§3.1), the strictest
plausible choice.
"""

_LOWEST_TYPE_ORDER = (
    "lite", "view", "viewer", "essential", "act", "explorer",
    "analyze", "pro", "creator", "build", "author", "admin",
)
"""Default account type names from the cheapest up (sigma-api.md §4.2)."""

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_ALNUM = string.ascii_letters + string.digits


def now_iso() -> str:
    """The current UTC time as Sigma writes it: ``2025-03-03T21:06:55.713Z``."""
    t = _dt.datetime.now(_dt.timezone.utc)
    return t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{t.microsecond // 1000:03d}Z"


def is_email(value: str) -> bool:
    """True when ``value`` looks like ``local@domain.tld`` (no spaces)."""
    return bool(_EMAIL.match(value or ""))


def encode_cursor(kind: str, after: int) -> str:
    """An opaque page cursor for ``nextPage`` / ``nextPageToken``."""
    raw = f"{kind}:{after}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(kind: str, token: str) -> int:
    """Read a cursor made by :func:`encode_cursor`; :class:`BadRequest` when it is not one."""
    try:
        padded = token + "=" * (-len(token) % 4)
        got_kind, _, after = base64.urlsafe_b64decode(padded.encode()).decode().partition(":")
        if got_kind != kind:
            raise ValueError(kind)
        return int(after)
    except (ValueError, UnicodeDecodeError):
        raise BadRequest(f"Invalid page token {token!r}") from None


_MEMBER_COLUMNS = (
    "seq", "member_id", "organization_id", "email", "email_key", "first_name", "last_name",
    "member_type", "user_kind", "is_archived", "is_inactive", "profile_img_url",
    "created_by", "updated_by", "created_at", "updated_at", "home_folder_id", "extra",
    "scim_id", "scim_json", "scim_created", "version",
)
_TEAM_COLUMNS = (
    "seq", "team_id", "name", "description", "visibility", "is_archived", "created_by",
    "updated_by", "created_at", "updated_at", "workspace_id", "extra",
    "scim_id", "scim_json", "scim_created", "version",
)

_SCHEMA = """
CREATE TABLE members (
    seq INTEGER PRIMARY KEY,
    member_id TEXT NOT NULL UNIQUE,
    organization_id TEXT,
    email TEXT NOT NULL,
    email_key TEXT NOT NULL,
    first_name TEXT, last_name TEXT,
    member_type TEXT,
    user_kind TEXT NOT NULL DEFAULT 'internal',
    is_archived INTEGER NOT NULL DEFAULT 0,
    is_inactive INTEGER NOT NULL DEFAULT 0,
    profile_img_url TEXT,
    created_by TEXT, updated_by TEXT, created_at TEXT, updated_at TEXT,
    home_folder_id TEXT,
    extra TEXT,
    scim_id TEXT UNIQUE,
    scim_json TEXT,
    scim_created TEXT,
    version INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX members_email_key ON members(email_key);
CREATE TABLE teams (
    seq INTEGER PRIMARY KEY,
    team_id TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    description TEXT, visibility TEXT,
    is_archived INTEGER NOT NULL DEFAULT 0,
    created_by TEXT, updated_by TEXT, created_at TEXT, updated_at TEXT,
    workspace_id TEXT,
    extra TEXT,
    scim_id TEXT UNIQUE,
    scim_json TEXT,
    scim_created TEXT,
    version INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX teams_name ON teams(name);
CREATE TABLE team_members (
    seq INTEGER PRIMARY KEY,
    team_id TEXT NOT NULL,
    member_id TEXT NOT NULL,
    is_team_admin INTEGER NOT NULL DEFAULT 0,
    added_by TEXT,
    UNIQUE (team_id, member_id)
);
CREATE INDEX team_members_member ON team_members(member_id);
CREATE TABLE account_types (
    seq INTEGER PRIMARY KEY,
    account_type_id TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL UNIQUE,
    description TEXT,
    is_custom INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE document_counts (
    member_id TEXT PRIMARY KEY,
    owned INTEGER NOT NULL DEFAULT 0,
    archived INTEGER NOT NULL DEFAULT 0
);
"""

DEFAULT_ACCOUNT_TYPES = ("Lite", "Essential", "Pro", "Admin")
"""Account types of an organization seeded without any (sigma-api.md §4.2, "2024" model)."""


# --------------------------------------------------------------------------- the state


class SandboxState:
    """One emulated Sigma organization in SQLite, shared by the REST and SCIM sides.

    :param db_path: SQLite file, or ``":memory:"`` (the default: fastest, gone on exit).
    :param organization_id: ``organizationId`` of new members; by default the one
        most members of the seed carry, else a new UUID.
    :param default_account_type: account type name given to members created
        without ``memberType`` (REST "Invitation default", §2.4) or without SCIM
        ``userType`` (§5.2: "Lite"); by default the cheapest type present
        (``_LOWEST_TYPE_ORDER``), else the first non-admin type.
    :param rng_seed: seed of the id generator, for reproducible ids.

    Every public method takes the lock; :meth:`transaction` holds it across
    several calls (the SCIM storage wraps each SCIM operation in it).
    """

    def __init__(
        self,
        db_path: str = ":memory:",
        *,
        organization_id: str | None = None,
        default_account_type: str | None = None,
        rng_seed: int | None = None,
    ) -> None:
        self.lock = threading.RLock()
        self._db = sqlite3.connect(db_path, check_same_thread=False, isolation_level=None)
        self._db.row_factory = sqlite3.Row
        if db_path != ":memory:":
            self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=OFF")
        existing = self._db.execute(
            "SELECT name FROM sqlite_master WHERE type='table' AND name='members'"
        ).fetchone()
        if existing is None:
            self._db.executescript(_SCHEMA)
        self._rng = random.Random(rng_seed)
        start = self._db.execute(
            "SELECT MAX(v) FROM (SELECT MAX(version) v FROM members UNION ALL SELECT MAX(version) FROM teams)"
        ).fetchone()[0]
        self._versions = itertools.count((start or 0) + 1)
        self.organization_id = organization_id or str(uuid.UUID(int=self._rng.getrandbits(128)))
        self._default_account_type = default_account_type
        self.credential_owner_id: str | None = None
        """memberId owning the REST client credentials (DELETE hands documents to it)."""
        self.scim_owner_id: str | None = None
        """memberId of the admin who set up SCIM (acting admin of SCIM deactivations)."""
        self._depth = 0

    # ------------------------------------------------------------------ plumbing

    def close(self) -> None:
        """Close the database connection."""
        with self.lock:
            self._db.close()

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Hold the lock and one SQLite transaction; nested calls join the outer one.

        An exception rolls back everything done inside the outermost block, so a
        refused request never leaves a half-applied change.
        """
        with self.lock:
            if self._depth:
                self._depth += 1
                try:
                    yield
                finally:
                    self._depth -= 1
                return
            self._db.execute("BEGIN")
            self._depth = 1
            try:
                yield
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            else:
                self._db.execute("COMMIT")
            finally:
                self._depth = 0

    def _q(self, sql: str, params: Iterable[Any] = ()) -> list[sqlite3.Row]:
        return self._db.execute(sql, tuple(params)).fetchall()

    def _one(self, sql: str, params: Iterable[Any] = ()) -> sqlite3.Row | None:
        return self._db.execute(sql, tuple(params)).fetchone()

    def _x(self, sql: str, params: Iterable[Any] = ()) -> sqlite3.Cursor:
        return self._db.execute(sql, tuple(params))

    def next_version(self) -> int:
        """A new value for a row's ``version`` (strictly increasing across the state)."""
        return next(self._versions)

    def new_member_id(self) -> str:
        """A new 29-character alphanumeric memberId (the shape of real ones, §2.2)."""
        with self.lock:
            while True:
                candidate = "".join(self._rng.choice(_ALNUM) for _ in range(29))
                if self._one("SELECT 1 FROM members WHERE member_id=?", (candidate,)) is None:
                    return candidate

    def new_uuid(self) -> str:
        """A new UUID string (teamId, homeFolderId, accountTypeId shapes)."""
        with self.lock:
            return str(uuid.UUID(int=self._rng.getrandbits(128), version=4))

    # ------------------------------------------------------------------ seeding

    def seed(self, export: SigmaExport, *, documents_per_member: int = 2) -> None:
        """Load a Sigma export (members, teams, team members, account types) into an empty state.

        Every field of each member's ``raw`` REST object is kept and served back
        unchanged. A repeated memberId or teamId keeps its first record. Without account types in the export, the distinct
        ``memberType`` values of the members become the account types (plus
        :data:`DEFAULT_ACCOUNT_TYPES` when there are no members either). Each
        member owns ``documents_per_member`` documents. Nothing is SCIM-linked.
        """
        with self.transaction():
            orgs: dict[str, int] = {}
            for m in export.members:
                if m.organization_id:
                    orgs[m.organization_id] = orgs.get(m.organization_id, 0) + 1
            if orgs:
                self.organization_id = max(orgs, key=lambda k: orgs[k])
            types = export.account_types
            if types is not None:
                rows = [(t.account_type_id, t.name, t.description, int(t.is_custom)) for t in types]
            else:
                names = list(dict.fromkeys(m.member_type for m in export.members if m.member_type))
                rows = [(self.new_uuid(), n, None, 0) for n in names or DEFAULT_ACCOUNT_TYPES]
            self._db.executemany(
                "INSERT OR IGNORE INTO account_types(account_type_id,name,description,is_custom) VALUES (?,?,?,?)",
                rows,
            )
            version = self.next_version()
            member_rows = []
            for m in export.members:
                raw = dict(m.raw)
                known = {
                    "organizationId", "memberId", "memberType", "firstName", "lastName", "email",
                    "profileImgUrl", "createdBy", "updatedBy", "createdAt", "updatedAt",
                    "homeFolderId", "userKind", "isArchived", "isInactive",
                }
                extra = {k: v for k, v in raw.items() if k not in known}
                member_rows.append((
                    m.member_id, m.organization_id or self.organization_id, m.email, sigma_email_key(m.email),
                    m.first_name, m.last_name, m.member_type, m.user_kind or "internal",
                    int(m.is_archived), int(m.is_inactive), raw.get("profileImgUrl"),
                    raw.get("createdBy"), raw.get("updatedBy"), m.created_at, m.updated_at,
                    raw.get("homeFolderId"), json.dumps(extra) if extra else None, version,
                ))
            self._db.executemany(
                "INSERT OR IGNORE INTO members(member_id,organization_id,email,email_key,first_name,last_name,"
                "member_type,user_kind,is_archived,is_inactive,profile_img_url,created_by,updated_by,"
                "created_at,updated_at,home_folder_id,extra,version) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                member_rows,
            )
            if documents_per_member:
                self._db.executemany(
                    "INSERT OR IGNORE INTO document_counts(member_id, owned) VALUES (?, ?)",
                    [(m.member_id, documents_per_member) for m in export.members],
                )
            team_rows = []
            for t in export.teams:
                raw = dict(t.raw)
                known = {"teamId", "name", "description", "visibility", "isArchived", "createdBy",
                         "updatedBy", "createdAt", "updatedAt", "members", "workspaceId"}
                extra = {k: v for k, v in raw.items() if k not in known}
                team_rows.append((
                    t.team_id, t.name, t.description, t.visibility, int(t.is_archived),
                    raw.get("createdBy"), raw.get("updatedBy"), raw.get("createdAt"),
                    raw.get("updatedAt"), raw.get("workspaceId"),
                    json.dumps(extra) if extra else None, version,
                ))
            self._db.executemany(
                "INSERT OR IGNORE INTO teams(team_id,name,description,visibility,is_archived,created_by,updated_by,"
                "created_at,updated_at,workspace_id,extra,version) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
                team_rows,
            )
            self._db.executemany(
                "INSERT OR IGNORE INTO team_members(team_id,member_id,is_team_admin,added_by) VALUES (?,?,?,?)",
                [(tm.team_id, tm.member_id, int(tm.is_team_admin), tm.added_by)
                 for tm in export.team_memberships],
            )

    def link_scim_user(self, member_id: str, scim_resource: Mapping[str, Any]) -> None:
        """Mark a seeded member as SCIM-managed with a stored SCIM User (seeding from ``scim/Users.json``).

        The SCIM ``id`` of ``scim_resource`` becomes the link id; its attributes
        other than those Sigma models are kept.
        """
        with self.transaction():
            scim_id = str(scim_resource.get("id") or member_id)
            created = (scim_resource.get("meta") or {}).get("created") or now_iso()
            self._x(
                "UPDATE members SET scim_id=?, scim_json=?, scim_created=?, version=? WHERE member_id=?",
                (scim_id, json.dumps(_scim_extra(scim_resource)), created, self.next_version(), member_id),
            )

    def link_scim_group(self, team_id: str, scim_resource: Mapping[str, Any]) -> None:
        """Mark a seeded team as SCIM-managed (seeding from ``scim/Groups.json``)."""
        with self.transaction():
            scim_id = str(scim_resource.get("id") or team_id)
            created = (scim_resource.get("meta") or {}).get("created") or now_iso()
            extra = {k: v for k, v in _scim_extra(scim_resource).items() if k != "members"}
            self._x(
                "UPDATE teams SET scim_id=?, scim_json=?, scim_created=?, version=? WHERE team_id=?",
                (scim_id, json.dumps(extra), created, self.next_version(), team_id),
            )

    # ------------------------------------------------------------------ account types

    def seed_default_account_types(self) -> None:
        """Give an empty organization :data:`DEFAULT_ACCOUNT_TYPES` (built-in, not custom)."""
        with self.transaction():
            for name in DEFAULT_ACCOUNT_TYPES:
                self._x(
                    "INSERT OR IGNORE INTO account_types(account_type_id,name,is_custom) VALUES (?,?,0)",
                    (self.new_uuid(), name),
                )

    def account_types(self) -> list[dict[str, Any]]:
        """Every account type as ``GET /v2/accountTypes`` entries, in seed order."""
        with self.lock:
            return [
                {"accountTypeId": r["account_type_id"], "accountTypeName": r["name"],
                 "description": r["description"], "isCustom": bool(r["is_custom"])}
                for r in self._q("SELECT * FROM account_types ORDER BY seq")
            ]

    def account_type_names(self) -> list[str]:
        """Account type names, exactly as spelled."""
        with self.lock:
            return [r[0] for r in self._q("SELECT name FROM account_types ORDER BY seq")]

    def add_account_type(self, name: str, *, is_custom: bool = True, description: str | None = None) -> str:
        """Create an account type (as ``POST /v2/accountTypes``); returns its id."""
        with self.transaction():
            if self._one("SELECT 1 FROM account_types WHERE name=?", (name,)):
                raise Conflict("Duplicate record")
            type_id = self.new_uuid()
            self._x(
                "INSERT INTO account_types(account_type_id,name,description,is_custom) VALUES (?,?,?,?)",
                (type_id, name, description, int(is_custom)),
            )
            return type_id

    @property
    def default_account_type(self) -> str:
        """Account type of members created without one (see the class docstring)."""
        with self.lock:
            names = self.account_type_names()
            if self._default_account_type is not None:
                return self._default_account_type
            by_key = {n.casefold(): n for n in reversed(names)}
            for key in _LOWEST_TYPE_ORDER:
                if key in by_key:
                    return by_key[key]
            for n in names:
                if n.casefold() != "admin":
                    return n
            return names[0] if names else "Lite"

    @default_account_type.setter
    def default_account_type(self, name: str | None) -> None:
        self._default_account_type = name

    def check_account_type(self, name: Any) -> str:
        """Return ``name`` when it is an account type name exactly (case-sensitive).

        Raises :class:`NotFound` "Member type name is not found" otherwise
        (sigma-api.md §2.7; §10.11: casing on REST writes is unknown, the
        sandbox is case-sensitive, the strict choice, as SCIM is per §5.2).
        """
        with self.lock:
            if not isinstance(name, str) or self._one(
                "SELECT 1 FROM account_types WHERE name=?", (name,)
            ) is None:
                raise NotFound("Member type name is not found")
            return name

    # ------------------------------------------------------------------ documents

    def document_counts(self, member_id: str) -> dict[str, int]:
        """``{"owned": n, "archived": n}``: documents a member owns / had archived."""
        with self.lock:
            r = self._one("SELECT owned, archived FROM document_counts WHERE member_id=?", (member_id,))
            return {"owned": r["owned"], "archived": r["archived"]} if r else {"owned": 0, "archived": 0}

    def _move_documents(self, from_id: str, to_id: str | None, archive: bool) -> None:
        r = self._one("SELECT owned FROM document_counts WHERE member_id=?", (from_id,))
        owned = r["owned"] if r else 0
        if not owned:
            return
        self._x("UPDATE document_counts SET owned=0 WHERE member_id=?", (from_id,))
        if archive or to_id is None:
            self._x("UPDATE document_counts SET archived=archived+? WHERE member_id=?", (owned, from_id))
        else:
            self._x(
                "INSERT INTO document_counts(member_id, owned) VALUES (?, ?) "
                "ON CONFLICT(member_id) DO UPDATE SET owned=owned+excluded.owned",
                (to_id, owned),
            )

    # ------------------------------------------------------------------ members: read

    def _member_row(self, member_id: str) -> sqlite3.Row | None:
        return self._one("SELECT * FROM members WHERE member_id=?", (member_id,))

    def member_row(self, member_id: str) -> sqlite3.Row:
        """The raw row of a member; :class:`NotFound` when there is none."""
        with self.lock:
            row = self._member_row(member_id)
            if row is None:
                raise NotFound(f"Member {member_id} not found")
            return row

    def members_by_email(self, address: str) -> list[sqlite3.Row]:
        """Rows whose email has the same :func:`sigma_email_key` as ``address``."""
        with self.lock:
            return self._q("SELECT * FROM members WHERE email_key=? ORDER BY seq", (sigma_email_key(address),))

    @staticmethod
    def member_json(row: sqlite3.Row) -> dict[str, Any]:
        """A member row as the REST member object (sigma-api.md §2.2, key order of §8.1).

        Fields the seed carried that Sigma's schema does not name are kept after
        the known ones. ``isArchived`` and ``isInactive`` are always present.
        """
        out: dict[str, Any] = {
            "organizationId": row["organization_id"],
            "memberId": row["member_id"],
            "memberType": row["member_type"],
            "firstName": row["first_name"],
            "lastName": row["last_name"],
            "email": row["email"],
            "profileImgUrl": row["profile_img_url"],
            "createdBy": row["created_by"],
            "updatedBy": row["updated_by"],
            "createdAt": row["created_at"],
            "updatedAt": row["updated_at"],
            "homeFolderId": row["home_folder_id"],
            "userKind": row["user_kind"],
            "isArchived": bool(row["is_archived"]),
            "isInactive": bool(row["is_inactive"]),
        }
        if row["extra"]:
            for k, v in json.loads(row["extra"]).items():
                out.setdefault(k, v)
        return out

    def get_member(self, member_id: str) -> dict[str, Any]:
        """``GET /v2/members/{memberId}``; :class:`NotFound` when unknown."""
        return self.member_json(self.member_row(member_id))

    def list_members(
        self,
        *,
        email: str | None = None,
        search: str | None = None,
        include_archived: bool = False,
        include_inactive: bool = False,
        after: int = 0,
        limit: int | None = None,
    ) -> tuple[list[dict[str, Any]], int | None, int]:
        """Members in creation order: ``(page, last seq of the page or None at the end, total)``.

        ``email`` is an exact, case-insensitive match (§10.11 left the case
        open; matching by :func:`sigma_email_key` is what a client comparing
        case-insensitively expects). ``search`` (deprecated) is a
        case-insensitive substring of email, first or last name. Archived and
        inactive members are left out unless the include flags are set (§2.3).
        """
        where = ["seq > ?"]
        params: list[Any] = [after]
        if email is not None:
            where.append("email_key = ?")
            params.append(sigma_email_key(email))
        if search:
            where.append("(lower(email) LIKE ? OR lower(first_name) LIKE ? OR lower(last_name) LIKE ?)")
            pat = "%" + search.lower().replace("%", r"\%") + "%"
            params += [pat, pat, pat]
        if not include_archived:
            where.append("is_archived = 0")
        if not include_inactive:
            where.append("is_inactive = 0")
        cond = " AND ".join(where)
        with self.lock:
            total = self._one(
                f"SELECT COUNT(*) FROM members WHERE {' AND '.join(where[1:]) or '1'}", params[1:]
            )[0]
            sql = f"SELECT * FROM members WHERE {cond} ORDER BY seq"
            if limit is not None:
                rows = self._q(sql + " LIMIT ?", [*params, limit + 1])
                more = len(rows) > limit
                rows = rows[:limit]
            else:
                rows = self._q(sql, params)
                more = False
        page = [self.member_json(r) for r in rows]
        return page, (rows[-1]["seq"] if more and rows else None), total

    def member_teams(self, member_id: str, *, after: int = 0, limit: int = 50) -> tuple[list[dict[str, Any]], int | None, int]:
        """Teams of a member (``GET /v2/members/{memberId}/teams``), paged like :meth:`list_teams`."""
        with self.lock:
            self.member_row(member_id)
            total = self._one("SELECT COUNT(*) FROM team_members WHERE member_id=?", (member_id,))[0]
            rows = self._q(
                "SELECT t.* FROM teams t JOIN team_members tm ON tm.team_id=t.team_id "
                "WHERE tm.member_id=? AND t.seq > ? ORDER BY t.seq LIMIT ?",
                (member_id, after, limit + 1),
            )
        more = len(rows) > limit
        rows = rows[:limit]
        return [self.team_json(r) for r in rows], (rows[-1]["seq"] if more else None), total

    # ------------------------------------------------------------------ members: write

    def _refuse_scim_managed(self, row: sqlite3.Row) -> None:
        """403 for REST writes to a SCIM-managed member (sigma-api.md §5.3; choice for §10.6)."""
        if row["scim_id"] is not None:
            raise Forbidden(
                f"Member {row['member_id']} is provisioned by SCIM; change it in the identity provider"
            )

    def _active_member(self, member_id: Any, what: str) -> sqlite3.Row:
        if not isinstance(member_id, str):
            raise BadRequest(f"{what} must be a memberId string")
        row = self._member_row(member_id)
        if row is None:
            raise NotFound(f"{what} {member_id} not found")
        if row["is_archived"] or row["is_inactive"]:
            raise BadRequest(f"{what} {member_id} is not an active member")
        return row

    def create_member(self, body: Mapping[str, Any], *, actor: str | None) -> dict[str, Any]:
        """``POST /v2/members`` (sigma-api.md §2.4).

        ``body``: required ``email``, ``firstName``, ``lastName``; optional
        ``memberType`` (an existing account type, exact, else 404 "Member type
        name is not found"; absent = :attr:`default_account_type`), ``isGuest``,
        ``userKind``, ``addToTeams`` (``[{teamId, isTeamAdmin}]``).
        An email already used by any member, archived ones included, gives 409
        with ``member-id=<id>`` in the message (Sigma's quickstart parses it).
        """
        allowed = {"email", "firstName", "lastName", "memberType", "isGuest", "userKind", "addToTeams"}
        unknown = sorted(set(body) - allowed)
        if unknown:
            raise BadRequest(f"Unknown field(s) in member: {', '.join(unknown)}")
        for key in ("email", "firstName", "lastName"):
            if not isinstance(body.get(key), str) or not body[key].strip():
                raise BadRequest(f"{key} is required")
        address = body["email"].strip()
        if not is_email(address):
            raise BadRequest(f"Invalid email {address!r}")
        kind = body.get("userKind")
        if body.get("isGuest") is True:
            if kind not in (None, "guest"):
                raise BadRequest("isGuest conflicts with userKind")
            kind = "guest"
        kind = kind or "internal"
        if kind not in USER_KINDS:
            raise BadRequest(f"userKind must be one of {', '.join(USER_KINDS)}")
        teams = body.get("addToTeams") or []
        if not isinstance(teams, list) or not all(isinstance(t, dict) and isinstance(t.get("teamId"), str) for t in teams):
            raise BadRequest("addToTeams must be a list of {teamId, isTeamAdmin}")
        with self.transaction():
            member_type = (
                self.check_account_type(body["memberType"]) if "memberType" in body
                else self.default_account_type
            )
            existing = self.members_by_email(address)
            if existing:
                raise Conflict(
                    f"A member with email {address} already exists: member-id={existing[0]['member_id']}"
                )
            for t in teams:
                team = self._team_row(t["teamId"])
                if team is None:
                    raise NotFound(f"Team {t['teamId']} not found")
                self._refuse_scim_team(team)
            member_id = self.new_member_id()
            stamp = now_iso()
            self._x(
                "INSERT INTO members(member_id,organization_id,email,email_key,first_name,last_name,member_type,"
                "user_kind,created_by,updated_by,created_at,updated_at,home_folder_id,version) "
                "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                (member_id, self.organization_id, address, sigma_email_key(address), body["firstName"],
                 body["lastName"], member_type, kind, actor or member_id, actor or member_id,
                 stamp, stamp, self.new_uuid(), self.next_version()),
            )
            for t in teams:
                self._x(
                    "INSERT OR IGNORE INTO team_members(team_id,member_id,is_team_admin,added_by) VALUES (?,?,?,?)",
                    (t["teamId"], member_id, int(bool(t.get("isTeamAdmin"))), actor),
                )
                self._touch_team(t["teamId"], actor)
            return self.get_member(member_id)

    def update_member(self, member_id: str, body: Mapping[str, Any], *, actor: str | None) -> dict[str, Any]:
        """``PATCH /v2/members/{memberId}`` (sigma-api.md §2.5); returns the updated member.

        Rules, in order:

        - unknown fields: 400;
        - SCIM-managed member: 403 for every field (choice for §10.6). A member
          never linked to SCIM stays editable, in particular ``isArchived``,
          Sigma's documented way to deactivate pre-SCIM users (§2.5, S-SCIM);
        - ``isInactive``: 400, it is set by the identity provider only (choice
          for §10.13);
        - ``memberType``: an existing account type name, exact, else 404
          "Member type name is not found" (§2.7);
        - ``email``: valid, and used by no other member, else 409 "Duplicate record";
        - ``userKind``: ``internal`` | ``guest`` | ``embed``;
        - ``isArchived: true``: documents go to ``newOwnerId`` (an active
          member other than this one), are archived with ``archiveDocuments``,
          or go to the credential owner when neither is given (as DELETE, §2.6);
          ``archiveDocuments`` with ``newOwnerId`` is 400 (§2.5: never combined);
          ``newOwnerId``/``archiveDocuments``/``archiveScheduledExports``
          without ``isArchived: true`` are 400;
        - ``isArchived: false`` reactivates.
        """
        allowed = {"memberType", "firstName", "lastName", "email", "profileImgUrl", "isArchived",
                   "isInactive", "userKind", "newOwnerId", "archiveDocuments", "archiveScheduledExports"}
        unknown = sorted(set(body) - allowed)
        if unknown:
            raise BadRequest(f"Unknown field(s) in member update: {', '.join(unknown)}")
        with self.transaction():
            row = self.member_row(member_id)
            self._refuse_scim_managed(row)
            if "isInactive" in body:
                raise BadRequest("isInactive is set by the identity provider through SCIM, not by the REST API")
            sets: dict[str, Any] = {}
            if "memberType" in body:
                sets["member_type"] = self.check_account_type(body["memberType"])
            for key, col in (("firstName", "first_name"), ("lastName", "last_name")):
                if key in body:
                    if not isinstance(body[key], str) or not body[key].strip():
                        raise BadRequest(f"{key} must be a non-empty string")
                    sets[col] = body[key]
            if "profileImgUrl" in body:
                if body["profileImgUrl"] is not None and not isinstance(body["profileImgUrl"], str):
                    raise BadRequest("profileImgUrl must be a string or null")
                sets["profile_img_url"] = body["profileImgUrl"]
            if "email" in body:
                address = body["email"]
                if not isinstance(address, str) or not is_email(address.strip()):
                    raise BadRequest(f"Invalid email {address!r}")
                address = address.strip()
                clash = [r for r in self.members_by_email(address) if r["member_id"] != member_id]
                if clash:
                    raise Conflict("Duplicate record")
                sets["email"] = address
                sets["email_key"] = sigma_email_key(address)
            if "userKind" in body:
                if body["userKind"] not in USER_KINDS:
                    raise BadRequest(f"userKind must be one of {', '.join(USER_KINDS)}")
                sets["user_kind"] = body["userKind"]
            archiving = body.get("isArchived") is True
            if "isArchived" in body and not isinstance(body["isArchived"], bool):
                raise BadRequest("isArchived must be a boolean")
            for key in ("newOwnerId", "archiveDocuments", "archiveScheduledExports"):
                if key in body and not archiving:
                    raise BadRequest(f"{key} is only allowed with isArchived: true")
            if "archiveDocuments" in body and not isinstance(body["archiveDocuments"], bool):
                raise BadRequest("archiveDocuments must be a boolean")
            if body.get("archiveDocuments") and "newOwnerId" in body:
                raise BadRequest("archiveDocuments cannot be combined with newOwnerId")
            if archiving and not row["is_archived"]:
                new_owner = None
                if "newOwnerId" in body:
                    if body["newOwnerId"] == member_id:
                        raise BadRequest("newOwnerId must be another member")
                    new_owner = self._active_member(body["newOwnerId"], "newOwnerId")["member_id"]
                elif not body.get("archiveDocuments"):
                    new_owner = self.credential_owner_id
                self._move_documents(member_id, new_owner, bool(body.get("archiveDocuments")))
                sets["is_archived"] = 1
            elif body.get("isArchived") is False and row["is_archived"]:
                clash = [r for r in self.members_by_email(row["email"])
                         if r["member_id"] != member_id and not r["is_archived"]]
                if clash:
                    raise Conflict("Duplicate record")
                sets["is_archived"] = 0
            if sets:
                self._update_member_columns(member_id, sets, actor)
            return self.get_member(member_id)

    def _update_member_columns(self, member_id: str, sets: Mapping[str, Any], actor: str | None) -> None:
        cols = dict(sets)
        cols["updated_at"] = now_iso()
        if actor:
            cols["updated_by"] = actor
        cols["version"] = self.next_version()
        assign = ", ".join(f"{c}=?" for c in cols)
        self._x(f"UPDATE members SET {assign} WHERE member_id=?", [*cols.values(), member_id])

    def archive_member(self, member_id: str, *, actor: str | None) -> None:
        """``DELETE /v2/members/{memberId}``: archive; documents go to the credential owner (§2.6).

        A SCIM-managed member gives 403 (the spec warns against it; choice for §10.6).
        """
        with self.transaction():
            row = self.member_row(member_id)
            self._refuse_scim_managed(row)
            if row["is_archived"]:
                return
            self._move_documents(member_id, self.credential_owner_id, False)
            self._update_member_columns(member_id, {"is_archived": 1}, actor)

    def first_active_admin(self) -> str | None:
        """memberId of the first active, internal member with the Admin account type (any case),
        Sigma's scheduler robot excepted; ``None`` when there is none."""
        with self.lock:
            for row in self._q(
                "SELECT member_id, email_key FROM members WHERE is_archived=0 AND is_inactive=0 "
                "AND user_kind='internal' AND lower(member_type)='admin' ORDER BY seq"
            ):
                if row["member_id"] != SCHEDULER_ROBOT_MEMBER_ID and row["email_key"] != SCHEDULER_ROBOT_EMAIL:
                    return row["member_id"]
            return None

    def is_active_member(self, member_id: str | None) -> bool:
        """True when the member exists and is neither archived nor inactive."""
        if member_id is None:
            return False
        with self.lock:
            row = self._member_row(member_id)
            return bool(row) and not (row["is_archived"] or row["is_inactive"])

    # ------------------------------------------------------------------ teams: read

    def _team_row(self, team_id: Any) -> sqlite3.Row | None:
        if not isinstance(team_id, str):
            return None
        return self._one("SELECT * FROM teams WHERE team_id=?", (team_id,))

    def team_row(self, team_id: str) -> sqlite3.Row:
        """The raw row of a team; :class:`NotFound` when there is none."""
        with self.lock:
            row = self._team_row(team_id)
            if row is None:
                raise NotFound(f"Team {team_id} not found")
            return row

    @staticmethod
    def team_json(row: sqlite3.Row) -> dict[str, Any]:
        """A team row as a ``GET /v2/teams`` list entry (§3.2; no ``members``)."""
        out: dict[str, Any] = {
            "teamId": row["team_id"],
            "name": row["name"],
            "description": row["description"],
            "visibility": row["visibility"],
            "isArchived": bool(row["is_archived"]),
            "createdBy": row["created_by"],
            "updatedBy": row["updated_by"],
            "createdAt": row["created_at"],
            "updatedAt": row["updated_at"],
        }
        if row["extra"]:
            for k, v in json.loads(row["extra"]).items():
                out.setdefault(k, v)
        return out

    def get_team(self, team_id: str) -> dict[str, Any]:
        """``GET /v2/teams/{teamId}``: the team with ``members`` (memberIds in insertion order)."""
        with self.lock:
            out = self.team_json(self.team_row(team_id))
            out["members"] = [r[0] for r in self._q(
                "SELECT member_id FROM team_members WHERE team_id=? ORDER BY seq", (team_id,))]
            return out

    def list_teams(
        self,
        *,
        name: str | None = None,
        description: str | None = None,
        visibility: str | None = None,
        after: int = 0,
        limit: int | None = None,
    ) -> tuple[list[dict[str, Any]], int | None, int]:
        """Teams in creation order, like :meth:`list_members`.

        ``name`` and ``description`` are exact, case-sensitive matches (§10.9
        left it open: exact is the strict choice); archived teams are listed.
        """
        where = ["seq > ?"]
        params: list[Any] = [after]
        for col, value in (("name", name), ("description", description), ("visibility", visibility)):
            if value is not None:
                where.append(f"{col} = ?")
                params.append(value)
        with self.lock:
            total = self._one(f"SELECT COUNT(*) FROM teams WHERE {' AND '.join(where[1:]) or '1'}", params[1:])[0]
            sql = f"SELECT * FROM teams WHERE {' AND '.join(where)} ORDER BY seq"
            if limit is not None:
                rows = self._q(sql + " LIMIT ?", [*params, limit + 1])
                more = len(rows) > limit
                rows = rows[:limit]
            else:
                rows = self._q(sql, params)
                more = False
        return [self.team_json(r) for r in rows], (rows[-1]["seq"] if more and rows else None), total

    def list_team_members(self, team_id: str, *, after: int = 0, limit: int = 50) -> tuple[list[dict[str, Any]], int | None, int]:
        """``GET /v2/teams/{teamId}/members`` entries ``{userId, isTeamAdmin, addedBy}``, paged."""
        with self.lock:
            self.team_row(team_id)
            total = self._one("SELECT COUNT(*) FROM team_members WHERE team_id=?", (team_id,))[0]
            rows = self._q(
                "SELECT * FROM team_members WHERE team_id=? AND seq > ? ORDER BY seq LIMIT ?",
                (team_id, after, limit + 1),
            )
        more = len(rows) > limit
        rows = rows[:limit]
        entries = [{"userId": r["member_id"], "isTeamAdmin": bool(r["is_team_admin"]), "addedBy": r["added_by"]}
                   for r in rows]
        return entries, (rows[-1]["seq"] if more else None), total

    def team_member_ids(self, team_id: str) -> list[str]:
        """memberIds of a team, in insertion order."""
        with self.lock:
            return [r[0] for r in self._q("SELECT member_id FROM team_members WHERE team_id=? ORDER BY seq", (team_id,))]

    # ------------------------------------------------------------------ teams: write

    def _refuse_scim_team(self, row: sqlite3.Row) -> None:
        """403 for REST edits of a SCIM-managed team (sigma-api.md §5.3; choice for §10.6)."""
        if row["scim_id"] is not None:
            raise Forbidden(f"Team {row['team_id']} is provisioned by SCIM; change it in the identity provider")

    def _check_team_name(self, name: Any, *, except_team: str | None = None) -> str:
        if not isinstance(name, str) or not name.strip():
            raise BadRequest("name is required")
        clash = self._one(
            "SELECT team_id FROM teams WHERE lower(name)=lower(?) AND team_id IS NOT ?", (name, except_team)
        )
        if clash is not None:
            raise Conflict("Duplicate record")
        return name

    def _touch_team(self, team_id: str, actor: str | None) -> None:
        self._x(
            "UPDATE teams SET updated_at=?, updated_by=COALESCE(?, updated_by), version=? WHERE team_id=?",
            (now_iso(), actor, self.next_version(), team_id),
        )

    def create_team(self, body: Mapping[str, Any], *, actor: str | None) -> dict[str, Any]:
        """``POST /v2/teams`` (§3.2): ``name`` (required; a name another team has, whatever
        its case, is 409 "Duplicate record": an inferred, strict rule), ``description``,
        ``members`` (active memberIds), ``visibility`` (``public``|``private``,
        default ``private``), ``createTeamFolder``. Returns the team with ``members``
        and ``workspaceId``.
        """
        allowed = {"name", "description", "members", "visibility", "createTeamFolder"}
        unknown = sorted(set(body) - allowed)
        if unknown:
            raise BadRequest(f"Unknown field(s) in team: {', '.join(unknown)}")
        visibility = body.get("visibility", "private")
        if visibility not in ("public", "private"):
            raise BadRequest("visibility must be public or private")
        members = body.get("members") or []
        if not isinstance(members, list):
            raise BadRequest("members must be a list of memberIds")
        with self.transaction():
            name = self._check_team_name(body.get("name"))
            for m in members:
                self._active_member(m, "Member")
            team_id = self.new_uuid()
            stamp = now_iso()
            workspace = self.new_uuid() if body.get("createTeamFolder") else None
            self._x(
                "INSERT INTO teams(team_id,name,description,visibility,created_by,updated_by,created_at,"
                "updated_at,workspace_id,version) VALUES (?,?,?,?,?,?,?,?,?,?)",
                (team_id, name, body.get("description"), visibility, actor, actor, stamp, stamp,
                 workspace, self.next_version()),
            )
            for m in dict.fromkeys(members):
                self._x("INSERT INTO team_members(team_id,member_id,added_by) VALUES (?,?,?)", (team_id, m, actor))
            out = self.get_team(team_id)
            out["workspaceId"] = workspace
            return out

    def update_team(self, team_id: str, body: Mapping[str, Any], *, actor: str | None) -> dict[str, Any]:
        """``PATCH /v2/teams/{teamId}``: ``name``, ``description``, ``visibility``.

        A SCIM-managed team is 403; a duplicate name 409 "Duplicate record".
        """
        allowed = {"name", "description", "visibility"}
        unknown = sorted(set(body) - allowed)
        if unknown:
            raise BadRequest(f"Unknown field(s) in team update: {', '.join(unknown)}")
        with self.transaction():
            row = self.team_row(team_id)
            self._refuse_scim_team(row)
            sets: dict[str, Any] = {}
            if "name" in body:
                sets["name"] = self._check_team_name(body["name"], except_team=team_id)
            if "description" in body:
                sets["description"] = body["description"]
            if "visibility" in body:
                if body["visibility"] not in ("public", "private"):
                    raise BadRequest("visibility must be public or private")
                sets["visibility"] = body["visibility"]
            if sets:
                sets.update(updated_at=now_iso(), version=self.next_version())
                if actor:
                    sets["updated_by"] = actor
                assign = ", ".join(f"{c}=?" for c in sets)
                self._x(f"UPDATE teams SET {assign} WHERE team_id=?", [*sets.values(), team_id])
            return self.get_team(team_id)

    def delete_team(self, team_id: str, *, via_scim: bool = False) -> None:
        """``DELETE /v2/teams/{teamId}`` (403 when SCIM-managed), or SCIM ``DELETE /Groups/{id}``."""
        with self.transaction():
            row = self.team_row(team_id)
            if not via_scim:
                self._refuse_scim_team(row)
            self._x("DELETE FROM team_members WHERE team_id=?", (team_id,))
            self._x("DELETE FROM teams WHERE team_id=?", (team_id,))

    def change_team_members(self, team_id: str, add: Any, remove: Any, *, actor: str | None) -> None:
        """``PATCH /v2/teams/{teamId}/members`` with ``{add: [memberId], remove: [memberId]}`` (§3.3).

        - unknown member: 404; the same id in ``add`` and ``remove``, or more than
          :data:`MAX_TEAM_MEMBER_CHANGES` ids: 400;
        - inactive or archived members can be neither added nor removed: 400 (§3.3);
        - adding a member already in the team, or removing one who is not: 400
          (§10.9 unknown; strict choice: clients diff first, sigma-api.md §7);
        - a SCIM-managed team: ``add`` and removing a SCIM-managed member are 403;
          removing a member who is not SCIM-managed is allowed, the cleanup
          Sigma's SCIM FAQ recommends for pre-SCIM leftovers (§3.3, §5.4).
        All or nothing.
        """
        add = [] if add is None else add
        remove = [] if remove is None else remove
        if not isinstance(add, list) or not isinstance(remove, list) or not all(
            isinstance(x, str) for x in [*add, *remove]
        ):
            raise BadRequest("add and remove must be lists of memberIds")
        if len(add) + len(remove) > MAX_TEAM_MEMBER_CHANGES:
            raise BadRequest(f"At most {MAX_TEAM_MEMBER_CHANGES} member ids per request")
        both = set(add) & set(remove)
        if both:
            raise BadRequest(f"Member {sorted(both)[0]} is in both add and remove")
        with self.transaction():
            team = self.team_row(team_id)
            current = set(self.team_member_ids(team_id))
            for member_id in [*add, *remove]:
                row = self._member_row(member_id)
                if row is None:
                    raise NotFound(f"Member {member_id} not found")
                if row["is_inactive"] or row["is_archived"]:
                    raise BadRequest(f"Member {member_id} is inactive and cannot be added to or removed from a team")
            if team["scim_id"] is not None:
                if add:
                    self._refuse_scim_team(team)
                for member_id in remove:
                    if self._member_row(member_id)["scim_id"] is not None:
                        raise Forbidden(
                            f"Team {team_id} is provisioned by SCIM; member {member_id} is managed by the identity provider"
                        )
            for member_id in add:
                if member_id in current:
                    raise BadRequest(f"Member {member_id} is already in team {team_id}")
            for member_id in remove:
                if member_id not in current:
                    raise BadRequest(f"Member {member_id} is not in team {team_id}")
            for member_id in dict.fromkeys(add):
                self._x("INSERT INTO team_members(team_id,member_id,added_by) VALUES (?,?,?)", (team_id, member_id, actor))
            for member_id in remove:
                self._x("DELETE FROM team_members WHERE team_id=? AND member_id=?", (team_id, member_id))
            if add or remove:
                self._touch_team(team_id, actor)

    # ------------------------------------------------------------------ SCIM users

    _LISTED_PRE_SCIM = (
        "(scim_id IS NULL AND scim_created IS NULL AND user_kind != 'guest' AND member_id != ? AND email_key != ? "
        "AND member_id NOT IN (SELECT scim_id FROM members WHERE scim_id IS NOT NULL))"
    )
    """Members SCIM lists though no IdP provisioned them (docs/sandbox.md "pre-SCIM members"):
    not guests (SCIM cannot manage them, §5.3), not the scheduler robot, not a member SCIM
    deprovisioned (``DELETE /Users``: the resource is gone), and not a memberId a renamed user's
    SCIM id already designates."""

    def scim_user_row(self, scim_id: str) -> sqlite3.Row | None:
        """The member SCIM id ``scim_id`` designates: the SCIM-managed member with that SCIM id,
        else a listed pre-SCIM member whose memberId it is; ``None`` when neither exists."""
        with self.lock:
            row = self._one("SELECT * FROM members WHERE scim_id=?", (scim_id,))
            if row is None:
                row = self._one(
                    f"SELECT * FROM members WHERE member_id=? AND {self._LISTED_PRE_SCIM}",
                    (scim_id, SCHEDULER_ROBOT_MEMBER_ID, SCHEDULER_ROBOT_EMAIL),
                )
            return row

    def scim_user_rows(self, *, user_name: str | None = None) -> list[sqlite3.Row]:
        """Every member SCIM lists: the SCIM-managed ones and the pre-SCIM ones (see
        :attr:`_LISTED_PRE_SCIM`); all, or those whose email key is ``user_name``'s."""
        listed = f"(scim_id IS NOT NULL OR {self._LISTED_PRE_SCIM})"
        robot = (SCHEDULER_ROBOT_MEMBER_ID, SCHEDULER_ROBOT_EMAIL)
        with self.lock:
            if user_name is not None:
                return self._q(
                    f"SELECT * FROM members WHERE {listed} AND email_key=? ORDER BY seq",
                    (*robot, sigma_email_key(user_name)),
                )
            return self._q(f"SELECT * FROM members WHERE {listed} ORDER BY seq", robot)

    def scim_create_user(self, attrs: Mapping[str, Any]) -> sqlite3.Row:
        """SCIM ``POST /Users`` after validation (:mod:`planner.sandbox.scim_storage`).

        ``attrs``: ``user_name``, ``first_name``, ``last_name``, ``member_type``
        (already validated), ``user_kind``, ``active``, ``scim_json`` (other
        SCIM attributes, JSON text).

        A member whose email has the key of ``userName`` is **linked** (§5.3)
        and takes the IdP's account type, names, activity and userKind; its
        memberId becomes the SCIM id. Refused: a member already SCIM-managed
        (:class:`Conflict` "uniqueness"), a guest (:class:`Conflict`: guests
        cannot be SCIM-managed, §5.3), an archived member (:class:`Conflict`:
        reactivate it with REST ``isArchived: false`` first; a strict choice).
        Otherwise a new member is created, its memberId being the SCIM id.
        """
        with self.transaction():
            rows = self._q("SELECT * FROM members WHERE email_key=? ORDER BY seq", (sigma_email_key(attrs["user_name"]),))
            stamp = now_iso()
            actor = self.scim_owner_id
            if any(r["scim_id"] is not None for r in rows):
                raise Conflict(f"userName {attrs['user_name']} is already provisioned")
            if len(rows) > 1:
                raise Conflict(f"userName {attrs['user_name']} matches {len(rows)} members")
            if rows:
                row = rows[0]
                if row["user_kind"] == "guest":
                    raise Conflict(
                        f"Member {row['member_id']} is a guest; guest users cannot be managed with SCIM"
                    )
                if row["is_archived"]:
                    raise Conflict(
                        f"Member {row['member_id']} is archived; reactivate it (isArchived: false) before linking"
                    )
                # The SCIM id is the memberId, unless a renamed user already took it
                # (a userName change moves the SCIM id to a new member).
                scim_id = row["member_id"]
                if self._one("SELECT 1 FROM members WHERE scim_id=?", (scim_id,)):
                    scim_id = self.new_member_id()
                sets = {
                    "scim_id": scim_id, "scim_json": attrs["scim_json"], "scim_created": stamp,
                    "first_name": attrs["first_name"], "last_name": attrs["last_name"],
                    "member_type": attrs["member_type"], "user_kind": attrs["user_kind"],
                    "is_inactive": int(not attrs["active"]),
                }
                self._update_member_columns(row["member_id"], sets, actor)
                return self._member_row(row["member_id"])
            member_id = self.new_member_id()
            self._insert_scim_member(member_id, member_id, attrs, stamp, stamp, actor)
            return self._member_row(member_id)

    def _insert_scim_member(self, member_id: str, scim_id: str, attrs: Mapping[str, Any],
                            stamp: str, scim_created: str, actor: str | None) -> None:
        self._x(
            "INSERT INTO members(member_id,organization_id,email,email_key,first_name,last_name,member_type,"
            "user_kind,is_inactive,created_by,updated_by,created_at,updated_at,home_folder_id,scim_id,scim_json,"
            "scim_created,version) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            (member_id, self.organization_id, attrs["user_name"], sigma_email_key(attrs["user_name"]),
             attrs["first_name"], attrs["last_name"], attrs["member_type"], attrs["user_kind"],
             int(not attrs["active"]), actor or member_id, actor or member_id, stamp, stamp,
             self.new_uuid(), scim_id, attrs["scim_json"], scim_created, self.next_version()),
        )

    def _check_version(self, row: sqlite3.Row, expected_version: int | None) -> None:
        if expected_version is not None and row["version"] != expected_version:
            raise PreconditionFailed("The resource changed since the given version")

    def scim_update_user(self, scim_id: str, attrs: Mapping[str, Any], *, expected_version: int | None) -> sqlite3.Row:
        """SCIM PUT/PATCH result for user ``scim_id`` (``attrs`` as :meth:`scim_create_user`).

        Same userName key: names, account type, userKind, activity
        (``active: false`` makes the member inactive, §5.3) and the other SCIM
        attributes are updated; the member's email keeps its spelling.

        A **userName change creates a new member** (§5.3): the old member is left
        behind, unlinked and unchanged (still active, still in its teams); a new
        member with the new email takes over the SCIM id, so the IdP keeps
        addressing the same resource. A new userName that is any other member's
        email is a :class:`Conflict` (uniqueness).
        """
        with self.transaction():
            row = self._one("SELECT * FROM members WHERE scim_id=?", (scim_id,))
            if row is None:
                raise NotFound(f"User {scim_id} not found")
            self._check_version(row, expected_version)
            actor = self.scim_owner_id
            sets = {
                "first_name": attrs["first_name"], "last_name": attrs["last_name"],
                "member_type": attrs["member_type"], "user_kind": attrs["user_kind"],
                "is_inactive": int(not attrs["active"]), "scim_json": attrs["scim_json"],
            }
            if sigma_email_key(attrs["user_name"]) == row["email_key"]:
                self._update_member_columns(row["member_id"], sets, actor)
                return self._member_row(row["member_id"])
            if self._one("SELECT 1 FROM members WHERE email_key=?", (sigma_email_key(attrs["user_name"]),)):
                raise Conflict(f"userName {attrs['user_name']} is already used by another member")
            self._update_member_columns(
                row["member_id"], {"scim_id": None, "scim_json": None, "scim_created": None}, actor
            )
            member_id = self.new_member_id()
            self._insert_scim_member(member_id, scim_id, attrs, now_iso(), row["scim_created"], actor)
            return self._member_row(member_id)

    def scim_delete_user(self, scim_id: str, *, expected_version: int | None) -> None:
        """SCIM ``DELETE /Users/{id}``: the member becomes inactive and is unlinked (§5.3).

        Sigma never deletes members (§2.1); the SCIM resource is gone (404
        afterwards), the member stays, inactive, with its documents handed to
        the SCIM admin (the acting admin of an IdP deactivation, §5.3).
        """
        with self.transaction():
            row = self._one("SELECT * FROM members WHERE scim_id=?", (scim_id,))
            if row is None:
                raise NotFound(f"User {scim_id} not found")
            self._check_version(row, expected_version)
            if self.scim_owner_id != row["member_id"]:
                self._move_documents(row["member_id"], self.scim_owner_id, False)
            self._update_member_columns(
                row["member_id"],
                {"scim_id": None, "scim_json": None, "is_inactive": 1},  # scim_created kept: deprovisioned, not listed
                self.scim_owner_id,
            )

    # ------------------------------------------------------------------ SCIM groups

    _LISTED_PRE_SCIM_TEAM = (
        "(scim_id IS NULL AND is_archived=0 AND team_id NOT IN (SELECT scim_id FROM teams WHERE scim_id IS NOT NULL))"
    )
    """Teams SCIM lists though no IdP group is linked to them (Okta's "Link Group" reads them)."""

    def scim_group_row(self, scim_id: str) -> sqlite3.Row | None:
        """The team SCIM id ``scim_id`` designates: the SCIM-managed team with that SCIM id, else a
        listed pre-SCIM team whose teamId it is; ``None`` when neither exists."""
        with self.lock:
            row = self._one("SELECT * FROM teams WHERE scim_id=?", (scim_id,))
            if row is None:
                row = self._one(f"SELECT * FROM teams WHERE team_id=? AND {self._LISTED_PRE_SCIM_TEAM}", (scim_id,))
            return row

    def scim_group_rows(self, *, display_name: str | None = None) -> list[sqlite3.Row]:
        """Every team SCIM lists (SCIM-managed and pre-SCIM, see :attr:`_LISTED_PRE_SCIM_TEAM`); all, or
        those named ``display_name``, case-insensitively."""
        listed = f"(scim_id IS NOT NULL OR {self._LISTED_PRE_SCIM_TEAM})"
        with self.lock:
            if display_name is not None:
                return self._q(
                    f"SELECT * FROM teams WHERE {listed} AND lower(name)=lower(?) ORDER BY seq",
                    (display_name,),
                )
            return self._q(f"SELECT * FROM teams WHERE {listed} ORDER BY seq")

    def scim_group_members(self, team_id: str) -> list[sqlite3.Row]:
        """SCIM-managed members of a team: ``(scim_id, email)`` rows, in insertion order.

        Members who are not SCIM-managed (pre-SCIM leftovers) are not SCIM
        resources, so the SCIM Group does not list them; REST does.
        """
        with self.lock:
            return self._q(
                "SELECT m.scim_id, m.email FROM team_members tm JOIN members m ON m.member_id=tm.member_id "
                "WHERE tm.team_id=? AND m.scim_id IS NOT NULL ORDER BY tm.seq",
                (team_id,),
            )

    def _member_ids_of_scim_users(self, scim_ids: list[str]) -> list[str]:
        out = []
        for scim_id in scim_ids:
            row = self._one("SELECT member_id FROM members WHERE scim_id=?", (scim_id,))
            if row is None:
                raise BadRequest(f"Group member {scim_id} is not a provisioned user")
            out.append(row["member_id"])
        return list(dict.fromkeys(out))

    def _set_scim_members(self, team_id: str, scim_ids: list[str]) -> None:
        """Make the SCIM-managed part of a team's members exactly ``scim_ids``; leftovers stay."""
        wanted = self._member_ids_of_scim_users(scim_ids)
        current = [r["member_id"] for r in self._q(
            "SELECT tm.member_id FROM team_members tm JOIN members m ON m.member_id=tm.member_id "
            "WHERE tm.team_id=? AND m.scim_id IS NOT NULL", (team_id,))]
        for member_id in set(current) - set(wanted):
            self._x("DELETE FROM team_members WHERE team_id=? AND member_id=?", (team_id, member_id))
        for member_id in wanted:
            self._x(
                "INSERT OR IGNORE INTO team_members(team_id,member_id,added_by) VALUES (?,?,?)",
                (team_id, member_id, self.scim_owner_id),
            )

    def scim_create_group(self, display_name: str, member_scim_ids: list[str], scim_json: str) -> sqlite3.Row:
        """SCIM ``POST /Groups``: link the team named exactly ``display_name``, or create one.

        Linking (§5.3, §6.1 "Link Group") makes the team SCIM-managed, its
        teamId the SCIM id, and adds the group's members; members already in
        the team who are not in the group stay (the leftovers Sigma's SCIM FAQ
        describes, §5.4; §10.12 says full replacement is not guaranteed, so the
        sandbox keeps them, the stricter case for the planner). Refused with
        :class:`Conflict`: a team of that name already SCIM-managed, or a team
        whose name differs only by letter case (links need the exact name).
        """
        with self.transaction():
            rows = self._q("SELECT * FROM teams WHERE lower(name)=lower(?) ORDER BY seq", (display_name,))
            stamp = now_iso()
            if rows:
                exact = [r for r in rows if r["name"] == display_name]
                if not exact:
                    raise Conflict(f"Team {rows[0]['name']!r} differs from displayName {display_name!r} only by case")
                team = exact[0]
                if team["scim_id"] is not None:
                    raise Conflict(f"Group {display_name!r} is already provisioned")
                self._x(
                    "UPDATE teams SET scim_id=?, scim_json=?, scim_created=?, updated_at=?, version=? WHERE team_id=?",
                    (team["team_id"], scim_json, stamp, stamp, self.next_version(), team["team_id"]),
                )
                team_id = team["team_id"]
                wanted = self._member_ids_of_scim_users(member_scim_ids)
                for member_id in wanted:
                    self._x(
                        "INSERT OR IGNORE INTO team_members(team_id,member_id,added_by) VALUES (?,?,?)",
                        (team_id, member_id, self.scim_owner_id),
                    )
            else:
                team_id = self.new_uuid()
                self._x(
                    "INSERT INTO teams(team_id,name,visibility,created_by,updated_by,created_at,updated_at,"
                    "scim_id,scim_json,scim_created,version) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                    (team_id, display_name, "private", self.scim_owner_id, self.scim_owner_id, stamp, stamp,
                     team_id, scim_json, stamp, self.next_version()),
                )
                self._set_scim_members(team_id, member_scim_ids)
            return self._team_row(team_id)

    def scim_update_group(self, scim_id: str, display_name: str, member_scim_ids: list[str], scim_json: str,
                          *, expected_version: int | None) -> sqlite3.Row:
        """SCIM PUT/PATCH result for group ``scim_id``: rename the team, set its SCIM-managed members.

        A displayName another team has (whatever its case) is a :class:`Conflict`.
        """
        with self.transaction():
            team = self._one("SELECT * FROM teams WHERE scim_id=?", (scim_id,))
            if team is None:
                raise NotFound(f"Group {scim_id} not found")
            self._check_version(team, expected_version)
            if display_name != team["name"]:
                self._check_team_name(display_name, except_team=team["team_id"])
            self._x(
                "UPDATE teams SET name=?, scim_json=?, updated_at=?, updated_by=COALESCE(?, updated_by), version=? "
                "WHERE team_id=?",
                (display_name, scim_json, now_iso(), self.scim_owner_id, self.next_version(), team["team_id"]),
            )
            self._set_scim_members(team["team_id"], member_scim_ids)
            return self._team_row(team["team_id"])

    def scim_delete_group(self, scim_id: str, *, expected_version: int | None) -> None:
        """SCIM ``DELETE /Groups/{id}``: the team is deleted, as REST ``DELETE /v2/teams`` does."""
        with self.transaction():
            team = self._one("SELECT * FROM teams WHERE scim_id=?", (scim_id,))
            if team is None:
                raise NotFound(f"Group {scim_id} not found")
            self._check_version(team, expected_version)
            self.delete_team(team["team_id"], via_scim=True)

    # ------------------------------------------------------------------ inspection

    def counts(self) -> dict[str, int]:
        """Row counts: members, active, archived, inactive, scim_users, teams, scim_groups, team_members."""
        with self.lock:
            r = self._one(
                "SELECT COUNT(*), SUM(is_archived=0 AND is_inactive=0), SUM(is_archived), SUM(is_inactive), "
                "SUM(scim_id IS NOT NULL) FROM members"
            )
            t = self._one("SELECT COUNT(*), SUM(scim_id IS NOT NULL) FROM teams")
            tm = self._one("SELECT COUNT(*) FROM team_members")
            return {
                "members": r[0], "active": r[1] or 0, "archived": r[2] or 0, "inactive": r[3] or 0,
                "scim_users": r[4] or 0, "teams": t[0], "scim_groups": t[1] or 0, "team_members": tm[0],
            }


def _scim_extra(resource: Mapping[str, Any]) -> dict[str, Any]:
    """The SCIM attributes Sigma does not model (kept verbatim), without id and meta."""
    return {k: v for k, v in resource.items() if k not in ("id", "meta")}
