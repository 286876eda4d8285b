"""Waves and the audit trail of apply (issue 11 items 3 and 7), against the sandbox over HTTP."""

from __future__ import annotations

import json

import pytest

from planner.execute.apply import apply_plan, result_path
from planner.execute.approve import approval_path, approve, read_approval_history
from planner.execute.errors import ApplyRefused
from planner.execute.journal import journal_path, read_runs
from planner.selection import SelectionError

from .execute_support import counting_sandbox, options_for, write_test_plan


@pytest.fixture
def sb():
    server, counter = counting_sandbox()
    yield server, counter
    server.close()


def test_a_wave_runs_its_actions_and_dependencies_then_the_rest_runs_without_reapproval(tmp_path, sb):
    server, counter = sb
    plan = write_test_plan(tmp_path)
    approve(plan, "Ada Admin")

    first = apply_plan(plan, options_for(server, only=("team:Finance",)))
    # t1 (the Finance group link) needs u1, u3 and r1; a1, u2, d1, g1 stay for later
    assert first.wave == "only team:Finance" and first.wave_actions == ("u1", "u3", "r1", "t1")
    assert (first.status, first.counts["done"], first.plan_left, first.writes) == ("converged", 4, 4, 4)
    assert server.state.member_row("m3")["is_archived"] == 0  # d1 was not in the wave

    rest = apply_plan(plan, options_for(server))  # no --resume, no new approval
    assert (rest.mode, rest.status, rest.writes, rest.plan_left) == ("apply", "converged", 4, 0)
    assert server.state.member_row("m3")["is_archived"] == 1
    assert counter.total() == 8 and max(counter.writes.values()) == 1

    _, runs = read_runs(plan)
    assert [(r.run_id, r.mode, r.wave, r.approver, r.status) for r in runs] == [
        (1, "apply", "only team:Finance", "Ada Admin", "converged"), (2, "apply", "", "Ada Admin", "converged")]
    assert runs[0].wave_actions == ("u1", "u3", "r1", "t1")
    # each run keeps its own result file
    one, two = (json.loads(result_path(plan, n).read_text()) for n in (1, 2))
    assert (one["run"], one["wave"], [a["id"] for a in one["actions"]]) == (1, "only team:Finance",
                                                                          ["u1", "u3", "r1", "t1"])
    assert (two["run"], two["wave"], len(two["actions"]), two["plan_left"]) == (2, "", 8, 0)


def test_a_canary_limit_and_a_selector_matching_nothing(tmp_path, sb):
    server, _ = sb
    plan = write_test_plan(tmp_path)
    approve(plan, "Ada Admin")
    with pytest.raises(SelectionError, match=r"^--only email:zed@example.com: matches no action of the plan"):
        apply_plan(plan, options_for(server, only=("email:zed@example.com",)))
    assert not journal_path(plan).exists()  # nothing written
    canary = apply_plan(plan, options_for(server, limit=1))
    assert canary.wave == "limit 1" and canary.status == "converged" and canary.plan_left == 8 - len(canary.wave_actions)


def test_approvals_are_kept_and_an_applied_plan_is_not_approved_again_without_force(tmp_path, sb):
    server, _ = sb
    plan = write_test_plan(tmp_path)
    approve(plan, "Ada Admin")
    approve(plan, "Bob Reviewer")
    assert [a.approver for a in read_approval_history(plan)] == ["Ada Admin", "Bob Reviewer"]
    apply_plan(plan, options_for(server))
    before = approval_path(plan).read_bytes()
    with pytest.raises(ApplyRefused, match=r"was already applied \(1 run\(s\), the last apply converged at .*\); "
                                           r"approving it again needs --force$"):
        approve(plan, "Carol")
    assert approval_path(plan).read_bytes() == before
    approve(plan, "Carol", force=True)
    assert [a.approver for a in read_approval_history(plan)] == ["Ada Admin", "Bob Reviewer", "Carol"]
    document = json.loads(approval_path(plan).read_text())
    assert document["approver"] == "Carol" and [h["approver"] for h in document["history"]] == [
        "Ada Admin", "Bob Reviewer"]


def test_dry_run_of_a_wave_prints_only_its_requests(tmp_path, sb):
    from planner.execute.apply import dry_run_lines

    server, _ = sb
    plan = write_test_plan(tmp_path)
    lines = dry_run_lines(plan, options_for(server, only=("email:o'brien@example.com",)))
    assert "# wave only email:o'brien@example.com: 2 of 8 action(s)" in lines
    assert [line.split(" ")[2] for line in lines if line.startswith(("# 1/", "# 2/"))] == ["u2", "a1"]


def test_the_stale_check_of_a_wave_reads_only_the_objects_of_its_actions(tmp_path, sb):
    """Tester finding 10: a member outside the wave changed since the plan (the IdP deactivated
    them); `apply --only` refused the whole plan as stale. A wave is checked against its own
    objects; the rest of the plan still refuses, naming that member."""
    server, _ = sb
    plan = write_test_plan(tmp_path)
    approve(plan, "Ada Admin")
    server.state.update_member("m2", {"isArchived": True}, actor=None)  # u2 and a1 are about m2

    first = apply_plan(plan, options_for(server, only=("team:Finance",)))
    assert (first.wave_actions, first.status) == (("u1", "u3", "r1", "t1"), "converged")

    with pytest.raises(ApplyRefused, match=r"plan is stale, 1 object\(s\) changed in Sigma since it was made: "
                                           r"member:m2 \(o'brien@example.com\): isArchived False -> True; plan again$"):
        apply_plan(plan, options_for(server))


def progress_lines(stream) -> list[str]:
    """The log lines of :class:`~planner.execute.progress.LogProgress`, timestamps cut."""
    return [line.split(" ", 1)[1] for line in stream.getvalue().splitlines()]


def test_a_wave_after_waves_counts_only_its_own_actions_and_says_no_resume(tmp_path, sb):
    """tester7 NEW-2: a new wave whose dependency an earlier wave did printed ``resume  37 of 66 actions
    already done``, ``[38/66]`` ... ``[79/66]`` and ``66 of 66 done (41 written, 1 already so, 37 done by an
    earlier run)``: every count is over the run's own selection, and a new wave is no resume."""
    import io

    from planner.execute.apply import outcome_lines
    from planner.execute.progress import LogProgress

    server, _ = sb
    plan = write_test_plan(tmp_path)
    approve(plan, "Ada Admin")
    links = apply_plan(plan, options_for(server, only=("kind:scim.link_user",)))
    assert (links.wave_actions, links.status) == (("u1", "u2"), "converged")

    stream, said = io.StringIO(), []
    wave = apply_plan(plan, options_for(server, only=("team:Finance",), parallelism=1),
                      progress=LogProgress(stream), echo=said.append)

    assert (wave.mode, wave.wave_actions, wave.writes) == ("apply", ("u1", "u3", "r1", "t1"), 3)
    assert progress_lines(stream) == [
        "earlier 1 of 4 action(s) of this run done by an earlier run",
        f"done    {'scim.create_user':<22} u3  new@example.com  (written) [2/4]",
        f"done    {'teams.remove_member':<22} r1  Finance  (written) [3/4]",
        f"done    {'scim.link_group':<22} t1  Finance  (written) [4/4]"]
    assert not [line for line in said if "esum" in line]
    assert outcome_lines(wave)[0].startswith(
        "Apply converged: 4 of 4 done (3 written this run, 1 done by an earlier run), 0 failed, 0 skipped in ")


def test_resume_with_no_unfinished_run_says_so_and_runs_its_selection_as_a_new_run(tmp_path, sb):
    """tester7 NEW-2: ``--resume --limit 10`` with no run unfinished said ``Resuming: 159 of 196 action(s)
    still to run`` and ``37 of 12 actions already done``."""
    import io

    from planner.execute.apply import outcome_lines
    from planner.execute.progress import LogProgress

    server, counter = sb
    plan = write_test_plan(tmp_path)
    approve(plan, "Ada Admin")
    apply_plan(plan, options_for(server, only=("team:Finance",)))  # u1, u3, r1, t1

    stream, said = io.StringIO(), []
    again = apply_plan(plan, options_for(server, resume=True, only=("kind:scim.link_user",), parallelism=1),
                       progress=LogProgress(stream), echo=said.append)

    assert (again.mode, again.wave_actions, again.writes, counter.total()) == ("apply", ("u1", "u2"), 1, 5)
    assert [line for line in said if "esum" in line] == [
        "Nothing to resume: no run of this plan is unfinished (the last, run 1 with --only team:Finance, "
        f"converged); applying --only kind:scim.link_user as a new run, as `sigma-migrate apply {plan} --only "
        "kind:scim.link_user` does"]
    assert progress_lines(stream) == [
        "earlier 1 of 2 action(s) of this run done by an earlier run",
        f"done    {'scim.link_user':<22} u2  o'brien@example.com  (written) [2/2]"]
    assert outcome_lines(again)[0].startswith(
        "Apply converged: 2 of 2 done (1 written this run, 1 done by an earlier run), 0 failed, 0 skipped in ")
    assert [r.mode for r in read_runs(plan)[1]] == ["apply", "apply"]
