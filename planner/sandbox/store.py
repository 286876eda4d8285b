"""The sandbox state's plumbing: the SQLite tables, the lock and transactions, ids, errors.

:class:`Store` is the base of every resource of :class:`planner.sandbox.state.SandboxState`
(members, teams, account types, documents, SCIM users and groups, each in its own module
under ``planner/sandbox/``); the resources share its one connection and lock.

Tables (SQLite, one connection guarded by one re-entrant lock, so the state is
safe to share between the threads of the server):

- ``members``: one row per member (docs/sigma-api.md §2.2), plus the SCIM link
  (``scim_id``, ``scim_json``: the SCIM attributes Sigma does not model,
  ``scim_created``) and ``version`` (bumped on every change, the SCIM ETag).
- ``teams``: one row per team (§3.2), with the same SCIM link columns.
- ``team_members``: ``(team_id, member_id, is_team_admin, added_by)`` (§3.3).
- ``account_types``: ``(account_type_id, name, description, is_custom)`` (§4.1).
- ``document_counts``: how many documents each member owns and how many of
  theirs were archived, so a hand-off on deactivation (``newOwnerId``,
  ``archiveDocuments``, §2.5/§2.6) is observable.

Failures raise :class:`StateError` subclasses carrying the HTTP status, the ``code``
and the ``message`` of Sigma's error envelope (§2.7).
"""

from __future__ import annotations

import base64
import datetime as _dt
import itertools
import random
import re
import sqlite3
import string
import threading
import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any


def sigma_email_key(address: str | None) -> str:
    """How the sandbox compares member emails and SCIM userNames: letter case aside, nothing else.

    No trimming, no Unicode folding: the strictest plausible reading of Sigma's "same email"
    (docs/sigma-api.md §5.3 links by email; §10.11 the REST filter is exact but for case). So a member
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


# --------------------------------------------------------------------------- the store


class Store:
    """The SQLite database of one emulated organization, its lock, ids and versions.

    :param db_path: SQLite file, or ``":memory:"`` (the default: fastest, gone on exit).
    :param organization_id: ``organizationId`` of new members; by default the one
        most members of the seed carry (of the database, when it is reopened: :attr:`reopened`), else a new UUID.
    :param default_account_type: account type name given to members created
        without ``memberType``; see :attr:`planner.sandbox.account_types.AccountTypes.default_account_type`.
    :param rng_seed: seed of the id generator, for reproducible ids.

    Every public method of a resource takes the lock; :meth:`transaction` holds it across
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
        self.reopened = existing is not None and self._db.execute(
            "SELECT EXISTS(SELECT 1 FROM members) OR EXISTS(SELECT 1 FROM teams) OR EXISTS(SELECT 1 FROM account_types)"
        ).fetchone()[0] == 1
        """Whether ``db_path`` held a sandbox's state already (a member, team or account type): it is reopened as
        it was left and never seeded again (:class:`planner.sandbox.server.SandboxServer`; tester14b #6)."""
        if self.reopened and organization_id is None:  # the organizationId the seed gave most members
            found = self._db.execute(
                "SELECT organization_id FROM members WHERE organization_id IS NOT NULL GROUP BY organization_id "
                "ORDER BY COUNT(*) DESC, organization_id LIMIT 1").fetchone()
            organization_id = found[0] if found is not None else None
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

    def check_version(self, row: sqlite3.Row, expected_version: int | None) -> None:
        """:class:`PreconditionFailed` unless ``row`` has the SCIM version (ETag) the client expected."""
        if expected_version is not None and row["version"] != expected_version:
            raise PreconditionFailed("The resource changed since the given version")

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
