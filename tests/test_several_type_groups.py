"""Tester9 finding F8: people in groups of different account types are named, and under Entra ID a protected
person among them holds the plan until the policy confirms the type, on the bundled Acme exports through the
CLI (real files: plan, show's JSON, handoff): the exact items, messages, snippet and hand-off rows.

In the bundled exports priya.raman (organization.scim_setup_admin) is in Sigma-Admins and Sigma-Viewers,
daniel.kim in Sigma-Build and Sigma-Analyze, hannah.moore in Sigma-Data-Stewards and Sigma-Analyze.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import yaml

from planner.cli import main
from planner.planfile import read_plan

SAMPLES = Path(__file__).resolve().parent.parent / "samples" / "acme"
CONFIRMED = "  several_type_groups_confirmed: {priya.raman@acme.example: Admin}\n"

PEOPLE = [
    ("daniel.kim@acme.example", ["Sigma-Analyze", "Sigma-Build"], ["Build"]),
    ("hannah.moore@acme.example", ["Sigma-Analyze", "Sigma-Data-Stewards"], ["Data Steward"]),
    ("priya.raman@acme.example", ["Sigma-Admins", "Sigma-Viewers"], ["Admin"]),
]
HOW = {
    "entra": ("Entra sends one app role per person (SingleAppRoleAssignment) and does not choose by "
              "account_types.precedence: give each of them one type group (or one app role), the type named, or "
              "its push may send another"),
    "okta": ("Okta sends the userType of the person's highest-priority group assignment (the Sigma app > "
             "Assignments > Groups, Prioritize): order the type groups as account_types.precedence"),
}
PRIYA = ("priya.raman@acme.example is organization.scim_setup_admin (the SCIM token belongs to them) and is in type "
         "groups Sigma-Admins, Sigma-Viewers: the plan chose Admin by account_types.precedence, but Entra sends one "
         "app role per person (SingleAppRoleAssignment) and does not choose by precedence, so its first push may "
         "send another type: remove them from every type group but one giving Admin in Entra and export again, or "
         "confirm that Entra sends them Admin")


def reviewed(tmp_path: Path, flavour: str, confirmation: str | None) -> Path:
    """The bundled reviewed policy of ``flavour`` with Priya's confirmation replaced by ``confirmation``
    (``None``: left out)."""
    text = (SAMPLES / f"policy-{flavour}-reviewed.yaml").read_text(encoding="utf-8")
    if flavour == "entra":
        assert CONFIRMED in text
        text = text.replace(CONFIRMED, confirmation or "")
    out = tmp_path / f"policy-{flavour}.yaml"
    out.write_text(text, encoding="utf-8")
    return out


def plan_of(tmp_path: Path, flavour: str, confirmation: str | None = None):
    out = tmp_path / f"{flavour}.json"
    main(["plan", "--sigma", str(SAMPLES / "sigma"), "--idp", str(SAMPLES / flavour),
          "--policy", str(reviewed(tmp_path, flavour, confirmation)), "--out", str(out)])
    return out, read_plan(out)


def several_item(p):
    [item] = [i for i in p.review_items if i.code == "account_types.several_type_groups"]
    return item


def listed(item) -> list[tuple]:
    return [(c.email, list(c.groups), list(c.account_types)) for c in item.candidates]


def test_under_entra_everyone_in_several_type_groups_is_named_and_the_scim_setup_admin_holds_the_plan(
        tmp_path: Path):
    _, p = plan_of(tmp_path, "entra")
    item = several_item(p)
    assert (item.id, item.blocking, listed(item)) == ("account_types.several_type_groups:all", False, PEOPLE)
    assert item.message == ("3 person(s) are in groups of different account types; the plan gives each the type "
                            "listed (the highest by account_types.precedence, or their override): " + HOW["entra"])
    [held] = p.blocking_items
    assert (held.id, held.message) == (
        "account_types.protected_several_type_groups:IdQgzZz22upwrg72mX8PcOW4BlQ16", PRIYA)
    assert yaml.safe_load(held.resolution) == {
        "account_types": {"several_type_groups_confirmed": {"priya.raman@acme.example": "Admin"}}}
    # the snippet settles it (the bundled reviewed policy carries it)
    _, settled = plan_of(tmp_path, "entra", CONFIRMED)
    assert (settled.blocking_items, listed(several_item(settled))) == ((), PEOPLE)
    # a confirmation of another type than the plan's choice no longer applies: named
    _, stale = plan_of(tmp_path, "entra", "  several_type_groups_confirmed: {priya.raman@acme.example: View}\n")
    [held] = stale.blocking_items
    assert held.message == ("the account_types.several_type_groups_confirmed entry priya.raman@acme.example: View no "
                            "longer applies (the plan chose Admin): " + PRIYA)


def test_under_okta_they_are_named_with_the_group_priority_to_set_and_nothing_blocks(tmp_path: Path):
    _, p = plan_of(tmp_path, "okta")
    item = several_item(p)
    assert (item.blocking, listed(item), p.blocking_items) == (False, PEOPLE, ())
    assert item.message.endswith("or their override): " + HOW["okta"])


def test_the_entra_hand_off_lists_them_in_a_csv_and_the_readme(tmp_path: Path):
    plan_path, _ = plan_of(tmp_path, "entra", CONFIRMED)
    main(["handoff", str(plan_path), "--idp", "entra", "--out", str(tmp_path / "ho")])
    rows = list(csv.reader(io.StringIO((tmp_path / "ho" / "several_type_groups.csv").read_text(encoding="utf-8-sig"))))
    assert rows == [["person", "idp_user_name", "groups", "account_type"],
                    ["daniel.kim@acme.example", "daniel.kim@acme.example", "Sigma-Analyze, Sigma-Build", "Build"],
                    ["hannah.moore@acme.example", "hannah.moore@acme.example", "Sigma-Analyze, Sigma-Data-Stewards",
                     "Data Steward"],
                    ["priya.raman@acme.example", "priya.raman@acme.example", "Sigma-Admins, Sigma-Viewers", "Admin"]]
    readme = (tmp_path / "ho" / "README.md").read_text(encoding="utf-8")
    assert ("| priya.raman@acme.example | priya.raman@acme.example | Sigma-Admins, Sigma-Viewers | Admin |"
            in readme.split("## People in several account-type groups (several_type_groups.csv)")[1])
