"""Retry policy: Retry-After parsing, backoff bounds, and the retrying transport.

The transport's unit cases use httpx2's MockTransport for answers the sandbox
cannot give (an HTTP-date Retry-After, a connection reset); the 429 storm and
the 5xx rate are exercised against the real sandbox in test_execute_faults.py.
"""

from __future__ import annotations

import random
from datetime import datetime, timezone

import httpx2
import pytest

from planner.execute.retry import (
    RetryPolicy,
    RetryTransport,
    Throttle,
    backoff_delay,
    parse_retry_after,
)

NOW = datetime(2026, 1, 2, 3, 4, 5, tzinfo=timezone.utc)


@pytest.mark.parametrize("header, seconds", [
    ("7", 7.0),
    (" 0 ", 0.0),
    ("Fri, 02 Jan 2026 03:04:35 GMT", 30.0),   # IMF-fixdate, RFC 9110 §5.6.7
    ("Friday, 02-Jan-26 03:04:15 GMT", 10.0),  # obsolete RFC 850 form
    ("Fri, 02 Jan 2026 03:00:00 GMT", 0.0),    # in the past: go now
    ("soon", None),
    ("-5", None),
    ("", None),
    (None, None),
])
def test_parse_retry_after(header, seconds):
    assert parse_retry_after(header, now=NOW) == seconds


def test_backoff_grows_exponentially_with_jitter_and_is_capped():
    policy = RetryPolicy(backoff_base=1.0, backoff_cap=8.0)
    rng = random.Random(1)
    for attempt, ceiling in [(1, 1.0), (2, 2.0), (3, 4.0), (4, 8.0), (9, 8.0)]:
        delays = [backoff_delay(attempt, policy, rng) for _ in range(200)]
        assert min(delays) >= ceiling / 2 and max(delays) <= ceiling
        assert len(set(delays)) > 100  # jittered, not a fixed value


def _transport(answers, **kw):
    """A RetryTransport over a MockTransport answering from ``answers`` (status codes, exceptions or
    (status, headers) pairs); records the sleeps."""
    seen, sleeps = [], []
    queue = list(answers)
    now = [1000.0]

    def sleep(seconds):
        sleeps.append(seconds)
        now[0] += seconds

    def handler(request):
        seen.append(request.method + " " + request.url.path)
        answer = queue.pop(0)
        if isinstance(answer, Exception):
            raise answer
        status, headers = answer if isinstance(answer, tuple) else (answer, {})
        return httpx2.Response(status, headers=headers, json={"message": "x"})

    kw.setdefault("policy", RetryPolicy(max_attempts=4, backoff_base=0.1, backoff_cap=1.0))
    transport = RetryTransport(httpx2.MockTransport(handler), sleep=sleep, clock=lambda: now[0],
                               rng=random.Random(0), **kw)
    return transport, seen, sleeps


def test_429_honours_retry_after_seconds():
    transport, seen, sleeps = _transport([(429, {"Retry-After": "3"}), 200])
    with httpx2.Client(transport=transport, base_url="http://127.0.0.1") as client:
        assert client.post("/x", json={"a": 1}).status_code == 200
    assert seen == ["POST /x", "POST /x"]
    assert sleeps == [3.0]
    assert transport.stats.throttled == 1 and transport.stats.retries == 1


def test_429_honours_retry_after_http_date():
    later = datetime.now(timezone.utc).timestamp() + 120
    date = datetime.fromtimestamp(later, timezone.utc).strftime("%a, %d %b %Y %H:%M:%S GMT")
    transport, _, sleeps = _transport([(429, {"Retry-After": date}), 200])
    with httpx2.Client(transport=transport, base_url="http://127.0.0.1") as client:
        client.get("/x")
    assert 100 < sleeps[0] <= 120


def test_retry_after_beyond_the_cap_is_clipped():
    policy = RetryPolicy(max_attempts=3, retry_after_cap=5.0)
    transport, _, sleeps = _transport([(429, {"Retry-After": "3600"}), 200], policy=policy)
    with httpx2.Client(transport=transport, base_url="http://127.0.0.1") as client:
        client.get("/x")
    assert sleeps == [5.0]


def test_5xx_and_network_errors_are_retried_with_backoff():
    transport, seen, sleeps = _transport([503, httpx2.ConnectError("refused"), 502, 201])
    with httpx2.Client(transport=transport, base_url="http://127.0.0.1") as client:
        assert client.post("/x").status_code == 201
    assert len(seen) == 4
    assert len(sleeps) == 3 and 0.05 <= sleeps[0] <= 0.1 and 0.1 <= sleeps[1] <= 0.2 and 0.2 <= sleeps[2] <= 0.4
    assert transport.stats.server_errors == 2 and transport.stats.network_errors == 1


@pytest.mark.parametrize("status", [400, 401, 403, 404, 409, 412])
def test_other_4xx_are_not_retried(status):
    transport, seen, sleeps = _transport([status, 200])
    with httpx2.Client(transport=transport, base_url="http://127.0.0.1") as client:
        assert client.get("/x").status_code == status
    assert len(seen) == 1 and sleeps == []


def test_the_last_answer_is_returned_after_max_attempts():
    transport, seen, _ = _transport([500, 500, 500, 500, 200])
    with httpx2.Client(transport=transport, base_url="http://127.0.0.1") as client:
        assert client.get("/x").status_code == 500
    assert len(seen) == 4


def test_the_last_network_error_is_raised_after_max_attempts():
    transport, seen, _ = _transport([httpx2.ReadError("reset")] * 4)
    with httpx2.Client(transport=transport, base_url="http://127.0.0.1") as client:
        with pytest.raises(httpx2.ReadError):
            client.get("/x")
    assert len(seen) == 4


def test_a_throttle_hold_makes_every_sender_wait():
    now = [100.0]
    sleeps = []

    def sleep(seconds):
        sleeps.append(seconds)
        now[0] += seconds

    throttle = Throttle(clock=lambda: now[0], sleep=sleep)
    throttle.hold(2.5)
    throttle.hold(1.0)  # never shortens the hold
    throttle.wait()
    throttle.wait()
    assert sleeps == [2.5]


def test_rate_limiter_spaces_request_starts():
    from planner.execute.retry import RateLimiter

    now = [0.0]
    sleeps = []

    def sleep(seconds):
        sleeps.append(round(seconds, 6))
        now[0] += seconds

    limiter = RateLimiter(4.0, clock=lambda: now[0], sleep=sleep)
    for _ in range(4):
        limiter.acquire()
    assert sleeps == [0.25, 0.25, 0.25]
    RateLimiter(None, clock=lambda: now[0], sleep=sleep).acquire()
    assert len(sleeps) == 3
