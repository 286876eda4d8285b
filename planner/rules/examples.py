"""Which member a snippet's example names: one rule for every review item that offers an example
pairing of an IdP user with a Sigma member (``linking.ambiguous``, ``linking.duplicate_email``).

An example is only an example, but a reviewer may paste it as it is: so it names the member most
likely to hold the person's current work, the one the plan would harm least to link
(tester12 finding 13: an example pairing the archived 2019 account reactivated it and deactivated
the person's active one, her documents to the document owner). :func:`example_rank` orders the
candidates: active before archived or inactive, then the one in the most Sigma teams, then (when
the item knows the address the IdP sends) the one whose email is spelled as sent, then the
newest (``createdAt``; a member without one counts as the oldest), then the memberId (so the example
is deterministic). :func:`unsafe_example` says when an example would still pair an IdP user with a
member who is not active while an active member of the same question is left without an IdP user:
then no example is offered.
"""

from __future__ import annotations

from typing import AbstractSet, Iterable, Mapping

from ..directory import Directory
from ..model import SigmaMember


def member_status(member: SigmaMember) -> str:
    """``active``, ``archived`` or ``inactive``: how a review item names a member's state."""
    return "archived" if member.is_archived else "inactive" if member.is_inactive else "active"


def team_counts(directory: Directory, member_ids: AbstractSet[str]) -> dict[str, int]:
    """memberId -> number of Sigma teams, for ``member_ids`` in a team (:attr:`Directory.member_team_counts`, counted
    once per plan: was a scan of every team membership per review item, 7 s of a 100k plan's hint items)."""
    counts = directory.member_team_counts
    return {m: counts[m] for m in member_ids if m in counts}


def example_rank(member: SigmaMember, teams: Mapping[str, int], sent: str | None = None) -> tuple:
    """Sort key of a member as the example a snippet names (smaller first; module docstring): active first,
    then more Sigma teams (``teams``: memberId -> count, :func:`team_counts`), then, given ``sent`` (the
    address the IdP sends), the member whose email is spelled exactly so, then newer ``createdAt`` (ISO 8601
    strings, compared as written; missing: oldest), then the memberId."""
    created = member.created_at or ""
    newest_first = tuple(-ord(c) for c in created) + (1,)  # a longer (more precise) stamp is no older
    return (not member.is_active, -teams.get(member.member_id, 0), sent is not None and member.email != sent,
            newest_first, member.member_id)


def example_order(members: Iterable[SigmaMember], teams: Mapping[str, int]) -> list[str]:
    """The memberIds of ``members``, best example first (:func:`example_rank`, no address sent)."""
    return [m.member_id for m in sorted(members, key=lambda m: example_rank(m, teams))]


def unsafe_example(pairs: Mapping[str, str], member_ids: Iterable[str], directory: Directory) -> list[str]:
    """The memberIds an example pairing ``pairs`` (IdP id -> memberId) would leave without an IdP user although
    they are active, when it pairs some IdP user with an archived or inactive member instead: pasted, the
    example would reactivate the old account and deactivate the active one (the ``unmatched`` policy), so
    no example is offered. Empty when the example is safe."""
    paired = set(pairs.values())
    if all(directory.members[mid].is_active for mid in paired):
        return []
    return sorted(mid for mid in member_ids if mid not in paired and directory.members[mid].is_active)
