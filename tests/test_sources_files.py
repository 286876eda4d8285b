"""read_json: msgspec parses well-formed UTF-8 JSON; everything else reads exactly as json.loads did. Every test
runs twice: the file read, and the file mapped (files.MAP_FROM lowered to one byte; issue 10 item 5)."""

from __future__ import annotations

import hashlib
import math

import pytest

from planner.sources import files
from planner.sources.files import Findings, read_json


@pytest.fixture(params=["read", "mapped"], autouse=True)
def how(request, monkeypatch):
    """``read``: as every file under files.MAP_FROM bytes is read; ``mapped``: as a larger one is mapped."""
    if request.param == "mapped":
        monkeypatch.setattr(files, "MAP_FROM", 1)
    return request.param


def _read(tmp_path, data: bytes):
    path = tmp_path / "users.json"
    path.write_bytes(data)
    findings = Findings()
    tf, value = read_json(path, findings)
    return tf, value, [(f.severity.value, f.code, f.location, f.message) for f in findings]


def test_well_formed_file_keeps_its_values_digest_and_encoding(tmp_path):
    data = '{"id": "00u1", "n": 12345678901234567890123, "f": 0.1, "name": "Zoë", "a": 2}'.encode()
    tf, value, findings = _read(tmp_path, data)
    assert value == {"id": "00u1", "n": 12345678901234567890123, "f": 0.1, "name": "Zoë", "a": 2}
    assert (tf.encoding, tf.text, tf.sha256) == ("utf-8", "", hashlib.sha256(data).hexdigest())
    assert findings == []


@pytest.mark.parametrize("data, expected", [
    (b'{"v": 1e400}', math.inf),  # out of msgspec's float range; json.loads gives inf
    (b'{"v": "\\ud800"}', "\ud800"),  # a lone surrogate escape
])
def test_what_msgspec_refuses_reads_as_json_loads_reads_it(tmp_path, data, expected):
    tf, value, findings = _read(tmp_path, data)
    assert findings == []
    assert value["v"] == expected
    assert tf.sha256 == hashlib.sha256(data).hexdigest()


@pytest.mark.parametrize("data, where, constant", [
    (b'[{"id": NaN, "name": "NaN bread"}]', "line 1 column 9", "NaN"),
    (b'{"note": "NaN",\n "v": [1, -Infinity]}', "line 2 column 11", "-Infinity"),
    (b'{"v": Infinity}', "line 1 column 7", "Infinity"),
])
def test_nan_and_infinity_are_malformed_json_at_their_place(tmp_path, data, where, constant):
    # tester13 finding 5: Python's json.dump writes NaN for an id lost through pandas; json.loads read it, and the
    # Okta user's id became "nan" (apply would send externalId "nan"); msgspec refuses it, json.loads no longer
    tf, value, findings = _read(tmp_path, data)
    assert (tf, value) == (None, None)
    assert findings == [("error", "malformed-json", where, f"malformed JSON: {constant} is no JSON value (RFC 8259 "
                         "§6: numbers are finite); the program that wrote the file had no value here (an id or a "
                         "number lost on the way?): export again")]


def test_bom_and_cp1252_keep_their_findings(tmp_path):
    tf, value, findings = _read(tmp_path, b'\xef\xbb\xbf{"name": "Zo\xc3\xab"}')
    assert (value, tf.encoding, findings) == ({"name": "Zoë"}, "utf-8", [])
    tf, value, findings = _read(tmp_path, b'{"name": "Zo\xeb"}')
    assert (value, tf.encoding) == ({"name": "Zoë"}, "cp1252")
    assert findings == [("warning", "encoding-fallback", "line 1",
                         "not valid UTF-8; read as cp1252 (Windows ANSI): check accented names")]


def test_concatenated_and_malformed_documents_keep_their_findings(tmp_path):
    _, value, findings = _read(tmp_path, b'{"a": 1}\n{"b": 2}\n')
    assert value == [{"a": 1}, {"b": 2}]
    assert findings == [("info", "concatenated-json", "",
                         "2 JSON documents one after another; read as an array of pages")]
    tf, value, findings = _read(tmp_path, b'{"a": 1,\n "b": }')
    assert (tf, value) == (None, None)
    assert findings == [("error", "malformed-json", "line 2 column 7", "malformed JSON: Expecting value")]
    _, _, findings = _read(tmp_path, b"  \n")
    assert findings == [("error", "empty-file", "", "file is empty")]


def test_a_large_file_is_mapped_closed_after_reading_and_read_as_a_small_one(tmp_path, monkeypatch):
    """planner.sources.files._mapped: a file of MAP_FROM bytes or more is mapped, not copied into a fresh buffer
    (page faults: issue 10 item 5); the mapping is closed when read_json returns, and the value, digest and
    findings are those of the file read: compact (equal to its value encoded again), indented (counted), a
    repeated key (the exact parse names it), an escaped colon (counted by the exact parse), a BOM (the text path)."""
    import mmap

    opened = []

    class Spy(mmap.mmap):
        def __new__(cls, *args, **kwargs):
            made = super().__new__(cls, *args, **kwargs)
            opened.append(made)
            return made

    monkeypatch.setattr(files.mmap, "mmap", Spy)
    monkeypatch.setattr(files, "MAP_FROM", 1 << 20)  # the real threshold, whichever the fixture set
    pad = "x" * files.MAP_FROM
    docs = {
        "compact": b'[{"id":"1","status":"ACTIVE","pad":"%s"}]' % pad.encode(),
        "indented": b'[\n {\n  "id": "1",\n  "pad": "%s"\n }\n]' % pad.encode(),
        "repeat": b'[{"id":"1","status":"ACTIVE","status":"DEPROVISIONED","pad":"%s"}]' % pad.encode(),
        "escaped colon": b'[{"id":"1","note":"a\\u003ab","pad":"%s"}]' % pad.encode(),
        "bom": b'\xef\xbb\xbf[{"id":"1","pad":"%s"}]' % pad.encode(),
    }
    got = {}
    for name, data in docs.items():
        tf, value, findings = _read(tmp_path, data)
        got[name] = (None if tf is None else tf.sha256 == hashlib.sha256(data).hexdigest(),
                     None if value is None else sorted(value[0]), [f[1] for f in findings])
    assert got == {
        "compact": (True, ["id", "pad", "status"], []),
        "indented": (True, ["id", "pad"], []),
        "repeat": (None, None, ["duplicate-key"]),
        "escaped colon": (True, ["id", "note", "pad"], []),
        "bom": (True, ["id", "pad"], []),
    }
    assert len(opened) == len(docs) and all(m.closed for m in opened)
    tf, value, findings = _read(tmp_path, b'{"a": "' + pad.encode() + b'", "a": "b"}')
    assert findings == [("error", "duplicate-key", "", "an object has key 'a' twice (\"" + pad[:56] + '..., then "b"); '
                         "a JSON object names each key once (RFC 8259 §4): fix or re-export the file")]


def test_a_typed_value_viewing_the_mapping_keeps_it(tmp_path, monkeypatch):
    """A typed decoder whose value views the bytes it was decoded from (msgspec.Raw) keeps a mapped file's
    mapping alive: read_json returns the value, no BufferError from closing a mapping still viewed
    (planner.sources.files.read_json)."""
    import msgspec

    monkeypatch.setattr(files, "MAP_FROM", 1)
    path = tmp_path / "raw.json"
    path.write_bytes(b'[{"id":"1"},{"id":"2"}]')
    findings = Findings()
    tf, value = read_json(path, findings, (msgspec.json.Decoder(list[msgspec.Raw]),))
    assert ([bytes(v) for v in value], findings, tf.sha256) == (
        [b'{"id":"1"}', b'{"id":"2"}'], [], hashlib.sha256(b'[{"id":"1"},{"id":"2"}]').hexdigest())


def test_a_utf16_file_without_bom_is_one_error_saying_so_and_no_per_group_noise(tmp_path):
    # tester6 finding 12e: the error names the likely cause; the Entra group files add no
    # member-not-in-users warning per group once the users file itself is unreadable
    import shutil
    from pathlib import Path

    from planner.sources import load_idp

    entra = tmp_path / "entra"
    shutil.copytree(Path(__file__).resolve().parents[1] / "samples" / "acme" / "entra", entra)
    users = entra / "users.csv"
    users.write_bytes(users.read_text(encoding="utf-8-sig").encode("utf-16-le"))
    _, findings = load_idp(entra)
    assert [(f.severity.value, f.code, f.file, f.message) for f in findings if f.severity.value != "info"
            and f.code != "group-cycle"] == [
        ("error", "unreadable-file", str(users), "binary content (NUL bytes), not a text export; UTF-16 without "
         "BOM? Save it again as UTF-8 (or UTF-16 with its BOM)")]
    binary = tmp_path / "users2.csv"
    binary.write_bytes(b"id,userPrincipalName\n\x00\x01\x02 not text\n")
    found = Findings()
    assert files.decode(binary, binary.read_bytes(), found) is None
    assert [f.message for f in found] == ["binary content (NUL bytes), not a text export"]
