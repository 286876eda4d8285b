"""A team's member listing during apply: read fresh, shared by the readers waiting for it, never
read while this run changes the team.

``teams.remove_member`` checks first (:mod:`.actions`): it lists the team's members
(``GET /v2/teams/{teamId}/members``, docs/sigma-api.md §3.3, every page) and removes the member
only if the listing holds them; the verification lists the team again. A plan removes many
members from one team (tens from a team of thousands: six pages of 1,000 entries each), and at
``--parallelism 4`` those actions run side by side. Read one by one, their listings cost more
than every other read of the write phase together, and they met each other's removals: a listing
whose pages straddle a removal has a ``total`` one less than its entries, which the listing
completeness rule refuses (:class:`planner.listing.Listing`, "the list changed while it was
read"): the removals of a large team failed by their own run's hand.

:class:`TeamListings` keeps both rules of a check-first read and makes fewer reads:

- **Fresh.** A caller gets the entries of a listing that **started after it asked**: never one
  in flight when it asked, never one finished before. So the listing it acts on was read after
  every write of this run that finished before its action started (its dependencies: a
  removal the group's push makes waits for that push) and after its own call, exactly as a
  listing of its own would be. Callers who asked while no listing of the team had started yet
  share the next one (each of them asked before it started); a caller who asks while a listing
  runs waits for it to end and joins the next. Sharing only merges reads that would have run at
  the same moment, so it weakens nothing: an action acts on what it would have read itself.
- **Whole.** A listing of a team and a write of this run to the same team's members
  (:meth:`TeamListings.writing`, the ``PATCH /v2/teams/{teamId}/members`` of a removal) never
  overlap: one at a time per team. A listing that still changes under its pages (someone
  outside this run) is refused as before.

Thread-safe. A listing that fails raises its :class:`~planner.execute.errors.ApiError` in
every caller that shared it.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from .rest_client import TeamMemberRecord


@dataclass
class _Flight:
    """One listing: asked for (readers join it) until it starts; ``done`` set when it ended."""

    done: threading.Event = field(default_factory=threading.Event)
    entries: list[TeamMemberRecord] | None = None
    error: BaseException | None = None


@dataclass
class _Team:
    busy: threading.Lock = field(default_factory=threading.Lock)
    """Held by the one listing or write of this team's members in progress."""
    asked: _Flight | None = None
    """The listing asked for that has not started; ``None`` when none is waiting."""


class TeamListings:
    """Fresh, shared, whole listings of teams' members (module docstring).

    :meth:`members` ``(team_id, read)``: the entries of a listing made by ``read(team_id)``
    (:meth:`~planner.execute.rest_client.SigmaRestClient.list_team_members`) that started after
    the call; raises what ``read`` raised. :meth:`writing` ``(team_id)``: a block in which no
    listing of that team runs (around a write to its members).
    """

    def __init__(self) -> None:
        self._teams: dict[str, _Team] = {}
        self._guard = threading.Lock()
        self.reads = 0
        """Listings made (each possibly shared), for tests and benchmarks."""

    def _team(self, team_id: str) -> _Team:
        team = self._teams.get(team_id)
        if team is None:
            team = self._teams.setdefault(team_id, _Team())
        return team

    def members(self, team_id: str, read: Callable[[str], list[TeamMemberRecord]]) -> list[TeamMemberRecord]:
        with self._guard:
            team = self._team(team_id)
            flight = team.asked
            lead = flight is None
            if lead:
                flight = team.asked = _Flight()
        assert flight is not None
        if lead:
            with team.busy:
                with self._guard:
                    team.asked = None  # it starts now: whoever asks from here on waits for the next one
                    self.reads += 1
                try:
                    flight.entries = read(team_id)
                except BaseException as exc:
                    flight.error = exc
                finally:
                    flight.done.set()
        else:
            flight.done.wait()
        if flight.error is not None:
            raise flight.error
        assert flight.entries is not None
        return flight.entries

    @contextlib.contextmanager
    def writing(self, team_id: str) -> Iterator[None]:
        """No listing of ``team_id`` runs within the block (a listing asked for meanwhile starts after it)."""
        with self._guard:
            team = self._team(team_id)
        with team.busy:
            yield
