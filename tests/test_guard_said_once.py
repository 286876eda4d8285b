"""Tester18 finding 10: a failed protected-person guard is said once by ``plan`` (was: twice, under
``guard failed:`` and again under ``pre-flight failed:``, the pre-flight check of the same name being that
guard's own verdict: :func:`planner.rules.preflight.protected_person`).

The tester's repro as real files: the acme Okta sample with the SCIM-setup admin (priya.raman@) and the API
credential owner (marcus.webb@) DEPROVISIONED and out of their groups.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from .conftest import okta_users_counts, run_cli
from planner.planfile import read_plan
from planner.show import summary_lines

REPO = Path(__file__).resolve().parent.parent
ACME = REPO / "samples" / "acme"
PRIYA, MARCUS = "00uCuQbt5PScKaNQVpDR", "00uA7RpvdjlCXv6tUF7I"  # Okta ids of the two protected people


def deprovisioned_owners(root: Path) -> Path:
    """The acme Okta export under ``root`` with Priya and Marcus DEPROVISIONED and in no group (the repro)."""
    okta = root / "okta"
    shutil.copytree(ACME / "okta", okta)
    users = json.loads((okta / "users.json").read_text("utf-8"))
    for u in users:
        if u["id"] in (PRIYA, MARCUS):
            u.update(status="DEPROVISIONED", statusChanged="2026-11-30T10:00:00.000Z",
                     lastUpdated="2026-11-30T10:00:00.000Z")
    (okta / "users.json").write_text(json.dumps(users, indent=2), "utf-8")
    members = json.loads((okta / "group_members.json").read_text("utf-8"))
    members = {g: [u for u in us if u["id"] not in (PRIYA, MARCUS)] for g, us in members.items()}
    (okta / "group_members.json").write_text(json.dumps(members, indent=2), "utf-8")
    return okta_users_counts(okta)  # Sigma-Viewers is left with 50 members, a round page size


def test_a_failed_owner_guard_is_said_once(tmp_path, capsys):
    out = tmp_path / "p.json"
    code, stdout, _ = run_cli(capsys, "plan", "--sigma", str(ACME / "sigma"), "--idp",
                              str(deprovisioned_owners(tmp_path)), "--policy",
                              str(ACME / "policy-okta-reviewed.yaml"), "--out", str(out))
    assert code == 0
    plan = read_plan(out)
    failed = {g.name: g.detail for g in plan.summary.failed_guards}
    assert sorted(failed) == ["api_credential_owner", "scim_setup_admin"]
    assert [(c.id, c.status.value, c.detail) for c in plan.unmet_preflight] == [
        ("scim_setup_admin", "failed", failed["scim_setup_admin"]),
        ("api_credential_owner", "failed", failed["api_credential_owner"])]
    said = [line for line in stdout.splitlines() if line.startswith(("guard failed:", "pre-flight"))]
    assert said == [f"guard failed: scim_setup_admin: {failed['scim_setup_admin']}",
                    f"guard failed: api_credential_owner: {failed['api_credential_owner']}"]
    assert failed["scim_setup_admin"].startswith(
        f"scim_setup_admin priya.raman@acme.example: IdP user {PRIYA} (priya.raman@acme.example) is DEPROVISIONED")
    assert sum(line.count("priya.raman@acme.example: IdP user") for line in summary_lines(plan)) == 1
    assert [r.code for r in plan.blocking_items] == ["guards.api_credential_owner", "guards.scim_setup_admin"]


def test_the_refusal_line_counts_a_failed_protected_person_once(tmp_path, capsys):
    """``show``'s refusal line counts each thing to settle once: a failed protected-person guard, its blocking
    ``guards.<name>`` item and its pre-flight check of the same name and words are one person (left19 item 2:
    was "2 pre-flight check(s) unmet, 2 blocking review item(s), 2 failed guard(s)" for two people)."""
    out = tmp_path / "p.json"
    code, _, _ = run_cli(capsys, "plan", "--sigma", str(ACME / "sigma"), "--idp", str(deprovisioned_owners(tmp_path)),
                         "--policy", str(ACME / "policy-okta-reviewed.yaml"), "--out", str(out))
    assert code == 0
    plan = read_plan(out)
    refusal = ("0 pre-flight check(s) unmet, 0 blocking review item(s), 2 failed guard(s) (a failed guard's own "
               "blocking review item and pre-flight check are counted under it)")
    assert plan.approval_blockers == refusal
    code, shown, _ = run_cli(capsys, "show", str(out))
    assert code == 0
    assert [line for line in shown.splitlines() if "refuse this plan" in line] == [
        f"  approve and apply refuse this plan: {refusal}"]
