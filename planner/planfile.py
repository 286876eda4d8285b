"""Plan files: write, read, digest, and the JSON Schema shipped with the package.

A plan file is UTF-8 JSON with sorted keys, one top-level field per line group
and one element per line inside the big lists and objects (actions, people,
fingerprints, ...), so the same plan gives the same bytes and two plans diff
line by line. Its top level holds the fields of :class:`planner.model.Plan`
(``format_version``, ``tool_version``, ``organization``, ``inputs``, ``policy``,
``fingerprints``, ``actions``, ``review_items``, ``summary``, ``people``,
``teams``, ``preflight``, ``created_at``, ``digest``). One encoder writes it
(msgspec, over the typed :class:`~planner.model.Plan`; :func:`canonical_json`)
and one decoder reads it with validation (unknown fields, missing required
fields and wrong types refused, :func:`read_plan`).

``digest`` is ``"sha256:" + hex`` of the canonical JSON (sorted keys, no spaces,
UTF-8) of every field except ``created_at`` and ``digest`` itself; timestamps
never enter it (design.md, "Invariants"). The file is that canonical JSON with
layout newlines (a newline is never inside an encoded value: JSON escapes it),
so :func:`read_plan` checks the digest over the bytes as written
(:func:`_digest`), without encoding the plan again.
"""

from __future__ import annotations

import hashlib
import io
import re
from pathlib import Path
from operator import itemgetter
from typing import IO, TYPE_CHECKING, Any, BinaryIO, Iterable, Iterator

import msgspec

from .dependencies import DependencyError, check_dependencies
from .errors import UserError
from .model import (
    PLAN_FORMAT_VERSION, Fingerprints, MemberFingerprint, MemberState, Plan, TeamFingerprint, TeamState,
)
from .output import Outputs

if TYPE_CHECKING:  # the policy schema (pydantic) is imported only by the readers that act on the policy
    from .policy import Policy

_EXCLUDED_FROM_DIGEST = (b"created_at", b"digest")


class PlanFileError(UserError):
    """A plan file cannot be read: not JSON, wrong shape, or an unknown ``format_version``.

    The message is one line and names the file (and the JSON path when known).
    """


_ENCODER = msgspec.json.Encoder(order="sorted")


def canonical_json(value: Any) -> bytes:
    """The canonical JSON of ``value`` (msgspec Structs, enums, dicts, lists, scalars): keys and
    fields sorted, no spaces, UTF-8, non-ASCII unescaped. The one encoder of plan files."""
    return _ENCODER.encode(value)


def _decode_hook(kind: type, obj: Any) -> Any:
    """msgspec's hook for the plan's one custom type, :class:`~planner.model.Fingerprints` (a JSON
    object whose keys' prefix picks each entry's type)."""
    if kind is Fingerprints:
        return Fingerprints.from_json(obj)
    raise NotImplementedError(kind)


def fingerprint_of(state: MemberState | TeamState) -> MemberFingerprint | TeamFingerprint:
    """The fingerprint of a planned-against ``state``: its ``sha256``, hex, over
    :func:`canonical_json` of the state."""
    sha = hashlib.sha256(canonical_json(state)).hexdigest()
    return MemberFingerprint(sha, state) if isinstance(state, MemberState) else TeamFingerprint(sha, state)


_DECODER = msgspec.json.Decoder(Plan, dec_hook=_decode_hook)


class _Header(msgspec.Struct):
    """The top-level fields read before the plan is validated (others are skipped)."""

    format_version: Any = None
    digest: Any = None
    tool_version: Any = None
    created_at: Any = None


_HEADER_DECODER = msgspec.json.Decoder(_Header)


_ON_ONE_LINE = frozenset({b"outcomes"})
"""Top-level objects written on one line: ``outcomes`` was, when it was added; kept so, for the
same plan bytes (the digest ignores layout newlines either way)."""


def _entries(value: Any) -> list[tuple[str, Any]]:
    """The ``(key, value)`` entries of a JSON object, a dict or a msgspec Struct (by encoded field
    name, ``UNSET`` fields left out as msgspec leaves them out), sorted by key."""
    if isinstance(value, dict):
        return sorted(value.items(), key=itemgetter(0))
    fields = msgspec.structs.fields(value)
    return sorted(((f.encode_name, getattr(value, f.name)) for f in fields
                   if getattr(value, f.name) is not msgspec.UNSET), key=itemgetter(0))


_BATCH = 512
"""Elements of a top-level list (entries of an object) encoded at a time: a few MB at most at 100k
members, where a ``scim.set_group_members`` action alone can hold thousands of member ids."""


def _field_chunks(name: bytes, value: Any) -> Iterator[bytes]:
    """One top-level field as the file holds it, in chunks: a non-empty list one element per line
    (``[\n e1,\n e2\n]``), a non-empty object (a dict or a Struct) one entry per line unless
    :data:`_ON_ONE_LINE`, anything else canonical on one line. A list (an object) is encoded
    :data:`_BATCH` elements (entries) at a time (``encode_lines``: ``b"e1\ne2\n"``, no newline
    inside an element), so the 100 MB of a 100k-member plan's actions are never held whole."""
    if isinstance(value, (list, tuple)) and value:
        yield b"["
        for start in range(0, len(value), _BATCH):
            # b"\ne1\ne2" -> b"\ne1,\ne2": each batch's first newline ends the line before it
            lines = _ENCODER.encode_lines(value[start:start + _BATCH])
            yield (b"\n" if start == 0 else b",\n") + lines[:-1].replace(b"\n", b",\n")
        yield b"\n]"
    elif (isinstance(value, msgspec.Struct) or isinstance(value, dict) and value) and name not in _ON_ONE_LINE:
        entries = _entries(value)
        yield b"{"
        for start in range(0, len(entries), _BATCH):
            batch = entries[start:start + _BATCH]
            names = _ENCODER.encode_lines([k for k, _ in batch])[:-1].split(b"\n")
            values = _ENCODER.encode_lines([v for _, v in batch])[:-1].split(b"\n")
            yield (b"\n" if start == 0 else b",\n") + b",\n".join(map(b":".join, zip(names, values)))
        yield b"\n}"
    else:
        yield _ENCODER.encode(value)


_WINDOW = 1 << 22  # bytes hashed per update: layout newlines are dropped one window at a time


def _digest(entries: Iterable[tuple[bytes, bytes | memoryview]]) -> str:
    """``"sha256:<hex>"`` of the canonical body ``{"name":value,...}`` of the top-level entries
    ``(name, value as the file holds it)`` in file order, ``created_at`` and ``digest`` left out:
    the value's layout newlines are dropped (JSON never has a newline inside a value)."""
    h = hashlib.sha256(b"{")
    first = True
    for name, piece in entries:
        if name in _EXCLUDED_FROM_DIGEST:
            continue
        h.update((b"" if first else b",") + b'"' + name + b'":')
        first = False
        for start in range(0, len(piece), _WINDOW):
            h.update(bytes(piece[start:start + _WINDOW]).replace(b"\n", b""))
    h.update(b"}")
    return "sha256:" + h.hexdigest()


_ENTRY = re.compile(rb'\n"([a-z_]+)": ')
"""A top-level entry of a plan file: only there does a line start with ``"name": `` (inside,
elements are compact, ``"key":value``)."""


_STRING = re.compile(rb'"(?:[^"\\\n]|\\.)*"')
"""One JSON string token, alone: the whole value of an entry the digest leaves out."""


def _file_entries(data: bytes) -> list[tuple[bytes, memoryview]] | None:
    """The top-level ``(name, value)`` entries of plan-file bytes as :func:`plan_bytes` lays them
    out, or ``None`` when the bytes are not in that layout: an entry not at a line start, names
    not strictly in sorted order (a name twice: the decoder keeps the last), or a value the digest
    leaves out (``created_at``, ``digest``) that is not one JSON string alone. Those two are the
    only bytes the digest does not cover, so anything written beside them (``"created_at": "...",
    "actions": [...]`` on one line: the decoder reads that second ``actions``) would change the
    plan under an unchanged digest and approval (tester22 finding 6)."""
    if not (data.startswith(b"{\n") and data.endswith(b"\n}\n")):
        return None
    found = list(_ENTRY.finditer(data))
    if not found or found[0].start() != 1:
        return None
    view = memoryview(data)
    entries = []
    for n, match in enumerate(found):
        end = found[n + 1].start() - 1 if n + 1 < len(found) else len(data) - 3
        if n + 1 < len(found) and data[end] != ord(","):
            return None
        name = match.group(1)
        if entries and name <= entries[-1][0]:
            return None
        if name in _EXCLUDED_FROM_DIGEST and _STRING.fullmatch(data, match.end(), end) is None:
            return None
        entries.append((name, view[match.end():end]))
    return entries


_DIGEST_PLACEHOLDER = _ENCODER.encode("sha256:" + "0" * 64)
"""Written where ``digest`` goes until the digest is known (the same length as a digest)."""


def _write_fields(fields: dict[str, Any], out: BinaryIO) -> str:
    """Write the plan file of top-level ``fields`` (name -> value; a ``digest`` among them is
    replaced) into the seekable binary ``out``, one field at a time, and return the digest.

    Each field is encoded, hashed and written before the next is encoded (a list a batch at a
    time, :func:`_field_chunks`), so no field's bytes are held whole (a 100k-member plan is
    ~200 MB of JSON). ``digest`` sorts before most fields: a placeholder of its length is written
    there and overwritten at the end. The digest is :func:`_digest`'s over the same bytes.
    """
    names = sorted({name.encode() for name in fields} | {b"digest"})
    h = hashlib.sha256(b"{")
    first = True
    digest_at = -1
    out.write(b"{")
    for n, name in enumerate(names):
        out.write(b'\n"' + name + b'": ')
        if name == b"digest":
            digest_at = out.tell()
            out.write(_DIGEST_PLACEHOLDER)
        else:
            hashed = name not in _EXCLUDED_FROM_DIGEST
            if hashed:
                h.update((b"" if first else b",") + b'"' + name + b'":')
                first = False
            for chunk in _field_chunks(name, fields[name.decode()]):
                out.write(chunk)
                if hashed:
                    h.update(chunk.replace(b"\n", b""))
        out.write(b"," if n + 1 < len(names) else b"\n}\n")
    h.update(b"}")
    digest = "sha256:" + h.hexdigest()
    end = out.tell()
    out.seek(digest_at)
    out.write(_ENCODER.encode(digest))
    out.seek(end)
    return digest


def _plan_fields(plan: Plan) -> dict[str, Any]:
    return {name: getattr(plan, name) for name in plan.__struct_fields__}


def plan_bytes(plan: Plan) -> bytes:
    """The exact bytes of a plan file, with ``digest`` filled in.

    Layout: one top-level key per line group, and one element per line inside
    the top-level lists and objects (actions, people, fingerprints, ...), each
    element in canonical compact form: the file diffs well line by line, and
    without its layout newlines it is the canonical body the digest covers.
    """
    return document_bytes(_plan_fields(plan))


def document_bytes(document: dict[str, Any]) -> bytes:
    """The bytes of a plan file holding ``document`` (a plan file's JSON as decoded, possibly
    edited), laid out as :func:`plan_bytes` does, with its ``digest`` computed afresh. Nothing is
    validated: this is how a tool (or a test) rewrites a plan it edited."""
    buffer = io.BytesIO()
    _write_fields(document, buffer)
    return buffer.getvalue()


def dump_plan(plan: Plan, fh: IO[str]) -> str:
    """Write the bytes of :func:`plan_bytes` into ``fh`` (a text file opened UTF-8, ``newline=""``,
    as :meth:`planner.output.Outputs.open` gives) through its binary buffer, one field at a
    time (:func:`_write_fields`: a 100k-member plan is ~200 MB of JSON, never held whole).
    Returns the plan's digest."""
    fh.flush()
    out = fh.buffer  # type: ignore[attr-defined]
    if out.seekable():
        return _write_fields(_plan_fields(plan), out)
    buffer = io.BytesIO()
    digest = _write_fields(_plan_fields(plan), buffer)
    out.write(buffer.getbuffer())
    return digest


def write_plan(plan: Plan, path: str | Path) -> str:
    """Write ``plan`` to ``path`` all or nothing (temp file beside it + rename); return its digest.

    The output rules of :mod:`planner.output` apply: the parent directory must
    exist, ``path`` may not be a directory. Raises
    :class:`planner.output.OutputError` (one line) when it cannot be written.
    A command writing the plan with other files uses :class:`planner.output.Outputs`
    and :func:`dump_plan` instead, so that all of them appear together.
    """
    with Outputs() as outputs:
        outputs.add("plan", path)
        with outputs.open(path) as fh:
            digest = dump_plan(plan, fh)
    return digest


_AT = re.compile(r" - at `(?P<path>[^`]*)`$")
_MISSING = re.compile(r"^Object missing required field `(?P<field>[^`]*)`$")
_UNKNOWN = re.compile(r"^Object contains unknown field `(?P<field>[^`]*)`$")
_EXPECTED = re.compile(r"^Expected `(?P<want>[^`]*)`, got `(?P<got>[^`]*)`$")


def validation_message(error: msgspec.ValidationError) -> str:
    """``"<JSON path>: <what>"`` of a msgspec validation error, e.g.
    ``$.actions[3].after.userType: required``, ``$.actions[0].target.foo: unknown field``,
    ``$.actions[0].id: expected str, got int``, ``$.actions[0].kind: invalid value 'x'``.

    An error raised inside a decoding hook (:meth:`planner.model.Fingerprints.from_json`) carries
    its own paths, innermost first (``... - at `$.state` - at `$["member:m1"]` - at
    `$.fingerprints```): they are joined into one (``$.fingerprints["member:m1"].state``)."""
    what, path = str(error), "$"
    while found := _AT.search(what):
        path += found["path"][1:]  # the outermost path is the last one
        what = what[:found.start()]
    if found := _MISSING.match(what):
        return f"{path}.{found['field']}: required"
    if found := _UNKNOWN.match(what):
        return f"{path}.{found['field']}: unknown field"
    if found := _EXPECTED.match(what):
        return f"{path}: expected {found['want']}, got {found['got']}"
    return f"{path}: {what[:1].lower()}{what[1:]}"


_RESULT_FIELDS = frozenset({"status", "journal", "by_kind", "run", "plan"})
"""Top-level fields every apply result has (:class:`planner.result_file.ApplyResultFile`)."""

_TOOL_FILES = (
    (frozenset({"actions", "review_items", "people", "summary", "digest"}),
     "a plan without its format_version (edited by hand, or written by another tool)"),
    (frozenset({"approver", "approved_at", "digest", "plan"}),
     "a plan's approval (`sigma-migrate approve` writes <plan>.approval)"),
    (frozenset({"approvable", "blocking", "summary", "preflight"}),
     "the summary `sigma-migrate plan --json` prints"),
    (frozenset({"manifest", "version", "scimState"}),
     "a Sigma fetch manifest (`sigma-migrate fetch` writes fetch-manifest.json)"),
)
"""The other JSON files sigma-migrate writes that are no plan, by top-level fields they all have."""

SQLITE_HEADER = b"SQLite format 3\x00"
"""The first bytes of every SQLite database file (an apply journal, :mod:`planner.execute.journal`)."""

BYTE_ORDER_MARKS = {b"\xef\xbb\xbf": "a UTF-8 byte order mark (saved as \"UTF-8 with BOM\"?)",
                    b"\xff\xfe": "a UTF-16 byte order mark (saved as UTF-16 or \"Unicode\"?)",
                    b"\xfe\xff": "a UTF-16 byte order mark (saved as UTF-16 or \"Unicode\"?)"}
"""Byte order marks, each with what it says of the file: `plan` writes none (UTF-8 without BOM), an editor saving
the plan again may (tester14a finding 7)."""

_HEAD_BYTES = 65536
"""How much of a file :func:`looks_like` reads to tell an export (as
:func:`planner.sources.detect.classify` does)."""


def looks_like(data: bytes) -> str:
    """What a JSON file that is no plan (no ``format_version``) looks like, in words, ``""`` when it
    cannot tell: a file sigma-migrate writes (:data:`_TOOL_FILES`: an apply result, naming its plan,
    an approval, ``plan --json``'s summary, a fetch manifest), else an export, as the one detection
    of export files (:func:`planner.sources.detect.classify_json`) tells it: ``"a Sigma members
    export (GET /v2/members)"``, ``"an IdP export (okta-api users file: Okta users (profile.login))"``,
    ``"a fetch-idp manifest (fetch-idp-manifest.json)"``."""
    from .sources.detect import classify_json, sigma_json_file

    try:
        fields = msgspec.json.decode(data, type=dict[str, msgspec.Raw])
    except (msgspec.ValidationError, msgspec.DecodeError):
        fields = {}
    if _RESULT_FIELDS <= fields.keys():
        plan = msgspec.json.decode(fields["plan"])
        return ("an apply result (`sigma-migrate apply` writes <plan>.run-<n>.result.json)"
                + (f" of plan {plan}" if isinstance(plan, str) and plan else ""))
    for keys, words in _TOOL_FILES:
        if keys <= fields.keys():
            return words
    kind = classify_json(data[:_HEAD_BYTES].decode("utf-8", errors="replace"))
    if kind.format == "manifest":
        return "a fetch-idp manifest (`sigma-migrate fetch-idp` writes fetch-idp-manifest.json)"
    if kind.format == "sigma":
        return sigma_json_file(data[:_HEAD_BYTES].decode("utf-8", errors="replace"))
    if kind.format is not None:
        return f"an IdP export ({kind.format} {kind.role or 'file'}: {kind.reason})"
    return ""


def _not_a_plan(path: Path, data: bytes, shape: str) -> PlanFileError:
    """The refusal of a JSON file that is no plan: ``shape`` (``"a JSON object without format_version"``,
    ``"a JSON array"``) and what it looks like (:func:`looks_like`), in one line naming the file."""
    what = looks_like(data)
    return PlanFileError(f"{path}: not a plan file: " + (f"it looks like {what}" if what else shape)
                         + "; give the plan file `sigma-migrate plan --out PLAN` wrote, or plan again")


def read_plan(path: str | Path, *, verify_digest: bool = True, with_policy: bool = False) -> Plan:
    """Read and validate a plan file.

    Raises :class:`PlanFileError` (one line naming the file and, for a shape error, the JSON
    path: ``plan.json: $.actions[3].after.userType: required``), checked in this order: the
    file is unreadable, is not JSON, is JSON but no plan (no ``format_version``: the message says
    what it looks like, :func:`looks_like`: ``run.result.json: not a plan file: it looks like an apply
    result ... of plan v3.json``), has an unsupported ``format_version``; it does not match
    the types of :mod:`planner.payloads` / :mod:`planner.model` (a missing required field, an
    unknown field, a wrong type or kind); (with ``verify_digest``) its bytes no longer match
    its ``digest`` (tampered or re-formatted); it is broken inside although its digest matches
    (:func:`check_structure`: duplicate ids, a dangling dependency, a cycle, ``after: null``).

    Every field the planner writes is required, so a missing one says the plan was written by
    another version and to plan again (``plan.json: $.outcomes: required (a plan written by
    another version of sigma-migrate; plan again with this one, 0.1.0)``). The shape comes
    before the digest, so a plan written by an older version (whose digest matches its own
    content) and a plan with a field cut out by hand (whose digest does not) get that same
    refusal.

    ``with_policy``: the resolved policy (``policy.resolved``) is validated too, last
    (:func:`plan_policy`: ``plan.json: $.policy.resolved.linking: required (...)``); the commands
    that act on the policy pass it (approve, apply, verify, handoff) and read the typed policy with
    :func:`plan_policy` (validated once per plan). Without it, as for show, report and diff, the
    policy schema is not imported (0.14 s CPU of pydantic schema building; importing planfile and show: 0.24 s).
    """
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise PlanFileError(f"{path}: cannot read plan file: {exc.strerror}") from None
    if not data.strip():
        raise PlanFileError(f"{path}: the plan file is empty; write it again with `sigma-migrate plan ... --out {path}`")
    try:
        header = _HEADER_DECODER.decode(data)
    except msgspec.ValidationError:
        shape = "a JSON array" if data.lstrip()[:1] == b"[" else "top level is not an object"
        raise _not_a_plan(path, data, shape) from None
    except msgspec.DecodeError as exc:
        if data.startswith(SQLITE_HEADER):
            raise PlanFileError(f"{path}: not a plan file: it is an SQLite database (an apply journal, "
                                "<plan>.journal.sqlite, is one); give the plan file `sigma-migrate plan --out PLAN` "
                                "wrote, or plan again") from None
        bom = next((said for mark, said in BYTE_ORDER_MARKS.items() if data.startswith(mark)), None)
        if bom is not None:
            raise PlanFileError(f"{path}: not the plan file sigma-migrate wrote: it starts with {bom}: an editor "
                                "saved it again, so it was changed after it was written; use the file "
                                "`sigma-migrate plan` wrote, or plan again") from None
        cut = " (the file was cut short)" if "truncated" in str(exc) else ""
        raise PlanFileError(f"{path}: not a JSON plan file{cut}: {exc}; use the file `sigma-migrate plan` wrote, "
                            "or plan again") from None
    version = header.format_version
    if version is None:
        raise _not_a_plan(path, data, "a JSON object without format_version (every plan file has one)")
    if version != PLAN_FORMAT_VERSION or isinstance(version, bool):
        raise PlanFileError(format_version_refusal(path, header))
    try:
        plan = _DECODER.decode(data)
    except msgspec.ValidationError as exc:
        message = validation_message(exc)
        if message.endswith(": required"):  # every field the planner writes is required: another build wrote it
            message += (f" (a plan of format {PLAN_FORMAT_VERSION} that lacks a field this build writes: edited by "
                        "hand, or written by another build of sigma-migrate; plan again with this one)")
        raise PlanFileError(f"{path}: {message}") from None
    if verify_digest:
        entries = _file_entries(data)
        if entries is None:
            raise PlanFileError(
                f"{path}: plan content does not match its digest: the file is not in the layout sigma-migrate "
                "writes (re-indented or re-saved by an editor?), so it was changed after it was written; use the "
                "file `sigma-migrate plan` wrote, or plan again")
        expected = _digest(entries)
        if header.digest != expected:
            raise PlanFileError(
                f"{path}: plan content does not match its digest "
                f"(file says {header.digest!r}, content is {expected}); "
                "the plan was modified after it was written"
            )
    check_structure(plan, path)
    # policy.resolved is a msgspec.Raw, a view holding the whole file's bytes (~200 MB at 100k
    # people): keep a copy of its own bytes instead
    plan = msgspec.structs.replace(plan, policy=msgspec.structs.replace(plan.policy, resolved=plan.policy.resolved.copy()))
    if with_policy:
        plan_policy(plan, path)
    return plan


def plan_policy(plan: Plan, path: str | Path = "plan") -> Policy:
    """The typed policy of ``plan``: its ``policy.resolved`` as a validated :class:`planner.policy.Policy`,
    validated once per plan (:func:`planner.policy.resolved_policy` caches it by its bytes), so
    ``read_plan(path, with_policy=True)`` and every later call cost one validation in all.

    Raises :class:`PlanFileError`, one line naming ``path`` and the JSON path:
    ``plan.json: $.policy.resolved.targets.rest_base_url: Input should be a valid string``, or
    ``...: required (a plan written by another version ...)`` for a key the plan lacks.
    """
    from .policy import PolicyError, resolved_policy

    try:
        return resolved_policy(plan.policy.resolved, str(path))
    except PolicyError as exc:
        raise PlanFileError(str(exc)) from None


def check_structure(plan: Plan, path: str | Path) -> None:
    """Refuse a plan that fits the schema but cannot be a plan: one :class:`PlanFileError` line
    naming the JSON path and the action (or review item) id.

    Checked, in this order: the dependencies (:func:`planner.dependencies.check_dependencies`:
    action ids are unique, every ``depends_on`` names an action of the plan, no cycle); review
    item ids are unique. (``after: null`` where a kind needs an object is a type error, refused
    before: :mod:`planner.payloads`.)
    """
    actions = plan.actions
    try:
        check_dependencies(actions)
    except DependencyError as exc:
        where = f"$.actions[{exc.index}].{exc.field}" if exc.field else "$.actions"
        also = "" if exc.first is None else f" (also $.actions[{exc.first}])"
        raise PlanFileError(f"{path}: {where}: {exc}{also}") from None
    seen: dict[str, int] = {}
    for n, item in enumerate(plan.review_items):
        first = seen.setdefault(item.id, n)
        if first != n:
            raise PlanFileError(
                f"{path}: $.review_items[{n}].id: review item id {item.id!r} appears twice "
                f"(also $.review_items[{first}])"
            )


def _schema_hook(kind: type) -> dict[str, Any]:
    """The JSON Schema of :class:`~planner.model.Fingerprints` (msgspec's hook for custom types):
    ``member:<id>`` keys hold a member fingerprint, ``team:<id>`` keys a team one, nothing else."""
    if kind is Fingerprints:
        return {"type": "object", "additionalProperties": False, "patternProperties": {
            "^member:.": {"$ref": "#/$defs/MemberFingerprint"}, "^team:.": {"$ref": "#/$defs/TeamFingerprint"}}}
    raise NotImplementedError(kind)


def format_version_refusal(path: str | Path, header: "_Header") -> str:
    """Why a plan file of another ``format_version`` than :data:`planner.model.PLAN_FORMAT_VERSION` is refused,
    in one line: which format and build wrote it, which this build reads, and what still works (tester10
    finding 9): a plan of an earlier format is applied, resumed, verified or undone by the build that wrote it
    (its journal stays that build's), new work is planned again with this one."""
    version = header.format_version
    if not isinstance(version, int) or isinstance(version, bool):
        return f"{path}: unsupported format_version {version!r} (this build of sigma-migrate reads {PLAN_FORMAT_VERSION})"
    wrote = f"tool_version {header.tool_version}, created {header.created_at}"
    if version < PLAN_FORMAT_VERSION:
        return (f"{path}: plan format {version}, written by an earlier build of sigma-migrate ({wrote}); this build "
                f"reads plan format {PLAN_FORMAT_VERSION}: plan again with this build; to apply, resume, verify or "
                "undo that plan, use the build that wrote it")
    return (f"{path}: plan format {version}, written by a later build of sigma-migrate ({wrote}); this build reads "
            f"plan format {PLAN_FORMAT_VERSION}: use that build, or plan again with this one")


def plan_json_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of a plan file, generated from the types :func:`read_plan`
    decodes (:class:`planner.model.Plan`, :mod:`planner.payloads`) and, for ``policy.resolved``,
    from :class:`planner.policy.Policy` (:func:`planner.policy.resolved_schema`, its definitions
    named ``policy.<Model>``): every object with fixed fields says ``additionalProperties:
    false``; ``format_version`` is required and the constant :data:`~planner.model.PLAN_FORMAT_VERSION`; the action union is a ``oneOf``
    keyed by ``kind``; fingerprints are keyed ``member:<id>`` / ``team:<id>``
    (``patternProperties``)."""
    from .policy import resolved_schema

    (schema, *_), defs = msgspec.json.schema_components((Plan, MemberFingerprint, TeamFingerprint),
                                                        schema_hook=_schema_hook)
    plan = defs["Plan"]
    plan["required"] = sorted(set(plan["required"]) | {"format_version"})
    plan["properties"]["format_version"] = {"const": PLAN_FORMAT_VERSION}
    actions = plan["properties"]["actions"]["items"]
    actions["oneOf"] = actions.pop("anyOf")
    policy, policy_defs = resolved_schema("#/$defs/policy.{model}")
    defs["PlanPolicy"]["properties"]["resolved"] = policy
    defs.update({f"policy.{name}": d for name, d in policy_defs.items()})
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "sigma-migrate plan file",
        "$ref": schema["$ref"],
        "$defs": dict(sorted(defs.items())),
    }
