"""The REST access token under 429/5xx (tester4 finding 2): every retry carries a live token, a
re-mint is retried like any request, and a re-mint that fails for good says so.

Real sandbox on 127.0.0.1 with short token lives and Sigma's token limit (one token request a
second, 429 with ``Retry-After``). :class:`TokenTimeline` is the network below the client: it
sends every request for real and only adds time (a pause after one request, so the token in
hand expires) and, at chosen moments, a token request of its own first, as another tool using
the same credentials would: the client's re-mint a moment later gets Sigma's 429 for real.
"""

from __future__ import annotations

import threading
import time
from typing import Callable

import httpx2
import pytest

from planner.execute.apply import apply_plan
from planner.execute.approve import approve
from planner.execute.errors import ApplyRefused
from planner.execute.rest_client import SigmaRestClient
from planner.execute.retry import RetryPolicy
from planner.sandbox.server import SandboxServer

from .execute_support import counting_sandbox, options_for, write_test_plan

TOKEN = "/v2/auth/token"
LIFETIME = 2
"""Seconds a sandbox token lives here (the client re-mints after 90 % of it)."""


class TokenTimeline(httpx2.BaseTransport):
    """Sends every request to the sandbox for real. After the first request ``pause_after`` accepts
    has been answered, waits :data:`LIFETIME` seconds (the token in hand expires). Before each of the
    first ``compete`` token requests after the first one, mints a token itself (another tool with the
    same credentials), so that request comes within Sigma's one-per-second limit and is answered 429."""

    def __init__(self, server: SandboxServer, pause_after: Callable[[httpx2.Request], bool], compete: int):
        self.inner = httpx2.HTTPTransport()
        self.server = server
        self.pause_after = pause_after
        self.compete = compete
        self.token_requests = 0
        self.other_tool_tokens = 0
        self.paused = False
        self.sent_tokens: list[str] = []
        self._lock = threading.Lock()

    def _mint_elsewhere(self) -> None:
        answer = httpx2.post(f"{self.server.base_url}{TOKEN}", data={
            "grant_type": "client_credentials", "client_id": self.server.client_id,
            "client_secret": self.server.client_secret})
        self.other_tool_tokens += answer.status_code == 200  # a 429 here: its last token is < 1 s old anyway

    def handle_request(self, request: httpx2.Request) -> httpx2.Response:
        if request.url.path == TOKEN:
            with self._lock:
                self.token_requests += 1
                compete = 1 < self.token_requests and self.compete > 0
                self.compete -= compete
            if compete:
                self._mint_elsewhere()
        else:
            self.sent_tokens.append(request.headers.get("authorization", ""))
        response = self.inner.handle_request(request)
        with self._lock:
            pause = not self.paused and self.pause_after(request)
            self.paused = self.paused or pause
        if pause:
            response.read()
            time.sleep(LIFETIME)
        return response

    def close(self) -> None:
        self.inner.close()


def is_write(request: httpx2.Request) -> bool:
    return request.method in ("POST", "PATCH", "PUT", "DELETE") and request.url.path != TOKEN


def token_statuses(server: SandboxServer) -> dict[int, int]:
    return {status: n for (endpoint, status), n in server.status_counts.items() if endpoint == f"POST {TOKEN}"}


def unauthorized(server: SandboxServer) -> int:
    return sum(n for (_, status), n in server.status_counts.items() if status == 401)


@pytest.fixture
def timed_sandbox():
    server, counter = counting_sandbox(token_lifetime=LIFETIME, token_rate=1.0)
    server.writes = counter
    yield server
    server.close()


def test_a_retry_after_the_token_expired_carries_a_new_token_not_the_expired_one(timed_sandbox):
    """The 503 answered after a pause longer than the token's life is retried with a token minted then;
    the server never sees the expired one (before: the retry resent it, 401 "Token missing or malformed")."""
    server = timed_sandbox

    class FailsAfterAPause(httpx2.BaseTransport):
        def __init__(self):
            self.inner, self.sent = httpx2.HTTPTransport(), []

        def handle_request(self, request):
            self.sent.append((request.method, request.url.path, request.headers.get("authorization")))
            if request.url.path == "/v2/whoami" and len(self.sent) == 3:  # token, members?limit=1, whoami
                time.sleep(LIFETIME)
                server.faults.set(error_ratio=1.0)  # this one attempt is answered 5xx by the sandbox
                try:
                    return self.inner.handle_request(request)
                finally:
                    server.faults.set(error_ratio=0.0)
            return self.inner.handle_request(request)

    network = FailsAfterAPause()
    client = SigmaRestClient(server.base_url, server.client_id, server.client_secret, transport=network,
                             retry_policy=RetryPolicy(max_attempts=3, backoff_base=0.01, backoff_cap=0.02),
                             min_token_interval=0)
    try:
        client.check_access()
        assert client.whoami().organization_id
    finally:
        client.close()
    assert [(m, p) for m, p, _ in network.sent] == [
        ("POST", TOKEN), ("GET", "/v2/members"), ("GET", "/v2/whoami"), ("POST", TOKEN), ("GET", "/v2/whoami")]
    first_try, retry = network.sent[2][2], network.sent[4][2]
    assert first_try != retry and client.tokens_minted == 2
    assert unauthorized(server) == 0
    assert sum(n for (e, s), n in server.status_counts.items() if e == "GET /v2/whoami" and s >= 500) == 1


def test_a_re_mint_answered_429_then_200_lets_the_run_converge(timed_sandbox, tmp_path):
    server = timed_sandbox
    network = TokenTimeline(server, pause_after=is_write, compete=1)
    plan = write_test_plan(tmp_path)
    approve(plan, "Ada Admin")

    report = apply_plan(plan, options_for(server, transport=network, parallelism=1))

    assert report.status == "converged" and report.exit_code == 0, report.summary_dict()
    assert {r.state for r in report.journal_rows.values()} == {"done"}
    assert network.paused and network.compete == 0
    statuses = token_statuses(server)
    assert statuses[429] == 1  # the re-mint met Sigma's token limit once, was retried after Retry-After
    assert statuses[200] == network.token_requests  # every token request of the client got a token in the end
    assert unauthorized(server) == 0  # no request went out with the expired token


def test_a_re_mint_refused_for_good_is_one_line_naming_the_expiry_and_the_429(timed_sandbox, tmp_path):
    server = timed_sandbox
    network = TokenTimeline(server, pause_after=lambda r: r.url.path == "/v2/whoami", compete=99)
    plan = write_test_plan(tmp_path)
    approve(plan, "Ada Admin")
    retry = RetryPolicy(max_attempts=2, backoff_base=0.01, backoff_cap=0.02)

    with pytest.raises(ApplyRefused) as refused:
        apply_plan(plan, options_for(server, transport=network, retry=retry))

    # the first read after whoami is the account types' pre-flight (tester8 finding 19), then the stale-plan check
    assert str(refused.value) == (
        f"cannot read GET /v2/accountTypes from the REST API at {server.base_url} (access token expired; re-mint "
        "failed: 429 too_many_requests: Too many token requests; at most one per second (REST POST /v2/auth/token, "
        "after 2 tries)): apply checks there that the account types the plan assigns exist; nothing was written")
    statuses = token_statuses(server)
    assert statuses[200] == 1 + network.other_tool_tokens  # the client got its first token only
    assert statuses[429] >= 2  # every try of its re-mint met Sigma's limit
    assert unauthorized(server) == 0
    assert server.writes.total() == 0  # refused before the first write
