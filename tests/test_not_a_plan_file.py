"""A file that is no plan, given where a plan belongs (diff, show, report, approve, apply, ...), is
named for what it is, at the one place plan files are read (planner.planfile.read_plan; tester9 F7:
`diff v3.json v3.json.run-1.result.json` said "unsupported format_version None (this tool reads 1)")."""

from __future__ import annotations

import json

import pytest

from planner.execute.journal import Journal, journal_path
from planner.result_file import result_record
from planner.sources.manifest import fetch_manifest_document

from .conftest import run_cli
from .test_report import RESULT

ADVICE = "; give the plan file `sigma-migrate plan --out PLAN` wrote, or plan again"


@pytest.mark.parametrize("sample, what", [
    ("sigma/members.json", "a Sigma members export (GET /v2/members)"),
    ("sigma/teams.json", "a Sigma teams export (GET /v2/teams)"),
    ("sigma/team_members.json", "a Sigma team members export (GET /v2/teams/{teamId}/members)"),
    ("sigma/account_types.json", "a Sigma account types export (GET /v2/accountTypes)"),
    ("okta/users.json", "an IdP export (okta-api users: Okta users (profile.login))"),
    ("okta/groups.json", "an IdP export (okta-api groups: Okta groups (profile.name, type))"),
])
def test_an_export_is_named(sample, what, repo, capsys):
    path = repo / "samples/acme" / sample
    code, _, err = run_cli(capsys, "diff", str(path), str(path))
    assert (code, err) == (1, f"sigma-migrate: error: {path}: not a plan file: it looks like {what}{ADVICE}\n")


def test_the_files_sigma_migrate_writes_beside_a_plan_are_named(repo, tmp_path, capsys):
    plan = tmp_path / "plan.json"
    code, _, err = run_cli(capsys, "plan", "--sigma", str(repo / "samples/acme/sigma"), "--idp",
                           str(repo / "samples/acme/okta"), "--policy",
                           str(repo / "samples/acme/policy-okta-reviewed.yaml"), "--out", str(plan))
    assert code == 0, err
    assert run_cli(capsys, "approve", str(plan), "--by", "Tess Ter")[0] == 0
    result = tmp_path / "plan.json.run-1.result.json"
    result_record(RESULT)  # the shape apply writes
    result.write_text(json.dumps(RESULT))
    summary = tmp_path / "summary.json"
    code, out, _ = run_cli(capsys, "plan", "--sigma", str(repo / "samples/acme/sigma"), "--idp",
                           str(repo / "samples/acme/okta"), "--policy",
                           str(repo / "samples/acme/policy-okta-reviewed.yaml"), "--out", str(tmp_path / "p2.json"),
                           "--json")
    summary.write_text(out)
    manifest = tmp_path / "fetch-manifest.json"
    manifest.write_text(json.dumps(fetch_manifest_document("read")))
    journal = journal_path(plan)
    Journal.open(plan, "sha256:" + "0" * 64, [("a1", "scim.link_user")]).close()
    edited = tmp_path / "edited.json"
    document = json.loads(plan.read_text())
    del document["format_version"]
    edited.write_text(json.dumps(document))

    said = {}
    for path in (result, plan.with_name("plan.json.approval"), summary, manifest, journal, edited):
        code, _, err = run_cli(capsys, "show", str(path))
        assert code == 1
        said[path.name] = err.removeprefix(f"sigma-migrate: error: {path}: not a plan file: ").removesuffix(
            ADVICE + "\n")
    assert said == {
        "plan.json.run-1.result.json": "it looks like an apply result (`sigma-migrate apply` writes "
                                       "<plan>.run-<n>.result.json) of plan plan.json",
        "plan.json.approval": "it looks like a plan's approval (`sigma-migrate approve` writes <plan>.approval)",
        "summary.json": "it looks like the summary `sigma-migrate plan --json` prints",
        "fetch-manifest.json": "it looks like a Sigma fetch manifest (`sigma-migrate fetch` writes "
                               "fetch-manifest.json)",
        "plan.json.journal.sqlite": "it is an SQLite database (an apply journal, <plan>.journal.sqlite, is one)",
        "edited.json": "it looks like a plan without its format_version (edited by hand, or written by another "
                       "tool)",
    }


def test_json_of_no_known_kind_says_what_it_lacks(tmp_path, capsys):
    thing, things = tmp_path / "thing.json", tmp_path / "things.json"
    thing.write_text('{"colour": "red"}')
    things.write_text('[1, 2]')
    code, _, err = run_cli(capsys, "report", str(thing), "--out", str(tmp_path / "r.html"))
    assert (code, err) == (1, f"sigma-migrate: error: {thing}: not a plan file: a JSON object without "
                              f"format_version (every plan file has one){ADVICE}\n")
    code, _, err = run_cli(capsys, "show", str(things))
    assert (code, err) == (1, f"sigma-migrate: error: {things}: not a plan file: a JSON array{ADVICE}\n")


@pytest.mark.parametrize("mark, encoding, said", [
    (b"\xef\xbb\xbf", "utf-8", 'a UTF-8 byte order mark (saved as "UTF-8 with BOM"?)'),
    (b"\xff\xfe", "utf-16-le", 'a UTF-16 byte order mark (saved as UTF-16 or "Unicode"?)'),
])
def test_a_plan_saved_again_with_a_byte_order_mark_is_named_so(mark, encoding, said, repo, tmp_path, capsys):
    # tester14a finding 7: was "JSON is malformed: invalid character (byte 0)"
    plan = tmp_path / "plan.json"
    code, _, err = run_cli(capsys, "plan", "--sigma", str(repo / "samples/acme/sigma"), "--idp",
                           str(repo / "samples/acme/okta"), "--policy",
                           str(repo / "samples/acme/policy-okta-reviewed.yaml"), "--out", str(plan))
    assert code == 0, err
    saved = tmp_path / "saved.json"
    saved.write_bytes(mark + plan.read_text(encoding="utf-8").encode(encoding))
    for command in (["show", str(saved)], ["approve", str(saved), "--by", "Tess Ter"]):
        code, _, err = run_cli(capsys, *command)
        assert (code, err) == (1, f"sigma-migrate: error: {saved}: not the plan file sigma-migrate wrote: it starts "
                                  f"with {said}: an editor saved it again, so it was changed after it was written; "
                                  "use the file `sigma-migrate plan` wrote, or plan again\n")
