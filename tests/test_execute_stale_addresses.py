"""The stale check covers every address a plan gives a member or user (tester6 finding 10): a member
made in Sigma after the plan, holding the address a planned ``members.set_email`` moves a member to,
refuses the plan before the first write (before, 192 writes ran, then the set_email failed 409
"Duplicate record" and ``--resume`` failed the same way, again and again).

Against the real sandbox over HTTP, seeded with the bundled sample organization and the plan of
its reviewed policy; the new member is made in the sandbox's state as an admin would make it in
Sigma's UI."""

from __future__ import annotations

from pathlib import Path

import pytest

from planner.execute.approve import approve
from planner.planfile import write_plan
from planner.planning import plan_from_paths

from .conftest import run_cli
from .execute_support import counting_sandbox, sandbox_env

REPO = Path(__file__).resolve().parent.parent
SIGMA, OKTA, POLICY = REPO / "samples/acme/sigma", REPO / "samples/acme/okta", REPO / "policies/examples/demo.yaml"
LINDA = "members.set_email:2uYoihxk2jZOkgYfHgxJcdYXXOybN"
"""linda.okafor@oldacme.example -> linda.okafor@acme.example (the userName guard)."""


@pytest.fixture
def acme(tmp_path, monkeypatch):
    plan, _ = plan_from_paths(str(SIGMA), [str(OKTA)], str(POLICY))
    assert {a.id: a.after.email for a in plan.actions if a.id == LINDA} == {LINDA: "linda.okafor@acme.example"}
    path = tmp_path / "plan.json"
    write_plan(plan, path)
    approve(path, "Ada Admin")
    server, counter = counting_sandbox(SIGMA)
    for name, value in sandbox_env(server).items():
        monkeypatch.setenv(name, value)
    yield path, server, counter
    server.close()


def _apply(capsys, path, server, *more):
    return run_cli(capsys, "apply", str(path), "--rest-base-url", server.base_url,
                   "--scim-base-url", server.scim_base_url, *more)


def test_a_new_member_holding_the_address_a_set_email_moves_to_refuses_before_the_first_write(acme, capsys):
    path, server, counter = acme
    new = server.state.create_member({"email": "Linda.Okafor@acme.example", "firstName": "L", "lastName": "O",
                                      "memberType": "Admin"}, actor=None)

    code, out, err = _apply(capsys, path, server)

    assert code == 1
    assert err == (
        f"sigma-migrate: error: {path}: plan is stale, 1 object(s) changed in Sigma since it was made: "
        f"member:{new['memberId']} (Linda.Okafor@acme.example): new since the plan, with the email action "
        f"{LINDA} (members.set_email) would set; plan again\n")
    assert counter.total() == 0
    assert not (path.parent / "plan.json.journal.sqlite").exists()


def test_a_new_member_holding_a_duplicates_rename_alias_refuses(acme, capsys):
    path, server, counter = acme
    new = server.state.create_member({"email": "bob.ray+DUP-ecibau@acme.example", "firstName": "B",
                                      "lastName": "R", "memberType": "Admin"}, actor=None)

    code, out, err = _apply(capsys, path, server)

    assert code == 1
    assert err == (
        f"sigma-migrate: error: {path}: plan is stale, 1 object(s) changed in Sigma since it was made: "
        f"member:{new['memberId']} (bob.ray+DUP-ecibau@acme.example): new since the plan, with the email action "
        "members.set_email:ECiBauGWbdRoN5KEop6mfQHl3n0UV (members.set_email) would set; plan again\n")
    assert counter.total() == 0
