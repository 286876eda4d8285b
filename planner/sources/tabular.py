"""CSV reading under the cross-cutting rules of docs/formats.md §0, for every CSV format.

:func:`read_table` turns a CSV file into a :class:`Table` of string columns:

1. Encoding (§0.1): see :func:`planner.sources.files.decode` (BOM, cp1252 fallback).
2. Preamble (§0.1, §0.4): leading blank lines, a PowerShell ``#TYPE ...`` line, a
   Microsoft ``version:v1.0`` line and an Excel ``sep=;`` hint are skipped; line
   numbers in findings and :class:`~planner.model.SourceRef` stay *physical*
   (the header of a file with a ``#TYPE`` line is line 2).
3. Delimiter (§0.2): ``,`` / ``;`` / tab, sniffed on the header line (outside
   quotes; a tie goes to ``,``). A ``;`` file is therefore read as ``;`` and
   never as one giant column; if sniffing is fooled anyway, the required columns
   are missing and the file is an error, never a silent success.
4. Headers (§0.3): matched case-insensitively after trimming and collapsing
   inner whitespace, through the caller's alias table (canonical name -> tuple
   of spellings). Duplicate headers (after that normalization) are an error
   (``duplicate-header``); a missing required column is an error
   (``missing-column``); both name the file, the header line and the column.
   Unknown columns are kept (:meth:`Table.extra_columns`) as pass-through
   attributes.
5. Cells are strings (``dtype=str``, no NA guessing: §0.8 IDs stay strings,
   ``"NA"`` stays ``"NA"``); quoted cells may hold delimiters, newlines or a whole
   JSON object (Entra's preview download, docs/formats.md §3a): RFC 4180 §2.6, a
   quoted cell typed with Alt+Enter is one cell, its record one row, named by the
   physical line it starts on (lines are counted by ``\n``; the header may span
   lines too). In an identity column (the caller's ``identity``: an email,
   ``userName``, id, team or group name) a line break (:data:`~planner.unsafe_characters.LINE_BREAKS`)
   is a ``line-break-in-value`` error naming file, line and column: the value is
   neither joined nor split. A bare ``\r`` or ``\n`` outside quotes is no cell
   content: a ``\r`` inside a line is ``malformed-csv``, a ``\n`` that cuts a
   record gives rows of the wrong width (``ragged-row``), each naming file and line. Rows with *more*
   fields than the header are ``ragged-row`` errors and skipped (extra fields that
   are all empty, a trailing delimiter, are tolerated); rows with *fewer* fields
   (a truncated file, a lost delimiter) are ``ragged-row`` errors naming the first
   missing column, and skipped: a missing cell is never read as an empty one;
   blank rows are dropped.

Speed: a file without any ``"`` is split on line ends and delimiters (no
quoting means nothing to unescape: the same cells a CSV parser gives, without
its cost); a large file with quotes goes to pandas' C parser
(``read_csv(dtype=str, keep_default_na=False)``); the ``csv`` module reads
small quoted files and odd ones (ragged rows, quoted newlines) with exact
physical line numbers.
"""

from __future__ import annotations

import csv
import io
import re
import warnings
from collections import Counter
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Iterable, Mapping, Sequence

from ..did_you_mean import closest
from ..model import SourceRef
from ..unsafe_characters import LINE_BREAK, LINE_BREAKS
from .files import Findings, TextFile, read_text
from .values import (
    CSV_PADDING, SPREADSHEET_ERRORS, InvalidValue, damaged_id_message, missing_status_column, parse_bool,
    padding_parts, trim_padding, unreadable_status, unsafe_parts,
)

if TYPE_CHECKING:  # pandas is imported when a large file needs it (~0.25 s to import)
    import pandas as pd

DELIMITERS = (",", ";", "\t")
_DELIMITER_NAMES = {",": "comma", ";": "semicolon", "\t": "tab"}
_EXCEL_PATTERN = (r"[+-]?\d(?:[.,]\d+)?[eE][+-]?\d+|\d{15}0+|'.*|\d+\.0+|=\"(?:[^\"]|\"\")*\"|"
                  + "|".join(re.escape(e) for e in sorted(SPREADSHEET_ERRORS)))
_EXCEL_RE = re.compile(_EXCEL_PATTERN)
SMALL_FILE = 1 << 16
"""Bodies under this many characters are read by the ``csv`` module: pandas' fixed cost per
call (~1.5 ms) dominates for small files, e.g. 5,000 Entra "Download members" files."""

csv.field_size_limit(1 << 30)


_UNIT = "\x1f"
_ASCII_BREAKS = tuple(c for c in LINE_BREAKS if c.isascii())
_ASCII_SPACES = (" ", "\t", "\r", "\n", "\x0b", "\x0c")


def _stripped(values: list[str]) -> list[str]:
    """``values`` with surrounding whitespace removed.

    Substring searches over the joined column (C speed) decide whether any cell
    needs it; only then does a Python loop strip them.
    """
    if not values:
        return values
    joined = _UNIT.join(values)
    if joined.isascii() and not joined[:1].isspace() and not joined[-1:].isspace() and not any(
        ws + _UNIT in joined or _UNIT + ws in joined for ws in _ASCII_SPACES
    ):
        return values
    return [v.strip() for v in values]


def _padding_trimmed(values: list[str]) -> list[str]:
    """``values`` with :data:`~.values.CSV_PADDING` trimmed from each (:func:`~.values.trim_padding`);
    ``values`` itself when no cell starts or ends with a space or a tab (decided on the joined column, in C)."""
    joined = _UNIT.join(values)
    if joined[:1] not in CSV_PADDING and joined[-1:] not in CSV_PADDING and not any(
            pad + _UNIT in joined or _UNIT + pad in joined for pad in CSV_PADDING) or not values:
        return values
    return [trim_padding(v) for v in values]


def header_key(name: str) -> str:
    """Normalize a header for matching: trimmed, inner whitespace collapsed, case-folded."""
    return " ".join(name.split()).casefold()


COLUMNS_SHOWN = 40
"""At most this many columns are named when a message lists a file's header (:func:`column_list`)."""


def column_list(headers: Sequence[str]) -> str:
    """A file's columns for a message, as written: ``'Login', 'Mail Address'``; after :data:`COLUMNS_SHOWN`
    of them, ``..., (62 in all)``."""
    shown = ", ".join(repr(h) for h in headers[:COLUMNS_SHOWN])
    return shown + (f", ... ({len(headers)} in all)" if len(headers) > COLUMNS_SHOWN else "")


COLUMN_CUTOFF = 0.8
"""difflib ratio from which a header is a probable typo of a column (:func:`closest_column`): about one edit
(``Logon`` / ``Login``); ``isInactive`` / ``isArchived``, 0.7, is no typo of the other."""


def closest_column(wanted: Sequence[str], headers: Sequence[str]) -> str | None:
    """The header (as written) a missing column ``wanted`` (its spellings) probably means, for a "did you mean":
    the same but for spaces, ``_`` and ``-`` (``user_principal_name``), else a header holding the spelling as a
    word (``Mail`` in ``Mail Address``), else the closest by :func:`planner.did_you_mean.closest` at
    :data:`COLUMN_CUTOFF`; ``None`` when none is close (a header that only looks like the spelling,
    ``Emaіl`` with a Cyrillic ``і``, is none: :func:`planner.did_you_mean.is_look_alike`)."""
    def squeezed(text: str) -> str:
        return "".join(c for c in header_key(text) if c not in " _-")

    keys = {header_key(h): h for h in reversed(headers) if h}
    squeezes = {squeezed(h): h for h in reversed(headers) if h}
    for spelling in wanted:
        if squeezed(spelling) in squeezes:
            return squeezes[squeezed(spelling)]
    for spelling in wanted:
        word = header_key(spelling)
        if len(word) >= 3:
            hit = next((h for h in headers if h and word in header_key(h).split()), None)
            if hit is not None:
                return hit
    for spelling in wanted:
        close = closest(header_key(spelling), list(keys), cutoff=COLUMN_CUTOFF)
        if close is not None:
            return keys[close]
    return None


def sniff_delimiter(line: str) -> str:
    """The most frequent of ``,`` ``;`` tab outside double quotes in ``line`` (``,`` on a tie or none)."""
    counts = dict.fromkeys(DELIMITERS, 0)
    quoted = False
    for ch in line:
        if ch == '"':
            quoted = not quoted
        elif not quoted and ch in counts:
            counts[ch] += 1
    best = max(DELIMITERS, key=lambda d: (counts[d], d == ","))
    return best if counts[best] else ","


@dataclass(frozen=True)
class Preamble:
    """Where the header of a CSV text starts: offset, physical line number, skipped-lines count, ``sep=`` hint."""

    offset: int
    header_line: int
    skipped: int
    sep: str | None = None


def find_header(text: str) -> Preamble:
    """Skip blank, ``#TYPE``, ``version:`` and ``sep=`` lines at the top of a CSV text (§0.1, §0.4)."""
    pos, line_no, sep = 0, 1, None
    while pos < len(text):
        nl = text.find("\n", pos)
        end = len(text) if nl < 0 else nl
        line = text[pos:end].strip().strip('"')
        low = line.casefold()
        if not line or low.startswith("#type") or low.startswith("version:"):
            pass
        elif low.startswith("sep=") and len(line) <= 6:
            sep = line[4:5] or None
        else:
            return Preamble(pos, line_no, line_no - 1, sep)
        if nl < 0:
            break
        pos, line_no = nl + 1, line_no + 1
    return Preamble(len(text), line_no, line_no - 1, sep)


@dataclass
class Table:
    """A CSV file read as string columns.

    - ``headers``: the header text of each column position, trimmed.
    - ``canonical``: canonical name -> column position, for the columns the
      alias table knows (first column wins when two aliases of one name occur).
    - ``frame``: a pandas DataFrame, one ``str`` column per position (named by
      position), blank rows removed; ``None`` for a small file, read by the
      ``csv`` module into ``cells`` (one list of strings per column position).
    - ``lines``: the physical 1-based line number of each row.
    """

    file: TextFile
    headers: list[str]
    canonical: dict[str, int]
    frame: pd.DataFrame | None
    cells: list[list[str]] | None
    lines: list[int]
    header_line: int
    delimiter: str
    clean: bool = False  # no cell has surrounding whitespace: column() can skip stripping
    _cache: dict[int, list[str]] = field(default_factory=dict, repr=False)
    _raw: dict[int, list[str]] = field(default_factory=dict, repr=False)
    _identity: dict[int, list[str]] = field(default_factory=dict, repr=False)

    def __len__(self) -> int:
        return len(self.lines)

    @property
    def path(self) -> Path:
        return self.file.path

    def has(self, name: str) -> bool:
        """True when the canonical column ``name`` is present."""
        return name in self.canonical

    def header(self, name: str) -> str:
        """The header text of canonical column ``name`` as written in the file (``name`` if absent)."""
        pos = self.canonical.get(name)
        return name if pos is None else self.headers[pos]

    def column(self, pos: int) -> list[str]:
        """Values of column position ``pos``, each stripped of surrounding whitespace."""
        values = self._cache.get(pos)
        if values is None:
            raw = self.raw_column(pos)
            values = raw if self.clean else _stripped(raw)
            self._cache[pos] = values
        return values

    def raw_column(self, pos: int) -> list[str]:
        """Values of column position ``pos`` as written in the file (unquoted, not stripped)."""
        if self.cells is not None:
            return self.cells[pos]
        values = self._raw.get(pos)
        if values is None:
            values = self._raw[pos] = self.frame.iloc[:, pos].tolist()
        return values

    def get(self, name: str) -> list[str] | None:
        """Stripped values of canonical column ``name``, or ``None`` when the file lacks it."""
        pos = self.canonical.get(name)
        return None if pos is None else self.column(pos)

    def identity(self, name: str, findings: Findings) -> list[str] | None:
        """Values of canonical identity column ``name`` (a ``userName``, a login, a UPN, an email, a Sigma
        ``memberType``) under the one rule of :data:`~.values.CSV_PADDING` (docs/formats.md §0.8): spaces and
        tabs around a cell trimmed (an exporter's or a spreadsheet's padding), any other white space kept (a
        no-break space is data: the plan holds its person); ``None`` when the file lacks the column.

        A column with trimmed cells gets one ``padding-trimmed`` info finding (file, first line, the column as
        written, the count), made once however often the column is read: never a silent trim."""
        pos = self.canonical.get(name)
        if pos is None:
            return None
        values = self._identity.get(pos)
        if values is None:
            raw = self.raw_column(pos)
            values = self._identity[pos] = raw if self.clean else _padding_trimmed(raw)
            if values is not raw:
                padded = [row for row, (cell, value) in enumerate(zip(raw, values)) if len(cell) != len(value)]
                if padded:
                    header = self.headers[pos] or name
                    findings.info(
                        "padding-trimmed", self.path, self.location(padded[0]), header,
                        f"{len(padded)} {header} value(s) have spaces or tabs around them (first at "
                        f"{self.location(padded[0])}: {padding_parts(raw[padded[0]])}): trimmed, as an exporter or "
                        "a spreadsheet pads cells; any other white space around a value (a no-break space) is kept, "
                        "and its person held",
                    )
        return values

    def ids(self, name: str) -> list[str] | None:
        """Values of canonical ID column ``name`` (a memberId, teamId, user or group id, an externalId) read the one
        way an ID is (:func:`~.values.read_id`: ASCII spaces and tabs around a cell trimmed, any other character
        kept; was :meth:`get`, which trimmed any Unicode white space: leftovers16 item 3), or ``None`` when the file
        lacks it. White space kept in an id is an ``invalid-id`` error of the loader that builds the records
        (:func:`~.values.report_id_white_space`)."""
        pos = self.canonical.get(name)
        return None if pos is None else _padding_trimmed(self.raw_column(pos))

    def identity_or_empty(self, name: str, findings: Findings) -> list[str]:
        """Like :meth:`identity`, but ``[""] * len(self)`` for a missing column."""
        values = self.identity(name, findings)
        return values if values is not None else [""] * len(self)

    def as_written(self, name: str) -> list[str] | None:
        """Values of canonical column ``name`` as the file writes them, surrounding white space kept (a
        Sigma team name, which Sigma matches exactly), or ``None`` when the file lacks it."""
        pos = self.canonical.get(name)
        if pos is None:
            return None
        return list(self.cells[pos]) if self.cells is not None else self.frame.iloc[:, pos].tolist()

    def get_or_empty(self, name: str) -> list[str]:
        """Like :meth:`get`, but ``[""] * len(self)`` for a missing column."""
        values = self.get(name)
        return values if values is not None else [""] * len(self)

    def location(self, row: int) -> str:
        return f"line {self.lines[row]}"

    def ref(self, row: int) -> SourceRef:
        return SourceRef(str(self.file.path), f"line {self.lines[row]}")

    def refs(self) -> list[SourceRef]:
        """One :class:`SourceRef` per row."""
        path = str(self.file.path)
        return [SourceRef(path, f"line {n}") for n in self.lines]

    def extra_columns(self, consumed: Iterable[str] = ()) -> list[tuple[str, list[str]]]:
        """``(key, values)`` for every column not in ``consumed`` (canonical names).

        ``key`` is the canonical name for known columns, else the header text as
        written (trimmed); columns without a header and without any value are left out.
        """
        used = {self.canonical[c] for c in consumed if c in self.canonical}
        names = {pos: name for name, pos in self.canonical.items()}
        out: list[tuple[str, list[str]]] = []
        for pos, head in enumerate(self.headers):
            if pos in used:
                continue
            key = names.get(pos, head)
            values = self.column(pos)
            if not key:
                if not any(values):
                    continue
                key = f"column {pos + 1}"
            out.append((key, values))
        return out

    def row_attributes(self, consumed: Iterable[str] = ()) -> list[dict[str, str]]:
        """Per row, ``{key: value}`` of the non-empty cells of :meth:`extra_columns`."""
        extras = self.extra_columns(consumed)
        if not extras:
            return [{} for _ in self.lines]
        keys = [k for k, _ in extras]
        return [
            {k: v for k, v in zip(keys, row) if v}
            for row in zip(*(vals for _, vals in extras))
        ]

    def row_dicts(self) -> list[dict[str, str]]:
        """Per row, every cell keyed like :meth:`extra_columns` (canonical name or header), empty ones too."""
        cols = self.extra_columns()
        keys = [k for k, _ in cols]
        return [dict(zip(keys, row)) for row in zip(*(v for _, v in cols))]

    def mangled_rows(self, name: str) -> list[int]:
        """Row indexes whose canonical column ``name`` holds a spreadsheet-damaged ID (§0.8,
        :func:`~planner.sources.values.is_excel_mangled`)."""
        pos = self.canonical.get(name)
        if pos is None or not len(self.lines):
            return []
        if self.frame is None:
            values = self.column(pos)
            joined = _UNIT.join(values)
            if ("e+" in joined.lower() or joined[:1] in "'=#" or _UNIT + "'" in joined or _UNIT + "=" in joined
                    or _UNIT + "#" in joined or ".0" in joined):  # scientific notation, Excel's text marker, its
                # formula wrapper, a formula error or a decimal: check each
                return [i for i, v in enumerate(values) if _EXCEL_RE.fullmatch(v)]
            return [i for i, v in enumerate(values) if len(v) > 15 and v.isdigit() and not v[15:].strip("0")]
        series = self.frame.iloc[:, pos].str.strip()
        mask = series.str.fullmatch(_EXCEL_PATTERN)
        return [int(i) for i in mask.to_numpy().nonzero()[0]]


def lost_zero_rows(values: Sequence[str]) -> list[int]:
    """Row indexes of all-digit ids shorter than the column's zero-padded ids (leading zeros lost).

    A column whose ids carry leading zeros (``00417``) has a fixed width; a
    shorter all-digit id there (``417``) went through a spreadsheet that read it
    as a number. Columns without zero-padded ids, or with padded ids of several
    widths, give nothing (plain counters 1, 2, ... 1000 are not damage).
    """
    widths = {len(v) for v in values if v[:1] == "0" and len(v) > 1 and v.isdigit()}
    if len(widths) != 1:
        return []
    width = widths.pop()
    return [i for i, v in enumerate(values) if v and len(v) < width and v.isdigit()]


def flag_damaged_ids(
    table: Table, names: str | Sequence[str], findings: Findings, what: str | None = None,
) -> None:
    """``excel-mangled-id`` errors for the spreadsheet-damaged ids of canonical column(s) ``names`` (issue 14 B.4).

    The one check every CSV loader (IdP and Sigma) runs on its id columns.
    Scientific notation, zeroed digits, Excel's text marker (``'``) first or an integer written as a
    decimal, Excel's formula wrapper ``="..."`` or a formula error (:meth:`Table.mangled_rows`, docs/formats.md §0.8) and lost leading zeros (:func:`lost_zero_rows`): the real id
    is gone, and two damaged ids may now collide, so the export cannot be
    planned on (the error stops ``plan``; the records are kept). Each error names
    the file, the line and the column as written; ``what`` names the id in
    messages (default: the canonical column name, e.g. ``memberId``). Absent
    columns are skipped.
    """
    for name in (names,) if isinstance(names, str) else names:
        values = table.get(name)
        if values is None:
            continue
        header = table.header(name)
        label = what or name
        for row in table.mangled_rows(name):
            findings.error("excel-mangled-id", table.path, table.location(row), header,
                           damaged_id_message(label, values[row]))
        lost = lost_zero_rows(values)
        if lost:
            padded = next(v for v in values if v[:1] == "0" and len(v) > 1 and v.isdigit())
            for row in lost:
                findings.error("excel-mangled-id", table.path, table.location(row), header,
                               f"{label} {values[row]!r} is shorter than this column's zero-padded ids "
                               f"({padded!r}): its leading zeros were lost by a spreadsheet; re-export without "
                               "opening the file in Excel")


def bool_column(table: Table, name: str, findings: Findings, *, required: bool = False) -> list[bool | None]:
    """Canonical status column ``name`` of an IdP CSV as booleans (§0.6), one per row; all ``None`` when absent.

    A cell that is no boolean is ``None`` with an ``unreadable-status`` error at
    its line and column (:func:`~planner.sources.values.unreadable_status`);
    empty cells are ``None`` too, and an error as well when ``required`` (the
    column alone says whether the user is active, e.g. Entra ``accountEnabled``), where a
    missing column is a ``missing-status-column`` error (:func:`~planner.sources.values.missing_status_column`).
    """
    values = table.get(name)
    if values is None:
        if required:
            missing_status_column(findings, table.path, f"line {table.header_line}", name)
        return [None] * len(table)
    cache: dict[str, bool | None] = {}
    out: list[bool | None] = []
    for row, cell in enumerate(values):
        if cell in cache:
            out.append(cache[cell])
            continue
        try:
            parsed = parse_bool(cell)
            if parsed is None and required:
                raise InvalidValue(cell)
            cache[cell] = parsed
        except InvalidValue:
            unreadable_status(findings, table.path, table.location(row), table.header(name), cell,
                              "true or false")
            parsed = None
        out.append(parsed)
    return out


def read_table(
    path: Path,
    findings: Findings,
    *,
    aliases: Mapping[str, Sequence[str]],
    required: Sequence[str] = (),
    identity: Sequence[str] = (),
    what: str = "CSV",
) -> Table | None:
    """Read ``path`` as a CSV under docs/formats.md §0; ``None`` (with error findings) when unusable.

    ``aliases`` maps each canonical column name to its accepted spellings (the
    canonical name itself is always accepted); ``required`` lists canonical
    names that must be present; ``identity`` the canonical names of the
    identity columns (ids, emails, ``userName``, team and group names), whose
    values are one line each. ``what`` names the file's role in messages
    (e.g. ``"Entra users CSV"``).

    Error findings: ``unreadable-file``, ``empty-file`` (see
    :func:`~planner.sources.files.decode`), ``duplicate-header``,
    ``missing-column``, ``malformed-csv`` (unterminated quote, a ``\r`` inside a
    line), ``ragged-row``, ``line-break-in-value`` (:func:`flag_line_breaks`).
    """
    tf = read_text(path, findings)
    if tf is None:
        return None
    return parse_table(tf, findings, aliases=aliases, required=required, identity=identity, what=what)


def flag_line_breaks(table: Table, names: Iterable[str], findings: Findings, what: str) -> None:
    """``line-break-in-value`` errors for the cells of canonical columns ``names`` that hold a line break.

    An identity value (an email, a ``userName``, an id, a team or group name) is one line: a
    quoted cell holding :data:`~planner.unsafe_characters.LINE_BREAKS` (typed with Alt+Enter in
    Excel, pasted from several lines) is one cell under RFC 4180 §2.6, but no value a plan may
    link, create or name a team by, whether the break is inside the value or at its edge. Each
    error names the file, the line the record starts on, the column as written and where the
    break is (:func:`~planner.sources.values.unsafe_parts`); the row is kept as read and the
    error stops ``check`` and ``plan``. Absent columns are skipped; a column without any break
    costs one search over its joined text (C speed).
    """
    for name in names:
        pos = table.canonical.get(name)
        if pos is None or not len(table):
            continue
        raw = table.raw_column(pos)
        joined = _UNIT.join(raw)
        if (not any(c in joined for c in _ASCII_BREAKS) if joined.isascii()
                else LINE_BREAK.search(joined) is None):  # C substring searches: ~0.5 ms for 100k emails
            continue
        header = table.headers[pos] or name
        for row, value in enumerate(raw):
            if LINE_BREAK.search(value) is None:
                continue
            shown = value if len(value) <= 80 else value[:77] + "..."
            findings.error(
                "line-break-in-value", table.path, table.location(row), header,
                f"{what}: {header} {shown!r} holds a line break ({'; '.join(unsafe_parts(value))}): "
                "a quoted cell typed with Alt+Enter or pasted from several lines; an identity value is "
                "one line and is neither joined nor split: correct the cell in the source and export again",
            )


def parse_table(
    tf: TextFile,
    findings: Findings,
    *,
    aliases: Mapping[str, Sequence[str]],
    required: Sequence[str] = (),
    identity: Sequence[str] = (),
    what: str = "CSV",
    spellings_only: bool = False,
) -> Table | None:
    """:func:`read_table` on an already decoded file: its header (:func:`_read_header`), its columns
    (:func:`_columns`), its rows (:func:`_rows`), then :func:`flag_line_breaks`.

    ``spellings_only``: a column is found by the spellings ``aliases`` gives only, never by a canonical name
    itself: a generic CSV's mapping names each attribute's header, so a column headed ``username`` is no
    ``userName`` when the mapping says ``userName: email`` (:mod:`planner.sources.generic_csv`).

    Line ends: ``\n`` and ``\r\n``; a file whose only line ends are ``\r`` (Excel's
    "CSV (Macintosh)") is read with ``\r`` as the line end. A ``\r`` inside a line,
    outside quotes, is a ``malformed-csv`` error at that line; inside quotes it is
    cell content, like a ``\n`` (line numbers count ``\n`` only).
    """
    if "\r" in tf.text and "\n" not in tf.text:
        tf = replace(tf, text=tf.text.replace("\r", "\n"))
    header = _read_header(tf, findings, what)
    if header is None:
        return None
    canonical = _columns(header, tf.path, findings, aliases, required, what, spellings_only)
    if canonical is None:
        return None
    rows = _rows(tf, header, findings, what)
    if rows is None:
        return None
    frame, cells, lines, plain_lines = rows
    table = Table(
        file=tf, headers=header.headers, canonical=canonical, frame=frame, cells=cells, lines=lines,
        header_line=header.line, delimiter=header.delimiter,
        clean=plain_lines and _cells_are_trimmed(header.body, header.delimiter),
    )
    flag_line_breaks(table, identity, findings, what)
    return table


@dataclass(frozen=True)
class _Header:
    """The header of a CSV text: its ``line`` number, the ``body`` (the text from the header line on), the
    ``delimiter`` and the ``headers`` (cells trimmed)."""

    line: int
    body: str
    delimiter: str
    headers: list[str]


def _read_header(tf: TextFile, findings: Findings, what: str) -> _Header | None:
    """The :class:`_Header` of a decoded CSV file: past the preamble (:func:`find_header`), delimited by
    the preamble's ``sep=`` or else as sniffed (:func:`sniff_delimiter`); a quoted header cell holding a
    line end (Alt+Enter) is read whole. ``None`` with an ``empty-file`` or ``malformed-csv`` error."""
    path, text = tf.path, tf.text
    pre = find_header(text)
    if pre.offset >= len(text):
        findings.error("empty-file", path, "", "", f"{what} has no header line")
        return None
    body = text[pre.offset:]
    nl = body.find("\n")
    header_text = body if nl < 0 else body[:nl]
    delimiter = pre.sep if pre.sep in DELIMITERS else sniff_delimiter(header_text)
    record, end = header_text, nl
    while record.count('"') % 2 and end >= 0:  # a quoted header cell holding a line end (Alt+Enter)
        end = body.find("\n", end + 1)
        record = body if end < 0 else body[:end]
    try:
        headers = [h.strip() for h in next(csv.reader(io.StringIO(record, newline="\n"), delimiter=delimiter,
                                                      strict=True))]
    except csv.Error as exc:
        findings.error("malformed-csv", path, f"line {pre.header_line}", "",
                       f"{what}: header line: {_csv_problem(exc)}")
        return None
    return _Header(pre.header_line, body, delimiter, headers)


def _columns(header: _Header, path: Path, findings: Findings, aliases: Mapping[str, Sequence[str]],
             required: Sequence[str], what: str, spellings_only: bool = False) -> dict[str, int] | None:
    """``{canonical name: column position}`` of a header by ``aliases`` (the first column an alias names
    wins; a canonical name is a spelling of itself unless ``spellings_only``). ``None`` with a ``duplicate-header`` error per column named twice (:func:`header_key`), or a
    ``missing-column`` error per ``required`` name no column has (did you mean ...)."""
    headers, where = header.headers, f"line {header.line}"
    keys = [header_key(h) for h in headers]
    dupes = [k for k, n in Counter(k for k in keys if k).items() if n > 1]
    if dupes:
        for key in dupes:
            first = headers[keys.index(key)]
            findings.error(
                "duplicate-header", path, where, first,
                f"{what}: column {first!r} appears {keys.count(key)} times in the header",
            )
        return None

    alias_index = _alias_index(aliases, spellings_only)
    canonical: dict[str, int] = {}
    for pos, key in enumerate(keys):
        for name in alias_index.get(key, ()):
            if name not in canonical:
                canonical[name] = pos

    missing = [name for name in required if name not in canonical]
    if missing:
        sep_name = _DELIMITER_NAMES[header.delimiter]
        found = column_list(headers)
        for name in missing:
            close = closest_column((name, *aliases.get(name, ())), headers)
            findings.error(
                "missing-column", path, where, name,
                f"{what}: required column {name!r} not found in the {sep_name}-separated header ({found})"
                + (f"; did you mean {close!r}?" if close else ""),
            )
        return None
    return canonical


def _rows(tf: TextFile, header: _Header, findings: Findings, what: str
          ) -> tuple[pd.DataFrame | None, list[list[str]] | None, list[int], bool] | None:
    """``(frame, cells, lines, plain_lines)``: the rows under ``header``, as cells (:func:`_parse_simple`),
    a DataFrame (:func:`_parse_fast`, from :data:`SMALL_FILE` on; blank rows dropped) or, for anything
    else, by the ``csv`` module (:func:`_parse_slow`: ``None`` after its error); ``lines`` the physical
    line of each row; ``plain_lines`` when no cell spans lines and no ``\r`` ends no line."""
    body, delimiter, width = header.body, header.delimiter, len(header.headers)
    frame: pd.DataFrame | None = None
    cells: list[list[str]] | None = None
    lone_cr = "\r" in body and body.count("\r") != body.count("\r\n")  # a CR ending no line (~1.4 ms/MB)
    simple = None if lone_cr else _parse_simple(body, delimiter, width, header.line)
    if simple is not None:
        cells, lines = simple
    elif len(body) >= SMALL_FILE:
        frame = _parse_fast(body, delimiter, width)
    if frame is not None:
        lines = list(range(header.line + 1, header.line + 1 + len(frame)))
        if len(frame) and _may_have_blank_rows(body, delimiter, width):
            keep = (frame != "").any(axis=1).to_numpy()
            if not keep.all():
                frame = frame[keep].reset_index(drop=True)
                lines = [n for n, k in zip(lines, keep) if k]
    multi_line = False
    if frame is None and cells is None:
        slow = _parse_slow(tf, body, header.line, delimiter, header.headers, findings, what)
        if slow is None:
            return None
        cells, lines, multi_line = slow
    return frame, cells, lines, not (multi_line or lone_cr)


_ALIAS_INDEXES: dict[tuple[int, bool], tuple[Mapping[str, Sequence[str]], dict[str, list[str]]]] = {}


def _alias_index(aliases: Mapping[str, Sequence[str]], spellings_only: bool = False) -> dict[str, list[str]]:
    """Normalized spelling -> canonical names (each canonical name a spelling of itself unless ``spellings_only``),
    cached per alias table (5,000 member files share one)."""
    cached = _ALIAS_INDEXES.get((id(aliases), spellings_only))
    if cached is not None and cached[0] is aliases:
        return cached[1]
    index: dict[str, list[str]] = {}
    for name, spellings in aliases.items():
        for spelling in (spellings if spellings_only else (name, *spellings)):
            names = index.setdefault(header_key(spelling), [])
            if name not in names:
                names.append(name)
    if len(_ALIAS_INDEXES) > 64:
        _ALIAS_INDEXES.clear()
    _ALIAS_INDEXES[(id(aliases), spellings_only)] = (aliases, index)
    return index


def _may_have_blank_rows(body: str, delimiter: str, width: int) -> bool:
    """Cheap test for empty lines or lines of bare delimiters (which are dropped as blank rows)."""
    return "\n\n" in body or "\n\r\n" in body or (width > 1 and f"\n{delimiter * (width - 1)}\r" in body) or (
        width > 1 and f"\n{delimiter * (width - 1)}\n" in body)


def _cells_are_trimmed(body: str, delimiter: str) -> bool:
    """True when no cell of the file can start or end with whitespace (so stripping is a no-op).

    A padded cell shows as a space next to a delimiter or a line end (a quoted
    padded cell ``, " a"`` too); a tab anywhere or non-ASCII text (e.g. a no-break space)
    sends the file to the per-cell strip. A quoted cell holding a line end (a record over
    several lines, or a CR that ends no line) is told by the caller, not here.
    A few substring searches, C speed.
    """
    if not body.isascii() or "\t" in body or body[:1] == " ":
        return False
    for pair in (" " + delimiter, delimiter + " ", " \n", "\n ", " \r"):
        if pair in body:
            return False
    return not body.endswith(" ")


def _parse_simple(body: str, delimiter: str, width: int, header_line: int) -> tuple[list[list[str]], list[int]] | None:
    """Split a file without quotes on line ends and delimiters (no quoting means no escaping).

    ``None`` (use the ``csv`` module) when the text has quotes, blank lines,
    or rows of another width; the caller sends a text holding a CR that ends no line to the
    ``csv`` module itself.
    """
    if '"' in body:
        return None
    lines = body.split("\n")
    if lines[-1] == "":
        lines.pop()
    rows = [line[:-1].split(delimiter) if line.endswith("\r") else line.split(delimiter) for line in lines[1:]]
    if not all(len(row) == width and any(row) for row in rows):
        return None
    if not rows:
        return [[] for _ in range(width)], []
    return [list(col) for col in zip(*rows)], list(range(header_line + 1, header_line + 1 + len(rows)))


def _parse_fast(body: str, delimiter: str, width: int) -> pd.DataFrame | None:
    """pandas' C parser; ``None`` when the file needs the exact slow path."""
    import pandas as pd

    data_lines = body.count("\n") - (1 if body.endswith("\n") else 0)
    if "\r" in body and "\r\n" not in body:
        return None  # old Mac line ends: let the csv module sort it out
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            frame = pd.read_csv(
                io.StringIO(body), sep=delimiter, dtype=str, keep_default_na=False,
                header=0, index_col=False, on_bad_lines="warn", skip_blank_lines=False,
                quotechar='"', engine="c", low_memory=False,
            )
    except (pd.errors.ParserError, ValueError, csv.Error):
        return None
    if caught or len(frame.columns) != width or len(frame) != data_lines:
        return None
    if width > 1 and _has_short_rows(body, frame, delimiter, width):
        return None  # pandas pads short rows with "": the slow path reports them
    frame.columns = range(width)
    return frame


def _has_short_rows(body: str, frame: pd.DataFrame, delimiter: str, width: int) -> bool:
    """True when a row of ``frame`` had fewer fields than the header (pandas pads those silently).

    Only rows whose last cell is empty can be short. Each frame row is one
    physical line here (``_parse_fast`` checked), so the line's delimiter count
    decides: fewer than ``width - 1`` delimiters is short for sure (quotes only
    add delimiters); a line with quotes and enough delimiters is parsed by the
    ``csv`` module. Blank lines (dropped later) do not count.
    """
    last = frame.iloc[:, width - 1].to_numpy()
    candidates = (last == "").nonzero()[0]
    if not len(candidates):
        return False
    lines = body.split("\n")
    need = width - 1
    quoted: list[str] = []
    for i in candidates.tolist():
        line = lines[i + 1].rstrip("\r")
        if line.count(delimiter) < need:
            if line.strip(delimiter + " \t"):
                return True
            continue  # blank row
        if '"' in line:
            quoted.append(line)
    return any(len(row) < width for row in csv.reader(quoted, delimiter=delimiter))


def _csv_problem(exc: csv.Error) -> str:
    """A reader's words for a ``csv.Error`` of the row starting at the line named with it."""
    if "new-line character" in str(exc):
        return "a carriage return (\\r) inside the line, outside quotes (a damaged line end?)"
    return f"{exc} (unterminated or misplaced quote in the row starting here)"


def _parse_slow(
    tf: TextFile, body: str, header_line: int, delimiter: str, headers: list[str],
    findings: Findings, what: str,
) -> tuple[list[list[str]], list[int], bool] | None:
    """``csv``-module parse: column lists, the physical line each record starts on and whether a record
    spans lines (a quoted cell holding a line end); ragged-row and quote checks.

    Lines are split on LF only (CR LF ends a line too), so a line number counts the file's LFs as
    :func:`find_header` does, and a bare CR outside quotes is a ``csv.Error`` (``malformed-csv`` at
    its line), never a line end that silently moves the rest of the row to a row of its own.
    """
    width = len(headers)
    reader = csv.reader(io.StringIO(body, newline="\n"), delimiter=delimiter, strict=True)
    rows: list[list[str]] = []
    lines: list[int] = []
    offset = header_line - 1
    start = 1
    multi_line = False
    try:
        next(reader)  # header
        start = reader.line_num + 1
        for row in reader:
            if len(row) > width:
                if any(cell.strip() for cell in row[width:]):
                    findings.error(
                        "ragged-row", tf.path, f"line {start + offset}", "",
                        f"{what}: row has {len(row)} fields but the header has {width}; row skipped",
                    )
                    start = reader.line_num + 1
                    continue
                row = row[:width]
            elif len(row) < width:
                if not any(row):
                    start = reader.line_num + 1
                    continue  # blank line
                if any(headers[len(row):]):
                    first = headers[len(row)] or f"column {len(row) + 1}"
                    findings.error(
                        "ragged-row", tf.path, f"line {start + offset}", first,
                        f"{what}: row has {len(row)} fields but the header has {width}; column "
                        f"{first!r} and after are missing (truncated row, or a line break outside quotes?); row skipped",
                    )
                    start = reader.line_num + 1
                    continue
                row = row + [""] * (width - len(row))  # only unnamed trailing columns are missing
            elif not any(row):
                start = reader.line_num + 1
                continue
            rows.append(row)
            lines.append(start + offset)
            multi_line = multi_line or reader.line_num != start
            start = reader.line_num + 1
    except csv.Error as exc:
        findings.error("malformed-csv", tf.path, f"line {start + offset}", "", f"{what}: {_csv_problem(exc)}")
        return None
    if rows:
        return [list(col) for col in zip(*rows)], lines, multi_line
    return [[] for _ in range(width)], lines, multi_line
