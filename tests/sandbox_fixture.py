"""Pytest fixtures giving tests a running Sigma sandbox (REST v2 + SCIM 2.0) on 127.0.0.1.

Registered for the whole suite by ``pytest_plugins`` in tests/conftest.py.

- ``sandbox``: a started :class:`planner.sandbox.server.SandboxServer` seeded from
  ``sandbox_seed_dir`` (default: the small export in tests/fixtures/sandbox_seed/),
  with the token rate limit off (tests mint tokens freely) and no faults. Stopped
  after the test.
- ``sandbox_seed_dir``: override it in a test module (or parametrize it
  indirectly) to seed another export, e.g. ``samples/acme/sigma``.
- ``sandbox_factory``: ``sandbox_factory(seed=None, **SandboxServer kwargs)``
  starts more servers (stopped at teardown); ``seed=None`` uses ``sandbox_seed_dir``.
- ``acme_sandbox``: a sandbox seeded from samples/acme/sigma (skips if absent).
- :func:`sample_sandbox`: a (not yet started) sandbox of the bundled sample for tests that start
  their own; :func:`sandbox_options` is the one rule every sandbox here is made with: the token rate
  limit off and, seeded from the bundled sample, REST credentials owned by
  :data:`SAMPLE_CREDENTIAL_OWNER`, the member the sample policies name, so that apply accepts their
  plans (``GET /v2/whoami`` must name the plan's ``organization.api_credential_owner``,
  docs/apply.md "Preflight"), unless the test names another owner.

The seed directory is loaded once per session and per path.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from planner.policy_reader import load_policy
from planner.sandbox.seed import Seed, load_seed
from planner.sandbox.server import SandboxServer

SANDBOX_SEED_DIR = Path(__file__).resolve().parent / "fixtures" / "sandbox_seed"
REPO = Path(__file__).resolve().parent.parent
ACME_SIGMA_DIR = REPO / "samples" / "acme" / "sigma"

SAMPLE_CREDENTIAL_OWNER = load_policy(REPO / "policies/examples/demo.yaml").organization.api_credential_owner
"""``marcus.webb@acme.example``: the ``organization.api_credential_owner`` of the demo and example
policies and of samples/acme/policy-*.yaml, so the owner of a sample sandbox's REST credentials."""


def sandbox_options(seed: Any, **kwargs: Any) -> dict[str, Any]:
    """The :class:`SandboxServer` keyword arguments of a test sandbox seeded with ``seed``: ``kwargs``
    with ``token_rate=None`` (tests mint tokens freely) and, for a seed that is the bundled sample's
    directory, ``credential_owner=SAMPLE_CREDENTIAL_OWNER`` unless ``kwargs`` name an owner."""
    kwargs.setdefault("token_rate", None)
    sample = isinstance(seed, (str, Path)) and Path(seed).resolve() == ACME_SIGMA_DIR
    if sample and "credential_owner" not in kwargs and "credential_owner_id" not in kwargs:
        kwargs["credential_owner"] = SAMPLE_CREDENTIAL_OWNER
    return kwargs


def sample_sandbox(seed: str | Path = ACME_SIGMA_DIR, **kwargs: Any) -> SandboxServer:
    """A sandbox (not started: ``with sample_sandbox() as sandbox``, or ``.start()``) seeded from
    ``seed`` (default the bundled sample) with :func:`sandbox_options`."""
    return SandboxServer(seed, **sandbox_options(seed, **kwargs))


@functools.lru_cache(maxsize=8)
def cached_seed(directory: str) -> Seed:
    """The seed of an export directory, loaded once per process (Seed is immutable)."""
    return load_seed(directory)


@pytest.fixture
def sandbox_seed_dir() -> Path:
    """The export the ``sandbox`` fixture is seeded from."""
    return SANDBOX_SEED_DIR


@pytest.fixture
def sandbox_factory(sandbox_seed_dir: Path) -> Iterator[Callable[..., SandboxServer]]:
    """Start sandboxes on demand: ``sandbox_factory(seed=None, **kwargs)``."""
    started: list[SandboxServer] = []

    def start(seed: Any = None, **kwargs: Any) -> SandboxServer:
        if seed is None:
            seed = sandbox_seed_dir
        kwargs = sandbox_options(seed, **kwargs)
        if isinstance(seed, (str, Path)):
            seed = cached_seed(str(seed))
        server = SandboxServer(seed, **kwargs).start()
        started.append(server)
        return server

    yield start
    for server in started:
        server.close()


@pytest.fixture
def sandbox(sandbox_factory: Callable[..., SandboxServer]) -> SandboxServer:
    """A started sandbox seeded from ``sandbox_seed_dir`` (token rate limit off, no faults)."""
    return sandbox_factory()


@pytest.fixture
def acme_sandbox(sandbox_factory: Callable[..., SandboxServer]) -> SandboxServer:
    """A started sandbox seeded from samples/acme/sigma."""
    if not ACME_SIGMA_DIR.is_dir():
        pytest.skip("samples/acme/sigma is not there")
    return sandbox_factory(ACME_SIGMA_DIR)
