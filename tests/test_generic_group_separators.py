"""A groups cell typed with another separator than the mapping's is a doubt, never a silent removal (tester11 #9).

``"Finance, Sales"`` where the mapping's ``groups_separator`` is ``;`` was read as one group ``'Finance, Sales'``:
Ann, in team Finance, was in no group ``Finance`` and the push removed her ("not in IdP group 'Finance'"), no
item, ``check`` silent. Now a group name that splits on a common separator (``,`` ``;`` ``|`` ``/`` a line break)
other than the configured one into pieces of which one is another group of the export is a
``group-name-separator`` warning naming file, line and pieces, and a blocking ``inputs.group_name_separator`` item
holds each user whose cell names it (no link, no team push or removal). Real files: the tester's Sigma export
(5 members; team Finance = ann, zero) and CSV, as test_generic_group_names builds them.
"""

from __future__ import annotations

import json

import pytest

from planner.sources.values import other_separator_split

from .conftest import finding_lines, run_cli
from .test_generic_group_names import FIXTURES, export

SIGMA = str(FIXTURES / "sigma")
GROUPS = {"finance": "Finance", "sales": "Sales", "finance, sales": "Finance, Sales", "r&d, ops": "R&D, Ops"}


@pytest.mark.parametrize("name, separator, split", [
    ("Finance, Marketing", ";", (",", ("Finance", "Marketing"), ("Finance",))),
    ("Finance | Sales", ";", ("|", ("Finance", "Sales"), ("Finance", "Sales"))),
    ("Sales/Finance", ";", ("/", ("Sales", "Finance"), ("Sales", "Finance"))),
    ("Finance\r\nSales", ";", ("\n", ("Finance", "Sales"), ("Finance", "Sales"))),
    ("Finance;Sales", ",", (";", ("Finance", "Sales"), ("Finance", "Sales"))),
    ("Finance, Sales", ",", None),            # the configured separator: the cell was split by it already
    ("Finance, Sales", ", ", None),           # a separator of several characters holding ','
    ("R&D, Ops", ";", None),                  # no piece is another group of the export
    ("Finance,", ";", None),                  # one piece only
    ("Finance\nSales", "\n", None),           # line breaks are the configured separator
])
def test_a_name_is_doubtful_when_another_separator_splits_it_into_a_group_of_the_export(name, separator, split):
    assert other_separator_split(name, separator, GROUPS) == split


def test_a_cell_typed_with_a_comma_holds_the_person_instead_of_removing_them_from_the_team(capsys, tmp_path):
    idp = export(tmp_path, ("", "Finance, Sales", "", "Finance", ""))

    code, out, err = run_cli(capsys, "check", "--sigma", SIGMA, "--idp", str(idp))
    assert code == 0
    # was: no finding at all
    assert finding_lines(out + err, "warning:") == [
        f"warning: {idp / 'people.csv'}:line 3 [Groups]: group name 'Finance, Sales' (line 3) splits on ',' into "
        "'Finance', 'Sales', and 'Finance' is a group of this export, while the mapping's groups_separator is ';': "
        "read as one group 'Finance, Sales', likely several typed with ','; the plan holds the 1 active user(s) whose "
        "cell names it; write the cell with ';' in the source if it means several groups (group-name-separator)"]

    out_plan = tmp_path / "plan.json"
    code, _, _ = run_cli(capsys, "plan", "--sigma", SIGMA, "--idp", str(idp), "--policy",
                         str(FIXTURES / "policy.yaml"), "--out", str(out_plan))
    assert code == 0
    plan = json.loads(out_plan.read_text(encoding="utf-8"))
    # was: teams.remove_member of ann.active ('not in IdP group Finance'), 0 review items
    assert [a["id"] for a in plan["actions"]] == [  # Ann (M0001) neither linked nor removed
        "scim.link_user:M0002xxxxxxxxxxxxxxxxxxxxxxxxx", "scim.link_user:M0003xxxxxxxxxxxxxxxxxxxxxxxxx",
        "scim.link_user:M0004xxxxxxxxxxxxxxxxxxxxxxxxx", "scim.link_user:o3bcUiNHAhqVu10fs8bWxqfRdo08M",
        "scim.link_group:T1", "scim.set_group_members:Finance"]
    [push] = [a for a in plan["actions"] if a["id"] == "scim.set_group_members:Finance"]
    assert push["after"]["members"] == ["zero.lead@acme.example"]
    blocking = [i for i in plan["review_items"] if i["blocking"]]
    assert [(i["id"], i["subject"]) for i in blocking] == [
        ("inputs.group_name_separator:E2",
         {"idpId": "E2", "userName": "ann.active@acme.example", "groupIds": ["Finance, Sales"]})]
    [item] = blocking
    assert item["message"] == (
        f"IdP user E2 ({idp / 'people.csv'}:line 3): the Groups cell names group 'Finance, Sales', which splits on ',' "
        "into 'Finance', 'Sales' ('Finance' is a group of the export), while the mapping's groups_separator is ';': "
        "likely several groups typed with another separator; read as written, ann.active@acme.example is in none of "
        "'Finance', so every team, scope and account type those groups decide would be decided from a typo; held (no "
        "link, no create, no team push or removal, no deactivation)")
    assert item["resolution"] == (
        f"# no policy setting settles this: write the cell with ';' between the group names in {idp / 'people.csv'} "
        "(or, if it is one group's name, rename that group in the IdP), then plan again\n")
    [ann] = [p for p in plan["people"] if p.get("email") == "ann.active@acme.example"]
    assert (ann["actions"], ann["review_items"]) == ([], ["inputs.group_name_separator:E2", "teams.leftovers:T1"])
    assert plan["summary"]["teams"]["member_removals"] == 0

    code, _, err = run_cli(capsys, "approve", str(out_plan), "--by", "T")
    assert code != 0 and "inputs.group_name_separator:E2" in err


def test_every_common_separator_and_each_user_of_the_name(capsys, tmp_path):
    idp = export(tmp_path, ("Sales", "Finance|Sales", "", "Finance", "finance|sales"))
    code, out, err = run_cli(capsys, "check", "--sigma", SIGMA, "--idp", str(idp))
    assert finding_lines(out + err, "warning:") == [
        f"warning: {idp / 'people.csv'}:line 3 [Groups]: group names 'Finance|Sales' (line 3), 'finance|sales' "
        "(line 6) differ only by letter case or spaces: a generic CSV names a group by its cells, so they are one "
        "group, read as 'Finance|Sales' (the spelling most rows use, the first on a tie); write it one way in the "
        "source (group-name-variants)",
        f"warning: {idp / 'people.csv'}:line 3 [Groups]: group name 'Finance|Sales' (line 3, line 6) splits on '|' "
        "into 'Finance', 'Sales', and 'Finance', 'Sales' are groups of this export, while the mapping's "
        "groups_separator is ';': read as one group 'Finance|Sales', likely several typed with '|'; the plan holds the "
        "2 active user(s) whose cell names it; write the cell with ';' in the source if it means several groups "
        "(group-name-separator)"]
    out_plan = tmp_path / "plan.json"
    run_cli(capsys, "plan", "--sigma", SIGMA, "--idp", str(idp), "--policy", str(FIXTURES / "policy.yaml"),
            "--out", str(out_plan))
    plan = json.loads(out_plan.read_text(encoding="utf-8"))
    assert [i["id"] for i in plan["review_items"] if i["blocking"]] == [
        "inputs.group_name_separator:E2", "inputs.group_name_separator:E5"]
    assert [a["id"] for a in plan["actions"] if a["kind"] == "teams.remove_member"] == []


def test_a_name_no_other_group_explains_and_the_configured_separator_say_nothing(capsys, tmp_path):
    idp = export(tmp_path, ("", "R&D, Ops", "", "Finance", "Finance;Sales"))
    code, out, err = run_cli(capsys, "check", "--sigma", SIGMA, "--idp", str(idp))
    assert finding_lines(out + err, "warning:") == []


def test_an_inactive_users_cell_holds_no_one(capsys, tmp_path):
    # the plan deactivates an inactive user whatever groups their cell names: no item for them
    idp = export(tmp_path, ("", "Finance, Sales", "", "Finance", "Finance, Sales"))
    people = idp / "people.csv"
    people.write_text(people.read_text().replace("carl.case@acme.example,Carl,Case,Active",
                                                 "carl.case@acme.example,Carl,Case,Suspended"))
    code, out, err = run_cli(capsys, "check", "--sigma", SIGMA, "--idp", str(idp))
    assert finding_lines(out + err, "warning:") == [
        f"warning: {people}:line 3 [Groups]: group name 'Finance, Sales' (line 3, line 6) splits on ',' into "
        "'Finance', 'Sales', and 'Finance' is a group of this export, while the mapping's groups_separator is ';': "
        "read as one group 'Finance, Sales', likely several typed with ','; the plan holds the 1 active user(s) whose "
        "cell names it; write the cell with ';' in the source if it means several groups (group-name-separator)"]
    out_plan = tmp_path / "plan.json"
    run_cli(capsys, "plan", "--sigma", SIGMA, "--idp", str(idp), "--policy", str(FIXTURES / "policy.yaml"),
            "--out", str(out_plan))
    plan = json.loads(out_plan.read_text(encoding="utf-8"))
    assert [i["id"] for i in plan["review_items"] if i["id"].startswith("inputs.")] == [
        "inputs.group_name_separator:E2"]
