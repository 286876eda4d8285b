"""Tester11 finding 8: in a second wave the IdP changed the login of a member SCIM provisioned, and has not
pushed it yet (Sigma's SCIM user still has the old userName). Against the sandbox over HTTP (plan, apply, fetch,
re-plan).

The blocking ``user_name_guard.mismatch`` offered ``update_sigma_email`` (a REST email change), whose plan the
same rules refuse: the next plan turned it into ``scim.managed_member`` (Sigma refuses REST edits of SCIM-managed
members, 403) and ``scim.user_name_changed``, both "no policy setting settles this". Now the item says what
those said (keep sending the old userName, or a second account after the push: ``scim.second_account``) and
offers only the snippet that settles it; an override keyed by the old login says the IdP renamed them."""

from __future__ import annotations

from dataclasses import replace

import yaml

from .execute_support import counting_sandbox
from .plan_factory import kinds, plan, review_codes, user
from .test_day_two_idp_changes import FIRST, POLICY, SNAP, apply_and_fetch, read_after

MISMATCH = (
    "IdP user uA now sends userName 'ann.lee@example.com', but SCIM provisioned member mA with userName "
    "'ann@example.com' (externalId uA): Sigma refuses REST edits of SCIM-managed members (403), so the member's "
    "email cannot follow the IdP (no update_sigma_email), and a new userName makes Sigma create a second account. "
    "Keep sending 'ann@example.com' (the IdP's userName mapping of the app must send 'ann@example.com' for IdP "
    "user uA; user_name_guard.overrides: use_sigma_email), or let the IdP push 'ann.lee@example.com': Sigma then "
    "makes a second account and the next plan asks about the member left behind (scim.second_account, settled by "
    "linking.second_accounts)")
SNIPPET = ("# keep sending ann@example.com (the IdP's userName mapping of the app must send 'ann@example.com' for "
           "IdP user uA), the userName SCIM provisioned:\nuser_name_guard:\n  overrides:\n    uA: use_sigma_email\n")


def test_a_login_the_idp_renamed_before_its_push_is_advised_only_what_settles_it(tmp_path):
    server, _ = counting_sandbox(SNAP.sigma)
    try:
        sigma = apply_and_fetch(plan(SNAP, FIRST), tmp_path / "wave", server)
        assert [(u.id, u.user_name, u.external_id) for u in sigma.scim_users if u.id == "mA"] == [
            ("mA", "ann@example.com", "uA")]
        # the IdP renames Ann's login; its push has not reached Sigma (SCIM still lists ann@example.com)
        users = tuple(user("uA", "ann.lee@example.com", first="Ann", last="Lee") if u.id == "uA" else u
                      for u in SNAP.idp.users)
        renamed = replace(SNAP, sigma=sigma, idp=replace(SNAP.idp, users=users, fetched_at=read_after(sigma)))

        # the guard's question, asked under review, under an override or on_mismatch saying update_sigma_email
        for extra in ("", "\nuser_name_guard: {overrides: {uA: update_sigma_email}}",
                      "\nuser_name_guard: {on_mismatch: update_sigma_email}"):
            replanned = plan(renamed, POLICY + extra)
            blocking = [i for i in replanned.review_items if i.blocking]
            assert [(i.id, i.message, i.resolution) for i in blocking] == [
                ("user_name_guard.mismatch:mA", MISMATCH, SNIPPET)], extra
            assert (blocking[0].evidence.external_id, blocking[0].evidence.idp_user_name) == (
                "uA", "ann.lee@example.com")
            # never the REST email change Sigma refuses, nor the items its plan raised
            assert not {"members.set_email:mA"} & {a.id for a in replanned.actions}
            assert not {"scim.managed_member", "scim.user_name_changed"} & {i.code for i in replanned.review_items}
        # the override Sigma would refuse settles nothing: it says so
        with_override = plan(renamed, POLICY + "\nuser_name_guard: {overrides: {uA: update_sigma_email}}")
        [unused] = [i for i in with_override.review_items if i.code == "policy.unused_entry"]
        assert ("SCIM provisioned IdP user uA's member, whose email Sigma refuses to change through REST: the "
                "blocking user_name_guard.mismatch says what settles it") in unused.message

        # the offered snippet settles it: nothing blocks, nothing is sent for Ann (SCIM has her as the link sends)
        settled = plan(renamed, POLICY + "\n" + SNIPPET.split("\n", 1)[1])
        assert (kinds(settled), review_codes(settled)) == (
            [],
            [("scim.profile_push", False), ("user_name_guard.configure_idp", False)])
        assert yaml.safe_load(SNIPPET) == {"user_name_guard": {"overrides": {"uA": "use_sigma_email"}}}

        # an override keyed by the old login names no IdP user: the item says the IdP renamed them
        old_key = plan(renamed, POLICY + "\nuser_name_guard: {overrides: {ann@example.com: update_sigma_email}}")
        [unknown] = [i for i in old_key.review_items if i.code == "policy.unknown_reference"]
        assert (unknown.blocking, unknown.evidence.external_id) == (True, "uA")
        assert unknown.message.endswith(
            "user_name_guard.overrides.'ann@example.com' names IdP user 'ann@example.com', which is not in the IdP "
            "export: the IdP renamed them (Sigma's SCIM state lists 'ann@example.com' with externalId uA, and IdP "
            "user uA now sends userName 'ann.lee@example.com'); the entry is ignored")
        assert unknown.resolution.startswith("# name IdP user uA by its IdP id at ")
    finally:
        server.close()
