"""apply against the sandbox over HTTP: converge, re-apply writes nothing, dry run, refusals, secrets."""

from __future__ import annotations

import hashlib
import json
from dataclasses import replace

import msgspec
import pytest

from planner.execute.apply import WhatIsLeft, apply_plan, dry_run_lines, result_path
from planner.execute.approve import approval_path, approve
from planner.execute.errors import ApplyRefused
from planner.execute.journal import Journal, journal_path
from planner.model import ActionKind, GuardResult
from planner.planfile import PlanFileError, document_bytes, read_plan

from .plan_factory import EMPTY_SUMMARY
from .execute_support import (
    BLOCKING,
    act,
    counting_sandbox,
    member_state,
    options_for,
    small_org,
    small_plan_actions,
    write_test_plan,
)


@pytest.fixture
def sb():
    server, counter = counting_sandbox()
    yield server, counter
    server.close()


def test_full_apply_converges_and_verify_says_so(tmp_path, sb):
    server, counter = sb
    plan = write_test_plan(tmp_path)
    approve(plan, "Ada Admin")

    report = apply_plan(plan, options_for(server))

    assert report.status == "converged"
    assert report.counts["done"] == 8 and report.writes == 8
    assert report.verification.converged
    assert {o.key for o in report.verification.objects} == {
        "user:alice@example.com", "user:o'brien@example.com", "user:new@example.com",
        "team:t1", "member:m3", "member:m4",
    }
    # Sigma's side, read directly from the sandbox state
    assert member_state(server, "m3")["isArchived"] is True
    assert member_state(server, "m4")["isArchived"] is True
    assert member_state(server, "m2")["memberType"] == "Viewer"
    assert member_state(server, "m1")["memberType"] == "Pro"
    assert server.state.team_member_ids("t1") == ["m1"]  # linked; m3 removed; its members are a set_group_members' job
    assert counter.total() == 8
    assert max(counter.writes.values()) == 1


def test_reapply_of_a_finished_plan_writes_nothing(tmp_path, sb):
    server, counter = sb
    plan = write_test_plan(tmp_path)
    approve(plan, "Ada Admin")
    apply_plan(plan, options_for(server))
    counter.writes.clear()
    counter.attempts.clear()

    again = apply_plan(plan, options_for(server))

    assert again.mode == "reapply" and again.status == "converged"
    assert again.writes == 0
    assert {r.outcome for r in again.results.values()} == {"already"}
    assert counter.attempts == {}  # not even a refused write reached the sandbox


def test_journal_records_states_ids_and_before_images_and_no_secret(tmp_path, sb):
    server, _ = sb
    plan = write_test_plan(tmp_path)
    approve(plan, "Ada Admin")
    apply_plan(plan, options_for(server))

    journal = Journal.open(plan, json.loads(plan.read_text())["digest"], [])
    rows = journal.rows()
    journal.close()
    assert {r.state for r in rows.values()} == {"done"}
    assert rows["u3"].ids["scimUserId"]
    assert rows["d1"].before_image["isArchived"] is False and rows["d1"].before_image["memberId"] == "m3"
    assert rows["u3"].before_image == {"exists": False}
    assert rows["r1"].before_image == {"teamId": "t1", "memberId": "m3",
                                       "team": {"teamId": "t1", "name": "Finance", "isArchived": False}}
    assert all(r.attempts == 1 and r.started_at and r.finished_at for r in rows.values())


def test_dry_run_prints_redacted_requests_in_order_and_writes_nothing(tmp_path, sb, capsys):
    server, counter = sb
    plan = write_test_plan(tmp_path)
    before = sorted(p.name for p in tmp_path.iterdir())

    lines = dry_run_lines(plan, options_for(server))
    text = "\n".join(lines)

    assert server.request_counts == {} and counter.attempts == {}
    assert sorted(p.name for p in tmp_path.iterdir()) == before
    for secret in (server.client_id, server.client_secret, server.scim_token):
        assert secret not in text
    assert "Authorization: Bearer ***" in text
    requests = [line for line in lines if line.split(" ", 1)[0] in {"POST", "PATCH"}]
    assert requests[0] == f"POST {server.base_url}/v2/auth/token"
    assert requests[1:] == [
        f"POST {server.scim_base_url}/Users",
        f"POST {server.scim_base_url}/Users",
        f"POST {server.scim_base_url}/Users",
        f"PATCH {server.base_url}/v2/teams/t1/members",
        f"PATCH {server.base_url}/v2/members/m3",
        f"PATCH {server.base_url}/v2/members/m4",
        f"POST {server.scim_base_url}/Groups",
        f"PATCH {server.scim_base_url}/Users/{{id of userName \"o'brien@example.com\"}}",
    ]
    assert '"remove": [\n    "m3"\n  ]' in text
    assert '"userName": "o\'brien@example.com"' in text
    assert "# note: this plan is not approved" in text


def test_drifted_member_makes_apply_refuse_and_name_it(tmp_path, sb):
    server, counter = sb
    plan = write_test_plan(tmp_path)
    approve(plan, "Ada Admin")
    server.state.update_member("m3", {"memberType": "Pro"}, actor=None)  # someone changed old@ in Sigma

    with pytest.raises(ApplyRefused) as refused:
        apply_plan(plan, options_for(server))

    message = str(refused.value)
    assert "plan is stale, 1 object(s) changed" in message
    assert "member:m3 (old@example.com): memberType 'Viewer' -> 'Pro'" in message
    assert "\n" not in message
    assert counter.attempts == {}
    assert not journal_path(plan).exists() and not list(tmp_path.glob("plan.json.run-*"))


def test_drifted_team_membership_is_named(tmp_path, sb):
    server, _ = sb
    plan = write_test_plan(tmp_path)
    approve(plan, "Ada Admin")
    server.state.change_team_members("t1", ["m7"], [], actor=None)

    with pytest.raises(ApplyRefused, match=r"team:t1 \(Finance\): memberIds: m7 joined \(the plan saw 2 members\)"):
        apply_plan(plan, options_for(server))


def test_many_members_are_read_in_bulk_for_the_stale_check(tmp_path, sb, monkeypatch):
    import planner.execute.stale as stale

    monkeypatch.setattr(stale, "BULK_MEMBER_READS", 2)
    server, _ = sb
    plan = write_test_plan(tmp_path)
    approve(plan, "Ada Admin")
    server.state.update_member("m4", {"firstName": "Renamed"}, actor=None)  # not fingerprinted: fine
    server.state.update_member("m3", {"userKind": "embed"}, actor=None)

    with pytest.raises(ApplyRefused, match=r"member:m3 \(old@example.com\): userKind 'internal' -> 'embed'"):
        apply_plan(plan, options_for(server))
    assert server.request_counts["GET /v2/members"] == 2  # the preflight's ?limit=1, then one listing
    assert server.request_counts["GET /v2/members/{memberId}"] == 0


def test_member_gone_is_drift(tmp_path, sb):
    server, _ = sb
    plan = write_test_plan(tmp_path)
    approve(plan, "Ada Admin")
    server.state.update_member("m4", {"isArchived": True}, actor=None)  # archived by hand: planned, so fine
    with server.state.transaction():
        server.state._x("DELETE FROM members WHERE member_id='m3'")

    with pytest.raises(ApplyRefused, match=r"member:m3 \(old@example.com\): no longer exists"):
        apply_plan(plan, options_for(server))


def test_unapproved_plan_is_refused_and_nothing_is_written(tmp_path, sb):
    server, counter = sb
    plan = write_test_plan(tmp_path)

    with pytest.raises(ApplyRefused, match="plan is not approved; run `sigma-migrate approve"):
        apply_plan(plan, options_for(server))
    assert server.request_counts == {}
    assert not journal_path(plan).exists()


def test_approval_of_another_digest_is_refused(tmp_path, sb):
    server, _ = sb
    plan = write_test_plan(tmp_path)
    approve(plan, "Ada Admin")
    write_test_plan(tmp_path, small_plan_actions()[:3])  # a new plan at the same path

    with pytest.raises(ApplyRefused, match="approval is for plan sha256:.*but the plan is sha256:"):
        apply_plan(plan, options_for(server))
    assert server.request_counts == {}


def test_tampered_plan_is_refused(tmp_path, sb):
    server, _ = sb
    plan = write_test_plan(tmp_path)
    approve(plan, "Ada Admin")
    doc = json.loads(plan.read_text())
    doc["actions"][4]["after"]["newOwnerId"] = "m7"  # someone edits the plan after approval
    plan.write_text(json.dumps(doc))

    with pytest.raises(PlanFileError, match="does not match its digest"):
        apply_plan(plan, options_for(server))
    assert server.request_counts == {}


def test_blocking_review_items_refuse_apply_and_approve(tmp_path, sb):
    server, _ = sb
    plan = write_test_plan(tmp_path, review_items=(BLOCKING,))
    with pytest.raises(ApplyRefused, match=r"1 blocking review item\(s\), first rv1 \[ambiguous-link\]"):
        approve(plan, "Ada Admin")
    with pytest.raises(ApplyRefused, match="blocking review item"):
        apply_plan(plan, options_for(server, auto_approve=True))
    assert not approval_path(plan).exists()
    assert server.request_counts == {}


def test_failed_guard_refuses_apply(tmp_path, sb):
    server, _ = sb
    guards = (GuardResult("scim_setup_admin", True, "priya@ stays Admin"),
              GuardResult("mass-deactivation", False, "40% of members deactivated, threshold 20%"))
    plan = write_test_plan(tmp_path, summary=msgspec.structs.replace(EMPTY_SUMMARY, guards=guards))
    with pytest.raises(ApplyRefused, match="plan guard failed: mass-deactivation: 40% of members deactivated"):
        apply_plan(plan, options_for(server, auto_approve=True))
    assert server.request_counts == {}


@pytest.mark.parametrize("guards, refusal", [
    ([{"id": "mass-deactivation", "ok": False, "message": "40%"}], "$.summary.guards[0].id: unknown field"),
    ({"mass-deactivation": {"ok": False, "message": "40%"}}, "$.summary.guards: expected array, got object"),
])
def test_a_guard_result_of_another_shape_is_refused(tmp_path, guards, refusal):
    path = write_test_plan(tmp_path)
    document = json.loads(path.read_text())
    document["summary"]["guards"] = guards
    path.write_bytes(document_bytes(document))
    with pytest.raises(PlanFileError) as refused:
        read_plan(path)
    assert str(refused.value) == f"{path}: {refusal}"


def test_auto_approve_applies_without_approval_file_and_shows_summary(tmp_path, sb):
    server, _ = sb
    plan = write_test_plan(tmp_path)
    shown: list[str] = []
    report = apply_plan(plan, options_for(server, auto_approve=True), echo=shown.append)
    assert report.status == "converged"
    assert shown[0].startswith("Plan sha256:") and "8 actions" in shown[0]
    assert "       2  scim.link_user" in shown
    assert "Approved with --auto-approve (no approval file)" in shown
    assert shown[-3:] == [
        "Stale-plan check: reading the 5 Sigma object(s) the plan was made against",
        "Stale-plan check: no object changed since the plan was made",
        "Verifying: re-reading the targets of 8 action(s)",
    ]


def test_a_failed_action_skips_its_dependents_and_the_rest_goes_on(tmp_path, sb):
    server, _ = sb
    actions = list(small_plan_actions())
    # a user Sigma refuses (no given name, docs/sigma-api.md §5.2; an unknown userType is refused before the
    # first write now, tester8 finding 19): u1 fails, t1 (needs u1) is skipped
    actions[0] = act("u1", ActionKind.SCIM_LINK_USER,
                     {"memberId": "m1", "email": "alice@example.com", "userName": "alice@example.com"},
                     {"userName": "alice@example.com", "givenName": "", "familyName": "E", "active": True,
                      "userType": "Viewer"})
    plan = write_test_plan(tmp_path, actions)
    approve(plan, "Ada Admin")

    report = apply_plan(plan, options_for(server, write_html=True))

    assert report.status == "incomplete" and report.exit_code == 5  # refused for good: plan again (F2)
    assert report.left == WhatIsLeft({"u1": "400 invalidValue: Field 'givenName' is required but value is missing, "
                                            "null or empty: name"}, held=("t1",), retryable=())
    states = {aid: r.state for aid, r in report.results.items()}
    assert states["u1"] == "failed" and states["t1"] == "skipped"
    assert {states[a] for a in ("u2", "u3", "r1", "d1", "g1", "a1")} == {"done"}
    assert report.results["u1"].error == ("SCIM POST /Users: 400 invalidValue: Field 'givenName' is required but "
                                          "value is missing, null or empty: name")
    assert report.results["t1"].error == "dependency u1 failed"
    result = json.loads(result_path(plan, 1).read_text())
    assert result["status"] == "incomplete"
    assert [a["state"] for a in result["actions"] if a["id"] in ("u1", "t1")] == ["failed", "skipped"]
    assert result["by_kind"]["scim.link_user"] == {"written_this_run": 1, "already_this_run": 0,
                                                   "written_by_interrupted_run": 0, "done_total": 1,
                                                   "failed": 1, "skipped": 0, "pending": 0}
    html = (tmp_path / "plan.json.run-1.result.html").read_text()
    section = html[html.index('id="result"'):]
    assert "Actions not done (2)" in section
    assert "Field &#39;givenName&#39; is required but value is missing" in section
    assert "dependency u1 failed" in section


def test_unfinished_journal_needs_resume(tmp_path, sb):
    server, _ = sb
    plan = write_test_plan(tmp_path)
    approve(plan, "Ada Admin")
    doc = json.loads(plan.read_text())
    journal = Journal.open(plan, doc["digest"], [(a["id"], a["kind"]) for a in doc["actions"]])
    journal.start_run("apply", wave_actions=[a["id"] for a in doc["actions"]])
    journal.mark_running("u1")  # then killed: no end recorded
    journal.close()

    with pytest.raises(ApplyRefused) as refused:
        apply_plan(plan, options_for(server))
    assert str(refused.value) == (
        f"{plan}: run 1 (the whole plan, killed) did not finish: 1 action(s) in flight, 7 not started; no other "
        f"apply of this plan runs until it does: continue it with `sigma-migrate apply {plan} --resume`; nothing "
        "was written")
    report = apply_plan(plan, options_for(server, resume=True))
    assert report.mode == "resume" and report.status == "converged"


def test_journal_of_another_plan_is_refused(tmp_path, sb):
    server, _ = sb
    plan = write_test_plan(tmp_path)
    Journal.open(plan, "sha256:other", []).close()
    approve(plan, "Ada Admin")
    with pytest.raises(ApplyRefused, match="journal belongs to plan sha256:other"):
        apply_plan(plan, options_for(server))


def test_secrets_appear_in_no_file_the_tool_wrote(tmp_path, sb):
    server, _ = sb
    actions = list(small_plan_actions())
    actions.append(act("bad", ActionKind.MEMBERS_DEACTIVATE, {"memberId": "nobody", "email": "x@example.com"},
                       {"isArchived": True, "newOwnerId": None}))  # fails with Sigma's 404: an error message lands in the files
    plan = write_test_plan(tmp_path, actions, fingerprints={})
    approve(plan, "Ada Admin")
    report = apply_plan(plan, options_for(server, write_html=True))
    assert report.results["bad"].state == "failed"
    server.expire_tokens()  # the second run re-mints on 401: two access tokens exist now
    apply_plan(plan, options_for(server, resume=True, write_html=True))

    tokens = list(server.credentials._access)
    assert len(tokens) >= 2
    secrets = [server.client_id, server.client_secret, server.scim_token, *tokens]
    written = [p for p in tmp_path.iterdir() if p.is_file()]
    assert {p.name for p in written} >= {
        "plan.json", "plan.json.approval", "plan.json.journal.sqlite", "plan.json.run-1.result.json",
        "plan.json.run-1.result.html",
    }
    for path in tmp_path.iterdir():
        data = path.read_bytes()
        for secret in secrets:
            assert secret.encode() not in data, f"{secret[:4]}... found in {path.name}"


def test_email_change_then_link_then_account_type_by_member_id(tmp_path, sb):
    server, counter = sb
    actions = [
        act("E7", ActionKind.MEMBERS_SET_EMAIL, {"memberId": "m7", "email": "grace@example.com"},
            {"email": "grace.hopper@example.com"}, before={"email": "grace@example.com"}),
        act("L7", ActionKind.SCIM_LINK_USER,
            {"memberId": "m7", "email": "grace@example.com", "userName": "grace.hopper@example.com"},
            {"userName": "grace.hopper@example.com", "givenName": "Grace", "familyName": "Hopper", "active": True,
             "userType": "Viewer"}, ["E7"]),
        # the planner names the member by memberId and its Sigma email at plan time only
        act("A7", ActionKind.SCIM_SET_ACCOUNT_TYPE, {"memberId": "m7", "email": "grace@example.com"},
            {"userType": "Pro"}, ["L7"]),
        act("R8", ActionKind.MEMBERS_REACTIVATE, {"memberId": "m8", "email": "heidi@example.com"},
            {"isArchived": False}),
    ]
    server.state.update_member("m8", {"isArchived": True}, actor=None)
    plan = write_test_plan(tmp_path, actions, fingerprints={})
    approve(plan, "Ada Admin")

    report = apply_plan(plan, options_for(server))

    assert report.status == "converged", report.summary_dict()
    grace = member_state(server, "m7")
    assert grace["email"] == "grace.hopper@example.com" and grace["memberType"] == "Pro"
    assert member_state(server, "m8")["isArchived"] is False
    assert counter.writes == {
        "PATCH /v2/members/m7": 1,
        "POST /scim/v2/Users grace.hopper@example.com": 1,
        "PATCH /scim/v2/Users/m7": 1,
        "PATCH /v2/members/m8": 1,
    }


def test_a_second_apply_of_a_converged_plan_keeps_the_first_runs_outcomes_and_before_images(tmp_path, sandbox_factory):
    """Apply, apply again (every action already so), undo: the undo plan of the first apply, byte for byte."""
    from planner.execute.journal import read_journal
    from planner.execute.undo import build_undo_plan

    server = sandbox_factory(small_org())
    plan = write_test_plan(tmp_path)
    options = replace(options_for(server), auto_approve=True)
    assert apply_plan(plan, options).status == "converged"
    _, _, first_rows = read_journal(plan)
    after_first = build_undo_plan(journal_path(plan), created_at="t")

    second = apply_plan(plan, options)

    assert second.mode == "reapply" and second.writes == 0
    _, runs, rows = read_journal(plan)
    assert len(runs) == 2
    assert {a: (r.outcome, r.before_image) for a, r in rows.items()} == \
        {a: (r.outcome, r.before_image) for a, r in first_rows.items()}
    assert {a: r.outcome for a, r in rows.items()} == {
        "u1": "written", "u2": "written", "u3": "written", "r1": "written", "d1": "written", "g1": "written",
        "t1": "written", "a1": "written"}
    assert {a: r.outcome for a, r in second.results.items()} == dict.fromkeys(rows, "already")
    again = build_undo_plan(journal_path(plan), created_at="t")
    assert again.digest == after_first.digest
    # the undo plan's fingerprints are hashed like the plan's: sha256 of the state's canonical JSON
    assert again.fingerprints and all(
        f.sha256 == hashlib.sha256(json.dumps(msgspec.to_builtins(f.state), sort_keys=True, separators=(",", ":"),
                                              ensure_ascii=False).encode()).hexdigest()
        for f in again.fingerprints.values())
    assert [(a.id, msgspec.to_builtins(a.after)) for a in again.actions] == [
        ("members.reactivate:m4", {"isArchived": False}), ("members.reactivate:m3", {"isArchived": False}),
        ("a1", {"userType": "Pro"})]
    assert [r.id for r in again.review_items] == [
        "undo.irreversible:d1:documents", "undo.irreversible:g1:documents", "undo.irreversible:r1",
        "undo.irreversible:t1", "undo.irreversible:u1", "undo.irreversible:u2", "undo.irreversible:u3"]


def test_a_secret_that_is_part_of_the_data_never_rewrites_journal_before_images_or_the_undo_plan(
        tmp_path, sandbox_factory):
    """Tester B12: with SIGMA_CLIENT_SECRET=acme, undo.json's members became brigid.moreau@***.example and the
    undo 404'd. Redaction is for messages, logs and URLs; data written to a journal or an undo plan is kept
    as Sigma gave it (secrets never go there by construction)."""
    from planner.execute.journal import read_journal
    from planner.execute.undo import build_undo_plan

    server = sandbox_factory(small_org(), client_secret="example")  # a word of every member's address
    plan = write_test_plan(tmp_path)
    assert apply_plan(plan, replace(options_for(server), auto_approve=True)).status == "converged"
    _, _, rows = read_journal(plan)
    images = json.dumps({a: r.before_image for a, r in rows.items()})
    assert "@example.com" in images and "***" not in images
    undo = build_undo_plan(journal_path(plan), created_at="t")
    written = json.dumps(msgspec.to_builtins(undo.actions))
    assert "@example.com" in written and "***" not in written
    # tester6 finding 8: nor the result file, the audit record of the run (a secret under 8 characters
    # is not searched in free text, planner.redaction rule 1)
    from planner.execute.apply import result_path

    result = result_path(plan, 1).read_text(encoding="utf-8")
    assert "@example.com" in result and "***" not in result


def test_a_damaged_approval_file_names_what_is_wrong_and_what_to_do(tmp_path):
    """Tester C: `unreadable approval file (KeyError)` / `(IsADirectoryError)`."""
    from planner.execute.approve import read_approval

    plan = write_test_plan(tmp_path)
    approve(plan, "Ada Admin")
    path = approval_path(plan)
    good = json.loads(path.read_text(encoding="utf-8"))
    todo = f"; move it away and approve the plan again (`sigma-migrate approve {plan} --by NAME`)"
    cases = [
        ({k: v for k, v in good.items() if k != "digest"}, "field 'digest' is missing"),
        ([good], "it holds a JSON list, not an object of approver, approved_at, digest, plan"),
        ({**good, "target": "https://x.example"}, "field 'target' is not an object of rest_base_url, scim_base_url"),
    ]
    for document, problem in cases:
        path.write_text(json.dumps(document), encoding="utf-8")
        with pytest.raises(ApplyRefused) as refused:
            read_approval(plan)
        assert str(refused.value) == f"{path}: unreadable approval file: {problem}{todo}"
    path.write_text('{"approver": ', encoding="utf-8")
    with pytest.raises(ApplyRefused, match="unreadable approval file: not JSON \\(line 1, column 14: "):
        read_approval(plan)
    path.unlink()
    path.mkdir()
    with pytest.raises(ApplyRefused) as directory:
        read_approval(plan)
    assert str(directory.value) == f"{path}: unreadable approval file: it is a directory, not a file{todo}"


def test_a_stale_team_says_who_joined_and_left():
    """Tester C: the stale-plan message read `memberIds '13 members' -> '+IdQ...'`."""
    from planner.execute.stale import FieldChange

    change = FieldChange("memberIds", "13 members", "-m3 +IdQ", joined=("IdQ",), left=("m3",))
    assert str(change) == "memberIds: IdQ joined and m3 left (the plan saw 13 members)"
    assert str(FieldChange("email", "a@x.example", "b@x.example")) == "email 'a@x.example' -> 'b@x.example'"
