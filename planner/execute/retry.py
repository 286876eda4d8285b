"""Retries for Sigma's APIs: 429 and 5xx with exponential backoff and jitter.

Sigma documents no global rate limit and no rate-limit headers (docs/sigma-api.md
§7); clients are expected to retry ``429 Too Many Requests`` honouring
``Retry-After`` (RFC 9110 §10.2.3: delay-seconds or an HTTP-date) and to retry
5xx answers with exponential backoff. Other 4xx answers are final: retrying a
``400``/``404``/``409`` cannot change its outcome.

The retry lives in an httpx2 transport (:class:`RetryTransport`) so the REST
client and scim2-client's httpx2 engine share one implementation. A
:class:`Throttle` shared by every request to one server spreads a ``Retry-After``
to all workers: after a 429, no thread sends to that server before its
deadline (the point of the header, RFC 6585 §4). Apply gives its REST and SCIM
clients one throttle when their base URLs have the same origin (:func:`origin_of`):
a 429 from that server holds both APIs, so the requests of one do not take the
slots the other was told to wait for, again and again, until its tries run out.

Network errors (connection refused/reset, timeouts) are retried too. A POST
whose response was lost may have been applied; the action handlers treat the
resulting ``409`` as "already exists" (docs/sigma-api.md §7), which is what makes
retrying a write safe.
"""

from __future__ import annotations

import email.utils
import random
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Callable

import httpx2

from ..httpio import DeadlineTransport

RETRYABLE_STATUS = frozenset({429, 500, 502, 503, 504})
"""Statuses worth another attempt: throttling and server-side failures."""

LATER_4XX = frozenset({401, 408, 423, 425, 429})
"""The 4xx a later run may see go through: ``401`` (credentials: new ones and ``--resume`` continue),
``408 Request Timeout``, ``423 Locked``, ``425 Too Early`` (RFC 9110 §15.5.9, RFC 4918 §11.3, RFC 8470
§5.2) and ``429`` (throttling, :data:`RETRYABLE_STATUS`)."""


def is_final_refusal(status: int | None) -> bool:
    """Whether an answer of ``status`` is Sigma's final word on the request: a 4xx but those of
    :data:`LATER_4XX` (``400``, ``403``, ``404``, ``409``, ``422``, ...: the request is refused as it is,
    and sending it again, in this run or a ``--resume``, gets the same answer). ``None`` (a network error),
    a 5xx or a 2xx Sigma answered oddly are not: a later try may go through."""
    return status is not None and 400 <= status < 500 and status not in LATER_4XX


@dataclass(frozen=True)
class RetryPolicy:
    """How hard to retry.

    - ``max_attempts``: total tries per request, the first included (>= 1).
    - ``backoff_base`` / ``backoff_cap``: seconds; attempt ``n`` (1-based) waits
      ``min(cap, base * 2**(n-1))`` with "equal jitter" (half fixed, half random).
    - ``retry_after_cap``: seconds; a ``Retry-After`` longer than this is
      clipped to it (a misconfigured proxy must not park the run for a day).
    """

    max_attempts: int = 8
    backoff_base: float = 0.5
    backoff_cap: float = 30.0
    retry_after_cap: float = 300.0

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError("max_attempts must be >= 1")
        if self.backoff_base < 0 or self.backoff_cap < 0:
            raise ValueError("backoff base and cap must be >= 0")


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """Seconds to wait according to a ``Retry-After`` header, or ``None`` if absent/unreadable.

    RFC 9110 §10.2.3: ``delay-seconds`` (non-negative integer) or an
    ``HTTP-date`` (IMF-fixdate, e.g. ``Wed, 21 Oct 2015 07:28:00 GMT``). A date
    in the past gives ``0.0``.
    """
    if value is None:
        return None
    text = value.strip()
    if not text:
        return None
    if text.isdigit():
        return float(int(text))
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    now = now or datetime.now(timezone.utc)
    return max(0.0, (when - now).total_seconds())


def throttle_wait(headers: httpx2.Headers, *, now: float | None = None) -> float | None:
    """Seconds a 429 answer asks to wait: ``Retry-After`` (RFC 9110 §10.2.3), else Okta's
    ``X-Rate-Limit-Reset`` (epoch seconds, UTC, when the rate-limit window resets: Okta's
    "Rate limits" guide), else ``None``. A reset in the past gives ``0.0``."""
    told = parse_retry_after(headers.get("retry-after"))
    if told is not None:
        return told
    reset = (headers.get("x-rate-limit-reset") or "").strip()
    if not reset.isdigit():
        return None
    return max(0.0, int(reset) - (time.time() if now is None else now))


def backoff_delay(attempt: int, policy: RetryPolicy, rng: random.Random | None = None) -> float:
    """Seconds to wait after failed attempt ``attempt`` (1-based): exponential, equal jitter."""
    ceiling = min(policy.backoff_cap, policy.backoff_base * (2 ** (attempt - 1)))
    rng = rng or random
    return ceiling / 2 + rng.uniform(0, ceiling / 2)


class Throttle:
    """A "not before" instant shared by every request to one API (thread-safe).

    After a 429 with ``Retry-After: N``, :meth:`hold` pushes the instant N
    seconds ahead and :meth:`wait` makes every sender sleep until then.
    """

    def __init__(self, clock: Callable[[], float] = time.monotonic, sleep: Callable[[float], None] = time.sleep):
        self._lock = threading.Lock()
        self._not_before = 0.0
        self._clock = clock
        self._sleep = sleep

    def hold(self, seconds: float) -> None:
        """Let nobody send for ``seconds`` from now (never shortens an earlier hold)."""
        with self._lock:
            self._not_before = max(self._not_before, self._clock() + seconds)

    def wait(self) -> None:
        """Sleep until the current hold has passed."""
        while True:
            with self._lock:
                remaining = self._not_before - self._clock()
            if remaining <= 0:
                return
            self._sleep(remaining)


def origin_of(url: str) -> tuple[str, str, int | None]:
    """``(scheme, host, port)`` of a base URL: the server a ``Retry-After`` speaks for (RFC 9110
    §10.2.3 asks the client to wait before its next request to that server, whatever the path)."""
    parsed = httpx2.URL(url)
    return parsed.scheme, parsed.host, parsed.port


class RateLimiter:
    """At most ``rate`` request starts per second for one API (thread-safe; ``None`` = no cap).

    Sigma publishes no global limit (docs/sigma-api.md §7), so the cap is off by
    default and apply's pace is set by ``--parallelism``; ``--max-rate`` adds one
    for organizations that share their API quota with other tools.
    """

    def __init__(self, rate: float | None, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep):
        self.interval = 1.0 / rate if rate else 0.0
        self._next = 0.0
        self._lock = threading.Lock()
        self._clock = clock
        self._sleep = sleep

    def acquire(self) -> None:
        """Wait for this request's slot."""
        if not self.interval:
            return
        with self._lock:
            now = self._clock()
            slot = max(now, self._next)
            self._next = slot + self.interval
        if slot > now:
            self._sleep(slot - now)


@dataclass
class RetryStats:
    """Counters a transport keeps (read by the runner for the journal and summary)."""

    requests: int = 0
    retries: int = 0
    throttled: int = 0
    server_errors: int = 0
    network_errors: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def add(self, **counts: int) -> None:
        with self.lock:
            for name, n in counts.items():
                setattr(self, name, getattr(self, name) + n)


RetryListener = Callable[[httpx2.Request, "int | None", float], None]
"""Called before each wait: ``(request, status or None for a network error, delay seconds)``."""

LONG_WAIT_SECONDS = 10.0
"""A wait before a retry at least this long is said while it happens (tester5 finding 11: a
``Retry-After: 86400`` held apply 300 s without a word)."""


def long_wait_line(request: httpx2.Request, status: int | None, delay: float) -> str:
    """The line saying the tool waits ``delay`` seconds before trying ``request`` again, e.g.
    ``429 from GET /v2/members/m1: waiting 300 s before trying again (Retry-After is honoured up to
    300 s)``; ``status`` ``None`` is a network error. The path only: a query may carry an address."""
    cause = "a network error on" if status is None else f"{status} from"
    told = f" (Retry-After is honoured up to {RetryPolicy().retry_after_cap:.0f} s)" if status == 429 else ""
    return f"{cause} {request.method} {request.url.path}: waiting {delay:.0f} s before trying again{told}"


def long_wait_notice(note: Callable[[str], None] | None) -> RetryListener:
    """A listener passing ``note`` the :func:`long_wait_line` of each wait of at least
    :data:`LONG_WAIT_SECONDS` (read at each wait); nothing for shorter ones or without ``note``."""

    def listen(request: httpx2.Request, status: int | None, delay: float) -> None:
        if note is not None and delay >= LONG_WAIT_SECONDS:
            note(long_wait_line(request, status, delay))

    return listen


@dataclass(frozen=True)
class Tries:
    """What :class:`RetryTransport` spent on one request that it sent more than once: ``count`` tries,
    ``waited`` seconds of waits between them (as the transport scheduled them: ``Retry-After`` honoured up
    to the cap, backoff), the last ``Retry-After`` a 429 or 503 asked, in seconds (``None``: none asked),
    and how much of it was ``honoured`` (``RetryPolicy.retry_after_cap`` at most). Kept on the final
    answer (:data:`TRIES_EXTENSION`)."""

    count: int
    waited: float = 0.0
    retry_after: float | None = None
    honoured: float | None = None


TRIES_EXTENSION = "sigma_migrate.tries"
"""The key of an answer's ``extensions`` holding its :class:`Tries` (only a retryable answer the tries ran
out on: any other is the server's word, :func:`tries_spent`)."""


def tries_note(tries: int | Tries) -> str:
    """The words every give-up line of apply, ``fetch`` and ``fetch-idp`` ends with, for a request sent
    more than once (:func:`tries_spent`, :func:`tries_of`): how many tries over how long and what the
    server asked, ``after 3 tries over 600 s, Retry-After 900 s asked, 300 s honoured``; waits and a
    ``Retry-After`` under a second are not said, and a count alone is ``after 8 tries``. ``""`` for one
    try."""
    if isinstance(tries, int):
        tries = Tries(tries)
    if tries.count <= 1:
        return ""
    note = f"after {tries.count} tries" + (f" over {tries.waited:.0f} s" if tries.waited >= 1 else "")
    if tries.retry_after is not None and tries.retry_after >= 1:
        note += f", Retry-After {tries.retry_after:.0f} s asked"
        if tries.honoured is not None and tries.honoured < tries.retry_after:
            note += f", {tries.honoured:{'.0f' if tries.honoured >= 1 else 'g'}} s honoured"
    return note


THROTTLED_HINT = "the API still asks to slow down: try again later"
"""What to do after a request given up on 429 (:func:`give_up_hint`), apply's, ``fetch``'s and
``fetch-idp``'s words."""


def give_up_hint(status: int | None) -> str:
    """``"; <what to do>"`` after the give-up line of a request whose last answer was ``status``:
    :data:`THROTTLED_HINT` for a 429 (the tries ran out on throttling), else ``""``."""
    return f"; {THROTTLED_HINT}" if status == 429 else ""


def tries_spent(status: int | None, policy: RetryPolicy) -> int:
    """How many times :class:`RetryTransport` sent a request whose final outcome is ``status`` (``None``:
    a network error): ``policy.max_attempts`` for a network error or a :data:`RETRYABLE_STATUS` (the
    transport hands those back only when its tries ran out), else 1: any other answer is final, the
    server's word rather than a give-up, whatever came before it."""
    return policy.max_attempts if status is None or status in RETRYABLE_STATUS else 1


def tries_of(response: httpx2.Response, policy: RetryPolicy) -> Tries | int:
    """The :class:`Tries` :class:`RetryTransport` kept on ``response``; for an answer without them (one
    try, or a transport that keeps none), :func:`tries_spent` of its status."""
    kept = response.extensions.get(TRIES_EXTENSION)
    return kept if isinstance(kept, Tries) else tries_spent(response.status_code, policy)


class RetryTransport(httpx2.BaseTransport):
    """An httpx2 transport that retries 429/5xx/network errors around an inner transport
    (default: :class:`planner.httpio.DeadlineTransport`, so each attempt has an overall deadline).

    The last answer (even a 5xx) is returned once ``policy.max_attempts`` is
    reached; the last network error is re-raised. 4xx other than 429 are
    returned at once. Thread-safe when the inner transport is (httpx2's is).
    """

    def __init__(
        self,
        inner: httpx2.BaseTransport | None = None,
        *,
        policy: RetryPolicy | None = None,
        throttle: Throttle | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        rng: random.Random | None = None,
        listener: RetryListener | None = None,
        max_rate: float | None = None,
    ):
        self.inner = inner or DeadlineTransport()  # an overall deadline per request (planner.httpio)
        self.policy = policy or RetryPolicy()
        self.throttle = throttle or Throttle(clock=clock, sleep=sleep)
        self.limiter = RateLimiter(max_rate, clock=clock, sleep=sleep)
        self.stats = RetryStats()
        self.listener = listener
        self._sleep = sleep
        self._rng = rng or random.Random()

    def handle_request(self, request: httpx2.Request) -> httpx2.Response:
        request.read()  # a body we can send again
        attempt = 0
        waited, asked, honoured = 0.0, None, None
        while True:
            attempt += 1
            self.throttle.wait()
            self.limiter.acquire()
            self.stats.add(requests=1)
            try:
                response = self.inner.handle_request(request)
            except httpx2.TransportError:
                if attempt >= self.policy.max_attempts:
                    raise
                self.stats.add(network_errors=1, retries=1)
                self._pause(request, None, backoff_delay(attempt, self.policy, self._rng))
                continue
            if response.status_code not in RETRYABLE_STATUS or attempt >= self.policy.max_attempts:
                if attempt > 1 and response.status_code in RETRYABLE_STATUS:  # a give-up, not the server's word
                    response.extensions[TRIES_EXTENSION] = Tries(attempt, waited, asked, honoured)
                return response
            response.read()
            response.close()
            if response.status_code == 429:
                self.stats.add(throttled=1, retries=1)
                told = throttle_wait(response.headers)
                if told is not None:
                    # every sender to this API, this one included, waits at throttle.wait()
                    delay = min(told, self.policy.retry_after_cap)
                    waited, asked, honoured = waited + delay, told, delay
                    self.throttle.hold(delay)
                    self._pause(request, 429, delay, sleep=False)
                    continue
                delay = backoff_delay(attempt, self.policy, self._rng)
            else:
                self.stats.add(server_errors=1, retries=1)
                told = parse_retry_after(response.headers.get("retry-after"))  # 503 may carry one
                delay = (
                    min(told, self.policy.retry_after_cap)
                    if told is not None
                    else backoff_delay(attempt, self.policy, self._rng)
                )
                if told is not None:
                    asked, honoured = told, delay
            waited += delay
            self._pause(request, response.status_code, delay)

    def _pause(self, request: httpx2.Request, status: int | None, delay: float, *, sleep: bool = True) -> None:
        if self.listener is not None:
            self.listener(request, status, delay)
        if sleep and delay > 0:
            self._sleep(delay)

    def close(self) -> None:
        self.inner.close()
