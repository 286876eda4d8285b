"""A members file whose name a Mac wrote in Unicode NFD is its group's (tester21 finding 4).

A Mac (HFS+, or a zip made there) names Entra's "Download members" file of group 'Opérations' (NFC in groups.csv)
``Ope\\u0301rations.csv``: the same letters in another normal form. Before, the group was reported both without a
members file and listed twice under one visible name (``missing-group-members``, ``duplicate-group-name``), 36
blocking ``inputs.truncated`` items whose remedy ("export again, whole") could not help. File names and members map
keys are now compared with group names in NFC (``planner.sources.directory.group_name_key``), as team names are.

Real files: samples/acme/entra and samples/acme/sigma with group and team Operations renamed 'Opérations', through
the CLI.
"""

from __future__ import annotations

import json
import shutil
import unicodedata
from pathlib import Path

from .conftest import REPO, run_cli

NFC = "Op\u00e9rations"
NFD = unicodedata.normalize("NFD", NFC)


def accented(tmp_path: Path, file_name: str, groups_file: bool = True) -> tuple[Path, Path, Path]:
    """``(sigma, entra, policy)``: the samples with group and team Operations named 'Opérations' (NFC) and its
    members file named ``file_name``.csv; ``groups_file`` False leaves groups.csv out."""
    sigma, entra = tmp_path / "sigma", tmp_path / f"entra-{'nfd' if file_name == NFD else 'nfc'}"
    if not sigma.exists():
        shutil.copytree(REPO / "samples/acme/sigma", sigma)
        teams = sigma / "teams.json"
        teams.write_text(teams.read_text(encoding="utf-8").replace('"name": "Operations"', f'"name": "{NFC}"'),
                         encoding="utf-8")
    shutil.copytree(REPO / "samples/acme/entra", entra)
    groups = entra / "groups.csv"
    if groups_file:
        groups.write_text(groups.read_text(encoding="utf-8-sig").replace(",Operations,", f",{NFC},"),
                          encoding="utf-8-sig")
    else:
        groups.unlink()
    (entra / "group_members" / "Operations.csv").rename(entra / "group_members" / f"{file_name}.csv")
    policy = tmp_path / "policy.yaml"
    policy.write_text((REPO / "samples/acme/policy-entra-reviewed.yaml").read_text(encoding="utf-8")
                      .replace(" Operations,", f" {NFC},"), encoding="utf-8")
    return sigma, entra, policy


def planned(capsys, tmp_path: Path, sigma: Path, entra: Path, policy: Path) -> tuple[int, dict]:
    out = tmp_path / f"{entra.name}.json"
    code, _, _ = run_cli(capsys, "plan", "--sigma", str(sigma), "--idp", str(entra), "--policy", str(policy),
                         "--out", str(out), "--detailed-exitcode")
    plan = json.loads(out.read_text(encoding="utf-8"))
    return code, {"actions": plan["actions"], "review_items": plan["review_items"]}


def test_a_members_file_named_in_nfd_is_its_nfc_groups(capsys, tmp_path):
    sigma, entra, policy = accented(tmp_path, NFD)
    assert [p.name for p in (entra / "group_members").iterdir() if p.name.startswith("Ope")] == [f"{NFD}.csv"]
    code, out, _ = run_cli(capsys, "check", "--sigma", str(sigma), "--idp", str(entra))
    # was: missing-group-members ('Opérations'), groups not in this groups file, 2 groups are named 'Opérations'
    assert code == 0
    assert [line for line in out.splitlines() if line.startswith("warning:")] == [
        f"warning: {sigma / 'members.json'}:$[0].entries[19] [email]: 2 members have the same address "
        "bob.ray@acme.example: ECiBauGWbdRoN5KEop6mfQHl3n0UV ('Bob.Ray@acme.example', $[0].entries[19]), "
        "8MxambFIWO73pA1UBcBVnbhOmneVq ('bob.ray@acme.example', $[0].entries[85]); all are kept (duplicate-email)",
        f"warning: {entra / 'groups.csv'}:line 13 [members]: group 'sigma-team-Data Engineering' contains itself "
        "through nesting: sigma-team-Data Engineering > Data Platform Core > sigma-team-Data Engineering "
        "(group-cycle)"]  # the sample's own two
    code, nfd = planned(capsys, tmp_path, sigma, entra, policy)
    assert code == 2  # was: 36 blocking inputs.truncated
    _, nfc = planned(capsys, tmp_path, *accented(tmp_path, NFC))
    assert nfd == nfc
    assert [i["id"] for i in nfd["review_items"] if i["blocking"]] == []
    [members] = [a["after"]["members"] for a in nfd["actions"]
                 if a["id"] == "scim.set_group_members:23fbfe33-0af1-4fd4-8e05-e2deb6b1ab06"]  # the group's file read
    assert len(members) == 14 and members[0] == "brigid.moreau@acme.example"


def test_without_a_groups_file_the_group_a_nfd_file_name_makes_is_named_in_nfc(capsys, tmp_path):
    # was: group 'Ope\u0301rations', which scope.groups' 'Opérations' did not name: a blocking
    # policy.unknown_reference and a teams.renamed_by_idp item
    nfd_code, nfd = planned(capsys, tmp_path, *accented(tmp_path, NFD, groups_file=False))
    _, nfc = planned(capsys, tmp_path, *accented(tmp_path, NFC, groups_file=False))
    assert nfd == nfc
    assert nfd_code == 2 and [i["id"] for i in nfd["review_items"] if i["blocking"]] == []
