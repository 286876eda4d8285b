"""A plan that revokes the SCIM token is stopped and named (issue 10, tester12 finding 6).

Sigma ties the SCIM token to the admin who set provisioning up (docs/sigma-api.md §5.1); the sandbox rehearses
it (``scim_admin``: the token dies once that member is archived, inactive or no longer Admin). Here the policy
names priya.raman@ as ``organization.scim_setup_admin`` while the token really is helen.ortiz@'s (whom the plan
downgrades from Admin to Analyze) or victor.hale@'s (whom it deactivates). Was: apply went on with 401s for
every later SCIM write and said "verify later"; ``verify`` and ``undo`` refused on the dead token ("check
SIGMA_SCIM_TOKEN"), naming nothing, and undo could not even reactivate victor through REST. Now:

- the run sends the writes that may revoke the token last (:func:`planner.execute.runner.sent_last`), stops
  at the first SCIM 401 after one of them (nothing more is sent, the rest journaled skipped with the line),
  or finds it with one SCIM read once the run is done, and says who and what to do;
- ``verify`` and a later ``apply`` name the cause from the journal, exit 1;
- ``undo`` reverses what REST can, the deactivated admin first, and lists what needs SCIM; applied, the token
  lives again and a second ``undo`` reverses the rest through SCIM.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import httpx2
import pytest

from planner.execute.apply import apply_plan, dry_run_lines, outcome_lines
from planner.execute.approve import approve
from planner.execute.journal import journal_path, read_journal
from planner.execute.runner import RunOptions, run_actions
from planner.execute.undo import build_undo_plan, live_changes
from planner.model import ActionKind
from planner.planfile import write_plan

from .conftest import run_cli
from .execute_support import act, approved_sample_plan, copy_approved, counting_sandbox, options_for, sandbox_env
from .sandbox_fixture import ACME_SIGMA_DIR
from .test_execute_runner import Scripted, journal_for

REPO = Path(__file__).resolve().parent.parent
OKTA, POLICY = REPO / "samples/acme/okta", REPO / "samples/acme/policy-okta-reviewed.yaml"

HELEN = "QK9fJMB9nEBWpYLdl9yg76p7wxYSm"
"""helen.ortiz@acme.example: Admin in Sigma, Analyze after the plan (scim.link_user and scim.set_account_type)."""
VICTOR = "uPJojxcONdlaV0d6ELaALgdqigRCk"
"""victor.hale@acme.example: Admin in Sigma, DEPROVISIONED in Okta: the plan deactivates him through REST."""
FINANCE_PUSH = "scim.set_group_members:00gSUDsbhMqeLxqzTHLU"
"""The push of group Finance (team e5cd73fd-...), which holds helen: it depends on her link."""
FINANCE_REMOVAL = "teams.remove_member:e5cd73fd-a310-46b1-8740-b7e718874ef3:6XJQCTmG8EsWeaHh7oAnZwcr5aXnT"

REVOKED = "401: The admin who set up SCIM is no longer an active Admin; the token is revoked"
FACT = ("the token was theirs (Sigma revokes it with them: docs/sigma-api.md §5.1), not "
        "organization.scim_setup_admin priya.raman@acme.example's; ")
HELEN_CHANGE = f"changed the account type of helen.ortiz@acme.example ({HELEN}) from Admin to Analyze"
HELEN_BACK = "only SCIM can give helen.ortiz@acme.example their account type back; "
VICTOR_CHANGE = f"deactivated victor.hale@acme.example ({VICTOR})"
NEW_ADMIN = "or set SCIM up again as another admin (a new SIGMA_SCIM_TOKEN) and name them in organization.scim_setup_admin"
PRIYA = "IdQgzZz22upwrg72mX8PcOW4BlQ16"
"""priya.raman@acme.example: Admin, the reviewed policy's organization.scim_setup_admin; the plan keeps her."""
USUAL = ("the token was regenerated or revoked in Sigma (Administration > Authentication), or SIGMA_SCIM_TOKEN holds "
         "another one: check SIGMA_SCIM_TOKEN")
"""The usual cause a later command names first (tester14b #5)."""


def kept_line(refusal: str, changes: str, they: str = "they") -> str:
    """What a later command says when REST shows priya (the policy's scim_setup_admin) still an active Admin."""
    return (f"SIGMA_SCIM_TOKEN refused by SCIM ({refusal}): {USUAL} (organization.scim_setup_admin "
            f"priya.raman@acme.example is still an active admin, so this plan's apply, which {changes}, revoked it "
            f"only if the policy names the wrong admin and {they} set SCIM up)")


@pytest.fixture(scope="module")
def approved_plan(tmp_path_factory):
    """The bundled sample planned with the reviewed Okta policy (scim_setup_admin: priya.raman@), approved."""
    return approved_sample_plan(tmp_path_factory.mktemp("revoked") / "plan.json", OKTA, POLICY)


@pytest.fixture
def plan_path(approved_plan, tmp_path):
    """The approved plan in this test's own folder (no journal of another test)."""
    return copy_approved(approved_plan, tmp_path)


@pytest.fixture
def sandboxes():
    started = []

    def start(scim_admin: str):
        server, counter = counting_sandbox(ACME_SIGMA_DIR, scim_admin=scim_admin)
        started.append(server)
        return server, counter

    yield start
    for server in started:
        server.close()


def _targets(server) -> tuple[str, ...]:
    return ("--rest-base-url", server.base_url, "--scim-base-url", server.scim_base_url)


def test_apply_stops_at_the_first_scim_401_after_it_downgraded_the_token_holder_and_names_her(plan_path, sandboxes):
    server, counter = sandboxes("helen.ortiz@acme.example")
    report = apply_plan(plan_path, options_for(server, parallelism=1))

    line = (f"the SCIM token stopped working (SCIM GET /Groups/e5cd73fd-a310-46b1-8740-b7e718874ef3: {REVOKED}) "
            f"after this run {HELEN_CHANGE}: if they set SCIM up, {FACT}{HELEN_BACK}{NEW_ADMIN}")
    assert (report.status, report.exit_code, report.stop_reason, report.token_revoked) == ("stopped", 3, line, True)
    assert report.verification is None  # nothing to verify SCIM with
    lines = outcome_lines(report)
    assert lines[0].startswith("Apply stopped: 193 of 196 done (183 written this run, 10 already so), 1 failed, "
                               "2 skipped in ")
    assert lines[1:3] == [f"Stopped: {line}", f"  failed  {FINANCE_PUSH}: SCIM GET /Groups/e5cd73fd-a310-46b1-8740-"
                                              f"b7e718874ef3: {REVOKED}"]
    assert lines[-1] == ("Next: with a new SIGMA_SCIM_TOKEN of the admin organization.scim_setup_admin names, "
                         f"`sigma-migrate apply {plan_path} --resume` sends the 3 action(s) left; if you reactivate "
                         "the admin who held it instead, name them in organization.scim_setup_admin and plan again "
                         f"(`sigma-migrate plan ... --applied {plan_path}`)")
    _, runs, rows = read_journal(plan_path)
    assert (runs[-1].status, dict(runs[-1].counts)) == (
        "stopped", {"done": 193, "failed": 1, "pending": 0, "running": 0, "skipped": 2})
    assert {aid: (r.state, r.error) for aid, r in rows.items() if r.state != "done"} == {
        FINANCE_PUSH: ("failed", f"SCIM GET /Groups/e5cd73fd-a310-46b1-8740-b7e718874ef3: {REVOKED}"),
        FINANCE_REMOVAL: ("skipped", f"dependency {FINANCE_PUSH} failed"),
        f"members.deactivate:{VICTOR}": ("skipped", f"not started: {line}"),
    }
    # nothing more was sent after the refusal: victor (a REST write, sent last) is still active
    assert f"PATCH /v2/members/{VICTOR}" not in counter.writes
    assert server.state.get_member(VICTOR)["isArchived"] is False
    # the writes that may revoke the token went after every other one (helen's link was the last write sent)
    assert list(counter.writes)[-1] == "POST /scim/v2/Users helen.ortiz@acme.example"


def test_a_later_apply_names_the_cause_from_the_journal(plan_path, sandboxes, capsys, monkeypatch):
    server, _ = sandboxes("helen.ortiz@acme.example")
    assert apply_plan(plan_path, options_for(server, parallelism=1)).token_revoked
    for name, value in sandbox_env(server).items():
        monkeypatch.setenv(name, value)

    code, out, err = run_cli(capsys, "apply", str(plan_path), "--resume", *_targets(server))

    # priya, whom the policy names, is still an active Admin (REST): the usual cause first, the downgrade unlikely
    assert code == 1
    assert err == (f"sigma-migrate: error: {kept_line(f'SCIM GET /Users?count=1: {REVOKED}', HELEN_CHANGE)}; "
                   "nothing was written\n")

    # priya made inactive since (as a SCIM `active: false` does): the downgrade is a live possibility, named after
    # the usual cause with its ways out
    with server.state.transaction():
        server.state._update_member_columns(PRIYA, {"is_inactive": 1}, None)
    code, out, err = run_cli(capsys, "apply", str(plan_path), "--resume", *_targets(server))
    assert code == 1
    assert err == (f"sigma-migrate: error: SIGMA_SCIM_TOKEN refused by SCIM (SCIM GET /Users?count=1: {REVOKED}): "
                   f"{USUAL}; or it died with an admin after this plan's apply {HELEN_CHANGE}: if they set SCIM up, "
                   f"{FACT}{HELEN_BACK}{NEW_ADMIN}; nothing was written\n")


def test_a_token_rotated_after_a_wave_that_downgraded_an_admin_names_the_token_first(plan_path, sandboxes, capsys,
                                                                                     monkeypatch):
    """tester14b #5: the token belongs to priya, whom the policy names and the plan keeps Admin; the apply downgrades
    helen and deactivates victor (both Admins), then the token is regenerated in Sigma. verify and apply with the
    old one named the downgrade alone ("only SCIM can give helen ... back; or set SCIM up again"); now the usual
    cause, and the downgrade as unlikely, REST showing priya an active Admin."""
    server, _ = sandboxes("priya.raman@acme.example")
    report = apply_plan(plan_path, options_for(server, parallelism=1))
    assert (report.status, report.token_revoked) == ("converged", False)
    for name, value in sandbox_env(server).items():
        monkeypatch.setenv(name, value)
    server.scim_token = "regenerated-in-sigma"  # the old one stays in SIGMA_SCIM_TOKEN

    line = kept_line("SCIM GET /Users?count=1: 401: Token missing or malformed", f"{HELEN_CHANGE}; {VICTOR_CHANGE}",
                     "one of them")
    for argv in (["verify", str(plan_path)], ["apply", str(plan_path)]):
        code, out, err = run_cli(capsys, *argv, *_targets(server))
        assert (argv[0], code, err) == (argv[0], 1, f"sigma-migrate: error: {line}; nothing was written\n")


def test_the_token_revoked_after_the_last_write_is_found_verify_names_it_and_undo_restores_the_admin(
        plan_path, sandboxes, capsys, monkeypatch):
    server, _ = sandboxes("victor.hale@acme.example")
    report = apply_plan(plan_path, options_for(server, parallelism=1))

    # every action went through (victor's deactivation was the last write); one SCIM read after the run finds it
    reactivate = (f"reactivate victor.hale@acme.example through REST (`sigma-migrate undo {journal_path(plan_path)} "
                  f"--out undo-plan.json` does it first); {HELEN_BACK}")
    line = (f"the SCIM token stopped working (SCIM GET /Users?count=1: {REVOKED}) after this run {HELEN_CHANGE}; "
            f"{VICTOR_CHANGE}: if one of them set SCIM up, {FACT}{reactivate}{NEW_ADMIN}")
    assert (report.status, report.exit_code, report.stop_reason, report.counts["done"]) == ("stopped", 3, line, 196)
    with sqlite3.connect(journal_path(plan_path)) as db:  # the journal says why the run stopped
        assert db.execute("SELECT run_id, action_id, event, detail FROM events WHERE event LIKE 'run-%' "
                          "ORDER BY event_id").fetchall() == [
            (1, None, "run-start", "apply"), (1, None, "run-stop", line), (1, None, "run-end", "stopped")]
    assert outcome_lines(report)[-1] == (
        f"Next: with a new SIGMA_SCIM_TOKEN of the admin organization.scim_setup_admin names, `sigma-migrate verify "
        f"{plan_path}` checks what this run wrote; if you reactivate the admin who held it instead, name them in "
        f"organization.scim_setup_admin and plan again (`sigma-migrate plan ... --applied {plan_path}`)")

    for name, value in sandbox_env(server).items():
        monkeypatch.setenv(name, value)
    code, out, err = run_cli(capsys, "verify", str(plan_path), *_targets(server))
    assert (code, out) == (1, "")
    later = kept_line(f"SCIM GET /Users?count=1: {REVOKED}", f"{HELEN_CHANGE}; {VICTOR_CHANGE}", "one of them")
    assert err == f"sigma-migrate: error: {later}; nothing was written\n"

    # undo: what REST can, victor first; the SCIM reversals listed, not refused
    undo_path = plan_path.parent / "undo.json"
    code, out, err = run_cli(capsys, "undo", str(journal_path(plan_path)), "--out", str(undo_path),
                             *_targets(server))
    assert (code, err) == (0, "")
    undo = build_undo_plan(journal_path(plan_path), created_at="t", changed_since=live_changes(options_for(server)))
    assert [a.id for a in undo.actions][:1] == [f"members.reactivate:{VICTOR}"]
    assert {a.kind for a in undo.actions} == {ActionKind.MEMBERS_REACTIVATE}
    assert len(undo.actions) == 12
    needs_scim = sorted(r.id for r in undo.review_items if r.code == "undo.needs_scim")
    assert len(needs_scim) == 20 and needs_scim[0] == "undo.needs_scim:scim.set_account_type:4zQjdiCWgV4iVYkm0DjAkt5ssGb7p"
    (head,) = [r for r in undo.review_items if r.code == "undo.scim_token"]
    said = (f"{later}; this undo "
            f"plan reverses only what the REST API can, members.reactivate:{VICTOR} first; 20 reversal(s) need SCIM "
            "and are left out (undo.needs_scim): once SCIM takes the token again, run undo again for them")
    assert (head.blocking, head.message) == (False, said)
    assert out.splitlines()[:2] == [
        "Undo plan: 12 action(s) reversing 185 written action(s) of "
        f"{report.digest}; 173 not reversible, 20 left out while SCIM refuses the token (listed as review items)",
        said]

    # applied through REST alone: victor is back, and with him the token; a second undo reverses the rest
    approve(undo_path, "Ada Admin")
    assert apply_plan(undo_path, options_for(server)).status == "converged"
    assert server.state.get_member(VICTOR)["isArchived"] is False
    assert httpx2.get(f"{server.scim_base_url}/Users?count=1", headers=server.scim_headers()).status_code == 200
    again = build_undo_plan(journal_path(plan_path), created_at="t", changed_since=live_changes(options_for(server)))
    assert [r for r in again.review_items if r.code in ("undo.scim_token", "undo.needs_scim")] == []
    kinds = sorted({a.kind.value for a in again.actions})
    assert kinds == ["members.reactivate", "scim.set_account_type", "scim.set_group_members"]


def test_a_token_refused_without_such_a_change_is_still_the_tokens_own_fault(plan_path, sandboxes, capsys,
                                                                             monkeypatch):
    server, _ = sandboxes("priya.raman@acme.example")
    for name, value in {**sandbox_env(server), "SIGMA_SCIM_TOKEN": "wrong"}.items():
        monkeypatch.setenv(name, value)
    code, _, err = run_cli(capsys, "apply", str(plan_path), *_targets(server))
    assert code == 1
    assert err == (f"sigma-migrate: error: SIGMA_SCIM_TOKEN refused by the SCIM API at {server.scim_base_url} "
                   "(GET /Users?count=1: 401: Token missing or malformed); check SIGMA_SCIM_TOKEN; nothing was "
                   "written\n")


def test_dry_run_shows_the_writes_that_may_revoke_the_token_last(plan_path):
    lines = [line for line in dry_run_lines(plan_path, options_for_dry()) if line.startswith("# ")]
    assert ("# last: 5 action(s) that deactivate an admin or change their account type, and those that depend on "
            "them, after every other: if that admin set SCIM up, the SCIM token dies with the change "
            "(docs/sigma-api.md §5.1)") in lines
    numbered = [line.split()[2] for line in lines if line.startswith("# ") and "/196 " in line]
    assert numbered[-5:] == [f"scim.link_user:{HELEN}", f"scim.set_account_type:{HELEN}", FINANCE_PUSH,
                             FINANCE_REMOVAL, f"members.deactivate:{VICTOR}"]


def options_for_dry():
    from planner.execute.apply import ApplyOptions

    return ApplyOptions(rest_base_url="http://127.0.0.1:9", scim_base_url="http://127.0.0.1:9/scim/v2")


def test_the_runner_sends_the_last_actions_after_every_other_and_their_dependents_after_them(tmp_path):
    spec = {"risk": [], "a": [], "after_risk": ["risk"], "b": ["a"], "c": []}
    actions = [act(aid, ActionKind.MEMBERS_DEACTIVATE, {"memberId": aid}, {"isArchived": True, "newOwnerId": None},
                   deps) for aid, deps in spec.items()]
    journal = journal_for(tmp_path, actions)
    executor = Scripted(journal)
    run_actions(actions, executor, journal, options=RunOptions(parallelism=3), last=lambda a: a.id == "risk")
    assert sorted(executor.started[:3]) == ["a", "b", "c"]
    assert executor.started[3:] == ["risk", "after_risk"]


def test_an_offline_undo_plan_that_needs_scim_names_the_cause_and_the_undo_that_keeps_what_rest_can(
        plan_path, sandboxes, capsys, monkeypatch):
    server, _ = sandboxes("victor.hale@acme.example")
    monkeypatch.chdir(plan_path.parent)  # as an admin runs it, in the plan's folder: paths as given
    assert apply_plan("plan.json", options_for(server, parallelism=1)).token_revoked
    journal = journal_path("plan.json")
    offline = build_undo_plan(journal, created_at="t")  # no target: SCIM reversals included
    write_plan(offline, "undo.json")
    approve("undo.json", "Ada Admin")
    for name, value in sandbox_env(server).items():
        monkeypatch.setenv(name, value)

    code, _, err = run_cli(capsys, "apply", "undo.json", *_targets(server))

    assert (code, str(journal)) == (1, "plan.json.journal.sqlite")
    later = kept_line(f"SCIM GET /Users?count=1: {REVOKED}", f"{HELEN_CHANGE}; {VICTOR_CHANGE}", "one of them")
    assert err == (f"sigma-migrate: error: {later}; this undo plan needs SCIM too: that undo with --rest-base-url "
                   "and --scim-base-url keeps what REST can reverse; nothing was written\n")
    assert server.state.get_member(VICTOR)["isArchived"] is True
