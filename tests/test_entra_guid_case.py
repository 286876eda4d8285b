"""Entra object ids are GUIDs, equal whatever the letter case of their hex digits (tester21 finding 11).

A group members file whose ``Object ID`` column a script upper-cased (``ToUpper()``, PowerShell ``[guid]``
formatting) was read as 16 users "not in this users CSV, which is therefore incomplete", 51 blocking items. RFC 4122
§3: "The hexadecimal values "a" through "f" are output as lower case characters and are case insensitive on input".
The Entra loader now keys every object id it reads (users, groups, members; CSV and Graph) in lower case, as Graph
writes them (``planner.sources.entra.object_id``); Okta ids are case-sensitive and stay as read.

Real files: samples/acme/entra and samples/acme/okta, copied and edited, through the CLI; the Graph fixture.
"""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

from planner.planfile import read_plan
from planner.sources import load_idp
from planner.sources.entra import object_id

from .conftest import REPO, run_cli

ENTRA, OKTA, SIGMA = REPO / "samples/acme/entra", REPO / "samples/acme/okta", REPO / "samples/acme/sigma"
POLICY = REPO / "samples/acme/policy-entra-reviewed.yaml"
GRAPH = Path(__file__).parent / "fixtures" / "sources" / "entra_graph"


def upper_cased(tmp_path: Path, *files: str) -> Path:
    """samples/acme/entra with the id column (the first) of each of ``files`` upper-cased, as a script writes it."""
    idp = tmp_path / "entra-upper"
    shutil.copytree(ENTRA, idp)
    for name in files:
        path = idp / name
        text = path.read_text(encoding="utf-8-sig")
        delimiter = ";" if text.split("\n", 1)[0].count(";") else ","
        rows = list(csv.reader(text.splitlines(), delimiter=delimiter))
        for row in rows[1:]:
            row[0] = row[0].upper()
        with path.open("w", newline="", encoding="utf-8-sig") as f:
            csv.writer(f, delimiter=delimiter, lineterminator="\r\n").writerows(rows)
    return idp


def plan(capsys, tmp_path: Path, idp: Path, name: str):
    out = tmp_path / f"{name}.json"
    code, _, _ = run_cli(capsys, "plan", "--sigma", str(SIGMA), "--idp", str(idp), "--policy", str(POLICY),
                         "--out", str(out), "--detailed-exitcode")
    return code, read_plan(out)


def decisions(p) -> tuple:
    return ([(a.id, a.kind.value) for a in p.actions], [(i.id, i.blocking, i.message) for i in p.review_items])


def test_object_ids_are_keyed_in_lower_case_when_they_are_guids():
    assert object_id("18001311-2557-4184-BE26-0824F508A666") == "18001311-2557-4184-be26-0824f508a666"
    assert object_id("18001311-2557-4184-be26-0824f508a666") == "18001311-2557-4184-be26-0824f508a666"
    assert object_id("G2") == "G2"  # no GUID: as read
    assert object_id("00uSdaXsT70zT6UFufLT") == "00uSdaXsT70zT6UFufLT"


def test_an_upper_cased_members_file_joins_its_users_as_the_download_does(capsys, tmp_path):
    idp = upper_cased(tmp_path, "group_members/Finance.csv")
    code, out, _ = run_cli(capsys, "check", "--sigma", str(SIGMA), "--idp", str(idp))
    # was: 'warning: .../users.csv: 16 member(s) of group 'Finance' (Finance.csv line 2) are not in this users CSV...'
    assert code == 0 and "member-not-in-users" not in out
    code, upper = plan(capsys, tmp_path, idp, "upper")
    _, sample = plan(capsys, tmp_path, ENTRA, "sample")
    assert code == 2  # changes, nothing blocking, as the sample (was: 51 blocking)
    assert [i.id for i in upper.review_items if i.blocking] == []
    assert decisions(upper) == decisions(sample)


def test_an_upper_cased_users_and_groups_export_plans_the_ids_graph_writes(capsys, tmp_path):
    idp = upper_cased(tmp_path, "users.csv", "groups.csv", "group_members/Finance.csv")
    code, upper = plan(capsys, tmp_path, idp, "upper")
    _, sample = plan(capsys, tmp_path, ENTRA, "sample")
    assert decisions(upper) == decisions(sample)  # scim.create_user / externalId: the lower-case object ids


def test_a_graph_members_answer_with_upper_case_ids_joins_its_users(tmp_path):
    graph = tmp_path / "graph"
    shutil.copytree(GRAPH, graph)
    answers = json.loads((graph / "group_members.json").read_text(encoding="utf-8"))
    for answer in answers.values():
        for rec in answer["value"]:
            if rec["id"].count("-") == 4:  # the GUIDs (users), not the fixture's group ids g2, g3
                rec["id"] = rec["id"].upper()
    (graph / "group_members.json").write_text(json.dumps(answers), encoding="utf-8")
    directory, findings = load_idp(graph)
    base, base_findings = load_idp(GRAPH)
    assert [(g.id, g.member_user_ids, g.member_group_ids) for g in directory.groups] == [
        (g.id, g.member_user_ids, g.member_group_ids) for g in base.groups]
    assert [f.code for f in findings] == [f.code for f in base_findings]


def test_okta_ids_stay_case_sensitive(capsys, tmp_path):
    okta = tmp_path / "okta"
    shutil.copytree(OKTA, okta)
    answers = json.loads((okta / "group_members.json").read_text(encoding="utf-8"))
    group = next(iter(answers))
    first = answers[group][0]["id"]
    answers[group][0]["id"] = first.upper()
    (okta / "group_members.json").write_text(json.dumps(answers), encoding="utf-8")
    directory, findings = load_idp(okta)
    assert first.upper() not in {u.id for u in directory.users}  # 00u... is not 00U...: another id
    assert [(f.code, f.message) for f in findings if f.code == "member-not-in-users"] == [
        ("member-not-in-users", '1 group member(s) of group_members.json (first at $["00gFX2DIhkqtNC5jhfKN"][0]) are '
         'not in this users file, which is therefore incomplete (exported without filter=status eq "DEPROVISIONED"?): '
         'their state is unknown, so they are held (no action for them); export the users again, every status')]
