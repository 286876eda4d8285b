"""tester16a finding 3: ``unmatched.exclude_patterns`` reads an address as every rule does, and an unclean address
whose reading decides is held, never acted on.

The tiny organization (tests/tiny_org.py: Marcus the protected admin, Ann, Zero) plus a service account no IdP user
matches, planned for real (``sigma-migrate plan`` over files in tmp_path) under ``unmatched.action: deactivate`` and
``exclude_patterns: ['^svc-[^@]+@acme\\.example$']``. The service account's email carries one class of dirt per
case. Was: the pattern was searched in the export's value, so a leading space, a trailing zero-width or no-break
space, a bidi override or a fullwidth letter made the pattern miss and the member was deactivated. Now the pattern
reads the comparison key (``planner.model.email_key``); where the export's value or a person's reading (compatibility
forms) gets another verdict and the member would not be kept otherwise, one blocking ``unmatched.unclean_address``
item names the address escaped and holds them. ``show``, the actions CSV and the HTML report print an address
with its white space, zero-width and bidi characters escaped (``\\x20``, ``\\u200b``, ``\\u202e``).
"""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

import pytest

from planner.address_patterns import AS_HELD, AS_READ, PatternMatch, Reading, address_differences, pattern_match
from planner.unsafe_characters import escape_address

from .conftest import run_cli, write
from .tiny_org import ANN, MARCUS, ZERO, POLICY, google_csv, member

SVC = "M0009xxxxxxxxxxxxxxxxxxxxxxxxx"
PATTERN = r"^svc-[^@]+@acme\.example$"
EXCLUDING = POLICY.replace("  action: deactivate\n", f"  action: deactivate\n  exclude_patterns: ['{PATTERN}']\n")
KEY_WORDS = "trimmed, Unicode NFC, control and invisible characters removed, lower case"
OTHERWISE = ("otherwise unmatched.action decides deactivate (no IdP user matches this member): held, nothing is "
             "planned for this member until the address is corrected in Sigma (export and plan again) or "
             "unmatched.decisions decides")
LINKS = ["scim.link_user:M0001xxxxxxxxxxxxxxxxxxxxxxxxx", "scim.link_user:M0005xxxxxxxxxxxxxxxxxxxxxxxxx",
         "scim.link_user:o3bcUiNHAhqVu10fs8bWxqfRdo08M"]


def org(tmp_path: Path, svc_email: str, policy: str = EXCLUDING) -> tuple[Path, Path, Path]:
    """The Sigma export (Marcus, Ann, Zero and the service account ``svc_email``), the Google export (Marcus, Ann,
    Zero) and the policy, written under ``tmp_path``."""
    sigma = tmp_path / "sigma"
    write(sigma / "members.json", json.dumps([
        member(MARCUS, "Admin", "Marcus", "marcus.webb@acme.example"),
        member(ANN, "View", "Ann", "ann.active@acme.example"),
        member(ZERO, "View", "Zero", "zero.lead@acme.example"),
        member(SVC, "View", "Svc", svc_email)]))
    write(sigma / "teams.json", '{"entries": [], "nextPage": null}')
    write(sigma / "team_members.json", "{}")
    return sigma, google_csv(tmp_path, "zero.lead@acme.example"), write(tmp_path / "policy.yaml", policy)


def plan_of(capsys, tmp_path: Path, svc_email: str, policy: str = EXCLUDING) -> dict:
    """The plan (JSON) of :func:`org`; ``plan`` exits 0."""
    sigma, idp, policy_file = org(tmp_path, svc_email, policy)
    out = tmp_path / "plan.json"
    code, _, err = run_cli(capsys, "plan", "--sigma", str(sigma), "--idp", str(idp), "--policy", str(policy_file),
                           "--out", str(out))
    assert code == 0, err
    return json.loads(out.read_text(encoding="utf-8"))


def actions(plan: dict) -> list[str]:
    return sorted(a["id"] for a in plan["actions"])


def svc_items(plan: dict) -> list[tuple[str, bool, str]]:
    return [(r["id"], r["blocking"], r["message"]) for r in plan["review_items"] if SVC in r["id"]]


def held(escaped: str, key_verdict: str, reading: str) -> list[tuple[str, bool, str]]:
    """The one ``unmatched.unclean_address`` item of the service account."""
    return [(f"unmatched.unclean_address:{SVC}", True,
             f"'{escaped}' [member {SVC}]: unmatched.exclude_patterns reads the address as {key_verdict}, "
             f"but {reading}; {OTHERWISE}")]


KEPT_BY_KEY = f"'svc-bot@acme.example' ({KEY_WORDS}), which matches '{PATTERN}'"


@pytest.mark.parametrize("email", [
    "svc-bot@acme.example",
    "SVC-Bot@Acme.Example",  # letter case: the pattern is case-insensitive, every reading agrees
    "svc-\u200bbot@acme.example",  # a zero-width space the pattern's [^@]+ takes in every reading
], ids=["clean", "mixed-case", "zero-width-inside"])
def test_an_address_every_reading_excludes_is_kept(capsys, tmp_path, email):
    plan = plan_of(capsys, tmp_path, email)
    assert actions(plan) == LINKS
    assert svc_items(plan) == []
    (row,) = [p for p in plan["people"] if p["member_id"] == SVC]
    assert row["sigma_status"] == "active"


@pytest.mark.parametrize(("email", "escaped", "differences"), [
    (" svc-bot@acme.example", "\\x20svc-bot@acme.example", "leading U+0020 SPACE"),
    ("svc-bot@acme.example\u00a0", "svc-bot@acme.example\\xa0", "trailing U+00A0 NO-BREAK SPACE"),
    ("svc-bot@acme.example\u200b", "svc-bot@acme.example\\u200b", "U+200B ZERO WIDTH SPACE at position 21"),
    ("\u202esvc-bot@acme.example", "\\u202esvc-bot@acme.example", "U+202E RIGHT-TO-LEFT OVERRIDE at position 1"),
], ids=["leading-space", "trailing-no-break-space", "trailing-zero-width", "bidi-override"])
def test_an_address_the_key_excludes_and_the_export_value_does_not_is_held(capsys, tmp_path, email, escaped,
                                                                           differences):
    plan = plan_of(capsys, tmp_path, email)
    assert actions(plan) == LINKS  # no members.deactivate of the service account
    assert svc_items(plan) == held(
        escaped, KEPT_BY_KEY,
        f"as Sigma holds it, '{escaped}', it matches no pattern (the address differs from its clean spelling: "
        f"{differences})")
    (item,) = [r for r in plan["review_items"] if SVC in r["id"]]
    assert (item["code"], item["rule"]) == ("unmatched.unclean_address", "unmatched.exclude_patterns")
    assert item["evidence"] == {"sigmaEmail": email, "differences": [differences], "address": "svc-bot@acme.example",
                                "kind": "unmatched", "memberType": "View", "userKind": "internal"}
    assert item["resolution"] == (
        f"# '{escaped}': keep (nothing is planned for them) or deactivate (members.deactivate); or correct the "
        "address in Sigma, export and plan again\n"
        f"unmatched:\n  decisions:\n    {SVC}: keep\n# or:\n# unmatched:\n#   decisions:\n#     {SVC}: deactivate\n")
    (row,) = [p for p in plan["people"] if p["member_id"] == SVC]
    assert (row["sigma_status"], row["lockout"]) == ("active", "unmatched_review")


def test_a_fullwidth_letter_the_key_keeps_and_a_reader_does_not_is_held(capsys, tmp_path):
    plan = plan_of(capsys, tmp_path, "\uff53vc-bot@acme.example")
    assert actions(plan) == LINKS
    assert svc_items(plan) == held(
        "\uff53vc-bot@acme.example",
        f"'\uff53vc-bot@acme.example' ({KEY_WORDS}), which matches no pattern",
        "as a person may read it (Unicode compatibility forms, full case folding), 'svc-bot@acme.example', it "
        f"matches '{PATTERN}' (the address differs from its clean spelling: U+FF53 FULLWIDTH "
        "LATIN SMALL LETTER S at position 1, read 's')")


@pytest.mark.parametrize("email", ["svc-bot@acme.example.", "svc-bot @acme.example"],
                         ids=["trailing-dot", "inner-space"])
def test_an_address_that_is_no_address_is_held_by_the_invalid_email_item(capsys, tmp_path, email):
    plan = plan_of(capsys, tmp_path, email)
    assert actions(plan) == LINKS
    assert svc_items(plan) == [(
        f"linking.invalid_sigma_email:{SVC}", True,
        f"member {SVC} ({tmp_path / 'sigma' / 'members.json'}:$[3]) has email '{email}', which is no valid address: "
        "no IdP user can match it, so the plan cannot tell whether the person has one; held (never deactivated or "
        "linked on it)")]


def test_dirt_that_changes_no_verdict_changes_no_decision(capsys, tmp_path):
    # no reading of ' ops@acme.example' matches the pattern: deactivated as the clean address would be
    plan = plan_of(capsys, tmp_path, " ops@acme.example")
    assert actions(plan) == sorted([f"members.deactivate:{SVC}", *LINKS])
    assert svc_items(plan) == []
    (action,) = [a for a in plan["actions"] if a["id"] == f"members.deactivate:{SVC}"]
    assert action["reason"] == ("deactivate: no IdP user matches this member; documents go to "
                                "marcus.webb@acme.example")


def test_a_member_kept_either_way_raises_nothing(capsys, tmp_path):
    policy = EXCLUDING.replace("  action: deactivate\n", "  action: keep\n")
    plan = plan_of(capsys, tmp_path, " svc-bot@acme.example", policy)
    assert actions(plan) == LINKS
    assert svc_items(plan) == []


def test_the_decision_by_member_id_settles_the_item(capsys, tmp_path):
    policy = EXCLUDING.replace("  exclude_patterns:", f"  decisions: {{{SVC}: keep}}\n  exclude_patterns:")
    plan = plan_of(capsys, tmp_path, " svc-bot@acme.example", policy)
    assert actions(plan) == LINKS
    assert [r["id"] for r in plan["review_items"] if r["blocking"]] == []
    assert [r["id"] for r in plan["review_items"] if "unused" in r["id"]] == []
    deactivate = EXCLUDING.replace("  exclude_patterns:", f"  decisions: {{{SVC}: deactivate}}\n  exclude_patterns:")
    assert actions(plan_of(capsys, tmp_path, " svc-bot@acme.example", deactivate)) == sorted(
        [f"members.deactivate:{SVC}", *LINKS])


# ------------------------------------------------------------------ show, CSV and HTML print the address escaped


def test_show_prints_a_zero_width_space_and_a_bidi_override_escaped(capsys, tmp_path):
    plan_of(capsys, tmp_path, "ops\u200b\u202e@acme.example")
    code, out, _ = run_cli(capsys, "show", str(tmp_path / "plan.json"))
    assert code == 0
    assert [ln for ln in out.splitlines() if SVC in ln] == [
        f"  - ops\\u200b\\u202e@acme.example  Svc X  [member {SVC}]  View -> -"]
    assert "\u200b" not in out and "\u202e" not in out


def test_show_prints_the_held_member_and_the_item_with_the_space_escaped(capsys, tmp_path):
    plan_of(capsys, tmp_path, " svc-bot@acme.example")
    code, out, _ = run_cli(capsys, "show", str(tmp_path / "plan.json"))
    assert code == 0
    message = (f"'\\x20svc-bot@acme.example' [member {SVC}]: unmatched.exclude_patterns reads the address as "
               f"{KEPT_BY_KEY}, but as Sigma holds it, '\\x20svc-bot@acme.example', it matches no pattern (the "
               f"address differs from its clean spelling: leading U+0020 SPACE); {OTHERWISE}")
    lines = out.splitlines()
    start = lines.index("Blocking review items: 1")
    assert lines[start + 1:start + 5] == [
        f"  ! unmatched.unclean_address:{SVC}  [blocking]", f"      {message}", "      resolve in the policy with:",
        "        # '\\x20svc-bot@acme.example': keep (nothing is planned for them) or deactivate (members.deactivate); "
        "or correct the address in Sigma, export and plan again"]
    person = lines.index(f"  ? \\x20svc-bot@acme.example  Svc X  [member {SVC}]  View")
    assert lines[person + 1] == f"      ! unmatched.unclean_address:{SVC}: {message}"


def test_the_actions_csv_and_the_report_print_the_address_escaped(capsys, tmp_path):
    plan_of(capsys, tmp_path, " ops\u200c@acme.example")  # deactivated: no reading matches the pattern
    report, actions_csv = tmp_path / "r.html", tmp_path / "a.csv"
    code, _, err = run_cli(capsys, "report", str(tmp_path / "plan.json"), "--out", str(report), "--csv",
                           str(actions_csv))
    assert code == 0, err
    rows = list(csv.DictReader(io.StringIO(actions_csv.read_text(encoding="utf-8-sig"))))
    (row,) = [r for r in rows if r["id"] == f"members.deactivate:{SVC}"]
    assert row["target"] == f"memberId={SVC}; email=\\x20ops\\u200c@acme.example"
    page = report.read_text(encoding="utf-8")
    assert "\u200c" not in page
    assert re.findall(r'"[^"]*ops[^"]*@acme\.example"', page) == ['"\\\\x20ops\\\\u200c@acme.example"']


# ------------------------------------------------------------------ the pieces


def test_escape_address_writes_every_character_an_address_never_holds():
    assert escape_address("ann@acme.example") == "ann@acme.example"
    assert escape_address(" ann@acme.example\t") == "\\x20ann@acme.example\\t"
    assert escape_address("ann\u200c\u200d@x\u00a0\u3000") == "ann\\u200c\\u200d@x\\xa0\\u3000"
    assert escape_address("jos\u00e9@\uff41cme.example") == "jos\u00e9@\uff41cme.example"  # letters are seen


def test_pattern_match_names_each_reading_that_disagrees():
    patterns = [re.compile(PATTERN, re.IGNORECASE)]
    assert pattern_match(patterns, "SVC-a@acme.example") == PatternMatch("svc-a@acme.example", PATTERN)
    assert pattern_match(patterns, "\ufeffsvc-a@acme.example") == PatternMatch(
        "svc-a@acme.example", PATTERN, (Reading(AS_HELD, "\ufeffsvc-a@acme.example", None),))
    assert pattern_match(patterns, "\uff53vc-a@acme.example") == PatternMatch(
        "\uff53vc-a@acme.example", None, (Reading(AS_READ, "svc-a@acme.example", PATTERN),))
    # the reverse: a pattern written for the value as held, which the key does not match
    held_only = [re.compile("^ ", re.IGNORECASE)]
    assert pattern_match(held_only, " a@acme.example") == PatternMatch(
        "a@acme.example", None, (Reading(AS_HELD, " a@acme.example", "^ "),))
    assert address_differences("\uff53vc@x\u200b ") == [
        "trailing U+0020 SPACE", "U+200B ZERO WIDTH SPACE at position 6",
        "U+FF53 FULLWIDTH LATIN SMALL LETTER S at position 1, read 's'"]
