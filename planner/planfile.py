"""Plan files: write, read, digest, and the JSON Schema shipped with the package.

A plan file is UTF-8 JSON with sorted keys, one top-level field per line group
and one element per line inside the big lists and objects (actions, people,
fingerprints, ...), so the same plan gives the same bytes and two plans diff
line by line. Its top level holds the fields of
:class:`planner.model.Plan` (``format_version``, ``tool_version``,
``organization``, ``inputs``, ``policy``, ``fingerprints``, ``actions``,
``review_items``, ``summary``, ``people``, ``teams``, ``created_at``,
``digest``). Validation at the edge uses pydantic over the model's data classes.

``digest`` is ``"sha256:" + hex`` of the canonical JSON (sorted keys, no spaces,
UTF-8) of every field except ``created_at`` and ``digest`` itself; timestamps
never enter it (design.md, "Invariants").
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from enum import Enum
from functools import lru_cache
from pathlib import Path
from typing import IO, Any, Mapping

from pydantic import TypeAdapter, ValidationError

from .dependencies import DependencyError, check_dependencies
from .errors import UserError
from .model import PLAN_FORMAT_VERSION, ActionKind, Plan
from .output import Outputs

_EXCLUDED_FROM_DIGEST = ("created_at", "digest")


class PlanFileError(UserError):
    """A plan file cannot be read: not JSON, wrong shape, or an unknown ``format_version``.

    The message is one line and names the file (and the JSON path when known).
    """


@lru_cache(maxsize=1)
def _adapter() -> TypeAdapter[Plan]:
    return TypeAdapter(Plan)


def _json_default(value: Any) -> Any:
    """``json.dumps`` hook: data classes become dicts of their fields, other mappings dicts.

    Strings, str-enums, numbers, dicts, lists and tuples are encoded natively by
    the C encoder, so this runs once per data class or non-dict mapping only.
    """
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: getattr(value, f.name) for f in dataclasses.fields(value)}
    if isinstance(value, Mapping):
        return dict(value)
    if isinstance(value, Enum):
        return value.value
    raise TypeError(f"cannot write {type(value).__name__} to a plan file")


_ENCODER = json.JSONEncoder(
    sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False, default=_json_default
)
_compact = _ENCODER.encode


def plan_to_dict(plan: Plan) -> dict[str, Any]:
    """The JSON document of a plan (enums as their values, tuples as lists), without ``digest``."""
    document = json.loads(_compact(plan))
    document.pop("digest", None)
    return document


def compute_digest(document: dict[str, Any]) -> str:
    """``"sha256:<hex>"`` over a plan document without ``created_at`` and ``digest``."""
    body = {k: v for k, v in document.items() if k not in _EXCLUDED_FROM_DIGEST}
    return "sha256:" + hashlib.sha256(_compact(body).encode("utf-8")).hexdigest()


_Encoded = dict[str, "tuple[str, str, list[str]] | str"]
_CHUNK = 2048  # elements joined per write / hash update


def _encode_fields(plan: Plan) -> _Encoded:
    """field -> (open, close, encoded elements) for non-empty lists/objects, else the encoded value.

    Every element is encoded once; the file and the digest are assembled from these strings.
    """
    encoded: _Encoded = {}
    for field in dataclasses.fields(plan):
        if field.name == "digest":
            continue
        value = getattr(plan, field.name)
        if isinstance(value, (list, tuple)) and value:
            encoded[field.name] = ("[", "]", [_compact(v) for v in value])
        elif isinstance(value, Mapping) and value:
            parts = [f"{_compact(str(k))}:{_compact(value[k])}" for k in sorted(value, key=str)]
            encoded[field.name] = ("{", "}", parts)
        else:
            encoded[field.name] = _compact(value)
    return encoded


def _chunks(elements: list[str], separator: str):
    """``separator.join(elements)`` in pieces of _CHUNK elements (no second copy of a 100 MB list)."""
    for start in range(0, len(elements), _CHUNK):
        yield (separator if start else "") + separator.join(elements[start : start + _CHUNK])


def _digest(encoded: _Encoded) -> str:
    """``sha256`` of the canonical body ``{"k":v,...}`` (sorted keys, compact), fed piece by piece."""
    h = hashlib.sha256(b"{")
    keys = [k for k in sorted(encoded) if k not in _EXCLUDED_FROM_DIGEST]
    for n, k in enumerate(keys):
        h.update(((',' if n else '') + _compact(k) + ":").encode("utf-8"))
        item = encoded[k]
        if isinstance(item, str):
            h.update(item.encode("utf-8"))
            continue
        h.update(item[0].encode("utf-8"))
        for piece in _chunks(item[2], ","):
            h.update(piece.encode("utf-8"))
        h.update(item[1].encode("utf-8"))
    h.update(b"}")
    return "sha256:" + h.hexdigest()


def _write_document(encoded: _Encoded, write) -> None:
    """Write the file layout: one top-level key per line group, one element per line inside."""
    write("{\n")
    for n, k in enumerate(sorted(encoded)):
        write((",\n" if n else "") + _compact(k) + ": ")
        item = encoded[k]
        if isinstance(item, str):
            write(item)
            continue
        write(item[0] + "\n")
        for piece in _chunks(item[2], ",\n"):
            write(piece)
        write("\n" + item[1])
    write("\n}\n")


def _encode_with_digest(plan: Plan) -> tuple[_Encoded, str]:
    encoded = _encode_fields(plan)
    digest = _digest(encoded)
    encoded["digest"] = _compact(digest)
    return encoded, digest


def plan_bytes(plan: Plan) -> bytes:
    """The exact bytes of a plan file, with ``digest`` filled in.

    Layout: one top-level key per line group, and one element per line inside
    the top-level lists and objects (actions, people, fingerprints, ...), each
    element in canonical compact form. The file diffs well line by line, and
    the canonical body the digest covers is assembled from the same encoded
    elements, so every element is encoded once.
    """
    encoded, _ = _encode_with_digest(plan)
    parts: list[str] = []
    _write_document(encoded, parts.append)
    return "".join(parts).encode("utf-8")


def digest_of(data: bytes) -> str:
    """The ``digest`` written in plan-file bytes made by :func:`plan_bytes` (no full parse)."""
    marker = b'\n"digest": "'
    start = data.index(marker) + len(marker)
    return data[start : data.index(b'"', start)].decode("ascii")


def dump_plan(plan: Plan, fh: IO[str]) -> str:
    """Stream the bytes of :func:`plan_bytes` into ``fh`` (a text file opened UTF-8, ``newline=""``).

    Returns the plan's digest. Streamed piece by piece: a 100k-member plan is
    ~200 MB of JSON, and joining it whole (for the file and again for the
    digest) took ~800 MB of peak memory (bench/plan_bench.py).
    """
    encoded, digest = _encode_with_digest(plan)
    _write_document(encoded, fh.write)
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


def read_plan(path: str | Path, *, verify_digest: bool = True) -> Plan:
    """Read and validate a plan file.

    Raises :class:`PlanFileError` when the file is unreadable, is not JSON, has
    an unsupported ``format_version``, does not match the schema, (with
    ``verify_digest``) its content no longer matches its ``digest`` (tampered),
    or it is broken inside although its digest matches (:func:`check_structure`:
    duplicate ids, a dangling dependency, a cycle, ``after: null`` where needed).
    """
    path = Path(path)
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise PlanFileError(f"{path}: cannot read plan file: {exc.strerror}") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise PlanFileError(f"{path}: not a JSON plan file: {exc}") from None
    if not isinstance(document, dict):
        raise PlanFileError(f"{path}: not a plan file: top level is not an object")
    version = document.get("format_version")
    if version != PLAN_FORMAT_VERSION:
        raise PlanFileError(
            f"{path}: unsupported format_version {version!r} (this tool reads {PLAN_FORMAT_VERSION})"
        )
    if verify_digest:
        expected = compute_digest(document)
        if document.get("digest") != expected:
            raise PlanFileError(
                f"{path}: plan content does not match its digest "
                f"(file says {document.get('digest')!r}, content is {expected}); "
                "the plan was modified after it was written"
            )
    try:
        plan = _adapter().validate_python(document)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = "$." + ".".join(str(p) for p in first["loc"])
        raise PlanFileError(f"{path}: {where}: {first['msg']}") from None
    check_structure(plan, path)
    return plan


AFTER_OPTIONAL = frozenset({ActionKind.TEAMS_REMOVE_MEMBER, ActionKind.SCIM_DEACTIVATE_USER})
"""Action kinds whose ``after`` may be ``null`` (a removal; ``active: false`` is implied).
Every other kind carries its end state / request body in ``after`` (docs/policy.md, "Actions")."""


def check_structure(plan: Plan, path: str | Path) -> None:
    """Refuse a plan that fits the schema but cannot be a plan: one :class:`PlanFileError` line
    naming the JSON path and the action (or review item) id.

    Checked, in this order: the dependencies (:func:`planner.dependencies.check_dependencies`:
    action ids are unique, every ``depends_on`` names an action of the plan, no cycle);
    ``after`` is an object for every kind outside :data:`AFTER_OPTIONAL`; review item ids
    are unique.
    """
    actions = plan.actions
    try:
        check_dependencies(actions)
    except DependencyError as exc:
        where = f"$.actions[{exc.index}].{exc.field}" if exc.field else "$.actions"
        also = "" if exc.first is None else f" (also $.actions[{exc.first}])"
        raise PlanFileError(f"{path}: {where}: {exc}{also}") from None
    for n, action in enumerate(actions):
        if action.after is None and action.kind not in AFTER_OPTIONAL:
            raise PlanFileError(
                f"{path}: $.actions[{n}].after: action {action.id!r} ({action.kind.value}) "
                "needs an 'after' object, found null"
            )
    seen: dict[str, int] = {}
    for n, item in enumerate(plan.review_items):
        first = seen.setdefault(item.id, n)
        if first != n:
            raise PlanFileError(
                f"{path}: $.review_items[{n}].id: review item id {item.id!r} appears twice "
                f"(also $.review_items[{first}])"
            )


def plan_json_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of a plan file, generated from :class:`Plan`."""
    schema = _adapter().json_schema(mode="serialization")
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "sigma-migrate plan file"
    return schema
