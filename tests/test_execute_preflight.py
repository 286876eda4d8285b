"""The preflight: before the first write, apply authenticates against every API the plan uses.

A wrong SIGMA_SCIM_TOKEN next to good REST credentials used to leave a half-applied change
(the REST writes done, then SCIM 401). Now apply refuses with one line naming the variable,
and the sandbox saw no write at all.
"""

from __future__ import annotations

from dataclasses import replace

import msgspec
import pytest

from planner.execute.apply import apply_plan
from planner.execute.errors import ApplyRefused
from planner.execute.journal import journal_path
from planner.execute.targets import TargetError

from .conftest import run_cli
from .execute_support import options_for, sandbox_env, small_org, small_plan_actions, write_test_plan

WRITE_METHODS = {"POST", "PATCH", "PUT", "DELETE"}


def writes(server) -> dict[str, int]:
    """Write requests the sandbox received (any status), the token request excepted."""
    return {k: n for k, n in server.request_counts.items()
            if k.split(" ")[0] in WRITE_METHODS and k != "POST /v2/auth/token"}


@pytest.fixture
def server(sandbox_factory):
    return sandbox_factory(small_org())


def cli_env(monkeypatch, server, **override):
    for name, value in {**sandbox_env(server), **override}.items():
        monkeypatch.setenv(name, value)


def apply_argv(plan, server):
    return ["apply", str(plan), "--auto-approve", "--rest-base-url", server.base_url,
            "--scim-base-url", server.scim_base_url, "--backoff-base", "0.01", "--backoff-cap", "0.05"]


def test_a_wrong_scim_token_refuses_before_any_write(tmp_path, server, capsys, monkeypatch):
    plan = write_test_plan(tmp_path)  # REST actions (r1, d1, g1) need nothing from SCIM: they would go first
    cli_env(monkeypatch, server, SIGMA_SCIM_TOKEN="not-the-token")

    code, out, err = run_cli(capsys, *apply_argv(plan, server))

    assert code == 1
    assert err == (f"sigma-migrate: error: SIGMA_SCIM_TOKEN refused by the SCIM API at {server.scim_base_url} "
                   "(GET /Users?count=1: 401: Token missing or malformed); check SIGMA_SCIM_TOKEN; "
                   "nothing was written\n")
    assert writes(server) == {}
    assert dict(server.request_counts) == {"POST /v2/auth/token": 1, "GET /v2/members": 1, "GET /scim/v2/Users": 1}
    assert not journal_path(plan).exists()
    assert "not-the-token" not in out + err


def test_a_wrong_client_secret_refuses_naming_the_rest_variables(tmp_path, server, capsys, monkeypatch):
    plan = write_test_plan(tmp_path)
    cli_env(monkeypatch, server, SIGMA_CLIENT_SECRET="not-the-secret")

    code, _, err = run_cli(capsys, *apply_argv(plan, server))

    assert code == 1
    assert err == (f"sigma-migrate: error: SIGMA_CLIENT_ID / SIGMA_CLIENT_SECRET refused by the REST API at "
                   f"{server.base_url} (POST /v2/auth/token: 401 unauthorized: token request refused "
                   "(Invalid client credentials)); check SIGMA_CLIENT_ID / SIGMA_CLIENT_SECRET; nothing was written\n")
    assert dict(server.request_counts) == {"POST /v2/auth/token": 1}
    assert not journal_path(plan).exists()


def test_a_wrong_scim_base_url_refuses_naming_the_url(tmp_path, server):
    plan = write_test_plan(tmp_path)
    options = replace(options_for(server, auto_approve=True), scim_base_url=f"{server.base_url}/scim/v9")

    with pytest.raises(ApplyRefused) as refused:
        apply_plan(plan, options)

    assert str(refused.value) == (
        f"cannot read the SCIM API at {server.base_url}/scim/v9 (GET /Users?count=1: 404: "
        f"No such endpoint: /scim/v9/Users); check the SCIM base URL; nothing was written"
    )
    assert writes(server) == {}


def test_a_rest_only_plan_does_not_need_the_scim_token(tmp_path, server):
    rest_only = [a for a in small_plan_actions() if a.id in ("r1", "d1", "g1")]
    plan = write_test_plan(tmp_path, rest_only)
    options = options_for(server, auto_approve=True)
    options = replace(options, environ={**options.environ, "SIGMA_SCIM_TOKEN": ""})

    report = apply_plan(plan, options)

    assert report.status == "converged" and report.writes == 3
    assert server.request_counts["GET /scim/v2/Users"] == 0
    assert writes(server) == {"PATCH /v2/teams/{teamId}/members": 1, "PATCH /v2/members/{memberId}": 2}


def test_the_preflight_refusal_is_a_target_error_with_exit_status_1(tmp_path, server):
    plan = write_test_plan(tmp_path)
    options = options_for(server, auto_approve=True)
    options = replace(options, environ={**options.environ, "SIGMA_SCIM_TOKEN": "wrong"})

    with pytest.raises(TargetError) as refused:
        apply_plan(plan, options)

    assert refused.value.exit_code == 1 and "\n" not in str(refused.value)
    assert writes(server) == {}


# ----------------------------------------------------------------- the SCIM API must serve the plan's organization


def other_org():
    """:func:`small_org`'s people in another organization: same emails (a staging org of the same company),
    their own memberIds, as two Sigma organizations' members have."""
    org = small_org()
    return replace(org, members=tuple(msgspec.structs.replace(m, member_id=f"B{m.member_id}", organization_id="org-b")
                                      for m in org.members))


def test_a_scim_base_url_of_another_organization_refuses_naming_both_and_writes_nowhere(
        tmp_path, server, sandbox_factory, capsys, monkeypatch):
    other = sandbox_factory(other_org(), client_id=server.client_id, client_secret=server.client_secret,
                            scim_token=server.scim_token)
    plan = write_test_plan(tmp_path)
    cli_env(monkeypatch, server)
    argv = apply_argv(plan, server)
    argv[argv.index("--scim-base-url") + 1] = other.scim_base_url

    code, out, err = run_cli(capsys, *argv)

    assert code == 1
    assert err == (f"sigma-migrate: error: {plan}: the SCIM API at {other.scim_base_url} (with SIGMA_SCIM_TOKEN) "
                   "does not serve organization org-test that the plan was made for and the REST API at "
                   f"{server.base_url} serves: its member alice@example.com has id Bm1, the plan's memberId "
                   "is m1; nothing was written\n")
    assert writes(server) == {} and writes(other) == {}
    assert not journal_path(plan).exists()


def test_a_scim_api_listing_none_of_the_plans_members_refuses(tmp_path, server, sandbox_factory):
    """An organization whose SCIM lists nobody the plan knows cannot be shown to be the plan's: refused."""
    empty = replace(small_org(), members=(), teams=(), team_memberships=())
    other = sandbox_factory(empty, scim_token=server.scim_token)
    plan = write_test_plan(tmp_path)
    options = replace(options_for(server), scim_base_url=other.scim_base_url)

    with pytest.raises(ApplyRefused) as refused:
        apply_plan(plan, replace(options, auto_approve=True))

    assert str(refused.value) == (
        f"{plan}: the SCIM API at {other.scim_base_url} (with SIGMA_SCIM_TOKEN) does not serve organization "
        f"org-test that the plan was made for and the REST API at {server.base_url} serves: it lists none of "
        "the plan's members (m1, m2, m3); nothing was written")
    assert writes(server) == {} and writes(other) == {}


def test_the_scim_organization_check_reads_the_plans_members_by_user_name(tmp_path, server):
    plan = write_test_plan(tmp_path)
    apply_plan(plan, replace(options_for(server), auto_approve=True))
    assert server.request_counts["GET /scim/v2/Users"] >= 4  # the access check + 3 members looked up
