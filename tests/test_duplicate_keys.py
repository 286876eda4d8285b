"""Issue 10 (tester2 dirty/okta_dupkey, dirty/sigma_dupkey): a JSON object that repeats a key (Mateo's
``"status": "ACTIVE", "status": "DEPROVISIONED"``) was read with the last value, no finding, and Mateo was
deactivated. Every JSON export read through planner.sources.files.read_json now refuses it: one
``duplicate-key`` error naming file, record and key; ``plan`` exits 1 (RFC 8259 §4; docs/formats.md §0)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from planner.model import Severity
from planner.sources import load_idp, load_sigma_export
from planner.sources.files import Findings, read_json

from .conftest import run_cli, write
from .test_incomplete_inputs import POLICY, SIGMA, okta_export, okta_user

DUP = "a JSON object names each key once (RFC 8259 §4): fix or re-export the file"


@pytest.fixture(params=["read", "mapped"], autouse=True)
def how(request, monkeypatch):
    """Every test runs twice: the files read (as those under files.MAP_FROM bytes are), and mapped (MAP_FROM
    lowered to one byte, as larger files are: planner.sources.files._mapped)."""
    from planner.sources import files

    if request.param == "mapped":
        monkeypatch.setattr(files, "MAP_FROM", 1)
    return request.param


def found(findings) -> list[tuple]:
    return [(f.severity, f.code, Path(f.file).name, f.location, f.field, f.message) for f in findings]


def test_an_okta_user_with_status_twice_stops_the_plan(capsys, tmp_path):
    idp = okta_export(tmp_path / "okta", [okta_user(1, "ada.admin@example.com")])
    text = (idp / "users.json").read_text().replace('"status": "ACTIVE"', '"status": "ACTIVE", "status": "DEPROVISIONED"')
    write(idp / "users.json", text)
    assert [x for x in found(load_idp(idp)[1]) if x[1] == "duplicate-key"] == [(
        Severity.ERROR, "duplicate-key", "users.json", "", "status",
        f"record '00u1' has key 'status' twice (\"ACTIVE\", then \"DEPROVISIONED\"); {DUP}")]
    write(tmp_path / "policy.yaml", POLICY)
    code, _, err = run_cli(capsys, "plan", "--sigma", str(SIGMA), "--idp", str(idp), "--policy",
                           str(tmp_path / "policy.yaml"), "--out", str(tmp_path / "plan.json"))
    assert code == 1 and not (tmp_path / "plan.json").exists()
    assert "record '00u1' has key 'status' twice" in err and err.count("\n") == 1


def test_a_sigma_member_with_is_archived_twice_is_an_error(tmp_path):
    sigma = tmp_path / "sigma"
    sigma.mkdir()
    for f in SIGMA.iterdir():
        (sigma / f.name).write_bytes(f.read_bytes())
    members = json.loads((sigma / "members.json").read_text())
    page = members[0] if isinstance(members, list) else members
    mid = page["entries"][0]["memberId"]
    raw = json.dumps(members).replace(f'"memberId": "{mid}"', f'"memberId": "{mid}", "isArchived": true', 1)
    write(sigma / "members.json", raw)
    dups = [x for x in found(load_sigma_export(sigma)[1]) if x[1] == "duplicate-key"]
    first = "false" if not page["entries"][0].get("isArchived") else "true"
    assert dups == [(Severity.ERROR, "duplicate-key", "members.json", "", "isArchived",
                     f"record '{mid}' has key 'isArchived' twice (true, then {first}); {DUP}")]


@pytest.mark.parametrize("text", [
    '[{"id": "1", "note": "a \\": b", "n": 1}]',          # an escaped quote and a colon inside a string
    '[{"id" : "1", "name" : "x"}]',                        # a space before the colon
    '\ufeff[{"id": "1", "name": "x"}]',                    # a BOM: the slow path
    '[{"id": "1", "a": {"b": 1}, "c": {"b": 2}}]',         # the same key in two objects
])
def test_no_repeat_no_finding(tmp_path, text):
    write(tmp_path / "f.json", text)
    findings = Findings()
    tf, value = read_json(tmp_path / "f.json", findings)
    assert tf is not None and findings == [] and value == json.loads(text.lstrip("\ufeff"))


def test_a_repeat_in_a_nested_object_or_behind_a_bom_is_found(tmp_path):
    write(tmp_path / "f.json", '\ufeff[{"id": "7", "profile": {"email": "a@x", "email": "b@x"}}]')
    findings = Findings()
    assert read_json(tmp_path / "f.json", findings) == (None, None)
    assert found(findings) == [(Severity.ERROR, "duplicate-key", "f.json", "", "email",
                                f"an object has key 'email' twice (\"a@x\", then \"b@x\"); {DUP}")]


@pytest.mark.parametrize("text, key, first, again", [
    # a space before one key's colon hides one raw '":' and offsets the repeat's lost one
    ('[{"id": "1", "a" : 1, "status": "ACTIVE", "status": "DEPROVISIONED"}]', "status", '"ACTIVE"', '"DEPROVISIONED"'),
    # a quote written \u0022 before a colon in a string: encoded again it is \": and offsets the repeat
    ('[{"id": "1", "note": "\\u0022:", "status": "ACTIVE", "status": "DEPROVISIONED"}]', "status", '"ACTIVE"', '"DEPROVISIONED"'),
    # a colon written \u003a in a string: encoded again it is a plain colon and offsets the repeat
    ('[{"id": "1", "note": "\\u003a", "status": "ACTIVE", "status": "DEPROVISIONED"}]', "status", '"ACTIVE"', '"DEPROVISIONED"'),
    # a key spelled with a unicode escape
    ('[{"id": "1", "\\u0073tatus": "ACTIVE", "status": "DEPROVISIONED"}]', "status", '"ACTIVE"', '"DEPROVISIONED"'),
    # '"status":' inside a string value, and a repeat in a nested object
    ('[{"id": "1", "note": "\\"status\\": x", "p": {"n": 1, "n": 2}}]', "n", "1", "2"),
])
def test_a_repeat_the_raw_count_could_miss_is_found(tmp_path, text, key, first, again):
    """The ``":`` count of the raw bytes against the value encoded again (planner.sources.files.duplicate_key)
    must not be fooled by a key spelled ``"a" :`` or a quote spelled ``\\u0022`` elsewhere in the file."""
    write(tmp_path / "f.json", text)
    findings = Findings()
    assert read_json(tmp_path / "f.json", findings) == (None, None)
    record = "an object" if key == "n" else "record '1'"
    assert found(findings) == [(Severity.ERROR, "duplicate-key", "f.json", "", key,
                                f"{record} has key {key!r} twice ({first}, then {again}); {DUP}")]


@pytest.mark.parametrize("users", [True, False])
def test_a_scim_resource_repeating_a_key_on_the_typed_path_is_found(tmp_path, users):
    """The usual SCIM ListResponse is decoded straight into Structs (planner.sources.scim._Wire*): checked too."""
    from .test_incomplete_scim_google import DAN, USERS, scim_export

    root = scim_export(tmp_path / "scim", [*USERS, DAN], ["u1"])
    name, old, new = (("Users.json", '"active": true}', '"active": true, "active": false}') if users else
                      ("Groups.json", '"displayName": "Finance Analysts"',
                       '"displayName": "Finance Analysts", "displayName": "Sales"'))
    write(root / name, (root / name).read_text().replace(old, new, 1))
    key, first, again = ("active", "true", "false") if users else ("displayName", '"Finance Analysts"', '"Sales"')
    assert [x for x in found(load_idp(root)[1]) if x[1] == "duplicate-key"] == [(
        Severity.ERROR, "duplicate-key", name, "", key,
        f"record '{'u1' if users else 'g1'}' has key '{key}' twice ({first}, then {again}); {DUP}")]


def test_a_team_membership_repeating_a_key_on_the_typed_path_is_found(tmp_path):
    """team_members.json is decoded into Structs whose absent keys stay UNSET (isTeamAdmin false and nextPage null
    written are kept): no finding for the usual file, and a real repeat still found."""
    sigma = tmp_path / "sigma"
    sigma.mkdir()
    for f in SIGMA.iterdir():
        (sigma / f.name).write_bytes(f.read_bytes())
    assert [f for f in load_sigma_export(sigma)[1] if f.code == "duplicate-key"] == []
    text = (sigma / "team_members.json").read_text()
    write(sigma / "team_members.json", text.replace('"isTeamAdmin": true', '"isTeamAdmin": true, "isTeamAdmin": false', 1))
    assert [x for x in found(load_sigma_export(sigma)[1]) if x[1] == "duplicate-key"] == [(
        Severity.ERROR, "duplicate-key", "team_members.json", "", "isTeamAdmin",
        f"record 'Ad4AdminAd4AdminAd4AdminAd4Ad' has key 'isTeamAdmin' twice (true, then false); {DUP}")]


def test_typed_team_members_encode_to_the_keys_the_file_has():
    """planner.sources.sigma._WireTeamMember(sPage) leave a key the file leaves out UNSET, so that encoded again
    the value has the file's colons, keys written with their default (isTeamAdmin false, nextPage null)
    included: the duplicate-key check needs no second, plain decode of the file; the memberships read the
    same (an absent isTeamAdmin is false, an absent addedBy None)."""
    from planner.sources import files, sigma

    raw = (b'{"t1": {"entries": [{"userId": "m1", "isTeamAdmin": false, "addedBy": null}, {"userId": "m2"},'
           b' {"userId": "m3", "isTeamAdmin": true, "addedBy": "m1"}], "nextPage": null},'
           b' "t2": {"entries": [], "total": 0, "hasMore": false}}')
    value = sigma._TEAM_MEMBERS.decode(raw)
    assert files._key_count(value) == raw.count(b":") == 14
    got = [(m.member_id, m.is_team_admin, m.added_by)
           for m in sigma._typed_memberships("t1", value["t1"], "f.json", '$["t1"]', Findings())]
    assert got == [("m1", False, None), ("m2", False, None), ("m3", True, "m1")]


@pytest.mark.parametrize("text, repeat", [
    ('[{"id":"1","status":"ACTIVE","status":"DEPROVISIONED"}]', True),  # compact, a repeat: not equal, counted
    ('[{"id":"1","status":"ACTIVE","n":{"a":1,"a":1}}]', True),            # compact, a repeat of the same value
    ('[{"id":"1","status":"ACTIVE","note":"a:b"}]', False),                # compact, as the encoder writes it
])
def test_a_compact_file_equal_to_its_value_encoded_again_holds_no_repeat(tmp_path, text, repeat):
    """planner.sources.files.duplicate_key compares the raw bytes with the value encoded again before counting:
    equal bytes (a compact file in the encoder's key order) hold no repeat; a repeat makes them differ."""
    from planner.sources import files

    raw = text.encode()
    assert (files._encoded(json.loads(text)) == raw) is not repeat
    write(tmp_path / "f.json", text)
    findings = Findings()
    assert (read_json(tmp_path / "f.json", findings) == (None, None)) is repeat
    assert [f.code for f in findings] == (["duplicate-key"] if repeat else [])


def test_files_read_in_one_reused_buffer_block_are_checked_as_outside_one(tmp_path):
    """planner.sources.files.reused_buffer (issue 10 item 5: the duplicate-key check encodes each large file
    into one buffer kept from file to file, not a fresh one: fewer page faults) changes no finding: a sequence
    of files, clean and repeating a key, large and small, compact and indented, gives the same values and
    findings inside one block as outside; the block's buffer serves the large files only and is released
    on leaving."""
    from planner.sources import files

    records = [{"id": str(i), "userName": f"u{i}@example.com", "active": True} for i in range(2000)]
    repeat = json.dumps(records, separators=(",", ":")).replace('"id":"1999",', '"id":"1999","active":false,')
    texts = {
        "big.json": json.dumps(records, separators=(",", ":")),       # compact: equal to its value encoded again
        "small-repeat.json": '[{"id":"1","status":"ACTIVE","status":"DEPROVISIONED"}]',
        "big-repeat.json": repeat,                                   # the repeat in the last record
        "indented.json": json.dumps(records, indent=1),              # counted, as fetch writes it
        "huge-int.json": json.dumps(records[:50] + [{"id": "x", "n": 2 ** 70}], separators=(",", ":")),
        "bom.json": "\ufeff" + json.dumps(records[:50]),             # the text path
    }
    for name, text in texts.items():
        write(tmp_path / name, text)

    def read_all() -> list:
        out = []
        for name in texts:
            findings = Findings()
            tf, value = read_json(tmp_path / name, findings)
            out.append((name, tf is None, None if value is None else len(value), found(findings)))
        return out

    outside = read_all()
    assert [(name, failed, [x[1] for x in f]) for name, failed, _, f in outside] == [
        ("big.json", False, []), ("small-repeat.json", True, ["duplicate-key"]),
        ("big-repeat.json", True, ["duplicate-key"]), ("indented.json", False, []),
        ("huge-int.json", False, []), ("bom.json", False, [])]
    assert outside[2][3][0][5] == f"record '1999' has key 'active' twice (false, then true); {DUP}"
    assert files._BUFFER.get() is None
    with files.reused_buffer():
        buffer = files._BUFFER.get()
        assert read_all() == outside
        with files.reused_buffer():  # a nested block shares the outer block's buffer
            assert files._BUFFER.get() is buffer
        assert files._encoded(records, len(texts["big.json"])) is buffer
        assert bytes(buffer) == texts["big.json"].encode()
        assert files._encoded(records[:1], 60).__class__ is bytes  # small against the buffer: a fresh one
    assert files._BUFFER.get() is None
