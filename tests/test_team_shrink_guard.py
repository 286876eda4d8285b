"""guards.threshold.team_shrink on tester21 finding 6's repro, as real files: samples/acme/okta with group Finance's
members answer cut to its first page (Okta's ``/api/v1/groups/{id}/users?limit=10`` answers 10 users and names the
next page only in its Link header, which a hand-saved answer loses). Team Finance went from 17 to 10 members (-9)
with 0 blocking items, since the org-wide ``team_member_removals`` (25% of 158 memberships) was not reached; now a
linked team losing more than 5 members AND more than 25% of its members blocks, naming the team.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from planner.planfile import read_plan

from .conftest import REPO, run_cli, write

ACME = REPO / "samples" / "acme"
FINANCE = "00gSUDsbhMqeLxqzTHLU"
"""Okta group Finance (19 users), pushed to team Finance (17 members)."""

QUESTION = ("is the IdP group's members answer whole (not the first page of a listing asked with a small limit, "
            "nor cut by a group rule gone wrong), or do these people really leave the team?")
RULE = "more than 5 members and more than 25% of the team's members"


def finance_cut_to(root: Path, n: int) -> Path:
    """samples/acme/okta with group Finance's members answer cut to its first ``n`` users (/work/notes/t21-repro/17/
    finance10 is ``n`` 10)."""
    members = json.loads((ACME / "okta" / "group_members.json").read_text(encoding="utf-8"))
    assert len(members[FINANCE]) == 19
    members[FINANCE] = members[FINANCE][:n]
    write(root / "group_members.json", json.dumps(members))
    for name in ("users.json", "groups.json"):
        shutil.copy(ACME / "okta" / name, root / name)
    return root


def plan(capsys, tmp_path: Path, idp: Path, tail: str = ""):
    """``plan --detailed-exitcode`` of ``idp`` with the reviewed Okta policy, ``tail`` added to it: the exit status and
    the plan."""
    policy = write(tmp_path / "policy.yaml", (ACME / "policy-okta-reviewed.yaml").read_text(encoding="utf-8") + tail)
    out = tmp_path / "plan.json"
    code, _, _ = run_cli(capsys, "plan", "--sigma", str(ACME / "sigma"), "--idp", str(idp), "--policy", str(policy),
                         "--out", str(out), "--detailed-exitcode")
    return code, read_plan(out)


def shrink_guard(result):
    (found,) = [(g.ok, g.detail) for g in result.summary.guards if g.name == "threshold.team_shrink"]
    return found


def finance_row(result):
    (row,) = [(t.members_before, t.members_after, t.members_added, t.members_removed) for t in result.teams
              if t.name == "Finance"]
    return row


def test_finance_cut_to_its_first_ten_blocks_naming_the_team(capsys, tmp_path):
    code, result = plan(capsys, tmp_path, finance_cut_to(tmp_path / "okta", 10))
    assert code == 3
    detail = (f"team_shrink: 1 linked team(s) lose {RULE} (guards.thresholds.team_shrink): 'Finance' (group 'Finance') "
              f"17 -> 10 (+2 -9, 52.9%): {QUESTION}")
    assert shrink_guard(result) == (False, detail)
    assert finance_row(result) == (17, 10, 2, 9)
    (item,) = [i for i in result.review_items if i.code == "guards.threshold.team_shrink"]
    assert (item.id, item.blocking, item.message, item.rule) == (
        "guards.threshold.team_shrink:plan", True, detail, "guards.threshold.team_shrink")
    assert item.resolution == ("# only if these teams really lose this many members:\n"
                               "guards:\n  thresholds:\n    team_shrink:\n      count: 9\n"
                               "# or:\n# guards:\n#   thresholds:\n#     team_shrink: null\n")
    # the org-wide bound still passes: it alone let this through
    (org_wide,) = [g.detail for g in result.summary.guards if g.name == "threshold.team_member_removals"]
    assert org_wide == "team_member_removals: 11 of 158 team memberships (7.0%) within 25%"


def test_a_cut_no_page_size_heuristic_sees_is_held_by_the_guard_alone(capsys, tmp_path):
    """Eleven users is no round page size, so nothing else doubts the answer: the guard is the plan's one blocking
    item, and its snippet settles it (the removals were planned all along)."""
    idp = finance_cut_to(tmp_path / "okta", 11)
    code, result = plan(capsys, tmp_path, idp)
    assert code == 3
    assert [i.id for i in result.review_items if i.blocking] == ["guards.threshold.team_shrink:plan"]
    assert shrink_guard(result) == (False, f"team_shrink: 1 linked team(s) lose {RULE} (guards.thresholds.team_shrink): "
                                           f"'Finance' (group 'Finance') 17 -> 11 (+2 -8, 47.1%): {QUESTION}")
    code, settled = plan(capsys, tmp_path, idp, "guards:\n  thresholds:\n    team_shrink: {count: 8}\n")
    assert code == 2 and [i.id for i in settled.review_items if i.blocking] == []
    assert finance_row(settled) == (17, 11, 2, 8)
    assert shrink_guard(settled) == (True, "team_shrink: no linked team loses more than 8 members and more than 25% "
                                           "of the team's members")
    code, off = plan(capsys, tmp_path, idp, "guards:\n  thresholds:\n    team_shrink: null\n")
    assert code == 2 and shrink_guard(off) == (True, "team_shrink: no limit")


def test_two_people_leaving_the_group_do_not_block(capsys, tmp_path):
    """Group Finance without 2 of its 19 users: team Finance loses 3 (the 2, and the one leftover the whole sample
    removes too) while 3 join: no item."""
    code, result = plan(capsys, tmp_path, finance_cut_to(tmp_path / "okta", 17))
    assert code == 2
    assert finance_row(result) == (17, 17, 3, 3)
    assert shrink_guard(result) == (True, f"team_shrink: no linked team loses {RULE}")
    assert [i.id for i in result.review_items if i.blocking] == []
