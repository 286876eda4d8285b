"""Members of the sandbox organization over REST (docs/sigma-api.md §2): reading, creating, updating, archiving.

Request bodies are validated by :mod:`planner.sandbox.request_models`; the rules that need the
organization (account types, free emails, active members, SCIM-managed members) live here.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Mapping
from typing import Any

from ..model import SCHEDULER_ROBOT_EMAIL, SCHEDULER_ROBOT_MEMBER_ID
from .request_models import MemberCreate, MemberUpdate, parse_request
from .store import BadRequest, Conflict, Forbidden, NotFound, Store, now_iso, sigma_email_key


class Members(Store):
    """The ``members`` table as Sigma's REST member object; the REST writes to it."""

    # ------------------------------------------------------------------ read

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
        """A member row as the REST member object (docs/sigma-api.md §2.2, key order of §8.1).

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

    # ------------------------------------------------------------------ write

    def _refuse_scim_managed(self, row: sqlite3.Row) -> None:
        """403 for REST writes to a SCIM-managed member (docs/sigma-api.md §5.3; choice for §10.6)."""
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
        """``POST /v2/members`` (docs/sigma-api.md §2.4); returns the new member.

        ``body``: :class:`~planner.sandbox.request_models.MemberCreate` (400 for its shape).
        Then: ``memberType`` an existing account type, exact, else 404 "Member type name is
        not found" (absent = :attr:`default_account_type`); an email already used by any
        member, archived ones included, is 409 with ``member-id=<id>`` in the message
        (Sigma's quickstart parses it); every ``addToTeams`` team exists (404) and is not
        SCIM-managed (403).
        """
        request = parse_request(MemberCreate, body)
        with self.transaction():
            member_type = (
                self.check_account_type(request.memberType) if request.given("memberType")
                else self.default_account_type
            )
            existing = self.members_by_email(request.email)
            if existing:
                raise Conflict(
                    f"A member with email {request.email} already exists: member-id={existing[0]['member_id']}"
                )
            teams = request.addToTeams or []
            for t in teams:
                team = self._team_row(t.teamId)
                if team is None:
                    raise NotFound(f"Team {t.teamId} not found")
                self._refuse_scim_team(team)
            member_id = self.new_member_id()
            stamp = now_iso()
            self._x(
                "INSERT INTO members(member_id,organization_id,email,email_key,first_name,last_name,member_type,"
                "user_kind,created_by,updated_by,created_at,updated_at,home_folder_id,version) "
                "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                (member_id, self.organization_id, request.email, sigma_email_key(request.email), request.firstName,
                 request.lastName, member_type, request.user_kind, actor or member_id, actor or member_id,
                 stamp, stamp, self.new_uuid(), self.next_version()),
            )
            for t in teams:
                self._x(
                    "INSERT OR IGNORE INTO team_members(team_id,member_id,is_team_admin,added_by) VALUES (?,?,?,?)",
                    (t.teamId, member_id, int(t.isTeamAdmin), actor),
                )
                self._touch_team(t.teamId, actor)
            return self.get_member(member_id)

    def update_member(self, member_id: str, body: Mapping[str, Any], *, actor: str | None) -> dict[str, Any]:
        """``PATCH /v2/members/{memberId}`` (docs/sigma-api.md §2.5); returns the updated member.

        Rules, in order:

        - the body's shape: :class:`~planner.sandbox.request_models.MemberUpdate` (400;
          unknown fields first);
        - no such member: 404;
        - SCIM-managed member: 403 for every field (choice for §10.6). A member
          never linked to SCIM stays editable, in particular ``isArchived``,
          Sigma's documented way to deactivate pre-SCIM users (§2.5, S-SCIM);
        - ``isInactive``: 400, it is set by the identity provider only (choice
          for §10.13);
        - ``memberType``: an existing account type name, exact, else 404
          "Member type name is not found" (§2.7);
        - ``email``: used by no other member, else 409 "Duplicate record";
        - ``isArchived: true``: documents go to ``newOwnerId`` (an active
          member other than this one), are archived with ``archiveDocuments``,
          or go to the credential owner when neither is given (as DELETE, §2.6);
        - ``isArchived: false`` reactivates, unless an active member has its email (409).
        """
        request = parse_request(MemberUpdate, body)
        with self.transaction():
            row = self.member_row(member_id)
            self._refuse_scim_managed(row)
            if request.given("isInactive"):
                raise BadRequest("isInactive is set by the identity provider through SCIM, not by the REST API")
            sets: dict[str, Any] = {}
            if request.given("memberType"):
                sets["member_type"] = self.check_account_type(request.memberType)
            for key, col in (("firstName", "first_name"), ("lastName", "last_name"),
                             ("profileImgUrl", "profile_img_url"), ("userKind", "user_kind")):
                if request.given(key):
                    sets[col] = getattr(request, key)
            if request.given("email"):
                clash = [r for r in self.members_by_email(request.email) if r["member_id"] != member_id]
                if clash:
                    raise Conflict("Duplicate record")
                sets["email"] = request.email
                sets["email_key"] = sigma_email_key(request.email)
            if request.isArchived and not row["is_archived"]:
                new_owner = None
                if request.given("newOwnerId"):
                    if request.newOwnerId == member_id:
                        raise BadRequest("newOwnerId must be another member")
                    new_owner = self._active_member(request.newOwnerId, "newOwnerId")["member_id"]
                elif not request.archiveDocuments:
                    new_owner = self.credential_owner_id
                self._move_documents(member_id, new_owner, request.archiveDocuments)
                sets["is_archived"] = 1
            elif request.given("isArchived") and not request.isArchived and row["is_archived"]:
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

    def holds_scim_token(self, member_id: str | None) -> bool:
        """True when the member can still hold the SCIM token they set up: active and of the Admin account
        type (any case). Sigma ties the token to that admin: deactivated, unassigned or of another account
        type, the IdP's pushes fail (docs/sigma-api.md §5.1)."""
        if member_id is None:
            return False
        with self.lock:
            row = self._member_row(member_id)
            return bool(row) and not (row["is_archived"] or row["is_inactive"]) and (
                str(row["member_type"]).casefold() == "admin")
