"""A members file named by a display name a file name cannot hold (tester12 nit 7c).

Entra's "Download members" names its file by the group's display name; a browser writes ``Finance/EMEA`` as
``Finance_EMEA.csv`` (``/ \\ : * ? " < > |`` cannot be in a Windows file name). Before, that file made a pseudo-group
'Finance_EMEA' (``unknown-group``) and the real group had 'no membership file' (``missing-group-members``): the
input was incomplete for a reason no re-export fixes. Now the file is read as that group's members, with one
``group-file-name`` info; a group whose name is the stem as written still wins, and two groups that read as the
same file name are the ``shared-group-name`` warning (their members unknown). The tester10 fixture
(tests/fixtures/shared_group_name) with its groups renamed.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from .conftest import finding_lines, run_cli

FIXTURES = Path(__file__).parent / "fixtures" / "shared_group_name"
ID1, ID2 = "aaaaaaaa-0000-0000-0000-000000000001", "aaaaaaaa-0000-0000-0000-000000000002"


def _entra(tmp_path: Path, first: str, second: str) -> Path:
    """The fixture's Entra export with groups 1 and 2 named ``first`` and ``second``, its Finance.csv saved as the
    browser names ``Finance/EMEA``'s download."""
    entra = tmp_path / "entra"
    shutil.copytree(FIXTURES / "entra", entra)
    (entra / "group_members" / "Finance.csv").rename(entra / "group_members" / "Finance_EMEA.csv")
    lines = (entra / "groups.csv").read_text(encoding="utf-8").splitlines()
    lines[1] = lines[1].replace(",Finance,", f",{first},")
    lines[2] = lines[2].replace(",Finance,", f",{second},")
    (entra / "groups.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return entra


def _said(capsys, entra: Path) -> list[str]:
    code, out, err = run_cli(capsys, "check", "--sigma", str(FIXTURES / "sigma"), "--idp", str(entra))
    return finding_lines(out + err, ("warning:", "error:", "info:"))


def test_the_file_is_read_as_the_group_whose_name_it_could_not_hold(capsys, tmp_path):
    entra = _entra(tmp_path, "Finance/EMEA", "Finance 2")
    file = entra / "group_members" / "Finance_EMEA.csv"
    said = _said(capsys, entra)
    # was: unknown-group ('Finance_EMEA') and missing-group-members ('Finance/EMEA', 'Finance 2')
    assert said == [
        f"warning: {entra / 'group_members'}: 1 group(s) of groups.csv have no membership file or answer here "
        "('Finance 2'): their members are unknown, not none; export their members too (an empty file is a group "
        "with no members) (missing-group-members)",
        f"info: {file}: read as the members of group 'Finance/EMEA': a file name cannot hold '/', which the "
        "download wrote as '_' (group-file-name)"]


def test_a_group_named_as_the_file_is_still_its_group(capsys, tmp_path):
    entra = _entra(tmp_path, "Finance/EMEA", "Finance_EMEA")
    assert _said(capsys, entra) == [
        f"warning: {entra / 'group_members'}: 1 group(s) of groups.csv have no membership file or answer here "
        "('Finance/EMEA'): their members are unknown, not none; export their members too (an empty file is a group "
        "with no members) (missing-group-members)"]


def test_two_groups_that_read_as_one_file_name_leave_its_members_unknown(capsys, tmp_path):
    entra = _entra(tmp_path, "Finance/EMEA", "Finance:EMEA")
    file = entra / "group_members" / "Finance_EMEA.csv"
    assert _said(capsys, entra) == [
        f"warning: {file}: 2 groups of groups.csv share the display name 'Finance_EMEA' (as a file name: "
        f"'Finance/EMEA' id {ID1}, 'Finance:EMEA' id {ID2}), which names these members: a members file named by "
        "display name (Entra's Download members) cannot say which of these groups it belongs to, so their members "
        "are unknown; rename one group in the IdP and download its members again, or use the Graph export "
        "(`sigma-migrate fetch-idp entra`) (shared-group-name)"]
