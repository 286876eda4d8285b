import hashlib
import json

import pytest

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
