"""The member a snippet's example names, and the address another member holds (tester12 finding 13).

A person with an active account on the old domain and an archived 2019 one at the IdP's address: the
``linking.ambiguous`` example pairs the IdP user with the active member (was: the archived one, whose
pasting reactivated it and deactivated the active one, her documents to the document owner); the link of
the active member then asks ``user_name_guard.email_taken``, naming the archived holder and offering to
rename it, and ``linking.duplicates: {<holder>: rename}`` settles it (was: 'policy.unused_entry ... no other
member has this address'). Real files, planned by the CLI.
"""

from __future__ import annotations

import json
from pathlib import Path

import yaml

from planner.directory import build_directory
from planner.rules.examples import example_order, unsafe_example

from .conftest import run_cli
from .plan_factory import member, policy, snapshot, user

ORG = "11111111-2222-3333-4444-555555555555"
ANN_OLD, ANN_ARCHIVED = "Ann00000000000000000000000002", "Ann00000000000000000000000003"
POLICY = """version: 1
organization: {scim_setup_admin: mara@acme.example, api_credential_owner: mara@acme.example, document_owner: mara@acme.example}
linking:
  match_keys: [user_name, emails, domain_aliases]
  domain_aliases: {oldacme.example: acme.example}
  archived_members: review
user_name_guard: {on_mismatch: update_sigma_email}
teams: {confirm_no_teams: true}
unmatched: {action: deactivate}
guards: {thresholds: {deactivations: null}}
preflight: {saml_only: true, previous_scim: none, guests_informed: true}
"""


def _member(mid: str, member_type: str, email: str, created: str, archived: bool = False) -> dict:
    return {"organizationId": ORG, "memberId": mid, "memberType": member_type, "firstName": email.split("@")[0].split(".")[0].title(),
            "lastName": "Lee" if email.startswith("ann") else "Admin", "email": email, "createdBy": "x",
            "updatedBy": "x", "createdAt": created, "updatedAt": created, "userKind": "internal",
            "isArchived": archived, "isInactive": False}


def _scim_user(iid: str, user_name: str, first: str, last: str, emails: list[str]) -> dict:
    return {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "id": iid, "externalId": f"ext{iid}",
            "userName": user_name, "name": {"givenName": first, "familyName": last},
            "emails": [{"value": e, "primary": i == 0} for i, e in enumerate(emails)], "active": True,
            "meta": {"resourceType": "User", "created": "2023-01-01T00:00:00Z", "lastModified": "2025-01-01T00:00:00Z"}}


def _list(resources: list) -> dict:
    return {"schemas": ["urn:ietf:params:scim:api:messages:2.0:ListResponse"], "totalResults": len(resources),
            "startIndex": 1, "itemsPerPage": len(resources), "Resources": resources}


def _setup(tmp: Path) -> None:
    (tmp / "sigma").mkdir()
    (tmp / "idp").mkdir()
    members = [_member("Adm00000000000000000000000001", "Admin", "mara@acme.example", "2022-01-01T00:00:00.000Z"),
               _member(ANN_OLD, "Build", "ann.lee@oldacme.example", "2022-01-01T00:00:00.000Z"),
               _member(ANN_ARCHIVED, "View", "ann.lee@acme.example", "2019-01-01T00:00:00.000Z", archived=True)]
    (tmp / "sigma" / "members.json").write_text(json.dumps({"entries": members}))
    (tmp / "sigma" / "teams.json").write_text(json.dumps({"entries": []}))
    (tmp / "sigma" / "team_members.json").write_text("{}")
    users = [_scim_user("u1", "mara@acme.example", "Mara", "Admin", ["mara@acme.example"]),
             _scim_user("u2", "ann.lee@acme.example", "Ann", "Lee", ["ann.lee@acme.example", "ann.lee@oldacme.example"])]
    (tmp / "idp" / "Users.json").write_text(json.dumps(_list(users)))
    (tmp / "idp" / "Groups.json").write_text(json.dumps(_list([])))


def _plan(capsys, tmp: Path, name: str, extra: dict) -> dict:
    pol = yaml.safe_load(POLICY)
    for section, values in extra.items():
        pol[section] = {**pol.get(section, {}), **values}
    (tmp / f"{name}.yaml").write_text(yaml.safe_dump(pol, sort_keys=False))
    code, _out, err = run_cli(capsys, "plan", "--sigma", str(tmp / "sigma"), "--idp", str(tmp / "idp"),
                              "--policy", str(tmp / f"{name}.yaml"), "--out", str(tmp / f"{name}.json"))
    assert (code, err) == (0, "")
    return json.loads((tmp / f"{name}.json").read_text())


def _items(p: dict) -> list[tuple[str, bool]]:
    return [(r["id"], r["blocking"]) for r in p["review_items"]]


def test_the_ambiguity_example_links_the_active_member_then_renaming_the_archived_holder_settles_the_plan(
        capsys, tmp_path):
    _setup(tmp_path)
    first = _plan(capsys, tmp_path, "p1", {})
    assert _items(first) == [("linking.ambiguous:u2", True)]
    assert first["review_items"][0]["resolution"] == (
        f"# pick the member each IdP user is; the pairing {ANN_OLD} -> u2 is only an example (active, most teams, "
        "newest first)\n"
        f"# {ANN_ARCHIVED} would be left without an IdP user: unmatched, the `unmatched` policy decides (deactivate, "
        "keep)\n"
        f"linking:\n  overrides:\n    - {{idp: u2, member: {ANN_OLD}}}\n")  # was: the archived 2019 member

    example = yaml.safe_load(first["review_items"][0]["resolution"])
    second = _plan(capsys, tmp_path, "p2", example)
    assert _items(second) == [(f"user_name_guard.email_taken:{ANN_OLD}", True)]
    taken = second["review_items"][0]
    assert taken["message"] == (
        "cannot change 'ann.lee@oldacme.example' to 'ann.lee@acme.example': another Sigma member already has that "
        f"email: {ANN_ARCHIVED} (ann.lee@acme.example, archived)")
    assert taken["resolution"] == (
        f"# free the address: rename {ANN_ARCHIVED} (not active) to an alias, then change {ANN_OLD}'s email to "
        "ann.lee@acme.example; or send the member's Sigma email ann.lee@oldacme.example:\n"
        f"linking:\n  duplicates:\n    {ANN_ARCHIVED}: rename\n"
        "# or:\n# user_name_guard:\n#   overrides:\n#     u2: use_sigma_email\n")
    assert [a["id"] for a in second["actions"]] == ["scim.link_user:Adm00000000000000000000000001"]

    settle = yaml.safe_load(taken["resolution"])
    third = _plan(capsys, tmp_path, "p3", {"linking": {**example["linking"], **settle["linking"]}})
    assert _items(third) == []  # was: policy.unused_entry '... no other member has this address, nothing to free'
    assert [(a["id"], a.get("depends_on", []), a["after"]) for a in third["actions"]] == [
        (f"members.set_email:{ANN_ARCHIVED}", [], {"email": "ann.lee+dup-Ann000@acme.example"}),
        (f"members.set_email:{ANN_OLD}", [f"members.set_email:{ANN_ARCHIVED}"], {"email": "ann.lee@acme.example"}),
        ("scim.link_user:Adm00000000000000000000000001", [],
         {"active": True, "familyName": "Admin", "givenName": "Mara", "userName": "mara@acme.example",
          "userType": "Admin"}),
        (f"scim.link_user:{ANN_OLD}", [f"members.set_email:{ANN_OLD}", f"members.set_email:{ANN_ARCHIVED}"],
         {"active": True, "email": "ann.lee@acme.example", "familyName": "Lee", "givenName": "Ann",
          "userName": "ann.lee@acme.example", "userType": "Build"}),
    ]  # her active account is linked; nothing deactivated, the 2019 one not reactivated
    rename = third["actions"][0]
    assert rename["reason"] == (
        "free the address 'ann.lee@acme.example', onto which the email of member(s) "
        f"{ANN_OLD} moves (user_name_guard: update_sigma_email): Sigma links a SCIM user by email, so only one "
        "member may hold it (linking.duplicates: rename)")


def test_a_rename_entry_for_an_address_nobody_moves_onto_is_still_unused(capsys, tmp_path):
    _setup(tmp_path)
    p = _plan(capsys, tmp_path, "p", {"linking": {"overrides": [{"idp": "u2", "member": ANN_OLD}],
                                                  "duplicates": {ANN_ARCHIVED: "rename"}},
                                      "user_name_guard": {"on_mismatch": "use_sigma_email"}})
    assert [r["id"] for r in p["review_items"]] == [
        f"policy.unused_entry:linking.duplicates[{ANN_ARCHIVED}]", f"user_name_guard.configure_idp:{ANN_OLD}"]
    assert f"member {ANN_ARCHIVED} (ann.lee@acme.example): no other member has this address, nothing to free" in (
        p["review_items"][0]["message"])
    assert not [a for a in p["actions"] if a["id"].startswith("members.set_email")]


def test_the_example_order_and_when_no_example_is_safe():
    members = [member("old", "ann@x.example", archived=True, created_at="2019-01-01T00:00:00Z"),
               member("new", "ann@y.example", created_at="2023-01-01T00:00:00Z"),
               member("mid", "ann@z.example", created_at="2021-01-01T00:00:00Z"),
               member("none", "ann@w.example")]
    d = build_directory(snapshot(members, [user("u1", "ann@x.example")], with_root=False), policy())
    # active first, then most teams (none here), then newest; a member without createdAt as the oldest
    assert example_order(d.members.values(), {}) == ["new", "mid", "none", "old"]
    assert example_order(d.members.values(), {"mid": 1}) == ["mid", "new", "none", "old"]
    assert unsafe_example({"u1": "old"}, ["old", "new"], d) == ["new"]  # the archived one paired, the active left
    assert unsafe_example({"u1": "new"}, ["old", "new"], d) == []
    assert unsafe_example({"u1": "old"}, ["old"], d) == []  # no active member left out: reactivating is the question


def test_the_same_person_hint_links_the_member_the_example_rule_prefers():
    from .plan_factory import plan, team

    snap = snapshot([member("m1", "ann.lee@old.example", "Ann", "Lee", created_at="2019-01-01T00:00:00Z"),
                     member("m2", "alee@corp.example", "Ann", "Lee", created_at="2022-01-01T00:00:00Z")],
                    [user("u1", "ann.lee@new.example", first="Ann", last="Lee")],
                    teams=[team("tS", "Sales")], memberships={"tS": ["m2"]})
    p = plan(snap, "unmatched:\n  action: deactivate\nteams: {confirm_no_teams: true}\n")
    (hint,) = [r for r in p.review_items if r.blocking]
    assert hint.id == "linking.same_person_hint:u1"
    assert hint.resolution == (  # m2, in a team (was: m1, the first memberId)
        "# same person: link them\nlinking:\n  overrides:\n    - {idp: u1, member: m2}\n"
        "# or:\n# linking:\n#   overrides:\n#     - {idp: u1, member: never}\n")
