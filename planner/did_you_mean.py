"""Did you mean: the one place a name that names nothing is matched to the name it probably means.

A policy key, a policy reference (a member, team or IdP group), a column a mapping names, an account
type, a ``--only`` selector: each may be a typo of a name that exists, and each message then names
the closest one. :func:`suggest` decides it the same way everywhere:

1. the same name but for letter case (``finance`` / ``Finance``);
2. else the closest by :func:`difflib.get_close_matches` whose ratio is at least ``cutoff``
   (:data:`CUTOFF`, difflib's own default, unless a caller's names need a stricter one: a column
   header or an account type, where about one edit is a typo and more is another name).

A prefix is no typo (``Explorer Plus`` is a custom account type, not ``Explorer`` misspelt).

A name that only **looks like** the value is never proposed as its right spelling (tester7 NEW-4,
the class of tester6 finding 5): ``Fіnance`` with a Cyrillic ``і`` (U+0456) beside ``Finance``, or
a fullwidth ``Ｓales`` beside ``Sales``, are two names to Sigma and to the IdP, and adopting one for
the other spreads the impostor's (or the mistake's) spelling. :func:`look_alike` finds such a name
first (:func:`planner.near_addresses.near_reason`: compatibility forms, the Turkish I, UTS #39
confusables; a difference in letter case alone is no look-alike, two ASCII names are never
look-alikes: a reader sees them apart), and the :class:`Suggestion` then says they look alike and
differ, naming the code points, instead of "did you mean".

:func:`unknown_key` words a key that is not in a schema (the policy's, a generic-CSV mapping's) the
one way: ``unknown key 'colums' (did you mean 'columns'?); allowed here: users, columns, ...``.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Iterable, Sequence

from .near_addresses import CASE_FOLDING, letters_outside_ascii, near_keys, near_reason

CUTOFF = 0.6
"""difflib ratio from which a name is proposed (:func:`difflib.get_close_matches`' default)."""

LOOK_ALIKE_LENGTH = 3
"""A look-alike (:func:`look_alike`) differs in length by at most this many characters (``rn``/``m``,
a mojibake letter is two)."""


@dataclass(frozen=True, slots=True)
class Suggestion:
    """The name a value probably means (``name``), or a name that only looks like it
    (``look_alike``: ``True``, never to be taken for it); :meth:`phrase` words it."""

    value: str
    name: str
    look_alike: bool = False

    def phrase(self) -> str:
        """``"did you mean 'Finance'?"``, or for a look-alike ``"'Fіnance' looks like 'Finance' and
        differs: U+0456 CYRILLIC SMALL LETTER BYELORUSSIAN-UKRAINIAN I at position 2; never take one for
        the other"`` (the characters outside ASCII of both names, :func:`look_alike_differences`)."""
        if not self.look_alike:
            return f"did you mean {self.name!r}?"
        return (f"{self.name!r} looks like {self.value!r} and differs: "
                f"{'; '.join(look_alike_differences(self.value, self.name))}; never take one for the other")


def look_alike_differences(a: str, b: str) -> list[str]:
    """The characters outside ASCII of ``a`` and of ``b``, as :func:`planner.near_addresses.letters_outside_ascii`
    words them (``["U+0456 CYRILLIC SMALL LETTER BYELORUSSIAN-UKRAINIAN I at position 2"]``); when both names
    have some, each ends with whose it is (``... at position 2 of 'Fіnance'``)."""
    own_a, own_b = letters_outside_ascii(a), letters_outside_ascii(b)
    if own_a and own_b:
        return [f"{p} of {a!r}" for p in own_a] + [f"{p} of {b!r}" for p in own_b]
    return own_a or own_b


def is_look_alike(a: str, b: str) -> bool:
    """Whether names ``a`` and ``b`` differ but read alike to a person (module docstring): near by
    :func:`~planner.near_addresses.near_reason` other than by letter case, and not both ASCII."""
    if a == b or (a.isascii() and b.isascii()):
        return False
    reason = near_reason(a, b)
    return reason is not None and reason != CASE_FOLDING


class LookAlikes:
    """The names of ``names`` indexed by their near keys (:func:`planner.near_addresses.near_keys`), to find
    the look-alikes of many values (:meth:`of`) without comparing each with every name, as
    :func:`look_alike` does for one value."""

    def __init__(self, names: Iterable[str]) -> None:
        self._order = {name: i for i, name in enumerate(dict.fromkeys(names))}
        self._by_key: dict[tuple[str, str], list[str]] = {}
        for name in self._order:
            for key in near_keys(name):
                self._by_key.setdefault(key, []).append(name)

    def of(self, value: str) -> str | None:
        """The first name (in the order given) that looks like ``value`` and is not it
        (:func:`is_look_alike`), or ``None``."""
        found = {n for key in near_keys(value) for n in self._by_key.get(key, ()) if is_look_alike(value, n)}
        return min(found, key=self._order.__getitem__) if found else None


def look_alike(value: str, names: Iterable[str]) -> str | None:
    """The first of ``names`` (in their order) that looks like ``value`` and is not it
    (:func:`is_look_alike`), or ``None``. Names longer or shorter by more than
    :data:`LOOK_ALIKE_LENGTH` are not compared (fast over 100k names)."""
    if value.isascii():
        # an ASCII value is looked alike only by a name outside ASCII: skip the ASCII ones unread
        return next((n for n in names if not n.isascii() and abs(len(n) - len(value)) <= LOOK_ALIKE_LENGTH
                     and is_look_alike(value, n)), None)
    return next((n for n in names if abs(len(n) - len(value)) <= LOOK_ALIKE_LENGTH and is_look_alike(value, n)),
                None)


def closest(value: str, names: Iterable[str], *, cutoff: float = CUTOFF) -> str | None:
    """The name of ``names`` that ``value`` probably misspells (rules 1-2 of the module docstring),
    never one that only looks like it (:func:`is_look_alike`); ``None`` when none is close. ``names``
    keep their order for ties (difflib's: the highest ratio first)."""
    pool = [n for n in dict.fromkeys(names) if not is_look_alike(value, n)]
    folded = value.casefold()
    same = next((n for n in pool if n.casefold() == folded), None)
    if same is not None:
        return same
    return next(iter(difflib.get_close_matches(value, pool, n=1, cutoff=cutoff)), None)


def suggest(value: str, names: Iterable[str], *, cutoff: float = CUTOFF) -> Suggestion | None:
    """What a message says of ``value``, which is none of ``names``: a name that looks like it
    (:func:`look_alike`, said as such), else the closest (:func:`closest`); ``None`` when neither."""
    names = list(names)
    alike = look_alike(value, names)
    if alike is not None:
        return Suggestion(value, alike, look_alike=True)
    close = closest(value, names, cutoff=cutoff)
    return Suggestion(value, close) if close is not None else None


def unknown_key(key: str, allowed: Sequence[str]) -> str:
    """How a key no schema allows is said (the policy's and a generic-CSV mapping's strict reading):
    ``"unknown key 'colums' (did you mean 'columns'?); allowed here: users, columns"``; without the
    list when nothing is allowed there (a free mapping)."""
    found = suggest(key, allowed)
    message = f"unknown key {key!r}" + (f" ({found.phrase()})" if found else "")
    return message + (f"; allowed here: {', '.join(allowed)}" if allowed else "")
