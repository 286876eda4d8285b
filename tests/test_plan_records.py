"""The plan's own records are typed and read exactly (issue 10 item 2): a plan written before a
field existed is refused naming the field (never read as if it were empty), the organization,
policy and fingerprints are typed records, the resolved policy is read as a validated Policy."""

from __future__ import annotations

import json
import re
from functools import lru_cache
from pathlib import Path

import msgspec
import pytest

from planner.cli import main
from planner.model import MemberFingerprint, MemberState, PlanOrganization, TeamFingerprint, TeamState
from planner.planfile import PlanFileError, canonical_json, document_bytes, plan_bytes, plan_policy, read_plan
from planner.planning import plan_from_paths
from planner.policy import PolicyError, resolved_policy

ACME = Path(__file__).resolve().parent.parent / "samples" / "acme"
AGAIN = (" (a plan of format 15 that lacks a field this build writes: edited by hand, or written by another build of "
         "sigma-migrate; plan again with this one)")


@lru_cache(maxsize=1)
def acme_plan() -> bytes:
    """The bytes of the Acme sample's plan (Okta flavour), as `sigma-migrate plan` writes them."""
    plan, _ = plan_from_paths(str(ACME / "sigma"), (str(ACME / "okta"),), str(ACME / "policy-okta.yaml"), None)
    return plan_bytes(plan)


def without_entry(data: bytes, name: str) -> bytes:
    """``data`` with the top-level entry ``name`` cut out of the file as written (digest left as it was)."""
    start = data.index(f'\n"{name}": '.encode())
    end = re.compile(rb'\n"[a-z_]+": ').search(data, start + 1).start()  # the next top-level entry
    return data[:start] + data[end:]


@pytest.mark.parametrize("field", ["people", "teams", "preflight", "outcomes", "fingerprints", "organization"])
@pytest.mark.parametrize("digest", ["adjusted", "as written"])
def test_a_plan_missing_a_field_is_refused_naming_it_before_the_digest_check(tmp_path, field, digest):
    """An older plan (its digest matches its content: ``adjusted``) and a plan with the field cut out
    by hand (``as written``: the digest no longer matches) get the same refusal: the shape is read
    before the digest is checked."""
    data = acme_plan()
    document = json.loads(data)
    del document[field]
    path = tmp_path / "plan.json"
    path.write_bytes(document_bytes(document) if digest == "adjusted" else without_entry(data, field))
    with pytest.raises(PlanFileError) as refused:
        read_plan(path)
    assert str(refused.value) == f"{path}: $.{field}: required{AGAIN}"


def test_without_the_field_the_digest_check_would_pass(tmp_path):
    """The ``adjusted`` case above is a plan whose only fault is the missing field."""
    document = json.loads(acme_plan())
    del document["outcomes"]
    edited = document_bytes(document)
    assert json.loads(edited)["digest"] != document["digest"]  # recomputed over the content without outcomes
    document["outcomes"] = json.loads(acme_plan())["outcomes"]
    assert document_bytes(document) == acme_plan()  # put back: the original bytes, digest and all


@pytest.mark.parametrize("edit, where", [
    (lambda d: d["summary"].pop("guards"), "$.summary.guards"),  # read without guards, they would all pass
    (lambda d: d["outcomes"].pop("document_transfers"), "$.outcomes.document_transfers"),
    (lambda d: d["people"][5].pop("lockout"), "$.people[5].lockout"),  # read as "not locked out"
    (lambda d: d["people"][0].pop("admin_change"), "$.people[0].admin_change"),
    # read as depending on nothing: apply would link the guest before converting them
    (lambda d: d["actions"][15].pop("depends_on"), "$.actions[15].depends_on"),
    (lambda d: d["teams"][3].pop("actions"), "$.teams[3].actions"),  # read as a team nothing acts on
    (lambda d: d["teams"][0].pop("is_archived"), "$.teams[0].is_archived"),
    (lambda d: d["preflight"][4].pop("count"), "$.preflight[4].count"),  # read as concerning nobody
    (lambda d: d["preflight"][0].pop("resolution"), "$.preflight[0].resolution"),
    (lambda d: d["preflight"][0].pop("source"), "$.preflight[0].source"),
    (lambda d: d["review_items"][0].pop("candidates"), "$.review_items[0].candidates"),
    (lambda d: d["review_items"][0].pop("evidence"), "$.review_items[0].evidence"),
    (lambda d: d["review_items"][0].pop("rule"), "$.review_items[0].rule"),
    (lambda d: d["review_items"][0].pop("resolution"), "$.review_items[0].resolution"),
    (lambda d: d["summary"]["account_types"].pop("replacements"), "$.summary.account_types.replacements"),
])
def test_a_record_without_a_field_the_planner_writes_is_refused(tmp_path, edit, where):
    document = json.loads(acme_plan())
    edit(document)
    path = tmp_path / "plan.json"
    path.write_bytes(document_bytes(document))
    with pytest.raises(PlanFileError) as refused:
        read_plan(path)
    assert str(refused.value) == f"{path}: {where}: required{AGAIN}"


def test_the_planned_action_that_depends_on_another_is_the_one_cut():
    """The ``depends_on`` case above cuts a real dependency (not an empty list)."""
    action = json.loads(acme_plan())["actions"][15]
    assert (action["id"], action["depends_on"]) == ("scim.link_user:1OLfsTOWkRcJMtkNaSgdDd91YEXAg",
                                                    ["members.convert_guest:1OLfsTOWkRcJMtkNaSgdDd91YEXAg"])


@pytest.mark.parametrize("command", ["show", "apply"])
def test_an_action_without_depends_on_is_refused_with_one_line(tmp_path, capsys, command):
    """Before: an action of an edited plan without ``depends_on`` loaded as depending on nothing."""
    document = json.loads(acme_plan())
    del document["actions"][15]["depends_on"]
    path = tmp_path / "plan.json"
    path.write_bytes(document_bytes(document))
    with pytest.raises(SystemExit) as done:
        main([command, str(path)])
    assert done.value.code == 1
    assert capsys.readouterr().err == f"sigma-migrate: error: {path}: $.actions[15].depends_on: required{AGAIN}\n"


@pytest.mark.parametrize("command", ["show", "report"])
def test_show_and_report_refuse_an_old_plan_with_one_line(tmp_path, capsys, command):
    """Before: a plan without ``outcomes`` loaded with empty outcomes, and show/report said nobody
    is locked out."""
    document = json.loads(acme_plan())
    del document["outcomes"]
    path = tmp_path / "plan.json"
    path.write_bytes(document_bytes(document))
    argv = [command, str(path)] + (["--out", str(tmp_path / "report.html")] if command == "report" else [])
    with pytest.raises(SystemExit) as done:
        main(argv)
    assert done.value.code == 1
    assert capsys.readouterr().err == f"sigma-migrate: error: {path}: $.outcomes: required{AGAIN}\n"
    assert not (tmp_path / "report.html").exists()


def test_the_records_are_typed_and_written_as_before(tmp_path):
    path = tmp_path / "plan.json"
    path.write_bytes(acme_plan())
    plan = read_plan(path)
    assert plan.organization == PlanOrganization("255ae7f7-9a8a-4c14-a5e5-c38f677bcde2", "Acme Corp")
    assert plan.policy.path.endswith("policy-okta.yaml") and len(plan.policy.sha256) == 64
    members = [p for k, p in plan.fingerprints.items() if k.startswith("member:")]
    teams = [p for k, p in plan.fingerprints.items() if k.startswith("team:")]
    assert members and all(isinstance(p, MemberFingerprint) and isinstance(p.state, MemberState) for p in members)
    assert teams and all(isinstance(p, TeamFingerprint) and isinstance(p.state, TeamState) for p in teams)
    assert plan_bytes(plan) == acme_plan()
    text = acme_plan().decode()
    # the layout of the file: organization, policy, fingerprints and summary one entry per line, outcomes on one
    assert re.search(r'\n"organization": \{\n"name":"Acme Corp",\n"organizationId":"[^"]+"\n\},', text)
    assert re.search(r'\n"policy": \{\n"path":"[^"]+",\n"resolved":\{.*\},\n"sha256":"[0-9a-f]{64}"\n\},', text)
    assert re.search(r'\n"outcomes": \{"document_transfers":\[.*\],"owners":\[.*\]\},\n"people"', text)
    assert re.search(r'\n"summary": \{\n"account_types":\{', text)


def test_the_resolved_policy_is_the_policy_it_was_planned_with(tmp_path):
    path = tmp_path / "plan.json"
    path.write_bytes(acme_plan())
    policy = resolved_policy(read_plan(path).policy.resolved)
    assert policy.organization.name == "Acme Corp"
    assert policy.account_types.group_map["Sigma-Admins"] == "Admin"
    assert canonical_json(policy.resolved()) == bytes(read_plan(path).policy.resolved)


@pytest.mark.parametrize("edit, refusal", [
    (lambda r: r.pop("targets"), "$.policy.resolved.targets: required (a plan written by another version of "
                                 "sigma-migrate; plan again with this one)"),
    (lambda r: r["account_types"].pop("overrides"), "$.policy.resolved.account_types.overrides: required (a plan "
                                                    "written by another version of sigma-migrate; plan again with this one)"),
    (lambda r: r["targets"].update(rest_base_url=["x"]), "$.policy.resolved.targets.rest_base_url: Input should be a "
                                                     "valid string"),
    (lambda r: r.update(colour="red"), "$.policy.resolved.colour: Extra inputs are not permitted"),
])
def test_a_resolved_policy_of_the_wrong_shape_is_refused_by_its_reader(edit, refusal):
    resolved = json.loads(acme_plan())["policy"]["resolved"]
    edit(resolved)
    with pytest.raises(PolicyError) as refused:
        resolved_policy(msgspec.json.encode(resolved), "plan.json")
    assert str(refused.value) == f"plan.json: {refusal}"


def test_handoff_refuses_a_plan_whose_resolved_policy_lacks_a_key(tmp_path, capsys):
    document = json.loads(acme_plan())
    del document["policy"]["resolved"]["linking"]
    path = tmp_path / "plan.json"
    path.write_bytes(document_bytes(document))
    assert read_plan(path).policy.path  # showing the plan needs no policy
    with pytest.raises(SystemExit) as done:
        main(["handoff", str(path), "--idp", "okta", "--out", str(tmp_path / "pack"), "--draft"])
    assert done.value.code == 1
    assert capsys.readouterr().err == (f"sigma-migrate: error: {path}: $.policy.resolved.linking: required (a plan "
                                       "written by another version of sigma-migrate; plan again with this one)\n")


def test_the_plan_read_does_not_hold_the_file_bytes(tmp_path, monkeypatch):
    """``policy.resolved`` is a msgspec.Raw: decoded, it is a view holding the whole file's bytes
    alive (a 100k-person plan is ~200 MB); read_plan keeps a copy of its own. (read_plan's own
    read is replaced to hold the bytes it decodes: their reference count is the observation.)"""
    import sys

    path = tmp_path / "plan.json"
    path.write_bytes(acme_plan())
    data = path.read_bytes()
    monkeypatch.setattr(Path, "read_bytes", lambda self: data)
    plan = read_plan(path)
    assert sys.getrefcount(data) == 2  # `data` and getrefcount's argument: nothing in the plan
    assert bytes(plan.policy.resolved) == canonical_json(json.loads(acme_plan())["policy"]["resolved"])


def _plan_lacking_linking(tmp_path: Path) -> Path:
    document = json.loads(acme_plan())
    del document["policy"]["resolved"]["linking"]
    path = tmp_path / "plan.json"
    path.write_bytes(document_bytes(document))
    return path


def test_read_plan_with_policy_refuses_a_resolved_policy_of_the_wrong_shape(tmp_path):
    path = _plan_lacking_linking(tmp_path)
    assert read_plan(path).policy.path  # showing the plan needs no policy
    with pytest.raises(PlanFileError) as refused:
        read_plan(path, with_policy=True)
    assert str(refused.value) == (f"{path}: $.policy.resolved.linking: required (a plan written by another version "
                                  "of sigma-migrate; plan again with this one)")


def test_plan_policy_is_validated_once_per_plan(tmp_path):
    path = tmp_path / "plan.json"
    path.write_bytes(acme_plan())
    plan = read_plan(path, with_policy=True)
    assert plan_policy(plan, path) is plan_policy(read_plan(path), "elsewhere.json")  # one Policy, whatever `where`
    assert plan_policy(plan).account_types.group_map["Sigma-Admins"] == "Admin"


@pytest.mark.parametrize("argv", [
    ["approve", "{plan}", "--by", "Ada"],
    ["apply", "{plan}", "--dry-run"],
    ["verify", "{plan}"],
    ["handoff", "{plan}", "--idp", "okta", "--out", "{tmp}/pack", "--draft"],
])
def test_the_commands_acting_on_the_policy_refuse_a_bad_one_when_reading_the_plan(tmp_path, capsys, argv):
    path = _plan_lacking_linking(tmp_path)
    with pytest.raises(SystemExit) as done:
        main([a.format(plan=path, tmp=tmp_path) for a in argv])
    assert done.value.code == 1
    assert capsys.readouterr().err == (f"sigma-migrate: error: {path}: $.policy.resolved.linking: required (a plan "
                                       "written by another version of sigma-migrate; plan again with this one)\n")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["plan.json"]  # nothing written


def test_show_neither_validates_nor_imports_the_policy_schema(tmp_path):
    import subprocess
    import sys

    path = _plan_lacking_linking(tmp_path)
    code = ("import sys; from planner.cli import main\n"
            f"try: main(['show', {str(path)!r}])\n"
            "except SystemExit as e: assert not e.code, e.code\n"
            "print('planner.policy' in sys.modules, 'pydantic' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=Path(__file__).parent.parent)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-1] == "False False"
