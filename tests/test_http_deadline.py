"""Issue 12 item 4: every request has an overall deadline.

httpx's timeouts are per network operation: a server trickling one byte every 0.2 s never trips
a 5 s read timeout and keeps a request alive for as long as its body lasts. With the deadline the
request fails after ~1 s, whatever the pace. The server is real (127.0.0.1).
"""

from __future__ import annotations

import time

import httpx2
import pytest

from planner.execute.errors import ApiError
from planner.execute.rest_client import SigmaRestClient
from planner.execute.retry import RetryPolicy
from planner.execute.scim_client import SigmaScimClient
from planner.fetch import ApiReader, FetchError
from planner.httpio import DeadlineTransport

from .misbehaving_server import Answer, MisbehavingServer, token_answer

TRICKLE = Answer(200, {"entries": [{"memberId": f"m{i}"} for i in range(20)], "nextPage": None}, trickle=0.2)
"""About 500 bytes at 5 bytes a second: 100 s if nothing stops it."""


def test_a_trickled_rest_answer_fails_at_the_deadline():
    with MisbehavingServer({("POST", "/v2/auth/token"): token_answer(),
                            ("GET", "/v2/members"): TRICKLE}) as server:
        client = SigmaRestClient(server.base_url, "client-1", "secret-123456", timeout=5.0, deadline=1.0,
                                 retry_policy=RetryPolicy(max_attempts=2, backoff_base=0.01, backoff_cap=0.01))
        started = time.monotonic()
        with pytest.raises(ApiError) as failed:
            client.list_members()
        elapsed = time.monotonic() - started
    assert str(failed.value) == ("REST GET /v2/members: network error: 127.0.0.1: no complete answer within the 1 s "
                                 "deadline of the request (after 2 tries)")
    assert elapsed < 4.0  # two attempts of 1 s, not 100 s


def test_a_trickled_scim_answer_fails_at_the_deadline():
    with MisbehavingServer({("GET", "/scim/v2/Users"): Answer(200, {"totalResults": 0, "Resources": [],
                                                                    "schemas": ["x"] * 20}, trickle=0.2)}) as server:
        client = SigmaScimClient(server.base_url + "/scim/v2", "scim-123456", timeout=5.0, deadline=1.0,
                                 retry_policy=RetryPolicy(max_attempts=1))
        started = time.monotonic()
        with pytest.raises(ApiError) as failed:
            client.check_access()
    assert failed.value.status is None
    assert "no complete answer within the 1 s deadline of the request" in str(failed.value)
    assert time.monotonic() - started < 3.0


def test_fetch_gives_up_on_a_trickled_answer_at_the_deadline():
    with MisbehavingServer({("POST", "/v2/auth/token"): token_answer(), ("GET", "/v2/accountTypes"): TRICKLE}) as srv:
        reader = ApiReader(srv.base_url, client_id="client-1", client_secret="secret-123456", attempts=1,
                           timeout=5.0, deadline=1.0)
        started = time.monotonic()
        with pytest.raises(FetchError) as failed:
            reader.get("/v2/accountTypes")
    assert str(failed.value) == ("REST GET /v2/accountTypes: network error: 127.0.0.1: no complete answer within the "
                                 "1 s deadline of the request; check --base-url / --region and the network")
    assert time.monotonic() - started < 3.0


def test_an_answer_within_the_deadline_is_read_whole_and_a_huge_one_is_refused():
    body = {"entries": [{"memberId": "m1"}]}
    with MisbehavingServer({("GET", "/ok"): Answer(200, body), ("GET", "/big"): Answer(200, b"x" * 5000)}) as srv:
        with httpx2.Client(transport=DeadlineTransport(2.0, max_bytes=4096)) as http:
            assert http.get(srv.base_url + "/ok").json() == body
            with pytest.raises(httpx2.ReadError, match="answer larger than 0 MiB; not read"):
                http.get(srv.base_url + "/big")


def test_a_network_failure_of_apply_names_the_host_never_the_secret():
    """Tester C: `POST /v2/auth/token: ConnectError: [Errno -2] Name or service not known` named no host."""
    import socket

    with socket.socket() as probe:  # a loopback port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    client = SigmaRestClient(f"http://127.0.0.1:{port}", "client-1", "secret-123456", timeout=5.0,
                             retry_policy=RetryPolicy(max_attempts=1, backoff_base=0.01, backoff_cap=0.01))
    with pytest.raises(ApiError) as failed:
        client.list_members()
    assert str(failed.value).startswith("REST POST /v2/auth/token: network error: 127.0.0.1: ")
    assert "secret-123456" not in str(failed.value)


def test_the_answer_is_httpx2s_own_read_once_and_decoded_once():
    """The deadline transport hands back the answer httpx2's transport made, its raw body read within
    the deadline: the client decodes it once (gzip here) and times it. A second Response built from
    the body decoded it while being built, ~50 us a request (docs/performance.md, apply), and had
    no ``elapsed`` (its body was never streamed through the client)."""
    import gzip
    import json as json_module

    document = {"entries": [{"memberId": f"m{i}"} for i in range(300)]}
    packed = gzip.compress(json_module.dumps(document).encode())
    answer = Answer(200, packed, headers={"Content-Encoding": "gzip"})
    with MisbehavingServer({("GET", "/packed"): answer}) as srv:
        with httpx2.Client(transport=DeadlineTransport(2.0, max_bytes=len(packed))) as http:
            response = http.get(srv.base_url + "/packed")
    assert response.json() == document
    assert response.num_bytes_downloaded == len(packed)  # the bound is on the bytes on the wire
    assert response.headers["content-length"] == str(len(packed))
    assert response.elapsed.total_seconds() < 2.0
