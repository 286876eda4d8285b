"""Teams of the sandbox organization over REST (docs/sigma-api.md §3): reading, creating, updating,
deleting, and their members.

Request bodies are validated by :mod:`planner.sandbox.request_models`; the rules that need the
organization (names, active members, SCIM-managed teams) live here.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Mapping
from typing import Any

from .request_models import TeamCreate, TeamMembersChange, TeamUpdate, parse_request
from .store import BadRequest, Conflict, Forbidden, NotFound, Store, now_iso


class Teams(Store):
    """The ``teams`` and ``team_members`` tables as Sigma's REST team objects; the REST writes to them."""

    # ------------------------------------------------------------------ read

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

    # ------------------------------------------------------------------ write

    def _refuse_scim_team(self, row: sqlite3.Row) -> None:
        """403 for REST edits of a SCIM-managed team (docs/sigma-api.md §5.3; choice for §10.6)."""
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
        """``POST /v2/teams`` (§3.2); returns the team with ``members`` and ``workspaceId``.

        ``body``: :class:`~planner.sandbox.request_models.TeamCreate` (400 for its shape). Then:
        a name another team has, whatever its case, is 409 "Duplicate record" (an inferred,
        strict rule); every member is an active member (404 unknown, 400 archived or inactive).
        """
        request = parse_request(TeamCreate, body)
        with self.transaction():
            name = self._check_team_name(request.name)
            members = request.members or []
            for m in members:
                self._active_member(m, "Member")
            team_id = self.new_uuid()
            stamp = now_iso()
            workspace = self.new_uuid() if request.createTeamFolder else None
            self._x(
                "INSERT INTO teams(team_id,name,description,visibility,created_by,updated_by,created_at,"
                "updated_at,workspace_id,version) VALUES (?,?,?,?,?,?,?,?,?,?)",
                (team_id, name, request.description, request.visibility, actor, actor, stamp, stamp,
                 workspace, self.next_version()),
            )
            for m in dict.fromkeys(members):
                self._x("INSERT INTO team_members(team_id,member_id,added_by) VALUES (?,?,?)", (team_id, m, actor))
            out = self.get_team(team_id)
            out["workspaceId"] = workspace
            return out

    def update_team(self, team_id: str, body: Mapping[str, Any], *, actor: str | None) -> dict[str, Any]:
        """``PATCH /v2/teams/{teamId}``: ``name``, ``description``, ``visibility``
        (:class:`~planner.sandbox.request_models.TeamUpdate`, 400 for its shape).

        An unknown team is 404, a SCIM-managed team 403, a duplicate name 409 "Duplicate record".
        """
        request = parse_request(TeamUpdate, body)
        with self.transaction():
            row = self.team_row(team_id)
            self._refuse_scim_team(row)
            sets: dict[str, Any] = {}
            if request.given("name"):
                sets["name"] = self._check_team_name(request.name, except_team=team_id)
            for key in ("description", "visibility"):
                if request.given(key):
                    sets[key] = getattr(request, key)
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

    def change_team_members(self, team_id: str, add: Any = None, remove: Any = None, *,
                            actor: str | None) -> None:
        """``PATCH /v2/teams/{teamId}/members`` with ``{add: [memberId], remove: [memberId]}`` (§3.3).

        - the shape of ``add`` and ``remove``:
          :class:`~planner.sandbox.request_models.TeamMembersChange` (400: lists of memberIds,
          at most :data:`~planner.sandbox.request_models.MAX_TEAM_MEMBER_CHANGES`, none in both);
        - unknown team or member: 404;
        - inactive or archived members can be neither added nor removed: 400 (§3.3);
        - adding a member already in the team, or removing one who is not: 400
          (§10.9 unknown; strict choice: clients diff first, docs/sigma-api.md §7);
        - a SCIM-managed team: ``add`` and removing a SCIM-managed member are 403;
          removing a member who is not SCIM-managed is allowed, the cleanup
          Sigma's SCIM FAQ recommends for pre-SCIM leftovers (§3.3, §5.4).
        All or nothing.
        """
        change = parse_request(TeamMembersChange, {"add": add, "remove": remove})
        add, remove = change.add or [], change.remove or []
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
