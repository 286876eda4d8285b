"""A plan an unmet pre-flight check blocks says so in its summary line (walk21).

``plan``'s line, ``show``'s ``Summary:``, the HTML report's summary and ``report``'s terminal line said "13 review
items (0 blocking)" of a plan approve refuses for its ``members_include_archived_and_inactive`` check. The line now
counts the pre-flight checks that stop approval as approve does ("...; 1 blocking pre-flight check unmet"), from
the plan's own records (``summary.text``; ``Plan.preflight_blockers``), never re-derived by a renderer; a failed
guard's echo is counted under the guard only (left19).

Real files: the bundled acme export without its archived and inactive members (tests/test_members_listing.py) and
the reviewed Okta policy without its entry naming Ruth's member, through the CLI.
"""

from __future__ import annotations

import json
import re

import pytest
import yaml

from planner.execute.approve import approve
from planner.execute.errors import ApplyRefused
from planner.outcomes import review_headline
from planner.planfile import read_plan

from .conftest import run_cli
from .test_members_listing import ACME, KEY, RUTH, without_archived_and_inactive

TAIL = "; 12 review items (0 blocking); 1 blocking pre-flight check unmet"


def policy_without_ruth(tmp_path, confirm: bool = False):
    """The reviewed Okta policy without its linking.overrides entry naming Ruth's member (walk21's pol-noruth.yaml),
    confirming the listing check when ``confirm``."""
    policy = yaml.safe_load((ACME / "policy-okta-reviewed.yaml").read_text(encoding="utf-8"))
    policy["linking"]["overrides"] = [o for o in policy["linking"]["overrides"] if o.get("member") != RUTH]
    if confirm:
        policy.setdefault("preflight", {})[KEY] = True
    out = tmp_path / "pol-noruth.yaml"
    out.write_text(yaml.safe_dump(policy, sort_keys=False), encoding="utf-8")
    return out


def test_review_headline_counts_the_blocking_pre_flight_checks():
    assert review_headline(13, 0, 0) == "13 review items (0 blocking)"
    assert review_headline(1, 1, 1) == "1 review item (1 blocking); 1 blocking pre-flight check unmet"
    assert review_headline(2, 0, 2) == "2 review items (0 blocking); 2 blocking pre-flight checks unmet"


def test_a_plan_blocked_by_a_pre_flight_check_says_so_in_every_summary_line(capsys, tmp_path):
    sigma, policy, out = without_archived_and_inactive(tmp_path), policy_without_ruth(tmp_path), tmp_path / "p.json"
    code, stdout, _ = run_cli(capsys, "plan", "--sigma", str(sigma), "--idp", str(ACME / "okta"), "--policy",
                              str(policy), "--out", str(out))
    assert code == 0
    first = stdout.splitlines()[0]
    # was: '...; 12 review items (0 blocking)'
    assert first.startswith("Plan: 125 link, 14 create, ") and first.endswith(TAIL)
    plan = read_plan(out)
    assert plan.summary.text == first and [c.id for c in plan.preflight_blockers] == [KEY]
    assert plan.summary.review_items.blocking == 0 and plan.blocking_items == ()

    code, shown, _ = run_cli(capsys, "show", str(out))
    assert [line for line in shown.splitlines() if line.endswith(TAIL)] == [f"Summary: {first}", first]
    assert ("  approve and apply refuse this plan: 1 pre-flight check(s) unmet, 0 blocking review item(s), 0 failed "
            "guard(s)") in shown.splitlines()

    html = tmp_path / "r.html"
    code, reported, _ = run_cli(capsys, "report", str(out), "--out", str(html))
    assert code == 0 and reported.splitlines()[-1].endswith("8 account-type changes (4 downgrades)" + TAIL.replace(
        "; 12", ", 12", 1))
    assert re.search(r'id="plan-summary">([^<]*)<', html.read_text(encoding="utf-8")).group(1).endswith(TAIL)

    with pytest.raises(ApplyRefused) as refused:  # approve refuses it, as the line says
        approve(out, "Ada")
    assert str(refused.value).startswith(f"{out}: pre-flight check {KEY} is unconfirmed: ")


def test_a_confirmed_check_leaves_the_line_as_before(capsys, tmp_path):
    sigma, out = without_archived_and_inactive(tmp_path), tmp_path / "p.json"
    code, stdout, _ = run_cli(capsys, "plan", "--sigma", str(sigma), "--idp", str(ACME / "okta"), "--policy",
                              str(policy_without_ruth(tmp_path, confirm=True)), "--out", str(out))
    assert stdout.splitlines()[0].endswith("; 12 review items (0 blocking)")
    assert read_plan(out).preflight_blockers == ()
    assert json.loads(out.read_text())["summary"]["text"] == stdout.splitlines()[0]
