"""Team member listings during apply (planner/execute/team_listings.py): fresh, shared by the readers
waiting for one, never overlapping this run's writes to the team.

The fault: removals from one team at ``--parallelism 4`` each listed the whole team, and a listing
whose pages straddled another removal of the same run had a ``total`` one less than its entries:
the listing completeness rule refused it ('incomplete listing of members of team ...: 5682 of 5681
received (the list changed while it was read)'), and the removals of the bench's 5,681-member team
failed by their own run's hand (apply_bench: 4 failed, 1 skipped, exit 3).
"""

from __future__ import annotations

import threading
import time

from planner.execute.apply import apply_plan
from planner.execute.approve import approve
from planner.execute.errors import ApiError
from planner.execute.rest_client import TeamMemberRecord
from planner.execute.team_listings import TeamListings
from planner.model import ActionKind
from planner.planfile import write_plan
from planner.model import SigmaExport, SigmaTeam, TeamMembership

from .execute_support import act, counting_sandbox, make_plan, member, options_for, small_org

WAIT = 10.0  # seconds a test thread may wait for another; never reached when the code is right


class Reads:
    """A team's listing as ``TeamListings`` calls it: each read returns ``[read number]`` as entries
    (which read a caller got), and a read can be held open until the test lets it end."""

    def __init__(self):
        self.started: list[threading.Event] = [threading.Event() for _ in range(10)]
        self.release: list[threading.Event] = [threading.Event() for _ in range(10)]
        self.count = 0
        self.log: list[str] = []

    def __call__(self, team_id: str) -> list[TeamMemberRecord]:
        n = self.count
        self.count += 1
        self.log.append(f"read {n} start")
        self.started[n].set()
        assert self.release[n].wait(WAIT)
        self.log.append(f"read {n} end")
        return [TeamMemberRecord(user_id=f"read{n}")]


def ask(listings: TeamListings, reads: Reads, got: dict[str, object], name: str) -> threading.Thread:
    def run():
        try:
            got[name] = [e.user_id for e in listings.members("t1", reads)]
        except ApiError as exc:
            got[name] = str(exc)

    thread = threading.Thread(target=run)
    thread.start()
    return thread


def settle(*threads: threading.Thread) -> None:
    for t in threads:
        t.join(WAIT)
        assert not t.is_alive()


def wait_until(condition) -> None:
    end = time.monotonic() + WAIT
    while not condition():
        assert time.monotonic() < end
        time.sleep(0.001)


def test_a_caller_never_gets_a_listing_that_started_before_it_asked():
    listings, reads, got = TeamListings(), Reads(), {}
    first = ask(listings, reads, got, "first")
    assert reads.started[0].wait(WAIT)
    second = ask(listings, reads, got, "second")  # asks while read 0 runs: must not get it
    time.sleep(0.05)
    assert reads.count == 1  # read 1 waits for read 0 to end (one listing of a team at a time)
    reads.release[0].set()
    assert reads.started[1].wait(WAIT)
    reads.release[1].set()
    settle(first, second)
    assert got == {"first": ["read0"], "second": ["read1"]}
    assert reads.log == ["read 0 start", "read 0 end", "read 1 start", "read 1 end"]
    assert listings.reads == 2


def test_callers_that_asked_before_a_listing_started_share_it():
    listings, reads, got = TeamListings(), Reads(), {}
    first = ask(listings, reads, got, "first")
    assert reads.started[0].wait(WAIT)
    waiting = [ask(listings, reads, got, f"w{i}") for i in range(3)]  # all ask while read 0 runs
    wait_until(lambda: listings._teams["t1"].asked is not None)
    time.sleep(0.05)
    reads.release[0].set()
    assert reads.started[1].wait(WAIT)
    reads.release[1].set()
    settle(first, *waiting)
    assert got == {"first": ["read0"], "w0": ["read1"], "w1": ["read1"], "w2": ["read1"]}
    assert (reads.count, listings.reads) == (2, 2)


def test_a_write_to_the_team_and_a_listing_of_it_never_overlap():
    listings, reads, got = TeamListings(), Reads(), {}
    reader = ask(listings, reads, got, "reader")
    assert reads.started[0].wait(WAIT)
    wrote = threading.Event()

    def write():
        with listings.writing("t1"):
            reads.log.append("write")
        wrote.set()

    writer = threading.Thread(target=write)
    writer.start()
    time.sleep(0.05)
    assert not wrote.is_set()  # the write waits for the listing in progress
    reads.release[0].set()
    settle(reader, writer)
    assert reads.log == ["read 0 start", "read 0 end", "write"]
    # a listing asked for during a write starts after it
    wrote_again = threading.Event()
    late: list[threading.Thread] = []

    def write_then_ask():
        with listings.writing("t1"):
            reads.log.append("write 2")
            late.append(ask(listings, reads, got, "late"))
            wait_until(lambda: listings._teams["t1"].asked is not None)
            time.sleep(0.05)
            assert reads.count == 1
            reads.log.append("write 2 end")
        wrote_again.set()

    w2 = threading.Thread(target=write_then_ask)
    w2.start()
    assert wrote_again.wait(WAIT)
    assert reads.started[1].wait(WAIT)
    reads.release[1].set()
    settle(w2, *late)
    assert reads.log[3:] == ["write 2", "write 2 end", "read 1 start", "read 1 end"]
    assert got["late"] == ["read1"]


def test_a_failed_listing_fails_every_caller_that_shared_it_and_the_next_one_reads_again():
    listings, reads, got = TeamListings(), Reads(), {}

    def read(team_id):
        entries = reads(team_id)
        if entries[0].user_id == "read1":
            raise ApiError("rest", "GET", "/v2/teams/t1/members", 503, "Service Unavailable")
        return entries

    first = ask(listings, read, got, "first")
    assert reads.started[0].wait(WAIT)
    sharing = [ask(listings, read, got, f"w{i}") for i in range(2)]
    wait_until(lambda: listings._teams["t1"].asked is not None)
    time.sleep(0.05)
    reads.release[0].set()
    assert reads.started[1].wait(WAIT)
    reads.release[1].set()
    settle(first, *sharing)
    failure = "REST GET /v2/teams/t1/members: 503: Service Unavailable"
    assert got == {"first": ["read0"], "w0": failure, "w1": failure}
    reads.release[2].set()
    assert [e.user_id for e in listings.members("t1", read)] == ["read2"]


# --------------------------------------------------------------------------- against the sandbox

TEAM_SIZE = 12
REMOVED = range(1, 9)  # m1..m8 removed through the REST API; m9..m12 stay


def big_team_org() -> SigmaExport:
    """:func:`small_org`'s admin and team t1 Finance grown to 12 members (m1..m12), none an IdP user."""
    base = small_org()
    people = [base.members[0]] + [member(f"m{i}", f"person{i}@example.com") for i in range(1, TEAM_SIZE + 1)]
    return SigmaExport(members=tuple(people), teams=(SigmaTeam("t1", "Finance"),),
                       team_memberships=tuple(TeamMembership("t1", f"m{i}") for i in range(1, TEAM_SIZE + 1)),
                       account_types=base.account_types)


def removals() -> list:
    return [act(f"teams.remove_member:t1:m{i}", ActionKind.TEAMS_REMOVE_MEMBER,
                {"teamId": "t1", "memberId": f"m{i}", "name": "Finance", "email": f"person{i}@example.com"}, None,
                before={"userId": f"m{i}", "isTeamAdmin": False}, evidence={"groupId": "g-finance"})
            for i in REMOVED]


def test_removals_from_one_team_in_parallel_converge_though_its_listing_spans_pages(tmp_path):
    """Eight removals from a 12-member team read one entry a page (12 pages a listing, 5 ms a request),
    four at a time: each listing is whole (no removal of the run lands between its pages) and fresh;
    was 'incomplete listing of members of team t1: ... (the list changed while it was read)' failures."""
    export = big_team_org()
    server, counter = counting_sandbox(export)
    try:
        server.faults.set(page_cap=1, latency_ms=5)
        path = tmp_path / "plan.json"
        write_plan(make_plan(removals(), export), path)
        approve(path, "Ada Admin")
        result = apply_plan(path, options_for(server, parallelism=4))
        failed = {aid: row.error for aid, row in result.journal_rows.items() if row.state != "done"}
        assert failed == {}
        assert (result.status, result.counts["done"], result.counts["failed"]) == ("converged", 8, 0)
        assert {aid: row.outcome for aid, row in result.journal_rows.items()} == {
            f"teams.remove_member:t1:m{i}": "written" for i in REMOVED}
        assert dict(counter.writes) == {f"PATCH /v2/teams/t1/members -m{i}": 1 for i in REMOVED}
        assert {m["userId"] for m in server.state.list_team_members("t1", limit=100)[0]} == {
            f"m{i}" for i in range(9, TEAM_SIZE + 1)}
    finally:
        server.close()
