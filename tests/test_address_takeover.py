"""Tester13 finding 1: an IdP user whose secondary address (Okta ``secondEmail`` / ``profile.email``, Entra
``proxyAddresses``, Google ``aliases``) or recycled primary address is a leaver's never takes over the leaver's
Sigma account silently: ``linking.secondary_address`` / ``linking.recycled_address`` hold both people
(:mod:`planner.rules.address_takeover`).

Unit tests on small literal organizations first, then plans of real files through the CLI: the acme sample
copied and edited as the tester did (Entra, Okta), and a Google Directory API export beside
tests/fixtures/sandbox_seed.
"""

from __future__ import annotations

import csv
import io
import json
import shutil
from datetime import timedelta
from pathlib import Path

import yaml
from msgspec.structs import replace

from .conftest import run_cli, write
from .plan_factory import kinds, member, plan, review_codes, snapshot, user
from .test_incomplete_inputs import plan as plan_seed
from planner.directory import Person, PersonStatus, time_between
from planner.planfile import read_plan
from planner.rules.address_takeover import AGREE, DIFFER, MISSING, name_differences, name_verdict
from planner.sources.entra import ext_upn_address

ROOT_LINK = ("scim.link_user", "scim.link_user:root")
DEACTIVATE = "unmatched:\n  action: deactivate\nuser_name_guard:\n  on_mismatch: update_sigma_email\n"
HOLD = "neither is linked, created nor deactivated until the policy decides"
REPO = Path(__file__).resolve().parent.parent
ACME = REPO / "samples" / "acme"
ALAN = "sWDskbUA8tDQxCNHcxnQ79Bb8CL8F"  # alan.brooks@acme.example, a leaver with no IdP user
GRETA = "jR368hGsY28MChDckenlesDKgZpsj"  # greta.dunmore@acme.example, created 2023-04-20
ALAN_GONE = {f"members.set_email:{ALAN}", f"scim.link_user:{ALAN}", f"scim.set_account_type:{ALAN}"}


def item(p, code):
    (found,) = [r for r in p.review_items if r.code == code]
    return found


def alias_org(first="Alan", last="Brooks", **kw):
    """Leaver Alan (m1) and new hire Jonas (00u2), whose second address is Alan's."""
    return snapshot([member("m1", "alan@acme.example", first, last, created_at="2021-05-20T08:00:00.000Z")],
                    [user("00u2", "jonas@acme.example", ["jonas@acme.example", "alan@acme.example"], "Jonas", "Weber",
                          **kw)])


# --------------------------------------------------------------------------- the small rules


def test_names_agree_letter_case_and_accents_aside_and_a_missing_name_is_no_agreement():
    jose = member("m1", "j@x.example", "José", "Álvarez")
    assert name_verdict(jose, user("u", "j@x.example", first="JOSE", last="alvarez")) == AGREE
    assert name_verdict(jose, user("u", "j@x.example", first="Jonas", last="Álvarez")) == DIFFER
    # a part missing: the whole names compared (here the displayName 'José'), one word alike (tester17 finding 4)
    assert name_verdict(jose, user("u", "j@x.example", first="José", last="")) == DIFFER
    assert name_verdict(jose, user("u", "j@x.example", first="", last="")) == MISSING
    assert name_verdict(member("m2", "j@x.example"), user("u", "j@x.example", first="A", last="B")) == MISSING
    assert name_differences(jose, user("u", "j@x.example", first="Jonas", last="alvarez")) == [
        "firstName 'José' / givenName 'Jonas'"]


def test_time_between_reads_both_spellings_and_says_nothing_of_a_missing_or_unreadable_date():
    assert time_between("2021-05-20T08:00:00.000Z", "2021-08-18T08:00:00Z") == timedelta(days=90)
    assert time_between("2021-05-20T08:00:00Z", "2021-05-19T08:00:00Z") == timedelta(days=-1)
    assert time_between(None, "2021-05-20T08:00:00Z") is None
    assert time_between("6/12/2026 23:00", "2021-05-20T08:00:00Z") is None


def test_an_entra_guest_upn_names_the_address_it_was_made_from():
    assert ext_upn_address("carol.nguyen_northpartners.example#EXT#@acme.example") == "carol.nguyen@northpartners.example"
    assert ext_upn_address("a_b_c.example#ext#@t.onmicrosoft.com") == "a_b@c.example"
    assert ext_upn_address("carol.nguyen@acme.example") is None


# --------------------------------------------------------------------------- a secondary address


def test_a_link_through_a_secondary_address_whose_names_differ_is_one_blocking_item_holding_both():
    p = plan(alias_org(), DEACTIVATE)
    assert kinds(p) == [ROOT_LINK]  # no scim.link_user:m1, no scim.create_user:00u2, no members.deactivate:m1
    assert review_codes(p) == [("linking.secondary_address", True)]
    found = item(p, "linking.secondary_address")
    assert found.id == "linking.secondary_address:m1"
    assert found.subject.fields() == {"memberId": "m1", "email": "alan@acme.example", "idpId": "00u2",
                                      "userName": "jonas@acme.example"}
    assert found.message == (
        "IdP user 00u2 (jonas@acme.example) matches member m1 (alan@acme.example) only through its emails[1] "
        "'alan@acme.example', not the address it signs in with, and the names are not one (member 'Alan Brooks', "
        "IdP user 'Jonas Weber'): a leaver's address is often kept as an alias of another person's mailbox, so the "
        f"link would give jonas@acme.example the member's account, documents and teams; {HOLD}")
    assert found.rule == "linking.match_keys.emails"
    assert found.evidence.fields() == {
        "address": "alan@acme.example", "linkedBy": "emails", "sigmaEmail": "alan@acme.example",
        "idpUserName": "jonas@acme.example",
        "differences": ["firstName 'Alan' / givenName 'Jonas'", "lastName 'Brooks' / familyName 'Weber'"]}
    assert yaml.safe_load(found.resolution) == {"linking": {"overrides": [{"idp": "00u2", "member": "never"}]}}
    assert "#     - {idp: 00u2, member: m1}" in found.resolution
    assert [(r.member_id, r.idp_id, r.actions) for r in p.people if r.member_id == "m1"] == [("m1", "00u2", ())]


def test_both_settlements_of_a_secondary_address():
    never = plan(alias_org(), DEACTIVATE + "linking:\n  overrides:\n    - {idp: 00u2, member: never}\n")
    assert review_codes(never) == []
    assert kinds(never) == sorted([("members.deactivate", "members.deactivate:m1"), ROOT_LINK,
                                   ("scim.create_user", "scim.create_user:00u2")])
    link = plan(alias_org(), DEACTIVATE + "linking:\n  overrides:\n    - {idp: 00u2, member: m1}\n")
    assert review_codes(link) == []
    assert kinds(link) == sorted([("members.set_email", "members.set_email:m1"), ROOT_LINK,
                                   ("scim.link_user", "scim.link_user:m1")])


def test_a_secondary_address_of_the_same_name_is_the_usual_alias_and_stays_linked():
    p = plan(alias_org("JONAS", "Wéber"), DEACTIVATE)
    assert review_codes(p) == []
    assert kinds(p) == sorted([("members.set_email", "members.set_email:m1"), ROOT_LINK,
                                   ("scim.link_user", "scim.link_user:m1")])


def test_a_secondary_address_of_a_member_without_a_name_is_held():
    p = plan(alias_org("", ""), DEACTIVATE)
    assert kinds(p) == [ROOT_LINK]
    assert item(p, "linking.secondary_address").evidence.differences == [
        "firstName '' / givenName 'Jonas'", "lastName '' / familyName 'Weber'"]


def test_an_entra_guest_linked_by_the_address_its_ext_upn_was_made_from_is_no_secondary_address():
    snap = snapshot([member("m1", "carol@north.example", "Carol", "Nguyen", user_kind="guest")],
                    [user("e1", "carol_north.example#EXT#@acme.example", ["carol@north.example"], "", "")])
    p = plan(snap, DEACTIVATE + "guests:\n  action: convert\n")
    assert "linking.secondary_address" not in {c for c, _ in review_codes(p)}


# --------------------------------------------------------------------------- a recycled primary address


def zed(created):
    """Greta (m1, made 2021-05-20) and Zed Quinn, who signs in with her address, made ``created``."""
    return snapshot([member("m1", "greta@acme.example", "Greta", "Dunmore", created_at="2021-05-20T08:00:00.000Z")],
                    [replace(user("00u3", "greta@acme.example", first="Zed", last="Quinn"), created=created)])


def test_a_primary_address_the_idp_gave_a_user_made_long_after_the_member_under_another_name_is_held():
    p = plan(zed("2026-11-30T09:00:00Z"), DEACTIVATE)
    assert kinds(p) == [ROOT_LINK]
    found = item(p, "linking.recycled_address")
    assert (found.id, found.blocking) == ("linking.recycled_address:m1", True)
    assert found.message == (
        "IdP user 00u3 (greta@acme.example) signs in with member m1's address 'greta@acme.example' but the names "
        "are not one (member 'Greta Dunmore', IdP user 'Zed Quinn'); the IdP made 00u3 2026-11-30T09:00:00Z, "
        "2020 days after Sigma made the member (2021-05-20T08:00:00.000Z): a new person given a leaver's address, "
        "or the same person renamed? The link would give greta@acme.example the member's account, documents and "
        f"teams; {HOLD}")
    assert found.evidence.fields()["idpCreated"] == "2026-11-30T09:00:00Z"
    assert found.evidence.fields()["createdAt"] == "2021-05-20T08:00:00.000Z"
    snippet = yaml.safe_load(found.resolution)
    assert snippet == {"linking": {"overrides": [{"idp": "00u3", "member": "never"}], "duplicates": {"m1": "rename"}}}
    link = plan(zed("2026-11-30T09:00:00Z"), DEACTIVATE + "linking:\n  overrides:\n    - {idp: 00u3, member: m1}\n")
    assert review_codes(link) == [] and ("scim.link_user", "scim.link_user:m1") in kinds(link)


def test_another_person_at_a_recycled_address_frees_it_renaming_the_member_then_is_created():
    settled = plan(zed("2026-11-30T09:00:00Z"), DEACTIVATE + "linking:\n  overrides:\n    - {idp: 00u3, member: never}\n"
                   "  duplicates: {m1: rename}\n")
    assert review_codes(settled) == []
    assert kinds(settled) == sorted([("members.deactivate", "members.deactivate:m1"), ROOT_LINK,
                                     ("members.set_email", "members.set_email:m1"),
                                     ("scim.create_user", "scim.create_user:00u3")])
    actions = {a.id: a for a in settled.actions}
    assert actions["members.set_email:m1"].reason == (
        "free the address 'greta@acme.example', which a user the plan creates sends as its userName (a "
        "linking.overrides never kept them apart): Sigma links a SCIM user by email, so only one member may hold it "
        "(linking.duplicates: rename)")
    assert actions["members.set_email:m1"].after.email == "greta+dup-m1@acme.example"
    assert actions["scim.create_user:00u3"].depends_on == ("members.set_email:m1",)
    never_alone = plan(zed("2026-11-30T09:00:00Z"), DEACTIVATE + "linking:\n  overrides:\n    - {idp: 00u3, member: never}\n")
    assert review_codes(never_alone) == [("linking.create_collides", True)]  # Sigma keeps one member per address


def test_a_primary_address_renamed_without_dates_to_tell_is_held_and_a_short_gap_is_informational():
    """No date: the doubt stands, blocking (tester17 finding 3: was informational, linked)."""
    p = plan(zed(None), DEACTIVATE)
    assert kinds(p) == [ROOT_LINK]
    found = item(p, "linking.recycled_address")
    assert found.blocking is True
    assert found.message == (
        "IdP user 00u3 (greta@acme.example) signs in with member m1's address 'greta@acme.example' but the names "
        "are not one (member 'Greta Dunmore', IdP user 'Zed Quinn'); the export does not say when the IdP made 00u3 "
        "(its format dates no user); Sigma made the member 2021-05-20T08:00:00.000Z; so how much later the IdP made "
        "00u3 than Sigma the member cannot be told: a new person given a leaver's address, or the same person "
        f"renamed? The link would give greta@acme.example the member's account, documents and teams; {HOLD}")
    soon = plan(zed("2021-08-01T00:00:00Z"), DEACTIVATE)  # 72 days: less than RECYCLED_AFTER
    assert [(r.code, r.blocking) for r in soon.review_items] == [("linking.recycled_address", False)]
    assert ("scim.link_user", "scim.link_user:m1") in kinds(soon)
    assert item(soon, "linking.recycled_address").message == (
        "IdP user 00u3 (greta@acme.example) signs in with member m1's address 'greta@acme.example' but the names "
        "are not one (member 'Greta Dunmore', IdP user 'Zed Quinn'); the IdP made 00u3 2021-08-01T00:00:00Z, 72 days "
        "after Sigma made the member (2021-05-20T08:00:00.000Z): linked, sending the IdP's name (a rename in the IdP "
        "is common); if greta@acme.example is another person than the member, settle it in the policy before "
        "applying")


def test_one_name_part_alike_is_a_rename_however_late_the_idp_user_and_only_informational():
    married = snapshot([member("m1", "greta@acme.example", "Greta", "Dunmore", created_at="2021-05-20T08:00:00.000Z")],
                       [replace(user("00u3", "greta@acme.example", first="Greta", last="Quinn"),
                                created="2026-11-30T09:00:00Z")])
    p = plan(married, DEACTIVATE)
    assert ("scim.link_user", "scim.link_user:m1") in kinds(p)
    assert [(r.id, r.blocking) for r in p.review_items] == [("linking.recycled_address:m1", False)]
    assert item(p, "linking.recycled_address").evidence.differences == ["lastName 'Dunmore' / familyName 'Quinn'"]


def test_an_idp_user_made_before_the_member_is_a_rename_and_raises_nothing():
    p = plan(zed("2019-01-01T00:00:00Z"), DEACTIVATE)
    assert review_codes(p) == [] and ("scim.link_user", "scim.link_user:m1") in kinds(p)


def test_the_rule_reads_only_links_a_match_key_made_by_address():
    """A person in no doubt status, or linked by an override, is not judged (unit: the fold)."""
    from planner.directory import Link
    from planner.rules.address_takeover import takeover_item

    m = member("m1", "alan@acme.example", "Alan", "Brooks")
    u = user("00u2", "jonas@acme.example", ["jonas@acme.example", "alan@acme.example"], "Jonas", "Weber")
    link = Link("emails", "other_email", "alan@acme.example", "emails[1]", "alan@acme.example")
    assert takeover_item(Person("m:m1", m, u, Link("override", "override", "", "", ""), PersonStatus.LINK), None) is None
    assert takeover_item(Person("m:m1", m, u, link, PersonStatus.LEAVER), None) is None


# --------------------------------------------------------------------------- real files through the CLI


def plan_files(capsys, tmp_path, idp_dir: Path, policy: Path, sigma: Path) -> tuple[int, object]:
    out = tmp_path / "plan.json"
    code, _, _ = run_cli(capsys, "plan", "--sigma", str(sigma), "--idp", str(idp_dir), "--policy", str(policy),
                         "--out", str(out))
    return code, read_plan(out)


def acme_copy(tmp_path: Path) -> Path:
    root = tmp_path / "acme"
    shutil.copytree(ACME, root)
    return root


def edit_okta(root: Path, login: str, **changes) -> None:
    """Change Okta user ``login``'s record in users.json and group_members.json alike (``created``: top level)."""
    for name in ("users.json", "group_members.json"):
        path = root / "okta" / name
        data = json.loads(path.read_text(encoding="utf-8"))
        for u in data if isinstance(data, list) else [u for us in data.values() for u in us]:
            if u["profile"]["login"] == login:
                if "created" in changes:
                    u["created"] = changes["created"]
                u["profile"].update({k: v for k, v in changes.items() if k != "created"})
        path.write_text(json.dumps(data), encoding="utf-8")


def baseline(capsys, tmp_path, root: Path, idp: str):
    code, p = plan_files(capsys, tmp_path, root / idp, REPO / "policies" / "examples" / f"{idp}.yaml", root / "sigma")
    assert code == 0
    return p


def test_entra_proxy_addresses_alias_of_a_leaver_is_held_not_linked(capsys, tmp_path):
    """The tester's repro: jonas.weber's ``smtp:alan.brooks@`` alias."""
    root = acme_copy(tmp_path)
    before = baseline(capsys, tmp_path, root, "entra")
    path = root / "entra" / "users.csv"
    rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8-sig"))))
    upn = rows[0].index("userPrincipalName")
    rows[0].append("proxyAddresses")
    for r in rows[1:]:
        r.append(f"SMTP:{r[upn]};smtp:alan.brooks@acme.example" if r[upn] == "jonas.weber@acme.example" else "")
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    path.write_text(out.getvalue(), encoding="utf-8")
    code, p = plan_files(capsys, tmp_path, root / "entra", REPO / "policies" / "examples" / "entra.yaml",
                         root / "sigma")
    assert code == 0
    assert {a.id for a in before.actions} - {a.id for a in p.actions} == {
        f"members.deactivate:{ALAN}", "scim.create_user:183721b8-c275-416e-8912-5945f76cfcde"}
    assert {a.id for a in p.actions} - {a.id for a in before.actions} == set()
    assert not ALAN_GONE & {a.id for a in p.actions}  # the takeover main planned: link, email change, type
    assert [(r.id, r.blocking) for r in p.review_items if r.blocking] == [
        (f"linking.secondary_address:{ALAN}", True)]
    found = item(p, "linking.secondary_address")
    assert found.message == (
        f"IdP user 183721b8-c275-416e-8912-5945f76cfcde (jonas.weber@acme.example) matches member {ALAN} "
        "(alan.brooks@acme.example) only through its emails[1] 'alan.brooks@acme.example', not the address it signs "
        "in with, and the names are not one (member 'Alan Brooks', IdP user 'Jonas Weber'): a leaver's address is "
        "often kept as an alias of another person's mailbox, so the link would give jonas.weber@acme.example the "
        f"member's account, documents and teams; {HOLD}")


def test_okta_second_email_and_profile_email_of_a_leaver_are_held_not_linked(capsys, tmp_path):
    for field, position in (("secondEmail", 1), ("email", 0)):
        root = acme_copy(tmp_path / field)
        before = baseline(capsys, tmp_path / field, root, "okta")
        edit_okta(root, "jonas.weber@acme.example", **{field: "alan.brooks@acme.example"})
        code, p = plan_files(capsys, tmp_path / field, root / "okta", REPO / "policies" / "examples" / "okta.yaml",
                             root / "sigma")
        assert code == 0
        assert {a.id for a in before.actions} - {a.id for a in p.actions} == {
            f"members.deactivate:{ALAN}", "scim.create_user:00ulE81M7XXtLPv8iCEt"}
        assert {a.id for a in p.actions} - {a.id for a in before.actions} == set()
        assert [r.id for r in p.review_items if r.blocking] == [f"linking.secondary_address:{ALAN}"]
        assert f"only through its emails[{position}] 'alan.brooks@acme.example'" in item(
            p, "linking.secondary_address").message


def test_okta_recycled_primary_address_is_held_not_linked(capsys, tmp_path):
    root = acme_copy(tmp_path)
    before = baseline(capsys, tmp_path, root, "okta")
    edit_okta(root, "greta.dunmore@acme.example", firstName="Zed", lastName="Quinn", displayName="Zed Quinn",
              created="2026-11-30T09:00:00.000Z")
    code, p = plan_files(capsys, tmp_path, root / "okta", REPO / "policies" / "examples" / "okta.yaml", root / "sigma")
    assert code == 0
    assert {a.id for a in before.actions} - {a.id for a in p.actions} == {f"scim.link_user:{GRETA}"}
    assert {a.id for a in p.actions} - {a.id for a in before.actions} == set()
    assert [r.id for r in p.review_items if r.blocking] == [f"linking.recycled_address:{GRETA}"]
    assert item(p, "linking.recycled_address").message.startswith(
        "IdP user 00ufaBfQcK29VwKggTJK (greta.dunmore@acme.example) signs in with member "
        f"{GRETA}'s address 'greta.dunmore@acme.example' but the names are not one (member 'Greta Dunmore', IdP "
        "user 'Zed Quinn'); the IdP made 00ufaBfQcK29VwKggTJK 2026-11-30T09:00:00Z, 1319 days after Sigma made the "
        "member (2023-04-20T12:51:59.997Z): a new person given a leaver's address")
    # the item's own snippet, pasted: Greta's member moves to an alias, Zed Quinn is created at the address
    policy = yaml.safe_load((REPO / "policies" / "examples" / "okta.yaml").read_text(encoding="utf-8"))
    fix = yaml.safe_load(item(p, "linking.recycled_address").resolution)["linking"]
    policy["linking"]["overrides"] = policy["linking"].get("overrides", []) + fix["overrides"]
    policy["linking"]["duplicates"] = {**policy["linking"].get("duplicates", {}), **fix["duplicates"]}
    settled_policy = write(tmp_path / "settled.yaml", yaml.safe_dump(policy, sort_keys=False))
    code, settled = plan_files(capsys, tmp_path, root / "okta", settled_policy, root / "sigma")
    assert code == 0 and [r.id for r in settled.review_items if r.blocking] == []
    assert {a.id for a in before.actions} - {a.id for a in settled.actions} == {f"scim.link_user:{GRETA}"}
    assert {a.id for a in settled.actions} - {a.id for a in before.actions} == {
        f"members.set_email:{GRETA}", f"members.deactivate:{GRETA}", "scim.create_user:00ufaBfQcK29VwKggTJK",
        f"teams.remove_member:e5cd73fd-a310-46b1-8740-b7e718874ef3:{GRETA}"}
    create = next(a for a in settled.actions if a.id == "scim.create_user:00ufaBfQcK29VwKggTJK")
    assert create.depends_on == (f"members.set_email:{GRETA}",)


DAN = "Dn7OBrienDn7OBrienDn7OBrienDn"  # o'brien@example.com, Dan O'Brien, made 2023-10-01
CLEO = "Cl6ViewerCl6ViewerCl6ViewerCl"  # cleo.viewer@example.com, made 2023-09-14


def google_user(n: int, email: str, first: str, last: str, **extra) -> dict:
    return {"id": f"10{n}", "primaryEmail": email, "name": {"givenName": first, "familyName": last},
            "suspended": False, "archived": False, **extra}


def google_export(root: Path, users: list) -> Path:
    write(root / "users.json", json.dumps({"kind": "admin#directory#users", "users": users}))
    write(root / "groups.json", json.dumps({"groups": [{"id": "g1", "email": "all@example.com", "name": "All"}]}))
    write(root / "group_members" / "g1.json", json.dumps({"kind": "admin#directory#members", "members": [
        {"kind": "admin#directory#member", "id": u["id"], "email": u["primaryEmail"], "type": "USER",
         "status": "ACTIVE"} for u in users]}))
    return root


def test_google_alias_of_a_leaver_and_a_recycled_address_by_creation_time_are_held(capsys, tmp_path):
    users = [google_user(1, "ada.admin@example.com", "Ada", "Admin"),
             google_user(2, "ben.builder@example.com", "Ben", "Builder"),
             google_user(3, "cleo.viewer@example.com", "Zed", "Quinn", creationTime="2026-11-30T09:00:00.000Z"),
             google_user(5, "jonas.weber@example.com", "Jonas", "Weber", aliases=["o'brien@example.com"])]
    code, _, p = plan_seed(capsys, tmp_path, google_export(tmp_path / "google", users))
    assert code == 3  # --detailed-exitcode: changes, blocked by review items
    ids = {a.id for a in p.actions}
    assert not ids & {f"scim.link_user:{DAN}", f"members.deactivate:{DAN}", "scim.create_user:105",
                      f"scim.link_user:{CLEO}", f"members.deactivate:{CLEO}", "scim.create_user:103"}
    assert "scim.link_user:Ad4AdminAd4AdminAd4AdminAd4Ad" in ids
    blocking = sorted((r.id, r.rule) for r in p.review_items if r.code.startswith("linking.") and r.blocking)
    assert blocking == [(f"linking.recycled_address:{CLEO}", "linking.match_keys.user_name"),
                        (f"linking.secondary_address:{DAN}", "linking.match_keys.emails")]
    assert "only through its emails[1] \"o'brien@example.com\"" in item(p, "linking.secondary_address").message
    assert item(p, "linking.recycled_address").evidence.fields()["idpCreated"] == "2026-11-30T09:00:00Z"
