"""A member the plan edits through REST whom an IdP provisioned through SCIM since the plan (tester14b finding 12).

The plan's ``members.deactivate`` / ``teams.remove_member`` of a pre-SCIM member were decided while no IdP managed
them. If the IdP then provisions that person (``POST /Users`` with their email as ``userName``: Sigma links the
existing member, whose REST record may not change at all), apply must refuse before its first write, naming the
member, the email, the SCIM user and the actions, instead of locking out a person the IdP now manages. The plan's
own link (a ``--resume``, a re-apply) is no drift. One batched SCIM read for every member, counted by the sandbox.
Against the real sandbox over HTTP.
"""

from __future__ import annotations

import sqlite3

import httpx2
import pytest

from planner.execute.apply import apply_plan
from planner.execute.approve import approve
from planner.execute.errors import ApplyRefused
from planner.execute.external_ids import BULK_READS, provisioned_users
from planner.execute.journal import journal_path
from planner.execute.scim_client import SigmaScimClient
from planner.model import ActionKind

from .conftest import run_cli
from .execute_support import (
    act, counting_sandbox, link, member_state, options_for, sandbox_env, small_plan_actions, write_test_plan,
)


@pytest.fixture
def sb():
    server, counter = counting_sandbox()
    yield server, counter
    server.close()


def provision(server, user_name: str, external_id: str) -> dict:
    """The IdP provisions ``user_name`` as an IdP would (``POST /Users``): Sigma links the member with that email."""
    answer = httpx2.post(f"{server.scim_base_url}/Users", headers={"Authorization": f"Bearer {server.scim_token}"},
                         json={"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": user_name,
                               "externalId": external_id, "active": True,
                               "name": {"givenName": "Old", "familyName": "Example"}})
    assert answer.status_code == 201, answer.text
    return answer.json()


STALE_M3 = ("member:m3 (old@example.com): SCIM user m3 (externalId 00u-old) manages it now, provisioned by the IdP "
            "since the plan; r1 (teams.remove_member), d1 (members.deactivate) would still edit it through REST as a "
            "member no IdP manages")


def test_a_member_the_idp_provisioned_since_the_plan_refuses_apply_before_any_write(tmp_path, sb, capsys,
                                                                                      monkeypatch):
    server, counter = sb
    plan = write_test_plan(tmp_path)  # r1 removes m3 (old@) from Finance, d1 deactivates m3
    approve(plan, "Ada Admin")
    user = provision(server, "old@example.com", "00u-old")
    assert (user["id"], member_state(server, "m3")["isArchived"]) == ("m3", False)  # the REST record did not move
    writes = counter.total()
    server.faults.reset_counts()

    with pytest.raises(ApplyRefused) as refused:  # was: r1 removed m3 from Finance, then d1 failed 403
        apply_plan(plan, options_for(server))

    assert str(refused.value) == (
        f"{plan}: plan is stale, 1 object(s) changed in Sigma since it was made: {STALE_M3}; plan again")
    assert counter.total() == writes
    assert not journal_path(plan).exists()
    assert member_state(server, "m3")["isArchived"] is False
    assert "m3" in [m["userId"] for m in server.state.list_team_members("t1")[0]]
    # one SCIM read more than before for every member the plan edits through REST (m3, m4): the preflight, the
    # organization check's three probes, the externalIds u1, u2, u3 send (one filter each), then this check's one
    # filter, userName eq "guest@partner.example" or userName eq "old@example.com"
    assert server.request_counts["GET /scim/v2/Users"] == 1 + 3 + 3 + 1

    for name, value in sandbox_env(server).items():
        monkeypatch.setenv(name, value)
    code, out, err = run_cli(capsys, "apply", str(plan), "--rest-base-url", server.base_url,
                             "--scim-base-url", server.scim_base_url)
    assert (code, err.splitlines()) == (1, [
        f"sigma-migrate: error: {plan}: plan is stale, 1 object(s) changed in Sigma since it was made: {STALE_M3}; "
        "plan again"])
    assert counter.total() == writes


def guest_plan(tmp_path):
    """``c1`` converts guest m4 to an internal member, ``l1`` then links m4 (guest@partner.example) through SCIM."""
    return write_test_plan(tmp_path, [
        act("c1", ActionKind.MEMBERS_CONVERT_GUEST, {"memberId": "m4", "email": "guest@partner.example"},
            {"userKind": "internal"}),
        link("l1", "m4", "guest@partner.example", deps=["c1"]),
    ])


def test_the_plans_own_link_is_no_drift_on_a_reapply_but_one_no_run_started_is(tmp_path, sb):
    server, counter = sb
    plan = guest_plan(tmp_path)
    approve(plan, "Ada Admin")
    assert apply_plan(plan, options_for(server)).status == "converged"
    assert counter.total() == 2

    again = apply_plan(plan, options_for(server))  # the finished plan again: l1's SCIM user is the plan's own
    assert again.status == "converged" and again.writes == 0

    # had no run started l1 (the IdP linked m4 itself), c1's REST edit would be one nobody approved
    db = sqlite3.connect(journal_path(plan))
    db.execute("UPDATE actions SET attempts=0, state='pending' WHERE action_id IN ('c1', 'l1')")
    db.commit()
    db.close()
    with pytest.raises(ApplyRefused) as refused:
        apply_plan(plan, options_for(server, resume=True))
    assert str(refused.value) == (
        f"{plan}: plan is stale, 1 object(s) changed in Sigma since it was made: member:m4 (guest@partner.example): "
        "SCIM user m4 (externalId idp-m4) manages it now, provisioned by the IdP since the plan; c1 "
        "(members.convert_guest) would still edit it through REST as a member no IdP manages; plan again")
    assert counter.total() == 2


def test_a_wave_without_the_members_rest_edit_is_not_refused(tmp_path, sb):
    """A wave (``--only``) reads only what its own actions edit: m3's REST edits wait for a later wave."""
    server, counter = sb
    plan = write_test_plan(tmp_path)
    approve(plan, "Ada Admin")
    provision(server, "old@example.com", "00u-old")
    report = apply_plan(plan, options_for(server, only=("email:alice@example.com",)))
    assert report.status == "converged"
    with pytest.raises(ApplyRefused) as refused:
        apply_plan(plan, options_for(server))
    assert str(refused.value).endswith(f"{STALE_M3}; plan again")


class Recorder:
    """WSGI middleware: the query strings of ``GET /scim/v2/Users``; a filtered one answered 400 ``invalidFilter``
    when ``refuse_filters``."""

    def __init__(self, app, refuse_filters: bool = False):
        self.app, self.refuse_filters, self.queries = app, refuse_filters, []

    def __call__(self, environ, start_response):
        if environ["REQUEST_METHOD"] == "GET" and environ["PATH_INFO"] == "/scim/v2/Users":
            query = environ.get("QUERY_STRING", "")
            self.queries.append("filter" if "filter=" in query else "list")
            if self.refuse_filters and "filter=" in query:
                start_response("400 Bad Request", [("Content-Type", "application/scim+json")])
                return [b'{"schemas": ["urn:ietf:params:scim:api:messages:2.0:Error"], "status": "400", '
                        b'"scimType": "invalidFilter", "detail": "filter not supported"}']
        return self.app(environ, start_response)


@pytest.mark.parametrize("refuse_filters, addresses, queries", [
    (False, 2, ["filter"]),  # one filter for every address: userName eq "a" or userName eq "b"
    (True, 2, ["filter", "list"]),  # a server that refuses it: one listing
    (False, BULK_READS, ["list"]),  # from BULK_READS addresses on: one listing
])
def test_the_provisioned_users_are_read_in_one_batch(sb, refuse_filters, addresses, queries):
    server, counter = sb
    provision(server, "old@example.com", "00u-old")
    recorder = Recorder(counter.app, refuse_filters)
    counter.app = recorder
    names = ["OLD@example.com", "alice@example.com"] + [f"x{i}@example.com" for i in range(addresses - 2)]
    scim = SigmaScimClient(server.scim_base_url, server.scim_token)
    try:
        found = provisioned_users(scim, names)
    finally:
        scim.close()
    assert recorder.queries == queries
    assert [(k, [(u.id, u.user_name, u.external_id) for u in v]) for k, v in found.items() if v] == [
        ("old@example.com", [("m3", "old@example.com", "00u-old")])]  # alice: listed pre-SCIM, no externalId
    assert len(found) == addresses


def test_a_rest_only_plan_without_the_scim_token_says_the_check_was_not_made(tmp_path, sb, capsys, monkeypatch):
    """A plan that sends nothing through SCIM never needed SIGMA_SCIM_TOKEN (tests/test_execute_preflight.py): it
    applies, saying in one line what the stale check could not read."""
    server, counter = sb
    plan = write_test_plan(tmp_path, [a for a in small_plan_actions() if a.id in ("r1", "d1", "g1")])
    approve(plan, "Ada Admin")
    for name, value in {**sandbox_env(server), "SIGMA_SCIM_TOKEN": ""}.items():
        monkeypatch.setenv(name, value)
    code, out, err = run_cli(capsys, "apply", str(plan), "--rest-base-url", server.base_url)
    assert code == 0, out + err
    assert [line for line in out.splitlines() if line.startswith("note:")] == [
        "note: no SCIM base URL and SIGMA_SCIM_TOKEN given: the stale check cannot tell whether an IdP provisioned "
        "through SCIM one of the 2 member(s) 3 action(s) of this run edit through REST since the plan; give "
        "--scim-base-url and SIGMA_SCIM_TOKEN to check it"]
    assert server.request_counts["GET /scim/v2/Users"] == 0 and counter.total() == 3
