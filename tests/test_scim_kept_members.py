"""Tester9 finding F5: a SCIM-managed member the plan keeps active though the IdP export shows her
DEPROVISIONED keeps her teams, or loses them in the open: against the sandbox over HTTP (plan, apply,
fetch, a changed export, re-plan, apply, fetch: the exact actions, members, person row and counts).

- ``linking.scim_state_conflicts: {uB: {newer: scim_state, active: true}}`` keeps Bob active; the export still
  lists him in group Finance, so the group's push keeps him (was: ``after.members`` held the active IdP users
  only, so apply removed him from every team in silence: actions [], "0 member removals");
- kept by ``unmatched.idp_inactive: keep`` instead (no entry), he is not provisioned, so the push leaves him
  out: a ``teams.remove_member`` by the push, on his row and counted.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from msgspec import structs

from .execute_support import counting_sandbox
from .plan_factory import by_id, group, kinds, plan, review_codes, user
from .test_day_two_dated_conflicts import FIRST, POLICY, SNAP
from .test_day_two_idp_changes import apply_and_fetch

CY = user("uC", "cy@example.com", first="Cy", last="Oz")


def week2(sigma):
    """The re-plan's snapshot: Bob DEPROVISIONED (undated, still in his groups, as Okta lists a deactivated
    user's groups), Cy hired into Finance and Sigma-Viewers."""
    bob = structs.replace(SNAP.idp.users[2], active=False, status="DEPROVISIONED")
    users = tuple(bob if u.id == "uB" else u for u in SNAP.idp.users) + (CY,)
    groups = (group("gF", "Finance", ["uA", "uB", "uC"]), group("gV", "Sigma-Viewers", ["uA", "uB", "uC"]),
              group("gB", "Sigma-Build", []))
    return replace(SNAP, sigma=sigma, idp=replace(SNAP.idp, users=users, groups=groups))


def team_of(sigma, team_id: str) -> list[str]:
    """The memberIds of team ``team_id`` in a fetched export, sorted."""
    return sorted(t.member_id for t in sigma.team_memberships if t.team_id == team_id)


def row(p, member_id: str):
    [found] = [r for r in p.people if r.member_id == member_id]
    return found


def test_a_member_kept_active_by_a_settled_conflict_stays_in_the_group_push_and_in_the_team(tmp_path: Path):
    server, _ = counting_sandbox(SNAP.sigma)
    try:
        sigma = apply_and_fetch(plan(SNAP, FIRST), tmp_path / "wave", server)
        snap = week2(sigma)
        # unsettled: the question (the plan is held), which holds Bob in Finance too (scim.held_member)
        assert review_codes(plan(snap, POLICY)) == [("scim.held_member", False), ("scim.state_conflict", True)]

        kept = plan(snap, POLICY + "\nlinking: {scim_state_conflicts: {uB: {newer: scim_state, active: true}}}")
        assert review_codes(kept) == []
        assert kinds(kept) == [("scim.create_user", "scim.create_user:uC"),
                               ("scim.set_group_members", "scim.set_group_members:gF")]
        push = by_id(kept)["scim.set_group_members:gF"]
        assert push.after.members == ["ann@example.com", "bob@example.com", "cy@example.com"]
        assert (push.before.member_ids, push.depends_on) == (["mA", "mB"], ("scim.create_user:uC",))
        assert push.reason == "team 'Finance' members = the 3 provisioned member(s) of group 'Finance'"
        bob = row(kept, "mB")
        assert (bob.idp_status, bob.sigma_status, bob.actions, bob.review_items, bob.lockout) == (
            "DEPROVISIONED", "active", (), (), None)
        assert (kept.summary.people["scim_kept"], "leaver" in kept.summary.people,
                kept.summary.teams.member_removals) == (1, False, 0)

        done = apply_and_fetch(kept, tmp_path / "kept", server)
        [cy] = [m.member_id for m in done.members if m.email == "cy@example.com"]
        assert team_of(done, "tF") == sorted(["mA", "mB", cy])
        assert [(u.id, u.active) for u in done.scim_users if u.id == "mB"] == [("mB", True)]
    finally:
        server.close()


def test_a_member_kept_active_but_not_provisioned_leaves_the_team_by_the_push_named_and_counted(tmp_path: Path):
    server, _ = counting_sandbox(SNAP.sigma)
    try:
        sigma = apply_and_fetch(plan(SNAP, FIRST), tmp_path / "wave", server)
        p = plan(week2(sigma), POLICY + "\nunmatched: {action: deactivate, idp_inactive: keep}")
        assert review_codes(p) == []
        assert kinds(p) == [("scim.create_user", "scim.create_user:uC"),
                            ("scim.set_group_members", "scim.set_group_members:gF"),
                            ("teams.remove_member", "teams.remove_member:tF:mB")]
        assert by_id(p)["scim.set_group_members:gF"].after.members == ["ann@example.com", "cy@example.com"]
        removal = by_id(p)["teams.remove_member:tF:mB"]
        assert (removal.reason, removal.evidence.removed_by, removal.depends_on) == (
            "removed from team 'Finance' by the push of scim.set_group_members:gF: in IdP group 'Finance', but "
            "their IdP user is not active, so the plan does not provision them and the push, whose member list "
            "replaces the team's SCIM-managed members, leaves them out; no REST request, apply checks they are gone",
            "scim.set_group_members:gF", ("scim.set_group_members:gF",))
        assert (row(p, "mB").actions, p.summary.teams.member_removals, p.summary.people["leaver"]) == (
            ("teams.remove_member:tF:mB",), 1, 1)
        team_guard = [g for g in p.summary.guards if g.name == "threshold.team_member_removals"]
        assert [g.detail for g in team_guard] == ["team_member_removals: 1 of 2 team memberships (50.0%); no limit"]

        done = apply_and_fetch(p, tmp_path / "keep", server)
        [cy] = [m.member_id for m in done.members if m.email == "cy@example.com"]
        assert team_of(done, "tF") == sorted(["mA", cy])
        assert [(u.id, u.active) for u in done.scim_users if u.id == "mB"] == [("mB", True)]
    finally:
        server.close()


def test_a_kept_member_the_export_lists_in_no_group_stays_in_the_team_sigmas_scim_group_lists(tmp_path: Path):
    server, _ = counting_sandbox(SNAP.sigma)
    try:
        sigma = apply_and_fetch(plan(SNAP, FIRST), tmp_path / "wave", server)
        snap = week2(sigma)  # Okta may list a DEPROVISIONED user in no group: Bob in none
        snap = replace(snap, idp=replace(snap.idp, groups=tuple(
            group(g.id, g.display_name, [m for m in g.member_user_ids if m != "uB"]) for g in snap.idp.groups)))
        kept = plan(snap, POLICY + "\nlinking: {scim_state_conflicts: {uB: {newer: scim_state, active: true}}}")
        assert (review_codes(kept), kinds(kept)) == ([], [("scim.create_user", "scim.create_user:uC"),
                                                          ("scim.set_group_members", "scim.set_group_members:gF")])
        push = by_id(kept)["scim.set_group_members:gF"]
        assert push.after.members == ["ann@example.com", "bob@example.com", "cy@example.com"]
        assert push.reason == ("team 'Finance' members = the 2 provisioned member(s) of group 'Finance'; keeps "
                               "bob@example.com: Sigma's SCIM group lists them and linking.scim_state_conflicts says "
                               "Sigma's SCIM state is newer than the export")
        assert (row(kept, "mB").actions, kept.summary.teams.member_removals) == ((), 0)
        done = apply_and_fetch(kept, tmp_path / "kept", server)
        [cy] = [m.member_id for m in done.members if m.email == "cy@example.com"]
        assert team_of(done, "tF") == sorted(["mA", "mB", cy])
    finally:
        server.close()


def test_an_account_type_a_settled_conflict_keeps_is_the_plans_type_in_show_report_and_handoff(tmp_path: Path, capsys):
    """Tester10 finding 1: the IdP promotes Ann to Admin through SCIM after the wave; the export (older) still
    gives View. Settled ``{uA: {newer: scim_state, userType: Admin}}``, the plan keeps Admin as its decision
    (source scim_state): no downgrade, no acknowledgement asked, no "Admins losing Admin", the hand-off assigns
    Admin (was: a blocking account_types.admin_downgrade Admin -> View, the report's "Admins losing Admin" and
    individual_assignments.csv giving View, while the settling dropped the change itself)."""
    from planner.cli import main
    from planner.outcomes import admin_loss_headline
    from planner.planfile import write_plan

    from .conftest import run_cli
    from .test_day_two_idp_changes import fetch, scim_patch

    server, _ = counting_sandbox(SNAP.sigma)
    try:
        apply_and_fetch(plan(SNAP, FIRST), tmp_path / "wave", server)
        scim_patch(server, "/Users/mA", [{"op": "replace", "path": "userType", "value": "Admin"}])
        sigma = fetch(tmp_path / "wave", server, "after")
        assert [(m.member_id, m.member_type) for m in sigma.members if m.member_id == "mA"] == [("mA", "Admin")]
        replan = replace(SNAP, sigma=sigma)
        unsettled = plan(replan, POLICY)
        assert (kinds(unsettled), review_codes(unsettled)) == (
            [], [("account_types.admin_downgrade", True), ("scim.state_conflict", True)])
        settled = plan(replan, POLICY + "\nlinking: {scim_state_conflicts: {uA: {newer: scim_state, userType: Admin}}}")
        assert (kinds(settled), review_codes(settled)) == ([], [])
        ann = row(settled, "mA")
        assert (ann.account_type_before, ann.account_type_after, ann.type_change, ann.admin_change,
                ann.account_type_source.rule, ann.account_type_source.groups) == (
            "Admin", "Admin", None, None, "scim_state", ())
        assert [admin_loss_headline(x.summary.outcomes.admins_losing_admin) for x in (unsettled, settled)] == [
            "Admins losing Admin: 1 (1 downgraded)", "Admins losing Admin: 0"]
        path = tmp_path / "settled.json"
        write_plan(settled, path)
        _, out, _ = run_cli(capsys, "show", str(path))
        assert "Admin changes" not in out and "Admin -> View" not in out
        main(["report", str(path), "--out", str(tmp_path / "report.html")])
        html = (tmp_path / "report.html").read_text()
        assert "Admins losing Admin: 0" in html and "Admin → View" not in html
        main(["handoff", str(path), "--idp", "okta", "--out", str(tmp_path / "handoff")])
        capsys.readouterr()
        rows = (tmp_path / "handoff" / "individual_assignments.csv").read_text(encoding="utf-8-sig").splitlines()
        assert [r for r in rows if r.startswith("ann@")] == [
            "ann@example.com,uA,ann@example.com,Admin,,scim_state,\"Sigma's SCIM state has Admin, which "
            "linking.scim_state_conflicts keeps (newer: scim_state): the export gives another type\""]
    finally:
        server.close()
