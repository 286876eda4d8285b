"""A policy account type one edit (or letter case) from a built-in one (issue 10, tester3 finding 9).

Without account_types.json the names are not checked against the organization; a name such as
``Builder`` is then a probable typo of the built-in ``Build``: the ``account_types.custom_replacement``
items, the ``account_types.names_unchecked`` item and ``check`` say "did you mean 'Build'?", as the
error with account_types.json does (one place: planner.rules.account_types.closest_account_type).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from .conftest import run_cli, write
from planner.rules.account_types import builtin_typo, closest_account_type

REPO = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize(("name", "expected"), [
    ("Builder", "Build"), ("build", "Build"), ("ADMIN", "Admin"), ("Admins", "Admin"), ("Analyse", "Analyze"),
    ("Creater", "Creator"),
    ("Build", None), ("View", None), ("Analyst", None), ("External Viewer", None), ("Data Steward", None),
    ("Finance Power User", None),
])
def test_builtin_typo(name, expected):
    assert builtin_typo(name) == expected


def test_closest_account_type_prefers_the_same_name_in_another_case():
    assert closest_account_type("data steward", ["Data Steward", "Data Stewards"]) == "Data Steward"
    assert closest_account_type("Finanse", ["Finance", "View"]) == "Finance"
    assert closest_account_type("Zzz", ["Finance", "View"]) is None


def _inputs(tmp_path: Path) -> tuple[Path, Path]:
    """tester3's dirty/sigma_no_account_types and dirty/pol_unknown_type.yaml: the Acme Sigma export
    without account_types.json, the Okta example policy with ``Sigma-Build: Builder``."""
    sigma = tmp_path / "sigma"
    shutil.copytree(REPO / "samples" / "acme" / "sigma", sigma)
    (sigma / "account_types.json").unlink()
    text = (REPO / "policies" / "examples" / "okta.yaml").read_text(encoding="utf-8")
    assert "    Sigma-Build: Build\n" in text and "[Admin, Data Steward, Build, Analyze" in text
    text = text.replace("    Sigma-Build: Build\n", "    Sigma-Build: Builder\n").replace(
        "[Admin, Data Steward, Build, Analyze", "[Admin, Data Steward, Builder, Analyze")
    return sigma, write(tmp_path / "policy.yaml", text)


def test_plan_items_say_did_you_mean(capsys, tmp_path):
    sigma, policy = _inputs(tmp_path)
    out = tmp_path / "plan.json"
    code, _, _ = run_cli(capsys, "plan", "--sigma", str(sigma), "--idp", str(REPO / "samples" / "acme" / "okta"),
                         "--policy", str(policy), "--out", str(out))
    assert code == 0
    items = json.loads(out.read_text(encoding="utf-8"))["review_items"]
    replacements = [i for i in items if i["code"] == "account_types.custom_replacement"]
    assert len(replacements) == 13 and all(i["blocking"] for i in replacements)
    assert all(i["message"].endswith(
        "custom account type 'Builder' is ranked neither by account_types.precedence nor among Sigma's built-in "
        "types, so this is neither an upgrade nor a downgrade; the permissions it grants may differ in any "
        "direction; 'Builder' is no built-in account type: did you mean 'Build'?") for i in replacements)
    [unchecked] = [i["message"] for i in items if i["code"] == "account_types.names_unchecked"]
    assert unchecked == (
        "the Sigma export has no account_types.json, so the plan cannot know whether the organization has the "
        "account types the policy names, nor how Sigma spells them; Sigma matches userType case-sensitively and "
        "rejects a name it does not know; 'Builder' is no built-in account type: did you mean 'Build'?: fetch the "
        "Sigma export again (`sigma-migrate fetch` writes account_types.json from GET /v2/accountTypes), or add "
        "that file to the export, then plan again")


def test_check_says_did_you_mean_at_the_policy_lines(capsys, tmp_path):
    sigma, policy = _inputs(tmp_path)
    code, out, err = run_cli(capsys, "check", "--sigma", str(sigma), "--idp", str(REPO / "samples" / "acme" / "okta"),
                             "--policy", str(policy))
    assert code == 0
    lines = [line for line in (out + err).splitlines() if "(account-type-typo)" in line]
    assert lines == [
        f"warning: {policy}:84:18 [account_types.group_map.Sigma-Build]: 'Builder' is no built-in account type: "
        "did you mean 'Build'? (account-type-typo)",
        f"warning: {policy}:89:37 [account_types.precedence.2]: 'Builder' is no built-in account type: "
        "did you mean 'Build'? (account-type-typo)",
    ]


def test_with_account_types_json_the_plan_refuses_the_name(capsys, tmp_path):
    _, policy = _inputs(tmp_path)
    code, _, err = run_cli(capsys, "plan", "--sigma", str(REPO / "samples" / "acme" / "sigma"), "--idp",
                           str(REPO / "samples" / "acme" / "okta"), "--policy", str(policy),
                           "--out", str(tmp_path / "plan.json"))
    assert code != 0 and "'Builder' is not an account type of this organization" in err
    assert "did you mean 'Build'?" in err


def test_with_account_types_json_check_says_what_plan_refuses_with(capsys, tmp_path):
    # issue 10, fix-items item 6: check gave no word where plan refused "did you mean 'Build'?"
    _, policy = _inputs(tmp_path)
    sigma, okta = str(REPO / "samples" / "acme" / "sigma"), str(REPO / "samples" / "acme" / "okta")
    code, out, err = run_cli(capsys, "check", "--sigma", sigma, "--idp", okta, "--policy", str(policy))
    assert code == 1
    said = ("'Builder' is not an account type of this organization (Sigma matches userType case-sensitively); "
            "did you mean 'Build'? Known: Act, Admin, Analyze, Build, Data Steward, External Viewer, View")
    lines = [line for line in (out + err).splitlines() if "(unknown-account-type)" in line]
    assert lines == [f"error: {policy}:84:18 [account_types.group_map.Sigma-Build]: {said} (unknown-account-type)",
                     f"error: {policy}:89:37 [account_types.precedence.2]: {said} (unknown-account-type)"]
    assert "(account-type-typo)" not in out + err
    code, _, err = run_cli(capsys, "plan", "--sigma", sigma, "--idp", okta, "--policy", str(policy),
                           "--out", str(tmp_path / "plan.json"))
    assert (code, err) == (1, f"sigma-migrate: error: {policy}:84:18: account_types.group_map.'Sigma-Build': {said}\n")


def test_an_admin_type_the_organization_lacks_is_refused_at_its_line(capsys, tmp_path):
    # tester12 finding 7g: `guards.admin_account_types: [Org Admin]` (the org calls it Admin) was taken, so the
    # owner guards and the last-admin guard counted no one as admin; written in another letter case it is the
    # guards' own (case-insensitive) name and stays accepted
    text = (REPO / "samples" / "acme" / "policy-okta.yaml").read_text(encoding="utf-8")
    assert "\nguards:" not in text
    policy = write(tmp_path / "policy.yaml", text + "\nguards:\n  admin_account_types: [admin, Org Admin]\n")
    line = len(text.splitlines()) + 3
    sigma, okta = str(REPO / "samples" / "acme" / "sigma"), str(REPO / "samples" / "acme" / "okta")
    said = ("'Org Admin' is not an account type of this organization (so the guards would count no one of it as "
            "admin); did you mean 'Admin'? Known: Act, Admin, Analyze, Build, Data Steward, External Viewer, View")
    code, out, err = run_cli(capsys, "check", "--sigma", sigma, "--idp", okta, "--policy", str(policy))
    assert code == 1
    assert [x for x in (out + err).splitlines() if "(unknown-account-type)" in x] == [
        f"error: {policy}:{line}:32 [guards.admin_account_types.1]: {said} (unknown-account-type)"]
    code, _, err = run_cli(capsys, "plan", "--sigma", sigma, "--idp", okta, "--policy", str(policy),
                           "--out", str(tmp_path / "plan.json"))
    assert (code, err) == (1, f"sigma-migrate: error: {policy}:{line}:32: guards.admin_account_types[1]: {said}\n")
    assert not (tmp_path / "plan.json").exists()
