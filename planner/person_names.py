"""Person names compared as token sets: the one answer to "could these two names be one person?" that every
rule asking it reads (tester18 findings 3 and 4; docs/policy.md "Same-person hints").

A name is its words: the member's ``firstName`` + ``lastName`` (Sigma members carry no other name), the IdP
user's ``givenName`` + ``familyName``, else its ``displayName`` (Entra cloud accounts often have only that),
else the one part set. Words are split on spaces, hyphens and commas (``'Dunmore-Hale'`` is two words,
``'Sharma, Priyanka'`` two), each compared width-folded (NFKC: fullwidth ``Ｇｒｅｔａ`` = ``Greta``), accents
aside (NFKD, combining marks dropped) and case-folded. How two names compare (:func:`compare`), strongest
first:

- :data:`SAME`: the same words, order aside (``Dunmore Greta`` / ``Greta Dunmore``; a full name in
  ``firstName`` with ``lastName`` empty), at least two of them;
- :data:`WITHIN`: one name's words (two or more) are all among the other's: a middle name (``Greta Marie
  Dunmore``), a double or hyphenated surname (``Dunmore-Hale``);
- :data:`GIVEN`: the given names agree (the first word of the given part, or of a whole name): equal, or one
  a prefix nickname of the other of 3 letters or more (``Gret`` / ``Greta``). Alone this is no sameness (a
  common given name is shared by strangers): a rule needs other evidence with it (the family name, a team,
  onboarding dates, an employee number: :mod:`planner.rules.linking`), and a marriage (same given name, a new
  family name) is exactly this;
- ``None``: none of these, or a side without a name (no name is no sameness).

:func:`shares_a_word` says whether two names have any word in common (a marriage, a nickname, a corrected
spelling: :mod:`planner.rules.address_takeover` reads it as "alike").
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from itertools import combinations
from dataclasses import dataclass

from .model import IdpUser, SigmaMember
from .sources.values import clean_text

SAME, WITHIN, GIVEN = "same", "within", "given"
"""The verdicts of :func:`compare`, strongest first (module docstring)."""

NICKNAME_MIN = 3
"""The fewest letters a given name's prefix must have to be taken for a nickname of it (``Gret`` / ``Greta``,
``Alex`` / ``Alexandra``; not ``Al`` / ``Alan``): the brief of tester18 finding 4."""

_SEPARATORS = re.compile(r"[\s,\-\u2010-\u2015\u2212]+")
"""What splits a name into words: white space, commas, and hyphens and dashes (ASCII ``-``, U+2010-U+2015,
U+2212), so a hyphenated surname is two words."""


def fold_word(word: str) -> str:
    """One word as names are compared: NFKC (width), NFKD with combining marks dropped (accents), case-folded.
    ``'Ｊｏｓé'`` -> ``'jose'``. An ASCII word is only lower-cased: NFKC and NFKD leave ASCII as it is, it has no
    combining marks, and ASCII case-folds as it lower-cases (speed20: most names of a 100k organization)."""
    if word.isascii():
        return word.lower()
    text = unicodedata.normalize("NFKD", unicodedata.normalize("NFKC", word))
    return "".join(c for c in text if not unicodedata.combining(c)).casefold()


def words(text: str | None) -> tuple[str, ...]:
    """The folded words of a name or name part (:func:`fold_word`), in order; ``()`` for ``None`` or blank.
    ``'Dunmore-Hale, Greta'`` -> ``('dunmore', 'hale', 'greta')``."""
    if not text:
        return ()
    return tuple(w for w in (fold_word(p) for p in _SEPARATORS.split(clean_text(text))) if w)


@dataclass(frozen=True, slots=True)
class PersonName:
    """A person's name as :func:`compare` reads it: ``given`` (the words of the given part, or the first word
    of a whole name), ``family`` (the words of the family part, or the other words of a whole name) and
    ``tokens`` (every word, in order); ``text`` the name as written (for messages), ``""`` when there is none."""

    given: tuple[str, ...]
    family: tuple[str, ...]
    tokens: tuple[str, ...]
    text: str


def person_name(given: str | None, family: str | None, whole: str | None = None) -> PersonName:
    """A name from its given and family parts, else from ``whole`` (a ``displayName``: its first word the given
    name), else the one part set (a full name in the given part: its first word the given name)."""
    g, f = words(given), words(family)
    if g and f:
        return PersonName(g, f, g + f, f"{given.strip()} {family.strip()}")
    if whole and (w := words(whole)):
        return PersonName(w[:1], w[1:], w, whole.strip())
    if g:  # a full name in the given part ("Greta Dunmore", family empty): its first word is the given name
        return PersonName(g[:1], g[1:], g, given.strip())
    if f:
        return PersonName((), f, f, family.strip())
    return PersonName((), (), (), "")


def member_person_name(member: SigmaMember) -> PersonName:
    """The member's name: ``firstName`` + ``lastName`` (either may hold the whole name)."""
    return person_name(member.first_name, member.last_name)


def idp_person_name(user: IdpUser) -> PersonName:
    """The IdP user's name: ``givenName`` + ``familyName`` when both are set, else ``displayName``, else the one
    part set."""
    return person_name(user.given_name, user.family_name, user.display_name)


def given_agrees(a: PersonName, b: PersonName) -> bool:
    """Whether the given names agree: the first given words equal, or the shorter (3 letters or more,
    :data:`NICKNAME_MIN`) a prefix of the longer (``gret`` / ``greta``)."""
    if not (a.given and b.given):
        return False
    x, y = sorted((a.given[0], b.given[0]), key=len)
    return x == y or (len(x) >= NICKNAME_MIN and y.startswith(x))


def compare(a: PersonName, b: PersonName) -> str | None:
    """How two names compare (module docstring): :data:`SAME`, :data:`WITHIN`, :data:`GIVEN` or ``None``.
    A side without a name is ``None``; a one-word name is never more than :data:`GIVEN`."""
    if not (a.tokens and b.tokens):
        return None
    small, big = sorted((a.tokens, b.tokens), key=len)
    if len(small) >= 2:
        if len(small) == len(big):  # the same multiset, or neither within the other
            if sorted(small) == sorted(big):
                return SAME
        elif set(small) <= set(big) and not Counter(small) - Counter(big):
            return WITHIN
    if given_agrees(a, b) or (len(small) == 1 and small[0] in big):
        return GIVEN
    return None


def shares_a_word(a: PersonName, b: PersonName) -> bool:
    """Whether the names share a word, or their given names agree (:func:`given_agrees`)."""
    return bool(set(a.tokens) & set(b.tokens)) or given_agrees(a, b)


def family_shared(a: PersonName, b: PersonName) -> bool:
    """Whether the family parts share a word (``Dunmore`` / ``Dunmore-Hale``)."""
    return bool(set(a.family) & set(b.family))


INDEXED_WORDS = 6
"""The most words of a name whose sub-multisets :func:`parts` gives (a name of more words is looked for
within another by its first 6 words, in order; its whole multiset still finds :data:`SAME`): 57
sub-multisets at most, so finding candidates stays linear in people (speed19)."""


def whole(name: PersonName) -> tuple[str, ...]:
    """The name's words sorted: its multiset, one key for every name of the same words (:data:`SAME`, order
    aside). ``('greta', 'dunmore')`` -> ``('dunmore', 'greta')``."""
    return tuple(sorted(name.tokens))


def parts(name: PersonName) -> set[tuple[str, ...]]:
    """Each sub-multiset of two words or more of the name (sorted, as :func:`whole`), of its first
    :data:`INDEXED_WORDS` words, and its :func:`whole` multiset; empty for a name of fewer than two words.
    A name of 2+ words is :data:`SAME` or :data:`WITHIN` another iff its :func:`whole` is among the other's
    parts, or the other's whole among its parts (the longer side's first 6 words aside)."""
    if len(name.tokens) < 2:
        return set()
    found = {whole(name)}
    first = sorted(name.tokens[:INDEXED_WORDS])
    for size in range(2, len(first) + 1):
        found.update(combinations(first, size))
    return found


def given_key(name: PersonName) -> str:
    """The key every name whose given name agrees with this one's (:func:`given_agrees`) shares: the first
    :data:`NICKNAME_MIN` letters of the given name (the whole given name when shorter: ``Al`` agrees with
    ``Al`` only); ``""`` for a name without a given part. Equal given names share it; a nickname prefix has
    :data:`NICKNAME_MIN` letters or more, so both begin with the same 3."""
    return name.given[0][:NICKNAME_MIN] if name.given else ""


def single_word(name: PersonName) -> str:
    """The one word of a one-word name (``""`` otherwise): :func:`compare` calls it :data:`GIVEN` of any name
    holding that word."""
    return name.tokens[0] if len(name.tokens) == 1 else ""
