"""``undo`` makes its plan from the current state (issue 10, tester finding 10): a reversal whose
object Sigma changed since the apply is left out with an ``undo.drifted`` item, so the rest of the
undo applies instead of refusing as stale forever."""

from __future__ import annotations

import httpx2
import pytest

from planner.cli import main
from planner.execute.apply import apply_plan
from planner.execute.errors import ApplyRefused
from planner.execute.journal import journal_path
from planner.execute.undo import build_undo_plan, live_changes
from planner.planfile import read_plan, write_plan

from .execute_support import counting_sandbox, options_for, sandbox_env, write_test_plan


@pytest.fixture
def sb():
    server, counter = counting_sandbox()
    yield server, counter
    server.close()


def idp_deactivates(server, scim_id: str) -> None:
    httpx2.patch(f"{server.scim_base_url}/Users/{scim_id}", headers=server.scim_headers(), json={
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [{"op": "replace", "path": "active", "value": False}]}).raise_for_status()


def test_a_member_the_idp_changed_since_the_apply_is_left_out_and_the_rest_of_the_undo_applies(tmp_path, sb):
    server, _ = sb
    plan = write_test_plan(tmp_path)
    assert apply_plan(plan, options_for(server, auto_approve=True)).status == "converged"
    idp_deactivates(server, "m2")  # a1 changed o'brien's account type; the IdP deactivates them since

    offline = build_undo_plan(journal_path(plan), created_at="t")
    assert [a.id for a in offline.actions] == ["members.reactivate:m4", "members.reactivate:m3", "a1"]
    write_plan(offline, tmp_path / "offline-undo.json")
    with pytest.raises(ApplyRefused, match=r"plan is stale, 1 object\(s\) changed in Sigma since it was made: "
                                           r"member:m2 \(o'brien@example.com\): isInactive False -> True; plan again$"):
        apply_plan(tmp_path / "offline-undo.json", options_for(server, auto_approve=True))

    undo = build_undo_plan(journal_path(plan), created_at="t", changed_since=live_changes(options_for(server)))
    assert [a.id for a in undo.actions] == ["members.reactivate:m4", "members.reactivate:m3"]
    assert sorted(undo.fingerprints) == ["member:m3", "member:m4"]
    (item,) = [r for r in undo.review_items if r.code == "undo.drifted"]
    assert (item.id, item.blocking, item.message) == (
        "undo.drifted:member:m2", False,
        "member:m2 (o'brien@example.com): isInactive False -> True: changed in Sigma since the apply, so a1 is not "
        "reversed (the undo would act on a state nobody reviewed); plan it again from the current state")
    assert undo.summary.text.endswith("; 7 not reversible, 1 object(s) changed in Sigma since the apply "
                                      "(listed as review items)")

    write_plan(undo, tmp_path / "undo.json")
    report = apply_plan(tmp_path / "undo.json", options_for(server, auto_approve=True))
    assert (report.status, report.exit_code) == ("converged", 0)
    assert [server.state.get_member(m)["isArchived"] for m in ("m3", "m4")] == [False, False]
    assert server.state.get_member("m2")["memberType"] == "Viewer"  # a1 left as the apply set it


def test_undo_cli_reads_sigma_when_given_a_target_and_stays_offline_without(tmp_path, sb, monkeypatch, capsys):
    server, _ = sb
    plan = write_test_plan(tmp_path)
    assert apply_plan(plan, options_for(server, auto_approve=True)).status == "converged"
    idp_deactivates(server, "m2")
    for key, value in sandbox_env(server).items():
        monkeypatch.setenv(key, value)
    capsys.readouterr()

    main(["undo", str(journal_path(plan)), "--out", str(tmp_path / "live.json"),
          "--rest-base-url", server.base_url, "--scim-base-url", server.scim_base_url])
    out = capsys.readouterr().out
    assert [a.id for a in read_plan(tmp_path / "live.json").actions] == [
        "members.reactivate:m4", "members.reactivate:m3"]
    assert ("  member:m2 (o'brien@example.com): isInactive False -> True: changed in Sigma since the apply, so a1 "
            "is not reversed (the undo would act on a state nobody reviewed); plan it again from the current state"
            ) in out.splitlines()

    main(["undo", str(journal_path(plan)), "--out", str(tmp_path / "offline.json")])
    out = capsys.readouterr().out
    assert [a.id for a in read_plan(tmp_path / "offline.json").actions] == [
        "members.reactivate:m4", "members.reactivate:m3", "a1"]
    assert ("Not compared with Sigma now (no target: pass --rest-base-url and --scim-base-url): apply refuses it "
            "as stale if an object changed since the apply") in out.splitlines()
