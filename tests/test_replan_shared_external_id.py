"""The re-plan after a second account (tester14b finding 7): Sigma's SCIM lists two users with one ``externalId``
(one IdP user, two members, two seats). The re-plan links neither: a blocking ``scim.shared_external_id`` item names
both members with their SCIM users and the IdP user, and holds that person (was: two person rows carried the IdP id,
no item said so, and the second account stayed an active, seat-holding member without a word).

Against the real sandbox over HTTP: the IdP provisions Xavi under its own app userName, and a create keyed on the
Sigma email (what apply did before the fix) made the second account; then ``fetch`` and ``plan``."""

from __future__ import annotations

import httpx2
import pytest

from planner.model import ItemEvidence, ItemRef

from .conftest import write
from .test_replan_refused_actions import POLICY, fetch_then_plan, tiny_sandbox, users_csv

XAVI = "33333333-3333-3333-3333-333333333333"


def users_with_xavi() -> str:
    """The tiny Entra download (:func:`users_csv`: its users made now) with Xavi, made with them."""
    users = users_csv()
    made = users.splitlines()[1].rsplit(",", 1)[1]
    return users + f"{XAVI},xweber@example.com,Xavi Weber,Weber,xavi.weber3@example.com,Xavi,Member,True,{made}\n"


def provision(server, user_name: str) -> str:
    """The SCIM ``POST /Users`` of Xavi as ``user_name`` with externalId :data:`XAVI`: the SCIM id."""
    answer = httpx2.post(f"{server.scim_base_url}/Users", headers={"Authorization": f"Bearer {server.scim_token}"},
                         json={"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": user_name,
                               "externalId": XAVI, "name": {"givenName": "Xavi", "familyName": "Weber"},
                               "emails": [{"value": "xavi.weber3@example.com", "type": "work", "primary": True}],
                               "userType": "Viewer", "active": True})
    assert answer.status_code == 201, answer.text
    return answer.json()["id"]


@pytest.fixture
def server(monkeypatch):
    server = tiny_sandbox(monkeypatch)
    yield server
    server.close()


def test_one_external_id_on_two_scim_users_is_a_blocking_item_holding_the_person(tmp_path, server, capsys):
    write(tmp_path / "pol.yaml", POLICY)
    write(tmp_path / "entra/users.csv", users_with_xavi())
    managed = provision(server, "xweber@example.com")  # the IdP, under its own app userName
    second = provision(server, "xavi.weber3@example.com")  # the create keyed on the email

    _, plan = fetch_then_plan(capsys, tmp_path, server, "b3")

    [item] = [i for i in plan.review_items if i.code == "scim.shared_external_id"]
    assert (item.id, item.blocking, item.rule) == (f"scim.shared_external_id:{XAVI}", True,
                                                   "scim_state.shared_external_id")
    assert item.subject == ItemRef(idp_id=XAVI, user_name="xweber@example.com", member_ids=sorted((managed, second)))
    accounts = {
        managed: (f"member {managed} (xweber@example.com): SCIM user {managed}, userName xweber@example.com (the "
                  f"IdP's), externalId {XAVI}, active"),
        second: (f"member {second} (xavi.weber3@example.com): SCIM user {second}, userName xavi.weber3@example.com, "
                 f"externalId {XAVI}, active"),
    }
    assert item.message == (
        f"IdP user {XAVI} (xweber@example.com) has 2 Sigma accounts: {'; '.join(accounts[m] for m in sorted(accounts))}. "
        "One person, 2 seats: the plan links, creates and deactivates none of them until one account is left")
    assert item.candidates == tuple(sorted(
        (ItemRef(member_id=managed, email="xweber@example.com", user_name="xweber@example.com", scim_id=managed),
         ItemRef(member_id=second, email="xavi.weber3@example.com", user_name="xavi.weber3@example.com",
                 scim_id=second)), key=lambda r: r.member_id))
    assert item.evidence == ItemEvidence(external_id=XAVI, idp_id=XAVI)
    assert item.resolution == (
        "# no policy setting settles this: keep the account the IdP manages (its userName is the IdP's) and deactivate "
        "the other in Sigma (SCIM PATCH /Users/{id} active=false, or Administration > People), moving its documents; "
        "then fetch and plan again\n")
    # the person is held: the IdP user and both members, no action on any of them, and no other question about them
    held = sorted((p.member_id or "", p.idp_id or "", p.actions, p.review_items) for p in plan.people
                  if p.idp_id == XAVI or p.member_id in (managed, second))
    assert held == sorted([("", XAVI, (), (item.id,)), (managed, "", (), (item.id,)), (second, "", (), (item.id,))])
    assert [a.id for a in plan.actions] == ["scim.link_user:m1", "scim.link_user:mAdmin"]
    assert [i.id for i in plan.blocking_items] == [item.id]
