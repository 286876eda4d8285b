"""The body apply posts to create or link a SCIM user (``planned_user``, a msgspec
:class:`ScimUserCreation`) is the body scim2-models' ``SigmaUser`` dumps under the
creation-request context, value for value, and one scim2-models takes back as a creation request;
an address scim2-models' ``Email`` refuses fails the action with the same one line."""

from __future__ import annotations

import pytest
from msgspec.structs import replace
from scim2_models import Context, Email, Name

from planner.execute.actions import ActionInputError, planned_user
from planner.execute.scim_client import SigmaUser, creation_body
from planner.model import ActionKind

from .execute_support import act, create, link


def scim2_models_body(action) -> dict:
    """The body as apply built it before: a scim2-models ``SigmaUser``, dumped for a creation request."""
    after, target = action.after, action.target
    given, family = after.given_name or None, after.family_name or None
    user = SigmaUser(
        user_name=target.user_name,
        external_id=target.idp_id,
        name=Name(given_name=given, family_name=family) if (given or family) else None,
        emails=[Email(value=after.email or target.email, type="work", primary=True)],
        user_type=after.user_type or None,
        active=after.active,
    )
    return user.model_dump(scim_ctx=Context.RESOURCE_CREATION_REQUEST)


def with_after(action, **after):
    return replace(action, after=replace(action.after, **after))


def inactive_link_without_type():
    return act("L9", ActionKind.SCIM_LINK_USER,
               {"memberId": "m9", "email": "ivan@example.com", "userName": "ivan@example.com", "idpId": "00u9"},
               {"userName": "ivan@example.com", "givenName": "", "familyName": "", "active": False},
               before={"memberType": "Viewer", "userKind": "internal"}, evidence={"key": "email", "idpField": "email"})


CASES = [
    create("C1", "new@example.com", "Pro"),
    link("L1", "m1", "alice@example.com", "Viewer", "Alice"),
    with_after(link("L2", "m2", "o'brien@example.com"), given_name=""),  # family name only
    with_after(link("L3", "m3", "zoë@example.com", given="Zoë"), family_name=""),  # given name only, non-ASCII
    with_after(create("C2", "bob@example.com"), email="Bob.Work@EXAMPLE.COM"),  # the domain is normalized
    inactive_link_without_type(),  # no name, no userType, active false
]


@pytest.mark.parametrize("action", CASES, ids=[a.id for a in CASES])
def test_the_body_is_the_scim2_models_body(action):
    body = creation_body(planned_user(action))

    assert body == scim2_models_body(action)
    assert SigmaUser.model_validate(body, scim_ctx=Context.RESOURCE_CREATION_REQUEST).model_dump(
        scim_ctx=Context.RESOURCE_CREATION_REQUEST) == body


def test_the_body_of_a_link_with_every_attribute():
    body = creation_body(planned_user(with_after(link("L1", "m1", "alice@example.com", "Pro", "Alice"),
                                                 email="Alice.Work@Example.COM")))

    assert body == {
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
        "userName": "alice@example.com",
        "externalId": "idp-m1",
        "name": {"givenName": "Alice", "familyName": "Example"},
        "emails": [{"value": "Alice.Work@example.com", "type": "work", "primary": True}],
        "userType": "Pro",
        "active": True,
    }


@pytest.mark.parametrize(("address", "reason"), [
    ("bad", "An email address must have an @-sign."),
    ("a\x01b@example.com", "The email address contains invalid characters before the @-sign: U+0001."),
    ("x@localhost", "The part after the @-sign is not valid. It should have a period."),
])
def test_an_address_scim2_models_refuses_fails_the_action_with_one_line(address, reason):
    with pytest.raises(ActionInputError) as caught:
        planned_user(with_after(create("C1", "new@example.com"), email=address))

    assert str(caught.value) == ("action C1 (scim.create_user): the SCIM User cannot be built: "
                                 f"value: value is not a valid email address: {reason}")
    with pytest.raises(ValueError):
        Email(value=address)  # scim2-models refuses it too
