"""Fault injection and request counters of the sandbox, switched at runtime from Python."""

from __future__ import annotations

import concurrent.futures

import httpx2
import pytest

from planner.sandbox.faults import FaultConfig, FaultSpecError, endpoint_of, parse_faults


@pytest.fixture
def api(sandbox):
    with httpx2.Client(base_url=sandbox.base_url, headers=sandbox.rest_headers()) as client:
        yield client


def test_parse_faults_flag():
    assert parse_faults("rate=5,error_ratio=0.2,latency_ms=50,page_cap=10") == FaultConfig(
        rate=5, error_ratio=0.2, latency_ms=50, page_cap=10)
    assert parse_faults("") == FaultConfig()


@pytest.mark.parametrize("spec, word", [("rate=fast", "rate"), ("error_ratio=2", "out of range"),
                                        ("speed=1", "unknown item")])
def test_parse_faults_rejects_bad_items(spec, word):
    with pytest.raises(FaultSpecError, match=word):
        parse_faults(spec)


@pytest.mark.parametrize("method, path, key", [
    ("GET", "/v2/members", "GET /v2/members"),
    ("PATCH", "/v2/members/Ab12", "PATCH /v2/members/{memberId}"),
    ("GET", "/v2.1/members", "GET /v2.1/members"),
    ("PATCH", "/v2/teams/25d4/members", "PATCH /v2/teams/{teamId}/members"),
    ("PUT", "/scim/v2/Users/abc", "PUT /scim/v2/Users/{id}"),
    ("POST", "/scim/v2/Groups", "POST /scim/v2/Groups"),
])
def test_endpoint_keys(method, path, key):
    assert endpoint_of(method, path) == key


def test_rate_limit_answers_429_with_retry_after(sandbox, api):
    sandbox.faults.set(rate=3)
    statuses = [api.get("/v2/whoami").status_code for _ in range(5)]
    assert statuses[:3] == [200, 200, 200]
    assert statuses[3:] == [429, 429]
    limited = api.get("/v2/whoami")
    assert limited.headers["Retry-After"] == "1"
    assert limited.json()["code"] == "too_many_requests"
    sandbox.faults.clear()
    assert api.get("/v2/whoami").status_code == 200


def test_rate_limit_on_scim_is_a_scim_error(sandbox):
    sandbox.faults.set(rate=1)
    headers = sandbox.scim_headers()
    httpx2.get(f"{sandbox.scim_base_url}/Users", headers=headers)
    r = httpx2.get(f"{sandbox.scim_base_url}/Users", headers=headers)
    assert r.status_code == 429
    assert r.json()["schemas"] == ["urn:ietf:params:scim:api:messages:2.0:Error"]


def test_error_ratio_is_seeded_and_repeatable(sandbox, api):
    def run() -> list[int]:
        sandbox.faults.set(error_ratio=0.5, seed=7)
        return [api.get("/v2/whoami").status_code for _ in range(20)]

    first, second = run(), run()
    assert first == second
    assert set(first) - {200} <= {500, 502, 503}
    assert 0 < sum(s != 200 for s in first) < 20


def test_every_request_fails_at_ratio_one_with_the_envelope(sandbox, api):
    sandbox.faults.set(error_ratio=1.0)
    r = api.get("/v2/members")
    assert r.status_code in (500, 502, 503)
    assert set(r.json()) == {"message", "code", "requestId"}


def test_page_cap_limits_pages_but_paging_still_reaches_everyone(sandbox, api):
    sandbox.faults.set(page_cap=2)
    body = api.get("/v2/members", params={"limit": 1000}).json()
    assert len(body["entries"]) == 2 and body["nextPage"]
    seen, page = [], None
    while True:
        params = {"limit": 1000, "includeArchived": "true", "includeInactive": "true", **({"page": page} if page else {})}
        body = api.get("/v2/members", params=params).json()
        seen += [m["memberId"] for m in body["entries"]]
        page = body["nextPage"]
        if not page:
            break
    assert len(seen) == 10
    types = api.get("/v2/accountTypes", params={"pageSize": 50}).json()
    assert len(types["entries"]) == 2 and types["nextPageToken"]


def test_page_cap_applies_to_scim_lists(sandbox):
    headers = sandbox.scim_headers()
    for email in ("ada.admin@example.com", "cleo.viewer@example.com", "o'brien@example.com"):
        user_type = {"userType": "Admin"} if email.startswith("ada.") else {}  # Ada holds the SCIM token: stays Admin
        httpx2.post(f"{sandbox.scim_base_url}/Users", headers=headers, json={
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": email,
            "name": {"givenName": "G", "familyName": "F"}, **user_type}).raise_for_status()
    sandbox.faults.set(page_cap=2)
    page = httpx2.get(f"{sandbox.scim_base_url}/Users", headers=headers, params={"count": 50}).json()
    assert (page["totalResults"], len(page["Resources"])) == (8, 2)  # the 8 members SCIM lists (not the guest)


def test_latency_is_added(sandbox, api):
    sandbox.faults.set(latency_ms=30)
    assert api.get("/v2/whoami").elapsed.total_seconds() >= 0.03


def test_request_counters_per_endpoint(sandbox, api):
    sandbox.faults.reset_counts()
    api.get("/v2/members")
    api.get("/v2/members/Bn5BuilderBn5BuilderBn5Builde")
    api.get("/v2/members/nobody")
    assert sandbox.request_counts["GET /v2/members"] == 1
    assert sandbox.request_counts["GET /v2/members/{memberId}"] == 2
    assert sandbox.status_counts[("GET /v2/members/{memberId}", 404)] == 1
    stats = httpx2.get(f"{sandbox.base_url}/_sandbox/stats").json()
    assert stats["requests"]["GET /v2/members/{memberId}"] == 2
    assert stats["state"]["members"] == 10


def test_concurrent_requests_are_served(sandbox, api):
    headers = dict(api.headers)

    def call(i: int) -> int:
        return httpx2.get(f"{sandbox.base_url}/v2/members", headers=headers).status_code

    with concurrent.futures.ThreadPoolExecutor(max_workers=8) as pool:
        assert list(pool.map(call, range(40))) == [200] * 40
    assert sandbox.request_counts["GET /v2/members"] == 40
