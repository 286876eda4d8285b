"""SCIM Groups of the sandbox (docs/sigma-api.md §5, §6.1): teams an IdP provisions or links by name."""

from __future__ import annotations

import sqlite3

from .store import BadRequest, Conflict, NotFound, Store, now_iso


class ScimGroups(Store):
    """SCIM-managed teams: the SCIM link columns of ``teams`` and their SCIM-managed members."""

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

    def scim_group_rows(self, *, display_name: str | None = None, external_id: str | None = None) -> list[sqlite3.Row]:
        """Every team SCIM lists (SCIM-managed and pre-SCIM, see :attr:`_LISTED_PRE_SCIM_TEAM`); all, or
        those named ``display_name``, case-insensitively, or the SCIM-managed ones whose stored ``externalId`` is
        ``external_id`` exactly (case-exact, RFC 7643 §3.1), as :meth:`ScimUsers.scim_user_rows`."""
        listed = f"(scim_id IS NOT NULL OR {self._LISTED_PRE_SCIM_TEAM})"
        with self.lock:
            if external_id is not None:
                return self._q(
                    "SELECT * FROM teams WHERE scim_id IS NOT NULL AND json_extract(scim_json, '$.externalId') = ? "
                    "ORDER BY seq",
                    (external_id,),
                )
            if display_name is not None:
                return self._q(
                    f"SELECT * FROM teams WHERE {listed} AND lower(name)=lower(?) ORDER BY seq",
                    (display_name,),
                )
            return self._q(f"SELECT * FROM teams WHERE {listed} ORDER BY seq")

    def scim_group_page(self, offset: int, limit: int | None) -> tuple[int, list[sqlite3.Row]]:
        """``(how many teams SCIM lists, the listed teams from the 0-based ``offset`` on, at most ``limit`` of
        them)`` in :meth:`scim_group_rows`'s order (``limit`` ``None``: to the end), read under one lock: a
        page costs its own rows (:meth:`ScimUsers.scim_user_page`)."""
        listed = f"(scim_id IS NOT NULL OR {self._LISTED_PRE_SCIM_TEAM})"
        with self.lock:
            total = self._one(f"SELECT count(*) AS n FROM teams WHERE {listed}")["n"]
            rows = self._q(f"SELECT * FROM teams WHERE {listed} ORDER BY seq LIMIT ? OFFSET ?",
                           (-1 if limit is None else limit, offset))
            return total, rows

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
            self.check_version(team, expected_version)
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
            self.check_version(team, expected_version)
            self.delete_team(team["team_id"], via_scim=True)
