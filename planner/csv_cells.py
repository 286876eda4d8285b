"""The one writer of every CSV the tool writes (the actions CSV of ``report --csv``, the hand-off's CSVs).

Each cell goes through :func:`spreadsheet_cell`:

- the characters of :data:`planner.unsafe_characters.UNSAFE` (controls, line separators, bidi
  overrides and isolates, invisible format characters) are written visibly (``\\x1b``, ``\\u202e``,
  ``\\n``), as on a terminal: a spreadsheet or text viewer shows a name's U+202E as ``\\u202e``
  instead of reversing the rest of the cell;
- a cell a spreadsheet would read as a formula (first character ``=``, ``+``, ``-``, ``@``, TAB or
  CR) gets a leading apostrophe (OWASP "CSV Injection": ``=HYPERLINK(...)`` becomes
  ``'=HYPERLINK(...)``, text in Excel, LibreOffice and Google Sheets).

The files keep what the plan holds otherwise: a name sent to Sigma through SCIM is data and is sent
as the IdP holds it (docs/policy.md, "Names the plan writes").
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable

from .unsafe_characters import escape

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
"""First characters that make a spreadsheet read a cell as a formula (OWASP "CSV Injection")."""


def neutralize_cell(value: str) -> str:
    """Return ``value`` made safe for a spreadsheet cell (OWASP "CSV injection").

    A value beginning with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return
    would be read as a formula by Excel/LibreOffice/Sheets; it gets a leading
    apostrophe: ``"=HYPERLINK(...)"`` -> ``"'=HYPERLINK(...)"``. Others are unchanged.
    """
    if value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def cell_text(value: object) -> str:
    """The text of one value in a file: ``""`` for ``None``, ``yes``/``no`` for a bool, ``str`` otherwise,
    characters of the unsafe class escaped visibly; no formula neutralized (a Markdown table is no
    spreadsheet: the hand-off's README.md shows a team named ``=1+2`` as ``=1+2``, the name to type)."""
    text = "" if value is None else "yes" if value is True else "no" if value is False else str(value)
    return escape(text)


def spreadsheet_cell(value: object) -> str:
    """The text of one CSV cell: :func:`cell_text`, then a formula neutralized (module docstring)."""
    return neutralize_cell(cell_text(value))


def csv_text(header: Iterable[str], rows: Iterable[Iterable[object]], *, line_end: str = "\r\n") -> str:
    """The CSV text (RFC 4180 quoting) of ``header`` then ``rows``, every cell (header too) through
    :func:`spreadsheet_cell`; lines end with ``line_end`` (CRLF by default, RFC 4180 §2)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator=line_end)
    writer.writerow([spreadsheet_cell(c) for c in header])
    writer.writerows([spreadsheet_cell(c) for c in row] for row in rows)
    return buffer.getvalue()
