"""Impostors (issue 12, item 5): an object made in Sigma between plan and apply that collides with a
planned create is drift. Without the check, Sigma answers the create 409 (or links by email) and apply
adopts that object with exit 0, though the approval was for a create.

Against the real sandbox over HTTP; the impostors are made in the sandbox's state, as an admin
would make them in Sigma's UI.
"""

from __future__ import annotations

import sqlite3

import pytest

from planner.execute.apply import apply_plan
from planner.execute.approve import approve
from planner.execute.errors import ApplyRefused
from planner.execute.journal import journal_path
from planner.model import ActionKind
from planner.sources.values import team_name_key

from .execute_support import act, counting_sandbox, options_for, small_plan_actions, write_test_plan


@pytest.fixture
def sb():
    server, counter = counting_sandbox()
    yield server, counter
    server.close()


def test_a_new_member_with_the_email_of_a_planned_create_is_refused(tmp_path, sb):
    server, counter = sb
    plan = write_test_plan(tmp_path)  # u3 creates new@example.com
    approve(plan, "Ada Admin")
    impostor = server.state.create_member(
        {"email": "New@Example.com", "firstName": "Mal", "lastName": "Lory", "memberType": "Admin"}, actor=None)

    with pytest.raises(ApplyRefused) as refused:
        apply_plan(plan, options_for(server))

    assert str(refused.value) == (
        f"{plan}: plan is stale, 1 object(s) changed in Sigma since it was made: "
        f"member:{impostor['memberId']} (New@Example.com): new since the plan, with the email action u3 "
        "(scim.create_user) would create; plan again"
    )
    assert counter.total() == 0
    assert not journal_path(plan).exists()
    assert server.request_counts["GET /v2/members"] == 2  # the preflight, then one email lookup for u3


# one rule for "same team name" (sources.values.team_name_key, the team rules' too): a team typed with
# a zero-width space and a trailing space is the planned Marketing; the white-space-collapsing key
# apply had before kept the zero-width space and let the create run into it
@pytest.mark.parametrize("name", ["marketing", "MARKETING\u200b "])
def test_a_new_team_with_the_name_of_a_planned_group_create_is_refused(tmp_path, sb, name):
    server, counter = sb
    actions = small_plan_actions() + (
        act("c1", ActionKind.SCIM_CREATE_GROUP, {"name": "Marketing"}, {"displayName": "Marketing"}, ["u1"]),
    )
    plan = write_test_plan(tmp_path, actions)
    approve(plan, "Ada Admin")
    impostor = server.state.create_team({"name": name, "members": ["m7"]}, actor=None)

    with pytest.raises(ApplyRefused) as refused:
        apply_plan(plan, options_for(server))

    assert str(refused.value) == (
        f"{plan}: plan is stale, 1 object(s) changed in Sigma since it was made: "
        f"team:{impostor['teamId']} ({name}): new since the plan, with the name action c1 "
        "(scim.create_group) would create; plan again"
    )
    assert counter.total() == 0
    assert server.request_counts["GET /v2/teams"] == 1


def test_objects_the_plan_knows_or_made_itself_are_not_impostors(tmp_path, sb):
    server, counter = sb
    actions = small_plan_actions() + (
        act("c1", ActionKind.SCIM_CREATE_GROUP, {"name": "Marketing"}, {"displayName": "Marketing"}, ["u1"]),
    )
    plan = write_test_plan(tmp_path, actions)
    approve(plan, "Ada Admin")
    assert apply_plan(plan, options_for(server)).status == "converged"  # no impostor before the first run
    assert counter.total() == 9

    # the finished plan again: the user and team u3/c1 made exist now, but those creates were started
    again = apply_plan(plan, options_for(server))
    assert again.status == "converged" and again.writes == 0

    # the same objects, had no run started u3 and c1, would be impostors
    db = sqlite3.connect(journal_path(plan))
    db.execute("UPDATE actions SET attempts=0, state='pending' WHERE action_id IN ('u3', 'c1')")
    db.commit()
    db.close()
    with pytest.raises(ApplyRefused) as refused:
        apply_plan(plan, options_for(server, resume=True))
    new_member = server.state.scim_user_rows(user_name="new@example.com")[0]["member_id"]
    team = next(t for t in server.state.list_teams(limit=100)[0] if t["name"] == "Marketing")
    assert str(refused.value) == (
        f"{plan}: plan is stale, 2 object(s) changed in Sigma since it was made: "
        f"member:{new_member} (new@example.com): new since the plan, with the email action u3 "
        "(scim.create_user) would create; "
        f"team:{team['teamId']} (Marketing): new since the plan, with the name action c1 "
        "(scim.create_group) would create; plan again"
    )


def test_team_name_key_is_the_clean_name_case_folded():
    assert [team_name_key(n) for n in ("Finance", " finance", "FINANCE\u200b", "Fin  Ops", "Straße", None)] == [
        "finance", "finance", "finance", "fin  ops", "strasse", ""]
