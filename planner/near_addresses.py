"""Near addresses: two addresses Sigma holds apart that a person may still read as one.

Sigma compares emails and SCIM ``userName`` s letter case aside and nothing else (docs/sandbox.md,
"how ``userName`` and emails compare"), and so does the key the planner links on
(:func:`planner.model.email_key`). Two addresses with different keys are two mailboxes: the plan
never links them on its own. But a member the plan would deactivate and an IdP user it would create
whose addresses differ only by what a reader does not see, or by a rule of another language, are
most likely one person, or one person and an impostor (tester6 findings 2-5). Such a **near pair**
is held in one blocking ``linking.same_person_hint`` (:mod:`planner.rules.linking`); a reviewer
links them by an override naming both ids, or says they are different people.

:func:`near_keys` gives an address's keys, each a ``(kind, value)``; two addresses whose
:func:`~planner.model.email_key` differ and which share a key are near:

- ``folded``: full case folding of the compatibility form (:meth:`str.casefold` of Unicode NFKC),
  with the Turkish and Azerbaijani I's made one letter: ``ß`` = ``ss`` (full case folding,
  Unicode CaseFolding.txt status F), fullwidth ``ｃ`` = ``c`` (NFKC), dotless ``ı`` = dotted
  ``İ`` = ``i`` = ``I`` (SpecialCasing.txt: a Turkish reader's ``I`` is ``ı``, ``İ`` is ``i``);
- ``skeleton``: the Unicode Technical Standard #39 §4 skeleton of the folded form: letters that
  look alike map to one prototype (Cyrillic ``а`` to Latin ``a``, Greek ``ο`` to ``o``, ``1`` to
  ``l``, ``m`` to ``rn``), from Unicode's ``confusables.txt`` (:data:`CONFUSABLES`);
- ``capitals-skeleton``: the same skeleton of the folded form in capitals. An email key is in lower
  case, and a capital look-alike lower-cases to a letter that is none (Greek ``Τ`` to ``τ``, Cyrillic
  ``М`` to ``м``): ``ΤΟΡ@`` reads as ``TOP@`` only in capitals (tester7 NEW-1). Two addresses both in
  ASCII are not near by this key alone (``0`` and ``O`` are one in capitals, never in an address a
  reader sees written in lower case).

A mojibake address (UTF-8 once read as cp1252 and saved again, ``josÃ©`` for ``josé``, tester7
NEW-3) also has the ``folded`` key of its repair (:func:`repaired_mojibake`).

A pair near by ``folded`` is near by ``skeleton`` too (the skeleton of equal strings); the kinds
say why (:func:`near_reason`). No library is used for the skeleton: ``confusable-homoglyphs`` has
no skeleton and ships the data as look-alike lists, not prototypes; ``confusables`` 1.2.0 (its
last release 2021) lists spellings, not a skeleton; PyICU's ``SpoofChecker.getSkeleton`` is
TR39's own but needs a C++ build against ICU. The skeleton itself is three lines over the data
file ``confusables`` ships (Unicode's, version 13.0.0), kept trimmed beside this module.
"""

from __future__ import annotations

import unicodedata
from functools import lru_cache
from importlib import resources

import idna

CONFUSABLES = "confusables.txt"
"""The data file beside this module: Unicode's ``confusables.txt`` (UTS #39, version 13.0.0),
data lines only: ``<source> ;\\t<target code points> ;\\tMA``."""

FOLDED = "folded"
MOJIBAKE = "mojibake"
SKELETON = "skeleton"
CAPITALS_SKELETON = "capitals-skeleton"

_TURKISH_I = str.maketrans({"\u0131": "i"})  # dotless ı; dotted İ case-folds to "i" + U+0307
_DOT_ABOVE = "i\u0307"
_LATIN1_CAPITALS = {c: c - 0x20 for c in range(0xE0, 0xFF) if c != 0xF7}  # à..þ -> À..Þ, not ÷


@lru_cache(maxsize=1)
def prototypes() -> dict[int, str]:
    """Code point -> its prototype (UTS #39 §4), read once from :data:`CONFUSABLES`; about 6,300
    entries, a few milliseconds."""
    table: dict[int, str] = {}
    text = resources.files(__package__).joinpath(CONFUSABLES).read_text(encoding="utf-8")
    for line in text.splitlines():
        if line and line[0] != "#":
            source, target, _ = line.split(";", 2)
            table[int(source, 16)] = "".join(chr(int(cp, 16)) for cp in target.split())
    return table


def skeleton(text: str) -> str:
    """The UTS #39 §4 skeleton of ``text``: NFD, each character replaced by its prototype
    (:func:`prototypes`), NFD again. Two strings with one skeleton are confusable."""
    return unicodedata.normalize("NFD", unicodedata.normalize("NFD", text).translate(prototypes()))


def folded(address: str) -> str:
    """``address`` in its loosest spelling that still says the same to some reader: NFKC, full case
    folding, the Turkish I's as ``i`` (module docstring)."""
    text = unicodedata.normalize("NFKC", address).casefold()
    if text.isascii():
        return text
    return unicodedata.normalize("NFC", text.translate(_TURKISH_I).replace(_DOT_ABOVE, "i"))


def repaired_mojibake(address: str) -> str | None:
    """``address`` read back when it is UTF-8 once read as cp1252 (or latin-1) and saved again as
    UTF-8 (``josÃ©`` for ``josé``, tester7 NEW-3): its cp1252 (else latin-1) bytes decoded as UTF-8,
    when that succeeds, differs from ``address`` and is not pure ASCII; else ``None``. An email key
    is in lower case, and lower case turns a two-byte lead (``Ã``, 0xC3) into a three-byte one
    (``ã``, 0xE3): when the address as given does not decode, its Latin-1 letters are tried in
    capitals (the repair then in lower case)."""
    if address.isascii():
        return None
    for text in (address, address.translate(_LATIN1_CAPITALS)):
        for codec in ("cp1252", "latin-1"):
            try:
                repaired = text.encode(codec).decode("utf-8")
            except UnicodeError:
                continue
            if text is not address:
                repaired = repaired.lower()
            if repaired != address and not repaired.isascii():
                return repaired
    return None


def near_keys(address: str) -> frozenset[tuple[str, str]]:
    """The keys of ``address`` (an email key, :func:`planner.model.email_key`) two near addresses
    share: ``(FOLDED, folded form)``, ``(SKELETON, its skeleton)`` and ``(CAPITALS_SKELETON, the
    skeleton of the folded form in capitals)`` (module docstring); for a mojibake address also
    ``(FOLDED, folded form of its repair)`` (:func:`repaired_mojibake`), so it meets the address it
    was damaged from."""
    loose = folded(address)
    keys = {(FOLDED, loose), (SKELETON, skeleton(loose)), (CAPITALS_SKELETON, skeleton(loose.upper()))}
    if (repaired := repaired_mojibake(address)) is not None:
        keys.add((FOLDED, folded(repaired)))
    return frozenset(keys)


def near_reason(a: str, b: str) -> str | None:
    """Why email keys ``a`` and ``b`` (:func:`planner.model.email_key`) are near, as a same-person
    hint's reason (it reads after "have the"): :data:`CASE_FOLDING`, :data:`COMPATIBILITY`,
    :data:`TURKISH_I` or :data:`LOOK_ALIKE`, the first that holds; ``None`` when they are equal or
    not near."""
    if a == b:
        return None
    for damaged, clean in ((a, b), (b, a)):
        if (repaired := repaired_mojibake(damaged)) is not None and folded(repaired) == folded(clean):
            return MOJIBAKE_OF
    if unicodedata.normalize("NFC", a.casefold()) == unicodedata.normalize("NFC", b.casefold()):
        return CASE_FOLDING
    fa, fb = folded(a), folded(b)
    if fa == fb:
        if unicodedata.normalize("NFKC", a).casefold() == unicodedata.normalize("NFKC", b).casefold():
            return COMPATIBILITY
        return TURKISH_I
    if skeleton(fa) == skeleton(fb):
        return LOOK_ALIKE
    if not (a.isascii() and b.isascii()) and skeleton(fa.upper()) == skeleton(fb.upper()):
        return LOOK_ALIKE
    return None


CASE_FOLDING = "same address under full case folding (ß = ss)"
COMPATIBILITY = "same address under Unicode compatibility forms (fullwidth or styled letters)"
TURKISH_I = "same address but for the Turkish I (I ı İ i)"
LOOK_ALIKE = "look-alike address (Unicode confusables, UTS #39)"
MOJIBAKE_OF = ("same address but for mojibake: the address looks like mojibake of the other "
               "(UTF-8 read as cp1252, saved again as UTF-8)")
NEAR_REASONS = (CASE_FOLDING, COMPATIBILITY, TURKISH_I, LOOK_ALIKE, MOJIBAKE_OF)
"""The reasons of :func:`near_reason`, as ``linking.same_person_hint`` items name them."""


def dns_domain(domain: str) -> str | None:
    """``domain`` as DNS holds it: its IDNA A-labels (RFC 5891, with UTS #46's mapping: letter case folded), so
    ``bücher.example`` and ``xn--bcher-kva.example`` are one (``xn--bcher-kva.example``); ``None`` when it is no
    domain name (a space or no-break space inside, ``_``, an empty label: a copy-pasted address, tester22 finding 3),
    which no domain alias should ever name. The ``idna`` library does the work."""
    try:
        return idna.encode(domain, uts46=True).decode("ascii")
    except (idna.IDNAError, UnicodeError):
        return None


def is_look_alike(a: str, b: str) -> bool:
    """Whether ``a`` and ``b`` (email keys) read alike only through look-alike letters (their skeletons
    are one, :func:`near_reason`'s last case): adopting one for the other is never a fix."""
    return near_reason(a, b) == LOOK_ALIKE


def letters_outside_ascii(address: str) -> list[str]:
    """One phrase per character of ``address`` outside ASCII: ``"U+0430 CYRILLIC SMALL LETTER A at
    position 1"`` (1-based), for a reviewer who cannot see the difference."""
    return [f"U+{ord(c):04X} {unicodedata.name(c, 'UNNAMED CHARACTER')} at position {n}"
            for n, c in enumerate(address, 1) if not c.isascii()]
