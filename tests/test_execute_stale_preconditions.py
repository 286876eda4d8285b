"""Apply's preconditions before the first write, against the real sandbox over HTTP.

- tester6 finding 19: a listing the server cuts short during the stale-plan check (pages without
  their ``nextPage``, a ``total`` larger than what came) is "cannot read Sigma", never read as
  members or team members gone (was: "plan is stale, 121 object(s) ... no longer exists").

(tester6 finding 18, the REST credentials' real owner: tests/test_apply_credential_owner.py.)
"""

from __future__ import annotations

from pathlib import Path

import pytest
from msgspec import UNSET
from msgspec.structs import replace

from planner.execute.approve import approve
from planner.model import ActionKind
from planner.planfile import write_plan
from planner.planning import plan_from_paths

from .conftest import run_cli
from .execute_support import counting_sandbox, sandbox_env, small_plan_actions, write_test_plan

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


def without_user_types(actions):
    """``actions`` sending no ``userType``: apply then reads no ``GET /v2/accountTypes`` (whose answers carry no
    total, so a listing the faults cut short cannot be told from a short one), and the stale check comes first."""
    return [replace(a, after=replace(a.after, user_type=UNSET)) if getattr(a.after, "user_type", UNSET) else a
            for a in actions if a.kind is not ActionKind.SCIM_SET_ACCOUNT_TYPE]


def test_a_team_members_listing_cut_short_at_the_stale_check_is_unreadable_not_members_left(tmp_path, capsys, env):
    # few members: each read alone; team t1 Finance listed
    path = write_test_plan(tmp_path, without_user_types(small_plan_actions()))
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
