"""Acknowledged downgrades and custom replacements settle only the change they record (tester8 finding 27):
``{person, from, to}`` settles that change; another change of the person is the blocking item again, naming
the entry that no longer applies (old change vs new), whose snippet is the long form for the new change; the
short form (a person) still settles any change and ``policy lint`` notes it."""

from __future__ import annotations

import yaml
from msgspec import to_builtins as wire

from .conftest import run_cli
from .plan_factory import by_id, group, member, plan, snapshot, user

TYPES = ["Admin", "Build", "Analyze", "Act", "View", "Finance Power User"]
POLICY = ("account_types:\n"
          "  group_map: {Sigma-Admins: Admin, Sigma-Build: Build, Sigma-View: View, Sigma-Analyze: Analyze}\n"
          "  precedence: [Admin, Build, Analyze, View]\n")


def helen(group_name: str, member_type: str = "Admin"):
    """Helen (m1, Admin in Sigma unless ``member_type``) is in IdP group ``group_name`` only; the root
    admin (u-root) in Sigma-Admins only (in several type groups, an account_types.several_type_groups item
    would name them)."""
    groups = [group(f"g{i}", name, (["u-root"] if i == 0 else []) + (["00u1"] if name == group_name else []))
              for i, name in enumerate(["Sigma-Admins", "Sigma-Build", "Sigma-View", "Sigma-Analyze"])]
    return snapshot([member("m1", "helen@example.com", member_type=member_type)], [user("00u1", "helen@example.com")],
                    groups=groups, account_types=TYPES)


def test_the_long_form_settles_the_change_it_records():
    p = plan(helen("Sigma-Build"), POLICY + "  acknowledged_downgrades:\n"
                                            "    - {person: helen@example.com, from: Admin, to: Build}\n")
    assert p.review_items == ()
    assert by_id(p)["scim.set_account_type:m1"].reason == "downgrade: Admin -> Build (group Sigma-Build)"


def test_an_entry_for_another_change_is_blocking_and_named():
    # Admin -> Build was acknowledged; the groups now make her View
    p = plan(helen("Sigma-View"), POLICY + "  acknowledged_downgrades:\n"
                                           "    - {person: helen@example.com, from: Admin, to: Build}\n")
    (item,) = p.review_items
    assert (item.id, item.blocking, item.rule) == ("account_types.admin_downgrade:m1", True,
                                                   "account_types.on_downgrade")
    assert item.message == (
        "the account_types.acknowledged_downgrades entry {person: helen@example.com, from: Admin, to: Build} no "
        "longer applies (written for Admin -> Build): helen@example.com would go from Admin to View (group "
        "Sigma-View); admins lose admin only when acknowledged; the entry settles only the change it records: "
        "remove it (or write it for this change)")
    assert wire(item.evidence) == {
        "change": "downgrade", "source": "group_map", "groups": ["Sigma-View"], "onDowngrade": "review",
        "accountType": "Admin", "policyAccountType": "View",
        "staleEntry": "{person: helen@example.com, from: Admin, to: Build}"}
    assert yaml.safe_load(item.resolution) == {"account_types": {"acknowledged_downgrades": [
        {"person": "helen@example.com", "from": "Admin", "to": "View"}]}}
    assert item.resolution.startswith(
        "# accept this downgrade (the entry settles this change only):\naccount_types:\n"
        "  acknowledged_downgrades:\n    - {person: helen@example.com, from: Admin, to: View}\n# or:\n")
    # the snippet settles it, and the plan is the acknowledged one
    settled = plan(helen("Sigma-View"), POLICY + "  acknowledged_downgrades:\n"
                                                 "    - {person: helen@example.com, from: Admin, to: View}\n")
    assert settled.review_items == ()
    assert by_id(settled)["scim.set_account_type:m1"].after.user_type == "View"


def test_an_entry_of_another_starting_type_no_longer_applies():
    # acknowledged while she was Build; she is Analyze in Sigma now (someone changed her), Analyze -> View
    p = plan(helen("Sigma-View", member_type="Analyze"),
             POLICY + "  acknowledged_downgrades:\n    - {person: m1, from: Build, to: View}\n")
    (item,) = p.review_items
    assert (item.id, item.blocking) == ("account_types.downgrade:m1", True)
    assert item.message.startswith(
        "the account_types.acknowledged_downgrades entry {person: m1, from: Build, to: View} no longer applies "
        "(written for Build -> View): helen@example.com would go from Analyze to View (group Sigma-View)")
    assert wire(item.evidence)["staleEntry"] == "{person: m1, from: Build, to: View}"


def test_the_short_form_still_settles_any_change_of_the_person():
    assert plan(helen("Sigma-View"), POLICY + "  acknowledged_downgrades: [helen@example.com]\n").review_items == ()


def test_a_fitting_entry_beside_a_stale_one_settles():
    p = plan(helen("Sigma-View"), POLICY + "  acknowledged_downgrades:\n"
                                           "    - {person: helen@example.com, from: Admin, to: Build}\n"
                                           "    - {person: 00u1, from: Admin, to: View}\n")
    assert p.review_items == ()


def test_block_names_no_entry_and_proposes_the_override():
    p = plan(helen("Sigma-View"), POLICY + "  on_downgrade: block\n  acknowledged_downgrades:\n"
                                           "    - {person: helen@example.com, from: Admin, to: Build}\n")
    (item,) = p.review_items
    assert item.message == ("helen@example.com would go from Admin to View (group Sigma-View); admins lose admin "
                            "only when acknowledged")
    assert "staleEntry" not in wire(item.evidence)
    assert yaml.safe_load(item.resolution) == {"account_types": {"overrides": {"helen@example.com": "Admin"}}}


def test_a_custom_replacement_entry_settles_only_its_change():
    fpu = helen("Sigma-Analyze", member_type="Finance Power User")
    entry = "  acknowledged_replacements:\n    - {person: helen@example.com, from: Finance Power User, to: Analyze}\n"
    assert plan(fpu, POLICY + entry).review_items == ()
    p = plan(helen("Sigma-Build", member_type="Finance Power User"), POLICY + entry)
    (item,) = p.review_items
    assert (item.id, item.blocking) == ("account_types.custom_replacement:m1", True)
    assert item.message.startswith(
        "the account_types.acknowledged_replacements entry {person: helen@example.com, from: Finance Power User, "
        "to: Analyze} no longer applies (written for Finance Power User -> Analyze): helen@example.com would go "
        "from Finance Power User to Build (group Sigma-Build): custom account type")
    assert item.message.endswith("; the entry settles only the change it records: remove it (or write it for "
                                 "this change)")
    assert wire(item.evidence)["staleEntry"] == "{person: helen@example.com, from: Finance Power User, to: Analyze}"
    assert (wire(item.evidence)["accountType"], wire(item.evidence)["policyAccountType"]) == (
        "Finance Power User", "Build")
    assert yaml.safe_load(item.resolution) == {"account_types": {"acknowledged_replacements": [
        {"person": "helen@example.com", "from": "Finance Power User", "to": "Build"}]}}


def test_policy_lint_notes_the_short_form_and_refuses_a_bad_long_form(tmp_path, capsys):
    policy = tmp_path / "policy.yaml"
    policy.write_text("account_types:\n  acknowledged_downgrades:\n    - helen@example.com\n"
                      "    - {person: m2, from: Admin, to: Build}\n"
                      "  acknowledged_replacements: [fiona@example.com]\n")
    code, out, _ = run_cli(capsys, "policy", "lint", str(policy))
    assert (code, out.splitlines()) == (0, [
        f"{policy}:3:7: account_types.acknowledged_downgrades[0]: note: the short form 'helen@example.com' records "
        "no change, so it settles any later one of this person; the long form {person: helen@example.com, from: "
        "<type>, to: <type>} (the snippet the review item proposes) settles only the change it was written for",
        f"{policy}:5:31: account_types.acknowledged_replacements[0]: note: the short form 'fiona@example.com' records "
        "no change, so it settles any later one of this person; the long form {person: fiona@example.com, from: "
        "<type>, to: <type>} (the snippet the review item proposes) settles only the change it was written for",
        f"{policy}: ok"])
    policy.write_text("account_types:\n  acknowledged_downgrades:\n    - {person: m2, from: Admin}\n")
    code, out, _ = run_cli(capsys, "policy", "lint", str(policy))
    assert (code, out.splitlines()) == (1, [f"{policy}:3:7: account_types.acknowledged_downgrades[0].to: Field required"])


def test_the_long_form_round_trips_through_the_plans_resolved_policy():
    import json

    from planner.policy import AcknowledgedChange, resolved_policy
    from planner.policy_reader import parse_policy

    policy = parse_policy("account_types:\n  acknowledged_downgrades:\n    - {person: m1, from: Admin, to: Build}\n"
                          "    - helen@example.com\n")
    assert policy.resolved()["account_types"]["acknowledged_downgrades"] == [
        {"person": "m1", "from": "Admin", "to": "Build"}, "helen@example.com"]
    assert resolved_policy(json.dumps(policy.resolved()).encode()).account_types.acknowledged_downgrades == [
        AcknowledgedChange.model_validate({"person": "m1", "from": "Admin", "to": "Build"}), "helen@example.com"]
