"""A policy naming another organization (``organization.id``) refuses the export (planner.rules.organization).

tester2 pol_otherorg.yaml: a policy written for Globex Inc planned Acme's export as
"Plan for Globex Inc (255ae7f7-...)"; with ``organization.id`` set, ``plan`` and ``check`` refuse.
"""

from __future__ import annotations

from pathlib import Path

from planner.planfile import read_plan

from .conftest import run_cli, write

REPO = Path(__file__).resolve().parent.parent
SAMPLE = REPO / "samples" / "acme"
ACME_ID = "255ae7f7-9a8a-4c14-a5e5-c38f677bcde2"
GLOBEX_ID = "9d1e0c3a-0000-4000-8000-000000000001"


def policy_with(tmp_path: Path, organization_id: str, name: str = "Globex Inc") -> Path:
    """The Okta example policy (``organization:`` on line 18) with ``name`` and ``id`` (line 20) set."""
    text = (REPO / "policies" / "examples" / "okta.yaml").read_text(encoding="utf-8")
    assert text.count("organization:\n  name: Acme Corp\n") == 1
    text = text.replace("organization:\n  name: Acme Corp\n", f"organization:\n  name: {name}\n  id: {organization_id}\n")
    return write(tmp_path / "policy.yaml", text)


def test_plan_refuses_an_export_of_another_organization(capsys, tmp_path):
    policy = policy_with(tmp_path, GLOBEX_ID)
    out = tmp_path / "plan.json"
    code, stdout, stderr = run_cli(capsys, "plan", "--sigma", str(SAMPLE / "sigma"), "--idp", str(SAMPLE / "okta"),
                                   "--policy", str(policy), "--out", str(out))
    assert code == 1
    assert stderr.strip() == (
        f"sigma-migrate: error: {policy}:20:7: organization.id: the policy is for organization '{GLOBEX_ID}' "
        f"(Globex Inc) but the Sigma export is of organization '{ACME_ID}'; use this organization's policy")
    assert not out.exists()


def test_check_refuses_an_export_of_another_organization(capsys, tmp_path):
    policy = policy_with(tmp_path, GLOBEX_ID)
    code, stdout, stderr = run_cli(capsys, "check", "--sigma", str(SAMPLE / "sigma"), "--idp", str(SAMPLE / "okta"),
                                   "--policy", str(policy))
    assert code == 1
    assert stderr.strip().startswith(f"sigma-migrate: error: {policy}:20:7: organization.id: the policy is for "
                                      f"organization '{GLOBEX_ID}'")


def test_the_policys_own_organization_plans_and_id_stays_in_the_resolved_policy(capsys, tmp_path):
    policy = policy_with(tmp_path, ACME_ID, name="Acme Corp")
    out = tmp_path / "plan.json"
    code, _, stderr = run_cli(capsys, "plan", "--sigma", str(SAMPLE / "sigma"), "--idp", str(SAMPLE / "okta"),
                              "--policy", str(policy), "--out", str(out))
    assert code == 0, stderr
    plan = read_plan(out)
    assert plan.organization.organization_id == ACME_ID
    assert b'"id":"255ae7f7-9a8a-4c14-a5e5-c38f677bcde2"' in bytes(plan.policy.resolved)


def test_a_policy_without_id_resolves_without_the_key():
    from planner.policy import Policy

    assert "id" not in Policy().resolved()["organization"]
    assert Policy.model_validate({"organization": {"id": ACME_ID}}).resolved()["organization"]["id"] == ACME_ID
