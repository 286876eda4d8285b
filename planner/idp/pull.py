"""What one IdP pull produced, and the page loops the three APIs share.

A pull reads every listing whole (:class:`planner.listing.Listing`) before
anything is written; :func:`planner.idp.fetch_idp` then writes its files all
or nothing (:class:`planner.output.Outputs`).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from ..listing import IncompleteListing, Listing
from .http import IdpFetchError, IdpReader


@dataclass(frozen=True)
class PullCounts:
    """Counts of one pull, for the command's summary line."""

    users: int
    inactive: int
    guests: int
    groups: int
    memberships: int


@dataclass(frozen=True)
class IdpPull:
    """The export files of one pull (``(file name, JSON document)`` in writing order) and its counts.

    Each document is exactly what the IdP's loader reads (README "Accepted export layouts").
    ``records``: ``(file name, records the loader counts in it)`` for the fetch-idp manifest
    (:mod:`planner.sources.manifest`): users, groups, group memberships.
    """

    idp: str
    files: tuple[tuple[str, object], ...]
    counts: PullCounts
    records: tuple[tuple[str, int], ...]


def page_items(body: Any, key: str | None, what: str, reader: IdpReader, path: str) -> list[Any]:
    """The records of one page: ``body`` itself (``key`` ``None``: a bare array, Okta) or ``body[key]``.

    A missing ``key`` is an empty page (Google leaves ``users`` out of an empty
    answer). Any other shape is :class:`IdpFetchError`.
    """
    items = body if key is None else (body.get(key, []) if isinstance(body, dict) else None)
    if not isinstance(items, list):
        shape = "a JSON array" if key is None else f"an object with a {key!r} array"
        raise IdpFetchError(f"{reader.idp}: GET {path} answered {type(body).__name__} for {what}, "
                            f"expected {shape}")
    return items


def read_listing(
    listing: Listing,
    pages: Iterator[tuple[list[Any], str | None]],
) -> Listing:
    """Feed every ``(items, next cursor)`` page into ``listing`` (checks in :class:`Listing`)."""
    for items, cursor in pages:
        listing.add_page(items, cursor)
    return listing


def require_known_members(
    members: dict[str, list[str]], known: set[str], group_names: dict[str, str], endpoint: str, idp: str,
) -> None:
    """Every user member of a group must be in the users listing, which holds every status.

    A member missing from it means the users listing ended early (or changed
    while read): :class:`IncompleteListing` naming the first such member.
    """
    for group_id, ids in members.items():
        for user_id in ids:
            if user_id not in known:
                raise IncompleteListing(
                    f"{endpoint}: incomplete listing of {idp} users: member {user_id!r} of group "
                    f"{group_names.get(group_id, group_id)!r} is not in it (run the pull again)")


def listed_group_id(group: Any, endpoint: str) -> str:
    """The ``id`` of a group from a groups listing, as text.

    A group without one cannot be asked for its members: :class:`IdpFetchError`
    ``'<endpoint> answered a group without an id'`` (``endpoint`` e.g. ``'Okta: GET /api/v1/groups'``).
    """
    value = str(group.get("id") or "")
    if not value:
        raise IdpFetchError(f"{endpoint} answered a group without an id")
    return value


def count_of(value: Any) -> int | None:
    """An announced count (``3`` or Google's int64-as-string ``"3"``), ``None`` when absent or unreadable."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value)
    return None

