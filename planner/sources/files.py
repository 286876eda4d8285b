"""Reading export files: bytes, text decoding, JSON, and the findings they produce.

Every loader goes through these functions so that the cross-cutting rules of
docs/formats.md §0 hold everywhere:

- §0.1 encoding: ``utf-8-sig`` first (a UTF-8 BOM is stripped), then ``cp1252``
  with a warning (``encoding-fallback``) for a file with no UTF-8 character at all; a
  file that is UTF-8 but for some bytes (a cp1252 character pasted into it) is a
  ``mixed-encoding`` error naming the line and byte offset, never re-read whole as
  cp1252; a UTF-16 file (BOM ``FF FE`` / ``FE FF``, what some Windows tools write) is
  decoded with an info finding.
- a file that cannot be read (missing, a directory, permission, NUL bytes =
  binary) gives an error finding (``unreadable-file``) instead of an exception;
  an empty file gives ``empty-file``.
- malformed JSON gives ``malformed-json`` with the line and column of the fault.
  Several JSON documents written one after another (what people get when they
  append each page of a paginated call to one file, docs/formats.md §2a) are read as
  a JSON array of those documents, with an info finding (``concatenated-json``).

Nothing here raises for bad input; callers get ``None`` plus findings.
"""

from __future__ import annotations

import hashlib
import json
import mmap
import os
import re
import stat
import sys
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator, Sequence

import msgspec

from ..model import Finding, InputFile, Severity

SKIPPED_CODES: dict[str, str] = {
    "missing-id": "with records it could not read (no id), left out",
    "invalid-record": "with records that are not objects, left out",
    "unknown-resource": "with resources that are neither a SCIM User nor a Group, left out",
    "unreadable-value": "with values it could not read (an array or object where text belongs), left out",
    "unknown-group": "whose groups file lacks groups its group members name",
    "unreadable-member-type": "with group members of a type it cannot read, left out",
    "whole-domain-member": "with a group whose member is the whole domain, whose people it does not list",
    "ambiguous-guest-email": "with a guest whose address it could only guess from the UPN, left out",
    "spreadsheet-error-value": "with addresses a spreadsheet turned into formula errors (#NAME?...), whose "
                               "people it cannot tell",
}
"""Finding codes of :meth:`Findings.skipped`: a record a loader left out, or read only in part, each with
the cause an ``inputs.truncated`` message names ("rests on an export ..."). They are incomplete-input codes
(:data:`planner.sources.directory.INCOMPLETE_CODES` holds them): the person or group the record described is
unknown, so every deactivation, removal or account-type change it could explain is a blocking item
(:mod:`planner.rules.inputs`), never a warning followed by "no IdP user matches" (issue 10, tester6
findings 22, 26, 27, 28)."""


@contextmanager
def guarded(path: Path, findings: "Findings", what: str) -> Iterator[None]:
    """Turn an unexpected value deep inside a file into an ``unexpected-value`` error finding.

    Loaders check the shapes they expect; this is the net under them, so that
    no export, however odd, ends in a traceback. What was read before the
    fault stays loaded; the finding says the rest of the file was not.
    """
    try:
        yield
    except (TypeError, AttributeError, ValueError, KeyError, IndexError, RecursionError) as exc:
        findings.error(
            "unexpected-value", path, "", "",
            f"{what}: a value of unexpected type or shape ({type(exc).__name__}: {exc}); "
            "records after it in this file are not loaded",
        )


class Findings(list):
    """A list of :class:`~planner.model.Finding` with one-line constructors.

    ``error`` / ``warning`` / ``info`` take ``(code, file, location, field, message)``;
    ``file`` may be a :class:`~pathlib.Path`. Messages are forced onto one line.
    """

    def add(
        self, severity: Severity, code: str, file: Any, location: str, field: str, message: str
    ) -> Finding:
        finding = Finding(
            severity=severity,
            code=code,
            file=str(file),
            location=location or "",
            field=field or "",
            message=" ".join(str(message).split()),
        )
        self.append(finding)
        return finding

    def error(self, code: str, file: Any, location: str, field: str, message: str) -> Finding:
        return self.add(Severity.ERROR, code, file, location, field, message)

    def warning(self, code: str, file: Any, location: str, field: str, message: str) -> Finding:
        return self.add(Severity.WARNING, code, file, location, field, message)

    def info(self, code: str, file: Any, location: str, field: str, message: str) -> Finding:
        return self.add(Severity.INFO, code, file, location, field, message)

    def skipped(self, code: str, file: Any, location: str, field: str, message: str) -> Finding:
        """A warning for a record left out or read only in part (``code`` one of :data:`SKIPPED_CODES`):
        it makes its file incomplete, so every action the record could explain is a blocking
        ``inputs.truncated`` item. Every loader reports a record it skips through here, none with a
        plain warning or info.

        :raises ValueError: ``code`` is not one of :data:`SKIPPED_CODES` (a loader's mistake).
        """
        if code not in SKIPPED_CODES:
            raise ValueError(f"{code!r} is not a code of SKIPPED_CODES")
        return self.add(Severity.WARNING, code, file, location, field, message)


@dataclass(frozen=True)
class TextFile:
    """A decoded text file: its path, text (BOM stripped), encoding used, and sha256 of the bytes."""

    path: Path
    text: str
    encoding: str
    sha256: str

    def input_file(self, kind: str, records: int) -> InputFile:
        """The :class:`~planner.model.InputFile` record of this file."""
        return InputFile(path=str(self.path), sha256=self.sha256, kind=kind, records=records)


DIRECTORY_NOT_FILE = ("is a directory, where an export file belongs: a part of the export that is not read "
                      "could hide people or memberships; save the file there")
"""The message of ``not-a-file``, for every path that is a directory where an export file belongs
(``users.csv/``, ``members.json/``), whichever loader meets it."""


def read_bytes(path: Path, findings: Findings) -> bytes | None:
    """Return the bytes of ``path``, or ``None`` with an ``unreadable-file`` error finding
    (``not-a-file``, :data:`DIRECTORY_NOT_FILE`, when ``path`` is a directory)."""
    try:
        return path.read_bytes()
    except FileNotFoundError:
        findings.error("unreadable-file", path, "", "", "file does not exist")
    except IsADirectoryError:
        findings.error("not-a-file", path, "", "", DIRECTORY_NOT_FILE)
    except OSError as exc:
        findings.error("unreadable-file", path, "", "", f"cannot read: {exc.strerror or exc}")
    return None


def _looks_utf16(head: bytes) -> bool:
    """True when ``head`` reads as UTF-16 text without its BOM: in one of the two byte positions of
    almost every pair a NUL (the high byte of ASCII letters in UTF-16LE, the low one in -BE), in the
    other almost never (tester6 finding 12e: a BOM-less UTF-16 file is one error saying so)."""
    pairs = len(head) // 2
    if pairs < 2:
        return False
    even, odd = head[0:pairs * 2:2].count(0), head[1:pairs * 2:2].count(0)
    return max(even, odd) >= 0.9 * pairs and min(even, odd) <= 0.1 * pairs


def decode(path: Path, data: bytes, findings: Findings) -> tuple[str, str] | None:
    """Decode file bytes per docs/formats.md §0.1; return ``(text, encoding)`` or ``None``.

    Errors (``None`` returned): ``empty-file`` for no content (or only a BOM /
    whitespace), ``unreadable-file`` for binary content (NUL bytes in a file
    that is not UTF-16), ``mixed-encoding`` for a file holding UTF-8 characters
    and bytes that are not UTF-8 (:func:`_mixed_encoding`). Warning
    ``encoding-fallback`` when the bytes hold no UTF-8 character at all and were
    read as cp1252 (Windows "ANSI", what Excel saves).
    """
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            text = data.decode("utf-16")
        except UnicodeDecodeError:
            findings.error("unreadable-file", path, "", "", "starts with a UTF-16 BOM but is not valid UTF-16")
            return None
        findings.info("encoding-utf16", path, "", "", "file is UTF-16; decoded as such")
        encoding = "utf-16"
    else:
        if b"\x00" in data[:65536]:
            findings.error("unreadable-file", path, "", "", "binary content (NUL bytes), not a text export"
                           + ("; UTF-16 without BOM? Save it again as UTF-8 (or UTF-16 with its BOM)"
                              if _looks_utf16(data[:65536]) else ""))
            return None
        try:
            text = data.decode("utf-8-sig")
            encoding = "utf-8"
        except UnicodeDecodeError as exc:
            start = exc.start + (3 if data.startswith(b"\xef\xbb\xbf") else 0)  # utf-8-sig counts after the BOM
            line = data.count(b"\n", 0, start) + 1
            if _UTF8_CHARACTER.search(data):
                findings.error("mixed-encoding", path, f"line {line}", "", _mixed_encoding(data, start))
                return None
            try:
                text = data.decode("cp1252")
            except UnicodeDecodeError:
                findings.error(
                    "unreadable-file", path, "", "",
                    f"neither UTF-8 nor cp1252 text (bad byte at offset {start})",
                )
                return None
            findings.warning(
                "encoding-fallback", path, f"line {line}", "",
                "not valid UTF-8; read as cp1252 (Windows ANSI): check accented names",
            )
            encoding = "cp1252"
        if text.startswith("\ufeff"):  # a second BOM, e.g. saved twice
            text = text.lstrip("\ufeff")
    if not text.strip():
        findings.error("empty-file", path, "", "", "file is empty")
        return None
    return text, encoding


MAP_FROM = 1 << 20
"""Files of this many bytes or more are mapped by :func:`read_json` (:func:`_mapped`), smaller ones read."""

_CHUNK = 1 << 20
"""Bytes of a mapped file compared or counted at a time (:func:`_same`, :func:`_count`)."""

Raw = bytes | str | mmap.mmap
"""A JSON document as :func:`duplicate_key` takes it: its bytes, a mapping of its file, or its decoded text."""


def _mapped(path: Path) -> mmap.mmap | None:
    """``path`` mapped read-only, or ``None`` when the caller should read it instead: smaller than
    :data:`MAP_FROM`, not a regular file, or not mappable here (then reading it gives the finding).

    A mapped file is read straight from the operating system's cache. Read into a fresh buffer, the 150 MB of
    a 100k-member organization cost ~36k page faults (one per 4 KiB) and a copy: ~0.07 s of ``check``'s
    2.5 s (docs/performance.md, ``check``). The mapping lives only while :func:`read_json` reads the file
    (decoded strings are copies; a ``msgspec.Raw`` a typed decoder returns keeps it as long as it lives); a
    file truncated by another program during those tenths of a second would stop the process (SIGBUS), where
    reading it would have given a half file: ``sigma-migrate fetch`` and :class:`planner.output.Outputs`
    replace files by renaming, which a mapping does not see.
    """
    try:
        with open(path, "rb") as fh:
            info = os.fstat(fh.fileno())
            if not stat.S_ISREG(info.st_mode) or info.st_size < MAP_FROM:
                return None
            return mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ)
    except (OSError, ValueError, OverflowError):
        return None


def _same(encoded: bytes | bytearray, raw: Raw) -> bool:
    """True when ``raw`` holds exactly the bytes ``encoded`` (a mapping compared :data:`_CHUNK` bytes at a
    time, unless ``encoded`` is a bytearray, which compares with any buffer at once)."""
    if len(encoded) != len(raw):
        return False
    if raw.__class__ is not mmap.mmap or encoded.__class__ is bytearray:
        return encoded == raw
    return all(raw[i:i + _CHUNK] == encoded[i:i + _CHUNK] for i in range(0, len(raw), _CHUNK))


def _count(raw: Raw, sub: bytes | str) -> int:
    """``raw.count(sub)`` for a one-character ``sub``; a mapping (no ``count``) :data:`_CHUNK` bytes at a time."""
    if raw.__class__ is not mmap.mmap:
        return raw.count(sub)  # type: ignore[arg-type]
    return sum(raw[i:i + _CHUNK].count(sub) for i in range(0, len(raw), _CHUNK))
_UTF8_CHARACTER = re.compile(rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}")
"""A UTF-8 encoded character beyond ASCII (RFC 3629 §4, leniently: a cp1252 file practically never holds
such a byte sequence, since it would read as mojibake such as ``Ã©``)."""


def _mixed_encoding(data: bytes, offset: int) -> str:
    """The ``mixed-encoding`` message for ``data`` holding UTF-8 characters and, at byte ``offset``, a byte
    that is not UTF-8: decoding the whole file as cp1252 would garble every UTF-8 character (``é`` read as
    ``Ã©``, so a member's address changes and the plan deactivates them and creates a twin, tester6 finding
    21), and decoding the bad byte alone as cp1252 would be a guess; the file is not read."""
    byte = data[offset]
    column = offset - (data.rfind(b"\n", 0, offset) + 1) + 1
    return (f"byte 0x{byte:02X} at byte offset {offset} (column {column} of the line, counted in bytes) is not "
            "UTF-8, while the rest of the file is UTF-8 (a character pasted from a cp1252 / Windows ANSI "
            "program?): reading the whole file as cp1252 would change every accented name and address, so the "
            "file is not read; fix that character, save the file as UTF-8 and run again")


def read_text(path: Path, findings: Findings) -> TextFile | None:
    """Read and decode ``path`` (see :func:`decode`); ``None`` with findings when it cannot."""
    data = read_bytes(path, findings)
    if data is None:
        return None
    decoded = decode(path, data, findings)
    if decoded is None:
        return None
    text, encoding = decoded
    return TextFile(path=path, text=text, encoding=encoding, sha256=hashlib.sha256(data).hexdigest())


def parse_json(path: Path, text: str, findings: Findings) -> tuple[Any, bool]:
    """Parse JSON text; return ``(value, ok)``.

    Malformed JSON gives an ``malformed-json`` error naming line and column.
    Concatenated documents (``[...][...]`` or ``{...}\\n{...}``) come back as a
    list of the documents with an info finding ``concatenated-json``.
    """
    try:
        return json.loads(text, parse_constant=_refuse_constant), True
    except _NotJson as exc:
        findings.error("malformed-json", path, _constant_place(text, exc.args[0]), "",
                       f"malformed JSON: {exc.args[0]} is no JSON value (RFC 8259 §6: numbers are finite); the "
                       "program that wrote the file had no value here (an id or a number lost on the way?): export "
                       "again")
        return None, False
    except json.JSONDecodeError as exc:
        if exc.msg.startswith("Extra data"):
            docs = _parse_concatenated(text)
            if docs is not None:
                findings.info(
                    "concatenated-json", path, "", "",
                    f"{len(docs)} JSON documents one after another; read as an array of pages",
                )
                return docs, True
        page = " (this is a web page, not the API's JSON answer: a sign-in or error page saved from the browser? "\
               "sign in, open the API address again and save its answer)" if looks_like_html(text) else ""
        findings.error(
            "malformed-json", path, f"line {exc.lineno} column {exc.colno}", "",
            f"malformed JSON: {exc.msg}{page}",
        )
        return None, False
    except RecursionError:
        findings.error("malformed-json", path, "", "", "malformed JSON: nesting too deep")
        return None, False


class _NotJson(ValueError):
    """``NaN``, ``Infinity`` or ``-Infinity`` met while parsing (Python's :mod:`json` reads them, JSON has none)."""


def _refuse_constant(name: str) -> Any:
    raise _NotJson(name)


def _constant_place(text: str, name: str) -> str:
    """``line L column C`` of the first ``name`` (``NaN``, ``Infinity``, ``-Infinity``) of ``text`` outside a
    quoted word (the parser stopped at one; a ``NaN`` inside a string is skipped), or ``""``."""
    for found in re.finditer(rf"(?<![\w\"-]){re.escape(name)}(?![\w\"])", text):
        line = text.count("\n", 0, found.start()) + 1
        return f"line {line} column {found.start() - text.rfind(chr(10), 0, found.start())}"
    return ""


def looks_like_html(text: str) -> bool:
    """Whether ``text`` (a file that is no JSON) starts as an HTML page: ``<!doctype html`` or ``<html`` after
    white space (tester13 N4: Okta's sign-in page saved as users.json was "malformed JSON: Expecting value")."""
    return text.lstrip()[:15].casefold().startswith(("<!doctype html", "<html"))


def _parse_concatenated(text: str) -> list[Any] | None:
    decoder = json.JSONDecoder()
    docs: list[Any] = []
    pos, end = 0, len(text)
    while True:
        while pos < end and text[pos] in " \t\r\n,":
            pos += 1
        if pos >= end:
            return docs
        try:
            doc, pos = decoder.raw_decode(text, pos)
        except json.JSONDecodeError:
            return None
        docs.append(doc)


_JSON = msgspec.json.Decoder()
_ENCODE = msgspec.json.Encoder().encode
_ENCODE_INTO = msgspec.json.Encoder().encode_into
_BUFFER: ContextVar[bytearray | None] = ContextVar("duplicate_key_buffer", default=None)
"""The buffer of the innermost :func:`reused_buffer` block of this thread (``None`` outside one)."""


@contextmanager
def reused_buffer() -> Iterator[None]:
    """Within the block, :func:`duplicate_key` encodes each file's value again into one buffer kept from file
    to file, instead of a fresh one per file.

    Why: fresh memory costs the kernel a page fault per 4 KiB touched; the files of a 100k-member
    organization (150 MB) cost ~40k faults, 0.07 s of system time of ``check``'s 2.5 s (docs/performance.md,
    ``check``). A nested block uses the outer block's buffer; leaving the outermost releases it, so what
    runs after loading (``plan``) does not hold it. Each thread has its own (a :class:`~contextvars.ContextVar`).
    """
    if _BUFFER.get() is not None:
        yield
        return
    token = _BUFFER.set(bytearray())
    try:
        yield
    finally:
        _BUFFER.reset(token)
_RECORD_IDS = ("id", "memberId", "userId", "teamId", "userName", "email", "primaryEmail", "mail")


class _DuplicateKey(Exception):
    def __init__(self, key: str, record: str | None, first: Any, again: Any) -> None:
        super().__init__(key)
        self.key, self.record, self.first, self.again = key, record, first, again


def _refuse_repeats(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """``object_pairs_hook`` raising :class:`_DuplicateKey` at the first key an object repeats."""
    obj: dict[str, Any] = {}
    for key, value in pairs:
        if key in obj:
            record = next((str(v) for k, v in pairs if k in _RECORD_IDS and k != key and isinstance(v, (str, int))), None)
            raise _DuplicateKey(key, record, obj[key], value)
        obj[key] = value
    return obj


def _json_text(value: Any) -> str:
    """``value`` as JSON spells it, cut at 60 characters."""
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 60 else text[:57] + "..."


def _encoded(value: Any, size: int = 0) -> bytes | bytearray | None:
    """``value`` encoded as compact JSON; ``None`` when msgspec cannot encode it (an int past 64 bits, a lone
    surrogate).

    Inside :func:`reused_buffer`, a value of ``size`` bytes or so (its file's) at least a quarter of the
    block's buffer's allocation is encoded into that buffer, which is returned (valid until the next call);
    a smaller one into a fresh buffer, as outside a block: msgspec gives a bytearray's memory back when the
    message is much smaller than it (measured: 1 MB after 41 MB; 23 MB after 60 MB keeps it), and the next
    large file would then fault its pages in again.
    """
    buffer = _BUFFER.get()
    try:
        if buffer is None or size * 4 < sys.getsizeof(buffer):
            return _ENCODE(value)
        _ENCODE_INTO(value, buffer)
        return buffer
    except (OverflowError, UnicodeEncodeError, TypeError):
        return None


def _key_count(value: Any) -> int | None:
    """The colons of ``value`` encoded as JSON (one per key, plus those inside strings, which the raw file
    spells the same unless escaped ``\\u003a``); ``None`` when it cannot be encoded (:func:`_encoded`)."""
    encoded = _encoded(value)
    return None if encoded is None else encoded.count(b":")


def duplicate_key(path: Path, raw: Raw, value: Any, findings: Findings, *, typed: bool = False) -> bool:
    """True, with one ``duplicate-key`` error, when an object of the JSON document ``raw`` (UTF-8 bytes, a
    mapping of them, or the decoded text) repeats a key; ``value``: the document as decoded.

    RFC 8259 §4 leaves a repeated name's meaning to the reader; the decoders keep the last value, so
    ``"status": "ACTIVE", "status": "DEPROVISIONED"`` would silently deactivate someone. The policy loader
    refuses repeats (:func:`planner.policy_reader.load_policy`); the exports must too. How: the colons of the raw
    bytes against those of ``value`` (decoded, repeats dropped) encoded again, both counted in C (a colon
    follows each key however spaced, and one inside a string is written as-is both times, unless the file
    escapes it ``\\u003a``: then the exact parse). Counting ``":`` instead missed a repeat offset by a key
    written ``"a" :`` or a quote written ``\\u0022`` (tests/test_duplicate_keys.py). Only when the counts
    differ (a repeat, a typed Struct that writes a key the file left out or drops one it had) is the
    document parsed again by ``json.loads`` with a
    hook naming the first repeat. The error names the file, the record (its id field) and the key.

    Before the counts, one comparison: bytes ``raw`` equal to ``value`` encoded again (a compact file in the
    encoder's key order, as an API answer saved as sent usually is) hold no repeat, since the encoder writes
    each key once; then nothing is counted. An indented file (``sigma-migrate fetch`` writes ``indent=1``)
    differs at the first newline and is counted. A loader's typed Struct (``typed``) drops keys written with
    their default unless its fields default to ``UNSET`` (:class:`planner.sources.sigma._WireTeamMember`):
    when its count differs, the file is counted again from a plain decode before the exact parse.
    Cost at 100k members: bench/dup_key_bench.py and docs/performance.md (check against the floor).
    """
    encoded = _encoded(value, len(raw))
    if encoded is not None and _same(encoded, raw):
        return False  # the file is the value encoded again: no key twice
    text = isinstance(raw, str)
    backslash, escape, colon = ("\\", "\\u003", ":") if text else (b"\\", b"\\u003", b":")
    if raw.find(backslash) != -1 and raw.find(escape) != -1:  # a memchr first: most exports hold no backslash
        in_raw = -1  # a colon escaped \u003a: encoded again it counts, and could offset a repeat
    else:
        in_raw = _count(raw, colon)
    if encoded is not None and encoded.count(b":") == in_raw:
        return False
    if typed and not text and _key_count(_JSON.decode(raw)) == in_raw:
        return False  # a Struct's defaults, not a repeat: a plain decode counts cheaper than the exact parse
    try:
        json.loads(raw[:] if raw.__class__ is mmap.mmap else raw, object_pairs_hook=_refuse_repeats)
    except _DuplicateKey as dup:
        record = f"record {dup.record!r}" if dup.record is not None else "an object"
        findings.error("duplicate-key", path, "", dup.key,
                       f"{record} has key {dup.key!r} twice ({_json_text(dup.first)}, then {_json_text(dup.again)}); a JSON object "
                       "names each key once (RFC 8259 §4): fix or re-export the file")
        return True
    except (ValueError, RecursionError):  # concatenated documents, read as pages: not checked again here
        return False
    return False


def read_json(path: Path, findings: Findings,
              typed: Sequence[msgspec.json.Decoder] = ()) -> tuple[TextFile | None, Any]:
    """Read, decode and parse a JSON file; ``(None, None)`` with findings when it cannot.

    The returned :class:`TextFile` has no ``text`` (not needed once parsed). A UTF-8 file
    without a BOM that is one well-formed JSON document (every export, in practice) is
    parsed from its bytes by msgspec, in C: ~40 % less CPU than ``json.loads`` at 100k
    members. msgspec refuses whatever ``json.loads`` would read differently or not at all
    (invalid UTF-8, ``NaN``, ``1e400``, lone surrogates, concatenated documents), and such a
    file takes :func:`read_text` and :func:`parse_json`, so the values and findings are
    the same either way (tests/test_sources_files.py).

    ``typed``: decoders of the loader's usual shape of the file (msgspec Structs), tried in
    order on those bytes first; the value is then the first one's Struct, else the plain
    JSON value as above (a file that does not fit is read as usual, never reported here).
    Their Structs should be ``omit_defaults``: :func:`duplicate_key` counts the keys of the value
    encoded again, and a key written with its default value costs an exact parse of the file.

    An object repeating a key is a ``duplicate-key`` error and ``(None, None)`` (:func:`duplicate_key`).
    A file of :data:`MAP_FROM` bytes or more is mapped rather than read (:func:`_mapped`).
    """
    mapped = _mapped(path)
    data = mapped if mapped is not None else read_bytes(path, findings)
    if data is None:
        return None, None
    try:
        return _parse_json_file(path, data, findings, typed)
    finally:
        if mapped is not None:
            try:
                mapped.close()
            except BufferError:  # a value still views the mapping (a typed decoder's msgspec.Raw): kept while it does
                pass


def _parse_json_file(path: Path, data: bytes | mmap.mmap, findings: Findings,
                     typed: Sequence[msgspec.json.Decoder]) -> tuple[TextFile | None, Any]:
    """:func:`read_json` of the file's bytes ``data`` (or its mapping)."""
    if not data[:3].startswith((b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")) and b"\x00" not in data[:65536]:
        for decoder in (*typed, _JSON):
            try:
                value = decoder.decode(data)
            except (msgspec.DecodeError, RecursionError):  # msgspec.ValidationError is a DecodeError
                continue
            if duplicate_key(path, data, value, findings, typed=decoder is not _JSON):
                return None, None
            return TextFile(path=path, text="", encoding="utf-8", sha256=hashlib.sha256(data).hexdigest()), value
    if data.__class__ is mmap.mmap:
        data = data[:]  # decode() reads bytes: a file msgspec refused (a BOM, UTF-16, cp1252, NUL bytes)
    decoded = decode(path, data, findings)
    if decoded is None:
        return None, None
    text, encoding = decoded
    value, ok = parse_json(path, text, findings)
    if not ok or duplicate_key(path, text, value, findings):
        return None, None
    return TextFile(path=path, text="", encoding=encoding, sha256=hashlib.sha256(data).hexdigest()), value


def head_text(path: Path, size: int = 65536) -> str:
    """The first ``size`` bytes of a file, decoded leniently, for format sniffing only ('' on error)."""
    try:
        with path.open("rb") as fh:
            data = fh.read(size)
    except OSError:
        return ""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16", errors="replace")
    if b"\x00" in data:
        return ""
    return data.decode("utf-8-sig", errors="replace")
