"""An empty cell in a present optional boolean column of a Sigma export is unknown, never false (issue 10,
second tester): teams ``isArchived``, team members ``isTeamAdmin``, account types ``isCustom``, CSV or JSON
(``null`` / ``""``). Each is the ``unreadable-status`` error of :func:`planner.sources.values.unreadable_status`
naming file, line (or JSON path) and column; ``plan`` exits 1 and writes no plan. An absent column or field
stays ``false`` (docs/formats.md §1f).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from planner.sources import load_sigma_export

from .conftest import errors, write
from .test_incomplete_exports import plan_with

MEMBERS = ("memberId,email,firstName,lastName,memberType,userKind,isArchived,isInactive\n"
           "Ad4AdminAd4AdminAd4AdminAd4Ad,ada.admin@example.com,Ada,Admin,admin,internal,false,false\n")
ADA = "Ad4AdminAd4AdminAd4AdminAd4Ad"
UNREAD = "cannot be read (a plan never guesses it); fix the export"
CSV_CASES = {
    "teams.csv": ("teamId,name,isArchived\nt1,Finance,false\nt2,Sales,\n", "line 3", "isArchived",
                  "whether the team is archived"),
    "team_members.csv": ("teamId,userId,isTeamAdmin\nt1,Ad4AdminAd4AdminAd4AdminAd4Ad,\n", "line 2", "isTeamAdmin",
                         "whether the member is a team admin"),
    "account_types.csv": ("accountTypeName,isCustom\nadmin,false\nAnalyst,\n", "line 3", "isCustom",
                          "whether the account type is custom"),
}


def sigma_csv(root: Path, name: str, text: str) -> Path:
    write(root / "members.csv", MEMBERS)
    write(root / "teams.csv", "teamId,name,isArchived\nt1,Finance,false\n")
    write(root / "team_members.csv", "teamId,userId,isTeamAdmin\nt1,Ad4AdminAd4AdminAd4AdminAd4Ad,true\n")
    write(root / name, text)
    return root


@pytest.mark.parametrize("name", sorted(CSV_CASES))
def test_an_empty_optional_boolean_cell_in_a_sigma_csv_is_an_unreadable_status_error(capsys, tmp_path, name):
    text, line, column, unknown = CSV_CASES[name]
    root = sigma_csv(tmp_path / "sigma", name, text)
    message = f"{column} is empty, not true or false: {unknown} {UNREAD}"
    _, findings = load_sigma_export(root)
    assert errors(findings) == [("unreadable-status", name, line, column, message)]

    code, err, result = plan_with(capsys, tmp_path, root)
    assert (code, result) == (1, None)
    assert err == (f"sigma-migrate: error: the inputs have 1 error(s), first: error: {root / name}:{line} "
                   f"[{column}]: {message} (unreadable-status); run `sigma-migrate check` to list every finding\n")
    assert not (tmp_path / "plan.json").exists()


def test_optional_boolean_columns_left_out_of_a_sigma_csv_read_as_false(tmp_path):
    root = tmp_path / "sigma"
    write(root / "members.csv", MEMBERS)
    write(root / "teams.csv", "teamId,name\nt1,Finance\n")
    write(root / "team_members.csv", f"teamId,userId\nt1,{ADA}\n")
    write(root / "account_types.csv", "accountTypeName\nadmin\n")
    export, findings = load_sigma_export(root)
    assert errors(findings) == []
    assert [(t.team_id, t.is_archived) for t in export.teams] == [("t1", False)]
    assert [(m.team_id, m.member_id, m.is_team_admin) for m in export.team_memberships] == [("t1", ADA, False)]
    assert [(a.name, a.is_custom) for a in export.account_types] == [("admin", False)]


def test_null_or_empty_optional_booleans_in_sigma_json_are_errors_and_absent_ones_false(tmp_path):
    root = tmp_path / "sigma"
    write(root / "members.json", json.dumps([{"memberId": ADA, "email": "ada.admin@example.com", "firstName": "Ada",
                                              "lastName": "Admin", "memberType": "admin", "userKind": "internal"}]))
    write(root / "teams.json", json.dumps([{"teamId": "t1", "name": "Finance", "isArchived": None},
                                           {"teamId": "t2", "name": "Sales"}]))
    write(root / "team_members.json", json.dumps([{"teamId": "t1", "userId": ADA, "isTeamAdmin": ""},
                                                  {"teamId": "t2", "userId": ADA}]))
    write(root / "account_types.json", json.dumps([{"accountTypeName": "admin", "isCustom": None},
                                                   {"accountTypeName": "Analyst"}]))
    export, findings = load_sigma_export(root)
    assert errors(findings) == [
        ("unreadable-status", "teams.json", "$[0]", "isArchived",
         f"isArchived is empty, not true or false: whether the team is archived {UNREAD}"),
        ("unreadable-status", "team_members.json", "$[0]", "isTeamAdmin",
         f"isTeamAdmin is empty, not true or false: whether the member is a team admin {UNREAD}"),
        ("unreadable-status", "account_types.json", "$[0]", "isCustom",
         f"isCustom is empty, not true or false: whether the account type is custom {UNREAD}")]
    assert [(t.team_id, t.is_archived) for t in export.teams] == [("t1", False), ("t2", False)]
    assert [a.is_custom for a in export.account_types] == [False, False]
