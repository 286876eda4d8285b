"""The app assignment is decided once, in the plan, consistent with ``scope.groups`` (tester10 finding 11).

tests/fixtures/tester10_scope: 5 members (team Finance = ann, zero), the same 5 people in an Entra CSV,
an Okta API and a Google API export, groups Sigma-Users {marcus, ann, zero, carl} and Finance {ann, bob};
the policy assigns Sigma-Users only (``scope.groups: [Sigma-Users]``) and deactivates the unmatched, so
bob.build is deactivated as outside scope.groups. The hand-off used to assign Finance to the app too
(``Finance,name,yes,yes,team Finance``), provisioning bob again after his documents were handed over.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from planner.model import AppGroup
from planner.planfile import read_plan

from .conftest import run_cli

FIXTURE = Path(__file__).resolve().parent / "fixtures" / "tester10_scope"
BOB_IDS = {"entra": "33333333-3333-3333-3333-333333333333", "okta": "00u2AAAAAAAAAAAAAAAA",
           "google": "11748392019384756103"}
BOB_MEMBER = "M0002xxxxxxxxxxxxxxxxxxxxxxxxx"
SIGMA_USERS = AppGroup(group="Sigma-Users", match="name", assign=True, scope=True, team=None, account_type=None,
                       outside_scope=())


def plan_and_handoff(capsys, tmp_path: Path, idp: str, policy: Path = FIXTURE / "policy.yaml"):
    out = tmp_path / f"{idp}.json"
    code, _, err = run_cli(capsys, "plan", "--sigma", str(FIXTURE / "sigma"), "--idp", str(FIXTURE / idp),
                           "--policy", str(policy), "--out", str(out))
    assert (code, err) == (0, "")
    code, _, err = run_cli(capsys, "handoff", str(out), "--idp", idp, "--out", str(tmp_path / f"ho-{idp}"),
                           "--draft")
    assert code == 0, err
    groups = list(csv.reader(io.StringIO((tmp_path / f"ho-{idp}" / "groups.csv").read_text(encoding="utf-8-sig"))))
    return read_plan(out), groups


def outside_items(p):
    return [r for r in p.review_items if r.code == "scope.assigned_group_outside_scope"]


@pytest.mark.parametrize("idp", ["entra", "google"])
def test_a_team_group_that_must_be_assigned_and_holds_people_outside_scope_blocks_the_plan(capsys, tmp_path, idp):
    p, groups = plan_and_handoff(capsys, tmp_path, idp)
    bob = BOB_IDS[idp]
    assert p.app_groups == (
        AppGroup(group="Finance", match="name", assign=True, scope=False, team="Finance", account_type=None,
                 outside_scope=(bob,)),
        SIGMA_USERS)
    [item] = outside_items(p)
    why = {"entra": "Entra ID pushes a group as a team only when the group is assigned to the app, which provisions "
                    "its members",
           "google": "Google Workspace provisions the members of the groups of its provisioning scope, which the "
                     "team's group must be in to be pushed, if Google pushes groups at all (docs/sigma-api.md §6.3)"}
    assert (item.id, item.blocking) == ("scope.assigned_group_outside_scope:Finance", True)
    assert item.message == (
        f"team group 'Finance' must be assigned to the Sigma app (it is the group of team 'Finance': {why[idp]}), "
        "and it holds 1 active IdP user(s) scope.groups leaves out, whom that assignment would provision: "
        "bob.build@acme.example (deactivated); the plan treats them as unassigned (1 deactivated): put the group "
        "in scope.groups, or take them out of the group in the IdP and export again")
    assert [c.fields() for c in item.candidates] == [
        {"memberId": BOB_MEMBER, "email": "bob.build@acme.example", "idpId": bob,
         "userName": "bob.build@acme.example", "status": "deactivated"}]
    assert item.evidence.fields() == {"groups": ["Finance"], "members": 1, "kind": "team group"}
    assert item.resolution == (
        "# 'Finance' in scope.groups: its members are provisioned (linked, not deactivated)\n"
        "# or, outside the policy: take them out of the group in the IdP (or into a scope group), export again and "
        "plan again\nscope:\n  groups:\n    - Sigma-Users\n    - Finance\n")
    assert f"members.deactivate:{BOB_MEMBER}" in {a.id for a in p.actions}
    assert groups[1][:5] == ["DRAFT", "Finance", "name", "yes", "yes" if idp == "entra" else "no"]
    assert groups[1][5].startswith("team Finance; BLOCKED: assigning it provisions 1 member(s) scope.groups "
                                   "leaves out (the plan's scope.assigned_group_outside_scope item)")


def test_under_okta_a_team_group_outside_scope_is_pushed_not_assigned(capsys, tmp_path):
    p, groups = plan_and_handoff(capsys, tmp_path, "okta")
    assert p.app_groups == (
        AppGroup(group="Finance", match="name", assign=False, scope=False, team="Finance", account_type=None,
                 outside_scope=(BOB_IDS["okta"],)),
        SIGMA_USERS)
    assert outside_items(p) == [] and p.blocking_items == ()
    assert groups == [
        ["DRAFT", "group", "match", "assign", "push", "purpose"],
        ["DRAFT", "Finance", "name", "no", "yes", "team Finance; pushed, not assigned (outside scope.groups): Okta "
         "pushes only the members assigned to the app, so its 1 member(s) outside scope.groups are not pushed"],
        ["DRAFT", "Sigma-Users", "name", "yes", "no", "scope: its members are assigned to the Sigma app"],
    ]


def test_under_okta_an_account_type_group_outside_scope_blocks_the_plan(capsys, tmp_path):
    policy = tmp_path / "policy.yaml"
    policy.write_text((FIXTURE / "policy.yaml").read_text(encoding="utf-8")
                      + "account_types:\n  group_map: {Finance: Build}\n  default: View\n  on_downgrade: allow\n",
                      encoding="utf-8")
    p, _ = plan_and_handoff(capsys, tmp_path, "okta", policy)
    assert p.app_groups[0] == AppGroup(group="Finance", match="name", assign=True, scope=False, team="Finance",
                                       account_type="Build", outside_scope=(BOB_IDS["okta"],))
    [item] = outside_items(p)
    assert item.message.startswith(
        "account-type group 'Finance' must be assigned to the Sigma app (it gives account type Build "
        "(account_types.group_map): a group assignment is what gives its members their type (docs/sigma-api.md "
        "§6.1, §6.2)), and it holds 1 active IdP user(s) scope.groups leaves out")
    assert item.message.endswith("put the group in scope.groups, take it out of account_types.group_map, or take "
                                 "them out of the group in the IdP and export again")
    assert item.resolution.endswith("# or:\n# account_types:\n#   group_map: {}\n")


def test_the_group_put_in_scope_settles_it_and_nobody_is_deactivated(capsys, tmp_path):
    policy = tmp_path / "policy.yaml"
    policy.write_text((FIXTURE / "policy.yaml").read_text(encoding="utf-8").replace(
        "groups: [Sigma-Users]", "groups: [Sigma-Users, Finance]"), encoding="utf-8")
    p, groups = plan_and_handoff(capsys, tmp_path, "entra", policy)
    assert outside_items(p) == [] and p.blocking_items == ()
    assert not [a.id for a in p.actions if "deactivate" in a.id]
    assert p.app_groups[0] == AppGroup(group="Finance", match="name", assign=True, scope=True, team="Finance",
                                       account_type=None, outside_scope=())
    assert groups[1] == ["DRAFT", "Finance", "name", "yes", "yes",
                         "scope: its members are assigned to the Sigma app; team Finance"]
