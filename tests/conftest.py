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


@pytest.fixture(scope="module", autouse=True)
def module_state_dir(tmp_path_factory):
    """sigma-migrate's state directory (planner/execute/history.py) for a module's module-scoped fixtures: its own,
    never ~/.local/state (an autouse fixture runs before the other fixtures of its scope)."""
    from planner.state import STATE_DIR_ENV

    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(STATE_DIR_ENV, str(tmp_path_factory.mktemp("state")))
        yield


@pytest.fixture(autouse=True)
def state_dir(tmp_path_factory, monkeypatch) -> Path:
    """Each test's own sigma-migrate state directory (``SIGMA_MIGRATE_STATE_DIR``): no test reads another's plan
    histories, none touches ~/.local/state. Outside ``tmp_path``, whose listing tests pin."""
    from planner.state import STATE_DIR_ENV

    path = tmp_path_factory.mktemp("state")
    monkeypatch.setenv(STATE_DIR_ENV, str(path))
    return path


def run_cli(capsys, *argv: str) -> tuple[int, str, str]:
    """``(exit status, stdout, stderr)`` of ``sigma-migrate argv`` run in-process (:func:`planner.cli.main`).

    ``capsys`` is the test's pytest fixture; what it held before the call is read and dropped with
    the command's output (``None`` where no capsys exists, e.g. in a module-scoped fixture: the
    output is not captured and ``""`` is returned for both). The status is the one ``main``
    exits with, 0 when it returns.
    """
    from planner.cli import main

    try:
        main(list(argv))
        code = 0
    except SystemExit as exc:
        code = exc.code
    if capsys is None:
        return code, "", ""
    out, err = capsys.readouterr()
    return code, out, err


LISTING_WARNINGS = ("(members-without-archived)", "(okta-users-without-deprovisioned)", "(idp-users-without-inactive)",
                    "(missing-rule-column)")
"""The endings of ``check``'s warnings about a listing that may lack its inactive records or its users' creation
dates: the small hand-made exports of tests/fixtures hold no archived member, no DEPROVISIONED Okta user, no
disabled user of other IdPs and (Entra CSVs) no createdDateTime, which these warnings name
(tests/test_members_listing.py, tests/test_okta_users_listing.py, tests/test_status_listing.py and
tests/test_recycled_address_doubts.py pin them)."""


def finding_lines(text: str, prefixes: str | tuple[str, ...]) -> list[str]:
    """The lines of ``text`` (``check`` output) starting with ``prefixes`` (``"warning:"``, or a tuple of such), but
    the :data:`LISTING_WARNINGS`; a test of another finding lists its own."""
    return [line for line in text.splitlines() if line.startswith(prefixes) and not line.endswith(LISTING_WARNINGS)]


def run_cli_with_environ(capsys, monkeypatch, environ: dict[str, str], *argv: str,
                         unset: tuple[str, ...] = ()) -> tuple[int, str, str]:
    """:func:`run_cli` with the variables named in ``unset`` removed and ``environ`` set (undone after the test)."""
    for name in unset:
        monkeypatch.delenv(name, raising=False)
    for name, value in environ.items():
        monkeypatch.setenv(name, value)
    return run_cli(capsys, *argv)


def write(path: Path, text: str) -> Path:
    """Write ``text`` (UTF-8) to ``path``, creating its parent directories; return ``path``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def errors(findings) -> list[tuple]:
    """The error findings as ``(code, file name, location, field, message)`` tuples, in order."""
    from planner.model import Severity

    return [(f.code, Path(f.file).name, f.location, f.field, f.message)
            for f in findings if f.severity is Severity.ERROR]


def okta_users_counts(okta: Path) -> Path:
    """Give every group of the Okta export ``okta`` (``groups.json`` a bare array, ``group_members.json``
    ``{groupId: [User, ...]}``) the ``_embedded.stats.usersCount`` of its members answer, as a groups file saved
    from ``/api/v1/groups?expand=stats`` holds (README's steps): a test that takes people out of the sample's groups
    vouches that way for an answer it leaves at a round size (50 members: docs/formats.md §0.9, tester21 finding 6).
    Returns ``okta``."""
    import json

    members = json.loads((okta / "group_members.json").read_text(encoding="utf-8"))
    groups = json.loads((okta / "groups.json").read_text(encoding="utf-8"))
    for g in groups:
        if g["id"] in members:
            g["_embedded"] = {"stats": {"usersCount": len(members[g["id"]])}}
    write(okta / "groups.json", json.dumps(groups, indent=2))
    return okta
