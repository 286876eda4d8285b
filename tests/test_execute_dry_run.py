"""--dry-run prints the exact requests apply sends: ids percent-encoded by the clients' own path
functions, and the same refusals as apply for a missing or unsafe base URL (no secret needed)."""

from __future__ import annotations

import pytest

from planner.execute.apply import apply_plan, dry_run_lines
from planner.execute.targets import TargetError
from planner.model import ActionKind, SigmaExport

from .conftest import run_cli
from .execute_support import act, member, options_for, small_org, small_plan_actions, write_test_plan

ODD_ID = "m 9?x#y%"  # routable in the sandbox once decoded, but every character here must be encoded
TRAVERSAL_ID = "../../v2/teams/t1"


class RawUris:
    """Wraps one of the sandbox's WSGI apps; remembers ``METHOD RAW_URI`` of every request it serves."""

    def __init__(self, app):
        self.app = app
        self.seen: list[str] = []

    def __call__(self, environ, start_response):
        self.seen.append(f"{environ['REQUEST_METHOD']} {environ['RAW_URI']}")
        return self.app(environ, start_response)


def org_with_odd_ids() -> SigmaExport:
    base = small_org()
    return SigmaExport(members=base.members + (member(ODD_ID, "odd@example.com"),), teams=base.teams,
                       team_memberships=base.team_memberships, account_types=base.account_types)


def test_dry_run_prints_the_encoded_path_apply_really_sends(tmp_path, sandbox_factory):
    server = sandbox_factory(org_with_odd_ids())
    raw = RawUris(server.app.rest)
    server.app.rest = raw
    deactivate = act("d9", ActionKind.MEMBERS_DEACTIVATE, {"memberId": ODD_ID, "email": "odd@example.com"},
                     {"isArchived": True, "newOwnerId": "mAdmin"})
    plan = write_test_plan(tmp_path, [deactivate], fingerprints={})

    printed = [line for line in dry_run_lines(plan, options_for(server)) if line.startswith("PATCH ")]
    report = apply_plan(plan, options_for(server, auto_approve=True))

    assert printed == [f"PATCH {server.base_url}/v2/members/m%209%3Fx%23y%25"]
    assert report.status == "converged" and report.writes == 1
    sent = [uri for uri in raw.seen if uri.startswith("PATCH ")]
    assert sent == ["PATCH /v2/members/m%209%3Fx%23y%25"]
    assert printed == [f"PATCH {server.base_url}{sent[0].split(' ', 1)[1]}"]


def test_a_path_traversal_id_is_printed_encoded_as_the_client_encodes_it(tmp_path, sandbox_factory):
    server = sandbox_factory(small_org())
    raw = RawUris(server.app.rest)
    server.app.rest = raw
    deactivate = act("dX", ActionKind.MEMBERS_DEACTIVATE, {"memberId": TRAVERSAL_ID, "email": "x@example.com"},
                     {"isArchived": True, "newOwnerId": "mAdmin"})
    plan = write_test_plan(tmp_path, [deactivate], fingerprints={})

    printed = [line for line in dry_run_lines(plan, options_for(server)) if line.startswith("PATCH ")]
    report = apply_plan(plan, options_for(server, auto_approve=True))

    assert printed == [f"PATCH {server.base_url}/v2/members/..%2F..%2Fv2%2Fteams%2Ft1"]
    # Sigma (the sandbox) has no such member: apply reads it first (then verification reads it again),
    # at the same encoded path, and fails the action
    assert [uri for uri in raw.seen if "members/." in uri] == ["GET /v2/members/..%2F..%2Fv2%2Fteams%2Ft1"] * 2
    assert report.results["dX"].state == "failed" and report.writes == 0
    assert server.request_counts["PATCH /v2/teams/{teamId}"] == 0


def test_a_dot_segment_id_is_not_sendable(tmp_path, sandbox_factory):
    server = sandbox_factory(small_org())
    deactivate = act("dD", ActionKind.MEMBERS_DEACTIVATE, {"memberId": "..", "email": "x@example.com"},
                     {"isArchived": True, "newOwnerId": "mAdmin"})
    plan = write_test_plan(tmp_path, [deactivate], fingerprints={})

    lines = dry_run_lines(plan, options_for(server))
    report = apply_plan(plan, options_for(server, auto_approve=True))

    assert lines[-1] == ("# cannot be sent, apply will fail this action: '..' cannot be used as an id in a URL "
                         "path (RFC 3986 §5.2.4 removes it)")
    assert report.results["dD"].state == "failed"
    assert report.results["dD"].error == ("PathSegmentError: '..' cannot be used as an id in a URL path "
                                          "(RFC 3986 §5.2.4 removes it)")
    assert server.request_counts["PATCH /v2"] == 0 and server.request_counts["GET /v2"] == 0


@pytest.mark.parametrize("flags, message", [
    (["--rest-base-url", "{rest}"],
     "no SCIM base URL: pass --scim-base-url or set targets.scim_base_url in the policy"),
    (["--scim-base-url", "{scim}"],
     "no REST base URL: pass --rest-base-url or set targets.rest_base_url in the policy"),
    (["--rest-base-url", "http://sigma.example.com", "--scim-base-url", "{scim}"],
     "REST base URL 'http://sigma.example.com' uses http; https is required except for loopback hosts "
     "(127.0.0.1, ::1, localhost)"),
])
def test_dry_run_refuses_a_missing_or_unsafe_base_url_as_apply_does(tmp_path, sandbox_factory, capsys, monkeypatch,
                                                                    flags, message):
    server = sandbox_factory(small_org())
    for name in ("SIGMA_CLIENT_ID", "SIGMA_CLIENT_SECRET", "SIGMA_SCIM_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    plan = write_test_plan(tmp_path)
    flags = [f.replace("{rest}", server.base_url).replace("{scim}", server.scim_base_url) for f in flags]

    dry_code, dry_out, dry_err = run_cli(capsys, "apply", str(plan), "--dry-run", *flags)
    code, out, err = run_cli(capsys, "apply", str(plan), "--auto-approve", *flags)

    assert (dry_code, dry_out, dry_err) == (1, "", f"sigma-migrate: error: {message}\n")
    assert (code, err) == (1, f"sigma-migrate: error: {message}\n")
    assert server.request_counts == {}


def test_dry_run_needs_no_credentials(tmp_path, sandbox_factory):
    server = sandbox_factory(small_org())
    plan = write_test_plan(tmp_path)
    options = options_for(server)
    with_secrets = dry_run_lines(plan, options)

    without = dry_run_lines(plan, type(options)(rest_base_url=server.base_url, scim_base_url=server.scim_base_url,
                                                environ={}))

    assert without == with_secrets
    assert sum(1 for line in without if line.split(" ")[0] in ("POST", "PATCH")) == 1 + len(small_plan_actions())
    assert server.request_counts == {}


def test_a_plan_with_only_rest_actions_needs_no_scim_url_for_dry_run(tmp_path, sandbox_factory):
    server = sandbox_factory(small_org())
    rest_only = [a for a in small_plan_actions() if a.id in ("r1", "d1", "g1")]
    plan = write_test_plan(tmp_path, rest_only)
    from dataclasses import replace

    lines = dry_run_lines(plan, replace(options_for(server), scim_base_url=None))

    assert [line for line in lines if line.split(" ")[0] in ("POST", "PATCH")] == [
        f"POST {server.base_url}/v2/auth/token",
        f"PATCH {server.base_url}/v2/teams/t1/members",
        f"PATCH {server.base_url}/v2/members/m3",
        f"PATCH {server.base_url}/v2/members/m4",
    ]
    with pytest.raises(TargetError, match="no REST base URL"):
        dry_run_lines(plan, replace(options_for(server), rest_base_url=None))
