"""A generic CSV's group typed ``Finance``, ``finance `` and ``FINANCE`` is one group (tester10 #13).

A generic CSV names its groups by the cells of each row (a group has no id but its name as written), so spellings
that differ only by letter case or spaces are typing variants of one group. Before, they were three groups: team
Finance was linked to ``Finance`` alone, and Zero Lead (``finance ``) was removed from the team by its push, with
no word. Now they are one group, named by the spelling most rows use, and one ``group-name-variants`` warning names
each spelling and its lines. Real files: the tester's Sigma export (5 members; team Finance = ann, zero) and CSV.
"""

from __future__ import annotations

import json
from pathlib import Path

from planner.sources.values import team_name_key, typed_team_name_key

from .conftest import finding_lines, run_cli, write

FIXTURES = Path(__file__).parent / "fixtures" / "generic_groups"
MAPPING = """users: people.csv
columns:
  userName: Login
  id: EmpID
  givenName: First
  familyName: Last
  status: State
  groups: Groups
"""


def export(tmp_path: Path, groups: tuple[str, str, str, str, str]) -> Path:
    """The tester's generic CSV, the Groups cells of its five rows being ``groups``."""
    folder = tmp_path / "idp"
    write(folder / "map.yaml", MAPPING)
    people = [("marcus.webb", "Marcus", "Webb"), ("ann.active", "Ann", "Active"), ("bob.build", "Bob", "Build"),
              ("zero.lead", "Zero", "Lead"), ("carl.case", "Carl", "Case")]
    rows = [f"{login}@acme.example,{first},{last},Active,\"{cell}\",E{n}"
            for n, ((login, first, last), cell) in enumerate(zip(people, groups), 1)]
    write(folder / "people.csv", "Login,First,Last,State,Groups,EmpID\n" + "\n".join(rows) + "\n")
    return folder


def test_the_typed_key_is_the_team_name_key_with_inner_spaces_as_one():
    assert {typed_team_name_key(n) for n in ("Finance", "finance ", "FINANCE", " Fin\u200bance")} == {"finance"}
    assert typed_team_name_key("Fin  Ops") == typed_team_name_key("fin ops") == "fin ops"
    assert team_name_key("Fin  Ops") != team_name_key("Fin Ops")  # names with ids keep inner spaces apart


def test_case_and_space_variants_of_a_group_name_are_one_group_and_one_warning(capsys, tmp_path):
    idp = export(tmp_path, ("Admins", "Finance", "", "finance ", "FINANCE;Sales"))

    code, out, err = run_cli(capsys, "check", "--sigma", str(FIXTURES / "sigma"), "--idp", str(idp))
    assert code == 0
    # was: 0 findings
    assert finding_lines(out + err, "warning:") == [
        f"warning: {idp / 'people.csv'}:line 3 [Groups]: group names 'Finance' (line 3), 'finance' (line 5), "
        "'FINANCE' (line 6) differ only by letter case or spaces: a generic CSV names a group by its cells, so they "
        "are one group, read as 'Finance' (the spelling most rows use, the first on a tie); write it one way in the "
        "source (group-name-variants)"]

    out_plan = tmp_path / "plan.json"
    code, _, _ = run_cli(capsys, "plan", "--sigma", str(FIXTURES / "sigma"), "--idp", str(idp), "--policy",
                         str(FIXTURES / "policy.yaml"), "--out", str(out_plan))
    plan = json.loads(out_plan.read_text(encoding="utf-8"))
    # was: set_group_members:Finance = ann alone, and teams.remove_member of zero.lead ('not in IdP group Finance')
    assert [a["id"] for a in plan["actions"] if not a["id"].startswith("scim.link_user:")] == [
        "scim.link_group:T1", "scim.set_group_members:Finance"]
    [push] = [a for a in plan["actions"] if a["id"] == "scim.set_group_members:Finance"]
    assert push["reason"].startswith("team 'Finance' members = the 3 provisioned member(s) of group 'Finance'")
    assert sorted(push["after"]["members"]) == [
        "ann.active@acme.example", "carl.case@acme.example", "zero.lead@acme.example"]
    assert plan["review_items"] == []


def test_the_spelling_most_rows_use_names_the_group_and_a_lone_spelling_says_nothing(capsys, tmp_path):
    idp = export(tmp_path, ("", "finance", "Fin  Ops", "Finance", "Finance;Fin Ops"))
    code, out, err = run_cli(capsys, "check", "--sigma", str(FIXTURES / "sigma"), "--idp", str(idp))
    assert finding_lines(out + err, "warning:") == [
        f"warning: {idp / 'people.csv'}:line 5 [Groups]: group names 'finance' (line 3), 'Finance' (line 5, line 6) "
        "differ only by letter case or spaces: a generic CSV names a group by its cells, so they are one group, read "
        "as 'Finance' (the spelling most rows use, the first on a tie); write it one way in the source "
        "(group-name-variants)",
        f"warning: {idp / 'people.csv'}:line 4 [Groups]: group names 'Fin Ops' (line 4; white space in a row "
        "inside), 'Fin Ops' (line 6) differ only by letter case or spaces: a generic CSV names a group by its cells, "
        "so they are one group, read as 'Fin Ops' (the spelling most rows use, the first on a tie); write it one way "
        "in the source (group-name-variants)"]
    same = export(tmp_path / "same", ("", "Finance", "", "Finance", "Finance;Sales"))
    code, out, err = run_cli(capsys, "check", "--sigma", str(FIXTURES / "sigma"), "--idp", str(same))
    assert finding_lines(out + err, "warning:") == []


def test_variants_across_two_csvs_are_one_group_and_the_warning_names_each_file(capsys, tmp_path):
    # two mappings, each naming its CSV: the groups are named by the cells of both files
    idp = tmp_path / "idp"
    write(idp / "staff.yaml", MAPPING.replace("users: people.csv", "users: staff.csv"))
    write(idp / "temps.yaml", MAPPING.replace("users: people.csv", "users: contractors.csv"))
    write(idp / "staff.csv", "Login,First,Last,State,Groups,EmpID\nann.active@acme.example,Ann,Active,Active,Finance,E2\n"
                             "marcus.webb@acme.example,Marcus,Webb,Active,,E1\n")
    write(idp / "contractors.csv", "Login,First,Last,State,Groups,EmpID\n"
                                   "zero.lead@acme.example,Zero,Lead,Active,finance ,E4\n")

    code, out, err = run_cli(capsys, "check", "--sigma", str(FIXTURES / "sigma"), "--idp", str(idp))
    # was: two groups, 'Finance' of staff.csv and 'finance' of contractors.csv
    assert finding_lines(out + err, "warning:") == [
        f"warning: {idp / 'staff.csv'}:line 2 [Groups]: group names 'Finance' (staff.csv line 2), 'finance' "
        "(contractors.csv line 2) differ only by letter case or spaces: a generic CSV names a group by its cells, so "
        "they are one group, read as 'Finance' (the spelling most rows use, the first on a tie); write it one way in "
        "the source (group-name-variants)"]  # the mappings are read in name order: staff.yaml, then temps.yaml
    out_plan = tmp_path / "plan.json"
    run_cli(capsys, "plan", "--sigma", str(FIXTURES / "sigma"), "--idp", str(idp), "--policy",
            str(FIXTURES / "policy.yaml"), "--out", str(out_plan))
    plan = json.loads(out_plan.read_text(encoding="utf-8"))
    [push] = [a for a in plan["actions"] if a["id"].startswith("scim.set_group_members:")]
    assert push["id"] == "scim.set_group_members:Finance"
    assert sorted(push["after"]["members"]) == ["ann.active@acme.example", "zero.lead@acme.example"]
