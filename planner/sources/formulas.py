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

Cheap screen first: every name of a side joined in one text and one regex search over it (C speed,
:func:`may_look_like_formulas`); the per-record pass that names each finding runs only on a hit.
"""

from __future__ import annotations

import re
from itertools import chain
from operator import attrgetter
from typing import Iterable

from ..model import Action, ActionKind, Finding, IdpDirectory, ItemRef, ReviewItem, SigmaExport, SourceRef
from .files import Findings
from .values import spreadsheet_damage

FORMULA_START = ("=", "+", "-", "@")
"""First characters a spreadsheet reads as the start of a formula (OWASP "CSV Injection")."""

CODE = "formula-like-value"

_FORMULA_AFTER_NEWLINE = re.compile("\n\\s*[" + re.escape("".join(FORMULA_START)) + "]")
"""A formula start (:data:`FORMULA_START`) after a newline and spaces. ``\\s`` is what ``str.lstrip`` strips
(both are ``str.isspace``), so in ``"\\n"`` + the names joined by ``"\\n"`` it finds every name that
:func:`looks_like_formula`."""


def looks_like_formula(value: str | None) -> bool:
    """True for a name whose first character (after spaces) starts a spreadsheet formula."""
    return bool(value) and value.lstrip()[:1] in FORMULA_START  # type: ignore[union-attr]


def may_look_like_formulas(values: Iterable[str | None]) -> bool:
    """False when no value of ``values`` :func:`looks_like_formula` (one ``join`` and one regex search, in C);
    True when one does, or when a value holding a newline followed by a formula start makes the screen
    unsure (the per-record pass then decides)."""
    return _FORMULA_AFTER_NEWLINE.search("\n" + "\n".join(filter(None, values))) is not None


def _named(fields: Iterable[tuple[str, str | None]], source: SourceRef | None, what: str, findings: Findings) -> None:
    for field, value in fields:
        if looks_like_formula(value) and spreadsheet_damage(value) is None:  # ="Ann": its excel-damaged-value
            file, location = (source.file, source.location) if source is not None else ("", "")
            findings.warning(CODE, file, location, field,
                             f"{what} {field} {value!r} starts with {value.lstrip()[0]!r}, which a spreadsheet "
                             "reads as a formula (Excel damage, or a value planted to run when the file is "
                             "opened); it is sent to Sigma as written: correct it in the source")


def idp_formula_findings(directory: IdpDirectory) -> list[Finding]:
    """``formula-like-value`` warnings for the IdP users' names and the groups' displayNames."""
    names = chain(chain.from_iterable(map(attrgetter("given_name", "family_name", "display_name"), directory.users)),
                  map(attrgetter("display_name"), directory.groups))
    if not may_look_like_formulas(names):
        return []
    findings = Findings()
    for user in directory.users:
        _named((("givenName", user.given_name), ("familyName", user.family_name), ("displayName", user.display_name)),
               user.source, "IdP user", findings)
    for group in directory.groups:
        _named((("displayName", group.display_name),), group.source, "IdP group", findings)
    return list(findings)


def sigma_formula_findings(export: SigmaExport) -> list[Finding]:
    """``formula-like-value`` warnings for the members' names and the teams' names."""
    names = chain(chain.from_iterable(map(attrgetter("first_name", "last_name"), export.members)),
                  map(attrgetter("name"), export.teams))
    if not may_look_like_formulas(names):
        return []
    findings = Findings()
    for member in export.members:
        _named((("firstName", member.first_name), ("lastName", member.last_name)), member.source, "member", findings)
    for team in export.teams:
        _named((("name", team.name),), team.source, "team", findings)
    return list(findings)


def team_name_items(actions: Iterable[Action]) -> list[ReviewItem]:
    """One informational ``teams.formula_like_name`` review item per team the plan would create or link
    under a name a spreadsheet reads as a formula: a ``teams.rules`` regex can make one of a group
    name that is not (``sigma-team-=cmd|...`` -> ``=cmd|...``), so the loaders' findings miss it."""
    from ..rules import make_review

    out = []
    for a in actions:
        if a.kind in (ActionKind.SCIM_CREATE_GROUP, ActionKind.SCIM_LINK_GROUP) and looks_like_formula(
                a.after.display_name):
            t = a.target
            out.append(make_review(
                "teams.formula_like_name", t.group_id, blocking=False,
                subject=ItemRef(group_id=t.group_id, group_display_name=t.group_display_name, name=t.name),
                message=(f"team {a.after.display_name!r} (from group {t.group_display_name!r}, {a.rule}) starts with "
                         f"{a.after.display_name.lstrip()[0]!r}, which a spreadsheet reads as a formula; Sigma stores "
                         "it as text, but rename the group in the IdP if the name is not meant"),
                rule=a.rule))
    return out
