"""How a policy pattern reads an address: the one reading every rule uses, and the doubt when reading decides.

Exports keep addresses as typed (issue 14 item 1): a Sigma member's email may carry spaces around it, a
zero-width space or a bidi mark inside, decomposed accents, capitals, fullwidth letters. Every rule that
compares addresses reads them one way, the comparison key :func:`planner.model.email_key` (trimmed, Unicode
NFC, control and invisible characters removed, lower case): matching (:mod:`planner.matching`), the people the
policy names (:meth:`planner.directory.Directory.find_member_id`), and a pattern searched in an address,
``unmatched.exclude_patterns`` (:func:`rule_address`; was: the raw export value, so ``" svc-etl@acme.example"``
escaped ``'^svc-'`` and was deactivated, tester16a finding 3).

Reading the key is still a choice the admin did not make: where the verdict of the patterns (some pattern
matches, or none) depends on it, the decision is not the tool's. :func:`pattern_match` reads the address two
more ways and names each whose verdict differs from the key's (a :class:`Reading`):

- as Sigma holds it (the export's value, :data:`AS_HELD`): ``" svc-etl@x"`` fails ``'^svc-'``, which its key
  ``svc-etl@x`` passes;
- as a person may read it (:data:`AS_READ`: Unicode compatibility forms and full case folding,
  :func:`planner.near_addresses.folded`): fullwidth ``ｓvc-etl@x`` fails ``'^svc-'`` as Sigma holds it and as
  its key, and reads ``svc-etl@x``, which passes.

A rule then holds the person (a blocking item naming the address escaped and each reading) instead of acting on
whichever reading it took: ``unmatched.unclean_address`` (:mod:`planner.rules.unmatched`). An address whose
readings agree is decided by its key, however unclean: a capital, or spaces no pattern looks at, change nothing.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from typing import TYPE_CHECKING, Sequence

from .model import email_key
from .near_addresses import folded
from .sources.values import character_name, unclean_parts

if TYPE_CHECKING:
    from .policy import PolicyPattern

AS_HELD = "as Sigma holds it"
"""The :attr:`Reading.how` of the export's value."""

AS_READ = "as a person may read it (Unicode compatibility forms, full case folding)"
"""The :attr:`Reading.how` of :func:`planner.near_addresses.folded` of the key."""

KEY_WORDS = "trimmed, Unicode NFC, control and invisible characters removed, lower case"
"""How the rules read an address (:func:`planner.model.email_key`), as messages say it."""


def rule_address(raw: str | None, key: str | None = None) -> str:
    """The address every rule reads of ``raw`` (an export's email or ``userName``): its comparison key
    :func:`planner.model.email_key` (``key`` when the caller holds it already, e.g.
    :attr:`planner.model.SigmaMember.email_key`); ``""`` for ``None`` or a blank value."""
    return key if key is not None else email_key(raw)


@dataclass(frozen=True, slots=True)
class Reading:
    """One reading of an address whose verdict differs from its key's: ``how`` it was read (:data:`AS_HELD`,
    :data:`AS_READ`), the ``address`` so read, and the first ``pattern`` (its source text) it matches, ``None``
    when none does."""

    how: str
    address: str
    pattern: str | None


@dataclass(frozen=True, slots=True)
class PatternMatch:
    """The patterns' verdict on one address: ``key`` (:func:`rule_address`), the first ``pattern`` (source text)
    searched in it that matches, ``None`` when none does, and ``doubts``, the readings (:class:`Reading`) whose
    verdict (a pattern matches, or none) differs, ``()`` when every reading agrees."""

    key: str
    pattern: str | None
    doubts: tuple[Reading, ...] = ()


def _first(patterns: Sequence[PolicyPattern], text: str) -> str | None:
    return next((p.pattern for p in patterns if p.search(text)), None)


def pattern_match(patterns: Sequence[PolicyPattern], raw: str, key: str | None = None) -> PatternMatch:
    """The verdict of ``patterns`` (compiled, searched: :meth:`planner.policy.PolicyPattern.search`) on the address
    ``raw`` as the rules read it (:func:`rule_address`, ``key`` when given), and the readings that disagree (module
    docstring). A printable ASCII address without spaces around it reads one way (its key is its lower case, which a
    case-insensitive pattern reads alike): it is searched once. Raises :class:`planner.policy.PatternTimeout` when a
    pattern runs too long on one reading (tester18 finding 12)."""
    key = rule_address(raw, key)
    pattern = _first(patterns, key)
    if raw.isascii() and raw.isprintable() and raw.strip() == raw:
        return PatternMatch(key, pattern)
    doubts, seen = [], {key}
    for how, text in ((AS_HELD, raw), (AS_READ, folded(key))):
        if text in seen:
            continue
        seen.add(text)
        found = _first(patterns, text)
        if (found is None) is not (pattern is None):
            doubts.append(Reading(how, text, found))
    return PatternMatch(key, pattern, tuple(doubts))


def address_differences(raw: str) -> list[str]:
    """What makes ``raw`` other than its clean spelling, one phrase each, ``[]`` when clean: white space around
    it, invisible characters, a form other than NFC (:func:`planner.sources.values.unclean_parts`), and each
    character a compatibility form reads as another (``"U+FF53 FULLWIDTH LATIN SMALL LETTER S at position 1,
    read 's'"``, 1-based in ``raw``)."""
    parts = unclean_parts(raw)
    for n, c in enumerate(raw, 1):
        if not c.isascii() and not c.isspace() and (read := unicodedata.normalize("NFKC", c)) != c:
            parts.append(f"{character_name(c)} at position {n}, read {read!r}")
    return parts
