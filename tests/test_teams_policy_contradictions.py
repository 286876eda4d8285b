"""``teams`` entries that contradict Sigma's SCIM links, the IdP export or each other are refused by ``plan`` as
one policy error naming the entry (and the other entry) by ``file:line:column`` (an identity leftover of tester8
finding 20: each was followed in silence, one entry winning). ``policy lint`` reads no export, so ``plan`` is
where they are seen (:func:`planner.rules.teams.check_scim_links`)."""

from __future__ import annotations

import pytest

from planner.model import ScimGroup
from planner.policy import PolicyError

from .conftest import run_cli
from .plan_factory import group, kinds, member, plan, snapshot, team, user
from .test_incomplete_inputs import PEOPLE, POLICY, okta_export
from .test_incomplete_sigma import FINANCE, seed
from .test_rules_scim_state import provisioned, with_scim
from .test_scim_state_items import ADMIN, provisioned_finance

ALICE, BOB = member("m1", "alice@example.com", "Alice", "A"), member("m2", "bob@example.com")
UALICE, UBOB = user("u1", "alice@example.com", first="Alice", last="A"), user("u2", "bob@example.com")
NEW = group("g2", "Finance Team", ["u1", "u2"])


def finance(*groups):
    """Team Finance (t1, Alice), linked by Sigma's SCIM state to IdP group g1; the IdP export's ``groups``."""
    return with_scim(snapshot([ALICE, BOB], [UALICE, UBOB], list(groups), teams=[team("t1", "Finance")],
                              memberships={"t1": ["m1"]}),
                     [provisioned("m1", "alice@example.com", "u1")], [ScimGroup("t1", "Finance", "g1", ("m1",))])


def refused(snap, policy: str) -> str:
    with pytest.raises(PolicyError) as caught:
        plan(snap, policy)
    return str(caught.value)


def test_a_map_entry_and_deleted_groups_saying_opposite_things_of_one_team_name_both_lines():
    # was: the map entry won and the deleted_groups entry (the team stays Sigma's, unmanaged) was dropped in silence
    assert refused(finance(NEW), "teams:\n  deleted_groups: [g1]\n  map: {Finance: Finance Team}\n") == (
        "policy.yaml:18:14: teams.map.Finance: gives team 'Finance' to IdP group 'Finance Team', while "
        "teams.deleted_groups[0] at policy.yaml:16:5 keeps it as Sigma's, unmanaged (IdP group g1, which Sigma's "
        "SCIM state links it to, deleted): keep the one entry that says what happened (the team follows the new "
        "group, or stays Sigma's)")
    # either entry alone plans
    assert ("scim.set_group_members", "scim.set_group_members:g2") in kinds(
        plan(finance(NEW), "teams:\n  map: {Finance: Finance Team}\n"))
    assert kinds(plan(finance(NEW), "teams:\n  deleted_groups: [g1]\n")) == [("scim.link_user", "scim.link_user:m2")]


def test_a_deleted_group_the_idp_export_has_is_refused():
    # was: ignored in silence, the SCIM link kept the team the group's
    assert refused(finance(group("g1", "Finance", ["u1"])), "teams:\n  deleted_groups: [g1]\n") == (
        "policy.yaml:16:5: teams.deleted_groups[0]: says IdP group g1 was deleted, but the IdP export has it "
        "('Finance'); Sigma's SCIM state links team 'Finance' (t1) to it, and the team stays the group's: remove the "
        "entry (or export the IdP again if the export is older than the deletion)")
    assert refused(finance(group("g1", "Finance", ["u1"]), NEW), "teams:\n  deleted_groups: [g2]\n") == (
        "policy.yaml:16:5: teams.deleted_groups[0]: says IdP group g2 was deleted, but the IdP export has it "
        "('Finance Team'): remove the entry (or export the IdP again if the export is older than the deletion)")


def test_a_map_entry_moving_a_scim_linked_team_to_another_group_is_refused():
    # was: the SCIM link won, and group Finance Team was neither linked nor created, with no item
    assert refused(finance(group("g1", "Finance", ["u1"]), NEW), "teams:\n  map: {Finance: Finance Team}\n") == (
        "policy.yaml:16:14: teams.map.Finance: gives team 'Finance' to IdP group 'Finance Team', but Sigma's SCIM "
        "state links it (t1) to IdP group g1 ('Finance'), which the IdP export has: a team's SCIM link is Sigma's and "
        "wins, the plan cannot move it to another group; remove the entry, or unlink the team from that group in the "
        "IdP, export again and plan again")
    # a map entry naming the group SCIM links the team to agrees with it
    assert kinds(plan(finance(group("g1", "Finance", ["u1"]), NEW), "teams:\n  map: {Finance: Finance}\n")) == [
        ("scim.link_user", "scim.link_user:m2")]


def test_plan_refuses_it_in_one_line_from_real_exports(capsys, tmp_path):
    """The sandbox seed's Sigma export with Sigma's SCIM state linking team Finance Analysts to Okta group 00g1,
    which the Okta export has, and a policy listing 00g1 as deleted: exit 1, one line, nothing written."""
    sigma = seed(tmp_path)
    provisioned_finance(sigma, [ADMIN])
    policy = tmp_path / "policy.yaml"
    policy.write_text(POLICY + "teams:\n  deleted_groups: ['00g1']\n", encoding="utf-8")
    out = tmp_path / "plan.json"
    code, _, err = run_cli(capsys, "plan", "--sigma", str(sigma), "--idp", str(okta_export(tmp_path / "okta", PEOPLE)),
                           "--policy", str(policy), "--out", str(out))
    assert (code, err.strip(), out.exists()) == (1, (
        f"sigma-migrate: error: {policy}:14:20: teams.deleted_groups[0]: says IdP group 00g1 was deleted, but the IdP "
        f"export has it ('Finance Analysts'); Sigma's SCIM state links team 'Finance Analysts' ({FINANCE}) to it, and "
        "the team stays the group's: remove the entry (or export the IdP again if the export is older than the "
        "deletion)"), False)
