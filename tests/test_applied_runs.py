"""``plan --applied PLAN``: a SCIM value the tool's own apply or undo wrote is named as theirs in the
re-plan's ``scim.state_conflict`` (tester9 F7: after ``undo``, 6 blocking "which is newer?" items for
account types the undo run set, which read as IdP pushes). The applied plans and their journals are
real files, written by the plan writer and the journal ``apply`` keeps."""

from __future__ import annotations

from dataclasses import replace

import pytest
from msgspec.structs import replace as replace_struct

from planner.applied import AppliedError, applied_runs
from planner.execute.journal import Journal, read_journal
from planner.model import ActionKind as K, AppliedWrite
from planner.payloads import UNSET
from planner.planfile import read_plan, write_plan
from planner.state import history_path

from .conftest import run_cli
from .execute_support import act
from .plan_factory import EMPTY_SUMMARY, bare_plan, group, member, plan, snapshot, user
from .test_rules_scim_state import TYPES, provisioned, with_scim


def applied_plan(tmp_path, user_type: str, *, undo: bool, outcome: str = "written"):
    """A plan setting alice's (m1) account type to ``user_type`` through SCIM (an undo plan when
    ``undo``), written to ``tmp_path``, and its journal: one apply run that did it (``outcome``)."""
    name = "undo.json" if undo else "plan.json"
    action = act("scim.set_account_type:m1", K.SCIM_SET_ACCOUNT_TYPE, {"memberId": "m1", "email": "alice@example.com"},
                 {"userType": user_type}, before={"memberType": "Build"}, rule="undo" if undo else "account_types")
    summary = replace_struct(EMPTY_SUMMARY, undoes="sha256:" + "a" * 64) if undo else EMPTY_SUMMARY
    path = tmp_path / name
    digest = write_plan(bare_plan(actions=(action,), summary=summary), path)
    journal = Journal.open(path, digest, [(action.id, action.kind.value)])
    journal.start_run("apply")
    journal.mark_running(action.id)
    journal.mark_done(action.id, outcome)
    journal.finish_run("converged", {"done": 1})
    journal.close()
    return path, read_journal(path)[2][action.id].finished_at


def alice_in_build(applied=None):
    """Alice (m1), provisioned by SCIM with userType View; the IdP export puts her in Sigma-Build
    (Build), with no date on either side: a scim.state_conflict ("which is newer?")."""
    snap = with_scim(snapshot([member("m1", "alice@example.com", "Alice", "A", member_type="View")],
                              [user("u1", "alice@example.com", first="Alice", last="A")],
                              [group("g1", "Sigma-Build", users=["u1"])], account_types=["Admin", "Build", "View"]),
                     [provisioned("m1", "alice@example.com", "u1", "View")])
    return plan(snap if applied is None else replace(snap, applied=applied), TYPES)


CONFLICT = ("alice@example.com is provisioned by SCIM (externalId u1), and Sigma's SCIM state and the IdP export "
            "disagree (userType: SCIM View, export Build; the SCIM state does not say when it changed the user, "
            "the export does not say when){}: which is newer? The plan does not send scim.set_account_type on the "
            "export's word alone")


def the_conflict(p):
    [item] = [r for r in p.review_items if r.code == "scim.state_conflict"]
    return item


def test_a_value_the_undo_run_wrote_is_named_as_the_undo_runs(tmp_path):
    path, at = applied_plan(tmp_path, "View", undo=True)
    runs = applied_runs([str(path)])
    assert runs.writes == (AppliedWrite("m1", "userType", "View", str(path), True, 1, at),)
    assert [(i.kind, i.records) for i in runs.inputs] == [("plan", 1), ("apply.journal", 1)]

    p = alice_in_build(runs)
    item = the_conflict(p)
    written = f"SCIM's userType View was written by run 1 of undo plan {path}, {at}"
    assert item.message == CONFLICT.format("; " + written)
    assert item.blocking and item.evidence.written_by == written
    assert p.inputs[-2:] == runs.inputs  # the plan records what it read


def test_without_applied_plans_or_when_the_value_changed_since_nothing_is_attributed(tmp_path):
    assert the_conflict(alice_in_build()).message == CONFLICT.format("")
    # the apply wrote Admin; SCIM now holds View: someone else wrote it since
    path, _ = applied_plan(tmp_path, "Admin", undo=False)
    item = the_conflict(alice_in_build(applied_runs([str(path)])))
    assert item.message == CONFLICT.format("") and item.evidence.written_by is UNSET
    # a run that found the value in place wrote nothing
    other = tmp_path / "other"
    other.mkdir()
    path, _ = applied_plan(other, "View", undo=True, outcome="already")
    assert applied_runs([str(path)]).writes == ()


def test_plan_applied_refuses_a_plan_without_its_journal_in_one_line(repo, tmp_path, capsys):
    path = tmp_path / "plan.json"
    write_plan(bare_plan(), path)
    code, _, err = run_cli(capsys, "plan", "--sigma", str(repo / "samples/acme/sigma"), "--idp",
                           str(repo / "samples/acme/okta"), "--out", str(tmp_path / "new.json"), "--applied", str(path))
    assert (code, err) == (1, f"sigma-migrate: error: {path}: --applied: no journal beside it (plan.json.journal.sqlite) "
                              f"and none in sigma-migrate's state index ({history_path(read_plan(path).digest)}); "
                              "give a plan `sigma-migrate apply` ran\n")
    assert not (tmp_path / "new.json").exists()
    with pytest.raises(AppliedError):
        applied_runs([path])


def test_a_later_scim_change_of_the_user_is_said(tmp_path):
    path, at = applied_plan(tmp_path, "View", undo=True)
    snap = with_scim(snapshot([member("m1", "alice@example.com", "Alice", "A", member_type="View")],
                              [user("u1", "alice@example.com", first="Alice", last="A")],
                              [group("g1", "Sigma-Build", users=["u1"])], account_types=["Admin", "Build", "View"]),
                     [replace_struct(provisioned("m1", "alice@example.com", "u1", "View"),
                                     last_modified="2999-01-01T00:00:00Z")])
    item = the_conflict(plan(replace(snap, applied=applied_runs([str(path)])), TYPES))
    assert item.evidence.written_by == (f"SCIM's userType View was written by run 1 of undo plan {path}, {at} "
                                        "(SCIM changed the user again after it, 2999-01-01T00:00:00Z)")
