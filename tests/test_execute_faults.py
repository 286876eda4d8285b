"""apply under faults: 429 storms with Retry-After plus 20% 5xx, and creates whose answer was lost."""

from __future__ import annotations

import threading

import httpx2

from planner.execute.apply import apply_plan
from planner.execute.approve import approve
from planner.execute.retry import RetryPolicy

from .execute_support import counting_sandbox, options_for, write_test_plan


def test_429_storm_with_retry_after_and_20_percent_5xx_still_converges(tmp_path):
    server, counter = counting_sandbox()
    try:
        server.faults.set(rate=15, error_ratio=0.2, seed=11)
        plan = write_test_plan(tmp_path)
        approve(plan, "Ada Admin")

        report = apply_plan(plan, options_for(server, retry=RetryPolicy(backoff_base=0.02, backoff_cap=0.2)))

        assert report.status == "converged", report.summary_dict()
        throttled = sum(n for (_, status), n in server.status_counts.items() if status == 429)
        failed = sum(n for (_, status), n in server.status_counts.items() if status >= 500)
        assert throttled > 0 and failed > 0  # the storm really happened
        assert max(counter.writes.values()) == 1 and counter.total() == 8  # and nothing was written twice
        assert sum(r.http_retries for r in report.journal_rows.values()) > 0
    finally:
        server.close()


class LosesFirstAnswer(httpx2.BaseTransport):
    """Sends requests for real, but drops the answer to the first request matching ``method path``
    (and ``marker`` in its body): the server did the write, the client sees a connection reset."""

    def __init__(self, method: str, path: str, marker: bytes = b""):
        self.inner = httpx2.HTTPTransport()
        self.method, self.path, self.marker = method, path, marker
        self.dropped = 0
        self._lock = threading.Lock()

    def handle_request(self, request):
        response = self.inner.handle_request(request)
        with self._lock:
            hit = (self.dropped == 0 and request.method == self.method and request.url.path == self.path
                   and self.marker in request.content)
            if hit:
                self.dropped += 1
        if hit:
            response.read()
            response.close()
            raise httpx2.ReadError("connection reset by peer (answer lost)")
        return response

    def close(self):
        self.inner.close()


def test_409_after_a_create_whose_answer_was_lost_is_a_link_not_a_failure(tmp_path):
    server, counter = counting_sandbox()
    try:
        lossy = LosesFirstAnswer("POST", "/scim/v2/Users", b'"new@example.com"')
        plan = write_test_plan(tmp_path)
        approve(plan, "Ada Admin")

        report = apply_plan(plan, options_for(server, transport=lossy))

        assert lossy.dropped == 1
        u3 = report.results["u3"]
        assert u3.state == "done" and u3.outcome == "written"
        created = server.state.scim_user_rows(user_name="new@example.com")
        assert len(created) == 1 and u3.ids["scimUserId"] == created[0]["scim_id"]
        key = "POST /scim/v2/Users new@example.com"
        assert counter.attempts[key] == 2 and counter.writes[key] == 1  # the retry got 409, nothing new made
        assert server.status_counts[("POST /scim/v2/Users", 409)] == 1
        assert report.status == "converged"
    finally:
        server.close()


def test_lost_answer_to_a_group_link_is_a_link_too(tmp_path):
    server, counter = counting_sandbox()
    try:
        lossy = LosesFirstAnswer("POST", "/scim/v2/Groups")
        plan = write_test_plan(tmp_path)
        approve(plan, "Ada Admin")

        report = apply_plan(plan, options_for(server, transport=lossy))

        assert report.results["t1"].state == "done" and report.status == "converged"
        assert counter.attempts["POST /scim/v2/Groups Finance"] == 2
        assert counter.writes["POST /scim/v2/Groups Finance"] == 1
        assert "PATCH /scim/v2/Groups/t1" not in counter.writes  # the members came with the lost create
    finally:
        server.close()


def test_409_naming_member_id_links_even_when_the_filter_finds_nothing():
    """A server whose userName filter misses the user (not the sandbox: a mock for a fault it cannot
    cause) but whose 409 says ``member-id=m9``: the create becomes a link to m9."""
    from planner.execute.actions import Clients, Executor
    from planner.execute.scim_client import SigmaScimClient

    from .execute_support import FAST_RETRY, create

    scim_json = {"content-type": "application/scim+json"}
    seen = []

    def handler(request):
        seen.append(f"{request.method} {request.url.path}")
        if request.method == "GET" and request.url.path.endswith("/Users"):
            return httpx2.Response(200, headers=scim_json, json={
                "schemas": ["urn:ietf:params:scim:api:messages:2.0:ListResponse"], "totalResults": 0, "Resources": []})
        if request.method == "POST":
            return httpx2.Response(409, headers=scim_json, json={
                "schemas": ["urn:ietf:params:scim:api:messages:2.0:Error"], "status": "409",
                "scimType": "uniqueness", "detail": "User exists: member-id=m9"})
        return httpx2.Response(200, headers=scim_json, json={
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "id": "m9",
            "userName": "New@example.com", "userType": "Viewer", "active": True, "meta": {"resourceType": "User"}})

    scim = SigmaScimClient("http://127.0.0.1:9/scim/v2", "t", transport=httpx2.MockTransport(handler),
                           retry_policy=FAST_RETRY)
    outcome, ids = Executor(Clients(rest=None, scim=scim)).execute(create("C1", "new@example.com"),
                                                                  lambda image: None, lambda ids: None)
    assert (outcome, ids) == ("written", {"scimUserId": "m9"})
    # m9 carries no externalId: apply marks it provisioned with the plan's (scim_client.py)
    assert seen == ["GET /scim/v2/Users", "POST /scim/v2/Users", "GET /scim/v2/Users", "GET /scim/v2/Users/m9",
                    "PATCH /scim/v2/Users/m9"]


def test_lost_answer_to_a_team_member_removal_is_done_after_a_second_look(tmp_path):
    server, counter = counting_sandbox()
    try:
        lossy = LosesFirstAnswer("PATCH", "/v2/teams/t1/members")
        plan = write_test_plan(tmp_path)
        approve(plan, "Ada Admin")

        report = apply_plan(plan, options_for(server, transport=lossy))

        assert lossy.dropped == 1
        assert report.results["r1"].state == "done" and report.status == "converged"
        key = "PATCH /v2/teams/t1/members -m3"
        assert counter.attempts[key] == 2 and counter.writes[key] == 1  # the retry: 400 "not in team"
        assert server.status_counts[("PATCH /v2/teams/{teamId}/members", 400)] == 1
    finally:
        server.close()


def test_a_long_wait_before_a_retry_is_said_while_it_happens(tmp_path, monkeypatch):
    """tester5 finding 11: a Retry-After the cap shortens to 300 s was waited out in silence. A wait of
    LONG_WAIT_SECONDS or more is one line on the progress sink (here lowered to 0.5 s: the sandbox's
    rate limit answers Retry-After: 1), naming status, method and path; shorter backoffs say nothing."""
    import io
    import re

    from planner.execute import retry
    from planner.execute.progress import LogProgress

    monkeypatch.setattr(retry, "LONG_WAIT_SECONDS", 0.5)
    server, counter = counting_sandbox()
    try:
        server.faults.set(rate=2, seed=3)
        plan = write_test_plan(tmp_path)
        approve(plan, "Ada Admin")
        log = io.StringIO()

        report = apply_plan(plan, options_for(server, retry=RetryPolicy(backoff_base=0.02, backoff_cap=0.2)),
                            progress=LogProgress(log))

        assert report.status == "converged"
        waits = [line.split(" ", 1)[1] for line in log.getvalue().splitlines() if " wait " in line]
        throttled = sum(n for (_, status), n in server.status_counts.items() if status == 429)
        assert throttled > 0 and len(waits) == throttled  # each 429 here told Retry-After: 1
        pattern = (r"wait    429 from (GET|POST|PATCH|PUT|DELETE) /[^ ]*: waiting 1 s before trying again "
                   r"\(Retry-After is honoured up to 300 s\)")
        assert all(re.fullmatch(pattern, w) for w in waits), waits
    finally:
        server.close()


def test_the_long_wait_line_names_the_cause_and_never_the_query():
    from planner.execute.retry import long_wait_line

    request = httpx2.Request("GET", "http://127.0.0.1/scim/v2/Users?filter=userName%20eq%20%22ann%40x.com%22")
    assert long_wait_line(request, 429, 300.0) == (
        "429 from GET /scim/v2/Users: waiting 300 s before trying again (Retry-After is honoured up to 300 s)")
    assert long_wait_line(request, 503, 12.4) == "503 from GET /scim/v2/Users: waiting 12 s before trying again"
    assert long_wait_line(request, None, 30.0) == (
        "a network error on GET /scim/v2/Users: waiting 30 s before trying again")
