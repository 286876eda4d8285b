"""Tester6 finding 1: an undo plan is reviewed like any plan. ``show`` and the HTML report of an undo
plan said "Admin changes: 0", "Downgrades: 0", "People (0)", "No account types known" and "made by an
older version" while the undo grants Admin and downgrades four people. The undo plan now carries the
decision records a migration plan carries for what it reverses (:mod:`planner.execute.undo`): person
rows, team rows, seats and account-type counts, and says why it has no pre-flight checks."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from planner.execute.apply import apply_plan
from planner.execute.approve import approve
from planner.execute.journal import journal_path
from planner.execute.undo import build_undo_plan
from planner.planfile import read_plan, write_plan

from .conftest import run_cli
from .execute_support import options_for

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def undone(tmp_path_factory):
    """The tester's sequence: the bundled sample in the sandbox, the okta example policy aimed at it,
    plan, approve, apply (converged), then ``undo`` of its journal."""
    from planner.fetch import fetch_export
    from planner.planning import plan_from_paths
    from .sandbox_fixture import sample_sandbox

    tmp = tmp_path_factory.mktemp("undo-review")
    sigma, okta = REPO / "samples/acme/sigma", REPO / "samples/acme/okta"
    with sample_sandbox(sigma) as sandbox:
        text = (REPO / "policies/examples/okta.yaml").read_text()
        aimed = text.replace("rest_base_url: https://api.sigmacomputing.com", f"rest_base_url: {sandbox.base_url}") \
                    .replace("scim_base_url: null", f"scim_base_url: {sandbox.scim_base_url}")
        assert aimed.count(sandbox.base_url) == 2
        (tmp / "policy.yaml").write_text(aimed)
        export = tmp / "export"  # with Sigma's SCIM state, which a policy aimed at SCIM needs (inputs.scim_state_missing)
        export.mkdir()
        fetch_export(export, base_url=sandbox.base_url, client_id=sandbox.client_id,
                     client_secret=sandbox.client_secret, scim_token=sandbox.scim_token)
        first, _ = plan_from_paths(str(export), [str(okta)], str(tmp / "policy.yaml"))
        write_plan(first, tmp / "plan.json")
        approve(tmp / "plan.json", "Ada Admin")
        assert apply_plan(tmp / "plan.json", options_for(sandbox)).status == "converged"
    write_plan(build_undo_plan(journal_path(tmp / "plan.json"), created_at="t"), tmp / "undo.json")  # offline
    return tmp


def test_show_of_an_undo_plan_lists_the_admin_grant_the_downgrades_and_says_why_no_pre_flight(undone, capsys):
    undo = read_plan(undone / "undo.json")
    code, out, _ = run_cli(capsys, "show", str(undone / "undo.json"))
    assert code == 0
    lines = out.splitlines()
    original = read_plan(undone / "plan.json").digest
    assert (f"Pre-flight: none of its own. This undo plan runs against an organization already on SCIM; the "
            f"pre-flight checks were the migration plan's ({original}).") in lines
    assert not any("older version" in ln or ln.startswith("Actions not about a person") for ln in lines)
    # victor.hale@, whom the plan deactivated as an Admin, is reactivated as one: he holds no admin type while
    # archived, so he gains it (tester18 finding 5: was not counted)
    start = lines.index("Admin types gained or changed: 2 (2 gained)")
    assert lines[start:start + 3] == [
        "Admin types gained or changed: 2 (2 gained)",
        "  ~ helen.ortiz@acme.example  Helen Ortiz  [member QK9fJMB9nEBWpYLdl9yg76p7wxYSm <-> IdP "
        "00uDXNuDXUhYql9AzxH9] by email  Analyze -> Admin",
        "      ~ undo scim.link_user:QK9fJMB9nEBWpYLdl9yg76p7wxYSm: account type back to Admin  "
        "(scim.set_account_type, undo)",
    ]
    victor = lines.index("  ~ victor.hale@acme.example  Victor Hale  [member uPJojxcONdlaV0d6ELaALgdqigRCk <-> IdP "
                         "00ujwIPBPcTjMPs5sxQA] by email  Admin")
    assert start < victor < lines.index("", start)
    assert lines[victor + 1] == ("      + undo members.deactivate:uPJojxcONdlaV0d6ELaALgdqigRCk: reactivate  "
                                 "(members.reactivate, undo)")
    start = lines.index("Downgrades: 4")  # Analyze -> Data Steward was an upgrade (the policy's precedence)
    heads = [ln for ln in lines[start + 1:lines.index("", start)] if ln.startswith("  ~ ")]
    assert [re.sub(r"  \[.*\] by email  ", " | ", h) for h in heads] == [
        "  ~ aisha.bello@acme.example  Aisha Bello | Build -> Act",
        "  ~ kevin.brown@acme.example  Kevin Brown | Analyze -> View",
        "  ~ martin.schulz@acme.example  Martin Schulz | Data Steward -> Analyze",
        "  ~ olivia.grant@acme.example  Olivia Grant | Build -> View",
    ]
    # the seats: before = what the apply left, after = with the undo (12 reactivated, types changed back)
    assert {name: (s.before, s.after) for name, s in undo.summary.seats.items()} == {
        "Act": (29, 30), "Admin": (4, 6), "Analyze": (35, 38), "Build": (18, 19), "Data Steward": (2, 1),
        "External Viewer": (2, 3), "View": (52, 57)}
    assert (undo.summary.account_types.changes, undo.summary.account_types.upgrades,
            undo.summary.account_types.downgrades) == (8, 4, 4)
    assert (len(undo.people), len(undo.teams)) == (20, 12)
    assert sorted({a for p in undo.people for a in p.actions} | {a for t in undo.teams for a in t.actions}) == \
        sorted(a.id for a in undo.actions)


def test_report_of_an_undo_plan_counts_what_it_does(undone, capsys):
    code, out, err = run_cli(capsys, "report", str(undone / "undo.json"), "--out", str(undone / "undo.html"))
    assert code == 0, err
    assert ("Cannot sign in after the switch: 0; Admins losing Admin: 0; 8 account-type changes (4 downgrades), "
            "173 review items (0 blocking)") in out.splitlines()
    page = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", (undone / "undo.html").read_text()))
    assert "8 account-type (licence) changes 4 downgrades" in page
    assert "People (20)" in page and "Teams (12)" in page
    assert ("Account type Before After Change Pending review Act 29 30 +1 Admin 4 6 +2 Analyze 35 38 +3 Build 18 19 +1 "
            "Data Steward 2 1 -1 External Viewer 2 3 +1 View 52 57 +5") in page
    assert "the pre-flight checks were the migration plan&#39;s (sha256:" in page
    assert "No account types known" not in page and "older version" not in page


def test_an_undo_plan_carries_the_migration_plans_credential_owner(undone, capsys):
    """tester10 finding 15: apply of an undo plan said 'the plan names no organization.api_credential_owner'
    though the undone plan's policy names marcus.webb: the undo plan carries the migration plan's protected
    people as the undo leaves them, so apply checks its credentials against the same owner."""
    from planner.execute.apply import credential_owner_expectation
    from planner.model import OwnerStatus

    undo = read_plan(undone / "undo.json")
    assert undo.api_credential_owner == OwnerStatus(
        role="api_credential_owner", reference="marcus.webb@acme.example", member_id="o3bcUiNHAhqVu10fs8bWxqfRdo08M",
        email="marcus.webb@acme.example", account_type_before="Admin", account_type_after="Admin", lockout=None,
        ok=True, detail="marcus.webb@acme.example stays as the apply left them: the undo neither deactivates them "
                        "nor takes their admin account type")
    assert [o.role for o in undo.outcomes.owners] == ["scim_setup_admin", "api_credential_owner"]
    assert credential_owner_expectation(undo).endswith(
        "userId member o3bcUiNHAhqVu10fs8bWxqfRdo08M (marcus.webb@acme.example), the plan's "
        "organization.api_credential_owner; credentials of another member are refused")
