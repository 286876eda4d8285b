"""Every policy regular expression runs with a timeout (tester18 finding 12).

``planner.policy.compile_pattern`` compiles each pattern of the policy (``scope.groups`` and the other ``re:``
entries, ``teams.rules[].pattern``, ``unmatched.exclude_patterns``) with the ``regex`` package; a match running
longer than ``PATTERN_SECONDS`` on one value stops ``plan`` with one line naming the key (file:line:column), the
pattern and the value, exit 1, no plan written. The tester's repro 37: the sample Sigma export plus member
LongLocalPart000000000000001, ``aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa@acme.example.org`` (:func:`sigma_export`, written per
test); tests/fixtures/t18_slow_pattern/policy.yaml = policy-okta-reviewed.yaml + ``^([a-z]+\\.?)+@acme\\.example$``;
policy-too-slow.yaml: a pattern whose alternatives overlap three ways, which even ``regex`` cannot settle quickly.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from planner.policy import PATTERN_SECONDS, PatternTimeout, compile_pattern
from planner.policy_reader import parse_policy

from .conftest import run_cli

REPO = Path(__file__).resolve().parent.parent
FIXTURE = REPO / "tests" / "fixtures" / "t18_slow_pattern"
OKTA = REPO / "samples" / "acme" / "okta"
LONG = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa@acme.example.org"


LONG_MEMBER = {
    "organizationId": "255ae7f7-9a8a-4c14-a5e5-c38f677bcde2", "memberId": "LongLocalPart000000000000001",
    "memberType": "View", "firstName": "Alan", "lastName": "Brooks", "email": LONG, "profileImgUrl": None,
    "createdBy": "a2k0X05ZReoLOuaKbMMocRqhaR08A", "updatedBy": "a2k0X05ZReoLOuaKbMMocRqhaR08A",
    "createdAt": "2024-08-09T18:05:02.398Z", "updatedAt": "2025-04-18T22:18:37.398Z",
    "homeFolderId": "3be9affe-acce-4750-a345-e3de6546e76a", "userKind": "internal", "isArchived": False,
    "isInactive": False}


def sigma_export(root: Path) -> Path:
    """The sample Sigma export with :data:`LONG_MEMBER` appended to the last page of members.json."""
    shutil.copytree(REPO / "samples" / "acme" / "sigma", root)
    pages = json.loads((root / "members.json").read_text())
    pages[-1]["entries"].append(LONG_MEMBER)
    (root / "members.json").write_text(json.dumps(pages, indent=1))
    return root


def plan_argv(policy: str, out: Path) -> list[str]:
    return ["plan", "--sigma", str(sigma_export(out.parent / "sigma")), "--idp", str(OKTA), "--policy",
            str(FIXTURE / policy), "--out", str(out)]


def test_the_testers_pattern_plans_and_matches_nothing_it_should_not(capsys, tmp_path):
    """``^([a-z]+\\.?)+@acme\\.example$`` hung ``re`` on the long address (killed after 90 s); with ``regex`` it
    answers at once: the address ends in ``.org``, so no pattern keeps the member, who is deactivated as before."""
    out = tmp_path / "p.json"
    code, stdout, err = run_cli(capsys, *plan_argv("policy.yaml", out))
    assert code == 0, err
    plan = json.loads(out.read_text())
    action = next(a for a in plan["actions"] if a["id"] == "members.deactivate:LongLocalPart000000000000001")
    assert (action["rule"], action["reason"]) == (
        "unmatched.action", "deactivate: no IdP user matches this member; documents go to tomasz.nowak@acme.example")
    assert [i for i in plan["review_items"] if i["blocking"]] == []
    assert sorted(a["target"]["email"] for a in plan["actions"] if a["kind"] == "members.deactivate") == [
        LONG, "dana.whitfield+bi@acme.example", "tom.becker@acme.example"]


def test_a_pattern_too_slow_on_one_address_is_one_line_naming_key_pattern_and_value(capsys, tmp_path):
    out = tmp_path / "p.json"
    code, stdout, err = run_cli(capsys, *plan_argv("policy-too-slow.yaml", out))
    assert (code, stdout) == (1, "")
    assert err == (
        f"sigma-migrate: error: {FIXTURE / 'policy-too-slow.yaml'}:58:76: unmatched.exclude_patterns[2]: pattern "
        "'^([a-z]|[a-z0-9]|[a-z]{2})+@acme\\\\.example$' took more than 1 s on "
        f"'{LONG}' (catastrophic backtracking: a repetition of a group that can match the same text in many ways, "
        "such as (x+)+ or (x|xx)+); rewrite it without the nested repetition; no plan written\n")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["sigma"]


POLICY = """\
version: 1
scope:
  groups: ['re:Sigma-.*']
teams:
  rules:
    - {match: regex, pattern: '(x|x|xx)+y'}
"""


@pytest.mark.parametrize("source, value, where", [
    ("(x|x|xx)+y", "x" * 40, "<policy>:6:31: teams.rules[0].pattern"),
    ("Sigma-.*", "Sigma-Finance", None),
])
def test_pattern_error_names_the_key_that_holds_the_pattern(source, value, where):
    policy = parse_policy(POLICY)
    assert PATTERN_SECONDS == 1.0
    pattern = compile_pattern(source)
    if where is None:
        assert pattern.fullmatch(value) is not None
        return
    with pytest.raises(PatternTimeout) as caught:
        pattern.search(value)
    assert (caught.value.pattern, caught.value.value) == (source, value)
    assert str(policy.pattern_error(caught.value)) == (
        f"{where}: pattern {source!r} took more than 1 s on {value!r} (catastrophic backtracking: a repetition of a "
        "group that can match the same text in many ways, such as (x+)+ or (x|xx)+); rewrite it without the nested "
        "repetition; no plan written")
    assert policy.patterns() == [(("scope", "groups", 0), "Sigma-.*"), (("teams", "rules", 0, "pattern"), source)]
