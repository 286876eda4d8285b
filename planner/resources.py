"""Where the bundled templates, policies and samples live.

In a wheel they are shipped inside the package as ``planner/_data/<name>``
(see ``[tool.hatch.build.targets.wheel.force-include]`` in pyproject.toml); in a
source checkout or an editable install they are the top-level folders of the
repository. Callers never care which.
"""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def data_dir(name: str) -> Path:
    """Return the folder of bundled data ``name`` (``templates``, ``policies`` or ``samples``).

    Raises ``FileNotFoundError`` when neither the installed copy nor the
    checkout copy exists.
    """
    for candidate in (_PACKAGE / "_data" / name, _PACKAGE.parent / name):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"bundled folder {name!r} not found next to {_PACKAGE}")
