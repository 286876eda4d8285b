"""Seed a sandbox from a Sigma export directory (the layout ``planner.sources`` reads).

:func:`load_seed` reads the export with the project's loader and, when the
directory has a ``scim/`` folder (what ``sigma-migrate fetch`` writes with a
SCIM token), the SCIM ``Users.json`` / ``Groups.json`` ListResponses, whose
users and groups become SCIM-linked members and teams (matched by ``userName``
= member email, ``displayName`` = team name).

:func:`seed_state` puts the result into a :class:`SandboxState`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import UserError
from ..model import Severity, SigmaExport
from .state import SandboxState
from .store import sigma_email_key


class SeedError(UserError):
    """The seed directory cannot be loaded (message names the file and the problem)."""


@dataclass(frozen=True)
class Seed:
    """A Sigma export plus the SCIM resources found beside it (raw JSON objects)."""

    export: SigmaExport
    scim_users: tuple[dict[str, Any], ...] = ()
    scim_groups: tuple[dict[str, Any], ...] = field(default=())


def _load_export(directory: Path) -> SigmaExport:
    """Load ``directory`` with :func:`planner.sources.load_sigma_export`; an error finding is a :class:`SeedError`.

    Warnings (duplicate emails, unknown member types, ...) do not stop seeding:
    a real organization has them too.
    """
    from ..sources import load_sigma_export

    export, findings = load_sigma_export(directory)
    for finding in findings:
        if finding.severity is Severity.ERROR:
            raise SeedError(f"cannot seed the sandbox: {finding}")
    return export


def _scim_resources(path: Path) -> tuple[dict[str, Any], ...]:
    if not path.is_file():
        return ()
    try:
        doc = json.loads(path.read_text(encoding="utf-8-sig"))
    except (OSError, ValueError) as exc:
        raise SeedError(f"{path}: cannot read SCIM ListResponse: {exc}") from None
    pages = doc if isinstance(doc, list) else [doc]
    out = []
    for page in pages:
        if isinstance(page, dict) and ("Resources" in page or "resources" in page):
            out.extend(page.get("Resources") or page.get("resources") or [])
        elif isinstance(page, dict):
            out.append(page)
    return tuple(r for r in out if isinstance(r, dict))


def load_seed(directory: str | Path) -> Seed:
    """Read a Sigma export directory (and its optional ``scim/`` folder) for seeding.

    Raises :class:`SeedError` when the directory is missing or the loader
    reports an error.
    """
    directory = Path(directory)
    if not directory.is_dir():
        raise SeedError(f"{directory}: seed directory does not exist")
    export = _load_export(directory)
    scim_dir = directory / "scim"
    return Seed(
        export=export,
        scim_users=_scim_resources(scim_dir / "Users.json"),
        scim_groups=_scim_resources(scim_dir / "Groups.json"),
    )


def seed_state(state: SandboxState, seed: Seed, *, documents_per_member: int = 2) -> None:
    """Load ``seed`` into an empty ``state``, then link the SCIM users and groups it holds.

    Only resources with an ``externalId`` were provisioned by an IdP (the others are the
    pre-SCIM members and teams SCIM lists too). A SCIM user whose ``userName`` matches no
    member, or a group whose ``displayName`` matches no team, is skipped (the export is the truth about
    what exists).
    """
    state.seed(seed.export, documents_per_member=documents_per_member)
    if not seed.export.account_types and not seed.export.members:
        state.seed_default_account_types()
    by_email = {sigma_email_key(m.email): m.member_id for m in seed.export.members}
    for user in seed.scim_users:
        if not user.get("externalId"):
            continue  # a listed pre-SCIM member (RFC 7643 §3.1: only a provisioning client sets externalId)
        member_id = by_email.get(sigma_email_key(str(user.get("userName") or "")))
        if member_id is not None:
            state.link_scim_user(member_id, user)
    by_name = {t.name: t.team_id for t in seed.export.teams}
    for group in seed.scim_groups:
        if not group.get("externalId"):
            continue  # a listed pre-SCIM team
        team_id = by_name.get(str(group.get("displayName") or ""))
        if team_id is not None:
            state.link_scim_group(team_id, group)
