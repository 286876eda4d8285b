"""An undo plan whose reversals are group pushes only (tester11 finding 3, nit 11), against the sandbox over HTTP.

A second wave deactivated Bob through SCIM (the IdP deprovisioned him) and pushed Finance without him and
without Cy (the IdP took Cy out of the group). Its undo plan has no person rows and fingerprints the team only:
apply's SCIM organization check found no member to look up and refused every real apply, after ``approve`` and
``--dry-run`` had accepted the plan; and the reversal of the push put Bob, whom the undo leaves deactivated,
back into Finance. Now the check looks up the push's members (:func:`planner.execute.stale.named_members`,
proven by the memberIds of the team's fingerprint), ``approve``/``--dry-run``/apply refuse alike, with one line,
a plan naming no member at all, and the reversal leaves Bob out, saying so. ``verify`` of a push whose member
was renamed since calls the team drifted, naming the member, not missing.
"""

from __future__ import annotations

from dataclasses import replace

import httpx2
import pytest
from msgspec.structs import replace as replace_struct

from planner.execute.apply import apply_plan
from planner.execute.errors import ApplyRefused
from planner.execute.journal import journal_path
from planner.execute.stale import NamedMember, named_members
from planner.execute.undo import build_undo_plan
from planner.execute.verify_plan import verify_lines, verify_plan
from planner.payloads import GroupMembersAfter, GroupMembersBefore
from planner.planfile import read_plan, write_plan

from .conftest import run_cli_with_environ
from .execute_support import counting_sandbox, options_for, sandbox_env
from .plan_factory import group, kinds, member, plan, snapshot, team, user
from .test_day_two_idp_changes import FIRST, POLICY, apply_and_fetch, read_after, scim_patch

ANN, BOB, CY = (member("mA", "ann@example.com", "Ann", "Lee"), member("mB", "bob@example.com", "Bob", "Ray"),
                member("mC", "cy@example.com", "Cy", "Oh"))
USERS = [user("uA", "ann@example.com", first="Ann", last="Lee"), user("uB", "bob@example.com", first="Bob", last="Ray"),
         user("uC", "cy@example.com", first="Cy", last="Oh")]
SNAP = snapshot([ANN, BOB, CY], USERS, groups=[group("gF", "Finance", ["uA", "uB", "uC"])], teams=[team("tF", "Finance")],
                memberships={"tF": ["mA", "mB", "mC"]})
PUSH = "scim.set_group_members:gF"


def second_wave(sigma):
    """The IdP export after wave 1: Bob deprovisioned (dated after the wave), Cy out of group Finance."""
    at = read_after(sigma)
    users = tuple(replace_struct(user("uB", "bob@example.com", first="Bob", last="Ray", active=False),
                                 last_updated=at) if u.id == "uB" else u for u in SNAP.idp.users)
    groups = tuple(group("gF", "Finance", ["uA"]) if g.id == "gF" else g for g in SNAP.idp.groups)
    return replace(SNAP, sigma=sigma, idp=replace(SNAP.idp, users=users, groups=groups, fetched_at=at))


@pytest.fixture
def undone(tmp_path):
    """``(server, undo plan path)``: wave 1 and the second wave applied, the second wave's undo plan written."""
    server, _ = counting_sandbox(SNAP.sigma)
    try:
        sigma = apply_and_fetch(plan(SNAP, FIRST), tmp_path / "wave1", server)
        wave2 = plan(second_wave(sigma), POLICY)
        assert kinds(wave2) == [("scim.deactivate_user", "scim.deactivate_user:mB"), ("scim.set_group_members", PUSH),
                                ("teams.remove_member", "teams.remove_member:tF:mB"),
                                ("teams.remove_member", "teams.remove_member:tF:mC")]
        apply_and_fetch(wave2, tmp_path / "wave2", server)
        undo = build_undo_plan(journal_path(tmp_path / "wave2" / "plan.json"), created_at="t")
        write_plan(undo, tmp_path / "undo.json")
        yield server, tmp_path / "undo.json"
    finally:
        server.close()


def finance(server) -> list[str]:
    answer = httpx2.get(f"{server.base_url}/v2/teams/tF/members", headers=server.rest_headers(), params={"limit": 100})
    answer.raise_for_status()
    return sorted(e["userId"] for e in answer.json()["entries"])


def cli(capsys, monkeypatch, server, *argv: str) -> tuple[int, str, str]:
    return run_cli_with_environ(capsys, monkeypatch, sandbox_env(server), *argv)


def targets(server) -> list[str]:
    return ["--rest-base-url", server.base_url, "--scim-base-url", server.scim_base_url]


def test_an_undo_of_pushes_only_is_applied_and_leaves_out_the_members_it_leaves_deactivated(
        undone, capsys, monkeypatch):
    server, path = undone
    undo = read_plan(path)
    assert ([a.id for a in undo.actions], undo.people, list(undo.fingerprints)) == ([PUSH], (), ["team:tF"])
    (push,) = undo.actions
    assert (push.before.members, push.after.members) == (["ann@example.com"], ["ann@example.com", "cy@example.com"])
    assert push.reason == (
        "undo scim.set_group_members:gF: the team's SCIM-managed members back to the 3 it had, except 1 the apply "
        "deactivated through SCIM, which the undo does not reverse: bob@example.com (scim.deactivate_user:mB); the "
        "IdP's next push of the group would remove them again")
    ((name, before, after, added, removed),) = [
        (t.name, t.members_before, t.members_after, t.members_added, t.members_removed) for t in undo.teams]
    assert (name, before, after, added, removed) == ("Finance", 1, 2, 1, 0)
    assert [r.id for r in undo.review_items] == ["undo.irreversible:scim.deactivate_user:mB"]
    # the members apply looks up over SCIM: the push's, by userName (an undo plan has no person rows)
    assert named_members(undo) == [NamedMember("ann@example.com", None), NamedMember("cy@example.com", None)]

    code, out, _ = cli(capsys, monkeypatch, server, "show", str(path))
    assert ("  ~ Finance <- group 'Finance'  [team tF]  members 1 -> 2 (+1 -0)\n"
            f"      ~ {push.reason}  (scim.set_group_members, undo)\n") in out
    assert cli(capsys, monkeypatch, server, "approve", str(path), "--by", "Ada Admin")[0] == 0
    code, out, _ = cli(capsys, monkeypatch, server, "apply", str(path), "--dry-run", *targets(server))
    assert code == 0 and "# note:" not in out
    code, out, err = cli(capsys, monkeypatch, server, "apply", str(path), *targets(server))
    assert code == 0 and "Apply converged: 1 of 1 done (1 written this run), 0 failed, 0 skipped" in out
    assert finance(server) == ["mA", "mC"]  # Cy back, Bob not
    assert server.state.get_member("mB")["isInactive"] is True


def test_a_plan_naming_no_member_is_refused_alike_by_approve_dry_run_and_apply(undone, capsys, monkeypatch):
    server, path = undone
    undo = read_plan(path)
    (push,) = undo.actions
    empty = replace_struct(push, before=GroupMembersBefore(members=[]), after=GroupMembersAfter(members=[]))
    write_plan(replace_struct(undo, actions=(empty,), digest=""), path)
    line = (f"{path}: the plan names no Sigma member to look up over SCIM, so apply cannot check that the SCIM API "
            "serves organization org-1; the plan cannot be applied")

    assert cli(capsys, monkeypatch, server, "approve", str(path), "--by", "Ada Admin") == (
        1, "", f"sigma-migrate: error: {line}\n")
    code, out, _ = cli(capsys, monkeypatch, server, "apply", str(path), "--dry-run", *targets(server))
    assert code == 1 and f"# note: apply will refuse: {line}\n" in out
    assert cli(capsys, monkeypatch, server, "apply", str(path), "--auto-approve", *targets(server)) == (
        1, "", f"sigma-migrate: error: {line}\n")
    assert not journal_path(path).exists()  # refused before the first request


def test_verify_calls_a_team_whose_pushed_member_was_renamed_drifted_naming_the_member(tmp_path):
    server, _ = counting_sandbox(SNAP.sigma)
    try:
        apply_and_fetch(plan(SNAP, FIRST), tmp_path / "wave1", server)
        # the IdP renames Cy: Sigma makes a new member for the new userName, which takes over the SCIM id
        scim_patch(server, "/Users/mC", [{"op": "replace", "path": "userName", "value": "cy.oh@example.com"}])
        found = verify_plan(tmp_path / "wave1" / "plan.json", options_for(server))
    finally:
        server.close()
    (team_check,) = [o for o in found.verification.objects if o.key == "team:tF"]
    assert (team_check.state, team_check.problems) == ("drifted", [
        "scim.set_group_members: members: 'cy@example.com' is not a SCIM user (renamed or deprovisioned in the "
        "IdP since the plan?)"])
    assert ("  drifted   team:tF (Finance): scim.set_group_members: members: 'cy@example.com' is not a SCIM user "
            "(renamed or deprovisioned in the IdP since the plan?)") in verify_lines(found)
    assert found.exit_code == 2


def test_the_push_members_prove_the_scim_organization_only_by_memberids_the_plan_knows(undone):
    """Another organization whose SCIM lists the same people (a staging copy fed by the same IdP), under other
    memberIds: the push's userNames are found there, but with ids the undo plan does not know: refused."""
    _, path = undone
    other = replace(SNAP.sigma, members=tuple(replace_struct(m, member_id=f"other-{m.member_id}")
                                              if m.member_id != "root" else m for m in SNAP.sigma.members))
    server, counter = counting_sandbox(other)
    rest, scim = server.base_url, server.scim_base_url
    try:
        apply_and_fetch(plan(replace(SNAP, sigma=other), FIRST), path.parent / "other", server)
        writes = counter.total()
        with pytest.raises(ApplyRefused) as refused:
            apply_plan(path, options_for(server, auto_approve=True))
        assert counter.total() == writes
    finally:
        server.close()
    assert str(refused.value) == (
        f"{path}: the SCIM API at {scim} (with SIGMA_SCIM_TOKEN) does not serve organization org-1 "
        f"that the plan was made for and the REST API at {rest} serves: it lists none of the plan's "
        "members (ann@example.com, cy@example.com); nothing was written")
