"""Value conventions shared by every loader (docs/formats.md §0.5-§0.8).

- :func:`parse_bool`: a CSV boolean, ``true``/``false`` written ``true``, ``True`` or ``TRUE`` (and the
  same for false) only; empty = unknown; anything else (``1``/``0``, ``yes``, ``'True``) is no boolean.
- :func:`parse_timestamp`: ISO 8601 (with or without milliseconds / ``Z`` /
  offset; with a ``T`` and no zone: UTC), a year-first date alone (``2026-12-06``, ``2026/12/06``: midnight
  UTC), a format's own zoneless form its loader names (Google CSV's ``YYYY/MM/DD HH:MM:SS``: UTC);
  ``Never logged in``, empty cells, JSON ``null`` and the Unix epoch mean "never".
  Results are ISO 8601 UTC strings ``YYYY-MM-DDTHH:MM:SSZ``.
  A spreadsheet's or a locale's date (year-last, ``6/12/2026``; year-first with a time and neither ``T`` nor
  zone, ``2026/12/6 23:00``) is never read: :func:`local_date_words` says why (:class:`LocalDate`);
  :func:`date_field` is the one reader of the dates rules decide on.
- :func:`is_excel_mangled`: IDs that went through a spreadsheet (``1.04E+20``).
- :func:`spreadsheet_damage`: a text cell a spreadsheet rewrote (Excel's ``="..."`` formula wrapper, its
  text marker ``'``, a formula error such as ``#NAME?``), as a :class:`SpreadsheetDamage`.
- :func:`is_valid_email`: a syntactically valid ``local@domain.tld`` (RFC 5322 dot-atom);
  shared by the loaders' ``invalid-email`` / ``invalid-user-name`` findings and the
  planner's userName checks. ``EMAIL_RE`` is its pattern, for bulk use.
- :func:`string_field`: a JSON value that must be a string, flagged (``unexpected-value``)
  when it is not, never stringified silently; :func:`json_type` names a value's JSON type.
- :func:`unreadable_status`: the one error for a status / active value no loader can read
  (:data:`MISSING`: a record without the field); :func:`missing_status_column`: an export
  without the column that says whether users are active.
- :func:`json_bool`: a JSON boolean, the literals ``true``/``false`` only; a string or number is
  ``None`` with an ``unreadable-status`` error. :func:`timestamp_field`: an IdP sign-in time read
  with :func:`parse_timestamp`; one that does not parse is ``None`` with an ``invalid-timestamp`` warning.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from typing import Any, Iterable

from ..model import SourceRef, SpreadsheetDamage, email_key
from ..unsafe_characters import LINE_BREAK, UNSAFE
from ..unsafe_characters import strip as strip_unsafe
from .files import Findings

__all__ = [
    "DateRead", "LocalDate", "date_field", "local_date_days", "local_date_span", "local_date_words", "EMAIL_RE", "FALSE_WORDS", "NEVER_WORDS", "TRUE_WORDS", "InvalidValue", "as_id", "as_text", "read_id",
    "id_white_space", "ids_hold_white_space", "report_id_white_space", "shared_group_names",
    "clean_address", "clean_addresses", "clean_text", "CSV_PADDING", "padding_parts", "trim_padding", "damage_kind", "damaged_id_message", "TEXT_MARKER",
    "fast_email_key", "is_excel_mangled", "is_valid_email", "json_type", "opt_text",
    "MISSING", "SPREADSHEET_ERRORS", "SpreadsheetDamage", "json_bool", "spreadsheet_damage", "missing_status_column", "parse_bool", "parse_timestamp", "string_field", "timestamp_field", "unclean_parts", "unreadable_status", "unsafe_parts",
]

TRUE_WORDS = frozenset({"true", "True", "TRUE"})
FALSE_WORDS = frozenset({"false", "False", "FALSE"})
"""The CSV spellings of a boolean (docs/formats.md §0.6), exact: ``True``/``False`` are what the Entra
portal, Google's user download and PowerShell ``Export-Csv`` write, ``true``/``false`` what Sigma's
API (and ``jq @csv`` of it) writes, ``TRUE``/``FALSE`` what Excel writes back when it saves either.
``1``/``0``, ``yes``/``no``, ``t``/``f`` come from no export: a ``0`` where ``False`` belongs is a cell
someone (or a formula) rewrote, and reading it would deactivate or archive a person on a guess."""

NEVER_WORDS = frozenset({"never logged in", "never", "null", "none", "n/a", "-"})

_INVISIBLE = frozenset({"Cc", "Cf"})
"""Unicode categories never part of an address: controls (tab, NUL, C1) and format characters
(zero-width space, BOM, bidi marks, soft hyphen)."""

_CONTROL_NAMES = {"\t": "TAB", "\n": "LINE FEED", "\r": "CARRIAGE RETURN", "\x0b": "VERTICAL TAB",
                  "\x0c": "FORM FEED", "\x85": "NEXT LINE"}

_EXCEL_ID = re.compile(r"^[+-]?\d(?:[.,]\d+)?[eE][+-]?\d+$")
_NON_ASCII = (  # every non-ASCII character except Unicode whitespace (str.isspace), C1 controls and the
    # invisible format characters (soft hyphen, zero-width and bidi marks, BOM): never part of an address
    "\u00a1-\u00ac\u00ae-\u167f\u1681-\u1fff\u2010-\u2027"
    "\u2030-\u205e\u2070-\u2fff\u3001-\ufefe\uff00-\U0010ffff"
)
_ATEXT = rf"[A-Za-z0-9!#$%&'*+/=?^_`{{|}}~\-{_NON_ASCII}]"
_ALNUM = rf"[A-Za-z0-9{_NON_ASCII}]"
_LABEL = rf"{_ALNUM}++(?:-++{_ALNUM}++)*+"  # letters and digits, inner hyphens (RFC 1035 §2.3.1)
EMAIL_RE = re.compile(rf"(?=[^@]{{1,64}}@)(?=.{{3,254}}$){_ATEXT}++(?:\.{_ATEXT}++)*+@(?:{_LABEL}\.)+(?![0-9]+$){_LABEL}")
"""The :func:`is_valid_email` pattern, for ``EMAIL_RE.fullmatch`` on values already trimmed (C speed in bulk).

Its runs are possessive (``++``, ``*+``): an atom or a label never gives back a character, since the one that
follows it (``.``, ``@``, the end) is never one of its own; the same addresses match as with greedy runs, with no
backtracking to try: 0.11 -> 0.08 s over the 210k addresses of a 100k-member organization
(tests/test_sources_validation.py compares the two forms)."""
_EPOCH_PREFIX = "1970-01-01T00:00:00"

_TS_FORMATS = (
    "%Y-%m-%d",
    "%Y/%m/%d",
)
"""The year-first dates alone besides ISO 8601 (the year first, the month before the day: one reading; midnight
UTC, as before tester21 finding 10). A date with a time and neither ``T`` nor zone (``2019/6/21 11:21``,
``2019-06-21 11:21:05``: Excel ja-JP, zh-CN, sv-SE, LibreOffice) and a year-last date (``6/12/2026``,
``06.12.2026``: en-US, en-GB, de...) are a spreadsheet's or a locale's, in the viewer's zone:
:func:`local_date_words`. A format's own zoneless form is its loader's to name (:func:`parse_timestamp`'s
``own_form``: Google CSV's ``Last Sign In``, :data:`planner.sources.google.SIGN_IN_FORM`)."""

class InvalidValue(ValueError):
    """A cell or JSON value that does not follow its convention (the message says which)."""


_LOCAL_DATE = re.compile(r"(\d{1,2})([/.\-])(\d{1,2})\2(\d{4}|\d{2})(?=$|[ T,])")
"""A year-last date at the start of a cell: day or month, separator, the other, the same separator, the year."""

_LOCAL_TIME = re.compile(r"(\d{4})([/.\-])(\d{1,2})\2(\d{1,2})\.?[ ,]+\d{1,2}(?:[:.]\d{2}(?:[:.]\d{2}(?:[.,]\d+)?)?)?"
                         r"(?:\s*[AaPp]\.?[Mm]\.?)?")
"""A year-first date with a time after a space and no zone, the whole cell (``2019/6/21 11:21``, ``2019-06-21
11:21:05``, ``2019/06/21 11:21 PM``): a spreadsheet's local time (tester21 finding 10)."""

_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
           "November", "December")


class LocalDate(InvalidValue):
    """A date written in some locale's form (year-last; year-first with a time and no zone) (:func:`local_date_words`):
    an ``ambiguous-date`` finding, never read (the day/month order and the time zone are the writer's locale's,
    which the file does not say)."""


def _calendar(day: int, month: int, year: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def day_words(day: date) -> str:
    """A calendar day as the messages say it: ``10 January 2026``."""
    return f"{day.day} {_MONTHS[day.month - 1]} {day.year}"


def _year_first(text: str) -> date | None | bool:
    """The day of a year-first local date-time filling ``text`` (:data:`_LOCAL_TIME`), ``None`` when it is one
    but no calendar day (``2019/2/30 9:00``), False when ``text`` is none."""
    m = _LOCAL_TIME.fullmatch(text)
    if m is None:
        return False
    return _calendar(int(m.group(4)), int(m.group(3)), int(m.group(1)))


def _local_readings(text: str) -> tuple[date | None, date | None] | None:
    """The two readings of a spreadsheet's or a locale's date at the start of ``text`` (:func:`local_date_words`):
    day first and month first of a year-last date (``None`` each that is no calendar day; a two-digit year is
    20xx), the one day twice of a year-first local date-time (:data:`_LOCAL_TIME`); ``None`` when ``text`` is
    neither."""
    day = _year_first(text)
    if day is not False:
        return day, day
    m = _LOCAL_DATE.match(text)
    if m is None:
        return None
    a, b, year = int(m.group(1)), int(m.group(3)), int(m.group(4))
    if year < 100:
        year += 2000
    return _calendar(a, b, year), _calendar(b, a, year)


def local_date_days(text: str) -> tuple[date, ...]:
    """The calendar days a spreadsheet's or a locale's date (:func:`local_date_words`: ``10/1/2026 9:00``,
    ``2026/1/10 9:00``, what a spreadsheet writes back) may be: day first and month first of a year-last date,
    each once and only when it is a day (``10/1/2026`` -> 10 January and 1 October 2026; ``13/6/2026`` -> 13 June;
    ``6/6/2026`` -> one day), the one day of a year-first one; ``()`` when ``text`` (trimmed) is neither. The time
    of day and its zone are the writer's and unsaid: a rule that reads these days takes each as the whole day in
    any zone (:mod:`planner.rules.address_takeover`)."""
    days = _local_readings(text.strip())
    if days is None:
        return ()
    return tuple(dict.fromkeys(d for d in days if d is not None))


ZONE_SPREAD = timedelta(hours=14)
"""How far a local time is from UTC at most (UTC-12:00 to UTC+14:00): a date a spreadsheet wrote is in
a zone it does not say, so each day it may be spans from 14 hours before its midnight UTC to 14 hours after its
end."""


def local_date_span(text: str) -> tuple[datetime, datetime] | None:
    """``(earliest, latest)`` UTC instants a spreadsheet's or a locale's date (``8/9/2024 18:05``, ``2024/8/9
    18:05``) may be: every day :func:`local_date_days` reads, whole and in any zone (:data:`ZONE_SPREAD`);
    ``None`` when ``text`` is no such date. Rules that weigh such a date decide only what every reading decides
    alike (:mod:`planner.rules.address_takeover`, :func:`planner.rules.unmatched.made_later`; tester17 finding 3,
    tester21 finding 10)."""
    days = local_date_days(text)
    if not days:
        return None
    starts = [datetime(d.year, d.month, d.day, tzinfo=timezone.utc) for d in days]
    return min(starts) - ZONE_SPREAD, max(starts) + timedelta(days=1) + ZONE_SPREAD


def local_date_words(text: str) -> str | None:
    """Why ``text`` (a trimmed cell) is a date no rule may read, or ``None`` when it is no spreadsheet's or
    locale's date.

    A spreadsheet (Excel, LibreOffice, Google Sheets) that opened an export and saved it writes its dates in
    the viewer's locale: ``6/12/2026 23:00`` is 6 December in en-GB, de, fr... and 12 June in en-US, and the
    time is the viewer's local time, its zone unsaid; PowerShell ``Export-Csv`` does the same with the
    session's culture. No IdP export writes a year-last date (docs/formats.md §0.7), so the form alone says the
    file was rewritten. Both readings are named when both are dates (``6 December 2026 (day first) or
    12 June 2026 (month first), which cannot be told``), else the one that is (``13/6/2026``), and the zone is
    always unknown: such a date is never read, not even when only one order is a date (tester10 #12).
    A year-first date with a time and neither ``T`` nor zone (``2019/6/21 11:21``: Excel ja-JP, zh-CN;
    ``2019-06-21 11:21``: sv-SE) is the same local time in an unsaid zone, one order (``21 June 2019, year
    first``), never read either (tester21 finding 10); a format's own zoneless form is read by its loader
    (:func:`parse_timestamp`'s ``own_form``)."""
    first = _year_first(text)
    days = _local_readings(text)
    if days is None:
        return None
    day_first, month_first = (day_words(d) if d is not None else None for d in days)
    if first:
        order = f"{day_first}, year first"
    elif day_first and month_first and day_first != month_first:
        order = f"{day_first} (day first) or {month_first} (month first), which cannot be told"
    elif day_first or month_first:
        order = (f"{day_first}, the same day in either order" if day_first == month_first
                 else f"{day_first or month_first}, read in one order only")
    else:
        return None
    return (f"{text!r} is a date as a spreadsheet or a locale writes it, not ISO 8601: {order}, at a time in a "
            "zone it does not say; read as unknown (export again and do not open the file in a spreadsheet, or "
            "save the column as ISO 8601, yyyy-mm-ddThh:mm:ssZ)")


def parse_bool(value: object) -> bool | None:
    """``True``/``False`` for a CSV cell spelled as in :data:`TRUE_WORDS` / :data:`FALSE_WORDS`
    (surrounding spaces ignored), ``None`` for an empty cell (unknown: the caller decides whether that
    is an error) or ``None``; a ``bool`` is returned as it is.

    Raises :class:`InvalidValue` for anything else, ``1``/``0``, ``yes``/``no`` and ``tRue`` included
    (docs/formats.md §0.6); every CSV loader turns it into an ``unreadable-status`` error naming file,
    line, column and value (:func:`unreadable_status`).
    """
    if value is None or value is True or value is False:
        return value  # type: ignore[return-value]
    word = value.strip() if isinstance(value, str) else value
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    if word == "":
        return None
    raise InvalidValue(f"{value!r} is not a boolean (true or false, written true, True or TRUE)")


def parse_timestamp(value: object, own_form: str | None = None) -> str | None:
    """Normalize a timestamp to ISO 8601 UTC (``2025-05-21T09:14:55Z``), ``None`` for "never".

    Accepts ISO 8601 with or without fractions, ``Z`` or an offset (with a ``T`` and no zone: UTC); a year-first
    date alone (``_TS_FORMATS``, ISO ``2026-12-06``: midnight UTC); ``own_form``, a :meth:`datetime.strptime`
    format a loader names as its export's own zoneless form, written exactly so (zero-padded: ``strftime`` of
    the value gives it back), read as UTC (Google CSV's ``Last Sign In``, docs/formats.md §4a); the sentinels in
    ``NEVER_WORDS`` and the Unix epoch (Google's "never signed in", docs/formats.md §4b). Raises
    :class:`LocalDate` (an :class:`InvalidValue`) for a date a spreadsheet or a locale wrote
    (:func:`local_date_words`: ``6/12/2026`` is never read as 12 June, nor as 6 December; ``2019/6/21 11:21``
    and ``2019-06-21 11:21:05`` are the viewer's local time, never read as UTC: tester21 finding 10),
    :class:`InvalidValue` for anything else.
    """
    if value is None:
        return None
    text = str(value).strip()
    if not text or text.casefold() in NEVER_WORDS or text.startswith(_EPOCH_PREFIX):
        return None
    iso = text[:-1] + "+00:00" if text.endswith(("Z", "z")) else text
    try:
        parsed = datetime.fromisoformat(iso)
    except ValueError:
        parsed = None
    if parsed is not None and (parsed.tzinfo is not None or len(text) <= 10 or text[10] in "Tt"):
        return _utc(parsed)  # ISO 8601 with a T or a zone, or a date alone: the exports' own forms
    if own_form is not None:
        try:
            own = datetime.strptime(text, own_form)
        except ValueError:
            own = None
        if own is not None and own.strftime(own_form) == text:
            return _utc(own)
    local = local_date_words(text)
    if local is not None:
        raise LocalDate(local)
    if parsed is None:
        for fmt in _TS_FORMATS:
            try:
                parsed = datetime.strptime(text, fmt)
                break
            except ValueError:
                continue
        if parsed is None:
            raise InvalidValue(f"{text!r} is not a timestamp") from None
    return _utc(parsed)


def _utc(parsed: datetime) -> str | None:
    """``parsed`` (naive: UTC) as :func:`parse_timestamp` writes it, ``None`` for the Unix epoch's day."""
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.utc)
    parsed = parsed.astimezone(timezone.utc)
    if parsed.year == 1970 and parsed.timetuple().tm_yday == 1:
        return None
    return parsed.strftime("%Y-%m-%dT%H:%M:%SZ")


TEXT_MARKER = "'"
"""Excel's text marker: typed before a value (``'0417``, ``'ann@x.com``) to keep it as text. Excel hides it
in the cell and never saves it in a CSV, so a value that starts with it was copied or typed from a
spreadsheet by hand (docs/formats.md §0.8). No IdP id, userName or email begins with it."""

_DECIMAL_ID = re.compile(r"^\d+\.0+$")

SPREADSHEET_ERRORS = frozenset({
    "#NAME?", "#VALUE!", "#REF!", "#DIV/0!", "#N/A", "#NUM!", "#NULL!", "#SPILL!", "#CALC!", "#FIELD!",
    "#GETTING_DATA", "#BLOCKED!", "#CONNECT!", "#BUSY!", "#UNKNOWN!", "#EXTERNAL!", "#PYTHON!", "#ERROR!",
})
"""The error values a spreadsheet shows, and saves in a CSV, for a formula it cannot compute: Excel's (its
"How to correct a #NAME? error" family of help pages: ``#NAME?``, ``#VALUE!``, ``#REF!``, ``#DIV/0!``,
``#N/A``, ``#NUM!``, ``#NULL!``, ``#SPILL!``, ``#CALC!``, ``#FIELD!``, ``#GETTING_DATA``, ``#BLOCKED!``,
``#CONNECT!``, ``#BUSY!``, ``#UNKNOWN!``, ``#EXTERNAL!``, ``#PYTHON!``) and Google Sheets' ``#ERROR!``. The
value the cell held is lost: no id, address or name is spelled so."""

DAMAGE_STARTS = frozenset({TEXT_MARKER, "=", "#"})
"""The first characters of a value :func:`spreadsheet_damage` may recognise."""

_FORMULA_WRAPPER = re.compile(r'="((?:[^"]|"")*)"')
"""Excel's text formula ``="..."``: a string literal (``""`` is one ``"``) and nothing else."""


def spreadsheet_damage(value: str | None) -> SpreadsheetDamage | None:
    """The :class:`SpreadsheetDamage` of a text cell as read (CSV cells trimmed, JSON strings as they
    are), or ``None`` for a value no spreadsheet rewrote.

    Three shapes (docs/formats.md §0.8): ``="..."`` whole (``="a""b"`` shows ``a"b``; ``="a"&"b"`` and
    ``=A1`` are no wrapper: a formula Excel would compute, judged as a value); a leading apostrophe
    (:data:`TEXT_MARKER`); exactly one of :data:`SPREADSHEET_ERRORS`. No id, address or name of an IdP
    or of Sigma takes any of these shapes, so the shown ``text`` is what the source holds, but a row a
    spreadsheet rewrote is no export: the callers flag it, never use it silently.
    """
    if not value:
        return None
    first = value[0]
    if first == TEXT_MARKER:
        return SpreadsheetDamage("text-marker", value[1:])
    if first == "=":
        wrapped = _FORMULA_WRAPPER.fullmatch(value)
        return SpreadsheetDamage("formula-wrapper", wrapped.group(1).replace('""', '"')) if wrapped else None
    if first == "#" and value in SPREADSHEET_ERRORS:
        return SpreadsheetDamage("formula-error", None)
    return None


def damage_kind(value: str) -> str:
    """What a spreadsheet did to an id or address (``value`` as read, trimmed), for messages:
    Excel's text marker, an integer read as a decimal, or scientific notation / zeroed digits."""
    if value.startswith(TEXT_MARKER):
        return "it starts with an apostrophe, Excel's text marker: copied from a spreadsheet cell"
    if value.startswith("="):
        return "Excel's formula wrapper =\"...\": a text formula, not the id"
    if value in SPREADSHEET_ERRORS:
        return "a spreadsheet formula error"
    if _DECIMAL_ID.match(value):
        return "an integer written as a decimal ('.0'): a spreadsheet or script read it as a number"
    return "scientific notation or zeroed digits"


def damaged_id_message(label: str, value: str) -> str:
    """The one message of an ``excel-mangled-id`` error (:func:`is_excel_mangled`), every loader's.

    ``label`` names the id (``memberId``, ``user id``); ``value`` is the id as read.
    """
    kind = damage_kind(value)
    lost = ("the real id is lost" if kind.startswith(("scientific", "a spreadsheet formula error"))
            else "it is not the id as the source holds it")
    return f"{label} {value!r} was damaged by a spreadsheet ({kind}); {lost}: re-export without opening the file in Excel"


def is_excel_mangled(value: object) -> bool:
    """True for an ID a spreadsheet damaged (docs/formats.md §0.8).

    Four shapes: scientific notation (``1.04E+20``); a long number whose
    digits past the 15th are all zero (``104857600000000000000``: Excel keeps 15
    significant digits when the cell is formatted as a number); Excel's text
    marker first (``'abb45145-...``, :data:`TEXT_MARKER`); an integer written as a
    decimal (``417.0``: read as a float on the way). And the other text-cell damage of
    :func:`spreadsheet_damage`: Excel's formula wrapper (``="00417"``), a formula error (``#REF!``).
    """
    if not isinstance(value, str):
        return False
    if value[:1] in DAMAGE_STARTS:
        return spreadsheet_damage(value) is not None
    if "E" in value or "e" in value:
        return _EXCEL_ID.match(value.strip()) is not None
    if value.endswith("0") and "." in value:
        return _DECIMAL_ID.match(value) is not None
    return len(value) > 15 and value.isdigit() and not value[15:].strip("0")


def is_valid_email(value: object) -> bool:
    """True for a syntactically valid address ``local@domain.tld`` (surrounding spaces ignored).

    The RFC 5322 §3.4.1 ``dot-atom`` form, which is what identity providers
    and Sigma use: the local part is ``atext`` characters (letters, digits,
    ``!#$%&'*+/=?^_`{|}~-``) in dot-separated runs, the domain is two or more
    DNS labels (letters, digits, inner ``-``; RFC 1035 §2.3.1) whose last is not
    all digits; non-ASCII letters are allowed in both (RFC 6531). At most 64
    characters before the ``@`` and 254 in all (RFC 5321 §4.5.3.1). Quoted local
    parts, comments, IP literals, whitespace, a second ``@`` are rejected.
    Anything that is not a ``str`` (a JSON number, ``None``) is not an email.

    Used for Sigma member emails and IdP emails (``invalid-email``) and for IdP
    ``userName`` values (``invalid-user-name``: Sigma identifies SCIM users by
    ``userName`` = email, docs/sigma-api.md §5.2-5.3).
    """
    if value.__class__ is not str:
        return False
    return EMAIL_RE.fullmatch(value.strip()) is not None  # type: ignore[union-attr]


def fast_email_key(address: str | None) -> str:
    """:func:`planner.model.email_key`, with a shortcut for printable ASCII (NFC and the
    removal of control characters are then no-ops)."""
    if not address:
        return ""
    if address.isascii() and address.isprintable():
        return address.strip().lower()
    return email_key(address)


CSV_PADDING = " \t"
"""The one rule of white space around an identity value (a ``userName``, a login, a UPN, an email, a Sigma
member's email and ``memberType``; docs/formats.md §0.8), shared by every loader: in a CSV export, ASCII spaces
and tabs around a cell may be the exporter's or a spreadsheet's padding, so they are trimmed
(:func:`trim_padding`) and ``check`` says so (``padding-trimmed``, one finding per file and field:
:meth:`planner.sources.tabular.Table.identity`); any other white space around a value (U+00A0 NO-BREAK SPACE,
U+2000-U+200A, U+3000, U+FEFF...) is data no exporter adds, and a JSON export (an API answer) holds exactly what
the IdP holds (:func:`string_field`): both are kept as written, and the plan holds the person whose value is not
clean (``scim.unclean_user_name`` / ``scim.unclean_email``), since the IdP keeps sending it as it holds it (was:
Python's :meth:`str.strip` trimmed any Unicode white space, so such a person was created or linked with a
userName the IdP never sends; tester14a finding 1)."""


def trim_padding(value: str) -> str:
    """``value`` (a CSV cell) without the :data:`CSV_PADDING` around it (ASCII spaces and tabs); every other
    character kept, a no-break space around it too."""
    return value.strip(CSV_PADDING)


def padding_parts(value: str) -> str:
    """The white space around ``value`` as a message writes it: ``"trailing U+0020 SPACE"``,
    ``"leading U+00A0 NO-BREAK SPACE, trailing U+0009 TAB"``; ``""`` when there is none."""
    core = value.strip()
    lead, trail = value[:len(value) - len(value.lstrip())], value[len(value.rstrip()):] if core else ""
    return ", ".join(f"{where} {', '.join(map(character_name, chars))}"
                     for where, chars in (("leading", lead), ("trailing", trail)) if chars)


def clean_text(value: str | None) -> str:
    """A value as written to Sigma (names, team names): the characters of
    :data:`planner.unsafe_characters.UNSAFE` removed wherever they are (controls, line separators, bidi
    embeddings/overrides/isolates/marks, invisible format characters such as a zero-width space or a
    BOM), then Unicode NFC, surrounding whitespace (any Unicode space, a no-break space too) and format
    characters trimmed. A zero-width non-joiner or joiner inside (a Persian or Indic name needs them)
    is kept. ``None`` gives ``""``.

    Exports keep values "as typed" (issue 14 item 1); what the plan writes is normalized
    (:func:`unsafe_parts` says what was removed, for the ``scim.cleaned_name`` item).
    """
    if not value:
        return ""
    if value.isascii() and value.isprintable():
        return value.strip()
    text = unicodedata.normalize("NFC", strip_unsafe(value))
    start, end = 0, len(text)
    while start < end and (text[start].isspace() or unicodedata.category(text[start]) == "Cf"):
        start += 1
    while end > start and (text[end - 1].isspace() or unicodedata.category(text[end - 1]) == "Cf"):
        end -= 1
    return text[start:end]


def team_name_key(name: str | None) -> str:
    """The comparison key of a Sigma team name, or of an IdP group ``displayName`` meant as one: two
    names with one key are the same team. :func:`clean_text` (unsafe characters removed, NFC, trimmed:
    a name typed with stray spaces or a zero-width space is its clean form, issue 14 item 1), then
    case-folded (:meth:`str.casefold`): Sigma documents no case-sensitive team names and refuses a name
    another team has whatever its letter case (409 "Duplicate record", docs/sandbox.md, inferred), so
    ``"Finance"``, ``" finance"`` and ``"FINANCE\u200b"`` give ``"finance"``. Inner white space is
    kept (``"Fin  Ops"`` is not ``"Fin Ops"``). ``None`` gives ``""``.

    The one rule for "same team name": the ``case_insensitive`` team rule
    (:func:`planner.rules.teams.free_teams`) and apply's check for a team made since the plan
    (:func:`planner.execute.stale.find_impostors`).
    """
    return clean_text(name).casefold()


def is_team_group(scim_id: str, display_name: str | None, team_ids: Iterable[str | None], team_name: str) -> bool:
    """Whether the SCIM group ``scim_id`` named ``display_name`` is the team a ``scim.create_group`` /
    ``scim.link_group`` makes or links (``team_ids``: its ``teamId`` and the SCIM id the plan holds for it, ``None``
    for neither; ``team_name``: the team's name): its id is one of them (a linked team's SCIM id is its teamId,
    docs/sigma-api.md §5.3: the team the IdP renamed since is still it), or its ``displayName`` is the team's name
    by :func:`team_name_key` (the team made, or the one Sigma finds for the POST's displayName).

    The one rule for "the group action's own team" of apply's check for another group holding the action's
    ``externalId`` (:func:`planner.execute.external_ids.other_accounts`) and the re-plan's
    (:func:`planner.rules.scim_state.second_teams`; tester16b finding 2)."""
    return scim_id in {i for i in team_ids if i} or team_name_key(display_name) == team_name_key(team_name)


def shared_group_names(groups: Iterable[tuple[str, str]]) -> dict[str, tuple[tuple[str, str], ...]]:
    """``{team name key: ((group id, displayName), ...)}`` for each :func:`team_name_key` two or more IdP groups'
    displayNames share (``groups``: ``(group id, displayName)`` pairs; a group id given twice counts once; each
    tuple in the order given). ``"Finance"``, ``"finance"`` and ``" Finance "`` are one name: the IdP finds the team
    a group is pushed to by a ``displayName`` filter, which SCIM compares ignoring case (RFC 7643 §8.7.1), and Sigma
    refuses a second team of one name whatever its letter case, so a team linked or created by that name could be
    either group's. A group without a name is no one's twin. The one rule of "IdP groups sharing a name":
    :func:`planner.rules.teams.group_twins` holds a team so mapped (blocking ``teams.conflict``), and ``check``'s
    ``duplicate-group-name`` warning (:func:`planner.sources.validation.check_idp`) reports every such name."""
    by_key: dict[str, dict[str, str]] = {}
    for group_id, name in groups:
        key = team_name_key(name)
        if key:
            by_key.setdefault(key, {}).setdefault(group_id, name)
    return {key: tuple(found.items()) for key, found in by_key.items() if len(found) > 1}


def typed_team_name_key(name: str | None) -> str:
    """:func:`team_name_key` with each run of white space inside read as one space: the key of a group name typed
    by hand in each row (a generic CSV's ``groups`` cells, where a group has no id but its name as written), so
    ``"Finance"``, ``"finance "``, ``"FINANCE"`` and ``"Fin  ance"``/``"Fin ance"`` pairs are each one group
    (tester10 #13). Names an IdP keeps with an id (Okta, Entra, Google) are compared with :func:`team_name_key`."""
    return " ".join(team_name_key(name).split())


def clean_address(value: str | None) -> str:
    """An email or userName as written to Sigma: :func:`clean_text`, and format characters (Cf:
    zero-width spaces, BOM, bidi marks, soft hyphen) removed too: they are never part of an address."""
    if not value:
        return ""
    if value.isascii() and value.isprintable():
        return value.strip()
    text = unicodedata.normalize("NFC", value)
    return "".join(c for c in text if unicodedata.category(c) not in _INVISIBLE).strip()


def clean_addresses(values: list[str]) -> list[str]:
    """:func:`clean_address` of each value; ``values`` itself when every one is printable ASCII
    without surrounding spaces, which :func:`clean_address` leaves as it is (judged on the joined
    text in C: about 5 ms for 100k addresses, against 70 ms one by one)."""
    text = "\n".join(values)
    if (text.count("\n") == len(values) - 1 and text.isascii() and text.replace("\n", "").isprintable()
            and " \n" not in text and "\n " not in text and text[:1] != " " and text[-1:] != " "):
        return values
    return list(map(clean_address, values))


def character_name(c: str) -> str:
    """``U+00A0 NO-BREAK SPACE``; a control character by its usual name (``U+000A LINE FEED``)."""
    return f"U+{ord(c):04X} {_CONTROL_NAMES.get(c) or unicodedata.name(c, 'CONTROL CHARACTER')}"


def unsafe_parts(raw: str) -> list[str]:
    """One phrase per character of :data:`planner.unsafe_characters.UNSAFE` in ``raw`` (what
    :func:`clean_text` removes from a name): ``"U+202E RIGHT-TO-LEFT OVERRIDE at position 4"``
    (1-based); ``[]`` when there is none."""
    return [f"{character_name(m.group())} at position {m.start() + 1}" for m in UNSAFE.finditer(raw)]


def unclean_name_parts(raw: str | None) -> list[str]:
    """What makes a name (a team name) differ from :func:`clean_text`, one phrase per kind, ``[]`` when
    clean: ``" Fin\u200bance"`` gives ``["leading U+0020 SPACE", "U+200B ZERO WIDTH SPACE at position 5"]``
    (1-based); white space or format characters around it, a character of
    :data:`planner.unsafe_characters.UNSAFE` inside, ``"not in Unicode NFC (...)"``."""
    if not raw or clean_text(raw) == raw:
        return []
    start, end = 0, len(raw)
    while start < end and (raw[start].isspace() or unicodedata.category(raw[start]) in _INVISIBLE):
        start += 1
    while end > start and (raw[end - 1].isspace() or unicodedata.category(raw[end - 1]) in _INVISIBLE):
        end -= 1
    parts = (["leading " + ", ".join(map(character_name, raw[:start]))] if start else []) + (
        ["trailing " + ", ".join(map(character_name, raw[end:]))] if end < len(raw) else [])
    parts += [f"{character_name(m.group())} at position {m.start() + 1}" for m in UNSAFE.finditer(raw, start, end)]
    core = strip_unsafe(raw[start:end])
    if unicodedata.normalize("NFC", core) != core:
        parts.append(not_nfc_phrase(raw))
    return parts


def not_nfc_phrase(text: str) -> str:
    """Why ``text``, which is not in Unicode NFC, is not: the characters NFC replaces even on their own,
    each with its 1-based position in ``text`` (canonical singletons and composition exclusions, UAX #15
    §1.1, §5): ``"not in Unicode NFC (U+212A KELVIN SIGN at position 1, which NFC writes 'K')"`` (the KELVIN
    SIGN lower-cases to ``k``: no comparison by letter case tells it from a ``K``); without such a
    character, ``"not in Unicode NFC (composed characters written decomposed)"`` (``e`` + U+0301)."""
    singletons = [(n, c) for n, c in enumerate(text, 1) if unicodedata.normalize("NFC", c) != c]
    if not singletons:
        return "not in Unicode NFC (composed characters written decomposed)"
    named = ", ".join(f"{character_name(c)} at position {n}, which NFC writes {unicodedata.normalize('NFC', c)!r}"
                      for n, c in singletons)
    return f"not in Unicode NFC ({named})"


def unclean_parts(raw: str | None) -> list[str]:
    """What makes ``raw`` differ from :func:`clean_address`, one phrase per kind, ``[]`` when clean.

    ``" ann@x.com\t"`` gives ``["leading U+0020 SPACE", "trailing U+0009 TAB"]``; an invisible
    character inside gives ``"U+200B ZERO WIDTH SPACE at position 4"`` (1-based); a decomposed
    accent gives ``"not in Unicode NFC (composed characters written decomposed)"``, a KELVIN SIGN
    (:func:`not_nfc_phrase`) ``"not in Unicode NFC (U+212A KELVIN SIGN at position 1, which NFC writes 'K')"``.
    """
    if not raw or clean_address(raw) == raw:
        return []
    parts = []
    core = raw.strip()
    lead, trail = raw[:len(raw) - len(raw.lstrip())], raw[len(raw.rstrip()):]
    if lead:
        parts.append("leading " + ", ".join(character_name(c) for c in lead))
    if trail:
        parts.append("trailing " + ", ".join(character_name(c) for c in trail))
    offset = len(lead)
    for n, c in enumerate(core):
        if unicodedata.category(c) in _INVISIBLE:
            parts.append(f"{character_name(c)} at position {offset + n + 1}")
    if unicodedata.normalize("NFC", core) != core:
        parts.append(not_nfc_phrase(raw))
    return parts


def json_type(value: object) -> str:
    """The JSON name of a value's type with its article, for messages (``"a number"``, ``"null"``)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list):
        return "an array"
    return type(value).__name__


def string_field(value: object, field: str, ref: SourceRef, findings: Findings) -> str:
    """A JSON field that must hold a string, an identity value (a ``userName``, a UPN, an email): the string as
    the IdP holds it, surrounding white space included, ``""`` for null (the JSON half of the one rule of
    :data:`CSV_PADDING`, docs/formats.md §0.8: a JSON export is an API answer, exactly what the IdP holds and
    sends, so a value with a no-break space or a space around it is never trimmed here; the plan holds its
    person, ``scim.unclean_user_name`` / ``scim.unclean_email``, and matching compares
    :func:`~planner.model.email_key` as for any value).

    Anything else is never turned into text silently: a number or boolean
    becomes its JSON text (``123`` -> ``"123"``) with an ``unexpected-value`` warning
    naming ``field`` at ``ref``; an array or object is ``""``, the value left out, with
    an ``unreadable-value`` warning (:meth:`~.files.Findings.skipped`: the record is read
    only in part, so its file is incomplete).
    """
    if value.__class__ is str:
        return value  # type: ignore[return-value]
    if value is None:
        return ""
    text = str(value).lower() if isinstance(value, bool) else str(value) if isinstance(value, (int, float)) else ""
    shown = repr(value) if len(repr(value)) <= 60 else repr(value)[:57] + "..."
    if text:
        findings.warning("unexpected-value", ref.file, ref.location, field,
                         f"{field} is {json_type(value)} ({shown}), not a string; read as {text!r}")
    else:
        findings.skipped("unreadable-value", ref.file, ref.location, field,
                         f"{field} is {json_type(value)} ({shown}), not a string; left out")
    return text


MISSING = object()
"""The ``value`` of :func:`unreadable_status` for a record that lacks the status field altogether."""


def missing_status_column(findings: Findings, file: str, location: str, column: str) -> None:
    """Report the ``missing-status-column`` error: the export has no column saying whether users are active.

    Without it every user would read as active (leavers linked, created), so it stops ``plan``
    like an unreadable cell does (:func:`unreadable_status`). ``column`` names the column(s)
    expected, ``location`` the header line.
    """
    findings.error("missing-status-column", file, location, column,
                   f"no {column} column: whether each user is active cannot be read (a plan never guesses it); "
                   "export the users with it")


def unreadable_status(findings: Findings, file: str, location: str, field: str, value: object,
                      expected: str, unknown: str = "whether the user is active") -> None:
    """Report the ``unreadable-status`` error (issue 14 B.5): a state value a plan acts on is missing or unreadable.

    The one rule for "required value missing", every loader's: a state the loader
    cannot read (an empty cell in a status column, ``N/A``, ``disabled?``, a word the
    IdP does not use; an empty ``isArchived`` cell of a Sigma members CSV) must never
    become "active" (or "inactive", "not archived") by default: the plan would keep,
    link or deactivate the person on a guess. The error names ``file``, ``location``
    (line or JSON path) and ``field`` (the column as written) and stops ``plan``;
    ``expected`` says what the field may hold (``"true or false"``, ``"Active,
    Suspended or Archived"``); ``unknown`` what cannot be read (``"whether the member
    is archived"``); ``value`` :data:`MISSING`: the record has no such field ("status
    is missing").
    """
    shown = ("missing" if value is MISSING else
             "empty" if value is None or (isinstance(value, str) and not value.strip()) else repr(value))
    findings.error("unreadable-status", file, location, field,
                   f"{field} is {shown}, not {expected}: {unknown} cannot be read "
                   "(a plan never guesses it); fix the export")


def json_bool(value: object, field: str, ref: SourceRef, findings: Findings,
              unknown: str = "whether the user is active") -> bool | None:
    """A boolean of a JSON export (SCIM ``active`` and ``emails[].primary``, Graph ``accountEnabled``,
    Google ``suspended``): the JSON literal ``true``/``false`` only (RFC 8259 §3; RFC 7643 §2.3.2 for SCIM).

    ``None`` (the field absent or null: the export does not say) stays ``None``. A string or a
    number (``"no"``, ``"False"``, ``0``) is no JSON boolean: ``None`` with an
    :func:`unreadable_status` error naming ``field`` at ``ref`` and what cannot be read (``unknown``;
    a plan never guesses a status). CSV exports keep their §0.6 spellings (:func:`parse_bool`).
    """
    if value is None or value is True or value is False:
        return value  # type: ignore[return-value]
    unreadable_status(findings, ref.file, ref.location, field, value, "true or false", unknown)
    return None


def timestamp_field(value: object, field: str, ref: SourceRef, findings: Findings,
                    own_form: str | None = None) -> str | None:
    """A time of an export (an IdP sign-in time, Okta ``lastLogin``, Google ``lastLoginTime``...) as ISO 8601
    UTC, ``None`` for never.

    Empty values and :func:`parse_timestamp`'s "never" forms are ``None``; a value
    that is no timestamp is ``None`` with an ``invalid-timestamp`` warning naming
    ``field`` at ``ref``; a year-last date a spreadsheet wrote (:class:`LocalDate`) is ``None`` with an
    ``ambiguous-date`` warning naming them (:func:`date_field` for the dates rules decide on). ``own_form``: the
    export's own zoneless form, read as UTC (:func:`parse_timestamp`).
    """
    if not value:
        return None
    try:
        return parse_timestamp(value, own_form)
    except LocalDate as exc:
        findings.warning("ambiguous-date", ref.file, ref.location, field, str(exc))
        return None
    except InvalidValue as exc:
        findings.warning("invalid-timestamp", ref.file, ref.location, field, str(exc))
        return None


CLOCK_SKEW = timedelta(minutes=10)
"""How far a time an export records may be later than the reading machine's clock (two machines' clocks differ
a little); later than that, the time is wrong (a wrong clock where it was written, an edited export) and
nothing can be judged from it: a manifest's ``fetchedAt`` (:func:`planner.sources.manifest.read_fetched_at`,
tester10 finding 17), the dates rules decide on (:func:`date_field`, tester10 finding 15)."""


def later_than_now(moment: datetime, now: datetime | None = None) -> bool:
    """``moment`` (aware) is later than ``now`` (default: the clock, UTC) by more than :data:`CLOCK_SKEW`."""
    return moment > (now or datetime.now(timezone.utc)) + CLOCK_SKEW


def date_doubt(written: str) -> str:
    """Why a date a rule would decide on is unknown though the export wrote ``written``
    (:attr:`DateRead.unreadable`): ``"is in the future"`` when it reads as a time (:func:`date_field` leaves
    out only such a one: later than the clock when it was read), else ``"cannot be read"`` (a year-last date
    a spreadsheet wrote, a word). Read by the rules' messages, which never read the clock."""
    try:
        return "is in the future" if parse_timestamp(written) else "cannot be read"
    except InvalidValue:
        return "cannot be read"


@dataclass(frozen=True, slots=True)
class DateRead:
    """A date a rule decides on, as read (:func:`date_field`): ``value``, ISO 8601 UTC to the second, ``None``
    when not said or unknown; ``unreadable``, the value as written when it was there but is unknown: it could
    not be read (a year-last date a spreadsheet wrote, a word) or it is in the future (:func:`date_doubt` says
    which), ``None`` otherwise. A rule a known date would decide treats
    an ``unreadable`` one as "cannot tell" (tester10 #12), not as "not said"."""

    value: str | None
    unreadable: str | None = None


def date_field(value: object, field: str, ref: SourceRef, findings: Findings) -> DateRead:
    """The one reader of the dates rules decide on (Okta ``created`` and ``lastUpdated``, Entra
    ``createdDateTime``, SCIM ``meta.created`` and ``meta.lastModified``, a Sigma member's ``createdAt``):
    :func:`timestamp_field` (its ``ambiguous-date`` / ``invalid-timestamp`` warning naming ``field`` at ``ref``:
    file, line or record), with the value as written kept when it could not be read (:class:`DateRead`). A time
    later than now (:func:`later_than_now`: a wrong clock where the record was written, an edited export) is
    unknown the same way, with a ``future-date`` warning: every rule it would decide asks instead, as for an
    export's ``fetchedAt`` in the future (was: an Entra ``createdDateTime`` two hours ahead dated a reused
    address, tester10 finding 15)."""
    if not value:
        return DateRead(None)
    try:
        read = parse_timestamp(value)
        if read is not None and later_than_now(datetime.fromisoformat(read[:-1] + "+00:00")):
            findings.warning("future-date", ref.file, ref.location, field,
                             f"{read} is later than now ({datetime.now(timezone.utc):%Y-%m-%dT%H:%M:%SZ}): a wrong "
                             "clock where the record was written, or an edited export; the date is unknown to every "
                             "rule it would decide")
            return DateRead(None, str(value).strip())
        return DateRead(read)
    except LocalDate as exc:
        findings.warning("ambiguous-date", ref.file, ref.location, field, str(exc))
    except InvalidValue as exc:
        findings.warning("invalid-timestamp", ref.file, ref.location, field, str(exc))
    return DateRead(None, str(value).strip())


def change_time(value: object) -> str | None:
    """When a record was last changed (Okta ``lastUpdated``, SCIM ``meta.lastModified``) as
    :func:`parse_timestamp` writes it (ISO 8601 UTC to the second), ``None`` when absent or no
    timestamp: an unreadable time dates nothing, so a disagreement it would date stays a question
    (:mod:`planner.rules.scim_state`)."""
    try:
        return parse_timestamp(value) if value else None
    except InvalidValue:
        return None


def membership_change_time(attributes: Mapping[str, Any]) -> str | None:
    """When a group's members last changed, from its loaded attributes (:attr:`planner.model.IdpGroup.attributes`),
    as :func:`change_time` writes it: Okta's ``lastMembershipUpdated`` (docs/formats.md §2a), else a SCIM
    Group's ``meta.lastModified`` (RFC 7643 §3.1: any change of the Group, its members included; Sigma's
    SCIM state and an IdP's SCIM export); ``None`` when the group says neither (Entra, Google, CSV exports)."""
    if attributes.get("lastMembershipUpdated"):
        return change_time(attributes["lastMembershipUpdated"])
    meta = attributes.get("meta")
    value = meta.get("lastModified") if isinstance(meta, Mapping) else getattr(meta, "lastModified", None)
    return change_time(value if value is not None else attributes.get("lastModified"))


def read_id(value: str) -> str:
    """The one way a loader cleans an ID (a Sigma ``memberId`` / ``teamId`` / ``userId``, an IdP user or group id, a
    group's member reference, an ``externalId``), in a CSV cell or a JSON string alike: the :data:`CSV_PADDING`
    around it (ASCII spaces and tabs, a cell's padding) trimmed, every other character kept. An ID is opaque: it
    joins records across files (a user and its group memberships, a team and its members) only when every loader
    reads it the same way, so no other character is ever removed (was: :meth:`str.strip` in some loaders, which
    trims Unicode white space too, U+00A0, U+2028, U+3000, and the CSV-only trim in others, so one id joined in one
    file and not in another; leftovers16 item 3). The white space it keeps is an ``invalid-id`` error naming file,
    record and field (:func:`id_white_space`, :func:`report_id_white_space`; docs/formats.md §0.8)."""
    return value.strip(CSV_PADDING)


def id_white_space(value: str) -> str:
    """The white space an ID read by :func:`read_id` still holds, as a message writes it: ``"trailing U+00A0
    NO-BREAK SPACE"``, ``"U+3000 IDEOGRAPHIC SPACE inside"``; ``""`` when there is none. A space (U+0020) inside is
    part of the id; any other white space (:meth:`str.isspace`: a no-break space, U+2028 LINE SEPARATOR, U+3000, a
    tab or a line break inside) is no exporter's padding and no id system's character, so the id is doubtful:
    which record it names cannot be said."""
    if value.isascii() and value.isprintable():  # printable ASCII: its only white space is U+0020
        return ""
    first = len(value) - len(value.lstrip())
    last = len(value.rstrip())
    parts = []
    for i, c in enumerate(value):
        if c.isspace() and c != " ":
            where = "leading" if i < first else "trailing" if i >= last else "inside"
            part = f"{where} {character_name(c)}" if where != "inside" else f"{character_name(c)} inside"
            if part not in parts:
                parts.append(part)
    return ", ".join(parts)


def ids_hold_white_space(values: Iterable[str]) -> bool:
    """True when one of ``values`` (IDs read by :func:`read_id`) may hold white space :func:`id_white_space`
    reports: decided on the joined text in C (False for printable ASCII, every id of the usual export).

    ``str.isprintable`` on the joined text, not its bytes with the ASCII controls deleted (``bytes.translate``):
    that is 0.08 -> 0.03 s on the 24M characters of a 100k-member organization's IdP ids, but its two copies of the
    text took ``check``'s peak RSS from 643 to 683 MiB and fault their pages in (docs/performance.md, s21)."""
    text = "".join(values)
    return not (text.isascii() and text.isprintable())


def report_id_white_space(findings: Findings, file: str, location: str, field: str, what: str, value: str) -> bool:
    """One ``invalid-id`` error for ID ``value`` of ``field`` at ``file`` / ``location`` when it holds white space
    (:func:`id_white_space`), ``what`` saying whose id it is (``"user id"``, ``"group 'Finance' lists member"``):
    ``user id '00u1\xa0' holds trailing U+00A0 NO-BREAK SPACE: ...``; True when it did. The id is kept as read
    (never altered), and ``check`` and ``plan`` stop on the error (docs/formats.md §0.8). A line break in a CSV cell
    is the reader's ``line-break-in-value`` error at that record already (:mod:`.tabular`): not reported twice."""
    parts = id_white_space(value)
    if not parts or (LINE_BREAK.search(value) and any(  # a CSV cell's line break is the reader's error already
            f.code == "line-break-in-value" and f.file == str(file) and f.location == location for f in findings)):
        return False
    findings.error("invalid-id", file, location, field,
                   f"{what} {value!r} holds {parts}: white space is no part of an id, and an id is never altered "
                   "(it would name a record in one file and none in another); fix the value in the file, or export "
                   "it again")
    return True


def as_id(value: object) -> str:
    """An ID as a string (:func:`read_id`: ASCII spaces and tabs around it trimmed, nothing else; JSON numbers become
    their decimal text); ``""`` for null."""
    if value is None:
        return ""
    if isinstance(value, str):
        return read_id(value)
    if isinstance(value, bool):
        return ""
    return str(value)


def as_text(value: object) -> str:
    """A display string: ``""`` for null, ``str()`` otherwise."""
    return "" if value is None else str(value)


def opt_text(value: object) -> str | None:
    """A display string or ``None``: strings as they are, numbers/booleans as text, null and containers ``None``.

    JSON exports sometimes hold a number or an object where a name belongs;
    the model's ``str | None`` fields never receive anything else.
    """
    if value is None or value.__class__ is str:
        return value  # type: ignore[return-value]
    if isinstance(value, (dict, list)):
        return None
    return str(value)


def sent_account_type(user_type: str) -> str | None:
    """The Sigma account type a SCIM User's ``userType`` carries: the value as written, white space around it
    included, unless it is empty (or white space) or Entra ID's ``Member`` / ``Guest`` (a kind of user, not an
    account type), then ``None``. Read by the SCIM and generic-CSV loaders (tester10 finding 10). Sigma reads the
    account type from ``userType``, matched case-sensitively (docs/sigma-api.md §5.2), and the IdP sends it as
    written: ``"Build "`` is not ``Build`` (tester11 nit: it was trimmed without a word), so it stays as written,
    which :func:`planner.rules.account_types.unknown_types` holds, with the loader's :func:`padded_user_type`
    warning."""
    bare = user_type.strip()
    return user_type if bare and bare.casefold() not in ("member", "guest") else None


def padded_user_type(findings: Any, file: str, location: str, user_type: str) -> None:
    """A ``user-type-space`` warning when the account type ``userType`` carries (:func:`sent_account_type`) has
    white space around it (``"Build "``): the IdP sends it as written and Sigma, comparing exactly, knows no such
    type, so the plan holds the person (``account_types.unknown_type``); nothing for any other value."""
    if user_type != user_type.strip() and sent_account_type(user_type) is not None:
        findings.warning("user-type-space", file, location, "userType",
                         f"userType {user_type!r} has white space around it: the IdP sends it as written, and Sigma "
                         f"matches account types exactly, so it is not {user_type.strip()!r} (the plan holds the "
                         f"person: account_types.unknown_type); correct the attribute in the IdP")


COMMON_SEPARATORS = (",", ";", "|", "/", "\n")
"""The separators a person types between names in one cell (``"\\n"``: any line break,
:data:`planner.unsafe_characters.LINE_BREAK`), which :func:`other_separator_split` tries."""


def other_separator_split(name: str, separator: str, group_names: Mapping[str, str]
                          ) -> tuple[str, tuple[str, ...], tuple[str, ...]] | None:
    """Whether the group name ``name``, read from a groups cell split by ``separator``, is several names typed with
    another separator: ``(separator found, pieces, known pieces)`` for the first of :data:`COMMON_SEPARATORS` that
    is not (part of) ``separator`` and splits ``name`` into two or more non-empty trimmed pieces of which at least
    one is the name of another group of the same export; ``None`` otherwise (tester11 finding 9: ``'Finance,
    Sales'`` with ``groups_separator: ';'`` and ``Finance`` a group of the file).

    :param group_names: every group of the export by :func:`typed_team_name_key`, to the name the export reads it
        as; a piece is known when its key is there and is not ``name``'s own.
    :returns: the known pieces as the export names them, in the pieces' order, never empty when not ``None``.
    One rule for every IdP format whose users carry a cell of group names (today: generic CSV)."""
    from ..unsafe_characters import LINE_BREAK

    own = typed_team_name_key(name)
    for candidate in COMMON_SEPARATORS:
        if candidate == "\n":
            if LINE_BREAK.search(separator):
                continue
            parts = LINE_BREAK.split(name)
        elif candidate in separator:
            continue
        else:
            parts = name.split(candidate)
        pieces = tuple(p.strip() for p in parts if p.strip())
        if len(pieces) < 2:
            continue
        keys = [typed_team_name_key(p) for p in pieces]
        known = tuple(group_names[k] for k in dict.fromkeys(keys) if k != own and k in group_names)
        if known:
            return candidate, pieces, known
    return None


def separator_words(separator: str) -> str:
    """A separator of :data:`COMMON_SEPARATORS` as a message writes it: ``','``; ``a line break`` for ``"\\n"``."""
    return "a line break" if separator == "\n" else repr(separator)
