"""One IdP group, one Sigma team (tester16b finding 2): a ``POST /Groups`` the plan holds (``scim.create_group``,
``scim.link_group``) is refused when another SCIM group holds the ``externalId`` it sends, and ``verify`` never
calls it converged.

Sigma keys a ``POST /Groups`` on its ``displayName`` alone: when the IdP has pushed the plan's IdP group under another
displayName since the approval, the link (or create) made a second team for the same IdP group, so SCIM listed two
groups with one ``externalId`` and apply said "converged". The same mechanism as users'
(tests/test_execute_second_accounts.py). Against the real sandbox over HTTP; the IdP pushes through the sandbox's
SCIM endpoint with its token, as Okta would.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import httpx2
import pytest

from planner.execute.apply import apply_plan
from planner.execute.approve import approve
from planner.execute.errors import ApplyRefused
from planner.execute.external_ids import BULK_READS, GROUPS, Holder, holders
from planner.execute.journal import journal_path
from planner.execute.scim_client import SigmaScimClient
from planner.model import Action, ActionKind

from .conftest import run_cli
from .execute_support import act, counting_sandbox, options_for, sandbox_env, write_test_plan
from .test_execute_second_accounts import not_converged, refusing_sandbox, urls

MARKETING = {"teamId": None, "name": "Marketing", "groupId": "g-mkt", "groupDisplayName": "Marketing"}


def create_marketing() -> Action:
    """``c1``: ``scim.create_group`` of team Marketing from IdP group ``g-mkt``."""
    return act("c1", ActionKind.SCIM_CREATE_GROUP, MARKETING, {"displayName": "Marketing"},
               evidence={"rule": "teams.mapping"})


def push(server: Any, display_name: str, external_id: str) -> dict[str, Any]:
    """The IdP's ``POST /Groups`` of ``display_name`` with ``externalId`` ``external_id``: the group as answered."""
    answer = httpx2.post(f"{server.scim_base_url}/Groups", headers={"Authorization": f"Bearer {server.scim_token}"},
                         json={"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
                               "displayName": display_name, "externalId": external_id})
    assert answer.status_code == 201, answer.text
    return answer.json()


def teams_holding(server: Any, external_id: str) -> list[str]:
    """The names of the teams whose SCIM group the sandbox holds with ``externalId`` ``external_id``."""
    return [r["name"] for r in server.state.scim_group_rows()
            if json.loads(r["scim_json"] or "{}").get("externalId") == external_id]


@pytest.fixture
def sb(monkeypatch):
    server, counter = counting_sandbox()
    for name, value in sandbox_env(server).items():
        monkeypatch.setenv(name, value)
    yield server, counter
    server.close()


def second_team_line(plan: Any, group: dict[str, Any], action: str, kind: str) -> str:
    return (f"{plan}: plan is stale, 1 object(s) changed in Sigma since it was made: group:{group['id']} "
            f"({group['displayName']}): holds externalId {group['externalId']}, which action {action} ({kind}) sends: "
            "it would give that IdP group a second Sigma team; plan again")


def test_a_link_whose_idp_group_scim_holds_under_another_display_name_is_refused_before_any_write(tmp_path, sb,
                                                                                                  capsys):
    server, counter = sb
    plan = write_test_plan(tmp_path)  # t1 links team t1 Finance to IdP group g-finance
    approve(plan, "Ada Admin")
    pushed = push(server, "Finance Dept", "g-finance")  # since the approval, by the IdP

    code, out, err = run_cli(capsys, "apply", str(plan), *urls(server))

    assert code == 1, out + err
    assert err == f"sigma-migrate: error: {second_team_line(plan, pushed, 't1', 'scim.link_group')}\n"
    assert counter.writes == Counter({"POST /scim/v2/Groups Finance Dept": 1})  # the IdP's; none of apply's
    assert teams_holding(server, "g-finance") == ["Finance Dept"]
    assert not journal_path(plan).exists()


def refused_after_push(tmp_path: Path, server: Any, display_name: str) -> tuple[Path, dict[str, Any], str]:
    """Approve a plan creating Marketing (:func:`create_marketing`), let the IdP push its group ``g-mkt`` as
    ``display_name`` (:func:`push`), apply: ``(the plan, the group the IdP pushed, apply's refusal)``."""
    plan = write_test_plan(tmp_path, (create_marketing(),))
    approve(plan, "Ada Admin")
    pushed = push(server, display_name, "g-mkt")
    with pytest.raises(ApplyRefused) as refused:
        apply_plan(plan, options_for(server))
    return plan, pushed, str(refused.value)


def test_a_create_whose_external_id_another_scim_group_holds_is_refused(tmp_path, sb):
    server, counter = sb
    plan, pushed, refusal = refused_after_push(tmp_path, server, "Mktg")

    assert refusal == second_team_line(plan, pushed, "c1", "scim.create_group")
    assert counter.total() == 1  # the IdP's POST
    assert teams_holding(server, "g-mkt") == ["Mktg"]


def test_the_idp_group_pushed_with_the_planned_name_is_the_impostor_rule_s(tmp_path, sb):
    server, counter = sb  # the IdP pushed the planned name, letter case aside: the team the create would find
    plan, pushed, refusal = refused_after_push(tmp_path, server, "marketing")

    assert refusal == (  # one object named once: the team the IdP made with the planned name
        f"{plan}: plan is stale, 1 object(s) changed in Sigma since it was made: team:{pushed['id']} (marketing): new "
        "since the plan, with the name action c1 (scim.create_group) would create; plan again")
    assert counter.total() == 1


def test_verify_does_not_call_a_link_converged_while_another_scim_group_holds_its_external_id(tmp_path, sb, capsys):
    server, counter = sb
    plan = write_test_plan(tmp_path)
    approve(plan, "Ada Admin")
    assert apply_plan(plan, options_for(server)).status == "converged"
    code, out, err = run_cli(capsys, "verify", str(plan), "--json", *urls(server)[:4])
    assert (code, json.loads(out)["converged"]) == (0, True), out + err  # the linked team t1 is the link's own
    pushed = push(server, "Finance Dept", "g-finance")  # the IdP, after the apply

    assert not_converged(capsys, server, plan) == [
        ("team:t1", "drifted",
         [f"scim.link_group: externalId g-finance is held by SCIM group {pushed['id']} (displayName Finance Dept) "
          "too: one IdP group, two Sigma teams"])]
    assert teams_holding(server, "g-finance") == ["Finance", "Finance Dept"]


@pytest.fixture
def refusing():
    """A sandbox that does not take a filter on the ``externalId`` of groups."""
    with refusing_sandbox("/Groups") as started:
        yield started


def test_a_server_refusing_the_external_id_filter_is_read_from_the_group_listing(tmp_path, refusing):
    server, front = refusing
    plan, pushed, refusal = refused_after_push(tmp_path, server, "Mktg")

    assert refusal == second_team_line(plan, pushed, "c1", "scim.create_group")
    assert (front.refused, front.listings) == (1, 1)  # the filter read of c1's externalId refused, then the listing
    assert teams_holding(server, "g-mkt") == ["Mktg"]


def test_many_group_external_ids_are_read_from_one_listing(refusing):
    server, front = refusing  # it would refuse every filter read of a group's externalId
    pushed = push(server, "Mktg", "g-mkt")
    scim = SigmaScimClient(server.scim_base_url, server.scim_token)
    wanted = [f"g-{i}" for i in range(BULK_READS - 1)] + ["g-mkt"]

    found = holders(scim, wanted, endpoint=GROUPS)

    assert {e: held for e, held in found.items() if held} == {"g-mkt": (Holder(GROUPS, pushed["id"], "Mktg"),)}
    assert sorted(found) == sorted(wanted)
    assert (front.refused, front.listings) == (0, 1)
    scim.close()
