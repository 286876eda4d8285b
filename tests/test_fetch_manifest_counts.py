"""``sigma-migrate fetch``'s manifest vouches for its files as fetch-idp's does (tester21 finding 2's team variant,
/work/notes/t21-repro/28: a fetched export whose teams.json lost the archived team 'Project Falcon (old)' and its
team_members.json entry was read as whole, so an IdP group of that name became a new team, 0 blocking).

``fetch-manifest.json`` now records each file it wrote with the records the Sigma loader counts in it (``files``),
and loading the export checks them with fetch-idp's own rule (planner.sources.manifest.check_counts): a file cut,
edited, removed or added after the fetch is a ``manifest-mismatch`` error naming it, and ``check`` and ``plan`` stop
(exit 1). A manifest written before the counts were recorded is read as before. A real fetch from the sandbox of the
bundled sample over HTTP, then files edited on disk.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from planner.fetch import fetch_export
from planner.sources import load_sigma_export
from planner.sources.manifest import fetch_manifest_document

from .conftest import REPO, run_cli

ACME = REPO / "samples" / "acme"
FILES = {"account_types.json": 7, "members.json": 149, "teams.json": 15, "team_members.json": 158,
         "scim/Users.json": 145, "scim/Groups.json": 14}
"""What a fetch of the bundled sample's sandbox with the SCIM token writes, as ``fetch-manifest.json`` says it."""


@pytest.fixture
def fetched(acme_sandbox, tmp_path) -> Path:
    """A real ``fetch`` of the bundled sample's sandbox, SCIM state read, into ``tmp_path/sigma``."""
    out = tmp_path / "sigma"
    out.mkdir()
    fetch_export(out, base_url=acme_sandbox.base_url, client_id=acme_sandbox.client_id,
                 client_secret=acme_sandbox.client_secret, scim_token=acme_sandbox.scim_token)
    return out


def errors(export: Path) -> list[tuple[str, str, str, str]]:
    """``(code, file name, field, message)`` of each error loading Sigma export ``export``."""
    _, findings = load_sigma_export(export)
    return [(f.code, Path(f.file).relative_to(export).as_posix(), f.field, f.message) for f in findings
            if f.severity.value == "error"]


def plan(capsys, tmp_path: Path, export: Path) -> tuple[int, str]:
    """``plan`` of ``export`` with samples/acme/okta and the reviewed policy: its exit status and stderr."""
    code, _, err = run_cli(capsys, "plan", "--sigma", str(export), "--idp", str(ACME / "okta"), "--policy",
                           str(ACME / "policy-okta-reviewed.yaml"), "--out", str(tmp_path / "plan.json"))
    return code, err


def edit(path: Path, change) -> None:
    document = json.loads(path.read_text(encoding="utf-8"))
    change(document)
    path.write_text(json.dumps(document), encoding="utf-8")


def cut(got: int, said: int) -> str:
    """The message of a file holding ``got`` records where the manifest says ``said``."""
    return (f"{got} record(s), but the fetch manifest fetch-manifest.json says {said}: the file was edited or cut "
            "after the fetch; fetch again")


def test_a_fetch_records_each_file_with_its_records_and_its_export_loads_clean(fetched):
    manifest = json.loads((fetched / "fetch-manifest.json").read_text(encoding="utf-8"))
    assert (manifest["scimState"], manifest["files"]) == ("read", FILES)
    assert errors(fetched) == []


def test_the_archived_team_taken_out_after_the_fetch_stops_check_and_plan(capsys, tmp_path, fetched):
    """The tester's team variant: 'Project Falcon (old)' (archived, 2 members) out of teams.json and
    team_members.json. Each file is named; plan stops before deciding anything (exit 1, one line)."""
    falcon = "085d563e-edb4-40fd-9e58-74375fb101b0"
    edit(fetched / "teams.json", lambda d: d.update(entries=[t for t in d["entries"] if t["teamId"] != falcon]))
    edit(fetched / "team_members.json", lambda d: d.pop(falcon))
    assert errors(fetched) == [
        ("manifest-mismatch", "teams.json", "", cut(14, 15)),
        ("manifest-mismatch", "team_members.json", "", cut(156, 158)),
    ]
    code, out, _ = run_cli(capsys, "check", "--sigma", str(fetched), "--idp", str(ACME / "okta"))
    assert code == 1
    assert (f"error: {fetched / 'teams.json'}: {cut(14, 15)} (manifest-mismatch)\n"
            f"error: {fetched / 'team_members.json'}: {cut(156, 158)} (manifest-mismatch)\n") in out
    assert plan(capsys, tmp_path, fetched) == (1, (
        f"sigma-migrate: error: the inputs have 2 error(s), first: error: {fetched / 'teams.json'}: "
        f"{cut(14, 15)} (manifest-mismatch); run `sigma-migrate check` to list every finding\n"))
    assert not (tmp_path / "plan.json").exists()


def test_members_cut_after_the_fetch_stop_the_plan(capsys, tmp_path, fetched):
    """A members page deleted (the fetch writes one page of every member; 49 taken out): the file is named."""
    edit(fetched / "members.json", lambda d: d.update(entries=d["entries"][:100]))
    assert errors(fetched) == [("manifest-mismatch", "members.json", "", cut(100, 149))]
    assert plan(capsys, tmp_path, fetched) == (1, (
        f"sigma-migrate: error: the inputs have 1 error(s), first: error: {fetched / 'members.json'}: "
        f"{cut(100, 149)} (manifest-mismatch); run `sigma-migrate check` to list every finding\n"))


def test_a_scim_file_edited_after_the_fetch_is_named_by_its_path(fetched):
    edit(fetched / "scim" / "Groups.json", lambda d: d.update(Resources=d["Resources"][1:]))
    assert errors(fetched) == [("manifest-mismatch", "scim/Groups.json", "", cut(13, 14))]


def test_a_file_removed_or_replaced_after_the_fetch_is_an_error(fetched):
    """account_types.json replaced by an account_types.csv of the same types: the one the manifest names is
    missing, the other was not written by the fetch."""
    types = json.loads((fetched / "account_types.json").read_text(encoding="utf-8"))["entries"]
    (fetched / "account_types.json").unlink()
    (fetched / "account_types.csv").write_text(
        "accountTypeId,accountTypeName,description,isCustom\n"
        + "".join(f"{t['accountTypeId']},{t['accountTypeName']},,{str(t.get('isCustom', False)).lower()}\n"
                  for t in types), encoding="utf-8")
    assert errors(fetched) == [
        ("manifest-mismatch", "account_types.json", "",
         "missing: the fetch manifest fetch-manifest.json lists it with 7 record(s); fetch again"),
        ("manifest-mismatch", "account_types.csv", "",
         "not written by the fetch that fetch-manifest.json describes: remove it, or fetch again into an empty folder"),
    ]


def test_a_manifest_written_before_the_counts_still_loads_unchecked(fetched):
    """docs/formats.md §1: a manifest without ``files`` (an earlier build's fetch) is read as before."""
    (fetched / "fetch-manifest.json").write_text(json.dumps(fetch_manifest_document("read", "2026-12-01T00:00:00Z")))
    edit(fetched / "members.json", lambda d: d.update(entries=d["entries"][:100]))
    loaded, findings = load_sigma_export(fetched)
    assert [f for f in findings if f.severity.value == "error"] == []
    assert (loaded.fetch_manifest.scim_state, loaded.fetch_manifest.files) == ("read", None)


@pytest.mark.parametrize("files", [{"members.json": "149"}, {"../members.json": 149}, {}, ["members.json"]])
def test_files_of_another_shape_are_a_manifest_error(tmp_path, files):
    export = tmp_path / "sigma"
    shutil.copytree(ACME / "sigma", export)
    (export / "fetch-manifest.json").write_text(json.dumps(
        {**fetch_manifest_document("not_read", "2026-12-01T00:00:00Z"), "files": files}))
    assert errors(export) == [(
        "manifest-mismatch", "fetch-manifest.json", "files",
        'not a fetch manifest of version 1 ({"files": {"members.json": <records>, ...}}); fetch again')]
