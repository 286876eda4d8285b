"""``undo`` checks a team's membership as the apply left it (tester10 finding 3): after a wave that
pushed Finance's members (the whole sample plan applied), the IdP removed robert.chen from the Finance group through SCIM; the undo plan's
reversal of the push had him in before AND after, carried no fingerprint of the team, and its apply put
him back. Now the reversal of a push is fingerprinted with the team as the apply left it: ``undo`` with
a target leaves it out with an ``undo.drifted`` item naming the team and robert, and an undo plan made
offline is refused by apply's stale check; with nothing changed the reversal stays and applies."""

from __future__ import annotations

from pathlib import Path

import httpx2
import pytest

from planner.execute.apply import apply_plan
from planner.execute.errors import ApplyRefused
from planner.execute.journal import journal_path
from planner.execute.undo import build_undo_plan, live_changes
from planner.planfile import read_plan, write_plan
from planner.planning import plan_from_paths

from .execute_support import options_for
from .sandbox_fixture import sample_sandbox

REPO = Path(__file__).resolve().parent.parent
SIGMA, OKTA, POLICY = REPO / "samples/acme/sigma", REPO / "samples/acme/okta", REPO / "policies/examples/okta.yaml"
FINANCE = "e5cd73fd-a310-46b1-8740-b7e718874ef3"
ROBERT = "zSutITtoCUJKFLUHHIQpGKCCb1nmD"
PUSH = "scim.set_group_members:00gSUDsbhMqeLxqzTHLU"


@pytest.fixture
def finance_applied(tmp_path):
    """The sample's sandbox after ``apply plan.json`` (converged): ``(server, plan)``."""
    plan, _ = plan_from_paths(str(SIGMA), [str(OKTA)], str(POLICY))
    path = tmp_path / "plan.json"
    write_plan(plan, path)
    server = sample_sandbox(SIGMA)
    server.start()
    try:
        report = apply_plan(path, options_for(server, auto_approve=True))
        assert report.status == "converged"
        yield server, path
    finally:
        server.close()


def finance_member_ids(server) -> list[str]:
    answer = httpx2.get(f"{server.base_url}/v2/teams/{FINANCE}/members", headers=server.rest_headers(),
                        params={"limit": 1000})
    answer.raise_for_status()
    return sorted(e["userId"] for e in answer.json()["entries"])


def planned_member_ids(plan: Path) -> set[str]:
    return {p.member_id for p in read_plan(plan).people if p.member_id}


def idp_removes_robert_from_finance(server) -> None:
    httpx2.patch(f"{server.scim_base_url}/Groups/{FINANCE}", headers=server.scim_headers(), json={
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [{"op": "remove", "path": f'members[value eq "{ROBERT}"]'}]}).raise_for_status()


def test_nothing_changed_the_push_is_reversed_against_the_team_as_the_apply_left_it(tmp_path, finance_applied):
    server, plan = finance_applied
    left = finance_member_ids(server)
    undo = build_undo_plan(journal_path(plan), created_at="t", changed_since=live_changes(options_for(server)))
    assert [r.id for r in undo.review_items if r.code == "undo.drifted"] == []
    (push,) = [a for a in undo.actions if a.id == PUSH]
    # the members the apply created have no memberId in the plan: accepted by their userName in before.members
    created = {m: server.state.get_member(m)["email"] for m in left if m not in planned_member_ids(plan)}
    assert sorted(created.values()) == ["amelia.clarke@acme.example", "jonas.weber@acme.example"]
    assert set(created.values()) <= set(push.before.members) - set(push.after.members)
    assert undo.fingerprints[f"team:{FINANCE}"].state.member_ids == tuple(m for m in left if m not in created)
    assert "robert.chen@acme.example" in push.before.members and "robert.chen@acme.example" in push.after.members
    write_plan(undo, tmp_path / "undo.json")
    assert apply_plan(tmp_path / "undo.json", options_for(server, auto_approve=True)).status == "converged"


def test_a_member_scim_removed_since_the_apply_leaves_the_push_out_and_refuses_the_offline_undo(
        tmp_path, finance_applied):
    server, plan = finance_applied
    idp_removes_robert_from_finance(server)
    assert ROBERT not in finance_member_ids(server)

    offline = build_undo_plan(journal_path(plan), created_at="t")
    assert PUSH in [a.id for a in offline.actions] and f"team:{FINANCE}" in offline.fingerprints
    write_plan(offline, tmp_path / "offline-undo.json")
    with pytest.raises(ApplyRefused, match=rf"plan is stale, 1 object\(s\) changed in Sigma since it was made: "
                                           rf"team:{FINANCE} \(Finance\): memberIds: {ROBERT} left "
                                           rf"\(the plan saw 17 members\); plan again$"):
        apply_plan(tmp_path / "offline-undo.json", options_for(server, auto_approve=True))

    undo = build_undo_plan(journal_path(plan), created_at="t", changed_since=live_changes(options_for(server)))
    assert PUSH not in [a.id for a in undo.actions]
    assert f"team:{FINANCE}" not in undo.fingerprints
    (item,) = [r for r in undo.review_items if r.code == "undo.drifted"]
    assert (item.id, item.blocking, item.subject.team_id, item.subject.name, item.message) == (
        f"undo.drifted:team:{FINANCE}", False, FINANCE, "Finance",
        f"team:{FINANCE} (Finance): memberIds: robert.chen@acme.example ({ROBERT}) left (the plan saw 17 members): "
        f"changed in Sigma since the apply, so {PUSH} is not reversed (the undo would act on a state nobody "
        "reviewed); plan it again from the current state")
    write_plan(undo, tmp_path / "undo.json")
    assert apply_plan(tmp_path / "undo.json", options_for(server, auto_approve=True)).status == "converged"
    assert ROBERT not in finance_member_ids(server)  # the IdP's removal stands


# --------------------------------------------------------------------------- a team the apply created

REVOPS_PUSH = "scim.set_group_members:00groWkNK4rfvGnE5I6u"  # Revenue Operations: scim.create_group, then its push


def created_team(server, plan: Path) -> tuple[str, list[str]]:
    """The teamId the journal records for Revenue Operations, which the apply created, and its members now."""
    from planner.execute.journal import read_journal_file

    _, _, rows = read_journal_file(journal_path(plan))
    team_id = rows["scim.create_group:00groWkNK4rfvGnE5I6u"].ids["scimGroupId"]
    answer = httpx2.get(f"{server.base_url}/v2/teams/{team_id}/members", headers=server.rest_headers(),
                        params={"limit": 1000})
    answer.raise_for_status()
    return team_id, sorted(e["userId"] for e in answer.json()["entries"])


def test_the_push_to_a_created_team_is_reversed_by_its_journaled_id_against_the_team_as_the_apply_left_it(
        tmp_path, finance_applied):
    server, plan = finance_applied
    team_id, members = created_team(server, plan)
    assert read_plan(plan).actions and [a.target.team_id for a in read_plan(plan).actions if a.id == REVOPS_PUSH] == [
        None]  # the plan cannot know the id Sigma gives the team
    undo = build_undo_plan(journal_path(plan), created_at="t", changed_since=live_changes(options_for(server)))
    assert [r.id for r in undo.review_items if r.code == "undo.drifted"] == []
    (push,) = [a for a in undo.actions if a.id == REVOPS_PUSH]
    assert (push.target.team_id, push.target.scim_id, push.after.members) == (team_id, team_id, [])
    assert f"team:{team_id}" in undo.fingerprints
    [row] = [r for r in undo.teams if r.name == "Revenue Operations"]
    assert (row.team_id, row.mode, row.members_before, row.members_after) == (team_id, "create", len(members), 0)
    write_plan(undo, tmp_path / "undo.json")
    assert apply_plan(tmp_path / "undo.json", options_for(server, auto_approve=True)).status == "converged"
    assert created_team(server, plan)[1] == []  # the team stays (a creation is not reversed), its pushed members go


def test_a_member_scim_added_to_a_created_team_since_the_apply_leaves_its_push_out_and_refuses_the_offline_undo(
        tmp_path, finance_applied):
    server, plan = finance_applied
    team_id, members = created_team(server, plan)
    # 4 members, one the apply created (no memberId in the plan: accepted by its userName, not fingerprinted)
    assert (ROBERT in members, len(members)) == (False, 4)
    httpx2.patch(f"{server.scim_base_url}/Groups/{team_id}", headers=server.scim_headers(), json={
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [{"op": "add", "path": "members", "value": [{"value": ROBERT}]}]}).raise_for_status()

    offline = build_undo_plan(journal_path(plan), created_at="t")
    assert REVOPS_PUSH in [a.id for a in offline.actions] and f"team:{team_id}" in offline.fingerprints
    write_plan(offline, tmp_path / "offline-undo.json")
    with pytest.raises(ApplyRefused, match=rf"plan is stale, 1 object\(s\) changed in Sigma since it was made: "
                                           rf"team:{team_id} \(Revenue Operations\): memberIds: {ROBERT} joined "
                                           rf"\(the plan saw 3 members\); plan again$"):
        apply_plan(tmp_path / "offline-undo.json", options_for(server, auto_approve=True))

    undo = build_undo_plan(journal_path(plan), created_at="t", changed_since=live_changes(options_for(server)))
    assert REVOPS_PUSH not in [a.id for a in undo.actions]
    (item,) = [r for r in undo.review_items if r.code == "undo.drifted"]
    assert (item.id, item.subject.team_id, item.subject.name, item.message) == (
        f"undo.drifted:team:{team_id}", team_id, "Revenue Operations",
        f"team:{team_id} (Revenue Operations): memberIds: robert.chen@acme.example ({ROBERT}) joined (the plan saw "
        f"3 members): changed in Sigma since the apply, so {REVOPS_PUSH} is not reversed (the undo would "
        "act on a state nobody reviewed); plan it again from the current state")
    write_plan(undo, tmp_path / "undo.json")
    assert apply_plan(tmp_path / "undo.json", options_for(server, auto_approve=True)).status == "converged"
    assert ROBERT in created_team(server, plan)[1]  # the IdP's addition stands, and the team's members stay
