"""Fault injection and request counting for the sandbox, switchable at runtime.

:class:`Faults` is shared by the WSGI middleware (:mod:`planner.sandbox.app`)
and the test that holds the :class:`planner.sandbox.server.SandboxServer`; every
knob can be changed while the server runs (``server.faults.set(rate=5)``,
``server.faults.clear()``). Thread-safe.

Knobs (all off by default):

- ``rate``: at most N requests per rolling second over the whole API; the
  next ones get 429 with ``Retry-After`` (whole seconds until a slot frees).
  docs/sigma-api.md §7/§10.8: Sigma's global limits and headers are unknown; this
  lets clients be tested against the behaviour they must survive.
- ``error_ratio``: that share of requests (0..1) answers 500/502/503 at random,
  drawn from a ``random.Random(seed)`` so runs repeat.
- ``latency_ms``: added before each request is served.
- ``page_cap``: the largest page any list answers (REST ``limit``, SCIM ``count``),
  whatever the client asked; it still gets a ``nextPage`` to follow.
- ``truncate_lists`` (0/1): a listing that ends early (issue 14 C.6): REST list
  answers lose their ``nextPage`` / ``nextPageToken`` (``total`` still counts
  everyone); SCIM list answers after the first page carry no ``Resources``
  (``totalResults`` still counts everyone).
- ``ignore_paging`` (0/1): a server that ignores the page cursor: REST ``page`` /
  ``pageToken`` and SCIM ``startIndex`` are dropped, so every request gets the
  first page again.

Counters: ``request_counts`` (``{"GET /v2/members": n, ...}``, endpoint
templates with ``{memberId}``-style placeholders) and ``status_counts``
(``{("GET /v2/members", 200): n}``), every request received, faulted or not,
except ``/_sandbox/...``.

The ``--faults`` flag spells the knobs ``rate=5,error_ratio=0.2,latency_ms=50,page_cap=10,seed=7``
(:func:`parse_faults`).
"""

from __future__ import annotations

import collections
import random
import re
import threading
import time
from dataclasses import dataclass, fields, replace
from typing import Any

from ..errors import UserError


@dataclass(frozen=True)
class FaultConfig:
    """The fault knobs (see the module docstring). ``None`` / ``0`` = off."""

    rate: int | None = None
    error_ratio: float = 0.0
    latency_ms: int = 0
    page_cap: int | None = None
    truncate_lists: int = 0
    ignore_paging: int = 0
    seed: int = 0


class FaultSpecError(UserError):
    """A ``--faults`` value that cannot be read."""


def parse_faults(spec: str) -> FaultConfig:
    """Read ``"rate=5,error_ratio=0.2,latency_ms=50,page_cap=10,seed=7"`` into a :class:`FaultConfig`.

    Raises :class:`FaultSpecError` naming the bad item for an unknown knob, a
    value that is not a number, or one out of range (negative, ratio > 1).
    """
    kinds = {f.name: f for f in fields(FaultConfig)}
    values: dict[str, Any] = {}
    for item in filter(None, (p.strip() for p in (spec or "").split(","))):
        key, sep, raw = item.partition("=")
        key = key.strip()
        if not sep or key not in kinds:
            raise FaultSpecError(
                f"--faults: unknown item {item!r}; expected {', '.join(kinds)} as key=value"
            )
        try:
            value: Any = float(raw) if key == "error_ratio" else int(raw)
        except ValueError:
            raise FaultSpecError(f"--faults: {key} must be a number, got {raw!r}") from None
        if value < 0 or (key == "error_ratio" and value > 1):
            raise FaultSpecError(f"--faults: {key}={raw} is out of range")
        values[key] = value
    return FaultConfig(**values)


_ENDPOINT_PATTERNS = [
    (re.compile(r"^/v2(\.1)?/members/[^/]+/teams$"), "/v2{v}/members/{{memberId}}/teams"),
    (re.compile(r"^/v2(\.1)?/members/[^/]+$"), "/v2{v}/members/{{memberId}}"),
    (re.compile(r"^/v2(\.1)?/teams/[^/]+/members$"), "/v2{v}/teams/{{teamId}}/members"),
    (re.compile(r"^/v2(\.1)?/teams/[^/]+$"), "/v2{v}/teams/{{teamId}}"),
    (re.compile(r"^/scim/v2/Users/[^/]+$"), "/scim/v2/Users/{{id}}"),
    (re.compile(r"^/scim/v2/Groups/[^/]+$"), "/scim/v2/Groups/{{id}}"),
    (re.compile(r"^/scim/v2/Schemas/.+$"), "/scim/v2/Schemas/{{id}}"),
    (re.compile(r"^/scim/v2/ResourceTypes/[^/]+$"), "/scim/v2/ResourceTypes/{{id}}"),
]


def endpoint_of(method: str, path: str) -> str:
    """The counter key of a request: ``"PATCH /v2/members/{memberId}"``, ``"GET /scim/v2/Users"``."""
    path = path.rstrip("/") or "/"
    for pattern, template in _ENDPOINT_PATTERNS:
        m = pattern.match(path)
        if m:
            version = m.group(1) if m.groups() else ""
            return f"{method} {template.format(v=version or '')}"
    return f"{method} {path}"


class Faults:
    """The live fault settings and counters of one sandbox server (thread-safe)."""

    def __init__(self, config: FaultConfig | None = None) -> None:
        self._lock = threading.Lock()
        self._config = config or FaultConfig()
        self._rng = random.Random(self._config.seed)
        self._window: collections.deque[float] = collections.deque()
        self.request_counts: collections.Counter[str] = collections.Counter()
        self.status_counts: collections.Counter[tuple[str, int]] = collections.Counter()

    @property
    def config(self) -> FaultConfig:
        """The current knobs."""
        return self._config

    def set(self, **knobs: Any) -> None:
        """Change some knobs now, e.g. ``set(rate=5, error_ratio=0.1)``; a new ``seed`` reseeds."""
        with self._lock:
            self._config = replace(self._config, **knobs)
            if "seed" in knobs:
                self._rng = random.Random(self._config.seed)
            if "rate" in knobs:
                self._window.clear()

    def clear(self) -> None:
        """Turn every fault off (counters are kept; :meth:`reset_counts` clears them)."""
        with self._lock:
            self._config = FaultConfig(seed=self._config.seed)
            self._window.clear()

    def reset_counts(self) -> None:
        """Zero the request and status counters."""
        with self._lock:
            self.request_counts.clear()
            self.status_counts.clear()

    def page_cap(self) -> int | None:
        """The page-size cap now in force, or ``None``."""
        return self._config.page_cap or None

    def count(self, endpoint: str) -> None:
        """Count one request to ``endpoint``."""
        with self._lock:
            self.request_counts[endpoint] += 1

    def count_status(self, endpoint: str, status: int) -> None:
        """Count one answer of ``status`` to ``endpoint``."""
        with self._lock:
            self.status_counts[(endpoint, status)] += 1

    def decide(self) -> tuple[int, int] | None:
        """Decide the fault for the request now arriving: ``(status, retry_after_s)`` or ``None``.

        Order: the rate limit first (a limited request never reaches the
        error draw), then the error ratio. Latency is :meth:`latency`.
        """
        with self._lock:
            cfg = self._config
            if cfg.rate:
                now = time.monotonic()
                while self._window and now - self._window[0] >= 1.0:
                    self._window.popleft()
                if len(self._window) >= cfg.rate:
                    wait = 1.0 - (now - self._window[0])
                    return 429, max(1, int(wait + 0.999))
                self._window.append(now)
            if cfg.error_ratio and self._rng.random() < cfg.error_ratio:
                return self._rng.choice((500, 502, 503)), 0
            return None

    def listing_faults(self) -> tuple[bool, bool]:
        """``(truncate_lists, ignore_paging)`` now in force."""
        cfg = self._config
        return bool(cfg.truncate_lists), bool(cfg.ignore_paging)

    def latency(self) -> float:
        """Seconds to wait before serving a request."""
        return self._config.latency_ms / 1000.0

    def stats(self) -> dict[str, Any]:
        """Counters and knobs as JSON-ready data (``GET /_sandbox/stats``)."""
        with self._lock:
            return {
                "requests": dict(sorted(self.request_counts.items())),
                "statuses": {f"{e} {s}": n for (e, s), n in sorted(self.status_counts.items())},
                "faults": {f.name: getattr(self._config, f.name) for f in fields(FaultConfig)},
            }
