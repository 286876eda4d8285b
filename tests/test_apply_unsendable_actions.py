"""A failure a retry cannot change that is no answer of Sigma ends apply with "plan again", never with a
``--resume`` that fails the same way (issue 10, tester9 finding F2 leftover): the runner's generic branch
(a payload the SCIM models refuse before sending, a fault of this tool) joined the final refusals; a network
error stays retryable.

Against the real sandbox over HTTP: a ``scim.create_user`` whose work email scim2-models refuses (``bad``,
no @-sign) is refused before any request; the other action of the plan is done."""

from __future__ import annotations

import json

import httpx2
import pytest
from msgspec.structs import replace

from planner.execute.apply import EXIT_PLAN_AGAIN
from planner.execute.approve import approve
from planner.execute.errors import NotSendable, failure_refusal
from planner.execute.journal import Journal
from planner.execute.journal import read_journal
from planner.execute.runner import RunOptions, run_actions
from planner.applied import applied_runs
from planner.rules.refusals import without_refused

from .execute_support import counting_sandbox, create, sandbox_env, write_test_plan
from .test_apply_final_refusals import _apply, deactivate
from .test_execute_runner import actions_of

NOT_BUILT = ("ActionInputError: action C1 (scim.create_user): the SCIM User cannot be built: value: value is not a "
             "valid email address: An email address must have an @-sign.")


@pytest.fixture
def server(monkeypatch):
    server, _counter = counting_sandbox()
    for name, value in sandbox_env(server).items():
        monkeypatch.setenv(name, value)
    yield server
    server.close()


def test_a_payload_the_scim_models_refuse_ends_with_plan_again_exit_5_on_every_run(tmp_path, server, capsys):
    bad = create("C1", "new@example.com")
    bad = replace(bad, after=replace(bad.after, email="bad"))
    plan = write_test_plan(tmp_path, [bad, deactivate("d7", "m7", "grace@example.com")])
    approve(plan, "Ada Admin")
    plan_again = ("Plan again: 1 action(s) could not be sent as planned, a --resume would fail them the same way: "
                  f"C1 (not sent: {NOT_BUILT}); fetch Sigma's export, then `sigma-migrate plan ... --applied "
                  f"{plan}` (its journal tells the new plan what could not be sent), review and approve the new plan")

    for run in (1, 2):  # the apply, then the --resume it must not advise: the same failure, the same advice
        code, out, err = _apply(capsys, plan, server, *(("--resume",) if run == 2 else ()))

        assert code == EXIT_PLAN_AGAIN == 5, out + err
        assert "Traceback" not in err
        lines = out.splitlines()
        assert [line for line in lines if line.startswith("  failed  ")] == [f"  failed  C1: {NOT_BUILT}"]
        assert lines[-1] == plan_again
        assert not any(line.startswith("Continue with") or "Traceback" in line for line in lines)

    code, out, err = _apply(capsys, plan, server, "--resume", "--json")
    summary = json.loads(out)
    assert (code, summary["next_step"], summary["refused"]) == (5, "plan_again", {"C1": f"not sent: {NOT_BUILT}"})
    assert summary["counts"] == {"done": 1, "failed": 1, "skipped": 0, "pending": 0, "running": 0}

    # the journal keeps it as it keeps Sigma's final answers, so the re-plan with --applied does not plan it again
    row = read_journal(plan)[2]["C1"]
    assert (row.state, row.error, row.refused) == ("failed", NOT_BUILT, f"not sent: {NOT_BUILT}")
    [refusal] = applied_runs([plan]).refusals
    assert (refusal.action_id, refusal.refusal, refusal.unsent, refusal.run) == ("C1", f"not sent: {NOT_BUILT}",
                                                                                  True, 3)
    kept, items = without_refused([bad], {"C1": refusal})
    assert kept == [] and [(i.id, i.blocking, i.evidence.action) for i in items] == [
        ("applied.refused_again:C1", True, "C1")]
    assert items[0].message == (
        f"C1 could not be sent by run 3 of plan {plan}, {row.finished_at}, before any answer of Sigma (not sent: "
        f"{NOT_BUILT}): this plan would plan it again and apply would fail it the same way, so it is not planned")
    assert items[0].resolution == ("# no policy setting settles this: correct what the action was planned from (the "
                                   "exports or the policy), or report the fault of sigma-migrate, then fetch Sigma's "
                                   "export and plan again\n")


class Raising:
    """Executes by raising ``errors[action id]`` (done for the others)."""

    def __init__(self, errors):
        self.errors = errors

    def execute(self, action, on_before, on_ids):
        if action.id in self.errors:
            raise self.errors[action.id]
        return "written", {}


def test_the_runner_says_which_failures_a_retry_cannot_change(tmp_path):
    actions = actions_of({"bug": [], "model": [], "net": [], "disk": [], "ok": []})
    journal = Journal.open(tmp_path / "plan.json", "sha256:test", [(a.id, a.kind.value) for a in actions])
    errors = {"bug": TypeError("'NoneType' object is not subscriptable"),
              "model": NotSendable("action model: the SCIM User cannot be built"),
              "net": httpx2.ConnectError("[Errno 111] Connection refused"),
              "disk": OSError(28, "No space left on device")}

    results = run_actions(actions, Raising(errors), journal, options=RunOptions(parallelism=1))

    assert {aid: (r.state, r.refused, r.unsent) for aid, r in results.items()} == {
        "bug": ("failed", "TypeError: 'NoneType' object is not subscriptable (a fault of sigma-migrate, not "
                          "Sigma's answer: report it)", True),
        "model": ("failed", "not sent: NotSendable: action model: the SCIM User cannot be built", True),
        "net": ("failed", "", False),
        "disk": ("failed", "", False),
        "ok": ("done", "", False)}
    rows = journal.rows()
    assert rows["bug"].error == "TypeError: 'NoneType' object is not subscriptable"
    # journaled in one place with the result: what plan --applied reads (the network and disk errors: retryable)
    assert {aid: rows[aid].refused for aid in results} == {aid: r.refused or None for aid, r in results.items()}


def test_a_pydantic_refusal_is_not_sent_and_a_timeout_is_retryable():
    from scim2_models import Email
    try:
        Email(value="bad")
    except ValueError as exc:
        refused = failure_refusal(exc, "ValidationError: value is not a valid email address")
    assert refused == "not sent: ValidationError: value is not a valid email address"
    assert failure_refusal(httpx2.ReadTimeout("timed out"), "ReadTimeout: timed out") == ""
    assert failure_refusal(TimeoutError(), "TimeoutError: ") == ""
