"""An Okta users file saved as README says (the plain listing's pages, then the DEPROVISIONED answer appended in one
array of pages) whose plain listing lost a page (tester21 finding 9): the plain listing's last page, a full page of
200, is checked by itself, so the cut is ``incomplete-pages`` and the plan holds what it could change (was: the
short DEPROVISIONED page at the end of the file hid it; people on the lost page were deactivated, 0 blocking)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from planner.planfile import read_plan

from .conftest import REPO, run_cli

ACME = REPO / "samples" / "acme"


def okta_in_pages(tmp_path: Path, pages_of: str) -> Path:
    """samples/acme/okta with 55 more ACTIVE users (in no group), its users.json written as a JSON array of pages:
    the plain listing (every user but the DEPROVISIONED, 215) in pages of 200, then the DEPROVISIONED answer (6);
    ``pages_of`` says which: ``whole`` (200, 15, 6), ``cut`` (200, 6: page 2 lost) or ``cut-vouched`` (200, [], 6:
    the empty next page saved)."""
    okta = tmp_path / pages_of
    shutil.copytree(ACME / "okta", okta)
    users = json.loads((okta / "users.json").read_text())
    model = next(u for u in users if u["status"] == "ACTIVE")
    extra = [{**model, "id": f"00uEXTRA{i:012d}", "profile": {**model["profile"], "login": f"extra{i}@acme.example",
                                                                 "email": f"extra{i}@acme.example"}}
             for i in range(55)]
    plain = [u for u in users if u["status"] != "DEPROVISIONED"] + extra
    gone = [u for u in users if u["status"] == "DEPROVISIONED"]
    assert (len(plain), len(gone)) == (215, 6)
    pages = {"whole": [plain[:200], plain[200:], gone], "cut": [plain[:200], gone],
             "cut-vouched": [plain[:200], [], gone]}[pages_of]
    (okta / "users.json").write_text(json.dumps(pages))
    return okta


def check_lines(capsys, okta: Path) -> list[str]:
    code, out, _ = run_cli(capsys, "check", "--sigma", str(ACME / "sigma"), "--idp", str(okta))
    assert code == 0
    return [line for line in out.splitlines() if line.endswith("(incomplete-pages)")]


def test_the_plain_listing_cut_before_the_deprovisioned_answer_is_incomplete_pages(capsys, tmp_path):
    cut = okta_in_pages(tmp_path, "cut")
    assert check_lines(capsys, cut) == [
        f"warning: {cut / 'users.json'}:$[0]: Okta users file (the pages before its DEPROVISIONED answer): its last "
        "page holds 200 records, a full page of GET /api/v1/users (limit 200, its default) and no Link: rel=\"next\": "
        "the next pages are probably missing; if that is really all, save the empty answer of the next page too (the "
        "file a JSON array of pages ending with []) or pull with `sigma-migrate fetch-idp okta` (its manifest vouches "
        "for every page) (incomplete-pages)"]
    out = tmp_path / "p.json"
    code, _, _ = run_cli(capsys, "plan", "--sigma", str(ACME / "sigma"), "--idp", str(cut), "--policy",
                         str(ACME / "policy-okta-reviewed.yaml"), "--out", str(out), "--detailed-exitcode")
    assert code == 3
    plan = read_plan(out)
    deactivations = {a.id for a in plan.actions if a.kind.value == "members.deactivate"}
    held = {i.id.removeprefix("inputs.truncated:") for i in plan.review_items if i.code == "inputs.truncated"}
    assert deactivations and deactivations <= held  # every deactivation the cut could make is held


def test_the_whole_listing_or_its_empty_next_page_saved_is_not_doubted(capsys, tmp_path):
    assert check_lines(capsys, okta_in_pages(tmp_path, "whole")) == []
    assert check_lines(capsys, okta_in_pages(tmp_path, "cut-vouched")) == []
