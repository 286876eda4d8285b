"""Issue 10 (tester2 dirty/scim_empty_group): an IdP group with no members mapped to a team that has members
would empty the team with nothing blocking. Emptying a team is never silent: a blocking ``teams.empty_group``
item, settled by ``teams.confirm_empty`` (docs/policy.md, ``teams``).

Small literal exports (SCIM and Okta) against tests/fixtures/sandbox_seed, whose team Finance Analysts holds
Ada, Ben, Dan and the guest; the policy of tests/test_incomplete_inputs.py.
"""

from __future__ import annotations

import json

import pytest
import yaml

from planner.policy import resolved_policy

from .conftest import write
from .test_incomplete_inputs import POLICY, SIGMA, okta_export, okta_user, read_plan, run_cli
from .test_incomplete_scim_google import DAN, FINANCE_TEAM, USERS, scim_export

EMPTY = ("IdP group 'Finance Analysts' has no members while team 'Finance Analysts' has 4: the team would lose 4 "
         "of them (teams.remove_member) and its SCIM members would be none")
FINANCE_REMOVALS = [f"teams.remove_member:{FINANCE_TEAM}:{m}" for m in (
    "Ad4AdminAd4AdminAd4AdminAd4Ad", "Bn5BuilderBn5BuilderBn5Builde", "Dn7OBrienDn7OBrienDn7OBrienDn",
    "Gw8GuestGw8GuestGw8GuestGw8Gu")]


def plan(capsys, tmp_path, idp, extra: str = ""):
    write(tmp_path / "policy.yaml", POLICY + extra)
    out = tmp_path / "plan.json"
    code, _, err = run_cli(capsys, "plan", "--sigma", str(SIGMA), "--idp", str(idp), "--policy",
                         str(tmp_path / "policy.yaml"), "--out", str(out), "--detailed-exitcode")
    assert out.exists(), err
    return code, read_plan(out)


def exports(tmp_path):
    """The same organization as a SCIM export and as an Okta export: group Finance Analysts empty, group
    Sales EMEA holding Cleo (an export without any membership is ``missing-group-memberships``, an error)."""
    scim = scim_export(tmp_path / "scim", [*USERS, DAN], [])
    groups = json.loads((scim / "Groups.json").read_text())
    groups["Resources"].append({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "id": "g2",
                                "displayName": "Sales EMEA", "members": [{"value": "u3", "type": "User"}]})
    write(scim / "Groups.json", json.dumps(groups))
    okta = okta_export(tmp_path / "okta", [okta_user(n, email) for n, email in (
        (1, "ada.admin@example.com"), (2, "ben.builder@example.com"), (3, "cleo.viewer@example.com"),
        (4, "dan.obrien@example.com"))], members={"00g1": [], "00g2": [{"id": "00u3"}]})
    write(okta / "groups.json", json.dumps([
        {"id": gid, "type": "OKTA_GROUP", "objectClass": ["okta:user_group"], "profile": {"name": name}}
        for gid, name in (("00g1", "Finance Analysts"), ("00g2", "Sales EMEA"))]))
    return {"scim": scim, "okta": okta}


@pytest.mark.parametrize("idp", ["scim", "okta"])
def test_an_empty_group_emptying_its_team_blocks_the_plan(capsys, tmp_path, idp):
    code, result = plan(capsys, tmp_path, exports(tmp_path)[idp])
    assert code == 3  # --detailed-exitcode: changes, blocked by review items
    assert sorted(a.id for a in result.actions if a.kind.value == "teams.remove_member") == FINANCE_REMOVALS
    assert [(i.id, i.message) for i in result.review_items if i.blocking] == [
        (f"teams.empty_group:{FINANCE_TEAM}",
         EMPTY + "; confirm the group is meant to be empty, or export its members")]
    (item,) = [i for i in result.review_items if i.code == "teams.empty_group"]
    assert yaml.safe_load(item.resolution) == {"teams": {"confirm_empty": ["Finance Analysts"]}}


@pytest.mark.parametrize("idp", ["scim", "okta"])
def test_teams_confirm_empty_settles_it(capsys, tmp_path, idp):
    code, result = plan(capsys, tmp_path, exports(tmp_path)[idp], "teams:\n  confirm_empty: [Finance Analysts]\n")
    assert code == 2  # changes, ready to approve
    assert sorted(a.id for a in result.actions if a.kind.value == "teams.remove_member") == FINANCE_REMOVALS
    assert [(i.id, i.blocking, i.message) for i in result.review_items if i.code == "teams.empty_group"] == [
        (f"teams.empty_group:{FINANCE_TEAM}", False, EMPTY + " (teams.confirm_empty names the group)")]
    # written in the resolved policy only when set (an empty list leaves plans as they were before the key)
    assert resolved_policy(result.policy.resolved).teams.confirm_empty == ["Finance Analysts"]


def test_a_confirm_empty_entry_naming_no_group_is_an_unknown_reference(capsys, tmp_path):
    code, result = plan(capsys, tmp_path, exports(tmp_path)["scim"], "teams:\n  confirm_empty: [Finance Analyst]\n")
    assert code == 3
    assert sorted(i.id for i in result.review_items if i.blocking) == [
        "policy.unknown_reference:teams.confirm_empty[0]", f"teams.empty_group:{FINANCE_TEAM}"]
