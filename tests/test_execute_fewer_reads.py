"""Fewer reads, same guarantees (planner/execute/indexes.py and CreateUser.create_first):

- a create/link no earlier run started posts first; a 409 is read live and handled as a check
  would (``already`` when as planned, patched when not);
- the next action on a user reads Sigma's answer to the previous one instead of asking again;
- verification trusts only the answers to this run's writes and reads everything else again;
- the stale check's member listing serves the run's member checks.
Counts are the sandbox's own request counters; parallelism 1 keeps them exact.
"""

from __future__ import annotations

import httpx2
import msgspec
import pytest

from planner.execute.actions import Clients, attributes_owned_elsewhere
from planner.execute.apply import apply_plan, build_clients
from planner.execute.indexes import UserIndex
from planner.execute.journal import Journal
from planner.execute.runner import _RetryCounter
from planner.execute.targets import Redactor
from planner.execute.verify import verify
from planner.planfile import read_plan

from .execute_support import counting_sandbox, create, link, options_for, write_test_plan


@pytest.fixture
def sb():
    server, counter = counting_sandbox()
    yield server, counter
    server.close()


def scim_user(server, user_name: str, user_type: str) -> None:
    """The user the plan creates, provisioned by the IdP itself (not this tool) with its own id as the externalId, as
    Okta and Entra send it: the plan's ``target.idpId`` (:func:`tests.execute_support.create`), the same IdP user
    (another would be drift: verify18 finding 1)."""
    httpx2.post(f"{server.scim_base_url}/Users", headers=server.scim_headers(),
                json={"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": user_name,
                      "externalId": "idp-" + user_name,
                      "name": {"givenName": "New", "familyName": "Hire"}, "userType": user_type}).raise_for_status()


def scim_user_after_the_stale_check(monkeypatch, server, user_name: str, user_type: str) -> None:
    """The IdP provisions the user right after the stale check passed (made before it, the user
    would be an impostor the check refuses: tests/test_execute_impostors.py)."""
    import planner.execute.apply as apply_module

    check = apply_module.check_stale

    def then_the_idp_creates(*args, **kwargs):
        drifts = check(*args, **kwargs)
        scim_user(server, user_name, user_type)
        return drifts

    monkeypatch.setattr(apply_module, "check_stale", then_the_idp_creates)


def test_a_first_apply_reads_no_scim_user_it_creates_or_just_wrote(tmp_path, sb):
    server, counter = sb
    plan = write_test_plan(tmp_path, fingerprints={})

    report = apply_plan(plan, options_for(server, auto_approve=True, parallelism=1))

    assert report.status == "converged" and report.writes == 8
    assert counter.total() == 8 and set(counter.writes.values()) == {1}
    # u1, u2, u3 post first; a1 reads u2's answer; the group resolves ids the creates returned;
    # verification trusts the answers to the creates. Left: the preflight's count=1, its SCIM
    # organization check (the plan's one member, admin@), and o'brien once, whose a1 PATCH the
    # sandbox answered 204 No Content (no end state to trust); and the externalId each of u1, u2, u3 sends, read by
    # the stale check and by the verification (no other SCIM user may hold it: tester14b finding 7); and one filter
    # for the members d1, g1 and r1 edit through REST (no IdP may have provisioned them since: tester14b finding 12)
    assert server.request_counts["GET /scim/v2/Users"] == 3 + 3 + 3 + 1
    assert server.status_counts[("PATCH /scim/v2/Users/{id}", 204)] == 1
    assert server.request_counts["GET /scim/v2/Users/{id}"] == 0
    # t1: its verification (its link posts first), by the team's id (a linked team's SCIM id), no search by name;
    # and the externalId it sends, read by the stale check and by the verification (no other SCIM group may hold
    # it: tester16b finding 2)
    assert (server.request_counts["GET /scim/v2/Groups/{id}"], server.request_counts["GET /scim/v2/Groups"]) == (1, 2)
    assert server.request_counts["GET /v2/members/{memberId}"] == 4  # d1, g1: check and verification


def test_a_reapply_reads_every_target_again(tmp_path, sb):
    server, counter = sb
    plan = write_test_plan(tmp_path, fingerprints={})
    apply_plan(plan, options_for(server, auto_approve=True, parallelism=1))
    server.faults.reset_counts()
    counter.attempts.clear()

    again = apply_plan(plan, options_for(server, auto_approve=True, parallelism=1))

    assert again.mode == "reapply" and again.writes == 0 and again.status == "converged"
    assert counter.attempts == {}  # no create was posted: not first attempts, so each was read first
    # preflight 1 + its SCIM organization check 1; checks of u1, u2, u3 (a1 reuses u2's read);
    # verification reads all three again, and the externalId each sends (the stale check reads none: every create
    # and link was started by the first run), and one filter for the members d1, g1 and r1 edit through REST
    assert server.request_counts["GET /scim/v2/Users"] == 1 + 1 + 3 + 3 + 3 + 1


def test_a_user_the_idp_already_made_is_already_so_not_written(tmp_path, sb, monkeypatch):
    server, counter = sb
    scim_user_after_the_stale_check(monkeypatch, server, "new@example.com", "Viewer")
    plan = write_test_plan(tmp_path, [create("u3", "new@example.com")], fingerprints={})

    report = apply_plan(plan, options_for(server, auto_approve=True))

    assert report.results["u3"].state == "done" and report.results["u3"].outcome == "already"
    assert report.writes == 0 and report.status == "converged"
    key = "POST /scim/v2/Users new@example.com"
    assert counter.attempts[key] == 2 and counter.writes[key] == 1  # the IdP's create; ours got 409
    assert server.status_counts[("POST /scim/v2/Users", 409)] == 1


def test_a_user_the_idp_made_differently_is_patched_with_its_before_image(tmp_path, sb, monkeypatch):
    server, counter = sb
    scim_user_after_the_stale_check(monkeypatch, server, "new@example.com", "Viewer")
    plan = write_test_plan(tmp_path, [create("u3", "new@example.com", user_type="Pro")], fingerprints={})

    report = apply_plan(plan, options_for(server, auto_approve=True))

    assert report.results["u3"].outcome == "written" and report.status == "converged"
    assert server.state.scim_user_rows(user_name="new@example.com")[0]["member_type"] == "Pro"
    scim_id = server.state.scim_user_rows(user_name="new@example.com")[0]["scim_id"]
    assert counter.writes[f"PATCH /scim/v2/Users/{scim_id}"] == 1
    journal = Journal.open(plan, read_plan(plan).digest, [])
    before = journal.rows()["u3"].before_image
    journal.close()
    assert before["userName"] == "new@example.com" and before["userType"] == "Viewer"


def test_verification_reads_live_what_this_run_did_not_write(tmp_path, sb):
    server, _ = sb
    actions = [link("u1", "m1", "alice@example.com", "Pro", "Alice"), create("u3", "new@example.com")]
    plan_path = write_test_plan(tmp_path, actions, fingerprints={})
    apply_plan(plan_path, options_for(server, auto_approve=True))
    plan = read_plan(plan_path)
    clients: Clients = build_clients(plan, options_for(server), Redactor(), _RetryCounter())
    clients.owned_elsewhere = attributes_owned_elsewhere(plan.actions)
    run_index = UserIndex()
    stale_alice = msgspec.structs.replace(clients.scim.find_user("alice@example.com"), user_type="Viewer")
    run_index.put("alice@example.com", stale_alice)  # read during a run, not written: not trusted
    run_index.put("new@example.com", clients.scim.find_user("new@example.com"), written=True)
    clients.users = run_index.from_writes()
    server.faults.reset_counts()
    try:
        verification = verify(plan.actions, clients)
    finally:
        clients.rest and clients.rest.close()
        clients.scim.close()

    assert verification.converged  # alice was read live (Pro), not taken from the stale read
    assert server.request_counts["GET /scim/v2/Users"] == 1 + 2  # alice; the externalIds u1 and u3 send


def test_the_stale_checks_member_listing_serves_the_member_checks(tmp_path, sb, monkeypatch):
    import planner.execute.apply as apply_module

    monkeypatch.setattr(apply_module, "BULK_MEMBER_READS", 2)
    server, counter = sb
    plan = write_test_plan(tmp_path)  # fingerprints for m1, m2, m3, m4 and teams t1

    report = apply_plan(plan, options_for(server, auto_approve=True, parallelism=1))

    assert report.status == "converged" and counter.total() == 8
    assert server.request_counts["GET /v2/members"] == 2  # the preflight's limit=1, one listing
    assert server.request_counts["GET /v2/members/{memberId}"] == 2  # d1, g1: only their verification


def test_a_group_the_idp_already_linked_is_already_so_not_written(tmp_path, sb, monkeypatch):
    """A group link posts first too (CreateGroup.create_first): the IdP linked Finance right after the
    stale check, so our POST gets 409, the live read finds it as planned: ``already``, nothing written."""
    import planner.execute.apply as apply_module

    from .execute_support import GROUP_FINANCE, act
    from planner.model import ActionKind

    server, counter = sb
    check = apply_module.check_stale

    def then_the_idp_links(*args, **kwargs):
        drifts = check(*args, **kwargs)
        httpx2.post(f"{server.scim_base_url}/Groups", headers=server.scim_headers(),
                    json={"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "displayName": "Finance",
                          "externalId": "g-finance"}).raise_for_status()  # the plan's IdP group (GROUP_FINANCE)
        return drifts

    monkeypatch.setattr(apply_module, "check_stale", then_the_idp_links)
    plan = write_test_plan(tmp_path, [act("t1", ActionKind.SCIM_LINK_GROUP, GROUP_FINANCE, {"displayName": "Finance"},
                                          before={"name": "Finance"}, evidence={"rule": "teams.mapping"})],
                           fingerprints={})

    report = apply_plan(plan, options_for(server, auto_approve=True, parallelism=1))

    assert report.results["t1"].state == "done" and report.results["t1"].outcome == "already"
    assert report.writes == 0 and report.status == "converged"
    assert counter.attempts["POST /scim/v2/Groups Finance"] == 2 and counter.writes["POST /scim/v2/Groups Finance"] == 1
    assert server.status_counts[("POST /scim/v2/Groups", 409)] == 1
    # the 409's live read, the verification: each by the team's id (a linked team's SCIM id), no search by name;
    # the externalId t1 sends, read by the stale check and by the verification (tester16b finding 2)
    assert (server.request_counts["GET /scim/v2/Groups/{id}"], server.request_counts["GET /scim/v2/Groups"]) == (2, 2)


@pytest.mark.parametrize("kind, attempts, expected", [
    ("scim.link_group", 1, True), ("scim.create_group", 1, True), ("scim.link_user", 1, True),
    ("scim.link_group", 2, False), ("scim.set_group_members", 1, False),
])
def test_a_killed_first_group_post_may_have_written(kind, attempts, expected):
    """A group link/create posts before recording its before-image, as a user create does: killed
    during its first attempt, it may have written (resume then says ``written``, not ``already``)."""
    from planner.execute.actions import may_have_written
    from planner.execute.journal import JournalRow

    row = JournalRow("t1", 0, kind, "running", attempts, 0, None, None, None, {}, None, None)
    assert may_have_written(row) is expected
