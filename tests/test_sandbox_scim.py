"""Sigma's SCIM semantics in the sandbox, over real HTTP on 127.0.0.1 (docs/sigma-api.md §5, §8.5, §8.6).

Seed: tests/fixtures/sandbox_seed.
"""

from __future__ import annotations

import httpx2
import pytest

ADA = "Ad4AdminAd4AdminAd4AdminAd4Ad"
BEN = "Bn5BuilderBn5BuilderBn5Builde"
CLEO = "Cl6ViewerCl6ViewerCl6ViewerCl"
DAN = "Dn7OBrienDn7OBrienDn7OBrienDn"
GWEN = "Gw8GuestGw8GuestGw8GuestGw8Gu"
ARNE = "Ar9ArchivedAr9ArchivedAr9Arch"
FINANCE = "88858466-5299-4425-95c0-000000000001"
SALES = "88858466-5299-4425-95c0-000000000002"

USER = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group"
SIGMA = "urn:sigma:scim:schemas:extension:2.0:User"
PATCH = "urn:ietf:params:scim:api:messages:2.0:PatchOp"


@pytest.fixture
def scim(sandbox):
    with httpx2.Client(base_url=sandbox.scim_base_url, headers=sandbox.scim_headers()) as client:
        yield client


@pytest.fixture
def api(sandbox):
    with httpx2.Client(base_url=sandbox.base_url, headers=sandbox.rest_headers()) as client:
        yield client


def user(user_name: str, given: str = "Given", family: str = "Family", **extra) -> dict:
    body = {"schemas": [USER], "userName": user_name, "name": {"givenName": given, "familyName": family},
            "emails": [{"value": user_name, "type": "work", "primary": True}], "active": True}
    body.update(extra)
    return body


def patch(*operations: dict) -> dict:
    return {"schemas": [PATCH], "Operations": list(operations)}


def error_of(response, status: int) -> str:
    assert response.status_code == status, response.text
    return response.json()["detail"]


# --------------------------------------------------------------------------- users


def test_post_user_with_an_existing_email_links_that_member(scim, api):
    r = scim.post("/Users", json=user("BEN.builder@example.com", "Benjamin", "Builder", userType="Analyze"))
    assert r.status_code == 201
    assert r.json()["id"] == BEN                       # SCIM id = memberId
    member = api.get(f"/v2/members/{BEN}").json()
    assert (member["memberType"], member["firstName"], member["email"]) == ("Analyze", "Benjamin",
                                                                           "Ben.Builder@Example.com")
    assert len(api.get("/v2/members", params={"email": "ben.builder@example.com"}).json()) == 1


def test_post_user_with_a_new_email_creates_a_member(scim, api):
    created = scim.post("/Users", json=user("new.hire@example.com", "New", "Hire", userType="Build")).json()
    member = api.get(f"/v2/members/{created['id']}").json()
    assert (member["email"], member["memberType"], member["userKind"]) == ("new.hire@example.com", "Build", "internal")


def test_user_type_is_case_sensitive(scim):
    detail = error_of(scim.post("/Users", json=user("x@example.com", userType="build")), 400)
    assert "build" in detail


def test_absent_user_type_is_the_org_default(scim):
    assert scim.post("/Users", json=user("x@example.com")).json()["userType"] == "View"


def test_org_default_user_type_is_configurable(sandbox_factory):
    sandbox = sandbox_factory(default_account_type="Act")
    r = httpx2.post(f"{sandbox.scim_base_url}/Users", json=user("x@example.com"), headers=sandbox.scim_headers())
    assert r.json()["userType"] == "Act"


def test_null_user_type_on_update_is_400(scim):
    created = scim.post("/Users", json=user("x@example.com", userType="Act")).json()
    replacement = user("x@example.com")
    assert "malformed" in error_of(scim.put(f"/Users/{created['id']}", json=replacement), 400)
    removal = patch({"op": "remove", "path": "userType"})
    assert "malformed" in error_of(scim.patch(f"/Users/{created['id']}", json=removal), 400)


def test_active_false_makes_the_member_inactive_and_true_reactivates(scim, api):
    scim.post("/Users", json=user("cleo.viewer@example.com", "Cleo", "Viewer", userType="View"))
    off = scim.patch(f"/Users/{CLEO}", json=patch({"op": "replace", "path": "active", "value": False}))
    assert off.status_code == 204
    assert api.get(f"/v2/members/{CLEO}").json()["isInactive"] is True
    assert CLEO not in [m["memberId"] for m in api.get("/v2/members").json()]
    scim.patch(f"/Users/{CLEO}", json=patch({"op": "replace", "value": {"active": True}}))
    assert api.get(f"/v2/members/{CLEO}").json()["isInactive"] is False


def test_user_name_change_creates_a_new_member(scim, api):
    scim.post("/Users", json=user("cleo.viewer@example.com", "Cleo", "Viewer", userType="View"))
    r = scim.patch(f"/Users/{CLEO}", json=patch({"op": "replace", "path": "userName", "value": "cleo@example.com"}))
    assert r.status_code == 204
    assert scim.get(f"/Users/{CLEO}").json()["userName"] == "cleo@example.com"   # the IdP keeps its id
    old = api.get(f"/v2/members/{CLEO}").json()
    assert (old["email"], old["isArchived"], old["isInactive"]) == ("cleo.viewer@example.com", False, False)
    new = api.get("/v2/members", params={"email": "cleo@example.com"}).json()
    assert len(new) == 1 and new[0]["memberId"] != CLEO


def test_user_name_change_onto_another_members_email_is_409(scim):
    scim.post("/Users", json=user("cleo.viewer@example.com", "Cleo", "Viewer"))
    r = scim.patch(f"/Users/{CLEO}", json=patch({"op": "replace", "path": "userName", "value": "o'brien@example.com"}))
    assert r.status_code == 409


def test_guest_user_kind_is_refused(scim):
    body = user("guest@partner.example", schemas=[USER, SIGMA], **{SIGMA: {"userKind": "guest"}})
    assert "guest" in error_of(scim.post("/Users", json=body), 400)


def test_an_existing_guest_cannot_be_linked(scim):
    assert "guest" in error_of(scim.post("/Users", json=user("gwen@partner.example", "Gwen", "Guest")), 409)


def test_an_archived_member_cannot_be_linked_until_reactivated(scim, api):
    assert "archived" in error_of(scim.post("/Users", json=user("arne.archived@example.com", "Arne", "A")), 409)
    api.patch(f"/v2/members/{ARNE}", json={"isArchived": False})
    assert scim.post("/Users", json=user("arne.archived@example.com", "Arne", "A")).json()["id"] == ARNE


def test_embed_user_kind_through_the_extension(scim, api):
    body = user("embed@example.com", schemas=[USER, SIGMA], **{SIGMA: {"userKind": "embed"}})
    created = scim.post("/Users", json=body).json()
    assert created[SIGMA] == {"userKind": "embed"}
    assert api.get(f"/v2/members/{created['id']}").json()["userKind"] == "embed"


def test_user_name_must_be_an_email_and_names_are_required(scim):
    assert "email" in error_of(scim.post("/Users", json=user("bjensen")), 400)
    body = user("x@example.com")
    del body["name"]["familyName"]
    assert "familyName" in error_of(scim.post("/Users", json=body), 400)


def test_the_same_user_name_twice_is_409(scim):
    scim.post("/Users", json=user("x@example.com"))
    assert scim.post("/Users", json=user("X@example.com")).status_code == 409


def test_filter_by_user_name_with_an_apostrophe(scim):
    scim.post("/Users", json=user("o'brien@example.com", "Dan", "O'Brien", userType="Analyze"))
    found = scim.get("/Users", params={"filter": 'userName eq "O\'Brien@example.com"'}).json()
    assert found["totalResults"] == 1
    assert found["Resources"][0]["id"] == DAN
    assert scim.get("/Users", params={"filter": 'userName eq "nobody@example.com"'}).json()["totalResults"] == 0


def test_pre_scim_members_are_listed_without_external_id_and_read_only(scim):
    listed = scim.get("/Users").json()
    by_id = {u["id"]: u for u in listed["Resources"]}
    # every member but the guest and the scheduler robot; id = memberId; no externalId (RFC 7643 §3.1)
    assert sorted(by_id) == sorted([ADA, BEN, CLEO, DAN, ARNE, "In1InactiveIn1InactiveIn1Inac",
                                    "Er2EmbedEr2EmbedEr2EmbedEr2Em", "Sm3StewardSm3StewardSm3Stewar"])
    assert all("externalId" not in u for u in listed["Resources"])
    assert (by_id[ARNE]["active"], by_id[BEN]["active"], by_id[BEN]["userType"]) == (False, True, "Build")
    found = scim.get("/Users", params={"filter": 'userName eq "ben.builder@example.com"'}).json()
    assert [u["id"] for u in found["Resources"]] == [BEN]
    assert scim.get(f"/Users/{BEN}").json()["userName"] == "Ben.Builder@Example.com"
    assert scim.get(f"/Users/{GWEN}").status_code == 404
    r = scim.patch(f"/Users/{BEN}", json=patch({"op": "replace", "path": "userType", "value": "View"}))
    assert error_of(r, 404) == (f"User '{BEN}' is not provisioned by SCIM; POST /Users with its userName links it")
    assert scim.delete(f"/Users/{BEN}").status_code == 404


def test_linking_a_listed_member_keeps_its_id_and_the_external_id(scim):
    r = scim.post("/Users", json=user("ben.builder@example.com", "Ben", "Builder", userType="Build", externalId="00u1"))
    assert (r.status_code, r.json()["id"], r.json()["externalId"]) == (201, BEN, "00u1")
    found = scim.get("/Users", params={"filter": 'userName eq "ben.builder@example.com"'}).json()
    assert [(u["id"], u.get("externalId")) for u in found["Resources"]] == [(BEN, "00u1")]


def test_pre_scim_teams_are_listed_but_not_archived_ones(scim):
    listed = scim.get("/Groups").json()["Resources"]
    assert [(g["id"], g["displayName"], "externalId" in g) for g in listed] == [
        (FINANCE, "Finance Analysts", False), (SALES, "Sales EMEA", False)]
    found = scim.get("/Groups", params={"filter": 'displayName eq "Sales EMEA"'}).json()["Resources"]
    assert [g["id"] for g in found] == [SALES]
    r = scim.patch(f"/Groups/{SALES}", json=patch({"op": "replace", "path": "displayName", "value": "X"}))
    assert error_of(r, 404) == f"Group '{SALES}' is not provisioned by SCIM; POST /Groups with its displayName links it"


def documents(sandbox, member_id: str) -> dict:
    return httpx2.get(f"{sandbox.base_url}/_sandbox/members/{member_id}/documents").json()


def test_a_scim_deactivation_hands_the_documents_to_the_provisioning_admin(sandbox, scim):
    # docs/sigma-api.md §5.3: documents go to the provisioning admin (tester8 finding 3; were kept by Cleo)
    scim.post("/Users", json=user("cleo.viewer@example.com", "Cleo", "Viewer", userType="View"))
    assert (documents(sandbox, CLEO), documents(sandbox, ADA)) == ({"owned": 2, "archived": 0},
                                                                   {"owned": 2, "archived": 0})
    scim.patch(f"/Users/{CLEO}", json=patch({"op": "replace", "path": "active", "value": False}))
    assert (documents(sandbox, CLEO), documents(sandbox, ADA)) == ({"owned": 0, "archived": 0},
                                                                   {"owned": 4, "archived": 0})
    scim.patch(f"/Users/{CLEO}", json=patch({"op": "replace", "path": "active", "value": True}))
    assert (documents(sandbox, CLEO), documents(sandbox, ADA)) == ({"owned": 0, "archived": 0},
                                                                   {"owned": 4, "archived": 0})


def test_a_put_or_a_link_with_active_false_hands_the_documents_over_too(sandbox, scim):
    scim.post("/Users", json=user("cleo.viewer@example.com", "Cleo", "Viewer", userType="View"))
    assert scim.put(f"/Users/{CLEO}", json=user("cleo.viewer@example.com", "Cleo", "Viewer", userType="View",
                                                active=False)).status_code == 200
    linked = scim.post("/Users", json=user("ben.builder@example.com", "Ben", "Builder", userType="Build",
                                           active=False))
    assert linked.status_code == 201
    assert [documents(sandbox, m)["owned"] for m in (CLEO, BEN, ADA)] == [0, 0, 6]


def test_delete_user_makes_the_member_inactive(sandbox, scim, api):
    scim.post("/Users", json=user("cleo.viewer@example.com", "Cleo", "Viewer"))
    assert scim.delete(f"/Users/{CLEO}").status_code == 204
    assert [documents(sandbox, m)["owned"] for m in (CLEO, ADA)] == [0, 4]
    assert scim.get(f"/Users/{CLEO}").status_code == 404  # deprovisioned: not listed as a pre-SCIM member
    assert api.get(f"/v2/members/{CLEO}").json()["isInactive"] is True


# --------------------------------------------------------------------------- REST on SCIM-managed objects


def test_rest_edits_of_a_scim_managed_member_are_403(scim, api):
    scim.post("/Users", json=user("ben.builder@example.com", "Ben", "Builder", userType="Build"))
    for body in ({"memberType": "Admin"}, {"isArchived": True, "newOwnerId": ADA}, {"firstName": "B"}):
        r = api.patch(f"/v2/members/{BEN}", json=body)
        assert r.status_code == 403 and "SCIM" in r.json()["message"]
    assert api.delete(f"/v2/members/{BEN}").status_code == 403


def test_rest_archive_of_a_member_never_linked_stays_allowed(scim, api):
    scim.post("/Users", json=user("ben.builder@example.com", "Ben", "Builder", userType="Build"))
    r = api.patch(f"/v2/members/{CLEO}", json={"isArchived": True, "newOwnerId": ADA})
    assert r.status_code == 200 and r.json()["isArchived"] is True


# --------------------------------------------------------------------------- groups


def test_post_group_with_an_existing_team_name_links_it(scim, api):
    ada = scim.post("/Users", json=user("ada.admin@example.com", "Ada", "Admin", userType="Admin")).json()
    r = scim.post("/Groups", json={"schemas": [GROUP], "displayName": "Finance Analysts",
                                   "members": [{"value": ada["id"]}]})
    assert r.status_code == 201
    group = r.json()
    assert group["id"] == FINANCE
    assert [m["value"] for m in group["members"]] == [ADA]
    # pre-SCIM members who are not in the group stay in the team (docs/sigma-api.md §5.4)
    assert api.get(f"/v2/teams/{FINANCE}").json()["members"] == [ADA, BEN, DAN, GWEN]


def test_rest_edits_of_a_scim_managed_team(scim, api):
    ada = scim.post("/Users", json=user("ada.admin@example.com", "Ada", "Admin", userType="Admin")).json()
    scim.post("/Groups", json={"schemas": [GROUP], "displayName": "Finance Analysts", "members": [{"value": ada["id"]}]})
    assert api.patch(f"/v2/teams/{FINANCE}", json={"description": "x"}).status_code == 403
    assert api.delete(f"/v2/teams/{FINANCE}").status_code == 403
    assert api.patch(f"/v2/teams/{FINANCE}/members", json={"add": [CLEO]}).status_code == 403
    assert api.patch(f"/v2/teams/{FINANCE}/members", json={"remove": [ADA]}).status_code == 403
    # removing a pre-SCIM leftover is the cleanup Sigma's SCIM FAQ recommends
    assert api.patch(f"/v2/teams/{FINANCE}/members", json={"remove": [BEN, GWEN]}).status_code == 200
    assert api.get(f"/v2/teams/{FINANCE}").json()["members"] == [ADA, DAN]


def test_group_members_follow_scim_patches(scim, api):
    ben = scim.post("/Users", json=user("ben.builder@example.com", "Ben", "Builder", userType="Build")).json()
    cleo = scim.post("/Users", json=user("cleo.viewer@example.com", "Cleo", "Viewer")).json()
    group = scim.post("/Groups", json={"schemas": [GROUP], "displayName": "Platform"}).json()
    assert api.get(f"/v2/teams/{group['id']}").json()["members"] == []
    scim.patch(f"/Groups/{group['id']}", json=patch({"op": "add", "path": "members",
                                                     "value": [{"value": ben["id"]}, {"value": cleo["id"]}]}))
    assert api.get(f"/v2/teams/{group['id']}").json()["members"] == [BEN, CLEO]
    scim.patch(f"/Groups/{group['id']}", json=patch({"op": "remove", "path": f'members[value eq "{ben["id"]}"]'}))
    assert api.get(f"/v2/teams/{group['id']}").json()["members"] == [CLEO]
    renamed = patch({"op": "replace", "path": "displayName", "value": "Platform Team"})
    assert scim.patch(f"/Groups/{group['id']}", json=renamed).status_code == 204
    assert api.get(f"/v2/teams/{group['id']}").json()["name"] == "Platform Team"


def test_group_member_must_be_a_provisioned_user(scim):
    r = scim.post("/Groups", json={"schemas": [GROUP], "displayName": "Ops", "members": [{"value": BEN}]})
    assert "provisioned" in error_of(r, 400)


def test_group_name_differing_only_by_case_is_409(scim):
    assert scim.post("/Groups", json={"schemas": [GROUP], "displayName": "finance analysts"}).status_code == 409


def test_filter_groups_by_display_name(scim):
    scim.post("/Groups", json={"schemas": [GROUP], "displayName": "Sales EMEA"})
    found = scim.get("/Groups", params={"filter": 'displayName eq "Sales EMEA"'}).json()
    assert [g["id"] for g in found["Resources"]] == [SALES]


def test_delete_group_deletes_the_team(scim, api):
    scim.post("/Groups", json={"schemas": [GROUP], "displayName": "Sales EMEA"})
    assert scim.delete(f"/Groups/{SALES}").status_code == 204
    assert api.get(f"/v2/teams/{SALES}").status_code == 404


# --------------------------------------------------------------------------- discovery and auth


def test_discovery_announces_the_sigma_extension(scim, sandbox):
    schemas = [s["id"] for s in scim.get("/Schemas").json()["Resources"]]
    assert SIGMA in schemas
    user_type = scim.get("/ResourceTypes/User").json()
    assert {"schema": SIGMA, "required": False} in user_type["schemaExtensions"]
    config = httpx2.get(f"{sandbox.scim_base_url}/ServiceProviderConfig").json()
    assert (config["patch"]["supported"], config["bulk"]["supported"], config["filter"]["maxResults"]) == (True, False, 100)


def test_scim_needs_the_scim_token(sandbox):
    assert httpx2.get(f"{sandbox.scim_base_url}/Users").status_code == 401
    assert httpx2.get(f"{sandbox.scim_base_url}/Users", headers=sandbox.rest_headers()).status_code == 401


def test_scim_token_dies_with_the_admin_who_set_it_up(sandbox_factory):
    """docs/sigma-api.md §5.1: the token dies when its admin is deactivated or changes account type (was: only
    archived or inactive; a downgraded admin's token went on working, tester12 finding 6)."""
    sandbox = sandbox_factory(scim_owner_id=ADA)
    users = f"{sandbox.scim_base_url}/Users?count=1"
    assert httpx2.get(users, headers=sandbox.scim_headers()).status_code == 200
    sandbox.state.update_member(ADA, {"memberType": "Build"}, actor=None)
    refused = httpx2.get(users, headers=sandbox.scim_headers())
    assert (refused.status_code, refused.json()["detail"]) == (
        401, "The admin who set up SCIM is no longer an active Admin; the token is revoked")
    sandbox.state.update_member(ADA, {"memberType": "Admin"}, actor=None)
    assert httpx2.get(users, headers=sandbox.scim_headers()).status_code == 200
    sandbox.state.update_member(ADA, {"isArchived": True, "newOwnerId": BEN}, actor=None)
    assert httpx2.get(users, headers=sandbox.scim_headers()).status_code == 401


# --------------------------------------------------------------------------- paging (tester8 finding 25)

LISTED = [ADA, BEN, CLEO, DAN, ARNE, "In1InactiveIn1InactiveIn1Inac", "Er2EmbedEr2EmbedEr2EmbedEr2Em",
          "Sm3StewardSm3StewardSm3Stewar"]


def test_a_listing_page_builds_only_its_own_users_in_the_listings_order(scim, monkeypatch):
    """At 20k members every GET /Users page built all 20k Users (~1 s a page here, ~10 s on the tester's
    machine); a page of 3 now builds 3, the pages in seq order, the total on each."""
    from planner.sandbox.scim_storage import SigmaScimStorage

    built: list[str] = []
    original = SigmaScimStorage._user_resource
    monkeypatch.setattr(SigmaScimStorage, "_user_resource",
                        lambda self, model, row: built.append(row["member_id"]) or original(self, model, row))
    pages = []
    for start in (1, 4, 7, 9):
        answer = scim.get("/Users", params={"startIndex": start, "count": 3}).json()
        pages.append((answer["totalResults"], answer["startIndex"], [u["id"] for u in answer["Resources"]]))
    assert pages == [(8, 1, LISTED[0:3]), (8, 4, LISTED[3:6]), (8, 7, LISTED[6:8]), (8, 9, [])]
    assert built == LISTED  # each user built once, by its own page
    assert scim.get("/Users", params={"count": 0}).json()["totalResults"] == 8


def test_a_groups_page_and_the_page_size_fault(scim, sandbox):
    answer = scim.get("/Groups", params={"startIndex": 2, "count": 5}).json()
    assert (answer["totalResults"], [g["id"] for g in answer["Resources"]]) == (2, [SALES])
    sandbox.faults.set(page_cap=2)
    answer = scim.get("/Users", params={"startIndex": 2, "count": 5}).json()
    assert (answer["totalResults"], [u["id"] for u in answer["Resources"]]) == (8, [BEN, CLEO])
