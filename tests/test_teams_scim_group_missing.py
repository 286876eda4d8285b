"""A team Sigma's SCIM state links to an IdP group the export lacks (tester8 finding 20): one blocking
``teams.scim_group_missing`` item naming the team and the group SCIM has; never a removal of its members on the
absence, never the team given to another group by a name rule; ``teams.deleted_groups`` (deleted: the team
stays as Sigma's) or ``teams.map`` (renamed) settles it."""

from __future__ import annotations

import yaml
from msgspec import to_builtins as wire

from planner.model import ScimGroup

from .plan_factory import group, kinds, member, plan, review_codes, snapshot, team, user
from .test_rules_scim_state import provisioned, with_scim


def finance(*groups):
    """Team Finance (t1, Alice) linked by SCIM to IdP group g1, which the export lacks; Bob is in ``groups``."""
    return with_scim(snapshot([member("m1", "alice@example.com", "Alice", "A"), member("m2", "bob@example.com")],
                              [user("u1", "alice@example.com", first="Alice", last="A"), user("u2", "bob@example.com")],
                              list(groups), teams=[team("t1", "Finance")], memberships={"t1": ["m1"]}),
                     [provisioned("m1", "alice@example.com", "u1")],
                     [ScimGroup("t1", "Finance", "g1", ("m1",))])


RULES = "teams:\n  rules: [{match: exact}]\n"


def test_the_team_of_a_missing_group_is_one_blocking_item_and_keeps_its_members():
    p = plan(finance(), RULES)
    assert kinds(p) == [("scim.link_user", "scim.link_user:m2")]
    assert review_codes(p) == [("teams.scim_group_missing", True), ("teams.unmanaged", False)]
    item = p.review_items[0]
    assert (item.id, item.rule) == ("teams.scim_group_missing:t1", "teams.scim_state")
    assert item.message == (
        "team 'Finance' (t1) is linked by SCIM to IdP group g1 ('Finance' as SCIM has it), which the IdP export "
        "lacks: deleted in the IdP, renamed (a new group), out of the export's scope, or the export is incomplete; "
        "the plan neither gives the team to another group nor removes its 1 member(s) on the absence")
    assert wire(item.evidence) == {"externalId": "g1", "displayName": "Finance", "members": 1}
    assert yaml.safe_load(item.resolution) == {"teams": {"deleted_groups": ["g1"]}}
    assert "#   map:\n#     Finance: \"<the group's new displayName>\"\n" in item.resolution


def test_a_new_group_of_the_same_name_does_not_take_the_team_by_a_rule():
    # was: the exact-name rule gave t1 to g2 and removed Alice on g1's absence, with no item
    p = plan(finance(group("g2", "Finance", users=["u2"])), RULES)
    assert ("teams.remove_member", "teams.remove_member:t1:m1") not in kinds(p)
    assert kinds(p) == [("scim.link_user", "scim.link_user:m2")]
    assert ("teams.scim_group_missing", True) in review_codes(p)
    # nor is a second team of that name created beside it
    created = plan(finance(group("g2", "Finance", users=["u2"])), RULES + "  mode: create\n")
    assert kinds(created) == [("scim.link_user", "scim.link_user:m2")]
    assert review_codes(created) == [("teams.scim_group_missing", True), ("teams.unmanaged", False)]


def test_deleted_groups_keeps_the_team_as_sigmas():
    p = plan(finance(), RULES + "  deleted_groups: [g1]\n")
    assert kinds(p) == [("scim.link_user", "scim.link_user:m2")]
    item = p.review_items[0]
    assert (item.code, item.blocking, item.resolution) == ("teams.scim_group_missing", False, "")
    assert item.message == (
        "team 'Finance' (t1) is linked by SCIM to IdP group g1 ('Finance' as SCIM has it), which the IdP export "
        "lacks: deleted in the IdP (teams.deleted_groups), so the team stays as Sigma's, unmanaged, with its 1 "
        "member(s)")


def test_a_map_entry_gives_the_team_to_the_renamed_group():
    p = plan(finance(group("g2", "Finance Team", users=["u1", "u2"])), RULES + "  map: {Finance: Finance Team}\n")
    assert "teams.scim_group_missing" not in [code for code, _ in review_codes(p)]
    assert ("scim.set_group_members", "scim.set_group_members:g2") in kinds(p)
    assert not [k for k in kinds(p) if k[0] == "teams.remove_member"]
