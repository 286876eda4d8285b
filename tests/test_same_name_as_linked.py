"""A member no IdP user matches whose name is a linked member's (tester21 finding 5): a second Sigma account of the
same person (an old address, one made by hand) holding their work is deactivated as the ``unmatched`` policy says,
its documents to the document owner, with the informational ``linking.same_name_as_linked`` item naming the linked
member, so the reviewer can keep it or move its documents to the person first (was: not a word)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from planner.planfile import read_plan

from .conftest import REPO, run_cli

ACME = REPO / "samples" / "acme"
GRETA = "jR368hGsY28MChDckenlesDKgZpsj"  # greta.dunmore@acme.example, linked to IdP user 00ufaBfQcK29VwKggTJK
SECOND = "SecondGretaDunmore000000001"


def sigma_with(tmp_path: Path, first: str, last: str, email: str) -> Path:
    """samples/acme/sigma with one more member, :data:`SECOND` (``first`` ``last``, ``email``, Build, made
    2022-03-01), whom no IdP user of the Okta sample matches."""
    sigma = tmp_path / "sigma"
    shutil.copytree(ACME / "sigma", sigma)
    pages = json.loads((sigma / "members.json").read_text())
    [greta] = [m for p in pages for m in p["entries"] if m["memberId"] == GRETA]
    pages[-1]["entries"].append({**greta, "memberId": SECOND, "email": email, "firstName": first, "lastName": last,
                                 "memberType": "Build", "createdAt": "2022-03-01T09:00:00.000Z",
                                 "updatedAt": "2024-03-01T09:00:00.000Z", "homeFolderId": "second-greta-home"})
    (sigma / "members.json").write_text(json.dumps(pages, indent=2))
    return sigma


def plan_of(capsys, tmp_path: Path, sigma: Path):
    out = tmp_path / "p.json"
    code, _, err = run_cli(capsys, "plan", "--sigma", str(sigma), "--idp", str(ACME / "okta"), "--policy",
                           str(ACME / "policy-okta-reviewed.yaml"), "--out", str(out), "--detailed-exitcode")
    assert code == 2, err
    return read_plan(out)


def test_a_second_account_with_a_linked_members_name_is_named_and_still_decided_by_unmatched(capsys, tmp_path):
    plan = plan_of(capsys, tmp_path, sigma_with(tmp_path, "Greta", "Dunmore", "g.dunmore@acme.example"))
    assert [a.id for a in plan.actions if SECOND in a.id] == [f"members.deactivate:{SECOND}"]
    [item] = [i for i in plan.review_items if SECOND in i.id]
    assert (item.id, item.blocking) == (f"linking.same_name_as_linked:{SECOND}", False)
    assert item.message == (
        "'g.dunmore@acme.example' (Greta Dunmore), which no IdP user matches, has the name of "
        f"'greta.dunmore@acme.example' (member {GRETA}, linked to IdP user 00ufaBfQcK29VwKggTJK): a second Sigma "
        "account of the same person? It is not merged and follows the `unmatched` policy (if it is deactivated, its "
        "documents go to the document owner); if it is theirs, move its documents to them in Sigma first, or keep it")
    assert [c.member_id for c in item.candidates] == [GRETA]
    assert item.resolution == "unmatched:\n  decisions:\n    g.dunmore@acme.example: keep\n"


def test_names_in_another_order_or_case_are_the_same_name_and_other_names_are_not(capsys, tmp_path):
    plan = plan_of(capsys, tmp_path, sigma_with(tmp_path, "DUNMORE", "greta", "gd.old@acme.example"))
    assert [i.id for i in plan.review_items if SECOND in i.id] == [f"linking.same_name_as_linked:{SECOND}"]
    shutil.rmtree(tmp_path / "sigma")
    plan = plan_of(capsys, tmp_path, sigma_with(tmp_path, "Greta", "Dunmore-Hale", "g.dunmore@acme.example"))
    assert [i.id for i in plan.review_items if SECOND in i.id] == []
    assert [i.id for i in plan.review_items if i.code == "linking.same_name_as_linked"] == []


def test_a_namesake_at_the_same_address_but_for_a_plus_tag_is_left_to_plus_variant(capsys, tmp_path):
    plan = plan_of(capsys, tmp_path, sigma_with(tmp_path, "Greta", "Dunmore", "greta.dunmore+bi@acme.example"))
    assert sorted(i.id for i in plan.review_items if SECOND in i.id) == [f"linking.plus_variant:{SECOND}"]
