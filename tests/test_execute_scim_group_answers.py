"""How apply reads a SCIM Group answer (planner/execute/scim_client.py): ``GET``/``PATCH`` of
``/Groups/{id}`` and ``POST /Groups`` come back as a :class:`ScimGroupRecord` (msgspec, strict,
first ``schemas`` URN checked), after every check scim2-client makes of an answer (content type,
SCIM ``Error``, status code) but the model validation. ``GET``/``PATCH`` of ``/Users/{id}`` the same
way, as :class:`ScimUserRecord`.

The sandbox gives the real answers; a server answering something malformed is a mock transport
(the sandbox cannot be made to answer a malformed 200).
"""

from __future__ import annotations

import json

import httpx2
import pytest
from scim2_models import Group, GroupMember, PatchOp, PatchOperation

from planner.execute.actions import planned_user
from planner.execute.errors import ApiError
from planner.execute.scim_client import ScimGroupMemberRecord, ScimGroupRecord, SigmaScimClient

from .execute_support import FAST_RETRY, counting_sandbox, create

SCIM_JSON = {"content-type": "application/scim+json"}
GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group"
USER = "urn:ietf:params:scim:schemas:core:2.0:User"
ERROR = "urn:ietf:params:scim:api:messages:2.0:Error"


def answering(status: int, body: object, headers: dict | None = None) -> SigmaScimClient:
    """A client whose every request gets ``status`` with ``body`` (JSON, or bytes as they are)."""
    def handler(request: httpx2.Request) -> httpx2.Response:
        if isinstance(body, bytes):
            return httpx2.Response(status, headers=headers or SCIM_JSON, content=body)
        return httpx2.Response(status, headers=headers or SCIM_JSON, json=body)

    return SigmaScimClient("http://127.0.0.1:9/scim/v2", "t", transport=httpx2.MockTransport(handler),
                           retry_policy=FAST_RETRY)


def test_a_group_read_from_the_sandbox_is_its_answer_typed():
    server, _ = counting_sandbox()
    try:
        scim = SigmaScimClient(server.scim_base_url, server.scim_token)
        user = scim.create_user(planned_user(create("C1", "new@example.com")))
        created = scim.create_group(Group(display_name="Finance", external_id="idp-g1",
                                          members=[GroupMember(value=user.id)]))

        group = scim.get_group(created.id)
        served = httpx2.get(f"{server.scim_base_url}/Groups/{created.id}",
                            headers={"Authorization": f"Bearer {server.scim_token}"}).json()

        assert (group.id, group.display_name, group.external_id) == ("t1", "Finance", "idp-g1")
        assert group.members == [ScimGroupMemberRecord(value=user.id, display="new@example.com",
                                                       ref=f"{server.scim_base_url}/Users/{user.id}", type="User")]
        assert group.image() == served  # the before-image is the answer, attribute for attribute
        assert created == group
    finally:
        server.close()


def test_a_group_or_user_the_sandbox_does_not_have_is_none():
    """The sandbox answers 404 with a SCIM ``Error`` body (RFC 7644 §3.12): no such group or user."""
    server, _ = counting_sandbox()
    try:
        scim = SigmaScimClient(server.scim_base_url, server.scim_token)

        assert scim.get_group("nope") is None
        assert scim.get_user("nope") is None
    finally:
        server.close()


def test_a_404_error_body_is_none():
    scim = answering(404, {"schemas": [ERROR], "status": "404", "detail": "Group 'g1' not found"})

    assert scim.get_group("g1") is None
    assert scim.get_user("u1") is None


@pytest.mark.parametrize(("status", "body", "headers", "wanted"), [
    (403, {"schemas": [ERROR], "status": "403", "scimType": "sensitive", "detail": "not yours"}, None,
     "SCIM GET /Groups/g1: 403 sensitive: not yours"),
    (200, {"schemas": [USER], "id": "g1", "userName": "a@example.com"}, None,
     f"SCIM GET /Groups/g1: 200: Expected type Group but got an answer with schemas ['{USER}']"),
    (200, {"id": "g1", "displayName": "Finance"}, None,
     "SCIM GET /Groups/g1: 200: Expected type Group but got an answer with schemas None"),
    (200, {"schemas": [GROUP], "displayName": "Finance"}, None,
     "SCIM GET /Groups/g1: 200: Server response payload validation error: Object missing required field `id`"),
    (200, {"schemas": [GROUP], "id": "g1", "members": "u1"}, None,
     "SCIM GET /Groups/g1: 200: Server response payload validation error: "
     "Expected `array | null`, got `str` - at `$.members`"),
    (200, {"schemas": [GROUP], "id": "g1", "members": [{"value": 7}]}, None,
     "SCIM GET /Groups/g1: 200: Server response payload validation error: "
     "Expected `str | null`, got `int` - at `$.members[0].value`"),
    (200, {"schemas": GROUP, "id": "g1"}, None,
     "SCIM GET /Groups/g1: 200: The schemas of the response payload are not a list of strings"),
    (200, b"<html>proxy</html>", {"content-type": "text/html"}, "SCIM GET /Groups/g1: 200: <html>proxy</html>"),
    (200, b"{not json", None, "SCIM GET /Groups/g1: 200: {not json"),
    (201, {"schemas": [GROUP], "id": "g1"}, None, "SCIM GET /Groups/g1: 201: Unexpected response status code: 201"),
])
def test_a_group_answer_that_is_no_group_fails_with_one_line(status, body, headers, wanted):
    """Each check scim2-client makes (content type, SCIM ``Error``, status code, payload shape) and
    each one :func:`group_record` makes (``schemas`` URN, the attributes apply reads) fails the read
    with the answer's status and one line (RFC 7644 §3.12)."""
    scim = answering(status, body, headers)

    with pytest.raises(ApiError) as caught:
        scim.get_group("g1")

    assert str(caught.value) == wanted


def test_a_user_answer_with_the_wrong_schemas_fails():
    scim = answering(200, {"schemas": [GROUP], "id": "u1", "displayName": "Finance"})

    with pytest.raises(ApiError) as caught:
        scim.get_user("u1")

    assert str(caught.value) == f"SCIM GET /Users/u1: 200: Expected type User but got an answer with schemas ['{GROUP}']"


def test_a_patch_answer_is_the_group_or_none_on_204():
    patch = PatchOp[Group](operations=[PatchOperation(op="add", path="members", value=[{"value": "u1"}])])
    answer = {"schemas": [GROUP], "id": "g1", "displayName": "Finance", "members": [{"value": "u1"}]}

    assert answering(200, answer).patch_group("g1", patch) == ScimGroupRecord(
        schemas=[GROUP], id="g1", display_name="Finance", members=[ScimGroupMemberRecord(value="u1")])
    assert answering(204, b"").patch_group("g1", patch) is None


def test_a_group_found_by_a_search_is_the_same_record():
    listed = {"schemas": ["urn:ietf:params:scim:api:messages:2.0:ListResponse"], "totalResults": 1,
              "Resources": [{"schemas": [GROUP], "id": "g1", "displayName": "Finance", "externalId": "idp-g1",
                             "members": [{"value": "u1", "display": "a@example.com"}]}]}

    found = answering(200, listed).find_group("Finance")

    assert found == ScimGroupRecord(schemas=[GROUP], id="g1", display_name="Finance", external_id="idp-g1",
                                    members=[ScimGroupMemberRecord(value="u1", display="a@example.com")])
    assert json.loads(json.dumps(found.image())) == listed["Resources"][0]


def test_an_answer_is_decoded_from_its_bytes_never_to_text(monkeypatch):
    """scim2-client read ``response.text`` (the whole answer decoded, its charset parsed from
    ``Content-Type``) only to see whether the body was empty; the JSON is decoded from the bytes
    (docs/performance.md, ``apply``). Malformed and empty answers: the parametrized test above and
    :func:`test_a_patch_answer_is_the_group_or_none_on_204`."""
    answer = {"schemas": [GROUP], "id": "g1", "displayName": "Finance"}
    scim = answering(200, answer)
    monkeypatch.setattr(httpx2.Response, "text", property(lambda self: pytest.fail("answer decoded to text")))

    assert scim.get_group("g1") == ScimGroupRecord(schemas=[GROUP], id="g1", display_name="Finance")
    assert answering(204, b"").patch_group("g1", PatchOp[Group](operations=[
        PatchOperation(op="add", path="members", value=[{"value": "u1"}])])) is None
