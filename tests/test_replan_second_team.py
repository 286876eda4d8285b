"""The re-plan after a second team (tester16b finding 2): Sigma's SCIM lists two groups with one ``externalId`` (one IdP
group, two teams). The re-plan links and pushes neither: a blocking ``scim.shared_group_external_id`` item names both
SCIM groups, the IdP group and the plan's link (was: the last group listed was taken for the IdP group's team, its
members pushed, and the other team, which SCIM links to the same IdP group, called unmanaged; no item).

Against the real sandbox over HTTP: the IdP pushes Entra group Finance as "Finance Dept", and a link keyed on the team
name Finance (what apply did before the fix) linked team Finance to it too; then ``fetch`` and ``plan``."""

from __future__ import annotations

import httpx2
import pytest

from planner.model import AccountType, ItemEvidence, ItemRef, SigmaExport, SigmaTeam, TeamMembership

from .conftest import write
from .execute_support import counting_sandbox, member, sandbox_env
from .test_replan_refused_actions import POLICY, fetch_then_plan, users_csv

FINANCE = "44444444-4444-4444-4444-444444444444"
GROUPS = f"Object ID,Display name,Mail,Group type,Membership type\n{FINANCE},Finance,,Security,Assigned\n"
MEMBERS = ("Object ID,User principal name,Display name,Member type\n"
           "22222222-2222-2222-2222-222222222222,ann@example.com,Ann Example,User\n")


def push(server, display_name: str) -> str:
    """The SCIM ``POST /Groups`` of Entra group Finance as ``display_name`` (externalId :data:`FINANCE`): its SCIM id."""
    answer = httpx2.post(f"{server.scim_base_url}/Groups", headers={"Authorization": f"Bearer {server.scim_token}"},
                         json={"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
                               "displayName": display_name, "externalId": FINANCE})
    assert answer.status_code == 201, answer.text
    return answer.json()["id"]


@pytest.fixture
def server(monkeypatch):
    """admin@ and ann@ (team tFin Finance holds ann@), their credentials in the environment."""
    org = SigmaExport(members=(member("mAdmin", "admin@example.com", "Admin"), member("m1", "ann@example.com")),
                      teams=(SigmaTeam("tFin", "Finance"),), team_memberships=(TeamMembership("tFin", "m1"),),
                      account_types=(AccountType("a1", "Admin"), AccountType("a3", "Viewer")))
    server, _ = counting_sandbox(org)
    for name, value in sandbox_env(server).items():
        monkeypatch.setenv(name, value)
    yield server
    server.close()


def plan_after(tmp_path, capsys, server, name: str):
    write(tmp_path / "pol.yaml", POLICY)
    write(tmp_path / "entra/users.csv", users_csv())
    write(tmp_path / "entra/groups.csv", GROUPS)
    write(tmp_path / "entra/group_members/Finance.csv", MEMBERS)
    return fetch_then_plan(capsys, tmp_path, server, name)[1]


def test_one_external_id_on_two_scim_groups_is_a_blocking_item_holding_the_group(tmp_path, server, capsys):
    dept = push(server, "Finance Dept")  # the IdP, under another displayName: a new team
    linked = push(server, "Finance")  # the link keyed on the team's name: team tFin

    plan = plan_after(tmp_path, capsys, server, "b1")

    [item] = [i for i in plan.review_items if i.code == "scim.shared_group_external_id"]
    assert (linked, item.id, item.blocking, item.rule) == (
        "tFin", f"scim.shared_group_external_id:{FINANCE}", True, "scim_state.shared_group_external_id")
    # the plan's link is of the group SCIM lists last (scim_assignments), the item names both in listing order
    assert item.subject == ItemRef(team_id=dept, name="Finance Dept", group_id=FINANCE, group_display_name="Finance")
    assert item.candidates == (ItemRef(team_id="tFin", name="Finance", scim_id="tFin"),
                               ItemRef(team_id=dept, name="Finance Dept", scim_id=dept))
    assert item.message == (
        f"IdP group {FINANCE} ('Finance') is held in Sigma's SCIM state by SCIM group tFin (displayName 'Finance'); "
        f"SCIM group {dept} (displayName 'Finance Dept'), and the plan's scim.link_group of team 'Finance Dept' sends "
        "that externalId too: Sigma keys a POST /Groups on its displayName alone. One IdP group, 2 teams: the plan "
        "links, creates and pushes none of them for it, and removes no member through it, until one team is left")
    assert item.evidence == ItemEvidence(action=f"scim.link_group:{dept}", external_id=FINANCE)
    assert [a.id for a in plan.actions if "group" in a.kind.value] == []
    assert [i.id for i in plan.blocking_items] == [item.id]


def test_the_group_the_idp_pushed_under_another_name_alone_is_the_groups_team(tmp_path, server, capsys):
    dept = push(server, "Finance Dept")  # one SCIM group holds the IdP group: Sigma's link, kept

    plan = plan_after(tmp_path, capsys, server, "b2")

    assert [i for i in plan.review_items if i.code == "scim.shared_group_external_id"] == []
    assert [(a.id, a.target.team_id) for a in plan.actions if "group" in a.kind.value] == [
        (f"scim.set_group_members:{FINANCE}", dept)]
    assert plan.blocking_items == ()
