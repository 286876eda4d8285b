"""Apply's verification under server faults (tester4 finding 1): a read that fails is retried like a
write; a read still failing after the retries is "could not verify", never "not as planned", and
the action it checks stays ``done`` in the journal.

Real sandbox on 127.0.0.1; its faults are switched on when apply says ``Verifying``, so the run's
writes are clean and only the verification reads meet them.
"""

from __future__ import annotations

import json
from pathlib import Path

import httpx2

from planner.execute.apply import EXIT_UNVERIFIED, apply_plan, outcome_lines
from planner.execute.approve import approve
from planner.execute.journal import read_journal
from planner.execute.retry import RetryPolicy
from planner.execute.verify_plan import verify_lines, verify_plan
from planner.sandbox.server import SandboxServer

from .execute_support import counting_sandbox, options_for, small_plan_actions, write_test_plan

GUEST_READ = "GET /v2/members/{memberId}"


def guest_plan(tmp_path):
    """One action: disable the guest m4 (REST PATCH, then verified by GET /v2/members/m4)."""
    g1 = next(a for a in small_plan_actions() if a.id == "g1")
    plan = write_test_plan(tmp_path, (g1,))
    approve(plan, "Ada Admin")
    return plan


def on_verifying(switch):
    """An ``echo`` for apply that calls ``switch()`` when apply starts verifying."""
    def echo(line: str) -> None:
        if line.startswith("Verifying:"):
            switch()
    return echo


def fill_rate_window(server: SandboxServer) -> None:
    """Allow one request a second from now, and spend it (a real read by someone else): the next
    request within the second is answered 429 with ``Retry-After: 1``."""
    server.faults.set(rate=1)
    answer = httpx2.get(f"{server.base_url}/v2/whoami", headers=server.rest_headers())
    assert answer.status_code == 200


def test_a_429_on_a_verification_read_is_retried_after_retry_after_and_the_run_converges(tmp_path):
    server, _ = counting_sandbox()
    try:
        plan = guest_plan(tmp_path)
        report = apply_plan(plan, options_for(server), echo=on_verifying(lambda: fill_rate_window(server)))
    finally:
        server.close()

    assert (report.status, report.exit_code) == ("converged", 0)
    assert server.status_counts[(GUEST_READ, 429)] == 1  # the read met the limit once ...
    assert report.verification.counts == {"objects": 1, "converged": 1, "not_converged": 0, "unverified": 0}
    assert report.journal_rows["g1"].state == "done"


def test_a_verification_read_failing_every_retry_is_could_not_verify_and_the_action_stays_done(tmp_path):
    server, _ = counting_sandbox()
    try:
        plan = guest_plan(tmp_path)
        retry = RetryPolicy(max_attempts=3, backoff_base=0.01, backoff_cap=0.02)
        report = apply_plan(plan, options_for(server, retry=retry, write_html=True),
                            echo=on_verifying(lambda: (server.faults.reset_counts(),
                                                       server.faults.set(error_ratio=1.0, seed=3))))
        reads = {s: n for (e, s), n in server.status_counts.items() if e == GUEST_READ}
        server.faults.clear()

        assert reads == {503: 3}  # each of the 3 tries failed (seed 3 draws 503 thrice)
        assert (report.status, report.exit_code) == ("unverified", EXIT_UNVERIFIED) == ("unverified", 4)
        assert report.results["g1"].state == "done" and report.results["g1"].outcome == "written"
        _, _, rows = read_journal(plan)
        assert (rows["g1"].state, rows["g1"].error) == ("done", None)  # the journal keeps the write done
        assert report.verification.counts == {"objects": 1, "converged": 0, "not_converged": 1, "unverified": 1}
        [obj] = report.verification.objects
        assert obj.state == "unverified"
        error = "REST GET /v2/members/m4: 503 internal_error: Injected server error (after 3 tries)"
        lines = outcome_lines(report)
        assert lines[0].startswith("Apply unverified: 1 of 1 done (1 written this run), 0 failed, 0 skipped in ")
        assert lines[1:4] == [
            "Verification: 0 of 1 objects converged to the plan",
            f"  could not verify  member:m4 (guest@partner.example): members.disable_guest: cannot read: {error}",
            f"Could not verify 1 object(s): {error}; run `sigma-migrate verify {plan}` later",
        ]
        assert not any("--resume" in line or "not as planned" in line for line in lines)
        document = json.loads(Path(report.result_file).read_text())
        assert (document["status"], document["actions"][0]["state"]) == ("unverified", "done")
        assert document["verification"]["objects"][0]["state"] == "unverified"
        page = Path(report.html_file).read_text()
        assert "Every action is done, but 1 object(s) could not be read to verify them" in page
        assert f"could not verify (not read): members.disable_guest: cannot read: {error}" in page

        found = verify_plan(plan, options_for(server))  # later, the API answers again: verify says converged
        assert (found.exit_code, verify_lines(found)[-1]) == (
            0, "Verify: converged. 1 of 1 object(s) converged, 0 drifted, 0 missing")
    finally:
        server.close()



def test_verify_whose_reads_fail_every_retry_says_could_not_verify_exit_4_never_drift(tmp_path):
    server, _ = counting_sandbox()
    try:
        plan = guest_plan(tmp_path)
        assert apply_plan(plan, options_for(server)).status == "converged"
        retry = RetryPolicy(max_attempts=3, backoff_base=0.01, backoff_cap=0.02)
        found = verify_plan(plan, options_for(server, retry=retry),
                            echo=on_verifying(lambda: server.faults.set(error_ratio=1.0, seed=3)))
    finally:
        server.close()
    assert (found.exit_code, found.converged, found.drifted) == (4, False, ())
    assert found.verdict == "COULD NOT VERIFY: 1 object(s) could not be read"
    error = "REST GET /v2/members/m4: 503 internal_error: Injected server error (after 3 tries)"
    assert verify_lines(found) == [
        f"  unverified member:m4 (guest@partner.example): members.disable_guest: cannot read: {error}",
        "Wave (whole plan) (run 1): COULD NOT VERIFY: 1 object(s) could not be read (1 action(s) checked)",
        "Verify: COULD NOT VERIFY: 1 object(s) could not be read. 0 of 1 object(s) converged, 0 drifted, "
        "0 missing, 1 could not be read",
        f"Could not verify 1 object(s): {error}; run `sigma-migrate verify {plan}` later",
    ]
    assert found.to_dict()["counts"]["unverified"] == 1
