"""Benchmark the typed action payloads: encode and decode a plan's actions with each candidate.

Usage::

    python bench/payload_bench.py [--actions 100000] [--runs 5]

Issue 10 item 2 asks for one typed payload per action kind, msgspec Structs or pydantic models,
chosen by measurement. The actions are the bundled Acme plan's (samples/acme, Okta, its
policy: every kind the planner makes, in its proportions), repeated with fresh ids up to
``--actions``. In one run, each candidate encodes them (one JSON element per action, keys sorted,
as the plan file holds them) and decodes the same bytes back into typed, validated actions:

- ``today``: the code before issue 10 (frozen data classes whose payloads are dicts; the
  ``json`` C encoder with a ``default=`` hook per data class; ``json.loads`` then pydantic's
  ``TypeAdapter`` over the data classes, which checks the top fields only, not the payloads);
- ``msgspec``: :mod:`planner.payloads` (``Encoder(order="sorted").encode_lines``;
  ``Decoder(list[Action])``, which validates every payload field);
- ``pydantic``: the same types as pydantic v2 models generated from those Structs
  (``extra="forbid"``, camelCase aliases, a discriminated union on ``kind``);
  ``TypeAdapter.dump_json`` cannot sort keys, so it writes declaration order, then
  ``validate_json``.

Printed: the median seconds of ``--runs`` runs per candidate and operation, and each
median's ratio to ``today``'s. CPU time (``time.process_time``) of this process; the
machine may be shared, hence medians.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import statistics
import sys
import time
import types
import typing
from pathlib import Path
from typing import Annotated, Any, Literal, Mapping, Union

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import msgspec  # noqa: E402
import pydantic  # noqa: E402

from planner import payloads  # noqa: E402
from planner.payloads import Action, ActionKind  # noqa: E402

# --------------------------------------------------------------------------- the actions


def sample_actions(n: int) -> list[Action]:
    """``n`` actions: the Acme sample plan's, repeated with fresh ids."""
    from planner.planning import plan_from_paths

    acme = REPO / "samples" / "acme"
    plan, _ = plan_from_paths(str(acme / "sigma"), (str(acme / "okta"),), str(acme / "policy-okta.yaml"), None)
    base = plan.actions
    return [msgspec.structs.replace(base[i % len(base)], id=f"{base[i % len(base)].id}#{i}") for i in range(n)]


# --------------------------------------------------------------------------- today (before issue 10)


@dataclasses.dataclass(frozen=True)
class LegacyAction:
    """:class:`planner.model.Action` before issue 10: payloads as dicts."""

    id: str
    kind: ActionKind
    target: Mapping[str, Any]
    before: Mapping[str, Any] | None
    after: Mapping[str, Any] | None
    rule: str
    reason: str
    evidence: Mapping[str, Any] = dataclasses.field(default_factory=dict)
    depends_on: tuple[str, ...] = ()


def _legacy_default(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: getattr(value, f.name) for f in dataclasses.fields(value)}
    if isinstance(value, Mapping):
        return dict(value)
    raise TypeError(type(value).__name__)


_LEGACY_ENCODER = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False,
                                   default=_legacy_default)
_LEGACY_ADAPTER = pydantic.TypeAdapter(list[LegacyAction])


def legacy_actions(actions: list[Action]) -> list[LegacyAction]:
    return [LegacyAction(a.id, a.kind, msgspec.to_builtins(a.target), msgspec.to_builtins(a.before),
                         msgspec.to_builtins(a.after), a.rule, a.reason, msgspec.to_builtins(a.evidence), a.depends_on)
            for a in actions]


def today_encode(actions: list[LegacyAction]) -> bytes:
    return ",\n".join(_LEGACY_ENCODER.encode(a) for a in actions).encode("utf-8")


def today_decode(data: bytes) -> list[LegacyAction]:
    return _LEGACY_ADAPTER.validate_python(json.loads(b"[" + data + b"]"))


# --------------------------------------------------------------------------- msgspec


_ENCODER = msgspec.json.Encoder(order="sorted")
_DECODER = msgspec.json.Decoder(list[Action])


def msgspec_encode(actions: list[Action]) -> bytes:
    return _ENCODER.encode_lines(actions)[:-1].replace(b"\n", b",\n")


def msgspec_decode(data: bytes) -> list[Action]:
    return _DECODER.decode(b"[" + data + b"]")


# --------------------------------------------------------------------------- pydantic


_MODELS: dict[type, type[pydantic.BaseModel]] = {}


def _pydantic_type(tp: Any) -> tuple[Any, bool]:
    """``(pydantic annotation, optional)`` of a msgspec field type (``UnsetType`` -> optional)."""
    if isinstance(tp, type) and issubclass(tp, msgspec.Struct):
        return _model_of(tp), False
    origin = typing.get_origin(tp)
    if origin in (Union, types.UnionType):
        args = [a for a in typing.get_args(tp) if a is not msgspec.UnsetType]
        unset = len(args) < len(typing.get_args(tp))
        converted = [_pydantic_type(a)[0] for a in args]
        return (Union[tuple(converted)] if len(converted) > 1 else converted[0]), unset
    if origin is list:
        return list[_pydantic_type(typing.get_args(tp)[0])[0]], False
    return tp, False


def _model_of(struct: type[msgspec.Struct]) -> type[pydantic.BaseModel]:
    """A frozen pydantic model with the fields and JSON names of a payload Struct, unknown fields refused."""
    if struct not in _MODELS:
        fields = {}
        for f in msgspec.structs.fields(struct):
            annotation, optional = _pydantic_type(f.type)
            fields[f.name] = ((annotation | None) if optional else annotation,
                              pydantic.Field(None if optional else ..., alias=f.encode_name))
        config = pydantic.ConfigDict(extra="forbid", frozen=True, populate_by_name=True)
        _MODELS[struct] = pydantic.create_model(f"P{struct.__name__}", __config__=config, **fields)
    return _MODELS[struct]


def _action_model(cls: type[payloads.BaseAction]) -> type[pydantic.BaseModel]:
    fields: dict[str, Any] = {"kind": (Literal[cls.kind.value], ...)}  # type: ignore[valid-type]
    for f in msgspec.structs.fields(cls):
        annotation, _ = _pydantic_type(f.type)
        fields[f.name] = (annotation, ... if f.required else f.default)
    config = pydantic.ConfigDict(extra="forbid", frozen=True)
    return pydantic.create_model(f"P{cls.__name__}", __config__=config, **fields)


_PYDANTIC_UNION = Annotated[Union[tuple(_action_model(c) for c in typing.get_args(Action))],
                            pydantic.Field(discriminator="kind")]
_PYDANTIC_ADAPTER = pydantic.TypeAdapter(list[_PYDANTIC_UNION])


def pydantic_actions(actions: list[Action]) -> list[pydantic.BaseModel]:
    return _PYDANTIC_ADAPTER.validate_json(b"[" + msgspec_encode(actions) + b"]")


def pydantic_encode(actions: list[pydantic.BaseModel]) -> bytes:
    data = _PYDANTIC_ADAPTER.dump_json(actions, by_alias=True, exclude_unset=True)
    return data[1:-1]  # one array: pydantic writes no per-element lines; the layout is not the point here


def pydantic_decode(data: bytes) -> list[pydantic.BaseModel]:
    return _PYDANTIC_ADAPTER.validate_json(b"[" + data + b"]")


# --------------------------------------------------------------------------- measure


def _time(fn, arg, runs: int) -> tuple[float, Any]:
    seconds, result = [], None
    for _ in range(runs):
        start = time.process_time()
        result = fn(arg)
        seconds.append(time.process_time() - start)
    return statistics.median(seconds), result


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--actions", type=int, default=100_000)
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args(argv)

    actions = sample_actions(args.actions)
    kinds = len({a.kind for a in actions})
    candidates = {
        "today": (legacy_actions(actions), today_encode, today_decode),
        "msgspec": (actions, msgspec_encode, msgspec_decode),
        "pydantic": (pydantic_actions(actions), pydantic_encode, pydantic_decode),
    }
    print(f"payload benchmark: {len(actions):,} actions ({kinds} kinds, from samples/acme), "
          f"median CPU seconds of {args.runs} runs; Python {sys.version.split()[0]}, "
          f"msgspec {msgspec.__version__}, pydantic {pydantic.VERSION}")
    results: dict[str, tuple[float, float, int]] = {}
    for name, (objects, encode, decode) in candidates.items():
        encode(objects), decode(encode(objects))  # warm-up
        enc, data = _time(encode, objects, args.runs)
        dec, back = _time(decode, data, args.runs)
        assert len(back) == len(actions)
        results[name] = (enc, dec, len(data))
    base_enc, base_dec, _ = results["today"]
    print(f"  {'candidate':<10} {'encode s':>9} {'ratio':>7} {'decode s':>9} {'ratio':>7} {'total s':>8} {'ratio':>7} "
          f"{'MB':>6}")
    for name, (enc, dec, size) in results.items():
        print(f"  {name:<10} {enc:9.3f} {enc / base_enc:6.2f}x {dec:9.3f} {dec / base_dec:6.2f}x "
              f"{enc + dec:8.3f} {(enc + dec) / (base_enc + base_dec):6.2f}x {size / 1e6:6.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
