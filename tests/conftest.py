"""Shared pytest fixtures. Paths point into the checkout (samples/, policies/)."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent

# The Sigma sandbox fixtures (sandbox, sandbox_factory, sandbox_seed_dir, acme_sandbox).
pytest_plugins = ["tests.sandbox_fixture"]


@pytest.fixture(scope="session")
def repo() -> Path:
    return REPO
