"""The growth guards on tester20 finding 2's repros, as real files: samples/acme/okta with one mapped IdP group's
members answer replaced by every ACTIVE user (a group rule that misfired, the wrong answer saved for the group).

- Sigma-Build (account_types.group_map: Build) holding everyone upgraded 104 linked members to Build with 0 blocking
  items, while a 10% downgrade blocks: now guards.threshold.upgrades blocks, naming the transitions and the group.
- Leadership (a team's group, in scope.groups) holding everyone took team Executive Dashboards from 5 to 153 members
  and created 18 more accounts: guards.threshold.team_growth blocks (s20); the creates it brings pass the default
  guards.thresholds.creates (docs/policy.md says why) and block once it is set tighter.
- The one-line summary counts the team memberships the pushes add beside the removals, in `plan`, `show` and the
  HTML report.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from planner.planfile import read_plan

from .conftest import REPO, run_cli, write

ACME = REPO / "samples" / "acme"
SIGMA_BUILD, LEADERSHIP = "00gOCss5XDbtcyFbKinT", "00ghyb0Fj5fJcmIn5iO9"
GROUP_QUESTION = ("does the IdP group now hold far more people than it should (a group rule gone wrong, another "
                  "group's members saved as its answer)?")


def everyone_in(root: Path, group_id: str) -> Path:
    """samples/acme/okta with group ``group_id``'s members answer replaced by every ACTIVE user of users.json, as
    Okta lists them (the tester's /work/notes/t20-repro/10 exports)."""
    users = json.loads((ACME / "okta" / "users.json").read_text(encoding="utf-8"))
    members = json.loads((ACME / "okta" / "group_members.json").read_text(encoding="utf-8"))
    assert group_id in members
    members[group_id] = [u for u in users if u["status"] == "ACTIVE"]
    write(root / "group_members.json", json.dumps(members))
    for name in ("users.json", "groups.json"):
        shutil.copy(ACME / "okta" / name, root / name)
    return root


def plan(capsys, tmp_path: Path, idp: Path, tail: str = "") -> tuple[int, str, object]:
    """``plan --detailed-exitcode`` of ``idp`` with the reviewed Okta policy, ``tail`` added to it: the exit status,
    the first line printed (the summary) and the plan."""
    policy = write(tmp_path / "policy.yaml", (ACME / "policy-okta-reviewed.yaml").read_text(encoding="utf-8") + tail)
    out = tmp_path / "plan.json"
    code, stdout, _ = run_cli(capsys, "plan", "--sigma", str(ACME / "sigma"), "--idp", str(idp), "--policy",
                              str(policy), "--out", str(out), "--detailed-exitcode")
    return code, stdout.splitlines()[0], read_plan(out)


def guard(result, name: str):
    (found,) = [g for g in result.summary.guards if g.name == name]
    return found.ok, found.detail


def blocking(result) -> list[str]:
    return [i.id for i in result.review_items if i.blocking]


def test_a_type_group_holding_everyone_blocks_on_its_upgrades(capsys, tmp_path):
    code, line, result = plan(capsys, tmp_path, everyone_in(tmp_path / "okta", SIGMA_BUILD))
    assert code == 3  # changes, blocked
    detail = ("upgrades: 104 of 125 active linked members (83.2%) move to a higher account type: more than 10 and "
              "more than 10% (guards.thresholds.upgrades): View -> Build (45), Analyze -> Build (32), Act -> Build "
              "(25) and 2 more; given by groups 'Sigma-Build' (103), 'Sigma-Data-Stewards' (1): " + GROUP_QUESTION)
    assert guard(result, "threshold.upgrades") == (False, detail)
    assert blocking(result) == ["guards.threshold.upgrades:plan"]
    (item,) = [i for i in result.review_items if i.blocking]
    assert item.message == detail
    assert item.resolution == ("# only if these people really move to a dearer account type:\n"
                               "guards:\n  thresholds:\n    upgrades:\n      count: 104\n"
                               "# or:\n# guards:\n#   thresholds:\n#     upgrades: null\n")
    upgrades = [a for a in result.actions if a.kind.value == "scim.set_account_type" and a.evidence.change == "upgrade"]
    assert len(upgrades) == 104 and result.summary.account_types.upgrades == 104
    assert line.startswith("Plan: 126 link, 31 create, 6 email changes, 1 reactivation, 107 account-type changes "
                           "(3 downgrades), ")
    # its snippet settles it: the upgrades are all still planned, nothing else blocks
    code, _, settled = plan(capsys, tmp_path, tmp_path / "okta", "guards:\n  thresholds:\n    upgrades: {count: 104}\n")
    assert code == 2 and blocking(settled) == []
    assert guard(settled, "threshold.upgrades")[0] is True


def test_a_team_group_holding_everyone_blocks_on_the_team_and_its_creates_pass_the_default(capsys, tmp_path):
    code, line, result = plan(capsys, tmp_path, everyone_in(tmp_path / "okta", LEADERSHIP))
    assert code == 3
    assert blocking(result) == ["guards.threshold.team_growth:plan"]
    assert guard(result, "threshold.creates") == (
        True, "creates: 31 for 140 active Sigma people (22.1%); blocks past 50 and 100%")
    assert guard(result, "threshold.upgrades") == (
        True, "upgrades: 4 of 125 active linked members (3.2%) move to a higher account type; blocks past 10 and 10%")
    # the 148 people Executive Dashboards gains are in the line, beside the removals (the sample's own 23 too)
    executive = next(t for t in result.teams if t.name == "Executive Dashboards")
    assert (executive.members_before, executive.members_after, executive.members_added) == (5, 153, 148)
    assert result.summary.teams.member_additions == 23 + 148
    assert line == ("Plan: 126 link, 31 create, 6 email changes, 1 reactivation, 8 account-type changes "
                    "(4 downgrades), 2 guests disabled, 1 guest converted, 10 deactivations, 11 teams linked, "
                    "2 created, 171 member additions, 3 member removals; 14 review items (1 blocking)")
    # an admin who wants the creates guarded sets the key, and it blocks, naming the scope groups bringing them in
    code, _, tight = plan(capsys, tmp_path, tmp_path / "okta",
                          "guards:\n  thresholds:\n    team_growth: null\n    creates: {count: 20, percent: 15}\n")
    assert code == 3 and blocking(tight) == ["guards.threshold.creates:plan"]
    ok, detail = guard(tight, "threshold.creates")
    assert (ok, detail) == (False, (
        "creates: 31 for 140 active Sigma people (22.1%): more than 20 and more than 15% (guards.thresholds.creates): "
        "in scope through groups 'Leadership' (31), 'Sigma-Viewers' (5), 'Sigma-Act' (3) and 13 more: does a "
        "scope group hold far more people than use Sigma (an all-staff group named by mistake, a group rule gone "
        "wrong, another group's members saved as its answer)?"))


def test_the_whole_sample_passes_both_guards_and_counts_its_additions(capsys, tmp_path):
    code, line, result = plan(capsys, tmp_path, ACME / "okta")
    assert code == 2 and blocking(result) == []
    assert guard(result, "threshold.upgrades") == (
        True, "upgrades: 4 of 125 active linked members (3.2%) move to a higher account type; blocks past 10 and 10%")
    assert guard(result, "threshold.creates") == (
        True, "creates: 13 for 140 active Sigma people (9.3%); blocks past 50 and 100%")
    # seven into the created team Customer Success, four into Revenue Operations, twelve into linked teams
    assert [(t.name, t.members_added) for t in result.teams if t.members_added] == [
        ("Customer Success", 7), ("Customer Support", 1), ("Data Engineering", 1), ("Finance", 3),
        ("HR Analytics", 1), ("Marketing", 2), ("Operations", 1), ("Product Analytics", 1), ("Revenue Operations", 4),
        ("Sales Americas", 1), ("Supply Chain", 1)]
    assert "2 created, 23 member additions, 3 member removals;" in line
    assert result.summary.teams.member_additions == 23
    # show and the HTML report say the same line
    plan_path = tmp_path / "plan.json"
    code, out, _ = run_cli(capsys, "show", str(plan_path))
    assert f"Summary: {line}" in out.splitlines()
    report = tmp_path / "report.html"
    code, _, _ = run_cli(capsys, "report", str(plan_path), "--out", str(report))
    assert code == 0
    assert f'<dd id="plan-summary">{line}</dd>' in report.read_text(encoding="utf-8")
