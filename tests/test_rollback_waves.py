"""Interrupted runs, waves and rollbacks that re-planning, undo and verify understand (issue 10, tester12
findings 12, 2, 1 and 4), on the bundled sample's sandbox over HTTP.

#12: ``apply v1.json --only group:Finance`` stopped by SIGINT with its first writes done, then
``plan --applied v1.json``: the re-plan took over silently, and once it was applied the first run's writes
could be undone by no command (``undo`` refused the unfinished run; its ``--resume`` was stale)."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
from pathlib import Path

import httpx2
import pytest

from planner.execute.approve import approval_path
from planner.execute.journal import journal_path, read_journal, read_reversals
from planner.planfile import read_plan

from .conftest import run_cli_with_environ
from .execute_support import APPLY_TIMEOUT, WriteCounter, journal_states, member_state, sandbox_env
from .sandbox_fixture import sample_sandbox
from .test_apply_resume_signals import HoldWrites, wait_for

REPO = Path(__file__).resolve().parent.parent
SIGMA, OKTA = REPO / "samples/acme/sigma", REPO / "samples/acme/okta"
POLICY = REPO / "samples/acme/policy-okta-reviewed.yaml"


@contextlib.contextmanager
def stop_wave(tmp_path, capsys, monkeypatch, how: signal.Signals, free: tuple[str, ...] = ()):
    """The sandbox after ``apply v1.json --only group:Finance`` was stopped by ``how`` while two writes were in
    flight (Sigma held them), after the writes to the paths of ``free`` were served (and no other: whichever of two
    writes in flight arrives first, :class:`HoldWrites` lets only those through), in ``tmp_path`` with relative paths:
    ``(server, cli)``; ``cli(*argv)`` runs the CLI with the sandbox's credentials (and URLs: ``targets=True``).
    SIGINT lets the two finish (the run ends ``interrupted``); SIGKILL leaves them ``running``. The writes are held
    until the signal was sent, however long a loaded machine takes, and apply waits longer (:data:`APPLY_TIMEOUT`):
    the wave stops where the test says, never after its held writes went through or were sent again."""
    monkeypatch.chdir(tmp_path)
    server = sample_sandbox(SIGMA)
    server.app = hold = HoldWrites(WriteCounter(server.app), free=free)
    server.start()
    urls = ("--rest-base-url", server.base_url, "--scim-base-url", server.scim_base_url)

    def cli(*argv: str, targets: bool = False) -> tuple[int, str, str]:
        return run_cli_with_environ(capsys, monkeypatch, sandbox_env(server), *argv, *(urls if targets else ()))

    try:
        hold.release.set()  # the fetch and plan read freely
        for argv in (("fetch", "--base-url", server.base_url, "--out", "e1", "--policy", str(POLICY),
                      "--no-progress"),
                     ("plan", "--sigma", "e1", "--idp", str(OKTA), "--policy", str(POLICY), "--out", "v1.json"),
                     ("approve", "v1.json", "--by", "T12")):
            code, out, err = cli(*argv)
            assert code == 0, (argv, out, err)
        hold.release.clear()
        env = {**os.environ, **sandbox_env(server), "PYTHONPATH": str(REPO)}
        proc = subprocess.Popen([sys.executable, "-m", "planner", "apply", "v1.json", *urls, "--only", "group:Finance",
                                 "--parallelism", "2", "--backoff-base", "0.01", "--backoff-cap", "0.05",
                                 *APPLY_TIMEOUT],
                                cwd=tmp_path, env=env, text=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        wait_for(lambda: hold.served == len(free) and hold.arrived == len(free) + 2, proc)
        proc.send_signal(how)
        if how == signal.SIGKILL:
            proc.wait(timeout=10)
        hold.release.set()
        _, err = proc.communicate(timeout=300)
        assert proc.returncode == (-signal.SIGKILL if how == signal.SIGKILL else 130), err
        yield server, cli
    finally:
        hold.release.set()
        server.close()


@pytest.fixture
def stopped_wave(tmp_path, capsys, monkeypatch):
    """:func:`stop_wave` by SIGINT, the first two writes in flight: run 1 ``interrupted``, two actions done."""
    with stop_wave(tmp_path, capsys, monkeypatch, signal.SIGINT) as found:
        assert [(r.run_id, r.status) for r in read_journal(Path("v1.json"))[1]] == [(1, "interrupted")]
        yield found


def written_ids(plan: str) -> list[str]:
    """The ids of the actions the journal beside ``plan`` records done and written, sorted."""
    return sorted(r.action_id for r in read_journal(Path(plan))[2].values()
                  if r.state == "done" and r.outcome == "written")


ROBERT = "zSutITtoCUJKFLUHHIQpGKCCb1nmD"  # robert.chen: the wave's members.set_email
RUTH = "3X1tfNuPuim0SwRr6E0QmcNxHghoI"  # ruth.adler: the wave's members.reactivate
FIRST_WRITES = [f"members.reactivate:{RUTH}", f"members.set_email:{ROBERT}"]
FIRST_PATHS = (f"/v2/members/{RUTH}", f"/v2/members/{ROBERT}")
"""The paths of :data:`FIRST_WRITES` (``PATCH /v2/members/{memberId}``), the wave's first two actions in plan order."""


def held_line(plan: str = "v1.json") -> str:
    return (f"applied.unfinished_run:{plan}:1: {plan}: run 1 (--only group:Finance, interrupted) did not finish: 0 "
            "action(s) in flight, 21 not started; this plan would take over from it, and once applied that run could "
            f"be neither finished (its --resume refused as stale) nor undone: finish it with `sigma-migrate apply {plan} "
            f"--resume --only group:Finance`, or roll it back with `sigma-migrate undo {plan}.journal.sqlite --out "
            "undo.json` (approve and apply it), then plan again; or, if its --resume cannot run (refused as stale) or "
            "is not wanted, close it in the policy (applied.closed_runs: [{plan: \""
            f"{read_plan(Path(plan)).digest}\", run: 1}}]): this plan then decides what it left")


UNDO_NOTE = ("; run 1 (--only group:Finance, interrupted) did not finish (0 action(s) in flight, 21 not started): this "
             "undo reverses what it wrote, and once it is applied no apply of v1.json runs again, its --resume included")
RUTH_STAYS = (f"members.reactivate:{RUTH} is not reversed: deactivating again moves the member's documents; plan it "
              "with the policy")


def replan(cli, server, name: str, *applied: str, policy: Path = POLICY) -> tuple[int, str, str]:
    """Fetch Sigma's export again (``e-<name>``) and plan ``<name>.json`` under ``policy`` with ``--applied`` each of
    ``applied``."""
    code, out, err = cli("fetch", "--base-url", server.base_url, "--out", f"e-{name}", "--policy", str(policy),
                         "--no-progress")
    assert code == 0, out + err
    return cli("plan", "--sigma", f"e-{name}", "--idp", str(OKTA), "--policy", str(policy), "--out", f"{name}.json",
               *(w for p in applied for w in ("--applied", p)))


def rolled_back_line(plan: str, undo: str, what: str) -> str:
    """How every refusal about ``plan`` rolled back by run 1 of ``undo`` begins."""
    reversal = read_reversals(journal_path(Path(plan)))[-1]
    return (f"sigma-migrate: error: {plan}: this plan was rolled back by undo plan {undo} ({read_plan(Path(undo)).digest}) "
            f"run 1 (started {reversal.at}), which reversed {what}")


@pytest.mark.slow
def test_a_replan_over_an_interrupted_wave_is_held_until_the_wave_is_finished_or_rolled_back(stopped_wave):
    """#12: ``plan --applied v1.json`` names the unfinished run in one line and holds the re-plan with a blocking
    item (was: silent, 0 blocking); the wave's undo is made (was: refused, 'finish it first') and, applied, rolls the
    wave back: its --resume is refused naming the rollback (was: told to resume), and the re-plan given both is no
    longer held."""
    server, cli = stopped_wave
    assert journal_states(journal_path(Path("v1.json"))) == {"done": 2, "pending": 194}
    assert written_ids("v1.json") == FIRST_WRITES

    code, out, err = replan(cli, server, "v2", "v1.json")
    assert code == 0, out + err
    assert held_line() in out.splitlines()
    v2 = read_plan(Path("v2.json"))
    assert [r.id for r in v2.blocking_items] == ["applied.unfinished_run:v1.json:1"]
    assert v2.blocking_items[0].resolution == (
        "# run 1 of v1.json: finish it with `sigma-migrate apply v1.json --resume --only group:Finance`, or roll it "
        "back with `sigma-migrate undo v1.json.journal.sqlite --out undo.json` (approve and apply it), then plan again "
        "with --applied v1.json (and the undo plan, if rolled back); or close it: this plan decides what it left, and "
        "no apply of v1.json finishes that run later, its --resume included\n"
        f'applied:\n  closed_runs:\n    - {{plan: "{read_plan(Path("v1.json")).digest}", run: 1}}\n')
    code, out, err = cli("approve", "v2.json", "--by", "T12")
    assert code == 1 and "1 blocking review item" in err, out + err

    code, out, err = cli("undo", "v1.json.journal.sqlite", "--out", "undo1.json", targets=True)
    assert code == 0, out + err
    undo1 = read_plan(Path("undo1.json"))
    assert [(a.id, a.after.email) for a in undo1.actions] == [(f"members.set_email:{ROBERT}", "robert.chen@oldacme.example")]
    assert [r.message for r in undo1.review_items] == [RUTH_STAYS]
    assert undo1.summary.text == (
        f"Undo plan: 1 action(s) reversing 2 written action(s) of {read_plan(Path('v1.json')).digest}; 1 not "
        f"reversible (listed as review items){UNDO_NOTE}")
    assert cli("approve", "undo1.json", "--by", "T12")[0] == 0
    code, out, err = cli("apply", "undo1.json", targets=True)
    assert code == 0, out + err
    assert member_state(server, ROBERT)["email"] == "robert.chen@oldacme.example"

    code, out, err = cli("apply", "v1.json", "--resume", "--only", "group:Finance", targets=True)
    assert (code, err.splitlines()[-1]) == (1, rolled_back_line("v1.json", "undo1.json", "1 of its action(s) (1 members.set_email)") + (
        "; applying it again would redo them under its old approval: fetch Sigma's export again, plan and approve again "
            "(a plan of the same export files is this plan again, the same digest, refused too); "
        f"nothing was written; it would redo members.set_email:{ROBERT} (robert.chen@oldacme.example)"))

    code, out, err = replan(cli, server, "v3", "v1.json", "undo1.json")
    assert code == 0, out + err
    v3 = read_plan(Path("v3.json"))
    assert [r.id for r in v3.review_items if r.code == "applied.unfinished_run"] == [] and v3.blocking_items == ()
    assert f"members.set_email:{ROBERT}" in {a.id for a in v3.actions}  # planned anew, under a new approval


@pytest.mark.slow
def test_a_wave_a_replan_was_applied_over_can_still_be_undone_and_says_what_it_cannot_reverse(stopped_wave):
    """#12, the tester's dead end: a re-plan (here without --applied, which nothing forces) applied over the
    interrupted wave; the wave's --resume is stale, and undo refused it ('finish it first'), so its writes could be
    undone by no command. Now its undo is made from Sigma's current state: a write the re-plan changed since is left
    out, named (undo.drifted), and the rest is reversed."""
    server, cli = stopped_wave
    code, out, err = replan(cli, server, "v2")
    assert code == 0, out + err
    assert cli("approve", "v2.json", "--by", "T12")[0] == 0
    code, out, err = cli("apply", "v2.json", targets=True)
    assert code == 0, out + err

    code, out, err = cli("undo", "v1.json.journal.sqlite", "--out", "undo1.json", targets=True)
    assert code == 0, out + err
    undo1 = read_plan(Path("undo1.json"))
    assert undo1.actions == ()
    assert undo1.summary.text == (
        f"Undo plan: 0 action(s) reversing 2 written action(s) of {read_plan(Path('v1.json')).digest}; 1 not "
        f"reversible, 1 object(s) changed in Sigma since the apply (listed as review items){UNDO_NOTE}")
    assert [(r.id, r.message) for r in undo1.review_items] == [
        (f"undo.drifted:member:{ROBERT}",
         f"member:{ROBERT} (robert.chen@acme.example): externalId None -> '00uSHzw2aLzWIWAbLNwk': changed in Sigma "
         f"since the apply, so members.set_email:{ROBERT} is not reversed (the undo would act on a state nobody "
         "reviewed); plan it again from the current state"),
        (f"undo.irreversible:members.reactivate:{RUTH}", RUTH_STAYS)]

    # tester13 #2: an undo that reverses nothing is refused by approve and apply (--auto-approve too), and no rollback
    # is recorded (was: approved, applied, and 'v1.json: this plan was rolled back ..., which reversed 0 of its
    # action(s) ()' refused every later apply of v1.json)
    refused = (f"sigma-migrate: error: undo1.json: this undo plan has no action: every write of the plan it reverses "
               f"({read_plan(Path('v1.json')).digest}) is left out as one of its 2 review item(s) (changed in Sigma "
               "since the apply, or not reversible), so there is nothing to roll back; applying it would only mark "
               "that plan rolled back, refusing every later apply of it; read them (`sigma-migrate show undo1.json`), "
               "then fetch Sigma's export and plan again; ")
    code, out, err = cli("approve", "undo1.json", "--by", "T12")
    assert (code, err.splitlines()[-1]) == (1, refused + "nothing was approved"), out + err
    code, out, err = cli("apply", "undo1.json", "--auto-approve", targets=True)
    assert (code, err.splitlines()[-1]) == (1, refused + "nothing was written"), out + err
    assert (read_reversals(journal_path(Path("v1.json"))), approval_path("undo1.json").exists()) == ([], False)


@pytest.fixture
def rolled_back(tmp_path, capsys, monkeypatch):
    """The bundled sample applied whole (``v1.json``), then rolled back by its applied undo plan (``undo.json``), in
    ``tmp_path`` with relative paths: ``(server, cli)`` as :func:`stopped_wave`'s."""
    monkeypatch.chdir(tmp_path)
    server = sample_sandbox(SIGMA)
    server.start()
    urls = ("--rest-base-url", server.base_url, "--scim-base-url", server.scim_base_url)

    def cli(*argv: str, targets: bool = False) -> tuple[int, str, str]:
        return run_cli_with_environ(capsys, monkeypatch, sandbox_env(server), *argv, *(urls if targets else ()))

    try:
        for argv, targets in ((("fetch", "--base-url", server.base_url, "--out", "e1", "--policy", str(POLICY),
                                "--no-progress"), False),
                              (("plan", "--sigma", "e1", "--idp", str(OKTA), "--policy", str(POLICY), "--out",
                                "v1.json"), False),
                              (("approve", "v1.json", "--by", "T12"), False), (("apply", "v1.json"), True),
                              (("undo", "v1.json.journal.sqlite", "--out", "undo.json"), True),
                              (("approve", "undo.json", "--by", "T12"), False), (("apply", "undo.json"), True)):
            code, out, err = cli(*argv, targets=targets)
            assert code == 0, (argv, out, err)
        yield server, cli
    finally:
        server.close()


REVERSED = ("32 of its action(s) (8 scim.link_user, 12 scim.set_group_members, 10 members.deactivate, "
            "2 members.disable_guest)")
FINANCE_PUSH = "scim.set_group_members:00gSUDsbhMqeLxqzTHLU"


@pytest.mark.slow
def test_verify_of_a_rolled_back_plan_names_the_undo_run_and_points_to_verifying_the_undo_plan(rolled_back):
    """#2: ``verify v1.json`` after its undo was applied said DRIFTED on each of the 32 reversed objects (exit 2);
    now it refuses in one line naming the undo run and the command that checks the rollback (exit 1, nothing read),
    and that command finds Sigma as the undo left it."""
    server, cli = rolled_back
    code, out, err = cli("verify", "v1.json", targets=True)
    assert (code, out) == (1, "")
    assert err.splitlines() == [rolled_back_line("v1.json", "undo.json", REVERSED) + (
        "; Sigma is as that undo left it, not as this plan did: check it with `sigma-migrate verify undo.json`; "
        "nothing was read")]
    code, out, err = cli("verify", "undo.json", targets=True)
    assert code == 0, out + err
    assert out.splitlines()[-1] == "Verify: converged. 32 of 32 object(s) converged, 0 drifted, 0 missing"


@pytest.mark.slow
def test_an_undo_of_an_undo_plan_is_refused_in_one_line(rolled_back):
    """#4: an undo of the undo plan made a plan redoing part of v1.json (its account types and pushes) under no
    approval of the state after the rollback; now it is refused: only a new plan settles what Sigma holds."""
    server, cli = rolled_back
    code, out, err = cli("undo", "undo.json.journal.sqlite", "--out", "undo-undo.json", targets=True)
    assert (code, out) == (1, "")
    assert err.splitlines() == [
        f"sigma-migrate: error: undo.json.journal.sqlite: undo.json is an undo plan (it reverses "
        f"{read_plan(Path('v1.json')).digest}): an undo of it would redo that plan's writes under the approval its "
        "rollback ended; fetch Sigma's export and plan again (`sigma-migrate plan ... --applied <that plan> --applied "
        "undo.json`), then approve; nothing was written"]
    assert not Path("undo-undo.json").exists()


@pytest.mark.slow
def test_a_replan_names_the_undo_run_that_put_a_team_back_instead_of_a_stale_export(rolled_back):
    """#1: the re-plan given both plans called each team the undo put back 'stale' ('the export is older, so it is
    stale for them; ... export the IdP again and plan again', which changes nothing); now the item names the undo run
    that set SCIM's members, and offers both answers."""
    server, cli = rolled_back
    code, out, err = replan(cli, server, "v2", "v1.json", "undo.json")
    assert code == 0, out + err
    v2 = read_plan(Path("v2.json"))
    teams = [r for r in v2.review_items if r.code == "scim.state_conflict" and r.subject.team_id]
    assert len(teams) == 12 and not [r for r in teams if "stale" in r.message or "export the IdP again" in r.message]
    finance = next(r for r in teams if r.subject.name == "Finance")
    pushed = read_journal(Path("undo.json"))[2][FINANCE_PUSH].finished_at
    assert (finance.id, finance.blocking) == (f"scim.state_conflict:{FINANCE_PUSH}", True)
    assert finance.message == (
        "team 'Finance': Sigma's SCIM group and the IdP export's group 'Finance' disagree on 4 member(s) SCIM "
        "provisioned: amelia.clarke@acme.example (not in SCIM's group, in the export's); jonas.weber@acme.example "
        "(not in SCIM's group, in the export's); oscar.reyes@acme.example (in SCIM's group, not in the export's); "
        "ruth.adler@acme.example (not in SCIM's group, in the export's); SCIM last changed the group "
        f"{finance.evidence.scim_last_modified}, after the export's group last changed its members "
        f"2025-04-25T13:25:41Z: SCIM's group members were set by run 1 of undo plan undo.json, {pushed} (the undo put "
        "the team back to the members it had before), not by the IdP; the plan keeps SCIM's membership and does not "
        "push the export's over it; exporting the IdP again changes nothing: keep them (scim_state) or push the "
        "export's (idp_export)")
    assert "idp_export: push the export's membership again" in finance.resolution


@pytest.mark.slow
def test_undo_of_a_killed_wave_reverses_what_it_wrote_and_names_the_actions_left_in_flight(tmp_path, capsys,
                                                                                         monkeypatch):
    """#12: kill -9 of the wave after two writes, two more in flight (journal ``running``): the undo reverses the two
    done and lists the two in flight, whose writes the journal does not record (was: refused, 'finish it first').
    Sigma serves the two first actions' writes by their paths, not the first two to arrive (leftovers15: under load
    the action after the first done one sometimes wrote before the second, and was served in its place)."""
    with stop_wave(tmp_path, capsys, monkeypatch, signal.SIGKILL, free=FIRST_PATHS) as (server, cli):
        rows = read_journal(Path("v1.json"))[2]
        running = sorted(aid for aid, r in rows.items() if r.state == "running")
        assert (written_ids("v1.json"), len(running)) == (FIRST_WRITES, 2)
        code, out, err = cli("undo", "v1.json.journal.sqlite", "--out", "undo1.json", targets=True)
        assert code == 0, out + err
        undo1 = read_plan(Path("undo1.json"))
        assert [a.id for a in undo1.actions] == [f"members.set_email:{ROBERT}"]
        assert [(r.id, r.message) for r in undo1.review_items if r.id.endswith(":in_flight")] == [
            (f"undo.irreversible:{aid}:in_flight",
             f"{aid} is not reversed: it was in flight when run 1 (--only group:Finance, killed) stopped, and the "
             "journal does not record whether it changed Sigma; check its target in Sigma, then fetch Sigma's export "
             "and plan again") for aid in running]
        assert undo1.summary.text.endswith(
            "; run 1 (--only group:Finance, killed) did not finish (2 action(s) in flight, 19 not started): this undo "
            "reverses what it wrote, and once it is applied no apply of v1.json runs again, its --resume included")


@pytest.mark.slow
def test_a_team_whose_scim_group_changed_since_the_undo_is_not_attributed_to_it(rolled_back):
    """#1, the other side: after the undo, someone adds a member to Finance's SCIM group; SCIM's group no longer
    lists what the undo run sent, so the item does not name the run (the dates decide, as without --applied)."""
    server, cli = rolled_back
    group = next(g for g in httpx2.get(f"{server.scim_base_url}/Groups", headers=server.scim_headers(),
                                       params={"count": 100}).json()["Resources"] if g["displayName"] == "Finance")
    amelia = httpx2.get(f"{server.scim_base_url}/Users", headers=server.scim_headers(),
                        params={"filter": 'userName eq "amelia.clarke@acme.example"'}).json()["Resources"][0]
    httpx2.patch(f"{server.scim_base_url}/Groups/{group['id']}", headers=server.scim_headers(), json={
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [{"op": "add", "path": "members", "value": [{"value": amelia["id"]}]}]}).raise_for_status()
    code, out, err = replan(cli, server, "v2", "v1.json", "undo.json")
    assert code == 0, out + err
    item = next(r for r in read_plan(Path("v2.json")).review_items if r.id == f"scim.state_conflict:{FINANCE_PUSH}")
    assert "set by run 1 of undo plan" not in item.message
    assert item.message.endswith("the export is older, so it is stale for them; the plan keeps SCIM's membership and "
                                 "does not push the export's over it; export the IdP again and plan again")


@pytest.mark.slow
def test_the_undo_of_several_waves_names_every_run_it_reverses(stopped_wave):
    """tester14b finding 13: an undo reverses every run of the journal, the finished waves' writes with the
    unfinished one's, but its summary named only the unfinished run and read as if the others were kept. It now
    names each run that wrote, with its selection and how it ended (one run that wrote: no such clause)."""
    server, cli = stopped_wave
    assert cli("apply", "v1.json", "--resume", "--only", "group:Finance", targets=True)[0] == 0
    code, out, err = cli("apply", "v1.json", targets=True)
    assert code == 0, out + err
    assert [(r.run_id, r.status) for r in read_journal(Path("v1.json"))[1]] == [
        (1, "interrupted"), (2, "converged"), (3, "converged")]

    code, out, err = cli("undo", "v1.json.journal.sqlite", "--out", "undo1.json", targets=True)
    assert code == 0, out + err
    undo1 = read_plan(Path("undo1.json"))
    assert undo1.summary.text == (
        f"Undo plan: 32 action(s) reversing 185 written action(s) of {read_plan(Path('v1.json')).digest}; 173 not "
        "reversible (listed as review items); it reverses every run that wrote: run 1 (--only group:Finance, interrupted), "
        "run 2 (--only group:Finance, converged) and run 3 (the whole plan, converged)")
