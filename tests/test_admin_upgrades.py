"""Tester18 finding 5: gaining an admin account type is reviewed as losing one is.

A person the plan would give an admin account type (``guards.admin_account_types``) who holds none today (a linked
member's upgrade, a create or a reactivation born with one, a guest converted into one) is one blocking
``account_types.admin_upgrade`` item naming how they gain it and the groups and ``group_map`` keys giving it (a
``re:`` pattern said), until an ``account_types.acknowledged_admin_upgrades`` entry ``{person, to}`` records that
type for them (an entry recording another type is named); someone who is Admin and stays Admin is asked nothing.
The person row's ``admin_change`` counts creates born Admin as ``gains`` (``show``'s "Admin types gained or
changed"). Was: a broad ``"re:.*Admins$": Admin`` gave four people Admin through a "Finance Admins" group and the
exact mapping created five people Admin, 0 blocking, ``show`` counting 4.

Small literal organizations first, then the tester's repros as real files: samples/acme/okta copied with the
changes of tests/fixtures/t18_admin/okta_changes.json.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import yaml

from .conftest import run_cli
from .plan_factory import by_id, group, member, plan, review_codes, snapshot, user
from planner.model import AdminChange
from planner.outcomes import admin_change, gains_admin
from planner.planfile import read_plan
from planner.policy import PolicyError

REPO = Path(__file__).resolve().parent.parent
ACME = REPO / "samples" / "acme"
CHANGES = json.loads((Path(__file__).resolve().parent / "fixtures" / "t18_admin" / "okta_changes.json")
                     .read_text("utf-8"))
ADMIN = frozenset({"admin"})
CODE = "account_types.admin_upgrade"
WHY = ("; an admin account type administers the organization (every member and document, the API), so gaining one "
       "is acknowledged person by person, as losing one is")
GROUP_NOTE = ("# if the group is not meant to give it: take them out of it in the IdP, or write the "
              "account_types.group_map key so that it does not match it, export again and plan again\n")
MAP = "account_types:\n  group_map: {Sigma-Admins: Admin}\n  default: View\n  new_user_default: View\n"
TYPES = ["Admin", "Org Admin", "View"]


def items(p, code=CODE):
    return {r.id: r for r in p.review_items if r.code == code}


# --------------------------------------------------------------------------- the one rule

def test_gains_admin_is_an_admin_type_held_by_no_one_active_today():
    assert gains_admin("View", "Admin", "active", ADMIN)  # an upgrade
    assert gains_admin(None, "Admin", None, ADMIN)  # a create
    assert gains_admin("Admin", "Admin", "archived", ADMIN)  # a reactivation: an archived admin holds none today
    assert gains_admin("View", "admin", "inactive", ADMIN)
    assert not gains_admin("Admin", "Admin", "active", ADMIN)  # Admin stays Admin
    assert not gains_admin("Admin", "ADMIN", "active", ADMIN)
    assert not gains_admin("View", "Build", "active", ADMIN)
    assert not gains_admin(None, None, None, ADMIN)
    assert not gains_admin("Org Admin", "Admin", "active", frozenset({"admin", "org admin"}))  # admin to admin


def test_admin_change_counts_a_create_born_admin_as_gained():
    assert admin_change(None, "Admin", None, None, ADMIN) is AdminChange.GAINS  # was: None, counted nowhere
    assert admin_change("Admin", "Admin", "archived", None, ADMIN) is AdminChange.GAINS  # reactivated
    assert admin_change("View", "Admin", "active", None, ADMIN) is AdminChange.GAINS
    assert admin_change("Admin", "Admin", "active", None, ADMIN) is None
    assert admin_change(None, "View", None, None, ADMIN) is None
    assert admin_change("Admin", "View", "active", None, ADMIN) is AdminChange.LOSES
    assert admin_change("Admin", "Org Admin", "active", None, frozenset({"admin", "org admin"})) is AdminChange.CHANGES


# --------------------------------------------------------------------------- small literal organizations

def upgrades(acknowledged: str = ""):
    """vera View -> Admin (linked), nick created Admin, arch archived Admin reactivated, gus a guest converted into
    Admin, ada Admin staying Admin; all in Sigma-Admins. ``acknowledged``: lines under ``account_types``."""
    snap = snapshot(
        [member("m-vera", "vera@example.com", "Vera", "V", member_type="View"),
         member("m-arch", "arch@example.com", "Arch", "A", member_type="Admin", archived=True),
         member("m-gus", "gus@partner.example", "Gus", "G", member_type="View", user_kind="guest"),
         member("m-ada", "ada@example.com", "Ada", "A", member_type="Admin")],
        [user("u-vera", "vera@example.com", first="Vera", last="V"), user("u-nick", "nick@example.com"),
         user("u-arch", "arch@example.com", first="Arch", last="A"), user("u-gus", "gus@partner.example", first="Gus", last="G"),
         user("u-ada", "ada@example.com", first="Ada", last="A")],
        [group("g-admins", "Sigma-Admins", users=["u-root", "u-vera", "u-nick", "u-arch", "u-gus", "u-ada"])],
        account_types=TYPES,
    )
    return plan(snap, MAP + acknowledged + "linking:\n  archived_members: reactivate\nguests:\n  action: convert\n")


def test_each_way_of_gaining_admin_is_a_blocking_item():
    p = upgrades()
    found = items(p)
    assert sorted(found) == [f"{CODE}:m-arch", f"{CODE}:m-gus", f"{CODE}:m-vera", f"{CODE}:u-nick"]
    given = "(guards.admin_account_types): group 'Sigma-Admins' (account_types.group_map key 'Sigma-Admins') gives it"
    assert {i: r.message for i, r in found.items()} == {
        f"{CODE}:m-vera": f"vera@example.com would go from View to admin account type Admin {given}{WHY}",
        f"{CODE}:u-nick": f"nick@example.com would be created with admin account type Admin {given}{WHY}",
        f"{CODE}:m-arch": f"arch@example.com would be reactivated (archived, Admin before) with admin account type "
                          f"Admin {given}{WHY}",
        f"{CODE}:m-gus": f"gus@partner.example would be converted from a guest (View) to an internal member with "
                         f"admin account type Admin {given}{WHY}",
    }
    assert all(r.blocking and r.rule == "guards.admin_account_types" for r in found.values())
    vera = found[f"{CODE}:m-vera"]
    assert vera.subject.fields() == {"memberId": "m-vera", "email": "vera@example.com", "idpId": "u-vera"}
    assert vera.evidence.fields() == {"change": "upgrade", "source": "group_map", "groups": ["Sigma-Admins"],
                                      "groupMapKeys": ["Sigma-Admins"], "accountType": "View",
                                      "policyAccountType": "Admin"}
    assert vera.resolution == (
        GROUP_NOTE + "# gaining Admin is meant (the entry settles this person and type only):\n"
        "account_types:\n  acknowledged_admin_upgrades:\n    - {person: vera@example.com, to: Admin}\n"
        "# or:\n# account_types:\n#   overrides:\n#     vera@example.com: View\n")
    nick = found[f"{CODE}:u-nick"]
    assert nick.subject.fields() == {"idpId": "u-nick", "userName": "nick@example.com"}
    assert nick.evidence.fields() == {"source": "group_map", "groups": ["Sigma-Admins"],
                                      "groupMapKeys": ["Sigma-Admins"], "policyAccountType": "Admin"}
    assert yaml.safe_load(nick.resolution) == {"account_types": {"acknowledged_admin_upgrades": [
        {"person": "nick@example.com", "to": "Admin"}]}}
    # the actions they ask about stay beside them; the plan cannot be approved
    acts = by_id(p)
    assert acts["scim.set_account_type:m-vera"].reason == "upgrade: View -> Admin (group Sigma-Admins)"
    assert acts["scim.create_user:u-nick"].after.user_type == "Admin"
    assert "members.reactivate:m-arch" in acts and "members.convert_guest:m-gus" in acts
    assert not p.approvable
    # ada is Admin and stays Admin, root too: no item; everyone gaining counts as gained
    rows = {r.member_id or r.idp_id: r.admin_change for r in p.people}
    assert rows == {"root": None, "m-ada": None, "m-vera": AdminChange.GAINS, "u-nick": AdminChange.GAINS,
                    "m-arch": AdminChange.GAINS, "m-gus": AdminChange.GAINS}
    assert (p.summary.outcomes.admin_gains, p.summary.outcomes.admin_changes) == (4, 0)


def test_acknowledged_entries_settle_their_person_and_type_only():
    p = upgrades("  acknowledged_admin_upgrades:\n"
                 "    - {person: vera@example.com, to: Admin}\n    - {person: u-nick, to: Admin}\n"
                 "    - {person: m-arch, to: Admin}\n    - {person: gus@partner.example, to: Org Admin}\n")
    assert sorted(items(p)) == [f"{CODE}:m-gus"]
    gus = items(p)[f"{CODE}:m-gus"]
    assert gus.message.startswith(
        "the account_types.acknowledged_admin_upgrades entry {person: gus@partner.example, to: Org Admin} no longer "
        "applies (written for gaining Org Admin): gus@partner.example would be converted from a guest (View) to an "
        "internal member with admin account type Admin (guards.admin_account_types)")
    assert gus.message.endswith(WHY + "; the entry settles only the change it records: remove it (or write it for "
                                      "this change)")
    assert gus.evidence.stale_entry == "{person: gus@partner.example, to: Org Admin}"
    assert [r.code for r in p.review_items if r.code == "policy.unused_entry"] == []  # each entry was read


def test_an_entry_naming_no_one_gaining_admin_settles_nothing():
    p = upgrades("  acknowledged_admin_upgrades: [{person: ada@example.com, to: Admin}]\n")
    (unused,) = [r for r in p.review_items if r.code == "policy.unused_entry"]
    assert unused.message == (
        "policy.yaml:20:5: account_types.acknowledged_admin_upgrades entry {person: ada@example.com, to: Admin} "
        "settled nothing in this plan: it answers whether this person, who holds no admin account type, is meant to "
        "gain this one, which this plan does not ask (the plan gives the person it names no admin account type they "
        "do not hold today); the entry has no effect: remove it once its wave is done")


def test_the_short_form_is_refused_with_the_long_form_to_write():
    with pytest.raises(PolicyError) as exc:
        upgrades("  acknowledged_admin_upgrades: [vera@example.com]\n")
    assert str(exc.value).endswith(
        "account_types.acknowledged_admin_upgrades[0]: write {person: vera@example.com, to: <admin account type>}: "
        "an entry records the admin type the person is meant to gain, so it settles that type only")


def test_a_held_create_takes_its_admin_item_with_it():
    """nick is created Admin but another IdP user shares his address: the hold drops the create, its type and the
    type's item (by IdP id), the question that holds him stays."""
    snap = snapshot([], [user("u-nick", "nick@example.com"), user("u-nick2", "nick@example.com")],
                    [group("g-admins", "Sigma-Admins", users=["u-root", "u-nick", "u-nick2"])], account_types=TYPES)
    p = plan(snap, MAP)
    assert items(p) == {}
    assert [a.id for a in p.actions if a.kind.value == "scim.create_user"] == []
    assert ("linking.idp_duplicate", True) in review_codes(p)


# --------------------------------------------------------------------------- the tester's repros, real files

def okta_export(root: Path, variant: str) -> Path:
    """samples/acme/okta under ``root`` with the tester's change (tests/fixtures/t18_admin/README.md)."""
    okta = root / variant
    shutil.copytree(ACME / "okta", okta)
    users = {u["id"]: u for u in json.loads((okta / "users.json").read_text("utf-8"))}
    members = json.loads((okta / "group_members.json").read_text("utf-8"))
    if variant == "okta":
        groups = json.loads((okta / "groups.json").read_text("utf-8")) + [CHANGES["finance_admins_group"]]
        (okta / "groups.json").write_text(json.dumps(groups, indent=2), "utf-8")
        members[CHANGES["finance_admins_group"]["id"]] = [users[i] for i in CHANGES["finance_admins_members"]]
    else:
        members[CHANGES["sigma_admins_group_id"]] += [users[i] for i in CHANGES["sigma_admins_added"]]
    (okta / "group_members.json").write_text(json.dumps(members, indent=2), "utf-8")
    return okta


def reviewed_policy(root: Path, regex: bool, acknowledged: str = "") -> Path:
    text = (ACME / "policy-okta-reviewed.yaml").read_text("utf-8")
    if regex:
        assert "{Sigma-Admins: Admin," in text
        text = text.replace("{Sigma-Admins: Admin,", '{"re:.*Admins$": Admin,')
    if acknowledged:
        assert "  acknowledged_downgrades: [helen.ortiz@acme.example]\n" in text
        text = text.replace("  acknowledged_downgrades: [helen.ortiz@acme.example]\n",
                            "  acknowledged_downgrades: [helen.ortiz@acme.example]\n" + acknowledged)
    (root / "policy.yaml").write_text(text, "utf-8")
    return root / "policy.yaml"


def plan_files(capsys, tmp_path, idp: Path, policy: Path):
    out = tmp_path / "p.json"
    code, stdout, _ = run_cli(capsys, "plan", "--sigma", str(ACME / "sigma"), "--idp", str(idp), "--policy",
                              str(policy), "--out", str(out), "--detailed-exitcode")
    _, shown, _ = run_cli(capsys, "show", str(out))
    return code, read_plan(out), stdout, shown


ALICE, ROBERT, RUTH, AISHA = ("kXQk3ysUwBPQe8xsOlMaoqXzufJNJ", "zSutITtoCUJKFLUHHIQpGKCCb1nmD",
                              "3X1tfNuPuim0SwRr6E0QmcNxHghoI", "ZzMj8XHJHNpplyMM7TMoXMC0Xxk9o")
FINANCE_ADMINS = ("group 'Finance Admins' (account_types.group_map key 're:.*Admins$', a re: pattern) gives it, the "
                  "highest by account_types.precedence of their groups Finance Admins, ")
PATTERN = ("; a re: pattern gives its type to every group whose name it matches: check that it is meant to match "
           "this group")


def test_a_broad_pattern_giving_admin_blocks_each_person(tmp_path, capsys):
    code, p, stdout, shown = plan_files(capsys, tmp_path, okta_export(tmp_path, "okta"), reviewed_policy(tmp_path, True))
    assert code == 3  # was 2: 0 blocking
    found = items(p)
    assert sorted(found) == sorted(f"{CODE}:{m}" for m in (ALICE, ROBERT, RUTH, AISHA))
    assert [r.id for r in p.blocking_items] == sorted(found)
    assert found[f"{CODE}:{ALICE}"].message == (
        "Alice.Smith@Acme.example would go from Analyze to admin account type Admin (guards.admin_account_types): "
        + FINANCE_ADMINS + "Sigma-Analyze" + PATTERN + WHY)
    assert found[f"{CODE}:{RUTH}"].message == (
        "ruth.adler@acme.example would be reactivated (archived, Analyze before) with admin account type Admin "
        "(guards.admin_account_types): " + FINANCE_ADMINS + "Sigma-Analyze" + PATTERN + WHY)
    assert found[f"{CODE}:{AISHA}"].message == (
        "aisha.bello@acme.example would go from Act to admin account type Admin (guards.admin_account_types): "
        + FINANCE_ADMINS + "Sigma-Build" + PATTERN + WHY)
    assert found[f"{CODE}:{ROBERT}"].evidence.group_map_keys == ["re:.*Admins$"]
    assert "Admin types gained or changed: 4 (4 gained)" in shown.splitlines()
    assert "4 blocking review item(s): the plan can be reviewed but not applied" in stdout

    # acknowledged: the four gains settled, the plan is ready (exit 2)
    entries = "".join(f"    - {{person: {who}, to: Admin}}\n" for who in (
        "alice.smith@acme.example", "robert.chen@oldacme.example", "ruth.adler@acme.example", "aisha.bello@acme.example"))
    code, p, _, _ = plan_files(capsys, tmp_path, tmp_path / "okta",
                               reviewed_policy(tmp_path, True, "  acknowledged_admin_upgrades:\n" + entries))
    assert (code, items(p), p.blocking_items) == (2, {}, ())


def test_creates_born_admin_are_asked_and_counted(tmp_path, capsys):
    code, p, _, shown = plan_files(capsys, tmp_path, okta_export(tmp_path, "okta-exact"),
                                   reviewed_policy(tmp_path, False))
    assert code == 3
    creates = {r.subject.user_name: r for r in items(p).values() if "memberId" not in r.subject.fields()}
    assert sorted(creates) == ["camila.ortega@acme.example", "diego.ramos@acme.example", "isla.murphy@acme.example",
                               "jordan.lee2@acme.example", "leila.karimi@acme.example"]
    assert creates["leila.karimi@acme.example"].message == (
        "leila.karimi@acme.example would be created with admin account type Admin (guards.admin_account_types): group "
        "'Sigma-Admins' (account_types.group_map key 'Sigma-Admins') gives it, the highest by account_types.precedence "
        "of their groups Sigma-Admins, Sigma-Viewers" + WHY)
    assert len(items(p)) == 9  # and the four members upgraded
    assert "Admin types gained or changed: 9 (9 gained)" in shown.splitlines()  # was: 4 (4 gained)
    assert (p.summary.outcomes.admin_gains, p.summary.outcomes.admin_changes) == (9, 0)
