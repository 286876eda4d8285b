"""``sigma-migrate verify`` (issue 11 item 4): live, read-only, per object, per wave, exit 0 / 2."""

from __future__ import annotations

import json

import httpx2
import pytest

from planner.cli import main
from planner.execute.apply import apply_plan
from planner.execute.errors import ApplyRefused
from planner.execute.journal import journal_path
from planner.execute.verify_plan import verify_lines, verify_plan

from .execute_support import counting_sandbox, options_for, sandbox_env, write_test_plan


@pytest.fixture
def sb():
    server, counter = counting_sandbox()
    yield server, counter
    server.close()


def scim_patch(server, scim_id: str, path: str, value) -> None:
    httpx2.patch(f"{server.scim_base_url}/Users/{scim_id}", headers=server.scim_headers(), json={
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [{"op": "replace", "path": path, "value": value}]}).raise_for_status()


def test_verify_after_a_wave_then_names_a_member_changed_behind_the_plans_back(tmp_path, sb):
    server, counter = sb
    plan = write_test_plan(tmp_path)
    apply_plan(plan, options_for(server, auto_approve=True, only=("email:alice@example.com",)))
    writes = counter.total()

    found = verify_plan(plan, options_for(server))
    assert (found.exit_code, found.converged, found.applied_converged) == (6, False, True)  # 7 not applied yet
    assert found.verification.converged
    assert found.not_applied == ("u2", "u3", "r1", "d1", "g1", "t1", "a1")
    assert [(w.run_id, w.wave, w.checked, w.converged) for w in found.waves] == [
        (1, "only email:alice@example.com", 1, True)]

    scim_patch(server, "m1", "userType", "Viewer")  # someone changes Alice in the IdP
    found = verify_plan(plan, options_for(server))
    assert found.exit_code == 2
    (obj,) = [o for o in found.verification.objects if not o.converged]
    assert (obj.key, obj.state, obj.problems) == (
        "user:alice@example.com", "drifted", ["scim.link_user: userType: 'Viewer', planned 'Pro'"])
    assert verify_lines(found)[0] == ("  drifted   user:alice@example.com (alice@example.com): "
                                      "scim.link_user: userType: 'Viewer', planned 'Pro'")
    assert verify_lines(found)[-2:] == [
        "Wave only email:alice@example.com (run 1): DRIFTED: 1 object(s) differ from the plan (1 action(s) checked)",
        "Verify: DRIFTED: 1 object(s) differ from the plan. 0 of 1 object(s) converged, 1 drifted, 0 missing; "
        "7 action(s) not applied yet"]
    assert counter.total() == writes + 1  # verify wrote nothing (the one write is the test's PATCH)


def test_verify_cli_json_and_exit_codes_after_a_complete_apply(tmp_path, sb, monkeypatch, capsys):
    server, _ = sb
    plan = write_test_plan(tmp_path)
    apply_plan(plan, options_for(server, auto_approve=True))
    for key, value in sandbox_env(server).items():
        monkeypatch.setenv(key, value)
    args = ["verify", str(plan), "--rest-base-url", server.base_url, "--scim-base-url", server.scim_base_url]
    main(args + ["--json"])  # exit 0: main returns
    document = json.loads(capsys.readouterr().out)
    assert document["converged"] is True and document["counts"] == {
        "objects": 6, "converged": 6, "drifted": 0, "missing": 0, "unverified": 0, "not_applied": 0, "failed": 0,
        "in_flight": 0}

    server.state.scim_delete_group("t1", expected_version=None)  # the Finance team is gone
    with pytest.raises(SystemExit) as exc:
        main(args)
    assert exc.value.code == 2
    out = capsys.readouterr().out
    (line,) = [x for x in out.splitlines() if x.startswith("  missing   team:t1 (Finance): ")]
    # the removal of m3 holds: m3's teams (GET /v2/members/m3/teams) no longer list t1 (tester8 finding 13)
    assert line == "  missing   team:t1 (Finance): scim.link_group: no SCIM group with displayName 'Finance'"
    assert out.splitlines()[-1] == ("Verify: DRIFTED: 1 object(s) differ from the plan. "
                                    "5 of 6 object(s) converged, 0 drifted, 1 missing")


def test_a_journal_of_another_plan_is_refused(tmp_path, sb):
    server, _ = sb
    plan = write_test_plan(tmp_path)
    apply_plan(plan, options_for(server, auto_approve=True))
    other = write_test_plan(tmp_path / "x" if (tmp_path / "x").mkdir() is None else tmp_path, organization={
        "organizationId": "org-other", "name": "Other"})
    journal_path(plan).replace(journal_path(other)) if other != plan else None
    with pytest.raises(ApplyRefused, match=r"journal belongs to plan sha256:[0-9a-f]+, not sha256:[0-9a-f]+; "
                                           r"verify the plan that journal applied$"):
        verify_plan(other, options_for(server))


def test_verify_without_flags_reads_the_target_the_approval_recorded(tmp_path, sb, monkeypatch, capsys):
    """`verify plan.json` as the README writes it: no flag, no policy targets; the approval's URLs."""
    from dataclasses import replace

    from planner.execute.approve import approve

    server, _ = sb
    plan = write_test_plan(tmp_path)
    approve(plan, "Ada", rest_base_url=server.base_url, scim_base_url=server.scim_base_url)
    assert apply_plan(plan, options_for(server)).status == "converged"
    for name, value in sandbox_env(server).items():
        monkeypatch.setenv(name, value)
    capsys.readouterr()

    try:
        main(["verify", str(plan)])
        code = 0
    except SystemExit as exc:
        code = exc.code
    out, err = capsys.readouterr()

    assert (code, err) == (0, "")
    assert out.splitlines()[-1] == "Verify: converged. 6 of 6 object(s) converged, 0 drifted, 0 missing"
    found = verify_plan(plan, replace(options_for(server), rest_base_url=None, scim_base_url=None))
    assert found.exit_code == 0


def test_a_failed_action_makes_verify_not_converged_as_apply_said(tmp_path, sb, monkeypatch, capsys):
    """Tester finding 14: apply failed one action (409, a guest cannot be linked) and said
    "incomplete"; verify must say the same (failed, not converged, exit 2), never "converged"."""
    from .execute_support import link, small_plan_actions

    server, _ = sb
    actions = (*small_plan_actions()[:1], link("u9", "m4", "guest@partner.example"))
    plan = write_test_plan(tmp_path, actions)
    report = apply_plan(plan, options_for(server, auto_approve=True))
    assert (report.status, report.exit_code) == ("incomplete", 5)  # a final 409: plan again (tester9 F2)
    assert report.results["u9"].state == "failed"

    found = verify_plan(plan, options_for(server))
    assert found.exit_code == 2 and not found.converged
    assert found.not_applied == ()
    assert [(f.action_id, f.state) for f in found.failed] == [("u9", "failed")]
    assert [(w.run_id, w.checked, w.converged) for w in found.waves] == [(1, 2, False)]
    assert verify_lines(found) == [
        "  missing   user:guest@partner.example (guest@partner.example): "
        "scim.link_user: no SCIM user with userName 'guest@partner.example'",
        "  failed    u9 (scim.link_user guest@partner.example): SCIM POST /Users: 409 uniqueness: "
        "Member m4 is a guest; guest users cannot be managed with SCIM",
        "Wave (whole plan) (run 1): FAILED: 1 action(s) failed (2 action(s) checked)",
        "Verify: FAILED: 1 action(s) failed. 1 of 2 object(s) converged, 0 drifted, 1 missing "
        "(1 of them by a failed action)"]
    assert report.summary_dict()["converged"] is False

    scim_patch(server, "m1", "userType", "Viewer")  # and now Alice drifts too: both headlines
    both = verify_plan(plan, options_for(server))
    assert verify_lines(both)[-2:] == [
        "Wave (whole plan) (run 1): FAILED: 1 action(s) failed; DRIFTED: 1 object(s) differ from the plan "
        "(2 action(s) checked)",
        "Verify: FAILED: 1 action(s) failed; DRIFTED: 1 object(s) differ from the plan. "
        "0 of 2 object(s) converged, 1 drifted, 1 missing (1 of them by a failed action)"]

    for key, value in sandbox_env(server).items():
        monkeypatch.setenv(key, value)
    capsys.readouterr()
    with pytest.raises(SystemExit) as exc:
        main(["verify", str(plan), "--rest-base-url", server.base_url, "--scim-base-url", server.scim_base_url,
              "--json"])
    assert exc.value.code == 2
    document = json.loads(capsys.readouterr().out)
    assert (document["converged"], document["verdict"]) == (
        False, "FAILED: 1 action(s) failed; DRIFTED: 1 object(s) differ from the plan")
    assert [w["verdict"] for w in document["waves"]] == [
        "FAILED: 1 action(s) failed; DRIFTED: 1 object(s) differ from the plan"]
    assert document["counts"] == {"objects": 2, "converged": 0, "drifted": 1, "missing": 1, "unverified": 0,
                                  "not_applied": 0, "failed": 1, "in_flight": 0}
    assert [f["action"] for f in document["failed"]] == ["u9"]


def test_a_team_renamed_by_scim_is_found_by_its_id_and_reported_drifted(tmp_path, sb):
    """Tester finding 12: the IdP renamed the linked group "Finance" to "Finance & Accounting";
    verify found no group named "Finance" and said "missing". The group is the team's id: drifted."""
    server, _ = sb
    plan = write_test_plan(tmp_path)
    assert apply_plan(plan, options_for(server, auto_approve=True)).status == "converged"
    httpx2.patch(f"{server.scim_base_url}/Groups/t1", headers=server.scim_headers(), json={
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [{"op": "replace", "path": "displayName", "value": "Finance & Accounting"}]}).raise_for_status()

    found = verify_plan(plan, options_for(server))
    assert found.exit_code == 2
    assert [(o.key, o.state, o.problems) for o in found.verification.objects if not o.converged] == [
        ("team:t1", "drifted", ["scim.link_group: displayName: 'Finance & Accounting', planned 'Finance'"])]
    assert verify_lines(found)[-1] == ("Verify: DRIFTED: 1 object(s) differ from the plan. "
                                       "5 of 6 object(s) converged, 1 drifted, 0 missing")


def test_an_object_whose_action_was_in_flight_when_the_run_stopped_is_not_counted_as_a_failure(tmp_path, sb):
    """tester7 (nit): after a kill -9, the create in flight (not failed, never sent) was counted "1 missing
    (1 of them by a failed action)"; no action failed."""
    from planner.execute.journal import Journal
    from planner.planfile import read_plan

    from .execute_support import small_plan_actions

    server, _ = sb
    plan = write_test_plan(tmp_path)
    journal = Journal.open(plan, read_plan(plan).digest, [(a.id, a.kind.value) for a in small_plan_actions()])
    journal.start_run("apply", wave="", wave_actions=[a.id for a in small_plan_actions()])
    journal.mark_running("u3")  # the create of new@example.com was in flight: then kill -9 (no end recorded)
    journal.close()

    found = verify_plan(plan, options_for(server))

    assert found.exit_code == 3 and found.failed == ()
    assert verify_lines(found)[-2] == (
        "Verify: INTERRUPTED: run 1 did not finish: 1 action(s) in flight, 7 not started. 0 of 1 object(s) "
        "converged, 0 drifted, 1 missing (1 of them in flight when the run stopped); 7 action(s) not applied yet")


@pytest.mark.parametrize("selection, objects, left, kinds", [
    (("--only", "team:Finance"), 3, 4,
     {"members.deactivate": 1, "members.disable_guest": 1, "scim.link_user": 1, "scim.set_account_type": 1}),
    (("--limit", "1"), 1, 7,
     {"members.deactivate": 1, "members.disable_guest": 1, "scim.link_group": 1, "scim.link_user": 2,
      "scim.set_account_type": 1, "teams.remove_member": 1}),
])
def test_verify_after_a_wave_says_the_applied_actions_converged_and_what_the_plan_has_left(
        tmp_path, sb, monkeypatch, capsys, selection, objects, left, kinds):
    """leftovers15: after ``apply --only ...`` or ``--limit N``, ``verify --json`` said ``converged: true`` (exit 0)
    though actions of the plan were not applied yet. Now ``converged`` is the plan's (false, exit 6),
    ``applied_converged`` and the verdict say the objects the applied actions touch converged, and ``plan_left``,
    ``plan_left_by_kind`` and ``next_step_lines`` say what is left and which command applies it, in apply's words
    (:class:`planner.execute.apply.PlanLeft`); once the rest is applied, verify says converged, exit 0."""
    from planner.execute.approve import approve

    from .conftest import run_cli_with_environ

    server, _ = sb
    plan = write_test_plan(tmp_path)
    approve(plan, "Ada Admin")
    env, urls = sandbox_env(server), ("--rest-base-url", server.base_url, "--scim-base-url", server.scim_base_url)
    code, _, err = run_cli_with_environ(capsys, monkeypatch, env, "apply", str(plan), *selection, *urls)
    assert code == 0, err
    spelled = ", ".join(f"{n} {kind}" for kind, n in kinds.items())
    line = (f"{left} of 8 action(s) of the plan not applied yet ({spelled}): `sigma-migrate apply {plan}` applies the "
            f"rest, or `sigma-migrate apply {plan} --only ...` the next wave")

    code, out, _ = run_cli_with_environ(capsys, monkeypatch, env, "verify", str(plan), "--json", *urls)
    document = json.loads(out)
    assert code == 6
    assert {k: document[k] for k in ("converged", "applied_converged", "verdict", "plan_actions", "plan_left",
                                     "plan_left_by_kind", "next_step_lines")} == {
        "converged": False, "applied_converged": True, "verdict": "applied actions converged", "plan_actions": 8,
        "plan_left": left, "plan_left_by_kind": kinds, "next_step_lines": [line]}
    assert document["counts"] == {"objects": objects, "converged": objects, "drifted": 0, "missing": 0,
                                  "unverified": 0, "not_applied": left, "failed": 0, "in_flight": 0}

    code, out, _ = run_cli_with_environ(capsys, monkeypatch, env, "verify", str(plan), *urls)
    assert code == 6
    assert out.splitlines()[-2:] == [
        f"Verify: applied actions converged. {objects} of {objects} object(s) converged, 0 drifted, 0 missing; "
        f"{left} action(s) not applied yet", line]

    code, _, err = run_cli_with_environ(capsys, monkeypatch, env, "apply", str(plan), *urls)  # the rest
    assert code == 0, err
    code, out, _ = run_cli_with_environ(capsys, monkeypatch, env, "verify", str(plan), "--json", *urls)
    document = json.loads(out)
    assert code == 0
    assert {k: document[k] for k in ("converged", "applied_converged", "verdict", "plan_actions", "plan_left",
                                     "plan_left_by_kind", "next_step_lines")} == {
        "converged": True, "applied_converged": True, "verdict": "converged", "plan_actions": 8, "plan_left": 0,
        "plan_left_by_kind": {}, "next_step_lines": []}


def scim_replace(server, endpoint: str, scim_id: str, path: str, value) -> None:
    """``PATCH /scim/v2/<endpoint>/<id>`` replacing ``path`` with ``value`` (RFC 7644 §3.5.2.3), as an IdP would."""
    httpx2.patch(f"{server.scim_base_url}/{endpoint}/{scim_id}", headers=server.scim_headers(), json={
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [{"op": "replace", "path": path, "value": value}]}).raise_for_status()


@pytest.mark.parametrize("endpoint, scim_id, key, action, sent, whose", [
    ("Groups", "t1", "team:t1", "scim.link_group", "g-finance", "the team is linked to another IdP group"),
    ("Users", "m1", "user:alice@example.com", "scim.link_user", "idp-m1", "the account is another IdP user's"),
])
def test_a_team_or_user_holding_another_external_id_than_the_plan_sent_is_drift(
        tmp_path, sb, monkeypatch, capsys, endpoint, scim_id, key, action, sent, whose):
    """verify18 finding 1: the linked team's SCIM group (the linked user) came to hold another IdP object's
    ``externalId`` after the apply (the IdP pushed another group onto the team): verify said converged. It is
    drift, exit 2, naming the object, the externalId the plan sent and the one Sigma holds."""
    server, _ = sb
    plan = write_test_plan(tmp_path)
    assert apply_plan(plan, options_for(server, auto_approve=True)).status == "converged"
    assert verify_plan(plan, options_for(server)).exit_code == 0
    scim_replace(server, endpoint, scim_id, "externalId", "idp-other-9")

    found = verify_plan(plan, options_for(server))
    assert found.exit_code == 2
    assert [(o.key, o.state, o.problems) for o in found.verification.objects if not o.converged] == [
        (key, "drifted", [f"{action}: externalId: 'idp-other-9', the plan sent {sent!r}: {whose}"])]
    for name, value in sandbox_env(server).items():
        monkeypatch.setenv(name, value)
    code = None
    try:
        main(["verify", str(plan), "--rest-base-url", server.base_url, "--scim-base-url", server.scim_base_url])
    except SystemExit as exc:
        code = exc.code
    out = capsys.readouterr().out
    assert code == 2
    label = "Finance" if endpoint == "Groups" else "alice@example.com"
    assert (f"  drifted   {key} ({label}): {action}: externalId: 'idp-other-9', the plan sent {sent!r}: {whose}"
            in out.splitlines())
