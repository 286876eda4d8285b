"""One group, two members answers that differ (an older save beside the newer one): a ``group-answered-twice``
warning at the later answer naming both, an incomplete-input code, so the plan holds what the gap could change
(``inputs.truncated``), never the union of the two read in silence (tester20 finding 5: Kevin, removed from
Sigma-Build since, kept the Build account type from the old copy, 0 blocking; Okta, Entra CSV and Google alike).
The same answer asked for again, a byte copy, and answers with the same members stay silent.

Real files: samples/acme/okta and samples/acme/entra with the old copy beside them (as
/work/notes/t20-repro/16/okta-both and entra-both), and a small Google export (tests/test_incomplete_scim_google.py).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from planner.model import Severity
from planner.planfile import read_plan
from planner.sources import load_idp

from .conftest import REPO, run_cli, write
from .test_incomplete_scim_google import GOOGLE_USERS, found, google_export, member
from .test_incomplete_scim_google import plan as seed_plan

ACME = REPO / "samples" / "acme"
KEVIN, KEVIN_MEMBER = "00uyee4zpiQPgaRGn8y5", "4zQjdiCWgV4iVYkm0DjAkt5ssGb7p"
KEVIN_ENTRA = "99fa7397-dd4a-48da-b663-cd727df37bdd"
BUILD, ANALYZE = "00gOCss5XDbtcyFbKinT", "00g3ZRm1DYkqS8x5unid"
BUILD_ENTRA = "4f67aec0-3044-4ab8-8b8e-7dd24445fc97"
WORDS = ("one is a copy of unknown age (an older save beside the newer one), so the group's members are unknown; "
         "keep the current answer only (or save the group's members again) and plan again")


def okta_with_old_copy(root: Path, *, same: bool = False) -> Path:
    """samples/acme/okta plus ``group_members/<Sigma-Build id>.json``: Sigma-Build's answer of group_members.json,
    with Kevin in it as before his move to Sigma-Analyze (``same``: the answer as it is, a byte copy)."""
    shutil.copytree(ACME / "okta", root)
    answers = json.loads((ACME / "okta" / "group_members.json").read_text(encoding="utf-8"))
    old = list(answers[BUILD])
    if not same:
        old.append(next(u for u in answers[ANALYZE] if u["id"] == KEVIN))
    write(root / "group_members" / f"{BUILD}.json", json.dumps(old, indent=1))
    return root


def entra_with_old_copy(root: Path) -> Path:
    """samples/acme/entra plus Sigma-Build's "Download members" file saved earlier by its Object ID, listing
    Kevin too."""
    shutil.copytree(ACME / "entra", root)
    current = (ACME / "entra" / "group_members" / "Sigma-Build.csv").read_text(encoding="utf-8")
    write(root / "group_members" / f"{BUILD_ENTRA}.csv",
          current.rstrip("\n") + f"\n{KEVIN_ENTRA},Kevin.Brown@acme.example,Kevin Brown,User\n")
    return root


def acme_plan(capsys, tmp_path: Path, idp: Path, policy: str) -> tuple[int, object]:
    out = tmp_path / "plan.json"
    code, _, _ = run_cli(capsys, "plan", "--sigma", str(ACME / "sigma"), "--idp", str(idp), "--policy",
                         str(ACME / policy), "--out", str(out), "--detailed-exitcode")
    return code, read_plan(out)


def twice(findings) -> list[tuple]:
    return [(f.severity, f.code, f.file, f.location, f.field, f.message) for f in findings
            if f.code == "group-answered-twice"]


def okta_message(root: Path) -> str:
    """The warning of :func:`okta_with_old_copy` at ``root``."""
    return (f"group 'Sigma-Build' has two members answers that differ: {root / 'group_members.json'}:$[\"{BUILD}\"] "
            f"(18 members) and {root / 'group_members' / f'{BUILD}.json'} (19 members; e.g. {KEVIN} only in "
            f"{BUILD}.json): " + WORDS)


def test_okta_an_old_answer_file_beside_group_members_json_is_one_warning_naming_both(tmp_path):
    root = okta_with_old_copy(tmp_path / "okta")
    _, findings = load_idp(root, "okta-api")
    assert twice(findings) == [(Severity.WARNING, "group-answered-twice", str(root / "group_members" / f"{BUILD}.json"),
                                "", "", okta_message(root))]


def test_okta_the_plan_holds_kevins_upgrade_the_old_copy_decides(capsys, tmp_path):
    root = okta_with_old_copy(tmp_path / "okta")
    code, result = acme_plan(capsys, tmp_path, root, "policy-okta-reviewed.yaml")
    assert code == 3  # changes, blocked by review items (was 2: 0 blocking)
    kevin = next(a for a in result.actions if a.id == f"scim.set_account_type:{KEVIN_MEMBER}")
    assert kevin.reason == "upgrade: View -> Build (groups Sigma-Analyze, Sigma-Build, highest by precedence)"
    item = next(i for i in result.review_items if i.id == f"inputs.truncated:{kevin.id}")
    assert item.blocking and item.message == (
        f"scim.set_account_type ({kevin.reason}) rests on an export with two different members answers of one group "
        "(a copy of unknown age beside the other), so what is missing or stale may change it: "
        f"{root / 'group_members' / f'{BUILD}.json'}: " + okta_message(root))
    # nothing but the copy's doubt blocks: every blocking item is inputs.truncated
    assert {i.code for i in result.review_items if i.blocking} == {"inputs.truncated"}


def test_okta_a_byte_copy_of_the_answer_is_silent_and_the_plan_as_without_it(capsys, tmp_path):
    root = okta_with_old_copy(tmp_path / "okta", same=True)
    directory, findings = load_idp(root, "okta-api")
    assert twice(findings) == []
    assert [f.code for f in findings if f.code in ("incomplete-pages", "group-answered-twice")] == []
    build = next(g for g in directory.groups if g.id == BUILD)
    assert KEVIN not in build.member_user_ids and len(build.member_user_ids) == 18
    code, result = acme_plan(capsys, tmp_path, root, "policy-okta-reviewed.yaml")
    assert code == 2 and [i.id for i in result.review_items if i.blocking] == []
    assert next(a.reason for a in result.actions if a.id == f"scim.set_account_type:{KEVIN_MEMBER}") == (
        "upgrade: View -> Analyze (group Sigma-Analyze)")


def test_entra_csv_a_file_by_object_id_beside_the_one_by_name_is_one_warning_and_holds(capsys, tmp_path):
    root = entra_with_old_copy(tmp_path / "entra")
    _, findings = load_idp(root)
    copy, current = root / "group_members" / f"{BUILD_ENTRA}.csv", root / "group_members" / "Sigma-Build.csv"
    assert twice(findings) == [(
        Severity.WARNING, "group-answered-twice", str(current), "", "",
        f"group 'Sigma-Build' has two members answers that differ: {copy} (20 members) and {current} (19 members; "
        f"e.g. {KEVIN_ENTRA} only in {BUILD_ENTRA}.csv): " + WORDS)]
    code, result = acme_plan(capsys, tmp_path, root, "policy-entra-reviewed.yaml")
    assert code == 3
    kevin = next(a for a in result.actions if a.kind.value == "scim.set_account_type"
                 and a.target.member_id == KEVIN_MEMBER)
    assert "View -> Build" in kevin.reason
    assert next(i for i in result.review_items if i.id == f"inputs.truncated:{kevin.id}").blocking


def test_google_answers_by_id_and_by_email_that_differ_are_one_warning_and_hold_the_removal(capsys, tmp_path):
    root = google_export(tmp_path / "google", GOOGLE_USERS,
                         [member(1, "ada.admin@example.com"), member(2, "ben.builder@example.com")])
    write(root / "group_members" / "finance@example.com.json", json.dumps(
        {"kind": "admin#directory#members", "members": [member(1, "ada.admin@example.com")]}))
    directory, findings = load_idp(root)
    assert [(g.id, g.member_user_ids) for g in directory.groups] == [("g1", ("101", "102"))]  # both kept, held
    assert found(findings) == [(
        Severity.WARNING, "group-answered-twice", "g1.json", "", "",
        f"group 'Finance Analysts' has two members answers that differ: "
        f"{root / 'group_members' / 'finance@example.com.json'} (1 members) and "
        f"{root / 'group_members' / 'g1.json'} (2 members; e.g. 102 only in g1.json): " + WORDS)]
    code, _, result = seed_plan(capsys, tmp_path, root)
    assert code == 3
    held = sorted(i.id for i in result.review_items if i.code == "inputs.truncated" and i.blocking)
    assert held == ["inputs.truncated:scim.set_group_members:g1"]  # the push of the group whose members are in doubt


def test_google_the_same_members_by_id_and_by_email_are_silent(tmp_path):
    members = [member(1, "ada.admin@example.com"), member(2, "ben.builder@example.com")]
    root = google_export(tmp_path / "google", GOOGLE_USERS, members)
    write(root / "group_members" / "finance@example.com.json",
          json.dumps({"kind": "admin#directory#members", "members": members[::-1]}))
    directory, findings = load_idp(root)
    assert [(g.id, set(g.member_user_ids)) for g in directory.groups] == [("g1", {"101", "102"})]
    assert findings == []
