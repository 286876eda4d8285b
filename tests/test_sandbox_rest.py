"""The sandbox's REST v2 side over real HTTP on 127.0.0.1 (docs/sigma-api.md §1-§4).

Seed: tests/fixtures/sandbox_seed (10 members, 3 teams, 6 account types).
"""

from __future__ import annotations

import base64

import httpx2
import pytest

ADA = "Ad4AdminAd4AdminAd4AdminAd4Ad"      # Admin, owns the API credentials
BEN = "Bn5BuilderBn5BuilderBn5Builde"      # Build, Ben.Builder@Example.com
CLEO = "Cl6ViewerCl6ViewerCl6ViewerCl"     # View
DAN = "Dn7OBrienDn7OBrienDn7OBrienDn"      # o'brien@example.com
GWEN = "Gw8GuestGw8GuestGw8GuestGw8Gu"     # guest
ARNE = "Ar9ArchivedAr9ArchivedAr9Arch"     # archived
INES = "In1InactiveIn1InactiveIn1Inac"     # inactive
FINANCE = "88858466-5299-4425-95c0-000000000001"
SALES = "88858466-5299-4425-95c0-000000000002"


@pytest.fixture
def api(sandbox):
    with httpx2.Client(base_url=sandbox.base_url, headers=sandbox.rest_headers()) as client:
        yield client


def assert_envelope(response, status: int, code: str | None = None, *, contains: str = "") -> dict:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"message", "code", "requestId"}
    if code is not None:
        assert body["code"] == code
    assert contains in body["message"]
    return body


# --------------------------------------------------------------------------- auth


def token_request(sandbox, **form):
    return httpx2.post(f"{sandbox.base_url}/v2/auth/token", data=form)


def test_client_credentials_as_form_fields(sandbox):
    r = token_request(sandbox, grant_type="client_credentials",
                      client_id=sandbox.client_id, client_secret=sandbox.client_secret)
    assert r.status_code == 200
    body = r.json()
    assert body["token_type"] == "bearer"
    assert body["expires_in"] == 3600
    assert body["access_token"] and body["refresh_token"]


def test_client_credentials_as_basic_auth(sandbox):
    basic = base64.b64encode(f"{sandbox.client_id}:{sandbox.client_secret}".encode()).decode()
    r = httpx2.post(f"{sandbox.base_url}/v2/auth/token", data={"grant_type": "client_credentials"},
                    headers={"Authorization": f"Basic {basic}"})
    assert r.status_code == 200
    token = r.json()["access_token"]
    who = httpx2.get(f"{sandbox.base_url}/v2/whoami", headers={"Authorization": f"Bearer {token}"})
    assert who.json() == {"userId": ADA, "organizationId": "0f3c2a9e-1b2d-4c5e-8f70-123456789abc",
                          "accountType": "Admin"}


def test_wrong_secret_is_401_envelope(sandbox):
    r = token_request(sandbox, grant_type="client_credentials", client_id=sandbox.client_id, client_secret="nope")
    assert_envelope(r, 401, "unauthorized")


def test_refresh_token_grant_gives_a_new_access_token_once(sandbox):
    first = token_request(sandbox, grant_type="client_credentials",
                          client_id=sandbox.client_id, client_secret=sandbox.client_secret).json()
    r = token_request(sandbox, grant_type="refresh_token", refresh_token=first["refresh_token"])
    assert r.status_code == 200
    assert r.json()["access_token"] != first["access_token"]
    again = token_request(sandbox, grant_type="refresh_token", refresh_token=first["refresh_token"])
    assert_envelope(again, 401, "unauthorized")


def test_token_endpoint_allows_one_request_per_second(sandbox_factory):
    sandbox = sandbox_factory(token_rate=1.0)
    form = dict(grant_type="client_credentials", client_id=sandbox.client_id, client_secret=sandbox.client_secret)
    assert token_request(sandbox, **form).status_code == 200
    r = token_request(sandbox, **form)
    assert_envelope(r, 429, "too_many_requests")
    assert r.headers["Retry-After"] == "1"


def test_expired_token_is_401(sandbox_factory):
    now = [1_000_000.0]
    sandbox = sandbox_factory(token_lifetime=60, clock=lambda: now[0])
    headers = sandbox.rest_headers()
    assert httpx2.get(f"{sandbox.base_url}/v2/whoami", headers=headers).status_code == 200
    now[0] += 61
    r = httpx2.get(f"{sandbox.base_url}/v2/whoami", headers=headers)
    assert_envelope(r, 401, "unauthorized", contains="Token missing or malformed")


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer wrong"}, {"Authorization": "Basic abc"}])
def test_missing_or_wrong_bearer_is_401_envelope(sandbox, headers):
    assert_envelope(httpx2.get(f"{sandbox.base_url}/v2/members", headers=headers), 401, "unauthorized")


def test_scim_token_is_not_a_rest_token(sandbox):
    r = httpx2.get(f"{sandbox.base_url}/v2/members", headers=sandbox.scim_headers())
    assert_envelope(r, 401, "unauthorized")


def test_archiving_the_credential_owner_kills_the_credentials(sandbox_factory):
    # docs/sigma-api.md §1.2: deactivating the owner of API credentials deactivates them.
    sandbox = sandbox_factory(credential_owner_id=BEN)
    sandbox.state.update_member(BEN, {"memberType": "Admin"}, actor=None)
    sandbox.state.update_member(BEN, {"isArchived": True, "newOwnerId": ADA}, actor=None)
    r = httpx2.get(f"{sandbox.base_url}/v2/members", headers=sandbox.rest_headers())
    assert_envelope(r, 401, "unauthorized", contains="deactivated")


def test_non_admin_credentials_are_403(sandbox_factory):
    sandbox = sandbox_factory(credential_owner_id=CLEO)
    r = httpx2.get(f"{sandbox.base_url}/v2/members", headers=sandbox.rest_headers())
    assert_envelope(r, 403, "forbidden")


# --------------------------------------------------------------------------- members: list


def test_list_without_limit_is_a_bare_array_of_active_members(api):
    r = api.get("/v2/members")
    assert r.status_code == 200
    emails = [m["email"] for m in r.json()]
    assert emails == [
        "scheduler-robot@sigmacomputing.com", "ada.admin@example.com", "Ben.Builder@Example.com",
        "cleo.viewer@example.com", "o'brien@example.com", "gwen@partner.example",
        "erik.embed@example.com", "sam.steward@example.com",
    ]


def test_include_flags_show_archived_and_inactive(api):
    assert len(api.get("/v2/members", params={"includeArchived": "true"}).json()) == 9
    assert len(api.get("/v2/members", params={"includeInactive": "true"}).json()) == 9
    both = api.get("/v2/members", params={"includeArchived": "true", "includeInactive": "true"}).json()
    assert {m["memberId"] for m in both} >= {ARNE, INES}
    assert len(both) == 10


def test_list_with_limit_is_paginated_until_next_page_is_null(api):
    seen, page, pages = [], None, 0
    while True:
        params = {"limit": 3, "includeArchived": "true", "includeInactive": "true"}
        if page:
            params["page"] = page
        body = api.get("/v2/members", params=params).json()
        assert set(body) == {"entries", "nextPage", "total"}
        assert body["total"] == 10
        seen += [m["memberId"] for m in body["entries"]]
        pages += 1
        page = body["nextPage"]
        if page is None:
            break
    assert pages == 4
    assert len(seen) == len(set(seen)) == 10


def test_v2_1_members_is_always_paginated(api):
    body = api.get("/v2.1/members").json()
    assert body["nextPage"] is None
    assert len(body["entries"]) == 8


@pytest.mark.parametrize("limit", ["0", "1001", "ten"])
def test_limit_out_of_range_is_400(api, limit):
    assert_envelope(api.get("/v2/members", params={"limit": limit}), 400, "bad_request")


def test_a_page_token_that_is_not_ours_is_400(api):
    assert_envelope(api.get("/v2/members", params={"limit": 2, "page": "garbage!"}), 400)


def test_email_filter_is_exact_and_case_insensitive(api):
    assert [m["memberId"] for m in api.get("/v2/members", params={"email": "ben.builder@example.com"}).json()] == [BEN]
    assert api.get("/v2/members", params={"email": "ben.builder@example"}).json() == []
    assert [m["memberId"] for m in api.get("/v2/members", params={"email": "O'Brien@Example.com"}).json()] == [DAN]


def test_email_filter_hides_archived_without_the_flag(api):
    assert api.get("/v2/members", params={"email": "arne.archived@example.com"}).json() == []
    found = api.get("/v2/members", params={"email": "arne.archived@example.com", "includeArchived": "true"})
    assert [m["memberId"] for m in found.json()] == [ARNE]


def test_member_object_keeps_every_seeded_field(api):
    member = api.get(f"/v2/members/{BEN}").json()
    assert member == {
        "organizationId": "0f3c2a9e-1b2d-4c5e-8f70-123456789abc", "memberId": BEN, "memberType": "Build",
        "firstName": "Ben", "lastName": "Builder", "email": "Ben.Builder@Example.com", "profileImgUrl": None,
        "createdBy": ADA, "updatedBy": ADA, "createdAt": "2022-03-02T11:00:00.000Z",
        "updatedAt": "2025-01-07T16:02:11.000Z", "homeFolderId": "6b1f0a52-9a0e-4c43-8d0e-000000000002",
        "userKind": "internal", "isArchived": False, "isInactive": False,
    }


def test_unknown_member_is_404_envelope(api):
    assert_envelope(api.get("/v2/members/nobody"), 404, "not_found")


# --------------------------------------------------------------------------- members: write


def test_patch_archive_hands_documents_to_new_owner(sandbox, api):
    assert sandbox.state.document_counts(CLEO) == {"owned": 2, "archived": 0}
    r = api.patch(f"/v2/members/{CLEO}", json={"isArchived": True, "newOwnerId": BEN})
    assert r.status_code == 200
    assert r.json()["isArchived"] is True
    assert sandbox.state.document_counts(CLEO) == {"owned": 0, "archived": 0}
    assert sandbox.state.document_counts(BEN) == {"owned": 4, "archived": 0}
    over_http = httpx2.get(f"{sandbox.base_url}/_sandbox/members/{BEN}/documents").json()
    assert over_http == {"owned": 4, "archived": 0}


def test_patch_archive_documents_archives_them(sandbox, api):
    assert api.patch(f"/v2/members/{CLEO}", json={"isArchived": True, "archiveDocuments": True}).status_code == 200
    assert sandbox.state.document_counts(CLEO) == {"owned": 0, "archived": 2}


def test_archive_documents_with_new_owner_is_400(api):
    r = api.patch(f"/v2/members/{CLEO}", json={"isArchived": True, "archiveDocuments": True, "newOwnerId": BEN})
    assert_envelope(r, 400, contains="archiveDocuments")


def test_new_owner_must_be_an_active_member(api):
    assert_envelope(api.patch(f"/v2/members/{CLEO}", json={"isArchived": True, "newOwnerId": ARNE}), 400)
    assert_envelope(api.patch(f"/v2/members/{CLEO}", json={"isArchived": True, "newOwnerId": "nobody"}), 404)


def test_new_owner_without_archiving_is_400(api):
    assert_envelope(api.patch(f"/v2/members/{CLEO}", json={"newOwnerId": BEN}), 400)


def test_reactivate_with_is_archived_false(api):
    r = api.patch(f"/v2/members/{ARNE}", json={"isArchived": False})
    assert r.json()["isArchived"] is False
    assert ARNE in [m["memberId"] for m in api.get("/v2/members").json()]


def test_member_type_must_be_an_account_type_exactly(api):
    assert api.patch(f"/v2/members/{CLEO}", json={"memberType": "Data Steward"}).json()["memberType"] == "Data Steward"
    assert_envelope(api.patch(f"/v2/members/{CLEO}", json={"memberType": "view"}), 404,
                    contains="Member type name is not found")
    assert_envelope(api.patch(f"/v2/members/{CLEO}", json={"memberType": "Creator"}), 404,
                    contains="Member type name is not found")


def test_user_kind_change(api):
    assert api.patch(f"/v2/members/{GWEN}", json={"userKind": "internal"}).json()["userKind"] == "internal"
    assert_envelope(api.patch(f"/v2/members/{GWEN}", json={"userKind": "external"}), 400)


def test_names_and_email_change(api):
    r = api.patch(f"/v2/members/{CLEO}", json={"firstName": "Cleopatra", "email": "cleo@example.com"})
    assert (r.json()["firstName"], r.json()["email"]) == ("Cleopatra", "cleo@example.com")


def test_email_in_use_is_409_duplicate_record(api):
    r = api.patch(f"/v2/members/{CLEO}", json={"email": "ben.builder@example.com"})
    assert_envelope(r, 409, contains="Duplicate record")


def test_is_inactive_cannot_be_written_through_rest(api):
    assert_envelope(api.patch(f"/v2/members/{CLEO}", json={"isInactive": True}), 400, contains="isInactive")


def test_unknown_field_is_400(api):
    assert_envelope(api.patch(f"/v2/members/{CLEO}", json={"isArchivd": True}), 400, contains="isArchivd")


def test_delete_archives_and_returns_empty_object(sandbox, api):
    r = api.delete(f"/v2/members/{CLEO}")
    assert (r.status_code, r.json()) == (200, {})
    assert api.get(f"/v2/members/{CLEO}").json()["isArchived"] is True
    assert sandbox.state.document_counts(ADA) == {"owned": 4, "archived": 0}   # to the credential owner


def test_create_member_with_default_account_type(api):
    r = api.post("/v2/members", json={"email": "new.hire@example.com", "firstName": "New", "lastName": "Hire"})
    assert r.status_code == 200
    created = r.json()
    assert created["memberType"] == "View"   # the cheapest type of the org
    assert created["userKind"] == "internal"
    assert len(created["memberId"]) == 29
    assert api.get(f"/v2/members/{created['memberId']}").json() == created


def test_create_member_into_teams(api):
    r = api.post("/v2/members", json={"email": "x@example.com", "firstName": "X", "lastName": "Y",
                                      "memberType": "Act", "addToTeams": [{"teamId": SALES, "isTeamAdmin": True}]})
    member_id = r.json()["memberId"]
    entries = api.get(f"/v2/teams/{SALES}/members").json()["entries"]
    assert {"userId": member_id, "isTeamAdmin": True, "addedBy": ADA} in entries


def test_create_existing_email_is_409_with_member_id(api):
    r = api.post("/v2/members", json={"email": "ARNE.archived@example.com", "firstName": "A", "lastName": "B"})
    assert_envelope(r, 409, contains=f"member-id={ARNE}")


def test_create_with_unknown_member_type_is_404(api):
    r = api.post("/v2/members", json={"email": "n@example.com", "firstName": "N", "lastName": "M", "memberType": "pro"})
    assert_envelope(r, 404, contains="Member type name is not found")


# --------------------------------------------------------------------------- teams


def test_list_teams_bare_and_paginated(api):
    assert [t["name"] for t in api.get("/v2/teams").json()] == ["Finance Analysts", "Sales EMEA", "Project Falcon (old)"]
    page = api.get("/v2.1/teams", params={"limit": 2}).json()
    assert len(page["entries"]) == 2 and page["nextPage"]
    assert "members" not in page["entries"][0]


def test_team_name_filter_is_exact(api):
    assert [t["teamId"] for t in api.get("/v2/teams", params={"name": "Sales EMEA"}).json()] == [SALES]
    assert api.get("/v2/teams", params={"name": "sales emea"}).json() == []


def test_get_team_lists_member_ids(api):
    assert api.get(f"/v2/teams/{FINANCE}").json()["members"] == [ADA, BEN, DAN, GWEN]


def test_create_update_delete_team(api):
    created = api.post("/v2/teams", json={"name": "Ops", "members": [CLEO], "createTeamFolder": True}).json()
    assert created["visibility"] == "private" and created["members"] == [CLEO] and created["workspaceId"]
    team_id = created["teamId"]
    assert api.patch(f"/v2/teams/{team_id}", json={"description": "Operations"}).json()["description"] == "Operations"
    assert_envelope(api.post("/v2/teams", json={"name": "ops"}), 409, contains="Duplicate record")
    assert api.delete(f"/v2/teams/{team_id}").json() == {}
    assert_envelope(api.get(f"/v2/teams/{team_id}"), 404)


def test_team_members_add_and_remove(api):
    r = api.patch(f"/v2/teams/{SALES}/members", json={"add": [BEN], "remove": [CLEO]})
    assert (r.status_code, r.json()) == (200, {})
    assert [e["userId"] for e in api.get(f"/v2/teams/{SALES}/members").json()["entries"]] == [INES, ARNE, BEN]


def test_inactive_members_can_be_neither_added_nor_removed(api):
    assert_envelope(api.patch(f"/v2/teams/{SALES}/members", json={"remove": [INES]}), 400, contains="inactive")
    assert_envelope(api.patch(f"/v2/teams/{FINANCE}/members", json={"add": [INES]}), 400, contains="inactive")


def test_adding_a_present_member_is_400_and_changes_nothing(api):
    r = api.patch(f"/v2/teams/{FINANCE}/members", json={"add": [CLEO, BEN]})
    assert_envelope(r, 400, contains="already")
    assert api.get(f"/v2/teams/{FINANCE}").json()["members"] == [ADA, BEN, DAN, GWEN]


def test_team_members_listing_pages(api):
    first = api.get(f"/v2/teams/{FINANCE}/members", params={"limit": 3}).json()
    assert first["total"] == 4 and len(first["entries"]) == 3
    rest = api.get(f"/v2/teams/{FINANCE}/members", params={"limit": 3, "page": first["nextPage"]}).json()
    assert [e["userId"] for e in rest["entries"]] == [GWEN] and rest["nextPage"] is None


def test_member_teams(api):
    assert [t["teamId"] for t in api.get(f"/v2/members/{BEN}/teams").json()["entries"]] == [
        FINANCE, "88858466-5299-4425-95c0-000000000003"]


# --------------------------------------------------------------------------- account types, errors


def test_account_types_page_with_page_token(api):
    first = api.get("/v2/accountTypes", params={"pageSize": 4}).json()
    assert [t["accountTypeName"] for t in first["entries"]] == ["Admin", "Build", "Analyze", "Act"]
    last = api.get("/v2/accountTypes", params={"pageSize": 4, "pageToken": first["nextPageToken"]}).json()
    assert [t["accountTypeName"] for t in last["entries"]] == ["View", "Data Steward"]
    assert "nextPageToken" not in last
    assert last["entries"][1]["isCustom"] is True


def test_unknown_endpoint_and_method_are_envelopes(api):
    assert_envelope(api.get("/v2/nothing"), 404, "not_found")
    assert_envelope(api.put(f"/v2/members/{BEN}", json={}), 405)


def test_malformed_json_is_400(api):
    r = api.patch(f"/v2/members/{BEN}", content=b"{not json", headers={"Content-Type": "application/json"})
    assert_envelope(r, 400, contains="JSON")
