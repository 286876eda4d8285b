"""What this run already knows of Sigma, so an action does not read again what Sigma just told us.

An action reads its target before writing (the check-first of :mod:`.actions`), and the
verification reads it again after the run. For a plan of thousands of SCIM users, one
``GET /Users?filter=userName eq "..."`` per action and per phase costs as much as the
writes themselves. Two sources make most of those reads unnecessary:

- :class:`UserIndex`: Sigma's own answers during this run. A ``201`` to ``POST /Users``
  and a ``200`` to ``PATCH /Users/{id}`` carry the resource as the server now holds it
  (RFC 7644 §3.3, §3.5.2), a ``userName eq`` read says what it is (or that there is
  none). The next action on the same user (``scim.set_account_type`` after the link, a
  group resolving its members) looks it up here. A ``PATCH`` answered ``204`` forgets
  the user, so its next reader reads it live. Verification trusts only the answers to
  this run's writes (:meth:`UserIndex.from_writes`): the write response shows the end
  state; every other object is read again.
- :class:`MemberIndex`: the member listing the stale-plan check made just before the run
  (``GET /v2/members``, docs/sigma-api.md §2.3). A member written during the run is forgotten
  (read live next time); a member absent from the listing is read live too, so a missing
  member fails with Sigma's own 404.

Anything that changed Sigma behind the run's back is caught where it matters: a create
that meets an existing user gets a 409 and is looked up live; a refused write gets a live
second look (:meth:`planner.execute.actions.Clients.live_reads`).
"""

from __future__ import annotations

import threading
from typing import Any, Iterable

from ..model import email_key
from .rest_client import MemberRecord


class UserIndex:
    """SCIM users by ``userName`` (its :func:`~planner.model.email_key`: letter case aside, as Sigma compares
    them, never full case folding; RFC 7643 §4.1.1: case-insensitive), from Sigma's
    answers during this run. Thread-safe.

    :meth:`lookup` answers ``(known, user)``: ``known`` False means "read it live";
    ``(True, None)`` means a live read found no such user and no write of this run made one.
    """

    def __init__(self) -> None:
        self._users: dict[str, Any] = {}
        self._written: set[str] = set()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._users)

    def lookup(self, user_name: str) -> tuple[bool, Any]:
        key = email_key(user_name)
        with self._lock:
            if key in self._users:
                return True, self._users[key]
            return False, None

    def put(self, user_name: str, user: Any, *, written: bool = False) -> None:
        """What Sigma said ``user_name`` is now (``None``: no such user); ``written``: the answer to a write."""
        key = email_key(user_name)
        with self._lock:
            self._users[key] = user
            if written:
                self._written.add(key)
            else:
                self._written.discard(key)

    def forget(self, user_name: str) -> None:
        """The next reader of ``user_name`` reads it live."""
        key = email_key(user_name)
        with self._lock:
            self._users.pop(key, None)
            self._written.discard(key)

    def from_writes(self) -> "UserIndex":
        """A new index holding only the answers to this run's writes (for the verification)."""
        fresh = UserIndex()
        with self._lock:
            fresh._users = {k: self._users[k] for k in self._written if self._users.get(k) is not None}
            fresh._written = set(fresh._users)
        return fresh


class MemberIndex:
    """REST members by ``memberId`` (archived and inactive included), from one listing
    (:meth:`~planner.execute.rest_client.SigmaRestClient.list_members`, every entry read). Thread-safe.

    :meth:`get` returns ``None`` for a member to read live: one written during the run, or one
    absent from the listing (so that a missing member fails with Sigma's own 404 answer).
    """

    def __init__(self, members: Iterable[MemberRecord]):
        self._members = {m.member_id: m for m in members}
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._members)

    def get(self, member_id: str) -> MemberRecord | None:
        with self._lock:
            return self._members.get(str(member_id))

    def forget(self, member_id: str) -> None:
        with self._lock:
            self._members.pop(str(member_id), None)


__all__ = ["MemberIndex", "UserIndex"]
