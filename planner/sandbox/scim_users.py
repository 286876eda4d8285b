"""SCIM Users of the sandbox (docs/sigma-api.md §5): members an IdP provisions, links, renames and deprovisions.

The SCIM side (:mod:`planner.sandbox.scim_storage`) validates the SCIM resources
(scim2-models) and calls these with plain attributes; the rules of what a SCIM
write does to a member live here.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping
from typing import Any

from ..model import SCHEDULER_ROBOT_EMAIL, SCHEDULER_ROBOT_MEMBER_ID
from .store import Conflict, NotFound, Store, now_iso, sigma_email_key


class ScimUsers(Store):
    """SCIM-managed members: the ``scim_id``/``scim_json``/``scim_created`` columns of ``members``."""

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

    def scim_user_rows(self, *, user_name: str | None = None, external_id: str | None = None) -> list[sqlite3.Row]:
        """Every member SCIM lists: the SCIM-managed ones and the pre-SCIM ones (see
        :attr:`_LISTED_PRE_SCIM`); all, or those whose email key is ``user_name``'s, or the SCIM-managed ones
        whose stored ``externalId`` is ``external_id`` exactly (case-exact, RFC 7643 §3.1)."""
        listed = f"(scim_id IS NOT NULL OR {self._LISTED_PRE_SCIM})"
        robot = (SCHEDULER_ROBOT_MEMBER_ID, SCHEDULER_ROBOT_EMAIL)
        with self.lock:
            if external_id is not None:
                return self._q(
                    f"SELECT * FROM members WHERE {listed} AND scim_id IS NOT NULL "
                    "AND json_extract(scim_json, '$.externalId') = ? ORDER BY seq",
                    (*robot, external_id),
                )
            if user_name is not None:
                return self._q(
                    f"SELECT * FROM members WHERE {listed} AND email_key=? ORDER BY seq",
                    (*robot, sigma_email_key(user_name)),
                )
            return self._q(f"SELECT * FROM members WHERE {listed} ORDER BY seq", robot)

    def scim_user_page(self, offset: int, limit: int | None) -> tuple[int, list[sqlite3.Row]]:
        """``(how many members SCIM lists, the listed members from the 0-based ``offset`` on, at most ``limit``
        of them)`` in :meth:`scim_user_rows`'s order (``limit`` ``None``: to the end), read under one lock.

        Only the page's rows are read (SQLite counts the others): a page of an unfiltered, unsorted
        ``GET /Users`` costs its own rows, not the listing's (tester8 finding 25).
        """
        listed = f"(scim_id IS NOT NULL OR {self._LISTED_PRE_SCIM})"
        robot = (SCHEDULER_ROBOT_MEMBER_ID, SCHEDULER_ROBOT_EMAIL)
        with self.lock:
            total = self._one(f"SELECT count(*) AS n FROM members WHERE {listed}", robot)["n"]
            rows = self._q(f"SELECT * FROM members WHERE {listed} ORDER BY seq LIMIT ? OFFSET ?",
                           (*robot, -1 if limit is None else limit, offset))
            return total, rows

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
                self._hand_documents_if_deactivated(row, attrs["active"])
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

    def _hand_documents_if_deactivated(self, row: sqlite3.Row, active: bool) -> None:
        """A SCIM write that makes active member ``row`` inactive (``active: false``, ``DELETE /Users``)
        hands its documents to the SCIM admin (:attr:`scim_owner_id`, the admin whose token the IdP
        uses): Sigma gives a member the IdP deactivates to the provisioning admin (docs/sigma-api.md
        §5.3, from Sigma's S-DEACT and S-SCIM-OKTA pages); one rule for every SCIM path. A member
        already inactive or archived, or the SCIM admin themselves, keeps what it owns; a reactivation
        gives nothing back (as a REST reactivation does not, §2.5)."""
        if active or row["is_inactive"] or row["is_archived"] or self.scim_owner_id in (None, row["member_id"]):
            return
        self._move_documents(row["member_id"], self.scim_owner_id, False)

    def scim_update_user(self, scim_id: str, attrs: Mapping[str, Any], *, expected_version: int | None) -> sqlite3.Row:
        """SCIM PUT/PATCH result for user ``scim_id`` (``attrs`` as :meth:`scim_create_user`).

        Same userName key: names, account type, userKind, activity
        (``active: false`` makes the member inactive, its documents going to the SCIM admin, §5.3:
        :meth:`_hand_documents_if_deactivated`) and the other SCIM
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
            self.check_version(row, expected_version)
            actor = self.scim_owner_id
            sets = {
                "first_name": attrs["first_name"], "last_name": attrs["last_name"],
                "member_type": attrs["member_type"], "user_kind": attrs["user_kind"],
                "is_inactive": int(not attrs["active"]), "scim_json": attrs["scim_json"],
            }
            if sigma_email_key(attrs["user_name"]) == row["email_key"]:
                self._hand_documents_if_deactivated(row, attrs["active"])
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
            self.check_version(row, expected_version)
            self._hand_documents_if_deactivated(row, False)
            self._update_member_columns(
                row["member_id"],
                {"scim_id": None, "scim_json": None, "is_inactive": 1},  # scim_created kept: deprovisioned, not listed
                self.scim_owner_id,
            )
