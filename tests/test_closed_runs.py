"""An interrupted wave whose --resume went stale is closed in the policy (tester14b #1).

v1's wave ``--only group:Finance`` is interrupted with two actions done; the IdP then changes helen.ortiz's account
type (a push the wave's leftover would contradict). Was a deadlock: ``apply --resume`` refused as stale ("plan
again"), the re-plan held by ``applied.unfinished_run`` until the run was resumed or undone. Now the stale refusal
and the item name the way out, ``applied.closed_runs``; the re-plan with the entry holds no item for the run, the
closure is recorded in v1's journal, and every later apply of v1 refuses naming the entry.
"""

from __future__ import annotations

import signal
from pathlib import Path

import pytest

from planner.execute.journal import journal_path, read_closures
from planner.planfile import read_plan

from .test_rollback_waves import POLICY, replan, stop_wave

HELEN = "QK9fJMB9nEBWpYLdl9yg76p7wxYSm"
"""helen.ortiz@acme.example: Admin in Sigma, in group Finance; her link is one of the wave's actions left."""


@pytest.mark.slow
def test_a_wave_whose_resume_went_stale_is_closed_in_the_policy_and_the_replan_takes_it_over(tmp_path, capsys,
                                                                                           monkeypatch):
    with stop_wave(tmp_path, capsys, monkeypatch, signal.SIGINT) as (server, cli):
        the_closed_run(server, cli)


def the_closed_run(server, cli) -> None:
    """The steps of the test above, on the sandbox after v1's wave was interrupted (run 1, two actions done)."""
    digest = read_plan(Path("v1.json")).digest
    entry = f'applied.closed_runs: [{{plan: "{digest}", run: 1}}]'
    server.state.update_member(HELEN, {"memberType": "Build"}, actor=None)  # what the IdP's push changes

    # the resume is stale; its refusal names the way out
    code, out, err = cli("apply", "v1.json", "--resume", "--only", "group:Finance", targets=True)
    assert code == 1
    assert err.splitlines()[-1].startswith("sigma-migrate: error: v1.json: plan is stale, 1 object(s) changed")
    assert err.splitlines()[-1].endswith(
        "; plan again: `sigma-migrate plan ... --applied v1.json` with run 1 closed in the policy, "
        f"{entry} (this --resume cannot finish it; the re-plan decides what it left)")

    # the re-plan without the entry is held, and its item names the entry and gives it as its snippet
    code, out, err = replan(cli, server, "v2", "v1.json")
    assert code == 0, out + err
    (held,) = [r for r in read_plan(Path("v2.json")).blocking_items if r.code == "applied.unfinished_run"]
    assert held.message.endswith(
        "then plan again; or, if its --resume cannot run (refused as stale) or is not wanted, close it in the policy "
        f"({entry}): this plan then decides what it left")
    assert held.resolution == (
        "# run 1 of v1.json: finish it with `sigma-migrate apply v1.json --resume --only group:Finance`, or roll it "
        "back with `sigma-migrate undo v1.json.journal.sqlite --out undo.json` (approve and apply it), then plan again "
        "with --applied v1.json (and the undo plan, if rolled back); or close it: this plan decides what it left, and "
        "no apply of v1.json finishes that run later, its --resume included\n"
        f'applied:\n  closed_runs:\n    - {{plan: "{digest}", run: 1}}\n')
    assert read_closures(journal_path(Path("v1.json"))) == {}  # nothing closed by a plan without the entry

    # the snippet pasted (and an entry closing a run of no plan given): the run is closed, the item gone
    closing = Path("closing.yaml")
    closing.write_text(POLICY.read_text(encoding="utf-8") + held.resolution
                       + f"    - {{plan: {digest}, run: 7}}\n", encoding="utf-8")
    lines = closing.read_text(encoding="utf-8").splitlines()
    line = lines.index(f'    - {{plan: "{digest}", run: 1}}') + 1
    code, out, err = replan(cli, server, "v3", "v1.json", policy=closing)
    assert code == 0, out + err
    v3 = read_plan(Path("v3.json"))
    assert [r.id for r in v3.review_items if r.code == "applied.unfinished_run"] == []
    assert [r.id for r in v3.review_items if r.id.startswith("policy.unused_entry:applied")] == [
        "policy.unused_entry:applied.closed_runs[1]"]  # run 7: no such run
    assert f"scim.link_user:{HELEN}" in {a.id for a in v3.actions}  # what the run left, decided anew
    (closure,) = read_closures(journal_path(Path("v1.json"))).values()
    said = f"the applied.closed_runs entry {{plan: {digest}, run: 1}} of closing.yaml:{line}:7"
    assert (closure.run_id, closure.entry) == (1, said)
    # the journal v3 records is the journal with the closure (diff reads it again unchanged)
    code, out, err = cli("diff", "v2.json", "v3.json")
    assert code == 2 and "journals_unread" not in out and "changed since" not in out, out + err

    # no apply of v1 finishes the closed run: its --resume, and any other wave, refuse naming the entry
    refusal = (f"sigma-migrate: error: v1.json: run 1 (--only group:Finance, interrupted) did not finish: 0 action(s) "
               f"in flight, 21 not started; it was closed by {said} ({closure.at}): the re-plan given --applied "
               "v1.json decides what it left, so no apply of v1.json finishes it, its --resume included: apply the "
               "re-plan; nothing was written")
    for argv in (("--resume", "--only", "group:Finance"), ("--only", "group:Finance"), ()):
        code, out, err = cli("apply", "v1.json", *argv, targets=True)
        assert (argv, code, err.splitlines()[-1]) == (argv, 1, refusal)
    # verify no longer offers the refused --resume
    code, out, err = cli("verify", "v1.json", targets=True)
    assert code != 3 and "--resume" not in out, out + err

    # a later re-plan without the entry: the run stays closed (its journal says so), no item, no unused entry
    code, out, err = replan(cli, server, "v4", "v1.json")
    assert code == 0, out + err
    assert [r.id for r in read_plan(Path("v4.json")).review_items if r.code == "applied.unfinished_run"] == []
