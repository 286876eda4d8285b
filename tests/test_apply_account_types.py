"""Apply checks that every account type the plan assigns still exists (tester8 finding 19).

A plan assigns account types by SCIM ``userType`` (links, creates, account-type changes); Sigma refuses a
name it does not know (docs/sigma-api.md §4.1, §5.2; the sandbox: SCIM 400, REST 404). A custom type
deleted since the plan used to fail its actions mid-run; apply now reads ``GET /v2/accountTypes`` before
the first write and refuses with one line.
"""

from __future__ import annotations

from planner.execute.apply import apply_plan, assigned_account_types
from planner.execute.approve import approve

from .conftest import run_cli
from .execute_support import counting_sandbox, create, link, options_for, sandbox_env, write_test_plan


def test_a_type_the_organization_does_not_have_refuses_apply_before_the_first_write(tmp_path, capsys, monkeypatch):
    actions = [link("scim.link_user:mAdmin", "mAdmin", "admin@example.com", "Admin"),
               create("scim.create_user:new", "new@example.com", "Data Steward"),
               link("scim.link_user:m2", "m2", "member@example.com", "Data Steward")]
    path = write_test_plan(tmp_path, actions)
    approve(path, "Ada Admin")
    server, counter = counting_sandbox()  # small_org: Admin, Pro, Viewer
    for name, value in sandbox_env(server).items():
        monkeypatch.setenv(name, value)
    try:
        code, out, err = run_cli(capsys, "apply", str(path), "--rest-base-url", server.base_url,
                                 "--scim-base-url", server.scim_base_url)
    finally:
        server.close()
    assert code == 1
    assert err == (f"sigma-migrate: error: {path}: the plan assigns account type(s) 'Data Steward', which the "
                   "organization does not have now (GET /v2/accountTypes: Admin, Pro, Viewer): create them in Sigma, "
                   "or fetch again and plan again; nothing was written\n")
    assert counter.total() == 0
    assert not (tmp_path / "plan.json.journal.sqlite").exists()


def test_types_that_exist_apply_and_a_plan_assigning_none_reads_no_types(tmp_path):
    assert assigned_account_types([link("l1", "m1", "a@example.com", "Pro"), create("c1", "b@example.com", "Admin"),
                                   link("l2", "m2", "c@example.com", "Pro")]) == ["Admin", "Pro"]
    assert assigned_account_types([]) == []
    path = write_test_plan(tmp_path)  # links and a create to Viewer and Pro
    approve(path, "Ada Admin")
    server, _ = counting_sandbox()
    try:
        server.state.add_account_type("Data Steward")
        report = apply_plan(path, options_for(server), echo=lambda line: None)
    finally:
        server.close()
    assert report.status == "converged"

