import hashlib
import io
import json

import msgspec
import pytest

from planner import planfile

from planner.model import ActionKind, InputFile, Plan, PlanOrganization
from planner.planfile import PlanFileError, plan_bytes, read_plan, write_plan

from .execute_support import link
from .plan_factory import bare_plan


def _plan(created_at: str = "") -> Plan:
    return bare_plan(
        organization=PlanOrganization("org", "acme"),
        inputs=(InputFile("sigma/members.json", "ab" * 32, "sigma-members", 2),),
        actions=(
            link("a1", "m1", "a@x", given="Ann"),
        ),
        created_at=created_at,
    )


def test_digest_ignores_created_at():
    a = json.loads(plan_bytes(_plan("2026-01-01T00:00:00Z")))
    b = json.loads(plan_bytes(_plan("2026-02-02T00:00:00Z")))
    assert a["digest"] == b["digest"]
    assert a["digest"].startswith("sha256:")


def test_round_trip(tmp_path):
    path = tmp_path / "plan.json"
    write_plan(_plan(), path)
    plan = read_plan(path)
    assert plan.actions[0].kind is ActionKind.SCIM_LINK_USER
    assert plan.inputs[0].records == 2


def test_tampered_plan_is_refused(tmp_path):
    path = tmp_path / "plan.json"
    write_plan(_plan(), path)
    doc = json.loads(path.read_text())
    doc["actions"][0]["target"]["memberId"] = "m2"
    path.write_text(json.dumps(doc))
    with pytest.raises(PlanFileError, match="does not match its digest"):
        read_plan(path)


def test_not_json_is_one_line_error(tmp_path):
    path = tmp_path / "plan.json"
    path.write_text("{nope")
    with pytest.raises(PlanFileError) as exc:
        read_plan(path)
    assert str(path) in str(exc.value) and "\n" not in str(exc.value)


def test_written_digest_is_the_canonical_digest_of_the_content(tmp_path):
    plan = _plan("2026-01-01T00:00:00Z")
    data = plan_bytes(plan)
    document = json.loads(data)
    body = {k: v for k, v in document.items() if k not in ("created_at", "digest")}
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
    assert document["digest"] == "sha256:" + hashlib.sha256(canonical).hexdigest()
    # the file is that canonical JSON with layout newlines: one action per line, diffs line by line
    assert b'\n{"after":{"active":true,"familyName":"Example","givenName":"Ann","userName":"a@x","userType":"Viewer"},' in data


def test_write_plan_is_byte_identical_for_the_same_plan(tmp_path):
    a, b = tmp_path / "a.json", tmp_path / "b.json"
    assert write_plan(_plan(), a) == write_plan(_plan(), b)
    assert a.read_bytes() == b.read_bytes()


def _three_actions_plan() -> Plan:
    return msgspec.structs.replace(_plan("2026-01-01T00:00:00Z"), actions=(
        link("a1", "m1", "a@x", given="Ann"), link("a2", "m2", "b@x", given="Bob"), link("a3", "m3", "c@x")))


@pytest.mark.parametrize("batch", [1, 2, 3, 512])
def test_plan_file_bytes_do_not_depend_on_the_encoding_batch(monkeypatch, batch):
    """The writer encodes a list a batch of elements at a time: one element, a batch ending
    mid-list, the whole list in one batch or in one larger, all give the same bytes and digest."""
    expected = plan_bytes(_three_actions_plan())
    monkeypatch.setattr(planfile, "_BATCH", batch)
    data = plan_bytes(_three_actions_plan())
    assert data == expected
    document = json.loads(data)
    body = {k: v for k, v in document.items() if k not in ("created_at", "digest")}
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
    assert document["digest"] == "sha256:" + hashlib.sha256(canonical).hexdigest()
    assert [json.loads(line.rstrip(b","))["id"] for line in data.split(b"\n")[2:5]] == ["a1", "a2", "a3"]


@pytest.mark.parametrize("batch", [1, 2, 3, 512])
def test_an_object_field_is_laid_out_alike_in_any_batch(monkeypatch, batch):
    """Objects (the fingerprints) are encoded a batch of entries at a time too: one entry per line,
    sorted by key, whatever the batch."""
    document = {"format_version": 1, "fingerprints": {"member:m3": {"sha256": "c"}, "member:m1": {"sha256": "a"},
                                                      "team:t1": {"sha256": "t"}}}
    monkeypatch.setattr(planfile, "_BATCH", batch)
    data = planfile.document_bytes(document)
    assert data.split(b"\n")[2:7] == [b'"fingerprints": {', b'"member:m1":{"sha256":"a"},',
                                        b'"member:m3":{"sha256":"c"},', b'"team:t1":{"sha256":"t"}', b"},"]


def test_dump_plan_streams_to_a_file_and_to_an_unseekable_stream_alike(tmp_path):
    """dump_plan writes field by field and fills the digest in by seeking back; a stream that
    cannot seek gets the same bytes (the file is assembled in memory first)."""
    plan = _three_actions_plan()
    path = tmp_path / "plan.json"
    with open(path, "w", encoding="utf-8", newline="") as fh:
        digest = planfile.dump_plan(plan, fh)

    class Unseekable(io.BytesIO):
        def seekable(self):
            return False

        def seek(self, *args):
            raise io.UnsupportedOperation("seek")

    sink = Unseekable()
    text = io.TextIOWrapper(sink, encoding="utf-8", newline="")
    assert planfile.dump_plan(plan, text) == digest
    text.flush()
    assert path.read_bytes() == sink.getvalue() == plan_bytes(plan)
    assert read_plan(path).digest == digest == json.loads(path.read_bytes())["digest"]


def test_a_reindented_an_empty_or_a_cut_plan_file_is_one_line_saying_what_to_do(tmp_path):
    """Tester C: `content is (not in the layout plan files are written in)`; `not a JSON plan file: Input data
    was truncated`."""
    path = tmp_path / "plan.json"
    write_plan(_plan(), path)
    whole = path.read_text(encoding="utf-8")
    path.write_text(json.dumps(json.loads(whole), indent=4), encoding="utf-8")
    with pytest.raises(PlanFileError) as reindented:
        read_plan(path)
    assert str(reindented.value) == (
        f"{path}: plan content does not match its digest: the file is not in the layout sigma-migrate writes "
        "(re-indented or re-saved by an editor?), so it was changed after it was written; use the file "
        "`sigma-migrate plan` wrote, or plan again")
    path.write_text("", encoding="utf-8")
    with pytest.raises(PlanFileError) as empty:
        read_plan(path)
    assert str(empty.value) == f"{path}: the plan file is empty; write it again with `sigma-migrate plan ... --out {path}`"
    path.write_text(whole[:100], encoding="utf-8")
    with pytest.raises(PlanFileError) as cut:
        read_plan(path)
    assert str(cut.value).startswith(f"{path}: not a JSON plan file (the file was cut short): ")
    assert str(cut.value).endswith("; use the file `sigma-migrate plan` wrote, or plan again")
    assert "\n" not in str(cut.value)
