"""Seeding the sandbox from a Sigma export (and its ``scim/`` listings): members, teams, account types."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from ..model import SigmaExport
from .account_types import DEFAULT_ACCOUNT_TYPES
from .store import Store, now_iso, sigma_email_key


class Seeding(Store):
    """Loading an export into an empty state; marking seeded members and teams SCIM-managed."""

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


def _scim_extra(resource: Mapping[str, Any]) -> dict[str, Any]:
    """The SCIM attributes Sigma does not model (kept verbatim), without id and meta."""
    return {k: v for k, v in resource.items() if k not in ("id", "meta")}
