"""Re-planning after an apply (issue 11 item 1), on the sandbox as a real HTTP server: apply the
reviewed sample plan, fetch Sigma back (with its SCIM state), plan the same inputs again."""

from __future__ import annotations

from pathlib import Path

from planner.cli import main
from planner.execute.apply import ApplyOptions, apply_plan
from planner.execute.approve import approve
from planner.fetch import fetch_export
from planner.planfile import write_plan
from planner.planning import plan_from_paths

from .sandbox_fixture import sample_sandbox

REPO = Path(__file__).resolve().parent.parent
SIGMA, OKTA, POLICY = REPO / "samples/acme/sigma", REPO / "samples/acme/okta", REPO / "policies/examples/demo.yaml"


def test_replanning_the_same_inputs_after_a_complete_apply_gives_no_changes(tmp_path, capsys):
    plan, _ = plan_from_paths(str(SIGMA), [str(OKTA)], str(POLICY))
    with sample_sandbox(SIGMA) as sandbox:
        write_plan(plan, tmp_path / "plan.json")
        approve(tmp_path / "plan.json", "Ada Admin")
        env = {"SIGMA_CLIENT_ID": sandbox.client_id, "SIGMA_CLIENT_SECRET": sandbox.client_secret,
               "SIGMA_SCIM_TOKEN": sandbox.scim_token}
        report = apply_plan(tmp_path / "plan.json", ApplyOptions(
            rest_base_url=sandbox.base_url, scim_base_url=sandbox.scim_base_url, environ=env, write_html=False))
        assert report.status == "converged"
        (tmp_path / "export").mkdir()
        fetch_export(tmp_path / "export", base_url=sandbox.base_url, client_id=sandbox.client_id,
                     client_secret=sandbox.client_secret, scim_token=sandbox.scim_token, progress=False)

    again, _ = plan_from_paths(str(tmp_path / "export"), [str(OKTA)], str(POLICY))
    assert again.actions == ()
    assert again.blocking_items == ()
    linked = [p for p in again.people if p.link_key == "scim"]
    assert len(linked) == 139  # every member the apply linked or created, none planned again
    try:
        main(["plan", "--sigma", str(tmp_path / "export"), "--idp", str(OKTA), "--policy", str(POLICY),
              "--out", str(tmp_path / "again.json"), "--detailed-exitcode"])
    except SystemExit as exc:
        assert exc.code in (0, None)
    out = capsys.readouterr().out
    assert "Plan: 0 link" in out and "No changes: Sigma already matches this plan's inputs and policy." in out
