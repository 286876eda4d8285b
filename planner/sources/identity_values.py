"""Identity values a spreadsheet damaged, and values too long to be real: one check for every loader.

Run on the loaded snapshot (like :mod:`.formulas`), so every format (Okta, Entra CSV and Graph
JSON, Google CSV and API, generic SCIM, generic CSV, Sigma JSON and CSV) gets the same rule
from the same code (docs/formats.md §0.8, §0.11):

- ``excel-damaged-value`` (error): a ``userName`` (Entra ``userPrincipalName``, Okta
  ``profile.login``...), an email, an ``externalId`` or a Sigma member's email that starts with
  an apostrophe, Excel's text marker (:data:`~.values.TEXT_MARKER`): the value was copied from a
  spreadsheet cell; as written it would become a member's email or SCIM ``userName``
  (``'mateo@acme.example``), so ``check`` and ``plan`` stop. Ids with the marker are
  ``excel-mangled-id`` errors of the loaders' id check (:func:`~.values.is_excel_mangled`);
  for the JSON formats whose loaders have none (SCIM, Graph), this module checks the user ids.
- ``value-too-long`` (error): an address (``userName``, email) over 254 characters (RFC 5321
  §4.5.3.1), a name (given, family, display, team or group name, a Sigma first/last name) or an id
  over :data:`NAME_LIMIT` characters. Sigma documents no limit (docs/sigma-api.md); no real
  name comes near 256, so such a value is damage (a cell pasted into another, a runaway quote)
  and would be sent to Sigma as written.

Cheap screens first, over every checked field of a side at once (:func:`_may_be_damaged`): one ``join``
and a substring search, one ``max(map(len, ...))`` (C speed); the per-field checks, and their
per-record loops, run only on a hit.
"""

from __future__ import annotations

from itertools import chain
from operator import attrgetter
from typing import Iterable, Sequence

from ..model import Finding, IdpDirectory, SigmaExport, SourceRef
from .files import Findings
from .values import TEXT_MARKER

ADDRESS_LIMIT = 254
"""The longest email address (RFC 5321 §4.5.3.1.3 path of 256 octets, less the angle brackets)."""

NAME_LIMIT = 256
"""The longest name or id accepted: Sigma publishes no limit (docs/sigma-api.md); a generous bound
no real name or IdP id reaches (Okta ids are 20 characters, Entra 36, Google 21, Sigma memberIds 29)."""

_SEP = "\x1f"

USER_NAME_FIELDS = {
    "okta-api": "profile.login", "entra-csv": "userPrincipalName", "entra-graph": "userPrincipalName",
    "google-csv": "primaryEmail", "google-api": "primaryEmail", "scim": "userName", "generic-csv": "userName",
}
EMAIL_FIELDS = {
    "okta-api": "profile.email", "entra-csv": "mail", "entra-graph": "mail", "google-csv": "primaryEmail",
    "google-api": "primaryEmail", "scim": "emails", "generic-csv": "email",
}
"""Per IdP format, the source field of the primary email (other addresses are named ``emails``)."""

UNCHECKED_ID_FORMATS = frozenset({"scim", "entra-graph"})
"""IdP formats whose loaders do not run the ``excel-mangled-id`` check on user ids themselves."""


def _marked(values: Sequence[str]) -> bool:
    """True when a value of ``values`` starts with Excel's text marker (a substring search in C)."""
    joined = _SEP.join(values)
    return joined[:1] == TEXT_MARKER or _SEP + TEXT_MARKER in joined


def _longest(values: Iterable[str | None]) -> int:
    return max(map(len, filter(None, values)), default=0)


def _may_be_damaged(marked: Iterable[str | None], others: Iterable[str | None]) -> bool:
    """False when no value of ``marked`` starts with Excel's text marker and none of ``marked`` and ``others``
    is longer than :data:`ADDRESS_LIMIT` (the lower of the two limits): then the per-field checks find nothing.
    The values of ``marked`` are gathered once for both screens."""
    values = list(filter(None, marked))
    return _marked(values) or max(_longest(values), _longest(others)) > ADDRESS_LIMIT


def _damaged(findings: Findings, source: SourceRef | None, field: str, what: str, value: str) -> None:
    file, location = (source.file, source.location) if source else ("", "")
    findings.error("excel-damaged-value", file, location, field,
                   f"{what} {field} {value!r} starts with an apostrophe, Excel's text marker: the value was "
                   "copied from a spreadsheet cell and would reach Sigma as written; correct it in the "
                   "source or re-export without opening the file in Excel")


def _too_long(findings: Findings, source: SourceRef | None, field: str, what: str, value: str, limit: int,
              rule: str) -> None:
    file, location = (source.file, source.location) if source else ("", "")
    findings.error("value-too-long", file, location, field,
                   f"{what} {field} is {len(value):,} characters long ({value[:40]!r}...), over the limit of "
                   f"{limit} ({rule}): damaged data (cells run together?); correct it in the source")


def _check(sources: Sequence[SourceRef | None], values: Sequence[str | None], field: str, what: str,
           findings: Findings, *, marker: bool = False, limit: int = 0, rule: str = "") -> None:
    """The findings for one field: ``values[i]`` read at ``sources[i]``; the loop runs only behind a hit
    of the cheap screens."""
    texts = [v or "" for v in values]
    if marker and _marked(texts):
        for source, v in zip(sources, texts):
            if v[:1] == TEXT_MARKER:
                _damaged(findings, source, field, what, v)
    if limit and _longest(texts) > limit:
        for source, v in zip(sources, texts):
            if len(v) > limit:
                _too_long(findings, source, field, what, v, limit, rule)


_ADDRESS_RULE = "RFC 5321 §4.5.3.1"
_NAME_RULE = "docs/formats.md §0.11"
_source = attrgetter("source")


def idp_value_findings(directory: IdpDirectory) -> list[Finding]:
    """``excel-damaged-value`` and ``value-too-long`` errors for the users and groups of an IdP export.

    An email equal to the user's ``userName`` (an Entra UPN kept among the emails) is judged once, as the
    ``userName``.
    """
    users, fmt = directory.users, directory.format.split("+")[0]
    marked_ids, other_ids = (("id",), ()) if fmt in UNCHECKED_ID_FORMATS else ((), ("id",))
    if not _may_be_damaged(
            chain(chain.from_iterable(map(attrgetter(*marked_ids, "user_name", "external_id"), users)),
                  map(attrgetter("value"), chain.from_iterable(map(attrgetter("emails"), users)))),
            chain(chain.from_iterable(map(attrgetter(*other_ids, "given_name", "family_name", "display_name"), users)),
                  map(attrgetter("display_name"), directory.groups))):
        return []
    findings = Findings()
    sources = list(map(_source, users))
    ids = list(map(attrgetter("id"), users))
    _check(sources, ids, "id", "IdP user", findings, marker=fmt in UNCHECKED_ID_FORMATS, limit=NAME_LIMIT,
           rule=_NAME_RULE)
    names = list(map(attrgetter("user_name"), users))
    _check(sources, names, USER_NAME_FIELDS.get(fmt, "userName"), "IdP user", findings,
           marker=True, limit=ADDRESS_LIMIT, rule=_ADDRESS_RULE)
    addresses = list(map(attrgetter("value"), chain.from_iterable(map(attrgetter("emails"), users))))
    for primary in (True, False) if _marked(addresses) or _longest(addresses) > ADDRESS_LIMIT else ():
        pairs = [(u.source, e.value) for u in users for e in (u.emails[:1] if primary else u.emails[1:])
                 if e.value != u.user_name]
        _check([p[0] for p in pairs], [p[1] for p in pairs],
               EMAIL_FIELDS.get(fmt, "emails") if primary else "emails", "IdP user", findings,
               marker=True, limit=ADDRESS_LIMIT, rule=_ADDRESS_RULE)
    _check(sources, list(map(attrgetter("external_id"), users)), "externalId", "IdP user", findings,
           marker=True, limit=NAME_LIMIT, rule=_NAME_RULE)
    for field, name in (("givenName", "given_name"), ("familyName", "family_name"), ("displayName", "display_name")):
        _check(sources, list(map(attrgetter(name), users)), field, "IdP user", findings, limit=NAME_LIMIT,
               rule=_NAME_RULE)
    groups = directory.groups
    _check(list(map(_source, groups)), list(map(attrgetter("display_name"), groups)), "displayName", "IdP group",
           findings, limit=NAME_LIMIT, rule=_NAME_RULE)
    return list(findings)


def sigma_value_findings(export: SigmaExport) -> list[Finding]:
    """``excel-damaged-value`` and ``value-too-long`` errors for the members and teams of a Sigma export."""
    members = export.members
    if not _may_be_damaged(map(attrgetter("email"), members), chain(
            chain.from_iterable(map(attrgetter("member_id", "first_name", "last_name"), members)),
            map(attrgetter("name"), export.teams))):
        return []
    findings = Findings()
    sources = list(map(_source, members))
    _check(sources, list(map(attrgetter("email"), members)), "email", "member", findings,
           marker=True, limit=ADDRESS_LIMIT, rule=_ADDRESS_RULE)
    for field, name in (("memberId", "member_id"), ("firstName", "first_name"), ("lastName", "last_name")):
        _check(sources, list(map(attrgetter(name), members)), field, "member", findings, limit=NAME_LIMIT,
               rule=_NAME_RULE)
    teams = export.teams
    _check(list(map(_source, teams)), list(map(attrgetter("name"), teams)), "name", "team", findings,
           limit=NAME_LIMIT, rule=_NAME_RULE)
    return list(findings)
