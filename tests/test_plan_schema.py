"""The plan file's JSON Schema (``sigma-migrate schema``) is exact, and says what ``read_plan`` says:
every sample plan validates; a plan with an unknown property, a missing required field, a null
where the loader refuses null or a wrong kind fails the schema AND is refused by read_plan."""

from __future__ import annotations

import hashlib
import json
from functools import lru_cache
from pathlib import Path

import jsonschema
import pytest

from planner.cli import main
from planner.model import PLAN_FORMAT_VERSION, ItemEvidence, ItemRef, ReviewItem
from planner.planfile import PlanFileError, document_bytes, plan_bytes, plan_json_schema, read_plan
from planner.planning import plan_from_paths

from .execute_support import write_test_plan

ACME = Path(__file__).resolve().parent.parent / "samples" / "acme"


@lru_cache(maxsize=1)
def validator() -> jsonschema.Draft202012Validator:
    schema = plan_json_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def schema_errors(document: dict) -> list[str]:
    return [e.message for e in validator().iter_errors(document)]


@pytest.mark.parametrize("idp", ["okta", "entra"])
def test_every_sample_plan_validates(idp):
    plan, _ = plan_from_paths(str(ACME / "sigma"), (str(ACME / idp),), str(ACME / f"policy-{idp}.yaml"), None)
    document = json.loads(plan_bytes(plan))
    assert len({a["kind"] for a in document["actions"]}) >= 9
    assert schema_errors(document) == []


def test_the_schema_is_exact():
    schema = plan_json_schema()
    plan = schema["$defs"]["Plan"]
    assert schema["$ref"] == "#/$defs/Plan"
    assert plan["properties"]["format_version"] == {"const": 15} and "format_version" in plan["required"]
    union = plan["properties"]["actions"]["items"]
    assert union["discriminator"]["propertyName"] == "kind" and len(union["oneOf"]) == 13
    fixed = [d for d in schema["$defs"].values() if d.get("type") == "object" and d.get("properties")]
    assert fixed and all(d["additionalProperties"] is False for d in fixed)
    link_target = schema["$defs"]["LinkUserTarget"]
    assert link_target["required"] == ["memberId", "email", "userName", "idpId"]
    assert link_target["properties"]["email"] == {"type": "string"}  # no null: the loader refuses it
    assert schema["$defs"]["ArchiveAfter"]["properties"]["newOwnerId"] == {
        "anyOf": [{"type": "string"}, {"type": "null"}]}


SCHEMA_OF_FORMAT = {
    2: "sha256:6ae4480935b418ea0e14c7e8a163366dbaa4cec2175ff6bece7a224a9205f2e9",
    3: "sha256:aeaa295e1fa4b71335e1ae7a8faeeb3e21b7976ce50cbe53c5e62bacc141073d",
    4: "sha256:d6497f989c0fed1f310c969be8f96bfadb1fe4fc681e156ea801dd210a693647",
    5: "sha256:a09e9420795df5ee778b707bbbb0008974db3bd51406f0daf5c660ff7877c807",
    6: "sha256:6dcddcf6e515b159193ee77452d87842275a7c1de524b34b5efa030fbc067af3",
    7: "sha256:5874c6d953b9a47137f6e3564bb7c6c01607e4a5f7f4215d75c2a57473d3c010",
    8: "sha256:1abad4b46ba186f51a3c9fd67f2804179f7ca14d49898d4e7980732b83fb65b6",
    9: "sha256:6751c338de92f84e8f19e4ef5b4776ccb2f9050620a3bcd1f6d51e0c9ae0da78",
    10: "sha256:9923e2b087419cdec64c0fe73dae881a0d73efa20aa91271f97f6325ad8eec19",
    11: "sha256:fc20ac66be35f39eebbe9cf99a91ef2aaa01e73c5bfdee7c6befa3732f5d2d21",
    12: "sha256:f03baa09bd7b2ef65a709414556329a88155f685a42529273cb005d77fe98c6a",
    13: "sha256:5dd4ac4df17a5b6bcf7e9b083f3f01fa3a61372658cbf77f4f6807c67e77ac20",
    14: "sha256:4be51f71f5ec6ab989badc2671bbda220b81c17bf4672c212930ed1e95d9d0c5",
    15: "sha256:f240c02c5dc2f46e665e5b7faf9e5b7eafa42eb19c66b4434c1742a872610f17",
}
"""The sha256 of the shape of the plan's JSON Schema (policy.resolved's included; its prose left out:
shape_of) of each plan format: a change of the plan's shape without a new PLAN_FORMAT_VERSION fails here (tester10 finding 9: the shape changed many times under
format 1, so a plan of an earlier shape was refused field by field with 'plan again with this one, 0.1.0')."""


def shape_of(schema):
    """``schema`` without its prose (``description``, ``title``: a docstring's wording is no change of shape)."""
    if isinstance(schema, dict):
        return {k: shape_of(v) for k, v in schema.items() if k not in ("description", "title")}
    if isinstance(schema, list):
        return [shape_of(v) for v in schema]
    return schema


def test_a_change_of_the_plans_shape_raises_its_format_version():
    found = "sha256:" + hashlib.sha256(json.dumps(shape_of(plan_json_schema()), sort_keys=True).encode()).hexdigest()
    assert SCHEMA_OF_FORMAT.get(PLAN_FORMAT_VERSION) == found, (
        f"the plan's shape changed ({found}): raise PLAN_FORMAT_VERSION (planner/model.py) and pin "
        f"{PLAN_FORMAT_VERSION + 1}: {found!r} here, beside the earlier formats' entries")


def test_the_schema_command_prints_it(capsys):
    main(["schema"])
    assert json.loads(capsys.readouterr().out) == json.loads(json.dumps(plan_json_schema()))


AGAIN = (" (a plan of format 15 that lacks a field this build writes: edited by hand, or written by another build of "
         "sigma-migrate; plan again with this one)")

CASES = [
    # (edit of the test plan's JSON, read_plan's refusal after the file name)
    ("unknown top-level property", lambda d: d.update(colour="red"), "$.colour: unknown field"),
    ("unknown target property", lambda d: d["actions"][0]["target"].update(foo=1),
     "$.actions[0].target.foo: unknown field"),
    ("missing after.userType", lambda d: d["actions"][7]["after"].pop("userType"),
     f"$.actions[7].after.userType: required{AGAIN}"),
    ("missing action id", lambda d: d["actions"][3].pop("id"), f"$.actions[3].id: required{AGAIN}"),
    ("null where refused", lambda d: d["actions"][4]["target"].update(email=None),
     "$.actions[4].target.email: expected str, got null"),
    ("wrong kind", lambda d: d["actions"][2].update(kind="scim.make_user"),
     "$.actions[2].kind: invalid value 'scim.make_user'"),
    ("another kind's payload", lambda d: d["actions"][2].update(kind="scim.link_user"),
     "$.actions[2].before: expected object, got null"),
    # the plan's own records (issue 10 item 2): organization, policy, fingerprints
    ("unknown organization property", lambda d: d["organization"].update(colour="red"),
     "$.organization.colour: unknown field"),
    ("organizationId a number", lambda d: d["organization"].update(organizationId=7),
     "$.organization.organizationId: expected str, got int"),
    ("policy without its sha256", lambda d: d["policy"].pop("sha256"), f"$.policy.sha256: required{AGAIN}"),
    ("fingerprint key of no kind", lambda d: d["fingerprints"].update({"user:u1": d["fingerprints"]["member:m1"]}),
     '$.fingerprints["user:u1"]: key is neither member:<memberId> nor team:<teamId>'),
    ("member state without its email", lambda d: d["fingerprints"]["member:m2"]["state"].pop("email"),
     f'$.fingerprints["member:m2"].state.email: required{AGAIN}'),
    ("a team's state under a member key", lambda d: d["fingerprints"].update({"member:m1": d["fingerprints"]["team:t1"]}),
     '$.fingerprints["member:m1"].state.memberIds: unknown field'),
    ("team memberIds not a list", lambda d: d["fingerprints"]["team:t1"]["state"].update(memberIds="m1"),
     '$.fingerprints["team:t1"].state.memberIds: expected array, got str'),
    ("fingerprints not an object", lambda d: d.update(fingerprints=[]),
     "$.fingerprints: expected object, got list"),
    # every field the planner writes is required (an older plan is refused, never read as empty)
    ("missing outcomes", lambda d: d.pop("outcomes"), f"$.outcomes: required{AGAIN}"),
    ("missing summary.guards", lambda d: d["summary"].pop("guards"), f"$.summary.guards: required{AGAIN}"),
    ("missing a person's lockout", lambda d: d["people"][0].pop("lockout"), f"$.people[0].lockout: required{AGAIN}"),
    ("missing format_version", lambda d: d.pop("format_version"),
     "not a plan file: it looks like a plan without its format_version (edited by hand, or written by another "
     "tool); give the plan file `sigma-migrate plan --out PLAN` wrote, or plan again"),
    ("an earlier format_version", lambda d: d.update(format_version=1, tool_version="0.1.0", created_at="t0"),
     "plan format 1, written by an earlier build of sigma-migrate (tool_version 0.1.0, created t0); this build reads "
     "plan format 15: plan again with this build; to apply, resume, verify or undo that plan, use the build that "
     "wrote it"),
    # the format before this one (tester21 finding 6's team_shrink guard raised it): refused alike, never read as
    # having no key
    ("the previous format_version", lambda d: d.update(format_version=14, tool_version="0.1.0", created_at="t0"),
     "plan format 14, written by an earlier build of sigma-migrate (tool_version 0.1.0, created t0); this build reads "
     "plan format 15: plan again with this build; to apply, resume, verify or undo that plan, use the build that "
     "wrote it"),
    ("a later format_version", lambda d: d.update(format_version=16, tool_version="0.2.0", created_at="t0"),
     "plan format 16, written by a later build of sigma-migrate (tool_version 0.2.0, created t0); this build reads "
     "plan format 15: use that build, or plan again with this one"),
    ("a format_version that is no number", lambda d: d.update(format_version="2"),
     "unsupported format_version '2' (this build of sigma-migrate reads 15)"),
]


@pytest.mark.parametrize("edit, refusal", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_the_schema_and_read_plan_refuse_the_same_plans(tmp_path, edit, refusal):
    path = write_test_plan(tmp_path)
    document = json.loads(path.read_text())
    assert schema_errors(document) == [] and read_plan(path)
    edit(document)
    path.write_bytes(document_bytes(document))

    assert schema_errors(document) != []
    with pytest.raises(PlanFileError) as refused:
        read_plan(path)
    assert str(refused.value) == f"{path}: {refusal}"


def test_null_where_the_loader_accepts_it_passes_both(tmp_path):
    path = write_test_plan(tmp_path)
    document = json.loads(path.read_text())
    document["actions"][4]["after"]["newOwnerId"] = None  # d1: Sigma's default owner
    path.write_bytes(document_bytes(document))
    assert schema_errors(document) == []
    assert read_plan(path).actions[4].after.new_owner_id is None


def test_show_refuses_a_plan_missing_a_required_field_with_one_line(tmp_path, capsys):
    path = write_test_plan(tmp_path)
    document = json.loads(path.read_text())
    document["actions"][7]["after"].pop("userType")
    path.write_bytes(document_bytes(document))

    with pytest.raises(SystemExit) as done:
        main(["show", str(path)])
    assert done.value.code == 1
    assert capsys.readouterr().err == f"sigma-migrate: error: {path}: $.actions[7].after.userType: required{AGAIN}\n"


ITEM = ReviewItem("linking.ambiguous:u1", "linking.ambiguous", True, ItemRef(idp_ids=["u1"], member_ids=["m1", "m2"]),
                  "u1 matches two members", (ItemRef(member_id="m1", email="ann@example.com", joined=["u1 by emails"]),
                                             ItemRef(member_id=None, user_name="ann@example.com", teams=2)),
                  ItemEvidence(key="emails", edges=[["m1", "u1", "emails", "ann@example.com", "email", "ann@example.com"]]),
                  "linking.match_keys.emails", "")

ITEM_CASES = [
    # a review item's subject and candidates are ItemRefs (issue 10 item 2): no free dicts
    ("unknown subject property", lambda r: r["subject"].update(colour="red"),
     "$.review_items[0].subject.colour: unknown field"),
    ("subject memberIds not a list", lambda r: r["subject"].update(memberIds="m1"),
     "$.review_items[0].subject.memberIds: expected array, got str"),
    ("unknown candidate property", lambda r: r["candidates"][0].update(key="email"),
     "$.review_items[0].candidates[0].key: unknown field"),
    ("candidate teams a string", lambda r: r["candidates"][1].update(teams="2"),
     "$.review_items[0].candidates[1].teams: expected int, got str"),
    ("candidate idpId null", lambda r: r["candidates"][1].update(idpId=None),
     "$.review_items[0].candidates[1].idpId: expected str, got null"),
    # and its evidence is an ItemEvidence (issue 10 item 2): one typed record, no free dict
    ("unknown evidence property", lambda r: r["evidence"].update(componentSize=3),
     "$.review_items[0].evidence.componentSize: unknown field"),
    ("evidence edges rows not arrays", lambda r: r["evidence"].update(edges=["m1 u1 emails"]),
     "$.review_items[0].evidence.edges[0]: expected array, got str"),
    ("evidence hint without why", lambda r: r["evidence"].update(hints=[{"memberId": "m1", "idpId": "u1"}]),
     f"$.review_items[0].evidence.hints[0].why: required{AGAIN}"),
    ("evidence groupMembers a string", lambda r: r["evidence"].update(groupMembers="3"),
     "$.review_items[0].evidence.groupMembers: expected int, got str"),
    ("evidence isArchived null", lambda r: r["evidence"].update(isArchived=None),
     "$.review_items[0].evidence.isArchived: expected bool, got null"),
    ("evidence a list", lambda r: r.update(evidence=[]),
     "$.review_items[0].evidence: expected object, got array"),
]


@pytest.mark.parametrize("edit, refusal", [c[1:] for c in ITEM_CASES], ids=[c[0] for c in ITEM_CASES])
def test_the_schema_and_read_plan_refuse_the_same_review_items(tmp_path, edit, refusal):
    path = write_test_plan(tmp_path, review_items=(ITEM,))
    document = json.loads(path.read_text())
    assert document["review_items"][0]["subject"] == {"idpIds": ["u1"], "memberIds": ["m1", "m2"]}
    assert document["review_items"][0]["candidates"] == [
        {"email": "ann@example.com", "joined": ["u1 by emails"], "memberId": "m1"},
        {"memberId": None, "teams": 2, "userName": "ann@example.com"}]
    assert document["review_items"][0]["evidence"] == {
        "edges": [["m1", "u1", "emails", "ann@example.com", "email", "ann@example.com"]], "key": "emails"}
    assert schema_errors(document) == [] and read_plan(path).review_items == (ITEM,)
    edit(document["review_items"][0])
    path.write_bytes(document_bytes(document))

    assert schema_errors(document) != []
    with pytest.raises(PlanFileError) as refused:
        read_plan(path)
    assert str(refused.value) == f"{path}: {refusal}"
