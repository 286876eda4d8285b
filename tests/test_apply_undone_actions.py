"""What earlier runs did stays true (tester7 NEW-5): an action the journal records done is trusted by a
``--resume`` or a later wave only while Sigma still shows its result.

The tester's sequence on the bundled sample (okta policy): ``apply plan.json --only group:Finance``
stopped by Ctrl-C after robert.chen's ``members.set_email`` (oldacme -> acme) and before his
``scim.link_user``; ``undo`` of that journal was accepted, its plan reversed the set_email, and the
``--resume`` then linked with ``userName`` robert.chen@acme.example, which no member held any more:
Sigma made a second account, and every later run failed 409. Now ``undo`` refuses while that run is
unfinished, and every apply refuses (one line, nothing sent) when a done action it would build on is
no longer so in Sigma, whether an undo plan or a hand reverted it.
"""

from __future__ import annotations

import json
from pathlib import Path

import httpx2
import pytest

from planner.execute.apply import apply_plan
from planner.execute.errors import ApplyInterrupted
from planner.execute.journal import journal_path, read_journal, read_reversals
from planner.execute.runner import NullProgress
from planner.execute.stale import PlannedEffects, planned_effects, undone_on
from planner.model import ActionKind
from planner.planfile import read_plan, write_plan
from planner.planning import plan_from_paths

from .conftest import run_cli_with_environ
from .execute_support import GROUP_FINANCE, WriteCounter, act, link, options_for, sandbox_env
from .sandbox_fixture import sample_sandbox

REPO = Path(__file__).resolve().parent.parent
SIGMA, OKTA, POLICY = REPO / "samples/acme/sigma", REPO / "samples/acme/okta", REPO / "policies/examples/okta.yaml"
ROBERT = "zSutITtoCUJKFLUHHIQpGKCCb1nmD"
SET_EMAIL, LINK = f"members.set_email:{ROBERT}", f"scim.link_user:{ROBERT}"
OLD, NEW = "robert.chen@oldacme.example", "robert.chen@acme.example"


class StopAfter(NullProgress):
    """A progress sink that presses Ctrl-C (raises :class:`KeyboardInterrupt` in apply's main thread, as
    the SIGINT handler does) once ``action_id`` has finished and been journaled."""

    def __init__(self, action_id: str):
        self.action_id = action_id

    def update(self, action, result):
        if action.id == self.action_id:
            raise KeyboardInterrupt


class RefuseUser:
    """WSGI middleware: ``POST /scim/v2/Users`` with ``userName`` ``user_name`` answers 503 while ``on`` (the
    action fails once its tries run out; a later run may not meet it: ``--resume`` is the advice)."""

    def __init__(self, app, user_name: str):
        self.app, self.user_name, self.on = app, user_name, True

    def __call__(self, environ, start_response):
        if self.on and environ["REQUEST_METHOD"] == "POST" and environ.get("PATH_INFO", "").endswith("/Users"):
            import io

            body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
            environ["wsgi.input"] = io.BytesIO(body)
            if json.loads(body or b"{}").get("userName") == self.user_name:
                start_response("503 Service Unavailable", [("Content-Type", "application/scim+json")])
                return [b'{"schemas": ["urn:ietf:params:scim:api:messages:2.0:Error"], "status": "503", '
                        b'"detail": "unavailable in the test"}']
        return self.app(environ, start_response)


@pytest.fixture
def finance(tmp_path):
    """The sample organization's sandbox (writes counted; robert.chen's link refusable) and its okta plan,
    approved for it: ``(server, counter, refuse, plan_path, urls, env)``."""
    plan, _ = plan_from_paths(str(SIGMA), [str(OKTA)], str(POLICY))
    path = tmp_path / "plan.json"
    write_plan(plan, path)
    server = sample_sandbox(SIGMA)
    counter = WriteCounter(server.app)
    server.app = refuse = RefuseUser(counter, NEW)
    refuse.on = False
    server.start()
    try:
        urls = ["--rest-base-url", server.base_url, "--scim-base-url", server.scim_base_url]
        yield server, counter, refuse, path, urls, sandbox_env(server)
    finally:
        server.close()


def roberts(server) -> list[tuple[str, str]]:
    """``(memberId, email)`` of every member whose email is robert.chen's, old or new (GET /v2/members)."""
    answer = httpx2.get(f"{server.base_url}/v2/members", headers=server.rest_headers(), params={"limit": 1000})
    answer.raise_for_status()
    return sorted((m["memberId"], m["email"]) for m in answer.json()["entries"] if m["email"] in (OLD, NEW))


def set_email_by_hand(server, email: str) -> None:
    httpx2.patch(f"{server.base_url}/v2/members/{ROBERT}", headers=server.rest_headers(),
                 json={"email": email}).raise_for_status()


ROBERT_UNDONE = (f"{SET_EMAIL} (members.set_email) on member:{ROBERT} ({OLD}): email is '{OLD}', the action set "
                 f"'{NEW}'")


def undone_line(plan: Path, *undone: str) -> str:
    return (f"sigma-migrate: error: {plan}: {len(undone)} action(s) an earlier run of this plan did are no longer so "
            "in Sigma (undone since: an undo plan, or by hand; counted: the done actions whose member field or "
            "team membership this check compares, where verify counts every object the done actions touch): "
            f"{'; '.join(undone)}; this plan would go on from a "
            "state it no longer finds: fetch, plan again, review and approve the new plan; nothing was written")


def test_undo_of_an_interrupted_wave_reverses_what_it_wrote_and_a_hand_reverted_set_email_refuses_its_resume(
        tmp_path, finance, capsys, monkeypatch):
    """Undo of the interrupted wave makes its undo plan (was refused: 'finish it first', tester7 NEW-5; tester12 #12:
    after a re-plan was applied over the wave, neither its --resume nor undo could act): once applied, that undo
    records its run in this plan's journal and every apply of the plan refuses (test_rollback_waves.py). A reversal
    by hand is not recorded: the resume's check of what earlier runs did refuses it instead."""
    server, counter, _, plan, urls, env = finance
    with pytest.raises(ApplyInterrupted) as stopped:
        apply_plan(plan, options_for(server, auto_approve=True, only=("group:Finance",), parallelism=1),
                   progress=StopAfter(SET_EMAIL))
    assert (stopped.value.exit_code, str(stopped.value)) == (
        130, f"interrupted; run `sigma-migrate apply {plan} --resume --only group:Finance` to continue")
    rows = read_journal(plan)[2]
    assert (rows[SET_EMAIL].state, rows[LINK].state) == ("done", "pending")
    assert roberts(server) == [(ROBERT, NEW)]
    writes = counter.total()

    code, out, err = run_cli_with_environ(capsys, monkeypatch, env, "undo", str(journal_path(plan)),
                                          "--out", str(tmp_path / "undo.json"), *urls)
    assert code == 0, out + err
    undo = read_plan(tmp_path / "undo.json")
    assert [(a.id, a.after.email) for a in undo.actions] == [(SET_EMAIL, OLD)]
    assert undo.summary.text.endswith(
        f"; run 1 (--only group:Finance, interrupted) did not finish (0 action(s) in flight, 21 not started): this "
        f"undo reverses what it wrote, and once it is applied no apply of {plan} runs again, its --resume included")
    assert counter.total() == writes  # undo reads Sigma, writes nothing

    set_email_by_hand(server, OLD)  # what the undo plan did: the address is robert's old one again
    code, out, err = run_cli_with_environ(capsys, monkeypatch, env, "apply", str(plan), "--auto-approve",
                                          "--resume", "--only", "group:Finance", *urls)
    assert code == 1, out + err
    assert err.splitlines() == [undone_line(plan, ROBERT_UNDONE)]
    assert counter.total() == writes + 1  # the hand's PATCH only: apply sent nothing
    assert roberts(server) == [(ROBERT, OLD)]  # no second account
    assert [r.status for r in read_journal(plan)[1]] == ["interrupted"]


def test_an_undo_plan_applied_after_an_incomplete_wave_refuses_the_wave_s_resume_and_the_next_run(
        tmp_path, finance, capsys, monkeypatch):
    """An incomplete run (a failure, reported) may be undone; what the undo reversed is then no longer
    done in Sigma, and neither its ``--resume`` nor a new run of the wave builds on it: the applied undo
    plan recorded its run in this plan's journal, and every apply of the plan refuses naming it (tester11
    finding 10; a reversal by hand is :func:`undone_on`'s, the test above)."""
    server, counter, refuse, plan, urls, env = finance
    refuse.on = True  # robert's link is refused: the wave ends incomplete, his set_email done
    code, out, err = run_cli_with_environ(capsys, monkeypatch, env, "apply", str(plan), "--auto-approve",
                                          "--only", "group:Finance", "--backoff-base", "0.01", "--backoff-cap",
                                          "0.05", *urls)
    assert code == 3, out + err
    assert out.splitlines()[-1] == f"Continue with: sigma-migrate apply {plan} --resume --only group:Finance"
    rows = read_journal(plan)[2]
    assert (rows[SET_EMAIL].state, rows[LINK].state) == ("done", "failed")
    refuse.on = False

    undo = tmp_path / "undo.json"
    code, out, err = run_cli_with_environ(capsys, monkeypatch, env, "undo", str(journal_path(plan)),
                                          "--out", str(undo), *urls)
    assert code == 0, err
    reversal = [a for a in json.loads(undo.read_text())["actions"] if a["kind"] == "members.set_email"]
    assert [(a["id"], a["after"]["email"]) for a in reversal] == [(SET_EMAIL, OLD)]
    code, out, err = run_cli_with_environ(capsys, monkeypatch, env, "apply", str(undo), "--auto-approve", *urls)
    assert code == 0, out + err
    assert roberts(server) == [(ROBERT, OLD)]
    writes = counter.total()

    (reversal,) = read_reversals(journal_path(plan))  # the undo plan's run, recorded in this plan's journal
    for extra in (("--resume", "--only", "group:Finance"), ("--only", "group:Finance"), ("--resume",)):
        code, out, err = run_cli_with_environ(capsys, monkeypatch, env, "apply", str(plan), "--auto-approve",
                                              *extra, *urls)
        assert code == 1, (extra, out, err)
        # the rollback is said first, in every mode (was: a bare --resume was told to repeat the wave's selection)
        assert err.splitlines() == [  # the undo plan reversed two links' account types too
            f"sigma-migrate: error: {plan}: this plan was rolled back by undo plan {undo} ({read_plan(undo).digest}) "
            f"run 1 (started {reversal.at}), which reversed 3 of its action(s) (1 members.set_email, 2 scim.link_user); "
            "applying it again would redo them under its old approval: fetch Sigma's export again, plan and approve again "
            "(a plan of the same export files is this plan again, the same digest, refused too); "
            f"nothing was written; it would redo {SET_EMAIL} ({OLD}), "
            "scim.link_user:QK9fJMB9nEBWpYLdl9yg76p7wxYSm (helen.ortiz@acme.example), "
            "scim.link_user:ZzMj8XHJHNpplyMM7TMoXMC0Xxk9o (aisha.bello@acme.example)"]
    assert counter.total() == writes  # nothing sent
    assert roberts(server) == [(ROBERT, OLD)]  # no second account


# --------------------------------------------------------------------------- the rule, on literal objects


def effects_of(*actions) -> PlannedEffects:
    return planned_effects(actions)


def test_a_done_member_action_is_undone_when_its_field_is_at_no_value_the_plan_sets():
    set_email = act("e1", ActionKind.MEMBERS_SET_EMAIL, {"memberId": "m1", "email": "a@old.example"},
                    {"email": "a@new.example"}, before={"email": "a@old.example"})
    deactivate = act("d1", ActionKind.MEMBERS_DEACTIVATE, {"memberId": "m1", "email": "a@old.example"},
                     {"isArchived": True, "newOwnerId": "mAdmin"})
    reactivate = act("r1", ActionKind.MEMBERS_REACTIVATE, {"memberId": "m1", "email": "a@old.example"},
                     {"isArchived": False})
    live = {"memberId": "m1", "email": "a@old.example", "isArchived": False, "memberType": "Viewer"}

    found = undone_on("member:m1", live, [set_email, deactivate], effects_of(set_email, deactivate), label="a@")
    assert [str(u) for u in found] == [
        "e1 (members.set_email) on member:m1 (a@): email is 'a@old.example', the action set 'a@new.example'",
        "d1 (members.deactivate) on member:m1 (a@): isArchived is False, the action set True"]
    # a later action of the plan sets the field again (d1 then r1): its value is no undo of d1
    assert undone_on("member:m1", live, [deactivate], effects_of(deactivate, reactivate)) == []
    assert undone_on("member:m1", {**live, "email": "a@new.example"}, [set_email], effects_of(set_email)) == []


def test_a_link_s_account_type_is_not_its_own_when_a_set_account_type_owns_it():
    linked = link("u1", "m1", "a@x.example", "Pro")
    live = {"memberId": "m1", "email": "a@x.example", "memberType": "Viewer"}
    (found,) = undone_on("member:m1", live, [linked], effects_of(linked))
    assert (found.action.id, found.change.field, found.change.planned, found.change.live) == (
        "u1", "memberType", "Pro", "Viewer")
    assert undone_on("member:m1", live, [linked], effects_of(linked), owned=frozenset({"m1"})) == []


def test_a_team_member_a_done_removal_removed_back_in_the_team_or_a_linked_member_a_push_added_gone():
    removal = act("x1", ActionKind.TEAMS_REMOVE_MEMBER, {"teamId": "t1", "name": "Finance", "memberId": "m3"}, None)
    push = act("p1", ActionKind.SCIM_SET_GROUP_MEMBERS, GROUP_FINANCE,
               {"members": ["a@x.example", "b@x.example", "new@x.example"]})
    links = (link("u1", "m1", "a@x.example"), link("u2", "m2", "b@x.example"))
    effects = effects_of(removal, push, *links)

    found = undone_on("team:t1", {"teamId": "t1", "memberIds": ["m1", "m3"]}, [removal, push], effects, label="Finance")
    assert [str(u) for u in found] == [
        "x1 (teams.remove_member) on team:t1 (Finance): member(s) m3 in the team again, which the action removed",
        "p1 (scim.set_group_members) on team:t1 (Finance): member(s) m2 no longer in the team, which the action "
        "put there"]
    assert undone_on("team:t1", {"teamId": "t1", "memberIds": ["m1", "m2", "m9"]}, [removal, push], effects) == []


def test_verify_after_a_refused_resume_advises_a_new_plan_not_the_resume(tmp_path, finance, capsys, monkeypatch):
    """tester19 finding 8: after apply refused the ``--resume`` (a done action undone by hand), verify ended
    "`apply plan.json --resume` finishes it", the command just refused. Its last line now says what works (fetch, plan
    again with --applied), and the refusal says what it counts beside verify's count of objects."""
    server, _, _, plan, urls, env = finance
    with pytest.raises(ApplyInterrupted):
        apply_plan(plan, options_for(server, auto_approve=True, only=("group:Finance",), parallelism=1),
                   progress=StopAfter(SET_EMAIL))
    set_email_by_hand(server, OLD)
    code, out, err = run_cli_with_environ(capsys, monkeypatch, env, "apply", str(plan), "--auto-approve",
                                          "--resume", "--only", "group:Finance", *urls)
    assert (code, err.splitlines()) == (1, [undone_line(plan, ROBERT_UNDONE)])
    code, out, err = run_cli_with_environ(capsys, monkeypatch, env, "verify", str(plan), *urls)
    lines = out.splitlines()
    assert code == 2, out + err  # EXIT_DRIFT
    assert lines[-2] == ("Verify: DRIFTED: 1 object(s) differ from the plan; INTERRUPTED: run 1 did not finish: 0 "
                         "action(s) in flight, 21 not started. 1 of 2 object(s) converged, 1 drifted, 0 missing; 194 "
                         "action(s) not applied yet")
    assert lines[-1] == (
        f"The last run (run 1, wave only group:Finance) was interrupted at {read_journal(plan)[1][0].finished_at}: "
        "0 action(s) in flight, 21 not started; 1 object(s) the runs of this plan wrote are no longer as they left "
        f"them (drifted or missing, above): apply refuses a --resume over actions it finds undone; fetch, plan again "
        f"with --applied {plan}, review and approve the new plan")
