"""Strict reading of a YAML file against a pydantic schema: each error at its ``line:column`` with its key.

The policy (:mod:`planner.policy`) and a generic-CSV mapping (:mod:`planner.sources.generic_csv`) are
read the same way: the YAML is composed to keep the position of every node (:func:`collect_marks`),
the document is validated by a strict model (unknown keys forbidden, no coercion: a YAML 1.1 number,
boolean, null or date where a string belongs is refused, never re-spelled), and each pydantic error
becomes one :class:`SchemaProblem` (:func:`schema_problems`): ``line``, ``column``, the dotted key
(:func:`dotted`) and a message with what to do: the keys allowed where an unknown key is, with the
closest (:func:`planner.did_you_mean.unknown_key`), or how YAML read a value of the wrong type
(:func:`wrong_type_hint`).
"""

from __future__ import annotations

import math
import re
import types
import typing
from dataclasses import dataclass
from typing import Any, Callable, Mapping, Union

import yaml
from pydantic import BaseModel, ValidationError
from typing_extensions import Annotated

from .did_you_mean import suggest, unknown_key
from .yamlsafe import BoundedLoader

STRING_TAG = "tag:yaml.org,2002:str"

TOP_LEVEL = "(top level)"
"""How :func:`dotted` names the document itself (an unknown key at the top)."""

Marks = Mapping[tuple[Any, ...], tuple[int, int]]
"""Location (pydantic-style: keys and list indexes; ``"[key]"`` appended for a mapping key itself) ->
1-based ``(line, column)``."""


@dataclass(frozen=True)
class MarkedDocument:
    """One YAML document read with the position of every node (:func:`read_marked`).

    ``node``: the composed root (``None`` for an empty document); ``data``: the constructed document
    (``None`` when empty); ``marks`` and ``spellings``: filled by :func:`collect_marks`."""

    node: yaml.Node | None
    data: Any
    marks: dict[tuple[Any, ...], tuple[int, int]]
    spellings: dict[tuple[Any, ...], str]


def read_marked(text: str) -> MarkedDocument:
    """Compose ``text`` (aliases, nesting and bombs bounded: :class:`planner.yamlsafe.BoundedLoader`),
    record every node's position, then construct the document: what the policy, a fixture and a
    generic-CSV mapping are read by before their strict models validate them.

    Raises :class:`yaml.YAMLError` (a :class:`yaml.MarkedYAMLError` with the position where YAML
    stopped, a :class:`yaml.reader.ReaderError` for a character YAML cannot read)."""
    marks: dict[tuple[Any, ...], tuple[int, int]] = {}
    spellings: dict[tuple[Any, ...], str] = {}
    loader = BoundedLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return MarkedDocument(None, None, marks, spellings)
        collect_marks(node, (), marks, spellings, loader)
        return MarkedDocument(node, loader.construct_document(node), marks, spellings)
    finally:
        loader.dispose()


def collect_marks(node: yaml.Node, loc: tuple[Any, ...], marks: dict, spellings: dict,
                  loader: yaml.SafeLoader) -> None:
    """Fill ``marks`` (location -> 1-based ``(line, column)``) and ``spellings`` (location of a plain
    scalar YAML 1.1 reads as no string -> its text as written, e.g. ``"007"`` read as ``7``).

    A mapping key is recorded under the key as written (``"007"``, what a validated policy holds
    once quoted) and under the value YAML gives it (``7``, what pydantic names in an error's
    ``loc``: the int, any other by its repr), so an error about the key points at the key's own line."""
    marks[loc] = (node.start_mark.line + 1, node.start_mark.column + 1)
    if isinstance(node, yaml.ScalarNode) and node.tag != STRING_TAG:
        spellings[loc] = node.value
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            if not isinstance(key, yaml.ScalarNode):
                continue
            keys = [key.value]
            if key.tag != STRING_TAG:
                read = loader.construct_object(key)
                # pydantic's loc keeps an int key (a boolean as 0/1) and names any other by its repr
                named = int(read) if isinstance(read, int) else repr(read)
                if named != key.value:
                    keys.append(named)
                spellings[loc + (named, "[key]")] = key.value
            for k in keys:
                marks[loc + (k, "[key]")] = (key.start_mark.line + 1, key.start_mark.column + 1)
                collect_marks(value, loc + (k,), marks, spellings, loader)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            collect_marks(item, loc + (i,), marks, spellings, loader)


def dotted(loc: tuple[Any, ...]) -> str:
    """A location as a dotted key: ``teams.map.'Sales EMEA'``, ``linking.overrides[1].idp``; a key that is
    no identifier quoted; ``(top level)`` for ``()``."""
    out = ""
    for part in loc:
        if part == "[key]":
            continue
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            text = str(part)
            if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", text):
                text = repr(text)
            out += ("." if out else "") + text
    return out or TOP_LEVEL


def clean_loc(loc: tuple[Any, ...], marks: Marks) -> tuple[Any, ...]:
    """Drop pydantic's internal loc parts (union branch tags, validator names)."""
    out: list[Any] = []
    for part in loc:
        candidate = tuple(out) + (part,)
        if part == "[key]" or candidate in marks:
            out.append(part)
    return tuple(out)


@dataclass(frozen=True, slots=True)
class SchemaProblem:
    """One error of a YAML file against its schema: 1-based ``line``/``column``, the dotted ``path``
    (:func:`dotted`) and a one-line ``message``."""

    line: int
    column: int
    path: str
    message: str


def schema_problems(exc: ValidationError, marks: Marks, spellings: Mapping[tuple[Any, ...], str],
                    allowed_keys: Callable[[tuple[Any, ...]], list[str]]) -> list[SchemaProblem]:
    """Every pydantic error of ``exc`` as a :class:`SchemaProblem`, in file order, one per location (a
    union reports one error per branch at the same place: the first is kept).

    ``marks``, ``spellings``: from :func:`collect_marks`; ``spellings`` names a mapping key YAML read as
    no string by its text as written (``account_types.group_map.'007'``, not ``[7]``) and gives the
    wrong-type hints their text (:func:`wrong_type_hint`). ``allowed_keys(loc)``: the keys the schema
    allows at ``loc`` (:func:`model_keys`), for an unknown key's message
    (:func:`planner.did_you_mean.unknown_key`)."""
    def position(loc: tuple[Any, ...]) -> tuple[int, int]:
        for end in range(len(loc), -1, -1):
            m = marks.get(tuple(loc[:end]))
            if m is not None:
                return m
        return (1, 1)

    out: dict[tuple[int, int, str], SchemaProblem] = {}
    for err in exc.errors():
        raw_loc = tuple(err["loc"])
        loc = clean_loc(raw_loc, marks)
        if err["type"] == "missing" and raw_loc and loc == clean_loc(raw_loc[:-1], marks):
            loc += raw_loc[-1:]  # a key not written has no mark: named all the same, at its mapping's place
        shown = tuple(spellings.get(loc[:n + 1] + ("[key]",), part) for n, part in enumerate(loc))
        if err["type"] == "extra_forbidden":
            line, col = position(loc + ("[key]",))
            message = unknown_key(str(raw_loc[-1]), allowed_keys(loc[:-1]))
            where = dotted(shown[:-1])
        else:
            line, col = position(loc)
            message = non_finite_message(err["type"], err.get("input"), spellings.get(loc)) or err["msg"]
            for prefix in ("Value error, ", "Assertion failed, "):
                if message.startswith(prefix):
                    message = message[len(prefix):]
            if err["type"] == "literal_error":
                found = suggest(str(err.get("input")), _literal_values(err))
                if found:
                    message += f" ({found.phrase()})"
            message += wrong_type_hint(err["type"], err.get("input"), spellings.get(loc))
            where = dotted(shown)
        out.setdefault((line, col, where), SchemaProblem(line, col, where, message))
    return sorted(out.values(), key=lambda p: (p.line, p.column))


def wrong_type_hint(error_type: str, value: Any, spelling: str | None) -> str:
    """What to add to pydantic's message for a YAML scalar of the wrong type at its place.

    A strict schema does not coerce: where a string belongs (a group, team or account type name, an
    email, a memberId, a column header), a plain scalar YAML 1.1 reads as a number, boolean, null or
    date (``007`` -> 7, ``1_000`` -> 1000, ``12:30`` -> 750, ``no`` -> false, ``2024-01-15`` -> a
    date; YAML 1.1 §2 "Language-independent types") is refused with ``(quote the value in YAML)`` and
    how it was read, never turned into another name; where a number belongs, a boolean is refused
    with ``(a number, not true/false)``, and exponent notation YAML 1.1 reads as a string (``1e2``) with
    ``(YAML read 1e2 as a string: write 100 or 1.0e+2)`` (:func:`exponent_spellings`); where a boolean belongs, anything but the literals
    ``true``/``false`` (``"true"``, ``maybe``, ``1``) is refused with ``(true or false, unquoted)``, as
    a JSON export's status is (docs/formats.md §0.6)."""
    if error_type == "string_type" and not isinstance(value, (str, list, dict)):
        if isinstance(value, bool):
            read = f"as {str(value).lower()}"
        elif value is None:
            read = "as null"
        elif isinstance(value, (int, float)):
            read = f"as the number {value!r}"
        else:
            read = f"as a {type(value).__name__}"
        if spelling is None:
            return " (quote the value in YAML)"
        return f" (quote the value in YAML: YAML reads {spelling} {read})"
    if error_type in ("int_type", "float_type") and isinstance(value, bool):
        return " (a number, not true/false)"
    if error_type in ("int_type", "float_type") and isinstance(value, str) and _EXPONENT.fullmatch(value):
        return f" (YAML read {value} as a string: {exponent_spellings(value)})"
    if error_type == "bool_type":
        return " (true or false, unquoted)"
    return ""


def non_finite_message(error_type: str, value: Any, spelling: str | None) -> str | None:
    """What to say for a YAML float that is no finite number (``.nan``, ``.inf``, ``-.Inf``: YAML 1.1 float
    type) where the schema wants no string (pydantic's own message would judge it as if it were a number: "less
    than or equal to 100" for ``.nan``); ``None`` for any other value, and where a string belongs
    (:func:`wrong_type_hint` says to quote it)."""
    if error_type == "string_type" or not isinstance(value, float) or math.isfinite(value):
        return None
    read = "not a number" if math.isnan(value) else "infinity" if value > 0 else "minus infinity"
    return f"YAML reads {spelling or repr(value)} as {read}, which no policy value can be: write a finite number"


_EXPONENT = re.compile(r"[-+]?(?:\d[\d_]*)?(?:\.\d*)?[eE][-+]?\d+")
"""A number in exponent notation (``1e2``, ``5E-1``, ``2.5e3``). YAML 1.1 reads one as a number only with
a dot in the mantissa and a sign on the exponent (YAML 1.1 float type: ``1.0e+2``); ``1e2`` is a string."""


def exponent_spellings(value: str) -> str:
    """How to write ``value`` (exponent notation YAML 1.1 reads as a string) as a number:
    ``"write 100 or 1.0e+2"`` for ``1e2``, ``"write 0.5 or 5.0e-1"`` for ``5e-1``."""
    number = float(value.replace("_", ""))
    plain = str(int(number)) if number.is_integer() and abs(number) < 1e16 else repr(number)
    mantissa, _, exponent = value.lower().partition("e")
    mantissa = mantissa if "." in mantissa else f"{mantissa}.0"
    exponent = exponent if exponent[:1] in "+-" else f"+{exponent}"
    return f"write {plain} or {mantissa}e{exponent}"


def _literal_values(err: Mapping[str, Any]) -> list[str]:
    expected = (err.get("ctx") or {}).get("expected", "")
    return re.findall(r"'([^']*)'", str(expected))


def _unwrap(annotation: Any) -> Any:
    """The model class inside Optional[...] / list[...] / tuple[...] / dict[..., ...] / Annotated[...], if any."""
    origin = typing.get_origin(annotation)
    if origin is Annotated:
        return _unwrap(typing.get_args(annotation)[0])
    if origin in (Union, types.UnionType):
        for arg in typing.get_args(annotation):
            found = _unwrap(arg)
            if isinstance(found, type) and issubclass(found, BaseModel):
                return found
        return None
    if origin in (list, dict, tuple):
        return _unwrap(typing.get_args(annotation)[-1] if origin is not tuple else typing.get_args(annotation)[0])
    return annotation


def model_at(root: type[BaseModel], loc: tuple[Any, ...]) -> Any:
    """The model class of schema ``root`` at ``loc`` (list indexes and dict keys skipped), or what is
    there when it is no model."""
    model: Any = root
    for part in loc:
        if part == "[key]":
            continue
        if not (isinstance(model, type) and issubclass(model, BaseModel)):
            return None
        field = _field(model, part) if isinstance(part, str) else None
        if field is None:
            continue
        model = _unwrap(field.annotation)
    return model


def _field(model: type[BaseModel], key: str) -> Any:
    """The field of ``model`` that YAML key ``key`` sets: by its alias when it has one, else by name."""
    for name, field in model.model_fields.items():
        if (field.alias or name) == key:
            return field
    return None


def model_keys(root: type[BaseModel], loc: tuple[Any, ...]) -> list[str]:
    """The keys of the model of ``root`` at ``loc`` (:func:`model_at`) as YAML writes them (a field's alias
    when it has one: ``memberId``), ``[]`` where there is no model (a free mapping)."""
    model = model_at(root, loc)
    if isinstance(model, type) and issubclass(model, BaseModel):
        return [field.alias or name for name, field in model.model_fields.items()]
    return []
