"""sigma-migrate's per-user state directory: where a plan's apply history is found again by its digest (per target
Sigma inside, rehearse20).

``$SIGMA_MIGRATE_STATE_DIR``, else ``$XDG_STATE_HOME/sigma-migrate`` (an absolute ``XDG_STATE_HOME`` only: XDG Base
Directory Specification 0.8, "Environment variables"), else ``~/.local/state/sigma-migrate``. What it holds and who
writes it: :mod:`planner.execute.history` (tester16b #1). This module imports nothing heavy, so ``show`` can look
for a plan's history without the execute package.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Mapping

STATE_DIR_ENV = "SIGMA_MIGRATE_STATE_DIR"
"""The environment variable that names the state directory (docs/apply.md "Where a plan's history lives")."""


def state_dir(environ: Mapping[str, str] | None = None) -> Path:
    """The state directory (module docstring), absolute; ``environ`` defaults to the process environment."""
    environ = os.environ if environ is None else environ
    named = environ.get(STATE_DIR_ENV, "").strip()
    if named:
        return Path(named).expanduser().absolute()
    xdg = environ.get("XDG_STATE_HOME", "").strip()
    base = Path(xdg) if xdg and Path(xdg).is_absolute() else Path.home() / ".local" / "state"
    return base / "sigma-migrate"


def digest_name(digest: str) -> str:
    """The hex of a plan digest ``sha256:<hex>``: the name of its files in the state directory (the digest is
    checked by :func:`planner.planfile.read_plan`)."""
    return digest.split(":", 1)[-1]


def history_path(digest: str) -> Path:
    """``<state dir>/plans/<hex>.json``: the history of the plan of ``digest`` (:class:`planner.execute.history.PlanHistory`)."""
    return state_dir() / "plans" / f"{digest_name(digest)}.json"


def lock_path(digest: str) -> Path:
    """``<state dir>/locks/<hex>.lock``: the apply lock of the plan of ``digest`` (:func:`planner.execute.history.digest_lock`)."""
    return state_dir() / "locks" / f"{digest_name(digest)}.lock"
