"""IdP groups, and team names, that are one name letter case and surrounding white space aside (leftovers16 items 1-2).

The IdP pushes a group by its displayName and finds the team by it, which SCIM compares ignoring case
(RFC 7643 §8.7.1); Sigma refuses a second team of one name whatever its letter case. So a team linked or created by
a name two IdP groups share (``Finance`` and `` finance``) could end up either group's: plan holds it by a blocking
``teams.conflict``, and ``check`` names the same groups (``duplicate-group-name``), both by
:func:`planner.sources.values.shared_group_names`. A ``regex`` rule that makes a team name an active team has letter
case aside is held as the exact rule's link is (``teams.ambiguous``), and two groups a rule gives ``Finance`` and
``finance`` are one team claimed twice (``teams.conflict``). Real files for check and plan (the tester's Sigma export
with its team Finance, an Okta export written here), small directories for the rule.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import yaml

from .conftest import finding_lines, run_cli
from .plan_factory import group, policy, snapshot, team
from planner.directory import build_directory
from planner.rules.teams import Assignment, assign_groups

FIXTURES = Path(__file__).parent / "fixtures" / "shared_group_name"
PEOPLE = {"00uANN": "ann.active@acme.example", "00uBOB": "bob.build@acme.example",
          "00uZERO": "zero.lead@acme.example", "00uCARL": "carl.case@acme.example",
          "00uMARCUS": "marcus.webb@acme.example"}


def okta_export(root: Path, groups: list[tuple[str, str, list[str]]]) -> Path:
    """An Okta API export (docs/formats.md §2a): the five people of the fixture, ``groups`` (id, name, member ids)."""
    idp = root / "okta"
    idp.mkdir()
    users = [{"id": uid, "status": "ACTIVE",
              "profile": {"login": email, "email": email, "firstName": email.split(".")[0].title(),
                          "lastName": email.split(".")[1].split("@")[0].title()}} for uid, email in PEOPLE.items()]
    (idp / "users.json").write_text(json.dumps(users), encoding="utf-8")
    (idp / "groups.json").write_text(json.dumps([{"id": gid, "type": "OKTA_GROUP", "profile": {"name": name}}
                                                 for gid, name, _ in groups]), encoding="utf-8")
    by_id = {u["id"]: u for u in users}
    (idp / "group_members.json").write_text(json.dumps({gid: [by_id[u] for u in members]
                                                        for gid, _, members in groups}), encoding="utf-8")
    return idp


TWINS = [("00gFIN", "Finance", ["00uANN", "00uZERO"]), ("00gFIN2", " finance", ["00uBOB"]),
         ("00gSALES", "Sales", ["00uCARL"])]

SAME_NAME = (
    "2 groups are named 'Finance' (letter case and surrounding white space aside): 00gFIN ('Finance'), 00gFIN2 "
    "(' finance'); the IdP finds the team a group is pushed to by displayName, ignoring letter case, so a team linked "
    "or created by that name is held by a blocking teams.conflict until all but one of the groups are renamed in the "
    "IdP (duplicate-group-name)")


def held_message(rule: str) -> str:
    return (f"group 'Finance' (00gFIN) would link team 'Finance' (T1) by {rule}, but IdP group(s) ' finance' (00gFIN2) "
            "have the same displayName letter case and surrounding white space aside: the IdP finds the team a group "
            "is pushed to by displayName, which SCIM compares ignoring case (RFC 7643 §8.7.1), and teams.map names a "
            "group by its displayName alone, so the team could follow either group; held, nothing is linked or "
            "created for the group")


def test_check_names_the_groups_whose_team_plan_holds(capsys, tmp_path):
    idp = okta_export(tmp_path, TWINS)
    code, out, err = run_cli(capsys, "check", "--sigma", str(FIXTURES / "sigma"), "--idp", str(idp))
    assert code == 0  # a warning: whether a team is mapped to the name is the plan's to say
    assert [line for line in finding_lines(out + err, "warning:") if "duplicate-group-name" in line] == [
        f"warning: {idp / 'groups.json'}:$[0] [displayName]: {SAME_NAME}"]
    policy_path = tmp_path / "policy.yaml"
    shutil.copy(FIXTURES / "policy.yaml", policy_path)
    for extra, rule in (("", "teams.rules[0].exact"), ("teams:\n  map: {Finance: Finance}\n", "teams.map")):
        policy_path.write_text((FIXTURES / "policy.yaml").read_text(encoding="utf-8") + extra, encoding="utf-8")
        out_plan = tmp_path / "plan.json"
        run_cli(capsys, "plan", "--sigma", str(FIXTURES / "sigma"), "--idp", str(idp), "--policy", str(policy_path),
                "--out", str(out_plan))
        plan = json.loads(out_plan.read_text(encoding="utf-8"))
        [item] = [i for i in plan["review_items"] if i["code"] == "teams.conflict"]
        assert (item["id"], item["blocking"], item["message"], item["candidates"]) == (
            "teams.conflict:T1", True, held_message(rule),
            [{"groupId": "00gFIN", "groupDisplayName": "Finance", "rule": rule},
             {"groupId": "00gFIN2", "groupDisplayName": " finance", "rule": "displayName"}])
        assert item["resolution"] == (
            "# no policy setting settles this: rename all but one of the IdP groups named 'Finance' (00gFIN, 00gFIN2) "
            "in the IdP, so that no two groups share a displayName letter case aside; then export the IdP again and "
            "plan again\n")
        # nothing is linked or pushed for team Finance (Sales has no team, and the rule creates none under mode: link)
        assert [a["id"] for a in plan["actions"] if a["kind"].startswith("scim.") and "group" in a["kind"]] == []


def test_check_is_quiet_about_groups_of_distinct_names(capsys, tmp_path):
    idp = okta_export(tmp_path, [("00gFIN", "Finance", ["00uANN"]), ("00gFIN2", "Finance Ops", ["00uBOB"])])
    code, out, err = run_cli(capsys, "check", "--sigma", str(FIXTURES / "sigma"), "--idp", str(idp))
    assert [line for line in finding_lines(out + err, "warning:") if "duplicate-group-name" in line] == []


def directory(groups, teams, extra=""):
    return build_directory(snapshot([], [], groups=groups, teams=teams, with_root=False), policy(extra))


REGEX = "teams:\n  mode: create\n  rules: [{match: regex, pattern: '^sigma-(.+)$', replace: '\\1'}]\n"


def test_a_regex_rule_never_creates_a_team_beside_one_of_its_name_letter_case_aside():
    # was: team 'finance' created beside the active team 'Finance' (Sigma refuses it, or the push links Finance)
    assignments, [item] = assign_groups(policy(REGEX).teams, directory([group("g1", "sigma-finance")],
                                                                       [team("t1", "Finance")], REGEX))
    assert assignments == []
    assert (item.id, item.blocking, item.rule, item.message) == (
        "teams.ambiguous:g1", True, "teams.rules[0].regex",
        "group 'sigma-finance' would create team 'finance' by teams.rules[0].regex, but active team(s) 'Finance' (t1) "
        "have the same name letter case aside: the IdP finds the team by displayName, which SCIM compares ignoring "
        "case (RFC 7643 §8.7.1), so the push would find the existing team and replace its members, or Sigma refuse a "
        "second team of that name; held, nothing is linked or created for the group")
    assert tuple(c.fields() for c in item.candidates) == ({"name": "finance"}, {"teamId": "t1", "name": "Finance"})
    assert yaml.safe_load(item.resolution) == {"teams": {"map": {"Finance": "sigma-finance"}}}
    # the snippet settles it: the map links the existing team (by its exact name), the rule is not read
    settled = REGEX + "  map: {Finance: sigma-finance}\n"
    assert assign_groups(policy(settled).teams, directory([group("g1", "sigma-finance")], [team("t1", "Finance")],
                                                          settled)) == (
        [Assignment("g1", "sigma-finance", "Finance", "t1", "teams.map")], [])


def test_a_regex_rule_finding_two_teams_of_one_name_letter_case_aside_links_neither_as_the_exact_rule():
    teams = [team("t1", "Finance"), team("t2", "finance")]
    for extra, name, rule in ((REGEX, "sigma-Finance", "teams.rules[0].regex"), ("", "Finance", "teams.rules[0].exact")):
        assignments, [item] = assign_groups(policy(extra).teams, directory([group("g1", name)], teams, extra))
        assert (assignments, item.id, item.blocking, item.message) == (
            [], "teams.ambiguous:g1", True,
            f"group {name!r} would link team 'Finance' (t1) by {rule}, but active team(s) 'finance' (t2) have the same "
            "name letter case aside: the IdP finds the team by displayName, which SCIM compares ignoring case (RFC "
            "7643 §8.7.1), so either could answer and have its members replaced; held, nothing is linked or created "
            "for the group")
    # a name neither team has exactly: no team to link, and none to create beside them
    assignments, [item] = assign_groups(policy(REGEX).teams, directory([group("g1", "sigma-FINANCE")], teams, REGEX))
    assert (assignments, item.id, [c.fields() for c in item.candidates]) == (
        [], "teams.ambiguous:g1", [{"name": "FINANCE"}, {"teamId": "t1", "name": "Finance"},
                                   {"teamId": "t2", "name": "finance"}])
    assert item.resolution.startswith("# no policy setting settles this: rename one of the teams in Sigma")


def test_two_groups_a_regex_rule_gives_one_team_name_letter_case_aside_are_one_conflict():
    # was: teams 'Finance' and 'finance' both created
    d = directory([group("g1", "sigma-Finance"), group("g2", "team-finance")], [], REGEX)
    rule = "teams:\n  mode: create\n  rules: [{match: regex, pattern: '^(?:sigma|team)-(.+)$', replace: '\\1'}]\n"
    assignments, [item] = assign_groups(policy(rule).teams, d)
    assert (assignments, item.id, item.blocking, item.message) == (
        [], "teams.conflict:Finance", True,
        "groups 'sigma-Finance', 'team-finance' all map to teams 'Finance', 'finance', one name letter case aside "
        "(Sigma refuses a second team of a name whatever its letter case)")
    assert [c.fields() for c in item.candidates] == [
        {"groupId": "g1", "groupDisplayName": "sigma-Finance", "rule": "teams.rules[0].regex"},
        {"groupId": "g2", "groupDisplayName": "team-finance", "rule": "teams.rules[0].regex"}]
