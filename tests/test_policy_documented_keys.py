"""The shipped policies document every key: policies/default.yaml names each key of the schema (set,
or as a commented example), and every commented example in the shipped policies loads once uncommented."""

from __future__ import annotations

import re
from pathlib import Path

import msgspec
import pytest
from pydantic import BaseModel

from planner.policy import Policy
from planner.policy_reader import parse_policy

REPO = Path(__file__).resolve().parent.parent
SHIPPED = ["policies/default.yaml", "policies/examples/okta.yaml", "policies/examples/entra.yaml",
           "policies/examples/demo.yaml"]
SECTION = re.compile(r"^(\w+):")
KEY = re.compile(r"^  (# )?(\w+):")


def section_fields() -> dict[str, set[str]]:
    return {name: set(f.annotation.model_fields) for name, f in Policy.model_fields.items()
            if isinstance(f.annotation, type) and issubclass(f.annotation, BaseModel)}


def keys_written(text: str) -> tuple[set[tuple[str, str]], set[tuple[str, str]]]:
    """``(set keys, commented example keys)`` as ``(section, key)`` of a policy's schema sections."""
    fields, section = section_fields(), ""
    live, commented = set(), set()
    for line in text.splitlines():
        if m := SECTION.match(line):
            section = m.group(1)
        elif (m := KEY.match(line)) and m.group(2) in fields.get(section, ()):
            (commented if m.group(1) else live).add((section, m.group(2)))
    return live, commented


def uncommented(text: str) -> str:
    """``text`` with each commented example of a schema key the section does not set made live."""
    live, _ = keys_written(text)
    fields, section, out = section_fields(), "", []
    for line in text.splitlines(keepends=True):
        if m := SECTION.match(line):
            section = m.group(1)
        m = KEY.match(line)
        if m and m.group(1) and m.group(2) in fields.get(section, ()) and (section, m.group(2)) not in live:
            line = "  " + line[4:]
        out.append(line)
    return "".join(out)


def test_the_default_policy_names_every_key_of_the_schema():
    live, commented = keys_written((REPO / "policies/default.yaml").read_text(encoding="utf-8"))
    every = {(s, k) for s, keys in section_fields().items() for k in keys}
    assert every - live - commented == set()
    assert commented == {("organization", "id")}  # unset by default: not in the resolved policy


@pytest.mark.parametrize("path", SHIPPED)
def test_the_commented_examples_load_once_uncommented(path):
    text = (REPO / path).read_text(encoding="utf-8")
    policy = parse_policy(uncommented(text), path)
    pages = msgspec.json.decode((REPO / "samples/acme/sigma/members.json").read_bytes())  # the sample's export
    assert policy.organization.id == pages[0]["entries"][0]["organizationId"] == "255ae7f7-9a8a-4c14-a5e5-c38f677bcde2"
    if path != "policies/default.yaml":
        assert policy.teams.confirm_empty == ["Contractors-Offboarded"]
