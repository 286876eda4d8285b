"""`sigma-migrate handoff` (issue 13 item 3): what the IdP admin configures, rendered from the plan."""

from __future__ import annotations

import csv
import io

import pytest

from planner.cli import main
from planner.handoff import csv_files, handoff_pack, markdown
from planner.planfile import write_plan

from .plan_factory import UNCONFIRMED_POLICY, group, member, plan, snapshot, team, user

POLICY = """
scope:
  groups: [Sigma-Admins, Sigma-Analysts, Finance, "re:^team-.+$"]
account_types:
  group_map: {Sigma-Admins: Admin, Sigma-Analysts: Analyze}
  default: View
  on_downgrade: allow
  overrides: {bob@example.com: Admin}
teams:
  mode: create
  rules:
    - match: exact
    - {match: regex, pattern: '^team-(.+)$', replace: '\\1'}
user_name_guard:
  overrides: {npatel@example.com: use_sigma_email}
"""


def small_plan(base=UNCONFIRMED_POLICY):
    snap = snapshot(
        [member("m1", "ann@example.com"), member("m2", "bob@example.com", member_type="Admin"),
         member("m3", "nina.patel@example.com")],
        [user("u1", "ann@example.com", first="Ann", last="Lee"), user("u2", "bob@example.com"),
         user("u3", "npatel@example.com", emails=["npatel@example.com", "nina.patel@example.com"]),
         user("u4", "dan@example.com", first="Dan", last="Ray")],
        groups=[group("gA", "Sigma-Analysts", ["u1", "u3", "u4"]), group("gF", "Finance", ["u1", "u2"]),
                group("gR", "team-Revenue", ["u4"])],
        teams=[team("tF", "Finance")],
        memberships={"tF": ["m1"]},
        account_types=["Admin", "Analyze", "View"],
    )
    return plan(snap, POLICY, base=base)


def rows(text):
    return list(csv.reader(io.StringIO(text)))


def test_the_lists_come_from_the_plans_decisions():
    pack = handoff_pack(small_plan(), "okta")
    files = csv_files(pack)
    assert rows(files["teams.csv"]) == [
        ["team", "team_id", "group", "plan", "idp_step", "pushed_name", "renamed_by_idp", "members_after"],
        ["Finance", "tF", "Finance", "linked", "Push Groups > Link Group to the team named 'Finance'", "Finance",
         "no", "2"],
        ["Revenue", "(created by apply)", "team-Revenue", "created",
         "Push Groups > Link Group to the team named 'Revenue'", "team-Revenue", "yes", "1"],
    ]
    assert rows(files["groups.csv"]) == [
        ["group", "assign", "push", "purpose"],
        ["Finance", "yes", "yes", "scope: its members are assigned to the Sigma app; team Finance"],
        ["team-Revenue", "yes", "yes", "team Revenue"],
        ["re:^team-.+$", "yes", "no", "scope: its members are assigned to the Sigma app (a pattern: every group "
                                      "whose name matches)"],
        ["Sigma-Admins", "yes", "no", "scope: its members are assigned to the Sigma app; account type Admin"],
        ["Sigma-Analysts", "yes", "no", "scope: its members are assigned to the Sigma app; account type Analyze"],
    ]
    assert rows(files["account_types.csv"])[1:] == [["Admin", "Sigma-Admins", "2"], ["Analyze", "Sigma-Analysts", "3"]]
    assert rows(files["user_names.csv"])[1][:4] == ["u3", "npatel@example.com", "nina.patel@example.com",
                                                    "nina.patel@example.com"]
    assert rows(files["individual_assignments.csv"])[1:] == [
        ["bob@example.com", "Admin", "account_types.overrides in the policy: no group gives this type"]]
    assert rows(files["attribute_mappings.csv"])[1][:2] == ["userName", "Okta username (login)"]
    assert rows(files["attribute_mappings.csv"])[2][2].startswith("exactly one of: Admin, Analyze (case-sensitive")


def test_each_idp_gets_its_own_steps_and_sources():
    p = small_plan()
    entra = handoff_pack(p, "entra")
    assert entra.attributes[0].source == "userPrincipalName"
    assert entra.teams[0].idp_step == ("the group's displayName must be 'Finance' when provisioned "
                                       "(Entra matches groups by displayName)")
    generic = handoff_pack(p, "generic")
    assert generic.teams[1].idp_step == "find the group with GET /Groups?filter=displayName eq \"Revenue\" and keep its id"
    okta = markdown(handoff_pack(p, "okta"))
    order = ["Apply the approved plan", "Set the app usernames", "In Okta > the Sigma app > Provisioning",
             "Assign the groups", "Push Groups: for each of the 2 team(s) in teams.csv use Link Group"]
    assert [okta.index(s) for s in order] == sorted(okta.index(s) for s in order)
    assert "**The plan is not approvable yet**" in okta  # nothing confirmed in the pre-flight section
    from .plan_factory import BASE_POLICY

    assert "not approvable" not in markdown(handoff_pack(small_plan(BASE_POLICY), "okta"))


def test_cli_writes_the_pack_and_the_report_links_it(tmp_path, capsys):
    path = tmp_path / "plan.json"
    write_plan(small_plan(), path)
    main(["handoff", str(path), "--idp", "okta", "--out", str(tmp_path / "handoff")])
    out = capsys.readouterr()
    assert out.out == (f"Hand-off for okta: {tmp_path / 'handoff' / 'README.md'} (5 group(s), 2 team(s), "
                       "1 username(s) to change first)\n")
    assert sorted(p.name for p in (tmp_path / "handoff").iterdir()) == [
        "README.md", "account_types.csv", "attribute_mappings.csv", "groups.csv", "individual_assignments.csv",
        "teams.csv", "user_names.csv"]
    main(["report", str(path), "--out", str(tmp_path / "report.html"), "--handoff", str(tmp_path / "handoff")])
    assert '<a href="handoff/README.md">handoff/README.md</a>' in (tmp_path / "report.html").read_text()


def test_bad_input_is_one_line_and_writes_nothing(tmp_path, capsys):
    bad = tmp_path / "plan.json"
    bad.write_text("<html>not a plan</html>")
    with pytest.raises(SystemExit) as exc:
        main(["handoff", str(bad), "--idp", "okta", "--out", str(tmp_path / "out")])
    assert exc.value.code == 1
    err = capsys.readouterr().err
    assert err.startswith("sigma-migrate: error: ") and err.count("\n") == 1
    assert not (tmp_path / "out").exists()
    with pytest.raises(SystemExit) as exc:
        main(["handoff", str(bad), "--idp", "google", "--out", str(tmp_path / "out")])
    assert exc.value.code == 2
    assert "'google' is not one of 'okta', 'entra', 'generic'" in capsys.readouterr().err
