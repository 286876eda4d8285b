"""Names that a spreadsheet reads as formulas: ``=``, ``+``, ``-`` or ``@`` first (docs/formats.md §0 item 8).

An export that went through Excel, or a value planted to run when a CSV is opened
(``=cmd|' /C calc'!A0``, ``@SUM(A1)``: CSV injection, OWASP), reaches the names the plan sends to
Sigma (SCIM ``name.givenName``, a team's name). Each such name is one **warning** finding
``formula-like-value`` naming ``file:line`` (or the JSON path) and the field, in ``check`` and
``plan``.

A warning, not an error nor a blocking review item, also for a team or group name starting with
``=``: Sigma stores a name as text and evaluates nothing; every CSV this tool writes neutralizes
such a cell (:func:`planner.report.neutralize_cell`); and the plan cannot stop the IdP from pushing
the group under that name once it is assigned (docs/sigma-api.md §6.1): the fix is renaming it in
the IdP, which the finding names. Names starting with ``-`` or ``+`` also occur legitimately.

Cheap screen first: the first characters of each name field of a side (:mod:`.screens`, one pass in C, made once
by the loader; :func:`may_look_like_formulas`); the per-record pass that names each finding runs only on a hit.
"""

from __future__ import annotations

from typing import Any, Callable, Iterable

from ..model import Finding, IdpDirectory, SigmaExport, SourceRef
from .files import Findings
from .screens import FieldScreen, IdpScreens, SigmaScreens, idp_screens, records_with, sigma_screens
from .values import spreadsheet_damage

FORMULA_START = ("=", "+", "-", "@")
"""First characters a spreadsheet reads as the start of a formula (OWASP "CSV Injection")."""

CODE = "formula-like-value"


def looks_like_formula(value: str | None) -> bool:
    """True for a name whose first character (after spaces) starts a spreadsheet formula."""
    return bool(value) and value.lstrip()[:1] in FORMULA_START  # type: ignore[union-attr]


def may_look_like_formulas(screens: Iterable[FieldScreen]) -> bool:
    """False when no value of the fields ``screens`` stand for :func:`looks_like_formula`: none starts with a
    formula start (:data:`FORMULA_START`) or with white space (what ``str.lstrip`` strips, ``str.isspace``; the
    per-record pass then decides). Reads only the fields' first characters (:class:`~.screens.FieldScreen`)."""
    return any(c in FORMULA_START or c.isspace() for screen in screens for c in screen.starts)


def _named(fields: Iterable[tuple[str, str | None]], source: SourceRef | None, what: str, findings: Findings) -> None:
    for field, value in fields:
        if looks_like_formula(value) and spreadsheet_damage(value) is None:  # ="Ann": its excel-damaged-value
            file, location = (source.file, source.location) if source is not None else ("", "")
            findings.warning(CODE, file, location, field,
                             f"{what} {field} {value!r} starts with {value.lstrip()[0]!r}, which a spreadsheet "
                             "reads as a formula (Excel damage, or a value planted to run when the file is "
                             "opened); it is sent to Sigma as written: correct it in the source")


def _formula_tests(fields: Iterable[tuple[str, FieldScreen]]) -> list[tuple[str, Callable[[Any], bool]]]:
    """:func:`looks_like_formula` for each attribute ``name`` of ``fields`` whose screen may hold a formula start
    (:func:`may_look_like_formulas`): the fields a per-record pass must look at (:func:`~.screens.records_with`)."""
    return [(name, looks_like_formula) for name, screen in fields if may_look_like_formulas((screen,))]


def idp_formula_findings(directory: IdpDirectory, screens: IdpScreens | None = None) -> list[Finding]:
    """``formula-like-value`` warnings for the IdP users' names and the groups' displayNames, in record order, the
    users' first. ``screens``: the directory's :func:`~.screens.idp_screens` (made here when not given); only the
    records with a value that looks like a formula are visited (:func:`~.screens.records_with`)."""
    screens = screens or idp_screens(directory)
    findings = Findings()
    user_tests = _formula_tests((("given_name", screens.given_name), ("family_name", screens.family_name),
                                 ("display_name", screens.display_name)))
    for user in records_with(directory.users, user_tests) if user_tests else ():
        _named((("givenName", user.given_name), ("familyName", user.family_name), ("displayName", user.display_name)),
               user.source, "IdP user", findings)
    group_tests = _formula_tests((("display_name", screens.group_name),))
    for group in records_with(directory.groups, group_tests) if group_tests else ():
        _named((("displayName", group.display_name),), group.source, "IdP group", findings)
    return list(findings)


def sigma_formula_findings(export: SigmaExport, screens: SigmaScreens | None = None) -> list[Finding]:
    """``formula-like-value`` warnings for the members' names and the teams' names, in record order, the members'
    first. ``screens``: the export's :func:`~.screens.sigma_screens` (made here when not given); only the records
    with a value that looks like a formula are visited (:func:`~.screens.records_with`)."""
    screens = screens or sigma_screens(export)
    findings = Findings()
    member_tests = _formula_tests((("first_name", screens.first_name), ("last_name", screens.last_name)))
    for member in records_with(export.members, member_tests) if member_tests else ():
        _named((("firstName", member.first_name), ("lastName", member.last_name)), member.source, "member", findings)
    team_tests = _formula_tests((("name", screens.team_name),))
    for team in records_with(export.teams, team_tests) if team_tests else ():
        _named((("name", team.name),), team.source, "team", findings)
    return list(findings)
