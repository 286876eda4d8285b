"""Issue 12 item 9: property-based tests (hypothesis) of every loader, the policy parser and the planner.

- **Loaders**: each export format's fixture files, damaged (random bytes, truncated, re-encoded,
  bytes flipped, other line ends, shuffled and extra CSV columns, a huge cell, deep JSON nesting),
  load into a snapshot or findings, never an exception, within a time bound.
- **Policy parser**: random YAML-ish text and damaged copies of the bundled policy give a
  :class:`~planner.policy.Policy` or one :class:`~planner.policy.PolicyError` line, never another
  exception.
- **Planner invariants** over generated organizations: no two actions create the same user; every
  member is in exactly one person row, never both linked and deactivated; no action deactivates,
  disables or downgrades the protected admin; the same inputs give the same plan bytes.

The CI budget is a few seconds per test (``max_examples`` below). A longer run:
``HYPOTHESIS_PROFILE=long /work/venv/bin/python -m pytest tests/test_fuzz.py`` (docs/security.md).
"""

from __future__ import annotations

import csv
import io
import os
import random
import shutil
import tempfile
import time
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from msgspec import to_builtins as wire

from planner.errors import UserError
from planner.model import ActionKind
from planner.planfile import plan_bytes
from planner.policy import PolicyError
from planner.policy_reader import parse_policy
from planner.sources import load_idp, load_sigma_export

from .plan_factory import group, member, plan, snapshot, team, user

settings.register_profile("ci", max_examples=25, deadline=None, derandomize=True,
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
settings.register_profile("long", max_examples=2000, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
PROFILE = os.environ.get("HYPOTHESIS_PROFILE", "ci")
settings.load_profile(PROFILE)

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "sources"
SECONDS_PER_EXAMPLE = 10.0
"""A damaged file of a few kB (or one huge cell) loads in well under this, even on a shared CI core."""

IDP_EXPORTS = [
    ("okta", "okta-api"), ("entra_csv", "entra-csv"), ("entra_excel", "entra-csv"), ("entra_graph", "entra-graph"),
    ("google_csv", "google-csv"), ("google_gam", "google-csv"), ("google_api", "google-api"), ("scim", "scim"),
    ("scim_mixed", "scim"), ("generic", "generic-csv"),
]
SIGMA_EXPORTS = ["sigma_pages", "sigma_bare", "sigma_csv"]
TARGETS = [("idp", folder, fmt, f.name) for folder, fmt in IDP_EXPORTS
           for f in sorted((FIXTURES / folder).rglob("*")) if f.is_file()]
TARGETS += [("sigma", folder, None, f.name) for folder in SIGMA_EXPORTS
            for f in sorted((FIXTURES / folder).iterdir()) if f.is_file()]


# --------------------------------------------------------------------------- damage


def _csv_columns(data: bytes, rng: random.Random, extra: int) -> bytes:
    """The CSV with its columns shuffled and ``extra`` columns of odd names and values added."""
    text = data.decode("utf-8-sig", errors="replace")
    rows = list(csv.reader(io.StringIO(text, newline="")))
    if not rows:
        return data
    width = max(len(r) for r in rows)
    order = list(range(width))
    rng.shuffle(order)
    out = io.StringIO()
    writer = csv.writer(out)
    for n, row in enumerate(rows):
        row = row + [""] * (width - len(row))
        cells = [row[i] for i in order]
        cells += [f"extra {k}" if n == 0 else rng.choice(["", "x", "=1+1", "\x1b[2J", "a,b", 'q"q'])
                  for k in range(extra)]
        writer.writerow(cells)
    return out.getvalue().encode("utf-8")


@st.composite
def damaged(draw, data: bytes) -> bytes:
    """``data`` damaged in one of the ways real exports are (module docstring)."""
    kind = draw(st.sampled_from(["random", "truncate", "encoding", "flip", "line_ends", "columns", "huge_cell",
                                 "deep"]))
    if kind == "random":
        return draw(st.binary(max_size=4000))
    if kind == "truncate":
        return data[:draw(st.integers(0, max(0, len(data) - 1)))]
    if kind == "encoding":
        encoding = draw(st.sampled_from(["utf-16", "utf-16-be", "utf-32", "latin-1", "cp1252", "cp437"]))
        return data.decode("utf-8-sig", errors="replace").encode(encoding, errors="replace")
    if kind == "flip":
        out = bytearray(data)
        for position, value in draw(st.lists(st.tuples(st.integers(0, max(0, len(data) - 1)),
                                                       st.integers(0, 255)), min_size=1, max_size=30)):
            if out:
                out[position % len(out)] = value
        return bytes(out)
    if kind == "line_ends":
        end = draw(st.sampled_from([b"\r", b"\r\n", b"\n\r", b"\n\n"]))
        return data.replace(b"\r\n", b"\n").replace(b"\n", end)
    if kind == "columns":
        return _csv_columns(data, random.Random(draw(st.integers(0, 2**16))), draw(st.integers(0, 4)))
    if kind == "huge_cell":
        at = draw(st.integers(0, len(data)))
        return data[:at] + b"x" * draw(st.integers(10_000, 2_000_000)) + data[at:]
    depth = draw(st.integers(50, 200_000))
    opener, closer = draw(st.sampled_from([(b"[", b"]"), (b'{"a":', b"}")]))
    return opener * depth + b"1" + closer * depth


@settings(suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(target=st.sampled_from(TARGETS), data=st.data())
def test_every_loader_turns_damaged_files_into_findings_never_exceptions(target, data):
    side, folder, fmt, name = target
    original = next(p for p in (FIXTURES / folder).rglob(name) if p.is_file())
    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp) / folder
        shutil.copytree(FIXTURES / folder, copy)
        broken = copy / original.relative_to(FIXTURES / folder)
        broken.write_bytes(data.draw(damaged(original.read_bytes()), label="file"))
        started = time.monotonic()
        if side == "idp":
            loaded, findings = load_idp(copy, fmt)
        else:
            loaded, findings = load_sigma_export(copy)
        elapsed = time.monotonic() - started
    assert loaded is not None
    assert elapsed < SECONDS_PER_EXAMPLE
    for finding in findings:
        assert finding.message and "\n" not in finding.message and "Traceback" not in finding.message


# --------------------------------------------------------------------------- policy parser

YAML_ALPHABET = list("abcdefghijklmnopqrstuvwxyz_0123456789 :-[]{}&*!|>'\"#%@`,?.\n\t\x00\x1b\u202eé") + [
    "teams", "guests", "unmatched", "linking", "&a ", "*a", "<<: ", "!!python/object ", "---\n", "...\n"]
DEFAULT_POLICY = (Path(__file__).resolve().parent.parent / "policies" / "default.yaml").read_text(encoding="utf-8")


def _parse(text: str) -> None:
    try:
        parse_policy(text, "p.yaml")
    except PolicyError as exc:
        message = str(exc)
        assert message.startswith("p.yaml") and "\n" not in message


@given(st.lists(st.sampled_from(YAML_ALPHABET), max_size=200).map("".join))
def test_the_policy_parser_answers_random_yaml_with_a_policy_or_one_error_line(text):
    _parse(text)


@given(st.data())
def test_the_policy_parser_answers_a_damaged_default_policy_with_a_policy_or_one_error_line(data):
    kind = data.draw(st.sampled_from(["truncate", "splice", "deep", "aliases"]))
    if kind == "truncate":
        text = DEFAULT_POLICY[:data.draw(st.integers(0, len(DEFAULT_POLICY)))]
    elif kind == "splice":
        at = data.draw(st.integers(0, len(DEFAULT_POLICY)))
        text = DEFAULT_POLICY[:at] + data.draw(st.text(max_size=50)) + DEFAULT_POLICY[at:]
    elif kind == "deep":
        depth = data.draw(st.integers(1, 5000))
        text = "teams: " + "[" * depth + "]" * depth + "\n"
    else:
        fan, levels = data.draw(st.integers(1, 12)), data.draw(st.integers(1, 9))
        text = f"l0: &l0 [{', '.join(['x'] * fan)}]\n" + "".join(
            f"l{i}: &l{i} [{', '.join([f'*l{i - 1}'] * fan)}]\n" for i in range(1, levels))
    started = time.monotonic()
    _parse(text)
    assert time.monotonic() - started < SECONDS_PER_EXAMPLE


# --------------------------------------------------------------------------- planner invariants

NAMES = ["ann", "bob", "cy", "dee", "eve", "fay", "gus", "hal"]
TYPES = ["Admin", "Pro", "View"]
PROTECTED = "root@example.com"
BREAKING = {ActionKind.MEMBERS_DEACTIVATE, ActionKind.MEMBERS_DISABLE_GUEST, ActionKind.SCIM_DEACTIVATE_USER}


@st.composite
def organizations(draw):
    """A small organization: members and IdP users drawn from one pool of addresses (so links,
    duplicates, case variants and strangers all occur), groups, teams and memberships."""
    def address(name: str) -> str:
        domain = draw(st.sampled_from(["example.com", "Example.com", "other.example"]))
        return f"{name if draw(st.booleans()) else name.capitalize()}@{domain}"

    members = [member(f"m{i}", address(name), member_type=draw(st.sampled_from(TYPES)),
                      user_kind=draw(st.sampled_from(["internal", "internal", "guest"])),
                      archived=draw(st.booleans()) and draw(st.booleans()))
               for i, name in enumerate(draw(st.lists(st.sampled_from(NAMES), max_size=8)))]
    users = [user(f"u{i}", address(name), active=draw(st.sampled_from([True, True, False, None])))
             for i, name in enumerate(draw(st.lists(st.sampled_from(NAMES), max_size=8)))]
    user_ids = [u.id for u in users]
    groups = [group(f"g{i}", name, users=draw(st.lists(st.sampled_from(user_ids), max_size=4, unique=True))
                    if user_ids else [])
              for i, name in enumerate(draw(st.lists(st.sampled_from(["Finance", "Sales", "Ops"]), unique=True)))]
    teams = [team(f"t{i}", name) for i, name in
             enumerate(draw(st.lists(st.sampled_from(["Finance", "Sales", "Board"]), unique=True)))]
    member_ids = [m.member_id for m in members]
    memberships = {t.team_id: draw(st.lists(st.sampled_from(member_ids), max_size=3, unique=True))
                   for t in teams} if member_ids else {}
    unmatched = draw(st.sampled_from(["keep", "deactivate"]))
    return snapshot(members, users, groups=groups, teams=teams, memberships=memberships), unmatched


def _plan(org):
    snap, unmatched = org
    try:
        return plan(snap, f"unmatched:\n  action: {unmatched}\n")
    except UserError:
        return None  # the policy refuses this organization (one line): not an invariant violation


@given(organizations())
def test_generated_organizations_keep_the_planner_invariants(org):
    built = _plan(org)
    if built is None:
        return
    snap = org[0]
    creates = [str(wire(a.target).get("userName") or (wire(a.after) or {}).get("userName")).casefold()
               for a in built.actions if a.kind is ActionKind.SCIM_CREATE_USER]
    assert len(creates) == len(set(creates)), "two actions create the same user"

    rows = {}
    for row in built.people:
        if row.member_id:
            rows.setdefault(row.member_id, []).append(row)
    actions = {a.id: a for a in built.actions}
    for m in snap.sigma.members:
        assert len(rows.get(m.member_id, [])) == 1, f"member {m.member_id} is in {len(rows.get(m.member_id, []))} rows"
        kinds = {actions[i].kind for i in rows[m.member_id][0].actions if i in actions}
        assert not (ActionKind.SCIM_LINK_USER in kinds and kinds & BREAKING), f"{m.member_id} linked and deactivated"

    root = next(m.member_id for m in snap.sigma.members if m.email == PROTECTED)
    for a in built.actions:
        if wire(a.target).get("memberId") == root or str(wire(a.target).get("userName", "")).casefold() == PROTECTED:
            assert a.kind not in BREAKING, f"{a.id} breaks the protected admin"
            assert (wire(a.after) or {}).get("userType") in (None, "Admin"), f"{a.id} downgrades the protected admin"


@given(organizations())
def test_the_same_organization_gives_the_same_plan_bytes(org):
    first, second = _plan(org), _plan(org)
    if first is None:
        assert second is None
        return
    assert plan_bytes(first) == plan_bytes(second)
