"""Tester18 finding 11: two built-in account types of one rank (docs/policy.md "account_types": Build = Pro =
Creator, Analyze = Essential = Explorer, View = Lite = Viewer) are a change ranked neither up nor down
(:data:`planner.rules.account_types.SAME_RANK`), never a downgrade (was: a legacy "Creator" member mapped to
Build was a "downgrade", counted by ``guards.thresholds.downgrades`` and blocking under ``on_downgrade: review``).

The tester's repro as real files: the acme sample with joanna.delacroix@'s memberType ``Creator`` and the
built-in ``Creator`` type in account_types.json.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from .conftest import run_cli
from planner.planfile import read_plan
from planner.rules.account_types import classify

REPO = Path(__file__).resolve().parent.parent
ACME = REPO / "samples" / "acme"
JOANNA = "KymMWOQ36tfBXJVP7uSao9G8chJ8e"  # joanna.delacroix@acme.example, Build in the sample, in Sigma-Build
PRECEDENCE = ["Admin", "Data Steward", "Build", "Analyze", "Act", "External Viewer", "View"]  # the sample's


def test_types_of_one_rank_are_a_change_neither_way():
    assert classify("Creator", "Build", PRECEDENCE) == "change"  # Creator is not in precedence: Sigma's ranking
    assert classify("Pro", "Build", []) == "change"
    assert classify("Essential", "Analyze", []) == "change"
    assert classify("Lite", "View", []) == "change"
    assert classify("Creator", "Analyze", PRECEDENCE) == "downgrade"
    assert classify("Creator", "Admin", PRECEDENCE) == "upgrade"
    assert classify("build", "Build", []) == "unchanged"  # letter case only


def creator_export(root: Path) -> Path:
    """The acme Sigma export under ``root`` with Joanna's memberType ``Creator``, a built-in type of the
    organization (the repro)."""
    sigma = root / "sigma"
    shutil.copytree(ACME / "sigma", sigma)
    types = json.loads((sigma / "account_types.json").read_text("utf-8"))
    types[0]["entries"].insert(2, {"accountTypeId": "creator-legacy-0001", "accountTypeName": "Creator",
                                   "description": "Create and publish workbooks and data models", "isCustom": False})
    (sigma / "account_types.json").write_text(json.dumps(types, indent=2), "utf-8")
    pages = json.loads((sigma / "members.json").read_text("utf-8"))
    (joanna,) = [m for page in pages for m in page["entries"] if m["memberId"] == JOANNA]
    assert joanna["memberType"] == "Build"
    joanna["memberType"] = "Creator"
    (sigma / "members.json").write_text(json.dumps(pages, indent=2), "utf-8")
    return sigma


def test_a_creator_mapped_to_build_is_no_downgrade(tmp_path, capsys):
    policy = tmp_path / "policy.yaml"
    text = (ACME / "policy-okta-reviewed.yaml").read_text("utf-8")
    assert "  on_downgrade: allow\n" in text
    policy.write_text(text.replace("  on_downgrade: allow\n", "  on_downgrade: review\n"), "utf-8")
    out = tmp_path / "p.json"
    code, stdout, _ = run_cli(capsys, "plan", "--sigma", str(creator_export(tmp_path)), "--idp", str(ACME / "okta"),
                              "--policy", str(policy), "--out", str(out))
    assert code == 0
    plan = read_plan(out)
    (action,) = [a for a in plan.actions if a.id == f"scim.set_account_type:{JOANNA}"]
    assert action.reason == "change within one rank: Creator -> Build (group Sigma-Build)"
    assert (action.evidence.change, action.evidence.source, action.evidence.groups) == ("change", "group_map",
                                                                                        ["Sigma-Build"])
    (row,) = [p for p in plan.people if p.member_id == JOANNA]
    assert (row.account_type_before, row.account_type_after, row.type_change.value) == ("Creator", "Build", "change")
    assert [r.id for r in plan.review_items if r.subject.member_id == JOANNA] == []
    assert [r.code for r in plan.review_items if r.code.startswith("account_types.")
            and r.code != "account_types.several_type_groups"] == ["account_types.downgrade"] * 3  # helen.ortiz@'s
    # admin downgrade is acknowledged: the sample's four downgrades, Joanna's none
    counts = plan.summary.account_types
    assert (counts.changes, counts.upgrades, counts.downgrades) == (9, 4, 4)
    assert plan.summary.outcomes.downgrades == 4
    (threshold,) = [g for g in plan.summary.guards if g.name == "threshold.downgrades"]
    assert threshold.detail == "downgrades: 4 of 140 active Sigma people (2.9%) within 10%"
    assert "9 account-type changes (4 downgrades)" in stdout
