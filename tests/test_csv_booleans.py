"""Every CSV boolean follows one rule (docs/formats.md §0.6, :func:`planner.sources.values.parse_bool`):
``true``/``false`` written ``true``, ``True`` or ``TRUE`` (and the same for false) are read; anything else
(``0``, ``1``, ``yes``, ``'True``) is an ``unreadable-status`` error naming file, line, column and value,
and ``plan`` stops (tester3 finding 10: ``accountEnabled`` ``0`` deactivated Mateo on a guess).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from planner.sources import load_idp, load_sigma_export

from .conftest import REPO, errors, run_cli, write

MATEO = "abb45145-38c4-410e-81ab-724d16f12d93,mateo.marsh@acme.example,"


def entra_with_mateo_enabled(tmp_path: Path, value: str) -> tuple[Path, int]:
    """A copy of the sample Entra export whose ``accountEnabled`` for Mateo Marsh reads ``value``;
    the copy and Mateo's line number."""
    root = tmp_path / "entra"
    shutil.copytree(REPO / "samples/acme/entra", root)
    users = root / "users.csv"
    lines = users.read_bytes().decode("utf-8-sig").splitlines(keepends=True)
    (n,) = [i for i, line in enumerate(lines) if line.startswith(MATEO)]
    assert ",True,US," in lines[n]
    lines[n] = lines[n].replace(",True,US,", f",{value},US,", 1)
    users.write_bytes("".join(lines).encode("utf-8-sig"))
    return root, n + 1


@pytest.mark.parametrize("value", ["0", "1", "yes", "'True", "tRUE"])
def test_an_entra_csv_account_enabled_other_than_true_or_false_stops_plan(capsys, tmp_path, value):
    idp, line = entra_with_mateo_enabled(tmp_path, value)
    out = tmp_path / "plan.json"
    code, _, err = run_cli(capsys, "plan", "--sigma", str(REPO / "samples/acme/sigma"), "--idp", str(idp),
                           "--policy", str(REPO / "samples/acme/policy-entra.yaml"), "--out", str(out))
    assert code == 1
    assert err == (f"sigma-migrate: error: the inputs have 1 error(s), first: error: {idp / 'users.csv'}:line {line} "
                   f"[accountEnabled]: accountEnabled is {value!r}, not true or false: whether the user is active "
                   "cannot be read (a plan never guesses it); fix the export (unreadable-status); run "
                   "`sigma-migrate check` to list every finding\n")
    assert not out.exists()


@pytest.mark.parametrize("value, active", [("FALSE", False), ("false", False), ("TRUE", True), ("true", True)])
def test_excel_and_api_spellings_of_account_enabled_are_read(tmp_path, value, active):
    idp, _ = entra_with_mateo_enabled(tmp_path, value)
    directory, findings = load_idp(idp)
    assert errors(findings) == []
    (mateo,) = [u for u in directory.users if u.id == MATEO.split(",")[0]]
    assert mateo.active is active


@pytest.mark.parametrize("value", ["0", "1", "no", "yes"])
def test_a_sigma_members_csv_is_archived_other_than_true_or_false_is_unreadable(tmp_path, value):
    write(tmp_path / "members.csv", "memberId,email,memberType,userKind,isArchived,isInactive\n"
          "m1,a@example.com,Pro,internal,TRUE,False\n"
          f"m2,b@example.com,Pro,internal,{value},false\n")
    write(tmp_path / "teams.json", "[]")
    write(tmp_path / "team_members.json", "{}")
    export, findings = load_sigma_export(tmp_path)
    assert errors(findings) == [
        ("unreadable-status", "members.csv", "line 3", "isArchived",
         f"isArchived is {value!r}, not true or false: whether the member is archived cannot be read "
         "(a plan never guesses it); fix the export")]
    assert export.members[0].is_archived is True
