"""The sandbox's REST request bodies (planner.sandbox.request_models) over real HTTP: every refusal is
Sigma's envelope with the exact status, code and sentence (the sentences the hand checks gave
before the models), except: a malformed body is refused before the member is looked up, and
values the hand checks let through are refused (isGuest, isTeamAdmin, archiveScheduledExports,
createTeamFolder not booleans; a description not a string; unknown keys in addToTeams)."""

from __future__ import annotations

import httpx2
import pytest

from planner.sandbox.server import SandboxServer

from .sandbox_fixture import SANDBOX_SEED_DIR
from .test_sandbox_rest import ARNE, BEN, CLEO, FINANCE, INES

NEW = {"email": "new@example.com", "firstName": "New", "lastName": "Person"}

REFUSALS = [
    ("POST", "/v2/members", {**NEW, "nickname": "x", "age": 3},
     400, "bad_request", "Unknown field(s) in member: age, nickname"),
    ("POST", "/v2/members", {"firstName": "New", "lastName": "Person"},
     400, "bad_request", "email is required"),
    ("POST", "/v2/members", {**NEW, "email": "  "},
     400, "bad_request", "email is required"),
    ("POST", "/v2/members", {**NEW, "email": 7},
     400, "bad_request", "email is required"),
    ("POST", "/v2/members", {**NEW, "firstName": None},
     400, "bad_request", "firstName is required"),
    ("POST", "/v2/members", {**NEW, "lastName": ""},
     400, "bad_request", "lastName is required"),
    ("POST", "/v2/members", {**NEW, "email": "not-an-email"},
     400, "bad_request", "Invalid email 'not-an-email'"),
    ("POST", "/v2/members", {**NEW, "isGuest": True, "userKind": "embed"},
     400, "bad_request", "isGuest conflicts with userKind"),
    ("POST", "/v2/members", {**NEW, "userKind": "external"},
     400, "bad_request", "userKind must be one of internal, guest, embed"),
    ("POST", "/v2/members", {**NEW, "userKind": 3},
     400, "bad_request", "userKind must be one of internal, guest, embed"),
    ("POST", "/v2/members", {**NEW, "addToTeams": "x"},
     400, "bad_request", "addToTeams must be a list of {teamId, isTeamAdmin}"),
    ("POST", "/v2/members", {**NEW, "addToTeams": [{"isTeamAdmin": True}]},
     400, "bad_request", "addToTeams must be a list of {teamId, isTeamAdmin}"),
    ("POST", "/v2/members", {**NEW, "addToTeams": [{"teamId": 5}]},
     400, "bad_request", "addToTeams must be a list of {teamId, isTeamAdmin}"),
    ("POST", "/v2/members", {**NEW, "addToTeams": ["x"]},
     400, "bad_request", "addToTeams must be a list of {teamId, isTeamAdmin}"),
    ("POST", "/v2/members", {**NEW, "memberType": "Nope"},
     404, "not_found", "Member type name is not found"),
    ("POST", "/v2/members", {**NEW, "memberType": 3},
     404, "not_found", "Member type name is not found"),
    ("POST", "/v2/members", {**NEW, "addToTeams": [{"teamId": "nope"}]},
     404, "not_found", "Team nope not found"),
    ("POST", "/v2/members", {**NEW, "email": "Ben.Builder@Example.com"},
     409, "conflict", f"A member with email Ben.Builder@Example.com already exists: member-id={BEN}"),
    ("POST", "/v2/members", {**NEW, "isGuest": "yes"},
     400, "bad_request", "isGuest must be a boolean"),
    ("POST", "/v2/members", {},
     400, "bad_request", "email is required"),
    ("PATCH", f"/v2/members/{CLEO}", {"isArchivd": True, "zz": 1},
     400, "bad_request", "Unknown field(s) in member update: isArchivd, zz"),
    ("PATCH", "/v2/members/nobody", {"isArchivd": True},
     400, "bad_request", "Unknown field(s) in member update: isArchivd"),
    ("PATCH", "/v2/members/nobody", {"firstName": ""},
     400, "bad_request", "firstName must be a non-empty string"),
    ("PATCH", f"/v2/members/{CLEO}", {"isInactive": True},
     400, "bad_request", "isInactive is set by the identity provider through SCIM, not by the REST API"),
    ("PATCH", f"/v2/members/{CLEO}", {"memberType": "view"},
     404, "not_found", "Member type name is not found"),
    ("PATCH", f"/v2/members/{CLEO}", {"firstName": ""},
     400, "bad_request", "firstName must be a non-empty string"),
    ("PATCH", f"/v2/members/{CLEO}", {"lastName": 5},
     400, "bad_request", "lastName must be a non-empty string"),
    ("PATCH", f"/v2/members/{CLEO}", {"firstName": None},
     400, "bad_request", "firstName must be a non-empty string"),
    ("PATCH", f"/v2/members/{CLEO}", {"profileImgUrl": 5},
     400, "bad_request", "profileImgUrl must be a string or null"),
    ("PATCH", f"/v2/members/{CLEO}", {"email": "bad"},
     400, "bad_request", "Invalid email 'bad'"),
    ("PATCH", f"/v2/members/{CLEO}", {"email": None},
     400, "bad_request", "Invalid email None"),
    ("PATCH", f"/v2/members/{CLEO}", {"email": "ben.builder@example.com"},
     409, "conflict", "Duplicate record"),
    ("PATCH", f"/v2/members/{CLEO}", {"userKind": "external"},
     400, "bad_request", "userKind must be one of internal, guest, embed"),
    ("PATCH", f"/v2/members/{CLEO}", {"userKind": None},
     400, "bad_request", "userKind must be one of internal, guest, embed"),
    ("PATCH", f"/v2/members/{CLEO}", {"isArchived": "true"},
     400, "bad_request", "isArchived must be a boolean"),
    ("PATCH", f"/v2/members/{CLEO}", {"isArchived": 1},
     400, "bad_request", "isArchived must be a boolean"),
    ("PATCH", f"/v2/members/{CLEO}", {"newOwnerId": BEN},
     400, "bad_request", "newOwnerId is only allowed with isArchived: true"),
    ("PATCH", f"/v2/members/{CLEO}", {"isArchived": False, "archiveDocuments": True},
     400, "bad_request", "archiveDocuments is only allowed with isArchived: true"),
    ("PATCH", f"/v2/members/{CLEO}", {"archiveScheduledExports": True},
     400, "bad_request", "archiveScheduledExports is only allowed with isArchived: true"),
    ("PATCH", f"/v2/members/{CLEO}", {"isArchived": True, "archiveDocuments": "yes"},
     400, "bad_request", "archiveDocuments must be a boolean"),
    ("PATCH", f"/v2/members/{CLEO}", {"isArchived": True, "archiveDocuments": True, "newOwnerId": BEN},
     400, "bad_request", "archiveDocuments cannot be combined with newOwnerId"),
    ("PATCH", f"/v2/members/{CLEO}", {"isArchived": True, "newOwnerId": CLEO},
     400, "bad_request", "newOwnerId must be another member"),
    ("PATCH", f"/v2/members/{CLEO}", {"isArchived": True, "newOwnerId": ARNE},
     400, "bad_request", f"newOwnerId {ARNE} is not an active member"),
    ("PATCH", f"/v2/members/{CLEO}", {"isArchived": True, "newOwnerId": 5},
     400, "bad_request", "newOwnerId must be a memberId string"),
    ("PATCH", f"/v2/members/{CLEO}", {"isArchived": True, "newOwnerId": "nobody"},
     404, "not_found", "newOwnerId nobody not found"),
    ("PATCH", f"/v2/members/{CLEO}", {"isArchived": True, "newOwnerId": None},
     400, "bad_request", "newOwnerId must be a memberId string"),
    ("PATCH", f"/v2/members/{CLEO}", {"isArchived": None},
     400, "bad_request", "isArchived must be a boolean"),
    ("PATCH", f"/v2/members/{CLEO}", {"memberType": None},
     404, "not_found", "Member type name is not found"),
    ("POST", "/v2/teams", {"name": "T", "color": "red"},
     400, "bad_request", "Unknown field(s) in team: color"),
    ("POST", "/v2/teams", {"name": "T", "visibility": "secret"},
     400, "bad_request", "visibility must be public or private"),
    ("POST", "/v2/teams", {"name": "T", "visibility": None},
     400, "bad_request", "visibility must be public or private"),
    ("POST", "/v2/teams", {"name": "T", "members": "x"},
     400, "bad_request", "members must be a list of memberIds"),
    ("POST", "/v2/teams", {"name": "T", "members": [5]},
     400, "bad_request", "Member must be a memberId string"),
    ("POST", "/v2/teams", {"name": "T", "members": ["nobody"]},
     404, "not_found", "Member nobody not found"),
    ("POST", "/v2/teams", {"name": "T", "members": [INES]},
     400, "bad_request", f"Member {INES} is not an active member"),
    ("POST", "/v2/teams", {"name": ""},
     400, "bad_request", "name is required"),
    ("POST", "/v2/teams", {"name": 5},
     400, "bad_request", "name is required"),
    ("POST", "/v2/teams", {},
     400, "bad_request", "name is required"),
    ("POST", "/v2/teams", {"visibility": "secret"},
     400, "bad_request", "visibility must be public or private"),
    ("PATCH", f"/v2/teams/{FINANCE}", {"name": "x", "color": 1},
     400, "bad_request", "Unknown field(s) in team update: color"),
    ("PATCH", "/v2/teams/nope", {"name": "x"},
     404, "not_found", "Team nope not found"),
    ("PATCH", f"/v2/teams/{FINANCE}", {"name": ""},
     400, "bad_request", "name is required"),
    ("PATCH", f"/v2/teams/{FINANCE}", {"name": None},
     400, "bad_request", "name is required"),
    ("PATCH", f"/v2/teams/{FINANCE}", {"visibility": "secret"},
     400, "bad_request", "visibility must be public or private"),
    ("PATCH", f"/v2/teams/{FINANCE}/members", {"add": [], "extra": 1},
     400, "bad_request", "Unknown field(s): extra"),
    ("PATCH", f"/v2/teams/{FINANCE}/members", {"add": "x"},
     400, "bad_request", "add and remove must be lists of memberIds"),
    ("PATCH", f"/v2/teams/{FINANCE}/members", {"add": [5]},
     400, "bad_request", "add and remove must be lists of memberIds"),
    ("PATCH", f"/v2/teams/{FINANCE}/members", {"remove": {"a": 1}},
     400, "bad_request", "add and remove must be lists of memberIds"),
    ("PATCH", f"/v2/teams/{FINANCE}/members", {"add": [f"m{i}" for i in range(101)]},
     400, "bad_request", "At most 100 member ids per request"),
    ("PATCH", f"/v2/teams/{FINANCE}/members", {"add": [BEN], "remove": [BEN]},
     400, "bad_request", f"Member {BEN} is in both add and remove"),
    ("PATCH", f"/v2/teams/{FINANCE}/members", {"add": ["nobody"]},
     404, "not_found", "Member nobody not found"),
    ("PATCH", "/v2/teams/nope/members", {"add": [BEN]},
     404, "not_found", "Team nope not found"),
    ("PATCH", f"/v2/teams/{FINANCE}/members", {"add": [INES]},
     400, "bad_request", f"Member {INES} is inactive and cannot be added to or removed from a team"),
    # stricter than the hand checks were (they let these through)
    ("POST", "/v2/members", {**NEW, "addToTeams": [{"teamId": FINANCE, "isTeamAdmin": "yes"}]},
     400, "bad_request", "addToTeams must be a list of {teamId, isTeamAdmin}"),
    ("POST", "/v2/members", {**NEW, "addToTeams": [{"teamId": FINANCE, "role": "admin"}]},
     400, "bad_request", "addToTeams must be a list of {teamId, isTeamAdmin}"),
    ("PATCH", f"/v2/members/{CLEO}", {"isArchived": True, "archiveScheduledExports": "yes"},
     400, "bad_request", "archiveScheduledExports must be a boolean"),
    ("POST", "/v2/teams", {"name": "T", "description": 5},
     400, "bad_request", "description must be a string or null"),
    ("POST", "/v2/teams", {"name": "T", "createTeamFolder": 1},
     400, "bad_request", "createTeamFolder must be a boolean"),
    ("PATCH", f"/v2/teams/{FINANCE}", {"description": ["x"]},
     400, "bad_request", "description must be a string or null"),
]


@pytest.fixture(scope="module")
def api():
    """One sandbox for every refusal: a refused request changes nothing (one transaction, rolled back)."""
    with SandboxServer(SANDBOX_SEED_DIR, token_rate=None) as sandbox:
        with httpx2.Client(base_url=sandbox.base_url, headers=sandbox.rest_headers()) as client:
            yield client


@pytest.mark.parametrize("method, path, body, status, code, message", REFUSALS)
def test_a_refused_request_is_the_exact_envelope(api, method, path, body, status, code, message):
    response = api.request(method, path, json=body)
    assert (response.status_code, response.json()["code"], response.json()["message"]) == (status, code, message)


def test_a_refusal_changed_nothing(api, sandbox):
    """After every refusal above, the organization is the seed's (``sandbox`` is a fresh one)."""
    assert api.get("/v2/members", params={"limit": 100}).json() == httpx2.get(
        f"{sandbox.base_url}/v2/members", params={"limit": 100}, headers=sandbox.rest_headers()).json()
    assert api.get("/v2/teams").json() == httpx2.get(f"{sandbox.base_url}/v2/teams",
                                                     headers=sandbox.rest_headers()).json()
