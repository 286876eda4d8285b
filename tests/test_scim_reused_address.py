"""A new IdP identity never takes over a leaver's SCIM member on the address alone (tester8 finding 17).

Ann left: the IdP deactivated her through SCIM (SCIM User m1 inactive, externalId 00u-old...). A new hire
gets her address in the IdP (IdP user 00u-new..., another id). Sigma's SCIM state joins its user to the
IdP by ``externalId``, else by the userName: before, the userName joined the new hire to Ann's member,
reactivating it with her documents, teams and history, without a word. Now the fallback asks (one
blocking ``scim.reused_address`` item) and ``linking.reused_addresses`` answers it."""

from __future__ import annotations

from dataclasses import replace

import yaml
from msgspec.structs import replace as struct_replace

from planner.model import ScimUser, email_key
from planner.rules.scim_state import names_another_identity, reused_address

from .plan_factory import kinds, member, plan, review_codes, snapshot, user

OLD, NEW = "00uOLD00000000000001", "00uNEW00000000000002"
ROOT_SCIM = ScimUser("root", "root@example.com", "root@example.com", "u-root", True, "Admin")


def leaver(active: bool = False, external_id: str = OLD) -> ScimUser:
    return ScimUser("m1", "ann@example.com", email_key("ann@example.com"), external_id, active, "View",
                    "2026-03-01T09:00:00Z", "2021-05-04T10:00:00Z")


def snap(scim_user: ScimUser, *, inactive: bool = True, created: str | None = "2026-06-01T08:00:00Z"):
    s = snapshot([member("m1", "ann@example.com", "Ann", "Lee", inactive=inactive)],
                 [struct_replace(user(NEW, "ann@example.com", first="Ann", last="Lee"), created=created,
                                 last_updated="2026-06-01T08:00:00Z")])  # newer than SCIM's: no dates question
    return replace(s, sigma=replace(s.sigma, scim_users=(ROOT_SCIM, scim_user), scim_groups=()))


QUESTION = (
    f"ann@example.com: member m1 holds it, provisioned by SCIM for IdP identity {OLD} (externalId; SCIM made it "
    f"2021-05-04T10:00:00Z, last changed 2026-03-01T09:00:00Z) and inactive; IdP user {NEW} (made "
    f"2026-06-01T08:00:00Z) now has the address (SCIM has the member inactive (the IdP deactivated it); its "
    f"externalId {OLD} is another IdP identity than {NEW}; SCIM provisioned it 2021-05-04T10:00:00Z, before the "
    f"IdP made {NEW} (2026-06-01T08:00:00Z))")


def test_a_new_identity_with_a_leavers_address_is_one_blocking_question_and_nothing_is_planned():
    p = plan(snap(leaver()))

    # was: scim.link_user:m1 to 00uNEW... sending active: true ("the IdP export is newer than Sigma's SCIM
    # state"), the leaver's member reactivated for the new hire with her documents, teams and history
    assert kinds(p) == []
    assert review_codes(p) == [("scim.reused_address", True)]
    [item] = p.review_items
    assert item.id == f"scim.reused_address:{NEW}"
    assert item.message == (
        f"{QUESTION}: the same person returning, or a new person reusing the address? The plan links neither on "
        f"the address alone (a link would give {NEW} the member's documents, teams and history; a create would be "
        "linked to the member or refused, Sigma keeping one member per address)")
    assert item.evidence.fields() == {
        "userName": "ann@example.com", "problem": item.message[item.message.index("(SCIM has") + 1:
                                                               item.message.index("): the same")],
        "externalId": OLD, "scimLastModified": "2026-03-01T09:00:00Z", "idpId": NEW, "scimActive": False,
        "scimCreated": "2021-05-04T10:00:00Z", "idpCreated": "2026-06-01T08:00:00Z"}
    assert (item.subject.member_id, item.subject.idp_id) == ("m1", NEW)
    assert yaml.safe_load(item.resolution) == {"linking": {"reused_addresses": {NEW: "new_person"}}}
    assert f"#   reused_addresses:\n#     {NEW}: same_person\n" in item.resolution
    assert p.summary.people == {"held": 2, "link": 1, "unmatched_kept": 0}  # m1 and the new identity; root
    rows = {(r.member_id, r.idp_id): (r.link_key, r.actions, r.review_items) for r in p.people}
    assert rows[("m1", None)] == rows[(None, NEW)] == (None, (), (item.id,))


def test_same_person_links_the_returning_person_and_says_so():
    p = plan(snap(leaver()), f"linking: {{reused_addresses: {{{NEW}: same_person}}}}")

    assert kinds(p) == [("scim.link_user", "scim.link_user:m1")]
    link = p.actions[0]
    assert (link.target.idp_id, link.before.active, link.after.active) == (NEW, False, True)
    assert link.reason.endswith(" (linking.reused_addresses: the same person returns; the link reactivates the "
                                "member)")  # not a scim.state_conflict over active: their return is the answer
    assert review_codes(p) == [("scim.reused_address", False)]
    [item] = [r for r in p.review_items if r.code == "scim.reused_address"]
    assert (item.blocking, item.resolution, item.evidence.finding) == (False, "", "same_person")
    assert item.message == (f"{QUESTION}. linking.reused_addresses says the same person returns: the link gives them "
                            "member m1, reactivated (scim.link_user sends active: true), with its documents, teams and "
                            "history")


def test_new_person_holds_the_new_identity_and_says_sigma_cannot_give_the_address_another_account():
    p = plan(snap(leaver()), "linking: {reused_addresses: {'ann@example.com': new_person}}")

    assert kinds(p) == []  # no link (the leaver's member), no create (Sigma would link it or refuse it)
    [item] = [r for r in p.review_items if r.code == "scim.reused_address"]
    assert (item.blocking, item.evidence.finding) == (False, "new_person")
    assert item.message == (
        f"{QUESTION}. linking.reused_addresses says a new person reuses the address: they are linked to nothing and "
        "created nowhere, since Sigma keeps one member per address and SCIM gives ann@example.com to member m1 "
        "(docs/sigma-api.md §2.4, §5.3); they get no Sigma account from this plan. To give them one, have the IdP "
        "send another userName for them (an address no member holds), export again and plan again")
    assert p.summary.people == {"deactivated": 1, "held": 1, "link": 1, "unmatched_kept": 0}  # m1 stays inactive
    rows = {(r.member_id, r.idp_id): (r.link_key, r.actions, r.review_items) for r in p.people}
    assert rows[(None, NEW)] == (None, (), (item.id,))


def test_each_doubt_alone_asks_and_a_userName_join_nothing_doubts_still_links():
    # inactive alone (the externalId an Entra mailNickname, no dates)
    assert reused_address(leaver(external_id="ann.lee"), struct_replace(user(NEW, "ann@example.com"), created=None)) == (
        "SCIM has the member inactive (the IdP deactivated it)")
    # another Okta id alone, the member active
    assert reused_address(struct_replace(leaver(active=True), created=None), user(NEW, "ann@example.com")) == (
        f"its externalId {OLD} is another IdP identity than {NEW}")
    # made before the IdP user alone
    assert reused_address(leaver(active=True, external_id="ann.lee"),
                          struct_replace(user(NEW, "ann@example.com"), created="2026-06-01T08:00:00Z")) == (
        f"SCIM provisioned it 2021-05-04T10:00:00Z, before the IdP made {NEW} (2026-06-01T08:00:00Z)")
    # Entra's default externalId (mailNickname), active, the IdP user older than the SCIM user: the same person
    p = plan(snap(leaver(active=True, external_id="ann.lee"), inactive=False, created="2020-01-01T00:00:00Z"))
    assert review_codes(p) == []
    assert next(r for r in p.people if r.member_id == "m1").link_key == "scim"


def test_an_active_member_of_another_identity_is_held_while_the_question_is_open():
    p = plan(snap(leaver(active=True), inactive=False))

    assert kinds(p) == []  # neither linked to the new identity nor deactivated as unmatched
    assert review_codes(p) == [("scim.reused_address", True)]
    assert p.summary.people == {"held": 2, "link": 1, "unmatched_kept": 0}
    assert next(r for r in p.people if r.member_id == "m1").actions == ()


def test_which_external_ids_name_another_identity():
    assert names_another_identity(OLD, NEW)
    assert not names_another_identity(NEW, NEW)
    assert names_another_identity("6f1c1f4e-59c8-4d3c-9d2e-0a4b1c2d3e4f", "0b6c1f4e-59c8-4d3c-9d2e-0a4b1c2d3e4f")
    assert names_another_identity("103456789012345678901", "118765432109876543210")
    assert not names_another_identity("ann.lee", NEW)  # Entra's default mapping: mailNickname
    assert not names_another_identity("E1234", "E9876")  # an HR number says nothing of the identity
    assert not names_another_identity(None, NEW)


def test_the_sandbox_gives_no_second_member_at_an_address_an_inactive_provisioned_member_holds():
    # what new_person's item says Sigma does (docs/sigma-api.md §2.4, §5.3), against the emulator over HTTP:
    # the leaver provisioned then deactivated through SCIM, a POST /Users of the new identity at the address
    import httpx2

    from .execute_support import counting_sandbox

    server, _ = counting_sandbox()
    try:
        scim, auth = server.scim_base_url, {"Authorization": f"Bearer {server.scim_token}"}
        body = {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": "old@example.com",
                "externalId": OLD, "active": True, "name": {"givenName": "Old", "familyName": "Example"}}
        made = httpx2.post(f"{scim}/Users", headers=auth, json=body)
        assert made.status_code == 201
        patch = {"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
                 "Operations": [{"op": "replace", "path": "active", "value": False}]}
        assert httpx2.patch(f"{scim}/Users/{made.json()['id']}", headers=auth, json=patch).status_code == 204

        again = httpx2.post(f"{scim}/Users", headers=auth, json=body | {"externalId": NEW})

        assert (again.status_code, again.json()["scimType"], again.json()["detail"]) == (
            409, "uniqueness", "userName old@example.com is already provisioned")
    finally:
        server.close()
