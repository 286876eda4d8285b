"""The stale check covers every address a plan gives a member or user (tester6 finding 10): a member
made in Sigma after the plan, holding the address a planned ``members.set_email`` moves a member to,
refuses the plan before the first write (before, 192 writes ran, then the set_email failed 409
"Duplicate record" and ``--resume`` failed the same way, again and again).

Against the real sandbox over HTTP, seeded with the bundled sample organization and the plan of
its reviewed policy; the new member is made in the sandbox's state as an admin would make it in
Sigma's UI."""

from __future__ import annotations

import json
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


class MemberMadeDuringTheRun:
    """WSGI middleware: just before the first ``PATCH /v2/members/<member_id>`` reaches the sandbox, an
    admin makes a member with ``email`` (after the stale check passed, as a colleague in Sigma's UI)."""

    def __init__(self, server, member_id: str, email: str):
        self.server, self.app, self.path, self.email = server, server.app, f"/v2/members/{member_id}", email
        self.made: dict | None = None

    def __call__(self, environ, start_response):
        if environ["REQUEST_METHOD"] == "PATCH" and environ["PATH_INFO"] == self.path and self.made is None:
            self.made = self.server.state.create_member(
                {"email": self.email, "firstName": "L", "lastName": "O", "memberType": "Admin"}, actor=None)
        return self.app(environ, start_response)


def test_a_409_on_a_set_email_names_the_member_now_holding_the_address_and_says_plan_again(
        tmp_path, capsys, monkeypatch):
    from .sandbox_fixture import sample_sandbox

    plan, _ = plan_from_paths(str(SIGMA), [str(OKTA)], str(POLICY))
    path = tmp_path / "plan.json"
    write_plan(plan, path)
    approve(path, "Ada Admin")
    server = sample_sandbox(SIGMA)
    hook = MemberMadeDuringTheRun(server, LINDA.partition(":")[2], "Linda.Okafor@acme.example")
    server.app = hook
    server.start()
    for name, value in sandbox_env(server).items():
        monkeypatch.setenv(name, value)
    try:
        code, out, err = _apply(capsys, path, server)
        again = _apply(capsys, path, server, "--resume")
    finally:
        server.close()

    held = (f"  failed  {LINDA}: REST PATCH /v2/members/{LINDA.partition(':')[2]}: 409 conflict: Duplicate record: "
            f"address linda.okafor@acme.example is now held by member {hook.made['memberId']} "
            "(Linda.Okafor@acme.example); fetch and plan again")
    plan_again = ("Plan again: Sigma refused 1 action(s) for good, a --resume would fail them the same way: "
                  f"{LINDA} (409 conflict: Duplicate record: address linda.okafor@acme.example is now held by member "
                  f"{hook.made['memberId']} (Linda.Okafor@acme.example)); 3 action(s) wait on them; fetch Sigma's "
                  f"export, then `sigma-migrate plan ... --applied {path}` (its journal tells the new plan what Sigma "
                  "refused), review and approve the new plan")
    assert code == 5  # EXIT_PLAN_AGAIN: nothing a --resume could do is left (tester9 finding F2)
    lines = out.splitlines()
    assert [line for line in lines if line.startswith("  failed  ")] == [held]
    assert lines[-1] == plan_again and not any(line.startswith("Continue with") for line in lines)
    result = json.loads((path.parent / "plan.json.run-1.result.json").read_text())
    assert sorted(a["id"] for a in result["actions"] if a["state"] == "skipped") == [
        f"scim.link_user:{LINDA.partition(':')[2]}", "scim.set_group_members:00gDr55hu5oZacgeJc7N",
        "teams.remove_member:a6d3187f-a21e-43ce-9622-7830efb9087d:wiHrGP6rme5kmOddzTqWgnVsk13pj"]  # wait on it
    # --resume: the set_email was started (its conflict is the run's own to report), but the link that
    # waits on it gives the member that address too: the stale check refuses, naming the new member
    code, out, err = again
    assert code == 1
    assert err == (
        f"sigma-migrate: error: {path}: plan is stale, 1 object(s) changed in Sigma since it was made: "
        f"member:{hook.made['memberId']} (Linda.Okafor@acme.example): new since the plan, with the email action "
        f"scim.link_user:{LINDA.partition(':')[2]} (scim.link_user) would link; plan again\n")
