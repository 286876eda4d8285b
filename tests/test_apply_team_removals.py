"""Many ``teams.remove_member`` actions of one team at parallelism 8 (tester8 finding 13): a run's own
writes never fail it; each removal reads the member's teams, never the whole team."""

from __future__ import annotations

from planner.execute.apply import apply_plan
from planner.model import AccountType, ActionKind, SigmaExport, SigmaTeam, TeamMembership

from planner.planfile import write_plan

from .execute_support import act, counting_sandbox, make_plan, member, options_for

TEAM_SIZE = 240
REMOVED = 200


def big_team_org() -> SigmaExport:
    """Admin; ``m001``..``m240`` in team ``t1`` Finance; ``m001``..``m010`` also in team ``t2`` Ops."""
    people = [member("mAdmin", "admin@example.com", "Admin")]
    people += [member(f"m{i:03}", f"user{i:03}@example.com") for i in range(1, TEAM_SIZE + 1)]
    return SigmaExport(
        members=tuple(people),
        teams=(SigmaTeam("t1", "Finance"), SigmaTeam("t2", "Ops")),
        team_memberships=tuple(TeamMembership("t1", f"m{i:03}") for i in range(1, TEAM_SIZE + 1))
        + tuple(TeamMembership("t2", f"m{i:03}") for i in range(1, 11)),
        account_types=(AccountType("a1", "Admin"), AccountType("a3", "Viewer")),
    )


def removals() -> list:
    """``R001``..``R200``: ``m001``..``m200`` out of team ``t1``; ``S001``..``S010``: ``m001``..``m010`` out of ``t2``."""
    out = [act(f"R{i:03}", ActionKind.TEAMS_REMOVE_MEMBER, {"teamId": "t1", "name": "Finance", "memberId": f"m{i:03}"},
               None, before={"userId": f"m{i:03}", "isTeamAdmin": False}) for i in range(1, REMOVED + 1)]
    out += [act(f"S{i:03}", ActionKind.TEAMS_REMOVE_MEMBER, {"teamId": "t2", "name": "Ops", "memberId": f"m{i:03}"},
                None, before={"userId": f"m{i:03}", "isTeamAdmin": False}) for i in range(1, 11)]
    return out


def test_parallel_removals_of_one_team_all_succeed_under_paging_and_faults(tmp_path):
    """tester8 finding 13: 200 removals of one 240-member team at parallelism 8, pages of 7 entries, 5% of
    requests answered 5xx, latency: every removal done and written once, none failed, exit 0, and no
    removal lists the team's members (44 pages each at 20k): each reads its member's teams."""
    org = big_team_org()
    server, counter = counting_sandbox(org)
    try:
        plan = tmp_path / "plan.json"
        write_plan(make_plan(removals(), org), plan)
        server.faults.set(page_cap=7, error_ratio=0.05, latency_ms=1, seed=5)
        server.request_counts.clear()

        report = apply_plan(plan, options_for(server, auto_approve=True, parallelism=8))

        assert [aid for aid, r in report.results.items() if r.state != "done"] == []
        assert (report.status, report.exit_code, report.counts["done"], report.counts["failed"]) == (
            "converged", 0, REMOVED + 10, 0)
        assert report.writes == REMOVED + 10
        assert sorted(counter.writes) == sorted([f"PATCH /v2/teams/t1/members -m{i:03}" for i in range(1, REMOVED + 1)]
                                                + [f"PATCH /v2/teams/t2/members -m{i:03}" for i in range(1, 11)])
        assert set(counter.writes.values()) == {1}
        assert report.verification.counts == {"objects": 2, "converged": 2, "not_converged": 0, "unverified": 0}
        assert sorted(server.state.team_member_ids("t1")) == [f"m{i:03}" for i in range(REMOVED + 1, TEAM_SIZE + 1)]
        # the stale check lists each team before the run (35 + 2 pages); no removal lists its team, each
        # reads its member's teams once before its write and once to verify it (retries of 5xx aside)
        assert server.request_counts["GET /v2/teams/{teamId}/members"] < 37 * 1.5
        assert 2 * (REMOVED + 10) <= server.request_counts["GET /v2/members/{memberId}/teams"] < 2 * (REMOVED + 10) * 1.2
    finally:
        server.stop()


def one_entry_pages_org() -> SigmaExport:
    """Admin and team ``t1`` Finance of 12 members (``m1``..``m12``), none an IdP user."""
    people = [member("mAdmin", "admin@example.com", "Admin")]
    people += [member(f"m{i}", f"person{i}@example.com") for i in range(1, 13)]
    return SigmaExport(members=tuple(people), teams=(SigmaTeam("t1", "Finance"),),
                       team_memberships=tuple(TeamMembership("t1", f"m{i}") for i in range(1, 13)),
                       account_types=(AccountType("a1", "Admin"), AccountType("a3", "Viewer")))


def test_removals_from_one_team_converge_with_one_entry_a_page(tmp_path):
    """Eight removals from a 12-member team, four at a time, every listing one entry a page (5 ms a request):
    each removal written once, none failed (was 'incomplete listing of members of team t1: ... (the list
    changed while it was read)'; kept from the shared team listings this fix replaced, d517de2)."""
    org = one_entry_pages_org()
    server, counter = counting_sandbox(org)
    try:
        server.faults.set(page_cap=1, latency_ms=5)
        plan = tmp_path / "plan.json"
        write_plan(make_plan([act(f"teams.remove_member:t1:m{i}", ActionKind.TEAMS_REMOVE_MEMBER,
                                  {"teamId": "t1", "memberId": f"m{i}", "name": "Finance",
                                   "email": f"person{i}@example.com"}, None,
                                  before={"userId": f"m{i}", "isTeamAdmin": False}) for i in range(1, 9)], org), plan)

        report = apply_plan(plan, options_for(server, auto_approve=True, parallelism=4))

        assert {aid: row.error for aid, row in report.journal_rows.items() if row.state != "done"} == {}
        assert (report.status, report.counts["done"], report.counts["failed"]) == ("converged", 8, 0)
        assert {aid: row.outcome for aid, row in report.journal_rows.items()} == {
            f"teams.remove_member:t1:m{i}": "written" for i in range(1, 9)}
        assert dict(counter.writes) == {f"PATCH /v2/teams/t1/members -m{i}": 1 for i in range(1, 9)}
        assert sorted(server.state.team_member_ids("t1")) == sorted(f"m{i}" for i in range(9, 13))
    finally:
        server.stop()
