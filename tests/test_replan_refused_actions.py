"""A re-plan never repeats, without a blocking item, an action Sigma refused for good in an applied run
(tester10 finding 8: "Plan again" led back to the identical refused plan, forever).

Against the real sandbox over HTTP: before the migration, an IdP whose client sends no ``externalId``
provisioned ``scim.test@example.com`` through SCIM; the IdP export does not list them. Under
``previous_scim: same_setup`` the first plan never deactivates them over REST (the listing cannot tell them from a
pre-SCIM member: the blocking ``scim.state_conflict``). Under a policy that says the SCIM connection is this
migration's own (``removed_by_support``), which this IdP's earlier push contradicts, the plan takes them for a
pre-SCIM member and deactivates them over REST (``members.deactivate``), which Sigma refuses ``403`` (provisioned by
SCIM) on every run. The journal keeps Sigma's answer (``refused``); ``plan --applied`` reads it and raises
``applied.refused_again`` instead of planning the same action again."""

from __future__ import annotations

import json
import sqlite3
import time

import httpx2
import pytest

from planner.applied import applied_runs
from planner.execute.journal import Journal, journal_path, read_journal
from planner.model import AccountType, AppliedRefusal, AppliedSetUp, SigmaExport
from planner.sources import load_sigma_export
from planner.payloads import target_member_id
from planner.planfile import read_plan, write_plan

from .conftest import run_cli, write
from .execute_support import counting_sandbox, member, sandbox_env
from .plan_factory import bare_plan

POLICY = """version: 1
organization:
  name: Tiny
  scim_setup_admin: admin@example.com
  api_credential_owner: admin@example.com
  document_owner: admin@example.com
preflight:
  saml_only: true
  previous_scim: same_setup
  guests_informed: true
unmatched:
  action: deactivate
guards:
  thresholds:
    deactivations: {percent: 100}
"""

USERS_TEMPLATE = """id,userPrincipalName,displayName,surname,mail,givenName,userType,accountEnabled,createdDateTime
11111111-1111-1111-1111-111111111111,admin@example.com,Admin Example,Example,admin@example.com,Admin,Member,True,{at}
22222222-2222-2222-2222-222222222222,ann@example.com,Ann Example,Example,ann@example.com,Ann,Member,True,{at}
"""


UNDATED = """id,userPrincipalName,displayName,surname,mail,givenName,userType,accountEnabled
11111111-1111-1111-1111-111111111111,admin@example.com,Admin Example,Example,admin@example.com,Admin,Member,True
22222222-2222-2222-2222-222222222222,ann@example.com,Ann Example,Example,ann@example.com,Ann,Member,True
"""
"""The same download without createdDateTime (a user SCIM lists without externalId is settled by SCIM's dates)."""


def users_csv() -> str:
    """The Entra download, its users made now (after the sandbox seeded its members): a download without
    createdDateTime cannot tell when it was taken, and would hold every unmatched member (tester21 finding 7)."""
    return USERS_TEMPLATE.format(at=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()))


def fetch_then_plan(capsys, tmp_path, server, name: str, *more: str):
    """``fetch`` the sandbox ``server`` into ``tmp_path/name``, then ``plan`` it with ``tmp_path/entra`` and
    ``tmp_path/pol.yaml`` (and ``more`` options) into ``tmp_path/<name>.plan.json``: ``(its path, the plan)``."""
    code, _, err = run_cli(capsys, "fetch", "--out", str(tmp_path / name), "--base-url", server.base_url,
                           "--no-progress")
    assert code == 0, err
    out_path = tmp_path / f"{name}.plan.json"
    code, out, err = run_cli(capsys, "plan", "--sigma", str(tmp_path / name), "--idp", str(tmp_path / "entra"),
                             "--policy", str(tmp_path / "pol.yaml"), "--out", str(out_path), *more)
    assert code == 0, out + err
    return out_path, read_plan(out_path)


def tiny_sandbox(monkeypatch):
    """A started sandbox of :data:`POLICY`'s organization (``admin@example.com``, ``ann@example.com``), its
    credentials in the environment (``fetch``, ``apply``)."""
    org = SigmaExport(members=(member("mAdmin", "admin@example.com", "Admin"), member("m1", "ann@example.com")),
                      account_types=(AccountType("a1", "Admin"), AccountType("a3", "Viewer")))
    server, _ = counting_sandbox(org)
    for name, value in sandbox_env(server).items():
        monkeypatch.setenv(name, value)
    return server


@pytest.fixture
def server(monkeypatch):
    server = tiny_sandbox(monkeypatch)
    # the IdP (a client that sends no externalId) provisions a test user before the migration
    answer = httpx2.post(f"{server.scim_base_url}/Users", headers={"Authorization": f"Bearer {server.scim_token}"},
                         json={"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
                               "userName": "scim.test@example.com", "active": True, "userType": "Viewer",
                               "name": {"givenName": "Scim", "familyName": "Test"},
                               "emails": [{"value": "scim.test@example.com", "type": "work", "primary": True}]})
    assert answer.status_code == 201, answer.text
    server.scim_test = answer.json()["id"]
    time.sleep(1.05)  # the test push an earlier second than the first wave's links: in one second, no order is known
    yield server
    server.close()


def test_a_refused_deactivation_is_an_item_in_the_replan_with_applied_never_the_same_action(tmp_path, server,
                                                                                          capsys):
    policy = POLICY.replace("previous_scim: same_setup", "previous_scim: removed_by_support")
    write(tmp_path / "pol.yaml", policy)
    write(tmp_path / "entra/users.csv", users_csv())
    urls = ("--rest-base-url", server.base_url, "--scim-base-url", server.scim_base_url)

    def fetch_and_plan(name: str, *more: str):
        return fetch_then_plan(capsys, tmp_path, server, name, *more)

    refused_id = f"members.deactivate:{server.scim_test}"
    p1, plan1 = fetch_and_plan("e1")
    assert refused_id in {a.id for a in plan1.actions} and not plan1.blocking_items
    assert run_cli(capsys, "approve", str(p1), "--by", "T10")[0] == 0

    code, out, err = run_cli(capsys, "apply", str(p1), *urls)

    refusal = (f"403 forbidden: Member {server.scim_test} is provisioned by SCIM; change it in the identity "
               "provider")
    assert code == 5, out + err
    assert out.splitlines()[-1] == (
        f"Plan again: Sigma refused 1 action(s) for good, a --resume would fail them the same way: {refused_id} "
        f"({refusal}); fetch Sigma's export, then `sigma-migrate plan ... --applied {p1}` (its journal tells the "
        "new plan what Sigma refused), review and approve the new plan")
    row = read_journal(p1)[2][refused_id]
    assert (row.state, row.refused) == ("failed", refusal)

    # without --applied the plan cannot know: the same action again (the loop the Plan again line now avoids)
    _, blind = fetch_and_plan("e2")
    assert refused_id in {a.id for a in blind.actions}

    p3, plan3 = fetch_and_plan("e3", "--applied", str(p1))

    assert refused_id not in {a.id for a in plan3.actions}
    assert [a.id for a in plan3.actions if target_member_id(a) == server.scim_test] == []
    [item] = [i for i in plan3.review_items if i.code == "applied.refused_again"]
    assert (item.id, item.blocking, item.subject.member_id, item.subject.email, item.evidence.action) == (
        f"applied.refused_again:{refused_id}", True, server.scim_test, "scim.test@example.com", refused_id)
    assert item.message == (
        f"{refused_id} was sent by run 1 of plan {p1}, {row.finished_at} and Sigma refused it for good ({refusal}): "
        "this plan would send it again and Sigma would refuse it the same way, so it is not planned; "
        "scim.test@example.com is listed by Sigma's SCIM without an externalId (scim.test@example.com), so SCIM made "
        "them (an IdP that sends no externalId, or a test push) and Sigma takes changes to them through SCIM only: "
        "linking.scim_state_conflicts takes them as provisioned, and the plan deactivates them through SCIM "
        "(scim.deactivate_user), or keep them (unmatched.decisions)")
    # the way out besides keep: the entry taking them as provisioned, saying who receives the documents (tester12 #10)
    assert item.resolution == (
        "# linking.scim_state_conflicts: the IdP (an IdP that sends no externalId, or a test push through SCIM) made "
        "them: deactivate them through SCIM (scim.deactivate_user; documents to the provisioning admin, "
        "admin@example.com)\n"
        "# keep: nothing is planned for them\n"
        "linking:\n  scim_state_conflicts:\n    scim.test@example.com:\n      newer: idp_export\n      active: false\n"
        "# or:\n# unmatched:\n#   decisions:\n#     scim.test@example.com: keep\n")
    assert plan3.actions == ()  # run 1 linked the others: nothing else is left
    # diff says what became of each action of plan 1 from its journal, as plan 3 read it (tester12 #9)
    code, out, _ = run_cli(capsys, "diff", str(p1), str(tmp_path / "e3.plan.json"), "--json")
    rows = read_journal(p1)[2]
    assert code == 2 and {r["id"]: (r["fate"], r["by"]) for r in json.loads(out)["actions"]["removed"]} == {
        **{a.id: ("done", f"run 1 of plan {p1}, {rows[a.id].finished_at}") for a in plan1.actions if a.id != refused_id},
        refused_id: ("refused", f"run 1 of plan {p1}, {row.finished_at}: {refusal}")}

    # the reviewer keeps them: the item is settled, nothing is planned for them
    write(tmp_path / "pol.yaml", policy.replace("  action: deactivate\n", "  action: deactivate\n  decisions:\n"
                                                "    scim.test@example.com: keep\n"))
    _, kept = fetch_and_plan("e4", "--applied", str(p1))
    assert [i.code for i in kept.review_items if i.code == "applied.refused_again"] == []
    assert refused_id not in {a.id for a in kept.actions}


    # or takes them as provisioned: the entry is honoured under removed_by_support, the settled plan deactivates
    # them through SCIM, which Sigma takes (tester12 #10: the entry was ignored, members.deactivate again)
    write(tmp_path / "pol.yaml", policy.replace("preflight:", "linking:\n  scim_state_conflicts:\n"
                                                "    scim.test@example.com: {newer: idp_export, active: false}\n"
                                                "preflight:"))
    p5, settled = fetch_and_plan("e5", "--applied", str(p1))
    assert [(a.id, a.rule, a.reason) for a in settled.actions] == [(
        f"scim.deactivate_user:{server.scim_test}", "unmatched.action",
        "deactivate: no IdP user matches this member (listed by SCIM without an externalId, taken as provisioned by "
        "the IdP: deactivated through SCIM; Sigma gives the documents to the provisioning admin, admin@example.com) "
        "(linking.scim_state_conflicts says the IdP export is newer than Sigma's SCIM state)")]
    assert [i.id for i in settled.review_items if i.blocking] == []
    assert run_cli(capsys, "approve", str(p5), "--by", "T12")[0] == 0
    code, out, err = run_cli(capsys, "apply", str(p5), *urls)
    assert code == 0, out + err
    answer = httpx2.get(f"{server.scim_base_url}/Users/{server.scim_test}",
                        headers={"Authorization": f"Bearer {server.scim_token}"})
    assert answer.json()["active"] is False


def test_an_old_journal_without_the_refused_column_is_read_and_says_no_refusal(tmp_path):
    path = tmp_path / "plan.json"
    digest = write_plan(bare_plan(), path)
    Journal.open(path, digest, [("members.deactivate:m3", "members.deactivate")]).close()
    with sqlite3.connect(journal_path(path)) as db:  # as a journal written before the column
        db.execute("ALTER TABLE actions DROP COLUMN refused")
        db.execute("UPDATE actions SET state='failed', error='REST PATCH /v2/members/m3: 403 forbidden: x',"
                   " finished_at='2026-12-06T20:00:00.000Z'")
    assert read_journal(path)[2]["members.deactivate:m3"].refused is None
    assert applied_runs([path]).refusals == ()
    # opening it again (a --resume) adds the column; a final refusal recorded then is read back
    journal = Journal.open(path, digest, [("members.deactivate:m3", "members.deactivate")])
    journal.start_run("apply")
    journal.mark_running("members.deactivate:m3")
    journal.mark_failed("members.deactivate:m3", "REST PATCH /v2/members/m3: 403 forbidden: x",
                        refused="403 forbidden: x")
    journal.close()
    [found] = applied_runs([path]).refusals
    assert (found.action_id, found.refusal, found.plan, found.run) == ("members.deactivate:m3", "403 forbidden: x",
                                                                      str(path), 1)
    assert isinstance(found, AppliedRefusal)


def test_a_user_scim_lists_without_external_id_before_the_first_link_is_never_a_rest_deactivation(tmp_path, server,
                                                                                                  capsys):
    """tester10 finding 8, at its root: under ``previous_scim: same_setup`` SCIM was in use before this migration's
    first link, so a member SCIM lists without ``externalId`` and made before it may be one an IdP that sends none
    provisioned (Sigma refuses their REST deactivation, 403): the first plan asks, and the answers deactivate them
    through SCIM (which Sigma takes) or keep them."""
    write(tmp_path / "pol.yaml", POLICY)
    write(tmp_path / "entra/users.csv", UNDATED)
    urls = ("--rest-base-url", server.base_url, "--scim-base-url", server.scim_base_url)
    code, _, err = run_cli(capsys, "fetch", "--out", str(tmp_path / "e1"), "--base-url", server.base_url,
                           "--no-progress")
    assert code == 0, err
    [listed] = [u for u in load_sigma_export(tmp_path / "e1")[0].scim_users if u.id == server.scim_test]
    made = listed.created

    def plan_with(name: str, policy: str):
        write(tmp_path / "pol.yaml", policy)
        out_path = tmp_path / f"{name}.plan.json"
        code, out, err = run_cli(capsys, "plan", "--sigma", str(tmp_path / "e1"), "--idp", str(tmp_path / "entra"),
                                 "--policy", str(tmp_path / "pol.yaml"), "--out", str(out_path))
        assert code == 0, out + err
        return out_path, read_plan(out_path)

    _, asked = plan_with("asked", POLICY)
    deactivate = f"members.deactivate:{server.scim_test}"
    assert sorted(a.id for a in asked.actions) == ["scim.link_user:m1", "scim.link_user:mAdmin"]
    assert [(i.id, i.blocking) for i in asked.review_items] == [(f"scim.state_conflict:{deactivate}", True)]
    [item] = asked.review_items
    assert item.message == (
        f"scim.test@example.com is listed by SCIM without an externalId and was made {made}, and SCIM lists no "
        "provisioned user, while preflight.previous_scim is same_setup (SCIM may have been in use before this "
        "migration's first link; in a re-plan after an apply, give the first wave's plan with plan --applied: its own "
        "preflight.previous_scim answers this for members made before its first link): an IdP that sends no "
        "externalId may have provisioned them, or it is a member made by hand before SCIM, which Sigma's SCIM lists too; the listing cannot tell which, and Sigma's SCIM state and "
        "the IdP export disagree (active: SCIM true, export absent (no IdP user matches it); SCIM last changed the "
        f"user {made}, the export does not say when): which is newer? The plan does not send members.deactivate on "
        "the export's word alone; if someone made them by hand, unmatched.decisions settles them instead "
        "(scim.test@example.com: keep, or deactivate through the REST API)")
    assert (item.evidence.scim_created, item.evidence.scim_set_up_by) == (made, None)

    # the IdP provisioned them: deactivated through SCIM, which Sigma takes (REST would be 403)
    settled, gone = plan_with("gone", POLICY + "linking:\n  scim_state_conflicts:\n    scim.test@example.com: "
                                               "{newer: idp_export, active: false}\n")
    assert (sorted(a.id for a in gone.actions), gone.review_items) == (
        [f"scim.deactivate_user:{server.scim_test}", "scim.link_user:m1", "scim.link_user:mAdmin"], ())
    assert run_cli(capsys, "approve", str(settled), "--by", "T10")[0] == 0
    code, out, err = run_cli(capsys, "apply", str(settled), *urls)
    assert code == 0, out + err
    assert server.state.get_member(server.scim_test)["isInactive"] is True

    # kept: nothing is planned for them, no item
    _, kept = plan_with("kept", POLICY + "linking:\n  scim_state_conflicts:\n    scim.test@example.com: scim_state\n")
    assert (sorted(a.id for a in kept.actions), kept.review_items) == (
        ["scim.link_user:m1", "scim.link_user:mAdmin"], ())


def test_the_first_plans_same_setup_carried_by_applied_keeps_a_user_pushed_before_its_first_link_blocking(
        tmp_path, server, capsys):
    """tester10 finding 8 in a re-plan (tester11 finding 13's other side): the first plan said ``same_setup`` (SCIM
    was in use before this migration's first link) and kept the user an IdP that sends no ``externalId`` pushed
    before it; the re-plan, given that plan with ``--applied``, judges the user by that plan's answer: still the
    blocking ``scim.state_conflict``, naming the plan and the first link, never a REST deactivation."""
    write(tmp_path / "entra/users.csv", users_csv())
    urls = ("--rest-base-url", server.base_url, "--scim-base-url", server.scim_base_url)

    def fetch_and_plan(name: str, policy: str, *more: str):
        write(tmp_path / "pol.yaml", policy)
        return fetch_then_plan(capsys, tmp_path, server, name, *more)

    kept_path, kept = fetch_and_plan("e1", POLICY + "linking:\n  scim_state_conflicts:\n    scim.test@example.com: "
                                                   "scim_state\n")
    assert (sorted(a.id for a in kept.actions), kept.review_items) == (
        ["scim.link_user:m1", "scim.link_user:mAdmin"], ())
    assert run_cli(capsys, "approve", str(kept_path), "--by", "T11")[0] == 0
    time.sleep(1.05)  # the first link a later second than the push (SCIM dates to the second)
    assert run_cli(capsys, "apply", str(kept_path), *urls)[0] == 0
    first_link = min(r.finished_at for r in read_journal(kept_path)[2].values())[:19] + "Z"
    assert applied_runs([kept_path]).set_up == AppliedSetUp(str(kept_path), "same_setup", first_link)

    _, again = fetch_and_plan("e2", POLICY, "--applied", str(kept_path))

    deactivate = f"members.deactivate:{server.scim_test}"
    assert again.actions == ()
    assert [(i.id, i.blocking) for i in again.review_items] == [(f"scim.state_conflict:{deactivate}", True)]
    made = [u for u in load_sigma_export(tmp_path / "e2")[0].scim_users if u.id == server.scim_test][0].created
    set_up_by = min(u.created for u in load_sigma_export(tmp_path / "e2")[0].scim_users if u.external_id)
    assert made < first_link
    assert again.review_items[0].message.startswith(
        f"scim.test@example.com is listed by SCIM without an externalId and was made {made}, before the first user "
        f"SCIM lists as provisioned ({set_up_by}), while the earliest plan given to --applied ({kept_path}), made "
        f"before this migration's first link ({first_link}), says preflight.previous_scim is same_setup (SCIM may "
        "have been in use before that link): an IdP that sends no externalId may have provisioned them, or it is a "
        "member made by hand before SCIM, which Sigma's SCIM lists too; the listing cannot tell which, and Sigma's "
        "SCIM state and the IdP export disagree")
    # made a second before the first provisioned user, not long before: made by hand is offered last
    assert again.review_items[0].resolution.endswith(
        "# or:\n# unmatched:\n#   decisions:\n#     scim.test@example.com: deactivate\n")
