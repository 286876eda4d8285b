"""Tester19 finding 2: a member whose match is an inactive IdP user while an active IdP user matches it too (a rehire,
a contractor made an employee: a new IdP account under a new login carrying the member's address) is one blocking
``linking.new_idp_account`` item, never "deactivate + create" (:func:`planner.matching.new_accounts`,
:func:`planner.rules.linking.new_account_item`, docs/policy.md "A new IdP account of a member").

The tester's repro as real files: the acme Okta sample with Alice Smith's user DEPROVISIONED and a new ACTIVE user
(tests/fixtures/t19_rehire/okta-rehired-user.json: login alice.smith2@, profile.email alice.smith@, her name and
employee number) in her groups in its place. The same shape in an Entra ID users CSV (``accountEnabled: False`` beside
``True``), a SCIM export and a generic CSV (``active: false`` beside ``true``) of a small organization. Settled by
``linking.overrides`` (link, or ``never``); the member whose IdP user is inactive and no other matches it is
deactivated as before; and a leaver is now compared with the creates by the same-person hint.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from . import tiny_org
from .conftest import run_cli, write
from .tiny_org import MARCUS, ZERO
from planner.planfile import read_plan

REPO = Path(__file__).resolve().parent.parent
ACME = REPO / "samples" / "acme"
FIXTURES = Path(__file__).resolve().parent / "fixtures" / "t19_rehire"
ALICE = "kXQk3ysUwBPQe8xsOlMaoqXzufJNJ"  # Alice.Smith@Acme.example, team Finance
ALICE_IDP = "00uB1wErBtRcqqUaMeUY"  # Okta: alice.smith@acme.example, groups Everyone, Sigma-Analyze, Finance
REHIRED = "00uREHIRE0000000001a"  # Okta: alice.smith2@acme.example, profile.email alice.smith@acme.example
FINANCE_TEAM = "e5cd73fd-a310-46b1-8740-b7e718874ef3"
ASKED = (f"active member 'Alice.Smith@Acme.example' ({ALICE}) is matched by user_name to IdP user {ALICE_IDP} "
         "(alice.smith@acme.example), which is DEPROVISIONED (deactivated), while active IdP user "
         f"{REHIRED} (alice.smith2@acme.example) matches it too, by emails (its emails[0] "
         "'alice.smith@acme.example'): the same person under a new IdP account (a rehire, a contractor made an "
         "employee)? Neither is the member deactivated nor the IdP user created until linking.overrides decides")


def link_or_never(notes: str) -> str:
    """A snippet linking the new user to Alice's member, ``never`` as the alternative, after the comment ``notes``."""
    return (f"{notes}linking:\n  overrides:\n    - {{idp: {REHIRED}, member: {ALICE}}}\n"
            f"# or:\n# linking:\n#   overrides:\n#     - {{idp: {REHIRED}, member: never}}\n")


SNIPPET = link_or_never(
    f"# the same person: link member {ALICE} to the active IdP user {REHIRED} (its documents and teams stay; the "
    "userName guard judges the new login):\n"
    "# not the same person (the `never` below): the member follows the `unmatched` policy, the IdP user is created\n")
HELD = [f"members.deactivate:{ALICE}", f"scim.create_user:{REHIRED}", f"teams.remove_member:{FINANCE_TEAM}:{ALICE}"]
"""The actions the question holds: the plan with ``never`` for the new user has exactly these more."""


def okta_export(root: Path, rehired: dict | None = None) -> Path:
    """The acme Okta export under ``root`` with Alice's user DEPROVISIONED; ``rehired`` (an Okta user) added and put in
    her groups in her place when given (the repro)."""
    okta = root / "okta"
    shutil.copytree(ACME / "okta", okta)
    users = json.loads((okta / "users.json").read_text("utf-8"))
    for u in users:
        if u["id"] == ALICE_IDP:
            u.update(status="DEPROVISIONED", statusChanged="2025-01-10T10:00:00.000Z")
    members = json.loads((okta / "group_members.json").read_text("utf-8"))
    if rehired is not None:
        users.append(rehired)
        members = {g: [rehired if u["id"] == ALICE_IDP else u for u in us] for g, us in members.items()}
    else:
        members = {g: [u for u in us if u["id"] != ALICE_IDP] for g, us in members.items()}
    (okta / "users.json").write_text(json.dumps(users, indent=1), "utf-8")
    (okta / "group_members.json").write_text(json.dumps(members, indent=1), "utf-8")
    return okta


def rehired_user(**profile) -> dict:
    """The tester's new Okta user (tests/fixtures/t19_rehire/okta-rehired-user.json), ``profile`` fields changed."""
    user = json.loads((FIXTURES / "okta-rehired-user.json").read_text("utf-8"))
    user["profile"].update(profile)
    return user


def plan(capsys, tmp_path: Path, sigma: Path, idp: Path, policy: Path):
    """``plan --detailed-exitcode``: (exit status, the plan read back, stdout)."""
    out = tmp_path / "plan.json"
    code, stdout, err = run_cli(capsys, "plan", "--sigma", str(sigma), "--idp", str(idp), "--policy", str(policy),
                                "--out", str(out), "--detailed-exitcode")
    assert "Traceback" not in err
    return code, read_plan(out), stdout


def with_overrides(tmp_path: Path, *entries: str) -> Path:
    """The acme reviewed Okta policy with ``entries`` (flow-style lines) added to ``linking.overrides``."""
    text = (ACME / "policy-okta-reviewed.yaml").read_text("utf-8")
    anchor = "    - {idp: jordan.lee2@acme.example, member: never}\n"
    assert anchor in text
    return write(tmp_path / "policy.yaml", text.replace(anchor, anchor + "".join(f"    - {e}\n" for e in entries)))


def action(plan_, action_id: str):
    return next(a for a in plan_.actions if a.id == action_id)


# --------------------------------------------------------------------------- the tester's repro (Okta)


def test_the_okta_rehire_is_asked_never_deactivate_and_create(tmp_path, capsys):
    code, asked, stdout = plan(capsys, tmp_path, ACME / "sigma", okta_export(tmp_path, rehired_user()),
                               ACME / "policy-okta-reviewed.yaml")
    assert code == 3
    assert "1 blocking review item(s)" in stdout
    [item] = asked.blocking_items
    assert item.id == f"linking.new_idp_account:{ALICE}"
    assert item.message == ASKED
    assert item.resolution == SNIPPET
    assert item.rule == "linking.overrides"
    assert (item.subject.member_id, item.subject.email, item.subject.idp_ids) == (
        ALICE, "Alice.Smith@Acme.example", [REHIRED])
    assert [(c.idp_id, c.status) for c in item.candidates] == [
        (ALICE_IDP, "matched by user_name, not active"), (REHIRED, "active, would be created")]
    assert item.evidence.edges == [
        [ALICE, ALICE_IDP, "user_name", "Alice.Smith@Acme.example", "userName", "alice.smith@acme.example"],
        [ALICE, REHIRED, "emails", "Alice.Smith@Acme.example", "emails[0]", "alice.smith@acme.example"]]
    assert not [a.id for a in asked.actions if ALICE in a.id or REHIRED in a.id]
    rows = [(p.member_id, p.idp_id, p.actions, p.review_items) for p in asked.people
            if p.member_id == ALICE or p.idp_id == REHIRED]
    assert rows == [(None, REHIRED, (), (item.id,)),  # Alice stays in team Finance while held
                    (ALICE, ALICE_IDP, (), (item.id, f"teams.leftovers:{FINANCE_TEAM}"))]

    # the same plan with `never` for the new user: exactly the held actions more (as before the fix)
    code, deactivated, _ = plan(capsys, tmp_path, ACME / "sigma", tmp_path / "okta",
                                with_overrides(tmp_path, f"{{idp: {REHIRED}, member: never}}"))
    assert code == 2 and deactivated.blocking_items == ()
    assert sorted({a.id for a in deactivated.actions} - {a.id for a in asked.actions}) == HELD
    assert not {a.id for a in asked.actions} - {a.id for a in deactivated.actions}
    assert action(deactivated, f"members.deactivate:{ALICE}").reason == (
        f"deactivate: IdP user {ALICE_IDP} (alice.smith@acme.example) is DEPROVISIONED (deactivated); "
        "documents go to tomasz.nowak@acme.example")
    assert action(deactivated, f"scim.create_user:{REHIRED}").reason == (
        f"create: IdP user {REHIRED} (alice.smith2@acme.example) is in scope and linked to no Sigma member: "
        f"linking.overrides never links it, though its emails[0] alice.smith@acme.example is the email of member "
        f"{ALICE}")


def test_the_link_override_settles_it(tmp_path, capsys):
    okta = okta_export(tmp_path, rehired_user())
    code, linked, _ = plan(capsys, tmp_path, ACME / "sigma", okta,
                           with_overrides(tmp_path, f"{{idp: {REHIRED}, member: {ALICE}}}"))
    assert code == 3  # the new login is the userName guard's question, as for any link
    assert [(r.id, r.message) for r in linked.blocking_items] == [(
        f"user_name_guard.mismatch:{ALICE}",
        f"IdP user {REHIRED} sends userName 'alice.smith2@acme.example' but the Sigma member's email is "
        "'Alice.Smith@Acme.example': Sigma would create a second account instead of linking")]
    assert [(p.member_id, p.idp_id) for p in linked.people if p.member_id == ALICE or p.idp_id == REHIRED] == [
        (ALICE, REHIRED)]

    policy = with_overrides(tmp_path, f"{{idp: {REHIRED}, member: {ALICE}}}")
    policy.write_text(policy.read_text("utf-8").replace(
        "    npatel@acme.example: use_sigma_email\n",
        f"    npatel@acme.example: use_sigma_email\n    {REHIRED}: update_sigma_email\n"), "utf-8")
    code, settled, _ = plan(capsys, tmp_path, ACME / "sigma", okta, policy)
    assert code == 2 and settled.blocking_items == ()
    assert sorted(a.id for a in settled.actions if ALICE in a.id or REHIRED in a.id) == [
        f"members.set_email:{ALICE}", f"scim.link_user:{ALICE}"]
    link = action(settled, f"scim.link_user:{ALICE}")
    assert (link.target.idp_id, link.target.user_name, link.rule) == (
        REHIRED, "alice.smith2@acme.example", "linking.overrides")
    assert action(settled, f"members.set_email:{ALICE}").after.email == "alice.smith2@acme.example"


def test_a_deprovisioned_user_alone_is_deactivated_as_before(tmp_path, capsys):
    code, alone, _ = plan(capsys, tmp_path, ACME / "sigma", okta_export(tmp_path),
                          ACME / "policy-okta-reviewed.yaml")
    assert code == 2 and alone.blocking_items == ()
    assert [r.id for r in alone.review_items if ALICE in r.id] == []
    assert sorted(a.id for a in alone.actions if ALICE in a.id) == [
        f"members.deactivate:{ALICE}", f"teams.remove_member:{FINANCE_TEAM}:{ALICE}"]
    assert action(alone, f"members.deactivate:{ALICE}").reason == (
        f"deactivate: IdP user {ALICE_IDP} (alice.smith@acme.example) is DEPROVISIONED (deactivated); "
        "documents go to tomasz.nowak@acme.example")


def test_a_leaver_and_a_create_of_one_name_are_hinted(tmp_path, capsys):
    """No shared address (the new user's email is its new login): the same-person hint compares the leaver too
    (was: only members no IdP user matches)."""
    okta = okta_export(tmp_path, rehired_user(email="alice.smith2@acme.example"))
    code, hinted, _ = plan(capsys, tmp_path, ACME / "sigma", okta, ACME / "policy-okta-reviewed.yaml")
    assert code == 3
    assert [(r.id, r.message) for r in hinted.blocking_items] == [(
        f"linking.same_person_hint:{REHIRED}",
        f"Alice.Smith@Acme.example (IdP user {ALICE_IDP} is DEPROVISIONED (deactivated)) and alice.smith2@acme.example "
        "(would be created) have the same name: never linked on that alone; neither is created nor deactivated "
        "until the policy decides")]
    [item] = hinted.blocking_items
    assert item.resolution == link_or_never("# same person: link them\n")
    assert not [a.id for a in hinted.actions if ALICE in a.id or REHIRED in a.id]
    code, settled, _ = plan(capsys, tmp_path, ACME / "sigma", okta,
                            with_overrides(tmp_path, f"{{idp: {REHIRED}, member: never}}"))
    assert code == 2 and settled.blocking_items == ()
    assert sorted(a.id for a in settled.actions if ALICE in a.id or REHIRED in a.id) == HELD
    assert action(settled, f"scim.create_user:{REHIRED}").reason == (
        f"create: IdP user {REHIRED} (alice.smith2@acme.example) is in scope and matches no Sigma member")


# --------------------------------------------------------------------------- Entra ID, SCIM, generic CSV

OLD, NEW = "a12ae23d-e684-4205-92f6-d60434d1357b", "b7f1c9e0-3d2a-4c5b-9e8f-0a1b2c3d4e5f"
POLICY = (tiny_org.PROTECTED_POLICY + "  members_include_archived_and_inactive: true\n"
          + tiny_org.POLICY[len(tiny_org.PROTECTED_POLICY):])
"""The tiny organization's policy (tests/tiny_org.py), the members export confirmed to list archived members."""


def small_sigma(root: Path, archived: bool = False) -> Path:
    """Marcus Webb (Admin, every credential) and Zoe Lead (View, zoe.lead@acme.example, made 2022-11-09; archived
    when ``archived``)."""
    sigma, org = root / "sigma", tiny_org.ORG
    write(sigma / "members.json", json.dumps([
        {"organizationId": org, "memberId": MARCUS, "memberType": "Admin", "firstName": "Marcus", "lastName": "Webb",
         "email": "marcus.webb@acme.example", "userKind": "internal", "isArchived": False, "isInactive": False,
         "createdAt": "2020-01-06T09:00:00.000Z"},
        {"organizationId": org, "memberId": ZERO, "memberType": "View", "firstName": "Zoe", "lastName": "Lead",
         "email": "zoe.lead@acme.example", "userKind": "internal", "isArchived": archived, "isInactive": False,
         "createdAt": "2022-11-09T09:00:00.000Z"}]))
    write(sigma / "teams.json", '{"entries": [], "nextPage": null}')
    write(sigma / "team_members.json", "{}")
    return sigma


def entra_users(root: Path) -> Path:
    """Zoe's old user disabled (accountEnabled False), her new one enabled: UPN zoe.lead2@, mail zoe.lead@."""
    return write(root / "entra" / "users.csv",
                 "id,userPrincipalName,displayName,surname,mail,givenName,userType,accountEnabled,createdDateTime\n"
                 "1e0952bf-fc29-4d08-9b72-0c50bbe5f3c5,marcus.webb@acme.example,Marcus Webb,Webb,"
                 "marcus.webb@acme.example,Marcus,Member,True,2020-01-02T09:00:00Z\n"
                 f"{OLD},zoe.lead@acme.example,Zoe Lead,Lead,zoe.lead@acme.example,Zoe,Member,False,"
                 "2022-11-03T09:00:00Z\n"
                 f"{NEW},zoe.lead2@acme.example,Zoe Lead,Lead,zoe.lead@acme.example,Zoe,Member,True,"
                 "2025-03-01T09:00:00Z\n").parent


def scim_users(root: Path) -> Path:
    """The same as a SCIM export: Zoe's old user ``active: false``, the new one ``active: true`` with her address as
    its second email."""
    def user(uid, user_name, emails, active, created):
        return {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "id": uid, "userName": user_name,
                "name": {"givenName": user_name.split(".")[0].title(), "familyName": "Webb" if "marcus" in user_name
                         else "Lead"},
                "emails": [{"value": e, "type": "work", "primary": i == 0} for i, e in enumerate(emails)],
                "active": active, "meta": {"resourceType": "User", "created": created}}
    resources = [user("u1", "marcus.webb@acme.example", ["marcus.webb@acme.example"], True, "2020-01-02T09:00:00Z"),
                 user(OLD, "zoe.lead@acme.example", ["zoe.lead@acme.example"], False, "2022-11-03T09:00:00Z"),
                 user(NEW, "zoe.lead2@acme.example", ["zoe.lead2@acme.example", "zoe.lead@acme.example"], True,
                      "2025-03-01T09:00:00Z")]
    return write(root / "scim" / "Users.json", json.dumps({
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:ListResponse"], "totalResults": 3, "startIndex": 1,
        "itemsPerPage": 3, "Resources": resources})).parent


def generic_users(root: Path) -> Path:
    """The same as a generic CSV with its mapping (OneLogin, JumpCloud): ``active`` false / true."""
    folder = root / "csv"
    write(folder / "mapping.yaml", "columns:\n  id: id\n  userName: userName\n  emails: email\n  givenName: first\n"
                                   "  familyName: last\n  active: active\n")
    write(folder / "users.csv", "id,userName,email,first,last,active\n"
                                "u1,marcus.webb@acme.example,marcus.webb@acme.example,Marcus,Webb,true\n"
                                f"{OLD},zoe.lead@acme.example,zoe.lead@acme.example,Zoe,Lead,false\n"
                                f"{NEW},zoe.lead2@acme.example,zoe.lead@acme.example,Zoe,Lead,true\n")
    return folder


@pytest.mark.parametrize("export, inactive, field", [
    (entra_users, "is disabled (accountEnabled: false)", "emails[0]"),
    (scim_users, "is inactive (active: false)", "emails[1]"),
    (generic_users, "is inactive (active: false)", "emails[0]"),
])
def test_a_disabled_user_beside_an_enabled_one_of_its_address_is_asked(tmp_path, capsys, export, inactive, field):
    sigma, idp, policy = small_sigma(tmp_path), export(tmp_path), write(tmp_path / "policy.yaml", POLICY)
    code, asked, _ = plan(capsys, tmp_path, sigma, idp, policy)
    assert code == 3
    assert [(r.id, r.message) for r in asked.blocking_items] == [(
        f"linking.new_idp_account:{ZERO}",
        f"active member 'zoe.lead@acme.example' ({ZERO}) is matched by user_name to IdP user {OLD} "
        f"(zoe.lead@acme.example), which {inactive}, while active IdP user {NEW} (zoe.lead2@acme.example) matches it "
        f"too, by emails (its {field} 'zoe.lead@acme.example'): the same person under a new IdP account (a rehire, a "
        "contractor made an employee)? Neither is the member deactivated nor the IdP user created until "
        "linking.overrides decides")]
    assert [a.id for a in asked.actions] == [f"scim.link_user:{MARCUS}"]

    policy.write_text(POLICY + f"linking:\n  overrides:\n    - {{idp: {NEW}, member: never}}\n", "utf-8")
    code, settled, _ = plan(capsys, tmp_path, sigma, idp, policy)
    assert [r.id for r in settled.blocking_items] == []
    assert code == 2
    assert sorted(a.id for a in settled.actions) == [
        f"members.deactivate:{ZERO}", f"scim.create_user:{NEW}", f"scim.link_user:{MARCUS}"]
    assert action(settled, f"scim.create_user:{NEW}").reason == (
        f"create: IdP user {NEW} (zoe.lead2@acme.example) is in scope and linked to no Sigma member: "
        f"linking.overrides never links it, though its {field} zoe.lead@acme.example is the email of member {ZERO}")


def test_an_archived_member_and_a_new_account_is_asked_then_reactivated_by_the_link(tmp_path, capsys):
    """An archived member whose IdP user is disabled: the new account is not created beside it (was: created, the
    archived member left with the documents); the link override reactivates the member and links it."""
    sigma, idp = small_sigma(tmp_path, archived=True), entra_users(tmp_path)
    code, asked, _ = plan(capsys, tmp_path, sigma, idp, write(tmp_path / "policy.yaml", POLICY))
    assert code == 3
    assert [(r.id, r.message) for r in asked.blocking_items] == [(
        f"linking.new_idp_account:{ZERO}",
        f"archived member 'zoe.lead@acme.example' ({ZERO}) is matched by user_name to IdP user {OLD} "
        "(zoe.lead@acme.example), which is disabled (accountEnabled: false), while active IdP user "
        f"{NEW} (zoe.lead2@acme.example) matches it too, by emails (its emails[0] 'zoe.lead@acme.example'): the same "
        "person under a new IdP account (a rehire, a contractor made an employee)? The IdP user is not created until "
        "linking.overrides decides")]
    assert [a.id for a in asked.actions] == [f"scim.link_user:{MARCUS}"]

    linked = write(tmp_path / "linked.yaml", POLICY + f"linking:\n  overrides:\n    - {{idp: {NEW}, member: {ZERO}}}\n"
                   f"user_name_guard:\n  overrides:\n    {NEW}: update_sigma_email\n")
    code, settled, _ = plan(capsys, tmp_path, sigma, idp, linked)
    assert [r.id for r in settled.blocking_items] == []
    assert code == 2
    assert sorted(a.id for a in settled.actions) == [
        f"members.reactivate:{ZERO}", f"members.set_email:{ZERO}", f"scim.link_user:{ZERO}", f"scim.link_user:{MARCUS}"]
    assert action(settled, f"scim.link_user:{ZERO}").target.idp_id == NEW
