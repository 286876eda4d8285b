"""The characters no value the tool writes may carry: one class, one place.

Names, emails and team names come from exports an attacker may influence. Some characters in them
act on whoever reads the value instead of being read: a control character (ESC starts a terminal
sequence, BEL rings, CR/LF fake a new line), a line or paragraph separator, a bidirectional
formatting character (U+202E RIGHT-TO-LEFT OVERRIDE shows ``evil\\u202etxt.exe`` as
``evilexe.txt``) or an invisible format character (a zero-width space makes two values look equal).
:data:`UNSAFE` is that class:

- every ``Cc`` character: C0 controls, DEL and the C1 controls (U+0000-U+001F, U+007F-U+009F);
- the line and paragraph separators U+2028, U+2029 (``Zl``, ``Zp``);
- the bidirectional formatting characters of Unicode Standard Annex #9 §2 (embeddings U+202A,
  U+202B, pop U+202C, overrides U+202D, U+202E, isolates U+2066-U+2069, marks U+200E, U+200F,
  U+061C): the means of "bidirectional text spoofing" (Unicode Technical Report #36);
- the other format (``Cf``) characters that are Default_Ignorable_Code_Point, i.e. drawn as
  nothing (UAX #44, DerivedCoreProperties.txt): soft hyphen U+00AD, Mongolian vowel separator U+180E,
  zero-width space U+200B, word joiner and invisible operators U+2060-U+2064, the deprecated
  format characters U+206A-U+206F, the BOM / zero-width no-break space U+FEFF.

Left out, all outside the Basic Multilingual Plane: the shorthand format controls
U+1BCA0-U+1BCA3, the musical format characters U+1D173-U+1D17A and the tag characters U+E0001,
U+E0020-U+E007F. They reorder nothing, and a range past U+FFFF in the class makes every search
over three times slower (1.07 s against 0.29 s, median of 5, for one search over the 45 MB report
of the 100k bench organization; ``show --json`` and the report's embedded JSON are searched whole).

Not in the class: ZERO WIDTH NON-JOINER U+200C and ZERO WIDTH JOINER U+200D. Persian and other
Arabic-script names need the non-joiner (``می‌خواهم``), Indic scripts need both to choose a
conjunct or half form (Unicode Standard §23.2 "Layout Controls"; IDNA allows them in those contexts
only, RFC 5892 Appendix A.1, A.2; UAX #31 §2.3 keeps them in identifiers for the same reason). They
reorder nothing and stay in names; an address never carries them (``planner.sources.values``).

Who uses the class: :func:`planner.sources.values.clean_text` strips it from every name the plan
writes; :func:`planner.sources.values.unclean_parts` names each in a ``userName`` or email (which
are never changed silently: such a person is held by a blocking item); :func:`escape` writes each
visibly (``\\x1b``, ``\\u202e``) for a terminal (:mod:`planner.terminal`), a CSV cell
(:mod:`planner.csv_cells`) and the HTML report (:func:`escape_in_page`, the embedded JSON too).

An address is held to more: it never carries white space, a zero-width joiner or non-joiner, or any
other format character, so :func:`escape_address` writes those visibly too (a leading space as
``\\x20``, a no-break space as ``\\xa0``, U+200C as ``\\u200c``): ``show``, the actions CSV and the
HTML report print an email or ``userName`` through it, so a reviewer sees what the export holds
(tester16a finding 3).
"""

from __future__ import annotations

import re
import unicodedata

_CONTROLS = "\x00-\x1f\x7f-\x9f"
_SEPARATORS = "\u2028\u2029"
BIDI = "\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069"
"""The bidirectional formatting characters (UAX #9 §2): marks, embeddings, overrides, isolates."""
_INVISIBLE_FORMAT = "\u00ad\u180e\u200b\u2060-\u2064\u206a-\u206f\ufeff"
UNSAFE = re.compile(f"[{_CONTROLS}{_SEPARATORS}{BIDI}{_INVISIBLE_FORMAT}]")
"""One character of the class (module docstring); ``UNSAFE.search(text) is None`` for a clean value."""

LINE_BREAKS = "\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"
"""The characters of the class that end a line: what :meth:`str.splitlines` splits on (LF, CR, VT, FF,
the information separators U+001C-U+001E, NEL, LINE SEPARATOR, PARAGRAPH SEPARATOR; Unicode Standard
Annex #14 classes BK, CR, LF, NL). A quoted CSV cell may hold them (RFC 4180 §2.6: an Excel cell typed
with Alt+Enter, a pasted address); an identity value (an email, ``userName``, id, team or group name)
never does (:func:`planner.sources.tabular.parse_table`, ``line-break-in-value``)."""
LINE_BREAK = re.compile(f"[{LINE_BREAKS}]")
"""One character of :data:`LINE_BREAKS`; ``LINE_BREAK.search(text) is None`` for a one-line value."""

_IN_PAGE = re.compile(f"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f{_SEPARATORS}{BIDI}{_INVISIBLE_FORMAT}]")
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def escaped(ch: str) -> str:
    """The visible form of one character of the class: ``\\n``, ``\\r``, ``\\t``, ``\\xNN`` below
    U+0100, ``\\uNNNN`` above, as Python writes them."""
    code = ord(ch)
    if ch in _NAMED:
        return _NAMED[ch]
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def escape(text: str) -> str:
    """``text`` with every character of :data:`UNSAFE` written as :func:`escaped`; ``text`` itself
    when it has none (one regex search, in C)."""
    if UNSAFE.search(text) is None:
        return text
    return UNSAFE.sub(lambda m: escaped(m.group()), text)


def escape_in_page(text: str) -> str:
    """A value shown in the HTML report with every character of the class but TAB, LF and CR (white
    space to HTML, and a review item's YAML snippet needs its line feeds) written as :func:`escaped`:
    it can neither reorder the text around it nor hide in it (:func:`planner.report.page_text`)."""
    if _IN_PAGE.search(text) is None:
        return text
    return _IN_PAGE.sub(lambda m: escaped(m.group()), text)


_WHITE_SPACE_BUT_SPACE = "\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000"
"""The white space characters (``Zs``) but U+0020 SPACE: a no-break space, the typographic spaces, the
ideographic space. In prose they look like a space; in an address they are a damage a reader must see.
Printable ASCII holds none of them nor of :data:`UNSAFE` (the escapers' first, C-speed test)."""
_IN_MESSAGE = re.compile(f"[{_CONTROLS}{_SEPARATORS}{BIDI}{_INVISIBLE_FORMAT}{_WHITE_SPACE_BUT_SPACE}]")
_IN_SNIPPET = re.compile(f"[\x00-\x09\x0b-\x1f\x7f-\x9f{_SEPARATORS}{BIDI}{_INVISIBLE_FORMAT}"
                         f"{_WHITE_SPACE_BUT_SPACE}]")


def escape_message(text: str) -> str:
    """A review item's ``message`` as the plan holds it: every character of :data:`UNSAFE` (a line break too: a
    message is one line) and every white space character but U+0020 SPACE written as :func:`escaped`, so an export
    value quoted in it (an address with a zero-width space, a bidi override, a no-break space) is seen as
    ``ann\\u200b@x`` wherever the message is read: a terminal, a ticket, a CI log, the plan JSON (words18: the
    messages carried the raw value, escaped only by ``show``, the CSV and the report). ``text`` itself when it has
    none (one regex search, in C); escaping twice changes nothing (what it writes is ASCII)."""
    if (text.isascii() and text.isprintable()) or _IN_MESSAGE.search(text) is None:
        return text
    return _IN_MESSAGE.sub(lambda m: escaped(m.group()), text)


def escape_snippet(text: str) -> str:
    """A review item's ``resolution`` (a YAML policy snippet and its ``#`` comment lines) as the plan holds it:
    :func:`escape_message` but for the line feeds that end its lines. It means what it meant: a value is written in
    a snippet plain only when it holds none of these characters (:func:`planner.rules.yaml_snippet`), else as a
    double-quoted scalar, in which YAML reads ``\\u200b``, ``\\xa0``, ``\\t`` back as the character (YAML 1.2
    §5.7 escaped characters); in a comment the escape is only read."""
    if _IN_SNIPPET.search(text) is None:
        return text
    return _IN_SNIPPET.sub(lambda m: escaped(m.group()), text)


def strip(text: str) -> str:
    """``text`` without the characters of :data:`UNSAFE` (``text`` itself when it has none)."""
    if UNSAFE.search(text) is None:
        return text
    return UNSAFE.sub("", text)


_NOT_IN_ADDRESS = frozenset({"Cc", "Cf", "Zs", "Zl", "Zp"})
"""The Unicode categories no character of an address belongs to (:func:`escape_address`)."""


def _address_character(ch: str) -> str:
    return escaped(ch) if ch.isspace() or unicodedata.category(ch) in _NOT_IN_ADDRESS else ch


ADDRESS_FIELDS = frozenset({"email", "userName", "idpUserName", "sigmaEmail", "newOwnerEmail"})
"""The JSON names of the fields of a plan's records (action targets and evidence, review items' subjects,
candidates and evidence) that hold an email or ``userName``: the renderers print their values through
:func:`escape_address`."""


def escape_address(text: str) -> str:
    """An email or ``userName`` as ``show``, the CSVs and the HTML report print it: every character of
    :data:`UNSAFE`, every white space character (a leading or trailing U+0020 SPACE too) and every other
    format character (``Cf``: U+200C ZERO WIDTH NON-JOINER, U+200D ZERO WIDTH JOINER, which a name may need
    but an address never holds) written as :func:`escaped`: ``" ann@x\\u200b"`` is shown as
    ``"\\x20ann@x\\u200b"``. Other characters are kept (a fullwidth or accented letter is seen; the review
    item about such an address names it). ``text`` itself when it is printable ASCII without a space
    (one check, in C)."""
    if text.isascii() and text.isprintable() and " " not in text:
        return text
    return "".join(map(_address_character, text))


def escape_addresses(values: list[str]) -> list[str]:
    """:func:`escape_address` of each of ``values``; ``values`` itself when every one is printable ASCII without
    a space, which :func:`escape_address` leaves as it is (judged on the joined text, in C: the report's people
    table escapes 100k emails and 100k userNames in a few milliseconds, against ~70 ms one by one)."""
    text = "".join(values)
    if text.isascii() and text.isprintable() and " " not in text:
        return values
    return list(map(escape_address, values))
