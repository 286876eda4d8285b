"""What apply sends to create a SCIM resource and how it reads the answer (planner/execute/scim_client.py).

The body is the one scim2-client would build (``creation_body``), sent as built; the answer is
checked once, as scim2-client checks a creation answer: its ``schemas`` must name the model, and
it must validate. A server answering something else fails the action with a one-line
:class:`ApiError` (a mock transport: the sandbox cannot be made to answer a malformed 201).
"""

from __future__ import annotations

import json

import httpx2
import pytest

from planner.execute.actions import PlannedUserAttributes, planned_attributes, planned_user
from planner.execute.errors import ApiError
from planner.execute.scim_client import SigmaScimClient, creation_body

from .execute_support import FAST_RETRY, counting_sandbox, create, link

SCIM_JSON = {"content-type": "application/scim+json"}
USER = "urn:ietf:params:scim:schemas:core:2.0:User"


def answering(answer: dict, sent: list) -> SigmaScimClient:
    def handler(request: httpx2.Request) -> httpx2.Response:
        sent.append((request.method, request.url.path, json.loads(request.content)))
        return httpx2.Response(201, headers=SCIM_JSON, json=answer)

    return SigmaScimClient("http://127.0.0.1:9/scim/v2", "t", transport=httpx2.MockTransport(handler),
                           retry_policy=FAST_RETRY)


def test_the_create_body_is_the_scim2_client_body_and_the_sandbox_answer_is_a_typed_user():
    server, counter = counting_sandbox()
    try:
        scim = SigmaScimClient(f"{server.base_url}/scim/v2", server.scim_token)
        wanted = planned_user(create("C1", "new@example.com", "Pro"))

        created = scim.create_user(wanted)

        assert (created.user_name, created.user_type, created.active, created.external_id) == (
            "new@example.com", "Pro", True, wanted.external_id)
        assert created.id and created.emails[0].value == "new@example.com"
        assert counter.writes["POST /scim/v2/Users new@example.com"] == 1
    finally:
        server.close()


def test_the_body_sent_is_exactly_creation_body():
    sent: list = []
    wanted = planned_user(create("C1", "new@example.com"))
    answer = {**creation_body(wanted), "id": "u1", "meta": {"resourceType": "User"}}
    scim = answering(answer, sent)

    created = scim.create_user(wanted)

    assert sent == [("POST", "/scim/v2/Users", creation_body(wanted))]
    assert created.id == "u1" and created.user_name == "new@example.com"


def test_an_answer_that_is_not_a_user_fails_with_one_line():
    sent: list = []
    scim = answering({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "id": "g1",
                      "displayName": "x"}, sent)

    with pytest.raises(ApiError) as caught:
        scim.create_user(planned_user(create("C1", "new@example.com")))

    assert caught.value.status is None and caught.value.method == "POST" and caught.value.path == "/Users"
    assert "Expected type User" in caught.value.message
    assert "urn:ietf:params:scim:schemas:core:2.0:Group" in caught.value.message


@pytest.mark.parametrize(("answer", "field"), [
    ({"active": "yes"}, "$.active"),  # strict: a string is no boolean
    ({"userType": 5}, "$.userType"),
    ({"urn:sigma:scim:schemas:extension:2.0:User": {"userKind": ["internal"]}},
     "$.urn:sigma:scim:schemas:extension:2.0:User.userKind"),
])
def test_an_answer_whose_read_attribute_does_not_validate_fails_with_the_field(answer, field):
    sent: list = []
    scim = answering({"schemas": [USER], "id": "u1", "userName": "new@example.com", **answer}, sent)

    with pytest.raises(ApiError) as caught:
        scim.create_user(planned_user(create("C1", "new@example.com")))

    assert caught.value.status is None and caught.value.path == "/Users"
    assert f"at `{field}`" in caught.value.message and "\n" not in str(caught.value)


def test_an_answer_without_an_id_fails_naming_it():
    sent: list = []
    scim = answering({"schemas": [USER], "userName": "new@example.com"}, sent)

    with pytest.raises(ApiError) as caught:
        scim.create_user(planned_user(create("C1", "new@example.com")))

    assert "missing required field `id`" in caught.value.message


def test_attributes_apply_does_not_read_are_not_checked():
    """``emails`` is kept for the before-image, not read: an address Sigma answered as it
    stores it is no reason to fail the create that made it."""
    sent: list = []
    scim = answering({"schemas": [USER], "id": "u1", "userName": "new@example.com",
                      "emails": [{"value": "not an address"}], "title": "kept out"}, sent)

    created = scim.create_user(planned_user(create("C1", "new@example.com")))

    assert created.image() == {"schemas": [USER], "id": "u1", "userName": "new@example.com",
                               "emails": [{"value": "not an address"}]}


def test_requests_to_the_endpoints_parsed_once_reach_the_same_urls():
    """``/Users`` and ``/Groups`` are parsed once (ScimMediaClient endpoints); a search's filter and a
    resource path still make the URLs httpx2 would have built from the base URL."""
    seen: list[str] = []

    def handler(request: httpx2.Request) -> httpx2.Response:
        seen.append(str(request.url))
        if request.method == "POST":
            return httpx2.Response(201, headers=SCIM_JSON, json={**json.loads(request.content), "id": "u1"})
        return httpx2.Response(200, headers=SCIM_JSON, json={
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:ListResponse"], "totalResults": 0, "Resources": []})

    scim = SigmaScimClient("http://127.0.0.1:9/scim/v2/", "t", transport=httpx2.MockTransport(handler),
                           retry_policy=FAST_RETRY)
    scim.create_user(planned_user(create("C1", "new@example.com")))
    scim.find_user('o"brien@example.com')
    scim.find_group("Finance & Ops")

    assert seen == [
        "http://127.0.0.1:9/scim/v2/Users",
        "http://127.0.0.1:9/scim/v2/Users?filter=userName+eq+%22o%5C%22brien%40example.com%22",
        "http://127.0.0.1:9/scim/v2/Groups?filter=displayName+eq+%22Finance+%26+Ops%22",
    ]


@pytest.mark.parametrize("action", [
    create("C1", "new@example.com", "Pro"),
    create("C2", "viewer@example.com"),
    link("L1", "m1", "alice@example.com", "Pro", "Alice"),
])
def test_the_planned_attributes_are_those_of_the_user_posted(action):
    """The check-first and the verification compare ``planned_attributes`` (read from the action
    alone) with Sigma's user; they must be what the ``POST`` body (``planned_user``) sets."""
    wanted = planned_user(action)

    assert planned_attributes(action) == PlannedUserAttributes(wanted.user_type, wanted.active, wanted.external_id)
