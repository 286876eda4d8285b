"""planner.rules.yaml_snippet: the policy fragment a review item offers reads back as the values it names."""

import pytest
import yaml

from planner.rules import yaml_snippet


@pytest.mark.parametrize(("value", "written"), [
    ("abc\n", '"abc\\n"'),  # `$` matched before the newline: written plain, read back as "abc"
    ("true\n", '"true\\n"'),
    ("00u1\n", '"00u1\\n"'),
    ("abc", "abc"),
    ("true", '"true"'),
])
def test_a_value_is_written_plain_only_when_the_whole_value_is_plain(value, written):
    text = yaml_snippet({"linking": {"excluded_idp_users": [value]}})
    assert text == f"linking:\n  excluded_idp_users:\n    - {written}\n"
    assert yaml.safe_load(text) == {"linking": {"excluded_idp_users": [value]}}
