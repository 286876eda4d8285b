"""Assembling an :class:`~planner.model.IdpDirectory` the same way for every IdP format.

Every IdP loader feeds a :class:`DirectoryBuilder`: users, groups, and group
members (by id, typed or not). :meth:`DirectoryBuilder.build` then enforces the
loader contract (tests/test_sources_contract.py):

- user and group ids are unique (a repeat is dropped with ``duplicate-user-id`` /
  ``duplicate-group-id`` warnings: the same record twice, e.g. overlapping pages);
- every ``member_user_ids`` / ``member_group_ids`` entry is the id of a user /
  group of the directory: untyped members are resolved against both, members
  that resolve to nothing are dropped with one ``unknown-group-member`` warning
  per group naming them (an export filtered differently from the group files);
- members keep their first-seen order, without repeats.

:func:`make_emails` builds the ``emails`` tuple (primary first, one per key).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping

from ..model import Email, IdpDirectory, IdpGroup, IdpUser, InputFile, SourceRef, email_key
from .files import Findings

_MAX_NAMED = 5


def make_emails(candidates: Iterable[tuple[Any, bool, str | None]]) -> tuple[Email, ...]:
    """``emails`` from ``(value, primary, type)`` candidates: blanks skipped, one per key, primary first.

    The first candidate marked primary is the primary; when none is, the first
    address is. Values keep their spelling (trimmed); keys are :func:`email_key`.
    """
    out: list[Email] = []
    seen: set[str] = set()
    primary_at = -1
    for value, primary, kind in candidates:
        if not value or not isinstance(value, str):
            continue
        value = value.strip()
        key = email_key(value)
        if not key or key in seen:
            if primary and key in seen and primary_at < 0:
                primary_at = next(i for i, e in enumerate(out) if e.key == key)
            continue
        seen.add(key)
        if primary and primary_at < 0:
            primary_at = len(out)
        out.append(Email(value=value, key=key, primary=False, type=kind))
    if not out:
        return ()
    if primary_at < 0:
        primary_at = 0
    first = out.pop(primary_at)
    return (Email(first.value, first.key, True, first.type), *out)


@dataclass
class _Group:
    id: str
    display_name: str
    external_id: str | None
    attributes: Mapping[str, Any]
    source: SourceRef | None
    users: dict[str, None] = field(default_factory=dict)
    groups: dict[str, None] = field(default_factory=dict)
    untyped: dict[str, None] = field(default_factory=dict)


class DirectoryBuilder:
    """Collects one IdP export's users, groups and memberships; see the module docstring."""

    def __init__(self, format: str, findings: Findings) -> None:
        self.format = format
        self.findings = findings
        self.users: dict[str, IdpUser] = {}
        self._groups: dict[str, _Group] = {}
        self._by_name: dict[str, list[str]] | None = None
        self.inputs: list[InputFile] = []

    # ------------------------------------------------------------------ users

    def add_user(self, user: IdpUser) -> bool:
        """Add a user; a repeated id is dropped with a ``duplicate-user-id`` warning. True when added."""
        first = self.users.get(user.id)
        if first is None:
            self.users[user.id] = user
            return True
        src = user.source or SourceRef("")
        self.findings.warning(
            "duplicate-user-id", src.file, src.location, "id",
            f"user id {user.id} appears again (first at {first.source}); the repeat is ignored",
        )
        return False

    # ------------------------------------------------------------------ groups

    def add_group(
        self,
        group_id: str,
        display_name: str,
        *,
        source: SourceRef | None,
        external_id: str | None = None,
        attributes: Mapping[str, Any] | None = None,
    ) -> bool:
        """Add a group; a repeated id is dropped with a ``duplicate-group-id`` warning. True when added."""
        if group_id in self._groups:
            src = source or SourceRef("")
            self.findings.warning(
                "duplicate-group-id", src.file, src.location, "id",
                f"group id {group_id} appears again (first at {self._groups[group_id].source}); "
                "the repeat is ignored",
            )
            return False
        self._groups[group_id] = _Group(group_id, display_name, external_id, attributes or {}, source)
        self._by_name = None
        return True

    def has_group(self, group_id: str) -> bool:
        return group_id in self._groups

    def group_key(self, key: str) -> str | None:
        """The id of the group that ``key`` names: its id, else its display name or email (case-insensitive, unique)."""
        if key in self._groups:
            return key
        if self._by_name is None:
            index: dict[str, list[str]] = {}
            for g in self._groups.values():
                index.setdefault(g.display_name.strip().casefold(), []).append(g.id)
                mail = g.attributes.get("email") or g.attributes.get("mail")
                if isinstance(mail, str) and mail:
                    index.setdefault(email_key(mail), []).append(g.id)
            self._by_name = index
        ids = self._by_name.get(key.strip().casefold(), [])
        return ids[0] if len(set(ids)) == 1 else None

    def add_member(self, group_id: str, member_id: str, kind: str | None = None) -> None:
        """Record that group ``group_id`` directly holds ``member_id`` (``kind`` ``"user"``, ``"group"`` or ``None``)."""
        group = self._groups[group_id]
        if kind == "user":
            group.users[member_id] = None
        elif kind == "group":
            group.groups[member_id] = None
        else:
            group.untyped[member_id] = None

    # ------------------------------------------------------------------ result

    def build(self) -> IdpDirectory:
        """The directory, with members resolved and dangling ones reported (see the module docstring)."""
        groups: list[IdpGroup] = []
        for g in self._groups.values():
            users = [u for u in g.users if u in self.users]
            nested = [c for c in g.groups if c in self._groups]
            dangling = [u for u in g.users if u not in self.users]
            dangling += [c for c in g.groups if c not in self._groups]
            for member in g.untyped:
                if member in self.users:
                    users.append(member)
                elif member in self._groups:
                    nested.append(member)
                else:
                    dangling.append(member)
            if dangling:
                src = g.source or SourceRef("")
                shown = ", ".join(dangling[:_MAX_NAMED]) + (", ..." if len(dangling) > _MAX_NAMED else "")
                self.findings.warning(
                    "unknown-group-member", src.file, src.location, "members",
                    f"group {g.display_name!r} lists {len(dangling)} member(s) that are neither users nor "
                    f"groups of this export ({shown}); ignored",
                )
            groups.append(IdpGroup(
                id=g.id,
                display_name=g.display_name,
                member_user_ids=tuple(dict.fromkeys(users)),
                member_group_ids=tuple(dict.fromkeys(nested)),
                external_id=g.external_id,
                attributes=g.attributes,
                source=g.source,
            ))
        return IdpDirectory(
            users=tuple(self.users.values()),
            groups=tuple(groups),
            format=self.format,
            inputs=tuple(self.inputs),
        )
