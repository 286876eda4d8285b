"""Apply's preconditions before the first write, against the real sandbox over HTTP.

- tester6 finding 19: a listing the server cuts short during the stale-plan check (pages without
  their ``nextPage``, a ``total`` larger than what came) is "cannot read Sigma", never read as
  members or team members gone (was: "plan is stale, 121 object(s) ... no longer exists");
- tester6 finding 18: a plan that downgrades or deactivates the REST credentials' real owner
  (``GET /v2/whoami``) is refused, whoever ``organization.api_credential_owner`` names (was: the
  link took the owner's Admin, every later REST request failed 403 and ``--resume`` never ended).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from planner.execute.approve import approve
from planner.model import ActionKind
from planner.planfile import write_plan
from planner.planning import plan_from_paths
from planner.rules.guards import owner_losses

from .conftest import run_cli
from .execute_support import act, counting_sandbox, link, sandbox_env, write_test_plan

REPO = Path(__file__).resolve().parent.parent
SIGMA, OKTA, POLICY = REPO / "samples/acme/sigma", REPO / "samples/acme/okta", REPO / "policies/examples/demo.yaml"


def _apply(capsys, path, server, *more):
    return run_cli(capsys, "apply", str(path), "--rest-base-url", server.base_url,
                   "--scim-base-url", server.scim_base_url, "--backoff-base", "0.01", "--backoff-cap", "0.05", *more)


@pytest.fixture
def env(monkeypatch):
    def use(server):
        for name, value in sandbox_env(server).items():
            monkeypatch.setenv(name, value)
    return use


def test_a_members_listing_cut_short_at_the_stale_check_is_unreadable_not_121_members_gone(tmp_path, capsys, env):
    plan, _ = plan_from_paths(str(SIGMA), [str(OKTA)], str(POLICY))
    path = tmp_path / "plan.json"
    write_plan(plan, path)
    approve(path, "Ada Admin")
    server, counter = counting_sandbox(SIGMA)
    env(server)
    server.faults.set(page_cap=20, truncate_lists=1)  # pages lose nextPage; total stays 149
    try:
        code, out, err = _apply(capsys, path, server)
    finally:
        server.close()

    assert code == 1
    assert err == ("sigma-migrate: error: cannot read Sigma for the stale-plan check: REST GET /v2/members: 200: "
                   "incomplete listing of members: 20 of 149 received\n")
    assert counter.total() == 0
    assert not (tmp_path / "plan.json.journal.sqlite").exists()


def test_a_team_members_listing_cut_short_at_the_stale_check_is_unreadable_not_members_left(tmp_path, capsys, env):
    path = write_test_plan(tmp_path)  # few members: each read alone; team t1 Finance listed
    approve(path, "Ada Admin")
    server, counter = counting_sandbox()
    env(server)
    server.faults.set(page_cap=1, truncate_lists=1)
    try:
        code, out, err = _apply(capsys, path, server)
    finally:
        server.close()

    assert code == 1
    assert err == ("sigma-migrate: error: cannot read Sigma for the stale-plan check: REST GET /v2/teams/t1/members: "
                   "200: incomplete listing of members of team t1: 1 of 2 received\n")
    assert counter.total() == 0


HELEN = "QK9fJMB9nEBWpYLdl9yg76p7wxYSm"
"""helen.ortiz@acme.example: Admin in Sigma, Analyze after the sample plan (her Okta groups)."""


def test_a_plan_that_downgrades_the_credentials_real_owner_is_refused_before_the_first_write(tmp_path, capsys, env):
    plan, _ = plan_from_paths(str(SIGMA), [str(OKTA)], str(POLICY))  # organization.api_credential_owner: marcus
    path = tmp_path / "plan.json"
    write_plan(plan, path)
    approve(path, "Ada Admin")
    server, counter = counting_sandbox(SIGMA, credential_owner_id=HELEN)  # a colleague made the credentials
    env(server)
    try:
        code, out, err = _apply(capsys, path, server)
    finally:
        server.close()

    assert code == 1
    assert err == (
        f"sigma-migrate: error: {path}: the REST API credentials belong to member {HELEN} (helen.ortiz@acme.example) "
        f"(GET /v2/whoami), who would have account type 'Analyze', not admin (scim.link_user:{HELEN}); "
        f"would have account type 'Analyze', not admin (scim.set_account_type:{HELEN}): that would cut apply's own "
        "access mid-run; name them in organization.api_credential_owner (the plan then keeps them active and admin) "
        "or apply with credentials of the admin it names, and plan again; nothing was written\n")
    assert counter.total() == 0
    assert not (tmp_path / "plan.json.journal.sqlite").exists()


def test_owner_losses_names_deactivations_and_non_admin_types_of_that_member_only():
    actions = [
        link("l1", "m1", "a@example.com", "Admin"),
        link("l2", "m1", "a@example.com", "Viewer"),
        act("d1", ActionKind.MEMBERS_DEACTIVATE, {"memberId": "m1", "email": "a@example.com"},
            {"isArchived": True, "newOwnerId": "m2"}, before={"isArchived": False, "memberType": "Admin"},
            evidence={"kind": "unmatched", "newOwnerEmail": "b@example.com",
                      "documentOwnerFrom": "organization.document_owner"}),
        act("a2", ActionKind.SCIM_SET_ACCOUNT_TYPE, {"memberId": "m2", "email": "b@example.com",
                                                     "userName": "b@example.com"},
            {"userType": "Viewer"}, before={"memberType": "Admin"}),
    ]
    assert owner_losses("m1", actions, frozenset({"admin"})) == [
        "would have account type 'Viewer', not admin (l2)", "would be deactivated (d1)"]
    assert owner_losses("m3", actions, frozenset({"admin"})) == []
