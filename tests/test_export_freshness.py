"""An export older than what it must show is a doubt, never a plan (tester17 findings 2 and 11).

- 11: an IdP export of unknown age (an Entra users CSV saved by hand, no fetch-idp manifest) still dates itself by
  its newest dated user (Entra ``createdDateTime``): a Sigma member made after it, whom no IdP user matches, is
  held on the blocking ``unmatched.new_member`` item, not deactivated on the export's silence.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from msgspec import to_builtins as wire

from planner.directory import newest_record
from planner.model import IdpUser
from planner.planfile import read_plan

from .conftest import REPO, run_cli

FIXTURES = Path(__file__).parent / "fixtures" / "freshness"
NEW_HIRE = "NewHireByHand0000000000000001"
"""A member made in Sigma by hand on 2026-12-06, 18 months after the Entra sample's newest createdDateTime."""


def sigma_with_new_hire(tmp_path: Path) -> Path:
    """samples/acme/sigma copied, with :data:`NEW_HIRE` (tests/fixtures/freshness/new_hire_member.json) added to
    the last page of members.json; no fetch-manifest.json (saved by hand)."""
    sigma = tmp_path / "sigma"
    shutil.copytree(REPO / "samples" / "acme" / "sigma", sigma)
    pages = json.loads((sigma / "members.json").read_text())
    pages[-1]["entries"].append(json.loads((FIXTURES / "new_hire_member.json").read_text()))
    (sigma / "members.json").write_text(json.dumps(pages, indent=2))
    return sigma


def test_a_member_made_after_a_hand_saved_entra_csvs_newest_user_is_held_not_deactivated(capsys, tmp_path):
    out = tmp_path / "p.json"
    code, stdout, _ = run_cli(capsys, "plan", "--sigma", str(sigma_with_new_hire(tmp_path)),
                              "--idp", str(REPO / "samples" / "acme" / "entra"),
                              "--policy", str(REPO / "samples" / "acme" / "policy-entra-reviewed.yaml"),
                              "--out", str(out), "--detailed-exitcode")
    assert code == 3
    plan = read_plan(out)
    assert [a.id for a in plan.actions if NEW_HIRE in a.id] == []
    [item] = [i for i in plan.review_items if NEW_HIRE in i.id]
    assert [i.id for i in plan.review_items if i.blocking] == [f"unmatched.new_member:{NEW_HIRE}"]
    assert item.message == (
        "new.person@acme.example: no IdP user matches this member, made 2026-12-06T10:00:00Z, after the IdP "
        "export's newest record (2025-05-29T06:23:25Z): made by hand on purpose (a service account, a contractor, "
        "a break-glass admin) or after the export was taken, so it is not deactivated on the export's silence; "
        "decide whether to keep or deactivate this member (if the IdP provisioned them, export the IdP again and "
        "plan again)")
    assert wire(item.evidence) == {
        "kind": "unmatched", "memberType": "View", "userKind": "internal", "createdAt": "2026-12-06T10:00:00Z",
        "exportNewest": "2025-05-29T06:23:25Z"}
    code, stdout, _ = run_cli(capsys, "show", str(out))
    assert code == 0
    assert ("  exports read: Sigma at an unknown time (no fetchedAt in fetch-manifest.json), IdP at an unknown time "
            "(no fetchedAt in fetch-idp-manifest.json: saved by hand, or pulled by an older version; "
            "guards.max_idp_export_age_hours is not judged: unmatched.new_member dates the export by its newest "
            "dated user)") in stdout.splitlines()


def idp_user(uid: str, last_updated: str | None = None, created: str | None = None) -> IdpUser:
    return IdpUser(uid, f"{uid}@example.com", f"{uid}@example.com", last_updated=last_updated, created=created)


def test_the_newest_record_is_the_latest_last_update_or_creation_of_any_user():
    assert newest_record([idp_user("a", created="2025-05-29T06:23:25Z"),
                          idp_user("b", last_updated="2025-01-01T00:00:00Z", created="2024-01-01T00:00:00Z")]
                         ) == "2025-05-29T06:23:25Z"
    assert newest_record([idp_user("a", last_updated="2026-01-02T00:00:00Z", created="2025-05-29T06:23:25Z")]
                         ) == "2026-01-02T00:00:00Z"
    assert newest_record([idp_user("a"), idp_user("b")]) is None
