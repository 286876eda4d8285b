"""A refusal a retry cannot change ends apply with "plan again", never with a ``--resume`` that fails the
same way (tester9 finding F2): Sigma answers a REST write to a member SCIM provisioned ``403 forbidden:
Member ... is provisioned by SCIM; change it in the identity provider`` on every run.

Against the real sandbox over HTTP: Sigma answers the plan's REST deactivation of ``old@example.com`` (m3) with the
403 it gives a member an IdP provisioned through SCIM (:class:`Forbidden`, the sandbox's own answer). The IdP
provisioning m3 between plan and apply is refused before the first write now, by the stale check
(tests/test_apply_provisioned_since.py, tester14b finding 12), so a middleware stands for a refusal for good that
no read before the run can foresee; a 503 that outlasts the tries is the retryable failure of the mixed case."""

from __future__ import annotations

import json

import pytest
from markupsafe import escape

from planner.execute.apply import EXIT_INCOMPLETE, EXIT_PLAN_AGAIN, result_html_path, result_path
from planner.execute.approve import approve
from planner.execute.retry import is_final_refusal
from planner.model import ActionKind

from .conftest import run_cli
from .execute_support import act, counting_sandbox, sandbox_env, write_test_plan

REFUSED = "403 forbidden: Member m3 is provisioned by SCIM; change it in the identity provider"


def deactivate(action_id: str, member_id: str, email: str, deps: tuple[str, ...] = ()):
    return act(action_id, ActionKind.MEMBERS_DEACTIVATE, {"memberId": member_id, "email": email},
               {"isArchived": True, "newOwnerId": "mAdmin"}, deps, before={"isArchived": False, "memberType": "Viewer"},
               evidence={"kind": "unmatched", "newOwnerEmail": "admin@example.com",
                         "documentOwnerFrom": "organization.document_owner"})


def remove(action_id: str, team_id: str, member_id: str, email: str, deps: tuple[str, ...] = ()):
    return act(action_id, ActionKind.TEAMS_REMOVE_MEMBER,
               {"teamId": team_id, "memberId": member_id, "name": "Sales", "email": email}, None, deps,
               before={"userId": member_id, "isTeamAdmin": False}, evidence={"groupId": "g-sales"})


class Unavailable:
    """WSGI middleware: every ``PATCH`` of ``path`` is answered 503 (Sigma down for that member)."""

    def __init__(self, app, path: str):
        self.app, self.path = app, path

    def __call__(self, environ, start_response):
        if environ["REQUEST_METHOD"] == "PATCH" and environ["PATH_INFO"] == self.path:
            start_response("503 Service Unavailable", [("Content-Type", "application/json")])
            return [b'{"code": "internal_error", "message": "unavailable"}']
        return self.app(environ, start_response)


class Forbidden:
    """WSGI middleware: every ``PATCH`` of ``/v2/members/m3`` is answered as Sigma answers a REST write to a member
    an IdP provisioned through SCIM (the sandbox's exact answer, docs/sandbox.md "REST edits of SCIM-managed
    objects")."""

    def __init__(self, app):
        self.app = app

    def __call__(self, environ, start_response):
        if environ["REQUEST_METHOD"] == "PATCH" and environ["PATH_INFO"] == "/v2/members/m3":
            start_response("403 Forbidden", [("Content-Type", "application/json")])
            return [b'{"message": "Member m3 is provisioned by SCIM; change it in the identity provider", '
                    b'"code": "forbidden", "requestId": "r-403"}']
        return self.app(environ, start_response)


@pytest.fixture
def server(monkeypatch):
    server, counter = counting_sandbox()
    for name, value in sandbox_env(server).items():
        monkeypatch.setenv(name, value)
    counter.app = Forbidden(counter.app)
    server.counter = counter
    yield server
    server.close()


def _apply(capsys, plan, server, *more):
    return run_cli(capsys, "apply", str(plan), "--rest-base-url", server.base_url,
                   "--scim-base-url", server.scim_base_url, "--backoff-base", "0.01", "--backoff-cap", "0.05",
                   *more)


def test_a_403_every_run_ends_with_plan_again_and_exit_5_never_continue_with_resume(tmp_path, server, capsys):
    plan = write_test_plan(tmp_path, [deactivate("d3", "m3", "old@example.com"),
                                      remove("r5", "t2", "m5", "erin@example.com", ("d3",)),
                                      deactivate("d7", "m7", "grace@example.com")])
    approve(plan, "Ada Admin")
    plan_again = ("Plan again: Sigma refused 1 action(s) for good, a --resume would fail them the same way: "
                  f"d3 ({REFUSED}); 1 action(s) wait on them; fetch Sigma's export, then `sigma-migrate plan ... "
                  f"--applied {plan}` (its journal tells the new plan what Sigma refused), review and approve the new "
                  "plan")

    for run in (1, 2):  # the apply, then the --resume it must not advise: the same refusal, the same advice
        code, out, err = _apply(capsys, plan, server, *(("--resume",) if run == 2 else ()))

        assert code == EXIT_PLAN_AGAIN == 5, out + err
        lines = out.splitlines()
        assert [line for line in lines if line.startswith("  failed  ")] == [
            f"  failed  d3: REST PATCH /v2/members/m3: {REFUSED}"]
        assert lines[-1] == plan_again
        assert not any(line.startswith("Continue with") for line in lines)
        # the run's result file and report say the same (tester10 finding 16: they said '... then --resume')
        result = json.loads(result_path(plan, run).read_text())
        assert (result["status"], result["next_step"], result["refused"], result["next_step_lines"]) == (
            "incomplete", "plan_again", {"d3": REFUSED}, [plan_again])
        page = result_html_path(plan, run).read_text()
        assert f'<div class="next-step"><code>{escape(plan_again)}</code></div>' in page
        assert "--resume</code>" not in page

    code, out, err = _apply(capsys, plan, server, "--resume", "--json")

    assert code == 5
    summary = json.loads(out)
    assert (summary["status"], summary["next_step"], summary["refused"]) == ("incomplete", "plan_again",
                                                                             {"d3": REFUSED})
    assert summary["counts"] == {"done": 1, "failed": 1, "skipped": 1, "pending": 0, "running": 0}


def test_a_refusal_beside_a_503_says_plan_again_for_it_and_resume_for_the_rest_exit_3(tmp_path, server, capsys):
    server.counter.app = Unavailable(server.counter.app, "/v2/members/m7")
    plan = write_test_plan(tmp_path, [deactivate("d3", "m3", "old@example.com"),
                                      deactivate("d7", "m7", "grace@example.com"),
                                      remove("r6", "t2", "m6", "frank@example.com", ("d7",))])
    approve(plan, "Ada Admin")

    code, out, err = _apply(capsys, plan, server)

    assert code == EXIT_INCOMPLETE == 3, out + err
    assert out.splitlines()[-2:] == [
        "Plan again: Sigma refused 1 action(s) for good, a --resume would fail them the same way: "
        f"d3 ({REFUSED}); fetch Sigma's export, then `sigma-migrate plan ... --applied {plan}` (its journal tells "
        "the new plan what Sigma refused), review and approve the new plan",
        f"Continue with: sigma-migrate apply {plan} --resume (the 2 other action(s) left; the refused ones need "
        "the new plan)",
    ]
    assert json.loads(result_path(plan, 1).read_text())["next_step_lines"] == out.splitlines()[-2:]
    code, out, err = _apply(capsys, plan, server, "--resume", "--json")
    assert code == 3
    assert (json.loads(out)["next_step"], json.loads(out)["refused"]) == ("resume", {"d3": REFUSED})


@pytest.mark.parametrize("status, final", [
    (400, True), (403, True), (404, True), (409, True), (410, True), (422, True),
    (401, False), (408, False), (423, False), (425, False), (429, False),
    (500, False), (502, False), (503, False), (504, False), (200, False), (None, False),
])
def test_which_answers_are_final(status, final):
    assert is_final_refusal(status) is final


def report_left(left, status="incomplete", counts=None):
    from planner.execute.apply import ApplyReport

    return ApplyReport(plan_path="plan.json", digest="sha256:x", mode="apply", approval=None, status=status,
                       started_at="", finished_at="", seconds=0.0, results={}, journal_rows={}, verification=None,
                       counts=counts or {"done": 0, "failed": 7, "skipped": 1}, writes=0, left=left)


def test_the_plan_again_line_names_five_refusals_then_how_many_more_and_ctrl_c_in_verification_says_it_too():
    from planner.execute.apply import WhatIsLeft, interrupted_verification_line, next_step_lines

    refused = {f"d{i}": f"403 forbidden: Member m{i} is provisioned by SCIM" for i in range(1, 8)}
    only = report_left(WhatIsLeft(refused, held=("r1",)))
    line = ("Plan again: Sigma refused 7 action(s) for good, a --resume would fail them the same way: "
            + ", ".join(f"d{i} (403 forbidden: Member m{i} is provisioned by SCIM)" for i in range(1, 6))
            + ", and 2 more (the failed lines above); 1 action(s) wait on them; fetch Sigma's export, then "
              "`sigma-migrate plan ... --applied plan.json` (its journal tells the new plan what Sigma refused), "
              "review and approve the new plan")
    assert (only.next_step, only.exit_code, next_step_lines(only)) == ("plan_again", 5, [line])
    assert interrupted_verification_line("plan.json", only) == f"interrupted during verification: {line}"

    mixed = report_left(WhatIsLeft(refused, held=("r1",), retryable=("d9",)))
    assert (mixed.next_step, mixed.exit_code) == ("resume", 3)
    assert interrupted_verification_line("plan.json", mixed) == (
        "interrupted during verification: 7 action(s) failed and 1 skipped; run `sigma-migrate apply plan.json "
        "--resume` to continue")
    assert (report_left(WhatIsLeft(), status="unverified").exit_code,
            report_left(WhatIsLeft(), status="converged").exit_code) == (4, 0)
