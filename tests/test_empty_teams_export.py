"""Issue 10 (earlier tester item 7): a Sigma export whose teams files hold no team (header-only CSVs, or
``[]`` and ``{}``) while the organization has members and IdP groups would become new teams. An
organization with members and no team is more often a teams export cut short, or of another organization,
than the truth; creating a team beside each real one is hard to undo. So: a blocking ``teams.empty_export``
item naming the files, the member count and the groups, the creates kept in the plan but held (approve and
apply refuse a blocked plan), unless ``teams.confirm_no_teams`` says the organization has none
(docs/policy.md, ``teams``).

Real files: the Sigma members and account types of tests/fixtures/sandbox_seed (9 people) with empty teams
files; a small Okta export (tests/test_incomplete_inputs.py).
"""

from __future__ import annotations

import json
import shutil

import pytest
import yaml

from planner.policy import resolved_policy

from .conftest import write
from .plan_factory import group, kinds, member, plan, review_codes, snapshot, team, user
from .test_incomplete_inputs import PEOPLE, POLICY, SIGMA, okta_export, read_plan, run_cli

CREATE = "teams:\n  mode: create\n  rules:\n    - {match: regex, pattern: '^sigma-team-(.+)$', replace: '\\1'}\n"
MESSAGE = ("the Sigma export lists no teams ({files}) while the organization has 9 member(s): 2 IdP group(s) would "
           "become new teams ('sigma-team-Finance Analysts', 'sigma-team-Sales EMEA')")
UNCONFIRMED = ("; an organization with members and no team is more often a teams export cut short, or of another "
               "organization, than the truth, and a team created beside an existing one is hard to undo: export the "
               "teams and their members again, or confirm the organization has none")
CREATES = [("scim.create_group", "scim.create_group:00g1"), ("scim.create_group", "scim.create_group:00g2"),
           ("scim.set_group_members", "scim.set_group_members:00g1"),
           ("scim.set_group_members", "scim.set_group_members:00g2")]


def sigma_without_teams(root, shape: str):
    """The seed's members and account types; its teams files empty: two header-only CSVs or ``[]`` and ``{}``."""
    root.mkdir(parents=True)
    for name in ("members.json", "account_types.json"):
        shutil.copy(SIGMA / name, root / name)
    if shape == "csv":
        write(root / "teams.csv", "teamId,name,isArchived\n")
        write(root / "team_members.csv", "teamId,userId,isTeamAdmin\n")
        return root, [str(root / "team_members.csv"), str(root / "teams.csv")]
    write(root / "teams.json", "[]")
    write(root / "team_members.json", "{}")
    return root, [str(root / "team_members.json"), str(root / "teams.json")]


def idp(root):
    okta = okta_export(root, PEOPLE, members={"00g1": [{"id": "00u1"}, {"id": "00u2"}], "00g2": [{"id": "00u3"}]})
    write(okta / "groups.json", json.dumps([
        {"id": gid, "type": "OKTA_GROUP", "objectClass": ["okta:user_group"], "profile": {"name": name}}
        for gid, name in (("00g1", "sigma-team-Finance Analysts"), ("00g2", "sigma-team-Sales EMEA"))]))
    return okta


def plan_cli(capsys, tmp_path, sigma, extra: str = ""):
    write(tmp_path / "policy.yaml", POLICY + CREATE + extra)
    out = tmp_path / "plan.json"
    code, _, err = run_cli(capsys, "plan", "--sigma", str(sigma), "--idp", str(idp(tmp_path / "okta")),
                           "--policy", str(tmp_path / "policy.yaml"), "--out", str(out), "--detailed-exitcode")
    assert out.exists(), err
    return code, read_plan(out)


def team_kinds(result):
    return sorted((a.kind.value, a.id) for a in result.actions if "group" in a.kind.value)


@pytest.mark.parametrize("shape", ["csv", "json"])
def test_an_empty_teams_export_holds_the_teams_it_would_create(capsys, tmp_path, shape):
    sigma, files = sigma_without_teams(tmp_path / "sigma", shape)
    code, result = plan_cli(capsys, tmp_path, sigma)
    assert code == 3  # --detailed-exitcode: changes, blocked by review items
    assert team_kinds(result) == CREATES  # still planned, held by the item
    assert [(i.id, i.message) for i in result.review_items if i.blocking] == [
        ("teams.empty_export:teams", MESSAGE.format(files=", ".join(files)) + UNCONFIRMED)]
    (item,) = [i for i in result.review_items if i.code == "teams.empty_export"]
    assert item.evidence.fields() == {
        "groups": ["sigma-team-Finance Analysts", "sigma-team-Sales EMEA"], "files": files, "members": 9}
    assert [c.fields() for c in item.candidates] == [
        {"name": "Finance Analysts", "groupId": "00g1", "groupDisplayName": "sigma-team-Finance Analysts"},
        {"name": "Sales EMEA", "groupId": "00g2", "groupDisplayName": "sigma-team-Sales EMEA"}]
    assert (item.subject.fields(), item.rule) == ({"teams": 0, "members": 9}, "teams.confirm_no_teams")
    assert yaml.safe_load(item.resolution) == {"teams": {"confirm_no_teams": True}}


def test_teams_confirm_no_teams_settles_it(capsys, tmp_path):
    sigma, files = sigma_without_teams(tmp_path / "sigma", "csv")
    code, result = plan_cli(capsys, tmp_path, sigma, "  confirm_no_teams: true\n")
    assert code == 2  # changes, ready to approve
    assert team_kinds(result) == CREATES
    assert [(i.id, i.blocking, i.message, i.resolution) for i in result.review_items
            if i.code == "teams.empty_export"] == [
        ("teams.empty_export:teams", False,
         MESSAGE.format(files=", ".join(files)) + " (teams.confirm_no_teams says the organization has none)", "")]
    # written in the resolved policy only when set (false leaves plans as they were before the key)
    assert resolved_policy(result.policy.resolved).teams.confirm_no_teams is True


# --------------------------------------------------------------------------- when it is no doubt (literal snapshots)


X, Y = member("x", "x@example.com"), member("y", "y@example.com")
UX, UY = user("ux", "x@example.com"), user("uy", "y@example.com")
GROUPS = [group("gF", "sigma-team-Finance", ["ux", "uy"])]
SNAP_CREATE = "teams: {mode: create, rules: [{match: regex, pattern: '^sigma-team-(.+)$', replace: '\\1'}]}"


def test_no_item_when_the_export_lists_a_team_or_nothing_is_created():
    # a team in the export (archived, even): the export is not empty
    snap = snapshot([X, Y], [UX, UY], GROUPS, teams=[team("tOld", "Old", archived=True)])
    assert ("teams.empty_export", True) not in review_codes(plan(snap, SNAP_CREATE))
    assert ("scim.create_group", "scim.create_group:gF") in kinds(plan(snap, SNAP_CREATE))
    # no team, but nothing created: mode link (teams.no_team instead), or no rule maps the group
    snap = snapshot([X, Y], [UX, UY], GROUPS)
    assert review_codes(plan(snap, SNAP_CREATE.replace("create", "link"))) == [("teams.no_team", False)]
    assert review_codes(plan(snap)) == []
    # the item with a literal snapshot (no teams files read): no files named
    (item,) = [i for i in plan(snap, SNAP_CREATE).review_items if i.code == "teams.empty_export"]
    assert (item.blocking, item.evidence.fields()) == (True, {"groups": ["sigma-team-Finance"], "files": [],
                                                              "members": 3})
    assert item.message.startswith("the Sigma export lists no teams while the organization has 3 member(s): 1 IdP "
                                   "group(s) would become new teams ('sigma-team-Finance'); ")
