"""One IdP user, one Sigma account (tester14b finding 7): a ``POST /Users`` the plan holds is refused when
another SCIM user holds the ``externalId`` it sends, and ``verify`` never calls it converged.

Sigma keys a ``POST /Users`` on its ``userName`` alone: when the IdP has provisioned the plan's IdP user under
another userName since the approval, the create made a second member, so SCIM listed two users with one
``externalId`` and apply said "converged". Against the real sandbox over HTTP; the IdP provisions through the
sandbox's SCIM endpoint with its token, as Okta would.
"""

from __future__ import annotations

import contextlib
import json
from collections import Counter
from pathlib import Path
from typing import Any, Callable, Iterator
from urllib.parse import unquote

import httpx2
import pytest

from planner.execute.apply import apply_plan
from planner.execute.approve import approve
from planner.execute.errors import ApiError, ApplyRefused
from planner.execute.external_ids import BULK_READS
from planner.execute.external_ids import holders as external_id_holders
from planner.execute.journal import journal_path
from planner.execute.scim_client import SigmaScimClient
from planner.model import Action
from planner.sandbox.server import SandboxServer

from .conftest import run_cli
from .execute_support import counting_sandbox, create, options_for, sandbox_env, small_org, write_test_plan
from .sandbox_fixture import sandbox_options


def provision(server: Any, user_name: str, external_id: str) -> dict[str, Any]:
    """The IdP's ``POST /Users`` of ``user_name`` with ``externalId`` ``external_id``: the user as answered."""
    answer = httpx2.post(f"{server.scim_base_url}/Users", headers={"Authorization": f"Bearer {server.scim_token}"},
                         json={"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": user_name,
                               "externalId": external_id, "name": {"givenName": "Nat", "familyName": "Hire"},
                               "emails": [{"value": user_name, "type": "work", "primary": True}],
                               "userType": "Pro", "active": True})
    assert answer.status_code == 201, answer.text
    return answer.json()


def holders(server: Any, external_id: str) -> list[str]:
    """The userNames of the SCIM users the sandbox holds with ``externalId`` ``external_id``."""
    return [r["email"] for r in server.state.scim_user_rows(external_id=external_id)]


@pytest.fixture
def sb(monkeypatch):
    server, counter = counting_sandbox()
    for name, value in sandbox_env(server).items():
        monkeypatch.setenv(name, value)
    yield server, counter
    server.close()


def urls(server: Any) -> list[str]:
    return ["--rest-base-url", server.base_url, "--scim-base-url", server.scim_base_url,
            "--backoff-base", "0.01", "--backoff-cap", "0.05"]


def second_account_line(plan: Any, user: dict[str, Any], action: str, kind: str) -> str:
    return (f"{plan}: plan is stale, 1 object(s) changed in Sigma since it was made: user:{user['id']} "
            f"({user['userName']}): holds externalId {user['externalId']}, which action {action} ({kind}) sends: it "
            "would give that IdP user a second Sigma account; plan again")


def refused_after_idp_provisions(tmp_path: Path, server: Any, user_name: str, external_id: str,
                                 actions: tuple[Action, ...] | None = None) -> tuple[Path, dict[str, Any], str]:
    """Approve the test plan (or one of ``actions``), let the IdP provision ``user_name`` with ``external_id``
    (:func:`provision`), apply: ``(the plan, the user the IdP made, apply's refusal)``."""
    plan = write_test_plan(tmp_path, actions)
    approve(plan, "Ada Admin")
    held = provision(server, user_name, external_id)
    with pytest.raises(ApplyRefused) as refused:
        apply_plan(plan, options_for(server))
    return plan, held, str(refused.value)


def test_a_create_whose_idp_user_scim_holds_under_another_user_name_is_refused_before_any_write(tmp_path, sb, capsys):
    server, counter = sb
    plan = write_test_plan(tmp_path)  # u3 creates new@example.com for IdP user idp-new@example.com
    approve(plan, "Ada Admin")
    held = provision(server, "n.hire@example.com", "idp-new@example.com")  # since the approval, by the IdP

    code, out, err = run_cli(capsys, "apply", str(plan), "--only", "email:new@example.com", *urls(server))

    assert code == 1
    assert err == f"sigma-migrate: error: {second_account_line(plan, held, 'u3', 'scim.create_user')}\n"
    assert counter.writes == Counter({"POST /scim/v2/Users n.hire@example.com": 1})  # the IdP's; none of apply's
    assert holders(server, "idp-new@example.com") == ["n.hire@example.com"]
    assert not journal_path(plan).exists()


def test_a_link_whose_external_id_another_scim_user_holds_is_refused(tmp_path, sb):
    server, counter = sb  # u1 links member m1 alice@example.com to IdP user idp-m1
    plan, held, refusal = refused_after_idp_provisions(tmp_path, server, "alice.smith@example.com", "idp-m1")

    assert refusal == second_account_line(plan, held, "u1", "scim.link_user")
    assert counter.total() == 1  # the IdP's POST
    assert holders(server, "idp-m1") == ["alice.smith@example.com"]


def test_the_idp_user_provisioned_with_the_planned_user_name_is_the_impostor_rule_s(tmp_path, sb):
    server, counter = sb
    plan, held, refusal = refused_after_idp_provisions(tmp_path, server, "new@example.com", "idp-new@example.com")

    assert refusal == (  # one object named once: the member the IdP made with the planned address
        f"{plan}: plan is stale, 1 object(s) changed in Sigma since it was made: member:{held['id']} "
        "(new@example.com): new since the plan, with the email action u3 (scim.create_user) would create; plan again")
    assert counter.total() == 1


class RefusingExternalIdFilter:
    """WSGI middleware: a SCIM server that does not take a filter on ``externalId`` (400 ``invalidFilter``,
    RFC 7644 §3.4.2.2) of ``endpoint``'s resources, counting the refusals and the listings (``GET /Users``, or
    ``endpoint``, with no filter)."""

    def __init__(self, app: Callable[..., Any], endpoint: str = "/Users"):
        self.app = app
        self.endpoint = endpoint
        self.refused = 0
        self.listings = 0
        self.listing_answer: dict[str, Any] | None = None
        """A page answered instead of the sandbox's, when set."""

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        query = unquote(environ.get("QUERY_STRING", ""))
        if environ.get("PATH_INFO", "").endswith(self.endpoint) and "externalId" in query:
            self.refused += 1
            body = json.dumps({"schemas": ["urn:ietf:params:scim:api:messages:2.0:Error"], "status": "400",
                               "scimType": "invalidFilter", "detail": "externalId is not filterable"}).encode()
            start_response("400 Bad Request", [("Content-Type", "application/scim+json"),
                                               ("Content-Length", str(len(body)))])
            return [body]
        if environ.get("PATH_INFO", "").endswith(self.endpoint) and "startIndex" in query and "filter" not in query:
            self.listings += 1
            if self.listing_answer is not None:
                body = json.dumps(self.listing_answer).encode()
                start_response("200 OK", [("Content-Type", "application/scim+json"), ("Content-Length", str(len(body)))])
                return [body]
        return self.app(environ, start_response)


@contextlib.contextmanager
def refusing_sandbox(endpoint: str = "/Users") -> Iterator[tuple[SandboxServer, RefusingExternalIdFilter]]:
    """A started sandbox of :func:`small_org` that does not take a filter on the ``externalId`` of ``endpoint``'s
    resources (:class:`RefusingExternalIdFilter`): ``(server, the middleware)``."""
    server = SandboxServer(small_org(), **sandbox_options(None))
    front = RefusingExternalIdFilter(server.app, endpoint)
    server.app = front
    server.start()
    try:
        yield server, front
    finally:
        server.close()


@pytest.fixture
def refusing():
    with refusing_sandbox() as started:
        yield started


def test_a_server_refusing_the_external_id_filter_is_read_from_the_listing(tmp_path, refusing):
    server, front = refusing
    plan, held, refusal = refused_after_idp_provisions(tmp_path, server, "n.hire@example.com", "idp-new@example.com",
                                                       (create("u3", "new@example.com"),))

    assert refusal == second_account_line(plan, held, "u3", "scim.create_user")
    assert (front.refused, front.listings) == (1, 1)  # the filter read of u3's externalId refused, then the listing
    assert holders(server, "idp-new@example.com") == ["n.hire@example.com"]


def not_converged(capsys: Any, server: Any, plan: Path) -> list[tuple[str, str, list[str]]]:
    """``verify plan --json`` against ``server``, which must find drift (exit 2, ``converged`` false): the
    ``(key, state, problems)`` of each object not converged."""
    code, out, err = run_cli(capsys, "verify", str(plan), "--json", *urls(server)[:4])
    assert code == 2, out + err  # drift
    found = json.loads(out)
    assert found["converged"] is False
    return [(o["key"], o["state"], o["problems"]) for o in found["objects"] if not o["converged"]]


def test_verify_does_not_call_a_create_converged_while_another_scim_user_holds_its_external_id(tmp_path, sb, capsys):
    server, counter = sb
    plan = write_test_plan(tmp_path)
    approve(plan, "Ada Admin")
    assert apply_plan(plan, options_for(server)).status == "converged"
    made = server.state.scim_user_rows(user_name="new@example.com")[0]
    held = provision(server, "n.hire@example.com", "idp-new@example.com")  # the IdP, after the apply

    assert not_converged(capsys, server, plan) == [
        ("user:new@example.com", "drifted",
         [f"scim.create_user: externalId idp-new@example.com is held by SCIM user {held['id']} (userName "
          "n.hire@example.com) too: one IdP user, two Sigma accounts"])]
    assert holders(server, "idp-new@example.com") == ["new@example.com", "n.hire@example.com"]
    assert made["scim_id"] != held["id"]


def test_many_external_ids_are_read_from_one_listing(refusing):
    # a wave of many creates: one listing, not a filter read each (the server here would refuse every filter read)
    server, front = refusing
    held = provision(server, "n.hire@example.com", "idp-new@example.com")
    scim = SigmaScimClient(server.scim_base_url, server.scim_token)
    wanted = [f"idp-{i}" for i in range(BULK_READS - 1)] + ["idp-new@example.com"]

    found = external_id_holders(scim, wanted)

    assert {e: [u.id for u in users] for e, users in found.items() if users} == {"idp-new@example.com": [held["id"]]}
    assert sorted(found) == sorted(wanted)
    assert (front.refused, front.listings) == (0, 1)
    scim.close()


def test_a_listing_page_that_is_no_list_response_is_one_line(refusing):
    server, front = refusing
    front.listing_answer = {"schemas": ["urn:ietf:params:scim:api:messages:2.0:ListResponse"], "Resources": []}
    scim = SigmaScimClient(server.scim_base_url, server.scim_token)

    with pytest.raises(ApiError) as failed:
        external_id_holders(scim, ["idp-new@example.com"])

    assert str(failed.value) == ("SCIM GET /Users?startIndex=1&count=100: 200: unexpected answer: Object missing "
                                 "required field `totalResults`")
    scim.close()


def test_a_link_whose_user_scim_holds_for_another_idp_user_is_refused_before_any_write(tmp_path, sb, capsys):
    """left19 item 7: since the approval the IdP provisioned the link's own userName (alice@example.com, member m1)
    as another IdP user (externalId idp-other). The link's POST would answer 409 and apply PATCHed that account as
    IdP user idp-m1's; now the stale check reads the link's userName first and refuses, naming the user, both
    externalIds and the action, before any write."""
    server, counter = sb  # u1 links member m1 alice@example.com to IdP user idp-m1
    plan = write_test_plan(tmp_path)
    approve(plan, "Ada Admin")
    held = provision(server, "alice@example.com", "idp-other")
    assert held["id"] == "m1"  # Sigma linked the member by its email (docs/sigma-api.md §5.3)

    code, out, err = run_cli(capsys, "apply", str(plan), "--only", "email:alice@example.com", *urls(server))

    assert code == 1
    assert err == (f"sigma-migrate: error: {plan}: plan is stale, 1 object(s) changed in Sigma since it was made: "
                   "user:m1 (alice@example.com): holds externalId 'idp-other', not 'idp-m1' which action u1 "
                   "(scim.link_user) sends: the account is another IdP user's since the plan; plan again\n")
    assert counter.writes == Counter({"POST /scim/v2/Users alice@example.com": 1})  # the IdP's; none of apply's
    assert holders(server, "idp-other") == ["alice@example.com"]
    assert not journal_path(plan).exists()
