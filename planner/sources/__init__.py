"""Loaders: Sigma and IdP exports on disk -> one normalized :class:`~planner.model.Snapshot`.

Public functions (everything else in this package is an implementation detail):

- :func:`load_sigma_export` ``(directory) -> (SigmaExport, findings)``
- :func:`load_idp` ``(paths, format=None) -> (IdpDirectory, findings)``
- :func:`load_snapshot` ``(sigma_dir, idp_paths, idp_format=None, strict=False) -> Snapshot``
- :data:`IDP_FORMATS`: the names ``--idp-format`` accepts.

None of them raises for bad *files*: every problem is a
:class:`~planner.model.Finding` (severity, stable code, file, line or JSON path,
field, one-line message); ``Snapshot.has_errors`` tells whether any is an
error. ``load_snapshot(strict=True)`` raises :class:`SnapshotError` instead
when there are errors (for commands that must not go on, like ``plan``).

Loader contract (checked for every IdP format by tests/test_sources_contract.py,
after scim2-server's ``ScimStorageContract``):

1. IDs (``IdpUser.id``, ``IdpGroup.id``, ``SigmaMember.member_id``...) are ``str``,
   never numbers, never spreadsheet-damaged silently (``excel-mangled-id``).
2. ``IdpUser.user_name_key == email_key(user_name)``; every ``Email.key ==
   email_key(Email.value)``; the primary email comes first and is marked.
3. Every user and group has a ``source`` (:class:`~planner.model.SourceRef`: file
   and physical CSV line or JSON path); every finding names a file.
4. Group member ids resolve to users / groups of the same directory.
5. ``IdpUser.active`` is ``None`` when the export does not say (never a guess).
6. ``IdpUser.attributes`` holds every other column / field: keyed by the
   canonical name for known CSV columns (``department``, ``employeeId``...) or
   the header as written, JSON fields by their API name. ``lastLogin``, when
   known, is ISO 8601 UTC (absent = never or unknown). Passwords are never kept.

Formats and layouts: see :mod:`.detect` (detection), :mod:`.sigma`,
:mod:`.okta`, :mod:`.entra`, :mod:`.google`, :mod:`.scim`, :mod:`.generic_csv`.
Cross-record checks (duplicates, dangling references, group nesting, the
policy against the data): :mod:`.validation`.
"""

from __future__ import annotations

import dataclasses
from importlib import import_module
from pathlib import Path
from typing import Callable, Iterable, Sequence

from ..errors import UserError
from ..model import Finding, IdpDirectory, SigmaExport, Snapshot, Severity
from . import detect, formulas, identity_values, required, rule_columns, screens, sigma
from .detect import IDP_FORMATS
from ..gc_pause import gc_paused
from .files import Findings, reused_buffer

__all__ = [
    "IDP_FORMATS",
    "SnapshotError",
    "UnknownFormatError",
    "load_idp",
    "load_sigma_export",
    "load_snapshot",
]

_LOADERS = {  # format -> (module, function); imported on use (generic_csv pulls in pydantic)
    "okta-api": ("okta", "load"),
    "entra-csv": ("entra", "load_csv"),
    "entra-graph": ("entra", "load_graph"),
    "google-csv": ("google", "load_csv"),
    "google-api": ("google", "load_api"),
    "scim": ("scim", "load"),
    "generic-csv": ("generic_csv", "load"),
    "onelogin": ("generic_csv", "load_onelogin"),
}


def _loader(format: str) -> Callable[[dict[str, list[Path]], Findings], IdpDirectory]:
    module, function = _LOADERS[format]
    return getattr(import_module(f"{__name__}.{module}"), function)


class UnknownFormatError(UserError):
    """``format`` is not one of :data:`IDP_FORMATS`."""


class SnapshotError(UserError):
    """The exports have error findings (raised by ``load_snapshot(strict=True)``)."""

    def __init__(self, findings: Sequence[Finding]) -> None:
        errors = [f for f in findings if f.severity is Severity.ERROR]
        more = f" (and {len(errors) - 1} more error(s); run `sigma-migrate check`)" if len(errors) > 1 else ""
        super().__init__(f"{errors[0]}{more}")
        self.findings = tuple(findings)


def load_sigma_export(directory: str | Path) -> tuple[SigmaExport, list[Finding]]:
    """Load a Sigma export directory (layout: :mod:`planner.sources.sigma`).

    Returns the export and its findings: file/record problems first, then the
    blank required fields (:func:`planner.sources.required.sigma_required_findings`), then the
    cross-record checks of :func:`planner.sources.validation.drop_dangling_memberships`
    (team memberships without their member or team are dropped, with a
    warning) and :func:`planner.sources.validation.check_sigma`.
    """
    from .validation import check_sigma, drop_dangling_memberships

    findings = Findings()
    with gc_paused(), reused_buffer():
        export = sigma.load(Path(directory), findings)
        screened = screens.sigma_screens(export)  # one pass per field, read by each value check (.screens)
        findings.extend(identity_values.sigma_value_findings(export, screened))
        findings.extend(identity_values.sigma_id_findings(export, findings))
        findings.extend(required.sigma_required_findings(export))
        export, dropped = drop_dangling_memberships(export)
        findings.extend(dropped)
        findings.extend(check_sigma(export))
        findings.extend(formulas.sigma_formula_findings(export, screened))
        export = dataclasses.replace(export, missing_columns=rule_columns.sigma_rule_columns(export))
    return export, list(findings)


def load_idp(
    paths: str | Path | Iterable[str | Path], format: str | None = None
) -> tuple[IdpDirectory, list[Finding]]:
    """Load one IdP export given as one or more files / directories.

    ``format`` (one of :data:`IDP_FORMATS`) overrides content detection
    (:func:`planner.sources.detect.scan`). All paths are read as one export, so
    ``users.json`` and ``group_members.json`` may be given separately. Returns
    the directory (empty when nothing could be loaded) and its findings,
    including :func:`planner.sources.required.idp_required_findings`' and
    :func:`planner.sources.validation.check_idp`'s.

    Raises :class:`UnknownFormatError` for a ``format`` not in :data:`IDP_FORMATS`.
    """
    from .validation import check_idp

    if format is not None and format not in IDP_FORMATS:
        raise UnknownFormatError(f"unknown IdP format {format!r} (one of: {', '.join(IDP_FORMATS)})")
    if isinstance(paths, (str, Path)):
        paths = [paths]
    paths = list(paths)
    findings = Findings()
    layout = detect.scan([Path(p) for p in paths], findings, format)
    if layout.format is None:
        return IdpDirectory(), list(findings)
    detect.require_users_file(layout, [Path(p) for p in paths], findings)
    with gc_paused(), reused_buffer():
        directory = _loader(layout.format)(layout.files, findings)
        screened = screens.idp_screens(directory)  # one pass per field, read by each value check (.screens)
        directory = identity_values.with_damaged_users(directory, screened)
        findings.extend(identity_values.idp_value_findings(directory, screened))
        failed = any(f.severity is Severity.ERROR for f in findings)
        findings.extend(required.idp_required_findings(directory))
        findings.extend(check_idp(directory, paths, report_empty=not failed))
        findings.extend(formulas.idp_formula_findings(directory, screened))
        directory = dataclasses.replace(directory, missing_columns=rule_columns.idp_rule_columns(directory))
    return directory, list(findings)


def load_snapshot(
    sigma_dir: str | Path,
    idp_paths: str | Path | Iterable[str | Path],
    idp_format: str | None = None,
    *,
    strict: bool = False,
) -> Snapshot:
    """Load both sides into a :class:`~planner.model.Snapshot` (Sigma findings first, then IdP).

    With ``strict=True``, raise :class:`SnapshotError` (a one-line
    :class:`~planner.errors.UserError` naming the first error) when any finding
    is an error.
    """
    with gc_paused(), reused_buffer():  # one pause and one buffer for both sides: planner.gc_pause, files.reused_buffer
        export, sigma_findings = load_sigma_export(sigma_dir)
        directory, idp_findings = load_idp(idp_paths, idp_format)
    snapshot = Snapshot(sigma=export, idp=directory, findings=tuple(sigma_findings + idp_findings))
    if strict and snapshot.has_errors:
        raise SnapshotError(snapshot.findings)
    return snapshot
