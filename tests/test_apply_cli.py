"""The approve and apply commands: output, one-line refusals, exit statuses, --json, --dry-run."""

from __future__ import annotations

import json

import pytest

from planner.execute.approve import approval_path
from planner.execute.journal import Journal
from planner.model import ActionKind

from .conftest import run_cli
from .execute_support import act, counting_sandbox, sandbox_env, small_plan_actions, write_test_plan


@pytest.fixture
def server(monkeypatch):
    server, counter = counting_sandbox()
    for name, value in sandbox_env(server).items():
        monkeypatch.setenv(name, value)
    yield server
    server.close()


def urls(server):
    return ["--rest-base-url", server.base_url, "--scim-base-url", server.scim_base_url,
            "--backoff-base", "0.01", "--backoff-cap", "0.05"]


def test_approve_then_apply_prints_summary_and_result(tmp_path, server, capsys):
    plan = write_test_plan(tmp_path)
    code, out, err = run_cli(capsys, "approve", str(plan), "--by", "Ada Admin")
    assert code == 0
    assert out.splitlines()[0].startswith("Approved plan sha256:") and " by Ada Admin at " in out
    assert out.splitlines()[1] == f"Approval: {approval_path(plan)}"

    code, out, err = run_cli(capsys, "apply", str(plan), *urls(server))

    assert code == 0, out + err
    lines = out.splitlines()
    assert lines[0].startswith("Plan sha256:") and lines[0].endswith("Test Org: 8 actions")
    assert any(line.startswith("Approved by Ada Admin at ") for line in lines)
    assert any(line.startswith("Apply converged: 8 of 8 done (8 written this run), 0 failed, 0 skipped in ")
               for line in lines)
    assert "Verification: 6 of 6 objects converged to the plan" in lines
    assert f"Result: {plan}.run-1.result.json" in lines
    assert f"Report with result: {plan}.run-1.result.html" in lines
    assert err.count("\n") == 8 and " done    scim.link_user " in err  # plain log lines (not a TTY)


@pytest.mark.parametrize("setup, message", [
    ("unapproved", "plan is not approved; run `sigma-migrate approve"),
    ("tampered", "plan content does not match its digest"),
    ("no-token", "SIGMA_SCIM_TOKEN is not set in the environment"),
    ("http", "uses http; https is required except for loopback hosts"),
])
def test_refusals_are_one_line_with_exit_1_and_nothing_written(tmp_path, server, capsys, monkeypatch, setup, message):
    plan = write_test_plan(tmp_path)
    argv = ["apply", str(plan), *urls(server)]
    if setup != "unapproved":
        run_cli(capsys, "approve", str(plan), "--by", "Ada")
    if setup == "tampered":
        doc = json.loads(plan.read_text())
        doc["actions"][5]["target"]["memberId"] = "m7"
        plan.write_text(json.dumps(doc))
    if setup == "no-token":
        monkeypatch.delenv("SIGMA_SCIM_TOKEN")
    if setup == "http":
        argv = ["apply", str(plan), "--rest-base-url", "http://sigma.example.com", "--scim-base-url",
                server.scim_base_url]

    code, out, err = run_cli(capsys, *argv)

    assert code == 1
    assert err.startswith("sigma-migrate: error: ") and message in err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert server.request_counts == {}
    assert not (tmp_path / "plan.json.journal.sqlite").exists()


def test_apply_of_a_stale_plan_names_the_member(tmp_path, server, capsys):
    plan = write_test_plan(tmp_path)
    run_cli(capsys, "approve", str(plan), "--by", "Ada")
    server.state.update_member("m4", {"userKind": "internal"}, actor=None)  # the guest was converted by hand

    code, out, err = run_cli(capsys, "apply", str(plan), *urls(server))

    assert code == 1
    assert "member:m4 (guest@partner.example): userKind 'guest' -> 'internal'" in err
    assert server.state.get_member("m4")["isArchived"] is False


def test_auto_approve_still_shows_the_summary(tmp_path, server, capsys):
    plan = write_test_plan(tmp_path)
    code, out, _ = run_cli(capsys, "apply", str(plan), "--auto-approve", *urls(server))
    assert code == 0
    assert "Approved with --auto-approve (no approval file)" in out.splitlines()
    assert not approval_path(plan).exists()


def test_json_summary_and_exit_5_when_sigma_refuses_an_action_for_good(tmp_path, server, capsys):
    actions = list(small_plan_actions()) + [
        act("x1", ActionKind.MEMBERS_CONVERT_GUEST, {"memberId": "missing", "email": "m@example.com"},
            {"userKind": "internal"}),
    ]
    plan = write_test_plan(tmp_path, actions, fingerprints={})
    run_cli(capsys, "approve", str(plan), "--by", "Ada")

    code, out, err = run_cli(capsys, "apply", str(plan), "--json", *urls(server))

    assert code == 5  # a 404 is final: a --resume fails it the same way (tester9 finding F2)
    summary = json.loads(out)
    assert summary["status"] == "incomplete" and not summary["converged"]
    assert summary["counts"] == {"done": 8, "failed": 1, "skipped": 0, "pending": 0, "running": 0}
    assert summary["failed"] == {"x1": "REST GET /v2/members/missing: 404 not_found: Member missing not found"}
    assert summary["refused"] == {"x1": "404 not_found: Member missing not found"}
    assert summary["next_step"] == "plan_again"
    assert summary["writes"] == 8 and summary["result_file"] == f"{plan}.run-1.result.json"
    assert "Plan sha256:" in err  # the human summary went to stderr


def test_dry_run_prints_requests_without_credentials_and_writes_nothing(tmp_path, server, capsys, monkeypatch):
    plan = write_test_plan(tmp_path)
    secrets = list(sandbox_env(server).values())
    assert run_cli(capsys, "approve", str(plan), "--by", "Ada", *urls(server)[:4])[0] == 0
    code, out, err = run_cli(capsys, "apply", str(plan), "--dry-run", *urls(server))
    assert code == 0 and err == ""
    assert out.startswith("# dry run of plan.json (sha256:") and "# note:" not in out
    assert f"PATCH {server.base_url}/v2/members/m3" in out
    assert not any(s in out for s in secrets)
    assert server.request_counts == {}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["plan.json", "plan.json.approval"]

    for name in ("SIGMA_CLIENT_ID", "SIGMA_CLIENT_SECRET", "SIGMA_SCIM_TOKEN"):
        monkeypatch.delenv(name)
    code, out2, _ = run_cli(capsys, "apply", str(plan), "--dry-run", *urls(server))  # no credential: still renders
    assert code == 0 and out2 == out


def test_a_dry_run_of_a_plan_apply_would_refuse_exits_1(tmp_path, server, capsys):
    """The notes say apply will refuse; the exit status says it too (docs/apply.md)."""
    plan = write_test_plan(tmp_path)
    code, out, err = run_cli(capsys, "apply", str(plan), "--dry-run", *urls(server))
    assert (code, err) == (1, "")
    assert [line for line in out.splitlines() if line.startswith("# note:")] == [
        "# note: this plan is not approved; apply will refuse it until `sigma-migrate approve`"]
    assert f"PATCH {server.base_url}/v2/members/m3" in out  # the requests are still shown
    assert server.request_counts == {}


def test_parallelism_is_bounded_and_resume_continues_a_run(tmp_path, server, capsys):
    plan = write_test_plan(tmp_path)
    run_cli(capsys, "approve", str(plan), "--by", "Ada")
    code, _, err = run_cli(capsys, "apply", str(plan), "--parallelism", "0", *urls(server))
    assert code == 1 and "--parallelism" in err  # a usage error (cli.USAGE_ERROR_EXIT)
    journal = Journal.open(plan, json.loads(plan.read_text())["digest"], [(a.id, a.kind.value) for a in small_plan_actions()])
    journal.close()  # an earlier run that was stopped before its first action
    code, out, _ = run_cli(capsys, "apply", str(plan), "--resume", "--parallelism", "1", *urls(server))
    assert code == 0
    assert ("Resuming: no earlier run of this plan started (no journal, or a journal without a run, at "
            "plan.json.journal.sqlite), so nothing was written; starting from the beginning") in out.splitlines()
    assert any(line.startswith("Apply converged: 8 of 8 done (8 written this run), 0 failed") for line in out.splitlines())


@pytest.mark.parametrize("field, value", [
    ("approver", "Someone Else"),                     # who approved, rewritten by hand
    ("approved_at", "2020-01-01T00:00:00Z"),
    ("history", [{"approver": "Bob", "approved_at": "2020-01-01T00:00:00Z", "digest": "sha256:00",
                  "plan": "plan.json", "tool_version": "0.1.0", "target": None}]),
])
def test_an_approval_edited_by_hand_is_refused_naming_the_field(tmp_path, server, capsys, field, value):
    plan = write_test_plan(tmp_path)
    run_cli(capsys, "approve", str(plan), "--by", "Ada Admin")
    record = json.loads(approval_path(plan).read_text(encoding="utf-8"))
    record[field] = value
    approval_path(plan).write_text(json.dumps(record, indent=2), encoding="utf-8")

    code, out, err = run_cli(capsys, "apply", str(plan), *urls(server))

    assert code == 1
    assert err == (f"sigma-migrate: error: {approval_path(plan)}: field 'record_sha256' does not match the approval "
                   f"record: the file was edited after `approve` wrote it; approve the plan again "
                   f"(`sigma-migrate approve {plan}`)\n")
    assert server.request_counts == {}


def test_an_approval_whose_digest_was_edited_to_another_plan_is_refused(tmp_path, server, capsys):
    # the approval names the plan digest it approved; re-pointing it (and re-sealing by hand) to an edited plan fails
    from planner.execute.approve import SEAL_FIELD, record_seal

    plan = write_test_plan(tmp_path)
    run_cli(capsys, "approve", str(plan), "--by", "Ada Admin")
    record = json.loads(approval_path(plan).read_text(encoding="utf-8"))
    record["digest"] = "sha256:" + "0" * 64
    record[SEAL_FIELD] = record_seal(record)
    approval_path(plan).write_text(json.dumps(record), encoding="utf-8")

    code, out, err = run_cli(capsys, "apply", str(plan), *urls(server))

    assert code == 1
    assert err.startswith(f"sigma-migrate: error: {approval_path(plan)}: approval is for plan sha256:{'0' * 64} "
                          "(field 'digest'), but the plan is sha256:")
    assert server.request_counts == {}


def test_an_approval_without_its_seal_is_refused(tmp_path, server, capsys):
    from planner.execute.approve import SEAL_FIELD

    plan = write_test_plan(tmp_path)
    run_cli(capsys, "approve", str(plan), "--by", "Ada Admin")
    record = json.loads(approval_path(plan).read_text(encoding="utf-8"))
    del record[SEAL_FIELD]
    approval_path(plan).write_text(json.dumps(record), encoding="utf-8")

    code, out, err = run_cli(capsys, "apply", str(plan), *urls(server))

    assert code == 1
    assert err == (f"sigma-migrate: error: {approval_path(plan)}: field 'record_sha256' is missing: the approval was "
                   f"not written by this sigma-migrate's `approve`; approve the plan again "
                   f"(`sigma-migrate approve {plan}`)\n")


def test_approve_without_by_records_the_environment_approver_then_the_os_user(tmp_path, capsys, monkeypatch):
    import getpass

    plan = write_test_plan(tmp_path)
    monkeypatch.setenv("SIGMA_MIGRATE_APPROVER", "  Ada   Admin ")
    code, out, _ = run_cli(capsys, "approve", str(plan))
    assert code == 0 and " by Ada Admin at " in out.splitlines()[0]
    assert json.loads(approval_path(plan).read_text(encoding="utf-8"))["approver"] == "Ada Admin"

    monkeypatch.delenv("SIGMA_MIGRATE_APPROVER")
    code, out, _ = run_cli(capsys, "approve", str(plan))
    assert code == 0
    assert json.loads(approval_path(plan).read_text(encoding="utf-8"))["approver"] == getpass.getuser()
