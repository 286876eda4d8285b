"""Tester10 finding 7: in a re-plan (Sigma's SCIM state links the people and the teams), the group pushes of
people the IdP deactivated remove them from their teams; each such removal is a team-membership change of the
plan (a ``teams.remove_member`` naming the push), which the team's ``before -> after (+a -r)``, the person's
row, ``summary.teams.member_removals`` and the ``threshold.team_member_removals`` guard all read (was: "members
2 -> 2 (+0 -0)", "0 member removals", the guard at 0 while apply emptied the memberships). Against the sandbox
over HTTP (plan, apply, fetch, a changed export, re-plan, show, apply, fetch).

- wave 1: a REST deactivation leaves the team membership alone, and the plan says so (no removal);
- a removal the teams family planned for a push that settling drops, or whose list keeps the member, is no
  removal (was: counted, and apply failed it, NotRemovedByPush); a person the push's settled list keeps out is
  not added either (the row's ``+a``: who the final push sends and the team lacks);
- a member a blocking item holds, or whose deactivation a blocking scim.state_conflict holds, stays in the push of
  a team whose SCIM group lists them (never removed while the question is open).
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from msgspec import structs

from planner.planfile import write_plan

from .conftest import run_cli
from .execute_support import counting_sandbox
from .plan_factory import by_id, kinds, plan, review_codes
from .test_day_two_dated_conflicts import FIRST, POLICY, SNAP, export, moved, scim_date
from .test_day_two_idp_changes import apply_and_fetch, fetch, scim_patch

PUSH = "scim.set_group_members:gF"
REMOVAL = "teams.remove_member:tF:mB"
LIMIT = "\nguards: {thresholds: {deactivations: null, downgrades: null, team_member_removals: {percent: 25}}}"


def finance(sigma) -> list[str]:
    """The memberIds of team Finance (tF) in a fetched export, sorted."""
    return sorted(t.member_id for t in sigma.team_memberships if t.team_id == "tF")


def bob_left(sigma, group_date: str, bob_date: str):
    """The re-plan's snapshot: Bob DEPROVISIONED ``bob_date`` and still listed in his groups (as Okta lists
    a deactivated user's groups), every group's ``lastMembershipUpdated`` ``group_date``."""
    snap = export(sigma, {"uB": structs.replace(SNAP.idp.users[2], active=False, status="DEPROVISIONED",
                                                last_updated=bob_date)})
    groups = tuple(structs.replace(g, attributes={"lastMembershipUpdated": group_date}) for g in snap.idp.groups)
    return replace(snap, idp=replace(snap.idp, groups=groups))


def test_a_push_that_drops_a_person_the_idp_deactivated_is_a_counted_removal_on_team_person_summary_and_guard(
        tmp_path: Path, capsys):
    server, _ = counting_sandbox(SNAP.sigma)
    try:
        wave1 = plan(bob_left(SNAP.sigma, "2025-01-01T00:00:00Z", "2025-01-01T00:00:00Z"), FIRST)
        # wave 1: Bob's REST deactivation leaves his membership alone, and nothing removes it: 2 -> 2 is true
        assert ("members.deactivate", "members.deactivate:mB") in kinds(wave1) and REMOVAL not in by_id(wave1)
        [row1] = [t for t in wave1.teams if t.name == "Finance"]
        assert (row1.members_before, row1.members_after, row1.members_added, row1.members_removed,
                wave1.summary.teams.member_removals) == (2, 2, 0, 0, 0)

        sigma = apply_and_fetch(plan(SNAP, FIRST), tmp_path / "wave", server)
        assert finance(sigma) == ["mA", "mB"]
        # week 2: Bob leaves a day after SCIM last changed him; the groups' own dates are older than SCIM's
        # group (the push, not a membership change, leaves Bob out: no membership to date, no question)
        snap = bob_left(sigma, moved(scim_date(sigma, "mB"), -30), moved(scim_date(sigma, "mB"), 1))
        p = plan(snap, POLICY)
        assert review_codes(p) == []
        assert kinds(p) == [("scim.deactivate_user", "scim.deactivate_user:mB"), ("scim.set_group_members", PUSH),
                            ("teams.remove_member", REMOVAL)]
        assert by_id(p)[PUSH].after.members == ["ann@example.com"]
        removal = by_id(p)[REMOVAL]
        assert (removal.reason, removal.evidence.removed_by, removal.depends_on) == (
            "removed from team 'Finance' by the push of scim.set_group_members:gF: in IdP group 'Finance', but "
            "their IdP user is not active and the plan deactivates them, so the plan does not provision them and "
            "the push, whose member list replaces the team's SCIM-managed members, leaves them out; no REST "
            "request, apply checks they are gone", PUSH, (PUSH,))
        [bob] = [r for r in p.people if r.member_id == "mB"]
        assert bob.actions == ("scim.deactivate_user:mB", REMOVAL)
        [row] = [t for t in p.teams if t.name == "Finance"]
        assert (row.members_before, row.members_after, row.members_added, row.members_removed, row.actions) == (
            2, 1, 0, 1, (PUSH, REMOVAL))
        assert p.summary.teams.member_removals == 1
        assert [(g.ok, g.detail) for g in p.summary.guards if g.name == "threshold.team_member_removals"] == [
            (True, "team_member_removals: 1 of 2 team memberships (50.0%); no limit")]
        path = tmp_path / "week2.json"
        write_plan(p, path)
        _, out, _ = run_cli(capsys, "show", str(path), "--all")
        lines = out.splitlines()
        assert "  ~ Finance <- group 'Finance'  [team tF]  members 2 -> 1 (+0 -1)" in lines
        assert ("      - leaves team 'Finance', by the push scim.set_group_members:gF  "
                "(teams.remove_member, teams.leftovers)") in lines
        assert "0 member removals" not in out and "1 member removal" in out

        # a mass removal through pushes trips the guard like any other removal
        limited = plan(snap, POLICY + LIMIT)
        assert [(g.ok, g.detail) for g in limited.summary.guards if g.name == "threshold.team_member_removals"] == [
            (False, "team_member_removals: 1 of 2 team memberships (50.0%) is more than 25% "
                    "(guards.thresholds.team_member_removals)")]

        done = apply_and_fetch(p, tmp_path / "week2", server)
        assert finance(done) == ["mA"]
        assert [(u.id, u.active) for u in done.scim_users if u.id == "mB"] == [("mB", False)]
    finally:
        server.close()


def test_a_removal_whose_push_keeps_the_member_or_is_dropped_is_no_removal(tmp_path: Path):
    """The teams family plans Cat's removal by Finance's push (the export's group lacks her); settling keeps
    SCIM's membership (SCIM's group is newer) and drops the push: Cat stays, and the plan says so (was: one
    member removal counted, Finance 2 -> 1, and apply failed it, NotRemovedByPush)."""
    from .test_day_two_group_dates import FIRST as DATED_FIRST, POLICY as DATED_POLICY, SNAP as DATED, \
        finance_dated

    server, _ = counting_sandbox(DATED.sigma)
    try:
        apply_and_fetch(plan(DATED, DATED_FIRST), tmp_path / "wave", server)
        scim_patch(server, "/Groups/tF", [{"op": "remove", "path": 'members[value eq "mB"]'},
                                          {"op": "add", "path": "members", "value": [{"value": "mC"}]}])
        sigma = fetch(tmp_path, server, "after-scim")
        [scim_finance] = [g for g in sigma.scim_groups if g.id == "tF"]
        for extra in ("", "\nlinking: {scim_state_conflicts: {uB: scim_state, uC: scim_state}}"):
            p = plan(finance_dated(sigma, moved(scim_finance.last_modified, -1)), DATED_POLICY + extra)
            assert kinds(p) == []
            [row] = [t for t in p.teams if t.name == "Finance"]
            assert (row.members_before, row.members_after, row.members_removed, row.actions,
                    p.summary.teams.member_removals) == (2, 2, 0, (), 0)
    finally:
        server.close()


def test_a_push_whose_list_settling_keeps_someone_out_of_adds_only_whom_it_sends(tmp_path: Path):
    """The other direction: SCIM removed Bob from Finance after the (older) export, which still lists him;
    settled ``scim_state``, the push keeps him out and adds only Dan, new in the IdP: the row says
    1 -> 2 (+1 -0), what apply leaves (was: 1 -> 3 (+2), Bob counted as joining)."""
    from msgspec import structs as msgspec_structs

    from .plan_factory import user
    from .test_day_two_group_dates import FIRST as DATED_FIRST, POLICY as DATED_POLICY, SNAP as DATED, \
        finance_dated

    server, _ = counting_sandbox(DATED.sigma)
    try:
        apply_and_fetch(plan(DATED, DATED_FIRST), tmp_path / "wave", server)
        scim_patch(server, "/Groups/tF", [{"op": "remove", "path": 'members[value eq "mB"]'}])
        sigma = fetch(tmp_path, server, "after-scim")
        [scim_finance] = [g for g in sigma.scim_groups if g.id == "tF"]
        snap = finance_dated(sigma, moved(scim_finance.last_modified, -1), members=("uA", "uB", "uD"))
        dan = user("uD", "dan@example.com", first="Dan", last="Ko")
        snap = replace(snap, idp=replace(snap.idp, users=snap.idp.users + (dan,), groups=tuple(
            msgspec_structs.replace(g, member_user_ids=g.member_user_ids + ("uD",)) if g.id == "gV" else g
            for g in snap.idp.groups)))
        p = plan(snap, DATED_POLICY + "\nlinking: {scim_state_conflicts: {uB: scim_state}}")
        assert (kinds(p), review_codes(p)) == (
            [("scim.create_user", "scim.create_user:uD"), ("scim.set_group_members", PUSH)], [])
        assert by_id(p)[PUSH].after.members == ["ann@example.com", "dan@example.com"]
        [row] = [t for t in p.teams if t.name == "Finance"]
        assert (row.members_before, row.members_after, row.members_added, row.members_removed) == (1, 2, 1, 0)
        done = apply_and_fetch(p, tmp_path / "week2", server)
        [dan_id] = [m.member_id for m in done.members if m.email == "dan@example.com"]
        assert finance(done) == sorted(["mA", dan_id])
    finally:
        server.close()


def test_a_push_keeps_the_held_members_its_teams_scim_group_lists(tmp_path: Path):
    """A re-plan in which a blocking linking item holds Bob (a second IdP user has his address): his team's
    push keeps him, as Sigma's SCIM state names him, so nothing removes a held member while the question is
    open (was: the push's list left him out, removing him with 'members 2 -> 2 (+0 -0)' on the row)."""
    from .plan_factory import user

    server, _ = counting_sandbox(SNAP.sigma)
    try:
        sigma = apply_and_fetch(plan(SNAP, FIRST), tmp_path / "wave", server)
        twin = user("uB2", "bob@example.com", first="Bob", last="Ray")
        snap = replace(SNAP, sigma=sigma, idp=replace(SNAP.idp, users=SNAP.idp.users + (twin,)))
        p = plan(snap, POLICY)
        assert review_codes(p) == [("linking.idp_duplicate", True)]
        [bob] = [r for r in p.people if r.member_id == "mB"]
        assert (bob.actions, bob.review_items) == ((), ("linking.idp_duplicate:uB",))
        assert kinds(p) == []  # Finance's push keeps Bob: Sigma's SCIM group already holds its list
        [row] = [t for t in p.teams if t.name == "Finance"]
        assert (row.members_before, row.members_after, row.members_added, row.members_removed, row.actions) == (
            2, 2, 0, 0, ())

        # a push that still runs (Cy joins) carries him, and says why
        cy = user("uC", "cy@example.com", first="Cy", last="Oz")
        snap = replace(snap, idp=replace(snap.idp, users=snap.idp.users + (cy,), groups=tuple(
            structs.replace(g, member_user_ids=g.member_user_ids + ("uC",)) if g.id in ("gF", "gV") else g
            for g in snap.idp.groups)))
        p = plan(snap, POLICY)
        push = by_id(p)[PUSH]
        assert push.after.members == ["ann@example.com", "bob@example.com", "cy@example.com"]
        assert push.reason == ("team 'Finance' members = the 2 provisioned member(s) of group 'Finance'; keeps "
                               "bob@example.com: held by a blocking review item, so the push does not remove them "
                               "while it is open")
        [row] = [t for t in p.teams if t.name == "Finance"]
        assert (row.members_before, row.members_after, row.members_added, row.members_removed) == (2, 3, 1, 0)
    finally:
        server.close()


def test_a_push_keeps_a_member_whose_deactivation_is_in_question(tmp_path: Path):
    """Bob DEPROVISIONED with no date: his deactivation is the blocking scim.state_conflict (which is newer?),
    so it is not planned, and Finance's push keeps him (was: the push left him out, a removal of a person
    whose leaving the plan asks about)."""
    from .test_scim_kept_members import SNAP as KEPT, week2

    server, _ = counting_sandbox(KEPT.sigma)
    try:
        sigma = apply_and_fetch(plan(KEPT, FIRST), tmp_path / "wave", server)
        p = plan(week2(sigma), POLICY)
        # his removal from Finance is held as an absent member's is (scim_state.held_in_teams; issue 10, holds3)
        assert review_codes(p) == [("scim.held_member", False), ("scim.state_conflict", True)]
        assert [i.id for i in p.review_items if i.code == "scim.held_member"] == [
            "scim.held_member:teams.remove_member:tF:mB"]
        assert kinds(p) == [("scim.create_user", "scim.create_user:uC"), ("scim.set_group_members", PUSH)]
        push = by_id(p)[PUSH]
        assert (push.after.members, push.reason) == (
            ["ann@example.com", "bob@example.com", "cy@example.com"],
            "team 'Finance' members = the 2 provisioned member(s) of group 'Finance' (keeps bob@example.com: their "
            "deactivation waits on the scim.state_conflict about them)")
        [row] = [t for t in p.teams if t.name == "Finance"]
        assert (row.members_before, row.members_after, row.members_added, row.members_removed,
                p.summary.teams.member_removals) == (2, 3, 1, 0, 0)
    finally:
        server.close()
