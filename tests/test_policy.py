"""Policy files: the shipped ones load, and every kind of mistake is one line naming file:line:column."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from planner.policy import KEEP, MatchKey, Policy, PolicyError
from planner.policy_reader import load_policy, parse_policy

REPO = Path(__file__).resolve().parent.parent


def error_of(text: str) -> str:
    with pytest.raises(PolicyError) as exc:
        parse_policy(text, "p.yaml")
    message = str(exc.value)
    assert "\n" not in message
    return message


# --------------------------------------------------------------------------- shipped policies


def test_default_policy_is_the_schema_defaults():
    policy = load_policy(REPO / "policies" / "default.yaml")
    assert policy.resolved() == Policy().resolved()
    assert policy.unmatched.action == "review"
    assert policy.user_name_guard.on_mismatch == "review"
    assert policy.account_types.default == KEEP
    assert [k.name for k in policy.linking.match_keys] == [
        "user_name", "emails", "domain_aliases", "plus_address_folding"
    ]


@pytest.mark.parametrize("name", ["okta.yaml", "entra.yaml"])
def test_example_policies_load(name):
    policy = load_policy(REPO / "policies" / "examples" / name)
    assert policy.organization.scim_setup_admin == "priya.raman@acme.example"
    assert policy.account_types.precedence[0] == "Admin"
    assert policy.origin.path.endswith(name)
    assert len(policy.origin.sha256) == 64


def test_every_key_of_the_default_policy_is_documented():
    doc = (REPO / "docs" / "policy.md").read_text(encoding="utf-8")
    resolved = Policy().resolved()

    def keys(value, prefix=""):
        for k, v in value.items():
            yield prefix + k
            free_form = k in ("domain_aliases", "group_map", "map", "decisions", "overrides")
            if isinstance(v, dict) and not free_form and prefix.count(".") < 2:
                yield from keys(v, prefix + k + ".")

    missing = [k for k in keys(resolved) if f"`{k}`" not in doc]
    assert missing == []


def test_resolved_policy_parses_back_to_itself():
    text = """
linking:
  match_keys: [user_name, {attribute: {idp: employeeNumber, sigma: employeeId}}]
  overrides:
    - {idp: 00u1, member: m1}
teams:
  rules:
    - {match: regex, pattern: '^sigma-team-(.+)$', replace: '\\1'}
guards:
  thresholds:
    deactivations: null
    downgrades: {count: 3}
"""
    policy = parse_policy(text, "p.yaml")
    again = parse_policy(yaml.safe_dump(policy.resolved()), "again.yaml")
    assert again.resolved() == policy.resolved()
    assert again.guards.thresholds.deactivations is None
    assert again.linking.match_keys[1] == MatchKey(name="attribute", attribute={"idp": "employeeNumber",
                                                                              "sigma": "employeeId"})


# --------------------------------------------------------------------------- values


def test_null_section_and_null_key_mean_the_default():
    policy = parse_policy("teams:\nunmatched:\n  action: null\n", "p.yaml")
    assert policy.teams == Policy().teams
    assert policy.unmatched.action == "review"


def test_threshold_null_switches_the_check_off():
    policy = parse_policy("guards:\n  thresholds:\n    deactivations: null\n", "p.yaml")
    assert policy.guards.thresholds.deactivations is None
    assert policy.guards.thresholds.downgrades.percent == 10


def test_a_number_where_an_id_belongs_is_refused_and_quoted_it_is_read():
    # YAML 1.1 would read 0104458 as octal; every unquoted number is refused, not re-spelled
    with pytest.raises(PolicyError) as exc:
        parse_policy("linking:\n  overrides:\n    - {idp: 104458, member: m1}\n", "p.yaml")
    assert str(exc.value) == ("p.yaml:3:13: linking.overrides[0].idp: Input should be a valid string "
                              "(quote the value in YAML: YAML reads 104458 as the number 104458)")
    policy = parse_policy("linking:\n  overrides:\n    - {idp: '104458', member: m1}\n", "p.yaml")
    assert policy.linking.overrides[0].idp == "104458"


def test_domain_aliases_are_normalized():
    policy = parse_policy("linking:\n  domain_aliases: {OldCorp.Example: example.com}\n", "p.yaml")
    assert policy.linking.domain_aliases == {"oldcorp.example": "example.com"}


def test_location_points_at_a_key():
    policy = parse_policy("version: 1\naccount_types:\n  precedence: [Admin, View]\n", "p.yaml")
    assert policy.location("account_types", "precedence") == "p.yaml:3:15"
    assert policy.location("account_types", "precedence", 1) == "p.yaml:3:23"
    assert policy.location("teams") == "p.yaml:1:1"
    assert Policy().location("teams") == "<policy>"


# --------------------------------------------------------------------------- errors


def test_unknown_key_names_line_column_and_suggests():
    text = "version: 1\nlinking:\n  match_keys: [user_name]\n  overides: []\n"
    assert error_of(text) == (
        "p.yaml:4:3: linking: unknown key 'overides' (did you mean 'overrides'?); allowed here: match_keys, "
        "domain_aliases, plus_address_folding, scim_user_name, name_hints, archived_members, overrides, duplicates, "
        "excluded_idp_users, scim_state_conflicts, second_accounts, reused_addresses"
    )


def test_unknown_top_level_section():
    assert error_of("guard:\n  min_idp_users: 3\n").startswith(
        "p.yaml:1:1: (top level): unknown key 'guard' (did you mean 'guards'?)"
    )


def test_wrong_type():
    assert error_of("organization:\n  scim_setup_admin: [a, b]\n") == (
        "p.yaml:2:21: organization.scim_setup_admin: Input should be a valid string"
    )
    assert error_of("linking:\n  plus_address_folding: maybe\n") == (
        "p.yaml:2:25: linking.plus_address_folding: Input should be a valid boolean (true or false, unquoted)"
    )


def test_wrong_choice():
    assert error_of("unmatched:\n  action: nuke\n") == (
        "p.yaml:2:11: unmatched.action: Input should be 'keep', 'deactivate' or 'review'"
    )


def test_bad_regex_in_a_group_map_key():
    assert error_of("account_types:\n  group_map:\n    \"re:[bad\": View\n") == (
        "p.yaml:3:5: account_types.group_map.'re:[bad': bad regular expression '[bad': "
        "unterminated character set at position 0"
    )


def test_bad_regex_in_a_team_rule_and_a_bad_replacement():
    assert error_of("teams:\n  rules:\n    - match: regex\n      pattern: '^(a'\n") == (
        "p.yaml:4:16: teams.rules[0].pattern: bad regular expression '^(a': missing ), unterminated subpattern "
        "at position 1"
    )
    assert error_of("teams:\n  rules:\n    - {match: regex, pattern: '^(a)$', replace: '\\2'}\n").startswith(
        "p.yaml:3:49: teams.rules[0].replace: bad replacement '\\\\2' for pattern '^(a)$': invalid group reference 2"
    )


def test_bad_regex_in_exclude_patterns_and_scope():
    assert error_of("unmatched:\n  exclude_patterns: ['(']\n").startswith(
        "p.yaml:2:22: unmatched.exclude_patterns[0]: bad regular expression '('"
    )
    assert error_of("scope:\n  groups: ['re:*x']\n").startswith("p.yaml:2:12: scope.groups[0]: bad regular expression")


def test_rule_shape_errors():
    assert error_of("teams:\n  rules:\n    - {match: regex}\n") == (
        "p.yaml:3:7: teams.rules[0]: a regex rule needs a pattern"
    )
    assert error_of("teams:\n  rules:\n    - {match: exact, pattern: x}\n") == (
        "p.yaml:3:7: teams.rules[0]: pattern/replace are only for regex rules, not 'exact'"
    )


def test_match_key_errors():
    assert error_of("linking:\n  match_keys: [user_name, foo]\n").startswith(
        "p.yaml:2:27: linking.match_keys[1]: unknown match key 'foo'"
    )
    assert error_of("linking:\n  match_keys: [user_name, user_name]\n") == (
        "p.yaml:2:15: linking.match_keys: match key 'user_name' is listed twice"
    )
    assert error_of("linking:\n  plus_address_folding: true\n  match_keys: [user_name]\n") == (
        "p.yaml:2:3: linking: plus_address_folding is true but 'plus_address_folding' is not in match_keys"
    )


def test_override_errors():
    text = "linking:\n  overrides:\n    - {idp: 00u1, member: m1}\n    - {idp: 00u1, member: m2}\n"
    assert error_of(text) == "p.yaml:3:5: linking.overrides: IdP user '00u1' has two overrides (entries 0 and 1)"
    assert error_of("linking:\n  overrides:\n    - {idp: 00u1, member: m1, why: x}\n") == (
        "p.yaml:3:31: linking.overrides[0]: unknown key 'why'; allowed here: idp, member"
    )


def test_threshold_errors():
    assert error_of("guards:\n  thresholds:\n    deactivations: {percent: 120}\n") == (
        "p.yaml:3:30: guards.thresholds.deactivations.percent: Input should be less than or equal to 100"
    )
    assert error_of("guards:\n  thresholds:\n    deactivations: {}\n") == (
        "p.yaml:3:20: guards.thresholds.deactivations: a threshold needs count and/or percent"
    )


def test_targets_refuse_credentials():
    assert error_of("targets:\n  scim_base_url: https://u:p@sigma.example/scim\n") == (
        "p.yaml:2:18: targets.scim_base_url: a base URL must not carry credentials or a query; secrets come "
        "from the environment"
    )


def test_duplicate_key():
    assert error_of("teams:\n  mode: link\n  mode: create\n") == "p.yaml:3:3: duplicate key 'mode' (first at line 2)"


def test_not_yaml_and_not_a_mapping():
    assert error_of("teams: [unclosed\n") == "p.yaml:2:1: not valid YAML: expected ',' or ']', but got '<stream end>'"
    assert error_of("- a\n- b\n") == "p.yaml:1:1: a policy is a YAML mapping of sections, not list"


def test_unreadable_file(tmp_path):
    with pytest.raises(PolicyError) as exc:
        load_policy(tmp_path / "missing.yaml")
    assert str(exc.value) == f"{tmp_path / 'missing.yaml'}: cannot read policy file: No such file or directory"


def test_an_empty_file_is_an_error_not_the_defaults(tmp_path):
    path = tmp_path / "empty.yaml"
    path.write_text("# nothing decided yet\n")
    with pytest.raises(PolicyError) as exc:
        load_policy(path)
    assert str(exc.value) == (f"{path}:1:1: the policy is empty: write at least `version: 1` and the sections "
                              "you decide (policies/default.yaml lists every key)")
    assert load_policy(_write(tmp_path / "v.yaml", "version: 1\n")).resolved() == Policy().resolved()


def _write(path, text):
    path.write_text(text)
    return path
