"""A Sigma members export saved without includeArchived/includeInactive (tester14a finding 2).

``GET /v2/members`` without ``includeArchived=true&includeInactive=true`` lists no archived and no inactive
member; a plan of it creates a second account for a returning archived member. A hand-saved members file (no
fetch manifest) holding neither is asked as the ``members_include_archived_and_inactive`` pre-flight check,
blocking while the plan creates a user, and ``check`` warns; a fetch export or a file holding either asks
nothing. Real files: the bundled acme export, its archived and inactive members taken out as the repro did."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import yaml

from planner.check import run_check
from planner.cli import main
from planner.execute.approve import approve
from planner.execute.errors import ApplyRefused
from planner.model import ActionKind, PreflightStatus
from planner.planfile import write_plan
from planner.planning import plan_from_paths
from planner.rules.preflight import members_listing
from planner.sources.manifest import FETCH_FILE_NAME, fetch_manifest_document

ACME = Path(__file__).resolve().parents[1] / "samples" / "acme"
RUTH = "3X1tfNuPuim0SwRr6E0QmcNxHghoI"  # ruth.adler@acme.example: archived in Sigma, active again in Okta
RUTH_OKTA = "00uSdaXsT70zT6UFufLT"
KEY = "members_include_archived_and_inactive"


def without_archived_and_inactive(tmp_path: Path) -> Path:
    """The acme Sigma export as ``GET /v2/members`` without the two flags gives it: its 8 archived or inactive
    members out of members.json and out of the team listings."""
    sigma = tmp_path / "sigma"
    shutil.copytree(ACME / "sigma", sigma)
    pages = json.loads((sigma / "members.json").read_text())
    gone = {m["memberId"] for page in pages for m in page["entries"] if m["isArchived"] or m["isInactive"]}
    assert len(gone) == 8 and RUTH in gone
    for page in pages:
        page["entries"] = [m for m in page["entries"] if m["memberId"] not in gone]
    (sigma / "members.json").write_text(json.dumps(pages))
    teams = json.loads((sigma / "team_members.json").read_text())
    for answer in teams.values():
        answer["entries"] = [e for e in answer["entries"] if e["userId"] not in gone]
        if "total" in answer:
            answer["total"] = len(answer["entries"])
    (sigma / "team_members.json").write_text(json.dumps(teams))
    return sigma


def confirming(tmp_path: Path) -> Path:
    policy = yaml.safe_load((ACME / "policy-okta-reviewed.yaml").read_text())
    policy.setdefault("preflight", {})[KEY] = True
    path = tmp_path / "policy-confirmed.yaml"
    path.write_text(yaml.safe_dump(policy, sort_keys=False))
    return path


def listing_check(plan):
    return [c for c in plan.preflight if c.id == KEY]


def test_a_hand_saved_members_file_without_archived_or_inactive_members_is_an_unconfirmed_blocking_check(tmp_path):
    sigma = without_archived_and_inactive(tmp_path)
    plan, _ = plan_from_paths(str(sigma), [str(ACME / "okta")], str(ACME / "policy-okta-reviewed.yaml"))
    creates = [a for a in plan.actions if a.kind is ActionKind.SCIM_CREATE_USER]
    assert f"scim.create_user:{RUTH_OKTA}" in {a.id for a in creates}  # the second account the check questions
    (check,) = listing_check(plan)
    assert (check.status, check.blocking, check.count) == (PreflightStatus.UNCONFIRMED, True, 14) == (
        PreflightStatus.UNCONFIRMED, True, len(creates))
    assert check.detail == (
        f"{sigma / 'members.json'} holds no archived member and no fetch manifest says how it was listed: GET "
        "/v2/members without includeArchived=true leaves them out (and without includeInactive=true the inactive "
        "ones), and then each of the plan's 14 scim.create_user may be a second account for an archived member; "
        "export the members with both flags (or `sigma-migrate fetch`) and plan again, or confirm")
    assert yaml.safe_load(check.resolution) == {"preflight": {KEY: True}}
    assert [c.id for c in plan.unmet_preflight] == [KEY]  # the reviewed policy confirms every other one
    # the reviewed policy's linking.overrides entry for Ruth names a member such a file leaves out (tester20
    # finding 4 made her a per-person settlement): a blocking policy.unknown_reference too, refused first
    assert [i.code for i in plan.review_items if i.blocking] == ["policy.unknown_reference"]
    path = tmp_path / "plan.json"
    write_plan(plan, path)
    with pytest.raises(ApplyRefused) as exc:
        approve(path, "Ada")
    assert str(exc.value).startswith(f"{path}: plan has 1 blocking review item(s), first ")
    assert not (tmp_path / "plan.json.approval").exists()


def test_the_policy_confirms_it(tmp_path):
    sigma = without_archived_and_inactive(tmp_path)
    plan, _ = plan_from_paths(str(sigma), [str(ACME / "okta")], str(confirming(tmp_path)))
    (check,) = listing_check(plan)
    assert (check.status, check.blocking) == (PreflightStatus.CONFIRMED, True)
    assert plan.unmet_preflight == ()


def test_an_export_holding_archived_members_or_fetched_asks_nothing(tmp_path):
    plan, _ = plan_from_paths(str(ACME / "sigma"), [str(ACME / "okta")], str(ACME / "policy-okta-reviewed.yaml"))
    assert listing_check(plan) == [] and plan.unmet_preflight == ()
    assert f"members.reactivate:{RUTH}" in {a.id for a in plan.actions}
    sigma = without_archived_and_inactive(tmp_path)
    (sigma / FETCH_FILE_NAME).write_text(json.dumps(fetch_manifest_document("not_read", "2026-12-01T00:00:00Z")))
    fetched, _ = plan_from_paths(str(sigma), [str(ACME / "okta")], str(ACME / "policy-okta-reviewed.yaml"))
    assert listing_check(fetched) == []


def test_a_plan_creating_nobody_is_asked_without_blocking():
    check = members_listing("sigma/members.json", 0, False)
    assert (check.status, check.blocking, check.count) == (PreflightStatus.UNCONFIRMED, False, 0)
    assert members_listing(None, 3, False) is None


def test_check_warns_naming_the_file_and_both_flags_unless_the_policy_confirms(tmp_path, capsys):
    sigma = without_archived_and_inactive(tmp_path)
    found = [f for f in run_check(sigma, [ACME / "okta"]).findings if f.code == "members-without-archived"]
    assert [(f.severity.value, f.file, f.field, f.message) for f in found] == [(
        "warning", str(sigma / "members.json"), "isArchived",
        "members.json holds no archived member and no fetch-manifest.json says sigma-migrate fetch wrote it: GET "
        "/v2/members without includeArchived=true leaves them out (and without includeInactive=true the inactive "
        "ones), and a returning archived member would then get a second account (scim.create_user) beside the "
        "archived one; export the members with both flags, or confirm preflight.members_include_archived_and_inactive")]
    confirmed = run_check(sigma, [ACME / "okta"], policy_path=confirming(tmp_path))
    assert [f for f in confirmed.findings if f.code == "members-without-archived"] == []
    assert [f for f in run_check(ACME / "sigma", [ACME / "okta"]).findings
            if f.code == "members-without-archived"] == []
    assert main(["check", "--sigma", str(sigma), "--idp", str(ACME / "okta")]) is None  # exit 0: a warning
    out = capsys.readouterr().out
    assert f"warning: {sigma / 'members.json'} [isArchived]: members.json holds no archived" in out
