"""read_json: msgspec parses well-formed UTF-8 JSON; everything else reads exactly as json.loads did."""

from __future__ import annotations

import hashlib
import math

import pytest

from planner.sources.files import Findings, read_json


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
    (b'{"v": NaN}', "nan"),  # msgspec refuses NaN; json.loads reads it
    (b'{"v": 1e400}', math.inf),  # out of msgspec's float range; json.loads gives inf
    (b'{"v": "\\ud800"}', "\ud800"),  # a lone surrogate escape
])
def test_what_msgspec_refuses_reads_as_json_loads_reads_it(tmp_path, data, expected):
    tf, value, findings = _read(tmp_path, data)
    assert findings == []
    if expected == "nan":
        assert math.isnan(value["v"])
    else:
        assert value["v"] == expected
    assert tf.sha256 == hashlib.sha256(data).hexdigest()


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
